#include "models/common/comparison_graph.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace evalsim {

int ComparisonGraph::NotStrong() const {
  int k = 0;
  for (int c = 0; c < count; ++c) k += size[c] >= 2 && !strong[c];
  return k;
}

ComparisonGraph AnalyseComparisonGraph(const PairwiseBallots& b) {
  const int n = b.NumRatees();
  const size_t P = b.NumPairs();
  // Adjacency in compressed rows: each entry is a neighbour and two flags
  // (this evaluee beat it; it beat this evaluee).
  std::vector<uint64_t> begin(static_cast<size_t>(n) + 1, 0);
  for (size_t p = 0; p < P; ++p) {
    if (!(b.first_wins[p] + b.second_wins[p] > 0.0)) continue;
    ++begin[b.first[p] + 1];
    ++begin[b.second[p] + 1];
  }
  for (int v = 0; v < n; ++v) begin[v + 1] += begin[v];
  std::vector<uint32_t> nbr(begin[n]);
  std::vector<uint8_t> flags(begin[n]);  // bit 0: v beat nbr; bit 1: nbr beat v
  {
    std::vector<uint64_t> at(begin.begin(), begin.end() - 1);
    for (size_t p = 0; p < P; ++p) {
      const double wi = b.first_wins[p], wj = b.second_wins[p];
      if (!(wi + wj > 0.0)) continue;
      const uint32_t i = b.first[p], j = b.second[p];
      const uint8_t i_beat = wi > 0.0, j_beat = wj > 0.0;
      nbr[at[i]] = j;
      flags[at[i]++] = static_cast<uint8_t>(i_beat | (j_beat << 1));
      nbr[at[j]] = i;
      flags[at[j]++] = static_cast<uint8_t>(j_beat | (i_beat << 1));
    }
  }

  ComparisonGraph g;
  g.component.assign(n, -1);
  std::vector<uint32_t> queue;
  queue.reserve(n);
  // Reached from the component's root along "beat" edges (mask 1) or
  // against them (mask 2), stamped with the component number.
  std::vector<int32_t> forward(n, -1), backward(n, -1);
  auto search = [&](uint32_t root, uint8_t mask, std::vector<int32_t>& seen, int32_t id) {
    size_t reached = 0;
    queue.clear();
    queue.push_back(root);
    seen[root] = id;
    for (size_t h = 0; h < queue.size(); ++h) {
      const uint32_t v = queue[h];
      ++reached;
      for (uint64_t e = begin[v]; e < begin[v + 1]; ++e) {
        if (!(flags[e] & mask)) continue;
        const uint32_t u = nbr[e];
        if (seen[u] == id) continue;
        seen[u] = id;
        queue.push_back(u);
      }
    }
    return reached;
  };
  for (int root = 0; root < n; ++root) {
    if (g.component[root] >= 0) continue;
    const int32_t id = g.count++;
    // Undirected search for the component.
    const size_t m = search(static_cast<uint32_t>(root), 3, g.component, id);
    g.size.push_back(static_cast<int32_t>(m));
    if (m == 1) {
      ++g.isolated;
      g.strong.push_back(true);
      continue;
    }
    const bool strong = search(static_cast<uint32_t>(root), 1, forward, id) == m &&
                        search(static_cast<uint32_t>(root), 2, backward, id) == m;
    g.strong.push_back(strong);
  }
  return g;
}

}  // namespace evalsim
