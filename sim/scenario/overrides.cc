#include "sim/scenario/overrides.h"

#include <fmt/format.h>

#include <string_view>

#include "sim/core/errors.h"
#include "sim/core/options.h"

namespace evalsim {
namespace {

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

bool AllDigits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Finds the element of an array of tables named by `seg`: an index, or the
// table whose `group` or `name` equals it.
toml::table* FindElement(toml::array& arr, const std::string& seg) {
  if (AllDigits(seg)) {
    const size_t i = std::stoul(seg);
    return i < arr.size() ? arr.get(i)->as_table() : nullptr;
  }
  for (auto& el : arr) {
    toml::table* t = el.as_table();
    if (!t) continue;
    for (const char* key : {"group", "name"}) {
      if (auto v = (*t)[key].value<std::string>(); v && *v == seg) return t;
    }
  }
  return nullptr;
}

void ApplyOverride(toml::table& root, const std::string& spec) {
  const std::string where = fmt::format("--set {}", spec);
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw InputError(fmt::format("{}: expected key.path=value", where));
  }
  const std::string path = spec.substr(0, eq);
  const std::string value = spec.substr(eq + 1);
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value, where);
  } catch (const toml::parse_error&) {
    throw InputError(
        fmt::format("{}: \"{}\" is not a TOML value (strings need quotes, e.g. {}='\"text\"')",
                    where, value, path));
  }
  std::vector<std::string> segs = Split(path, '.');
  toml::table* cur = &root;
  for (size_t i = 0; i + 1 < segs.size(); ++i) {
    const std::string& seg = segs[i];
    toml::node* next = cur->get(seg);
    if (!next) {
      cur->insert(seg, toml::table{});
      next = cur->get(seg);
    }
    if (toml::array* arr = next->as_array()) {
      if (i + 2 >= segs.size()) {
        throw InputError(
            fmt::format("{}: {} is an array of tables; name an element by index, "
                        "group or name, e.g. {}.0.key",
                        where, seg, seg));
      }
      toml::table* el = FindElement(*arr, segs[i + 1]);
      if (!el) {
        throw InputError(fmt::format("{}: {} has no element \"{}\" (by index, group or name)",
                                     where, seg, segs[i + 1]));
      }
      cur = el;
      ++i;
      continue;
    }
    if (!next->is_table()) {
      throw InputError(fmt::format("{}: {} is a {}, not a table", where,
                                   fmt::join(segs.begin(), segs.begin() + i + 1, "."),
                                   TypeName(*next)));
    }
    cur = next->as_table();
  }
  cur->insert_or_assign(segs.back(), std::move(*parsed.get("v")));
}

}  // namespace

void ApplyOverrides(toml::table& root, const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) ApplyOverride(root, o);
}

toml::table ParseSets(const std::vector<std::string>& sets) {
  toml::table options;
  for (const auto& s : sets) {
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InputError(fmt::format("--set {}: expected param=value", s));
    const std::string key = s.substr(0, eq);
    toml::table parsed;
    try {
      parsed = toml::parse("v = " + s.substr(eq + 1), "--set " + s);
    } catch (const toml::parse_error&) {
      throw InputError(fmt::format(
          "--set {}: \"{}\" is not a TOML value (strings need quotes, e.g. {}='\"text\"')", s,
          s.substr(eq + 1), key));
    }
    // Moved, not copied, so that the value keeps its source: messages about
    // it name "--set key=value".
    options.insert_or_assign(key, std::move(*parsed.get("v")));
  }
  return options;
}

}  // namespace evalsim
