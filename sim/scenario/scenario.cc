#include "sim/scenario/scenario.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "models/registry.h"
#include "sim/core/errors.h"
#include "sim/core/options.h"
#include "sim/core/rng.h"
#include "sim/io/files.h"
#include "sim/scenario/parts.h"
#include "sim/scenario/presets.h"

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

// Whether the scenario provides what an entry's model reads.
void CheckModelInput(const std::string& file, const toml::table& entry, const Scenario& s,
                     const ModelEntry& m, std::vector<std::string>& errors) {
  const ModelSpec* spec = Models().Find(m.model);
  if (!spec) return;  // reported by the registry
  const std::string at = fmt::format("{}{}", NodeLocation(entry, file), m.path);
  const bool comparison =
      spec->input == InputKind::kPairwise || spec->input == InputKind::kRankings;
  if (spec->input == InputKind::kIndicators && s.indicators.empty()) {
    errors.push_back(fmt::format(
        "{}: model {} reads indicators; the scenario has no [[indicators]]", at, m.model));
  }
  if (!m.from.empty() && !comparison) {
    errors.push_back(fmt::format(
        "{}.from: model {} reads {}; `from` applies only to comparison and social-choice models",
        at, m.model, InputKindName(spec->input)));
  }
  if (m.from == "comparisons" && s.comparisons.mode == ComparisonMode::kNone) {
    errors.push_back(
        fmt::format("{}.from: \"comparisons\" needs a [comparisons] table in the scenario", at));
  }
  if (spec->input == InputKind::kRankings && m.from != "ratings" &&
      s.comparisons.mode == ComparisonMode::kPairs) {
    errors.push_back(fmt::format(
        "{}: model {} reads rankings, and [comparisons] ballots = \"pairs\" gives pairwise "
        "comparisons only; set from = \"ratings\" on this entry to rank from the ratings",
        at, m.model));
  }
}

// Reads [[organisation.types]] (the array under `key` of the organisation
// reader `r`). The `groups` lists are checked against the rater groups later,
// by ResolveTypeGroups.
void ReadTypes(OptionReader& r, const std::string& file, Scenario& s,
               std::vector<const toml::node*>& group_nodes, std::vector<std::string>& errors) {
  const toml::node* node = r.Raw("types");
  if (!node) return;
  const toml::array* arr = node->as_array();
  if (!arr || !arr->is_array_of_tables() || arr->empty()) {
    r.Error("types", fmt::format("found {}; expected a non-empty array of tables "
                                 "([[organisation.types]] with name, share, leniency)",
                                 arr && arr->empty() ? "an empty array" : ATypeName(*node)));
    return;
  }
  std::set<std::string> names;
  double sum = 0;
  bool shares_ok = true;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table& t = *arr->get(i)->as_table();
    std::string label = r.KeyPath(fmt::format("types[{}]", i));
    if (auto v = t["name"].value<std::string>()) label = r.KeyPath(fmt::format("types.{}", *v));
    OptionReader tr(t, file, label);
    EvalueeTypeSpec type;
    type.name = tr.String("name", "");
    if (type.name.empty()) tr.Error("", "missing required key `name` (a non-empty string)");
    if (!type.name.empty() && !names.insert(type.name).second)
      tr.Error("name",
               fmt::format("type \"{}\" is named twice; type names must be unique", type.name));
    if (!tr.Has("share")) tr.Error("", "missing required key `share` (a number in [0, 1])");
    type.share = tr.Double("share", 0.0, Probability());
    const std::optional<double> share = t["share"].value<double>();
    if (!share || !Probability().Contains(*share)) shares_ok = false;  // reported above
    sum += type.share;
    type.leniency = tr.Double("leniency", 0.0, Between(-100, 100));
    group_nodes.push_back(tr.Has("groups") ? t.get("groups") : nullptr);
    if (auto g = tr.StringList("groups")) {
      type.groups = *g;
      if (type.groups.empty())
        tr.Error("groups",
                 "is empty; list at least one rater group, or leave `groups` out to "
                 "shift the ballots of every group");
    }
    for (auto& e : tr.Finish()) errors.push_back(std::move(e));
    s.types.push_back(std::move(type));
  }
  if (shares_ok && std::abs(sum - 1.0) > 1e-9) {
    r.Error("types", fmt::format("the types' `share` values sum to {}; expected a sum of 1 "
                                 "(within 1e-9)",
                                 sum));
  }
}

// Turns every type's `groups` names into its per-group `shifted` mask.
void ResolveTypeGroups(const std::string& file, Scenario& s,
                       const std::vector<const toml::node*>& group_nodes,
                       std::vector<std::string>& errors) {
  for (size_t i = 0; i < s.types.size(); ++i) {
    EvalueeTypeSpec& type = s.types[i];
    if (type.groups.empty()) continue;
    type.shifted.assign(s.raters.size(), 0);
    std::set<std::string> seen;
    for (const std::string& name : type.groups) {
      const std::string where = fmt::format(
          "{}organisation.types.{}.groups",
          group_nodes[i] ? NodeLocation(*group_nodes[i], file) : Location(file), type.name);
      if (!seen.insert(name).second) {
        errors.push_back(fmt::format("{}: group \"{}\" is listed twice", where, name));
        continue;
      }
      bool found = false;
      for (size_t g = 0; g < s.raters.size(); ++g) {
        if (s.raters[g].group == name) {
          type.shifted[g] = 1;
          found = true;
        }
      }
      if (!found) {
        std::vector<std::string> known;
        for (const auto& g : s.raters) known.push_back(g.group);
        errors.push_back(fmt::format("{}: \"{}\" is not a rater group; groups: {}", where, name,
                                     fmt::join(known, ", ")));
      }
    }
  }
}

IntRange ToRange(std::optional<std::pair<int64_t, int64_t>> r) {
  return r ? IntRange{r->first, r->second} : IntRange{};
}

constexpr double kMaxLevelCount = 1e7;

// A level's `count`: an integer, a [min, max] pair (uniform), or a table
// { dist = "lognormal", mean, sd, min, max }. `*ok` tells whether it was
// read without error (so that checks on the count are not repeated on a
// count already reported).
LevelCount ReadLevelCount(OptionReader& lr, const std::string& file,
                          std::vector<std::string>& errors, bool* ok) {
  LevelCount c;
  *ok = false;
  const toml::node* node = lr.Raw("count");
  if (!node) return c;
  if (node->is_integer() || node->is_array()) {
    const auto range = lr.IntOrRange("count", Between(0, kMaxLevelCount));
    *ok = range.has_value();
    const IntRange r = ToRange(range);
    c.lo = r.lo;
    c.hi = r.hi;
    return c;
  }
  if (!node->is_table()) {
    lr.Error("count", fmt::format("found {}; expected an integer, a [min, max] pair of integers, "
                                  "or a table {{ dist = \"lognormal\", mean = ..., sd = ..., "
                                  "min = ..., max = ... }}",
                                  ATypeName(*node)));
    return c;
  }
  OptionReader t(*node->as_table(), file, lr.KeyPath("count"));
  for (const char* k : {"dist", "mean", "sd", "min", "max"})
    if (!t.Has(k)) t.Error("", fmt::format("missing required key `{}`", k));
  t.String("dist", "lognormal", {"lognormal"});
  c.dist = LevelCount::Dist::kLognormal;
  c.mean = t.Double("mean", 1.0, Above(0.0));
  c.sd = t.Double("sd", 0.0, AtLeast(0.0));
  c.lo = t.Int("min", 0, Between(0, kMaxLevelCount));
  c.hi = t.Int("max", 0, Between(0, kMaxLevelCount));
  if (!t.Has("min") || !t.Has("max")) {
    // Missing, reported above; [min, max] is unknown.
  } else if (c.lo > c.hi) {
    t.Error("max", fmt::format("max = {} is below min = {}", c.hi, c.lo));
  } else if (t.Has("mean") &&
             (c.mean < static_cast<double>(c.lo) || c.mean > static_cast<double>(c.hi))) {
    t.Error("mean",
            fmt::format("mean = {} lies outside [min, max] = [{}, {}]", c.mean, c.lo, c.hi));
  }
  std::vector<std::string> count_errors = t.Finish();
  *ok = count_errors.empty();
  for (auto& e : count_errors) errors.push_back(std::move(e));
  if (c.hi < c.lo) c.hi = c.lo;
  return c;
}

void ReadScenario(const toml::table& root, Scenario& s) {
  std::vector<std::string> errors;
  const std::string& file = s.file;
  OptionReader top(root, file, "");

  s.name = top.String("name", "");
  if (!top.Has("name")) top.Error("", "missing required key `name`");
  s.description = top.String("description", "");
  if (!top.Has("seed")) top.Error("", "missing required key `seed` (a non-negative integer)");
  s.seed = static_cast<uint64_t>(top.Int("seed", 1, Between(0, 9.0e18)));
  s.replicates = static_cast<int>(top.Int("replicates", 50, Between(1, 1000000)));

  WithTable(top, "scale", file, errors, true, [&](OptionReader& r) {
    // A missing or malformed `labels` is reported once; the checks that
    // compare other keys with it are then left out.
    bool labels_ok = false;
    if (auto l = r.StringList("labels")) {
      s.labels = *l;
      labels_ok = true;
    }
    if (!r.Has("labels")) r.Error("", "missing required key `labels`");
    if (labels_ok && (s.labels.size() < 2 || s.labels.size() > static_cast<size_t>(kMaxLevels))) {
      r.Error("labels",
              fmt::format("has {} grades; expected 2 to {}", s.labels.size(), kMaxLevels));
    }
    if (auto sh = r.DoubleList("shares", Probability())) {
      s.shares = *sh;
      double sum = 0;
      for (double v : s.shares) sum += v;
      if (!labels_ok) {
        // Nothing to compare the number of shares with.
      } else if (s.shares.size() != s.labels.size()) {
        r.Error("shares", fmt::format("has {} values; expected one per label ({})", s.shares.size(),
                                      s.labels.size()));
      } else if (std::abs(sum - 1.0) > 1e-6) {
        r.Error("shares", fmt::format("sum to {}; expected shares that sum to 1", sum));
      }
    } else if (!r.Has("shares")) {
      r.Error("", "missing required key `shares`");
    }
  });

  std::string evaluees, by;
  std::vector<const toml::node*> type_group_nodes;
  bool counts_ok = true;  // every level's count read without error
  WithTable(top, "organisation", file, errors, true, [&](OptionReader& r) {
    const toml::node* lv = r.Raw("levels");
    const toml::array* arr = lv ? lv->as_array() : nullptr;
    if (!lv) {
      r.Error("", "missing required key `levels`");
    } else if (!arr || arr->empty()) {
      r.Error("levels", "expected a non-empty array of { name = ..., count = ... } tables");
    } else {
      for (size_t i = 0; i < arr->size(); ++i) {
        const toml::table* t = arr->get(i)->as_table();
        if (!t) {
          r.ErrorAt(*arr->get(i), fmt::format("levels[{}]", i),
                    "expected a table { name = ..., count = ... }");
          continue;
        }
        OptionReader lr(*t, file, r.KeyPath(fmt::format("levels[{}]", i)));
        LevelSpec level;
        level.name = lr.String("name", "");
        if (level.name.empty()) lr.Error("", "missing required key `name` (a non-empty string)");
        bool count_ok = false;
        level.count = ReadLevelCount(lr, file, errors, &count_ok);
        if (!count_ok) counts_ok = false;
        if (!lr.Has("count")) lr.Error("", "missing required key `count`");
        for (const auto& other : s.levels)
          if (other.name == level.name && !level.name.empty())
            lr.Error("name", fmt::format("level \"{}\" is named twice", level.name));
        s.levels.push_back(level);
        for (auto& e : lr.Finish()) errors.push_back(std::move(e));
      }
    }
    evaluees = r.String("evaluees", "");
    if (!r.Has("evaluees")) r.Error("", "missing required key `evaluees` (a level name)");
    s.evaluee_level = -1;
    for (size_t i = 0; i < s.levels.size(); ++i)
      if (s.levels[i].name == evaluees) s.evaluee_level = static_cast<int>(i);
    if (r.Has("evaluees") && s.evaluee_level < 0 && !s.levels.empty()) {
      std::vector<std::string> names;
      for (const auto& l : s.levels) names.push_back(l.name);
      r.Error("evaluees", fmt::format("level \"{}\" does not exist; levels: {}", evaluees,
                                      fmt::join(names, ", ")));
    }
    if (s.evaluee_level >= 0 && counts_ok) {
      for (int i = 0; i <= s.evaluee_level; ++i) {
        if (s.levels[i].count.hi == 0) {
          r.Error("levels", fmt::format("empty organisation: level \"{}\" has count 0, so there "
                                        "are no evaluees",
                                        s.levels[i].name));
          break;
        }
      }
    }
    WithTable(r, "quality", file, errors, false, [&](OptionReader& q) {
      s.quality_sd = q.Double("sd", 1.0, AtLeast(0.0));
      s.quality_inherited = q.Double("inherited", 0.0, Probability());
    });
    ReadTypes(r, file, s, type_group_nodes, errors);
  });

  WithTable(top, "meetings", file, errors, false, [&](OptionReader& r) {
    by = r.String("by", "all");
    if (by == "all") return;
    s.meeting_level = -1;
    for (size_t i = 0; i < s.levels.size(); ++i)
      if (s.levels[i].name == by) s.meeting_level = static_cast<int>(i);
    if (s.meeting_level < 0 && s.levels.empty()) {
      // The levels are missing or malformed, which is reported already.
    } else if (s.meeting_level < 0) {
      std::vector<std::string> names{"all"};
      for (const auto& l : s.levels) names.push_back(l.name);
      r.Error("by", fmt::format("level \"{}\" does not exist; expected one of: {}", by,
                                fmt::join(names, ", ")));
    } else if (s.evaluee_level >= 0 && s.meeting_level > s.evaluee_level) {
      r.Error("by", fmt::format("meetings by \"{}\" lie below the evaluee level \"{}\"; a "
                                "meeting must be at or above the evaluees",
                                by, evaluees));
    }
  });

  std::set<std::string> groups;
  ForEachTable(top, "raters", file, errors, [&](OptionReader& r, size_t) {
    RaterGroupSpec g;
    g.group = r.String("group", "");
    if (g.group.empty()) r.Error("", "missing required key `group` (a non-empty string)");
    if (!g.group.empty() && !groups.insert(g.group).second)
      r.Error("group", fmt::format("group \"{}\" is defined twice", g.group));
    const bool has_count = r.Has("count"), has_per = r.Has("per_evaluee");
    const bool from = r.Bool("from_evaluees", false);
    if (has_count + has_per + from != 1) {
      r.Error("",
              "expected exactly one of `count` (raters per meeting), `per_evaluee` (raters "
              "per evaluee) or `from_evaluees = true`");
    }
    if (has_count) {
      g.kind = RaterKind::kPerMeeting;
      g.count = ToRange(r.IntOrRange("count", Between(0, 1e6)));
    } else if (has_per) {
      g.kind = RaterKind::kPerEvaluee;
      g.count = ToRange(r.IntOrRange("per_evaluee", Between(0, 1e6)));
    } else {
      g.kind = RaterKind::kFromEvaluees;
    }
    r.Raw("count");
    r.Raw("per_evaluee");
    g.coverage = r.Double("coverage", 1.0, Range{0.0, 1.0, true, false});
    g.weight = r.Double("weight", 1.0, AtLeast(0.0));
    g.noise = r.Double("noise", 0.5, AtLeast(0.0));
    WithTable(r, "leniency", file, errors, false, [&](OptionReader& l) {
      g.leniency_mean = l.Double("mean", 0.0);
      g.leniency_sd = l.Double("sd", 0.0, AtLeast(0.0));
    });
    g.abstain = r.Double("abstain", 0.0, Range{0.0, 1.0, false, true});
    s.raters.push_back(g);
  });
  if (s.raters.empty() && !top.Has("raters"))
    top.Error("", "missing required [[raters]]: at least one rater group");
  if (s.raters.size() > 200) top.Error("raters", "more than 200 rater groups");
  ResolveTypeGroups(file, s, type_group_nodes, errors);

  ForEachTable(top, "blocs", file, errors, [&](OptionReader& r, size_t) {
    BlocSpec b;
    for (const char* k : {"share", "size"})
      if (!r.Has(k)) r.Error("", fmt::format("missing required key `{}`", k));
    b.share = r.Double("share", 0.0, Probability());
    b.size = r.Double("size", 0.0, Probability());
    b.boost = r.Double("boost", 0.0, Between(-100, 100));
    b.penalty = r.Double("penalty", 0.0, Between(-100, 100));
    s.blocs.push_back(b);
  });

  WithTable(top, "metrics", file, errors, false, [&](OptionReader& r) {
    s.quota = r.Double("quota", 0.15, Range{0.0, 1.0, true, false});
    s.bottom = r.Double("bottom", 0.05, Range{0.0, 1.0, true, true});
  });

  ReadComparisons(top, s, errors);
  ReadIndicators(top, s, errors);

  // Models last: their options are checked against the scale and groups.
  std::set<std::string> names;
  const ModelContext ctx = ModelContextOf(s);
  const toml::node* models_node = top.Raw("models");
  const toml::array* models = models_node ? models_node->as_array() : nullptr;
  if (!models_node) {
    top.Error("", "missing required [[models]]: at least one model to compare");
  } else if (!models || !models->is_array_of_tables() || models->empty()) {
    top.Error("models", "expected a non-empty array of tables ([[models]])");
  } else {
    for (size_t i = 0; i < models->size(); ++i) {
      const toml::table& t = *models->get(i)->as_table();
      ModelEntry m;
      m.name = t["name"].value<std::string>().value_or("");
      m.path = m.name.empty() ? fmt::format("models[{}]", i) : fmt::format("models.{}", m.name);
      OptionReader r(t, file, m.path);
      m.name = r.String("name", "");
      if (m.name.empty()) r.Error("", "missing required key `name` (the label in outputs)");
      if (!m.name.empty() && !names.insert(m.name).second)
        r.Error("name", fmt::format("model name \"{}\" is used twice", m.name));
      // Start from the preset (if any), then the entry's own keys.
      toml::table merged;
      const RubricPreset* preset = nullptr;
      m.preset = r.String("preset", "");
      if (!m.preset.empty()) {
        const RubricPreset* p = preset = FindRubricPreset(m.preset);
        if (!p) {
          std::vector<std::string> known;
          for (const auto& q : RubricPresets()) known.push_back(q.name);
          r.Error("preset", fmt::format("unknown rubric preset \"{}\"; presets: {}", m.preset,
                                        fmt::join(known, ", ")));
        } else {
          merged = p->table;
        }
      }
      for (const auto& [k, v] : t) {
        if (k.str() == "name" || k.str() == "preset") continue;
        merged.insert_or_assign(k.str(), v);
      }
      if (auto mm = merged["model"].value<std::string>()) m.model = *mm;
      if (m.model.empty() && m.preset.empty())
        r.Error("", "missing required key `model` (or `preset`)");
      // A preset's classes merge key by key with the entry's own.
      const toml::node* own = t.get("classes");
      const toml::node* inherited = preset ? preset->table.get("classes") : nullptr;
      if (own && !own->is_table()) {
        r.ErrorAt(*own, "classes", fmt::format("found {}; expected a table", ATypeName(*own)));
      } else if (own || inherited) {
        const toml::table* base = inherited ? inherited->as_table() : nullptr;
        OptionReader cr(own ? *own->as_table() : *base, file, m.path + ".classes", {},
                        own ? base : nullptr);
        m.classes = ReadClassRules(cr, ctx.levels);
        for (auto& e : cr.Finish()) errors.push_back(std::move(e));
        if (own && base) {
          toml::table both = *base;
          for (const auto& [k, v] : *own->as_table()) both.insert_or_assign(k.str(), v);
          merged.insert_or_assign("classes", std::move(both));
        }
      }
      m.from = r.String("from", "", {"ratings", "comparisons"});
      r.Raw("model");
      r.Raw("classes");
      // Everything else is a model option; the entry reader accepts it here
      // and the registry checks it below.
      for (const auto& [k, v] : t) r.Raw(k.str());
      for (auto& e : r.Finish()) errors.push_back(std::move(e));
      m.options = merged;
      m.options.erase("model");
      m.options.erase("classes");
      m.options.erase("from");
      if (!m.model.empty() && ctx.levels >= 2) {
        try {
          // Checked on the entry itself (copies of TOML nodes lose their
          // source positions), with the preset's keys as the fallback.
          toml::table preset_options = preset ? preset->table : toml::table{};
          preset_options.erase("model");
          preset_options.erase("classes");
          Models().Create(m.model, t, ctx, file, m.path,
                          {"name", "model", "preset", "classes", "from"}, &preset_options);
        } catch (const InputError& e) {
          errors.push_back(e.what());
        }
      }
      CheckModelInput(r.file(), t, s, m, errors);
      s.models.push_back(std::move(m));
    }
  }

  ReadUncertainty(top, s, errors);
  ReadSweep(top, s, errors);

  std::vector<std::string> top_errors = top.Finish();
  top_errors.insert(top_errors.end(), errors.begin(), errors.end());
  ThrowIfErrors(top_errors);
}

}  // namespace

double LevelCount::LogSigma() const {
  return mean > 0 ? std::sqrt(std::log1p(sd * sd / (mean * mean))) : 0.0;
}

double LevelCount::LogMu() const {
  const double s = LogSigma();
  return mean > 0 ? std::log(mean) - 0.5 * s * s : 0.0;
}

double LevelCount::Expected() const {
  if (dist == Dist::kUniform || lo == hi) return 0.5 * static_cast<double>(lo + hi);
  const double s = LogSigma(), m = LogMu();
  // P(X < x) for the continuous lognormal X.
  auto cdf = [&](double x) {
    if (x <= 0) return 0.0;
    if (s <= 0) return std::log(x) > m ? 1.0 : 0.0;
    return NormalCdf((std::log(x) - m) / s);
  };
  const auto lo_d = static_cast<double>(lo), hi_d = static_cast<double>(hi);
  double e = lo_d * cdf(lo_d + 0.5);
  for (int64_t k = lo + 1; k < hi; ++k) {
    const double kd = static_cast<double>(k);
    const double upper = cdf(kd + 0.5);
    e += kd * (upper - cdf(kd - 0.5));
    if (kd > mean && 1.0 - upper < 1e-15) return e;  // the rest is negligible
  }
  return e + hi_d * (1.0 - cdf(hi_d - 0.5));
}

void ApplyOverrides(toml::table& root, const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) ApplyOverride(root, o);
}

Scenario ParseScenario(std::string_view text, const std::string& file,
                       const std::vector<std::string>& overrides) {
  Scenario s;
  s.file = file;
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    throw InputError(fmt::format(
        "{}{}",
        Location(file, static_cast<long>(src.begin.line), static_cast<long>(src.begin.column)),
        e.description()));
  }
  if (root.empty()) {
    // One line rather than one per missing key.
    throw InputError(Location(file) +
                     "empty scenario; expected at least name, seed, [scale], [organisation], "
                     "[[raters]] and [[models]] (see scenarios/README.md)");
  }
  ApplyOverrides(root, overrides);
  ReadScenario(root, s);
  s.resolved = root;
  return s;
}

ModelContext ModelContextOf(const Scenario& s) {
  ModelContext ctx;
  ctx.levels = static_cast<int>(s.labels.size());
  for (const auto& g : s.raters) ctx.group_names.push_back(g.group);
  for (const auto& i : s.indicators) ctx.indicator_names.push_back(i.name);
  return ctx;
}

Scenario LoadScenario(const std::string& path, const std::vector<std::string>& overrides) {
  return ParseScenario(ReadFile(path), path, overrides);
}

std::vector<std::string> SelectedModels(const Scenario& s, const std::vector<std::string>& filter) {
  std::vector<std::string> names;
  for (const auto& m : s.models) names.push_back(m.name);
  if (filter.empty()) return names;
  std::vector<std::string> wanted;
  for (const auto& f : filter) {
    size_t a = f.find_first_not_of(" \t"), b = f.find_last_not_of(" \t");
    const std::string name = a == std::string::npos ? "" : f.substr(a, b - a + 1);
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw InputError(fmt::format("--models {}: no [[models]] entry is named \"{}\"; entries: {}",
                                   fmt::join(filter, ","), name, fmt::join(names, ", ")));
    wanted.push_back(name);
  }
  std::vector<std::string> kept;
  for (const auto& n : names)
    if (std::find(wanted.begin(), wanted.end(), n) != wanted.end()) kept.push_back(n);
  return kept;
}

void KeepModels(Scenario& s, const std::vector<std::string>& names) {
  std::erase_if(s.models, [&](const ModelEntry& m) {
    return std::find(names.begin(), names.end(), m.name) == names.end();
  });
  if (!s.uncertainty.model.empty() &&
      std::find(names.begin(), names.end(), s.uncertainty.model) == names.end())
    s.uncertainty = UncertaintySpec{};
}

}  // namespace evalsim
