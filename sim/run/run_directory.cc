#include "sim/run/run_directory.h"

#include "sim/run/outputs.h"
#include "sim/run/per_replicate.h"

namespace evalsim {

using Clock = std::chrono::steady_clock;

nlohmann::ordered_json WriteRunDirectory(StagedDirectory& dir, const Scenario& s,
                                         const RunRequest& request, const Preflight& preflight,
                                         RunResult& result, std::string& table) {
  RunConfig config;
  config.progress = request.progress;
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
  RunInfo info;
  info.overrides = request.overrides;
  info.threads = result.threads;
  info.seconds_total = std::chrono::duration<double>(Clock::now() - request.start).count();
  nlohmann::ordered_json manifest;
  table = WriteRunOutputs(dir, s, result, info, &manifest);
  manifest["memory_estimate_bytes"] = estimate.bytes;
  manifest["wall_time"]["memory_estimate_bytes_for_threads"] = estimate_here.bytes;
  if (request.per_replicate) {
    const auto p0 = Clock::now();
    WritePerReplicateScores(dir.File("scores.csv.gz"), s, result);
    manifest["per_replicate"] =
        "scores.csv.gz: the columns of scores.csv's full form, one row per replicate, model "
        "and evaluee, gzip";
    manifest["wall_time"]["per_replicate_write_seconds"] =
        std::chrono::duration<double>(Clock::now() - p0).count();
  }
  return manifest;
}

}  // namespace evalsim
