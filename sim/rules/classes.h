// Classes (grades of the result, e.g. 优秀 / 称职 / 不称职) on top of scores:
// score bands, a top quota with its hard cap, fixed slots, a bottom tranche,
// gates on vote shares or indicators, and vetoes (sim/rules/vetoes.h).
//
// Quotas, caps, slots and tranches count within each unit of the scope
// `within` (a level of the organisation above the evaluees, "meeting", or
// "all"): k = QuotaCount(share, n_u), n_u the unit's evaluees, vetoed ones
// included. Order of application:
//   0. vetoes: an evaluee struck by a veto takes no place in any quota,
//      slot or tranche (the place goes to the next in line) and ends with
//      the first striking veto's label, whatever else applies;
//   1. band by score (first band whose `min` the score reaches; the last band
//      may omit `min`), or `default_label` when there are no bands;
//   2. top quota and cap: the top class (first band's label, or `top_label`
//      when there are no bands) is kept only by the first k of the unit
//      (ties at the boundary: `ties`), never more than the cap's count (ties
//      broken by the model's order); the others fall to the next band (or
//      `default_label`). `quota_shift` moves the quota share of the best and
//      worst units (by their evaluees' mean score) up and down;
//   3. slots: the first `count` of each unit get the first slot's label, the
//      next ones the second slot's, and so on;
//   4. bottom tranche: the last ceil(bottom_share * n_u) of the unit get
//      `bottom_label`;
//   5. gates override steps 1-4: an evaluee whose share of votes in `grades`
//      (pooled, or of one rater `group`) or whose indicator value is above
//      `above` (or below `below`) gets the gate's label; the first gate that
//      matches decides, so list the most severe first. A gated evaluee keeps
//      its place in the counts (its place is lost, not passed on).
//   6. linked levels (`parent`): every unit of a level above the evaluees
//      gets a score, the mean (or median) of its evaluees' finite scores,
//      and a class by the parent's own rules (steps 1-4 on the vector of
//      unit scores, all units in one scope); then `cap` moves every evaluee
//      whose class is better than its unit's class allows down to the best
//      allowed class. "Better" is the order of the ladder: slots, the top
//      label (without bands), bands, the default label, the bottom label;
//      gate and veto labels are never moved. The places freed are lost, not
//      passed on.
//
// "The model's order" is best first by competition rank, equal ranks in
// evaluee order (the order of SortKey).
#ifndef EVALSIM_SIM_RULES_CLASSES_H_
#define EVALSIM_SIM_RULES_CLASSES_H_

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/ballots.h"
#include "sim/core/indicators.h"
#include "sim/core/options.h"
#include "sim/rules/vetoes.h"

namespace evalsim {

struct SlotCounts;  // models/model.h

struct Band {
  std::optional<double> min;  // score >= min; absent for the last band
  std::string label;
};

// A gate on votes (`grades`, pooled over rater groups or of one `group`) or
// on an indicator's value (`indicator`).
struct Gate {
  std::vector<int64_t> grades;  // a vote gate's grades
  std::string group;            // a vote gate's rater group; empty = every group pooled
  std::string indicator;        // an indicator gate's indicator; empty = a vote gate
  std::optional<double> above;  // value > above
  std::optional<double> below;  // value < below
  std::string label;
};

// A fixed number of places per unit of the scope (e.g. one 红岩先锋 per
// branch), filled in list order down the model's order.
struct Slot {
  std::string label;
  int64_t count = 0;
};

// What happens at a quota, slot or tranche boundary that cuts a tie group:
// the whole group gets the better class (kInclude), or the model's order
// breaks the tie so that exactly k get the class (kBreak).
enum class TieRule { kInclude, kBreak };

inline constexpr std::string_view kScopeAll = "all";
inline constexpr std::string_view kScopeMeeting = "meeting";

struct LinkedClasses;

struct ClassRules {
  std::vector<Band> bands;
  std::vector<Gate> gates;
  std::vector<Slot> slots;
  std::optional<double> top_quota;     // norm of the top class
  std::optional<double> top_cap;       // hard cap of the top class
  std::optional<double> bottom_share;  // bottom tranche
  std::string within = std::string(kScopeAll);
  TieRule ties = TieRule::kInclude;
  // The top_quota share of the `shift_units` units with the best mean score
  // rises by quota_shift, that of the worst as many falls by it.
  std::optional<double> quota_shift;
  int shift_units = 3;
  std::string top_label = "top";
  std::string bottom_label = "bottom";
  std::string default_label = "-";
  // Linked levels (step 6); null without a `parent` table.
  std::shared_ptr<const LinkedClasses> parent;

  bool Empty() const {
    return bands.empty() && gates.empty() && slots.empty() && !top_quota && !top_cap &&
           !bottom_share && !parent;
  }
  bool LimitsTop() const { return top_quota || top_cap; }
  bool Scoped() const { return within != kScopeAll; }
  // The label of the top class (the first slot's, else the first band's,
  // else top_label), and the labels that count as "bottom" for metrics
  // (bottom_label and every gate label).
  std::string TopLabel() const;
  bool IsBottomLabel(const std::string& label) const;
};

// How a parent unit's score comes from its evaluees' scores.
enum class ParentScore { kMean, kMedian };

// `cap`: an evaluee whose unit has the class `parent_label` gets no class
// better than `best_label`.
struct ClassCap {
  std::string parent_label;
  std::string best_label;
};

// The `parent` table of a classes table and its `cap`.
struct LinkedClasses {
  std::string level;  // a level above the evaluees
  ParentScore score = ParentScore::kMean;
  ClassRules rules;  // the units' classes: bands, quotas, slots, bottom tranche
  std::vector<ClassCap> cap;
};

// The labels of the ladder of `rules` (best first; see step 6), the ones a
// cap may name and move.
std::vector<std::string> LadderLabels(const ClassRules& rules);

// What a classes table's names are checked against.
struct ClassContext {
  int levels = 0;                       // grades of the scale
  std::vector<std::string> scopes;      // valid `within` values besides "all"
  std::vector<std::string> groups;      // rater groups
  std::vector<std::string> indicators;  // indicator names
};

// Reads a `classes` table.
ClassRules ReadClassRules(OptionReader& opts, const ClassContext& ctx);

// The organisation units of every evaluee: one column per scope name (a level
// above the evaluees, or "meeting"), each holding a dense unit index
// (0-based) per evaluee.
struct UnitColumns {
  std::vector<std::string> names;
  std::vector<std::vector<int>> unit;  // [column][evaluee]

  const std::vector<int>* Find(std::string_view name) const;
};

// Everything class assignment reads besides the rules, as plain data. The
// pointers the rules do not need may be null.
struct ClassInputs {
  const Eigen::VectorXd* score = nullptr;      // required
  const std::vector<int>* rank = nullptr;      // required: competition ranks, 1 = best
  const RatingBallots* ballots = nullptr;      // vote gates
  const SlotCounts* slot_counts = nullptr;     // the ballots' grade counts, when made (vote gates)
  const UnitColumns* units = nullptr;          // a scope other than "all"
  const IndicatorTable* indicators = nullptr;  // indicator gates and vetoes (rows = evaluees)
  const VetoDraws* veto_draws = nullptr;       // event vetoes
};

struct ClassOutcome {
  std::vector<int> cls;             // per evaluee: index into labels
  std::vector<std::string> labels;  // the labels the rules can give, in rule order
  std::vector<int> veto;            // per evaluee: the veto that struck (index), -1 = none
  // With a parent level (step 6): per unit of the level, its score and its
  // class (index into parent_labels); per evaluee, 1 when the cap moved it
  // down. Empty without one.
  std::vector<double> parent_score;
  std::vector<int> parent_cls;
  std::vector<std::string> parent_labels;
  std::vector<uint8_t> capped;
};

// What `in` lacks for `rules` and `vetoes` (a unit column, a rater group, an
// indicator, event draws), one message each; empty when complete.
std::vector<std::string> MissingClassInputs(const ClassRules& rules, std::span<const Veto> vetoes,
                                            const ClassInputs& in);

// The labels `rules` and `vetoes` can give, in rule order (the `labels` of
// every ClassOutcome they produce).
std::vector<std::string> ClassLabels(const ClassRules& rules, std::span<const Veto> vetoes);

// The classes of every evaluee. `in` must be complete (MissingClassInputs).
ClassOutcome AssignClasses(const ClassRules& rules, std::span<const Veto> vetoes,
                           const ClassInputs& in);

}  // namespace evalsim

#endif  // EVALSIM_SIM_RULES_CLASSES_H_
