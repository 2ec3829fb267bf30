// Multi-item ballots from a scenario's [[items]]: the overall grades do not
// move, halo ties the items to the overall impression, the ballots round-trip
// through the ratings CSV, and bad item keys are refused with file:line.
#include "sim/simulate/item_gen.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "models/registry.h"
#include "sim/core/errors.h"
#include "sim/core/item_metrics.h"
#include "sim/io/csv.h"
#include "sim/run/outputs.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/generator.h"

namespace evalsim {
namespace {

constexpr const char* kScenario = R"(name = "items"
seed = 5
replicates = 2
[scale]
labels = ["a", "b", "c", "d"]
shares = [0.1, 0.2, 0.3, 0.4]
[organisation]
levels = [ { name = "district", count = 6 }, { name = "town", count = [8, 12] } ]
evaluees = "town"
[meetings]
by = "district"
[[raters]]
group = "superior"
count = 4
noise = 0.6
leniency = { mean = 0.2, sd = 0.3 }
[[raters]]
group = "member"
per_evaluee = 6
noise = 0.9
abstain = 0.1
[[models]]
name = "m"
model = "weighted_mean"
)";

constexpr const char* kItems = R"(
[[items]]
name = "de"
loading = 0.6
[[items]]
name = "neng"
weight = 2
loading = 0.6
noise = 0.3
[[items]]
name = "qin"
)";

RatingBallots Generate(const std::string& text, const std::vector<std::string>& overrides = {}) {
  const Scenario s = ParseScenario(text, "items.toml", overrides);
  const Organisation org = BuildOrganisation(s);
  const GeneratorSetup setup = MakeGeneratorSetup(s, org);
  RatingBallots b;
  GenerateBallots(setup, 0, true, &b);
  return b;
}

// Pearson correlation of item a's and item b's grades over the valid ballots.
double InterItemCorrelation(const RatingBallots& b, int ia, int ib) {
  const uint64_t N = b.ballot.size();
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = 0;
  for (uint64_t j = 0; j < N; ++j) {
    const uint8_t x = BallotGrade(b.item_ballot[ia * N + j]);
    const uint8_t y = BallotGrade(b.item_ballot[ib * N + j]);
    if (x == kAbstain || y == kAbstain) continue;
    sa += x, sb += y, saa += x * x, sbb += y * y, sab += x * y, n += 1;
  }
  const double cov = sab / n - sa / n * sb / n;
  return cov / std::sqrt((saa / n - sa / n * sa / n) * (sbb / n - sb / n * sb / n));
}

TEST(ItemGen, OverallGradesAreThoseOfTheScenarioWithoutItems) {
  const RatingBallots plain = Generate(kScenario);
  const RatingBallots items = Generate(std::string(kScenario) + kItems);
  EXPECT_FALSE(plain.HasItems());
  EXPECT_EQ(items.ballot, plain.ballot);
  EXPECT_EQ(items.slot_begin, plain.slot_begin);
  ASSERT_EQ(items.item_names, (std::vector<std::string>{"de", "neng", "qin"}));
  ASSERT_EQ(items.item_ballot.size(), 3 * items.ballot.size());
  items.CheckInvariants();
  // Every item grade belongs to the rater of the overall ballot in its place,
  // and a blank overall ballot is blank on every item.
  const uint64_t N = items.ballot.size();
  for (int i = 0; i < 3; ++i) {
    for (uint64_t j = 0; j < N; ++j) {
      const uint32_t w = items.item_ballot[i * N + j];
      ASSERT_EQ(BallotRater(w), BallotRater(items.ballot[j]));
      ASSERT_EQ(BallotGrade(w) == kAbstain, BallotGrade(items.ballot[j]) == kAbstain);
    }
  }
}

TEST(ItemGen, FullHaloGradesEveryItemAsTheOverallImpression) {
  const RatingBallots b =
      Generate(std::string(kScenario) + kItems, {"raters.superior.halo=1", "raters.member.halo=1"});
  const uint64_t N = b.ballot.size();
  for (int i = 0; i < 3; ++i)
    for (uint64_t j = 0; j < N; ++j)
      ASSERT_EQ(BallotGrade(b.item_ballot[i * N + j]), BallotGrade(b.ballot[j]));
}

TEST(ItemGen, HaloRaisesTheInterItemCorrelation) {
  const std::string text = std::string(kScenario) + kItems;
  const double none = InterItemCorrelation(Generate(text), 0, 1);
  const double high = InterItemCorrelation(
      Generate(text, {"raters.superior.halo=0.8", "raters.member.halo=0.8"}), 0, 1);
  // Without halo the two items (loading 0.6 each) share only their common
  // quality, the rater's leniency and its shifts; with halo 0.8 they share
  // most of one perception.
  EXPECT_LT(none, 0.6);
  EXPECT_GT(high, none + 0.2);
}

TEST(ItemGen, BallotsWithItemsRoundTripThroughTheRatingsCsv) {
  const RatingBallots b = Generate(std::string(kScenario) + kItems);
  const std::string text = BallotsCsv(b);
  EXPECT_EQ(text.substr(0, text.find('\n')), "rater,ratee,grade,group,item");
  const RatingBallots back = ParseRatingsCsv(text, "ballots.csv");
  EXPECT_EQ(BallotsCsv(back), text);
  EXPECT_EQ(back.item_names, b.item_names);
  // Scores from the file are the scores from memory.
  const ModelContext ctx(b.levels, b.group_names);
  const toml::table none;
  const auto model = Models().Create("weighted_mean", none, ctx, "t", "m");
  ModelInput from_memory, from_file;
  from_memory.ratings = &b;
  from_file.ratings = &back;
  EXPECT_EQ(model->Score(from_memory).score, model->Score(from_file).score);
}

TEST(ItemMetrics, HandComputedCorrelationAndAlpha) {
  // One rater, three ratees, items a = (0, 1, 2) and b = (1, 1, 2):
  //   deviations a (-1, 0, 1), b (-1/3, -1/3, 2/3): r = 1 / sqrt(2 * 2/3);
  //   var a = 2/3, var b = 2/9, totals (1, 2, 4) var 14/9:
  //   alpha = 2 * (1 - (8/9) / (14/9)) = 6/7.
  const RatingBallots b = ParseRatingsCsv(
      "rater,ratee,grade,item\nr,x,0,a\nr,y,1,a\nr,z,2,a\nr,x,1,b\nr,y,1,b\nr,z,2,b\n", "t.csv");
  const ItemMetrics m = ComputeItemMetrics(b);
  EXPECT_NEAR(m.within_rater_correlation, 1.0 / std::sqrt(4.0 / 3.0), 1e-12);
  EXPECT_NEAR(m.cronbach_alpha, 6.0 / 7.0, 1e-12);
}

TEST(ItemMetrics, HaloRaisesWithinRaterCorrelationAndAlpha) {
  const std::string text = std::string(kScenario) + kItems;
  const ItemMetrics none = ComputeItemMetrics(Generate(text));
  const ItemMetrics high =
      ComputeItemMetrics(Generate(text, {"raters.superior.halo=0.9", "raters.member.halo=0.9"}));
  EXPECT_GT(high.within_rater_correlation, none.within_rater_correlation + 0.2);
  EXPECT_GT(high.cronbach_alpha, none.cronbach_alpha);
  const ItemMetrics full =
      ComputeItemMetrics(Generate(text, {"raters.superior.halo=1", "raters.member.halo=1"}));
  EXPECT_NEAR(full.within_rater_correlation, 1.0, 1e-12);  // every item the same grade
}

std::string ErrorOf(const std::string& text) {
  try {
    ParseScenario(text, "items.toml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ItemGen, BadItemKeysAreRefusedWithFileAndLine) {
  const std::string base = kScenario;
  const std::string loading = ErrorOf(base + "[[items]]\nname = \"de\"\nloading = 1.5\n");
  const long line = std::count(base.begin(), base.end(), '\n') + 3;  // the `loading` line
  EXPECT_NE(loading.find(fmt::format("items.toml:{}:", line)), std::string::npos) << loading;
  EXPECT_NE(loading.find("items.de.loading"), std::string::npos) << loading;
  const std::string unknown = ErrorOf(base + "[[items]]\nname = \"de\"\nlaoding = 0.5\n");
  EXPECT_NE(unknown.find("items.de.laoding: unknown key"), std::string::npos) << unknown;
  const std::string twice = ErrorOf(base + "[[items]]\nname = \"de\"\n[[items]]\nname = \"de\"\n");
  EXPECT_NE(twice.find("defined twice"), std::string::npos) << twice;
  const std::string overall = ErrorOf(base + "[[items]]\nname = \"overall\"\n");
  EXPECT_NE(overall.find("overall"), std::string::npos) << overall;
  const std::string halo = ErrorOf(std::string(kScenario).replace(
      std::string(kScenario).find("noise = 0.6"), 11, "noise = 0.6\nhalo = 2"));
  EXPECT_NE(halo.find("raters.superior.halo"), std::string::npos) << halo;
}

TEST(ItemGen, ItemWeightsNamingAnUnknownItemAreRefused) {
  const std::string text = std::string(kScenario) + kItems;
  const std::string e = ErrorOf(text +
                                "[[models]]\nname = \"w\"\nmodel = \"median\"\n"
                                "item_weights = { de = 1, lian = 2 }\n");
  EXPECT_NE(e.find("models.w.item_weights"), std::string::npos) << e;
  EXPECT_NE(e.find("\"lian\""), std::string::npos) << e;
}

}  // namespace
}  // namespace evalsim
