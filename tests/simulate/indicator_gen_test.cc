// Objective indicators: reading [[indicators]] (every key, defaults, bad
// values with file:line:col and the key path) and GenerateIndicators (the
// latent value correlates with true quality at `loading`, `direction`
// mirrors it, ranges hold, the missing and ceiling shares match, counts
// follow their Poisson law, the draws are deterministic, independent of the
// thread count, fresh per replicate, and appending an indicator leaves the
// others unchanged).
#include "sim/simulate/indicator_gen.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "sim/core/errors.h"
#include "sim/core/rng.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

namespace evalsim {
namespace {

// 20 districts x 1,000 towns = 20,000 evaluees (one meeting, one rater: the
// ballots play no part here). Quality sd 2 so that the standardisation by
// quality.sd is exercised; no variance shared within districts, so that the
// 20,000 qualities are independent and their sample mean and variance sit
// within 1 % of 0 and 4 (with 20 shared district effects they would not,
// and the sampling tolerances below would not hold).
constexpr const char* kBase = R"(name = "ind"
seed = 5
replicates = 2

[scale]
labels = ["差", "一般", "较好", "好"]
shares = [0.1, 0.2, 0.3, 0.4]

[organisation]
levels = [ { name = "district", count = 20 }, { name = "town", count = 1000 } ]
evaluees = "town"
quality = { sd = 2.0, inherited = 0.0 }

[[raters]]
group = "superior"
count = 1

[[models]]
name = "m"
model = "weighted_mean"
)";

constexpr int kN = 20000;

Scenario Parse(const std::string& indicators, const std::string& base = kBase) {
  return ParseScenario(base + indicators, "s.toml");
}

std::string ErrorOf(const std::string& indicators) {
  try {
    Parse(indicators);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// "s.toml:line:col" of the first occurrence of `needle` in the appended text.
std::string Loc(const std::string& indicators, const std::string& needle) {
  const std::string text = std::string(kBase) + indicators;
  const size_t at = text.find(needle, std::strlen(kBase));
  EXPECT_NE(at, std::string::npos) << needle;
  const size_t line = std::count(text.begin(), text.begin() + at, '\n') + 1;
  const size_t line_start = text.rfind('\n', at) + 1;  // npos + 1 == 0 on line 1
  return fmt::format("s.toml:{}:{}", line, at - line_start + 1);
}

struct Generated {
  Scenario s;
  Organisation org;
  IndicatorTable t;
};

Generated Generate(const std::string& indicators, int replicate = 0) {
  Generated g{Parse(indicators), {}, {}};
  g.org = BuildOrganisation(g.s);
  g.t = GenerateIndicators(g.s, g.org, replicate);
  return g;
}

std::vector<double> Column(const IndicatorTable& t, int i) {
  return std::vector<double>(t.values.col(i).data(), t.values.col(i).data() + t.NumRatees());
}

// Pearson correlation over the pairs where x is not NaN.
double Pearson(const std::vector<double>& x, const std::vector<double>& y) {
  double n = 0, sx = 0, sy = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (!std::isnan(x[i])) n += 1, sx += x[i], sy += y[i];
  const double mx = sx / n, my = sy / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) continue;
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

// Mid-ranks (ties share their average rank).
std::vector<double> Ranks(const std::vector<double>& x) {
  std::vector<int> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[order[k]] = 0.5 * static_cast<double>(i + j) + 1;
    i = j + 1;
  }
  return r;
}

double Spearman(const std::vector<double>& x, const std::vector<double>& y) {
  return Pearson(Ranks(x), Ranks(y));
}

double Mean(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v;
  return s / static_cast<double>(x.size());
}

double Variance(const std::vector<double>& x) {
  const double m = Mean(x);
  double s = 0;
  for (double v : x) s += (v - m) * (v - m);
  return s / static_cast<double>(x.size() - 1);
}

// Five standard errors of a sample correlation rho from n pairs.
double CorrTolerance(double rho, int n) { return 5 * (1 - rho * rho) / std::sqrt(n) + 1e-3; }

bool SameBits(const IndicatorTable& a, const IndicatorTable& b) {
  if (a.values.rows() != b.values.rows() || a.values.cols() != b.values.cols()) return false;
  for (Eigen::Index j = 0; j < a.values.cols(); ++j)
    for (Eigen::Index i = 0; i < a.values.rows(); ++i) {
      const double x = a.values(i, j), y = b.values(i, j);
      if (!(x == y || (std::isnan(x) && std::isnan(y)))) return false;
    }
  return true;
}

// --- reading -----------------------------------------------------------------

TEST(IndicatorKeys, ReadsEveryKeyAndTheDefaults) {
  Scenario s = Parse(R"(
[[indicators]]
name = "on_time"
loading = 0.6
direction = "benefit"
transform = "rate"
range = [0.8, 1.0]
median = 0.97
missing = 0.05
ceiling = 0.2

[[indicators]]
name = "complaints"
loading = -0.2
direction = "cost"
transform = "count"
mean = 3
dispersion = 0.8

[[indicators]]
name = "report_card"
transform = "score"
range = [60, 100]

[[indicators]]
name = "plain"

[[indicators]]
name = "tasks"
transform = "count"
mean = 40
range = [0, 60]
ceiling = 0.1
)");
  ASSERT_EQ(s.indicators.size(), 5u);
  const IndicatorSpec& a = s.indicators[0];
  EXPECT_EQ(a.name, "on_time");
  EXPECT_DOUBLE_EQ(a.loading, 0.6);
  EXPECT_FALSE(a.cost);
  EXPECT_EQ(a.transform, "rate");
  EXPECT_DOUBLE_EQ(a.lo, 0.8);
  EXPECT_DOUBLE_EQ(a.hi, 1.0);
  EXPECT_DOUBLE_EQ(a.median, 0.97);
  EXPECT_DOUBLE_EQ(a.missing, 0.05);
  EXPECT_DOUBLE_EQ(a.ceiling, 0.2);

  const IndicatorSpec& b = s.indicators[1];
  EXPECT_DOUBLE_EQ(b.loading, -0.2);
  EXPECT_TRUE(b.cost);
  EXPECT_EQ(b.transform, "count");
  EXPECT_DOUBLE_EQ(b.mean, 3);
  EXPECT_DOUBLE_EQ(b.dispersion, 0.8);
  EXPECT_EQ(b.lo, 0.0);  // a count without `range` is >= 0, unbounded above
  EXPECT_EQ(b.hi, std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(b.missing, 0.0);
  EXPECT_DOUBLE_EQ(b.ceiling, 0.0);

  const IndicatorSpec& c = s.indicators[2];  // score defaults: the middle, a sixth of the range
  EXPECT_DOUBLE_EQ(c.loading, 0.7);
  EXPECT_DOUBLE_EQ(c.mean, 80);
  EXPECT_DOUBLE_EQ(c.sd, 40.0 / 6.0);

  const IndicatorSpec& d = s.indicators[3];  // all defaults
  EXPECT_EQ(d.transform, "linear");
  EXPECT_DOUBLE_EQ(d.loading, 0.7);
  EXPECT_FALSE(d.cost);
  EXPECT_DOUBLE_EQ(d.mean, 0.0);
  EXPECT_DOUBLE_EQ(d.sd, 1.0);
  EXPECT_EQ(d.lo, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(d.hi, std::numeric_limits<double>::infinity());

  const IndicatorSpec& e = s.indicators[4];
  EXPECT_DOUBLE_EQ(e.dispersion, 0.5);
  EXPECT_DOUBLE_EQ(e.lo, 0);
  EXPECT_DOUBLE_EQ(e.hi, 60);

  // Rate defaults: [0, 1], median in the middle.
  Scenario r = Parse("[[indicators]]\nname = \"r\"\ntransform = \"rate\"\n");
  EXPECT_DOUBLE_EQ(r.indicators[0].lo, 0.0);
  EXPECT_DOUBLE_EQ(r.indicators[0].hi, 1.0);
  EXPECT_DOUBLE_EQ(r.indicators[0].median, 0.5);

  // Models see the indicator names; a scenario without indicators has none.
  EXPECT_TRUE(Parse("").indicators.empty());
}

TEST(IndicatorKeys, OverridesAddressAnIndicatorByName) {
  Scenario s = ParseScenario(std::string(kBase) + "[[indicators]]\nname = \"x\"\nloading = 0.3\n",
                             "s.toml", {"indicators.x.loading=0.9", "indicators.x.missing=0.1"});
  EXPECT_DOUBLE_EQ(s.indicators[0].loading, 0.9);
  EXPECT_DOUBLE_EQ(s.indicators[0].missing, 0.1);
  // An override is checked like the file.
  try {
    ParseScenario(std::string(kBase) + "[[indicators]]\nname = \"x\"\n", "s.toml",
                  {"indicators.x.loading=2"});
    ADD_FAILURE() << "loading = 2 was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("indicators.x.loading: 2 is out of range"),
              std::string::npos)
        << e.what();
  }
}

struct BadCase {
  std::string indicators;  // appended to kBase
  std::string at;          // text whose position the message must name
  std::string key;         // key path in the message
  std::string what;        // part of the explanation
};

TEST(IndicatorKeys, BadValuesAreLocatedAndExplained) {
  const std::vector<BadCase> cases = {
      {"[[indicators]]\nname = \"x\"\nloading = 1.5\n", "1.5", "indicators.x.loading",
       "out of range; expected a number in [-1, 1]"},
      {"[[indicators]]\nname = \"x\"\ndirection = \"up\"\n", "\"up\"", "indicators.x.direction",
       "expected one of: benefit, cost"},
      {"[[indicators]]\nname = \"x\"\ntransform = \"ratio\"\n", "\"ratio\"",
       "indicators.x.transform", "expected one of: linear, rate, score, count"},
      {"[[indicators]]\nname = \"x\"\ntransform = \"rate\"\nrange = [1.0, 0.5]\n", "[1.0",
       "indicators.x.range", "expected lo < hi"},
      {"[[indicators]]\nname = \"x\"\ntransform = \"rate\"\nrange = [0.5]\n", "[0.5]",
       "indicators.x.range", "has 1 values; expected [lo, hi]"},
      {"[[indicators]]\nname = \"x\"\ntransform = \"rate\"\nrange = [0.8, 1]\nmedian = 0.7\n",
       "0.7", "indicators.x.median", "strictly between 0.8 and 1"},
      {"[[indicators]]\nname = \"x\"\nmedian = 0.7\n", "0.7", "indicators.x.median",
       "applies only to transform rate"},
      {"[[indicators]]\nname = \"x\"\ntransform = \"rate\"\nsd = 2\n", "2\n", "indicators.x.sd",
       "applies only to transform linear or score"},
      {"[[indicators]]\nname = \"x\"\ndispersion = 1\n", "1\n", "indicators.x.dispersion",
       "applies only to transform count"},
      {"[[indicators]]\nname = \"x\"\ntransform = \"count\"\nmean = 0\n", "0\n",
       "indicators.x.mean", "expected a number in (0, 1000000]"},
      {"[[indicators]]\nname = \"x\"\ntransform = \"count\"\nmean = 2\nrange = [0.5, 9]\n", "[0.5",
       "indicators.x.range", "whole numbers >= 0"},
      {"[[indicators]]\nname = \"x\"\ntransform = \"score\"\nrange = [60, 100]\nmean = 50\n", "50",
       "indicators.x.mean", "outside the range"},
      {"[[indicators]]\nname = \"x\"\nmissing = 1.0\n", "1.0", "indicators.x.missing",
       "expected a number in [0, 1)"},
      {"[[indicators]]\nname = \"x\"\nceiling = -0.1\n", "-0.1", "indicators.x.ceiling",
       "expected a number in [0, 1]"},
      {"[[indicators]]\nname = \"x\"\nceiling = 0.2\n", "0.2", "indicators.x.ceiling",
       "has no upper bound; give `range = [lo, hi]`"},
      {"[[indicators]]\nname = \"x\"\ndirection = \"cost\"\nrange = [0, 5]\nceiling = 0.2\nsd "
       "= -1\n",
       "-1", "indicators.x.sd", "expected a number >= 0"},
      {"[[indicators]]\nname = \"x\"\nlodaing = 0.5\n", "0.5", "indicators.x.lodaing",
       "unknown key (did you mean `loading`?); valid keys here: ceiling, direction, loading, "
       "mean, missing, name, range, sd, transform"},
      {"[[indicators]]\nname = \"a,b\"\n", "\"a,b\"", "indicators.a,b.name",
       "holds a comma, quote or line break"},
      {"[[indicators]]\nname = \"x\"\nloading = \"high\"\n", "\"high\"", "indicators.x.loading",
       "found a string; expected a number in [-1, 1]"},
  };
  for (const auto& c : cases) {
    const std::string msg = ErrorOf(c.indicators);
    const std::string where = Loc(c.indicators, c.at);
    EXPECT_NE(msg.find(fmt::format("{}: {}: ", where, c.key)), std::string::npos)
        << "case: " << c.indicators << "\nmessage: " << msg << "\nexpected at " << where;
    EXPECT_NE(msg.find(c.what), std::string::npos)
        << "case: " << c.indicators << "\nmessage: " << msg;
  }
}

TEST(IndicatorKeys, StructuralErrors) {
  EXPECT_NE(ErrorOf("[[indicators]]\nloading = 0.5\n").find("missing required key `name`"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[[indicators]]\nname = \"\"\n").find("is empty"), std::string::npos);
  EXPECT_NE(ErrorOf("[[indicators]]\nname = \"c\"\ntransform = \"count\"\n")
                .find("missing required key `mean`"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[indicators]\nname = \"x\"\n")
                .find("indicators: found a table; expected an array of tables ([[indicators]])"),
            std::string::npos);
  // A duplicate name is reported at the second table's `name` value
  // (line 4 of the appended text, column 8).
  const long base_lines = std::count(kBase, kBase + std::strlen(kBase), '\n');
  EXPECT_NE(
      ErrorOf("[[indicators]]\nname = \"x\"\n[[indicators]]\nname = \"x\"\n")
          .find(fmt::format("s.toml:{}:8: indicators.x.name: indicator \"x\" is defined twice",
                            base_lines + 4)),
      std::string::npos);
  // Every problem is reported, one per line.
  const std::string all = ErrorOf(
      "[[indicators]]\nname = \"x\"\nloading = 2\n[[indicators]]\nname = \"y\"\nmissing = 3\n");
  EXPECT_NE(all.find("indicators.x.loading"), std::string::npos) << all;
  EXPECT_NE(all.find("indicators.y.missing"), std::string::npos) << all;
  // A cost count has a best end (0), so a ceiling needs no range; a cost
  // linear indicator needs one.
  EXPECT_EQ(ErrorOf("[[indicators]]\nname = \"c\"\ntransform = \"count\"\nmean = 2\ndirection = "
                    "\"cost\"\nceiling = 0.3\n"),
            "");
  EXPECT_NE(ErrorOf("[[indicators]]\nname = \"c\"\ndirection = \"cost\"\nceiling = 0.3\n")
                .find("has no lower bound"),
            std::string::npos);
}

// --- generation --------------------------------------------------------------

TEST(IndicatorGen, TableShapeNamesAndDirections) {
  Generated g = Generate(R"(
[[indicators]]
name = "a"
[[indicators]]
name = "b"
direction = "cost"
)");
  ASSERT_EQ(g.org.NumEvaluees(), kN);
  EXPECT_EQ(g.t.NumRatees(), kN);
  EXPECT_EQ(g.t.ratee_names, g.org.evaluee_names);
  EXPECT_EQ(g.t.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(g.t.cost, (std::vector<bool>{false, true}));
  EXPECT_EQ(g.t.values.rows(), kN);
  EXPECT_EQ(g.t.values.cols(), 2);

  // No indicators: an empty table with the evaluees' names.
  Generated none = Generate("");
  EXPECT_EQ(none.t.NumIndicators(), 0);
  EXPECT_EQ(none.t.values.cols(), 0);
  EXPECT_EQ(none.t.values.rows(), kN);
  EXPECT_EQ(none.t.ratee_names, none.org.evaluee_names);
}

TEST(IndicatorGen, FullLoadingIsTheStandardisedQuality) {
  // latent = quality / quality.sd exactly, so value = mean +- sd * quality / 2.
  Generated g = Generate(R"(
[[indicators]]
name = "up"
loading = 1.0
mean = 10
sd = 2
[[indicators]]
name = "down"
loading = -1.0
mean = 10
sd = 2
[[indicators]]
name = "cost"
loading = 1.0
mean = 10
sd = 2
direction = "cost"
)");
  for (int e = 0; e < kN; ++e) {
    const double q = g.org.quality[e];
    ASSERT_NEAR(g.t.values(e, 0), 10 + q, 1e-12) << e;
    ASSERT_NEAR(g.t.values(e, 1), 10 - q, 1e-12) << e;
    ASSERT_NEAR(g.t.values(e, 2), 10 - q, 1e-12) << e;
  }
}

TEST(IndicatorGen, LatentCorrelationWithQualityIsTheLoading) {
  const std::vector<double> loadings = {0.9, 0.6, 0.3, 0.0, -0.5};
  std::string text;
  for (size_t i = 0; i < loadings.size(); ++i)
    text += fmt::format("[[indicators]]\nname = \"l{}\"\nloading = {}\n", i, loadings[i]);
  Generated g = Generate(text);
  for (size_t i = 0; i < loadings.size(); ++i) {
    const std::vector<double> v = Column(g.t, static_cast<int>(i));
    // Linear with mean 0, sd 1: the value is the latent value itself.
    EXPECT_NEAR(Pearson(v, g.org.quality), loadings[i], CorrTolerance(loadings[i], kN))
        << "loading " << loadings[i];
    // Standard normal overall whatever quality.sd is (2 here).
    EXPECT_NEAR(Mean(v), 0.0, 5.0 / std::sqrt(kN) + 0.05 * std::abs(loadings[i]));
    EXPECT_NEAR(Variance(v), 1.0, 0.06);
  }
}

TEST(IndicatorGen, MonotoneTransformsKeepTheRankCorrelation) {
  // Rate and score are increasing maps of the latent value, so Spearman's
  // rho with quality is that of a bivariate normal with correlation r:
  // (6 / pi) asin(r / 2) (Pearson 1907; Kendall & Gibbons, Rank Correlation
  // Methods, 1990, sec. 10.5).
  Generated g = Generate(R"(
[[indicators]]
name = "rate"
loading = 0.7
transform = "rate"
range = [0.8, 1.0]
median = 0.97
[[indicators]]
name = "score"
loading = 0.5
transform = "score"
range = [60, 100]
mean = 80
sd = 5
[[indicators]]
name = "overdue"
loading = 0.7
transform = "rate"
direction = "cost"
)");
  const double r07 = 6 / M_PI * std::asin(0.35), r05 = 6 / M_PI * std::asin(0.25);
  EXPECT_NEAR(Spearman(Column(g.t, 0), g.org.quality), r07, CorrTolerance(0.7, kN));
  EXPECT_NEAR(Spearman(Column(g.t, 1), g.org.quality), r05, CorrTolerance(0.5, kN));
  EXPECT_NEAR(Spearman(Column(g.t, 2), g.org.quality), -r07, CorrTolerance(0.7, kN));
}

TEST(IndicatorGen, CostMirrorsTheBenefitValueAtTheSamePosition) {
  // Same seed, replicate and position: the same latent draws, so the cost
  // value is the benefit value reflected about the centre.
  const std::string benefit = R"(
[[indicators]]
name = "lin"
loading = 0.6
mean = 5
sd = 3
[[indicators]]
name = "rate"
loading = 0.6
transform = "rate"
range = [0.2, 0.9]
)";
  std::string cost = benefit;
  for (size_t at = cost.find("loading"); at != std::string::npos;
       at = cost.find("loading", at + 30))
    cost.insert(at, "direction = \"cost\"\n");
  Generated b = Generate(benefit), c = Generate(cost);
  ASSERT_EQ(c.s.indicators.size(), 2u);
  ASSERT_TRUE(c.s.indicators[0].cost && c.s.indicators[1].cost);
  for (int e = 0; e < kN; ++e) {
    ASSERT_NEAR(c.t.values(e, 0), 10 - b.t.values(e, 0), 1e-12);
    ASSERT_NEAR(c.t.values(e, 1), 1.1 - b.t.values(e, 1), 1e-12);
  }
  EXPECT_NEAR(Pearson(Column(c.t, 0), c.org.quality), -0.6, CorrTolerance(0.6, kN));
  EXPECT_EQ(c.t.cost, (std::vector<bool>{true, true}));
}

TEST(IndicatorGen, RangesAndLocationHold) {
  Generated g = Generate(R"(
[[indicators]]
name = "on_time"
transform = "rate"
range = [0.8, 1.0]
median = 0.97
[[indicators]]
name = "report_card"
transform = "score"
range = [60, 100]
mean = 80
sd = 5
[[indicators]]
name = "tight_score"
transform = "score"
range = [60, 100]
mean = 95
sd = 10
[[indicators]]
name = "tasks"
transform = "count"
mean = 40
range = [10, 50]
[[indicators]]
name = "clamped_linear"
range = [-1, 1]
)");
  for (int i = 0; i < g.t.NumIndicators(); ++i) {
    const IndicatorSpec& ind = g.s.indicators[i];
    for (int e = 0; e < kN; ++e) {
      const double v = g.t.values(e, i);
      ASSERT_GE(v, ind.lo) << ind.name;
      ASSERT_LE(v, ind.hi) << ind.name;
      if (ind.transform == "count") {
        ASSERT_EQ(v, std::floor(v)) << ind.name;
      }
    }
  }
  // The rate's median is `median`: on the latent scale the sample median is
  // within 5 standard errors (sqrt(pi / 2) / sqrt(n)) of 0.
  std::vector<double> rate = Column(g.t, 0);
  std::nth_element(rate.begin(), rate.begin() + kN / 2, rate.end());
  const double shift = NormalQuantile((0.97 - 0.8) / 0.2);
  EXPECT_NEAR(NormalQuantile((rate[kN / 2] - 0.8) / 0.2) - shift, 0.0, 5 * 1.2533 / std::sqrt(kN));
  // The score has its mean and sd (clamping at 4 sd is negligible).
  const std::vector<double> score = Column(g.t, 1);
  EXPECT_NEAR(Mean(score), 80, 5 * 5 / std::sqrt(kN));
  EXPECT_NEAR(std::sqrt(Variance(score)), 5, 0.15);
  // A score whose mean sits near the top piles up at the bound: P(x > 0.5)
  // of the standard normal = 0.3085 of the values are exactly 100.
  const std::vector<double> tight = Column(g.t, 2);
  const double at_top = std::count(tight.begin(), tight.end(), 100.0) / static_cast<double>(kN);
  EXPECT_NEAR(at_top, 1 - NormalCdf(0.5), 5 * std::sqrt(0.31 * 0.69 / kN) + 0.01);
}

TEST(IndicatorGen, MissingShareIsRequestedAndAtRandom) {
  const std::string with = R"(
[[indicators]]
name = "x"
loading = 0.8
missing = 0.15
)";
  Generated g = Generate(with);
  Generated full = Generate("[[indicators]]\nname = \"x\"\nloading = 0.8\n");
  int missing = 0;
  double q_missing = 0;
  for (int e = 0; e < kN; ++e) {
    if (std::isnan(g.t.values(e, 0))) {
      ++missing;
      q_missing += g.org.quality[e];
    } else {
      // The values that remain are those drawn without `missing`.
      ASSERT_EQ(g.t.values(e, 0), full.t.values(e, 0));
    }
  }
  EXPECT_NEAR(missing / static_cast<double>(kN), 0.15, 5 * std::sqrt(0.15 * 0.85 / kN));
  // Missing completely at random: the missing evaluees' mean quality is that
  // of everyone (quality sd 2; clustering inflates the error, hence 8 se).
  EXPECT_NEAR(q_missing / missing - Mean(g.org.quality), 0.0, 8 * 2.0 / std::sqrt(missing));
  // Fresh missing draws per replicate.
  Generated g1 = Generate(with, 1);
  int both = 0;
  for (int e = 0; e < kN; ++e)
    both += std::isnan(g.t.values(e, 0)) && std::isnan(g1.t.values(e, 0));
  EXPECT_NEAR(both / static_cast<double>(kN), 0.15 * 0.15, 5 * std::sqrt(0.0225 / kN));
}

TEST(IndicatorGen, CeilingPutsTheHighestLatentValuesAtTheBestEnd) {
  // With loading 1 the latent value is quality / sd: exactly the evaluees
  // above the standard normal's 80 % quantile sit at the top.
  Generated g = Generate(R"(
[[indicators]]
name = "on_time"
loading = 1.0
transform = "rate"
range = [0.8, 1.0]
median = 0.95
ceiling = 0.2
[[indicators]]
name = "overdue"
loading = 0.5
transform = "rate"
direction = "cost"
range = [0.0, 0.3]
ceiling = 0.1
[[indicators]]
name = "complaints"
loading = 0.5
transform = "count"
direction = "cost"
mean = 4
ceiling = 0.25
)");
  const double t = NormalQuantile(0.8);
  int top = 0;
  for (int e = 0; e < kN; ++e) {
    const bool above = g.org.quality[e] / 2.0 > t;
    ASSERT_EQ(g.t.values(e, 0) == 1.0, above) << e;
    top += above;
  }
  EXPECT_NEAR(top / static_cast<double>(kN), 0.2, 0.03);
  // A cost indicator's best end is its lower bound.
  const std::vector<double> overdue = Column(g.t, 1);
  EXPECT_NEAR(std::count(overdue.begin(), overdue.end(), 0.0) / static_cast<double>(kN), 0.1,
              5 * std::sqrt(0.09 / kN) + 0.01);
  // Zero complaints: the ceiling's 25 % plus the Poisson zeros of the rest,
  // P(0) = E[exp(-lambda)] over the lognormal rate (dispersion 0.5) given
  // latent <= the 75 % quantile. Computed here by quadrature.
  double p0 = 0;
  const double tc = NormalQuantile(0.75), d = 0.5, step = 1e-3;
  for (double x = -9; x < tc; x += step) {
    const double xm = x + step / 2;
    const double lambda = 4 * std::exp(-d * xm - d * d / 2);  // cost: the rate falls with x
    p0 += std::exp(-lambda) * std::exp(-xm * xm / 2) / std::sqrt(2 * M_PI) * step;
  }
  const std::vector<double> comp = Column(g.t, 2);
  EXPECT_NEAR(std::count(comp.begin(), comp.end(), 0.0) / static_cast<double>(kN), 0.25 + p0,
              5 * std::sqrt(0.3 * 0.7 / kN) + 0.01);
}

TEST(IndicatorGen, CountsFollowThePoissonLaw) {
  // Dispersion 0: plain Poisson(mean). Mean 2 uses inversion, mean 30 and
  // 400 the PTRS rejection sampler. Five replicates give 100,000 draws.
  const std::string text = R"(
[[indicators]]
name = "c2"
transform = "count"
mean = 2
dispersion = 0
[[indicators]]
name = "c30"
transform = "count"
mean = 30
dispersion = 0
[[indicators]]
name = "c400"
transform = "count"
mean = 400
dispersion = 0
[[indicators]]
name = "lognormal"
transform = "count"
mean = 3
dispersion = 0.5
)";
  Scenario s = Parse(text);
  Organisation org = BuildOrganisation(s);
  std::vector<std::vector<double>> draws(4);
  for (int r = 0; r < 5; ++r) {
    IndicatorTable t = GenerateIndicators(s, org, r);
    for (int i = 0; i < 4; ++i) {
      auto c = Column(t, i);
      draws[i].insert(draws[i].end(), c.begin(), c.end());
    }
  }
  const double n = static_cast<double>(draws[0].size());
  const double lambdas[] = {2, 30, 400};
  for (int i = 0; i < 3; ++i) {
    const double lam = lambdas[i];
    EXPECT_NEAR(Mean(draws[i]), lam, 5 * std::sqrt(lam / n)) << lam;
    // Var of the sample variance of a Poisson: (mu4 - sigma^4) / n with
    // mu4 = lam (1 + 3 lam).
    EXPECT_NEAR(Variance(draws[i]), lam, 5 * std::sqrt((lam * (1 + 3 * lam) - lam * lam) / n))
        << lam;
    // Each frequency against the probability mass function, summed from
    // p(0) = exp(-lam) by p(k) = p(k-1) lam / k (in logs for lam = 400).
    std::vector<double> counts(static_cast<size_t>(3 * lam + 20), 0.0);
    for (double v : draws[i]) {
      ASSERT_GE(v, 0);
      if (v < static_cast<double>(counts.size())) counts[static_cast<size_t>(v)] += 1;
    }
    double log_p = -lam;
    for (size_t k = 0; k < counts.size(); ++k) {
      if (k > 0) log_p += std::log(lam / static_cast<double>(k));
      const double p = std::exp(log_p);
      EXPECT_NEAR(counts[k] / n, p, 5 * std::sqrt(p * (1 - p) / n) + 1e-4)
          << "lambda " << lam << " k " << k;
    }
  }
  // Poisson-lognormal: E = mean, Var = mean + mean^2 (exp(d^2) - 1).
  const double var = 3 + 9 * (std::exp(0.25) - 1);
  EXPECT_NEAR(Mean(draws[3]), 3, 5 * std::sqrt(var / n));
  EXPECT_NEAR(Variance(draws[3]), var, 0.05 * var);
}

TEST(IndicatorGen, DeterministicFreshPerReplicateAndThreadIndependent) {
  const std::string text = R"(
[[indicators]]
name = "lin"
loading = 0.8
[[indicators]]
name = "rate"
transform = "rate"
missing = 0.1
ceiling = 0.05
[[indicators]]
name = "count"
transform = "count"
mean = 25
direction = "cost"
)";
  Scenario s = Parse(text);
  Organisation org = BuildOrganisation(s);
  constexpr int kReplicates = 8;
  std::vector<IndicatorTable> serial;
  for (int r = 0; r < kReplicates; ++r) serial.push_back(GenerateIndicators(s, org, r));
  EXPECT_TRUE(SameBits(serial[3], GenerateIndicators(s, org, 3)));
  for (int threads : {1, 2, 4}) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    std::vector<IndicatorTable> par(kReplicates);
    tbb::parallel_for(0, kReplicates, [&](int r) {
      // Reverse order, so that no replicate runs where the serial loop did.
      par[kReplicates - 1 - r] = GenerateIndicators(s, org, kReplicates - 1 - r);
    });
    for (int r = 0; r < kReplicates; ++r)
      EXPECT_TRUE(SameBits(serial[r], par[r])) << "threads " << threads << " replicate " << r;
  }
  // Fresh noise per replicate: two replicates share only quality, so their
  // latent values correlate at loading^2 = 0.64.
  EXPECT_FALSE(SameBits(serial[0], serial[1]));
  EXPECT_NEAR(Pearson(Column(serial[0], 0), Column(serial[1], 0)), 0.64, CorrTolerance(0.64, kN));
  // Another seed changes the draws.
  Scenario other = ParseScenario(std::string(kBase) + text, "s.toml", {"seed=6"});
  Organisation other_org = BuildOrganisation(other);
  EXPECT_NE(GenerateIndicators(other, other_org, 0).values(0, 0), serial[0].values(0, 0));
}

TEST(IndicatorGen, AppendingOrChangingAnIndicatorLeavesTheOthers) {
  const std::string two = R"(
[[indicators]]
name = "a"
loading = 0.4
transform = "count"
mean = 12
[[indicators]]
name = "b"
transform = "rate"
missing = 0.2
)";
  const std::string three = two + R"(
[[indicators]]
name = "c"
transform = "score"
ceiling = 0.3
)";
  Generated g2 = Generate(two), g3 = Generate(three);
  ASSERT_EQ(g3.t.NumIndicators(), 3);
  IndicatorTable first_two = g3.t;
  first_two.values = g3.t.values.leftCols(2);
  EXPECT_TRUE(SameBits(g2.t, first_two));
  // Changing b's keys leaves a's values alone.
  Scenario changed = ParseScenario(std::string(kBase) + two, "s.toml",
                                   {"indicators.b.loading=-0.3", "indicators.b.missing=0.5"});
  IndicatorTable t = GenerateIndicators(changed, g2.org, 0);
  for (int e = 0; e < kN; ++e) ASSERT_EQ(t.values(e, 0), g2.t.values(e, 0));
  int differ = 0;
  for (int e = 0; e < kN; ++e) differ += !(t.values(e, 1) == g2.t.values(e, 1));
  EXPECT_GT(differ, kN / 2);
}

TEST(IndicatorGen, ZeroQualitySdLeavesOnlyTheNoise) {
  // quality.sd = 0: every evaluee has quality 0, so the latent value is
  // sqrt(1 - loading^2) N(0, 1).
  Scenario s = ParseScenario(std::string(kBase) + "[[indicators]]\nname = \"x\"\nloading = 0.6\n",
                             "s.toml", {"organisation.quality.sd=0"});
  Organisation org = BuildOrganisation(s);
  const std::vector<double> v = Column(GenerateIndicators(s, org, 0), 0);
  for (double x : v) ASSERT_TRUE(std::isfinite(x));
  EXPECT_NEAR(Variance(v), 0.64, 0.04);
}

TEST(IndicatorGen, ShippedCompositeScenarioIndicatorsAreValid) {
  // The shipped scenario's models may need models registered elsewhere;
  // here they are replaced by one plain rubric so the rest is checked.
  const std::string path = std::string(EVALSIM_SOURCE_DIR) + "/scenarios/composite_index.toml";
  toml::table root = toml::parse_file(path);
  root.erase("models");
  root.erase("uncertainty");
  toml::array models;
  models.push_back(toml::table{{"name", "vote"}, {"model", "weighted_mean"}});
  root.insert("models", std::move(models));
  std::ostringstream text;
  text << root;
  Scenario s = ParseScenario(text.str(), path);
  ASSERT_GE(s.indicators.size(), 6u);
  ASSERT_LE(s.indicators.size(), 10u);
  Organisation org = BuildOrganisation(s);
  IndicatorTable t = GenerateIndicators(s, org, 0);
  for (int i = 0; i < t.NumIndicators(); ++i) {
    const IndicatorSpec& ind = s.indicators[i];
    int valid = 0;
    for (int e = 0; e < t.NumRatees(); ++e) {
      const double v = t.values(e, i);
      if (std::isnan(v)) continue;
      ++valid;
      ASSERT_GE(v, ind.lo) << ind.name;
      ASSERT_LE(v, ind.hi) << ind.name;
    }
    EXPECT_GT(valid, 0) << ind.name;
    // Each indicator points the right way: positive rank correlation with
    // quality after flipping cost indicators.
    std::vector<double> x, q;
    for (int e = 0; e < t.NumRatees(); ++e) {
      if (std::isnan(t.values(e, i))) continue;
      x.push_back(ind.cost ? -t.values(e, i) : t.values(e, i));
      q.push_back(org.quality[e]);
    }
    if (ind.loading > 0.2) {
      EXPECT_GT(Spearman(x, q), 0.0) << ind.name;
    }
  }
}

TEST(IndicatorGen, TimingOfALargeTable) {
  // 100,000 evaluees x 20 indicators (four transforms). Time is printed,
  // not asserted.
  std::string text;
  const char* transforms[] = {"linear", "rate", "score", "count"};
  for (int i = 0; i < 20; ++i) {
    text += fmt::format("[[indicators]]\nname = \"i{}\"\ntransform = \"{}\"\nmissing = 0.05\n", i,
                        transforms[i % 4]);
    if (i % 4 == 3) text += fmt::format("mean = {}\n", i % 8 == 3 ? 3 : 60);
  }
  std::string base = kBase;
  base.replace(base.find("count = 1000 }"), 14, "count = 5000 }");
  Scenario s = ParseScenario(base + text, "s.toml");
  Organisation org = BuildOrganisation(s);
  ASSERT_EQ(org.NumEvaluees(), 100000);
  const auto start = std::chrono::steady_clock::now();
  IndicatorTable t = GenerateIndicators(s, org, 0);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(t.values.rows(), 100000);
  EXPECT_EQ(t.values.cols(), 20);
  std::printf("GenerateIndicators: 100,000 evaluees x 20 indicators in %.3f s\n", secs);
}

}  // namespace
}  // namespace evalsim
