#include "sim/core/ballots.h"

#include <cstdio>
#include <cstdlib>

#include "sim/core/check.h"

namespace evalsim {

uint64_t RatingBallots::StorageBytes() const {
  return ballot.size() * sizeof(uint32_t) + weight.size() * sizeof(float) +
         slot_begin.size() * sizeof(uint64_t) + rater_group.size() +
         item_ballot.size() * sizeof(uint32_t) + item_weight.size() * sizeof(float) +
         item_slot_begin.size() * sizeof(uint64_t);
}

namespace {

// `b`'s metadata without any ballot.
RatingBallots MetadataOf(const RatingBallots& b) {
  RatingBallots out;
  out.levels = b.levels;
  out.grade_labels = b.grade_labels;
  out.group_names = b.group_names;
  out.group_weights = b.group_weights;
  out.ratee_names = b.ratee_names;
  out.rater_names = b.rater_names;
  out.rater_group = b.rater_group;
  out.num_raters = b.num_raters;
  out.scales = b.scales;
  out.group_scale = b.group_scale;
  out.main_levels = b.main_levels;
  return out;
}

}  // namespace

RatingBallots ItemSlice(const RatingBallots& b, int item) {
  EVALSIM_CHECK(item >= 0 && item < b.NumItems(), "ItemSlice: item out of range");
  RatingBallots out = MetadataOf(b);
  const size_t slots = static_cast<size_t>(b.NumRatees()) * b.NumGroups();
  const size_t first = static_cast<size_t>(item) * slots;
  const uint64_t base = b.item_slot_begin[first], end = b.item_slot_begin[first + slots];
  out.slot_begin.resize(slots + 1);
  for (size_t s = 0; s <= slots; ++s) out.slot_begin[s] = b.item_slot_begin[first + s] - base;
  out.ballot.assign(b.item_ballot.begin() + static_cast<ptrdiff_t>(base),
                    b.item_ballot.begin() + static_cast<ptrdiff_t>(end));
  if (!b.item_weight.empty())
    out.weight.assign(b.item_weight.begin() + static_cast<ptrdiff_t>(base),
                      b.item_weight.begin() + static_cast<ptrdiff_t>(end));
  return out;
}

RatingBallots OverallSlice(const RatingBallots& b) {
  RatingBallots out = MetadataOf(b);
  out.slot_begin = b.slot_begin;
  out.ballot = b.ballot;
  out.weight = b.weight;
  return out;
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
  EVALSIM_CHECK(scales.empty() ? group_scale.empty() : group_scale.size() == group_names.size(),
                "RatingBallots: group_scale size");
  for (int g : group_scale)
    EVALSIM_CHECK(g >= -1 && g < static_cast<int>(scales.size()), "RatingBallots: group_scale");
  if (!item_names.empty()) {
    EVALSIM_CHECK(
        item_slot_begin.size() == item_names.size() * ratee_names.size() * group_names.size() + 1,
        "RatingBallots: item_slot_begin size");
    EVALSIM_CHECK(item_slot_begin.front() == 0 && item_slot_begin.back() == item_ballot.size(),
                  "RatingBallots: item_slot_begin ends");
    EVALSIM_CHECK(item_weight.empty() || item_weight.size() == item_ballot.size(),
                  "RatingBallots: item_weight size");
  } else {
    EVALSIM_CHECK(item_slot_begin.empty() && item_ballot.empty(), "RatingBallots: stray items");
  }
  for (uint32_t w : item_ballot) {
    const uint8_t g = BallotGrade(w);
    EVALSIM_CHECK(!(IsGrade(g) && g >= levels), "RatingBallots: item grade out of range");
    EVALSIM_CHECK(BallotRater(w) < num_raters, "RatingBallots: item rater out of range");
  }
  for (uint32_t w : ballot) {
    const uint8_t g = BallotGrade(w);
    EVALSIM_CHECK(!(IsGrade(g) && g >= levels), "RatingBallots: grade out of range");
    EVALSIM_CHECK(BallotRater(w) < num_raters, "RatingBallots: rater out of range");
  }
}

}  // namespace evalsim
