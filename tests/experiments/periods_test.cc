// Periods ([periods] and [[actions]], sim/experiments/periods.h): the rule
// of `times` in the last `window` periods on hand-made label histories; a
// stable truth without actions; a noise-free removal of the bottom share
// against the truncated-normal mean; escalation chains; and the command line
// (periods.csv, 1 and 2 threads byte-identical).
#include "sim/experiments/periods.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "sim/core/rng.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"
#include "tests/support/cli_util.h"

namespace evalsim {
namespace {

constexpr uint64_t kRed = 1, kYellow = 2;

TEST(ActionFires, CountsTheLabelInTheWindow) {
  // Periods 1..6: red, yellow, red, red, yellow, red.
  const std::vector<uint64_t> h = {kRed, kYellow, kRed, kRed, kYellow, kRed};
  // Three reds in the last four periods: periods 3, 4 and 6 in 3..6.
  EXPECT_TRUE(ActionFires(h, 6, 1, kRed, 3, 4));
  // Periods 2..5 hold two reds only.
  EXPECT_FALSE(ActionFires(h, 5, 1, kRed, 3, 4));
  // Two consecutive reds (times 2, window 2): periods 3 and 4.
  EXPECT_FALSE(ActionFires(h, 3, 1, kRed, 2, 2));
  EXPECT_TRUE(ActionFires(h, 4, 1, kRed, 2, 2));
  EXPECT_FALSE(ActionFires(h, 6, 1, kRed, 2, 2));
  // A window longer than the history counts what there is.
  EXPECT_TRUE(ActionFires(h, 1, 1, kRed, 1, 5));
  EXPECT_FALSE(ActionFires(h, 2, 1, kRed, 2, 5));
  // Only periods from `since` on count (after the last firing).
  EXPECT_FALSE(ActionFires(h, 6, 4, kRed, 3, 4));
  EXPECT_TRUE(ActionFires(h, 6, 4, kRed, 2, 4));
  // Either of two labels (bits), and a label no class gives (bit 0).
  EXPECT_TRUE(ActionFires(h, 5, 1, kRed | kYellow, 4, 4));
  EXPECT_FALSE(ActionFires(h, 6, 1, 0, 1, 6));
}

TEST(PeriodReplicate, KeepsPeriodOneOnTheReplicatesStreams) {
  EXPECT_EQ(PeriodReplicate(7, 1), 7);
  EXPECT_EQ(PeriodReplicate(7, 2), 7 + kPeriodStride);
  EXPECT_NE(PeriodReplicate(0, 2), PeriodReplicate(1, 1));
}

// A one-level organisation of n evaluees rated by one noisy group.
std::string Base(int n, const std::string& models, const std::string& tail) {
  return "name = \"t\"\nseed = 11\nreplicates = 4\n"
         "[scale]\nlabels = [\"a\", \"b\", \"c\", \"d\"]\nshares = [0.1, 0.2, 0.3, 0.4]\n"
         "[organisation]\nlevels = [{ name = \"unit\", count = " +
         std::to_string(n) +
         " }]\nevaluees = \"unit\"\n"
         "[[raters]]\ngroup = \"r\"\ncount = 5\nnoise = 0.7\nleniency = { sd = 0.3 }\n" +
         models + tail;
}

// Metric `metric` of `model` per period.
std::map<int, PeriodRow> Rows(const PeriodsResult& r, const std::string& model,
                              const std::string& metric) {
  std::map<int, PeriodRow> out;
  for (const PeriodRow& row : r.rows)
    if (row.model == model && row.metric == metric) out[row.period] = row;
  return out;
}

TEST(RunPeriods, StableTruthWithoutActionsKeepsEveryPeriodsQuality) {
  const Scenario s = ParseScenario(Base(30, "[[models]]\nname = \"m\"\nmodel = \"weighted_mean\"\n",
                                        "[periods]\ncount = 4\npersistence = 1\ninnovation = 0\n"),
                                   "t.toml");
  const Organisation org = BuildOrganisation(s);
  double mean = 0;
  for (double q : org.quality) mean += q / org.NumEvaluees();
  const auto q = Rows(RunPeriods(s, org, 2), "m", "quality.mean");
  ASSERT_EQ(q.size(), 4u);
  for (const auto& [t, row] : q) {
    EXPECT_NEAR(row.value, mean, 1e-12) << "period " << t;
    EXPECT_EQ(row.lo, row.value);  // the same truth in every replicate
    EXPECT_EQ(row.hi, row.value);
  }
}

TEST(RunPeriods, InnovationMovesTheTruth) {
  const Scenario s =
      ParseScenario(Base(30, "[[models]]\nname = \"m\"\nmodel = \"weighted_mean\"\n",
                         "[periods]\ncount = 3\npersistence = 0.5\ninnovation = 0.8\n"),
                    "t.toml");
  const auto q = Rows(RunPeriods(s, BuildOrganisation(s), 1), "m", "quality.mean");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q.at(1).lo, q.at(1).hi);
  EXPECT_LT(q.at(2).lo, q.at(2).hi);  // replicates now differ
}

// Noise-free removal: an indicator that is the true quality itself
// (loading 1), a composite of it, and the bottom share p replaced by fresh
// standard-normal draws. With quality ~ N(0, 1), the kept evaluees' mean is
// E[Z | Z > z_p] = phi(z_p) / (1 - p) and the fresh ones' is 0, so the mean
// after one removal is (1 - p) phi(z_p) / (1 - p) = phi(z_p), z_p the p
// quantile. The organisation is one draw of n evaluees, so two checks:
//  - against the organisation's own kept mean (the drawn values with the
//    bottom k removed, over n): only the fresh draws vary, sd 1 each, so
//    the mean over R replicates of their sum / n has sd sqrt(k / R) / n;
//  - against phi(z_p): the kept mean of n draws has sd below 1 / sqrt(n)
//    (the variance of Z 1{Z > z_p} is below E[Z^2] = 1).
// Both are checked at 5 sd (a false failure about 1 in 1.7 million).
TEST(RunPeriods, NoiseFreeRemovalRaisesTheMeanByTheTruncatedNormalAmount) {
  const int n = 4000, R = 16;
  const double p = 0.1;
  const std::string models =
      "[[indicators]]\nname = \"x\"\nloading = 1.0\n"
      "[[models]]\nname = \"exact\"\nmodel = \"composite\"\n"
      "classes = { bottom_share = 0.1, bottom_label = \"out\", ties = \"break\" }\n"
      "[metrics]\nbottom = 0.1\n";
  const std::string tail =
      "[periods]\ncount = 2\n"
      "[[actions]]\nname = \"remove\"\nwhen = \"out\"\neffect = \"replace\"\n";
  Scenario s = ParseScenario(Base(n, models, tail), "t.toml", {"replicates=16"});
  const Organisation org = BuildOrganisation(s);
  const PeriodsResult r = RunPeriods(s, org, 2);
  std::vector<double> q = org.quality;
  std::sort(q.begin(), q.end());
  const int k = static_cast<int>(std::ceil(p * n));
  double kept = 0;
  for (int i = k; i < n; ++i) kept += q[i] / n;
  const double after = Rows(r, "exact", "quality.mean").at(2).value;
  EXPECT_NEAR(after, kept, 5 * std::sqrt(static_cast<double>(k) / R) / n);
  const double zp = NormalQuantile(p);
  const double closed = std::exp(-0.5 * zp * zp) / std::sqrt(2 * M_PI);  // 0.1755
  EXPECT_NEAR(after, closed, 5 / std::sqrt(static_cast<double>(n)));
  // Every removal hit the true bottom tenth ([metrics] bottom): none
  // wrongful, all of the bottom.
  EXPECT_EQ(Rows(r, "exact", "actions.count").at(1).value, k);
  EXPECT_EQ(Rows(r, "exact", "actions.wrongful").at(1).value, 0);
  EXPECT_EQ(Rows(r, "exact", "action.remove.p_fires.bottom").at(1).value, 1);
  EXPECT_EQ(Rows(r, "exact", "action.remove.p_fires.average").at(1).value, 0);
  EXPECT_EQ(Rows(r, "exact", "action.remove.p_fires.decile1").at(1).value, 1);
  EXPECT_EQ(Rows(r, "exact", "action.remove.detected").at(1).value, 1);
  EXPECT_EQ(Rows(r, "exact", "action.remove.delay").at(2).value, 1);
}

// Everybody gets the default label every period: an escalation that needs
// it twice in two periods fires in periods 2 and 4 (the periods before a
// firing do not count again), and an action on the escalated label follows
// it in the same period.
TEST(RunPeriods, EscalationChainsFireOnTheEscalatedLabel) {
  const int n = 12;
  const std::string models =
      "[[models]]\nname = \"m\"\nmodel = \"weighted_mean\"\n"
      "classes = { bands = [{ label = \"黄\" }] }\n"
      "[[models]]\nname = \"none\"\nmodel = \"weighted_mean\"\n";
  const std::string tail =
      "[periods]\ncount = 5\n"
      "[[actions]]\nname = \"talk\"\nwhen = \"黄\"\ntimes = 2\nwindow = 2\neffect = \"label\"\n"
      "label = \"约谈\"\ncost = 2\n"
      "[[actions]]\nname = \"fix\"\nwhen = \"约谈\"\neffect = \"improve\"\nshift = 0.5\n";
  const Scenario s = ParseScenario(Base(n, models, tail), "t.toml");
  const PeriodsResult r = RunPeriods(s, BuildOrganisation(s), 2);
  const auto talk = Rows(r, "m", "action.talk.count");
  const auto fix = Rows(r, "m", "action.fix.count");
  const auto q = Rows(r, "m", "quality.mean");
  for (int t = 1; t <= 5; ++t) {
    const double want = t == 2 || t == 4 ? n : 0;
    EXPECT_EQ(talk.at(t).value, want) << t;
    EXPECT_EQ(fix.at(t).value, want) << t;
    EXPECT_EQ(Rows(r, "m", "actions.count").at(t).value, 2 * want) << t;
    EXPECT_EQ(Rows(r, "m", "actions.cost").at(t).value, 2 * want) << t;
  }
  EXPECT_NEAR(q.at(3).value - q.at(1).value, 0.5, 1e-12);
  EXPECT_NEAR(q.at(5).value - q.at(1).value, 1.0, 1e-12);
  // The entry without classes never acts: the baseline.
  EXPECT_EQ(Rows(r, "none", "actions.count").at(4).value, 0);
  EXPECT_NEAR(Rows(r, "none", "quality.mean").at(5).value, q.at(1).value, 1e-12);
}

// A cap feeds the label histories: every branch's own class is 好, every
// town's 较差, and the cap { 较差 = 一般 } moves all the branches to 一般,
// so the action on 一般 fires on every branch of the capped entry and on
// none of the free one.
TEST(RunPeriods, CappedLabelsFeedTheActions) {
  const std::string org =
      "name = \"t\"\nseed = 11\nreplicates = 2\n"
      "[scale]\nlabels = [\"a\", \"b\", \"c\", \"d\"]\nshares = [0.1, 0.2, 0.3, 0.4]\n"
      "[organisation]\nlevels = [{ name = \"town\", count = 3 }, { name = \"branch\", count = 4 "
      "}]\nevaluees = \"branch\"\n"
      "[[raters]]\ngroup = \"r\"\ncount = 5\nnoise = 0.7\n";
  const std::string bands = "bands = [{ min = -1e9, label = \"好\" }, { label = \"一般\" }]";
  const std::string models =
      "[[models]]\nname = \"capped\"\nmodel = \"weighted_mean\"\nclasses = { " + bands +
      ", parent = { level = \"town\", bands = [{ label = \"较差\" }] }, cap = { \"较差\" = "
      "\"一般\" } }\n"
      "[[models]]\nname = \"free\"\nmodel = \"weighted_mean\"\nclasses = { " +
      bands + " }\n";
  const std::string tail =
      "[periods]\ncount = 2\npersistence = 1\ninnovation = 0\n"
      "[[actions]]\nname = \"help\"\nwhen = \"一般\"\neffect = \"improve\"\nshift = 0.5\n";
  const Scenario s = ParseScenario(org + models + tail, "t.toml");
  const PeriodsResult r = RunPeriods(s, BuildOrganisation(s), 1);
  EXPECT_EQ(Rows(r, "capped", "action.help.count").at(1).value, 12);
  EXPECT_EQ(Rows(r, "free", "action.help.count").at(1).value, 0);
  EXPECT_NEAR(
      Rows(r, "capped", "quality.mean").at(2).value - Rows(r, "free", "quality.mean").at(2).value,
      0.5, 1e-12);
}

class PeriodsCliTest : public testing_util::TempDirTest {};

TEST_F(PeriodsCliTest, PeriodsCsvIsTheSameOnOneAndTwoThreads) {
  const std::string common =
      "run " + ScenarioPath("forced_distribution_years.toml") + " --replicates 6";
  const auto a = testing_util::Evalsim(common + " --threads 1 --out " + (dir_ / "a").string());
  ASSERT_EQ(a.code, 0) << a.out;
  const auto b = testing_util::Evalsim(common + " --threads 2 --out " + (dir_ / "b").string());
  ASSERT_EQ(b.code, 0) << b.out;
  const std::string csv = testing_util::Slurp(dir_ / "a" / "periods.csv");
  EXPECT_EQ(csv.rfind("period,model,metric,value,lo,hi\n1,no_removal,quality.mean,", 0), 0u)
      << csv.substr(0, 200);
  EXPECT_EQ(csv, testing_util::Slurp(dir_ / "b" / "periods.csv"));
  EXPECT_NE(a.out.find("over 5 periods"), std::string::npos) << a.out;
}

// The one-period outputs of a run with [periods] are those of the same
// scenario without it: period 1 is that appraisal, and the periods draw from
// streams of their own.
TEST_F(PeriodsCliTest, PeriodsLeaveTheOnePeriodOutputsAlone) {
  const std::string with = testing_util::Slurp(ScenarioPath("forced_distribution_years.toml"));
  const size_t at = with.find("\n[periods]");
  ASSERT_NE(at, std::string::npos);
  const std::filesystem::path without = dir_ / "without.toml";
  {
    std::ofstream f(without);
    f << with.substr(0, at + 1);
  }
  const std::string flags = " --replicates 3 --threads 2 --out ";
  const auto a = testing_util::Evalsim("run " + ScenarioPath("forced_distribution_years.toml") +
                                       flags + (dir_ / "a").string());
  ASSERT_EQ(a.code, 0) << a.out;
  const auto b = testing_util::Evalsim("run " + without.string() + flags + (dir_ / "b").string());
  ASSERT_EQ(b.code, 0) << b.out;
  for (const char* f : {"metrics.csv", "scores.csv", "evaluees.csv", "fairness.csv"})
    EXPECT_EQ(testing_util::Slurp(dir_ / "a" / f), testing_util::Slurp(dir_ / "b" / f)) << f;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "a" / "periods.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "b" / "periods.csv"));
}

TEST_F(PeriodsCliTest, RunWithoutPeriodsWritesNoPeriodsCsv) {
  const auto a = testing_util::Evalsim("run " + ScenarioPath("quickstart.toml") +
                                       " --replicates 2 --out " + (dir_ / "a").string());
  ASSERT_EQ(a.code, 0) << a.out;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "a" / "periods.csv"));
}

}  // namespace
}  // namespace evalsim
