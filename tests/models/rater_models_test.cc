// zscore_mean and bayes_shrink: hand-computed cases, a brute-force reference
// for zscore_mean, recovery of a known Dirichlet prior for bayes_shrink, the
// posterior sd against a Monte Carlo of the Dirichlet, degenerate data, and
// invariance under relabelling.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "models/ratings/bayes_shrink.h"
#include "models/ratings/zscore_mean.h"
#include "models/registry.h"
#include "sim/core/ballots.h"
#include "sim/core/errors.h"
#include "sim/core/rng.h"
#include "tests/support/ballot_builder.h"

namespace evalsim {
namespace {

using bayes_shrink_internal::Digamma;
using bayes_shrink_internal::LogGamma;

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
  int levels = 4;
  std::vector<std::string> groups = {"member"};
  std::vector<double> group_weights;  // empty: 1 for every group
  bool weighted = false;
};

Layout Shape(int ratees, int levels = 4, std::vector<std::string> groups = {"member"},
             std::vector<double> group_weights = {}, bool weighted = false) {
  Layout l;
  l.ratees = ratees;
  l.levels = levels;
  l.groups = std::move(groups);
  l.group_weights = std::move(group_weights);
  l.weighted = weighted;
  return l;
}

// CSR layout: rows sorted (stably) by slot = ratee * G + group.
RatingBallots Build(const Layout& layout, const std::vector<Row>& rows) {
  testing_util::BallotOptions options;
  options.group_weights = layout.group_weights;
  return testing_util::BuildBallots(layout.ratees, layout.groups, layout.levels,
                                    testing_util::ToBallotRows(rows), layout.weighted, options);
}

const Registry& TestRegistry() {
  static const Registry registry = [] {
    Registry r;
    r.Add(ZscoreMeanSpec());
    r.Add(BayesShrinkSpec());
    return r;
  }();
  return registry;
}

ScoreResult Fit(const std::string& model, const RatingBallots& b, const std::string& options = "") {
  const toml::table table = toml::parse(std::string_view(options), std::string_view("test.toml"));
  const ModelContext ctx = {b.levels, b.group_names};
  return TestRegistry().Create(model, table, ctx, "test.toml", "models.x")->Score(ModelInput{&b});
}

std::string CreateError(const std::string& model, const std::string& options, int levels = 4) {
  const toml::table table = toml::parse(std::string_view(options), std::string_view("test.toml"));
  try {
    TestRegistry().Create(model, table, {levels, {"superior", "member"}}, "test.toml", "models.x");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

double Param(const ScoreResult& r, const std::string& name) {
  for (const auto& [key, value] : r.parameters)
    if (key == name) return value;
  ADD_FAILURE() << "no parameter " << name;
  return std::nan("");
}

const Eigen::VectorXd& RaterValues(const ScoreResult& r, const std::string& name) {
  for (const auto& [key, value] : r.rater_values)
    if (key == name) return value;
  static const Eigen::VectorXd none;
  ADD_FAILURE() << "no rater values " << name;
  return none;
}

bool HasNote(const ScoreResult& r, const std::string& fragment) {
  for (const std::string& n : r.notes)
    if (n.find(fragment) != std::string::npos) return true;
  return false;
}

std::string Notes(const ScoreResult& r) { return fmt::format("{}", fmt::join(r.notes, " | ")); }

// ---------------------------------------------------------------------------
// zscore_mean

// Two raters, three evaluees, one group.
//   rater 0 grades e0..e2 as 3, 2, 1: mean 2, var (1 + 0 + 1) / 3 = 2/3,
//     z = (+sqrt(3/2), 0, -sqrt(3/2)) = (1.224745, 0, -1.224745)
//   rater 1 grades e0..e2 as 0, 0, 3: mean 1, var (1 + 1 + 4) / 3 = 2,
//     z = (-1/sqrt2, -1/sqrt2, 2/sqrt2) = (-0.707107, -0.707107, 1.414214)
std::vector<Row> TwoRaters() {
  return {{0, 0, 0, 3}, {1, 0, 0, 2}, {2, 0, 0, 1}, {0, 0, 1, 0}, {1, 0, 1, 0}, {2, 0, 1, 3}};
}

TEST(ZscoreMean, RaterOneGradeHigherContributesTheSame) {
  // Rater 0 gives 1, 2, 3; rater 1 gives 0, 1, 2: one grade lower for everyone.
  // Both standardise to (-sqrt(3/2), 0, +sqrt(3/2)), so the evaluees' z-scores
  // agree, the means are these values, and the sd of each evaluee's z is 0.
  const RatingBallots b =
      Build(Shape(3),
            {{0, 0, 0, 1}, {1, 0, 0, 2}, {2, 0, 0, 3}, {0, 0, 1, 0}, {1, 0, 1, 1}, {2, 0, 1, 2}});
  const ScoreResult r = Fit("zscore_mean", b);
  const double z = std::sqrt(1.5);
  EXPECT_NEAR(r.score[0], -z, 1e-12);
  EXPECT_NEAR(r.score[1], 0.0, 1e-12);
  EXPECT_NEAR(r.score[2], z, 1e-12);
  for (int e = 0; e < 3; ++e) EXPECT_NEAR(r.se[e], 0.0, 1e-12) << e;
  // The raters' own moments: means 2 and 1, the same sd sqrt(2/3).
  EXPECT_NEAR(RaterValues(r, "mean")[0], 2.0, 1e-12);
  EXPECT_NEAR(RaterValues(r, "mean")[1], 1.0, 1e-12);
  EXPECT_NEAR(RaterValues(r, "sd")[0], std::sqrt(2.0 / 3.0), 1e-12);
  EXPECT_NEAR(RaterValues(r, "sd")[1], std::sqrt(2.0 / 3.0), 1e-12);
  EXPECT_EQ(Param(r, "fallback_raters"), 0.0);
}

TEST(ZscoreMean, HandComputedTwoRatersThreeEvaluees) {
  const RatingBallots b = Build(Shape(3), TwoRaters());
  const ScoreResult r = Fit("zscore_mean", b);
  const double a = std::sqrt(1.5), h = std::sqrt(0.5);
  // e0 = (1.224745 - 0.707107) / 2 = 0.258819
  // e1 = (0 - 0.707107) / 2 = -0.353553
  // e2 = (-1.224745 + 1.414214) / 2 = 0.094734
  EXPECT_NEAR(r.score[0], (a - h) / 2, 1e-12);
  EXPECT_NEAR(r.score[1], -h / 2, 1e-12);
  EXPECT_NEAR(r.score[2], (-a + 2 * h) / 2, 1e-12);
  EXPECT_NEAR(r.score[0], 0.258819, 1e-6);
  // se with two z-scores: sample sd = |z1 - z2| / sqrt2, over sqrt2 = |z1 - z2| / 2.
  EXPECT_NEAR(r.se[0], (a + h) / 2, 1e-12);      // 0.965926
  EXPECT_NEAR(r.se[1], h / 2, 1e-12);            // 0.353553
  EXPECT_NEAR(r.se[2], (a + 2 * h) / 2, 1e-12);  // 1.319479
  // Pooled over 6 ballots: values 3,2,1,0,0,3: mean 9/6 = 1.5,
  // var = (9+4+1+0+0+9)/6 - 2.25 = 23/6 - 9/4 = 19/12.
  EXPECT_NEAR(Param(r, "pooled_mean"), 1.5, 1e-12);
  EXPECT_NEAR(Param(r, "pooled_sd"), std::sqrt(19.0 / 12.0), 1e-12);
  EXPECT_TRUE(r.notes.empty()) << Notes(r);
}

TEST(ZscoreMean, RaterWithOneBallotFallsBackToPooledMoments) {
  // The two raters above plus rater 2, who rates only e1, grade 3.
  std::vector<Row> rows = TwoRaters();
  rows.push_back({1, 0, 2, 3});
  const RatingBallots b = Build(Shape(3), rows);
  const ScoreResult r = Fit("zscore_mean", b);
  // Pooled over the 7 valid ballots 3,2,1,0,0,3,3: mean 12/7,
  // var = 32/7 - 144/49 = 80/49, sd = sqrt(80)/7 = 1.277753.
  // Rater 2's z = (3 - 12/7) / (sqrt(80)/7) = 9 / sqrt(80) = 1.006231.
  const double a = std::sqrt(1.5), h = std::sqrt(0.5), c = 9.0 / std::sqrt(80.0);
  EXPECT_NEAR(Param(r, "pooled_mean"), 12.0 / 7.0, 1e-12);
  EXPECT_NEAR(Param(r, "pooled_sd"), std::sqrt(80.0) / 7.0, 1e-12);
  // e1 = (0 - 0.707107 + 1.006231) / 3 = 0.099708; e0 and e2 as without rater 2.
  EXPECT_NEAR(r.score[1], (0.0 - h + c) / 3.0, 1e-12);
  EXPECT_NEAR(r.score[1], 0.099708, 1e-6);
  EXPECT_NEAR(r.score[0], (a - h) / 2, 1e-12);
  EXPECT_EQ(Param(r, "fallback_raters"), 1.0);
  const Eigen::VectorXd& fallback = RaterValues(r, "fallback");
  EXPECT_EQ(fallback[0], 0.0);
  EXPECT_EQ(fallback[1], 0.0);
  EXPECT_EQ(fallback[2], 1.0);
  EXPECT_NEAR(RaterValues(r, "mean")[2], 12.0 / 7.0, 1e-12);
  EXPECT_TRUE(HasNote(r, "1 rater(s) with fewer than 3 valid ballots and 0 with no variation"))
      << Notes(r);

  // min_ballots = 1: rater 2 now has enough ballots but no variation, and
  // still falls back; the note says why.
  const ScoreResult one = Fit("zscore_mean", b, "min_ballots = 1");
  EXPECT_NEAR(one.score[1], (0.0 - h + c) / 3.0, 1e-12);
  EXPECT_TRUE(HasNote(one, "0 rater(s) with fewer than 1 valid ballots and 1 with no variation"))
      << Notes(one);

  // min_ballots = 4: every rater falls back, so every z uses the pooled
  // moments; e0 = ((3 - 12/7) + (0 - 12/7)) / 2 / (sqrt(80)/7) = -1.5 / sqrt(80).
  const ScoreResult all = Fit("zscore_mean", b, "min_ballots = 4");
  EXPECT_NEAR(all.score[0], -1.5 / std::sqrt(80.0), 1e-12);
  EXPECT_EQ(Param(all, "fallback_raters"), 3.0);
}

TEST(ZscoreMean, GroupsAreAveragedWithinThenCombinedByWeight) {
  // Rater 0 (superior) as above; members: rater 1 as above and rater 3, who
  // gives 1, 2, 3: z = (-1.224745, 0, 1.224745).
  std::vector<Row> rows = {{0, 0, 0, 3}, {1, 0, 0, 2}, {2, 0, 0, 1}, {0, 1, 1, 0}, {1, 1, 1, 0},
                           {2, 1, 1, 3}, {0, 1, 3, 1}, {1, 1, 3, 2}, {2, 1, 3, 3}};
  const RatingBallots b = Build(Shape(3, 4, {"superior", "member"}, {0.3, 0.7}), rows);
  const double a = std::sqrt(1.5), h = std::sqrt(0.5);
  // e0: superior mean 1.224745; member mean (-0.707107 - 1.224745) / 2 = -0.965926.
  const double superior = a, member = (-h - a) / 2;
  const ScoreResult custom = Fit("zscore_mean", b, "group_weights = { superior = 3, member = 1 }");
  // (3 * 1.224745 + 1 * -0.965926) / 4 = 0.677077 (pooling the three z-scores
  // with ballot weights 3, 1, 1 would give 0.348...: the group mean matters).
  EXPECT_NEAR(custom.score[0], (3 * superior + member) / 4, 1e-12);
  EXPECT_NEAR(custom.score[0], 0.677077, 1e-6);
  // The ballots' own group weights 0.3 / 0.7: 0.367423 - 0.676148 = -0.308725.
  const ScoreResult own = Fit("zscore_mean", b);
  EXPECT_NEAR(own.score[0], 0.3 * superior + 0.7 * member, 1e-12);
  // A group of weight 0 drops out: the score is the member mean.
  const ScoreResult members = Fit("zscore_mean", b, "group_weights = { member = 1 }");
  EXPECT_NEAR(members.score[0], member, 1e-12);
  // Every evaluee is rated by the superior only: weight 0 everywhere -> 0, noted.
  const RatingBallots superiors_only =
      Build(Shape(2, 4, {"superior", "member"}), {{0, 0, 0, 3}, {1, 0, 0, 1}});
  const ScoreResult none = Fit("zscore_mean", superiors_only, "group_weights = { member = 1 }");
  EXPECT_EQ(none.score[0], 0.0);
  EXPECT_TRUE(HasNote(none, "2 evaluee(s) had valid votes only from groups of weight 0"))
      << Notes(none);
}

TEST(ZscoreMean, PointsAreStandardisedWhenGiven) {
  // One rater, grades 0, 1, 3 on e0..e2.
  const RatingBallots b = Build(Shape(3), {{0, 0, 0, 0}, {1, 0, 0, 1}, {2, 0, 0, 3}});
  // Grades: mean 4/3, var (16 + 1 + 25) / 27 = 14/9, z = (-1.069045, -0.267261, 1.336306).
  const ScoreResult grades = Fit("zscore_mean", b);
  EXPECT_NEAR(grades.score[0], -(4.0 / 3.0) / std::sqrt(14.0 / 9.0), 1e-12);
  EXPECT_NEAR(grades.score[2], (5.0 / 3.0) / std::sqrt(14.0 / 9.0), 1e-12);
  // Points 0, 60, 100: mean 160/3, var = (160/3)^2/3 + (20/3)^2/3 + (140/3)^2/3
  // = 45600/27, z = (-1.297771, 0.162221, 1.135550).
  const ScoreResult points = Fit("zscore_mean", b, "points = [0, 60, 80, 100]");
  const double sd = std::sqrt(45600.0 / 27.0);
  EXPECT_NEAR(points.score[0], -(160.0 / 3.0) / sd, 1e-12);
  EXPECT_NEAR(points.score[1], (20.0 / 3.0) / sd, 1e-12);
  EXPECT_NEAR(points.score[2], (140.0 / 3.0) / sd, 1e-12);
  // Equally spaced points are a linear map of the grades: same z-scores.
  const ScoreResult linear = Fit("zscore_mean", b, "points = [10, 30, 50, 70]");
  for (int e = 0; e < 3; ++e) EXPECT_NEAR(linear.score[e], grades.score[e], 1e-12);
}

TEST(ZscoreMean, BallotWeightsWeightTheMomentsAndBlanksAreIgnored) {
  // One rater: grades 3, 2, 1 with weights 2, 1, 1, plus a blank and a
  // zero-weight ballot that must change nothing.
  // W = 4, mean = (6 + 2 + 1) / 4 = 2.25,
  // var = (2 * 0.5625 + 0.0625 + 1.5625) / 4 = 0.6875, sd = 0.829156,
  // z = (0.75, -0.25, -1.25) / 0.829156 = (0.904534, -0.301511, -1.507557).
  const RatingBallots b = Build(Shape(3, 4, {"member"}, {}, true), {{0, 0, 0, 3, 2.0},
                                                                    {1, 0, 0, 2, 1.0},
                                                                    {2, 0, 0, 1, 1.0},
                                                                    {1, 0, 0, kBlank, 1.0},
                                                                    {0, 0, 0, 0, 0.0}});
  const ScoreResult r = Fit("zscore_mean", b);
  const double sd = std::sqrt(0.6875);
  EXPECT_NEAR(r.score[0], 0.75 / sd, 1e-12);
  EXPECT_NEAR(r.score[1], -0.25 / sd, 1e-12);
  EXPECT_NEAR(r.score[2], -1.25 / sd, 1e-12);
  EXPECT_NEAR(r.score[0], 0.904534, 1e-6);
  // One valid ballot each: se 0.
  for (int e = 0; e < 3; ++e) EXPECT_EQ(r.se[e], 0.0);
}

TEST(ZscoreMean, EvalueeWithoutValidVoteScoresZero) {
  std::vector<Row> rows = TwoRaters();
  rows.push_back({3, 0, 0, kBlank});
  const RatingBallots b = Build(Shape(5), rows);
  const ScoreResult r = Fit("zscore_mean", b);
  EXPECT_EQ(r.score[3], 0.0);
  EXPECT_EQ(r.score[4], 0.0);
  EXPECT_EQ(r.se[3], 0.0);
  EXPECT_TRUE(HasNote(r, "2 evaluee(s) had no valid vote and scored 0")) << Notes(r);
  // The blank changes nothing for the others.
  EXPECT_NEAR(r.score[0], (std::sqrt(1.5) - std::sqrt(0.5)) / 2, 1e-12);
}

TEST(ZscoreMean, EveryoneGivesTheSameGradeGivesZeros) {
  std::vector<Row> rows;
  for (int rater = 0; rater < 4; ++rater)
    for (int e = 0; e < 3; ++e) rows.push_back({e, 0, rater, 3});
  const ScoreResult r = Fit("zscore_mean", Build(Shape(3), rows));
  for (int e = 0; e < 3; ++e) EXPECT_EQ(r.score[e], 0.0);
  EXPECT_EQ(Param(r, "pooled_sd"), 0.0);
  EXPECT_TRUE(HasNote(r, "every z-score is 0")) << Notes(r);
}

// A rater who shifts all grades by a constant changes nothing (checked on
// random data where no shifted grade leaves the scale).
TEST(ZscoreMean, ShiftingARatersGradesChangesNothing) {
  Rng rng(DeriveSeed(31, {1}));
  std::vector<Row> rows, shifted;
  for (int rater = 0; rater < 12; ++rater) {
    const int shift = static_cast<int>(rng.Below(2));
    for (int e = 0; e < 9; ++e) {
      if (rng.Bernoulli(0.2)) continue;
      const int grade = static_cast<int>(rng.Below(3));
      rows.push_back({e, rater % 2, rater, grade});
      shifted.push_back({e, rater % 2, rater, grade + shift});
    }
  }
  const Layout layout = Shape(9, 4, {"superior", "member"});
  const ScoreResult a = Fit("zscore_mean", Build(layout, rows));
  const ScoreResult b = Fit("zscore_mean", Build(layout, shifted));
  for (int e = 0; e < 9; ++e) {
    EXPECT_NEAR(a.score[e], b.score[e], 1e-12) << e;
    EXPECT_NEAR(a.se[e], b.se[e], 1e-12) << e;
  }
}

// Straightforward reference: collect every rater's values, compute the
// moments directly, then each evaluee's group means.
struct Reference {
  std::vector<double> score, se;
  int fallbacks = 0;
};

Reference ZscoreReference(const Layout& layout, const std::vector<Row>& rows,
                          const std::vector<double>& group_weights, int min_ballots) {
  std::map<int, std::vector<std::pair<double, double>>> by_rater;  // (value, weight)
  std::vector<std::pair<double, double>> all;
  for (const Row& r : rows) {
    if (r.grade == kBlank || !(r.weight > 0.0)) continue;
    by_rater[r.rater].push_back({static_cast<double>(r.grade), r.weight});
    all.push_back({static_cast<double>(r.grade), r.weight});
  }
  auto moments = [](const std::vector<std::pair<double, double>>& v) {
    double w = 0.0, s = 0.0;
    for (auto [x, wt] : v) {
      w += wt;
      s += wt * x;
    }
    const double mean = s / w;
    double ss = 0.0;
    for (auto [x, wt] : v) ss += wt * (x - mean) * (x - mean);
    return std::make_pair(mean, std::sqrt(ss / w));
  };
  const auto [pooled_mean, pooled_sd] = moments(all);
  Reference ref;
  std::map<int, std::pair<double, double>> stand;
  // A rater with no valid ballot counts as a fallback (there is nothing of
  // their own to standardise by).
  int raters = 0;
  for (const Row& r : rows) raters = std::max(raters, r.rater + 1);
  ref.fallbacks = raters - static_cast<int>(by_rater.size());
  for (const auto& [rater, values] : by_rater) {
    auto [mean, sd] = moments(values);
    if (static_cast<int>(values.size()) < min_ballots || sd <= 1e-9 * (layout.levels - 1)) {
      mean = pooled_mean;
      sd = pooled_sd;
      ++ref.fallbacks;
    }
    stand[rater] = {mean, sd};
  }
  const int G = static_cast<int>(layout.groups.size());
  for (int e = 0; e < layout.ratees; ++e) {
    std::vector<double> num(G, 0.0), den(G, 0.0);
    std::vector<std::pair<double, double>> zs;
    for (const Row& r : rows) {
      if (r.ratee != e || r.grade == kBlank || !(r.weight > 0.0)) continue;
      const auto [mean, sd] = stand[r.rater];
      const double z = (r.grade - mean) / sd;
      num[r.group] += r.weight * z;
      den[r.group] += r.weight;
      zs.push_back({z, r.weight});
    }
    double n = 0.0, d = 0.0;
    for (int g = 0; g < G; ++g) {
      if (den[g] <= 0.0) continue;
      n += group_weights[g] * num[g] / den[g];
      d += group_weights[g];
    }
    ref.score.push_back(d > 0.0 ? n / d : 0.0);
    double se = 0.0;
    if (zs.size() >= 2) {
      double w = 0.0, w2 = 0.0;
      for (auto [z, wt] : zs) {
        w += wt;
        w2 += wt * wt;
      }
      const double n_eff = w * w / w2;
      const double var = moments(zs).second * moments(zs).second;
      se = std::sqrt(var / (n_eff - 1.0));
    }
    ref.se.push_back(se);
  }
  return ref;
}

TEST(ZscoreMean, MatchesBruteForceReference) {
  Rng rng(DeriveSeed(32, {1}));
  for (int trial = 0; trial < 20; ++trial) {
    const bool weighted = trial % 2 == 1;
    const Layout layout = {.ratees = 8,
                           .levels = 5,
                           .groups = {"superior", "member"},
                           .group_weights = {0.4, 0.6},
                           .weighted = weighted};
    std::vector<Row> rows;
    for (int rater = 0; rater < 14; ++rater) {
      const bool constant = rater == 5;                  // gives one grade throughout
      const double coverage = rater >= 12 ? 0.15 : 0.8;  // the last two rate few
      for (int e = 0; e < layout.ratees; ++e) {
        if (!rng.Bernoulli(coverage)) continue;
        int grade = constant ? 2 : static_cast<int>(rng.Below(5));
        if (rng.Bernoulli(0.1)) grade = kBlank;
        const double w = weighted ? 0.25 + 2.0 * rng.Uniform() : 1.0;
        rows.push_back({e, rater < 4 ? 0 : 1, rater, grade, w});
      }
    }
    const Reference ref = ZscoreReference(layout, rows, layout.group_weights, 3);
    const ScoreResult r = Fit("zscore_mean", Build(layout, rows));
    ASSERT_EQ(r.score.size(), layout.ratees);
    for (int e = 0; e < layout.ratees; ++e) {
      // Ballot weights are stored as float in the ballots: compare loosely.
      const double tol = weighted ? 1e-6 : 1e-12;
      EXPECT_NEAR(r.score[e], ref.score[e], tol) << "trial " << trial << " e" << e;
      EXPECT_NEAR(r.se[e], ref.se[e], tol) << "trial " << trial << " e" << e;
    }
    EXPECT_EQ(Param(r, "fallback_raters"), ref.fallbacks) << "trial " << trial;
  }
}

TEST(ZscoreMean, OptionErrors) {
  EXPECT_NE(CreateError("zscore_mean", "min_ballots = 0").find("models.x.min_ballots"),
            std::string::npos);
  EXPECT_NE(CreateError("zscore_mean", "points = [0, 1]").find("models.x.points"),
            std::string::npos);
  EXPECT_NE(CreateError("zscore_mean", "group_weights = { boss = 1 }").find("boss"),
            std::string::npos);
  EXPECT_EQ(CreateError("zscore_mean", "min_ballots = 1\npoints = [0, 1, 2, 4]"), "");
}

// ---------------------------------------------------------------------------
// bayes_shrink

TEST(Digamma, KnownValues) {
  EXPECT_NEAR(Digamma(1.0), -0.5772156649015329, 1e-14);
  EXPECT_NEAR(Digamma(0.5), -1.9635100260214235, 1e-14);
  EXPECT_NEAR(Digamma(10.0), 2.251752589066721, 1e-14);
  EXPECT_NEAR(Digamma(2.0), 1.0 - 0.5772156649015329, 1e-14);
  EXPECT_NEAR(Digamma(100.0), 4.600161852738087, 1e-14);
  // The positive root of psi.
  EXPECT_NEAR(Digamma(1.4616321449683623), 0.0, 1e-14);
  // psi(x) = -1/x - gamma + (pi^2 / 6) x + O(x^2) near 0.
  const double x = 1e-6;
  EXPECT_NEAR(Digamma(x), -1.0 / x - 0.5772156649015329 + M_PI * M_PI / 6.0 * x, 1e-8);
  EXPECT_TRUE(std::isnan(Digamma(0.0)));
  EXPECT_TRUE(std::isnan(Digamma(-1.0)));
}

TEST(Digamma, RecurrenceHoldsAcrossTheSeriesThreshold) {
  // psi(x + 1) = psi(x) + 1/x, including across x = 10 where the series
  // takes over, and for large x.
  for (double x : {0.01, 0.3, 1.7, 8.5, 9.25, 9.999, 10.0, 12.5, 1e3, 1e6}) {
    EXPECT_NEAR(Digamma(x + 1.0), Digamma(x) + 1.0 / x, 2e-15 * (1.0 + std::abs(Digamma(x)))) << x;
  }
}

TEST(LogGamma, KnownValuesAndRecurrence) {
  EXPECT_NEAR(LogGamma(1.0), 0.0, 1e-14);
  EXPECT_NEAR(LogGamma(2.0), 0.0, 1e-14);
  EXPECT_NEAR(LogGamma(0.5), 0.5 * std::log(M_PI), 1e-14);  // Gamma(1/2) = sqrt(pi)
  EXPECT_NEAR(LogGamma(10.0), std::log(362880.0), 1e-13);   // 9!
  EXPECT_NEAR(LogGamma(101.0), 363.73937555556347, 1e-11);  // ln 100!
  // ln Gamma(x) = -ln x - gamma x + O(x^2) near 0.
  EXPECT_NEAR(LogGamma(1e-6), -std::log(1e-6) - 0.5772156649015329e-6, 1e-11);
  for (double x : {0.01, 0.7, 3.3, 9.5, 10.0, 55.5, 1e5})
    EXPECT_NEAR(LogGamma(x + 1.0), LogGamma(x) + std::log(x), 1e-12 * (1.0 + std::abs(LogGamma(x))))
        << x;
  EXPECT_TRUE(std::isnan(LogGamma(0.0)));
}

// Gamma(shape, 1) draw (Marsaglia & Tsang 2000; shape < 1 by boosting with
// U^(1/shape)).
double GammaDraw(Rng& rng, double shape) {
  if (shape < 1.0) return GammaDraw(rng, shape + 1.0) * std::pow(rng.UniformOpen(), 1.0 / shape);
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const double x = rng.Normal();
    double v = 1.0 + c * x;
    if (v <= 0.0) continue;
    v = v * v * v;
    const double u = rng.UniformOpen();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

std::vector<double> DirichletDraw(Rng& rng, const std::vector<double>& alpha) {
  std::vector<double> p(alpha.size());
  double sum = 0.0;
  for (size_t k = 0; k < alpha.size(); ++k) sum += p[k] = GammaDraw(rng, alpha[k]);
  for (double& x : p) x /= sum;
  return p;
}

// Ballots from per-evaluee grade counts: vote j of an evaluee comes from
// rater j (raters are shared across evaluees; bayes_shrink ignores them).
RatingBallots FromCounts(const std::vector<std::vector<int>>& counts) {
  Layout layout;
  layout.ratees = static_cast<int>(counts.size());
  layout.levels = static_cast<int>(counts[0].size());
  std::vector<Row> rows;
  for (int e = 0; e < layout.ratees; ++e) {
    int j = 0;
    for (int k = 0; k < layout.levels; ++k)
      for (int c = 0; c < counts[e][k]; ++c) rows.push_back({e, 0, j++, k});
  }
  return Build(layout, rows);
}

// Counts of `units` evaluees with `votes` votes each, from a Dirichlet–
// multinomial with parameter alpha.
std::vector<std::vector<int>> SimulateCounts(Rng& rng, const std::vector<double>& alpha, int units,
                                             int votes) {
  std::vector<std::vector<int>> counts(units, std::vector<int>(alpha.size(), 0));
  for (auto& row : counts) {
    const std::vector<double> p = DirichletDraw(rng, alpha);
    for (int v = 0; v < votes; ++v) {
      double u = rng.Uniform();
      size_t k = 0;
      while (k + 1 < p.size() && u >= p[k]) u -= p[k++];
      ++row[k];
    }
  }
  return counts;
}

std::vector<double> Alpha(const ScoreResult& r, int K) {
  std::vector<double> a(K);
  for (int k = 0; k < K; ++k) a[k] = Param(r, fmt::format("alpha_{}", k));
  return a;
}

TEST(BayesShrink, HandComputedMomentsEstimate) {
  // K = 2, counts (4,0), (0,4), (2,2), (2,2): N = 16, m = (1/2, 1/2),
  // S = sum (n_ik - N_i m_k)^2 / N_i = (1 + 1) + (1 + 1) + 0 + 0 = 4,
  // B = 1 - (1/4 + 1/4) = 1/2, R = S / B = 8, Q = 4 * 16 / 16 = 4,
  // A = (N - Q - R) / (R - (n - 1)) = (16 - 4 - 8) / (8 - 3) = 0.8: alpha = (0.4, 0.4).
  const RatingBallots b = FromCounts({{4, 0}, {0, 4}, {2, 2}, {2, 2}});
  const ScoreResult r = Fit("bayes_shrink", b, "estimator = \"moments\"");
  EXPECT_NEAR(Param(r, "alpha_0"), 0.4, 1e-12);
  EXPECT_NEAR(Param(r, "alpha_1"), 0.4, 1e-12);
  EXPECT_NEAR(Param(r, "prior_strength"), 0.8, 1e-12);
  EXPECT_EQ(Param(r, "estimator_mle"), 0.0);
  // Points (0, 100). e0: posterior (4.4, 0.4) / 4.8: score 100 * 0.4 / 4.8 = 8.333333;
  // var = 100^2 * (0.4/4.8) (4.4/4.8) / 5.8 = 131.705, se = 11.476279.
  EXPECT_NEAR(r.score[0], 100.0 * 0.4 / 4.8, 1e-10);
  EXPECT_NEAR(r.score[1], 100.0 * 4.4 / 4.8, 1e-10);
  EXPECT_NEAR(r.score[2], 50.0, 1e-10);
  EXPECT_NEAR(r.se[0], 11.476279050411414, 1e-9);
  // e2: posterior (2.4, 2.4): var = 100^2 / 4 / 5.8, se = 20.761370.
  EXPECT_NEAR(r.se[2], 20.76136996343499, 1e-9);
  EXPECT_TRUE(HasNote(r, "method of moments")) << Notes(r);
}

TEST(BayesShrink, MleRecoversAKnownDirichlet) {
  Rng rng(DeriveSeed(41, {1}));
  const std::vector<double> truth = {0.5, 1.0, 2.0, 4.0};
  const auto counts = SimulateCounts(rng, truth, 2000, 20);
  const RatingBallots b = FromCounts(counts);
  const ScoreResult r = Fit("bayes_shrink", b);
  ASSERT_EQ(Param(r, "estimator_mle"), 1.0) << Notes(r);
  const std::vector<double> alpha = Alpha(r, 4);
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(alpha[k], truth[k], 0.12 * truth[k]) << k;
  EXPECT_EQ(Param(r, "evaluees_used"), 2000.0);
  EXPECT_TRUE(HasNote(r, "marginal maximum likelihood")) << Notes(r);

  // The estimate is a stationary point of the marginal likelihood, checked
  // evaluee by evaluee (no compression of counts): for every k,
  // d logL / d alpha_k = sum_i [psi(A) - psi(N_i + A) + psi(n_ik + a_k) - psi(a_k)] = 0.
  double A = 0.0;
  for (double a : alpha) A += a;
  for (int k = 0; k < 4; ++k) {
    double grad = 0.0, scale = 0.0;
    for (const auto& row : counts) {
      const double term_a = Digamma(row[k] + alpha[k]) - Digamma(alpha[k]);
      const double term_A = Digamma(20.0 + A) - Digamma(A);
      grad += term_a - term_A;
      scale += std::abs(term_a) + std::abs(term_A);
    }
    EXPECT_LT(std::abs(grad), 1e-6 * scale) << "k=" << k << " grad=" << grad;
  }
}

TEST(BayesShrink, MleConvergesWhenThePriorIsStrong) {
  // A = 1000: the plain fixed point needs thousands of steps here.
  Rng rng(DeriveSeed(42, {1}));
  const std::vector<double> truth = {20, 50, 230, 700};
  const RatingBallots b = FromCounts(SimulateCounts(rng, truth, 3000, 100));
  const ScoreResult r = Fit("bayes_shrink", b);
  ASSERT_EQ(Param(r, "estimator_mle"), 1.0) << Notes(r);
  EXPECT_LT(Param(r, "iterations"), 500.0);
  // Strength is hard to pin down at this size (100 votes tell little about a
  // prior this strong); the shares are not.
  const std::vector<double> alpha = Alpha(r, 4);
  const double A = Param(r, "prior_strength");
  EXPECT_GT(A, 500.0);
  EXPECT_LT(A, 2000.0);
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(alpha[k] / A, truth[k] / 1000.0, 0.01) << k;
}

TEST(BayesShrink, MomentsFallbackWhenMleDoesNotConverge) {
  Rng rng(DeriveSeed(43, {1}));
  const RatingBallots b = FromCounts(SimulateCounts(rng, {0.5, 1.0, 2.0, 4.0}, 300, 20));
  const ScoreResult capped = Fit("bayes_shrink", b, "max_iterations = 1");
  EXPECT_EQ(Param(capped, "estimator_mle"), 0.0);
  EXPECT_EQ(Param(capped, "iterations"), 1.0);
  EXPECT_TRUE(HasNote(capped, "did not converge in 1 steps: method-of-moments prior used"))
      << Notes(capped);
  // The fallback is exactly the moment estimate.
  const ScoreResult moments = Fit("bayes_shrink", b, "estimator = \"moments\"");
  for (int k = 0; k < 4; ++k) {
    const std::string name = fmt::format("alpha_{}", k);
    EXPECT_EQ(Param(capped, name), Param(moments, name)) << k;
  }
  for (int e = 0; e < b.NumRatees(); ++e) EXPECT_EQ(capped.score[e], moments.score[e]);
  // Given room, the same data converge and the estimates differ (both are
  // consistent, they are not the same statistic).
  const ScoreResult mle = Fit("bayes_shrink", b);
  EXPECT_EQ(Param(mle, "estimator_mle"), 1.0);
  EXPECT_NE(Param(mle, "alpha_0"), Param(moments, "alpha_0"));
}

TEST(BayesShrink, SmallUnitsShrinkMuchMoreThanLargeOnes) {
  Rng rng(DeriveSeed(44, {1}));
  // A dispersed population (prior strength near 3.8), plus two units with
  // the same shares 1/3 较好, 2/3 好: one with 3 votes, one with 300.
  auto counts = SimulateCounts(rng, {0.3, 0.5, 1.0, 2.0}, 400, 15);
  counts.push_back({0, 0, 1, 2});
  counts.push_back({0, 0, 100, 200});
  const RatingBallots b = FromCounts(counts);
  const ScoreResult r = Fit("bayes_shrink", b);
  const int small = b.NumRatees() - 2, large = b.NumRatees() - 1;
  const std::vector<double> alpha = Alpha(r, 4);
  const std::vector<double> points = {0, 60, 80, 100};
  double A = 0.0, prior_mean = 0.0;
  for (int k = 0; k < 4; ++k) {
    A += alpha[k];
    prior_mean += points[k] * alpha[k];
  }
  prior_mean /= A;
  const double raw = (80.0 + 2 * 100.0) / 3.0;  // 93.333 for both units
  // Posterior mean = (A * prior_mean + N * raw) / (A + N).
  EXPECT_NEAR(r.score[small], (A * prior_mean + 3 * raw) / (A + 3), 1e-9);
  EXPECT_NEAR(r.score[large], (A * prior_mean + 300 * raw) / (A + 300), 1e-9);
  const double shift_small = raw - r.score[small], shift_large = raw - r.score[large];
  EXPECT_GT(shift_small, 0.0);
  EXPECT_GT(shift_large, 0.0);
  // The shifts are A / (A + N) times the same gap: ratio (A + 300) / (A + 3).
  EXPECT_NEAR(shift_small / shift_large, (A + 300) / (A + 3), 1e-6 * (A + 300) / (A + 3));
  EXPECT_GT(shift_small / shift_large, 20.0) << "A = " << A;
  EXPECT_LT(shift_large, 0.5);
  // The small unit's se is much larger than the large unit's.
  EXPECT_GT(r.se[small], 5.0 * r.se[large]);
}

TEST(BayesShrink, PosteriorSdMatchesMonteCarlo) {
  Rng rng(DeriveSeed(45, {1}));
  const RatingBallots b = FromCounts(SimulateCounts(rng, {0.5, 1.0, 2.0, 4.0}, 200, 12));
  const ScoreResult r = Fit("bayes_shrink", b);
  const std::vector<double> alpha = Alpha(r, 4);
  const std::vector<double> points = {0, 60, 80, 100};
  for (int e : {0, 7}) {
    std::vector<double> post = alpha;
    for (uint64_t i = b.slot_begin[e]; i < b.slot_begin[e + 1]; ++i)
      post[BallotGrade(b.ballot[i])] += 1.0;
    const int draws = 200000;
    double sum = 0.0, sum_sq = 0.0;
    for (int d = 0; d < draws; ++d) {
      const std::vector<double> p = DirichletDraw(rng, post);
      double x = 0.0;
      for (int k = 0; k < 4; ++k) x += points[k] * p[k];
      sum += x;
      sum_sq += x * x;
    }
    const double mean = sum / draws, sd = std::sqrt(sum_sq / draws - mean * mean);
    // Monte Carlo error of the mean: sd / sqrt(2e5) ~ 0.02 sd; of the sd ~ 0.2 %.
    EXPECT_NEAR(r.score[e], mean, 0.01 * sd) << e;
    EXPECT_NEAR(r.se[e], sd, 0.01 * sd) << e;
  }
}

TEST(BayesShrink, RelabellingEvalueesPermutesScores) {
  Rng rng(DeriveSeed(46, {1}));
  const auto counts = SimulateCounts(rng, {0.5, 1.0, 2.0, 4.0}, 60, 9);
  std::vector<int> p(counts.size());
  std::iota(p.begin(), p.end(), 0);
  for (size_t i = p.size() - 1; i > 0; --i) std::swap(p[i], p[rng.Below(i + 1)]);
  std::vector<std::vector<int>> permuted(counts.size());
  for (size_t e = 0; e < counts.size(); ++e) permuted[p[e]] = counts[e];
  const ScoreResult a = Fit("bayes_shrink", FromCounts(counts));
  const ScoreResult b = Fit("bayes_shrink", FromCounts(permuted));
  for (size_t e = 0; e < counts.size(); ++e) {
    EXPECT_NEAR(a.score[e], b.score[p[e]], 1e-9 * 100) << e;
    EXPECT_NEAR(a.se[e], b.se[p[e]], 1e-9 * 100) << e;
  }
  EXPECT_NEAR(Param(a, "prior_strength"), Param(b, "prior_strength"),
              1e-9 * Param(a, "prior_strength"));
}

TEST(BayesShrink, WeightsActAsCounts) {
  // A ballot of weight 2 counts as two identical ballots.
  const Layout plain = Shape(3, 3);
  Layout weighted = plain;
  weighted.weighted = true;
  const RatingBallots a = Build(plain, {{0, 0, 0, 2},
                                        {0, 0, 1, 2},
                                        {0, 0, 2, 1},
                                        {1, 0, 0, 0},
                                        {1, 0, 1, 1},
                                        {2, 0, 0, 2},
                                        {2, 0, 1, 0},
                                        {2, 0, 2, 0}});
  const RatingBallots b = Build(weighted, {{0, 0, 0, 2, 2.0},
                                           {0, 0, 2, 1, 1.0},
                                           {1, 0, 0, 0, 1.0},
                                           {1, 0, 1, 1, 1.0},
                                           {2, 0, 0, 2, 1.0},
                                           {2, 0, 1, 0, 2.0}});
  const ScoreResult ra = Fit("bayes_shrink", a), rb = Fit("bayes_shrink", b);
  for (int e = 0; e < 3; ++e) {
    EXPECT_NEAR(ra.score[e], rb.score[e], 1e-9) << e;
    EXPECT_NEAR(ra.se[e], rb.se[e], 1e-9) << e;
  }
}

TEST(BayesShrink, DegenerateDataGiveFiniteResults) {
  const std::vector<double> points = {0, 60, 80, 100};
  auto finite = [](const ScoreResult& r) {
    return r.score.allFinite() && r.se.allFinite() && (r.se.array() >= 0.0).all();
  };
  // Every evaluee has the same counts: no spread beyond sampling noise. The
  // prior strength runs to the bound and everyone scores the grand mean.
  {
    const ScoreResult r =
        Fit("bayes_shrink", FromCounts({{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}}));
    EXPECT_TRUE(finite(r));
    EXPECT_EQ(r.score[0], r.score[1]);
    EXPECT_NEAR(r.score[0], 60.0, 1e-3);  // (0 + 60 + 80 + 100) / 4
    EXPECT_TRUE(HasNote(r, "prior strength at the upper bound")) << Notes(r);
    for (int k = 0; k < 4; ++k) EXPECT_LE(Param(r, fmt::format("alpha_{}", k)), 1e6);
  }
  // A grade never used: its alpha sits at the lower bound.
  {
    const ScoreResult r =
        Fit("bayes_shrink", FromCounts({{0, 1, 2, 5}, {0, 3, 3, 1}, {0, 0, 1, 8}}));
    EXPECT_TRUE(finite(r));
    EXPECT_EQ(Param(r, "alpha_0"), 1e-6);
    EXPECT_GT(Param(r, "alpha_3"), 1e-6);
    EXPECT_TRUE(HasNote(r, "1 grade(s) never used")) << Notes(r);
  }
  // Only the top grade, everywhere.
  {
    const ScoreResult r = Fit("bayes_shrink", FromCounts({{0, 0, 0, 6}, {0, 0, 0, 6}}));
    EXPECT_TRUE(finite(r));
    EXPECT_NEAR(r.score[0], 100.0, 1e-6);
  }
  // A single evaluee: flat prior alpha = 1; score (60 + 2*80 + 100 + 3*100 ...)
  // counts (0, 1, 2, 3): posterior (1, 2, 3, 4) / 10:
  // score = (0 + 120 + 240 + 400) / 10 = 76.
  {
    const ScoreResult r = Fit("bayes_shrink", FromCounts({{0, 1, 2, 3}}));
    EXPECT_TRUE(finite(r));
    EXPECT_NEAR(r.score[0], 76.0, 1e-12);
    EXPECT_EQ(Param(r, "alpha_2"), 1.0);
    EXPECT_EQ(Param(r, "estimator_mle"), 0.0);
    EXPECT_TRUE(HasNote(r, "flat prior")) << Notes(r);
  }
  // No vote at all: flat prior, every score the mean of the points, 60.
  {
    const ScoreResult r = Fit("bayes_shrink", FromCounts({{0, 0, 0, 0}, {0, 0, 0, 0}}));
    EXPECT_TRUE(finite(r));
    EXPECT_NEAR(r.score[0], 60.0, 1e-12);
    EXPECT_TRUE(HasNote(r, "2 evaluee(s) had no valid vote and scored the prior mean")) << Notes(r);
  }
  // Evaluees without votes next to voted ones score the prior mean.
  {
    const ScoreResult r =
        Fit("bayes_shrink", FromCounts({{1, 2, 3, 4}, {0, 0, 0, 0}, {4, 3, 2, 1}, {0, 5, 5, 0}}));
    EXPECT_TRUE(finite(r));
    const std::vector<double> alpha = Alpha(r, 4);
    double A = 0.0, prior_mean = 0.0;
    for (int k = 0; k < 4; ++k) {
      A += alpha[k];
      prior_mean += points[k] * alpha[k];
    }
    EXPECT_NEAR(r.score[1], prior_mean / A, 1e-9);
    EXPECT_EQ(Param(r, "evaluees_used"), 3.0);
  }
}

TEST(BayesShrink, OptionErrors) {
  EXPECT_NE(CreateError("bayes_shrink", "estimator = \"em\"").find("models.x.estimator"),
            std::string::npos);
  EXPECT_NE(CreateError("bayes_shrink", "max_iterations = 0").find("models.x.max_iterations"),
            std::string::npos);
  EXPECT_NE(CreateError("bayes_shrink", "tolerance = 0").find("models.x.tolerance"),
            std::string::npos);
  EXPECT_NE(CreateError("bayes_shrink", "points = [1, 2, 3]").find("models.x.points"),
            std::string::npos);
  EXPECT_EQ(CreateError("bayes_shrink", "estimator = \"moments\"\ntolerance = 1e-6"), "");
}

}  // namespace
}  // namespace evalsim
