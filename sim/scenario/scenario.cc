#include "sim/scenario/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "sim/core/errors.h"
#include "sim/core/options.h"
#include "sim/core/rng.h"
#include "sim/core/text.h"
#include "sim/io/files.h"
#include "sim/scenario/overrides.h"
#include "sim/scenario/parts.h"

namespace evalsim {
namespace {

// The top-level keys: name, description, seed and replicates.
void ReadHeader(OptionReader& top, Scenario& s) {
  s.name = top.String("name", "");
  if (!top.Has("name")) top.Error("", "missing required key `name`");
  s.description = top.String("description", "");
  if (!top.Has("seed")) top.Error("", "missing required key `seed` (a non-negative integer)");
  s.seed = static_cast<uint64_t>(top.Int("seed", 1, Between(0, 9.0e18)));
  s.replicates = static_cast<int>(top.Int("replicates", 50, Between(1, 1000000)));
}

// Ballot scales in use, lowest grade first (docs/sources.md §1): the
// reversed-scale check compares the labels with them.
const std::vector<std::vector<std::string>>& KnownScales() {
  static const std::vector<std::vector<std::string>> scales = {
      {"差", "一般", "较好", "好"},
      {"较差", "一般", "较好", "好"},
      {"不称职", "基本称职", "称职", "优秀"},
      {"不满意", "基本满意", "满意"},
      {"不满意", "基本满意", "比较满意", "满意"},
      {"不满意", "基本满意", "较满意", "满意", "非常满意"},
      {"不合格", "基本合格", "合格", "优秀"},
      {"不合格", "合格", "优秀"},
      {"较差", "一般", "良好", "优秀"},
  };
  return scales;
}

// A warning when `labels` run best first: they are a known scale reversed,
// or open with a known scale's best grade and end with its worst.
std::string ReversedScaleWarning(const std::vector<std::string>& labels) {
  if (labels.size() < 2) return "";
  for (const auto& known : KnownScales()) {
    const std::vector<std::string> reversed(known.rbegin(), known.rend());
    if (labels != reversed && !(labels.front() == known.back() && labels.back() == known.front()))
      continue;
    const std::vector<std::string> fixed(labels.rbegin(), labels.rend());
    return fmt::format(
        "labels [{}] run best first, the {} scale reversed; labels and shares are lowest first "
        "(grade 0 is the lowest), so {} is the lowest grade here and every rubric reads the "
        "scale upside down; write labels = [\"{}\"] and reverse shares",
        fmt::join(labels, ", "), fmt::join(known, "/"), labels.front(), fmt::join(fixed, "\", \""));
  }
  return "";
}

// The [scale] table: grade labels and their target shares.
void ReadScale(OptionReader& top, Scenario& s, std::vector<std::string>& errors) {
  WithTable(top, "scale", s.file, errors, true, [&](OptionReader& r) {
    // A missing or malformed `labels` is reported once; the checks that
    // compare other keys with it are then left out.
    bool labels_ok = false;
    if (auto l = r.StringList("labels")) {
      s.labels = *l;
      labels_ok = true;
    }
    if (!r.Has("labels")) r.Error("", "missing required key `labels`");
    if (labels_ok && (s.labels.size() < 2 || s.labels.size() > static_cast<size_t>(kMaxLevels))) {
      r.Error("labels", fmt::format("has {} grades; expected 2 to {}, lowest first",
                                    s.labels.size(), kMaxLevels));
    }
    if (labels_ok) {
      if (const std::string w = ReversedScaleWarning(s.labels); !w.empty())
        s.warnings.push_back(
            fmt::format("{}scale.labels: {}", NodeLocation(*r.Raw("labels"), s.file), w));
    }
    if (auto sh = r.DoubleList("shares", Probability())) {
      s.shares = *sh;
      double sum = 0;
      for (double v : s.shares) sum += v;
      if (!labels_ok) {
        // Nothing to compare the number of shares with.
      } else if (s.shares.size() != s.labels.size()) {
        r.Error("shares", fmt::format("has {} values; expected one per label ({}), lowest first",
                                      s.shares.size(), s.labels.size()));
      } else if (std::abs(sum - 1.0) > 1e-6) {
        r.Error("shares", fmt::format("sum to {}; expected shares that sum to 1", sum));
      }
    } else if (!r.Has("shares")) {
      r.Error("", "missing required key `shares`");
    }
  });
}

// The [[raters]] tables: one rater group each.
void ReadRaters(OptionReader& top, Scenario& s, std::vector<std::string>& errors) {
  const std::string& file = s.file;
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
    g.halo = r.Double("halo", 0.0, Probability());
    g.self_vote = r.Bool("self_vote", false);
    g.self_boost = r.Double("self_boost", 0.0, Between(-100, 100));
    if (g.self_vote && g.kind != RaterKind::kFromEvaluees)
      r.Error("self_vote", "is only for a from_evaluees group (raters who are evaluees)");
    ReadRaterInfluence(r, g);
    s.raters.push_back(g);
  });
  if (s.raters.empty() && !top.Has("raters"))
    top.Error("", "missing required [[raters]]: at least one rater group");
  if (s.raters.size() > 200) top.Error("raters", "more than 200 rater groups");
}

// The [[blocs]] tables.
void ReadBlocs(OptionReader& top, Scenario& s, std::vector<std::string>& errors) {
  ForEachTable(top, "blocs", s.file, errors, [&](OptionReader& r, size_t) {
    BlocSpec b;
    for (const char* k : {"share", "size"})
      if (!r.Has(k)) r.Error("", fmt::format("missing required key `{}`", k));
    b.share = r.Double("share", 0.0, Probability());
    b.size = r.Double("size", 0.0, Probability());
    b.boost = r.Double("boost", 0.0, Between(-100, 100));
    b.penalty = r.Double("penalty", 0.0, Between(-100, 100));
    s.blocs.push_back(b);
  });
}

// The [metrics] table: the top and bottom shares the metrics use.
void ReadMetrics(OptionReader& top, Scenario& s, std::vector<std::string>& errors) {
  WithTable(top, "metrics", s.file, errors, false, [&](OptionReader& r) {
    s.quota = r.Double("quota", 0.15, Range{0.0, 1.0, true, false});
    s.bottom = r.Double("bottom", 0.05, Range{0.0, 1.0, true, true});
  });
}

void ReadScenario(const toml::table& root, Scenario& s) {
  std::vector<std::string> errors;
  OptionReader top(root, s.file, "");
  ReadHeader(top, s);
  ReadScale(top, s, errors);
  OrganisationNotes notes;
  ReadOrganisation(top, s, notes, errors);
  ReadMeetings(top, s, notes.evaluees, errors);
  ReadScales(top, s, errors);
  ReadRaters(top, s, errors);
  ResolveRaterLinks(top, s);
  ResolveTypeGroups(s.file, s, notes.type_group_nodes, errors);
  ReadItems(top, s, errors);
  ReadBlocs(top, s, errors);
  ReadMetrics(top, s, errors);
  ReadComparisons(top, s, errors);
  ReadIndicators(top, s, errors);
  ReadVetoes(top, s, errors);
  // Models last: their options are checked against the scale and groups.
  ReadModels(top, s, errors);
  ReadUncertainty(top, s, errors);
  ReadPeriods(top, s, errors);
  ReadSweep(top, s, errors);

  std::vector<std::string> top_errors = top.Finish();
  top_errors.insert(top_errors.end(), errors.begin(), errors.end());
  ThrowIfErrors(top_errors);
}

// When line `line` of `text` holds a fraction such as 1/3 (which TOML cannot
// parse), how to write it; else "".
std::string FractionHint(std::string_view text, long line) {
  size_t begin = 0;
  for (long l = 1; l < line && begin != std::string_view::npos; ++l) {
    begin = text.find('\n', begin);
    if (begin != std::string_view::npos) ++begin;
  }
  if (begin == std::string_view::npos) return "";
  const std::string_view row = text.substr(begin, text.find('\n', begin) - begin);
  const auto digit = [&](size_t i) { return i < row.size() && row[i] >= '0' && row[i] <= '9'; };
  for (size_t slash = row.find('/'); slash != std::string_view::npos;
       slash = row.find('/', slash + 1)) {
    size_t a = slash, b = slash + 1;
    while (a > 0 && (digit(a - 1) || row[a - 1] == '.')) --a;
    while (b < row.size() && (digit(b) || row[b] == '.')) ++b;
    if (a == slash || b == slash + 1 || !digit(a)) continue;
    const std::string fraction(row.substr(a, b - a));
    return fmt::format(
        " (TOML has no fractions: write {} as a string, \"{}\", which evalsim reads as a "
        "fraction, or as a decimal such as {})",
        fraction, fraction, ParseAhpJudgement(fraction).value_or(0.0));
  }
  return "";
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
        "{}{}{}",
        Location(file, static_cast<long>(src.begin.line), static_cast<long>(src.begin.column)),
        e.description(), FractionHint(text, static_cast<long>(src.begin.line))));
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
  for (const auto& i : s.items) {
    ctx.item_names.push_back(i.name);
    ctx.item_weights.push_back(i.weight);
  }
  if (std::any_of(s.raters.begin(), s.raters.end(),
                  [](const RaterGroupSpec& g) { return g.scale >= 0; })) {
    for (const ScaleSpec& sc : s.scales) {
      ctx.scale_names.push_back(sc.name);
      ctx.scale_levels.push_back(static_cast<int>(sc.labels.size()));
    }
    for (const RaterGroupSpec& g : s.raters) ctx.group_scale.push_back(g.scale);
  }
  return ctx;
}

ClassContext ClassContextOf(const Scenario& s) {
  const ModelContext m = ModelContextOf(s);
  ClassContext ctx{m.levels, {}, m.group_names, m.indicator_names};
  for (int l = 0; l < s.evaluee_level && l < static_cast<int>(s.levels.size()); ++l)
    ctx.scopes.push_back(s.levels[l].name);
  ctx.scopes.emplace_back(kScopeMeeting);
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
