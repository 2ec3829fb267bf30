// Memory pre-flight: an estimate of the peak resident memory of `evalsim
// run` on a scenario, from the drawn organisation alone (no ballot is
// generated). It mirrors what the run allocates (sim/run/runner.cc,
// sim/simulate/generator.cc, the models, sim/run/outputs.cc), part by part:
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
#ifndef EVALSIM_SIM_RUN_PREFLIGHT_H_
#define EVALSIM_SIM_RUN_PREFLIGHT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

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
// keeps every replicate's scores for scores.csv.gz. `split_parts` > 0: a
// split run (`run --split-replicates`) over that many processes, estimated
// for process 0 (one replicate at a time, its share of the ballots).
PreflightEstimate EstimateRun(const Scenario& s, const Organisation& org, int threads,
                              bool per_replicate, int split_parts = 0);

// The same estimate from the scenario's counts alone, before anything is
// drawn: expected units per level (LevelCount::Expected), raters per group
// from the mean of their count ranges, ballots from the mean meeting size.
// It takes microseconds whatever the scenario's size, so an absurd scenario
// is refused before the organisation is built. For from-evaluee raters it
// uses E[size]^2 for E[size^2] (never more than the drawn organisation's
// expectation), so it is a first cut; EstimateRun on the drawn organisation
// follows.
PreflightEstimate EstimateRunFromCounts(const Scenario& s, int threads, bool per_replicate,
                                        int split_parts = 0);
// The expected number of evaluees from the scenario's counts.
double ExpectedEvaluees(const Scenario& s);

// How many of the scenario's models read every slot's grade counts, a
// model counting once more when its classes have a gate on votes. With two
// or more, one count per replicate serves them all (TallyEverySlot).
int SlotCountReaders(const Scenario& s);

// `evalsim generate`: one replicate's ballots, generated on one thread's
// buffers, and ballots.csv (with pairwise.csv and truth.csv) built as text.
PreflightEstimate EstimateGenerate(const Scenario& s, const Organisation* org);

// "512.0 KiB", "3.4 MiB", "1.25 GiB".
std::string FormatBytes(double bytes);

// A size: a number of bytes ("1000000"), or a number with a unit: K, M, G, T
// (also KiB, MiB, GiB, TiB; powers of 1024) or KB, MB, GB, TB (powers of
// 1000), case-insensitive ("512M", "8G", "1.5GiB", "2e9"). InputError
// naming `flag` for anything else, or for zero.
uint64_t ParseByteSize(std::string_view text, std::string_view flag);

// The memory a command may use: the smallest of --max-memory (when given),
// MemAvailable in /proc/meminfo and the cgroup's memory limit (cgroup v2
// memory.max of this process's cgroup and its ancestors, or v1
// memory.limit_in_bytes), with where it came from.
struct MemoryLimit {
  uint64_t bytes = 0;  // 0 = unknown (nothing could be read): no check
  std::string source;  // "--max-memory 8G", "MemAvailable in /proc/meminfo", ...
};
// The command line reads it once (from --max-memory, nullopt = not given)
// and passes it to the pre-flight checks.
MemoryLimit AvailableMemory(std::optional<uint64_t> max_memory);

// Throws InputError (exit 2) when `est` does not fit in `limit`: one line,
// starting with the scenario file (`s.file`), with the estimate and its
// largest parts, the limit and its source, and what would fit (the largest
// --threads or --replicates that fits, when one does, else a smaller
// scenario). `command` names the command ("run", "sweep point 3 of 8").
// `s`, `org` (nullptr = from counts), `threads` and `per_replicate` are
// those of the estimate, for the suggestions.
void RefuseIfTooBig(std::string_view command, const PreflightEstimate& est,
                    const MemoryLimit& limit, const Scenario& s, const Organisation* org,
                    int threads, bool per_replicate, int split_parts = 0);
// "fits in the 7.6 GiB available (MemAvailable in /proc/meminfo)" or "does
// NOT fit ...", for `validate`.
std::string FitLine(const PreflightEstimate& est, const MemoryLimit& limit);

// The memory pre-flight of a scenario command: the estimate of `scenario`
// (EstimateRun, or EstimateGenerate when `generate`) against `limit`.
struct Preflight {
  std::string_view command;            // names the refusal: "run", "manipulate", ...
  const Scenario* scenario = nullptr;  // the scenario estimated
  MemoryLimit limit;
  int threads = 0;
  bool per_replicate = false;
  bool generate = false;
  int split_parts = 0;  // a split run's processes (EstimateRun)

  // The estimate from the drawn `org`, or from the scenario's counts when
  // `org` is nullptr; InputError (RefuseIfTooBig) when it does not fit.
  PreflightEstimate Check(const Organisation* org) const;
};

}  // namespace evalsim

#endif  // EVALSIM_SIM_RUN_PREFLIGHT_H_
