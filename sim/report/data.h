// The report's data: the files of an output directory read into plain structs
// or JSON, for the charts (charts.h) and the page (html.h). See report.cc for
// which file feeds which chart. A file that is present but malformed throws
// InputError naming it (and the line); scores.csv is never read.
#ifndef EVALSIM_SIM_REPORT_DATA_H_
#define EVALSIM_SIM_REPORT_DATA_H_

#include <filesystem>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace evalsim::report {

using Json = nlohmann::ordered_json;

// Rows of the caterpillar per model: the evaluees whose mean rank is nearest
// the quota line.
inline constexpr int kCaterpillarRows = 50;

bool IsFile(const std::filesystem::path& p);

// A file's bytes (through MappedFile, with its messages).
std::string ReadWhole(const std::filesystem::path& p);

// dir/manifest.json, a JSON object; InputError when it is missing or
// malformed (with the line of a syntax error).
Json ReadManifest(const std::filesystem::path& dir);

// j[a][b]... or nullptr.
const Json* Find(const Json& j, std::initializer_list<const char*> path);

// A number cell: empty gives nullopt; anything else that is not a number is
// an error naming file, line and column.
std::optional<double> Number(std::string_view s, const std::filesystem::path& file, long line,
                             const std::string& column);
// A number cell that must not be empty.
double RequiredNumber(std::string_view s, const std::filesystem::path& file, long line,
                      const std::string& column);
// A JSON number, or null for nullopt and non-finite values.
Json NumOrNull(std::optional<double> v);

// `v` without repeats, in order of first appearance.
std::vector<std::string> Distinct(const std::vector<std::string>& v);

// Five-number summary (type-7 quantiles) with the mean, for box charts whose
// data must stay bounded whatever the number of values: {"model", "n", "min",
// "q1", "median", "q3", "max", "mean"}.
Json BoxStats(const std::string& model, std::vector<double> v);

// The scenario summary of the page, from the manifest; `kind` is "run",
// "sweep" or "manipulate".
Json Summary(const Json& manifest, const std::string& kind);

// ---------------------------------------------------------------- metrics.csv

struct MetricLine {
  std::string model, metric;
  std::optional<double> value, lo, hi;
};

std::vector<MetricLine> ReadMetrics(const std::filesystem::path& p);

// The metrics table: a row per model, a column per metric.
Json MetricsTable(const std::vector<MetricLine>& rows);

// ---------------------------------------------------------------- evaluees.csv

struct EvalueeRow {
  std::string ratee;
  double mean_rank = 0;
  double distance = 0;  // |mean_rank - the caterpillar's centre|
  long order = 0;       // row index in the file
  std::optional<double> rank_lo, rank_hi, p_top;
};

// Orders rows by (distance to the centre, file order): the first rows are
// the ones the caterpillar keeps.
struct Nearer {
  bool operator()(const EvalueeRow& a, const EvalueeRow& b) const {
    if (a.distance != b.distance) return a.distance < b.distance;
    return a.order < b.order;
  }
};

// The kCaterpillarRows rows of a model nearest the centre.
struct ModelRows {
  std::priority_queue<EvalueeRow, std::vector<EvalueeRow>, Nearer> nearest;  // top: the farthest
  long n = 0;
};

struct EvalueesData {
  std::vector<std::string> models;  // in file order
  std::map<std::string, ModelRows> rows;
  long n_max = 0;             // evaluees of the largest model
  std::optional<long> quota;  // the quota count k, when the manifest gives it
  double centre = 1;          // the rank the caterpillar's rows are nearest: k, else 1
  // Mean ranks of the weighted (composite) models, by ratee id.
  std::unordered_map<std::string, int> ratee_id;
  std::vector<std::string> ratee_names;
  std::map<std::string, std::vector<double>> weighted_rank;
};

// Streams evaluees.csv, keeping only what the charts need: the rows nearest
// the quota line per model and the mean ranks of the `weighted` models.
EvalueesData ReadEvaluees(const std::filesystem::path& p, const std::set<std::string>& weighted,
                          const Json& manifest);

// ---------------------------------------------------------------- fairness.csv

struct FairnessLines {
  Json values = Json::array();      // {model, stratum, evaluees, class_error}
  std::vector<std::string> strata;  // in file order
};

// The class error by unit size.
FairnessLines ReadFairness(const std::filesystem::path& p);

// ------------------------------------------- uncertainty.csv, sensitivity.csv

// Evaluees the uncertainty chart keeps: every one up to this many, else
// every ceil(n / kUncertaintyRows)-th in order of base rank.
inline constexpr int kUncertaintyRows = 150;

struct UncertaintyLines {
  Json values = Json::array();  // {evaluee, median_rank, rank_lo, rank_hi, base_rank}
  int evaluees = 0;             // rows of the file
};

// The rank intervals across modelling choices, ordered by base rank (ties
// in file order), thinned to kUncertaintyRows.
UncertaintyLines ReadUncertainty(const std::filesystem::path& p);

// {choice, first_order, share} per varied choice, in file order.
Json ReadSensitivity(const std::filesystem::path& p);

// ---------------------------------------------------------------- units.csv

// Units per model the allocation chart keeps: those farthest from the
// truth's allocation when a level has more.
inline constexpr int kAllocationUnits = 60;

struct UnitAllocation {
  std::string level;                // the first level of the file (the top one)
  std::vector<std::string> models;  // in file order
  // Per kept unit of a model, two rows {model, unit, series, value, truth,
  // evaluees, distance}: series "model" (value = the model's mean top-class
  // count) and "truth" (value = the truth's).
  Json values = Json::array();
  long units = 0;  // units of the level (per model)
};

// The top class's rows of the first level of units.csv.
UnitAllocation ReadUnits(const std::filesystem::path& p);

// ---------------------------------------------------------------- parameters.csv

struct WeightMeans {
  std::vector<std::string> models;      // weighted models, in file order
  std::vector<std::string> indicators;  // without the "weight." prefix
  std::map<std::pair<std::string, std::string>, std::pair<double, long>> sum;
};

WeightMeans ReadWeights(const std::filesystem::path& p);

// ---------------------------------------------------------------- sweep.csv

struct SweepRow {
  std::string metric;
  std::string first_key;  // the text of the first varied key's cell
  // The chart's data row: {"point", <keys>..., ["other_keys",] "model",
  // "value", "lo", "hi"}.
  Json values;
};

struct SweepTable {
  std::vector<std::string> keys;  // the varied scenario keys
  std::vector<bool> numeric;      // per key: every cell a finite number
  std::vector<std::string> metrics;
  std::vector<SweepRow> rows;
};

SweepTable ReadSweep(const std::filesystem::path& p);

// ---------------------------------------------------------------- manipulation

struct ManipulationData {
  Json chart_rows = Json::array();  // BoxStats rows
  Json order = Json::array();       // their models
  long not_buyable = 0;
  bool from_summary = false;
};

// manipulation.csv, else manipulation_summary.csv, from `dir`.
ManipulationData ReadManipulation(const std::filesystem::path& dir);

// ---------------------------------------------------------------- a scored tally

// The scores of a scored ballot file (`evalsim score --report`): scores.csv
// with ratee, score and rank, and when present the bootstrap interval
// (lo, hi) and the class.
struct TallyScore {
  std::string ratee;
  double score = 0;
  long rank = 0;
  std::optional<double> lo, hi;
  std::string cls;
};

struct TallyScores {
  std::vector<TallyScore> rows;           // in file order (by rank)
  bool intervals = false;                 // lo and hi present
  bool classes = false;                   // class present
  std::vector<std::string> class_labels;  // in order of first appearance by rank
};

TallyScores ReadTallyScores(const std::filesystem::path& p);
// ---------------------------------------------------------------- calibration

// calibration.csv: rows {model, quantity, nominal, coverage, lo, hi}, and
// the models in file order.
struct CalibrationData {
  Json values = Json::array();
  std::vector<std::string> models;
};

CalibrationData ReadCalibration(const std::filesystem::path& p);

// periods.csv: per model and period the mean true quality {model, period,
// value, lo, hi}, and per model and action the rate at which it fires by
// true-quality decile, averaged over the periods {model, action, decile,
// rate} (every decile holds the same share of evaluees in every period, so
// the mean of the periods' rates is the pooled rate); the models in file
// order.
struct PeriodsData {
  Json quality = Json::array();
  Json deciles = Json::array();
  std::vector<std::string> models;
};

PeriodsData ReadPeriods(const std::filesystem::path& p);

// reliability.csv: the non-empty bins {model, target, bin, mean_p_top,
// frequency, count}; the models and targets in file order.
struct ReliabilityData {
  Json values = Json::array();
  std::vector<std::string> models, targets;
};

ReliabilityData ReadReliability(const std::filesystem::path& p);

// ---------------------------------------------------------------- tables

// A CSV file as a table {"key", "title", "columns", "rows"}; the cells of the
// rows that are finite numbers become numbers.
Json CsvTable(const std::filesystem::path& p, const std::string& key, const std::string& title);

}  // namespace evalsim::report

#endif  // EVALSIM_SIM_REPORT_DATA_H_
