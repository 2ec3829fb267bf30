#include "models/common/connectivity.h"

#include <utility>

namespace evalsim {
namespace {

// Union-find over ratees 0..n-1 followed by raters n..n+R-1. One array
// holds both links and sizes (a root stores minus its size), so that a
// lookup of a rater touches one cache line, not two: the pass is bound by
// those random reads.
class DisjointSets {
 public:
  explicit DisjointSets(size_t size) : node_(size, -1) {}

  uint32_t Find(uint32_t x) {
    for (;;) {
      const int32_t p = node_[x];
      if (p < 0) return x;
      const int32_t g = node_[p];
      if (g < 0) return static_cast<uint32_t>(p);  // one step from the root: no write
      node_[x] = g;                                // path halving
      x = static_cast<uint32_t>(g);
    }
  }

  // Joins the sets of x and y (union by size); returns the new root.
  uint32_t Union(uint32_t x, uint32_t y) {
    x = Find(x);
    y = Find(y);
    if (x == y) return x;
    if (node_[x] > node_[y]) std::swap(x, y);  // x has the larger set
    node_[x] += node_[y];
    node_[y] = static_cast<int32_t>(x);
    return x;
  }

 private:
  std::vector<int32_t> node_;
};

}  // namespace

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
