// (benchmarks to come)
