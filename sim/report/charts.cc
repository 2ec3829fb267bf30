// The report's charts (see charts.h): Vega-Lite specifications with their
// data inlined. The question a chart answers is its title (the figure's
// caption), and its guide says how to read it.
#include "sim/report/charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace evalsim::report {
namespace {

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

// One panel of the headline per metric: a row per model, the dot at the mean
// over replicates and the whisker over its 95 % interval. The rows are shared,
// so a model reads across both panels; the labels cannot collide however close
// the models are.
Json HeadlinePanel(const std::string& field, const std::string& x_title, bool labels,
                   const Json& order, const Json& tooltip) {
  Json y = {{"field", "model"}, {"type", "nominal"}, {"sort", order}};
  if (labels)
    y["title"] = "model (most accurate first)";
  else
    y["axis"] = {{"labels", false}, {"ticks", false}, {"title", nullptr}};
  const Json x = {
      {"field", field}, {"type", "quantitative"}, {"title", x_title}, {"scale", {{"zero", false}}}};
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
}

// ---------------------------------------------------------------- evaluees.csv

// The kept rows of every model (taken out of the queues), by mean rank.
Json CaterpillarValues(EvalueesData& d) {
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
  return values;
}

// The dashed quota line at rank k, with its label.
void AddQuotaLine(Json& layer, long k) {
  layer.push_back(
      {{"data", {{"values", Json::array({{{"k", k}, {"label", fmt::format("quota k = {}", k)}}})}}},
       {"mark",
        {{"type", "rule"},
         {"color", "#d7191c"},
         {"strokeWidth", 1.5},
         {"strokeDash", Json::array({4, 3})}}},
       {"encoding", {{"x", {{"field", "k"}, {"type", "quantitative"}}}}}});
  layer.push_back(
      {{"data", {{"values", Json::array({{{"k", k}, {"label", fmt::format("quota k = {}", k)}}})}}},
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

// The selected model's rows: a bar over the rank interval and a dot at the
// mean rank, coloured by P(top class); then the quota line.
Json CaterpillarLayers(const EvalueesData& d) {
  const std::optional<long> k = d.quota;
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
  if (k) AddQuotaLine(layer, *k);
  return layer;
}

std::string CaterpillarGuide(std::optional<long> k) {
  return k ? fmt::format(
                 "Each row is an evaluee, one model at a time (pick it in the menu): the {} "
                 "whose mean rank is nearest the quota line k = {}, where the class is "
                 "decided. The bar spans the 5-95 % rank interval, the dot is the mean "
                 "rank, coloured by the probability of the top class; a bar crossing the "
                 "dashed line means the class is a coin toss.",
                 kCaterpillarRows, *k)
           : fmt::format(
                 "Each row is an evaluee, one model at a time (pick it in the menu): the {} "
                 "best by mean rank. The bar spans the 5-95 % rank interval, the dot is "
                 "the mean rank, coloured by the probability of the top class.",
                 kCaterpillarRows);
}

// ---------------------------------------------------------------- sweep.csv

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

// The metrics a sweep charts: the headline ones present, else all.
std::vector<std::string> ShownSweepMetrics(const SweepTable& t) {
  std::vector<std::string> shown;
  for (const std::string& m : SweepHeadlineMetrics())
    if (std::find(t.metrics.begin(), t.metrics.end(), m) != t.metrics.end()) shown.push_back(m);
  if (shown.empty()) shown = t.metrics;
  return shown;
}

// The x encoding of a sweep chart: the first varied key (else the point),
// quantitative with ticks at the swept values when numeric, else ordinal in
// file order.
Json SweepX(const SweepTable& t, const std::string& metric) {
  const std::vector<std::string>& keys = t.keys;
  const size_t nk = keys.size();
  Json x_order = Json::array();
  std::set<std::string> seen_x;
  std::set<double> x_at;
  for (const SweepRow& r : t.rows) {
    if (r.metric != metric) continue;
    if (nk == 0)
      x_at.insert(r.values["point"].get<double>());
    else if (t.numeric[0])
      x_at.insert(r.values[keys[0]].get<double>());
    else if (seen_x.insert(r.first_key).second)
      x_order.push_back(r.first_key);
  }
  const std::string& key = keys.empty() ? std::string("point") : keys.front();
  Json x = {{"field", FieldRef(key)},
            {"type", keys.empty() || t.numeric[0] ? "quantitative" : "ordinal"},
            {"title", fmt::format("{} (the varied scenario key)", key)}};
  if (keys.empty() || t.numeric[0]) {
    // Ticks at the swept values only: a tick between two points of the
    // plan stands for no run.
    x["scale"] = {{"zero", false}};
    x["axis"] = {{"values", Json(std::vector<double>(x_at.begin(), x_at.end()))}};
  } else {
    x["sort"] = x_order;
    x["axis"] = {{"labelAngle", 0}};
  }
  if (keys.empty()) x["field"] = "point";
  return x;
}

// A line per model (dashed by the other keys' values) over the band of its
// 95 % interval.
Json SweepLayers(const SweepTable& t, const Json& x, const std::string& metric) {
  const size_t nk = t.keys.size();
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
  for (const std::string& k : t.keys) tooltip.push_back({{"field", FieldRef(k)}, {"title", k}});
  for (const char* f : {"value", "lo", "hi"}) tooltip.push_back({{"field", f}, {"format", ".4f"}});
  enc_line["tooltip"] = tooltip;
  return Json::array(
      {{{"mark", {{"type", "errorband"}, {"opacity", 0.12}}}, {"encoding", enc_band}},
       {{"mark", {{"type", "line"}, {"point", true}}}, {"encoding", enc_line}}});
}

Json SweepChart(const SweepTable& t, const std::string& metric) {
  Json values = Json::array();
  for (const SweepRow& r : t.rows)
    if (r.metric == metric) values.push_back(r.values);
  const std::string& key = t.keys.empty() ? std::string("point") : t.keys.front();
  const std::string title = fmt::format("How does {} change with {}?", metric, key);
  Json s = BaseSpec(title);
  s["width"] = kPlotWidthBesideLegend;
  s["height"] = 320;
  s["data"] = {{"values", values}};
  s["layer"] = SweepLayers(t, SweepX(t, metric), metric);
  return Chart("sweep-" + Slug(metric), title,
               "One line per model; the shaded band is the 95 % interval over replicates: where "
               "bands overlap, the models cannot be told apart at that point.",
               s);
}

}  // namespace

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
  s["hconcat"] = Json::array(
      {HeadlinePanel("accuracy", "accuracy: Kendall tau-b with true quality (-1..1)", true, order,
                     tooltip),
       HeadlinePanel("stability", "stability: Kendall tau-b between two replicates (-1..1)", false,
                     order, tooltip)});
  s["spacing"] = 24;
  s["resolve"] = {{"scale", {{"y", "shared"}}}};
  return Chart("headline", title,
               "A row per model, most accurate first; the dot is the mean over replicates and the "
               "whisker its 95 % interval. Further right is better in both panels; models whose "
               "whiskers overlap cannot be told apart.",
               s);
}

std::optional<Json> CaterpillarChart(EvalueesData& d) {
  if (d.models.empty()) return std::nullopt;
  Json values = CaterpillarValues(d);
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
  s["layer"] = CaterpillarLayers(d);
  return Chart("caterpillar", title, CaterpillarGuide(d.quota), s);
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
  // A scored tally has no target shares: its chart asks the first question
  // only.
  const bool has_target = target && target->is_array();
  const std::string title =
      has_target ? "Do the rater groups grade alike, and do the votes hit the target grade shares?"
                 : "Do the rater groups grade alike?";
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
               has_target ? "Each bar splits a group's cast ballots by grade, worst (red) to best "
                            "(green); the top bar is the target the cut points were calibrated to."
                          : "Each bar splits a group's cast ballots by grade, worst (red) to best "
                            "(green).",
               s);
}

// ---------------------------------------------------------------- a scored tally

std::optional<Json> TallyScoresChart(const TallyScores& t) {
  if (t.rows.empty()) return std::nullopt;
  Json values = Json::array();
  for (const TallyScore& r : t.rows) {
    Json v = {{"ratee", r.ratee}, {"rank", r.rank}, {"score", r.score}};
    if (t.intervals) {
      v["lo"] = NumOrNull(r.lo);
      v["hi"] = NumOrNull(r.hi);
    }
    if (t.classes) v["class"] = r.cls;
    values.push_back(std::move(v));
  }
  const std::string title = t.intervals ? "How sure is each score, and which class does it give?"
                                        : "What does each evaluee score, and which class?";
  Json s = BaseSpec(title);
  s["width"] = t.classes ? kPlotWidthBesideLegend : kPlotWidth;
  s["height"] = 320;
  s["data"] = {{"values", values}};
  const Json x = {{"field", "rank"},
                  {"type", "quantitative"},
                  {"title", fmt::format("rank (1 = best of {})", t.rows.size())},
                  {"scale", {{"zero", false}}},
                  {"axis", {{"tickMinStep", 1}, {"format", "d"}}}};
  Json tooltip = Json::array({{{"field", "ratee"}}, {{"field", "rank"}}});
  for (const char* f : {"score", "lo", "hi"})
    if (t.intervals || std::string_view(f) == "score")
      tooltip.push_back({{"field", f}, {"format", ".4~f"}});
  if (t.classes) tooltip.push_back({{"field", "class"}});
  Json point = {{"mark", {{"type", "point"}, {"filled", true}, {"size", 40}}},
                {"encoding",
                 {{"x", x},
                  {"y",
                   {{"field", "score"},
                    {"type", "quantitative"},
                    {"title", "score"},
                    {"scale", {{"zero", false}}}}},
                  {"tooltip", tooltip}}}};
  if (t.classes) {
    Json domain = Json::array();
    for (const std::string& c : t.class_labels) domain.push_back(c);
    point["encoding"]["color"] = {{"field", "class"},
                                  {"type", "nominal"},
                                  {"title", "class"},
                                  {"scale", {{"domain", domain}}}};
  }
  Json layer = Json::array();
  if (t.intervals) {
    layer.push_back({{"mark", {{"type", "rule"}, {"color", "#888"}}},
                     {"encoding",
                      {{"x", x},
                       {"y", {{"field", "lo"}, {"type", "quantitative"}, {"title", "score"}}},
                       {"y2", {{"field", "hi"}}}}}});
  }
  layer.push_back(std::move(point));
  s["layer"] = std::move(layer);
  return Chart("tally-scores", title,
               t.intervals ? "One dot per evaluee at its rank and score, coloured by class; the "
                             "bar is its bootstrap interval over resampled raters: where bars "
                             "of neighbours overlap, their order is luck of who attended."
                           : "One dot per evaluee at its rank and score, coloured by class. Add "
                             "--bootstrap N for intervals.",
               s);
}

// ---------------------------------------------------------------- fairness.csv

std::optional<Json> FairnessChart(const FairnessLines& d) {
  const Json& values = d.values;
  const std::vector<std::string>& strata = d.strata;
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

// ------------------------------------------- uncertainty.csv, sensitivity.csv

std::optional<Json> UncertaintyChart(const UncertaintyLines& d) {
  if (d.values.empty()) return std::nullopt;
  const std::string title =
      "How far do the composite's modelling choices move each evaluee's rank?";
  Json s = BaseSpec(title);
  s["width"] = kPlotWidth;
  s["height"] = 360;
  s["data"] = {{"values", d.values}};
  const std::string x_title =
      static_cast<int>(d.values.size()) < d.evaluees
          ? fmt::format("evaluee by rank under the base choices (every {}th of {})",
                        (d.evaluees + kUncertaintyRows - 1) / kUncertaintyRows, d.evaluees)
          : "evaluee by rank under the base choices";
  const Json x = {{"field", "base_rank"}, {"type", "quantitative"}, {"title", x_title}};
  const Json tooltip = Json::array({{{"field", "evaluee"}},
                                    {{"field", "base_rank"}},
                                    {{"field", "median_rank"}},
                                    {{"field", "rank_lo"}},
                                    {{"field", "rank_hi"}}});
  Json rule = {{"mark", {{"type", "rule"}, {"color", "#9ecae1"}}},
               {"encoding",
                {{"x", x},
                 {"y",
                  {{"field", "rank_lo"},
                   {"type", "quantitative"},
                   {"title", "rank across the choices (interval, median)"},
                   {"scale", {{"reverse", true}}}}},
                 {"y2", {{"field", "rank_hi"}}},
                 {"tooltip", tooltip}}}};
  Json point = {{"mark", {{"type", "point"}, {"filled", true}, {"color", "#08519c"}}},
                {"encoding",
                 {{"x", x},
                  {"y", {{"field", "median_rank"}, {"type", "quantitative"}}},
                  {"tooltip", tooltip}}}};
  s["layer"] = Json::array({rule, point});
  return Chart("uncertainty", title,
               "Each bar spans the ranks an evaluee takes over the sampled modelling choices "
               "(uncertainty.csv, rank_lo to rank_hi), the dot is its median; long bars are "
               "ranks the choice of method decides more than the data.",
               s);
}

std::optional<Json> SensitivityChart(const Json& values) {
  if (values.empty()) return std::nullopt;
  const std::string title = "Which modelling choice moves the ranks most?";
  Json s = BaseSpec(title);
  s["width"] = kPlotWidth;
  s["height"] = std::max(120, 24 * static_cast<int>(values.size()));
  s["data"] = {{"values", values}};
  s["mark"] = {{"type", "bar"}, {"color", "#3182bd"}};
  s["encoding"] = {
      {"y",
       {{"field", "choice"}, {"type", "nominal"}, {"sort", "-x"}, {"title", "modelling choice"}}},
      {"x",
       {{"field", "share"},
        {"type", "quantitative"},
        {"title", "share of the explained rank variance"},
        {"axis", {{"format", ".0%"}}}}},
      {"tooltip", Json::array({{{"field", "choice"}},
                               {{"field", "first_order"}, {"format", ".4f"}},
                               {{"field", "share"}, {"format", ".3f"}}})}};
  return Chart("sensitivity", title,
               "Longer bars are choices (a weight, the normalisation, the aggregation, the vote's "
               "weight) whose variation explains more of the variance of the ranks "
               "(sensitivity.csv, first-order index scaled to sum 1).",
               s);
}

// ---------------------------------------------------------------- units.csv

std::optional<Json> AllocationChart(const UnitAllocation& d) {
  if (d.models.empty()) return std::nullopt;
  const std::string title = fmt::format(
      "Does each {} get the top places its evaluees' true quality would earn?", d.level);
  Json s = BaseSpec(title);
  s["width"] = kPlotWidthBesideLegend;
  s["height"] = 320;
  Json options = Json::array();
  for (const std::string& m : d.models) options.push_back(m);
  s["params"] =
      Json::array({{{"name", "model"},
                    {"value", d.models.front()},
                    {"bind", {{"input", "select"}, {"options", options}, {"name", "model: "}}}}});
  s["data"] = {{"values", d.values}};
  s["transform"] = Json::array({{{"filter", "datum.model === model"}}});
  s["mark"] = {{"type", "bar"}};
  const std::string x_title =
      d.units > kAllocationUnits
          ? fmt::format("{} (the {} of {} farthest from the truth), most deserving first", d.level,
                        kAllocationUnits, d.units)
          : fmt::format("{}, most deserving first", d.level);
  s["encoding"] = {{"x",
                    {{"field", "unit"},
                     {"type", "nominal"},
                     {"title", x_title},
                     {"sort", {{"field", "truth"}, {"op", "max"}, {"order", "descending"}}}}},
                   {"xOffset", {{"field", "series"}, {"sort", Json::array({"model", "truth"})}}},
                   {"y",
                    {{"field", "value"},
                     {"type", "quantitative"},
                     {"title", "top-class places (mean per replicate)"}}},
                   {"color",
                    {{"field", "series"},
                     {"type", "nominal"},
                     {"title", "allocation"},
                     {"scale",
                      {{"domain", Json::array({"model", "truth"})},
                       {"range", Json::array({"#4c78a8", "#bbbbbb"})}}}}},
                   {"tooltip", Json::array({{{"field", "unit"}},
                                            {{"field", "series"}},
                                            {{"field", "value"}, {"format", ".2f"}},
                                            {{"field", "evaluees"}},
                                            {{"field", "distance"}, {"format", ".2f"}}})}};
  return Chart("allocation", title,
               "One model at a time (pick it in the menu): blue is how many top places the model "
               "gave each unit, grey how many the truly best evaluees of the whole organisation "
               "would take. Quotas per unit make the blue bars even; the truth is not.",
               s);
}

// ---------------------------------------------------------------- parameters.csv

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

std::vector<Json> SweepCharts(const SweepTable& t) {
  std::vector<Json> charts;
  for (const std::string& metric : ShownSweepMetrics(t)) charts.push_back(SweepChart(t, metric));
  return charts;
}

// ---------------------------------------------------------------- manipulation

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

// ---------------------------------------------------------------- calibration

std::optional<Json> CalibrationChart(const CalibrationData& d) {
  if (d.values.empty()) return std::nullopt;
  const std::string title =
      "Do the bootstrap intervals cover the population value as often as "
      "they claim?";
  Json s = BaseSpec(title);
  Json models = Json::array();
  for (const std::string& m : d.models) models.push_back(m);
  s["data"] = {{"values", d.values}};
  s["facet"] = {
      {"column",
       {{"field", "quantity"},
        {"type", "nominal"},
        {"sort", Json::array({"score", "rank"})},
        {"title", nullptr},
        {"header", {{"labelExpr", "datum.value + ' intervals'"}, {"labelFontSize", 13}}}}}};
  const Json x = {{"field", "nominal"},
                  {"type", "ordinal"},
                  {"title", "nominal level"},
                  {"axis", {{"labelAngle", 0}}}};
  const Json y_title = {{"title", "actual coverage (95 % interval over ballot sets)"}};
  const Json colour = {{"field", "model"}, {"type", "nominal"}, {"sort", models}};
  const Json offset = {{"field", "model"}, {"type", "nominal"}, {"sort", models}};
  Json tooltip =
      Json::array({{{"field", "model"}}, {{"field", "quantity"}}, {{"field", "nominal"}}});
  for (const char* f : {"coverage", "lo", "hi"})
    tooltip.push_back({{"field", f}, {"format", ".3f"}});
  Json layer = Json::array();
  layer.push_back({{"mark", {{"type", "tick"}, {"color", "#444"}, {"thickness", 2}}},
                   {"encoding",
                    {{"x", x},
                     {"y",
                      {{"field", "nominal"},
                       {"type", "quantitative"},
                       {"scale", {{"zero", false}}},
                       {"title", y_title["title"]}}}}}});
  layer.push_back({{"mark", {{"type", "rule"}, {"strokeWidth", 1.5}}},
                   {"encoding",
                    {{"x", x},
                     {"xOffset", offset},
                     {"y", {{"field", "lo"}, {"type", "quantitative"}}},
                     {"y2", {{"field", "hi"}}},
                     {"color", colour},
                     {"tooltip", tooltip}}}});
  layer.push_back({{"mark", {{"type", "point"}, {"filled", true}, {"size", 50}}},
                   {"encoding",
                    {{"x", x},
                     {"xOffset", offset},
                     {"y", {{"field", "coverage"}, {"type", "quantitative"}}},
                     {"color", colour},
                     {"tooltip", tooltip}}}});
  s["spec"] = {{"width", kPanelWidth}, {"height", 320}, {"layer", layer}};
  return Chart("calibration", title,
               "At each nominal level the grey tick is the coverage an interval promises and each "
               "dot a model's actual coverage of the population value, with its 95 % interval over "
               "the ballot sets: a dot below the tick means intervals that are too narrow.",
               s);
}

std::optional<Json> ReliabilityChart(const ReliabilityData& d) {
  if (d.values.empty() || d.targets.empty()) return std::nullopt;
  const std::string title =
      "When the bootstrap says P(top k) = p, how often is the evaluee in the "
      "top k?";
  Json s = BaseSpec(title);
  s["width"] = kPlotWidthBesideLegend - 200;
  s["height"] = 360;
  Json options = Json::array(), models = Json::array();
  for (const std::string& t : d.targets) options.push_back(t);
  for (const std::string& m : d.models) models.push_back(m);
  s["params"] = Json::array(
      {{{"name", "target"},
        {"value", d.targets.front()},
        {"bind", {{"input", "select"}, {"options", options}, {"name", "in the top k of: "}}}}});
  const Json px = {{"field", "p"}, {"type", "quantitative"}};
  const Json x = {{"field", "mean_p_top"},
                  {"type", "quantitative"},
                  {"title", "bootstrap p_top (mean in its bin)"},
                  {"scale", {{"domain", Json::array({0, 1})}}}};
  const Json y = {{"field", "frequency"},
                  {"type", "quantitative"},
                  {"title", "share in the top k (mean outcome in the bin)"},
                  {"scale", {{"domain", Json::array({0, 1})}}}};
  Json tooltip = Json::array({{{"field", "model"}}, {{"field", "target"}}, {{"field", "count"}}});
  for (const char* f : {"mean_p_top", "frequency"})
    tooltip.push_back({{"field", f}, {"format", ".3f"}});
  Json layer = Json::array();
  layer.push_back(
      {{"data", {{"values", Json::array({{{"p", 0}}, {{"p", 1}}})}}},
       {"mark", {{"type", "line"}, {"color", "#999"}, {"strokeDash", Json::array({4, 3})}}},
       {"encoding", {{"x", px}, {"y", px}}}});
  layer.push_back({{"data", {{"values", d.values}}},
                   {"transform", Json::array({{{"filter", "datum.target == target"}}})},
                   {"mark", {{"type", "line"}, {"point", {{"filled", true}}}}},
                   {"encoding",
                    {{"x", x},
                     {"y", y},
                     {"color", {{"field", "model"}, {"type", "nominal"}, {"sort", models}}},
                     {"order", {{"field", "bin"}, {"type", "quantitative"}}},
                     {"tooltip", tooltip}}}});
  s["layer"] = layer;
  return Chart("reliability", title,
               "Forecasts are binned by p_top (p = 0 and p = 1 have bins of their own); a line on "
               "the dashed diagonal is a calibrated forecast. Choose what \"top k\" means: of a "
               "rerun with other raters (what p_top estimates), of the population ranking, or of "
               "the true quality.",
               s);
}

std::optional<Json> PeriodsQualityChart(const PeriodsData& d) {
  if (d.quality.empty()) return std::nullopt;
  const std::string title = "What does each rule do to the true quality over the periods?";
  Json s = BaseSpec(title);
  Json models = Json::array();
  for (const std::string& m : d.models) models.push_back(m);
  s["data"] = {{"values", d.quality}};
  s["width"] = kPanelWidth;
  s["height"] = 300;
  const Json x = {{"field", "period"},
                  {"type", "quantitative"},
                  {"axis", {{"tickMinStep", 1}, {"format", "d"}}},
                  {"title", "period"}};
  const Json colour = {{"field", "model"}, {"type", "nominal"}, {"sort", models}};
  Json tooltip = Json::array({{{"field", "model"}}, {{"field", "period"}}});
  for (const char* f : {"value", "lo", "hi"}) tooltip.push_back({{"field", f}, {"format", ".3f"}});
  Json layer = Json::array();
  layer.push_back({{"mark", {{"type", "area"}, {"opacity", 0.2}}},
                   {"encoding",
                    {{"x", x},
                     {"y", {{"field", "lo"}, {"type", "quantitative"}}},
                     {"y2", {{"field", "hi"}}},
                     {"color", colour}}}});
  layer.push_back({{"mark", {{"type", "line"}, {"point", true}}},
                   {"encoding",
                    {{"x", x},
                     {"y",
                      {{"field", "value"},
                       {"type", "quantitative"},
                       {"scale", {{"zero", false}}},
                       {"title", "mean true quality (sd units)"}}},
                     {"color", colour},
                     {"tooltip", tooltip}}}});
  s["layer"] = layer;
  return Chart("periods-quality", title,
               "Each line is a model's history: the mean true quality of the evaluees appraised "
               "in each period, with its 95 % band over replicates; period 1 is before any "
               "action, and every model's history saw the same random draws.",
               s);
}

std::optional<Json> PeriodsDecileChart(const PeriodsData& d) {
  if (d.deciles.empty()) return std::nullopt;
  const std::string title = "Whom do the actions hit, by true quality?";
  Json s = BaseSpec(title);
  Json models = Json::array();
  for (const std::string& m : d.models) models.push_back(m);
  s["data"] = {{"values", d.deciles}};
  s["facet"] = {{"row", {{"field", "action"}, {"type", "nominal"}, {"title", nullptr}}}};
  const Json colour = {{"field", "model"}, {"type", "nominal"}, {"sort", models}};
  Json tooltip = Json::array({{{"field", "model"}},
                              {{"field", "action"}},
                              {{"field", "decile"}},
                              {{"field", "rate"}, {"format", ".3f"}}});
  Json layer = Json::array();
  layer.push_back(
      {{"mark", {{"type", "bar"}}},
       {"encoding",
        {{"x",
          {{"field", "decile"},
           {"type", "ordinal"},
           {"title", "true-quality decile (1 = lowest)"},
           {"axis", {{"labelAngle", 0}}}}},
         {"xOffset", {{"field", "model"}, {"type", "nominal"}, {"sort", models}}},
         {"y", {{"field", "rate"}, {"type", "quantitative"}, {"title", "P(fires) per period"}}},
         {"color", colour},
         {"tooltip", tooltip}}}});
  s["spec"] = {{"width", kPanelWidth}, {"height", 200}, {"layer", layer}};
  return Chart("periods-deciles", title,
               "Each bar is how often the action fired on an evaluee of that true-quality decile "
               "in a period, averaged over the periods: a rule that finds the weak has tall bars "
               "on the left and none on the right.",
               s);
}

}  // namespace evalsim::report
