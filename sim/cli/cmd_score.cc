// `evalsim score`: one model on a ballot file, optionally with bootstrap or
// jackknife intervals (sim/experiments/resample.h).
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/registry.h"
#include "sim/cli/cli.h"
#include "sim/core/errors.h"
#include "sim/core/progress.h"
#include "sim/experiments/resample.h"
#include "sim/io/csv.h"
#include "sim/io/files.h"
#include "sim/io/preflib.h"
#include "sim/run/inputs.h"
#include "sim/run/outputs.h"

namespace evalsim {
namespace {

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
  std::string model, ballots, format = "ratings", ties = "split", out;
  std::vector<std::string> sets;
  ScoreResampleFlags resample;
};

// The --set table: model parameters, less levels=K (for the ratings
// reader), which goes to `read`.
toml::table ScoreOptions(const ScoreFlags& f, RatingsReadOptions& read) {
  toml::table options = ParseSets(f.sets);
  if (const toml::node* k = options.get("levels")) {
    if (f.format != "ratings")
      throw InputError("--set levels: levels applies to --format ratings only");
    auto v = k->value_exact<int64_t>();
    if (!v || *v < 2 || *v > kMaxLevels)
      throw InputError(fmt::format("--set levels: expected an integer 2..{}", kMaxLevels));
    read.levels = static_cast<int>(*v);
    options.erase("levels");
  }
  return options;
}

// The --model entry of the registry, checked against the resampling flags.
const ModelSpec& ScoreModel(const std::string& model, const ScoreResampleFlags& rs) {
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
  return *spec;
}

// What `score` prints: the scores CSV and the lines for stderr.
struct ScoreOutput {
  ScoreResult result;
  std::string csv;
  std::vector<std::string> lines, resample_notes;
};

ScoreOutput ResampleScores(const Model& m, const ScoreInput& in, const ScoreResampleFlags& rs) {
  ResampleOptions ro;
  ro.bootstrap = rs.bootstrap.value_or(0);
  ro.jackknife = rs.jackknife;
  ro.seed = rs.seed.value_or(ro.seed);
  ro.top = rs.top.value_or(ro.top);
  ro.bottom = rs.bottom.value_or(ro.bottom);
  ro.level = rs.level.value_or(ro.level);
  if (rs.scheme) ro.scheme = *ParseResampleScheme(*rs.scheme);
  if (rs.interval) ro.interval = *ParseIntervalMethod(*rs.interval);
  ro.threads = rs.threads;
  ro.progress = StderrIsTerminal();
  ResampleResult rr = Resample(m, in.ratings, ro);
  ScoreOutput o;
  o.csv = ResampleScoresCsv(in.names, rr);
  o.lines = ResampleSummaryLines(in.ratings, rr);
  o.resample_notes = std::move(rr.notes);
  o.result = std::move(rr.full);
  return o;
}

int CmdScore(const ScoreFlags& f) {
  const ScoreResampleFlags& rs = f.resample;
  const std::string& model = f.model;
  CheckScoreResampleFlags(rs, f.format);
  RatingsReadOptions read;
  const toml::table options = ScoreOptions(f, read);
  const ModelSpec& spec = ScoreModel(model, rs);
  ScoreInput in;
  ReadScoreInput(f.ballots, f.format, read, in);
  in.sources.ties = f.ties == "drop" ? TiePolicy::kDrop : TiePolicy::kSplit;
  ModelContext ctx(in.ratings.levels, in.ratings.group_names, in.indicators.names);
  auto m = Models().Create(model, options, ctx, "--set", "model " + model);
  ScoreOutput o;
  if (rs.Any()) {
    o = ResampleScores(*m, in, rs);
  } else {
    InputSet inputs(in.sources);
    o.result = m->Score(inputs.For(spec.input, false, "--model " + model));
    o.csv = ScoresCsv(in.names, o.result);
  }
  const ScoreResult& r = o.result;
  for (const auto& note : r.notes) std::cerr << "evalsim: " << model << ": " << note << "\n";
  for (const auto& [name, value] : r.parameters)
    std::cerr << fmt::format("evalsim: {}: {} = {}\n", model, name, value);
  for (const auto& line : o.lines) std::cerr << "evalsim: " << model << ": " << line << "\n";
  for (const auto& note : o.resample_notes)
    std::cerr << "evalsim: " << model << ": " << note << "\n";
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
  CLI::App* score = c.app = parent.add_subcommand("score", "score a ballot file with one model");
  score->add_option("--model", f->model, "model name (see `evalsim models`)")->required();
  score->add_option("--ballots", f->ballots, "ballot file")->required();
  score->add_option("--format", f->format, "ratings (default), pairwise, preflib or indicators")
      ->check(CLI::IsMember({"ratings", "pairwise", "preflib", "indicators"}));
  score
      ->add_option("--ties", f->ties,
                   "equal grades or tied candidates when a comparison model reads ratings or "
                   "rankings: split (half a win each, default) or drop")
      ->check(CLI::IsMember({"split", "drop"}));
  score->add_option("--set", f->sets, "model parameter param=value (TOML value)");
  score->add_option("--out", f->out, "output CSV (default stdout)");
  ScoreResampleFlags& rs = f->resample;
  score->add_option("--bootstrap", rs.bootstrap,
                    "N bootstrap resamples of the raters (within their groups): adds "
                    "lo,hi,rank_lo,rank_hi,p_top,p_bottom (ratings only)");
  score->add_flag("--jackknife", rs.jackknife,
                  "refit without each rater group in turn: adds jk_rank_lo,jk_rank_hi");
  score->add_option("--seed", rs.seed, "seed of the bootstrap resamples (default 1)");
  score->add_option("--top", rs.top, "top share: k = ceil(top * n) (default 0.15)");
  score->add_option("--bottom", rs.bottom, "bottom share: k = ceil(bottom * n) (default 0.05)");
  score->add_option("--level", rs.level, "coverage of the bootstrap intervals (default 0.95)");
  score->add_option("--scheme", rs.scheme,
                    "smoothed (rater resamples with a prior rater, default), raters, "
                    "raters-by-group, bayesian (Dirichlet weights) or parametric (rating_scale "
                    "only)");
  score->add_option("--interval", rs.interval,
                    "percentile (default) or bca (bias-corrected and accelerated)");
  score->add_option("--threads", rs.threads, "worker threads (default: every core)")
      ->check(CLI::Range(0, 1024));
  c.run = [f] { return CmdScore(*f); };
  return c;
}

}  // namespace evalsim
