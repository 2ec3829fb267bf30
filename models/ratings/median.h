// median: the points of an evaluee's weighted median grade, with votes pooled
// over all rater groups (a median of group medians has no clean weighting, so
// this model takes no group weights). When the cumulative weight reaches
// exactly half at a grade boundary (an even split) the score is the mean of
// the points of the two middle grades.
//
// Parameters
//   points  [number]  default [0,60,80,100] (K=4), else 0..100 evenly spaced;
//                     points of each grade, lowest grade first
//
// Tie-break: the pooled mean points of the evaluee's valid votes (medians tie
// often on a four-grade scale). Abstentions are excluded. An evaluee with no
// valid vote scores the lowest grade's points, tie-break included (noted).
#ifndef EVALSIM_MODELS_RATINGS_MEDIAN_H_
#define EVALSIM_MODELS_RATINGS_MEDIAN_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec MedianSpec();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_RATINGS_MEDIAN_H_
