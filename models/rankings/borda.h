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
#ifndef EVALSIM_MODELS_RANKINGS_BORDA_H_
#define EVALSIM_MODELS_RANKINGS_BORDA_H_

#include <vector>

#include "models/spec.h"
#include "sim/core/comparisons.h"

namespace evalsim {

ModelSpec BordaSpec();
}  // namespace evalsim

#endif  // EVALSIM_MODELS_RANKINGS_BORDA_H_
