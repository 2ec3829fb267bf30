// Runs a scenario: draws the organisation once, then for every replicate
// generates ballots, scores them with every model, assigns classes, and
// records what the metrics need. Replicates run in parallel; every result is
// stored by replicate index and reduced in replicate order, so the output
// does not depend on the thread count.
#ifndef EVALSIM_SIM_RUN_RUNNER_H_
#define EVALSIM_SIM_RUN_RUNNER_H_

#include <Eigen/Core>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/model.h"
#include "sim/core/distribute.h"
#include "sim/core/metrics.h"
#include "sim/run/fairness.h"
#include "sim/run/uncertainty.h"
#include "sim/run/units.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/meeting_rules.h"
#include "sim/simulate/organisation.h"

namespace evalsim {

struct RunConfig {
  bool progress = false;    // progress line on stderr
  bool keep_scores = true;  // keep every replicate's scores (the full scores.csv)
  // Replicate r draws its ballots (and indicators) as replicate
  // r + replicate_offset would: a run with offset R gets fresh votes on the
  // same organisation (the calibration of the metrics' intervals).
  int replicate_offset = 0;
  // The processes the replicates are spread over (nullptr: this one).
  // Process 0 gets the whole result; the others return after sending
  // their replicates, with only `organisation` and `threads` set.
  Distribution* distribution = nullptr;
  // Every replicate split over the processes by top-level units
  // (sim/run/split.h), one replicate after the other.
  bool split_replicates = false;
};

struct MetricRow {
  std::string metric;
  double value = 0.0;
  bool has_interval = false;
  double lo = 0.0, hi = 0.0;
};

// The classes of the units of a parent level (parents.csv).
struct ParentOutcome {
  std::string level;                // empty without a parent level
  std::vector<std::string> units;   // names
  std::vector<std::string> labels;  // the classes the parent's rules can give
  Eigen::VectorXd score;            // per unit: its score, mean over replicates
  Eigen::MatrixXd share;            // [unit, label]: share of replicates given the label
};

struct ModelOutcome {
  std::string name;                       // [[models]] label
  std::string model;                      // registry name
  std::vector<std::string> notes;         // from replicate 0
  std::vector<Eigen::VectorXd> scores;    // [replicate] (when kept)
  std::vector<std::vector<int>> ranks;    // [replicate][evaluee]
  std::vector<std::vector<int>> classes;  // [replicate][evaluee] (when class rules)
  std::vector<std::string> class_labels;
  std::string top_class;           // the top class's label (when class rules)
  std::vector<UnitClasses> units;  // per level above the evaluees (when class rules)
  // With [[vetoes]] (vetoes.csv): class.top_precision with and without them.
  std::vector<MetricRow> veto_metrics;
  std::vector<double> fit_seconds;  // [replicate]
  // Fitted models' named parameters, per replicate, and per-rater estimates
  // of replicate 1 (ScoreResult::parameters / rater_values).
  std::vector<std::vector<std::pair<std::string, double>>> parameters;
  std::vector<std::pair<std::string, Eigen::VectorXd>> rater_values;
  // Per-evaluee summaries over replicates.
  Eigen::VectorXd mean_score, mean_rank, rank_lo, rank_hi, p_top, p_bottom, p_top_class;
  std::vector<MetricRow> metrics;
  ParentOutcome parent;
};

struct RunResult {
  Organisation organisation;
  std::vector<double> cuts;
  std::vector<ModelOutcome> models;
  uint64_t ballots_total = 0;       // over replicates (bloc-free reruns excluded)
  std::vector<double> grade_share;  // observed share of each grade (valid ballots)
  double abstain_share = 0.0;
  // The same per rater group, in scenario order ([group][grade], [group]).
  std::vector<std::vector<double>> grade_share_by_group;
  std::vector<double> abstain_share_by_group;
  // With rater groups on scales of their own: per group, the share of its
  // ballots that were "don't know" (empty otherwise).
  std::vector<double> dont_know_share_by_group;
  // What the meeting rules did, [replicate][meeting] (empty without rules).
  std::vector<std::vector<MeetingOutcome>> meeting_outcomes;
  // Multi-item ballots (sim/core/item_metrics.h): the items, and the halo
  // (within-rater inter-item correlation) and Cronbach's alpha over
  // replicates; item_names is empty without items.
  std::vector<std::string> item_names;
  Interval item_correlation, item_alpha;
  // The Monte Carlo over a composite's modelling choices ([uncertainty]),
  // on replicate 1's indicators and votes.
  std::optional<UncertaintyResult> uncertainty;
  // Fairness breakdowns (sim/run/fairness.h): every model's rows, models in
  // scenario order, and the dimensions they were cut along.
  std::vector<FairnessRow> fairness;
  std::vector<std::string> fairness_dimensions;
  // With [[vetoes]] (vetoes.csv): per veto, then "any" (struck by any veto),
  // its model-free metrics over replicates.
  std::vector<std::pair<std::string, std::vector<MetricRow>>> veto_metrics;
  std::vector<std::string> fairness_notes;  // dimensions left out, and why
  double seconds_organisation = 0, seconds_generate = 0, seconds_score = 0, seconds_metrics = 0;
  double seconds_uncertainty = 0;
  int threads = 1;
};

// `threads` <= 0 means every core. Throws InputError on bad input, and
// InterruptedError when Interrupted() became true during the run.
RunResult RunScenario(const Scenario& s, int threads, const RunConfig& config);

}  // namespace evalsim

#endif  // EVALSIM_SIM_RUN_RUNNER_H_
