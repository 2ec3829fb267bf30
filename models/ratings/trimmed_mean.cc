#include "models/ratings/trimmed_mean.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "models/common/tally.h"

namespace evalsim {
namespace {

// Set from the parameter declarations of TrimmedMeanSpec().
struct TrimmedMeanOptions {
  std::vector<double> points;
  int64_t trim_count{};
  std::optional<double> trim_share;  // when set, replaces trim_count
  int64_t min_votes{};
};

// Removes weight `mass` from the histogram, starting at the lowest grade.
void TrimLow(std::vector<double>& counts, double mass) {
  for (size_t k = 0; k < counts.size() && mass > 0.0; ++k) {
    const double take = std::min(counts[k], mass);
    counts[k] -= take;
    mass -= take;
  }
}

// Removes weight `mass` from the histogram, starting at the highest grade.
void TrimHigh(std::vector<double>& counts, double mass) {
  for (size_t k = counts.size(); k-- > 0 && mass > 0.0;) {
    const double take = std::min(counts[k], mass);
    counts[k] -= take;
    mass -= take;
  }
}

class TrimmedMean : public Model {
 public:
  explicit TrimmedMean(TrimmedMeanOptions o) : o_(std::move(o)) {}

  ScoreResult Score(const ModelInput& input) const override {
    const RatingBallots& b = *input.ratings;
    const int n = b.NumRatees(), G = b.NumGroups(), K = b.levels;

    ScoreResult r;
    r.score.resize(n);
    std::vector<double> counts(K), kept(K);
    int empty = 0, fallback = 0;
    for (int e = 0; e < n; ++e) {
      std::fill(counts.begin(), counts.end(), 0.0);
      for (int g = 0; g < G; ++g) AddSlotCounts(input.slot_counts, b, b.Slot(e, g), counts.data());
      double total = 0.0, sum = 0.0;
      for (int k = 0; k < K; ++k) {
        total += counts[k];
        sum += counts[k] * o_.points[k];
      }
      if (total <= 0.0) {
        r.score[e] = o_.points[0];
        ++empty;
        continue;
      }
      double s = sum / total;
      if (total > static_cast<double>(o_.min_votes)) {
        const double mass =
            o_.trim_share ? *o_.trim_share * total : static_cast<double>(o_.trim_count);
        if (mass > 0.0) {
          kept = counts;
          TrimLow(kept, mass);
          TrimHigh(kept, mass);
          double kept_total = 0.0, kept_sum = 0.0;
          for (int k = 0; k < K; ++k) {
            kept_total += kept[k];
            kept_sum += kept[k] * o_.points[k];
          }
          // 2 * mass >= total means nothing is left; the second test guards
          // against a rounding residue standing in for "nothing".
          if (2.0 * mass < total && kept_total > 0.0) {
            s = kept_sum / kept_total;
          } else {
            ++fallback;
          }
        }
      }
      r.score[e] = s;
    }
    if (empty > 0)
      r.notes.push_back(
          fmt::format("{} evaluee(s) had no valid vote and scored the lowest points", empty));
    if (fallback > 0)
      r.notes.push_back(fmt::format(
          "{} evaluee(s) would have lost every vote to trimming and kept the untrimmed mean",
          fallback));
    return r;
  }

 private:
  TrimmedMeanOptions o_;
};

}  // namespace

ModelSpec TrimmedMeanSpec() {
  ModelSpec spec;
  spec.name = "trimmed_mean";
  spec.reads_slot_counts = true;
  spec.summary =
      "points per grade averaged over the votes of all groups after dropping the highest and "
      "lowest votes (a count or a share from each end) when there are more than min_votes";
  spec.params = {
      PointsParam(),
      IntegerParam("trim_count", 1, AtLeast(0), "votes (ballot weight) dropped from each end"),
      NumberParam("trim_share", std::nullopt, Range{0.0, 0.5, false, true},
                  "share of the valid vote weight dropped from each end; excludes trim_count")
          .WithType("number in [0, 0.5)")
          .WithDefault("none (trim_count applies)"),
      IntegerParam("min_votes", 5, AtLeast(0),
                   "trim only evaluees with more valid votes than this"),
  };
  spec.memory = [](int, int) { return FitMemory{0, 8, 0, 0}; };  // K-sized scratch; tiebreak
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    TrimmedMeanOptions o;
    o.points = ReadPoints(in);
    const bool has_count = in.Has("trim_count"), has_share = in.Has("trim_share");
    o.trim_count = in.Int("trim_count");
    // -1 marks "absent or invalid"; an invalid value has already been reported.
    const double share = in.Double("trim_share", -1.0);
    if (has_share && share >= 0.0) o.trim_share = share;
    if (has_count && has_share)
      in.opts().Error("trim_share", "cannot be given together with trim_count; give one of them");
    o.min_votes = in.Int("min_votes");
    return std::make_unique<TrimmedMean>(std::move(o));
  };
  return spec;
}

}  // namespace evalsim
