#include "sim/run/generate_files.h"

#include <fmt/format.h>
#include <tbb/global_control.h>

#include <iterator>

#include "sim/core/errors.h"
#include "sim/core/parallel.h"
#include "sim/io/csv_write.h"
#include "sim/io/files.h"
#include "sim/run/meeting_outputs.h"
#include "sim/run/outputs.h"
#include "sim/simulate/generator.h"
#include "sim/simulate/indicator_gen.h"

namespace evalsim {

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

GeneratedFiles WriteGeneratedFiles(const std::string& out, const Scenario& s,
                                   const GenerateRequest& request) {
  const int replicate = request.replicate;
  if (replicate < 1 || replicate > s.replicates)
    throw InputError(fmt::format("--replicate {}: expected 1..{}", replicate, s.replicates));
  const Preflight preflight{"generate", &s, request.memory, request.threads, false, true};
  preflight.Check(nullptr);
  StagedDirectory dir(out);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            ThreadCount(request.threads));
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
  nlohmann::ordered_json man = BaseManifest(s, request.overrides);
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
  return {b.NumBallots(), org.NumEvaluees(), mode != ComparisonMode::kNone, !s.indicators.empty(),
          s.meeting_rules.Any()};
}

}  // namespace evalsim
