// The organisation and ballot generator: structure, calibration to the
// target grade shares, determinism (same seed -> same ballots, any thread
// count), and the behaviour knobs (coverage, abstention, blocs).
#include "sim/simulate/generator.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <map>
#include <set>

#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

namespace evalsim {
namespace {

constexpr const char* kScenario = R"(name = "g"
seed = 11
replicates = 4
[scale]
labels = ["a", "b", "c", "d"]
shares = [0.05, 0.15, 0.3, 0.5]
[organisation]
levels = [ { name = "district", count = 8 }, { name = "town", count = [10, 30] } ]
evaluees = "town"
quality = { sd = 1.0, inherited = 0.5 }
[meetings]
by = "district"
[[raters]]
group = "superior"
count = [4, 6]
noise = 0.6
leniency = { mean = -0.3, sd = 0.2 }
[[raters]]
group = "peer"
from_evaluees = true
coverage = 0.7
noise = 0.9
[[raters]]
group = "public"
per_evaluee = [5, 9]
noise = 1.2
leniency = { mean = 0.8, sd = 0.5 }
abstain = 0.2
[[models]]
name = "m"
model = "weighted_mean"
)";

struct Fixture {
  explicit Fixture(const std::vector<std::string>& overrides = {})
      : s(ParseScenario(kScenario, "g.toml", overrides)),
        org(BuildOrganisation(s)),
        setup(MakeGeneratorSetup(s, org)) {}
  RatingBallots Generate(int replicate, bool blocs = true) const {
    RatingBallots b;
    GenerateBallots(setup, replicate, blocs, &b);
    return b;
  }
  Scenario s;
  Organisation org;
  GeneratorSetup setup;
};

TEST(Organisation, CountsWithinRangesAndMeetingsCoverEveryEvaluee) {
  Fixture f;
  ASSERT_EQ(f.org.level_size[0], 8);
  EXPECT_GE(f.org.NumEvaluees(), 80);
  EXPECT_LE(f.org.NumEvaluees(), 240);
  ASSERT_EQ(f.org.meetings.size(), 8u);
  int next = 0;
  for (const Meeting& m : f.org.meetings) {
    EXPECT_EQ(m.first_evaluee, next);  // contiguous, in order
    EXPECT_GE(m.num_evaluees, 10);
    EXPECT_LE(m.num_evaluees, 30);
    next += m.num_evaluees;
    EXPECT_GE(m.group_count[0], 4u);
    EXPECT_LE(m.group_count[0], 6u);
    EXPECT_EQ(m.group_count[1], static_cast<uint32_t>(m.num_evaluees));
  }
  EXPECT_EQ(next, f.org.NumEvaluees());
}

TEST(Organisation, UnitsOfEveryLevelAboveTheEvalueesAndTheMeetingScope) {
  // Three levels: region (2) > district (2-3 each) > town; meetings by district.
  Fixture f(
      {"organisation.levels=[{name=\"region\",count=2},{name=\"district\",count=[2,3]},"
       "{name=\"town\",count=[3,5]}]"});
  const Organisation& org = f.org;
  ASSERT_EQ(org.unit_levels, (std::vector<std::string>{"region", "district"}));
  ASSERT_EQ(org.unit.size(), 2u);
  const int n = org.NumEvaluees();
  for (int e = 1; e < n; ++e) {
    // Tree order: units never decrease, and a district lies in one region.
    EXPECT_LE(org.unit[1][e - 1], org.unit[1][e]);
    EXPECT_LE(org.unit[0][e - 1], org.unit[0][e]);
    if (org.unit[1][e - 1] == org.unit[1][e]) {
      EXPECT_EQ(org.unit[0][e - 1], org.unit[0][e]);
    }
  }
  EXPECT_EQ(org.unit[0].back(), 1);
  EXPECT_EQ(org.unit[1].back(), org.level_size[1] - 1);
  EXPECT_EQ(org.UnitName(1, 0), "district-1");
  // Meetings by district: the meeting scope is the district column.
  const UnitColumns scopes = ScopeColumns(org);
  EXPECT_EQ(scopes.names, (std::vector<std::string>{"region", "district", "meeting"}));
  EXPECT_EQ(*scopes.Find("meeting"), org.unit[1]);
  EXPECT_EQ(scopes.Find("town"), nullptr);
}

TEST(Organisation, InheritedShareIsTheWithinMeetingCorrelation) {
  // With inherited = h, two towns of the same district have correlation h.
  // Many districts of two towns each: the intraclass correlation estimate.
  Scenario s = ParseScenario(kScenario, "g.toml",
                             {"organisation.levels=[{name=\"district\",count=4000},"
                              "{name=\"town\",count=2}]"});
  Organisation org = BuildOrganisation(s);
  double sxy = 0, sxx = 0;
  for (int d = 0; d < 4000; ++d) {
    const double a = org.quality[2 * d], b = org.quality[2 * d + 1];
    sxy += a * b;
    sxx += 0.5 * (a * a + b * b);
  }
  const double rho = sxy / sxx;
  // sd of the estimate is about (1 - h^2) / sqrt(4000) = 0.012.
  EXPECT_NEAR(rho, 0.5, 0.05);
}

TEST(Generator, HitsTargetSharesWithinSamplingError) {
  Fixture f({"replicates=1"});
  std::vector<double> count(4, 0);
  double valid = 0, blank = 0;
  for (int r = 0; r < 20; ++r) {
    RatingBallots b = f.Generate(r);
    for (uint32_t w : b.ballot) {
      if (BallotGrade(w) == kAbstain) {
        blank += 1;
      } else {
        count[BallotGrade(w)] += 1;
        valid += 1;
      }
    }
  }
  ASSERT_GT(valid, 50000);
  for (int k = 0; k < 4; ++k) {
    const double p = f.s.shares[k];
    // Ballots are clustered by evaluee and rater, so allow far more than the
    // binomial sd, yet far less than a miscalibration would give.
    EXPECT_NEAR(count[k] / valid, p, 0.02) << "grade " << k;
  }
  // Only the public abstains (20 %): the overall blank share lies between.
  EXPECT_GT(blank / (valid + blank), 0.02);
  EXPECT_LT(blank / (valid + blank), 0.2);
}

TEST(Generator, StructureOfRaterGroups) {
  Fixture f;
  RatingBallots b = f.Generate(0);
  b.CheckInvariants();
  const int G = b.NumGroups();
  ASSERT_EQ(G, 3);
  for (const Meeting& m : f.org.meetings) {
    for (int e = m.first_evaluee; e < m.first_evaluee + m.num_evaluees; ++e) {
      // Superiors: complete design, every superior of the meeting once.
      auto sup = b.SlotBallots(b.Slot(e, 0));
      EXPECT_EQ(sup.size(), m.group_count[0]);
      // Peers: other evaluees of the same meeting, never the evaluee itself.
      for (uint32_t w : b.SlotBallots(b.Slot(e, 1))) {
        const uint32_t r = BallotRater(w);
        EXPECT_GE(r, m.group_first[1]);
        EXPECT_LT(r, m.group_first[1] + m.group_count[1]);
        EXPECT_NE(static_cast<int>(r - m.group_first[1]), e - m.first_evaluee);
      }
      // Public: exactly the raters attached to this evaluee.
      auto pub = b.SlotBallots(b.Slot(e, 2));
      EXPECT_EQ(pub.size(), f.org.per_evaluee_count[2][e]);
      for (uint32_t w : pub) {
        EXPECT_GE(BallotRater(w), f.org.per_evaluee_first[2][e]);
        EXPECT_LT(BallotRater(w), f.org.per_evaluee_first[2][e] + f.org.per_evaluee_count[2][e]);
      }
    }
  }
}

TEST(Generator, CoverageSamplesPairs) {
  Fixture f;
  double pairs = 0, possible = 0;
  for (int r = 0; r < 5; ++r) {
    RatingBallots b = f.Generate(r);
    for (const Meeting& m : f.org.meetings)
      for (int e = m.first_evaluee; e < m.first_evaluee + m.num_evaluees; ++e) {
        pairs += b.SlotBallots(b.Slot(e, 1)).size();
        possible += m.num_evaluees - 1;
      }
  }
  EXPECT_NEAR(pairs / possible, 0.7, 0.02);
}

TEST(Generator, SameSeedSameBallotsAnyThreadCount) {
  Fixture f;
  RatingBallots one, two;
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
    GenerateBallots(f.setup, 2, true, &one);
  }
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
    GenerateBallots(f.setup, 2, true, &two);
  }
  EXPECT_EQ(one.ballot, two.ballot);
  EXPECT_EQ(one.slot_begin, two.slot_begin);
  // A fresh organisation from the same scenario is the same organisation.
  Fixture g;
  EXPECT_EQ(g.org.quality, f.org.quality);
  EXPECT_EQ(g.Generate(2).ballot, one.ballot);
  // Another replicate differs.
  EXPECT_NE(f.Generate(3).ballot, one.ballot);
}

TEST(Generator, SeedChangesEverything) {
  Fixture a, b({"seed=12"});
  EXPECT_NE(a.org.quality, b.org.quality);
}

TEST(Generator, BlocsRaiseTheirEvalueeAndChangeNothingElseForOutsiders) {
  Fixture f({"blocs=[{share=0.1,size=0.3,boost=3.0,penalty=0.1}]"});
  ASSERT_GT(f.org.NumBlocEvaluees(), 0);
  double with = 0, without = 0, n = 0;
  for (int r = 0; r < 4; ++r) {
    RatingBallots a = f.Generate(r, true), b = f.Generate(r, false);
    // The same raters rate the same evaluees: only grades may differ.
    ASSERT_EQ(a.slot_begin, b.slot_begin);
    for (size_t i = 0; i < a.ballot.size(); ++i)
      ASSERT_EQ(BallotRater(a.ballot[i]), BallotRater(b.ballot[i]));
    for (int e = 0; e < f.org.NumEvaluees(); ++e) {
      if (f.org.bloc[e] < 0) continue;
      for (int g = 0; g < a.NumGroups(); ++g) {
        const int s = a.Slot(e, g);
        for (uint64_t i = a.slot_begin[s]; i < a.slot_begin[s + 1]; ++i) {
          if (BallotGrade(a.ballot[i]) == kAbstain) continue;
          with += BallotGrade(a.ballot[i]);
          without += BallotGrade(b.ballot[i]);
          n += 1;
        }
      }
    }
  }
  ASSERT_GT(n, 100);
  EXPECT_GT(with / n, without / n + 0.1);
  // Without blocs the scenario's generator gives the bloc-free ballots.
  Fixture plain;
  EXPECT_EQ(plain.Generate(1).ballot, f.Generate(1, false).ballot);
}

TEST(Generator, CutsAreIncreasingAndInfiniteForEmptyGrades) {
  Fixture f({"scale.shares=[0.0,0.2,0.3,0.5]"});
  ASSERT_EQ(f.setup.cuts.size(), 3u);
  EXPECT_TRUE(std::isinf(f.setup.cuts[0]) && f.setup.cuts[0] < 0);
  EXPECT_LT(f.setup.cuts[1], f.setup.cuts[2]);
  RatingBallots b = f.Generate(0);
  for (uint32_t w : b.ballot) EXPECT_NE(BallotGrade(w), 0);
}

}  // namespace
}  // namespace evalsim
