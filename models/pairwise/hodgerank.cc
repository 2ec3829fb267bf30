#include "models/pairwise/hodgerank.h"

#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/common/comparison_graph.h"

namespace evalsim {
namespace {

// Set from the parameter declarations of HodgeRankSpec().
struct HodgeRankOptions {
  bool log_odds{};
  double correction{};
  double tolerance{};
  int max_iterations{};
};

// The compared pairs as a weighted graph: endpoints, weight (comparisons) and flow of each edge,
// with the divergence and Laplacian diagonal they give.
struct EdgeFlows {
  std::vector<uint32_t> ei, ej;
  std::vector<double> w, y;
  std::vector<double> div, diag;
  double flow_norm = 0.0;
};

EdgeFlows BuildEdgeFlows(const PairwiseBallots& b, const HodgeRankOptions& o, int n) {
  EdgeFlows g;
  g.div.assign(n, 0.0);
  g.diag.assign(n, 0.0);
  for (size_t p = 0; p < b.NumPairs(); ++p) {
    const double wi = b.first_wins[p], wj = b.second_wins[p], t = wi + wj;
    if (!(t > 0.0)) continue;
    const double f =
        o.log_odds ? std::log((wi + o.correction) / (wj + o.correction)) : (wi - wj) / t;
    const uint32_t i = b.first[p], j = b.second[p];
    g.ei.push_back(i);
    g.ej.push_back(j);
    g.w.push_back(t);
    g.y.push_back(f);
    g.div[i] += t * f;
    g.div[j] -= t * f;
    g.diag[i] += t;
    g.diag[j] += t;
    g.flow_norm += t * f * f;
  }
  return g;
}

struct CgSolution {
  std::vector<double> s;
  int iterations = 0;
  double rel = 0.0;
  bool converged = false;
};

// Jacobi-preconditioned CG on L s = div.
CgSolution SolveLaplacian(const EdgeFlows& g, int n, const HodgeRankOptions& o) {
  const std::vector<double>& div = g.div;
  const std::vector<double>& diag = g.diag;
  const std::vector<uint32_t>& ei = g.ei;
  const std::vector<uint32_t>& ej = g.ej;
  const std::vector<double>& w = g.w;
  const size_t E = ei.size();
  CgSolution sol;
  std::vector<double>& s = sol.s;
  s.assign(n, 0.0);
  std::vector<double> res = div, z(n), dir(n), ld(n);
  auto precondition = [&](int v) { return diag[v] > 0.0 ? res[v] / diag[v] : 0.0; };
  double bnorm = 0.0, rz = 0.0;
  for (int v = 0; v < n; ++v) {
    bnorm += div[v] * div[v];
    z[v] = precondition(v);
    rz += res[v] * z[v];
  }
  bnorm = std::sqrt(bnorm);
  dir = z;
  int& iterations = sol.iterations;
  double& rel = sol.rel;
  bool& converged = sol.converged;
  converged = bnorm == 0.0;
  while (!converged && iterations < o.max_iterations) {
    for (int v = 0; v < n; ++v) ld[v] = diag[v] * dir[v];
    for (size_t e = 0; e < E; ++e) {
      ld[ei[e]] -= w[e] * dir[ej[e]];
      ld[ej[e]] -= w[e] * dir[ei[e]];
    }
    double dld = 0.0;
    for (int v = 0; v < n; ++v) dld += dir[v] * ld[v];
    ++iterations;
    if (!(dld > 0.0)) break;
    const double alpha = rz / dld;
    double rnorm = 0.0, rz_new = 0.0;
    for (int v = 0; v < n; ++v) {
      s[v] += alpha * dir[v];
      res[v] -= alpha * ld[v];
      rnorm += res[v] * res[v];
    }
    for (int v = 0; v < n; ++v) {
      z[v] = precondition(v);
      rz_new += res[v] * z[v];
    }
    rel = std::sqrt(rnorm) / bnorm;
    if (rel <= o.tolerance) {
      converged = true;
      break;
    }
    const double beta = rz_new / rz;
    rz = rz_new;
    for (int v = 0; v < n; ++v) dir[v] = z[v] + beta * dir[v];
  }
  return sol;
}

void NoteComponents(const ComparisonGraph& graph, std::vector<std::string>& notes) {
  if (graph.isolated > 0)
    notes.push_back(fmt::format("{} evaluee(s) had no comparison and scored 0", graph.isolated));
  if (graph.count - graph.isolated > 1)
    notes.push_back(
        fmt::format("{} separate groups of compared evaluees: scores are centred within each "
                    "and are not comparable across groups",
                    graph.count - graph.isolated));
}

// s less its mean over each group of compared evaluees.
void CentreWithinComponents(const ComparisonGraph& graph, const std::vector<double>& s, int n,
                            Eigen::VectorXd& score) {
  std::vector<double> sum(graph.count, 0.0);
  for (int v = 0; v < n; ++v) sum[graph.component[v]] += s[v];
  for (int v = 0; v < n; ++v)
    score[v] = s[v] - sum[graph.component[v]] / graph.size[graph.component[v]];
}

// The share of the flow's weighted norm that the scores' differences leave unexplained.
double CyclicShare(const EdgeFlows& g, const Eigen::VectorXd& score,
                   std::vector<std::string>& notes) {
  const size_t E = g.ei.size();
  double cyclic = 0.0;
  for (size_t e = 0; e < E; ++e) {
    const double d = g.y[e] - (score[g.ei[e]] - score[g.ej[e]]);
    cyclic += g.w[e] * d * d;
  }
  double share = 0.0;
  if (g.flow_norm > 0.0) {
    share = cyclic / g.flow_norm;
  } else if (E > 0) {
    notes.push_back("every flow is 0 (all pairs tied): cyclic_share set to 0");
  }
  return share;
}

class HodgeRank : public Model {
 public:
  explicit HodgeRank(HodgeRankOptions o) : o_(std::move(o)) {}

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
    NoteComponents(graph, r.notes);

    const EdgeFlows g = BuildEdgeFlows(b, o_, n);
    const CgSolution sol = SolveLaplacian(g, n, o_);
    if (!sol.converged)
      r.notes.push_back(fmt::format(
          "conjugate gradient not converged after {} iterations (relative residual {:.3g})",
          sol.iterations, sol.rel));

    CentreWithinComponents(graph, sol.s, n, r.score);
    const double share = CyclicShare(g, r.score, r.notes);
    if (g.ei.empty()) r.notes.push_back("no comparison: every evaluee scored 0");
    r.parameters = {{"cyclic_share", share},
                    {"iterations", sol.iterations},
                    {"converged", sol.converged ? 1.0 : 0.0},
                    {"relative_residual", sol.rel},
                    {"components", graph.count}};
    return r;
  }

 private:
  HodgeRankOptions o_;
};

}  // namespace

ModelSpec HodgeRankSpec() {
  ModelSpec spec;
  spec.name = "hodgerank";
  spec.input = InputKind::kPairwise;
  spec.summary =
      "HodgeRank (Jiang, Lim, Yao & Ye 2011): weighted least-squares scores whose differences "
      "fit the pairs' edge flows; reports the cyclic share of the flow";
  spec.params = {
      StringParam("flow", "log_odds", {"log_odds", "difference"},
                  "edge flow of a pair: \"log_odds\" log((W_ij + c) / (W_ji + c)) or "
                  "\"difference\" (W_ij - W_ji) / n_ij"),
      NumberParam("correction", 0.5, Above(0.0), "continuity correction c of the log-odds flow"),
      NumberParam("tolerance", 1e-10, Above(0.0),
                  "conjugate gradient stops when the residual norm is below this times the "
                  "right-hand side's"),
      IntegerParam("max_iterations", 10000, Between(1, 1e9), "most conjugate-gradient iterations"),
  };
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    HodgeRankOptions o;
    o.log_odds = in.String("flow") == "log_odds";
    o.correction = in.Double("correction");
    o.tolerance = in.Double("tolerance");
    o.max_iterations = static_cast<int>(in.Int("max_iterations"));
    return std::make_unique<HodgeRank>(std::move(o));
  };
  return spec;
}

}  // namespace evalsim
