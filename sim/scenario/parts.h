// Pieces of scenario reading shared by the files that read one part of a
// scenario each (scenario.cc, scenario_comparisons.cc,
// scenario_indicators.cc). Internal to sim/.
#ifndef EVALSIM_SIM_SCENARIO_PARTS_H_
#define EVALSIM_SIM_SCENARIO_PARTS_H_

#include <fmt/format.h>

#include <string>
#include <string_view>
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

// Reads the optional [comparisons] table into s.comparisons.
void ReadComparisons(OptionReader& top, Scenario& s, std::vector<std::string>& errors);

// Reads the optional [[indicators]] tables into s.indicators.
void ReadIndicators(OptionReader& top, Scenario& s, std::vector<std::string>& errors);

// Reads the optional [uncertainty] table into s.uncertainty (after the
// models, whose names it refers to).
void ReadUncertainty(OptionReader& top, Scenario& s, std::vector<std::string>& errors);

// Reads the optional [sweep] table into s.sweep.
void ReadSweep(OptionReader& top, Scenario& s, std::vector<std::string>& errors);

}  // namespace evalsim

#endif  // EVALSIM_SIM_SCENARIO_PARTS_H_
