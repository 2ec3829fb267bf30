// Ratings models on multi-item ballots: each item scored alone and the item
// scores combined with `item_weights` (hand tallies), and the overall grade
// weighed through the name "overall".
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <cmath>
#include <memory>
#include <string>

#include "models/registry.h"
#include "sim/core/ballots.h"
#include "sim/core/errors.h"
#include "sim/core/rng.h"
#include "sim/io/csv.h"

namespace evalsim {
namespace {

// Two raters, two items (A, B), two ratees, points 0/60/80/100:
//   x: A r1=好(100) r2=较好(80) -> 90;   B r1=一般(60) r2=差(0) -> 30
//   y: A r1=较好 r2=较好 -> 80;          B r1=好 r2=好 -> 100
// and an overall grade 一般 (60) from r1 on x only.
constexpr const char* kTally =
    "rater,ratee,grade,item\n"
    "r1,x,3,A\nr2,x,2,A\nr1,x,1,B\nr2,x,0,B\n"
    "r1,y,2,A\nr2,y,2,A\nr1,y,3,B\nr2,y,3,B\n"
    "r1,x,1,\n";

Eigen::VectorXd Score(const std::string& model, const std::string& options) {
  const RatingBallots b = ParseRatingsCsv(kTally, "tally.csv");
  ModelContext ctx(b.levels, b.group_names);
  ctx.item_names = b.item_names;
  const toml::table t = toml::parse(std::string_view(options), std::string_view("t.toml"));
  ModelInput in;
  in.ratings = &b;
  return Models().Create(model, t, ctx, "t.toml", "models.x")->Score(in).score;
}

TEST(ItemScoring, EqualItemWeightsByDefault) {
  const Eigen::VectorXd s = Score("weighted_mean", "");
  EXPECT_DOUBLE_EQ(s[0], (90.0 + 30.0) / 2);
  EXPECT_DOUBLE_EQ(s[1], (80.0 + 100.0) / 2);
}

TEST(ItemScoring, ItemWeightsCombineTheItemScores) {
  const Eigen::VectorXd s = Score("weighted_mean", "item_weights = { A = 3, B = 1 }");
  EXPECT_DOUBLE_EQ(s[0], (3 * 90.0 + 30.0) / 4);   // 75
  EXPECT_DOUBLE_EQ(s[1], (3 * 80.0 + 100.0) / 4);  // 85
}

TEST(ItemScoring, OverallWeighsTheOverallGrade) {
  const Eigen::VectorXd s = Score("weighted_mean", "item_weights = { overall = 1, B = 1 }");
  EXPECT_DOUBLE_EQ(s[0], (60.0 + 30.0) / 2);
  // approval (share of 好 among valid votes) per item: x A 1/2, B 0; y A 0, B 1.
  const Eigen::VectorXd a = Score("approval", "top = 1\nitem_weights = { A = 1, B = 3 }");
  EXPECT_DOUBLE_EQ(a[0], 0.5 / 4);
  EXPECT_DOUBLE_EQ(a[1], 3.0 / 4);
}

TEST(ItemScoring, UnknownItemOrAllZeroWeightsAreRefused) {
  EXPECT_THROW(Score("weighted_mean", "item_weights = { C = 1 }"), InputError);
  EXPECT_THROW(Score("weighted_mean", "item_weights = { A = 0 }"), InputError);
  EXPECT_THROW(Score("weighted_mean", "item_weights = { A = -1 }"), InputError);
}

// A complete design drawn from the three-facet rating-scale model
//   P(x) ∝ exp( sum_{k<=x} (theta_i - delta_j - beta_m - tau_k) )
// with known item difficulties beta: every rater grades every item of every
// ratee (no overall grade).
RatingBallots ThreeFacetDesign(const std::vector<double>& beta, uint64_t seed) {
  const int n = 40, R = 30, I = static_cast<int>(beta.size()), K = 4;
  const double tau[K - 1] = {-1.0, 0.0, 1.0};
  Rng rng(DeriveSeed(seed, {1}));
  std::vector<double> theta(n), delta(R);
  for (double& t : theta) t = rng.Normal();
  for (double& d : delta) d = 0.5 * rng.Normal();
  RatingBallots b;
  b.levels = K;
  b.group_names = {"all"};
  b.group_weights = {1.0};
  for (int i = 0; i < n; ++i) b.ratee_names.push_back("e" + std::to_string(i));
  b.num_raters = R;
  b.rater_group.assign(R, 0);
  b.slot_begin.assign(n + 1, 0);
  for (int m = 0; m < I; ++m) b.item_names.push_back("i" + std::to_string(m));
  b.item_slot_begin.assign(1, 0);
  for (int m = 0; m < I; ++m) {
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < R; ++j) {
        double p[K], total = 0, cum = 0;
        for (int x = 0; x < K; ++x) {
          cum += x == 0 ? 0.0 : theta[i] - delta[j] - beta[m] - tau[x - 1];
          p[x] = std::exp(cum);
          total += p[x];
        }
        double u = rng.Uniform() * total;
        int x = 0;
        while (x < K - 1 && u >= p[x]) u -= p[x++];
        b.item_ballot.push_back(PackBallot(j, static_cast<uint8_t>(x)));
      }
      b.item_slot_begin.push_back(b.item_ballot.size());
    }
  }
  b.CheckInvariants();
  return b;
}

double Parameter(const ScoreResult& r, const std::string& name) {
  for (const auto& [key, value] : r.parameters)
    if (key == name) return value;
  ADD_FAILURE() << "no parameter " << name;
  return NAN;
}

ScoreResult Fit(const std::string& model, const RatingBallots& b) {
  ModelContext ctx(b.levels, b.group_names);
  ctx.item_names = b.item_names;
  ModelInput in;
  in.ratings = &b;
  return Models().Create(model, toml::table{}, ctx, "t.toml", "models.x")->Score(in);
}

TEST(ItemScoring, RatingScaleRecoversItemDifficulties) {
  const std::vector<double> beta = {-0.8, -0.2, 0.3, 0.7};  // sum 0: centred like the estimates
  for (uint64_t seed : {1u, 2u}) {
    const ScoreResult r = Fit("rating_scale", ThreeFacetDesign(beta, seed));
    for (size_t m = 0; m < beta.size(); ++m)
      EXPECT_NEAR(Parameter(r, "difficulty.i" + std::to_string(m)), beta[m], 0.15)
          << "seed " << seed << " item " << m;
  }
}

TEST(ItemScoring, MixedEffectsItemEffectsFallWithDifficulty) {
  const std::vector<double> beta = {-0.8, -0.2, 0.3, 0.7};
  const ScoreResult r = Fit("mixed_effects", ThreeFacetDesign(beta, 3));
  double total = 0;
  for (size_t m = 0; m < beta.size(); ++m) {
    const double e = Parameter(r, "item_effect.i" + std::to_string(m));
    total += e;
    if (m > 0) {
      EXPECT_LT(e, Parameter(r, "item_effect.i" + std::to_string(m - 1)));
    }
  }
  EXPECT_NEAR(total, 0.0, 1e-9);  // balanced design: effects centred
}

}  // namespace
}  // namespace evalsim
