// report.html: a self-contained page of charts and tables that answers a
// run's, sweep's or manipulation study's question at a glance. It is built
// from the files of an output directory alone (manifest.json, metrics.csv,
// evaluees.csv, fairness.csv, units.csv, parameters.csv, sweep.csv,
// manipulation_summary.csv, ...), so `evalsim report DIR` rebuilds it from
// archived results, byte for byte the page the run wrote. It holds no time
// of day and no wall times: the same outputs give the same page.
//
// The page: Vega-Lite specifications with their data inlined, and the chart
// scripts and the page's own style sheet and scripts inlined
// (sim/report/assets.h): no network reference. The parts: data.h reads the
// files, charts.h builds the specs, html.h lays out the page.
//
// The page contract that the browser test (tests/report/report_browser_test.cc)
// relies on:
//   - <body data-report-status="loading">; the page script sets it to
//     "rendered" once every chart's vegaEmbed promise resolved, or to
//     "error" when one failed.
//   - Every chart is a <figure class="chart" id="chart-KEY"> holding a
//     <div class="vis"> that vega-embed renders an <svg> into (renderer
//     "svg"), a <figcaption> with the title that states the question and a
//     <p class="guide"> with the one-line reading guide.
//   - console.error, window "error" and "unhandledrejection" are captured:
//     each message is appended as a line to <pre id="console-errors">, and
//     <body data-console-errors="N"> counts them.
//   - After rendering, <body data-resources="N"> holds
//     performance.getEntriesByType("resource").length (0: nothing fetched).
//   - <script type="application/json" id="report-data"> holds the JSON that
//     BuildReportData returned (with "</" written "<\/", and "<!--" written
//     "\u003c!--" so that no data can open a comment-like script state).
//
// Additions to the contract:
//   - The body starts as data-console-errors="0" data-resources="0"; the
//     capture script is the first script of <head>, before the chart scripts.
//   - vegaEmbed is called with {renderer: "svg", actions: false, mode:
//     "vega-lite"} (the specs carry no "$schema", so the mode is explicit).
//   - Chart keys: "headline" (accuracy vs stability, metrics.csv),
//     "caterpillar" (evaluees.csv; a top-level param "model" bound to a
//     select), "grades" (manifest ballots.by_group), "fairness"
//     (fairness.csv size/class_error), "allocation" (units.csv, the top
//     class per unit of the first level; a top-level param "model" bound to
//     a select), "weights" and "rank-shift"
//     (parameters.csv weight.* with evaluees.csv), "uncertainty"
//     (uncertainty.csv) and "sensitivity" (sensitivity.csv), "periods-quality"
//     and "periods-deciles" (periods.csv), "sweep-<metric>" (metric
//     with non-alphanumerics as "-", e.g. "sweep-accuracy-kendall"),
//     "manipulation" (manipulation.csv, else manipulation_summary.csv),
//     "tally-scores" (a scored tally's scores.csv), "calibration"
//     (calibration.csv) and "reliability" (reliability.csv; a top-level
//     param "target" bound to a select). Only charts whose files exist
//     appear, in that order.
//   - A scored tally (`evalsim score --report`; kind "tally", manifest
//     "command": "score"): the charts "tally-scores" and "grades" and the
//     tables "table-classes" (with classes) and "table-scores".
//   - A sweep's page lists its points in <section id="points">, one
//     <li><a href="points/NNN/report.html"> each with the point's values;
//     a point's page is a run's page titled "NAME: sweep point NNN".
//   - Tables: <section class="table" id="table-KEY"> ("table-metrics" and,
//     with vetoes.csv, "table-vetoes" for a run,
//     "table-manipulation-summary" for a manipulation study,
//     "table-calibration", "table-brier" and "table-metrics-calibration" for
//     a calibration study); the
//     scenario summary is <section id="summary">, the sweep's summary.txt a
//     <pre class="summary-text">, the resolved scenario a <details> holding
//     <pre class="resolved">.
#ifndef EVALSIM_SIM_REPORT_REPORT_H_
#define EVALSIM_SIM_REPORT_REPORT_H_

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace evalsim {

// The report's content from the output directory `dir`: {"kind": "run" |
// "sweep" | "manipulate" | "tally" | "calibrate", "title", "summary": {...},
// "tables": [...],
// "charts": [{"key", "title", "guide", "spec"}, ...]}. Throws InputError
// naming the file (and line) when a file it needs is missing or malformed.
nlohmann::ordered_json BuildReportData(const std::filesystem::path& dir);

// The HTML page for BuildReportData's result.
std::string RenderReportHtml(const nlohmann::ordered_json& data);

// Builds the report from `dir` and writes it atomically to `out`.
void WriteReport(const std::filesystem::path& dir, const std::filesystem::path& out);

// A sweep's pages: points/NNN/report.html for every point (a run's page of
// the point's files), then the sweep's report.html, which links to them.
void WriteSweepReports(const std::filesystem::path& dir);

}  // namespace evalsim

#endif  // EVALSIM_SIM_REPORT_REPORT_H_
