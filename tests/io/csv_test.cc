#include "sim/io/csv.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/errors.h"
#include "sim/core/rng.h"

namespace evalsim {
namespace {

// The ballots in storage order, one slot after another, as
//   K=4 groups=[all] ratees=[alice,bob] raters=[r1:all,r2:all] | alice/all: r1=3 r2=1 | ...
// with "-" for an abstention and "*w" after the grade for a weighted file.
// Writing expected ballots this way keeps every test checkable by eye.
std::string Describe(const RatingBallots& b) {
  std::vector<std::string> raters;
  for (uint32_t r = 0; r < b.num_raters; ++r) {
    raters.push_back(
        fmt::format("{}:{}", b.rater_names.at(r), b.group_names.at(b.rater_group.at(r))));
  }
  std::string out = fmt::format("K={} groups=[{}] ratees=[{}] raters=[{}]", b.levels,
                                fmt::join(b.group_names, ","), fmt::join(b.ratee_names, ","),
                                fmt::join(raters, ","));
  for (int ratee = 0; ratee < b.NumRatees(); ++ratee) {
    for (int group = 0; group < b.NumGroups(); ++group) {
      const int slot = b.Slot(ratee, group);
      if (b.slot_begin[slot] == b.slot_begin[slot + 1]) continue;
      out += fmt::format(" | {}/{}:", b.ratee_names[ratee], b.group_names[group]);
      for (uint64_t i = b.slot_begin[slot]; i < b.slot_begin[slot + 1]; ++i) {
        const uint8_t grade = BallotGrade(b.ballot[i]);
        out += fmt::format(" {}={}", b.rater_names.at(BallotRater(b.ballot[i])),
                           grade == kAbstain ? "-" : std::to_string(grade));
        if (b.Weighted()) out += fmt::format("*{}", b.weight[i]);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Valid inputs: every spelling of the same four ballots reads the same.

constexpr char kBaseExpected[] =
    "K=4 groups=[all] ratees=[alice,bob] raters=[r1:all,r2:all]"
    " | alice/all: r1=3 r2=1 | bob/all: r1=2 r2=0";

struct ValidCase {
  const char* name;
  std::string text;
};

void PrintTo(const ValidCase& c, std::ostream* os) { *os << c.name; }

class ValidVariantTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(ValidVariantTest, ReadsTheSameBallots) {
  const RatingBallots b = ParseRatingsCsv(GetParam().text, "t.csv");
  EXPECT_EQ(Describe(b), kBaseExpected);
  EXPECT_EQ(b.NumBallots(), 4u);
  EXPECT_FALSE(b.Weighted());
  EXPECT_EQ(b.group_weights, std::vector<double>{1.0});
  EXPECT_EQ(b.slot_begin, (std::vector<uint64_t>{0, 2, 4}));
}

INSTANTIATE_TEST_SUITE_P(
    Spellings, ValidVariantTest,
    ::testing::Values(
        ValidCase{"Plain", "rater,ratee,grade\nr1,alice,3\nr1,bob,2\nr2,alice,1\nr2,bob,0\n"},
        ValidCase{"Bom",
                  "\xEF\xBB\xBFrater,ratee,grade\nr1,alice,3\nr1,bob,2\nr2,alice,1\nr2,bob,0\n"},
        ValidCase{"Crlf",
                  "rater,ratee,grade\r\nr1,alice,3\r\nr1,bob,2\r\nr2,alice,1\r\nr2,bob,0\r\n"},
        ValidCase{"LoneCr", "rater,ratee,grade\rr1,alice,3\rr1,bob,2\rr2,alice,1\rr2,bob,0\r"},
        ValidCase{"NoFinalNewline",
                  "rater,ratee,grade\nr1,alice,3\nr1,bob,2\nr2,alice,1\nr2,bob,0"},
        ValidCase{"ReorderedColumns",
                  "grade,ratee,rater\n3,alice,r1\n2,bob,r1\n1,alice,r2\n0,bob,r2\n"},
        ValidCase{"AllQuoted",
                  "\"rater\",\"ratee\",\"grade\"\n\"r1\",\"alice\",\"3\"\n\"r1\",\"bob\",\"2\"\n"
                  "\"r2\",\"alice\",\"1\"\n\"r2\",\"bob\",\"0\"\n"},
        ValidCase{"SpacesAroundUnquotedFields",
                  "rater , ratee,grade\n r1,alice , 3\nr1,\tbob,2\nr2,alice,1\nr2,bob,0\n"},
        ValidCase{"BlankLines",
                  "\nrater,ratee,grade\n\nr1,alice,3\nr1,bob,2\n   \nr2,alice,1\nr2,bob,0\n\n\n"},
        ValidCase{"LeadingZeroGrade",
                  "rater,ratee,grade\nr1,alice,03\nr1,bob,2\nr2,alice,1\nr2,bob,0\n"},
        // Rows in another order: ratees and raters still number by first
        // appearance, and each slot keeps file order (r1 before r2).
        ValidCase{"RowOrder", "rater,ratee,grade\nr1,alice,3\nr2,alice,1\nr1,bob,2\nr2,bob,0\n"}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(ParseRatingsCsv, QuotedIdsKeepCommasQuotesAndNewlines) {
  const RatingBallots b = ParseRatingsCsv(
      "rater,ratee,grade\n"
      "\"Smith, J.\",\"say \"\"hi\"\"\",3\n"
      "\"two\nlines\",\"say \"\"hi\"\"\",1\n"
      "\" padded \",x,0\n",
      "t.csv");
  ASSERT_EQ(b.rater_names, (std::vector<std::string>{"Smith, J.", "two\nlines", " padded "}));
  EXPECT_EQ(b.ratee_names, (std::vector<std::string>{"say \"hi\"", "x"}));
  EXPECT_EQ(
      Describe(b),
      "K=4 groups=[all] ratees=[say \"hi\",x] raters=[Smith, J.:all,two\nlines:all, padded :all]"
      " | say \"hi\"/all: Smith, J.=3 two\nlines=1 | x/all:  padded =0");
}

TEST(ParseRatingsCsv, ChineseIdsAndGroups) {
  // 好 = 3, 较好 = 2, 一般 = 1, 差 = 0 on the four-level scale.
  const RatingBallots b = ParseRatingsCsv(
      "rater,ratee,group,grade\n"
      "张三,王书记,上级领导,3\n"
      "李四,王书记,党员,2\n"
      "张三,\"赵主任，办公室\",上级领导,0\n",
      "t.csv");
  EXPECT_EQ(
      Describe(b),
      "K=4 groups=[上级领导,党员] ratees=[王书记,赵主任，办公室] raters=[张三:上级领导,李四:党员]"
      " | 王书记/上级领导: 张三=3 | 王书记/党员: 李四=2 | 赵主任，办公室/上级领导: 张三=0");
}

TEST(ParseRatingsCsv, GroupsNumberInOrderOfFirstAppearance) {
  // "member" (first seen on line 2) is group 0 and "superior" group 1, so
  // with G = 2 the slots are e1/member = 0, e1/superior = 1, e2/member = 2
  // (empty) and e2/superior = 3: slot_begin = {0, 2, 3, 3, 4}.
  const RatingBallots b = ParseRatingsCsv(
      "rater,ratee,grade,group\n"
      "m1,e1,1,member\n"
      "s1,e2,3,superior\n"
      "s1,e1,2,superior\n"
      "m2,e1,0,member\n",
      "t.csv");
  EXPECT_EQ(b.group_names, (std::vector<std::string>{"member", "superior"}));
  EXPECT_EQ(b.group_weights, (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(b.rater_group, (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_EQ(b.slot_begin, (std::vector<uint64_t>{0, 2, 3, 3, 4}));
  EXPECT_EQ(Describe(b),
            "K=4 groups=[member,superior] ratees=[e1,e2] raters=[m1:member,s1:superior,m2:member]"
            " | e1/member: m1=1 m2=0 | e1/superior: s1=2 | e2/superior: s1=3");
}

TEST(ParseRatingsCsv, WeightsAreStoredOnlyWithAWeightColumn) {
  const RatingBallots b = ParseRatingsCsv(
      "rater,ratee,grade,weight\n"
      "r1,e1,1,0.5\n"
      "r2,e1,2,\n"  // empty weight: the default 1
      "r3,e1,0,0\n"
      "r4,e1,1,2.5e1\n"
      "r5,e1,1,-0\n",  // -0 reads as 0
      "t.csv");
  ASSERT_TRUE(b.Weighted());
  EXPECT_EQ(b.weight, (std::vector<float>{0.5f, 1.0f, 0.0f, 25.0f, 0.0f}));
  EXPECT_FALSE(std::signbit(b.weight[4]));
  EXPECT_EQ(Describe(b),
            "K=3 groups=[all] ratees=[e1] raters=[r1:all,r2:all,r3:all,r4:all,r5:all]"
            " | e1/all: r1=1*0.5 r2=2*1 r3=0*0 r4=1*25 r5=1*0");
}

TEST(ParseRatingsCsv, EmptyGradeIsAnAbstention) {
  // The abstention is a stored ballot but does not count towards K: the
  // largest grade is 2, so K = 3.
  const RatingBallots b =
      ParseRatingsCsv("rater,ratee,grade\nr1,e1,\nr2,e1,2\nr3,e1,\"\"\n", "t.csv");
  EXPECT_EQ(BallotGrade(b.ballot[0]), kAbstain);
  EXPECT_EQ(Describe(b),
            "K=3 groups=[all] ratees=[e1] raters=[r1:all,r2:all,r3:all] | e1/all: r1=- r2=2 r3=-");
}

TEST(ParseRatingsCsv, LevelsOptionSetsK) {
  RatingsReadOptions options;
  options.levels = 5;
  const RatingBallots b = ParseRatingsCsv("rater,ratee,grade\nr1,e1,1\n", "t.csv", options);
  EXPECT_EQ(b.levels, 5);
  // Without it K = 1 + 1 = 2.
  EXPECT_EQ(ParseRatingsCsv("rater,ratee,grade\nr1,e1,1\n", "t.csv").levels, 2);
  // Abstentions alone are readable once K is given.
  options.levels = 4;
  EXPECT_EQ(ParseRatingsCsv("rater,ratee,grade\nr1,e1,\n", "t.csv", options).levels, 4);
  // The largest grade allowed without `levels` is kMaxLevels - 1 = 249.
  EXPECT_EQ(ParseRatingsCsv("rater,ratee,grade\nr1,e1,249\n", "t.csv").levels, 250);
}

TEST(ParseRatingsCsv, SameRaterMayRateManyRateesAndBeRatedToo) {
  // Peer appraisal: evaluees rate each other; ids of raters and ratees are
  // separate name spaces, so "a" is rater 0 and ratee 1.
  const RatingBallots b =
      ParseRatingsCsv("rater,ratee,grade\na,b,3\nb,a,2\nc,a,1\nc,b,0\n", "t.csv");
  EXPECT_EQ(Describe(b),
            "K=4 groups=[all] ratees=[b,a] raters=[a:all,b:all,c:all]"
            " | b/all: a=3 c=0 | a/all: b=2 c=1");
}

// Brute-force reference for the layout: for random files (random rows,
// groups, abstentions, weights, quoting and line ends), the ballots must be
// the rows stably sorted by (ratee, group), ids numbered by first appearance.
TEST(ParseRatingsCsv, MatchesBruteForceLayoutOnRandomFiles) {
  for (uint64_t trial = 0; trial < 40; ++trial) {
    Rng rng(DeriveSeed(20240601, {trial}));
    const int num_raters = 1 + static_cast<int>(rng.Below(12));
    const int num_ratees = 1 + static_cast<int>(rng.Below(6));
    const int num_groups = 1 + static_cast<int>(rng.Below(3));
    const bool weighted = rng.Bernoulli(0.5);
    const std::string eol = rng.Bernoulli(0.5) ? "\r\n" : "\n";
    struct Row {
      std::string rater, ratee, group, grade, weight;
    };
    std::vector<Row> rows;
    for (int r = 0; r < num_raters; ++r) {
      const std::string group = fmt::format("g{}", rng.Below(num_groups));
      for (int e = 0; e < num_ratees; ++e) {
        if (rng.Bernoulli(0.3)) continue;
        const std::string grade = rng.Bernoulli(0.1) ? "" : std::to_string(rng.Below(5));
        rows.push_back({fmt::format("rater {}", r), fmt::format("e,{}", e), group, grade,
                        fmt::format("{}", 0.25 * static_cast<double>(rng.Below(9)))});
      }
    }
    if (rows.empty()) continue;
    for (size_t i = rows.size(); i > 1; --i) std::swap(rows[i - 1], rows[rng.Below(i)]);
    // Keep at least one graded row, so that K can be inferred.
    if (std::all_of(rows.begin(), rows.end(), [](const Row& r) { return r.grade.empty(); }))
      rows[0].grade = "0";

    std::string text = std::string("ratee,group,grade,rater") + (weighted ? ",weight" : "") + eol;
    for (const Row& r : rows) {
      text += fmt::format("\"{}\",{},{},{}", r.ratee, r.group, r.grade,
                          rng.Bernoulli(0.5) ? "\"" + r.rater + "\"" : r.rater);
      if (weighted) text += "," + r.weight;
      text += eol;
    }
    const RatingBallots b = ParseRatingsCsv(text, "random.csv");

    // The reference, written the slow obvious way.
    std::vector<std::string> ratees, raters, groups;
    auto id = [](std::vector<std::string>& names, const std::string& name) {
      auto it = std::find(names.begin(), names.end(), name);
      if (it != names.end()) return static_cast<int>(it - names.begin());
      names.push_back(name);
      return static_cast<int>(names.size() - 1);
    };
    int max_grade = -1;
    std::vector<std::string> rater_group_name;
    for (const Row& r : rows) {
      id(ratees, r.ratee);
      id(groups, r.group);
      if (id(raters, r.rater) == static_cast<int>(rater_group_name.size()))
        rater_group_name.push_back(r.group);
      if (!r.grade.empty()) max_grade = std::max(max_grade, std::stoi(r.grade));
    }
    std::vector<std::string> rater_desc;
    for (size_t r = 0; r < raters.size(); ++r)
      rater_desc.push_back(raters[r] + ":" + rater_group_name[r]);
    std::string expected =
        fmt::format("K={} groups=[{}] ratees=[{}] raters=[{}]", max_grade + 1,
                    fmt::join(groups, ","), fmt::join(ratees, ","), fmt::join(rater_desc, ","));
    for (const std::string& ratee : ratees) {
      for (const std::string& group : groups) {
        std::string slot;
        for (const Row& r : rows) {
          if (r.ratee != ratee || r.group != group) continue;
          slot += fmt::format(" {}={}", r.rater, r.grade.empty() ? "-" : r.grade);
          if (weighted) slot += fmt::format("*{}", static_cast<float>(std::stod(r.weight)));
        }
        if (!slot.empty()) expected += fmt::format(" | {}/{}:{}", ratee, group, slot);
      }
    }
    ASSERT_EQ(Describe(b), expected) << "trial " << trial << "\n" << text;
    EXPECT_EQ(b.NumBallots(), rows.size());
    EXPECT_EQ(b.Weighted(), weighted);
  }
}

// ---------------------------------------------------------------------------
// Malformed inputs: one InputError, on one line, naming file, line and what
// was wrong.

struct BadCase {
  const char* name;
  std::string text;
  std::string where;  // expected prefix: "t.csv:LINE:" or "t.csv:LINE:COL:" or "t.csv: "
  std::vector<std::string> words;
  std::optional<int> levels = std::nullopt;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class MalformedTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedTest, ThrowsOneLineNamingFileLineAndProblem) {
  const BadCase& c = GetParam();
  RatingsReadOptions options;
  options.levels = c.levels;
  try {
    ParseRatingsCsv(c.text, "t.csv", options);
    FAIL() << "no error for " << c.name;
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(c.where, 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const std::string& word : c.words)
      EXPECT_NE(message.find(word), std::string::npos)
          << "missing '" << word << "' in: " << message;
  }
}

const std::string kHead = "rater,ratee,grade\n";

INSTANTIATE_TEST_SUITE_P(
    Errors, MalformedTest,
    ::testing::Values(
        // File level.
        BadCase{"EmptyFile", "", "t.csv: ", {"empty file", "rater,ratee,grade"}},
        BadCase{"OnlyBlankLines", "\n \r\n\n", "t.csv: ", {"empty file"}},
        BadCase{"OnlyBom", "\xEF\xBB\xBF", "t.csv: ", {"empty file"}},
        BadCase{"HeaderOnly", kHead, "t.csv: ", {"no ballot rows"}},
        BadCase{"OnlyAbstentions", kHead + "r1,e1,\n", "t.csv: ", {"levels", "abstention"}},
        // Header.
        BadCase{"MissingGrade",
                "rater,ratee,weight\nr1,e1,1\n",
                "t.csv:1: ",
                {"missing column 'grade'", "rater,ratee,weight"}},
        BadCase{"MissingRater", "ratee,grade\n", "t.csv:1: ", {"missing column 'rater'"}},
        BadCase{"MissingRateeAfterBlankLines",
                "\n\nrater,grade\n",
                "t.csv:3: ",
                {"missing column 'ratee'"}},
        BadCase{"UnknownColumn",
                "rater,ratee,grade,score\nr1,e1,1,5\n",
                "t.csv:1: ",
                {"unknown column 'score'", "group, weight"}},
        BadCase{"NoHeader", "r1,e1,3\n", "t.csv:1: ", {"unknown column 'r1'"}},
        BadCase{
            "HeaderCaseMatters", "Rater,ratee,grade\n", "t.csv:1: ", {"unknown column 'Rater'"}},
        BadCase{"DuplicateColumn",
                "rater,ratee,grade,rater\n",
                "t.csv:1: ",
                {"duplicate column 'rater'"}},
        // Row shape and ids.
        BadCase{"TooFewFields",
                kHead + "r1,e1,3\nr2,e1\n",
                "t.csv:3: ",
                {"found 2 fields", "expected 3", "rater,ratee,grade"}},
        BadCase{"TooManyFields", kHead + "r1,e1,3\nr2,e1,2,9\n", "t.csv:3: ", {"found 4 fields"}},
        BadCase{"EmptyRater", kHead + ",e1,3\n", "t.csv:2: ", {"column 'rater'", "empty"}},
        BadCase{
            "EmptyQuotedRatee", kHead + "r1,\"\",3\n", "t.csv:2: ", {"column 'ratee'", "empty"}},
        BadCase{"EmptyGroup",
                "rater,ratee,grade,group\nr1,e1,3,\n",
                "t.csv:2: ",
                {"column 'group'", "empty"}},
        BadCase{"InvalidUtf8Rater",
                kHead + "r\xFF,e1,3\n",
                "t.csv:2: ",
                {"column 'rater'", "UTF-8", "\\xFF"}},
        BadCase{"OverlongUtf8Ratee",
                kHead + "r1,\xC0\xAF,3\n",
                "t.csv:2: ",
                {"column 'ratee'", "UTF-8"}},
        BadCase{"SurrogateUtf8Ratee",
                kHead + "r1,\xED\xA0\x80,3\n",
                "t.csv:2: ",
                {"column 'ratee'", "UTF-8"}},
        BadCase{"TruncatedUtf8Group",
                "rater,ratee,grade,group\nr1,e1,3,\xE5\xBC\n",
                "t.csv:2: ",
                {"column 'group'", "UTF-8"}},
        BadCase{"NulByte", kHead + std::string("r1,e\0x,3\n", 9), "t.csv:2:5: ", {"NUL"}},
        // Grades.
        BadCase{"GradeWord",
                kHead + "r1,e1,good\n",
                "t.csv:2: ",
                {"column 'grade'", "found \"good\"", "expected an integer 0..249"}},
        BadCase{
            "GradeNegative", kHead + "r1,e1,-1\n", "t.csv:2: ", {"column 'grade'", "found \"-1\""}},
        BadCase{"GradeFraction",
                kHead + "r1,e1,2.5\n",
                "t.csv:2: ",
                {"column 'grade'", "found \"2.5\""}},
        BadCase{"GradeDecimalPoint", kHead + "r1,e1,2.0\n", "t.csv:2: ", {"found \"2.0\""}},
        BadCase{"GradeOverflow",
                kHead + "r1,e1,99999999999999999999999\n",
                "t.csv:2: ",
                {"column 'grade'", "found \"99999999999999999999999\""}},
        BadCase{"GradeAboveLimit", kHead + "r1,e1,250\n", "t.csv:2: ", {"found \"250\"", "0..249"}},
        BadCase{"GradeQuotedSpace", kHead + "r1,e1,\" 2\"\n", "t.csv:2: ", {"found \" 2\""}},
        BadCase{"GradeAtLevels",
                kHead + "r1,e1,3\nr2,e1,4\n",
                "t.csv:3: ",
                {"column 'grade'", "found \"4\"", "0..3 (0 = the lowest grade, levels = 4)"},
                4},
        BadCase{"LevelsZero", kHead + "r1,e1,0\n", "", {"levels", "found 0"}, 0},
        BadCase{"LevelsTooMany", kHead + "r1,e1,0\n", "", {"levels", "found 251"}, 251},
        // Weights.
        BadCase{"WeightNegative",
                "rater,ratee,grade,weight\nr1,e1,1,-0.5\n",
                "t.csv:2: ",
                {"column 'weight'", "found \"-0.5\"", "expected a finite number >= 0"}},
        BadCase{"WeightNan",
                "rater,ratee,grade,weight\nr1,e1,1,nan\n",
                "t.csv:2: ",
                {"column 'weight'", "found \"nan\""}},
        BadCase{"WeightInf",
                "rater,ratee,grade,weight\nr1,e1,1,inf\n",
                "t.csv:2: ",
                {"column 'weight'", "found \"inf\""}},
        BadCase{"WeightOverflowsDouble",
                "rater,ratee,grade,weight\nr1,e1,1,1e400\n",
                "t.csv:2: ",
                {"column 'weight'"}},
        BadCase{"WeightOverflowsFloat",
                "rater,ratee,grade,weight\nr1,e1,1,1e39\n",
                "t.csv:2: ",
                {"column 'weight'"}},
        BadCase{"WeightText",
                "rater,ratee,grade,weight\nr1,e1,1,1kg\n",
                "t.csv:2: ",
                {"column 'weight'", "found \"1kg\""}},
        // Quoting.
        BadCase{"UnterminatedQuote", kHead + "r1,e1,3\n\"r2,e1,3\n", "t.csv:3: ", {"unterminated"}},
        BadCase{"QuoteInsideUnquotedField",
                kHead + "r\"1,e1,3\n",
                "t.csv:2:2: ",
                {"malformed quoting"}},
        BadCase{"TextAfterClosingQuote",
                kHead + "\"r1\"x,e1,3\n",
                "t.csv:2:5: ",
                {"malformed quoting"}},
        // The column counts characters, not bytes: 张 is 3 bytes but 1 column.
        BadCase{
            "MalformedAfterChinese", kHead + "张三,e\"1,3\n", "t.csv:2:5: ", {"malformed quoting"}},
        // Rater groups and repeats.
        BadCase{"RaterInTwoGroups",
                "rater,ratee,grade,group\nr1,e1,3,peer\nr2,e1,3,peer\nr1,e2,3,member\n",
                "t.csv:4: ",
                {"rater \"r1\"", "\"member\"", "\"peer\"", "line 2"}},
        BadCase{"DuplicatePair",
                kHead + "r1,e1,3\nr2,e1,3\nr1,e1,2\n",
                "t.csv:4: ",
                {"rater \"r1\"", "ratee \"e1\"", "first on line 2"}},
        BadCase{"DuplicatePairWithAbstention",
                kHead + "r1,e1,\nr1,e1,2\n",
                "t.csv:3: ",
                {"first on line 2"}},
        // Of two repeats, (a,x) on lines 2 and 6 and (b,x) on lines 3 and 5,
        // the one whose second line comes first is reported.
        BadCase{"EarliestDuplicateReported",
                kHead + "a,x,1\nb,x,1\nc,x,1\nb,x,1\na,x,1\n",
                "t.csv:5: ",
                {"rater \"b\"", "first on line 3"}},
        // Line numbers are physical lines, whatever the line ends.
        BadCase{"LineAfterMultiLineField",
                kHead + "\"r\n1\",e1,3\nr2,e1,x\n",
                "t.csv:4: ",
                {"column 'grade'"}},
        BadCase{"ErrorInMultiLineRecordNamesItsFirstLine",
                kHead + "\"r\n1\",e1,x\n",
                "t.csv:2: ",
                {"column 'grade'"}},
        BadCase{"LineCountsBlankLines", kHead + "\n\nr1,e1,x\n", "t.csv:4: ", {"column 'grade'"}},
        BadCase{"LineWithCrlf",
                "rater,ratee,grade\r\nr1,e1,3\r\nr2,e1,x\r\n",
                "t.csv:3: ",
                {"column 'grade'"}},
        BadCase{"LineWithLoneCr",
                "rater,ratee,grade\rr1,e1,3\rr2,e1,x\r",
                "t.csv:3: ",
                {"column 'grade'"}},
        BadCase{
            "LineWithoutFinalNewline", kHead + "r1,e1,3\nr2,e1,x", "t.csv:3: ", {"column 'grade'"}},
        // A long or multi-line bad value is escaped and cut, keeping one line.
        BadCase{"BadValueIsEscaped", kHead + "r1,e1,\"a\nb\"\n", "t.csv:2: ", {"found \"a\\nb\""}},
        BadCase{"LongBadValueIsCut",
                kHead + "r1,e1," + std::string(500, '9') + "\n",
                "t.csv:2: ",
                {"...\""}}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(ParseRatingsCsv, TooManyGroups) {
  // rater_group holds one byte, so 256 groups fit and the 257th is an error
  // on its line (header = line 1, group k on line k + 2).
  std::string text = "rater,ratee,grade,group\n";
  for (int g = 0; g < 256; ++g) text += fmt::format("r{},e,1,g{}\n", g, g);
  EXPECT_EQ(ParseRatingsCsv(text, "t.csv").NumGroups(), 256);
  text += "r256,e,1,g256\n";
  try {
    ParseRatingsCsv(text, "t.csv");
    FAIL() << "257 groups accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("t.csv:258: column 'group'", 0), 0u) << e.what();
  }
}

// ---------------------------------------------------------------------------
// Files.

TEST(ReadRatingsCsv, ReadsTheSmallFixture) {
  const std::string path = std::string(EVALSIM_SOURCE_DIR) + "/tests/data/ratings_small.csv";
  const RatingBallots b = ReadRatingsCsv(path);
  // The fixture has a BOM, CRLF line ends, Chinese ids, a quoted id with a
  // comma, one abstention (刘六 on 赵主任) and weights.
  EXPECT_EQ(Describe(b),
            "K=4 groups=[上级,同级,下级] ratees=[王书记,赵主任, 办公室]"
            " raters=[张三:上级,李四:同级,刘六:下级,陈七:下级]"
            " | 王书记/上级: 张三=3*2 | 王书记/同级: 李四=2*1 | 王书记/下级: 刘六=3*1 陈七=0*0.5"
            " | 赵主任, 办公室/上级: 张三=2*2 | 赵主任, 办公室/下级: 刘六=-*1 陈七=1*0.5");
}

TEST(ReadRatingsCsv, ErrorsNameThePathAndLine) {
  const std::string path = std::string(EVALSIM_SOURCE_DIR) + "/tests/data/ratings_bad_grade.csv";
  try {
    ReadRatingsCsv(path);
    FAIL() << "bad grade accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), path +
                                         ":4: column 'grade': found \"好\"; expected an integer "
                                         "0..249 (0 = the lowest grade) or an empty cell "
                                         "(abstention)");
  }
}

TEST(ReadRatingsCsv, MissingFile) {
  try {
    ReadRatingsCsv("/nonexistent/ratings.csv");
    FAIL() << "missing file accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/ratings.csv: cannot open: No such file or directory");
  }
}

TEST(ReadRatingsCsv, DirectoryIsNotAFile) {
  const std::string path = std::string(EVALSIM_SOURCE_DIR) + "/tests/data";
  try {
    ReadRatingsCsv(path);
    FAIL() << "directory accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ": cannot", 0), 0u) << e.what();
  }
}

// ---------------------------------------------------------------------------
// Pairwise CSV.

// "w>l*weight" per comparison, then " | " and the aggregate as
// "first-second:first_wins/second_wins".
std::string DescribePairs(const PairwiseBallots& b) {
  std::vector<std::string> seq, pairs;
  for (size_t i = 0; i < b.NumComparisons(); ++i) {
    seq.push_back(fmt::format("{}>{}*{}", b.ratee_names.at(b.seq_winner[i]),
                              b.ratee_names.at(b.seq_loser[i]), b.seq_weight[i]));
  }
  for (size_t p = 0; p < b.NumPairs(); ++p) {
    pairs.push_back(fmt::format("{}-{}:{}/{}", b.ratee_names.at(b.first[p]),
                                b.ratee_names.at(b.second[p]), b.first_wins[p], b.second_wins[p]));
  }
  return fmt::format("[{}] {} | {}", fmt::join(b.ratee_names, ","), fmt::join(seq, " "),
                     fmt::join(pairs, " "));
}

TEST(ParsePairwiseCsv, RowsBecomeTheSequenceAndTheAggregate) {
  const PairwiseBallots b =
      ParsePairwiseCsv("winner,loser,weight\na,b,2\nb,a,\nc,a,0.5\na,c,0.5\nb,c,0\n", "t.csv");
  b.CheckInvariants();
  // A tie between a and c as two half rows; b-c met with weight 0 only, so
  // it is in the sequence but not in the aggregate.
  EXPECT_EQ(DescribePairs(b), "[a,b,c] a>b*2 b>a*1 c>a*0.5 a>c*0.5 b>c*0 | a-b:2/1 a-c:0.5/0.5");
}

TEST(ParsePairwiseCsv, NamesNumberByFirstAppearanceLeftToRight) {
  // Without a weight column every row weighs 1; columns in any order.
  const PairwiseBallots b = ParsePairwiseCsv("loser,winner\nx,y\nz,x\ny,z\n", "t.csv");
  EXPECT_EQ(DescribePairs(b), "[x,y,z] y>x*1 x>z*1 z>y*1 | x-y:0/1 x-z:1/0 y-z:0/1");
}

TEST(ParsePairwiseCsv, SpellingsReadTheSame) {
  const std::string expected = "[a,b] a>b*1 b>a*3 | a-b:1/3";
  for (const std::string& text :
       {std::string("winner,loser,weight\na,b,1\nb,a,3\n"),
        std::string("\xEF\xBB\xBFwinner,loser,weight\r\na,b,1\r\nb,a,3"),
        std::string("\"winner\",\"loser\",\"weight\"\n\"a\",\"b\",\"1\"\n\n b , a ,3e0\n"),
        std::string("weight,winner,loser\n1,a,b\n3,b,a\n")}) {
    EXPECT_EQ(DescribePairs(ParsePairwiseCsv(text, "t.csv")), expected) << text;
  }
}

TEST(ReadPairwiseCsv, ReadsTheSmallFixture) {
  // BOM, CRLF, a quoted name with a comma, an empty weight, a tie.
  const PairwiseBallots b =
      ReadPairwiseCsv(std::string(EVALSIM_SOURCE_DIR) + "/tests/data/pairwise_small.csv");
  EXPECT_EQ(DescribePairs(b),
            "[Smith, J.,Lee,Wang] Smith, J.>Lee*2 Lee>Smith, J.*1 Wang>Lee*0.5 Lee>Wang*0.5"
            " | Smith, J.-Lee:2/1 Lee-Wang:0.5/0.5");
}

// ---------------------------------------------------------------------------
// Indicators CSV.

TEST(ParseIndicatorsCsv, ReadsNumbersAndMissingCells) {
  const IndicatorTable t =
      ParseIndicatorsCsv("unit,gdp,crime\nA,1.5,10\nB,,-20\n\"C, new\",2e3,\nD,0,\"7\"\n", "t.csv");
  EXPECT_EQ(t.ratee_names, (std::vector<std::string>{"A", "B", "C, new", "D"}));
  EXPECT_EQ(t.names, (std::vector<std::string>{"gdp", "crime"}));
  EXPECT_EQ(t.cost, (std::vector<bool>{false, false}));
  ASSERT_EQ(t.values.rows(), 4);
  ASSERT_EQ(t.values.cols(), 2);
  EXPECT_EQ(t.values(0, 0), 1.5);
  EXPECT_EQ(t.values(0, 1), 10.0);
  EXPECT_TRUE(std::isnan(t.values(1, 0)));
  EXPECT_EQ(t.values(1, 1), -20.0);
  EXPECT_EQ(t.values(2, 0), 2000.0);
  EXPECT_TRUE(std::isnan(t.values(2, 1)));
  EXPECT_EQ(t.values(3, 0), 0.0);
  EXPECT_EQ(t.values(3, 1), 7.0);
}

TEST(ReadIndicatorsCsv, ReadsTheSmallFixture) {
  const IndicatorTable t =
      ReadIndicatorsCsv(std::string(EVALSIM_SOURCE_DIR) + "/tests/data/indicators_small.csv");
  EXPECT_EQ(t.ratee_names, (std::vector<std::string>{"North", "South", "East, new"}));
  EXPECT_EQ(t.names, (std::vector<std::string>{"output", "cost, per head", "satisfaction"}));
  Eigen::MatrixXd expected(3, 3);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  expected << 120, 3.5, 0.8, 95, nan, 0.9, -10, 2.25, nan;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      if (std::isnan(expected(i, j))) {
        EXPECT_TRUE(std::isnan(t.values(i, j))) << i << "," << j;
      } else {
        EXPECT_EQ(t.values(i, j), expected(i, j)) << i << "," << j;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Malformed pairwise and indicators files.

enum class Reader { kPairwise, kIndicators };

struct OtherBadCase {
  const char* name;
  Reader reader;
  std::string text;
  std::string where;
  std::vector<std::string> words;
};

void PrintTo(const OtherBadCase& c, std::ostream* os) { *os << c.name; }

class MalformedOtherTest : public ::testing::TestWithParam<OtherBadCase> {};

TEST_P(MalformedOtherTest, ThrowsOneLineNamingFileLineAndProblem) {
  const OtherBadCase& c = GetParam();
  try {
    if (c.reader == Reader::kPairwise) {
      ParsePairwiseCsv(c.text, "t.csv");
    } else {
      ParseIndicatorsCsv(c.text, "t.csv");
    }
    FAIL() << "no error for " << c.name;
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(c.where, 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const std::string& word : c.words)
      EXPECT_NE(message.find(word), std::string::npos)
          << "missing '" << word << "' in: " << message;
  }
}

const std::string kPairHead = "winner,loser,weight\n";
const std::string kUnitHead = "unit,gdp,crime\n";

INSTANTIATE_TEST_SUITE_P(
    Errors, MalformedOtherTest,
    ::testing::Values(
        // Pairwise.
        OtherBadCase{"PairEmptyFile", Reader::kPairwise, "", "t.csv: ", {"empty file", "winner"}},
        OtherBadCase{
            "PairHeaderOnly", Reader::kPairwise, kPairHead, "t.csv: ", {"no comparison rows"}},
        OtherBadCase{"PairMissingLoser",
                     Reader::kPairwise,
                     "winner,weight\na,1\n",
                     "t.csv:1: ",
                     {"missing column 'loser'"}},
        OtherBadCase{"PairUnknownColumn",
                     Reader::kPairwise,
                     "winner,loser,score\n",
                     "t.csv:1: ",
                     {"unknown column 'score'"}},
        OtherBadCase{"PairDuplicateColumn",
                     Reader::kPairwise,
                     "winner,loser,winner\n",
                     "t.csv:1: ",
                     {"duplicate column 'winner'"}},
        OtherBadCase{"PairTooFewFields",
                     Reader::kPairwise,
                     kPairHead + "a,b,1\nb,a\n",
                     "t.csv:3: ",
                     {"found 2 fields", "expected 3"}},
        OtherBadCase{"PairEmptyWinner",
                     Reader::kPairwise,
                     kPairHead + ",b,1\n",
                     "t.csv:2: ",
                     {"column 'winner'", "empty"}},
        OtherBadCase{"PairSelfComparison",
                     Reader::kPairwise,
                     kPairHead + "a,b,1\n\nb,b,1\n",
                     "t.csv:4: ",
                     {"winner and loser are both \"b\""}},
        OtherBadCase{"PairNegativeWeight",
                     Reader::kPairwise,
                     kPairHead + "a,b,-1\n",
                     "t.csv:2: ",
                     {"column 'weight'", "found \"-1\"", ">= 0"}},
        OtherBadCase{"PairWordWeight",
                     Reader::kPairwise,
                     kPairHead + "a,b,1\na,b,heavy\n",
                     "t.csv:3: ",
                     {"column 'weight'", "found \"heavy\""}},
        OtherBadCase{
            "PairInfWeight", Reader::kPairwise, kPairHead + "a,b,inf\n", "t.csv:2: ", {"inf"}},
        OtherBadCase{"PairInvalidUtf8",
                     Reader::kPairwise,
                     kPairHead + "a,b\xFF,1\n",
                     "t.csv:2: ",
                     {"column 'loser'", "UTF-8"}},
        OtherBadCase{"PairUnterminatedQuote",
                     Reader::kPairwise,
                     kPairHead + "a,\"b,1\n",
                     "t.csv:2: ",
                     {"unterminated"}},
        OtherBadCase{"PairBadQuoting",
                     Reader::kPairwise,
                     kPairHead + "a,b\"c,1\n",
                     "t.csv:2:",
                     {"malformed quoting"}},
        OtherBadCase{"PairNul",
                     Reader::kPairwise,
                     kPairHead + std::string("a,\0,1\n", 6),
                     "t.csv:2:3: ",
                     {"NUL"}},
        // Indicators.
        OtherBadCase{
            "UnitsEmptyFile", Reader::kIndicators, "\n", "t.csv: ", {"empty file", "unit"}},
        OtherBadCase{
            "UnitsHeaderOnly", Reader::kIndicators, kUnitHead, "t.csv: ", {"no unit rows"}},
        OtherBadCase{"UnitsFirstColumn",
                     Reader::kIndicators,
                     "name,gdp\nA,1\n",
                     "t.csv:1: ",
                     {"first column is 'name'", "expected 'unit'"}},
        OtherBadCase{
            "UnitsNoIndicator", Reader::kIndicators, "unit\nA\n", "t.csv:1: ", {"no indicator"}},
        OtherBadCase{"UnitsEmptyIndicatorName",
                     Reader::kIndicators,
                     "unit,gdp,\nA,1,2\n",
                     "t.csv:1: ",
                     {"column 3 has an empty name"}},
        OtherBadCase{"UnitsDuplicateIndicator",
                     Reader::kIndicators,
                     "unit,gdp,crime,gdp\n",
                     "t.csv:1: ",
                     {"duplicate column 'gdp'", "columns 2 and 4"}},
        OtherBadCase{"UnitsIndicatorNamedUnit",
                     Reader::kIndicators,
                     "unit,unit\n",
                     "t.csv:1: ",
                     {"duplicate column 'unit'"}},
        OtherBadCase{"UnitsDuplicateUnit",
                     Reader::kIndicators,
                     kUnitHead + "A,1,2\nB,3,4\nA,5,6\n",
                     "t.csv:4: ",
                     {"unit \"A\" appears again", "first on line 2"}},
        OtherBadCase{"UnitsEmptyUnit",
                     Reader::kIndicators,
                     kUnitHead + ",1,2\n",
                     "t.csv:2: ",
                     {"column 'unit'", "empty"}},
        OtherBadCase{
            "UnitsWordCell",
            Reader::kIndicators,
            kUnitHead + "A,1,2\nB,3,high\n",
            "t.csv:3: ",
            {"column 3", "indicator 'crime'", "unit \"B\"", "found \"high\"", "decimal number"}},
        OtherBadCase{"UnitsDecimalComma",
                     Reader::kIndicators,
                     kUnitHead + "A,\"1,5\",2\n",
                     "t.csv:2: ",
                     {"indicator 'gdp'", "found \"1,5\""}},
        OtherBadCase{"UnitsNanCell",
                     Reader::kIndicators,
                     kUnitHead + "A,nan,2\n",
                     "t.csv:2: ",
                     {"indicator 'gdp'", "found \"nan\""}},
        OtherBadCase{"UnitsOverflowCell",
                     Reader::kIndicators,
                     kUnitHead + "A,1e999,2\n",
                     "t.csv:2: ",
                     {"found \"1e999\""}},
        OtherBadCase{"UnitsTrailingJunk",
                     Reader::kIndicators,
                     kUnitHead + "A,12kg,2\n",
                     "t.csv:2: ",
                     {"found \"12kg\""}},
        OtherBadCase{"UnitsTooManyFields",
                     Reader::kIndicators,
                     kUnitHead + "A,1,2,3\n",
                     "t.csv:2: ",
                     {"found 4 fields", "expected 3"}}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(ReadPairwiseCsv, MissingFile) {
  EXPECT_THROW(ReadPairwiseCsv("/nonexistent/pairs.csv"), InputError);
  EXPECT_THROW(ReadIndicatorsCsv("/nonexistent/units.csv"), InputError);
}

TEST(ParseRatingsCsv, GradesMayBeTheScalesLabels) {
  RatingsReadOptions o;
  o.levels = 4;
  o.grade_labels = {"差", "一般", "较好", "好"};
  const RatingBallots b =
      ParseRatingsCsv("rater,ratee,grade\na,x,好\nb,x,1\nc,x,\nd,x,差\n", "t.csv", o);
  EXPECT_EQ(
      Describe(b),
      "K=4 groups=[all] ratees=[x] raters=[a:all,b:all,c:all,d:all] | x/all: a=3 b=1 c=- d=0");
  try {
    ParseRatingsCsv("rater,ratee,grade\na,x,好\nb,x,优秀\n", "t.csv", o);
    ADD_FAILURE() << "an unknown label was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "t.csv:3: column 'grade': found \"优秀\"; expected a label of the scale, lowest "
              "first (差, 一般, 较好, 好), an integer 0..3 (0 = 差) or an empty cell (abstention)");
  }
  // Labels that are numbers (a 1-5 scale) are labels only: "1" is grade 0.
  RatingsReadOptions n;
  n.levels = 5;
  n.grade_labels = {"1", "2", "3", "4", "5"};
  EXPECT_EQ(Describe(ParseRatingsCsv("rater,ratee,grade\na,x,1\nb,x,5\n", "t.csv", n)),
            "K=5 groups=[all] ratees=[x] raters=[a:all,b:all] | x/all: a=0 b=4");
  EXPECT_THROW(ParseRatingsCsv("rater,ratee,grade\na,x,0\n", "t.csv", n), InputError);
}

TEST(ParseRatingsCsv, AGradeOutOfRangeSaysWhichEndIsTheLowest) {
  RatingsReadOptions o;
  o.levels = 4;
  try {
    ParseRatingsCsv("rater,ratee,grade\na,x,4\n", "t.csv", o);
    ADD_FAILURE() << "grade 4 of 4 levels was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "t.csv:2: column 'grade': found \"4\"; expected an integer 0..3 (0 = the lowest "
              "grade, levels = 4) or an empty cell (abstention)");
  }
}

}  // namespace
}  // namespace evalsim
