#include "models/ratings/approval.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "models/common/tally.h"

namespace evalsim {
namespace {

// Set from the parameter declarations of ApprovalSpec().
struct ApprovalOptions {
  int top{};
  std::vector<double> group_weights;  // empty: the ballots' group weights
};

class Approval : public Model {
 public:
  explicit Approval(ApprovalOptions o) : o_(std::move(o)) {}

  ScoreResult Score(const ModelInput& input) const override {
    const RatingBallots& b = *input.ratings;
    const int n = b.NumRatees(), G = b.NumGroups(), K = b.levels;
    const std::vector<double> weights = EffectiveGroupWeights(o_.group_weights, b);
    // Grades first..K-1 count as approval; grade first-1 is the tie-break grade.
    const int first = std::max(0, K - o_.top);
    const bool has_next = first > 0;

    ScoreResult r;
    r.score.resize(n);
    if (has_next) r.tiebreak.resize(n);
    std::vector<double> counts(K), share(G), next_share(G);
    std::unique_ptr<bool[]> present(new bool[G]);
    const std::span<const bool> present_span(present.get(), static_cast<size_t>(G));
    int empty = 0, weightless = 0;
    for (int e = 0; e < n; ++e) {
      double total = 0.0;
      for (int g = 0; g < G; ++g) {
        std::fill(counts.begin(), counts.end(), 0.0);
        AddSlotCounts(input.slot_counts, b, b.Slot(e, g), counts.data());
        double den = 0.0, approved = 0.0;
        for (int k = 0; k < K; ++k) {
          den += counts[k];
          if (k >= first) approved += counts[k];
        }
        present[g] = den > 0.0;
        share[g] = den > 0.0 ? approved / den : 0.0;
        next_share[g] = den > 0.0 && has_next ? counts[first - 1] / den : 0.0;
        total += den;
      }
      r.score[e] = CombineGroups(share, present_span, weights, 0.0);
      if (has_next) r.tiebreak[e] = CombineGroups(next_share, present_span, weights, 0.0);
      if (total == 0.0) {
        ++empty;
      } else if (PresentWeight(present_span, weights) <= 0.0) {
        ++weightless;
      }
    }
    if (empty > 0)
      r.notes.push_back(fmt::format("{} evaluee(s) had no valid vote and scored 0", empty));
    if (weightless > 0)
      r.notes.push_back(fmt::format(
          "{} evaluee(s) had valid votes only from rater groups of weight 0 and scored 0",
          weightless));
    return r;
  }

 private:
  ApprovalOptions o_;
};

}  // namespace

ModelSpec ApprovalSpec() {
  ModelSpec spec;
  spec.name = "approval";
  spec.reads_slot_counts = true;
  spec.summary =
      "share of valid votes in the top `top` grades (好评率), per rater group, combined by group "
      "weight; ties broken by the share of the next grade down";
  ParamDoc top =
      IntegerParam("top", 1, Any(), "number of grades, counted from the best, that approve")
          .WithType("integer in [1, K]");
  top.range_of = [](const ModelContext& ctx) { return Between(1, ctx.levels); };
  spec.params = {
      std::move(top),
      GroupWeightsParam("weight of each rater group's share"),
  };
  spec.memory = [](int, int) { return FitMemory{0, 8, 0, 0}; };  // K-sized scratch; tiebreak
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    ApprovalOptions o;
    o.top = static_cast<int>(in.Int("top"));
    o.group_weights = ReadGroupWeights(in);
    return std::make_unique<Approval>(std::move(o));
  };
  return spec;
}

}  // namespace evalsim
