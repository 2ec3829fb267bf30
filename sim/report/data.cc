// The report's data, read from the files of an output directory (see
// data.h). Every CSV file is read through sim/io (ReadCsvColumns,
// ReadCsvTable, MappedFile): a large evaluees.csv is paged through, and only
// what the charts need is kept.
#include "sim/report/data.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <tuple>

#include "sim/core/errors.h"
#include "sim/core/metrics.h"
#include "sim/io/csv.h"
#include "sim/io/files.h"

namespace evalsim::report {

namespace fs = std::filesystem;

bool IsFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

std::string ReadWhole(const fs::path& p) { return std::string(MappedFile(p).Text()); }

namespace {

// 1-based line of byte offset `pos` in `text`.
long LineOf(std::string_view text, size_t pos) {
  pos = std::min(pos, text.size());
  return 1 +
         static_cast<long>(std::count(text.begin(), text.begin() + static_cast<long>(pos), '\n'));
}

}  // namespace

// A number cell: empty gives nullopt; anything else that is not a number is
// an error naming file, line and column.
std::optional<double> Number(std::string_view s, const fs::path& file, long line,
                             const std::string& column) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size())
    throw InputError(fmt::format("{}column '{}': found \"{}\"; expected a number",
                                 Location(file.string(), line), column, s));
  return v;
}

double RequiredNumber(std::string_view s, const fs::path& file, long line,
                      const std::string& column) {
  const std::optional<double> v = Number(s, file, line, column);
  if (!v)
    throw InputError(fmt::format("{}column '{}': empty; expected a number",
                                 Location(file.string(), line), column));
  return *v;
}

Json NumOrNull(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

Json ReadManifest(const fs::path& dir) {
  const fs::path p = dir / "manifest.json";
  if (!IsFile(p))
    throw InputError(
        fmt::format("{}: missing (expected the manifest of a run, sweep or manipulate "
                    "directory)",
                    p.string()));
  const std::string text = ReadWhole(p);
  try {
    Json m = Json::parse(text);
    if (!m.is_object()) throw InputError(fmt::format("{}: expected a JSON object", p.string()));
    return m;
  } catch (const Json::parse_error& e) {
    throw InputError(
        fmt::format("{}malformed JSON: {}", Location(p.string(), LineOf(text, e.byte)), e.what()));
  }
}

// manifest[a][b]... or nullptr.
const Json* Find(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return nullptr;
    const auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

// Five-number summary (type-7 quantiles) with the mean, for box charts whose
// data must stay bounded whatever the number of values.
Json BoxStats(const std::string& model, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  Json r;
  r["model"] = model;
  r["n"] = v.size();
  r["min"] = v.front();
  r["q1"] = SortedQuantile(v, 0.25);
  r["median"] = SortedQuantile(v, 0.5);
  r["q3"] = SortedQuantile(v, 0.75);
  r["max"] = v.back();
  r["mean"] = sum / static_cast<double>(v.size());
  return r;
}

Json Summary(const Json& m, const std::string& kind) {
  Json s;
  auto copy = [&](const char* out, std::initializer_list<const char*> path) {
    if (const Json* v = Find(m, path)) s[out] = *v;
  };
  copy("name", {"resolved", "name"});
  copy("description", {"resolved", "description"});
  copy("scenario_file", {"scenario_file"});
  copy("seed", {"seed"});
  copy("replicates", {"replicates"});
  copy("version", {"version"});
  copy("git_describe", {"git_describe"});
  copy("scenario_sha256", {"scenario_sha256"});
  copy("overrides", {"overrides"});
  copy("organisation", {"organisation"});
  if (kind == "sweep") {
    copy("sweep_plan", {"sweep", "plan"});
    copy("sweep_seeds", {"sweep", "seeds_rule"});
    copy("sweep_models", {"sweep", "models"});
  }
  if (kind == "manipulate") {
    copy("goal", {"goal"});
    copy("quota", {"quota"});
    copy("bury", {"bury"});
    copy("targets", {"targets"});
  }
  if (kind == "calibrate") {
    for (const char* key : {"sets", "bootstrap", "scheme", "interval", "levels", "population",
                            "runs", "replicates_per_run"})
      if (const Json* v = Find(m, {"calibration", key})) s["calibration_design"][key] = *v;
  }
  copy("model_notes", {"model_notes"});
  copy("resolved", {"resolved"});
  return s;
}

// ---------------------------------------------------------------- metrics.csv

std::vector<MetricLine> ReadMetrics(const fs::path& p) {
  std::vector<MetricLine> rows;
  ReadCsvColumns(p, {"model", "metric", "value", "lo", "hi"},
                 [&](long line, const std::vector<std::string_view>& f) {
                   MetricLine r;
                   r.model = f[0];
                   r.metric = f[1];
                   r.value = Number(f[2], p, line, "value");
                   r.lo = Number(f[3], p, line, "lo");
                   r.hi = Number(f[4], p, line, "hi");
                   rows.push_back(std::move(r));
                 });
  return rows;
}

std::vector<std::string> Distinct(const std::vector<std::string>& v) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& s : v)
    if (seen.insert(s).second) out.push_back(s);
  return out;
}

Json MetricsTable(const std::vector<MetricLine>& rows) {
  std::vector<std::string> models, metrics;
  for (const MetricLine& r : rows) {
    models.push_back(r.model);
    metrics.push_back(r.metric);
  }
  models = Distinct(models);
  metrics = Distinct(metrics);
  Json t;
  t["key"] = "metrics";
  t["title"] = "Metrics per model: mean over replicates with its 95 % interval [lo, hi]";
  Json cols = Json::array({"model"});
  for (const std::string& m : metrics) cols.push_back(m);
  t["columns"] = cols;
  Json out_rows = Json::array();
  for (const std::string& model : models) {
    Json row = Json::array({model});
    for (const std::string& metric : metrics) {
      Json cell = nullptr;
      for (const MetricLine& r : rows)
        if (r.model == model && r.metric == metric) {
          cell = {{"value", NumOrNull(r.value)}, {"lo", NumOrNull(r.lo)}, {"hi", NumOrNull(r.hi)}};
          break;
        }
      row.push_back(cell);
    }
    out_rows.push_back(row);
  }
  t["rows"] = out_rows;
  return t;
}

// ---------------------------------------------------------------- evaluees.csv

namespace {

// The quota count k: the manifest's fairness.top_k, else ceil(quota * n).
std::optional<long> QuotaK(const Json& manifest, const std::function<long()>& n) {
  if (const Json* k = Find(manifest, {"fairness", "top_k"}); k && k->is_number_integer())
    return k->get<long>();
  if (const Json* q = Find(manifest, {"resolved", "metrics", "quota"}); q && q->is_number())
    return QuotaCount(q->get<double>(), static_cast<int>(n()));
  return std::nullopt;
}

}  // namespace

EvalueesData ReadEvaluees(const fs::path& p, const std::set<std::string>& weighted,
                          const Json& manifest) {
  EvalueesData d;
  // The evaluees per model, counted in a first pass only when k must be
  // computed from the quota share.
  d.quota = QuotaK(manifest, [&] {
    std::map<std::string, long> count;
    ReadCsvColumns(p, {"model"}, [&](long, const std::vector<std::string_view>& f) {
      ++count[std::string(f[0])];
    });
    long n = 0;
    for (const auto& [model, c] : count) n = std::max(n, c);
    return n;
  });
  if (d.quota) d.centre = static_cast<double>(*d.quota);
  long order = 0;
  ReadCsvColumns(
      p, {"model", "ratee", "mean_rank", "rank_lo", "rank_hi", "p_top"},
      [&](long line, const std::vector<std::string_view>& f) {
        const std::string model(f[0]);
        auto it = d.rows.find(model);
        if (it == d.rows.end()) {
          d.models.push_back(model);
          it = d.rows.emplace(model, ModelRows{}).first;
        }
        ModelRows& m = it->second;
        EvalueeRow r;
        r.mean_rank = RequiredNumber(f[2], p, line, "mean_rank");
        r.distance = std::fabs(r.mean_rank - d.centre);
        r.order = order++;
        d.n_max = std::max(d.n_max, ++m.n);
        if (weighted.count(model)) {
          const std::string ratee(f[1]);
          auto [rit, fresh] = d.ratee_id.emplace(ratee, static_cast<int>(d.ratee_names.size()));
          if (fresh) d.ratee_names.push_back(ratee);
          std::vector<double>& v = d.weighted_rank[model];
          if (v.size() <= static_cast<size_t>(rit->second))
            v.resize(static_cast<size_t>(rit->second) + 1, std::nan(""));
          v[static_cast<size_t>(rit->second)] = r.mean_rank;
        }
        if (static_cast<int>(m.nearest.size()) >= kCaterpillarRows && !Nearer()(r, m.nearest.top()))
          return;
        r.ratee = f[1];
        r.rank_lo = Number(f[3], p, line, "rank_lo");
        r.rank_hi = Number(f[4], p, line, "rank_hi");
        r.p_top = Number(f[5], p, line, "p_top");
        m.nearest.push(std::move(r));
        if (static_cast<int>(m.nearest.size()) > kCaterpillarRows) m.nearest.pop();
      });
  return d;
}

// ---------------------------------------------------------------- fairness.csv

FairnessLines ReadFairness(const fs::path& p) {
  FairnessLines d;
  ReadCsvColumns(p, {"model", "dimension", "stratum", "evaluees", "metric", "value"},
                 [&](long line, const std::vector<std::string_view>& f) {
                   if (f[1] != "size" || f[4] != "class_error") return;
                   const std::string stratum(f[2]);
                   if (std::find(d.strata.begin(), d.strata.end(), stratum) == d.strata.end())
                     d.strata.push_back(stratum);
                   d.values.push_back({{"model", std::string(f[0])},
                                       {"stratum", stratum},
                                       {"evaluees", NumOrNull(Number(f[3], p, line, "evaluees"))},
                                       {"class_error", NumOrNull(Number(f[5], p, line, "value"))}});
                 });
  return d;
}

// ------------------------------------------- uncertainty.csv, sensitivity.csv

UncertaintyLines ReadUncertainty(const fs::path& p) {
  struct Line {
    std::string evaluee;
    std::optional<double> median, lo, hi, base;
  };
  std::vector<Line> lines;
  ReadCsvColumns(
      p, {"evaluee", "median_rank", "rank_lo", "rank_hi", "base_rank"},
      [&](long line, const std::vector<std::string_view>& f) {
        lines.push_back({std::string(f[0]), Number(f[1], p, line, "median_rank"),
                         Number(f[2], p, line, "rank_lo"), Number(f[3], p, line, "rank_hi"),
                         Number(f[4], p, line, "base_rank")});
      });
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    const double inf = std::numeric_limits<double>::infinity();
    return a.base.value_or(inf) < b.base.value_or(inf);
  });
  UncertaintyLines d;
  d.evaluees = static_cast<int>(lines.size());
  const size_t step = (lines.size() + kUncertaintyRows - 1) / kUncertaintyRows;
  for (size_t i = 0; i < lines.size(); i += std::max<size_t>(step, 1)) {
    const Line& l = lines[i];
    d.values.push_back({{"evaluee", l.evaluee},
                        {"median_rank", NumOrNull(l.median)},
                        {"rank_lo", NumOrNull(l.lo)},
                        {"rank_hi", NumOrNull(l.hi)},
                        {"base_rank", NumOrNull(l.base)}});
  }
  return d;
}

Json ReadSensitivity(const fs::path& p) {
  Json values = Json::array();
  ReadCsvColumns(
      p, {"choice", "first_order", "share"},
      [&](long line, const std::vector<std::string_view>& f) {
        values.push_back({{"choice", std::string(f[0])},
                          {"first_order", NumOrNull(Number(f[1], p, line, "first_order"))},
                          {"share", NumOrNull(Number(f[2], p, line, "share"))}});
      });
  return values;
}

// ---------------------------------------------------------------- units.csv

namespace {

struct UnitLine {
  std::string unit;
  double evaluees, count, truth, distance;
  long order;
};

// The chart's rows of one model: the kAllocationUnits units farthest from
// the truth (file order among ties), in file order.
void AddModelUnits(const std::string& model, std::vector<UnitLine> lines, Json& values) {
  if (lines.size() > static_cast<size_t>(kAllocationUnits)) {
    std::stable_sort(lines.begin(), lines.end(),
                     [](const UnitLine& a, const UnitLine& b) { return a.distance > b.distance; });
    lines.resize(kAllocationUnits);
    std::sort(lines.begin(), lines.end(),
              [](const UnitLine& a, const UnitLine& b) { return a.order < b.order; });
  }
  for (const UnitLine& l : lines)
    for (const char* series : {"model", "truth"})
      values.push_back({{"model", model},
                        {"unit", l.unit},
                        {"series", series},
                        {"value", std::string(series) == "model" ? l.count : l.truth},
                        {"truth", l.truth},
                        {"evaluees", l.evaluees},
                        {"distance", l.distance}});
}

}  // namespace

UnitAllocation ReadUnits(const fs::path& p) {
  UnitAllocation d;
  std::map<std::string, std::vector<UnitLine>> lines;
  long order = 0;
  ReadCsvColumns(
      p, {"model", "level", "unit", "evaluees", "count", "truth_count", "distance"},
      [&](long line, const std::vector<std::string_view>& f) {
        if (f[5].empty()) return;  // not the top class
        if (d.level.empty()) d.level = f[1];
        if (f[1] != d.level) return;
        const std::string model(f[0]);
        if (!lines.count(model)) d.models.push_back(model);
        lines[model].push_back({std::string(f[2]), RequiredNumber(f[3], p, line, "evaluees"),
                                RequiredNumber(f[4], p, line, "count"),
                                RequiredNumber(f[5], p, line, "truth_count"),
                                RequiredNumber(f[6], p, line, "distance"), order++});
      });
  for (const std::string& m : d.models) {
    d.units = std::max(d.units, static_cast<long>(lines[m].size()));
    AddModelUnits(m, std::move(lines[m]), d.values);
  }
  return d;
}

// ---------------------------------------------------------------- parameters.csv

WeightMeans ReadWeights(const fs::path& p) {
  WeightMeans w;
  ReadCsvColumns(
      p, {"model", "parameter", "value"}, [&](long line, const std::vector<std::string_view>& f) {
        constexpr std::string_view kPrefix = "weight.";
        if (f[1].substr(0, kPrefix.size()) != kPrefix) return;
        const std::string model(f[0]);
        const std::string ind(f[1].substr(kPrefix.size()));
        const std::optional<double> v = Number(f[2], p, line, "value");
        if (std::find(w.models.begin(), w.models.end(), model) == w.models.end())
          w.models.push_back(model);
        if (std::find(w.indicators.begin(), w.indicators.end(), ind) == w.indicators.end())
          w.indicators.push_back(ind);
        if (!v || !std::isfinite(*v)) return;
        auto& acc = w.sum[{model, ind}];
        acc.first += *v;
        acc.second += 1;
      });
  return w;
}

// ---------------------------------------------------------------- sweep.csv

namespace {

bool AllNumbers(const std::vector<std::string>& v) {
  for (const std::string& s : v) {
    double x = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(x))
      return false;
  }
  return true;
}

// A record of sweep.csv as read: point, keys..., model, metric, value, lo, hi.
struct SweepLine {
  long line = 0;
  std::vector<std::string> fields;
};

// The records after the header, whose numbers are checked; the varied keys
// into `keys`.
std::vector<SweepLine> ReadSweepLines(const fs::path& p, std::vector<std::string>& keys) {
  const std::string name = p.string();
  std::vector<SweepLine> lines;
  const auto on_header = [&](long line, std::span<const std::string_view> f) {
    if (f.size() < 7 || f[0] != "point" || f[f.size() - 5] != "model" ||
        f[f.size() - 4] != "metric" || f[f.size() - 3] != "value" || f[f.size() - 2] != "lo" ||
        f[f.size() - 1] != "hi")
      throw InputError(
          fmt::format("{}expected the header point,<varied keys>,model,metric,value,lo,hi",
                      Location(name, line)));
    keys.assign(f.begin() + 1, f.end() - 5);
  };
  ReadCsvTable(p, on_header, [&](long line, std::span<const std::string_view> f) {
    const size_t width = f.size();
    for (size_t i = width - 3; i < width; ++i)
      Number(f[i], p, line, i == width - 3 ? "value" : i == width - 2 ? "lo" : "hi");
    RequiredNumber(f[0], p, line, "point");
    lines.push_back({line, std::vector<std::string>(f.begin(), f.end())});
  });
  return lines;
}

// The chart's data row of a record.
Json SweepValues(const SweepTable& t, const SweepLine& l, const fs::path& p) {
  const std::vector<std::string>& r = l.fields;
  const std::vector<std::string>& keys = t.keys;
  const size_t nk = keys.size();
  const long line = l.line;
  Json v;
  v["point"] = static_cast<long>(RequiredNumber(r[0], p, line, "point"));
  for (size_t k = 0; k < nk; ++k) {
    if (t.numeric[k])
      v[keys[k]] = RequiredNumber(r[1 + k], p, line, keys[k]);
    else
      v[keys[k]] = r[1 + k];
  }
  if (nk > 1) {
    std::string other;
    for (size_t k = 1; k < nk; ++k)
      other += fmt::format("{}{}={}", k > 1 ? ", " : "", keys[k], r[1 + k]);
    v["other_keys"] = other;
  }
  v["model"] = r[nk + 1];
  v["value"] = NumOrNull(Number(r[nk + 3], p, line, "value"));
  v["lo"] = NumOrNull(Number(r[nk + 4], p, line, "lo"));
  v["hi"] = NumOrNull(Number(r[nk + 5], p, line, "hi"));
  return v;
}

}  // namespace

SweepTable ReadSweep(const fs::path& p) {
  SweepTable t;
  const std::vector<SweepLine> lines = ReadSweepLines(p, t.keys);
  if (lines.empty()) return t;
  const size_t nk = t.keys.size();
  // Numeric keys go on a quantitative axis.
  t.numeric.resize(nk);
  for (size_t k = 0; k < nk; ++k) {
    std::vector<std::string> col;
    for (const SweepLine& l : lines) col.push_back(l.fields[1 + k]);
    t.numeric[k] = AllNumbers(col);
  }
  std::vector<std::string> metrics;
  for (const SweepLine& l : lines) metrics.push_back(l.fields[nk + 2]);
  t.metrics = Distinct(metrics);
  for (const SweepLine& l : lines)
    t.rows.push_back(
        {l.fields[nk + 2], nk > 0 ? l.fields[1] : std::string(), SweepValues(t, l, p)});
  return t;
}

// ---------------------------------------------------------------- manipulation

ManipulationData ReadManipulation(const fs::path& dir) {
  ManipulationData d;
  const fs::path p = dir / "manipulation.csv";
  const fs::path ps = dir / "manipulation_summary.csv";
  if (IsFile(p)) {
    std::vector<std::string> models;
    std::map<std::string, std::vector<double>> costs;
    ReadCsvColumns(p, {"model", "cost", "buyable", "method"},
                   [&](long line, const std::vector<std::string_view>& f) {
                     const std::string model(f[0]);
                     if (!costs.count(model)) models.push_back(model);
                     std::vector<double>& c = costs[model];
                     const std::optional<double> buy = Number(f[2], p, line, "buyable");
                     const std::optional<double> cost = Number(f[1], p, line, "cost");
                     // Targets already at the goal cost nothing and were not searched.
                     if (f[3] == "already") return;
                     if (buy && *buy == 0) {
                       ++d.not_buyable;
                       return;
                     }
                     if (cost && std::isfinite(*cost)) c.push_back(*cost);
                   });
    for (const std::string& m : models) {
      if (costs[m].empty()) continue;
      d.chart_rows.push_back(BoxStats(m, costs[m]));
      d.order.push_back(m);
    }
  } else if (IsFile(ps)) {
    d.from_summary = true;
    ReadCsvColumns(ps, {"model", "cost_p10", "cost_median", "cost_mean", "cost_p90", "searched"},
                   [&](long line, const std::vector<std::string_view>& f) {
                     const std::optional<double> med = Number(f[2], ps, line, "cost_median");
                     if (!med) return;
                     Json r;
                     r["model"] = std::string(f[0]);
                     r["n"] = NumOrNull(Number(f[5], ps, line, "searched"));
                     r["min"] = NumOrNull(Number(f[1], ps, line, "cost_p10"));
                     r["q1"] = *med;
                     r["median"] = *med;
                     r["q3"] = *med;
                     r["max"] = NumOrNull(Number(f[4], ps, line, "cost_p90"));
                     r["mean"] = NumOrNull(Number(f[3], ps, line, "cost_mean"));
                     d.chart_rows.push_back(r);
                     d.order.push_back(std::string(f[0]));
                   });
  }
  return d;
}

// ---------------------------------------------------------------- a scored tally

TallyScores ReadTallyScores(const fs::path& p) {
  TallyScores t;
  int col_ratee = -1, col_score = -1, col_rank = -1, col_lo = -1, col_hi = -1, col_class = -1;
  const auto on_header = [&](long line, std::span<const std::string_view> f) {
    for (size_t i = 0; i < f.size(); ++i) {
      const int c = static_cast<int>(i);
      if (f[i] == "ratee") col_ratee = c;
      if (f[i] == "score") col_score = c;
      if (f[i] == "rank") col_rank = c;
      if (f[i] == "lo") col_lo = c;
      if (f[i] == "hi") col_hi = c;
      if (f[i] == "class") col_class = c;
    }
    if (col_ratee < 0 || col_score < 0 || col_rank < 0)
      throw InputError(fmt::format("{}expected a header with ratee, score and rank",
                                   Location(p.string(), line)));
    t.intervals = col_lo >= 0 && col_hi >= 0;
    t.classes = col_class >= 0;
  };
  std::set<std::string> seen;
  ReadCsvTable(p, on_header, [&](long line, std::span<const std::string_view> f) {
    TallyScore r;
    r.ratee = f[col_ratee];
    r.score = RequiredNumber(f[col_score], p, line, "score");
    r.rank = static_cast<long>(RequiredNumber(f[col_rank], p, line, "rank"));
    if (t.intervals) {
      r.lo = Number(f[col_lo], p, line, "lo");
      r.hi = Number(f[col_hi], p, line, "hi");
    }
    if (t.classes) {
      r.cls = f[col_class];
      if (seen.insert(r.cls).second) t.class_labels.push_back(r.cls);
    }
    t.rows.push_back(std::move(r));
  });
  return t;
}

// ---------------------------------------------------------------- calibration

CalibrationData ReadCalibration(const fs::path& p) {
  CalibrationData d;
  ReadCsvColumns(p, {"model", "quantity", "nominal", "coverage", "lo", "hi"},
                 [&](long line, const std::vector<std::string_view>& f) {
                   const std::string model(f[0]);
                   if (std::find(d.models.begin(), d.models.end(), model) == d.models.end())
                     d.models.push_back(model);
                   d.values.push_back({{"model", model},
                                       {"quantity", std::string(f[1])},
                                       {"nominal", RequiredNumber(f[2], p, line, "nominal")},
                                       {"coverage", NumOrNull(Number(f[3], p, line, "coverage"))},
                                       {"lo", NumOrNull(Number(f[4], p, line, "lo"))},
                                       {"hi", NumOrNull(Number(f[5], p, line, "hi"))}});
                 });
  return d;
}

PeriodsData ReadPeriods(const fs::path& p) {
  PeriodsData d;
  // (model, action, decile) -> sum of the periods' rates and their count.
  std::map<std::tuple<std::string, std::string, int>, std::pair<double, int>> rates;
  std::vector<std::tuple<std::string, std::string, int>> order;
  const std::string prefix = "action.", marker = ".p_fires.decile";
  ReadCsvColumns(p, {"period", "model", "metric", "value", "lo", "hi"},
                 [&](long line, const std::vector<std::string_view>& f) {
                   const std::string model(f[1]), metric(f[2]);
                   if (std::find(d.models.begin(), d.models.end(), model) == d.models.end())
                     d.models.push_back(model);
                   const double period = RequiredNumber(f[0], p, line, "period");
                   const double value = RequiredNumber(f[3], p, line, "value");
                   if (metric == "quality.mean") {
                     d.quality.push_back({{"model", model},
                                          {"period", period},
                                          {"value", value},
                                          {"lo", NumOrNull(Number(f[4], p, line, "lo"))},
                                          {"hi", NumOrNull(Number(f[5], p, line, "hi"))}});
                     return;
                   }
                   const size_t at = metric.rfind(marker);
                   if (metric.rfind(prefix, 0) != 0 || at == std::string::npos) return;
                   const std::string action = metric.substr(prefix.size(), at - prefix.size());
                   const int decile = std::atoi(metric.c_str() + at + marker.size());
                   const auto key = std::make_tuple(model, action, decile);
                   auto [it, fresh] = rates.try_emplace(key, 0.0, 0);
                   if (fresh) order.push_back(key);
                   it->second.first += value;
                   it->second.second += 1;
                 });
  for (const auto& key : order) {
    const auto& [sum, n] = rates.at(key);
    d.deciles.push_back({{"model", std::get<0>(key)},
                         {"action", std::get<1>(key)},
                         {"decile", std::get<2>(key)},
                         {"rate", sum / n}});
  }
  return d;
}

ReliabilityData ReadReliability(const fs::path& p) {
  ReliabilityData d;
  ReadCsvColumns(p, {"model", "target", "bin", "count", "mean_p_top", "frequency"},
                 [&](long line, const std::vector<std::string_view>& f) {
                   const std::string model(f[0]), target(f[1]);
                   if (std::find(d.models.begin(), d.models.end(), model) == d.models.end())
                     d.models.push_back(model);
                   if (std::find(d.targets.begin(), d.targets.end(), target) == d.targets.end())
                     d.targets.push_back(target);
                   const double count = RequiredNumber(f[3], p, line, "count");
                   const std::optional<double> mean_p = Number(f[4], p, line, "mean_p_top");
                   const std::optional<double> freq = Number(f[5], p, line, "frequency");
                   if (count <= 0 || !mean_p || !freq) return;
                   d.values.push_back({{"model", model},
                                       {"target", target},
                                       {"bin", RequiredNumber(f[2], p, line, "bin")},
                                       {"mean_p_top", NumOrNull(mean_p)},
                                       {"frequency", NumOrNull(freq)},
                                       {"count", count}});
                 });
  return d;
}

// ---------------------------------------------------------------- tables

Json CsvTable(const fs::path& p, const std::string& key, const std::string& title) {
  const MappedFile file(p);
  Json t;
  t["key"] = key;
  t["title"] = title;
  Json rows = Json::array();
  bool header = true;
  ParseCsvRecords(file.Text(), file.Name(), [&](long, std::span<const std::string_view> f) {
    Json r = Json::array();
    for (const std::string_view cell : f) {
      double x = 0;
      const auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), x);
      if (!header && !cell.empty() && ec == std::errc() && ptr == cell.data() + cell.size() &&
          std::isfinite(x))
        r.push_back(x);
      else
        r.push_back(cell);
    }
    if (header) {
      t["columns"] = r;
      header = false;
    } else {
      rows.push_back(r);
    }
  });
  if (header) throw InputError(fmt::format("{}: empty file (expected a header)", file.Name()));
  t["rows"] = rows;
  return t;
}

}  // namespace evalsim::report
