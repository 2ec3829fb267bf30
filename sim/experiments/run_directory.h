// The files of `evalsim run` in a staged output directory: the run, its
// outputs (sim/run/outputs.h), the per-replicate scores when asked, and the
// manifest's memory estimates. Shared by the command line and the Python
// package, so both write the same bytes.
#ifndef EVALSIM_SIM_EXPERIMENTS_RUN_DIRECTORY_H_
#define EVALSIM_SIM_EXPERIMENTS_RUN_DIRECTORY_H_

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/core/distribute.h"
#include "sim/io/files.h"
#include "sim/run/preflight.h"
#include "sim/run/runner.h"
#include "sim/scenario/scenario.h"

namespace evalsim {

struct RunRequest {
  std::vector<std::string> overrides;    // as given (recorded in the manifest)
  int threads = 0;                       // 0 = every core
  bool per_replicate = false;            // also scores.csv.gz
  bool progress = false;                 // a progress line on stderr
  Distribution* distribution = nullptr;  // the processes of an MPI job (null: this one)
  bool split_replicates = false;         // RunConfig::split_replicates
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

// Runs `s` and writes its files into `dir` (checking `preflight` again on
// the organisation it draws); returns the manifest, to be written last.
// Without a directory (an MPI process other than 0) runs its share of the
// replicates and writes nothing.
// `result` receives the run and `table` the summary table for stdout.
nlohmann::ordered_json WriteRunDirectory(StagedDirectory* dir, const Scenario& s,
                                         const RunRequest& request, const Preflight& preflight,
                                         RunResult& result, std::string& table);

}  // namespace evalsim

#endif  // EVALSIM_SIM_EXPERIMENTS_RUN_DIRECTORY_H_
