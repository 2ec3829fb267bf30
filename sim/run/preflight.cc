#include "sim/run/preflight.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "models/registry.h"
#include "sim/core/errors.h"
#include "sim/core/parallel.h"
#include "sim/run/per_replicate.h"

namespace evalsim {
namespace {

// The process before any scenario data: text and data of the binary and its
// libraries, TBB's workers and the allocator's arenas. Calibrated as the
// peak_memory_bytes of `evalsim run scenarios/district_review.toml
// --replicates 1` (6 evaluees, 678 ballots; everything else is a few KiB):
// 10.99 MiB with --threads 1, 11.10 MiB with --threads 2 (g++ 12, Release).
constexpr double kBaselineBytes = 11.0 * (1 << 20);
constexpr double kPerThreadBytes = 0.125 * (1 << 20);

// Heap bytes of one std::string of `len` characters beyond sizeof(string):
// none within the small-string buffer (15 chars in libstdc++), else the
// malloc chunk (size + 1 + 8 bytes of header, rounded up to 16).
double StringHeap(size_t len) {
  if (len <= 15) return 0.0;
  return static_cast<double>((len + 1 + 8 + 15) / 16 * 16);
}

int Digits(uint64_t v) {
  int d = 1;
  while (v >= 10) {
    v /= 10;
    ++d;
  }
  return d;
}

// A model's working set in one fit, per valid ballot, per evaluee and per
// rater, as its registration declares it (ModelSpec::memory).
struct ModelCost {
  double per_ballot = 0, per_evaluee = 0, per_rater = 0;
  int rater_values = 0;  // per-rater estimates returned (ScoreResult::rater_values)
};

ModelCost CostOf(const std::string& model, int levels, int groups) {
  const ModelSpec* spec = Models().Find(model);
  const FitMemory m = spec ? spec->memory(levels, groups) : ConvertedInputMemory(levels, groups);
  // Every fit returns score (+ tiebreak or se) per evaluee.
  return {m.per_ballot, 16 + m.per_evaluee, m.per_rater, m.rater_values};
}

// A text file built whole in a fmt::memory_buffer and copied into a
// std::string: the buffer's written pages plus the copy (pages of the
// buffer's unused capacity are never touched, so they are not resident).
double TextPeak(double size) { return 2 * size; }

// evaluees.csv and raters.csv are formatted in windows of 32 chunks of 16,384 rows
// (outputs.cc WriteRows); each chunk's buffer keeps its capacity.
double WindowPeak(double rows, double row_bytes) {
  return 1.5 * std::min(rows, 32.0 * 16384.0) * row_bytes;
}

}  // namespace

std::string FormatBytes(double bytes) {
  if (bytes >= static_cast<double>(1ull << 30))
    return fmt::format("{:.2f} GiB", bytes / static_cast<double>(1ull << 30));
  if (bytes >= static_cast<double>(1 << 20)) return fmt::format("{:.1f} MiB", bytes / (1 << 20));
  return fmt::format("{:.1f} KiB", bytes / 1024);
}

std::string PreflightEstimate::Describe(size_t max_parts) const {
  std::vector<std::string> shown;
  for (size_t i = 0; i < parts.size() && i < max_parts; ++i)
    shown.push_back(
        fmt::format("{} {}", parts[i].first, FormatBytes(static_cast<double>(parts[i].second))));
  return fmt::format("{} ({} phase, {} replicate{} in flight: {})",
                     FormatBytes(static_cast<double>(bytes)), phase, concurrency,
                     concurrency == 1 ? "" : "s", fmt::join(shown, ", "));
}

namespace {

// What the estimate needs of an organisation: drawn, or expected from the
// scenario's counts.
struct Shape {
  double evaluees = 0, raters = 0, ballots = 0, meetings = 0;
  bool blocs = false, types = false;
};

Shape ShapeOf(const Organisation& org) {
  Shape sh;
  sh.evaluees = org.NumEvaluees();
  sh.raters = org.NumRaters();
  sh.ballots = static_cast<double>(org.expected_ballots);
  sh.meetings = static_cast<double>(org.meetings.size());
  sh.blocs = org.NumBlocEvaluees() > 0;
  sh.types = !org.type.empty();
  return sh;
}

Shape ShapeFromCounts(const Scenario& s) {
  Shape sh;
  // Expected units at each level down to the evaluees; meetings are the
  // units of the meeting level (one meeting when it is "all").
  double units = 1;
  double meetings = 1;
  for (int l = 0; l <= s.evaluee_level && l < static_cast<int>(s.levels.size()); ++l) {
    units *= s.levels[l].count.Expected();
    if (l == s.meeting_level) meetings = units;
  }
  sh.evaluees = units;
  sh.meetings = meetings;
  const double per_meeting = meetings > 0 ? units / meetings : 0;
  for (const RaterGroupSpec& g : s.raters) {
    const double mean = 0.5 * static_cast<double>(g.count.lo + g.count.hi);
    switch (g.kind) {
      case RaterKind::kPerMeeting:
        sh.raters += meetings * mean;
        sh.ballots += meetings * mean * per_meeting * g.coverage;
        break;
      case RaterKind::kPerEvaluee:
        sh.raters += units * mean;
        sh.ballots += units * mean * g.coverage;
        break;
      case RaterKind::kFromEvaluees:
        sh.raters += units;
        sh.ballots += meetings * per_meeting * std::max(per_meeting - (g.self_vote ? 0 : 1), 0.0) *
                      g.coverage;
        break;
    }
  }
  for (const BlocSpec& b : s.blocs) sh.blocs = sh.blocs || b.share > 0;
  sh.types = !s.types.empty();
  return sh;
}

// Parts are capped so that an absurd scenario's sum still fits in 64 bits.
constexpr double kMaxPartBytes = 1e18;

int Digits(double v) { return Digits(static_cast<uint64_t>(std::max(v, 0.0))); }

// Largest part first; the total is the sum of the (rounded) parts.
void SortParts(PreflightEstimate* est) {
  std::stable_sort(est->parts.begin(), est->parts.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& part : est->parts) est->bytes += part.second;
}

// The sizes a run's estimate is built from.
struct RunDims {
  int T = 0;  // threads
  int C = 0;  // replicates in flight
  double n = 0, raters = 0, B = 0, G = 0, meetings = 0, R = 0, M = 0;
  double with_classes = 0;  // models with classes
  bool keep = false;        // full scores kept, as KeepScores (sim/run/per_replicate.h)
  bool blocs = false, types = false, per_replicate = false;
};

// `split_parts` > 0: a split run (`run --split-replicates`, sim/run/split.h)
// over that many processes, estimated for process 0: one replicate at a
// time, and its share of the ballots (the organisation, the slot index and
// every retained output stay whole).
RunDims DimsOf(const Scenario& s, const Shape& shape, int threads, int replicates,
               bool per_replicate, int split_parts) {
  RunDims d;
  d.T = ThreadCount(threads);
  d.n = shape.evaluees;
  d.raters = shape.raters;
  // Multi-item ballots hold one more word per item beside each overall
  // grade (and a model's fit on an item slice copies one item at a time).
  d.B = shape.ballots * (1.0 + static_cast<double>(s.items.size()));
  d.G = static_cast<double>(s.raters.size());
  d.meetings = shape.meetings;
  d.R = replicates;
  d.M = static_cast<double>(s.models.size());
  for (const auto& m : s.models) d.with_classes += m.classes.Empty() ? 0 : 1;
  d.C = split_parts > 0 ? 1 : std::max(1, std::min(d.T, replicates));
  if (split_parts > 0) d.B /= split_parts;
  d.keep = per_replicate || d.R * d.n * d.M <= static_cast<double>(kFullScoresMaxRows);
  d.blocs = shape.blocs;
  d.types = shape.types;
  d.per_replicate = per_replicate;
  return d;
}

// Evaluee names: "<level>-<index>".
double NameBytes(const Scenario& s, double n) {
  const std::string& level = s.levels[s.evaluee_level].name;
  return 32 + StringHeap(level.size() + 1 + Digits(n));
}

// The unit columns of an evaluee row (",county-12,town-345"): at most the
// level name, a dash and as many digits as n, per level above the evaluees.
double UnitColumnsLength(const Scenario& s, double n) {
  double len = 0;
  for (int l = 0; l < s.evaluee_level; ++l)
    len += static_cast<double>(s.levels[l].name.size()) + 2 + Digits(n);
  return len;
}

// Organisation and the runner's fixed per-evaluee state (the unit of each
// level above the evaluees is held twice: the organisation's and the class
// rules' scopes, with the meeting).
double OrganisationBytes(const Scenario& s, const RunDims& d, double name_bytes) {
  double per_evaluee_groups = 0;
  for (const auto& g : s.raters) per_evaluee_groups += g.kind == RaterKind::kPerEvaluee ? 1 : 0;
  const double unit_columns = 8.0 * s.evaluee_level + 4;
  return d.n * (8 + name_bytes + 4 + (d.types ? 4 : 0) + unit_columns) + d.raters +
         d.meetings * (sizeof(Meeting) + 2 * 32 + 8) + per_evaluee_groups * 8 * d.n;
}

// The largest model fit, plus the per-model metric scratch (ranks, order
// key, Kendall's merge buffers, memberships, classes).
// The fits of a replicate run one after the other and their results
// (score and tiebreak or se) wait for the metrics, which then run for
// min(threads, models) models at once (sort order, ranks, memberships,
// classes).
struct ModelWork {
  double working_set = 0, rater_values = 0, parallel_models = 0;
};

}  // namespace

int SlotCountReaders(const Scenario& s) {
  int readers = 0;
  for (const auto& m : s.models) {
    const ModelSpec* spec = Models().Find(m.model);
    readers += spec != nullptr && spec->reads_slot_counts;
    readers += std::any_of(m.classes.gates.begin(), m.classes.gates.end(),
                           [](const Gate& g) { return g.indicator.empty(); });
  }
  return readers;
}

namespace {

ModelWork ModelWorkOf(const Scenario& s, const RunDims& d) {
  ModelWork w;
  for (const auto& m : s.models) {
    const ModelCost c =
        CostOf(m.model, static_cast<int>(s.labels.size()), static_cast<int>(s.raters.size()));
    w.working_set =
        std::max(w.working_set, c.per_ballot * d.B + c.per_evaluee * d.n + c.per_rater * d.raters);
    w.rater_values += c.rater_values;
  }
  // The slot counts the fits share (ModelInput::slot_counts): 4 bytes per
  // grade and slot while a replicate's models are fitted.
  if (SlotCountReaders(s) >= 2 && s.items.empty()) w.working_set += 4.0 * s.MaxLevels() * d.n * d.G;
  w.parallel_models = std::min<double>(d.T, std::max(d.M, 1.0));
  // Class assignment: the model's order, the units' lists, bands, vetoes
  // and classes, 4 bytes each per evaluee.
  const double classes = d.with_classes > 0 ? 6 * 4 : 0;
  w.working_set += d.M * 16 * d.n + w.parallel_models * d.n * (4 + 4 + 4 + 8 + classes);
  return w;
}

// Text built in memory by the writer: evaluees.csv always; scores.csv in
// its full form when small (outputs.cc). A row holds the model label, the
// name, two full-precision doubles (~19 chars), three ranks, three shares.
double OutputBytes(const Scenario& s, const RunDims& d, double rater_values) {
  const std::string& level = s.levels[s.evaluee_level].name;
  const double n = d.n, R = d.R, M = d.M;
  double label = 0;
  for (const auto& m : s.models) label += static_cast<double>(m.name.size());
  label = M > 0 ? label / M : 0;
  const double name_len = static_cast<double>(level.size() + 1 + Digits(n));
  const double rank_len = Digits(n) + (R > 1 ? 4 : 0);
  const double share_len = R > 1 ? 4 : 1;
  const double units_len = UnitColumnsLength(s, n);
  const double evaluees_row =
      label + name_len + units_len + 2 * 19 + 3 * rank_len + 3 * share_len + 10;
  double text = WindowPeak(n * M, evaluees_row);
  // raters.csv: every per-rater estimate of replicate 1, streamed in the
  // same windows.
  const double raters_row = label + 4 + Digits(d.raters) + 8 + 19;
  text = std::max(text, WindowPeak(rater_values * d.raters, raters_row));
  const bool full_form = d.keep && R * n * M <= static_cast<double>(kFullScoresMaxRows);
  if (full_form) {
    const double scores_row = 3 + label + name_len + units_len + 2 * 19 + rank_len + 6 + 7;
    text = std::max(text, TextPeak(R * n * M * scores_row));
  }
  // scores.csv.gz: a 1 MiB text chunk, zlib's buffers and deflate state,
  // one sort order of the evaluees.
  const double gz = d.per_replicate ? 2.5 * (1 << 20) + 4 * n : 0.0;
  return text + gz;
}

// The byte counts the phases of a run add up.
struct RunCosts {
  double organisation = 0, runner_fixed = 0;
  double ballots_steady = 0, ballots_generate = 0;
  ModelWork models;
  double per_rm = 0;  // retained per replicate and model
  double outputs = 0;
};

RunCosts CostsOf(const Scenario& s, const RunDims& d) {
  RunCosts c;
  const double n = d.n, G = d.G;
  const double name_bytes = NameBytes(s, n);
  c.organisation = OrganisationBytes(s, d, name_bytes);
  // truth, truth ranks, true top/bottom, fairness truth; valid ballots per slot.
  c.runner_fixed = n * (4 * 8 + 3 * 8) + 8 * n * G;
  // One replicate's ballots: packed words, slot index, names and rater groups.
  c.ballots_steady = 4 * d.B + 8 * (n * G + 1) + n * name_bytes + d.raters;
  // Generation: the per-meeting word buffers and their slot counts are still
  // alive when the final array is filled.
  c.ballots_generate = c.ballots_steady + 4 * d.B + 8 * n * G + 96 * d.meetings;
  c.models = ModelWorkOf(s, d);
  // Retained per replicate and model: score, rank, top and bottom
  // memberships, classes.
  c.per_rm = n * (8 + 4 + 16) + (d.M > 0 ? d.with_classes / d.M : 0) * 4 * n;
  c.outputs = OutputBytes(s, d, c.models.rater_values);
  return c;
}

struct Phase {
  const char* name;
  std::vector<std::pair<std::string, double>> parts;
};

std::vector<Phase> RunPhases(const RunDims& d, const RunCosts& c) {
  const double n = d.n, R = d.R, M = d.M;
  const int C = d.C;
  const double base = kBaselineBytes + kPerThreadBytes * d.T;
  const double bloc_factor = d.blocs ? 2.0 : 1.0;
  const double model_ws = c.models.working_set;
  const double rater_values = c.models.rater_values;
  const double retained_scoring = R * M * c.per_rm;
  // Per-evaluee summaries of every model (seven vectors).
  const double summaries = M * 7 * 8 * n;
  const double in_flight = C * bloc_factor * std::max(c.ballots_generate - c.ballots_steady, 0.0);
  return {
      {"scoring",
       {{"baseline", base},
        {"organisation", c.organisation + c.runner_fixed},
        {"ballots", C * bloc_factor * c.ballots_steady +
                        std::max(in_flight - C * model_ws, 0.0)},  // generation or fit
        {"models", C * model_ws},
        {"retained", retained_scoring + rater_values * 8 * d.raters}}},
      {"reduction",
       {{"baseline", base},
        {"organisation", c.organisation + c.runner_fixed},
        {"retained", R * M * (c.per_rm - (d.keep ? 0 : 8 * n)) + rater_values * 8 * d.raters},
        // Models reduce in parallel: a rank matrix and error sums each.
        {"summaries", summaries + c.models.parallel_models * (8 * n * R + 5 * 8 * n)}}},
      {"writing",
       {{"baseline", base},
        {"organisation", c.organisation},
        {"retained", R * M * n * (4 + (d.keep ? 8 : 0)) + R * d.with_classes * 4 * n +
                         rater_values * 8 * d.raters},
        {"summaries", summaries},
        {"outputs", c.outputs}}},
  };
}

// The phase with the largest total, its parts rounded and capped.
PreflightEstimate PeakPhase(const std::vector<Phase>& phases, int concurrency) {
  PreflightEstimate est;
  est.concurrency = concurrency;
  double best = -1;
  for (const Phase& p : phases) {
    double total = 0;
    for (const auto& part : p.parts) total += part.second;
    if (total <= best) continue;
    best = total;
    est.phase = p.name;
    est.parts.clear();
    for (const auto& part : p.parts)
      est.parts.emplace_back(
          part.first,
          static_cast<uint64_t>(std::llround(std::clamp(part.second, 0.0, kMaxPartBytes))));
  }
  SortParts(&est);
  return est;
}

PreflightEstimate EstimateShape(const Scenario& s, const Shape& shape, int threads, int replicates,
                                bool per_replicate, int split_parts = 0) {
  const RunDims d = DimsOf(s, shape, threads, replicates, per_replicate, split_parts);
  return PeakPhase(RunPhases(d, CostsOf(s, d)), d.C);
}

// The peak of `evalsim generate`: the organisation, one replicate's ballots
// while they are generated, and the text files built in memory (ballots.csv
// rows: rater name, ratee name, grade, group).
PreflightEstimate GenerateShape(const Scenario& s, const Shape& shape) {
  const double n = shape.evaluees, B = shape.ballots, raters = shape.raters;
  const std::string& level = s.levels[s.evaluee_level].name;
  double group_len = 0;
  for (const auto& g : s.raters) group_len = std::max(group_len, double(g.group.size()));
  const double name_len = static_cast<double>(level.size() + 1 + Digits(n));
  const double row = 2 + Digits(raters) + name_len + 3 + group_len + 2;
  const double G = static_cast<double>(s.raters.size());
  const double ballots =
      (shape.blocs ? 2.0 : 1.0) *
      (8 * B + 16 * n * G + n * (32 + StringHeap(name_len)) + raters + 96 * shape.meetings);
  const double organisation = n * (8 + 32 + StringHeap(name_len) + 8) + raters;
  PreflightEstimate est;
  est.phase = "generation";
  est.concurrency = 1;
  est.parts = {{"baseline", static_cast<uint64_t>(kBaselineBytes + kPerThreadBytes)},
               {"organisation", static_cast<uint64_t>(std::min(organisation, kMaxPartBytes))},
               {"ballots", static_cast<uint64_t>(std::min(ballots, kMaxPartBytes))},
               {"outputs", static_cast<uint64_t>(std::min(TextPeak(B * row), kMaxPartBytes))}};
  SortParts(&est);
  return est;
}

// The first number of `key` in /proc/meminfo, in bytes.
std::optional<uint64_t> MemInfo(const std::string& key) {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::istringstream ss(line.substr(key.size() + 1));
    uint64_t kib = 0;
    if (ss >> kib) return kib * 1024;
  }
  return std::nullopt;
}

// A cgroup limit file: a number of bytes, or "max" / a huge v1 value for
// none.
std::optional<uint64_t> ReadLimit(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string v;
  if (!(in >> v) || v == "max") return std::nullopt;
  uint64_t bytes = 0;
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), bytes);
  if (ec != std::errc() || bytes == 0 || bytes >= (uint64_t{1} << 60)) return std::nullopt;
  return bytes;
}

// The smallest memory limit of this process's cgroup and its ancestors.
void CgroupLimit(MemoryLimit* best) {
  namespace fs = std::filesystem;
  auto consider = [&](const fs::path& p) {
    if (const auto b = ReadLimit(p); b && (best->bytes == 0 || *b < best->bytes)) {
      best->bytes = *b;
      best->source = fmt::format("cgroup limit in {}", p.string());
    }
  };
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    // "0::/path" (v2) or "N:memory:/path" (v1, possibly "N:cpu,memory:/path").
    const size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    fs::path rel = fs::path(line.substr(b + 1)).relative_path();
    fs::path root;
    std::string file;
    if (controllers.empty()) {
      root = "/sys/fs/cgroup";
      file = "memory.max";
    } else if (("," + controllers + ",").find(",memory,") != std::string::npos) {
      root = "/sys/fs/cgroup/memory";
      file = "memory.limit_in_bytes";
    } else {
      continue;
    }
    // The cgroup and every ancestor up to the root (inside a container the
    // path may not exist under the namespaced root: the root file still
    // counts).
    for (fs::path p = rel;; p = p.parent_path()) {
      consider(root / p / file);
      if (p.empty() || p == p.parent_path()) break;
    }
  }
}

}  // namespace

PreflightEstimate EstimateRun(const Scenario& s, const Organisation& org, int threads,
                              bool per_replicate, int split_parts) {
  return EstimateShape(s, ShapeOf(org), threads, s.replicates, per_replicate, split_parts);
}

PreflightEstimate EstimateRunFromCounts(const Scenario& s, int threads, bool per_replicate,
                                        int split_parts) {
  return EstimateShape(s, ShapeFromCounts(s), threads, s.replicates, per_replicate, split_parts);
}

double ExpectedEvaluees(const Scenario& s) { return ShapeFromCounts(s).evaluees; }

PreflightEstimate EstimateGenerate(const Scenario& s, const Organisation* org) {
  return GenerateShape(s, org ? ShapeOf(*org) : ShapeFromCounts(s));
}

uint64_t ParseByteSize(std::string_view text, std::string_view flag) {
  auto bad = [&](std::string_view why) -> uint64_t {
    throw InputError(
        fmt::format("{} {}: {}; expected a size such as 512M, 8G, 1.5GiB or a number of bytes",
                    flag, text, why));
  };
  std::string t(text);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  size_t pos = 0;
  while (pos < t.size() && std::isspace(static_cast<unsigned char>(t[pos]))) ++pos;
  t = t.substr(pos);
  if (t.empty()) return bad("empty");
  size_t end = 0;
  while (end < t.size() && (std::isdigit(static_cast<unsigned char>(t[end])) || t[end] == '.' ||
                            ((t[end] == 'e' || t[end] == 'E') && end + 1 < t.size() &&
                             std::isdigit(static_cast<unsigned char>(t[end + 1])))))
    ++end;
  if (end == 0) return bad("no number");
  double value = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + end, value);
  if (ec != std::errc() || ptr != t.data() + end || !std::isfinite(value))
    return bad("not a number");
  std::string unit = t.substr(end);
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double scale = 0;
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1},       {"b", 1},        {"k", 0x1p10},   {"kib", 0x1p10}, {"kb", 1e3},
      {"m", 0x1p20}, {"mib", 0x1p20}, {"mb", 1e6},     {"g", 0x1p30},   {"gib", 0x1p30},
      {"gb", 1e9},   {"t", 0x1p40},   {"tib", 0x1p40}, {"tb", 1e12}};
  for (const auto& [name, f] : kUnits)
    if (unit == name) scale = f;
  if (scale == 0) return bad(fmt::format("unknown unit \"{}\"", t.substr(end)));
  const double bytes = std::floor(value * scale);
  if (bytes < 1) return bad("must be at least one byte");
  if (bytes >= 0x1p63) return bad("too large");
  return static_cast<uint64_t>(bytes);
}

MemoryLimit AvailableMemory(std::optional<uint64_t> max_memory) {
  MemoryLimit best;
  if (const auto avail = MemInfo("MemAvailable")) {
    best.bytes = *avail;
    best.source = "MemAvailable in /proc/meminfo";
  }
  CgroupLimit(&best);
  if (max_memory && (best.bytes == 0 || *max_memory <= best.bytes)) {
    best.bytes = *max_memory;
    best.source = fmt::format("--max-memory {}", FormatBytes(static_cast<double>(*max_memory)));
  }
  return best;
}

std::string FitLine(const PreflightEstimate& est, const MemoryLimit& limit) {
  if (limit.bytes == 0) return "available memory unknown (no /proc/meminfo)";
  return fmt::format("{} in the {} available ({})",
                     est.bytes <= limit.bytes ? "fits" : "does NOT fit",
                     FormatBytes(static_cast<double>(limit.bytes)), limit.source);
}

void RefuseIfTooBig(std::string_view command, const PreflightEstimate& est,
                    const MemoryLimit& limit, const Scenario& s, const Organisation* org,
                    int threads, bool per_replicate, int split_parts) {
  if (limit.bytes == 0 || est.bytes <= limit.bytes) return;
  const Shape shape = org ? ShapeOf(*org) : ShapeFromCounts(s);
  const bool generate = est.phase == "generation";
  std::vector<std::string> fixes;
  if (!generate) {
    // The largest --threads, then the largest --replicates, that fit.
    for (int t = est.concurrency - 1; t >= 1; --t) {
      if (EstimateShape(s, shape, t, s.replicates, per_replicate, split_parts).bytes <=
          limit.bytes) {
        fixes.push_back(fmt::format("--threads {}", t));
        break;
      }
    }
    int lo = 0, hi = s.replicates - 1;  // largest fitting count in [1, replicates - 1]
    while (lo < hi) {
      const int mid = lo + (hi - lo + 1) / 2;
      if (EstimateShape(s, shape, threads, mid, per_replicate, split_parts).bytes <= limit.bytes)
        lo = mid;
      else
        hi = mid - 1;
    }
    if (lo >= 1) fixes.push_back(fmt::format("--replicates {}", lo));
    if (per_replicate) fixes.push_back("dropping --per-replicate");
  }
  fixes.push_back("a smaller scenario (fewer evaluees, raters or models)");
  const bool from_flag = limit.source.rfind("--max-memory", 0) == 0;
  if (from_flag) fixes.push_back("a larger --max-memory");
  throw InputError(fmt::format(
      "{}{}: not enough memory: estimated peak {}{}, but the limit is {} ({}); to fit, try {}",
      Location(s.file), command, est.Describe(),
      org ? "" : " (from the scenario's expected counts)",
      FormatBytes(static_cast<double>(limit.bytes)), limit.source, fmt::join(fixes, ", or ")));
}

PreflightEstimate Preflight::Check(const Organisation* org) const {
  const Scenario& s = *scenario;
  PreflightEstimate est;
  if (generate)
    est = EstimateGenerate(s, org);
  else
    est = org ? EstimateRun(s, *org, threads, per_replicate, split_parts)
              : EstimateRunFromCounts(s, threads, per_replicate, split_parts);
  RefuseIfTooBig(command, est, limit, s, org, threads, per_replicate, split_parts);
  return est;
}

}  // namespace evalsim
