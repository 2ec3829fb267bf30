// rating_scale: recovery of known parameters from ballots drawn from the
// model itself, a zero log-likelihood gradient at the fit (by central
// differences of an independent log-likelihood), extreme scores, the
// dichotomous (Rasch) case computed by hand, relabelling invariance,
// frequency weights, unused grades, designs that are connected but not
// strongly connected, degenerate inputs and options.
#include "models/ratings/rating_scale.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <tbb/task_arena.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "models/registry.h"
#include "sim/core/ballots.h"
#include "sim/core/errors.h"
#include "sim/core/rng.h"
#include "tests/support/ballot_builder.h"

namespace evalsim {
namespace {

struct Vote {
  int ratee;
  int rater;
  int grade;  // 0..K-1, or kAbstain
  double weight = 1.0;
};

struct Design {
  int ratees = 0;
  int raters = 0;
  int levels = 4;
  bool weighted = false;
  std::vector<Vote> votes;
};

// CSR layout with two rater groups (rater parity), so that an evaluee's
// ballots span several slots.
RatingBallots Build(const Design& d) {
  const int G = 2;
  testing_util::BallotOptions options;
  options.group_weights = {0.3, 0.7};
  options.min_raters = static_cast<uint32_t>(d.raters);
  for (int j = 0; j < d.raters; ++j) options.rater_group.push_back(static_cast<uint8_t>(j % G));
  return testing_util::BuildBallots(
      d.ratees, {"superior", "member"}, d.levels,
      testing_util::ToBallotRows(d.votes, [G](const Vote& v) { return v.rater % G; }), d.weighted,
      options);
}

std::unique_ptr<Model> Make(const std::string& options, int levels = 4) {
  const toml::table table = toml::parse(std::string_view(options), std::string_view("test.toml"));
  return Models().Create("rating_scale", table, {levels, {"superior", "member"}}, "test.toml",
                         "models.x");
}

ScoreResult Fit(const Design& d, const std::string& options = "") {
  const RatingBallots b = Build(d);
  return Make(options, d.levels)->Score(ModelInput{&b});
}

double Parameter(const ScoreResult& r, const std::string& name) {
  for (const auto& [key, value] : r.parameters)
    if (key == name) return value;
  ADD_FAILURE() << "no parameter " << name;
  return std::numeric_limits<double>::quiet_NaN();
}

std::vector<double> Thresholds(const ScoreResult& r, int levels) {
  std::vector<double> tau;
  for (int k = 1; k < levels; ++k) tau.push_back(Parameter(r, fmt::format("tau_{}", k)));
  return tau;
}

const Eigen::VectorXd& Severity(const ScoreResult& r) {
  EXPECT_EQ(r.rater_values.size(), 2u);
  EXPECT_EQ(r.rater_values[0].first, "severity");
  EXPECT_EQ(r.rater_values[1].first, "severity_se");
  return r.rater_values[0].second;
}

bool HasNote(const ScoreResult& r, const std::string& part) {
  for (const std::string& note : r.notes)
    if (note.find(part) != std::string::npos) return true;
  return false;
}

// Independent reference: log P(grade | eta) of the rating-scale model,
// P(x) ∝ exp(x eta - c_x) over the grades in `used`, c_x = tau_1 + ... + tau_x
// (straight sums, std::exp, no shortcuts).
double LogProb(int grade, double eta, const std::vector<int>& used, const std::vector<double>& c) {
  double z = 0.0;
  for (int x : used) z += std::exp(x * eta - c[x]);
  return grade * eta - c[grade] - std::log(z);
}

double ExpectedGrade(double eta, const std::vector<int>& used, const std::vector<double>& c) {
  double e = 0.0;
  for (int x : used) e += x * std::exp(LogProb(x, eta, used, c));
  return e;
}

std::vector<double> Cumulative(const std::vector<double>& tau) {
  std::vector<double> c(tau.size() + 1, 0.0);
  for (size_t k = 0; k < tau.size(); ++k) c[k + 1] = c[k] + tau[k];
  return c;
}

double LogLikelihood(const Design& d, const std::vector<double>& theta,
                     const std::vector<double>& delta, const std::vector<int>& used,
                     const std::vector<double>& c) {
  double ll = 0.0;
  for (const Vote& v : d.votes)
    if (v.grade != kAbstain && v.weight > 0.0)
      ll += v.weight * LogProb(v.grade, theta[v.ratee] - delta[v.rater], used, c);
  return ll;
}

// One grade drawn from the model at eta with thresholds tau.
int DrawGrade(Rng& rng, double eta, const std::vector<double>& tau) {
  std::vector<int> used(tau.size() + 1);
  std::iota(used.begin(), used.end(), 0);
  const std::vector<double> c = Cumulative(tau);
  double u = rng.Uniform();
  for (int x : used) {
    u -= std::exp(LogProb(x, eta, used, c));
    if (u < 0.0) return x;
  }
  return used.back();
}

// Each evaluee is rated by `per_ratee` distinct raters drawn at random.
Design Simulate(Rng& rng, const std::vector<double>& theta, const std::vector<double>& delta,
                const std::vector<double>& tau, int per_ratee) {
  Design d;
  d.ratees = static_cast<int>(theta.size());
  d.raters = static_cast<int>(delta.size());
  d.levels = static_cast<int>(tau.size()) + 1;
  std::vector<int> order(d.raters);
  for (int i = 0; i < d.ratees; ++i) {
    std::iota(order.begin(), order.end(), 0);
    for (int k = 0; k < per_ratee; ++k) {
      std::swap(order[k], order[k + rng.Below(d.raters - k)]);
      const int j = order[k];
      d.votes.push_back({i, j, DrawGrade(rng, theta[i] - delta[j], tau)});
    }
  }
  return d;
}

double Correlation(const std::vector<double>& a, const Eigen::VectorXd& b) {
  const double n = static_cast<double>(a.size());
  double ma = 0.0, mb = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

struct Truth {
  std::vector<double> theta, delta, tau = {-1.5, 0.0, 1.5};
};

Truth DrawTruth(Rng& rng, int ratees, int raters) {
  Truth t;
  t.theta.resize(ratees);
  t.delta.resize(raters);
  for (double& x : t.theta) x = rng.Normal();
  for (double& x : t.delta) x = 0.5 * rng.Normal();
  return t;
}

// ------------------------------------------------------------------ recovery

// 300 evaluees, 100 raters, 30 random raters per evaluee, K = 4. Neither
// correlation can reach 0.98 with this little data, whatever the estimator:
// at theta - delta near 0 the grade variance is about 0.6, so an evaluee's
// 30 ballots carry information about 30 * 0.55 = 16.5 (se 0.25) and its
// reliability is 1 / (1 + 0.25^2) = 0.94, corr <= sqrt(0.94) = 0.97; a
// rater's 90 ballots give se 0.14 against sd 0.5, corr <= 0.96. The bounds
// below leave room for sampling error; the dense design in the next test
// shows the 0.98 level where the data allow it.
TEST(RatingScaleTest, RecoversParametersOfTheModel) {
  Rng rng(DeriveSeed(11, {1}));
  const Truth truth = DrawTruth(rng, 300, 100);
  const Design d = Simulate(rng, truth.theta, truth.delta, truth.tau, 30);
  const ScoreResult r = Fit(d);
  ASSERT_EQ(r.score.size(), 300);
  EXPECT_EQ(Parameter(r, "converged"), 1.0);
  EXPECT_GT(Correlation(truth.theta, r.score), 0.95);
  EXPECT_GT(Correlation(truth.delta, Severity(r)), 0.93);
  const std::vector<double> tau = Thresholds(r, 4);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(tau[k], truth.tau[k], 0.15) << "tau_" << k + 1;
  EXPECT_NEAR(tau[0] + tau[1] + tau[2], 0.0, 1e-12);
  // Severities are centred (one connected design).
  EXPECT_NEAR(Severity(r).sum(), 0.0, 1e-9);
  // Standard errors are near the information bound computed above.
  EXPECT_GT(r.se.minCoeff(), 0.15);
  EXPECT_LT(r.se.mean(), 0.35);
}

// Every rater rates every evaluee: 100 ballots per evaluee, 300 per rater.
TEST(RatingScaleTest, DenseDesignRecoversAbove098) {
  Rng rng(DeriveSeed(12, {1}));
  const Truth truth = DrawTruth(rng, 300, 100);
  const Design d = Simulate(rng, truth.theta, truth.delta, truth.tau, 100);
  const ScoreResult r = Fit(d);
  EXPECT_GT(Correlation(truth.theta, r.score), 0.98);
  EXPECT_GT(Correlation(truth.delta, Severity(r)), 0.98);
  const std::vector<double> tau = Thresholds(r, 4);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(tau[k], truth.tau[k], 0.1) << "tau_" << k + 1;
}

// ------------------------------------------------------- likelihood gradient

// Central differences of the log-likelihood above at the fitted values. At
// the joint maximum every partial derivative is zero, those of the
// thresholds included: shifting every tau_k and every theta_i by the same
// amount leaves the likelihood unchanged, so the sum of the tau partials is
// minus the sum of the theta partials (0), and the sum-to-zero constraint
// makes them all equal, hence 0.
void ExpectZeroGradient(const Design& d, const ScoreResult& r, const std::vector<int>& used) {
  const int K = d.levels;
  std::vector<double> theta(r.score.data(), r.score.data() + r.score.size());
  std::vector<double> delta(Severity(r).data(), Severity(r).data() + Severity(r).size());
  // Category coefficients from the reported thresholds (a gap's thresholds
  // are each its average, so their sum across the gap is right).
  std::vector<double> tau = Thresholds(r, K);
  for (double& t : tau)
    if (std::isnan(t)) t = 0.0;
  std::vector<double> c = Cumulative(tau);
  const double h = 1e-5;
  auto central = [&](double& x) {
    const double x0 = x;
    x = x0 + h;
    const double up = LogLikelihood(d, theta, delta, used, c);
    x = x0 - h;
    const double down = LogLikelihood(d, theta, delta, used, c);
    x = x0;
    return (up - down) / (2.0 * h);
  };
  for (int i = 0; i < d.ratees; ++i) EXPECT_LT(std::abs(central(theta[i])), 1e-5) << "theta " << i;
  for (int j = 0; j < d.raters; ++j) EXPECT_LT(std::abs(central(delta[j])), 1e-5) << "delta " << j;
  // Interior category coefficients (the end ones are fixed by the
  // identification).
  for (size_t u = 1; u + 1 < used.size(); ++u)
    EXPECT_LT(std::abs(central(c[used[u]])), 1e-5) << "c of grade " << used[u];
  if (used.size() == static_cast<size_t>(K)) {
    // Thresholds one by one (each perturbation moves c_k..c_{K-1}).
    for (int k = 0; k < K - 1; ++k) {
      auto ll_at = [&](double shift) {
        std::vector<double> t = tau;
        t[k] += shift;
        return LogLikelihood(d, theta, delta, used, Cumulative(t));
      };
      EXPECT_LT(std::abs((ll_at(h) - ll_at(-h)) / (2.0 * h)), 1e-5) << "tau_" << k + 1;
    }
  }
}

TEST(RatingScaleTest, LogLikelihoodGradientIsZeroAtTheFit) {
  Rng rng(DeriveSeed(13, {1}));
  const Truth truth = DrawTruth(rng, 12, 6);
  const Design d = Simulate(rng, truth.theta, truth.delta, truth.tau, 6);
  const ScoreResult r = Fit(d, "tolerance = 1e-12");
  ASSERT_EQ(Parameter(r, "converged"), 1.0);
  // The gradient is zero only for a design without extreme scores.
  ASSERT_FALSE(HasNote(r, "with an extreme score")) << fmt::format("{}", fmt::join(r.notes, "; "));
  ExpectZeroGradient(d, r, {0, 1, 2, 3});
}

// Grade 2 of 0..3 never used: the model keeps the integer scores 0, 1, 3
// (this case also runs the log-sum-exp path, used when grades are not
// consecutive).
TEST(RatingScaleTest, LogLikelihoodGradientIsZeroWithAnUnusedGrade) {
  Rng rng(DeriveSeed(14, {1}));
  const Truth truth = DrawTruth(rng, 10, 6);
  Design d = Simulate(rng, truth.theta, truth.delta, truth.tau, 6);
  for (Vote& v : d.votes)
    if (v.grade == 2) v.grade = (v.ratee + v.rater) % 2 == 0 ? 1 : 3;
  const ScoreResult r = Fit(d, "tolerance = 1e-12");
  ASSERT_EQ(Parameter(r, "converged"), 1.0);
  ASSERT_FALSE(HasNote(r, "with an extreme score")) << fmt::format("{}", fmt::join(r.notes, "; "));
  EXPECT_TRUE(HasNote(r, "grade(s) 2 never used"));
  const std::vector<double> tau = Thresholds(r, 4);
  EXPECT_EQ(tau[1], tau[2]);  // the gap's average, reported for both
  EXPECT_NEAR(tau[0] + tau[1] + tau[2], 0.0, 1e-12);
  ExpectZeroGradient(d, r, {0, 1, 3});
}

// ------------------------------------------------------------ extreme scores

// A complete design: 10 evaluees x 8 raters; evaluee 0 gets the top grade
// from everybody, evaluee 1 the bottom grade.
Design WithExtremes() {
  Rng rng(DeriveSeed(15, {1}));
  const Truth truth = DrawTruth(rng, 10, 8);
  Design d = Simulate(rng, truth.theta, truth.delta, truth.tau, 8);
  for (Vote& v : d.votes) {
    if (v.ratee == 0) v.grade = 3;
    if (v.ratee == 1) v.grade = 0;
  }
  return d;
}

TEST(RatingScaleTest, ExtremeEvalueesGetFiniteEstimatesBeyondEveryoneElse) {
  const Design d = WithExtremes();
  const ScoreResult r = Fit(d, "tolerance = 1e-12");
  ASSERT_TRUE(r.score.allFinite());
  EXPECT_EQ(Parameter(r, "converged"), 1.0);
  EXPECT_LT(Parameter(r, "iterations"), 200.0);
  for (int i = 2; i < 10; ++i) {
    EXPECT_GT(r.score[0], r.score[i]) << i;
    EXPECT_LT(r.score[1], r.score[i]) << i;
  }
  EXPECT_TRUE(HasNote(r, "2 evaluee(s) with an extreme score"))
      << fmt::format("{}", fmt::join(r.notes, "; "));

  const std::vector<int> used = {0, 1, 2, 3};
  const std::vector<double> c = Cumulative(Thresholds(r, 4));
  const Eigen::VectorXd& delta = Severity(r);
  // The extreme evaluees solve their equation with the raw score moved 0.3
  // inward: 8 ballots of grade 3 give 24 - 0.3 = 23.7, of grade 0 give 0.3.
  double e0 = 0.0, e1 = 0.0;
  for (int j = 0; j < 8; ++j) {
    e0 += ExpectedGrade(r.score[0] - delta[j], used, c);
    e1 += ExpectedGrade(r.score[1] - delta[j], used, c);
  }
  EXPECT_NEAR(e0, 23.7, 1e-9);
  EXPECT_NEAR(e1, 0.3, 1e-9);
  // The raters are estimated without the two extreme evaluees: each rater's
  // observed total over evaluees 2..9 equals its expected total there.
  for (int j = 0; j < 8; ++j) {
    double observed = 0.0, expected = 0.0;
    for (const Vote& v : d.votes) {
      if (v.rater != j || v.ratee < 2) continue;
      observed += v.grade;
      expected += ExpectedGrade(r.score[v.ratee] - delta[j], used, c);
    }
    EXPECT_NEAR(observed, expected, 1e-9) << "rater " << j;
  }
}

TEST(RatingScaleTest, ExtremeAdjustOptionMovesTheEstimate) {
  const Design d = WithExtremes();
  const ScoreResult small = Fit(d, "extreme_adjust = 0.1");
  const ScoreResult large = Fit(d, "extreme_adjust = 0.5");
  // A smaller adjustment leaves the raw score nearer the maximum.
  EXPECT_GT(small.score[0], large.score[0]);
  EXPECT_LT(small.score[1], large.score[1]);
  // The other evaluees do not depend on it (they are fitted without the
  // extreme ones).
  for (int i = 2; i < 10; ++i) EXPECT_NEAR(small.score[i], large.score[i], 1e-6) << i;
}

TEST(RatingScaleTest, ExtremeRaterIsSetAsideAndEstimated) {
  Rng rng(DeriveSeed(16, {1}));
  const Truth truth = DrawTruth(rng, 10, 8);
  Design d = Simulate(rng, truth.theta, truth.delta, truth.tau, 8);
  for (Vote& v : d.votes)
    if (v.rater == 3) v.grade = 3;  // the most lenient rater possible
  const ScoreResult r = Fit(d);
  ASSERT_TRUE(r.score.allFinite());
  EXPECT_TRUE(HasNote(r, "1 rater(s) with an extreme score"))
      << fmt::format("{}", fmt::join(r.notes, "; "));
  const Eigen::VectorXd& delta = Severity(r);
  ASSERT_TRUE(delta.allFinite());
  for (int j = 0; j < 8; ++j) {
    if (j != 3) {
      EXPECT_LT(delta[3], delta[j]) << j;  // lenient = low severity
    }
  }
  EXPECT_GT(r.rater_values[1].second[3], 0.0);
}

// --------------------------------------------------------- dichotomous K = 2

// Two raters, four evaluees, grades (rater 0, rater 1): A (1, 0), B (0, 1),
// C (1, 1), D (0, 0). C and D are extreme and set aside; the core is A, B
// and both raters, symmetric, so theta_A = theta_B = 0 and delta = 0. C
// solves 2 sigma(theta) = 2 - 0.3, sigma = 0.85, theta = ln(0.85 / 0.15) =
// ln(17 / 3); D the mirror image. se_A = 1 / sqrt(2 * 0.5 * 0.5) = sqrt(2);
// se_C = 1 / sqrt(2 * 0.85 * 0.15) = 1 / sqrt(0.255).
TEST(RatingScaleTest, DichotomousCaseByHand) {
  Design d;
  d.ratees = 4;
  d.raters = 2;
  d.levels = 2;
  d.votes = {{0, 0, 1}, {0, 1, 0}, {1, 0, 0}, {1, 1, 1},
             {2, 0, 1}, {2, 1, 1}, {3, 0, 0}, {3, 1, 0}};
  const ScoreResult r = Fit(d, "tolerance = 1e-12");
  const double c = std::log(17.0 / 3.0);
  EXPECT_NEAR(r.score[0], 0.0, 1e-9);
  EXPECT_NEAR(r.score[1], 0.0, 1e-9);
  EXPECT_NEAR(r.score[2], c, 1e-9);
  EXPECT_NEAR(r.score[3], -c, 1e-9);
  EXPECT_NEAR(r.se[0], std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(r.se[2], 1.0 / std::sqrt(0.255), 1e-9);
  EXPECT_NEAR(Severity(r)[0], 0.0, 1e-9);
  EXPECT_NEAR(Severity(r)[1], 0.0, 1e-9);
  // K = 2: the one threshold is fixed at 0 by the sum-to-zero constraint.
  EXPECT_EQ(Parameter(r, "tau_1"), 0.0);
}

// In the Rasch model the raw score is sufficient: with every rater rating
// every evaluee, the ability is a strictly increasing function of the raw
// score, equal raw scores giving equal abilities.
TEST(RatingScaleTest, DichotomousCompleteDesignOrdersByRawScore) {
  Rng rng(DeriveSeed(17, {1}));
  Design d;
  d.ratees = 30;
  d.raters = 6;
  d.levels = 2;
  std::vector<int> raw(d.ratees, 0);
  for (int i = 0; i < d.ratees; ++i) {
    const double theta = rng.Normal();
    for (int j = 0; j < d.raters; ++j) {
      const double delta = 0.4 * (j - 2.5);
      const int grade = rng.Uniform() < 1.0 / (1.0 + std::exp(delta - theta)) ? 1 : 0;
      raw[i] += grade;
      d.votes.push_back({i, j, grade});
    }
  }
  const ScoreResult r = Fit(d, "tolerance = 1e-12");
  for (int a = 0; a < d.ratees; ++a) {
    for (int b = 0; b < d.ratees; ++b) {
      if (raw[a] == raw[b]) {
        EXPECT_NEAR(r.score[a], r.score[b], 1e-9);
      } else if (raw[a] < raw[b]) {
        EXPECT_LT(r.score[a], r.score[b]);
      }
    }
  }
}

// --------------------------------------------------------------- invariance

TEST(RatingScaleTest, RelabellingRateesAndRatersPermutesEstimates) {
  Rng rng(DeriveSeed(18, {1}));
  const Truth truth = DrawTruth(rng, 40, 12);
  Design d = Simulate(rng, truth.theta, truth.delta, truth.tau, 8);
  d.votes.push_back({0, 0, 3});  // make sure some structure is shared
  std::vector<int> p(d.ratees), q(d.raters);
  std::iota(p.begin(), p.end(), 0);
  std::iota(q.begin(), q.end(), 0);
  for (int i = d.ratees - 1; i > 0; --i) std::swap(p[i], p[rng.Below(i + 1)]);
  for (int i = d.raters - 1; i > 0; --i) std::swap(q[i], q[rng.Below(i + 1)]);
  Design relabelled = d;
  for (Vote& v : relabelled.votes) {
    v.ratee = p[v.ratee];
    v.rater = q[v.rater];
  }
  std::reverse(relabelled.votes.begin(), relabelled.votes.end());
  const ScoreResult a = Fit(d), b = Fit(relabelled);
  for (int i = 0; i < d.ratees; ++i) {
    EXPECT_NEAR(a.score[i], b.score[p[i]], 1e-9) << i;
    EXPECT_NEAR(a.se[i], b.se[p[i]], 1e-9) << i;
  }
  for (int j = 0; j < d.raters; ++j) EXPECT_NEAR(Severity(a)[j], Severity(b)[q[j]], 1e-9) << j;
  for (int k = 1; k < 4; ++k) {
    const std::string name = fmt::format("tau_{}", k);
    EXPECT_NEAR(Parameter(a, name), Parameter(b, name), 1e-9) << name;
  }
  EXPECT_EQ(Parameter(a, "iterations"), Parameter(b, "iterations"));
}

// A ballot of weight 2 counts as two identical ballots.
TEST(RatingScaleTest, WeightsAreFrequencyWeights) {
  Rng rng(DeriveSeed(19, {1}));
  const Truth truth = DrawTruth(rng, 15, 6);
  const Design d = Simulate(rng, truth.theta, truth.delta, truth.tau, 6);
  Design weighted = d, duplicated = d;
  weighted.weighted = true;
  for (size_t k = 0; k < d.votes.size(); k += 3) {
    weighted.votes[k].weight = 2.0;
    duplicated.votes.push_back(d.votes[k]);
  }
  // A zero-weight ballot is ignored.
  weighted.votes.push_back({0, 0, 0, 0.0});
  const ScoreResult a = Fit(weighted, "tolerance = 1e-12"),
                    b = Fit(duplicated, "tolerance = 1e-12");
  for (int i = 0; i < d.ratees; ++i) {
    EXPECT_NEAR(a.score[i], b.score[i], 1e-9) << i;
    EXPECT_NEAR(a.se[i], b.se[i], 1e-9) << i;
  }
  for (int j = 0; j < d.raters; ++j) EXPECT_NEAR(Severity(a)[j], Severity(b)[j], 1e-9) << j;
}

// ---------------------------------------------------------- degenerate input

TEST(RatingScaleTest, EveryoneGivingTheSameGradeGivesEqualFiniteScores) {
  Design d;
  d.ratees = 4;
  d.raters = 6;
  for (int j = 0; j < 6; ++j)
    for (int i = 0; i < 4; ++i) d.votes.push_back({i, j, 3});
  const ScoreResult r = Fit(d);
  ASSERT_EQ(r.score.size(), 4);
  ASSERT_TRUE(r.score.allFinite());
  ASSERT_TRUE(r.se.allFinite());
  EXPECT_EQ(r.score.maxCoeff(), r.score.minCoeff());
  EXPECT_TRUE(std::isnan(Parameter(r, "tau_1")));
  EXPECT_TRUE(HasNote(r, "every valid ballot is grade 3"));
  EXPECT_TRUE(Severity(r).allFinite());
}

// Two grades only, and every evaluee extreme: half get only the top grade,
// half only the bottom one, from the same raters.
TEST(RatingScaleTest, AllEvalueesExtremeStillFinite) {
  Design d;
  d.ratees = 4;
  d.raters = 3;
  for (int j = 0; j < 3; ++j)
    for (int i = 0; i < 4; ++i) d.votes.push_back({i, j, i < 2 ? 3 : 0});
  const ScoreResult r = Fit(d);
  ASSERT_TRUE(r.score.allFinite());
  ASSERT_TRUE(r.se.allFinite());
  EXPECT_EQ(r.score[0], r.score[1]);
  EXPECT_EQ(r.score[2], r.score[3]);
  EXPECT_GT(r.score[0], r.score[2]);
  EXPECT_LT(Parameter(r, "iterations"), 200.0);
  // Grades 1 and 2 unused: the one gap's average, finite, summing to zero.
  const std::vector<double> tau = Thresholds(r, 4);
  for (double t : tau) EXPECT_NEAR(t, 0.0, 1e-12);
}

TEST(RatingScaleTest, UnusedTopGradeHasNaNThreshold) {
  Rng rng(DeriveSeed(20, {1}));
  const Truth truth = DrawTruth(rng, 20, 8);
  Design d = Simulate(rng, truth.theta, truth.delta, truth.tau, 8);
  d.levels = 5;  // grade 4 exists on the scale but nobody uses it
  const ScoreResult r = Fit(d);
  ASSERT_TRUE(r.score.allFinite());
  const std::vector<double> tau = Thresholds(r, 5);
  EXPECT_TRUE(std::isnan(tau[3]));
  EXPECT_NEAR(tau[0] + tau[1] + tau[2], 0.0, 1e-12);
  // The fit is the one without the unused grade.
  Design same = d;
  same.levels = 4;
  const ScoreResult r4 = Fit(same);
  for (int i = 0; i < d.ratees; ++i) EXPECT_NEAR(r.score[i], r4.score[i], 1e-12) << i;
}

TEST(RatingScaleTest, BlankAndMissingBallots) {
  Design d;
  d.ratees = 4;
  d.raters = 6;
  for (int j = 0; j < 6; ++j) {
    d.votes.push_back({0, j, (j * 7) % 4});
    d.votes.push_back({1, j, kAbstain});
    d.votes.push_back({2, j, (j * 5 + 1) % 4});
  }
  // Evaluee 3 has no ballot at all; evaluee 1 only blanks.
  const ScoreResult r = Fit(d);
  ASSERT_TRUE(r.score.allFinite());
  ASSERT_TRUE(r.se.allFinite());
  EXPECT_EQ(r.score[1], 0.0);
  EXPECT_EQ(r.se[1], 0.0);
  EXPECT_EQ(r.score[3], 0.0);
  EXPECT_EQ(r.se[3], 0.0);
  EXPECT_TRUE(HasNote(r, "2 evaluee(s) with no valid ballot"));
}

TEST(RatingScaleTest, NoBallotsAtAll) {
  Design d;
  d.ratees = 3;
  const ScoreResult r = Fit(d);
  ASSERT_EQ(r.score.size(), 3);
  EXPECT_TRUE(r.score.isZero());
  EXPECT_TRUE(r.se.isZero());
  EXPECT_TRUE(HasNote(r, "no valid ballot"));
}

TEST(RatingScaleTest, SingleRaterAndSingleEvaluee) {
  Design one_rater;
  one_rater.ratees = 3;
  one_rater.raters = 1;
  one_rater.votes = {{0, 0, 3}, {1, 0, 1}, {2, 0, 0}};
  const ScoreResult a = Fit(one_rater);
  ASSERT_TRUE(a.score.allFinite());
  ASSERT_TRUE(a.se.allFinite());
  EXPECT_GT(a.score[0], a.score[1]);
  EXPECT_GT(a.score[1], a.score[2]);

  Design one_ratee;
  one_ratee.ratees = 1;
  one_ratee.raters = 5;
  for (int j = 0; j < 5; ++j) one_ratee.votes.push_back({0, j, j % 4});
  const ScoreResult b = Fit(one_ratee);
  ASSERT_TRUE(b.score.allFinite());
  ASSERT_TRUE(b.se.allFinite());
  ASSERT_TRUE(Severity(b).allFinite());
}

// Two meetings with no rater in common: severities are centred in each.
TEST(RatingScaleTest, DisconnectedPartsAreCentredSeparately) {
  Rng rng(DeriveSeed(21, {1}));
  const Truth truth = DrawTruth(rng, 10, 8);
  Design d;
  d.ratees = 10;
  d.raters = 8;
  for (int i = 0; i < 10; ++i)
    for (int j = 0; j < 8; ++j)
      if ((i < 5) == (j < 4))
        d.votes.push_back({i, j, DrawGrade(rng, truth.theta[i] - truth.delta[j], truth.tau)});
  const ScoreResult r = Fit(d);
  ASSERT_FALSE(HasNote(r, "with an extreme score")) << fmt::format("{}", fmt::join(r.notes, "; "));
  EXPECT_TRUE(HasNote(r, "2 disconnected parts"));
  EXPECT_NEAR(Severity(r).head(4).sum(), 0.0, 1e-9);
  EXPECT_NEAR(Severity(r).tail(4).sum(), 0.0, 1e-9);
}

// ------------------------------------------- parts not strongly connected

// A connected design that is not strongly connected: the core design of
// WithExtremes (8 raters on 10 evaluees) plus a branch of evaluees A, B, C
// (10, 11, 12) rated grade 2 by rater 8 alone, tied to the rest only by
// rater 0 giving A the top grade. That ballot bounds theta_A - delta_0 from
// below only, so a joint fit would push the branch up without end; the
// branch is set aside and estimated against the fixed core.
TEST(RatingScaleTest, BranchNotStronglyConnectedIsEstimatedAfterTheFit) {
  const Design core = WithExtremes();
  Design d = core;
  d.ratees = 13;
  d.raters = 9;
  d.votes.push_back({10, 8, 2});
  d.votes.push_back({11, 8, 2});
  d.votes.push_back({12, 8, 2});
  d.votes.push_back({10, 0, 3});
  const ScoreResult r = Fit(d, "tolerance = 1e-12");
  ASSERT_TRUE(r.score.allFinite());
  ASSERT_TRUE(Severity(r).allFinite());
  EXPECT_EQ(Parameter(r, "converged"), 1.0);
  EXPECT_LT(Parameter(r, "iterations"), 200.0);
  EXPECT_TRUE(HasNote(r,
                      "3 evaluee(s) and 1 rater(s) in 1 part(s) without a finite joint estimate "
                      "(not strongly connected) were estimated after the fit, like extreme scores"))
      << fmt::format("{}", fmt::join(r.notes, "; "));
  // The existing notes stay: the two extreme evaluees, and rater 8, who
  // rated no core evaluee, at severity 0.
  EXPECT_TRUE(HasNote(r, "2 evaluee(s) with an extreme score"));
  EXPECT_TRUE(HasNote(r, "1 rater(s) without a ballot on a non-extreme evaluee"));
  EXPECT_EQ(Severity(r)[8], 0.0);

  // The core does not see the branch: same estimates as without it.
  const ScoreResult alone = Fit(core, "tolerance = 1e-12");
  for (int i = 0; i < 10; ++i) EXPECT_NEAR(r.score[i], alone.score[i], 1e-9) << i;
  for (int j = 0; j < 8; ++j) EXPECT_NEAR(Severity(r)[j], Severity(alone)[j], 1e-9) << j;
  for (int k = 1; k <= 3; ++k) {
    const std::string tau = fmt::format("tau_{}", k);
    EXPECT_NEAR(Parameter(r, tau), Parameter(alone, tau), 1e-9) << tau;
  }

  // Each branch evaluee solves its own equation against the fixed values
  // (independent reference): B and C expect grade 2 from rater 8 (delta 0);
  // A expects 2 + 3 = 5 over raters 8 and 0 (not extreme, no adjustment).
  const std::vector<int> used = {0, 1, 2, 3};
  const std::vector<double> c = Cumulative(Thresholds(r, 4));
  EXPECT_NEAR(ExpectedGrade(r.score[11], used, c), 2.0, 1e-9);
  EXPECT_NEAR(ExpectedGrade(r.score[12], used, c), 2.0, 1e-9);
  EXPECT_EQ(r.score[11], r.score[12]);
  EXPECT_NEAR(
      ExpectedGrade(r.score[10], used, c) + ExpectedGrade(r.score[10] - Severity(r)[0], used, c),
      5.0, 1e-9);
  // The top grade from rater 0 puts A above B and C.
  EXPECT_GT(r.score[10], r.score[11]);
}

// Member appraisal in many small branches: 300 branches of 3 to 20
// members, every member rating every other member of its branch (member m
// is evaluee m and rater m). Small branches are often not strongly
// connected; the fit must still converge within the default 200
// iterations, with every estimate finite.
TEST(RatingScaleTest, ManySmallBranchesConverge) {
  Rng rng(DeriveSeed(23, {1}));
  Design d;
  const std::vector<double> tau = {-1.5, 0.0, 1.5};
  int first = 0;
  for (int branch = 0; branch < 300; ++branch) {
    const int size = 3 + static_cast<int>(rng.Below(18));
    std::vector<double> theta(size), delta(size);
    for (double& x : theta) x = 1.5 * rng.Normal();
    for (double& x : delta) x = 0.5 * rng.Normal();
    for (int a = 0; a < size; ++a)
      for (int b = 0; b < size; ++b)
        if (a != b)
          d.votes.push_back({first + a, first + b, DrawGrade(rng, theta[a] - delta[b], tau)});
    first += size;
  }
  d.ratees = d.raters = first;
  const ScoreResult r = Fit(d);
  ASSERT_TRUE(r.score.allFinite());
  ASSERT_TRUE(r.se.allFinite());
  ASSERT_TRUE(Severity(r).allFinite());
  EXPECT_EQ(Parameter(r, "converged"), 1.0) << fmt::format("{}", fmt::join(r.notes, "; "));
  // 10 iterations: parts of at most 32 members take joint Newton steps, so
  // the slow ones (a few members, estimates far apart) do not hold the fit.
  EXPECT_LE(Parameter(r, "iterations"), 15.0);
  // The design does exercise the rule.
  EXPECT_TRUE(HasNote(r, "without a finite joint estimate (not strongly connected)"))
      << fmt::format("{}", fmt::join(r.notes, "; "));
}

// Many separate branches: the design of ManySmallBranchesConverge.
Design ManyBranches(uint64_t seed) {
  Rng rng(DeriveSeed(seed, {1}));
  Design d;
  const std::vector<double> tau = {-1.5, 0.0, 1.5};
  int first = 0;
  for (int branch = 0; branch < 300; ++branch) {
    const int size = 3 + static_cast<int>(rng.Below(18));
    std::vector<double> theta(size), delta(size);
    for (double& x : theta) x = 1.5 * rng.Normal();
    for (double& x : delta) x = 0.5 * rng.Normal();
    for (int a = 0; a < size; ++a)
      for (int b = 0; b < size; ++b)
        if (a != b)
          d.votes.push_back({first + a, first + b, DrawGrade(rng, theta[a] - delta[b], tau)});
    first += size;
  }
  d.ratees = d.raters = first;
  return d;
}

// The parts are swept only until they settle, yet every estimate stays
// within 2e-6 of a fit run to a far tighter tolerance (where every part is
// swept until the whole fit has converged to 1e-12). The default tolerance
// (1e-6) bounds the last move, not the distance to the solution, which for
// a part converging at rate r is about move * r / (1 - r); the plain sweep
// of every part is no nearer than that either.
TEST(RatingScaleTest, PartsLeftOutWhenSettledGiveTheSameEstimates) {
  for (uint64_t seed : {23, 24, 25}) {
    const Design d = ManyBranches(seed);
    const ScoreResult r = Fit(d), tight = Fit(d, "tolerance = 1e-12");
    ASSERT_EQ(Parameter(r, "converged"), 1.0);
    ASSERT_EQ(Parameter(tight, "converged"), 1.0);
    EXPECT_LT((r.score - tight.score).cwiseAbs().maxCoeff(), 2e-6) << seed;
    EXPECT_LT((Severity(r) - Severity(tight)).cwiseAbs().maxCoeff(), 2e-6) << seed;
    for (int k = 1; k <= 3; ++k) {
      const std::string tau = fmt::format("tau_{}", k);
      EXPECT_NEAR(Parameter(r, tau), Parameter(tight, tau), 2e-6) << seed;
    }
  }
}

// The parts are swept in parallel, and their sums added in part order: the
// fit is the same, bit for bit, on 1 and on 2 threads.
TEST(RatingScaleTest, SameBitsOnOneAndTwoThreads) {
  const Design d = ManyBranches(26);
  ScoreResult one, two;
  tbb::task_arena(1).execute([&] { one = Fit(d); });
  tbb::task_arena(2).execute([&] { two = Fit(d); });
  for (Eigen::Index i = 0; i < one.score.size(); ++i) ASSERT_EQ(one.score[i], two.score[i]) << i;
  for (Eigen::Index j = 0; j < Severity(one).size(); ++j)
    ASSERT_EQ(Severity(one)[j], Severity(two)[j]) << j;
  EXPECT_EQ(Parameter(one, "iterations"), Parameter(two, "iterations"));
}

// A strongly connected design is fitted as before the rule above existed:
// these are the values the fit gave for WithExtremes() then, in 45
// iterations (hex floats). They matched bit for bit until the iteration
// changed its path (the severities' terms in the threshold step, joint
// steps of small parts, the warm start). The old values were up to 2.6e-6
// from the solution (a fit to tolerance 1e-12), so they are compared to
// 5e-6; the fit now stops within 1e-7 of the solution, in 10 iterations.
TEST(RatingScaleTest, StronglyConnectedDesignUnchanged) {
  const ScoreResult r = Fit(WithExtremes());
  const ScoreResult tight = Fit(WithExtremes(), "tolerance = 1e-12");
  EXPECT_LT((r.score - tight.score).cwiseAbs().maxCoeff(), 1e-7);
  EXPECT_LT((Severity(r) - Severity(tight)).cwiseAbs().maxCoeff(), 1e-7);
  const std::vector<double> score = {
      0x1.93916a283dc07p+2,  -0x1.b0608c088a044p+2, -0x1.45c77213415dap+1, -0x1.af18fdbd03278p+0,
      -0x1.49c0069a667c8p+0, -0x1.49c0069a667c6p+0, -0x1.d0d18229cc034p-1, -0x1.49c0069a667c8p+0,
      0x1.f0b1c2be6496p-2,   -0x1.826f737c0f32ap-3};
  const std::vector<double> se = {0x1.e4cfc5c237bf2p+0, 0x1.e7b6a90f3e5d9p+0, 0x1.5d428418df41cp-1,
                                  0x1.45bfb93e64aa2p-1, 0x1.3ec85756124b2p-1, 0x1.3ec85756124b1p-1,
                                  0x1.38b70e5c72729p-1, 0x1.3ec85756124b2p-1, 0x1.2596ed473c374p-1,
                                  0x1.2d8ca014b8475p-1};
  const std::vector<double> severity = {
      -0x1.eadf17f898a48p+0, 0x1.0feae34c0566ep-1, 0x1.0feae34c0566ep-1,  -0x1.eadf17f898a48p+0,
      0x1.0feae34c0566ep-1,  0x1.09ce28f1df4b9p-3, -0x1.055a3b7feecabp-2, 0x1.2efd5260747bep+1};
  const std::vector<double> severity_se = {
      0x1.18dba8ea703dfp-1, 0x1.47583f40d6ff4p-1, 0x1.47583f40d6ff4p-1, 0x1.18dba8ea703dfp-1,
      0x1.47583f40d6ff4p-1, 0x1.4133c4255988dp-1, 0x1.39f80c5ff478bp-1, 0x1.80126f087019dp-1};
  const std::vector<double> tau = {-0x1.6278057ad5c4fp+1, 0x1.eb347e9a48b1p-2,
                                   0x1.251175a78caedp+1};
  ASSERT_EQ(r.score.size(), 10);
  constexpr double kSame = 5e-6;
  for (int i = 0; i < 10; ++i) {
    EXPECT_NEAR(r.score[i], score[i], kSame) << i;
    EXPECT_NEAR(r.se[i], se[i], kSame) << i;
  }
  for (int j = 0; j < 8; ++j) {
    EXPECT_NEAR(Severity(r)[j], severity[j], kSame) << j;
    EXPECT_NEAR(r.rater_values[1].second[j], severity_se[j], kSame) << j;
  }
  for (int k = 1; k <= 3; ++k)
    EXPECT_NEAR(Parameter(r, fmt::format("tau_{}", k)), tau[k - 1], kSame) << k;
  EXPECT_LE(Parameter(r, "iterations"), 12.0);
  EXPECT_FALSE(HasNote(r, "not strongly connected"));
}

TEST(RatingScaleTest, IterationLimitIsReported) {
  Rng rng(DeriveSeed(22, {1}));
  const Truth truth = DrawTruth(rng, 20, 8);
  const Design d = Simulate(rng, truth.theta, truth.delta, truth.tau, 8);
  const ScoreResult r = Fit(d, "max_iterations = 2");
  EXPECT_EQ(Parameter(r, "iterations"), 2.0);
  EXPECT_EQ(Parameter(r, "converged"), 0.0);
  EXPECT_TRUE(HasNote(r, "did not converge in 2 iteration(s)"));
  EXPECT_TRUE(r.score.allFinite());
}

// ------------------------------------------------------------------- options

std::string CreateError(const std::string& options) {
  try {
    Make(options);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(RatingScaleTest, OptionsAreRangeChecked) {
  EXPECT_EQ(CreateError("tolerance = 1e-8\nmax_iterations = 50\nextreme_adjust = 0.5"), "");
  EXPECT_NE(CreateError("tolerance = 0").find("tolerance"), std::string::npos);
  EXPECT_NE(CreateError("max_iterations = 0").find("max_iterations"), std::string::npos);
  EXPECT_NE(CreateError("extreme_adjust = -0.3").find("extreme_adjust"), std::string::npos);
  EXPECT_NE(CreateError("max_iterations = 1.5").find("max_iterations"), std::string::npos);
  EXPECT_NE(CreateError("tolerence = 1").find("unknown key"), std::string::npos);
}

}  // namespace
}  // namespace evalsim
