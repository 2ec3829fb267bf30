// Ballot forms: rater groups on scales of their own (calibrated per scale,
// with "don't know" ballots), anchoring on a stated view and conformity to
// the meeting's majority.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "models/registry.h"
#include "sim/core/errors.h"
#include "sim/io/csv.h"
#include "sim/run/outputs.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/generator.h"
#include "sim/simulate/influence.h"

namespace evalsim {
namespace {

constexpr const char* kScenario = R"(name = "forms"
seed = 5
replicates = 2
[scale]
labels = ["差", "一般", "较好", "好"]
shares = [0.05, 0.15, 0.3, 0.5]
[[scales]]
name = "satisfaction"
labels = ["不满意", "基本满意", "满意"]
shares = [0.2, 0.3, 0.5]
dont_know = 0.25
[organisation]
levels = [ { name = "county", count = 4 }, { name = "town", count = 25 } ]
evaluees = "town"
[meetings]
by = "county"
[[raters]]
group = "cadres"
count = 40
noise = 0.7
leniency = { mean = 0.5, sd = 0.3 }
[[raters]]
group = "public"
per_evaluee = 60
scale = "satisfaction"
noise = 1.2
leniency = { mean = -0.4, sd = 0.4 }
[[models]]
name = "m"
model = "weighted_mean"
)";

struct Drawn {
  Scenario s;
  RatingBallots b;
};

Drawn Generate(const std::vector<std::string>& overrides, int replicate = 0) {
  Drawn d{ParseScenario(kScenario, "forms.toml", overrides), {}};
  const Organisation org = BuildOrganisation(d.s);
  const GeneratorSetup setup = MakeGeneratorSetup(d.s, org);
  GenerateBallots(setup, replicate, true, &d.b);
  return d;
}

// Share of each grade among group g's graded ballots, and its "don't know"
// share of all its ballots (the last element).
std::vector<double> Shares(const RatingBallots& b, int g) {
  std::vector<double> count(b.GroupLevels(g) + 1, 0.0);
  double graded = 0, all = 0;
  for (int e = 0; e < b.NumRatees(); ++e)
    for (uint32_t w : b.SlotBallots(b.Slot(e, g))) {
      all += 1;
      if (BallotGrade(w) == kDontKnow) {
        count.back() += 1;
      } else {
        count[BallotGrade(w)] += 1;
        graded += 1;
      }
    }
  for (size_t k = 0; k + 1 < count.size(); ++k) count[k] /= graded;
  count.back() /= all;
  return count;
}

TEST(GroupScales, EachGroupHitsItsOwnScaleShares) {
  const Drawn d = Generate({});
  ASSERT_TRUE(d.b.HasGroupScales());
  EXPECT_EQ(d.b.levels, 4);
  EXPECT_EQ(d.b.MainLevels(), 4);
  EXPECT_EQ(d.b.GroupLevels(1), 3);
  const std::vector<double> cadres = Shares(d.b, 0), pub = Shares(d.b, 1);
  const std::vector<double> want_cadres = {0.05, 0.15, 0.3, 0.5}, want_pub = {0.2, 0.3, 0.5};
  for (size_t k = 0; k < want_cadres.size(); ++k) EXPECT_NEAR(cadres[k], want_cadres[k], 0.03);
  EXPECT_EQ(cadres.back(), 0.0);  // the main scale has no "don't know"
  for (size_t k = 0; k < want_pub.size(); ++k) EXPECT_NEAR(pub[k], want_pub[k], 0.03);
  EXPECT_NEAR(pub.back(), 0.25, 0.02);
}

TEST(GroupScales, DontKnowLeavesTheOtherBallotsAsDrawn) {
  const Drawn with = Generate({}), without = Generate({"scales.satisfaction.dont_know=0"});
  ASSERT_EQ(with.b.ballot.size(), without.b.ballot.size());
  size_t dont_know = 0;
  for (size_t i = 0; i < with.b.ballot.size(); ++i) {
    if (BallotGrade(with.b.ballot[i]) == kDontKnow) {
      ++dont_know;
      continue;
    }
    ASSERT_EQ(with.b.ballot[i], without.b.ballot[i]) << i;
  }
  EXPECT_GT(dont_know, 0u);
}

TEST(GroupScales, CsvRoundTripKeepsScalesAndDontKnow) {
  const Drawn d = Generate({});
  const std::string csv = BallotsCsv(d.b);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "rater,ratee,grade,group,scale");
  EXPECT_NE(csv.find(",dont_know,public,satisfaction\n"), std::string::npos);
  const RatingBallots back = ParseRatingsCsv(csv, "ballots.csv");
  ASSERT_EQ(back.scales.size(), 1u);
  EXPECT_EQ(back.scales[0].name, "satisfaction");
  EXPECT_EQ(back.scales[0].levels, 3);
  EXPECT_EQ(back.group_scale, (std::vector<int>{-1, 0}));
  EXPECT_EQ(back.MainLevels(), 4);
  ASSERT_EQ(back.ballot.size(), d.b.ballot.size());
  for (size_t i = 0; i < back.ballot.size(); ++i)
    ASSERT_EQ(BallotGrade(back.ballot[i]), BallotGrade(d.b.ballot[i])) << i;
  EXPECT_EQ(BallotsCsv(back).substr(csv.find('\n')), csv.substr(csv.find('\n')));
}

TEST(GroupScales, ScenarioWithoutScalesWritesNoScaleColumn) {
  std::string text = kScenario;
  text.replace(text.find("scale = \"satisfaction\"\n"), 23, "");
  const Scenario s = ParseScenario(text, "forms.toml");
  const Organisation org = BuildOrganisation(s);
  RatingBallots b;
  GenerateBallots(MakeGeneratorSetup(s, org), 0, true, &b);
  EXPECT_FALSE(b.HasGroupScales());
  const std::string csv = BallotsCsv(b);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "rater,ratee,grade,group");
}

TEST(Influence, ZeroAnchorAndConformityChangeNothing) {
  const Drawn base = Generate({});
  const Drawn zero = Generate({"raters.cadres.anchor=0", "raters.cadres.conformity=0",
                               "raters.public.anchor=0", "raters.cadres.anchor_to=\"public\""});
  EXPECT_EQ(base.b.ballot, zero.b.ballot);
}

TEST(Influence, FullAnchorGradesTheStatedView) {
  const Drawn d = Generate({"raters.cadres.anchor=1", "raters.cadres.anchor_noise=0.3"});
  const Organisation org = BuildOrganisation(d.s);
  const GeneratorSetup setup = MakeGeneratorSetup(d.s, org);
  // Every cadre ballot grades the chair's view of the evaluee.
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, n = 0;
  for (size_t mi = 0; mi < org.meetings.size(); ++mi) {
    const AnchorViews v = DrawAnchorViews(d.s, org, 0, static_cast<int>(mi));
    const Meeting& m = org.meetings[mi];
    for (int le = 0; le < m.num_evaluees; ++le) {
      const double view = v.Of(le, static_cast<int>(d.s.raters.size()));
      int expected = 0;
      for (double c : setup.cuts) expected += view >= c;
      for (uint32_t w : d.b.SlotBallots(d.b.Slot(m.first_evaluee + le, 0))) {
        ASSERT_EQ(BallotGrade(w), expected);
        const double x = view, y = BallotGrade(w);
        sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y, n += 1;
      }
    }
  }
  const double r = (n * sxy - sx * sy) / std::sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
  EXPECT_GT(r, 0.85);
}

// Share of group g's graded ballots that equal the modal grade of their
// evaluee's graded ballots in the group.
double Agreement(const RatingBallots& b, int g) {
  double agree = 0, all = 0;
  for (int e = 0; e < b.NumRatees(); ++e) {
    std::vector<int> count(b.levels, 0);
    for (uint32_t w : b.SlotBallots(b.Slot(e, g)))
      if (IsGrade(BallotGrade(w))) ++count[BallotGrade(w)];
    int mode = 0;
    for (int k = 0; k < b.levels; ++k) mode = count[k] >= count[mode] ? k : mode;
    for (int k = 0; k < b.levels; ++k) all += count[k];
    agree += count[mode];
  }
  return agree / all;
}

TEST(Influence, ConformityRaisesAgreementWithinTheMeeting) {
  const double base = Agreement(Generate({}).b, 0);
  const double half = Agreement(Generate({"raters.cadres.conformity=0.5"}).b, 0);
  const double full = Agreement(Generate({"raters.cadres.conformity=1"}).b, 0);
  EXPECT_GT(half, base + 0.1);
  EXPECT_DOUBLE_EQ(full, 1.0);
}

TEST(Influence, AnchorToANamedGroupNeedsTheGroup) {
  try {
    ParseScenario(kScenario, "forms.toml", {"raters.cadres.anchor_to=\"leaders\""});
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("raters.cadres.anchor_to"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace evalsim

namespace evalsim {
namespace {

constexpr const char* kTally =
    "rater,ratee,grade,group,scale\n"
    "c1,A,3,onsite,\n"
    "c2,A,1,onsite,\n"
    "p1,A,2,public,satisfaction\n"
    "p2,A,0,public,satisfaction\n"
    "p3,A,dont_know,public,satisfaction\n"
    "c1,B,2,onsite,\n"
    "c2,B,2,onsite,\n"
    "p4,B,1,public,satisfaction\n"
    "p5,B,dont_know,public,satisfaction\n";

ScoreResult ScoreTally(const std::string& model, const std::string& options) {
  const RatingBallots b = ParseRatingsCsv(kTally, "tally.csv");
  ModelContext ctx(b.MainLevels(), b.group_names);
  ctx.SetScales(b);
  const toml::table t = toml::parse(options);
  const auto m = Models().Create(model, t, ctx, "--set", "model");
  ModelInput in;
  in.ratings = &b;
  return m->Score(in);
}

TEST(GroupScales, WeightedMeanGivesPointsPerScaleAndSkipsDontKnow) {
  // A: onsite (100 + 60) / 2 = 80, public (100 + 55) / 2 = 77.5 -> 0.4 * 80 + 0.6 * 77.5 = 78.5.
  // B: onsite 80, public 75 -> 0.4 * 80 + 0.6 * 75 = 77.
  const ScoreResult r = ScoreTally("weighted_mean",
                                   "points = [40, 60, 80, 100]\n"
                                   "scale_points = { satisfaction = [55, 75, 100] }\n"
                                   "group_weights = { onsite = 0.4, public = 0.6 }\n");
  EXPECT_DOUBLE_EQ(r.score[0], 78.5);
  EXPECT_DOUBLE_EQ(r.score[1], 77.0);
}

TEST(GroupScales, PoolingModelsRefuseAndNameTheGroups) {
  try {
    ScoreTally("median", "");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("public on \"satisfaction\""), std::string::npos)
        << e.what();
  }
}

TEST(GroupScales, ScalePointsNeedAKnownScaleAndOnePointPerGrade) {
  EXPECT_THROW(ScoreTally("weighted_mean", "scale_points = { poll = [0, 50, 100] }"), InputError);
  EXPECT_THROW(ScoreTally("weighted_mean", "scale_points = { satisfaction = [0, 100] }"),
               InputError);
}

TEST(GroupScales, CsvRefusesAGroupOnTwoScales) {
  EXPECT_THROW(ParseRatingsCsv("rater,ratee,grade,group,scale\n"
                               "a,A,1,g,s\n"
                               "b,A,1,g,\n",
                               "two.csv"),
               InputError);
}

}  // namespace
}  // namespace evalsim
