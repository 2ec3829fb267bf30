// The synthetic organisation of a scenario: the unit tree, the evaluees and
// their true quality, the meetings, the raters and the blocs. It is drawn
// once per scenario (seed) and shared by every replicate; replicates draw
// fresh rater behaviour and fresh votes on it.
#ifndef EVALSIM_SIM_SIMULATE_ORGANISATION_H_
#define EVALSIM_SIM_SIMULATE_ORGANISATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "sim/scenario/scenario.h"

namespace evalsim {

struct Meeting {
  int first_evaluee = 0;  // evaluees [first_evaluee, first_evaluee + num_evaluees)
  int num_evaluees = 0;
  uint32_t first_rater = 0;  // raters [first_rater, first_rater + num_raters)
  uint32_t num_raters = 0;
  // Per rater group: first rater id and raters of the group in this meeting
  // (for per-evaluee groups: all the raters attached to its evaluees).
  std::vector<uint32_t> group_first;
  std::vector<uint32_t> group_count;
};

struct Organisation {
  std::vector<int> level_size;  // units per level
  std::vector<std::string> evaluee_names;
  std::vector<double> quality;  // true quality per evaluee
  std::vector<Meeting> meetings;
  // For per-evaluee rater groups: first rater id of evaluee e in group g is
  // per_evaluee_first[g][e], count per_evaluee_count[g][e] (empty vectors
  // for other groups).
  std::vector<std::vector<uint32_t>> per_evaluee_first;
  std::vector<std::vector<uint32_t>> per_evaluee_count;
  std::vector<uint8_t> rater_group;  // group of every rater
  std::vector<int> bloc;             // per evaluee: index into scenario blocs, -1 = none
  // Evaluee types (scenario `[[organisation.types]]`): per evaluee an index
  // into type_names (= the scenario's types, in order); both empty when the
  // scenario has no types.
  std::vector<int> type;
  std::vector<std::string> type_names;
  uint64_t expected_ballots = 0;  // expected ballots per replicate (incl. blank)
  // The levels above the evaluees (from the top) and every evaluee's unit
  // at each: unit[l][e] indexes the units of level l, named UnitName(l, i).
  std::vector<std::string> unit_levels;
  std::vector<std::vector<int>> unit;
  // Per meeting: its unit at the meeting level (0-based; -1 = "all"), and
  // the name of that level ("all" for one meeting of everyone).
  std::vector<int> meeting_unit;
  std::string meeting_level;

  int NumEvaluees() const { return static_cast<int>(quality.size()); }
  uint32_t NumRaters() const { return static_cast<uint32_t>(rater_group.size()); }
  int NumBlocEvaluees() const;
  // "<level>-<i + 1>", as evaluees are named.
  std::string UnitName(int level, int i) const;
  // Per evaluee, the index of its meeting.
  std::vector<int> MeetingOf() const;
  // The meeting's unit as `<level>-<i>` (1-based, like evaluee names), or "all".
  std::string MeetingName(int meeting) const;
  // Latent shift of a ballot of rater group `group` on evaluee `e` from the
  // evaluee's type (0 without types).
  double TypeShift(const Scenario& s, int e, int group) const {
    return type.empty() ? 0.0 : s.types[type[e]].Shift(group);
  }
};

// The scopes class rules count within: one column per level above the
// evaluees (named after it), then "meeting".
UnitColumns ScopeColumns(const Organisation& org);

// Draws the organisation. Throws InputError when the scenario describes no
// evaluee, or more raters than the ballot format holds.
Organisation BuildOrganisation(const Scenario& s);

// Cut points on the latent scale (K-1 increasing values, +-inf allowed for a
// zero share) calibrated so that the expected overall grade shares match
// scale.shares for this organisation (blocs ignored; the types' leniency
// shifts included). With `scale` >= 0 the cut points of that [[scales]]
// entry instead, calibrated on the rater groups that grade on it (the main
// scale's on the groups on [scale] only); anchoring and conformity are
// ignored like blocs.
std::vector<double> CalibrateCuts(const Scenario& s, const Organisation& org, int scale = -1);

}  // namespace evalsim

#endif  // EVALSIM_SIM_SIMULATE_ORGANISATION_H_
