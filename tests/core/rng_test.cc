#include "sim/core/rng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <vector>

namespace evalsim {
namespace {

// ---------------------------------------------------------------------------
// Independent implementations, written from the published algorithms
// (Vigna, prng.di.unimi.it: splitmix64.c and xoshiro256starstar.c), to check
// that Rng really is xoshiro256** seeded through SplitMix64.

struct RefSplitMix64 {
  uint64_t x;
  uint64_t Next() {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

struct RefXoshiro256StarStar {
  uint64_t s[4];
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t Next() {
    const uint64_t result = Rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = Rotl(s[3], 45);
    return result;
  }
};

TEST(RngReference, SplitMix64MatchesPublishedOutputs) {
  // The widely used check sequence of splitmix64.c seeded with 1234567.
  RefSplitMix64 sm{1234567};
  EXPECT_EQ(sm.Next(), 6457827717110365317ULL);
  EXPECT_EQ(sm.Next(), 3203168211198807973ULL);
  EXPECT_EQ(sm.Next(), 9817491932198370423ULL);
  EXPECT_EQ(sm.Next(), 4593380528125082431ULL);
  EXPECT_EQ(sm.Next(), 16408922859458223821ULL);
}

TEST(RngReference, Xoshiro256StarStarMatchesPublishedOutputs) {
  // State {1, 2, 3, 4}: the reference sequence of xoshiro256starstar.c.
  // First output by hand: rotl(2 * 5, 7) * 9 = 1280 * 9 = 11520.
  RefXoshiro256StarStar x{{1, 2, 3, 4}};
  const uint64_t expected[] = {11520ULL,
                               0ULL,
                               1509978240ULL,
                               1215971899390074240ULL,
                               1216172134540287360ULL,
                               607988272756665600ULL,
                               16172922978634559625ULL,
                               8476171486693032832ULL,
                               10595114339597558777ULL,
                               2904607092377533576ULL};
  for (uint64_t e : expected) EXPECT_EQ(x.Next(), e);
}

TEST(Rng, Mix64IsTheSplitMix64Output) {
  // Mix64(z) is one SplitMix64 step from state z; from 0 that is the
  // well-known first output 0xe220a8397b1dcdaf.
  EXPECT_EQ(Mix64(0), 0xe220a8397b1dcdafULL);
  for (uint64_t z : {0ULL, 1ULL, 42ULL, 0xdeadbeefULL, ~0ULL}) {
    RefSplitMix64 sm{z};
    EXPECT_EQ(Mix64(z), sm.Next()) << z;
  }
}

TEST(Rng, IsXoshiro256StarStarSeededBySplitMix64) {
  // Rng's constructor adds the SplitMix64 increment before calling Mix64,
  // which adds it again: its four state words are the outputs of a
  // SplitMix64 generator whose counter starts at seed + increment.
  for (uint64_t seed : {0ULL, 1ULL, 42ULL, 20240601ULL, ~0ULL}) {
    RefSplitMix64 sm{seed + 0x9e3779b97f4a7c15ULL};
    RefXoshiro256StarStar ref{{sm.Next(), sm.Next(), sm.Next(), sm.Next()}};
    Rng rng(seed);
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(rng.Next(), ref.Next()) << "seed " << seed;
  }
}

// ---------------------------------------------------------------------------
// Golden values: any change to the generator, its seeding or the stream
// derivation changes every simulation result, so it must show up here.

TEST(Rng, GoldenNextOutputs) {
  Rng rng(42);
  EXPECT_EQ(rng.Next(), 0xbe15272cdf80b6c2ULL);
  EXPECT_EQ(rng.Next(), 0xaf6e2ee49ff5d0e3ULL);
  EXPECT_EQ(rng.Next(), 0xca56edd0338a318fULL);
  EXPECT_EQ(rng.Next(), 0x4945f1d915ae1af2ULL);
  EXPECT_EQ(rng.Next(), 0x0ddbfbac9994b020ULL);
}

TEST(Rng, GoldenDeriveSeed) {
  EXPECT_EQ(DeriveSeed(1, {}), 0x63cfc62a2b097592ULL);
  EXPECT_EQ(DeriveSeed(1, {2}), 0x3be1cbab86859594ULL);
  EXPECT_EQ(DeriveSeed(1, {2, 3}), 0xe98cea9f91b9f8f7ULL);
  EXPECT_EQ(DeriveSeed(1, {3, 2}), 0x82801c889c09e2d9ULL);
  EXPECT_EQ(DeriveSeed(20240101, {kStreamBallots, 7, 3}), 0xcd1d34f86d03400aULL);
  // The definition, spelled out: h = Mix64(master ^ c1), then per tag
  // h = Mix64(h ^ Mix64(tag + c2)).
  const uint64_t h0 = Mix64(1 ^ 0x6a09e667f3bcc908ULL);
  EXPECT_EQ(DeriveSeed(1, {}), h0);
  EXPECT_EQ(DeriveSeed(1, {2}), Mix64(h0 ^ Mix64(2 + 0x3c6ef372fe94f82bULL)));
}

TEST(Rng, GoldenDistributions) {
  // The distributions are ours (not <random>), so pin them too. Normal()
  // goes through exp/log in the ziggurat table, hence the tolerance.
  Rng u(7);
  EXPECT_EQ(u.Uniform(), 0.38152029564861734);
  EXPECT_EQ(u.Uniform(), 0.46986300737303288);
  EXPECT_EQ(u.Uniform(), 0.92614157599501434);
  Rng n(7);
  const double normals[] = {-0.3632795969830187, -0.18583849073466802, 1.6065256465903097,
                            -0.30764853843500484, 0.08184457377681921};
  for (double e : normals) EXPECT_NEAR(n.Normal(), e, 1e-12);
  Rng b(7);
  const uint64_t below[] = {3, 4, 9, 3, 5, 5, 5, 7};
  for (uint64_t e : below) EXPECT_EQ(b.Below(10), e);
}

// ---------------------------------------------------------------------------
// Stream derivation.

TEST(Rng, DeriveSeedIsOrderSensitive) {
  static_assert(DeriveSeed(1, {2, 3}) != DeriveSeed(1, {3, 2}));
  for (uint64_t a = 0; a < 20; ++a) {
    for (uint64_t b = 0; b < 20; ++b) {
      if (a != b) {
        EXPECT_NE(DeriveSeed(9, {a, b}), DeriveSeed(9, {b, a})) << a << "," << b;
      }
    }
  }
}

TEST(Rng, DeriveSeedTagsAreDistinct) {
  // Every (master, tag list) below names a different stream: no tag list is
  // confused with its prefix, with a zero-padded copy, or with another master.
  std::set<uint64_t> seen;
  size_t count = 0;
  for (uint64_t master : {0ULL, 1ULL, 2ULL, ~0ULL}) {
    auto add = [&](std::initializer_list<uint64_t> tags) {
      seen.insert(DeriveSeed(master, tags));
      ++count;
    };
    add({});
    for (uint64_t a = 0; a < 30; ++a) {
      add({a});
      for (uint64_t b = 0; b < 30; ++b) {
        add({a, b});
        add({a, b, 0});
      }
    }
  }
  EXPECT_EQ(seen.size(), count);
}

TEST(Rng, DerivedStreamsAreUncorrelated) {
  // Two neighbouring replicate streams: the correlation of 10^5 uniforms
  // has sd 1/sqrt(10^5) = 0.0032, so |r| < 0.02 is more than 6 sd.
  Rng a(DeriveSeed(5, {kStreamBallots, 0}));
  Rng b(DeriveSeed(5, {kStreamBallots, 1}));
  const int n = 100000;
  double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
  for (int i = 0; i < n; ++i) {
    const double x = a.Uniform(), y = b.Uniform();
    sa += x, sb += y, sab += x * y, saa += x * x, sbb += y * y;
  }
  const double cov = sab / n - (sa / n) * (sb / n);
  const double r = cov / std::sqrt((saa / n - sa * sa / n / n) * (sbb / n - sb * sb / n / n));
  EXPECT_LT(std::abs(r), 0.02);
}

// ---------------------------------------------------------------------------
// Uniform, Below, Between, Bernoulli.

TEST(Rng, UniformIsInUnitIntervalWithRightMoments) {
  Rng rng(11);
  const int n = 1000000;
  double sum = 0, sum2 = 0, lo = 1, hi = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u, sum2 += u * u;
    lo = std::min(lo, u), hi = std::max(hi, u);
  }
  // Mean 1/2 with sd sqrt(1/12 / n) = 2.9e-4; variance 1/12 with sd
  // sqrt((1/80 - 1/144) / n) = 7.5e-5. Bounds are 5 sd.
  EXPECT_NEAR(sum / n, 0.5, 5 * 2.9e-4);
  EXPECT_NEAR(sum2 / n - (sum / n) * (sum / n), 1.0 / 12, 5 * 7.5e-5);
  EXPECT_LT(lo, 1e-4);
  EXPECT_GT(hi, 1 - 1e-4);
}

TEST(Rng, UniformOpenExcludesBothEnds) {
  Rng rng(12);
  for (int i = 0; i < 100000; ++i) {
    const double u = rng.UniformOpen();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(Rng, BelowIsUnbiasedChiSquare) {
  // n = 7, 70000 draws: 10000 expected per value. Chi-square with 6 degrees
  // of freedom exceeds 40 with probability about 3e-7.
  Rng rng(13);
  std::vector<int> count(7, 0);
  for (int i = 0; i < 70000; ++i) {
    const uint64_t v = rng.Below(7);
    ASSERT_LT(v, 7u);
    ++count[v];
  }
  double chi2 = 0;
  for (int c : count) chi2 += (c - 10000.0) * (c - 10000.0) / 10000.0;
  EXPECT_LT(chi2, 40.0);
}

TEST(Rng, BelowIsUnbiasedForHugeRanges) {
  // n = 3 * 2^62. Uniform draws land in [2^63, n) with probability 1/3;
  // the naive Next() % n would give 1/4 (values in [n, 2^64) fold onto
  // [0, 2^62)). With 30000 draws the sd is 0.0027, so 0.015 is > 5 sd yet
  // well short of the 0.083 a modulo bias would cause.
  Rng rng(14);
  const uint64_t n = 3ULL << 62;
  int high = 0;
  for (int i = 0; i < 30000; ++i) {
    const uint64_t v = rng.Below(n);
    ASSERT_LT(v, n);
    high += v >= (1ULL << 63);
  }
  EXPECT_NEAR(high / 30000.0, 1.0 / 3, 0.015);
}

TEST(Rng, BelowOneAndBetween) {
  Rng rng(15);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rng.Below(1), 0u);
  std::set<int64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const int64_t v = rng.Between(-2, 2);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 2);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 5u);  // both ends included
  EXPECT_EQ(rng.Between(4, 4), 4);
}

TEST(Rng, BernoulliFrequency) {
  // p = 0.3 over 10^5: sd sqrt(0.21 / 10^5) = 0.00145.
  Rng rng(16);
  int hits = 0;
  for (int i = 0; i < 100000; ++i) hits += rng.Bernoulli(0.3);
  EXPECT_NEAR(hits / 1e5, 0.3, 5 * 0.00145);
  EXPECT_FALSE(rng.Bernoulli(0.0));
  EXPECT_TRUE(rng.Bernoulli(1.0));
}

// ---------------------------------------------------------------------------
// Normal.

class NormalSample : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Rng rng(DeriveSeed(17, {kStreamQuality}));
    sample_ = new std::vector<double>(kN);
    for (double& x : *sample_) x = rng.Normal();
  }
  static void TearDownTestSuite() {
    delete sample_;
    sample_ = nullptr;
  }
  static constexpr int kN = 1000000;
  static std::vector<double>* sample_;
};
std::vector<double>* NormalSample::sample_ = nullptr;

TEST_F(NormalSample, Moments) {
  double m1 = 0;
  for (double x : *sample_) m1 += x;
  m1 /= kN;
  double m2 = 0, m3 = 0, m4 = 0;
  for (double x : *sample_) {
    const double d = x - m1, d2 = d * d;
    m2 += d2, m3 += d2 * d, m4 += d2 * d2;
  }
  m2 /= kN, m3 /= kN, m4 /= kN;
  const double skew = m3 / std::pow(m2, 1.5), excess_kurtosis = m4 / (m2 * m2) - 3;
  // Sampling sd for n = 10^6: mean 1e-3, variance sqrt(2/n) = 1.41e-3,
  // skewness sqrt(6/n) = 2.45e-3, excess kurtosis sqrt(24/n) = 4.9e-3.
  // Bounds are 5 sd.
  EXPECT_NEAR(m1, 0.0, 5e-3);
  EXPECT_NEAR(m2, 1.0, 5 * 1.41e-3);
  EXPECT_NEAR(skew, 0.0, 5 * 2.45e-3);
  EXPECT_NEAR(excess_kurtosis, 0.0, 5 * 4.9e-3);
}

TEST_F(NormalSample, KolmogorovSmirnov) {
  std::vector<double> xs = *sample_;
  std::sort(xs.begin(), xs.end());
  double d = 0;
  for (int i = 0; i < kN; ++i) {
    const double f = NormalCdf(xs[i]);
    d = std::max({d, (i + 1.0) / kN - f, f - static_cast<double>(i) / kN});
  }
  // Critical value at the 0.001 level: 1.95 / sqrt(n).
  EXPECT_LT(d, 1.95 / std::sqrt(static_cast<double>(kN)));
}

TEST_F(NormalSample, TailBeyondZigguratBase) {
  // The ziggurat draws |x| > r = 3.442619855899 from a separate tail
  // algorithm. P(|X| > r) = 2 (1 - Phi(r)) = 5.7611e-4: 576.1 expected in
  // 10^6 draws, sd 24. Given |X| > r, E|X| = phi(r) / (1 - Phi(r)) = 3.69732
  // with sd 0.2415, so the mean of ~576 tail draws has sd 0.010.
  constexpr double r = 3.442619855899;
  const double p = 2 * (1 - NormalCdf(r));
  EXPECT_NEAR(p, 5.7610851239164e-4, 1e-12);
  int tail = 0;
  double tail_sum = 0;
  for (double x : *sample_) {
    if (std::abs(x) > r) ++tail, tail_sum += std::abs(x);
  }
  EXPECT_NEAR(tail, p * kN, 5 * std::sqrt(p * kN));
  ASSERT_GT(tail, 0);
  EXPECT_NEAR(tail_sum / tail, 3.6973170562195562, 0.05);
}

TEST_F(NormalSample, SymmetricAboutZero) {
  // Sign balance: 10^6 draws, sd of the count of positives is 500.
  int positive = 0;
  for (double x : *sample_) positive += x > 0;
  EXPECT_NEAR(positive, kN / 2, 5 * 500);
}

// ---------------------------------------------------------------------------
// NormalCdf and NormalQuantile.

TEST(NormalCdf, KnownValues) {
  EXPECT_EQ(NormalCdf(0.0), 0.5);
  EXPECT_NEAR(NormalCdf(1.96), 0.97500210485177957, 1e-15);
  EXPECT_NEAR(NormalCdf(-1.0), 0.15865525393145705, 1e-15);
}

TEST(NormalQuantile, KnownQuantiles) {
  // Reference values to 17 digits (computed with 50-digit arithmetic).
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-13);
  EXPECT_NEAR(NormalQuantile(0.025), -1.959963984540054, 1e-13);
  EXPECT_NEAR(NormalQuantile(0.995), 2.5758293035489008, 1e-13);
  EXPECT_NEAR(NormalQuantile(0.9), 1.2815515655446005, 1e-13);
  EXPECT_NEAR(NormalQuantile(0.001), -3.0902323061678135, 1e-13);
  EXPECT_NEAR(NormalQuantile(1e-10), -6.3613409024040562, 1e-12);
  EXPECT_NEAR(NormalQuantile(1e-20), -9.2623400897984076, 1e-12);
  EXPECT_EQ(NormalQuantile(0.5), 0.0);
  EXPECT_EQ(NormalQuantile(0.0), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(NormalQuantile(1.0), std::numeric_limits<double>::infinity());
}

TEST(NormalQuantile, InvertsNormalCdf) {
  // For x > 0 the double nearest to Phi(x) pins x only to
  // spacing(p) / phi(x): below 1 doubles are 1.1e-16 apart and phi(6) = 6e-9,
  // so from x ~ 5.5 on the rounding of p alone exceeds 1e-9. The bound is
  // 1e-9 plus four times that unavoidable part (zero on the lower side,
  // where p keeps full relative precision).
  for (double x = -8.0; x <= 8.0; x += 1.0 / 64) {
    const double p = NormalCdf(x);
    const double spacing = std::nextafter(p, 2.0) - p;
    const double density = std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
    const double unavoidable = x > 0 ? 4 * spacing / density : 0.0;
    EXPECT_NEAR(NormalQuantile(p), x, 1e-9 + unavoidable) << "x = " << x;
  }
}

TEST(NormalQuantile, IsOddAndIncreasing) {
  double last = -std::numeric_limits<double>::infinity();
  for (int i = 1; i < 1000; ++i) {
    const double p = i / 1000.0;
    const double q = NormalQuantile(p);
    EXPECT_GT(q, last) << p;
    last = q;
    EXPECT_NEAR(q, -NormalQuantile(1 - p), 1e-12) << p;
  }
}

}  // namespace
}  // namespace evalsim
