// Memory pre-flight: an estimate of the peak resident memory of `evalsim
// run` on a scenario, from the drawn organisation alone (no ballot is
// generated). It mirrors what the run allocates (sim/runner.cc,
// sim/generator.cc, the models, sim/outputs.cc), part by part:
//   baseline       the process before any scenario data (binary, libraries,
//                  thread pools, allocator arenas): measured, see preflight.cc;
//   organisation   names, true quality, meetings, rater groups, plus the
//                  runner's per-evaluee truth vectors and per-slot counters;
//   ballots        one replicate's packed ballots and slot index, times the
//                  replicates in flight (min(threads, replicates)); during
//                  generation the per-meeting buffers and the final array
//                  coexist, and a bloc-free rerun doubles it;
//   models         the largest working set of one model fit (tallies, the
//                  rater-major copy of rater_adjusted, per-rater and
//                  per-evaluee vectors), times the replicates in flight;
//   retained       per replicate and model: score, rank, top/bottom
//                  memberships, classes; then the per-evaluee summaries;
//   outputs        evaluees.csv (and scores.csv in its full form) built in
//                  memory as text, with the buffer's growth slack; the
//                  per-replicate writer streams in chunks (one sort order).
// The peak is the largest of three phases (scoring, reduction, writing),
// each the sum of the parts alive in it.
#ifndef EVALSIM_SIM_PREFLIGHT_H_
#define EVALSIM_SIM_PREFLIGHT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/organisation.h"
#include "sim/scenario.h"

namespace evalsim {

struct PreflightEstimate {
  uint64_t bytes = 0;  // estimated peak resident memory of the whole process
  std::string phase;   // the phase that sets the peak: "scoring", "reduction" or "writing"
  // The parts of the peak phase, largest first; they sum to `bytes`.
  std::vector<std::pair<std::string, uint64_t>> parts;
  int concurrency = 1;  // replicates in flight

  // "1.23 GiB (scoring phase: ballots 400 MiB, models 300 MiB, ...)".
  std::string Describe(size_t max_parts = 4) const;
};

// `threads` <= 0 means every core (as RunScenario). `per_replicate`: the run
// keeps every replicate's scores for scores.csv.gz.
PreflightEstimate EstimateRun(const Scenario& s, const Organisation& org, int threads,
                              bool per_replicate);

// "512.0 KiB", "3.4 MiB", "1.25 GiB".
std::string FormatBytes(double bytes);

}  // namespace evalsim

#endif  // EVALSIM_SIM_PREFLIGHT_H_
