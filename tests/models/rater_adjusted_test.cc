// rater_adjusted: closed-form fits (complete balanced design, noise-free
// lenient rater), agreement with a dense constrained least-squares solve,
// disconnected designs, convergence reporting, relabelling invariance,
// options; and the connected-components helper it builds on.
#include "models/ratings/rater_adjusted.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "models/common/connectivity.h"
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
  int group = 0;
};

struct Design {
  int ratees = 1;
  int raters = 0;  // at least 1 + the largest rater id in votes
  int levels = 4;
  bool weighted = false;
  std::vector<Vote> votes;
};

// CSR layout: votes sorted (stably) by slot = ratee * G + group, two groups.
RatingBallots Build(const Design& in) {
  testing_util::BallotOptions options;
  options.group_weights = {0.3, 0.7};
  options.min_raters = static_cast<uint32_t>(in.raters);
  return testing_util::BuildBallots(in.ratees, {"superior", "member"}, in.levels,
                                    testing_util::ToBallotRows(in.votes), in.weighted, options);
}

std::unique_ptr<Model> Make(const std::string& options, int levels) {
  Registry r;
  r.Add(RaterAdjustedSpec());
  const toml::table table = toml::parse(std::string_view(options), std::string_view("test.toml"));
  return r.Create("rater_adjusted", table, ModelContext{levels, {"superior", "member"}},
                  "test.toml", "models.x");
}

ScoreResult Fit(const Design& in, const std::string& options = "") {
  const RatingBallots b = Build(in);
  return Make(options, in.levels)->Score(ModelInput{&b});
}

double Parameter(const ScoreResult& r, const std::string& name) {
  for (const auto& [key, value] : r.parameters)
    if (key == name) return value;
  ADD_FAILURE() << "no parameter " << name;
  return std::nan("");
}

const Eigen::VectorXd& Effects(const ScoreResult& r) {
  static const Eigen::VectorXd kNone;
  for (const auto& [key, value] : r.rater_values)
    if (key == "effect") return value;
  ADD_FAILURE() << "no rater effects";
  return kNone;
}

bool HasNote(const ScoreResult& r, const std::string& part) {
  for (const std::string& note : r.notes)
    if (note.find(part) != std::string::npos) return true;
  return false;
}

// Every rater rates every ratee once; y[i][j] = grade of ratee i by rater j.
Design Complete(const std::vector<std::vector<int>>& y, int levels) {
  Design d;
  d.ratees = static_cast<int>(y.size());
  d.levels = levels;
  for (int i = 0; i < d.ratees; ++i)
    for (int j = 0; j < static_cast<int>(y[i].size()); ++j) d.votes.push_back({i, j, y[i][j]});
  return d;
}

TEST(RaterAdjustedTest, CompleteBalancedDesignIsRowAndColumnMeans) {
  // Ratee rows, rater columns:   3 2 2 | 7/3
  //                              1 1 0 | 2/3
  //                              3 3 1 | 7/3
  //                 column means 7/3 2 1, grand mean 16/9.
  // Balanced: a_i = row mean - grand, b_j = column mean - grand, and the
  // score mu + a_i is the row mean. b = (21 - 16, 18 - 16, 9 - 16) / 9.
  const Design d = Complete({{3, 2, 2}, {1, 1, 0}, {3, 3, 1}}, 4);
  const ScoreResult r = Fit(d);
  ASSERT_EQ(r.score.size(), 3);
  EXPECT_NEAR(r.score[0], 7.0 / 3, 1e-10);
  EXPECT_NEAR(r.score[1], 2.0 / 3, 1e-10);
  EXPECT_NEAR(r.score[2], 7.0 / 3, 1e-10);
  const Eigen::VectorXd& b = Effects(r);
  ASSERT_EQ(b.size(), 3);
  EXPECT_NEAR(b[0], 5.0 / 9, 1e-10);
  EXPECT_NEAR(b[1], 2.0 / 9, 1e-10);
  EXPECT_NEAR(b[2], -7.0 / 9, 1e-10);
  // Residuals y - row - column + grand, in ninths: (1 -5 4), (-2 1 1),
  // (1 4 -5): RSS = 90/81 = 10/9 on 9 - 3 - 3 + 1 = 4 df, sigma^2 = 5/18,
  // and every ratee has 3 ballots: se = sqrt(5/18 / 3) = sqrt(5/54).
  EXPECT_NEAR(Parameter(r, "sigma_e"), std::sqrt(5.0 / 18), 1e-10);
  EXPECT_EQ(Parameter(r, "df"), 4.0);
  ASSERT_EQ(r.se.size(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(r.se[i], std::sqrt(5.0 / 54), 1e-10);
  EXPECT_EQ(Parameter(r, "components"), 1.0);
  EXPECT_EQ(Parameter(r, "converged"), 1.0);
  EXPECT_TRUE(r.notes.empty()) << r.notes.front();
}

TEST(RaterAdjustedTest, CompleteDesignWithoutRaterEffectGivesThePlainMean) {
  // Every rater's (column's) mean is 1.5, so b = 0 and the scores are the
  // row means (3 + 1 + 2 + 2) / 4 = 2 and (0 + 2 + 1 + 1) / 4 = 1.
  const Design d = Complete({{3, 1, 2, 2}, {0, 2, 1, 1}}, 4);
  const ScoreResult r = Fit(d);
  EXPECT_NEAR(r.score[0], 2.0, 1e-12);
  EXPECT_NEAR(r.score[1], 1.0, 1e-12);
  EXPECT_NEAR(Effects(r).cwiseAbs().maxCoeff(), 0.0, 1e-12);
}

TEST(RaterAdjustedTest, LenientRaterInIncompleteDesignIsRecoveredExactly) {
  // No noise: y = a_i + b_j with a = (2, 0, 1, 3) and rater 3 one grade more
  // lenient than raters 0..2. The design is incomplete but connected:
  // rater 0 rates {0, 1}, rater 1 {1, 2}, rater 2 {2, 3}, rater 3 {0, 2, 3}.
  const int a[4] = {2, 0, 1, 3};
  const int lenient[4] = {0, 0, 0, 1};
  const std::vector<std::vector<int>> rates = {{0, 1}, {1, 2}, {2, 3}, {0, 2, 3}};
  Design d;
  d.ratees = 4;
  d.levels = 5;
  for (int j = 0; j < 4; ++j)
    for (int i : rates[j]) d.votes.push_back({i, j, a[i] + lenient[j]});
  const ScoreResult r = Fit(d);
  // With sum b = 0 the fitted effects are lenient - 1/4 and the scores are
  // a_i + 1/4: the ratee effects up to the constraint are a_i - mean(a).
  const double mean_a = (2 + 0 + 1 + 3) / 4.0;
  const double mean_score = r.score.mean();
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(r.score[i], a[i] + 0.25, 1e-10) << i;
    EXPECT_NEAR(r.score[i] - mean_score, a[i] - mean_a, 1e-10) << i;
  }
  const Eigen::VectorXd& b = Effects(r);
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(b[3], b[j] + 1.0, 1e-10) << j;
  EXPECT_NEAR(b.sum(), 0.0, 1e-12);
  EXPECT_NEAR(Parameter(r, "sigma_e"), 0.0, 1e-10);
  // The raw means are biased: ratee 0 averages (2 + 3) / 2 = 2.5 with the
  // lenient rater's help and ratee 1 averages 0, a gap of 2.5 where the true
  // gap is 2 - 0 = 2; the fit gives 2.
  EXPECT_NEAR(r.score[0] - r.score[1], 2.0, 1e-10);
}

TEST(RaterAdjustedTest, NoiseFreeLargerIncompleteDesignIsRecoveredExactly) {
  // 30 ratees, 20 raters, each rater rates a random 40 % plus a chain that
  // keeps the design connected; integer effects, no noise, on points so
  // that y may be any number.
  Rng rng(DeriveSeed(11, {1}));
  const int n = 30, m = 20, levels = 7;
  std::vector<double> a(n), b(m);
  for (double& v : a) v = static_cast<double>(rng.Between(0, 3));
  for (double& v : b) v = static_cast<double>(rng.Between(0, 3));
  // points = 10 * grade: y = 10 * (a_i + b_j).
  Design d;
  d.ratees = n;
  d.levels = levels;
  for (int j = 0; j < m; ++j)
    for (int i = 0; i < n; ++i)
      if (i == j % n || i == (j + 1) % n || i == (j + 10) % n || rng.Bernoulli(0.4))
        d.votes.push_back({i, j, static_cast<int>(a[i] + b[j]), 1.0, j % 2});
  // Raters 0..19 chain ratees 0..20 and 10..29: connected.
  const ScoreResult r = Fit(d, "points = [0, 10, 20, 30, 40, 50, 60]");
  ASSERT_EQ(Parameter(r, "components"), 1.0);
  const double mean_b = std::accumulate(b.begin(), b.end(), 0.0) / m;
  for (int i = 0; i < n; ++i) EXPECT_NEAR(r.score[i], 10.0 * (a[i] + mean_b), 1e-8) << i;
  const Eigen::VectorXd& fb = Effects(r);
  for (int j = 0; j < m; ++j) EXPECT_NEAR(fb[j], 10.0 * (b[j] - mean_b), 1e-8) << j;
}

// Dense reference: weighted least squares on the design matrix
// [1, A Ca, B Cb], where Ca = [I; -1'] spans the sum-to-zero ratee effects
// (and Cb the rater effects), solved by column-pivoting QR.
struct DenseFit {
  Eigen::VectorXd score, effect, se;
};

DenseFit DenseReference(const Design& in, const std::vector<double>& y_of_grade) {
  const int n = in.ratees, m = in.raters;
  std::vector<const Vote*> valid;
  for (const Vote& v : in.votes)
    if (v.grade != kAbstain && (!in.weighted || v.weight > 0)) valid.push_back(&v);
  const int N = static_cast<int>(valid.size()), p = 1 + (n - 1) + (m - 1);
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(N, p);
  Eigen::VectorXd y(N), sw(N);
  Eigen::VectorXd w_ratee = Eigen::VectorXd::Zero(n);
  for (int k = 0; k < N; ++k) {
    const Vote& v = *valid[k];
    const double w = in.weighted ? static_cast<double>(static_cast<float>(v.weight)) : 1.0;
    sw[k] = std::sqrt(w);
    y[k] = y_of_grade[v.grade];
    w_ratee[v.ratee] += w;
    X(k, 0) = 1.0;
    if (v.ratee < n - 1) {
      X(k, 1 + v.ratee) = 1.0;
    } else {
      X.block(k, 1, 1, n - 1).setConstant(-1.0);
    }
    if (v.rater < m - 1) {
      X(k, n + v.rater) = 1.0;
    } else {
      X.block(k, n, 1, m - 1).setConstant(-1.0);
    }
  }
  const Eigen::MatrixXd Xw = sw.asDiagonal() * X;
  const Eigen::VectorXd theta = Xw.colPivHouseholderQr().solve(sw.cwiseProduct(y));
  EXPECT_EQ(Xw.colPivHouseholderQr().rank(), p) << "reference design not connected";
  DenseFit f;
  f.score.resize(n);
  for (int i = 0; i < n - 1; ++i) f.score[i] = theta[0] + theta[1 + i];
  f.score[n - 1] = theta[0] - theta.segment(1, n - 1).sum();
  f.effect.resize(m);
  for (int j = 0; j < m - 1; ++j) f.effect[j] = theta[n + j];
  f.effect[m - 1] = -theta.segment(n, m - 1).sum();
  const double rss = (Xw * theta - sw.cwiseProduct(y)).squaredNorm();
  const double sigma = std::sqrt(rss / (N - p));
  f.se = sigma * w_ratee.cwiseSqrt().cwiseInverse();
  return f;
}

// A random connected design: rater j always rates ratees j mod n and
// (j + 1) mod n (a chain through every ratee, as m >= n), plus random extra
// ballots, some blank, some of weight 0, some repeated.
Design RandomConnected(Rng& rng, int n, int m, int levels, bool weighted) {
  Design d;
  d.ratees = n;
  d.raters = m;
  d.levels = levels;
  d.weighted = weighted;
  auto weight = [&] { return weighted ? 0.2 + 1.8 * rng.Uniform() : 1.0; };
  auto grade = [&] { return static_cast<int>(rng.Below(levels)); };
  for (int j = 0; j < m; ++j) {
    const int group = j % 3 == 0 ? 0 : 1;
    d.votes.push_back({j % n, j, grade(), weight(), group});
    d.votes.push_back({(j + 1) % n, j, grade(), weight(), group});
    for (int i = 0; i < n; ++i) {
      if (!rng.Bernoulli(0.35)) continue;
      const double u = rng.Uniform();
      const int g = u < 0.1 ? kAbstain : grade();
      const double w = weighted && u > 0.9 ? 0.0 : weight();
      d.votes.push_back({i, j, g, w, group});
    }
  }
  return d;
}

TEST(RaterAdjustedTest, MatchesDenseLeastSquaresOnRandomDesigns) {
  Rng rng(DeriveSeed(12, {1}));
  for (int trial = 0; trial < 24; ++trial) {
    const int n = 2 + static_cast<int>(rng.Below(8));
    const int m = n + static_cast<int>(rng.Below(8));
    const int levels = 2 + static_cast<int>(rng.Below(5));
    const bool weighted = trial % 2 == 1, points = trial % 3 == 2;
    const Design d = RandomConnected(rng, n, m, levels, weighted);
    std::vector<double> y(levels);
    std::string options;
    for (int k = 0; k < levels; ++k)
      y[k] = points ? 100.0 * k * k / ((levels - 1) * (levels - 1)) : k;
    if (points) options = fmt::format("points = [{}]", fmt::join(y, ", "));
    const ScoreResult r = Fit(d, options);
    const DenseFit ref = DenseReference(d, y);
    const std::string what = fmt::format("trial {} n={} m={} K={} weighted={} points={}", trial, n,
                                         m, levels, weighted, points);
    ASSERT_EQ(Parameter(r, "components"), 1.0) << what;
    const double scale = points ? 100.0 : 1.0;
    for (int i = 0; i < n; ++i) {
      EXPECT_NEAR(r.score[i], ref.score[i], 1e-8 * scale) << what << " ratee " << i;
      EXPECT_NEAR(r.se[i], ref.se[i], 1e-8 * scale) << what << " ratee " << i;
    }
    const Eigen::VectorXd& b = Effects(r);
    for (int j = 0; j < m; ++j) EXPECT_NEAR(b[j], ref.effect[j], 1e-8 * scale) << what;
  }
}

// Keeps the votes of the given ratees and raters, renumbered 0.. in order.
Design Restrict(const Design& in, const std::vector<int>& ratees, const std::vector<int>& raters) {
  std::vector<int> ratee_id(in.ratees, -1), rater_id(in.raters, -1);
  for (size_t k = 0; k < ratees.size(); ++k) ratee_id[ratees[k]] = static_cast<int>(k);
  for (size_t k = 0; k < raters.size(); ++k) rater_id[raters[k]] = static_cast<int>(k);
  Design out;
  out.ratees = static_cast<int>(ratees.size());
  out.raters = static_cast<int>(raters.size());
  out.levels = in.levels;
  out.weighted = in.weighted;
  for (const Vote& v : in.votes) {
    if (ratee_id[v.ratee] < 0) continue;
    EXPECT_GE(rater_id[v.rater], 0) << "vote crosses components";
    Vote w = v;
    w.ratee = ratee_id[v.ratee];
    w.rater = rater_id[v.rater];
    out.votes.push_back(w);
  }
  return out;
}

TEST(RaterAdjustedTest, DisconnectedDesignIsFittedPerComponent) {
  // Ratees {0, 2, 4, 6} are rated only by raters {0, 1, 2, 3} and ratees
  // {1, 3, 5} only by raters {4, 5, 6}: two components, interleaved in the
  // numbering. Ratee 7 has only blank and zero-weight ballots.
  Rng rng(DeriveSeed(13, {1}));
  Design d;
  d.ratees = 8;
  d.raters = 7;
  d.levels = 5;
  d.weighted = true;
  const std::vector<int> ratees_a = {0, 2, 4, 6}, raters_a = {0, 1, 2, 3};
  const std::vector<int> ratees_b = {1, 3, 5}, raters_b = {4, 5, 6};
  for (const auto& [ratees, raters] :
       {std::pair{ratees_a, raters_a}, std::pair{ratees_b, raters_b}}) {
    for (int i : ratees)
      for (int j : raters)
        if (rng.Bernoulli(0.8) || j == raters[i % raters.size()] || i == ratees[j % ratees.size()])
          d.votes.push_back({i, j, static_cast<int>(rng.Below(5)), 0.5 + rng.Uniform()});
  }
  d.votes.push_back({7, 0, kAbstain, 1.0});
  d.votes.push_back({7, 4, 3, 0.0});
  const ScoreResult r = Fit(d);
  EXPECT_EQ(Parameter(r, "components"), 2.0);
  EXPECT_EQ(Parameter(r, "unrated_ratees"), 1.0);
  EXPECT_TRUE(HasNote(r, "2 components; scores compare only within a component")) << r.notes[0];
  EXPECT_TRUE(HasNote(r, "1 evaluee(s) had no valid vote"));

  const ScoreResult alone_a = Fit(Restrict(d, ratees_a, raters_a));
  const ScoreResult alone_b = Fit(Restrict(d, ratees_b, raters_b));
  EXPECT_EQ(Parameter(alone_a, "components"), 1.0);
  EXPECT_TRUE(alone_a.notes.empty());
  const Eigen::VectorXd& b = Effects(r);
  for (size_t k = 0; k < ratees_a.size(); ++k)
    EXPECT_NEAR(r.score[ratees_a[k]], alone_a.score[k], 1e-10) << k;
  for (size_t k = 0; k < raters_a.size(); ++k)
    EXPECT_NEAR(b[raters_a[k]], Effects(alone_a)[k], 1e-10) << k;
  for (size_t k = 0; k < ratees_b.size(); ++k)
    EXPECT_NEAR(r.score[ratees_b[k]], alone_b.score[k], 1e-10) << k;
  for (size_t k = 0; k < raters_b.size(); ++k)
    EXPECT_NEAR(b[raters_b[k]], Effects(alone_b)[k], 1e-10) << k;
  // Each component's rater effects sum to 0 separately.
  EXPECT_NEAR(b[0] + b[1] + b[2] + b[3], 0.0, 1e-12);
  EXPECT_NEAR(b[4] + b[5] + b[6], 0.0, 1e-12);

  // The unrated ratee scores the weighted mean of all valid ballots.
  double sw = 0.0, swy = 0.0;
  for (const Vote& v : d.votes) {
    if (v.grade == kAbstain || v.weight <= 0.0) continue;
    const double w = static_cast<float>(v.weight);
    sw += w;
    swy += w * v.grade;
  }
  EXPECT_NEAR(r.score[7], swy / sw, 1e-12);
  EXPECT_EQ(r.se[7], 0.0);
}

TEST(RaterAdjustedTest, ConvergenceIsReported) {
  Rng rng(DeriveSeed(14, {1}));
  const Design d = RandomConnected(rng, 12, 20, 4, true);
  const ScoreResult r = Fit(d);
  EXPECT_EQ(Parameter(r, "converged"), 1.0);
  EXPECT_GE(Parameter(r, "iterations"), 2.0);
  // Conjugate gradients on the system over 12 ratees end within 12 steps
  // (the number of distinct eigenvalues) up to rounding.
  EXPECT_LE(Parameter(r, "iterations"), 13.0);
  EXPECT_LE(Parameter(r, "relative_change"), 1e-10);
  EXPECT_FALSE(HasNote(r, "did not converge"));

  const ScoreResult once = Fit(d, "max_iterations = 1");
  EXPECT_EQ(Parameter(once, "iterations"), 1.0);
  EXPECT_EQ(Parameter(once, "converged"), 0.0);
  EXPECT_GT(Parameter(once, "relative_change"), 1e-10);
  EXPECT_TRUE(HasNote(once, "did not converge")) << fmt::format("{}", fmt::join(once.notes, "|"));
  EXPECT_TRUE(once.score.allFinite());

  // A loose tolerance stops earlier than the default one.
  const ScoreResult loose = Fit(d, "tolerance = 1e-3");
  EXPECT_EQ(Parameter(loose, "converged"), 1.0);
  EXPECT_LT(Parameter(loose, "iterations"), Parameter(r, "iterations"));
  EXPECT_LE(Parameter(loose, "relative_change"), 1e-3);
}

TEST(RaterAdjustedTest, WeaklyLinkedMeetingsConvergeWithinTheRateeCount) {
  // Ten meetings of 3 evaluees and 4 raters each, every meeting joined to the
  // next by one rater who also rates one evaluee of the next meeting: the
  // kind of design where plain backfitting needs hundreds of sweeps.
  // Conjugate gradients on the system over the 30 ratees end within 30
  // steps up to rounding, and the fit still matches the dense solve.
  Rng rng(DeriveSeed(18, {1}));
  const int meetings = 10, per_ratees = 3, per_raters = 4;
  Design d;
  d.ratees = meetings * per_ratees;
  d.raters = meetings * per_raters;
  d.levels = 5;
  for (int k = 0; k < meetings; ++k) {
    for (int j = 0; j < per_raters; ++j)
      for (int i = 0; i < per_ratees; ++i)
        d.votes.push_back({k * per_ratees + i, k * per_raters + j, static_cast<int>(rng.Below(5))});
    if (k + 1 < meetings)
      d.votes.push_back({(k + 1) * per_ratees, k * per_raters, static_cast<int>(rng.Below(5))});
  }
  const ScoreResult r = Fit(d);
  EXPECT_EQ(Parameter(r, "components"), 1.0);
  EXPECT_EQ(Parameter(r, "converged"), 1.0);
  EXPECT_LE(Parameter(r, "iterations"), d.ratees);
  const DenseFit ref = DenseReference(d, {0, 1, 2, 3, 4});
  for (int i = 0; i < d.ratees; ++i) EXPECT_NEAR(r.score[i], ref.score[i], 1e-8) << i;
}

TEST(RaterAdjustedTest, RelabellingRateesAndRatersPermutesResults) {
  Rng rng(DeriveSeed(15, {1}));
  for (int trial = 0; trial < 6; ++trial) {
    const Design in = RandomConnected(rng, 9, 14, 4, trial % 2 == 1);
    std::vector<int> p(in.ratees), q(in.raters);
    std::iota(p.begin(), p.end(), 0);
    std::iota(q.begin(), q.end(), 0);
    for (int i = in.ratees - 1; i > 0; --i) std::swap(p[i], p[rng.Below(i + 1)]);
    for (int i = in.raters - 1; i > 0; --i) std::swap(q[i], q[rng.Below(i + 1)]);
    Design relabelled = in;
    for (Vote& v : relabelled.votes) {
      v.ratee = p[v.ratee];
      v.rater = q[v.rater];
    }
    const ScoreResult ra = Fit(in), rb = Fit(relabelled);
    for (int e = 0; e < in.ratees; ++e) {
      EXPECT_NEAR(ra.score[e], rb.score[p[e]], 1e-10) << "trial " << trial;
      EXPECT_NEAR(ra.se[e], rb.se[p[e]], 1e-10) << "trial " << trial;
    }
    for (int j = 0; j < in.raters; ++j)
      EXPECT_NEAR(Effects(ra)[j], Effects(rb)[q[j]], 1e-10) << "trial " << trial;
  }
}

TEST(RaterAdjustedTest, PointsChangeTheScaleAffinely) {
  // y = 2 * grade + 1 for every grade: the fit is the same affine map of the
  // grade fit, and rater effects (differences) scale by 2.
  Rng rng(DeriveSeed(16, {1}));
  const Design d = RandomConnected(rng, 6, 9, 4, false);
  const ScoreResult grades = Fit(d), points = Fit(d, "points = [1, 3, 5, 7]");
  for (int i = 0; i < d.ratees; ++i) {
    EXPECT_NEAR(points.score[i], 2.0 * grades.score[i] + 1.0, 1e-9);
    EXPECT_NEAR(points.se[i], 2.0 * grades.se[i], 1e-9);
  }
  for (int j = 0; j < d.raters; ++j)
    EXPECT_NEAR(Effects(points)[j], 2.0 * Effects(grades)[j], 1e-9);
}

TEST(RaterAdjustedTest, OptionsAreChecked) {
  EXPECT_NO_THROW(Make("tolerance = 1e-6\nmax_iterations = 5\npoints = [0, 1, 2, 4]", 4));
  EXPECT_THROW(Make("tolerance = 0", 4), InputError);
  EXPECT_THROW(Make("tolerance = -1e-3", 4), InputError);
  EXPECT_THROW(Make("max_iterations = 0", 4), InputError);
  EXPECT_THROW(Make("max_iterations = 2.5", 4), InputError);
  EXPECT_THROW(Make("points = [0, 1, 2]", 4), InputError);
  EXPECT_THROW(Make("tolerence = 1e-3", 4), InputError);
}

TEST(RaterAdjustedTest, DegenerateBallotsGiveFiniteResults) {
  // No ballot at all: every evaluee scores the mean of the scale values
  // (0 + 1 + 2 + 3) / 4.
  Design nothing;
  nothing.ratees = 3;
  const ScoreResult r0 = Fit(nothing);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r0.score[i], 1.5);
  EXPECT_EQ(Parameter(r0, "components"), 0.0);
  EXPECT_EQ(Parameter(r0, "iterations"), 0.0);

  // A single rater: nothing separates their leniency from the level, so
  // b = 0 and the scores are the grades; no residual degrees of freedom.
  Design single;
  single.ratees = 3;
  single.votes = {{0, 0, 3}, {1, 0, 1}, {2, 0, 0}};
  const ScoreResult r1 = Fit(single);
  EXPECT_EQ(r1.score, Eigen::Vector3d(3, 1, 0));
  EXPECT_EQ(r1.se, Eigen::Vector3d::Zero());
  EXPECT_TRUE(HasNote(r1, "no residual degrees of freedom"));

  // Everybody gives the top grade: equal scores, zero effects.
  const ScoreResult r2 = Fit(Complete({{3, 3, 3}, {3, 3, 3}}, 4));
  EXPECT_NEAR(r2.score[0], 3.0, 1e-12);
  EXPECT_NEAR(r2.score[1], 3.0, 1e-12);
  EXPECT_NEAR(Effects(r2).cwiseAbs().maxCoeff(), 0.0, 1e-12);
}

TEST(ConnectivityTest, ComponentsOfValidBallots) {
  // Ratees 0..5, raters 0..5. Valid edges: 0-r0, 2-r0, 2-r1 | 1-r2, 5-r3,
  // 1-r3 | 3-r4. Ratee 4 has only a blank (to r5) and a zero-weight ballot
  // (to r0), so it and rater 5 are in no component, and the zero-weight
  // ballot does not join ratee 4 to component 0.
  Design d;
  d.ratees = 6;
  d.raters = 6;
  d.weighted = true;
  d.votes = {{0, 0, 1}, {2, 0, 2}, {2, 1, 3},        {1, 2, 0},     {5, 3, 1},
             {1, 3, 2}, {3, 4, 0}, {4, 5, kAbstain}, {4, 0, 2, 0.0}};
  const RatingBallots b = Build(d);
  const RaterRateeComponents c = ConnectedComponents(b);
  // Numbered by lowest ratee: {0, 2} -> 0, {1, 5} -> 1, {3} -> 2.
  EXPECT_EQ(c.count, 3);
  EXPECT_EQ(c.ratee, (std::vector<int32_t>{0, 1, 0, 2, -1, 1}));
  EXPECT_EQ(c.rater, (std::vector<int32_t>{0, 0, 1, 1, 2, -1}));
  EXPECT_EQ(c.ratees_in, (std::vector<int32_t>{2, 2, 1}));
  EXPECT_EQ(c.raters_in, (std::vector<int32_t>{2, 2, 1}));
  // Valid ballots per node; the blank and the zero-weight ballot count for
  // nobody.
  EXPECT_EQ(c.ratee_degree, (std::vector<uint32_t>{1, 2, 2, 1, 0, 1}));
  EXPECT_EQ(c.rater_degree, (std::vector<uint32_t>{2, 1, 1, 2, 1, 0}));
}

TEST(ConnectivityTest, MatchesBreadthFirstSearchOnRandomGraphs) {
  // Brute force: label by breadth-first search over an adjacency list and
  // compare the partitions (same pairs together), not the numbers.
  Rng rng(DeriveSeed(17, {1}));
  for (int trial = 0; trial < 20; ++trial) {
    Design d;
    d.ratees = 1 + static_cast<int>(rng.Below(30));
    d.raters = 1 + static_cast<int>(rng.Below(30));
    const int edges = static_cast<int>(rng.Below(40));
    for (int k = 0; k < edges; ++k) {
      const int g = rng.Bernoulli(0.2) ? kAbstain : 1;
      d.votes.push_back(
          {static_cast<int>(rng.Below(d.ratees)), static_cast<int>(rng.Below(d.raters)), g});
    }
    const RaterRateeComponents c = ConnectedComponents(Build(d));
    const int nodes = d.ratees + d.raters;
    std::vector<std::vector<int>> adj(nodes);
    std::vector<bool> has(nodes, false);
    for (const Vote& v : d.votes) {
      if (v.grade == kAbstain) continue;
      adj[v.ratee].push_back(d.ratees + v.rater);
      adj[d.ratees + v.rater].push_back(v.ratee);
      has[v.ratee] = has[d.ratees + v.rater] = true;
    }
    std::vector<int> label(nodes, -1);
    int count = 0;
    for (int s = 0; s < nodes; ++s) {
      if (!has[s] || label[s] >= 0) continue;
      std::vector<int> queue = {s};
      label[s] = count;
      for (size_t h = 0; h < queue.size(); ++h)
        for (int t : adj[queue[h]])
          if (label[t] < 0) {
            label[t] = count;
            queue.push_back(t);
          }
      ++count;
    }
    EXPECT_EQ(c.count, count) << "trial " << trial;
    auto got = [&](int v) { return v < d.ratees ? c.ratee[v] : c.rater[v - d.ratees]; };
    for (int u = 0; u < nodes; ++u) {
      EXPECT_EQ(got(u) < 0, label[u] < 0) << "trial " << trial;
      for (int v = 0; v < nodes; ++v) {
        if (label[u] < 0 || label[v] < 0) continue;
        EXPECT_EQ(got(u) == got(v), label[u] == label[v]) << "trial " << trial;
      }
    }
  }
}

}  // namespace
}  // namespace evalsim
