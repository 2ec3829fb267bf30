#include "sim/core/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "sim/core/rng.h"

namespace evalsim {
namespace {

Eigen::VectorXd Vec(std::initializer_list<double> v) {
  Eigen::VectorXd out(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double x : v) out[i++] = x;
  return out;
}

void ExpectVecNear(const Eigen::VectorXd& got, const Eigen::VectorXd& want, double tol = 1e-12) {
  ASSERT_EQ(got.size(), want.size());
  for (Eigen::Index i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

int Sign(double v) { return (v > 0) - (v < 0); }

// Tau-b by its definition: every pair once.
double BruteTauB(const Eigen::VectorXd& x, const Eigen::VectorXd& y) {
  const Eigen::Index n = x.size();
  int64_t s = 0, pairs = 0, x_ties = 0, y_ties = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = i + 1; j < n; ++j) {
      ++pairs;
      x_ties += x[i] == x[j];
      y_ties += y[i] == y[j];
      s += Sign(x[i] - x[j]) * Sign(y[i] - y[j]);
    }
  }
  if (pairs == x_ties || pairs == y_ties) return 0.0;
  return static_cast<double>(s) /
         std::sqrt(static_cast<double>(pairs - x_ties) * static_cast<double>(pairs - y_ties));
}

// ---------------------------------------------------------------- Kendall

TEST(KendallTauBTest, MatchesBruteForceWithManyTies) {
  int checked = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    Rng rng(DeriveSeed(seed, {42}));
    const int n = static_cast<int>(rng.Between(2, 80));
    // Small ranges make ties in x, in y and in both at once common.
    const int64_t rx = rng.Between(1, 5), ry = rng.Between(1, 5);
    Eigen::VectorXd x(n), y(n);
    for (int i = 0; i < n; ++i) {
      x[i] = static_cast<double>(rng.Between(0, rx));
      // Half of the cases correlate y with x, so that tau is far from 0 too.
      y[i] = seed % 2 ? static_cast<double>(rng.Between(0, ry))
                      : x[i] + static_cast<double>(rng.Between(0, ry));
    }
    ASSERT_NEAR(KendallTauB(x, y), BruteTauB(x, y), 1e-12) << "seed " << seed;
    ASSERT_NEAR(KendallTauB(y, x), BruteTauB(x, y), 1e-12) << "seed " << seed;
    ++checked;
  }
  EXPECT_EQ(checked, 300);
}

TEST(KendallTauBTest, MatchesBruteForceOnLargerInput) {
  Rng rng(7);
  const int n = 2000;
  Eigen::VectorXd x(n), y(n);
  for (int i = 0; i < n; ++i) {
    x[i] = std::round(3.0 * rng.Normal());
    y[i] = std::round(x[i] + 2.0 * rng.Normal());
  }
  EXPECT_NEAR(KendallTauB(x, y), BruteTauB(x, y), 1e-12);
}

TEST(KendallTauBTest, ScipyValues) {
  // scipy.stats.kendalltau (tau-b), scipy 1.10.1.
  // x = [1,2,2,3,4,4,4,5], y = [2,1,3,3,5,4,4,6] -> 0.8406728074767076
  EXPECT_NEAR(KendallTauB(Vec({1, 2, 2, 3, 4, 4, 4, 5}), Vec({2, 1, 3, 3, 5, 4, 4, 6})),
              0.8406728074767076, 1e-12);
  // x = [0,0,1,1,2,2,3,3,3,0], y = [1,0,1,1,0,2,2,3,2,3] -> 0.35135135135135137
  EXPECT_NEAR(KendallTauB(Vec({0, 0, 1, 1, 2, 2, 3, 3, 3, 0}), Vec({1, 0, 1, 1, 0, 2, 2, 3, 2, 3})),
              0.35135135135135137, 1e-12);
  // x = [1,2,3,4,5], y = [3,1,2,5,4] -> 0.39999999999999997 (no ties: (7 - 3) / 10)
  EXPECT_NEAR(KendallTauB(Vec({1, 2, 3, 4, 5}), Vec({3, 1, 2, 5, 4})), 0.4, 1e-12);
}

TEST(KendallTauBTest, AgreementReversalAndConstant) {
  const Eigen::VectorXd x = Vec({1, 2, 2, 3, 5});
  EXPECT_DOUBLE_EQ(KendallTauB(x, x), 1.0);
  EXPECT_DOUBLE_EQ(KendallTauB(x, -x), -1.0);
  // A monotone transform keeps the order.
  EXPECT_DOUBLE_EQ(KendallTauB(x, x.array().exp().matrix()), 1.0);
  EXPECT_EQ(KendallTauB(x, Vec({4, 4, 4, 4, 4})), 0.0);
  EXPECT_EQ(KendallTauB(Vec({4, 4, 4, 4, 4}), x), 0.0);
  EXPECT_EQ(KendallTauB(Vec({1}), Vec({2})), 0.0);
  EXPECT_EQ(KendallTauB(Eigen::VectorXd(), Eigen::VectorXd()), 0.0);
}

TEST(KendallTauBTest, PairCountsBeyond32Bits) {
  // n = 100000 gives n0 = 4,999,950,000 pairs, more than 2^32.
  const int n = 100000;
  Eigen::VectorXd x(n), y(n);
  for (int i = 0; i < n; ++i) {
    x[i] = i / 2;  // ties in pairs: n1 = n / 2 tied pairs
    y[i] = i;
  }
  // Every untied pair is concordant: tau = (n0 - n1) / sqrt((n0 - n1) * n0).
  const double n0 = 0.5 * n * (n - 1.0), n1 = n / 2;
  EXPECT_NEAR(KendallTauB(x, y), std::sqrt((n0 - n1) / n0), 1e-12);
  EXPECT_NEAR(KendallTauB(x, -y), -std::sqrt((n0 - n1) / n0), 1e-12);
}

// ---------------------------------------------------------------- Spearman

TEST(SpearmanTest, ScipyValues) {
  // scipy.stats.spearmanr, scipy 1.10.1, same inputs as the Kendall values.
  EXPECT_NEAR(Spearman(Vec({1, 2, 2, 3, 4, 4, 4, 5}), Vec({2, 1, 3, 3, 5, 4, 4, 6})),
              0.9256265453136692, 1e-12);
  EXPECT_NEAR(Spearman(Vec({0, 0, 1, 1, 2, 2, 3, 3, 3, 0}), Vec({1, 0, 1, 1, 0, 2, 2, 3, 2, 3})),
              0.3903225806451613, 1e-12);
  // No ties: 1 - 6 * sum d^2 / (n (n^2 - 1)) = 1 - 6 * 8 / 120 = 0.6.
  EXPECT_NEAR(Spearman(Vec({1, 2, 3, 4, 5}), Vec({3, 1, 2, 5, 4})), 0.6, 1e-12);
}

TEST(SpearmanTest, ConstantIsZeroAndReversalIsMinusOne) {
  EXPECT_EQ(Spearman(Vec({1, 2, 3}), Vec({5, 5, 5})), 0.0);
  EXPECT_NEAR(Spearman(Vec({1, 2, 2, 7}), Vec({9, 3, 3, 1})), -1.0, 1e-15);
}

TEST(AverageRanksTest, TiesShareTheMeanPosition) {
  // 10 -> 1; the two 20s hold positions 2 and 3 -> 2.5; 30 -> 4.
  ExpectVecNear(AverageRanks(Vec({20, 10, 30, 20})), Vec({2.5, 1, 4, 2.5}));
  ExpectVecNear(AverageRanks(Vec({5, 5, 5})), Vec({2, 2, 2}));
}

// ---------------------------------------------------------------- ranks

TEST(CompetitionRanksTest, TiesShareTheSmallerRank) {
  EXPECT_EQ(CompetitionRanks(Vec({3, 1, 3, 2}), Eigen::VectorXd()), (std::vector<int>{1, 4, 1, 3}));
  EXPECT_EQ(CompetitionRanks(Vec({2, 2, 2}), Eigen::VectorXd()), (std::vector<int>{1, 1, 1}));
  EXPECT_TRUE(CompetitionRanks(Eigen::VectorXd(), Eigen::VectorXd()).empty());
}

TEST(CompetitionRanksTest, TiebreakSplitsEqualKeys) {
  // Keys 3, 1, 3, 2; the tiebreak puts element 2 ahead of element 0.
  EXPECT_EQ(CompetitionRanks(Vec({3, 1, 3, 2}), Vec({0, 0, 1, 0})), (std::vector<int>{2, 4, 1, 3}));
  // Equal key and equal tiebreak still share a rank.
  EXPECT_EQ(CompetitionRanks(Vec({3, 3, 3, 1}), Vec({1, 0, 1, 5})), (std::vector<int>{1, 3, 1, 4}));
}

TEST(OrderKeyTest, OrdersLikeKeyThenTiebreak) {
  ExpectVecNear(OrderKey(Vec({3, 1, 3}), Eigen::VectorXd()), Vec({3, 1, 3}));
  ExpectVecNear(OrderKey(Vec({3, 1, 3, 2}), Vec({0, 0, 1, 0})), Vec({-2, -4, -1, -3}));
}

// ---------------------------------------------------------------- top-k

TEST(TopKMembershipTest, BoundaryTieSharesTheRemainingSlots) {
  // k = 2: 5 is in; the three 4s share the one slot left: 1/3 each.
  const Eigen::VectorXd m = TopKMembership(Vec({5, 4, 4, 4, 1}), 2);
  ExpectVecNear(m, Vec({1, 1.0 / 3, 1.0 / 3, 1.0 / 3, 0}));
  EXPECT_NEAR(m.sum(), 2.0, 1e-12);
  // k = 4: 5 and all three 4s fit exactly.
  ExpectVecNear(TopKMembership(Vec({5, 4, 4, 4, 1}), 4), Vec({1, 1, 1, 1, 0}));
}

TEST(TopKMembershipTest, KIsClamped) {
  ExpectVecNear(TopKMembership(Vec({1, 2, 3}), 0), Vec({0, 0, 0}));
  ExpectVecNear(TopKMembership(Vec({1, 2, 3}), -4), Vec({0, 0, 0}));
  ExpectVecNear(TopKMembership(Vec({1, 2, 3}), 9), Vec({1, 1, 1}));
  EXPECT_EQ(TopKMembership(Eigen::VectorXd(), 3).size(), 0);
}

TEST(TopKMembershipTest, BottomUsesTheLowestKeys) {
  // k = 2: 1 is in; the three 4s share the last slot.
  ExpectVecNear(BottomKMembership(Vec({5, 4, 4, 4, 1}), 2), Vec({0, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1}));
}

TEST(TopKMembershipTest, SumsToKAndIsIdempotent) {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    Rng rng(DeriveSeed(seed, {7}));
    const int n = static_cast<int>(rng.Between(1, 40));
    const int k = static_cast<int>(rng.Between(0, n));
    Eigen::VectorXd key(n);
    for (int i = 0; i < n; ++i) key[i] = static_cast<double>(rng.Between(0, 4));
    const Eigen::VectorXd m = TopKMembership(key, k);
    ASSERT_NEAR(m.sum(), k, 1e-9) << "seed " << seed;
    ASSERT_GE(m.minCoeff(), 0.0);
    ASSERT_LE(m.maxCoeff(), 1.0);
    // A membership vector read as a key gives itself back, so TopKPrecision
    // accepts keys or memberships alike.
    ExpectVecNear(TopKMembership(m, k), m);
  }
}

TEST(TopKPrecisionTest, HandCases) {
  // Model top 2 = {0, 1}; truth top 2 = {1, 2}: one shared -> 1/2.
  EXPECT_DOUBLE_EQ(TopKPrecision(Vec({10, 9, 8, 7, 6}), Vec({1, 5, 4, 2, 3}), 2), 0.5);
  EXPECT_DOUBLE_EQ(TopKPrecision(Vec({10, 9, 8, 7, 6}), Vec({5, 4, 1, 3, 2}), 2), 1.0);
  // Model memberships [1, .5, .5, 0], truth [1, 1, 0, 0]: min sum 1.5 over k = 2.
  EXPECT_DOUBLE_EQ(TopKPrecision(Vec({3, 2, 2, 1}), Vec({4, 3, 2, 1}), 2), 0.75);
}

TEST(WeightedJaccardTest, HandCases) {
  // min sum 1 + .5 + 0 + 0 = 1.5; max sum 1 + 1 + .5 + 0 = 2.5.
  EXPECT_DOUBLE_EQ(WeightedJaccard(Vec({1, .5, .5, 0}), Vec({1, 1, 0, 0})), 0.6);
  EXPECT_DOUBLE_EQ(WeightedJaccard(Vec({1, 0}), Vec({0, 1})), 0.0);
  EXPECT_DOUBLE_EQ(WeightedJaccard(Vec({0, 0}), Vec({0, 0})), 1.0);
  EXPECT_DOUBLE_EQ(WeightedJaccard(Vec({1, 1, 0}), Vec({1, 1, 0})), 1.0);
}

TEST(QuotaCountTest, CeilingWithEdges) {
  EXPECT_EQ(QuotaCount(0.15, 1031), 155);  // 154.65 -> 155
  EXPECT_EQ(QuotaCount(0.15, 20), 3);      // 3 exactly
  EXPECT_EQ(QuotaCount(0.07, 100), 7);     // 7.000000000000001 in doubles, meant as 7
  EXPECT_EQ(QuotaCount(0.2, 5), 1);
  EXPECT_EQ(QuotaCount(0.5, 3), 2);    // 1.5 -> 2
  EXPECT_EQ(QuotaCount(0.01, 10), 1);  // 0.1 -> 1: at least one
  EXPECT_EQ(QuotaCount(1.0, 7), 7);
  EXPECT_EQ(QuotaCount(3.0, 7), 7);  // at most n
  EXPECT_EQ(QuotaCount(0.0, 10), 0);
  EXPECT_EQ(QuotaCount(-0.1, 10), 0);
  EXPECT_EQ(QuotaCount(0.5, 0), 0);
}

// ---------------------------------------------------------------- summaries

TEST(MeanIntervalTest, HandComputed) {
  // mean 2.5; sd = sqrt((2.25 + .25 + .25 + 2.25) / 3) = sqrt(5/3);
  // half width = 1.96 * sqrt(5/3) / sqrt(4).
  const std::vector<double> v = {1, 2, 3, 4};
  const Interval i = MeanInterval(v);
  const double half = 1.96 * std::sqrt(5.0 / 3.0) / 2.0;
  EXPECT_DOUBLE_EQ(i.value, 2.5);
  EXPECT_NEAR(i.lo, 2.5 - half, 1e-12);
  EXPECT_NEAR(i.hi, 2.5 + half, 1e-12);
  // 1.96 * 1.2909944 / 2 = 1.2651746: the interval is [1.2348254, 3.7651746].
  EXPECT_NEAR(i.lo, 1.2348254, 1e-7);
  EXPECT_NEAR(i.hi, 3.7651746, 1e-7);

  const std::vector<double> one = {7};
  const Interval j = MeanInterval(one);
  EXPECT_EQ(j.value, 7.0);
  EXPECT_EQ(j.lo, 7.0);
  EXPECT_EQ(j.hi, 7.0);

  EXPECT_TRUE(std::isnan(MeanInterval(std::span<const double>()).value));
}

TEST(QuantileTest, Type7MatchesR) {
  // R: quantile(c(1, 2, 3, 4), p): h = 3p, x[floor h] + frac(h) * step.
  EXPECT_NEAR(Quantile({1, 2, 3, 4}, 0.05), 1.15, 1e-12);
  EXPECT_NEAR(Quantile({4, 1, 3, 2}, 0.05), 1.15, 1e-12);  // unsorted input
  EXPECT_NEAR(Quantile({1, 2, 3, 4}, 0.95), 3.85, 1e-12);
  EXPECT_NEAR(Quantile({1, 2, 3, 4}, 0.5), 2.5, 1e-12);
  EXPECT_EQ(Quantile({1, 2, 3, 4}, 0.0), 1.0);
  EXPECT_EQ(Quantile({1, 2, 3, 4}, 1.0), 4.0);
  // R: quantile(c(10, 0, 5), 0.25) = 2.5 (h = 0.5 between 0 and 5).
  EXPECT_NEAR(Quantile({10, 0, 5}, 0.25), 2.5, 1e-12);
  EXPECT_EQ(Quantile({7}, 0.3), 7.0);
  EXPECT_TRUE(std::isnan(Quantile({}, 0.5)));
}

TEST(RankIntervalWidthTest, SmallHandMatrix) {
  // 4 evaluees x 5 replicates.
  Eigen::MatrixXd r(4, 5);
  r << 1, 1, 1, 1, 1,  // width 0
      2, 3, 2, 3, 2,   // sorted 2 2 2 3 3: q05 = 2 (h = .2), q95 = 3 (h = 3.8) -> 1
      1, 3, 3, 2, 3,   // sorted 1 2 3 3 3: q05 = 1.2, q95 = 3 -> 1.8
      3, 3, 3, 3, 3;   // width 0
  // Divided by n = 4: 0, .25, .45, 0; median of 0 0 .25 .45 = .125.
  EXPECT_NEAR(RankIntervalWidth(r), 0.125, 1e-12);
  EXPECT_TRUE(std::isnan(RankIntervalWidth(Eigen::MatrixXd(0, 3))));
}

}  // namespace
}  // namespace evalsim

namespace evalsim {
namespace {

TEST(Spearman, AgainstPrecomputedRanksEqualsSpearman) {
  Rng rng(77);
  for (int t = 0; t < 50; ++t) {
    const int n = 2 + static_cast<int>(rng.Below(40));
    Eigen::VectorXd x(n), y(n), tb(n);
    for (int i = 0; i < n; ++i) {
      x[i] = static_cast<double>(rng.Below(6));  // many ties
      y[i] = static_cast<double>(rng.Below(5));
      tb[i] = static_cast<double>(rng.Below(3));
    }
    EXPECT_EQ(SpearmanAgainstRanks(x, AverageRanks(y)), Spearman(x, y));
    EXPECT_EQ(OrderKey(x, tb, CompetitionRanks(x, tb)), OrderKey(x, tb));
  }
}

}  // namespace
}  // namespace evalsim

// ------------------------------------------ one sort per model (KeyOrder)
//
// The KeyOrder forms replace several sorts per model with one. They must
// give the very same doubles as the definitions they replace, so these
// tests compare bit for bit (EXPECT_EQ on doubles) against slow reference
// implementations written from the definitions: a stable comparison sort
// for ranks, and Knight's (1966) algorithm with a sort and a merge sort over
// doubles for tau-b.

namespace evalsim {
namespace {

bool RefLess(double a, double b) {
  if (std::isnan(a)) return !std::isnan(b);
  if (std::isnan(b)) return false;
  return a < b;
}
bool RefSame(double a, double b) { return !RefLess(a, b) && !RefLess(b, a); }

std::vector<int> RefCompetitionRanks(const Eigen::VectorXd& key, const Eigen::VectorXd& tb) {
  const int n = static_cast<int>(key.size());
  auto better = [&](int a, int b) {
    if (RefLess(key[b], key[a])) return true;
    if (RefLess(key[a], key[b])) return false;
    return tb.size() > 0 && RefLess(tb[b], tb[a]);
  };
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), better);
  std::vector<int> rank(n);
  for (int i = 0; i < n; ++i)
    rank[order[i]] = i > 0 && !better(order[i - 1], order[i]) ? rank[order[i - 1]] : i + 1;
  return rank;
}

Eigen::VectorXd RefAverageRanks(const Eigen::VectorXd& x) {
  const int n = static_cast<int>(x.size());
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return RefLess(x[a], x[b]); });
  Eigen::VectorXd r(n);
  for (int i = 0; i < n;) {
    int j = i + 1;
    while (j < n && RefSame(x[order[j]], x[order[i]])) ++j;
    for (int m = i; m < j; ++m) r[order[m]] = 0.5 * (i + 1 + j);
    i = j;
  }
  return r;
}

int64_t RefPairs(int64_t t) { return t * (t - 1) / 2; }

double RefKendall(const Eigen::VectorXd& x, const Eigen::VectorXd& y) {
  const int n = static_cast<int>(x.size());
  if (n < 2) return 0.0;
  std::vector<int> idx(n);
  for (int i = 0; i < n; ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](int a, int b) {
    if (RefLess(x[a], x[b])) return true;
    if (RefLess(x[b], x[a])) return false;
    if (RefLess(y[a], y[b])) return true;
    if (RefLess(y[b], y[a])) return false;
    return a < b;
  });
  auto tied = [&](const Eigen::VectorXd& v, bool both) {
    int64_t sum = 0, run = 1;
    for (int i = 1; i < n; ++i) {
      const bool same =
          RefSame(v[idx[i]], v[idx[i - 1]]) && (!both || RefSame(y[idx[i]], y[idx[i - 1]]));
      if (same) {
        ++run;
      } else {
        sum += RefPairs(run);
        run = 1;
      }
    }
    return sum + RefPairs(run);
  };
  const int64_t n0 = RefPairs(n), n1 = tied(x, false), n3 = tied(x, true);
  // Bottom-up merge sort by y counting the swaps.
  std::vector<int> buf(n);
  int64_t swaps = 0;
  for (int width = 1; width < n; width *= 2) {
    for (int lo = 0; lo < n; lo += 2 * width) {
      const int mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
      int i = lo, j = mid, out = lo;
      while (i < mid && j < hi) {
        if (RefLess(y[idx[j]], y[idx[i]])) {
          swaps += mid - i;
          buf[out++] = idx[j++];
        } else {
          buf[out++] = idx[i++];
        }
      }
      while (i < mid) buf[out++] = idx[i++];
      while (j < hi) buf[out++] = idx[j++];
    }
    idx.swap(buf);
  }
  const int64_t n2 = tied(y, false);
  if (n0 == n1 || n0 == n2) return 0.0;
  const int64_t num = n0 - n1 - n2 + n3 - 2 * swaps;
  const double den =
      std::sqrt(static_cast<double>(n0 - n1)) * std::sqrt(static_cast<double>(n0 - n2));
  return std::clamp(static_cast<double>(num) / den, -1.0, 1.0);
}

void ExpectBitEqual(const Eigen::VectorXd& got, const Eigen::VectorXd& want, uint64_t seed) {
  ASSERT_EQ(got.size(), want.size());
  for (Eigen::Index i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      ASSERT_TRUE(std::isnan(got[i])) << "seed " << seed << " at " << i;
    } else {
      ASSERT_EQ(got[i], want[i]) << "seed " << seed << " at " << i;
    }
  }
}

// Random keys with ties, NaN, -0 and +0, sizes on both sides of the switch
// from a comparison sort to the radix sort.
struct Case {
  Eigen::VectorXd key, tiebreak, truth;
  int k = 0;
};
Case MakeCase(uint64_t seed) {
  Rng rng(DeriveSeed(seed, {91}));
  const int n = seed % 3 == 0 ? static_cast<int>(rng.Between(500, 3000))
                              : static_cast<int>(rng.Between(0, 60));
  Case c;
  c.key.resize(n);
  c.truth.resize(n);
  const bool with_tiebreak = seed % 2 == 0;
  if (with_tiebreak) c.tiebreak.resize(n);
  const int64_t levels = rng.Between(1, 8);
  for (int i = 0; i < n; ++i) {
    const double u = rng.Uniform();
    if (u < 0.05) {
      c.key[i] = std::numeric_limits<double>::quiet_NaN();
    } else if (u < 0.1) {
      c.key[i] = rng.Uniform() < 0.5 ? -0.0 : 0.0;
    } else if (seed % 5 == 0) {
      c.key[i] = rng.Normal() * 50;  // continuous, negative values too
    } else {
      c.key[i] = static_cast<double>(rng.Between(-levels, levels));
    }
    if (with_tiebreak) c.tiebreak[i] = static_cast<double>(rng.Between(0, 2));
    c.truth[i] = seed % 4 == 1 ? static_cast<double>(rng.Between(0, 3)) : rng.Normal();
  }
  c.k = n > 0 ? static_cast<int>(rng.Between(0, n + 2)) : 0;
  return c;
}

TEST(KeyOrderTest, EveryMetricEqualsItsDefinitionBitForBit) {
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    const Case c = MakeCase(seed);
    const Eigen::VectorXd key = OrderKey(c.key, c.tiebreak, RefCompetitionRanks(c.key, c.tiebreak));
    const KeyOrder o = SortKey(c.key, c.tiebreak);
    ASSERT_EQ(CompetitionRanks(o), RefCompetitionRanks(c.key, c.tiebreak)) << "seed " << seed;
    ASSERT_EQ(CompetitionRanks(c.key, c.tiebreak), RefCompetitionRanks(c.key, c.tiebreak));
    ExpectBitEqual(AverageRanks(o), RefAverageRanks(key), seed);
    ExpectBitEqual(AverageRanks(c.key), RefAverageRanks(c.key), seed);
    const Eigen::VectorXd truth_ranks = RefAverageRanks(c.truth);
    if (c.key.size() >= 2) {
      const double want = SpearmanAgainstRanks(key, truth_ranks);
      ASSERT_EQ(SpearmanAgainstRanks(o, truth_ranks), want) << "seed " << seed;
    }
    ASSERT_EQ(KendallTauB(o, MakeTauReference(c.truth)), RefKendall(key, c.truth))
        << "seed " << seed;
    ASSERT_EQ(KendallTauB(c.key, c.truth), RefKendall(c.key, c.truth)) << "seed " << seed;
    ASSERT_EQ(KendallTauB(c.truth, c.key), RefKendall(c.truth, c.key)) << "seed " << seed;
    const Eigen::VectorXd top = TopKMembership(o, c.k), bottom = BottomKMembership(o, c.k);
    ExpectBitEqual(top, TopKMembership(key, c.k), seed);
    ExpectBitEqual(bottom, BottomKMembership(key, c.k), seed);
    const Eigen::VectorXd true_top = TopKMembership(c.truth, c.k);
    const double overlap = MembershipOverlap(top, true_top, c.k);
    const double precision = TopKPrecision(top, true_top, c.k);
    if (std::isnan(precision)) {
      ASSERT_TRUE(std::isnan(overlap));
    } else {
      ASSERT_EQ(overlap, precision) << "seed " << seed;
    }
  }
}

TEST(KeyOrderTest, OrderIsBestFirstWithGroups) {
  // Keys 3, NaN, 3, 5, 1: best first 5 | 3 3 | 1 | NaN.
  const Eigen::VectorXd key = Vec({3, std::numeric_limits<double>::quiet_NaN(), 3, 5, 1});
  const KeyOrder o = SortKey(key, Eigen::VectorXd());
  EXPECT_EQ(o.order, (std::vector<int>{3, 0, 2, 4, 1}));
  EXPECT_EQ(o.group_start, (std::vector<int>{0, 1, 3, 4, 5}));
  EXPECT_TRUE(o.last_group_nan);
  // The bottom 1 is the lowest number (1), not the NaN, as with -key.
  ExpectVecNear(BottomKMembership(o, 1), Vec({0, 0, 0, 0, 1}));
  // -0 and +0 tie.
  const KeyOrder z = SortKey(Vec({-0.0, 0.0, 1}), Eigen::VectorXd());
  EXPECT_EQ(z.group_start, (std::vector<int>{0, 1, 3}));
  EXPECT_EQ(SortKey(Eigen::VectorXd(), Eigen::VectorXd()).groups(), 0);
}

TEST(KeyOrderTest, KendallIsPermutationInvariantAtRadixSizes) {
  Rng rng(5);
  const int n = 5000;
  Eigen::VectorXd x(n), y(n), px(n), py(n);
  for (int i = 0; i < n; ++i) {
    y[i] = rng.Normal();
    x[i] = std::round(4 * (y[i] + rng.Normal()));  // many ties in x
  }
  std::vector<int> perm(n);
  for (int i = 0; i < n; ++i) perm[i] = i;
  for (int i = n - 1; i > 0; --i) std::swap(perm[i], perm[rng.Below(i + 1)]);
  for (int i = 0; i < n; ++i) {
    px[i] = x[perm[i]];
    py[i] = y[perm[i]];
  }
  const double tau = KendallTauB(SortKey(x, Eigen::VectorXd()), MakeTauReference(y));
  EXPECT_EQ(KendallTauB(SortKey(px, Eigen::VectorXd()), MakeTauReference(py)), tau);
  EXPECT_EQ(tau, RefKendall(x, y));
  EXPECT_GT(tau, 0.3);
}

TEST(SortedQuantileTest, EqualsQuantile) {
  Rng rng(11);
  for (int t = 0; t < 200; ++t) {
    const int m = 1 + static_cast<int>(rng.Below(30));
    std::vector<double> v(m);
    for (double& x : v) x = static_cast<double>(rng.Between(1, 50));
    std::vector<double> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    for (double p : {0.0, 0.05, 0.5, 0.95, 1.0})
      ASSERT_EQ(SortedQuantile(sorted, p), Quantile(v, p));
  }
  EXPECT_TRUE(std::isnan(SortedQuantile({}, 0.5)));
}

TEST(NoiseTiersTest, BestAndWithinNoiseOfTheBest) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Best 0.90 [0.88, 0.92]; 0.89 reaches 0.88 (close); 0.85 [0.84, 0.86]
  // does not; a tie for best; no value; a value without an interval.
  const std::vector<double> value = {0.89, 0.90, 0.85, nan, 0.80};
  const std::vector<double> lo = {0.87, 0.88, 0.84, nan, nan};
  const std::vector<double> hi = {0.91, 0.92, 0.86, nan, nan};
  EXPECT_EQ(NoiseTiers(value, lo, hi),
            (std::vector<NoiseTier>{NoiseTier::kClose, NoiseTier::kBest, NoiseTier::kNone,
                                    NoiseTier::kNone, NoiseTier::kNone}));
  const std::vector<double> tied = {0.9, 0.9};
  EXPECT_EQ(NoiseTiers(tied, tied, tied),
            (std::vector<NoiseTier>{NoiseTier::kBest, NoiseTier::kBest}));
  const std::vector<double> none = {nan};
  EXPECT_EQ(NoiseTiers(none, none, none), (std::vector<NoiseTier>{NoiseTier::kNone}));
}

}  // namespace
}  // namespace evalsim
