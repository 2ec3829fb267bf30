// Linked levels: a parent unit's score from its evaluees' scores, its class
// by its own rules, and the cap its class puts on its evaluees' classes.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sim/core/metrics.h"
#include "sim/rules/classes.h"

namespace evalsim {
namespace {

using Labels = std::vector<std::string>;

// Two towns of three branches each. Town 0: 90, 80, 70 (mean 80, median
// 80); town 1: 95, 40, 30 (mean 55, median 40).
struct Towns {
  Eigen::VectorXd score{{90, 80, 70, 95, 40, 30}};
  UnitColumns units{{"town"}, {{0, 0, 0, 1, 1, 1}}};

  ClassOutcome Assign(const ClassRules& rules) const {
    const std::vector<int> rank = CompetitionRanks(score, {});
    ClassInputs in;
    in.score = &score;
    in.rank = &rank;
    in.units = &units;
    return AssignClasses(rules, {}, in);
  }
};

Labels Names(const ClassOutcome& c) {
  Labels out;
  for (int k : c.cls) out.push_back(c.labels[k]);
  return out;
}

// Branches: 优秀 from 85, 好 from 60, else 一般.
ClassRules Branches() {
  ClassRules r;
  r.bands = {{85.0, "优秀"}, {60.0, "好"}, {std::nullopt, "一般"}};
  return r;
}

// Towns: 好 from 70, else 较差; `cap` as given.
ClassRules Linked(std::vector<ClassCap> cap, ParentScore score = ParentScore::kMean) {
  auto linked = std::make_shared<LinkedClasses>();
  linked->level = "town";
  linked->score = score;
  linked->rules.bands = {{70.0, "好"}, {std::nullopt, "较差"}};
  linked->cap = std::move(cap);
  ClassRules r = Branches();
  r.parent = std::move(linked);
  return r;
}

TEST(LinkedClassesTest, HandExampleParentClassesAndCappedBranches) {
  const Towns x;
  EXPECT_EQ(Names(x.Assign(Branches())), (Labels{"优秀", "好", "好", "优秀", "一般", "一般"}));
  const ClassOutcome c = x.Assign(Linked({{"较差", "一般"}}));
  EXPECT_EQ(c.parent_score, (std::vector<double>{80, 55}));
  ASSERT_EQ(c.parent_cls.size(), 2u);
  EXPECT_EQ(c.parent_labels[c.parent_cls[0]], "好");
  EXPECT_EQ(c.parent_labels[c.parent_cls[1]], "较差");
  // Town 1 is 较差: its 95 falls from 优秀 to 一般; its place is not passed on.
  EXPECT_EQ(Names(c), (Labels{"优秀", "好", "好", "一般", "一般", "一般"}));
  EXPECT_EQ(c.capped, (std::vector<uint8_t>{0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(c.labels, ClassLabels(Linked({}), {}));
}

TEST(LinkedClassesTest, CapToAMiddleClassAndMedianScores) {
  const Towns x;
  const ClassOutcome c = x.Assign(Linked({{"较差", "好"}}, ParentScore::kMedian));
  EXPECT_EQ(c.parent_score, (std::vector<double>{80, 40}));
  EXPECT_EQ(Names(c), (Labels{"优秀", "好", "好", "好", "一般", "一般"}));
  EXPECT_EQ(c.capped, (std::vector<uint8_t>{0, 0, 0, 1, 0, 0}));
}

TEST(LinkedClassesTest, ParentQuotaPicksTheBetterTown) {
  const Towns x;
  ClassRules rules = Branches();
  auto linked = std::make_shared<LinkedClasses>();
  linked->level = "town";
  linked->rules.top_quota = 0.5;
  linked->rules.top_label = "好";
  linked->rules.default_label = "较差";
  linked->cap = {{"较差", "好"}};
  rules.parent = linked;
  const ClassOutcome c = x.Assign(rules);
  EXPECT_EQ(c.parent_labels[c.parent_cls[0]], "好");
  EXPECT_EQ(c.parent_labels[c.parent_cls[1]], "较差");
  EXPECT_EQ(Names(c), (Labels{"优秀", "好", "好", "好", "一般", "一般"}));
}

TEST(LinkedClassesTest, CapThatNeverBindsChangesNothing) {
  const Towns x;
  const ClassOutcome plain = x.Assign(Branches());
  for (const ClassRules& rules : {Linked({}), Linked({{"较差", "优秀"}, {"好", "优秀"}})}) {
    const ClassOutcome c = x.Assign(rules);
    EXPECT_EQ(c.cls, plain.cls);
    EXPECT_EQ(c.labels, plain.labels);
    EXPECT_EQ(c.capped, std::vector<uint8_t>(6, 0));
  }
  // A cap on the better town binds on all its branches, not on the other's.
  EXPECT_EQ(Names(x.Assign(Linked({{"好", "一般"}}))),
            (Labels{"一般", "一般", "一般", "优秀", "一般", "一般"}));
}

TEST(LinkedClassesTest, VetoedAndOffLadderClassesAreNotMoved) {
  const Towns x;
  ClassRules rules = Linked({{"较差", "一般"}});
  Veto v;
  v.name = "safety";
  v.label = "不确定等次";
  v.indicator = "accidents";
  v.above = 0.5;
  IndicatorTable ind;
  ind.ratee_names = {"a", "b", "c", "d", "e", "f"};
  ind.names = {"accidents"};
  ind.cost = {true};
  ind.values = Eigen::MatrixXd::Zero(6, 1);
  ind.values(3, 0) = 1;  // town 1's 95
  const std::vector<int> rank = CompetitionRanks(x.score, {});
  ClassInputs in;
  in.score = &x.score;
  in.rank = &rank;
  in.units = &x.units;
  in.indicators = &ind;
  const ClassOutcome c = AssignClasses(rules, std::vector<Veto>{v}, in);
  EXPECT_EQ(Names(c), (Labels{"优秀", "好", "好", "不确定等次", "一般", "一般"}));
  EXPECT_EQ(c.capped, std::vector<uint8_t>(6, 0));
}

TEST(LinkedClassesTest, MissingUnitColumnIsReported) {
  const Towns x;
  ClassRules rules = Linked({});
  std::const_pointer_cast<LinkedClasses>(rules.parent)->level = "district";
  const std::vector<int> rank = CompetitionRanks(x.score, {});
  ClassInputs in;
  in.score = &x.score;
  in.rank = &rank;
  in.units = &x.units;
  EXPECT_EQ(MissingClassInputs(rules, {}, in).size(), 1u);
}

// ---------------------------------------------------------------- parsing

std::vector<std::string> ParseErrors(const std::string& text, ClassRules* out = nullptr) {
  const toml::table doc = toml::parse(std::string_view(text), std::string_view("c.toml"));
  OptionReader opts(*doc["classes"].as_table(), "c.toml", "classes");
  ClassRules rules = ReadClassRules(opts, ClassContext{4, {"town", "meeting"}, {}, {}});
  if (out) *out = rules;
  return opts.Finish();
}

const char* kBands =
    R"(bands = [{ min = 85, label = "优秀" }, { min = 60, label = "好" }, { label = "一般" }]
)";

TEST(ReadLinkedClassesTest, FullTable) {
  ClassRules rules;
  const auto errors = ParseErrors(std::string("[classes]\n") + kBands + R"(
parent = { level = "town", score = "median", bands = [{ min = 70, label = "好" }, { label = "较差" }] }
cap = { "较差" = "一般" }
)",
                                  &rules);
  EXPECT_TRUE(errors.empty()) << testing::PrintToString(errors);
  ASSERT_TRUE(rules.parent);
  EXPECT_EQ(rules.parent->level, "town");
  EXPECT_EQ(rules.parent->score, ParentScore::kMedian);
  EXPECT_EQ(ClassLabels(rules.parent->rules, {}), (Labels{"好", "较差"}));
  ASSERT_EQ(rules.parent->cap.size(), 1u);
  EXPECT_EQ(rules.parent->cap[0].parent_label, "较差");
  EXPECT_EQ(rules.parent->cap[0].best_label, "一般");
}

TEST(ReadLinkedClassesTest, BadKeys) {
  const std::string parent =
      R"(parent = { level = "town", bands = [{ min = 70, label = "好" }, { label = "较差" }] }
)";
  const auto check = [](const std::string& text, const std::string& needle) {
    const auto errors = ParseErrors("[classes]\n" + text);
    ASSERT_EQ(errors.size(), 1u) << testing::PrintToString(errors);
    EXPECT_NE(errors[0].find(needle), std::string::npos) << errors[0];
  };
  check(
      std::string(kBands) +
          R"(parent = { level = "county", bands = [{ min = 70, label = "好" }, { label = "较差" }] })",
      "classes.parent.level: \"county\" names no level above the evaluees; expected one of: town");
  check(std::string(kBands) + R"(parent = { level = "meeting", top_quota = 0.5 })",
        "names no level");
  check(std::string(kBands) + parent + R"(cap = { "中" = "一般" })",
        "classes.cap.中: \"中\" is no class of the parent; expected one of: 好, 较差");
  check(std::string(kBands) + parent + R"(cap = { "较差" = "差" })",
        "classes.cap.较差: \"差\" names no class of the evaluees; expected one of: 优秀, 好, 一般");
  check(std::string(kBands) + R"(cap = { "较差" = "一般" })", "classes.cap: caps the classes");
  check(std::string(kBands) + R"(parent = { level = "town" })", "classes.parent: gives no class");
  check(
      std::string(kBands) +
          R"(parent = { level = "town", top_quota = 0.5, gates = [{ grades = [3], above = 0.2, label = "差" }] })",
      "classes.parent.gates: applies to evaluees");
  check(std::string(kBands) + R"(parent = { level = "town", top_quota = 0.5, within = "town" })",
        "classes.parent.within");
  check(std::string(kBands) + R"(parent = { level = "town", top_quota = 0.5, cap = {} })",
        "classes.parent.cap");
}

}  // namespace
}  // namespace evalsim
