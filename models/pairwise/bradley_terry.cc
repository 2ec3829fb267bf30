#include "models/pairwise/bradley_terry.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/common/comparison_graph.h"

namespace evalsim {
namespace internal {

CompactPairs CompactComparisons(const PairwiseBallots& b) {
  CompactPairs c;
  c.n = b.NumRatees();
  c.wins.assign(c.n, 0.0);
  c.games.assign(c.n, 0.0);
  const size_t P = b.NumPairs();
  c.i.reserve(P);
  c.j.reserve(P);
  c.total.reserve(P);
  for (size_t p = 0; p < P; ++p) {
    const double wi = b.first_wins[p], wj = b.second_wins[p], t = wi + wj;
    if (!(t > 0.0)) continue;
    const uint32_t i = b.first[p], j = b.second[p];
    c.i.push_back(i);
    c.j.push_back(j);
    c.total.push_back(t);
    c.wins[i] += wi;
    c.wins[j] += wj;
    c.games[i] += t;
    c.games[j] += t;
  }
  return c;
}

namespace {

// Pairs handled together by the pass below: their shares are computed in one
// vectorisable loop, then added to the evaluees' sums in pair order.
constexpr size_t kBlock = 512;

// share[k] = total[k] / (g[i[k]] + g[j[k]]) and, when `sum` is not null,
// sum[k] = g[i[k]] + g[j[k]]. Only additions and divisions, each correctly
// rounded whatever the instruction set, so the clones give identical results.
// Not under ThreadSanitizer: the clones' ifunc resolver runs before TSan is
// initialised and crashes the binary at start-up.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_THREAD__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void Shares(const uint32_t* __restrict i, const uint32_t* __restrict j,
            const double* __restrict total, const double* __restrict g, size_t m,
            double* __restrict share, double* __restrict sum) {
  if (sum != nullptr) {
    for (size_t k = 0; k < m; ++k) {
      const double s = g[i[k]] + g[j[k]];
      sum[k] = s;
      share[k] = total[k] / s;
    }
  } else {
    for (size_t k = 0; k < m; ++k) share[k] = total[k] / (g[i[k]] + g[j[k]]);
  }
}

// The pass over the pairs behind every MM update: d[v] += the shares of v's
// pairs (d is not cleared). Pairs come sorted by their first evaluee, so each
// run of one first evaluee is summed in a register and added once. With
// `loglik`, also returns sum over pairs of total * log(g_i + g_j), summed per
// block and then over blocks (a smaller rounding error than one running sum).
double PairPass(const CompactPairs& pairs, const double* g, double* d, bool loglik) {
  const uint32_t* pi = pairs.i.data();
  const uint32_t* pj = pairs.j.data();
  const double* pt = pairs.total.data();
  const size_t P = pairs.size();
  alignas(64) double share[kBlock];
  alignas(64) double sum[kBlock];
  double log_total = 0.0;
  uint32_t run = P > 0 ? pi[0] : 0;
  double acc = 0.0;
  for (size_t start = 0; start < P; start += kBlock) {
    const size_t m = std::min(kBlock, P - start);
    const uint32_t* bi = pi + start;
    const uint32_t* bj = pj + start;
    Shares(bi, bj, pt + start, g, m, share, loglik ? sum : nullptr);
    for (size_t k = 0; k < m; ++k) {
      const uint32_t a = bi[k];
      if (a != run) {
        d[run] += acc;
        run = a;
        acc = 0.0;
      }
      acc += share[k];
      d[bj[k]] += share[k];
    }
    if (loglik) {
      double block = 0.0;
      for (size_t k = 0; k < m; ++k) block += pt[start + k] * std::log(sum[k]);
      log_total += block;
    }
  }
  if (P > 0) d[run] += acc;
  return log_total;
}

// Sets d[v] to the prior's part of the MM denominator, 2 prior / (g_v + 1).
void PriorDenominators(int n, const double* g, double prior, double* d) {
  if (prior > 0.0) {
    for (int v = 0; v < n; ++v) d[v] = 2.0 * prior / (g[v] + 1.0);
  } else {
    std::fill(d, d + n, 0.0);
  }
}

}  // namespace

void MmDenominators(const CompactPairs& pairs, const std::vector<double>& g, double prior,
                    std::vector<double>* denom) {
  PriorDenominators(pairs.n, g.data(), prior, denom->data());
  PairPass(pairs, g.data(), denom->data(), false);
}

}  // namespace internal

namespace {

using internal::CompactPairs;

// Set from the parameter declarations of BradleyTerrySpec().
struct BradleyTerryOptions {
  bool newton{};
  bool squarem{};
  double prior{};
  double fallback_prior{};
  double tolerance{};
  int max_iterations{};
  std::string se;
};

// Evaluees up to which the standard errors are computed exactly.
constexpr int kExactSeMax = 1000;

class BradleyTerry : public Model {
 public:
  explicit BradleyTerry(BradleyTerryOptions o) : o_(std::move(o)) {}

  ScoreResult Score(const ModelInput& input) const override {
    const PairwiseBallots& b = *input.pairwise;
    const int n = b.NumRatees();
    ScoreResult r;
    r.score = Eigen::VectorXd::Zero(n);
    if (n == 0) {
      r.notes.push_back("no evaluee");
      return r;
    }
    const CompactPairs pairs = internal::CompactComparisons(b);
    const ComparisonGraph graph = AnalyseComparisonGraph(b);
    double prior = o_.prior;
    if (pairs.size() == 0) r.notes.push_back("no comparison: every evaluee scored 0");
    if (prior == 0.0 && graph.NotStrong() > 0) {
      prior = o_.fallback_prior;
      r.notes.push_back(fmt::format(
          "the comparison graph is not strongly connected in {} component(s) (a set of "
          "evaluees never lost to the rest), so maximum-likelihood strengths do not exist; "
          "fitted with prior = {} win(s) and loss(es) per evaluee against a virtual average "
          "opponent (fallback_prior)",
          graph.NotStrong(), prior));
    }
    if (graph.isolated > 0 && pairs.size() > 0)
      r.notes.push_back(
          fmt::format("{} evaluee(s) had no comparison{}", graph.isolated,
                      prior > 0.0 ? "" : ": they score 0 with se 0, which are not estimates"));
    if (graph.count - graph.isolated > 1 && prior == 0.0)
      r.notes.push_back(
          fmt::format("{} separate groups of compared evaluees: scores are centred within each "
                      "and are not comparable across groups",
                      graph.count - graph.isolated));

    Fit fit = o_.newton ? FitNewton(pairs, prior) : FitMm(pairs, prior);
    if (!fit.converged)
      r.notes.push_back(fmt::format(
          "not converged after {} iterations (largest relative gradient {:.3g}, tolerance {})",
          fit.iterations, fit.criterion, o_.tolerance));

    // theta, centred within components (or over all with a prior).
    Eigen::VectorXd theta(n);
    for (int v = 0; v < n; ++v) theta[v] = std::log(fit.g[v]);
    if (prior > 0.0) {
      theta.array() -= theta.mean();
    } else {
      std::vector<double> sum(graph.count, 0.0);
      for (int v = 0; v < n; ++v) sum[graph.component[v]] += theta[v];
      for (int v = 0; v < n; ++v)
        theta[v] -= sum[graph.component[v]] / graph.size[graph.component[v]];
    }
    r.score = theta;

    if (o_.se != "none") r.se = StandardErrors(pairs, graph, fit.g, prior, &r.notes);

    r.parameters = {{"iterations", fit.iterations},
                    {"converged", fit.converged ? 1.0 : 0.0},
                    {"prior", prior},
                    {"components", graph.count},
                    {"max_gradient", fit.max_gradient}};
    if (o_.newton) r.parameters.push_back({"cg_iterations", fit.cg_iterations});
    return r;
  }

 private:
  struct Fit {
    std::vector<double> g;
    int iterations = 0;
    int cg_iterations = 0;
    bool converged = false;
    double criterion = 0.0;     // largest |gradient_i| / games_i
    double max_gradient = 0.0;  // largest |gradient_i|
  };

  // Gradient (observed - expected wins) from the MM denominators; returns the
  // convergence criterion and sets the largest absolute gradient.
  static double Gradient(const CompactPairs& pairs, const std::vector<double>& g,
                         const std::vector<double>& wins, const std::vector<double>& denom,
                         double prior, std::vector<double>* grad, double* max_abs) {
    double crit = 0.0, big = 0.0;
    for (int v = 0; v < pairs.n; ++v) {
      const double gv = wins[v] - g[v] * denom[v];
      (*grad)[v] = gv;
      const double games = pairs.games[v] + 2.0 * prior;
      if (games > 0.0) crit = std::max(crit, std::abs(gv) / games);
      big = std::max(big, std::abs(gv));
    }
    *max_abs = big;
    return crit;
  }

  static std::vector<double> PriorWins(const CompactPairs& pairs, double prior) {
    std::vector<double> w = pairs.wins;
    for (double& x : w) x += prior;
    return w;
  }

  // The MM map at g into `out`, with the convergence test at g (fused in
  // the update loop). Returns true when the fit stops at g (converged or
  // out of iterations); then f.g is g. With `loglik`, sets it to the
  // log-likelihood at g.
  class MmMap {
   public:
    MmMap(const CompactPairs& pairs, const std::vector<double>& wins, double prior,
          double tolerance, int max_iterations, Fit& f)
        : pairs_(pairs),
          wins_(wins),
          prior_(prior),
          tolerance_(tolerance),
          max_iterations_(max_iterations),
          f_(f),
          d_(pairs.n) {}

    bool operator()(const std::vector<double>& g, std::vector<double>& out, double* loglik) {
      const int n = pairs_.n;
      const CompactPairs& pairs = pairs_;
      const std::vector<double>& wins = wins_;
      const double prior = prior_;
      std::vector<double>& d = d_;
      Fit& f = f_;
      internal::PriorDenominators(n, g.data(), prior, d.data());
      const double log_sum = internal::PairPass(pairs, g.data(), d.data(), loglik != nullptr);
      double crit = 0.0, big = 0.0, sum = 0.0, l = -log_sum;
      for (int v = 0; v < n; ++v) {
        const double gv = g[v];
        const double grad = wins[v] - gv * d[v];
        const double games = pairs.games[v] + 2.0 * prior;
        if (games > 0.0) crit = std::max(crit, std::abs(grad) / games);
        big = std::max(big, std::abs(grad));
        const double next = d[v] > 0.0 ? wins[v] / d[v] : gv;
        out[v] = next;
        sum += next;
      }
      if (loglik != nullptr) {
        for (int v = 0; v < n; ++v) {
          l += wins[v] * std::log(g[v]);
          if (prior > 0.0) l -= 2.0 * prior * std::log1p(g[v]);
        }
        *loglik = l;
      }
      f.criterion = crit;
      f.max_gradient = big;
      if (crit < tolerance_ || f.iterations >= max_iterations_) {
        f.converged = crit < tolerance_;
        f.g = g;
        return true;
      }
      ++f.iterations;
      // Without a prior the scale is free: keep the mean strength at 1 so
      // that nothing drifts toward overflow.
      if (prior == 0.0 && n > 0) {
        const double scale = n / sum;
        for (double& x : out) x *= scale;
      }
      return false;
    }

   private:
    const CompactPairs& pairs_;
    const std::vector<double>& wins_;
    const double prior_;
    const double tolerance_;
    const int max_iterations_;
    Fit& f_;
    std::vector<double> d_;
  };

  // A SQUAREM extrapolation: its alpha, whether alpha reached -step_max, and
  // whether theta' is finite.
  struct Extrapolation {
    double alpha = 0.0;
    bool at_max = false;
    bool finite = true;
  };

  // From theta0 (t0) and the two MM steps g1, g2 (their logs into t1, t2),
  // theta' = theta0 - 2 alpha r + alpha^2 v, exponentiated into g1.
  static Extrapolation Extrapolate(const std::vector<double>& t0, std::vector<double>& t1,
                                   std::vector<double>& t2, std::vector<double>& g1,
                                   const std::vector<double>& g2, double step_max) {
    const int n = static_cast<int>(t0.size());
    double rr = 0.0, vv = 0.0;
    for (int v = 0; v < n; ++v) {
      t1[v] = std::log(g1[v]);
      t2[v] = std::log(g2[v]);
      const double r = t1[v] - t0[v], w = t2[v] - 2.0 * t1[v] + t0[v];
      rr += r * r;
      vv += w * w;
    }
    const double raw = vv > 0.0 ? -std::sqrt(rr / vv) : -1.0;
    Extrapolation e;
    e.alpha = std::clamp(raw, -step_max, -1.0);
    e.at_max = raw <= -step_max;
    const double alpha = e.alpha;
    bool finite = true;
    for (int v = 0; v < n; ++v) {
      const double r = t1[v] - t0[v], w = t2[v] - 2.0 * t1[v] + t0[v];
      g1[v] = std::exp(t0[v] - 2.0 * alpha * r + alpha * alpha * w);  // g1: theta'
      finite = finite && g1[v] > 0.0 && std::isfinite(g1[v]);
    }
    e.finite = finite;
    return e;
  }

  // SQUAREM cycles (see FitMm) from g0, whose MM step is in g1, until `map` stops the fit.
  static void Squarem(MmMap& map, std::vector<double>& g0, std::vector<double>& g1, double bound) {
    const int n = static_cast<int>(g0.size());
    std::vector<double> g2(n), g3(n), t0(n), t1(n), t2(n);
    double step_max = 1.0;
    for (int v = 0; v < n; ++v) t0[v] = std::log(g0[v]);
    for (bool first = true;; first = false) {
      if (!first && map(g0, g1, nullptr)) return;
      if (map(g1, g2, nullptr)) return;
      const Extrapolation e = Extrapolate(t0, t1, t2, g1, g2, step_max);
      const double alpha = e.alpha;
      const bool finite = e.finite;
      double l = 0.0;
      if (alpha < -1.0 && finite) {
        if (map(g1, g3, &l)) return;
      }
      // Differences below the log-likelihood's rounding error (about
      // 1e-14 of its size for 10^6 pairs) cannot be told apart.
      if (alpha < -1.0 && finite && l >= bound - 1e-12 * std::abs(bound)) {
        bound = l;
        if (e.at_max) step_max *= 4.0;
        g0.swap(g3);
        for (int v = 0; v < n; ++v) t0[v] = std::log(g0[v]);
      } else {
        if (alpha < -1.0)
          step_max = std::max(1.0, step_max / 4.0);
        else if (e.at_max)
          step_max *= 4.0;
        g0.swap(g2);
        t0.swap(t2);
      }
    }
  }

  // Plain MM (acceleration = "none") or SQUAREM (Varadhan & Roland 2008,
  // "Simple and globally convergent methods for accelerating the convergence
  // of any EM algorithm", Scand. J. Statist. 35, scheme S3) on theta = log g.
  // Every evaluation of the MM map is one pass over the pairs (counted in
  // `iterations`) and tests convergence at its input. A SQUAREM cycle from
  // theta0 makes two MM steps (theta1, theta2), with r = theta1 - theta0 and
  // v = theta2 - 2 theta1 + theta0 extrapolates to
  //   theta' = theta0 - 2 alpha r + alpha^2 v,  alpha = -|r| / |v|,
  // clamped to -step_max <= alpha <= -1 (alpha = -1 gives theta2), then
  // takes one MM step from theta' in a pass that also evaluates the
  // log-likelihood at theta'. Monotone safeguard: theta' is kept only when its
  // log-likelihood is not below the last accepted one (MM steps never lower
  // it, so that value bounds every later iterate from below), up to 1e-12 of
  // its size (rounding: near the optimum the differences are below what the
  // sum over the pairs can resolve, and a strict test would reject at
  // random); otherwise the
  // cycle ends at theta2 (two plain MM steps). step_max starts at 1 and is
  // multiplied by 4 when alpha reaches it and the step is kept, divided by 4
  // (down to 1) on a rejection, as in Varadhan & Roland's defaults.
  Fit FitMm(const CompactPairs& pairs, double prior) const {
    const int n = pairs.n;
    const std::vector<double> wins = PriorWins(pairs, prior);
    Fit f;
    MmMap map(pairs, wins, prior, o_.tolerance, o_.max_iterations, f);
    std::vector<double> g0(n, 1.0), g1(n);
    if (!o_.squarem) {
      while (!map(g0, g1, nullptr)) g0.swap(g1);
      return f;
    }
    double bound = 0.0;
    if (map(g0, g1, &bound)) return f;
    Squarem(map, g0, g1, bound);
    return f;
  }

  // Weights of the observed information: per pair n p (1 - p), per evaluee
  // the prior's 2 a p0 (1 - p0).
  static void Information(const CompactPairs& pairs, const std::vector<double>& g, double prior,
                          std::vector<double>* edge, std::vector<double>* diag) {
    const size_t P = pairs.size();
    for (int v = 0; v < pairs.n; ++v) {
      const double p0 = g[v] / (g[v] + 1.0);
      (*diag)[v] = prior > 0.0 ? 2.0 * prior * p0 * (1.0 - p0) : 0.0;
    }
    for (size_t p = 0; p < P; ++p) {
      const uint32_t i = pairs.i[p], j = pairs.j[p];
      const double s = g[i] + g[j];
      const double w = pairs.total[p] * g[i] * g[j] / (s * s);
      (*edge)[p] = w;
      (*diag)[i] += w;
      (*diag)[j] += w;
    }
  }

  static double LogLikelihood(const CompactPairs& pairs, const std::vector<double>& theta,
                              const std::vector<double>& wins, double prior) {
    double l = 0.0;
    for (int v = 0; v < pairs.n; ++v) {
      l += wins[v] * theta[v];
      if (prior > 0.0) l -= 2.0 * prior * std::log1p(std::exp(theta[v]));
    }
    for (size_t p = 0; p < pairs.size(); ++p) {
      const double a = theta[pairs.i[p]], c = theta[pairs.j[p]];
      const double m = std::max(a, c);
      l -= pairs.total[p] * (m + std::log1p(std::exp(-std::abs(a - c))));
    }
    return l;
  }

  // Work space of the Newton step's CG solve.
  struct CgWork {
    explicit CgWork(int n) : res(n), z(n), dir(n), hd(n) {}
    std::vector<double> res, z, dir, hd;
  };

  // Solves H x = grad by Jacobi-preconditioned CG, H from the information weights `edge` and
  // `diag`; inexact Newton with forcing term min(0.1, sqrt(|grad|)). Counts the CG iterations.
  static void NewtonDirection(const CompactPairs& pairs, const std::vector<double>& edge,
                              const std::vector<double>& diag, const std::vector<double>& grad,
                              CgWork& work, std::vector<double>& x, int* cg_iterations) {
    const int n = pairs.n;
    const size_t P = pairs.size();
    std::vector<double>& res = work.res;
    std::vector<double>& z = work.z;
    std::vector<double>& dir = work.dir;
    std::vector<double>& hd = work.hd;
    double gnorm = 0.0;
    for (double v : grad) gnorm += v * v;
    gnorm = std::sqrt(gnorm);
    const double eta = std::min(0.1, std::sqrt(gnorm));
    std::fill(x.begin(), x.end(), 0.0);
    res = grad;
    double rz = 0.0;
    for (int v = 0; v < n; ++v) {
      z[v] = diag[v] > 0.0 ? res[v] / diag[v] : 0.0;
      rz += res[v] * z[v];
    }
    dir = z;
    for (int k = 0; k < 10 * n + 100 && rz > 0.0; ++k) {
      // hd = H dir
      for (int v = 0; v < n; ++v) hd[v] = diag[v] * dir[v];
      for (size_t p = 0; p < P; ++p) {
        const uint32_t i = pairs.i[p], j = pairs.j[p];
        hd[i] -= edge[p] * dir[j];
        hd[j] -= edge[p] * dir[i];
      }
      double dhd = 0.0;
      for (int v = 0; v < n; ++v) dhd += dir[v] * hd[v];
      ++*cg_iterations;
      if (!(dhd > 0.0)) break;
      const double alpha = rz / dhd;
      double rnorm = 0.0, rz_new = 0.0;
      for (int v = 0; v < n; ++v) {
        x[v] += alpha * dir[v];
        res[v] -= alpha * hd[v];
        rnorm += res[v] * res[v];
        z[v] = diag[v] > 0.0 ? res[v] / diag[v] : 0.0;
        rz_new += res[v] * z[v];
      }
      if (std::sqrt(rnorm) <= eta * gnorm) break;
      const double beta = rz_new / rz;
      rz = rz_new;
      for (int v = 0; v < n; ++v) dir[v] = z[v] + beta * dir[v];
    }
  }

  // Backtracking line search on the log-likelihood (concave) along x from theta; moves theta
  // and updates `loglik`. `trial` is work space.
  static void LineSearch(const CompactPairs& pairs, const std::vector<double>& wins, double prior,
                         const std::vector<double>& grad, const std::vector<double>& x,
                         std::vector<double>& theta, std::vector<double>& trial, double& loglik) {
    const int n = pairs.n;
    double slope = 0.0;
    for (int v = 0; v < n; ++v) slope += grad[v] * x[v];
    // When the predicted gain is below the rounding error of the
    // log-likelihood, the search cannot tell steps apart: near the optimum
    // the full Newton step is taken (its quadratic convergence is what the
    // gradient test then sees).
    const bool tiny = 0.5 * slope <= 1e-11 * (1.0 + std::abs(loglik));
    double step = 1.0;
    for (int tries = 0; tries < 60; ++tries, step *= 0.5) {
      for (int v = 0; v < n; ++v) trial[v] = theta[v] + step * x[v];
      const double l = LogLikelihood(pairs, trial, wins, prior);
      if (tiny || l >= loglik + 1e-4 * step * slope || tries == 59) {
        loglik = l;
        theta.swap(trial);
        break;
      }
    }
  }

  Fit FitNewton(const CompactPairs& pairs, double prior) const {
    const int n = pairs.n;
    const size_t P = pairs.size();
    const std::vector<double> wins = PriorWins(pairs, prior);
    Fit f;
    f.g.assign(n, 1.0);
    std::vector<double> theta(n, 0.0), denom(n), grad(n), edge(P), diag(n);
    std::vector<double> x(n), trial(n);
    CgWork work(n);
    double loglik = LogLikelihood(pairs, theta, wins, prior);
    for (;;) {
      internal::MmDenominators(pairs, f.g, prior, &denom);
      f.criterion = Gradient(pairs, f.g, wins, denom, prior, &grad, &f.max_gradient);
      if (f.criterion < o_.tolerance) {
        f.converged = true;
        break;
      }
      if (f.iterations >= o_.max_iterations) break;
      ++f.iterations;
      Information(pairs, f.g, prior, &edge, &diag);
      NewtonDirection(pairs, edge, diag, grad, work, x, &f.cg_iterations);
      LineSearch(pairs, wins, prior, grad, x, theta, trial, loglik);
      // Keep the scale centred without a prior (the likelihood is invariant).
      if (prior == 0.0) {
        double mean = 0.0;
        for (double t : theta) mean += t;
        mean /= n;
        for (double& t : theta) t -= mean;  // the log-likelihood does not change
      }
      for (int v = 0; v < n; ++v) f.g[v] = std::exp(theta[v]);
    }
    return f;
  }

  Eigen::VectorXd StandardErrors(const CompactPairs& pairs, const ComparisonGraph& graph,
                                 const std::vector<double>& g, double prior,
                                 std::vector<std::string>* notes) const {
    const int n = pairs.n;
    const size_t P = pairs.size();
    std::vector<double> edge(P), diag(n);
    Information(pairs, g, prior, &edge, &diag);
    // An evaluee without comparisons keeps se 0 (its score is no estimate;
    // noted), so that every se is finite.
    Eigen::VectorXd se = Eigen::VectorXd::Zero(n);
    // Blocks solved together: with a prior, all evaluees; else each component.
    const int blocks = prior > 0.0 ? 1 : graph.count;
    std::vector<int32_t> block(n), local(n);
    std::vector<int32_t> block_size(blocks, 0);
    for (int v = 0; v < n; ++v) {
      block[v] = prior > 0.0 ? 0 : graph.component[v];
      local[v] = block_size[block[v]]++;
    }
    bool diagonal = o_.se == "diagonal";
    for (int c = 0; c < blocks && !diagonal; ++c) diagonal = block_size[c] > kExactSeMax;
    if (diagonal) {
      for (int v = 0; v < n; ++v)
        if (diag[v] > 0.0) se[v] = 1.0 / std::sqrt(diag[v]);
      if (o_.se == "auto")
        notes->push_back(fmt::format(
            "more than {} evaluees: se = 1/sqrt(information_ii), the se of each strength with the "
            "others known (an approximation)",
            kExactSeMax));
      return se;
    }
    std::vector<Eigen::MatrixXd> h(blocks);
    for (int c = 0; c < blocks; ++c) h[c] = Eigen::MatrixXd::Zero(block_size[c], block_size[c]);
    for (int v = 0; v < n; ++v) h[block[v]](local[v], local[v]) = diag[v];
    for (size_t p = 0; p < P; ++p) {
      const uint32_t i = pairs.i[p], j = pairs.j[p];
      Eigen::MatrixXd& m = h[block[i]];
      m(local[i], local[j]) -= edge[p];
      m(local[j], local[i]) -= edge[p];
    }
    std::vector<Eigen::VectorXd> var(blocks);
    for (int c = 0; c < blocks; ++c) {
      const int m = block_size[c];
      if (m == 1 && prior == 0.0) continue;  // no comparison: se stays 0
      Eigen::MatrixXd& hc = h[c];
      if (prior == 0.0) {
        // Pseudo-inverse of a connected Laplacian: (H + J/m)^-1 - J/m.
        hc.array() += 1.0 / m;
        Eigen::MatrixXd inv = hc.ldlt().solve(Eigen::MatrixXd::Identity(m, m));
        var[c] = inv.diagonal().array() - 1.0 / m;
      } else {
        Eigen::MatrixXd inv = hc.ldlt().solve(Eigen::MatrixXd::Identity(m, m));
        const Eigen::VectorXd row_mean = inv.rowwise().mean();
        const double all_mean = row_mean.mean();
        var[c] = inv.diagonal() - 2.0 * row_mean + Eigen::VectorXd::Constant(m, all_mean);
      }
    }
    for (int v = 0; v < n; ++v) {
      const Eigen::VectorXd& vc = var[block[v]];
      if (vc.size() > 0) se[v] = std::sqrt(std::max(0.0, vc[local[v]]));
    }
    return se;
  }

  BradleyTerryOptions o_;
};

}  // namespace

ModelSpec BradleyTerrySpec() {
  ModelSpec spec;
  spec.name = "bradley_terry";
  spec.input = InputKind::kPairwise;
  spec.summary =
      "maximum-likelihood Bradley-Terry strengths (MM or Newton-CG), log-strengths centred per "
      "connected component; optional prior pseudo-comparisons";
  spec.params = {
      StringParam("method", "mm", {"mm", "newton"},
                  "\"mm\" (Hunter 2004 minorisation-maximisation, one pass over the pairs per "
                  "iteration) or \"newton\" (Newton steps solved by preconditioned conjugate "
                  "gradient)"),
      StringParam("acceleration", "squarem", {"squarem", "none"},
                  "for method = \"mm\": \"squarem\" (Varadhan & Roland 2008 squared "
                  "extrapolation on the log-strengths, kept only when the log-likelihood does "
                  "not decrease) or \"none\" (plain MM); either converges to the same estimate"),
      NumberParam("prior", 0.0, AtLeast(0.0),
                  "wins and losses each evaluee gets against a virtual average opponent (0 = "
                  "plain ML)"),
      NumberParam("fallback_prior", 0.5, Above(0.0),
                  "prior used, and noted, when prior = 0 and the maximum-likelihood estimate "
                  "does not exist (the comparison graph is not strongly connected)"),
      NumberParam("tolerance", 1e-10, Above(0.0),
                  "stop when every evaluee's observed and expected wins differ by less than this "
                  "times its number of comparisons"),
      IntegerParam("max_iterations", 10000, Between(1, 1e9), "most MM iterations or Newton steps"),
      StringParam("se", "auto", {"auto", "diagonal", "none"},
                  "standard errors: \"auto\" (exact inverse information up to 1000 evaluees, "
                  "diagonal above), \"diagonal\" (1/sqrt(information_ii)) or \"none\""),
  };
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    BradleyTerryOptions o;
    o.newton = in.String("method") == "newton";
    o.squarem = in.String("acceleration") == "squarem";
    o.prior = in.Double("prior");
    o.fallback_prior = in.Double("fallback_prior");
    o.tolerance = in.Double("tolerance");
    o.max_iterations = static_cast<int>(in.Int("max_iterations"));
    o.se = in.String("se");
    return std::make_unique<BradleyTerry>(std::move(o));
  };
  return spec;
}

}  // namespace evalsim
