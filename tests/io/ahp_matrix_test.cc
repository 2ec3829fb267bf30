// The AHP judgement syntax (ParseAhpJudgement, sim/core/text.h) as the AHP
// matrix reader uses it. The matrix reader's layout rules and messages are
// tested with the AHP weights in tests/models/mcda_test.cc.
#include "sim/io/ahp_matrix.h"

#include <gtest/gtest.h>

#include <optional>

#include "sim/core/text.h"

namespace evalsim {
namespace {

TEST(AhpJudgement, DecimalsAndFractions) {
  EXPECT_EQ(ParseAhpJudgement("3"), 3.0);
  EXPECT_EQ(ParseAhpJudgement("0.2"), 0.2);
  EXPECT_EQ(ParseAhpJudgement("1e-1"), 0.1);
  EXPECT_EQ(ParseAhpJudgement("1/3"), 1.0 / 3.0);
  EXPECT_EQ(ParseAhpJudgement(" 1 / 4\t"), 0.25);
  EXPECT_EQ(ParseAhpJudgement("-2"), -2.0);  // the sign is the caller's to check
}

TEST(AhpJudgement, AnythingElseIsNone) {
  for (const char* bad : {"", " ", "1/0", "1/", "/3", "1/3/2", "x", "3x", "+3", "1e999", "1,5"})
    EXPECT_EQ(ParseAhpJudgement(bad), std::nullopt) << bad;
}

TEST(AhpMatrixCells, FractionsAreExact) {
  const AhpMatrix m = ParseAhpMatrix("1, 1/3 ,5\n3,1,2\n1/5,0.5,1\n", "m.csv");
  EXPECT_EQ(m.values(0, 1), 1.0 / 3.0);
  EXPECT_EQ(m.values(2, 0), 0.2);
}

}  // namespace
}  // namespace evalsim
