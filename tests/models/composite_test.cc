// Indicator models (composite, topsis, grey_relational) and the Monte Carlo
// uncertainty analysis over their modelling choices: a published TOPSIS
// example, hand-computed composites and grey relational grades, the vote
// blend, missing values, relabelling and scale invariance, option errors,
// and the uncertainty engine's fixed points, sensitivity indices,
// determinism across threads and [uncertainty] reading.
#include "models/indicators/composite.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "models/indicators/grey_relational.h"
#include "models/indicators/topsis.h"
#include "models/registry.h"
#include "sim/core/errors.h"
#include "sim/core/rng.h"
#include "sim/run/uncertainty.h"
#include "sim/scenario/parts.h"
#include "tests/support/ballot_builder.h"

namespace evalsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

IndicatorTable Table(const std::vector<std::vector<double>>& rows, std::vector<bool> cost,
                     std::vector<std::string> units = {}) {
  IndicatorTable t;
  const int n = static_cast<int>(rows.size());
  const int m = n > 0 ? static_cast<int>(rows[0].size()) : static_cast<int>(cost.size());
  for (int j = 0; j < m; ++j) t.names.push_back(fmt::format("x{}", j));
  if (units.empty())
    for (int i = 0; i < n; ++i) units.push_back(fmt::format("e{}", i));
  t.ratee_names = std::move(units);
  t.values.resize(n, m);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < m; ++j) t.values(i, j) = rows[i][j];
  t.cost = std::move(cost);
  return t;
}

Registry TestRegistry() {
  Registry r;
  r.Add(CompositeSpec());
  r.Add(TopsisSpec());
  r.Add(GreyRelationalSpec());
  return r;
}

std::unique_ptr<Model> Make(const std::string& model, const std::string& options,
                            const ModelContext& ctx = {}) {
  const toml::table table = toml::parse(std::string_view(options), std::string_view("test.toml"));
  return TestRegistry().Create(model, table, ctx, "test.toml", "models.x");
}

ScoreResult ScoreOn(const std::string& model, const std::string& options, const IndicatorTable& t,
                    const RatingBallots* ratings = nullptr) {
  ModelInput in;
  in.indicators = &t;
  in.ratings = ratings;
  return Make(model, options)->Score(in);
}

std::string ErrorOf(const std::string& model, const std::string& options,
                    const ModelContext& ctx = {}) {
  try {
    Make(model, options, ctx);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

double Param(const ScoreResult& r, const std::string& name) {
  for (const auto& [k, v] : r.parameters)
    if (k == name) return v;
  ADD_FAILURE() << "no parameter " << name;
  return kNaN;
}

bool HasNote(const ScoreResult& r, const std::string& part) {
  for (const auto& n : r.notes)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

// Hwang, C.-L. & Yoon, K. (1981), Multiple Attribute Decision Making:
// Methods and Applications, Springer (Lecture Notes in Economics and
// Mathematical Systems 186), the fighter-aircraft example of the TOPSIS
// section: four aircraft on maximum speed (Mach), ferry range (NM), maximum
// payload (lb), acquisition cost ($10^6, a cost attribute), reliability and
// maneuverability (qualitative, scored 3 = low, 5 = average, 7 = high,
// 9 = very high); weights (0.2, 0.1, 0.1, 0.1, 0.2, 0.3). Published relative
// closeness: 0.643, 0.268, 0.613, 0.312.
IndicatorTable FighterAircraft() {
  return Table({{2.0, 1500, 20000, 5.5, 5, 9},
                {2.5, 2700, 18000, 6.5, 3, 5},
                {1.8, 2000, 21000, 4.5, 7, 7},
                {2.2, 1800, 20000, 5.0, 5, 5}},
               {false, false, false, true, false, false}, {"A1", "A2", "A3", "A4"});
}

TEST(Topsis, ReproducesHwangYoonFighterAircraft) {
  const ScoreResult r =
      ScoreOn("topsis", "weights = [0.2, 0.1, 0.1, 0.1, 0.2, 0.3]", FighterAircraft());
  ASSERT_EQ(r.score.size(), 4);
  // The book works by hand with rounded intermediate values (the exact
  // closeness of A3 is 0.61354), so agreement is to the third decimal.
  const double published[] = {0.643, 0.268, 0.613, 0.312};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(r.score[i], published[i], 1e-3) << "A" << i + 1;
  // The published ranking: A1 > A3 > A4 > A2.
  EXPECT_GT(r.score[0], r.score[2]);
  EXPECT_GT(r.score[2], r.score[3]);
  EXPECT_GT(r.score[3], r.score[1]);
  EXPECT_DOUBLE_EQ(Param(r, "weight.x5"), 0.3);
}

TEST(Topsis, DirectionsOptionOverridesTheTable) {
  IndicatorTable t = FighterAircraft();
  t.cost.assign(6, false);  // the table says "all benefit"; the option restores cost
  const ScoreResult r = ScoreOn("topsis",
                                "weights = [0.2, 0.1, 0.1, 0.1, 0.2, 0.3]\n"
                                "directions = ['benefit','benefit','benefit','cost','benefit',"
                                "'benefit']",
                                t);
  EXPECT_NEAR(r.score[0], 0.643, 5e-4);
  EXPECT_NEAR(r.score[1], 0.268, 5e-4);
}

TEST(Topsis, ScaleInvariant) {
  IndicatorTable t = FighterAircraft();
  const ScoreResult a = ScoreOn("topsis", "weights = [0.2, 0.1, 0.1, 0.1, 0.2, 0.3]", t);
  t.values.col(1) *= 1.852;   // nautical miles -> km
  t.values.col(2) *= 0.4536;  // lb -> kg
  t.values.col(3) *= 1000.0;  // $10^6 -> $10^3
  const ScoreResult b = ScoreOn("topsis", "weights = [0.2, 0.1, 0.1, 0.1, 0.2, 0.3]", t);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(a.score[i], b.score[i], 1e-12);
}

// 3 units x 3 indicators, the third a cost indicator.
//   min-max: x0 -> 0, .5, 1; x1 -> 0, 1, .5; x2 (cost, (5 - x) / 4) -> 0, .5, 1.
IndicatorTable Small() { return Table({{1, 10, 5}, {2, 30, 3}, {3, 20, 1}}, {false, false, true}); }

TEST(Composite, HandComputedMinMaxFixedWeights) {
  // .5 x0 + .25 x1 + .25 x2: 0; .25 + .25 + .125 = .625; .5 + .125 + .25 = .875.
  const ScoreResult r = ScoreOn("composite", "weights = [0.5, 0.25, 0.25]", Small());
  ASSERT_EQ(r.score.size(), 3);
  EXPECT_NEAR(r.score[0], 0.0, 1e-12);
  EXPECT_NEAR(r.score[1], 0.625, 1e-12);
  EXPECT_NEAR(r.score[2], 0.875, 1e-12);
  EXPECT_DOUBLE_EQ(Param(r, "weight.x0"), 0.5);
  EXPECT_EQ(r.tiebreak.size(), 0);
  // Weights are scaled to sum 1.
  const ScoreResult s = ScoreOn("composite", "weights = [2, 1, 1]", Small());
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(s.score[i], r.score[i], 1e-12);
}

TEST(Composite, GeometricAggregation) {
  // Geometric mean of the min-max values with zeros raised to 1e-6:
  // unit 1: .5^.5 * 1^.25 * .5^.25 = .5^.75.
  const ScoreResult r =
      ScoreOn("composite", "weights = [0.5, 0.25, 0.25]\naggregation = 'geometric'", Small());
  EXPECT_NEAR(r.score[1], std::pow(0.5, 0.75), 1e-12);
  EXPECT_NEAR(r.score[2], std::pow(0.5, 0.25), 1e-12);
  EXPECT_LT(r.score[0], 1e-5);
}

TEST(GreyRelational, HandComputed) {
  // Reference 1 per column; deltas u0 (1,1,1), u1 (.5,0,.5), u2 (0,.5,0);
  // delta_min 0, delta_max 1, xi = .5 / (delta + .5): 1/3, 1/2, 1.
  const ScoreResult r = ScoreOn("grey_relational", "", Small());
  EXPECT_NEAR(r.score[0], 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(r.score[1], 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(r.score[2], 5.0 / 6.0, 1e-12);
  // rho = 1: xi = 1 / (delta + 1): 1/2, 2/3, 1.
  const ScoreResult s = ScoreOn("grey_relational", "rho = 1.0\nweights = [1, 0, 0]", Small());
  EXPECT_NEAR(s.score[0], 0.5, 1e-12);
  EXPECT_NEAR(s.score[1], 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(s.score[2], 1.0, 1e-12);
}

// One group, four grades (points 0, 60, 80, 100): e0 gets 好, 好 (100),
// e1 较好 (80), e2 差, 好 (50).
RatingBallots VoteBallots() {
  std::vector<testing_util::BallotRow> rows = {
      {0, 0, 0, 3}, {0, 0, 1, 3}, {1, 0, 0, 2}, {2, 0, 0, 0}, {2, 0, 1, 3}};
  return testing_util::BuildBallots(3, {"member"}, 4, rows, false);
}

const ModelContext kVoteCtx{4, {"member"}, {"x0", "x1", "x2"}};

TEST(Composite, VoteBlendHandComputed) {
  // Vote 100, 80, 50 -> min-max 1, .6, 0; index 0, .625, .875 (above);
  // .8 index + .2 vote = .2, .62, .7.
  const RatingBallots b = VoteBallots();
  const IndicatorTable t = Small();
  ModelInput in;
  in.indicators = &t;
  in.ratings = &b;
  const auto model = Make("composite",
                          "weights = [0.5, 0.25, 0.25]\n"
                          "vote = { model = 'weighted_mean', weight = 0.2, points = [0, 60, 80, "
                          "100] }",
                          kVoteCtx);
  const ScoreResult r = model->Score(in);
  EXPECT_NEAR(r.score[0], 0.2, 1e-12);
  EXPECT_NEAR(r.score[1], 0.62, 1e-12);
  EXPECT_NEAR(r.score[2], 0.7, 1e-12);
  EXPECT_DOUBLE_EQ(Param(r, "vote_weight"), 0.2);

  // Units are matched by name, not position.
  IndicatorTable p =
      Table({{3, 20, 1}, {1, 10, 5}, {2, 30, 3}}, {false, false, true}, {"e2", "e0", "e1"});
  in.indicators = &p;
  const ScoreResult q = model->Score(in);
  EXPECT_NEAR(q.score[0], 0.7, 1e-12);
  EXPECT_NEAR(q.score[1], 0.2, 1e-12);
  EXPECT_NEAR(q.score[2], 0.62, 1e-12);

  // A unit absent from the ballots keeps its indicator index.
  IndicatorTable extra =
      Table({{1, 10, 5}, {2, 30, 3}, {3, 20, 1}}, {false, false, true}, {"e0", "e1", "zz"});
  in.indicators = &extra;
  const ScoreResult z = model->Score(in);
  EXPECT_NEAR(z.score[2], 0.875, 1e-12);  // indicators only
  // Vote over e0, e1 only: 100, 80 -> 1, 0.
  EXPECT_NEAR(z.score[0], 0.2, 1e-12);
  EXPECT_NEAR(z.score[1], 0.8 * 0.625, 1e-12);
  EXPECT_TRUE(HasNote(z, "no vote score"));
}

TEST(Composite, VoteWithoutBallotsUsesIndicatorsOnly) {
  const IndicatorTable t = Small();
  ModelInput in;
  in.indicators = &t;
  const ScoreResult r =
      Make("composite",
           "weights = [0.5, 0.25, 0.25]\nvote = { model = 'weighted_mean', weight = 0.5 }",
           kVoteCtx)
          ->Score(in);
  EXPECT_NEAR(r.score[1], 0.625, 1e-12);
  EXPECT_NEAR(r.score[2], 0.875, 1e-12);
  EXPECT_TRUE(HasNote(r, "no rating ballots"));
}

TEST(Composite, VoteModelErrors) {
  EXPECT_NE(ErrorOf("composite", "vote = { model = 'composite', weight = 0.2 }", kVoteCtx)
                .find("cannot be nested"),
            std::string::npos);
  EXPECT_NE(ErrorOf("composite", "vote = { model = 'topsis', weight = 0.2 }", kVoteCtx)
                .find("cannot be nested"),
            std::string::npos);
  EXPECT_NE(ErrorOf("composite", "vote = { model = 'weighted_mean' }", kVoteCtx)
                .find("missing required key `weight`"),
            std::string::npos);
  EXPECT_NE(ErrorOf("composite", "vote = { model = 'weighted_mean', weight = 1.5 }", kVoteCtx)
                .find("vote.weight"),
            std::string::npos);
  // The sub-model's own options are checked by its own reader.
  const std::string e = ErrorOf(
      "composite", "vote = { model = 'weighted_mean', weight = 0.2, pionts = [1] }", kVoteCtx);
  EXPECT_NE(e.find("pionts"), std::string::npos) << e;
  EXPECT_NE(ErrorOf("composite", "vote = { model = 'no_such_model', weight = 0.2 }", kVoteCtx)
                .find("unknown model"),
            std::string::npos);
}

TEST(Composite, MissingValues) {
  // x1 of unit 1 missing: x1 over {10, 20} -> 0, -, 1; unit 1 averages its
  // present x0 (.5) and x2 (.5) with weights .5 and .25: .5.
  IndicatorTable t = Small();
  t.values(1, 1) = kNaN;
  const ScoreResult r = ScoreOn("composite", "weights = [0.5, 0.25, 0.25]", t);
  EXPECT_NEAR(r.score[0], 0.0, 1e-12);
  EXPECT_NEAR(r.score[1], 0.5, 1e-12);
  EXPECT_NEAR(r.score[2], 1.0, 1e-12);

  // A unit with no value at all ranks below everyone, with a note.
  IndicatorTable u =
      Table({{1, 10, 5}, {2, 30, 3}, {3, 20, 1}, {kNaN, kNaN, kNaN}}, {false, false, true});
  for (const char* model : {"composite", "topsis", "grey_relational"}) {
    const ScoreResult s = ScoreOn(model, "", u);
    ASSERT_EQ(s.score.size(), 4) << model;
    ASSERT_EQ(s.tiebreak.size(), 4) << model;
    const double lowest = std::min({s.score[0], s.score[1], s.score[2]});
    EXPECT_DOUBLE_EQ(s.score[3], lowest) << model;
    EXPECT_LT(s.tiebreak[3], s.tiebreak[0]) << model;
    EXPECT_TRUE(HasNote(s, "no indicator value")) << model;
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(std::isfinite(s.score[i])) << model;
  }
}

TEST(IndicatorModels, DegenerateInputsDoNotCrash) {
  const IndicatorTable empty = Table({}, {false, false});
  const IndicatorTable one = Table({{1, 2}}, {false, false});
  const IndicatorTable tied = Table({{1, 2}, {1, 2}, {1, 2}}, {false, true});
  const IndicatorTable none = Table({{kNaN, kNaN}, {kNaN, kNaN}}, {false, false});
  for (const char* model : {"composite", "topsis", "grey_relational"}) {
    for (const IndicatorTable* t : {&empty, &one, &tied, &none}) {
      for (const char* w : {"", "weighting = 'entropy'", "weighting = 'critic'"}) {
        const ScoreResult r = ScoreOn(model, w, *t);
        ASSERT_EQ(r.score.size(), t->NumRatees()) << model << " " << w;
        for (int i = 0; i < r.score.size(); ++i)
          EXPECT_TRUE(std::isfinite(r.score[i])) << model << " " << w;
      }
    }
    // All tied: every unit gets the same score.
    const ScoreResult r = ScoreOn(model, "", tied);
    EXPECT_DOUBLE_EQ(r.score[0], r.score[2]) << model;
  }
}

// Random table with some missing cells.
IndicatorTable RandomTable(int n, int m, uint64_t seed, double missing = 0.1) {
  Rng rng(seed);
  std::vector<std::vector<double>> rows(n, std::vector<double>(m));
  std::vector<bool> cost(m);
  for (int j = 0; j < m; ++j) cost[j] = j % 3 == 1;
  for (auto& row : rows)
    for (auto& v : row) v = rng.Uniform() < missing ? kNaN : 1.0 + 10.0 * rng.Uniform();
  return Table(rows, cost);
}

TEST(IndicatorModels, RelabellingInvariance) {
  const int n = 12, m = 4;
  const IndicatorTable t = RandomTable(n, m, 7);
  const std::vector<int> unit_perm = {5, 3, 11, 0, 8, 1, 10, 2, 7, 9, 4, 6};
  const std::vector<int> col_perm = {2, 0, 3, 1};
  IndicatorTable p;
  p.values.resize(n, m);
  p.cost.resize(m);
  p.names.resize(m);
  for (int i = 0; i < n; ++i) p.ratee_names.push_back(t.ratee_names[unit_perm[i]]);
  for (int j = 0; j < m; ++j) {
    p.cost[j] = t.cost[col_perm[j]];
    p.names[j] = t.names[col_perm[j]];
    for (int i = 0; i < n; ++i) p.values(i, j) = t.values(unit_perm[i], col_perm[j]);
  }
  const std::vector<double> w = {0.1, 0.2, 0.3, 0.4};
  std::vector<double> wp(m);
  for (int j = 0; j < m; ++j) wp[j] = w[col_perm[j]];
  for (const char* model : {"composite", "topsis", "grey_relational"}) {
    for (const char* extra : {"", "normalise = 'rank'", "normalise = 'zscore'",
                              "weighting = 'critic'", "weighting = 'entropy'"}) {
      const bool fixed = std::string(extra).find("weighting") == std::string::npos;
      const std::string a =
          fixed ? fmt::format("weights = [{}]\n{}", fmt::join(w, ","), extra) : std::string(extra);
      const std::string b =
          fixed ? fmt::format("weights = [{}]\n{}", fmt::join(wp, ","), extra) : std::string(extra);
      const ScoreResult r = ScoreOn(model, a, t);
      const ScoreResult s = ScoreOn(model, b, p);
      for (int i = 0; i < n; ++i)
        EXPECT_NEAR(s.score[i], r.score[unit_perm[i]], 1e-12) << model << " " << extra;
      for (int j = 0; j < m; ++j)
        EXPECT_NEAR(Param(s, "weight." + p.names[j]), Param(r, "weight." + p.names[j]), 1e-12);
    }
  }
}

TEST(Composite, MinMaxInvariantToPositiveAffineMaps) {
  IndicatorTable t = RandomTable(10, 3, 11);
  const ScoreResult a = ScoreOn("composite", "", t);
  t.values.col(0) = t.values.col(0) * 3.0 + Eigen::VectorXd::Constant(10, 7.0);
  t.values.col(2) *= 0.01;
  const ScoreResult b = ScoreOn("composite", "", t);
  for (int i = 0; i < 10; ++i) EXPECT_NEAR(a.score[i], b.score[i], 1e-12);
}

TEST(Composite, AhpWeightsAndConsistency) {
  // A consistent matrix from weights (2, 1, 1) / 4: a_ij = w_i / w_j.
  const ScoreResult r = ScoreOn("composite",
                                "weighting = 'ahp'\n"
                                "ahp = [[1, 2, 2], ['1/2', 1, 1], [0.5, 1, 1]]",
                                Small());
  EXPECT_NEAR(Param(r, "weight.x0"), 0.5, 1e-9);
  EXPECT_NEAR(Param(r, "weight.x1"), 0.25, 1e-9);
  EXPECT_NEAR(Param(r, "lambda_max"), 3.0, 1e-9);
  EXPECT_NEAR(Param(r, "cr"), 0.0, 1e-9);
  EXPECT_NEAR(r.score[1], 0.625, 1e-9);
  EXPECT_FALSE(HasNote(r, "warning"));
  // A cyclic (intransitive) matrix: CR far above 0.1 -> a warning note.
  const ScoreResult c = ScoreOn("composite",
                                "weighting = 'ahp'\nahp_method = 'geometric'\n"
                                "ahp = [[1, 9, '1/9'], ['1/9', 1, 9], [9, '1/9', 1]]",
                                Small());
  EXPECT_GT(Param(c, "cr"), 0.1);
  EXPECT_GT(Param(c, "ci"), 0.0);
  EXPECT_TRUE(HasNote(c, "warning"));
}

TEST(Composite, CombinedWeights) {
  // Additive: alpha * subjective + (1 - alpha) * CRITIC.
  const ScoreResult critic = ScoreOn("composite", "weighting = 'critic'", Small());
  const ScoreResult comb = ScoreOn("composite",
                                   "weighting = 'combined'\nobjective = 'critic'\nalpha = 0.25\n"
                                   "weights = [1, 0, 0]",
                                   Small());
  for (int j = 0; j < 3; ++j) {
    const std::string k = fmt::format("weight.x{}", j);
    EXPECT_NEAR(Param(comb, k), 0.25 * (j == 0) + 0.75 * Param(critic, k), 1e-12);
  }
}

TEST(IndicatorModels, OptionErrors) {
  const ModelContext ctx{0, {}, {"x0", "x1", "x2"}};
  auto expect = [&](const std::string& model, const std::string& opts, const std::string& part) {
    const std::string e = ErrorOf(model, opts, ctx);
    EXPECT_NE(e.find(part), std::string::npos) << opts << "\n  gave: " << e;
    EXPECT_NE(e.find("test.toml:"), std::string::npos) << e;
  };
  expect("composite", "weights = [1, 2]", "weights: has 2 entries; expected 3");
  expect("composite", "weights = [0, 0, 0]", "positive sum");
  expect("composite", "weights = [1, -1, 1]", "weights");
  expect("topsis", "directions = ['benefit', 'cost']", "directions: has 2 entries; expected 3");
  expect("topsis", "directions = ['benefit', 'cost', 'up']", "\"up\"");
  expect("composite", "normalise = 'l2'", "normalise");
  expect("composite", "weighting = 'ahp'", "needs `ahp`");
  expect("composite", "weighting = 'ahp'\nahp = [[1, 2], [0.5, 1]]", "has 2 rows; expected 3");
  expect("composite", "weighting = 'ahp'\nahp = [[1, 2, 3], [0.5, 1], [1, 1, 1]]", "row 2 has 2");
  // Not reciprocal: the offending cells are named.
  expect("composite", "weighting = 'ahp'\nahp = [[1, 2, 3], [0.5, 1, 4], [0.3333, 0.5, 1]]",
         "(2, 3)");
  expect("composite", "weighting = 'ahp'\nahp = [[1, 2, 3], [0.5, 1, 'x'], [0.3333, 1, 1]]",
         "cell (2, 3)");
  expect("composite", "weighting = 'ahp'\nahp = [[1, -2, 1], [-0.5, 1, 1], [1, 1, 1]]", "ahp");
  expect("composite", "ahp = [[1, 1, 1], [1, 1, 1], [1, 1, 1]]", "only used with");
  expect("composite", "weighting = 'entropy'\nweights = [1, 1, 1]", "only used with");
  expect("composite", "alpha = 0.3", "only used with");
  expect("composite", "random_index = 'saaty'", "only used with");
  expect("composite",
         "weighting = 'ahp'\nrandom_index = 'nope'\nahp = [[1, 1, 1], [1, 1, 1], [1, 1, 1]]",
         "random_index");
  expect("topsis", "aggregation = 'geometric'", "aggregation");
  expect("grey_relational", "rho = 0", "rho");
  expect("grey_relational", "vote = { model = 'weighted_mean', weight = 0.2 }", "vote");
  expect("composite", "wieghts = [1, 1, 1]", "wieghts");
}

TEST(IndicatorModels, OptionsAgainstAnotherTableNoteAndFallBack) {
  // Created without indicator names, then scored on a table of a different
  // width: equal weights, with a note, and no crash.
  const ScoreResult r = ScoreOn("composite", "weights = [1, 2]", Small());
  EXPECT_TRUE(HasNote(r, "equal weights"));
  EXPECT_NEAR(r.score[2], (1.0 + 0.5 + 1.0) / 3.0, 1e-12);
}

// ---------------------------------------------------------------------------
// Monte Carlo uncertainty
// ---------------------------------------------------------------------------

ModelEntry Entry(const std::string& model, const std::string& options) {
  ModelEntry e;
  e.name = "idx";
  e.model = model;
  e.path = "models.idx";
  e.options = toml::parse(std::string_view(options), std::string_view("test.toml"));
  return e;
}

UncertaintyResult Mc(const UncertaintySpec& spec, const ModelEntry& entry, const IndicatorTable& t,
                     uint64_t seed = 1, int threads = 0, const RatingBallots* b = nullptr,
                     const ModelContext& ctx = {}) {
  ModelInput in;
  in.indicators = &t;
  in.ratings = b;
  return RunUncertainty(spec, entry, in, ctx, seed, threads);
}

TEST(Uncertainty, NoVariedChoiceGivesTheBaseRanking) {
  const IndicatorTable t = RandomTable(40, 5, 3);
  UncertaintySpec spec;
  spec.model = "idx";
  spec.draws = 300;
  spec.random_index = {"saaty", "alonso_lamata"};  // never changes a rank
  for (const char* model : {"composite", "topsis", "grey_relational"}) {
    const UncertaintyResult r =
        Mc(spec,
           Entry(model,
                 "weighting = 'ahp'\nahp = [[1,2,1,1,1],[0.5,1,1,1,1],[1,1,1,1,1],"
                 "[1,1,1,1,1],[1,1,1,1,1]]"),
           t);
    ASSERT_EQ(r.median_rank.size(), 40u);
    // The base ranking is the model's own ranking.
    const ScoreResult s = ScoreOn(model,
                                  "weighting = 'ahp'\nahp = [[1,2,1,1,1],[0.5,1,1,1,1],[1,1,1,1,1],"
                                  "[1,1,1,1,1],[1,1,1,1,1]]",
                                  t);
    for (int e = 0; e < 40; ++e) {
      int better = 0;
      for (int f = 0; f < 40; ++f) better += s.score[f] > s.score[e] ? 1 : 0;
      EXPECT_EQ(r.base_rank[e], better + 1) << model;
      EXPECT_EQ(r.median_rank[e], r.base_rank[e]) << model;
      EXPECT_EQ(r.rank_lo[e], r.base_rank[e]) << model;
      EXPECT_EQ(r.rank_hi[e], r.base_rank[e]) << model;
    }
    bool cr_note = false;
    for (const auto& note : r.notes)
      cr_note = cr_note || note.find("random_index changes only") != std::string::npos;
    EXPECT_TRUE(cr_note) << model;
    ASSERT_EQ(r.choices, std::vector<std::string>{"random_index"});
    EXPECT_EQ(r.first_order[0], 0.0);
    EXPECT_EQ(r.share[0], 0.0);
  }
}

// Ranks (1 = best, ties share the smaller rank) of a model's score.
std::vector<int> RanksOfScore(const Eigen::VectorXd& s) {
  std::vector<int> r(s.size());
  for (int e = 0; e < s.size(); ++e) {
    int better = 0;
    for (int f = 0; f < s.size(); ++f) better += s[f] > s[e] ? 1 : 0;
    r[e] = better + 1;
  }
  return r;
}

TEST(Uncertainty, OnlyNormalisationVariedHasTheWholeShare) {
  const IndicatorTable t = RandomTable(30, 4, 5);
  UncertaintySpec spec;
  spec.model = "idx";
  spec.draws = 400;
  spec.normalisations = {"minmax", "rank"};
  const UncertaintyResult r = Mc(spec, Entry("composite", ""), t);
  const std::vector<int> a = RanksOfScore(ScoreOn("composite", "normalise = 'minmax'", t).score);
  const std::vector<int> b = RanksOfScore(ScoreOn("composite", "normalise = 'rank'", t).score);
  int differ = 0;
  for (int e = 0; e < 30; ++e) {
    // 400 fair draws: both options occur (failure probability 2^-399).
    EXPECT_EQ(r.rank_lo[e], std::min(a[e], b[e]));
    EXPECT_EQ(r.rank_hi[e], std::max(a[e], b[e]));
    EXPECT_TRUE(r.median_rank[e] == a[e] || r.median_rank[e] == b[e]);
    EXPECT_EQ(r.base_rank[e], a[e]);
    differ += a[e] != b[e] ? 1 : 0;
  }
  ASSERT_GT(differ, 0) << "test data must rank differently under the two normalisations";
  ASSERT_EQ(r.choices, std::vector<std::string>{"normalisation"});
  EXPECT_NEAR(r.first_order[0], 1.0, 1e-9);
  EXPECT_DOUBLE_EQ(r.share[0], 1.0);
}

TEST(Uncertainty, SeveralChoicesDeterministicAndThreadIndependent) {
  IndicatorTable big = RandomTable(60, 5, 9);
  std::vector<testing_util::BallotRow> rows;
  Rng rng(4);
  for (int e = 0; e < 60; ++e)
    for (uint32_t k = 0; k < 5; ++k) rows.push_back({e, 0, k, static_cast<uint8_t>(rng.Below(4))});
  const RatingBallots b = testing_util::BuildBallots(60, {"member"}, 4, rows, false);
  UncertaintySpec spec;
  spec.model = "idx";
  spec.draws = 2000;
  spec.weight_concentration = 20.0;
  spec.normalisations = {"minmax", "zscore", "rank"};
  spec.aggregations = {"arithmetic", "geometric"};
  spec.vote_weight = {0.0, 0.5};
  const ModelEntry entry = Entry("composite", "vote = { model = 'weighted_mean', weight = 0.2 }");
  const ModelContext ctx{4, {"member"}};
  const UncertaintyResult r1 = Mc(spec, entry, big, 17, 1, &b, ctx);
  const UncertaintyResult r2 = Mc(spec, entry, big, 17, 2, &b, ctx);
  const UncertaintyResult r3 = Mc(spec, entry, big, 17, 0, &b, ctx);
  EXPECT_EQ(UncertaintyCsv(r1), UncertaintyCsv(r2));
  EXPECT_EQ(SensitivityCsv(r1), SensitivityCsv(r2));
  EXPECT_EQ(UncertaintyCsv(r1), UncertaintyCsv(r3));
  EXPECT_EQ(r1.first_order, r2.first_order);
  const UncertaintyResult other = Mc(spec, entry, big, 18, 2, &b, ctx);
  EXPECT_NE(SensitivityCsv(r1), SensitivityCsv(other));

  const std::vector<std::string> expected = {"weight.x0",   "weight.x1",  "weight.x2",
                                             "weight.x3",   "weight.x4",  "normalisation",
                                             "aggregation", "vote_weight"};
  EXPECT_EQ(r1.choices, expected);
  double total = 0.0;
  for (size_t c = 0; c < r1.choices.size(); ++c) {
    EXPECT_GE(r1.first_order[c], 0.0);
    EXPECT_LE(r1.first_order[c], 1.0 + 1e-12);
    total += r1.share[c];
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
  for (int e = 0; e < 60; ++e) {
    EXPECT_LE(r1.rank_lo[e], r1.median_rank[e]);
    EXPECT_LE(r1.median_rank[e], r1.rank_hi[e]);
    EXPECT_GE(r1.rank_lo[e], 1);
    EXPECT_LE(r1.rank_hi[e], 60);
  }
}

TEST(Uncertainty, AggregationOnlyForCompositeAndDirectlyMeasured) {
  // Sensitivity to aggregation alone on TOPSIS is refused; on composite it
  // takes the whole share when it changes ranks.
  const IndicatorTable t = RandomTable(30, 4, 21, 0.0);
  UncertaintySpec spec;
  spec.model = "idx";
  spec.draws = 200;
  spec.aggregations = {"arithmetic", "geometric"};
  EXPECT_THROW(Mc(spec, Entry("topsis", ""), t), InputError);
  const UncertaintyResult r = Mc(spec, Entry("composite", ""), t);
  ASSERT_EQ(r.choices, std::vector<std::string>{"aggregation"});
  EXPECT_NEAR(r.first_order[0], 1.0, 1e-9);
}

TEST(Uncertainty, WeightConcentrationNarrowsIntervals) {
  const IndicatorTable t = RandomTable(50, 4, 23, 0.0);
  UncertaintySpec spec;
  spec.model = "idx";
  spec.draws = 1000;
  auto mean_width = [&](double kappa) {
    spec.weight_concentration = kappa;
    const UncertaintyResult r = Mc(spec, Entry("composite", ""), t);
    double w = 0.0;
    for (int e = 0; e < 50; ++e) w += r.rank_hi[e] - r.rank_lo[e];
    return w / 50;
  };
  const double loose = mean_width(2.0), tight = mean_width(2000.0);
  EXPECT_GT(loose, tight);
  EXPECT_GT(loose, 1.0);
}

TEST(Uncertainty, TwoWeightsExplainTheSameVariance) {
  // With two indicators w1 = 1 - w0: both weight choices partition the draws
  // the same way (up to the draws at the bin edges), the ranks depend on w0
  // alone, and 20 bins of a monotone step function explain most of it.
  const IndicatorTable t = RandomTable(40, 2, 31, 0.0);
  UncertaintySpec spec;
  spec.model = "idx";
  spec.draws = 4000;
  spec.weight_concentration = 5.0;
  const UncertaintyResult r = Mc(spec, Entry("composite", ""), t);
  ASSERT_EQ(r.choices, (std::vector<std::string>{"weight.x0", "weight.x1"}));
  EXPECT_NEAR(r.first_order[0], r.first_order[1], 0.02);
  EXPECT_GT(r.first_order[0], 0.8);
  EXPECT_LE(r.first_order[0], 1.0 + 1e-12);
  EXPECT_NEAR(r.share[0], 0.5, 0.01);
}

TEST(Uncertainty, ManyUnitsKeepEveryRank) {
  // Above 4096 units the ranks of every draw are kept instead of histograms.
  const IndicatorTable t = RandomTable(4100, 2, 29, 0.0);
  UncertaintySpec spec;
  spec.model = "idx";
  spec.draws = 40;
  spec.normalisations = {"minmax", "rank"};
  const UncertaintyResult r = Mc(spec, Entry("composite", ""), t);
  const std::vector<int> a = RanksOfScore(ScoreOn("composite", "normalise = 'minmax'", t).score);
  const std::vector<int> b = RanksOfScore(ScoreOn("composite", "normalise = 'rank'", t).score);
  for (int e = 0; e < 4100; e += 37) {
    EXPECT_EQ(r.rank_lo[e], std::min(a[e], b[e]));
    EXPECT_EQ(r.rank_hi[e], std::max(a[e], b[e]));
  }
}

TEST(Uncertainty, CsvOutputs) {
  const IndicatorTable t = Small();
  UncertaintySpec spec;
  spec.model = "idx";
  spec.draws = 10;
  spec.normalisations = {"minmax"};
  const UncertaintyResult r = Mc(spec, Entry("composite", "weights = [0.5, 0.25, 0.25]"), t);
  EXPECT_EQ(UncertaintyCsv(r),
            "evaluee,median_rank,rank_lo,rank_hi,base_rank\n"
            "e0,3,3,3,3\ne1,2,2,2,2\ne2,1,1,1,1\n");
  EXPECT_EQ(SensitivityCsv(r), "choice,first_order,share\nnormalisation,0,0\n");
}

// [uncertainty] reading, on a scenario whose models are already read.
std::vector<std::string> ReadU(const std::string& text, Scenario& s) {
  s.file = "test.toml";
  s.models.clear();
  s.models.push_back(Entry("composite", "vote = { model = 'weighted_mean', weight = 0.2 }"));
  s.models.back().name = "ci";
  s.models.push_back(Entry("topsis", ""));
  s.models.back().name = "tp";
  s.models.push_back(Entry("weighted_mean", ""));
  s.models.back().name = "wm";
  const toml::table root = toml::parse(std::string_view(text), std::string_view("test.toml"));
  OptionReader top(root, "test.toml", "");
  std::vector<std::string> errors;
  ReadUncertainty(top, s, errors);
  for (auto& e : top.Finish()) errors.push_back(e);
  return errors;
}

TEST(ReadUncertainty, Good) {
  Scenario s;
  const auto errors = ReadU(
      "[uncertainty]\nmodel = 'ci'\ndraws = 5000\nweight_concentration = 50\n"
      "normalisations = ['minmax', 'zscore']\naggregations = ['arithmetic', 'geometric']\n"
      "vote_weight = [0.1, 0.3]\nrandom_index = ['saaty', 'alonso_lamata']\n",
      s);
  EXPECT_TRUE(errors.empty()) << fmt::format("{}", fmt::join(errors, "\n"));
  EXPECT_EQ(s.uncertainty.model, "ci");
  EXPECT_EQ(s.uncertainty.draws, 5000);
  EXPECT_EQ(s.uncertainty.weight_concentration, 50.0);
  EXPECT_EQ(s.uncertainty.normalisations, (std::vector<std::string>{"minmax", "zscore"}));
  EXPECT_EQ(s.uncertainty.aggregations, (std::vector<std::string>{"arithmetic", "geometric"}));
  EXPECT_EQ(s.uncertainty.vote_weight, (std::vector<double>{0.1, 0.3}));
  EXPECT_EQ(s.uncertainty.random_index, (std::vector<std::string>{"saaty", "alonso_lamata"}));

  Scenario off;
  EXPECT_TRUE(ReadU("", off).empty());
  EXPECT_TRUE(off.uncertainty.model.empty());
  Scenario defaults;
  EXPECT_TRUE(ReadU("[uncertainty]\nmodel = 'tp'\n", defaults).empty());
  EXPECT_EQ(defaults.uncertainty.draws, 1000);
}

TEST(ReadUncertainty, Bad) {
  auto expect = [](const std::string& text, const std::string& part) {
    Scenario s;
    const auto errors = ReadU(text, s);
    const std::string all = fmt::format("{}", fmt::join(errors, "\n"));
    EXPECT_NE(all.find(part), std::string::npos) << text << "\n  gave: " << all;
    EXPECT_NE(all.find("test.toml:"), std::string::npos) << all;
  };
  expect("[uncertainty]\ndraws = 10\n", "missing required key `model`");
  expect("[uncertainty]\nmodel = 'nope'\n", "no [[models]] entry is named \"nope\"");
  expect("[uncertainty]\nmodel = 'wm'\n", "expected a composite, topsis or grey_relational");
  expect("[uncertainty]\nmodel = 'ci'\ndraws = 0\n", "draws");
  expect("[uncertainty]\nmodel = 'ci'\ndraws = 20000000\n", "draws");
  expect("[uncertainty]\nmodel = 'ci'\nweight_concentration = -1\n", "weight_concentration");
  expect("[uncertainty]\nmodel = 'ci'\nnormalisations = ['minmax', 'l2']\n", "\"l2\"");
  expect("[uncertainty]\nmodel = 'ci'\nnormalisations = []\n", "is empty");
  expect("[uncertainty]\nmodel = 'ci'\nnormalisations = ['rank', 'rank']\n", "twice");
  expect("[uncertainty]\nmodel = 'ci'\naggregations = ['median']\n", "\"median\"");
  expect("[uncertainty]\nmodel = 'tp'\naggregations = ['geometric']\n", "composite entries only");
  expect("[uncertainty]\nmodel = 'ci'\nvote_weight = [0.5, 0.2]\n", "lo = 0.5 is above");
  expect("[uncertainty]\nmodel = 'ci'\nvote_weight = [0.5]\n", "has 1 entries");
  expect("[uncertainty]\nmodel = 'ci'\nvote_weight = [0.1, 1.2]\n", "vote_weight");
  expect("[uncertainty]\nmodel = 'tp'\nvote_weight = [0.1, 0.2]\n", "has no `vote`");
  expect("[uncertainty]\nmodel = 'ci'\nrandom_index = ['saaty', 'x']\n", "\"x\"");
  expect("[uncertainty]\nmodel = 'ci'\ndraw = 10\n", "draw");
  expect("uncertainty = 3\n", "expected a table");
  // Locations: line 3 holds the bad key.
  expect("[uncertainty]\nmodel = 'ci'\nweight_concentration = -1\n", "test.toml:3:");
}

}  // namespace
}  // namespace evalsim
