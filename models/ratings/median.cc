#include "models/ratings/median.h"

#include <fmt/format.h>

#include <algorithm>

#include "models/common/tally.h"

namespace evalsim {
namespace {

struct MedianOptions {
  std::vector<double> points;
};

class Median : public Model {
 public:
  explicit Median(MedianOptions o) : o_(std::move(o)) {}

  ScoreResult Score(const ModelInput& input) const override {
    const RatingBallots& b = *input.ratings;
    const int n = b.NumRatees(), G = b.NumGroups(), K = b.levels;
    const std::vector<double>& p = o_.points;

    ScoreResult r;
    r.score.resize(n);
    r.tiebreak.resize(n);
    std::vector<double> counts(K);
    int empty = 0;
    for (int e = 0; e < n; ++e) {
      std::fill(counts.begin(), counts.end(), 0.0);
      for (int g = 0; g < G; ++g) AddSlotCounts(input.slot_counts, b, b.Slot(e, g), counts.data());
      double total = 0.0, sum = 0.0;
      for (int k = 0; k < K; ++k) {
        total += counts[k];
        sum += counts[k] * p[k];
      }
      if (total <= 0.0) {
        r.score[e] = r.tiebreak[e] = p[0];
        ++empty;
        continue;
      }
      r.tiebreak[e] = sum / total;
      // The prefix sums are formed in the same order as `total`, so the last
      // grade with votes always reaches half and the loop always sets `s`.
      const double half = 0.5 * total;
      double cum = 0.0, s = p[K - 1];
      for (int k = 0; k < K; ++k) {
        cum += counts[k];
        if (cum < half) continue;
        s = p[k];
        if (cum == half) {
          for (int j = k + 1; j < K; ++j) {
            if (counts[j] > 0.0) {
              s = 0.5 * (p[k] + p[j]);
              break;
            }
          }
        }
        break;
      }
      r.score[e] = s;
    }
    if (empty > 0)
      r.notes.push_back(
          fmt::format("{} evaluee(s) had no valid vote and scored the lowest points", empty));
    return r;
  }

 private:
  MedianOptions o_;
};

}  // namespace

ModelSpec MedianSpec() {
  ModelSpec spec;
  spec.name = "median";
  spec.reads_slot_counts = true;
  spec.summary =
      "points of the weighted median grade over the votes of all groups (an even split takes "
      "the mean of the two middle grades); ties broken by the mean points";
  spec.params = {
      PointsParam(),
  };
  spec.memory = [](int, int) { return FitMemory{0, 8, 0, 0}; };  // K-sized scratch; tiebreak
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    MedianOptions o;
    o.points = ReadPoints(in);
    return std::make_unique<Median>(std::move(o));
  };
  return spec;
}

}  // namespace evalsim
