// Benchmarks of the experiments: sweeps, bootstrap, manipulation search,
// periods.
//
// Periods: RunPeriods on 1,000 evaluees (10 meetings of 100, 20 raters
// each: 2 x 10^4 ballots a period), one model with a bottom tranche whose
// evaluees are replaced, 4 replicates, one thread, for 1, 5 and 20
// periods; the counter "per_period" is the wall time divided by the periods,
// to compare with one period.
//
// Bootstrap: 1,000 resamples of weighted_mean on 10^6 ballots (10^4
// evaluees x 100 raters), against a floor measured in the same run: per
// resample one rewrite of the weight array from fixed rater counts plus one
// linear pass reading the ballot words and weights (what any weighted fit
// must read). Registered statically, so they run with the rest of
// evalsim_bench; they use real time, because the bootstrap runs on a task
// arena of `threads` workers.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "bench/bench_inputs.h"
#include "models/registry.h"
#include "sim/experiments/periods.h"
#include "sim/experiments/resample.h"

namespace evalsim::bench {
namespace {

// 100 districts x 100 towns; every district meeting's 10 superiors and 90
// members rate all of its 100 towns: 10^4 evaluees, 10^6 ballots.
constexpr const char* kBootstrapToml = R"(
name = "bench_bootstrap"
seed = 20240601
replicates = 1
[scale]
labels = ["差", "一般", "较好", "好"]
shares = [0.02, 0.08, 0.25, 0.65]
[organisation]
levels = [{ name = "district", count = 100 }, { name = "town", count = 100 }]
evaluees = "town"
quality = { sd = 1.0, inherited = 0.3 }
[meetings]
by = "district"
[[raters]]
group = "superior"
count = 10
weight = 0.4
noise = 0.5
leniency = { mean = 0.2, sd = 0.3 }
[[raters]]
group = "member"
count = 90
weight = 0.6
noise = 1.0
leniency = { mean = 0.5, sd = 0.5 }
[[models]]
name = "standard"
model = "weighted_mean"
)";

constexpr int kResamples = 1000;

struct BootstrapInputs {
  Scenario scenario;
  Organisation organisation;
  GeneratorSetup setup;
  RatingBallots ballots;
};

const BootstrapInputs& Ballots() {
  static const std::unique_ptr<BootstrapInputs> in = [] {
    auto p = std::make_unique<BootstrapInputs>();
    p->scenario = ParseScenario(kBootstrapToml, "bench/bootstrap.toml");
    p->organisation = BuildOrganisation(p->scenario);
    p->setup = MakeGeneratorSetup(p->scenario, p->organisation);
    GenerateBallots(p->setup, 0, /*with_blocs=*/false, &p->ballots);
    return p;
  }();
  return *in;
}

std::unique_ptr<Model> MakeWeightedMean(const RatingBallots& b) {
  const ModelContext ctx{b.levels, b.group_names, {}};
  return Models().Create("weighted_mean", toml::table{}, ctx, "", "bench");
}

void SetCounters(benchmark::State& state, const RatingBallots& b, double fits) {
  state.counters["ballots"] = static_cast<double>(b.NumBallots());
  state.counters["evaluees"] = b.NumRatees();
  state.counters["fits"] = fits;
  // Seconds per iteration / fits: the time of one resample (real time for
  // the benchmarks below, which use UseRealTime()).
  state.counters["time_per_fit"] = benchmark::Counter(
      fits, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// 1,000 bootstrap resamples (draw counts, rewrite weights, fit, rank,
// memberships) and the intervals, with the plain rater draws across each
// group (scheme raters-by-group, the figures of bench/README.md); argument:
// threads.
void RunBootstrap(benchmark::State& state, ResampleScheme scheme) {
  const RatingBallots& b = Ballots().ballots;
  const auto model = MakeWeightedMean(b);
  ResampleOptions o;
  o.bootstrap = kResamples;
  o.scheme = scheme;
  o.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    ResampleResult r = Resample(*model, b, o);
    benchmark::DoNotOptimize(r.p_top.data());
  }
  SetCounters(state, b, kResamples);
}

void BM_Bootstrap(benchmark::State& state) { RunBootstrap(state, ResampleScheme::kRatersByGroup); }

// The same with the default scheme, smoothed (draws within each meeting,
// the prior rater, its pseudo-ballots).
void BM_BootstrapSmoothed(benchmark::State& state) {
  RunBootstrap(state, ResampleScheme::kSmoothed);
}
BENCHMARK(BM_BootstrapSmoothed)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_Bootstrap)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(1);

// The floor on one thread: per resample, the weight rewrite from fixed
// counts and one pass reading every word and weight.
void BM_BootstrapFloor(benchmark::State& state) {
  const RatingBallots& b = Ballots().ballots;
  const RaterResampler rs(b);
  std::vector<uint32_t> counts;
  rs.Counts(1, 0, &counts);
  std::vector<float> w;
  const uint64_t N = b.NumBallots();
  for (auto _ : state) {
    double acc = 0.0;
    for (int s = 0; s < kResamples; ++s) {
      rs.ApplyCounts(counts, &w);
      benchmark::ClobberMemory();
      // Eight independent lanes, so that the pass vectorises without
      // reassociating a single float sum.
      float lane[8] = {};
      uint64_t i = 0;
      for (; i + 8 <= N; i += 8)
        for (int j = 0; j < 8; ++j)
          lane[j] += w[i + j] * static_cast<float>(b.ballot[i + j] & 0xFF);
      for (; i < N; ++i) lane[0] += w[i] * static_cast<float>(b.ballot[i] & 0xFF);
      for (float x : lane) acc += x;
    }
    benchmark::DoNotOptimize(acc);
  }
  SetCounters(state, b, kResamples);
}
BENCHMARK(BM_BootstrapFloor)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

// Leave-one-group-out jackknife: the full fit and one refit per group.
void BM_Jackknife(benchmark::State& state) {
  const RatingBallots& b = Ballots().ballots;
  const auto model = MakeWeightedMean(b);
  ResampleOptions o;
  o.jackknife = true;
  o.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    ResampleResult r = Resample(*model, b, o);
    benchmark::DoNotOptimize(r.jk_rank_lo.data());
  }
  SetCounters(state, b, 1 + b.NumGroups());
}
BENCHMARK(BM_Jackknife)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

constexpr const char* kPeriodsToml = R"(
name = "bench_periods"
seed = 7
replicates = 4
[scale]
labels = ["差", "一般", "较好", "好"]
shares = [0.05, 0.15, 0.35, 0.45]
[organisation]
levels = [{ name = "district", count = 10 }, { name = "town", count = 100 }]
evaluees = "town"
[meetings]
by = "district"
[[raters]]
group = "superior"
count = 20
noise = 0.8
leniency = { sd = 0.3 }
[[models]]
name = "remove_10"
model = "weighted_mean"
classes = { bottom_share = 0.1, bottom_label = "out", ties = "break" }
[periods]
count = 1
persistence = 0.9
innovation = 0.44
[[actions]]
name = "replace"
when = "out"
effect = "replace"
)";

void BM_Periods(benchmark::State& state) {
  const int periods = static_cast<int>(state.range(0));
  const Scenario s =
      ParseScenario(kPeriodsToml, "bench/periods.toml", {fmt::format("periods.count={}", periods)});
  const Organisation org = BuildOrganisation(s);
  for (auto _ : state) benchmark::DoNotOptimize(RunPeriods(s, org, 1));
  state.counters["per_period"] = benchmark::Counter(
      periods, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Periods)->Arg(1)->Arg(5)->Arg(20)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace evalsim::bench
