#include "sim/core/ballots.h"

#include <cstdio>
#include <cstdlib>

namespace evalsim {

uint64_t RatingBallots::StorageBytes() const {
  return ballot.size() * sizeof(uint32_t) + weight.size() * sizeof(float) +
         slot_begin.size() * sizeof(uint64_t) + rater_group.size();
}

void RatingBallots::CheckInvariants() const {
  auto fail = [](const char* what) {
    std::fprintf(stderr, "evalsim: internal error: RatingBallots: %s\n", what);
    std::abort();
  };
  if (levels < 1 || levels > kMaxLevels) fail("levels out of range");
  if (group_names.empty()) fail("no rater group");
  if (group_weights.size() != group_names.size()) fail("group_weights size");
  if (slot_begin.size() != ratee_names.size() * group_names.size() + 1) fail("slot_begin size");
  if (slot_begin.front() != 0 || slot_begin.back() != ballot.size()) fail("slot_begin ends");
  for (size_t s = 1; s < slot_begin.size(); ++s)
    if (slot_begin[s] < slot_begin[s - 1]) fail("slot_begin not sorted");
  if (!weight.empty() && weight.size() != ballot.size()) fail("weight size");
  if (rater_group.size() != num_raters) fail("rater_group size");
  for (uint32_t w : ballot) {
    const uint8_t g = BallotGrade(w);
    if (g != kAbstain && g >= levels) fail("grade out of range");
    if (BallotRater(w) >= num_raters) fail("rater out of range");
  }
}

}  // namespace evalsim
