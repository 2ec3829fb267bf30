// hodgerank: least-squares ranking on the comparison graph, after
//   X. Jiang, L.-H. Lim, Y. Yao and Y. Ye (2011), "Statistical ranking and
//   combinatorial Hodge theory", Mathematical Programming 127(1), sections
//   2-4.
// Each compared pair (i, j) gives an edge flow Y_ij, the amount by which i
// is preferred to j, and a weight w_ij = the number of comparisons of the
// pair (ties count). The scores s minimise
//   sum over pairs of w_ij (s_i - s_j - Y_ij)^2,
// i.e. solve the graph Laplacian system L s = div Y, L = the weighted
// Laplacian, (div Y)_i = sum_j w_ij Y_ij. The system is solved by conjugate
// gradient with a Jacobi preconditioner, matrix-free over the aggregated
// pairs (one pass per iteration), for all connected components at once (they
// are independent blocks); the solution is centred to mean 0 within each
// component (scores are comparable only within a component; noted when
// there are several). An evaluee without comparisons scores 0 (noted); with
// no comparison at all every evaluee scores 0 (noted). CG stops when
// ||L s - div Y|| <= tolerance * ||div Y||, or after `max_iterations`
// (noted).
//
// Flows (W_ij = wins of i over j, ties half to each, n_ij = W_ij + W_ji):
//   flow = "log_odds" (default): Y_ij = log((W_ij + c) / (W_ji + c)), c =
//          `correction` (default 0.5, Haldane's continuity correction so that
//          a pair won by one side only has a finite flow); the paper's logarithmic
//          odds ratio, on the scale of the Bradley-Terry log-strengths;
//   flow = "difference": Y_ij = (W_ij - W_ji) / n_ij, the paper's binary
//          comparison flow (mean of +1 for a win of i, -1 for a loss).
//
// The residual Y - grad s is the cyclic (locally and globally inconsistent)
// part of the flow. The parameter "cyclic_share" is its weighted share
//   sum w (Y_ij - s_i + s_j)^2 / sum w Y_ij^2:
// 0 for a consistent flow (e.g. any flow on a tree), 1 for a pure cycle (in
// which case every score is 0). With no flow at all (every pair tied) it is
// 0 and noted.
//
// Parameters
//   flow            string        "log_odds" (default) or "difference"
//   correction      number > 0    default 0.5 (log_odds only)
//   tolerance       number > 0    default 1e-10
//   max_iterations  integer >= 1  default 10000
//
// Output parameters: cyclic_share, iterations, converged (0/1),
// relative_residual, components.
#ifndef EVALSIM_MODELS_PAIRWISE_HODGERANK_H_
#define EVALSIM_MODELS_PAIRWISE_HODGERANK_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec HodgeRankSpec();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_PAIRWISE_HODGERANK_H_
