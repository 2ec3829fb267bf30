// bayes_shrink: Dirichlet–multinomial empirical Bayes. Each evaluee's grade
// counts n_i (pooled over rater groups, weighted by ballot weight) are read as
// a draw from a multinomial whose grade shares p_i come from a common prior
// Dirichlet(alpha_1..alpha_K). The prior is estimated from all evaluees, and
// each evaluee is scored by the posterior mean of its points: small units,
// whose few votes say little, are pulled toward the grand mean much more than
// large ones. Rater groups are pooled (the model takes no group weights) and
// raters are not told apart.
//
// Estimation of the prior. Marginal maximum likelihood of the Dirichlet–
// multinomial (Pólya) distribution by Minka's fixed-point iteration
// (T. Minka 2000, "Estimating a Dirichlet distribution", section on the
// Pólya distribution):
//   alpha_k <- alpha_k * sum_i [psi(n_ik + alpha_k) - psi(alpha_k)]
//                      / sum_i [psi(N_i + A) - psi(A)],   A = sum_k alpha_k,
// started from the method-of-moments estimate and accelerated by SQUAREM
// (R. Varadhan & C. Roland 2008, "Simple and globally convergent methods for
// accelerating the convergence of any EM algorithm"), which extrapolates
// along two plain steps and keeps the result only if the likelihood did not
// fall; the plain iteration alone needs thousands of steps when A is in the
// hundreds. Convergence: a plain step changes no alpha_k by more than
// `tolerance`, relatively.
//
// The moment estimate takes the prior mean m_k = sum_i n_ik / sum_i N_i and
// the prior strength A from the spread of the evaluees' shares about m,
// using the Dirichlet–multinomial variances (Mosimann 1962, "On the
// compound multinomial distribution, the multivariate beta-distribution, and
// correlations among proportions"): with S = sum_i sum_k (n_ik - N_i m_k)^2
// / N_i, B = 1 - sum_k m_k^2 and R = S / B, equating S to its expectation
// gives A = (N - Q - R) / (R - (n - 1)), where N = sum_i N_i,
// Q = sum_i N_i^2 / N and n the number of evaluees with a vote. When the
// iteration does not converge within `max_iterations` (or `estimator` =
// "moments"), the moment estimate is used; a note and the parameter
// "estimator_mle" (1 or 0) say which ran. Evaluees with no valid vote carry
// no information about the prior and are left out of both estimators.
// The iteration runs on the distinct values of n_ik and N_i with their
// multiplicities, so an iteration costs O(distinct counts), not O(n K).
//
// Degenerate data. alpha is kept in [1e-6, 1e6]: a grade nobody used gets
// alpha = 1e-6 (it cannot be estimated to be used); when the evaluees differ
// no more than sampling noise (identical counts, or less spread than a
// multinomial gives), the estimate of A runs to infinity, and alpha is scaled down
// to at most 1e6 keeping its proportions, so that every evaluee scores (very
// nearly) the grand mean. With fewer than two evaluees with a vote nothing can
// be estimated: the prior is flat, alpha_k = 1 (noted).
//
// Score of evaluee i: posterior Dirichlet(alpha + n_i); score = posterior mean
// of the points, sum_k points_k (alpha_k + n_ik) / (A + N_i); se = posterior sd
// of the points, sqrt((sum_k c_k^2 m_k - (sum_k c_k m_k)^2) / (A + N_i + 1))
// with c = points and m the posterior mean shares. An evaluee with no valid
// vote scores the prior mean (noted).
//
// Parameters
//   points          [number]              default [0,60,80,100] (K=4), else
//                                         0..100 evenly spaced
//   estimator       "mle" | "moments"     default "mle"
//   max_iterations  integer >= 1          default 1000 (fixed-point steps,
//                                         extrapolated ones included)
//   tolerance       number > 0            default 1e-9 (largest relative
//                                         change of an alpha_k at convergence)
//
// parameters: "alpha_0".."alpha_{K-1}", "prior_strength" (A), "estimator_mle",
// "iterations" (fixed-point steps taken), "evaluees_used".
#ifndef EVALSIM_MODELS_RATINGS_BAYES_SHRINK_H_
#define EVALSIM_MODELS_RATINGS_BAYES_SHRINK_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec BayesShrinkSpec();

// Special functions of the fit, exposed for testing.
namespace bayes_shrink_internal {

// The digamma function psi(x) = d/dx ln Gamma(x) for x > 0 (NaN otherwise):
// the recurrence psi(x) = psi(x + 1) - 1/x lifts x to at least 10, where the
// asymptotic series ln x - 1/(2x) - sum_k B_2k / (2k x^2k) through x^-14 is
// accurate to about 1e-16 absolute.
double Digamma(double x);

// ln Gamma(x) for x > 0 (NaN otherwise): the recurrence ln Gamma(x) =
// ln Gamma(x + 1) - ln x lifts x to at least 10, then Stirling's series
// through x^-13. Used instead of std::lgamma, which writes the global
// `signgam` and so is not safe to call from several threads.
double LogGamma(double x);

}  // namespace bayes_shrink_internal

}  // namespace evalsim

#endif  // EVALSIM_MODELS_RATINGS_BAYES_SHRINK_H_
