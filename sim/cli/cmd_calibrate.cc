// `evalsim calibrate`: see sim/experiments/calibration.h.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/cli/cli.h"
#include "sim/core/errors.h"
#include "sim/core/parallel.h"
#include "sim/core/progress.h"
#include "sim/core/resources.h"
#include "sim/experiments/calibration.h"
#include "sim/run/outputs.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

namespace evalsim {
namespace {

using Clock = std::chrono::steady_clock;

struct CalibrateFlags {
  ScenarioFlags scenario;
  std::vector<double> levels;
  std::string scheme, interval;  // empty: the defaults of score --bootstrap
  CalibrationOptions options;
  std::string out;
};

// The options from the flags; InputError on a value out of range.
CalibrationOptions Options(const CalibrateFlags& f) {
  CalibrationOptions o = f.options;
  if (!f.levels.empty()) o.levels = f.levels;
  std::sort(o.levels.begin(), o.levels.end());
  o.levels.erase(std::unique(o.levels.begin(), o.levels.end()), o.levels.end());
  if (!f.scheme.empty()) {
    const std::optional<ResampleScheme> scheme = ParseResampleScheme(f.scheme);
    if (!scheme)
      throw InputError(
          fmt::format("--scheme {}: unknown scheme; expected smoothed, raters, raters-by-group, "
                      "bayesian or parametric",
                      f.scheme));
    o.scheme = *scheme;
  }
  if (!f.interval.empty()) {
    const std::optional<IntervalMethod> method = ParseIntervalMethod(f.interval);
    if (!method)
      throw InputError(
          fmt::format("--interval {}: unknown method; expected percentile or bca", f.interval));
    o.interval = *method;
  }
  o.progress = StderrIsTerminal();
  CheckCalibrationOptions(o);
  return o;
}

nlohmann::ordered_json CalibrationManifest(const Scenario& s, const CalibrateFlags& f,
                                           const CalibrationOptions& o, const CalibrationResult& r,
                                           Clock::time_point t0) {
  nlohmann::ordered_json man = BaseManifest(s, f.scenario.Overrides());
  nlohmann::ordered_json c;
  c["sets"] = o.sets;
  c["bootstrap"] = o.bootstrap;
  c["scheme"] = ResampleSchemeName(o.scheme);
  c["interval"] = IntervalMethodName(o.interval);
  c["levels"] = o.levels;
  c["population"] = o.population;
  c["population_first_replicate"] = kPopulationReplicate;
  c["bootstrap_seed"] = "scenario seed + set index (0-based)";
  c["evaluees"] = r.evaluees;
  c["k_top"] = r.k_top;
  c["max_population_correction"] = r.max_correction;
  c["runs"] = o.runs;
  c["replicates_per_run"] = r.replicates_per_run;
  c["every_ratings_model"] = o.every_ratings_model;
  nlohmann::ordered_json models = nlohmann::ordered_json::array();
  for (const CalibrationModel& m : r.models) {
    nlohmann::ordered_json jm;
    jm["name"] = m.name;
    jm["model"] = m.model;
    jm["bootstrapped"] = !m.skipped;
    jm["notes"] = m.notes;
    models.push_back(jm);
  }
  c["models"] = models;
  c["fits"] = r.fits;
  man["calibration"] = c;
  man["threads"] = r.threads;
  nlohmann::ordered_json wall;
  wall["total_seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();
  wall["peak_memory_bytes"] = PeakMemoryBytes();
  if (Job().Size() > 1) wall["processes"] = Job().Size();
  man["wall_time"] = wall;
  return man;
}

void PrintCalibration(const Scenario& s, const CalibrationOptions& o, const CalibrationResult& r,
                      Clock::time_point t0) {
  std::cout << fmt::format(
      "{}: {} evaluees, k = {}; {} ballot sets x {} resamples ({} intervals, {} bootstrap), "
      "population of {} sets{}; {} fits in {:.1f} s on {} threads\n",
      s.name, r.evaluees, r.k_top, o.sets, o.bootstrap, IntervalMethodName(o.interval),
      ResampleSchemeName(o.scheme), o.population,
      o.runs > 0 ? fmt::format(", {} runs of {} replicates per metrics target", o.runs,
                               r.replicates_per_run)
                 : "",
      r.fits, std::chrono::duration<double>(Clock::now() - t0).count(), r.threads);
  std::cout << "coverage of the intervals of the population value (score: mean score over the "
               "population sets; rank: mean rank); Brier score of p_top\n";
  std::cout << CalibrationSummaryTable(r, o);
  for (const CalibrationModel& m : r.models)
    for (const std::string& note : m.notes)
      std::cout << fmt::format("note: {}: {}\n", m.name, note);
}

int CmdCalibrate(const CalibrateFlags& f) {
  const auto t0 = Clock::now();
  const MemoryLimit limit = f.scenario.Memory();
  CalibrationOptions o = Options(f);  // before any work
  o.distribution = &Job();
  Scenario s = LoadScenario(f.scenario.scenario, f.scenario.Overrides());
  // Memory pre-flight: the ballot sets are bootstrapped in parallel, one
  // per thread, so as a run of that many replicates (each set's bootstrap
  // matrix is checked by CheckResampleMemory).
  Scenario one = s;
  one.replicates = std::min(o.sets, ThreadCount(o.threads));
  const Preflight preflight{"calibrate", &one, limit, o.threads, false};
  CalibrationResult r;
  const auto work = [&](StagedDirectory* dir) {
    // Under mpirun every process draws the organisation and takes its
    // share of the sets; process 0 (dir != nullptr) writes.
    const Organisation org = BuildOrganisation(s);
    preflight.Check(&org);
    r = RunCalibration(s, org, o);
    if (dir == nullptr) return nlohmann::ordered_json();
    WriteTextFile(dir->File("calibration.csv"), CalibrationCsv(r));
    WriteTextFile(dir->File("calibration_strata.csv"), CalibrationStrataCsv(r));
    WriteTextFile(dir->File("reliability.csv"), ReliabilityCsv(r));
    WriteTextFile(dir->File("brier.csv"), BrierCsv(r));
    if (o.runs > 0) WriteTextFile(dir->File("metrics_calibration.csv"), MetricsCalibrationCsv(r));
    return CalibrationManifest(s, f, o, r, t0);
  };
  return RunScenarioCommand(preflight, f.out, work, [&] { PrintCalibration(s, o, r, t0); });
}

}  // namespace

Command AddCalibrateCommand(CLI::App& parent) {
  auto f = std::make_shared<CalibrateFlags>();
  Command c;
  c.app = parent.add_subcommand(
      "calibrate",
      "check that the bootstrap intervals and p_top of `score --bootstrap` and the "
      "intervals of metrics.csv cover at their nominal rate");
  AddScenarioFlags(c.app, f->scenario, true);
  CalibrationOptions& o = f->options;
  c.app
      ->add_option("--level", f->levels,
                   "nominal level of the intervals; repeat or separate by commas (default 0.8, "
                   "0.9, 0.95)")
      ->delimiter(',')
      ->allow_extra_args(false);
  c.app->add_option("--sets", o.sets,
                    fmt::format("independent ballot sets bootstrapped (default {})", o.sets));
  c.app->add_option(
      "--bootstrap", o.bootstrap,
      fmt::format("resamples per set, as score --bootstrap (default {})", o.bootstrap));
  c.app->add_option(
      "--population", o.population,
      fmt::format("ballot sets whose mean is the population value (default {})", o.population));
  c.app->add_option("--runs", o.runs,
                    fmt::format("runs per target for the check of metrics.csv's intervals; 0 = "
                                "none (default {})",
                                o.runs));
  c.app->add_option("--scheme", f->scheme,
                    "resampling as score --scheme: smoothed (default), raters, "
                    "raters-by-group, bayesian or parametric");
  c.app->add_option("--interval", f->interval,
                    "interval method as score --interval: percentile (default) or bca");
  c.app->add_option("--models", o.models, "[[models]] names to calibrate (comma-separated)")
      ->delimiter(',')
      ->allow_extra_args(false);
  c.app->add_flag("--every-ratings-model", o.every_ratings_model,
                  "calibrate every ratings model of the registry with its default options, in "
                  "place of the scenario's [[models]]");
  c.app->add_option("--threads", o.threads, "worker threads (default: every core)")
      ->check(CLI::Range(0, 1024));
  c.app->add_option("--out", f->out, "output directory")->required();
  c.run = [f] { return CmdCalibrate(*f); };
  c.distributed = true;
  return c;
}

}  // namespace evalsim
