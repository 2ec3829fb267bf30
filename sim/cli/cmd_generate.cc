// `evalsim generate`: one replicate's ballots (and indicators) and the truth,
// as the CSV files `score` reads.
#include <fmt/format.h>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "sim/cli/cli.h"
#include "sim/core/errors.h"
#include "sim/io/csv.h"
#include "sim/io/csv_write.h"
#include "sim/run/meeting_outputs.h"
#include "sim/run/outputs.h"
#include "sim/simulate/generator.h"
#include "sim/simulate/indicator_gen.h"

namespace evalsim {
namespace {

struct GenerateFlags {
  ScenarioFlags scenario;
  std::string out;
  int replicate = 1;
  int threads = 0;
};

// truth.csv: every evaluee's units, true quality and whether a bloc backs it.
std::string TruthCsv(const Organisation& org) {
  const UnitCells units(org);
  fmt::memory_buffer truth;
  fmt::format_to(std::back_inserter(truth), "ratee{},true_quality,bloc\n", units.Header());
  for (int e = 0; e < org.NumEvaluees(); ++e) {
    fmt::format_to(std::back_inserter(truth), "{}", CsvField(org.evaluee_names[e]));
    units.Append(truth, e);
    fmt::format_to(std::back_inserter(truth), ",{},{}\n", Num(org.quality[e]),
                   org.bloc[e] >= 0 ? 1 : 0);
  }
  return fmt::to_string(truth);
}

int CmdGenerate(const GenerateFlags& f) {
  const MemoryLimit memory = f.scenario.Memory();
  const std::vector<std::string> overrides = f.scenario.Overrides();
  Scenario s = LoadScenario(f.scenario.scenario, overrides);
  PrintScenarioWarnings(s);
  const int replicate = f.replicate;
  if (replicate < 1 || replicate > s.replicates)
    throw InputError(fmt::format("--replicate {}: expected 1..{}", replicate, s.replicates));
  const Preflight preflight{"generate", &s, memory, f.threads, false, true};
  preflight.Check(nullptr);
  StagedDirectory dir(f.out);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            f.threads > 0 ? f.threads : tbb::info::default_concurrency());
  Organisation org = BuildOrganisation(s);
  preflight.Check(&org);
  GeneratorSetup setup = MakeGeneratorSetup(s, org);
  RatingBallots b;
  RankingBallots rankings;
  PairwiseBallots pairs;
  const ComparisonMode mode = s.comparisons.mode;
  std::vector<std::vector<MeetingOutcome>> meetings(1);
  GenerateBallots(setup, replicate - 1, true, &b,
                  mode == ComparisonMode::kRanking ? &rankings : nullptr,
                  mode == ComparisonMode::kPairs ? &pairs : nullptr,
                  s.meeting_rules.Any() ? &meetings[0] : nullptr);
  WriteTextFile(dir.File("ballots.csv"), BallotsCsv(b));
  // Which meetings the rules voided, and their attendance.
  if (s.meeting_rules.Any())
    WriteTextFile(dir.File("meetings.csv"), MeetingsCsv(org, meetings, replicate));
  // Comparison ballots as a pairwise CSV (rankings converted pair by pair).
  if (mode == ComparisonMode::kRanking)
    pairs = RankingsToPairwise(rankings,
                               s.comparisons.ties_split ? TiePolicy::kSplit : TiePolicy::kDrop);
  if (mode != ComparisonMode::kNone) WriteTextFile(dir.File("pairwise.csv"), PairwiseCsv(pairs));
  if (!s.indicators.empty())
    WriteTextFile(dir.File("indicators.csv"),
                  IndicatorsCsv(GenerateIndicators(s, org, replicate - 1)));
  WriteTextFile(dir.File("truth.csv"), TruthCsv(org));
  nlohmann::ordered_json man = BaseManifest(s, overrides);
  man["replicate"] = replicate;
  man["ballots"] = b.NumBallots();
  if (b.HasItems()) {
    man["items"] = b.item_names;
    man["item_grades"] = b.item_ballot.size();
  }
  man["calibrated_cuts"] = setup.cuts;
  if (s.meeting_rules.Any())
    man["meetings"] = MeetingsJson(s.meeting_rules, SumMeetingOutcomes(meetings), "meetings.csv");
  WriteTextFile(dir.File("manifest.json"), man.dump(2) + "\n");
  dir.Commit();
  std::cout << fmt::format("wrote {} ballots for {} evaluees to {}/ballots.csv{}{}{}\n",
                           b.NumBallots(), org.NumEvaluees(), f.out,
                           mode != ComparisonMode::kNone ? " and pairwise.csv" : "",
                           s.indicators.empty() ? "" : " and indicators.csv",
                           s.meeting_rules.Any() ? " and meetings.csv" : "");
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
