// composite: a composite indicator over objective indicators (an n x m
// IndicatorTable, NaN = missing), optionally blended with a vote-based score:
// normalise each indicator, weight, aggregate (OECD/JRC, Handbook on
// Constructing Composite Indicators, 2008, steps 5-6). The formulas live in
// models/indicators/mcda.h; this file reads the options, resolves the weights on the
// data and exposes the index as a pure function, shared with `topsis` and
// `grey_relational` (models/indicators/topsis.h, models/indicators/grey_relational.h) and with the
// Monte Carlo uncertainty analysis (sim/run/uncertainty.h).
//
// Parameters (composite; topsis and grey_relational take the same ones
// except where noted in their headers)
//   directions    [string]  default: the table's own direction of each
//                           indicator (IndicatorTable::cost); else one of
//                           "benefit" / "cost" per indicator
//   normalise     string    default "minmax"; "minmax", "vector", "zscore",
//                           "rank", "distance_to_best" (see models/indicators/mcda.h)
//   weighting     string    default "fixed"; "fixed", "ahp", "entropy",
//                           "critic", "combined"
//   weights       [number]  default: equal; one non-negative weight per
//                           indicator (scaled to sum 1). Used by "fixed", and
//                           by "combined" as the subjective side when no
//                           `ahp` matrix is given
//   ahp           [[number or "a/b"]]  pairwise comparison matrix (m x m,
//                           positive, reciprocal within 1e-3, unit diagonal);
//                           required by "ahp", optional for "combined"
//   ahp_method    string    default "eigenvector"; or "geometric" (row
//                           geometric means; "geometric_mean" also accepted)
//   random_index  string    default "saaty"; "alonso_lamata", "donegan_dodd":
//                           the RI table of CR = CI / RI. CR > 0.1 adds a
//                           warning to the notes; the weights do not depend
//                           on it
//   entropy       string    default "raw" (classic: p_ij = x_ij / sum_i x_ij
//                           on raw, non-negative values, direction ignored);
//                           "minmax" (direction-aware min-max first)
//   entropy_shift number    default 0; >= 0; added before p for "minmax"
//   objective     string    default "entropy"; or "critic": the objective
//                           side of "combined"
//   blend         string    default "additive"; or "multiplicative"
//                           ("combined": alpha*s + (1-alpha)*o, or s*o/sum)
//   alpha         number    default 0.5; in [0, 1]; weight of the subjective
//                           side in the additive blend
//   aggregation   string    default "arithmetic"; or "geometric" (weighted
//                           geometric mean; values <= 1e-6 are raised to
//                           1e-6, so min-max zeros are penalised heavily)
//   vote          table     default none; { model = "weighted_mean",
//                           weight = 0.2, ...that model's options }: a
//                           ratings model (an indicator model cannot be
//                           nested) scored on the rating ballots; its score is
//                           normalised like a benefit indicator (same method
//                           as `normalise`) and blended:
//                           score = (1 - weight) * index + weight * vote.
//                           `weight` (in [0, 1]) is required.
//
// Missing values: normalisation uses each indicator's present values; a
// unit's aggregate renormalises its weights over its present indicators. A
// unit with no present indicator gets the lowest score of the units that
// have one and a tiebreak of -1 (0 for the others), so it ranks below all of
// them (noted). A unit without a vote score (not in the ballots, or the vote
// model gives NaN) keeps its indicator index (noted). With `vote` set but no
// rating ballots in the input, the score is the indicator index alone (noted).
//
// Output parameters: "weight.<indicator>" for every indicator; with AHP
// weights also "lambda_max", "ci", "cr", "random_index"; with a vote,
// "vote_weight".
#ifndef EVALSIM_MODELS_INDICATORS_COMPOSITE_H_
#define EVALSIM_MODELS_INDICATORS_COMPOSITE_H_

#include <Eigen/Core>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/indicators/mcda.h"
#include "models/spec.h"

namespace evalsim {

ModelSpec CompositeSpec();

// Which of the three indicator models.
enum class IndicatorMethod { kComposite, kTopsis, kGreyRelational };

// "composite", "topsis", "grey_relational" -> method; nullopt otherwise.
std::optional<IndicatorMethod> FindIndicatorMethod(const std::string& model_name);

// The option values of `normalise` and `random_index`, from models/indicators/mcda.h.
std::vector<std::string> NormalizationOptionNames();
std::vector<std::string> RandomIndexOptionNames();

enum class Aggregation { kArithmetic, kGeometric };
std::optional<Aggregation> FindAggregation(const std::string& name);

// The choices that define an index once the weights are known: everything
// the Monte Carlo may vary.
struct CompositeConfig {
  IndicatorMethod method = IndicatorMethod::kComposite;
  mcda::Normalization normalise = mcda::Normalization::kMinMax;
  Aggregation aggregation = Aggregation::kArithmetic;  // composite only
  Eigen::VectorXd weights;                             // size m (empty = equal)
  double rho = 0.5;                                    // grey_relational only
  double vote_weight = 0.0;                            // composite with a vote only
};

// The index of every unit (NaN for a unit with no present indicator).
// `vote` (optional, size n, NaN = no vote for that unit) is the raw vote
// score; it is normalised with config.normalise as a benefit column and
// blended with weight config.vote_weight (composite only). Pure: the same
// arguments give the same result.
Eigen::VectorXd CompositeIndex(const CompositeConfig& config, const Eigen::MatrixXd& X,
                               const std::vector<bool>& cost, const Eigen::VectorXd* vote,
                               mcda::Notes* notes = nullptr);

// The composite part of CompositeIndex from parts that do not change between
// Monte Carlo draws: Z = mcda::Normalize(X, cost, config.normalise) and
// vote_index = the normalised vote (nullptr: no vote). Composite only.
Eigen::VectorXd CompositeFromNormalized(const CompositeConfig& config, const Eigen::MatrixXd& Z,
                                        const Eigen::VectorXd* vote_index,
                                        mcda::Notes* notes = nullptr);

// Options of the three indicator models as read (before seeing the data).
struct IndicatorOptions {
  IndicatorMethod method = IndicatorMethod::kComposite;
  std::optional<std::vector<bool>> directions;  // nullopt: the table's own
  mcda::Normalization normalise = mcda::Normalization::kMinMax;
  std::string weighting = "fixed";  // fixed, ahp, entropy, critic, combined
  Eigen::VectorXd weights;          // fixed / subjective weights (empty = equal)
  std::optional<mcda::AhpResult> ahp;
  mcda::AhpOptions ahp_options;
  mcda::EntropyOptions entropy;
  std::string objective = "entropy";  // combined: entropy or critic
  bool multiplicative = false;        // combined blend
  double alpha = 0.5;                 // combined additive blend
  Aggregation aggregation = Aggregation::kArithmetic;
  double rho = 0.5;
  // The vote: a ratings model created through the registry (null when no
  // vote, or when it could not be created yet because the context had no
  // grade scale; then `vote_table` is kept and it is created at Score time).
  bool has_vote = false;
  std::string vote_model_name;
  double vote_weight = 0.0;
  std::shared_ptr<const Model> vote_model;
  std::shared_ptr<const toml::table> vote_table;
  std::string file, path;  // for messages of a vote model created late
};

// Reads (and validates) the options of `method` through its declarations
// (IndicatorParamDocs); problems go to the reader's OptionReader.
IndicatorOptions ReadIndicatorOptions(IndicatorMethod method, ParamReader& in);
// The same for a caller outside the registry.
IndicatorOptions ReadIndicatorOptions(IndicatorMethod method, OptionReader& opts,
                                      const ModelContext& ctx);

// Everything resolved on one input: the data, the directions, the weights,
// the vote scores aligned to the table's units, and what was noted.
struct PreparedIndicators {
  CompositeConfig config;
  Eigen::MatrixXd X;
  std::vector<bool> cost;
  Eigen::VectorXd vote;  // empty = no vote; else size n, NaN = no vote for that unit
  std::vector<std::string> notes;
  std::vector<std::pair<std::string, double>> parameters;
};
PreparedIndicators PrepareIndicators(const IndicatorOptions& options, const ModelInput& input);

// The ScoreResult of an indicator model (see "Missing values" above).
ScoreResult ScoreIndicators(const IndicatorOptions& options, const ModelInput& input);

// The model that scores with ScoreIndicators(options, input).
std::unique_ptr<Model> MakeIndicatorModel(IndicatorOptions options);

// The parameter declarations shared by the three models.
std::vector<ParamDoc> IndicatorParamDocs(IndicatorMethod method);

}  // namespace evalsim

#endif  // EVALSIM_MODELS_INDICATORS_COMPOSITE_H_
