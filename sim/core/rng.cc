#include "sim/core/rng.h"

#include <limits>

namespace evalsim {
namespace {

constexpr int kLayers = 128;
constexpr double kR = 3.442619855899;       // start of the tail
constexpr double kV = 9.91256303526217e-3;  // area of each layer

double Density(double x) { return std::exp(-0.5 * x * x); }

internal::ZigguratTable BuildTable() {
  internal::ZigguratTable t;
  t.x[0] = kV / Density(kR);
  t.x[1] = kR;
  for (int i = 1; i < kLayers - 1; ++i) {
    t.x[i + 1] = std::sqrt(-2.0 * std::log(kV / t.x[i] + Density(t.x[i])));
  }
  t.x[kLayers] = 0.0;
  for (int i = 0; i <= kLayers; ++i) t.f[i] = Density(t.x[i]);
  t.f[0] = Density(kR);
  return t;
}

}  // namespace

namespace internal {
const ZigguratTable kZiggurat = BuildTable();
}  // namespace internal

uint64_t Rng::Below(uint64_t n) {
  if (n == 0) return 0;
  __extension__ using U128 = unsigned __int128;
  U128 m = static_cast<U128>(Next()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<U128>(Next()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

double Rng::NormalSlow(uint64_t bits, int layer, double z) {
  const internal::ZigguratTable& t = internal::kZiggurat;
  for (;;) {
    if (layer == 0) {
      // Tail beyond kR (Marsaglia 1964).
      double a, b;
      do {
        a = -std::log(UniformOpen()) / kR;
        b = -std::log(UniformOpen());
      } while (b + b < a * a);
      return (z < 0 ? -1.0 : 1.0) * (kR + a);
    }
    const double y = t.f[layer] + Uniform() * (t.f[layer + 1] - t.f[layer]);
    if (y < Density(z)) return z;
    bits = Next();
    layer = static_cast<int>(bits & (kLayers - 1));
    const double u = static_cast<double>(bits >> 11) * 0x1.0p-52 - 1.0;
    z = u * t.x[layer];
    if (std::abs(z) < t.x[layer + 1]) return z;
  }
}

double NormalQuantile(double p) {
  if (p <= 0.0) return -std::numeric_limits<double>::infinity();
  if (p >= 1.0) return std::numeric_limits<double>::infinity();
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Halley step on Phi(x) - p.
  const double e = NormalCdf(x) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(0.5 * x * x);
  return x - u / (1 + 0.5 * x * u);
}

}  // namespace evalsim
