#include "models/ratings/weighted_mean.h"

#include <fmt/format.h>

#include <algorithm>

#include "models/common/tally.h"

namespace evalsim {
namespace {

// Set from the parameter declarations of WeightedMeanSpec().
struct WeightedMeanOptions {
  std::vector<double> points;
  std::vector<std::vector<double>> scale_points;  // per named scale of the ballots
  std::vector<double> group_weights;              // empty: the ballots' group weights
  double veto_share{};
  std::vector<int64_t> veto_grades = {0};
  double veto_score{};
};

// `scale_points`: one list per named scale of the ballots (ctx), each
// DefaultPoints(K) unless given.
std::vector<std::vector<double>> ReadScalePoints(ParamReader& in) {
  const ModelContext& ctx = in.ctx();
  std::vector<std::vector<double>> out;
  for (int levels : ctx.scale_levels) out.push_back(DefaultPoints(levels));
  const std::string& key = in.Param("scale_points").name;
  const toml::node* node = in.opts().Raw(key);
  if (!node) return out;
  const toml::table* t = node->as_table();
  if (!t) {
    in.opts().Error(
        key, fmt::format("found {}; expected a table {{scale = [points]}}", ATypeName(*node)));
    return out;
  }
  for (const auto& [name, value] : *t) {
    const auto it = std::find(ctx.scale_names.begin(), ctx.scale_names.end(), name.str());
    if (it == ctx.scale_names.end()) {
      in.opts().ErrorAt(value, key,
                        fmt::format("names scale \"{}\", which no rater group grades on; "
                                    "scales: {}",
                                    name.str(), fmt::join(ctx.scale_names, ", ")));
      continue;
    }
    const size_t k = static_cast<size_t>(it - ctx.scale_names.begin());
    const toml::array* a = value.as_array();
    std::vector<double> pts;
    for (size_t i = 0; a && i < a->size(); ++i)
      if (auto v = a->get(i)->value<double>()) pts.push_back(*v);
    if (!a || pts.size() != a->size() || pts.size() != static_cast<size_t>(ctx.scale_levels[k])) {
      in.opts().ErrorAt(value, key,
                        fmt::format("{}: expected {} numbers, the points of each grade of the "
                                    "scale, lowest first",
                                    name.str(), ctx.scale_levels[k]));
      continue;
    }
    out[k] = std::move(pts);
  }
  return out;
}

class WeightedMean : public Model {
 public:
  explicit WeightedMean(WeightedMeanOptions o) : o_(std::move(o)) {}

  // The points of group g's grades: its scale's, or `points`.
  const std::vector<double>& PointsOf(const RatingBallots& b, int g) const {
    const int sc = b.ScaleOf(g);
    return sc >= 0 && static_cast<size_t>(sc) < o_.scale_points.size() ? o_.scale_points[sc]
                                                                       : o_.points;
  }

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
        AddSlotCounts(input.slot_counts, b, b.Slot(e, g), counts.data());
        const std::vector<double>& points = PointsOf(b, g);
        double num = 0.0, den = 0.0;
        for (int k = 0; k < std::min(K, static_cast<int>(points.size())); ++k) {
          num += counts[k] * points[k];
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
  spec.reads_slot_counts = true;
  spec.group_scales = true;
  spec.summary =
      "points per grade, averaged within each rater group, combined by group weight; optional "
      "veto share";
  spec.params = {
      PointsParam(),
      GroupWeightsParam("weight of each rater group's mean"),
      OtherParam("scale_points", "{scale = [number]}", "0..100 evenly per scale",
                 "points of each grade of a named scale (rater groups on a scale of their own), "
                 "lowest grade first; \"don't know\" ballots are not graded"),
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
    o.scale_points = ReadScalePoints(in);
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
