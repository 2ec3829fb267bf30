#include "sim/run/outputs.h"

#include <fmt/compile.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <tbb/global_control.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <future>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>

#include "sim/core/errors.h"
#include "sim/core/interrupt.h"
#include "sim/core/metrics.h"
#include "sim/core/parallel.h"
#include "sim/core/resources.h"
#include "sim/run/fairness.h"
#include "sim/run/meeting_outputs.h"

namespace evalsim {
namespace fs = std::filesystem;

namespace {

using Buffer = fmt::memory_buffer;

// Writes `header` then rows [0, rows) of a large table to `path`. Rows are
// formatted by `row(out, i)` in chunks, the chunks of a window in parallel,
// each into its own buffer, and written in row order, so the bytes are those
// of a sequential loop whatever the thread count, and at most two windows of
// text are held in memory instead of the whole file: one is written (on a
// thread of its own, which mostly waits for the disk) while the next is
// formatted.
template <class RowFn>
void WriteRows(const fs::path& path, const std::string& header, size_t rows, RowFn row) {
  constexpr size_t kChunkRows = 16384, kWindowChunks = 32;
  OutputFile file(path);
  file.Write(header);
  std::array<std::vector<Buffer>, 2> windows;
  for (auto& w : windows) w.resize(kWindowChunks);
  std::future<void> writing;
  for (size_t first = 0, w = 0; first < rows; first += kChunkRows * kWindowChunks, w ^= 1) {
    std::vector<Buffer>& chunks = windows[w];
    const size_t nchunks = std::min(kWindowChunks, (rows - first + kChunkRows - 1) / kChunkRows);
    ParallelFor(size_t{0}, nchunks, [&](size_t c) {
      Buffer& out = chunks[c];
      out.clear();
      const size_t lo = first + c * kChunkRows, hi = std::min(rows, lo + kChunkRows);
      for (size_t i = lo; i < hi; ++i) row(out, i);
    });
    if (writing.valid()) writing.get();
    writing = std::async(std::launch::async, [&file, &chunks, nchunks] {
      for (size_t c = 0; c < nchunks; ++c) file.Write({chunks[c].data(), chunks[c].size()});
    });
  }
  if (writing.valid()) writing.get();
  file.Close();
}

}  // namespace

nlohmann::ordered_json BaseManifest(const Scenario& s, const std::vector<std::string>& overrides) {
  nlohmann::ordered_json m;
  m["tool"] = "evalsim";
  m["version"] = EVALSIM_VERSION;
  m["git_describe"] = EVALSIM_GIT_DESCRIBE;
#ifdef NDEBUG
  m["build"] = fmt::format("g++ {}.{}, optimised", __GNUC__, __GNUC_MINOR__);
#else
  m["build"] = fmt::format("g++ {}.{}, debug", __GNUC__, __GNUC_MINOR__);
#endif
  m["scenario_file"] = s.file;
  m["scenario_sha256"] = Sha256File(s.file);
  m["overrides"] = overrides;
  m["seed"] = s.seed;
  m["replicates"] = s.replicates;
  std::stringstream ss;
  ss << toml::json_formatter{s.resolved};
  nlohmann::ordered_json resolved = nlohmann::ordered_json::parse(ss.str());
  // The models as they ran: presets expanded, defaults applied by the model.
  nlohmann::ordered_json models = nlohmann::ordered_json::array();
  for (const auto& e : s.models) {
    std::stringstream ms;
    ms << toml::json_formatter{e.options};
    nlohmann::ordered_json jm;
    jm["name"] = e.name;
    jm["model"] = e.model;
    if (!e.preset.empty()) jm["preset"] = e.preset;
    jm["options"] = nlohmann::ordered_json::parse(ms.str());
    models.push_back(jm);
  }
  m["resolved"] = resolved;
  m["models"] = models;
  return m;
}

namespace {

// A column of the terminal table: the metric, its heading, and for a class
// metric which class it needs and what to say when that class was never
// given.
enum class ClassNeed { kNone, kTop, kBottom };
struct TableColumn {
  const char* metric;
  const char* heading;
  ClassNeed need;
  const char* missing;
};

constexpr TableColumn kTableColumns[] = {
    {"accuracy.kendall", "acc.kendall", ClassNeed::kNone, ""},
    {"accuracy.spearman", "acc.spearman", ClassNeed::kNone, ""},
    {"topk.precision", "topk.prec", ClassNeed::kNone, ""},
    {"stability.kendall", "stab.kendall", ClassNeed::kNone, ""},
    {"class.top_precision", "class.top", ClassNeed::kTop,
     "its rules never gave the top class in any replicate"},
    {"class.bottom_precision", "class.bottom", ClassNeed::kBottom,
     "its bottom tranche or gates never fired in any replicate"},
};

// Whether the model's class rules can give the class a column needs (a
// class metric of rules without that class is not a metric at all).
bool CanGive(const Scenario& s, const ModelOutcome& m, ClassNeed need) {
  if (need == ClassNeed::kNone) return true;
  for (const ModelEntry& e : s.models) {
    if (e.name != m.name) continue;
    for (const std::string& label : m.class_labels)
      if (need == ClassNeed::kTop ? label == e.classes.TopLabel() : e.classes.IsBottomLabel(label))
        return true;
  }
  return false;
}

const MetricRow* FindMetric(const ModelOutcome& m, const std::string& name) {
  for (const auto& row : m.metrics)
    if (row.metric == name) return &row;
  return nullptr;
}

// One metric's cells, "0.854 ±0.004 *": the value, the half width of its
// 95 % interval, and * for the best model, ~ for one within noise of it.
std::vector<std::string> MetricCells(const Scenario& s, const RunResult& r, const TableColumn& c,
                                     std::vector<std::string>& notes) {
  const size_t M = r.models.size();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> value(M, nan), lo(M, nan), hi(M, nan);
  std::vector<const MetricRow*> rows(M);
  for (size_t m = 0; m < M; ++m) {
    rows[m] = FindMetric(r.models[m], c.metric);
    if (!rows[m]) continue;
    value[m] = rows[m]->value;
    if (rows[m]->has_interval && std::isfinite(rows[m]->lo) && std::isfinite(rows[m]->hi) &&
        rows[m]->hi > rows[m]->lo) {
      lo[m] = rows[m]->lo;
      hi[m] = rows[m]->hi;
    }
  }
  const std::vector<NoiseTier> tier = NoiseTiers(value, lo, hi);
  std::vector<std::string> cells(M);
  for (size_t m = 0; m < M; ++m) {
    if (!rows[m]) {
      // A class metric the rules could give but never did: say so.
      const bool never = c.need != ClassNeed::kNone && CanGive(s, r.models[m], c.need);
      cells[m] = never ? "n/a" : "-";
      if (never)
        notes.push_back(
            fmt::format("{}: {} cannot be computed: {}", r.models[m].name, c.metric, c.missing));
      continue;
    }
    std::string cell = fmt::format("{:.3f}", value[m]);
    if (!std::isnan(lo[m])) cell += fmt::format(" ±{:.3f}", 0.5 * (hi[m] - lo[m]));
    cell += tier[m] == NoiseTier::kBest ? " *" : tier[m] == NoiseTier::kClose ? " ~" : "  ";
    cells[m] = cell;
  }
  return cells;
}

}  // namespace

std::string SummaryTable(const Scenario& s, const RunResult& r) {
  size_t width = 5;
  for (const auto& m : r.models) width = std::max(width, m.name.size());
  // A class column appears when some model's rules can give its class.
  std::vector<const TableColumn*> columns;
  for (const TableColumn& c : kTableColumns) {
    bool any = c.need == ClassNeed::kNone;
    for (const auto& m : r.models) any = any || CanGive(s, m, c.need);
    if (any) columns.push_back(&c);
  }
  std::vector<std::string> notes;
  std::vector<std::vector<std::string>> cells;
  for (const TableColumn* c : columns) cells.push_back(MetricCells(s, r, *c, notes));
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{:<{}}", "model", width);
  for (const TableColumn* c : columns) fmt::format_to(it, "  {:>15}", c->heading);
  fmt::format_to(it, "  {:>15}\n", "fit ms (median)");
  for (size_t m = 0; m < r.models.size(); ++m) {
    fmt::format_to(it, "{:<{}}", r.models[m].name, width);
    for (const auto& col : cells) fmt::format_to(it, "  {:>15}", col[m]);
    // Median over replicates: steadier than the mean on a busy machine.
    const auto& fit = r.models[m].fit_seconds;
    fmt::format_to(it, "  {:>15.3f}\n", fit.empty() ? 0 : 1e3 * Quantile(fit, 0.5));
  }
  fmt::format_to(it,
                 "±: half width of the 95 % interval over replicates; *: best; ~: within noise "
                 "of the best (its interval reaches the best one's lower end)\n");
  for (const auto& n : notes) fmt::format_to(it, "{}\n", n);
  if (!r.item_names.empty())
    fmt::format_to(it,
                   "items ({}): within-rater inter-item correlation {:.3f}, Cronbach's alpha "
                   "{:.3f}\n",
                   fmt::join(r.item_names, ", "), r.item_correlation.value, r.item_alpha.value);
  return fmt::to_string(out);
}

namespace {

// metrics.csv
void WriteMetricsCsv(StagedDirectory& dir, const RunResult& r) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "model,metric,value,lo,hi\n");
  for (const auto& m : r.models)
    for (const auto& row : m.metrics) {
      if (row.has_interval)
        fmt::format_to(std::back_inserter(out), "{},{},{},{},{}\n", CsvField(m.name), row.metric,
                       Num(row.value), Num(row.lo), Num(row.hi));
      else
        fmt::format_to(std::back_inserter(out), "{},{},{},,\n", CsvField(m.name), row.metric,
                       Num(row.value));
    }
  WriteTextFile(dir.File("metrics.csv"), fmt::to_string(out));
}

// metrics of [[vetoes]] (vetoes.csv): per veto and any veto, then per model.
void WriteVetoesCsv(StagedDirectory& dir, const RunResult& r) {
  if (r.veto_metrics.empty()) return;
  WriteTextFile(dir.File("vetoes.csv"), VetoesCsv(r));
}

// units.csv, when a model has units (sim/run/units.h).
void WriteUnitsCsv(StagedDirectory& dir, const RunResult& r) {
  const UnitsTable table(r.organisation, r.models);
  if (table.Rows() == 0) return;
  WriteRows(dir.File("units.csv"), UnitsTable::kHeader, table.Rows(),
            [&](Buffer& out, size_t i) { table.AppendRow(out, i); });
}

// parents.csv, when a model's classes have a parent level: per unit of
// that level its mean score over replicates, and the share of replicates
// that gave it each class given at least once.
void WriteParentsCsv(StagedDirectory& dir, const RunResult& r) {
  fmt::memory_buffer out;
  bool any = false;
  fmt::format_to(std::back_inserter(out), "model,level,unit,score,class,share\n");
  for (const auto& m : r.models) {
    const ParentOutcome& p = m.parent;
    if (p.level.empty()) continue;
    any = true;
    for (size_t u = 0; u < p.units.size(); ++u)
      for (size_t l = 0; l < p.labels.size(); ++l) {
        const auto ui = static_cast<Eigen::Index>(u), li = static_cast<Eigen::Index>(l);
        if (p.share(ui, li) > 0)
          fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{}\n", CsvField(m.name),
                         CsvField(p.level), CsvField(p.units[u]), Num(p.score[ui]),
                         CsvField(p.labels[l]), Num(p.share(ui, li)));
      }
  }
  if (any) WriteTextFile(dir.File("parents.csv"), fmt::to_string(out));
}

// evaluees.csv: per-evaluee summaries across replicates (the largest
// file: 1.6 million evaluees x models rows at municipal scale).
void WriteEvalueesCsv(StagedDirectory& dir, const RunResult& r) {
  const Organisation& org = r.organisation;
  const int n = org.NumEvaluees();
  const UnitCells units(org);
  std::vector<std::string> names;
  for (const auto& m : r.models) names.push_back(CsvField(m.name));
  WriteRows(dir.File("evaluees.csv"),
            "model,ratee" + units.Header() +
                ",true_quality,mean_score,mean_rank,rank_lo,rank_hi,p_top,p_bottom,p_top_class\n",
            r.models.size() * static_cast<size_t>(n), [&](Buffer& out, size_t i) {
              const size_t mi = i / n;
              const int e = static_cast<int>(i % n);
              const ModelOutcome& m = r.models[mi];
              out.append(names[mi].data(), names[mi].data() + names[mi].size());
              out.push_back(',');
              AppendCsvField(out, org.evaluee_names[e]);
              units.Append(out, e);
              fmt::format_to(std::back_inserter(out), FMT_COMPILE(",{},{},{},{},{},{},{},"),
                             org.quality[e], m.mean_score[e], m.mean_rank[e], m.rank_lo[e],
                             m.rank_hi[e], m.p_top[e], m.p_bottom[e]);
              if (!m.class_labels.empty()) AppendNum(out, m.p_top_class[e]);
              out.push_back('\n');
            });
}

// scores.csv in full form: one row per replicate, model and evaluee.
void WriteScoresCsv(StagedDirectory& dir, const RunResult& r, int R) {
  const Organisation& org = r.organisation;
  const int n = org.NumEvaluees();
  const UnitCells units(org);
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "{}\n", ScoresHeader(units));
  std::vector<int> order(n);
  for (int rep = 0; rep < R; ++rep) {
    for (const auto& m : r.models) {
      const std::vector<int>& rank = m.ranks[rep];
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return rank[a] < rank[b]; });
      for (int e : order) {
        fmt::format_to(std::back_inserter(out), "{},{},{}", rep + 1, CsvField(m.name),
                       CsvField(org.evaluee_names[e]));
        units.Append(out, e);
        fmt::format_to(
            std::back_inserter(out), ",{},{},{},{}\n", Num(m.scores[rep][e]), rank[e],
            Num(org.quality[e]),
            m.classes.empty() ? std::string() : CsvField(m.class_labels[m.classes[rep][e]]));
      }
    }
  }
  WriteTextFile(dir.File("scores.csv"), fmt::to_string(out));
}

// parameters.csv: the fitted models' named parameters, per replicate.
void WriteParametersCsv(StagedDirectory& dir, const RunResult& r) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "model,replicate,parameter,value\n");
  for (const auto& m : r.models)
    for (size_t rep = 0; rep < m.parameters.size(); ++rep)
      for (const auto& [name, value] : m.parameters[rep])
        fmt::format_to(std::back_inserter(out), "{},{},{},{}\n", CsvField(m.name), rep + 1,
                       CsvField(name), Num(value));
  WriteTextFile(dir.File("parameters.csv"), fmt::to_string(out));
}

// raters.csv: replicate 1's per-rater estimates. Raters are named as in
// `evalsim generate`'s ballots.csv (r1, r2, ...). One block of rows per
// model and estimate, written like evaluees.csv.
void WriteRatersCsv(StagedDirectory& dir, const RunResult& r) {
  struct Block {
    std::string prefix, suffix;  // "model,1,r" and ",estimate,"
    const Eigen::VectorXd* values;
  };
  std::vector<Block> blocks;
  std::vector<size_t> starts{0};
  for (const auto& m : r.models)
    for (const auto& [name, values] : m.rater_values) {
      blocks.push_back({CsvField(m.name) + ",1,r", "," + CsvField(name) + ",", &values});
      starts.push_back(starts.back() + static_cast<size_t>(values.size()));
    }
  WriteRows(dir.File("raters.csv"), "model,replicate,rater,estimate,value\n", starts.back(),
            [&](Buffer& out, size_t i) {
              const size_t k = static_cast<size_t>(
                  std::upper_bound(starts.begin(), starts.end(), i) - starts.begin() - 1);
              const Block& bl = blocks[k];
              const size_t j = i - starts[k];
              out.append(bl.prefix.data(), bl.prefix.data() + bl.prefix.size());
              fmt::format_to(std::back_inserter(out), FMT_COMPILE("{}"), j + 1);
              out.append(bl.suffix.data(), bl.suffix.data() + bl.suffix.size());
              AppendNum(out, (*bl.values)[static_cast<Eigen::Index>(j)]);
              out.push_back('\n');
            });
}

// parameters.csv and raters.csv: what fitted models estimate besides scores
// (each only when some model reports it).
void WriteFittedCsvs(StagedDirectory& dir, const RunResult& r) {
  bool any_parameters = false, any_raters = false;
  for (const auto& m : r.models) {
    for (const auto& p : m.parameters) any_parameters = any_parameters || !p.empty();
    any_raters = any_raters || !m.rater_values.empty();
  }
  if (any_parameters) WriteParametersCsv(dir, r);
  if (any_raters) WriteRatersCsv(dir, r);
}

// The manifest's "organisation" object: the drawn organisation's size.
nlohmann::ordered_json OrganisationJson(const Organisation& org) {
  nlohmann::ordered_json o;
  o["evaluees"] = org.NumEvaluees();
  o["meetings"] = org.meetings.size();
  o["raters"] = org.NumRaters();
  o["bloc_evaluees"] = org.NumBlocEvaluees();
  o["expected_ballots_per_replicate"] = org.expected_ballots;
  if (!org.type.empty()) {
    nlohmann::ordered_json types = nlohmann::ordered_json::object();
    std::vector<int> count(org.type_names.size(), 0);
    for (int t : org.type) ++count[t];
    for (size_t t = 0; t < count.size(); ++t) types[org.type_names[t]] = count[t];
    o["types"] = types;
  }
  return o;
}

// A group's entry of the manifest's ballots.by_group with named scales: its
// scale, its grade shares on that scale, the target and the "don't know" share.
void AddScaleShares(const Scenario& s, const RunResult& r, size_t g, nlohmann::ordered_json& e) {
  const int sc = s.raters[g].scale;
  const std::vector<double>& target = sc < 0 ? s.shares : s.scales[sc].shares;
  std::vector<double> grade = r.grade_share_by_group[g];
  grade.resize(target.size());
  e["scale"] = sc < 0 ? std::string() : s.scales[sc].name;
  e["grade_share"] = grade;
  e["target_share"] = target;
  e["dont_know_share"] = r.dont_know_share_by_group[g];
}

// The manifest's "ballots" object: totals and observed grade shares.
nlohmann::ordered_json BallotsJson(const Scenario& s, const RunResult& r) {
  nlohmann::ordered_json b;
  b["total"] = r.ballots_total;
  b["grade_share"] = r.grade_share;
  b["target_share"] = s.shares;
  b["abstain_share"] = r.abstain_share;
  nlohmann::ordered_json by_group = nlohmann::ordered_json::array();
  for (size_t g = 0; g < r.grade_share_by_group.size(); ++g) {
    nlohmann::ordered_json e;
    e["group"] = s.raters[g].group;
    e["grade_share"] = r.grade_share_by_group[g];
    e["abstain_share"] = r.abstain_share_by_group[g];
    if (!r.dont_know_share_by_group.empty()) AddScaleShares(s, r, g, e);
    by_group.push_back(e);
  }
  b["by_group"] = by_group;
  if (!r.item_names.empty()) {
    const auto interval = [](const Interval& i) {
      return nlohmann::ordered_json{{"value", i.value}, {"lo", i.lo}, {"hi", i.hi}};
    };
    nlohmann::ordered_json items;
    items["names"] = r.item_names;
    items["within_rater_correlation"] = interval(r.item_correlation);
    items["cronbach_alpha"] = interval(r.item_alpha);
    b["items"] = items;
  }
  return b;
}

// The manifest's "fairness" object: what fairness.csv holds.
nlohmann::ordered_json FairnessJson(const Scenario& s, const RunResult& r, int n) {
  nlohmann::ordered_json fair;
  fair["file"] = "fairness.csv";
  fair["rows"] = r.fairness.size();
  fair["dimensions"] = r.fairness_dimensions;
  if (!r.fairness_notes.empty()) fair["notes"] = r.fairness_notes;
  fair["metrics"] = FairnessMetrics();
  fair["average"] = "true quality between the 40th and 60th percentiles";
  fair["top_k"] = QuotaCount(s.quota, n);
  fair["bottom_k"] = QuotaCount(s.bottom, n);
  return fair;
}

// uncertainty.csv and sensitivity.csv, and the manifest's "uncertainty"
// object describing them.
nlohmann::ordered_json WriteUncertainty(StagedDirectory& dir, const UncertaintyResult& u) {
  WriteTextFile(dir.File("uncertainty.csv"), UncertaintyCsv(u));
  WriteTextFile(dir.File("sensitivity.csv"), SensitivityCsv(u));
  nlohmann::ordered_json uj;
  uj["model"] = u.model;
  uj["draws"] = u.draws;
  uj["data"] = "replicate 1's indicators and votes";
  uj["notes"] = u.notes;
  return uj;
}

// The manifest's "wall_time" object. Wall-time fields: the only part of the
// output that varies between runs.
nlohmann::ordered_json WallTimeJson(const RunResult& r, const RunInfo& info) {
  nlohmann::ordered_json t;
  t["organisation_seconds"] = r.seconds_organisation;
  t["generate_seconds_summed_over_replicates"] = r.seconds_generate;
  t["score_seconds_summed_over_replicates"] = r.seconds_score;
  t["metrics_seconds"] = r.seconds_metrics;
  if (r.uncertainty) t["uncertainty_seconds"] = r.seconds_uncertainty;
  t["write_seconds"] = info.seconds_write;
  // RunInfo::seconds_total is taken before the outputs are written: the
  // total adds the writing, so that it covers the command up to the manifest.
  t["total_seconds"] = info.seconds_total + info.seconds_write;
  t["peak_memory_bytes"] = PeakMemoryBytes();  // varies between runs like the times
  nlohmann::ordered_json fit = nlohmann::ordered_json::object();
  for (const auto& m : r.models) {
    double sum = 0;
    for (double f : m.fit_seconds) sum += f;
    fit[m.name] = {
        {"fit_seconds_mean", sum / std::max<size_t>(1, m.fit_seconds.size())},
        {"ballots_per_second", sum > 0 ? static_cast<double>(r.ballots_total) / sum : 0.0}};
  }
  t["models"] = fit;
  return t;
}

}  // namespace

std::string WriteRunOutputs(StagedDirectory& dir, const Scenario& s, const RunResult& r,
                            RunInfo info, nlohmann::ordered_json* manifest_out) {
  const auto w0 = std::chrono::steady_clock::now();
  // Large tables are formatted in parallel: as many threads as the run used.
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<size_t>(std::max(1, info.threads)));
  const Organisation& org = r.organisation;
  const int n = org.NumEvaluees();
  const int R = s.replicates;
  const bool full = !r.models.empty() && !r.models[0].scores.empty() &&
                    static_cast<size_t>(R) * n * r.models.size() <= kFullScoresMaxRows;

  // A stop signal is honoured between files (StagedDirectory::Commit checks
  // it once more at the end).
  WriteMetricsCsv(dir, r);
  ThrowIfInterrupted();
  WriteEvalueesCsv(dir, r);
  ThrowIfInterrupted();
  if (full) WriteScoresCsv(dir, r, R);  // the full form when small enough
  ThrowIfInterrupted();
  // fairness.csv: errors by stratum of evaluees (sim/run/fairness.h).
  WriteTextFile(dir.File("fairness.csv"), FairnessCsv(r.fairness));
  WriteFittedCsvs(dir, r);
  WriteUnitsCsv(dir, r);
  WriteParentsCsv(dir, r);
  WriteVetoesCsv(dir, r);
  ThrowIfInterrupted();

  info.seconds_write = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  nlohmann::ordered_json man = BaseManifest(s, info.overrides);
  man["threads"] = info.threads;
  man["scores_form"] =
      full ? "full: scores.csv has one row per replicate, model and evaluee"
           : "summary: scores.csv omitted (too many rows); evaluees.csv has per-evaluee summaries";
  man["organisation"] = OrganisationJson(org);
  man["calibrated_cuts"] = r.cuts;
  man["ballots"] = BallotsJson(s, r);
  nlohmann::ordered_json notes = nlohmann::ordered_json::object();
  for (const auto& m : r.models)
    if (!m.notes.empty()) notes[m.name] = m.notes;
  man["model_notes"] = notes;
  man["fairness"] = FairnessJson(s, r, n);
  if (r.uncertainty) man["uncertainty"] = WriteUncertainty(dir, *r.uncertainty);
  std::string meetings_line;
  if (s.meeting_rules.Any()) {
    // meetings.csv: one row per replicate and meeting, within the scores.csv row limit.
    const bool rows_fit = static_cast<size_t>(R) * org.meetings.size() <= kFullScoresMaxRows;
    if (rows_fit) WriteTextFile(dir.File("meetings.csv"), MeetingsCsv(org, r.meeting_outcomes));
    const MeetingTotals totals = SumMeetingOutcomes(r.meeting_outcomes);
    man["meetings"] = MeetingsJson(s.meeting_rules, totals, rows_fit ? "meetings.csv" : "");
    meetings_line = MeetingsLine(totals, s.meeting_rules);
  }
  man["wall_time"] = WallTimeJson(r, info);
  WriteTextFile(dir.File("manifest.json"), man.dump(2) + "\n");
  if (manifest_out) *manifest_out = man;
  return meetings_line + SummaryTable(s, r);
}

UnitCells::UnitCells(const Organisation& org) : org_(org) {
  for (size_t l = 0; l < org.unit_levels.size(); ++l) {
    header_ += "," + CsvField(org.unit_levels[l]);
    std::vector<std::string> names(org.level_size[l]);
    for (int i = 0; i < org.level_size[l]; ++i)
      names[i] = CsvField(org.UnitName(static_cast<int>(l), i));
    names_.push_back(std::move(names));
  }
}

void UnitCells::Append(fmt::memory_buffer& out, int e) const {
  for (size_t l = 0; l < names_.size(); ++l) {
    const std::string& name = names_[l][org_.unit[l][e]];
    out.push_back(',');
    out.append(name.data(), name.data() + name.size());
  }
}

std::string ScoresHeader(const UnitCells& units) {
  return "replicate,model,ratee" + units.Header() + ",score,rank,true_quality,class";
}

std::string VetoesCsv(const RunResult& r) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "veto,model,metric,value,lo,hi\n");
  const auto row = [&](const std::string& veto, const std::string& model, const MetricRow& m) {
    fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{}\n", CsvField(veto), CsvField(model),
                   m.metric, Num(m.value), m.has_interval ? Num(m.lo) : "",
                   m.has_interval ? Num(m.hi) : "");
  };
  for (const auto& [veto, rows] : r.veto_metrics)
    for (const MetricRow& m : rows) row(veto, "", m);
  for (const ModelOutcome& mo : r.models)
    for (const MetricRow& m : mo.veto_metrics) row("any", mo.name, m);
  return fmt::to_string(out);
}

std::string ScoresCsv(const std::vector<std::string>& ratee_names, const ScoreResult& result,
                      const std::vector<std::string>& classes) {
  const int n = static_cast<int>(ratee_names.size());
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  const std::vector<int> rank = CompetitionRanks(result.score, result.tiebreak);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return rank[x] < rank[y]; });
  const bool se = result.se.size() == n;
  fmt::memory_buffer out;
  const bool cls = !classes.empty();
  fmt::format_to(std::back_inserter(out), "ratee,score,rank{}{}\n", se ? ",se" : "",
                 cls ? ",class" : "");
  for (int e : order) {
    fmt::format_to(std::back_inserter(out), "{},{},{}", CsvField(ratee_names[e]),
                   Num(result.score[e]), rank[e]);
    if (se) fmt::format_to(std::back_inserter(out), ",{}", Num(result.se[e]));
    if (cls) fmt::format_to(std::back_inserter(out), ",{}", CsvField(classes[e]));
    fmt::format_to(std::back_inserter(out), "\n");
  }
  return fmt::to_string(out);
}

std::string PairwiseCsv(const PairwiseBallots& b) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "winner,loser,weight\n");
  auto row = [&](uint32_t w, uint32_t l, double weight) {
    fmt::format_to(std::back_inserter(out), "{},{},{}\n", CsvField(b.ratee_names[w]),
                   CsvField(b.ratee_names[l]), Num(weight));
  };
  if (b.NumComparisons() > 0) {
    for (size_t i = 0; i < b.NumComparisons(); ++i)
      row(b.seq_winner[i], b.seq_loser[i], b.seq_weight[i]);
  } else {
    for (size_t p = 0; p < b.NumPairs(); ++p) {
      if (b.first_wins[p] > 0) row(b.first[p], b.second[p], b.first_wins[p]);
      if (b.second_wins[p] > 0) row(b.second[p], b.first[p], b.second_wins[p]);
    }
  }
  return fmt::to_string(out);
}

std::string IndicatorsCsv(const IndicatorTable& t) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "unit");
  for (const auto& name : t.names) fmt::format_to(std::back_inserter(out), ",{}", CsvField(name));
  fmt::format_to(std::back_inserter(out), "\n");
  for (int e = 0; e < t.NumRatees(); ++e) {
    fmt::format_to(std::back_inserter(out), "{}", CsvField(t.ratee_names[e]));
    for (int j = 0; j < t.NumIndicators(); ++j) {
      const double v = t.values(e, j);
      fmt::format_to(std::back_inserter(out), ",{}", std::isnan(v) ? std::string() : Num(v));
    }
    fmt::format_to(std::back_inserter(out), "\n");
  }
  return fmt::to_string(out);
}

namespace {

// The cells that end a row of group g: `item_cell` (empty without items,
// else ",item"), then ",scale" when some group grades on a scale of its own.
std::string RowTail(const RatingBallots& b, int g, const std::string& item_cell) {
  if (!b.HasGroupScales()) return item_cell;
  const int sc = b.ScaleOf(g);
  return item_cell + "," + (sc < 0 ? std::string() : CsvField(b.scales[sc].name));
}

// Rows of one set of ballots (overall or one item) in slot order.
void AppendBallotRows(const RatingBallots& b, const std::vector<uint64_t>& begin,
                      const std::vector<uint32_t>& words, size_t first_slot,
                      const std::string& item_cell, fmt::memory_buffer& out) {
  const int G = b.NumGroups();
  for (int e = 0; e < b.NumRatees(); ++e) {
    const std::string ratee = CsvField(b.ratee_names[e]);
    for (int g = 0; g < G; ++g) {
      const std::string group = CsvField(b.group_names[g]);
      const std::string tail = RowTail(b, g, item_cell);
      const size_t slot = first_slot + b.Slot(e, g);
      for (uint64_t at = begin[slot]; at < begin[slot + 1]; ++at) {
        const uint32_t rater = BallotRater(words[at]);
        const uint8_t grade = BallotGrade(words[at]);
        const std::string rname =
            b.rater_names.empty() ? fmt::format("r{}", rater + 1) : CsvField(b.rater_names[rater]);
        if (grade == kAbstain)
          fmt::format_to(std::back_inserter(out), "{},{},,{}{}\n", rname, ratee, group, tail);
        else if (grade == kDontKnow)
          fmt::format_to(std::back_inserter(out), "{},{},{},{}{}\n", rname, ratee, kDontKnowCell,
                         group, tail);
        else
          fmt::format_to(std::back_inserter(out), "{},{},{},{}{}\n", rname, ratee, grade, group,
                         tail);
      }
    }
  }
}

}  // namespace

std::string BallotsCsv(const RatingBallots& b) {
  fmt::memory_buffer out;
  const char* scale = b.HasGroupScales() ? ",scale" : "";
  if (!b.HasItems()) {
    fmt::format_to(std::back_inserter(out), "rater,ratee,grade,group{}\n", scale);
    AppendBallotRows(b, b.slot_begin, b.ballot, 0, "", out);
    return fmt::to_string(out);
  }
  // Multi-item ballots: the overall grades (empty item cell), then item by item.
  fmt::format_to(std::back_inserter(out), "rater,ratee,grade,group,item{}\n", scale);
  AppendBallotRows(b, b.slot_begin, b.ballot, 0, ",", out);
  const size_t slots = static_cast<size_t>(b.NumRatees()) * b.NumGroups();
  for (int i = 0; i < b.NumItems(); ++i)
    AppendBallotRows(b, b.item_slot_begin, b.item_ballot, i * slots,
                     "," + CsvField(b.item_names[i]), out);
  return fmt::to_string(out);
}

}  // namespace evalsim
