// evalsim command line (README "Command line"): builds the app from the commands
// (each in its own sim/cli/cmd_<name>.cc), parses, runs the one given and
// maps failures to exit codes: 0 success, 2 bad input (one line naming file,
// line, key and what was expected), 130 interrupted, 1 internal error.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <new>
#include <optional>
#include <string_view>
#include <vector>

#include "sim/cli/cli.h"
#include "sim/core/errors.h"
#include "sim/core/interrupt.h"

namespace evalsim {
namespace {

// Every command, in the order `evalsim --help` lists them.
constexpr Command (*kCommands[])(CLI::App&) = {
    AddRunCommand,       AddGenerateCommand, AddScoreCommand,   AddModelsCommand,
    AddAhpCommand,       AddWeightsCommand,  AddSweepCommand,   AddManipulateCommand,
    AddCalibrateCommand, AddReportCommand,   AddValidateCommand};

// Parses the command line: the exit code when parsing ends the program
// (help, version, a parse error), else nullopt.
std::optional<int> Parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "evalsim: " << e.what() << " (see evalsim --help)\n";
    return 2;
  }
  return std::nullopt;
}

int Main(int argc, char** argv) {
  CLI::App app{"evalsim: simulate and compare appraisal rubrics and scoring models"};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       fmt::format("evalsim {} ({})", EVALSIM_VERSION, EVALSIM_GIT_DESCRIBE));
  std::vector<Command> commands;
  for (const auto add : kCommands) commands.push_back(add(app));
  if (const std::optional<int> code = Parse(app, argc, argv)) return *code;
  for (const Command& c : commands)
    if (*c.app) return c.run();
  return 2;
}

// One line per problem, each with the program's prefix, so that every line
// of a message that lists several problems reads alone.
void PrintErrorLines(std::string_view message) {
  size_t start = 0;
  do {
    size_t end = message.find('\n', start);
    if (end == std::string_view::npos) end = message.size();
    std::cerr << "evalsim: " << message.substr(start, end - start) << "\n";
    start = end + 1;
  } while (start < message.size());
}

}  // namespace
}  // namespace evalsim

int main(int argc, char** argv) {
  evalsim::InstallInterruptHandlers();
  try {
    return evalsim::Main(argc, argv);
  } catch (const evalsim::InterruptedError&) {
    std::cerr << "evalsim: interrupted; no partial output was kept\n";
    return 130;
  } catch (const evalsim::InputError& e) {
    evalsim::PrintErrorLines(e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "evalsim: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "evalsim: internal error: " << e.what() << "\n";
    return 1;
  }
}
