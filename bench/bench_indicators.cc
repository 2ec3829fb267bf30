// Indicator (MCDA) benchmarks: TOPSIS, the fused weighted-arithmetic
// composite and grey relational analysis on 10^5 units x 20 indicators,
// against the floor of one read pass over the same column-major matrix,
// measured in the same run (floor_ratio = time per call / floor time).
// Registered statically, so they run with the rest of evalsim_bench;
// select them with --benchmark_filter=Indicators.
//
// Uncertainty/composite_mc: the Monte Carlo uncertainty analysis
// (sim/run/uncertainty.h) of a composite entry on 1,031 units x 8 indicators,
// 10,000 draws varying the weights (Dirichlet, concentration 50), the
// normalisation (minmax, zscore, rank, distance_to_best) and the aggregation
// (arithmetic, geometric); draws_per_second counts draws per wall-clock
// second, in a task arena of 1 thread and of the machine's default.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <time.h>
#include <toml++/toml.h>

#include <Eigen/Core>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "models/indicators/mcda.h"
#include "models/model.h"
#include "sim/core/indicators.h"
#include "sim/run/uncertainty.h"
#include "sim/scenario/scenario.h"

namespace evalsim::bench {
namespace {

constexpr int kUnits = 100000;
constexpr int kIndicators = 20;

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// One read pass over every cell (a vectorised sum).
double SumCells(const Eigen::MatrixXd& X) { return X.sum(); }

struct IndicatorInputs {
  Eigen::MatrixXd X;
  std::vector<bool> cost;
  Eigen::VectorXd weights;
  double floor_seconds = 0.0;  // one read pass, thread CPU time
};

// Positive indicators of mixed scales (log-normal), every third one a cost.
const IndicatorInputs& Inputs() {
  static const IndicatorInputs* inputs = [] {
    auto* in = new IndicatorInputs;
    std::mt19937_64 rng(20240601);
    std::lognormal_distribution<double> lognormal(0.0, 0.5);
    std::uniform_real_distribution<double> scale(0.1, 1000.0);
    in->X.resize(kUnits, kIndicators);
    for (int j = 0; j < kIndicators; ++j) {
      const double s = scale(rng);
      for (int i = 0; i < kUnits; ++i) in->X(i, j) = s * lognormal(rng);
      in->cost.push_back(j % 3 == 2);
    }
    in->weights = Eigen::VectorXd::LinSpaced(kIndicators, 1.0, 2.0);
    double sink = 0.0;
    for (int k = 0; k < 2; ++k) sink += SumCells(in->X);
    int passes = 0;
    const double start = ThreadCpuSeconds();
    double elapsed = 0.0;
    while (passes < 10 || elapsed < 0.3) {
      sink += SumCells(in->X);
      benchmark::DoNotOptimize(sink);
      ++passes;
      elapsed = ThreadCpuSeconds() - start;
    }
    in->floor_seconds = elapsed / passes;
    return in;
  }();
  return *inputs;
}

void SetCounters(benchmark::State& state, const IndicatorInputs& in) {
  const double cells = static_cast<double>(in.X.size());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(in.X.size() * sizeof(double)));
  state.counters["ns_per_cell"] = benchmark::Counter(
      cells * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["floor_ratio"] =
      benchmark::Counter(in.floor_seconds, benchmark::Counter::kIsIterationInvariantRate |
                                               benchmark::Counter::kInvert);
  state.counters["floor_ms"] = in.floor_seconds * 1e3;
}

void BM_IndicatorsFloorRead(benchmark::State& state) {
  const IndicatorInputs& in = Inputs();
  for (auto _ : state) {
    double s = SumCells(in.X);
    benchmark::DoNotOptimize(s);
  }
  SetCounters(state, in);
}

void BM_IndicatorsTopsis(benchmark::State& state, mcda::Normalization method) {
  const IndicatorInputs& in = Inputs();
  for (auto _ : state) {
    mcda::TopsisResult r = mcda::Topsis(in.X, in.cost, in.weights, method);
    benchmark::DoNotOptimize(r.closeness.data());
  }
  SetCounters(state, in);
}

void BM_IndicatorsComposite(benchmark::State& state, mcda::Normalization method) {
  const IndicatorInputs& in = Inputs();
  for (auto _ : state) {
    Eigen::VectorXd s = mcda::CompositeArithmetic(in.X, in.cost, in.weights, method);
    benchmark::DoNotOptimize(s.data());
  }
  SetCounters(state, in);
}

// Normalise into a full matrix, then aggregate: the unfused baseline.
void BM_IndicatorsNormalizeThenArithmetic(benchmark::State& state) {
  const IndicatorInputs& in = Inputs();
  for (auto _ : state) {
    const Eigen::MatrixXd Z = mcda::Normalize(in.X, in.cost, mcda::Normalization::kMinMax);
    Eigen::VectorXd s = mcda::WeightedArithmetic(Z, in.weights);
    benchmark::DoNotOptimize(s.data());
  }
  SetCounters(state, in);
}

void BM_IndicatorsGrey(benchmark::State& state) {
  const IndicatorInputs& in = Inputs();
  for (auto _ : state) {
    mcda::GreyRelationalResult r = mcda::GreyRelational(in.X, in.cost, in.weights);
    benchmark::DoNotOptimize(r.grade.data());
  }
  SetCounters(state, in);
}

// 1,031 units (the size of a national set of municipalities in the
// scenarios) x 8 positive indicators, every fourth a cost, 2 % missing.
const IndicatorTable& UncertaintyTable() {
  static const IndicatorTable* table = [] {
    auto* t = new IndicatorTable;
    constexpr int kN = 1031, kM = 8;
    std::mt19937_64 rng(20240602);
    std::lognormal_distribution<double> lognormal(0.0, 0.5);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    t->values.resize(kN, kM);
    for (int i = 0; i < kN; ++i) t->ratee_names.push_back(fmt::format("u{}", i));
    for (int j = 0; j < kM; ++j) {
      t->names.push_back(fmt::format("x{}", j));
      t->cost.push_back(j % 4 == 3);
      const double scale = 1.0 + 100.0 * unit(rng);
      for (int i = 0; i < kN; ++i) {
        t->values(i, j) =
            unit(rng) < 0.02 ? std::numeric_limits<double>::quiet_NaN() : scale * lognormal(rng);
      }
    }
    return t;
  }();
  return *table;
}

void BM_UncertaintyComposite(benchmark::State& state) {
  const IndicatorTable& t = UncertaintyTable();
  ModelEntry entry;
  entry.name = "idx";
  entry.model = "composite";
  entry.path = "models.idx";
  entry.options = toml::parse(std::string_view("weighting = 'fixed'\nnormalise = 'minmax'"),
                              std::string_view("bench.toml"));
  UncertaintySpec spec;
  spec.model = "idx";
  spec.draws = 10000;
  spec.weight_concentration = 50.0;
  spec.normalisations = {"minmax", "zscore", "rank", "distance_to_best"};
  spec.aggregations = {"arithmetic", "geometric"};
  ModelInput input;
  input.indicators = &t;
  const ModelContext ctx;
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    UncertaintyResult r = RunUncertainty(spec, entry, input, ctx, 7, threads);
    benchmark::DoNotOptimize(r.median_rank.data());
  }
  state.counters["draws_per_second"] =
      benchmark::Counter(static_cast<double>(spec.draws) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}

BENCHMARK(BM_IndicatorsFloorRead)
    ->Name("Indicators/floor_read/100000x20")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_IndicatorsTopsis, vector, mcda::Normalization::kVector)
    ->Name("Indicators/topsis_vector/100000x20")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_IndicatorsTopsis, rank, mcda::Normalization::kRank)
    ->Name("Indicators/topsis_rank/100000x20")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_IndicatorsComposite, minmax, mcda::Normalization::kMinMax)
    ->Name("Indicators/composite_minmax_arithmetic/100000x20")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_IndicatorsComposite, vector, mcda::Normalization::kVector)
    ->Name("Indicators/composite_vector_arithmetic/100000x20")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_IndicatorsComposite, zscore, mcda::Normalization::kZScore)
    ->Name("Indicators/composite_zscore_arithmetic/100000x20")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_IndicatorsComposite, distance_to_best, mcda::Normalization::kDistanceToBest)
    ->Name("Indicators/composite_distance_to_best_arithmetic/100000x20")
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IndicatorsNormalizeThenArithmetic)
    ->Name("Indicators/normalize_then_arithmetic/100000x20")
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IndicatorsGrey)
    ->Name("Indicators/grey_relational_minmax/100000x20")
    ->Unit(benchmark::kMillisecond);

// Argument: threads of the task arena (0 = the default arena).
BENCHMARK(BM_UncertaintyComposite)
    ->Name("Uncertainty/composite_mc/1031x8/draws:10000")
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace evalsim::bench
