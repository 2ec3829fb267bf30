#include "models/common/ranking_tally.h"

#include <algorithm>

namespace evalsim {

bool RankingTally::Met(int i, int j) const {
  const size_t ij = static_cast<size_t>(i) * n + j, ji = static_cast<size_t>(j) * n + i;
  return beats[ij] > 0.0 || beats[ji] > 0.0 || (!ties.empty() && ties[ij] > 0.0);
}

int RankingTally::NeverListed() const {
  return static_cast<int>(std::count(listed.begin(), listed.end(), int64_t{0}));
}

RankingTally TallyRankings(const RankingBallots& b, bool with_ties) {
  RankingTally t;
  const int n = b.NumRatees();
  t.n = n;
  const size_t nn = static_cast<size_t>(n) * n;
  t.beats.assign(nn, 0.0);
  if (with_ties) t.ties.assign(nn, 0.0);
  t.listed.assign(n, 0);
  // Per order: a stamp marks the listed candidates, so that the unranked
  // ones can be gathered without clearing an array per order.
  std::vector<uint64_t> stamp(n, 0);
  std::vector<uint32_t> unranked;
  unranked.reserve(n);
  for (size_t o = 0; o < b.NumOrders(); ++o) {
    const double w = b.count[o];
    const auto cand = b.Candidates(o);
    const auto tier = b.Tiers(o);
    const size_t len = cand.size();
    for (uint32_t c : cand) {
      stamp[c] = o + 1;
      ++t.listed[c];
    }
    unranked.clear();
    if (b.unranked_below) {
      for (int c = 0; c < n; ++c)
        if (stamp[c] != o + 1) unranked.push_back(static_cast<uint32_t>(c));
    }
    if (w == 0.0) continue;
    size_t tier_end = 0;  // end of the current tier
    for (size_t p = 0; p < len; ++p) {
      if (p == tier_end) {
        tier_end = p + 1;
        while (tier_end < len && tier[tier_end] == tier[p]) ++tier_end;
      }
      double* row = t.beats.data() + static_cast<size_t>(cand[p]) * n;
      for (size_t q = tier_end; q < len; ++q) row[cand[q]] += w;
      for (uint32_t u : unranked) row[u] += w;
      if (with_ties) {
        double* trow = t.ties.data() + static_cast<size_t>(cand[p]) * n;
        for (size_t q = p + 1; q < tier_end; ++q) {
          trow[cand[q]] += w;
          t.ties[static_cast<size_t>(cand[q]) * n + cand[p]] += w;
        }
      }
    }
  }
  return t;
}

}  // namespace evalsim
