#include "sim/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <numeric>

namespace evalsim {
namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "evalsim: internal error: metrics: %s\n", what);
  std::abort();
}

// A strict weak order on doubles that stays valid with NaN (NaN sorts below
// every number and equal to itself), so that a model returning NaN cannot
// make std::sort misbehave. Finite inputs order as usual.
bool Less(double a, double b) {
  if (std::isnan(a)) return !std::isnan(b);
  if (std::isnan(b)) return false;
  return a < b;
}
bool Same(double a, double b) { return !Less(a, b) && !Less(b, a); }

// Number of unordered pairs within a group of t tied elements.
int64_t Pairs(int64_t t) { return t * (t - 1) / 2; }

// Sum of Pairs(run length) over runs of equal values in v[order[i]].
int64_t TiedPairs(const Eigen::VectorXd& v, const std::vector<int>& order) {
  int64_t sum = 0, run = 1;
  for (size_t i = 1; i < order.size(); ++i) {
    if (Same(v[order[i]], v[order[i - 1]])) {
      ++run;
    } else {
      sum += Pairs(run);
      run = 1;
    }
  }
  return sum + Pairs(run);
}

// Stable merge sort of `idx` by y (ascending) that returns the number of
// swaps, i.e. pairs that are in order by (x, y) but strictly out of order by
// y: the discordant pairs of Knight's algorithm.
int64_t MergeSortSwaps(const Eigen::VectorXd& y, std::vector<int>& idx) {
  const size_t n = idx.size();
  std::vector<int> buf(n);
  int64_t swaps = 0;
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      const size_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
      size_t i = lo, j = mid, out = lo;
      while (i < mid && j < hi) {
        if (Less(y[idx[j]], y[idx[i]])) {
          // idx[j] jumps ahead of every element still waiting on the left.
          swaps += static_cast<int64_t>(mid - i);
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
  return swaps;
}

// Pearson correlation; 0 when either side has no variance.
double Pearson(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  const Eigen::Index n = a.size();
  if (n < 2) return 0.0;
  const double ma = a.mean(), mb = b.mean();
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double da = a[i] - ma, db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa <= 0.0 || sbb <= 0.0) return 0.0;
  return std::clamp(sab / std::sqrt(saa * sbb), -1.0, 1.0);
}

}  // namespace

std::vector<int> CompetitionRanks(const Eigen::VectorXd& key, const Eigen::VectorXd& tiebreak) {
  const int n = static_cast<int>(key.size());
  const bool has_tiebreak = tiebreak.size() > 0;
  if (has_tiebreak && tiebreak.size() != key.size()) Fail("tiebreak size differs from key size");
  // "Better than": higher key, then higher tiebreak.
  auto better = [&](int a, int b) {
    if (Less(key[b], key[a])) return true;
    if (Less(key[a], key[b])) return false;
    return has_tiebreak && Less(tiebreak[b], tiebreak[a]);
  };
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), better);
  std::vector<int> rank(n);
  for (int i = 0; i < n; ++i) {
    const bool tied_with_previous = i > 0 && !better(order[i - 1], order[i]);
    rank[order[i]] = tied_with_previous ? rank[order[i - 1]] : i + 1;
  }
  return rank;
}

Eigen::VectorXd OrderKey(const Eigen::VectorXd& key, const Eigen::VectorXd& tiebreak) {
  if (tiebreak.size() == 0) return key;
  return OrderKey(key, tiebreak, CompetitionRanks(key, tiebreak));
}

Eigen::VectorXd OrderKey(const Eigen::VectorXd& key, const Eigen::VectorXd& tiebreak,
                         const std::vector<int>& rank) {
  if (tiebreak.size() == 0) return key;
  Eigen::VectorXd out(key.size());
  for (Eigen::Index i = 0; i < key.size(); ++i) out[i] = -static_cast<double>(rank[i]);
  return out;
}

Eigen::VectorXd AverageRanks(const Eigen::VectorXd& x) {
  const int n = static_cast<int>(x.size());
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return Less(x[a], x[b]); });
  Eigen::VectorXd r(n);
  for (int i = 0; i < n;) {
    int j = i + 1;
    while (j < n && Same(x[order[j]], x[order[i]])) ++j;
    // Positions i+1 .. j (1-based) share their mean.
    const double mean = 0.5 * (i + 1 + j);
    for (int m = i; m < j; ++m) r[order[m]] = mean;
    i = j;
  }
  return r;
}

double Spearman(const Eigen::VectorXd& x, const Eigen::VectorXd& y) {
  if (x.size() != y.size()) Fail("Spearman: sizes differ");
  return Pearson(AverageRanks(x), AverageRanks(y));
}

double SpearmanAgainstRanks(const Eigen::VectorXd& x, const Eigen::VectorXd& y_ranks) {
  if (x.size() != y_ranks.size()) Fail("Spearman: sizes differ");
  return Pearson(AverageRanks(x), y_ranks);
}

double KendallTauB(const Eigen::VectorXd& x, const Eigen::VectorXd& y) {
  if (x.size() != y.size()) Fail("KendallTauB: sizes differ");
  const int n = static_cast<int>(x.size());
  if (n < 2) return 0.0;
  std::vector<int> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](int a, int b) {
    if (Less(x[a], x[b])) return true;
    if (Less(x[b], x[a])) return false;
    if (Less(y[a], y[b])) return true;
    if (Less(y[b], y[a])) return false;
    return a < b;
  });
  const int64_t n0 = Pairs(n);
  const int64_t n1 = TiedPairs(x, idx);  // pairs tied in x
  int64_t n3 = 0;                        // pairs tied in both x and y
  {
    int64_t run = 1;
    for (int i = 1; i < n; ++i) {
      if (Same(x[idx[i]], x[idx[i - 1]]) && Same(y[idx[i]], y[idx[i - 1]])) {
        ++run;
      } else {
        n3 += Pairs(run);
        run = 1;
      }
    }
    n3 += Pairs(run);
  }
  // Within an x-tie group the elements are already sorted by y, so the merge
  // sort counts only pairs that differ in x and are reversed in y.
  const int64_t swaps = MergeSortSwaps(y, idx);
  const int64_t n2 = TiedPairs(y, idx);  // pairs tied in y (idx is now sorted by y)
  if (n0 == n1 || n0 == n2) return 0.0;  // a constant side
  // concordant - discordant = n0 - n1 - n2 + n3 - 2 * swaps.
  const int64_t num = n0 - n1 - n2 + n3 - 2 * swaps;
  const double den =
      std::sqrt(static_cast<double>(n0 - n1)) * std::sqrt(static_cast<double>(n0 - n2));
  return std::clamp(static_cast<double>(num) / den, -1.0, 1.0);
}

Eigen::VectorXd TopKMembership(const Eigen::VectorXd& key, int k) {
  const int n = static_cast<int>(key.size());
  k = std::clamp(k, 0, n);
  Eigen::VectorXd m = Eigen::VectorXd::Zero(n);
  if (k == 0) return m;
  std::vector<double> sorted(key.data(), key.data() + n);
  // The k-th largest value: the boundary.
  std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(),
                   [](double a, double b) { return Less(b, a); });
  const double boundary = sorted[k - 1];
  int above = 0, tied = 0;
  for (int i = 0; i < n; ++i) {
    if (Less(boundary, key[i])) ++above;
    if (Same(boundary, key[i])) ++tied;
  }
  // The tie group at the boundary shares the slots left after the strictly
  // better elements: every element's expected membership under a uniformly
  // random tie-break.
  const double share = static_cast<double>(k - above) / tied;
  for (int i = 0; i < n; ++i) {
    if (Less(boundary, key[i])) m[i] = 1.0;
    if (Same(boundary, key[i])) m[i] = share;
  }
  return m;
}

Eigen::VectorXd BottomKMembership(const Eigen::VectorXd& key, int k) {
  return TopKMembership(-key, k);
}

// `model` and `truth` are keys. Because TopKMembership maps a top-k
// membership vector to itself, passing memberships instead of keys gives the
// same result.
double TopKPrecision(const Eigen::VectorXd& model, const Eigen::VectorXd& truth, int k) {
  if (model.size() != truth.size()) Fail("TopKPrecision: sizes differ");
  k = std::clamp(k, 0, static_cast<int>(model.size()));
  if (k == 0) return std::numeric_limits<double>::quiet_NaN();
  const Eigen::VectorXd a = TopKMembership(model, k), b = TopKMembership(truth, k);
  return a.cwiseMin(b).sum() / k;
}

double WeightedJaccard(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  if (a.size() != b.size()) Fail("WeightedJaccard: sizes differ");
  double lo = 0.0, hi = 0.0;
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    lo += std::min(a[i], b[i]);
    hi += std::max(a[i], b[i]);
  }
  return hi > 0.0 ? lo / hi : 1.0;
}

int QuotaCount(double share, int n) {
  if (n <= 0 || !(share > 0.0)) return 0;
  const double x = share * static_cast<double>(n);
  // A product that is an integer up to rounding (0.07 * 100 = 7.000000000000001)
  // counts as that integer: users write shares meaning exact fractions.
  const double nearest = std::round(x);
  const double k = std::abs(x - nearest) <= 1e-9 * std::max(1.0, x) ? nearest : std::ceil(x);
  return static_cast<int>(std::clamp(k, 1.0, static_cast<double>(n)));
}

Interval MeanInterval(std::span<const double> values) {
  Interval out;
  const size_t m = values.size();
  if (m == 0) {
    out.value = out.lo = out.hi = std::numeric_limits<double>::quiet_NaN();
    return out;
  }
  double sum = 0.0;
  for (double v : values) sum += v;
  out.value = sum / static_cast<double>(m);
  if (m < 2) {
    out.lo = out.hi = out.value;
    return out;
  }
  double ss = 0.0;
  for (double v : values) ss += (v - out.value) * (v - out.value);
  const double sd = std::sqrt(ss / static_cast<double>(m - 1));
  const double half = 1.96 * sd / std::sqrt(static_cast<double>(m));
  out.lo = out.value - half;
  out.hi = out.value + half;
  return out;
}

double Quantile(std::vector<double> values, double p) {
  const size_t n = values.size();
  if (n == 0 || std::isnan(p)) return std::numeric_limits<double>::quiet_NaN();
  p = std::clamp(p, 0.0, 1.0);
  const double h = static_cast<double>(n - 1) * p;
  const size_t lo = std::min(static_cast<size_t>(std::floor(h)), n - 1);
  std::nth_element(values.begin(), values.begin() + lo, values.end(), Less);
  const double x_lo = values[lo];
  if (lo + 1 >= n) return x_lo;
  // After nth_element the next order statistic is the least of the rest.
  const double x_hi = *std::min_element(values.begin() + lo + 1, values.end(), Less);
  const double frac = h - static_cast<double>(lo);
  return frac == 0.0 ? x_lo : x_lo + frac * (x_hi - x_lo);
}

double RankIntervalWidth(const Eigen::MatrixXd& ranks) {
  const Eigen::Index n = ranks.rows(), m = ranks.cols();
  if (n == 0 || m == 0) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> widths(n), row(m);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < m; ++j) row[j] = ranks(i, j);
    widths[i] = (Quantile(row, 0.95) - Quantile(row, 0.05)) / static_cast<double>(n);
  }
  return Quantile(std::move(widths), 0.5);
}

}  // namespace evalsim
