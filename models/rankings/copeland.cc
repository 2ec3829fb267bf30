#include "models/rankings/copeland.h"

#include <fmt/format.h>

#include "models/common/ranking_tally.h"

namespace evalsim {
namespace {

class Copeland : public Model {
 public:
  explicit Copeland(double tie_score) : tie_score_(tie_score) {}

  ScoreResult Score(const ModelInput& input) const override {
    const RankingBallots& b = *input.rankings;
    const int n = b.NumRatees();
    ScoreResult r;
    r.score = Eigen::VectorXd::Zero(n);
    if (n == 0) {
      r.notes.push_back("no candidates");
      r.parameters.emplace_back("condorcet_winner", -1.0);
      return r;
    }
    const RankingTally t = TallyRankings(b, /*with_ties=*/true);
    std::vector<int> wins(n, 0);
    int64_t unmet = 0, drawn = 0;
    for (int i = 0; i < n; ++i) {
      for (int j = i + 1; j < n; ++j) {
        if (!t.Met(i, j)) {
          ++unmet;
          continue;
        }
        const double ij = t.Beats(i, j), ji = t.Beats(j, i);
        if (ij > ji) {
          r.score[i] += 1.0;
          ++wins[i];
        } else if (ji > ij) {
          r.score[j] += 1.0;
          ++wins[j];
        } else {
          r.score[i] += tie_score_;
          r.score[j] += tie_score_;
          ++drawn;
        }
      }
    }
    int condorcet = -1;
    for (int i = 0; i < n; ++i)
      if (wins[i] == n - 1) condorcet = i;
    if (n == 1) condorcet = 0;
    r.parameters.emplace_back("condorcet_winner", static_cast<double>(condorcet));
    r.parameters.emplace_back("drawn_contests", static_cast<double>(drawn));
    r.parameters.emplace_back("unmet_pairs", static_cast<double>(unmet));
    if (n == 1) r.notes.push_back("one candidate: no contest");
    if (unmet > 0)
      r.notes.push_back(fmt::format(
          "{} pair(s) never compared (no order lists either candidate): neither win nor tie",
          unmet));
    if (drawn > 0)
      r.notes.push_back(
          fmt::format("{} drawn contest(s), each worth {} to both sides", drawn, tie_score_));
    if (const int never = t.NeverListed(); never > 0 && b.NumOrders() > 0)
      r.notes.push_back(fmt::format("{} candidate(s) listed by no order", never));
    if (b.NumOrders() == 0) r.notes.push_back("no orders: every candidate scores 0");
    if (condorcet < 0 && n > 1) r.notes.push_back("no Condorcet winner");
    return r;
  }

 private:
  double tie_score_;
};

}  // namespace

ModelSpec CopelandSpec() {
  ModelSpec spec;
  spec.name = "copeland";
  spec.input = InputKind::kRankings;
  spec.summary = "pairwise majority contests: wins + tie_score x draws";
  spec.params = {
      NumberParam("tie_score", 0.5, Probability(), "what a drawn pairwise contest is worth"),
  };
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    return std::make_unique<Copeland>(in.Double("tie_score"));
  };
  return spec;
}

}  // namespace evalsim
