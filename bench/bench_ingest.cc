// Reading ballot files: the ratings and pairwise CSV readers (sim/io/csv.h)
// on texts built in memory, against the floor of one read of the same bytes
// measured in the same run.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <tbb/task_arena.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "bench/bench_inputs.h"
#include "sim/core/rng.h"
#include "sim/io/csv.h"

namespace evalsim::bench {
namespace {

// A ratings CSV of `rows` rows in random order: rows / 100 raters each
// grading 100 distinct ratees of rows / 100 (at least 100), ids r<k> and
// e<k>, grades 0..3; or a pairwise CSV of `rows` comparisons among rows /
// 100 ratees. The shape of bench/peers/make_data.py.
std::string MakeText(bool pairwise, int64_t rows) {
  Rng rng(DeriveSeed(20240601, {static_cast<uint64_t>(rows), pairwise ? 1u : 0u}));
  const uint64_t n = std::max<uint64_t>(static_cast<uint64_t>(rows) / 100, 100);
  std::vector<std::string> lines;
  lines.reserve(static_cast<size_t>(rows));
  if (pairwise) {
    for (int64_t i = 0; i < rows; ++i) {
      const uint64_t a = rng.Below(n), b = (a + 1 + rng.Below(n - 1)) % n;
      lines.push_back(fmt::format("e{},e{}\n", a, b));
    }
  } else {
    const uint64_t raters = static_cast<uint64_t>(rows) / 100;
    for (uint64_t r = 0; r < raters; ++r) {
      uint64_t stride = 1 + rng.Below(n - 1);
      while (std::gcd(stride, n) != 1) stride = 1 + rng.Below(n - 1);
      const uint64_t start = rng.Below(n);
      for (uint64_t k = 0; k < 100; ++k)
        lines.push_back(fmt::format("r{},e{},{}\n", r, (start + k * stride) % n, rng.Below(4)));
    }
  }
  for (size_t i = lines.size(); i > 1; --i) std::swap(lines[i - 1], lines[rng.Below(i)]);
  std::string text = pairwise ? "winner,loser\n" : "rater,ratee,grade\n";
  for (const std::string& line : lines) text += line;
  return text;
}

// Sums the bytes: one read of the text, the floor of any reader.
uint64_t SumBytes(const std::string& text) {
  uint64_t sum = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size(); ++i) sum += p[i];
  return sum;
}

double ThreadSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct IngestInput {
  std::string text;
  double floor_seconds = 0.0;  // one read of the text (best of several)
};

const IngestInput& Input(bool pairwise, int64_t rows) {
  static std::map<std::pair<bool, int64_t>, IngestInput> inputs;
  IngestInput& in = inputs[{pairwise, rows}];
  if (in.text.empty()) {
    in.text = MakeText(pairwise, rows);
    in.floor_seconds = 1e9;
    for (int rep = 0; rep < 5; ++rep) {
      const double t0 = ThreadSeconds();
      benchmark::DoNotOptimize(SumBytes(in.text));
      in.floor_seconds = std::min(in.floor_seconds, ThreadSeconds() - t0);
    }
  }
  return in;
}

void SetCounters(benchmark::State& state, const IngestInput& in, double seconds) {
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(in.text.size()));
  state.counters["floor_ms"] = 1e3 * in.floor_seconds;
  state.counters["floor_ratio"] = seconds / in.floor_seconds;
}

// Floor/read_text/<rows>: one read of the ratings text.
void BM_FloorReadText(benchmark::State& state) {
  const IngestInput& in = Input(false, state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(SumBytes(in.text));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(in.text.size()));
}

// Ingest/ratings/<rows>/threads:<n>: ParseRatingsCsv (the fast path) on a
// task arena of n threads. Real time; floor_ratio against one thread's read.
void BM_IngestRatings(benchmark::State& state) {
  const IngestInput& in = Input(false, state.range(0));
  tbb::task_arena arena(static_cast<int>(state.range(1)));
  double seconds = 0.0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    arena.execute([&] { benchmark::DoNotOptimize(ParseRatingsCsv(in.text, "bench.csv")); });
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  SetCounters(state, in, seconds / static_cast<double>(state.iterations()));
}

// Ingest/ratings_exact/<rows>: the exact record-by-record reader alone.
void BM_IngestRatingsExact(benchmark::State& state) {
  const IngestInput& in = Input(false, state.range(0));
  double seconds = 0.0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(ParseRatingsCsv(in.text, "bench.csv", {}, {.fast = false}));
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  SetCounters(state, in, seconds / static_cast<double>(state.iterations()));
}

// Ingest/pairwise/<rows>/threads:<n>: ParsePairwiseCsv, aggregate included.
void BM_IngestPairwise(benchmark::State& state) {
  const IngestInput& in = Input(true, state.range(0));
  tbb::task_arena arena(static_cast<int>(state.range(1)));
  double seconds = 0.0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    arena.execute([&] { benchmark::DoNotOptimize(ParsePairwiseCsv(in.text, "bench.csv")); });
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  SetCounters(state, in, seconds / static_cast<double>(state.iterations()));
}

}  // namespace

void RegisterIngestBenchmarks() {
  for (int64_t rows : {1'000'000, 10'000'000}) {
    benchmark::RegisterBenchmark(fmt::format("Floor/read_text/{}", rows).c_str(), BM_FloorReadText)
        ->Arg(rows);
    for (int threads : {1, 2}) {
      benchmark::RegisterBenchmark(
          fmt::format("Ingest/ratings/{}/threads:{}", rows, threads).c_str(), BM_IngestRatings)
          ->Args({rows, threads})
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(
          fmt::format("Ingest/pairwise/{}/threads:{}", rows, threads).c_str(), BM_IngestPairwise)
          ->Args({rows, threads})
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::RegisterBenchmark("Ingest/ratings_exact/1000000", BM_IngestRatingsExact)
      ->Arg(1'000'000)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

}  // namespace evalsim::bench
