#include "models/rankings/borda.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>

#include "models/common/ranking_tally.h"

namespace evalsim {

namespace {

// Set from the parameter declarations of BordaSpec().
struct BordaOptions {
  bool unranked_zero{};
};

class Borda : public Model {
 public:
  explicit Borda(BordaOptions o) : o_(o) {}

  ScoreResult Score(const ModelInput& input) const override {
    const RankingBallots& b = *input.rankings;
    const int n = b.NumRatees();
    ScoreResult r;
    r.score = Eigen::VectorXd::Zero(n);
    if (n == 0) {
      r.notes.push_back("no candidates");
      return r;
    }
    std::vector<int64_t> listed(n, 0);
    // `all_unranked` is added to every candidate at the end; listed
    // candidates of an order get their own points and give back that
    // order's unranked share, so that the pass stays O(listed) per order.
    double all_unranked = 0.0;
    for (size_t o = 0; o < b.NumOrders(); ++o) {
      const double w = b.count[o];
      const auto cand = b.Candidates(o);
      const auto tier = b.Tiers(o);
      const size_t len = cand.size();
      // Unranked candidates count only where the order puts them below.
      const double u = b.unranked_below ? static_cast<double>(n) - static_cast<double>(len) : 0.0;
      const double unranked_points = (o_.unranked_zero || u < 1.0) ? 0.0 : 0.5 * (u - 1.0);
      all_unranked += w * unranked_points;
      size_t tier_begin = 0;
      while (tier_begin < len) {
        size_t tier_end = tier_begin + 1;
        while (tier_end < len && tier[tier_end] == tier[tier_begin]) ++tier_end;
        const double size = static_cast<double>(tier_end - tier_begin);
        const double below = static_cast<double>(len - tier_end) + u;
        const double points = below + 0.5 * (size - 1.0);
        for (size_t p = tier_begin; p < tier_end; ++p) {
          r.score[cand[p]] += w * (points - unranked_points);
          ++listed[cand[p]];
        }
        tier_begin = tier_end;
      }
    }
    r.score.array() += all_unranked;
    const auto never = std::count(listed.begin(), listed.end(), int64_t{0});
    if (b.NumOrders() == 0) r.notes.push_back("no orders: every candidate scores 0");
    if (never > 0 && b.NumOrders() > 0)
      r.notes.push_back(
          fmt::format("{} candidate(s) listed by no order; they score only as unranked ({})", never,
                      !b.unranked_below  ? "0 points: orders do not compare them"
                      : o_.unranked_zero ? "0 points"
                                         : "tied below every listed candidate"));
    if (n > 1 && (r.score.array() == r.score[0]).all()) r.notes.push_back("all candidates tie");
    return r;
  }

 private:
  BordaOptions o_;
};

}  // namespace

ModelSpec BordaSpec() {
  ModelSpec spec;
  spec.name = "borda";
  spec.input = InputKind::kRankings;
  spec.summary =
      "Borda count of weak orders: one point per candidate beaten, half per candidate tied, "
      "weighted by the orders' counts";
  spec.params = {
      StringParam("unranked", "tied", {"tied", "zero"},
                  "candidates an order leaves unranked: tied among themselves below every listed "
                  "one (each gets (u-1)/2), or no point")
          .WithType("\"tied\" | \"zero\""),
  };
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    BordaOptions o;
    o.unranked_zero = in.String("unranked") == "zero";
    return std::make_unique<Borda>(o);
  };
  return spec;
}

}  // namespace evalsim
