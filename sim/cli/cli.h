// The one header of the command line (sim/cli): the registration shape every
// subcommand shares (each lives in its own sim/cli/cmd_<name>.cc), the
// scenario flags every scenario command takes, `--set` parsing, and the
// skeleton of the commands that run a scenario into an output directory.
// Nothing outside sim/cli includes it.
#ifndef EVALSIM_SIM_CLI_CLI_H_
#define EVALSIM_SIM_CLI_CLI_H_

#include <toml++/toml.h>

#include <CLI/CLI.hpp>
#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/distribute.h"
#include "sim/io/files.h"
#include "sim/run/preflight.h"
#include "sim/scenario/overrides.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

namespace evalsim {

// A subcommand: `app` is its CLI11 node, `run` is called when it was given
// (its flags are captured by the closure). `run` returns the exit code;
// InputError escapes to main (exit 2).
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
  // Takes part in an MPI job (its `run` spreads work through Job()); the
  // other commands run on process 0 alone.
  bool distributed = false;
};

// Every subcommand, in the order `evalsim --help` lists them (main.cc).
Command AddRunCommand(CLI::App& parent);         // cmd_run.cc
Command AddGenerateCommand(CLI::App& parent);    // cmd_generate.cc
Command AddScoreCommand(CLI::App& parent);       // cmd_score.cc
Command AddModelsCommand(CLI::App& parent);      // cmd_models.cc
Command AddAhpCommand(CLI::App& parent);         // cmd_ahp.cc
Command AddWeightsCommand(CLI::App& parent);     // cmd_weights.cc
Command AddSweepCommand(CLI::App& parent);       // cmd_sweep.cc
Command AddManipulateCommand(CLI::App& parent);  // cmd_manipulate.cc
Command AddCalibrateCommand(CLI::App& parent);   // cmd_calibrate.cc
Command AddReportCommand(CLI::App& parent);      // cmd_report.cc
Command AddValidateCommand(CLI::App& parent);    // cmd_validate.cc

struct ScenarioFlags {
  std::string scenario;
  std::vector<std::string> sets;
  std::optional<uint64_t> seed;
  std::optional<int> replicates;
  std::optional<std::string> max_memory;  // --max-memory SIZE (ParseByteSize)

  // --set flags, then --seed and --replicates as overrides.
  std::vector<std::string> Overrides() const;
  // The memory the command may use: --max-memory (InputError on a bad size)
  // or the machine's (AvailableMemory). Call before any work.
  MemoryLimit Memory() const;
};

// The scenario argument, --set, --seed, --max-memory and (when
// `replicates`) --replicates.
void AddScenarioFlags(CLI::App* cmd, ScenarioFlags& f, bool replicates);

// The scenario's warnings (Scenario::warnings) on stderr, one line each:
// "evalsim: warning: FILE:LINE:COL: key: ...".
void PrintScenarioWarnings(const Scenario& s);

// A JSON number, or null for NaN / infinity (JSON has neither); a vector of
// them.
nlohmann::ordered_json JsonNumber(double x);
nlohmann::ordered_json JsonVector(const Eigen::VectorXd& v);

// The processes this program runs in (sim/core/distribute.h): one, unless
// main() installed an MPI job with SetJob. Commands pass it down in their
// options; only process 0 writes files.
Distribution& Job();
void SetJob(Distribution* job);

// The skeleton of the commands that run a scenario into an output directory
// (run, manipulate): the pre-flight from the scenario's counts, before
// anything is drawn or written; the staged directory `out`; the command's
// own `work`, which writes its files there (checking the pre-flight again on
// the organisation it draws) and returns the manifest; then manifest.json,
// report.html and the commit; then the command's `summary` on stdout and
// "wrote OUT/{the files}". Returns the exit code (0). On the processes of
// an MPI job other than 0, `work` gets no directory (nullptr): it does its
// share of the computation and writes nothing, and nothing else is done.
int RunScenarioCommand(const Preflight& preflight, const std::string& out,
                       const std::function<nlohmann::ordered_json(StagedDirectory* dir)>& work,
                       const std::function<void()>& summary);

}  // namespace evalsim

#endif  // EVALSIM_SIM_CLI_CLI_H_
