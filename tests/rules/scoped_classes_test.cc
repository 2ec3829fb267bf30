// Class rules that count within units, caps, ties, slots, quota shifts,
// vetoes and gates on one rater group or an indicator: hand examples and
// properties of AssignClasses.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "sim/core/metrics.h"
#include "sim/core/rng.h"
#include "sim/rules/classes.h"
#include "tests/support/ballot_builder.h"

namespace evalsim {
namespace {

using Labels = std::vector<std::string>;

// Everything AssignClasses reads for a hand example: scores, the unit of
// each evaluee in the scope "county", and optional ballots, indicators and
// event draws.
struct Example {
  Eigen::VectorXd score;
  UnitColumns units;
  std::optional<RatingBallots> ballots;
  std::optional<IndicatorTable> indicators;
  VetoDraws draws;

  Example(std::vector<double> s, std::vector<int> county) {
    score = Eigen::Map<Eigen::VectorXd>(s.data(), static_cast<Eigen::Index>(s.size()));
    units.names = {"county"};
    units.unit = {std::move(county)};
  }

  ClassOutcome Assign(const ClassRules& rules, const std::vector<Veto>& vetoes = {}) const {
    const std::vector<int> rank = CompetitionRanks(score, {});
    ClassInputs in;
    in.score = &score;
    in.rank = &rank;
    in.units = &units;
    if (ballots) in.ballots = &*ballots;
    if (indicators) in.indicators = &*indicators;
    in.veto_draws = &draws;
    return AssignClasses(rules, vetoes, in);
  }

  Labels Classify(const ClassRules& rules, const std::vector<Veto>& vetoes = {}) const {
    const ClassOutcome c = Assign(rules, vetoes);
    Labels out;
    for (int k : c.cls) out.push_back(c.labels[k]);
    return out;
  }
};

ClassRules TopQuota(double quota, const char* within = "county") {
  ClassRules r;
  r.top_quota = quota;
  r.top_label = "优秀";
  r.default_label = "合格";
  r.within = within;
  return r;
}

// Counts of `label` per county.
std::map<int, int> CountPerUnit(const Labels& labels, const std::vector<int>& unit,
                                const std::string& label) {
  std::map<int, int> count;
  for (size_t e = 0; e < labels.size(); ++e) count[unit[e]] += labels[e] == label;
  return count;
}

// ---------------------------------------------------------------- scopes and ties

TEST(ScopedClassesTest, CityWideQuotaGoesToTheStrongCountyPerCountyQuotaDoesNot) {
  // County 0 holds the five best scores, county 1 the five worst.
  const Example x({99, 98, 97, 96, 95, 50, 49, 48, 47, 46}, {0, 0, 0, 0, 0, 1, 1, 1, 1, 1});
  // 20 % of 10 = 2 city-wide: both in county 0.
  const Labels all = x.Classify(TopQuota(0.2, "all"));
  EXPECT_EQ(CountPerUnit(all, x.units.unit[0], "优秀"), (std::map<int, int>{{0, 2}, {1, 0}}));
  // 20 % of 5 = 1 per county: the best of each.
  EXPECT_EQ(x.Classify(TopQuota(0.2)), (Labels{"优秀", "合格", "合格", "合格", "合格", "优秀",
                                               "合格", "合格", "合格", "合格"}));
}

TEST(ScopedClassesTest, TiesIncludeOrBreakAtTheQuotaBoundary) {
  // County 0: three tied at the top; county 1: two tied in second place.
  const Example x({90, 90, 90, 70, 60, 80, 75, 75, 40, 30}, {0, 0, 0, 0, 0, 1, 1, 1, 1, 1});
  ClassRules r = TopQuota(0.4);  // 40 % of 5 = 2 per county
  // include: the tie group straddling place 2 keeps the class (3 in county
  // 0; 80 then the two 75s in county 1).
  EXPECT_EQ(x.Classify(r), (Labels{"优秀", "优秀", "优秀", "合格", "合格", "优秀", "优秀", "优秀",
                                   "合格", "合格"}));
  // break: exactly 2 per county, ties by the model's order (evaluee order).
  r.ties = TieRule::kBreak;
  const Labels broken = x.Classify(r);
  EXPECT_EQ(broken, (Labels{"优秀", "优秀", "合格", "合格", "合格", "优秀", "优秀", "合格", "合格",
                            "合格"}));
  EXPECT_EQ(CountPerUnit(broken, x.units.unit[0], "优秀"), (std::map<int, int>{{0, 2}, {1, 2}}));
}

TEST(ScopedClassesTest, RoundingIsCeilingAndAtLeastOne) {
  // Units of 3, 7 and 1 evaluees (in that order).
  const std::vector<int> sizes{3, 7, 1};
  std::vector<double> s;
  std::vector<int> unit;
  for (int u = 0; u < 3; ++u)
    for (int i = 0; i < sizes[u]; ++i) {
      s.push_back(100 - static_cast<double>(s.size()));
      unit.push_back(u);
    }
  const Example x(s, unit);
  // 15 %: ceil(0.45) = 1, ceil(1.05) = 2, ceil(0.15) = 1.
  EXPECT_EQ(CountPerUnit(x.Classify(TopQuota(0.15)), unit, "优秀"),
            (std::map<int, int>{{0, 1}, {1, 2}, {2, 1}}));
  // 1/3 written 0.3333: 0.9999 of 3 -> 1; 2.33 of 7 -> 3; 1.
  EXPECT_EQ(CountPerUnit(x.Classify(TopQuota(0.3333)), unit, "优秀"),
            (std::map<int, int>{{0, 1}, {1, 3}, {2, 1}}));
}

TEST(ScopedClassesTest, BottomTrancheWithinUnitsAndBrokenTies) {
  const Example x({9, 8, 7, 6, 6, 9, 8, 7, 6, 5}, {0, 0, 0, 0, 0, 1, 1, 1, 1, 1});
  ClassRules r;
  r.within = "county";
  r.bottom_share = 0.2;  // 1 of 5 per county
  r.bottom_label = "倒排";
  // include: county 0's last place is a tie of two, which stays out.
  EXPECT_EQ(x.Classify(r), (Labels{"-", "-", "-", "-", "-", "-", "-", "-", "-", "倒排"}));
  // break: the later of the two (evaluee order) takes the place.
  r.ties = TieRule::kBreak;
  EXPECT_EQ(x.Classify(r), (Labels{"-", "-", "-", "-", "倒排", "-", "-", "-", "-", "倒排"}));
}

// ---------------------------------------------------------------- caps

TEST(ScopedClassesTest, CapBindsOnATieGroupTheNormWouldInclude) {
  // 20 evaluees: ranks 1, 2, then four tied at rank 3, then the rest.
  std::vector<double> s{100, 99, 98, 98, 98, 98};
  for (int i = 0; i < 14; ++i) s.push_back(50 - i);
  const Example x(s, std::vector<int>(20, 0));
  ClassRules r = TopQuota(0.15);  // norm ceil(3) = 3: the tie group makes it 6
  EXPECT_EQ(CountPerUnit(x.Classify(r), x.units.unit[0], "优秀")[0], 6);
  r.top_cap = 0.2;  // cap ceil(4) = 4: the first 4 in the model's order
  const Labels capped = x.Classify(r);
  EXPECT_EQ(CountPerUnit(capped, x.units.unit[0], "优秀")[0], 4);
  EXPECT_EQ(capped[3], "优秀");
  EXPECT_EQ(capped[4], "合格");
}

TEST(ScopedClassesTest, CapAloneBoundsTheTopBand) {
  // 优秀 at >= 90 points, at most 20 %: eight of ten reach 90, two keep it.
  const Example x({99, 98, 97, 96, 95, 94, 93, 92, 85, 70}, std::vector<int>(10, 0));
  ClassRules r;
  r.bands = {{90.0, "优秀"}, {80.0, "良好"}, {std::nullopt, "一般"}};
  r.top_cap = 0.2;
  EXPECT_EQ(x.Classify(r), (Labels{"优秀", "优秀", "良好", "良好", "良好", "良好", "良好", "良好",
                                   "良好", "一般"}));
}

// ---------------------------------------------------------------- slots

TEST(ScopedClassesTest, SlotsPerUnitInListOrder) {
  // Two branches of 5; 2 先锋 and then 1 标兵 per branch.
  const Example x({50, 60, 70, 80, 90, 9, 8, 8, 7, 6}, {0, 0, 0, 0, 0, 1, 1, 1, 1, 1});
  ClassRules r;
  r.within = "county";
  r.slots = {{"先锋", 2}, {"标兵", 1}};
  r.default_label = "合格";
  EXPECT_EQ(r.TopLabel(), "先锋");
  // include: branch 1's 8s tie for place 2, so three are 先锋 and the 标兵
  // place (place 3) is taken: 7 ranks fourth in its branch.
  EXPECT_EQ(x.Classify(r), (Labels{"合格", "合格", "标兵", "先锋", "先锋", "先锋", "先锋", "先锋",
                                   "合格", "合格"}));
  r.ties = TieRule::kBreak;
  EXPECT_EQ(x.Classify(r), (Labels{"合格", "合格", "标兵", "先锋", "先锋", "先锋", "先锋", "标兵",
                                   "合格", "合格"}));
}

// ---------------------------------------------------------------- quota shift

TEST(ScopedClassesTest, QuotaShareMovesWithTheUnitsResult) {
  // Four units of 100; unit u's scores are 1000 * (4 - u) + i: unit 0 is the
  // best, unit 3 the worst. 15 % of 100 = 15; the best unit gets 16 %, the
  // worst 14 %.
  std::vector<double> s;
  std::vector<int> unit;
  for (int u = 0; u < 4; ++u)
    for (int i = 0; i < 100; ++i) {
      s.push_back(1000.0 * (4 - u) + i);
      unit.push_back(u);
    }
  const Example x(s, unit);
  ClassRules r = TopQuota(0.15);
  r.quota_shift = 0.01;
  r.shift_units = 1;
  EXPECT_EQ(CountPerUnit(x.Classify(r), unit, "优秀"),
            (std::map<int, int>{{0, 16}, {1, 15}, {2, 15}, {3, 14}}));
  // With the cap at 15 % the rise is cut back; the fall stays.
  r.top_cap = 0.15;
  EXPECT_EQ(CountPerUnit(x.Classify(r), unit, "优秀"),
            (std::map<int, int>{{0, 15}, {1, 15}, {2, 15}, {3, 14}}));
  // Three units up and three down of four: the middle two are both, and
  // stay at 15 %.
  r.top_cap.reset();
  r.shift_units = 3;
  EXPECT_EQ(CountPerUnit(x.Classify(r), unit, "优秀"),
            (std::map<int, int>{{0, 16}, {1, 15}, {2, 15}, {3, 14}}));
}

// ---------------------------------------------------------------- vetoes

Veto EventVeto(const char* name, const char* label) {
  Veto v;
  v.name = name;
  v.label = label;
  v.rate = 0.1;
  return v;
}

TEST(ScopedClassesTest, AVetoPassesTheQuotaPlaceToTheNextInLine) {
  Example x({99, 98, 97, 60, 50, 90, 80, 70, 60, 50}, {0, 0, 0, 0, 0, 1, 1, 1, 1, 1});
  // The best of county 0 and the worst of county 1 are struck.
  x.draws = {{1, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
  const ClassOutcome c = x.Assign(TopQuota(0.2), {EventVeto("discipline", "不合格")});
  Labels got;
  for (int k : c.cls) got.push_back(c.labels[k]);
  EXPECT_EQ(got, (Labels{"不合格", "优秀", "合格", "合格", "合格", "优秀", "合格", "合格", "合格",
                         "不合格"}));
  EXPECT_EQ(c.veto, (std::vector<int>{0, -1, -1, -1, -1, -1, -1, -1, -1, 0}));
  EXPECT_EQ(c.labels, (Labels{"合格", "优秀", "不合格"}));
}

TEST(ScopedClassesTest, VetoedEvalueesLeaveTrancheAndSlotsToOthersButCountInTheUnitSize) {
  Example x({9, 8, 7, 6, 5}, {0, 0, 0, 0, 0});
  x.draws = {{0, 0, 0, 0, 1}};
  ClassRules r;
  r.within = "county";
  r.slots = {{"先锋", 1}};
  r.bottom_share = 0.2;  // 1 of 5, the struck one included in the 5
  r.default_label = "合格";
  EXPECT_EQ(x.Classify(r, {EventVeto("accident", "一票否决")}),
            (Labels{"先锋", "合格", "合格", "bottom", "一票否决"}));
}

TEST(ScopedClassesTest, FirstVetoInListOrderGivesItsLabelAndOverridesGates) {
  Example x({9, 8, 7}, {0, 0, 0});
  x.ballots =
      testing_util::BuildBallots(3, {"all"}, 4, {{0, 0, 0, 0}, {1, 0, 0, 0}, {2, 0, 0, 3}}, false);
  x.draws = {{1, 1, 0}, {0, 1, 0}};
  ClassRules r;
  Gate g;
  g.grades = {0};
  g.above = 0.5;
  g.label = "不称职";
  r.gates = {g};
  EXPECT_EQ(x.Classify(r, {EventVeto("a", "A"), EventVeto("b", "B")}), (Labels{"A", "A", "-"}));
  EXPECT_EQ(x.Classify(r, {EventVeto("b", "B"), EventVeto("a", "A")}), (Labels{"B", "B", "-"}));
}

TEST(ScopedClassesTest, IndicatorVetoBelowAThreshold) {
  Example x({9, 8, 7, 6}, {0, 0, 0, 0});
  IndicatorTable t;
  t.ratee_names = {"e0", "e1", "e2", "e3"};
  t.names = {"annual_score"};
  t.values.resize(4, 1);
  t.values << 79, 85, std::numeric_limits<double>::quiet_NaN(), 60;
  x.indicators = t;
  Veto v;
  v.name = "score_floor";
  v.label = "不合格";
  v.indicator = "annual_score";
  v.below = 80;
  // A missing value never strikes.
  EXPECT_EQ(x.Classify(TopQuota(0.25), {v}), (Labels{"不合格", "优秀", "合格", "不合格"}));
}

// ---------------------------------------------------------------- gates

TEST(ScopedClassesTest, GateOnOneRaterGroupIgnoresTheOthers) {
  // Groups superior (0) and staff (1). e0: superiors 2 of 3 差, staff all
  // 好 (pooled 2/9); e1: superiors 1 of 3 差 (not above 1/3), staff all 差.
  std::vector<testing_util::BallotRow> rows;
  const uint8_t sup[2][3] = {{0, 0, 3}, {0, 3, 3}};
  for (int e = 0; e < 2; ++e) {
    for (uint32_t i = 0; i < 3; ++i) rows.push_back({e, 0, i, sup[e][i]});
    for (uint32_t i = 3; i < 9; ++i) rows.push_back({e, 1, i, static_cast<uint8_t>(e ? 0 : 3)});
  }
  Example x({2, 1}, {0, 0});
  x.ballots = testing_util::BuildBallots(2, {"superior", "staff"}, 4, rows, false);
  ClassRules r;
  Gate g;
  g.grades = {0};
  g.group = "superior";
  g.above = 1.0 / 3.0;
  g.label = "不称职";
  r.gates = {g};
  EXPECT_EQ(x.Classify(r), (Labels{"不称职", "-"}));
  // Pooled, the same gate strikes e1 (7 of 9 差) and spares e0 (2 of 9).
  r.gates[0].group.clear();
  EXPECT_EQ(x.Classify(r), (Labels{"-", "不称职"}));
}

TEST(ScopedClassesTest, GateOnAnIndicatorOverridesTheQuotaWithoutPassingThePlaceOn) {
  Example x({9, 8, 7, 6}, {0, 0, 0, 0});
  IndicatorTable t;
  t.ratee_names = {"e0", "e1", "e2", "e3"};
  t.names = {"on_time_rate"};
  t.values.resize(4, 1);
  t.values << 0.90, 0.99, std::numeric_limits<double>::quiet_NaN(), 0.94;
  x.indicators = t;
  ClassRules r = TopQuota(0.25);
  Gate g;
  g.indicator = "on_time_rate";
  g.below = 0.95;
  g.label = "约谈";
  r.gates = {g};
  EXPECT_EQ(x.Classify(r), (Labels{"约谈", "合格", "合格", "约谈"}));
}

// ---------------------------------------------------------------- inputs

TEST(ScopedClassesTest, MissingInputsAreNamed) {
  ClassRules r = TopQuota(0.2, "town");
  Gate g;
  g.grades = {0};
  g.group = "superior";
  g.above = 0.5;
  g.label = "X";
  Gate h;
  h.indicator = "rate";
  h.below = 0.5;
  h.label = "Y";
  r.gates = {g, h};
  Veto v = EventVeto("accident", "Z");
  const Eigen::VectorXd score = Eigen::VectorXd::Zero(2);
  const std::vector<int> rank{1, 1};
  const RatingBallots b = testing_util::BuildBallots(2, {"staff"}, 4, {}, false);
  ClassInputs in;
  in.score = &score;
  in.rank = &rank;
  in.ballots = &b;
  EXPECT_EQ(MissingClassInputs(r, std::vector<Veto>{v}, in),
            (std::vector<std::string>{
                "within = \"town\": no such unit column", "gate X: no rater group \"superior\"",
                "gate Y: no indicator \"rate\"", "veto accident: no event draws"}));
}

// ---------------------------------------------------------------- properties

// Random scores on a coarse grid (many ties) in units of 1-30 evaluees.
Example RandomExample(Rng& rng) {
  std::vector<double> s;
  std::vector<int> unit;
  const int units = static_cast<int>(rng.Between(1, 12));
  for (int u = 0; u < units; ++u)
    for (int64_t i = 0, size = rng.Between(1, 30); i < size; ++i) {
      s.push_back(static_cast<double>(rng.Between(0, 6)));
      unit.push_back(u);
    }
  return Example(s, unit);
}

TEST(ScopedClassesProperty, PerUnitTopCountsNeverExceedTheCap) {
  Rng rng(20240611);
  for (int trial = 0; trial < 300; ++trial) {
    Example x = RandomExample(rng);
    const int n = static_cast<int>(x.score.size());
    ClassRules r = TopQuota(0.05 + 0.3 * rng.Uniform());
    r.top_cap = *r.top_quota + 0.1 * rng.Uniform();
    r.ties = rng.Bernoulli(0.5) ? TieRule::kBreak : TieRule::kInclude;
    if (rng.Bernoulli(0.5)) r.quota_shift = 0.05;
    x.draws = {std::vector<uint8_t>(n)};
    for (auto& d : x.draws[0]) d = rng.Bernoulli(0.1);
    const Labels got = x.Classify(r, {EventVeto("v", "否决")});
    std::map<int, int> size;
    for (int u : x.units.unit[0]) ++size[u];
    for (const auto& [u, count] : CountPerUnit(got, x.units.unit[0], "优秀")) {
      EXPECT_LE(count, QuotaCount(*r.top_cap, size[u])) << "trial " << trial << " unit " << u;
      if (r.ties == TieRule::kBreak && !r.quota_shift) {
        EXPECT_LE(count, QuotaCount(*r.top_quota, size[u])) << "trial " << trial;
      }
    }
  }
}

TEST(ScopedClassesProperty, AVetoThatStrikesNobodyChangesNothing) {
  Rng rng(77);
  for (int trial = 0; trial < 100; ++trial) {
    Example x = RandomExample(rng);
    ClassRules r = TopQuota(0.2);
    r.bottom_share = 0.1;
    r.slots = {{"先锋", 1}};
    x.draws = {std::vector<uint8_t>(x.score.size(), 0)};
    EXPECT_EQ(x.Classify(r, {EventVeto("v", "否决")}), x.Classify(r)) << "trial " << trial;
  }
}

TEST(ScopedClassesProperty, ScopeAllEqualsOneUnitHoldingEveryone) {
  Rng rng(5);
  for (int trial = 0; trial < 100; ++trial) {
    Example x = RandomExample(rng);
    ClassRules r = TopQuota(0.2, "all");
    r.bottom_share = 0.1;
    const Labels all = x.Classify(r);
    std::fill(x.units.unit[0].begin(), x.units.unit[0].end(), 0);
    r.within = "county";
    EXPECT_EQ(x.Classify(r), all) << "trial " << trial;
  }
}

// ---------------------------------------------------------------- vetoes' events

TEST(VetoTest, ProbabilityFollowsRateAndSlope) {
  Veto v = EventVeto("v", "X");
  EXPECT_DOUBLE_EQ(v.Probability(2.0), 0.1);  // no slope: the rate whatever the quality
  v.quality_slope = 1.0;
  EXPECT_DOUBLE_EQ(v.Probability(0.0), 0.1);
  // Weak units are struck more: logit 0.1 = -2.197, +1 per sd below the mean.
  EXPECT_NEAR(v.Probability(-1.0), 1.0 / (1.0 + std::exp(2.1972245773362196 - 1.0)), 1e-12);
  EXPECT_GT(v.Probability(-1.0), v.Probability(0.0));
  EXPECT_LT(v.Probability(1.0), v.Probability(0.0));
  v.rate = 0.0;
  EXPECT_EQ(v.Probability(-5.0), 0.0);
}

TEST(VetoTest, DrawsAreKeyedByNameAndReplicate) {
  std::vector<double> z(2000, 0.0);
  Veto a = EventVeto("a", "X"), b = EventVeto("b", "Y"), zero = EventVeto("zero", "Z");
  zero.rate = 0.0;
  const VetoDraws ab = DrawVetoEvents(std::vector<Veto>{a, zero, b}, z, 9, 3);
  const VetoDraws ba = DrawVetoEvents(std::vector<Veto>{b, a}, z, 9, 3);
  EXPECT_EQ(ab[0], ba[1]);
  EXPECT_EQ(ab[2], ba[0]);
  EXPECT_NE(ab[0], ab[2]);
  EXPECT_EQ(std::count(ab[1].begin(), ab[1].end(), 1), 0);
  const long hits = std::count(ab[0].begin(), ab[0].end(), 1);
  EXPECT_NEAR(hits / 2000.0, 0.1, 0.02);
  EXPECT_NE(DrawVetoEvents(std::vector<Veto>{a}, z, 9, 4)[0], ab[0]);
}

}  // namespace
}  // namespace evalsim
