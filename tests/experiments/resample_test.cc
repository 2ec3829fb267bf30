// Resampling stability (sim/experiments/resample.h): coverage of the bootstrap
// intervals against analytically known expected points, degenerate and
// far-ahead cases, the multinomial rater counts behind the weights, a hand
// jackknife example, determinism across thread counts and seeds, the table
// format, and the `score` command end to end.
#include "sim/experiments/resample.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "models/ratings/weighted_mean.h"
#include "models/registry.h"
#include "sim/core/errors.h"
#include "sim/core/interrupt.h"
#include "sim/core/rng.h"
#include "sim/run/outputs.h"
#include "tests/support/ballot_builder.h"
#include "tests/support/cli_util.h"

namespace evalsim {
namespace {

using testing_util::BallotOptions;
using testing_util::BallotRow;
using testing_util::BuildBallots;

std::unique_ptr<Model> WeightedMean(const RatingBallots& b, const std::string& options = "") {
  Registry r;
  r.Add(WeightedMeanSpec());
  const toml::table table = toml::parse(std::string_view(options), std::string_view("test.toml"));
  return r.Create("weighted_mean", table, ModelContext{b.levels, b.group_names}, "test.toml",
                  "models.x");
}

// Random ballots of n evaluees by `raters` raters in three groups (defined
// below).
RatingBallots RandomBallots(int n, int raters, uint64_t seed);

// ---- Coverage -------------------------------------------------------------

// Grade = number of cut points at or below the latent value; the latent is
// q + L + eps with L ~ N(0, sl^2), eps ~ N(0, s^2), so grade k has
// probability Phi((c_k - q) / t) - Phi((c_{k-1} - q) / t), t = sqrt(sl^2 + s^2)
// (c_0 = -inf, c_K = +inf), and the expected points are the sum of
// points_k times that probability.
double ExpectedPoints(double q, double t, const std::vector<double>& cuts,
                      const std::vector<double>& points) {
  const int K = static_cast<int>(points.size());
  const double inf = std::numeric_limits<double>::infinity();
  double e = 0.0;
  for (int k = 0; k < K; ++k) {
    const double lo = k == 0 ? -inf : cuts[k - 1];
    const double hi = k == K - 1 ? inf : cuts[k];
    e += points[k] * (NormalCdf((hi - q) / t) - NormalCdf((lo - q) / t));
  }
  return e;
}

int Grade(double latent, const std::vector<double>& cuts) {
  int g = 0;
  for (double c : cuts) g += latent >= c ? 1 : 0;
  return g;
}

TEST(ResampleCoverage, PercentileIntervalsCoverExpectedPointsAtTheirLevel) {
  // 300 evaluees, each rated by its own 100 raters (so evaluees are
  // independent), ten data sets: 3000 intervals per level. Under the nominal
  // rate the count of covering intervals is binomial: sd =
  // sqrt(0.95 * 0.05 / 3000) = 0.0040 at 95 %, so [0.925, 0.97] is -6.3 / +5.0
  // sd; sd = sqrt(0.25 / 3000) = 0.0091 at 50 %, so [0.45, 0.55] is +-5.5 sd.
  // The percentile bootstrap of a mean of m skewed, discrete values covers a
  // little less than nominal (its spread is the plug-in sd, too small by
  // sqrt((m - 1) / m), and skewness costs more): measured on 6000 intervals,
  // 0.927 with 40 raters per evaluee and 0.939 with 100, hence 100 here, which
  // leaves 3.5 sd of the binomial above the lower limit. A percentile
  // interval of the wrong width (the 90 % or the 99 % quantiles, or a 40 % or
  // 60 % one for the 50 %) falls outside.
  const std::vector<double> cuts = {-1.2, -0.3, 0.6};
  const std::vector<double> points = {0, 60, 80, 100};  // weighted_mean's default for K = 4
  const double sl = 0.5, s = 0.7, t = std::sqrt(sl * sl + s * s);
  const int n = 300, raters_each = 100, data_sets = 10;
  int covered95 = 0, covered50 = 0, total = 0;
  for (int d = 0; d < data_sets; ++d) {
    Rng rng(DeriveSeed(4242, {static_cast<uint64_t>(d)}));
    std::vector<BallotRow> rows;
    std::vector<double> expected(n);
    for (int e = 0; e < n; ++e) {
      const double q = 0.8 * rng.Normal();
      expected[e] = ExpectedPoints(q, t, cuts, points);
      for (int j = 0; j < raters_each; ++j) {
        const double latent = q + sl * rng.Normal() + s * rng.Normal();
        rows.push_back({e, 0, static_cast<uint32_t>(e * raters_each + j),
                        static_cast<uint8_t>(Grade(latent, cuts))});
      }
    }
    const RatingBallots b = BuildBallots(n, {"member"}, 4, rows, false);
    const auto model = WeightedMean(b);
    ResampleOptions o;
    o.scheme = ResampleScheme::kRaters;  // the multinomial rater bootstrap
    o.bootstrap = 1000;
    o.seed = 77 + d;
    const ResampleResult r95 = Resample(*model, b, o);
    o.level = 0.5;
    const ResampleResult r50 = Resample(*model, b, o);
    for (int e = 0; e < n; ++e) {
      ASSERT_LE(r95.lo[e], r50.lo[e]);
      ASSERT_GE(r95.hi[e], r50.hi[e]);
      covered95 += r95.lo[e] <= expected[e] && expected[e] <= r95.hi[e];
      covered50 += r50.lo[e] <= expected[e] && expected[e] <= r50.hi[e];
      ++total;
    }
  }
  const double c95 = static_cast<double>(covered95) / total;
  const double c50 = static_cast<double>(covered50) / total;
  RecordProperty("coverage95", fmt::format("{:.4f}", c95));
  RecordProperty("coverage50", fmt::format("{:.4f}", c50));
  EXPECT_GE(c95, 0.925);
  EXPECT_LE(c95, 0.97);
  EXPECT_GE(c50, 0.45);
  EXPECT_LE(c50, 0.55);
}

// ---- Degenerate and clear-cut cases -----------------------------------------

TEST(ResampleBootstrap, IdenticalBallotsPerEvalueeGiveZeroWidthIntervals) {
  // Every rater gives evaluee e the grade e: any reweighting of the raters
  // leaves every score, hence every rank, unchanged.
  const int n = 10;
  std::vector<BallotRow> rows;
  for (int e = 0; e < n; ++e)
    for (uint32_t r = 0; r < 8; ++r) rows.push_back({e, 0, r, static_cast<uint8_t>(e)});
  const RatingBallots b = BuildBallots(n, {"member"}, 10, rows, false);
  const auto model = WeightedMean(b);
  ResampleOptions o;
  o.scheme = ResampleScheme::kRaters;  // the multinomial rater bootstrap
  o.bootstrap = 200;
  o.top = 0.2;     // k = 2
  o.bottom = 0.1;  // k = 1
  const ResampleResult r = Resample(*model, b, o);
  ASSERT_EQ(r.k_top, 2);
  ASSERT_EQ(r.k_bottom, 1);
  for (int e = 0; e < n; ++e) {
    EXPECT_EQ(r.lo[e], r.full.score[e]) << e;
    EXPECT_EQ(r.hi[e], r.full.score[e]) << e;
    EXPECT_EQ(r.rank_lo[e], n - e) << e;
    EXPECT_EQ(r.rank_hi[e], n - e) << e;
    EXPECT_EQ(r.p_top[e], e >= n - 2 ? 1.0 : 0.0) << e;
    EXPECT_EQ(r.p_bottom[e], e == 0 ? 1.0 : 0.0) << e;
  }
  // Two disjoint pairs of identical top sets: Jaccard exactly 1.
  EXPECT_EQ(r.jaccard_pairs, 100);
  EXPECT_EQ(r.topk_jaccard.value, 1.0);
}

TEST(ResampleBootstrap, FarAheadTopIsCertainAndMembershipsSumToK) {
  // e0 and e1 get the top grade from everyone; the others get random grades
  // below it. Raters are resampled within their group, so every resample
  // keeps ballots of both groups for every evaluee.
  const int n = 20;
  Rng rng(99);
  std::vector<BallotRow> rows;
  for (int e = 0; e < n; ++e) {
    for (uint32_t r = 0; r < 15; ++r) {
      const int group = r < 5 ? 0 : 1;
      const uint8_t g = e < 2 ? 3 : static_cast<uint8_t>(rng.Below(3));
      rows.push_back({e, group, r, g});
    }
  }
  const RatingBallots b = BuildBallots(n, {"superior", "member"}, 4, rows, false);
  const auto model = WeightedMean(b);
  ResampleOptions o;
  o.scheme = ResampleScheme::kRaters;  // the multinomial rater bootstrap
  o.bootstrap = 300;
  o.top = 0.1;      // k = 2
  o.bottom = 0.15;  // k = 3
  const ResampleResult r = Resample(*model, b, o);
  double sum_top = 0.0, sum_bottom = 0.0;
  bool some_uncertain = false;
  for (int e = 0; e < n; ++e) {
    EXPECT_EQ(r.p_top[e], e < 2 ? 1.0 : 0.0) << e;
    EXPECT_GE(r.p_bottom[e], 0.0);
    EXPECT_LE(r.p_bottom[e], 1.0);
    EXPECT_LE(r.lo[e], r.hi[e]);
    EXPECT_LE(r.rank_lo[e], r.rank_hi[e]);
    some_uncertain = some_uncertain || (r.p_bottom[e] > 0.0 && r.p_bottom[e] < 1.0);
    sum_top += r.p_top[e];
    sum_bottom += r.p_bottom[e];
  }
  EXPECT_NEAR(sum_top, 2.0, 1e-9);
  EXPECT_NEAR(sum_bottom, 3.0, 1e-9);
  EXPECT_TRUE(some_uncertain);  // the bottom is contested, so the sum is a real check
  EXPECT_EQ(r.topk_jaccard.value, 1.0);
}

// ---- The weights are multinomial counts -------------------------------------

TEST(ResampleWeights, CountsAreMultinomialWithinEachGroup) {
  // Group 0: raters 0..4; group 1: raters 5..24; raters 25 and 26 (group 1)
  // cast no ballot. Each rater rates three of four evaluees.
  std::vector<BallotRow> rows;
  for (uint32_t r = 0; r < 25; ++r)
    for (int e = 0; e < 3; ++e)
      rows.push_back({static_cast<int>((r + e) % 4), r < 5 ? 0 : 1, r,
                      static_cast<uint8_t>((r + e) % 4), 0.5f + 0.25f * static_cast<float>(r % 3)});
  BallotOptions bo;
  bo.min_raters = 27;
  bo.rater_group.assign(27, 1);
  for (int r = 0; r < 5; ++r) bo.rater_group[r] = 0;
  const RatingBallots b = BuildBallots(4, {"superior", "member"}, 4, rows, true, bo);
  const RaterResampler rs(b);
  ASSERT_EQ(rs.Strata()[0].size(), 5u);
  ASSERT_EQ(rs.Strata()[1].size(), 20u);

  const int B = 4000;
  std::vector<double> sum(27, 0.0), sumsq(27, 0.0);
  std::vector<uint32_t> c, again;
  std::vector<float> w;
  bool any_difference = false;
  std::vector<uint32_t> previous;
  for (int s = 0; s < B; ++s) {
    rs.Counts(5, s, &c);
    ASSERT_EQ(c.size(), 27u);
    uint32_t g0 = 0, g1 = 0;
    for (uint32_t r = 0; r < 25; ++r) (r < 5 ? g0 : g1) += c[r];
    ASSERT_EQ(g0, 5u) << s;  // exactly the group's size in every resample
    ASSERT_EQ(g1, 20u) << s;
    ASSERT_EQ(c[25], 0u);
    ASSERT_EQ(c[26], 0u);
    for (int r = 0; r < 27; ++r) {
      sum[r] += c[r];
      sumsq[r] += static_cast<double>(c[r]) * c[r];
    }
    rs.Counts(5, s, &again);
    ASSERT_EQ(again, c);  // a resample's counts depend on (seed, index) only
    if (!previous.empty() && previous != c) any_difference = true;
    previous = c;
    rs.ApplyCounts(c, &w);
    ASSERT_EQ(w.size(), b.NumBallots());
    for (uint64_t i = 0; i < b.NumBallots(); ++i)
      ASSERT_EQ(w[i], static_cast<float>(c[BallotRater(b.ballot[i])]) * b.weight[i]);
  }
  EXPECT_TRUE(any_difference);
  // Count of one rater: Binomial(R, 1/R), mean 1, variance 1 - 1/R. Mean
  // over B = 4000: sd sqrt((1 - 1/R) / B) < 0.016; 0.08 is 5 sd. The pooled
  // variance estimate has sd about sqrt(3 / B) / sqrt(raters) < 0.013; 0.05
  // tells 0.8 (R = 5) from the 1.0 of independent Poisson counts.
  double var0 = 0.0, var1 = 0.0;
  for (int r = 0; r < 25; ++r) {
    const double mean = sum[r] / B;
    EXPECT_NEAR(mean, 1.0, 0.08) << r;
    (r < 5 ? var0 : var1) += sumsq[r] / B - mean * mean;
  }
  EXPECT_NEAR(var0 / 5, 1.0 - 1.0 / 5, 0.05);
  EXPECT_NEAR(var1 / 20, 1.0 - 1.0 / 20, 0.05);
}

TEST(ResampleStrata, RatersAreResampledWithinTheirGroupAndConnectedPart) {
  // Two meetings: raters 0..3 (group 0) and 4..9 (group 1) rate evaluees
  // 0..2; raters 10..12 (group 0) and 13..16 (group 1) rate evaluees 3..4;
  // raters 17..19 (group 1) are attached to evaluee 5 alone, rater 20
  // (group 1) to evaluee 6 alone.
  std::vector<BallotRow> rows;
  auto rate = [&](uint32_t r, int group, int e0, int e1) {
    for (int e = e0; e <= e1; ++e) rows.push_back({e, group, r, static_cast<uint8_t>((r + e) % 4)});
  };
  for (uint32_t r = 0; r < 4; ++r) rate(r, 0, 0, 2);
  for (uint32_t r = 4; r < 10; ++r) rate(r, 1, 0, 2);
  for (uint32_t r = 10; r < 13; ++r) rate(r, 0, 3, 4);
  for (uint32_t r = 13; r < 17; ++r) rate(r, 1, 3, 4);
  for (uint32_t r = 17; r < 20; ++r) rate(r, 1, 5, 5);
  rate(20, 1, 6, 6);
  const RatingBallots b = BuildBallots(7, {"superior", "member"}, 4, rows, false);
  const RaterResampler rs(b);
  using V = std::vector<uint32_t>;
  // Groups in order, a group's parts in the order of their smallest rater.
  ASSERT_EQ(rs.Strata().size(), 6u);
  EXPECT_EQ(rs.Strata()[0], (V{0, 1, 2, 3}));
  EXPECT_EQ(rs.Strata()[1], (V{10, 11, 12}));
  EXPECT_EQ(rs.Strata()[2], (V{4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(rs.Strata()[3], (V{13, 14, 15, 16}));
  EXPECT_EQ(rs.Strata()[4], (V{17, 18, 19}));
  EXPECT_EQ(rs.Strata()[5], (V{20}));
  EXPECT_EQ(rs.SlotStratum()[b.Slot(1, 0)], 0);
  EXPECT_EQ(rs.SlotStratum()[b.Slot(4, 1)], 3);
  EXPECT_EQ(rs.SlotStratum()[b.Slot(5, 0)], -1);  // no superior rated evaluee 5
  EXPECT_EQ(rs.SlotStratum()[b.Slot(6, 1)], 5);
  // raters-by-group: one stratum per group, across the parts.
  const RaterResampler by_group(b, /*by_part=*/false);
  ASSERT_EQ(by_group.Strata().size(), 2u);
  EXPECT_EQ(by_group.Strata()[0], (V{0, 1, 2, 3, 10, 11, 12}));
  EXPECT_EQ(by_group.Strata()[1].size(), 14u);
  EXPECT_EQ(by_group.SlotStratum()[b.Slot(6, 1)], 1);
  // Every resample keeps each part's number of raters: a meeting never
  // loses its raters to another one, an evaluee never its own raters.
  std::vector<uint32_t> c;
  for (int s = 0; s < 200; ++s) {
    rs.Counts(9, s, &c);
    for (const V& stratum : rs.Strata()) {
      uint32_t sum = 0;
      for (uint32_t r : stratum) sum += c[r];
      ASSERT_EQ(sum, stratum.size()) << s;
    }
    ASSERT_EQ(c[20], 1u);  // alone in its part
  }
}

TEST(ResampleWeights, DirichletWeightsSumToEachStratumsSize) {
  const RatingBallots b = RandomBallots(12, 30, 2);
  const RaterResampler rs(b);
  std::vector<float> w, again;
  double sum_sq = 0.0;
  int cells = 0;
  for (int s = 0; s < 3000; ++s) {
    rs.DirichletWeights(3, s, &w);
    rs.DirichletWeights(3, s, &again);
    ASSERT_EQ(w, again);
    for (const auto& stratum : rs.Strata()) {
      double sum = 0.0;
      for (uint32_t r : stratum) {
        ASSERT_GT(w[r], 0.0f);
        sum += w[r];
        sum_sq += (w[r] - 1.0) * (w[r] - 1.0);
        ++cells;
      }
      ASSERT_NEAR(sum, static_cast<double>(stratum.size()), 1e-3);
    }
  }
  // R * Dirichlet(1, ..., 1) has variance (R - 1) / (R + 1) per rater, 9/11
  // for the three strata of 10 raters here (the multinomial count's is 0.9);
  // the mean over 30,000 cells has sd about 0.01.
  ASSERT_EQ(rs.Strata().size(), 3u);
  EXPECT_NEAR(sum_sq / cells, 9.0 / 11.0, 0.05);
}

TEST(ResampleWeights, SmoothedSchemeAddsPriorBallotsFromThePooledShares) {
  // One meeting; every rater gives evaluee 0 the top grade (3) and evaluee
  // 1 grade 1, so the pooled shares are 1/2 for grades 1 and 3.
  std::vector<BallotRow> rows;
  for (uint32_t r = 0; r < 4; ++r) {
    rows.push_back({0, 0, r, 3});
    rows.push_back({1, 0, r, 1});
  }
  const RatingBallots b = BuildBallots(2, {"member"}, 4, rows, false);
  const auto model = WeightedMean(b);  // points 0, 60, 80, 100
  ResampleOptions o;
  o.bootstrap = 2000;
  o.scheme = ResampleScheme::kRaters;
  const ResampleResult plain = Resample(*model, b, o);
  EXPECT_EQ(plain.lo[0], 100.0);  // every rater resample is all top grades
  EXPECT_EQ(plain.hi[0], 100.0);
  o.scheme = ResampleScheme::kSmoothed;
  const ResampleResult sm = Resample(*model, b, o);
  EXPECT_EQ(sm.full.score[0], 100.0);  // the point estimate is the ballots' own
  // A resample holds the prior rater with probability 1 - (4/5)^4 = 0.59;
  // each of its draws gives evaluee 0 grade 1 (60 points) with probability
  // 1/2, so about 1/3 of the resamples score evaluee 0 below 100, never
  // above, and never below 60.
  int below = 0;
  for (int s = 0; s < o.bootstrap; ++s) {
    const double x = sm.scores[static_cast<size_t>(s) * 2];
    ASSERT_LE(x, 100.0);
    ASSERT_GE(x, 60.0);
    below += x < 100.0;
  }
  EXPECT_NEAR(below / 2000.0, 0.33, 0.05);
  EXPECT_LT(sm.lo[0], 100.0);
  EXPECT_EQ(sm.hi[0], 100.0);
  // Evaluee 1 is pulled up toward the pooled shares the same way.
  EXPECT_GT(sm.hi[1], 60.0);
  EXPECT_EQ(sm.lo[1], 60.0);
}

// A model that checks what every fit sees: the same ballot words as the
// original, weights that are an integer multiple of the original weights
// with one multiple per rater, multiples summing to each group's number of
// raters; and which RatingBallots objects were passed.
class SpyModel : public Model {
 public:
  explicit SpyModel(const RatingBallots& original) : original_(original) {}

  ScoreResult Score(const ModelInput& input) const override {
    const RatingBallots& b = *input.ratings;
    ++calls_;
    {
      std::lock_guard lock(mu_);
      seen_.insert(&b);
    }
    bool ok = b.ballot == original_.ballot && b.slot_begin == original_.slot_begin;
    std::vector<double> mult(b.num_raters, -1.0);
    for (uint64_t i = 0; ok && i < b.NumBallots(); ++i) {
      const double m = b.Weight(i) / original_.Weight(i);
      const uint32_t r = BallotRater(b.ballot[i]);
      if (m != std::floor(m) || m < 0) ok = false;
      if (mult[r] >= 0 && mult[r] != m) ok = false;
      mult[r] = m;
    }
    std::vector<double> per_group(b.NumGroups(), 0.0), raters(b.NumGroups(), 0.0);
    for (uint32_t r = 0; r < b.num_raters; ++r) {
      if (mult[r] < 0) continue;
      per_group[b.rater_group[r]] += mult[r];
      raters[b.rater_group[r]] += 1;
    }
    if (per_group != raters) ok = false;
    if (!ok) ++violations_;
    // The weighted mean grade, so that the fit is real.
    ScoreResult out;
    const int n = b.NumRatees(), G = b.NumGroups();
    out.score = Eigen::VectorXd::Zero(n);
    for (int e = 0; e < n; ++e) {
      double num = 0.0, den = 0.0;
      for (uint64_t i = b.slot_begin[e * G]; i < b.slot_begin[(e + 1) * G]; ++i) {
        num += b.Weight(i) * BallotGrade(b.ballot[i]);
        den += b.Weight(i);
      }
      out.score[e] = den > 0 ? num / den : 0.0;
    }
    return out;
  }
  int Calls() const { return calls_; }
  int Violations() const { return violations_; }
  size_t DistinctBallotObjects() const { return seen_.size(); }

 private:
  const RatingBallots& original_;
  mutable std::atomic<int> calls_{0}, violations_{0};
  mutable std::mutex mu_;
  mutable std::set<const RatingBallots*> seen_;
};

TEST(ResampleWeights, FitsSeeRewrittenWeightsOnOneCopyPerThread) {
  std::vector<BallotRow> rows;
  for (uint32_t r = 0; r < 12; ++r)
    for (int e = 0; e < 6; ++e)
      if ((r + e) % 3 != 0)
        rows.push_back(
            {e, r < 4 ? 0 : 1, r, static_cast<uint8_t>((r * 7 + e) % 4), r % 2 ? 2.0f : 0.5f});
  const RatingBallots b = BuildBallots(6, {"superior", "member"}, 4, rows, true);
  const SpyModel spy(b);
  ResampleOptions o;
  o.scheme = ResampleScheme::kRaters;  // the multinomial rater bootstrap
  o.bootstrap = 64;
  o.threads = 2;
  const ResampleResult r = Resample(spy, b, o);
  EXPECT_EQ(spy.Calls(), 65);  // the full fit and 64 resamples
  EXPECT_EQ(spy.Violations(), 0);
  // The original, and at most one copy per worker thread.
  EXPECT_GE(spy.DistinctBallotObjects(), 2u);
  EXPECT_LE(spy.DistinctBallotObjects(), 3u);
  // The resampled scores are not all the full-data scores (weights changed).
  bool moved = false;
  for (int s = 0; s < 64; ++s)
    for (int e = 0; e < 6; ++e) moved = moved || r.scores[s * 6 + e] != r.full.score[e];
  EXPECT_TRUE(moved);
}

// ---- Jackknife ----------------------------------------------------------------

RatingBallots TwoGroupExample() {
  // Evaluees A = e0, B = e1, C = e2. Two superiors grade (3, 2, 1); five
  // members grade (1, 3, 2). weighted_mean, points (0, 60, 80, 100), equal
  // group weights: full A = (100 + 60) / 2 = 80, B = (80 + 100) / 2 = 90,
  // C = (60 + 80) / 2 = 70, ranks (2, 1, 3). Without the superiors:
  // (60, 100, 80), ranks (3, 1, 2). Without the members: (100, 80, 60),
  // ranks (1, 2, 3).
  std::vector<BallotRow> rows;
  const uint8_t sup[3] = {3, 2, 1}, mem[3] = {1, 3, 2};
  for (int e = 0; e < 3; ++e) {
    for (uint32_t r = 0; r < 2; ++r) rows.push_back({e, 0, r, sup[e]});
    for (uint32_t r = 2; r < 7; ++r) rows.push_back({e, 1, r, mem[e]});
  }
  return BuildBallots(3, {"superior", "member"}, 4, rows, false);
}

TEST(ResampleJackknife, HandExampleLeaveOneGroupOut) {
  const RatingBallots b = TwoGroupExample();
  const auto model = WeightedMean(b);
  ResampleOptions o;
  o.jackknife = true;  // k_top = ceil(0.15 * 3) = 1
  const ResampleResult r = Resample(*model, b, o);
  EXPECT_EQ(r.full.score[0], 80.0);
  EXPECT_EQ(r.full.score[1], 90.0);
  EXPECT_EQ(r.full.score[2], 70.0);
  EXPECT_EQ(r.rank, (std::vector<int>{2, 1, 3}));
  ASSERT_EQ(r.jk_groups, (std::vector<int>{0, 1}));
  EXPECT_EQ(r.jk_group_rank[0], (std::vector<int>{3, 1, 2}));  // without superiors
  EXPECT_EQ(r.jk_group_rank[1], (std::vector<int>{1, 2, 3}));  // without members
  // Removing the group that favours A moves A down.
  EXPECT_GT(r.jk_group_rank[0][0], r.rank[0]);
  EXPECT_EQ(r.jk_rank_lo, (std::vector<int>{1, 1, 2}));
  EXPECT_EQ(r.jk_rank_hi, (std::vector<int>{3, 2, 3}));
  for (int e = 0; e < 3; ++e) {
    EXPECT_LE(r.jk_rank_lo[e], r.rank[e]);
    EXPECT_GE(r.jk_rank_hi[e], r.rank[e]);
  }
  // Top 1: full {B}; without superiors {B} (Jaccard 1); without members {A}
  // (Jaccard 0); mean 0.5.
  EXPECT_EQ(r.jk_group_jaccard, (std::vector<double>{1.0, 0.0}));
  EXPECT_EQ(r.jk_topk_jaccard, 0.5);
  const std::string csv = ResampleScoresCsv(b.ratee_names, r);
  EXPECT_EQ(csv,
            "ratee,score,rank,jk_rank_lo,jk_rank_hi\n"
            "e1,90,1,1,2\n"
            "e0,80,2,1,3\n"
            "e2,70,3,2,3\n");
  const auto lines = ResampleSummaryLines(b, r);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "jackknife.topk_jaccard = 0.5"), lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "jackknife.topk_jaccard.without.member = 0"),
            lines.end());
}

TEST(ResampleJackknife, NeedsTwoGroupsWithBallots) {
  std::vector<BallotRow> rows;
  for (uint32_t r = 0; r < 4; ++r)
    for (int e = 0; e < 3; ++e) rows.push_back({e, 0, r, static_cast<uint8_t>(e)});
  ResampleOptions o;
  o.jackknife = true;
  for (const auto& groups :
       {std::vector<std::string>{"member"}, std::vector<std::string>{"member", "superior"}}) {
    const RatingBallots b = BuildBallots(3, groups, 4, rows, false);
    const auto model = WeightedMean(b);
    try {
      Resample(*model, b, o);
      ADD_FAILURE() << "expected InputError";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("--jackknife needs at least two rater groups"),
                std::string::npos)
          << e.what();
    }
  }
}

// ---- Determinism, format, limits ----------------------------------------------

RatingBallots RandomBallots(int n, int raters, uint64_t seed) {
  Rng rng(seed);
  std::vector<BallotRow> rows;
  for (int e = 0; e < n; ++e)
    for (int r = 0; r < raters; ++r)
      if (rng.Bernoulli(0.8))
        rows.push_back({e, r % 3, static_cast<uint32_t>(r), static_cast<uint8_t>(rng.Below(4))});
  return BuildBallots(n, {"superior", "peer", "member"}, 4, rows, false);
}

std::string Render(const RatingBallots& b, const ResampleResult& r) {
  std::string s = ResampleScoresCsv(b.ratee_names, r);
  for (const auto& line : ResampleSummaryLines(b, r)) s += line + "\n";
  return s;
}

TEST(ResampleDeterminism, SameBytesForOneAndTwoThreadsDifferentForAnotherSeed) {
  const RatingBallots b = RandomBallots(60, 30, 3);
  const auto model = WeightedMean(b);
  ResampleOptions o;
  o.bootstrap = 101;  // odd: the last resample has no partner
  o.jackknife = true;
  o.threads = 1;
  const ResampleResult r1 = Resample(*model, b, o);
  o.threads = 2;
  const ResampleResult r2 = Resample(*model, b, o);
  EXPECT_EQ(r1.jaccard_pairs, 50);
  EXPECT_EQ(Render(b, r1), Render(b, r2));
  EXPECT_EQ(r1.scores, r2.scores);
  EXPECT_EQ(r1.ranks, r2.ranks);
  const ResampleResult again = Resample(*model, b, o);
  EXPECT_EQ(Render(b, r1), Render(b, again));
  o.seed = 2;
  const ResampleResult other = Resample(*model, b, o);
  EXPECT_NE(Render(b, r1), Render(b, other));
  EXPECT_NE(r1.scores, other.scores);
  // The header of the full table.
  const std::string csv = ResampleScoresCsv(b.ratee_names, r1);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "ratee,score,rank,lo,hi,rank_lo,rank_hi,p_top,p_bottom,jk_rank_lo,jk_rank_hi");
}

// Returns fixed scores, ties, a tiebreak and standard errors.
class FixedModel : public Model {
 public:
  ScoreResult Score(const ModelInput&) const override {
    auto vec = [](std::vector<double> v) {
      return Eigen::VectorXd(
          Eigen::Map<Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size())));
    };
    ScoreResult r;
    r.score = vec({1.5, 2.0, 2.0, 0.25, 2.0, 1.5});
    r.tiebreak = vec({0, 1, 0, 0, 1, 0});
    r.se = vec({0.1, 0.2, 0.3, 0.4, 0.5, 0.6});
    return r;
  }
};

TEST(ResampleIntervals, BcaMovesThePercentilesByTheBiasAndAcceleration) {
  // One evaluee, B = 1000 resampled scores 1..1000 (ranks all 1).
  ResampleResult r;
  r.n = 1;
  r.resamples = 1000;
  for (int s = 1; s <= 1000; ++s) {
    r.scores.push_back(s);
    r.ranks.push_back(1);
  }
  r.rank = {1};
  r.full.score = Eigen::VectorXd::Constant(1, 500.5);  // the median: z0 = 0
  r.accel_score = {0.0};
  r.accel_rank = {0.0};
  const BootstrapIntervalSet pct = BootstrapIntervals(r, 0.9, IntervalMethod::kPercentile);
  const BootstrapIntervalSet bca = BootstrapIntervals(r, 0.9, IntervalMethod::kBca);
  // Type-7 quantiles of 1..1000 at 0.05 and 0.95: 1 + 999 p.
  EXPECT_NEAR(pct.lo[0], 50.95, 1e-9);
  EXPECT_NEAR(pct.hi[0], 950.05, 1e-9);
  EXPECT_NEAR(bca.lo[0], pct.lo[0], 1e-6);  // z0 = 0, a = 0: the percentiles
  EXPECT_NEAR(bca.hi[0], pct.hi[0], 1e-6);
  // 841 of the values lie below 841.5: z0 = Phi^-1(0.841) = 0.99858; with
  // a = 0 the levels become Phi(2 z0 -+ 1.64485).
  r.full.score[0] = 841.5;
  r.accel_score = {0.0};
  const BootstrapIntervalSet up = BootstrapIntervals(r, 0.9, IntervalMethod::kBca);
  const double z0 = NormalQuantile(0.841), z = NormalQuantile(0.95);
  EXPECT_NEAR(up.lo[0], 1 + 999 * NormalCdf(2 * z0 - z), 1e-6);
  EXPECT_NEAR(up.hi[0], 1 + 999 * NormalCdf(2 * z0 + z), 1e-6);
  // With acceleration a: Phi(z0 + (z0 + z_p) / (1 - a (z0 + z_p))).
  r.full.score[0] = 500.5;
  r.accel_score = {0.1};
  const BootstrapIntervalSet acc = BootstrapIntervals(r, 0.9, IntervalMethod::kBca);
  const double z0m = NormalQuantile(0.5);
  EXPECT_NEAR(acc.lo[0], 1 + 999 * NormalCdf(z0m + (z0m - z) / (1 - 0.1 * (z0m - z))), 1e-6);
  EXPECT_NEAR(acc.hi[0], 1 + 999 * NormalCdf(z0m + (z0m + z) / (1 - 0.1 * (z0m + z))), 1e-6);
  EXPECT_EQ(acc.rank_lo[0], 1.0);
  EXPECT_EQ(acc.rank_hi[0], 1.0);
}

TEST(ResampleIntervals, BcaFitsTheJackknifeBlocksAndIsDeterministic) {
  const RatingBallots b = RandomBallots(40, 25, 3);
  const auto model = WeightedMean(b);
  ResampleOptions o;
  o.bootstrap = 100;
  o.interval = IntervalMethod::kBca;
  o.threads = 1;
  const ResampleResult r1 = Resample(*model, b, o);
  o.threads = 2;
  const ResampleResult r2 = Resample(*model, b, o);
  EXPECT_EQ(r1.accel_blocks, 20);
  EXPECT_EQ(r1.accel_score, r2.accel_score);
  EXPECT_EQ(Render(b, r1), Render(b, r2));
  bool any = false;
  for (int e = 0; e < r1.n; ++e) {
    EXPECT_LE(r1.lo[e], r1.hi[e]);
    EXPECT_LT(std::abs(r1.accel_score[e]), 0.5);
    any = any || r1.accel_score[e] != 0.0;
  }
  EXPECT_TRUE(any);
}

TEST(ResampleCsv, WithoutResamplingEqualsScoresCsv) {
  std::vector<BallotRow> rows;
  for (int e = 0; e < 6; ++e) rows.push_back({e, 0, 0, 1});
  RatingBallots b = BuildBallots(6, {"member"}, 4, rows, false);
  b.ratee_names[2] = "Smith, J.";  // a field that needs quoting
  const FixedModel fixed;
  const ResampleResult r = Resample(fixed, b, ResampleOptions{});
  EXPECT_EQ(ResampleScoresCsv(b.ratee_names, r), ScoresCsv(b.ratee_names, r.full));
  const auto wm = WeightedMean(b);
  const ResampleResult r2 = Resample(*wm, b, ResampleOptions{});
  EXPECT_EQ(ResampleScoresCsv(b.ratee_names, r2), ScoresCsv(b.ratee_names, r2.full));
  // With a bootstrap the first columns keep the same bytes.
  ResampleOptions o;
  o.bootstrap = 10;
  const ResampleResult r3 = Resample(fixed, b, o);
  const std::string plain = ScoresCsv(b.ratee_names, r3.full),
                    full = ResampleScoresCsv(b.ratee_names, r3);
  std::istringstream a(plain), c(full);
  std::string la, lc;
  while (std::getline(a, la)) {
    ASSERT_TRUE(std::getline(c, lc));
    EXPECT_EQ(lc.substr(0, la.size()), la);
    EXPECT_EQ(lc[la.size()], ',');
  }
}

TEST(ResampleOptionsTest, BadValuesAndStorageLimitAreInputErrors) {
  const RatingBallots b = RandomBallots(1000, 3, 1);
  const auto model = WeightedMean(b);
  auto bad = [&](auto set) {
    ResampleOptions o;
    o.bootstrap = 10;
    set(o);
    EXPECT_THROW(Resample(*model, b, o), InputError);
  };
  bad([](ResampleOptions& o) { o.bootstrap = -1; });
  bad([](ResampleOptions& o) { o.level = 1.0; });
  bad([](ResampleOptions& o) { o.level = 0.0; });
  bad([](ResampleOptions& o) { o.top = 0.0; });
  bad([](ResampleOptions& o) { o.bottom = 1.5; });
  bad([](ResampleOptions& o) { o.threads = -2; });
  // 1000 evaluees x 200,000 resamples x 12 bytes = 2.4e9 bytes > 2 GiB.
  bad([](ResampleOptions& o) { o.bootstrap = 200000; });
}

TEST(ResampleInterrupt, StopsWithInterruptedError) {
  const RatingBallots b = RandomBallots(20, 10, 1);
  const auto model = WeightedMean(b);
  ResampleOptions o;
  o.bootstrap = 50;
  RequestInterrupt(true);
  EXPECT_THROW(Resample(*model, b, o), InterruptedError);
  RequestInterrupt(false);
  EXPECT_NO_THROW(Resample(*model, b, o));
}

// ---- Command line ------------------------------------------------------------

using ::testing_util::Evalsim;
using ::testing_util::Slurp;

std::string Data(const std::string& name) {
  return std::string(EVALSIM_SOURCE_DIR) + "/tests/data/" + name;
}

TEST(ResampleCli, ScoreWithBootstrapAndJackknife) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("evalsim_resample_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string base = "score --model weighted_mean --ballots " + Data("ratings_small.csv") +
                           " --bootstrap 200 --jackknife";
  const ::testing_util::CliResult r1 =
      Evalsim(base + " --threads 1 --out " + (dir / "a.csv").string());
  ASSERT_EQ(r1.code, 0) << r1.out;
  const ::testing_util::CliResult r2 =
      Evalsim(base + " --threads 2 --out " + (dir / "b.csv").string());
  ASSERT_EQ(r2.code, 0) << r2.out;
  const std::string a = Slurp(dir / "a.csv");
  EXPECT_EQ(a, Slurp(dir / "b.csv"));
  EXPECT_EQ(a.substr(0, a.find('\n')),
            "ratee,score,rank,lo,hi,rank_lo,rank_hi,p_top,p_bottom,jk_rank_lo,jk_rank_hi");
  EXPECT_EQ(std::count(a.begin(), a.end(), '\n'), 3);  // header and two evaluees
  EXPECT_NE(r1.out.find("evalsim: weighted_mean: bootstrap.topk_jaccard = "), std::string::npos)
      << r1.out;
  EXPECT_NE(r1.out.find("evalsim: weighted_mean: jackknife.topk_jaccard = "), std::string::npos)
      << r1.out;
  // To stdout as well.
  const ::testing_util::CliResult r3 = Evalsim(base);
  ASSERT_EQ(r3.code, 0) << r3.out;
  EXPECT_NE(r3.out.find("ratee,score,rank,lo,hi,"), std::string::npos) << r3.out;
  std::filesystem::remove_all(dir);
}

TEST(ResampleCli, BadRequestsExitTwo) {
  const ::testing_util::CliResult pw =
      Evalsim("score --model bradley_terry --format pairwise --ballots " +
              Data("pairwise_small.csv") + " --bootstrap 10");
  EXPECT_EQ(pw.code, 2) << pw.out;
  EXPECT_NE(pw.out.find("needs --format ratings"), std::string::npos) << pw.out;
  const std::string ratings = " --model weighted_mean --ballots " + Data("ratings_small.csv");
  for (const std::string& flags : {std::string(" --bootstrap 0"), std::string(" --bootstrap -3"),
                                   std::string(" --bootstrap 10 --level 1.5"),
                                   std::string(" --seed 3"), std::string(" --top 0.2")}) {
    const ::testing_util::CliResult r = Evalsim("score" + ratings + flags);
    EXPECT_EQ(r.code, 2) << flags << ": " << r.out;
  }
}

}  // namespace
}  // namespace evalsim
