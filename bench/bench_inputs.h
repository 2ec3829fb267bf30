// Shared inputs of the benchmark suite: two organisation sizes described by
// scenario TOML strings, drawn once with a fixed seed by the same code the
// simulator runs (BuildOrganisation, CalibrateCuts, GenerateBallots), and the
// memory-bandwidth floor measured on the resulting ballot array.
#ifndef EVALSIM_BENCH_BENCH_INPUTS_H_
#define EVALSIM_BENCH_BENCH_INPUTS_H_

#include <cstdint>

#include "sim/core/ballots.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/generator.h"
#include "sim/simulate/organisation.h"

namespace evalsim::bench {

// Benchmark sizes; the int value is the benchmark argument.
enum BenchSize : int {
  kDistrict = 0,   // about 1e3 evaluees and 1e5 ballots: the words fit in L2/L3 cache
  kMunicipal = 1,  // about 1e5 evaluees and 1e7 ballots: the words come from DRAM
};
inline constexpr int kNumSizes = 2;

const char* SizeName(int size);

struct BenchInputs {
  Scenario scenario;
  Organisation organisation;
  GeneratorSetup setup;   // points into scenario and organisation (never moved)
  RatingBallots ballots;  // replicate 0, with blocs
  // Single-thread read bandwidth (bytes/s) of one pass summing the ballot
  // words, measured when the inputs are built; the floor of a scoring pass
  // is NumBallots() * 4 / floor_read_bytes_per_second.
  double floor_read_bytes_per_second = 0.0;

  double FloorPassSeconds() const {
    return static_cast<double>(ballots.NumBallots() * sizeof(uint32_t)) /
           floor_read_bytes_per_second;
  }
};

// The inputs of `size`, built on first use (outside any timed region when
// called before a benchmark's loop) and kept for the life of the process.
const BenchInputs& Inputs(int size);

// The floor kernel: sums the words with a loop the compiler vectorises.
uint64_t SumWords(const uint32_t* words, uint64_t n);

// Registration (custom main in bench_main.cc).
void RegisterSimBenchmarks();
void RegisterModelBenchmarks();
void RegisterItemBenchmarks();
void RegisterIngestBenchmarks();

}  // namespace evalsim::bench

#endif  // EVALSIM_BENCH_BENCH_INPUTS_H_
