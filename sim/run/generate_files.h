// The files of `evalsim generate`: one replicate's ballots (ratings, and the
// comparisons, indicators and meetings when the scenario has them), the
// truth and the manifest, in a staged directory committed at the end.
// Shared by the command line and the Python package.
#ifndef EVALSIM_SIM_RUN_GENERATE_FILES_H_
#define EVALSIM_SIM_RUN_GENERATE_FILES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "sim/run/preflight.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

namespace evalsim {

struct GenerateRequest {
  std::vector<std::string> overrides;  // as given (recorded in the manifest)
  int replicate = 1;                   // 1-based
  int threads = 0;                     // 0 = every core
  MemoryLimit memory;
};

// What was written, for the command's line on stdout.
struct GeneratedFiles {
  uint64_t ballots = 0;
  int evaluees = 0;
  bool pairwise = false, indicators = false, meetings = false;
};

// truth.csv: every evaluee's units, true quality and whether a bloc backs it.
std::string TruthCsv(const Organisation& org);

// Writes the files into `out` (replacing it); InputError for a replicate
// outside 1..replicates or a scenario too big for `request.memory`.
GeneratedFiles WriteGeneratedFiles(const std::string& out, const Scenario& s,
                                   const GenerateRequest& request);

}  // namespace evalsim

#endif  // EVALSIM_SIM_RUN_GENERATE_FILES_H_
