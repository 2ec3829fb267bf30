// zscore_mean: every rater's grades are standardised by that rater's own mean
// and standard deviation, so that a lenient rater (who gives everyone one
// grade more) and a severe one contribute the same z-scores; an evaluee's
// score is the mean of the z-scores it received, averaged within each rater
// group and then combined across groups by group weight exactly as
// weighted_mean combines group means. Standardising within rater is the
// classic correction for rater leniency and for raters who use different
// parts of the scale (Guilford 1954, "Psychometric Methods", 2nd ed., on
// correcting ratings for the rater's own mean and dispersion).
//
// Parameters
//   points         [number]          default: none (the grades 0..K-1 are
//                                    standardised); when given, the points of
//                                    each grade (lowest first) are
//                                    standardised instead
//   group_weights  {group = number}  default: the rater groups' `weight`
//                                    (equal for ballot files without groups)
//   min_ballots    integer >= 1      default 3; a rater with fewer valid
//                                    ballots is standardised by the pooled
//                                    mean and sd instead of their own
//
// Rater moments. A rater's mean and sd are taken over their valid ballots
// (abstentions and ballots of weight 0 excluded), weighted by ballot weight
// when the ballots carry weights. The sd is the population form (divisor =
// total weight): a rater's ballots are the whole of their own record, not a
// sample from it.
//
// Fallback. A rater with fewer than `min_ballots` valid ballots, or whose
// grades do not vary (sd <= 1e-9 times the spread of the scale's values),
// has no scale of their own to remove: their grades are standardised by the
// pooled mean and sd over all valid ballots instead. The number of such
// raters is reported in a note and per rater in rater_values "fallback"
// (raters with no valid ballot at all count as fallbacks too, though they
// standardise nothing). When the pooled sd is itself zero (every valid ballot
// has the same value) every z-score is 0.
//
// Output. score = group-weighted mean z-score. An evaluee with no valid vote
// scores 0, the pooled mean of z (noted); so does one whose valid votes all
// come from groups of weight 0 (noted separately). se = the sd of the
// evaluee's z-scores over all its valid ballots divided by sqrt(count), using
// the sample sd (divisor count - 1); with ballot weights, the weighted sd and
// Kish's effective count (sum w)^2 / sum w^2 stand in for sd and count. se is
// 0 when the evaluee has fewer than two valid ballots. It describes the spread
// of the z-scores and ignores the group weighting of the score.
// rater_values: "mean", "sd" (the moments each rater was standardised by) and
// "fallback" (1 when those are the pooled moments). parameters: "pooled_mean",
// "pooled_sd", "fallback_raters".
//
// Cost: two linear passes over the ballots (rater moments, then per-evaluee
// means), O(raters) working memory, no allocation per ballot.
#ifndef EVALSIM_MODELS_RATINGS_ZSCORE_MEAN_H_
#define EVALSIM_MODELS_RATINGS_ZSCORE_MEAN_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec ZscoreMeanSpec();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_RATINGS_ZSCORE_MEAN_H_
