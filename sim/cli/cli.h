// Pieces of the command line shared by the subcommands: the scenario flags
// every scenario command takes, `--set` parsing, and the registration shape
// of a subcommand that lives in its own file (sim/cmd_*.cc).
#ifndef EVALSIM_SIM_CLI_CLI_H_
#define EVALSIM_SIM_CLI_CLI_H_

#include <toml++/toml.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace evalsim {

struct ScenarioFlags {
  std::string scenario;
  std::vector<std::string> sets;
  std::optional<uint64_t> seed;
  std::optional<int> replicates;
  std::optional<std::string> max_memory;  // --max-memory SIZE (sim/preflight.h ParseByteSize)

  // --set flags, then --seed and --replicates as overrides.
  std::vector<std::string> Overrides() const;
  // Parses --max-memory (InputError on a bad size) and sets it for the
  // memory pre-flight of this process (SetMaxMemory). Call before any work.
  void ApplyMaxMemory() const;
};

// The scenario argument, --set, --seed, --max-memory and (when
// `replicates`) --replicates.
void AddScenarioFlags(CLI::App* cmd, ScenarioFlags& f, bool replicates);

// `--set key=value` flags (TOML values) as a table; InputError on a flag
// without `=` or a value that is not TOML.
toml::table ParseSets(const std::vector<std::string>& sets);

// A subcommand defined in its own file: `app` is its CLI11 node, `run` is
// called when it was given (its flags are captured by the closure). `run`
// returns the exit code; InputError escapes to main (exit 2).
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command AddSweepCommand(CLI::App& parent);       // sim/cmd_sweep.cc
Command AddManipulateCommand(CLI::App& parent);  // sim/cmd_manipulate.cc
Command AddReportCommand(CLI::App& parent);      // sim/cmd_report.cc

}  // namespace evalsim

#endif  // EVALSIM_SIM_CLI_CLI_H_
