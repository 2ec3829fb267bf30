#include "sim/core/comparisons.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "sim/core/check.h"
#include "sim/core/errors.h"
#include "sim/core/rng.h"
#include "tests/support/ballot_builder.h"

namespace evalsim {
namespace {

using testing_util::BallotRow;
using testing_util::BuildBallots;

// `f` fails an invariant check whose message holds `what`.
template <class F>
void ExpectInternalError(F f, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << "no InternalError; expected one about: " << what;
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

// The sequence as "w>l*weight" items, for eyeball-checkable expectations.
std::string Sequence(const PairwiseBallots& b) {
  std::vector<std::string> items;
  for (size_t i = 0; i < b.NumComparisons(); ++i)
    items.push_back(fmt::format("{}>{}*{}", b.seq_winner[i], b.seq_loser[i], b.seq_weight[i]));
  return fmt::format("{}", fmt::join(items, " "));
}

// The aggregate as "first-second:first_wins/second_wins" items.
std::string Aggregate(const PairwiseBallots& b) {
  std::vector<std::string> items;
  for (size_t p = 0; p < b.NumPairs(); ++p) {
    items.push_back(
        fmt::format("{}-{}:{}/{}", b.first[p], b.second[p], b.first_wins[p], b.second_wins[p]));
  }
  return fmt::format("{}", fmt::join(items, " "));
}

// The orders as "count*[a b|c]" items: tiers separated by '|'.
std::string Orders(const RankingBallots& r) {
  std::vector<std::string> items;
  for (size_t o = 0; o < r.NumOrders(); ++o) {
    std::string s = fmt::format("{}*[", r.count[o]);
    const auto cand = r.Candidates(o);
    const auto tier = r.Tiers(o);
    for (size_t i = 0; i < cand.size(); ++i) {
      if (i > 0) s += tier[i] == tier[i - 1] ? " " : "|";
      s += std::to_string(cand[i]);
    }
    items.push_back(s + "]");
  }
  return fmt::format("{}", fmt::join(items, " "));
}

PairwiseBallots FromSequence(int n, std::vector<std::tuple<uint32_t, uint32_t, float>> seq) {
  PairwiseBallots b;
  for (int i = 0; i < n; ++i) b.ratee_names.push_back(fmt::format("e{}", i));
  for (const auto& [w, l, x] : seq) {
    b.seq_winner.push_back(w);
    b.seq_loser.push_back(l);
    b.seq_weight.push_back(x);
  }
  AggregatePairwise(&b);
  return b;
}

// ---------------------------------------------------------------------------
// PairwiseBallots and AggregatePairwise

TEST(AggregatePairwise, SumsEachUnorderedPairAndSortsThePairs) {
  const PairwiseBallots b = FromSequence(4, {{2, 0, 0.5f},
                                             {0, 2, 0.5f},  // a tie between 0 and 2
                                             {1, 0, 2.0f},
                                             {0, 1, 1.0f},
                                             {3, 1, 0.0f},  // weight 0 only: no pair
                                             {1, 0, 1.0f}});
  EXPECT_EQ(Aggregate(b), "0-1:1/3 0-2:0.5/0.5");
  // The sequence is kept as given.
  EXPECT_EQ(Sequence(b), "2>0*0.5 0>2*0.5 1>0*2 0>1*1 3>1*0 1>0*1");
  EXPECT_DOUBLE_EQ(b.TotalWeight(), 5.0);
  b.CheckInvariants();

  const Eigen::MatrixXd m = PairwiseMatrix(b);
  Eigen::MatrixXd expected = Eigen::MatrixXd::Zero(4, 4);
  expected(0, 1) = 1.0;
  expected(1, 0) = 3.0;
  expected(0, 2) = 0.5;
  expected(2, 0) = 0.5;
  EXPECT_EQ(m, expected);
}

TEST(AggregatePairwise, EmptySequenceGivesNoPairs) {
  const PairwiseBallots b = FromSequence(3, {});
  EXPECT_EQ(b.NumPairs(), 0u);
  EXPECT_EQ(b.TotalWeight(), 0.0);
  EXPECT_EQ(PairwiseMatrix(b), Eigen::MatrixXd::Zero(3, 3));
  b.CheckInvariants();
}

// Reference: a std::map keyed by the ordered pair, on random sequences large
// enough to make the hash table grow several times.
TEST(AggregatePairwise, MatchesAMapOnRandomSequences) {
  for (uint64_t trial = 0; trial < 6; ++trial) {
    Rng rng(DeriveSeed(77, {trial}));
    const int n = 2 + static_cast<int>(rng.Below(trial < 3 ? 8 : 3000));
    std::vector<std::tuple<uint32_t, uint32_t, float>> seq;
    std::map<std::pair<uint32_t, uint32_t>, std::pair<double, double>> ref;
    for (int i = 0; i < 20000; ++i) {
      const uint32_t w = static_cast<uint32_t>(rng.Below(n));
      uint32_t l = static_cast<uint32_t>(rng.Below(n - 1));
      if (l >= w) ++l;
      const float x = 0.25f * static_cast<float>(1 + rng.Below(4));
      seq.emplace_back(w, l, x);
      auto& e = ref[{std::min(w, l), std::max(w, l)}];
      (w < l ? e.first : e.second) += x;
    }
    const PairwiseBallots b = FromSequence(n, seq);
    ASSERT_EQ(b.NumPairs(), ref.size());
    size_t p = 0;
    for (const auto& [key, wins] : ref) {
      EXPECT_EQ(b.first[p], key.first);
      EXPECT_EQ(b.second[p], key.second);
      EXPECT_DOUBLE_EQ(b.first_wins[p], wins.first);
      EXPECT_DOUBLE_EQ(b.second_wins[p], wins.second);
      ++p;
    }
    b.CheckInvariants();
  }
}

// The same on sequences shaped like converted ratings: meetings of a few
// ratees out of many (so the hash table is used, not the dense table), each
// rater comparing its meeting's pairs in the same order, ties as two half
// entries, and now and then a pair left out or a stray comparison.
TEST(AggregatePairwise, MatchesAMapOnRepeatedRunsOfPairs) {
  Rng rng(DeriveSeed(78, {0}));
  const int n = 5000;
  std::vector<std::tuple<uint32_t, uint32_t, float>> seq;
  std::map<std::pair<uint32_t, uint32_t>, std::pair<double, double>> ref;
  auto add = [&](uint32_t w, uint32_t l, float x) {
    seq.emplace_back(w, l, x);
    auto& e = ref[{std::min(w, l), std::max(w, l)}];
    (w < l ? e.first : e.second) += x;
  };
  for (int meeting = 0; meeting < 60; ++meeting) {
    std::vector<uint32_t> members;
    while (members.size() < 8) {
      const uint32_t e = static_cast<uint32_t>(rng.Below(n));
      if (std::find(members.begin(), members.end(), e) == members.end()) members.push_back(e);
    }
    for (int rater = 0; rater < 15; ++rater) {
      for (size_t i = 0; i < members.size(); ++i) {
        for (size_t j = i + 1; j < members.size(); ++j) {
          if (rng.Bernoulli(0.05)) continue;
          const uint64_t outcome = rng.Below(3);
          if (outcome == 0) add(members[i], members[j], 1.0f);
          if (outcome == 1) add(members[j], members[i], 1.0f);
          if (outcome == 2) {
            add(members[i], members[j], 0.5f);
            add(members[j], members[i], 0.5f);
          }
          if (rng.Bernoulli(0.02))
            add(static_cast<uint32_t>(rng.Below(n / 2)),
                static_cast<uint32_t>(n / 2 + rng.Below(n / 2)), 1.0f);
        }
      }
    }
  }
  const PairwiseBallots b = FromSequence(n, seq);
  ASSERT_GT(static_cast<double>(n) * n, 2.0 * static_cast<double>(seq.size()) + 65536.0);
  ASSERT_EQ(b.NumPairs(), ref.size());
  size_t p = 0;
  for (const auto& [key, wins] : ref) {
    EXPECT_EQ(b.first[p], key.first);
    EXPECT_EQ(b.second[p], key.second);
    EXPECT_EQ(b.first_wins[p], wins.first);
    EXPECT_EQ(b.second_wins[p], wins.second);
    ++p;
  }
}

TEST(PairwiseBallotsDeathTest, CheckInvariantsCatchesBrokenAggregates) {
  PairwiseBallots good = FromSequence(3, {{0, 1, 1.0f}, {2, 1, 1.0f}});
  good.CheckInvariants();

  PairwiseBallots unsorted = good;
  std::swap(unsorted.first[0], unsorted.first[1]);
  std::swap(unsorted.second[0], unsorted.second[1]);
  ExpectInternalError([&] { unsorted.CheckInvariants(); }, "not sorted");

  PairwiseBallots reversed = good;
  std::swap(reversed.first[0], reversed.second[0]);
  ExpectInternalError([&] { reversed.CheckInvariants(); }, "first < second");

  PairwiseBallots stale = good;  // aggregate no longer the sequence's
  stale.first_wins[0] = 2.0;
  ExpectInternalError([&] { stale.CheckInvariants(); }, "differ from the sequence");

  PairwiseBallots self = good;
  self.seq_loser[0] = self.seq_winner[0];
  ExpectInternalError([&] { self.CheckInvariants(); }, "itself");

  PairwiseBallots out_of_range = good;
  out_of_range.ratee_names.pop_back();
  ExpectInternalError([&] { out_of_range.CheckInvariants(); }, "out of range");
}

// ---------------------------------------------------------------------------
// RankingBuilder and RankingBallots

TEST(RankingBuilder, MergesIdenticalOrdersInOrderOfFirstAppearance) {
  RankingBuilder builder({"a", "b", "c", "d"});
  const std::vector<uint32_t> abc = {0, 1, 2}, cab = {2, 0, 1}, ba = {1, 0}, ab = {0, 1};
  builder.Add(cab, {}, 1.0);                              // order 0
  builder.Add(abc, {}, 2.0);                              // order 1
  builder.Add(abc, std::vector<uint32_t>{0, 1, 2}, 0.5);  // = order 1 (explicit strict tiers)
  builder.Add(ba, std::vector<uint32_t>{0, 0}, 1.0);      // order 2: {a,b} stored sorted
  builder.Add(ab, std::vector<uint32_t>{0, 0}, 3.0);      // = order 2
  builder.Add(ab, {}, 1.0);                               // strict a>b: a new order 3
  builder.Add(abc, std::vector<uint32_t>{0, 2, 2}, 1.0);  // tiers renumbered 0,1,1: order 4
  builder.Add(std::vector<uint32_t>{0, 2, 1}, std::vector<uint32_t>{1, 5, 5}, 1.0);  // = order 4
  builder.Add({}, {}, 2.0);  // an empty order (all unranked)
  const RankingBallots r = builder.Finish();
  r.CheckInvariants();
  EXPECT_EQ(r.ratee_names, (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(Orders(r), "1*[2|0|1] 2.5*[0|1|2] 4*[0 1] 1*[0|1] 2*[0|1 2] 2*[]");
  EXPECT_DOUBLE_EQ(r.NumVoters(), 12.5);
}

TEST(RankingBuilder, ResultDoesNotDependOnHashCollisionsOrSize) {
  // Many distinct orders (all 5! strict orders of 5 candidates, and their
  // truncations), each added three times in a fixed order: every order must
  // come out once, with count 3, in order of first appearance.
  std::vector<uint32_t> perm = {0, 1, 2, 3, 4};
  std::vector<std::vector<uint32_t>> distinct;
  do {
    for (size_t len = 1; len <= perm.size(); ++len) {
      std::vector<uint32_t> prefix(perm.begin(), perm.begin() + len);
      if (std::find(distinct.begin(), distinct.end(), prefix) == distinct.end())
        distinct.push_back(prefix);
    }
  } while (std::next_permutation(perm.begin(), perm.end()));
  RankingBuilder builder({"a", "b", "c", "d", "e"});
  for (int rep = 0; rep < 3; ++rep)
    for (const auto& o : distinct) builder.Add(o, {}, 1.0);
  const RankingBallots r = builder.Finish();
  r.CheckInvariants();
  ASSERT_EQ(r.NumOrders(), distinct.size());
  for (size_t o = 0; o < distinct.size(); ++o) {
    const auto cand = r.Candidates(o);
    EXPECT_EQ(std::vector<uint32_t>(cand.begin(), cand.end()), distinct[o]);
    EXPECT_EQ(r.count[o], 3.0);
  }
}

TEST(RankingBallotsDeathTest, CheckInvariantsCatchesBrokenOrders) {
  RankingBuilder builder({"a", "b", "c"});
  builder.Add(std::vector<uint32_t>{0, 1, 2}, std::vector<uint32_t>{0, 1, 1}, 1.0);
  const RankingBallots good = builder.Finish();
  good.CheckInvariants();

  RankingBallots gap = good;
  gap.tier[1] = 2;
  gap.tier[2] = 2;
  ExpectInternalError([&] { gap.CheckInvariants(); }, "step by 0 or 1");

  RankingBallots first_tier = good;
  for (uint32_t& t : first_tier.tier) ++t;
  ExpectInternalError([&] { first_tier.CheckInvariants(); }, "first tier");

  RankingBallots repeated = good;
  repeated.candidate[2] = 0;
  ExpectInternalError([&] { repeated.CheckInvariants(); }, "twice");

  RankingBallots negative = good;
  negative.count[0] = -1.0;
  ExpectInternalError([&] { negative.CheckInvariants(); }, "count");

  RankingBuilder bad({"a", "b"});
  ExpectInternalError([&] { bad.Add(std::vector<uint32_t>{0, 0}, {}, 1.0); }, "twice");
  ExpectInternalError([&] { bad.Add(std::vector<uint32_t>{0, 2}, {}, 1.0); }, "out of range");
  ExpectInternalError(
      [&] {
        bad.Add(std::vector<uint32_t>{0, 1}, std::vector<uint32_t>{1, 0}, 1.0);
      },
      "decrease");
}

// ---------------------------------------------------------------------------
// Ratings -> pairwise

// Three raters, four ratees, K = 4. Rater 1 abstains on e2 and does not see
// e3; rater 2 (group 1) ties e0 and e3.
//   rater 0: e0=3 e1=1 e2=1 e3=0
//   rater 1: e0=2 e1=3 e2=-
//   rater 2: e0=2 e3=2 e1=0
RatingBallots SmallRatings(bool weighted = false) {
  const std::vector<BallotRow> rows = {
      {0, 0, 0, 3, 5.0f}, {1, 0, 0, 1},        {2, 0, 0, 1}, {3, 0, 0, 0},       {0, 0, 1, 2},
      {1, 0, 1, 3},       {2, 0, 1, kAbstain}, {0, 1, 2, 2}, {3, 1, 2, 2, 9.0f}, {1, 1, 2, 0},
  };
  return BuildBallots(4, {"members", "leaders"}, 4, rows, weighted);
}

TEST(RatingsToPairwise, SplitsTiesRaterByRaterInRateeOrder) {
  const PairwiseBallots p = RatingsToPairwise(SmallRatings(), TiePolicy::kSplit);
  EXPECT_EQ(p.ratee_names, (std::vector<std::string>{"e0", "e1", "e2", "e3"}));
  // rater 0: pairs (0,1) (0,2) (0,3) (1,2) tie (1,3) (2,3)
  // rater 1: (0,1): e1 wins; e2 abstained
  // rater 2: (0,1) (0,3) tie (1,3): e3 wins
  EXPECT_EQ(Sequence(p),
            "0>1*1 0>2*1 0>3*1 1>2*0.5 2>1*0.5 1>3*1 2>3*1"
            " 1>0*1"
            " 0>1*1 0>3*0.5 3>0*0.5 3>1*1");
  EXPECT_EQ(Aggregate(p), "0-1:2/1 0-2:1/0 0-3:1.5/0.5 1-2:0.5/0.5 1-3:1/1 2-3:1/0");
  p.CheckInvariants();
}

TEST(RatingsToPairwise, DropsTiesAndIgnoresBallotWeights) {
  const PairwiseBallots p = RatingsToPairwise(SmallRatings(/*weighted=*/true), TiePolicy::kDrop);
  EXPECT_EQ(Sequence(p), "0>1*1 0>2*1 0>3*1 1>3*1 2>3*1 1>0*1 0>1*1 3>1*1");
  // The tied pair (1,2) met only through a tie, so it is absent when ties
  // are dropped.
  EXPECT_EQ(Aggregate(p), "0-1:2/1 0-2:1/0 0-3:1/0 1-3:1/1 2-3:1/0");
  p.CheckInvariants();
}

TEST(RatingsToPairwise, RatersWithOneOrNoGradeGiveNothing) {
  const std::vector<BallotRow> rows = {{0, 0, 0, 2}, {1, 0, 1, kAbstain}, {0, 0, 1, 1}};
  testing_util::BallotOptions options;
  options.min_raters = 4;
  const RatingBallots r = BuildBallots(2, {"all"}, 3, rows, false, options);
  const PairwiseBallots p = RatingsToPairwise(r, TiePolicy::kSplit);
  EXPECT_EQ(p.NumComparisons(), 0u);
  EXPECT_EQ(p.NumPairs(), 0u);
  EXPECT_EQ(p.NumRatees(), 2);
}

// A slow reference written from the definition: per rater (in id order),
// collect (ratee, grade) by scanning every slot, sort by ratee, compare all
// pairs.
std::string ReferenceSequence(const RatingBallots& r, TiePolicy ties) {
  std::vector<std::string> items;
  for (uint32_t rater = 0; rater < r.num_raters; ++rater) {
    std::vector<std::pair<int, int>> graded;
    for (int e = 0; e < r.NumRatees(); ++e) {
      for (int g = 0; g < r.NumGroups(); ++g) {
        for (uint32_t w : r.SlotBallots(r.Slot(e, g)))
          if (BallotRater(w) == rater && BallotGrade(w) != kAbstain)
            graded.emplace_back(e, BallotGrade(w));
      }
    }
    for (size_t i = 0; i < graded.size(); ++i) {
      for (size_t j = i + 1; j < graded.size(); ++j) {
        const auto [a, ga] = graded[i];
        const auto [b, gb] = graded[j];
        if (ga > gb) items.push_back(fmt::format("{}>{}*1", a, b));
        if (ga < gb) items.push_back(fmt::format("{}>{}*1", b, a));
        if (ga == gb && ties == TiePolicy::kSplit) {
          items.push_back(fmt::format("{}>{}*0.5", a, b));
          items.push_back(fmt::format("{}>{}*0.5", b, a));
        }
      }
    }
  }
  return fmt::format("{}", fmt::join(items, " "));
}

RatingBallots RandomRatings(uint64_t trial, double abstain, double skip) {
  Rng rng(DeriveSeed(4242, {trial}));
  const int n = 1 + static_cast<int>(rng.Below(9));
  const int groups = 1 + static_cast<int>(rng.Below(3));
  const int raters = static_cast<int>(rng.Below(12));
  std::vector<BallotRow> rows;
  for (int k = 0; k < raters; ++k) {
    const int group = static_cast<int>(rng.Below(groups));
    for (int e = 0; e < n; ++e) {
      if (rng.Bernoulli(skip)) continue;
      const uint8_t grade = rng.Bernoulli(abstain) ? kAbstain : static_cast<uint8_t>(rng.Below(4));
      rows.push_back({e, group, static_cast<uint32_t>(k), grade});
    }
  }
  // Rows in random order: the conversion must not depend on slot order.
  for (size_t i = rows.size(); i > 1; --i) std::swap(rows[i - 1], rows[rng.Below(i)]);
  std::vector<std::string> group_names;
  for (int g = 0; g < groups; ++g) group_names.push_back(fmt::format("g{}", g));
  testing_util::BallotOptions options;
  options.min_raters = static_cast<uint32_t>(raters);
  options.check_rater_groups = true;
  return BuildBallots(n, group_names, 4, rows, false, options);
}

TEST(RatingsToPairwise, MatchesTheDefinitionOnRandomBallots) {
  for (uint64_t trial = 0; trial < 60; ++trial) {
    const RatingBallots r = RandomRatings(trial, 0.15, 0.25);
    for (TiePolicy ties : {TiePolicy::kSplit, TiePolicy::kDrop}) {
      const PairwiseBallots p = RatingsToPairwise(r, ties);
      ASSERT_EQ(Sequence(p), ReferenceSequence(r, ties)) << "trial " << trial;
      p.CheckInvariants();
    }
  }
}

// ---------------------------------------------------------------------------
// Ratings -> rankings

TEST(RatingsToRankings, OneWeakOrderPerRaterHigherGradeFirst) {
  const RankingBallots r = RatingsToRankings(SmallRatings());
  r.CheckInvariants();
  // rater 0: e0 | e1 e2 | e3; rater 1: e1 | e0 (e2 abstained, e3 unseen:
  // both unranked); rater 2: e0 e3 | e1.
  EXPECT_EQ(Orders(r), "1*[0|1 2|3] 1*[1|0] 1*[0 3|1]");
  EXPECT_EQ(r.ratee_names, (std::vector<std::string>{"e0", "e1", "e2", "e3"}));
}

TEST(RatingsToRankings, MergesRatersWithTheSameOrderAndSkipsBlankRaters) {
  // Raters 0 and 2 rank e1 > e0; rater 1 only abstains; rater 3 ranks e0 > e1
  // with other grades; rater 4 gives e1 = 3, e0 = 0 (same order as 0 and 2).
  const std::vector<BallotRow> rows = {
      {0, 0, 0, 1}, {1, 0, 0, 2}, {0, 0, 1, kAbstain}, {0, 0, 2, 0}, {1, 0, 2, 3},
      {0, 0, 3, 3}, {1, 0, 3, 2}, {0, 0, 4, 0},        {1, 0, 4, 3},
  };
  const RankingBallots r = RatingsToRankings(BuildBallots(2, {"all"}, 4, rows, false));
  EXPECT_EQ(Orders(r), "3*[1|0] 1*[0|1]");
  EXPECT_DOUBLE_EQ(r.NumVoters(), 4.0);
}

// ---------------------------------------------------------------------------
// Rankings -> pairwise

TEST(RankingsToPairwise, TruncatedOrdersUnrankedAndTies) {
  // Five candidates. Order A (count 2): 3 | 0 1 | 4, candidate 2 unranked.
  // Order B (count 1): 1, the rest unranked. Order C (count 0): ignored.
  RankingBuilder builder({"a", "b", "c", "d", "e"});
  builder.Add(std::vector<uint32_t>{3, 0, 1, 4}, std::vector<uint32_t>{0, 1, 1, 2}, 2.0);
  builder.Add(std::vector<uint32_t>{1}, {}, 1.0);
  builder.Add(std::vector<uint32_t>{4, 2}, {}, 0.0);
  const RankingBallots r = builder.Finish();

  const PairwiseBallots split = RankingsToPairwise(r, TiePolicy::kSplit);
  // Per listed position (best first): later listed positions, then the
  // unranked in id order.
  EXPECT_EQ(Sequence(split),
            "3>0*2 3>1*2 3>4*2 3>2*2"
            " 0>1*1 1>0*1 0>4*2 0>2*2"
            " 1>4*2 1>2*2"
            " 4>2*2"
            " 1>0*1 1>2*1 1>3*1 1>4*1");
  EXPECT_EQ(Aggregate(split),
            "0-1:1/2 0-2:2/0 0-3:0/2 0-4:2/0 1-2:3/0 1-3:1/2 1-4:3/0 2-3:0/2 "
            "2-4:0/2 3-4:2/0");
  split.CheckInvariants();

  const PairwiseBallots drop = RankingsToPairwise(r, TiePolicy::kDrop);
  EXPECT_EQ(Aggregate(drop),
            "0-1:0/1 0-2:2/0 0-3:0/2 0-4:2/0 1-2:3/0 1-3:1/2 1-4:3/0 2-3:0/2 "
            "2-4:0/2 3-4:2/0");
  EXPECT_DOUBLE_EQ(split.TotalWeight(), 2.0 * 10 + 1.0 * 4);  // a full order of 5: 10 pairs
  EXPECT_DOUBLE_EQ(drop.TotalWeight(), 2.0 * 9 + 1.0 * 4);
}

TEST(RankingsToPairwise, NoOrdersGiveNoComparisons) {
  RankingBuilder builder({"a", "b"});
  const PairwiseBallots p = RankingsToPairwise(builder.Finish(), TiePolicy::kSplit);
  EXPECT_EQ(p.NumComparisons(), 0u);
  EXPECT_EQ(p.NumRatees(), 2);
}

TEST(RankingsToPairwise, RefusesASequenceBeyondTheLimit) {
  // 2^16 candidates and 2^14 + 2 orders that each list one of them: every
  // order gives 2^16 - 1 comparisons (the listed one beats the rest), in all
  // (2^14 + 2)(2^16 - 1) = 1073856510 > 2^30. The check comes before any
  // allocation, so the test is cheap.
  const uint32_t n = 1u << 16;
  RankingBuilder builder{std::vector<std::string>(n)};
  for (uint32_t o = 0; o < (1u << 14) + 2; ++o) builder.Add(std::vector<uint32_t>{o}, {}, 1.0);
  try {
    RankingsToPairwise(builder.Finish(), TiePolicy::kDrop);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("give 1073856510 comparisons; the limit is 1073741824"),
              std::string::npos)
        << e.what();
  }
}

// When every rater grades every ratee there are no unranked candidates, so
// going through weak orders gives exactly the within-rater comparisons
// (weights are counts of merged raters: sums agree, not the sequences).
TEST(RankingsToPairwise, ThroughRankingsEqualsDirectWhenBallotsAreComplete) {
  for (uint64_t trial = 0; trial < 40; ++trial) {
    const RatingBallots r = RandomRatings(1000 + trial, 0.0, 0.0);
    for (TiePolicy ties : {TiePolicy::kSplit, TiePolicy::kDrop}) {
      const PairwiseBallots direct = RatingsToPairwise(r, ties);
      const PairwiseBallots via = RankingsToPairwise(RatingsToRankings(r), ties);
      EXPECT_EQ(Aggregate(via), Aggregate(direct)) << "trial " << trial;
    }
  }
}

// With abstentions the two differ in a documented way: an abstention is
// unranked in the weak order, so it loses to every graded ratee there, while
// the direct conversion does not compare it at all.
// A rater's order covers only the ratees it graded: an abstention, or a
// ratee of another meeting, is not compared (not "ranked below"), so going
// through rankings gives the same comparisons as the direct conversion.
TEST(RankingsToPairwise, RatersOrdersDoNotCompareWhatTheyDidNotGrade) {
  const std::vector<BallotRow> rows = {{0, 0, 0, 1}, {1, 0, 0, kAbstain}};
  const RatingBallots r = BuildBallots(2, {"all"}, 2, rows, false);
  EXPECT_EQ(RatingsToPairwise(r, TiePolicy::kSplit).NumPairs(), 0u);
  const RankingBallots rk = RatingsToRankings(r);
  EXPECT_FALSE(rk.unranked_below);
  EXPECT_EQ(RankingsToPairwise(rk, TiePolicy::kSplit).NumPairs(), 0u);

  // Two meetings: raters 0-1 grade ratees 0-1, raters 2-3 grade ratees 2-3.
  const std::vector<BallotRow> two = {{0, 0, 0, 3}, {1, 0, 0, 1}, {0, 0, 1, 2}, {1, 0, 1, 2},
                                      {2, 0, 2, 0}, {3, 0, 2, 3}, {2, 0, 3, 1}, {3, 0, 3, 1}};
  const RatingBallots m = BuildBallots(4, {"all"}, 4, two, false);
  EXPECT_EQ(Aggregate(RankingsToPairwise(RatingsToRankings(m), TiePolicy::kSplit)),
            Aggregate(RatingsToPairwise(m, TiePolicy::kSplit)));
  EXPECT_EQ(RankingsToPairwise(RatingsToRankings(m), TiePolicy::kSplit).NumPairs(), 2u);
}

// A PrefLib-style truncated order puts the unlisted candidates below.
TEST(RankingsToPairwise, TruncatedBallotsRankTheUnlistedBelow) {
  RankingBuilder builder({"a", "b", "c"});
  const std::vector<uint32_t> cand = {1};
  builder.Add(cand, {}, 2.0);
  RankingBallots rk = builder.Finish();
  ASSERT_TRUE(rk.unranked_below);
  EXPECT_EQ(RankingsToPairwise(rk, TiePolicy::kDrop).NumPairs(), 2u);  // b > a, b > c
  rk.unranked_below = false;
  EXPECT_EQ(RankingsToPairwise(rk, TiePolicy::kDrop).NumPairs(), 0u);
}

}  // namespace
}  // namespace evalsim
