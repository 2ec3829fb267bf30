#include "models/common/connectivity.h"

#include "models/common/union_find.h"

namespace evalsim {
RaterRateeComponents ConnectedComponents(const RatingBallots& b) {
  const int n = b.NumRatees(), G = b.NumGroups();
  const uint32_t R = b.num_raters;
  DisjointSets sets(static_cast<size_t>(n) + R);
  RaterRateeComponents c;
  c.ratee_degree.assign(n, 0);
  c.rater_degree.assign(R, 0);

  for (int e = 0; e < n; ++e) {
    const uint64_t begin = b.slot_begin[static_cast<size_t>(e) * G];
    const uint64_t end = b.slot_begin[static_cast<size_t>(e + 1) * G];
    // Keep the ratee's current root in hand: most unions then cost one Find
    // on the rater side only.
    uint32_t root = static_cast<uint32_t>(e), degree = 0;
    for (uint64_t i = begin; i < end; ++i) {
      if (!IsValidBallot(b, i)) continue;
      const uint32_t j = BallotRater(b.ballot[i]);
      ++degree;
      ++c.rater_degree[j];
      root = sets.Union(root, static_cast<uint32_t>(n) + j);
    }
    c.ratee_degree[e] = degree;
  }

  c.ratee.assign(n, -1);
  c.rater.assign(R, -1);
  // Number the components by their lowest ratee, so that the numbering does
  // not depend on union order. Every component with a valid ballot has a
  // ratee, so every root gets its number here.
  std::vector<int32_t> id_of_root(static_cast<size_t>(n) + R, -1);
  for (int e = 0; e < n; ++e) {
    if (c.ratee_degree[e] == 0) continue;
    const uint32_t r = sets.Find(static_cast<uint32_t>(e));
    if (id_of_root[r] < 0) {
      id_of_root[r] = c.count++;
      c.ratees_in.push_back(0);
      c.raters_in.push_back(0);
    }
    c.ratee[e] = id_of_root[r];
    ++c.ratees_in[c.ratee[e]];
  }
  for (uint32_t j = 0; j < R; ++j) {
    if (c.rater_degree[j] == 0) continue;
    c.rater[j] = id_of_root[sets.Find(static_cast<uint32_t>(n) + j)];
    ++c.raters_in[c.rater[j]];
  }
  return c;
}

}  // namespace evalsim
