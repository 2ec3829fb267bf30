#include "sim/io/ratings_columns.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/errors.h"
#include "sim/io/csv.h"

namespace evalsim {
namespace {

template <class T>
NumberColumn Col(const std::vector<T>& v, NumberColumn::Type type) {
  return {v.data(), type, v.size()};
}

void ExpectSameBallots(const RatingBallots& a, const RatingBallots& b) {
  EXPECT_EQ(a.levels, b.levels);
  EXPECT_EQ(a.group_names, b.group_names);
  EXPECT_EQ(a.ratee_names, b.ratee_names);
  EXPECT_EQ(a.rater_names, b.rater_names);
  EXPECT_EQ(a.rater_group, b.rater_group);
  EXPECT_EQ(a.slot_begin, b.slot_begin);
  EXPECT_EQ(a.ballot, b.ballot);
  EXPECT_EQ(a.weight, b.weight);
}

// Codes as pandas.factorize gives them, but with the names listed in
// another order than first appearance: the ids still follow the rows.
TEST(RatingsFromColumns, EqualsTheCsvReaderOnTheSameRows) {
  const std::vector<int64_t> rater = {1, 0, 1, 0, 2};  // r1 r2 r1 r2 r3
  const std::vector<int32_t> ratee = {0, 0, 1, 1, 1};  // A A B B B
  const std::vector<double> grade = {3, 1, 2, NAN, 0};
  const std::vector<int64_t> group = {0, 1, 0, 1, 1};  // lead staff lead staff staff
  const std::vector<float> weight = {2, 1, 1, NAN, 0.5f};
  RatingColumns c;
  c.rater = Col(rater, NumberColumn::Type::kInt64);
  c.ratee = Col(ratee, NumberColumn::Type::kInt32);
  c.grade = Col(grade, NumberColumn::Type::kFloat64);
  c.group = Col(group, NumberColumn::Type::kInt64);
  c.weight = Col(weight, NumberColumn::Type::kFloat32);
  c.rater_names = {"r2", "r1", "r3"};
  c.ratee_names = {"A", "B"};
  c.group_names = {"lead", "staff"};
  const RatingBallots from_csv = ParseRatingsCsv(
      "rater,ratee,grade,group,weight\n"
      "r1,A,3,lead,2\nr2,A,1,staff,1\nr1,B,2,lead,1\nr2,B,,staff,\nr3,B,0,staff,0.5\n",
      "t.csv");
  ExpectSameBallots(RatingsFromColumns(c), from_csv);
}

TEST(RatingsFromColumns, NamesTheRowAndColumnOfBadInput) {
  const std::vector<int32_t> rater = {0, 1, 0}, ratee = {0, 0, 0}, grade = {3, 5, 1};
  RatingColumns c;
  c.rater = Col(rater, NumberColumn::Type::kInt32);
  c.ratee = Col(ratee, NumberColumn::Type::kInt32);
  c.grade = Col(grade, NumberColumn::Type::kInt32);
  c.rater_names = {"a", "b"};
  c.ratee_names = {"X"};
  RatingsReadOptions four;
  four.levels = 4;
  try {
    RatingsFromColumns(c, four);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "DataFrame: row 1: column 'grade': found 5; expected an integer 0..3 (0 = the "
                 "lowest grade, levels = 4) or NaN (abstention)");
  }
  const std::vector<int32_t> fine = {3, 2, 1};
  c.grade = Col(fine, NumberColumn::Type::kInt32);
  try {
    RatingsFromColumns(c, four);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("row 2: column 'ratee': rater \"a\" rates ratee \"X\" "
                                         "again (first on row 0)"),
              std::string::npos)
        << e.what();
  }
  const std::vector<int32_t> missing = {0, -1, 1};
  c.rater = Col(missing, NumberColumn::Type::kInt32);
  EXPECT_THROW(RatingsFromColumns(c, four), InputError);
}

}  // namespace
}  // namespace evalsim
