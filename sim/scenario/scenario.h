// A scenario: the synthetic organisation, its latent truth, the rater
// groups and their behaviour, the models to compare and the metrics
// settings. Loaded from TOML (every key documented in scenarios/README.md),
// with `--set key.path=value` overrides; every value is type- and
// range-checked and unknown keys are errors.
#ifndef EVALSIM_SIM_SCENARIO_SCENARIO_H_
#define EVALSIM_SIM_SCENARIO_SCENARIO_H_

#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "models/model.h"
#include "sim/rules/classes.h"

namespace evalsim {

struct IntRange {
  int64_t lo = 0, hi = 0;  // inclusive; lo == hi for a fixed number
};

// How many child units each parent unit has at a level: a fixed number
// (lo == hi), uniform on [lo, hi], or (kLognormal) a lognormal draw rounded
// to the nearest integer and clamped to [lo, hi]. `mean` and `sd` are those
// of the continuous lognormal before rounding and clamping.
struct LevelCount {
  enum class Dist { kUniform, kLognormal };
  int64_t lo = 0, hi = 0;  // inclusive; the clamp of a lognormal count
  Dist dist = Dist::kUniform;
  double mean = 0.0, sd = 0.0;  // kLognormal only

  // Parameters of the underlying normal: log(count) ~ N(mu, sigma^2) with
  // sigma^2 = log(1 + sd^2 / mean^2), mu = log(mean) - sigma^2 / 2.
  double LogSigma() const;
  double LogMu() const;
  // The expected count (after rounding and clamping for a lognormal, by
  // numerical integration), for estimates and messages.
  double Expected() const;
};

struct LevelSpec {
  std::string name;
  LevelCount count;  // per parent unit
};

enum class RaterKind { kPerMeeting, kPerEvaluee, kFromEvaluees };

struct RaterGroupSpec {
  std::string group;
  RaterKind kind = RaterKind::kPerMeeting;
  IntRange count;              // raters per meeting (kPerMeeting) or per evaluee (kPerEvaluee)
  double coverage = 1.0;       // share of the meeting's evaluees each rater rates
  double weight = 1.0;         // default group weight for rubrics
  double noise = 0.5;          // sd of per-ballot error
  double leniency_mean = 0.0;  // per-rater shift ~ N(mean, sd)
  double leniency_sd = 0.0;
  double abstain = 0.0;  // probability a ballot is blank
  // Halo on multi-item ballots: the weight in [0, 1] of the rater's overall
  // impression of an evaluee in each item perception (0 = items judged
  // apart, 1 = every item graded as the overall impression).
  double halo = 0.0;
  // Self-votes (from_evaluees groups only): whether an evaluee also grades
  // itself, and the latent shift of that self-grade.
  bool self_vote = false;
  double self_boost = 0.0;
  // The group's own ballot scale ([[scales]] `name`); empty = [scale].
  std::string scale_name;
  int scale = -1;  // index into Scenario::scales, -1 = [scale]
  // Anchoring on the superior's comment (点评) before the vote: every
  // perception becomes (1 - anchor) * y + anchor * view, where the view of
  // the evaluee is stated once per meeting by `anchor_to`: "chair" (quality
  // + anchor_noise * N(0, 1)) or a rater group (quality + its leniency mean
  // + its noise * N(0, 1)). See sim/simulate/influence.h.
  double anchor = 0.0;
  std::string anchor_to = "chair";
  int anchor_group = -1;  // index of the `anchor_to` group, -1 = the chair
  double anchor_noise = 0.5;
  // Conformity to the meeting's visible majority: with this probability a
  // graded ballot takes the modal grade of the meeting's ballots on the
  // evaluee (on the same scale).
  double conformity = 0.0;
};

// A ballot scale of its own for some rater groups ([[scales]]): the labels,
// the target share of each grade among the graded ballots (cut points are
// calibrated per scale, on the groups that use it) and the probability that
// a ballot is "don't know" (不了解): recorded, neither a blank nor a grade.
struct ScaleSpec {
  std::string name;
  std::vector<std::string> labels;  // lowest first
  std::vector<double> shares;       // sum to 1
  double dont_know = 0.0;           // in [0, 1)
  std::string dont_know_label = "不了解";
};

// One item of a multi-item ballot ([[items]]): a latent dimension of its own,
//   item quality = loading * quality + sqrt(1 - loading^2) * quality_sd * N(0, 1)
// drawn once per evaluee, graded by every rater beside the overall grade
// (see sim/simulate/item_gen.h for the perception of an item).
struct ItemSpec {
  std::string name;
  double weight = 1.0;   // default weight of the item when models combine items
  double loading = 0.8;  // correlation of the item's quality with overall quality
  double noise = 0.0;    // sd of the item's own per-ballot error, on top of the group's
};

// A kind of evaluee (urban vs rural, street vs town): the optional
// [[organisation.types]] tables. Each evaluee draws one type, type t with
// probability `share`; every ballot on an evaluee of type t gets `leniency`
// added to its latent value (raters of that kind of unit grade harder or
// softer), from every rater group or only from the groups listed.
struct EvalueeTypeSpec {
  std::string name;
  double share = 0.0;               // probability that an evaluee has this type
  double leniency = 0.0;            // latent shift of the ballots on its evaluees
  std::vector<std::string> groups;  // rater groups whose ballots shift; empty = every group
  std::vector<uint8_t> shifted;     // per rater group (resolved from `groups`): 1 = shifted

  // The shift of a ballot of rater group `group` on an evaluee of this type.
  double Shift(int group) const { return shifted.empty() || shifted[group] ? leniency : 0.0; }
};

// Meeting rules: the optional keys of [meetings] beside `by`. A meeting
// whose attendance is not above the quorum, whose present raters are fewer
// than the minimum panel, or whose returned ballots outnumber the issued
// ones is void: none of its ballots count. max_top caps the top grades one
// rater gives in one meeting. See scenarios/README.md and
// sim/simulate/meeting_rules.h.
struct MeetingRules {
  // Each rater is absent with a probability drawn uniformly from
  // [absence_lo, absence_hi] per meeting and replicate (lo == hi: fixed).
  double absence_lo = 0.0, absence_hi = 0.0;
  double quorum = 0.0;        // > 0: present must exceed quorum x the meeting's raters
  int64_t min_panel = 0;      // > 0: at least this many raters present
  double overcount = 0.0;     // probability that more ballots come back than were issued
  int64_t max_top = 0;        // > 0: at most this many top grades per rater and meeting
  bool max_top_void = false;  // beyond max_top: the rater's ballot is void (else demoted)

  bool Any() const {
    return absence_hi > 0.0 || quorum > 0.0 || min_panel > 0 || overcount > 0.0 || max_top > 0;
  }
};

struct BlocSpec {
  double share = 0.0;    // share of evaluees that have a bloc
  double size = 0.0;     // share of their meeting's raters in the bloc
  double boost = 0.0;    // latent shift for the bloc's evaluee
  double penalty = 0.0;  // latent shift subtracted from rivals in the meeting
};

// Comparison ballots drawn from the raters' own perceptions (the latent
// value behind each of their rating ballots), so that comparison-based and
// points-based schemes see the same raters. See scenarios/README.md.
enum class ComparisonMode { kNone, kRanking, kPairs };

struct ComparisonSpec {
  ComparisonMode mode = ComparisonMode::kNone;
  int rank_size = 0;        // kRanking: 0 = every evaluee the rater graded, else a random subset
  int pairs_per_rater = 0;  // kPairs: random pairs per rater among the evaluees it graded
  bool ties_split = true;   // ratings -> pairwise conversion: split ties (true) or drop them
};

// One objective indicator per evaluee (on-time rate, completed tasks,
// complaints, report-card score...). Its latent value is
//   latent = loading * quality / quality_sd + sqrt(1 - loading^2) * N(0, 1)
// (standard normal overall), and `transform` maps it (or its negative for a
// cost indicator) to the reported value. See scenarios/README.md.
struct IndicatorSpec {
  std::string name;
  double loading = 0.7;  // correlation of the indicator's latent value with true quality
  bool cost = false;     // lower is better: the reported value falls as quality rises
  // "linear": mean + sd * x; "rate": lo + (hi - lo) * Phi(Phi^-1(q) + x),
  // q = (median - lo) / (hi - lo); "score": mean + sd * x clamped to
  // [lo, hi]; "count": Poisson(mean * exp(dispersion * x - dispersion^2 / 2)).
  std::string transform = "linear";
  // Range of the reported value, values clamped into it; +-inf = unbounded
  // (linear without `range`; count without `range` has lo = 0, hi = inf).
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  double mean = 0.0;        // linear, score, count
  double sd = 1.0;          // linear, score
  double median = 0.5;      // rate
  double dispersion = 0.5;  // count: sd of the log of the Poisson rate
  double missing = 0.0;     // share of evaluees with no value (NaN), at random
  double ceiling = 0.0;     // share of evaluees (highest latent) at the best end of the range
};

// Monte Carlo over a composite's modelling choices (OECD/JRC practice):
// see sim/run/uncertainty.h and scenarios/README.md.
struct UncertaintySpec {
  std::string model;                        // [[models]] entry to vary; empty = off
  int draws = 0;                            // Monte Carlo draws
  double weight_concentration = 0.0;        // Dirichlet around the chosen weights; 0 = fixed
  std::vector<std::string> normalisations;  // drawn uniformly; empty = the entry's own
  std::vector<std::string> aggregations;    // drawn uniformly; empty = the entry's own
  std::vector<double> vote_weight;          // [lo, hi] drawn uniformly; empty = the entry's own
  std::vector<std::string> random_index;    // AHP random-index tables; empty = the entry's own
};

// The optional [sweep] table: the scenario knobs `evalsim sweep` varies
// (sim/experiments/sweep.h). `run` ignores it.
struct SweepSpec {
  // Each varied key path with its values as TOML value text (as --set takes).
  std::vector<std::pair<std::string, std::vector<std::string>>> vary;
  bool grid = true;  // every combination (true) or the i-th value of every key together
};

// The optional [periods] table: the appraisal repeated over `count` periods
// (quarters, years). Between periods every evaluee's true quality follows
//   q(t + 1) = persistence * q(t) + innovation * N(0, 1)
// and is replaced by a fresh draw N(0, quality_sd^2) with probability
// `turnover` (a new secretary); each rater keeps its leniency from one
// period to the next and draws a new one with probability `rater_redraw`.
// Each [[models]] entry runs its own history on the same random draws. See
// sim/experiments/periods.h and scenarios/README.md.
struct PeriodsSpec {
  int count = 0;  // 0 = no [periods]: one appraisal, as without the table
  double persistence = 1.0;
  double innovation = 0.0;
  double turnover = 0.0;
  double rater_redraw = 0.0;

  bool Active() const { return count > 0; }
};

// One [[actions]] table: what happens to an evaluee whose history of class
// labels meets a rule. It fires on an evaluee that got the label `when` in
// at least `times` of the last `window` periods (counting only the periods
// since the action last fired on it, and since its last replacement).
enum class ActionEffect { kReplace, kImprove, kLabel };

struct ActionSpec {
  std::string name;
  std::string when;  // the class (or escalation) label counted
  int times = 1;
  int window = 1;
  ActionEffect effect = ActionEffect::kReplace;
  double shift = 0.0;  // kImprove: added to the evaluee's true quality
  std::string label;   // kLabel: the escalation label added in this period
  double cost = 0.0;   // per firing, summed in actions.cost
};

struct ModelEntry {
  std::string name;     // label in outputs
  std::string model;    // registry name
  std::string preset;   // rubric preset it came from (empty if none)
  toml::table options;  // model parameters (the entry minus name/model/preset/classes)
  ClassRules classes;   // classes on top of scores (may be empty)
  // Which ballots a comparison or social-choice model reads in a run:
  // "comparisons" (the scenario's [comparisons] ballots) or "ratings"
  // (converted from the rating ballots). Empty = comparisons when the
  // scenario has them, else ratings.
  std::string from;
  std::string path;  // "models.<name>" for messages
};

struct Scenario {
  std::string file;  // path it was loaded from ("" for strings)
  std::string name;
  std::string description;
  uint64_t seed = 1;
  int replicates = 50;

  std::vector<std::string> labels;  // grades, lowest first
  std::vector<double> shares;       // target overall share of each grade

  std::vector<LevelSpec> levels;  // organisation levels, from the top
  int evaluee_level = 0;          // index into levels
  double quality_sd = 1.0;
  double quality_inherited = 0.0;
  std::vector<EvalueeTypeSpec> types;  // empty = one kind of evaluee, no type drawn
  int meeting_level = -1;              // index into levels, -1 = "all" (one meeting)
  MeetingRules meeting_rules;          // none set: every meeting counts as drawn

  std::vector<ScaleSpec> scales;  // [[scales]]: named scales of some rater groups
  std::vector<RaterGroupSpec> raters;
  std::vector<ItemSpec> items;  // empty = one grade per ballot
  std::vector<BlocSpec> blocs;
  std::vector<ModelEntry> models;
  ComparisonSpec comparisons;
  std::vector<IndicatorSpec> indicators;
  std::vector<Veto> vetoes;  // [[vetoes]], applied in every model's classes
  UncertaintySpec uncertainty;
  SweepSpec sweep;
  PeriodsSpec periods;              // [periods]; inactive when absent
  std::vector<ActionSpec> actions;  // [[actions]], in the order they are tried

  double quota = 0.15;   // top-class share for metrics: k = ceil(quota * n)
  double bottom = 0.05;  // bottom-tranche share for metrics

  // Whether some rater group grades on a [[scales]] entry of its own.
  bool GroupScales() const {
    for (const RaterGroupSpec& g : raters)
      if (g.scale >= 0) return true;
    return false;
  }
  // The largest number of grades of [scale] and the scales groups use.
  int MaxLevels() const {
    size_t k = labels.size();
    for (const RaterGroupSpec& g : raters)
      if (g.scale >= 0) k = std::max(k, scales[static_cast<size_t>(g.scale)].labels.size());
    return static_cast<int>(k);
  }

  toml::table resolved;  // the effective TOML (after overrides and presets)
  // What is valid but probably not meant (a scale written best first), one
  // located line each; the commands print them as warnings.
  std::vector<std::string> warnings;
};

// The [[models]] names a `--models a,b` filter keeps, in scenario order
// (every entry when `filter` is empty). InputError naming the entries when a
// name matches none.
std::vector<std::string> SelectedModels(const Scenario& s, const std::vector<std::string>& filter);
// Keeps only the named entries; an [uncertainty] analysis of a dropped
// entry is dropped with it.
void KeepModels(Scenario& s, const std::vector<std::string>& names);

// What a model's options are checked against: the scale's number of
// grades, the rater groups and the indicator names of `s`.
ModelContext ModelContextOf(const Scenario& s);
// What a classes table's names are checked against: the same, and the
// scopes (the levels above the evaluees and "meeting").
ClassContext ClassContextOf(const Scenario& s);

// Reads one [[models]] entry table outside a scenario (`evalsim score
// --preset`), with the presets, the classes and the model's checks of a
// scenario's entries, against `ctx` (the grades and rater groups of a ballot
// file); `file` names the source in messages. Throws InputError (every
// problem, one per line).
ModelEntry ReadModelEntry(const toml::table& entry, const ModelContext& ctx,
                          const std::string& file);

// Parses and validates. Throws InputError (every problem, one per line).
Scenario LoadScenario(const std::string& path, const std::vector<std::string>& overrides = {});
Scenario ParseScenario(std::string_view text, const std::string& file,
                       const std::vector<std::string>& overrides = {});

}  // namespace evalsim

#endif  // EVALSIM_SIM_SCENARIO_SCENARIO_H_
