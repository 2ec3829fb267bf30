// evalsim command line (DESIGN.md §3). Exit codes: 0 success, 2 bad input
// (one line naming file, line, key and what was expected), 1 internal error.
#include <fmt/format.h>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "models/indicators/mcda.h"
#include "models/registry.h"
#include "sim/cli/cli.h"
#include "sim/core/errors.h"
#include "sim/core/interrupt.h"
#include "sim/core/progress.h"
#include "sim/experiments/resample.h"
#include "sim/io/ahp_matrix.h"
#include "sim/io/csv.h"
#include "sim/io/preflib.h"
#include "sim/report/report.h"
#include "sim/run/inputs.h"
#include "sim/run/outputs.h"
#include "sim/run/per_replicate.h"
#include "sim/run/preflight.h"
#include "sim/run/runner.h"
#include "sim/scenario/presets.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/generator.h"
#include "sim/simulate/indicator_gen.h"

namespace evalsim {
namespace {

using Clock = std::chrono::steady_clock;

int CmdRun(const ScenarioFlags& f, std::string out, int threads, bool per_replicate,
           const std::vector<std::string>& models) {
  const auto t0 = Clock::now();
  f.ApplyMaxMemory();
  const std::vector<std::string> overrides = f.Overrides();
  Scenario s = LoadScenario(f.scenario, overrides);
  KeepModels(s, SelectedModels(s, models));  // manifest.json lists the entries that ran
  // Memory pre-flight from the scenario's counts, before anything is drawn.
  const MemoryLimit limit = CurrentMemoryLimit();
  RefuseIfTooBig("run", EstimateRunFromCounts(s, threads, per_replicate), limit, s, nullptr,
                 threads, per_replicate);
  if (out.empty()) out = fmt::format("out/{}", s.name.empty() ? "run" : s.name);
  StagedDirectory dir(out);  // fails early on an unwritable --out
  RunConfig config;
  config.progress = StderrIsTerminal();
  // The estimate needs the organisation; drawing it twice (here and in the
  // run) costs a fraction of the run and keeps RunScenario's interface.
  // The manifest's top level holds the estimate at every core (an upper
  // bound for any --threads), so that it is the same whatever --threads is
  // (DESIGN.md §6); the estimate for this run's threads sits with the
  // measured peak under wall_time.
  PreflightEstimate estimate, estimate_here;
  {
    const Organisation org = BuildOrganisation(s);
    estimate = EstimateRun(s, org, 0, per_replicate);
    estimate_here = EstimateRun(s, org, threads, per_replicate);
    RefuseIfTooBig("run", estimate_here, limit, s, &org, threads, per_replicate);
    config.keep_scores = KeepScores(s, org, per_replicate);
  }
  RunResult result = RunScenario(s, threads, config);
  RunInfo info;
  info.overrides = overrides;
  info.threads = result.threads;
  info.seconds_total = std::chrono::duration<double>(Clock::now() - t0).count();
  nlohmann::ordered_json manifest;
  const std::string table = WriteRunOutputs(dir, s, result, info, &manifest);
  manifest["memory_estimate_bytes"] = estimate.bytes;
  manifest["wall_time"]["memory_estimate_bytes_for_threads"] = estimate_here.bytes;
  if (per_replicate) {
    const auto p0 = Clock::now();
    WritePerReplicateScores(dir.File("scores.csv.gz"), s, result);
    manifest["per_replicate"] =
        "scores.csv.gz: replicate,model,ratee,score,rank,true_quality,class, one row per "
        "replicate, model and evaluee, gzip";
    manifest["wall_time"]["per_replicate_write_seconds"] =
        std::chrono::duration<double>(Clock::now() - p0).count();
  }
  WriteTextFile(dir.File("manifest.json"), manifest.dump(2) + "\n");
  WriteReport(dir.Path(), dir.File("report.html"));
  dir.Commit();
  const Organisation& org = result.organisation;
  std::cout << fmt::format(
      "{}: {} evaluees in {} meetings, {} raters; {} replicates, {} ballots; {:.2f} s on {} "
      "threads\n",
      s.name, org.NumEvaluees(), org.meetings.size(), org.NumRaters(), s.replicates,
      result.ballots_total, std::chrono::duration<double>(Clock::now() - t0).count(),
      result.threads);
  std::cout << table;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(out))
    files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  std::cout << fmt::format("wrote {}/{{{}}}\n", out, fmt::join(files, ","));
  return 0;
}

int CmdGenerate(const ScenarioFlags& f, const std::string& out, int replicate, int threads) {
  f.ApplyMaxMemory();
  const std::vector<std::string> overrides = f.Overrides();
  Scenario s = LoadScenario(f.scenario, overrides);
  if (replicate < 1 || replicate > s.replicates)
    throw InputError(fmt::format("--replicate {}: expected 1..{}", replicate, s.replicates));
  const MemoryLimit memory = CurrentMemoryLimit();
  RefuseIfTooBig("generate", EstimateGenerate(s, nullptr), memory, s, nullptr, threads, false);
  StagedDirectory dir(out);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            threads > 0 ? threads : tbb::info::default_concurrency());
  Organisation org = BuildOrganisation(s);
  RefuseIfTooBig("generate", EstimateGenerate(s, &org), memory, s, &org, threads, false);
  GeneratorSetup setup = MakeGeneratorSetup(s, org);
  RatingBallots b;
  RankingBallots rankings;
  PairwiseBallots pairs;
  const ComparisonMode mode = s.comparisons.mode;
  GenerateBallots(setup, replicate - 1, true, &b,
                  mode == ComparisonMode::kRanking ? &rankings : nullptr,
                  mode == ComparisonMode::kPairs ? &pairs : nullptr);
  WriteTextFile(dir.File("ballots.csv"), BallotsCsv(b));
  // Comparison ballots as a pairwise CSV (rankings converted pair by pair).
  if (mode == ComparisonMode::kRanking)
    pairs = RankingsToPairwise(rankings,
                               s.comparisons.ties_split ? TiePolicy::kSplit : TiePolicy::kDrop);
  if (mode != ComparisonMode::kNone) WriteTextFile(dir.File("pairwise.csv"), PairwiseCsv(pairs));
  if (!s.indicators.empty())
    WriteTextFile(dir.File("indicators.csv"),
                  IndicatorsCsv(GenerateIndicators(s, org, replicate - 1)));
  fmt::memory_buffer truth;
  fmt::format_to(std::back_inserter(truth), "ratee,true_quality,bloc\n");
  for (int e = 0; e < org.NumEvaluees(); ++e)
    fmt::format_to(std::back_inserter(truth), "{},{},{}\n", CsvField(org.evaluee_names[e]),
                   Num(org.quality[e]), org.bloc[e] >= 0 ? 1 : 0);
  WriteTextFile(dir.File("truth.csv"), fmt::to_string(truth));
  nlohmann::ordered_json man = BaseManifest(s, overrides);
  man["replicate"] = replicate;
  man["ballots"] = b.NumBallots();
  man["calibrated_cuts"] = setup.cuts;
  WriteTextFile(dir.File("manifest.json"), man.dump(2) + "\n");
  dir.Commit();
  std::cout << fmt::format("wrote {} ballots for {} evaluees to {}/ballots.csv{}{}\n",
                           b.NumBallots(), org.NumEvaluees(), out,
                           mode != ComparisonMode::kNone ? " and pairwise.csv" : "",
                           s.indicators.empty() ? "" : " and indicators.csv");
  return 0;
}

// A JSON number, or null for NaN / infinity (JSON has neither).
nlohmann::ordered_json JsonNumber(double x) {
  return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json JsonVector(const Eigen::VectorXd& v) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (double x : v) a.push_back(JsonNumber(x));
  return a;
}

int CmdAhp(const std::string& path, const std::string& random_index, const std::string& method) {
  const AhpMatrix m = ReadAhpMatrix(path);
  mcda::AhpOptions options;
  options.random_index = mcda::ParseRandomIndexTable(random_index, "--random-index");
  const auto am = mcda::FindAhpMethod(method);
  if (!am)
    throw InputError(fmt::format("--method {}: expected eigenvector or geometric_mean", method));
  options.method = *am;
  const mcda::AhpResult r = mcda::Ahp(m.values, options);
  nlohmann::ordered_json j;
  j["names"] = m.names;
  j["weights"] = JsonVector(r.weights);
  j["lambda_max"] = JsonNumber(r.lambda_max);
  j["ci"] = JsonNumber(r.ci);
  j["cr"] = JsonNumber(r.cr);
  j["random_index"] = JsonNumber(r.random_index);
  j["random_index_table"] = std::string(mcda::RandomIndexName(options.random_index));
  j["method"] = std::string(mcda::AhpMethodName(options.method));
  j["consistent"] = r.warning.empty();
  if (!r.warning.empty()) {
    j["warning"] = r.warning;
    std::cerr << "evalsim: ahp: warning: " << r.warning << "\n";
  }
  std::cout << j.dump(2) << "\n";
  return 0;
}

int CmdWeights(const std::string& method, const std::string& path,
               const std::vector<std::string>& sets) {
  const IndicatorTable t = ReadIndicatorsCsv(path);
  const toml::table options = ParseSets(sets);
  OptionReader opts(options, "--set", "weights");
  std::vector<bool> cost = t.cost;
  if (auto d = opts.StringList("directions")) {
    if (static_cast<int>(d->size()) != t.NumIndicators()) {
      opts.Error("directions", fmt::format("found {} entries; expected one per indicator ({})",
                                           d->size(), t.NumIndicators()));
    } else {
      for (size_t i = 0; i < d->size(); ++i) {
        if ((*d)[i] != "benefit" && (*d)[i] != "cost")
          opts.Error("directions",
                     fmt::format("found \"{}\"; expected \"benefit\" or \"cost\"", (*d)[i]));
        else
          cost[i] = (*d)[i] == "cost";
      }
    }
  }
  mcda::WeightsResult r;
  std::string detail;
  if (method == "entropy") {
    mcda::EntropyOptions eo;
    eo.input = *mcda::FindEntropyInput(opts.String("input", "raw", {"raw", "minmax"}));
    eo.shift = opts.Double("shift", 0.0, AtLeast(0.0));
    opts.FinishOrThrow();
    r = mcda::EntropyWeights(t.values, cost, eo);
    detail = "entropy";
  } else {
    opts.FinishOrThrow();
    r = mcda::CriticWeights(t.values, cost);
    detail = "information";
  }
  nlohmann::ordered_json j;
  j["names"] = t.names;
  j["weights"] = JsonVector(r.weights);
  j["method"] = method;
  j[detail] = JsonVector(r.detail);
  j["units"] = t.NumRatees();
  if (!r.notes.empty()) j["notes"] = r.notes;
  std::cout << j.dump(2) << "\n";
  return 0;
}

// The ballots a `score` run reads, of whichever kind --format names.
struct ScoreInput {
  RatingBallots ratings;
  PairwiseBallots pairwise;
  RankingBallots rankings;
  IndicatorTable indicators;
  std::vector<std::string> names;
  InputSources sources;
};

void ReadScoreInput(const std::string& path, const std::string& format,
                    const RatingsReadOptions& read, ScoreInput& in) {
  if (format == "ratings") {
    in.ratings = ReadRatingsCsv(path, read);
    in.names = in.ratings.ratee_names;
    in.sources.ratings = &in.ratings;
  } else if (format == "pairwise") {
    in.pairwise = ReadPairwiseCsv(path);
    in.names = in.pairwise.ratee_names;
    in.sources.pairwise = &in.pairwise;
  } else if (format == "preflib") {
    in.rankings = ReadPreflib(path);
    in.names = in.rankings.ratee_names;
    in.sources.rankings = &in.rankings;
  } else if (format == "indicators") {
    in.indicators = ReadIndicatorsCsv(path);
    in.names = in.indicators.ratee_names;
    in.sources.indicators = &in.indicators;
  } else {
    throw InputError(fmt::format(
        "--format {}: unknown format; expected ratings, pairwise, preflib or indicators", format));
  }
}

// The resampling flags of `score` (sim/resample.h). Unset optionals were
// not given.
struct ScoreResampleFlags {
  std::optional<int> bootstrap;
  bool jackknife = false;
  std::optional<uint64_t> seed;
  std::optional<double> top, bottom, level;
  int threads = 0;

  bool Any() const { return bootstrap.has_value() || jackknife; }
};

// Checks the resampling flags against each other and the format before any
// file is read.
void CheckScoreResampleFlags(const ScoreResampleFlags& f, const std::string& format) {
  if (f.bootstrap && *f.bootstrap <= 0)
    throw InputError(
        fmt::format("--bootstrap {}: expected a positive number of resamples", *f.bootstrap));
  if (f.level && !f.bootstrap) throw InputError("--level applies with --bootstrap only");
  if (!f.Any()) {
    if (f.seed) throw InputError("--seed applies with --bootstrap only");
    if (f.top || f.bottom)
      throw InputError(fmt::format("{} applies with --bootstrap or --jackknife only",
                                   f.top ? "--top" : "--bottom"));
    return;
  }
  if (f.seed && !f.bootstrap) throw InputError("--seed applies with --bootstrap only");
  if (format != "ratings") {
    throw InputError(
        f.bootstrap ? fmt::format("--bootstrap resamples raters and needs --format ratings (found "
                                  "--format {})",
                                  format)
                    : fmt::format("--jackknife leaves out rater groups and needs --format ratings "
                                  "(found --format {})",
                                  format));
  }
}

int CmdScore(const std::string& model, const std::string& ballots_path, const std::string& format,
             const std::vector<std::string>& sets, const std::string& ties, const std::string& out,
             const ScoreResampleFlags& rs) {
  CheckScoreResampleFlags(rs, format);
  // --set values are model parameters, except levels=K for the ratings reader.
  toml::table options = ParseSets(sets);
  RatingsReadOptions read;
  if (const toml::node* k = options.get("levels")) {
    if (format != "ratings")
      throw InputError("--set levels: levels applies to --format ratings only");
    auto v = k->value_exact<int64_t>();
    if (!v || *v < 2 || *v > kMaxLevels)
      throw InputError(fmt::format("--set levels: expected an integer 2..{}", kMaxLevels));
    read.levels = static_cast<int>(*v);
    options.erase("levels");
  }
  const ModelSpec* spec = Models().Find(model);
  if (!spec) {
    throw InputError(fmt::format("--model {}: unknown model; available models: {}", model,
                                 fmt::join(Models().Names(), ", ")));
  }
  if (rs.Any() && spec->input != InputKind::kRatings) {
    throw InputError(fmt::format("--model {}: {} refits ratings models only; {} reads {} input",
                                 model, rs.bootstrap ? "--bootstrap" : "--jackknife", model,
                                 InputKindName(spec->input)));
  }
  ScoreInput in;
  ReadScoreInput(ballots_path, format, read, in);
  in.sources.ties = ties == "drop" ? TiePolicy::kDrop : TiePolicy::kSplit;
  ModelContext ctx(in.ratings.levels, in.ratings.group_names, in.indicators.names);
  auto m = Models().Create(model, options, ctx, "--set", "model " + model);
  ScoreResult r;
  std::string csv;
  std::vector<std::string> lines, resample_notes;
  if (rs.Any()) {
    ResampleOptions ro;
    ro.bootstrap = rs.bootstrap.value_or(0);
    ro.jackknife = rs.jackknife;
    ro.seed = rs.seed.value_or(ro.seed);
    ro.top = rs.top.value_or(ro.top);
    ro.bottom = rs.bottom.value_or(ro.bottom);
    ro.level = rs.level.value_or(ro.level);
    ro.threads = rs.threads;
    ro.progress = StderrIsTerminal();
    ResampleResult rr = Resample(*m, in.ratings, ro);
    csv = ResampleScoresCsv(in.names, rr);
    lines = ResampleSummaryLines(in.ratings, rr);
    resample_notes = std::move(rr.notes);
    r = std::move(rr.full);
  } else {
    InputSet inputs(in.sources);
    r = m->Score(inputs.For(spec->input, false, "--model " + model));
    csv = ScoresCsv(in.names, r);
  }
  for (const auto& note : r.notes) std::cerr << "evalsim: " << model << ": " << note << "\n";
  for (const auto& [name, value] : r.parameters)
    std::cerr << fmt::format("evalsim: {}: {} = {}\n", model, name, value);
  for (const auto& line : lines) std::cerr << "evalsim: " << model << ": " << line << "\n";
  for (const auto& note : resample_notes) std::cerr << "evalsim: " << model << ": " << note << "\n";
  if (out.empty() || out == "-") {
    std::cout << csv;
  } else {
    WriteFileAtomically(out, csv);
  }
  return 0;
}

int CmdModels() {
  for (const auto& spec : Models().Specs()) {
    std::cout << fmt::format("{}  (input: {})\n  {}\n", spec.name, InputKindName(spec.input),
                             spec.summary);
    for (const auto& p : spec.params)
      std::cout << fmt::format("    {:<14} {:<18} default {}\n    {:<14} {}\n", p.name, p.type,
                               p.default_value, "", p.doc);
    std::cout << "\n";
  }
  std::cout << "Rubric presets (use `preset = \"NAME\"` in a [[models]] entry):\n";
  for (const auto& p : RubricPresets())
    std::cout << fmt::format("  {:<24} {}\n", p.name, p.description);
  return 0;
}

int CmdValidate(const ScenarioFlags& f, int threads, bool per_replicate) {
  f.ApplyMaxMemory();
  Scenario s = LoadScenario(f.scenario, f.Overrides());
  const MemoryLimit limit = CurrentMemoryLimit();
  // A scenario too large for this machine is not drawn (drawing it could
  // itself run out of memory): the estimate from its expected counts is
  // reported instead.
  const PreflightEstimate rough = EstimateRunFromCounts(s, threads, per_replicate);
  if (limit.bytes > 0 && rough.bytes > limit.bytes) {
    std::cout << fmt::format(
        "{}: ok — about {:.3g} evaluees; not drawn: too large for this machine\n"
        "memory estimate for `run`{} (from the scenario's expected counts): {}; {}\n",
        f.scenario, std::round(ExpectedEvaluees(s)), per_replicate ? " --per-replicate" : "",
        rough.Describe(), FitLine(rough, limit));
    return 0;
  }
  Organisation org = BuildOrganisation(s);
  const double bytes = static_cast<double>(org.expected_ballots) * 4.0;
  std::cout << fmt::format(
      "{}: ok — {} evaluees in {} meetings, {} raters, {} models; about {} ballots per "
      "replicate ({:.1f} MiB of ballot storage)\n",
      f.scenario, org.NumEvaluees(), org.meetings.size(), org.NumRaters(), s.models.size(),
      org.expected_ballots, bytes / (1 << 20));
  const PreflightEstimate est = EstimateRun(s, org, threads, per_replicate);
  std::cout << fmt::format("memory estimate for `run`{}: {}; {}\n",
                           per_replicate ? " --per-replicate" : "", est.Describe(),
                           FitLine(est, limit));
  return 0;
}

int Main(int argc, char** argv) {
  CLI::App app{"evalsim: simulate and compare appraisal rubrics and scoring models"};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       fmt::format("evalsim {} ({})", EVALSIM_VERSION, EVALSIM_GIT_DESCRIBE));

  ScenarioFlags run_flags, gen_flags, val_flags;
  std::string run_out, gen_out, score_out, score_model, score_ballots, score_format = "ratings",
                                                                       score_ties = "split";
  std::vector<std::string> score_sets;
  int run_threads = 0, gen_threads = 0, gen_replicate = 1;

  CLI::App* run = app.add_subcommand("run", "run every model on every replicate of a scenario");
  AddScenarioFlags(run, run_flags, true);
  run->add_option("--out", run_out, "output directory (default out/<scenario name>)");
  run->add_option("--threads", run_threads, "worker threads (default: every core)")
      ->check(CLI::Range(0, 1024));
  std::vector<std::string> run_models;
  run->add_option("--models", run_models,
                  "run only these [[models]] entries (names, comma-separated; default all)")
      ->delimiter(',');
  bool run_per_replicate = false;
  run->add_flag("--per-replicate", run_per_replicate,
                "also write scores.csv.gz: every replicate's scores and ranks, whatever the size");

  CLI::App* gen = app.add_subcommand("generate", "write one replicate's ballots and the truth");
  AddScenarioFlags(gen, gen_flags, false);
  gen->add_option("--out", gen_out, "output directory")->required();
  gen->add_option("--replicate", gen_replicate, "which replicate (1-based, default 1)");
  gen->add_option("--threads", gen_threads, "worker threads")->check(CLI::Range(0, 1024));

  CLI::App* score = app.add_subcommand("score", "score a ballot file with one model");
  score->add_option("--model", score_model, "model name (see `evalsim models`)")->required();
  score->add_option("--ballots", score_ballots, "ballot file")->required();
  score->add_option("--format", score_format, "ratings (default), pairwise, preflib or indicators")
      ->check(CLI::IsMember({"ratings", "pairwise", "preflib", "indicators"}));
  score
      ->add_option("--ties", score_ties,
                   "equal grades or tied candidates when a comparison model reads ratings or "
                   "rankings: split (half a win each, default) or drop")
      ->check(CLI::IsMember({"split", "drop"}));
  score->add_option("--set", score_sets, "model parameter param=value (TOML value)");
  score->add_option("--out", score_out, "output CSV (default stdout)");
  ScoreResampleFlags score_rs;
  score->add_option("--bootstrap", score_rs.bootstrap,
                    "N bootstrap resamples of the raters (within their groups): adds "
                    "lo,hi,rank_lo,rank_hi,p_top,p_bottom (ratings only)");
  score->add_flag("--jackknife", score_rs.jackknife,
                  "refit without each rater group in turn: adds jk_rank_lo,jk_rank_hi");
  score->add_option("--seed", score_rs.seed, "seed of the bootstrap resamples (default 1)");
  score->add_option("--top", score_rs.top, "top share: k = ceil(top * n) (default 0.15)");
  score->add_option("--bottom", score_rs.bottom,
                    "bottom share: k = ceil(bottom * n) (default 0.05)");
  score->add_option("--level", score_rs.level,
                    "coverage of the bootstrap intervals (default 0.95)");
  score->add_option("--threads", score_rs.threads, "worker threads (default: every core)")
      ->check(CLI::Range(0, 1024));

  app.add_subcommand("models", "list every model, its parameters and the rubric presets");

  std::string ahp_matrix, ahp_ri = "saaty", ahp_method = "eigenvector";
  CLI::App* ahp =
      app.add_subcommand("ahp", "AHP weights, lambda_max, CI and CR of a matrix (JSON)");
  ahp->add_option("matrix", ahp_matrix, "pairwise comparison matrix CSV")->required();
  ahp->add_option("--random-index", ahp_ri,
                  "random-index table: " + mcda::RandomIndexNames() + " (default saaty)");
  ahp->add_option("--method", ahp_method, "eigenvector (default) or geometric_mean");

  std::string weights_method, weights_ballots;
  std::vector<std::string> weights_sets;
  CLI::App* weights = app.add_subcommand("weights", "objective indicator weights (JSON)");
  weights->add_option("--method", weights_method, "entropy or critic")
      ->required()
      ->check(CLI::IsMember({"entropy", "critic"}));
  weights->add_option("--ballots", weights_ballots, "indicators CSV (unit, then one column each)")
      ->required();
  weights->add_option("--set", weights_sets,
                      "directions=[\"benefit\",\"cost\",...]; entropy: input=\"raw\"|\"minmax\", "
                      "shift=number");
  const Command sweep = AddSweepCommand(app);
  const Command manipulate = AddManipulateCommand(app);
  const Command report = AddReportCommand(app);

  CLI::App* val = app.add_subcommand("validate", "parse and check a scenario");
  AddScenarioFlags(val, val_flags, true);
  int val_threads = 0;
  bool val_per_replicate = false;
  val->add_option("--threads", val_threads,
                  "worker threads the memory estimate assumes (default: every core)")
      ->check(CLI::Range(0, 1024));
  val->add_flag("--per-replicate", val_per_replicate,
                "estimate memory for `run --per-replicate` (every replicate's scores kept)");

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
  if (*run) return CmdRun(run_flags, run_out, run_threads, run_per_replicate, run_models);
  if (*gen) return CmdGenerate(gen_flags, gen_out, gen_replicate, gen_threads);
  if (*score)
    return CmdScore(score_model, score_ballots, score_format, score_sets, score_ties, score_out,
                    score_rs);
  if (app.got_subcommand("models")) return CmdModels();
  if (*ahp) return CmdAhp(ahp_matrix, ahp_ri, ahp_method);
  if (*weights) return CmdWeights(weights_method, weights_ballots, weights_sets);
  if (*val) return CmdValidate(val_flags, val_threads, val_per_replicate);
  if (*sweep.app) return sweep.run();
  if (*manipulate.app) return manipulate.run();
  if (*report.app) return report.run();
  return 2;
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
    std::cerr << "evalsim: " << e.what() << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "evalsim: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "evalsim: internal error: " << e.what() << "\n";
    return 1;
  }
}
