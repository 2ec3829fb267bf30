// rater_adjusted: the additive two-way model
//
//   y = mu_c + a(ratee) + b(rater) + e
//
// fitted by weighted least squares over the valid ballots (blank and
// zero-weight ballots are left out; the ballot weight is the least-squares
// weight). y is the grade 0..K-1 when `points` is absent, and the points of
// the grade when `points` is given. A rater's effect b is their leniency on
// this scale: b > 0 grades everybody higher than the average rater does.
// This is the two-way classification with unequal subclass numbers of
// Searle (1971, "Linear Models", Wiley), as fitted to worker-firm data with
// two high-dimensional effects by Abowd, Creecy & Kramarz (2002, "Computing
// person and firm effects using linked longitudinal employer-employee data",
// US Census Bureau TP-2002-06).
//
// Parameters
//   points          [number]     default: absent (the model works on grades
//                                0..K-1); when given, one value per grade,
//                                lowest grade first, and y is the points
//   tolerance       number > 0   default 1e-10; convergence threshold on the
//                                relative change (defined below)
//   max_iterations  integer >= 1 default 1000; conjugate-gradient iterations
//                                (each reads the ballots twice)
//
// Identification. The effects are identified only within a connected
// component of the ratee-rater graph (models/common/connectivity.h). Within each
// component c the constraints are
//   sum over the component's ratees of a = 0 and
//   sum over the component's raters of b = 0 (unweighted sums; raters
//   without a valid ballot have b = 0 and take no part),
// and every component has its own mu_c. For a connected design this is the
// usual sum-to-zero parametrisation. The score is mu_c + a_i, so a complete
// design without rater effects gives back each evaluee's (weighted) mean.
// Between components the rater effects are not comparable: each component
// keeps its own mean level mu_c, i.e. its average rater is taken to be
// neutral; scores then compare exactly within a component and across
// components only through their means. A note says so when there is more
// than one component; the fit of each component equals fitting it alone.
// An evaluee with no valid ballot scores the weighted mean of all valid
// ballots (the mean of the scale values when there is none), with a note.
//
// Solver. Write s_i = mu_c + a_i for the ratee levels (the scores). Absorbing the rater
// effects leaves the ratee system
//   T s = D_a s - N D_b^-1 N' s = r_a - N D_b^-1 r_b,
// where D_a, D_b are the summed weights per ratee and per rater, N is the
// weighted ratee-by-rater incidence and r_a, r_b the weighted sums of y: T
// is a weighted graph Laplacian on the ratees, never formed. One sweep of
// backfitting (b <- rater means of y - s, then s <- ratee means of y - b;
// block Gauss-Seidel on the normal equations: Buja, Hastie & Tibshirani
// 1989, "Linear smoothers and additive models", Ann. Statist. 17(2);
// Guimaraes & Portugal 2010, "A simple feasible procedure to fit models
// with high-dimensional fixed effects", Stata J. 10(4)) is exactly the
// Jacobi-preconditioned Richardson step s <- s + D_a^-1 (rhs - T s). This model runs
// preconditioned conjugate gradients (Hestenes & Stiefel 1952, "Methods of
// conjugate gradients for solving linear systems", J. Res. NBS 49) with the
// same preconditioner D_a instead: the same work per iteration, but the
// error falls like ((sqrt(k) - 1) / (sqrt(k) + 1))^t instead of about
// (1 - 1/k)^t for condition number k. That matters for the weakly linked
// designs of real appraisals (meetings joined by a few shared raters),
// where plain backfitting crawls (Gaure 2013, "OLS with multiple high
// dimensional category variables", CSDA 66); a long chain of weakly linked
// meetings can still need many iterations (see Convergence).
// The system is solved over the ratees rather than the raters because
// raters usually outnumber evaluees (10^6 against 10^5 in a municipality),
// so the solver's vectors stay small. Applying T takes two gathering passes
// and no scatter: rater means of s over a rater-major copy of the valid
// ballots (built once, 4 bytes per ballot, 8 when weighted), then
// per-ratee sums of those means over the ballots in their own order.
// T is singular (constant s per component): the right-hand side lies in
// its range, and the residual is projected back onto the range every
// iteration to stop rounding drift. The start is b = 0 (s = each ratee's
// mean); at the end b is formed from s, centred per component, and s is
// refitted given b. Memory: the rater-major copy and a few vectors of size
// ratees and raters; no dense matrix.
//
// Convergence. z = D_a^-1 (rhs - T s) is the change one more backfitting
// sweep would make to the ratee levels. Iteration stops when its
// D_a-weighted norm, relative to the same norm at the start (where z is
// the correction for rater leniency of the first sweep), is below
// `tolerance`, or when it reaches the rounding level of the data.
// `parameters` reports iterations, converged (1/0) and relative_change; a
// note says when the fit did not converge (the scores are then those of the
// last iterate). Well-linked designs (random crossing, or separate
// meetings) converge in under ten iterations; a long chain of meetings each
// linked to the next by a few raters has a condition number that grows
// with the square of the chain's length and may need more than the
// default max_iterations.
//
// Standard errors: se_i = sigma_e / sqrt(W_i), with W_i the summed weight of
// ratee i's valid ballots, is the conditional standard error of mu_c + a_i
// given the rater effects (their estimation uncertainty is ignored, so it
// understates the error when raters have few ballots). One sigma_e is
// pooled over all components:
//   sigma_e^2 = RSS / (N - n_ratees - n_raters + components),
// with RSS the weighted residual sum of squares, N the number of valid
// ballots and n_ratees, n_raters those with a valid ballot. When the
// denominator is <= 0 (no residual degrees of freedom), and for an evaluee
// with no valid ballot, se is 0.
//
// Output: rater_values {"effect", b} (0 for raters with no valid ballot);
// parameters iterations, converged, relative_change, components (those with
// a valid ballot), unrated_ratees, sigma_e, df.
//
// Split replicates (ModelInput::part, `run --split-replicates`). Each
// process fits its part's ratees and raters; every component lies within
// one part, so the per-component sums and centring stay local. The sums
// over all ratees (the weights and weighted means, the solver's two inner
// products per iteration, the residual sum of squares) continue from the
// previous part's partial sum in ratee order (Distribution::ChainSum), and
// the counts are summed: every process then takes the same steps on the
// same numbers, and its ratees' scores and raters' effects are bit for bit
// those of the one-process fit.
#ifndef EVALSIM_MODELS_RATINGS_RATER_ADJUSTED_H_
#define EVALSIM_MODELS_RATINGS_RATER_ADJUSTED_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec RaterAdjustedSpec();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_RATINGS_RATER_ADJUSTED_H_
