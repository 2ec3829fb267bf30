// copeland: pairwise majority contests from weak orders. For every two
// candidates i and j, i wins the contest when more (weighted) orders put i
// above j than j above i (an order puts a listed candidate above every
// candidate it leaves unranked; orders that tie i and j, or leave both
// unranked, count for neither). The score is
//   wins + tie_score * ties
// over the contests that took place. A contest takes place when at least one
// order lists i or j; a pair that no order compared is neither a win nor a
// tie (the number of such pairs is noted). A candidate that no order lists
// takes part in no contest when the orders do not put unranked candidates
// below listed ones, and scores 0; with no order at all every candidate
// scores 0 (both noted).
//
// Parameters
//   tie_score  number in [0,1]  default 0.5; what a drawn contest is worth
//                               (0.5: the Copeland score most often used;
//                               0: Copeland's original wins-only count;
//                               1: Llull's rule)
//
// A Condorcet winner (wins every contest) is reported as the parameter
// `condorcet_winner` (its index; -1 when there is none). Cost: the pairwise
// tally, O(sum over orders of listed x n), then O(n^2).
#ifndef EVALSIM_MODELS_RANKINGS_COPELAND_H_
#define EVALSIM_MODELS_RANKINGS_COPELAND_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec CopelandSpec();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_RANKINGS_COPELAND_H_
