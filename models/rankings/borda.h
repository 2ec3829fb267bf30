// borda: the Borda count of weak orders, in its pairwise form. In each order
// a listed candidate gets one point for every candidate it beats (every
// listed candidate in a lower tier and every unranked one) and half a point
// for every candidate it ties with (the others in its tier); points are
// weighted by the order's count and summed. For strict complete orders this
// is the classic count n-1, n-2, ..., 0, and it always equals the row sums
// of the pairwise matrix with ties split half each way.
//
// Parameters
//   unranked  "tied" | "zero"  default "tied"; how candidates an order leaves
//                              unranked score in that order: "tied" = tied
//                              among themselves below every listed candidate
//                              (each gets (u - 1) / 2 for u unranked), "zero"
//                              = no point (a truncated ballot gives nothing to
//                              the candidates it omits)
//
// Orders a rater formed over the evaluees it saw (RankingBallots::
// unranked_below false: converted from ratings, or generated per meeting)
// say nothing of the others: they get no point from that order and `unranked`
// does not apply. Such Borda counts grow with the number of evaluees a
// candidate was ranked against, so compare them within one meeting.
//
// Cost O(total listed positions + orders) for the scores; no n x n matrix.
// Candidates no order lists are noted.
//
// This header also holds the pairwise tally of weak orders that borda,
// copeland, schulze and kemeny share (RankingTally): unranked candidates are
// below every listed one and tied among themselves, as in sim/comparisons.h,
// when the orders say so (unranked_below), and not compared otherwise.
#ifndef EVALSIM_MODELS_RANKINGS_BORDA_H_
#define EVALSIM_MODELS_RANKINGS_BORDA_H_

#include <vector>

#include "models/spec.h"
#include "sim/core/comparisons.h"

namespace evalsim {

ModelSpec BordaSpec();

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

#endif  // EVALSIM_MODELS_RANKINGS_BORDA_H_
