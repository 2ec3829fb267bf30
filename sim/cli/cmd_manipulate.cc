// `evalsim manipulate`: see sim/experiments/manipulation.h.
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/cli/cli.h"
#include "sim/core/errors.h"
#include "sim/core/progress.h"
#include "sim/core/resources.h"
#include "sim/experiments/manipulation.h"
#include "sim/run/outputs.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

namespace evalsim {
namespace {

using Clock = std::chrono::steady_clock;

struct ManipulateFlags {
  ScenarioFlags scenario;
  std::string goal = "top";
  bool bury = false;
  bool composites = false;
  int sample = 200;
  int exact_max = 12;
  std::optional<double> quota;
  std::vector<std::string> models;
  int threads = 0;
  std::string out;
};

// manifest.json of a manipulation search.
nlohmann::ordered_json ManipulationManifest(const Scenario& s, const ManipulateFlags& f,
                                            const ManipulationConfig& config,
                                            const ManipulationResult& r, Clock::time_point t0) {
  const ManipulationOptions& o = config.options;
  nlohmann::ordered_json man = BaseManifest(s, f.scenario.Overrides());
  man["goal"] = ManipulationGoalName(o);
  man["quota"] = o.quota;
  man["bury"] = o.bury;
  if (o.composites) man["composites"] = true;
  man["sample"] = config.sample;
  man["exact_max"] = o.exact_max;
  man["threads"] = r.threads;
  nlohmann::ordered_json seeds;
  seeds["scenario"] = s.seed;
  seeds["ballots_replicate"] = 1;
  seeds["target_sample"] = r.sample_seed;
  man["seeds"] = seeds;
  nlohmann::ordered_json targets;
  targets["evaluees"] = r.evaluees;
  targets["meetings"] = r.meetings;
  targets["targets"] = r.targets.size();
  targets["sampled"] = static_cast<int>(r.targets.size()) < r.evaluees;
  man["targets"] = targets;
  nlohmann::ordered_json models = nlohmann::ordered_json::array();
  for (const ManipulationModel& mm : r.models) {
    nlohmann::ordered_json jm;
    jm["name"] = mm.name;
    jm["model"] = mm.model;
    jm["searched"] = !mm.skipped;
    jm["notes"] = mm.notes;
    models.push_back(jm);
  }
  man["manipulation_models"] = models;
  man["fits"] = r.fits;
  nlohmann::ordered_json wall;
  wall["total_seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();
  wall["peak_memory_bytes"] = PeakMemoryBytes();
  man["wall_time"] = wall;
  return man;
}

// The summary on stdout: the search, the table and the models' notes.
void PrintManipulation(const Scenario& s, const ManipulationConfig& config,
                       const ManipulationResult& r, Clock::time_point t0) {
  const ManipulationOptions& o = config.options;
  std::cout << fmt::format(
      "{}: {} targets of {} evaluees in {} meetings; goal {}{}, bury {}, exact up to {} "
      "eligible raters; {} fits in {:.2f} s on {} threads\n",
      s.name, r.targets.size(), r.evaluees, r.meetings, ManipulationGoalName(o),
      o.goal == ManipulationGoal::kTop ? fmt::format(" (quota {})", o.quota) : "",
      o.bury ? "on" : "off", o.exact_max, r.fits,
      std::chrono::duration<double>(Clock::now() - t0).count(), r.threads);
  std::cout << "cost = raters in the smallest bloc found; share_md = median cost / raters; "
               "buyable = share of searched targets\n";
  std::cout << ManipulationSummaryTable(r);
  for (const ManipulationModel& mm : r.models)
    for (const std::string& note : mm.notes)
      std::cout << fmt::format("note: {}: {}\n", mm.name, note);
}

int CmdManipulate(const ManipulateFlags& f) {
  const auto t0 = Clock::now();
  const MemoryLimit limit = f.scenario.Memory();
  ManipulationConfig config;
  ParseManipulationGoal(f.goal, &config.options);
  config.options.bury = f.bury;
  config.options.composites = f.composites;
  config.options.exact_max = f.exact_max;
  config.sample = f.sample;
  config.models = f.models;
  config.threads = f.threads;
  config.progress = StderrIsTerminal();
  config.distribution = &Job();
  if (f.quota) config.options.quota = *f.quota;
  CheckManipulationConfig(config);  // before any work
  Scenario s = LoadScenario(f.scenario.scenario, f.scenario.Overrides());
  PrintScenarioWarnings(s);
  if (!f.quota) config.options.quota = s.quota;
  const std::string out =
      f.out.empty() ? fmt::format("out/{}-manipulation", s.name.empty() ? "run" : s.name) : f.out;
  // Memory pre-flight: the search scores replicate 1's ballots, so it costs
  // what a one-replicate run costs; from the counts first, then from the
  // drawn organisation.
  Scenario one = s;
  one.replicates = 1;
  const Preflight preflight{"manipulate", &one, limit, f.threads, false};
  ManipulationResult r;
  const auto work = [&](StagedDirectory* dir) {
    const Organisation org = BuildOrganisation(s);
    preflight.Check(&org);
    // The targets are spread over the processes of an MPI job; on the
    // others than 0 (no directory) RunManipulation ends with ShareDone.
    r = RunManipulation(s, org, config);
    if (dir == nullptr) return nlohmann::ordered_json();
    WriteTextFile(dir->File("manipulation.csv"), ManipulationCsv(org, r));
    WriteTextFile(dir->File("manipulation_summary.csv"), ManipulationSummaryCsv(r));
    return ManipulationManifest(s, f, config, r, t0);
  };
  return RunScenarioCommand(preflight, out, work, [&] { PrintManipulation(s, config, r, t0); });
}

}  // namespace

Command AddManipulateCommand(CLI::App& parent) {
  auto f = std::make_shared<ManipulateFlags>();
  Command c;
  c.app =
      parent.add_subcommand("manipulate", "the smallest bloc that buys an evaluee a better place");
  AddScenarioFlags(c.app, f->scenario, false);
  c.app->add_option("--goal", f->goal,
                    "top (enter the quota's top k of the meeting, default), positions=P (gain "
                    "at least P places), class=LABEL (get the class under the entry's classes) "
                    "or escape=LABEL (stay out of it)");
  c.app->add_flag("--bury", f->bury, "bloc members also give every rival they rated grade 0");
  c.app->add_flag("--composites", f->composites,
                  "goals top and positions: also search composites that read the votes "
                  "(ruian_points, a composite with `vote`), indicators held fixed; class goals "
                  "always do");
  c.app->add_option("--sample", f->sample,
                    "at most this many target evaluees (a seeded sample; default 200)");
  c.app->add_option("--exact-max", f->exact_max,
                    fmt::format("exact search up to this many eligible raters, else greedy "
                                "(default 12, at most {})",
                                kMaxExactRaters));
  c.app->add_option("--quota", f->quota,
                    "top-class share (default: the scenario's [metrics] quota)");
  c.app->add_option("--models", f->models, "[[models]] names to search (comma-separated)")
      ->delimiter(',');
  c.app->add_option("--threads", f->threads, "worker threads (default: every core)")
      ->check(CLI::Range(0, 1024));
  c.app->add_option("--out", f->out, "output directory (default out/<name>-manipulation)");
  c.distributed = true;
  c.run = [f] { return CmdManipulate(*f); };
  return c;
}

}  // namespace evalsim
