// Model benchmarks: every model of the registry, created with its default
// options, scoring the fixed ballots of each size. New models are
// benchmarked automatically. The loop body is only the Score() call.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_inputs.h"
#include "models/common/tally.h"
#include "models/registry.h"

namespace evalsim::bench {
namespace {

// Models whose `iterations` parameter counts passes over the ballots (a
// backfitting sweep, a conjugate-gradient step, a JML iteration), so that
// the time of a fit divided by its iterations is the cost of one pass.
// bayes_shrink also reports iterations, but they run on its table of
// distinct grade counts, not on the ballots.
const std::set<std::string> kBallotPassIterations = {"rater_adjusted", "mixed_effects",
                                                     "rating_scale"};

// Models whose single fit takes more than a second at municipal size: they
// run one fit per repetition there, so that `make bench` stays within a few
// minutes.
const std::set<std::string> kSlowAtMunicipal = {"rating_scale"};

// What one untimed fit reports about itself.
struct FitFacts {
  std::optional<double> iterations;
  std::optional<double> converged;
};

std::optional<double> Parameter(const ScoreResult& r, const std::string& name) {
  for (const auto& [key, value] : r.parameters) {
    if (key == name) return value;
  }
  return std::nullopt;
}

// The facts of (model, size) from one fit outside the timed loop. The fit
// is deterministic, so it is made once per process rather than once per
// repetition (a municipal rating_scale fit takes seconds).
const FitFacts& Facts(const Model& model, int spec_index, int size, const ModelInput& input) {
  static std::map<std::pair<int, int>, FitFacts> cache;
  const auto key = std::make_pair(spec_index, size);
  auto it = cache.find(key);
  if (it == cache.end()) {
    const ScoreResult r = model.Score(input);
    it = cache.emplace(key, FitFacts{Parameter(r, "iterations"), Parameter(r, "converged")}).first;
  }
  return it->second;
}

void BM_Score(benchmark::State& state, int spec_index, int size) {
  const BenchInputs& in = Inputs(size);
  const RatingBallots& b = in.ballots;
  const ModelSpec& spec = Models().Specs()[spec_index];
  const ModelContext ctx{b.levels, b.group_names, {}};
  const std::unique_ptr<Model> model = Models().Create(spec.name, toml::table{}, ctx, "", "bench");
  ModelInput input;
  input.ratings = &b;
  const FitFacts& facts = Facts(*model, spec_index, size, input);
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
  // Named fit_iterations, not iterations: the JSON output already has an
  // "iterations" key (the benchmark's own loop count) in the same object.
  if (facts.iterations) state.counters["fit_iterations"] = *facts.iterations;
  if (facts.converged) state.counters["converged"] = *facts.converged;
  // Time of one fit divided by its iterations, over the floor pass time:
  // the cost of one pass, set-up (moments, copies, final refit) included.
  if (facts.iterations && *facts.iterations >= 1 && kBallotPassIterations.count(spec.name)) {
    state.counters["per_iteration_floor_ratio"] =
        benchmark::Counter(in.FloorPassSeconds() * *facts.iterations, kPerIteration);
  }
}

// Every model that reads the slot counts (ModelSpec::reads_slot_counts),
// fitted one after the other on the same ballots as the runner fits a
// replicate's models: each counting the slots itself, or (shared) the
// counts made once (TallyEverySlot) and handed to all of them.
void BM_SlotReaders(benchmark::State& state, int size, bool shared) {
  const BenchInputs& in = Inputs(size);
  const RatingBallots& b = in.ballots;
  const ModelContext ctx{b.levels, b.group_names, {}};
  std::vector<std::unique_ptr<Model>> models;
  for (const ModelSpec& spec : Models().Specs())
    if (spec.reads_slot_counts)
      models.push_back(Models().Create(spec.name, toml::table{}, ctx, "", "bench"));
  for (auto _ : state) {
    ModelInput input;
    input.ratings = &b;
    SlotCounts counts;
    if (shared) {
      counts = TallyEverySlot(b);
      input.slot_counts = &counts;
    }
    for (const auto& m : models) {
      ScoreResult r = m->Score(input);
      benchmark::DoNotOptimize(r.score.data());
    }
  }
  const auto kPerIteration =
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert;
  const double M = static_cast<double>(models.size());
  state.counters["models"] = M;
  // Time of all the fits over one floor pass, and per model.
  state.counters["floor_ratio"] = benchmark::Counter(in.FloorPassSeconds(), kPerIteration);
  state.counters["per_model_floor_ratio"] =
      benchmark::Counter(in.FloorPassSeconds() * M, kPerIteration);
}

}  // namespace

void RegisterModelBenchmarks() {
  const auto& specs = Models().Specs();
  for (int size = 0; size < kNumSizes; ++size) {
    for (int i = 0; i < static_cast<int>(specs.size()); ++i) {
      // Models of other input kinds: bench_comparisons.cc,
      // bench_social_choice.cc and bench_indicators.cc.
      if (specs[i].input != InputKind::kRatings) continue;
      const std::string name = fmt::format("Score/{}/{}", specs[i].name, SizeName(size));
      auto* bm = benchmark::RegisterBenchmark(name.c_str(), BM_Score, i, size)
                     ->Unit(benchmark::kMillisecond);
      if (size == kMunicipal && kSlowAtMunicipal.count(specs[i].name)) bm->Iterations(1);
    }
    for (const bool shared : {false, true}) {
      const std::string name =
          fmt::format("SlotReaders/{}/{}", shared ? "shared" : "each", SizeName(size));
      benchmark::RegisterBenchmark(name.c_str(), BM_SlotReaders, size, shared)
          ->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace evalsim::bench
