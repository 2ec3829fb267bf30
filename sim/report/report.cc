// report.html: see sim/report.h for the page contract. The page's content is
// built here from the output directory's files:
//
//   manifest.json             required; the scenario summary, the grade
//                             shares by rater group, the quota count k
//   metrics.csv               headline chart (accuracy vs stability), table
//   evaluees.csv              caterpillar (the kCaterpillarRows rows per model
//                             whose mean rank is nearest the quota count k),
//                             rank shifts of composites;
//                             streamed, only what the charts need is kept
//   fairness.csv              class error by unit size
//   parameters.csv            mean weight vectors of composite models
//   sweep.csv, summary.txt    sweep lines and the sweep's text summary
//   manipulation.csv,         cost of lifting a target into the top class
//   manipulation_summary.csv
//
// A file that is absent leaves its chart out; a file that is present but
// malformed throws InputError naming it (and the line). Nothing of the machine
// or the clock (wall times, threads, memory) enters the page, and scores.csv is
// never read.
#include "sim/report/report.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sim/core/errors.h"
#include "sim/core/metrics.h"
#include "sim/io/csv.h"
#include "sim/io/files.h"
#include "sim/report/assets.h"

namespace evalsim {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// Rows of the caterpillar per model: the evaluees whose mean rank is nearest
// the quota line.
constexpr int kCaterpillarRows = 50;

// Chart widths in CSS pixels, for a figure about 1070 px wide inside: the
// plot of a chart with no legend at its side, of one with a legend at its
// side, and of each of the headline's two panels.
constexpr int kPlotWidth = 860;
constexpr int kPlotWidthBesideLegend = 760;
constexpr int kPanelWidth = 400;

constexpr const char* kFontStack = "\"Noto Sans CJK SC\", \"Noto Sans\", sans-serif";

// The headline metrics of a sweep, in display order (those present are shown;
// when none is, every metric of sweep.csv is).
const std::vector<std::string>& SweepHeadlineMetrics() {
  static const std::vector<std::string> m = {"accuracy.kendall", "topk.precision",
                                             "stability.kendall"};
  return m;
}

// ---------------------------------------------------------------- files

// A file's bytes, read-only, mapped rather than copied so that a large
// evaluees.csv is paged through instead of held on the heap.
class MappedFile {
 public:
  explicit MappedFile(const fs::path& path) : name_(path.string()) {
    fd_ = ::open(name_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw InputError(fmt::format("{}: cannot be opened", name_));
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      throw InputError(fmt::format("{}: not a regular file", name_));
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
      if (p == MAP_FAILED) {
        ::close(fd_);
        throw InputError(fmt::format("{}: cannot be read", name_));
      }
      ::madvise(p, size_, MADV_SEQUENTIAL);
      data_ = static_cast<const char*>(p);
    }
  }
  ~MappedFile() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view Text() const { return {data_ ? data_ : "", size_}; }
  const std::string& Name() const { return name_; }

 private:
  std::string name_;
  int fd_ = -1;
  const char* data_ = nullptr;
  size_t size_ = 0;
};

bool IsFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

std::string ReadWhole(const fs::path& p) { return std::string(MappedFile(p).Text()); }

// 1-based line of byte offset `pos` in `text`.
long LineOf(std::string_view text, size_t pos) {
  pos = std::min(pos, text.size());
  return 1 +
         static_cast<long>(std::count(text.begin(), text.begin() + static_cast<long>(pos), '\n'));
}

// A CSV table read by column name: `columns` are required, the callback gets
// each data row's fields in that order (with the physical line).
using RowCallback = std::function<void(long line, const std::vector<std::string_view>& fields)>;

void ReadCsvColumns(const fs::path& path, const std::vector<std::string>& columns,
                    const RowCallback& on_row) {
  const MappedFile file(path);
  std::vector<int> index;
  bool header = true;
  std::vector<std::string_view> row(columns.size());
  size_t width = 0;
  ParseCsvRecords(file.Text(), file.Name(), [&](long line, std::span<const std::string> fields) {
    if (header) {
      header = false;
      width = fields.size();
      for (const std::string& c : columns) {
        const auto it = std::find(fields.begin(), fields.end(), c);
        if (it == fields.end())
          throw InputError(
              fmt::format("{}missing column '{}' in the header", Location(file.Name(), line), c));
        index.push_back(static_cast<int>(it - fields.begin()));
      }
      return;
    }
    if (fields.size() != width)
      throw InputError(fmt::format("{}{} field(s); expected {} as in the header",
                                   Location(file.Name(), line), fields.size(), width));
    for (size_t i = 0; i < columns.size(); ++i) row[i] = fields[static_cast<size_t>(index[i])];
    on_row(line, row);
  });
  if (header) throw InputError(fmt::format("{}: empty file (expected a header)", file.Name()));
}

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

// ---------------------------------------------------------------- specs

Json BaseSpec(const std::string& title) {
  // The question is the figure's caption; the spec keeps it as its
  // description (read by screen readers) rather than drawing it twice.
  Json s;
  s["description"] = title;
  // Labels at 12 px and titles at 13 px; a legend symbol drawn opaque even
  // when the mark it stands for is translucent; quantitative axes drop
  // labels that would overlap rather than print them on top of each other.
  s["config"] = {
      {"font", kFontStack},
      {"view", {{"stroke", "#ddd"}}},
      {"legend",
       {{"labelLimit", 320}, {"labelFontSize", 12}, {"titleFontSize", 13}, {"symbolOpacity", 1}}},
      {"axis", {{"labelLimit", 320}, {"labelFontSize", 12}, {"titleFontSize", 13}}},
      {"axisQuantitative", {{"labelOverlap", true}}}};
  return s;
}

Json Chart(const std::string& key, const std::string& title, const std::string& guide, Json spec) {
  Json c;
  c["key"] = key;
  c["title"] = title;
  c["guide"] = guide;
  c["spec"] = std::move(spec);
  return c;
}

// Ordered colours for K grades, worst red to best green: the four anchors
// #d7191c #fdae61 #a6d96a #1a9641 interpolated linearly in RGB.
std::vector<std::string> GradeColours(int k) {
  static const int anchors[4][3] = {
      {0xd7, 0x19, 0x1c}, {0xfd, 0xae, 0x61}, {0xa6, 0xd9, 0x6a}, {0x1a, 0x96, 0x41}};
  std::vector<std::string> out;
  for (int i = 0; i < k; ++i) {
    const double t = k == 1 ? 1.0 : 3.0 * i / (k - 1);
    const int seg = std::min(2, static_cast<int>(t));
    const double f = t - seg;
    int rgb[3];
    for (int c = 0; c < 3; ++c)
      rgb[c] = static_cast<int>(
          std::lround(anchors[seg][c] + f * (anchors[seg + 1][c] - anchors[seg][c])));
    out.push_back(fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]));
  }
  return out;
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

// A horizontal box chart over BoxStats rows: whisker min..max, box q1..q3,
// tick at the median, dot at the mean.
Json BoxSpec(const std::string& title, const Json& rows, const std::string& x_title,
             const Json& model_order) {
  Json s = BaseSpec(title);
  s["width"] = kPlotWidth - 100;
  s["height"] = {{"step", 24}};
  s["data"] = {{"values", rows}};
  Json y = {{"field", "model"}, {"type", "nominal"}, {"title", "model"}, {"sort", model_order}};
  Json tooltip = Json::array();
  for (const char* f : {"model", "n", "min", "q1", "median", "q3", "max", "mean"})
    tooltip.push_back({{"field", f}});
  Json layer = Json::array();
  layer.push_back({{"mark", {{"type", "rule"}}},
                   {"encoding",
                    {{"y", y},
                     {"x", {{"field", "min"}, {"type", "quantitative"}, {"title", x_title}}},
                     {"x2", {{"field", "max"}}},
                     {"tooltip", tooltip}}}});
  layer.push_back({{"mark", {{"type", "bar"}, {"size", 14}, {"color", "#9ecae1"}}},
                   {"encoding",
                    {{"y", y},
                     {"x", {{"field", "q1"}, {"type", "quantitative"}}},
                     {"x2", {{"field", "q3"}}},
                     {"tooltip", tooltip}}}});
  layer.push_back(
      {{"mark", {{"type", "tick"}, {"color", "#08306b"}, {"thickness", 2}}},
       {"encoding", {{"y", y}, {"x", {{"field", "median"}, {"type", "quantitative"}}}}}});
  layer.push_back({{"mark", {{"type", "point"}, {"filled", true}, {"color", "#d94801"}}},
                   {"encoding", {{"y", y}, {"x", {{"field", "mean"}, {"type", "quantitative"}}}}}});
  s["layer"] = layer;
  return s;
}

// ---------------------------------------------------------------- metrics.csv

struct MetricLine {
  std::string model, metric;
  std::optional<double> value, lo, hi;
};

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

std::optional<Json> HeadlineChart(const std::vector<MetricLine>& rows) {
  std::vector<std::string> models;
  for (const MetricLine& r : rows) models.push_back(r.model);
  models = Distinct(models);
  struct Row {
    std::string model;
    double accuracy;
    Json json;
  };
  std::vector<Row> kept;
  for (const std::string& model : models) {
    const MetricLine *acc = nullptr, *stab = nullptr;
    for (const MetricLine& r : rows) {
      if (r.model != model) continue;
      if (r.metric == "accuracy.kendall") acc = &r;
      if (r.metric == "stability.kendall") stab = &r;
    }
    if (!acc || !stab || !acc->value || !stab->value) continue;
    kept.push_back({model,
                    *acc->value,
                    {{"model", model},
                     {"accuracy", NumOrNull(acc->value)},
                     {"accuracy_lo", NumOrNull(acc->lo ? acc->lo : acc->value)},
                     {"accuracy_hi", NumOrNull(acc->hi ? acc->hi : acc->value)},
                     {"stability", NumOrNull(stab->value)},
                     {"stability_lo", NumOrNull(stab->lo ? stab->lo : stab->value)},
                     {"stability_hi", NumOrNull(stab->hi ? stab->hi : stab->value)}}});
  }
  if (kept.empty()) return std::nullopt;
  // Rows from the most to the least accurate model (file order among ties);
  // a NaN accuracy goes last.
  std::stable_sort(kept.begin(), kept.end(), [](const Row& a, const Row& b) {
    if (std::isnan(a.accuracy) || std::isnan(b.accuracy))
      return !std::isnan(a.accuracy) && std::isnan(b.accuracy);
    return a.accuracy > b.accuracy;
  });
  Json values = Json::array(), order = Json::array();
  for (Row& r : kept) {
    order.push_back(r.model);
    values.push_back(std::move(r.json));
  }
  const std::string title = "Which model ranks closest to the truth, and which ranks most stably?";
  Json s = BaseSpec(title);
  s["data"] = {{"values", values}};
  Json tooltip = Json::array({{{"field", "model"}}});
  for (const char* f :
       {"accuracy", "accuracy_lo", "accuracy_hi", "stability", "stability_lo", "stability_hi"})
    tooltip.push_back({{"field", f}, {"format", ".4f"}});
  // One panel per metric: a row per model, the dot at the mean over
  // replicates and the whisker over its 95 % interval. The rows are shared,
  // so a model reads across both panels; the labels cannot collide however
  // close the models are.
  auto panel = [&](const std::string& field, const std::string& x_title, bool labels) {
    Json y = {{"field", "model"}, {"type", "nominal"}, {"sort", order}};
    if (labels)
      y["title"] = "model (most accurate first)";
    else
      y["axis"] = {{"labels", false}, {"ticks", false}, {"title", nullptr}};
    const Json x = {{"field", field},
                    {"type", "quantitative"},
                    {"title", x_title},
                    {"scale", {{"zero", false}}}};
    Json whisker_x = x;
    whisker_x["field"] = field + "_lo";
    Json p;
    p["width"] = kPanelWidth;
    p["height"] = {{"step", 22}};
    p["layer"] = Json::array(
        {{{"mark", {{"type", "rule"}, {"color", "#555"}, {"strokeWidth", 1.5}}},
          {"encoding",
           {{"y", y}, {"x", whisker_x}, {"x2", {{"field", field + "_hi"}}}, {"tooltip", tooltip}}}},
         {{"mark", {{"type", "point"}, {"filled", true}, {"size", 70}, {"color", "#1f5f99"}}},
          {"encoding", {{"y", y}, {"x", x}, {"tooltip", tooltip}}}}});
    return p;
  };
  s["hconcat"] = Json::array(
      {panel("accuracy", "accuracy: Kendall tau-b with true quality (-1..1)", true),
       panel("stability", "stability: Kendall tau-b between two replicates (-1..1)", false)});
  s["spacing"] = 24;
  s["resolve"] = {{"scale", {{"y", "shared"}}}};
  return Chart("headline", title,
               "A row per model, most accurate first; the dot is the mean over replicates and the "
               "whisker its 95 % interval. Further right is better in both panels; models whose "
               "whiskers overlap cannot be told apart.",
               s);
}

// ---------------------------------------------------------------- evaluees.csv

struct EvalueeRow {
  std::string ratee;
  double mean_rank = 0;
  double distance = 0;  // |mean_rank - the caterpillar's centre|
  long order = 0;       // row index in the file
  std::optional<double> rank_lo, rank_hi, p_top;
};

// Orders rows by (distance to the centre, file order): the first rows are
// the ones the caterpillar keeps.
struct Nearer {
  bool operator()(const EvalueeRow& a, const EvalueeRow& b) const {
    if (a.distance != b.distance) return a.distance < b.distance;
    return a.order < b.order;
  }
};

// The kCaterpillarRows rows of a model nearest the centre.
struct ModelRows {
  std::priority_queue<EvalueeRow, std::vector<EvalueeRow>, Nearer> nearest;  // top: the farthest
  long n = 0;
};

struct EvalueesData {
  std::vector<std::string> models;  // in file order
  std::map<std::string, ModelRows> rows;
  long n_max = 0;             // evaluees of the largest model
  std::optional<long> quota;  // the quota count k, when the manifest gives it
  double centre = 1;          // the rank the caterpillar's rows are nearest: k, else 1
  // Mean ranks of the weighted (composite) models, by ratee id.
  std::unordered_map<std::string, int> ratee_id;
  std::vector<std::string> ratee_names;
  std::map<std::string, std::vector<double>> weighted_rank;
};

// The quota count k: the manifest's fairness.top_k, else ceil(quota * n).
std::optional<long> QuotaK(const Json& manifest, const std::function<long()>& n) {
  if (const Json* k = Find(manifest, {"fairness", "top_k"}); k && k->is_number_integer())
    return k->get<long>();
  if (const Json* q = Find(manifest, {"resolved", "metrics", "quota"}); q && q->is_number())
    return QuotaCount(q->get<double>(), static_cast<int>(n()));
  return std::nullopt;
}

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

std::optional<Json> CaterpillarChart(EvalueesData& d) {
  if (d.models.empty()) return std::nullopt;
  Json values = Json::array();
  for (const std::string& model : d.models) {
    ModelRows& m = d.rows.at(model);
    std::vector<EvalueeRow> rows;
    while (!m.nearest.empty()) {
      rows.push_back(m.nearest.top());
      m.nearest.pop();
    }
    std::sort(rows.begin(), rows.end(), [](const EvalueeRow& a, const EvalueeRow& b) {
      if (a.mean_rank != b.mean_rank) return a.mean_rank < b.mean_rank;
      return a.order < b.order;
    });
    for (const EvalueeRow& r : rows)
      values.push_back({{"model", model},
                        {"ratee", r.ratee},
                        {"mean_rank", r.mean_rank},
                        {"rank_lo", NumOrNull(r.rank_lo)},
                        {"rank_hi", NumOrNull(r.rank_hi)},
                        {"p_top", NumOrNull(r.p_top)}});
  }
  const std::optional<long> k = d.quota;
  const std::string title =
      "Whose rank is certain, and who could land on either side of the quota line?";
  Json s = BaseSpec(title);
  s["width"] = kPlotWidthBesideLegend;
  s["height"] = {{"step", 14}};
  Json options = Json::array();
  for (const std::string& m : d.models) options.push_back(m);
  s["params"] =
      Json::array({{{"name", "model"},
                    {"value", d.models.front()},
                    {"bind", {{"input", "select"}, {"options", options}, {"name", "model: "}}}}});
  s["data"] = {{"values", values}};
  const Json y = {
      {"field", "ratee"},
      {"type", "ordinal"},
      {"title",
       k ? fmt::format("evaluee (the {} with mean rank nearest k = {})", kCaterpillarRows, *k)
         : fmt::format("evaluee (the {} best by mean rank)", kCaterpillarRows)},
      {"sort", {{"field", "mean_rank"}, {"order", "ascending"}}}};
  Json tooltip = Json::array({{{"field", "ratee"}}});
  for (const char* f : {"mean_rank", "rank_lo", "rank_hi", "p_top"})
    tooltip.push_back({{"field", f}, {"format", ".4~f"}});
  Json layer = Json::array();
  const Json filter = Json::array({{{"filter", "datum.model === model"}}});
  layer.push_back(
      {{"transform", filter},
       {"mark", {{"type", "rule"}, {"color", "#888"}, {"strokeWidth", 1.5}}},
       {"encoding",
        {{"y", y},
         {"x",
          {{"field", "rank_lo"},
           {"type", "quantitative"},
           {"title",
            fmt::format("rank (1 = best of {}); bar: 5-95 % interval over replicates", d.n_max)},
           {"scale", {{"zero", false}}}}},
         {"x2", {{"field", "rank_hi"}}}}}});
  // Viridis runs from dark purple (P = 0) to a pale yellow (P = 1) that
  // vanishes on white: a thin dark outline keeps every dot visible.
  layer.push_back({{"transform", filter},
                   {"mark",
                    {{"type", "point"},
                     {"filled", true},
                     {"size", 55},
                     {"stroke", "#333"},
                     {"strokeWidth", 0.5}}},
                   {"encoding",
                    {{"y", y},
                     {"x", {{"field", "mean_rank"}, {"type", "quantitative"}}},
                     {"color",
                      {{"field", "p_top"},
                       {"type", "quantitative"},
                       {"title", "P(top class)"},
                       {"scale", {{"domain", Json::array({0, 1})}, {"scheme", "viridis"}}}}},
                     {"tooltip", tooltip}}}});
  if (k) {
    layer.push_back(
        {{"data",
          {{"values", Json::array({{{"k", *k}, {"label", fmt::format("quota k = {}", *k)}}})}}},
         {"mark",
          {{"type", "rule"},
           {"color", "#d7191c"},
           {"strokeWidth", 1.5},
           {"strokeDash", Json::array({4, 3})}}},
         {"encoding", {{"x", {{"field", "k"}, {"type", "quantitative"}}}}}});
    layer.push_back(
        {{"data",
          {{"values", Json::array({{{"k", *k}, {"label", fmt::format("quota k = {}", *k)}}})}}},
         {"mark",
          {{"type", "text"},
           {"color", "#d7191c"},
           {"align", "left"},
           {"dx", 4},
           {"y", 0},
           {"baseline", "top"},
           {"fontSize", 12}}},
         {"encoding",
          {{"x", {{"field", "k"}, {"type", "quantitative"}}}, {"text", {{"field", "label"}}}}}});
  }
  s["layer"] = layer;
  return Chart(
      "caterpillar", title,
      k ? fmt::format("Each row is an evaluee, one model at a time (pick it in the menu): the {} "
                      "whose mean rank is nearest the quota line k = {}, where the class is "
                      "decided. The bar spans the 5-95 % rank interval, the dot is the mean "
                      "rank, coloured by the probability of the top class; a bar crossing the "
                      "dashed line means the class is a coin toss.",
                      kCaterpillarRows, *k)
        : fmt::format("Each row is an evaluee, one model at a time (pick it in the menu): the {} "
                      "best by mean rank. The bar spans the 5-95 % rank interval, the dot is "
                      "the mean rank, coloured by the probability of the top class.",
                      kCaterpillarRows),
      s);
}

// ---------------------------------------------------------------- ballots

std::optional<Json> GradesChart(const Json& manifest) {
  const Json* by_group = Find(manifest, {"ballots", "by_group"});
  if (!by_group || !by_group->is_array() || by_group->empty()) return std::nullopt;
  const Json* labels_j = Find(manifest, {"resolved", "scale", "labels"});
  const Json* target = Find(manifest, {"ballots", "target_share"});
  std::vector<std::string> labels;
  if (labels_j && labels_j->is_array())
    for (const Json& l : *labels_j)
      labels.push_back(l.is_string() ? l.get<std::string>() : l.dump());
  size_t k = labels.size();
  for (const Json& g : *by_group)
    if (const Json* gs = Find(g, {"grade_share"}); gs && gs->is_array())
      k = std::max(k, gs->size());
  if (target && target->is_array()) k = std::max(k, target->size());
  for (size_t i = labels.size(); i < k; ++i) labels.push_back(fmt::format("grade {}", i));
  Json values = Json::array();
  auto add = [&](const std::string& row, const Json& shares, double abstain) {
    if (!shares.is_array()) return;
    for (size_t i = 0; i < shares.size(); ++i)
      if (shares[i].is_number())
        values.push_back({{"row", row},
                          {"grade", labels[i]},
                          {"grade_index", i},
                          {"share", shares[i]},
                          {"abstain_share", abstain}});
  };
  if (target && target->is_array()) add("target", *target, 0.0);
  for (const Json& g : *by_group) {
    const Json* name = Find(g, {"group"});
    const Json* gs = Find(g, {"grade_share"});
    const Json* ab = Find(g, {"abstain_share"});
    if (!name || !gs) continue;
    const double abstain = ab && ab->is_number() ? ab->get<double>() : 0.0;
    const std::string group = name->is_string() ? name->get<std::string>() : name->dump();
    add(fmt::format("{} ({:.1f} % blank)", group, 100 * abstain), *gs, abstain);
  }
  if (values.empty()) return std::nullopt;
  const std::string title =
      "Do the rater groups grade alike, and do the votes hit the target grade shares?";
  Json s = BaseSpec(title);
  s["width"] = kPlotWidthBesideLegend;
  s["height"] = {{"step", 28}};
  s["data"] = {{"values", values}};
  Json domain = Json::array(), range = Json::array();
  for (size_t i = 0; i < k; ++i) domain.push_back(labels[i]);
  for (const std::string& c : GradeColours(static_cast<int>(k))) range.push_back(c);
  s["mark"] = {{"type", "bar"}};
  s["encoding"] = {
      {"y", {{"field", "row"}, {"type", "nominal"}, {"title", "rater group"}, {"sort", nullptr}}},
      {"x",
       {{"field", "share"},
        {"type", "quantitative"},
        {"stack", "normalize"},
        {"title", "share of cast (non-blank) ballots"},
        {"axis", {{"format", ".0%"}}}}},
      {"color",
       {{"field", "grade"},
        {"type", "ordinal"},
        {"title", "grade"},
        {"scale", {{"domain", domain}, {"range", range}}}}},
      {"order", {{"field", "grade_index"}, {"type", "quantitative"}}},
      {"tooltip",
       Json::array(
           {{{"field", "row"}}, {{"field", "grade"}}, {{"field", "share"}, {"format", ".3f"}}})}};
  return Chart("grades", title,
               "Each bar splits a group's cast ballots by grade, worst (red) to best (green); the "
               "top bar is the target the cut points were calibrated to.",
               s);
}

// ---------------------------------------------------------------- fairness.csv

std::optional<Json> FairnessChart(const fs::path& p) {
  Json values = Json::array();
  std::vector<std::string> strata;
  ReadCsvColumns(p, {"model", "dimension", "stratum", "evaluees", "metric", "value"},
                 [&](long line, const std::vector<std::string_view>& f) {
                   if (f[1] != "size" || f[4] != "class_error") return;
                   const std::string stratum(f[2]);
                   if (std::find(strata.begin(), strata.end(), stratum) == strata.end())
                     strata.push_back(stratum);
                   values.push_back({{"model", std::string(f[0])},
                                     {"stratum", stratum},
                                     {"evaluees", NumOrNull(Number(f[3], p, line, "evaluees"))},
                                     {"class_error", NumOrNull(Number(f[5], p, line, "value"))}});
                 });
  if (values.empty()) return std::nullopt;
  const std::string title =
      "Are evaluees of small or large units put in the wrong class more often?";
  Json s = BaseSpec(title);
  s["width"] = kPlotWidthBesideLegend;
  s["height"] = 320;
  s["data"] = {{"values", values}};
  s["mark"] = {{"type", "line"}, {"point", true}};
  Json sort = Json::array();
  for (const std::string& st : strata) sort.push_back(st);
  s["encoding"] = {{"x",
                    {{"field", "stratum"},
                     {"type", "ordinal"},
                     {"sort", sort},
                     {"title", "unit size (raters per evaluee), smallest fifth to largest"},
                     {"axis", {{"labelAngle", 0}}}}},
                   {"y",
                    {{"field", "class_error"},
                     {"type", "quantitative"},
                     {"title", "class-assignment error (share of evaluee-replicates)"},
                     {"axis", {{"format", ".1%"}}}}},
                   {"color", {{"field", "model"}, {"type", "nominal"}, {"title", "model"}}},
                   {"tooltip", Json::array({{{"field", "model"}},
                                            {{"field", "stratum"}},
                                            {{"field", "evaluees"}},
                                            {{"field", "class_error"}, {"format", ".4f"}}})}};
  return Chart("fairness", title,
               "Lower is better; a line that climbs to one side means the model treats units of "
               "that size unfairly.",
               s);
}

// ---------------------------------------------------------------- parameters.csv

struct WeightMeans {
  std::vector<std::string> models;      // weighted models, in file order
  std::vector<std::string> indicators;  // without the "weight." prefix
  std::map<std::pair<std::string, std::string>, std::pair<double, long>> sum;
};

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

std::optional<Json> WeightsChart(const WeightMeans& w) {
  if (w.models.empty()) return std::nullopt;
  Json values = Json::array();
  for (const std::string& ind : w.indicators)
    for (const std::string& model : w.models) {
      const auto it = w.sum.find({model, ind});
      if (it == w.sum.end() || it->second.second == 0) continue;
      values.push_back({{"indicator", ind},
                        {"model", model},
                        {"weight", it->second.first / static_cast<double>(it->second.second)},
                        {"replicates", it->second.second}});
    }
  if (values.empty()) return std::nullopt;
  const std::string title = "How much weight does each weighting method give each indicator?";
  Json s = BaseSpec(title);
  s["width"] = kPlotWidth;
  s["height"] = 320;
  s["data"] = {{"values", values}};
  s["mark"] = {{"type", "bar"}};
  Json ind_sort = Json::array(), model_sort = Json::array();
  for (const std::string& i : w.indicators) ind_sort.push_back(i);
  for (const std::string& m : w.models) model_sort.push_back(m);
  s["encoding"] = {
      {"x",
       {{"field", "indicator"},
        {"type", "nominal"},
        {"sort", ind_sort},
        {"title", "indicator"},
        {"axis", {{"labelAngle", -30}}}}},
      {"xOffset", {{"field", "model"}, {"type", "nominal"}, {"sort", model_sort}}},
      {"y",
       {{"field", "weight"}, {"type", "quantitative"}, {"title", "weight (mean over replicates)"}}},
      {"color",
       {{"field", "model"},
        {"type", "nominal"},
        {"sort", model_sort},
        {"title", "model"},
        {"legend", {{"orient", "bottom"}, {"columns", 4}, {"columnPadding", 16}}}}},
      {"tooltip", Json::array({{{"field", "model"}},
                               {{"field", "indicator"}},
                               {{"field", "weight"}, {"format", ".4f"}},
                               {{"field", "replicates"}}})}};
  return Chart("weights", title,
               "Bars side by side compare the methods' weight for the same indicator (a method's "
               "weights sum to its share of the indicators); a method that piles weight on a few "
               "indicators ranks by those alone.",
               s);
}

std::optional<Json> RankShiftChart(const WeightMeans& w, const EvalueesData& d) {
  std::vector<std::string> models;
  for (const std::string& m : w.models)
    if (d.weighted_rank.count(m)) models.push_back(m);
  if (models.size() < 2) return std::nullopt;
  const std::vector<double>& base = d.weighted_rank.at(models.front());
  Json rows = Json::array(), order = Json::array();
  for (size_t m = 1; m < models.size(); ++m) {
    const std::vector<double>& r = d.weighted_rank.at(models[m]);
    std::vector<double> shift;
    for (size_t i = 0; i < std::min(base.size(), r.size()); ++i)
      if (std::isfinite(base[i]) && std::isfinite(r[i])) shift.push_back(r[i] - base[i]);
    if (shift.empty()) continue;
    rows.push_back(BoxStats(models[m], std::move(shift)));
    order.push_back(models[m]);
  }
  if (rows.empty()) return std::nullopt;
  const std::string title =
      fmt::format("How far does each weighting method move the evaluees' ranks away from {}'s?",
                  models.front());
  Json s = BoxSpec(title, rows,
                   fmt::format("mean rank minus mean rank under {} (rank positions; negative = "
                               "moved up)",
                               models.front()),
                   order);
  return Chart("rank-shift", title,
               "Whiskers span the smallest to the largest shift over evaluees, the box the middle "
               "half, the tick the median and the dot the mean: a wide box means the choice of "
               "weights decides many evaluees' places.",
               s);
}

// ---------------------------------------------------------------- sweep.csv

bool AllNumbers(const std::vector<std::string>& v) {
  for (const std::string& s : v) {
    double x = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(x))
      return false;
  }
  return true;
}

std::string Slug(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return out;
}

// A data field name as a Vega-Lite field reference: ".", "[" and "]" would
// otherwise read as nested access ("scale.top_share" is one field).
std::string FieldRef(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '.' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::vector<Json> SweepCharts(const fs::path& p) {
  const MappedFile file(p);
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> rows;  // point, keys..., model, metric, value, lo, hi
  bool header = true;
  size_t width = 0;
  ParseCsvRecords(file.Text(), file.Name(), [&](long line, std::span<const std::string> f) {
    if (header) {
      header = false;
      width = f.size();
      if (f.size() < 7 || f[0] != "point" || f[f.size() - 5] != "model" ||
          f[f.size() - 4] != "metric" || f[f.size() - 3] != "value" || f[f.size() - 2] != "lo" ||
          f[f.size() - 1] != "hi")
        throw InputError(
            fmt::format("{}expected the header point,<varied keys>,model,metric,value,lo,hi",
                        Location(file.Name(), line)));
      keys.assign(f.begin() + 1, f.end() - 5);
      return;
    }
    if (f.size() != width)
      throw InputError(fmt::format("{}{} field(s); expected {} as in the header",
                                   Location(file.Name(), line), f.size(), width));
    for (size_t i = width - 3; i < width; ++i)
      Number(f[i], p, line, i == width - 3 ? "value" : i == width - 2 ? "lo" : "hi");
    RequiredNumber(f[0], p, line, "point");
    std::vector<std::string> r(f.begin(), f.end());
    r.push_back(std::to_string(line));
    rows.push_back(std::move(r));
  });
  if (header) throw InputError(fmt::format("{}: empty file (expected a header)", file.Name()));
  if (rows.empty()) return {};
  const size_t nk = keys.size();
  // Numeric keys go on a quantitative axis.
  std::vector<bool> numeric(nk);
  for (size_t k = 0; k < nk; ++k) {
    std::vector<std::string> col;
    for (const auto& r : rows) col.push_back(r[1 + k]);
    numeric[k] = AllNumbers(col);
  }
  std::vector<std::string> metrics;
  for (const auto& r : rows) metrics.push_back(r[nk + 2]);
  metrics = Distinct(metrics);
  std::vector<std::string> shown;
  for (const std::string& m : SweepHeadlineMetrics())
    if (std::find(metrics.begin(), metrics.end(), m) != metrics.end()) shown.push_back(m);
  if (shown.empty()) shown = metrics;
  std::vector<Json> charts;
  for (const std::string& metric : shown) {
    Json values = Json::array();
    Json x_order = Json::array();
    std::set<std::string> seen_x;
    std::set<double> x_at;
    for (const auto& r : rows) {
      if (r[nk + 2] != metric) continue;
      const long line = std::stol(r.back());
      Json v;
      v["point"] = static_cast<long>(RequiredNumber(r[0], p, line, "point"));
      for (size_t k = 0; k < nk; ++k) {
        if (numeric[k])
          v[keys[k]] = RequiredNumber(r[1 + k], p, line, keys[k]);
        else
          v[keys[k]] = r[1 + k];
      }
      if (nk == 0)
        x_at.insert(v["point"].get<double>());
      else if (numeric[0])
        x_at.insert(v[keys[0]].get<double>());
      else if (seen_x.insert(r[1]).second)
        x_order.push_back(r[1]);
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
      values.push_back(v);
    }
    const std::string& key = keys.empty() ? std::string("point") : keys.front();
    const std::string title = fmt::format("How does {} change with {}?", metric, key);
    Json s = BaseSpec(title);
    s["width"] = kPlotWidthBesideLegend;
    s["height"] = 320;
    s["data"] = {{"values", values}};
    Json x = {{"field", FieldRef(key)},
              {"type", keys.empty() || numeric[0] ? "quantitative" : "ordinal"},
              {"title", fmt::format("{} (the varied scenario key)", key)}};
    if (keys.empty() || numeric[0]) {
      // Ticks at the swept values only: a tick between two points of the
      // plan stands for no run.
      x["scale"] = {{"zero", false}};
      x["axis"] = {{"values", Json(std::vector<double>(x_at.begin(), x_at.end()))}};
    } else {
      x["sort"] = x_order;
      x["axis"] = {{"labelAngle", 0}};
    }
    if (keys.empty()) x["field"] = "point";
    const Json color = {{"field", "model"}, {"type", "nominal"}, {"title", "model"}};
    const std::string y_title = fmt::format("{} (mean over replicates)", metric);
    Json enc_line = {{"x", x},
                     {"y",
                      {{"field", "value"},
                       {"type", "quantitative"},
                       {"title", y_title},
                       {"scale", {{"zero", false}}}}},
                     {"color", color}};
    if (nk > 1)
      enc_line["strokeDash"] = {
          {"field", "other_keys"}, {"type", "nominal"}, {"title", "other keys"}};
    // The band shares the line's legend, whose symbols config.legend draws
    // opaque.
    Json enc_band = {{"x", x},
                     {"y", {{"field", "lo"}, {"type", "quantitative"}, {"title", y_title}}},
                     {"y2", {{"field", "hi"}}},
                     {"color", color}};
    if (nk > 1) enc_band["detail"] = {{"field", "other_keys"}, {"type", "nominal"}};
    Json tooltip = Json::array({{{"field", "model"}}, {{"field", "point"}}});
    for (const std::string& k : keys) tooltip.push_back({{"field", FieldRef(k)}, {"title", k}});
    for (const char* f : {"value", "lo", "hi"})
      tooltip.push_back({{"field", f}, {"format", ".4f"}});
    enc_line["tooltip"] = tooltip;
    s["layer"] =
        Json::array({{{"mark", {{"type", "errorband"}, {"opacity", 0.12}}}, {"encoding", enc_band}},
                     {{"mark", {{"type", "line"}, {"point", true}}}, {"encoding", enc_line}}});
    charts.push_back(Chart(
        "sweep-" + Slug(metric), title,
        "One line per model; the shaded band is the 95 % interval over replicates: where bands "
        "overlap, the models cannot be told apart at that point.",
        s));
  }
  return charts;
}

// ---------------------------------------------------------------- manipulation

struct ManipulationData {
  Json chart_rows = Json::array();
  Json order = Json::array();
  long not_buyable = 0;
  bool from_summary = false;
};

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

std::optional<Json> ManipulationChart(const ManipulationData& d, const Json& manifest) {
  if (d.chart_rows.empty()) return std::nullopt;
  std::string goal = "the top class";
  if (const Json* g = Find(manifest, {"goal"});
      g && g->is_string() && g->get<std::string>() != "top")
    goal = fmt::format("the goal \"{}\"", g->get<std::string>());
  const std::string title =
      fmt::format("How many raters must a bloc win over to lift a target into {}?", goal);
  Json s = BoxSpec(title, d.chart_rows,
                   "cost: raters in the smallest bloc that lifts the target (count)", d.order);
  std::string guide =
      d.from_summary
          ? "From manipulation_summary.csv: the whisker spans the 10th to 90th percentile, the "
            "tick is the median and the dot the mean; further right means harder to buy."
          : "Over the searched targets (those not already at the goal): whiskers span the cheapest "
            "to the dearest, the box the "
            "middle half, the tick the median and the dot the mean; further right means harder "
            "to buy.";
  if (d.not_buyable > 0)
    guide +=
        fmt::format(" {} target-model pair(s) could not be bought at any cost and are left out.",
                    d.not_buyable);
  return Chart("manipulation", title, guide, s);
}

Json CsvTable(const fs::path& p, const std::string& key, const std::string& title) {
  const MappedFile file(p);
  Json t;
  t["key"] = key;
  t["title"] = title;
  Json rows = Json::array();
  bool header = true;
  ParseCsvRecords(file.Text(), file.Name(), [&](long, std::span<const std::string> f) {
    Json r = Json::array();
    for (const std::string& cell : f) {
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

// ---------------------------------------------------------------- summary

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
  copy("model_notes", {"model_notes"});
  copy("resolved", {"resolved"});
  return s;
}

// ---------------------------------------------------------------- HTML

std::string Html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Dump(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// JSON for a <script> element: "</" written "<\/" and "<!--" written
// "\u003c!--", so that no text in the data can end or confuse the element.
std::string ScriptJson(const Json& j) {
  const std::string s = Dump(j);
  std::string out;
  out.reserve(s.size() + 16);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else if (s.compare(i, 4, "<!--") == 0) {
      out += "\\u003c!--";
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string Text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  return Dump(v);
}

// A number for a table cell: integers in full, others to 4 significant
// digits.
std::string FormatNumber(double x) {
  if (!std::isfinite(x)) return "–";
  if (x == std::floor(x) && std::fabs(x) < 1e15) return fmt::format("{:.0f}", x);
  return fmt::format("{:.4g}", x);
}

// A table cell's HTML: a number, text, or {value, lo, hi} shown as the
// value with "[lo, hi]" on a second, smaller line, so that a table of many
// metrics stays within the page.
std::string CellHtml(const Json& c) {
  if (c.is_null()) return "";
  if (c.is_number()) return Html(FormatNumber(c.get<double>()));
  if (c.is_object() && c.contains("value")) {
    auto f = [](const Json& x) {
      return x.is_number() ? FormatNumber(x.get<double>()) : std::string("–");
    };
    std::string s = Html(f(c["value"]));
    if (c["lo"].is_number() && c["hi"].is_number())
      s += fmt::format("<span class=\"ci\">[{}, {}]</span>", Html(f(c["lo"])), Html(f(c["hi"])));
    return s;
  }
  return Html(Text(c));
}

constexpr const char* kCss = R"css(
body { font-family: "Noto Sans CJK SC", "Noto Sans", sans-serif; margin: 1.5em auto; max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
dl.summary { display: grid; grid-template-columns: max-content auto; gap: 0.15em 1em; }
dl.summary dt { font-weight: bold; }
dl.summary dd { margin: 0; word-break: break-all; }
figure.chart { margin: 1.5em 0; padding: 0.8em; border: 1px solid #e5e5e5; border-radius: 4px; }
figure.chart figcaption { font-weight: bold; font-size: 1.05em; }
p.guide { color: #555; margin: 0.3em 0 0.6em; font-size: 0.92em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.5em; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f4f4; white-space: normal; vertical-align: bottom; }
div.scroll { overflow-x: auto; }
span.ci { display: block; color: #666; font-size: 0.85em; }
div.vis { overflow-x: auto; }
pre { background: #f8f8f8; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
pre#console-errors:empty { display: none; }
pre#console-errors { color: #b00; }
)css";

// Runs first: captures console.error, window errors (resource errors too) and
// unhandled rejections before anything else can raise them.
constexpr const char* kCaptureJs = R"js(
(function () {
  var errors = [];
  function flush() {
    var b = document.body;
    if (!b) return;
    b.setAttribute("data-console-errors", String(errors.length));
    var pre = document.getElementById("console-errors");
    if (pre) pre.textContent = errors.join("\n");
  }
  function add(msg) { errors.push(String(msg)); flush(); }
  window.__reportErrors = { add: add, flush: flush };
  var original = console.error;
  console.error = function () {
    var parts = [];
    for (var i = 0; i < arguments.length; i++) {
      var a = arguments[i];
      parts.push(a && a.stack ? String(a.stack) : String(a));
    }
    add(parts.join(" "));
    if (original) original.apply(console, arguments);
  };
  window.addEventListener("error", function (e) {
    if (e && e.message) add("error: " + e.message + (e.filename ? " (" + e.filename + ":" + e.lineno + ")" : ""));
    else add("error: " + (e && e.target && (e.target.src || e.target.href) || "resource failed"));
  }, true);
  window.addEventListener("unhandledrejection", function (e) {
    var r = e && e.reason;
    add("unhandledrejection: " + (r && r.message ? r.message : String(r)));
  });
})();
)js";

// Runs last: embeds every chart and sets the body's status attributes.
constexpr const char* kMainJs = R"js(
(function () {
  var body = document.body;
  var errs = window.__reportErrors;
  errs.flush();
  function resources() {
    var n = 0;
    try { n = performance.getEntriesByType("resource").length; } catch (e) { n = -1; }
    body.setAttribute("data-resources", String(n));
  }
  var data;
  try {
    data = JSON.parse(document.getElementById("report-data").textContent);
  } catch (e) {
    errs.add("report-data: " + e.message);
    body.setAttribute("data-report-status", "error");
    resources();
    return;
  }
  var jobs = (data.charts || []).map(function (c) {
    var fig = document.getElementById("chart-" + c.key);
    var el = fig && fig.querySelector("div.vis");
    if (!el) return Promise.reject(new Error("no element for chart " + c.key));
    if (typeof vegaEmbed !== "function") return Promise.reject(new Error("vegaEmbed is not loaded"));
    return vegaEmbed(el, c.spec, { renderer: "svg", actions: false, mode: "vega-lite" })
      .catch(function (e) { throw new Error("chart " + c.key + ": " + (e && e.message ? e.message : e)); });
  });
  Promise.all(jobs).then(function () {
    body.setAttribute("data-report-status", "rendered");
    resources();
  }, function (e) {
    errs.add(e && e.message ? e.message : String(e));
    body.setAttribute("data-report-status", "error");
    resources();
  });
})();
)js";

std::string SummaryHtml(const Json& s) {
  std::string out = "<dl class=\"summary\">\n";
  static const std::vector<std::pair<const char*, const char*>> fields = {
      {"name", "scenario"},
      {"description", "description"},
      {"scenario_file", "file"},
      {"seed", "seed"},
      {"replicates", "replicates"},
      {"version", "evalsim version"},
      {"git_describe", "git describe"},
      {"scenario_sha256", "scenario SHA-256"},
      {"overrides", "overrides"},
      {"organisation", "organisation"},
      {"sweep_plan", "sweep plan"},
      {"sweep_seeds", "sweep seeds"},
      {"sweep_models", "sweep models"},
      {"goal", "goal"},
      {"quota", "quota"},
      {"bury", "bury rivals"},
      {"targets", "targets"},
      {"model_notes", "model notes"}};
  for (const auto& [key, label] : fields) {
    if (!s.contains(key)) continue;
    const Json& v = s[key];
    std::string text;
    if (v.is_object()) {
      std::vector<std::string> parts;
      for (const auto& [k, x] : v.items()) parts.push_back(fmt::format("{}: {}", k, Text(x)));
      text = parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, "; "));
    } else if (v.is_array()) {
      std::vector<std::string> parts;
      for (const Json& x : v) parts.push_back(Text(x));
      text = parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, ", "));
    } else {
      text = Text(v);
    }
    out += fmt::format("<dt>{}</dt><dd>{}</dd>\n", Html(label), Html(text));
  }
  out += "</dl>\n";
  return out;
}

std::string TableHtml(const Json& t) {
  std::string out = fmt::format(
      "<section class=\"table\" id=\"table-{}\">\n<h2>{}</h2>\n<div "
      "class=\"scroll\"><table>\n<thead><tr>",
      Html(Text(t["key"])), Html(Text(t["title"])));
  // A header may break after a dot ("accuracy.<wbr>kendall"): the metric
  // names are the widest cells.
  for (const Json& c : t["columns"]) {
    std::string h = Html(Text(c));
    for (size_t at = h.find('.'); at != std::string::npos; at = h.find('.', at + 6))
      h.replace(at, 1, ".<wbr>");
    out += fmt::format("<th>{}</th>", h);
  }
  out += "</tr></thead>\n<tbody>\n";
  for (const Json& r : t["rows"]) {
    out += "<tr>";
    for (const Json& c : r) out += fmt::format("<td>{}</td>", CellHtml(c));
    out += "</tr>\n";
  }
  out += "</tbody>\n</table></div>\n</section>\n";
  return out;
}

}  // namespace

nlohmann::ordered_json BuildReportData(const std::filesystem::path& dir) {
  const Json manifest = ReadManifest(dir);
  std::string kind = "run";
  if (manifest.contains("sweep") || IsFile(dir / "sweep.csv"))
    kind = "sweep";
  else if (manifest.contains("manipulation_models") || IsFile(dir / "manipulation.csv") ||
           IsFile(dir / "manipulation_summary.csv"))
    kind = "manipulate";

  Json data;
  data["kind"] = kind;
  std::string name = "evalsim";
  if (const Json* n = Find(manifest, {"resolved", "name"}); n && n->is_string())
    name = n->get<std::string>();
  data["title"] = fmt::format("{}: {}", name,
                              kind == "sweep"        ? "sweep"
                              : kind == "manipulate" ? "manipulation study"
                                                     : "run");
  data["summary"] = Summary(manifest, kind);
  Json tables = Json::array();
  std::vector<Json> charts;
  auto add = [&](std::optional<Json> c) {
    if (c) charts.push_back(std::move(*c));
  };

  if (kind == "sweep") {
    if (IsFile(dir / "summary.txt"))
      data["summary"]["summary_text"] = ReadWhole(dir / "summary.txt");
    if (IsFile(dir / "sweep.csv"))
      for (Json& c : SweepCharts(dir / "sweep.csv")) charts.push_back(std::move(c));
  } else if (kind == "manipulate") {
    add(ManipulationChart(ReadManipulation(dir), manifest));
    if (IsFile(dir / "manipulation_summary.csv"))
      tables.push_back(CsvTable(dir / "manipulation_summary.csv", "manipulation-summary",
                                "Cost of lifting a target, per model (manipulation_summary.csv)"));
  } else {
    std::vector<MetricLine> metrics;
    if (IsFile(dir / "metrics.csv")) {
      metrics = ReadMetrics(dir / "metrics.csv");
      add(HeadlineChart(metrics));
    }
    WeightMeans weights;
    if (IsFile(dir / "parameters.csv")) weights = ReadWeights(dir / "parameters.csv");
    std::optional<EvalueesData> evaluees;
    if (IsFile(dir / "evaluees.csv")) {
      evaluees = ReadEvaluees(dir / "evaluees.csv",
                              std::set<std::string>(weights.models.begin(), weights.models.end()),
                              manifest);
    }
    if (evaluees) add(CaterpillarChart(*evaluees));
    add(GradesChart(manifest));
    if (IsFile(dir / "fairness.csv")) add(FairnessChart(dir / "fairness.csv"));
    add(WeightsChart(weights));
    if (evaluees) add(RankShiftChart(weights, *evaluees));
    if (!metrics.empty()) tables.push_back(MetricsTable(metrics));
  }
  data["tables"] = tables;
  Json cj = Json::array();
  for (Json& c : charts) cj.push_back(std::move(c));
  data["charts"] = cj;
  return data;
}

std::string RenderReportHtml(const nlohmann::ordered_json& data) {
  const std::string title = data.contains("title") ? Text(data["title"]) : "evalsim report";
  const Json summary = data.contains("summary") ? data["summary"] : Json::object();
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += fmt::format("<title>{}</title>\n", Html(title));
  h += fmt::format("<style>{}</style>\n", kCss);
  h += fmt::format("<script>{}</script>\n", kCaptureJs);
  h += "<script>\n";
  h += ReportScripts();
  h += "\n</script>\n</head>\n";
  h += "<body data-report-status=\"loading\" data-console-errors=\"0\" data-resources=\"0\">\n";
  h += fmt::format("<header>\n<h1>{}</h1>\n", Html(title));
  if (summary.contains("description"))
    h += fmt::format("<p class=\"description\">{}</p>\n", Html(Text(summary["description"])));
  h += "</header>\n<section id=\"summary\">\n<h2>Scenario</h2>\n";
  h += SummaryHtml(summary);
  if (summary.contains("summary_text"))
    h += fmt::format("<h2>Sweep summary</h2>\n<pre class=\"summary-text\">{}</pre>\n",
                     Html(Text(summary["summary_text"])));
  if (summary.contains("resolved"))
    h += fmt::format(
        "<details>\n<summary>Resolved scenario parameters (JSON)</summary>\n<pre "
        "class=\"resolved\">{}</pre>\n</details>\n",
        Html(Dump(summary["resolved"], 2)));
  h += "</section>\n";
  if (data.contains("charts"))
    for (const Json& c : data["charts"])
      h += fmt::format(
          "<figure class=\"chart\" id=\"chart-{}\">\n<figcaption>{}</figcaption>\n<p "
          "class=\"guide\">{}</p>\n<div class=\"vis\"></div>\n</figure>\n",
          Html(Text(c["key"])), Html(Text(c["title"])), Html(Text(c["guide"])));
  if (data.contains("tables"))
    for (const Json& t : data["tables"]) h += TableHtml(t);
  h += "<pre id=\"console-errors\"></pre>\n";
  h += fmt::format("<footer><p class=\"versions\">Charts: {}</p></footer>\n",
                   Html(std::string(ReportScriptVersions())));
  h += fmt::format("<script type=\"application/json\" id=\"report-data\">{}</script>\n",
                   ScriptJson(data));
  h += fmt::format("<script>{}</script>\n</body>\n</html>\n", kMainJs);
  return h;
}

void WriteReport(const std::filesystem::path& dir, const std::filesystem::path& out) {
  const std::string html = RenderReportHtml(BuildReportData(dir));
  WriteFileAtomically(out, html);
}

}  // namespace evalsim
