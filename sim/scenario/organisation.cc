// The [organisation] table (levels, evaluees, quality and
// [[organisation.types]]) and the [meetings] table of a scenario.
#include <cmath>
#include <optional>
#include <set>

#include "sim/core/errors.h"
#include "sim/scenario/parts.h"

namespace evalsim {
namespace {

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

// Reads `levels` into s.levels. Returns whether every level's count was
// read without error.
bool ReadLevels(OptionReader& r, Scenario& s, std::vector<std::string>& errors) {
  const std::string& file = s.file;
  bool counts_ok = true;  // every level's count read without error
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
  return counts_ok;
}

// The levels above the evaluees name the scopes of class rules and the unit
// columns of truth.csv, scores.csv and evaluees.csv: they may not be a scope
// keyword nor another column of those files.
void CheckUnitLevelNames(OptionReader& r, const Scenario& s) {
  static const std::set<std::string> kReserved = {
      "all",     "meeting",      "model", "ratee",    "replicate",  "score",
      "rank",    "true_quality", "class", "bloc",     "mean_score", "mean_rank",
      "rank_lo", "rank_hi",      "p_top", "p_bottom", "p_top_class"};
  for (int i = 0; i < s.evaluee_level; ++i)
    if (kReserved.count(s.levels[i].name))
      r.Error("levels", fmt::format("level \"{}\" above the evaluees names a unit column and a "
                                    "scope; pick another name (reserved: {})",
                                    s.levels[i].name, fmt::join(kReserved, ", ")));
}

// Reads `evaluees` (a level name) into s.evaluee_level and checks that no
// level down to the evaluees is empty. Returns the name.
std::string ReadEvalueeLevel(OptionReader& r, Scenario& s, bool counts_ok) {
  std::string evaluees = r.String("evaluees", "");
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
  CheckUnitLevelNames(r, s);
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
  return evaluees;
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

}  // namespace

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

void ReadOrganisation(OptionReader& top, Scenario& s, OrganisationNotes& notes,
                      std::vector<std::string>& errors) {
  const std::string& file = s.file;
  WithTable(top, "organisation", file, errors, true, [&](OptionReader& r) {
    const bool counts_ok = ReadLevels(r, s, errors);
    notes.evaluees = ReadEvalueeLevel(r, s, counts_ok);
    WithTable(r, "quality", file, errors, false, [&](OptionReader& q) {
      s.quality_sd = q.Double("sd", 1.0, AtLeast(0.0));
      s.quality_inherited = q.Double("inherited", 0.0, Probability());
    });
    ReadTypes(r, file, s, notes.type_group_nodes, errors);
  });
}

void ReadMeetings(OptionReader& top, Scenario& s, const std::string& evaluees,
                  std::vector<std::string>& errors) {
  WithTable(top, "meetings", s.file, errors, false, [&](OptionReader& r) {
    ReadMeetingRules(r, s.meeting_rules);
    const std::string by = r.String("by", "all");
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
}

}  // namespace evalsim
