// kemeny: the Kemeny-Young consensus ranking, the strict order pi that
// minimises the total pairwise disagreement with the orders,
//   cost(pi) = sum over pairs (i above j in pi) of d[j][i],
// where d[j][i] is the weight of orders that put j above i (an order puts a
// listed candidate above every candidate it leaves unranked; an order that
// ties two candidates costs the same whichever way pi orders them, so ties
// add nothing). score(i) = n - position of i in pi (the first gets n, the
// position counts from 0).
//
// Exact for n <= exact_max by dynamic programming over subsets (the cheapest
// way to fill the top |S| places with the set S): f(S + c) = min f(S) +
// sum_{j not in S + c} d[j][c], O(2^n n^2) time and O(2^n) memory. When
// several orders are optimal (costs equal within 1e-9 of the total pairwise
// weight), a forward and a backward pass count them and the position in the
// score is the mean position over all of them (so that the scores do not
// depend on the candidates' labels, and candidates that an optimum may swap
// tie); the number is the parameter `optimal_orders` (noted when > 1), and
// `cost` is that of one of them. With no pairwise preference at all every
// order is optimal and every candidate scores (n + 1) / 2. A candidate that
// no order lists is noted; when the orders do not put unranked candidates
// below listed ones it costs nothing wherever it stands, so the exact
// solver gives it the mean of its positions over all optimal orders.
//
// Beyond exact_max, a local search (noted; parameter `approximate` = 1):
// starting from the Copeland order (ties by Borda score), from the Borda
// order, and from `restarts` random orders (seeded from `seed`), repeatedly
// move one candidate to the position that lowers the cost most (insertion
// moves, which include adjacent swaps; one sweep is O(n^2)) until no move
// lowers it, and keep the cheapest result (the first on equal cost); with
// no pairwise preference at all every candidate scores n. The
// result is locally optimal, not necessarily optimal; the parameters
// `cost` and `lower_bound` = sum over pairs of min(d[i][j], d[j][i]) bound
// the gap (`gap` = cost - lower_bound >= cost - optimum).
//
// Parameters
//   exact_max  integer in [0,20]  default 12; largest n solved exactly
//   restarts   integer >= 0       default 8; random starts of the local search
//   seed       integer >= 0       default 0; seed of the random starts
//
// The local search breaks ties between equally good orders by its starting
// orders (Copeland then Borda score, then candidate index), so on profiles
// with several optima its scores can depend on the labels.
//
// Parameters reported: approximate (0/1), cost, lower_bound, gap,
// optimal_orders (exact only) and sweeps (local search only).
#ifndef EVALSIM_MODELS_RANKINGS_KEMENY_H_
#define EVALSIM_MODELS_RANKINGS_KEMENY_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec KemenySpec();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_RANKINGS_KEMENY_H_
