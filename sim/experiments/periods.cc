#include "sim/experiments/periods.h"

#include <fmt/format.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <numeric>

#include "models/registry.h"
#include "sim/core/interrupt.h"
#include "sim/core/metrics.h"
#include "sim/core/parallel.h"
#include "sim/core/rng.h"
#include "sim/io/csv_write.h"
#include "sim/rules/classes.h"
#include "sim/run/inputs.h"
#include "sim/simulate/generator.h"
#include "sim/simulate/indicator_gen.h"

namespace evalsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The metrics of one history in one period: the run-wide ones, then a block
// per action.
enum GlobalMetric { kQualityMean, kActionsCount, kActionsWrongful, kActionsCost, kGlobalMetrics };
enum ActionMetric {
  kFires,
  kWrongful,
  kAverage,
  kBottom,
  kDetected,
  kDelay,
  kDecile1,
  kActionMetrics = kDecile1 + 10
};

std::vector<std::string> MetricNames(const Scenario& s) {
  std::vector<std::string> names = {"quality.mean", "actions.count", "actions.wrongful",
                                    "actions.cost"};
  for (const ActionSpec& a : s.actions) {
    const std::string p = "action." + a.name + ".";
    for (const char* m :
         {"count", "wrongful", "p_fires.average", "p_fires.bottom", "detected", "delay"})
      names.push_back(p + m);
    for (int d = 1; d <= 10; ++d) names.push_back(fmt::format("{}p_fires.decile{}", p, d));
  }
  return names;
}

// Metrics whose value is a probability (their interval is clipped to [0, 1]).
bool IsShare(int metric) {
  if (metric < kGlobalMetrics) return false;
  const int m = (metric - kGlobalMetrics) % kActionMetrics;
  return m != kFires && m != kWrongful && m != kDelay;
}

// Every label an action may count, each with its bit.
std::map<std::string, uint64_t> LabelBits(const Scenario& s) {
  std::vector<std::string> labels;
  for (const ModelEntry& m : s.models)
    if (!m.classes.Empty())
      for (const std::string& l : ClassLabels(m.classes, s.vetoes)) labels.push_back(l);
  for (const ActionSpec& a : s.actions)
    if (a.effect == ActionEffect::kLabel) labels.push_back(a.label);
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  std::map<std::string, uint64_t> bits;
  for (size_t i = 0; i < labels.size() && i < 64; ++i) bits[labels[i]] = uint64_t{1} << i;
  return bits;
}

// The draws of period t shared by every model's history.
struct PeriodDraws {
  std::vector<double> innovation, fresh;
  std::vector<uint8_t> turnover;
};

PeriodDraws DrawPeriod(const Scenario& s, int n, int r, int t) {
  Rng rng(
      DeriveSeed(s.seed, {kStreamPeriods, static_cast<uint64_t>(r), static_cast<uint64_t>(t), 0}));
  PeriodDraws d;
  d.innovation.resize(n);
  d.fresh.resize(n);
  d.turnover.resize(n);
  for (int e = 0; e < n; ++e) {
    d.innovation[e] = rng.Normal();
    d.fresh[e] = s.quality_sd * rng.Normal();
    d.turnover[e] = rng.Uniform() < s.periods.turnover;
  }
  return d;
}

// The raters' leniency of period t: every rater's in period 1, then the
// redrawn ones'. Two draws per rater whatever the rates, so that the
// streams stay aligned across scenarios that differ only in rates.
void UpdateLeniency(const Scenario& s, const Organisation& org, int r, int t,
                    std::vector<double>& leniency) {
  Rng rng(
      DeriveSeed(s.seed, {kStreamPeriods, static_cast<uint64_t>(r), static_cast<uint64_t>(t), 1}));
  leniency.resize(org.NumRaters());
  for (uint32_t i = 0; i < org.NumRaters(); ++i) {
    const bool redraw = rng.Uniform() < s.periods.rater_redraw;
    const RaterGroupSpec& g = s.raters[org.rater_group[i]];
    const double z = rng.Normal();
    if (t == 1 || redraw) leniency[i] = g.leniency_mean + g.leniency_sd * z;
  }
}

struct PreparedEntry {
  std::unique_ptr<Model> model;
  const ModelEntry* entry;
  InputKind input;
};

// What a history shares with the others, read-only.
struct Plan {
  const Scenario& s;
  const Organisation& org;
  const GeneratorSetup& setup;
  const std::vector<PreparedEntry>& models;
  const UnitColumns& scopes;
  const std::map<std::string, uint64_t>& bits;
  int metrics = 0;
};

// One model's history in one replicate.
struct History {
  Organisation org;  // a copy whose quality evolves
  GeneratorSetup setup;
  std::vector<double> leniency;
  std::vector<std::vector<uint64_t>> labels;  // [evaluee][period - 1]
  std::vector<std::vector<int>> since;        // [action][evaluee]: first period counted
  std::vector<std::vector<int>> first_fired;  // [action][evaluee]: 0 = never
  std::vector<uint8_t> weak_at_start;         // truly bottom in period 1
  std::vector<std::vector<double>> values;    // [period - 1][metric]
};

// The label bits of every evaluee in one period of history `h`: the
// model's classes on freshly drawn ballots.
std::vector<uint64_t> Appraise(const Plan& p, const PreparedEntry& m, History& h, int r, int t) {
  const Scenario& s = p.s;
  const int n = h.org.NumEvaluees();
  const int key = PeriodReplicate(r, t);
  if (h.setup.items.Active()) h.setup.items = MakeItemSetup(s, h.org);
  h.setup.leniency = &h.leniency;
  RatingBallots ratings;
  RankingBallots rankings;
  PairwiseBallots pairs;
  IndicatorTable indicators;
  const ComparisonMode mode = s.comparisons.mode;
  GenerateBallots(h.setup, key, /*with_blocs=*/true, &ratings,
                  mode == ComparisonMode::kRanking ? &rankings : nullptr,
                  mode == ComparisonMode::kPairs ? &pairs : nullptr);
  InputSources src;
  src.ratings = &ratings;
  if (mode == ComparisonMode::kRanking) src.rankings = &rankings;
  if (mode == ComparisonMode::kPairs) src.pairwise = &pairs;
  if (!s.indicators.empty()) {
    indicators = GenerateIndicators(s, h.org, key);
    src.indicators = &indicators;
  }
  src.ties = s.comparisons.ties_split ? TiePolicy::kSplit : TiePolicy::kDrop;
  InputSet inputs(src);
  const ScoreResult sr =
      m.model->Score(inputs.For(m.input, m.entry->from == "ratings", m.entry->name));
  std::vector<uint64_t> out(n, 0);
  const ClassRules& rules = m.entry->classes;
  if (rules.Empty()) return out;
  const std::vector<int> rank = CompetitionRanks(SortKey(sr.score, sr.tiebreak));
  std::vector<double> z(n);
  for (int e = 0; e < n; ++e) z[e] = s.quality_sd > 0 ? h.org.quality[e] / s.quality_sd : 0.0;
  const VetoDraws draws = DrawVetoEvents(s.vetoes, z, s.seed, key);
  ClassInputs in;
  in.score = &sr.score;
  in.rank = &rank;
  in.ballots = &ratings;
  in.units = &p.scopes;
  in.indicators = indicators.NumIndicators() > 0 ? &indicators : nullptr;
  in.veto_draws = &draws;
  const ClassOutcome c = AssignClasses(rules, s.vetoes, in);
  for (int e = 0; e < n; ++e) out[e] = p.bits.at(c.labels[c.cls[e]]);
  return out;
}

// Where each evaluee stands by true quality: its 0-based position from the
// bottom (ties by evaluee order).
std::vector<int> PositionsFromBottom(const std::vector<double>& q) {
  std::vector<int> order(q.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return q[a] < q[b]; });
  std::vector<int> pos(q.size());
  for (size_t i = 0; i < order.size(); ++i) pos[order[i]] = static_cast<int>(i);
  return pos;
}

// Replaces evaluee e: a fresh quality and a history that starts anew.
void Replace(History& h, int e, double fresh, int t) {
  h.org.quality[e] = fresh;
  for (auto& since : h.since) since[e] = t + 1;
}

// Where the evaluees of one period stand by true quality (before the
// period's actions).
struct Standing {
  std::vector<int> pos;  // 0-based position from the bottom
  int n = 0, k_bottom = 0;
  std::vector<double> decile_n;  // evaluees per decile
  double average_n = 0;          // evaluees between the 40th and 60th percentile

  Standing(const std::vector<double>& q, double bottom)
      : pos(PositionsFromBottom(q)),
        n(static_cast<int>(q.size())),
        k_bottom(QuotaCount(bottom, n)),
        decile_n(10, 0.0) {
    for (int e = 0; e < n; ++e) {
      decile_n[Decile(e)] += 1;
      average_n += Average(e);
    }
  }
  int Decile(int e) const { return std::min(9, 10 * pos[e] / n); }
  bool Average(int e) const { return 10 * pos[e] >= 4 * n && 10 * pos[e] < 6 * n; }
  bool Weak(int e) const { return pos[e] < k_bottom; }
};

// Counts of one firing of action `a` on evaluee e into the action's block
// `av`, and its effect on the history.
void Fire(const Plan& p, History& h, const PeriodDraws& d, const Standing& st, int a, int e, int t,
          double* av) {
  const ActionSpec& act = p.s.actions[a];
  h.since[a][e] = t + 1;
  if (h.first_fired[a][e] == 0) h.first_fired[a][e] = t;
  av[kFires] += 1;
  av[kWrongful] += !st.Weak(e);
  av[kBottom] += st.Weak(e);
  av[kAverage] += st.Average(e);
  av[kDecile1 + st.Decile(e)] += 1;
  if (act.effect == ActionEffect::kLabel) h.labels[e][t - 1] |= p.bits.at(act.label);
  if (act.effect == ActionEffect::kImprove) h.org.quality[e] += act.shift;
  if (act.effect == ActionEffect::kReplace) Replace(h, e, d.fresh[e], t);
}

// Turns action a's firing counts into rates, and adds its detection of the
// evaluees truly weak in period 1: the share acted on by period t and, in
// the last period, the mean period of the first firing (count + 1 for those
// never acted on).
void Rates(const History& h, const Standing& st, int a, int t, int count, double* av) {
  av[kBottom] = st.k_bottom > 0 ? av[kBottom] / st.k_bottom : kNaN;
  av[kAverage] = st.average_n > 0 ? av[kAverage] / st.average_n : kNaN;
  for (int dd = 0; dd < 10; ++dd)
    av[kDecile1 + dd] = st.decile_n[dd] > 0 ? av[kDecile1 + dd] / st.decile_n[dd] : kNaN;
  double weak = 0, detected = 0, delay = 0;
  for (int e = 0; e < st.n; ++e) {
    if (!h.weak_at_start[e]) continue;
    const int first = h.first_fired[a][e];
    weak += 1;
    detected += first > 0;
    delay += first > 0 ? first : count + 1;
  }
  av[kDetected] = weak > 0 ? detected / weak : kNaN;
  av[kDelay] = weak > 0 && t == count ? delay / weak : kNaN;
}

// Tries every action on every evaluee in period t and records the period's
// metrics; changes the history's quality as the actions say.
void Act(const Plan& p, History& h, const PeriodDraws& d, int t) {
  const Scenario& s = p.s;
  const int n = h.org.NumEvaluees(), A = static_cast<int>(s.actions.size());
  const Standing st(h.org.quality, s.bottom);
  if (t == 1)
    for (int e = 0; e < n; ++e) h.weak_at_start[e] = st.Weak(e);
  std::vector<double>& v = h.values[t - 1];
  v.assign(p.metrics, 0.0);
  v[kQualityMean] = std::accumulate(h.org.quality.begin(), h.org.quality.end(), 0.0) / n;
  bool costs = false;
  for (int a = 0; a < A; ++a) {
    const ActionSpec& act = s.actions[a];
    const uint64_t when = p.bits.count(act.when) ? p.bits.at(act.when) : 0;
    double* av = &v[kGlobalMetrics + a * kActionMetrics];
    for (int e = 0; e < n; ++e)
      if (ActionFires(h.labels[e], t, h.since[a][e], when, act.times, act.window))
        Fire(p, h, d, st, a, e, t, av);
    v[kActionsCount] += av[kFires];
    v[kActionsWrongful] += av[kWrongful];
    v[kActionsCost] += act.cost * av[kFires];
    costs = costs || act.cost > 0;
    Rates(h, st, a, t, s.periods.count, av);
  }
  if (!costs) v[kActionsCost] = kNaN;
}

// Turnover, then the AR(1) step of every evaluee's quality.
void Evolve(const Scenario& s, History& h, const PeriodDraws& d, int t) {
  const PeriodsSpec& ps = s.periods;
  for (int e = 0; e < h.org.NumEvaluees(); ++e) {
    if (d.turnover[e]) Replace(h, e, d.fresh[e], t);
    h.org.quality[e] = ps.persistence * h.org.quality[e] + ps.innovation * d.innovation[e];
  }
}

// Model m's history in replicate r: its metrics per period.
std::vector<std::vector<double>> RunHistory(const Plan& p, int m, int r) {
  const Scenario& s = p.s;
  const int n = p.org.NumEvaluees(), P = s.periods.count;
  const size_t A = s.actions.size();
  History h{p.org, p.setup, {}, {}, {}, {}, {}, {}};
  h.setup.organisation = &h.org;
  h.labels.assign(n, std::vector<uint64_t>(P, 0));
  h.since.assign(A, std::vector<int>(n, 1));
  h.first_fired.assign(A, std::vector<int>(n, 0));
  h.weak_at_start.assign(n, 0);
  h.values.resize(P);
  for (int t = 1; t <= P; ++t) {
    UpdateLeniency(s, h.org, r, t, h.leniency);
    const std::vector<uint64_t> labels = Appraise(p, p.models[m], h, r, t);
    for (int e = 0; e < n; ++e) h.labels[e][t - 1] = labels[e];
    const PeriodDraws d = DrawPeriod(s, n, r, t);
    Act(p, h, d, t);
    if (t < P) Evolve(s, h, d, t);
  }
  return std::move(h.values);
}

// The mean over replicates of every metric of every model and period.
std::vector<PeriodRow> Reduce(const Scenario& s,
                              const std::vector<std::vector<std::vector<std::vector<double>>>>& v,
                              const std::vector<std::string>& names) {
  std::vector<PeriodRow> rows;
  const int R = static_cast<int>(v.size()), M = static_cast<int>(s.models.size());
  for (int t = 0; t < s.periods.count; ++t)
    for (int m = 0; m < M; ++m)
      for (size_t k = 0; k < names.size(); ++k) {
        std::vector<double> x;
        for (int r = 0; r < R; ++r)
          if (std::isfinite(v[r][m][t][k])) x.push_back(v[r][m][t][k]);
        if (x.empty()) continue;
        const Interval i = MeanInterval(x);
        PeriodRow row{t + 1, s.models[m].name, names[k], i.value, i.lo, i.hi};
        if (k != kQualityMean) row.lo = std::max(row.lo, 0.0);
        if (IsShare(static_cast<int>(k))) row.hi = std::min(row.hi, 1.0);
        rows.push_back(std::move(row));
      }
  return rows;
}

}  // namespace

bool ActionFires(std::span<const uint64_t> history, int t, int since, uint64_t when, int times,
                 int window) {
  if (when == 0) return false;
  int count = 0;
  for (int u = std::max({1, t - window + 1, since}); u <= t; ++u)
    count += (history[u - 1] & when) != 0;
  return count >= times;
}

PeriodsResult RunPeriods(const Scenario& s, const Organisation& org, int threads) {
  const auto t0 = std::chrono::steady_clock::now();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, ThreadCount(threads));
  const ModelContext ctx = ModelContextOf(s);
  std::vector<PreparedEntry> models;
  for (const ModelEntry& e : s.models)
    models.push_back({Models().Create(e.model, e.options, ctx, s.file, e.path), &e,
                      Models().Find(e.model)->input});
  const GeneratorSetup setup = MakeGeneratorSetup(s, org);
  const UnitColumns scopes = ScopeColumns(org);
  const std::map<std::string, uint64_t> bits = LabelBits(s);
  const std::vector<std::string> names = MetricNames(s);
  const Plan plan{s, org, setup, models, scopes, bits, static_cast<int>(names.size())};
  const int R = s.replicates, M = static_cast<int>(models.size());
  std::vector<std::vector<std::vector<std::vector<double>>>> values(
      R, std::vector<std::vector<std::vector<double>>>(M));
  ParallelFor(0, R * M, [&](int i) {
    if (Interrupted()) return;
    values[i / M][i % M] = RunHistory(plan, i % M, i / M);
  });
  ThrowIfInterrupted();
  PeriodsResult result;
  result.rows = Reduce(s, values, names);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

std::string PeriodsCsv(const PeriodsResult& r) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "period,model,metric,value,lo,hi\n");
  for (const PeriodRow& row : r.rows) {
    fmt::format_to(std::back_inserter(out), "{},", row.period);
    AppendCsvField(out, row.model);
    out.push_back(',');
    AppendCsvField(out, row.metric);
    for (double x : {row.value, row.lo, row.hi}) {
      out.push_back(',');
      AppendNum(out, x);
    }
    out.push_back('\n');
  }
  return fmt::to_string(out);
}

}  // namespace evalsim
