#include "sim/rules/reading.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace evalsim::rules_internal {

std::optional<double> OptionalDouble(OptionReader& r, std::string_view key, Range range) {
  // Read even when absent, so that the key is listed among the valid ones.
  // Valid values are finite, so NaN marks an absent or rejected value.
  const double v = r.Double(key, std::numeric_limits<double>::quiet_NaN(), range);
  if (std::isnan(v)) return std::nullopt;
  return v;
}

std::string ReadLabel(OptionReader& r, std::string_view key, std::string def, bool required) {
  const bool present = r.Has(key);
  std::string s = r.String(key, def);
  if (!present) {
    if (required) r.Error(key, "is missing; expected a non-empty string");
    return def;
  }
  if (!r.Raw(key)->is_string()) return def;  // the reader has reported the type
  if (s.empty()) {
    r.Error(key, "is empty; expected a non-empty string");
    return def;
  }
  return s;
}

std::string ReadName(OptionReader& r, std::string_view key, const std::vector<std::string>& names,
                     std::string_view what) {
  const toml::node* node = r.Raw(key);
  if (!node) return "";
  if (!node->is_string()) {
    r.ErrorAt(*node, key,
              fmt::format("found {}; expected the name of a {}", ATypeName(*node), what));
    return "";
  }
  const std::string s = node->as_string()->get();
  if (std::find(names.begin(), names.end(), s) != names.end()) return s;
  if (names.empty())
    r.ErrorAt(*node, key, fmt::format("\"{}\" names no {}; the scenario has none", s, what));
  else
    r.ErrorAt(
        *node, key,
        fmt::format("\"{}\" names no {}; expected one of: {}", s, what, fmt::join(names, ", ")));
  return "";
}

}  // namespace evalsim::rules_internal
