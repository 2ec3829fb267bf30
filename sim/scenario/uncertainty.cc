// Reads the optional [uncertainty] table (see sim/run/uncertainty.h and the
// [uncertainty] section of scenarios/README.md).
#include <algorithm>
#include <set>

#include "models/indicators/composite.h"
#include "sim/scenario/parts.h"

namespace evalsim {
namespace {

// Reads a non-empty list of distinct names from `allowed` under `key`.
std::vector<std::string> ReadNames(OptionReader& r, std::string_view key,
                                   const std::vector<std::string>& allowed) {
  std::vector<std::string> out;
  auto list = r.StringList(key);
  if (!list) return out;
  if (list->empty()) {
    r.Error(key, fmt::format("is empty; expected one or more of: {}", fmt::join(allowed, ", ")));
    return out;
  }
  std::set<std::string> seen;
  for (const auto& name : *list) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      r.Error(key, fmt::format("\"{}\" is not allowed; expected one of: {}", name,
                               fmt::join(allowed, ", ")));
    } else if (!seen.insert(name).second) {
      r.Error(key, fmt::format("\"{}\" is listed twice", name));
    } else {
      out.push_back(name);
    }
  }
  return out;
}

}  // namespace

void ReadUncertainty(OptionReader& top, Scenario& s, std::vector<std::string>& errors) {
  WithTable(top, "uncertainty", s.file, errors, false, [&](OptionReader& r) {
    UncertaintySpec& u = s.uncertainty;
    if (!r.Has("model"))
      r.Error("", "missing required key `model` (the [[models]] entry whose choices are varied)");
    u.model = r.String("model", "");
    const ModelEntry* entry = nullptr;
    for (const auto& m : s.models)
      if (m.name == u.model) entry = &m;
    std::optional<IndicatorMethod> method;
    if (!u.model.empty()) {
      if (!entry) {
        std::vector<std::string> names;
        for (const auto& m : s.models) names.push_back(m.name);
        r.Error("model", fmt::format("no [[models]] entry is named \"{}\"; entries: {}", u.model,
                                     fmt::join(names, ", ")));
      } else if (!(method = FindIndicatorMethod(entry->model))) {
        r.Error("model", fmt::format("entry \"{}\" uses model \"{}\"; expected a composite, "
                                     "topsis or grey_relational entry",
                                     u.model, entry->model));
      }
    }
    u.draws = static_cast<int>(r.Int("draws", 1000, Between(1, 1e7)));
    u.weight_concentration = r.Double("weight_concentration", 0.0, AtLeast(0.0));
    u.normalisations = ReadNames(r, "normalisations", NormalizationOptionNames());
    u.aggregations = ReadNames(r, "aggregations", {"arithmetic", "geometric"});
    if (!u.aggregations.empty() && method && *method != IndicatorMethod::kComposite)
      r.Error("aggregations",
              fmt::format("apply to composite entries only; \"{}\" is {}", u.model, entry->model));
    if (auto v = r.DoubleList("vote_weight", Probability())) {
      if (v->size() != 2) {
        r.Error(
            "vote_weight",
            fmt::format("has {} entries; expected [lo, hi] with 0 <= lo <= hi <= 1", v->size()));
      } else if ((*v)[0] > (*v)[1]) {
        r.Error("vote_weight",
                fmt::format("lo = {} is above hi = {}; expected [lo, hi] with lo <= hi", (*v)[0],
                            (*v)[1]));
      } else if (method &&
                 (*method != IndicatorMethod::kComposite || !entry->options.contains("vote"))) {
        r.Error("vote_weight",
                fmt::format("entry \"{}\" has no `vote` to weight (only a composite with a "
                            "`vote` table has one)",
                            u.model));
      } else {
        u.vote_weight = *v;
      }
    }
    u.random_index = ReadNames(r, "random_index", RandomIndexOptionNames());
  });
}

}  // namespace evalsim
