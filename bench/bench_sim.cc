// Data-preparation benchmarks: the memory-bandwidth floor, ballot
// generation, the grade-histogram summary and generation + scoring end to
// end. Model cost alone is in bench_models.cc.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <tbb/task_arena.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_inputs.h"
#include "models/common/tally.h"
#include "models/registry.h"
#include "sim/core/metrics.h"
#include "sim/core/rng.h"

namespace evalsim::bench {
namespace {

// One district meeting of about 1000 town secretaries, about 100 ballots
// each (10 superiors + 95 members at 95 % coverage): ~1e5 ballots.
constexpr const char* kDistrictToml = R"(
name = "bench_district"
seed = 20240601
replicates = 1
[scale]
labels = ["差", "一般", "较好", "好"]
shares = [0.02, 0.08, 0.25, 0.65]
[organisation]
levels = [{ name = "district", count = 1 }, { name = "town", count = [900, 1100] }]
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
count = 95
coverage = 0.95
weight = 0.6
noise = 1.0
leniency = { mean = 0.5, sd = 0.5 }
abstain = 0.03
[[blocs]]
share = 0.02
size = 0.1
boost = 0.5
penalty = 0.1
[[models]]
name = "standard"
model = "weighted_mean"
)";

// A municipality: 38 districts x [20, 35] towns x [3, 4] branches x
// [22, 32] cadres (mean 38 * 27.5 * 3.5 * 27 = 98,752 evaluees). Every
// branch meets: its cadres rate each other (~26 ballots each) and [70, 100]
// members rate 90 % of them (~76.5 each): ~102 ballots per evaluee, ~1e7.
constexpr const char* kMunicipalToml = R"(
name = "bench_municipal"
seed = 20240601
replicates = 1
[scale]
labels = ["差", "一般", "较好", "好"]
shares = [0.02, 0.08, 0.25, 0.65]
[organisation]
levels = [
  { name = "district", count = 38 },
  { name = "town", count = [20, 35] },
  { name = "branch", count = [3, 4] },
  { name = "cadre", count = [22, 32] },
]
evaluees = "cadre"
quality = { sd = 1.0, inherited = 0.3 }
[meetings]
by = "branch"
[[raters]]
group = "peer"
from_evaluees = true
weight = 0.4
noise = 0.8
leniency = { mean = 0.4, sd = 0.4 }
[[raters]]
group = "member"
count = [70, 100]
coverage = 0.9
weight = 0.6
noise = 1.0
leniency = { mean = 0.5, sd = 0.5 }
abstain = 0.02
[[blocs]]
share = 0.02
size = 0.1
boost = 0.5
penalty = 0.1
[[models]]
name = "standard"
model = "weighted_mean"
)";

// CPU time of the calling thread, the clock Google Benchmark divides rate
// counters by (without UseRealTime), so that floor_ratio compares like with
// like even on a loaded machine.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Measures the single-thread read bandwidth of SumWords over `words`: two
// warm-up passes, then passes until at least 0.3 s and 10 passes have run.
double MeasureReadBandwidth(const std::vector<uint32_t>& words) {
  uint64_t sink = 0;
  for (int i = 0; i < 2; ++i) sink += SumWords(words.data(), words.size());
  int passes = 0;
  const double start = ThreadCpuSeconds();
  double elapsed = 0.0;
  while (passes < 10 || elapsed < 0.3) {
    sink += SumWords(words.data(), words.size());
    benchmark::DoNotOptimize(sink);
    ++passes;
    elapsed = ThreadCpuSeconds() - start;
  }
  return static_cast<double>(words.size() * sizeof(uint32_t)) * passes / elapsed;
}

std::unique_ptr<BenchInputs> BuildInputs(int size) {
  auto in = std::make_unique<BenchInputs>();
  const char* text = size == kDistrict ? kDistrictToml : kMunicipalToml;
  in->scenario = ParseScenario(text, fmt::format("bench/{}.toml", SizeName(size)));
  in->organisation = BuildOrganisation(in->scenario);
  in->setup = MakeGeneratorSetup(in->scenario, in->organisation);
  GenerateBallots(in->setup, 0, /*with_blocs=*/true, &in->ballots);
  in->floor_read_bytes_per_second = MeasureReadBandwidth(in->ballots.ballot);
  return in;
}

void SetBallotCounters(benchmark::State& state, const RatingBallots& b, uint64_t ballots_per_iter) {
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(ballots_per_iter));
  // kIsIterationInvariantRate | kInvert turns ballots * 1e-9 into
  // seconds / (iterations * ballots) * 1e9: nanoseconds per ballot.
  state.counters["ns_per_ballot"] = benchmark::Counter(
      static_cast<double>(ballots_per_iter) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_ballot"] =
      static_cast<double>(b.StorageBytes()) / static_cast<double>(b.NumBallots());
  state.counters["ballots"] = static_cast<double>(b.NumBallots());
  state.counters["evaluees"] = b.NumRatees();
}

// ---- Memory-bandwidth floor --------------------------------------------

// One read pass over the ballot words: the floor of any scoring pass.
void BM_FloorRead(benchmark::State& state, int size) {
  const RatingBallots& b = Inputs(size).ballots;
  for (auto _ : state) {
    uint64_t s = SumWords(b.ballot.data(), b.ballot.size());
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(b.ballot.size() * 4));
  SetBallotCounters(state, b, b.NumBallots());
}

// Copies the ballot words to a second buffer: read + write of the same bytes
// (bytes_per_second counts the bytes copied once).
void BM_FloorMemcpy(benchmark::State& state, int size) {
  const RatingBallots& b = Inputs(size).ballots;
  std::vector<uint32_t> dst(b.ballot.size(), 1);
  for (auto _ : state) {
    std::memcpy(dst.data(), b.ballot.data(), b.ballot.size() * sizeof(uint32_t));
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(b.ballot.size() * 4));
  SetBallotCounters(state, b, b.NumBallots());
}

// Writes as many bytes as the ballot words: the floor of writing the output
// of a generation pass.
void BM_FloorWrite(benchmark::State& state, int size) {
  const RatingBallots& b = Inputs(size).ballots;
  std::vector<uint32_t> dst(b.ballot.size(), 1);
  int value = 0;
  for (auto _ : state) {
    std::memset(dst.data(), ++value & 0x7F, dst.size() * sizeof(uint32_t));
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(b.ballot.size() * 4));
  SetBallotCounters(state, b, b.NumBallots());
}

// ---- Per-model metrics ---------------------------------------------------

// What a replicate costs per model beyond its fit (sim/run/runner.cc): one sort
// of the scores, then competition ranks, Spearman, Kendall's tau-b and the
// top-k and bottom-k memberships against a fixed truth. Scores on a 0.05
// grid, so that there are tie groups as with tally rubrics. 1.6 M is the
// municipal member appraisal (bench/README.md, "Municipal member appraisal").
void BM_ModelMetrics(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Rng rng(DeriveSeed(1, {99}));
  Eigen::VectorXd truth(n), score(n);
  for (int i = 0; i < n; ++i) {
    truth[i] = rng.Normal();
    score[i] = std::round(20.0 * (truth[i] + rng.Normal())) / 20.0;
  }
  const Eigen::VectorXd truth_ranks = AverageRanks(truth);
  const TauReference tau = MakeTauReference(truth);
  const int k = QuotaCount(0.15, n);
  for (auto _ : state) {
    const KeyOrder o = SortKey(score, Eigen::VectorXd());
    const std::vector<int> rank = CompetitionRanks(o);
    const double rho = SpearmanAgainstRanks(o, truth_ranks), t = KendallTauB(o, tau);
    const Eigen::VectorXd top = TopKMembership(o, k), bottom = BottomKMembership(o, k);
    benchmark::DoNotOptimize(rank.data());
    benchmark::DoNotOptimize(rho + t + top[0] + bottom[0]);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}

// ---- Generation ----------------------------------------------------------

// GenerateBallots for a fresh replicate per iteration on a task arena of
// `threads` (the organisation and the calibrated cuts are built once).
void BM_Generate(benchmark::State& state, int size, int threads) {
  const BenchInputs& in = Inputs(size);
  tbb::task_arena arena(threads);
  RatingBallots out;
  arena.execute([&] { GenerateBallots(in.setup, 1, true, &out); });  // metadata, page faults
  int replicate = 2;
  uint64_t total = 0;
  for (auto _ : state) {
    arena.execute([&] { GenerateBallots(in.setup, replicate, true, &out); });
    ++replicate;
    total += out.NumBallots();
    benchmark::DoNotOptimize(out.ballot.data());
  }
  SetBallotCounters(state, out, total / std::max<uint64_t>(1, state.iterations()));
  state.counters["threads"] = threads;
}

// ---- Summary -------------------------------------------------------------

// The grade histogram of every (evaluee, group) slot: the summary the
// classic rubrics start from.
void BM_TallySlots(benchmark::State& state, int size) {
  const BenchInputs& in = Inputs(size);
  for (auto _ : state) {
    Eigen::MatrixXd t = TallySlots(in.ballots);
    benchmark::DoNotOptimize(t.data());
  }
  SetBallotCounters(state, in.ballots, in.ballots.NumBallots());
  state.counters["floor_ratio"] =
      benchmark::Counter(in.FloorPassSeconds(), benchmark::Counter::kIsIterationInvariantRate |
                                                    benchmark::Counter::kInvert);
}

// ---- End to end ----------------------------------------------------------

// What one replicate of `evalsim run` costs per model: generate the
// ballots, then score them with weighted_mean (default options).
void BM_EndToEnd(benchmark::State& state, int size, int threads) {
  const BenchInputs& in = Inputs(size);
  const RatingBallots& b0 = in.ballots;
  const ModelContext ctx{b0.levels, b0.group_names, {}};
  const std::unique_ptr<Model> model =
      Models().Create("weighted_mean", toml::table{}, ctx, "", "bench");
  tbb::task_arena arena(threads);
  RatingBallots out;
  arena.execute([&] { GenerateBallots(in.setup, 1, true, &out); });
  int replicate = 2;
  uint64_t total = 0;
  for (auto _ : state) {
    arena.execute([&] {
      GenerateBallots(in.setup, replicate, true, &out);
      ModelInput input;
      input.ratings = &out;
      ScoreResult r = model->Score(input);
      benchmark::DoNotOptimize(r.score.data());
    });
    ++replicate;
    total += out.NumBallots();
  }
  SetBallotCounters(state, out, total / std::max<uint64_t>(1, state.iterations()));
  state.counters["threads"] = threads;
}

}  // namespace

const char* SizeName(int size) { return size == kDistrict ? "district" : "municipal"; }

const BenchInputs& Inputs(int size) {
  static std::unique_ptr<BenchInputs> built[kNumSizes];
  if (!built[size]) built[size] = BuildInputs(size);
  return *built[size];
}

uint64_t SumWords(const uint32_t* words, uint64_t n) {
  uint32_t s = 0;
  for (uint64_t i = 0; i < n; ++i) s += words[i];
  return s;
}

void RegisterSimBenchmarks() {
  for (int size = 0; size < kNumSizes; ++size) {
    const std::string sz = SizeName(size);
    benchmark::RegisterBenchmark(("Floor/read/" + sz).c_str(), BM_FloorRead, size)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("Floor/memcpy/" + sz).c_str(), BM_FloorMemcpy, size)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("Floor/write/" + sz).c_str(), BM_FloorWrite, size)
        ->Unit(benchmark::kMillisecond);
  }
  for (int size = 0; size < kNumSizes; ++size) {
    for (int threads : {1, 2}) {
      const std::string name = fmt::format("Generate/{}/threads:{}", SizeName(size), threads);
      benchmark::RegisterBenchmark(name.c_str(), BM_Generate, size, threads)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->MinTime(size == kMunicipal ? 2.0 : 0.5);
    }
  }
  benchmark::RegisterBenchmark("Metrics/one_model", BM_ModelMetrics)
      ->Arg(100000)
      ->Arg(1600000)
      ->Unit(benchmark::kMillisecond);
  for (int size = 0; size < kNumSizes; ++size) {
    benchmark::RegisterBenchmark(fmt::format("Tally/{}", SizeName(size)).c_str(), BM_TallySlots,
                                 size)
        ->Unit(benchmark::kMillisecond);
  }
  for (int size = 0; size < kNumSizes; ++size) {
    const std::string name =
        fmt::format("EndToEnd/generate+weighted_mean/{}/threads:1", SizeName(size));
    benchmark::RegisterBenchmark(name.c_str(), BM_EndToEnd, size, 1)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(size == kMunicipal ? 2.0 : 0.5);
  }
}

}  // namespace evalsim::bench
