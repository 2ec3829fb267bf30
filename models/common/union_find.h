// The one union-find forest of the models (union by size, path halving;
// Tarjan 1975, "Efficiency of a good but not linear set union algorithm",
// JACM 22(2)). One array holds both links and sizes (a root stores minus its
// size), so that a lookup touches one cache line, not two: passes over the
// ballots are bound by those random reads.
//
// Which element becomes a root depends on the order of the unions; callers
// that number components do so by a scan in element order (the component
// of the lowest element first), so that numbers do not depend on it.
#ifndef EVALSIM_MODELS_COMMON_UNION_FIND_H_
#define EVALSIM_MODELS_COMMON_UNION_FIND_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace evalsim {

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

}  // namespace evalsim

#endif  // EVALSIM_MODELS_COMMON_UNION_FIND_H_
