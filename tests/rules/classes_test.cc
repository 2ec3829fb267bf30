#include "sim/rules/classes.h"

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <string>
#include <vector>

#include "models/common/tally.h"
#include "sim/core/metrics.h"
#include "tests/support/ballot_builder.h"

namespace evalsim {
namespace {

constexpr uint8_t X = kAbstain;

// One rater group; ratee e's ballots are grades[e], cast by raters 0, 1, ...
// (rater i rates every ratee that has an i-th ballot). `weights`, when given,
// has the same shape as `grades`.
RatingBallots MakeBallots(int levels, const std::vector<std::vector<uint8_t>>& grades,
                          const std::vector<std::vector<float>>& weights = {}) {
  std::vector<testing_util::BallotRow> rows;
  for (size_t e = 0; e < grades.size(); ++e) {
    for (size_t i = 0; i < grades[e].size(); ++i) {
      rows.push_back({static_cast<int>(e), 0, static_cast<uint32_t>(i), grades[e][i],
                      weights.empty() ? 1.0f : weights[e][i]});
    }
  }
  return testing_util::BuildBallots(static_cast<int>(grades.size()), {"all"}, levels, rows,
                                    !weights.empty());
}

// n ratees with one top vote each: for rules that do not look at votes.
RatingBallots NoGateBallots(int n) {
  return MakeBallots(4, std::vector<std::vector<uint8_t>>(n, std::vector<uint8_t>{3}));
}

Eigen::VectorXd Vec(std::initializer_list<double> v) {
  Eigen::VectorXd out(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double x : v) out[i++] = x;
  return out;
}

// The label of every ratee, ranks from the scores.
std::vector<std::string> Classify(const ClassRules& rules, const RatingBallots& ballots,
                                  const Eigen::VectorXd& score,
                                  std::vector<std::string>* labels_out = nullptr,
                                  const SlotCounts* counts = nullptr) {
  const std::vector<int> rank = CompetitionRanks(score, {});
  ClassInputs in;
  in.score = &score;
  in.rank = &rank;
  in.ballots = &ballots;
  in.slot_counts = counts;
  const ClassOutcome outcome = AssignClasses(rules, {}, in);
  const std::vector<std::string>& labels = outcome.labels;
  const std::vector<int>& cls = outcome.cls;
  std::vector<std::string> out;
  for (int c : cls) {
    EXPECT_GE(c, 0);
    EXPECT_LT(c, static_cast<int>(labels.size()));
    out.push_back(c >= 0 && c < static_cast<int>(labels.size()) ? labels[c] : "?");
  }
  if (labels_out) *labels_out = labels;
  return out;
}

Gate VoteGate(std::vector<int64_t> grades, std::optional<double> above, std::optional<double> below,
              std::string label) {
  Gate g;
  g.grades = std::move(grades);
  g.above = above;
  g.below = below;
  g.label = std::move(label);
  return g;
}

ClassRules ThreeBands() {
  ClassRules r;
  r.bands = {{90.0, "优秀"}, {80.0, "良好"}, {std::nullopt, "一般"}};
  return r;
}

using Labels = std::vector<std::string>;

// ---------------------------------------------------------------- assignment

TEST(AssignClassesTest, BandsByScore) {
  std::vector<std::string> labels;
  // 90 reaches the first band exactly; 79.9 falls through to the open band.
  EXPECT_EQ(Classify(ThreeBands(), NoGateBallots(5), Vec({95, 85, 90, 79.9, 80}), &labels),
            (Labels{"优秀", "良好", "优秀", "一般", "良好"}));
  // The last band has no min, so default_label cannot occur and is not listed.
  EXPECT_EQ(labels, (Labels{"优秀", "良好", "一般"}));
}

TEST(AssignClassesTest, BelowEveryBandGetsTheDefault) {
  ClassRules r;
  r.bands = {{60.0, "及格"}};
  std::vector<std::string> labels;
  EXPECT_EQ(Classify(r, NoGateBallots(2), Vec({70, 50}), &labels), (Labels{"及格", "-"}));
  EXPECT_EQ(labels, (Labels{"及格", "-"}));
}

TEST(AssignClassesTest, TopQuotaDemotesWithTiesIncluded) {
  ClassRules r = ThreeBands();
  r.top_quota = 0.2;  // n = 10 -> k = ceil(2) = 2
  // Ranks 1, 2, 2, 4, 5, ...: the two 97s share rank 2 <= k, so three keep
  // 优秀; 95 and 92 (ranks 4, 5) reach 90 but fall to the next band.
  EXPECT_EQ(
      Classify(r, NoGateBallots(10), Vec({99, 97, 97, 95, 92, 85, 80, 70, 60, 50})),
      (Labels{"优秀", "优秀", "优秀", "良好", "良好", "良好", "良好", "一般", "一般", "一般"}));
}

TEST(AssignClassesTest, TopQuotaWithOneBandFallsToDefault) {
  ClassRules r;
  r.bands = {{std::nullopt, "合格"}};
  r.top_quota = 0.5;  // n = 3 -> k = 2
  std::vector<std::string> labels;
  EXPECT_EQ(Classify(r, NoGateBallots(3), Vec({3, 2, 1}), &labels), (Labels{"合格", "合格", "-"}));
  EXPECT_EQ(labels, (Labels{"合格", "-"}));
}

TEST(AssignClassesTest, TopQuotaWithoutBandsGrantsTopLabel) {
  ClassRules r;
  r.top_quota = 0.3;  // n = 5 -> k = ceil(1.5) = 2; ranks 1, 2, 2, 4, 5
  std::vector<std::string> labels;
  EXPECT_EQ(Classify(r, NoGateBallots(5), Vec({5, 4, 4, 3, 1}), &labels),
            (Labels{"top", "top", "top", "-", "-"}));
  EXPECT_EQ(labels, (Labels{"-", "top"}));
  EXPECT_EQ(r.TopLabel(), "top");
}

TEST(AssignClassesTest, BottomTranche) {
  ClassRules r = ThreeBands();
  r.bottom_share = 0.2;  // n = 10 -> the last 2 positions: ranks 9 and 10
  std::vector<std::string> labels;
  EXPECT_EQ(
      Classify(r, NoGateBallots(10), Vec({99, 98, 97, 96, 95, 94, 93, 92, 91, 90}), &labels),
      (Labels{"优秀", "优秀", "优秀", "优秀", "优秀", "优秀", "优秀", "优秀", "bottom", "bottom"}));
  EXPECT_EQ(labels, (Labels{"优秀", "良好", "一般", "bottom"}));
}

TEST(AssignClassesTest, BottomTrancheTieStraddlingTheBoundaryStaysOut) {
  ClassRules r;
  r.bottom_share = 0.2;  // n = 10 -> ranks 9 and 10
  // Ranks 1..7, then the two 3s share rank 8 (positions 8 and 9), then 10:
  // only rank 10 is in the tranche.
  EXPECT_EQ(Classify(r, NoGateBallots(10), Vec({10, 9, 8, 7, 6, 5, 4, 3, 3, 1})),
            (Labels{"-", "-", "-", "-", "-", "-", "-", "-", "-", "bottom"}));
  // A tie group wholly inside the tranche is in it: the two 2s share rank 9.
  EXPECT_EQ(Classify(r, NoGateBallots(10), Vec({10, 9, 8, 7, 6, 5, 4, 3, 2, 2})),
            (Labels{"-", "-", "-", "-", "-", "-", "-", "-", "bottom", "bottom"}));
}

ClassRules GateRules() {
  ClassRules r = ThreeBands();
  r.gates = {VoteGate({0}, 0.3333, std::nullopt, "不称职"),
             VoteGate({2, 3}, std::nullopt, 0.6667, "诫勉谈话")};
  return r;
}

TEST(AssignClassesTest, GatesOverrideBandsAndFirstMatchWins) {
  const RatingBallots b = MakeBallots(4, {
                                             {0, 0, 3, 3, 3},  // 差 2/5 = .4 > .3333
                                             {1, 3, 3, X, 0},  // 4 valid: good 2/4 < .6667
                                             {3, 3, 3, 2},     // good 4/4: no gate
                                             {X, X},           // no valid vote: no gate
                                             {0, 0, 0},        // 差 3/3
                                             {3, 3, 0, 3},     // 差 1/4, good 3/4: no gate
                                         });
  std::vector<std::string> labels;
  // e0 also has good 3/5 = .6 < .6667, but the first gate decides.
  EXPECT_EQ(Classify(GateRules(), b, Vec({95, 95, 85, 70, 99, 80}), &labels),
            (Labels{"不称职", "诫勉谈话", "良好", "一般", "不称职", "良好"}));
  EXPECT_EQ(labels, (Labels{"优秀", "良好", "一般", "不称职", "诫勉谈话"}));
}

// A run counts every slot's grades once per replicate (TallyEverySlot) and
// hands the counts to every model's gates: the same classes as counting
// the ballots again, pooled or by rater group.
TEST(AssignClassesTest, GatesReadSharedSlotCountsAlike) {
  RatingBallots b;
  b.levels = 4;
  b.group_names = {"superior", "member"};
  b.group_weights = {0.5, 0.5};
  b.ratee_names = {"e0", "e1", "e2"};
  b.num_raters = 4;
  b.rater_group = {0, 1, 1, 1};
  // e0: superior 差, members 好 好; e1: superior 好, members 差 差 一般;
  // e2: superior 一般, members 好 差.
  b.ballot = {PackBallot(0, 0), PackBallot(1, 3), PackBallot(2, 3), PackBallot(0, 3),
              PackBallot(1, 0), PackBallot(2, 0), PackBallot(3, 1), PackBallot(0, 1),
              PackBallot(1, 3), PackBallot(3, 0)};
  b.slot_begin = {0, 1, 3, 4, 7, 8, 10};
  b.CheckInvariants();
  const SlotCounts counts = TallyEverySlot(b);
  ClassRules r;
  r.gates = {VoteGate({0}, 0.4, std::nullopt, "pooled")};
  Gate g = VoteGate({0}, 0.5, std::nullopt, "superior");
  g.group = "superior";
  r.gates.push_back(g);
  // e1: 差 2 of 4 pooled (.5 > .4); e0: superiors 1 of 1 差; e2: 1 of 3.
  const Labels want = {"superior", "pooled", "-"};
  EXPECT_EQ(Classify(r, b, Vec({3, 2, 1})), want);
  EXPECT_EQ(Classify(r, b, Vec({3, 2, 1}), nullptr, &counts), want);
  // Counts of other ballots are not read.
  const RatingBallots other = b;
  EXPECT_EQ(Classify(r, other, Vec({3, 2, 1}), nullptr, &counts), want);
}

TEST(AssignClassesTest, GatesOverrideQuotaAndBottom) {
  ClassRules r = GateRules();
  r.top_quota = 0.5;
  r.bottom_share = 0.5;  // n = 2: k = 1, m = 1
  const RatingBallots b = MakeBallots(4, {{0, 0, 3}, {3, 3, 3}});
  // e0 ranks first but has 差 2/3; e1 ranks last (bottom) and passes the gates.
  EXPECT_EQ(Classify(r, b, Vec({99, 98})), (Labels{"不称职", "bottom"}));
}

TEST(AssignClassesTest, GateSharesUseBallotWeights) {
  ClassRules r;
  r.gates = {VoteGate({0}, 0.3333, std::nullopt, "veto")};
  // Unweighted both are 差 1/2. Weighted: e0 1 / (1 + 3) = .25 (passes),
  // e1 3 / (3 + 1) = .75 (vetoed).
  const RatingBallots b = MakeBallots(4, {{0, 3}, {0, 3}}, {{1.0f, 3.0f}, {3.0f, 1.0f}});
  EXPECT_EQ(Classify(r, b, Vec({1, 2})), (Labels{"-", "veto"}));
}

TEST(AssignClassesTest, GatesPoolRaterGroups) {
  // Two groups: e0 has 差 in group 0 (1 of 1) and 好 in group 1 (2 of 2):
  // pooled share 1/3, which is not above .34 although group 0 alone is 1.
  RatingBallots b;
  b.levels = 4;
  b.group_names = {"superior", "member"};
  b.group_weights = {0.5, 0.5};
  b.ratee_names = {"e0"};
  b.num_raters = 3;
  b.rater_group = {0, 1, 1};
  b.ballot = {PackBallot(0, 0), PackBallot(1, 3), PackBallot(2, 3)};
  b.slot_begin = {0, 1, 3};
  b.CheckInvariants();
  ClassRules r;
  r.gates = {VoteGate({0}, 0.34, std::nullopt, "veto")};
  EXPECT_EQ(Classify(r, b, Vec({1})), (Labels{"-"}));
  r.gates[0].above = 0.33;
  EXPECT_EQ(Classify(r, b, Vec({1})), (Labels{"veto"}));
}

TEST(AssignClassesTest, LabelsAreDistinctInRuleOrder) {
  ClassRules r;
  r.top_quota = 0.5;
  r.bottom_share = 0.5;
  r.gates = {VoteGate({0}, 0.9, std::nullopt, "bottom"), VoteGate({0}, std::nullopt, 0.0, "top")};
  std::vector<std::string> labels;
  Classify(r, NoGateBallots(4), Vec({4, 3, 2, 1}), &labels);
  // default, top, bottom; the gate labels repeat earlier ones.
  EXPECT_EQ(labels, (Labels{"-", "top", "bottom"}));
}

TEST(ClassRulesTest, TopAndBottomLabels) {
  ClassRules r = GateRules();
  EXPECT_EQ(r.TopLabel(), "优秀");
  EXPECT_TRUE(r.IsBottomLabel("不称职"));
  EXPECT_TRUE(r.IsBottomLabel("诫勉谈话"));
  EXPECT_FALSE(r.IsBottomLabel("一般"));
  // bottom_label counts only when a bottom tranche is set.
  EXPECT_FALSE(r.IsBottomLabel("bottom"));
  r.bottom_share = 0.05;
  EXPECT_TRUE(r.IsBottomLabel("bottom"));
  EXPECT_FALSE(ClassRules().IsBottomLabel("-"));
  EXPECT_TRUE(ClassRules().Empty());
  EXPECT_FALSE(r.Empty());
}

// ---------------------------------------------------------------- parsing

struct Parsed {
  ClassRules rules;
  std::vector<std::string> errors;
};

// Parses `text` as the file "c.toml" and reads its [classes] table for
// K = 4 grades, the scopes "county" and "meeting", the rater groups
// "superior" and "peer" and the indicator "on_time_rate".
Parsed Parse(const std::string& text) {
  const toml::table doc = toml::parse(std::string_view(text), std::string_view("c.toml"));
  const toml::table* classes = doc["classes"].as_table();
  EXPECT_NE(classes, nullptr);
  OptionReader opts(*classes, "c.toml", "classes");
  Parsed p;
  p.rules = ReadClassRules(
      opts, ClassContext{4, {"county", "meeting"}, {"superior", "peer"}, {"on_time_rate"}});
  p.errors = opts.Finish();
  return p;
}

TEST(ReadClassRulesTest, FullTable) {
  const Parsed p = Parse(R"([classes]
bands = [ { min = 90, label = "优秀" }, { min = 80.5, label = "良好" }, { label = "一般" } ]
gates = [
  { grades = [0], above = 0.3333, label = "不称职" },
  { grades = [2, 3], below = 0.6667, label = "诫勉谈话" },
]
top_quota = 0.15
bottom_share = 0.05
top_label = "第一"
bottom_label = "后进"
default_label = "称职"
)");
  ASSERT_TRUE(p.errors.empty()) << p.errors[0];
  const ClassRules& r = p.rules;
  ASSERT_EQ(r.bands.size(), 3u);
  EXPECT_EQ(r.bands[0].min, 90.0);
  EXPECT_EQ(r.bands[0].label, "优秀");
  EXPECT_EQ(r.bands[1].min, 80.5);
  EXPECT_FALSE(r.bands[2].min.has_value());
  EXPECT_EQ(r.bands[2].label, "一般");
  ASSERT_EQ(r.gates.size(), 2u);
  EXPECT_EQ(r.gates[0].grades, (std::vector<int64_t>{0}));
  EXPECT_EQ(r.gates[0].above, 0.3333);
  EXPECT_FALSE(r.gates[0].below.has_value());
  EXPECT_EQ(r.gates[1].grades, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(r.gates[1].below, 0.6667);
  EXPECT_EQ(r.gates[1].label, "诫勉谈话");
  EXPECT_EQ(r.top_quota, 0.15);
  EXPECT_EQ(r.bottom_share, 0.05);
  EXPECT_EQ(r.top_label, "第一");
  EXPECT_EQ(r.bottom_label, "后进");
  EXPECT_EQ(r.default_label, "称职");
  EXPECT_EQ(r.TopLabel(), "优秀");
}

TEST(ReadClassRulesTest, DefaultsWhenEmpty) {
  const Parsed p = Parse("[classes]\n");
  EXPECT_TRUE(p.errors.empty());
  EXPECT_TRUE(p.rules.Empty());
  EXPECT_EQ(p.rules.top_label, "top");
  EXPECT_EQ(p.rules.bottom_label, "bottom");
  EXPECT_EQ(p.rules.default_label, "-");
}

TEST(ReadClassRulesTest, UnknownKeyInsideABand) {
  const Parsed p = Parse(R"([classes]
bands = [ { min = 90, label = "A" }, { mni = 80, label = "B" } ]
)");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0],
            "c.toml:2:46: classes.bands[1].mni: unknown key (did you mean `min`?); valid keys "
            "here: label, min");
}

TEST(ReadClassRulesTest, BandMinsMustStrictlyDecrease) {
  const Parsed p = Parse(R"([classes]
bands = [ { min = 80, label = "A" }, { min = 80, label = "B" }, { label = "C" } ]
)");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0],
            "c.toml:2:46: classes.bands[1].min: 80 is not below the previous band's min 80; "
            "band mins must strictly decrease");
}

TEST(ReadClassRulesTest, OnlyTheLastBandMayOmitMin) {
  const Parsed p = Parse(R"([classes]
bands = [ { label = "A" }, { min = 80, label = "B" } ]
)");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0],
            "c.toml:2:11: classes.bands[0].min: is missing; only the last band may omit min");
}

TEST(ReadClassRulesTest, GateWithBothAboveAndBelow) {
  const Parsed p = Parse(R"([classes]
gates = [ { grades = [0], above = 0.3, below = 0.6, label = "X" } ]
)");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0],
            "c.toml:2:48: classes.gates[0].below: a gate takes either above or below, not both");
}

TEST(ReadClassRulesTest, GateWithNeitherAboveNorBelowAndNoLabel) {
  const Parsed p = Parse(R"([classes]
gates = [ { grades = [0] } ]
)");
  ASSERT_EQ(p.errors.size(), 2u);
  EXPECT_EQ(p.errors[0],
            "c.toml:2:11: classes.gates[0]: has neither above nor below; expected exactly one of "
            "them");
  EXPECT_EQ(p.errors[1],
            "c.toml:2:11: classes.gates[0].label: is missing; expected a non-empty "
            "string");
}

TEST(ReadClassRulesTest, GateGradeOutOfRange) {
  const Parsed p = Parse(R"([classes]
gates = [ { grades = [0, 4], above = 0.3, label = "X" } ]
)");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0],
            "c.toml:2:26: classes.gates[0].grades[1]: 4 is out of range; expected a number in "
            "[0, 3]");
}

TEST(ReadClassRulesTest, GateGradesMissingOrEmptyAndShareOutOfRange) {
  const Parsed p = Parse(R"([classes]
gates = [ { above = 1.5, label = "X" }, { grades = [], below = 0.5, label = "Y" } ]
)");
  ASSERT_EQ(p.errors.size(), 3u);
  EXPECT_EQ(p.errors[0],
            "c.toml:2:11: classes.gates[0].grades: is missing; expected a non-empty array of "
            "grades in [0, 3] (or `indicator` for a gate on an indicator)");
  EXPECT_EQ(p.errors[1],
            "c.toml:2:21: classes.gates[0].above: 1.5 is out of range; expected a number in "
            "[0, 1]");
  EXPECT_EQ(p.errors[2],
            "c.toml:2:52: classes.gates[1].grades: is empty; expected a non-empty array of "
            "grades in [0, 3]");
}

TEST(ReadClassRulesTest, TopLevelChecks) {
  const Parsed p = Parse(R"([classes]
top_quota = 0
bottom_share = 1
top_label = ""
default_label = 3
bands = { min = 1 }
extra = true
)");
  ASSERT_EQ(p.errors.size(), 6u);
  EXPECT_EQ(p.errors[0],
            "c.toml:6:9: classes.bands: found a table; expected an array of tables "
            "{ min = number, label = string }");
  EXPECT_EQ(p.errors[1],
            "c.toml:2:13: classes.top_quota: 0 is out of range; expected a number in "
            "(0, 1]");
  EXPECT_EQ(p.errors[2],
            "c.toml:3:16: classes.bottom_share: 1 is out of range; expected a number "
            "in (0, 1)");
  EXPECT_EQ(p.errors[3], "c.toml:4:13: classes.top_label: is empty; expected a non-empty string");
  EXPECT_EQ(p.errors[4], "c.toml:5:17: classes.default_label: found an integer; expected a string");
  EXPECT_EQ(p.errors[5],
            "c.toml:7:9: classes.extra: unknown key; valid keys here: bands, bottom_label, "
            "bottom_share, cap, default_label, gates, parent, quota_shift, shift_units, slots, "
            "ties, top_cap, top_label, top_quota, within");
}

TEST(ReadClassRulesTest, ElementNotATable) {
  const Parsed p = Parse(R"([classes]
bands = [ 90, { label = "A" } ]
)");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0],
            "c.toml:2:11: classes.bands[0]: found an integer; expected a table "
            "{ min = number, label = string }");
}

TEST(ReadClassRulesTest, ArrayOfTablesSyntax) {
  const Parsed p = Parse(R"([classes]
top_quota = 0.2
[[classes.bands]]
min = 60
label = "及格"
typo = 1
)");
  ASSERT_EQ(p.rules.bands.size(), 1u);
  EXPECT_EQ(p.rules.bands[0].min, 60.0);
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0],
            "c.toml:6:8: classes.bands[0].typo: unknown key; valid keys here: label, "
            "min");
}

}  // namespace
}  // namespace evalsim
