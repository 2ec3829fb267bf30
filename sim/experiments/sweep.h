// Scenario sweeps (`evalsim sweep`): the same scenario run at every point of
// a plan of knob values, one table of metrics over the points, and a summary
// that names the best model at every point and where the best model changes.
//
// Plan. Each varied key is a `--set` key path with a list of TOML values.
// `grid` runs every combination, the first key varying slowest; zip runs the
// i-th value of every key together (every list the same length). Points are
// numbered 1..P in that order. `--vary key=v1,v2,...` splits the values at
// top-level commas only (commas inside [], {} or quotes do not split). The
// derived knob `scale.top_share=v` becomes the override `scale.shares=[...]`
// with the top grade at v and the lower grades keeping their relative
// proportions from the scenario's shares. A scenario's [sweep] table gives a
// plan when no `--vary` is given.
//
// Seeds. By default every point runs with the scenario's seed (common random
// numbers: the same organisation, truth and vote streams at every point, so
// differences between points come from the knob, not from sampling noise).
// With `independent`, point p runs with seed
//   DeriveSeed(seed, {p}) & (2^62 - 1)
// (reduced to 62 bits so that `evalsim run --seed` accepts it). Either way a
// point's rows depend only on (scenario, overrides, point, replicates): a
// subset of points rerun alone gives the same rows byte for byte.
//
// Outputs in `out` (assembled at the end in a staged directory):
// sweep.csv, summary.txt, manifest.json and points/NNN/{metrics.csv,
// manifest.json}. While the sweep runs, finished points live in the sibling
// `out.partial/` (sweep.json holds the fingerprint a resume must match;
// every points/NNN/ is renamed into place complete). An interrupted sweep
// keeps out.partial; `resume` runs only the points not yet there.
#ifndef EVALSIM_SIM_EXPERIMENTS_SWEEP_H_
#define EVALSIM_SIM_EXPERIMENTS_SWEEP_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/distribute.h"
#include "sim/run/preflight.h"

namespace evalsim {

// The derived knob that sets the top grade's share (see above).
inline constexpr std::string_view kTopShareKey = "scale.top_share";

struct SweepKey {
  std::string key;                  // `--set` key path (or scale.top_share)
  std::vector<std::string> values;  // TOML value texts, as given
};

struct SweepPlan {
  std::vector<SweepKey> keys;
  bool grid = true;  // every combination (true) or the i-th value of every key together

  // Number of points (0 when there are no keys).
  int NumPoints() const;
  // Index into each key's values at `point` (1-based).
  std::vector<size_t> Indices(int point) const;
  // Each key's value text at `point` (1-based).
  std::vector<std::string> Values(int point) const;
};

// Builds a plan: InputError on a repeated key, an empty value list, or (zip)
// lists of different lengths. `source` names the plan's origin in messages.
SweepPlan MakeSweepPlan(std::vector<SweepKey> keys, bool grid, const std::string& source);

// Splits `text` at top-level commas (not inside [], {} or quoted strings),
// trims spaces, and checks that every piece is a TOML value. InputError
// naming `flag` on an empty piece, unbalanced brackets or a non-TOML value.
std::vector<std::string> SplitSweepValues(std::string_view text, const std::string& flag);

// Parses one `--vary key.path=v1,v2,...` flag.
SweepKey ParseVaryFlag(const std::string& flag);

// The `--leniency-curve` shorthand: scale.top_share over 0.65 .. 0.98.
SweepKey LeniencyCurveKey();

// Shares with the top grade at `top` and the lower grades keeping their
// relative proportions from `shares`. InputError unless 0 < top < 1 and the
// lower grades have a positive total.
std::vector<double> TopShareShares(const std::vector<double>& shares, double top,
                                   const std::string& where);

// The `--set` overrides that realise `point` (1-based): one per key, with
// scale.top_share turned into scale.shares from `base_shares`.
std::vector<std::string> PointOverrides(const SweepPlan& plan, int point,
                                        const std::vector<double>& base_shares);

// The seed point `point` runs with under `independent` seeds.
uint64_t IndependentPointSeed(uint64_t seed, int point);

// One model's metric at one point, as read from the point's metrics.csv
// (the value, lo and hi cells are kept as text so that sweep.csv repeats
// them byte for byte).
struct SweepRow {
  std::string model, metric;
  std::string value, lo, hi;  // cells; lo/hi empty when there is no interval
  double number = 0.0;        // value as a number
};

struct SweepPoint {
  int point = 0;                    // 1-based
  std::vector<std::string> values;  // each key's value text
  std::vector<SweepRow> rows;       // model order, then metric order
};

// Parses a point's metrics.csv text (model,metric,value,lo,hi).
std::vector<SweepRow> ParsePointMetrics(std::string_view csv, const std::string& file);

// sweep.csv: `point,<key 1>,...,model,metric,value,lo,hi`.
std::string SweepCsv(const SweepPlan& plan, const std::vector<SweepPoint>& points);

// The summary: per headline metric a table of every model's value at every
// point with the best model, then where the best model changes along the
// first key (the other keys fixed), then how each model's value moves from
// the first to the last value of the first key. `header` opens it.
std::string SweepSummary(const SweepPlan& plan, const std::vector<SweepPoint>& points,
                         const std::string& header);

struct SweepOptions {
  std::string scenario;                // scenario file
  std::vector<std::string> overrides;  // --set, then --seed / --replicates
  std::vector<std::string> vary;       // --vary flags; empty = the scenario's [sweep] table
  bool zip = false;                    // --zip
  bool leniency_curve = false;         // --leniency-curve
  bool independent = false;            // --independent seeds
  std::vector<std::string> models;     // --models filter; empty = every entry
  std::vector<int> points;             // --points (1-based); empty = every point
  std::string out;                     // empty = out/<name>-sweep
  int threads = 0;                     // <= 0: every core
  bool resume = false;                 // --resume
  bool progress = false;               // progress line on stderr
  MemoryLimit memory;                  // the pre-flight's limit (bytes 0: no check)
  // Called with the staged output directory once its files are written and
  // before it is committed (the command line writes report.html there).
  std::function<void(const std::filesystem::path& dir)> finish;
  // Testing: request an interruption once this many points have been run by
  // this call (the flag is cleared again before returning). < 0 = off.
  int stop_after_points = -1;
  // The processes every point's replicates are spread over (nullptr: this
  // one). Only process 0 reads and writes out.partial and the outputs.
  Distribution* distribution = nullptr;
};

struct SweepOutcome {
  bool interrupted = false;
  int points_done = 0;     // finished points among those requested (resumed ones included)
  int points_total = 0;    // points requested
  int points_resumed = 0;  // loaded from out.partial
  int threads = 1;
  std::string out;      // the output directory
  std::string partial;  // out.partial
  std::string summary;  // summary.txt
  std::string message;  // the one-line interruption message (when interrupted)
  // out.partial was kept after a finished sweep because it holds finished
  // points outside `points`.
  bool kept_partial = false;
};

// Runs the sweep. Throws InputError on bad input (exit 2); an interruption
// is reported in the outcome (out.partial is kept), not thrown.
SweepOutcome RunSweep(const SweepOptions& options);

}  // namespace evalsim

#endif  // EVALSIM_SIM_EXPERIMENTS_SWEEP_H_
