// Reading helpers shared by the rules' table readers (classes.cc,
// vetoes.cc). Internal to sim/rules.
#ifndef EVALSIM_SIM_RULES_READING_H_
#define EVALSIM_SIM_RULES_READING_H_

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/options.h"

namespace evalsim::rules_internal {

// Calls read(child, index, count) for every element of the array of inline
// tables `key`, with `child` a reader on that element (path "<key>[i]"), and
// files the child's messages (unknown keys included) under `opts`.
template <class ReadElement>
void ReadTableArray(OptionReader& opts, std::string_view key, std::string_view shape,
                    ReadElement read) {
  const toml::node* node = opts.Raw(key);
  if (!node) return;
  const toml::array* arr = node->as_array();
  if (!arr) {
    opts.ErrorAt(*node, key,
                 fmt::format("found {}; expected an array of tables {}", ATypeName(*node), shape));
    return;
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& el = *arr->get(i);
    const std::string el_key = fmt::format("{}[{}]", key, i);
    const toml::table* table = el.as_table();
    if (!table) {
      opts.ErrorAt(el, el_key, fmt::format("found {}; expected a table {}", ATypeName(el), shape));
      continue;
    }
    OptionReader child(*table, opts.file(), opts.KeyPath(el_key));
    read(child, i, arr->size());
    opts.AddErrors(child.Finish());
  }
}

// A present, valid number; nullopt when absent or invalid (the reader has
// recorded why).
std::optional<double> OptionalDouble(OptionReader& r, std::string_view key, Range range);

// A non-empty string; `def` when absent (an error when `required`) or
// invalid.
std::string ReadLabel(OptionReader& r, std::string_view key, std::string def, bool required);

// A string that names one of `names` (`what` says what they are, e.g.
// "rater group"); "" when absent or invalid.
std::string ReadName(OptionReader& r, std::string_view key, const std::vector<std::string>& names,
                     std::string_view what);

}  // namespace evalsim::rules_internal

#endif  // EVALSIM_SIM_RULES_READING_H_
