// Pairwise-comparison model benchmarks: bradley_terry, rank_centrality and
// hodgerank on 10^5 evaluees and 10^7 comparisons aggregated into pairs,
// against the floor of one read pass over the aggregated pair arrays
// (first, second: 4 bytes each; first_wins, second_wins: 8 bytes each),
// measured in the same process when the inputs are built.
//
// Inputs: log-strengths N(0, 1); every evaluee draws 20 opponents at random
// (so each meets about 40 others), and each drawn pair plays 5 comparisons
// with Bradley-Terry outcomes: 10^7 comparisons in about 2 * 10^6 distinct
// pairs. Drawn once with a fixed seed, outside any timed region.
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/common/comparison_graph.h"
#include "models/pairwise/bradley_terry.h"
#include "models/pairwise/hodgerank.h"
#include "models/pairwise/rank_centrality.h"
#include "models/registry.h"
#include "sim/core/comparisons.h"
#include "sim/core/rng.h"

namespace evalsim::bench {
namespace {

constexpr int kEvaluees = 100000;
constexpr int kOpponentsDrawn = 20;
constexpr int kGamesPerDraw = 5;

struct ComparisonInputs {
  PairwiseBallots ballots;
  uint64_t comparisons = 0;
  double floor_bytes_per_second = 0.0;  // read pass over the four pair arrays
  double PairBytes() const { return static_cast<double>(ballots.NumPairs()) * 24.0; }
  double FloorPassSeconds() const { return PairBytes() / floor_bytes_per_second; }
};

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// The floor kernel: one read of every element of the four pair arrays.
double SumPairs(const PairwiseBallots& b) {
  const size_t P = b.NumPairs();
  const uint32_t* f = b.first.data();
  const uint32_t* s = b.second.data();
  const double* fw = b.first_wins.data();
  const double* sw = b.second_wins.data();
  uint64_t ids = 0;
  double wins = 0.0;
  for (size_t p = 0; p < P; ++p) {
    ids += f[p] + s[p];
    wins += fw[p] + sw[p];
  }
  return static_cast<double>(ids) + wins;
}

double MeasureFloor(const PairwiseBallots& b, double bytes) {
  double sink = 0.0;
  for (int i = 0; i < 2; ++i) sink += SumPairs(b);
  int passes = 0;
  const double start = ThreadCpuSeconds();
  double elapsed = 0.0;
  while (passes < 10 || elapsed < 0.3) {
    sink += SumPairs(b);
    benchmark::DoNotOptimize(sink);
    ++passes;
    elapsed = ThreadCpuSeconds() - start;
  }
  return bytes * passes / elapsed;
}

const ComparisonInputs& Inputs() {
  static const std::unique_ptr<ComparisonInputs> in = [] {
    auto c = std::make_unique<ComparisonInputs>();
    Rng rng(DeriveSeed(20240601, {kStreamComparisons, 1}));
    std::vector<double> theta(kEvaluees);
    for (double& t : theta) t = rng.Normal();
    // (i << 32 | j, wins of i, wins of j) for every drawn pair, then merged.
    struct Draw {
      uint64_t key;
      float wi, wj;
    };
    std::vector<Draw> draws;
    draws.reserve(static_cast<size_t>(kEvaluees) * kOpponentsDrawn);
    for (int i = 0; i < kEvaluees; ++i) {
      for (int k = 0; k < kOpponentsDrawn; ++k) {
        uint32_t j = static_cast<uint32_t>(rng.Below(kEvaluees - 1));
        if (j >= static_cast<uint32_t>(i)) ++j;
        const uint32_t a = std::min<uint32_t>(i, j), b = std::max<uint32_t>(i, j);
        const double p = 1.0 / (1.0 + std::exp(theta[b] - theta[a]));  // a beats b
        const uint64_t threshold = ProbabilityThreshold(p);
        int wa = 0;
        for (int g = 0; g < kGamesPerDraw; ++g) wa += rng.BernoulliThreshold(threshold);
        draws.push_back({(uint64_t{a} << 32) | b, static_cast<float>(wa),
                         static_cast<float>(kGamesPerDraw - wa)});
      }
    }
    std::sort(draws.begin(), draws.end(),
              [](const Draw& x, const Draw& y) { return x.key < y.key; });
    PairwiseBallots& b = c->ballots;
    b.ratee_names.resize(kEvaluees);
    for (int v = 0; v < kEvaluees; ++v) b.ratee_names[v] = "e" + std::to_string(v);
    for (const Draw& d : draws) {
      if (!b.first.empty() && ((uint64_t{b.first.back()} << 32) | b.second.back()) == d.key) {
        b.first_wins.back() += d.wi;
        b.second_wins.back() += d.wj;
      } else {
        b.first.push_back(static_cast<uint32_t>(d.key >> 32));
        b.second.push_back(static_cast<uint32_t>(d.key));
        b.first_wins.push_back(d.wi);
        b.second_wins.push_back(d.wj);
      }
      c->comparisons += kGamesPerDraw;
    }
    c->floor_bytes_per_second = MeasureFloor(b, c->PairBytes());
    return c;
  }();
  return *in;
}

const auto kPerIteration =
    benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert;

void SetPairCounters(benchmark::State& state, const ComparisonInputs& in) {
  state.counters["pairs"] = static_cast<double>(in.ballots.NumPairs());
  state.counters["comparisons"] = static_cast<double>(in.comparisons);
  state.counters["evaluees"] = in.ballots.NumRatees();
  state.counters["floor_GBps"] = in.floor_bytes_per_second * 1e-9;
  state.counters["floor_ms"] = in.FloorPassSeconds() * 1e3;
}

// ---- Floor -----------------------------------------------------------------

// One read pass over the aggregated pair arrays (24 bytes a pair).
void BM_PairsFloorRead(benchmark::State& state) {
  const ComparisonInputs& in = Inputs();
  for (auto _ : state) {
    double s = SumPairs(in.ballots);
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(in.PairBytes()));
  SetPairCounters(state, in);
}
BENCHMARK(BM_PairsFloorRead)->Unit(benchmark::kMillisecond);

// ---- One MM iteration ------------------------------------------------------

// One iteration of bradley_terry's MM fit: the pass over the pairs that
// accumulates the denominators (internal::MmDenominators), then the update
// of every strength, as in the model.
void BM_BradleyTerryMmIteration(benchmark::State& state) {
  const ComparisonInputs& in = Inputs();
  const internal::CompactPairs pairs = internal::CompactComparisons(in.ballots);
  std::vector<double> g(pairs.n, 1.0), denom(pairs.n);
  for (auto _ : state) {
    internal::MmDenominators(pairs, g, 0.0, &denom);
    for (int v = 0; v < pairs.n; ++v)
      if (denom[v] > 0.0) g[v] = pairs.wins[v] / denom[v];
    benchmark::DoNotOptimize(g.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(pairs.size()));
  SetPairCounters(state, in);
  // Time of one iteration over the floor pass time (1 = at the floor).
  state.counters["floor_ratio"] = benchmark::Counter(in.FloorPassSeconds(), kPerIteration);
}
BENCHMARK(BM_BradleyTerryMmIteration)->Unit(benchmark::kMillisecond);

// ---- Set-up shared by the three models -----------------------------------

// The connectivity check every model makes before fitting: compressed
// adjacency, components, forward and backward searches.
void BM_AnalyseComparisonGraph(benchmark::State& state) {
  const ComparisonInputs& in = Inputs();
  for (auto _ : state) {
    ComparisonGraph g = AnalyseComparisonGraph(in.ballots);
    benchmark::DoNotOptimize(g.component.data());
  }
  SetPairCounters(state, in);
  state.counters["floor_ratio"] = benchmark::Counter(in.FloorPassSeconds(), kPerIteration);
}
BENCHMARK(BM_AnalyseComparisonGraph)->Unit(benchmark::kMillisecond);

// ---- Full fits -------------------------------------------------------------

std::optional<double> Parameter(const ScoreResult& r, const std::string& name) {
  for (const auto& [key, value] : r.parameters)
    if (key == name) return value;
  return std::nullopt;
}

// A full Score() of `model` with `options` (TOML). Counters: the fit's
// iterations (MM iterations, Newton steps, power iterations, CG steps),
// the fit time over the floor, and the fit time per iteration in ms and over
// the floor.
void BM_Fit(benchmark::State& state, const char* model, const char* options) {
  const ComparisonInputs& in = Inputs();
  Registry registry;
  registry.Add(BradleyTerrySpec());
  registry.Add(RankCentralitySpec());
  registry.Add(HodgeRankSpec());
  const toml::table table = toml::parse(std::string_view(options), std::string_view("bench"));
  const std::unique_ptr<Model> m = registry.Create(model, table, ModelContext{}, "", "bench");
  ModelInput input;
  input.pairwise = &in.ballots;
  ScoreResult r;
  for (auto _ : state) {
    r = m->Score(input);
    benchmark::DoNotOptimize(r.score.data());
  }
  SetPairCounters(state, in);
  state.counters["floor_ratio"] = benchmark::Counter(in.FloorPassSeconds(), kPerIteration);
  const std::optional<double> it = Parameter(r, "iterations");
  const std::optional<double> cg = Parameter(r, "cg_iterations");
  if (it) state.counters["fit_iterations"] = *it;
  if (cg) state.counters["cg_iterations"] = *cg;
  if (const auto c = Parameter(r, "converged")) state.counters["converged"] = *c;
  // Passes over the pairs: MM and power iterations make one, CG one per
  // step; a Newton step makes one for the gradient, one for the weights and
  // at least one for its line search's log-likelihood, on top of its CG
  // steps (counted as 3 per step: a lower bound when the search halves).
  const double passes = cg ? *cg + 3.0 * *it : it.value_or(0.0);
  if (passes >= 1.0) {
    state.counters["ms_per_pass"] = benchmark::Counter(passes * 1e-3, kPerIteration);
    state.counters["per_pass_floor_ratio"] =
        benchmark::Counter(in.FloorPassSeconds() * passes, kPerIteration);
  }
  if (!r.notes.empty()) state.SetLabel(r.notes.front());
}
BENCHMARK_CAPTURE(BM_Fit, bradley_terry_mm, "bradley_terry", "")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_Fit, bradley_terry_newton, "bradley_terry", "method = \"newton\"")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_Fit, rank_centrality, "rank_centrality", "")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_Fit, hodgerank, "hodgerank", "")->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace evalsim::bench
