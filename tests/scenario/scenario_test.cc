// Scenario loading: every shipped scenario validates; every validation rule
// gives one line naming file:line:col and the key path; overrides and
// presets resolve as documented.
#include "sim/scenario/scenario.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "sim/core/errors.h"

namespace evalsim {
namespace {

constexpr const char* kBase = R"(name = "t"
seed = 7
replicates = 3

[scale]
labels = ["差", "一般", "较好", "好"]
shares = [0.1, 0.2, 0.3, 0.4]

[organisation]
levels = [
  { name = "district", count = 2 },
  { name = "town", count = [3, 5] },
]
evaluees = "town"
quality = { sd = 1.0, inherited = 0.3 }

[meetings]
by = "district"

[[raters]]
group = "superior"
count = 4
weight = 0.3

[[raters]]
group = "member"
count = [10, 20]
coverage = 0.5
weight = 0.7

[[models]]
name = "standard"
model = "weighted_mean"
points = [0, 60, 80, 100]
)";

// Replaces the first occurrence of `from` in kBase by `to`.
std::string Edit(const std::string& from, const std::string& to) {
  std::string s = kBase;
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

std::string ErrorOf(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    ParseScenario(text, "s.toml", overrides);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Scenario, BaseLoads) {
  Scenario s = ParseScenario(kBase, "s.toml");
  EXPECT_EQ(s.name, "t");
  EXPECT_EQ(s.seed, 7u);
  EXPECT_EQ(s.replicates, 3);
  ASSERT_EQ(s.levels.size(), 2u);
  EXPECT_EQ(s.levels[1].count.lo, 3);
  EXPECT_EQ(s.levels[1].count.hi, 5);
  EXPECT_EQ(s.evaluee_level, 1);
  EXPECT_EQ(s.meeting_level, 0);
  ASSERT_EQ(s.raters.size(), 2u);
  EXPECT_EQ(s.raters[1].kind, RaterKind::kPerMeeting);
  EXPECT_DOUBLE_EQ(s.raters[1].coverage, 0.5);
  EXPECT_DOUBLE_EQ(s.raters[0].noise, 0.5);  // default
  ASSERT_EQ(s.models.size(), 1u);
  EXPECT_EQ(s.models[0].model, "weighted_mean");
  EXPECT_DOUBLE_EQ(s.quota, 0.15);
}

struct BadCase {
  const char* name;
  std::string text;
  std::vector<std::string> expect;  // substrings of the message
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class ScenarioErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ScenarioErrors, OneClearLine) {
  const BadCase& c = GetParam();
  const std::string msg = ErrorOf(c.text);
  ASSERT_FALSE(msg.empty()) << "accepted: " << c.name;
  for (const auto& e : c.expect) EXPECT_NE(msg.find(e), std::string::npos) << msg;
}

INSTANTIATE_TEST_SUITE_P(
    AllRules, ScenarioErrors,
    ::testing::Values(
        BadCase{"unknown_top_key",
                Edit("replicates = 3", "replicates = 3\nreplicats = 4"),
                {"s.toml:4:13: replicats: unknown key", "replicates"}},
        BadCase{"unknown_rater_key",
                Edit("weight = 0.3", "weight = 0.3\nnoize = 1"),
                {"s.toml:24:9: raters.superior.noize: unknown key", "noise"}},
        BadCase{"wrong_type",
                Edit("seed = 7", "seed = \"seven\""),
                {"s.toml:2:8: seed: found a string; expected an integer"}},
        BadCase{"float_for_integer",
                Edit("replicates = 3", "replicates = 3.5"),
                {"s.toml:3:14: replicates: found a float"}},
        BadCase{"out_of_range",
                Edit("coverage = 0.5", "coverage = 1.5"),
                {"s.toml:28:12: raters.member.coverage: 1.5 is out of range", "(0, 1]"}},
        BadCase{"negative_noise",
                Edit("weight = 0.3", "weight = 0.3\nnoise = -1"),
                {"raters.superior.noise: -1 is out of range", ">= 0"}},
        BadCase{"shares_sum",
                Edit("[0.1, 0.2, 0.3, 0.4]", "[0.1, 0.2, 0.3, 0.3]"),
                {"s.toml:7:10: scale.shares: sum to 0.9", "sum to 1"}},
        BadCase{"shares_length",
                Edit("[0.1, 0.2, 0.3, 0.4]", "[0.5, 0.5]"),
                {"scale.shares: has 2 values; expected one per label (4)"}},
        BadCase{"evaluee_level_missing",
                Edit("evaluees = \"town\"", "evaluees = \"village\""),
                {"s.toml:14:12: organisation.evaluees: level \"village\" does not exist",
                 "district, town"}},
        BadCase{"meeting_level_missing",
                Edit("by = \"district\"", "by = \"county\""),
                {"s.toml:18:6: meetings.by: level \"county\" does not exist"}},
        BadCase{"meeting_below_evaluees",
                [] {
                  std::string text = Edit("by = \"district\"", "by = \"village\"");
                  const std::string town = "{ name = \"town\", count = [3, 5] },";
                  return text.insert(text.find(town) + town.size(),
                                     "\n{ name = \"village\", count = 2 },");
                }(),
                {"meetings.by", "below the evaluee level"}},
        BadCase{"empty_organisation",
                Edit("count = 2 }", "count = 0 }"),
                {"empty organisation", "district"}},
        BadCase{"two_rater_kinds",
                Edit("count = 4", "count = 4\nper_evaluee = 3"),
                {"raters.superior", "exactly one of `count`"}},
        BadCase{"duplicate_group",
                Edit("group = \"member\"", "group = \"superior\""),
                {"group \"superior\" is defined twice"}},
        BadCase{"unknown_model",
                Edit("model = \"weighted_mean\"", "model = \"weighted_meen\""),
                {"models.standard: unknown model \"weighted_meen\"", "weighted_mean"}},
        BadCase{"bad_model_option",
                Edit("points = [0, 60, 80, 100]", "points = [0, 60, 80]"),
                {"s.toml:34:10: models.standard.points: has 3 values; expected one per grade"}},
        BadCase{"unknown_model_option",
                Edit("points = [0, 60, 80, 100]", "pionts = [1]"),
                {"models.standard.pionts: unknown key", "points"}},
        BadCase{"unknown_preset",
                Edit("model = \"weighted_mean\"", "preset = \"nope\""),
                {"models.standard.preset: unknown rubric preset \"nope\"", "points_100_80_60_40"}},
        BadCase{"range_min_gt_max",
                Edit("count = [3, 5]", "count = [5, 3]"),
                {"organisation.levels[1].count: [5, 3] has min > max"}},
        BadCase{"missing_seed", Edit("seed = 7\n", ""), {"missing required key `seed`"}},
        BadCase{"no_models",
                std::string(kBase).substr(0, std::string(kBase).find("[[models]]")),
                {"missing required [[models]]"}},
        BadCase{"toml_syntax", Edit("seed = 7", "seed = = 7"), {"s.toml:2:"}}),
    [](const ::testing::TestParamInfo<BadCase>& p) { return std::string(p.param.name); });

TEST(Scenario, ReportsEveryProblemNotJustTheFirst) {
  std::string text = Edit("seed = 7", "seed = -1");
  text.replace(text.find("coverage = 0.5"), 14, "coverage = 2.0");
  const std::string msg = ErrorOf(text);
  EXPECT_NE(msg.find("seed"), std::string::npos) << msg;
  EXPECT_NE(msg.find("coverage"), std::string::npos) << msg;
}

TEST(Scenario, OverridesByIndexGroupAndName) {
  Scenario s =
      ParseScenario(kBase, "s.toml",
                    {"raters.member.noise=1.5", "raters.0.weight=0.9",
                     "models.standard.points=[0,50,80,100]", "metrics.quota=0.2", "replicates=9"});
  EXPECT_DOUBLE_EQ(s.raters[1].noise, 1.5);
  EXPECT_DOUBLE_EQ(s.raters[0].weight, 0.9);
  EXPECT_DOUBLE_EQ(s.quota, 0.2);
  EXPECT_EQ(s.replicates, 9);
  const auto* points = s.models[0].options["points"].as_array();
  ASSERT_NE(points, nullptr);
  EXPECT_EQ(points->get(1)->value<int64_t>(), 50);
}

TEST(Scenario, OverrideErrors) {
  EXPECT_NE(ErrorOf(kBase, {"raters.nobody.noise=1"}).find("raters has no element \"nobody\""),
            std::string::npos);
  EXPECT_NE(ErrorOf(kBase, {"name=foo"}).find("is not a TOML value"), std::string::npos);
  EXPECT_NE(ErrorOf(kBase, {"seed"}).find("expected key.path=value"), std::string::npos);
  // A value that parses but is out of range is caught by validation.
  EXPECT_NE(ErrorOf(kBase, {"raters.member.coverage=0"}).find("raters.member.coverage"),
            std::string::npos);
}

TEST(Scenario, PresetExpandsAndEntryKeysOverride) {
  std::string text = Edit("model = \"weighted_mean\"\npoints = [0, 60, 80, 100]",
                          "preset = \"points_100_80_60_40\"\npoints = [0, 50, 80, 100]");
  Scenario s = ParseScenario(text, "s.toml");
  ASSERT_EQ(s.models.size(), 1u);
  EXPECT_EQ(s.models[0].model, "weighted_mean");
  EXPECT_EQ(s.models[0].preset, "points_100_80_60_40");
  EXPECT_EQ(s.models[0].options["points"].as_array()->get(1)->value<int64_t>(), 50);
  ASSERT_EQ(s.models[0].classes.bands.size(), 3u);
  EXPECT_EQ(s.models[0].classes.bands[0].label, "优秀");
}

TEST(Scenario, EveryShippedScenarioValidates) {
  int count = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(EVALSIM_SOURCE_DIR) + "/scenarios")) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    EXPECT_NO_THROW(LoadScenario(entry.path().string()));
    ++count;
  }
  EXPECT_GE(count, 1);
}

}  // namespace
}  // namespace evalsim
