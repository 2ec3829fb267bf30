#include "sim/run/tally.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <span>
#include <string_view>

#include "sim/core/errors.h"
#include "sim/core/metrics.h"
#include "sim/io/csv.h"

namespace evalsim {

const ModelEntry& FindModelEntry(const Scenario& s, const std::string& name) {
  std::vector<std::string> names;
  for (const ModelEntry& e : s.models) {
    if (e.name == name) return e;
    names.push_back(e.name);
  }
  throw InputError(fmt::format("--model {}: {} has no [[models]] entry named \"{}\"; entries: {}",
                               name, s.file, name, fmt::join(names, ", ")));
}

ModelEntry PresetEntry(const std::string& preset, toml::table entry, const ModelContext& ctx,
                       const std::string& where) {
  entry.insert_or_assign("name", preset);
  entry.insert_or_assign("preset", preset);
  return ReadModelEntry(entry, ctx, where);
}

namespace {

// The first line of `file` whose `column` cell is `value` (0 when none).
long FirstLineWith(const std::string& file, const std::string& column, std::string_view value) {
  long found = 0;
  ReadCsvColumns(file, {column}, [&](long line, const std::vector<std::string_view>& f) {
    if (found == 0 && f[0] == value) found = line;
  });
  return found;
}

}  // namespace

void UseScenarioGroups(const Scenario& s, const std::string& file, RatingBallots& b) {
  std::vector<std::string> groups;
  for (const RaterGroupSpec& g : s.raters) groups.push_back(g.group);
  const bool has_column = !(b.NumGroups() == 1 && b.group_names[0] == "all");
  if (!has_column && groups.size() > 1) {
    throw InputError(fmt::format(
        "{}: the file has no `group` column, but the scenario's raters are in {} groups ({}), "
        "which its rules weight; add a column `group` naming each rater's group",
        file, groups.size(), fmt::join(groups, ", ")));
  }
  // The scenario's index of each of the file's groups.
  std::vector<int> to(b.NumGroups());
  for (int g = 0; g < b.NumGroups(); ++g) {
    const auto it = std::find(groups.begin(), groups.end(), b.group_names[g]);
    if (has_column && it == groups.end()) {
      throw InputError(fmt::format(
          "{}{}column 'group': \"{}\" is not a rater group of {}; expected one of: {}", file,
          [&] {
            const long line = FirstLineWith(file, "group", b.group_names[g]);
            return line > 0 ? fmt::format(":{}: ", line) : std::string(": ");
          }(),
          b.group_names[g], s.file, fmt::join(groups, ", ")));
    }
    to[g] = has_column ? static_cast<int>(it - groups.begin()) : 0;
  }
  // Rebuild the slots (ratee * G + group) in the scenario's group order,
  // keeping the file order within each slot.
  const int n = b.NumRatees(), G_old = b.NumGroups(), G = static_cast<int>(groups.size());
  std::vector<uint64_t> begin(static_cast<size_t>(n) * G + 1, 0);
  for (int e = 0; e < n; ++e)
    for (int g = 0; g < G_old; ++g)
      begin[static_cast<size_t>(e) * G + to[g] + 1] +=
          b.slot_begin[b.Slot(e, g) + 1] - b.slot_begin[b.Slot(e, g)];
  for (size_t i = 1; i < begin.size(); ++i) begin[i] += begin[i - 1];
  std::vector<uint32_t> ballot(b.ballot.size());
  std::vector<float> weight(b.weight.size());
  for (int e = 0; e < n; ++e) {
    for (int g = 0; g < G_old; ++g) {
      uint64_t at = begin[static_cast<size_t>(e) * G + to[g]];
      for (uint64_t i = b.slot_begin[b.Slot(e, g)]; i < b.slot_begin[b.Slot(e, g) + 1]; ++i, ++at) {
        ballot[at] = b.ballot[i];
        if (!weight.empty()) weight[at] = b.weight[i];
      }
    }
  }
  for (uint8_t& g : b.rater_group) g = static_cast<uint8_t>(to[g]);
  b.group_names = groups;
  b.group_weights.clear();
  for (const RaterGroupSpec& g : s.raters) b.group_weights.push_back(g.weight);
  b.slot_begin = std::move(begin);
  b.ballot = std::move(ballot);
  b.weight = std::move(weight);
  b.CheckInvariants();
}

void CheckGradesUsed(const RatingBallots& b, const std::string& file, bool on_disk) {
  std::vector<bool> used(b.levels, false);
  for (uint32_t w : b.ballot)
    if (IsGrade(BallotGrade(w))) used[BallotGrade(w)] = true;
  const auto lowest = std::find(used.begin(), used.end(), true) - used.begin();
  const int highest = b.levels - 1;
  std::vector<int> missing;
  for (int g = static_cast<int>(lowest); g < highest; ++g)
    if (!used[g]) missing.push_back(g);
  if (missing.empty()) return;
  const long line = on_disk ? FirstLineWith(file, "grade", std::to_string(highest)) : 0;
  throw InputError(fmt::format(
      "{}{}column 'grade': found {}, the highest grade of the file, but grade{} {} never "
      "occur{}, so the file does not say how many grades the scale has (grades count from 0, "
      "the lowest, to K-1, the highest); if the scale has {} grades, set levels={} (--set "
      "levels={}), else correct this row",
      file, line > 0 ? fmt::format(":{}: ", line) : std::string(": "), highest,
      missing.size() == 1 ? "" : "s", fmt::join(missing, ", "), missing.size() == 1 ? "s" : "",
      b.levels, b.levels, b.levels));
}

std::vector<std::string> TallyClasses::PerRatee() const {
  std::vector<std::string> out;
  for (int i : index) out.push_back(labels[i]);
  return out;
}

namespace {

// The columns a units file may have besides `ratee`.
std::vector<std::string> UnitFileColumns(const Scenario& s) {
  std::vector<std::string> names = ClassContextOf(s).scopes;
  names.emplace_back("vetoes");
  return names;
}

// One `vetoes` cell: the indices into `events` of the vetoes it names.
std::vector<size_t> VetoesOf(std::string_view cell, const std::vector<Veto>& events,
                             const std::string& where) {
  std::vector<size_t> out;
  while (!cell.empty()) {
    const size_t end = std::min(cell.find(';'), cell.size());
    const std::string_view name = cell.substr(0, end);
    cell.remove_prefix(std::min(end + 1, cell.size()));
    if (name.empty()) continue;
    const auto it =
        std::find_if(events.begin(), events.end(), [&](const Veto& v) { return v.name == name; });
    if (it == events.end()) {
      std::vector<std::string> names;
      for (const Veto& v : events) names.push_back(v.name);
      throw InputError(fmt::format(
          "{}column 'vetoes': \"{}\" is not an event veto of the scenario; expected names "
          "separated by \";\" of: {}",
          where, name,
          names.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(names, ", "))));
    }
    out.push_back(static_cast<size_t>(it - events.begin()));
  }
  return out;
}

}  // namespace

TallyUnits ReadTallyUnits(const std::string& file, const Scenario& s,
                          const std::vector<std::string>& ratee_names) {
  TallyUnits t;
  for (const Veto& v : s.vetoes)
    if (v.IsEvent()) t.vetoes.push_back(v);
  const std::vector<std::string> allowed = UnitFileColumns(s);
  std::vector<int> column_of;  // per file column: -1 ratee, else index into allowed
  std::vector<std::map<std::string, int, std::less<>>> ids;
  const size_t n = ratee_names.size();
  std::map<std::string_view, size_t> ratee_index;
  for (size_t e = 0; e < n; ++e) ratee_index.emplace(ratee_names[e], e);
  std::vector<long> seen(n, 0);
  const auto on_header = [&](long line, std::span<const std::string_view> f) {
    for (size_t i = 0; i < f.size(); ++i) {
      const std::string name(f[i]);
      if (std::find(f.begin(), f.begin() + static_cast<long>(i), name) !=
          f.begin() + static_cast<long>(i))
        throw InputError(fmt::format("{}:{}: column '{}' appears twice", file, line, name));
      const auto it = std::find(allowed.begin(), allowed.end(), name);
      if (name != "ratee" && it == allowed.end())
        throw InputError(fmt::format("{}:{}: column '{}': expected ratee, then any of: {}", file,
                                     line, name, fmt::join(allowed, ", ")));
      column_of.push_back(name == "ratee" ? -1 : static_cast<int>(it - allowed.begin()));
      if (name != "ratee" && name != "vetoes") {
        t.units.names.push_back(name);
        t.units.unit.emplace_back(n, -1);
        ids.emplace_back();
      }
    }
    if (std::find(column_of.begin(), column_of.end(), -1) == column_of.end())
      throw InputError(fmt::format("{}:{}: expected a column 'ratee'", file, line));
    t.has_vetoes = std::find(f.begin(), f.end(), "vetoes") != f.end();
    if (t.has_vetoes) t.draws.assign(t.vetoes.size(), std::vector<uint8_t>(n, 0));
  };
  ReadCsvTable(file, on_header, [&](long line, std::span<const std::string_view> f) {
    const std::string where = fmt::format("{}:{}: ", file, line);
    const size_t r =
        static_cast<size_t>(std::find(column_of.begin(), column_of.end(), -1) - column_of.begin());
    const auto e = ratee_index.find(f[r]);
    if (e == ratee_index.end())
      throw InputError(
          fmt::format("{}column 'ratee': \"{}\" has no ballot in the tally", where, f[r]));
    if (seen[e->second])
      throw InputError(fmt::format("{}column 'ratee': \"{}\" is listed twice (first on line {})",
                                   where, f[r], seen[e->second]));
    seen[e->second] = line;
    size_t level = 0;
    for (size_t c = 0; c < f.size(); ++c) {
      if (column_of[c] < 0) continue;
      if (allowed[column_of[c]] == "vetoes") {
        for (size_t v : VetoesOf(f[c], t.vetoes, where)) t.draws[v][e->second] = 1;
        continue;
      }
      if (f[c].empty())
        throw InputError(
            fmt::format("{}column '{}': expected the ratee's unit, found an empty "
                        "cell",
                        where, allowed[column_of[c]]));
      auto& table = ids[level];
      const auto [it, added] = table.emplace(f[c], static_cast<int>(table.size()));
      t.units.unit[level++][e->second] = it->second;
    }
  });
  for (size_t e = 0; e < n; ++e)
    if (!seen[e])
      throw InputError(
          fmt::format("{}: ratee \"{}\" of the ballots has no row; every ratee "
                      "needs its units",
                      file, ratee_names[e]));
  return t;
}

TallyClasses AssignTallyClasses(const ClassRules& rules, const RatingBallots& b,
                                const ScoreResult& result, const TallyUnits* units) {
  TallyClasses c;
  const bool vetoes = units && units->has_vetoes && !units->vetoes.empty();
  if (rules.Empty() && !vetoes) return c;
  const std::vector<int> rank = CompetitionRanks(result.score, result.tiebreak);
  ClassInputs in;
  in.score = &result.score;
  in.rank = &rank;
  in.ballots = &b;
  if (units) in.units = &units->units;
  if (vetoes) in.veto_draws = &units->draws;
  const std::span<const Veto> applied =
      vetoes ? std::span<const Veto>(units->vetoes) : std::span<const Veto>();
  const std::vector<std::string> missing = MissingClassInputs(rules, applied, in);
  if (!missing.empty())
    throw InputError(fmt::format(
        "classes: a ballot file cannot give what these rules need: {}{}", fmt::join(missing, "; "),
        (rules.Scoped() || rules.parent) && !units ? " (give each ratee's units with --units FILE)"
                                                   : ""));
  ClassOutcome out = AssignClasses(rules, applied, in);
  c.index = std::move(out.cls);
  c.labels = std::move(out.labels);
  return c;
}

nlohmann::ordered_json GradeSharesByGroup(const RatingBallots& b) {
  nlohmann::ordered_json by_group = nlohmann::ordered_json::array();
  for (int g = 0; g < b.NumGroups(); ++g) {
    std::vector<double> count(b.levels, 0.0);
    double valid = 0, blank = 0, dont_know = 0;
    for (int e = 0; e < b.NumRatees(); ++e) {
      for (uint32_t w : b.SlotBallots(b.Slot(e, g))) {
        if (BallotGrade(w) == kAbstain) {
          blank += 1;
        } else if (BallotGrade(w) == kDontKnow) {
          dont_know += 1;
        } else {
          count[BallotGrade(w)] += 1;
          valid += 1;
        }
      }
    }
    if (valid + blank + dont_know == 0) continue;
    for (double& c : count) c = valid > 0 ? c / valid : 0.0;
    nlohmann::ordered_json e;
    e["group"] = b.group_names[g];
    if (b.HasGroupScales()) {
      count.resize(b.GroupLevels(g));
      e["scale"] = b.ScaleOf(g) < 0 ? std::string() : b.scales[b.ScaleOf(g)].name;
    }
    e["grade_share"] = count;
    if (dont_know > 0 || b.HasGroupScales()) {
      e["abstain_share"] = blank / (valid + blank + dont_know);
      e["dont_know_share"] = dont_know / (valid + blank + dont_know);
    } else {
      e["abstain_share"] = blank / (valid + blank);
    }
    by_group.push_back(e);
  }
  return by_group;
}

}  // namespace evalsim
