#include "sim/io/ratings_columns.h"

#include <fmt/format.h>

#include <cfloat>
#include <climits>
#include <cmath>
#include <map>
#include <utility>

#include "sim/core/errors.h"
#include "sim/core/text.h"

namespace evalsim {
namespace {

constexpr size_t kMaxGroupCount = 256;  // rater_group holds one byte

// Codes of one name column renumbered in order of first appearance.
struct Renumbered {
  std::vector<uint32_t> id_of_code;  // UINT32_MAX: not seen yet
  std::vector<std::string> names;    // by new id
};

class ColumnsBuilder {
 public:
  ColumnsBuilder(const RatingColumns& c, const RatingsReadOptions& o) : c_(c), o_(o) {}
  RatingBallots Build();

 private:
  [[noreturn]] void Fail(size_t row, std::string_view column, const std::string& what) const {
    throw InputError(fmt::format("{}: row {}: column '{}': {}", c_.source, row, column, what));
  }
  void CheckShape() const;
  uint32_t Id(size_t row, const NumberColumn& col, std::string_view column,
              const std::vector<std::string>& names, Renumbered& r, size_t limit);
  uint8_t Grade(size_t row) const;
  float Weight(size_t row) const;
  void ReadRows(RatingBallots& b);
  void Place(RatingBallots& b);
  void CheckRepeats(const RatingBallots& b) const;

  const RatingColumns& c_;
  const RatingsReadOptions& o_;
  size_t rows_ = 0;
  int max_allowed_ = kMaxLevels - 1, max_grade_ = -1;
  Renumbered raters_, ratees_, groups_;
  std::vector<size_t> rater_first_row_;
};

void ColumnsBuilder::CheckShape() const {
  if (o_.levels && (*o_.levels < 1 || *o_.levels > kMaxLevels))
    throw InputError(
        fmt::format("levels: found {}; expected an integer in [1, {}]", *o_.levels, kMaxLevels));
  for (const auto& [col, name] :
       {std::pair{&c_.rater, "rater"}, {&c_.ratee, "ratee"}, {&c_.grade, "grade"}}) {
    if (!col->Present())
      throw InputError(
          fmt::format("{}: missing column '{}'; expected rater, ratee, grade and "
                      "optionally group, weight",
                      c_.source, name));
  }
  for (const NumberColumn* col : {&c_.ratee, &c_.grade, &c_.group, &c_.weight}) {
    if (col->Present() && col->size != c_.rater.size)
      throw InputError(fmt::format("{}: columns of different lengths ({} and {} rows)", c_.source,
                                   c_.rater.size, col->size));
  }
  if (c_.rater.size == 0)
    throw InputError(fmt::format("{}: no ballot rows; expected at least one", c_.source));
}

uint32_t ColumnsBuilder::Id(size_t row, const NumberColumn& col, std::string_view column,
                            const std::vector<std::string>& names, Renumbered& r, size_t limit) {
  const double code = col.At(row);
  if (code < 0 || std::isnan(code)) Fail(row, column, "found a missing value; expected a name");
  if (code >= static_cast<double>(names.size()) || code != std::floor(code))
    Fail(row, column, fmt::format("code {} names no entry of {} names", code, names.size()));
  const auto k = static_cast<size_t>(code);
  if (r.id_of_code.empty()) r.id_of_code.assign(names.size(), UINT32_MAX);
  if (r.id_of_code[k] != UINT32_MAX) return r.id_of_code[k];
  const std::string& name = names[k];
  if (name.empty()) Fail(row, column, "found an empty name; expected a name");
  if (!IsValidUtf8(name)) Fail(row, column, "found a name that is not UTF-8 text");
  if (r.names.size() >= limit)
    Fail(row, column,
         fmt::format("found more than {} distinct names; the limit is {}", limit, limit));
  r.id_of_code[k] = static_cast<uint32_t>(r.names.size());
  r.names.push_back(name);
  return r.id_of_code[k];
}

uint8_t ColumnsBuilder::Grade(size_t row) const {
  const double g = c_.grade.At(row);
  if (std::isnan(g)) return kAbstain;
  if (g < 0 || g > max_allowed_ || g != std::floor(g)) {
    Fail(row, "grade",
         fmt::format("found {}; expected an integer 0..{} (0 = the lowest grade{}) or NaN "
                     "(abstention)",
                     g, max_allowed_,
                     o_.levels ? fmt::format(", levels = {}", *o_.levels) : std::string()));
  }
  return static_cast<uint8_t>(g);
}

float ColumnsBuilder::Weight(size_t row) const {
  const double w = c_.weight.At(row);
  if (std::isnan(w)) return 1.0f;
  if (!std::isfinite(w) || w < 0.0 || w > FLT_MAX)
    Fail(row, "weight", fmt::format("found {}; expected a finite number >= 0", w));
  return w == 0.0 ? 0.0f : static_cast<float>(w);  // no -0
}

// Checks every row, numbers the names and each rater's group, and counts
// the ballots of each slot into b.slot_begin.
void ColumnsBuilder::ReadRows(RatingBallots& b) {
  if (!c_.group.Present()) groups_.names = {"all"};
  for (size_t i = 0; i < rows_; ++i) {
    const uint32_t rater = Id(i, c_.rater, "rater", c_.rater_names, raters_, kMaxRaters);
    Id(i, c_.ratee, "ratee", c_.ratee_names, ratees_, SIZE_MAX);
    const uint32_t group =
        c_.group.Present() ? Id(i, c_.group, "group", c_.group_names, groups_, kMaxGroupCount) : 0;
    if (rater == b.rater_group.size()) {
      b.rater_group.push_back(static_cast<uint8_t>(group));
      rater_first_row_.push_back(i);
    } else if (b.rater_group[rater] != group) {
      Fail(i, "group",
           fmt::format("rater \"{}\" is in group \"{}\" here but in group \"{}\" on row {}; a "
                       "rater belongs to one group",
                       raters_.names[rater], groups_.names[group],
                       groups_.names[b.rater_group[rater]], rater_first_row_[rater]));
    }
    const uint8_t grade = Grade(i);
    if (grade != kAbstain && grade > max_grade_) max_grade_ = grade;
    if (c_.weight.Present()) Weight(i);
  }
}

// Lays the ballots out slot by slot, in row order within a slot (a
// counting sort, as the CSV reader does).
void ColumnsBuilder::Place(RatingBallots& b) {
  const uint64_t G = groups_.names.size();
  const uint64_t num_slots = ratees_.names.size() * G;
  if (num_slots > static_cast<uint64_t>(INT_MAX))
    throw InputError(fmt::format("{}: {} ratees x {} groups is too many slots; the limit is {}",
                                 c_.source, ratees_.names.size(), G, INT_MAX));
  const auto slot = [&](size_t i) {
    const uint32_t rater = raters_.id_of_code[static_cast<size_t>(c_.rater.At(i))];
    return ratees_.id_of_code[static_cast<size_t>(c_.ratee.At(i))] * G + b.rater_group[rater];
  };
  b.slot_begin.assign(num_slots + 1, 0);
  for (size_t i = 0; i < rows_; ++i) ++b.slot_begin[slot(i) + 1];
  for (size_t s = 0; s < num_slots; ++s) b.slot_begin[s + 1] += b.slot_begin[s];
  std::vector<uint64_t> next(b.slot_begin.begin(), b.slot_begin.end() - 1);
  b.ballot.resize(rows_);
  if (c_.weight.Present()) b.weight.resize(rows_);
  for (size_t i = 0; i < rows_; ++i) {
    const uint64_t at = next[slot(i)]++;
    b.ballot[at] = PackBallot(raters_.id_of_code[static_cast<size_t>(c_.rater.At(i))], Grade(i));
    if (c_.weight.Present()) b.weight[at] = Weight(i);
  }
}

// A rater has one group, so a repeated (rater, ratee) pair lies within one
// slot; the rows are looked for only when there is one.
void ColumnsBuilder::CheckRepeats(const RatingBallots& b) const {
  std::vector<uint64_t> seen_in_slot(b.num_raters, UINT64_MAX);
  bool repeat = false;
  for (uint64_t s = 0; s + 1 < b.slot_begin.size() && !repeat; ++s) {
    for (uint64_t at = b.slot_begin[s]; at < b.slot_begin[s + 1]; ++at) {
      const uint32_t rater = BallotRater(b.ballot[at]);
      if (seen_in_slot[rater] == s) repeat = true;
      seen_in_slot[rater] = s;
    }
  }
  if (!repeat) return;
  std::map<std::pair<int64_t, int64_t>, size_t> first;
  for (size_t i = 0; i < rows_; ++i) {
    const auto key =
        std::pair{static_cast<int64_t>(c_.rater.At(i)), static_cast<int64_t>(c_.ratee.At(i))};
    const auto [it, fresh] = first.emplace(key, i);
    if (!fresh) {
      Fail(i, "ratee",
           fmt::format("rater \"{}\" rates ratee \"{}\" again (first on row {}); a rater rates "
                       "each ratee at most once",
                       c_.rater_names[key.first], c_.ratee_names[key.second], it->second));
    }
  }
}

RatingBallots ColumnsBuilder::Build() {
  CheckShape();
  rows_ = c_.rater.size;
  if (o_.levels) max_allowed_ = *o_.levels - 1;
  RatingBallots b;
  ReadRows(b);
  if (o_.levels) {
    b.levels = *o_.levels;
  } else if (max_grade_ < 0) {
    throw InputError(fmt::format(
        "{}: every grade is NaN (abstention), so the number of levels is unknown; give it with "
        "levels=K",
        c_.source));
  } else {
    b.levels = max_grade_ + 1;
  }
  b.num_raters = static_cast<uint32_t>(raters_.names.size());
  b.group_weights.assign(groups_.names.size(), 1.0);
  Place(b);
  CheckRepeats(b);
  b.group_names = std::move(groups_.names);
  b.ratee_names = std::move(ratees_.names);
  b.rater_names = std::move(raters_.names);
#ifndef NDEBUG
  b.CheckInvariants();
#endif
  return b;
}

}  // namespace

RatingBallots RatingsFromColumns(const RatingColumns& columns, const RatingsReadOptions& options) {
  return ColumnsBuilder(columns, options).Build();
}

}  // namespace evalsim
