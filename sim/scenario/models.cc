// The [[models]] tables of a scenario: each entry's name, preset, model,
// classes and `from`, and its options, checked by the model registry.
#include <set>

#include "models/registry.h"
#include "sim/core/errors.h"
#include "sim/scenario/parts.h"
#include "sim/scenario/presets.h"

namespace evalsim {
namespace {

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

// Reads the entry's `preset`: the preset's table goes into `merged`, where
// the entry's own keys then override it. Returns the preset (nullptr when
// none, or an unknown one, which is reported).
const RubricPreset* ReadPreset(OptionReader& r, ModelEntry& m, toml::table& merged) {
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
  return preset;
}

// Reads the entry's `classes`. A preset's classes merge key by key with the
// entry's own.
void ReadEntryClasses(OptionReader& r, const toml::table& t, const RubricPreset* preset,
                      const ClassContext& ctx, ModelEntry& m, toml::table& merged,
                      std::vector<std::string>& errors) {
  const toml::node* own = t.get("classes");
  const toml::node* inherited = preset ? preset->table.get("classes") : nullptr;
  if (own && !own->is_table()) {
    r.ErrorAt(*own, "classes", fmt::format("found {}; expected a table", ATypeName(*own)));
  } else if (own || inherited) {
    const toml::table* base = inherited ? inherited->as_table() : nullptr;
    OptionReader cr(own ? *own->as_table() : *base, r.file(), m.path + ".classes", {},
                    own ? base : nullptr);
    m.classes = ReadClassRules(cr, ctx);
    for (auto& e : cr.Finish()) errors.push_back(std::move(e));
    if (own && base) {
      toml::table both = *base;
      for (const auto& [k, v] : *own->as_table()) both.insert_or_assign(k.str(), v);
      merged.insert_or_assign("classes", std::move(both));
    }
  }
}

// Has the registry check the entry's options.
void CheckEntryOptions(const toml::table& t, const RubricPreset* preset, const ModelContext& ctx,
                       const std::string& file, const ModelEntry& m,
                       std::vector<std::string>& errors) {
  if (m.model.empty() || ctx.levels < 2) return;
  try {
    // Checked on the entry itself (copies of TOML nodes lose their
    // source positions), with the preset's keys as the fallback.
    toml::table preset_options = preset ? preset->table : toml::table{};
    preset_options.erase("model");
    preset_options.erase("classes");
    Models().Create(m.model, t, ctx, file, m.path, {"name", "model", "preset", "classes", "from"},
                    &preset_options);
  } catch (const InputError& e) {
    errors.push_back(e.what());
  }
}

// Reads entry i of [[models]] of `file`; `names` holds the names of the
// entries before it. `s` (when given) is the scenario the entry must find its
// input in.
ModelEntry ReadEntry(const toml::table& t, size_t i, std::set<std::string>& names,
                     const ModelContext& ctx, const std::string& file, const Scenario* s,
                     std::vector<std::string>& errors) {
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
  const RubricPreset* preset = ReadPreset(r, m, merged);
  for (const auto& [k, v] : t) {
    if (k.str() == "name" || k.str() == "preset") continue;
    merged.insert_or_assign(k.str(), v);
  }
  if (auto mm = merged["model"].value<std::string>()) m.model = *mm;
  if (m.model.empty() && m.preset.empty())
    r.Error("", "missing required key `model` (or `preset`)");
  // Outside a scenario (a ballot file) there are no units to scope by.
  const ClassContext classes =
      s ? ClassContextOf(*s) : ClassContext{ctx.levels, {}, ctx.group_names, ctx.indicator_names};
  ReadEntryClasses(r, t, preset, classes, m, merged, errors);
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
  CheckEntryOptions(t, preset, ctx, file, m, errors);
  if (s) CheckModelInput(r.file(), t, *s, m, errors);
  return m;
}

}  // namespace

void ReadModels(OptionReader& top, Scenario& s, std::vector<std::string>& errors) {
  std::set<std::string> names;
  const ModelContext ctx = ModelContextOf(s);
  const toml::node* models_node = top.Raw("models");
  const toml::array* models = models_node ? models_node->as_array() : nullptr;
  if (!models_node) {
    top.Error("", "missing required [[models]]: at least one model to compare");
  } else if (!models || !models->is_array_of_tables() || models->empty()) {
    top.Error("models", "expected a non-empty array of tables ([[models]])");
  } else {
    for (size_t i = 0; i < models->size(); ++i)
      s.models.push_back(ReadEntry(*models->get(i)->as_table(), i, names, ctx, s.file, &s, errors));
  }
}

ModelEntry ReadModelEntry(const toml::table& entry, const ModelContext& ctx,
                          const std::string& file) {
  std::set<std::string> names;
  std::vector<std::string> errors;
  ModelEntry m = ReadEntry(entry, 0, names, ctx, file, nullptr, errors);
  ThrowIfErrors(errors);
  return m;
}

}  // namespace evalsim
