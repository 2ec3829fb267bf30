// report.html: see report.h for the page contract. The page's content is
// built here from the output directory's files (read by data.cc, charted by
// charts.cc, laid out by html.cc):
//
//   manifest.json             required; the scenario summary, the grade
//                             shares by rater group, the quota count k
//   metrics.csv               headline chart (accuracy vs stability), table
//   evaluees.csv              caterpillar (the kCaterpillarRows rows per model
//                             whose mean rank is nearest the quota count k),
//                             rank shifts of composites;
//                             streamed, only what the charts need is kept
//   fairness.csv              class error by unit size
//   units.csv                 top-class places per unit against the truth's
//   vetoes.csv                table of the vetoes' metrics
//   periods.csv               quality trajectory per model; action rates by
//                             true-quality decile
//   parameters.csv            mean weight vectors of composite models
//   uncertainty.csv,          rank intervals across a composite's modelling
//   sensitivity.csv           choices, and the share of rank variance by choice
//   sweep.csv, summary.txt    sweep lines and the sweep's text summary
//   manipulation.csv,         cost of lifting a target into the top class
//   manipulation_summary.csv
//   scores.csv                a scored tally only (manifest "command":
//                             "score"): scores by rank, intervals, classes
//   calibration.csv,          coverage against the nominal level; p_top
//   reliability.csv,          reliability diagram; tables of the coverage,
//   brier.csv,                the Brier scores and the metric-interval
//   metrics_calibration.csv   coverage
//
// A file that is absent leaves its chart out; a file that is present but
// malformed throws InputError naming it (and the line). Nothing of the machine
// or the clock (wall times, threads, memory) enters the page, and a run's
// scores.csv is never read.
#include "sim/report/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/io/files.h"
#include "sim/report/charts.h"
#include "sim/report/data.h"
#include "sim/report/html.h"

namespace evalsim {
namespace report {
namespace {

// "run", "sweep", "manipulate", "tally" or "calibrate", from the manifest
// and the files present.
std::string Kind(const Json& manifest, const std::filesystem::path& dir) {
  if (const Json* c = Find(manifest, {"command"}); c && *c == "score") return "tally";
  if (manifest.contains("sweep") || IsFile(dir / "sweep.csv")) return "sweep";
  if (manifest.contains("calibration") || IsFile(dir / "calibration.csv")) return "calibrate";
  if (manifest.contains("manipulation_models") || IsFile(dir / "manipulation.csv") ||
      IsFile(dir / "manipulation_summary.csv"))
    return "manipulate";
  return "run";
}

std::string Title(const Json& manifest, const std::string& kind, const std::filesystem::path& dir) {
  std::string name = "evalsim";
  if (const Json* n = Find(manifest, {"resolved", "name"}); n && n->is_string())
    name = n->get<std::string>();
  if (manifest.contains("point_values"))
    return fmt::format("{}: sweep point {}", name,
                       (dir.has_filename() ? dir : dir.parent_path()).filename().string());
  return fmt::format("{}: {}", name,
                     kind == "sweep"        ? "sweep"
                     : kind == "manipulate" ? "manipulation study"
                     : kind == "tally"      ? "scored tally"
                     : kind == "calibrate"  ? "calibration study"
                                            : "run");
}

// What the page shows: charts in the order of report.h, then tables.
struct Content {
  Json tables = Json::array();
  std::vector<Json> charts;

  void Add(std::optional<Json> c) {
    if (c) charts.push_back(std::move(*c));
  }
};

// The sweep's points (points/NNN holding a manifest.json), in name order,
// each with the link to its page and its values of the varied keys.
Json SweepPoints(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "points", ec)) {
    const std::string n = entry.path().filename().string();
    if (!n.empty() && n[0] != '.' && IsFile(entry.path() / "manifest.json")) names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  Json points = Json::array();
  for (const std::string& n : names) {
    const Json man = ReadManifest(dir / "points" / n);
    Json p;
    p["point"] = n;
    p["href"] = "points/" + n + "/report.html";
    p["values"] = man.contains("point_values") ? man["point_values"] : Json::object();
    points.push_back(std::move(p));
  }
  return points;
}

void AddSweep(const std::filesystem::path& dir, Json& data, Content& out) {
  if (IsFile(dir / "summary.txt")) data["summary"]["summary_text"] = ReadWhole(dir / "summary.txt");
  if (Json points = SweepPoints(dir); !points.empty()) data["points"] = std::move(points);
  if (IsFile(dir / "sweep.csv"))
    for (Json& c : SweepCharts(ReadSweep(dir / "sweep.csv"))) out.charts.push_back(std::move(c));
}

void AddManipulation(const std::filesystem::path& dir, const Json& manifest, Content& out) {
  out.Add(ManipulationChart(ReadManipulation(dir), manifest));
  if (IsFile(dir / "manipulation_summary.csv"))
    out.tables.push_back(
        CsvTable(dir / "manipulation_summary.csv", "manipulation-summary",
                 "Cost of lifting a target, per model (manipulation_summary.csv)"));
}

void AddCalibration(const std::filesystem::path& dir, Content& out) {
  if (IsFile(dir / "calibration.csv")) {
    out.Add(CalibrationChart(ReadCalibration(dir / "calibration.csv")));
    out.tables.push_back(CsvTable(dir / "calibration.csv", "calibration",
                                  "Coverage of the bootstrap intervals (calibration.csv)"));
  }
  if (IsFile(dir / "reliability.csv"))
    out.Add(ReliabilityChart(ReadReliability(dir / "reliability.csv")));
  if (IsFile(dir / "brier.csv"))
    out.tables.push_back(CsvTable(dir / "brier.csv", "brier",
                                  "Brier score of p_top against each outcome (brier.csv)"));
  if (IsFile(dir / "metrics_calibration.csv"))
    out.tables.push_back(
        CsvTable(dir / "metrics_calibration.csv", "metrics-calibration",
                 "Coverage of the 95 % intervals of metrics.csv over repeated runs "
                 "(metrics_calibration.csv)"));
}

void AddRun(const std::filesystem::path& dir, const Json& manifest, Content& out) {
  std::vector<MetricLine> metrics;
  if (IsFile(dir / "metrics.csv")) {
    metrics = ReadMetrics(dir / "metrics.csv");
    out.Add(HeadlineChart(metrics));
  }
  WeightMeans weights;
  if (IsFile(dir / "parameters.csv")) weights = ReadWeights(dir / "parameters.csv");
  std::optional<EvalueesData> evaluees;
  if (IsFile(dir / "evaluees.csv")) {
    evaluees =
        ReadEvaluees(dir / "evaluees.csv",
                     std::set<std::string>(weights.models.begin(), weights.models.end()), manifest);
  }
  if (evaluees) out.Add(CaterpillarChart(*evaluees));
  out.Add(GradesChart(manifest));
  if (IsFile(dir / "fairness.csv")) out.Add(FairnessChart(ReadFairness(dir / "fairness.csv")));
  if (IsFile(dir / "units.csv")) out.Add(AllocationChart(ReadUnits(dir / "units.csv")));
  out.Add(WeightsChart(weights));
  if (evaluees) out.Add(RankShiftChart(weights, *evaluees));
  if (IsFile(dir / "uncertainty.csv"))
    out.Add(UncertaintyChart(ReadUncertainty(dir / "uncertainty.csv")));
  if (IsFile(dir / "sensitivity.csv"))
    out.Add(SensitivityChart(ReadSensitivity(dir / "sensitivity.csv")));
  if (IsFile(dir / "periods.csv")) {
    const PeriodsData periods = ReadPeriods(dir / "periods.csv");
    out.Add(PeriodsQualityChart(periods));
    out.Add(PeriodsDecileChart(periods));
  }
  if (!metrics.empty()) out.tables.push_back(MetricsTable(metrics));
  if (IsFile(dir / "vetoes.csv"))
    out.tables.push_back(CsvTable(dir / "vetoes.csv", "vetoes",
                                  "Vetoes: how often each strikes, how often it strikes a truly "
                                  "top evaluee, and the top class's precision with and without "
                                  "them (vetoes.csv)"));
}

// How many evaluees got each class, in the order the classes first appear
// down the ranking.
Json ClassCountTable(const TallyScores& t) {
  Json rows = Json::array();
  for (const std::string& label : t.class_labels) {
    long count = 0;
    for (const TallyScore& r : t.rows) count += r.cls == label;
    rows.push_back(Json::array(
        {label, count, static_cast<double>(count) / static_cast<double>(t.rows.size())}));
  }
  Json table;
  table["key"] = "classes";
  table["title"] = "Evaluees per class";
  table["columns"] = Json::array({"class", "evaluees", "share"});
  table["rows"] = rows;
  return table;
}

void AddTally(const std::filesystem::path& dir, const Json& manifest, Content& out) {
  const TallyScores scores = ReadTallyScores(dir / "scores.csv");
  out.Add(TallyScoresChart(scores));
  out.Add(GradesChart(manifest));
  if (scores.classes) out.tables.push_back(ClassCountTable(scores));
  out.tables.push_back(CsvTable(dir / "scores.csv", "scores", "Scores (scores.csv)"));
}

}  // namespace
}  // namespace report

nlohmann::ordered_json BuildReportData(const std::filesystem::path& dir) {
  using namespace report;
  const Json manifest = ReadManifest(dir);
  const std::string kind = Kind(manifest, dir);
  Json data;
  data["kind"] = kind;
  data["title"] = Title(manifest, kind, dir);
  data["summary"] = Summary(manifest, kind);
  Content content;
  if (kind == "sweep")
    AddSweep(dir, data, content);
  else if (kind == "manipulate")
    AddManipulation(dir, manifest, content);
  else if (kind == "tally")
    AddTally(dir, manifest, content);
  else if (kind == "calibrate")
    AddCalibration(dir, content);
  else
    AddRun(dir, manifest, content);
  data["tables"] = content.tables;
  Json cj = Json::array();
  for (Json& c : content.charts) cj.push_back(std::move(c));
  data["charts"] = cj;
  return data;
}

std::string RenderReportHtml(const nlohmann::ordered_json& data) { return report::PageHtml(data); }

void WriteReport(const std::filesystem::path& dir, const std::filesystem::path& out) {
  const std::string html = RenderReportHtml(BuildReportData(dir));
  WriteFileAtomically(out, html);
}

void WriteSweepReports(const std::filesystem::path& dir) {
  for (const report::Json& p : report::SweepPoints(dir)) {
    const std::filesystem::path point = dir / "points" / p["point"].get<std::string>();
    WriteReport(point, point / "report.html");
  }
  WriteReport(dir, dir / "report.html");
}

}  // namespace evalsim
