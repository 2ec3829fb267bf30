// The ratings CSV's optional `item` column: item rows fill the item arrays
// by item slot, empty cells are the overall grade, and bad item cells are
// refused with file:line.
#include <gtest/gtest.h>

#include <string>

#include "sim/core/ballots.h"
#include "sim/core/errors.h"
#include "sim/io/csv.h"

namespace evalsim {
namespace {

std::string ErrorOf(const std::string& text, const RatingsReadOptions& o = {}) {
  try {
    ParseRatingsCsv(text, "t.csv", o);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(RatingsCsvItems, ItemRowsGoToItemSlotsAndOverallRowsStay) {
  const RatingBallots b = ParseRatingsCsv(
      "rater,ratee,grade,item\n"
      "r1,x,3,\n"
      "r1,x,2,de\n"
      "r2,x,1,neng\n"
      "r2,x,0,de\n"
      "r1,y,,neng\n",
      "t.csv");
  ASSERT_EQ(b.item_names, (std::vector<std::string>{"de", "neng"}));
  EXPECT_EQ(b.NumBallots(), 1u);  // one overall grade
  EXPECT_EQ(BallotGrade(b.ballot[0]), 3);
  ASSERT_EQ(b.item_ballot.size(), 4u);
  ASSERT_EQ(b.item_slot_begin.size(), 2u * 2 * 1 + 1);
  // de/x: r1=2 r2=0; de/y: none; neng/x: r2=1; neng/y: r1 blank.
  const RatingBallots de = ItemSlice(b, 0), neng = ItemSlice(b, 1);
  ASSERT_EQ(de.SlotBallots(0).size(), 2u);
  EXPECT_EQ(BallotGrade(de.SlotBallots(0)[0]), 2);
  EXPECT_EQ(BallotRater(de.SlotBallots(0)[1]), 1u);
  EXPECT_EQ(BallotGrade(de.SlotBallots(0)[1]), 0);
  EXPECT_TRUE(de.SlotBallots(1).empty());
  ASSERT_EQ(neng.SlotBallots(1).size(), 1u);
  EXPECT_EQ(BallotGrade(neng.SlotBallots(1)[0]), kAbstain);
  EXPECT_EQ(b.levels, 4);
  b.CheckInvariants();
  de.CheckInvariants();
}

TEST(RatingsCsvItems, AFileWithoutItemCellsHasNoItems) {
  const RatingBallots b = ParseRatingsCsv("rater,ratee,grade,item\nr1,x,3,\n", "t.csv");
  EXPECT_FALSE(b.HasItems());
  EXPECT_TRUE(b.item_slot_begin.empty());
}

TEST(RatingsCsvItems, UnknownItemIsRefusedWithTheLine) {
  RatingsReadOptions o;
  o.items = std::vector<std::string>{"de", "neng"};
  const std::string e = ErrorOf("rater,ratee,grade,item\nr1,x,3,de\nr1,x,3,qin\n", o);
  EXPECT_NE(e.find("t.csv:3: column 'item': found \"qin\"; expected one of the items de, neng"),
            std::string::npos)
      << e;
}

TEST(RatingsCsvItems, RepeatedItemGradeIsRefusedNamingBothLines) {
  const std::string e = ErrorOf("rater,ratee,grade,item\nr1,x,3,de\nr1,x,3,\nr1,x,2,de\n");
  EXPECT_NE(
      e.find("t.csv:4: rater \"r1\" grades item \"de\" of ratee \"x\" again (first on line 2)"),
      std::string::npos)
      << e;
}

TEST(RatingsCsvItems, OverallIsNotAnItemName) {
  const std::string e = ErrorOf("rater,ratee,grade,item\nr1,x,3,overall\n");
  EXPECT_NE(e.find("t.csv:2: column 'item'"), std::string::npos) << e;
}

TEST(RatingsCsvItems, StorageIsFourBytesPerItemGradePlusOffsets) {
  const RatingBallots b =
      ParseRatingsCsv("rater,ratee,grade,item\nr1,x,3,a\nr2,x,2,a\nr1,x,1,b\nr2,x,0,b\n", "t.csv");
  // 4 item words of 4 bytes, 2 * 1 * 1 + 1 offsets of 8 bytes, an empty
  // overall layout (1 + 1 offsets) and 2 rater groups of one byte.
  EXPECT_EQ(b.StorageBytes(), 4u * 4 + 3u * 8 + 2u * 8 + 2u);
}

}  // namespace
}  // namespace evalsim
