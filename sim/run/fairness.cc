#include "sim/run/fairness.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include "sim/core/metrics.h"
#include "sim/io/csv_write.h"

namespace evalsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// "lo-hi" (or "lo" when both print the same) with `decimals` decimals.
std::string RangeText(double lo, double hi, int decimals) {
  const std::string a = fmt::format("{:.{}f}", lo, decimals);
  const std::string b = fmt::format("{:.{}f}", hi, decimals);
  return a == b ? a : a + "-" + b;
}

// The values as their labels show them: size in whole ballots, shares to
// two decimals. Strata are cut on these, so evaluees whose values print the
// same are never split and no two strata share an edge (no "60.22-60.37"
// beside "60.41-60.58", no "0.12-0.12" three times).
constexpr int kSizeDecimals = 0;
constexpr int kShareDecimals = 2;

std::vector<double> Rounded(std::span<const double> values, int decimals) {
  std::vector<double> out;
  out.reserve(values.size());
  for (double v : values) out.push_back(std::stod(fmt::format("{:.{}f}", v, decimals)));
  return out;
}

}  // namespace

FairnessTruth MakeFairnessTruth(const Eigen::VectorXd& quality, int k_top, int k_bottom) {
  FairnessTruth t;
  const Eigen::Index n = quality.size();
  t.k_top = k_top;
  t.k_bottom = k_bottom;
  // AverageRanks is ascending (1 = lowest); the best gets mid-rank 1 here.
  t.rank = static_cast<double>(n + 1) - AverageRanks(quality).array();
  t.top = TopKMembership(quality, k_top);
  t.bottom = BottomKMembership(quality, k_bottom);
  t.average.assign(n, 0);
  if (n > 0) {
    const std::vector<double> values(quality.data(), quality.data() + n);
    const double lo = Quantile(values, 0.4), hi = Quantile(values, 0.6);
    for (Eigen::Index e = 0; e < n; ++e) t.average[e] = quality[e] >= lo && quality[e] <= hi;
  }
  return t;
}

ErrorSums::ErrorSums(int n)
    : rank_error(Eigen::VectorXd::Zero(n)),
      rank_bias(Eigen::VectorXd::Zero(n)),
      class_error(Eigen::VectorXd::Zero(n)),
      top(Eigen::VectorXd::Zero(n)),
      bottom(Eigen::VectorXd::Zero(n)) {}

double MeanAbsoluteDistance(int64_t p, int64_t q, double t) {
  // Positions p..last lie at or below t, last+1..q above it; each part is
  // an arithmetic series.
  const int64_t last = std::clamp(static_cast<int64_t>(std::floor(t)), p - 1, q);
  const double below = static_cast<double>(last - p + 1);
  const double above = static_cast<double>(q - last);
  double sum = 0;
  if (below > 0) sum += below * t - 0.5 * below * static_cast<double>(p + last);
  if (above > 0) sum += 0.5 * above * static_cast<double>(last + 1 + q) - above * t;
  return sum / static_cast<double>(q - p + 1);
}

void ErrorSums::Add(const FairnessTruth& truth, const std::vector<int>& rank,
                    const Eigen::VectorXd& model_top, const Eigen::VectorXd& model_bottom) {
  const int n = static_cast<int>(rank.size());
  // Size of every tie group, indexed by its competition rank.
  std::vector<int> group(static_cast<size_t>(n) + 2, 0);
  for (int r : rank) ++group[std::clamp(r, 1, n + 1)];
  const double inv_n = n > 0 ? 1.0 / n : 0.0;
  for (int e = 0; e < n; ++e) {
    const int p = std::clamp(rank[e], 1, n);
    const int t = std::max(1, group[p]);
    rank_error[e] += MeanAbsoluteDistance(p, p + t - 1, truth.rank[e]) * inv_n;
    rank_bias[e] += (p + 0.5 * (t - 1) - truth.rank[e]) * inv_n;
    const double mt = model_top[e], mb = model_bottom[e];
    const double tt = truth.top[e], tb = truth.bottom[e];
    class_error[e] +=
        0.5 * (std::abs(mt - tt) + std::abs(mb - tb) + std::abs((1 - mt - mb) - (1 - tt - tb)));
    top[e] += mt;
    bottom[e] += mb;
  }
  ++replicates;
}

Bins QuantileBins(std::span<const double> values, int max_bins) {
  const int n = static_cast<int>(values.size());
  Bins out;
  out.bin.assign(n, 0);
  if (n == 0) return out;
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return values[a] < values[b]; });
  const auto v = [&](int i) { return values[order[i]]; };
  const int64_t B = std::clamp(max_bins, 1, n);
  // Cut c splits sorted positions [.., c) | [c, ..); the b-th target is
  // round(b n / B), moved out of any run of equal values.
  std::vector<int> cuts{0};
  for (int64_t b = 1; b < B; ++b) {
    int c = static_cast<int>((2 * b * n + B) / (2 * B));
    if (c > 0 && c < n && v(c - 1) == v(c)) {
      int lo = c, hi = c;
      while (lo > 0 && v(lo - 1) == v(c)) --lo;
      while (hi < n && v(hi) == v(c)) ++hi;
      c = c - lo <= hi - c ? lo : hi;
    }
    if (c > cuts.back() && c < n) cuts.push_back(c);
  }
  cuts.push_back(n);
  for (size_t k = 0; k + 1 < cuts.size(); ++k) {
    for (int i = cuts[k]; i < cuts[k + 1]; ++i) out.bin[order[i]] = static_cast<int>(k);
    out.lo.push_back(v(cuts[k]));
    out.hi.push_back(v(cuts[k + 1] - 1));
  }
  return out;
}

Strata AllStratum(int n) {
  Strata s;
  s.dimension = "all";
  s.labels = {"all"};
  s.of.assign(n, 0);
  return s;
}

Strata SizeStrata(std::span<const double> valid_ballots) {
  const Bins bins = QuantileBins(Rounded(valid_ballots, kSizeDecimals), 5);
  Strata s;
  s.dimension = "size";
  s.of = bins.bin;
  for (size_t k = 0; k < bins.lo.size(); ++k)
    s.labels.push_back(RangeText(bins.lo[k], bins.hi[k], kSizeDecimals));
  return s;
}

Strata TypeStrata(std::span<const int> type, const std::vector<std::string>& names) {
  Strata s;
  s.dimension = "type";
  std::vector<int> count(names.size(), 0);
  for (int t : type) ++count[t];
  std::vector<int> index(names.size(), -1);
  for (size_t t = 0; t < names.size(); ++t) {
    if (count[t] == 0) continue;
    index[t] = static_cast<int>(s.labels.size());
    s.labels.push_back(names[t]);
  }
  s.of.reserve(type.size());
  for (int t : type) s.of.push_back(index[t]);
  return s;
}

Strata ShareStrata(const std::string& group, std::span<const double> share) {
  Strata s;
  s.dimension = "share." + group;
  std::vector<double> known;
  std::vector<int> where;  // positions of the known shares
  for (size_t e = 0; e < share.size(); ++e) {
    if (std::isnan(share[e])) continue;
    known.push_back(share[e]);
    where.push_back(static_cast<int>(e));
  }
  const Bins bins = QuantileBins(Rounded(known, kShareDecimals), 3);
  const size_t B = bins.lo.size();
  static const std::vector<std::vector<std::string>> kNames = {
      {}, {"all"}, {"low", "high"}, {"low", "mid", "high"}};
  for (size_t k = 0; k < B; ++k)
    s.labels.push_back(fmt::format("{} ({:.2f}-{:.2f})", kNames[B][k], bins.lo[k], bins.hi[k]));
  const int none = static_cast<int>(B);
  s.of.assign(share.size(), none);
  for (size_t i = 0; i < where.size(); ++i) s.of[where[i]] = bins.bin[i];
  if (where.size() < share.size()) s.labels.push_back("none (no valid ballot)");
  return s;
}

std::vector<Strata> FairnessStrata(std::span<const uint64_t> valid, int replicates,
                                   const std::vector<std::string>& groups,
                                   std::span<const int> type,
                                   const std::vector<std::string>& type_names,
                                   std::vector<std::string>* notes) {
  const auto note = [&](std::string text) {
    if (notes) notes->push_back(std::move(text));
  };
  const size_t G = groups.size();
  const int n = G == 0 ? 0 : static_cast<int>(valid.size() / G);
  std::vector<Strata> out;
  out.push_back(AllStratum(n));
  std::vector<double> total(n, 0.0), size(n, 0.0);
  for (int e = 0; e < n; ++e) {
    uint64_t sum = 0;
    for (size_t g = 0; g < G; ++g) sum += valid[e * G + g];
    total[e] = static_cast<double>(sum);
    size[e] = total[e] / std::max(1, replicates);
  }
  // A dimension whose bins all merged (SizeStrata, ShareStrata) would
  // chart differences of rounding as an effect: it is left out.
  Strata by_size = SizeStrata(size);
  if (by_size.labels.size() == 1 && QuantileBins(size, 5).lo.size() > 1) {
    const auto [lo, hi] = std::minmax_element(size.begin(), size.end());
    note(
        fmt::format("size: left out: every evaluee received {:.2f}-{:.2f} valid ballots per "
                    "replicate, which round to the same whole number",
                    *lo, *hi));
  } else {
    out.push_back(std::move(by_size));
  }
  if (!type.empty()) out.push_back(TypeStrata(type, type_names));
  for (size_t g = 0; g < G; ++g) {
    std::vector<double> share(n);
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (int e = 0; e < n; ++e) {
      share[e] = total[e] > 0 ? static_cast<double>(valid[e * G + g]) / total[e] : kNaN;
      if (total[e] > 0) {
        lo = std::min(lo, share[e]);
        hi = std::max(hi, share[e]);
      }
    }
    if (!(hi - lo > 1e-12)) continue;
    Strata by_share = ShareStrata(groups[g], share);
    if (by_share.labels[0].starts_with("all ")) {
      note(
          fmt::format("share.{}: left out: the group's share of an evaluee's valid ballots is "
                      "{:.4f}-{:.4f} for every evaluee, which rounds to the same {:.2f}",
                      groups[g], lo, hi, lo));
      continue;
    }
    out.push_back(std::move(by_share));
  }
  return out;
}

const std::vector<std::string>& FairnessMetrics() {
  static const std::vector<std::string> kMetrics = {
      "rank_error", "class_error", "p_bottom_if_average", "p_top_if_average", "rank_bias"};
  return kMetrics;
}

std::vector<FairnessRow> FairnessTable(const std::string& model, const ErrorSums& sums,
                                       const FairnessTruth& truth,
                                       const std::vector<Strata>& strata) {
  std::vector<FairnessRow> rows;
  const int64_t R = sums.replicates;
  for (const Strata& st : strata) {
    const size_t S = st.labels.size();
    std::vector<int> count(S, 0), average(S, 0);
    std::vector<double> rank_error(S, 0), rank_bias(S, 0), class_error(S, 0), bottom(S, 0),
        top(S, 0);
    for (size_t e = 0; e < st.of.size(); ++e) {
      const int k = st.of[e];
      ++count[k];
      rank_error[k] += sums.rank_error[e];
      rank_bias[k] += sums.rank_bias[e];
      class_error[k] += sums.class_error[e];
      if (truth.average[e]) {
        ++average[k];
        bottom[k] += sums.bottom[e];
        top[k] += sums.top[e];
      }
    }
    for (size_t k = 0; k < S; ++k) {
      const int64_t all = count[k] * R, avg = average[k] * R;
      const auto row = [&](const std::string& metric, double sum, int64_t base) {
        rows.push_back({model, st.dimension, st.labels[k], count[k], base, metric,
                        base > 0 ? sum / static_cast<double>(base) : kNaN});
      };
      row("rank_error", rank_error[k], all);
      row("class_error", class_error[k], all);
      row("p_bottom_if_average", bottom[k], avg);
      row("p_top_if_average", top[k], avg);
      row("rank_bias", rank_bias[k], all);
    }
  }
  return rows;
}

std::string FairnessCsv(const std::vector<FairnessRow>& rows) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "model,dimension,stratum,evaluees,base,metric,value\n");
  for (const FairnessRow& r : rows) {
    fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{}\n", CsvField(r.model),
                   CsvField(r.dimension), CsvField(r.stratum), r.evaluees, r.base, r.metric,
                   std::isnan(r.value) ? std::string() : Num(r.value));
  }
  return fmt::to_string(out);
}

}  // namespace evalsim
