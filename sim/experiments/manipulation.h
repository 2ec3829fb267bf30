// Manipulation cost (`evalsim manipulate`): how large a canvassing bloc it
// takes to buy an evaluee a better place under each rubric. A robust rubric
// has a high cost.
//
// Definitions (the contract of the command and of its output files)
//
//   Scope. One meeting (sim/simulate/organisation.h Meeting): a bloc can act only
//   inside its own meeting, so the meeting's ballots are scored alone.
//   ExtractMeeting copies them into their own RatingBallots: the meeting's
//   evaluees renumbered 0..m-1 (same order), its raters renumbered 0..R-1
//   (same order), the same groups, grade labels and group weights. Ranks and
//   the top class are within the meeting.
//
//   Bloc. A bloc of size b is b of the meeting's existing raters (R = the
//   meeting's raters, per-evaluee groups included) who change their ballots:
//   every ballot a member holds on the target (a valid grade or a blank)
//   becomes the top grade K-1; with `bury`, every ballot it holds on a rival
//   (blank included) becomes the bottom grade 0. Nobody casts a ballot he
//   did not hold: a rater who did not rate the target (coverage < 1, the
//   per-evaluee raters of other evaluees) can only bury. A rater whose
//   switch would change none of its ballots (it already gives the target the
//   top grade and, with bury, every rival the bottom grade) is not eligible:
//   adding it to a bloc changes nothing, so the smallest bloc never needs it.
//
//   Goal. `top` (default): the target's competition rank among the meeting's
//   m evaluees (ScoreResult score, then tiebreak; ties share the smaller rank)
//   is at most k = QuotaCount(quota, m), quota from the scenario's [metrics]
//   quota or --quota; so a tie at the boundary counts as in.
//   `positions=P` (P >= 1): the rank improves by at least P places, capped at
//   rank 1: the goal rank is max(1, rank_before - P).
//
//   Cost. The smallest b that reaches the goal, and the share b / R. A target
//   whose goal no bloc of eligible raters reaches is unbuyable (cost
//   infinite: an empty cell and buyable = 0). A target already at its goal
//   with honest ballots (rank <= k, or rank 1 for positions) costs 0; it is
//   counted apart ("already") and left out of the cost distribution.
//
// Search (per target and model; every fit is model.Score on the modified
// meeting ballots)
//
//   exact, when the eligible raters number at most `exact_max`: subsets in
//   order of increasing size (Gosper's hack over bit masks); the first size
//   with a success is the cost. At most 2^R fits.
//
//   greedy, otherwise: each eligible rater's single switch is scored by the
//   gain in the target's margin, margin = (score of the target - score of
//   the rival at the goal rank, tiebreak of the target - tiebreak of that
//   rival) compared lexicographically, where "the rival at the goal rank" is
//   the g-th best of the other evaluees (g = goal rank; order by score, then
//   tiebreak) recomputed on each fit: the target reaches rank <= g exactly
//   when that rival is not strictly better. Raters are sorted by decreasing
//   gain (ties by rater id), then switched one by one in that order, each
//   prefix b = 1..R fitted, until the goal is reached. R + up to R fits. The
//   greedy cost is the size of a bloc that works, so an upper bound on the
//   exact cost (unbuyable only if the whole eligible set fails).
//
// Ballots. Replicate 1 of the scenario without blocs (the honest votes):
// GenerateBallots(setup, 0, with_blocs = false). Only models reading ratings
// are searched; models on pairwise comparisons, rankings or indicators are
// skipped with a note. The goals top and positions use no class rules: the
// goal is the quota's top k of the score ranking.
//
// Class goals (`class=LABEL`, `escape=LABEL`). The goal is that the target
// gets the class LABEL (class) or any class but LABEL (escape) under the
// [[models]] entry's own `classes` and the scenario's [[vetoes]], assigned by
// AssignClasses (sim/rules/classes.h) exactly as a run assigns them. Entries
// without classes, or whose rules cannot give LABEL, are skipped with a note.
//   Universe. The model is fitted on the ballots of the smallest run of
//   whole meetings that holds the target's meeting and the target's unit of
//   the rules' scope (`within`): the meeting for "meeting" or a level inside
//   it, every meeting for "all" or with `quota_shift` (which compares every
//   unit's mean score). So a city-wide quota is scored against the whole
//   city, a per-county one against the county. The universe is cut from the
//   organisation like a meeting (ExtractMeeting); its unit columns, replicate
//   1's indicators and replicate 1's veto draws are cut to its evaluees.
//   Models whose parameters are shared by every meeting (rater or threshold
//   models) may score a universe smaller than the organisation slightly
//   differently from a run, which fits every evaluee at once.
//   Bloc. Only the target's meeting's raters (R = its raters) switch, as
//   above; with bury they give grade 0 to every rival they rated, which may
//   push a rival under a vote gate (a gated rival keeps its place in the
//   counts, so burying helps the target only through the rival's score).
//   Vetoes. A target struck by a veto whose label is not the goal cannot be
//   bought: an event veto is drawn whatever the votes, and an indicator veto
//   reads indicators, which a bloc does not change. Its row has method
//   `vetoed`, buyable = 0 and a note naming the veto.
//   Greedy margin. (target score - mean score of the other evaluees of the
//   target's scope unit in the universe, the same for the tiebreak),
//   lexicographic; raters are ordered by the gain of their single switch.
//   rank_before is the target's competition rank in the universe;
//   goal_rank is empty.
//
// Composites. An indicator model that also reads the rating ballots
// (ruian_points, and composite / topsis / grey_relational with a `vote`
// component) is searched for class goals, and for top and positions with
// `composites` (--composites; off by default so that earlier outputs stay
// the same): the bloc switches its ballots as above, so it moves whatever
// the model reads from them (the vote component; for ruian_points also the
// leader ranking when bloc members are leaders), and replicate 1's
// indicators, cut to the meeting or universe, are held fixed. Banded vote
// points (ruian_points) make a bloc worthless until the share it moves
// crosses a band edge. Other indicator models stay skipped.
//
// Targets. Every evaluee when the scenario has at most `sample` evaluees,
// else `sample` of them drawn without replacement from
// Rng(DeriveSeed(seed, {kStreamManipulation})) and sorted by evaluee index.
// Targets run in parallel; results are stored by target index, so every
// output is byte-identical whatever the thread count.
#ifndef EVALSIM_SIM_EXPERIMENTS_MANIPULATION_H_
#define EVALSIM_SIM_EXPERIMENTS_MANIPULATION_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "models/model.h"
#include "sim/core/ballots.h"
#include "sim/core/distribute.h"
#include "sim/core/indicators.h"
#include "sim/rules/classes.h"
#include "sim/rules/vetoes.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

namespace evalsim {

enum class ManipulationGoal { kTop, kPositions, kClass, kEscape };

struct ManipulationOptions {
  ManipulationGoal goal = ManipulationGoal::kTop;
  int positions = 1;        // goal kPositions: places to gain (>= 1)
  bool bury = false;        // bloc members also give every rival they rated grade 0
  int exact_max = 12;       // exact search up to this many eligible raters (0..kMaxExactRaters)
  double quota = 0.15;      // goal kTop: k = QuotaCount(quota, m)
  std::string label;        // goals kClass and kEscape: the class to get or to escape
  bool composites = false;  // goals kTop and kPositions: search composites too (see Composites)

  bool ClassGoal() const {
    return goal == ManipulationGoal::kClass || goal == ManipulationGoal::kEscape;
  }
};

// The exact search enumerates 2^R subsets: R is capped so that it ends.
inline constexpr int kMaxExactRaters = 24;

// Parses --goal: "top", "positions=P" (P a positive integer), "class=LABEL"
// or "escape=LABEL" (LABEL not empty). Throws InputError naming the flag and
// what was expected.
void ParseManipulationGoal(const std::string& text, ManipulationOptions* o);
// "top", "positions=P", "class=LABEL" or "escape=LABEL".
std::string ManipulationGoalName(const ManipulationOptions& o);

// The meeting's ballots alone (see Scope above).
RatingBallots ExtractMeeting(const RatingBallots& all, const Meeting& m);

struct ManipulationCost {
  int rank_before = 0;             // competition rank with honest ballots (1 = best)
  int goal_rank = 0;               // the rank to reach (k for top)
  int raters = 0;                  // R: raters in the meeting
  int eligible = 0;                // raters whose switch changes a ballot
  bool already = false;            // at the goal with honest ballots (cost 0)
  bool buyable = false;            // some bloc reaches the goal (always true when already)
  int cost = 0;                    // smallest bloc found (0 when already; unset when unbuyable)
  bool exact = false;              // exact search (true) or greedy (false); false when already
  int64_t fits = 0;                // model fits spent (the honest fit included)
  std::vector<std::string> notes;  // of the honest fit
  // Class goals only.
  std::string class_before;  // the class with honest ballots
  bool vetoed = false;       // struck by a veto that keeps it from the goal (no search)
  std::string note;          // why it cannot be bought (the veto)
};

// What a class goal is scored by besides the universe's ballots (see Class
// goals above); every pointer is into data that outlives the search.
struct ClassGoalContext {
  const ClassRules* rules = nullptr;
  std::span<const Veto> vetoes;
  const UnitColumns* units = nullptr;          // cut to the universe
  const IndicatorTable* indicators = nullptr;  // cut to the universe; null: none
  const VetoDraws* draws = nullptr;            // cut to the universe
  uint32_t first_rater = 0, num_raters = 0;    // the bloc's raters (universe ids)
};

// The cost of buying `target` (an evaluee of `ballots`, 0-based) its goal
// under `model`. `ballots` is modified during the search and restored before
// returning (same words, same order); the caller gives each worker its own
// copy. Never throws on degenerate input: one evaluee, no rater, all tied.
// `indicators` (rows = the ballots' evaluees, held fixed) are given to the
// model with the ballots: a composite reads them.
ManipulationCost FindManipulationCost(const Model& model, RatingBallots& ballots, int target,
                                      const ManipulationOptions& o,
                                      const IndicatorTable* indicators = nullptr);
// The same for a class goal: `ballots` are the universe's, `target` is its
// index there.
ManipulationCost FindClassManipulationCost(const Model& model, RatingBallots& ballots, int target,
                                           const ManipulationOptions& o,
                                           const ClassGoalContext& ctx);

// Target evaluees (global indices, increasing): all of them when n <= sample,
// else a seeded sample without replacement (see Targets above).
std::vector<int> ManipulationTargets(int n, int sample, uint64_t seed);

// The whole experiment on a scenario.
struct ManipulationConfig {
  ManipulationOptions options;
  int sample = 200;
  std::vector<std::string> models;  // [[models]] names to run; empty = every entry
  int threads = 0;                  // <= 0: every core
  bool progress = false;
  // The processes the targets are spread over (nullptr: this one). On the
  // others than 0, RunManipulation throws ShareDone once their targets'
  // rows are sent.
  Distribution* distribution = nullptr;
};

struct ManipulationRow {
  int meeting = 0;  // 0-based meeting index
  int evaluee = 0;  // global evaluee index
  ManipulationCost cost;
};

struct ManipulationModel {
  std::string name;                   // [[models]] label
  std::string model;                  // registry name
  bool skipped = false;               // not a ratings model
  std::vector<std::string> notes;     // why skipped, or the honest fits' notes (deduplicated)
  std::vector<ManipulationRow> rows;  // one per target, in target order
};

struct ManipulationResult {
  std::vector<int> targets;
  std::vector<ManipulationModel> models;
  int evaluees = 0, meetings = 0;
  int64_t fits = 0;
  uint64_t sample_seed = 0;
  int threads = 1;
  std::string goal;         // ManipulationGoalName
  bool class_goal = false;  // a class or escape goal (extra columns)
};

// Throws InputError naming the flag on an option out of range.
void CheckManipulationConfig(const ManipulationConfig& config);

// Throws InputError on bad options or an unknown model name, and
// InterruptedError when Interrupted() became true during the run.
ManipulationResult RunManipulation(const Scenario& s, const Organisation& org,
                                   const ManipulationConfig& config);

// manipulation.csv: one row per searched model and target, in scenario model
// order then target order:
//   model,meeting,ratee,true_quality,rank_before,goal_rank,raters,eligible,
//   cost,share,method,buyable
// meeting is 1-based; cost and share (cost / raters) are empty when the
// target is unbuyable (buyable = 0); method is exact, greedy, or already
// (at the goal with honest ballots: cost 0, no search). Class goals add three
// columns, goal,class_before,note (goal_rank is empty), and the method
// vetoed (see Class goals).
std::string ManipulationCsv(const Organisation& org, const ManipulationResult& r);
// manipulation_summary.csv: one row per searched model:
//   model,targets,already,searched,buyable_share,cost_p10,cost_median,
//   cost_mean,cost_p90,share_median,greedy_share
// searched = targets - already; buyable_share = buyable / searched (so the
// unbuyable share is 1 - buyable_share); the cost and share statistics are
// over the buyable searched targets (quantiles of type 7), empty when there
// is none; greedy_share = searched targets that needed the greedy search.
// Class goals add goal,vetoed (vetoed targets count as searched and
// unbuyable).
std::string ManipulationSummaryCsv(const ManipulationResult& r);
// The summary for stdout: one aligned line per model, scenario order
// (skipped models say so).
std::string ManipulationSummaryTable(const ManipulationResult& r);

}  // namespace evalsim

#endif  // EVALSIM_SIM_EXPERIMENTS_MANIPULATION_H_
