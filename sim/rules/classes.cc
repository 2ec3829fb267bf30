// Reading a `classes` table (the assignment is in assign.cc).
#include "sim/rules/classes.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <string_view>

#include "sim/rules/reading.h"

namespace evalsim {
namespace {

using rules_internal::OptionalDouble;
using rules_internal::ReadLabel;
using rules_internal::ReadName;
using rules_internal::ReadTableArray;

void ReadBands(OptionReader& opts, std::vector<Band>* bands) {
  std::optional<double> previous;
  ReadTableArray(opts, "bands", "{ min = number, label = string }",
                 [&](OptionReader& r, size_t i, size_t count) {
                   Band b;
                   const bool has_min = r.Has("min");
                   b.min = OptionalDouble(r, "min", Any());
                   b.label = ReadLabel(r, "label", "", true);
                   if (!has_min && i + 1 < count)
                     r.Error("min", "is missing; only the last band may omit min");
                   if (b.min && previous && !(*b.min < *previous)) {
                     r.Error("min", fmt::format("{} is not below the previous band's min {}; "
                                                "band mins must strictly decrease",
                                                *b.min, *previous));
                   }
                   if (b.min) previous = b.min;
                   bands->push_back(std::move(b));
                 });
}

// A vote gate's grades (and optional group).
void ReadVoteGate(OptionReader& r, const ClassContext& ctx, Gate& g) {
  const int levels = ctx.levels;
  const bool has_grades = r.Has("grades");
  auto grades = r.IntList("grades", Between(0, levels - 1));
  if (!has_grades) {
    r.Error("grades", fmt::format("is missing; expected a non-empty array of grades in [0, {}] "
                                  "(or `indicator` for a gate on an indicator)",
                                  levels - 1));
  } else if (grades) {
    if (grades->empty())
      r.Error("grades",
              fmt::format("is empty; expected a non-empty array of grades in [0, {}]", levels - 1));
    g.grades = std::move(*grades);
  }
  g.group = ReadName(r, "group", ctx.groups, "rater group");
}

void ReadGates(OptionReader& opts, const ClassContext& ctx, std::vector<Gate>* gates) {
  const std::string shape =
      "{ grades = [integer] (, group = string) | indicator = string, above = number | below = "
      "number, label = string }";
  ReadTableArray(opts, "gates", shape, [&](OptionReader& r, size_t, size_t) {
    Gate g;
    const bool on_indicator = r.Has("indicator");
    if (on_indicator) {
      g.indicator = ReadName(r, "indicator", ctx.indicators, "indicator");
      for (const char* k : {"grades", "group"})
        if (r.Raw(k)) r.Error(k, "applies to a vote gate, not to a gate on an indicator");
    } else {
      ReadVoteGate(r, ctx, g);
    }
    // Vote gates compare shares, indicator gates the indicator's own values.
    const Range range = on_indicator ? Any() : Probability();
    const bool has_above = r.Has("above"), has_below = r.Has("below");
    g.above = OptionalDouble(r, "above", range);
    g.below = OptionalDouble(r, "below", range);
    if (has_above && has_below) r.Error("below", "a gate takes either above or below, not both");
    if (!has_above && !has_below)
      r.Error("", "has neither above nor below; expected exactly one of them");
    g.label = ReadLabel(r, "label", "", true);
    gates->push_back(std::move(g));
  });
}

void ReadSlots(OptionReader& opts, std::vector<Slot>* slots) {
  ReadTableArray(opts, "slots", "{ label = string, count = integer }",
                 [&](OptionReader& r, size_t, size_t) {
                   Slot s;
                   s.label = ReadLabel(r, "label", "", true);
                   if (!r.Has("count")) r.Error("count", "is missing; expected an integer >= 1");
                   s.count = r.Int("count", 1, Between(1, 1e9));
                   slots->push_back(std::move(s));
                 });
}

// within, ties and the quota shift: where and how the counts apply.
void ReadScope(OptionReader& opts, const ClassContext& ctx, ClassRules& rules) {
  std::vector<std::string> scopes{std::string(kScopeAll)};
  scopes.insert(scopes.end(), ctx.scopes.begin(), ctx.scopes.end());
  rules.within = opts.String("within", rules.within, scopes);
  rules.ties = opts.String("ties", "include", {"include", "break"}) == "break" ? TieRule::kBreak
                                                                               : TieRule::kInclude;
  rules.quota_shift = OptionalDouble(opts, "quota_shift", Range{0.0, 1.0, true, true});
  rules.shift_units = static_cast<int>(opts.Int("shift_units", 3, Between(1, 1e6)));
  if (opts.Has("quota_shift") && !rules.Scoped())
    opts.Error("quota_shift", "moves the quota of units; it needs `within` (a level)");
  if (opts.Has("quota_shift") && !opts.Has("top_quota"))
    opts.Error("quota_shift", "moves `top_quota`, which is not set");
  if (opts.Has("shift_units") && !opts.Has("quota_shift"))
    opts.Error("shift_units", "applies with `quota_shift`, which is not set");
}

void CheckCap(OptionReader& opts, const ClassRules& rules) {
  if (rules.top_cap && rules.top_quota && *rules.top_cap < *rules.top_quota)
    opts.Error("top_cap", fmt::format("{} is below top_quota {}; the cap bounds the norm from "
                                      "above",
                                      *rules.top_cap, *rules.top_quota));
}

// Every key of a classes table but `parent` and `cap`.
ClassRules ReadOwnRules(OptionReader& opts, const ClassContext& ctx) {
  ClassRules rules;
  ReadBands(opts, &rules.bands);
  ReadGates(opts, ctx, &rules.gates);
  ReadSlots(opts, &rules.slots);
  rules.top_quota = OptionalDouble(opts, "top_quota", Range{0.0, 1.0, true, false});
  rules.top_cap = OptionalDouble(opts, "top_cap", Range{0.0, 1.0, true, false});
  rules.bottom_share = OptionalDouble(opts, "bottom_share", Range{0.0, 1.0, true, true});
  ReadScope(opts, ctx, rules);
  CheckCap(opts, rules);
  rules.top_label = ReadLabel(opts, "top_label", rules.top_label, false);
  rules.bottom_label = ReadLabel(opts, "bottom_label", rules.bottom_label, false);
  rules.default_label = ReadLabel(opts, "default_label", rules.default_label, false);
  return rules;
}

// A sub-table `key` of `opts` read by read(child); nothing when absent.
template <class ReadTable>
void ReadSubTable(OptionReader& opts, std::string_view key, std::string_view shape,
                  ReadTable read) {
  const toml::node* node = opts.Raw(key);
  if (!node) return;
  if (!node->is_table()) {
    opts.ErrorAt(*node, key, fmt::format("found {}; expected a table {}", ATypeName(*node), shape));
    return;
  }
  OptionReader child(*node->as_table(), opts.file(), opts.KeyPath(key));
  read(child);
  opts.AddErrors(child.Finish());
}

// `parent`: the level, how its units' scores are made, and their classes
// (whose names are checked against a context without levels, rater groups
// or indicators: a unit has neither units of its own nor ballots).
void ReadParent(OptionReader& opts, const ClassContext& ctx, ClassRules& rules) {
  std::vector<std::string> levels = ctx.scopes;
  std::erase(levels, std::string(kScopeMeeting));
  ReadSubTable(opts, "parent", "{ level = string, score = \"mean\" | \"median\", ... }",
               [&](OptionReader& r) {
                 auto linked = std::make_shared<LinkedClasses>();
                 if (!r.Has("level"))
                   r.Error("level", "is missing; expected the name of a level above the evaluees");
                 linked->level = ReadName(r, "level", levels, "level above the evaluees");
                 linked->score = r.String("score", "mean", {"mean", "median"}) == "median"
                                     ? ParentScore::kMedian
                                     : ParentScore::kMean;
                 if (r.Has("gates"))
                   r.Error("gates", "applies to evaluees; a parent unit has no ballots");
                 linked->rules = ReadOwnRules(r, ClassContext{ctx.levels, {}, {}, {}});
                 if (linked->rules.Empty())
                   r.Error("", "gives no class; expected bands, top_quota, slots or bottom_share");
                 rules.parent = std::move(linked);
               });
}

// `cap`: { parent label = best evaluee label }, after `parent`.
void ReadCaps(OptionReader& opts, ClassRules& rules) {
  const LinkedClasses* linked = rules.parent.get();
  if (opts.Has("cap") && !opts.Has("parent"))
    opts.Error("cap", "caps the classes by a parent's class; it needs `parent`");
  if (!linked) {
    opts.Raw("cap");
    return;
  }
  const std::vector<std::string> parents = ClassLabels(linked->rules, {});
  const std::vector<std::string> ladder = LadderLabels(rules);
  std::vector<ClassCap> caps;
  ReadSubTable(opts, "cap", "{ \"parent label\" = \"best label of its evaluees\" }",
               [&](OptionReader& r) {
                 for (const auto& [k, v] : r.table()) {
                   const std::string key(k.str());
                   r.Raw(key);
                   if (std::find(parents.begin(), parents.end(), key) == parents.end()) {
                     r.ErrorAt(v, key,
                               fmt::format("\"{}\" is no class of the parent; expected one of: {}",
                                           key, fmt::join(parents, ", ")));
                     continue;
                   }
                   const std::string best = ReadName(r, key, ladder, "class of the evaluees");
                   if (!best.empty()) caps.push_back({key, best});
                 }
               });
  auto copy = std::make_shared<LinkedClasses>(*linked);
  copy->cap = std::move(caps);
  rules.parent = std::move(copy);
}

}  // namespace

std::string ClassRules::TopLabel() const {
  if (!slots.empty()) return slots[0].label;
  return bands.empty() ? top_label : bands[0].label;
}

bool ClassRules::IsBottomLabel(const std::string& label) const {
  if (bottom_share && label == bottom_label) return true;
  for (const Gate& g : gates)
    if (g.label == label) return true;
  return false;
}

ClassRules ReadClassRules(OptionReader& opts, const ClassContext& ctx) {
  ClassRules rules = ReadOwnRules(opts, ctx);
  ReadParent(opts, ctx, rules);
  ReadCaps(opts, rules);
  return rules;
}

const std::vector<int>* UnitColumns::Find(std::string_view name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return &unit[i];
  return nullptr;
}

}  // namespace evalsim
