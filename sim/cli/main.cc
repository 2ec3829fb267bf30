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

#ifdef EVALSIM_WITH_MPI
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "sim/mpi/mpi_distribution.h"
#endif

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
    if (Job().IsRoot()) std::cerr << "evalsim: " << e.what() << " (see evalsim --help)\n";
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
    if (*c.app) return c.distributed || Job().IsRoot() ? c.run() : 0;
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

// How the command ended: its exit code, the message to print (empty when
// there is none or another process prints it) and whether every process of
// the job knows of the failure (so that none needs to be stopped).
struct Outcome {
  int code = 0;
  std::string message;
  bool shared = true;
};

// Runs the command and maps failures to exit codes.
Outcome RunCommand(int argc, char** argv) {
  const Distribution& job = Job();
  try {
    return {Main(argc, argv), "", true};
  } catch (const ShareDone&) {
    return {0, "", true};  // process 0 writes the outputs
  } catch (const FailedOnAnotherProcess& e) {
    return {e.exit_code(), "", true};  // process 0 reports it
  } catch (const InterruptedError&) {
    // In a job of several processes the signal may be the launcher's: it
    // ends every process when one of them died or when it was interrupted.
    return {130,
            !job.IsRoot()     ? ""
            : job.Size() == 1 ? "interrupted; no partial output was kept"
                              : "interrupted (a stop signal, or the MPI launcher ending the job); "
                                "no partial output was kept",
            job.FailureShared()};
  } catch (const InputError& e) {
    return {2, e.what(), job.FailureShared()};
  } catch (const std::bad_alloc&) {
    return {1, "out of memory", job.FailureShared()};
  } catch (const std::exception& e) {
    return {1, fmt::format("internal error: {}", e.what()), job.FailureShared()};
  }
}

}  // namespace
}  // namespace evalsim

int main(int argc, char** argv) {
  evalsim::InstallInterruptHandlers();
#ifdef EVALSIM_WITH_MPI
  // Under an MPI launcher every process runs the command on its share of
  // the work; only process 0 prints on stdout and writes files.
  std::unique_ptr<evalsim::MpiDistribution> mpi;
  if (evalsim::StartedByMpiLauncher()) {
    mpi = std::make_unique<evalsim::MpiDistribution>(&argc, &argv);
    evalsim::SetJob(mpi.get());
    if (!mpi->IsRoot() && std::freopen("/dev/null", "w", stdout) == nullptr) return 1;
  }
#endif
  const evalsim::Outcome outcome = evalsim::RunCommand(argc, argv);
#ifdef EVALSIM_WITH_MPI
  // A failure the other processes cannot know of (bad input met by one
  // process, a failed write on process 0) ends the whole job, else they
  // would wait for this process forever. Every process meets the same bad
  // input at the same place: process 0 says so, the others give it a moment
  // to, so that the message is printed once; a message from any other
  // process names it.
  if (mpi && mpi->Size() > 1 && outcome.code != 0) {
    if (mpi->IsRoot() || outcome.shared) {
      if (!outcome.message.empty() && mpi->IsRoot()) evalsim::PrintErrorLines(outcome.message);
    } else {
      // Process 0's MPI_Abort reaches this process as SIGTERM: then it has
      // said it, and this process ends quietly.
      for (int i = 0; i < 100 && !evalsim::Interrupted(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (evalsim::Interrupted()) return outcome.code;
      if (!outcome.message.empty())
        evalsim::PrintErrorLines(fmt::format("process {}: {}", mpi->Rank(), outcome.message));
    }
    std::fflush(nullptr);
    if (!outcome.shared) mpi->Abort(outcome.code);
    return outcome.code;
  }
#endif
  if (!outcome.message.empty()) evalsim::PrintErrorLines(outcome.message);
  return outcome.code;
}
