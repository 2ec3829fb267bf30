// evalsim_bench: the floor, generation, summary, end-to-end and model
// benchmarks in one executable (see bench/README.md).
#include <benchmark/benchmark.h>
#include <tbb/info.h>

#include <string>

#include "bench/bench_inputs.h"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // Recorded in the JSON context so that two runs can be matched to builds.
  benchmark::AddCustomContext("evalsim_version", EVALSIM_GIT_DESCRIBE);
  benchmark::AddCustomContext("tbb_default_concurrency",
                              std::to_string(tbb::info::default_concurrency()));
  evalsim::bench::RegisterSimBenchmarks();
  evalsim::bench::RegisterModelBenchmarks();
  evalsim::bench::RegisterItemBenchmarks();
  evalsim::bench::RegisterIngestBenchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
