#include "sim/simulate/organisation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/core/ballots.h"
#include "sim/core/errors.h"
#include "sim/core/rng.h"

namespace evalsim {
namespace {

int64_t Draw(Rng& rng, const IntRange& r) { return r.lo == r.hi ? r.lo : rng.Between(r.lo, r.hi); }

// A fixed or [min, max] count draws exactly as an IntRange (one Between call,
// none for a fixed number), so scenarios without a count table draw what
// they drew before; a lognormal count takes one normal draw from the same
// stream, rounds it to the nearest integer and clamps it to [lo, hi].
int64_t Draw(Rng& rng, const LevelCount& c) {
  if (c.dist == LevelCount::Dist::kUniform) return Draw(rng, IntRange{c.lo, c.hi});
  const double x = std::exp(c.LogMu() + c.LogSigma() * rng.Normal());
  const double clamped =
      std::clamp(x, static_cast<double>(c.lo), static_cast<double>(c.hi));  // also caps +inf
  return std::clamp<int64_t>(std::llround(clamped), c.lo, c.hi);
}

}  // namespace

int Organisation::NumBlocEvaluees() const {
  return static_cast<int>(std::count_if(bloc.begin(), bloc.end(), [](int b) { return b >= 0; }));
}

std::string Organisation::MeetingName(int meeting) const {
  const int u = meeting_unit[meeting];
  return u < 0 ? std::string("all") : fmt::format("{}-{}", meeting_level, u + 1);
}

namespace {

// Refuses an organisation whose levels could hold more than 5e7 units.
void CheckOrganisationSize(const Scenario& s, int L) {
  double max_units = 1.0;
  for (int l = 0; l < L; ++l) {
    max_units *= static_cast<double>(s.levels[l].count.hi);
    if (max_units > 5e7) {
      throw InputError(fmt::format(
          "{}organisation.levels: up to {:.3g} units at level \"{}\"; evalsim holds at most "
          "5e7 units",
          Location(s.file), max_units, s.levels[l].name));
    }
  }
}

// The unit tree, level by level; the children of a unit are contiguous, so
// the descendants of any unit form one index range at every lower level.
struct UnitTree {
  std::vector<std::vector<int>> child_begin;  // child_begin[l][i]: first child of unit i
  std::vector<std::vector<int>> parent;
};

UnitTree DrawUnitTree(const Scenario& s, int L) {
  UnitTree tree;
  Rng tree_rng(DeriveSeed(s.seed, {kStreamOrganisation, 0}));
  std::vector<std::vector<int>>& child_begin = tree.child_begin;
  std::vector<std::vector<int>>& parent = tree.parent;
  child_begin.resize(L);
  parent.resize(L);
  int size = static_cast<int>(Draw(tree_rng, s.levels[0].count));
  parent[0].assign(size, -1);
  for (int l = 1; l < L; ++l) {
    auto& cb = child_begin[l - 1];
    cb.resize(parent[l - 1].size() + 1);
    int total = 0;
    for (size_t i = 0; i < parent[l - 1].size(); ++i) {
      cb[i] = total;
      const int c = static_cast<int>(Draw(tree_rng, s.levels[l].count));
      parent[l].insert(parent[l].end(), c, static_cast<int>(i));
      total += c;
    }
    cb.back() = total;
  }
  return tree;
}

// True quality: a standard normal per unit that keeps `inherited` of its
// variance from the parent, scaled by sd at the evaluee level.
void DrawQuality(const Scenario& s, const UnitTree& tree, int L, int n, Organisation& org) {
  const std::vector<std::vector<int>>& parent = tree.parent;
  const double h = s.quality_inherited;
  std::vector<double> u;
  for (int l = 0; l < L; ++l) {
    Rng rng(DeriveSeed(s.seed, {kStreamQuality, static_cast<uint64_t>(l)}));
    std::vector<double> next(parent[l].size());
    for (size_t i = 0; i < next.size(); ++i) {
      const double own = rng.Normal();
      next[i] = l == 0 ? own : std::sqrt(h) * u[parent[l][i]] + std::sqrt(1.0 - h) * own;
    }
    u = std::move(next);
  }
  org.quality.resize(n);
  for (int e = 0; e < n; ++e) org.quality[e] = s.quality_sd * u[e];
}

// Meetings: one per unit of the meeting level that holds evaluees, as
// (unit, first evaluee, number of evaluees); one meeting of every evaluee
// (unit -1) for "all".
struct MeetingRange {
  int unit, first, count;
};
std::vector<MeetingRange> MeetingRanges(const Scenario& s, const Organisation& org,
                                        const UnitTree& tree, int L, int n) {
  std::vector<MeetingRange> ranges;
  if (s.meeting_level < 0) {
    ranges.push_back({-1, 0, n});
  } else {
    for (int i = 0; i < org.level_size[s.meeting_level]; ++i) {
      int a = i, b = i + 1;
      for (int l = s.meeting_level; l < L - 1; ++l) {
        a = tree.child_begin[l][a];
        b = tree.child_begin[l][b];
      }
      if (b > a) ranges.push_back({i, a, b - a});
    }
  }
  return ranges;
}

// The raters of group g in the meeting of evaluees [first, first + count):
// their number, drawn from `rater_rng`; adds their expected ballots to
// `*expected`.
uint64_t DrawGroupRaters(const RaterGroupSpec& spec, int g, int first, int count,
                         uint64_t next_rater, Rng& rater_rng, Organisation& org, double* expected) {
  uint64_t c = 0;
  switch (spec.kind) {
    case RaterKind::kPerMeeting:
      c = Draw(rater_rng, spec.count);
      *expected += static_cast<double>(c) * count * spec.coverage;
      break;
    case RaterKind::kPerEvaluee:
      for (int e = first; e < first + count; ++e) {
        const uint64_t k = Draw(rater_rng, spec.count);
        org.per_evaluee_first[g][e] =
            static_cast<uint32_t>(std::min<uint64_t>(next_rater + c, kMaxRaters));
        org.per_evaluee_count[g][e] = static_cast<uint32_t>(k);
        c += k;
      }
      *expected += static_cast<double>(c) * spec.coverage;
      break;
    case RaterKind::kFromEvaluees:
      c = count;
      *expected += static_cast<double>(count) * (count - 1) * spec.coverage;
      break;
  }
  return c;
}

// Raters, meeting by meeting, group by group.
void DrawRaters(const Scenario& s, const std::vector<MeetingRange>& ranges, int n,
                Organisation& org) {
  const int G = static_cast<int>(s.raters.size());
  Rng rater_rng(DeriveSeed(s.seed, {kStreamOrganisation, 1}));
  org.per_evaluee_first.resize(G);
  org.per_evaluee_count.resize(G);
  for (int g = 0; g < G; ++g) {
    if (s.raters[g].kind == RaterKind::kPerEvaluee) {
      org.per_evaluee_first[g].assign(n, 0);
      org.per_evaluee_count[g].assign(n, 0);
    }
  }
  uint64_t next_rater = 0;
  double expected = 0.0;
  for (auto [unit, first, count] : ranges) {
    Meeting m;
    org.meeting_unit.push_back(unit);
    m.first_evaluee = first;
    m.num_evaluees = count;
    m.first_rater = static_cast<uint32_t>(std::min<uint64_t>(next_rater, kMaxRaters));
    for (int g = 0; g < G; ++g) {
      const uint64_t c =
          DrawGroupRaters(s.raters[g], g, first, count, next_rater, rater_rng, org, &expected);
      m.group_first.push_back(static_cast<uint32_t>(std::min<uint64_t>(next_rater, kMaxRaters)));
      m.group_count.push_back(static_cast<uint32_t>(c));
      next_rater += c;
      if (next_rater > kMaxRaters) {
        throw InputError(
            fmt::format("{}raters: the organisation needs more than {} raters; the "
                        "ballot format holds at most {}",
                        Location(s.file), next_rater, kMaxRaters));
      }
      org.rater_group.insert(org.rater_group.end(), c, static_cast<uint8_t>(g));
    }
    m.num_raters = static_cast<uint32_t>(next_rater - m.first_rater);
    org.meetings.push_back(std::move(m));
  }
  org.expected_ballots = static_cast<uint64_t>(std::llround(expected));
  if (expected > 2e9) {
    throw InputError(
        fmt::format("{}the scenario expects {:.3g} ballots per replicate; evalsim "
                    "holds at most 2e9",
                    Location(s.file), expected));
  }
}

// Blocs: each evaluee has at most one, the first [[blocs]] entry that hits.
void DrawBlocs(const Scenario& s, int n, Organisation& org) {
  org.bloc.assign(n, -1);
  if (s.blocs.empty()) return;
  Rng bloc_rng(DeriveSeed(s.seed, {kStreamBlocs}));
  for (int e = 0; e < n; ++e) {
    for (size_t j = 0; j < s.blocs.size(); ++j) {
      if (bloc_rng.Uniform() < s.blocs[j].share && org.bloc[e] < 0)
        org.bloc[e] = static_cast<int>(j);
    }
  }
}

// Types: one uniform draw per evaluee, in evaluee order, from a stream of
// their own, and only when the scenario has types (so a scenario without
// them draws exactly what it drew before). Type t covers
// [share_0 + ... + share_{t-1}, ... + share_t); a draw beyond the summed
// shares (rounding) takes the last type with a positive share.
void DrawTypes(const Scenario& s, int n, Organisation& org) {
  if (s.types.empty()) return;
  const int T = static_cast<int>(s.types.size());
  int last = T - 1;
  while (last > 0 && s.types[last].share <= 0) --last;
  for (const auto& t : s.types) org.type_names.push_back(t.name);
  org.type.assign(n, last);
  Rng type_rng(DeriveSeed(s.seed, {kStreamTypes}));
  for (int e = 0; e < n; ++e) {
    const double draw = type_rng.Uniform();
    double cum = 0;
    for (int t = 0; t < T; ++t) {
      cum += s.types[t].share;
      if (draw < cum) {
        org.type[e] = t;
        break;
      }
    }
  }
}

// Every evaluee's unit at each level above the evaluees, up the tree.
void SetUnits(const Scenario& s, const UnitTree& tree, int L, int n, Organisation& org) {
  org.unit.assign(L - 1, std::vector<int>(n));
  for (int l = L - 2; l >= 0; --l) {
    org.unit_levels.insert(org.unit_levels.begin(), s.levels[l].name);
    for (int e = 0; e < n; ++e)
      org.unit[l][e] = l == L - 2 ? tree.parent[L - 1][e] : tree.parent[l + 1][org.unit[l + 1][e]];
  }
}

}  // namespace

std::string Organisation::UnitName(int level, int i) const {
  return fmt::format("{}-{}", unit_levels[level], i + 1);
}

std::vector<int> Organisation::MeetingOf() const {
  std::vector<int> meeting(NumEvaluees(), 0);
  for (size_t m = 0; m < meetings.size(); ++m)
    for (int e = meetings[m].first_evaluee;
         e < meetings[m].first_evaluee + meetings[m].num_evaluees; ++e)
      meeting[e] = static_cast<int>(m);
  return meeting;
}

UnitColumns ScopeColumns(const Organisation& org) {
  UnitColumns c;
  c.names = org.unit_levels;
  c.unit = org.unit;
  c.names.emplace_back(kScopeMeeting);
  c.unit.push_back(org.MeetingOf());
  return c;
}

Organisation BuildOrganisation(const Scenario& s) {
  Organisation org;
  const int L = s.evaluee_level + 1;  // levels below the evaluees play no part
  CheckOrganisationSize(s, L);
  const UnitTree tree = DrawUnitTree(s, L);
  for (int l = 0; l < L; ++l) org.level_size.push_back(static_cast<int>(tree.parent[l].size()));
  const int n = org.level_size[L - 1];
  if (n == 0) {
    throw InputError(
        fmt::format("{}organisation: the drawn organisation has no evaluee at level "
                    "\"{}\" (check the level counts)",
                    Location(s.file), s.levels[s.evaluee_level].name));
  }
  DrawQuality(s, tree, L, n, org);
  SetUnits(s, tree, L, n, org);
  const std::string& ename = s.levels[s.evaluee_level].name;
  org.evaluee_names.reserve(n);
  for (int e = 0; e < n; ++e) org.evaluee_names.push_back(fmt::format("{}-{}", ename, e + 1));
  org.meeting_level = s.meeting_level < 0 ? "all" : s.levels[s.meeting_level].name;
  DrawRaters(s, MeetingRanges(s, org, tree, L, n), n, org);
  DrawBlocs(s, n, org);
  DrawTypes(s, n, org);
  return org;
}

std::vector<double> CalibrateCuts(const Scenario& s, const Organisation& org, int scale) {
  // The latent value of a ballot is quality + leniency + noise, a mixture of
  // normals over (evaluee, group) weighted by expected valid ballots. A
  // strided subsample of evaluees keeps this cheap at municipal size.
  struct Component {
    double mu, sigma, w;
  };
  const int n = org.NumEvaluees();
  const int G = static_cast<int>(s.raters.size());
  const int stride = std::max(1, n / 4096);
  std::vector<double> per_evaluee(G * static_cast<size_t>(n), 0.0);
  for (const Meeting& m : org.meetings) {
    for (int g = 0; g < G; ++g) {
      const RaterGroupSpec& spec = s.raters[g];
      if (spec.scale != scale) continue;
      for (int e = m.first_evaluee; e < m.first_evaluee + m.num_evaluees; ++e) {
        double raters = 0;
        switch (spec.kind) {
          case RaterKind::kPerMeeting:
            raters = m.group_count[g];
            break;
          case RaterKind::kPerEvaluee:
            raters = org.per_evaluee_count[g][e];
            break;
          case RaterKind::kFromEvaluees:
            raters = m.num_evaluees - (spec.self_vote ? 0 : 1);
            break;
        }
        per_evaluee[static_cast<size_t>(e) * G + g] = raters * spec.coverage * (1 - spec.abstain);
      }
    }
  }
  std::vector<Component> comps;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, total = 0;
  for (int e = 0; e < n; e += stride) {
    for (int g = 0; g < G; ++g) {
      const RaterGroupSpec& spec = s.raters[g];
      const double w = per_evaluee[static_cast<size_t>(e) * G + g];
      if (w <= 0) continue;
      const double mu = org.quality[e] + org.TypeShift(s, e, g) + spec.leniency_mean;
      const double sigma =
          std::max(1e-9, std::sqrt(spec.leniency_sd * spec.leniency_sd + spec.noise * spec.noise));
      comps.push_back({mu, sigma, w});
      lo = std::min(lo, mu - 40 * sigma);
      hi = std::max(hi, mu + 40 * sigma);
      total += w;
    }
  }
  const std::vector<double>& shares = scale < 0 ? s.shares : s.scales[scale].shares;
  const int K = static_cast<int>(shares.size());
  std::vector<double> cuts(K - 1);
  double cum = 0.0;
  for (int k = 1; k < K; ++k) {
    cum += shares[k - 1];
    if (comps.empty() || cum <= 1e-12) {
      cuts[k - 1] = -std::numeric_limits<double>::infinity();
      continue;
    }
    if (cum >= 1 - 1e-12) {
      cuts[k - 1] = std::numeric_limits<double>::infinity();
      continue;
    }
    double a = lo, b = hi;
    for (int it = 0; it < 200 && b - a > 1e-12 * std::max(1.0, std::abs(a)); ++it) {
      const double c = 0.5 * (a + b);
      double f = 0;
      for (const Component& comp : comps) f += comp.w * NormalCdf((c - comp.mu) / comp.sigma);
      (f / total < cum ? a : b) = c;
    }
    cuts[k - 1] = 0.5 * (a + b);
  }
  return cuts;
}

}  // namespace evalsim
