#include "sim/experiments/run_directory.h"

#include <fmt/format.h>

#include "sim/experiments/periods.h"
#include "sim/run/outputs.h"
#include "sim/run/per_replicate.h"

namespace evalsim {

using Clock = std::chrono::steady_clock;

namespace {

// The stdout lines of a run with periods: each model's mean true quality in
// the first and the last period, and its actions over the periods.
std::string PeriodsSummary(const Scenario& s, const PeriodsResult& r) {
  std::string out = fmt::format("\nover {} periods (periods.csv):\n", s.periods.count);
  for (const ModelEntry& m : s.models) {
    double first = 0, last = 0, actions = 0;
    for (const PeriodRow& row : r.rows) {
      if (row.model != m.name) continue;
      if (row.metric == "quality.mean" && row.period == 1) first = row.value;
      if (row.metric == "quality.mean" && row.period == s.periods.count) last = row.value;
      if (row.metric == "actions.count") actions += row.value;
    }
    out += fmt::format("  {}: quality.mean {:.3f} -> {:.3f}, {:.1f} actions per replicate\n",
                       m.name, first, last, actions);
  }
  return out;
}

}  // namespace

nlohmann::ordered_json WriteRunDirectory(StagedDirectory* dir, const Scenario& s,
                                         const RunRequest& request, const Preflight& preflight,
                                         RunResult& result, std::string& table) {
  RunConfig config;
  config.progress = request.progress;
  config.distribution = request.distribution;
  config.split_replicates = request.split_replicates;
  // The estimate needs the organisation; drawing it twice (here and in the
  // run) costs a fraction of the run and keeps RunScenario's interface.
  // The manifest's top level holds the estimate at every core (an upper
  // bound for any --threads), so that it is the same whatever --threads is
  // (README, Reproducibility); the estimate for this run's threads sits with the
  // measured peak under wall_time.
  PreflightEstimate estimate, estimate_here;
  {
    const Organisation org = BuildOrganisation(s);
    estimate = EstimateRun(s, org, 0, request.per_replicate);
    estimate_here = preflight.Check(&org);
    config.keep_scores = KeepScores(s, org, request.per_replicate);
  }
  result = RunScenario(s, request.threads, config);
  if (dir == nullptr) return {};
  RunInfo info;
  info.overrides = request.overrides;
  info.threads = result.threads;
  info.seconds_total = std::chrono::duration<double>(Clock::now() - request.start).count();
  nlohmann::ordered_json manifest;
  table = WriteRunOutputs(*dir, s, result, info, &manifest);
  manifest["memory_estimate_bytes"] = estimate.bytes;
  manifest["wall_time"]["memory_estimate_bytes_for_threads"] = estimate_here.bytes;
  if (OrSingle(request.distribution).Size() > 1)
    manifest["wall_time"]["processes"] = OrSingle(request.distribution).Size();
  if (s.periods.Active()) {
    const PeriodsResult periods = RunPeriods(s, result.organisation, request.threads);
    WriteTextFile(dir->File("periods.csv"), PeriodsCsv(periods));
    manifest["periods"] = {{"count", s.periods.count},
                           {"file", "periods.csv: period,model,metric,value,lo,hi"}};
    manifest["wall_time"]["periods_seconds"] = periods.seconds;
    table += PeriodsSummary(s, periods);
  }
  if (request.per_replicate) {
    const auto p0 = Clock::now();
    WritePerReplicateScores(dir->File("scores.csv.gz"), s, result);
    manifest["per_replicate"] =
        "scores.csv.gz: the columns of scores.csv's full form, one row per replicate, model "
        "and evaluee, gzip";
    manifest["wall_time"]["per_replicate_write_seconds"] =
        std::chrono::duration<double>(Clock::now() - p0).count();
  }
  return manifest;
}

}  // namespace evalsim
