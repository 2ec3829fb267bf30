// Reads the optional [sweep] table (see sim/experiments/sweep.h and the [sweep] section
// of scenarios/README.md).
#include <cmath>
#include <sstream>

#include "sim/scenario/parts.h"

namespace evalsim {
namespace {

bool IsBareKey(std::string_view k) {
  if (k.empty()) return false;
  for (char c : k) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string Formatted(const toml::node& node) {
  std::stringstream ss;
  ss << toml::toml_formatter{node};
  return ss.str();
}

// A value node as TOML text that reads back as the same value: floats in
// their shortest round-trip form (toml++'s formatter writes 0.1 as
// 0.10000000000000001), arrays and inline tables element by element.
std::string TomlText(const toml::node& node) {
  if (const auto* f = node.as_floating_point()) {
    const double v = f->get();
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    std::string s = fmt::format("{}", v);  // shortest round trip
    if (s.find_first_of(".eE") == std::string::npos) s += ".0";
    return s;
  }
  if (const auto* a = node.as_array()) {
    std::string s = "[";
    for (size_t i = 0; i < a->size(); ++i) s += (i ? ", " : "") + TomlText(*a->get(i));
    return s + "]";
  }
  if (const auto* t = node.as_table()) {
    std::string s = "{";
    bool first = true;
    for (auto&& [k, v] : *t) {
      const std::string key =
          IsBareKey(k.str()) ? std::string(k.str()) : Formatted(toml::value<std::string>(k.str()));
      s += (first ? " " : ", ") + key + " = " + TomlText(v);
      first = false;
    }
    return s + (first ? "}" : " }");
  }
  return Formatted(node);
}

}  // namespace

void ReadSweep(OptionReader& top, Scenario& s, std::vector<std::string>& errors) {
  WithTable(top, "sweep", s.file, errors, false, [&](OptionReader& r) {
    SweepSpec& spec = s.sweep;
    spec.grid = r.Bool("grid", true);
    const toml::node* vary = r.Raw("vary");
    if (!vary) {
      r.Error("",
              "missing required key `vary` (a table of key path = [values], e.g. vary = { "
              "\"raters.member.noise\" = [0.5, 1.0] })");
      return;
    }
    const toml::table* t = vary->as_table();
    if (!t) {
      r.ErrorAt(*vary, "vary",
                fmt::format("found {}; expected a table of key path = [values], e.g. vary = {{ "
                            "\"raters.member.noise\" = [0.5, 1.0] }}",
                            ATypeName(*vary)));
      return;
    }
    if (t->empty()) {
      r.ErrorAt(*vary, "vary", "is empty; expected at least one key path = [values]");
      return;
    }
    for (auto&& [k, v] : *t) {
      const std::string key(k.str());
      const std::string where = fmt::format("vary.\"{}\"", key);
      const toml::array* arr = v.as_array();
      if (!arr) {
        r.ErrorAt(v, where,
                  fmt::format("found {}; expected an array of values{}", ATypeName(v),
                              v.is_table() ? " (quote a key path that holds dots: "
                                             "\"raters.member.noise\" = [...])"
                                           : ""));
        continue;
      }
      if (arr->empty()) {
        r.ErrorAt(v, where, "is empty; expected one or more values");
        continue;
      }
      std::vector<std::string> values;
      for (const auto& el : *arr) values.push_back(TomlText(el));
      spec.vary.emplace_back(key, std::move(values));
    }
    if (!spec.grid && spec.vary.size() > 1) {
      for (const auto& [key, values] : spec.vary) {
        if (values.size() != spec.vary.front().second.size()) {
          r.ErrorAt(*vary, "vary",
                    fmt::format("grid = false pairs the i-th values of every key, so every key "
                                "needs the same number of values; \"{}\" has {}, \"{}\" has {}",
                                spec.vary.front().first, spec.vary.front().second.size(), key,
                                values.size()));
          break;
        }
      }
    }
  });
}

}  // namespace evalsim
