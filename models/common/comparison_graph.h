// The comparison graph of pairwise ballots, shared by bradley_terry,
// hodgerank and rank_centrality: which evaluees are connected by
// comparisons, and whether within each connected part every evaluee can be
// reached from every other along "beat" edges.
#ifndef EVALSIM_MODELS_COMMON_COMPARISON_GRAPH_H_
#define EVALSIM_MODELS_COMMON_COMPARISON_GRAPH_H_

#include <cstdint>
#include <vector>

#include "sim/core/comparisons.h"

namespace evalsim {

// Connected components of the comparison graph (pairs with total weight > 0)
// and, for each, whether its "beat" graph (i -> j when i won against j with
// positive weight) is strongly connected. Components are numbered in the
// order of their lowest evaluee; an evaluee without comparisons is a
// component of its own (counted in `isolated`).
struct ComparisonGraph {
  int count = 0;
  int isolated = 0;
  std::vector<int32_t> component;  // per evaluee
  std::vector<int32_t> size;       // per component
  std::vector<bool> strong;        // per component
  int NotStrong() const;           // components of two or more evaluees not strongly connected
};
ComparisonGraph AnalyseComparisonGraph(const PairwiseBallots& b);

}  // namespace evalsim

#endif  // EVALSIM_MODELS_COMMON_COMPARISON_GRAPH_H_
