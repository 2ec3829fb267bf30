// Rating ballots in a compact, scan-friendly layout.
//
// Every ballot is one 32-bit word: the rater id in the high 24 bits and the
// grade in the low 8 bits (kAbstain for a blank ballot or "don't know").
// Ballots are grouped by (ratee, rater group): slot s = ratee * G + group
// holds words [slot_begin[s], slot_begin[s + 1]). The group of a ballot is
// implied by its slot, so a rubric's pass is one linear scan with no
// lookups. Per-ballot weights are optional (empty = every ballot weighs 1).
//
// Multi-item ballots (a form that grades several items, e.g. 德/能/勤/绩/廉)
// keep the layout above for the ballot's overall grade, when it has one, and
// add the item grades in the same word format in `item_ballot`, item by item:
// item slot (i, ratee, group) = (i * n + ratee) * G + group holds words
// [item_slot_begin[s], item_slot_begin[s + 1]). One item-grade is one 4-byte
// word (plus an 8-byte offset per item slot). Without items every item_*
// vector is empty and nothing else changes.
//
// Rater groups may grade on scales of their own (a public poll's 满意 /
// 基本满意 / 不满意 beside the cadres' 好 / 较好 / 一般 / 差): `scales` lists
// the named scales and `group_scale` gives each group's (-1 = the main scale
// of `grade_labels`). A group's grades are 0..K_g-1 on its own scale, and
// `levels` is the largest K of all scales. A "don't know" ballot (不了解) is
// kDontKnow: recorded, but neither a grade nor a blank. Without named scales
// both vectors are empty and nothing else changes.
#ifndef EVALSIM_SIM_CORE_BALLOTS_H_
#define EVALSIM_SIM_CORE_BALLOTS_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace evalsim {

inline constexpr uint8_t kAbstain = 0xFF;
inline constexpr uint8_t kDontKnow = 0xFE;
// The grade cell of a "don't know" ballot in the ratings CSV.
inline constexpr const char* kDontKnowCell = "dont_know";
inline constexpr int kMaxLevels = 250;
inline constexpr uint32_t kMaxRaters = 1u << 24;
// Where items are named (a model's item_weights), this name means the
// ballot's overall grade, so no item may take it.
inline constexpr const char* kOverallItem = "overall";

constexpr uint32_t PackBallot(uint32_t rater, uint8_t grade) { return (rater << 8) | grade; }
constexpr uint8_t BallotGrade(uint32_t word) { return static_cast<uint8_t>(word & 0xFF); }
constexpr uint32_t BallotRater(uint32_t word) { return word >> 8; }
// Whether a grade byte is a grade (not a blank or a "don't know").
constexpr bool IsGrade(uint8_t grade) { return grade < kMaxLevels; }

// A named scale of some rater groups (see RatingBallots).
struct BallotScale {
  std::string name;
  int levels = 0;                   // K of this scale
  std::vector<std::string> labels;  // optional, size levels, lowest first
  std::string dont_know;            // the "don't know" label (empty = none named)
};

struct RatingBallots {
  int levels = 0;                         // K: grades are 0..K-1, higher is better
  std::vector<std::string> grade_labels;  // optional, size K
  std::vector<std::string> group_names;   // G >= 1 rater groups
  std::vector<double> group_weights;      // default group weights (size G)
  std::vector<std::string> ratee_names;   // size n
  std::vector<std::string> rater_names;   // optional (empty for generated ballots)
  std::vector<uint8_t> rater_group;       // group of every rater (size num_raters)
  uint32_t num_raters = 0;

  std::vector<uint64_t> slot_begin;  // size n * G + 1
  std::vector<uint32_t> ballot;      // packed words
  std::vector<float> weight;         // empty, or one weight per ballot

  std::vector<std::string> item_names;    // I items; empty = one grade per ballot
  std::vector<uint64_t> item_slot_begin;  // size I * n * G + 1 (empty without items)
  std::vector<uint32_t> item_ballot;      // packed words, item-major
  std::vector<float> item_weight;         // empty, or one weight per item ballot

  std::vector<BallotScale> scales;  // named scales; empty = every group on the main scale
  std::vector<int> group_scale;     // size G with scales: index into scales, -1 = main
  int main_levels = 0;              // with scales: K of the main scale (else `levels`)

  int NumRatees() const { return static_cast<int>(ratee_names.size()); }
  int NumGroups() const { return static_cast<int>(group_names.size()); }
  uint64_t NumBallots() const { return ballot.size(); }
  bool Weighted() const { return !weight.empty(); }
  int Slot(int ratee, int group) const { return ratee * NumGroups() + group; }
  std::span<const uint32_t> SlotBallots(int slot) const {
    return {ballot.data() + slot_begin[slot], ballot.data() + slot_begin[slot + 1]};
  }
  float Weight(uint64_t i) const { return weight.empty() ? 1.0f : weight[i]; }
  int NumItems() const { return static_cast<int>(item_names.size()); }
  bool HasItems() const { return !item_names.empty(); }
  bool HasGroupScales() const { return !scales.empty(); }
  // The scale of group g: an index into scales, or -1 for the main scale.
  int ScaleOf(int g) const { return group_scale.empty() ? -1 : group_scale[g]; }
  int MainLevels() const { return scales.empty() ? levels : main_levels; }
  // K of the scale group g grades on.
  int GroupLevels(int g) const {
    return ScaleOf(g) < 0 ? MainLevels() : scales[static_cast<size_t>(ScaleOf(g))].levels;
  }
  int ItemSlot(int item, int ratee, int group) const {
    return (item * NumRatees() + ratee) * NumGroups() + group;
  }
  // Bytes held by the ballot arrays (words, weights, offsets, rater groups).
  uint64_t StorageBytes() const;
  // Checks the invariants above; aborts with a message on violation (a
  // programmer error, not a user error).
  void CheckInvariants() const;
};

// Item `item` of `b` as single-grade ballots (its grades in `ballot`, the
// metadata copied, no items), for a model that scores one item at a time.
RatingBallots ItemSlice(const RatingBallots& b, int item);

// The overall grades of `b` without its items.
RatingBallots OverallSlice(const RatingBallots& b);

}  // namespace evalsim

#endif  // EVALSIM_SIM_CORE_BALLOTS_H_
