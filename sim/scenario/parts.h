// Pieces of scenario reading shared by the files that read one part of a
// scenario each (scenario.cc, organisation.cc, models.cc, comparisons.cc,
// indicators.cc, uncertainty.cc, sweep.cc). Internal to sim/.
#ifndef EVALSIM_SIM_SCENARIO_PARTS_H_
#define EVALSIM_SIM_SCENARIO_PARTS_H_

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/options.h"
#include "sim/scenario/scenario.h"

namespace evalsim {

// Reads an array of tables under `key` and calls fn(reader, index) on each.
template <typename Fn>
void ForEachTable(OptionReader& parent, std::string_view key, const std::string& file,
                  std::vector<std::string>& errors, Fn&& fn) {
  const toml::node* node = parent.Raw(key);
  if (!node) return;
  const toml::array* arr = node->as_array();
  if (!arr || !arr->is_array_of_tables()) {
    parent.Error(
        key, fmt::format("found {}; expected an array of tables ([[{}]])", ATypeName(*node), key));
    return;
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table& t = *arr->get(i)->as_table();
    std::string label = fmt::format("{}[{}]", key, i);
    for (const char* k : {"group", "name"}) {
      if (auto v = t[k].value<std::string>()) label = fmt::format("{}.{}", key, *v);
    }
    OptionReader r(t, file, label);
    fn(r, i);
    for (auto& e : r.Finish()) errors.push_back(std::move(e));
  }
}

template <typename Fn>
void WithTable(OptionReader& parent, std::string_view key, const std::string& file,
               std::vector<std::string>& errors, bool required, Fn&& fn) {
  const toml::node* node = parent.Raw(key);
  if (!node) {
    if (required) parent.Error("", fmt::format("missing required table [{}]", key));
    return;
  }
  if (!node->is_table()) {
    parent.Error(key, fmt::format("found {}; expected a table", ATypeName(*node)));
    return;
  }
  OptionReader r(*node->as_table(), file, parent.KeyPath(key));
  fn(r);
  for (auto& e : r.Finish()) errors.push_back(std::move(e));
}

inline IntRange ToRange(std::optional<std::pair<int64_t, int64_t>> r) {
  return r ? IntRange{r->first, r->second} : IntRange{};
}

// What the [organisation] reader leaves for the readers after it.
struct OrganisationNotes {
  std::string evaluees;  // the `evaluees` level name as written
  // Per type, its `groups` node (nullptr when absent), for ResolveTypeGroups.
  std::vector<const toml::node*> type_group_nodes;
};

// Reads the required [organisation] table: s.levels, s.evaluee_level,
// quality and s.types (whose `groups` are resolved later).
void ReadOrganisation(OptionReader& top, Scenario& s, OrganisationNotes& notes,
                      std::vector<std::string>& errors);

// Reads the optional [[scales]] tables into s.scales (sim/scenario/scales.cc).
void ReadScales(OptionReader& top, Scenario& s, std::vector<std::string>& errors);

// Reads a [[raters]] table's scale and influence keys (scale, anchor,
// anchor_to, anchor_noise, conformity) into `g`.
void ReadRaterInfluence(OptionReader& r, RaterGroupSpec& g);

// Resolves every group's `scale` and `anchor_to` names (after [[scales]]
// and [[raters]]); errors at the key that names what is not there.
void ResolveRaterLinks(OptionReader& top, Scenario& s);

// Reads the optional [[items]] tables into s.items (sim/scenario/items.cc).
void ReadItems(OptionReader& top, Scenario& s, std::vector<std::string>& errors);

// Reads the optional [meetings] table into s.meeting_level (after the
// organisation, whose levels it names).
void ReadMeetings(OptionReader& top, Scenario& s, const std::string& evaluees,
                  std::vector<std::string>& errors);

// Reads the meeting rules (the [meetings] keys beside `by`) of the reader of
// the [meetings] table into `rules`.
void ReadMeetingRules(OptionReader& r, MeetingRules& rules);

// Turns every type's `groups` names into its per-group `shifted` mask
// (after the [[raters]], whose groups they name).
void ResolveTypeGroups(const std::string& file, Scenario& s,
                       const std::vector<const toml::node*>& group_nodes,
                       std::vector<std::string>& errors);

// Reads the required [[models]] tables into s.models (after everything
// their options are checked against: scale, groups, indicators).
void ReadModels(OptionReader& top, Scenario& s, std::vector<std::string>& errors);

// Reads the optional [comparisons] table into s.comparisons.
void ReadComparisons(OptionReader& top, Scenario& s, std::vector<std::string>& errors);

// Reads the optional [[indicators]] tables into s.indicators.
void ReadIndicators(OptionReader& top, Scenario& s, std::vector<std::string>& errors);

// Reads the optional [[vetoes]] tables into s.vetoes (after the
// indicators, which an indicator veto names).
void ReadVetoes(OptionReader& top, Scenario& s, std::vector<std::string>& errors);

// Reads the optional [uncertainty] table into s.uncertainty (after the
// models, whose names it refers to).
void ReadUncertainty(OptionReader& top, Scenario& s, std::vector<std::string>& errors);

// Reads the optional [periods] table and [[actions]] tables into s.periods
// and s.actions (after the models, whose class labels the actions name).
void ReadPeriods(OptionReader& top, Scenario& s, std::vector<std::string>& errors);

// Reads the optional [sweep] table into s.sweep.
void ReadSweep(OptionReader& top, Scenario& s, std::vector<std::string>& errors);

}  // namespace evalsim

#endif  // EVALSIM_SIM_SCENARIO_PARTS_H_
