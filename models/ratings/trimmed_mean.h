// trimmed_mean: points per grade, averaged over an evaluee's valid votes after
// dropping the highest and the lowest votes (by grade). Votes are pooled over
// all rater groups: trimming is defined on one evaluee's whole set of votes,
// so this model takes no group weights.
//
// Parameters
//   points      [number]              default [0,60,80,100] (K=4), else 0..100
//                                     evenly spaced; points of each grade,
//                                     lowest grade first
//   trim_count  integer >= 0          default 1; votes dropped from each end
//   trim_share  number in [0, 0.5)    no default; when given, the share of the
//                                     evaluee's valid vote weight dropped from
//                                     each end instead (giving both trim_count
//                                     and trim_share is an error)
//   min_votes   integer >= 0          default 5; trim only an evaluee with more
//                                     than this many valid votes (the sourced
//                                     rule: more than 5 raters drop one highest
//                                     and one lowest, 5 or fewer take the plain
//                                     mean)
//
// Trimming works on the evaluee's grade histogram. With weighted ballots a
// ballot counts as its weight: the vote count compared with min_votes is the
// total valid weight, and trim_count removes that much weight from each end
// (a ballot may be trimmed in part). When trimming would remove every vote
// the untrimmed mean is used (noted in the output). Abstentions are excluded.
// An evaluee with no valid vote scores the lowest grade's points (noted).
#ifndef EVALSIM_MODELS_RATINGS_TRIMMED_MEAN_H_
#define EVALSIM_MODELS_RATINGS_TRIMMED_MEAN_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec TrimmedMeanSpec();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_RATINGS_TRIMMED_MEAN_H_
