// The plan of a sweep: its points, the --vary values, the derived
// scale.top_share knob and the seeds.

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <optional>
#include <set>

#include "sim/core/errors.h"
#include "sim/core/rng.h"
#include "sim/experiments/sweep.h"
#include "sim/io/csv_write.h"

namespace evalsim {
namespace {

constexpr int kMaxPoints = 100000;

std::string Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// A TOML float literal of `v` (shortest round trip, always with a fraction
// or exponent so that it reads back as a float).
std::string TomlFloat(double v) {
  std::string s = Num(v);
  if (s.find_first_of(".eEni") == std::string::npos) s += ".0";
  return s;
}

// The number a TOML value text holds, or nullopt.
std::optional<double> TomlNumber(const std::string& text) {
  try {
    toml::table t = toml::parse("v = " + text);
    const toml::node* v = t.get("v");
    if (const auto* i = v->as_integer()) return static_cast<double>(i->get());
    if (const auto* f = v->as_floating_point()) return f->get();
  } catch (const toml::parse_error&) {
  }
  return std::nullopt;
}

}  // namespace

int SweepPlan::NumPoints() const {
  if (keys.empty()) return 0;
  if (!grid) return static_cast<int>(keys.front().values.size());
  long long n = 1;
  for (const auto& k : keys) n *= static_cast<long long>(k.values.size());
  return static_cast<int>(std::min<long long>(n, kMaxPoints + 1));
}

std::vector<size_t> SweepPlan::Indices(int point) const {
  std::vector<size_t> idx(keys.size(), 0);
  if (!grid) {
    std::fill(idx.begin(), idx.end(), static_cast<size_t>(point - 1));
    return idx;
  }
  size_t rest = static_cast<size_t>(point - 1);
  for (size_t i = keys.size(); i-- > 0;) {
    const size_t n = keys[i].values.size();
    idx[i] = rest % n;
    rest /= n;
  }
  return idx;
}

std::vector<std::string> SweepPlan::Values(int point) const {
  const std::vector<size_t> idx = Indices(point);
  std::vector<std::string> v;
  for (size_t i = 0; i < keys.size(); ++i) v.push_back(keys[i].values[idx[i]]);
  return v;
}

SweepPlan MakeSweepPlan(std::vector<SweepKey> keys, bool grid, const std::string& source) {
  if (keys.empty()) throw InputError(fmt::format("{}: no key to vary", source));
  std::set<std::string> seen;
  for (const auto& k : keys) {
    if (k.key.empty()) throw InputError(fmt::format("{}: empty key path", source));
    if (!seen.insert(k.key).second)
      throw InputError(fmt::format("{}: {} is varied twice; give each key once with all its values",
                                   source, k.key));
    if (k.values.empty())
      throw InputError(fmt::format("{}: {} has no values; expected one or more", source, k.key));
  }
  if (seen.count(std::string(kTopShareKey)) && seen.count("scale.shares"))
    throw InputError(fmt::format(
        "{}: scale.top_share and scale.shares cannot both be varied (scale.top_share sets "
        "scale.shares)",
        source));
  if (!grid) {
    for (const auto& k : keys) {
      if (k.values.size() != keys.front().values.size())
        throw InputError(fmt::format(
            "{}: zip pairs the i-th values of every key, so every key needs the same number of "
            "values; {} has {}, {} has {}",
            source, keys.front().key, keys.front().values.size(), k.key, k.values.size()));
    }
  }
  SweepPlan plan;
  plan.keys = std::move(keys);
  plan.grid = grid;
  if (plan.NumPoints() > kMaxPoints)
    throw InputError(
        fmt::format("{}: the grid has more than {} points; vary fewer keys or values (or --zip)",
                    source, kMaxPoints));
  return plan;
}

std::vector<std::string> SplitSweepValues(std::string_view text, const std::string& flag) {
  std::vector<std::string> pieces;
  int depth = 0;
  char quote = 0;
  size_t start = 0;
  auto unbalanced = [&] {
    return InputError(fmt::format(
        "{}: unbalanced brackets or quotes in \"{}\"; expected TOML values separated by commas",
        flag, text));
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (quote == '"' && c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (depth == 0) throw unbalanced();
      --depth;
    } else if (c == ',' && depth == 0) {
      pieces.push_back(Trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (quote || depth != 0) throw unbalanced();
  pieces.push_back(Trim(text.substr(start)));
  for (size_t i = 0; i < pieces.size(); ++i) {
    const std::string& p = pieces[i];
    if (p.empty())
      throw InputError(
          fmt::format("{}: value {} of {} is empty; expected TOML values separated "
                      "by commas (v1,v2,...)",
                      flag, i + 1, pieces.size()));
    bool ok = false;
    try {
      toml::table t = toml::parse("v = " + p);
      ok = t.size() == 1 && t.contains("v");
    } catch (const toml::parse_error&) {
    }
    if (!ok)
      throw InputError(fmt::format(
          "{}: value {} (\"{}\") is not a TOML value (strings need quotes, e.g. '\"text\"')", flag,
          i + 1, p));
  }
  return pieces;
}

SweepKey ParseVaryFlag(const std::string& flag) {
  const size_t eq = flag.find('=');
  const std::string key = eq == std::string::npos ? "" : Trim(flag.substr(0, eq));
  if (key.empty()) throw InputError(fmt::format("--vary {}: expected key.path=v1,v2,...", flag));
  SweepKey k;
  k.key = key;
  k.values = SplitSweepValues(flag.substr(eq + 1), "--vary " + flag);
  return k;
}

SweepKey LeniencyCurveKey() {
  return {std::string(kTopShareKey), {"0.65", "0.75", "0.85", "0.9", "0.95", "0.98"}};
}

std::vector<double> TopShareShares(const std::vector<double>& shares, double top,
                                   const std::string& where) {
  if (!(top > 0.0 && top < 1.0))
    throw InputError(
        fmt::format("{}: found {}; expected a share of the top grade in (0, 1)", where, Num(top)));
  if (shares.size() < 2)
    throw InputError(fmt::format("{}: the scale has fewer than two grades", where));
  double lower = 0.0;
  for (size_t i = 0; i + 1 < shares.size(); ++i) lower += shares[i];
  if (!(lower > 0.0))
    throw InputError(fmt::format(
        "{}: the scenario's lower grades have no share to scale (scale.shares = [{}]); vary "
        "scale.shares instead",
        where, fmt::join(shares, ", ")));
  std::vector<double> out(shares.size());
  for (size_t i = 0; i + 1 < shares.size(); ++i) out[i] = shares[i] / lower * (1.0 - top);
  out.back() = top;
  return out;
}

std::vector<std::string> PointOverrides(const SweepPlan& plan, int point,
                                        const std::vector<double>& base_shares) {
  const std::vector<std::string> values = plan.Values(point);
  std::vector<std::string> out;
  for (size_t i = 0; i < plan.keys.size(); ++i) {
    const std::string& key = plan.keys[i].key;
    if (key == kTopShareKey) {
      const std::string where = fmt::format("{}={}", key, values[i]);
      const std::optional<double> v = TomlNumber(values[i]);
      if (!v) throw InputError(fmt::format("{}: expected a number in (0, 1)", where));
      std::vector<std::string> cells;
      for (double x : TopShareShares(base_shares, *v, where)) cells.push_back(TomlFloat(x));
      out.push_back(fmt::format("scale.shares=[{}]", fmt::join(cells, ",")));
    } else {
      out.push_back(fmt::format("{}={}", key, values[i]));
    }
  }
  return out;
}

uint64_t IndependentPointSeed(uint64_t seed, int point) {
  return DeriveSeed(seed, {static_cast<uint64_t>(point)}) & ((uint64_t{1} << 62) - 1);
}

}  // namespace evalsim
