// The pairwise tally of weak orders that borda, copeland, schulze and kemeny
// share: unranked candidates are below every listed one and tied among
// themselves, as in sim/core/comparisons.h, when the orders say so
// (unranked_below), and not compared otherwise.
#ifndef EVALSIM_MODELS_COMMON_RANKING_TALLY_H_
#define EVALSIM_MODELS_COMMON_RANKING_TALLY_H_

#include <cstdint>
#include <vector>

#include "sim/core/comparisons.h"

namespace evalsim {

// Pairwise tally of weak orders, row-major n x n.
struct RankingTally {
  int n = 0;
  // beats[i * n + j]: weight of orders that put i strictly above j (a listed
  // candidate is above every candidate the order leaves unranked).
  std::vector<double> beats;
  // ties[i * n + j]: weight of orders that list i and j in one tier (only
  // when requested; two unranked candidates are not counted as compared).
  std::vector<double> ties;
  // listed[i]: number of orders (not weight) that list i.
  std::vector<int64_t> listed;

  double Beats(int i, int j) const { return beats[static_cast<size_t>(i) * n + j]; }
  // True when some order compared i and j (one of them listed).
  bool Met(int i, int j) const;
  // Candidates that no order lists.
  int NeverListed() const;
};

// O(sum over orders of listed x n). `with_ties` also fills `ties`.
RankingTally TallyRankings(const RankingBallots& b, bool with_ties);

}  // namespace evalsim

#endif  // EVALSIM_MODELS_COMMON_RANKING_TALLY_H_
