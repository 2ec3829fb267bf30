// The optional [[scales]] tables (a ballot scale of its own for some rater
// groups) and the rater keys that refer to other tables: a group's `scale`
// and the `anchor_to` of its anchoring.
#include <fmt/format.h>

#include <cmath>
#include <set>

#include "sim/core/ballots.h"
#include "sim/scenario/parts.h"

namespace evalsim {
namespace {

// `labels` and `shares` of one [[scales]] table.
void ReadScaleGrades(OptionReader& r, ScaleSpec& sc) {
  if (auto l = r.StringList("labels")) sc.labels = *l;
  if (!r.Has("labels")) r.Error("", "missing required key `labels`");
  if (r.Has("labels") && (sc.labels.size() < 2 || sc.labels.size() > 200))
    r.Error("labels",
            fmt::format("has {} grades; expected 2 to 200, lowest first", sc.labels.size()));
  if (!r.Has("shares")) {
    r.Error("", "missing required key `shares`");
    return;
  }
  auto sh = r.DoubleList("shares", Probability());
  if (!sh) return;
  sc.shares = *sh;
  double sum = 0;
  for (double v : sc.shares) sum += v;
  if (sc.shares.size() != sc.labels.size()) {
    r.Error("shares", fmt::format("has {} values; expected one per label ({}), lowest first",
                                  sc.shares.size(), sc.labels.size()));
  } else if (std::abs(sum - 1.0) > 1e-6) {
    r.Error("shares", fmt::format("sum to {}; expected shares of the graded ballots that sum to "
                                  "1 (the \"don't know\" share is `dont_know`)",
                                  sum));
  }
}

// An error at key `key` of the [[raters]] table `t` of group `group`.
void ErrorAtKey(OptionReader& top, const toml::table& t, const char* key, const std::string& group,
                const std::string& message) {
  const std::string path = fmt::format("raters.{}.{}", group, key);
  if (const toml::node* node = t.get(key))
    top.ErrorAt(*node, path, message);
  else
    top.Error(path, message);
}

}  // namespace

void ReadScales(OptionReader& top, Scenario& s, std::vector<std::string>& errors) {
  std::set<std::string> names;
  ForEachTable(top, "scales", s.file, errors, [&](OptionReader& r, size_t) {
    ScaleSpec sc;
    sc.name = r.String("name", "");
    if (sc.name.empty()) r.Error("", "missing required key `name` (a non-empty string)");
    if (!sc.name.empty() && !names.insert(sc.name).second)
      r.Error("name", fmt::format("scale \"{}\" is defined twice", sc.name));
    ReadScaleGrades(r, sc);
    sc.dont_know = r.Double("dont_know", 0.0, Range{0.0, 1.0, false, true});
    sc.dont_know_label = r.String("dont_know_label", "不了解");
    for (const std::string& l : sc.labels)
      if (l == sc.dont_know_label)
        r.Error("dont_know_label",
                fmt::format("\"{}\" is also a grade label; \"don't know\" is not a grade", l));
    s.scales.push_back(std::move(sc));
  });
  if (s.scales.size() > 32) top.Error("scales", "more than 32 scales; expected at most 32");
}

void ReadRaterInfluence(OptionReader& r, RaterGroupSpec& g) {
  g.scale_name = r.String("scale", "");
  g.anchor = r.Double("anchor", 0.0, Probability());
  g.anchor_to = r.String("anchor_to", "chair");
  g.anchor_noise = r.Double("anchor_noise", 0.5, AtLeast(0.0));
  g.conformity = r.Double("conformity", 0.0, Probability());
}

void ResolveRaterLinks(OptionReader& top, Scenario& s) {
  if (!s.scales.empty() && s.meeting_rules.Any())
    top.Error("scales",
              "named scales cannot be combined with meeting rules ([meetings] absence, quorum, "
              "min_panel, overcount, max_top) yet; expected one or the other");
  const toml::array* tables = top.table()["raters"].as_array();
  for (size_t i = 0; i < s.raters.size() && tables && i < tables->size(); ++i) {
    RaterGroupSpec& g = s.raters[i];
    const toml::table* t = tables->get(i)->as_table();
    if (!t) continue;
    if (!g.scale_name.empty()) {
      for (size_t k = 0; k < s.scales.size(); ++k)
        if (s.scales[k].name == g.scale_name) g.scale = static_cast<int>(k);
      if (g.scale < 0)
        ErrorAtKey(top, *t, "scale", g.group,
                   fmt::format("found \"{}\"; expected the name of a [[scales]] table{}",
                               g.scale_name, s.scales.empty() ? " (there is none)" : ""));
    }
    if (g.anchor_to == "chair") continue;
    for (size_t k = 0; k < s.raters.size(); ++k)
      if (s.raters[k].group == g.anchor_to) g.anchor_group = static_cast<int>(k);
    if (g.anchor_group < 0)
      ErrorAtKey(top, *t, "anchor_to", g.group,
                 fmt::format("found \"{}\"; expected \"chair\" or a rater group of the scenario",
                             g.anchor_to));
  }
}

}  // namespace evalsim
