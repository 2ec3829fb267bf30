// Running a sweep: the checks before any point runs, out.partial (start or
// resume), every point, and the output directory at the end.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>

#include "sim/core/errors.h"
#include "sim/core/interrupt.h"
#include "sim/core/parallel.h"
#include "sim/core/progress.h"
#include "sim/core/resources.h"
#include "sim/experiments/sweep.h"
#include "sim/io/csv_write.h"
#include "sim/io/files.h"
#include "sim/run/outputs.h"
#include "sim/run/preflight.h"
#include "sim/run/runner.h"
#include "sim/scenario/scenario.h"

namespace evalsim {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json;

std::string PointDirName(int point, int total) {
  int width = 3;
  for (int p = total; p >= 1000; p /= 10) ++width;
  return fmt::format("{:0{}d}", point, width);
}

std::string MetricsCsv(const RunResult& r) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "model,metric,value,lo,hi\n");
  for (const auto& m : r.models)
    for (const auto& row : m.metrics) {
      if (row.has_interval)
        fmt::format_to(std::back_inserter(out), "{},{},{},{},{}\n", CsvField(m.name),
                       CsvField(row.metric), Num(row.value), Num(row.lo), Num(row.hi));
      else
        fmt::format_to(std::back_inserter(out), "{},{},{},,\n", CsvField(m.name),
                       CsvField(row.metric), Num(row.value));
    }
  return fmt::to_string(out);
}

Json PlanJson(const SweepPlan& plan) {
  Json j;
  j["mode"] = plan.grid ? "grid" : "zip";
  Json keys = Json::array();
  for (const auto& k : plan.keys) {
    Json jk;
    jk["key"] = k.key;
    jk["values"] = k.values;
    keys.push_back(jk);
  }
  j["vary"] = keys;
  j["points"] = plan.NumPoints();
  return j;
}

// Tells which field of two fingerprints differs first ("" when none).
std::string FirstDifference(const Json& have, const Json& want) {
  for (auto it = want.begin(); it != want.end(); ++it) {
    if (!have.contains(it.key()) || have[it.key()] != it.value()) return it.key();
  }
  for (auto it = have.begin(); it != have.end(); ++it)
    if (!want.contains(it.key())) return it.key();
  return "";
}

// Everything fixed before the first point runs.
struct Sweep {
  Sweep(const SweepOptions& options, Scenario scenario) : o(options), base(std::move(scenario)) {}

  const SweepOptions& o;
  Scenario base;
  std::vector<std::string> kept;  // the models every point runs
  SweepPlan plan;
  int P = 0;                   // points in the plan
  std::vector<int> requested;  // the points to run, ascending
  std::map<int, std::vector<std::string>> point_overrides;
  const char* seeds_mode = "common";
  fs::path out, partial;
  std::string finished;  // per requested point: '1' when out.partial holds it already

  Distribution& Job() const { return OrSingle(o.distribution); }

  // The scenario's overrides followed by point p's own.
  std::vector<std::string> AllOverrides(int p) const {
    std::vector<std::string> ov = o.overrides;
    const std::vector<std::string>& own = point_overrides.at(p);
    ov.insert(ov.end(), own.begin(), own.end());
    return ov;
  }
  // "sweep point p of P (key=value, ...)".
  std::string PointLabel(int p) const {
    const auto values = plan.Values(p);
    std::vector<std::string> parts;
    for (size_t k = 0; k < plan.keys.size(); ++k)
      parts.push_back(fmt::format("{}={}", plan.keys[k].key, values[k]));
    return fmt::format("sweep point {} of {} ({})", p, P, fmt::join(parts, ", "));
  }
  fs::path PointDir(int p) const { return partial / "points" / PointDirName(p, P); }
};

// The plan: --vary / --leniency-curve, else the scenario's [sweep].
SweepPlan PlanOf(const SweepOptions& o, const Scenario& base) {
  std::vector<SweepKey> keys;
  bool grid = !o.zip;
  std::string source = "--vary";
  if (!o.vary.empty() || o.leniency_curve) {
    for (const auto& f : o.vary) keys.push_back(ParseVaryFlag(f));
    if (o.leniency_curve) keys.push_back(LeniencyCurveKey());
  } else if (!base.sweep.vary.empty()) {
    for (const auto& [k, v] : base.sweep.vary) keys.push_back({k, v});
    grid = base.sweep.grid && !o.zip;
    source = fmt::format("{}: [sweep]", o.scenario);
  } else {
    throw InputError(fmt::format(
        "{}: nothing to vary; give --vary key.path=v1,v2,... (or --leniency-curve), or a "
        "[sweep] table in the scenario",
        o.scenario));
  }
  return MakeSweepPlan(std::move(keys), grid, source);
}

// The points --points asks for (every point when it is not given), ascending.
std::vector<int> RequestedPoints(const std::vector<int>& points, int P) {
  std::vector<int> requested;
  if (points.empty()) {
    for (int p = 1; p <= P; ++p) requested.push_back(p);
  } else {
    for (int p : points)
      if (p < 1 || p > P)
        throw InputError(
            fmt::format("--points {}: point {} is outside 1..{}", fmt::join(points, ","), p, P));
    std::set<int> unique(points.begin(), points.end());
    requested.assign(unique.begin(), unique.end());
  }
  return requested;
}

// Every requested point's overrides, checked by loading the scenario with
// them (so an unknown key or a bad value stops the sweep before it runs).
// The memory pre-flight is per the largest point, from the scenario's
// counts, before anything is drawn or written.
void CheckPointsAndMemory(Sweep& s) {
  const SweepOptions& o = s.o;
  int largest = 0;
  Scenario largest_scenario;
  PreflightEstimate largest_estimate;
  for (int p : s.requested) {
    try {
      std::vector<std::string> ov = PointOverrides(s.plan, p, s.base.shares);
      if (o.independent) ov.push_back(fmt::format("seed={}", IndependentPointSeed(s.base.seed, p)));
      s.point_overrides[p] = std::move(ov);
      Scenario check = LoadScenario(o.scenario, s.AllOverrides(p));
      KeepModels(check, s.kept);
      check.uncertainty = UncertaintySpec{};  // not part of a sweep's outputs
      if (check.models.empty()) throw InputError("no model left to run");
      PreflightEstimate est = EstimateRunFromCounts(check, o.threads, false);
      if (largest == 0 || est.bytes > largest_estimate.bytes) {
        largest = p;
        largest_estimate = std::move(est);
        largest_scenario = std::move(check);
      }
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", s.PointLabel(p), e.what()));
    }
  }
  if (largest > 0)
    RefuseIfTooBig(fmt::format("sweep: the largest point, {}", s.PointLabel(largest)),
                   largest_estimate, o.memory, largest_scenario, nullptr, o.threads, false);
}

// The output directory: --out, else out/<name>-sweep.
fs::path OutDir(const SweepOptions& o, const Scenario& base) {
  fs::path out =
      o.out.empty()
          ? fs::path(fmt::format("out/{}-sweep", base.name.empty() ? "scenario" : base.name))
          : fs::path(o.out);
  out = out.lexically_normal();
  if (!out.has_filename()) out = out.parent_path();
  if (out.empty()) throw InputError(fmt::format("--out {}: expected a directory path", o.out));
  return out;
}

// What a resume must match: sweep.json in out.partial.
Json Fingerprint(const Sweep& s) {
  Json fingerprint;
  fingerprint["version"] = EVALSIM_VERSION;
  fingerprint["scenario_sha256"] = Sha256File(s.o.scenario);
  fingerprint["overrides"] = s.o.overrides;
  fingerprint["plan"] = PlanJson(s.plan);
  fingerprint["seeds"] = s.seeds_mode;
  fingerprint["replicates"] = s.base.replicates;
  fingerprint["models"] = s.kept;
  return fingerprint;
}

// An existing out.partial must be the unfinished sweep of this very command
// (and --resume must be given).
void CheckResumable(const Sweep& s, const Json& fingerprint) {
  std::error_code ec;
  const std::string partial = s.partial.string();
  const fs::path sweep_json = s.partial / "sweep.json";
  if (!s.o.resume)
    throw InputError(fmt::format(
        "{} exists: it holds the finished points of an unfinished sweep; pass --resume to "
        "finish it, or remove {} to start over",
        partial, partial));
  if (!fs::exists(sweep_json, ec))
    throw InputError(
        fmt::format("{}: missing; {} is not an unfinished sweep (remove it to start "
                    "over)",
                    sweep_json.string(), partial));
  Json have;
  try {
    have = Json::parse(ReadFile(sweep_json));
  } catch (const nlohmann::json::exception&) {
    throw InputError(
        fmt::format("{}: not valid JSON (remove {} to start over)", sweep_json.string(), partial));
  }
  const std::string field = FirstDifference(have, fingerprint);
  if (!field.empty())
    throw InputError(fmt::format(
        "{}: cannot resume: field \"{}\" differs (the unfinished sweep has {}, this command "
        "has {}); rerun the command that started it, or remove {} to start over",
        sweep_json.string(), field, have.contains(field) ? have[field].dump() : "nothing",
        fingerprint.contains(field) ? fingerprint[field].dump() : "nothing", partial));
}

// Resumes out.partial, or creates it with its sweep.json.
void LoadOrStartPartial(const Sweep& s, const Json& fingerprint) {
  std::error_code ec;
  if (fs::exists(s.partial, ec)) {
    CheckResumable(s, fingerprint);
  } else {
    fs::create_directories(s.partial / "points", ec);
    if (ec)
      throw InputError(fmt::format("--out {}: cannot create {}: {}", s.out.string(),
                                   s.partial.string(), ec.message()));
    try {
      WriteFileAtomically(s.partial / "sweep.json", fingerprint.dump(2) + "\n");
    } catch (...) {
      fs::remove_all(s.partial, ec);  // created just now: nothing to resume from
      throw;
    }
  }
  fs::create_directories(s.partial / "points", ec);
}

// A point finished by an earlier call: checked to belong to point p, then
// read back.
SweepPoint LoadFinishedPoint(const Sweep& s, int p, const fs::path& dir) {
  Json man;
  try {
    man = Json::parse(ReadFile(dir / "manifest.json"));
  } catch (const nlohmann::json::exception&) {
    throw InputError(fmt::format("{}: not valid JSON (remove {} to start over)",
                                 (dir / "manifest.json").string(), s.partial.string()));
  }
  if (!man.contains("point") || man["point"] != p || !man.contains("point_overrides") ||
      man["point_overrides"] != Json(s.point_overrides.at(p)))
    throw InputError(
        fmt::format("{}: written for another point or plan (remove {} to "
                    "start over)",
                    (dir / "manifest.json").string(), s.partial.string()));
  const fs::path csv = dir / "metrics.csv";
  return {p, s.plan.Values(p), ParsePointMetrics(ReadFile(csv), csv.string())};
}

// points/NNN/manifest.json of a point just run (started at p0).
Json PointManifest(const Sweep& s, int p, const Scenario& scenario,
                   const std::vector<std::string>& ov, const RunResult& r, Clock::time_point p0) {
  Json man = BaseManifest(scenario, ov);
  man["point"] = p;
  Json values;
  const auto vals = s.plan.Values(p);
  for (size_t k = 0; k < s.plan.keys.size(); ++k) values[s.plan.keys[k].key] = vals[k];
  man["point_values"] = values;
  man["point_overrides"] = s.point_overrides.at(p);
  man["seeds"] = s.seeds_mode;
  man["threads"] = r.threads;
  Json wall;
  wall["seconds"] = std::chrono::duration<double>(Clock::now() - p0).count();
  wall["organisation"] = r.seconds_organisation;
  wall["generate"] = r.seconds_generate;
  wall["score"] = r.seconds_score;
  wall["metrics"] = r.seconds_metrics;
  wall["peak_memory_bytes"] = PeakMemoryBytes();
  man["wall_time"] = wall;
  return man;
}

// Writes a point's files beside `dir`, then renames them into place
// complete (no half-written point is ever left in `dir`).
void WritePointDir(const fs::path& dir, const std::string& csv, const Json& man) {
  std::error_code ec;
  const fs::path tmp = dir.parent_path() / ("." + dir.filename().string() + ".tmp");
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create: {}", tmp.string(), ec.message()));
  try {
    WriteTextFile(tmp / "metrics.csv", csv);
    WriteTextFile(tmp / "manifest.json", man.dump(2) + "\n");
  } catch (...) {
    fs::remove_all(tmp, ec);  // no half-written point is left behind
    throw;
  }
  fs::remove_all(dir, ec);
  fs::rename(tmp, dir, ec);
  if (ec)
    throw InputError(fmt::format("{}: cannot move into place: {}", dir.string(), ec.message()));
}

// Runs point p into `dir`; nullopt when the run was interrupted.
std::optional<SweepPoint> RunPoint(const Sweep& s, int p, const fs::path& dir,
                                   SweepOutcome& outcome) {
  const auto p0 = Clock::now();
  const std::vector<std::string> ov = s.AllOverrides(p);
  Scenario scenario = LoadScenario(s.o.scenario, ov);
  KeepModels(scenario, s.kept);
  scenario.uncertainty = UncertaintySpec{};
  RunConfig config;
  config.progress = false;
  config.keep_scores = false;
  config.distribution = s.o.distribution;
  RunResult r;
  try {
    r = RunScenario(scenario, s.o.threads, config);
  } catch (const InterruptedError&) {
    return std::nullopt;
  }
  outcome.threads = r.threads;
  if (!s.Job().IsRoot()) return SweepPoint{p, s.plan.Values(p), {}};  // sent to process 0
  const std::string csv = MetricsCsv(r);
  WritePointDir(dir, csv, PointManifest(s, p, scenario, ov, r, p0));
  return SweepPoint{p, s.plan.Values(p), ParsePointMetrics(csv, (dir / "metrics.csv").string())};
}

// Every requested point in order: loaded when finished earlier, else run.
// Stops at an interruption (outcome.interrupted).
std::vector<SweepPoint> RunPoints(const Sweep& s, SweepOutcome& outcome) {
  const SweepOptions& o = s.o;
  std::error_code ec;
  std::vector<SweepPoint> results;
  int run_here = 0;
  bool hook_fired = false;
  {
    const long R = s.base.replicates;
    const long todo = std::count(s.finished.begin(), s.finished.end(), '0');
    Progress progress("sweep (points x replicates)", todo * R, o.progress);
    for (size_t i = 0; i < s.requested.size(); ++i) {
      const int p = s.requested[i];
      const fs::path dir = s.PointDir(p);
      if (s.finished[i] == '1') {
        results.push_back(s.Job().IsRoot() ? LoadFinishedPoint(s, p, dir)
                                           : SweepPoint{p, s.plan.Values(p), {}});
        ++outcome.points_resumed;
        continue;
      }
      if (Interrupted()) {
        outcome.interrupted = true;
        break;
      }
      std::optional<SweepPoint> point = RunPoint(s, p, dir, outcome);
      if (!point) {
        outcome.interrupted = true;
        break;
      }
      results.push_back(std::move(*point));
      progress.Advance(R);
      ++run_here;
      if (o.stop_after_points >= 0 && run_here == o.stop_after_points && !Interrupted()) {
        RequestInterrupt(true);
        hook_fired = true;
      }
    }
  }
  if (hook_fired) RequestInterrupt(false);
  return results;
}

// The lines that open summary.txt.
std::string SummaryHeader(const Sweep& s, size_t points_done) {
  std::string header;
  std::vector<std::string> names;
  for (const auto& k : s.plan.keys) names.push_back(k.key);
  header += fmt::format(
      "sweep of {}: {} of {} points ({} {}), {} models, {} replicates per "
      "point\n",
      s.base.name, points_done, s.P, s.plan.grid ? "grid over" : "zip of",
      fmt::join(names, s.plan.grid ? " x " : ", "), s.kept.size(), s.base.replicates);
  if (s.o.independent)
    header += fmt::format(
        "seeds: independent (point p runs with seed DeriveSeed({}, {{p}}) reduced to 62 "
        "bits)\n",
        s.base.seed);
  else
    header += fmt::format(
        "seeds: common random numbers (seed {} at every point: the same organisation and vote "
        "streams, so differences between points come from the knob, not from noise)\n",
        s.base.seed);
  header +=
      "close: how many other models' 95 % intervals over replicates reach the best model's "
      "lower end (0 = the best is clearly best)\n";
  return header;
}

// The sweep's manifest.json (t0: when the sweep started).
Json SweepManifest(const Sweep& s, const SweepOutcome& outcome, Clock::time_point t0) {
  Json man = BaseManifest(s.base, s.o.overrides);
  Json sweep;
  sweep["plan"] = PlanJson(s.plan);
  sweep["seeds"] = s.seeds_mode;
  sweep["seeds_rule"] = s.o.independent
                            ? "point p runs with seed DeriveSeed(seed, {p}) & (2^62 - 1)"
                            : "every point runs with the scenario's seed (common random numbers)";
  sweep["models"] = s.kept;
  sweep["points"] = s.requested;
  Json pov = Json::object();
  for (int p : s.requested) pov[std::to_string(p)] = s.point_overrides.at(p);
  sweep["point_overrides"] = pov;
  man["sweep"] = sweep;
  man["threads"] = outcome.threads;
  man["resumed_points"] = outcome.points_resumed;
  Json wall;
  wall["seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();
  wall["peak_memory_bytes"] = PeakMemoryBytes();
  man["wall_time"] = wall;
  return man;
}

// Assembles the output directory (staged, then committed): the points,
// sweep.csv, summary.txt and manifest.json.
void WriteSweepOutputs(const Sweep& s, const std::vector<SweepPoint>& results,
                       SweepOutcome& outcome, Clock::time_point t0) {
  std::error_code ec;
  StagedDirectory staged(s.out);
  fs::create_directories(staged.File("points"), ec);
  for (const auto& pt : results) {
    const std::string name = PointDirName(pt.point, s.P);
    fs::create_directories(staged.File("points/" + name), ec);
    for (const char* f : {"metrics.csv", "manifest.json"})
      WriteTextFile(staged.File("points/" + name + "/" + f),
                    ReadFile(s.partial / "points" / name / f));
  }
  WriteTextFile(staged.File("sweep.csv"), SweepCsv(s.plan, results));
  outcome.summary = SweepSummary(s.plan, results, SummaryHeader(s, results.size()));
  WriteTextFile(staged.File("summary.txt"), outcome.summary);
  WriteTextFile(staged.File("manifest.json"), SweepManifest(s, outcome, t0).dump(2) + "\n");
  if (s.o.finish) s.o.finish(staged.Path());
  staged.Commit();
}

// Drops out.partial, unless it holds points this call did not ask for.
void DropPartial(const Sweep& s, SweepOutcome& outcome) {
  std::error_code ec;
  bool others = false;
  for (const auto& entry : fs::directory_iterator(s.partial / "points", ec)) {
    const std::string n = entry.path().filename().string();
    if (n.empty() || n[0] == '.') continue;
    int p = 0;
    const auto [ptr, perr] = std::from_chars(n.data(), n.data() + n.size(), p);
    if (perr != std::errc() || !std::binary_search(s.requested.begin(), s.requested.end(), p))
      others = true;
  }
  if (others)
    outcome.kept_partial = true;
  else
    fs::remove_all(s.partial, ec);
}

}  // namespace

SweepOutcome RunSweep(const SweepOptions& o) {
  const auto t0 = Clock::now();
  SweepOutcome outcome;
  Sweep s(o, LoadScenario(o.scenario, o.overrides));
  s.kept = SelectedModels(s.base, o.models);
  s.plan = PlanOf(o, s.base);
  s.P = s.plan.NumPoints();
  s.requested = RequestedPoints(o.points, s.P);
  s.seeds_mode = o.independent ? "independent" : "common";
  CheckPointsAndMemory(s);

  s.out = OutDir(o, s.base);
  s.partial = s.out;
  s.partial += ".partial";
  outcome.out = s.out.string();
  outcome.partial = s.partial.string();
  outcome.points_total = static_cast<int>(s.requested.size());
  outcome.threads = ThreadCount(o.threads);
  // out.partial is process 0's: it says which points are finished.
  s.finished = OnRoot(s.Job(), [&] {
    LoadOrStartPartial(s, Fingerprint(s));
    std::string finished;
    std::error_code ec;
    for (int p : s.requested)
      finished += fs::exists(s.PointDir(p) / "metrics.csv", ec) &&
                          fs::exists(s.PointDir(p) / "manifest.json", ec)
                      ? '1'
                      : '0';
    return finished;
  });

  const std::vector<SweepPoint> results = RunPoints(s, outcome);
  outcome.points_done = static_cast<int>(results.size());
  if (!s.Job().IsRoot()) return outcome;  // process 0 reports and writes
  if (outcome.interrupted) {
    outcome.message = fmt::format(
        "evalsim: interrupted after {} of {} points; finished points are kept in {}; rerun the "
        "same command with --resume to finish",
        outcome.points_done, outcome.points_total, s.partial.string());
    return outcome;
  }
  try {
    WriteSweepOutputs(s, results, outcome, t0);
  } catch (const InterruptedError&) {
    // Every point is finished and kept: --resume only assembles the outputs.
    outcome.interrupted = true;
    outcome.message = fmt::format(
        "evalsim: interrupted while writing the outputs; all {} points are kept in {}; rerun the "
        "same command with --resume to finish",
        outcome.points_total, s.partial.string());
    return outcome;
  }
  DropPartial(s, outcome);
  return outcome;
}

}  // namespace evalsim
