#include "models/items.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/core/ballots.h"

namespace evalsim {
namespace {

class ItemCombination final : public Model {
 public:
  ItemCombination(std::unique_ptr<Model> model, ItemWeights weights)
      : model_(std::move(model)), weights_(std::move(weights)) {}

  ScoreResult Score(const ModelInput& input) const override {
    const RatingBallots* b = input.ratings;
    if (b == nullptr || !b->HasItems()) return model_->Score(input);
    const std::vector<double> w = ResolveItemWeights(weights_, b->item_names);
    double total = 0;
    for (double v : w) total += v;
    if (total <= 0) return model_->Score(input);  // nothing weighed: the overall grades
    std::vector<std::pair<ScoreResult, double>> parts;
    for (int i = 0; i <= b->NumItems(); ++i) {
      if (w[i] <= 0) continue;
      const RatingBallots slice = i < b->NumItems() ? ItemSlice(*b, i) : OverallSlice(*b);
      ModelInput in = input;
      in.ratings = &slice;
      ScoreResult r = model_->Score(in);
      const std::string& name = i < b->NumItems() ? b->item_names[i] : std::string(kOverallItem);
      for (std::string& note : r.notes) note = fmt::format("{}: {}", name, note);
      for (auto& [key, value] : r.parameters) key = fmt::format("{}.{}", name, key);
      parts.emplace_back(std::move(r), w[i]);
    }
    return Combine(parts, total, b->NumRatees());
  }

 private:
  static ScoreResult Combine(std::vector<std::pair<ScoreResult, double>>& parts, double total,
                             int n) {
    if (parts.size() == 1) return std::move(parts.front().first);  // exactly that item's fit
    ScoreResult out;
    out.score = Eigen::VectorXd::Zero(n);
    bool all_se = true, all_tie = true;
    for (const auto& [r, w] : parts) {
      all_se = all_se && r.se.size() == n;
      all_tie = all_tie && r.tiebreak.size() == n;
    }
    if (all_se) out.se = Eigen::VectorXd::Zero(n);
    if (all_tie) out.tiebreak = Eigen::VectorXd::Zero(n);
    for (auto& [r, w] : parts) {
      out.score += w * r.score;
      if (all_se) out.se += (w * w) * r.se.cwiseProduct(r.se);
      if (all_tie) out.tiebreak += w * r.tiebreak;
      out.notes.insert(out.notes.end(), r.notes.begin(), r.notes.end());
      out.parameters.insert(out.parameters.end(), r.parameters.begin(), r.parameters.end());
    }
    // Sums first, one division by the total weight last: whole weights of
    // equal scores give the score exactly.
    out.score /= total;
    if (all_tie) out.tiebreak /= total;
    if (all_se) out.se = out.se.cwiseSqrt() / total;
    CombineRaterValues(parts, total, out);
    return out;
  }

  // Per-rater estimates present in every part under the same name, combined
  // with the item weights.
  static void CombineRaterValues(std::vector<std::pair<ScoreResult, double>>& parts, double total,
                                 ScoreResult& out) {
    for (const auto& entry : parts.front().first.rater_values) {
      const std::string& name = entry.first;
      const Eigen::VectorXd& first = entry.second;
      Eigen::VectorXd sum = Eigen::VectorXd::Zero(first.size());
      bool everywhere = true;
      for (const auto& [r, w] : parts) {
        auto it = std::find_if(r.rater_values.begin(), r.rater_values.end(),
                               [&](const auto& v) { return v.first == name; });
        if (it == r.rater_values.end() || it->second.size() != first.size()) {
          everywhere = false;
          break;
        }
        sum += w * it->second;
      }
      if (everywhere) out.rater_values.emplace_back(name, sum / total);
    }
  }

  std::unique_ptr<Model> model_;
  ItemWeights weights_;
};

}  // namespace

ParamDoc ItemWeightsParam() {
  return OtherParam("item_weights", "{item = number}", "the [[items]] weights, else equal",
                    "on ballots with items: the weight of each item's score when the item "
                    "scores are combined (each item is scored alone); \"overall\" weighs the "
                    "ballot's overall grade (default 0)");
}

ItemWeights ReadItemWeights(OptionReader& opts, const ModelContext& ctx) {
  const std::optional<ItemWeights> table = opts.DoubleTable("item_weights", AtLeast(0.0));
  if (!table) {
    ItemWeights defaults;  // the scenario's own item weights, when it gives them
    if (ctx.item_weights.size() == ctx.item_names.size())
      for (size_t i = 0; i < ctx.item_names.size(); ++i)
        defaults.emplace_back(ctx.item_names[i], ctx.item_weights[i]);
    return defaults;
  }
  double total = 0;
  for (const auto& [name, w] : *table) {
    total += w;
    const bool known = name == kOverallItem || std::ranges::count(ctx.item_names, name) > 0;
    if (!known) {
      opts.Error("item_weights",
                 ctx.item_names.empty()
                     ? fmt::format("names item \"{}\", but the ballots have no items", name)
                     : fmt::format("names item \"{}\"; expected one of {}, overall", name,
                                   fmt::join(ctx.item_names, ", ")));
    }
  }
  if (!table->empty() && total <= 0) opts.Error("item_weights", "every weight is 0");
  return *table;
}

std::vector<double> ResolveItemWeights(const ItemWeights& weights,
                                       const std::vector<std::string>& item_names) {
  std::vector<double> w(item_names.size() + 1, weights.empty() ? 1.0 : 0.0);
  w.back() = 0.0;
  for (const auto& [name, value] : weights) {
    if (name == kOverallItem) {
      w.back() = value;
      continue;
    }
    for (size_t i = 0; i < item_names.size(); ++i)
      if (item_names[i] == name) w[i] = value;
  }
  return w;
}

std::unique_ptr<Model> CombineItems(std::unique_ptr<Model> model, ItemWeights weights) {
  return std::make_unique<ItemCombination>(std::move(model), std::move(weights));
}

}  // namespace evalsim
