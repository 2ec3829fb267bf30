// Degenerate data over every registered model: each model, on each
// degenerate input below, either returns a finite score for every evaluee
// (no NaN or infinity in score, tiebreak or se) whose competition ranks agree
// with the scores, or throws InputError with a message. Anything else (a
// NaN, a wrong size, another exception) fails. The suite iterates over
// Models().Names(), so a newly registered model is covered without editing
// this file; each model receives the input of its own InputKind, built
// directly (comparisons, rankings, indicators) or converted from rating
// ballots the way a run converts them (sim/run/inputs.h).
//
// Cases (see Cases() for the data):
//   ratings, and everything converted from them:
//     all_identical, all_top   every ballot the same grade (converted: every
//                              comparison a tie, every order one tier)
//     one_rater, one_rater_flat, one_evaluee, two_evaluees, single_ballot
//     blank_evaluee            one evaluee receives only abstentions, one
//                              none at all; all_abstain: every ballot blank
//     weightless_group         every rater in a group of weight 0, the weight
//                              on a group without raters (also through the
//                              group_weights option)
//     zero_weights             every ballot on one evaluee weighs 0;
//                              all_zero_weight, tiny_weights
//     two_meetings             two disjoint sets of raters and evaluees
//     disjoint_raters, additive_exact, binary_extremes (K = 2)
//   comparisons (pairwise models get the comparisons, ranking models one
//   two-candidate order per comparison):
//     all_ties, all_ties_14, disconnected, never_wins, never_loses,
//     pair_once, chain, no_comparisons, one_candidate
//   indicators:
//     constant_column, one_nonzero, all_zero_column, all_zero,
//     constant_table, single_constant_column, two_units, one_unit,
//     missing_unit, missing_column, missing_cell, negative_column,
//     huge_values
// Each model runs with its default options and with the option variants in
// Variants() (other fits, normalisations, weightings).
//
// Checks beyond finiteness: where nothing tells the evaluees apart a model
// that does not depend on the order of its input gives every evaluee the
// same score and tiebreak; where some evaluee has no usable data (or, for a
// model that weights rater groups, only votes of weight-0 groups), the model
// says so in its notes. Each model's line of outcomes per case ("ok",
// "error" for InputError, "FAIL: ...") is printed.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "models/registry.h"
#include "sim/core/ballots.h"
#include "sim/core/comparisons.h"
#include "sim/core/errors.h"
#include "sim/core/indicators.h"
#include "sim/core/metrics.h"
#include "sim/run/inputs.h"
#include "tests/support/ballot_builder.h"

namespace evalsim {
namespace {

using testing_util::BallotRow;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const std::vector<std::string> kGroups = {"superior", "member"};
const std::vector<std::string> kIndicatorNames = {"superior_mean", "member_mean"};

// One comparison: winner beat loser, or a tie (then the order is irrelevant).
struct Comparison {
  uint32_t winner, loser;
  bool tie = false;
};

struct Case {
  std::string name;
  int n = 0;  // evaluees
  std::optional<RatingBallots> ratings;
  std::optional<PairwiseBallots> pairwise;
  std::optional<RankingBallots> rankings;
  std::optional<IndicatorTable> indicators;
  // Nothing tells the evaluees apart: a model that does not depend on the
  // order of its input must give them equal scores.
  bool symmetric = false;
  // Models of these kinds find an evaluee without usable data here and must
  // say what they did with it in their notes.
  std::vector<InputKind> note_kinds;
  // Models that weight rater groups must note what they did (the valid
  // votes come from groups of weight 0).
  bool note_if_grouped = false;
};

std::vector<std::string> Names(int n) {
  std::vector<std::string> names;
  for (int e = 0; e < n; ++e) names.push_back(fmt::format("e{}", e));
  return names;
}

RatingBallots Ratings(int n, const std::vector<BallotRow>& rows, bool weighted = false,
                      std::vector<double> group_weights = {0.3, 0.7}, int levels = 4) {
  testing_util::BallotOptions options;
  options.group_weights = std::move(group_weights);
  return testing_util::BuildBallots(n, kGroups, levels, rows, weighted, options);
}

// Each group's mean grade per evaluee (NaN where the group cast no valid
// vote), as conformance_test feeds indicator models from rating ballots.
IndicatorTable IndicatorsOf(const RatingBallots& b) {
  IndicatorTable t;
  t.ratee_names = b.ratee_names;
  t.names = kIndicatorNames;
  t.cost = {false, false};
  t.values.setConstant(b.NumRatees(), 2, kNaN);
  for (int e = 0; e < b.NumRatees(); ++e) {
    for (int g = 0; g < std::min(2, b.NumGroups()); ++g) {
      double sum = 0, count = 0;
      for (uint32_t w : b.SlotBallots(b.Slot(e, g))) {
        if (BallotGrade(w) == kAbstain) continue;
        sum += BallotGrade(w);
        count += 1;
      }
      if (count > 0) t.values(e, g) = sum / count;
    }
  }
  return t;
}

Case FromRatings(std::string name, RatingBallots b) {
  Case c;
  c.name = std::move(name);
  c.n = b.NumRatees();
  c.indicators = IndicatorsOf(b);
  c.ratings = std::move(b);
  return c;
}

// The comparisons as pairwise ballots (a tie is half a win each way) and as
// rankings (one order of the two candidates per comparison, which says
// nothing about the others).
Case FromComparisons(std::string name, int n, const std::vector<Comparison>& cs) {
  Case c;
  c.name = std::move(name);
  c.n = n;
  PairwiseBallots p;
  p.ratee_names = Names(n);
  RankingBuilder builder(Names(n));
  for (const Comparison& x : cs) {
    const uint32_t pair[2] = {x.winner, x.loser};
    if (x.tie) {
      p.seq_winner.insert(p.seq_winner.end(), {x.winner, x.loser});
      p.seq_loser.insert(p.seq_loser.end(), {x.loser, x.winner});
      p.seq_weight.insert(p.seq_weight.end(), {0.5f, 0.5f});
      const uint32_t tiers[2] = {0, 0};
      builder.Add(pair, tiers, 1.0);
    } else {
      p.seq_winner.push_back(x.winner);
      p.seq_loser.push_back(x.loser);
      p.seq_weight.push_back(1.0f);
      const uint32_t tiers[2] = {0, 1};
      builder.Add(pair, tiers, 1.0);
    }
  }
  AggregatePairwise(&p);
  p.CheckInvariants();
  RankingBallots r = builder.Finish();
  r.unranked_below = false;
  r.CheckInvariants();
  c.pairwise = std::move(p);
  c.rankings = std::move(r);
  return c;
}

Case FromIndicators(std::string name, const Eigen::MatrixXd& values) {
  Case c;
  c.name = std::move(name);
  c.n = static_cast<int>(values.rows());
  IndicatorTable t;
  t.ratee_names = Names(c.n);
  for (int j = 0; j < values.cols(); ++j) t.names.push_back(fmt::format("x{}", j));
  t.cost.assign(values.cols(), false);
  if (values.cols() > 1) t.cost[1] = true;  // one cost column exercises reflections
  t.values = values;
  c.indicators = std::move(t);
  return c;
}

std::vector<Case> Cases() {
  std::vector<Case> cases;

  // --- ratings -----------------------------------------------------------
  {
    std::vector<BallotRow> rows;
    for (uint32_t r = 0; r < 6; ++r)
      for (int e = 0; e < 4; ++e) rows.push_back({e, r < 2 ? 0 : 1, r, 2});
    Case c = FromRatings("all_identical", Ratings(4, rows));
    c.symmetric = true;
    cases.push_back(std::move(c));
  }
  {
    // Every rater gives the top grade: all extreme for a Rasch model.
    std::vector<BallotRow> rows;
    for (uint32_t r = 0; r < 5; ++r)
      for (int e = 0; e < 3; ++e) rows.push_back({e, 1, r, 3});
    Case c = FromRatings("all_top", Ratings(3, rows));
    c.symmetric = true;
    cases.push_back(std::move(c));
  }
  cases.push_back(FromRatings(
      "one_rater", Ratings(4, {{0, 1, 0, 3}, {1, 1, 0, 1}, {2, 1, 0, 0}, {3, 1, 0, 1}})));
  {
    std::vector<BallotRow> rows;
    for (uint32_t r = 0; r < 5; ++r) rows.push_back({0, r < 2 ? 0 : 1, r, uint8_t(r % 4)});
    cases.push_back(FromRatings("one_evaluee", Ratings(1, rows)));
  }
  {
    std::vector<BallotRow> rows;
    for (uint32_t r = 0; r < 5; ++r) {
      rows.push_back({0, r < 2 ? 0 : 1, r, uint8_t((r + 1) % 4)});
      rows.push_back({1, r < 2 ? 0 : 1, r, uint8_t((3 * r) % 4)});
    }
    cases.push_back(FromRatings("two_evaluees", Ratings(2, rows)));
  }
  {
    // Evaluee 1 receives only abstentions; evaluee 3 no ballot at all.
    std::vector<BallotRow> rows;
    for (uint32_t r = 0; r < 6; ++r) {
      const int g = r < 2 ? 0 : 1;
      rows.push_back({0, g, r, uint8_t((r * 7) % 4)});
      rows.push_back({1, g, r, kAbstain});
      rows.push_back({2, g, r, uint8_t((r * 5 + 1) % 4)});
    }
    Case c = FromRatings("blank_evaluee", Ratings(4, rows));
    c.note_kinds = {InputKind::kRatings, InputKind::kPairwise, InputKind::kRankings,
                    InputKind::kIndicators};
    cases.push_back(std::move(c));
  }
  {
    // Every rater is a "member", whose weight is 0; the weight is on
    // "superior", which has no rater.
    std::vector<BallotRow> rows;
    for (uint32_t r = 0; r < 5; ++r)
      for (int e = 0; e < 3; ++e) rows.push_back({e, 1, r, uint8_t((r + 2 * e) % 4)});
    Case c = FromRatings("weightless_group", Ratings(3, rows, false, {1.0, 0.0}));
    c.note_if_grouped = true;
    cases.push_back(std::move(c));
  }
  {
    // Every ballot on evaluee 1 weighs 0.
    std::vector<BallotRow> rows;
    for (uint32_t r = 0; r < 5; ++r) {
      const int g = r < 2 ? 0 : 1;
      rows.push_back({0, g, r, uint8_t((r + 1) % 4), 1.0f});
      rows.push_back({1, g, r, uint8_t((r * 3) % 4), 0.0f});
      rows.push_back({2, g, r, uint8_t((r + 3) % 4), 2.0f});
    }
    // Conversions to comparisons and indicators ignore ballot weights, so only
    // ratings models see an evaluee without usable data.
    Case c = FromRatings("zero_weights", Ratings(3, rows, true));
    c.note_kinds = {InputKind::kRatings};
    cases.push_back(std::move(c));
  }
  {
    // Ballot weights near the smallest normal float.
    std::vector<BallotRow> rows;
    for (uint32_t r = 0; r < 5; ++r)
      for (int e = 0; e < 3; ++e)
        rows.push_back({e, r < 2 ? 0 : 1, r, uint8_t((r + 2 * e) % 4), 1e-37f});
    cases.push_back(FromRatings("tiny_weights", Ratings(3, rows, true)));
  }
  {
    // Raters 0-2 rate evaluees 0-2, raters 3-5 evaluees 3-5.
    std::vector<BallotRow> rows;
    for (uint32_t r = 0; r < 6; ++r) {
      const int base = r < 3 ? 0 : 3;
      for (int e = 0; e < 3; ++e) rows.push_back({base + e, 1, r, uint8_t((r + e) % 4)});
    }
    Case c = FromRatings("two_meetings", Ratings(6, rows));
    cases.push_back(std::move(c));
  }

  {
    // Grades exactly additive in evaluee and rater (no error at all).
    std::vector<BallotRow> rows;
    for (uint32_t r = 0; r < 3; ++r)
      for (int e = 0; e < 2; ++e) rows.push_back({e, 1, r, uint8_t(e + r)});
    cases.push_back(FromRatings("additive_exact", Ratings(2, rows)));
  }
  {
    // The only valid ballot of the whole set.
    Case c = FromRatings("single_ballot",
                         Ratings(3, {{0, 1, 0, 2}, {1, 1, 0, kAbstain}, {2, 1, 0, kAbstain}}));
    c.note_kinds = {InputKind::kRatings, InputKind::kPairwise, InputKind::kRankings,
                    InputKind::kIndicators};
    cases.push_back(std::move(c));
  }
  {
    // Every ballot is blank.
    std::vector<BallotRow> rows;
    for (uint32_t r = 0; r < 4; ++r)
      for (int e = 0; e < 3; ++e) rows.push_back({e, r < 2 ? 0 : 1, r, kAbstain});
    Case c = FromRatings("all_abstain", Ratings(3, rows));
    c.symmetric = true;
    c.note_kinds = {InputKind::kRatings, InputKind::kPairwise, InputKind::kRankings,
                    InputKind::kIndicators};
    cases.push_back(std::move(c));
  }
  {
    // Every ballot weighs 0.
    std::vector<BallotRow> rows;
    for (uint32_t r = 0; r < 4; ++r)
      for (int e = 0; e < 3; ++e) rows.push_back({e, r < 2 ? 0 : 1, r, uint8_t((r + e) % 4), 0.0f});
    Case c = FromRatings("all_zero_weight", Ratings(3, rows, true));
    c.note_kinds = {InputKind::kRatings};
    cases.push_back(std::move(c));
  }
  {
    // Each rater rates one evaluee only: rater effects cannot be told apart
    // from the evaluees'.
    std::vector<BallotRow> rows;
    for (uint32_t r = 0; r < 6; ++r) rows.push_back({int(r % 3), 1, r, uint8_t((r * 5) % 4)});
    cases.push_back(FromRatings("disjoint_raters", Ratings(3, rows)));
  }
  {
    // One rater who gives everybody the same grade.
    Case c = FromRatings("one_rater_flat", Ratings(3, {{0, 0, 0, 1}, {1, 0, 0, 1}, {2, 0, 0, 1}}));
    c.symmetric = true;
    cases.push_back(std::move(c));
  }
  {
    // Two grades: evaluee 0 always gets the top grade, evaluee 1 always the
    // bottom one, evaluee 2 both (extreme scores at both ends).
    std::vector<BallotRow> rows;
    for (uint32_t r = 0; r < 4; ++r) {
      rows.push_back({0, 1, r, 1});
      rows.push_back({1, 1, r, 0});
      rows.push_back({2, 1, r, uint8_t(r % 2)});
    }
    cases.push_back(FromRatings("binary_extremes", Ratings(3, rows, false, {0.3, 0.7}, 2)));
  }

  // --- comparisons -------------------------------------------------------
  // Every pair of n evaluees compared once, as a tie.
  const auto all_ties = [](const std::string& name, uint32_t n) {
    std::vector<Comparison> cs;
    for (uint32_t i = 0; i < n; ++i)
      for (uint32_t j = i + 1; j < n; ++j) cs.push_back({i, j, true});
    Case c = FromComparisons(name, static_cast<int>(n), cs);
    c.symmetric = true;
    return c;
  };
  cases.push_back(all_ties("all_ties", 4));
  {
    // Two 3-cycles, each with one extra win, and no comparison across.
    Case c = FromComparisons("disconnected", 6,
                             {{0, 1}, {1, 2}, {2, 0}, {0, 1}, {3, 4}, {4, 5}, {5, 3}, {5, 4}});
    cases.push_back(std::move(c));
  }
  {
    // Evaluee 3 loses every comparison (the MLE sends it to -infinity).
    Case c =
        FromComparisons("never_wins", 4, {{0, 1}, {1, 2}, {2, 0}, {0, 3}, {1, 3}, {2, 3}, {2, 3}});
    cases.push_back(std::move(c));
  }
  {
    // Evaluee 0 wins every comparison (+infinity).
    Case c = FromComparisons("never_loses", 4, {{1, 2}, {2, 3}, {3, 1}, {0, 1}, {0, 2}, {0, 3}});
    cases.push_back(std::move(c));
  }
  // Above kemeny's default exact_max, so its local search runs.
  cases.push_back(all_ties("all_ties_14", 14));
  cases.push_back(FromComparisons("pair_once", 2, {{1, 0}}));
  // A strict chain, each neighbour pair compared once: every estimate of a
  // strength model diverges.
  cases.push_back(FromComparisons("chain", 5, {{0, 1}, {1, 2}, {2, 3}, {3, 4}}));
  cases.push_back(FromComparisons("one_candidate", 1, {}));
  {
    Case c = FromComparisons("no_comparisons", 3, {});
    c.symmetric = true;
    c.note_kinds = {InputKind::kPairwise, InputKind::kRankings};
    cases.push_back(std::move(c));
  }

  // --- indicators --------------------------------------------------------
  {
    Eigen::MatrixXd x(4, 3);
    x << 1, 5, 7, 2, 5, 3, 3, 5, 9, 4, 5, 1;
    cases.push_back(FromIndicators("constant_column", x));
  }
  {
    Eigen::MatrixXd x(4, 3);
    x << 0, 2, 1, 0, 4, 2, 3, 1, 5, 0, 3, 4;
    cases.push_back(FromIndicators("one_nonzero", x));
  }
  {
    Eigen::MatrixXd x(4, 3);
    x << 0, 2, 1, 0, 4, 2, 0, 1, 5, 0, 3, 4;
    cases.push_back(FromIndicators("all_zero_column", x));
  }
  {
    Case c = FromIndicators("all_zero", Eigen::MatrixXd::Zero(4, 3));
    c.symmetric = true;
    cases.push_back(std::move(c));
  }
  {
    Case c = FromIndicators("constant_table", Eigen::MatrixXd::Constant(4, 3, 2.5));
    c.symmetric = true;
    cases.push_back(std::move(c));
  }
  {
    Eigen::MatrixXd x(2, 3);
    x << 1, 3, 2, 4, 1, 2;
    cases.push_back(FromIndicators("two_units", x));
  }
  {
    Eigen::MatrixXd x(1, 3);
    x << 1, 3, 2;
    cases.push_back(FromIndicators("one_unit", x));
  }
  {
    Eigen::MatrixXd x(4, 3);
    x << 1, kNaN, 2, 2, kNaN, 1, 4, kNaN, 2, 3, kNaN, 5;
    cases.push_back(FromIndicators("missing_column", x));
  }
  {
    // Values whose squares overflow a double.
    Eigen::MatrixXd x(4, 3);
    x << 1e200, 3, 2, 3e200, 2, 1, 2e200, 1, 2, 5e200, 2, 5;
    cases.push_back(FromIndicators("huge_values", x));
  }
  {
    // Unit 1 lacks the first indicator only.
    Eigen::MatrixXd x(4, 3);
    x << 1, 3, 2, kNaN, 2, 1, 4, 1, 2, 2, 2, 5;
    cases.push_back(FromIndicators("missing_cell", x));
  }
  {
    Eigen::MatrixXd x(4, 3);
    x << -1, 3, 2, -4, 2, 1, 0, 1, 2, -2, 2, 5;
    cases.push_back(FromIndicators("negative_column", x));
  }
  {
    Case c = FromIndicators("single_constant_column", Eigen::MatrixXd::Constant(3, 1, 7.0));
    c.symmetric = true;
    cases.push_back(std::move(c));
  }
  {
    Eigen::MatrixXd x(4, 3);
    x << 1, 3, 2, kNaN, kNaN, kNaN, 4, 1, 2, 2, 2, 5;
    Case c = FromIndicators("missing_unit", x);
    c.note_kinds = {InputKind::kIndicators};
    cases.push_back(std::move(c));
  }
  return cases;
}

// The model's input for a case, or nullopt when the case has no data of the
// model's kind (indicator cases for a ratings model, say).
struct Prepared {
  Prepared(const Case& c, InputKind kind) {
    InputSources src;
    if (c.ratings) src.ratings = &*c.ratings;
    if (c.pairwise) src.pairwise = &*c.pairwise;
    if (c.rankings) src.rankings = &*c.rankings;
    if (c.indicators) src.indicators = &*c.indicators;
    switch (kind) {
      case InputKind::kRatings:
        applies = c.ratings.has_value();
        break;
      case InputKind::kPairwise:
      case InputKind::kRankings:
        applies = c.ratings || c.pairwise;
        break;
      case InputKind::kIndicators:
        applies = c.indicators.has_value();
        break;
    }
    set.emplace(src);
  }
  bool applies = false;
  std::optional<InputSet> set;
};

ModelContext ContextOf(const Case& c) {
  if (c.indicators) return {4, kGroups, c.indicators->names};
  return {4, kGroups, kIndicatorNames};
}

// Option sets each model runs with: the defaults, plus variants that take
// other code paths on degenerate data (other fits, normalisations and
// weightings). Every model gets the defaults without being listed here.
std::vector<std::string> Variants(const ModelSpec& spec) {
  static const std::map<std::string, std::vector<std::string>> extra = {
      {"trimmed_mean", {"trim_share = 0.2", "min_votes = 0"}},
      {"zscore_mean", {"points = [0, 60, 80, 100]", "min_ballots = 1"}},
      {"bayes_shrink", {"estimator = \"moments\""}},
      {"rater_adjusted", {"points = [0, 60, 80, 100]"}},
      {"mixed_effects", {"points = [0, 60, 80, 100]"}},
      {"bradley_terry",
       {"method = \"newton\"", "acceleration = \"none\"", "prior = 1", "se = \"diagonal\""}},
      {"rank_centrality", {"score = \"probability\"", "epsilon = 1"}},
      {"hodgerank", {"flow = \"difference\""}},
      {"elo", {"shuffle = 3"}},
      {"borda", {"unranked = \"zero\""}},
      {"copeland", {"tie_score = 0"}},
      {"schulze", {"strength = \"margin\""}},
      {"kemeny", {"exact_max = 0"}},
      {"composite",
       {"normalise = \"vector\"", "normalise = \"zscore\"", "normalise = \"rank\"",
        "normalise = \"distance_to_best\"", "weighting = \"entropy\"", "weighting = \"critic\"",
        "weighting = \"entropy\"\nentropy = \"minmax\"", "weighting = \"combined\"",
        "aggregation = \"geometric\"", "vote = { model = \"weighted_mean\", weight = 0.3 }",
        "weights = [1, 0, 0]"}},
      {"topsis",
       {"normalise = \"minmax\"", "normalise = \"zscore\"", "weighting = \"entropy\"",
        "weighting = \"critic\"", "weights = [1, 0, 0]"}},
      {"grey_relational",
       {"normalise = \"vector\"", "normalise = \"zscore\"", "weighting = \"entropy\"",
        "weighting = \"critic\"", "rho = 1", "weights = [1, 0, 0]"}},
  };
  std::vector<std::string> out = {""};
  if (auto it = extra.find(spec.name); it != extra.end())
    out.insert(out.end(), it->second.begin(), it->second.end());
  // Models that weight rater groups also run with the weight given by option
  // to a group that cast no ballot in the weightless_group case.
  for (const ParamDoc& p : spec.params)
    if (p.name == "group_weights") out.push_back("group_weights = { superior = 1 }");
  return out;
}

std::unique_ptr<Model> Create(const std::string& name, const std::string& options,
                              const ModelContext& ctx) {
  const toml::table table = toml::parse(std::string_view(options), std::string_view("test.toml"));
  return Models().Create(name, table, ctx, "test.toml", "models.x");
}

// What is wrong with result `r` of a model on case `c` (empty: nothing):
// scores, tiebreak, se and rater values must be finite, ranks must agree with
// (score, tiebreak), indistinguishable evaluees must tie, and a note must say
// what happened where the case demands one. `grouped`: the model weights
// rater groups; `order_dependent`: its scores may depend on input order.
std::vector<std::string> Problems(const ScoreResult& r, const Case& c, InputKind kind,
                                  bool order_dependent, bool grouped) {
  const int n = c.n;
  std::vector<std::string> out;
  if (r.score.size() != n) return {fmt::format("{} scores for {} evaluees", r.score.size(), n)};
  if (!r.score.allFinite())
    out.push_back(fmt::format("score not finite: {}", fmt::join(r.score, " ")));
  const bool has_tb = r.tiebreak.size() == n;
  if (r.tiebreak.size() != 0 && !has_tb) out.push_back("tiebreak has the wrong size");
  if (!r.tiebreak.allFinite())
    out.push_back(fmt::format("tiebreak not finite: {}", fmt::join(r.tiebreak, " ")));
  if (r.se.size() != 0 && r.se.size() != n) out.push_back("se has the wrong size");
  if (!r.se.allFinite() || (r.se.array() < 0.0).any())
    out.push_back(fmt::format("se not finite and non-negative: {}", fmt::join(r.se, " ")));
  for (const auto& [name, values] : r.rater_values)
    if (!values.allFinite())
      out.push_back(fmt::format("rater value {} not finite: {}", name, fmt::join(values, " ")));
  if (!out.empty()) return out;

  // Ranks agree with (score, tiebreak): a better pair ranks strictly ahead,
  // and equal pairs share a rank.
  const std::vector<int> rank = CompetitionRanks(r.score, r.tiebreak);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const double ti = has_tb ? r.tiebreak[i] : 0.0, tj = has_tb ? r.tiebreak[j] : 0.0;
      const bool better = r.score[i] > r.score[j] || (r.score[i] == r.score[j] && ti > tj);
      const bool equal = r.score[i] == r.score[j] && ti == tj;
      if (better && !(rank[i] < rank[j]))
        out.push_back(fmt::format("e{} beats e{} but ranks {} against {}", i, j, rank[i], rank[j]));
      if (equal && rank[i] != rank[j])
        out.push_back(fmt::format("e{} and e{} tie but rank {} and {}", i, j, rank[i], rank[j]));
    }
  }

  if (c.symmetric && !order_dependent && n > 0) {
    const double scale = 1.0 + r.score.cwiseAbs().maxCoeff();
    if (r.score.maxCoeff() - r.score.minCoeff() > 1e-9 * scale)
      out.push_back(
          fmt::format("indistinguishable evaluees score apart: {}", fmt::join(r.score, " ")));
    if (has_tb && r.tiebreak.maxCoeff() - r.tiebreak.minCoeff() > 1e-9 * scale)
      out.push_back(
          fmt::format("indistinguishable evaluees tiebreak apart: {}", fmt::join(r.tiebreak, " ")));
  }
  const bool note_due =
      std::ranges::find(c.note_kinds, kind) != c.note_kinds.end() || (grouped && c.note_if_grouped);
  if (note_due && r.notes.empty()) out.push_back("no note says what happened");
  return out;
}

bool WeightsGroups(const ModelSpec& spec) {
  return std::ranges::any_of(spec.params,
                             [](const ParamDoc& p) { return p.name == "group_weights"; });
}

// Scores on a worker thread. A model that hangs on degenerate data would
// otherwise stall the whole suite until the test runner's timeout, without
// saying where: after kDeadline the process aborts naming the model and case
// (a hung thread cannot be stopped). Exceptions reach the caller.
constexpr std::chrono::seconds kDeadline{60};

ScoreResult ScoreWithDeadline(const Model& model, const ModelInput& input,
                              const std::string& what) {
  std::promise<ScoreResult> promise;
  std::future<ScoreResult> future = promise.get_future();
  std::thread worker([&] {
    try {
      promise.set_value(model.Score(input));
    } catch (...) {
      promise.set_exception(std::current_exception());
    }
  });
  if (future.wait_for(kDeadline) == std::future_status::timeout) {
    std::fprintf(stderr, "%s: Score() did not return within %lld s\n", what.c_str(),
                 static_cast<long long>(kDeadline.count()));
    std::fflush(stderr);
    std::abort();
  }
  worker.join();
  return future.get();
}

// "ok", "error" (InputError) or "FAIL: <first problem>": the outcome of one
// model on one case with one option set. Problems are reported through gtest.
std::string Check(const ModelSpec& spec, const std::string& options, const Case& c) {
  SCOPED_TRACE(fmt::format("{} [{}] on {}", spec.name, options, c.name));
  Prepared prepared(c, spec.input);
  ScoreResult r;
  try {
    const std::unique_ptr<Model> model = Create(spec.name, options, ContextOf(c));
    r = ScoreWithDeadline(*model, prepared.set->For(spec.input, false, spec.name),
                          fmt::format("{} [{}] on {}", spec.name, options, c.name));
  } catch (const InputError& e) {
    EXPECT_GT(std::string(e.what()).size(), 10u) << "an InputError needs a clear message";
    return "error";
  }
  const std::vector<std::string> problems =
      Problems(r, c, spec.input, spec.order_dependent, WeightsGroups(spec));
  for (const std::string& p : problems) ADD_FAILURE() << p;
  return problems.empty() ? "ok" : "FAIL: " + problems.front();
}

class DegenerateTest : public testing::TestWithParam<std::string> {};

TEST_P(DegenerateTest, FiniteScoresOrInputError) {
  const ModelSpec& spec = *Models().Find(GetParam());
  const std::vector<Case> cases = Cases();
  std::string line = spec.name + ":";
  for (const std::string& options : Variants(spec)) {
    if (!options.empty()) line += fmt::format("\n  [{}]", options);
    for (const Case& c : cases) {
      if (!Prepared(c, spec.input).applies) continue;
      // The group_weights option variant is about the weightless group only.
      if (options.starts_with("group_weights") && c.name != "weightless_group") continue;
      const std::string outcome = Check(spec, options, c);
      line += fmt::format(" {}={}", c.name, outcome);
    }
  }
  std::printf("%s\n", line.c_str());
}

// The checks catch what they are meant to: a NaN or infinite score, tiebreak
// or se, a wrong size, ranks that disagree, indistinguishable evaluees scored
// apart, a missing note; and a clean result passes.
TEST(DegenerateChecks, CatchBrokenResults) {
  Case c;
  c.name = "probe";
  c.n = 3;
  ScoreResult good;
  good.score = Eigen::Vector3d(1.0, 2.0, 2.0);
  good.tiebreak = Eigen::Vector3d(0.0, 1.0, 0.0);
  good.se = Eigen::Vector3d(0.1, 0.1, 0.1);
  EXPECT_TRUE(Problems(good, c, InputKind::kRatings, false, false).empty());

  const double inf = std::numeric_limits<double>::infinity();
  auto broken = [&](auto mutate) {
    ScoreResult r = good;
    mutate(r);
    return Problems(r, c, InputKind::kRatings, false, false);
  };
  EXPECT_FALSE(broken([](ScoreResult& r) { r.score[1] = kNaN; }).empty());
  EXPECT_FALSE(broken([&](ScoreResult& r) { r.score[0] = -inf; }).empty());
  EXPECT_FALSE(broken([](ScoreResult& r) { r.tiebreak[2] = kNaN; }).empty());
  EXPECT_FALSE(broken([&](ScoreResult& r) { r.se[0] = inf; }).empty());
  EXPECT_FALSE(broken([](ScoreResult& r) { r.se[0] = -1.0; }).empty());
  EXPECT_FALSE(broken([](ScoreResult& r) { r.score.resize(2); }).empty());
  EXPECT_FALSE(broken([](ScoreResult& r) {
                 r.rater_values.push_back({"severity", Eigen::Vector2d(0.0, kNaN)});
               }).empty());

  Case same = c;
  same.symmetric = true;
  EXPECT_FALSE(Problems(good, same, InputKind::kRatings, false, false).empty());
  EXPECT_TRUE(Problems(good, same, InputKind::kRatings, true, false).empty());
  ScoreResult flat = good;
  flat.score.setConstant(2.0);
  flat.tiebreak.resize(0);
  EXPECT_TRUE(Problems(flat, same, InputKind::kRatings, false, false).empty());

  Case noted = c;
  noted.note_kinds = {InputKind::kPairwise};
  EXPECT_FALSE(Problems(good, noted, InputKind::kPairwise, false, false).empty());
  EXPECT_TRUE(Problems(good, noted, InputKind::kRatings, false, false).empty());
  ScoreResult with_note = good;
  with_note.notes.push_back("something happened");
  EXPECT_TRUE(Problems(with_note, noted, InputKind::kPairwise, false, false).empty());
  Case grouped = c;
  grouped.note_if_grouped = true;
  EXPECT_FALSE(Problems(good, grouped, InputKind::kRatings, false, true).empty());
  EXPECT_TRUE(Problems(good, grouped, InputKind::kRatings, false, false).empty());
}

// The case list covers every input kind, so a model of any kind meets some
// cases (a new kind without cases would silently test nothing).
TEST(DegenerateCases, EveryInputKindHasCases) {
  const std::vector<Case> cases = Cases();
  for (InputKind kind :
       {InputKind::kRatings, InputKind::kPairwise, InputKind::kRankings, InputKind::kIndicators}) {
    int count = 0;
    for (const Case& c : cases) count += Prepared(c, kind).applies ? 1 : 0;
    EXPECT_GE(count, 5) << InputKindName(kind);
  }
}

std::string ParamName(const testing::TestParamInfo<std::string>& info) { return info.param; }

INSTANTIATE_TEST_SUITE_P(AllModels, DegenerateTest, testing::ValuesIn(Models().Names()), ParamName);

}  // namespace
}  // namespace evalsim
