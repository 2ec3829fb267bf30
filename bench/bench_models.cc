// Model benchmarks: every model of the registry, created with its default
// options, scoring the fixed ballots of each size. New models are
// benchmarked automatically. The loop body is only the Score() call.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <memory>
#include <string>

#include "bench/bench_inputs.h"
#include "models/registry.h"

namespace evalsim::bench {
namespace {

void BM_Score(benchmark::State& state, int spec_index, int size) {
  const BenchInputs& in = Inputs(size);
  const RatingBallots& b = in.ballots;
  const ModelSpec& spec = Models().Specs()[spec_index];
  const ModelContext ctx{b.levels, b.group_names};
  const std::unique_ptr<Model> model = Models().Create(spec.name, toml::table{}, ctx, "", "bench");
  ModelInput input;
  input.ratings = &b;
  for (auto _ : state) {
    ScoreResult r = model->Score(input);
    benchmark::DoNotOptimize(r.score.data());
  }
  const double ballots = static_cast<double>(b.NumBallots());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(b.NumBallots()));
  // Rate counters are divided by the elapsed time; kInvert then gives
  // seconds per iteration divided by the counter's per-iteration value.
  const auto kPerIteration =
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert;
  state.counters["ns_per_ballot"] = benchmark::Counter(ballots * 1e-9, kPerIteration);
  state.counters["bytes_per_ballot"] = static_cast<double>(b.StorageBytes()) / ballots;
  // Time of one Score() over the time of one read pass over the ballot
  // words at the floor bandwidth measured in this process (1 = at the floor).
  state.counters["floor_ratio"] = benchmark::Counter(in.FloorPassSeconds(), kPerIteration);
  state.counters["floor_GBps"] = in.floor_read_bytes_per_second * 1e-9;
}

}  // namespace

void RegisterModelBenchmarks() {
  const auto& specs = Models().Specs();
  for (int size = 0; size < kNumSizes; ++size) {
    for (int i = 0; i < static_cast<int>(specs.size()); ++i) {
      const std::string name = fmt::format("Score/{}/{}", specs[i].name, SizeName(size));
      benchmark::RegisterBenchmark(name.c_str(), BM_Score, i, size)->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace evalsim::bench
