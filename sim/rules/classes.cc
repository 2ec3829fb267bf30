#include "sim/rules/classes.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "models/common/tally.h"
#include "sim/core/check.h"
#include "sim/core/metrics.h"

namespace evalsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Calls read(child, index, count) for every element of the array of inline
// tables `key`, with `child` a reader on that element (path "<key>[i]"), and
// files the child's messages (unknown keys included) under `opts`.
template <class ReadElement>
void ReadTableArray(OptionReader& opts, std::string_view key, std::string_view shape,
                    ReadElement read) {
  const toml::node* node = opts.Raw(key);
  if (!node) return;
  const toml::array* arr = node->as_array();
  if (!arr) {
    opts.ErrorAt(*node, key,
                 fmt::format("found {}; expected an array of tables {}", ATypeName(*node), shape));
    return;
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& el = *arr->get(i);
    const std::string el_key = fmt::format("{}[{}]", key, i);
    const toml::table* table = el.as_table();
    if (!table) {
      opts.ErrorAt(el, el_key, fmt::format("found {}; expected a table {}", ATypeName(el), shape));
      continue;
    }
    OptionReader child(*table, opts.file(), opts.KeyPath(el_key));
    read(child, i, arr->size());
    opts.AddErrors(child.Finish());
  }
}

// A present, valid number; nullopt when absent or invalid (the reader has
// recorded why).
std::optional<double> OptionalDouble(OptionReader& r, std::string_view key, Range range) {
  // Read even when absent, so that the key is listed among the valid ones.
  // Valid values are finite, so NaN marks an absent or rejected value.
  const double v = r.Double(key, kNaN, range);
  if (std::isnan(v)) return std::nullopt;
  return v;
}

std::string Label(OptionReader& r, std::string_view key, std::string def, bool required) {
  const bool present = r.Has(key);
  std::string s = r.String(key, def);
  if (!present) {
    if (required) r.Error(key, "is missing; expected a non-empty string");
    return def;
  }
  if (!r.Raw(key)->is_string()) return def;  // the reader has reported the type
  if (s.empty()) {
    r.Error(key, "is empty; expected a non-empty string");
    return def;
  }
  return s;
}

void ReadBands(OptionReader& opts, std::vector<Band>* bands) {
  std::optional<double> previous;
  ReadTableArray(opts, "bands", "{ min = number, label = string }",
                 [&](OptionReader& r, size_t i, size_t count) {
                   Band b;
                   const bool has_min = r.Has("min");
                   b.min = OptionalDouble(r, "min", Any());
                   b.label = Label(r, "label", "", true);
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

void ReadGates(OptionReader& opts, int levels, std::vector<Gate>* gates) {
  const std::string shape =
      "{ grades = [integer], above = number | below = number, label = string }";
  ReadTableArray(opts, "gates", shape, [&](OptionReader& r, size_t, size_t) {
    Gate g;
    const bool has_grades = r.Has("grades");
    auto grades = r.IntList("grades", Between(0, levels - 1));
    if (!has_grades) {
      r.Error("grades", fmt::format("is missing; expected a non-empty array of grades in [0, {}]",
                                    levels - 1));
    } else if (grades) {
      if (grades->empty())
        r.Error("grades", fmt::format("is empty; expected a non-empty array of grades in [0, {}]",
                                      levels - 1));
      g.grades = std::move(*grades);
    }
    const bool has_above = r.Has("above"), has_below = r.Has("below");
    g.above = OptionalDouble(r, "above", Probability());
    g.below = OptionalDouble(r, "below", Probability());
    if (has_above && has_below) r.Error("below", "a gate takes either above or below, not both");
    if (!has_above && !has_below)
      r.Error("", "has neither above nor below; expected exactly one of them");
    g.label = Label(r, "label", "", true);
    gates->push_back(std::move(g));
  });
}

// Index of `label` in `labels`, appended when new.
int LabelIndex(std::vector<std::string>* labels, const std::string& label) {
  for (size_t i = 0; i < labels->size(); ++i)
    if ((*labels)[i] == label) return static_cast<int>(i);
  labels->push_back(label);
  return static_cast<int>(labels->size()) - 1;
}

}  // namespace

std::string ClassRules::TopLabel() const { return bands.empty() ? top_label : bands[0].label; }

bool ClassRules::IsBottomLabel(const std::string& label) const {
  if (bottom_share && label == bottom_label) return true;
  for (const Gate& g : gates)
    if (g.label == label) return true;
  return false;
}

ClassRules ReadClassRules(OptionReader& opts, int levels) {
  ClassRules rules;
  ReadBands(opts, &rules.bands);
  ReadGates(opts, levels, &rules.gates);
  rules.top_quota = OptionalDouble(opts, "top_quota", Range{0.0, 1.0, true, false});
  rules.bottom_share = OptionalDouble(opts, "bottom_share", Range{0.0, 1.0, true, true});
  rules.top_label = Label(opts, "top_label", rules.top_label, false);
  rules.bottom_label = Label(opts, "bottom_label", rules.bottom_label, false);
  rules.default_label = Label(opts, "default_label", rules.default_label, false);
  return rules;
}

namespace {

// Step 4 of AssignClasses: gates on the share of the evaluee's valid vote
// weight, pooled over rater groups. The first gate that matches decides:
// list the most severe gate first. An evaluee without a valid vote has no
// share and passes.
void ApplyGates(const ClassRules& rules, const RatingBallots& ballots,
                const std::vector<int>& gate_index, std::vector<int>& cls) {
  const int n = ballots.NumRatees();
  const Eigen::MatrixXd tally = TallyRatees(ballots);
  const int levels = ballots.levels;
  std::vector<std::vector<bool>> in_gate(rules.gates.size(), std::vector<bool>(levels, false));
  for (size_t q = 0; q < rules.gates.size(); ++q)
    for (int64_t g : rules.gates[q].grades)
      if (g >= 0 && g < levels) in_gate[q][g] = true;
  for (int e = 0; e < n; ++e) {
    const double total = tally.row(e).sum();
    if (!(total > 0.0)) continue;
    for (size_t q = 0; q < rules.gates.size(); ++q) {
      double count = 0.0;
      for (int g = 0; g < levels; ++g)
        if (in_gate[q][g]) count += tally(e, g);
      const double share = count / total;
      const Gate& gate = rules.gates[q];
      if ((gate.above && share > *gate.above) || (gate.below && share < *gate.below)) {
        cls[e] = gate_index[q];
        break;
      }
    }
  }
}

}  // namespace

std::vector<int> AssignClasses(const ClassRules& rules, const RatingBallots& ballots,
                               const Eigen::VectorXd& score, const std::vector<int>& rank,
                               std::vector<std::string>* labels) {
  const int n = ballots.NumRatees();
  EVALSIM_CHECK(score.size() == n && static_cast<int>(rank.size()) == n && labels != nullptr,
                "AssignClasses: {} ratees, {} scores, {} ranks", n, score.size(), rank.size());
  const int num_bands = static_cast<int>(rules.bands.size());

  // The label table lists what the rules can produce, in rule order.
  labels->clear();
  std::vector<int> band_index(num_bands);
  for (int b = 0; b < num_bands; ++b) band_index[b] = LabelIndex(labels, rules.bands[b].label);
  const bool default_reachable =
      num_bands == 0 || rules.bands.back().min.has_value() || (rules.top_quota && num_bands == 1);
  const int default_index = default_reachable ? LabelIndex(labels, rules.default_label) : -1;
  const int top_index =
      num_bands == 0 && rules.top_quota ? LabelIndex(labels, rules.top_label) : -1;
  const int bottom_index = rules.bottom_share ? LabelIndex(labels, rules.bottom_label) : -1;
  std::vector<int> gate_index;
  for (const Gate& g : rules.gates) gate_index.push_back(LabelIndex(labels, g.label));

  // 1. Bands: the first band whose min the score reaches (-1: none).
  std::vector<int> band(n, -1);
  for (int e = 0; e < n; ++e) {
    for (int b = 0; b < num_bands; ++b) {
      const auto& min = rules.bands[b].min;
      if (!min || score[e] >= *min) {
        band[e] = b;
        break;
      }
    }
  }
  std::vector<int> cls(n);
  for (int e = 0; e < n; ++e) cls[e] = band[e] >= 0 ? band_index[band[e]] : default_index;

  // 2. Top quota. Competition ranks make the tie rule: a tie group that
  // straddles the quota shares the smaller rank, so all of it stays in.
  if (rules.top_quota) {
    const int k = QuotaCount(*rules.top_quota, n);
    for (int e = 0; e < n; ++e) {
      const bool within = rank[e] <= k;
      if (num_bands == 0) {
        cls[e] = within ? top_index : default_index;
      } else if (band[e] == 0 && !within) {
        cls[e] = num_bands >= 2 ? band_index[1] : default_index;
      }
    }
  }

  // 3. Bottom tranche: ranks in the last m positions. With competition ranks
  // a tie group straddling the boundary has a rank above it and stays out,
  // so ties resolve in the evaluee's favour at both ends.
  if (rules.bottom_share) {
    const int m = QuotaCount(*rules.bottom_share, n);
    for (int e = 0; e < n; ++e)
      if (rank[e] > n - m) cls[e] = bottom_index;
  }

  // 4. Gates (ApplyGates).
  if (!rules.gates.empty()) ApplyGates(rules, ballots, gate_index, cls);
  return cls;
}

}  // namespace evalsim
