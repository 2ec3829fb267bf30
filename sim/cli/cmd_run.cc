// `evalsim run`: every model on every replicate of a scenario (sim/run/runner.h).
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "sim/cli/cli.h"
#include "sim/core/progress.h"
#include "sim/run/outputs.h"
#include "sim/run/per_replicate.h"
#include "sim/run/runner.h"

namespace evalsim {
namespace {

using Clock = std::chrono::steady_clock;

struct RunFlags {
  ScenarioFlags scenario;
  std::string out;
  int threads = 0;
  bool per_replicate = false;
  std::vector<std::string> models;
};

// Runs `s` and writes its files into `dir`; returns the manifest. Without
// a directory (an MPI process other than 0) runs its share and writes
// nothing.
nlohmann::ordered_json WriteRun(StagedDirectory* dir, const Scenario& s, const RunFlags& f,
                                const Preflight& preflight, Clock::time_point t0, RunResult& result,
                                std::string& table) {
  RunConfig config;
  config.progress = StderrIsTerminal();
  config.distribution = &Job();
  // The estimate needs the organisation; drawing it twice (here and in the
  // run) costs a fraction of the run and keeps RunScenario's interface.
  // The manifest's top level holds the estimate at every core (an upper
  // bound for any --threads), so that it is the same whatever --threads is
  // (README, Reproducibility); the estimate for this run's threads sits with the
  // measured peak under wall_time.
  PreflightEstimate estimate, estimate_here;
  {
    const Organisation org = BuildOrganisation(s);
    estimate = EstimateRun(s, org, 0, f.per_replicate);
    estimate_here = preflight.Check(&org);
    config.keep_scores = KeepScores(s, org, f.per_replicate);
  }
  result = RunScenario(s, f.threads, config);
  if (dir == nullptr) return {};
  RunInfo info;
  info.overrides = f.scenario.Overrides();
  info.threads = result.threads;
  info.seconds_total = std::chrono::duration<double>(Clock::now() - t0).count();
  nlohmann::ordered_json manifest;
  table = WriteRunOutputs(*dir, s, result, info, &manifest);
  manifest["memory_estimate_bytes"] = estimate.bytes;
  manifest["wall_time"]["memory_estimate_bytes_for_threads"] = estimate_here.bytes;
  if (Job().Size() > 1) manifest["wall_time"]["processes"] = Job().Size();
  if (f.per_replicate) {
    const auto p0 = Clock::now();
    WritePerReplicateScores(dir->File("scores.csv.gz"), s, result);
    manifest["per_replicate"] =
        "scores.csv.gz: the columns of scores.csv's full form, one row per replicate, model "
        "and evaluee, gzip";
    manifest["wall_time"]["per_replicate_write_seconds"] =
        std::chrono::duration<double>(Clock::now() - p0).count();
  }
  return manifest;
}

int CmdRun(const RunFlags& f) {
  const auto t0 = Clock::now();
  const MemoryLimit limit = f.scenario.Memory();
  Scenario s = LoadScenario(f.scenario.scenario, f.scenario.Overrides());
  PrintScenarioWarnings(s);
  KeepModels(s, SelectedModels(s, f.models));  // manifest.json lists the entries that ran
  // Memory pre-flight from the scenario's counts, before anything is drawn.
  const Preflight preflight{"run", &s, limit, f.threads, f.per_replicate};
  const std::string out =
      f.out.empty() ? fmt::format("out/{}", s.name.empty() ? "run" : s.name) : f.out;
  RunResult result;
  std::string table;
  return RunScenarioCommand(
      preflight, out,
      [&](StagedDirectory* dir) { return WriteRun(dir, s, f, preflight, t0, result, table); },
      [&] {
        const Organisation& org = result.organisation;
        std::cout << fmt::format(
            "{}: {} evaluees in {} meetings, {} raters; {} replicates, {} ballots; {:.2f} s on "
            "{} threads\n",
            s.name, org.NumEvaluees(), org.meetings.size(), org.NumRaters(), s.replicates,
            result.ballots_total, std::chrono::duration<double>(Clock::now() - t0).count(),
            result.threads);
        std::cout << table;
      });
}

}  // namespace

Command AddRunCommand(CLI::App& parent) {
  auto f = std::make_shared<RunFlags>();
  Command c;
  c.app = parent.add_subcommand("run", "run every model on every replicate of a scenario");
  AddScenarioFlags(c.app, f->scenario, true);
  c.app->add_option("--out", f->out, "output directory (default out/<scenario name>)");
  c.app->add_option("--threads", f->threads, "worker threads (default: every core)")
      ->check(CLI::Range(0, 1024));
  c.app
      ->add_option("--models", f->models,
                   "run only these [[models]] entries (names, comma-separated; default all)")
      ->delimiter(',');
  c.app->add_flag(
      "--per-replicate", f->per_replicate,
      "also write scores.csv.gz: every replicate's scores and ranks, whatever the size");
  c.distributed = true;
  c.run = [f] { return CmdRun(*f); };
  return c;
}

}  // namespace evalsim
