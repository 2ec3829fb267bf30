#include "sim/core/metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numeric>

#include "sim/core/check.h"

namespace evalsim {
namespace {

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

// An unsigned integer that orders like Less and is equal exactly when Same
// is true: NaN maps to 0 (below -inf), -0 to +0, and the IEEE bits of the
// rest are flipped so that unsigned order is numeric order.
uint64_t OrderBits(double v) {
  if (std::isnan(v)) return 0;
  if (v == 0.0) v = 0.0;
  uint64_t u = 0;
  std::memcpy(&u, &v, sizeof u);
  return (u >> 63) != 0 ? ~u : (u | (uint64_t{1} << 63));
}

struct Item {
  uint64_t key;
  uint32_t index;
};

// Stable LSD radix sort of `a` by key, ascending, 8-bit digits; a digit all
// items share costs no pass. Linear in n: at 1.6 million elements it is
// several times faster than a comparison sort through an index.
void RadixSort(std::vector<Item>& a, std::vector<Item>& buf) {
  const size_t n = a.size();
  if (n < 2) return;
  std::vector<std::array<uint32_t, 256>> count(8);
  for (auto& c : count) c.fill(0);
  for (const Item& it : a)
    for (int d = 0; d < 8; ++d) ++count[d][(it.key >> (8 * d)) & 255];
  buf.resize(n);
  for (int d = 0; d < 8; ++d) {
    std::array<uint32_t, 256>& c = count[d];
    if (c[(a[0].key >> (8 * d)) & 255] == n) continue;
    uint32_t sum = 0;
    for (uint32_t& x : c) {
      const uint32_t t = x;
      x = sum;
      sum += t;
    }
    for (const Item& it : a) buf[c[(it.key >> (8 * d)) & 255]++] = it;
    a.swap(buf);
  }
}

// Below this size a comparison sort beats the radix sort's fixed cost.
constexpr int kRadixMin = 512;

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

KeyOrder SortKey(const Eigen::VectorXd& key, const Eigen::VectorXd& tiebreak) {
  const int n = static_cast<int>(key.size());
  const bool has_tiebreak = tiebreak.size() > 0;
  EVALSIM_CHECK(!(has_tiebreak && tiebreak.size() != key.size()),
                "metrics: tiebreak size differs from key size");
  KeyOrder o;
  o.order.resize(n);
  // Best first = ascending in the complemented bits; equal pairs keep index order.
  auto kbits = [&](int i) { return ~OrderBits(key[i]); };
  auto tbits = [&](int i) { return has_tiebreak ? ~OrderBits(tiebreak[i]) : uint64_t{0}; };
  if (n < kRadixMin) {
    std::iota(o.order.begin(), o.order.end(), 0);
    std::sort(o.order.begin(), o.order.end(), [&](int a, int b) {
      const uint64_t ka = kbits(a), kb = kbits(b);
      if (ka != kb) return ka < kb;
      const uint64_t ta = tbits(a), tb = tbits(b);
      if (ta != tb) return ta < tb;
      return a < b;
    });
    o.group_start.push_back(0);
    for (int p = 1; p < n; ++p) {
      const int a = o.order[p - 1], b = o.order[p];
      if (kbits(a) != kbits(b) || tbits(a) != tbits(b)) o.group_start.push_back(p);
    }
  } else {
    std::vector<Item> a(n), buf;
    if (has_tiebreak) {
      // LSD: the minor key (tiebreak) first, then a stable pass on the key.
      for (int i = 0; i < n; ++i) a[i] = {tbits(i), static_cast<uint32_t>(i)};
      RadixSort(a, buf);
      for (Item& it : a) it.key = kbits(static_cast<int>(it.index));
    } else {
      for (int i = 0; i < n; ++i) a[i] = {kbits(i), static_cast<uint32_t>(i)};
    }
    RadixSort(a, buf);
    // Groups from the sorted key images (a sequential read); the tiebreak,
    // when there is one, is looked up only where the keys are equal.
    o.group_start.push_back(0);
    for (int p = 0; p < n; ++p) {
      o.order[p] = static_cast<int>(a[p].index);
      if (p > 0 && (a[p].key != a[p - 1].key || tbits(o.order[p]) != tbits(o.order[p - 1])))
        o.group_start.push_back(p);
    }
  }
  if (n > 0) o.group_start.push_back(n);
  o.last_group_nan = !has_tiebreak && n > 0 && std::isnan(key[o.order[n - 1]]);
  return o;
}

std::vector<int> CompetitionRanks(const KeyOrder& o) {
  std::vector<int> rank(o.size());
  for (int g = 0; g < o.groups(); ++g)
    for (int p = o.group_start[g]; p < o.group_start[g + 1]; ++p)
      rank[o.order[p]] = o.group_start[g] + 1;
  return rank;
}

Eigen::VectorXd AverageRanks(const KeyOrder& o) {
  const int n = o.size();
  Eigen::VectorXd r(n);
  for (int g = 0; g < o.groups(); ++g) {
    // Best-first positions [i, j) are ascending positions [n - j, n - i):
    // 1-based n - j + 1 .. n - i share their mean (the same integer sum as
    // AverageRanks' own, so the same double).
    const int i = o.group_start[g], j = o.group_start[g + 1];
    const double mean = 0.5 * ((n - j) + 1 + (n - i));
    for (int p = i; p < j; ++p) r[o.order[p]] = mean;
  }
  return r;
}

Eigen::VectorXd TopKMembership(const KeyOrder& o, int k) {
  const int n = o.size();
  k = std::clamp(k, 0, n);
  Eigen::VectorXd m = Eigen::VectorXd::Zero(n);
  if (k == 0) return m;
  // The group holding best-first position k - 1 is the boundary tie group.
  const int g =
      static_cast<int>(std::upper_bound(o.group_start.begin(), o.group_start.end(), k - 1) -
                       o.group_start.begin() - 1);
  const int above = o.group_start[g], end = o.group_start[g + 1];
  const double share = static_cast<double>(k - above) / (end - above);
  for (int p = 0; p < above; ++p) m[o.order[p]] = 1.0;
  for (int p = above; p < end; ++p) m[o.order[p]] = share;
  return m;
}

Eigen::VectorXd BottomKMembership(const KeyOrder& o, int k) {
  const int n = o.size(), G = o.groups();
  k = std::clamp(k, 0, n);
  Eigen::VectorXd m = Eigen::VectorXd::Zero(n);
  if (k == 0) return m;
  // Lowest keys first; a NaN key group (lowest under Less) comes last, as in
  // TopKMembership(-key), where NaN stays the lowest.
  std::vector<int> seq;
  seq.reserve(G);
  const int last = o.last_group_nan ? G - 2 : G - 1;
  for (int g = last; g >= 0; --g) seq.push_back(g);
  if (o.last_group_nan) seq.push_back(G - 1);
  int above = 0;
  for (int g : seq) {
    const int i = o.group_start[g], j = o.group_start[g + 1], size = j - i;
    if (above + size >= k) {
      const double share = static_cast<double>(k - above) / size;
      for (int p = i; p < j; ++p) m[o.order[p]] = share;
      break;
    }
    for (int p = i; p < j; ++p) m[o.order[p]] = 1.0;
    above += size;
  }
  return m;
}

double SpearmanAgainstRanks(const KeyOrder& x, const Eigen::VectorXd& y_ranks) {
  EVALSIM_CHECK(x.size() == y_ranks.size(), "metrics: Spearman: sizes differ");
  return Pearson(AverageRanks(x), y_ranks);
}

TauReference MakeTauReference(const Eigen::VectorXd& y) {
  const int n = static_cast<int>(y.size());
  TauReference t;
  t.order.resize(n);
  if (n < kRadixMin) {
    std::iota(t.order.begin(), t.order.end(), 0);
    std::sort(t.order.begin(), t.order.end(), [&](int a, int b) {
      const uint64_t ya = OrderBits(y[a]), yb = OrderBits(y[b]);
      return ya != yb ? ya < yb : a < b;
    });
  } else {
    std::vector<Item> a(n), buf;
    for (int i = 0; i < n; ++i) a[i] = {OrderBits(y[i]), static_cast<uint32_t>(i)};
    RadixSort(a, buf);
    for (int i = 0; i < n; ++i) t.order[i] = static_cast<int>(a[i].index);
  }
  t.dense.resize(n);
  int d = 0;
  int64_t run = 1;
  for (int p = 0; p < n; ++p) {
    if (p > 0) {
      if (OrderBits(y[t.order[p]]) != OrderBits(y[t.order[p - 1]])) {
        ++d;
        t.tied_pairs += Pairs(run);
        run = 1;
      } else {
        ++run;
      }
    }
    t.dense[t.order[p]] = d;
  }
  if (n > 0) t.tied_pairs += Pairs(run);
  return t;
}

double KendallTauB(const KeyOrder& x, const TauReference& y) {
  const int n = x.size(), G = x.groups();
  EVALSIM_CHECK(static_cast<int>(y.order.size()) == n, "metrics: KendallTauB: sizes differ");
  if (n < 2) return 0.0;
  // Ascending x group a is best-first group G - 1 - a, at ascending
  // positions [n - group_start[G - a], n - group_start[G - 1 - a]).
  std::vector<int> next(G), bounds(G + 1);
  for (int a = 0; a < G; ++a) bounds[a] = next[a] = n - x.group_start[G - a];
  bounds[G] = n;
  std::vector<int> group_of(n);
  for (int g = 0; g < G; ++g)
    for (int p = x.group_start[g]; p < x.group_start[g + 1]; ++p) group_of[x.order[p]] = G - 1 - g;
  // Elements in (x, y, index) order, as Knight's first sort leaves them, by
  // a stable counting sort of y's order on the x group; keep only y's dense
  // rank, which is all the rest reads.
  std::vector<int> seq(n);
  for (int e : y.order) seq[next[group_of[e]]++] = y.dense[e];
  const int64_t n0 = Pairs(n);
  int64_t n1 = 0, n3 = 0;
  for (int a = 0; a < G; ++a) {
    n1 += Pairs(bounds[a + 1] - bounds[a]);
    int64_t run = 1;
    for (int p = bounds[a] + 1; p < bounds[a + 1]; ++p) {
      if (seq[p] == seq[p - 1]) {
        ++run;
      } else {
        n3 += Pairs(run);
        run = 1;
      }
    }
    n3 += Pairs(run);
  }
  // Discordant pairs: inversions of seq, counted by merging the x groups
  // (each already ascending in y) pairwise until one run is left.
  std::vector<int> buf(n);
  int64_t swaps = 0;
  while (bounds.size() > 2) {
    std::vector<int> merged;
    merged.reserve(bounds.size() / 2 + 2);
    size_t r = 0;
    for (; r + 2 < bounds.size(); r += 2) {
      const int lo = bounds[r], mid = bounds[r + 1], hi = bounds[r + 2];
      int i = lo, j = mid, out = lo;
      while (i < mid && j < hi) {
        if (seq[j] < seq[i]) {
          swaps += mid - i;
          buf[out++] = seq[j++];
        } else {
          buf[out++] = seq[i++];
        }
      }
      while (i < mid) buf[out++] = seq[i++];
      while (j < hi) buf[out++] = seq[j++];
      merged.push_back(lo);
    }
    if (r + 1 < bounds.size()) {
      std::copy(seq.begin() + bounds[r], seq.begin() + bounds[r + 1], buf.begin() + bounds[r]);
      merged.push_back(bounds[r]);
    }
    merged.push_back(n);
    seq.swap(buf);
    bounds.swap(merged);
  }
  const int64_t n2 = y.tied_pairs;
  if (n0 == n1 || n0 == n2) return 0.0;  // a constant side
  const int64_t num = n0 - n1 - n2 + n3 - 2 * swaps;
  const double den =
      std::sqrt(static_cast<double>(n0 - n1)) * std::sqrt(static_cast<double>(n0 - n2));
  return std::clamp(static_cast<double>(num) / den, -1.0, 1.0);
}

double MembershipOverlap(const Eigen::VectorXd& model_top, const Eigen::VectorXd& true_top, int k) {
  EVALSIM_CHECK(model_top.size() == true_top.size(), "metrics: MembershipOverlap: sizes differ");
  k = std::clamp(k, 0, static_cast<int>(model_top.size()));
  if (k == 0) return std::numeric_limits<double>::quiet_NaN();
  return model_top.cwiseMin(true_top).sum() / k;
}

std::vector<int> CompetitionRanks(const Eigen::VectorXd& key, const Eigen::VectorXd& tiebreak) {
  return CompetitionRanks(SortKey(key, tiebreak));
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
  return AverageRanks(SortKey(x, Eigen::VectorXd()));
}

double Spearman(const Eigen::VectorXd& x, const Eigen::VectorXd& y) {
  EVALSIM_CHECK(x.size() == y.size(), "metrics: Spearman: sizes differ");
  return Pearson(AverageRanks(x), AverageRanks(y));
}

double SpearmanAgainstRanks(const Eigen::VectorXd& x, const Eigen::VectorXd& y_ranks) {
  EVALSIM_CHECK(x.size() == y_ranks.size(), "metrics: Spearman: sizes differ");
  return Pearson(AverageRanks(x), y_ranks);
}

double KendallTauB(const Eigen::VectorXd& x, const Eigen::VectorXd& y) {
  EVALSIM_CHECK(x.size() == y.size(), "metrics: KendallTauB: sizes differ");
  if (x.size() < 2) return 0.0;
  return KendallTauB(SortKey(x, Eigen::VectorXd()), MakeTauReference(y));
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
  EVALSIM_CHECK(model.size() == truth.size(), "metrics: TopKPrecision: sizes differ");
  k = std::clamp(k, 0, static_cast<int>(model.size()));
  if (k == 0) return std::numeric_limits<double>::quiet_NaN();
  const Eigen::VectorXd a = TopKMembership(model, k), b = TopKMembership(truth, k);
  return a.cwiseMin(b).sum() / k;
}

double WeightedJaccard(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  EVALSIM_CHECK(a.size() == b.size(), "metrics: WeightedJaccard: sizes differ");
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

double SortedQuantile(const std::vector<double>& sorted, double p) {
  const size_t n = sorted.size();
  if (n == 0 || std::isnan(p)) return std::numeric_limits<double>::quiet_NaN();
  p = std::clamp(p, 0.0, 1.0);
  const double h = static_cast<double>(n - 1) * p;
  const size_t lo = std::min(static_cast<size_t>(std::floor(h)), n - 1);
  const double x_lo = sorted[lo];
  if (lo + 1 >= n) return x_lo;
  const double x_hi = sorted[lo + 1];
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

std::vector<NoiseTier> NoiseTiers(std::span<const double> value, std::span<const double> lo,
                                  std::span<const double> hi) {
  const size_t m = value.size();
  std::vector<NoiseTier> tier(m, NoiseTier::kNone);
  double top = -std::numeric_limits<double>::infinity();
  for (double v : value)
    if (!std::isnan(v)) top = std::max(top, v);
  double best_lo = std::numeric_limits<double>::quiet_NaN();
  for (size_t i = 0; i < m; ++i) {
    if (value[i] != top) continue;
    tier[i] = NoiseTier::kBest;
    if (std::isnan(best_lo)) best_lo = lo[i];
  }
  for (size_t i = 0; i < m; ++i)
    if (value[i] != top && !std::isnan(hi[i]) && hi[i] >= best_lo) tier[i] = NoiseTier::kClose;
  return tier;
}

}  // namespace evalsim
