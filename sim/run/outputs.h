// Output files. Everything is written into a temporary directory beside the
// destination and renamed into place at the end, so a failed run leaves no
// partial output.
#ifndef EVALSIM_SIM_RUN_OUTPUTS_H_
#define EVALSIM_SIM_RUN_OUTPUTS_H_

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/model.h"
#include "sim/core/ballots.h"
#include "sim/core/comparisons.h"
#include "sim/core/indicators.h"
#include "sim/io/csv_write.h"
#include "sim/io/files.h"
#include "sim/run/runner.h"
#include "sim/scenario/scenario.h"

namespace evalsim {

// A pairwise CSV (winner,loser,weight) of the comparisons in input order
// (or of the aggregates, as wins of each side, when there is no sequence);
// `evalsim score --format pairwise` reads it back.
std::string PairwiseCsv(const PairwiseBallots& b);

// An indicators CSV (unit, then one column per indicator; missing = empty).
std::string IndicatorsCsv(const IndicatorTable& t);

// The scores table (ratee,score,rank[,se][,class]) sorted by rank; `class`
// when `classes` (one label per ratee) is not empty.
std::string ScoresCsv(const std::vector<std::string>& ratee_names, const ScoreResult& result,
                      const std::vector<std::string>& classes = {});

// The largest run (replicates x evaluees x models) whose scores.csv is
// written in full, one row per replicate, model and evaluee; larger runs
// write the summary form (and the pre-flight and KeepScores decide by it).
inline constexpr size_t kFullScoresMaxRows = 2'000'000;

// Run outputs: manifest.json, scores.csv (or the summary form),
// evaluees.csv, metrics.csv, fairness.csv. Returns the summary table for stdout.
struct RunInfo {
  std::vector<std::string> overrides;
  int threads = 1;
  double seconds_total = 0;  // up to the outputs; the manifest's total adds the writing
  double seconds_write = 0;
};
std::string WriteRunOutputs(StagedDirectory& dir, const Scenario& s, const RunResult& result,
                            RunInfo info, nlohmann::ordered_json* manifest_out = nullptr);
// The table `run` prints: per model, each headline metric with the half
// width of its 95 % interval, the best model (*) and those within noise of
// it (~), the class metrics when some model's rules give that class (n/a and
// a note when they never did), and the median fit time.
std::string SummaryTable(const Scenario& s, const RunResult& result);

// The unit columns of the per-evaluee tables (truth.csv, scores.csv,
// evaluees.csv): one per level above the evaluees, named after the level and
// holding the unit's name, right after `ratee`.
class UnitCells {
 public:
  explicit UnitCells(const Organisation& org);
  // ",county,town" (empty when the evaluees are the top level).
  const std::string& Header() const { return header_; }
  // ",county-3,town-17" for evaluee e.
  void Append(fmt::memory_buffer& out, int e) const;

 private:
  const Organisation& org_;
  std::string header_;
  std::vector<std::vector<std::string>> names_;  // [level][unit], CSV-quoted
};

// The header of scores.csv's full form and of scores.csv.gz (no newline).
std::string ScoresHeader(const UnitCells& units);

// vetoes.csv: veto,model,metric,value,lo,hi (see scenarios/README.md).
std::string VetoesCsv(const RunResult& r);

// Ballots as a ratings CSV (rater,ratee,grade,group; blank grade = abstain).
std::string BallotsCsv(const RatingBallots& ballots);

// The manifest fields every command shares (tool, version, scenario, hash).
nlohmann::ordered_json BaseManifest(const Scenario& s, const std::vector<std::string>& overrides);

}  // namespace evalsim

#endif  // EVALSIM_SIM_RUN_OUTPUTS_H_
