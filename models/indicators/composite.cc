#include "models/indicators/composite.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>
#include <unordered_map>

#include "models/registry.h"
#include "sim/core/errors.h"
#include "sim/core/text.h"

namespace evalsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const char* MethodName(IndicatorMethod method) {
  switch (method) {
    case IndicatorMethod::kComposite:
      return "composite";
    case IndicatorMethod::kTopsis:
      return "topsis";
    case IndicatorMethod::kGreyRelational:
      return "grey_relational";
  }
  return "?";
}

mcda::Normalization DefaultNormalization(IndicatorMethod method) {
  return method == IndicatorMethod::kTopsis ? mcda::Normalization::kVector
                                            : mcda::Normalization::kMinMax;
}

// A cell of an AHP matrix: a number, or a string holding a decimal or a
// fraction "a/b" (ParseAhpJudgement).
std::optional<double> AhpCell(const toml::node& cell) {
  if (auto v = cell.value<double>()) return *v;
  const auto* s = cell.as_string();
  if (!s) return std::nullopt;
  return ParseAhpJudgement(s->get());
}

// Reads the `ahp` matrix; nullopt (with errors recorded) when it is malformed.
std::optional<Eigen::MatrixXd> ReadAhpMatrix(OptionReader& opts, const toml::node& node, int m) {
  const toml::array* rows = node.as_array();
  if (!rows || rows->empty()) {
    opts.ErrorAt(node, "ahp",
                 fmt::format("found {}; expected a square array of arrays of positive numbers",
                             rows ? "an empty array" : ATypeName(node)));
    return std::nullopt;
  }
  const int n = static_cast<int>(rows->size());
  if (m > 0 && n != m) {
    opts.ErrorAt(node, "ahp", fmt::format("has {} rows; expected {} (one per indicator)", n, m));
    return std::nullopt;
  }
  Eigen::MatrixXd A(n, n);
  for (int i = 0; i < n; ++i) {
    const toml::node& row_node = *rows->get(static_cast<size_t>(i));
    const toml::array* row = row_node.as_array();
    const std::string key = fmt::format("ahp[{}]", i);
    if (!row) {
      opts.ErrorAt(row_node, key,
                   fmt::format("found {}; expected an array (row {} of the matrix)",
                               ATypeName(row_node), i + 1));
      return std::nullopt;
    }
    if (static_cast<int>(row->size()) != n) {
      opts.ErrorAt(row_node, key,
                   fmt::format("row {} has {} cells; expected {} (the matrix must be square)",
                               i + 1, row->size(), n));
      return std::nullopt;
    }
    for (int j = 0; j < n; ++j) {
      const toml::node& cell = *row->get(static_cast<size_t>(j));
      auto v = AhpCell(cell);
      if (!v) {
        opts.ErrorAt(cell, fmt::format("ahp[{}][{}]", i, j),
                     fmt::format("cell ({}, {}): expected a positive number or a fraction "
                                 "such as \"1/3\"",
                                 i + 1, j + 1));
        return std::nullopt;
      }
      A(i, j) = *v;
    }
  }
  return A;
}

// Reads the `vote` table into `o`.
void ReadVote(OptionReader& opts, const toml::node& node, const ModelContext& ctx,
              IndicatorOptions& o) {
  const toml::table* t = node.as_table();
  if (!t) {
    opts.ErrorAt(node, "vote",
                 fmt::format("found {}; expected a table such as {{ model = \"weighted_mean\", "
                             "weight = 0.2 }}",
                             ATypeName(node)));
    return;
  }
  o.has_vote = true;
  const toml::node* model = t->get("model");
  const toml::node* weight = t->get("weight");
  bool ok = true;
  if (!model) {
    opts.ErrorAt(node, "vote",
                 "missing required key `model` (the ratings model that scores the vote)");
    ok = false;
  } else if (!model->is_string()) {
    opts.ErrorAt(*model, "vote.model",
                 fmt::format("found {}; expected a model name", ATypeName(*model)));
    ok = false;
  } else {
    o.vote_model_name = model->as_string()->get();
    if (FindIndicatorMethod(o.vote_model_name)) {
      opts.ErrorAt(*model, "vote.model",
                   fmt::format("\"{}\" reads indicators; an indicator model cannot be nested in "
                               "a composite (the vote model must read ratings)",
                               o.vote_model_name));
      ok = false;
    } else if (const ModelSpec* spec = Models().Find(o.vote_model_name);
               spec && spec->input != InputKind::kRatings) {
      opts.ErrorAt(*model, "vote.model",
                   fmt::format("\"{}\" reads {}; the vote model must read ratings",
                               o.vote_model_name, InputKindName(spec->input)));
      ok = false;
    }
  }
  if (!weight) {
    opts.ErrorAt(node, "vote",
                 "missing required key `weight` (the vote's share of the score, in [0, 1])");
    ok = false;
  } else if (auto w = weight->value<double>(); !w || !(*w >= 0.0 && *w <= 1.0)) {
    opts.ErrorAt(*weight, "vote.weight",
                 w ? fmt::format("{} is out of range; expected a number in [0, 1]", *w)
                   : fmt::format("found {}; expected a number in [0, 1]", ATypeName(*weight)));
    ok = false;
  } else {
    o.vote_weight = *w;
  }
  if (!ok) return;
  o.vote_table = std::make_shared<const toml::table>(*t);
  if (ctx.levels >= 2) {
    try {
      o.vote_model = Models().Create(o.vote_model_name, *t, ctx, opts.file(), opts.KeyPath("vote"),
                                     {"model", "weight"});
    } catch (const InputError& e) {
      opts.AddErrors({e.what()});
    }
  }
}

Eigen::VectorXd ToVector(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

void Append(std::vector<std::string>& to, const mcda::Notes& from) {
  to.insert(to.end(), from.begin(), from.end());
}

class IndicatorModel : public Model {
 public:
  explicit IndicatorModel(IndicatorOptions o) : o_(std::move(o)) {}
  ScoreResult Score(const ModelInput& input) const override { return ScoreIndicators(o_, input); }

 private:
  IndicatorOptions o_;
};

std::vector<std::string> SplitNames(const std::string& joined) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= joined.size()) {
    size_t end = joined.find(", ", start);
    if (end == std::string::npos) end = joined.size();
    if (end > start) out.push_back(joined.substr(start, end - start));
    start = end + 2;
  }
  return out;
}

}  // namespace

std::vector<std::string> NormalizationOptionNames() {
  return SplitNames(mcda::NormalizationNames());
}

std::vector<std::string> RandomIndexOptionNames() { return SplitNames(mcda::RandomIndexNames()); }

std::optional<IndicatorMethod> FindIndicatorMethod(const std::string& model_name) {
  for (auto m :
       {IndicatorMethod::kComposite, IndicatorMethod::kTopsis, IndicatorMethod::kGreyRelational})
    if (model_name == MethodName(m)) return m;
  return std::nullopt;
}

std::optional<Aggregation> FindAggregation(const std::string& name) {
  if (name == "arithmetic") return Aggregation::kArithmetic;
  if (name == "geometric") return Aggregation::kGeometric;
  return std::nullopt;
}

Eigen::VectorXd CompositeFromNormalized(const CompositeConfig& config, const Eigen::MatrixXd& Z,
                                        const Eigen::VectorXd* vote_index, mcda::Notes* notes) {
  Eigen::VectorXd index = config.aggregation == Aggregation::kGeometric
                              ? mcda::WeightedGeometric(Z, config.weights, 1e-6, notes)
                              : mcda::WeightedArithmetic(Z, config.weights, notes);
  if (vote_index && config.vote_weight > 0.0) {
    const double w = config.vote_weight;
    for (Eigen::Index i = 0; i < index.size(); ++i) {
      const double v = (*vote_index)[i];
      if (!std::isnan(index[i]) && !std::isnan(v)) index[i] = (1.0 - w) * index[i] + w * v;
    }
  }
  return index;
}

Eigen::VectorXd CompositeIndex(const CompositeConfig& config, const Eigen::MatrixXd& X,
                               const std::vector<bool>& cost, const Eigen::VectorXd* vote,
                               mcda::Notes* notes) {
  switch (config.method) {
    case IndicatorMethod::kTopsis: {
      mcda::TopsisResult r = mcda::Topsis(X, cost, config.weights, config.normalise);
      if (notes) notes->insert(notes->end(), r.notes.begin(), r.notes.end());
      return r.closeness;
    }
    case IndicatorMethod::kGreyRelational: {
      mcda::GreyRelationalResult r =
          mcda::GreyRelational(X, cost, config.weights, config.rho, config.normalise);
      if (notes) notes->insert(notes->end(), r.notes.begin(), r.notes.end());
      return r.grade;
    }
    case IndicatorMethod::kComposite:
      break;
  }
  const Eigen::MatrixXd Z = mcda::Normalize(X, cost, config.normalise, notes);
  if (vote && vote->size() == X.rows() && config.vote_weight > 0.0) {
    const Eigen::VectorXd vote_index =
        mcda::Normalize(Eigen::MatrixXd(*vote), {false}, config.normalise, nullptr).col(0);
    return CompositeFromNormalized(config, Z, &vote_index, notes);
  }
  return CompositeFromNormalized(config, Z, nullptr, notes);
}

IndicatorOptions ReadIndicatorOptions(IndicatorMethod method, OptionReader& opts,
                                      const ModelContext& ctx) {
  const std::vector<ParamDoc> params = IndicatorParamDocs(method);
  ParamReader in(opts, params, ctx);
  return ReadIndicatorOptions(method, in);
}

namespace {

// Reports `key` as an error when it is given but not used with this weighting.
void OnlyWith(OptionReader& opts, const std::string& weighting, std::string_view key, bool used,
              std::string_view when) {
  if (opts.Has(key) && !used)
    opts.Error(key, fmt::format("is only used with {} (weighting is \"{}\")", when, weighting));
}

// `directions`: one "benefit" or "cost" per indicator.
void ReadDirections(ParamReader& in, int m, const std::string& one_per, IndicatorOptions& o) {
  OptionReader& opts = in.opts();
  if (auto d = opts.StringList(in.Param("directions").name)) {
    std::vector<bool> cost;
    bool ok = true;
    for (size_t i = 0; i < d->size(); ++i) {
      const std::string& s = (*d)[i];
      if (s == "benefit" || s == "cost") {
        cost.push_back(s == "cost");
      } else {
        opts.Error("directions",
                   fmt::format("entry {} is \"{}\"; expected \"benefit\" or \"cost\"", i + 1, s));
        ok = false;
      }
    }
    if (m > 0 && static_cast<int>(d->size()) != m) {
      opts.Error("directions", fmt::format("has {} entries; expected {}", d->size(), one_per));
      ok = false;
    }
    if (ok) o.directions = std::move(cost);
  }
}

// `weights`: fixed non-negative weights with a positive sum.
void ReadFixedWeights(ParamReader& in, int m, const std::string& one_per, IndicatorOptions& o) {
  OptionReader& opts = in.opts();
  if (auto w = opts.DoubleList(in.Param("weights").name, AtLeast(0.0))) {
    double sum = 0.0;
    for (double v : *w) sum += v;
    if (m > 0 && static_cast<int>(w->size()) != m) {
      opts.Error("weights", fmt::format("has {} entries; expected {}", w->size(), one_per));
    } else if (w->empty() || !(sum > 0.0)) {
      opts.Error("weights", "expected non-negative weights with a positive sum");
    } else {
      o.weights = ToVector(*w);
    }
  }
}

// `ahp_method`, `random_index` and the `ahp` pairwise comparison matrix.
void ReadAhpOptions(ParamReader& in, int m, bool combined, IndicatorOptions& o) {
  OptionReader& opts = in.opts();
  const ModelContext& ctx = in.ctx();
  const std::string ahp_method = in.String("ahp_method");
  o.ahp_options.method =
      ahp_method == "eigenvector" ? mcda::AhpMethod::kEigenvector : mcda::AhpMethod::kGeometricMean;
  const std::string ri = in.String("random_index");
  o.ahp_options.random_index =
      mcda::FindRandomIndexTable(ri).value_or(mcda::RandomIndexTable::kSaaty);
  if (const toml::node* node = opts.Raw(in.Param("ahp").name)) {
    if (o.weighting != "ahp" && !combined) {
      opts.ErrorAt(*node, "ahp",
                   fmt::format("is only used with weighting = \"ahp\" or \"combined\" (weighting "
                               "is \"{}\")",
                               o.weighting));
    } else if (combined && o.weights.size() > 0) {
      opts.ErrorAt(*node, "ahp",
                   "give either `weights` or `ahp` as the subjective side of weighting = "
                   "\"combined\", not both");
    } else if (auto A = ReadAhpMatrix(opts, *node, m)) {
      const std::vector<std::string> names =
          m == A->rows() ? ctx.indicator_names : std::vector<std::string>{};
      if (auto problem = mcda::CheckPairwiseMatrix(*A, o.ahp_options.reciprocal_tolerance, names)) {
        opts.ErrorAt(*node, "ahp", *problem);
      } else {
        o.ahp = mcda::Ahp(*A, o.ahp_options);
      }
    }
  } else if (o.weighting == "ahp") {
    opts.Error("weighting",
               "weighting = \"ahp\" needs `ahp`, a pairwise comparison matrix (array of arrays)");
  }
  const bool has_ahp = opts.Has("ahp");
  OnlyWith(opts, o.weighting, "ahp_method", has_ahp, "an `ahp` matrix");
  OnlyWith(opts, o.weighting, "random_index", has_ahp, "an `ahp` matrix");
}

// `objective`, `blend`, `alpha` (combined weighting) and the entropy options.
void ReadObjectiveOptions(ParamReader& in, bool combined, IndicatorOptions& o) {
  OptionReader& opts = in.opts();
  o.objective = in.String("objective");
  OnlyWith(opts, o.weighting, "objective", combined, "weighting = \"combined\"");
  o.multiplicative = in.String("blend") == "multiplicative";
  OnlyWith(opts, o.weighting, "blend", combined, "weighting = \"combined\"");
  o.alpha = in.Double("alpha");
  OnlyWith(opts, o.weighting, "alpha", combined && !o.multiplicative,
           "weighting = \"combined\" and blend = \"additive\"");

  const bool uses_entropy = o.weighting == "entropy" || (combined && o.objective == "entropy");
  o.entropy.input =
      in.String("entropy") == "minmax" ? mcda::EntropyInput::kMinMax : mcda::EntropyInput::kRaw;
  o.entropy.shift = in.Double("entropy_shift");
  OnlyWith(opts, o.weighting, "entropy", uses_entropy, "entropy weights");
  OnlyWith(opts, o.weighting, "entropy_shift",
           uses_entropy && o.entropy.input == mcda::EntropyInput::kMinMax, "entropy = \"minmax\"");
}

}  // namespace

IndicatorOptions ReadIndicatorOptions(IndicatorMethod method, ParamReader& in) {
  OptionReader& opts = in.opts();
  const ModelContext& ctx = in.ctx();
  IndicatorOptions o;
  o.method = method;
  o.file = opts.file();
  o.path = opts.path();
  const int m = static_cast<int>(ctx.indicator_names.size());  // 0 = not known yet
  const std::string one_per =
      m > 0 ? fmt::format("{} (one per indicator: {})", m, fmt::join(ctx.indicator_names, ", "))
            : std::string();

  ReadDirections(in, m, one_per, o);

  const std::string norm = in.String("normalise");
  o.normalise = mcda::FindNormalization(norm).value_or(DefaultNormalization(method));

  o.weighting = in.String("weighting");
  const bool combined = o.weighting == "combined";
  ReadFixedWeights(in, m, one_per, o);
  OnlyWith(opts, o.weighting, "weights", o.weighting == "fixed" || combined,
           "weighting = \"fixed\" or \"combined\"");
  ReadAhpOptions(in, m, combined, o);
  ReadObjectiveOptions(in, combined, o);

  if (method == IndicatorMethod::kComposite) {
    o.aggregation = FindAggregation(in.String("aggregation")).value_or(Aggregation::kArithmetic);
    if (const toml::node* node = opts.Raw(in.Param("vote").name)) ReadVote(opts, *node, ctx, o);
  }
  if (method == IndicatorMethod::kGreyRelational) o.rho = in.Double("rho");
  return o;
}

namespace {

// The table's directions, or `directions` when it has one entry per indicator.
void ChooseDirections(const IndicatorOptions& o, const IndicatorTable& t, int m,
                      PreparedIndicators& p) {
  p.cost.assign(m, false);
  if (static_cast<int>(t.cost.size()) == m) p.cost = t.cost;
  if (o.directions) {
    if (static_cast<int>(o.directions->size()) == m) {
      p.cost = *o.directions;
    } else {
      p.notes.push_back(fmt::format(
          "`directions` has {} entries but the table has {} indicators: the table's own "
          "directions are used",
          o.directions->size(), m));
    }
  }
}

// The AHP consistency figures, warning and notes.
void RecordAhp(const mcda::AhpResult& ahp, PreparedIndicators& p) {
  p.parameters.emplace_back("lambda_max", ahp.lambda_max);
  p.parameters.emplace_back("ci", ahp.ci);
  p.parameters.emplace_back("cr", ahp.cr);
  p.parameters.emplace_back("random_index", ahp.random_index);
  if (!ahp.warning.empty()) p.notes.push_back("warning: " + ahp.warning);
  Append(p.notes, ahp.notes);
}

// The indicator weights of the chosen weighting, falling back to equal weights (with a note)
// when the given or objective weights cannot be used.
Eigen::VectorXd ChooseWeights(const IndicatorOptions& o, int m, PreparedIndicators& p) {
  auto equal = [&] { return Eigen::VectorXd::Constant(m, m > 0 ? 1.0 / m : 0.0).eval(); };
  auto sized = [&](const Eigen::VectorXd& w, const char* what) -> Eigen::VectorXd {
    if (w.size() == 0) return equal();
    if (w.size() != m) {
      p.notes.push_back(
          fmt::format("{} has {} entries but the table has {} indicators: equal weights are used",
                      what, w.size(), m));
      return equal();
    }
    return w / w.sum();
  };
  auto objective = [&](bool critic) -> Eigen::VectorXd {
    try {
      mcda::WeightsResult r =
          critic ? mcda::CriticWeights(p.X, p.cost) : mcda::EntropyWeights(p.X, p.cost, o.entropy);
      Append(p.notes, r.notes);
      return r.weights;
    } catch (const InputError& e) {
      p.notes.push_back(fmt::format("{} weights not defined ({}): equal weights are used",
                                    critic ? "CRITIC" : "entropy", e.what()));
      return equal();
    }
  };
  Eigen::VectorXd subjective =
      o.ahp ? sized(o.ahp->weights, "the AHP matrix") : sized(o.weights, "`weights`");
  if (o.ahp) RecordAhp(*o.ahp, p);
  Eigen::VectorXd w;
  if (o.weighting == "entropy") {
    w = objective(false);
  } else if (o.weighting == "critic") {
    w = objective(true);
  } else if (o.weighting == "combined") {
    const Eigen::VectorXd obj = objective(o.objective == "critic");
    w = m == 0             ? Eigen::VectorXd()
        : o.multiplicative ? mcda::CombineMultiplicative(subjective, obj)
                           : mcda::CombineAdditive(subjective, obj, o.alpha);
  } else {
    w = subjective;  // fixed or ahp
  }
  return w;
}

// The vote model's scores matched to the table's units by name (NaN where a unit has none).
Eigen::VectorXd MatchVoteScores(const ScoreResult& vr, const RatingBallots& b,
                                const IndicatorTable& t, int n) {
  Eigen::VectorXd vote = Eigen::VectorXd::Constant(n, kNaN);
  if (vr.score.size() == b.NumRatees()) {
    if (b.ratee_names == t.ratee_names) {
      vote = vr.score;
    } else {
      std::unordered_map<std::string, int> index;
      for (int i = 0; i < b.NumRatees(); ++i) index.emplace(b.ratee_names[i], i);
      for (int i = 0; i < n; ++i)
        if (auto it = index.find(t.ratee_names[i]); it != index.end())
          vote[i] = vr.score[it->second];
    }
  }
  return vote;
}

// Scores the ballots with the vote model (created here when only its table was given) and
// blends its scores into the configuration.
void AddVote(const IndicatorOptions& o, const ModelInput& input, int n, PreparedIndicators& p) {
  const IndicatorTable& t = *input.indicators;
  std::shared_ptr<const Model> vote_model = o.vote_model;
  if (!input.ratings) {
    p.notes.push_back(
        "`vote` is set but the input has no rating ballots: the score is the indicator "
        "index alone");
    return;
  }
  const RatingBallots& b = *input.ratings;
  if (!vote_model && o.vote_table) {
    // The ballots' scales too: a vote model that pools every grade on one
    // scale refuses groups on scales of their own (and the note says so).
    ModelContext ctx{b.MainLevels(), b.group_names};
    ctx.SetScales(b);
    try {
      vote_model = Models().Create(o.vote_model_name, *o.vote_table, ctx, o.file, o.path + ".vote",
                                   {"model", "weight"});
    } catch (const InputError& e) {
      p.notes.push_back(
          fmt::format("vote model could not be created ({}): indicators only", e.what()));
    }
  }
  if (!vote_model) return;
  ScoreResult vr = vote_model->Score(input);
  p.vote = MatchVoteScores(vr, b, t, n);
  int missing = 0;
  for (int i = 0; i < n; ++i) missing += std::isnan(p.vote[i]) ? 1 : 0;
  if (missing > 0)
    p.notes.push_back(fmt::format(
        "{} unit(s) have no vote score: their score is the indicator index alone", missing));
  for (const auto& note : vr.notes) p.notes.push_back("vote: " + note);
  p.config.vote_weight = o.vote_weight;
  p.parameters.emplace_back("vote_weight", o.vote_weight);
}

}  // namespace

PreparedIndicators PrepareIndicators(const IndicatorOptions& o, const ModelInput& input) {
  PreparedIndicators p;
  const IndicatorTable& t = *input.indicators;
  const int n = static_cast<int>(t.values.rows());
  const int m = static_cast<int>(t.values.cols());
  p.X = t.values;

  ChooseDirections(o, t, m, p);

  const Eigen::VectorXd w = ChooseWeights(o, m, p);
  for (int j = 0; j < m && j < static_cast<int>(t.names.size()); ++j)
    p.parameters.emplace_back("weight." + t.names[j], w[j]);

  p.config.method = o.method;
  p.config.normalise = o.normalise;
  p.config.aggregation = o.aggregation;
  p.config.weights = w;
  p.config.rho = o.rho;

  if (o.has_vote) AddVote(o, input, n, p);
  return p;
}

ScoreResult ScoreIndicators(const IndicatorOptions& o, const ModelInput& input) {
  ScoreResult r;
  if (!input.indicators) {
    r.notes.push_back("no indicator table in the input: nothing to score");
    return r;
  }
  PreparedIndicators p = PrepareIndicators(o, input);
  const int n = static_cast<int>(p.X.rows());
  r.notes = std::move(p.notes);
  r.parameters = std::move(p.parameters);
  mcda::Notes notes;
  Eigen::VectorXd index =
      n == 0 ? Eigen::VectorXd()
             : CompositeIndex(p.config, p.X, p.cost, p.vote.size() ? &p.vote : nullptr, &notes);
  Append(r.notes, notes);
  // Units with no present indicator rank below every other unit.
  int missing = 0;
  double lowest = std::numeric_limits<double>::infinity();
  for (int i = 0; i < n; ++i) {
    if (std::isnan(index[i]))
      ++missing;
    else
      lowest = std::min(lowest, index[i]);
  }
  r.score = index;
  if (missing > 0) {
    if (missing == n) lowest = 0.0;
    r.tiebreak = Eigen::VectorXd::Zero(n);
    for (int i = 0; i < n; ++i) {
      if (std::isnan(index[i])) {
        r.score[i] = lowest;
        r.tiebreak[i] = -1.0;
      }
    }
    r.notes.push_back(fmt::format(
        "{} unit(s) have no indicator value: they score the lowest score ({}) and rank below "
        "every unit with data",
        missing, lowest));
  }
  return r;
}

std::unique_ptr<Model> MakeIndicatorModel(IndicatorOptions options) {
  return std::make_unique<IndicatorModel>(std::move(options));
}

std::vector<ParamDoc> IndicatorParamDocs(IndicatorMethod method) {
  // (`needs` of ahp_method and random_index: an AHP matrix for two indicators.)
  const std::string ahp_matrix = "weighting = \"ahp\"\nahp = [[1, 3], [\"1/3\", 1]]";
  const std::string combined = "weighting = \"combined\"";
  const std::string entropy = "weighting = \"entropy\"";
  std::vector<ParamDoc> docs = {
      OtherParam("directions", "[string]", "the table's own directions",
                 "\"benefit\" or \"cost\" per indicator"),
      StringParam("normalise", std::string(mcda::NormalizationName(DefaultNormalization(method))),
                  NormalizationOptionNames(), "minmax, vector, zscore, rank or distance_to_best")
          .BareDefault(),
      StringParam("weighting", "fixed", {"fixed", "ahp", "entropy", "critic", "combined"},
                  "fixed, ahp, entropy, critic or combined")
          .BareDefault(),
      OtherParam("weights", "[number]", "equal", "fixed (or subjective) weight per indicator"),
      OtherParam("ahp", "[[number]]", "none",
                 "AHP pairwise comparison matrix (cells may be \"1/3\")"),
      StringParam("ahp_method", "eigenvector", {"eigenvector", "geometric", "geometric_mean"},
                  "eigenvector or geometric (row geometric means)")
          .BareDefault()
          .WithNeeds(ahp_matrix),
      StringParam("random_index", "saaty", RandomIndexOptionNames(),
                  "RI table for CR: " + mcda::RandomIndexNames() + " (CR > 0.1 warns)")
          .BareDefault()
          .WithNeeds(ahp_matrix),
      StringParam("entropy", "raw", {"raw", "minmax"},
                  "entropy weights on raw values (raw) or min-max first")
          .BareDefault()
          .WithNeeds(entropy),
      NumberParam("entropy_shift", 0.0, AtLeast(0.0),
                  "added to min-max values before entropy (minmax form)")
          .WithType("number")
          .WithNeeds(entropy + "\nentropy = \"minmax\""),
      StringParam("objective", "entropy", {"entropy", "critic"},
                  "objective side of combined weights: entropy or critic")
          .BareDefault()
          .WithNeeds(combined),
      StringParam("blend", "additive", {"additive", "multiplicative"},
                  "combined weights: additive or multiplicative")
          .BareDefault()
          .WithNeeds(combined),
      NumberParam("alpha", 0.5, Probability(), "subjective share of the additive blend")
          .WithNeeds(combined),
  };
  if (method == IndicatorMethod::kComposite) {
    docs.push_back(StringParam("aggregation", "arithmetic", {"arithmetic", "geometric"},
                               "weighted arithmetic or geometric mean")
                       .BareDefault());
    docs.push_back(OtherParam("vote", "{model = string, weight = number, ...}", "none",
                              "blend a ratings model's score: (1-weight)*index + weight*vote"));
  }
  if (method == IndicatorMethod::kGreyRelational)
    docs.push_back(
        NumberParam("rho", 0.5, Range{0.0, 1.0, true, false}, "distinguishing coefficient"));
  return docs;
}

ModelSpec CompositeSpec() {
  ModelSpec spec;
  spec.name = "composite";
  spec.input = InputKind::kIndicators;
  spec.summary =
      "composite indicator: normalisation + weights (fixed, ahp, entropy, critic, combined) + "
      "weighted arithmetic or geometric mean; optional vote blend";
  spec.params = IndicatorParamDocs(IndicatorMethod::kComposite);
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    return MakeIndicatorModel(ReadIndicatorOptions(IndicatorMethod::kComposite, in));
  };
  return spec;
}

}  // namespace evalsim
