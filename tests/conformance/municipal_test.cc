// The municipal and national member appraisals: skewed level counts, the
// shipped scenarios at 1/100 and 1/20 scale, the per-replicate table
// (scores.csv.gz) against the evaluees.csv summaries, and the memory
// pre-flight against the measured peak.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sim/core/errors.h"
#include "sim/core/metrics.h"
#include "sim/run/preflight.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"
#include "tests/support/cli_util.h"

namespace evalsim {
namespace {

namespace fs = std::filesystem;
using testing_util::Evalsim;
using testing_util::Slurp;

const std::string kScenario =
    std::string(EVALSIM_SOURCE_DIR) + "/scenarios/municipal_member_appraisal.toml";

// --set flags that keep one district of T towns: T / 1,031 of the full size.
std::string Scale(int towns) {
  return " --set organisation.levels.district.count=1 --set organisation.levels.town.count=" +
         std::to_string(towns);
}

// Per process, so that two test runs on one machine do not share files.
std::string Tmp(const std::string& name) {
  return (fs::temp_directory_path() /
          ("evalsim_municipal_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// A scenario whose second level draws `count` (a TOML value) once for each of
// `parents` top units; meetings by the top level, so each meeting's size is
// one draw (min >= 1 keeps every meeting).
std::string CountScenario(int parents, const std::string& count) {
  return "name = \"c\"\nseed = 7\nreplicates = 1\n"
         "[scale]\nlabels = [\"a\", \"b\"]\nshares = [0.5, 0.5]\n"
         "[organisation]\nlevels = [\n  { name = \"top\", count = " +
         std::to_string(parents) + " },\n  { name = \"unit\", count = " + count +
         " },\n]\nevaluees = \"unit\"\n"
         "[meetings]\nby = \"top\"\n"
         "[[raters]]\ngroup = \"g\"\ncount = 1\n"
         "[[models]]\nname = \"m\"\nmodel = \"weighted_mean\"\n";
}

std::vector<double> DrawnCounts(const std::string& toml) {
  const Scenario s = ParseScenario(toml, "count.toml");
  const Organisation org = BuildOrganisation(s);
  std::vector<double> counts;
  for (const Meeting& m : org.meetings) counts.push_back(m.num_evaluees);
  return counts;
}

TEST(LevelCount, LognormalMeanAndSdMatchOverManyDraws) {
  // mean 20, sd 10 of the continuous lognormal; min 1 and max 2000 are
  // never reached in practice (P(X < 1.5) ~ 1e-9), and rounding adds
  // variance 1/12 (sd 10 -> 10.004), well inside the tolerance.
  const int N = 20000;
  const std::vector<double> c = DrawnCounts(
      CountScenario(N, "{ dist = \"lognormal\", mean = 20, sd = 10, min = 1, max = 2000 }"));
  ASSERT_EQ(static_cast<int>(c.size()), N);
  double sum = 0, sq = 0;
  for (double v : c) sum += v;
  const double mean = sum / N;
  for (double v : c) sq += (v - mean) * (v - mean);
  const double sd = std::sqrt(sq / (N - 1));
  // Sampling sd of the mean: 10 / sqrt(N) = 0.071. Of the sd: sd *
  // sqrt((kurtosis - 1) / (4 N)); a lognormal with CV 0.5 has kurtosis
  // e^{4s2} + 2e^{3s2} + 3e^{2s2} - 3 = 8.04 (s2 = log 1.25), so 0.094.
  EXPECT_NEAR(mean, 20.0, 4 * 0.071);
  EXPECT_NEAR(sd, 10.0, 5 * 0.094);
  for (double v : c) {
    EXPECT_GE(v, 1);
    EXPECT_EQ(v, std::round(v));
  }
}

TEST(LevelCount, ClampedMeanMatchesExpected) {
  // A tight clamp moves the mean: Expected() integrates the rounded,
  // clamped distribution; the sample mean must agree with it (sd of the
  // clamped count < 10, so the mean's sd < 10 / sqrt(N) = 0.05).
  const int N = 40000;
  const std::string table = "{ dist = \"lognormal\", mean = 20, sd = 15, min = 8, max = 30 }";
  const std::vector<double> c = DrawnCounts(CountScenario(N, table));
  double sum = 0;
  for (double v : c) {
    sum += v;
    EXPECT_GE(v, 8);
    EXPECT_LE(v, 30);
  }
  const Scenario s = ParseScenario(CountScenario(N, table), "count.toml");
  const double expected = s.levels[1].count.Expected();
  EXPECT_NEAR(sum / N, expected, 4 * 0.05);
  // And the clamp does move it: well away from the unclamped 20.
  EXPECT_GT(std::abs(expected - 20.0), 0.5);
}

TEST(LevelCount, BadTablesNameTheKey) {
  struct Case {
    std::string count, message;
  };
  const std::vector<Case> cases = {
      {"{ dist = \"lognormal\", mean = 20, min = 3, max = 300 }",
       "count.toml:10:28: organisation.levels[1].count: missing required key `sd`"},
      {"{ dist = \"gamma\", mean = 20, sd = 5, min = 3, max = 300 }",
       "organisation.levels[1].count.dist"},
      {"{ dist = \"lognormal\", mean = 20, sd = 5, min = 300, max = 3 }",
       "organisation.levels[1].count.max: max = 3 is below min = 300"},
      {"{ dist = \"lognormal\", mean = 500, sd = 5, min = 3, max = 300 }",
       "organisation.levels[1].count.mean: mean = 500 lies outside [min, max] = [3, 300]"},
      {"{ dist = \"lognormal\", mean = -2, sd = 5, min = 0, max = 300 }",
       "organisation.levels[1].count.mean"},
      {"{ dist = \"lognormal\", mean = 20, sd = 5, min = 3, max = 300, shape = 2 }",
       "organisation.levels[1].count.shape"},
      {"{ dist = \"lognormal\", mean = 20, sd = 5, min = 3.5, max = 300 }",
       "organisation.levels[1].count.min: found a float; expected an integer"},
      {"\"many\"",
       "organisation.levels[1].count: found a string; expected an integer, a [min, "
       "max] pair of integers, or a table"},
  };
  for (const Case& c : cases) {
    try {
      ParseScenario(CountScenario(3, c.count), "count.toml");
      ADD_FAILURE() << "accepted count = " << c.count;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos)
          << "count = " << c.count << "\n  message: " << e.what();
    }
  }
}

// Fingerprint of an organisation: sizes, the meetings' evaluee and rater
// counts (FNV-1a) and the sum of true quality.
struct Fingerprint {
  int evaluees;
  uint32_t raters;
  uint64_t expected_ballots;
  uint64_t meetings_hash;
  double quality_sum;
};

Fingerprint Of(const std::string& name) {
  const Scenario s = LoadScenario(std::string(EVALSIM_SOURCE_DIR) + "/scenarios/" + name);
  const Organisation o = BuildOrganisation(s);
  Fingerprint f{o.NumEvaluees(), o.NumRaters(), o.expected_ballots, 1469598103934665603ull, 0};
  for (const Meeting& m : o.meetings) {
    f.meetings_hash = (f.meetings_hash ^ static_cast<uint64_t>(m.num_evaluees)) * 1099511628211ull;
    f.meetings_hash = (f.meetings_hash ^ m.num_raters) * 1099511628211ull;
  }
  for (double q : o.quality) f.quality_sum += q;
  return f;
}

TEST(LevelCount, FixedAndRangeCountsDrawAsBefore) {
  // Values printed by the same code at the commit before count tables were
  // added (1e9dea3): [min, max] and fixed counts must draw exactly as then.
  const Fingerprint cq = Of("cq_towns_1031.toml");
  EXPECT_EQ(cq.evaluees, 1031);
  EXPECT_EQ(cq.raters, 14681u);
  EXPECT_EQ(cq.expected_ballots, 101610u);
  EXPECT_EQ(cq.meetings_hash, 6618579756615074683ull);
  EXPECT_DOUBLE_EQ(cq.quality_sum, 68.546649131784008);
  const Fingerprint quick = Of("quickstart.toml");
  EXPECT_EQ(quick.evaluees, 118);
  EXPECT_EQ(quick.raters, 454u);
  EXPECT_EQ(quick.expected_ballots, 5831u);
  EXPECT_EQ(quick.meetings_hash, 11719299671511559983ull);
  EXPECT_DOUBLE_EQ(quick.quality_sum, -15.050900521873622);
  const Fingerprint small = Of("small_unit_noise.toml");
  EXPECT_EQ(small.evaluees, 101);
  EXPECT_EQ(small.meetings_hash, 16655227959715152531ull);
}

TEST(MunicipalScenario, OneHundredthScaleHasAbout16000Members) {
  const Scenario s = LoadScenario(
      kScenario, {"organisation.levels.district.count=1", "organisation.levels.town.count=10"});
  const Organisation org = BuildOrganisation(s);
  // 10 towns x ~69 branches x ~22.5 members (lognormal mean before rounding
  // and clamping to [3, 300]; the clamp moves the mean by < 0.01).
  EXPECT_NEAR(org.NumEvaluees(), 16000, 1600);
  EXPECT_EQ(org.level_size[1], 10);
  EXPECT_NEAR(static_cast<double>(org.meetings.size()), 690, 70);
  // Nine entries with a municipality-wide quota, one per branch.
  EXPECT_EQ(s.models.size(), 10u);
}

const std::string kNational =
    std::string(EVALSIM_SOURCE_DIR) + "/scenarios/national_member_appraisal.toml";

// The full national scale matches the sourced totals (docs/sources.md §7:
// 99.185 million members, 4.443 million appraising branches) within the
// rounding of its uniform ranges, and is too large to draw here.
TEST(NationalScenario, FullScaleMatchesTheSourcedTotals) {
  const Scenario s = LoadScenario(kNational, {});
  EXPECT_NEAR(ExpectedEvaluees(s), 99.185e6, 0.03 * 99.185e6);
  const PreflightEstimate rough = EstimateRunFromCounts(s, 2, false);
  EXPECT_GT(rough.bytes, 48.0 * (1ull << 30));
}

// A run split over processes (`run --split-replicates`) is estimated for
// process 0: one replicate at a time and its share of the ballots, while
// the organisation and the retained outputs stay whole.
TEST(NationalScenario, SplitRunsAreEstimatedPerProcess) {
  const Scenario s = LoadScenario(kNational, {"replicates=4"});
  const PreflightEstimate whole = EstimateRunFromCounts(s, 4, false);
  const PreflightEstimate one = EstimateRunFromCounts(s, 4, false, 1);
  const PreflightEstimate eight = EstimateRunFromCounts(s, 4, false, 8);
  EXPECT_EQ(whole.concurrency, 4);
  EXPECT_EQ(one.concurrency, 1);  // split replicates run one after the other
  EXPECT_LT(one.bytes, whole.bytes);
  EXPECT_LT(eight.bytes, one.bytes);
  const auto part = [](const PreflightEstimate& e, const std::string& name) {
    for (const auto& [n, bytes] : e.parts)
      if (n == name) return static_cast<double>(bytes);
    return 0.0;
  };
  if (one.phase == "scoring" && eight.phase == "scoring") {
    // 4 bytes per ballot, an eighth of them; the slot index and names stay.
    EXPECT_LT(part(eight, "ballots"), part(one, "ballots"));
  }
  EXPECT_EQ(part(eight, "organisation"), part(one, "organisation"));
}

// The 1/20 scale the header documents: about 5.0 million members in about
// 223,000 branches and 1.6e8 ballots.
TEST(NationalScenario, OneTwentiethScaleHasAboutFiveMillionMembers) {
  const Scenario s = LoadScenario(kNational, {"organisation.levels.committee.count=481"});
  const Organisation org = BuildOrganisation(s);
  EXPECT_NEAR(org.NumEvaluees(), 5.0e6, 0.05 * 5.0e6);
  EXPECT_NEAR(static_cast<double>(org.meetings.size()), 31.0 * 481 * 15, 0.01 * 31 * 481 * 15);
  EXPECT_NEAR(static_cast<double>(org.expected_ballots), 1.6e8, 0.1 * 1.6e8);
}

// Decompressed bytes of a gzip file.
std::string Gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return "";
  std::string out;
  char buf[1 << 16];
  int got;
  while ((got = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(got));
  gzclose(f);
  return out;
}

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

nlohmann::json Manifest(const std::string& dir) {
  return nlohmann::json::parse(Slurp(fs::path(dir) / "manifest.json"));
}

TEST(MunicipalScenario, PerReplicateTableMatchesSummaries) {
  const std::string out = Tmp("per_rep");
  const auto r = Evalsim("run " + kScenario + Scale(10) +
                         " --replicates 3 --per-replicate --threads 2 --out " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string table = Gunzip(out + "/scores.csv.gz");
  ASSERT_FALSE(table.empty());
  std::stringstream in(table);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "replicate,model,ratee,district,town,branch,score,rank,true_quality,class");

  // Per (model, ratee): score and rank per replicate; per (replicate,
  // model): the size of each rank's tie group.
  struct Cell {
    std::vector<double> score, rank;
    std::vector<int> replicate;
  };
  std::map<std::pair<std::string, std::string>, Cell> cells;
  std::map<std::tuple<int, std::string, int>, int> tie_size;
  std::map<std::string, std::string> quality;
  // points_branch: per (replicate, branch), members and 优秀.
  std::map<std::pair<int, std::string>, std::pair<int, int>> branch;
  size_t rows = 0;
  while (std::getline(in, line)) {
    const auto f = SplitCsv(line);
    ASSERT_EQ(f.size(), 10u) << line;
    const int rep = std::stoi(f[0]);
    const int rank = std::stoi(f[7]);
    Cell& c = cells[{f[1], f[2]}];
    c.score.push_back(std::stod(f[6]));
    c.rank.push_back(rank);
    c.replicate.push_back(rep);
    ++tie_size[{rep, f[1], rank}];
    quality[f[2]] = f[8];
    EXPECT_TRUE(f[9] == "优秀" || f[9] == "合格" || f[9] == "不合格") << line;
    if (f[1] == "points_branch") {
      auto& b = branch[{rep, f[5]}];
      ++b.first;
      b.second += f[9] == "优秀";
    }
    ++rows;
  }
  const nlohmann::json man = Manifest(out);
  const int n = man["organisation"]["evaluees"];
  EXPECT_EQ(rows, 3u * 10u * static_cast<size_t>(n));
  // A third of each branch at most (rounded up; the 不合格 gate may take
  // some of it), and in most branches exactly that.
  size_t full = 0;
  for (const auto& [key, b] : branch) {
    EXPECT_LE(b.second, QuotaCount(0.3333, b.first)) << key.second;
    full += b.second == QuotaCount(0.3333, b.first);
  }
  EXPECT_GT(full, branch.size() * 9 / 10);
  EXPECT_EQ(man["memory_estimate_bytes"].get<uint64_t>() > 0, true);
  const int k = QuotaCount(0.3333, n);

  std::stringstream ev(Slurp(fs::path(out) / "evaluees.csv"));
  std::getline(ev, line);
  ASSERT_EQ(line,
            "model,ratee,district,town,branch,true_quality,mean_score,mean_rank,rank_lo,rank_hi,"
            "p_top,p_bottom,p_top_class");
  size_t checked = 0;
  while (std::getline(ev, line)) {
    auto f = SplitCsv(line);
    ASSERT_EQ(f.size(), 13u) << line;
    f.erase(f.begin() + 2, f.begin() + 5);  // the unit columns
    const auto it = cells.find({f[0], f[1]});
    ASSERT_NE(it, cells.end()) << line;
    const Cell& c = it->second;
    ASSERT_EQ(c.score.size(), 3u);
    EXPECT_EQ(quality[f[1]], f[2]);
    double mean_score = 0, mean_rank = 0, p_top = 0;
    for (size_t i = 0; i < 3; ++i) {
      mean_score += c.score[i];
      mean_rank += c.rank[i];
      // Top-k membership: a tie group that straddles the k-th place shares
      // the places left among its members.
      const int before = static_cast<int>(c.rank[i]) - 1;
      const int t = tie_size[{c.replicate[i], f[0], static_cast<int>(c.rank[i])}];
      p_top += before + t <= k ? 1.0 : before >= k ? 0.0 : static_cast<double>(k - before) / t;
    }
    EXPECT_NEAR(std::stod(f[3]), mean_score / 3, 1e-9 * (1 + std::abs(mean_score))) << line;
    EXPECT_NEAR(std::stod(f[4]), mean_rank / 3, 1e-9 * mean_rank) << line;
    EXPECT_DOUBLE_EQ(std::stod(f[5]), Quantile(c.rank, 0.05)) << line;
    EXPECT_DOUBLE_EQ(std::stod(f[6]), Quantile(c.rank, 0.95)) << line;
    EXPECT_NEAR(std::stod(f[7]), p_top / 3, 1e-12) << line;
    ++checked;
  }
  EXPECT_EQ(checked, 10u * static_cast<size_t>(n));

  // Byte-identical whatever the thread count.
  const std::string out1 = Tmp("per_rep_t1");
  ASSERT_EQ(Evalsim("run " + kScenario + Scale(10) +
                    " --replicates 3 --per-replicate --threads 1 --out " + out1)
                .code,
            0);
  EXPECT_EQ(Slurp(fs::path(out1) / "scores.csv.gz"), Slurp(fs::path(out) / "scores.csv.gz"));
  fs::remove_all(out);
  fs::remove_all(out1);
}

TEST(MunicipalScenario, PreflightWithinAQuarterOfMeasuredPeak) {
#if defined(__SANITIZE_ADDRESS__)
  // The estimate is of a normal build: AddressSanitizer's shadow memory,
  // redzones and quarantine multiply the peak. The release suite checks it.
  GTEST_SKIP() << "memory estimate not comparable under AddressSanitizer";
#endif
  // Two sizes: 1/100 with 3 replicates, 1/20 with one (as the scenario).
  for (const auto& [towns, reps] : std::vector<std::pair<int, int>>{{10, 3}, {52, 1}}) {
    const std::string out = Tmp("preflight_" + std::to_string(towns));
    const auto r = Evalsim("run " + kScenario + Scale(towns) + " --replicates " +
                           std::to_string(reps) + " --per-replicate --threads 2 --out " + out);
    ASSERT_EQ(r.code, 0) << r.out;
    const nlohmann::json man = Manifest(out);
    // The estimate for this run's thread count (the top-level one assumes
    // every core; the same here, on 2 cores, or larger).
    const double estimate = man["wall_time"]["memory_estimate_bytes_for_threads"].get<double>();
    EXPECT_GE(man["memory_estimate_bytes"].get<double>(), estimate);
    const double peak = man["wall_time"]["peak_memory_bytes"].get<double>();
    EXPECT_GT(estimate, 0.75 * peak)
        << towns << " towns: estimate " << estimate << ", peak " << peak;
    EXPECT_LT(estimate, 1.25 * peak)
        << towns << " towns: estimate " << estimate << ", peak " << peak;
    // validate prints the same estimate.
    const auto v = Evalsim("validate " + kScenario + Scale(towns) + " --replicates " +
                           std::to_string(reps) + " --per-replicate --threads 2");
    ASSERT_EQ(v.code, 0) << v.out;
    EXPECT_NE(v.out.find("memory estimate for `run` --per-replicate: " + FormatBytes(estimate)),
              std::string::npos)
        << v.out;
    fs::remove_all(out);
  }
}

}  // namespace
}  // namespace evalsim
