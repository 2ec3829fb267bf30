// rating_scale: the many-facet Rasch rating-scale model. A ballot of rater j
// on evaluee i falls in grade x = 0..K-1 with probability
//
//   P(x) ∝ exp( sum_{k=1..x} (theta_i - delta_j - tau_k) ),
//
// where theta_i is the evaluee's ability (the score, in logits), delta_j the
// rater's severity and tau_1..tau_{K-1} thresholds shared by the whole scale
// (Andrich 1978, "A rating formulation for ordered response categories",
// Psychometrika 43(4); Wright & Masters 1982, "Rating Scale Analysis", MESA
// Press; raters as a facet: Linacre 1989, "Many-Facet Rasch Measurement",
// MESA Press). With K = 2 it is the dichotomous Rasch model.
//
// Parameters
//   tolerance       number > 0    default 1e-6; the fit stops when no
//                                 estimate moved by more than this (logits)
//                                 in one iteration
//   max_iterations  integer >= 1  default 200; at most this many iterations
//   extreme_adjust  number > 0    default 0.3; score points taken off an
//                                 all-top-grade raw score (added to an
//                                 all-bottom one) before estimating it
//
// Estimation: joint maximum likelihood (JML, Wright & Panchapakesan 1969, "A
// procedure for sample-free item analysis", Educ. Psychol. Meas. 29). Each
// iteration is two passes over the ballots: (i) one Newton step per
// evaluee (gradient = raw score - expected score, Hessian = -sum of the
// model variances of its ballots), (ii) one Newton step per rater and one
// joint Newton step for the thresholds, parametrised by the cumulative sums
// c_x = tau_1 + ... + tau_x of the interior grades (a (K-2)-dimensional
// system solved with Eigen, with the abilities and then the severities
// eliminated by their Schur complements, the severities' taken by its
// diagonal, so that thresholds, abilities and severities move together). A
// connected part of at most 32 evaluees and raters takes instead one joint
// Newton step for all its abilities and severities (a dense system): small
// parts with estimates far apart otherwise converge slowly. The start is
// the fit with every severity 0, which needs only each evaluee's ballot
// weight and raw score. Every step is limited to 1 logit (the largest
// component for the thresholds and for a part's joint step). Ballots
// are weighted as frequency weights; blank and zero-weight ballots are left
// out. JML estimates are known to be spread slightly too wide for short
// tests (Wright & Douglas 1977, "Best procedures for sample-free item
// analysis", Appl. Psychol. Meas. 1); no correction factor is applied.
//
// Identification. The thresholds sum to zero and, within each connected
// part of the ratee-rater graph of the non-extreme ballots (see below), the
// raters' severities sum to zero; with one connected design this is the
// usual sum-to-zero constraint, and with several (e.g. separate meetings)
// each part's raters are taken to be equally severe on average, which a note
// states.
//
// Extreme scores. An evaluee whose ballots are all in the top observed
// grade (or all in the bottom one) has an infinite JML estimate; so does
// such a rater. As in Winsteps and Facets (Linacre, "Winsteps Rasch
// measurement computer program user's guide", EXTRSC; Wright 1998,
// "Estimating measures for extreme scores", Rasch Measurement Transactions
// 12(2)), extreme evaluees and raters are set aside, repeatedly (removing
// them can make others extreme), and the remaining "core" ballots are
// fitted by JML. Each set-aside evaluee is then estimated against the fixed
// severities of all its raters, and each set-aside rater against the fixed
// abilities of the core evaluees it rated, from its raw score moved
// `extreme_adjust` score points inward (at most half the score range) when
// it is extreme. Excluding them keeps the core equations consistent: were
// adjusted scores used on both sides of the same ballots, the evaluees'
// and raters' expected totals could not both match. The counts are noted.
//
// Parts that are not strongly connected. Without extremes, finite JML
// estimates still need every connected part of the core to be strongly
// connected in the directed graph with an edge evaluee -> rater for each
// ballot below the top grade and rater -> evaluee for each one above the
// bottom grade (Fischer 1981, "On the existence and uniqueness of
// maximum-likelihood estimates in the Rasch model", Psychometrika 46(1);
// the argument carries over to ordered grades); otherwise some estimates
// drift apart without end. In each connected part with more than one
// strongly connected component the largest component (ties: the one with
// the smallest evaluee or, after all evaluees, rater index) stays in the
// core and the rest is set aside and estimated after the fit exactly as
// extreme scores are: an evaluee against the fixed severities of all its
// raters, a rater against the fixed abilities of the core evaluees it
// rated. Such a rater's ballots on the core are necessarily all in the top
// or all in the bottom grade (else it would belong to the component), so
// its raw score is moved `extreme_adjust` inward; a rater with no ballot on
// the core gets severity 0 (se 0), as any rater without one, and its
// evaluees are estimated against that. The counts are noted.
//
// Grades nobody used. The model uses only the observed grades, each
// keeping its integer score (a gap in the middle of the scale is a
// structural zero, Andrich's "keep" scoring). The thresholds are estimated
// from the core ballots, or from all valid ballots when the core lacks an
// observed grade. Thresholds below the lowest or above the highest observed
// grade cannot be estimated and are reported as NaN; across a gap the
// thresholds are each reported as the average over the gap; the reported
// finite thresholds sum to zero. When only one grade was used nothing can
// be estimated: every score is 0 (noted).
//
// Output: score = theta (logits), se = 1 / sqrt(sum of model variances over
// the ballots of the evaluee's estimating equation); rater_values
// "severity" (delta) and "severity_se"; parameters "tau_1".."tau_{K-1}",
// "iterations", "converged" (1 or 0). An evaluee with no valid ballot gets
// theta = 0 and se = 0, a rater with no ballot in any estimating equation
// severity 0 and se 0 (noted). Rater groups and group weights are not used:
// each rater's own severity is estimated instead.
//
// Multi-item ballots (`items = "facet"`, the default): items are a third
// facet. Each (rater, item) pair is one element with its own severity and
// every item grade is fitted at once; the item difficulties (parameters
// "difficulty.<item>", centred over the items) are the mean severities of
// the items' elements and a rater's severity is the mean over its elements.
// The overall grades are then not used; `items = "overall"` fits only them.
#ifndef EVALSIM_MODELS_RATINGS_RATING_SCALE_H_
#define EVALSIM_MODELS_RATINGS_RATING_SCALE_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec RatingScaleSpec();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_RATINGS_RATING_SCALE_H_
