// Class assignment (the order of the steps is in classes.h).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "models/common/tally.h"
#include "sim/core/check.h"
#include "sim/core/metrics.h"
#include "sim/rules/classes.h"

namespace evalsim {
namespace {

// Index of `label` in `labels`, appended when new.
int LabelIndex(std::vector<std::string>* labels, const std::string& label) {
  for (size_t i = 0; i < labels->size(); ++i)
    if ((*labels)[i] == label) return static_cast<int>(i);
  labels->push_back(label);
  return static_cast<int>(labels->size()) - 1;
}

// The label index of every class the rules can give (-1: unreachable).
struct LabelTable {
  std::vector<int> slot, band, gate, veto;
  int default_index = -1, top_index = -1, bottom_index = -1;
};

// The labels in rule order: slots, bands, default, top, bottom, gates, vetoes.
LabelTable MakeLabels(const ClassRules& rules, std::span<const Veto> vetoes,
                      std::vector<std::string>* labels) {
  LabelTable t;
  labels->clear();
  const size_t num_bands = rules.bands.size();
  for (const Slot& s : rules.slots) t.slot.push_back(LabelIndex(labels, s.label));
  for (const Band& b : rules.bands) t.band.push_back(LabelIndex(labels, b.label));
  const bool default_reachable =
      num_bands == 0 || rules.bands.back().min.has_value() || (rules.LimitsTop() && num_bands == 1);
  if (default_reachable) t.default_index = LabelIndex(labels, rules.default_label);
  if (num_bands == 0 && rules.LimitsTop()) t.top_index = LabelIndex(labels, rules.top_label);
  if (rules.bottom_share) t.bottom_index = LabelIndex(labels, rules.bottom_label);
  for (const Gate& g : rules.gates) t.gate.push_back(LabelIndex(labels, g.label));
  for (const Veto& v : vetoes) t.veto.push_back(LabelIndex(labels, v.label));
  return t;
}

// Per evaluee, the first veto of the list that strikes it (-1: none).
std::vector<int> FirstVeto(std::span<const Veto> vetoes, const ClassInputs& in, int n) {
  std::vector<int> veto(n, -1);
  for (size_t v = vetoes.size(); v-- > 0;) {
    const std::vector<uint8_t> struck = VetoStrikes(vetoes[v], v, n, in.veto_draws, in.indicators);
    for (int e = 0; e < n; ++e)
      if (struck[e]) veto[e] = static_cast<int>(v);
  }
  return veto;
}

// Step 1: the first band whose min the score reaches (-1: none).
std::vector<int> Bands(const ClassRules& rules, const Eigen::VectorXd& score) {
  const int n = static_cast<int>(score.size());
  std::vector<int> band(n, -1);
  for (int e = 0; e < n; ++e) {
    for (size_t b = 0; b < rules.bands.size(); ++b) {
      const auto& min = rules.bands[b].min;
      if (!min || score[e] >= *min) {
        band[e] = static_cast<int>(b);
        break;
      }
    }
  }
  return band;
}

// The units of the scope: each unit's evaluees that no veto struck, in the
// model's order, and its size (every evaluee, struck ones included).
struct Scope {
  const std::vector<int>* unit = nullptr;  // per evaluee; null: one unit ("all")
  std::vector<std::vector<int>> ranked;
  std::vector<int> size;

  int Of(int e) const { return unit ? (*unit)[e] : 0; }
};

Scope MakeScope(const ClassRules& rules, const ClassInputs& in, const std::vector<int>& veto) {
  const std::vector<int>& rank = *in.rank;
  const int n = static_cast<int>(rank.size());
  Scope s;
  if (rules.Scoped()) s.unit = in.units->Find(rules.within);
  const int units = n == 0 ? 0 : s.unit ? *std::max_element(s.unit->begin(), s.unit->end()) + 1 : 1;
  s.ranked.resize(units);
  s.size.assign(units, 0);
  // The model's order by a counting sort on the ranks (1..n), evaluees in
  // index order within a rank.
  std::vector<int> start(n + 2, 0);
  for (int e = 0; e < n; ++e) {
    EVALSIM_CHECK(rank[e] >= 1 && rank[e] <= n, "AssignClasses: rank {} of {}", rank[e], n);
    ++start[rank[e] + 1];
    ++s.size[s.Of(e)];
  }
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<int> order(n);
  for (int e = 0; e < n; ++e) order[start[rank[e]]++] = e;
  for (int e : order)
    if (veto[e] < 0) s.ranked[s.Of(e)].push_back(e);
  return s;
}

// The number of places the first k of `ranked` take: k, or (kInclude) up to
// the end of the tie group that holds place k.
int Within(const std::vector<int>& ranked, const std::vector<int>& rank, int k, TieRule ties) {
  const int size = static_cast<int>(ranked.size());
  if (k <= 0) return 0;
  if (k >= size) return size;
  int p = k;
  if (ties == TieRule::kInclude)
    while (p < size && rank[ranked[p]] == rank[ranked[k - 1]]) ++p;
  return p;
}

// The top_quota share of every unit: moved by quota_shift for the units
// with the best and the worst mean scores (ties in unit order), and kept
// within [0, top_cap].
std::vector<double> QuotaShares(const ClassRules& rules, const Scope& s,
                                const Eigen::VectorXd& score) {
  const int units = static_cast<int>(s.size.size());
  std::vector<double> share(units, rules.top_quota.value_or(0.0));
  if (!rules.quota_shift) return share;
  std::vector<double> sum(units, 0.0), count(units, 0.0);
  for (int e = 0; e < static_cast<int>(score.size()); ++e) {
    if (!std::isfinite(score[e])) continue;
    sum[s.Of(e)] += score[e];
    count[s.Of(e)] += 1;
  }
  std::vector<int> ranked;
  for (int u = 0; u < units; ++u)
    if (count[u] > 0) ranked.push_back(u);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [&](int a, int b) { return sum[a] / count[a] > sum[b] / count[b]; });
  const int m = static_cast<int>(ranked.size());
  const int t = std::min(rules.shift_units, m);
  std::vector<double> delta(units, 0.0);
  for (int i = 0; i < t; ++i) {
    delta[ranked[i]] += *rules.quota_shift;
    delta[ranked[m - 1 - i]] -= *rules.quota_shift;
  }
  for (int u = 0; u < units; ++u)
    share[u] = std::clamp(share[u] + delta[u], 0.0, rules.top_cap.value_or(1.0));
  return share;
}

// Step 2 in one unit: the top class within the quota and the cap.
void ApplyTop(const ClassRules& rules, const LabelTable& t, const std::vector<int>& ranked,
              int size, double share, const std::vector<int>& rank, const std::vector<int>& band,
              std::vector<int>& cls) {
  int limit = static_cast<int>(ranked.size());
  if (rules.top_quota) limit = Within(ranked, rank, QuotaCount(share, size), rules.ties);
  if (rules.top_cap) limit = std::min(limit, QuotaCount(*rules.top_cap, size));
  const int num_bands = static_cast<int>(rules.bands.size());
  for (int p = 0; p < static_cast<int>(ranked.size()); ++p) {
    const int e = ranked[p];
    const bool kept = p < limit;
    if (num_bands == 0)
      cls[e] = kept ? t.top_index : t.default_index;
    else if (band[e] == 0 && !kept)
      cls[e] = num_bands >= 2 ? t.band[1] : t.default_index;
  }
}

// Step 3 in one unit: the slots, in list order down the ranking.
void ApplySlots(const ClassRules& rules, const LabelTable& t, const std::vector<int>& ranked,
                const std::vector<int>& rank, std::vector<int>& cls) {
  int64_t filled = 0;
  int from = 0;
  for (size_t i = 0; i < rules.slots.size(); ++i) {
    filled += rules.slots[i].count;
    const int to = Within(ranked, rank, static_cast<int>(std::min<int64_t>(filled, ranked.size())),
                          rules.ties);
    for (int p = from; p < to; ++p) cls[ranked[p]] = t.slot[i];
    from = std::max(from, to);
  }
}

// Step 4 in one unit: the last m places get the bottom label. With
// kInclude a tie group that straddles the boundary stays out, so ties
// resolve in the evaluee's favour at both ends.
void ApplyBottom(const ClassRules& rules, const LabelTable& t, const std::vector<int>& ranked,
                 int size, const std::vector<int>& rank, std::vector<int>& cls) {
  const int m = QuotaCount(*rules.bottom_share, size);
  const int first = Within(ranked, rank, static_cast<int>(ranked.size()) - m, rules.ties);
  for (int p = first; p < static_cast<int>(ranked.size()); ++p) cls[ranked[p]] = t.bottom_index;
}

// The value gate g compares per evaluee: the share of valid vote weight in
// its grades (pooled or of its group; NaN without a valid vote), or the
// indicator value (NaN when missing). NaN passes every gate.
Eigen::VectorXd GateValues(const Gate& g, const ClassInputs& in, const Eigen::MatrixXd& pooled,
                           const Eigen::MatrixXd& by_slot) {
  const int n = static_cast<int>(in.score->size());
  Eigen::VectorXd value(n);
  if (!g.indicator.empty()) {
    const int col = IndicatorColumn(*in.indicators, g.indicator);
    for (int e = 0; e < n; ++e) value[e] = in.indicators->values(e, col);
    return value;
  }
  const RatingBallots& b = *in.ballots;
  const int levels = b.levels;
  int group = -1;
  for (int q = 0; q < b.NumGroups(); ++q)
    if (b.group_names[q] == g.group) group = q;
  std::vector<bool> in_gate(levels, false);
  for (int64_t k : g.grades)
    if (k >= 0 && k < levels) in_gate[k] = true;
  for (int e = 0; e < n; ++e) {
    const auto row = group < 0 ? pooled.row(e) : by_slot.row(b.Slot(e, group));
    const double total = row.sum();
    double count = 0.0;
    for (int k = 0; k < levels; ++k)
      if (in_gate[k]) count += row[k];
    value[e] = total > 0.0 ? count / total : std::numeric_limits<double>::quiet_NaN();
  }
  return value;
}

// Step 5: gates, the first that matches deciding.
void ApplyGates(const ClassRules& rules, const LabelTable& t, const ClassInputs& in,
                std::vector<int>& cls) {
  bool pooled = false, grouped = false;
  for (const Gate& g : rules.gates) {
    pooled = pooled || (g.indicator.empty() && g.group.empty());
    grouped = grouped || !g.group.empty();
  }
  const Eigen::MatrixXd tally =
      pooled ? TallyRatees(*in.ballots, in.slot_counts) : Eigen::MatrixXd();
  const Eigen::MatrixXd slots =
      grouped ? TallySlots(*in.ballots, in.slot_counts) : Eigen::MatrixXd();
  const int n = static_cast<int>(cls.size());
  std::vector<bool> decided(n, false);
  for (size_t q = 0; q < rules.gates.size(); ++q) {
    const Gate& gate = rules.gates[q];
    const Eigen::VectorXd value = GateValues(gate, in, tally, slots);
    for (int e = 0; e < n; ++e) {
      if (decided[e]) continue;
      if ((gate.above && value[e] > *gate.above) || (gate.below && value[e] < *gate.below)) {
        cls[e] = t.gate[q];
        decided[e] = true;
      }
    }
  }
}

// Step 6, the parent level: the units' scores, the mean or median of
// their evaluees' finite scores (NaN for a unit without one).
std::vector<double> ParentScores(const LinkedClasses& linked, const std::vector<int>& unit,
                                 const Eigen::VectorXd& score) {
  const int units = unit.empty() ? 0 : *std::max_element(unit.begin(), unit.end()) + 1;
  std::vector<std::vector<double>> values(units);
  for (size_t e = 0; e < unit.size(); ++e)
    if (std::isfinite(score[e])) values[unit[e]].push_back(score[e]);
  std::vector<double> out(units, std::numeric_limits<double>::quiet_NaN());
  for (int u = 0; u < units; ++u) {
    std::vector<double>& v = values[u];
    if (v.empty()) continue;
    if (linked.score == ParentScore::kMean) {
      out[u] = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    } else {
      std::sort(v.begin(), v.end());
      const size_t h = v.size() / 2;
      out[u] = v.size() % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
    }
  }
  return out;
}

// Step 6: the units' classes by the parent's rules, then the cap on the
// evaluees that no veto struck.
void ApplyParent(const ClassRules& rules, const ClassInputs& in, ClassOutcome& out) {
  const LinkedClasses& linked = *rules.parent;
  const std::vector<int>& unit = *in.units->Find(linked.level);
  out.parent_score = ParentScores(linked, unit, *in.score);
  const Eigen::VectorXd score = Eigen::Map<const Eigen::VectorXd>(
      out.parent_score.data(), static_cast<Eigen::Index>(out.parent_score.size()));
  const std::vector<int> rank = CompetitionRanks(score, Eigen::VectorXd());
  ClassInputs parent_in;
  parent_in.score = &score;
  parent_in.rank = &rank;
  ClassOutcome parent = AssignClasses(linked.rules, {}, parent_in);
  out.parent_cls = std::move(parent.cls);
  out.parent_labels = std::move(parent.labels);
  // Per label of the evaluees, its place on the ladder (-1: off it); per
  // label of the units, the best place its cap allows (-1: no cap).
  const std::vector<std::string> ladder = LadderLabels(rules);
  const auto place = [&](const std::string& label) {
    const auto it = std::find(ladder.begin(), ladder.end(), label);
    return it == ladder.end() ? -1 : static_cast<int>(it - ladder.begin());
  };
  std::vector<int> rung(out.labels.size());
  for (size_t l = 0; l < out.labels.size(); ++l) rung[l] = place(out.labels[l]);
  std::vector<int> best(out.parent_labels.size(), -1);
  for (const ClassCap& c : linked.cap)
    for (size_t l = 0; l < out.parent_labels.size(); ++l)
      if (out.parent_labels[l] == c.parent_label) best[l] = place(c.best_label);
  const int n = static_cast<int>(out.cls.size());
  out.capped.assign(n, 0);
  for (int e = 0; e < n; ++e) {
    const int allowed = best[out.parent_cls[unit[e]]];
    if (out.veto[e] >= 0 || allowed < 0 || rung[out.cls[e]] < 0 || rung[out.cls[e]] >= allowed)
      continue;
    out.cls[e] = static_cast<int>(std::find(out.labels.begin(), out.labels.end(), ladder[allowed]) -
                                  out.labels.begin());
    out.capped[e] = 1;
  }
}

void CheckSizes(const ClassInputs& in, int n) {
  EVALSIM_CHECK(in.score && in.rank && static_cast<int>(in.rank->size()) == n,
                "AssignClasses: {} scores and {} ranks", n, in.rank ? in.rank->size() : 0);
  EVALSIM_CHECK(!in.ballots || in.ballots->NumRatees() == n, "AssignClasses: {} ballot ratees",
                in.ballots->NumRatees());
  EVALSIM_CHECK(!in.indicators || in.indicators->NumRatees() == n,
                "AssignClasses: {} indicator rows", in.indicators->NumRatees());
  if (in.units)
    for (const auto& col : in.units->unit)
      EVALSIM_CHECK(static_cast<int>(col.size()) == n, "AssignClasses: unit column of {}",
                    col.size());
}

}  // namespace

std::vector<std::string> MissingClassInputs(const ClassRules& rules, std::span<const Veto> vetoes,
                                            const ClassInputs& in) {
  std::vector<std::string> missing;
  const auto has_indicator = [&](const std::string& name) {
    return in.indicators && IndicatorColumn(*in.indicators, name) >= 0;
  };
  if (rules.Scoped() && !(in.units && in.units->Find(rules.within)))
    missing.push_back(fmt::format("within = \"{}\": no such unit column", rules.within));
  if (rules.parent && !(in.units && in.units->Find(rules.parent->level)))
    missing.push_back(
        fmt::format("parent level = \"{}\": no such unit column", rules.parent->level));
  for (const Gate& g : rules.gates) {
    if (!g.indicator.empty()) {
      if (!has_indicator(g.indicator))
        missing.push_back(fmt::format("gate {}: no indicator \"{}\"", g.label, g.indicator));
    } else if (!in.ballots) {
      missing.push_back(fmt::format("gate {}: no ballots", g.label));
    } else if (!g.group.empty() &&
               std::find(in.ballots->group_names.begin(), in.ballots->group_names.end(), g.group) ==
                   in.ballots->group_names.end()) {
      missing.push_back(fmt::format("gate {}: no rater group \"{}\"", g.label, g.group));
    }
  }
  for (size_t v = 0; v < vetoes.size(); ++v) {
    if (vetoes[v].IsEvent() && !(in.veto_draws && v < in.veto_draws->size()))
      missing.push_back(fmt::format("veto {}: no event draws", vetoes[v].name));
    if (!vetoes[v].IsEvent() && !has_indicator(vetoes[v].indicator))
      missing.push_back(
          fmt::format("veto {}: no indicator \"{}\"", vetoes[v].name, vetoes[v].indicator));
  }
  return missing;
}

std::vector<std::string> LadderLabels(const ClassRules& rules) {
  std::vector<std::string> labels;
  for (const Slot& s : rules.slots) LabelIndex(&labels, s.label);
  if (rules.bands.empty() && rules.LimitsTop()) LabelIndex(&labels, rules.top_label);
  for (const Band& b : rules.bands) LabelIndex(&labels, b.label);
  LabelIndex(&labels, rules.default_label);
  if (rules.bottom_share) LabelIndex(&labels, rules.bottom_label);
  // Only the labels the rules can give (the default may be unreachable).
  const std::vector<std::string> given = ClassLabels(rules, {});
  std::erase_if(labels, [&](const std::string& l) {
    return std::find(given.begin(), given.end(), l) == given.end();
  });
  return labels;
}

std::vector<std::string> ClassLabels(const ClassRules& rules, std::span<const Veto> vetoes) {
  std::vector<std::string> labels;
  MakeLabels(rules, vetoes, &labels);
  return labels;
}

ClassOutcome AssignClasses(const ClassRules& rules, std::span<const Veto> vetoes,
                           const ClassInputs& in) {
  const int n = in.score ? static_cast<int>(in.score->size()) : 0;
  CheckSizes(in, n);
  const std::vector<std::string> missing = MissingClassInputs(rules, vetoes, in);
  EVALSIM_CHECK(missing.empty(), "AssignClasses: {}", fmt::join(missing, "; "));
  ClassOutcome out;
  const LabelTable t = MakeLabels(rules, vetoes, &out.labels);
  out.veto = FirstVeto(vetoes, in, n);
  const std::vector<int> band = Bands(rules, *in.score);
  out.cls.resize(n);
  for (int e = 0; e < n; ++e) out.cls[e] = band[e] >= 0 ? t.band[band[e]] : t.default_index;

  const Scope scope = MakeScope(rules, in, out.veto);
  const std::vector<double> share = QuotaShares(rules, scope, *in.score);
  const std::vector<int>& rank = *in.rank;
  for (size_t u = 0; u < scope.ranked.size(); ++u) {
    const std::vector<int>& ranked = scope.ranked[u];
    if (rules.LimitsTop()) ApplyTop(rules, t, ranked, scope.size[u], share[u], rank, band, out.cls);
    if (!rules.slots.empty()) ApplySlots(rules, t, ranked, rank, out.cls);
    if (rules.bottom_share) ApplyBottom(rules, t, ranked, scope.size[u], rank, out.cls);
  }
  if (!rules.gates.empty()) ApplyGates(rules, t, in, out.cls);
  for (int e = 0; e < n; ++e)
    if (out.veto[e] >= 0) out.cls[e] = t.veto[out.veto[e]];
  if (rules.parent) ApplyParent(rules, in, out);
  return out;
}

}  // namespace evalsim
