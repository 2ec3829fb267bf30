// Random streams that do not depend on the standard library's distributions
// (whose algorithms differ between implementations) nor on threads: every
// stream is derived statelessly from (master seed, tags...) with SplitMix64.
#ifndef EVALSIM_SIM_CORE_RNG_H_
#define EVALSIM_SIM_CORE_RNG_H_

#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>

namespace evalsim {

// SplitMix64 finaliser: a bijective 64-bit mixer.
constexpr uint64_t Mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Seed of the stream named by `tags` under `master`. Adding a tag never
// shifts another stream.
constexpr uint64_t DeriveSeed(uint64_t master, std::initializer_list<uint64_t> tags) {
  uint64_t h = Mix64(master ^ 0x6a09e667f3bcc908ULL);
  for (uint64_t t : tags) h = Mix64(h ^ Mix64(t + 0x3c6ef372fe94f82bULL));
  return h;
}

namespace internal {
// Layer edges of the 128-layer ziggurat for the standard normal:
// x[0] > x[1] = r > ... > x[128] = 0, and the density at each edge.
struct ZigguratTable {
  double x[129];
  double f[129];
};
extern const ZigguratTable kZiggurat;
}  // namespace internal

// Stream tags (constants so that the stream names are visible in one place).
enum StreamTag : uint64_t {
  kStreamOrganisation = 1,
  kStreamQuality = 2,
  kStreamBallots = 3,
  kStreamBlocs = 4,
  kStreamCalibration = 5,
  kStreamModel = 6,
  kStreamComparisons = 7,
  kStreamIndicators = 8,
  kStreamUncertainty = 9,
  kStreamBootstrap = 10,     // resamples of fixed ballots (sim/experiments/resample.h)
  kStreamTypes = 11,         // evaluee types (organisation `types`)
  kStreamManipulation = 12,  // which evaluees the manipulation search targets
  kStreamVetoes = 21,        // event vetoes ([[vetoes]] with a rate), keyed by name
  kStreamMeetings = 13,      // attendance and void counts of meetings ([meetings] rules)
  kStreamItems = 14,         // item qualities and item grades of multi-item ballots
  kStreamDontKnow = 31,      // "don't know" ballots of groups on a scale with dont_know
  kStreamAnchor = 32,        // the views stated before the vote (raters' `anchor`)
  kStreamConformity = 33,    // which ballots follow the meeting's majority (`conformity`)
  kStreamPeriods = 40,       // innovations, fresh draws, turnover and raters between periods
};

// xoshiro256** (Blackman & Vigna), seeded through SplitMix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      s = Mix64(seed);
    }
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform on [0, 1), 53 bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform on (0, 1).
  double UniformOpen() { return (static_cast<double>(Next() >> 12) + 0.5) * 0x1.0p-52; }
  // Uniform integer in [0, n) (Lemire's multiply-shift with rejection).
  uint64_t Below(uint64_t n);
  // Uniform integer in [lo, hi].
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  bool Bernoulli(double p) { return Uniform() < p; }
  // True with probability threshold / 2^64 (see ProbabilityThreshold): one
  // integer compare, for hot loops.
  bool BernoulliThreshold(uint64_t threshold) { return Next() < threshold; }
  // Standard normal (128-layer ziggurat, Marsaglia & Tsang 2000). The fast
  // path (about 99 % of draws) is one generator call and two table reads.
  double Normal() {
    const uint64_t bits = Next();
    const int layer = static_cast<int>(bits & 127);
    const double u = static_cast<double>(bits >> 11) * 0x1.0p-52 - 1.0;  // [-1, 1)
    const double z = u * internal::kZiggurat.x[layer];
    if (std::abs(z) < internal::kZiggurat.x[layer + 1]) [[likely]]
      return z;
    return NormalSlow(bits, layer, z);
  }

 private:
  static constexpr uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  double NormalSlow(uint64_t bits, int layer, double z);
  std::array<uint64_t, 4> s_;
};

// floor(p * 2^64), saturated, for Rng::BernoulliThreshold (p = 1 is "always"
// only up to 2^-64; callers skip the draw when p >= 1).
inline uint64_t ProbabilityThreshold(double p) {
  if (p <= 0.0) return 0;
  if (p >= 1.0) return ~uint64_t{0};
  return static_cast<uint64_t>(p * 0x1.0p64);
}

// Standard normal distribution function and its inverse (Acklam's rational
// approximation refined by one Halley step; |error| < 1e-13).
inline double NormalCdf(double x) { return 0.5 * std::erfc(-x * M_SQRT1_2); }
double NormalQuantile(double p);

}  // namespace evalsim

#endif  // EVALSIM_SIM_CORE_RNG_H_
