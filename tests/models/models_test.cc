// Hand-computed tallies for the classic rubrics (weighted_mean, approval,
// trimmed_mean, median), their option errors, and two properties: relabelling
// ratees or raters only permutes the scores, and raising a vote never lowers
// the evaluee's score.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "models/common/tally.h"
#include "models/registry.h"
#include "sim/core/ballots.h"
#include "sim/core/errors.h"
#include "sim/core/rng.h"
#include "tests/support/ballot_builder.h"

namespace evalsim {
namespace {

// Grades of the four-level scale.
constexpr int kCha = 0;    // 差
constexpr int kYiban = 1;  // 一般
constexpr int kJiao = 2;   // 较好
constexpr int kHao = 3;    // 好
constexpr int kBlank = kAbstain;

struct Row {
  int ratee;
  int group;
  int rater;
  int grade;  // 0..K-1, or kBlank
  double weight = 1.0;
};

struct Layout {
  int ratees = 1;
  std::vector<std::string> groups = {"member"};
  std::vector<double> group_weights;  // empty: 1 for every group
  int levels = 4;
  bool weighted = false;  // also set when any row has a weight other than 1
};

Layout Shape(int ratees, std::vector<std::string> groups = {"member"}, int levels = 4) {
  Layout l;
  l.ratees = ratees;
  l.groups = std::move(groups);
  l.levels = levels;
  return l;
}

// Builds the CSR layout: ballots sorted (stably) by slot = ratee * G + group.
RatingBallots Build(const Layout& layout, const std::vector<Row>& rows) {
  bool weighted = layout.weighted;
  for (const Row& r : rows) weighted = weighted || r.weight != 1.0;
  testing_util::BallotOptions options;
  options.group_weights = layout.group_weights;
  options.check_rater_groups = true;
  return testing_util::BuildBallots(layout.ratees, layout.groups, layout.levels,
                                    testing_util::ToBallotRows(rows), weighted, options);
}

ModelContext ContextOf(const RatingBallots& b) { return {b.levels, b.group_names}; }

std::unique_ptr<Model> Make(const std::string& name, const std::string& options,
                            const ModelContext& ctx) {
  const toml::table table = toml::parse(std::string_view(options), std::string_view("test.toml"));
  return Models().Create(name, table, ctx, "test.toml", "models.x");
}

ScoreResult ScoreWith(const std::string& name, const std::string& options, const RatingBallots& b) {
  return Make(name, options, ContextOf(b))->Score(ModelInput{&b});
}

// The message of the InputError that creating the model throws ("" if none).
std::string CreateError(const std::string& name, const std::string& options,
                        const ModelContext& ctx) {
  try {
    Make(name, options, ctx);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// One evaluee, one group, the given grades (rater i gives grades[i]).
RatingBallots OneEvaluee(const std::vector<int>& grades, int levels = 4) {
  std::vector<Row> rows;
  for (size_t i = 0; i < grades.size(); ++i) rows.push_back({0, 0, static_cast<int>(i), grades[i]});
  return Build(Shape(1, {"member"}, levels), rows);
}

const ModelContext kCtx4 = {4, {"superior", "member"}};

// ---------------------------------------------------------------- weighted_mean

TEST(WeightedMeanTest, PointsPerGrade) {
  // 好 好 较好 一般 with points 0/60/80/100: (100 + 100 + 80 + 60) / 4 = 85.
  const ScoreResult r = ScoreWith("weighted_mean", "", OneEvaluee({kHao, kHao, kJiao, kYiban}));
  ASSERT_EQ(r.score.size(), 1);
  EXPECT_DOUBLE_EQ(r.score[0], 85.0);
  EXPECT_TRUE(r.notes.empty());
}

TEST(WeightedMeanTest, CustomPoints) {
  // points [40, 60, 80, 100]: (100 + 80 + 40) / 3 = 73.33...
  const ScoreResult r =
      ScoreWith("weighted_mean", "points = [40, 60, 80, 100]", OneEvaluee({kHao, kJiao, kCha}));
  EXPECT_DOUBLE_EQ(r.score[0], 220.0 / 3.0);
}

// Two groups; evaluee 0 has votes from both, evaluee 1 only from members.
RatingBallots TwoGroups(std::vector<double> group_weights = {}) {
  const std::vector<Row> rows = {
      // superior (group 0): raters 0, 1 rate evaluee 0 only.
      {0, 0, 0, kHao},
      {0, 0, 1, kJiao},
      // member (group 1): raters 2, 3, 4.
      {0, 1, 2, kHao},
      {0, 1, 3, kYiban},
      {0, 1, 4, kYiban},
      {1, 1, 2, kJiao},
      {1, 1, 3, kJiao},
      {1, 1, 4, kHao},
  };
  Layout layout = Shape(2, {"superior", "member"});
  layout.group_weights = std::move(group_weights);
  return Build(layout, rows);
}

TEST(WeightedMeanTest, GroupWeightsAverageWithinGroupFirst) {
  // Evaluee 0: superior mean (100 + 80) / 2 = 90; member mean (100 + 60 + 60) / 3 = 73.33;
  // 0.3 * 90 + 0.7 * 220/3 = 27 + 51.33 = 78.33. The pooled mean would be 400/5 = 80.
  const ScoreResult r =
      ScoreWith("weighted_mean", "group_weights = { superior = 0.3, member = 0.7 }", TwoGroups());
  EXPECT_NEAR(r.score[0], 0.3 * 90.0 + 0.7 * 220.0 / 3.0, 1e-12);
  // Evaluee 1 has no superior vote: that group drops out, member's 0.7 is
  // renormalised to 1: (80 + 80 + 100) / 3 = 86.67.
  EXPECT_NEAR(r.score[1], 260.0 / 3.0, 1e-12);
}

TEST(WeightedMeanTest, BallotGroupWeightsApplyWhenOptionAbsent) {
  const ScoreResult r = ScoreWith("weighted_mean", "", TwoGroups({0.3, 0.7}));
  EXPECT_NEAR(r.score[0], 0.3 * 90.0 + 0.7 * 220.0 / 3.0, 1e-12);
  // The option overrides the ballots' weights: 0.5 * 90 + 0.5 * 73.33 = 81.67.
  const ScoreResult equal = ScoreWith(
      "weighted_mean", "group_weights = { superior = 1, member = 1 }", TwoGroups({0.3, 0.7}));
  EXPECT_NEAR(equal.score[0], 0.5 * 90.0 + 0.5 * 220.0 / 3.0, 1e-12);
}

TEST(WeightedMeanTest, VetoShare) {
  // Evaluee 0: 差 好 好: share of 差 = 1/3, not above 1/3: mean (0 + 100 + 100) / 3.
  // Evaluee 1: 差 差 好 好: share 1/2 > 1/3: veto_score 10.
  const std::vector<Row> rows = {
      {0, 0, 0, kCha}, {0, 0, 1, kHao}, {0, 0, 2, kHao},                   // evaluee 0
      {1, 0, 0, kCha}, {1, 0, 1, kCha}, {1, 0, 2, kHao}, {1, 0, 3, kHao},  // evaluee 1
  };
  const RatingBallots b = Build(Shape(2), rows);
  // 0.3333333333333333 parses to the double nearest 1/3, the same double as 1 / 3.
  const ScoreResult r =
      ScoreWith("weighted_mean", "veto_share = 0.3333333333333333\nveto_score = 10", b);
  EXPECT_DOUBLE_EQ(r.score[0], 200.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.score[1], 10.0);
  EXPECT_EQ(r.notes, std::vector<std::string>{"1 evaluee(s) vetoed"});
  // Without veto_share evaluee 1 keeps its mean.
  const ScoreResult off = ScoreWith("weighted_mean", "", b);
  EXPECT_DOUBLE_EQ(off.score[1], 50.0);  // (0 + 0 + 100 + 100) / 4
}

TEST(WeightedMeanTest, AbstentionsExcluded) {
  // 好 一般 and two blanks: (100 + 60) / 2 = 80, not 160 / 4.
  const ScoreResult r = ScoreWith("weighted_mean", "", OneEvaluee({kHao, kBlank, kYiban, kBlank}));
  EXPECT_DOUBLE_EQ(r.score[0], 80.0);
}

TEST(WeightedMeanTest, OnlyAbstentionsScoreLowestPointsWithNote) {
  const ScoreResult r = ScoreWith("weighted_mean", "", OneEvaluee({kBlank, kBlank}));
  EXPECT_DOUBLE_EQ(r.score[0], 0.0);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("no valid vote"), std::string::npos);
}

TEST(WeightedMeanTest, WeightedBallots) {
  // 好 with weight 2, 差 with weight 1, a blank with weight 5:
  // (2 * 100 + 1 * 0) / (2 + 1) = 66.67.
  const RatingBallots b =
      Build(Shape(1), {{0, 0, 0, kHao, 2.0}, {0, 0, 1, kCha}, {0, 0, 2, kBlank, 5.0}});
  ASSERT_TRUE(b.Weighted());
  EXPECT_DOUBLE_EQ(ScoreWith("weighted_mean", "", b).score[0], 200.0 / 3.0);
}

// --------------------------------------------------------------------- approval

TEST(ApprovalTest, TopOneAndTopTwo) {
  // 好 好 较好 一般: top=1 share of 好 = 2/4; tie-break share of 较好 = 1/4.
  const RatingBallots b = OneEvaluee({kHao, kHao, kJiao, kYiban, kBlank});
  const ScoreResult r1 = ScoreWith("approval", "", b);
  EXPECT_DOUBLE_EQ(r1.score[0], 0.5);
  ASSERT_EQ(r1.tiebreak.size(), 1);
  EXPECT_DOUBLE_EQ(r1.tiebreak[0], 0.25);
  // top=2: share of 好 + 较好 = 3/4; tie-break share of 一般 = 1/4.
  const ScoreResult r2 = ScoreWith("approval", "top = 2", b);
  EXPECT_DOUBLE_EQ(r2.score[0], 0.75);
  EXPECT_DOUBLE_EQ(r2.tiebreak[0], 0.25);
  // top=K: every valid vote approves; no grade below, so no tie-break.
  const ScoreResult r4 = ScoreWith("approval", "top = 4", b);
  EXPECT_DOUBLE_EQ(r4.score[0], 1.0);
  EXPECT_EQ(r4.tiebreak.size(), 0);
}

TEST(ApprovalTest, TieBrokenByNextGrade) {
  // Both have 好 share 1/4; evaluee 1 has more 较好 (2/4 vs 1/4).
  const std::vector<Row> rows = {
      {0, 0, 0, kHao}, {0, 0, 1, kJiao}, {0, 0, 2, kYiban}, {0, 0, 3, kCha},
      {1, 0, 0, kHao}, {1, 0, 1, kJiao}, {1, 0, 2, kJiao},  {1, 0, 3, kCha},
  };
  const ScoreResult r = ScoreWith("approval", "", Build(Shape(2), rows));
  EXPECT_DOUBLE_EQ(r.score[0], 0.25);
  EXPECT_DOUBLE_EQ(r.score[1], 0.25);
  EXPECT_DOUBLE_EQ(r.tiebreak[0], 0.25);
  EXPECT_DOUBLE_EQ(r.tiebreak[1], 0.5);
}

TEST(ApprovalTest, GroupWeights) {
  // Evaluee 0: superior 好 较好 -> 好 share 1/2, 较好 share 1/2;
  // member 好 一般 一般 -> 好 share 1/3, 较好 share 0.
  // Score 0.3 * 1/2 + 0.7 * 1/3; tie-break 0.3 * 1/2 + 0.7 * 0 = 0.15.
  const ScoreResult r =
      ScoreWith("approval", "group_weights = { superior = 0.3, member = 0.7 }", TwoGroups());
  EXPECT_NEAR(r.score[0], 0.15 + 0.7 / 3.0, 1e-12);
  EXPECT_NEAR(r.tiebreak[0], 0.15, 1e-12);
  // Evaluee 1, members only (较好 较好 好): 1/3 and 2/3 after renormalisation.
  EXPECT_NEAR(r.score[1], 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(r.tiebreak[1], 2.0 / 3.0, 1e-12);
}

TEST(ApprovalTest, WeightedBallotsAndNoVotes) {
  // Evaluee 0: 好 weight 3, 差 weight 1 -> 3/4. Evaluee 1: blanks only -> 0, noted.
  const RatingBallots b =
      Build(Shape(2), {{0, 0, 0, kHao, 3.0}, {0, 0, 1, kCha}, {1, 0, 0, kBlank}});
  const ScoreResult r = ScoreWith("approval", "", b);
  EXPECT_DOUBLE_EQ(r.score[0], 0.75);
  EXPECT_DOUBLE_EQ(r.score[1], 0.0);
  EXPECT_DOUBLE_EQ(r.tiebreak[1], 0.0);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("1 evaluee(s) had no valid vote"), std::string::npos);
}

// ----------------------------------------------------------------- trimmed_mean

TEST(TrimmedMeanTest, SixVotesAreTrimmed) {
  // 100 100 100 80 60 0: six votes > min_votes 5, drop one 100 and the 0:
  // (100 + 100 + 80 + 60) / 4 = 85.
  const ScoreResult r =
      ScoreWith("trimmed_mean", "", OneEvaluee({kHao, kHao, kHao, kJiao, kYiban, kCha}));
  EXPECT_DOUBLE_EQ(r.score[0], 85.0);
  EXPECT_TRUE(r.notes.empty());
}

TEST(TrimmedMeanTest, FiveVotesAreNotTrimmed) {
  // 100 100 80 60 0: five votes, not more than 5: plain mean 340 / 5 = 68.
  const RatingBallots b = OneEvaluee({kHao, kHao, kJiao, kYiban, kCha});
  EXPECT_DOUBLE_EQ(ScoreWith("trimmed_mean", "", b).score[0], 68.0);
  // With min_votes = 4 the same votes are trimmed: (100 + 80 + 60) / 3 = 80.
  EXPECT_DOUBLE_EQ(ScoreWith("trimmed_mean", "min_votes = 4", b).score[0], 80.0);
  // Blanks do not count toward min_votes.
  const RatingBallots blanks = OneEvaluee({kHao, kHao, kJiao, kYiban, kCha, kBlank, kBlank});
  EXPECT_DOUBLE_EQ(ScoreWith("trimmed_mean", "", blanks).score[0], 68.0);
}

TEST(TrimmedMeanTest, TrimCountTwo) {
  // 0 60 60 80 80 80 100 100: drop 0, 60 and 100, 100: (60 + 80 * 3) / 4 = 75.
  const RatingBallots b = OneEvaluee({kCha, kYiban, kYiban, kJiao, kJiao, kJiao, kHao, kHao});
  EXPECT_DOUBLE_EQ(ScoreWith("trimmed_mean", "trim_count = 2", b).score[0], 75.0);
  // trim_count = 0 is the plain mean: 560 / 8 = 70.
  EXPECT_DOUBLE_EQ(ScoreWith("trimmed_mean", "trim_count = 0", b).score[0], 70.0);
}

TEST(TrimmedMeanTest, TrimShare) {
  // Ten votes 0 60 60 80 80 80 100 100 100 100, trim_share 0.15 -> 1.5 votes from each end:
  // low end drops the 0 and half a 60, high end one and a half 100s. Left: 60 x 1.5,
  // 80 x 3, 100 x 2.5 = (90 + 240 + 250) / 7 = 82.857...
  const RatingBallots b =
      OneEvaluee({kCha, kYiban, kYiban, kJiao, kJiao, kJiao, kHao, kHao, kHao, kHao});
  EXPECT_NEAR(ScoreWith("trimmed_mean", "trim_share = 0.15", b).score[0], 580.0 / 7.0, 1e-12);
  // trim_share 0 is the plain mean: 760 / 10.
  EXPECT_DOUBLE_EQ(ScoreWith("trimmed_mean", "trim_share = 0.0", b).score[0], 76.0);
}

TEST(TrimmedMeanTest, WeightedBallotsTrimWeightMass) {
  // Weights: 差 0.5, 一般 3, 较好 1, 好 2; total 6.5. trim_count 1 removes weight 1 from
  // each end: 0.5 of 差 and 0.5 of 一般; 1 of 好. Left: 60 x 2.5, 80 x 1, 100 x 1:
  // (150 + 80 + 100) / 4.5 = 73.33.
  const RatingBallots b =
      Build(Shape(1),
            {{0, 0, 0, kCha, 0.5}, {0, 0, 1, kYiban, 3.0}, {0, 0, 2, kJiao}, {0, 0, 3, kHao, 2.0}});
  EXPECT_NEAR(ScoreWith("trimmed_mean", "min_votes = 0", b).score[0], 330.0 / 4.5, 1e-12);
  // Total weight 6.5 > 6, so min_votes = 6 still trims; min_votes = 7 does not:
  // (0 + 180 + 80 + 200) / 6.5.
  EXPECT_NEAR(ScoreWith("trimmed_mean", "min_votes = 6", b).score[0], 330.0 / 4.5, 1e-12);
  EXPECT_NEAR(ScoreWith("trimmed_mean", "min_votes = 7", b).score[0], 460.0 / 6.5, 1e-12);
}

TEST(TrimmedMeanTest, PooledOverGroupsIgnoringGroupWeights) {
  // TwoGroups evaluee 0 pools 100 80 100 60 60; with min_votes 0 drop 100 and 60:
  // (80 + 100 + 60) / 3 = 80, whatever the group weights.
  const ScoreResult r = ScoreWith("trimmed_mean", "min_votes = 0", TwoGroups({0.9, 0.1}));
  EXPECT_DOUBLE_EQ(r.score[0], 80.0);
}

TEST(TrimmedMeanTest, TrimmingEverythingFallsBackToMean) {
  // Two votes, min_votes 0, trim one from each end would leave nothing: mean (100 + 60) / 2.
  const ScoreResult r = ScoreWith("trimmed_mean", "min_votes = 0", OneEvaluee({kHao, kYiban}));
  EXPECT_DOUBLE_EQ(r.score[0], 80.0);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("untrimmed mean"), std::string::npos);
  // Three votes keep the middle one: 80.
  const ScoreResult three =
      ScoreWith("trimmed_mean", "min_votes = 0", OneEvaluee({kHao, kJiao, kCha}));
  EXPECT_DOUBLE_EQ(three.score[0], 80.0);
  EXPECT_TRUE(three.notes.empty());
}

TEST(TrimmedMeanTest, NoValidVote) {
  const ScoreResult r =
      ScoreWith("trimmed_mean", "points = [10, 20, 30, 40]", OneEvaluee({kBlank}));
  EXPECT_DOUBLE_EQ(r.score[0], 10.0);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("no valid vote"), std::string::npos);
}

// ----------------------------------------------------------------------- median

TEST(MedianTest, OddCount) {
  // 60 80 100: median 80; tie-break mean 240 / 3.
  const ScoreResult r = ScoreWith("median", "", OneEvaluee({kHao, kJiao, kYiban}));
  EXPECT_DOUBLE_EQ(r.score[0], 80.0);
  EXPECT_DOUBLE_EQ(r.tiebreak[0], 80.0);
}

TEST(MedianTest, EvenSplitAveragesMiddleGrades) {
  // 60 80 | 100 100: cumulative weight reaches exactly 2 of 4 at 较好: (80 + 100) / 2 = 90.
  EXPECT_DOUBLE_EQ(ScoreWith("median", "", OneEvaluee({kHao, kHao, kJiao, kYiban})).score[0], 90.0);
  // 0 0 | 100 100: the two middle grades are 差 and 好 (nothing between): (0 + 100) / 2.
  EXPECT_DOUBLE_EQ(ScoreWith("median", "", OneEvaluee({kHao, kCha, kHao, kCha})).score[0], 50.0);
  // 60 80 80 100: half is reached inside 较好, not at a boundary: 80.
  EXPECT_DOUBLE_EQ(ScoreWith("median", "", OneEvaluee({kHao, kJiao, kJiao, kYiban})).score[0],
                   80.0);
}

TEST(MedianTest, TieBrokenByMean) {
  // Both medians are 80 (较好); the means differ: (100 + 80 + 80) / 3 vs (80 + 80 + 60) / 3.
  const std::vector<Row> rows = {
      {0, 0, 0, kHao},  {0, 0, 1, kJiao}, {0, 0, 2, kJiao},
      {1, 0, 0, kJiao}, {1, 0, 1, kJiao}, {1, 0, 2, kYiban},
  };
  const ScoreResult r = ScoreWith("median", "", Build(Shape(2), rows));
  EXPECT_DOUBLE_EQ(r.score[0], 80.0);
  EXPECT_DOUBLE_EQ(r.score[1], 80.0);
  EXPECT_DOUBLE_EQ(r.tiebreak[0], 260.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.tiebreak[1], 220.0 / 3.0);
}

TEST(MedianTest, WeightedAndPooled) {
  // 差 weight 3 against 好 weight 1 + 较好 weight 1.5: cumulative 3 of 5.5 at 差 -> 0.
  const RatingBallots b =
      Build(Shape(1, {"superior", "member"}),
            {{0, 0, 0, kCha, 3.0}, {0, 1, 1, kHao}, {0, 1, 2, kJiao, 1.5}, {0, 1, 3, kBlank}});
  const ScoreResult r = ScoreWith("median", "", b);
  EXPECT_DOUBLE_EQ(r.score[0], 0.0);
  EXPECT_DOUBLE_EQ(r.tiebreak[0], (100.0 + 120.0) / 5.5);
}

TEST(MedianTest, NoValidVote) {
  const ScoreResult r = ScoreWith("median", "", OneEvaluee({kBlank, kBlank}));
  EXPECT_DOUBLE_EQ(r.score[0], 0.0);
  EXPECT_DOUBLE_EQ(r.tiebreak[0], 0.0);
  ASSERT_EQ(r.notes.size(), 1u);
}

// ---------------------------------------------------------------- option errors

TEST(ModelOptionsTest, UnknownKeyNamesKeyAndListsValidKeys) {
  const std::string msg = CreateError("weighted_mean", "pointz = [0, 1, 2, 3]", kCtx4);
  EXPECT_NE(msg.find("test.toml:1:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("models.x.pointz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown key"), std::string::npos) << msg;
  EXPECT_NE(msg.find("group_weights, item_weights, points, scale_points, veto_grades, "
                     "veto_score, veto_share"),
            std::string::npos)
      << msg;
  const std::string trimmed = CreateError("trimmed_mean", "trim = 1", kCtx4);
  EXPECT_NE(trimmed.find("item_weights, min_votes, points, trim_count, trim_share"),
            std::string::npos)
      << trimmed;
}

TEST(ModelOptionsTest, WrongType) {
  const std::string msg = CreateError("median", "points = \"high\"", kCtx4);
  EXPECT_NE(msg.find("models.x.points"), std::string::npos) << msg;
  EXPECT_NE(msg.find("found a string"), std::string::npos) << msg;
  const std::string top = CreateError("approval", "top = 1.5", kCtx4);
  EXPECT_NE(top.find("models.x.top: found a float; expected an integer"), std::string::npos) << top;
}

TEST(ModelOptionsTest, PointsOfWrongLength) {
  for (const std::string name : {"weighted_mean", "trimmed_mean", "median"}) {
    const std::string msg = CreateError(name, "points = [0, 50, 100]", kCtx4);
    EXPECT_NE(msg.find("has 3 values; expected one per grade, lowest first (4 grades)"),
              std::string::npos)
        << name << ": " << msg;
  }
}

TEST(ModelOptionsTest, RangesAndConflicts) {
  EXPECT_NE(CreateError("approval", "top = 0", kCtx4).find("out of range"), std::string::npos);
  EXPECT_NE(CreateError("approval", "top = 5", kCtx4).find("out of range"), std::string::npos);
  EXPECT_EQ(CreateError("approval", "top = 4", kCtx4), "");
  EXPECT_NE(CreateError("approval", "group_weights = { boss = 1 }", kCtx4).find("\"boss\""),
            std::string::npos);
  EXPECT_NE(CreateError("trimmed_mean", "trim_share = 0.5", kCtx4).find("out of range"),
            std::string::npos);
  EXPECT_NE(CreateError("trimmed_mean", "trim_count = -1", kCtx4).find("out of range"),
            std::string::npos);
  EXPECT_NE(CreateError("trimmed_mean", "min_votes = -1", kCtx4).find("out of range"),
            std::string::npos);
  const std::string both = CreateError("trimmed_mean", "trim_count = 1\ntrim_share = 0.1", kCtx4);
  EXPECT_NE(both.find("models.x.trim_share: cannot be given together with trim_count"),
            std::string::npos)
      << both;
  EXPECT_EQ(CreateError("trimmed_mean", "trim_share = 0.1\nmin_votes = 0", kCtx4), "");
}

// ------------------------------------------------------------------- properties

// Random small ballot sets: up to 5 evaluees, 1-3 groups, 2-5 grades, some
// blanks, some weighted.
struct RandomBallots {
  Layout layout;
  std::vector<Row> rows;
};

RandomBallots MakeRandom(Rng& rng) {
  RandomBallots r;
  const int groups = static_cast<int>(rng.Between(1, 3));
  r.layout.ratees = static_cast<int>(rng.Between(1, 5));
  r.layout.levels = static_cast<int>(rng.Between(2, 5));
  r.layout.groups.clear();
  for (int g = 0; g < groups; ++g) {
    r.layout.groups.push_back(fmt::format("g{}", g));
    r.layout.group_weights.push_back(0.1 + rng.Uniform());
  }
  const bool weighted = rng.Bernoulli(0.3);
  int rater = 0;
  for (int g = 0; g < groups; ++g) {
    const int raters = static_cast<int>(rng.Between(1, 8));
    for (int i = 0; i < raters; ++i, ++rater) {
      for (int e = 0; e < r.layout.ratees; ++e) {
        if (!rng.Bernoulli(0.8)) continue;
        const int grade =
            rng.Bernoulli(0.1) ? kBlank : static_cast<int>(rng.Below(r.layout.levels));
        const double weight = weighted ? 0.25 * static_cast<double>(rng.Between(1, 8)) : 1.0;
        r.rows.push_back({e, g, rater, grade, weight});
      }
    }
  }
  r.layout.weighted = weighted;
  return r;
}

// Options to exercise per model, so that every branch sees random input.
std::vector<std::pair<std::string, std::string>> ModelVariants(int levels) {
  return {
      {"weighted_mean", ""},
      {"weighted_mean", "veto_share = 0.3"},
      {"approval", ""},
      {"approval", fmt::format("top = {}", levels)},
      {"approval", "top = 2"},
      {"trimmed_mean", ""},
      {"trimmed_mean", "min_votes = 0"},
      {"trimmed_mean", "trim_share = 0.2\nmin_votes = 2"},
      {"median", ""},
  };
}

TEST(ModelPropertyTest, RelabellingRateesAndRatersPermutesScores) {
  Rng rng(DeriveSeed(20240601, {1}));
  for (int trial = 0; trial < 200; ++trial) {
    const RandomBallots base = MakeRandom(rng);
    const int n = base.layout.ratees;
    int raters = 0;
    for (const Row& row : base.rows) raters = std::max(raters, row.rater + 1);
    std::vector<int> p(n), q(raters);
    std::iota(p.begin(), p.end(), 0);
    std::iota(q.begin(), q.end(), 0);
    for (int i = n - 1; i > 0; --i) std::swap(p[i], p[rng.Below(i + 1)]);
    for (int i = raters - 1; i > 0; --i) std::swap(q[i], q[rng.Below(i + 1)]);
    std::vector<Row> rows = base.rows;
    for (Row& row : rows) {
      row.ratee = p[row.ratee];
      row.rater = q[row.rater];
    }
    const RatingBallots b = Build(base.layout, base.rows);
    const RatingBallots permuted = Build(base.layout, rows);
    for (const auto& [name, options] : ModelVariants(b.levels)) {
      const ScoreResult a = ScoreWith(name, options, b);
      const ScoreResult c = ScoreWith(name, options, permuted);
      ASSERT_EQ(a.score.size(), n);
      ASSERT_EQ(c.score.size(), n);
      ASSERT_EQ(a.tiebreak.size(), c.tiebreak.size());
      for (int e = 0; e < n; ++e) {
        // Each evaluee's votes are the same in the same order, so the scores are bitwise equal.
        EXPECT_EQ(a.score[e], c.score[p[e]]) << name << " " << options << " trial " << trial;
        if (a.tiebreak.size() > 0) {
          EXPECT_EQ(a.tiebreak[e], c.tiebreak[p[e]]) << name;
        }
      }
      EXPECT_EQ(a.notes, c.notes) << name;
    }
  }
}

TEST(ModelPropertyTest, RaisingAVoteNeverLowersTheScore) {
  Rng rng(DeriveSeed(20240601, {2}));
  int raised = 0;
  for (int trial = 0; trial < 500; ++trial) {
    RandomBallots base = MakeRandom(rng);
    const int K = base.layout.levels;
    std::vector<size_t> raisable;
    for (size_t i = 0; i < base.rows.size(); ++i)
      if (base.rows[i].grade != kBlank && base.rows[i].grade < K - 1) raisable.push_back(i);
    if (raisable.empty()) continue;
    Row& chosen = base.rows[raisable[rng.Below(raisable.size())]];
    const int e = chosen.ratee;
    const RatingBallots before = Build(base.layout, base.rows);
    const int old_grade = chosen.grade;
    chosen.grade = static_cast<int>(rng.Between(old_grade + 1, K - 1));
    const RatingBallots after = Build(base.layout, base.rows);
    ++raised;
    for (const auto& [name, options] : ModelVariants(K)) {
      const ScoreResult a = ScoreWith(name, options, before);
      const ScoreResult c = ScoreWith(name, options, after);
      // Trimming and renormalising reorder floating-point sums: allow rounding.
      EXPECT_GE(c.score[e], a.score[e] - 1e-9) << name << " " << options << " trial " << trial
                                               << ": grade " << old_grade << " -> " << chosen.grade;
      // Every rubric here scores each evaluee from its own votes only.
      for (int other = 0; other < base.layout.ratees; ++other) {
        if (other != e) {
          EXPECT_EQ(c.score[other], a.score[other]) << name;
        }
      }
    }
  }
  EXPECT_GT(raised, 300);  // the property was exercised, not skipped
}

// Scores with ModelInput::slot_counts (the runner's shared count) are
// bitwise those without, for every model that reads them; counts of other
// ballots are never used.
TEST(ModelPropertyTest, SharedSlotCountsGiveTheSameScores) {
  Rng rng(DeriveSeed(20240601, {4}));
  auto variants = [](int levels) {
    auto v = ModelVariants(levels);
    v.push_back({"bayes_shrink", ""});
    return v;
  };
  int shared_trials = 0;
  for (int trial = 0; trial < 200; ++trial) {
    RandomBallots r = MakeRandom(rng);
    if (r.layout.weighted) continue;  // the runner shares counts of unweighted ballots only
    ++shared_trials;
    const RatingBallots b = Build(r.layout, r.rows);
    const SlotCounts counts = TallyEverySlot(b);
    ASSERT_EQ(counts.counts.size(), (b.slot_begin.size() - 1) * static_cast<size_t>(b.levels));
    // The same shape with every grade moved: its counts must not leak into b's scores.
    std::vector<Row> moved = r.rows;
    for (Row& row : moved)
      if (row.grade != kBlank) row.grade = (row.grade + 1) % r.layout.levels;
    const RatingBallots other = Build(r.layout, moved);
    const SlotCounts wrong = TallyEverySlot(other);
    for (const auto& [name, options] : variants(b.levels)) {
      const std::unique_ptr<Model> m = Make(name, options, ContextOf(b));
      const ScoreResult plain = m->Score(ModelInput{&b});
      ModelInput with_counts{&b};
      with_counts.slot_counts = &counts;
      ModelInput with_wrong{&b};
      with_wrong.slot_counts = &wrong;
      for (const ModelInput& in : {with_counts, with_wrong}) {
        const ScoreResult got = m->Score(in);
        ASSERT_EQ(got.score.size(), plain.score.size());
        for (int e = 0; e < plain.score.size(); ++e)
          EXPECT_EQ(got.score[e], plain.score[e]) << name << " " << options << " trial " << trial;
        ASSERT_EQ(got.tiebreak.size(), plain.tiebreak.size());
        for (int e = 0; e < plain.tiebreak.size(); ++e)
          EXPECT_EQ(got.tiebreak[e], plain.tiebreak[e]) << name;
        EXPECT_EQ(got.notes, plain.notes) << name;
      }
    }
  }
  EXPECT_GT(shared_trials, 100);
}

TEST(ModelPropertyTest, WeightedMeanMatchesBruteForce) {
  // Reference: the same rubric written directly over the row list.
  Rng rng(DeriveSeed(20240601, {3}));
  for (int trial = 0; trial < 200; ++trial) {
    const RandomBallots r = MakeRandom(rng);
    const RatingBallots b = Build(r.layout, r.rows);
    const int G = b.NumGroups(), K = b.levels;
    const ScoreResult got = ScoreWith("weighted_mean", "", b);
    const std::vector<double> points = K == 4 ? std::vector<double>{0, 60, 80, 100} : [K] {
      std::vector<double> p;
      for (int k = 0; k < K; ++k) p.push_back(100.0 * k / (K - 1));
      return p;
    }();
    for (int e = 0; e < b.NumRatees(); ++e) {
      double num = 0.0, den = 0.0;
      for (int g = 0; g < G; ++g) {
        double s = 0.0, w = 0.0;
        for (const Row& row : r.rows) {
          if (row.ratee != e || row.group != g || row.grade == kBlank) continue;
          s += static_cast<float>(row.weight) * points[row.grade];
          w += static_cast<float>(row.weight);
        }
        if (w > 0.0) {
          num += r.layout.group_weights[g] * s / w;
          den += r.layout.group_weights[g];
        }
      }
      EXPECT_NEAR(got.score[e], den > 0.0 ? num / den : 0.0, 1e-9) << "trial " << trial;
    }
  }
}

}  // namespace
}  // namespace evalsim
