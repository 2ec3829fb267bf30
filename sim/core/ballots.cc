#include "sim/core/ballots.h"

#include <cstdio>
#include <cstdlib>

#include "sim/core/check.h"

namespace evalsim {

uint64_t RatingBallots::StorageBytes() const {
  return ballot.size() * sizeof(uint32_t) + weight.size() * sizeof(float) +
         slot_begin.size() * sizeof(uint64_t) + rater_group.size();
}

void RatingBallots::CheckInvariants() const {
  EVALSIM_CHECK(!(levels < 1 || levels > kMaxLevels), "RatingBallots: levels out of range");
  EVALSIM_CHECK(!group_names.empty(), "RatingBallots: no rater group");
  EVALSIM_CHECK(group_weights.size() == group_names.size(), "RatingBallots: group_weights size");
  EVALSIM_CHECK(slot_begin.size() == ratee_names.size() * group_names.size() + 1,
                "RatingBallots: slot_begin size");
  EVALSIM_CHECK(!(slot_begin.front() != 0 || slot_begin.back() != ballot.size()),
                "RatingBallots: slot_begin ends");
  for (size_t s = 1; s < slot_begin.size(); ++s)
    EVALSIM_CHECK(slot_begin[s] >= slot_begin[s - 1], "RatingBallots: slot_begin not sorted");
  EVALSIM_CHECK(!(!weight.empty() && weight.size() != ballot.size()), "RatingBallots: weight size");
  EVALSIM_CHECK(rater_group.size() == num_raters, "RatingBallots: rater_group size");
  for (uint32_t w : ballot) {
    const uint8_t g = BallotGrade(w);
    EVALSIM_CHECK(!(g != kAbstain && g >= levels), "RatingBallots: grade out of range");
    EVALSIM_CHECK(BallotRater(w) < num_raters, "RatingBallots: rater out of range");
  }
}

}  // namespace evalsim
