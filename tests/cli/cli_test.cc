// The command line end to end: exit codes, messages, atomic outputs, and
// byte-identical results whatever the thread count.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/cli_util.h"

namespace {

namespace fs = std::filesystem;

using ::testing_util::Evalsim;
using ::testing_util::Slurp;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("evalsim_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return dir_ / name;
  }
  std::string Quickstart() const {
    return std::string(EVALSIM_SOURCE_DIR) + "/scenarios/quickstart.toml";
  }
  fs::path dir_;
};

TEST_F(Cli, RunIsByteIdenticalForOneAndTwoThreads) {
  const auto a = dir_ / "a", b = dir_ / "b";
  ::testing_util::CliResult ra =
      Evalsim("run " + Quickstart() + " --replicates 6 --threads 1 --out " + a.string());
  ASSERT_EQ(ra.code, 0) << ra.out;
  ::testing_util::CliResult rb =
      Evalsim("run " + Quickstart() + " --replicates 6 --threads 2 --out " + b.string());
  ASSERT_EQ(rb.code, 0) << rb.out;
  for (const char* f : {"metrics.csv", "scores.csv", "evaluees.csv", "report.html"}) {
    ASSERT_TRUE(fs::exists(a / f)) << f;
    EXPECT_EQ(Slurp(a / f), Slurp(b / f)) << f;
  }
  // The manifests differ only in wall-time fields and the thread count.
  auto ma = nlohmann::json::parse(Slurp(a / "manifest.json"));
  auto mb = nlohmann::json::parse(Slurp(b / "manifest.json"));
  for (auto* m : {&ma, &mb}) {
    m->erase("wall_time");
    m->erase("threads");
  }
  EXPECT_EQ(ma, mb);
  EXPECT_EQ(ma["replicates"], 6);
  EXPECT_EQ(ma["scenario_sha256"].get<std::string>().size(), 64u);
  EXPECT_NE(ra.out.find("acc.kendall"), std::string::npos) << ra.out;
}

TEST_F(Cli, BadScenarioExitsTwoWithLocationAndWritesNothing) {
  const auto bad = Write("bad.toml", Slurp(Quickstart()) + "\nbogus = 1\n");
  const auto out = dir_ / "out";
  ::testing_util::CliResult r = Evalsim("run " + bad.string() + " --out " + out.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find(bad.string() + ":"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bogus: unknown key"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
  // Nothing left beside it either (no temporary directories).
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir_)) entries += e.path() != bad;
  EXPECT_EQ(entries, 0);
}

TEST_F(Cli, MissingFileAndBadFlagsExitTwo) {
  ::testing_util::CliResult r = Evalsim("run " + (dir_ / "nope.toml").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("nope.toml: cannot open"), std::string::npos) << r.out;
  EXPECT_EQ(Evalsim("run").code, 2);
  EXPECT_EQ(Evalsim("frobnicate").code, 2);
  EXPECT_EQ(Evalsim("run " + Quickstart() + " --threads -3").code, 2);
  ::testing_util::CliResult s = Evalsim(
      "run " + Quickstart() + " --set raters.member.noise=-1 --out " + (dir_ / "o").string());
  EXPECT_EQ(s.code, 2);
  EXPECT_NE(s.out.find("raters.member.noise"), std::string::npos) << s.out;
}

TEST_F(Cli, UnwritableOutExitsTwo) {
  const auto file = Write("plain", "x");
  ::testing_util::CliResult r =
      Evalsim("run " + Quickstart() + " --replicates 2 --out " + (file / "sub").string());
  EXPECT_EQ(r.code, 2) << r.out;
}

TEST_F(Cli, RerunReplacesOutputDirectory) {
  const auto out = dir_ / "o";
  ASSERT_EQ(Evalsim("run " + Quickstart() + " --replicates 2 --out " + out.string()).code, 0);
  ASSERT_EQ(Evalsim("run " + Quickstart() + " --replicates 4 --out " + out.string()).code, 0);
  auto m = nlohmann::json::parse(Slurp(out / "manifest.json"));
  EXPECT_EQ(m["replicates"], 4);
}

TEST_F(Cli, GenerateThenScoreMatchesTheRun) {
  const auto gen = dir_ / "gen";
  ::testing_util::CliResult g = Evalsim("generate " + Quickstart() + " --out " + gen.string());
  ASSERT_EQ(g.code, 0) << g.out;
  ASSERT_TRUE(fs::exists(gen / "ballots.csv"));
  ASSERT_TRUE(fs::exists(gen / "truth.csv"));
  const auto scores = dir_ / "scores.csv";
  ::testing_util::CliResult s =
      Evalsim("score --model weighted_mean --ballots " + (gen / "ballots.csv").string() +
              " --set 'group_weights={superior=0.3,peer=0.2,member=0.5}'"
              " --set 'points=[40,60,80,100]' --out " +
              scores.string());
  ASSERT_EQ(s.code, 0) << s.out;
  // The run's replicate 1 of the "standard" model used the same ballots, the
  // same points and the same weights, so it must give the same score to every
  // evaluee.
  const auto run = dir_ / "run";
  ASSERT_EQ(Evalsim("run " + Quickstart() + " --replicates 1 --out " + run.string()).code, 0);
  std::map<std::string, std::string> from_score, from_run;
  std::istringstream a(Slurp(scores)), b(Slurp(run / "scores.csv"));
  std::string line;
  std::getline(a, line);
  EXPECT_EQ(line, "ratee,score,rank");
  while (std::getline(a, line)) {
    const auto c1 = line.find(','), c2 = line.find(',', c1 + 1);
    from_score[line.substr(0, c1)] = line.substr(c1 + 1, c2 - c1 - 1);
  }
  // scores.csv: replicate,model,ratee,district,score,...
  std::getline(b, line);
  EXPECT_EQ(line.rfind("replicate,model,ratee,district,score,", 0), 0u) << line;
  while (std::getline(b, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) f.push_back(cell);
    if (f.size() >= 5 && f[1] == "standard") from_run[f[2]] = f[4];
  }
  ASSERT_FALSE(from_run.empty());
  EXPECT_EQ(from_score, from_run);
}

// A scenario with a phone poll on a scale of its own: `score --preset` on
// the generated ballots (with its `scale` column and dont_know cells) gives
// the run's replicate-1 scores of the entry that uses the same preset.
TEST_F(Cli, GenerateThenScoreWithAScalePerGroup) {
  const auto gen = dir_ / "gen";
  const std::string scenario =
      std::string(EVALSIM_SOURCE_DIR) + "/scenarios/public_poll_towns.toml --set replicates=1";
  ASSERT_EQ(Evalsim("generate " + scenario + " --out " + gen.string()).code, 0);
  const std::string ballots = Slurp(gen / "ballots.csv");
  EXPECT_EQ(ballots.rfind("rater,ratee,grade,group,scale\n", 0), 0u);
  EXPECT_NE(ballots.find(",dont_know,public,satisfaction\n"), std::string::npos);
  const auto scores = dir_ / "scores.csv";
  ::testing_util::CliResult s =
      Evalsim("score --preset public_poll_6_4 --ballots " + (gen / "ballots.csv").string() +
              " --out " + scores.string());
  ASSERT_EQ(s.code, 0) << s.out;
  const auto run = dir_ / "run";
  ASSERT_EQ(Evalsim("run " + scenario + " --out " + run.string()).code, 0);
  std::map<std::string, std::string> from_score, from_run;
  std::istringstream a(Slurp(scores)), b(Slurp(run / "scores.csv"));
  std::string line;
  std::getline(a, line);
  while (std::getline(a, line)) {
    const auto c1 = line.find(','), c2 = line.find(',', c1 + 1);
    from_score[line.substr(0, c1)] = line.substr(c1 + 1, c2 - c1 - 1);
  }
  std::getline(b, line);
  while (std::getline(b, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) f.push_back(cell);
    if (f.size() >= 5 && f[1] == "combined_6_4") from_run[f[2]] = f[4];
  }
  ASSERT_FALSE(from_run.empty());
  EXPECT_EQ(from_score, from_run);
  // A model that pools every grade on one scale refuses the file.
  ::testing_util::CliResult m =
      Evalsim("score --model median --ballots " + (gen / "ballots.csv").string());
  EXPECT_EQ(m.code, 2);
  EXPECT_NE(m.out.find("reads every ballot on one 4-grade scale"), std::string::npos) << m.out;
}

TEST_F(Cli, ScoreErrors) {
  const auto csv = Write("r.csv", "rater,ratee,grade\na,x,3\nb,x,7x\n");
  ::testing_util::CliResult r = Evalsim("score --model weighted_mean --ballots " + csv.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("r.csv:3"), std::string::npos) << r.out;
  ::testing_util::CliResult m = Evalsim("score --model nope --ballots " + csv.string());
  EXPECT_EQ(m.code, 2);
  EXPECT_NE(m.out.find("available models"), std::string::npos) << m.out;
  const auto ok = Write("ok.csv", "rater,ratee,grade\na,x,3\nb,x,2\na,y,1\n");
  ::testing_util::CliResult u =
      Evalsim("score --model weighted_mean --ballots " + ok.string() + " --set bogus=1");
  EXPECT_EQ(u.code, 2);
  EXPECT_NE(u.out.find("bogus"), std::string::npos) << u.out;
  // levels=5 with four points: one point per grade is required.
  ::testing_util::CliResult v = Evalsim("score --model weighted_mean --ballots " + ok.string() +
                                        " --set levels=5 --set 'points=[0,60,80,100]'");
  EXPECT_EQ(v.code, 2) << v.out;
  EXPECT_NE(v.out.find("points"), std::string::npos) << v.out;
  // levels=3 but a grade 3 in the file.
  ::testing_util::CliResult w =
      Evalsim("score --model weighted_mean --ballots " + ok.string() + " --set levels=3");
  EXPECT_EQ(w.code, 2) << w.out;
}

TEST_F(Cli, ModelsListsEveryModelAndPreset) {
  ::testing_util::CliResult r = Evalsim("models");
  EXPECT_EQ(r.code, 0);
  for (const char* name :
       {"weighted_mean", "approval", "trimmed_mean", "median", "points_100_80_60_40",
        "hao_share_legacy", "top2_share_gate", "quota_forced", "trimmed_numeric"})
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
}

TEST_F(Cli, ValidateReportsTheSize) {
  ::testing_util::CliResult r = Evalsim("validate " + Quickstart());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("ok"), std::string::npos);
  EXPECT_NE(r.out.find("evaluees"), std::string::npos);
}

std::string Scenario(const std::string& name) {
  return std::string(EVALSIM_SOURCE_DIR) + "/scenarios/" + name;
}

// Anchoring, conformity and "don't know" ballots draw from keyed streams:
// the run is the same at any thread count.
TEST_F(Cli, BallotFormRunsAreByteIdenticalForOneAndTwoThreads) {
  const auto a = dir_ / "a", b = dir_ / "b";
  const std::string base =
      "run " + Scenario("public_poll_towns.toml") +
      " --replicates 4 --set raters.onsite.conformity=0.3"
      " --set raters.onsite.anchor=0.4 --set 'raters.onsite.anchor_to=\"public\"'"
      " --out ";
  ASSERT_EQ(Evalsim(base + a.string() + " --threads 1").code, 0);
  ASSERT_EQ(Evalsim(base + b.string() + " --threads 2").code, 0);
  for (const char* f : {"metrics.csv", "scores.csv", "evaluees.csv"})
    EXPECT_EQ(Slurp(a / f), Slurp(b / f)) << f;
}

TEST_F(Cli, ComparisonAndIndicatorRunsAreByteIdenticalForOneAndTwoThreads) {
  for (const char* scenario : {"horse_race.toml", "composite_index.toml"}) {
    const auto a = dir_ / "a", b = dir_ / "b";
    const std::string base = "run " + Scenario(scenario) + " --replicates 4 --out ";
    ::testing_util::CliResult ra = Evalsim(base + a.string() + " --threads 1");
    ASSERT_EQ(ra.code, 0) << ra.out;
    ::testing_util::CliResult rb = Evalsim(base + b.string() + " --threads 2");
    ASSERT_EQ(rb.code, 0) << rb.out;
    for (const char* f : {"metrics.csv", "scores.csv", "parameters.csv"})
      EXPECT_EQ(Slurp(a / f), Slurp(b / f)) << scenario << " " << f;
    if (std::string(scenario) == "composite_index.toml") {
      // The [uncertainty] Monte Carlo writes its two tables.
      for (const char* f : {"uncertainty.csv", "sensitivity.csv"}) {
        ASSERT_TRUE(fs::exists(a / f)) << f;
        EXPECT_EQ(Slurp(a / f), Slurp(b / f)) << f;
      }
      EXPECT_EQ(Slurp(a / "sensitivity.csv").rfind("choice,first_order,share\n", 0), 0u);
    }
    fs::remove_all(a);
    fs::remove_all(b);
  }
}

TEST_F(Cli, GeneratedComparisonsAndIndicatorsScoreFromTheirFiles) {
  const auto g = dir_ / "g", h = dir_ / "h";
  ASSERT_EQ(Evalsim("generate " + Scenario("horse_race.toml") + " --out " + g.string()).code, 0);
  ASSERT_TRUE(fs::exists(g / "pairwise.csv"));
  ::testing_util::CliResult bt = Evalsim(
      "score --model bradley_terry --format pairwise --ballots " + (g / "pairwise.csv").string());
  EXPECT_EQ(bt.code, 0) << bt.out;
  EXPECT_NE(bt.out.find("ratee,score,rank,se\n"), std::string::npos) << bt.out;
  // A ranking rule cannot read pairwise comparisons.
  ::testing_util::CliResult borda =
      Evalsim("score --model borda --format pairwise --ballots " + (g / "pairwise.csv").string());
  EXPECT_EQ(borda.code, 2) << borda.out;
  EXPECT_NE(borda.out.find("reads rankings"), std::string::npos) << borda.out;

  ASSERT_EQ(Evalsim("generate " + Scenario("composite_index.toml") + " --out " + h.string()).code,
            0);
  ASSERT_TRUE(fs::exists(h / "indicators.csv"));
  ::testing_util::CliResult topsis = Evalsim("score --model topsis --format indicators --ballots " +
                                             (h / "indicators.csv").string());
  EXPECT_EQ(topsis.code, 0) << topsis.out;
  ::testing_util::CliResult entropy =
      Evalsim("weights --method entropy --ballots " + (h / "indicators.csv").string());
  ASSERT_EQ(entropy.code, 0) << entropy.out;
  const auto j = nlohmann::json::parse(entropy.out);
  double sum = 0;
  for (double w : j["weights"]) sum += w;
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_EQ(j["names"].size(), 8u);
}

// Debian's 2012 leader election (PrefLib 00002-00000007): Stefano Zacchiroli
// won (https://www.debian.org/vote/2012/vote_001, Condorcet winner).
TEST_F(Cli, ScoresAPreflibFile) {
  const std::string file =
      std::string(EVALSIM_SOURCE_DIR) + "/tests/data/preflib/00002-00000007.soi";
  for (const char* model : {"schulze", "copeland", "kemeny"}) {
    ::testing_util::CliResult r =
        Evalsim(std::string("score --model ") + model + " --format preflib --ballots " + file +
                " --out " + (dir_ / "s.csv").string());
    ASSERT_EQ(r.code, 0) << r.out;
    const std::string csv = Slurp(dir_ / "s.csv");
    EXPECT_EQ(csv.rfind("ratee,score,rank\nStefano Zacchiroli,", 0), 0u) << model << "\n" << csv;
  }
}

TEST_F(Cli, AhpPrintsWeightsAndRefusesABadMatrix) {
  const auto good = Write("good.csv", ",a,b\na,1,3\nb,1/3,1\n");
  ::testing_util::CliResult r = Evalsim("ahp " + good.string());
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["weights"][0].get<double>(), 0.75, 1e-12);
  EXPECT_NEAR(j["weights"][1].get<double>(), 0.25, 1e-12);
  EXPECT_NEAR(j["cr"].get<double>(), 0.0, 1e-12);
  const auto bad = Write("bad.csv", ",a,b\na,1,3\nb,1/2,1\n");
  ::testing_util::CliResult rb = Evalsim("ahp " + bad.string());
  EXPECT_EQ(rb.code, 2) << rb.out;
  EXPECT_NE(rb.out.find("bad.csv:3:"), std::string::npos) << rb.out;
  EXPECT_NE(rb.out.find("reciprocal"), std::string::npos) << rb.out;
  ::testing_util::CliResult ri = Evalsim("ahp " + good.string() + " --random-index nope");
  EXPECT_EQ(ri.code, 2) << ri.out;
}

TEST_F(Cli, RunModelsKeepsOnlyTheNamedEntries) {
  const auto out = dir_ / "some";
  ::testing_util::CliResult r = Evalsim(
      "run " + Quickstart() + " --replicates 2 --models median,standard --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string metrics = Slurp(out / "metrics.csv");
  EXPECT_NE(metrics.find("\nstandard,"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nmedian,"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("hao_share"), std::string::npos) << metrics;
  // Scenario order, whatever the flag's order.
  EXPECT_LT(metrics.find("\nstandard,"), metrics.find("\nmedian,"));
  auto man = nlohmann::json::parse(Slurp(out / "manifest.json"));
  ASSERT_EQ(man["models"].size(), 2u);
  EXPECT_EQ(man["models"][0]["name"], "standard");

  r = Evalsim("run " + Quickstart() + " --models nosuch --out " + (dir_ / "none").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("no [[models]] entry is named \"nosuch\""), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "none"));
}

// Every file of a run directory but report.html (it embeds the wall times),
// with manifest.json's run-to-run fields left out.
std::map<std::string, std::string> RunFiles(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename() == "report.html") continue;
    std::string text = Slurp(entry.path());
    if (entry.path().filename() == "manifest.json") {
      auto m = nlohmann::json::parse(text);
      for (const char* k : {"wall_time", "threads", "memory_estimate_bytes"}) m.erase(k);
      text = m.dump(1);
    }
    files[fs::relative(entry.path(), dir).string()] = std::move(text);
  }
  return files;
}

// A split run in one process (one part) scores every model from the merged
// slot counts: the files are those of the ordinary run. (Several parts are
// checked under mpirun: tests/mpi/mpi_test.py.)
TEST_F(Cli, SplitReplicatesInOneProcessWritesTheOrdinaryRunsFiles) {
  const std::vector<std::string> runs = {
      Quickstart() + " --replicates 3",
      Scenario("veto_overlay.toml") + " --replicates 2",
      Scenario("public_poll_towns.toml") + " --replicates 2",
      Scenario("canvassing_collusion.toml") + " --replicates 2",  // blocs: the bloc-free rerun
      Quickstart() +
          " --replicates 2 --set 'meetings.absence=[0.0,0.4]' --set meetings.quorum=0.7"
          " --set meetings.max_top=12",
      Scenario("national_member_appraisal.toml") +
          " --set organisation.levels.province.count=3"
          " --set organisation.levels.committee.count=[4,8]"
          " --models points,youxiu_share,median,bayes,adjusted,points_branch",
      Scenario("rater_severity.toml") +
          " --replicates 2 --models standard,pooled_mean,hao_share,trimmed,median,bayes,adjusted"};
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto a = dir_ / ("plain" + std::to_string(i)), b = dir_ / ("split" + std::to_string(i));
    ::testing_util::CliResult ra = Evalsim("run " + runs[i] + " --threads 1 --out " + a.string());
    ASSERT_EQ(ra.code, 0) << ra.out;
    ::testing_util::CliResult rb =
        Evalsim("run " + runs[i] + " --split-replicates --threads 2 --out " + b.string());
    ASSERT_EQ(rb.code, 0) << rb.out;
    const auto fa = RunFiles(a), fb = RunFiles(b);
    ASSERT_GE(fa.size(), 5u) << runs[i];
    for (const auto& [name, text] : fa) {
      ASSERT_TRUE(fb.count(name)) << runs[i] << ": " << name;
      EXPECT_TRUE(fb.at(name) == text) << runs[i] << ": " << name << " differs";
    }
    EXPECT_EQ(fa.size(), fb.size()) << runs[i];
  }
}

TEST_F(Cli, SplitReplicatesRefusesAModelThatNeedsEveryBallot) {
  const auto out = dir_ / "refused";
  ::testing_util::CliResult r = Evalsim("run " + Scenario("complete_design.toml") +
                                        " --split-replicates --out " + out.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("complete_design.toml: --split-replicates: models."), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("needs every ballot"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out));
}

// The records of a CSV file as maps column -> cell (no quoting in the
// files read here).
std::vector<std::map<std::string, std::string>> ReadRows(const fs::path& p) {
  std::istringstream in(Slurp(p));
  std::string line;
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  const auto split = [](const std::string& l) {
    std::vector<std::string> f;
    size_t start = 0;
    for (size_t i = 0; i <= l.size(); ++i)
      if (i == l.size() || l[i] == ',') {
        f.push_back(l.substr(start, i - start));
        start = i + 1;
      }
    return f;
  };
  if (std::getline(in, line)) header = split(line);
  while (std::getline(in, line)) {
    const std::vector<std::string> f = split(line);
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < f.size(); ++i) row[header[i]] = f[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string FirstLine(const fs::path& p) {
  std::istringstream in(Slurp(p));
  std::string line;
  std::getline(in, line);
  return line;
}

TEST_F(Cli, UnitColumnsFollowTheRateeInEveryEvalueeTable) {
  const auto run = dir_ / "run", gen = dir_ / "gen";
  ASSERT_EQ(Evalsim("run " + Quickstart() + " --replicates 2 --out " + run.string()).code, 0);
  ASSERT_EQ(Evalsim("generate " + Quickstart() + " --out " + gen.string()).code, 0);
  EXPECT_EQ(FirstLine(gen / "truth.csv"), "ratee,district,true_quality,bloc");
  EXPECT_EQ(FirstLine(run / "scores.csv"),
            "replicate,model,ratee,district,score,rank,true_quality,class");
  EXPECT_EQ(FirstLine(run / "evaluees.csv"),
            "model,ratee,district,true_quality,mean_score,mean_rank,rank_lo,rank_hi,p_top,"
            "p_bottom,p_top_class");
  // The same unit for an evaluee in every file; towns are numbered in tree
  // order, so district-1 holds town-1 and the districts come in order.
  std::map<std::string, std::string> truth;
  for (auto& row : ReadRows(gen / "truth.csv")) truth[row["ratee"]] = row["district"];
  EXPECT_EQ(truth["town-1"], "district-1");
  std::set<std::string> districts;
  for (auto& row : ReadRows(run / "evaluees.csv")) {
    EXPECT_EQ(row["district"], truth[row["ratee"]]) << row["ratee"];
    districts.insert(row["district"]);
  }
  EXPECT_EQ(districts.size(), 6u);
}

TEST_F(Cli, QuotaPerDistrictGivesEveryDistrictItsCount) {
  const auto out = dir_ / "o";
  const auto r = Evalsim("run " + Quickstart() +
                         " --replicates 3 --models quota --set models.quota.classes.within="
                         "'\"district\"' --set models.quota.classes.ties='\"break\"' --out " +
                         out.string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(FirstLine(out / "units.csv"),
            "model,level,unit,evaluees,class,count,share,truth_count,distance");
  double count = 0, truth = 0;
  int units = 0;
  for (auto& row : ReadRows(out / "units.csv")) {
    if (row["class"] != "优秀") {
      EXPECT_EQ(row["truth_count"], "");
      continue;
    }
    ++units;
    // 15 % of the district, rounded up, in every replicate: the mean is exact.
    const int n = std::stoi(row["evaluees"]);
    EXPECT_EQ(std::stod(row["count"]), std::ceil(0.15 * n - 1e-9)) << row["unit"];
    count += std::stod(row["count"]);
    truth += std::stod(row["truth_count"]);
    EXPECT_GE(std::stod(row["distance"]),
              std::fabs(std::stod(row["count"]) - std::stod(row["truth_count"])) - 1e-9);
  }
  EXPECT_EQ(units, 6);
  // The truth gives out as many top places as the model.
  EXPECT_NEAR(truth, count, 1e-9);
}

TEST_F(Cli, ParentLevelWritesParentsCsvAndTheCappedShare) {
  const auto out = dir_ / "o";
  const auto r = Evalsim("run " + std::string(EVALSIM_SOURCE_DIR) + "/scenarios/linked_towns.toml" +
                         " --replicates 3 --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(FirstLine(out / "parents.csv"), "model,level,unit,score,class,share");
  std::map<std::string, double> share;  // per town, summed over its classes
  for (auto& row : ReadRows(out / "parents.csv")) {
    EXPECT_EQ(row["model"], "linked");
    EXPECT_EQ(row["level"], "town");
    share[row["unit"]] += std::stod(row["share"]);
  }
  EXPECT_EQ(share.size(), 12u);
  for (const auto& [unit, s] : share) EXPECT_NEAR(s, 1.0, 1e-12) << unit;
  std::set<std::string> capped;
  for (auto& row : ReadRows(out / "metrics.csv"))
    if (row["metric"] == "class.capped") capped.insert(row["model"]);
  EXPECT_EQ(capped, std::set<std::string>{"linked"});
  // Without a parent level, no parents.csv.
  const auto plain = dir_ / "plain";
  ASSERT_EQ(Evalsim("run " + Quickstart() + " --replicates 2 --out " + plain.string()).code, 0);
  EXPECT_FALSE(std::filesystem::exists(plain / "parents.csv"));
}

TEST_F(Cli, AVetoThatNeverStrikesChangesNoOutputFile) {
  const auto plain = dir_ / "plain", veto = dir_ / "veto";
  const std::string base = "run " + Quickstart() + " --replicates 3 --threads 2 --out ";
  ASSERT_EQ(Evalsim(base + plain.string()).code, 0);
  const auto r = Evalsim(base + veto.string() +
                         " --set 'vetoes=[{name=\"discipline\",label=\"否决\",rate=0.0,"
                         "quality_slope=2.0}]'");
  ASSERT_EQ(r.code, 0) << r.out;
  int compared = 0;
  for (const auto& e : fs::directory_iterator(plain)) {
    const std::string name = e.path().filename().string();
    if (name == "manifest.json" || name == "report.html") continue;  // they hold the scenario
    EXPECT_EQ(Slurp(e.path()), Slurp(veto / name)) << name;
    ++compared;
  }
  EXPECT_GE(compared, 5);
  EXPECT_FALSE(fs::exists(plain / "vetoes.csv"));
  bool rate_row = false;
  for (auto& row : ReadRows(veto / "vetoes.csv"))
    if (row["veto"] == "discipline" && row["metric"] == "rate") {
      EXPECT_EQ(row["value"], "0");
      rate_row = true;
    }
  EXPECT_TRUE(rate_row);
}

TEST_F(Cli, VetoScenarioStrikesAndReportsItsRates) {
  const auto out = dir_ / "v";
  const auto r = Evalsim("run " + std::string(EVALSIM_SOURCE_DIR) +
                         "/scenarios/veto_overlay.toml --replicates 5 --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.out;
  std::map<std::string, double> rate;
  std::map<std::string, double> without, with;
  for (auto& row : ReadRows(out / "vetoes.csv")) {
    if (row["metric"] == "rate") rate[row["veto"]] = std::stod(row["value"]);
    if (row["metric"] == "class.top_precision") with[row["model"]] = std::stod(row["value"]);
    if (row["metric"] == "class.top_precision_without_vetoes")
      without[row["model"]] = std::stod(row["value"]);
  }
  ASSERT_EQ(rate.size(), 4u);  // three vetoes and "any"
  EXPECT_GT(rate["score_floor"], 0.0);
  EXPECT_GE(rate["any"], rate["score_floor"]);
  EXPECT_LE(rate["any"],
            rate["discipline"] + rate["safety_accident"] + rate["score_floor"] + 1e-12);
  EXPECT_EQ(with.size(), 3u);
  EXPECT_EQ(without.size(), 3u);
  // A struck evaluee carries the veto's label in every model.
  std::map<std::string, std::set<std::string>> struck;  // replicate/ratee -> models
  for (auto& row : ReadRows(out / "scores.csv"))
    if (row["class"] == "一票否决")
      struck[row["replicate"] + "/" + row["ratee"]].insert(row["model"]);
  ASSERT_FALSE(struck.empty());
  for (const auto& [key, models] : struck) EXPECT_EQ(models.size(), 3u) << key;
  // Rates are shares: over 5 replicates the rare strikes of a truly top
  // town spread widely, and their interval stays within [0, 1].
  int rows = 0;
  for (auto& row : ReadRows(out / "vetoes.csv")) {
    if (row["metric"] != "rate" && row["metric"] != "p_veto_if_top") continue;
    EXPECT_GE(std::stod(row["lo"]), 0.0) << row["veto"] << " " << row["metric"];
    EXPECT_LE(std::stod(row["hi"]), 1.0) << row["veto"] << " " << row["metric"];
    ++rows;
  }
  EXPECT_EQ(rows, 8);
}

TEST_F(Cli, MeetingRulesWriteMeetingsCsvAndCountVoidMeetings) {
  const std::string rules =
      " --set meetings.absence=0.22 --set meetings.quorum=0.75 --set meetings.max_top=5";
  const auto a = dir_ / "a", b = dir_ / "b";
  ::testing_util::CliResult ra =
      Evalsim("run " + Quickstart() + rules + " --replicates 4 --threads 1 --out " + a.string());
  ASSERT_EQ(ra.code, 0) << ra.out;
  ASSERT_EQ(
      Evalsim("run " + Quickstart() + rules + " --replicates 4 --threads 2 --out " + b.string())
          .code,
      0);
  const std::string csv = Slurp(a / "meetings.csv");
  EXPECT_EQ(csv, Slurp(b / "meetings.csv"));
  EXPECT_EQ(Slurp(a / "metrics.csv"), Slurp(b / "metrics.csv"));
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "replicate,meeting,evaluees,expected,present,void,reason,demoted,void_ballots");
  int rows = 0, void_rows = 0;
  while (std::getline(lines, line)) {
    ++rows;
    if (line.find(",1,quorum,") != std::string::npos) ++void_rows;
  }
  EXPECT_EQ(rows, 4 * 6);  // 4 replicates x 6 district meetings
  EXPECT_GT(void_rows, 0);
  EXPECT_LT(void_rows, rows);
  auto man = nlohmann::json::parse(Slurp(a / "manifest.json"));
  EXPECT_EQ(man["meetings"]["held"], 24);
  EXPECT_EQ(man["meetings"]["void"], void_rows);
  EXPECT_EQ(man["meetings"]["void_by_reason"]["quorum"], void_rows);
  EXPECT_GT(man["meetings"]["top_grades_demoted"].get<int>(), 0);
  EXPECT_NE(ra.out.find("meetings: " + std::to_string(void_rows) + " of 24 void"),
            std::string::npos)
      << ra.out;
  // Without rules: no meetings.csv, no line, no manifest object.
  const auto plain = dir_ / "plain";
  ::testing_util::CliResult rp =
      Evalsim("run " + Quickstart() + " --replicates 2 --out " + plain.string());
  ASSERT_EQ(rp.code, 0) << rp.out;
  EXPECT_FALSE(fs::exists(plain / "meetings.csv"));
  EXPECT_EQ(rp.out.find("meetings:"), std::string::npos) << rp.out;
  EXPECT_FALSE(nlohmann::json::parse(Slurp(plain / "manifest.json")).contains("meetings"));
  // `generate` writes the replicate's meetings.csv too.
  const auto gen = dir_ / "gen";
  ASSERT_EQ(
      Evalsim("generate " + Quickstart() + rules + " --replicate 2 --out " + gen.string()).code, 0);
  const std::string generated = Slurp(gen / "meetings.csv");
  std::string second;  // the run's rows of replicate 2
  std::istringstream again(csv);
  while (std::getline(again, line))
    if (line.rfind("2,", 0) == 0) second += line + "\n";
  EXPECT_EQ(generated.substr(generated.find('\n') + 1), second);
}

TEST_F(Cli, BadMeetingRuleExitsTwoNamingFileLineAndKey) {
  std::string text = Slurp(Quickstart());
  text.replace(text.find("by = \"district\""), 15, "by = \"district\"\nquorum = 1.5");
  const auto file = Write("quorum.toml", text);
  ::testing_util::CliResult r = Evalsim("run " + file.string() + " --out " + (dir_ / "o").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find(file.string() + ":32:10: meetings.quorum: 1.5 is out of range"),
            std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "o"));
}

// A calibration small enough for a test: two models of quickstart, three
// ballot sets of 20 resamples, six population sets, two runs of three
// replicates per metrics target.
std::string SmallCalibration(const std::string& quickstart) {
  return "calibrate " + quickstart +
         " --models standard,median --sets 3 --bootstrap 20 --population 6 --runs 2 "
         "--replicates 3 --level 0.5,0.9";
}

TEST_F(Cli, CalibrateIsByteIdenticalForOneAndTwoThreads) {
  const auto a = dir_ / "a", b = dir_ / "b";
  const ::testing_util::CliResult ra =
      Evalsim(SmallCalibration(Quickstart()) + " --threads 1 --out " + a.string());
  ASSERT_EQ(ra.code, 0) << ra.out;
  const ::testing_util::CliResult rb =
      Evalsim(SmallCalibration(Quickstart()) + " --threads 2 --out " + b.string());
  ASSERT_EQ(rb.code, 0) << rb.out;
  for (const char* f : {"calibration.csv", "calibration_strata.csv", "reliability.csv", "brier.csv",
                        "metrics_calibration.csv", "report.html"}) {
    ASSERT_TRUE(fs::exists(a / f)) << f;
    EXPECT_EQ(Slurp(a / f), Slurp(b / f)) << f;
  }
  auto ma = nlohmann::json::parse(Slurp(a / "manifest.json"));
  auto mb = nlohmann::json::parse(Slurp(b / "manifest.json"));
  for (auto* m : {&ma, &mb}) {
    m->erase("wall_time");
    m->erase("threads");
  }
  EXPECT_EQ(ma, mb);
  EXPECT_EQ(ma["calibration"]["sets"], 3);
  EXPECT_EQ(ma["calibration"]["levels"], nlohmann::json::parse("[0.5, 0.9]"));
  // The contract's columns; two models x two quantities x two levels.
  const std::string csv = Slurp(a / "calibration.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "model,quantity,nominal,coverage,lo,hi");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 * 2 * 2);
  EXPECT_NE(csv.find("\nstandard,score,0.5,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nmedian,rank,0.9,"), std::string::npos) << csv;
  EXPECT_NE(ra.out.find("brier.rerun"), std::string::npos) << ra.out;
}

TEST_F(Cli, CalibrateBadArgumentsExitTwoAndWriteNothing) {
  const std::string base = "calibrate " + Quickstart() + " --out " + (dir_ / "o").string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {" --level 1.5", "--level 1.5"},
      {" --level 0", "--level 0"},
      {" --sets 1", "--sets 1"},
      {" --bootstrap 1", "--bootstrap 1"},
      {" --sets 10 --population 5", "--population 5"},
      {" --runs 1", "--runs 1"},
      {" --runs -2", "--runs -2"},
      {" --scheme jackknife", "--scheme jackknife"},
      {" --interval studentized", "--interval studentized"},
      {" --models nosuch", "nosuch"},
      {" --threads -1", "--threads"},
      {" --sets many", "--sets"},
      {" --set raters.member.noise=-1", "raters.member.noise"},
  };
  for (const auto& [flags, want] : cases) {
    const ::testing_util::CliResult r = Evalsim(base + flags);
    EXPECT_EQ(r.code, 2) << flags << ": " << r.out;
    EXPECT_NE(r.out.find(want), std::string::npos) << flags << ": " << r.out;
    EXPECT_FALSE(fs::exists(dir_ / "o")) << flags;
  }
  // --out is required; a missing scenario is a located error.
  EXPECT_EQ(Evalsim("calibrate " + Quickstart()).code, 2);
  const ::testing_util::CliResult m =
      Evalsim("calibrate " + (dir_ / "nope.toml").string() + " --out " + (dir_ / "o").string());
  EXPECT_EQ(m.code, 2) << m.out;
  EXPECT_NE(m.out.find("nope.toml"), std::string::npos) << m.out;
  EXPECT_TRUE(fs::is_empty(dir_));  // no staging directory left either
}

TEST_F(Cli, ScoreSchemeAndIntervalFlags) {
  const std::string base = "score --model weighted_mean --ballots " +
                           std::string(EVALSIM_SOURCE_DIR) + "/tests/data/ratings_small.csv";
  for (const char* flags : {" --bootstrap 50 --scheme raters", " --bootstrap 50 --scheme bayesian",
                            " --bootstrap 50 --scheme smoothed", " --bootstrap 50 --interval bca",
                            " --bootstrap 50 --interval percentile"}) {
    const ::testing_util::CliResult r = Evalsim(base + flags);
    EXPECT_EQ(r.code, 0) << flags << ": " << r.out;
    EXPECT_NE(r.out.find("ratee,score,rank,lo,hi,rank_lo,rank_hi,p_top,p_bottom"),
              std::string::npos)
        << flags << ": " << r.out;
  }
  for (const char* flags : {" --bootstrap 50 --scheme nope", " --bootstrap 50 --interval nope",
                            " --scheme raters", " --interval bca"}) {
    const ::testing_util::CliResult r = Evalsim(base + flags);
    EXPECT_EQ(r.code, 2) << flags << ": " << r.out;
  }
}

}  // namespace
