// Meeting rules: the quorum's strict inequality, void meetings (quorum,
// minimum panel, more ballots returned than issued), the per-ballot cap on
// top grades (demote or void) on hand-made ballots, and in the generator:
// ballots of present raters unchanged, absence rates as drawn, identical
// output at any thread count, the [meetings] keys and their errors.
#include "sim/simulate/meeting_rules.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "sim/core/errors.h"
#include "sim/simulate/generator.h"

namespace evalsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(Quorum, IsStrictlyMoreThanTheShare) {
  const double two_thirds = 2.0 / 3.0;
  EXPECT_FALSE(QuorumMet(two_thirds, 20, 30));  // exactly 2/3 is not more than 2/3
  EXPECT_TRUE(QuorumMet(two_thirds, 21, 30));
  EXPECT_FALSE(QuorumMet(0.6666666666666666, 20, 30));  // as a user writes it
  EXPECT_FALSE(QuorumMet(0.5, 8, 16));                  // half is not more than half
  EXPECT_TRUE(QuorumMet(0.5, 9, 16));
  EXPECT_FALSE(QuorumMet(two_thirds, 3, 5));  // 3 of 5 = 0.6
  EXPECT_TRUE(QuorumMet(two_thirds, 4, 5));
  EXPECT_TRUE(QuorumMet(0.0, 0, 30));  // no quorum
}

// One meeting: raters 100, 101, 102 (local 0..2), evaluees 0..3, one group,
// four grades (3 = top). Words in slot order (evaluee, then rater).
struct HandMeeting {
  Meeting m;
  std::vector<uint32_t> words;
  std::vector<uint64_t> slot_count;
  std::vector<double> latent;

  HandMeeting() {
    m.first_rater = 100;
    m.num_raters = 3;
    m.num_evaluees = 4;
    //                 e0   e1   e2   e3
    const int grade[3][4] = {{3, 3, 3, 2}, {3, 3, 0, 3}, {1, 1, 1, 1}};
    const double y[3][4] = {{2.0, 3.0, 2.5, 1.0}, {1.0, 1.0, -1.0, 0.5}, {0, 0, 0, 0}};
    for (int e = 0; e < 4; ++e) {
      for (uint32_t r = 0; r < 3; ++r) {
        words.push_back(PackBallot(100 + r, static_cast<uint8_t>(grade[r][e])));
        latent.push_back(y[r][e]);
      }
      slot_count.push_back(3);
    }
  }
  // The grade rater (local) r gave evaluee e, or -1 when it was dropped.
  int Grade(uint32_t r, int e) const {
    size_t at = 0;
    for (int s = 0; s < e; ++s) at += slot_count[s];
    for (size_t i = at; i < at + slot_count[e]; ++i)
      if (BallotRater(words[i]) == 100 + r) return BallotGrade(words[i]);
    return -1;
  }
};

TEST(MaxTop, DemotesTheTopGradesARaterRatesLowest) {
  HandMeeting h;
  MeetingRules rules;
  rules.max_top = 2;
  MeetingOutcome out{3, 3};
  const std::vector<uint8_t> dropped =
      ApplyMeetingRules(rules, h.m, 4, {}, h.words, h.slot_count, h.latent, out);
  // Rater 0 gave 3 top grades (latent 2.0, 3.0, 2.5): e0 (2.0) falls to 2.
  EXPECT_EQ(h.Grade(0, 0), 2);
  EXPECT_EQ(h.Grade(0, 1), 3);
  EXPECT_EQ(h.Grade(0, 2), 3);
  // Rater 1: e0 and e1 tie at 1.0 (kept in ballot order), e3 (0.5) falls.
  EXPECT_EQ(h.Grade(1, 0), 3);
  EXPECT_EQ(h.Grade(1, 1), 3);
  EXPECT_EQ(h.Grade(1, 3), 2);
  EXPECT_EQ(h.Grade(2, 0), 1);
  EXPECT_EQ(out.demoted, 2u);
  EXPECT_EQ(out.void_ballots, 0u);
  EXPECT_EQ(dropped, (std::vector<uint8_t>{0, 0, 0}));
  EXPECT_EQ(h.words.size(), 12u);
}

TEST(MaxTop, VoidsTheBallotOfARaterOverTheCap) {
  HandMeeting h;
  MeetingRules rules;
  rules.max_top = 2;
  rules.max_top_void = true;
  MeetingOutcome out{3, 3};
  const std::vector<uint8_t> dropped =
      ApplyMeetingRules(rules, h.m, 4, {}, h.words, h.slot_count, h.latent, out);
  EXPECT_EQ(dropped, (std::vector<uint8_t>{1, 1, 0}));
  EXPECT_EQ(out.void_ballots, 2u);
  EXPECT_EQ(h.words.size(), 4u);  // only rater 2's four ballots remain
  EXPECT_EQ(h.slot_count, (std::vector<uint64_t>{1, 1, 1, 1}));
  EXPECT_EQ(h.Grade(2, 3), 1);
  EXPECT_EQ(h.Grade(0, 0), -1);
}

TEST(MaxTop, AtTheCapNothingChanges) {
  HandMeeting h;
  MeetingRules rules;
  rules.max_top = 3;
  MeetingOutcome out{3, 3};
  const std::vector<uint32_t> before = h.words;
  ApplyMeetingRules(rules, h.m, 4, {}, h.words, h.slot_count, h.latent, out);
  EXPECT_EQ(h.words, before);
  EXPECT_EQ(out.demoted, 0u);
}

TEST(Attendance, AbsentRatersBallotsAreDroppedAndAVoidMeetingKeepsNone) {
  HandMeeting h;
  MeetingRules rules;
  rules.absence_lo = rules.absence_hi = 0.1;
  MeetingOutcome out{3, 2};
  ApplyMeetingRules(rules, h.m, 4, {0, 0, 1}, h.words, h.slot_count, h.latent, out);
  EXPECT_EQ(h.slot_count, (std::vector<uint64_t>{2, 2, 2, 2}));
  EXPECT_EQ(h.Grade(2, 0), -1);
  EXPECT_EQ(h.Grade(1, 2), 0);

  HandMeeting v;
  MeetingOutcome void_out{3, 2, VoidReason::kQuorum};
  const std::vector<uint8_t> dropped =
      ApplyMeetingRules(rules, v.m, 4, {0, 0, 1}, v.words, v.slot_count, v.latent, void_out);
  EXPECT_TRUE(v.words.empty());
  EXPECT_EQ(v.slot_count, (std::vector<uint64_t>{0, 0, 0, 0}));
  EXPECT_EQ(dropped, (std::vector<uint8_t>{1, 1, 1}));
}

TEST(Attendance, VoidReasonsInOrderQuorumPanelOvercount) {
  Meeting m;
  m.num_raters = 30;
  std::vector<uint8_t> absent;
  MeetingRules rules;
  // Nobody absent, 30 present: a minimum panel of 31 voids the meeting.
  rules.min_panel = 31;
  MeetingOutcome out = DrawAttendance(rules, 1, m, 0, 0, &absent);
  EXPECT_EQ(out.present, 30u);
  EXPECT_TRUE(absent.empty());
  EXPECT_EQ(out.void_reason, VoidReason::kMinPanel);
  rules.min_panel = 30;
  EXPECT_FALSE(DrawAttendance(rules, 1, m, 0, 0, &absent).Void());
  // An overcount certain to happen voids every meeting; the quorum is
  // checked first.
  rules.overcount = 1.0;
  EXPECT_EQ(DrawAttendance(rules, 1, m, 0, 0, &absent).void_reason, VoidReason::kOvercount);
  rules.absence_lo = rules.absence_hi = 0.999;
  rules.quorum = 0.5;
  out = DrawAttendance(rules, 1, m, 0, 0, &absent);
  EXPECT_EQ(out.void_reason, VoidReason::kQuorum);
  EXPECT_EQ(out.expected, 30u);
  EXPECT_LT(out.present, 5u);
}

TEST(Attendance, AbsenceRateAndOvercountRateAsDrawn) {
  Meeting m;
  m.num_raters = 1000;
  MeetingRules rules;
  rules.absence_lo = 0.1;
  rules.absence_hi = 0.3;  // drawn per meeting: the mean is 0.2
  rules.overcount = 0.05;
  std::vector<uint8_t> absent;
  double present = 0, overcount = 0;
  const int meetings = 2000;
  for (int mi = 0; mi < meetings; ++mi) {
    const MeetingOutcome out = DrawAttendance(rules, 7, m, 3, mi, &absent);
    present += out.present;
    overcount += out.void_reason == VoidReason::kOvercount;
    EXPECT_GE(out.present, 600u);  // 0.3 absence + many sds
    EXPECT_LE(out.present, 950u);
  }
  EXPECT_NEAR(present / (1000.0 * meetings), 0.8, 0.005);
  EXPECT_NEAR(overcount / meetings, 0.05, 0.015);  // sd 0.005
  // The same stream gives the same draw; another replicate another one.
  std::vector<uint8_t> a, b, c;
  DrawAttendance(rules, 7, m, 3, 5, &a);
  DrawAttendance(rules, 7, m, 3, 5, &b);
  DrawAttendance(rules, 7, m, 4, 5, &c);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

constexpr const char* kScenario = R"(name = "g"
seed = 11
replicates = 4
[scale]
labels = ["a", "b", "c", "d"]
shares = [0.05, 0.15, 0.3, 0.5]
[organisation]
levels = [ { name = "district", count = 12 }, { name = "town", count = [6, 12] } ]
evaluees = "town"
[meetings]
by = "district"
[[raters]]
group = "superior"
count = [4, 6]
noise = 0.6
[[raters]]
group = "peer"
from_evaluees = true
coverage = 0.7
[[raters]]
group = "public"
per_evaluee = [3, 5]
abstain = 0.2
[[models]]
name = "m"
model = "weighted_mean"
)";

struct RulesRun {
  explicit RulesRun(const std::vector<std::string>& overrides)
      : s(ParseScenario(kScenario, "g.toml", overrides)),
        org(BuildOrganisation(s)),
        setup(MakeGeneratorSetup(s, org)) {}
  RatingBallots Generate(int replicate, std::vector<MeetingOutcome>* outcomes = nullptr) const {
    RatingBallots b;
    GenerateBallots(setup, replicate, true, &b, nullptr, nullptr, outcomes);
    return b;
  }
  Scenario s;
  Organisation org;
  GeneratorSetup setup;
};

// The (rater, ratee, grade) triples of a ballot set.
std::vector<std::tuple<uint32_t, int, int>> Triples(const RatingBallots& b) {
  std::vector<std::tuple<uint32_t, int, int>> out;
  for (int e = 0; e < b.NumRatees(); ++e)
    for (int g = 0; g < b.NumGroups(); ++g)
      for (uint32_t w : b.SlotBallots(b.Slot(e, g)))
        out.emplace_back(BallotRater(w), e, BallotGrade(w));
  std::sort(out.begin(), out.end());
  return out;
}

TEST(GeneratorMeetingRules, PresentRatersVoteAsWithoutRules) {
  const RulesRun plain({});
  const RulesRun rules({"meetings.absence=0.2"});
  for (int r = 0; r < 3; ++r) {
    std::vector<MeetingOutcome> outcomes;
    const RatingBallots a = plain.Generate(r);
    const RatingBallots b = rules.Generate(r, &outcomes);
    ASSERT_EQ(outcomes.size(), rules.org.meetings.size());
    // Every ballot with absence is one drawn without it, and the ballots
    // missing are exactly those of the absent raters.
    const auto all = Triples(a), kept = Triples(b);
    EXPECT_TRUE(std::includes(all.begin(), all.end(), kept.begin(), kept.end()));
    EXPECT_LT(kept.size(), all.size());
    uint32_t present = 0, expected = 0;
    for (const MeetingOutcome& o : outcomes) {
      present += o.present;
      expected += o.expected;
      EXPECT_FALSE(o.Void());
    }
    EXPECT_EQ(expected, rules.org.NumRaters());
    std::set<uint32_t> voters, all_voters;
    for (const auto& [rater, e, g] : kept) voters.insert(rater);
    for (const auto& [rater, e, g] : all) all_voters.insert(rater);
    EXPECT_LE(voters.size(), present);
    EXPECT_GT(all_voters.size(), voters.size());
  }
}

TEST(GeneratorMeetingRules, VoidMeetingsHaveNoBallots) {
  // Quorum > 2/3 with 30 % absence: about 70 % attend, so some meetings fail.
  const RulesRun run({"meetings.absence=0.3", "meetings.quorum=0.6666666666666666"});
  std::vector<MeetingOutcome> outcomes;
  const RatingBallots b = run.Generate(1, &outcomes);
  int void_meetings = 0;
  for (size_t mi = 0; mi < outcomes.size(); ++mi) {
    const Meeting& m = run.org.meetings[mi];
    uint64_t ballots = 0;
    for (int e = m.first_evaluee; e < m.first_evaluee + m.num_evaluees; ++e)
      for (int g = 0; g < b.NumGroups(); ++g) ballots += b.SlotBallots(b.Slot(e, g)).size();
    EXPECT_EQ(outcomes[mi].Void(), ballots == 0) << mi;
    EXPECT_EQ(outcomes[mi].Void(), !QuorumMet(2.0 / 3.0, outcomes[mi].present, m.num_raters));
    void_meetings += outcomes[mi].Void();
  }
  EXPECT_GT(void_meetings, 0);
  EXPECT_LT(void_meetings, static_cast<int>(outcomes.size()));
}

TEST(GeneratorMeetingRules, MaxTopCapsEveryRatersTopGrades) {
  const RulesRun run({"meetings.max_top=2"});
  std::vector<MeetingOutcome> outcomes;
  const RatingBallots b = run.Generate(0, &outcomes);
  std::map<uint32_t, int> tops;
  for (const auto& [rater, e, g] : Triples(b)) tops[rater] += g == 3;
  for (const auto& [rater, n] : tops) EXPECT_LE(n, 2) << rater;
  uint32_t demoted = 0;
  for (const MeetingOutcome& o : outcomes) demoted += o.demoted;
  EXPECT_GT(demoted, 0u);
  // The same ballots as without the cap, but for the demoted grades.
  const RulesRun plain({});
  const auto a = Triples(plain.Generate(0)), c = Triples(b);
  ASSERT_EQ(a.size(), c.size());
  uint32_t changed = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == c[i]) continue;
    ++changed;
    EXPECT_EQ(std::get<2>(a[i]), 3);
    EXPECT_EQ(std::get<2>(c[i]), 2);
  }
  EXPECT_EQ(changed, demoted);
}

TEST(GeneratorMeetingRules, SameOutputAtAnyThreadCount) {
  const RulesRun run({"meetings.absence=[0.0, 0.3]", "meetings.quorum=0.75",
                      "meetings.overcount=0.1", "meetings.max_top=3", "meetings.min_panel=8"});
  std::vector<MeetingOutcome> one, two;
  RatingBallots a, b;
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
    a = run.Generate(2, &one);
  }
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
    b = run.Generate(2, &two);
  }
  EXPECT_EQ(a.ballot, b.ballot);
  EXPECT_EQ(a.slot_begin, b.slot_begin);
  ASSERT_EQ(one.size(), two.size());
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].present, two[i].present);
    EXPECT_EQ(one[i].void_reason, two[i].void_reason);
    EXPECT_EQ(one[i].demoted, two[i].demoted);
  }
}

TEST(MeetingRulesKeys, AreReadAndChecked) {
  const Scenario s = ParseScenario(
      kScenario, "g.toml",
      {"meetings.absence=[0.05, 0.1]", "meetings.quorum=0.5", "meetings.min_panel=20",
       "meetings.overcount=0.01", "meetings.max_top=3", "meetings.max_top_excess=\"void\""});
  const MeetingRules& r = s.meeting_rules;
  EXPECT_DOUBLE_EQ(r.absence_lo, 0.05);
  EXPECT_DOUBLE_EQ(r.absence_hi, 0.1);
  EXPECT_DOUBLE_EQ(r.quorum, 0.5);
  EXPECT_EQ(r.min_panel, 20);
  EXPECT_DOUBLE_EQ(r.overcount, 0.01);
  EXPECT_EQ(r.max_top, 3);
  EXPECT_TRUE(r.max_top_void);
  EXPECT_TRUE(r.Any());
  EXPECT_FALSE(ParseScenario(kScenario, "g.toml").meeting_rules.Any());

  auto error = [](const std::string& set) {
    try {
      ParseScenario(kScenario, "g.toml", {set});
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error("meetings.quorum=1.0").find("meetings.quorum: 1 is out of range"),
            std::string::npos)
      << error("meetings.quorum=1.0");
  EXPECT_NE(error("meetings.absence=[0.3, 0.1]").find("meetings.absence: "), std::string::npos);
  EXPECT_NE(error("meetings.absence=1.0").find("meetings.absence: "), std::string::npos);
  EXPECT_NE(error("meetings.min_panel=0").find("meetings.min_panel: "), std::string::npos);
  EXPECT_NE(error("meetings.max_top=0").find("meetings.max_top: "), std::string::npos);
  EXPECT_NE(error("meetings.max_top_excess=\"void\"").find("is only used with `max_top`"),
            std::string::npos);
  EXPECT_NE(error("meetings.quorom=0.5").find("meetings.quorom: unknown key"), std::string::npos);
}

}  // namespace
}  // namespace evalsim
