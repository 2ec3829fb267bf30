// Reads the optional [periods] table and the [[actions]] tables (see
// sim/experiments/periods.h and the [periods] section of scenarios/README.md).
#include <algorithm>
#include <set>

#include "sim/scenario/parts.h"

namespace evalsim {
namespace {

// The most periods a run may have: period t of replicate r draws its ballots
// as replicate r + (t - 1) * 2^20 would (sim/experiments/periods.h), which
// must stay an int.
constexpr int64_t kMaxPeriods = 1000;
// Labels are kept as bits of one 64-bit word per evaluee and period.
constexpr size_t kMaxLabels = 64;

void ReadPeriodsTable(OptionReader& top, Scenario& s, std::vector<std::string>& errors) {
  WithTable(top, "periods", s.file, errors, false, [&](OptionReader& r) {
    PeriodsSpec& p = s.periods;
    if (!r.Has("count")) r.Error("", "missing required key `count` (the number of periods)");
    p.count = static_cast<int>(r.Int("count", 1, Between(1, kMaxPeriods)));
    p.persistence = r.Double("persistence", 1.0, Between(-1.0, 1.0));
    p.innovation = r.Double("innovation", 0.0, AtLeast(0.0));
    p.turnover = r.Double("turnover", 0.0, Probability());
    p.rater_redraw = r.Double("rater_redraw", 0.0, Probability());
  });
}

const std::vector<std::string> kEffects = {"replace", "improve", "label"};

ActionSpec ReadAction(OptionReader& r) {
  ActionSpec a;
  for (const char* k : {"name", "when", "effect"})
    if (!r.Has(k)) r.Error("", fmt::format("missing required key `{}`", k));
  a.name = r.String("name", "");
  a.when = r.String("when", "");
  a.times = static_cast<int>(r.Int("times", 1, Between(1, kMaxPeriods)));
  a.window = static_cast<int>(r.Int("window", a.times, Between(1, kMaxPeriods)));
  if (a.times > a.window)
    r.Error("times", fmt::format("is {}, more than window = {}; expected times <= window", a.times,
                                 a.window));
  const std::string effect = r.String("effect", "replace", kEffects);
  a.effect = effect == "improve" ? ActionEffect::kImprove
             : effect == "label" ? ActionEffect::kLabel
                                 : ActionEffect::kReplace;
  if (a.effect == ActionEffect::kImprove && !r.Has("shift"))
    r.Error("", "missing required key `shift` (effect = \"improve\")");
  if (a.effect != ActionEffect::kImprove && r.Has("shift"))
    r.Error("shift", "is only for effect = \"improve\"");
  a.shift = r.Double("shift", 0.0, Between(-100, 100));
  if (a.effect == ActionEffect::kLabel && !r.Has("label"))
    r.Error("", "missing required key `label` (effect = \"label\": the escalation label)");
  if (a.effect != ActionEffect::kLabel && r.Has("label"))
    r.Error("label", "is only for effect = \"label\"");
  a.label = r.String("label", "");
  a.cost = r.Double("cost", 0.0, AtLeast(0.0));
  return a;
}

// Every label an action may count: the labels of every model's classes and
// the escalation labels.
std::set<std::string> KnownLabels(const Scenario& s) {
  std::set<std::string> labels;
  for (const ModelEntry& m : s.models)
    if (!m.classes.Empty())
      for (const std::string& l : ClassLabels(m.classes, s.vetoes)) labels.insert(l);
  for (const ActionSpec& a : s.actions)
    if (a.effect == ActionEffect::kLabel) labels.insert(a.label);
  return labels;
}

}  // namespace

void ReadPeriods(OptionReader& top, Scenario& s, std::vector<std::string>& errors) {
  ReadPeriodsTable(top, s, errors);
  std::set<std::string> names;
  std::vector<std::string> whens;
  ForEachTable(top, "actions", s.file, errors, [&](OptionReader& r, size_t) {
    ActionSpec a = ReadAction(r);
    if (!a.name.empty() && !names.insert(a.name).second)
      r.Error("name", fmt::format("action \"{}\" is defined twice", a.name));
    s.actions.push_back(std::move(a));
  });
  if (!s.actions.empty() && !s.periods.Active())
    top.Error("actions", "needs a [periods] table (actions act between periods)");
  const std::set<std::string> known = KnownLabels(s);
  if (known.size() > kMaxLabels)
    top.Error("actions", fmt::format("the models' classes and the actions' labels have {} "
                                     "labels; at most {} are supported",
                                     known.size(), kMaxLabels));
  const toml::array* arr = top.table()["actions"].as_array();
  for (size_t i = 0; i < s.actions.size() && arr; ++i) {
    const ActionSpec& a = s.actions[i];
    if (a.when.empty() || known.count(a.when)) continue;
    const toml::table* t = arr->get(i)->as_table();
    const toml::node* when = t ? t->get("when") : nullptr;
    const std::string msg = fmt::format(
        "\"{}\" is a label no model's classes and no action give; known labels: {}", a.when,
        known.empty() ? std::string("none (no [[models]] entry has classes)")
                      : fmt::format("{}", fmt::join(known, ", ")));
    if (when)
      top.ErrorAt(*when, fmt::format("actions.{}.when", a.name), msg);
    else
      top.Error("actions", msg);
  }
}

}  // namespace evalsim
