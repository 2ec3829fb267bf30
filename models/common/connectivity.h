// Connected components of the bipartite ratee-rater graph of the valid
// ballots: ratee i and rater j are joined when j cast a valid ballot on i.
// Two evaluees in different components share no chain of raters, so any
// model with a rater effect can compare them only through an assumption
// about the components' levels (Weeks & Williams 1964, "A note on the
// determination of connectedness in an N-way cross classification",
// Technometrics 6(3)).
//
// One pass over the ballot words with the union-find forest of
// models/common/union_find.h: O(ballots * alpha) time, O(ratees + raters)
// memory.
#ifndef EVALSIM_MODELS_COMMON_CONNECTIVITY_H_
#define EVALSIM_MODELS_COMMON_CONNECTIVITY_H_

#include <cstdint>
#include <vector>

#include "sim/core/ballots.h"

namespace evalsim {

// A ballot carries information when it is not blank and, in a weighted
// ballot set, its weight is positive (a zero-weight ballot adds nothing to
// any weighted fit, so it must not join components either).
inline bool IsValidBallot(const RatingBallots& b, uint64_t i) {
  return BallotGrade(b.ballot[i]) < b.levels && (!b.Weighted() || b.weight[i] > 0.0f);
}

struct RaterRateeComponents {
  // Components that hold at least one valid ballot, numbered 0..count-1 in
  // the order of their lowest-numbered ratee (deterministic).
  int count = 0;
  std::vector<int32_t> ratee;      // component of each ratee; -1 when it has no valid ballot
  std::vector<int32_t> rater;      // component of each rater; -1 when it cast no valid ballot
  std::vector<int32_t> ratees_in;  // number of ratees in each component
  std::vector<int32_t> raters_in;  // number of raters in each component
  // Valid ballots of each ratee and of each rater (the node degrees, with
  // repeated ratee-rater pairs counted each time): what a model needs to lay
  // out a rater-major copy of the ballots without another counting pass.
  std::vector<uint32_t> ratee_degree;
  std::vector<uint32_t> rater_degree;
};

RaterRateeComponents ConnectedComponents(const RatingBallots& ballots);

}  // namespace evalsim

#endif  // EVALSIM_MODELS_COMMON_CONNECTIVITY_H_
