// Benchmarks of the experiments: sweeps, bootstrap, manipulation search.
#include <benchmark/benchmark.h>
