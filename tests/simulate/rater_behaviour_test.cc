// Rater behaviour knobs of the generator: self-votes in a from_evaluees
// group (allowed or not, with a latent self-boost).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/core/errors.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/generator.h"

namespace evalsim {
namespace {

constexpr const char* kScenario = R"(name = "self"
seed = 9
replicates = 2
[scale]
labels = ["a", "b", "c", "d"]
shares = [0.1, 0.2, 0.3, 0.4]
[organisation]
levels = [ { name = "district", count = 4 }, { name = "town", count = 7 } ]
evaluees = "town"
[meetings]
by = "district"
[[raters]]
group = "peers"
from_evaluees = true
noise = 0.7
[[models]]
name = "m"
model = "weighted_mean"
)";

RatingBallots Generate(const std::vector<std::string>& overrides) {
  const Scenario s = ParseScenario(kScenario, "self.toml", overrides);
  const Organisation org = BuildOrganisation(s);
  const GeneratorSetup setup = MakeGeneratorSetup(s, org);
  RatingBallots b;
  GenerateBallots(setup, 0, true, &b);
  return b;
}

// Ballots of evaluee e cast by the rater who is evaluee e (peer raters are
// numbered like the evaluees of their meeting).
int SelfBallots(const RatingBallots& b) {
  int self = 0;
  for (int e = 0; e < b.NumRatees(); ++e)
    for (uint32_t w : b.SlotBallots(b.Slot(e, 0)))
      self += BallotRater(w) == static_cast<uint32_t>(e);
  return self;
}

TEST(SelfVote, NeverByDefaultAndOncePerEvalueeWhenAllowed) {
  const RatingBallots none = Generate({});
  EXPECT_EQ(SelfBallots(none), 0);
  EXPECT_EQ(none.NumBallots(), 28u * 6);
  const RatingBallots self = Generate({"raters.peers.self_vote=true"});
  EXPECT_EQ(SelfBallots(self), 28);
  EXPECT_EQ(self.NumBallots(), 28u * 7);
}

TEST(SelfVote, SelfBoostRaisesTheOwnGrade) {
  const RatingBallots b = Generate({"raters.peers.self_vote=true", "raters.peers.self_boost=100"});
  for (int e = 0; e < b.NumRatees(); ++e)
    for (uint32_t w : b.SlotBallots(b.Slot(e, 0)))
      if (BallotRater(w) == static_cast<uint32_t>(e)) {
        EXPECT_EQ(BallotGrade(w), 3);
      }
}

TEST(SelfVote, OnlyForFromEvalueesGroups) {
  std::string text = kScenario;
  text.replace(text.find("from_evaluees = true"), 20, "count = 5\nself_vote = true");
  try {
    ParseScenario(text, "self.toml");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("raters.peers.self_vote"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace evalsim
