// Comparison ballots drawn with the rating ballots ([comparisons]): the
// table's reading and its errors, the rating ballots unchanged, rankings and
// pairs that follow each rater's own perceptions (and the true order when
// there is no noise), counts, subsets, abstentions, per-evaluee raters, and
// independence from the thread count.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/core/errors.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/generator.h"
#include "sim/simulate/organisation.h"

namespace evalsim {
namespace {

// Three district meetings of 8-14 towns; a per-meeting group with blanks, a
// peer group with partial coverage and a per-evaluee group.
constexpr const char* kBase = R"(name = "c"
seed = 5
replicates = 4
[scale]
labels = ["差", "一般", "较好", "好"]
shares = [0.05, 0.15, 0.3, 0.5]
[organisation]
levels = [ { name = "district", count = 3 }, { name = "town", count = [8, 14] } ]
evaluees = "town"
quality = { sd = 1.0, inherited = 0.3 }
[meetings]
by = "district"
[[raters]]
group = "superior"
count = [4, 6]
noise = 0.6
leniency = { mean = -0.3, sd = 0.2 }
abstain = 0.15
[[raters]]
group = "peer"
from_evaluees = true
coverage = 0.7
noise = 0.9
[[raters]]
group = "public"
per_evaluee = [3, 5]
noise = 1.2
leniency = { mean = 0.8, sd = 0.5 }
abstain = 0.2
[[models]]
name = "m"
model = "weighted_mean"
)";

constexpr const char* kRanking = "[comparisons]\nballots = \"ranking\"\n";
constexpr const char* kPairs = "[comparisons]\nballots = \"pairs\"\npairs_per_rater = 10\n";

std::string With(const std::string& comparisons) { return std::string(kBase) + comparisons; }

// Line number (1-based) of the first line of text appended to kBase.
long AppendedLine() {
  const std::string base = kBase;
  return static_cast<long>(std::count(base.begin(), base.end(), '\n')) + 1;
}

std::string ErrorOf(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    ParseScenario(text, "c.toml", overrides);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

struct Fixture {
  explicit Fixture(const std::string& text, const std::vector<std::string>& overrides = {})
      : s(ParseScenario(text, "c.toml", overrides)),
        org(BuildOrganisation(s)),
        setup(MakeGeneratorSetup(s, org)) {}
  Scenario s;
  Organisation org;
  GeneratorSetup setup;
};

// Per rater (global id): its valid grades by evaluee, and the evaluees on
// which it abstained.
struct RaterView {
  std::map<uint32_t, int> grade;
  std::set<uint32_t> blank;
};

std::map<uint32_t, RaterView> ByRater(const RatingBallots& b) {
  std::map<uint32_t, RaterView> out;
  for (int e = 0; e < b.NumRatees(); ++e) {
    for (int g = 0; g < b.NumGroups(); ++g) {
      for (uint32_t w : b.SlotBallots(b.Slot(e, g))) {
        RaterView& v = out[BallotRater(w)];
        if (BallotGrade(w) == kAbstain) {
          v.blank.insert(static_cast<uint32_t>(e));
        } else {
          EXPECT_TRUE(v.grade.emplace(static_cast<uint32_t>(e), BallotGrade(w)).second);
        }
      }
    }
  }
  return out;
}

RatingBallots Ratings(const Fixture& f, int replicate, bool blocs = true) {
  RatingBallots b;
  GenerateBallots(f.setup, replicate, blocs, &b);
  return b;
}

std::vector<MeetingComparisons> AllMeetings(const Fixture& f, int replicate, bool blocs = true) {
  std::vector<MeetingComparisons> out(f.org.meetings.size());
  for (size_t mi = 0; mi < out.size(); ++mi)
    GenerateMeetingComparisons(f.setup, replicate, blocs, static_cast<int>(mi), &out[mi]);
  return out;
}

size_t Choose2(size_t n) { return n * (n - 1) / 2; }

// ---------------------------------------------------------------------------
// Reading [comparisons]

TEST(ReadComparisons, AbsentTableMeansNone) {
  const Scenario s = ParseScenario(kBase, "c.toml");
  EXPECT_EQ(s.comparisons.mode, ComparisonMode::kNone);
  EXPECT_TRUE(s.comparisons.ties_split);
}

TEST(ReadComparisons, RankingDefaultsAndKeys) {
  Scenario s = ParseScenario(With(kRanking), "c.toml");
  EXPECT_EQ(s.comparisons.mode, ComparisonMode::kRanking);
  EXPECT_EQ(s.comparisons.rank_size, 0);
  EXPECT_TRUE(s.comparisons.ties_split);
  s = ParseScenario(With("[comparisons]\nballots = \"ranking\"\nrank_size = 5\nties = \"drop\"\n"),
                    "c.toml");
  EXPECT_EQ(s.comparisons.mode, ComparisonMode::kRanking);
  EXPECT_EQ(s.comparisons.rank_size, 5);
  EXPECT_FALSE(s.comparisons.ties_split);
}

TEST(ReadComparisons, PairsKeysAndOverrides) {
  Scenario s = ParseScenario(With(kPairs), "c.toml");
  EXPECT_EQ(s.comparisons.mode, ComparisonMode::kPairs);
  EXPECT_EQ(s.comparisons.pairs_per_rater, 10);
  EXPECT_TRUE(s.comparisons.ties_split);
  // --set creates or replaces the table like any other.
  s = ParseScenario(kBase, "c.toml",
                    {"comparisons={ballots=\"pairs\",pairs_per_rater=3,ties=\"split\"}"});
  EXPECT_EQ(s.comparisons.mode, ComparisonMode::kPairs);
  EXPECT_EQ(s.comparisons.pairs_per_rater, 3);
  s = ParseScenario(With(kPairs), "c.toml", {"comparisons.pairs_per_rater=1"});
  EXPECT_EQ(s.comparisons.pairs_per_rater, 1);
}

TEST(ReadComparisons, ErrorsNameFileLineColumnAndKey) {
  const long line = AppendedLine();
  struct Case {
    std::string table;
    std::string expect;  // substring of the message
  };
  const std::vector<Case> cases = {
      {"[comparisons]\nrank_size = 3\n", "comparisons: missing required key `ballots`"},
      {"[comparisons]\nballots = \"borda\"\n",
       fmt::format("c.toml:{}:11: comparisons.ballots: \"borda\" is not allowed; expected one "
                   "of: ranking, pairs",
                   line + 1)},
      {"[comparisons]\nballots = 1\n", "comparisons.ballots: found an integer; expected a string"},
      {"[comparisons]\nballots = \"ranking\"\nrank_size = 1\n",
       fmt::format("c.toml:{}:13: comparisons.rank_size: 1 is not allowed", line + 2)},
      {"[comparisons]\nballots = \"ranking\"\nrank_size = -2\n",
       "comparisons.rank_size: -2 is out of range"},
      {"[comparisons]\nballots = \"ranking\"\nrank_size = 2.5\n", "comparisons.rank_size"},
      {"[comparisons]\nballots = \"pairs\"\n",
       "comparisons: missing required key `pairs_per_rater`"},
      {"[comparisons]\nballots = \"pairs\"\npairs_per_rater = 0\n",
       "comparisons.pairs_per_rater: 0 is out of range"},
      {"[comparisons]\nballots = \"ranking\"\npairs_per_rater = 4\n",
       fmt::format("c.toml:{}:19: comparisons.pairs_per_rater: applies only to ballots = "
                   "\"pairs\"",
                   line + 2)},
      {"[comparisons]\nballots = \"pairs\"\npairs_per_rater = 4\nrank_size = 3\n",
       fmt::format("c.toml:{}:13: comparisons.rank_size: applies only to ballots = \"ranking\"",
                   line + 3)},
      {"[comparisons]\nballots = \"ranking\"\nties = \"half\"\n",
       "comparisons.ties: \"half\" is not allowed; expected one of: split, drop"},
      {"[comparisons]\nballots = \"ranking\"\nrank = 3\n",
       fmt::format("c.toml:{}:8: comparisons.rank: unknown key; valid keys here: ballots, "
                   "pairs_per_rater, rank_size, ties",
                   line + 2)},
  };
  for (const Case& c : cases) {
    const std::string e = ErrorOf(With(c.table));
    EXPECT_NE(e.find(c.expect), std::string::npos) << c.table << "\n--> " << e;
    // One message per problem: nothing else is reported.
    EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 0) << c.table << "\n--> " << e;
  }
  const std::string e = ErrorOf(kBase, {"comparisons=\"ranking\""});
  EXPECT_NE(e.find("comparisons: found a string; expected a table"), std::string::npos) << e;
}

TEST(ReadComparisons, EveryGroupPerEvalueeCannotCompare) {
  std::string text = With(kRanking);
  // Keep only the per-evaluee group.
  const size_t a = text.find("[[raters]]\ngroup = \"superior\"");
  const size_t b = text.find("[[raters]]\ngroup = \"public\"");
  text.erase(a, b - a);
  ASSERT_NO_THROW(ParseScenario(kBase, "c.toml"));
  const std::string e = ErrorOf(text);
  EXPECT_NE(e.find("comparisons.ballots: every rater group is `per_evaluee`"), std::string::npos)
      << e;
}

// ---------------------------------------------------------------------------
// Generation

TEST(ComparisonGen, RatingBallotsIdenticalWithAndWithoutComparisons) {
  Fixture none(kBase), ranking(With(kRanking)), pairs(With(kPairs)),
      subset(With("[comparisons]\nballots = \"ranking\"\nrank_size = 3\n"));
  for (int r = 0; r < 3; ++r) {
    for (bool blocs : {true, false}) {
      const RatingBallots base = Ratings(none, r, blocs);
      RatingBallots a, b, c, d;
      RankingBallots ra, rc;
      PairwiseBallots pb, pc;
      GenerateBallots(ranking.setup, r, blocs, &a, &ra);
      GenerateBallots(pairs.setup, r, blocs, &b, nullptr, &pb);
      GenerateBallots(subset.setup, r, blocs, &c, &rc, &pc);
      GenerateBallots(ranking.setup, r, blocs, &d);  // comparisons asked, none wanted
      for (const RatingBallots* x : {&a, &b, &c, &d}) {
        EXPECT_EQ(x->ballot, base.ballot);
        EXPECT_EQ(x->slot_begin, base.slot_begin);
        EXPECT_EQ(x->rater_group, base.rater_group);
      }
      EXPECT_GT(ra.NumOrders(), 0u);
      EXPECT_GT(pb.NumComparisons(), 0u);
      EXPECT_GT(rc.NumOrders(), 0u);
      EXPECT_EQ(pc.NumComparisons(), 0u);  // not the scenario's kind
    }
  }
}

TEST(ComparisonGen, NoiselessRankingsFollowTrueQuality) {
  // noise = 0 and leniency sd = 0: a rater's perceptions differ from true
  // quality by one constant, so every order is the true order of the
  // evaluees it graded.
  Fixture f(With(kRanking), {"raters.superior.noise=0", "raters.superior.leniency={mean=-0.3,sd=0}",
                             "raters.peer.noise=0"});
  for (int r = 0; r < 3; ++r) {
    const auto views = ByRater(Ratings(f, r));
    RatingBallots ratings;
    RankingBallots rk;
    GenerateBallots(f.setup, r, true, &ratings, &rk);
    ASSERT_EQ(rk.ratee_names, f.org.evaluee_names);
    ASSERT_GT(rk.NumOrders(), 0u);
    for (size_t o = 0; o < rk.NumOrders(); ++o) {
      const auto c = rk.Candidates(o);
      const auto t = rk.Tiers(o);
      ASSERT_GE(c.size(), 2u);
      for (size_t i = 0; i < c.size(); ++i) {
        EXPECT_EQ(t[i], i);  // strict
        if (i > 0) {
          EXPECT_GT(f.org.quality[c[i - 1]], f.org.quality[c[i]]);
        }
      }
    }
    // Per meeting too, with each order's rater: the order lists exactly the
    // evaluees the rater graded, by decreasing quality.
    for (const MeetingComparisons& m : AllMeetings(f, r)) {
      for (size_t o = 0; o < m.NumOrders(); ++o) {
        const RaterView& v = views.at(m.order_rater[o]);
        std::vector<uint32_t> expected;
        for (const auto& [e, g] : v.grade) expected.push_back(e);
        std::sort(expected.begin(), expected.end(),
                  [&](uint32_t x, uint32_t y) { return f.org.quality[x] > f.org.quality[y]; });
        const std::vector<uint32_t> got(m.candidate.begin() + m.order_begin[o],
                                        m.candidate.begin() + m.order_begin[o + 1]);
        EXPECT_EQ(got, expected);
      }
    }
  }
}

TEST(ComparisonGen, NoiselessPairsFollowTrueQuality) {
  Fixture f(With(kPairs), {"raters.superior.noise=0", "raters.superior.leniency={mean=-0.3,sd=0}",
                           "raters.peer.noise=0"});
  RatingBallots ratings;
  PairwiseBallots p;
  GenerateBallots(f.setup, 1, true, &ratings, nullptr, &p);
  ASSERT_GT(p.NumComparisons(), 0u);
  for (size_t i = 0; i < p.NumComparisons(); ++i) {
    EXPECT_GT(f.org.quality[p.seq_winner[i]], f.org.quality[p.seq_loser[i]]);
    EXPECT_EQ(p.seq_weight[i], 1.0f);
  }
}

TEST(ComparisonGen, OrdersAndPairsAgreeWithTheSameRatersGrades) {
  // With noise, a rater's order by perception never puts a lower grade of
  // its own above a higher one (grades are cuts of the same perception),
  // and a pair's winner never has the lower grade.
  Fixture rf(With(kRanking)), pf(With(kPairs));
  size_t orders = 0, comparisons = 0, inversions_possible = 0;
  for (int r = 0; r < 3; ++r) {
    const auto views = ByRater(Ratings(rf, r));
    for (const MeetingComparisons& m : AllMeetings(rf, r)) {
      for (size_t o = 0; o < m.NumOrders(); ++o, ++orders) {
        const RaterView& v = views.at(m.order_rater[o]);
        for (uint64_t i = m.order_begin[o] + 1; i < m.order_begin[o + 1]; ++i) {
          const int above = v.grade.at(m.candidate[i - 1]), below = v.grade.at(m.candidate[i]);
          EXPECT_GE(above, below);
          // Equal grades in either order are consistent: count them to show
          // the order was not decided by grades alone.
          inversions_possible +=
              above == below && rf.org.quality[m.candidate[i - 1]] < rf.org.quality[m.candidate[i]];
        }
      }
    }
    const auto pviews = ByRater(Ratings(pf, r));
    for (const MeetingComparisons& m : AllMeetings(pf, r)) {
      for (size_t i = 0; i < m.winner.size(); ++i, ++comparisons) {
        const RaterView& v = pviews.at(m.pair_rater[i]);
        EXPECT_GE(v.grade.at(m.winner[i]), v.grade.at(m.loser[i]));
      }
    }
  }
  EXPECT_GT(orders, 30u);
  EXPECT_GT(comparisons, 300u);
  // Noise reorders evaluees within a grade against their true order.
  EXPECT_GT(inversions_possible, 0u);
}

TEST(ComparisonGen, PairsPerRaterDistinctAmongGradedEvaluees) {
  // k = 10 (sparse draws), 40 (dense for the smaller meetings) and 200
  // (more than any rater's pairs: every pair once).
  for (int k : {10, 40, 200}) {
    Fixture f(With(kPairs), {fmt::format("comparisons.pairs_per_rater={}", k)});
    size_t raters = 0, capped = 0;
    for (int r = 0; r < 2; ++r) {
      const auto views = ByRater(Ratings(f, r));
      std::map<uint32_t, std::set<std::pair<uint32_t, uint32_t>>> drawn;
      for (const MeetingComparisons& m : AllMeetings(f, r)) {
        for (size_t i = 0; i < m.winner.size(); ++i) {
          const RaterView& v = views.at(m.pair_rater[i]);
          ASSERT_TRUE(v.grade.count(m.winner[i]) && v.grade.count(m.loser[i]));
          EXPECT_EQ(m.weight[i], 1.0f);  // continuous perceptions: no exact tie
          const auto key = std::minmax(m.winner[i], m.loser[i]);
          EXPECT_TRUE(drawn[m.pair_rater[i]].insert(key).second) << "pair drawn twice";
          if (i > 0) {  // rater order
            EXPECT_LE(m.pair_rater[i - 1], m.pair_rater[i]);
          }
        }
      }
      for (const auto& [rater, v] : views) {
        const bool per_evaluee = f.org.rater_group[rater] == 2;
        const size_t n = v.grade.size();
        const size_t expected = per_evaluee || n < 2 ? 0 : std::min<size_t>(k, Choose2(n));
        const size_t got = drawn.count(rater) ? drawn.at(rater).size() : 0;
        EXPECT_EQ(got, expected) << "rater " << rater << " graded " << n;
        raters += expected > 0;
        capped += expected > 0 && expected < static_cast<size_t>(k);
      }
    }
    EXPECT_GT(raters, 50u);
    if (k == 200) {
      EXPECT_EQ(capped, raters);
    }
    if (k == 10) {
      EXPECT_LT(capped, raters / 4);  // only raters who graded 4 or fewer
    }
  }
}

TEST(ComparisonGen, RankSizeSubsetsOfGradedEvaluees) {
  Fixture f(With("[comparisons]\nballots = \"ranking\"\nrank_size = 4\n"));
  size_t full = 0, sub = 0;
  for (int r = 0; r < 3; ++r) {
    const auto views = ByRater(Ratings(f, r));
    std::set<uint32_t> cast;
    for (const MeetingComparisons& m : AllMeetings(f, r)) {
      for (size_t o = 0; o < m.NumOrders(); ++o) {
        const RaterView& v = views.at(m.order_rater[o]);
        EXPECT_TRUE(cast.insert(m.order_rater[o]).second) << "one order per rater";
        const size_t len = m.order_begin[o + 1] - m.order_begin[o];
        EXPECT_EQ(len, std::min<size_t>(4, v.grade.size()));
        (len < v.grade.size() ? sub : full) += 1;
        for (uint64_t i = m.order_begin[o]; i < m.order_begin[o + 1]; ++i)
          EXPECT_TRUE(v.grade.count(m.candidate[i]));
      }
    }
    // Every rater that graded two or more evaluees, and is not per-evaluee,
    // cast an order.
    for (const auto& [rater, v] : views) {
      const bool expect = f.org.rater_group[rater] != 2 && v.grade.size() >= 2;
      EXPECT_EQ(cast.count(rater) == 1, expect) << rater;
    }
  }
  EXPECT_GT(sub, 30u);
  EXPECT_GT(full, 0u);  // peers who graded 2-4 evaluees
}

TEST(ComparisonGen, AbstentionsAndPerEvalueeRatersAreLeftOut) {
  Fixture f(With(kRanking));
  size_t blanks_seen = 0, public_raters = 0;
  for (int r = 0; r < 3; ++r) {
    const auto views = ByRater(Ratings(f, r));
    std::set<uint32_t> cast;
    for (const MeetingComparisons& m : AllMeetings(f, r)) {
      for (size_t o = 0; o < m.NumOrders(); ++o) {
        const uint32_t rater = m.order_rater[o];
        cast.insert(rater);
        EXPECT_NE(f.org.rater_group[rater], 2) << "a per-evaluee rater ranked";
        const RaterView& v = views.at(rater);
        std::set<uint32_t> listed(m.candidate.begin() + m.order_begin[o],
                                  m.candidate.begin() + m.order_begin[o + 1]);
        std::set<uint32_t> graded;
        for (const auto& [e, g] : v.grade) graded.insert(e);
        EXPECT_EQ(listed, graded);  // rank_size 0: all graded, no blank
        for (uint32_t e : v.blank) EXPECT_EQ(listed.count(e), 0u);
        blanks_seen += v.blank.size();
      }
    }
    for (const auto& [rater, v] : views) public_raters += f.org.rater_group[rater] == 2;
  }
  EXPECT_GT(blanks_seen, 10u);
  EXPECT_GT(public_raters, 50u);
}

TEST(ComparisonGen, AssembledBallotsAreTheMeetingsInOrder) {
  Fixture rf(With(kRanking)), pf(With(kPairs));
  RatingBallots ratings;
  RankingBallots rk;
  GenerateBallots(rf.setup, 2, true, &ratings, &rk);
  rk.CheckInvariants();
  // Identical orders are merged: compare the multisets of orders.
  std::map<std::vector<uint32_t>, double> expected, got;
  for (const MeetingComparisons& m : AllMeetings(rf, 2))
    for (size_t o = 0; o < m.NumOrders(); ++o)
      expected[{m.candidate.begin() + m.order_begin[o],
                m.candidate.begin() + m.order_begin[o + 1]}] += 1;
  for (size_t o = 0; o < rk.NumOrders(); ++o) {
    const auto c = rk.Candidates(o);
    got[{c.begin(), c.end()}] += rk.count[o];
  }
  EXPECT_EQ(got, expected);

  PairwiseBallots p;
  GenerateBallots(pf.setup, 2, true, &ratings, nullptr, &p);
  p.CheckInvariants();
  std::vector<uint32_t> w, l;
  for (const MeetingComparisons& m : AllMeetings(pf, 2)) {
    w.insert(w.end(), m.winner.begin(), m.winner.end());
    l.insert(l.end(), m.loser.begin(), m.loser.end());
  }
  EXPECT_EQ(p.seq_winner, w);
  EXPECT_EQ(p.seq_loser, l);
  EXPECT_EQ(p.ratee_names, pf.org.evaluee_names);
  EXPECT_DOUBLE_EQ(p.TotalWeight(), static_cast<double>(w.size()));
  // The aggregate counts every comparison once.
  double wins = 0;
  for (size_t i = 0; i < p.NumPairs(); ++i) wins += p.first_wins[i] + p.second_wins[i];
  EXPECT_DOUBLE_EQ(wins, static_cast<double>(w.size()));

  // Reusing the outputs for another replicate leaves nothing stale; an
  // output of the kind the scenario does not ask for is empty.
  PairwiseBallots again = p;
  GenerateBallots(pf.setup, 3, true, &ratings, &rk, &again);
  EXPECT_EQ(rk.NumOrders(), 0u);
  EXPECT_EQ(rk.ratee_names, pf.org.evaluee_names);
  std::vector<uint32_t> w3;
  for (const MeetingComparisons& m : AllMeetings(pf, 3))
    w3.insert(w3.end(), m.winner.begin(), m.winner.end());
  EXPECT_EQ(again.seq_winner, w3);
}

TEST(ComparisonGen, SameRankingsAndPairsAnyThreadCount) {
  // Forty meetings, so that the parallel loop splits them.
  const std::vector<std::string> many = {
      "organisation.levels=[{name=\"district\",count=40},{name=\"town\",count=[3,9]}]"};
  Fixture rf(With("[comparisons]\nballots = \"ranking\"\nrank_size = 3\n"), many),
      pf(With(kPairs), many);
  RatingBallots r1, r2;
  RankingBallots k1, k2;
  PairwiseBallots p1, p2;
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
    GenerateBallots(rf.setup, 1, true, &r1, &k1);
    GenerateBallots(pf.setup, 1, true, &r1, nullptr, &p1);
  }
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
    GenerateBallots(rf.setup, 1, true, &r2, &k2);
    GenerateBallots(pf.setup, 1, true, &r2, nullptr, &p2);
  }
  ASSERT_GT(k1.NumOrders(), 100u);
  EXPECT_EQ(k1.order_begin, k2.order_begin);
  EXPECT_EQ(k1.candidate, k2.candidate);
  EXPECT_EQ(k1.tier, k2.tier);
  EXPECT_EQ(k1.count, k2.count);
  ASSERT_GT(p1.NumComparisons(), 1000u);
  EXPECT_EQ(p1.seq_winner, p2.seq_winner);
  EXPECT_EQ(p1.seq_loser, p2.seq_loser);
  EXPECT_EQ(p1.seq_weight, p2.seq_weight);
  EXPECT_EQ(p1.first, p2.first);
  EXPECT_EQ(p1.first_wins, p2.first_wins);
  // Another replicate differs; the same replicate again is the same.
  RankingBallots k3, k4;
  GenerateBallots(rf.setup, 2, true, &r1, &k3);
  GenerateBallots(rf.setup, 1, true, &r1, &k4);
  EXPECT_NE(k3.candidate, k1.candidate);
  EXPECT_EQ(k4.candidate, k1.candidate);
}

// One meeting of `n` evaluees and 300 raters who grade them all, for the
// sampling frequencies.
constexpr const char* kOneMeeting = R"(name = "u"
seed = 9
replicates = 1
[scale]
labels = ["no", "yes"]
shares = [0.5, 0.5]
[organisation]
levels = [ { name = "unit", count = 1 }, { name = "person", count = 6 } ]
evaluees = "person"
[[raters]]
group = "panel"
count = 300
noise = 3.0
[[models]]
name = "m"
model = "weighted_mean"
)";

TEST(ComparisonGen, RankSubsetsAreUniform) {
  // rank_size 2 of 6: each evaluee is in a rater's subset with probability
  // 1/3. 20 replicates x 300 raters = 6,000 subsets; per evaluee the count is
  // Binomial(6000, 1/3): mean 2,000, sd 36.5. Tolerance 5 sd.
  Fixture f(std::string(kOneMeeting) + "[comparisons]\nballots = \"ranking\"\nrank_size = 2\n");
  std::vector<double> in(6, 0);
  for (int r = 0; r < 20; ++r) {
    MeetingComparisons m;
    GenerateMeetingComparisons(f.setup, r, true, 0, &m);
    ASSERT_EQ(m.NumOrders(), 300u);
    for (uint32_t c : m.candidate) in[c] += 1;
  }
  for (double c : in) EXPECT_NEAR(c, 2000.0, 5 * 36.5);
}

TEST(ComparisonGen, PairDrawsAreUniform) {
  // 6 evaluees: 15 pairs. k = 1 (rejection draws) and k = 10 (a shuffled
  // list): each pair is drawn by a rater with probability k / 15, and with
  // k = 10 the first pair a rater compares is uniform too (probability
  // 1/15). 20 x 300 = 6,000 raters; tolerance 5 binomial sd.
  for (int k : {1, 10, 15}) {
    Fixture f(std::string(kOneMeeting) +
              fmt::format("[comparisons]\nballots = \"pairs\"\npairs_per_rater = {}\n", k));
    std::map<std::pair<uint32_t, uint32_t>, double> drawn, first;
    for (int r = 0; r < 20; ++r) {
      MeetingComparisons m;
      GenerateMeetingComparisons(f.setup, r, true, 0, &m);
      ASSERT_EQ(m.winner.size(), 300u * k);
      for (size_t i = 0; i < m.winner.size(); ++i) {
        const auto key = std::minmax(m.winner[i], m.loser[i]);
        drawn[key] += 1;
        if (i % k == 0) first[key] += 1;
      }
    }
    ASSERT_EQ(drawn.size(), 15u);
    const double p = k / 15.0, n = 6000;
    for (const auto& [key, c] : drawn) {
      if (k == 15) {
        EXPECT_EQ(c, n);  // every pair, every rater
      } else {
        EXPECT_NEAR(c, n * p, 5 * std::sqrt(n * p * (1 - p))) << k;
      }
    }
    for (const auto& [key, c] : first)
      EXPECT_NEAR(c, n / 15, 5 * std::sqrt(n / 15 * (14.0 / 15))) << k;
  }
}

TEST(ComparisonGen, ExactTiesAreTiersAndHalfWins) {
  // quality sd = 0, noise = 0, no leniency: every perception is equal, so a
  // ranking is one tier and every comparison is half a win each way.
  const std::vector<std::string> flat = {"organisation.quality={sd=0}", "raters.panel.noise=0"};
  Fixture rf(std::string(kOneMeeting) + "[comparisons]\nballots = \"ranking\"\n", flat);
  MeetingComparisons m;
  GenerateMeetingComparisons(rf.setup, 0, true, 0, &m);
  ASSERT_EQ(m.NumOrders(), 300u);
  for (uint32_t t : m.tier) EXPECT_EQ(t, 0u);
  for (size_t o = 0; o < m.NumOrders(); ++o) EXPECT_EQ(m.order_begin[o + 1] - m.order_begin[o], 6u);

  Fixture pf(std::string(kOneMeeting) + "[comparisons]\nballots = \"pairs\"\npairs_per_rater = 2\n",
             flat);
  GenerateMeetingComparisons(pf.setup, 0, true, 0, &m);
  ASSERT_EQ(m.winner.size(), 300u * 2 * 2);
  for (size_t i = 0; i < m.winner.size(); i += 2) {
    EXPECT_EQ(m.weight[i], 0.5f);
    EXPECT_EQ(m.weight[i + 1], 0.5f);
    EXPECT_EQ(m.winner[i], m.loser[i + 1]);
    EXPECT_EQ(m.loser[i], m.winner[i + 1]);
  }
}

TEST(ComparisonGen, NothingWithoutTheTable) {
  Fixture f(kBase);
  MeetingComparisons m;
  GenerateMeetingComparisons(f.setup, 0, true, 0, &m);
  EXPECT_EQ(m.NumOrders(), 0u);
  EXPECT_TRUE(m.winner.empty());
  RatingBallots b;
  RankingBallots rk;
  PairwiseBallots p;
  GenerateBallots(f.setup, 0, true, &b, &rk, &p);
  EXPECT_EQ(rk.NumOrders(), 0u);
  EXPECT_EQ(p.NumComparisons(), 0u);
  EXPECT_EQ(p.ratee_names, f.org.evaluee_names);
}

}  // namespace
}  // namespace evalsim
