// `evalsim validate`: parses and checks a scenario, draws its organisation
// and says whether `run` would fit in memory.
#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <memory>
#include <string>

#include "sim/cli/cli.h"

namespace evalsim {
namespace {

struct ValidateFlags {
  ScenarioFlags scenario;
  int threads = 0;
  bool per_replicate = false;
};

int CmdValidate(const ValidateFlags& f) {
  const MemoryLimit limit = f.scenario.Memory();
  Scenario s = LoadScenario(f.scenario.scenario, f.scenario.Overrides());
  PrintScenarioWarnings(s);
  const std::string& file = f.scenario.scenario;
  const char* flag = f.per_replicate ? " --per-replicate" : "";
  // A scenario too large for this machine is not drawn (drawing it could
  // itself run out of memory): the estimate from its expected counts is
  // reported instead.
  const PreflightEstimate rough = EstimateRunFromCounts(s, f.threads, f.per_replicate);
  if (limit.bytes > 0 && rough.bytes > limit.bytes) {
    std::cout << fmt::format(
        "{}: ok — about {:.3g} evaluees; not drawn: too large for this machine\n"
        "memory estimate for `run`{} (from the scenario's expected counts): {}; {}\n",
        file, std::round(ExpectedEvaluees(s)), flag, rough.Describe(), FitLine(rough, limit));
    return 0;
  }
  Organisation org = BuildOrganisation(s);
  const double bytes = static_cast<double>(org.expected_ballots) * 4.0;
  std::cout << fmt::format(
      "{}: ok — {} evaluees in {} meetings, {} raters, {} models; about {} ballots per "
      "replicate ({:.1f} MiB of ballot storage)\n",
      file, org.NumEvaluees(), org.meetings.size(), org.NumRaters(), s.models.size(),
      org.expected_ballots, bytes / (1 << 20));
  const PreflightEstimate est = EstimateRun(s, org, f.threads, f.per_replicate);
  std::cout << fmt::format("memory estimate for `run`{}: {}; {}\n", flag, est.Describe(),
                           FitLine(est, limit));
  return 0;
}

}  // namespace

Command AddValidateCommand(CLI::App& parent) {
  auto f = std::make_shared<ValidateFlags>();
  Command c;
  c.app = parent.add_subcommand("validate", "parse and check a scenario");
  AddScenarioFlags(c.app, f->scenario, true);
  c.app
      ->add_option("--threads", f->threads,
                   "worker threads the memory estimate assumes (default: every core)")
      ->check(CLI::Range(0, 1024));
  c.app->add_flag("--per-replicate", f->per_replicate,
                  "estimate memory for `run --per-replicate` (every replicate's scores kept)");
  c.run = [f] { return CmdValidate(*f); };
  return c;
}

}  // namespace evalsim
