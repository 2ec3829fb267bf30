#include "sim/cli/cli.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "sim/core/errors.h"
#include "sim/report/report.h"

namespace evalsim {

std::vector<std::string> ScenarioFlags::Overrides() const {
  std::vector<std::string> o = sets;
  if (seed) o.push_back(fmt::format("seed={}", *seed));
  if (replicates) o.push_back(fmt::format("replicates={}", *replicates));
  return o;
}

MemoryLimit ScenarioFlags::Memory() const {
  return AvailableMemory(max_memory
                             ? std::optional<uint64_t>(ParseByteSize(*max_memory, "--max-memory"))
                             : std::nullopt);
}

void AddScenarioFlags(CLI::App* cmd, ScenarioFlags& f, bool replicates) {
  cmd->add_option("scenario", f.scenario, "scenario TOML file")->required();
  cmd->add_option("--set", f.sets, "override a scenario key: key.path=value (a TOML value)")
      ->allow_extra_args(false);
  cmd->add_option("--seed", f.seed, "override the scenario's seed");
  if (replicates) cmd->add_option("--replicates", f.replicates, "override the replicate count");
  cmd->add_option("--max-memory", f.max_memory,
                  "refuse to start when the memory estimate exceeds SIZE (512M, 8G, 1.5GiB or "
                  "bytes; default: the available memory and any cgroup limit)");
}

void PrintScenarioWarnings(const Scenario& s) {
  for (const auto& w : s.warnings) std::cerr << "evalsim: warning: " << w << "\n";
}

nlohmann::ordered_json JsonNumber(double x) {
  return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json JsonVector(const Eigen::VectorXd& v) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (double x : v) a.push_back(JsonNumber(x));
  return a;
}

namespace {
Distribution* job = nullptr;
}  // namespace

Distribution& Job() { return OrSingle(job); }
void SetJob(Distribution* d) { job = d; }

int RunScenarioCommand(const Preflight& preflight, const std::string& out,
                       const std::function<nlohmann::ordered_json(StagedDirectory* dir)>& work,
                       const std::function<void()>& summary) {
  preflight.Check(nullptr);
  if (!Job().IsRoot()) {
    work(nullptr);
    return 0;
  }
  StagedDirectory dir(out);  // fails early on an unwritable --out
  const nlohmann::ordered_json manifest = work(&dir);
  WriteTextFile(dir.File("manifest.json"), manifest.dump(2) + "\n");
  WriteReport(dir.Path(), dir.File("report.html"));
  dir.Commit();
  summary();
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(out))
    files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  std::cout << fmt::format("wrote {}/{{{}}}\n", out, fmt::join(files, ","));
  return 0;
}

}  // namespace evalsim
