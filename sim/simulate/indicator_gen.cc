#include "sim/simulate/indicator_gen.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "sim/core/rng.h"

namespace evalsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Sub-streams of an indicator's stream: the latent noise, the missing draws
// and the Poisson draws each have their own, so that changing `missing` or a
// count's mean never moves the other draws.
enum SubStream : uint64_t { kLatentNoise = 0, kMissing = 1, kCounts = 2 };

// log(k!) without std::lgamma (which writes the global signgam, a data race
// when replicates run in parallel): exact sums below 16, Stirling's series
// with three correction terms above (error < 1 / (1680 k^7) < 1e-11).
double LogFactorial(double k) {
  static const std::array<double, 16> table = [] {
    std::array<double, 16> t{};
    for (int i = 1; i < 16; ++i) t[i] = t[i - 1] + std::log(static_cast<double>(i));
    return t;
  }();
  if (k < 16) return table[static_cast<int>(k)];
  const double r = 1.0 / k, r2 = r * r;
  return k * std::log(k) - k + 0.5 * std::log(2.0 * M_PI * k) +
         r * (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 / 1260.0));
}

// One Poisson(lambda) draw. Below 10: inversion by sequential search
// (at most a few dozen steps). From 10 on: Hörmann's transformed rejection
// with squeeze, PTRS (W. Hörmann, "The transformed rejection method for
// generating Poisson random variables", Insurance: Mathematics and
// Economics 12 (1993) 39-45), constant expected time in lambda.
double Poisson(double lambda, Rng& rng) {
  if (!(lambda > 0)) return 0.0;
  if (lambda < 10) {
    const double u = rng.Uniform();
    double p = std::exp(-lambda), cdf = p;
    int k = 0;
    while (u > cdf && k < 200) {
      ++k;
      p *= lambda / k;
      cdf += p;
    }
    return k;
  }
  const double slam = std::sqrt(lambda), loglam = std::log(lambda);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
  const double vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const double u = rng.Uniform() - 0.5;
    const double v = rng.Uniform();
    const double us = 0.5 - std::abs(u);
    const double k = std::floor((2 * a / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (!(k >= 0) || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
        -lambda + k * loglam - LogFactorial(k))
      return k;
  }
}

void FillColumn(const IndicatorSpec& ind, const std::vector<double>& z, uint64_t seed,
                double* out) {
  const int n = static_cast<int>(z.size());
  const double loading = ind.loading;
  const double unique = std::sqrt(std::max(0.0, 1.0 - loading * loading));
  const double sign = ind.cost ? -1.0 : 1.0;
  const double best = ind.cost ? ind.lo : ind.hi;
  // Evaluees whose latent value exceeds the (1 - ceiling) quantile of the
  // standard normal get the best value.
  const double threshold = ind.ceiling <= 0   ? kInf
                           : ind.ceiling >= 1 ? -kInf
                                              : NormalQuantile(1.0 - ind.ceiling);

  Rng noise(DeriveSeed(seed, {kLatentNoise}));
  for (int e = 0; e < n; ++e) out[e] = loading * z[e] + unique * noise.Normal();

  if (ind.transform == "rate") {
    const double shift = NormalQuantile((ind.median - ind.lo) / (ind.hi - ind.lo));
    const double width = ind.hi - ind.lo;
    for (int e = 0; e < n; ++e) {
      const double latent = out[e];
      out[e] = latent > threshold
                   ? best
                   : std::clamp(ind.lo + width * NormalCdf(shift + sign * latent), ind.lo, ind.hi);
    }
  } else if (ind.transform == "count") {
    Rng counts(DeriveSeed(seed, {kCounts}));
    const double d = ind.dispersion;
    const double log_mean = std::log(ind.mean) - 0.5 * d * d;
    for (int e = 0; e < n; ++e) {
      const double latent = out[e];
      if (latent > threshold) {
        out[e] = best;
        continue;
      }
      const double lambda = std::exp(log_mean + d * sign * latent);
      out[e] = std::clamp(Poisson(lambda, counts), ind.lo, ind.hi);
    }
  } else {  // linear, score
    for (int e = 0; e < n; ++e) {
      const double latent = out[e];
      out[e] =
          latent > threshold ? best : std::clamp(ind.mean + ind.sd * sign * latent, ind.lo, ind.hi);
    }
  }

  if (ind.missing > 0) {
    Rng miss(DeriveSeed(seed, {kMissing}));
    const uint64_t cut = ProbabilityThreshold(ind.missing);
    for (int e = 0; e < n; ++e)
      if (miss.BernoulliThreshold(cut)) out[e] = kNaN;
  }
}

}  // namespace

IndicatorTable GenerateIndicators(const Scenario& s, const Organisation& org, int replicate) {
  IndicatorTable t;
  t.ratee_names = org.evaluee_names;
  const int n = org.NumEvaluees();
  const int m = static_cast<int>(s.indicators.size());
  t.values.resize(n, m);
  if (m == 0) return t;

  std::vector<double> z(org.quality);
  const double inv_sd = s.quality_sd > 0 ? 1.0 / s.quality_sd : 0.0;
  for (double& q : z) q *= inv_sd;

  for (int i = 0; i < m; ++i) {
    const IndicatorSpec& ind = s.indicators[i];
    t.names.push_back(ind.name);
    t.cost.push_back(ind.cost);
    const uint64_t seed = DeriveSeed(
        s.seed, {kStreamIndicators, static_cast<uint64_t>(replicate), static_cast<uint64_t>(i)});
    FillColumn(ind, z, seed, t.values.col(i).data());
  }
  return t;
}

}  // namespace evalsim
