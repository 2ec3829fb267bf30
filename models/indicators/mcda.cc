#include "models/indicators/mcda.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <span>

#include "sim/core/errors.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace evalsim::mcda {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------
// Column statistics and per-column maps
// ---------------------------------------------------------------------------

// Statistics of the present (non-NaN) values of one column, in one pass.
// Sums are taken about the first present value (`shift`) so that the
// variance keeps its precision when the mean is large against the spread.
struct ColumnStats {
  long count = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double min_positive = std::numeric_limits<double>::infinity();
  double shift = 0.0;
  double sum_d = 0.0;   // sum (x - shift)
  double sum_d2 = 0.0;  // sum (x - shift)^2
  double sum_sq = 0.0;  // sum x^2

  double Mean() const { return shift + sum_d / static_cast<double>(count); }
  double SampleSd() const {
    if (count < 2) return 0.0;
    const double c = static_cast<double>(count);
    const double ss = sum_d2 - sum_d * sum_d / c;
    return ss > 0.0 ? std::sqrt(ss / (c - 1.0)) : 0.0;
  }
};

// Eight independent lanes: element first + k goes to lane k % 8, and the
// lanes are combined in a fixed tree, so every sum is the same on every run,
// at any thread count and on any machine (the SSE2 loop and the portable loop
// below compute the same lanes with the same IEEE operations). Independent
// lanes let the additions pipeline; on x86-64 they run two to a register.
// A column is first scanned unmasked while watching for NaN (the usual case:
// no missing cell, no per-element mask); only a column with a NaN is scanned
// again with missing cells masked out, so either way the lanes hold the sums
// over the present cells in the same order. The flags leave out the sums a method
// does not use.
constexpr int kLanes = 8;

struct Lanes {
  double cnt[kLanes], mn[kLanes], mx[kLanes], mp[kLanes], sq[kLanes], sd[kLanes], sd2[kLanes];
  bool nan = false;

  Lanes() {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    for (int l = 0; l < kLanes; ++l) {
      cnt[l] = sq[l] = sd[l] = sd2[l] = 0.0;
      mn[l] = mp[l] = kInf;
      mx[l] = -kInf;
    }
  }
};

// One element into lane l. The masked scan's min/max keep the running value
// when v is NaN (v < m is false), as MINPD / MAXPD with v first do. The
// unmasked scan puts the running value first, which updates it in place
// (no register copy on SSE2); a NaN may then reach it, but a column with a
// NaN is scanned again masked, and otherwise the two forms differ only in
// which of -0 and +0 they keep.
template <bool kMasked, bool kRange, bool kSquares, bool kMoments, bool kPositive>
inline void StatsStep(Lanes& s, int l, double v, double shift) {
  const bool p = v == v;  // false for NaN
  if constexpr (kMasked) {
    s.cnt[l] += p ? 1.0 : 0.0;
  } else if constexpr (!kSquares && !kMoments) {
    s.nan = s.nan || !p;
  }
  if constexpr (kRange && kMasked) {
    s.mn[l] = v < s.mn[l] ? v : s.mn[l];
    s.mx[l] = v > s.mx[l] ? v : s.mx[l];
  } else if constexpr (kRange) {
    s.mn[l] = s.mn[l] < v ? s.mn[l] : v;
    s.mx[l] = s.mx[l] > v ? s.mx[l] : v;
  }
  if constexpr (kSquares) {
    const double u = kMasked && !p ? 0.0 : v;
    s.sq[l] += u * u;
  }
  if constexpr (kMoments) {
    const double d = kMasked && !p ? 0.0 : v - shift;
    s.sd[l] += d;
    s.sd2[l] += d * d;
  }
  if constexpr (kPositive) {
    const double c = v > 0.0 ? v : std::numeric_limits<double>::infinity();
    s.mp[l] = s.mp[l] < c ? s.mp[l] : c;
  }
}

#if defined(__SSE2__)
// Whole groups of eight elements from `begin`, two lanes per register (lanes
// 2k and 2k + 1 in register k). Returns where it stopped.
template <bool kMasked, bool kRange, bool kSquares, bool kMoments, bool kPositive>
Eigen::Index StatsSse2(const double* x, Eigen::Index begin, Eigen::Index n, double shift,
                       Lanes& s) {
  __m128d cnt[4], mn[4], mx[4], mp[4], sq[4], sd[4], sd2[4];
  for (int k = 0; k < 4; ++k) {
    cnt[k] = _mm_loadu_pd(s.cnt + 2 * k);
    mn[k] = _mm_loadu_pd(s.mn + 2 * k);
    mx[k] = _mm_loadu_pd(s.mx + 2 * k);
    mp[k] = _mm_loadu_pd(s.mp + 2 * k);
    sq[k] = _mm_loadu_pd(s.sq + 2 * k);
    sd[k] = _mm_loadu_pd(s.sd + 2 * k);
    sd2[k] = _mm_loadu_pd(s.sd2 + 2 * k);
  }
  const __m128d one = _mm_set1_pd(1.0), zero = _mm_setzero_pd();
  const __m128d inf = _mm_set1_pd(std::numeric_limits<double>::infinity());
  const __m128d sh = _mm_set1_pd(shift);
  __m128d nan[2] = {zero, zero};
  Eigen::Index i = begin;
  for (; i + 8 <= n; i += 8) {
    if constexpr (!kMasked && !kSquares && !kMoments) {
      // NaN anywhere in either operand, two registers per compare.
      nan[0] = _mm_or_pd(nan[0], _mm_cmpunord_pd(_mm_loadu_pd(x + i), _mm_loadu_pd(x + i + 2)));
      nan[1] = _mm_or_pd(nan[1], _mm_cmpunord_pd(_mm_loadu_pd(x + i + 4), _mm_loadu_pd(x + i + 6)));
    }
    for (int k = 0; k < 4; ++k) {
      const __m128d v = _mm_loadu_pd(x + i + 2 * k);
      const __m128d ord = _mm_cmpord_pd(v, v);  // all ones where present
      if constexpr (kMasked) cnt[k] = _mm_add_pd(cnt[k], _mm_and_pd(ord, one));
      if constexpr (kRange && kMasked) {
        mn[k] = _mm_min_pd(v, mn[k]);  // v < mn ? v : mn
        mx[k] = _mm_max_pd(v, mx[k]);  // v > mx ? v : mx
      } else if constexpr (kRange) {
        mn[k] = _mm_min_pd(mn[k], v);  // mn < v ? mn : v
        mx[k] = _mm_max_pd(mx[k], v);  // mx > v ? mx : v
      }
      if constexpr (kSquares) {
        const __m128d u = kMasked ? _mm_and_pd(v, ord) : v;
        sq[k] = _mm_add_pd(sq[k], _mm_mul_pd(u, u));
      }
      if constexpr (kMoments) {
        __m128d d = _mm_sub_pd(v, sh);
        if constexpr (kMasked) d = _mm_and_pd(d, ord);
        sd[k] = _mm_add_pd(sd[k], d);
        sd2[k] = _mm_add_pd(sd2[k], _mm_mul_pd(d, d));
      }
      if constexpr (kPositive) {
        const __m128d gt = _mm_cmpgt_pd(v, zero);
        const __m128d c = _mm_or_pd(_mm_and_pd(gt, v), _mm_andnot_pd(gt, inf));
        mp[k] = _mm_min_pd(mp[k], c);  // c is never NaN
      }
    }
  }
  for (int k = 0; k < 4; ++k) {
    _mm_storeu_pd(s.cnt + 2 * k, cnt[k]);
    _mm_storeu_pd(s.mn + 2 * k, mn[k]);
    _mm_storeu_pd(s.mx + 2 * k, mx[k]);
    _mm_storeu_pd(s.mp + 2 * k, mp[k]);
    _mm_storeu_pd(s.sq + 2 * k, sq[k]);
    _mm_storeu_pd(s.sd + 2 * k, sd[k]);
    _mm_storeu_pd(s.sd2 + 2 * k, sd2[k]);
  }
  if (_mm_movemask_pd(_mm_or_pd(nan[0], nan[1])) != 0) s.nan = true;
  return i;
}
#endif

template <bool kMasked, bool kRange, bool kSquares, bool kMoments, bool kPositive>
void StatsScan(const double* x, Eigen::Index first, Eigen::Index n, double shift, Lanes& s) {
  Eigen::Index i = first;
#if defined(__SSE2__)
  i = StatsSse2<kMasked, kRange, kSquares, kMoments, kPositive>(x, first, n, shift, s);
#endif
  for (; i < n; ++i) {
    StatsStep<kMasked, kRange, kSquares, kMoments, kPositive>(
        s, static_cast<int>((i - first) % kLanes), x[i], shift);
  }
}

double LaneSum(const double* v) {
  return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}
double LaneMin(const double* v) {
  return std::min(std::min(std::min(v[0], v[1]), std::min(v[2], v[3])),
                  std::min(std::min(v[4], v[5]), std::min(v[6], v[7])));
}
double LaneMax(const double* v) {
  return std::max(std::max(std::max(v[0], v[1]), std::max(v[2], v[3])),
                  std::max(std::max(v[4], v[5]), std::max(v[6], v[7])));
}

template <bool kRange, bool kSquares, bool kMoments, bool kPositive>
ColumnStats ComputeStatsT(const double* x, Eigen::Index n) {
  ColumnStats s;
  Eigen::Index first = 0;
  while (first < n && std::isnan(x[first])) ++first;
  if (first == n) return s;
  const double shift = x[first];
  Lanes lanes;
  StatsScan<false, kRange, kSquares, kMoments, kPositive>(x, first, n, shift, lanes);
  // A NaN cell makes the unmasked sum of squares, and the unmasked sum of
  // deviations, NaN, so a method that keeps either needs no separate check
  // (an infinite cell can make them NaN too: it only costs the masked scan,
  // which gives the same result on a column without NaN).
  if constexpr (kSquares) lanes.nan = lanes.nan || std::isnan(LaneSum(lanes.sq));
  if constexpr (kMoments) lanes.nan = lanes.nan || std::isnan(LaneSum(lanes.sd2));
  if (lanes.nan) {
    lanes = Lanes();
    StatsScan<true, kRange, kSquares, kMoments, kPositive>(x, first, n, shift, lanes);
    s.count = static_cast<long>(LaneSum(lanes.cnt));
  } else {
    s.count = static_cast<long>(n - first);
  }
  s.shift = shift;
  s.sum_d = LaneSum(lanes.sd);
  s.sum_d2 = LaneSum(lanes.sd2);
  s.sum_sq = LaneSum(lanes.sq);
  s.min = LaneMin(lanes.mn);
  s.max = LaneMax(lanes.mx);
  s.min_positive = LaneMin(lanes.mp);
  return s;
}

// Every statistic.
ColumnStats ComputeStats(const double* x, Eigen::Index n) {
  return ComputeStatsT<true, true, true, true>(x, n);
}

// The statistics `method` needs for a column of direction `cost`: count
// always; min and max when `range` (the extremes of a linear map, which
// TOPSIS and grey relational analysis use) or when the map needs them; the
// smallest positive value only for own / best on a cost column, the one map
// that uses it. Statistics left out keep their initial values.
ColumnStats ComputeStats(const double* x, Eigen::Index n, Normalization method, bool cost,
                         bool range) {
  switch (method) {
    case Normalization::kVector:
      return range ? ComputeStatsT<true, true, false, false>(x, n)
                   : ComputeStatsT<false, true, false, false>(x, n);
    case Normalization::kZScore:
      return range ? ComputeStatsT<true, false, true, false>(x, n)
                   : ComputeStatsT<false, false, true, false>(x, n);
    case Normalization::kDistanceToBest:
      if (cost) return ComputeStatsT<true, false, false, true>(x, n);
      break;
    case Normalization::kMinMax:
      break;
    case Normalization::kRank:
      // Ranks are computed from the values; only the count is needed.
      return range ? ComputeStatsT<true, false, false, false>(x, n)
                   : ComputeStatsT<false, false, false, false>(x, n);
  }
  return ComputeStatsT<true, false, false, false>(x, n);
}

// How one column maps to its oriented normalised values:
//   kLinear      z = a x + b
//   kReciprocal  z = a / x for x > 0, NaN otherwise (distance_to_best cost)
//   kRanks       computed by ranking (no closed form)
//   kMissing     every cell becomes NaN
struct ColumnMap {
  enum Kind { kLinear, kReciprocal, kRanks, kMissing } kind = kLinear;
  double a = 0.0;
  double b = 0.0;
};

ColumnMap MakeMap(const ColumnStats& s, bool cost, Normalization method, Eigen::Index column,
                  Notes* notes) {
  ColumnMap m;
  const auto note = [&](const std::string& text) {
    if (notes != nullptr) notes->push_back(fmt::format("indicator {}: {}", column + 1, text));
  };
  if (s.count == 0) {
    m.kind = ColumnMap::kMissing;
    note("no present value");
    return m;
  }
  switch (method) {
    case Normalization::kMinMax: {
      const double range = s.max - s.min;
      if (range > 0.0) {
        m.a = (cost ? -1.0 : 1.0) / range;
        m.b = cost ? s.max / range : -s.min / range;
      } else {
        m.a = 0.0;
        m.b = 1.0;
        note("constant; min-max normalised to 1");
      }
      break;
    }
    case Normalization::kVector: {
      const double norm = std::sqrt(s.sum_sq);
      if (norm > 0.0) {
        m.a = (cost ? -1.0 : 1.0) / norm;
        m.b = cost ? 1.0 : 0.0;
      } else {
        m.a = 0.0;
        m.b = cost ? 1.0 : 0.0;
        note("all zero; vector-normalised to a constant");
      }
      break;
    }
    case Normalization::kZScore: {
      const double sd = s.SampleSd();
      if (sd > 0.0) {
        const double mean = s.Mean();
        m.a = (cost ? -1.0 : 1.0) / sd;
        m.b = (cost ? mean : -mean) / sd;
      } else {
        m.a = 0.0;
        m.b = 0.0;
        note("zero standard deviation; z-scores set to 0");
      }
      break;
    }
    case Normalization::kRank:
      m.kind = ColumnMap::kRanks;
      break;
    case Normalization::kDistanceToBest: {
      if (!cost) {
        if (s.max > 0.0) {
          m.a = 1.0 / s.max;
          m.b = 0.0;
        } else {
          m.kind = ColumnMap::kMissing;
          note("largest value is not positive; x / max is undefined, column treated as missing");
        }
      } else {
        if (std::isfinite(s.min_positive)) {
          m.kind = ColumnMap::kReciprocal;
          m.a = s.min_positive;
          if (s.min <= 0.0) note("non-positive cost values have no min / x; treated as missing");
        } else {
          m.kind = ColumnMap::kMissing;
          note("no positive value; min / x is undefined, column treated as missing");
        }
      }
      break;
    }
  }
  return m;
}

// Average ranks of the present values, scaled to [0, 1] and oriented.
// `order` is scratch space of at least n entries.
void RankColumn(const double* x, Eigen::Index n, bool cost, double* out,
                std::vector<Eigen::Index>& order) {
  order.clear();
  for (Eigen::Index i = 0; i < n; ++i) {
    if (std::isnan(x[i])) {
      out[i] = kNaN;
    } else {
      order.push_back(i);
    }
  }
  std::sort(order.begin(), order.end(),
            [x](Eigen::Index p, Eigen::Index q) { return x[p] < x[q] || (x[p] == x[q] && p < q); });
  const size_t k = order.size();
  if (k == 0) return;
  const double denom = static_cast<double>(k) - 1.0;
  size_t start = 0;
  while (start < k) {
    size_t end = start + 1;
    while (end < k && x[order[end]] == x[order[start]]) ++end;
    // ranks start+1 .. end (1-based); average minus 1 = (start + end - 1) / 2
    const double r0 = 0.5 * static_cast<double>(start + end - 1);
    double z = denom > 0.0 ? r0 / denom : 1.0;
    if (denom > 0.0 && cost) z = 1.0 - z;
    for (size_t t = start; t < end; ++t) out[order[t]] = z;
    start = end;
  }
}

// Writes the oriented normalised values of column x (map m) into out.
void ApplyMap(const ColumnMap& m, const double* x, Eigen::Index n, bool cost, double* out,
              std::vector<Eigen::Index>& order) {
  switch (m.kind) {
    case ColumnMap::kLinear:
      for (Eigen::Index i = 0; i < n; ++i) out[i] = m.a * x[i] + m.b;  // NaN stays NaN
      break;
    case ColumnMap::kReciprocal:
      for (Eigen::Index i = 0; i < n; ++i) out[i] = x[i] > 0.0 ? m.a / x[i] : kNaN;
      break;
    case ColumnMap::kRanks:
      RankColumn(x, n, cost, out, order);
      break;
    case ColumnMap::kMissing:
      for (Eigen::Index i = 0; i < n; ++i) out[i] = kNaN;
      break;
  }
}

std::string Join(std::span<const std::string_view> names) {
  std::string out;
  for (size_t k = 0; k < names.size(); ++k) {
    if (k > 0) out += ", ";
    out += names[k];
  }
  return out;
}

constexpr std::array<std::string_view, 5> kNormalizationNames = {"minmax", "vector", "zscore",
                                                                 "rank", "distance_to_best"};
constexpr std::array<std::string_view, 3> kRandomIndexNames = {"saaty", "alonso_lamata",
                                                               "donegan_dodd"};

// RI(n), n = 1, 2, ... (see the header for the sources).
constexpr std::array<double, 10> kSaatyRI = {0.0,  0.0,  0.58, 0.90, 1.12,
                                             1.24, 1.32, 1.41, 1.45, 1.49};
constexpr std::array<double, 15> kAlonsoLamataRI = {0.0,    0.0,    0.5245, 0.8815, 1.1086,
                                                    1.2479, 1.3417, 1.4056, 1.4499, 1.4854,
                                                    1.5141, 1.5365, 1.5551, 1.5713, 1.5838};
constexpr std::array<double, 20> kDoneganDoddRI = {
    0.0,    0.0,    0.4914, 0.8286, 1.0591, 1.1797, 1.2519, 1.3171, 1.3733, 1.4055,
    1.4213, 1.4497, 1.4643, 1.4822, 1.4969, 1.5078, 1.5153, 1.5262, 1.5313, 1.5371};

std::string CellName(Eigen::Index i, Eigen::Index j, const std::vector<std::string>& names) {
  if (names.size() > static_cast<size_t>(std::max(i, j))) {
    return fmt::format("cell ({}, {}) [{} vs {}]", i + 1, j + 1, names[i], names[j]);
  }
  return fmt::format("cell ({}, {})", i + 1, j + 1);
}

// Scales a non-negative vector to sum 1; equal weights when the sum is 0.
Eigen::VectorXd ToUnitSum(const Eigen::VectorXd& v) {
  const double s = v.sum();
  if (v.size() == 0) return v;
  if (!(s > 0.0)) return Eigen::VectorXd::Constant(v.size(), 1.0 / static_cast<double>(v.size()));
  return v / s;
}

}  // namespace

// ---------------------------------------------------------------------------
// Directions and weights
// ---------------------------------------------------------------------------

std::vector<bool> ExpandDirections(const std::vector<bool>& cost, int m) {
  if (cost.empty()) return std::vector<bool>(static_cast<size_t>(std::max(m, 0)), false);
  if (static_cast<int>(cost.size()) != m) {
    throw InputError(
        fmt::format("directions: expected {} entries (one per indicator), got {}", m, cost.size()));
  }
  return cost;
}

Eigen::VectorXd NormalizeWeights(const Eigen::VectorXd& weights, int m, std::string_view context) {
  if (m <= 0) return Eigen::VectorXd();
  if (weights.size() == 0) return Eigen::VectorXd::Constant(m, 1.0 / m);
  if (weights.size() != m) {
    throw InputError(fmt::format("{}: expected {} entries (one per indicator), got {}", context, m,
                                 weights.size()));
  }
  double sum = 0.0;
  for (Eigen::Index j = 0; j < m; ++j) {
    if (!std::isfinite(weights[j]) || weights[j] < 0.0) {
      throw InputError(fmt::format("{}: entry {} is {}; expected a finite number >= 0", context,
                                   j + 1, weights[j]));
    }
    sum += weights[j];
  }
  if (!(sum > 0.0)) throw InputError(fmt::format("{}: every weight is 0", context));
  return weights / sum;
}

// ---------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------

std::string_view NormalizationName(Normalization method) {
  return kNormalizationNames[static_cast<size_t>(method)];
}

std::string NormalizationNames() { return Join(kNormalizationNames); }

std::optional<Normalization> FindNormalization(std::string_view name) {
  for (size_t k = 0; k < kNormalizationNames.size(); ++k) {
    if (kNormalizationNames[k] == name) return static_cast<Normalization>(k);
  }
  return std::nullopt;
}

Eigen::MatrixXd Normalize(const Eigen::MatrixXd& X, const std::vector<bool>& cost,
                          Normalization method, Notes* notes) {
  const Eigen::Index n = X.rows(), m = X.cols();
  const std::vector<bool> dir = ExpandDirections(cost, static_cast<int>(m));
  Eigen::MatrixXd Z(n, m);
  std::vector<Eigen::Index> order;
  for (Eigen::Index j = 0; j < m; ++j) {
    const double* x = X.col(j).data();
    const ColumnMap map =
        MakeMap(ComputeStats(x, n, method, dir[j], false), dir[j], method, j, notes);
    ApplyMap(map, x, n, dir[j], Z.col(j).data(), order);
  }
  return Z;
}

// ---------------------------------------------------------------------------
// AHP
// ---------------------------------------------------------------------------

std::string_view RandomIndexName(RandomIndexTable table) {
  return kRandomIndexNames[static_cast<size_t>(table)];
}

std::string RandomIndexNames() { return Join(kRandomIndexNames); }

std::optional<RandomIndexTable> FindRandomIndexTable(std::string_view name) {
  for (size_t k = 0; k < kRandomIndexNames.size(); ++k) {
    if (kRandomIndexNames[k] == name) return static_cast<RandomIndexTable>(k);
  }
  return std::nullopt;
}

RandomIndexTable ParseRandomIndexTable(std::string_view name, std::string_view context) {
  if (auto t = FindRandomIndexTable(name)) return *t;
  throw InputError(fmt::format("{}: unknown random-index table \"{}\"; expected one of {}", context,
                               name, RandomIndexNames()));
}

std::optional<double> RandomIndex(int n, RandomIndexTable table) {
  if (n < 1) return std::nullopt;
  const auto pick = [n](std::span<const double> values) -> std::optional<double> {
    if (static_cast<size_t>(n) > values.size()) return std::nullopt;
    return values[static_cast<size_t>(n - 1)];
  };
  switch (table) {
    case RandomIndexTable::kSaaty:
      return pick(kSaatyRI);
    case RandomIndexTable::kAlonsoLamata:
      return pick(kAlonsoLamataRI);
    case RandomIndexTable::kDoneganDodd:
      return pick(kDoneganDoddRI);
  }
  return std::nullopt;
}

std::string_view AhpMethodName(AhpMethod method) {
  return method == AhpMethod::kEigenvector ? "eigenvector" : "geometric_mean";
}

std::optional<AhpMethod> FindAhpMethod(std::string_view name) {
  if (name == "eigenvector") return AhpMethod::kEigenvector;
  if (name == "geometric_mean") return AhpMethod::kGeometricMean;
  return std::nullopt;
}

std::optional<std::string> CheckPairwiseMatrix(const Eigen::MatrixXd& A, double tolerance,
                                               const std::vector<std::string>& names) {
  const Eigen::Index n = A.rows();
  if (n == 0 || A.cols() == 0) return std::string("the matrix is empty");
  if (A.cols() != n) {
    return fmt::format("the matrix is not square ({} rows, {} columns)", n, A.cols());
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) {
      const double v = A(i, j);
      if (!std::isfinite(v) || !(v > 0.0)) {
        return fmt::format("{} = {}; expected a finite number > 0", CellName(i, j, names), v);
      }
    }
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    if (std::abs(A(i, i) - 1.0) > tolerance) {
      return fmt::format("{} = {}; a diagonal cell must be 1", CellName(i, i, names), A(i, i));
    }
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = i + 1; j < n; ++j) {
      const double product = A(i, j) * A(j, i);
      if (std::abs(product - 1.0) > tolerance) {
        return fmt::format(
            "{} = {} and {} = {} are not reciprocal (product {}; expected 1 within {})",
            CellName(i, j, names), A(i, j), CellName(j, i, names), A(j, i), product, tolerance);
      }
    }
  }
  return std::nullopt;
}

void ValidatePairwiseMatrix(const Eigen::MatrixXd& A, double tolerance, std::string_view context,
                            const std::vector<std::string>& names) {
  if (auto problem = CheckPairwiseMatrix(A, tolerance, names)) {
    throw InputError(fmt::format("{}: {}", context, *problem));
  }
}

namespace {

Eigen::VectorXd RowGeometricMeans(const Eigen::MatrixXd& A) {
  const Eigen::Index n = A.rows();
  Eigen::VectorXd g(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    double s = 0.0;
    for (Eigen::Index j = 0; j < n; ++j) s += std::log(A(i, j));
    g[i] = std::exp(s / static_cast<double>(n));
  }
  return g / g.sum();
}

// Principal eigenvector by power iteration; false when it did not converge.
bool PowerIteration(const Eigen::MatrixXd& A, Eigen::VectorXd& w) {
  for (int it = 0; it < 100000; ++it) {
    Eigen::VectorXd next = A * w;
    next /= next.sum();
    const double change = (next - w).cwiseAbs().maxCoeff();
    w = next;
    if (change <= 1e-15) return true;
  }
  return false;
}

}  // namespace

AhpResult Ahp(const Eigen::MatrixXd& A, const AhpOptions& options) {
  ValidatePairwiseMatrix(A, options.reciprocal_tolerance);
  const Eigen::Index n = A.rows();
  AhpResult r;
  r.weights = RowGeometricMeans(A);
  if (options.method == AhpMethod::kEigenvector && n > 2) {
    if (!PowerIteration(A, r.weights)) {
      // Fall back on a dense eigensolver: the eigenvalue with the largest
      // real part is the Perron root of a positive matrix.
      Eigen::EigenSolver<Eigen::MatrixXd> es(A);
      Eigen::Index k = 0;
      es.eigenvalues().real().maxCoeff(&k);
      Eigen::VectorXd v = es.eigenvectors().col(k).real().cwiseAbs();
      r.weights = v / v.sum();
      r.notes.push_back("power iteration did not converge; used a dense eigensolver");
    }
  }
  const Eigen::VectorXd aw = A * r.weights;
  r.lambda_max = aw.cwiseQuotient(r.weights).mean();
  r.ci = n > 2 ? (r.lambda_max - static_cast<double>(n)) / static_cast<double>(n - 1) : 0.0;
  const std::optional<double> ri = RandomIndex(static_cast<int>(n), options.random_index);
  if (!ri) {
    r.random_index = kNaN;
    r.cr = kNaN;
    r.warning = fmt::format("the {} random-index table has no entry for n = {}; CR not computed",
                            RandomIndexName(options.random_index), n);
  } else {
    r.random_index = *ri;
    r.cr = *ri > 0.0 ? r.ci / *ri : 0.0;
    if (r.cr > options.cr_threshold) {
      r.warning = fmt::format(
          "consistency ratio {:.4f} is above {}: the judgements are not acceptably consistent",
          r.cr, options.cr_threshold);
    }
  }
  return r;
}

// ---------------------------------------------------------------------------
// Objective weights
// ---------------------------------------------------------------------------

std::string_view EntropyInputName(EntropyInput input) {
  switch (input) {
    case EntropyInput::kRaw:
      return "raw";
    case EntropyInput::kMinMax:
      return "minmax";
    case EntropyInput::kDistanceToBest:
      return "distance_to_best";
  }
  return "raw";
}

std::optional<EntropyInput> FindEntropyInput(std::string_view name) {
  for (const EntropyInput e :
       {EntropyInput::kRaw, EntropyInput::kMinMax, EntropyInput::kDistanceToBest}) {
    if (EntropyInputName(e) == name) return e;
  }
  return std::nullopt;
}

WeightsResult EntropyWeights(const Eigen::MatrixXd& X, const std::vector<bool>& cost,
                             const EntropyOptions& options) {
  const Eigen::Index n = X.rows(), m = X.cols();
  const std::vector<bool> dir = ExpandDirections(cost, static_cast<int>(m));
  if (!(options.shift >= 0.0) || !std::isfinite(options.shift)) {
    throw InputError(
        fmt::format("entropy shift: {}; expected a finite number >= 0", options.shift));
  }
  WeightsResult r;
  r.detail = Eigen::VectorXd::Ones(m);
  Eigen::VectorXd diversity = Eigen::VectorXd::Zero(m);
  std::vector<double> column(static_cast<size_t>(n));
  for (Eigen::Index j = 0; j < m; ++j) {
    const double* x = X.col(j).data();
    const ColumnStats s = ComputeStats(x, n);
    if (options.input == EntropyInput::kRaw) {
      for (Eigen::Index i = 0; i < n; ++i) {
        if (x[i] < 0.0) {
          throw InputError(fmt::format(
              "entropy weights: indicator {}, unit {} is {}; the raw entropy method needs values "
              ">= 0 (use min-max input for signed data)",
              j + 1, i + 1, x[i]));
        }
      }
    }
    if (s.count < 2) {
      r.notes.push_back(fmt::format("indicator {}: fewer than 2 present values; entropy 1", j + 1));
      continue;
    }
    if (s.min == s.max) {
      r.notes.push_back(fmt::format("indicator {}: constant; entropy 1, weight 0", j + 1));
      continue;
    }
    // Values that enter p.
    ColumnMap own_best;
    if (options.input == EntropyInput::kDistanceToBest) {
      own_best = MakeMap(s, dir[j], Normalization::kDistanceToBest, j, &r.notes);
      if (own_best.kind == ColumnMap::kMissing) continue;
    }
    double total = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
      double v = x[i];
      if (!std::isnan(v) && options.input == EntropyInput::kMinMax) {
        const double t = (v - s.min) / (s.max - s.min);
        v = (dir[j] ? 1.0 - t : t) + options.shift;
      } else if (!std::isnan(v) && options.input == EntropyInput::kDistanceToBest) {
        v = own_best.kind == ColumnMap::kReciprocal ? (v > 0.0 ? own_best.a / v : kNaN)
                                                    : own_best.a * v + own_best.b;
      }
      column[static_cast<size_t>(i)] = v;
      if (!std::isnan(v) && v > 0.0) total += v;
    }
    if (!(total > 0.0)) {
      r.notes.push_back(fmt::format("indicator {}: sum is 0; entropy 1", j + 1));
      continue;
    }
    double h = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double v = column[static_cast<size_t>(i)];
      if (std::isnan(v) || v <= 0.0) continue;  // 0 ln 0 = 0
      const double p = v / total;
      h -= p * std::log(p);
    }
    const double e = h / std::log(static_cast<double>(s.count));
    r.detail[j] = e;
    diversity[j] = std::max(0.0, 1.0 - e);
  }
  if (!(diversity.sum() > 0.0)) {
    r.notes.push_back("every indicator has entropy 1; equal weights");
  }
  r.weights = ToUnitSum(diversity);
  return r;
}

WeightsResult CriticWeights(const Eigen::MatrixXd& X, const std::vector<bool>& cost) {
  const Eigen::Index n = X.rows(), m = X.cols();
  WeightsResult r;
  const Eigen::MatrixXd Z = Normalize(X, cost, Normalization::kMinMax, &r.notes);
  Eigen::VectorXd sd(m);
  for (Eigen::Index j = 0; j < m; ++j) {
    const ColumnStats s = ComputeStats(Z.col(j).data(), n);
    // A constant column is normalised to 1 everywhere: sd 0.
    sd[j] = s.max > s.min ? s.SampleSd() : 0.0;
  }
  // Pearson correlations over units where both columns are present.
  Eigen::MatrixXd corr = Eigen::MatrixXd::Identity(m, m);
  for (Eigen::Index j = 0; j < m; ++j) {
    for (Eigen::Index k = j + 1; k < m; ++k) {
      if (sd[j] == 0.0 || sd[k] == 0.0) continue;  // taken as 0
      double sj = 0.0, sk = 0.0;
      long c = 0;
      for (Eigen::Index i = 0; i < n; ++i) {
        const double a = Z(i, j), b = Z(i, k);
        if (std::isnan(a) || std::isnan(b)) continue;
        sj += a;
        sk += b;
        ++c;
      }
      if (c < 2) continue;
      const double mj = sj / static_cast<double>(c), mk = sk / static_cast<double>(c);
      double sjk = 0.0, sjj = 0.0, skk = 0.0;
      for (Eigen::Index i = 0; i < n; ++i) {
        const double a = Z(i, j), b = Z(i, k);
        if (std::isnan(a) || std::isnan(b)) continue;
        sjk += (a - mj) * (b - mk);
        sjj += (a - mj) * (a - mj);
        skk += (b - mk) * (b - mk);
      }
      if (sjj > 0.0 && skk > 0.0) corr(j, k) = corr(k, j) = sjk / std::sqrt(sjj * skk);
    }
  }
  Eigen::VectorXd info(m);
  for (Eigen::Index j = 0; j < m; ++j) {
    info[j] = sd[j] * (1.0 - corr.row(j).array()).sum();
  }
  r.detail = info;
  if (!(info.sum() > 0.0))
    r.notes.push_back("every indicator carries no information; equal weights");
  r.weights = ToUnitSum(info);
  return r;
}

Eigen::VectorXd CombineAdditive(const Eigen::VectorXd& subjective, const Eigen::VectorXd& objective,
                                double alpha) {
  if (subjective.size() != objective.size()) {
    throw InputError(fmt::format("combined weights: {} subjective but {} objective weights",
                                 subjective.size(), objective.size()));
  }
  if (!(alpha >= 0.0 && alpha <= 1.0)) {
    throw InputError(
        fmt::format("combined weights: alpha = {}; expected a number in [0, 1]", alpha));
  }
  const int m = static_cast<int>(subjective.size());
  return alpha * NormalizeWeights(subjective, m, "subjective weights") +
         (1.0 - alpha) * NormalizeWeights(objective, m, "objective weights");
}

Eigen::VectorXd CombineMultiplicative(const Eigen::VectorXd& subjective,
                                      const Eigen::VectorXd& objective) {
  if (subjective.size() != objective.size()) {
    throw InputError(fmt::format("combined weights: {} subjective but {} objective weights",
                                 subjective.size(), objective.size()));
  }
  const int m = static_cast<int>(subjective.size());
  const Eigen::VectorXd p = NormalizeWeights(subjective, m, "subjective weights")
                                .cwiseProduct(NormalizeWeights(objective, m, "objective weights"));
  return ToUnitSum(p);
}

// ---------------------------------------------------------------------------
// Aggregation
// ---------------------------------------------------------------------------

namespace {

// Units per block in the second pass of TOPSIS and the composite: each
// column's slice of a block is 16 KiB (four pages, so that the hardware
// prefetcher keeps streaming), and the block's accumulators (16 KiB each)
// stay in L1 while a group of columns is added to them.
constexpr Eigen::Index kBlock = 2048;

// What the second pass needs of one column.
struct ColumnPlan {
  static constexpr size_t kNoBuffer = static_cast<size_t>(-1);
  const double* data = nullptr;  // the raw column or its materialised values
  size_t buffer = kNoBuffer;     // index of the materialised values, if any
  bool complete = false;         // no missing cell: unmasked loop
  double w = 0.0;                // the column's weight
  double c = 0.0;                // coefficient (see the users)
  double best = 0.0;             // ideal / offset (see the users)
  double worst = 0.0;            // anti-ideal (TOPSIS)
  // Own / best on a cost column, taken from the raw column (composite):
  // z = r / x where x > 0, missing otherwise.
  bool reciprocal = false;
  double r = 0.0;
};

// Final step of the arithmetic and geometric means: acc / wsum, NaN (noted)
// for a unit with no present indicator.
void FinishMean(Eigen::VectorXd& acc, const Eigen::VectorXd& wsum, bool geometric, Notes* notes) {
  long empty = 0;
  for (Eigen::Index i = 0; i < acc.size(); ++i) {
    if (wsum[i] > 0.0) {
      acc[i] = geometric ? std::exp(acc[i] / wsum[i]) : acc[i] / wsum[i];
    } else {
      acc[i] = kNaN;
      ++empty;
    }
  }
  if (empty > 0 && notes != nullptr) {
    notes->push_back(
        fmt::format("{} unit(s) have no present indicator with positive weight; score NaN", empty));
  }
}

// acc += w * z and wsum += w over the present cells of one column.
void Accumulate(const double* z, Eigen::Index n, double w, bool complete, double* acc,
                double* wsum) {
  if (complete) {
    for (Eigen::Index i = 0; i < n; ++i) {
      acc[i] += w * z[i];
      wsum[i] += w;
    }
  } else {
    for (Eigen::Index i = 0; i < n; ++i) {
      const bool present = !std::isnan(z[i]);
      acc[i] += present ? w * z[i] : 0.0;
      wsum[i] += present ? w : 0.0;
    }
  }
}

// Up to this many complete columns are added to a block of units in one
// loop, so that the block's accumulators are loaded and stored once per
// group rather than once per column.
constexpr int kGroup = 4;

// a[i] = (((a[i] + (c0 x0[i] + d0)) + (c1 x1[i] + d1)) + ...) over K complete
// columns, and ws[i] += w0, w1, ... when kWeights: the same additions in the
// same order as one column at a time (and so the same result).
template <int K, bool kWeights>
void AddLinear(const ColumnPlan* const* plans, Eigen::Index b0, Eigen::Index len,
               double* __restrict a, double* __restrict ws) {
  const double* x[K];
  double c[K], d[K], w[K];
  for (int k = 0; k < K; ++k) {
    x[k] = plans[k]->data + b0;
    c[k] = plans[k]->c;
    d[k] = plans[k]->best;
    w[k] = plans[k]->w;
  }
  for (Eigen::Index i = 0; i < len; ++i) {
    double s = a[i];
    for (int k = 0; k < K; ++k) s += c[k] * x[k][i] + d[k];
    a[i] = s;
  }
  if constexpr (kWeights) {
    for (Eigen::Index i = 0; i < len; ++i) {
      double s = ws[i];
      for (int k = 0; k < K; ++k) s += w[k];
      ws[i] = s;
    }
  }
}

// dp[i] += c (x - best)^2 and dm[i] += c (x - worst)^2 over K complete
// columns in order (TOPSIS), and ws[i] += w when kWeights.
template <int K, bool kWeights>
void AddDistances(const ColumnPlan* const* plans, Eigen::Index b0, Eigen::Index len,
                  double* __restrict dp, double* __restrict dm, double* __restrict ws) {
  const double* x[K];
  double c[K], best[K], worst[K], w[K];
  for (int k = 0; k < K; ++k) {
    x[k] = plans[k]->data + b0;
    c[k] = plans[k]->c;
    best[k] = plans[k]->best;
    worst[k] = plans[k]->worst;
    w[k] = plans[k]->w;
  }
  for (Eigen::Index i = 0; i < len; ++i) {
    double p = dp[i], m = dm[i];
    for (int k = 0; k < K; ++k) {
      const double q = x[k][i] - best[k], t = x[k][i] - worst[k];
      p += c[k] * q * q;
      m += c[k] * t * t;
    }
    dp[i] = p;
    dm[i] = m;
  }
  if constexpr (kWeights) {
    for (Eigen::Index i = 0; i < len; ++i) {
      double s = ws[i];
      for (int k = 0; k < K; ++k) s += w[k];
      ws[i] = s;
    }
  }
}

// Calls grouped.template operator()<K>(group) for runs of up to kGroup
// consecutive complete linear plans and other(plan) for every other plan, in
// plan order.
template <typename Grouped, typename Other>
void ForEachGroup(const std::vector<ColumnPlan>& plans, Grouped grouped, Other other) {
  const ColumnPlan* group[kGroup];
  int size = 0;
  const auto flush = [&] {
    switch (size) {
      case 1:
        grouped.template operator()<1>(group);
        break;
      case 2:
        grouped.template operator()<2>(group);
        break;
      case 3:
        grouped.template operator()<3>(group);
        break;
      case 4:
        grouped.template operator()<4>(group);
        break;
      default:
        break;
    }
    size = 0;
  };
  for (const ColumnPlan& p : plans) {
    if (p.complete && !p.reciprocal) {
      group[size++] = &p;
      if (size == kGroup) flush();
    } else {
      flush();
      other(p);
    }
  }
  flush();
}

// Sum of the plans' weights in plan order: every unit's weight sum when every
// planned column is complete.
double PlanWeightSum(const std::vector<ColumnPlan>& plans, bool* all_complete) {
  double s = 0.0;
  *all_complete = true;
  for (const ColumnPlan& p : plans) {
    s += p.w;
    *all_complete = *all_complete && p.complete;
  }
  return s;
}

// The last step of TOPSIS on one block of units, in place: d+ = sqrt(dp) / w,
// d- = sqrt(dm) / w, closeness d- / (d+ + d-) (0.5 where both are 0), NaN
// everywhere for a unit whose weight sum w is not positive. w is ws[k], or
// `wall` for every unit when ws is null. Without branches, so that on x86-64
// two units go through the square roots and divisions together (the same
// correctly rounded operations as one at a time). Counts the units with no
// weight (`empty`) and those at distance 0 from both (`tied`).
void FinishTopsis(double* dp, double* dm, const double* ws, double wall, double* closeness,
                  Eigen::Index len, long* empty, long* tied) {
  Eigen::Index k = 0;
#if defined(__SSE2__)
  const __m128d zero = _mm_setzero_pd(), half = _mm_set1_pd(0.5);
  const __m128d nan = _mm_set1_pd(kNaN), wconst = _mm_set1_pd(wall);
  const auto select = [](__m128d mask, __m128d a, __m128d b) {
    return _mm_or_pd(_mm_and_pd(mask, a), _mm_andnot_pd(mask, b));
  };
  for (; k + 2 <= len; k += 2) {
    const __m128d w = ws != nullptr ? _mm_loadu_pd(ws + k) : wconst;
    const __m128d plus = _mm_div_pd(_mm_sqrt_pd(_mm_loadu_pd(dp + k)), w);
    const __m128d minus = _mm_div_pd(_mm_sqrt_pd(_mm_loadu_pd(dm + k)), w);
    const __m128d sum = _mm_add_pd(plus, minus);
    const __m128d apart = _mm_cmpgt_pd(sum, zero);
    const __m128d valid = _mm_cmpgt_pd(w, zero);
    const __m128d c = select(apart, _mm_div_pd(minus, sum), half);
    _mm_storeu_pd(dp + k, select(valid, plus, nan));
    _mm_storeu_pd(dm + k, select(valid, minus, nan));
    _mm_storeu_pd(closeness + k, select(valid, c, nan));
    const int v = _mm_movemask_pd(valid), a = _mm_movemask_pd(apart);
    *empty += (~v & 1) + ((~v >> 1) & 1);
    *tied += (v & ~a & 1) + (((v & ~a) >> 1) & 1);
  }
#endif
  for (; k < len; ++k) {
    const double w = ws != nullptr ? ws[k] : wall;
    const double plus = std::sqrt(dp[k]) / w;
    const double minus = std::sqrt(dm[k]) / w;
    if (!(w > 0.0)) {
      closeness[k] = dp[k] = dm[k] = kNaN;
      ++*empty;
      continue;
    }
    dp[k] = plus;
    dm[k] = minus;
    if (plus + minus > 0.0) {
      closeness[k] = minus / (plus + minus);
    } else {
      closeness[k] = 0.5;
      ++*tied;
    }
  }
}

}  // namespace

Eigen::VectorXd WeightedArithmetic(const Eigen::MatrixXd& Z, const Eigen::VectorXd& weights,
                                   Notes* notes) {
  const Eigen::Index n = Z.rows(), m = Z.cols();
  const Eigen::VectorXd w = NormalizeWeights(weights, static_cast<int>(m));
  Eigen::VectorXd acc = Eigen::VectorXd::Zero(n), wsum = Eigen::VectorXd::Zero(n);
  for (Eigen::Index j = 0; j < m; ++j) {
    if (w[j] == 0.0) continue;
    const double* z = Z.col(j).data();
    Accumulate(z, n, w[j], !Z.col(j).hasNaN(), acc.data(), wsum.data());
  }
  FinishMean(acc, wsum, false, notes);
  return acc;
}

Eigen::VectorXd WeightedGeometric(const Eigen::MatrixXd& Z, const Eigen::VectorXd& weights,
                                  double epsilon, Notes* notes) {
  const Eigen::Index n = Z.rows(), m = Z.cols();
  if (!(epsilon > 0.0) || !std::isfinite(epsilon)) {
    throw InputError(fmt::format("geometric mean epsilon: {}; expected a number > 0", epsilon));
  }
  const Eigen::VectorXd w = NormalizeWeights(weights, static_cast<int>(m));
  Eigen::VectorXd acc = Eigen::VectorXd::Zero(n), wsum = Eigen::VectorXd::Zero(n);
  long raised = 0;
  for (Eigen::Index j = 0; j < m; ++j) {
    if (w[j] == 0.0) continue;
    for (Eigen::Index i = 0; i < n; ++i) {
      double z = Z(i, j);
      if (std::isnan(z)) continue;
      if (z < epsilon) {
        z = epsilon;
        ++raised;
      }
      acc[i] += w[j] * std::log(z);
      wsum[i] += w[j];
    }
  }
  if (raised > 0 && notes != nullptr) {
    notes->push_back(fmt::format(
        "geometric mean: {} value(s) below {} raised to {} (zeros and negatives have no log)",
        raised, epsilon, epsilon));
  }
  FinishMean(acc, wsum, true, notes);
  return acc;
}

namespace {

// Pass 1 of Topsis, column by column: statistics and the plan of each column. For a
// linear map v = wj (a x + b) is monotone in x, so the ideal sits at the
// raw max (a >= 0) or min (a < 0) and v - v* = wj a (x - x*): the pass over
// the units needs only c = (wj a)^2 and the raw ideal / anti-ideal. Other
// maps (rank, own/best for cost) are materialised in `buffers` and used with c = wj^2.
void PlanTopsisColumns(const Eigen::MatrixXd& X, const std::vector<bool>& dir,
                       const Eigen::VectorXd& w, Normalization normalization, Notes* notes,
                       std::vector<ColumnPlan>& plans, std::vector<std::vector<double>>& buffers) {
  const Eigen::Index n = X.rows(), m = X.cols();
  std::vector<Eigen::Index> order;
  for (Eigen::Index j = 0; j < m; ++j) {
    const double* x = X.col(j).data();
    const ColumnStats s = ComputeStats(x, n, normalization, dir[j], true);
    const ColumnMap map = MakeMap(s, dir[j], normalization, j, notes);
    const double wj = w[j];
    if (map.kind == ColumnMap::kMissing || wj == 0.0) continue;
    ColumnPlan p;
    p.w = wj;
    if (map.kind == ColumnMap::kLinear) {
      p.data = x;
      p.complete = s.count == n;
      p.best = map.a >= 0.0 ? s.max : s.min;
      p.worst = map.a >= 0.0 ? s.min : s.max;
      p.c = (wj * map.a) * (wj * map.a);
    } else {
      buffers.emplace_back(static_cast<size_t>(n));
      std::vector<double>& z = buffers.back();
      ApplyMap(map, x, n, dir[j], z.data(), order);
      p.best = -std::numeric_limits<double>::infinity();
      p.worst = std::numeric_limits<double>::infinity();
      bool complete = true;
      for (const double v : z) {
        if (std::isnan(v)) {
          complete = false;
          continue;
        }
        p.best = std::max(p.best, v);
        p.worst = std::min(p.worst, v);
      }
      if (!(p.best >= p.worst)) continue;  // nothing defined
      p.buffer = buffers.size() - 1;
      p.complete = complete;
      p.c = wj * wj;
    }
    plans.push_back(p);
  }
  for (ColumnPlan& p : plans) {
    if (p.buffer != ColumnPlan::kNoBuffer) p.data = buffers[p.buffer].data();
  }
}

// Pass 2 of Topsis, over blocks of units: the squared distances accumulate in place
// in d_plus and d_minus, whose block slices stay in L1 while every
// column's slice of the block is read once. When every planned column is
// complete, each unit's weight sum is the same and is not accumulated.
void TopsisDistances(const std::vector<ColumnPlan>& plans, Eigen::Index n, TopsisResult& r,
                     long* empty, long* tied) {
  bool all_complete = true;
  const double wall = PlanWeightSum(plans, &all_complete);
  std::vector<double> wsum(all_complete ? 0 : static_cast<size_t>(n));
  for (Eigen::Index b0 = 0; b0 < n; b0 += kBlock) {
    const Eigen::Index len = std::min<Eigen::Index>(kBlock, n - b0);
    double* dp = r.d_plus.data() + b0;
    double* dm = r.d_minus.data() + b0;
    double* ws = all_complete ? nullptr : wsum.data() + b0;
    std::fill(dp, dp + len, 0.0);
    std::fill(dm, dm + len, 0.0);
    if (ws != nullptr) std::fill(ws, ws + len, 0.0);
    ForEachGroup(
        plans,
        [&]<int K>(const ColumnPlan* const* group) {
          if (ws != nullptr) {
            AddDistances<K, true>(group, b0, len, dp, dm, ws);
          } else {
            AddDistances<K, false>(group, b0, len, dp, dm, nullptr);
          }
        },
        [&](const ColumnPlan& p) {
          const double* x = p.data + b0;
          const double c = p.c, best = p.best, worst = p.worst, wj = p.w;
          for (Eigen::Index i = 0; i < len; ++i) {
            const bool present = x[i] == x[i];
            const double q = present ? x[i] - best : 0.0, t = present ? x[i] - worst : 0.0;
            dp[i] += c * q * q;
            dm[i] += c * t * t;
            ws[i] += present ? wj : 0.0;
          }
        });
    FinishTopsis(dp, dm, ws, wall, r.closeness.data() + b0, len, empty, tied);
  }
}

}  // namespace

TopsisResult Topsis(const Eigen::MatrixXd& X, const std::vector<bool>& cost,
                    const Eigen::VectorXd& weights, Normalization normalization) {
  const Eigen::Index n = X.rows(), m = X.cols();
  const std::vector<bool> dir = ExpandDirections(cost, static_cast<int>(m));
  const Eigen::VectorXd w = NormalizeWeights(weights, static_cast<int>(m));
  TopsisResult r;
  std::vector<ColumnPlan> plans;
  std::vector<std::vector<double>> buffers;
  PlanTopsisColumns(X, dir, w, normalization, &r.notes, plans, buffers);
  r.closeness.resize(n);
  r.d_plus.resize(n);
  r.d_minus.resize(n);
  long empty = 0, tied = 0;
  TopsisDistances(plans, n, r, &empty, &tied);
  if (empty > 0) {
    r.notes.push_back(fmt::format("{} unit(s) have no present indicator; closeness NaN", empty));
  }
  if (tied > 0) {
    r.notes.push_back(fmt::format(
        "{} unit(s) are at distance 0 from both the ideal and the anti-ideal; closeness 0.5",
        tied));
  }
  return r;
}

namespace {

// One column of GreyRelational: its map and where its best value lies.
struct GreyColumn {
  ColumnMap map;
  double best = 0.0;      // raw best value (linear maps)
  double scale = 0.0;     // |a|: delta = scale * |x - best|
  std::vector<double> z;  // materialised values (non-linear maps)
  double zbest = 0.0;
  bool present = false;
};

// Pass 1 of GreyRelational: per-column maps and the global delta range, returned. With the
// reference at each column's best value, delta_min is 0 whenever a cell is present.
double PlanGreyColumns(const Eigen::MatrixXd& X, const std::vector<bool>& dir,
                       Normalization normalization, Notes* notes, std::vector<GreyColumn>& cols) {
  const Eigen::Index n = X.rows(), m = X.cols();
  std::vector<Eigen::Index> order;
  double delta_max = 0.0;
  for (Eigen::Index j = 0; j < m; ++j) {
    GreyColumn& c = cols[static_cast<size_t>(j)];
    const double* x = X.col(j).data();
    const ColumnStats s = ComputeStats(x, n, normalization, dir[j], true);
    c.map = MakeMap(s, dir[j], normalization, j, notes);
    if (c.map.kind == ColumnMap::kMissing) continue;
    c.present = true;
    if (c.map.kind == ColumnMap::kLinear) {
      c.best = c.map.a >= 0.0 ? s.max : s.min;
      c.scale = std::abs(c.map.a);
      delta_max = std::max(delta_max, c.scale * (s.max - s.min));
    } else {
      c.z.resize(static_cast<size_t>(n));
      ApplyMap(c.map, x, n, dir[j], c.z.data(), order);
      double zmax = -std::numeric_limits<double>::infinity();
      double zmin = std::numeric_limits<double>::infinity();
      for (const double z : c.z) {
        if (std::isnan(z)) continue;
        zmax = std::max(zmax, z);
        zmin = std::min(zmin, z);
      }
      if (zmax >= zmin) {
        c.zbest = zmax;
        delta_max = std::max(delta_max, zmax - zmin);
      } else {
        c.present = false;
      }
    }
  }
  return delta_max;
}

// Pass 2 of GreyRelational: coefficients, accumulated column by column.
void AddGreyCoefficients(const Eigen::MatrixXd& X, const std::vector<GreyColumn>& cols,
                         const Eigen::VectorXd& w, double rd, Eigen::VectorXd& acc,
                         Eigen::VectorXd& wsum) {
  const Eigen::Index n = X.rows(), m = X.cols();
  for (Eigen::Index j = 0; j < m; ++j) {
    const GreyColumn& c = cols[static_cast<size_t>(j)];
    const double wj = w[j];
    if (!c.present || wj == 0.0) continue;
    double* a = acc.data();
    double* ws = wsum.data();
    if (c.map.kind == ColumnMap::kLinear) {
      const double* x = X.col(j).data();
      for (Eigen::Index i = 0; i < n; ++i) {
        if (std::isnan(x[i])) continue;
        const double delta = c.scale * std::abs(x[i] - c.best);
        a[i] += wj * (rd > 0.0 ? rd / (delta + rd) : 1.0);
        ws[i] += wj;
      }
    } else {
      for (Eigen::Index i = 0; i < n; ++i) {
        const double z = c.z[static_cast<size_t>(i)];
        if (std::isnan(z)) continue;
        const double delta = c.zbest - z;
        a[i] += wj * (rd > 0.0 ? rd / (delta + rd) : 1.0);
        ws[i] += wj;
      }
    }
  }
}

}  // namespace

GreyRelationalResult GreyRelational(const Eigen::MatrixXd& X, const std::vector<bool>& cost,
                                    const Eigen::VectorXd& weights, double rho,
                                    Normalization normalization) {
  const Eigen::Index n = X.rows(), m = X.cols();
  const std::vector<bool> dir = ExpandDirections(cost, static_cast<int>(m));
  const Eigen::VectorXd w = NormalizeWeights(weights, static_cast<int>(m));
  if (!(rho > 0.0 && rho <= 1.0)) {
    throw InputError(fmt::format("grey relational rho: {}; expected a number in (0, 1]", rho));
  }
  GreyRelationalResult r;
  std::vector<GreyColumn> cols(static_cast<size_t>(m));
  const double delta_max = PlanGreyColumns(X, dir, normalization, &r.notes, cols);
  Eigen::VectorXd acc = Eigen::VectorXd::Zero(n), wsum = Eigen::VectorXd::Zero(n);
  if (!(delta_max > 0.0)) {
    r.notes.push_back("every unit equals the reference series; every coefficient is 1");
  }
  const double rd = rho * delta_max;  // delta_min = 0
  AddGreyCoefficients(X, cols, w, rd, acc, wsum);
  FinishMean(acc, wsum, false, &r.notes);
  r.grade = acc;
  return r;
}

namespace {

// Pass 1 of CompositeArithmetic: per column, wj (a x + b) = (wj a) x + wj b for linear maps
// (kept in `c` and `best`) and wj (r / x) for own / best on a cost column, both
// read from X; ranks are materialised in `buffers` and taken with wj, 0.
void PlanArithmeticColumns(const Eigen::MatrixXd& X, const std::vector<bool>& dir,
                           const Eigen::VectorXd& w, Normalization method, Notes* notes,
                           std::vector<ColumnPlan>& plans,
                           std::vector<std::vector<double>>& buffers) {
  const Eigen::Index n = X.rows(), m = X.cols();
  std::vector<Eigen::Index> order;
  for (Eigen::Index j = 0; j < m; ++j) {
    const double* x = X.col(j).data();
    const ColumnStats s = ComputeStats(x, n, method, dir[j], false);
    const ColumnMap map = MakeMap(s, dir[j], method, j, notes);
    const double wj = w[j];
    if (map.kind == ColumnMap::kMissing || wj == 0.0) continue;
    ColumnPlan p;
    p.w = wj;
    if (map.kind == ColumnMap::kLinear) {
      p.data = x;
      p.complete = s.count == n;
      p.c = wj * map.a;
      p.best = wj * map.b;
    } else if (map.kind == ColumnMap::kReciprocal) {
      p.data = x;
      p.reciprocal = true;
      p.complete = s.count == n && s.min > 0.0;
      p.r = map.a;
      p.c = wj;
      p.best = 0.0;
    } else {
      buffers.emplace_back(static_cast<size_t>(n));
      std::vector<double>& z = buffers.back();
      ApplyMap(map, x, n, dir[j], z.data(), order);
      p.buffer = buffers.size() - 1;
      p.complete = std::none_of(z.begin(), z.end(), [](double v) { return std::isnan(v); });
      p.c = wj;
      p.best = 0.0;
    }
    plans.push_back(p);
  }
  for (ColumnPlan& p : plans) {
    if (p.buffer != ColumnPlan::kNoBuffer) p.data = buffers[p.buffer].data();
  }
}

// Pass 2 of CompositeArithmetic over blocks of units (see Topsis); the scores accumulate in
// place in `acc`, the weight sums in `wsum` unless it is empty (every column complete).
void AccumulateArithmetic(const std::vector<ColumnPlan>& plans, Eigen::Index n, bool all_complete,
                          Eigen::VectorXd& acc, Eigen::VectorXd& wsum) {
  for (Eigen::Index b0 = 0; b0 < n; b0 += kBlock) {
    const Eigen::Index len = std::min<Eigen::Index>(kBlock, n - b0);
    double* a = acc.data() + b0;
    double* ws = all_complete ? nullptr : wsum.data() + b0;
    std::fill(a, a + len, 0.0);
    if (ws != nullptr) std::fill(ws, ws + len, 0.0);
    ForEachGroup(
        plans,
        [&]<int K>(const ColumnPlan* const* group) {
          if (ws != nullptr) {
            AddLinear<K, true>(group, b0, len, a, ws);
          } else {
            AddLinear<K, false>(group, b0, len, a, nullptr);
          }
        },
        [&](const ColumnPlan& p) {
          const double* x = p.data + b0;
          const double c = p.c, d = p.best, wj = p.w, r = p.r;
          if (p.reciprocal && p.complete) {
            for (Eigen::Index i = 0; i < len; ++i) a[i] += c * (r / x[i]) + d;
            if (ws != nullptr) {
              for (Eigen::Index i = 0; i < len; ++i) ws[i] += wj;
            }
          } else if (p.reciprocal) {
            for (Eigen::Index i = 0; i < len; ++i) {
              const bool present = x[i] > 0.0;
              const double z = r / x[i];
              a[i] += present ? c * z + d : 0.0;
              ws[i] += present ? wj : 0.0;
            }
          } else {
            for (Eigen::Index i = 0; i < len; ++i) {
              const bool present = x[i] == x[i];
              a[i] += present ? c * x[i] + d : 0.0;
              ws[i] += present ? wj : 0.0;
            }
          }
        });
  }
}

}  // namespace

Eigen::VectorXd CompositeArithmetic(const Eigen::MatrixXd& X, const std::vector<bool>& cost,
                                    const Eigen::VectorXd& weights, Normalization method,
                                    Notes* notes) {
  const Eigen::Index n = X.rows(), m = X.cols();
  const std::vector<bool> dir = ExpandDirections(cost, static_cast<int>(m));
  const Eigen::VectorXd w = NormalizeWeights(weights, static_cast<int>(m));
  std::vector<ColumnPlan> plans;
  std::vector<std::vector<double>> buffers;
  PlanArithmeticColumns(X, dir, w, method, notes, plans, buffers);
  bool all_complete = true;
  const double wall = PlanWeightSum(plans, &all_complete);
  Eigen::VectorXd acc(n), wsum(all_complete ? 0 : n);
  AccumulateArithmetic(plans, n, all_complete, acc, wsum);
  if (all_complete) {
    // Every unit has the weight sum `wall`.
    if (wall > 0.0) {
      for (Eigen::Index i = 0; i < n; ++i) acc[i] = acc[i] / wall;
    } else {
      acc.setConstant(kNaN);
      if (n > 0 && notes != nullptr) {
        notes->push_back(
            fmt::format("{} unit(s) have no present indicator with positive weight; score NaN", n));
      }
    }
    return acc;
  }
  FinishMean(acc, wsum, false, notes);
  return acc;
}

}  // namespace evalsim::mcda
