// `evalsim score`: one model on a ballot file, optionally with bootstrap or
// jackknife intervals (sim/experiments/resample.h); or a real tally scored by
// a rubric preset or a scenario's [[models]] entry, classes included
// (sim/run/tally.h), with an optional report.html.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "models/registry.h"
#include "sim/cli/cli.h"
#include "sim/core/errors.h"
#include "sim/core/progress.h"
#include "sim/experiments/resample.h"
#include "sim/io/csv.h"
#include "sim/io/files.h"
#include "sim/report/report.h"
#include "sim/run/inputs.h"
#include "sim/run/outputs.h"
#include "sim/run/score_input.h"
#include "sim/run/tally.h"
#include "sim/scenario/presets.h"

namespace evalsim {
namespace {

// The resampling flags of `score` (sim/experiments/resample.h). Unset optionals were
// not given.
struct ScoreResampleFlags {
  std::optional<int> bootstrap;
  bool jackknife = false;
  std::optional<uint64_t> seed;
  std::optional<double> top, bottom, level;
  std::optional<std::string> scheme, interval;
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
  if (f.scheme && !ParseResampleScheme(*f.scheme))
    throw InputError(
        fmt::format("--scheme {}: unknown scheme; expected smoothed, raters, raters-by-group, "
                    "bayesian or parametric",
                    *f.scheme));
  if (f.interval && !ParseIntervalMethod(*f.interval))
    throw InputError(
        fmt::format("--interval {}: unknown method; expected percentile or bca", *f.interval));
  if ((f.scheme || f.interval) && !f.bootstrap)
    throw InputError(
        fmt::format("{} applies with --bootstrap only", f.scheme ? "--scheme" : "--interval"));
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

struct ScoreFlags {
  std::string model, preset, scenario, ballots, format = "ratings", ties = "split", out, report;
  std::string units;  // with --scenario: each ratee's units and struck event vetoes
  std::vector<std::string> sets;
  ScoreResampleFlags resample;

  bool Tally() const { return !scenario.empty() || !preset.empty(); }
};

// Checks which rules the flags name (a model, a preset, or an entry of a
// scenario) before any file is read.
void CheckRuleFlags(const ScoreFlags& f) {
  if (!f.units.empty() && f.scenario.empty())
    throw InputError(fmt::format(
        "--units {}: needs --scenario (the units and vetoes are the scenario's)", f.units));
  if (!f.preset.empty() && !f.scenario.empty())
    throw InputError(fmt::format(
        "--preset {} with --scenario {}: score a preset alone, or name a [[models]] entry of the "
        "scenario (that may use the preset) with --model",
        f.preset, f.scenario));
  if (f.model.empty() && f.preset.empty())
    throw InputError(
        "score needs --model NAME (a model, or with --scenario a [[models]] entry) or --preset "
        "NAME (see evalsim models)");
  if (!f.model.empty() && !f.preset.empty())
    throw InputError(
        fmt::format("--model {} and --preset {}: give one of them", f.model, f.preset));
  if (f.scenario.empty() && !f.model.empty() && !Models().Find(f.model)) {
    throw InputError(
        FindRubricPreset(f.model)
            ? fmt::format(
                  "--model {}: unknown model; {} is a rubric preset: score with --preset {}",
                  f.model, f.model, f.model)
            : fmt::format("--model {}: unknown model; available models: {}", f.model,
                          fmt::join(Models().Names(), ", ")));
  }
  if (!f.preset.empty() && !FindRubricPreset(f.preset)) {
    std::vector<std::string> names;
    for (const auto& p : RubricPresets()) names.push_back(p.name);
    throw InputError(fmt::format("--preset {}: unknown rubric preset; presets: {}", f.preset,
                                 fmt::join(names, ", ")));
  }
  if (f.Tally() && f.format != "ratings")
    throw InputError(fmt::format("{}: scores a ratings file by its rules; found --format {}",
                                 f.scenario.empty() ? "--preset" : "--scenario", f.format));
  if (!f.report.empty() && f.format != "ratings")
    throw InputError(fmt::format(
        "--report {}: the report charts grade shares and needs --format ratings (found --format "
        "{})",
        f.report, f.format));
}

// The --set table of a model or preset: model parameters, and levels=K (the
// ratings reader's), which goes to `read` and stays in the table so that the
// model's unknown-key message lists it among the valid keys.
toml::table ScoreOptions(const ScoreFlags& f, RatingsReadOptions& read) {
  toml::table options = ParseSets(f.sets);
  ReadLevelsOption(options, f.format, "--set", read);
  return options;
}

// What a `score` run scores by: a model with its parameters, or the model,
// parameters and classes of a rubric preset or of a scenario's entry.
struct ScoreRules {
  std::string name;  // in stderr lines: the model's, preset's or entry's name
  std::string model;
  toml::table options;
  std::string file, path;         // where the registry's messages point
  std::set<std::string> ignored;  // keys the model does not read (levels)
  ModelContext ctx;
  ClassRules classes;
  std::string preset;  // for the report's manifest
};

// A bare model (--model NAME without --scenario).
ScoreRules ModelRules(const ScoreFlags& f, toml::table options, const ScoreInput& in) {
  ScoreRules r;
  r.name = r.model = f.model;
  r.options = std::move(options);
  r.file = "--set";
  r.ignored = {"levels"};
  r.ctx = ModelContext(in.ratings.MainLevels(), in.ratings.group_names, in.indicators.names);
  r.ctx.item_names = in.ratings.item_names;
  r.ctx.SetScales(in.ratings);
  return r;
}

// A rubric preset with the --set keys over its own.
ScoreRules PresetRules(const ScoreFlags& f, toml::table options, const ScoreInput& in) {
  options.erase("levels");
  ScoreRules r;
  r.ctx = ModelContext(in.ratings.MainLevels(), in.ratings.group_names);
  r.ctx.item_names = in.ratings.item_names;
  r.ctx.SetScales(in.ratings);
  const ModelEntry e = PresetEntry(f.preset, std::move(options), r.ctx, "--set");
  r.name = r.preset = f.preset;
  r.model = e.model;
  r.options = e.options;
  r.file = "--set";
  r.path = e.path;
  r.classes = e.classes;
  return r;
}

// The [[models]] entry --model names in the scenario.
ScoreRules EntryRules(const ScoreFlags& f, const Scenario& s) {
  const ModelEntry& e = FindModelEntry(s, f.model);
  const ModelSpec* spec = Models().Find(e.model);
  if (spec && spec->input == InputKind::kIndicators)
    throw InputError(
        fmt::format("--model {}: the entry's model {} reads indicators; score "
                    "--scenario scores a ratings file",
                    f.model, e.model));
  ScoreRules r;
  r.name = e.name;
  r.model = e.model;
  r.options = e.options;
  r.file = s.file;
  r.path = e.path;
  r.ctx = ModelContextOf(s);
  r.classes = e.classes;
  r.preset = e.preset;
  return r;
}

// The registry spec of `rules`, checked against the resampling flags.
const ModelSpec& ScoreModel(const ScoreRules& rules, const ScoreResampleFlags& rs) {
  const ModelSpec* spec = Models().Find(rules.model);
  if (!spec) {
    throw InputError(fmt::format("--model {}: unknown model; available models: {}", rules.model,
                                 fmt::join(Models().Names(), ", ")));
  }
  if (rs.Any() && spec->input != InputKind::kRatings) {
    throw InputError(fmt::format("--model {}: {} refits ratings models only; {} reads {} input",
                                 rules.name, rs.bootstrap ? "--bootstrap" : "--jackknife",
                                 rules.model, InputKindName(spec->input)));
  }
  return *spec;
}

// What `score` prints: the scores CSV and the lines for stderr.
struct ScoreOutput {
  ScoreResult result;
  std::optional<ResampleResult> resampled;
  std::string csv;
  std::vector<std::string> lines, resample_notes;
};

ScoreOutput ResampleScores(const Model& m, const ScoreInput& in, const ScoreResampleFlags& rs,
                           const Scenario* s) {
  ResampleOptions ro;
  ro.bootstrap = rs.bootstrap.value_or(0);
  ro.jackknife = rs.jackknife;
  ro.seed = rs.seed.value_or(ro.seed);
  // A scenario's own top and bottom shares, unless the flags say otherwise.
  ro.top = rs.top.value_or(s ? s->quota : ro.top);
  ro.bottom = rs.bottom.value_or(s ? s->bottom : ro.bottom);
  ro.level = rs.level.value_or(ro.level);
  if (rs.scheme) ro.scheme = *ParseResampleScheme(*rs.scheme);
  if (rs.interval) ro.interval = *ParseIntervalMethod(*rs.interval);
  ro.threads = rs.threads;
  ro.progress = StderrIsTerminal();
  ro.distribution = &Job();
  ResampleResult rr = Resample(m, in.ratings, ro);
  ScoreOutput o;
  o.lines = ResampleSummaryLines(in.ratings, rr);
  o.resample_notes = std::move(rr.notes);
  o.result = rr.full;
  o.resampled = std::move(rr);
  return o;
}

// Reads the ballots and resolves the rules they are scored by.
ScoreRules ReadAndResolve(const ScoreFlags& f, const Scenario* s, ScoreInput& in) {
  RatingsReadOptions read;
  toml::table options;
  std::optional<ScoreRules> entry;  // found before the ballots are read
  if (s) {
    entry = EntryRules(f, *s);
    read.levels = static_cast<int>(s->labels.size());
    read.grade_labels = s->labels;
  } else {
    options = ScoreOptions(f, read);
  }
  ReadScoreInput(f.ballots, f.format, read, in);
  in.sources.ties = f.ties == "drop" ? TiePolicy::kDrop : TiePolicy::kSplit;
  if (f.format == "ratings") {
    if (s && !in.ratings.item_names.empty())
      throw InputError(fmt::format(
          "{}: the ballots have an `item` column; score --scenario reads one grade per ballot, "
          "so score item ballots with --model or --preset",
          f.ballots));
    if (s && in.ratings.HasGroupScales())
      throw InputError(fmt::format(
          "{}: the ballots have a `scale` column; score --scenario reads one scale, so score "
          "ballots on several scales with --model or --preset",
          f.ballots));
    if (s) {
      UseScenarioGroups(*s, f.ballots, in.ratings);
      in.ratings.grade_labels = s->labels;
    } else if (!read.levels && !in.ratings.HasGroupScales()) {
      CheckGradesUsed(in.ratings, f.ballots);
    }
  }
  if (entry) return std::move(*entry);
  if (!f.preset.empty()) return PresetRules(f, std::move(options), in);
  return ModelRules(f, std::move(options), in);
}

// The report of a scored tally: scores.csv and a manifest staged beside
// `f.report`, read back by the report like a run's directory.
void WriteTallyReport(const ScoreFlags& f, const ScoreRules& rules, const Scenario* s,
                      const RatingBallots& b, const std::string& csv) {
  StagedDirectory parts(f.report);  // never committed: removed on return
  WriteTextFile(parts.File("scores.csv"), csv);
  nlohmann::ordered_json m;
  m["tool"] = "evalsim";
  m["version"] = EVALSIM_VERSION;
  m["git_describe"] = EVALSIM_GIT_DESCRIBE;
  m["command"] = "score";
  m["ballots_file"] = f.ballots;
  m["ballots_sha256"] = Sha256File(f.ballots);
  if (s) {
    m["scenario_file"] = s->file;
    m["scenario_sha256"] = Sha256File(s->file);
    m["overrides"] = f.sets;
  }
  std::vector<std::string> labels = b.grade_labels;
  for (int k = static_cast<int>(labels.size()); k < b.levels; ++k)
    labels.push_back(std::to_string(k));
  std::stringstream options;
  options << toml::json_formatter{rules.options};
  nlohmann::ordered_json resolved;
  resolved["name"] =
      fmt::format("{} on {}", rules.name, std::filesystem::path(f.ballots).filename().string());
  resolved["scale"]["labels"] = labels;
  resolved["model"] = {{"name", rules.name},
                       {"model", rules.model},
                       {"options", nlohmann::ordered_json::parse(options.str())}};
  if (!rules.preset.empty()) resolved["model"]["preset"] = rules.preset;
  m["resolved"] = resolved;
  m["ballots"] = {{"total", b.NumBallots()}, {"by_group", GradeSharesByGroup(b)}};
  WriteTextFile(parts.File("manifest.json"), m.dump(2) + "\n");
  WriteReport(parts.Path(), f.report);
}

// The scenario's vetoes a tally leaves out: indicator vetoes always (a
// ballot file holds no indicators), event vetoes without a `vetoes` column
// in --units.
void WarnVetoesLeftOut(const Scenario& s, const TallyUnits* units) {
  std::vector<std::string> left;
  for (const Veto& v : s.vetoes)
    if (!v.IsEvent() || !units || !units->has_vetoes) left.push_back(v.name);
  if (left.empty()) return;
  std::cerr << fmt::format(
      "evalsim: warning: {}: [[vetoes]] not applied: {} (a ballot file holds no indicators; "
      "event vetoes apply with a `vetoes` column in --units)\n",
      s.file, fmt::join(left, ", "));
}

int CmdScore(const ScoreFlags& f) {
  const ScoreResampleFlags& rs = f.resample;
  CheckScoreResampleFlags(rs, f.format);
  CheckRuleFlags(f);
  std::optional<Scenario> scenario;
  if (!f.scenario.empty()) {
    scenario = LoadScenario(f.scenario, f.sets);
    PrintScenarioWarnings(*scenario);
  }
  const Scenario* s = scenario ? &*scenario : nullptr;
  ScoreInput in;
  const ScoreRules rules = ReadAndResolve(f, s, in);
  std::optional<TallyUnits> units;
  if (!f.units.empty()) units = ReadTallyUnits(f.units, *s, in.names);
  if (s) WarnVetoesLeftOut(*s, units ? &*units : nullptr);
  const ModelSpec& spec = ScoreModel(rules, rs);
  auto m =
      Models().Create(rules.model, rules.options, rules.ctx, rules.file, rules.path, rules.ignored);
  ScoreOutput o;
  if (rs.Any()) {
    o = ResampleScores(*m, in, rs, s);
  } else {
    InputSet inputs(in.sources);
    o.result = m->Score(inputs.For(spec.input, false, "--model " + rules.name));
  }
  // Classes from the fit on the ballots as given, by the run's own rules.
  const std::vector<std::string> classes =
      AssignTallyClasses(rules.classes, in.ratings, o.result, units ? &*units : nullptr).PerRatee();
  o.csv = o.resampled ? ResampleScoresCsv(in.names, *o.resampled, classes)
                      : ScoresCsv(in.names, o.result, classes);
  const ScoreResult& r = o.result;
  const std::string& name = rules.name;
  for (const auto& note : r.notes) std::cerr << "evalsim: " << name << ": " << note << "\n";
  for (const auto& [pname, value] : r.parameters)
    std::cerr << fmt::format("evalsim: {}: {} = {}\n", name, pname, value);
  for (const auto& line : o.lines) std::cerr << "evalsim: " << name << ": " << line << "\n";
  for (const auto& note : o.resample_notes)
    std::cerr << "evalsim: " << name << ": " << note << "\n";
  if (!Job().IsRoot()) return 0;  // process 0 writes
  if (!f.report.empty()) WriteTallyReport(f, rules, s, in.ratings, o.csv);
  if (f.out.empty() || f.out == "-") {
    std::cout << o.csv;
  } else {
    WriteFileAtomically(f.out, o.csv);
  }
  return 0;
}

}  // namespace

Command AddScoreCommand(CLI::App& parent) {
  auto f = std::make_shared<ScoreFlags>();
  Command c;
  CLI::App* score = c.app = parent.add_subcommand(
      "score",
      "score a ballot file with one model, or a real tally by a rubric preset or a scenario's "
      "[[models]] entry (with its classes)");
  score->add_option("--model", f->model,
                    "model name (see `evalsim models`); with --scenario, the name of a "
                    "[[models]] entry of the scenario");
  score->add_option("--preset", f->preset,
                    "a rubric preset (see `evalsim models`): its model, parameters and classes");
  score->add_option("--scenario", f->scenario,
                    "score by an entry of this scenario: its model, parameters, scale (grades may "
                    "be written as its labels), rater groups and weights (the file's `group` "
                    "column), and classes");
  score->add_option("--units", f->units,
                    "with --scenario: a CSV of each ratee's units (columns ratee, then levels of "
                    "the scenario or meeting) for classes counted within a unit, and optionally "
                    "`vetoes`, the event vetoes that struck the ratee (names separated by ;)");
  score->add_option("--ballots", f->ballots, "ballot file")->required();
  score->add_option("--format", f->format, "ratings (default), pairwise, preflib or indicators")
      ->check(CLI::IsMember({"ratings", "pairwise", "preflib", "indicators"}));
  score
      ->add_option("--ties", f->ties,
                   "equal grades or tied candidates when a comparison model reads ratings or "
                   "rankings: split (half a win each, default) or drop")
      ->check(CLI::IsMember({"split", "drop"}));
  score->add_option(
      "--set", f->sets,
      "param=value (a TOML value): a model parameter, or levels=K, the number of grades of a "
      "ratings file (grades 0..K-1, 0 the lowest; default: the highest grade in the file + 1, "
      "and a file that skips a grade is refused); with --scenario, a scenario key path=value as "
      "in `run`");
  score->add_option("--out", f->out, "output CSV (default stdout)");
  score->add_option("--report", f->report,
                    "also write an offline report.html page: scores (with intervals after "
                    "--bootstrap), classes, grade shares per rater group");
  ScoreResampleFlags& rs = f->resample;
  score->add_option("--bootstrap", rs.bootstrap,
                    "N bootstrap resamples of the raters (within their groups): adds "
                    "lo,hi,rank_lo,rank_hi,p_top,p_bottom (ratings only)");
  score->add_flag("--jackknife", rs.jackknife,
                  "refit without each rater group in turn: adds jk_rank_lo,jk_rank_hi");
  score->add_option("--seed", rs.seed, "seed of the bootstrap resamples (default 1)");
  score->add_option("--top", rs.top,
                    "top share: k = ceil(top * n) (default 0.15, or the scenario's "
                    "metrics.quota)");
  score->add_option("--bottom", rs.bottom,
                    "bottom share: k = ceil(bottom * n) (default 0.05, or the scenario's "
                    "metrics.bottom)");
  score->add_option("--level", rs.level, "coverage of the bootstrap intervals (default 0.95)");
  score->add_option("--scheme", rs.scheme,
                    "smoothed (rater resamples with a prior rater, default), raters, "
                    "raters-by-group, bayesian (Dirichlet weights) or parametric (rating_scale "
                    "only)");
  score->add_option("--interval", rs.interval,
                    "percentile (default) or bca (bias-corrected and accelerated)");
  score->add_option("--threads", rs.threads, "worker threads (default: every core)")
      ->check(CLI::Range(0, 1024));
  c.distributed = true;
  c.run = [f] { return CmdScore(*f); };
  return c;
}

}  // namespace evalsim
