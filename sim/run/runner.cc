#include "sim/run/runner.h"

#include <fmt/format.h>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>
#include <optional>
#include <tuple>

#include "models/common/tally.h"
#include "models/registry.h"
#include "sim/core/check.h"
#include "sim/core/interrupt.h"
#include "sim/core/item_metrics.h"
#include "sim/core/metrics.h"
#include "sim/core/parallel.h"
#include "sim/core/progress.h"
#include "sim/rules/classes.h"
#include "sim/run/inputs.h"
#include "sim/run/preflight.h"
#include "sim/run/split.h"
#include "sim/simulate/generator.h"
#include "sim/simulate/indicator_gen.h"

namespace evalsim {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct PreparedModel {
  std::unique_ptr<Model> model;
  const ModelEntry* entry;
  InputKind input;
  bool reads_slot_counts = false;  // ModelSpec::reads_slot_counts
  bool fits_parts = false;         // ModelSpec::fits_parts
};

// One replicate's ballots of every kind the scenario asks for, and the
// conversions the models need.
struct ReplicateBallots {
  RatingBallots ratings;
  RankingBallots rankings;
  PairwiseBallots pairs;
  IndicatorTable indicators;
  std::vector<MeetingOutcome> meetings;  // with meeting rules only
  std::optional<InputSet> inputs;

  void Generate(const Scenario& s, const Organisation& org, const GeneratorSetup& setup, int r,
                bool with_blocs) {
    const ComparisonMode mode = s.comparisons.mode;
    GenerateBallots(setup, r, with_blocs, &ratings,
                    mode == ComparisonMode::kRanking ? &rankings : nullptr,
                    mode == ComparisonMode::kPairs ? &pairs : nullptr,
                    s.meeting_rules.Any() ? &meetings : nullptr);
    InputSources src;
    src.ratings = &ratings;
    if (mode == ComparisonMode::kRanking) src.rankings = &rankings;
    if (mode == ComparisonMode::kPairs) src.pairwise = &pairs;
    if (!s.indicators.empty()) {
      // Indicators do not depend on blocs: the bloc-free rerun shares them.
      indicators = GenerateIndicators(s, org, r);
      src.indicators = &indicators;
    }
    src.ties = s.comparisons.ties_split ? TiePolicy::kSplit : TiePolicy::kDrop;
    inputs.emplace(src);
  }

  ModelInput For(const PreparedModel& m) {
    return inputs->For(m.input, m.entry->from == "ratings", m.entry->name);
  }
};

// Per replicate and model: the numbers the metrics reduce.
struct ReplicateModel {
  Eigen::VectorXd score;
  std::vector<int> rank;
  std::vector<int> classes;
  std::vector<std::string> class_labels;
  Eigen::VectorXd top, bottom;  // top-k / bottom memberships
  double spearman = 0, kendall = 0, topk = 0;
  double class_top = std::numeric_limits<double>::quiet_NaN();
  double class_bottom = std::numeric_limits<double>::quiet_NaN();
  double class_top_without_vetoes = std::numeric_limits<double>::quiet_NaN();
  // With a parent level: the share of evaluees the cap moved down, and the
  // units' scores and classes (indices into parent_labels).
  double class_capped = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> parent_score;
  std::vector<int> parent_cls;
  std::vector<std::string> parent_labels;
  double bloc_gain = std::numeric_limits<double>::quiet_NaN();
  double fit_seconds = 0;
  std::vector<std::string> notes;
  std::vector<std::pair<std::string, double>> parameters;
  std::vector<std::pair<std::string, Eigen::VectorXd>> rater_values;
};

Interval IntervalOf(const std::vector<double>& v) {
  std::vector<double> finite;
  for (double x : v)
    if (std::isfinite(x)) finite.push_back(x);
  return MeanInterval(finite);
}

void AddMean(std::vector<MetricRow>& rows, const std::string& name, const std::vector<double>& v) {
  bool any = false;
  for (double x : v) any = any || std::isfinite(x);
  if (!any) return;
  const Interval i = IntervalOf(v);
  rows.push_back({name, i.value, true, i.lo, i.hi});
}

// AddMean for a share: the normal interval of a rare event's mean can reach
// below 0 (or above 1), where no share lies; it is clipped to [0, 1].
void AddShareMean(std::vector<MetricRow>& rows, const std::string& name,
                  const std::vector<double>& v) {
  AddMean(rows, name, v);
  if (rows.empty() || rows.back().metric != name) return;
  rows.back().lo = std::clamp(rows.back().lo, 0.0, 1.0);
  rows.back().hi = std::clamp(rows.back().hi, 0.0, 1.0);
}

std::vector<PreparedModel> PrepareModels(const Scenario& s, const ModelContext& ctx) {
  std::vector<PreparedModel> models;
  for (const ModelEntry& e : s.models) {
    const ModelSpec* spec = Models().Find(e.model);
    models.push_back({Models().Create(e.model, e.options, ctx, s.file, e.path), &e, spec->input,
                      spec->reads_slot_counts, spec->fits_parts});
  }
  return models;
}

// What every replicate's scores are compared with: the true quality and
// what is derived from it once for the run, not per model.
struct Truth {
  int n = 0, k_top = 0, k_bottom = 0;
  Eigen::VectorXd quality, ranks, top, bottom;
  TauReference tau;
  std::vector<int> bloc_evaluees;  // the evaluees in a bloc
  std::vector<int> order;          // best first (units.csv)
  std::vector<double> z;           // quality in standard deviations (event vetoes)
};

// With `full` false only n and the bloc evaluees (a process other than 0
// of a split run, which never compares scores with the truth).
Truth MakeTruth(const Scenario& s, const Organisation& org, bool full) {
  Truth t;
  const int n = t.n = org.NumEvaluees();
  for (int e = 0; e < n; ++e)
    if (org.bloc[e] >= 0) t.bloc_evaluees.push_back(e);
  if (!full) return t;
  t.k_top = QuotaCount(s.quota, n);
  t.k_bottom = QuotaCount(s.bottom, n);
  t.quality = Eigen::Map<const Eigen::VectorXd>(org.quality.data(), n);
  t.ranks = AverageRanks(t.quality);
  t.tau = MakeTauReference(t.quality);
  t.top = TopKMembership(t.quality, t.k_top);
  t.bottom = BottomKMembership(t.quality, t.k_bottom);
  t.order = TruthOrder(org.quality);
  for (double q : org.quality) t.z.push_back(s.quality_sd > 0 ? q / s.quality_sd : 0.0);
  return t;
}

// What a run shares with its replicates, read-only.
struct RunPlan {
  const Scenario& s;
  const Organisation& org;
  const GeneratorSetup& setup;
  const std::vector<PreparedModel>& models;
  const Truth& truth;
  const UnitColumns& scopes;  // what class rules count within
  int replicate_offset = 0;   // RunConfig::replicate_offset
};

// Counts each replicate writes into its own slots (valid_per_slot adds
// atomically).
struct ReplicateTallies {
  size_t G, K1;  // rater groups; grades + 1 (abstention)
  // Valid ballots per (evaluee, group) slot summed over replicates, for the
  // fairness strata. Integer sums: the order replicates add them in does
  // not matter.
  std::vector<std::atomic<uint64_t>> valid_per_slot;
  // Ballots per (rater group, grade or abstention), per replicate.
  std::vector<std::vector<double>> grade_counts;
  std::vector<std::vector<double>> dont_know;  // per replicate and group
  std::vector<uint64_t> ballots;
  std::vector<double> gen_seconds, score_seconds;
  // Per replicate, per veto then "any": the share of evaluees struck and
  // the share of the truly top k struck.
  std::vector<std::vector<double>> veto_rate, veto_top;
  std::vector<std::vector<MeetingOutcome>> meetings;  // per replicate, with meeting rules
  std::vector<ItemMetrics> item_metrics;              // per replicate, with items

  ReplicateTallies(const Scenario& s, int n, int R)
      : G(s.raters.size()),
        K1(s.MaxLevels() + 1),
        valid_per_slot(static_cast<size_t>(n) * G),
        grade_counts(R, std::vector<double>(G * K1, 0)),
        dont_know(R, std::vector<double>(G, 0)),
        ballots(R, 0),
        gen_seconds(R, 0),
        score_seconds(R, 0),
        veto_rate(R),
        veto_top(R),
        meetings(s.meeting_rules.Any() ? R : 0),
        item_metrics(s.items.empty() ? 0 : R) {}
};

// Tallies replicate r's ballots by (group, grade) and valid ballots by slot.
void CountGrades(const RatingBallots& b, int r, ReplicateTallies& t) {
  const size_t G = t.G, K1 = t.K1;
  for (size_t slot = 0; slot < t.valid_per_slot.size(); ++slot) {
    uint64_t valid = 0;
    for (uint32_t w : b.SlotBallots(static_cast<int>(slot))) {
      const uint8_t g = BallotGrade(w);
      if (g == kDontKnow) {
        t.dont_know[r][slot % G] += 1;
        continue;
      }
      t.grade_counts[r][(slot % G) * K1 + (g == kAbstain ? K1 - 1 : g)] += 1;
      valid += g != kAbstain;
    }
    if (valid > 0) t.valid_per_slot[slot].fetch_add(valid, std::memory_order_relaxed);
  }
}

// Whether TallyEverySlot can count these ballots.
bool Shareable(const RatingBallots& b) { return !b.Weighted() && !b.HasItems(); }

// What process 0 holds of a split replicate (RunSplit): its own part of the
// bloc-free rerun's ballots; every part's slot counts merged, of the
// ballots and of the rerun's; and the results of the models fitted by parts
// (ModelSpec::fits_parts), merged, with their fit times.
struct MergedReplicate {
  ReplicateBallots nobloc;
  SlotCounts counts, nobloc_counts;
  std::vector<std::optional<ScoreResult>> fitted;  // per model
  std::vector<double> fit_seconds;                 // per model
};

// Fits one model at a time, so that each fit's time is its own; the
// bloc-free rerun here too (the input set converts lazily and is not
// shared across threads).
// With `shared`, the models that read every slot's grade counts read them
// from there; the first of them makes them.
// With `split`, the models fitted by parts are taken from it, and the
// bloc-free rerun's slot counts too.
void FitModels(const RunPlan& p, int r, ReplicateBallots& rb, ReplicateBallots& nobloc,
               std::vector<ScoreResult>& results, std::vector<std::vector<int>>& base_ranks,
               std::vector<ReplicateModel>& out, SlotCounts* shared, MergedReplicate* split) {
  const int M = static_cast<int>(p.models.size());
  const SlotCounts* nobloc_counts = split != nullptr ? &split->nobloc_counts : nullptr;
  for (int mi = 0; mi < M; ++mi) {
    if (split != nullptr && split->fitted[mi]) {
      results[mi] = std::move(*split->fitted[mi]);
      out[mi].fit_seconds = split->fit_seconds[mi];
      if (r != 0) results[mi].rater_values = {};
      continue;  // no blocs: CheckSplittable
    }
    ModelInput input = rb.For(p.models[mi]);
    const auto s0 = Clock::now();
    if (shared != nullptr && p.models[mi].reads_slot_counts) {
      if (shared->ballots == nullptr) *shared = TallyEverySlot(rb.ratings);
      input.slot_counts = shared;
    }
    results[mi] = p.models[mi].model->Score(input);
    out[mi].fit_seconds = Seconds(s0, Clock::now());
    // Only replicate 1's per-rater estimates are kept: free the others now
    // rather than after every model's metrics.
    if (r != 0) results[mi].rater_values = {};
    if (!p.truth.bloc_evaluees.empty()) {
      ModelInput base_input = nobloc.For(p.models[mi]);
      if (nobloc_counts != nullptr && p.models[mi].reads_slot_counts)
        base_input.slot_counts = nobloc_counts;
      ScoreResult base = p.models[mi].model->Score(base_input);
      base_ranks[mi] = CompetitionRanks(base.score, base.tiebreak);
    }
  }
}

// The shares of the top class that are truly top-k, and of the bottom
// classes that are truly bottom-k (NaN for an empty class).
std::pair<double, double> ClassPrecision(const ClassRules& rules, const Truth& truth,
                                         const ClassOutcome& c) {
  const std::string top_label = rules.TopLabel();
  double top_hit = 0, top_n = 0, bottom_hit = 0, bottom_n = 0;
  for (int e = 0; e < truth.n; ++e) {
    const std::string& l = c.labels[c.cls[e]];
    if (l == top_label) {
      top_n += 1;
      top_hit += truth.top[e];
    }
    if (rules.IsBottomLabel(l)) {
      bottom_n += 1;
      bottom_hit += truth.bottom[e];
    }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  return {top_n > 0 ? top_hit / top_n : nan, bottom_n > 0 ? bottom_hit / bottom_n : nan};
}

// The model's classes in one replicate, and their precision with and
// without the scenario's vetoes.
void ReplicateClasses(const RunPlan& p, const ReplicateBallots& rb, const SlotCounts& shared,
                      const VetoDraws& draws, const ClassRules& rules, const ScoreResult& sr,
                      ReplicateModel& out) {
  ClassInputs in;
  in.score = &sr.score;
  in.rank = &out.rank;
  in.ballots = &rb.ratings;
  in.slot_counts = shared.ballots != nullptr ? &shared : nullptr;
  in.units = &p.scopes;
  in.indicators = rb.indicators.NumIndicators() > 0 ? &rb.indicators : nullptr;
  in.veto_draws = &draws;
  ClassOutcome c = AssignClasses(rules, p.s.vetoes, in);
  std::tie(out.class_top, out.class_bottom) = ClassPrecision(rules, p.truth, c);
  if (!p.s.vetoes.empty())
    out.class_top_without_vetoes =
        ClassPrecision(rules, p.truth, AssignClasses(rules, {}, in)).first;
  out.classes = std::move(c.cls);
  out.class_labels = std::move(c.labels);
  if (rules.parent) {
    out.class_capped = std::accumulate(c.capped.begin(), c.capped.end(), 0.0) /
                       std::max<double>(1.0, static_cast<double>(c.capped.size()));
    out.parent_score = std::move(c.parent_score);
    out.parent_cls = std::move(c.parent_cls);
    out.parent_labels = std::move(c.parent_labels);
  }
}

// Replicate r's veto tallies: per veto, then any veto, the share of
// evaluees struck and of the truly top k.
void CountVetoes(const RunPlan& p, int r, const VetoDraws& draws, const IndicatorTable& ind,
                 ReplicateTallies& t) {
  const int n = p.truth.n;
  const std::vector<Veto>& vetoes = p.s.vetoes;
  std::vector<uint8_t> any(n, 0);
  const auto add = [&](const std::vector<uint8_t>& struck) {
    double count = 0, top = 0;
    for (int e = 0; e < n; ++e) {
      count += struck[e];
      top += struck[e] * p.truth.top[e];
    }
    t.veto_rate[r].push_back(count / n);
    t.veto_top[r].push_back(p.truth.k_top > 0 ? top / p.truth.k_top : 0.0);
  };
  for (size_t v = 0; v < vetoes.size(); ++v) {
    const std::vector<uint8_t> struck = VetoStrikes(vetoes[v], v, n, &draws, &ind);
    for (int e = 0; e < n; ++e) any[e] |= struck[e];
    add(struck);
  }
  add(any);
}

// One model's metrics in replicate r. One sort of the model's key serves
// ranks, Spearman, Kendall, top-k and bottom-k.
void ReplicateMetrics(const RunPlan& p, int r, const ReplicateBallots& rb, const SlotCounts& shared,
                      const VetoDraws& draws, const PreparedModel& model,
                      const std::vector<int>& base_ranks, ScoreResult& sr, ReplicateModel& out) {
  const Truth& truth = p.truth;
  const KeyOrder order = SortKey(sr.score, sr.tiebreak);
  out.rank = CompetitionRanks(order);
  out.spearman = SpearmanAgainstRanks(order, truth.ranks);
  out.kendall = KendallTauB(order, truth.tau);
  out.top = TopKMembership(order, truth.k_top);
  out.bottom = BottomKMembership(order, truth.k_bottom);
  out.topk = MembershipOverlap(out.top, truth.top, truth.k_top);
  const ClassRules& rules = model.entry->classes;
  if (!rules.Empty()) ReplicateClasses(p, rb, shared, draws, rules, sr, out);
  if (!truth.bloc_evaluees.empty()) {
    double gain = 0;
    for (int e : truth.bloc_evaluees) gain += base_ranks[e] - out.rank[e];
    out.bloc_gain = gain / static_cast<double>(truth.bloc_evaluees.size());
  }
  out.parameters = std::move(sr.parameters);
  if (r == 0) {
    out.notes = sr.notes;
    out.rater_values = std::move(sr.rater_values);
  }
  out.score = std::move(sr.score);
}

// Replicate r's ballots drawn with `setup` (all, or one part's), and their
// tallies in `t`.
void GenerateReplicate(const RunPlan& p, const GeneratorSetup& setup, int r, ReplicateBallots& rb,
                       ReplicateTallies& t) {
  const RatingBallots& b = rb.ratings;
  const auto g0 = Clock::now();
  rb.Generate(p.s, p.org, setup, r + p.replicate_offset, /*with_blocs=*/true);
  t.gen_seconds[r] = Seconds(g0, Clock::now());
  t.ballots[r] = b.NumBallots();
  CountGrades(b, r, t);
  if (!t.meetings.empty()) t.meetings[r] = std::move(rb.meetings);
  if (b.HasItems()) t.item_metrics[r] = ComputeItemMetrics(b);
}

// Replicate r scored with every model (and the bloc-free rerun's ballots
// drawn and scored), and what the metrics need recorded. With `split`, `rb`
// holds only process 0's part of the ballots and every model reads the
// merged counts.
void ScoreReplicate(const RunPlan& p, int r, ReplicateBallots& rb, MergedReplicate* split,
                    ReplicateTallies& t, std::vector<ReplicateModel>& out) {
  const int M = static_cast<int>(p.models.size());
  const RatingBallots& b = rb.ratings;
  const auto s0 = Clock::now();
  ReplicateBallots own_nobloc;
  ReplicateBallots& nobloc = split != nullptr ? split->nobloc : own_nobloc;
  if (split == nullptr && !p.truth.bloc_evaluees.empty())
    own_nobloc.Generate(p.s, p.org, p.setup, r + p.replicate_offset, /*with_blocs=*/false);
  std::vector<ScoreResult> results(M);
  std::vector<std::vector<int>> base_ranks(M);
  // The models that read every slot's grade counts, and the class gates on
  // votes, share one count of unweighted single-item ballots when two or
  // more of them read it.
  SlotCounts own;
  SlotCounts& shared = split != nullptr ? split->counts : own;
  const bool share = split != nullptr || (SlotCountReaders(p.s) >= 2 && Shareable(b));
  FitModels(p, r, rb, nobloc, results, base_ranks, out, share ? &shared : nullptr, split);
  if (share && shared.ballots == nullptr) shared = TallyEverySlot(b);
  VetoDraws draws;
  if (!p.s.vetoes.empty()) {
    draws = DrawVetoEvents(p.s.vetoes, p.truth.z, p.s.seed, r);
    CountVetoes(p, r, draws, rb.indicators, t);
  }
  // The metrics of the models are independent: they run in parallel (this
  // matters when there are fewer replicates than threads), each into its
  // own slot.
  ParallelFor(0, M, [&](int mi) {
    ReplicateMetrics(p, r, rb, shared, draws, p.models[mi], base_ranks[mi], results[mi], out[mi]);
  });
  t.score_seconds[r] = Seconds(s0, Clock::now());
}

// Replicate r: generates its ballots, scores them with every model and
// records what the metrics need.
void RunReplicate(const RunPlan& p, int r, ReplicateTallies& t, std::vector<ReplicateModel>& out) {
  ReplicateBallots rb;
  GenerateReplicate(p, p.setup, r, rb, t);
  ScoreReplicate(p, r, rb, nullptr, t, out);
}

// Every field of replicate r that RunReplicate fills, in one fixed order,
// each passed to `f`: PackReplicate writes them with it and UnpackReplicate
// reads them back, so the two sides cannot fall out of step. (The
// valid_per_slot sums travel apart, by SumToRoot.)
template <class Tallies, class Models, class F>
void ForEachReplicateField(Tallies& t, int r, Models& out, F&& f) {
  f(t.grade_counts[r]);
  f(t.dont_know[r]);
  f(t.ballots[r]);
  f(t.gen_seconds[r]);
  f(t.score_seconds[r]);
  f(t.veto_rate[r]);
  f(t.veto_top[r]);
  if (!t.meetings.empty()) f(t.meetings[r]);
  if (!t.item_metrics.empty()) f(t.item_metrics[r]);
  for (auto& m : out) {
    f(m.score);
    f(m.rank);
    f(m.classes);
    f(m.class_labels);
    f(m.top);
    f(m.bottom);
    f(m.parent_score);
    f(m.parent_cls);
    f(m.parent_labels);
    f(m.spearman);
    f(m.kendall);
    f(m.topk);
    f(m.class_top);
    f(m.class_bottom);
    f(m.class_top_without_vetoes);
    f(m.class_capped);
    f(m.bloc_gain);
    f(m.fit_seconds);
    f(m.notes);
    f(m.parameters);
    f(m.rater_values);
  }
}

// Replicate r's tallies and models' results as bytes (a process of an MPI
// job sends them to process 0), and back.
std::string PackReplicate(const ReplicateTallies& t, int r,
                          const std::vector<ReplicateModel>& out) {
  ByteWriter w;
  ForEachReplicateField(t, r, out, [&](const auto& x) { w.Put(x); });
  return w.Take();
}

void UnpackReplicate(std::string_view bytes, int r, ReplicateTallies& t,
                     std::vector<ReplicateModel>& out) {
  ByteReader in(bytes);
  ForEachReplicateField(t, r, out, [&](auto& x) { in.Get(x); });
  EVALSIM_CHECK(in.Done(), "replicate {}: bytes left over", r + 1);
}

// Adds every process's valid ballots per slot into process 0's.
void SumValidPerSlot(Distribution& d, ReplicateTallies& t) {
  std::vector<uint64_t> valid(t.valid_per_slot.size());
  for (size_t i = 0; i < valid.size(); ++i) valid[i] = t.valid_per_slot[i].load();
  d.SumToRoot(valid);
  if (d.IsRoot())
    for (size_t i = 0; i < valid.size(); ++i) t.valid_per_slot[i].store(valid[i]);
}

// The replicates spread over the processes of `d`: each runs its own
// (RunReplicate) and sends them; process 0 places every replicate's in
// `reps` and `t` as if it had run them all. False on the other processes
// (they have nothing left to do).
bool RunDistributed(Distribution& d, const RunPlan& plan, ReplicateTallies& t,
                    std::vector<std::vector<ReplicateModel>>& reps, Progress& progress) {
  const int R = static_cast<int>(reps.size());
  std::vector<std::string> bytes = DistributeItems(
      d, R,
      [&](int r) {
        RunReplicate(plan, r, t, reps[r]);
        std::string b = PackReplicate(t, r, reps[r]);
        reps[r] = std::vector<ReplicateModel>(reps[r].size());  // sent: free it
        progress.Advance();
        return b;
      },
      "replicate");
  SumValidPerSlot(d, t);
  if (!d.IsRoot()) return false;
  for (int r = 0; r < R; ++r) UnpackReplicate(bytes[r], r, t, reps[r]);
  return true;
}

// This process's part of a split replicate r (sim/run/split.h) as bytes:
// the grade counts of its evaluees' slots (then those of the bloc-free
// rerun's, with blocs), its meetings' outcomes (with meeting rules), then
// its tallies.
std::string PackPart(const RatingBallots& b, const RatingBallots* nobloc, const ReplicatePart& part,
                     int r, const ReplicateTallies& t) {
  ByteWriter w;
  w.Put(PartSlotCounts(b, part));
  if (nobloc != nullptr) w.Put(PartSlotCounts(*nobloc, part));
  if (!t.meetings.empty())
    w.Put(std::vector<MeetingOutcome>(t.meetings[r].begin() + part.first_meeting,
                                      t.meetings[r].begin() + part.end_meeting));
  w.Put(t.grade_counts[r]);
  w.Put(t.dont_know[r]);
  w.Put(t.ballots[r]);
  w.Put(t.gen_seconds[r]);
  return w.Take();
}

// Reads one part's slot counts into their place in `all`.
void PlacePartCounts(ByteReader& in, const ReplicatePart& part, size_t per_evaluee,
                     SlotCounts& all) {
  std::vector<uint32_t> counts;
  in.Get(counts);
  EVALSIM_CHECK(counts.size() == (part.end_evaluee - part.first_evaluee) * per_evaluee,
                "a part of {} slot counts", counts.size());
  std::copy(counts.begin(), counts.end(), all.counts.begin() + part.first_evaluee * per_evaluee);
}

// Every part of split replicate r, in part order, merged on process 0 into
// `m` (whose counts are of ballots `b` and m.nobloc, process 0's part) and
// the parts' summed tallies into `t`; each part's bytes are freed once
// read. The tallies are counts of ballots, so their sums are exact in any
// order.
void MergeParts(std::vector<std::string>& bytes, const std::vector<ReplicatePart>& parts,
                const RatingBallots& b, bool blocs, int r, ReplicateTallies& t,
                MergedReplicate& m) {
  const size_t per_evaluee = static_cast<size_t>(b.NumGroups()) * b.levels;
  m.counts.ballots = &b;
  m.counts.counts.assign(b.NumRatees() * per_evaluee, 0);
  if (blocs) {
    m.nobloc_counts.ballots = &m.nobloc.ratings;
    m.nobloc_counts.counts.assign(b.NumRatees() * per_evaluee, 0);
  }
  std::fill(t.grade_counts[r].begin(), t.grade_counts[r].end(), 0.0);
  std::fill(t.dont_know[r].begin(), t.dont_know[r].end(), 0.0);
  t.ballots[r] = 0;
  t.gen_seconds[r] = 0;
  const auto add = [](std::vector<double>& to, const std::vector<double>& v) {
    EVALSIM_CHECK(to.size() == v.size(), "part tallies of {} values, expected {}", v.size(),
                  to.size());
    for (size_t i = 0; i < v.size(); ++i) to[i] += v[i];
  };
  for (size_t k = 0; k < parts.size(); ++k) {
    ByteReader in(bytes[k]);
    PlacePartCounts(in, parts[k], per_evaluee, m.counts);
    if (blocs) PlacePartCounts(in, parts[k], per_evaluee, m.nobloc_counts);
    if (!t.meetings.empty()) {
      std::vector<MeetingOutcome> outcomes;
      in.Get(outcomes);
      EVALSIM_CHECK(
          outcomes.size() == static_cast<size_t>(parts[k].end_meeting - parts[k].first_meeting),
          "part {}: {} meeting outcomes", k + 1, outcomes.size());
      std::copy(outcomes.begin(), outcomes.end(), t.meetings[r].begin() + parts[k].first_meeting);
    }
    std::vector<double> grades, dont_know;
    uint64_t ballots = 0;
    double seconds = 0;
    in.Get(grades);
    in.Get(dont_know);
    in.Get(ballots);
    in.Get(seconds);
    EVALSIM_CHECK(in.Done(), "part {}: bytes left over", k + 1);
    std::string().swap(bytes[k]);  // placed: free it
    add(t.grade_counts[r], grades);
    add(t.dont_know[r], dont_know);
    t.ballots[r] += ballots;
    t.gen_seconds[r] = std::max(t.gen_seconds[r], seconds);  // the parts draw at once
  }
}

// A model's result on this process's part (ModelPart) as bytes: its entries
// of the part's ratees and, with `raters`, of the part's raters.
std::string PackFitPart(const ScoreResult& res, const ReplicatePart& part, bool raters) {
  ByteWriter w;
  const auto segment = [&](const Eigen::VectorXd& v, Eigen::Index from, Eigen::Index to) {
    w.Put(v.size() == 0 ? Eigen::VectorXd() : Eigen::VectorXd(v.segment(from, to - from)));
  };
  for (const Eigen::VectorXd* v : {&res.score, &res.tiebreak, &res.se})
    segment(*v, part.first_evaluee, part.end_evaluee);
  if (raters)
    for (const auto& values : res.rater_values)
      segment(values.second, part.first_rater, part.end_rater);
  return w.Take();
}

// Places a part's entries (PackFitPart) in process 0's result.
void PlaceFitPart(std::string_view bytes, const ReplicatePart& part, bool raters,
                  ScoreResult& res) {
  ByteReader in(bytes);
  const auto place = [&](Eigen::VectorXd& v, Eigen::Index from, Eigen::Index to) {
    Eigen::VectorXd segment;
    in.Get(segment);
    if (v.size() == 0 && segment.size() == 0) return;
    EVALSIM_CHECK(segment.size() == to - from && v.size() >= to, "a part's {} of {} values",
                  segment.size(), v.size());
    v.segment(from, to - from) = segment;
  };
  for (Eigen::VectorXd* v : {&res.score, &res.tiebreak, &res.se})
    place(*v, part.first_evaluee, part.end_evaluee);
  if (raters)
    for (auto& values : res.rater_values) place(values.second, part.first_rater, part.end_rater);
  EVALSIM_CHECK(in.Done(), "a part's fit: bytes left over");
}

// The models fitted by parts (ModelSpec::fits_parts) on split replicate r:
// every process fits its part at the same time (the fits exchange their
// sums), then sends process 0 its ratees' scores and, in replicate 1, its
// raters' estimates; process 0 places them in its own results (m.fitted).
void FitParts(Distribution& d, const RunPlan& p, int r, const std::vector<ReplicatePart>& parts,
              ReplicateBallots& rb, MergedReplicate& m) {
  const int M = static_cast<int>(p.models.size());
  m.fitted.assign(M, std::nullopt);
  m.fit_seconds.assign(M, 0.0);
  const ReplicatePart& mine = parts[d.Rank()];
  const ModelPart part{&d, mine.first_evaluee, mine.end_evaluee, mine.first_rater, mine.end_rater};
  for (int mi = 0; mi < M; ++mi) {
    if (!p.models[mi].fits_parts) continue;
    ModelInput input = rb.For(p.models[mi]);
    input.part = &part;
    const auto s0 = Clock::now();
    ScoreResult res = p.models[mi].model->Score(input);
    m.fit_seconds[mi] = Seconds(s0, Clock::now());
    const std::string packed = PackFitPart(res, mine, r == 0);
    const std::vector<std::string> bytes = DistributeItems(
        d, d.Size(), [&](int) { return packed; },
        fmt::format("replicate {} {} part", r + 1, p.models[mi].entry->name));
    if (!d.IsRoot()) continue;
    for (size_t k = 0; k < parts.size(); ++k) PlaceFitPart(bytes[k], parts[k], r == 0, res);
    m.fitted[mi] = std::move(res);
  }
}

// The replicates one after the other, each split over the processes of `d`
// by top-level units (sim/run/split.h): every process draws and counts its
// part (and its part of the bloc-free rerun); process 0 merges the parts and
// scores the replicate. False on the other processes.
bool RunSplit(Distribution& d, const RunPlan& p, ReplicateTallies& t,
              std::vector<std::vector<ReplicateModel>>& reps, Progress& progress) {
  const std::vector<ReplicatePart> parts = SplitByTopLevel(p.org, d.Size());
  const ReplicatePart& mine = parts[d.Rank()];
  GeneratorSetup setup = p.setup;
  setup.first_meeting = mine.first_meeting;
  setup.end_meeting = mine.end_meeting;
  const bool blocs = !p.truth.bloc_evaluees.empty();
  for (int r = 0; r < static_cast<int>(reps.size()); ++r) {
    ReplicateBallots rb;
    MergedReplicate merged;
    std::vector<std::string> bytes = DistributeItems(
        d, d.Size(),
        [&](int) {
          GenerateReplicate(p, setup, r, rb, t);
          if (blocs) merged.nobloc.Generate(p.s, p.org, setup, r + p.replicate_offset, false);
          return PackPart(rb.ratings, blocs ? &merged.nobloc.ratings : nullptr, mine, r, t);
        },
        fmt::format("replicate {} part", r + 1));
    FitParts(d, p, r, parts, rb, merged);
    OnRoot(d, [&] {
      MergeParts(bytes, parts, rb.ratings, blocs, r, t, merged);
      ScoreReplicate(p, r, rb, &merged, t, reps[r]);
      return std::string();
    });
    progress.Advance();
  }
  SumValidPerSlot(d, t);
  return d.IsRoot();
}

// Shares of valid ballots per grade, and the abstaining share of all,
// overall and per rater group.
// With named scales, also the "don't know" share of all ballots per group;
// the overall shares are then those of the groups on the main scale.
void GradeShares(const Scenario& s, const ReplicateTallies& t, int R, RunResult& result) {
  const size_t G = t.G, K1 = t.K1;
  const auto shares = [&](const std::vector<double>& counts, double dk, std::vector<double>* grade,
                          double* abstain, double* dont_know) {
    double valid = 0;
    for (size_t k = 0; k + 1 < K1; ++k) valid += counts[k];
    grade->clear();
    for (size_t k = 0; k + 1 < K1; ++k) grade->push_back(valid > 0 ? counts[k] / valid : 0.0);
    const double all = valid + counts[K1 - 1] + dk;
    *abstain = all > 0 ? counts[K1 - 1] / all : 0.0;
    *dont_know = all > 0 ? dk / all : 0.0;
  };
  std::vector<double> total(K1, 0);
  double dk_share = 0;
  result.grade_share_by_group.resize(G);
  result.abstain_share_by_group.resize(G);
  if (s.GroupScales()) result.dont_know_share_by_group.resize(G);
  for (size_t grp = 0; grp < G; ++grp) {
    std::vector<double> counts(K1, 0);
    double dk = 0;
    for (int r = 0; r < R; ++r) {
      for (size_t k = 0; k < K1; ++k) counts[k] += t.grade_counts[r][grp * K1 + k];
      dk += t.dont_know[r][grp];
    }
    // The overall shares are those of the main scale's groups.
    if (s.raters[grp].scale < 0)
      for (size_t k = 0; k < K1; ++k) total[k] += counts[k];
    shares(counts, dk, &result.grade_share_by_group[grp], &result.abstain_share_by_group[grp],
           s.GroupScales() ? &result.dont_know_share_by_group[grp] : &dk_share);
  }
  shares(total, 0.0, &result.grade_share, &result.abstain_share, &dk_share);
}

// The veto metrics over replicates, per veto and then for any veto.
void VetoMetrics(const Scenario& s, const ReplicateTallies& t, RunResult& result) {
  if (s.vetoes.empty()) return;
  const size_t R = t.veto_rate.size();
  for (size_t v = 0; v <= s.vetoes.size(); ++v) {
    std::vector<double> rate, top;
    for (size_t r = 0; r < R; ++r) {
      rate.push_back(t.veto_rate[r][v]);
      top.push_back(t.veto_top[r][v]);
    }
    std::vector<MetricRow> rows;
    AddShareMean(rows, "rate", rate);
    AddShareMean(rows, "p_veto_if_top", top);
    result.veto_metrics.emplace_back(v < s.vetoes.size() ? s.vetoes[v].name : "any",
                                     std::move(rows));
  }
}

// The item metrics (sim/core/item_metrics.h) with 95 % intervals over
// replicates.
void ItemSummary(const Scenario& s, const ReplicateTallies& t, RunResult& result) {
  if (t.item_metrics.empty()) return;
  for (const ItemSpec& item : s.items) result.item_names.push_back(item.name);
  std::vector<double> correlation, alpha;
  for (const ItemMetrics& m : t.item_metrics) {
    correlation.push_back(m.within_rater_correlation);
    alpha.push_back(m.cronbach_alpha);
  }
  result.item_correlation = IntervalOf(correlation);
  result.item_alpha = IntervalOf(alpha);
}

std::vector<Strata> MakeStrata(const Scenario& s, const Organisation& org,
                               const ReplicateTallies& t, int R, std::vector<std::string>* notes) {
  std::vector<uint64_t> valid(t.valid_per_slot.size());
  for (size_t i = 0; i < valid.size(); ++i) valid[i] = t.valid_per_slot[i].load();
  std::vector<std::string> groups;
  for (const auto& g : s.raters) groups.push_back(g.group);
  return FairnessStrata(valid, R, groups, org.type, org.type_names, notes);
}

// Per-replicate values of one model gathered over replicates, in replicate
// order.
struct ModelSeries {
  std::vector<double> spearman, kendall, topk, ctop, cbottom, ctop_free, capped, gain;
  Eigen::MatrixXd rank_matrix;  // [evaluee, replicate]
};

// Gathers model mi's replicates into `series` and `mo` (sums, in replicate
// order), and its errors into `errors`.
void GatherReplicates(std::vector<std::vector<ReplicateModel>>& reps, int mi, int n,
                      const FairnessTruth& fairness_truth, ModelSeries& series, ModelOutcome& mo,
                      ErrorSums& errors) {
  const int R = static_cast<int>(reps.size());
  series.rank_matrix.resize(n, R);
  mo.mean_score = Eigen::VectorXd::Zero(n);
  mo.p_top = Eigen::VectorXd::Zero(n);
  mo.p_bottom = Eigen::VectorXd::Zero(n);
  mo.p_top_class = Eigen::VectorXd::Zero(n);
  for (int r = 0; r < R; ++r) {
    ReplicateModel& rm = reps[r][mi];
    series.spearman.push_back(rm.spearman);
    series.kendall.push_back(rm.kendall);
    series.topk.push_back(rm.topk);
    series.ctop.push_back(rm.class_top);
    series.cbottom.push_back(rm.class_bottom);
    series.ctop_free.push_back(rm.class_top_without_vetoes);
    series.capped.push_back(rm.class_capped);
    series.gain.push_back(rm.bloc_gain);
    mo.fit_seconds.push_back(rm.fit_seconds);
    mo.parameters.push_back(std::move(rm.parameters));
    for (int e = 0; e < n; ++e) series.rank_matrix(e, r) = rm.rank[e];
    mo.mean_score += rm.score;
    mo.p_top += rm.top;
    mo.p_bottom += rm.bottom;
    errors.Add(fairness_truth, rm.rank, rm.top, rm.bottom);
  }
}

// Mean rank and its 5% and 95% quantiles per evaluee.
void RankSummaries(const Eigen::MatrixXd& rank_matrix, ModelOutcome& mo) {
  const Eigen::Index n = rank_matrix.rows();
  const Eigen::Index R = rank_matrix.cols();
  mo.mean_rank = rank_matrix.rowwise().mean();
  mo.rank_lo.resize(n);
  mo.rank_hi.resize(n);
  std::vector<double> row(R);
  for (Eigen::Index e = 0; e < n; ++e) {
    // Ranks are integers (never NaN): one sort serves both quantiles.
    for (Eigen::Index r = 0; r < R; ++r) row[r] = rank_matrix(e, r);
    std::sort(row.begin(), row.end());
    mo.rank_lo[e] = SortedQuantile(row, 0.05);
    mo.rank_hi[e] = SortedQuantile(row, 0.95);
  }
}

// stability.*: disjoint pairs of replicates (0,1), (2,3), ... are
// independent.
void AddStability(const std::vector<std::vector<ReplicateModel>>& reps, int mi, int n,
                  const Eigen::MatrixXd& rank_matrix, std::vector<MetricRow>& metrics) {
  const int R = static_cast<int>(reps.size());
  std::vector<double> stab, jac;
  for (int r = 0; r + 1 < R; r += 2) {
    Eigen::VectorXd a(n), b(n);
    for (int e = 0; e < n; ++e) {
      a[e] = -reps[r][mi].rank[e];
      b[e] = -reps[r + 1][mi].rank[e];
    }
    stab.push_back(KendallTauB(a, b));
    jac.push_back(WeightedJaccard(reps[r][mi].top, reps[r + 1][mi].top));
  }
  AddMean(metrics, "stability.kendall", stab);
  AddMean(metrics, "stability.topk_jaccard", jac);
  metrics.push_back({"stability.rank_interval", RankIntervalWidth(rank_matrix)});
}

// How often each evaluee is in the top class; keeps every replicate's
// classes, and sums them up per unit.
void TopClassShares(const RunPlan& p, std::vector<std::vector<ReplicateModel>>& reps, int mi,
                    const ClassRules& rules, ModelOutcome& mo) {
  const int R = static_cast<int>(reps.size()), n = p.truth.n;
  mo.top_class = rules.TopLabel();
  for (int r = 0; r < R; ++r) {
    const auto& cls = reps[r][mi].classes;
    for (int e = 0; e < n; ++e)
      if (mo.class_labels[cls[e]] == mo.top_class) mo.p_top_class[e] += 1.0;
  }
  mo.p_top_class /= R;
  for (int r = 0; r < R; ++r) mo.classes.push_back(std::move(reps[r][mi].classes));
  mo.units = UnitOutcomes(p.org, p.truth.order, mo.classes, mo.class_labels, mo.top_class);
}

// With a parent level: the units' mean score over replicates and how often
// each got each class (parents.csv).
void ParentClasses(const RunPlan& p, const std::vector<std::vector<ReplicateModel>>& reps, int mi,
                   const LinkedClasses& linked, ModelOutcome& mo) {
  const int R = static_cast<int>(reps.size());
  ParentOutcome& out = mo.parent;
  out.level = linked.level;
  out.labels = ClassLabels(linked.rules, {});
  const int units = static_cast<int>(reps[0][mi].parent_score.size());
  out.score = Eigen::VectorXd::Zero(units);
  out.share = Eigen::MatrixXd::Zero(units, static_cast<Eigen::Index>(out.labels.size()));
  for (int r = 0; r < R; ++r) {
    const ReplicateModel& rm = reps[r][mi];
    EVALSIM_CHECK(
        static_cast<int>(rm.parent_score.size()) == units && rm.parent_labels == out.labels,
        "replicate {}: parent units or labels differ", r + 1);
    for (int u = 0; u < units; ++u) {
      out.score[u] += rm.parent_score[u];
      out.share(u, rm.parent_cls[u]) += 1.0;
    }
  }
  out.score /= R;
  out.share /= R;
  const auto& levels = p.org.unit_levels;
  const int l =
      static_cast<int>(std::find(levels.begin(), levels.end(), linked.level) - levels.begin());
  for (int u = 0; u < units; ++u) out.units.push_back(p.org.UnitName(l, u));
}

// Model mi's outcome over every replicate, and its fairness rows.
ModelOutcome ReduceModel(const RunPlan& p, std::vector<std::vector<ReplicateModel>>& reps, int mi,
                         const FairnessTruth& fairness_truth, const std::vector<Strata>& strata,
                         bool keep_scores, std::vector<FairnessRow>* fairness_rows) {
  const int R = static_cast<int>(reps.size()), n = p.truth.n;
  const PreparedModel& model = p.models[mi];
  ModelOutcome mo;
  ErrorSums errors(n);
  mo.name = model.entry->name;
  mo.model = model.entry->model;
  mo.notes = reps[0][mi].notes;
  mo.rater_values = std::move(reps[0][mi].rater_values);
  mo.class_labels = reps[0][mi].class_labels;
  ModelSeries series;
  GatherReplicates(reps, mi, n, fairness_truth, series, mo, errors);
  *fairness_rows = FairnessTable(mo.name, errors, fairness_truth, strata);
  mo.mean_score /= R;
  mo.p_top /= R;
  mo.p_bottom /= R;
  RankSummaries(series.rank_matrix, mo);
  AddMean(mo.metrics, "accuracy.spearman", series.spearman);
  AddMean(mo.metrics, "accuracy.kendall", series.kendall);
  AddMean(mo.metrics, "topk.precision", series.topk);
  if (R >= 2) AddStability(reps, mi, n, series.rank_matrix, mo.metrics);
  AddMean(mo.metrics, "class.top_precision", series.ctop);
  AddMean(mo.metrics, "class.bottom_precision", series.cbottom);
  AddShareMean(mo.metrics, "class.capped", series.capped);
  AddMean(mo.metrics, "robustness.bloc_gain", series.gain);
  if (!p.s.vetoes.empty()) {
    AddMean(mo.veto_metrics, "class.top_precision", series.ctop);
    AddMean(mo.veto_metrics, "class.top_precision_without_vetoes", series.ctop_free);
  }
  if (!model.entry->classes.Empty()) TopClassShares(p, reps, mi, model.entry->classes, mo);
  if (model.entry->classes.parent) ParentClasses(p, reps, mi, *model.entry->classes.parent, mo);
  for (int r = 0; r < R; ++r) {
    mo.ranks.push_back(std::move(reps[r][mi].rank));
    if (keep_scores) mo.scores.push_back(std::move(reps[r][mi].score));
    reps[r][mi].score = Eigen::VectorXd();
  }
  return mo;
}

// Models reduce independently, in parallel, each into its own slot; the
// slots are appended in scenario order.
void ReduceModels(const RunPlan& p, std::vector<std::vector<ReplicateModel>>& reps,
                  const ReplicateTallies& t, bool keep_scores, RunResult& result) {
  const int R = static_cast<int>(reps.size()), M = static_cast<int>(p.models.size());
  const Truth& truth = p.truth;
  const FairnessTruth fairness_truth =
      MakeFairnessTruth(truth.quality, truth.k_top, truth.k_bottom);
  const std::vector<Strata> strata = MakeStrata(p.s, p.org, t, R, &result.fairness_notes);
  for (const Strata& st : strata) result.fairness_dimensions.push_back(st.dimension);
  std::vector<ModelOutcome> outcomes(M);
  std::vector<std::vector<FairnessRow>> fairness_rows(M);
  ParallelFor(0, M, [&](int mi) {
    outcomes[mi] =
        ReduceModel(p, reps, mi, fairness_truth, strata, keep_scores, &fairness_rows[mi]);
  });
  for (int mi = 0; mi < M; ++mi) {
    result.fairness.insert(result.fairness.end(), fairness_rows[mi].begin(),
                           fairness_rows[mi].end());
    result.models.push_back(std::move(outcomes[mi]));
  }
}

// The [uncertainty] analysis, on replicate 1's ballots.
void RunScenarioUncertainty(const RunPlan& p, const ModelContext& ctx, RunResult& result) {
  const Scenario& s = p.s;
  const auto u0 = Clock::now();
  for (const PreparedModel& m : p.models) {
    if (m.entry->name != s.uncertainty.model) continue;
    ReplicateBallots rb;
    rb.Generate(s, p.org, p.setup, 0, /*with_blocs=*/true);
    result.uncertainty = RunUncertainty(s.uncertainty, *m.entry, rb.For(m), ctx, s.seed, 0, s.file);
  }
  result.seconds_uncertainty = Seconds(u0, Clock::now());
}

}  // namespace

RunResult RunScenario(const Scenario& s, int threads, const RunConfig& config) {
  RunResult result;
  result.threads = ThreadCount(threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, result.threads);

  const auto t0 = Clock::now();
  result.organisation = BuildOrganisation(s);
  const Organisation& org = result.organisation;
  const GeneratorSetup setup = MakeGeneratorSetup(s, org);
  result.cuts = setup.cuts;
  const auto t1 = Clock::now();
  result.seconds_organisation = Seconds(t0, t1);

  const ModelContext ctx = ModelContextOf(s);
  const std::vector<PreparedModel> models = PrepareModels(s, ctx);
  const int R = s.replicates, M = static_cast<int>(models.size());
  Distribution& d = OrSingle(config.distribution);
  // The processes other than 0 of a split run only draw and count.
  const bool scores = d.IsRoot() || !config.split_replicates;
  const Truth truth = MakeTruth(s, org, scores);
  const UnitColumns scopes = scores ? ScopeColumns(org) : UnitColumns{};
  const RunPlan plan{s, org, setup, models, truth, scopes, config.replicate_offset};

  std::vector<std::vector<ReplicateModel>> reps(R, std::vector<ReplicateModel>(M));
  ReplicateTallies tallies(s, truth.n, R);
  Progress progress("replicates", R, config.progress);
  if (config.split_replicates) {
    CheckSplittable(s);
    if (!RunSplit(d, plan, tallies, reps, progress)) return result;
  } else if (d.Size() > 1) {
    if (!RunDistributed(d, plan, tallies, reps, progress)) return result;
  } else {
    ParallelFor(0, R, [&](int r) {
      if (Interrupted()) return;  // unwinds below, after the workers stop
      RunReplicate(plan, r, tallies, reps[r]);
      progress.Advance();
    });
    ThrowIfInterrupted();
  }
  const auto t2 = Clock::now();

  // Reduce in replicate order.
  for (int r = 0; r < R; ++r) {
    result.ballots_total += tallies.ballots[r];
    result.seconds_generate += tallies.gen_seconds[r];
    result.seconds_score += tallies.score_seconds[r];
  }
  GradeShares(s, tallies, R, result);
  VetoMetrics(s, tallies, result);
  result.meeting_outcomes = std::move(tallies.meetings);
  ItemSummary(s, tallies, result);
  ReduceModels(plan, reps, tallies, config.keep_scores, result);
  result.seconds_metrics = Seconds(t2, Clock::now());

  if (!s.uncertainty.model.empty()) RunScenarioUncertainty(plan, ctx, result);
  return result;
}

}  // namespace evalsim
