#include "models/pairwise/rank_centrality.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/common/comparison_graph.h"

namespace evalsim {
namespace {

// Set from the parameter declarations of RankCentralitySpec().
struct RankCentralityOptions {
  double epsilon{};
  bool log_score{};
  double tolerance{};
  int max_iterations{};
};

// The epsilon applied when the plain chain is reducible.
constexpr double kFallbackEpsilon = 0.5;

class RankCentrality : public Model {
 public:
  explicit RankCentrality(RankCentralityOptions o) : o_(std::move(o)) {}

  ScoreResult Score(const ModelInput& input) const override {
    const PairwiseBallots& b = *input.pairwise;
    const int n = b.NumRatees();
    ScoreResult r;
    r.score = Eigen::VectorXd::Zero(n);
    if (n == 0) {
      r.notes.push_back("no evaluee");
      return r;
    }
    const ComparisonGraph graph = AnalyseComparisonGraph(b);
    double eps = o_.epsilon;
    if (eps == 0.0 && graph.NotStrong() > 0) {
      eps = kFallbackEpsilon;
      r.notes.push_back(fmt::format(
          "the comparison graph is not strongly connected in {} component(s) (a set of "
          "evaluees never lost to the rest and would absorb the walk): regularised with "
          "epsilon = {}",
          graph.NotStrong(), eps));
    }
    if (graph.isolated > 0 && graph.isolated < n)
      r.notes.push_back(fmt::format("{} evaluee(s) had no comparison", graph.isolated));
    if (graph.isolated == n) r.notes.push_back("no comparison: every evaluee scored alike");
    if (graph.count - graph.isolated > 1)
      r.notes.push_back(
          fmt::format("{} separate groups of compared evaluees: scores are comparable only "
                      "within a group",
                      graph.count - graph.isolated));

    // Transition shares of each compared pair and the largest degree.
    std::vector<uint32_t> pi_, pj_;
    std::vector<double> to_j, to_i;  // P(i -> j) * d_max and P(j -> i) * d_max
    std::vector<uint32_t> degree(n, 0);
    const size_t P = b.NumPairs();
    for (size_t p = 0; p < P; ++p) {
      const double wi = b.first_wins[p], wj = b.second_wins[p], t = wi + wj;
      if (!(t > 0.0)) continue;
      pi_.push_back(b.first[p]);
      pj_.push_back(b.second[p]);
      to_j.push_back((wj + eps) / (t + 2.0 * eps));
      to_i.push_back((wi + eps) / (t + 2.0 * eps));
      ++degree[b.first[p]];
      ++degree[b.second[p]];
    }
    const uint32_t d_max = n > 0 ? *std::max_element(degree.begin(), degree.end()) : 0;
    std::vector<double> stay(n, 1.0);
    if (d_max > 0) {
      const double inv = 1.0 / d_max;
      for (size_t p = 0; p < pi_.size(); ++p) {
        to_j[p] *= inv;
        to_i[p] *= inv;
        stay[pi_[p]] -= to_j[p];
        stay[pj_[p]] -= to_i[p];
      }
    }
    for (double& s : stay) s = std::max(0.0, s);

    std::vector<double> pi(n, 1.0 / n), next(n);
    int iterations = 0;
    bool converged = false;
    const size_t E = pi_.size();
    for (;;) {
      for (int v = 0; v < n; ++v) next[v] = stay[v] * pi[v];
      for (size_t p = 0; p < E; ++p) {
        const uint32_t i = pi_[p], j = pj_[p];
        next[j] += pi[i] * to_j[p];
        next[i] += pi[j] * to_i[p];
      }
      ++iterations;
      double change = 0.0;
      for (int v = 0; v < n; ++v) {
        const double d = std::abs(next[v] - pi[v]);
        if (d > change * next[v]) change = next[v] > 0.0 ? d / next[v] : HUGE_VAL;
      }
      pi.swap(next);
      if (change < o_.tolerance) {
        converged = true;
        break;
      }
      if (iterations >= o_.max_iterations) {
        r.notes.push_back(fmt::format(
            "not converged after {} iterations (largest relative change {:.3g}, tolerance {})",
            iterations, change, o_.tolerance));
        break;
      }
    }

    // Normalise within each component.
    std::vector<double> sum(graph.count, 0.0);
    if (o_.log_score) {
      for (int v = 0; v < n; ++v) {
        r.score[v] = std::log(pi[v]);
        sum[graph.component[v]] += r.score[v];
      }
      for (int v = 0; v < n; ++v)
        r.score[v] -= sum[graph.component[v]] / graph.size[graph.component[v]];
    } else {
      for (int v = 0; v < n; ++v) sum[graph.component[v]] += pi[v];
      for (int v = 0; v < n; ++v) r.score[v] = pi[v] / sum[graph.component[v]];
    }
    r.parameters = {{"iterations", iterations},
                    {"converged", converged ? 1.0 : 0.0},
                    {"epsilon", eps},
                    {"d_max", d_max},
                    {"components", graph.count}};
    return r;
  }

 private:
  RankCentralityOptions o_;
};

}  // namespace

ModelSpec RankCentralitySpec() {
  ModelSpec spec;
  spec.name = "rank_centrality";
  spec.input = InputKind::kPairwise;
  spec.summary =
      "Rank Centrality (Negahban, Oh & Shah 2017): stationary distribution of the random walk "
      "that moves toward winners, by power iteration";
  spec.params = {
      NumberParam("epsilon", 0.0, AtLeast(0.0),
                  "pseudo-count added to both sides of every compared pair; 0 = the plain chain, "
                  "regularised with 0.5 (noted) when a set of evaluees never lost to the rest"),
      StringParam("score", "log", {"log", "probability"},
                  "\"log\" (log stationary probability, centred per component) or "
                  "\"probability\" (stationary probability, summing to 1 per component)"),
      NumberParam("tolerance", 1e-10, Above(0.0),
                  "stop when no probability changes by more than this share in one iteration"),
      IntegerParam("max_iterations", 100000, Between(1, 1e9), "most power iterations"),
  };
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    RankCentralityOptions o;
    o.epsilon = in.Double("epsilon");
    o.log_score = in.String("score") == "log";
    o.tolerance = in.Double("tolerance");
    o.max_iterations = static_cast<int>(in.Int("max_iterations"));
    return std::make_unique<RankCentrality>(std::move(o));
  };
  return spec;
}

}  // namespace evalsim
