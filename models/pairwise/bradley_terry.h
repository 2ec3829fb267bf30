// bradley_terry: maximum-likelihood strengths of the Bradley-Terry model
//
//   P(i beats j) = g_i / (g_i + g_j),   g_i = exp(theta_i),
//
// fitted to the aggregated pairs of PairwiseBallots (a tie is half a win for
// each side, already so in the data).
//
// Fit. method = "mm" (default): the minorisation-maximisation iteration of
//   D. R. Hunter (2004), "MM algorithms for generalized Bradley-Terry
//   models", Annals of Statistics 32(1), eq. (3):
//     g_i <- W_i / sum_j n_ij / (g_i + g_j),
// with W_i the wins of i and n_ij the comparisons of i and j; one pass over
// the aggregated pairs per iteration, every g updated at once. The same pass
// gives the score (gradient of the log-likelihood) W_i - g_i * sum_j
// n_ij / (g_i + g_j), i.e. observed minus expected wins. method = "newton":
// Newton steps in theta, each solving H d = gradient (H = the weighted graph
// Laplacian with edge weights n_ij p_ij (1 - p_ij), the observed information)
// by Jacobi-preconditioned conjugate gradient over the pairs (no matrix is
// formed, so n may be 10^5 and more), with a backtracking line search on the
// log-likelihood. Both stop when every evaluee's observed and expected wins
// differ by less than `tolerance` times its number of comparisons (prior
// included), or after `max_iterations` iterations (noted).
//
// Prior. prior = a > 0 adds, for every evaluee, a wins and a losses against a
// virtual opponent of fixed strength 1 (theta = 0, the average opponent of a
// centred scale): the penalised likelihood has a finite maximum for any data,
// so an undefeated evaluee gets a finite, high score. prior = 0 (default) is
// plain maximum likelihood.
//
// Existence. The maximum-likelihood estimate exists only when, within each
// connected part of the comparison graph, for every split of the evaluees in
// two sets each set beat the other at least once (the directed "beat" graph
// is strongly connected; Hunter 2004, Assumption 1, after Ford 1957). This is
// checked before fitting (breadth-first search forward and backward). When it
// fails and prior = 0, the model does not refuse: it fits with prior =
// `fallback_prior` (default 0.5, the half-count correction) and says so in
// `notes`; the prior used is the parameter "prior".
//
// Scores: theta centred to mean 0 within each connected component of the
// comparison graph (evaluees in different components cannot be compared;
// an evaluee without comparisons scores 0 and has se 0, which are not
// estimates; noted). With a prior the virtual opponent joins every evaluee,
// and theta is centred over all evaluees (an evaluee without comparisons
// then scores the opponent's level).
//
// Standard errors: square roots of the diagonal of the inverse observed
// information at the estimate, under the centring constraint: for a component
// of m evaluees the pseudo-inverse of its information H (H + J/m)^-1 - J/m
// (J = all ones); with a prior, C H^-1 C with C the centring matrix. Exact
// (dense Cholesky) when the system has at most 1000 evaluees; above that
// se_i = 1 / sqrt(H_ii), the standard error of theta_i with the other
// strengths known (an approximation that ignores their uncertainty and the
// centring; noted).
//
// Parameters
//   method          string        "mm" (default) or "newton"
//   acceleration    string        "squarem" (default) or "none"; for method = "mm":
//                                 SQUAREM (Varadhan & Roland 2008, Scand. J. Statist.
//                                 35) on the log-strengths; an extrapolated step is
//                                 kept only when the log-likelihood does not decrease
//                                 (to 1e-12 relative), else the cycle ends on two plain
//                                 MM steps; both converge to the same estimate
//   prior           number >= 0   default 0; pseudo-wins and pseudo-losses of
//                                 each evaluee against the virtual opponent
//   fallback_prior  number > 0    default 0.5; the prior used when the
//                                 maximum-likelihood estimate does not exist
//   tolerance       number > 0    default 1e-10
//   max_iterations  integer >= 1  default 10000 (MM iterations or Newton steps)
//   se              string        "auto" (default: exact up to 1000 evaluees,
//                                 diagonal above), "diagonal" or "none"
//
// Output parameters: iterations (passes over the pairs: MM map evaluations;
// with squarem one in three also evaluates the log-likelihood), converged (0/1), prior, components,
// max_gradient (largest |observed - expected wins| at the estimate), and for
// Newton cg_iterations.
#ifndef EVALSIM_MODELS_PAIRWISE_BRADLEY_TERRY_H_
#define EVALSIM_MODELS_PAIRWISE_BRADLEY_TERRY_H_

#include <cstdint>
#include <vector>

#include "models/spec.h"
#include "sim/core/comparisons.h"

namespace evalsim {

ModelSpec BradleyTerrySpec();

namespace internal {

// The pairs of PairwiseBallots that hold a comparison (total weight > 0), in
// the layout the iterations read: endpoints and the pair's total weight.
struct CompactPairs {
  int n = 0;                   // evaluees
  std::vector<uint32_t> i, j;  // i < j
  std::vector<double> total;   // comparisons of the pair (wins of both sides)
  std::vector<double> wins;    // per evaluee: weighted wins
  std::vector<double> games;   // per evaluee: weighted comparisons
  size_t size() const { return i.size(); }
};
CompactPairs CompactComparisons(const PairwiseBallots& b);

// One MM pass: denom[i] = 2 prior / (g_i + 1) + sum over pairs of
// n_ij / (g_i + g_j). Exposed for the benchmark of one iteration.
void MmDenominators(const CompactPairs& pairs, const std::vector<double>& g, double prior,
                    std::vector<double>* denom);

}  // namespace internal
}  // namespace evalsim

#endif  // EVALSIM_MODELS_PAIRWISE_BRADLEY_TERRY_H_
