// Scoring a real tally (a ratings file of this year's ballots) by the rules
// of a scenario's [[models]] entry or of a rubric preset, as `evalsim score
// --scenario FILE --model ENTRY` and `evalsim score --preset NAME` do:
//
//   - the scale: the number of grades K comes from `levels`, the scenario's
//     [scale] or the data, in that order; with a scale the file's `grade`
//     may be written as the scale's labels (lowest first, like the grades);
//   - the rater groups: the file's `group` column names the scenario's
//     [[raters]] groups, and the ballots are laid out in the scenario's group
//     order with its group weights, so an entry's `group_weights` and the
//     groups' default weights mean what they mean in a run;
//   - the classes: the entry's or preset's `classes`, assigned by the same
//     rule function as a run's (sim/rules/classes.h), from this one place.
//
// No silent garbage: when K comes from the data, a grade between the lowest
// and the highest used that never occurs (a stray 5 in a 4-grade file) is
// refused, naming the first row with the highest grade.
#ifndef EVALSIM_SIM_RUN_TALLY_H_
#define EVALSIM_SIM_RUN_TALLY_H_

#include <toml++/toml.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/model.h"
#include "sim/core/ballots.h"
#include "sim/rules/classes.h"
#include "sim/rules/vetoes.h"
#include "sim/scenario/scenario.h"

namespace evalsim {

// The [[models]] entry of `s` named `name`; InputError listing the entries
// when there is none.
const ModelEntry& FindModelEntry(const Scenario& s, const std::string& name);

// The entry a rubric preset makes with the keys of `own` (parameters,
// `classes`) over the preset's, exactly as `preset = "NAME"` in a scenario
// reads it, for ballots with `ctx`'s grades and groups. InputError naming
// `where` (e.g. "--set") for an unknown preset or a bad key. `own` is taken
// by value: its values keep their source (a --set argument) for messages.
ModelEntry PresetEntry(const std::string& preset, toml::table own, const ModelContext& ctx,
                       const std::string& where);

// Lays `b` out in the scenario's rater groups (their order and weights).
// Every group of the file must be one of them; a file without a `group`
// column is accepted only when the scenario has one group. InputError naming
// `file` and the first row of an unknown group otherwise.
void UseScenarioGroups(const Scenario& s, const std::string& file, RatingBallots& b);

// When the number of grades came from the data (no `levels`, no scale):
// InputError "FILE:LINE: ..." when a grade between the lowest and the highest
// used never occurs, LINE being the first row with the highest grade.
// `on_disk` false: `file` only names ballots held in memory (no line is
// looked up).
void CheckGradesUsed(const RatingBallots& b, const std::string& file, bool on_disk = true);

// The classes of a scored tally: a label per ratee.
struct TallyClasses {
  std::vector<int> index;           // per ratee, into labels
  std::vector<std::string> labels;  // the labels the rules can give, in rule order

  bool Empty() const { return index.empty(); }
  std::vector<std::string> PerRatee() const;
};

// What a ballot file lacks for scoped rules and vetoes, from a units file
// (`score --units FILE`): a `ratee` column, then any of the scenario's scopes
// (a level above the evaluees, or "meeting") naming each ratee's unit, and
// optionally `vetoes`, the event vetoes of the scenario that struck the
// ratee this year, separated by ";". Every ratee of the ballots appears once.
struct TallyUnits {
  UnitColumns units;
  std::vector<Veto> vetoes;  // the scenario's event vetoes, with a `vetoes` column
  VetoDraws draws;           // per veto of `vetoes`, per ratee: 1 = struck
  bool has_vetoes = false;   // the file has a `vetoes` column
};

// Reads a units file for the ratees `ratee_names`. InputError "FILE:LINE:
// ..." for an unknown column, ratee, veto or a repeated ratee, and for a
// ratee of the ballots the file does not list.
TallyUnits ReadTallyUnits(const std::string& file, const Scenario& s,
                          const std::vector<std::string>& ratee_names);

// Assigns `rules` to the scores of `b`'s ratees, ranked as every output
// ranks them (competition ranks of score, then tiebreak), with the units and
// event vetoes of `units` when given. Empty when the rules are. InputError
// naming what is missing when the rules need units or vetoes the file lacks.
TallyClasses AssignTallyClasses(const ClassRules& rules, const RatingBallots& b,
                                const ScoreResult& result, const TallyUnits* units = nullptr);

// Grade shares of `b` per rater group (valid ballots, by weight) and the
// share of blank ballots, in the shape of a run manifest's
// `ballots.by_group` (the report's grade chart reads it).
nlohmann::ordered_json GradeSharesByGroup(const RatingBallots& b);

}  // namespace evalsim

#endif  // EVALSIM_SIM_RUN_TALLY_H_
