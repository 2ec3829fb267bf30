// rank_centrality: the stationary distribution of a random walk on the
// comparison graph, after
//   S. Negahban, S. Oh and D. Shah (2017), "Rank Centrality: ranking from
//   pairwise comparisons", Operations Research 65(1), section 2.
// From evaluee i the walk moves to a neighbour j with probability
//   P(i -> j) = a_ij / d_max,   a_ij = (w_ji + epsilon) / (w_ij + w_ji + 2 epsilon),
// the share of the comparisons of i and j that j won (w_ji: wins of j over
// i, ties half to each), d_max the largest number of distinct opponents of
// any evaluee, and stays with the remaining probability. The walk drifts
// toward evaluees that win, and under the Bradley-Terry model its stationary
// probabilities are proportional to the strengths (the paper's Theorem 1).
//
// The stationary distribution is found by power iteration (pi <- pi P), one
// pass over the aggregated pairs per iteration, from the uniform
// distribution; it stops when no pi_i changes by more than `tolerance` times
// its value in one iteration, or after `max_iterations` (noted).
//
// Connectivity. The walk cannot cross between separate groups of compared
// evaluees, so each group keeps its starting mass and converges to its own
// stationary distribution (scores are comparable only within a group). Within
// a group, an evaluee set that never lost to the rest absorbs the walk: the
// other evaluees get probability 0. With epsilon = 0 (default, the plain
// chain of the paper) such a group is detected before the iteration (as for
// bradley_terry) and the chain is regularised with epsilon = 0.5 instead
// (noted): every compared pair then carries a positive share both ways, the
// chain is irreducible and aperiodic on each group, and pi_i > 0.
//
// Score: score = "log" (default) gives log pi_i centred to mean 0 within its
// group (the scale of the Bradley-Terry log-strengths); "probability" gives
// pi_i normalised to sum 1 within its group. An evaluee without comparisons
// scores 0 ("log") or 1 ("probability").
//
// Parameters
//   epsilon         number >= 0   default 0; pseudo-count added to both
//                                 sides of every compared pair
//   score           string        "log" (default) or "probability"
//   tolerance       number > 0    default 1e-10
//   max_iterations  integer >= 1  default 100000
//
// Output parameters: iterations, converged (0/1), epsilon (the value used),
// d_max, components.
#ifndef EVALSIM_MODELS_PAIRWISE_RANK_CENTRALITY_H_
#define EVALSIM_MODELS_PAIRWISE_RANK_CENTRALITY_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec RankCentralitySpec();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_PAIRWISE_RANK_CENTRALITY_H_
