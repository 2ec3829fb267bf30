// Indicator (MCDA) benchmarks: TOPSIS, the fused weighted-arithmetic
// composite and grey relational analysis on 10^5 units x 20 indicators,
// against the floor of one read pass over the same column-major matrix,
// measured in the same run (floor_ratio = time per call / floor time).
// Registered statically, so they run with the rest of evalsim_bench;
// select them with --benchmark_filter=Indicators.
#include <benchmark/benchmark.h>
#include <time.h>

#include <Eigen/Core>
#include <random>
#include <vector>

#include "models/mcda.h"

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
BENCHMARK(BM_IndicatorsNormalizeThenArithmetic)
    ->Name("Indicators/normalize_then_arithmetic/100000x20")
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IndicatorsGrey)
    ->Name("Indicators/grey_relational_minmax/100000x20")
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace evalsim::bench
