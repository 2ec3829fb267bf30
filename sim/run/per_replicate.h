// The per-replicate scores table of `evalsim run --per-replicate`:
// scores.csv.gz, one row per replicate, model and evaluee, whatever the size
// of the run:
//   replicate,model,ratee,<unit columns>,score,rank,true_quality,class
// (the columns of scores.csv's full form; `class` is empty for a model
// without class rules). Rows are in replicate order, then the scenario's
// model order, then by rank (ties in evaluee order), as in scores.csv. The
// text is formatted and compressed in chunks of about 1 MiB, so the whole
// table is never in memory; the gzip header carries no time stamp, so the
// file is byte-identical between runs.
#ifndef EVALSIM_SIM_RUN_PER_REPLICATE_H_
#define EVALSIM_SIM_RUN_PER_REPLICATE_H_

#include <cstddef>
#include <filesystem>

#include "sim/run/outputs.h"
#include "sim/run/runner.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

namespace evalsim {

// Whether a run must keep every replicate's scores (RunConfig::keep_scores):
// for scores.csv.gz, or for scores.csv's full form.
bool KeepScores(const Scenario& s, const Organisation& org, bool per_replicate);

// Writes the table to `path` (gzip, zlib level 1). Needs the scores kept
// (RunConfig::keep_scores). Throws InputError naming the path when the file
// cannot be written.
void WritePerReplicateScores(const std::filesystem::path& path, const Scenario& s,
                             const RunResult& result);

}  // namespace evalsim

#endif  // EVALSIM_SIM_RUN_PER_REPLICATE_H_
