#include "models/ratings/weighted_mean.h"

#include <fmt/format.h>

#include "models/common/tally.h"

namespace evalsim {
namespace {

// Set from the parameter declarations of WeightedMeanSpec().
struct WeightedMeanOptions {
  std::vector<double> points;
  std::vector<double> group_weights;  // empty: the ballots' group weights
  double veto_share{};
  std::vector<int64_t> veto_grades = {0};
  double veto_score{};
};

class WeightedMean : public Model {
 public:
  explicit WeightedMean(WeightedMeanOptions o) : o_(std::move(o)) {}

  ScoreResult Score(const ModelInput& input) const override {
    const RatingBallots& b = *input.ratings;
    const int n = b.NumRatees(), G = b.NumGroups(), K = b.levels;
    const std::vector<double> weights = EffectiveGroupWeights(o_.group_weights, b);
    std::vector<bool> is_veto(K, false);
    for (int64_t g : o_.veto_grades)
      if (g < K) is_veto[g] = true;
    const bool veto_on = o_.veto_share < 1.0;

    ScoreResult r;
    r.score.resize(n);
    std::vector<double> counts(K), group_mean(G);
    std::unique_ptr<bool[]> present(new bool[G]);
    int empty = 0, weightless = 0, vetoed = 0;
    for (int e = 0; e < n; ++e) {
      double total = 0.0, veto = 0.0;
      for (int g = 0; g < G; ++g) {
        std::fill(counts.begin(), counts.end(), 0.0);
        TallySlot(b, b.Slot(e, g), counts.data());
        double num = 0.0, den = 0.0;
        for (int k = 0; k < K; ++k) {
          num += counts[k] * o_.points[k];
          den += counts[k];
          if (is_veto[k]) veto += counts[k];
        }
        present[g] = den > 0.0;
        group_mean[g] = den > 0.0 ? num / den : 0.0;
        total += den;
      }
      const std::span<const bool> present_span(present.get(), static_cast<size_t>(G));
      double s = CombineGroups(group_mean, present_span, weights, o_.points[0]);
      if (total == 0.0) {
        ++empty;
      } else if (PresentWeight(present_span, weights) <= 0.0) {
        ++weightless;
      }
      if (veto_on && total > 0.0 && veto / total > o_.veto_share) {
        s = o_.veto_score;
        ++vetoed;
      }
      r.score[e] = s;
    }
    if (empty > 0)
      r.notes.push_back(
          fmt::format("{} evaluee(s) had no valid vote and scored the lowest points", empty));
    if (weightless > 0)
      r.notes.push_back(
          fmt::format("{} evaluee(s) had valid votes only from rater groups of weight 0 and scored "
                      "the lowest points",
                      weightless));
    if (vetoed > 0) r.notes.push_back(fmt::format("{} evaluee(s) vetoed", vetoed));
    return r;
  }

 private:
  WeightedMeanOptions o_;
};

}  // namespace

ModelSpec WeightedMeanSpec() {
  ModelSpec spec;
  spec.name = "weighted_mean";
  spec.summary =
      "points per grade, averaged within each rater group, combined by group weight; optional "
      "veto share";
  spec.params = {
      PointsParam(),
      GroupWeightsParam("weight of each rater group's mean"),
      NumberParam("veto_share", 1.0, Probability(),
                  "a share of veto_grades above this forces veto_score")
          .WithDefault("1 (off)"),
      OtherParam("veto_grades", "[integer]", "[0]", "grades that count toward the veto share"),
      NumberParam("veto_score", std::nullopt, Any(), "score of a vetoed evaluee")
          .WithDefault("points of the lowest grade"),
  };
  spec.memory = [](int, int) { return FitMemory{0, 8, 0, 0}; };  // K-sized scratch; tiebreak
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    WeightedMeanOptions o;
    o.points = ReadPoints(in);
    o.group_weights = ReadGroupWeights(in);
    o.veto_share = in.Double("veto_share");
    if (auto v = in.opts().IntList(in.Param("veto_grades").name, Between(0, in.ctx().levels - 1)))
      o.veto_grades = *v;
    o.veto_score = in.Double("veto_score", o.points[0]);
    return std::make_unique<WeightedMean>(std::move(o));
  };
  return spec;
}

}  // namespace evalsim
