// Calibration (sim/experiments/calibration.h): the coverage of a case whose
// answer is known (a near-normal mean of independent raters), the
// bookkeeping of the reliability bins and Brier scores, the metric-interval
// runs, thread-count independence and the option checks.
#include "sim/experiments/calibration.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "models/registry.h"
#include "sim/core/errors.h"
#include "sim/run/runner.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

namespace evalsim {
namespace {

// 80 evaluees, each rated by its own 150 raters (so evaluees are
// independent) on ten grades of equal share: a rater's grade is a
// discretised normal latent value, and an evaluee's mean of 150 of them is
// close to normal. The percentile bootstrap of such a mean covers its
// expectation at the nominal rate up to two small known terms: its spread
// is the plug-in sd, too small by sqrt(149/150), and it ignores the t
// distribution; together they cost 0.002-0.003 at every level used here.
constexpr const char* kNormalMean = R"(
name = "normal_mean"
seed = 11
replicates = 10

[scale]
labels = ["g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9"]
shares = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]

[organisation]
levels = [
  { name = "city", count = 1 },
  { name = "unit", count = 80 },
]
evaluees = "unit"
quality = { sd = 1.0, inherited = 0.0 }

[meetings]
by = "city"

[[raters]]
group = "member"
per_evaluee = 150
noise = 1.0
leniency = { mean = 0.0, sd = 0.5 }

[[models]]
name = "mean"
model = "weighted_mean"

[metrics]
quota = 0.15
)";

// Six meetings of a quickstart-like appraisal, small enough for a test.
constexpr const char* kSmall = R"(
name = "small"
seed = 3
replicates = 6

[scale]
labels = ["差", "一般", "较好", "好"]
shares = [0.03, 0.1, 0.3, 0.57]

[organisation]
levels = [
  { name = "district", count = 3 },
  { name = "town", count = [6, 9] },
]
evaluees = "town"
quality = { sd = 1.0, inherited = 0.2 }

[meetings]
by = "district"

[[raters]]
group = "superior"
count = 3
weight = 0.3
noise = 0.5

[[raters]]
group = "member"
count = 12
weight = 0.7
noise = 0.9
leniency = { mean = 0.2, sd = 0.4 }

[[models]]
name = "points"
model = "weighted_mean"
group_weights = { superior = 0.3, member = 0.7 }

[[models]]
name = "mixed"
model = "mixed_effects"

[[models]]
name = "bt"
model = "bradley_terry"
from = "ratings"

[metrics]
quota = 0.2
)";

const CoverageRow* Find(const CalibrationResult& r, const std::string& model,
                        const std::string& quantity, double nominal, const std::string& stratum) {
  for (const CoverageRow& c : r.coverage)
    if (c.model == model && c.quantity == quantity && c.nominal == nominal && c.stratum == stratum)
      return &c;
  return nullptr;
}

TEST(CalibrationCoverage, NormalMeanCoversAtItsNominalLevelWithinMonteCarloError) {
  const Scenario s = ParseScenario(kNormalMean, "normal_mean.toml");
  const Organisation org = BuildOrganisation(s);
  CalibrationOptions o;
  o.sets = 25;
  o.bootstrap = 400;
  o.population = 400;
  o.runs = 0;
  o.scheme = ResampleScheme::kRaters;  // the plain percentile bootstrap of the raters
  o.interval = IntervalMethod::kPercentile;
  const CalibrationResult r = RunCalibration(s, org, o);
  ASSERT_EQ(r.evaluees, 80);
  // 80 independent evaluees x 25 sets = 2000 intervals per level: under the
  // nominal rate the share of covering intervals has sd sqrt(c (1 - c) /
  // 2000) = 0.0089, 0.0067 and 0.0049 at 0.8, 0.9 and 0.95. Allow 3 sd
  // (plus the 0.003 of the known terms above): an interval of the next
  // level up or down (0.1 or 0.05 away) falls far outside.
  for (double level : o.levels) {
    const CoverageRow* c = Find(r, "mean", "score", level, "all");
    ASSERT_NE(c, nullptr) << level;
    EXPECT_EQ(c->intervals, 2000);
    const double sd = std::sqrt(level * (1 - level) / 2000);
    EXPECT_NEAR(c->coverage, level, 3 * sd + 0.003) << level;
    EXPECT_LE(c->lo, c->coverage);
    EXPECT_GE(c->hi, c->coverage);
    // The population of 400 sets moves coverage by about z phi(z) / 400.
    EXPECT_GE(c->coverage, c->observed);
    EXPECT_LT(c->coverage - c->observed, 0.001);
    RecordProperty(fmt::format("coverage{}", level), fmt::format("{:.4f}", c->coverage));
  }
  // Wider intervals at higher levels.
  EXPECT_LT(Find(r, "mean", "score", 0.8, "all")->mean_width,
            Find(r, "mean", "score", 0.95, "all")->mean_width);
}

TEST(CalibrationCoverage, OtherSchemesAndBcaCoverTheNormalMeanToo) {
  const Scenario s = ParseScenario(kNormalMean, "normal_mean.toml");
  const Organisation org = BuildOrganisation(s);
  CalibrationOptions o;
  o.sets = 25;
  o.bootstrap = 400;
  o.population = 400;
  o.runs = 0;
  o.levels = {0.9};
  for (const auto& [scheme, interval] :
       {std::pair{ResampleScheme::kRaters, IntervalMethod::kBca},
        std::pair{ResampleScheme::kBayesian, IntervalMethod::kPercentile},
        std::pair{ResampleScheme::kSmoothed, IntervalMethod::kPercentile}}) {
    o.scheme = scheme;
    o.interval = interval;
    const CalibrationResult r = RunCalibration(s, org, o);
    const CoverageRow* c = Find(r, "mean", "score", 0.9, "all");
    ASSERT_NE(c, nullptr);
    EXPECT_NEAR(c->coverage, 0.9, 3 * 0.0067 + 0.003)
        << ResampleSchemeName(scheme) << " " << IntervalMethodName(interval);
  }
}

TEST(CalibrationReliability, BinsAddUpToEveryForecastAndOutcomesToK) {
  const Scenario s = ParseScenario(kSmall, "small.toml");
  const Organisation org = BuildOrganisation(s);
  CalibrationOptions o;
  o.sets = 6;
  o.bootstrap = 40;
  o.population = 12;
  o.runs = 0;
  const CalibrationResult r = RunCalibration(s, org, o);
  const int n = r.evaluees;
  ASSERT_GT(n, 0);
  EXPECT_EQ(r.k_top, static_cast<int>(std::ceil(0.2 * n)));
  // The comparison model is skipped with a note, the others bootstrapped.
  ASSERT_EQ(r.models.size(), 3u);
  EXPECT_FALSE(r.models[0].skipped);
  EXPECT_FALSE(r.models[1].skipped);
  EXPECT_TRUE(r.models[2].skipped);
  ASSERT_FALSE(r.models[2].notes.empty());
  EXPECT_NE(r.models[2].notes[0].find("skipped"), std::string::npos);
  // Per model and target: the bins hold every forecast once, and the
  // outcomes (top-k memberships, k per set) add up to k per set.
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, double>> sums;
  for (const ReliabilityBin& b : r.reliability) {
    auto& [count, outcomes] = sums[{b.model, b.target}];
    count += b.count;
    if (b.count > 0) {
      outcomes += b.frequency * static_cast<double>(b.count);
      EXPECT_GE(b.mean_p, b.p_lo - 1e-12);
      EXPECT_LE(b.mean_p, b.p_hi + 1e-12);
    }
  }
  ASSERT_EQ(sums.size(), 6u);  // 2 models x 3 targets
  for (const auto& [key, v] : sums) {
    EXPECT_EQ(v.first, static_cast<int64_t>(o.sets) * n) << key.first << " " << key.second;
    EXPECT_NEAR(v.second, static_cast<double>(o.sets) * r.k_top, 1e-9)
        << key.first << " " << key.second;
  }
  ASSERT_EQ(r.brier.size(), 6u);
  for (const BrierRow& b : r.brier) {
    EXPECT_GE(b.brier, 0.0);
    EXPECT_LE(b.brier, 1.0);
    // The constant forecast k/n against outcomes that average k/n: its Brier
    // score is at most k/n (1 - k/n).
    const double q = static_cast<double>(r.k_top) / n;
    EXPECT_LE(b.brier_constant, q * (1 - q) + 1e-12);
  }
  // Coverage rows: 2 models x 2 quantities x 3 levels x 4 strata.
  EXPECT_EQ(r.coverage.size(), 48u);
  // The strata partition the evaluees.
  const CoverageRow* all = Find(r, "points", "score", 0.9, "all");
  ASSERT_NE(all, nullptr);
  int parts = 0;
  for (const char* st : {"best_third", "middle_third", "worst_third"})
    parts += Find(r, "points", "score", 0.9, st)->evaluees;
  EXPECT_EQ(parts, n);
}

TEST(CalibrationMetrics, RunsCheckTheMetricIntervalsForBothTargets) {
  const Scenario s = ParseScenario(kSmall, "small.toml");
  const Organisation org = BuildOrganisation(s);
  CalibrationOptions o;
  o.sets = 2;
  o.bootstrap = 4;
  o.population = 2;
  o.runs = 4;
  o.models = {"points", "bt"};
  const CalibrationResult r = RunCalibration(s, org, o);
  EXPECT_EQ(r.replicates_per_run, 6);
  bool same = false, fresh = false, bt = false;
  for (const MetricCoverageRow& m : r.metric_coverage) {
    EXPECT_EQ(m.runs, 4) << m.model << " " << m.metric;
    EXPECT_GE(m.covered, 0);
    EXPECT_LE(m.covered, 4);
    EXPECT_LE(m.lo, m.coverage);
    EXPECT_GE(m.hi, m.coverage);
    same |= m.target == "same_organisation";
    fresh |= m.target == "new_seed";
    bt |= m.model == "bt";  // the comparison model's metrics are checked too
  }
  EXPECT_TRUE(same);
  EXPECT_TRUE(fresh);
  EXPECT_TRUE(bt);
  const std::string csv = MetricsCalibrationCsv(r);
  EXPECT_EQ(csv.rfind("model,metric,target,nominal,runs,covered,coverage,lo,hi\n", 0), 0u);
  EXPECT_NE(csv.find("points,accuracy.kendall,same_organisation,0.95,4,"), std::string::npos)
      << csv;
}

TEST(CalibrationMetrics, ReplicateOffsetDrawsTheLaterReplicatesVotes) {
  // A run of two replicates at offset 2 sees the votes of replicates 3 and 4
  // of a plain run of four, on the same organisation.
  const Scenario four = ParseScenario(kSmall, "small.toml", {"replicates=4"});
  const Scenario two = ParseScenario(kSmall, "small.toml", {"replicates=2"});
  RunConfig plain, offset;
  offset.replicate_offset = 2;
  const RunResult a = RunScenario(four, 2, plain);
  const RunResult b = RunScenario(two, 1, offset);
  ASSERT_EQ(a.models.size(), b.models.size());
  for (size_t m = 0; m < a.models.size(); ++m) {
    ASSERT_EQ(b.models[m].scores.size(), 2u);
    EXPECT_EQ(b.models[m].scores[0], a.models[m].scores[2]) << a.models[m].name;
    EXPECT_EQ(b.models[m].scores[1], a.models[m].scores[3]) << a.models[m].name;
    EXPECT_NE(b.models[m].scores[0], a.models[m].scores[0]) << a.models[m].name;
  }
  EXPECT_EQ(a.organisation.quality, b.organisation.quality);
}

TEST(CalibrationDeterminism, SameBytesAtOneAndTwoThreads) {
  const Scenario s = ParseScenario(kSmall, "small.toml");
  const Organisation org = BuildOrganisation(s);
  CalibrationOptions o;
  o.sets = 4;
  o.bootstrap = 30;
  o.population = 8;
  o.runs = 2;
  o.interval = IntervalMethod::kBca;
  o.threads = 1;
  const CalibrationResult a = RunCalibration(s, org, o);
  o.threads = 2;
  const CalibrationResult b = RunCalibration(s, org, o);
  EXPECT_EQ(CalibrationCsv(a), CalibrationCsv(b));
  EXPECT_EQ(CalibrationStrataCsv(a), CalibrationStrataCsv(b));
  EXPECT_EQ(ReliabilityCsv(a), ReliabilityCsv(b));
  EXPECT_EQ(BrierCsv(a), BrierCsv(b));
  EXPECT_EQ(MetricsCalibrationCsv(a), MetricsCalibrationCsv(b));
  EXPECT_EQ(a.fits, b.fits);
  // calibration.csv: the contract's header and one row per model, quantity
  // and level.
  const std::string csv = CalibrationCsv(a);
  EXPECT_EQ(csv.rfind("model,quantity,nominal,coverage,lo,hi\n", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 * 2 * 3);
  EXPECT_NE(csv.find("\npoints,score,0.8,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nmixed,rank,0.95,"), std::string::npos) << csv;
}

TEST(CalibrationModels, EveryRatingsModelReplacesTheEntries) {
  const Scenario s = WithEveryRatingsModel(ParseScenario(kSmall, "small.toml"));
  std::vector<std::string> names;
  for (const ModelEntry& e : s.models) {
    names.push_back(e.name);
    EXPECT_EQ(e.name, e.model);
    EXPECT_EQ(Models().Find(e.model)->input, InputKind::kRatings);
  }
  for (const char* m : {"weighted_mean", "approval", "trimmed_mean", "median", "zscore_mean",
                        "bayes_shrink", "rater_adjusted", "mixed_effects", "rating_scale"})
    EXPECT_NE(std::find(names.begin(), names.end(), m), names.end()) << m;
  EXPECT_EQ(std::find(names.begin(), names.end(), "bradley_terry"), names.end());
}

std::string ErrorOf(const CalibrationOptions& o) {
  try {
    CheckCalibrationOptions(o);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(CalibrationOptionsTest, OutOfRangeValuesNameTheirFlag) {
  const auto with = [](auto change) {
    CalibrationOptions o;
    change(o);
    return ErrorOf(o);
  };
  EXPECT_EQ(ErrorOf(CalibrationOptions{}), "");
  EXPECT_NE(with([](auto& o) { o.levels = {1.0}; }).find("--level"), std::string::npos);
  EXPECT_NE(with([](auto& o) { o.levels = {}; }).find("--level"), std::string::npos);
  EXPECT_NE(with([](auto& o) { o.sets = 1; }).find("--sets"), std::string::npos);
  EXPECT_NE(with([](auto& o) { o.bootstrap = 1; }).find("--bootstrap"), std::string::npos);
  EXPECT_NE(with([](auto& o) { o.population = 10; }).find("--population"), std::string::npos);
  EXPECT_NE(with([](auto& o) { o.runs = 1; }).find("--runs"), std::string::npos);
  EXPECT_NE(with([](auto& o) { o.threads = -1; }).find("--threads"), std::string::npos);
}

}  // namespace
}  // namespace evalsim
