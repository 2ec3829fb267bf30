// Scenario sweeps: value splitting, plan order, the derived top-share knob,
// the [sweep] table, the summary's crossings, and whole sweeps on a tiny
// scenario (the knob reaches the scenario, a point rerun alone gives the same
// rows, an interrupted sweep resumes to the same bytes, threads do not
// matter), in process and through the binary.
#include "sim/experiments/sweep.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/core/errors.h"
#include "sim/core/interrupt.h"
#include "sim/report/report.h"
#include "sim/scenario/scenario.h"
#include "tests/support/cli_util.h"

namespace evalsim {
namespace {

namespace fs = std::filesystem;

// Two meetings of 12 evaluees, two rater groups, two models: a sweep point
// runs in milliseconds.
constexpr const char* kTiny = R"(name = "tiny"
seed = 7
replicates = 4

[scale]
labels = ["差", "一般", "较好", "好"]
shares = [0.02, 0.08, 0.25, 0.65]

[organisation]
levels = [
  { name = "district", count = 2 },
  { name = "town", count = 12 },
]
evaluees = "town"

[meetings]
by = "district"

[[raters]]
group = "superior"
count = 5
weight = 0.3
noise = 0.5

[[raters]]
group = "member"
count = 30
weight = 0.7
noise = 1.0
leniency = { mean = 0.3, sd = 0.3 }

[[models]]
name = "standard"
model = "weighted_mean"
points = [0, 60, 80, 100]

[[models]]
name = "median"
model = "median"

[metrics]
quota = 0.2
)";

using ::testing_util::Evalsim;
using ::testing_util::Slurp;

std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

class Sweep : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("evalsim_sweep_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    RequestInterrupt(false);
  }
  void TearDown() override {
    RequestInterrupt(false);
    fs::remove_all(dir_);
  }
  fs::path Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return dir_ / name;
  }
  SweepOptions Options(const std::string& out, std::vector<std::string> vary) {
    SweepOptions o;
    o.scenario = Write("tiny.toml", kTiny).string();
    o.vary = std::move(vary);
    o.out = (dir_ / out).string();
    o.threads = 1;
    return o;
  }
  fs::path dir_;
};

// Lines of `csv` (after the header) whose first field is `point`.
std::vector<std::string> RowsOfPoint(const std::string& csv, int point) {
  std::vector<std::string> rows;
  std::stringstream ss(csv);
  std::string line;
  std::getline(ss, line);  // header
  while (std::getline(ss, line))
    if (line.rfind(std::to_string(point) + ",", 0) == 0) rows.push_back(line);
  return rows;
}

// metric value of `model` at `point` from sweep.csv (varied keys without
// commas).
double ValueAt(const std::string& csv, int point, const std::string& model,
               const std::string& metric, int keys) {
  for (const auto& row : RowsOfPoint(csv, point)) {
    std::vector<std::string> f;
    std::stringstream rs(row);
    std::string cell;
    while (std::getline(rs, cell, ',')) f.push_back(cell);
    if (f[1 + keys] == model && f[2 + keys] == metric) return std::stod(f[3 + keys]);
  }
  ADD_FAILURE() << "no " << model << " " << metric << " at point " << point;
  return 0;
}

// --- Plans -------------------------------------------------------------------

TEST(SweepValues, SplitAtTopLevelCommasOnly) {
  EXPECT_EQ(SplitSweepValues("0.5,1.0, 2", "f"), (std::vector<std::string>{"0.5", "1.0", "2"}));
  EXPECT_EQ(SplitSweepValues("[0,50,80,100],[0,60,80,100]", "f"),
            (std::vector<std::string>{"[0,50,80,100]", "[0,60,80,100]"}));
  EXPECT_EQ(SplitSweepValues("{mean=1,sd=0.5},{mean=2,sd=1}", "f"),
            (std::vector<std::string>{"{mean=1,sd=0.5}", "{mean=2,sd=1}"}));
  EXPECT_EQ(SplitSweepValues(R"("a,b",'c,d',"e\",f")", "f"),
            (std::vector<std::string>{R"("a,b")", "'c,d'", R"("e\",f")"}));
  EXPECT_EQ(SplitSweepValues("[[1,2],[3]],{a=[1,2]}", "f"),
            (std::vector<std::string>{"[[1,2],[3]]", "{a=[1,2]}"}));
  EXPECT_EQ(SplitSweepValues("7", "f"), (std::vector<std::string>{"7"}));
}

TEST(SweepValues, BadValuesNameTheFlag) {
  for (const char* bad : {"1,,2", "", "1,", ",1", "[1,2", "1]", "\"open", "abc", "1,2 3"}) {
    const std::string msg = ErrorOf([&] { SplitSweepValues(bad, "--vary k=x"); });
    EXPECT_NE(msg.find("--vary k=x"), std::string::npos) << bad << ": " << msg;
  }
  EXPECT_NE(ErrorOf([] { SplitSweepValues("1,,2", "f"); }).find("value 2 of 3 is empty"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseVaryFlag("noequals"); }).find("expected key.path=v1,v2"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseVaryFlag("=1,2"); }).find("expected key.path"), std::string::npos);
  const SweepKey k = ParseVaryFlag("models.std.points=[0,50,80,100],[0,60,80,100]");
  EXPECT_EQ(k.key, "models.std.points");
  EXPECT_EQ(k.values.size(), 2u);
}

TEST(SweepPlan, GridVariesTheFirstKeySlowest) {
  const SweepPlan plan = MakeSweepPlan({{"a", {"1", "2"}}, {"b", {"x", "y", "z"}}}, true, "t");
  ASSERT_EQ(plan.NumPoints(), 6);
  const std::vector<std::vector<std::string>> want = {{"1", "x"}, {"1", "y"}, {"1", "z"},
                                                      {"2", "x"}, {"2", "y"}, {"2", "z"}};
  for (int p = 1; p <= 6; ++p) EXPECT_EQ(plan.Values(p), want[p - 1]) << p;
  // Three keys: the last one fastest.
  const SweepPlan three =
      MakeSweepPlan({{"a", {"1", "2"}}, {"b", {"3", "4"}}, {"c", {"5", "6"}}}, true, "t");
  EXPECT_EQ(three.Values(1), (std::vector<std::string>{"1", "3", "5"}));
  EXPECT_EQ(three.Values(2), (std::vector<std::string>{"1", "3", "6"}));
  EXPECT_EQ(three.Values(3), (std::vector<std::string>{"1", "4", "5"}));
  EXPECT_EQ(three.Values(8), (std::vector<std::string>{"2", "4", "6"}));
}

TEST(SweepPlan, ZipPairsTheIthValues) {
  const SweepPlan plan =
      MakeSweepPlan({{"a", {"1", "2", "3"}}, {"b", {"x", "y", "z"}}}, false, "t");
  ASSERT_EQ(plan.NumPoints(), 3);
  EXPECT_EQ(plan.Values(1), (std::vector<std::string>{"1", "x"}));
  EXPECT_EQ(plan.Values(3), (std::vector<std::string>{"3", "z"}));
  const std::string msg = ErrorOf([] {
    MakeSweepPlan({{"a", {"1", "2", "3"}}, {"b", {"x", "y"}}}, false, "--vary");
  });
  EXPECT_NE(msg.find("a has 3, b has 2"), std::string::npos) << msg;
}

TEST(SweepPlan, RepeatedKeyIsAnError) {
  const std::string msg = ErrorOf([] {
    MakeSweepPlan({{"a", {"1"}}, {"b", {"2"}}, {"a", {"3"}}}, true, "--vary");
  });
  EXPECT_NE(msg.find("a is varied twice"), std::string::npos) << msg;
  EXPECT_NE(
      ErrorOf([] {
        MakeSweepPlan({{"scale.top_share", {"0.9"}}, {"scale.shares", {"[0.5,0.5]"}}}, true, "t");
      }).find("cannot both be varied"),
      std::string::npos);
}

TEST(SweepPlan, TopShareKeepsTheLowerGradesProportions) {
  // Lower grades 0.02 + 0.08 + 0.25 = 0.35 share the remaining 0.1.
  const std::vector<double> s = TopShareShares({0.02, 0.08, 0.25, 0.65}, 0.9, "t");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_DOUBLE_EQ(s[0], 0.02 / 0.35 * 0.1);
  EXPECT_DOUBLE_EQ(s[1], 0.08 / 0.35 * 0.1);
  EXPECT_DOUBLE_EQ(s[2], 0.25 / 0.35 * 0.1);
  EXPECT_DOUBLE_EQ(s[3], 0.9);
  for (double bad : {0.0, 1.0, -0.2, 1.5})
    EXPECT_NE(ErrorOf([&] {
                TopShareShares({0.1, 0.9}, bad, "scale.top_share=x");
              }).find("scale.top_share=x"),
              std::string::npos)
        << bad;
  EXPECT_NE(ErrorOf([] {
              TopShareShares({0.0, 0.0, 1.0}, 0.5, "t");
            }).find("no share to scale"),
            std::string::npos);

  // Through the plan: the override is scale.shares, and the scenario loads
  // with exactly these shares.
  const SweepPlan plan = MakeSweepPlan({LeniencyCurveKey()}, true, "t");
  ASSERT_EQ(plan.NumPoints(), 6);
  EXPECT_EQ(plan.Values(4), (std::vector<std::string>{"0.9"}));
  const auto ov = PointOverrides(plan, 4, {0.02, 0.08, 0.25, 0.65});
  ASSERT_EQ(ov.size(), 1u);
  EXPECT_EQ(ov[0].rfind("scale.shares=[", 0), 0u) << ov[0];
  const Scenario sc = ParseScenario(kTiny, "tiny.toml", ov);
  ASSERT_EQ(sc.shares.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(sc.shares[i], s[i]) << i;
  // A value that is not a number.
  const SweepPlan bad = MakeSweepPlan({{"scale.top_share", {"\"high\""}}}, true, "t");
  EXPECT_NE(ErrorOf([&] {
              PointOverrides(bad, 1, {0.5, 0.5});
            }).find("expected a number"),
            std::string::npos);
}

TEST(SweepPlan, IndependentSeedsAreDistinctAndLoadable) {
  std::set<uint64_t> seen;
  for (int p = 1; p <= 50; ++p) {
    const uint64_t s = IndependentPointSeed(7, p);
    EXPECT_LE(s, 9000000000000000000ULL);
    seen.insert(s);
  }
  EXPECT_EQ(seen.size(), 50u);
}

// --- [sweep] table -------------------------------------------------------------

TEST(SweepTable, ParsedIntoTheScenario) {
  const std::string text = std::string(kTiny) +
                           "\n[sweep]\ngrid = false\nvary = { \"raters.member.noise\" = [0.5, "
                           "1.0], \"models.standard.points\" = [[0, 50, 80, 100], [0, 60, 80, "
                           "100]] }\n";
  const Scenario s = ParseScenario(text, "t.toml");
  EXPECT_FALSE(s.sweep.grid);
  ASSERT_EQ(s.sweep.vary.size(), 2u);
  // toml++ keeps a table's keys sorted.
  EXPECT_EQ(s.sweep.vary[0].first, "models.standard.points");
  EXPECT_EQ(s.sweep.vary[0].second,
            (std::vector<std::string>{"[0, 50, 80, 100]", "[0, 60, 80, 100]"}));
  EXPECT_EQ(s.sweep.vary[1].first, "raters.member.noise");
  EXPECT_EQ(s.sweep.vary[1].second, (std::vector<std::string>{"0.5", "1.0"}));
  // Floats come back in their shortest form, and as floats.
  const Scenario f = ParseScenario(
      std::string(kTiny) + "\n[sweep]\nvary = { \"metrics.quota\" = [0.1, 3e-1] }\n", "t.toml");
  EXPECT_EQ(f.sweep.vary[0].second, (std::vector<std::string>{"0.1", "0.3"}));
  EXPECT_TRUE(f.sweep.grid);
}

TEST(SweepTable, BadTypesAreLocatedErrors) {
  const int line = static_cast<int>(std::count(kTiny, kTiny + std::strlen(kTiny), '\n')) + 3;
  struct Case {
    std::string body, want;
  };
  const std::vector<Case> cases = {
      {"vary = 3", "expected a table of key path"},
      {"vary = { \"raters.member.noise\" = 0.5 }", "expected an array of values"},
      {"vary = { raters.member.noise = [1] }", "quote a key path"},
      {"vary = { \"raters.member.noise\" = [] }", "is empty"},
      {"vary = { \"a\" = [1] }\ngrid = \"yes\"", "expected true or false"},
      {"vary = { \"a\" = [1], \"b\" = [1, 2] }\ngrid = false", "same number of values"},
      {"vary = { \"a\" = [1] }\nsteps = 3", "steps"},
  };
  for (const auto& c : cases) {
    const std::string text = std::string(kTiny) + "\n[sweep]\n" + c.body + "\n";
    const std::string msg = ErrorOf([&] { ParseScenario(text, "t.toml"); });
    EXPECT_NE(msg.find(c.want), std::string::npos) << c.body << ": " << msg;
    EXPECT_NE(msg.find("t.toml:"), std::string::npos) << c.body << ": " << msg;
    EXPECT_NE(msg.find("sweep"), std::string::npos) << c.body << ": " << msg;
  }
  // The line of the offending value.
  const std::string msg =
      ErrorOf([&] { ParseScenario(std::string(kTiny) + "\n[sweep]\nvary = 3\n", "t.toml"); });
  EXPECT_NE(msg.find(fmt::format("t.toml:{}:", line)), std::string::npos) << msg;
  EXPECT_NE(ErrorOf([&] {
              ParseScenario(std::string(kTiny) + "\n[sweep]\ngrid = true\n", "t.toml");
            }).find("missing required key `vary`"),
            std::string::npos);
}

// --- Summary -------------------------------------------------------------------

SweepRow Row(const std::string& model, const std::string& metric, double v) {
  return {model, metric, fmt::format("{}", v), "", "", v};
}

TEST(SweepSummary, NamesTheBestModelAndWhereItChanges) {
  const SweepPlan plan = MakeSweepPlan({{"k", {"1", "2", "3"}}}, true, "t");
  std::vector<SweepPoint> pts;
  const double a[] = {0.9, 0.8, 0.5}, b[] = {0.7, 0.75, 0.6};
  const double sa[] = {0.4, 0.5, 0.6}, sb[] = {0.3, 0.2, 0.1};
  for (int p = 1; p <= 3; ++p)
    pts.push_back(
        {p,
         plan.Values(p),
         {Row("A", "accuracy.kendall", a[p - 1]), Row("A", "stability.kendall", sa[p - 1]),
          Row("B", "accuracy.kendall", b[p - 1]), Row("B", "stability.kendall", sb[p - 1])}});
  const std::string s = SweepSummary(plan, pts, "head\n");
  EXPECT_EQ(s.rfind("head\n", 0), 0u);
  EXPECT_NE(s.find("accuracy.kendall: A best up to k=2; B from 3"), std::string::npos) << s;
  EXPECT_NE(s.find("stability.kendall: A best at every k (1 to 3)"), std::string::npos) << s;
  EXPECT_NE(s.find("accuracy.kendall: falls for every model; B turns in between at k=2\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("stability.kendall: rises for A; falls for B\n"), std::string::npos) << s;
  // Metrics nobody reports have no table.
  EXPECT_EQ(s.find("topk.precision"), std::string::npos) << s;
  // The table row of point 3 names B best; without intervals `close` is "-".
  EXPECT_NE(s.find("0.500  0.600  B     -\n"), std::string::npos) << s;
}

TEST(SweepSummary, CloseCountsModelsWhoseIntervalReachesTheBest) {
  const SweepPlan plan = MakeSweepPlan({{"k", {"1"}}}, true, "t");
  auto row = [](const std::string& model, double v, double lo, double hi) {
    return SweepRow{model,
                    "accuracy.kendall",
                    fmt::format("{}", v),
                    fmt::format("{}", lo),
                    fmt::format("{}", hi),
                    v};
  };
  // Best A [0.85, 0.95]; B reaches 0.86 >= 0.85 (close); C stops at 0.84 (not).
  std::vector<SweepPoint> pts = {
      {1,
       plan.Values(1),
       {row("A", 0.9, 0.85, 0.95), row("B", 0.8, 0.74, 0.86), row("C", 0.8, 0.76, 0.84)}}};
  const std::string s = SweepSummary(plan, pts, "");
  EXPECT_NE(s.find("0.900  0.800  0.800  A     1\n"), std::string::npos) << s;
}

TEST(SweepSummary, CrossingsRunAlongTheFirstKeyWithTheOthersFixed) {
  const SweepPlan plan = MakeSweepPlan({{"k", {"1", "2"}}, {"m", {"x", "y"}}}, true, "t");
  std::vector<SweepPoint> pts;
  // m = x: A then B; m = y: A throughout. Middle segments and ties too.
  const std::map<int, std::pair<double, double>> v = {
      {1, {0.9, 0.1}}, {2, {0.9, 0.1}}, {3, {0.1, 0.9}}, {4, {0.9, 0.9}}};
  for (int p = 1; p <= 4; ++p)
    pts.push_back(
        {p,
         plan.Values(p),
         {Row("A", "topk.precision", v.at(p).first), Row("B", "topk.precision", v.at(p).second)}});
  const std::string s = SweepSummary(plan, pts, "");
  EXPECT_NE(s.find("topk.precision [m=x]: A best up to k=1; B from 2"), std::string::npos) << s;
  EXPECT_NE(s.find("topk.precision [m=y]: A best up to k=1; A=B from 2"), std::string::npos) << s;
  EXPECT_NE(s.find("topk.precision [m=x]: rises for B; falls for A\n"), std::string::npos) << s;
  EXPECT_NE(s.find("topk.precision [m=y]: rises for B; unchanged for A\n"), std::string::npos) << s;
  // The same text on every line is said once.
  for (auto& pt : pts) {
    pt.rows[0].number = 0.9;
    pt.rows[1].number = 0.2;
  }
  const std::string once = SweepSummary(plan, pts, "");
  EXPECT_NE(once.find("  topk.precision: A best at every k (1 to 2), whatever m\n"),
            std::string::npos)
      << once;
  EXPECT_NE(once.find("  topk.precision: unchanged for every model, whatever m\n"),
            std::string::npos)
      << once;

  const SweepPlan five = MakeSweepPlan({{"k", {"1", "2", "3", "4", "5"}}}, true, "t");
  const double a[] = {1, 0, 0, 1, 1};
  pts.clear();
  for (int p = 1; p <= 5; ++p)
    pts.push_back({p,
                   five.Values(p),
                   {Row("A", "topk.precision", a[p - 1]), Row("B", "topk.precision", 0.5)}});
  const std::string s5 = SweepSummary(five, pts, "");
  EXPECT_NE(s5.find("A best up to k=1; B from 2 to 3; A from 4"), std::string::npos) << s5;
  // A falls then rises back: no net change, but it turns.
  EXPECT_NE(s5.find("topk.precision: unchanged for every model; A turns in between at k=2\n"),
            std::string::npos)
      << s5;
}

TEST(SweepCsvTest, QuotesCellsAndRoundTripsMetrics) {
  const std::string metrics =
      "model,metric,value,lo,hi\n\"a,b\",accuracy.kendall,0.5,0.25,0.75\nm,stability.rank_"
      "interval,0.125,,\n";
  const auto rows = ParsePointMetrics(metrics, "m.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].model, "a,b");
  EXPECT_DOUBLE_EQ(rows[0].number, 0.5);
  EXPECT_EQ(rows[1].lo, "");
  const SweepPlan plan = MakeSweepPlan({{"models.x.points", {"[0,50]"}}}, true, "t");
  EXPECT_EQ(SweepCsv(plan, {{1, plan.Values(1), rows}}),
            "point,models.x.points,model,metric,value,lo,hi\n"
            "1,\"[0,50]\",\"a,b\",accuracy.kendall,0.5,0.25,0.75\n"
            "1,\"[0,50]\",m,stability.rank_interval,0.125,,\n");
  EXPECT_NE(ErrorOf([] { ParsePointMetrics("a,b\n", "m.csv"); }).find("m.csv"), std::string::npos);
  EXPECT_NE(ErrorOf([] {
              ParsePointMetrics("model,metric,value,lo,hi\nx,y,abc,,\n", "m.csv");
            }).find("record 2"),
            std::string::npos);
  // The shared CSV reader: quoted newlines, CRLF line ends, and an
  // unterminated quote named by the line its record begins on.
  const auto crlf = ParsePointMetrics("model,metric,value,lo,hi\r\n\"a\nb\",m,1,,\r\n", "m.csv");
  ASSERT_EQ(crlf.size(), 1u);
  EXPECT_EQ(crlf[0].model, "a\nb");
  EXPECT_EQ(crlf[0].value, "1");
  EXPECT_NE(ErrorOf([] {
              ParsePointMetrics("model,metric,value,lo,hi\n\"x,y,1,,\n", "m.csv");
            }).find("m.csv:2: unterminated quoted field"),
            std::string::npos);
}

// --- Whole sweeps ----------------------------------------------------------------

TEST_F(Sweep, TheVariedValueReachesTheScenario) {
  // Even grade shares and no leniency spread; no noise vs heavy noise:
  // accuracy falls for both models.
  SweepOptions o =
      Options("noise", {"raters.superior.noise=0.0,10.0", "raters.member.noise=0.0,10.0"});
  o.overrides = {"scale.shares=[0.25,0.25,0.25,0.25]", "raters.member.leniency={mean=0.3,sd=0.0}"};
  o.zip = true;
  const SweepOutcome r = RunSweep(o);
  ASSERT_FALSE(r.interrupted);
  EXPECT_EQ(r.points_done, 2);
  const std::string csv = Slurp(dir_ / "noise" / "sweep.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "point,raters.superior.noise,raters.member.noise,model,metric,value,lo,hi");
  for (const char* model : {"standard", "median"}) {
    const double clean = ValueAt(csv, 1, model, "accuracy.kendall", 2);
    const double noisy = ValueAt(csv, 2, model, "accuracy.kendall", 2);
    EXPECT_GT(clean, noisy + 0.1) << model << " " << clean << " " << noisy;
  }
  EXPECT_NE(csv.find("\n1,0.0,0.0,standard,accuracy.kendall,"), std::string::npos) << csv;
  // Outputs.
  for (const char* f : {"sweep.csv", "summary.txt", "manifest.json", "points/001/metrics.csv",
                        "points/001/manifest.json", "points/002/metrics.csv"})
    EXPECT_TRUE(fs::exists(dir_ / "noise" / f)) << f;
  EXPECT_FALSE(fs::exists(dir_ / "noise.partial"));
  EXPECT_EQ(Slurp(dir_ / "noise" / "summary.txt"), r.summary);
  const auto man = nlohmann::json::parse(Slurp(dir_ / "noise" / "points/002/manifest.json"));
  EXPECT_EQ(man["point"], 2);
  EXPECT_EQ(man["point_overrides"][0], "raters.superior.noise=10.0");
  EXPECT_TRUE(man["wall_time"].contains("peak_memory_bytes"));
  // The rows of sweep.csv are the point's metrics.csv rows behind the
  // point and its values.
  std::string m2 = Slurp(dir_ / "noise" / "points/002/metrics.csv");
  m2 = m2.substr(m2.find('\n') + 1);
  std::string joined;
  for (const auto& row : RowsOfPoint(csv, 2)) {
    ASSERT_EQ(row.rfind("2,10.0,10.0,", 0), 0u) << row;
    joined += row.substr(12) + "\n";
  }
  EXPECT_EQ(joined, m2);
}

TEST_F(Sweep, UnknownKeyPathIsTheLoadersError) {
  const std::string msg = ErrorOf([&] { RunSweep(Options("x", {"raters.member.nosie=1,2"})); });
  EXPECT_NE(msg.find("raters.member.nosie"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sweep point 1 of 2"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(dir_ / "x.partial"));
  // A bad value at a later point stops the sweep before it runs.
  const std::string late =
      ErrorOf([&] { RunSweep(Options("y", {"raters.member.noise=1.0,-1.0"})); });
  EXPECT_NE(late.find("sweep point 2 of 2"), std::string::npos) << late;
  EXPECT_FALSE(fs::exists(dir_ / "y.partial"));
  // Unknown model names list the entries.
  SweepOptions o = Options("z", {"raters.member.noise=1.0"});
  o.models = {"standard", "mean"};
  const std::string models = ErrorOf([&] { RunSweep(o); });
  EXPECT_NE(models.find("\"mean\""), std::string::npos) << models;
  EXPECT_NE(models.find("standard, median"), std::string::npos) << models;
  // Nothing to vary.
  EXPECT_NE(ErrorOf([&] { RunSweep(Options("w", {})); }).find("nothing to vary"),
            std::string::npos);
  // --points outside the plan.
  SweepOptions p = Options("v", {"raters.member.noise=1.0,2.0"});
  p.points = {3};
  EXPECT_NE(ErrorOf([&] { RunSweep(p); }).find("outside 1..2"), std::string::npos);
}

TEST_F(Sweep, OnePointRerunAloneGivesTheSameRows) {
  const std::vector<std::string> vary = {"raters.member.noise=0.5,1.5",
                                         "models.standard.points=[0,60,80,100],[0,0,50,100]"};
  for (bool independent : {false, true}) {
    SweepOptions full = Options("full", vary);
    full.independent = independent;
    RunSweep(full);
    SweepOptions one = Options("one", vary);
    one.independent = independent;
    one.points = {3};
    const SweepOutcome r = RunSweep(one);
    EXPECT_EQ(r.points_done, 1);
    const std::string a = Slurp(dir_ / "full" / "sweep.csv"), b = Slurp(dir_ / "one" / "sweep.csv");
    ASSERT_FALSE(RowsOfPoint(a, 3).empty());
    EXPECT_EQ(RowsOfPoint(a, 3), RowsOfPoint(b, 3));
    EXPECT_TRUE(RowsOfPoint(b, 1).empty());
    EXPECT_EQ(Slurp(dir_ / "full" / "points/003/metrics.csv"),
              Slurp(dir_ / "one" / "points/003/metrics.csv"));
    EXPECT_FALSE(fs::exists(dir_ / "one" / "points/001"));
  }
}

TEST_F(Sweep, CommonSeedsByDefaultIndependentOnRequest) {
  // Two points with the same value: identical rows under common random
  // numbers, different rows under independent seeds.
  SweepOptions common = Options("c", {"raters.member.noise=1.0,1.0"});
  RunSweep(common);
  const std::string c = Slurp(dir_ / "c" / "sweep.csv");
  auto strip = [](std::vector<std::string> rows) {
    for (auto& r : rows) r = r.substr(r.find(',') + 1);
    return rows;
  };
  EXPECT_EQ(strip(RowsOfPoint(c, 1)), strip(RowsOfPoint(c, 2)));
  SweepOptions indep = Options("i", {"raters.member.noise=1.0,1.0"});
  indep.independent = true;
  RunSweep(indep);
  const std::string i = Slurp(dir_ / "i" / "sweep.csv");
  EXPECT_NE(strip(RowsOfPoint(i, 1)), strip(RowsOfPoint(i, 2)));
  const auto man = nlohmann::json::parse(Slurp(dir_ / "i" / "points/002/manifest.json"));
  EXPECT_EQ(man["seed"], IndependentPointSeed(7, 2));
}

TEST_F(Sweep, InterruptedThenResumedEqualsUninterrupted) {
  const std::vector<std::string> vary = {"raters.member.noise=0.5,1.0,1.5,2.0"};
  SweepOptions whole = Options("whole", vary);
  const SweepOutcome w = RunSweep(whole);
  ASSERT_EQ(w.points_done, 4);

  SweepOptions o = Options("cut", vary);
  o.stop_after_points = 2;
  const SweepOutcome cut = RunSweep(o);
  EXPECT_TRUE(cut.interrupted);
  EXPECT_FALSE(Interrupted());  // the test hook clears its flag
  EXPECT_EQ(cut.points_done, 2);
  EXPECT_EQ(cut.message, "evalsim: interrupted after 2 of 4 points; finished points are kept in " +
                             (dir_ / "cut.partial").string() +
                             "; rerun the same command with --resume to finish");
  EXPECT_FALSE(fs::exists(dir_ / "cut"));
  EXPECT_TRUE(fs::exists(dir_ / "cut.partial/sweep.json"));
  EXPECT_TRUE(fs::exists(dir_ / "cut.partial/points/002/metrics.csv"));
  EXPECT_FALSE(fs::exists(dir_ / "cut.partial/points/003"));

  // Without --resume: refused.
  o.stop_after_points = -1;
  EXPECT_NE(ErrorOf([&] { RunSweep(o); }).find("pass --resume"), std::string::npos);
  // A different override: refused, naming the field.
  SweepOptions other = o;
  other.resume = true;
  other.overrides = {"raters.superior.noise=0.9"};
  const std::string msg = ErrorOf([&] { RunSweep(other); });
  EXPECT_NE(msg.find("field \"overrides\" differs"), std::string::npos) << msg;
  SweepOptions seeds = o;
  seeds.resume = true;
  seeds.independent = true;
  EXPECT_NE(ErrorOf([&] { RunSweep(seeds); }).find("field \"seeds\" differs"), std::string::npos);

  o.resume = true;
  const SweepOutcome done = RunSweep(o);
  EXPECT_FALSE(done.interrupted);
  EXPECT_EQ(done.points_resumed, 2);
  EXPECT_EQ(done.points_done, 4);
  EXPECT_FALSE(fs::exists(dir_ / "cut.partial"));
  for (const char* f : {"sweep.csv", "summary.txt", "points/001/metrics.csv",
                        "points/003/metrics.csv", "points/004/metrics.csv"})
    EXPECT_EQ(Slurp(dir_ / "cut" / f), Slurp(dir_ / "whole" / f)) << f;
}

TEST_F(Sweep, OneAndTwoThreadsGiveTheSameBytes) {
  SweepOptions a = Options("t1", {"raters.member.noise=0.5,1.5"});
  SweepOptions b = Options("t2", {"raters.member.noise=0.5,1.5"});
  b.threads = 2;
  a.finish = b.finish = [](const fs::path& dir) { WriteReport(dir, dir / "report.html"); };
  RunSweep(a);
  RunSweep(b);
  ASSERT_TRUE(fs::exists(dir_ / "t1" / "report.html"));
  for (const char* f : {"sweep.csv", "summary.txt", "points/002/metrics.csv", "report.html"})
    EXPECT_EQ(Slurp(dir_ / "t1" / f), Slurp(dir_ / "t2" / f)) << f;
  for (const char* f : {"manifest.json", "points/001/manifest.json"}) {
    auto ma = nlohmann::json::parse(Slurp(dir_ / "t1" / f));
    auto mb = nlohmann::json::parse(Slurp(dir_ / "t2" / f));
    EXPECT_NE(ma["threads"], mb["threads"]) << f;
    for (auto* m : {&ma, &mb}) {
      m->erase("wall_time");
      m->erase("threads");
    }
    EXPECT_EQ(ma, mb) << f;
  }
}

TEST_F(Sweep, ScenarioTableGivesThePlanAndVaryReplacesIt) {
  const std::string text =
      std::string(kTiny) +
      "\n[sweep]\nvary = { \"raters.member.noise\" = [0.5, 2.0], \"metrics.quota\" = [0.1, 0.3] "
      "}\n";
  SweepOptions o;
  o.scenario = Write("table.toml", text).string();
  o.out = (dir_ / "tab").string();
  o.threads = 1;
  o.models = {"median"};
  RunSweep(o);
  const std::string csv = Slurp(dir_ / "tab" / "sweep.csv");
  // Sorted keys: metrics.quota first (slowest).
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "point,metrics.quota,raters.member.noise,model,metric,value,lo,hi");
  EXPECT_EQ(RowsOfPoint(csv, 2).front().substr(0, 15), "2,0.1,2.0,media");
  EXPECT_EQ(csv.find("standard"), std::string::npos);
  EXPECT_FALSE(RowsOfPoint(csv, 4).empty());

  o.vary = {"raters.superior.noise=0.1"};
  o.out = (dir_ / "cli").string();
  RunSweep(o);
  const std::string v = Slurp(dir_ / "cli" / "sweep.csv");
  EXPECT_EQ(v.substr(0, v.find('\n')), "point,raters.superior.noise,model,metric,value,lo,hi");
  EXPECT_TRUE(RowsOfPoint(v, 2).empty());
}

// --- The binary ----------------------------------------------------------------

TEST_F(Sweep, CommandLine) {
  const ::testing_util::CliResult help = Evalsim("sweep --help");
  EXPECT_EQ(help.code, 0);
  for (const char* flag :
       {"--vary", "--zip", "--leniency-curve", "--independent", "--models", "--points", "--out",
        "--threads", "--resume", "--set", "--seed", "--replicates"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;

  const std::string qs = std::string(EVALSIM_SOURCE_DIR) + "/scenarios/quickstart.toml";
  const fs::path out = dir_ / "qs";
  const ::testing_util::CliResult ok =
      Evalsim("sweep " + qs +
              " --leniency-curve --models standard,median,hao_share "
              "--replicates 4 --points 1,6 --threads 2 --out " +
              out.string());
  ASSERT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("crossings (where the best model changes along scale.top_share)"),
            std::string::npos)
      << ok.out;
  EXPECT_EQ(ok.out.rfind(Slurp(out / "summary.txt"), 0), 0u) << ok.out;
  const std::string csv = Slurp(out / "sweep.csv");
  EXPECT_FALSE(RowsOfPoint(csv, 6).empty());
  EXPECT_TRUE(RowsOfPoint(csv, 2).empty());
  EXPECT_NE(csv.find("\n6,0.98,standard,"), std::string::npos);

  const ::testing_util::CliResult bad =
      Evalsim("sweep " + qs + " --vary raters.member.nosie=1,2 --out " + (dir_ / "bad").string());
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("raters.member.nosie"), std::string::npos) << bad.out;
  const ::testing_util::CliResult split = Evalsim(
      "sweep " + qs + " --vary 'raters.member.noise=1,,2' --out " + (dir_ / "bad").string());
  EXPECT_EQ(split.code, 2) << split.out;
  EXPECT_NE(split.out.find("--vary raters.member.noise=1,,2"), std::string::npos) << split.out;

  fs::create_directories(dir_ / "stale.partial");
  const ::testing_util::CliResult stale = Evalsim(
      "sweep " + qs + " --leniency-curve --replicates 2 --out " + (dir_ / "stale").string());
  EXPECT_EQ(stale.code, 2) << stale.out;
  EXPECT_NE(stale.out.find("--resume"), std::string::npos) << stale.out;
}

}  // namespace
}  // namespace evalsim
