// `evalsim sweep`: see sim/experiments/sweep.h.
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "sim/cli/cli.h"
#include "sim/core/progress.h"
#include "sim/experiments/sweep.h"
#include "sim/report/report.h"

namespace evalsim {
namespace {

struct SweepFlags {
  ScenarioFlags scenario;
  std::vector<std::string> vary, models;
  std::vector<int> points;
  bool zip = false, leniency_curve = false, independent = false, resume = false;
  std::string out;
  int threads = 0;
};

int CmdSweep(const SweepFlags& f) {
  const auto t0 = std::chrono::steady_clock::now();
  SweepOptions o;
  o.memory = f.scenario.Memory();
  o.scenario = f.scenario.scenario;
  o.overrides = f.scenario.Overrides();
  o.vary = f.vary;
  o.zip = f.zip;
  o.leniency_curve = f.leniency_curve;
  o.independent = f.independent;
  o.models = f.models;
  o.points = f.points;
  o.out = f.out;
  o.threads = f.threads;
  o.resume = f.resume;
  o.progress = StderrIsTerminal();
  o.distribution = &Job();
  o.finish = [](const std::filesystem::path& dir) { WriteSweepReports(dir); };
  // The base scenario's warnings, once (RunSweep loads it again per point).
  PrintScenarioWarnings(LoadScenario(o.scenario, o.overrides));
  const SweepOutcome r = RunSweep(o);
  if (r.interrupted) {
    if (!r.message.empty()) std::cerr << r.message << "\n";
    return 130;
  }
  std::cout << r.summary;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << fmt::format(
      "\nwrote {}/{{sweep.csv,summary.txt,manifest.json,points/,report.html}}: {} points{} in "
      "{:.1f} s on "
      "{} thread{}\n",
      r.out, r.points_done,
      r.points_resumed ? fmt::format(" ({} resumed from {})", r.points_resumed, r.partial) : "",
      seconds, r.threads, r.threads == 1 ? "" : "s");
  if (r.kept_partial)
    std::cout << fmt::format("kept {}: it holds finished points outside --points\n", r.partial);
  return 0;
}

}  // namespace

Command AddSweepCommand(CLI::App& parent) {
  auto f = std::make_shared<SweepFlags>();
  Command c;
  c.app = parent.add_subcommand("sweep", "run a scenario at every point of a grid of knob values");
  CLI::App* app = c.app;
  AddScenarioFlags(app, f->scenario, true);
  app->add_option("--vary", f->vary,
                  "vary a scenario key: key.path=v1,v2,... (TOML values split at top-level "
                  "commas; repeat for more keys; replaces the scenario's [sweep] table). "
                  "scale.top_share=v sets the top grade's share, the lower grades keeping their "
                  "proportions")
      ->allow_extra_args(false);
  app->add_flag("--zip", f->zip,
                "pair the i-th values of every key (every key the same number of values) "
                "instead of running every combination");
  app->add_flag("--leniency-curve", f->leniency_curve,
                "shorthand for --vary scale.top_share=0.65,0.75,0.85,0.9,0.95,0.98");
  app->add_flag("--independent", f->independent,
                "give point p its own seed DeriveSeed(seed, {p}), reduced to 62 bits (default: "
                "every point uses the scenario's seed: common random numbers)");
  app->add_option("--models", f->models, "run only these [[models]] entries, by name: a,b,...")
      ->delimiter(',')
      ->allow_extra_args(false);
  app->add_option("--points", f->points, "run only these points (1-based, in plan order): 2,5")
      ->delimiter(',')
      ->allow_extra_args(false);
  app->add_option("--out", f->out, "output directory (default out/<scenario name>-sweep)");
  app->add_option("--threads", f->threads, "worker threads (default: every core)")
      ->check(CLI::Range(0, 1024));
  app->add_flag("--resume", f->resume,
                "finish an interrupted sweep: reuse the finished points in <out>.partial (the "
                "scenario, flags and plan must be the same)");
  app->footer(
      "Outputs in --out: sweep.csv (point, each varied key, model, metric, value, lo, hi), "
      "summary.txt (also printed: the best model per headline metric and point, where it "
      "changes, and how each model moves along the first key), manifest.json, and "
      "points/NNN/{metrics.csv,manifest.json}. Finished points are kept in <out>.partial while "
      "the sweep runs; after an interruption (exit 130) rerun the same command with --resume. "
      "Output is byte-identical whatever --threads is. See the [sweep] section of "
      "scenarios/README.md.");

  c.distributed = true;
  c.run = [f] { return CmdSweep(*f); };
  return c;
}

}  // namespace evalsim
