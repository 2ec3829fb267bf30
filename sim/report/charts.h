// The report's charts: Vega-Lite specifications with their data inlined, built
// from what data.h read. Each builder returns {"key", "title", "guide",
// "spec"} (see report.h for the keys), or nothing when its data is absent.
#ifndef EVALSIM_SIM_REPORT_CHARTS_H_
#define EVALSIM_SIM_REPORT_CHARTS_H_

#include <optional>
#include <vector>

#include "sim/report/data.h"

namespace evalsim::report {

// "headline": accuracy vs stability per model (metrics.csv).
std::optional<Json> HeadlineChart(const std::vector<MetricLine>& rows);

// "caterpillar": the rank intervals of the evaluees nearest the quota line,
// one model at a time. Takes the rows out of `d`'s queues.
std::optional<Json> CaterpillarChart(EvalueesData& d);

// "grades": the grade shares by rater group (the manifest's ballots).
std::optional<Json> GradesChart(const Json& manifest);

// "fairness": class error by unit size (fairness.csv).
std::optional<Json> FairnessChart(const FairnessLines& d);

// "allocation": the top class's places per unit of the top level against
// the truth's, one model at a time (units.csv).
std::optional<Json> AllocationChart(const UnitAllocation& d);

// "uncertainty": each evaluee's rank interval across the composite's
// modelling choices against its rank under the base choices
// (uncertainty.csv).
std::optional<Json> UncertaintyChart(const UncertaintyLines& d);

// "sensitivity": the share of the rank variance each modelling choice
// explains (sensitivity.csv).
std::optional<Json> SensitivityChart(const Json& values);

// "weights": the mean weight vectors of the composite models
// (parameters.csv).
std::optional<Json> WeightsChart(const WeightMeans& w);

// "rank-shift": how far each weighting method moves the evaluees' mean ranks
// away from the first one's (parameters.csv with evaluees.csv).
std::optional<Json> RankShiftChart(const WeightMeans& w, const EvalueesData& d);

// "sweep-<metric>": a line chart per headline metric of a sweep (sweep.csv).
std::vector<Json> SweepCharts(const SweepTable& t);

// "tally-scores": a scored tally's scores by rank, with their bootstrap
// intervals and classes when present (scores.csv of `score --report`).
std::optional<Json> TallyScoresChart(const TallyScores& t);

// "manipulation": the cost of lifting a target into the goal.
std::optional<Json> ManipulationChart(const ManipulationData& d, const Json& manifest);

// "calibration": the actual against the nominal coverage of the score and
// rank intervals, per model (calibration.csv).
std::optional<Json> CalibrationChart(const CalibrationData& d);

// "reliability": the reliability diagram of p_top, one target at a time
// (reliability.csv; a top-level param "target" bound to a select).
std::optional<Json> ReliabilityChart(const ReliabilityData& d);

// "periods-quality": the mean true quality per period, a line and 95 %
// band per model (periods.csv).
std::optional<Json> PeriodsQualityChart(const PeriodsData& d);

// "periods-deciles": how often each action fires by true-quality decile,
// per model, averaged over the periods (periods.csv).
std::optional<Json> PeriodsDecileChart(const PeriodsData& d);

}  // namespace evalsim::report

#endif  // EVALSIM_SIM_REPORT_CHARTS_H_
