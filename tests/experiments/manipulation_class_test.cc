// Class goals of the manipulation search (`--goal class=LABEL`,
// `escape=LABEL`): cases worked on paper (a gate a bloc of two trips, a
// city-wide quota dearer than the meeting's top k, an escape from a vote
// gate, a 瑞安 band edge where one more vote changes nothing), exact against
// greedy, the honest classes against a run's, and the command line (vetoes
// named, 1 and 2 threads byte-identical, unknown labels refused, composites
// searched with --composites).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "models/indicators/ruian_points.h"
#include "models/ratings/weighted_mean.h"
#include "models/registry.h"
#include "sim/core/ballots.h"
#include "sim/core/errors.h"
#include "sim/core/metrics.h"
#include "sim/core/rng.h"
#include "sim/experiments/manipulation.h"
#include "sim/rules/classes.h"
#include "sim/run/runner.h"
#include "sim/scenario/scenario.h"
#include "tests/support/ballot_builder.h"
#include "tests/support/cli_util.h"

namespace evalsim {
namespace {

constexpr int kLevels = 4;
constexpr int kNone = -1;

// grade[r][e]: rater r's grade of evaluee e (0..3) or kNone; one group.
RatingBallots Build(const std::vector<std::vector<int>>& grade, int ratees) {
  std::vector<testing_util::BallotRow> rows;
  for (size_t r = 0; r < grade.size(); ++r)
    for (int e = 0; e < ratees; ++e)
      if (grade[r][e] != kNone)
        rows.push_back({e, 0, static_cast<uint32_t>(r), static_cast<uint8_t>(grade[r][e])});
  testing_util::BallotOptions options;
  options.min_raters = static_cast<uint32_t>(grade.size());
  return testing_util::BuildBallots(ratees, {"all"}, kLevels, rows, false, options);
}

// Points 0/60/80/100, the mean over valid ballots.
std::unique_ptr<Model> PointsModel() {
  static Registry* registry = [] {
    auto* r = new Registry;
    r->Add(WeightedMeanSpec());
    return r;
  }();
  const toml::table opts = toml::parse("points = [0, 60, 80, 100]");
  return registry->Create("weighted_mean", opts, ModelContext{kLevels, {"all"}}, "t", "models.x");
}

// A class-goal search on `b` with every rater of [first, first + count) in
// the bloc's pool.
struct Case {
  ClassRules rules;
  UnitColumns units;
  VetoDraws draws;
  uint32_t first = 0, count = 0;

  ManipulationCost Cost(RatingBallots& b, int target, const std::string& goal, bool bury,
                        int exact_max) const {
    ManipulationOptions o;
    ParseManipulationGoal(goal, &o);
    o.bury = bury;
    o.exact_max = exact_max;
    ClassGoalContext ctx;
    ctx.rules = &rules;
    ctx.units = &units;
    ctx.draws = &draws;
    ctx.first_rater = first;
    ctx.num_raters = count;
    const std::vector<uint32_t> before = b.ballot;
    const ManipulationCost c = FindClassManipulationCost(*PointsModel(), b, target, o, ctx);
    EXPECT_EQ(b.ballot, before) << "ballots not restored";
    return c;
  }
};

std::string LabelOf(const ClassRules& rules, const RatingBallots& b, const UnitColumns& units,
                    int e) {
  const ScoreResult r = PointsModel()->Score(ModelInput{&b});
  const std::vector<int> rank = CompetitionRanks(r.score, r.tiebreak);
  ClassInputs in;
  in.score = &r.score;
  in.rank = &rank;
  in.ballots = &b;
  in.units = &units;
  const ClassOutcome c = AssignClasses(rules, {}, in);
  return c.labels[c.cls[e]];
}

// 优秀 for the first one (top_quota 0.2: k = 1), 不称职 for a share of 差
// above `gate`.
ClassRules GateRules(double gate = 0.3) {
  ClassRules rules;
  rules.top_quota = 0.2;
  rules.top_label = "优秀";
  rules.default_label = "称职";
  Gate g;
  g.grades = {0};
  g.above = gate;
  g.label = "不称职";
  rules.gates.push_back(g);
  return rules;
}

// Ten raters; the rival e0 gets 100 from all ten, the target e1 80 from
// r0..r4 only; gate 差 share > 0.15.
//   Raising alone: e1 reaches 100 only with all five of its raters (a tie
//   with e0, kept with ties = include): cost 5.
//   Burying: a bloc of one gives e1 (100 + 4 x 80)/5 = 84 against e0's
//   (0 + 9 x 100)/10 = 90: not enough. Any bloc of two: e1 88 (or 80 when
//   both only bury) against e0 80: rank 1, so 优秀: cost 2. And two of e0's
//   ten ballots at 差 make its share 0.2 > 0.15: the bloc of two trips the
//   rival's gate (one leaves it at 0.1).
std::vector<std::vector<int>> GateGrid() {
  std::vector<std::vector<int>> g(10, std::vector<int>{3, kNone});
  for (int r = 0; r < 5; ++r) g[r][1] = 2;
  return g;
}

TEST(ManipulationClassHand, AGateABlocOfTwoTripsForARival) {
  Case c;
  c.rules = GateRules(0.15);
  c.count = 10;
  RatingBallots b = Build(GateGrid(), 2);
  for (int exact_max : {12, 0}) {
    ManipulationCost cost = c.Cost(b, 1, "class=优秀", false, exact_max);
    EXPECT_EQ(cost.class_before, "称职");
    EXPECT_EQ(cost.rank_before, 2);
    EXPECT_EQ(cost.eligible, 5);  // r5..r9 hold no ballot on e1
    EXPECT_EQ(cost.exact, exact_max > 0);
    ASSERT_TRUE(cost.buyable);
    EXPECT_EQ(cost.cost, 5) << exact_max;

    cost = c.Cost(b, 1, "class=优秀", true, exact_max);
    EXPECT_EQ(cost.eligible, 10);  // everyone can bury e0
    ASSERT_TRUE(cost.buyable);
    EXPECT_EQ(cost.cost, 2) << exact_max;
  }
  // The bloc {r0, r1}: e1 优秀, e0 under the gate; {r0} alone: neither.
  std::vector<std::vector<int>> g = GateGrid();
  g[0] = {0, 3};
  EXPECT_EQ(LabelOf(c.rules, Build(g, 2), c.units, 0), "优秀");
  EXPECT_EQ(LabelOf(c.rules, Build(g, 2), c.units, 1), "称职");
  g[1] = {0, 3};
  EXPECT_EQ(LabelOf(c.rules, Build(g, 2), c.units, 0), "不称职");
  EXPECT_EQ(LabelOf(c.rules, Build(g, 2), c.units, 1), "优秀");
  // Raising the rival's own grades never gives it 差: unbuyable.
  EXPECT_FALSE(c.Cost(b, 0, "class=不称职", false, 12).buyable);
}

// A city-wide quota (within = "all") is scored over both meetings: the
// meeting's top place is not enough for the class.
//   meeting A (raters 0..4): e0 = 60 60 80 80 100 -> 76; e1 = 80 x 5;
//                            e2 = 60 x 5
//   meeting B (raters 5..9): e3 = 100 x 5; e4 = 80 x 5; e5 = 60 x 5
// Top of meeting A (k = QuotaCount(0.15, 3) = 1): one 60 -> 100 gives e0 84
// > 80: cost 1. City-wide (k = QuotaCount(0.15, 6) = 1): e0 must reach 100
// (a tie with e3, kept with ties = include): r0, r1, r2, r3 all raise: cost 4.
TEST(ManipulationClassHand, ACityWideQuotaCostsMoreThanTheMeetingsTopPlace) {
  std::vector<std::vector<int>> g(10, std::vector<int>(6, kNone));
  const int a[5] = {1, 1, 2, 2, 3};
  for (int r = 0; r < 5; ++r) {
    g[r][0] = a[r];
    g[r][1] = 2;
    g[r][2] = 1;
    g[5 + r][3] = 3;
    g[5 + r][4] = 2;
    g[5 + r][5] = 1;
  }
  RatingBallots b = Build(g, 6);
  Case city;
  city.rules.top_quota = 0.15;
  city.rules.top_label = "优秀";
  city.rules.default_label = "合格";
  city.units.names = {"meeting"};
  city.units.unit = {{0, 0, 0, 1, 1, 1}};
  city.count = 5;
  Case meeting = city;
  meeting.rules.within = "meeting";
  for (int exact_max : {12, 0}) {
    const ManipulationCost m = meeting.Cost(b, 0, "class=优秀", false, exact_max);
    ASSERT_TRUE(m.buyable);
    EXPECT_EQ(m.cost, 1) << exact_max;
    const ManipulationCost w = city.Cost(b, 0, "class=优秀", false, exact_max);
    ASSERT_TRUE(w.buyable);
    EXPECT_EQ(w.cost, 4) << exact_max;
    EXPECT_EQ(w.exact, exact_max > 0);
    EXPECT_EQ(w.rank_before, 4);  // behind e3 (100), e1 and e4 (80) of the universe
  }
  // The same meeting's top place by the rank goal: cost 1, as the scoped class.
  RatingBallots alone = Build({{1, 2, 1}, {1, 2, 1}, {2, 2, 1}, {2, 2, 1}, {3, 2, 1}}, 3);
  ManipulationOptions o;
  o.quota = 0.15;
  EXPECT_EQ(FindManipulationCost(*PointsModel(), alone, 0, o).cost, 1);
}

// Escape from a vote gate on the target itself: 差 share 3/5 = 0.6 > 0.3; one
// rater raising leaves 0.4, two leave 0.2: cost 2, exact and greedy.
TEST(ManipulationClassHand, EscapingAGateTakesTwo) {
  Case c;
  c.rules = GateRules();
  c.count = 5;
  RatingBallots b = Build({{0, 2}, {0, 2}, {0, 2}, {3, 2}, {3, 2}}, 2);
  for (int exact_max : {12, 0}) {
    const ManipulationCost cost = c.Cost(b, 0, "escape=不称职", false, exact_max);
    EXPECT_EQ(cost.class_before, "不称职");
    ASSERT_TRUE(cost.buyable);
    EXPECT_EQ(cost.cost, 2) << exact_max;
  }
  // Already out of the gate: e1.
  EXPECT_TRUE(c.Cost(b, 1, "escape=不称职", false, 12).already);
}

// An event veto cannot be bought: no search, a note naming it.
TEST(ManipulationClassHand, AnEventVetoCannotBeBought) {
  Case c;
  c.rules = GateRules();
  c.count = 5;
  c.draws = {{1, 0}};
  Veto v;
  v.name = "discipline";
  v.label = "一票否决";
  v.rate = 0.02;
  const std::vector<Veto> vetoes = {v};
  RatingBallots b = Build({{2, 2}, {2, 2}, {2, 2}, {2, 2}, {2, 2}}, 2);
  ManipulationOptions o;
  ParseManipulationGoal("class=优秀", &o);
  ClassGoalContext ctx;
  ctx.rules = &c.rules;
  ctx.vetoes = vetoes;
  ctx.units = &c.units;
  ctx.draws = &c.draws;
  ctx.num_raters = 5;
  const ManipulationCost cost = FindClassManipulationCost(*PointsModel(), b, 0, o, ctx);
  EXPECT_EQ(cost.class_before, "一票否决");
  EXPECT_TRUE(cost.vetoed);
  EXPECT_FALSE(cost.buyable);
  EXPECT_EQ(cost.fits, 1);
  EXPECT_NE(cost.note.find("event veto discipline"), std::string::npos) << cost.note;
  ParseManipulationGoal("class=一票否决", &o);
  EXPECT_TRUE(FindClassManipulationCost(*PointsModel(), b, 0, o, ctx).already);
}

// Greedy is an upper bound on exact for class goals, and equal where the
// exact search's bloc is a prefix of the greedy order (here: random small
// meetings, a per-meeting quota and a gate, with and without burying).
TEST(ManipulationClassProperties, GreedyNeverBeatsExact) {
  int agree = 0, both = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    Rng rng(seed);
    const int ratees = 5, raters = 7;
    std::vector<std::vector<int>> g(raters, std::vector<int>(ratees));
    for (auto& row : g)
      for (int& x : row) x = rng.Uniform() < 0.1 ? kNone : static_cast<int>(rng.Below(kLevels));
    Case c;
    c.rules = GateRules();
    c.count = raters;
    RatingBallots b = Build(g, ratees);
    for (bool bury : {false, true}) {
      const ManipulationCost exact = c.Cost(b, 4, "class=优秀", bury, 12);
      const ManipulationCost greedy = c.Cost(b, 4, "class=优秀", bury, 0);
      if (exact.already) {
        EXPECT_TRUE(greedy.already);
        continue;
      }
      if (!exact.buyable) {
        EXPECT_FALSE(greedy.buyable);
        continue;
      }
      ASSERT_TRUE(greedy.buyable) << seed;
      EXPECT_GE(greedy.cost, exact.cost) << seed;
      ++both;
      agree += greedy.cost == exact.cost;
    }
  }
  EXPECT_GT(both, 10);
  EXPECT_GT(agree, both / 2);
}

TEST(ManipulationClassFlag, ParsesAndRejects) {
  ManipulationOptions o;
  ParseManipulationGoal("class=优秀", &o);
  EXPECT_EQ(o.goal, ManipulationGoal::kClass);
  EXPECT_EQ(o.label, "优秀");
  EXPECT_EQ(ManipulationGoalName(o), "class=优秀");
  ParseManipulationGoal("escape=倒排整顿", &o);
  EXPECT_EQ(o.goal, ManipulationGoal::kEscape);
  EXPECT_EQ(ManipulationGoalName(o), "escape=倒排整顿");
  for (const char* bad : {"class=", "escape=", "class", "Class=x"})
    EXPECT_THROW(ParseManipulationGoal(bad, &o), InputError) << bad;
}

// The honest class of every target is the class a run gives it in
// replicate 1 (the rubrics here read each evaluee's own ballots, so the
// universe's fit scores like the run's fit of the whole organisation).
TEST(ManipulationClassRun, HonestClassesAreTheRunsClasses) {
  const Scenario s = LoadScenario(std::string(EVALSIM_SOURCE_DIR) + "/scenarios/veto_overlay.toml",
                                  {"replicates=1"});
  const RunResult run = RunScenario(s, 1, RunConfig{false, true});
  ManipulationConfig config;
  ParseManipulationGoal("class=优秀", &config.options);
  config.sample = 1000;
  config.threads = 1;
  const ManipulationResult r = RunManipulation(s, run.organisation, config);
  ASSERT_EQ(r.models.size(), run.models.size());
  int vetoed = 0;
  for (size_t k = 0; k < r.models.size(); ++k) {
    const ModelOutcome& m = run.models[k];
    ASSERT_EQ(r.models[k].rows.size(), static_cast<size_t>(r.evaluees));
    for (const ManipulationRow& row : r.models[k].rows) {
      EXPECT_EQ(row.cost.class_before, m.class_labels[m.classes[0][row.evaluee]])
          << m.name << " " << row.evaluee;
      vetoed += row.cost.vetoed;
    }
  }
  EXPECT_GT(vetoed, 0);
}

// 瑞安 (ruian_points): one leader grading both evaluees 好 (tied: 198 points
// each), 20 voters, one key-project indicator equal for both (600 each).
//   e0 (target): 16 好 + 4 较好 -> share 0.80 -> 190; total 988
//   e1 (rival):  18 好 + 2 较好 -> share 0.90 -> 200; total 998
// One more 好 for e0 gives 0.85: still 190, the score does not move (a bloc
// of one is worthless); two give 0.90 -> 200, 998, a tie for first (k = 1,
// kept with ties = include): cost 2, exact and greedy.
TEST(ManipulationComposite, ARuianBandEdgeWhereOneMoreVoteChangesNothing) {
  std::vector<testing_util::BallotRow> rows;
  rows.push_back({0, 0, 0, 3});
  rows.push_back({1, 0, 0, 3});
  for (uint32_t r = 1; r <= 20; ++r) {
    rows.push_back({0, 1, r, static_cast<uint8_t>(r <= 16 ? 3 : 2)});
    rows.push_back({1, 1, r, static_cast<uint8_t>(r <= 18 ? 3 : 2)});
  }
  RatingBallots b = testing_util::BuildBallots(2, {"leader", "vote"}, kLevels, rows, false);
  IndicatorTable ind;
  ind.ratee_names = b.ratee_names;
  ind.names = {"key_projects"};
  ind.cost = {false};
  ind.values = Eigen::MatrixXd::Constant(2, 1, 1.0);
  Registry registry;
  registry.Add(RuianPointsSpec());
  const toml::table opts = toml::parse("leader_groups = [\"leader\"]\nvote_groups = [\"vote\"]");
  const auto model =
      registry.Create("ruian_points", opts,
                      ModelContext{kLevels, {"leader", "vote"}, {"key_projects"}}, "t", "models.x");
  ModelInput in{&b};
  in.indicators = &ind;
  const ScoreResult honest = model->Score(in);
  EXPECT_DOUBLE_EQ(honest.score[0], 988);
  EXPECT_DOUBLE_EQ(honest.score[1], 998);

  // A bloc of one: r17 raises e0 to 好 (share 0.85): nothing changes.
  RatingBallots one = b;
  for (uint32_t& w : one.ballot)
    if (BallotRater(w) == 17) w = PackBallot(17, 3);
  // (r17 also rates e1, already 好 there.)
  ModelInput in1{&one};
  in1.indicators = &ind;
  EXPECT_DOUBLE_EQ(model->Score(in1).score[0], 988);

  ManipulationOptions o;
  o.quota = 0.5;  // k = 1 of 2
  for (int exact_max : {12, 0}) {
    o.exact_max = exact_max;
    const ManipulationCost c = FindManipulationCost(*model, b, 0, o, &ind);
    EXPECT_EQ(c.eligible, 4);  // r17..r20; the leader already gives 好
    ASSERT_TRUE(c.buyable);
    EXPECT_EQ(c.cost, 2) << exact_max;
    EXPECT_EQ(c.exact, exact_max > 0);
  }
}

// ---- The command line ----

namespace fs = std::filesystem;
using ::testing_util::Evalsim;
using ::testing_util::Slurp;

class ManipulateClassCli : public ::testing_util::TempDirTest {};

TEST_F(ManipulateClassCli, ByteIdenticalForOneAndTwoThreadsAndVetoesNamed) {
  const std::string common =
      "manipulate " + ScenarioPath("veto_overlay.toml") + " --sample 40 --goal class=优秀 --bury";
  const auto a = Evalsim(common + " --threads 1 --out " + (dir_ / "a").string());
  ASSERT_EQ(a.code, 0) << a.out;
  const auto b = Evalsim(common + " --threads 2 --out " + (dir_ / "b").string());
  ASSERT_EQ(b.code, 0) << b.out;
  for (const char* f : {"manipulation.csv", "manipulation_summary.csv"})
    EXPECT_EQ(Slurp(dir_ / "a" / f), Slurp(dir_ / "b" / f)) << f;
  const std::string csv = Slurp(dir_ / "a" / "manipulation.csv");
  EXPECT_EQ(csv.rfind("model,meeting,ratee,true_quality,rank_before,goal_rank,raters,eligible,"
                      "cost,share,method,buyable,goal,class_before,note\n",
                      0),
            0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 3 * 40);
  EXPECT_NE(csv.find(",vetoed,0,class=优秀,一票否决,"), std::string::npos) << csv;
  const std::string summary = Slurp(dir_ / "a" / "manipulation_summary.csv");
  EXPECT_NE(summary.find(",goal,vetoed\n"), std::string::npos) << summary;
}

TEST_F(ManipulateClassCli, SkipsEntriesWithoutTheClassAndRefusesAnUnknownLabel) {
  const auto r = Evalsim("manipulate " + ScenarioPath("cq_towns_1031.toml") +
                         " --sample 6 --goal class=优秀 --out " + (dir_ / "c").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("skipped"), std::string::npos) << r.out;
  const std::string summary = Slurp(dir_ / "c" / "manipulation_summary.csv");
  EXPECT_NE(summary.find("\nquota,"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\nquota_county,"), std::string::npos) << summary;
  EXPECT_EQ(summary.find("\nmedian,"), std::string::npos) << summary;

  const fs::path out = dir_ / "never";
  const auto bad = Evalsim("manipulate " + ScenarioPath("cq_towns_1031.toml") +
                           " --sample 6 --goal class=nosuch --out " + out.string());
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("--goal class=nosuch"), std::string::npos) << bad.out;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(ManipulateClassCli, CompositesAreSearchedWithTheFlag) {
  const std::string common = "manipulate " + ScenarioPath("canvassing_presets.toml") +
                             " --sample 4 --exact-max 0 --models ruian_composite_1000,median";
  const auto off = Evalsim(common + " --out " + (dir_ / "off").string());
  ASSERT_EQ(off.code, 0) << off.out;
  EXPECT_NE(off.out.find("ruian_composite_1000  skipped"), std::string::npos) << off.out;
  const auto on = Evalsim(common + " --composites --out " + (dir_ / "on").string());
  ASSERT_EQ(on.code, 0) << on.out;
  const std::string csv = Slurp(dir_ / "on" / "manipulation.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 * 4) << csv;
  EXPECT_NE(csv.find("\nruian_composite_1000,"), std::string::npos) << csv;
  // The median rows are the same with and without the flag.
  const std::string before = Slurp(dir_ / "off" / "manipulation.csv");
  EXPECT_NE(csv.find(before.substr(before.find("\nmedian,"))), std::string::npos);
}

}  // namespace
}  // namespace evalsim
