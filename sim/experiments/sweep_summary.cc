// The tables of a sweep: a point's metrics.csv read back, sweep.csv and
// the summary.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <utility>

#include "sim/core/errors.h"
#include "sim/core/metrics.h"
#include "sim/experiments/sweep.h"
#include "sim/io/csv.h"
#include "sim/io/csv_write.h"

namespace evalsim {
namespace {

std::string Fmt3(double v) { return fmt::format("{:.3f}", v); }

// The metrics the summary reports, in order.
constexpr const char* kHeadline[] = {"accuracy.kendall", "topk.precision", "stability.kendall",
                                     "stability.topk_jaccard", "class.top_precision"};

using Texts = std::vector<std::pair<std::string, std::string>>;  // (line label, text)

// What every metric's part of the summary shares.
struct SummaryFrame {
  const SweepPlan& plan;
  const std::vector<SweepPoint>& points;
  std::vector<std::string> models;         // in order of first appearance
  std::vector<std::vector<size_t>> lines;  // lines of points along the first key
  const std::string& key0;                 // the first key
  const std::string& key_first;            // its first value
  const std::string& key_last;             // its last value
};

// One metric at every point.
struct MetricTable {
  std::vector<std::vector<double>> value;   // value[point][model], NaN when absent
  std::vector<std::vector<double>> lo, hi;  // 95 % interval, NaN when none
  std::vector<size_t> cols;                 // models with the metric
  std::vector<std::string> best, close;     // per point
};

// Models in order of first appearance.
std::vector<std::string> ModelsOf(const std::vector<SweepPoint>& points) {
  std::vector<std::string> models;
  for (const auto& p : points)
    for (const auto& r : p.rows)
      if (std::find(models.begin(), models.end(), r.model) == models.end())
        models.push_back(r.model);
  return models;
}

// Lines along the first key: the points that share every other key's
// value (grid), or every point (zip), in point order.
std::vector<std::vector<size_t>> LinesAlongFirstKey(const SweepPlan& plan,
                                                    const std::vector<SweepPoint>& points) {
  std::vector<std::vector<size_t>> lines;
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
  return lines;
}

// " [key=value, ...]" of the other keys along a line (grid with two keys or
// more), else "".
std::string LineLabel(const SummaryFrame& f, const std::vector<size_t>& line) {
  if (!f.plan.grid || f.plan.keys.size() < 2) return std::string();
  std::vector<std::string> parts;
  for (size_t k = 1; k < f.plan.keys.size(); ++k)
    parts.push_back(fmt::format("{}={}", f.plan.keys[k].key, f.points[line.front()].values[k]));
  return fmt::format(" [{}]", fmt::join(parts, ", "));
}

// `metric` at every point and model; nullopt when no point has it.
std::optional<MetricTable> CollectMetric(const SummaryFrame& f, const std::string& metric) {
  const double kNone = std::numeric_limits<double>::quiet_NaN();
  MetricTable t;
  t.value.assign(f.points.size(), std::vector<double>(f.models.size(), kNone));
  t.lo = t.value;
  t.hi = t.value;
  std::vector<bool> model_has(f.models.size(), false);
  bool any = false;
  for (size_t i = 0; i < f.points.size(); ++i)
    for (const auto& r : f.points[i].rows)
      if (r.metric == metric) {
        const size_t m = std::find(f.models.begin(), f.models.end(), r.model) - f.models.begin();
        t.value[i][m] = r.number;
        if (!r.lo.empty() && !r.hi.empty()) {
          t.lo[i][m] = std::strtod(r.lo.c_str(), nullptr);
          t.hi[i][m] = std::strtod(r.hi.c_str(), nullptr);
        }
        model_has[m] = any = true;
      }
  if (!any) return std::nullopt;
  for (size_t m = 0; m < f.models.size(); ++m)
    if (model_has[m]) t.cols.push_back(m);
  return t;
}

// Best model(s) per point. `close`: how many other models' 95 % intervals
// reach the best one's lower end (a best that is not clearly better says
// so).
void FindBest(const SummaryFrame& f, MetricTable& t) {
  const double kNone = std::numeric_limits<double>::quiet_NaN();
  const std::vector<std::string>& models = f.models;
  t.best.assign(f.points.size(), "");
  t.close.assign(f.points.size(), "");
  for (size_t i = 0; i < f.points.size(); ++i) {
    const std::vector<NoiseTier> tier = NoiseTiers(t.value[i], t.lo[i], t.hi[i]);
    std::vector<std::string> names;
    double best_lo = kNone;
    int overlapping = 0;
    for (size_t m = 0; m < models.size(); ++m) {
      if (tier[m] == NoiseTier::kBest) {
        names.push_back(models[m]);
        if (std::isnan(best_lo)) best_lo = t.lo[i][m];
      }
      overlapping += tier[m] == NoiseTier::kClose;
    }
    t.best[i] = names.empty() ? "-" : fmt::format("{}", fmt::join(names, "="));
    t.close[i] = std::isnan(best_lo) ? "-" : std::to_string(overlapping);
  }
}

// The metric's table: a point per row, the keys, every model's value, the
// best model and `close`.
std::string MetricTableText(const SummaryFrame& f, const MetricTable& t,
                            const std::string& metric) {
  std::vector<std::string> head = {"point"};
  for (const auto& k : f.plan.keys) head.push_back(k.key);
  for (size_t m : t.cols) head.push_back(f.models[m]);
  head.push_back("best");
  head.push_back("close");
  std::vector<std::vector<std::string>> cells;
  for (size_t i = 0; i < f.points.size(); ++i) {
    std::vector<std::string> row = {std::to_string(f.points[i].point)};
    for (const auto& v : f.points[i].values) row.push_back(v);
    for (size_t m : t.cols) row.push_back(std::isnan(t.value[i][m]) ? "-" : Fmt3(t.value[i][m]));
    row.push_back(t.best[i]);
    row.push_back(t.close[i]);
    cells.push_back(std::move(row));
  }
  std::vector<size_t> width(head.size());
  for (size_t c = 0; c < head.size(); ++c) {
    width[c] = head[c].size();
    for (const auto& row : cells) width[c] = std::max(width[c], row[c].size());
  }
  const size_t first_model = 1 + f.plan.keys.size(), last_model = first_model + t.cols.size();
  std::string text = fmt::format("\n{} (higher is better)\n", metric);
  auto put_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      const bool right = c >= first_model && c < last_model;
      line += (c ? "  " : "") + (right ? fmt::format("{:>{}}", row[c], width[c])
                                       : fmt::format("{:<{}}", row[c], width[c]));
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + "\n";
  };
  put_row(head);
  for (const auto& row : cells) put_row(row);
  return text;
}

// Where the best model changes along `line` (segments of equal best).
std::string CrossingText(const SummaryFrame& f, const MetricTable& t,
                         const std::vector<size_t>& line) {
  const std::string& v_first = f.points[line.front()].values[0];
  const std::string& v_last = f.points[line.back()].values[0];
  std::vector<std::pair<size_t, size_t>> segs;  // [begin, end] positions in `line`
  for (size_t j = 0; j < line.size(); ++j) {
    if (j == 0 || t.best[line[j]] != t.best[line[j - 1]])
      segs.push_back({j, j});
    else
      segs.back().second = j;
  }
  if (segs.size() == 1)
    return fmt::format("{} best at every {} ({} to {})", t.best[line.front()], f.key0, v_first,
                       v_last);
  std::vector<std::string> parts;
  for (size_t s = 0; s < segs.size(); ++s) {
    const std::string& name = t.best[line[segs[s].first]];
    const std::string& a = f.points[line[segs[s].first]].values[0];
    const std::string& b = f.points[line[segs[s].second]].values[0];
    if (s == 0)
      parts.push_back(fmt::format("{} best up to {}={}", name, f.key0, b));
    else if (s + 1 == segs.size())
      parts.push_back(fmt::format("{} from {}", name, a));
    else if (segs[s].first == segs[s].second)
      parts.push_back(fmt::format("{} at {}", name, a));
    else
      parts.push_back(fmt::format("{} from {} to {}", name, a, b));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

// Models whose values go up and down along the line (as the tables show
// them), and the values of the first key where they turn (the interior
// extreme point).
std::vector<std::string> BumpyModels(const SummaryFrame& f, const MetricTable& t,
                                     const std::vector<size_t>& line,
                                     std::set<std::string>& turns) {
  std::vector<std::string> bumpy;
  for (size_t m : t.cols) {
    std::vector<double> v;
    std::vector<size_t> at;
    for (size_t j = 0; j < line.size(); ++j)
      if (!std::isnan(t.value[line[j]][m])) {
        v.push_back(std::stod(Fmt3(t.value[line[j]][m])));
        at.push_back(j);
      }
    bool up = false, down = false;
    for (size_t j = 1; j < v.size(); ++j) {
      up = up || v[j] > v[j - 1];
      down = down || v[j] < v[j - 1];
    }
    if (!(up && down)) continue;
    bumpy.push_back(f.models[m]);
    const size_t lo = std::min_element(v.begin(), v.end()) - v.begin();
    const size_t hi = std::max_element(v.begin(), v.end()) - v.begin();
    const size_t turn = lo != 0 && lo + 1 != v.size() ? lo : hi;
    turns.insert(f.points[line[at[turn]]].values[0]);
  }
  return bumpy;
}

// How each model moves from the first to the last point of `line`, judged
// on the values the tables show (3 decimals); nullopt when no model has
// both ends.
std::optional<std::string> ChangeText(const SummaryFrame& f, const MetricTable& t,
                                      const std::vector<size_t>& line) {
  const std::string& v_first = f.points[line.front()].values[0];
  const std::string& v_last = f.points[line.back()].values[0];
  std::vector<std::string> rises, falls, same;
  for (size_t m : t.cols) {
    const double a = t.value[line.front()][m], b = t.value[line.back()][m];
    if (std::isnan(a) || std::isnan(b)) continue;
    const std::string ta = Fmt3(a), tb = Fmt3(b);
    (ta == tb ? same : b > a ? rises : falls).push_back(f.models[m]);
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
  std::set<std::string> turns;
  const std::vector<std::string> bumpy = BumpyModels(f, t, line, turns);
  if (!bumpy.empty()) {
    const std::string where =
        turns.size() == 1 ? fmt::format(" at {}={}", f.key0, *turns.begin()) : "";
    if (bumpy.size() == n && n > 1)
      verdict.push_back(fmt::format("every model turns in between{}", where));
    else
      verdict.push_back(fmt::format("{} {} in between{}", fmt::join(bumpy, ", "),
                                    bumpy.size() == 1 ? "turns" : "turn", where));
  }
  // The line's ends, when they are not the first key's first and last
  // values (a --points subset).
  const std::string ends = v_first == f.key_first && v_last == f.key_last
                               ? std::string()
                               : fmt::format(" ({} {} -> {})", f.key0, v_first, v_last);
  if (n == 0) return std::nullopt;
  return fmt::format("{}{}", fmt::join(verdict, "; "), ends);
}

// One text per line of points, printed once when every line says the same.
std::string EmitTexts(const SweepPlan& plan, const Texts& items, const std::string& metric) {
  if (items.empty()) return "";
  bool all_same = true;
  for (const auto& it : items) all_same = all_same && it.second == items.front().second;
  if (!all_same) {
    std::string to;
    for (const auto& it : items) to += fmt::format("  {}{}: {}\n", metric, it.first, it.second);
    return to;
  }
  std::string whatever;
  if (items.size() > 1) {
    std::vector<std::string> others;
    for (size_t k = 1; k < plan.keys.size(); ++k) others.push_back(plan.keys[k].key);
    whatever = fmt::format(", whatever {}", fmt::join(others, " and "));
  }
  return fmt::format("  {}: {}{}\n", metric, items.front().second, whatever);
}

}  // namespace

std::vector<SweepRow> ParsePointMetrics(std::string_view csv, const std::string& file) {
  std::vector<std::vector<std::string>> records;
  ParseCsvRecords(csv, file, [&](long, std::span<const std::string_view> fields) {
    records.emplace_back(fields.begin(), fields.end());
  });
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
  std::string out = header;
  if (points.empty() || plan.keys.empty()) return out;
  const SummaryFrame f{plan,
                       points,
                       ModelsOf(points),
                       LinesAlongFirstKey(plan, points),
                       plan.keys.front().key,
                       plan.keys.front().values.front(),
                       plan.keys.front().values.back()};

  std::string crossings, changes;
  for (const std::string metric : kHeadline) {
    std::optional<MetricTable> t = CollectMetric(f, metric);
    if (!t) continue;
    FindBest(f, *t);
    out += MetricTableText(f, *t, metric);
    // Crossings and changes along the first key.
    Texts cross, change;
    for (const auto& line : f.lines) {
      if (line.size() < 2) continue;
      cross.emplace_back(LineLabel(f, line), CrossingText(f, *t, line));
      if (std::optional<std::string> text = ChangeText(f, *t, line))
        change.emplace_back(LineLabel(f, line), std::move(*text));
    }
    crossings += EmitTexts(plan, cross, metric);
    changes += EmitTexts(plan, change, metric);
  }
  if (!crossings.empty()) {
    out += fmt::format("\ncrossings (where the best model changes along {}):\n", f.key0);
    out += crossings;
    out += fmt::format("\nchanges from {}={} to {} (as the tables show them):\n", f.key0,
                       f.key_first, f.key_last);
    out += changes;
  } else {
    out += fmt::format("\nno crossings to report: fewer than two points along {}\n", f.key0);
  }
  return out;
}

}  // namespace evalsim
