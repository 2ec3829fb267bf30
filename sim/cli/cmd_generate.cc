// `evalsim generate`: one replicate's ballots (and indicators) and the truth,
// as the CSV files `score` reads.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "sim/cli/cli.h"
#include "sim/run/generate_files.h"

namespace evalsim {
namespace {

struct GenerateFlags {
  ScenarioFlags scenario;
  std::string out;
  int replicate = 1;
  int threads = 0;
};

int CmdGenerate(const GenerateFlags& f) {
  const MemoryLimit memory = f.scenario.Memory();
  const std::vector<std::string> overrides = f.scenario.Overrides();
  Scenario s = LoadScenario(f.scenario.scenario, overrides);
  PrintScenarioWarnings(s);
  GenerateRequest request;
  request.overrides = overrides;
  request.replicate = f.replicate;
  request.threads = f.threads;
  request.memory = memory;
  const GeneratedFiles g = WriteGeneratedFiles(f.out, s, request);
  std::cout << fmt::format("wrote {} ballots for {} evaluees to {}/ballots.csv{}{}{}\n", g.ballots,
                           g.evaluees, f.out, g.pairwise ? " and pairwise.csv" : "",
                           g.indicators ? " and indicators.csv" : "",
                           g.meetings ? " and meetings.csv" : "");
  return 0;
}

}  // namespace

Command AddGenerateCommand(CLI::App& parent) {
  auto f = std::make_shared<GenerateFlags>();
  Command c;
  c.app = parent.add_subcommand("generate", "write one replicate's ballots and the truth");
  AddScenarioFlags(c.app, f->scenario, false);
  c.app->add_option("--out", f->out, "output directory")->required();
  c.app->add_option("--replicate", f->replicate, "which replicate (1-based, default 1)");
  c.app->add_option("--threads", f->threads, "worker threads")->check(CLI::Range(0, 1024));
  c.run = [f] { return CmdGenerate(*f); };
  return c;
}

}  // namespace evalsim
