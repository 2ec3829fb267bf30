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

// The epsilon of the walk: the fallback when the plain chain would be reducible.
double ChooseEpsilon(double epsilon, const ComparisonGraph& graph,
                     std::vector<std::string>& notes) {
  double eps = epsilon;
  if (eps == 0.0 && graph.NotStrong() > 0) {
    eps = kFallbackEpsilon;
    notes.push_back(
        fmt::format("the comparison graph is not strongly connected in {} component(s) (a set of "
                    "evaluees never lost to the rest and would absorb the walk): regularised with "
                    "epsilon = {}",
                    graph.NotStrong(), eps));
  }
  return eps;
}

void NoteGroups(const ComparisonGraph& graph, int n, std::vector<std::string>& notes) {
  if (graph.isolated > 0 && graph.isolated < n)
    notes.push_back(fmt::format("{} evaluee(s) had no comparison", graph.isolated));
  if (graph.isolated == n) notes.push_back("no comparison: every evaluee scored alike");
  if (graph.count - graph.isolated > 1)
    notes.push_back(
        fmt::format("{} separate groups of compared evaluees: scores are comparable only "
                    "within a group",
                    graph.count - graph.isolated));
}

// The random walk: transition shares of each compared pair, scaled by the largest degree, and
// the probability of staying put.
struct Walk {
  std::vector<uint32_t> pi_, pj_;
  std::vector<double> to_j, to_i;  // P(i -> j) and P(j -> i)
  std::vector<double> stay;
  uint32_t d_max = 0;
};

Walk BuildWalk(const PairwiseBallots& b, double eps, int n) {
  Walk w;
  std::vector<uint32_t>& pi_ = w.pi_;
  std::vector<uint32_t>& pj_ = w.pj_;
  std::vector<double>& to_j = w.to_j;  // P(i -> j) * d_max until scaled
  std::vector<double>& to_i = w.to_i;  // P(j -> i) * d_max until scaled
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
  w.d_max = n > 0 ? *std::max_element(degree.begin(), degree.end()) : 0;
  std::vector<double>& stay = w.stay;
  stay.assign(n, 1.0);
  if (w.d_max > 0) {
    const double inv = 1.0 / w.d_max;
    for (size_t p = 0; p < pi_.size(); ++p) {
      to_j[p] *= inv;
      to_i[p] *= inv;
      stay[pi_[p]] -= to_j[p];
      stay[pj_[p]] -= to_i[p];
    }
  }
  for (double& s : stay) s = std::max(0.0, s);
  return w;
}

struct Stationary {
  std::vector<double> pi;
  int iterations = 0;
  bool converged = false;
};

// Power iteration from the uniform distribution until the largest relative change is below
// the tolerance.
Stationary PowerIterate(const Walk& w, int n, const RankCentralityOptions& o,
                        std::vector<std::string>& notes) {
  Stationary st;
  std::vector<double>& pi = st.pi;
  pi.assign(n, 1.0 / n);
  std::vector<double> next(n);
  const std::vector<uint32_t>& pi_ = w.pi_;
  const std::vector<uint32_t>& pj_ = w.pj_;
  const std::vector<double>& to_j = w.to_j;
  const std::vector<double>& to_i = w.to_i;
  const std::vector<double>& stay = w.stay;
  const size_t E = pi_.size();
  for (;;) {
    for (int v = 0; v < n; ++v) next[v] = stay[v] * pi[v];
    for (size_t p = 0; p < E; ++p) {
      const uint32_t i = pi_[p], j = pj_[p];
      next[j] += pi[i] * to_j[p];
      next[i] += pi[j] * to_i[p];
    }
    ++st.iterations;
    double change = 0.0;
    for (int v = 0; v < n; ++v) {
      const double d = std::abs(next[v] - pi[v]);
      if (d > change * next[v]) change = next[v] > 0.0 ? d / next[v] : HUGE_VAL;
    }
    pi.swap(next);
    if (change < o.tolerance) {
      st.converged = true;
      break;
    }
    if (st.iterations >= o.max_iterations) {
      notes.push_back(fmt::format(
          "not converged after {} iterations (largest relative change {:.3g}, tolerance {})",
          st.iterations, change, o.tolerance));
      break;
    }
  }
  return st;
}

// Normalise within each component: shares summing to 1, or logs centred on 0.
void NormaliseWithinComponents(const ComparisonGraph& graph, const std::vector<double>& pi,
                               bool log_score, int n, Eigen::VectorXd& score) {
  std::vector<double> sum(graph.count, 0.0);
  if (log_score) {
    for (int v = 0; v < n; ++v) {
      score[v] = std::log(pi[v]);
      sum[graph.component[v]] += score[v];
    }
    for (int v = 0; v < n; ++v)
      score[v] -= sum[graph.component[v]] / graph.size[graph.component[v]];
  } else {
    for (int v = 0; v < n; ++v) sum[graph.component[v]] += pi[v];
    for (int v = 0; v < n; ++v) score[v] = pi[v] / sum[graph.component[v]];
  }
}

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
    const double eps = ChooseEpsilon(o_.epsilon, graph, r.notes);
    NoteGroups(graph, n, r.notes);

    const Walk walk = BuildWalk(b, eps, n);
    const Stationary st = PowerIterate(walk, n, o_, r.notes);
    NormaliseWithinComponents(graph, st.pi, o_.log_score, n, r.score);
    r.parameters = {{"iterations", st.iterations},
                    {"converged", st.converged ? 1.0 : 0.0},
                    {"epsilon", eps},
                    {"d_max", walk.d_max},
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
