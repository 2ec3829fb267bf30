#include "sim/simulate/item_gen.h"

#include <cmath>
#include <cstring>

#include "sim/core/rng.h"

namespace evalsim {

ItemSetup MakeItemSetup(const Scenario& s, const Organisation& org) {
  ItemSetup setup;
  const int n = org.NumEvaluees();
  const int I = static_cast<int>(s.items.size());
  setup.quality.assign(I, std::vector<double>(n));
  for (int e = 0; e < n; ++e) {
    Rng rng(DeriveSeed(s.seed, {kStreamItems, static_cast<uint64_t>(e)}));
    for (int i = 0; i < I; ++i) {
      const double a = s.items[i].loading;
      const double own = std::sqrt(std::max(0.0, 1.0 - a * a)) * s.quality_sd;
      setup.quality[i][e] = a * org.quality[e] + own * rng.Normal();
    }
  }
  return setup;
}

void DrawMeetingItems(const Scenario& s, const ItemSetup& items, const std::vector<double>& cuts,
                      int replicate, int meeting, int first_evaluee,
                      std::span<const uint32_t> words, std::span<const ItemDraw> seen,
                      std::vector<uint32_t>* item_words) {
  const size_t len = words.size();
  const int I = static_cast<int>(s.items.size());
  const int K = static_cast<int>(cuts.size()) + 1;
  item_words->resize(len * I);
  Rng rng(DeriveSeed(s.seed, {kStreamItems, static_cast<uint64_t>(replicate) + 1,
                              static_cast<uint64_t>(meeting)}));
  for (size_t j = 0; j < len; ++j) {
    const uint32_t rater = BallotRater(words[j]);
    const ItemDraw& d = seen[j];
    const RaterGroupSpec& g = s.raters[d.group];
    const int e = first_evaluee + static_cast<int>(d.evaluee);
    for (int i = 0; i < I; ++i) {
      uint8_t grade = kAbstain;
      if (!std::isnan(d.y)) {
        const double own = items.quality[i][e] + d.shift + g.noise * rng.Normal() +
                           s.items[i].noise * rng.Normal();
        const double yi = g.halo * d.y + (1.0 - g.halo) * own;
        int k = 0;
        for (int c = 0; c < K - 1; ++c) k += yi >= cuts[c];
        grade = static_cast<uint8_t>(k);
      }
      (*item_words)[static_cast<size_t>(i) * len + j] = PackBallot(rater, grade);
    }
  }
}

void AssembleItems(const Scenario& s, const Organisation& org,
                   std::vector<std::vector<uint32_t>>& meeting_words, RatingBallots* out) {
  const int I = static_cast<int>(s.items.size());
  out->item_names.clear();
  for (const ItemSpec& item : s.items) out->item_names.push_back(item.name);
  const uint64_t N = out->ballot.size();
  const size_t slots = out->slot_begin.size() - 1;
  out->item_slot_begin.resize(slots * I + 1);
  for (int i = 0; i < I; ++i)
    for (size_t sl = 0; sl < slots; ++sl)
      out->item_slot_begin[i * slots + sl] = i * N + out->slot_begin[sl];
  out->item_slot_begin[slots * I] = N * I;
  out->item_ballot.resize(N * I);
  out->item_weight.clear();
  for (size_t mi = 0; mi < meeting_words.size(); ++mi) {
    const Meeting& m = org.meetings[mi];
    const uint64_t at = out->slot_begin[static_cast<size_t>(m.first_evaluee) * out->NumGroups()];
    const std::vector<uint32_t>& w = meeting_words[mi];
    const size_t len = w.size() / std::max(1, I);
    for (int i = 0; i < I && len > 0; ++i)
      std::memcpy(out->item_ballot.data() + i * N + at, w.data() + i * len, len * sizeof(uint32_t));
    std::vector<uint32_t>().swap(meeting_words[mi]);
  }
}

}  // namespace evalsim
