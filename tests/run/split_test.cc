// Split replicates (sim/run/split.h): the parts cover the organisation in
// evaluee order and cut only between top-level units; a part's ballots are
// exactly the full draw's ballots of its meetings; and what cannot be split
// exactly is refused with the reason.
#include "sim/run/split.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/core/errors.h"
#include "sim/simulate/generator.h"

namespace evalsim {
namespace {

constexpr const char* kScenario = R"(name = "split"
seed = 5
replicates = 2
[scale]
labels = ["a", "b", "c", "d"]
shares = [0.05, 0.15, 0.3, 0.5]
[organisation]
levels = [ { name = "district", count = 7 }, { name = "town", count = [2, 9] },
           { name = "branch", count = [3, 12] } ]
evaluees = "branch"
[meetings]
by = "town"
[[raters]]
group = "superior"
count = [2, 4]
noise = 0.6
[[raters]]
group = "peer"
from_evaluees = true
coverage = 0.8
noise = 0.9
[[raters]]
group = "public"
per_evaluee = [2, 5]
noise = 1.2
abstain = 0.1
[[models]]
name = "points"
model = "weighted_mean"
[[models]]
name = "bayes"
model = "bayes_shrink"
)";

Scenario Make(const std::vector<std::string>& overrides = {}) {
  return ParseScenario(kScenario, "split.toml", overrides);
}

TEST(SplitReplicates, PartsCoverEveryMeetingInOrderAndCutBetweenTopLevelUnits) {
  const Scenario s = Make();
  const Organisation org = BuildOrganisation(s);
  const int M = static_cast<int>(org.meetings.size());
  for (int parts = 1; parts <= 9; ++parts) {
    const std::vector<ReplicatePart> split = SplitByTopLevel(org, parts);
    ASSERT_EQ(split.size(), static_cast<size_t>(parts));
    int next_meeting = 0, next_evaluee = 0, nonempty = 0;
    for (const ReplicatePart& p : split) {
      EXPECT_EQ(p.first_meeting, next_meeting);
      EXPECT_EQ(p.first_evaluee, next_evaluee);
      EXPECT_LE(p.first_meeting, p.end_meeting);
      next_meeting = p.end_meeting;
      next_evaluee = p.end_evaluee;
      if (p.end_meeting == p.first_meeting) continue;
      ++nonempty;
      EXPECT_EQ(org.meetings[p.first_meeting].first_evaluee, p.first_evaluee);
      // A cut lies between two districts, never inside one.
      if (p.first_evaluee > 0) {
        EXPECT_NE(org.unit[0][p.first_evaluee], org.unit[0][p.first_evaluee - 1]);
      }
    }
    EXPECT_EQ(next_meeting, M);
    EXPECT_EQ(next_evaluee, org.NumEvaluees());
    // Seven districts: up to seven parts get some.
    EXPECT_EQ(nonempty, std::min(parts, 7)) << parts << " parts";
  }
}

TEST(SplitReplicates, TwoPartsShareTheEvalueesRoughlyEvenly) {
  const Scenario s = Make({"organisation.levels.district.count=40"});
  const Organisation org = BuildOrganisation(s);
  const std::vector<ReplicatePart> split = SplitByTopLevel(org, 2);
  const int n = org.NumEvaluees();
  const int first = split[0].end_evaluee;
  // The cut is at the first district boundary past half the evaluees.
  EXPECT_GE(2 * first, n);
  EXPECT_LT(first - n / 2, n / 10);
}

TEST(SplitReplicates, APartDrawsExactlyTheFullDrawsBallotsOfItsMeetings) {
  const Scenario s = Make();
  const Organisation org = BuildOrganisation(s);
  const GeneratorSetup setup = MakeGeneratorSetup(s, org);
  RatingBallots full;
  GenerateBallots(setup, 1, true, &full);
  const int G = full.NumGroups();
  uint64_t ballots = 0;
  for (const ReplicatePart& p : SplitByTopLevel(org, 3)) {
    GeneratorSetup part = setup;
    part.first_meeting = p.first_meeting;
    part.end_meeting = p.end_meeting;
    RatingBallots b;
    GenerateBallots(part, 1, true, &b);
    ASSERT_EQ(b.slot_begin.size(), full.slot_begin.size());
    ballots += b.NumBallots();
    for (int e = 0; e < org.NumEvaluees(); ++e) {
      const bool mine = e >= p.first_evaluee && e < p.end_evaluee;
      for (int g = 0; g < G; ++g) {
        const auto got = b.SlotBallots(b.Slot(e, g)), want = full.SlotBallots(full.Slot(e, g));
        if (!mine) {
          EXPECT_TRUE(got.empty()) << "evaluee " << e;
          continue;
        }
        ASSERT_EQ(got.size(), want.size()) << "evaluee " << e << " group " << g;
        for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]);
      }
    }
  }
  EXPECT_EQ(ballots, full.NumBallots());
  EXPECT_GT(ballots, 0u);
}

std::string Refusal(const std::vector<std::string>& overrides, const std::string& extra = "") {
  const Scenario s = ParseScenario(std::string(kScenario) + extra, "split.toml", overrides);
  try {
    CheckSplittable(s);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(SplitReplicates, CountModelsAreTakenAndOthersRefusedWithTheReason) {
  EXPECT_EQ(Refusal({}), "");
  // rater_adjusted is fitted by parts; rating_scale is not.
  const std::string adjusted = R"(
[[models]]
name = "adjusted"
model = "rater_adjusted"
)";
  EXPECT_EQ(Refusal({}, adjusted), "");
  const std::string rasch = Refusal({}, R"(
[[models]]
name = "rasch"
model = "rating_scale"
)");
  EXPECT_NE(rasch.find("split.toml"), std::string::npos) << rasch;
  EXPECT_NE(rasch.find("--split-replicates"), std::string::npos) << rasch;
  EXPECT_NE(rasch.find("models.rasch (model rating_scale) needs every ballot"), std::string::npos)
      << rasch;
  // Its bloc-free rerun is counted, not fitted.
  const std::string blocs_adjusted = Refusal({}, adjusted + R"(
[[blocs]]
share = 0.1
size = 0.1
boost = 2.0
)");
  EXPECT_NE(blocs_adjusted.find("models.adjusted (model rater_adjusted) is fitted by parts"),
            std::string::npos)
      << blocs_adjusted;
  // Blocs and meeting rules are split (their draws are per meeting); items
  // are not.
  EXPECT_EQ(Refusal({"meetings.absence=0.2", "meetings.max_top=2"}, R"(
[[blocs]]
share = 0.1
size = 0.1
boost = 2.0
)"),
            "");
  const std::string items = Refusal({}, R"(
[[items]]
name = "de"
[[items]]
name = "neng"
)");
  EXPECT_NE(items.find("[[items]] cannot be split"), std::string::npos) << items;
}

}  // namespace
}  // namespace evalsim
