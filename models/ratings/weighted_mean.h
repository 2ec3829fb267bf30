// weighted_mean: points per grade, averaged within each rater group, then
// combined across groups by group weight (groups with no valid vote for an
// evaluee drop out and the remaining weights are renormalised).
//
// Parameters
//   points         [number]          default [0,60,80,100] (K=4), else 0..100
//                                    evenly spaced; points of each grade,
//                                    lowest grade first
//   group_weights  {group = number}  default: the rater groups' `weight`
//                                    (equal for ballot files without groups)
//   veto_share     number in [0,1]   default 1 (off); when the share of
//                                    `veto_grades` among an evaluee's valid
//                                    votes is above it, the score becomes
//                                    `veto_score`
//   veto_grades    [integer]         default [0] (the lowest grade)
//   veto_score     number            default: points of the lowest grade
//
// Abstentions are excluded from every denominator. An evaluee with no valid
// vote scores the lowest grade's points (noted in the output); so does one
// whose valid votes all come from rater groups of weight 0 (noted
// separately), e.g. when every rater is in a group the weights leave out.
#ifndef EVALSIM_MODELS_RATINGS_WEIGHTED_MEAN_H_
#define EVALSIM_MODELS_RATINGS_WEIGHTED_MEAN_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec WeightedMeanSpec();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_RATINGS_WEIGHTED_MEAN_H_
