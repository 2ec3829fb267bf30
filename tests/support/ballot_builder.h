// Builds a RatingBallots by hand from (ratee, group, rater, grade[, weight])
// rows, for tests that need small ballot sets with known contents.
#ifndef EVALSIM_TESTS_SUPPORT_BALLOT_BUILDER_H_
#define EVALSIM_TESTS_SUPPORT_BALLOT_BUILDER_H_

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "sim/core/ballots.h"

namespace evalsim::testing_util {

struct BallotRow {
  int ratee;
  int group;
  uint32_t rater;
  uint8_t grade;  // 0..K-1, or kAbstain
  float weight = 1;
};

// What a test may set beyond the rows themselves.
struct BallotOptions {
  std::vector<double> group_weights;  // empty: 1 for every group
  // The ballots hold at least this many raters (more when a row names a
  // higher rater id), so raters who cast no ballot can exist.
  uint32_t min_raters = 0;
  // The group of every rater (size num_raters). Empty: each rater is in the
  // group of its rows (the last row wins if they disagree).
  std::vector<uint8_t> rater_group;
  // Report a test failure when one rater's rows name two groups.
  bool check_rater_groups = false;
};

// Converts a test's own row type (with fields ratee, rater, grade and
// weight) into BallotRows; group_of(row) gives the row's rater group.
template <class Row, class GroupOf>
std::vector<BallotRow> ToBallotRows(const std::vector<Row>& rows, GroupOf group_of) {
  std::vector<BallotRow> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    out.push_back({r.ratee, static_cast<int>(group_of(r)), static_cast<uint32_t>(r.rater),
                   static_cast<uint8_t>(r.grade), static_cast<float>(r.weight)});
  }
  return out;
}

// The same, for a row type that names its group in a field `group`.
template <class Row>
std::vector<BallotRow> ToBallotRows(const std::vector<Row>& rows) {
  return ToBallotRows(rows, [](const Row& r) { return r.group; });
}

// Ratees are named e0, e1, ...; rows keep their given order within a slot
// (stable sort by slot = ratee * G + group), and the result passes
// CheckInvariants. Weights are stored only when `weighted` is set.
inline RatingBallots BuildBallots(int num_ratees, std::vector<std::string> groups, int levels,
                                  const std::vector<BallotRow>& rows, bool weighted,
                                  const BallotOptions& options = {}) {
  RatingBallots b;
  b.levels = levels;
  b.group_weights = options.group_weights.empty() ? std::vector<double>(groups.size(), 1.0)
                                                  : options.group_weights;
  b.group_names = std::move(groups);
  for (int e = 0; e < num_ratees; ++e) b.ratee_names.push_back(fmt::format("e{}", e));
  const int G = b.NumGroups();
  uint32_t raters = options.min_raters;
  for (const BallotRow& r : rows) raters = std::max(raters, r.rater + 1);
  b.num_raters = raters;
  if (!options.rater_group.empty()) {
    b.rater_group = options.rater_group;
  } else {
    b.rater_group.assign(raters, 0);
    std::vector<bool> seen(raters, false);
    for (const BallotRow& r : rows) {
      if (options.check_rater_groups && seen[r.rater] && b.rater_group[r.rater] != r.group)
        ADD_FAILURE() << "rater " << r.rater << " appears in two groups";
      seen[r.rater] = true;
      b.rater_group[r.rater] = static_cast<uint8_t>(r.group);
    }
  }
  std::vector<BallotRow> sorted = rows;
  std::stable_sort(sorted.begin(), sorted.end(), [G](const BallotRow& x, const BallotRow& y) {
    return x.ratee * G + x.group < y.ratee * G + y.group;
  });
  b.slot_begin.assign(static_cast<size_t>(num_ratees) * G + 1, 0);
  for (const BallotRow& r : sorted) {
    ++b.slot_begin[r.ratee * G + r.group + 1];
    b.ballot.push_back(PackBallot(r.rater, r.grade));
    if (weighted) b.weight.push_back(r.weight);
  }
  std::partial_sum(b.slot_begin.begin(), b.slot_begin.end(), b.slot_begin.begin());
  b.CheckInvariants();
  return b;
}

}  // namespace evalsim::testing_util

#endif  // EVALSIM_TESTS_SUPPORT_BALLOT_BUILDER_H_
