#include "models/common/tally.h"

#include <fmt/format.h>
#include <tbb/blocked_range.h>

#include <algorithm>
#include <vector>

#include "sim/core/check.h"
#include "sim/core/parallel.h"

namespace evalsim {
namespace {

// Unweighted histogram for a compile-time number of grades: written as
// independent compare-and-add accumulators so that the compiler vectorises
// the scan (no store-to-load chain through a counts array).
template <int K>
void CountFixed(const uint32_t* w, size_t n, double* counts) {
  uint32_t c[K] = {};
  for (size_t i = 0; i < n; ++i) {
    const uint32_t g = w[i] & 0xFFu;
    for (int k = 0; k < K; ++k) c[k] += (g == static_cast<uint32_t>(k));
  }
  for (int k = 0; k < K; ++k) counts[k] += c[k];
}

void CountAny(const uint32_t* w, size_t n, int levels, double* counts) {
  for (size_t i = 0; i < n; ++i) {
    const uint32_t g = w[i] & 0xFFu;
    if (g < static_cast<uint32_t>(levels)) counts[g] += 1.0;
  }
}

}  // namespace

void TallySlot(const RatingBallots& b, int slot, double* counts) {
  const uint64_t begin = b.slot_begin[slot], end = b.slot_begin[slot + 1];
  const uint32_t* w = b.ballot.data() + begin;
  const size_t n = end - begin;
  if (b.Weighted()) {
    const float* wt = b.weight.data() + begin;
    for (size_t i = 0; i < n; ++i) {
      const uint32_t g = w[i] & 0xFFu;
      if (g < static_cast<uint32_t>(b.levels)) counts[g] += wt[i];
    }
    return;
  }
  switch (b.levels) {
    case 2:
      return CountFixed<2>(w, n, counts);
    case 3:
      return CountFixed<3>(w, n, counts);
    case 4:
      return CountFixed<4>(w, n, counts);
    case 5:
      return CountFixed<5>(w, n, counts);
    default:
      return CountAny(w, n, b.levels, counts);
  }
}

Eigen::MatrixXd TallySlots(const RatingBallots& b, const SlotCounts* shared) {
  const int slots = b.NumRatees() * b.NumGroups();
  // Row-major scratch so that one slot's counts are contiguous.
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> t =
      Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>::Zero(slots, b.levels);
  for (int s = 0; s < slots; ++s) AddSlotCounts(shared, b, s, t.row(s).data());
  return t;
}

Eigen::MatrixXd TallyRatees(const RatingBallots& b, const SlotCounts* shared) {
  const int G = b.NumGroups(), K = b.levels;
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(b.NumRatees(), K);
  if (shared != nullptr && shared->ballots == &b) {
    std::vector<double> row(K);
    for (int e = 0; e < b.NumRatees(); ++e) {
      std::fill(row.begin(), row.end(), 0.0);
      for (int g = 0; g < G; ++g) AddSlotCounts(shared, b, b.Slot(e, g), row.data());
      for (int k = 0; k < K; ++k) out(e, k) = row[k];
    }
    return out;
  }
  const Eigen::MatrixXd slots = TallySlots(b);
  for (int e = 0; e < b.NumRatees(); ++e)
    for (int g = 0; g < G; ++g) out.row(e) += slots.row(e * G + g);
  return out;
}

std::vector<uint32_t> CountSlots(const RatingBallots& b, int first, int slots) {
  const int K = b.levels;
  std::vector<uint32_t> counts(static_cast<size_t>(std::max(slots, 0)) * K, 0);
  ParallelFor(tbb::blocked_range<int>(0, std::max(slots, 0), 4096),
              [&](const tbb::blocked_range<int>& part) {
                std::vector<double> c(K);
                for (int i = part.begin(); i != part.end(); ++i) {
                  std::fill(c.begin(), c.end(), 0.0);
                  TallySlot(b, first + i, c.data());
                  uint32_t* dst = counts.data() + static_cast<size_t>(i) * K;
                  for (int k = 0; k < K; ++k) dst[k] = static_cast<uint32_t>(c[k]);
                }
              });
  return counts;
}

SlotCounts TallyEverySlot(const RatingBallots& b) {
  EVALSIM_CHECK(!b.Weighted(), "shared slot counts of weighted ballots");
  SlotCounts out;
  out.ballots = &b;
  out.counts = CountSlots(b, 0, static_cast<int>(b.slot_begin.size()) - 1);
  return out;
}

void AddSlotCounts(const SlotCounts* shared, const RatingBallots& b, int slot, double* counts) {
  if (shared == nullptr || shared->ballots != &b) {
    TallySlot(b, slot, counts);
    return;
  }
  const uint32_t* c = shared->counts.data() + static_cast<size_t>(slot) * b.levels;
  for (int k = 0; k < b.levels; ++k) counts[k] += c[k];
}

std::vector<double> DefaultPoints(int levels) {
  if (levels == 4) return {0, 60, 80, 100};
  std::vector<double> p(levels);
  for (int k = 0; k < levels; ++k) p[k] = levels == 1 ? 100.0 : 100.0 * k / (levels - 1);
  return p;
}

ParamDoc PointsParam(std::string default_value, std::string doc) {
  return OtherParam("points", "[number]", std::move(default_value), std::move(doc));
}

std::vector<double> ReadPoints(ParamReader& in) {
  OptionReader& opts = in.opts();
  const ModelContext& ctx = in.ctx();
  auto points = opts.DoubleList(in.Param("points").name);
  if (!points) return DefaultPoints(ctx.levels);
  if (static_cast<int>(points->size()) != ctx.levels) {
    opts.Error("points", fmt::format("has {} values; expected one per grade, lowest first ({} "
                                     "grades)",
                                     points->size(), ctx.levels));
    return DefaultPoints(ctx.levels);
  }
  return *points;
}

ParamDoc GroupWeightsParam(std::string doc) {
  return OtherParam("group_weights", "{group = number}", "the rater groups' weight",
                    std::move(doc));
}

std::vector<double> ReadGroupWeights(ParamReader& in) {
  OptionReader& opts = in.opts();
  const ModelContext& ctx = in.ctx();
  auto table = opts.DoubleTable(in.Param("group_weights").name, AtLeast(0.0));
  if (!table) return {};
  std::vector<double> w(ctx.group_names.size(), 0.0);
  for (const auto& [name, value] : *table) {
    bool found = false;
    for (size_t g = 0; g < ctx.group_names.size(); ++g) {
      if (ctx.group_names[g] == name) {
        w[g] = value;
        found = true;
      }
    }
    if (!found) {
      opts.Error("group_weights",
                 fmt::format("names group \"{}\", which the ballots do not have; groups: {}", name,
                             fmt::join(ctx.group_names, ", ")));
    }
  }
  return w;
}

std::vector<double> EffectiveGroupWeights(const std::vector<double>& option,
                                          const RatingBallots& ballots) {
  return option.empty() ? ballots.group_weights : option;
}

double CombineGroups(std::span<const double> value, std::span<const bool> present,
                     std::span<const double> weights, double fallback) {
  double num = 0.0, den = 0.0;
  for (size_t g = 0; g < value.size(); ++g) {
    if (!present[g]) continue;
    num += weights[g] * value[g];
    den += weights[g];
  }
  return den > 0.0 ? num / den : fallback;
}

double PresentWeight(std::span<const bool> present, std::span<const double> weights) {
  double sum = 0.0;
  for (size_t g = 0; g < present.size(); ++g)
    if (present[g]) sum += weights[g];
  return sum;
}

}  // namespace evalsim
