// Pairwise-comparison models: bradley_terry (against a dense Newton fit of
// the full likelihood, its gradient, standard errors against the dense
// inverse information, monotonicity, relabelling, priors, graphs without a
// maximum-likelihood estimate), rank_centrality (hand-computed and dense
// stationary distributions, absorbing graphs), hodgerank (consistent flows,
// a pure cycle, a dense least-squares solve), the three against each other
// on data drawn from a Bradley-Terry model, degenerate inputs and options.
//
// The ballots are built by hand (a test-local aggregator), not through
// sim/core/comparisons.cc.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "models/common/comparison_graph.h"
#include "models/pairwise/bradley_terry.h"
#include "models/pairwise/hodgerank.h"
#include "models/pairwise/rank_centrality.h"
#include "models/registry.h"
#include "sim/core/errors.h"
#include "sim/core/rng.h"

namespace evalsim {
namespace {

struct Game {
  int winner;
  int loser;
  double weight = 1.0;
};

// Sums the games of each unordered pair into the aggregate layout (sorted,
// unique pairs first < second). A tie is two games of weight 0.5.
PairwiseBallots Aggregate(int n, const std::vector<Game>& games) {
  std::map<std::pair<int, int>, std::pair<double, double>> pairs;
  for (const Game& g : games) {
    const int a = std::min(g.winner, g.loser), c = std::max(g.winner, g.loser);
    auto& w = pairs[{a, c}];
    (g.winner == a ? w.first : w.second) += g.weight;
  }
  PairwiseBallots b;
  for (int v = 0; v < n; ++v) b.ratee_names.push_back("e" + std::to_string(v));
  for (const auto& [key, wins] : pairs) {
    b.first.push_back(static_cast<uint32_t>(key.first));
    b.second.push_back(static_cast<uint32_t>(key.second));
    b.first_wins.push_back(wins.first);
    b.second_wins.push_back(wins.second);
  }
  return b;
}

// N(i, j) = wins of i over j.
Eigen::MatrixXd WinMatrix(const PairwiseBallots& b) {
  const int n = b.NumRatees();
  Eigen::MatrixXd w = Eigen::MatrixXd::Zero(n, n);
  for (size_t p = 0; p < b.NumPairs(); ++p) {
    w(b.first[p], b.second[p]) += b.first_wins[p];
    w(b.second[p], b.first[p]) += b.second_wins[p];
  }
  return w;
}

std::unique_ptr<Model> Make(const std::string& name, const std::string& options = "") {
  Registry r;
  r.Add(BradleyTerrySpec());
  r.Add(RankCentralitySpec());
  r.Add(HodgeRankSpec());
  const toml::table table = toml::parse(std::string_view(options), std::string_view("test.toml"));
  return r.Create(name, table, ModelContext{}, "test.toml", "models.x");
}

ScoreResult Fit(const std::string& name, const PairwiseBallots& b,
                const std::string& options = "") {
  ModelInput in;
  in.pairwise = &b;
  return Make(name, options)->Score(in);
}

double Parameter(const ScoreResult& r, const std::string& name) {
  for (const auto& [key, value] : r.parameters)
    if (key == name) return value;
  ADD_FAILURE() << "no parameter " << name;
  return std::nan("");
}

bool HasNote(const ScoreResult& r, const std::string& text) {
  for (const std::string& note : r.notes)
    if (note.find(text) != std::string::npos) return true;
  return false;
}

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Random small data: every pair meets with probability `density`, 1..4
// times, outcomes from a Bradley-Terry model with N(0, 1) log-strengths, a
// tie now and then; a cycle 0 -> 1 -> ... -> n-1 -> 0 of wins keeps the
// "beat" graph strongly connected.
std::vector<Game> RandomGames(int n, uint64_t seed, double density = 0.7) {
  Rng rng(DeriveSeed(seed, {kStreamComparisons}));
  std::vector<double> theta(n);
  for (double& t : theta) t = rng.Normal();
  std::vector<Game> games;
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      if (!rng.Bernoulli(density)) continue;
      const int k = static_cast<int>(rng.Between(1, 4));
      for (int m = 0; m < k; ++m) {
        if (rng.Bernoulli(0.1)) {
          games.push_back({i, j, 0.5});
          games.push_back({j, i, 0.5});
        } else if (rng.Bernoulli(Sigmoid(theta[i] - theta[j]))) {
          games.push_back({i, j});
        } else {
          games.push_back({j, i});
        }
      }
    }
  }
  for (int i = 0; i < n; ++i) games.push_back({i, (i + 1) % n});
  return games;
}

// Independent reference: Newton's method on the full (penalised)
// log-likelihood with dense matrices, theta_0 fixed at 0 when there is no
// prior, then centred (unless `centre` is false: with a prior, theta on the
// virtual opponent's scale). Assumes a connected, strongly connected graph.
Eigen::VectorXd DenseBradleyTerry(const Eigen::MatrixXd& w, double prior, bool centre = true) {
  const int n = static_cast<int>(w.rows());
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(n);
  const int first = prior > 0.0 ? 0 : 1;  // free parameters first..n-1
  for (int it = 0; it < 200; ++it) {
    Eigen::VectorXd grad = Eigen::VectorXd::Zero(n);
    Eigen::MatrixXd hess = Eigen::MatrixXd::Zero(n, n);
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        if (i == j) continue;
        const double games = w(i, j) + w(j, i);
        if (games == 0.0) continue;
        const double p = Sigmoid(theta[i] - theta[j]);
        grad[i] += w(i, j) - games * p;
        hess(i, i) += games * p * (1 - p);
        hess(i, j) -= games * p * (1 - p);
      }
      if (prior > 0.0) {
        const double p = Sigmoid(theta[i]);
        grad[i] += prior - 2.0 * prior * p;
        hess(i, i) += 2.0 * prior * p * (1 - p);
      }
    }
    const int m = n - first;
    const Eigen::VectorXd step =
        hess.bottomRightCorner(m, m).ldlt().solve(grad.tail(m));  // information * step = grad
    theta.tail(m) += step;
    if (step.cwiseAbs().maxCoeff() < 1e-15) break;
  }
  if (centre) theta.array() -= theta.mean();
  return theta;
}

// Observed information (negative Hessian of the log-likelihood) at theta.
Eigen::MatrixXd DenseInformation(const Eigen::MatrixXd& w, const Eigen::VectorXd& theta,
                                 double prior) {
  const int n = static_cast<int>(w.rows());
  Eigen::MatrixXd h = Eigen::MatrixXd::Zero(n, n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      if (i == j) continue;
      const double p = Sigmoid(theta[i] - theta[j]);
      const double v = (w(i, j) + w(j, i)) * p * (1 - p);
      h(i, i) += v;
      h(i, j) -= v;
    }
    if (prior > 0.0) {
      const double p = Sigmoid(theta[i]);
      h(i, i) += 2.0 * prior * p * (1 - p);
    }
  }
  return h;
}

// Gradient of the plain log-likelihood: observed minus expected wins.
Eigen::VectorXd Gradient(const Eigen::MatrixXd& w, const Eigen::VectorXd& theta) {
  const int n = static_cast<int>(w.rows());
  Eigen::VectorXd g = Eigen::VectorXd::Zero(n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (i != j) g[i] += w(i, j) - (w(i, j) + w(j, i)) * Sigmoid(theta[i] - theta[j]);
  return g;
}

// Ranks 1..n (average ranks for ties), then Pearson on the ranks.
Eigen::VectorXd Ranks(const Eigen::VectorXd& x) {
  const int n = static_cast<int>(x.size());
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int c) { return x[a] < x[c]; });
  Eigen::VectorXd r(n);
  for (int k = 0; k < n;) {
    int e = k;
    while (e + 1 < n && x[order[e + 1]] == x[order[k]]) ++e;
    for (int m = k; m <= e; ++m) r[order[m]] = 0.5 * (k + e) + 1.0;
    k = e + 1;
  }
  return r;
}

double Spearman(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  const Eigen::VectorXd ra = Ranks(a).array() - Ranks(a).mean();
  const Eigen::VectorXd rb = Ranks(b).array() - Ranks(b).mean();
  return ra.dot(rb) / std::sqrt(ra.squaredNorm() * rb.squaredNorm());
}

// ---------------------------------------------------------------- bradley_terry

TEST(BradleyTerry, GradientVanishesAtTheSolution) {
  for (const char* method : {"mm", "newton"}) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      const PairwiseBallots b = Aggregate(9, RandomGames(9, seed));
      const ScoreResult r = Fit("bradley_terry", b, fmt::format("method = \"{}\"", method));
      EXPECT_EQ(Parameter(r, "converged"), 1.0) << method;
      const Eigen::VectorXd g = Gradient(WinMatrix(b), r.score);
      EXPECT_LT(g.cwiseAbs().maxCoeff(), 1e-8) << method << " seed " << seed;
      EXPECT_NEAR(r.score.mean(), 0.0, 1e-12);
      EXPECT_GT(Parameter(r, "iterations"), 1.0);
    }
  }
}

TEST(BradleyTerry, AgreesWithDenseNewton) {
  for (uint64_t seed = 10; seed < 16; ++seed) {
    const int n = 5 + static_cast<int>(seed % 5);
    const PairwiseBallots b = Aggregate(n, RandomGames(n, seed, 0.6));
    const Eigen::MatrixXd w = WinMatrix(b);
    for (double prior : {0.0, 1.5}) {
      const Eigen::VectorXd ref = DenseBradleyTerry(w, prior);
      for (const char* method : {"mm", "newton"}) {
        const ScoreResult r =
            Fit("bradley_terry", b, fmt::format("method = \"{}\"\nprior = {}", method, prior));
        EXPECT_TRUE(r.notes.empty()) << r.notes.front();
        EXPECT_LT((r.score - ref).cwiseAbs().maxCoeff(), 1e-8)
            << "seed " << seed << " prior " << prior << " " << method;
        EXPECT_EQ(Parameter(r, "prior"), prior);
      }
    }
  }
}

TEST(BradleyTerry, StandardErrorsAreTheDenseInverseInformation) {
  const PairwiseBallots b = Aggregate(7, RandomGames(7, 42));
  const Eigen::MatrixXd w = WinMatrix(b);
  const int n = 7;
  const Eigen::MatrixXd J = Eigen::MatrixXd::Constant(n, n, 1.0 / n);
  {
    const Eigen::VectorXd theta = DenseBradleyTerry(w, 0.0);
    // Pseudo-inverse of the Laplacian-like information, by eigenvalues.
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(DenseInformation(w, theta, 0.0));
    Eigen::VectorXd inv = eig.eigenvalues();
    for (int k = 0; k < n; ++k) inv[k] = inv[k] > 1e-9 ? 1.0 / inv[k] : 0.0;
    const Eigen::MatrixXd cov =
        eig.eigenvectors() * inv.asDiagonal() * eig.eigenvectors().transpose();
    const ScoreResult r = Fit("bradley_terry", b);
    ASSERT_EQ(r.se.size(), n);
    for (int v = 0; v < n; ++v) EXPECT_NEAR(r.se[v], std::sqrt(cov(v, v)), 1e-8) << v;
    // The diagonal approximation: 1 / sqrt(information_ii).
    const ScoreResult d = Fit("bradley_terry", b, "se = \"diagonal\"");
    const Eigen::MatrixXd h = DenseInformation(w, theta, 0.0);
    for (int v = 0; v < n; ++v) {
      EXPECT_NEAR(d.se[v], 1.0 / std::sqrt(h(v, v)), 1e-8);
    }
    EXPECT_EQ(Fit("bradley_terry", b, "se = \"none\"").se.size(), 0);
  }
  {
    const double prior = 2.0;
    // The prior's terms depend on theta relative to the virtual opponent.
    const Eigen::VectorXd theta = DenseBradleyTerry(w, prior, /*centre=*/false);
    const Eigen::MatrixXd C = Eigen::MatrixXd::Identity(n, n) - J;
    const Eigen::MatrixXd cov = C * DenseInformation(w, theta, prior).inverse() * C;
    const ScoreResult r = Fit("bradley_terry", b, "prior = 2");
    for (int v = 0; v < n; ++v) EXPECT_NEAR(r.se[v], std::sqrt(cov(v, v)), 1e-8) << v;
  }
}

TEST(BradleyTerry, NewtonAndMmAgree) {
  const PairwiseBallots b = Aggregate(30, RandomGames(30, 7, 0.3));
  const ScoreResult mm = Fit("bradley_terry", b);
  const ScoreResult nt = Fit("bradley_terry", b, "method = \"newton\"");
  EXPECT_LT((mm.score - nt.score).cwiseAbs().maxCoeff(), 1e-8);
  EXPECT_LT(Parameter(nt, "iterations"), Parameter(mm, "iterations"));
  EXPECT_GT(Parameter(nt, "cg_iterations"), 0.0);
}

// SQUAREM changes the path, not the estimate, and needs fewer passes.
TEST(BradleyTerry, SquaremAndPlainMmAgree) {
  const PairwiseBallots b = Aggregate(60, RandomGames(60, 11, 0.3));
  const ScoreResult fast = Fit("bradley_terry", b);
  const ScoreResult plain = Fit("bradley_terry", b, "acceleration = \"none\"");
  EXPECT_LT((fast.score - plain.score).cwiseAbs().maxCoeff(), 1e-8);
  EXPECT_EQ(Parameter(fast, "converged"), 1.0);
  EXPECT_EQ(Parameter(plain, "converged"), 1.0);
  EXPECT_LT(Parameter(fast, "iterations"), Parameter(plain, "iterations"));
}

TEST(BradleyTerry, AnotherWinNeverLowersTheWinner) {
  Rng rng(99);
  for (double prior : {0.0, 0.7}) {
    std::vector<Game> games = RandomGames(8, 5);
    for (int step = 0; step < 25; ++step) {
      const int a = static_cast<int>(rng.Below(8));
      int c = static_cast<int>(rng.Below(7));
      if (c >= a) ++c;
      const std::string opts = fmt::format("prior = {}", prior);
      const ScoreResult before = Fit("bradley_terry", Aggregate(8, games), opts);
      games.push_back({a, c});
      const ScoreResult after = Fit("bradley_terry", Aggregate(8, games), opts);
      EXPECT_GT(after.score[a], before.score[a]) << "step " << step;
      EXPECT_LT(after.score[c], before.score[c]) << "step " << step;
      // The winner gains on every other evaluee (unit current from a to c:
      // a has the highest potential).
      for (int v = 0; v < 8; ++v)
        if (v != a) {
          EXPECT_GE(after.score[a] - after.score[v], before.score[a] - before.score[v]);
        }
    }
  }
}

// Relabels evaluee v as perm[v] and rebuilds the sorted aggregate.
PairwiseBallots Relabel(const std::vector<Game>& games, const std::vector<int>& perm) {
  std::vector<Game> out;
  for (const Game& g : games) out.push_back({perm[g.winner], perm[g.loser], g.weight});
  return Aggregate(static_cast<int>(perm.size()), out);
}

TEST(PairwiseModels, RelabellingPermutesTheScores) {
  const int n = 12;
  const std::vector<Game> games = RandomGames(n, 21, 0.5);
  std::vector<int> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  Rng rng(3);
  for (int k = n - 1; k > 0; --k) std::swap(perm[k], perm[rng.Below(k + 1)]);
  const PairwiseBallots b = Aggregate(n, games), pb = Relabel(games, perm);
  for (const char* model : {"bradley_terry", "rank_centrality", "hodgerank"}) {
    for (const char* opts : {"", "method = \"newton\"", "prior = 1"}) {
      if (std::string(model) != "bradley_terry" && opts[0] != '\0') continue;
      const ScoreResult r = Fit(model, b, opts), pr = Fit(model, pb, opts);
      for (int v = 0; v < n; ++v) {
        EXPECT_NEAR(pr.score[perm[v]], r.score[v], 1e-9) << model << " " << opts;
        if (r.se.size() > 0) {
          EXPECT_NEAR(pr.se[perm[v]], r.se[v], 1e-9);
        }
      }
    }
  }
}

// Evaluee 2 beats everyone it meets; the rest play a cycle and mixed games.
std::vector<Game> UndefeatedGames() {
  return {{2, 0}, {2, 0}, {2, 1}, {2, 3}, {2, 4}, {0, 1}, {1, 3}, {3, 4},
          {4, 0}, {1, 0}, {3, 0}, {4, 1}, {0, 3}, {0, 4}, {1, 4}};
}

TEST(BradleyTerry, UndefeatedIsFiniteAndFirstWithAPrior) {
  const PairwiseBallots b = Aggregate(5, UndefeatedGames());
  for (const char* opts : {"prior = 1", "prior = 0.1\nmethod = \"newton\"", ""}) {
    const ScoreResult r = Fit("bradley_terry", b, opts);
    ASSERT_TRUE(r.score.allFinite()) << opts;
    ASSERT_TRUE(r.se.allFinite()) << opts;
    Eigen::Index best;
    r.score.maxCoeff(&best);
    EXPECT_EQ(best, 2) << opts;
    EXPECT_EQ(Parameter(r, "converged"), 1.0);
  }
  // Given a prior, no fallback is noted; the penalised fit is the dense one.
  const ScoreResult r = Fit("bradley_terry", b, "prior = 1");
  EXPECT_FALSE(HasNote(r, "not strongly connected"));
  EXPECT_LT((r.score - DenseBradleyTerry(WinMatrix(b), 1.0)).cwiseAbs().maxCoeff(), 1e-8);
  // A larger prior shrinks the undefeated evaluee toward the others.
  const ScoreResult strong = Fit("bradley_terry", b, "prior = 5");
  EXPECT_LT(strong.score[2], r.score[2]);
}

TEST(BradleyTerry, DetectsGraphsWithoutMaximumLikelihood) {
  // Undefeated evaluee, prior 0: fallback prior, noted.
  {
    const PairwiseBallots b = Aggregate(5, UndefeatedGames());
    const ComparisonGraph g = AnalyseComparisonGraph(b);
    EXPECT_EQ(g.count, 1);
    EXPECT_EQ(g.NotStrong(), 1);
    const ScoreResult r = Fit("bradley_terry", b);
    EXPECT_TRUE(HasNote(r, "not strongly connected")) << r.notes.size();
    EXPECT_EQ(Parameter(r, "prior"), 0.5);
    EXPECT_LT((r.score - DenseBradleyTerry(WinMatrix(b), 0.5)).cwiseAbs().maxCoeff(), 1e-8);
    const ScoreResult custom = Fit("bradley_terry", b, "fallback_prior = 0.25");
    EXPECT_EQ(Parameter(custom, "prior"), 0.25);
  }
  // Two strongly connected groups; group {0,1,2} always beats {3,4,5}.
  {
    const std::vector<Game> games = {{0, 1}, {1, 2}, {2, 0}, {3, 4}, {4, 5},
                                     {5, 3}, {0, 3}, {1, 4}, {2, 5}};
    const PairwiseBallots b = Aggregate(6, games);
    const ComparisonGraph g = AnalyseComparisonGraph(b);
    EXPECT_EQ(g.count, 1);
    EXPECT_FALSE(g.strong[0]);
    const ScoreResult r = Fit("bradley_terry", b);
    EXPECT_TRUE(HasNote(r, "not strongly connected"));
    EXPECT_TRUE(r.score.allFinite());
    for (int v = 0; v < 3; ++v) EXPECT_GT(r.score[v], r.score[v + 3]);
  }
  // A tie in the cross pair joins the two directions: strongly connected.
  {
    const std::vector<Game> games = {{0, 1}, {1, 2}, {2, 0},      {3, 4},
                                     {4, 5}, {5, 3}, {0, 3, 0.5}, {3, 0, 0.5}};
    const PairwiseBallots b = Aggregate(6, games);
    EXPECT_EQ(AnalyseComparisonGraph(b).NotStrong(), 0);
    const ScoreResult r = Fit("bradley_terry", b);
    EXPECT_FALSE(HasNote(r, "not strongly connected"));
    EXPECT_EQ(Parameter(r, "prior"), 0.0);
  }
}

TEST(BradleyTerry, SeparateComponentsAreCentredEach) {
  // Two strongly connected groups that never met, and one evaluee (6) that
  // never played: each group is fitted as on its own.
  const std::vector<Game> g1 = RandomGames(3, 4), g2 = RandomGames(3, 8);
  std::vector<Game> all = g1;
  for (const Game& g : g2) all.push_back({g.winner + 3, g.loser + 3, g.weight});
  const PairwiseBallots b = Aggregate(7, all);
  const ComparisonGraph graph = AnalyseComparisonGraph(b);
  EXPECT_EQ(graph.count, 3);
  EXPECT_EQ(graph.isolated, 1);
  const ScoreResult r = Fit("bradley_terry", b);
  const ScoreResult a = Fit("bradley_terry", Aggregate(3, g1));
  const ScoreResult c = Fit("bradley_terry", Aggregate(3, g2));
  for (int v = 0; v < 3; ++v) {
    EXPECT_NEAR(r.score[v], a.score[v], 1e-9);
    EXPECT_NEAR(r.score[v + 3], c.score[v], 1e-9);
    EXPECT_NEAR(r.se[v], a.se[v], 1e-9);
  }
  EXPECT_EQ(r.score[6], 0.0);
  EXPECT_EQ(r.se[6], 0.0);
  EXPECT_TRUE(HasNote(r, "separate groups"));
  EXPECT_TRUE(HasNote(r, "1 evaluee(s) had no comparison"));
}

// ---------------------------------------------------------------- rank_centrality

TEST(RankCentrality, TwoEvalueesByHand) {
  // a beats b 3 times, b beats a once: d_max = 1, P(a -> b) = 1/4,
  // P(b -> a) = 3/4, so pi_a / pi_b = 3: pi = (0.75, 0.25).
  const PairwiseBallots b = Aggregate(2, {{0, 1}, {0, 1}, {0, 1}, {1, 0}});
  const ScoreResult p = Fit("rank_centrality", b, "score = \"probability\"\ntolerance = 1e-14");
  EXPECT_NEAR(p.score[0], 0.75, 1e-12);
  EXPECT_NEAR(p.score[1], 0.25, 1e-12);
  const ScoreResult l = Fit("rank_centrality", b);
  EXPECT_NEAR(l.score[0] - l.score[1], std::log(3.0), 1e-9);
  EXPECT_NEAR(l.score[0] + l.score[1], 0.0, 1e-12);
}

// Dense stationary distribution of the chain of the header, by solving
// pi (P - I) = 0 with sum pi = 1.
Eigen::VectorXd DenseStationary(const Eigen::MatrixXd& w, double eps) {
  const int n = static_cast<int>(w.rows());
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
  int d_max = 0;
  for (int i = 0; i < n; ++i) {
    int d = 0;
    for (int j = 0; j < n; ++j) {
      const double t = w(i, j) + w(j, i);
      if (i == j || t == 0.0) continue;
      ++d;
      a(i, j) = (w(j, i) + eps) / (t + 2 * eps);
    }
    d_max = std::max(d_max, d);
  }
  Eigen::MatrixXd p = a / d_max;
  for (int i = 0; i < n; ++i) p(i, i) = 1.0 - p.row(i).sum();
  Eigen::MatrixXd m = p.transpose() - Eigen::MatrixXd::Identity(n, n);
  m.row(n - 1).setOnes();
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(n);
  rhs[n - 1] = 1.0;
  return m.fullPivLu().solve(rhs);
}

TEST(RankCentrality, MatchesTheDenseStationaryDistribution) {
  // Hand example: 4 evaluees, a strongly connected set of results.
  const std::vector<Game> games = {{0, 1}, {0, 1}, {1, 0}, {1, 2}, {2, 3}, {3, 0},
                                   {0, 2}, {2, 0}, {2, 0}, {3, 1}, {1, 3}, {1, 3}};
  const PairwiseBallots b = Aggregate(4, games);
  for (double eps : {0.0, 0.3}) {
    const Eigen::VectorXd ref = DenseStationary(WinMatrix(b), eps);
    const ScoreResult r =
        Fit("rank_centrality", b,
            fmt::format("score = \"probability\"\ntolerance = 1e-14\nepsilon = {}", eps));
    EXPECT_LT((r.score - ref).cwiseAbs().maxCoeff(), 1e-12) << eps;
    EXPECT_EQ(Parameter(r, "d_max"), 3.0);
    EXPECT_EQ(Parameter(r, "epsilon"), eps);
  }
  // Random data, log scores.
  const PairwiseBallots rb = Aggregate(10, RandomGames(10, 77, 0.5));
  Eigen::VectorXd ref = DenseStationary(WinMatrix(rb), 0.0).array().log();
  ref.array() -= ref.mean();
  const ScoreResult r = Fit("rank_centrality", rb, "tolerance = 1e-14");
  EXPECT_LT((r.score - ref).cwiseAbs().maxCoeff(), 1e-10);
}

TEST(RankCentrality, RegularisesAbsorbingGraphs) {
  // 0 beats 1, 1 beats 2, 0 beats 2: the plain walk ends in 0.
  const PairwiseBallots b = Aggregate(3, {{0, 1}, {1, 2}, {0, 2}});
  const ScoreResult r = Fit("rank_centrality", b);
  EXPECT_TRUE(HasNote(r, "not strongly connected"));
  EXPECT_EQ(Parameter(r, "epsilon"), 0.5);
  ASSERT_TRUE(r.score.allFinite());
  EXPECT_GT(r.score[0], r.score[1]);
  EXPECT_GT(r.score[1], r.score[2]);
  Eigen::VectorXd ref = DenseStationary(WinMatrix(b), 0.5).array().log();
  ref.array() -= ref.mean();
  EXPECT_LT((r.score - ref).cwiseAbs().maxCoeff(), 1e-8);
  // Two groups that never met each keep their own distribution.
  const PairwiseBallots two = Aggregate(4, {{0, 1}, {1, 0}, {0, 1}, {2, 3}, {3, 2}});
  const ScoreResult t = Fit("rank_centrality", two, "score = \"probability\"");
  EXPECT_NEAR(t.score[0] + t.score[1], 1.0, 1e-12);
  EXPECT_NEAR(t.score[2], 0.5, 1e-9);
  EXPECT_NEAR(t.score[0], 2.0 / 3.0, 1e-9);
  EXPECT_TRUE(HasNote(t, "separate groups"));
}

// ---------------------------------------------------------------- hodgerank

TEST(HodgeRank, ConsistentFlowHasNoCyclicPart) {
  // Complete graph of 5, 10 games a pair, i winning a share (1 + s_i - s_j)/2:
  // the "difference" flow is exactly s_i - s_j.
  const std::vector<double> s = {0.3, 0.1, 0.0, -0.15, -0.25};
  PairwiseBallots b = Aggregate(5, {});
  for (int i = 0; i < 5; ++i) {
    for (int j = i + 1; j < 5; ++j) {
      b.first.push_back(i);
      b.second.push_back(j);
      b.first_wins.push_back(10.0 * (1.0 + s[i] - s[j]) / 2.0);
      b.second_wins.push_back(10.0 * (1.0 - s[i] + s[j]) / 2.0);
    }
  }
  const ScoreResult r = Fit("hodgerank", b, "flow = \"difference\"");
  const double mean = (0.3 + 0.1 - 0.15 - 0.25) / 5.0;
  for (int v = 0; v < 5; ++v) EXPECT_NEAR(r.score[v], s[v] - mean, 1e-9);
  EXPECT_LT(Parameter(r, "cyclic_share"), 1e-16);
  // Any flow on a tree is consistent: a path with random results.
  const PairwiseBallots path =
      Aggregate(4, {{0, 1}, {0, 1}, {1, 0}, {2, 1}, {2, 3}, {2, 3}, {2, 3}});
  const ScoreResult t = Fit("hodgerank", path);
  EXPECT_LT(Parameter(t, "cyclic_share"), 1e-16);
  EXPECT_NEAR(t.score[0] - t.score[1], std::log(2.5 / 1.5), 1e-9);
  EXPECT_NEAR(t.score[2] - t.score[1], std::log(1.5 / 0.5), 1e-9);
  EXPECT_NEAR(t.score[2] - t.score[3], std::log(3.5 / 0.5), 1e-9);
}

TEST(HodgeRank, PureCycleIsAllCyclic) {
  const PairwiseBallots b = Aggregate(3, {{0, 1}, {1, 2}, {2, 0}});
  for (const char* flow : {"log_odds", "difference"}) {
    const ScoreResult r = Fit("hodgerank", b, fmt::format("flow = \"{}\"", flow));
    EXPECT_NEAR(Parameter(r, "cyclic_share"), 1.0, 1e-12) << flow;
    EXPECT_LT(r.score.cwiseAbs().maxCoeff(), 1e-12);
  }
}

TEST(HodgeRank, MatchesDenseWeightedLeastSquares) {
  const int n = 11;
  const PairwiseBallots b = Aggregate(n, RandomGames(n, 31, 0.4));
  for (const char* flow : {"log_odds", "difference"}) {
    // Gradient matrix rows: one per pair, sqrt(w) (e_i - e_j) s = sqrt(w) Y.
    const int P = static_cast<int>(b.NumPairs());
    Eigen::MatrixXd g = Eigen::MatrixXd::Zero(P + 1, n);
    Eigen::VectorXd y = Eigen::VectorXd::Zero(P + 1);
    double flow_norm = 0.0;
    for (int p = 0; p < P; ++p) {
      const double wi = b.first_wins[p], wj = b.second_wins[p], t = wi + wj;
      const double f =
          std::string(flow) == "log_odds" ? std::log((wi + 0.5) / (wj + 0.5)) : (wi - wj) / t;
      g(p, b.first[p]) = std::sqrt(t);
      g(p, b.second[p]) = -std::sqrt(t);
      y[p] = std::sqrt(t) * f;
      flow_norm += t * f * f;
    }
    g.row(P).setOnes();  // sum s = 0
    const Eigen::VectorXd s = g.colPivHouseholderQr().solve(y);
    const ScoreResult r = Fit("hodgerank", b, fmt::format("flow = \"{}\"", flow));
    EXPECT_LT((r.score - s).cwiseAbs().maxCoeff(), 1e-8) << flow;
    const double cyclic = (g.topRows(P) * s - y.head(P)).squaredNorm() / flow_norm;
    EXPECT_NEAR(Parameter(r, "cyclic_share"), cyclic, 1e-9);
    EXPECT_GT(cyclic, 0.0);
  }
}

// ---------------------------------------------------------------- together

TEST(PairwiseModels, AgreeOnBradleyTerryData) {
  // 200 evaluees with N(0, 1) log-strengths, 20,000 comparisons of random
  // pairs, outcomes from the Bradley-Terry model.
  const int n = 200;
  Rng rng(DeriveSeed(2024, {kStreamComparisons, 1}));
  std::vector<double> truth(n);
  for (double& t : truth) t = rng.Normal();
  std::vector<Game> games;
  for (int k = 0; k < 20000; ++k) {
    const int i = static_cast<int>(rng.Below(n));
    int j = static_cast<int>(rng.Below(n - 1));
    if (j >= i) ++j;
    if (rng.Bernoulli(Sigmoid(truth[i] - truth[j])))
      games.push_back({i, j});
    else
      games.push_back({j, i});
  }
  const PairwiseBallots b = Aggregate(n, games);
  const Eigen::VectorXd t = Eigen::Map<const Eigen::VectorXd>(truth.data(), n);
  const ScoreResult bt = Fit("bradley_terry", b);
  const ScoreResult rc = Fit("rank_centrality", b);
  const ScoreResult hr = Fit("hodgerank", b);
  const ScoreResult hd = Fit("hodgerank", b, "flow = \"difference\"");
  EXPECT_GT(Spearman(bt.score, t), 0.9);
  EXPECT_GT(Spearman(rc.score, bt.score), 0.95);
  EXPECT_GT(Spearman(hr.score, bt.score), 0.95);
  EXPECT_GT(Spearman(hd.score, bt.score), 0.95);
  // The data are consistent up to noise: most of the flow is a gradient.
  EXPECT_LT(Parameter(hr, "cyclic_share"), 0.9);
  EXPECT_EQ(Parameter(rc, "converged"), 1.0);
}

TEST(PairwiseModels, DegenerateInputs) {
  const PairwiseBallots none = Aggregate(0, {});
  const PairwiseBallots one = Aggregate(1, {});
  const PairwiseBallots unplayed = Aggregate(4, {});
  const PairwiseBallots tied = Aggregate(3, {{0, 1, 0.5}, {1, 0, 0.5}, {1, 2, 0.5}, {2, 1, 0.5}});
  PairwiseBallots zero_pair = Aggregate(2, {});
  zero_pair.first = {0};
  zero_pair.second = {1};
  zero_pair.first_wins = {0.0};
  zero_pair.second_wins = {0.0};
  const PairwiseBallots& zero = zero_pair;
  for (const char* model : {"bradley_terry", "rank_centrality", "hodgerank"}) {
    EXPECT_EQ(Fit(model, none).score.size(), 0) << model;
    for (const PairwiseBallots* b : {&one, &unplayed, &tied, &zero}) {
      const ScoreResult r = Fit(model, *b);
      ASSERT_EQ(r.score.size(), b->NumRatees()) << model;
      EXPECT_TRUE(r.score.allFinite()) << model;
      EXPECT_LT(r.score.cwiseAbs().maxCoeff(), 1e-12) << model;  // nothing tells them apart
    }
    EXPECT_FALSE(Fit(model, unplayed).notes.empty()) << model;
  }
  EXPECT_TRUE(HasNote(Fit("hodgerank", tied), "all pairs tied"));
  const ScoreResult bt = Fit("bradley_terry", tied);
  EXPECT_TRUE(bt.se.allFinite());
}

TEST(PairwiseModels, Options) {
  for (const char* model : {"bradley_terry", "rank_centrality", "hodgerank"}) {
    EXPECT_NO_THROW(Make(model)) << model;
    EXPECT_THROW(Make(model, "tolerance = -1"), InputError) << model;
    EXPECT_THROW(Make(model, "max_iterations = 0"), InputError) << model;
    EXPECT_THROW(Make(model, "tolerence = 1e-8"), InputError) << model;
  }
  EXPECT_THROW(Make("bradley_terry", "method = \"irls\""), InputError);
  EXPECT_THROW(Make("bradley_terry", "prior = -1"), InputError);
  EXPECT_THROW(Make("bradley_terry", "fallback_prior = 0"), InputError);
  EXPECT_THROW(Make("bradley_terry", "se = \"exact\""), InputError);
  EXPECT_THROW(Make("rank_centrality", "epsilon = -0.1"), InputError);
  EXPECT_THROW(Make("rank_centrality", "score = \"rank\""), InputError);
  EXPECT_THROW(Make("hodgerank", "flow = \"sign\""), InputError);
  EXPECT_THROW(Make("hodgerank", "correction = 0"), InputError);
  try {
    Make("bradley_terry", "method = \"irls\"");
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("method"), std::string::npos) << e.what();
  }
  Registry r;
  r.Add(BradleyTerrySpec());
  r.Add(RankCentralitySpec());
  r.Add(HodgeRankSpec());
  for (const ModelSpec& spec : r.Specs()) EXPECT_EQ(spec.input, InputKind::kPairwise);
}

TEST(PairwiseModels, MaxIterationsIsReported) {
  const PairwiseBallots b = Aggregate(30, RandomGames(30, 9, 0.3));
  const ScoreResult bt = Fit("bradley_terry", b, "max_iterations = 2");
  EXPECT_EQ(Parameter(bt, "iterations"), 2.0);
  EXPECT_EQ(Parameter(bt, "converged"), 0.0);
  EXPECT_TRUE(HasNote(bt, "not converged"));
  const ScoreResult rc = Fit("rank_centrality", b, "max_iterations = 2");
  EXPECT_EQ(Parameter(rc, "converged"), 0.0);
  EXPECT_TRUE(HasNote(rc, "not converged"));
  const ScoreResult hr = Fit("hodgerank", b, "max_iterations = 2");
  EXPECT_EQ(Parameter(hr, "converged"), 0.0);
  EXPECT_TRUE(HasNote(hr, "not converged"));
}

// Peer driver for bench/peers/bradleyterry2.R: with EVALSIM_PEER_PAIRS set to
// a pairwise CSV (winner,loser[,weight]; names without commas or quotes),
// fits bradley_terry (options from EVALSIM_PEER_OPTIONS, TOML) and writes
// `ratee,score,se` to EVALSIM_PEER_OUT, with the best of 5 Score() times on
// stderr. Skipped otherwise.
TEST(PeerDriver, BradleyTerryFromCsv) {
  const char* in_path = std::getenv("EVALSIM_PEER_PAIRS");
  const char* out_path = std::getenv("EVALSIM_PEER_OUT");
  if (in_path == nullptr || out_path == nullptr) GTEST_SKIP() << "EVALSIM_PEER_PAIRS not set";
  const char* options = std::getenv("EVALSIM_PEER_OPTIONS");
  std::ifstream in(in_path);
  ASSERT_TRUE(in) << in_path;
  std::string line;
  std::getline(in, line);  // header
  std::map<std::string, int> id;
  std::vector<std::string> names;
  std::vector<Game> games;
  auto intern = [&](const std::string& s) {
    auto [it, added] = id.emplace(s, static_cast<int>(names.size()));
    if (added) names.push_back(s);
    return it->second;
  };
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string w, l, weight;
    std::getline(ss, w, ',');
    std::getline(ss, l, ',');
    std::getline(ss, weight, ',');
    games.push_back({intern(w), intern(l), weight.empty() ? 1.0 : std::stod(weight)});
  }
  PairwiseBallots b = Aggregate(static_cast<int>(names.size()), games);
  b.ratee_names = names;
  const std::unique_ptr<Model> model = Make("bradley_terry", options ? options : "");
  ModelInput input;
  input.pairwise = &b;
  ScoreResult r;
  double best = 1e300;
  for (int k = 0; k < 5; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    r = model->Score(input);
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::ofstream out(out_path);
  out << "ratee,score,se\n";
  for (int v = 0; v < b.NumRatees(); ++v)
    out << names[v] << ','
        << fmt::format("{:.17g},{:.17g}", r.score[v], r.se.size() > 0 ? r.se[v] : std::nan(""))
        << '\n';
  std::fprintf(stderr, "evalsim bradley_terry: %d evaluees, %zu pairs, Score() best of 5 %.6f s\n",
               b.NumRatees(), b.NumPairs(), best);
  for (const auto& [key, value] : r.parameters)
    std::fprintf(stderr, "  %s = %g\n", key.c_str(), value);
  for (const std::string& note : r.notes) std::fprintf(stderr, "  note: %s\n", note.c_str());
}

}  // namespace
}  // namespace evalsim
