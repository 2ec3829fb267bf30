// Output files. Everything is written into a temporary directory beside the
// destination and renamed into place at the end, so a failed run leaves no
// partial output.
#ifndef EVALSIM_SIM_OUTPUTS_H_
#define EVALSIM_SIM_OUTPUTS_H_

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/model.h"
#include "sim/ballots.h"
#include "sim/comparisons.h"
#include "sim/indicators.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace evalsim {

// A directory that appears at `dest` only when Commit() is called; until
// then files go to a hidden temporary sibling, removed on destruction.
class StagedDirectory {
 public:
  explicit StagedDirectory(const std::filesystem::path& dest);
  ~StagedDirectory();
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;

  std::filesystem::path File(const std::string& name) const { return tmp_ / name; }
  const std::filesystem::path& Path() const { return tmp_; }  // the staging directory
  void Commit();  // replaces `dest` (an existing directory there is removed)

 private:
  void RemoveCreatedParents();

  std::filesystem::path dest_, tmp_;
  std::vector<std::filesystem::path> created_;  // missing ancestors of dest, innermost first
  bool committed_ = false;
};

// Writes `text` to `path` (throws InputError naming the path and the
// system's reason on failure: a full disk, a file-size limit, ...).
void WriteTextFile(const std::filesystem::path& path, const std::string& text);
// Writes `text` to `path` through a temporary sibling renamed at the end (the
// sibling is removed on failure); a device or pipe is written in place.
void WriteFileAtomically(const std::filesystem::path& path, const std::string& text);

// A CSV field, quoted per RFC 4180 when needed.
std::string CsvField(const std::string& s);
// Shortest decimal that reads back as the same double ("nan" never occurs).
std::string Num(double v);

// Hex SHA-256 of a file's bytes.
std::string Sha256File(const std::string& path);

// The scores table (ratee,score,rank[,se]) sorted by rank.
// A pairwise CSV (winner,loser,weight) of the comparisons in input order
// (or of the aggregates, as wins of each side, when there is no sequence);
// `evalsim score --format pairwise` reads it back.
std::string PairwiseCsv(const PairwiseBallots& b);

// An indicators CSV (unit, then one column per indicator; missing = empty).
std::string IndicatorsCsv(const IndicatorTable& t);

std::string ScoresCsv(const std::vector<std::string>& ratee_names, const ScoreResult& result);

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
std::string SummaryTable(const RunResult& result);

// Ballots as a ratings CSV (rater,ratee,grade,group; blank grade = abstain).
std::string BallotsCsv(const RatingBallots& ballots);

// The manifest fields every command shares (tool, version, scenario, hash).
nlohmann::ordered_json BaseManifest(const Scenario& s, const std::vector<std::string>& overrides);

}  // namespace evalsim

#endif  // EVALSIM_SIM_OUTPUTS_H_
