#include "sim/experiments/sweep.h"

#include <fmt/format.h>
#include <tbb/info.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "sim/core/errors.h"
#include "sim/core/interrupt.h"
#include "sim/core/progress.h"
#include "sim/core/resources.h"
#include "sim/core/rng.h"
#include "sim/io/files.h"
#include "sim/run/outputs.h"
#include "sim/run/preflight.h"
#include "sim/run/runner.h"
#include "sim/scenario/scenario.h"

namespace evalsim {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json;

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

std::string PointDirName(int point, int total) {
  int width = 3;
  for (int p = total; p >= 1000; p /= 10) ++width;
  return fmt::format("{:0{}d}", point, width);
}

// RFC 4180 records of `text` (quoted fields may hold commas, quotes and
// newlines).
std::vector<std::vector<std::string>> CsvRecords(std::string_view text, const std::string& file) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false, any = false;
  long line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      quoted = any = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        fields.push_back(std::move(field));
        records.push_back(std::move(fields));
      }
      fields.clear();
      field.clear();
      any = false;
      ++line;
    } else {
      field += c;
      any = true;
    }
  }
  if (quoted) throw InputError(Location(file, line) + "unterminated quoted field");
  if (any || !field.empty()) {
    fields.push_back(std::move(field));
    records.push_back(std::move(fields));
  }
  return records;
}

std::string MetricsCsv(const RunResult& r) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "model,metric,value,lo,hi\n");
  for (const auto& m : r.models)
    for (const auto& row : m.metrics) {
      if (row.has_interval)
        fmt::format_to(std::back_inserter(out), "{},{},{},{},{}\n", CsvField(m.name),
                       CsvField(row.metric), Num(row.value), Num(row.lo), Num(row.hi));
      else
        fmt::format_to(std::back_inserter(out), "{},{},{},,\n", CsvField(m.name),
                       CsvField(row.metric), Num(row.value));
    }
  return fmt::to_string(out);
}

Json PlanJson(const SweepPlan& plan) {
  Json j;
  j["mode"] = plan.grid ? "grid" : "zip";
  Json keys = Json::array();
  for (const auto& k : plan.keys) {
    Json jk;
    jk["key"] = k.key;
    jk["values"] = k.values;
    keys.push_back(jk);
  }
  j["vary"] = keys;
  j["points"] = plan.NumPoints();
  return j;
}

// Tells which field of two fingerprints differs first ("" when none).
std::string FirstDifference(const Json& have, const Json& want) {
  for (auto it = want.begin(); it != want.end(); ++it) {
    if (!have.contains(it.key()) || have[it.key()] != it.value()) return it.key();
  }
  for (auto it = have.begin(); it != have.end(); ++it)
    if (!want.contains(it.key())) return it.key();
  return "";
}

std::string Fmt3(double v) { return fmt::format("{:.3f}", v); }

}  // namespace

// ---------------------------------------------------------------------------
// Plan

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

// ---------------------------------------------------------------------------
// Tables

std::vector<SweepRow> ParsePointMetrics(std::string_view csv, const std::string& file) {
  const auto records = CsvRecords(csv, file);
  const std::vector<std::string> header = {"model", "metric", "value", "lo", "hi"};
  if (records.empty() || records.front() != header)
    throw InputError(fmt::format("{}: expected the header model,metric,value,lo,hi", file));
  std::vector<SweepRow> rows;
  for (size_t i = 1; i < records.size(); ++i) {
    const auto& r = records[i];
    double v = 0.0;
    const auto [ptr, ec] = std::from_chars(r.size() == 5 ? r[2].data() : nullptr,
                                           r.size() == 5 ? r[2].data() + r[2].size() : nullptr, v);
    if (r.size() != 5 || ec != std::errc() || ptr != r[2].data() + r[2].size())
      throw InputError(
          fmt::format("{}: record {}: expected model,metric,value,lo,hi with a number "
                      "in value",
                      file, i + 1));
    rows.push_back({r[0], r[1], r[2], r[3], r[4], v});
  }
  return rows;
}

std::string SweepCsv(const SweepPlan& plan, const std::vector<SweepPoint>& points) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "point");
  for (const auto& k : plan.keys) fmt::format_to(std::back_inserter(out), ",{}", CsvField(k.key));
  fmt::format_to(std::back_inserter(out), ",model,metric,value,lo,hi\n");
  for (const auto& p : points) {
    std::string lead = std::to_string(p.point);
    for (const auto& v : p.values) lead += "," + CsvField(v);
    for (const auto& r : p.rows)
      fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{}\n", lead, CsvField(r.model),
                     CsvField(r.metric), r.value, r.lo, r.hi);
  }
  return fmt::to_string(out);
}

std::string SweepSummary(const SweepPlan& plan, const std::vector<SweepPoint>& points,
                         const std::string& header) {
  static const char* const kHeadline[] = {"accuracy.kendall", "topk.precision", "stability.kendall",
                                          "stability.topk_jaccard", "class.top_precision"};
  fmt::memory_buffer out;
  auto put = [&](const std::string& s) { fmt::format_to(std::back_inserter(out), "{}", s); };
  put(header);
  if (points.empty() || plan.keys.empty()) return fmt::to_string(out);

  // Models in order of first appearance.
  std::vector<std::string> models;
  for (const auto& p : points)
    for (const auto& r : p.rows)
      if (std::find(models.begin(), models.end(), r.model) == models.end())
        models.push_back(r.model);

  // Lines along the first key: the points that share every other key's
  // value (grid), or every point (zip), in point order.
  std::vector<std::vector<size_t>> lines;
  {
    std::map<std::vector<size_t>, size_t> line_of;
    for (size_t i = 0; i < points.size(); ++i) {
      std::vector<size_t> rest;
      if (plan.grid) {
        rest = plan.Indices(points[i].point);
        rest.erase(rest.begin());
      }
      auto [it, fresh] = line_of.emplace(rest, lines.size());
      if (fresh) lines.emplace_back();
      lines[it->second].push_back(i);
    }
  }
  const std::string& key0 = plan.keys.front().key;
  const std::string& key_first = plan.keys.front().values.front();
  const std::string& key_last = plan.keys.front().values.back();
  auto line_label = [&](const std::vector<size_t>& line) {
    if (!plan.grid || plan.keys.size() < 2) return std::string();
    std::vector<std::string> parts;
    for (size_t k = 1; k < plan.keys.size(); ++k)
      parts.push_back(fmt::format("{}={}", plan.keys[k].key, points[line.front()].values[k]));
    return fmt::format(" [{}]", fmt::join(parts, ", "));
  };

  std::string crossings, changes;
  for (const std::string metric : kHeadline) {
    // value[point][model], NaN when absent.
    const double kNone = std::numeric_limits<double>::quiet_NaN();
    std::vector<std::vector<double>> value(points.size(),
                                           std::vector<double>(models.size(), kNone));
    std::vector<std::vector<double>> v_lo = value, v_hi = value;  // 95 % interval, NaN when none
    std::vector<bool> model_has(models.size(), false);
    bool any = false;
    for (size_t i = 0; i < points.size(); ++i)
      for (const auto& r : points[i].rows)
        if (r.metric == metric) {
          const size_t m = std::find(models.begin(), models.end(), r.model) - models.begin();
          value[i][m] = r.number;
          if (!r.lo.empty() && !r.hi.empty()) {
            v_lo[i][m] = std::strtod(r.lo.c_str(), nullptr);
            v_hi[i][m] = std::strtod(r.hi.c_str(), nullptr);
          }
          model_has[m] = any = true;
        }
    if (!any) continue;

    // Best model(s) per point.
    // `close`: how many other models' 95 % intervals reach the best one's
    // lower end (a best that is not clearly better says so).
    std::vector<std::string> best(points.size()), close(points.size());
    for (size_t i = 0; i < points.size(); ++i) {
      double top = -std::numeric_limits<double>::infinity();
      for (size_t m = 0; m < models.size(); ++m)
        if (!std::isnan(value[i][m])) top = std::max(top, value[i][m]);
      std::vector<std::string> names;
      double best_lo = kNone;
      for (size_t m = 0; m < models.size(); ++m)
        if (value[i][m] == top) {
          names.push_back(models[m]);
          if (std::isnan(best_lo)) best_lo = v_lo[i][m];
        }
      best[i] = names.empty() ? "-" : fmt::format("{}", fmt::join(names, "="));
      int overlapping = 0;
      for (size_t m = 0; m < models.size(); ++m)
        if (value[i][m] != top && !std::isnan(v_hi[i][m]) && v_hi[i][m] >= best_lo) ++overlapping;
      close[i] = std::isnan(best_lo) ? "-" : std::to_string(overlapping);
    }

    // The table.
    std::vector<std::string> head = {"point"};
    for (const auto& k : plan.keys) head.push_back(k.key);
    std::vector<size_t> cols;  // models with the metric
    for (size_t m = 0; m < models.size(); ++m)
      if (model_has[m]) {
        cols.push_back(m);
        head.push_back(models[m]);
      }
    head.push_back("best");
    head.push_back("close");
    std::vector<std::vector<std::string>> cells;
    for (size_t i = 0; i < points.size(); ++i) {
      std::vector<std::string> row = {std::to_string(points[i].point)};
      for (const auto& v : points[i].values) row.push_back(v);
      for (size_t m : cols) row.push_back(std::isnan(value[i][m]) ? "-" : Fmt3(value[i][m]));
      row.push_back(best[i]);
      row.push_back(close[i]);
      cells.push_back(std::move(row));
    }
    std::vector<size_t> width(head.size());
    for (size_t c = 0; c < head.size(); ++c) {
      width[c] = head[c].size();
      for (const auto& row : cells) width[c] = std::max(width[c], row[c].size());
    }
    const size_t first_model = 1 + plan.keys.size(), last_model = first_model + cols.size();
    auto put_row = [&](const std::vector<std::string>& row) {
      std::string line;
      for (size_t c = 0; c < row.size(); ++c) {
        const bool right = c >= first_model && c < last_model;
        line += (c ? "  " : "") + (right ? fmt::format("{:>{}}", row[c], width[c])
                                         : fmt::format("{:<{}}", row[c], width[c]));
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      put(line + "\n");
    };
    put(fmt::format("\n{} (higher is better)\n", metric));
    put_row(head);
    for (const auto& row : cells) put_row(row);

    // Crossings and changes along the first key: one text per line of
    // points, printed once when every line says the same.
    std::vector<std::pair<std::string, std::string>> cross, change;  // (label, text)
    for (const auto& line : lines) {
      if (line.size() < 2) continue;
      const std::string& v_first = points[line.front()].values[0];
      const std::string& v_last = points[line.back()].values[0];
      // Segments of equal best.
      std::vector<std::pair<size_t, size_t>> segs;  // [begin, end] positions in `line`
      for (size_t j = 0; j < line.size(); ++j) {
        if (j == 0 || best[line[j]] != best[line[j - 1]])
          segs.push_back({j, j});
        else
          segs.back().second = j;
      }
      std::string text;
      if (segs.size() == 1) {
        text = fmt::format("{} best at every {} ({} to {})", best[line.front()], key0, v_first,
                           v_last);
      } else {
        std::vector<std::string> parts;
        for (size_t s = 0; s < segs.size(); ++s) {
          const std::string& name = best[line[segs[s].first]];
          const std::string& a = points[line[segs[s].first]].values[0];
          const std::string& b = points[line[segs[s].second]].values[0];
          if (s == 0)
            parts.push_back(fmt::format("{} best up to {}={}", name, key0, b));
          else if (s + 1 == segs.size())
            parts.push_back(fmt::format("{} from {}", name, a));
          else if (segs[s].first == segs[s].second)
            parts.push_back(fmt::format("{} at {}", name, a));
          else
            parts.push_back(fmt::format("{} from {} to {}", name, a, b));
        }
        text = fmt::format("{}", fmt::join(parts, "; "));
      }
      cross.emplace_back(line_label(line), text);

      // How each model moves from the first to the last point of the line,
      // judged on the values the tables show (3 decimals).
      std::vector<std::string> rises, falls, same;
      for (size_t m : cols) {
        const double a = value[line.front()][m], b = value[line.back()][m];
        if (std::isnan(a) || std::isnan(b)) continue;
        const std::string ta = Fmt3(a), tb = Fmt3(b);
        (ta == tb ? same : b > a ? rises : falls).push_back(models[m]);
      }
      const size_t n = rises.size() + falls.size() + same.size();
      std::vector<std::string> verdict;
      auto group = [&](const std::vector<std::string>& names, const char* verb) {
        if (names.empty()) return;
        verdict.push_back(names.size() == n && n > 1
                              ? fmt::format("{} for every model", verb)
                              : fmt::format("{} for {}", verb, fmt::join(names, ", ")));
      };
      group(rises, "rises");
      group(falls, "falls");
      group(same, "unchanged");
      // Models whose values go up and down along the line, and where they
      // turn (the interior extreme point).
      std::vector<std::string> bumpy;
      std::set<std::string> turns;
      for (size_t m : cols) {
        std::vector<double> v;
        std::vector<size_t> at;
        for (size_t j = 0; j < line.size(); ++j)
          if (!std::isnan(value[line[j]][m])) {
            v.push_back(std::stod(Fmt3(value[line[j]][m])));
            at.push_back(j);
          }
        bool up = false, down = false;
        for (size_t j = 1; j < v.size(); ++j) {
          up = up || v[j] > v[j - 1];
          down = down || v[j] < v[j - 1];
        }
        if (!(up && down)) continue;
        bumpy.push_back(models[m]);
        const size_t lo = std::min_element(v.begin(), v.end()) - v.begin();
        const size_t hi = std::max_element(v.begin(), v.end()) - v.begin();
        const size_t turn = lo != 0 && lo + 1 != v.size() ? lo : hi;
        turns.insert(points[line[at[turn]]].values[0]);
      }
      if (!bumpy.empty()) {
        const std::string where =
            turns.size() == 1 ? fmt::format(" at {}={}", key0, *turns.begin()) : "";
        if (bumpy.size() == n && n > 1)
          verdict.push_back(fmt::format("every model turns in between{}", where));
        else
          verdict.push_back(fmt::format("{} {} in between{}", fmt::join(bumpy, ", "),
                                        bumpy.size() == 1 ? "turns" : "turn", where));
      }
      // The line's ends, when they are not the first key's first and last
      // values (a --points subset).
      const std::string ends = v_first == key_first && v_last == key_last
                                   ? std::string()
                                   : fmt::format(" ({} {} -> {})", key0, v_first, v_last);
      if (n > 0)
        change.emplace_back(line_label(line), fmt::format("{}{}", fmt::join(verdict, "; "), ends));
    }
    auto emit = [&](const std::vector<std::pair<std::string, std::string>>& items,
                    std::string& to) {
      if (items.empty()) return;
      bool all_same = true;
      for (const auto& it : items) all_same = all_same && it.second == items.front().second;
      if (all_same) {
        std::string whatever;
        if (items.size() > 1) {
          std::vector<std::string> others;
          for (size_t k = 1; k < plan.keys.size(); ++k) others.push_back(plan.keys[k].key);
          whatever = fmt::format(", whatever {}", fmt::join(others, " and "));
        }
        to += fmt::format("  {}: {}{}\n", metric, items.front().second, whatever);
      } else {
        for (const auto& it : items) to += fmt::format("  {}{}: {}\n", metric, it.first, it.second);
      }
    };
    emit(cross, crossings);
    emit(change, changes);
  }
  if (!crossings.empty()) {
    put(fmt::format("\ncrossings (where the best model changes along {}):\n", key0));
    put(crossings);
    put(fmt::format("\nchanges from {}={} to {} (as the tables show them):\n", key0, key_first,
                    key_last));
    put(changes);
  } else {
    put(fmt::format("\nno crossings to report: fewer than two points along {}\n", key0));
  }
  return fmt::to_string(out);
}

// ---------------------------------------------------------------------------
// The run

SweepOutcome RunSweep(const SweepOptions& o) {
  const auto t0 = Clock::now();
  SweepOutcome outcome;
  Scenario base = LoadScenario(o.scenario, o.overrides);
  const std::vector<std::string> kept = SelectedModels(base, o.models);

  // The plan: --vary / --leniency-curve, else the scenario's [sweep].
  std::vector<SweepKey> keys;
  bool grid = !o.zip;
  std::string source = "--vary";
  if (!o.vary.empty() || o.leniency_curve) {
    for (const auto& f : o.vary) keys.push_back(ParseVaryFlag(f));
    if (o.leniency_curve) keys.push_back(LeniencyCurveKey());
  } else if (!base.sweep.vary.empty()) {
    for (const auto& [k, v] : base.sweep.vary) keys.push_back({k, v});
    grid = base.sweep.grid && !o.zip;
    source = fmt::format("{}: [sweep]", o.scenario);
  } else {
    throw InputError(fmt::format(
        "{}: nothing to vary; give --vary key.path=v1,v2,... (or --leniency-curve), or a "
        "[sweep] table in the scenario",
        o.scenario));
  }
  const SweepPlan plan = MakeSweepPlan(std::move(keys), grid, source);
  const int P = plan.NumPoints();

  std::vector<int> requested;
  if (o.points.empty()) {
    for (int p = 1; p <= P; ++p) requested.push_back(p);
  } else {
    for (int p : o.points)
      if (p < 1 || p > P)
        throw InputError(
            fmt::format("--points {}: point {} is outside 1..{}", fmt::join(o.points, ","), p, P));
    std::set<int> unique(o.points.begin(), o.points.end());
    requested.assign(unique.begin(), unique.end());
  }

  // Every requested point's overrides, checked by loading the scenario with
  // them (so an unknown key or a bad value stops the sweep before it runs).
  const char* seeds_mode = o.independent ? "independent" : "common";
  std::map<int, std::vector<std::string>> point_overrides;
  auto all_overrides = [&](int p) {
    std::vector<std::string> ov = o.overrides;
    ov.insert(ov.end(), point_overrides[p].begin(), point_overrides[p].end());
    return ov;
  };
  auto point_label = [&](int p) {
    const auto values = plan.Values(p);
    std::vector<std::string> parts;
    for (size_t k = 0; k < plan.keys.size(); ++k)
      parts.push_back(fmt::format("{}={}", plan.keys[k].key, values[k]));
    return fmt::format("sweep point {} of {} ({})", p, P, fmt::join(parts, ", "));
  };
  // The memory pre-flight is per the largest point, from the scenario's
  // counts, before anything is drawn or written.
  int largest = 0;
  Scenario largest_scenario;
  PreflightEstimate largest_estimate;
  for (int p : requested) {
    try {
      std::vector<std::string> ov = PointOverrides(plan, p, base.shares);
      if (o.independent) ov.push_back(fmt::format("seed={}", IndependentPointSeed(base.seed, p)));
      point_overrides[p] = std::move(ov);
      Scenario check = LoadScenario(o.scenario, all_overrides(p));
      KeepModels(check, kept);
      check.uncertainty = UncertaintySpec{};  // not part of a sweep's outputs
      if (check.models.empty()) throw InputError("no model left to run");
      PreflightEstimate est = EstimateRunFromCounts(check, o.threads, false);
      if (largest == 0 || est.bytes > largest_estimate.bytes) {
        largest = p;
        largest_estimate = std::move(est);
        largest_scenario = std::move(check);
      }
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", point_label(p), e.what()));
    }
  }
  if (largest > 0)
    RefuseIfTooBig(fmt::format("sweep: the largest point, {}", point_label(largest)),
                   largest_estimate, o.memory, largest_scenario, nullptr, o.threads, false);

  // Output paths.
  fs::path out =
      o.out.empty()
          ? fs::path(fmt::format("out/{}-sweep", base.name.empty() ? "scenario" : base.name))
          : fs::path(o.out);
  out = out.lexically_normal();
  if (!out.has_filename()) out = out.parent_path();
  if (out.empty()) throw InputError(fmt::format("--out {}: expected a directory path", o.out));
  fs::path partial = out;
  partial += ".partial";
  outcome.out = out.string();
  outcome.partial = partial.string();
  outcome.points_total = static_cast<int>(requested.size());
  outcome.threads = o.threads > 0 ? o.threads : static_cast<int>(tbb::info::default_concurrency());

  Json fingerprint;
  fingerprint["version"] = EVALSIM_VERSION;
  fingerprint["scenario_sha256"] = Sha256File(o.scenario);
  fingerprint["overrides"] = o.overrides;
  fingerprint["plan"] = PlanJson(plan);
  fingerprint["seeds"] = seeds_mode;
  fingerprint["replicates"] = base.replicates;
  fingerprint["models"] = kept;

  std::error_code ec;
  const fs::path sweep_json = partial / "sweep.json";
  if (fs::exists(partial, ec)) {
    if (!o.resume)
      throw InputError(fmt::format(
          "{} exists: it holds the finished points of an unfinished sweep; pass --resume to "
          "finish it, or remove {} to start over",
          partial.string(), partial.string()));
    if (!fs::exists(sweep_json, ec))
      throw InputError(
          fmt::format("{}: missing; {} is not an unfinished sweep (remove it to start "
                      "over)",
                      sweep_json.string(), partial.string()));
    Json have;
    try {
      have = Json::parse(ReadFile(sweep_json));
    } catch (const nlohmann::json::exception&) {
      throw InputError(fmt::format("{}: not valid JSON (remove {} to start over)",
                                   sweep_json.string(), partial.string()));
    }
    const std::string field = FirstDifference(have, fingerprint);
    if (!field.empty())
      throw InputError(fmt::format(
          "{}: cannot resume: field \"{}\" differs (the unfinished sweep has {}, this command "
          "has {}); rerun the command that started it, or remove {} to start over",
          sweep_json.string(), field, have.contains(field) ? have[field].dump() : "nothing",
          fingerprint.contains(field) ? fingerprint[field].dump() : "nothing", partial.string()));
  } else {
    fs::create_directories(partial / "points", ec);
    if (ec)
      throw InputError(fmt::format("--out {}: cannot create {}: {}", out.string(), partial.string(),
                                   ec.message()));
    try {
      WriteFileAtomically(sweep_json, fingerprint.dump(2) + "\n");
    } catch (...) {
      fs::remove_all(partial, ec);  // created just now: nothing to resume from
      throw;
    }
  }
  fs::create_directories(partial / "points", ec);

  // Run the points not finished yet.
  std::vector<SweepPoint> results;
  int run_here = 0;
  bool hook_fired = false;
  {
    const long R = base.replicates;
    long todo = 0;
    for (int p : requested)
      if (!fs::exists(partial / "points" / PointDirName(p, P) / "metrics.csv", ec)) ++todo;
    Progress progress("sweep (points x replicates)", todo * R, o.progress);
    for (int p : requested) {
      const std::string name = PointDirName(p, P);
      const fs::path dir = partial / "points" / name;
      if (fs::exists(dir / "metrics.csv", ec) && fs::exists(dir / "manifest.json", ec)) {
        // Finished earlier: check it belongs to this point, then load it.
        Json man;
        try {
          man = Json::parse(ReadFile(dir / "manifest.json"));
        } catch (const nlohmann::json::exception&) {
          throw InputError(fmt::format("{}: not valid JSON (remove {} to start over)",
                                       (dir / "manifest.json").string(), partial.string()));
        }
        if (!man.contains("point") || man["point"] != p || !man.contains("point_overrides") ||
            man["point_overrides"] != Json(point_overrides[p]))
          throw InputError(
              fmt::format("{}: written for another point or plan (remove {} to "
                          "start over)",
                          (dir / "manifest.json").string(), partial.string()));
        const fs::path csv = dir / "metrics.csv";
        results.push_back({p, plan.Values(p), ParsePointMetrics(ReadFile(csv), csv.string())});
        ++outcome.points_resumed;
        continue;
      }
      if (Interrupted()) {
        outcome.interrupted = true;
        break;
      }
      const auto p0 = Clock::now();
      const std::vector<std::string> ov = all_overrides(p);
      Scenario s = LoadScenario(o.scenario, ov);
      KeepModels(s, kept);
      s.uncertainty = UncertaintySpec{};
      RunConfig config;
      config.progress = false;
      config.keep_scores = false;
      RunResult r;
      try {
        r = RunScenario(s, o.threads, config);
      } catch (const InterruptedError&) {
        outcome.interrupted = true;
        break;
      }
      outcome.threads = r.threads;
      const std::string csv = MetricsCsv(r);
      Json man = BaseManifest(s, ov);
      man["point"] = p;
      Json values;
      const auto vals = plan.Values(p);
      for (size_t k = 0; k < plan.keys.size(); ++k) values[plan.keys[k].key] = vals[k];
      man["point_values"] = values;
      man["point_overrides"] = point_overrides[p];
      man["seeds"] = seeds_mode;
      man["threads"] = r.threads;
      Json wall;
      wall["seconds"] = std::chrono::duration<double>(Clock::now() - p0).count();
      wall["organisation"] = r.seconds_organisation;
      wall["generate"] = r.seconds_generate;
      wall["score"] = r.seconds_score;
      wall["metrics"] = r.seconds_metrics;
      wall["peak_memory_bytes"] = PeakMemoryBytes();
      man["wall_time"] = wall;
      // Written beside, then renamed into place complete.
      const fs::path tmp = partial / "points" / ("." + name + ".tmp");
      fs::remove_all(tmp, ec);
      fs::create_directories(tmp, ec);
      if (ec) throw InputError(fmt::format("{}: cannot create: {}", tmp.string(), ec.message()));
      try {
        WriteTextFile(tmp / "metrics.csv", csv);
        WriteTextFile(tmp / "manifest.json", man.dump(2) + "\n");
      } catch (...) {
        fs::remove_all(tmp, ec);  // no half-written point is left behind
        throw;
      }
      fs::remove_all(dir, ec);
      fs::rename(tmp, dir, ec);
      if (ec)
        throw InputError(fmt::format("{}: cannot move into place: {}", dir.string(), ec.message()));
      results.push_back({p, vals, ParsePointMetrics(csv, (dir / "metrics.csv").string())});
      progress.Advance(R);
      ++run_here;
      if (o.stop_after_points >= 0 && run_here == o.stop_after_points && !Interrupted()) {
        RequestInterrupt(true);
        hook_fired = true;
      }
    }
  }
  if (hook_fired) RequestInterrupt(false);
  outcome.points_done = static_cast<int>(results.size());
  if (outcome.interrupted) {
    outcome.message = fmt::format(
        "evalsim: interrupted after {} of {} points; finished points are kept in {}; rerun the "
        "same command with --resume to finish",
        outcome.points_done, outcome.points_total, partial.string());
    return outcome;
  }

  // Assemble the output directory.
  StagedDirectory staged(out);
  fs::create_directories(staged.File("points"), ec);
  for (const auto& pt : results) {
    const std::string name = PointDirName(pt.point, P);
    fs::create_directories(staged.File("points/" + name), ec);
    for (const char* f : {"metrics.csv", "manifest.json"})
      WriteTextFile(staged.File("points/" + name + "/" + f),
                    ReadFile(partial / "points" / name / f));
  }
  WriteTextFile(staged.File("sweep.csv"), SweepCsv(plan, results));

  std::string header;
  {
    std::vector<std::string> names;
    for (const auto& k : plan.keys) names.push_back(k.key);
    header += fmt::format(
        "sweep of {}: {} of {} points ({} {}), {} models, {} replicates per "
        "point\n",
        base.name, results.size(), P, plan.grid ? "grid over" : "zip of",
        fmt::join(names, plan.grid ? " x " : ", "), kept.size(), base.replicates);
    if (o.independent)
      header += fmt::format(
          "seeds: independent (point p runs with seed DeriveSeed({}, {{p}}) reduced to 62 "
          "bits)\n",
          base.seed);
    else
      header += fmt::format(
          "seeds: common random numbers (seed {} at every point: the same organisation and vote "
          "streams, so differences between points come from the knob, not from noise)\n",
          base.seed);
    header +=
        "close: how many other models' 95 % intervals over replicates reach the best model's "
        "lower end (0 = the best is clearly best)\n";
  }
  outcome.summary = SweepSummary(plan, results, header);
  WriteTextFile(staged.File("summary.txt"), outcome.summary);

  Json man = BaseManifest(base, o.overrides);
  Json sweep;
  sweep["plan"] = PlanJson(plan);
  sweep["seeds"] = seeds_mode;
  sweep["seeds_rule"] = o.independent
                            ? "point p runs with seed DeriveSeed(seed, {p}) & (2^62 - 1)"
                            : "every point runs with the scenario's seed (common random numbers)";
  sweep["models"] = kept;
  sweep["points"] = requested;
  Json pov = Json::object();
  for (int p : requested) pov[std::to_string(p)] = point_overrides[p];
  sweep["point_overrides"] = pov;
  man["sweep"] = sweep;
  man["threads"] = outcome.threads;
  man["resumed_points"] = outcome.points_resumed;
  Json wall;
  wall["seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();
  wall["peak_memory_bytes"] = PeakMemoryBytes();
  man["wall_time"] = wall;
  WriteTextFile(staged.File("manifest.json"), man.dump(2) + "\n");
  if (o.finish) o.finish(staged.Path());
  staged.Commit();

  // Drop the staging area, unless it holds points this call did not ask for.
  bool others = false;
  for (const auto& entry : fs::directory_iterator(partial / "points", ec)) {
    const std::string n = entry.path().filename().string();
    if (n.empty() || n[0] == '.') continue;
    int p = 0;
    const auto [ptr, perr] = std::from_chars(n.data(), n.data() + n.size(), p);
    if (perr != std::errc() || !std::binary_search(requested.begin(), requested.end(), p))
      others = true;
  }
  if (others)
    outcome.kept_partial = true;
  else
    fs::remove_all(partial, ec);
  return outcome;
}

}  // namespace evalsim
