// mixed_effects: the O(N) moment sums against brute force over all pairs;
// backfitting against the dense mixed-model equations; recovery of known
// variance components (also with weights, averaged over replicates);
// shrinkage of thinly rated evaluees; invariance to relabelling, to an
// affine change of points and to a common factor on the weights; degenerate
// designs; options.
#include "models/ratings/mixed_effects.h"

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

#include "models/registry.h"
#include "sim/core/ballots.h"
#include "sim/core/errors.h"
#include "sim/core/rng.h"
#include "tests/support/ballot_builder.h"

namespace evalsim {
namespace {

using internal::Backfit;
using internal::BackfitResult;
using internal::ComputeMomentEquations;
using internal::MomentEquations;
using internal::SolveMomentEquations;
using internal::VarianceComponents;

struct Vote {
  int ratee;
  int rater;
  int grade;  // 0..K-1 or kAbstain
  double weight = 1.0;
};

struct Design {
  int ratees = 0;
  int raters = 0;
  int levels = 4;
  int groups = 1;  // rater r is in group r % groups
  bool weighted = false;
  std::vector<Vote> votes;
};

// CSR layout: votes sorted (stably) by slot = ratee * G + group.
RatingBallots Build(const Design& d) {
  const int G = d.groups;
  std::vector<std::string> groups;
  for (int g = 0; g < G; ++g) groups.push_back(fmt::format("g{}", g));
  testing_util::BallotOptions options;
  options.min_raters = static_cast<uint32_t>(d.raters);
  for (int r = 0; r < d.raters; ++r) options.rater_group.push_back(static_cast<uint8_t>(r % G));
  return testing_util::BuildBallots(
      d.ratees, groups, d.levels,
      testing_util::ToBallotRows(d.votes, [G](const Vote& v) { return v.rater % G; }), d.weighted,
      options);
}

std::vector<double> Grades(int levels) {
  std::vector<double> v(levels);
  std::iota(v.begin(), v.end(), 0.0);
  return v;
}

std::unique_ptr<Model> Create(const std::string& options, int levels, int groups = 1) {
  Registry registry;
  registry.Add(MixedEffectsSpec());
  ModelContext ctx;
  ctx.levels = levels;
  for (int g = 0; g < groups; ++g) ctx.group_names.push_back(fmt::format("g{}", g));
  const toml::table table = toml::parse(std::string_view(options), std::string_view("test.toml"));
  return registry.Create("mixed_effects", table, ctx, "test.toml", "models.x");
}

double Param(const ScoreResult& r, const std::string& name) {
  for (const auto& [key, value] : r.parameters)
    if (key == name) return value;
  ADD_FAILURE() << "no parameter " << name;
  return NAN;
}

const Eigen::VectorXd& RaterValues(const ScoreResult& r, const std::string& name) {
  static const Eigen::VectorXd kEmpty;
  for (const auto& [key, value] : r.rater_values)
    if (key == name) return value;
  ADD_FAILURE() << "no rater values " << name;
  return kEmpty;
}

bool HasNote(const ScoreResult& r, const std::string& part) {
  for (const std::string& note : r.notes)
    if (note.find(part) != std::string::npos) return true;
  return false;
}

// Random incomplete design: every ratee is rated by `per_ratee` distinct
// raters drawn at random, grades uniform, a few abstentions and, when
// weighted, weights in [0.5, 2].
Design RandomDesign(Rng& rng, int ratees, int raters, int per_ratee, int levels, bool weighted,
                    int groups = 1) {
  Design d;
  d.ratees = ratees;
  d.raters = raters;
  d.levels = levels;
  d.groups = groups;
  d.weighted = weighted;
  std::vector<int> pool(raters);
  for (int e = 0; e < ratees; ++e) {
    std::iota(pool.begin(), pool.end(), 0);
    for (int k = 0; k < per_ratee; ++k) {
      std::swap(pool[k], pool[k + rng.Below(raters - k)]);
      const int grade = rng.Bernoulli(0.05) ? kAbstain : static_cast<int>(rng.Below(levels));
      d.votes.push_back({e, pool[k], grade, weighted ? 0.5 + 1.5 * rng.Uniform() : 1.0});
    }
  }
  return d;
}

// ---------------------------------------------------------------------------
// Moment equations against the definition, pair by pair.

// Sums over ordered pairs of distinct valid ballots (k, l):
//   U_a += w_k w_l (y_k - y_l)^2 when they share the ratee, U_b when they
//   share the rater, U_e always; the matching row of M gains
//   (2 w_k w_l [i != i'], 2 w_k w_l [j != j'], w_k + w_l), the coefficients
//   of E[w_k w_l (y_k - y_l)^2] when Var(e_k) = s_e^2 / w_k.
MomentEquations BruteForceMoments(const Design& d, const std::vector<double>& values) {
  MomentEquations eq;
  std::vector<Vote> valid;
  for (const Vote& v : d.votes)
    if (v.grade != kAbstain && v.weight > 0.0) valid.push_back(v);
  for (size_t k = 0; k < valid.size(); ++k) {
    for (size_t l = 0; l < valid.size(); ++l) {
      if (k == l) continue;
      const Vote &x = valid[k], &y = valid[l];
      const double w = d.weighted ? static_cast<float>(x.weight) : 1.0;
      const double v = d.weighted ? static_cast<float>(y.weight) : 1.0;
      const double diff = values[x.grade] - values[y.grade];
      const Eigen::Vector3d coef(2.0 * w * v * (x.ratee != y.ratee),
                                 2.0 * w * v * (x.rater != y.rater), w + v);
      if (x.ratee == y.ratee) {
        eq.u(0) += w * v * diff * diff;
        eq.m.row(0) += coef.transpose();
      }
      if (x.rater == y.rater) {
        eq.u(1) += w * v * diff * diff;
        eq.m.row(1) += coef.transpose();
      }
      eq.u(2) += w * v * diff * diff;
      eq.m.row(2) += coef.transpose();
    }
  }
  return eq;
}

TEST(MixedEffectsMoments, MatchBruteForceOverAllPairs) {
  Rng rng(DeriveSeed(11, {1}));
  for (bool weighted : {false, true}) {
    Design d = RandomDesign(rng, 9, 7, 4, 5, weighted, 2);
    // A repeated (rater, ratee) pair, a zero-weight ballot, and an
    // evaluee with no ballot at all.
    d.votes.push_back({0, d.votes[0].rater, 4, 1.5});
    d.votes.push_back({1, d.votes[5].rater == 6 ? 5 : 6, 2, weighted ? 0.0 : 1.0});
    d.ratees += 1;
    const std::vector<double> values = {0, 55, 70, 85, 100};
    const MomentEquations got = ComputeMomentEquations(Build(d), values);
    const MomentEquations want = BruteForceMoments(d, values);
    for (int r = 0; r < 3; ++r) {
      EXPECT_NEAR(got.u(r), want.u(r), 1e-9 * want.u.cwiseAbs().maxCoeff()) << r;
      for (int c = 0; c < 3; ++c)
        EXPECT_NEAR(got.m(r, c), want.m(r, c), 1e-9 * want.m.cwiseAbs().maxCoeff()) << r << c;
    }
    EXPECT_TRUE(got.within_ratee);
    EXPECT_TRUE(got.within_rater);
  }
}

TEST(MixedEffectsMoments, HandComputedTwoByTwo) {
  // Complete 2 x 2 design, grades y(ratee, rater): y00 = 0, y01 = 2,
  // y10 = 3, y11 = 1. Ordered pairs, unit weights:
  //   U_a = 2 * ((0-2)^2 + (3-1)^2) = 16       (same ratee)
  //   U_b = 2 * ((0-3)^2 + (2-1)^2) = 20       (same rater)
  //   U_e = U_a + U_b + 2 * ((0-1)^2 + (2-3)^2) = 40
  // Row a: 4 ordered pairs within a ratee, all with j != j': (0, 2 * 4, 4 * 2)
  //   = (0, 8, 8); row b likewise (8, 0, 8); row e: 12 ordered pairs, 8 with
  //   i != i', 8 with j != j': (16, 16, 24).
  // Solution: s_b^2 + s_e^2 = 2, s_a^2 + s_e^2 = 2.5, 16 s_a^2 + 16 s_b^2 +
  //   24 s_e^2 = 40 -> 16 * 4.5 - 8 s_e^2 = 40 -> s_e^2 = 4, s_a^2 = -1.5,
  //   s_b^2 = -2: the table is all interaction; both negative estimates are
  //   truncated at 0.
  const Design d = {2, 2, 4, 1, false, {{0, 0, 0}, {0, 1, 2}, {1, 0, 3}, {1, 1, 1}}};
  const MomentEquations eq = ComputeMomentEquations(Build(d), Grades(4));
  EXPECT_DOUBLE_EQ(eq.u(0), 16.0);
  EXPECT_DOUBLE_EQ(eq.u(1), 20.0);
  EXPECT_DOUBLE_EQ(eq.u(2), 40.0);
  Eigen::Matrix3d m;
  m << 0, 8, 8, 8, 0, 8, 16, 16, 24;
  EXPECT_TRUE(eq.m.isApprox(m, 1e-14)) << eq.m;
  EXPECT_NEAR(eq.m.fullPivLu().solve(eq.u)(0), -1.5, 1e-12);
  std::vector<std::string> notes;
  const VarianceComponents v = SolveMomentEquations(eq, &notes);
  EXPECT_EQ(v.ratee, 0.0);
  EXPECT_EQ(v.rater, 0.0);
  EXPECT_NEAR(v.error, 4.0, 1e-12);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find("ratee variance was negative (-1.5)"), std::string::npos) << notes[0];
  EXPECT_NE(notes[1].find("rater variance was negative (-2)"), std::string::npos) << notes[1];
}

TEST(MixedEffectsMoments, ZeroErrorNextToPositiveEffectsIsRaised) {
  // An additive table y = ratee + rater (0 1 / 2 3) has no error:
  //   U_a = 2 * (1 + 1) = 4, U_b = 2 * (4 + 4) = 16, U_e = 4 + 16 + 2 * (9 + 1) = 40,
  //   8 s_b^2 + 8 s_e^2 = 4, 8 s_a^2 + 8 s_e^2 = 16 -> s_e^2 = 0, s_a^2 = 2,
  //   s_b^2 = 0.5; s_e^2 is raised to 1 % of 2.5.
  const Design d = {2, 2, 4, 1, false, {{0, 0, 0}, {0, 1, 1}, {1, 0, 2}, {1, 1, 3}}};
  std::vector<std::string> notes;
  const VarianceComponents v =
      SolveMomentEquations(ComputeMomentEquations(Build(d), Grades(4)), &notes);
  EXPECT_NEAR(v.ratee, 2.0, 1e-12);
  EXPECT_NEAR(v.rater, 0.5, 1e-12);
  EXPECT_NEAR(v.error, 0.025, 1e-12);
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes.back().find("raised to 1%"), std::string::npos) << notes.back();
}

// ---------------------------------------------------------------------------
// Backfitting against the dense mixed-model equations
//   [1'W1  1'WZ          ] [mu]   [1'Wy]
//   [Z'W1  Z'WZ + s_e^2 D^-1] [u ] = [Z'Wy],  D = diag(s_a^2 I, s_b^2 I),
// with Z = [ratee indicators, rater indicators]; a component with variance 0
// is left out (its effects are 0).

struct DenseSolution {
  double mu;
  Eigen::VectorXd a, b;
};

DenseSolution DenseMme(const Design& d, const std::vector<double>& values,
                       const VarianceComponents& v) {
  const int n = d.ratees, R = d.raters;
  const int p = 1 + n + R;
  Eigen::MatrixXd c = Eigen::MatrixXd::Zero(p, p);
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(p);
  for (const Vote& x : d.votes) {
    if (x.grade == kAbstain) continue;
    const double w = d.weighted ? static_cast<double>(static_cast<float>(x.weight)) : 1.0;
    const int idx[3] = {0, 1 + x.ratee, 1 + n + x.rater};
    for (int s : idx) {
      rhs(s) += w * values[x.grade];
      for (int t : idx) c(s, t) += w;
    }
  }
  // Keep only the columns of components with positive variance.
  std::vector<int> keep = {0};
  for (int i = 0; i < n; ++i) {
    if (v.ratee > 0.0) {
      c(1 + i, 1 + i) += v.error / v.ratee;
      keep.push_back(1 + i);
    }
  }
  for (int j = 0; j < R; ++j) {
    if (v.rater > 0.0) {
      c(1 + n + j, 1 + n + j) += v.error / v.rater;
      keep.push_back(1 + n + j);
    }
  }
  const int q = static_cast<int>(keep.size());
  Eigen::MatrixXd cc(q, q);
  Eigen::VectorXd rr(q);
  for (int s = 0; s < q; ++s) {
    rr(s) = rhs(keep[s]);
    for (int t = 0; t < q; ++t) cc(s, t) = c(keep[s], keep[t]);
  }
  const Eigen::VectorXd sol = cc.fullPivLu().solve(rr);
  Eigen::VectorXd full = Eigen::VectorXd::Zero(p);
  for (int s = 0; s < q; ++s) full(keep[s]) = sol(s);
  return {full(0), full.segment(1, n), full.segment(1 + n, R)};
}

// u = (Z'WZ + s_e^2 D^-1)^-1 Z'W(y - mu) for a given mu (both effects present).
Eigen::VectorXd BlupGivenMu(const Design& d, const std::vector<double>& values,
                            const VarianceComponents& v, double mu) {
  const int n = d.ratees, R = d.raters;
  Eigen::MatrixXd c = Eigen::MatrixXd::Zero(n + R, n + R);
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(n + R);
  for (const Vote& x : d.votes) {
    if (x.grade == kAbstain) continue;
    const double w = d.weighted ? static_cast<double>(static_cast<float>(x.weight)) : 1.0;
    const int idx[2] = {x.ratee, n + x.rater};
    for (int s : idx) {
      rhs(s) += w * (values[x.grade] - mu);
      for (int t : idx) c(s, t) += w;
    }
  }
  for (int i = 0; i < n; ++i) c(i, i) += v.error / v.ratee;
  for (int j = 0; j < R; ++j) c(n + j, n + j) += v.error / v.rater;
  return c.ldlt().solve(rhs);
}

void ExpectMatchesDense(const Design& d, const VarianceComponents& v, const std::string& what) {
  const std::vector<double> values = Grades(d.levels);
  const BackfitResult fit = Backfit(Build(d), values, v, 1e-13, 100000);
  EXPECT_TRUE(fit.converged) << what;
  const DenseSolution want = DenseMme(d, values, v);
  EXPECT_NEAR(fit.mu, want.mu, 1e-8) << what;
  for (int i = 0; i < d.ratees; ++i)
    EXPECT_NEAR(fit.ratee[i], want.a[i], 1e-8) << what << " a" << i;
  for (int j = 0; j < d.raters; ++j)
    EXPECT_NEAR(fit.rater[j], want.b[j], 1e-8) << what << " b" << j;
  if (v.ratee > 0.0 && v.rater > 0.0) {
    // The same effects from the BLUP equations with mu plugged in.
    const Eigen::VectorXd u = BlupGivenMu(d, values, v, fit.mu);
    EXPECT_LT((u.head(d.ratees) - fit.ratee).cwiseAbs().maxCoeff(), 1e-8) << what;
    EXPECT_LT((u.tail(d.raters) - fit.rater).cwiseAbs().maxCoeff(), 1e-8) << what;
  }
}

TEST(MixedEffectsBackfit, MatchesDenseMixedModelEquations) {
  Rng rng(DeriveSeed(12, {1}));
  const VarianceComponents cases[] = {
      {1.0, 0.25, 0.64}, {0.1, 2.0, 0.5}, {3.0, 3.0, 0.01}, {1.0, 0.0, 0.5}, {0.0, 1.0, 0.5}};
  for (const VarianceComponents& v : cases) {
    const std::string what = fmt::format("s2 = ({}, {}, {})", v.ratee, v.rater, v.error);
    ExpectMatchesDense(RandomDesign(rng, 8, 6, 3, 4, false), v, what + " unweighted");
    // Weighted, two groups, one ratee without ballots, one rater who only
    // abstained.
    Design w = RandomDesign(rng, 7, 6, 3, 5, true, 2);
    w.ratees = 8;
    w.raters = 7;
    w.votes.push_back({2, 6, kAbstain, 1.0});
    ExpectMatchesDense(w, v, what + " weighted");
    // Two meetings that share no rater: ratees 0-3 rated by raters 0-2,
    // ratees 4-6 by raters 3-5.
    Design two;
    two.ratees = 7;
    two.raters = 6;
    for (int e = 0; e < 7; ++e) {
      for (int r = 0; r < 3; ++r) {
        const int rater = e < 4 ? r : 3 + r;
        if (rng.Bernoulli(0.8)) two.votes.push_back({e, rater, static_cast<int>(rng.Below(4))});
      }
    }
    // Every meeting needs a ballot of every ratee for the comparison to be
    // about the shift between meetings, not about unrated ratees.
    for (int e = 0; e < 7; ++e) two.votes.push_back({e, e < 4 ? 0 : 3, e % 4});
    std::vector<Vote> unique;
    for (const Vote& x : two.votes) {
      const bool seen = std::any_of(unique.begin(), unique.end(), [&](const Vote& y) {
        return y.ratee == x.ratee && y.rater == x.rater;
      });
      if (!seen) unique.push_back(x);
    }
    two.votes = unique;
    ExpectMatchesDense(two, v, what + " two meetings");
  }
}

TEST(MixedEffectsBackfit, WeightTwoEqualsTwoCopiesOfTheBallot) {
  // Under the model a ballot of weight 2 is the mean of two ballots; the
  // BLUPs depend on the ballots only through weighted sums, so they must
  // equal those of the design with the ballot repeated.
  Rng rng(DeriveSeed(13, {1}));
  Design once = RandomDesign(rng, 6, 5, 3, 4, false);
  once.votes.erase(std::remove_if(once.votes.begin(), once.votes.end(),
                                  [](const Vote& x) { return x.grade == kAbstain; }),
                   once.votes.end());
  Design weighted = once, twice = once;
  weighted.weighted = true;
  weighted.votes[0].weight = 2.0;
  twice.votes.push_back(once.votes[0]);
  const VarianceComponents v = {0.8, 0.3, 0.5};
  const BackfitResult a = Backfit(Build(weighted), Grades(4), v, 1e-13, 10000);
  const BackfitResult b = Backfit(Build(twice), Grades(4), v, 1e-13, 10000);
  EXPECT_NEAR(a.mu, b.mu, 1e-10);
  EXPECT_LT((a.ratee - b.ratee).cwiseAbs().maxCoeff(), 1e-10);
  EXPECT_LT((a.rater - b.rater).cwiseAbs().maxCoeff(), 1e-10);
}

TEST(MixedEffectsBackfit, ShrinkageFactorWithoutRaterEffect) {
  // With s_b^2 = 0 the BLUP is a_i = N_i / (N_i + s_e^2 / s_a^2) * (ybar_i - mu).
  // Ratee 0: 2 ballots of grade 3; ratee 1: 200 ballots of grade 3; ratee 2:
  // 200 ballots of grade 0; ratee 3: 2 ballots of grade 0. Symmetric, so the
  // GLS mean is mu = 1.5. With s_a^2 = 1, s_e^2 = 4 (lambda = 4):
  //   a_0 = 2 / 6 * 1.5 = 0.5,  a_1 = 200 / 204 * 1.5 = 1.4705882...
  Design d;
  d.ratees = 4;
  d.raters = 200;
  for (int r = 0; r < 200; ++r) {
    d.votes.push_back({1, r, 3});
    d.votes.push_back({2, r, 0});
    if (r < 2) {
      d.votes.push_back({0, r, 3});
      d.votes.push_back({3, r, 0});
    }
  }
  const BackfitResult fit = Backfit(Build(d), Grades(4), {1.0, 0.0, 4.0}, 1e-12, 1000);
  EXPECT_NEAR(fit.mu, 1.5, 1e-12);
  EXPECT_NEAR(fit.ratee[0], 0.5, 1e-12);
  EXPECT_NEAR(fit.ratee[1], 1.5 * 200.0 / 204.0, 1e-12);
  EXPECT_NEAR(fit.ratee[3], -0.5, 1e-12);
  EXPECT_EQ(fit.rater.cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ(fit.iterations, 1);
}

TEST(MixedEffectsBackfit, ZeroRateeVarianceGivesEveryoneMu) {
  Rng rng(DeriveSeed(14, {1}));
  const BackfitResult fit = Backfit(Build(RandomDesign(rng, 10, 6, 4, 4, false)), Grades(4),
                                    {0.0, 0.7, 0.5}, 1e-12, 1000);
  EXPECT_EQ(fit.ratee.cwiseAbs().maxCoeff(), 0.0);
  EXPECT_GT(fit.rater.cwiseAbs().maxCoeff(), 0.0);
}

// ---------------------------------------------------------------------------
// The model end to end.

// Crossed design with known components: y = a_i + b_j + e on the latent
// scale, stored as one of 250 grades whose points are the grid values (the
// rounding adds about (12/249)^2 / 12 = 2e-4 to s_e^2).
struct Simulated {
  Design design;
  std::vector<double> points;
  Eigen::VectorXd a;
};

Simulated SimulateCrossed(Rng& rng, int ratees, int raters, int per_ratee, double sa, double sb,
                          double se, bool weighted) {
  Simulated s;
  const int K = 250;
  const double lo = -6.0, step = 12.0 / (K - 1);
  for (int k = 0; k < K; ++k) s.points.push_back(lo + step * k);
  s.design = RandomDesign(rng, ratees, raters, per_ratee, K, weighted);
  s.a.resize(ratees);
  for (int i = 0; i < ratees; ++i) s.a[i] = sa * rng.Normal();
  std::vector<double> b(raters);
  for (double& x : b) x = sb * rng.Normal();
  for (Vote& v : s.design.votes) {
    // The error of a ballot of weight w is the mean of w ballots' errors.
    const double w = weighted ? static_cast<float>(v.weight) : 1.0;
    const double y = s.a[v.ratee] + b[v.rater] + se / std::sqrt(w) * rng.Normal();
    v.grade = std::clamp(static_cast<int>(std::lround((y - lo) / step)), 0, K - 1);
  }
  return s;
}

std::string PointsOption(const std::vector<double>& points) {
  return fmt::format("points = [{}]", fmt::join(points, ", "));
}

TEST(MixedEffectsModel, RecoversVarianceComponents) {
  // ~500 ratees x ~500 raters, 20 random raters per ratee (10,000 ballots).
  Rng rng(DeriveSeed(15, {1}));
  const Simulated s = SimulateCrossed(rng, 500, 500, 20, 1.0, 0.5, 0.8, false);
  const RatingBallots b = Build(s.design);
  const ScoreResult r = Create(PointsOption(s.points), 250)->Score(ModelInput{&b});
  EXPECT_NEAR(Param(r, "sigma_ratee"), 1.0, 0.15);
  EXPECT_NEAR(Param(r, "sigma_rater"), 0.5, 0.15 * 0.5);
  EXPECT_NEAR(Param(r, "sigma_error"), 0.8, 0.15 * 0.8);
  EXPECT_GT(Param(r, "iterations"), 1.0);
  EXPECT_LT(Param(r, "iterations"), 1000.0);
  // The BLUPs track the true effects: corr(a_hat, a) ~ sqrt(1 / (1 + 0.64 / 20
  // + rater noise)), far above 0.9.
  const Eigen::VectorXd x = r.score.array() - r.score.mean();
  const Eigen::VectorXd y = s.a.array() - s.a.mean();
  EXPECT_GT(x.dot(y) / std::sqrt(x.squaredNorm() * y.squaredNorm()), 0.9);
}

TEST(MixedEffectsModel, WeightedMomentsAreUnbiased) {
  // Averaged over replicates, the untruncated moment estimates of the
  // heteroscedastic model (error variance s_e^2 / w) hit the true variances.
  Rng rng(DeriveSeed(16, {1}));
  Eigen::Vector3d sum = Eigen::Vector3d::Zero();
  const int reps = 200;
  for (int rep = 0; rep < reps; ++rep) {
    const Simulated s = SimulateCrossed(rng, 120, 80, 8, 1.0, 0.7, 0.6, true);
    const MomentEquations eq = ComputeMomentEquations(Build(s.design), s.points);
    sum += eq.m.fullPivLu().solve(eq.u);
  }
  const Eigen::Vector3d mean = sum / reps;
  EXPECT_NEAR(mean(0), 1.0, 0.06);
  EXPECT_NEAR(mean(1), 0.49, 0.05);
  EXPECT_NEAR(mean(2), 0.36 + 2e-4, 0.02);
}

TEST(MixedEffectsModel, FewBallotsShrinkMoreThanMany) {
  // 20 ordinary ratees rated by all 200 raters with mixed grades; ratee 20
  // has 2 ballots of the top grade, ratee 21 has 200.
  Rng rng(DeriveSeed(17, {1}));
  Design d;
  d.ratees = 22;
  d.raters = 200;
  for (int e = 0; e < 20; ++e) {
    const double quality = rng.Normal();
    for (int r = 0; r < 200; ++r) {
      const double y = 1.5 + quality + 0.8 * rng.Normal();
      d.votes.push_back({e, r, std::clamp(static_cast<int>(std::lround(y)), 0, 3)});
    }
  }
  for (int r = 0; r < 200; ++r) {
    d.votes.push_back({21, r, 3});
    if (r < 2) d.votes.push_back({20, r, 3});
  }
  const RatingBallots b = Build(d);
  const ScoreResult r = Create("", 4)->Score(ModelInput{&b});
  const double mu = Param(r, "mu");
  EXPECT_GT(r.score[20], mu);
  EXPECT_GT(r.score[21] - mu, r.score[20] - mu);
  // Both sit at 3 on average; the two-ballot ratee is pulled well away.
  EXPECT_GT(3.0 - r.score[20], 2.0 * (3.0 - r.score[21]));
  EXPECT_GT(r.se[20], r.se[21]);
}

TEST(MixedEffectsModel, RelabellingPermutesEverything) {
  Rng rng(DeriveSeed(18, {1}));
  for (bool weighted : {false, true}) {
    const Design d = RandomDesign(rng, 40, 30, 6, 4, weighted, 2);
    std::vector<int> p(d.ratees), q(d.raters);
    std::iota(p.begin(), p.end(), 0);
    std::iota(q.begin(), q.end(), 0);
    for (int i = d.ratees - 1; i > 0; --i) std::swap(p[i], p[rng.Below(i + 1)]);
    // Keep every rater in its group (group = rater % 2): permute within.
    for (int i = d.raters - 1; i > 1; --i) std::swap(q[i], q[i % 2 + 2 * rng.Below(i / 2 + 1)]);
    Design relabelled = d;
    for (Vote& v : relabelled.votes) {
      v.ratee = p[v.ratee];
      v.rater = q[v.rater];
    }
    const RatingBallots ba = Build(d), bb = Build(relabelled);
    const std::unique_ptr<Model> model = Create("", 4, 2);
    const ScoreResult ra = model->Score(ModelInput{&ba}), rb = model->Score(ModelInput{&bb});
    for (int e = 0; e < d.ratees; ++e) {
      EXPECT_NEAR(ra.score[e], rb.score[p[e]], 1e-9);
      EXPECT_NEAR(ra.se[e], rb.se[p[e]], 1e-12);
    }
    const Eigen::VectorXd &ea = RaterValues(ra, "effect"), &eb = RaterValues(rb, "effect");
    for (int j = 0; j < d.raters; ++j) EXPECT_NEAR(ea[j], eb[q[j]], 1e-9);
    for (const char* name : {"sigma_ratee", "sigma_rater", "sigma_error", "mu"})
      EXPECT_NEAR(Param(ra, name), Param(rb, name), 1e-12) << name;
  }
}

TEST(MixedEffectsModel, AffinePointsTransformScoresAffinely) {
  // points = 10 * grade + 5: every variance scales by 100, the BLUPs by 10.
  Rng rng(DeriveSeed(19, {1}));
  const RatingBallots b = Build(RandomDesign(rng, 30, 20, 6, 4, false));
  const ScoreResult g = Create("", 4)->Score(ModelInput{&b});
  const ScoreResult p = Create("points = [5, 15, 25, 35]", 4)->Score(ModelInput{&b});
  for (int e = 0; e < b.NumRatees(); ++e) {
    EXPECT_NEAR(p.score[e], 10.0 * g.score[e] + 5.0, 1e-8);
    EXPECT_NEAR(p.se[e], 10.0 * g.se[e], 1e-9);
  }
  EXPECT_NEAR(Param(p, "sigma_rater"), 10.0 * Param(g, "sigma_rater"), 1e-9);
}

TEST(MixedEffectsModel, CommonWeightFactorOnlyRescalesSigmaError) {
  // Doubling every weight doubles the error variance per unit weight
  // (s_e^2 / w stays the same) and leaves the scores unchanged.
  Rng rng(DeriveSeed(20, {1}));
  Design d = RandomDesign(rng, 30, 20, 6, 4, true);
  const RatingBallots b1 = Build(d);
  for (Vote& v : d.votes) v.weight *= 2.0;
  const RatingBallots b2 = Build(d);
  const std::unique_ptr<Model> model = Create("", 4);
  const ScoreResult r1 = model->Score(ModelInput{&b1}), r2 = model->Score(ModelInput{&b2});
  for (int e = 0; e < d.ratees; ++e) EXPECT_NEAR(r1.score[e], r2.score[e], 1e-9);
  EXPECT_NEAR(Param(r2, "sigma_error"), Param(r1, "sigma_error") * std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(Param(r2, "sigma_ratee"), Param(r1, "sigma_ratee"), 1e-9);
}

TEST(MixedEffectsModel, AllGradesEqual) {
  Design d;
  d.ratees = 5;
  d.raters = 4;
  for (int e = 0; e < 4; ++e)
    for (int r = 0; r < 4; ++r) d.votes.push_back({e, r, 2});
  const RatingBallots b = Build(d);
  const ScoreResult r = Create("", 4)->Score(ModelInput{&b});
  for (int e = 0; e < 5; ++e) {
    EXPECT_EQ(r.score[e], 2.0);
    EXPECT_EQ(r.se[e], 0.0);
  }
  EXPECT_EQ(Param(r, "sigma_ratee"), 0.0);
  EXPECT_EQ(Param(r, "sigma_error"), 0.0);
  EXPECT_TRUE(HasNote(r, "same value"));
}

TEST(MixedEffectsModel, SingleRaterScoresAreTheGrades) {
  // No evaluee has two raters: all variance goes to the evaluees and each
  // scores its own grade.
  const Design d = {3, 1, 4, 1, false, {{0, 0, 3}, {1, 0, 1}, {2, 0, 0}}};
  const RatingBallots b = Build(d);
  const ScoreResult r = Create("", 4)->Score(ModelInput{&b});
  EXPECT_NEAR(r.score[0], 3.0, 1e-12);
  EXPECT_NEAR(r.score[1], 1.0, 1e-12);
  EXPECT_NEAR(r.score[2], 0.0, 1e-12);
  // s_a^2 = U_e / M(2,0) = 2 * (4 + 9 + 1) / (2 * 6) = 7 / 3.
  EXPECT_NEAR(Param(r, "sigma_ratee"), std::sqrt(7.0 / 3.0), 1e-12);
  EXPECT_TRUE(HasNote(r, "no evaluee was rated by two raters"));
}

TEST(MixedEffectsModel, RatersAttachedToOneEvalueePoolRaterVariance) {
  // Every rater rates one evaluee only: s_b^2 = 0, and the scores are the
  // evaluees' means shrunk toward mu.
  Rng rng(DeriveSeed(21, {1}));
  Design d;
  d.ratees = 6;
  d.raters = 30;
  for (int r = 0; r < 30; ++r)
    d.votes.push_back(
        {r / 5, r, static_cast<int>(std::min<uint64_t>(3, r / 5 % 4 + rng.Below(2)))});
  const RatingBallots b = Build(d);
  const ScoreResult r = Create("", 4)->Score(ModelInput{&b});
  EXPECT_EQ(Param(r, "sigma_rater"), 0.0);
  EXPECT_GT(Param(r, "sigma_ratee"), 0.0);
  EXPECT_TRUE(HasNote(r, "no rater rated two evaluees"));
  EXPECT_TRUE(r.score.allFinite());
}

TEST(MixedEffectsModel, SingleRateeAndEmptyBallots) {
  const Design one = {1, 4, 4, 1, false, {{0, 0, 3}, {0, 1, 1}, {0, 2, 2}, {0, 3, 2}}};
  const RatingBallots b1 = Build(one);
  const ScoreResult r1 = Create("", 4)->Score(ModelInput{&b1});
  EXPECT_NEAR(r1.score[0], 2.0, 1e-12);  // mean of 3, 1, 2, 2
  const Design none = {3, 0, 4, 1, false, {}};
  const RatingBallots b0 = Build(none);
  const ScoreResult r0 = Create("", 4)->Score(ModelInput{&b0});
  ASSERT_EQ(r0.score.size(), 3);
  EXPECT_EQ(r0.score.maxCoeff(), 0.0);
  EXPECT_TRUE(HasNote(r0, "no valid ballot"));
}

TEST(MixedEffectsModel, IterationCapIsNoted) {
  Rng rng(DeriveSeed(22, {1}));
  const Simulated s = SimulateCrossed(rng, 100, 100, 5, 1.0, 0.5, 0.8, false);
  const RatingBallots b = Build(s.design);
  const ScoreResult r =
      Create(PointsOption(s.points) + "\nmax_iterations = 2", 250)->Score(ModelInput{&b});
  EXPECT_EQ(Param(r, "iterations"), 2.0);
  EXPECT_TRUE(HasNote(r, "backfitting stopped after 2 sweeps"));
}

TEST(MixedEffectsOptions, RejectsBadValues) {
  EXPECT_THROW(Create("estimator = \"reml\"", 4), InputError);
  EXPECT_THROW(Create("tolerance = 0", 4), InputError);
  EXPECT_THROW(Create("max_iterations = 0", 4), InputError);
  EXPECT_THROW(Create("points = [0, 1, 2]", 4), InputError);
  EXPECT_NO_THROW(Create("estimator = \"moments\"\ntolerance = 1e-6\nmax_iterations = 5", 4));
}

}  // namespace
}  // namespace evalsim
