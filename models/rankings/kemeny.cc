#include "models/rankings/kemeny.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <limits>
#include <numeric>
#include <vector>

#include "models/common/ranking_tally.h"
#include "sim/core/rng.h"

namespace evalsim {
namespace {

// Set from the parameter declarations of KemenySpec().
struct KemenyOptions {
  int exact_max{};
  int restarts{};
  uint64_t seed{};
};

// d as a dense row-major n x n matrix.
using Matrix = std::vector<double>;

double OrderCost(const Matrix& d, int n, const std::vector<int>& order) {
  double cost = 0.0;
  for (int a = 0; a < n; ++a)
    for (int b = a + 1; b < n; ++b) cost += d[static_cast<size_t>(order[b]) * n + order[a]];
  return cost;
}

struct ExactResult {
  std::vector<int> order;             // one optimal order
  std::vector<double> mean_position;  // over all optimal orders
  double optimal_orders = 0.0;        // how many there are
};

// Exact optimum by dynamic programming over the set S of candidates placed
// at the top. Step cost of placing c right below S: sum over j not in S + c
// of d[j][c]. Forward: f(S), the cheapest top part, and how many orders of S
// reach it; backward: g(T), the cheapest completion below T, and how many;
// then c sits at position |S| in N_f(S) * N_g(S + c) optimal orders whenever
// f(S) + step(S, c) + g(S + c) is the optimum. Costs within `eps` of each
// other count as equal.
ExactResult ExactOrder(const Matrix& d, int n, double eps) {
  const size_t full = (size_t{1} << n) - 1;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> f(full + 1, inf), g(full + 1, inf), nf(full + 1, 0.0), ng(full + 1, 0.0);
  std::vector<uint8_t> last(full + 1, 0);
  std::vector<double> col_total(n, 0.0), step(n);
  for (int j = 0; j < n; ++j)
    for (int c = 0; c < n; ++c) col_total[c] += d[static_cast<size_t>(j) * n + c];
  // step[c] for every c not in s (c's cost against everything below it).
  auto steps = [&](size_t s) {
    std::copy(col_total.begin(), col_total.end(), step.begin());
    for (int j = 0; j < n; ++j)
      if (s >> j & 1) {
        const double* row = d.data() + static_cast<size_t>(j) * n;
        for (int c = 0; c < n; ++c) step[c] -= row[c];
      }
  };
  f[0] = 0.0;
  nf[0] = 1.0;
  for (size_t s = 0; s < full; ++s) {
    steps(s);
    for (int c = 0; c < n; ++c) {
      if (s >> c & 1) continue;
      const double v = f[s] + step[c];
      const size_t t = s | (size_t{1} << c);
      if (v < f[t] - eps) {
        f[t] = v;
        nf[t] = nf[s];
        last[t] = static_cast<uint8_t>(c);
      } else if (v <= f[t] + eps) {
        nf[t] += nf[s];
      }
    }
  }
  g[full] = 0.0;
  ng[full] = 1.0;
  for (size_t s = full; s-- > 0;) {
    steps(s);
    for (int c = 0; c < n; ++c) {
      if (s >> c & 1) continue;
      const size_t t = s | (size_t{1} << c);
      const double v = step[c] + g[t];
      if (v < g[s] - eps) {
        g[s] = v;
        ng[s] = ng[t];
      } else if (v <= g[s] + eps) {
        ng[s] += ng[t];
      }
    }
  }
  ExactResult r;
  r.optimal_orders = ng[0];
  r.mean_position.assign(n, 0.0);
  const double best = f[full];
  for (size_t s = 0; s < full; ++s) {
    if (f[s] + g[s] > best + eps) continue;  // s is the top of no optimal order
    steps(s);
    const double pos = static_cast<double>(std::popcount(s));
    for (int c = 0; c < n; ++c) {
      if (s >> c & 1) continue;
      const size_t t = s | (size_t{1} << c);
      if (f[s] + step[c] + g[t] <= best + eps) r.mean_position[c] += nf[s] * ng[t] * pos;
    }
  }
  for (double& m : r.mean_position) m /= r.optimal_orders;
  r.order.resize(n);
  size_t s = full;
  for (int pos = n - 1; pos >= 0; --pos) {
    r.order[pos] = last[s];
    s &= ~(size_t{1} << last[s]);
  }
  return r;
}

// Insertion-move local search from `order` (in place). Returns the number of
// sweeps.
int LocalSearch(const Matrix& m, int n, double tol, std::vector<int>& order) {
  int sweeps = 0;
  bool improved = true;
  while (improved) {
    improved = false;
    ++sweeps;
    for (int a = 0; a < n; ++a) {
      const int x = order[a];
      const double* mx = m.data() + static_cast<size_t>(x) * n;
      double best = 0.0, acc = 0.0;
      int to = a;
      for (int b = a - 1; b >= 0; --b) {  // x moves above order[b]
        acc -= mx[order[b]];
        if (acc < best) best = acc, to = b;
      }
      acc = 0.0;
      for (int b = a + 1; b < n; ++b) {  // x moves below order[b]
        acc += mx[order[b]];
        if (acc < best) best = acc, to = b;
      }
      if (best < -tol) {
        if (to < a)
          std::rotate(order.begin() + to, order.begin() + a, order.begin() + a + 1);
        else
          std::rotate(order.begin() + a, order.begin() + a + 1, order.begin() + to + 1);
        improved = true;
      }
    }
  }
  return sweeps;
}

std::vector<int> SortedBy(const std::vector<double>& key, const std::vector<double>& second) {
  std::vector<int> order(key.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    if (key[a] != key[b]) return key[a] > key[b];
    return second[a] > second[b];
  });
  return order;
}

// The lower bound on any order's cost (the smaller side of every pair) and the total weight
// of the pairwise preferences.
struct CostBounds {
  double lower = 0.0, scale = 0.0;
};

CostBounds PairBounds(const Matrix& d, int n) {
  const size_t un = static_cast<size_t>(n);
  double lower = 0.0, scale = 0.0;
  for (size_t i = 0; i < un; ++i)
    for (size_t j = i + 1; j < un; ++j) {
      lower += std::min(d[i * un + j], d[j * un + i]);
      scale += d[i * un + j] + d[j * un + i];
    }
  return {lower, scale};
}

// The starting orders of the local search: by wins then net margin, by net margin then wins,
// and `restarts` random orders. Sets `m` to the margins d_ij - d_ji.
std::vector<std::vector<int>> StartingOrders(const Matrix& d, int n, const KemenyOptions& o,
                                             Matrix& m) {
  const size_t un = static_cast<size_t>(n);
  std::vector<double> wins(n, 0.0), net(n, 0.0);
  for (size_t i = 0; i < un; ++i)
    for (size_t j = 0; j < un; ++j) {
      m[i * un + j] = d[i * un + j] - d[j * un + i];
      net[i] += m[i * un + j];
      if (i != j) wins[i] += m[i * un + j] > 0.0 ? 1.0 : m[i * un + j] == 0.0 ? 0.5 : 0.0;
    }
  std::vector<std::vector<int>> starts = {SortedBy(wins, net), SortedBy(net, wins)};
  for (int s = 0; s < o.restarts; ++s) {
    Rng rng(DeriveSeed(o.seed, {kStreamModel, static_cast<uint64_t>(s)}));
    std::vector<int> p(n);
    std::iota(p.begin(), p.end(), 0);
    for (int a = n - 1; a > 0; --a)
      std::swap(p[a], p[static_cast<size_t>(rng.Below(static_cast<uint64_t>(a) + 1))]);
    starts.push_back(std::move(p));
  }
  return starts;
}

// The best local optimum of the local search from every starting order; adds the sweeps made.
std::vector<int> ApproximateOrder(const Matrix& d, int n, double tol, const KemenyOptions& o,
                                  int* sweeps) {
  const size_t un = static_cast<size_t>(n);
  std::vector<int> order;
  Matrix m(un * un);
  std::vector<std::vector<int>> starts = StartingOrders(d, n, o, m);
  double best = std::numeric_limits<double>::infinity();
  for (auto& start : starts) {
    *sweeps += LocalSearch(m, n, tol, start);
    const double c = OrderCost(d, n, start);
    if (c < best - tol) {
      best = c;
      order = start;
    }
  }
  return order;
}

// Exact: n - mean position over the optimal orders.
void ScoreExact(const ExactResult& er, int n, ScoreResult& r) {
  for (int c = 0; c < n; ++c) r.score[c] = static_cast<double>(n) - er.mean_position[c];
  r.parameters.emplace_back("optimal_orders", er.optimal_orders);
  if (er.optimal_orders > 1.0)
    r.notes.push_back(fmt::format(
        "{} optimal orders: score = n - mean position over them (`cost` is one of them)",
        er.optimal_orders));
}

// Approximate: n - position in the order found (n for all when no pair is preferred).
void ScoreApproximate(const std::vector<int>& order, int n, double scale, ScoreResult& r) {
  for (int pos = 0; pos < n; ++pos) r.score[order[pos]] = static_cast<double>(n - pos);
  if (scale == 0.0 && n > 1) {
    r.score.setConstant(n);
    r.notes.push_back("no pairwise preference: every order is optimal; all candidates score n");
  }
}

class Kemeny : public Model {
 public:
  explicit Kemeny(KemenyOptions o) : o_(o) {}

  ScoreResult Score(const ModelInput& input) const override {
    const RankingBallots& b = *input.rankings;
    const int n = b.NumRatees();
    ScoreResult r;
    r.score = Eigen::VectorXd::Zero(n);
    if (n == 0) {
      r.notes.push_back("no candidates");
      r.parameters.emplace_back("approximate", 0.0);
      return r;
    }
    const RankingTally t = TallyRankings(b, /*with_ties=*/false);
    const Matrix& d = t.beats;
    const CostBounds bounds = PairBounds(d, n);
    const double lower = bounds.lower, scale = bounds.scale;
    std::vector<int> order;
    const bool exact = n <= o_.exact_max;
    const double tol = 1e-12 * std::max(1.0, scale);
    int sweeps = 0;
    ExactResult er;
    if (exact) {
      er = ExactOrder(d, n, 1e-9 * std::max(1.0, scale));
      order = er.order;
      ScoreExact(er, n, r);
    } else {
      order = ApproximateOrder(d, n, tol, o_, &sweeps);
      ScoreApproximate(order, n, scale, r);
    }
    const double cost = OrderCost(d, n, order);
    r.parameters.emplace_back("approximate", exact ? 0.0 : 1.0);
    r.parameters.emplace_back("cost", cost);
    r.parameters.emplace_back("lower_bound", lower);
    r.parameters.emplace_back("gap", cost - lower);
    if (!exact) {
      r.parameters.emplace_back("sweeps", static_cast<double>(sweeps));
      r.notes.push_back(fmt::format(
          "{} candidates > exact_max = {}: local search (insertion moves, {} starts), a local "
          "optimum with cost {} (lower bound {})",
          n, o_.exact_max, o_.restarts + 2, cost, lower));
    }
    if (n == 1) r.notes.push_back("one candidate");
    if (const int never = t.NeverListed(); never > 0 && b.NumOrders() > 0)
      r.notes.push_back(fmt::format("{} candidate(s) listed by no order", never));
    return r;
  }

 private:
  KemenyOptions o_;
};

}  // namespace

ModelSpec KemenySpec() {
  ModelSpec spec;
  spec.name = "kemeny";
  spec.input = InputKind::kRankings;
  spec.summary =
      "Kemeny-Young consensus order (least total pairwise disagreement); exact up to exact_max "
      "candidates, local search beyond";
  spec.params = {
      IntegerParam("exact_max", 12, Between(0, 20),
                   "largest number of candidates solved exactly (O(2^n n^2) dynamic programming)"),
      IntegerParam("restarts", 8, Between(0, 1e6),
                   "random starts of the local search beyond exact_max"),
      IntegerParam("seed", 0, Between(0, 9.0e18), "seed of the local search's random starts"),
  };
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    KemenyOptions o;
    o.exact_max = static_cast<int>(in.Int("exact_max"));
    o.restarts = static_cast<int>(in.Int("restarts"));
    o.seed = static_cast<uint64_t>(in.Int("seed"));
    return std::make_unique<Kemeny>(o);
  };
  return spec;
}

}  // namespace evalsim
