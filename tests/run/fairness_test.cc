// Fairness breakdowns and evaluee types: strata that sum back to the whole,
// a hand-computed six-evaluee case, quantile bins with ties, the drawing of
// types and their leniency shift, and the small-unit question on the
// shipped small_unit_noise scenario.
#include "sim/run/fairness.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/core/errors.h"
#include "sim/core/metrics.h"
#include "sim/core/rng.h"
#include "sim/run/outputs.h"
#include "sim/run/runner.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/generator.h"
#include "sim/simulate/organisation.h"

namespace evalsim {
namespace {

// --- Helpers -------------------------------------------------------------

const FairnessRow* FindRow(const std::vector<FairnessRow>& rows, const std::string& model,
                           const std::string& dimension, const std::string& stratum,
                           const std::string& metric) {
  for (const FairnessRow& r : rows)
    if (r.model == model && r.dimension == dimension && r.stratum == stratum && r.metric == metric)
      return &r;
  return nullptr;
}

double Value(const std::vector<FairnessRow>& rows, const std::string& model,
             const std::string& dimension, const std::string& stratum, const std::string& metric) {
  const FairnessRow* r = FindRow(rows, model, dimension, stratum, metric);
  if (!r) {
    ADD_FAILURE() << "no row " << model << "," << dimension << "," << stratum << "," << metric;
    return std::nan("");
  }
  return r->value;
}

// Rows of one model and dimension for one metric, in output order.
std::vector<FairnessRow> Rows(const std::vector<FairnessRow>& rows, const std::string& model,
                              const std::string& dimension, const std::string& metric) {
  std::vector<FairnessRow> out;
  for (const FairnessRow& r : rows)
    if (r.model == model && r.dimension == dimension && r.metric == metric) out.push_back(r);
  return out;
}

// A district-level organisation whose town secretaries are rated by the
// district's leaders (every town of the district) and by their own
// residents' representatives (per town, some blank), with two types.
constexpr const char* kMixed = R"(name = "mixed"
seed = 21
replicates = 10
[scale]
labels = ["a", "b", "c", "d"]
shares = [0.05, 0.15, 0.3, 0.5]
[organisation]
levels = [ { name = "district", count = 6 }, { name = "town", count = [5, 25] } ]
evaluees = "town"
quality = { sd = 1.0, inherited = 0.2 }
[[organisation.types]]
name = "urban"
share = 0.4
leniency = -0.3
[[organisation.types]]
name = "rural"
share = 0.6
[meetings]
by = "district"
[[raters]]
group = "leaders"
count = [3, 9]
noise = 0.6
leniency = { mean = 0.0, sd = 0.3 }
[[raters]]
group = "residents"
per_evaluee = [4, 30]
noise = 0.9
leniency = { mean = 0.4, sd = 0.5 }
abstain = 0.15
[[models]]
name = "wm"
model = "weighted_mean"
[[models]]
name = "approval"
model = "approval"
[[models]]
name = "median"
model = "median"
[[models]]
name = "ra"
model = "rater_adjusted"
[metrics]
quota = 0.2
bottom = 0.1
)";

// --- Sums back to the whole -------------------------------------------------

TEST(FairnessTable, StrataSumBackToTheAllRowForEveryMetric) {
  const Scenario s = ParseScenario(kMixed, "mixed.toml");
  const RunResult r = RunScenario(s, 2, RunConfig{});
  const int n = r.organisation.NumEvaluees();
  ASSERT_GT(n, 40);
  const std::vector<std::string> dims = {"all", "size", "type", "share.leaders", "share.residents"};
  EXPECT_EQ(r.fairness_dimensions, dims);
  for (const ModelEntry& m : s.models) {
    for (const std::string& metric : FairnessMetrics()) {
      const FairnessRow* all = FindRow(r.fairness, m.name, "all", "all", metric);
      ASSERT_NE(all, nullptr);
      for (const std::string& dim : dims) {
        const std::vector<FairnessRow> rows = Rows(r.fairness, m.name, dim, metric);
        ASSERT_FALSE(rows.empty()) << dim;
        double weighted = 0;
        int64_t base = 0;
        int evaluees = 0;
        for (const FairnessRow& row : rows) {
          evaluees += row.evaluees;
          base += row.base;
          if (row.base > 0) weighted += row.value * static_cast<double>(row.base);
        }
        EXPECT_EQ(evaluees, n) << m.name << " " << dim;
        EXPECT_EQ(base, all->base) << m.name << " " << dim << " " << metric;
        ASSERT_GT(base, 0);
        EXPECT_NEAR(weighted / static_cast<double>(base), all->value, 1e-12)
            << m.name << " " << dim << " " << metric;
      }
    }
    // Positions and true ranks have the same sum: no bias on the whole.
    EXPECT_NEAR(FindRow(r.fairness, m.name, "all", "all", "rank_bias")->value, 0.0, 1e-12);
    // Evaluees x replicates for the error metrics.
    EXPECT_EQ(FindRow(r.fairness, m.name, "all", "all", "rank_error")->base,
              static_cast<int64_t>(n) * s.replicates);
  }
  // Sizes: at most 5 bins, and the per-evaluee group makes sizes vary.
  const auto size_rows = Rows(r.fairness, "wm", "size", "rank_error");
  EXPECT_GE(size_rows.size(), 3u);
  EXPECT_LE(size_rows.size(), 5u);
}

TEST(FairnessTable, SameRowsWhateverTheThreadCount) {
  const Scenario s = ParseScenario(kMixed, "mixed.toml", {"replicates=4"});
  const RunResult a = RunScenario(s, 1, RunConfig{});
  const RunResult b = RunScenario(s, 2, RunConfig{});
  EXPECT_EQ(FairnessCsv(a.fairness), FairnessCsv(b.fairness));
}

TEST(FairnessTable, RunOutputsWriteFairnessCsvAndNameItInTheManifest) {
  const Scenario s = ParseScenario(kMixed, "mixed.toml", {"replicates=2"});
  const RunResult r = RunScenario(s, 2, RunConfig{});
  const std::filesystem::path dest =
      std::filesystem::temp_directory_path() / fmt::format("fairness_test_{}", ::getpid());
  {
    StagedDirectory dir(dest);
    nlohmann::ordered_json manifest;
    WriteRunOutputs(dir, s, r, RunInfo{}, &manifest);
    dir.Commit();
    EXPECT_EQ(manifest["fairness"]["file"], "fairness.csv");
    EXPECT_EQ(manifest["fairness"]["rows"], r.fairness.size());
    EXPECT_EQ(manifest["organisation"]["types"]["urban"].get<int>() +
                  manifest["organisation"]["types"]["rural"].get<int>(),
              r.organisation.NumEvaluees());
  }
  std::ifstream in(dest / "fairness.csv");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), FairnessCsv(r.fairness));
  EXPECT_EQ(ss.str().rfind("model,dimension,stratum,evaluees,base,metric,value\nwm,all,all,", 0),
            0u);
  std::filesystem::remove_all(dest);
}

// --- A hand-computed case ---------------------------------------------------

// Six evaluees with true quality 3, 1, 2, -1, 0.5, -2 (e0..e5): true order
// e0 > e2 > e1 > e4 > e3 > e5, true ranks 1, 3, 2, 5, 4, 6. k_top = 2 (true
// top {e0, e2}), k_bottom = 1 (true bottom {e5}). Type-7 40th and 60th
// percentiles of the sorted qualities (-2, -1, 0.5, 1, 2, 3) are the 3rd and
// 4th values, 0.5 and 1, so the truly average evaluees are e4 and e1.
//
// Replicate 1 ranks (no ties): 2, 1, 3, 4, 6, 5. |rank - true rank|:
// 1, 2, 1, 1, 2, 1 (sum 8). Top {e1, e0}, bottom {e4}; wrong class: e1
// (top, truly middle), e2 (middle, truly top), e4 (bottom, truly middle),
// e5 (middle, truly bottom): class errors 0, 1, 1, 0, 1, 1 (sum 4).
//
// Replicate 2 ranks with two ties: 1, 3, 1, 5, 4, 5 (e0 and e2 share
// positions 1-2, e3 and e5 positions 5-6). Rank errors, as the mean over
// the tie group's positions: e0 (|1-1| + |2-1|) / 2 = 0.5, e1 0, e2 0.5,
// e3 (|5-5| + |6-5|) / 2 = 0.5, e4 0, e5 0.5 (sum 2). Memberships: e0, e2
// top 1; e3, e5 bottom 0.5 each (the tie straddles k_bottom = 1), so their
// class error is 0.5 (|0.5 - 0| + |0.5 - 1|) = 0.5 each (e3 truly middle, e5
// truly bottom); the others 0 (sum 1).
struct HandCase {
  Eigen::VectorXd quality{{3.0, 1.0, 2.0, -1.0, 0.5, -2.0}};
  std::vector<std::vector<int>> ranks{{2, 1, 3, 4, 6, 5}, {1, 3, 1, 5, 4, 5}};
  FairnessTruth truth = MakeFairnessTruth(quality, 2, 1);

  ErrorSums Sums() const {
    ErrorSums sums(6);
    for (const auto& rank : ranks) {
      Eigen::VectorXd key(6);
      for (int e = 0; e < 6; ++e) key[e] = -rank[e];
      sums.Add(truth, rank, TopKMembership(key, 2), BottomKMembership(key, 1));
    }
    return sums;
  }
};

TEST(FairnessHand, TruthRanksMembershipsAndAverageEvaluees) {
  const HandCase h;
  EXPECT_EQ(h.truth.rank, (Eigen::VectorXd{{1, 3, 2, 5, 4, 6}}));
  EXPECT_EQ(h.truth.top, (Eigen::VectorXd{{1, 0, 1, 0, 0, 0}}));
  EXPECT_EQ(h.truth.bottom, (Eigen::VectorXd{{0, 0, 0, 0, 0, 1}}));
  EXPECT_EQ(h.truth.average, (std::vector<char>{0, 1, 0, 0, 1, 0}));
}

TEST(FairnessHand, RankAndClassErrorByHand) {
  const HandCase h;
  const ErrorSums sums = h.Sums();
  EXPECT_EQ(sums.replicates, 2);
  const Eigen::VectorXd rank_error{{1.5 / 6, 2.0 / 6, 1.5 / 6, 1.5 / 6, 2.0 / 6, 1.5 / 6}};
  const Eigen::VectorXd class_error{{0, 1, 1, 0.5, 1, 1.5}};
  for (int e = 0; e < 6; ++e) {
    EXPECT_NEAR(sums.rank_error[e], rank_error[e], 1e-15) << e;
    EXPECT_NEAR(sums.class_error[e], class_error[e], 1e-15) << e;
  }

  // Two strata: e0-e2 "small", e3-e5 "large".
  Strata halves{"size", {"small", "large"}, {0, 0, 0, 1, 1, 1}};
  const auto rows = FairnessTable("m", sums, h.truth, {AllStratum(6), halves});
  ASSERT_EQ(rows.size(), 15u);
  // all: rank error (8 + 2) / 6 / (6 x 2) = 10 / 72; class error 5 / 12;
  // average evaluees e1, e4: bottom memberships 0, 0 (e1) and 1, 0 (e4):
  // 1 / 4; top memberships 1, 0 (e1) and 0, 0 (e4): 1 / 4.
  EXPECT_NEAR(Value(rows, "m", "all", "all", "rank_error"), 10.0 / 72, 1e-15);
  EXPECT_NEAR(Value(rows, "m", "all", "all", "class_error"), 5.0 / 12, 1e-15);
  EXPECT_NEAR(Value(rows, "m", "all", "all", "p_bottom_if_average"), 0.25, 1e-15);
  EXPECT_NEAR(Value(rows, "m", "all", "all", "p_top_if_average"), 0.25, 1e-15);
  EXPECT_EQ(FindRow(rows, "m", "all", "all", "rank_error")->base, 12);
  EXPECT_EQ(FindRow(rows, "m", "all", "all", "p_top_if_average")->base, 4);
  // small (e0, e1, e2): rank errors (1 + 2 + 1 + 0.5 + 0 + 0.5) / 6 / 6 = 5 / 36;
  // class errors (0 + 1 + 1) / 6 = 1 / 3; its average evaluee e1 was never
  // at the bottom and once at the top.
  EXPECT_NEAR(Value(rows, "m", "size", "small", "rank_error"), 5.0 / 36, 1e-15);
  EXPECT_NEAR(Value(rows, "m", "size", "small", "class_error"), 1.0 / 3, 1e-15);
  EXPECT_NEAR(Value(rows, "m", "size", "small", "p_bottom_if_average"), 0.0, 1e-15);
  EXPECT_NEAR(Value(rows, "m", "size", "small", "p_top_if_average"), 0.5, 1e-15);
  // large (e3, e4, e5): rank errors (1 + 2 + 1 + 0.5 + 0 + 0.5) / 6 / 6 = 5 / 36;
  // class errors (0 + 1 + 1 + 0.5 + 0 + 0.5) / 6 = 1 / 2; e4 at the bottom once.
  EXPECT_NEAR(Value(rows, "m", "size", "large", "rank_error"), 5.0 / 36, 1e-15);
  EXPECT_NEAR(Value(rows, "m", "size", "large", "class_error"), 0.5, 1e-15);
  EXPECT_NEAR(Value(rows, "m", "size", "large", "p_bottom_if_average"), 0.5, 1e-15);
  EXPECT_NEAR(Value(rows, "m", "size", "large", "p_top_if_average"), 0.0, 1e-15);
  EXPECT_EQ(FindRow(rows, "m", "size", "large", "class_error")->evaluees, 3);
  EXPECT_EQ(FindRow(rows, "m", "size", "large", "p_bottom_if_average")->base, 2);
}

TEST(FairnessHand, RankBiasIsSignedAndBalancesOut) {
  // Model position - true rank, the tie group's mean position for ties:
  // replicate 1: 1, -2, 1, -1, 2, -1; replicate 2: 1.5 - 1, 3 - 3, 1.5 - 2,
  // 5.5 - 5, 4 - 4, 5.5 - 6 = 0.5, 0, -0.5, 0.5, 0, -0.5. Sums / n:
  // 1.5, -2, 0.5, -0.5, 2, -1.5 (over 6).
  const HandCase h;
  const ErrorSums sums = h.Sums();
  const Eigen::VectorXd bias{{1.5 / 6, -2.0 / 6, 0.5 / 6, -0.5 / 6, 2.0 / 6, -1.5 / 6}};
  for (int e = 0; e < 6; ++e) EXPECT_NEAR(sums.rank_bias[e], bias[e], 1e-15) << e;
  // e0 and e4 ranked too low on the whole: (1.5 + 2) / 6 / (2 x 2) = 3.5 / 24;
  // the rest too high: (-2 + 0.5 - 0.5 - 1.5) / 6 / (4 x 2) = -3.5 / 48.
  Strata split{"type", {"x", "y"}, {0, 1, 1, 1, 0, 1}};
  const auto rows = FairnessTable("m", sums, h.truth, {AllStratum(6), split});
  EXPECT_NEAR(Value(rows, "m", "all", "all", "rank_bias"), 0.0, 1e-15);
  EXPECT_NEAR(Value(rows, "m", "type", "x", "rank_bias"), 3.5 / 24, 1e-15);
  EXPECT_NEAR(Value(rows, "m", "type", "y", "rank_bias"), -3.5 / 48, 1e-15);
}

TEST(FairnessHand, StratumWithoutAverageEvalueesHasBaseZeroAndNoValue) {
  const HandCase h;
  Strata split{"type", {"x", "y"}, {0, 1, 0, 0, 1, 0}};  // e1 and e4 (average) in y
  const auto rows = FairnessTable("m", h.Sums(), h.truth, {split});
  const FairnessRow* r = FindRow(rows, "m", "type", "x", "p_bottom_if_average");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->base, 0);
  EXPECT_TRUE(std::isnan(r->value));
  EXPECT_NE(FairnessCsv(rows).find("m,type,x,4,0,p_bottom_if_average,\n"), std::string::npos);
}

TEST(FairnessHand, PerfectRankingHasNoError) {
  const HandCase h;
  ErrorSums sums(6);
  const std::vector<int> rank = {1, 3, 2, 5, 4, 6};
  sums.Add(h.truth, rank, h.truth.top, h.truth.bottom);
  EXPECT_EQ(sums.rank_error.sum(), 0.0);
  EXPECT_EQ(sums.class_error.sum(), 0.0);
}

TEST(FairnessHand, MeanAbsoluteDistanceMatchesBruteForce) {
  Rng rng(5);
  for (int i = 0; i < 2000; ++i) {
    const int64_t p = rng.Between(1, 40), q = p + rng.Between(0, 30);
    const double t = i % 3 == 0 ? static_cast<double>(rng.Between(1, 80))
                                : 0.5 * static_cast<double>(rng.Between(2, 160));
    double sum = 0;
    for (int64_t k = p; k <= q; ++k) sum += std::abs(static_cast<double>(k) - t);
    EXPECT_NEAR(MeanAbsoluteDistance(p, q, t), sum / static_cast<double>(q - p + 1), 1e-12)
        << p << " " << q << " " << t;
  }
}

// --- Quantile bins ------------------------------------------------------------

TEST(FairnessBins, EqualCountBinsOnDistinctValues) {
  const std::vector<double> v = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
  const Bins b = QuantileBins(v, 5);
  EXPECT_EQ(b.bin, (std::vector<int>{4, 0, 4, 0, 3, 1, 3, 1, 2, 2}));
  EXPECT_EQ(b.lo, (std::vector<double>{1, 3, 5, 7, 9}));
  EXPECT_EQ(b.hi, (std::vector<double>{2, 4, 6, 8, 10}));
  EXPECT_EQ(SizeStrata(v).labels, (std::vector<std::string>{"1-2", "3-4", "5-6", "7-8", "9-10"}));
}

TEST(FairnessBins, TiesMergeAndMoveToTheNearerEndOfTheRun) {
  // Sorted: 1 1 1 1 | 2 3 | 4 | 5 5 5. Targets 2, 4, 6, 8: 2 lies in the run
  // of 1s [0, 4), equally far from both ends, and goes to 0 (dropped); 4 and
  // 6 fall between different values; 8 lies in the run of 5s [7, 10) and
  // goes to 7, the nearer end.
  const std::vector<double> v = {5, 1, 4, 1, 5, 2, 1, 3, 5, 1};
  const Bins b = QuantileBins(v, 5);
  EXPECT_EQ(b.lo, (std::vector<double>{1, 2, 4, 5}));
  EXPECT_EQ(b.hi, (std::vector<double>{1, 3, 4, 5}));
  EXPECT_EQ(b.bin, (std::vector<int>{3, 0, 2, 0, 3, 1, 0, 1, 3, 0}));
  EXPECT_EQ(SizeStrata(v).labels, (std::vector<std::string>{"1", "2-3", "4", "5"}));
  // Equal values always share a bin, whatever the input order.
  const std::vector<double> w = {1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 5};
  const Bins c = QuantileBins(w, 5);
  for (size_t i = 0; i < w.size(); ++i)
    for (size_t j = 0; j < w.size(); ++j)
      if (w[i] == w[j]) {
        EXPECT_EQ(c.bin[i], c.bin[j]);
      }
  // All tied: one bin. A lone different value keeps a bin of its own.
  EXPECT_EQ(QuantileBins(std::vector<double>(7, 3.0), 5).lo.size(), 1u);
  const Bins lone = QuantileBins(std::vector<double>{0, 1, 1, 1, 1, 1}, 3);
  EXPECT_EQ(lone.lo, (std::vector<double>{0, 1}));
}

TEST(FairnessBins, StrataAreCutOnTheValuesAsTheirLabelsShowThem) {
  // Quantile bins "7.60", "7.70", "8.20-8.30", "8.40", "8.45" would split
  // evaluees whose sizes all read 8 ballots: they are one stratum.
  const std::vector<double> v = {7.6, 7.7, 8.2, 8.3, 8.4, 8.45};
  const Strata merged = SizeStrata(v);
  EXPECT_EQ(merged.labels, (std::vector<std::string>{"8"}));
  EXPECT_EQ(merged.of, (std::vector<int>(6, 0)));
  // Bins never share an edge: 4.6 and 4.8 read 5, apart from 4.1 and 4.3.
  const std::vector<double> w = {4.1, 4.3, 4.6, 4.8, 9.0, 9.2, 13.0, 13.2, 19.5, 20.0};
  EXPECT_EQ(SizeStrata(w).labels, (std::vector<std::string>{"4", "5", "9", "13", "20"}));
  // Averages over replicates label with rounded bounds.
  const std::vector<double> avg = {4.6, 5.2, 7.9, 8.4, 11.5, 12.2, 15.1, 16.3, 19.0, 19.6};
  EXPECT_EQ(SizeStrata(avg).labels, (std::vector<std::string>{"5", "8", "12", "15-16", "19-20"}));
}

TEST(FairnessBins, ShareTercilesWithRangesAndANoneStratum) {
  const double nan = std::nan("");
  const std::vector<double> share = {0.5, 0.0, nan, 0.2, 0.1, 0.4, 0.3};
  const Strata s = ShareStrata("public", share);
  EXPECT_EQ(s.dimension, "share.public");
  EXPECT_EQ(s.labels, (std::vector<std::string>{"low (0.00-0.10)", "mid (0.20-0.30)",
                                                "high (0.40-0.50)", "none (no valid ballot)"}));
  EXPECT_EQ(s.of, (std::vector<int>{2, 0, 3, 1, 0, 2, 1}));
  // Ties that leave two bins are "low" and "high".
  const Strata two = ShareStrata("g", std::vector<double>{0.25, 0.25, 0.25, 0.75, 0.75, 0.75});
  EXPECT_EQ(two.labels, (std::vector<std::string>{"low (0.25-0.25)", "high (0.75-0.75)"}));
}

TEST(FairnessBins, ShareDimensionsOnlyForGroupsWhoseShareVaries) {
  // Three evaluees, groups a and b: a has a constant share 0.5 of each
  // evaluee's valid ballots, b and c vary; evaluee 2 has none of b.
  const std::vector<uint64_t> valid = {2, 2, 0,   // e0: a, b, c
                                       3, 1, 2,   // e1
                                       4, 0, 4};  // e2
  const auto strata = FairnessStrata(valid, 2, {"a", "b", "c"}, {}, {});
  ASSERT_EQ(strata.size(), 4u);
  EXPECT_EQ(strata[0].dimension, "all");
  EXPECT_EQ(strata[1].dimension, "size");
  EXPECT_EQ(strata[1].labels, (std::vector<std::string>{"2", "3", "4"}));  // 4/2, 6/2, 8/2
  EXPECT_EQ(strata[2].dimension, "share.b");
  EXPECT_EQ(strata[3].dimension, "share.c");
}

TEST(FairnessBins, DimensionsWhoseBinsAllMergeAreLeftOutWithANote) {
  // Five evaluees that received 60-60.5 valid ballots per replicate (two
  // replicates), and groups whose shares differ by less than 0.01 between
  // evaluees: all would be charted as an effect of rounding.
  const std::vector<uint64_t> valid = {106, 15,   // e0: a, b (121 ballots, b 0.124)
                                       106, 15,   // e1
                                       106, 15,   // e2
                                       106, 14,   // e3 (120 ballots, b 0.117)
                                       105, 15};  // e4 (120 ballots, b 0.125)
  std::vector<std::string> notes;
  const auto strata = FairnessStrata(valid, 2, {"a", "b"}, {}, {}, &notes);
  std::vector<std::string> dims;
  for (const Strata& st : strata) dims.push_back(st.dimension);
  EXPECT_EQ(dims, (std::vector<std::string>{"all"}));
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_EQ(notes[0],
            "size: left out: every evaluee received 60.00-60.50 valid ballots per replicate, "
            "which round to the same whole number");
  EXPECT_EQ(notes[1].rfind("share.a: left out: the group's share of an evaluee's valid ballots "
                           "is 0.8750-0.8833 for every evaluee, which rounds to the same 0.88",
                           0),
            0u)
      << notes[1];
  EXPECT_EQ(notes[2].rfind("share.b: left out:", 0), 0u) << notes[2];
  // Without a notes vector the strata are the same.
  EXPECT_EQ(FairnessStrata(valid, 2, {"a", "b"}, {}, {}).size(), 1u);
}

// --- Evaluee types ------------------------------------------------------------

constexpr const char* kTypes = R"(name = "types"
seed = 8
replicates = 2
[scale]
labels = ["a", "b", "c", "d"]
shares = [0.05, 0.15, 0.3, 0.5]
[organisation]
levels = [ { name = "district", count = 4 }, { name = "town", count = [10, 20] } ]
evaluees = "town"
[meetings]
by = "district"
[[raters]]
group = "leaders"
count = [4, 8]
noise = 0.6
leniency = { mean = 0.2, sd = 0.3 }
[[raters]]
group = "peers"
from_evaluees = true
coverage = 0.8
[[raters]]
group = "residents"
per_evaluee = [5, 12]
noise = 1.0
leniency = { mean = 0.5, sd = 0.4 }
abstain = 0.1
[[models]]
name = "wm"
model = "weighted_mean"
)";

TEST(EvalueeTypes, DrawnSharesMatchTheTargetWithinBinomialError) {
  const Scenario s = ParseScenario(
      kTypes, "types.toml",
      {"organisation.levels=[{name=\"district\",count=20},{name=\"town\",count=1000}]",
       "organisation.types=[{name=\"a\",share=0.2},{name=\"b\",share=0.5},"
       "{name=\"c\",share=0.3,leniency=0.4}]"});
  const Organisation org = BuildOrganisation(s);
  ASSERT_EQ(org.NumEvaluees(), 20000);
  ASSERT_EQ(org.type.size(), 20000u);
  EXPECT_EQ(org.type_names, (std::vector<std::string>{"a", "b", "c"}));
  std::vector<double> count(3, 0);
  for (int t : org.type) ++count[t];
  const std::vector<double> target = {0.2, 0.5, 0.3};
  for (int t = 0; t < 3; ++t) {
    const double sd = std::sqrt(target[t] * (1 - target[t]) / 20000);  // 0.0028-0.0035
    EXPECT_NEAR(count[t] / 20000, target[t], 4 * sd) << t;
  }
}

TEST(EvalueeTypes, NoTypesMeansNoTypeVectorAndOneNeutralTypeChangesNoBallot) {
  const Scenario plain = ParseScenario(kTypes, "types.toml");
  const Scenario one =
      ParseScenario(kTypes, "types.toml", {"organisation.types=[{name=\"all\",share=1.0}]"});
  const Organisation a = BuildOrganisation(plain), b = BuildOrganisation(one);
  EXPECT_TRUE(a.type.empty());
  EXPECT_TRUE(a.type_names.empty());
  ASSERT_EQ(b.type, std::vector<int>(b.NumEvaluees(), 0));
  EXPECT_EQ(a.quality, b.quality);
  EXPECT_EQ(a.rater_group, b.rater_group);
  const GeneratorSetup sa = MakeGeneratorSetup(plain, a), sb = MakeGeneratorSetup(one, b);
  EXPECT_EQ(sa.cuts, sb.cuts);
  for (int r = 0; r < 3; ++r) {
    RatingBallots x, y;
    GenerateBallots(sa, r, true, &x);
    GenerateBallots(sb, r, true, &y);
    EXPECT_EQ(x.ballot, y.ballot) << r;
    EXPECT_EQ(x.slot_begin, y.slot_begin) << r;
  }
  // A shifted type does change the ballots (the comparison above can fail).
  const Scenario shifted = ParseScenario(
      kTypes, "types.toml", {"organisation.types=[{name=\"all\",share=1.0,leniency=-0.7}]"});
  const Organisation c = BuildOrganisation(shifted);
  const GeneratorSetup sc = MakeGeneratorSetup(shifted, c);
  EXPECT_NE(sa.cuts, sc.cuts);
  // A shift shared by every ballot moves the cut points by exactly that much.
  for (size_t k = 0; k < sa.cuts.size(); ++k) EXPECT_NEAR(sc.cuts[k], sa.cuts[k] - 0.7, 1e-9);
}

TEST(EvalueeTypes, CalibrationIncludesTheTypeShiftSoGradeSharesStillMatch) {
  const Scenario s = ParseScenario(
      kTypes, "types.toml",
      {"organisation.levels=[{name=\"district\",count=20},{name=\"town\",count=[10,20]}]",
       "organisation.types=[{name=\"urban\",share=0.4,leniency=-1.5,groups=[\"residents\"]},"
       "{name=\"rural\",share=0.6,leniency=0.5}]"});
  const Organisation org = BuildOrganisation(s);
  const GeneratorSetup setup = MakeGeneratorSetup(s, org);
  std::vector<double> count(4, 0);
  double valid = 0;
  for (int r = 0; r < 10; ++r) {
    RatingBallots b;
    GenerateBallots(setup, r, true, &b);
    for (uint32_t w : b.ballot) {
      if (BallotGrade(w) == kAbstain) continue;
      count[BallotGrade(w)] += 1;
      valid += 1;
    }
  }
  ASSERT_GT(valid, 50000);
  // Replicates share the organisation, so allow for rater-leniency draws
  // on top of multinomial error.
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(count[k] / valid, s.shares[k], 0.015) << k;
}

TEST(EvalueeTypes, ScenarioErrorsNameTheKey) {
  const auto error = [](const std::string& types) {
    try {
      ParseScenario(kTypes, "types.toml", {"organisation.types=" + types});
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(error("[{name=\"a\",share=0.5},{name=\"b\",share=0.4}]")
                .find("organisation.types: the types' `share` values sum to 0.9"),
            std::string::npos);
  EXPECT_NE(error("[{name=\"a\",share=0.5},{name=\"a\",share=0.5}]")
                .find("organisation.types.a.name: type \"a\" is named twice"),
            std::string::npos);
  EXPECT_NE(error("[{name=\"a\",share=1.0,groups=[\"public\"]}]")
                .find("organisation.types.a.groups: \"public\" is not a rater group; groups: "
                      "leaders, peers, residents"),
            std::string::npos);
  EXPECT_NE(error("[{name=\"a\",share=1.0,colour=1}]").find("colour"), std::string::npos);
  EXPECT_NE(error("[{name=\"a\",share=1.5}]").find("organisation.types.a.share"),
            std::string::npos);
  EXPECT_NE(error("[{share=1.0}]").find("missing required key `name`"), std::string::npos);
  EXPECT_NE(error("[]").find("organisation.types: found an empty array"), std::string::npos);
  // Within 1e-9 of 1 is accepted.
  EXPECT_EQ(error("[{name=\"a\",share=0.3333333333},{name=\"b\",share=0.6666666667}]"),
            "(no error)");
}

// --- The leniency shift does what it says ---------------------------------------

// 20 districts of 20 towns in one appraisal. 8 leaders rate all 400 towns,
// urban and rural alike; 15 residents' representatives of each town rate
// only their own town. Urban and rural towns have the same quality
// distribution. (One meeting keeps the design connected: with a meeting per
// district, rater_adjusted fits each district's level on its own, and a
// district with more urban towns, whose residents grade harder, comes out
// lower as a whole; in this scenario with `by = "district"` its urban
// rank_bias is +0.010 to +0.021 over seeds 1-6.)
constexpr const char* kStreets = R"(name = "streets"
seed = 3
replicates = 30
[scale]
labels = ["a", "b", "c", "d"]
shares = [0.05, 0.15, 0.3, 0.5]
[organisation]
levels = [ { name = "district", count = 20 }, { name = "town", count = 20 } ]
evaluees = "town"
quality = { sd = 1.0 }
[[organisation.types]]
name = "urban"
share = 0.5
leniency = -1.5
groups = ["residents"]
[[organisation.types]]
name = "rural"
share = 0.5
[meetings]
by = "all"
[[raters]]
group = "leaders"
count = 8
noise = 0.5
[[raters]]
group = "residents"
per_evaluee = 15
noise = 0.8
[[models]]
name = "wm"
model = "weighted_mean"
[[models]]
name = "ra"
model = "rater_adjusted"
[metrics]
quota = 0.2
bottom = 0.3
)";

TEST(EvalueeTypes, HarsherOwnRatersPushAverageUrbanUnitsDownUnlessRaterAdjusted) {
  // The urban towns' own residents grade 1.5 latent units harder. The plain
  // mean pools their votes with the leaders' and puts truly average urban
  // towns in the bottom 30 % far more often than rural ones. The additive
  // rater model gives every resident (who rates one town) its own effect,
  // which absorbs that resident's vote, so it ranks on the leaders' votes,
  // which treat both types alike. (Seeds 1-6 of this scenario: the plain
  // mean's urban - rural gap is 0.20-0.30, the rater model's |gap| at most
  // 0.016, from which evaluees happen to be average in each type; the
  // rank_bias of urban towns is 0.117-0.133 for the mean and within 0.009
  // of 0 for the rater model.)
  const Scenario s = ParseScenario(kStreets, "streets.toml");
  const RunResult r = RunScenario(s, 2, RunConfig{});
  const auto& f = r.fairness;
  const double wm_urban = Value(f, "wm", "type", "urban", "p_bottom_if_average");
  const double wm_rural = Value(f, "wm", "type", "rural", "p_bottom_if_average");
  const double ra_urban = Value(f, "ra", "type", "urban", "p_bottom_if_average");
  const double ra_rural = Value(f, "ra", "type", "rural", "p_bottom_if_average");
  EXPECT_GT(wm_urban, wm_rural + 0.15) << wm_urban << " vs " << wm_rural;
  // Urban towns as a whole ranked below their deserts by the mean, not by
  // the rater model.
  EXPECT_GT(Value(f, "wm", "type", "urban", "rank_bias"), 0.05);
  EXPECT_LT(Value(f, "wm", "type", "rural", "rank_bias"), -0.05);
  EXPECT_LT(std::abs(Value(f, "ra", "type", "urban", "rank_bias")), 0.02);
  EXPECT_LT(std::abs(ra_urban - ra_rural), 0.05) << ra_urban << " vs " << ra_rural;
  // Top: the mirror image for the plain mean.
  EXPECT_LT(Value(f, "wm", "type", "urban", "p_top_if_average") + 0.03,
            Value(f, "wm", "type", "rural", "p_top_if_average"));
}

TEST(EvalueeTypes, AShiftOnEveryGroupLooksLikeQualityToEveryModel) {
  // Without `groups`, the leaders grade urban towns harder too: the shift is
  // then part of every vote on the town, indistinguishable from lower
  // quality, and the rater model punishes urban towns as the mean does.
  const Scenario s = ParseScenario(kStreets, "streets.toml",
                                   {"organisation.types.urban.groups=[\"leaders\",\"residents\"]"});
  const RunResult r = RunScenario(s, 2, RunConfig{});
  const auto& f = r.fairness;
  EXPECT_GT(Value(f, "ra", "type", "urban", "p_bottom_if_average"),
            Value(f, "ra", "type", "rural", "p_bottom_if_average") + 0.3);
  EXPECT_GT(Value(f, "wm", "type", "urban", "p_bottom_if_average"),
            Value(f, "wm", "type", "rural", "p_bottom_if_average") + 0.3);
}

// --- Small units ------------------------------------------------------------------

TEST(SmallUnits, SmallestSizeBinHasLargerRankErrorThanTheLargestForThePlainMean) {
  // small_unit_noise: 5-20 members per branch, 10 % blank. Fewer votes, more
  // noise in the mean, so the plain mean's rank error is larger for the
  // branches with the fewest votes (measured: 0.108 for the 20 branches with
  // 4-7 valid votes on average, 0.067 for the 20 with 16-18).
  const Scenario s =
      LoadScenario(std::string(EVALSIM_SOURCE_DIR) + "/scenarios/small_unit_noise.toml");
  const RunResult r = RunScenario(s, 2, RunConfig{});
  const auto rows = Rows(r.fairness, "plain_mean", "size", "rank_error");
  ASSERT_GE(rows.size(), 3u);
  EXPECT_GT(rows.front().value, 1.3 * rows.back().value)
      << rows.front().stratum << ": " << rows.front().value << ", " << rows.back().stratum << ": "
      << rows.back().value;
}

}  // namespace
}  // namespace evalsim
