// Calibration (`evalsim calibrate`): do the intervals and probabilities that
// evalsim reports mean what they say? Only a simulator, which knows what the
// ballots were drawn from, can check.
//
// Definitions (the contract of the command and of its output files)
//
//   Organisation. The scenario's organisation, drawn once from its seed;
//   the truth and the organisation are fixed, every ballot set is a fresh
//   draw of raters and votes on it (GenerateBallots, blocs included).
//
//   Calibration sets. N ballot sets, set i (0-based) drawn as replicate i
//   of a run (so set i is `generate --replicate i+1`). On each set, each
//   model gets exactly the bootstrap of `score --bootstrap B` (Resample,
//   sim/experiments/resample.h) with the scheme and interval method asked
//   for, seed = scenario seed + i, top share = the scenario's [metrics]
//   quota (k = QuotaCount(quota, n)), bottom share = its bottom share.
//
//   Population value. M further ballot sets, drawn as replicates 2^30 + j
//   (j = 0..M-1; disjoint from every calibration set), each fitted once:
//   the population score of an evaluee is its mean score over the M sets,
//   its population rank the mean of its competition ranks. It estimates the
//   expectation of the model's score over ballot sets, which is what a
//   bootstrap interval of the score is an interval for.
//
//   Coverage. An interval covers when lo <= population value <= hi. Per
//   model, quantity (score, rank), nominal level and stratum (all evaluees,
//   or the best, middle or worst third by population score: positions
//   [0, n/3), [n/3, 2n/3), [2n/3, n) of the evaluees sorted by population
//   score, best first, ties by index), the observed coverage is the mean
//   over the N sets of each set's share of covering intervals, with a 95 %
//   interval over the sets (MeanInterval: a set is the independent unit;
//   the evaluees of one set share its raters).
//
//   The population value's own error. The population value is an estimate
//   from M sets, independent of the calibration sets: its error adds to the
//   distance between an interval and the target, so coverage against it is
//   too low by about z phi(z) / M. Under a normal model (estimator sd s,
//   interval symmetric with half-width w s), coverage against the estimate
//   is 2 Phi(w / sqrt(1 + 1/M)) - 1 where the coverage of the expectation
//   is 2 Phi(w) - 1; the reported coverage, lo and hi are the observed ones
//   mapped through that relation:
//     c -> 2 Phi(sqrt(1 + 1/M) Phi^-1((1 + c) / 2)) - 1.
//   With the default M = 1000 the correction adds at most 0.0002.
//
//   p_top reliability. Every (calibration set, evaluee) pair is a forecast
//   p = the bootstrap's p_top. Each is compared with three outcomes (the
//   `target` column): `rerun`, the evaluee's top-k membership in population
//   set i (an independent ballot set of the same organisation: what p_top
//   estimates); `population`, its membership in the top k of the population
//   ranking (population scores); `truth`, its membership in the true top k
//   (true quality). Memberships are fractional for ties at the boundary
//   (TopKMembership). Bins: p = 0, then (0, 0.1], (0.1, 0.2], ..., (0.8,
//   0.9], (0.9, 1), then p = 1; per bin the count, the mean forecast and the
//   mean outcome (the frequency). The Brier score is the mean of
//   (p - outcome)^2; brier_constant that of the constant forecast k/n.
//
//   Metric intervals (metrics.csv). With `runs` J > 0, the scenario is run
//   J times with fresh votes on the same organisation (RunConfig
//   replicate_offset = j * R, R the scenario's replicates; target
//   `same_organisation`: what the interval claims) and J times with a new
//   seed (seed + 1 + j: a new organisation and new votes; target
//   `new_seed`). Each run's 95 % interval of a metric covers when it holds
//   the mean of that metric's value over the other J - 1 runs of the same
//   target; coverage is the share of the J runs, with a 95 % Wilson
//   interval, corrected for the leave-one-out mean's error as above with
//   M = J - 1.
//
// Models. The scenario's [[models]] entries (or those `models` names), or
// with `every_ratings_model` every ratings model of the registry with its
// default options (named by the model). Only entries that read rating
// ballots are bootstrapped (as in `score --bootstrap`); the others are
// skipped with a note, but take part in the metric-interval runs.
//
// Memory: the calibration sets are bootstrapped in parallel, so up to one
// set's ballots, fits and bootstrap matrix per thread are held at once.
//
// Determinism: every ballot set and every resample comes from its own
// stream; the population and calibration sets are fitted in parallel (and
// under mpirun spread over the processes) and added up in set order on
// process 0; so every output is identical whatever the thread or process
// count.
#ifndef EVALSIM_SIM_EXPERIMENTS_CALIBRATION_H_
#define EVALSIM_SIM_EXPERIMENTS_CALIBRATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/distribute.h"
#include "sim/experiments/resample.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

namespace evalsim {

struct CalibrationOptions {
  std::vector<double> levels = {0.8, 0.9, 0.95};     // nominal levels, each in (0, 1)
  int sets = 40;                                     // N calibration sets
  int bootstrap = 200;                               // B resamples per set
  int population = 1000;                             // M population sets (>= N)
  int runs = 20;                                     // J runs per metric-interval target; 0 = none
  ResampleScheme scheme = ResampleOptions{}.scheme;  // as `score --bootstrap`
  IntervalMethod interval = ResampleOptions{}.interval;  // as `score --bootstrap`
  std::vector<std::string> models;                       // [[models]] names; empty = every entry
  bool every_ratings_model = false;
  int threads = 0;  // <= 0: every core
  bool progress = false;
  // The processes the ballot sets, population sets and runs are spread
  // over (null: this process alone); the result is complete on process 0.
  Distribution* distribution = nullptr;
};

// The first replicate index of the population sets.
inline constexpr int kPopulationReplicate = 1 << 30;

// Throws InputError naming the flag when an option is out of range.
void CheckCalibrationOptions(const CalibrationOptions& o);

// `s` with its [[models]] replaced by every ratings model of the registry,
// default options, each named by its model.
Scenario WithEveryRatingsModel(const Scenario& s);

struct CoverageRow {
  std::string model, quantity, stratum;  // quantity "score" | "rank"
  double nominal = 0;
  int evaluees = 0;       // in the stratum
  int64_t intervals = 0;  // evaluees x sets
  double observed = 0;    // against the population estimate, uncorrected
  double coverage = 0;    // corrected for the population's error
  double lo = 0, hi = 0;  // 95 % interval over the sets, corrected
  double mean_width = 0;  // mean hi - lo
};

struct ReliabilityBin {
  std::string model, target;
  int bin = 0;
  double p_lo = 0, p_hi = 0;  // the bin's bounds (equal for the bins p = 0 and p = 1)
  int64_t count = 0;
  double mean_p = 0, frequency = 0;  // NaN when the bin is empty
};

struct BrierRow {
  std::string model, target;
  int64_t forecasts = 0;
  double brier = 0, brier_constant = 0;
};

struct MetricCoverageRow {
  std::string model, metric, target;
  int runs = 0, covered = 0;
  double coverage = 0, lo = 0, hi = 0;  // corrected
};

struct CalibrationModel {
  std::string name, model;
  bool skipped = false;
  std::vector<std::string> notes;  // why skipped, or the fits' notes (first five distinct)
};

struct CalibrationResult {
  int evaluees = 0, k_top = 0;
  std::vector<CalibrationModel> models;
  std::vector<CoverageRow> coverage;  // model, quantity, level, stratum order
  std::vector<ReliabilityBin> reliability;
  std::vector<BrierRow> brier;
  std::vector<MetricCoverageRow> metric_coverage;
  int replicates_per_run = 0;
  double max_correction = 0;  // the largest correction of a reported coverage
  int64_t fits = 0;
  int threads = 1;
};

// The whole experiment on `s` and its organisation `org`. Throws InputError
// on bad options or an unknown model name, InterruptedError when
// interrupted.
CalibrationResult RunCalibration(const Scenario& s, const Organisation& org,
                                 const CalibrationOptions& o);

// calibration.csv: model,quantity,nominal,coverage,lo,hi (stratum "all"),
// models in scenario order, score before rank, levels ascending.
std::string CalibrationCsv(const CalibrationResult& r);
// calibration_strata.csv: model,quantity,nominal,stratum,evaluees,
// intervals,observed,coverage,lo,hi,mean_width; strata all, best_third,
// middle_third, worst_third.
std::string CalibrationStrataCsv(const CalibrationResult& r);
// reliability.csv: model,target,bin,p_lo,p_hi,count,mean_p_top,frequency.
std::string ReliabilityCsv(const CalibrationResult& r);
// brier.csv: model,target,forecasts,brier,brier_constant,skill
// (skill = 1 - brier / brier_constant).
std::string BrierCsv(const CalibrationResult& r);
// metrics_calibration.csv: model,metric,target,nominal,runs,covered,
// coverage,lo,hi (nominal 0.95).
std::string MetricsCalibrationCsv(const CalibrationResult& r);
// The summary for stdout: per model the score and rank coverage at each
// level and the Brier scores.
std::string CalibrationSummaryTable(const CalibrationResult& r, const CalibrationOptions& o);

}  // namespace evalsim

#endif  // EVALSIM_SIM_EXPERIMENTS_CALIBRATION_H_
