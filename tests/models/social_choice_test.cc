// Social-choice models (elo, borda, copeland, schulze, kemeny): hand-checked
// profiles (Condorcet winner Borda misses, Condorcet cycle, unanimity, all
// tied, truncated ballots, degenerate sizes), the published Schulze example,
// slow reference implementations (brute-force Kemeny over all permutations,
// textbook Schulze), local search against the exact optimum, relabelling
// invariance, hand-computed Elo updates, option errors, and the winners of
// Debian Project Leader elections from the original tally sheets and from
// PrefLib's copies.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "models/common/ranking_tally.h"
#include "models/pairwise/elo.h"
#include "models/rankings/borda.h"
#include "models/rankings/copeland.h"
#include "models/rankings/kemeny.h"
#include "models/rankings/schulze.h"
#include "models/registry.h"
#include "sim/core/comparisons.h"
#include "sim/core/errors.h"
#include "sim/core/rng.h"
#include "sim/io/preflib.h"

namespace evalsim {
namespace {

// ---------------------------------------------------------------- helpers

const Registry& Local() {
  static const Registry r = [] {
    Registry reg;
    reg.Add(EloSpec());
    reg.Add(BordaSpec());
    reg.Add(CopelandSpec());
    reg.Add(SchulzeSpec());
    reg.Add(KemenySpec());
    return reg;
  }();
  return r;
}

std::unique_ptr<Model> Make(const std::string& name, const std::string& options = "") {
  const toml::table table = toml::parse(std::string_view(options), std::string_view("test.toml"));
  return Local().Create(name, table, ModelContext{}, "test.toml", "models.x");
}

ScoreResult Rank(const std::string& name, const RankingBallots& b,
                 const std::string& options = "") {
  ModelInput in;
  in.rankings = &b;
  return Make(name, options)->Score(in);
}

ScoreResult Pair(const PairwiseBallots& b, const std::string& options = "") {
  ModelInput in;
  in.pairwise = &b;
  return Make("elo", options)->Score(in);
}

double Parameter(const ScoreResult& r, const std::string& name) {
  for (const auto& [key, value] : r.parameters)
    if (key == name) return value;
  ADD_FAILURE() << "no parameter " << name;
  return std::nan("");
}

std::string Notes(const ScoreResult& r) {
  std::string s;
  for (const auto& n : r.notes) s += n + "\n";
  return s;
}

// One weak order: rank[c] = tier of candidate c (0 = best), or kUnranked.
constexpr int kUnranked = INT_MAX;
struct Order {
  double count;
  std::vector<int> rank;
};

// Builds RankingBallots by filling the vectors directly (listed candidates
// sorted by tier, then id; tiers renumbered 0, 1, ...).
RankingBallots FromOrders(int n, const std::vector<Order>& orders) {
  RankingBallots b;
  for (int c = 0; c < n; ++c) b.ratee_names.push_back(std::string(1, static_cast<char>('A' + c)));
  for (const Order& o : orders) {
    std::vector<int> listed;
    for (int c = 0; c < n; ++c)
      if (o.rank[c] != kUnranked) listed.push_back(c);
    std::stable_sort(listed.begin(), listed.end(),
                     [&](int a, int z) { return o.rank[a] < o.rank[z]; });
    uint32_t tier = 0;
    for (size_t p = 0; p < listed.size(); ++p) {
      if (p > 0 && o.rank[listed[p]] != o.rank[listed[p - 1]]) ++tier;
      b.candidate.push_back(static_cast<uint32_t>(listed[p]));
      b.tier.push_back(tier);
    }
    b.order_begin.push_back(b.candidate.size());
    b.count.push_back(o.count);
  }
  return b;
}

// "A>C>B=E": letters are candidates, '>' separates tiers, '=' ties;
// candidates not written are unranked.
Order Parse(int n, double count, const std::string& s) {
  Order o{count, std::vector<int>(n, kUnranked)};
  int tier = 0;
  for (char ch : s) {
    if (ch == '>')
      ++tier;
    else if (ch != '=')
      o.rank[ch - 'A'] = tier;
  }
  return o;
}

RankingBallots Profile(int n, const std::vector<std::pair<double, std::string>>& spec) {
  std::vector<Order> orders;
  for (const auto& [count, s] : spec) orders.push_back(Parse(n, count, s));
  return FromOrders(n, orders);
}

// Reference pairwise matrix, straight from the definition.
std::vector<std::vector<double>> RefMatrix(int n, const std::vector<Order>& orders) {
  std::vector<std::vector<double>> d(n, std::vector<double>(n, 0.0));
  for (const Order& o : orders)
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        if (i != j && o.rank[i] < o.rank[j]) d[i][j] += o.count;
  return d;
}

double RefCost(const std::vector<std::vector<double>>& d, const std::vector<int>& order) {
  double cost = 0.0;
  for (size_t a = 0; a < order.size(); ++a)
    for (size_t b = a + 1; b < order.size(); ++b) cost += d[order[b]][order[a]];
  return cost;
}

// The consensus order a kemeny result encodes (score n - position).
std::vector<int> OrderOf(const ScoreResult& r) {
  std::vector<int> order(r.score.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return r.score[a] > r.score[b]; });
  return order;
}

// Random weak orders: each voter draws utilities base + noise, rounds them
// (ties), and may truncate.
std::vector<Order> RandomOrders(Rng& rng, int n, int voters, double noise, bool ties,
                                bool truncate) {
  std::vector<double> base(n);
  for (double& x : base) x = rng.Normal();
  std::vector<Order> out;
  for (int v = 0; v < voters; ++v) {
    Order o{static_cast<double>(rng.Between(1, 3)), std::vector<int>(n)};
    std::vector<double> u(n);
    for (int c = 0; c < n; ++c) u[c] = base[c] + noise * rng.Normal();
    std::vector<int> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](int a, int b) { return u[a] > u[b]; });
    int tier = 0;
    for (int p = 0; p < n; ++p) {
      if (p > 0 && !(ties && rng.Bernoulli(0.2))) ++tier;
      o.rank[idx[p]] = tier;
    }
    if (truncate && rng.Bernoulli(0.3)) {
      const int keep = static_cast<int>(rng.Between(0, n - 1));
      for (int p = keep; p < n; ++p) o.rank[idx[p]] = kUnranked;
    }
    out.push_back(std::move(o));
  }
  return out;
}

// ---------------------------------------------------------------- profiles

// 3 voters A>B>C, 2 voters B>C>A. A beats B and C 3:2 (Condorcet winner),
// but Borda gives A = 3*2 = 6, B = 3*1 + 2*2 = 7, C = 2*1 = 2.
RankingBallots CondorcetBordaDisagree() { return Profile(3, {{3, "A>B>C"}, {2, "B>C>A"}}); }

TEST(Borda, MissesTheCondorcetWinner) {
  const ScoreResult r = Rank("borda", CondorcetBordaDisagree());
  EXPECT_DOUBLE_EQ(r.score[0], 6.0);
  EXPECT_DOUBLE_EQ(r.score[1], 7.0);
  EXPECT_DOUBLE_EQ(r.score[2], 2.0);
}

TEST(Condorcet, CopelandSchulzeKemenyElectTheCondorcetWinner) {
  const RankingBallots b = CondorcetBordaDisagree();
  const ScoreResult c = Rank("copeland", b);
  EXPECT_DOUBLE_EQ(c.score[0], 2.0);
  EXPECT_DOUBLE_EQ(c.score[1], 1.0);
  EXPECT_DOUBLE_EQ(c.score[2], 0.0);
  EXPECT_EQ(Parameter(c, "condorcet_winner"), 0.0);
  const ScoreResult s = Rank("schulze", b);
  EXPECT_DOUBLE_EQ(s.score[0], 2.0);
  EXPECT_DOUBLE_EQ(s.score[1], 1.0);
  EXPECT_DOUBLE_EQ(s.score[2], 0.0);
  EXPECT_EQ(Parameter(s, "winners"), 1.0);
  // Kemeny: A>B>C costs d[B][A] + d[C][A] + d[C][B] = 2 + 2 + 0 = 4;
  // B>A>C costs 3 + 2 + 0 = 5.
  const ScoreResult k = Rank("kemeny", b);
  EXPECT_DOUBLE_EQ(k.score[0], 3.0);
  EXPECT_DOUBLE_EQ(k.score[1], 2.0);
  EXPECT_DOUBLE_EQ(k.score[2], 1.0);
  EXPECT_DOUBLE_EQ(Parameter(k, "cost"), 4.0);
  EXPECT_EQ(Parameter(k, "approximate"), 0.0);
}

// A>B>C, B>C>A, C>A>B: each candidate wins one contest 2:1 and loses one.
TEST(Cycle, CopelandTiesAllAndSchulzeHasThreeWinners) {
  const RankingBallots b = Profile(3, {{1, "A>B>C"}, {1, "B>C>A"}, {1, "C>A>B"}});
  const ScoreResult c = Rank("copeland", b);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(c.score[i], 1.0);
  EXPECT_EQ(Parameter(c, "condorcet_winner"), -1.0);
  EXPECT_NE(Notes(c).find("no Condorcet winner"), std::string::npos);
  const ScoreResult s = Rank("schulze", b);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(s.score[i], 0.0);  // every path has strength 2
  EXPECT_EQ(Parameter(s, "winners"), 3.0);
  const ScoreResult bo = Rank("borda", b);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(bo.score[i], 3.0);
  // Every rotation costs 4 (one 2-vote defeat reversed plus two 1-vote
  // ones); the lower bound is 3 (1 per pair).
  // The three rotations are the optima: each candidate is once at each
  // position, mean position 1, score 3 - 1.
  const ScoreResult k = Rank("kemeny", b);
  EXPECT_DOUBLE_EQ(Parameter(k, "cost"), 4.0);
  EXPECT_DOUBLE_EQ(Parameter(k, "lower_bound"), 3.0);
  EXPECT_EQ(Parameter(k, "optimal_orders"), 3.0);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(k.score[i], 2.0);
}

// Wikipedia, "Schulze method", section "Example" (45 voters, 5 candidates;
// also in M. Schulze, "The Schulze Method of Voting", arXiv:1804.02973,
// example 1): d[A][*] = 20 26 30 22, d[B][*] = 25 16 33 18,
// d[C][*] = 19 29 17 24, d[D][*] = 15 12 28 14, d[E][*] = 23 27 21 31,
// and the Schulze ranking E > A > C > B > D.
RankingBallots WikipediaExample() {
  return Profile(5, {{5, "A>C>B>E>D"},
                     {5, "A>D>E>C>B"},
                     {8, "B>E>D>A>C"},
                     {3, "C>A>B>E>D"},
                     {7, "C>A>E>B>D"},
                     {2, "C>B>A>D>E"},
                     {7, "D>C>E>B>A"},
                     {8, "E>B>A>D>C"}});
}

TEST(Schulze, PublishedFortyFiveVoterExample) {
  const RankingBallots b = WikipediaExample();
  const RankingTally t = TallyRankings(b, false);
  const double d[5][5] = {{0, 20, 26, 30, 22},
                          {25, 0, 16, 33, 18},
                          {19, 29, 0, 17, 24},
                          {15, 12, 28, 0, 14},
                          {23, 27, 21, 31, 0}};
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) EXPECT_DOUBLE_EQ(t.Beats(i, j), d[i][j]) << i << "," << j;
  const ScoreResult s = Rank("schulze", b);
  // E > A > C > B > D: E beats 4, A 3, C 2, B 1, D 0.
  EXPECT_DOUBLE_EQ(s.score[4], 4.0);
  EXPECT_DOUBLE_EQ(s.score[0], 3.0);
  EXPECT_DOUBLE_EQ(s.score[2], 2.0);
  EXPECT_DOUBLE_EQ(s.score[1], 1.0);
  EXPECT_DOUBLE_EQ(s.score[3], 0.0);
  EXPECT_EQ(Parameter(s, "winners"), 1.0);
  // No Condorcet winner in this profile (E loses to C 21:24).
  EXPECT_EQ(Parameter(Rank("copeland", b), "condorcet_winner"), -1.0);
}

TEST(Unanimity, EveryRuleReturnsTheCommonOrder) {
  const RankingBallots b = Profile(4, {{5, "B>C>A>D"}});
  const double expected_rank[4] = {2, 0, 1, 3};  // A third, B first, C second, D last
  for (const char* name : {"borda", "copeland", "schulze", "kemeny"}) {
    const ScoreResult r = Rank(name, b);
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j)
        if (expected_rank[i] < expected_rank[j]) {
          EXPECT_GT(r.score[i], r.score[j]) << name;
        }
  }
  EXPECT_DOUBLE_EQ(Rank("borda", b).score[1], 15.0);
  EXPECT_DOUBLE_EQ(Parameter(Rank("kemeny", b), "cost"), 0.0);
}

TEST(AllTied, EveryRuleTiesEveryone) {
  const RankingBallots b = Profile(3, {{4, "A=B=C"}});
  const ScoreResult bo = Rank("borda", b);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(bo.score[i], 4.0);  // half of 2 ties, 4 voters
  EXPECT_NE(Notes(bo).find("all candidates tie"), std::string::npos);
  const ScoreResult c = Rank("copeland", b);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(c.score[i], 1.0);  // two drawn contests
  EXPECT_EQ(Parameter(c, "drawn_contests"), 3.0);
  EXPECT_DOUBLE_EQ(Rank("copeland", b, "tie_score = 0").score[0], 0.0);
  const ScoreResult s = Rank("schulze", b);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(s.score[i], 0.0);
  EXPECT_EQ(Parameter(s, "winners"), 3.0);
  // Every one of the 3! orders is optimal: mean position 1, score 3 - 1.
  const ScoreResult k = Rank("kemeny", b);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(k.score[i], 2.0);
  EXPECT_EQ(Parameter(k, "optimal_orders"), 6.0);
  EXPECT_FALSE(k.notes.empty());
  // The local search has no counting: it says so and ties everyone at n.
  const ScoreResult kl = Rank("kemeny", b, "exact_max = 0");
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(kl.score[i], 3.0);
  EXPECT_NE(Notes(kl).find("no pairwise preference"), std::string::npos);
}

// 2 x "A", 1 x "B>C", 1 x "D" over A..D (truncated: the rest unranked).
TEST(Truncated, UnrankedCandidatesTieBelowTheListed) {
  const RankingBallots b = Profile(4, {{2, "A"}, {1, "B>C"}, {1, "D"}});
  // "tied": order "A" gives A 3 and B, C, D (3-1)/2 = 1 each; "B>C" gives
  // B 3, C 2, A and D 0.5; "D" gives D 3 and A, B, C 1.
  const ScoreResult t = Rank("borda", b);
  EXPECT_DOUBLE_EQ(t.score[0], 2 * 3 + 0.5 + 1);
  EXPECT_DOUBLE_EQ(t.score[1], 2 * 1 + 3 + 1);
  EXPECT_DOUBLE_EQ(t.score[2], 2 * 1 + 2 + 1);
  EXPECT_DOUBLE_EQ(t.score[3], 2 * 1 + 0.5 + 3);
  const ScoreResult z = Rank("borda", b, "unranked = \"zero\"");
  EXPECT_DOUBLE_EQ(z.score[0], 6.0);
  EXPECT_DOUBLE_EQ(z.score[1], 3.0);
  EXPECT_DOUBLE_EQ(z.score[2], 2.0);
  EXPECT_DOUBLE_EQ(z.score[3], 3.0);
  // Contests: A beats B, C and D 2:1; B beats C 1:0; B-D 1:1 and C-D 1:1.
  const ScoreResult c = Rank("copeland", b);
  EXPECT_DOUBLE_EQ(c.score[0], 3.0);
  EXPECT_DOUBLE_EQ(c.score[1], 1.5);
  EXPECT_DOUBLE_EQ(c.score[2], 0.5);
  EXPECT_DOUBLE_EQ(c.score[3], 1.0);
  EXPECT_EQ(Parameter(c, "condorcet_winner"), 0.0);
}

TEST(Truncated, PairsNeverComparedAreNoted) {
  // Only A is ever listed: B and C are never compared with each other.
  const RankingBallots b = Profile(3, {{1, "A"}});
  const ScoreResult c = Rank("copeland", b);
  EXPECT_DOUBLE_EQ(c.score[0], 2.0);
  EXPECT_DOUBLE_EQ(c.score[1], 0.0);
  EXPECT_DOUBLE_EQ(c.score[2], 0.0);
  EXPECT_EQ(Parameter(c, "unmet_pairs"), 1.0);
  EXPECT_NE(Notes(c).find("never compared"), std::string::npos);
  EXPECT_NE(Notes(c).find("2 candidate(s) listed by no order"), std::string::npos);
  const ScoreResult s = Rank("schulze", b);
  EXPECT_DOUBLE_EQ(s.score[0], 2.0);
  EXPECT_EQ(s.score[1], s.score[2]);
}

TEST(Degenerate, ZeroAndOneCandidateAndNoOrders) {
  for (const char* name : {"borda", "copeland", "schulze", "kemeny"}) {
    const ScoreResult r0 = Rank(name, Profile(0, {}));
    EXPECT_EQ(r0.score.size(), 0) << name;
    EXPECT_FALSE(r0.notes.empty()) << name;
    const ScoreResult r1 = Rank(name, Profile(1, {{3, "A"}}));
    ASSERT_EQ(r1.score.size(), 1) << name;
    EXPECT_TRUE(std::isfinite(r1.score[0])) << name;
    const ScoreResult none = Rank(name, Profile(4, {}));
    ASSERT_EQ(none.score.size(), 4) << name;
    for (int i = 1; i < 4; ++i) EXPECT_EQ(none.score[i], none.score[0]) << name;
    EXPECT_FALSE(none.notes.empty()) << name;
  }
  PairwiseBallots empty;
  EXPECT_EQ(Pair(empty).score.size(), 0);
}

// ---------------------------------------------------------------- references

// Schulze's widest paths as the paper states them (Schulze 2011, section
// 2.3): i, j, k distinct, winning votes.
std::vector<int> RefSchulzeScores(int n, const std::vector<std::vector<double>>& d) {
  std::vector<std::vector<double>> p(n, std::vector<double>(n, 0.0));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (i != j && d[i][j] > d[j][i]) p[i][j] = d[i][j];
  for (int k = 0; k < n; ++k)
    for (int i = 0; i < n; ++i)
      if (i != k)
        for (int j = 0; j < n; ++j)
          if (j != i && j != k) p[i][j] = std::max(p[i][j], std::min(p[i][k], p[k][j]));
  std::vector<int> s(n, 0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (i != j && p[i][j] > p[j][i]) ++s[i];
  return s;
}

TEST(Schulze, AgreesWithTextbookImplementation) {
  Rng rng(11);
  for (int trial = 0; trial < 60; ++trial) {
    const int n = static_cast<int>(rng.Between(2, 14));
    const auto orders = RandomOrders(rng, n, static_cast<int>(rng.Between(1, 25)),
                                     trial % 2 ? 0.5 : 3.0, trial % 3 == 0, trial % 4 == 1);
    const auto d = RefMatrix(n, orders);
    const std::vector<int> ref = RefSchulzeScores(n, d);
    const ScoreResult r = Rank("schulze", FromOrders(n, orders));
    for (int i = 0; i < n; ++i) EXPECT_EQ(r.score[i], ref[i]) << "trial " << trial;
    // The tally the models share equals the reference matrix.
    const RankingTally t = TallyRankings(FromOrders(n, orders), false);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) ASSERT_DOUBLE_EQ(t.Beats(i, j), d[i][j]);
  }
}

// Brute force over all n! orders: the optimum, how many orders reach it and
// each candidate's mean position over them.
TEST(Kemeny, DynamicProgrammingEqualsBruteForce) {
  Rng rng(5);
  int ties_seen = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const int n = static_cast<int>(rng.Between(2, 7));
    const auto orders = RandomOrders(rng, n, static_cast<int>(rng.Between(1, 12)),
                                     trial % 2 ? 0.7 : 4.0, trial % 3 == 0, trial % 4 == 1);
    const auto d = RefMatrix(n, orders);
    std::vector<int> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    double best = INFINITY;
    do best = std::min(best, RefCost(d, perm));
    while (std::next_permutation(perm.begin(), perm.end()));
    double count = 0.0;
    std::vector<double> mean(n, 0.0);
    std::iota(perm.begin(), perm.end(), 0);
    do {
      if (RefCost(d, perm) == best) {
        count += 1.0;
        for (int p = 0; p < n; ++p) mean[perm[p]] += p;
      }
    } while (std::next_permutation(perm.begin(), perm.end()));
    const ScoreResult r = Rank("kemeny", FromOrders(n, orders));
    EXPECT_EQ(Parameter(r, "approximate"), 0.0);
    EXPECT_NEAR(Parameter(r, "cost"), best, 1e-9) << "trial " << trial;
    EXPECT_EQ(Parameter(r, "optimal_orders"), count) << "trial " << trial;
    for (int c = 0; c < n; ++c)
      EXPECT_NEAR(r.score[c], n - mean[c] / count, 1e-9) << "trial " << trial << " c" << c;
    if (count == 1.0) {
      EXPECT_NEAR(RefCost(d, OrderOf(r)), best, 1e-9) << "trial " << trial;
    } else {
      ++ties_seen;
    }
  }
  EXPECT_GT(ties_seen, 0);  // the profiles exercise the counting
}

TEST(Kemeny, LocalSearchFindsTheOptimumOnSmallProfiles) {
  Rng rng(23);
  int trials = 0;
  for (int trial = 0; trial < 30; ++trial) {
    const int n = static_cast<int>(rng.Between(8, 10));
    const auto orders = RandomOrders(rng, n, static_cast<int>(rng.Between(5, 30)),
                                     trial % 2 ? 1.0 : 5.0, trial % 3 == 0, trial % 4 == 1);
    const RankingBallots b = FromOrders(n, orders);
    const ScoreResult exact = Rank("kemeny", b);
    const ScoreResult local = Rank("kemeny", b, "exact_max = 0");
    ASSERT_EQ(Parameter(exact, "approximate"), 0.0);
    ASSERT_EQ(Parameter(local, "approximate"), 1.0);
    EXPECT_NE(Notes(local).find("local search"), std::string::npos);
    const auto d = RefMatrix(n, orders);
    EXPECT_NEAR(RefCost(d, OrderOf(local)), Parameter(local, "cost"), 1e-9);
    EXPECT_NEAR(Parameter(local, "cost"), Parameter(exact, "cost"), 1e-9) << "trial " << trial;
    EXPECT_GE(Parameter(local, "cost"), Parameter(local, "lower_bound") - 1e-9);
    ++trials;
  }
  EXPECT_EQ(trials, 30);
}

TEST(Kemeny, LocalSearchIsDeterministicForASeed) {
  Rng rng(3);
  const auto orders = RandomOrders(rng, 30, 40, 3.0, true, true);
  const RankingBallots b = FromOrders(30, orders);
  const ScoreResult a = Rank("kemeny", b, "seed = 4");
  const ScoreResult c = Rank("kemeny", b, "seed = 4");
  EXPECT_EQ(a.score, c.score);
  EXPECT_EQ(Parameter(a, "approximate"), 1.0);
}

// Relabelling the candidates relabels the scores.
TEST(Properties, RelabellingInvariance) {
  Rng rng(8);
  const int n = 9;
  const auto orders = RandomOrders(rng, n, 15, 2.0, true, true);
  std::vector<int> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  for (int a = n - 1; a > 0; --a) std::swap(perm[a], perm[rng.Below(a + 1)]);
  std::vector<Order> moved = orders;
  for (size_t o = 0; o < orders.size(); ++o)
    for (int c = 0; c < n; ++c) moved[o].rank[perm[c]] = orders[o].rank[c];
  for (const char* name : {"borda", "copeland", "schulze", "kemeny"}) {
    const ScoreResult r = Rank(name, FromOrders(n, orders));
    const ScoreResult m = Rank(name, FromOrders(n, moved));
    for (int c = 0; c < n; ++c) EXPECT_NEAR(r.score[c], m.score[perm[c]], 1e-9) << name;
  }
  EXPECT_DOUBLE_EQ(Parameter(Rank("kemeny", FromOrders(n, orders)), "cost"),
                   Parameter(Rank("kemeny", FromOrders(n, moved)), "cost"));
}

// Borda equals the row sums of the pairwise matrix with ties split.
TEST(Borda, EqualsPairwiseRowSums) {
  Rng rng(13);
  for (int trial = 0; trial < 20; ++trial) {
    const int n = static_cast<int>(rng.Between(2, 12));
    const auto orders = RandomOrders(rng, n, 10, 1.0, true, true);
    const RankingTally t = TallyRankings(FromOrders(n, orders), true);
    const ScoreResult r = Rank("borda", FromOrders(n, orders));
    for (int i = 0; i < n; ++i) {
      double sum = 0.0;
      for (const Order& o : orders)
        for (int j = 0; j < n; ++j)
          if (j != i && o.rank[i] == o.rank[j]) sum += 0.5 * o.count;  // also both unranked
      for (int j = 0; j < n; ++j) sum += t.Beats(i, j);
      EXPECT_NEAR(r.score[i], sum, 1e-9) << "trial " << trial;
    }
  }
}

TEST(Schulze, MarginStrengthDiffersWhereWinningVotesAndMarginsDisagree) {
  // Both variants elect a Condorcet winner.
  for (const char* opt : {"", "strength = \"margin\""}) {
    const ScoreResult r = Rank("schulze", CondorcetBordaDisagree(), opt);
    EXPECT_DOUBLE_EQ(r.score[0], 2.0) << opt;
  }
}

// ---------------------------------------------------------------- elo

PairwiseBallots Games(int n, const std::vector<std::pair<int, int>>& games,
                      std::vector<float> weights = {}) {
  PairwiseBallots b;
  for (int c = 0; c < n; ++c) b.ratee_names.push_back(std::string(1, static_cast<char>('A' + c)));
  for (size_t g = 0; g < games.size(); ++g) {
    b.seq_winner.push_back(static_cast<uint32_t>(games[g].first));
    b.seq_loser.push_back(static_cast<uint32_t>(games[g].second));
    b.seq_weight.push_back(weights.empty() ? 1.0f : weights[g]);
  }
  return b;  // the aggregate is not needed by elo when the sequence is present
}

TEST(Elo, HandComputedTwoGames) {
  // Game 1, A beats B at 1500:1500: E = 1/2, A += 32 * 1/2 = 16.
  // Game 2, A (1516) beats B (1484) again: E = 1 / (1 + 10^(-32/400))
  // = 1 / (1 + 0.8317637711) = 0.5459219228; A += 32 * 0.4540780772
  // = 14.5304985.
  const ScoreResult r = Pair(Games(2, {{0, 1}, {0, 1}}));
  EXPECT_NEAR(r.score[0], 1530.530498, 1e-5);
  EXPECT_NEAR(r.score[1], 1469.469502, 1e-5);
  // k = 10, initial = 1000, and a weight 2 game: A += 10 * 2 * 1/2 = 10.
  const ScoreResult w = Pair(Games(2, {{0, 1}}, {2.0f}), "k = 10\ninitial = 1000");
  EXPECT_DOUBLE_EQ(w.score[0], 1010.0);
  EXPECT_DOUBLE_EQ(w.score[1], 990.0);
}

TEST(Elo, DependsOnOrder) {
  // A>B then B>A: A 1516, then B (1484) wins with E = 1 / (1 + 10^(32/400))
  // = 0.4540780772: B += 32 * 0.5459219228 = 17.4695015 -> A 1498.5304985.
  // The reverse order gives the mirror image.
  const ScoreResult ab = Pair(Games(2, {{0, 1}, {1, 0}}));
  const ScoreResult ba = Pair(Games(2, {{1, 0}, {0, 1}}));
  EXPECT_NEAR(ab.score[0], 1498.530498, 1e-5);
  EXPECT_NEAR(ba.score[0], 1501.469502, 1e-5);
}

TEST(Elo, ShuffleIsDeterministicForASeed) {
  const PairwiseBallots b =
      Games(4, {{0, 1}, {1, 2}, {2, 0}, {0, 3}, {3, 1}, {2, 3}, {1, 0}, {0, 2}, {3, 2}});
  const ScoreResult a1 = Pair(b, "shuffle = 20\nseed = 7");
  const ScoreResult a2 = Pair(b, "shuffle = 20\nseed = 7");
  const ScoreResult c = Pair(b, "shuffle = 20\nseed = 8");
  const ScoreResult in_order = Pair(b);
  EXPECT_EQ(a1.score, a2.score);
  EXPECT_NE(a1.score, c.score);
  EXPECT_NE(a1.score, in_order.score);
  // Elo is zero-sum: the mean rating stays at the initial rating.
  EXPECT_NEAR(a1.score.mean(), 1500.0, 1e-9);
  // One shuffle is one permutation: some order of the nine games.
  const ScoreResult one = Pair(b, "shuffle = 1\nseed = 7");
  EXPECT_NEAR(one.score.sum(), 6000.0, 1e-9);
}

TEST(Elo, AggregateOnlyAndUnseenRatees) {
  PairwiseBallots b;
  b.ratee_names = {"A", "B", "C"};
  b.first = {0};
  b.second = {1};
  b.first_wins = {3.0};
  b.second_wins = {1.0};
  // One game, result 3/4, E = 1/2, weight 4: A += 32 * 4 * (3/4 - 1/2) = 32.
  const ScoreResult r = Pair(b);
  EXPECT_DOUBLE_EQ(r.score[0], 1532.0);
  EXPECT_DOUBLE_EQ(r.score[1], 1468.0);
  EXPECT_DOUBLE_EQ(r.score[2], 1500.0);
  EXPECT_NE(Notes(r).find("no comparison sequence"), std::string::npos);
  EXPECT_NE(Notes(r).find("1 ratee(s) in no comparison"), std::string::npos);
}

// ---------------------------------------------------------------- options

TEST(Options, BadValuesAreInputErrors) {
  EXPECT_THROW(Make("copeland", "tie_score = 2"), InputError);
  EXPECT_THROW(Make("schulze", "strength = \"loser\""), InputError);
  EXPECT_THROW(Make("kemeny", "exact_max = 21"), InputError);
  EXPECT_THROW(Make("kemeny", "restarts = -1"), InputError);
  EXPECT_THROW(Make("borda", "unranked = \"last\""), InputError);
  EXPECT_THROW(Make("elo", "k = 0"), InputError);
  EXPECT_THROW(Make("elo", "shuffle = -2"), InputError);
  EXPECT_THROW(Make("elo", "K = 10"), InputError);  // unknown key
  try {
    Make("copeland", "tie_score = 2");
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tie_score"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------- Debian

std::string DataPath(const std::string& rel) {
  return std::string(EVALSIM_SOURCE_DIR) + "/tests/data/" + rel;
}

// A Debian tally sheet: one "V: <one character per option>" line per
// ballot, a digit = the rank given (1 best, equal digits tied), '-' =
// unranked. Identical ballots are merged. With `break_ties`, equally ranked
// options are ordered by option number (lower first): the rule by which
// PrefLib made its .soi files from these sheets (tests/data/preflib/README.md
// gives their provenance).
RankingBallots ReadTally(const std::string& path, int options, bool break_ties = false) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::map<std::vector<int>, double> merged;
  std::vector<std::vector<int>> first_seen;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("V:", 0) != 0) continue;
    std::istringstream ls(line.substr(2));
    std::string vote;
    ls >> vote;
    EXPECT_EQ(static_cast<int>(vote.size()), options) << line;
    std::vector<int> rank(options, kUnranked);
    for (int c = 0; c < options && c < static_cast<int>(vote.size()); ++c)
      if (vote[c] != '-') rank[c] = (vote[c] - '0') * (break_ties ? 16 : 1) + (break_ties ? c : 0);
    if (merged[rank]++ == 0.0) first_seen.push_back(rank);
  }
  std::vector<Order> orders;
  for (const auto& rank : first_seen) orders.push_back({merged[rank], rank});
  return FromOrders(options, orders);
}

int Winner(const ScoreResult& r) {
  int best = 0;
  for (int i = 1; i < r.score.size(); ++i)
    if (r.score[i] > r.score[best]) best = i;
  for (int i = 0; i < r.score.size(); ++i)
    if (i != best && r.score[i] == r.score[best]) return -1;  // not unique
  return best;
}

struct DebianElection {
  int year;
  const char* tally;  // under tests/data/debian-tally/
  int options;        // including "None Of The Above" (the last one)
  int winner;         // 1-based option number on the tally sheet
  const char* name;
  const char* preflib;  // PrefLib file stem, or nullptr
};

// Winners as the Debian project published them on each election's page,
// https://www.debian.org/vote/<year>/ ("The winner of the election is ..."),
// e.g. https://www.debian.org/vote/2002/vote_0001 (Bdale Garbee) and
// https://www.debian.org/vote/2004/vote_001 (Martin Michlmayr); option
// numbers are those of the tally sheets' headers.
const DebianElection kDebian[] = {
    {2002, "2002/tally.txt", 4, 3, "Bdale Garbee", "00002-00000001"},
    {2003, "2003/leader2003_tally.txt", 5, 4, "Martin Michlmayr", "00002-00000002"},
    {2004, "2004/leader2004_tally.txt", 4, 3, "Martin Michlmayr", nullptr},
    {2005, "2005/leader2005_tally.txt", 7, 3, "Branden Robinson", "00002-00000003"},
    {2006, "2006/vote_002_tally.txt", 8, 4, "Anthony Towns", "00002-00000004"},
    {2007, "2007/vote_001_tally.txt", 9, 4, "Sam Hocevar", "00002-00000005"},
    {2008, "2008/vote_001_tally.txt", 4, 1, "Steve McIntyre", nullptr},
    {2009, "2009/vote_001_tally.txt", 3, 2, "Steve McIntyre", nullptr},
    {2010, "2010/vote_001_tally.txt", 5, 1, "Stefano Zacchiroli", "00002-00000006"},
    {2011, "2011/vote_001_tally.txt", 2, 1, "Stefano Zacchiroli", nullptr},
    {2012, "2012/vote_001_tally.txt", 4, 3, "Stefano Zacchiroli", "00002-00000007"},
    {2013, "2013/vote_001_tally.txt", 4, 3, "Lucas Nussbaum", nullptr},
    {2014, "2014/vote_001_tally.txt", 3, 1, "Lucas Nussbaum", nullptr},
    {2015, "2015/vote_001_tally.txt", 4, 3, "Neil McGovern", nullptr},
    {2016, "2016/vote_001_tally.txt", 2, 1, "Mehdi Dogguy", nullptr},
    {2017, "2017/vote_001_tally.txt", 3, 2, "Chris Lamb", nullptr},
    {2018, "2018/vote_001_tally.txt", 2, 1, "Chris Lamb", nullptr},
};

TEST(Debian, LeaderElectionWinnersFromTheTallySheets) {
  for (const DebianElection& e : kDebian) {
    const RankingBallots b = ReadTally(DataPath("debian-tally/") + e.tally, e.options);
    const ScoreResult s = Rank("schulze", b);
    const ScoreResult c = Rank("copeland", b);
    EXPECT_EQ(Winner(s), e.winner - 1) << e.year << " " << e.name << "\n" << Notes(s);
    EXPECT_EQ(Winner(c), e.winner - 1) << e.year << " " << e.name;
    // Every published winner also beat "None Of The Above" pairwise.
    const RankingTally t = TallyRankings(b, false);
    EXPECT_GT(t.Beats(e.winner - 1, e.options - 1), t.Beats(e.options - 1, e.winner - 1)) << e.year;
  }
}

// PrefLib's files of the same elections, read by ReadPreflib. They cannot
// hold ties: PrefLib ordered every tied group by option number, which gives
// the lower-numbered option of each tied pair extra wins. So (1) the
// pairwise counts of every file equal those of the tally sheet with ties so
// broken (and differ from the sheet's own counts), and (2) the published
// winner comes out in 2002, 2005, 2007, 2010 and 2012, but not in 2003
// (Bdale Garbee, option 2, overtakes Martin Michlmayr, option 4) nor in 2006
// (Steve McIntyre, option 3, overtakes Anthony Towns, option 4); in those
// two years the winner is the tie-broken sheet's winner.
TEST(Debian, LeaderElectionWinnersFromPreflib) {
  int checked = 0;
  for (const DebianElection& e : kDebian) {
    if (!e.preflib) continue;
    const RankingBallots sheet = ReadTally(DataPath("debian-tally/") + e.tally, e.options);
    const RankingBallots broken =
        ReadTally(DataPath("debian-tally/") + e.tally, e.options, /*break_ties=*/true);
    const RankingTally ts = TallyRankings(sheet, false), tb = TallyRankings(broken, false);
    const bool shifted = e.year == 2003 || e.year == 2006;
    for (const char* ext : {".toc", ".soi"}) {
      const std::string path = DataPath("preflib/") + e.preflib + ext;
      const RankingBallots b = ReadPreflib(path);
      ASSERT_EQ(b.NumRatees(), e.options) << path;
      EXPECT_EQ(b.ratee_names[e.options - 1].substr(0, 4), "None") << path;
      EXPECT_NEAR(b.NumVoters(), sheet.NumVoters(), 1e-9) << path;
      const RankingTally t = TallyRankings(b, false);
      bool differs_from_sheet = false;
      for (int i = 0; i < e.options; ++i)
        for (int j = 0; j < e.options; ++j) {
          EXPECT_DOUBLE_EQ(t.Beats(i, j), tb.Beats(i, j)) << path << " " << i << "," << j;
          differs_from_sheet |= t.Beats(i, j) != ts.Beats(i, j);
        }
      EXPECT_TRUE(differs_from_sheet) << path;
      const int s = Winner(Rank("schulze", b)), c = Winner(Rank("copeland", b));
      EXPECT_EQ(s, Winner(Rank("schulze", broken))) << path;
      EXPECT_EQ(c, s) << path;
      if (shifted)
        EXPECT_NE(s, e.winner - 1) << e.year << " " << path;
      else
        EXPECT_EQ(s, e.winner - 1) << e.year << " " << e.name << " " << path;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 14);
}

// Orders a rater formed over the evaluees it saw say nothing of the others
// (RankingBallots::unranked_below = false): Borda gives them no point.
TEST(Borda, OrdersOverSubsetsDoNotScoreTheUnseen) {
  RankingBuilder builder({"a", "b", "c", "d"});
  const std::vector<uint32_t> ab = {0, 1}, cd = {2, 3};
  builder.Add(ab, {}, 1.0);
  builder.Add(cd, {}, 1.0);
  RankingBallots rk = builder.Finish();
  Registry reg;
  reg.Add(BordaSpec());
  const auto borda = reg.Create("borda", toml::table{}, ModelContext{}, "t", "models.x");
  // Truncated ballots (PrefLib): the unlisted are below, tied among themselves.
  const ScoreResult below = borda->Score(ModelInput{nullptr, nullptr, &rk, nullptr});
  // a beats b, c, d in the first order and ties b below c, d in the second.
  EXPECT_DOUBLE_EQ(below.score[0], 3.0 + 0.5);
  rk.unranked_below = false;
  const ScoreResult seen = borda->Score(ModelInput{nullptr, nullptr, &rk, nullptr});
  EXPECT_DOUBLE_EQ(seen.score[0], 1.0);
  EXPECT_DOUBLE_EQ(seen.score[1], 0.0);
  EXPECT_DOUBLE_EQ(seen.score[2], 1.0);
  EXPECT_DOUBLE_EQ(seen.score[3], 0.0);
}

}  // namespace
}  // namespace evalsim
