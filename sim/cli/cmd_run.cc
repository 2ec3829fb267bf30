// `evalsim run`: every model on every replicate of a scenario (sim/run/runner.h).
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "sim/cli/cli.h"
#include "sim/core/progress.h"
#include "sim/experiments/run_directory.h"
#include "sim/run/outputs.h"
#include "sim/run/per_replicate.h"
#include "sim/run/runner.h"
#include "sim/run/split.h"

namespace evalsim {
namespace {

using Clock = std::chrono::steady_clock;

struct RunFlags {
  ScenarioFlags scenario;
  std::string out;
  int threads = 0;
  bool per_replicate = false;
  bool split = false;
  std::vector<std::string> models;
};

int CmdRun(const RunFlags& f) {
  const auto t0 = Clock::now();
  const MemoryLimit limit = f.scenario.Memory();
  Scenario s = LoadScenario(f.scenario.scenario, f.scenario.Overrides());
  PrintScenarioWarnings(s);
  KeepModels(s, SelectedModels(s, f.models));  // manifest.json lists the entries that ran
  if (f.split) CheckSplittable(s);
  if (Job().IsRoot() && Job().Size() > s.replicates && !f.split)
    std::cerr << fmt::format(
        "evalsim: warning: {} processes for {} replicate{}: a replicate is one work item, so {} "
        "of the processes will only wait\n",
        Job().Size(), s.replicates, s.replicates == 1 ? "" : "s", Job().Size() - s.replicates);
  // Memory pre-flight from the scenario's counts, before anything is drawn.
  Preflight preflight{"run", &s, limit, f.threads, f.per_replicate};
  if (f.split) preflight.split_parts = Job().Size();
  const std::string out =
      f.out.empty() ? fmt::format("out/{}", s.name.empty() ? "run" : s.name) : f.out;
  RunResult result;
  std::string table;
  return RunScenarioCommand(
      preflight, out,
      [&](StagedDirectory* dir) {
        RunRequest request;
        request.overrides = f.scenario.Overrides();
        request.threads = f.threads;
        request.per_replicate = f.per_replicate;
        request.progress = StderrIsTerminal();
        request.start = t0;
        request.distribution = &Job();
        request.split_replicates = f.split;
        return WriteRunDirectory(dir, s, request, preflight, result, table);
      },
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
  c.app->add_flag("--split-replicates", f->split,
                  "split each replicate over the processes of an MPI job by top-level units "
                  "(count-based models only; README \"Running on a cluster\")");
  c.distributed = true;
  c.run = [f] { return CmdRun(*f); };
  return c;
}

}  // namespace evalsim
