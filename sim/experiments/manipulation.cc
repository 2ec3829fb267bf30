#include "sim/experiments/manipulation.h"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <utility>

#include "models/registry.h"
#include "sim/core/check.h"
#include "sim/core/errors.h"
#include "sim/core/interrupt.h"
#include "sim/core/metrics.h"
#include "sim/core/parallel.h"
#include "sim/core/progress.h"
#include "sim/core/rng.h"
#include "sim/io/csv_write.h"
#include "sim/simulate/generator.h"
#include "sim/simulate/indicator_gen.h"

namespace evalsim {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// NaN sorts lowest, as in CompetitionRanks.
double Finite(double x) { return std::isnan(x) ? kNegInf : x; }
// a - b with NaN (inf - inf) read as "no difference".
double Diff(double a, double b) {
  const double d = Finite(a) - Finite(b);
  return std::isnan(d) ? 0.0 : d;
}

// (score difference, tiebreak difference), compared lexicographically.
struct Margin {
  double score = 0.0, tiebreak = 0.0;
};
bool Greater(const Margin& a, const Margin& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.tiebreak > b.tiebreak;
}

// Every ballot word a rater's switch changes, grouped by eligible rater
// (eligible raters in increasing id).
struct Switches {
  std::vector<uint32_t> rater;        // per eligible rater: its id
  std::vector<size_t> begin{0};       // per eligible rater: its changes
  std::vector<uint64_t> index;        // ballot index
  std::vector<uint32_t> word, saved;  // new word, honest word

  int Size() const { return static_cast<int>(rater.size()); }
  void Apply(RatingBallots& b, int i) const {
    for (size_t c = begin[i]; c < begin[i + 1]; ++c) b.ballot[index[c]] = word[c];
  }
  void Undo(RatingBallots& b, int i) const {
    for (size_t c = begin[i]; c < begin[i + 1]; ++c) b.ballot[index[c]] = saved[c];
  }
};

// Only raters in [first, first + count) switch.
Switches BuildSwitches(const RatingBallots& b, int target, const ManipulationOptions& o,
                       uint32_t first, uint32_t count) {
  const int n = b.NumRatees(), G = b.NumGroups();
  const uint8_t top = static_cast<uint8_t>(std::max(0, b.levels - 1));
  struct Change {
    uint32_t rater;
    uint64_t index;
    uint32_t word;
  };
  std::vector<Change> changes;
  for (int e = 0; e < n; ++e) {
    const bool is_target = e == target;
    if (!is_target && !o.bury) continue;
    const uint8_t grade = is_target ? top : 0;
    for (int g = 0; g < G; ++g) {
      const int slot = b.Slot(e, g);
      for (uint64_t i = b.slot_begin[slot]; i < b.slot_begin[slot + 1]; ++i) {
        const uint32_t w = b.ballot[i];
        if (BallotGrade(w) == grade || BallotRater(w) - first >= count) continue;
        changes.push_back({BallotRater(w), i, PackBallot(BallotRater(w), grade)});
      }
    }
  }
  std::stable_sort(changes.begin(), changes.end(),
                   [](const Change& x, const Change& y) { return x.rater < y.rater; });
  Switches s;
  for (size_t c = 0; c < changes.size(); ++c) {
    if (c == 0 || changes[c].rater != changes[c - 1].rater) {
      if (c > 0) s.begin.push_back(s.index.size());
      s.rater.push_back(changes[c].rater);
    }
    s.index.push_back(changes[c].index);
    s.word.push_back(changes[c].word);
    s.saved.push_back(b.ballot[changes[c].index]);
  }
  if (!changes.empty()) s.begin.push_back(s.index.size());
  return s;
}

// A class goal: the rules, and the label to get (or to escape).
struct ClassGoal {
  const ClassGoalContext* ctx = nullptr;
  std::string label;
  bool escape = false;
};

// The classes of the universe's evaluees for one fit.
ClassOutcome ClassesOf(const ClassGoalContext& ctx, const RatingBallots& b, const ScoreResult& r) {
  const std::vector<int> rank = CompetitionRanks(r.score, r.tiebreak);
  ClassInputs in;
  in.score = &r.score;
  in.rank = &rank;
  in.ballots = &b;
  in.units = ctx.units;
  in.indicators = ctx.indicators;
  in.veto_draws = ctx.draws;
  return AssignClasses(*ctx.rules, ctx.vetoes, in);
}

// The search state for one target: the goal test and the margin.
class Search {
 public:
  Search(const Model& model, RatingBallots& b, int target, int goal_rank, int64_t* fits,
         const ClassGoal* cls = nullptr, const IndicatorTable* indicators = nullptr)
      : model_(model),
        b_(b),
        target_(target),
        goal_rank_(goal_rank),
        fits_(fits),
        cls_(cls),
        indicators_(indicators) {}

  ScoreResult Fit() {
    ++*fits_;
    ModelInput in{&b_};
    in.indicators = indicators_;
    return model_.Score(in);
  }
  bool Reached(const ScoreResult& r) const {
    if (cls_) {
      const ClassOutcome c = ClassesOf(*cls_->ctx, b_, r);
      return (c.labels[c.cls[target_]] == cls_->label) != cls_->escape;
    }
    return CompetitionRanks(r.score, r.tiebreak)[target_] <= goal_rank_;
  }
  // Target minus the goal_rank-th best rival (see the header).
  Margin MarginOf(const ScoreResult& r) const {
    if (cls_) return ClassMargin(r);
    const bool tb = r.tiebreak.size() > 0;
    const auto better = [&](int x, int y) {
      const double sx = Finite(r.score[x]), sy = Finite(r.score[y]);
      if (sx != sy) return sx > sy;
      return tb && Finite(r.tiebreak[x]) > Finite(r.tiebreak[y]);
    };
    rivals_.clear();
    for (int e = 0; e < b_.NumRatees(); ++e)
      if (e != target_) rivals_.push_back(e);
    const size_t at = static_cast<size_t>(goal_rank_ - 1);
    if (at >= rivals_.size()) return {std::numeric_limits<double>::infinity(), 0.0};
    std::nth_element(rivals_.begin(), rivals_.begin() + static_cast<std::ptrdiff_t>(at),
                     rivals_.end(), better);
    const int rival = rivals_[at];
    Margin m;
    m.score = Diff(r.score[target_], r.score[rival]);
    if (tb) m.tiebreak = Diff(r.tiebreak[target_], r.tiebreak[rival]);
    return m;
  }

 private:
  // Target minus the mean of the other evaluees of its scope unit (finite
  // values only; see the header).
  Margin ClassMargin(const ScoreResult& r) const {
    const ClassRules& rules = *cls_->ctx->rules;
    const std::vector<int>* unit = rules.Scoped() ? cls_->ctx->units->Find(rules.within) : nullptr;
    const bool tb = r.tiebreak.size() > 0;
    double sum = 0, sum_tb = 0, count = 0;
    for (int e = 0; e < b_.NumRatees(); ++e) {
      if (e == target_ || (unit && (*unit)[e] != (*unit)[target_])) continue;
      if (!std::isfinite(r.score[e])) continue;
      sum += r.score[e];
      if (tb && std::isfinite(r.tiebreak[e])) sum_tb += r.tiebreak[e];
      count += 1;
    }
    Margin m;
    m.score = count > 0 ? Diff(r.score[target_], sum / count) : Finite(r.score[target_]);
    if (tb) m.tiebreak = count > 0 ? Diff(r.tiebreak[target_], sum_tb / count) : 0.0;
    return m;
  }

  const Model& model_;
  RatingBallots& b_;
  int target_, goal_rank_;
  int64_t* fits_;
  const ClassGoal* cls_;
  const IndicatorTable* indicators_;
  mutable std::vector<int> rivals_;
};

// Smallest subset (by size) of the switches that reaches the goal; -1 when
// none does. Returns -2 when interrupted.
int ExactSearch(Search& search, RatingBallots& b, const Switches& sw) {
  const int E = sw.Size();
  const uint64_t end = uint64_t{1} << E;
  int64_t trials = 0;
  for (int size = 1; size <= E; ++size) {
    uint64_t mask = (uint64_t{1} << size) - 1;
    while (mask < end) {
      if ((++trials & 255) == 0 && Interrupted()) return -2;
      for (int i = 0; i < E; ++i)
        if (mask >> i & 1) sw.Apply(b, i);
      const bool ok = search.Reached(search.Fit());
      for (int i = 0; i < E; ++i)
        if (mask >> i & 1) sw.Undo(b, i);
      if (ok) return size;
      // Gosper's hack: the next larger mask with the same number of bits.
      const uint64_t low = mask & (~mask + 1);
      const uint64_t ripple = mask + low;
      mask = (((ripple ^ mask) >> 2) / low) | ripple;
    }
  }
  return -1;
}

int GreedySearch(Search& search, RatingBallots& b, const Switches& sw, const ScoreResult& honest) {
  const int E = sw.Size();
  const Margin base = search.MarginOf(honest);
  std::vector<Margin> gain(E);
  for (int i = 0; i < E; ++i) {
    if ((i & 63) == 63 && Interrupted()) return -2;
    sw.Apply(b, i);
    const Margin m = search.MarginOf(search.Fit());
    sw.Undo(b, i);
    gain[i] = {Diff(m.score, base.score), Diff(m.tiebreak, base.tiebreak)};
  }
  std::vector<int> order(E);
  std::iota(order.begin(), order.end(), 0);  // eligible raters in id order
  std::stable_sort(order.begin(), order.end(),
                   [&](int x, int y) { return Greater(gain[x], gain[y]); });
  int cost = -1;
  int applied = 0;
  for (; applied < E; ++applied) {
    if ((applied & 63) == 63 && Interrupted()) break;
    sw.Apply(b, order[applied]);
    if (search.Reached(search.Fit())) {
      cost = applied + 1;
      ++applied;
      break;
    }
  }
  for (int i = 0; i < applied; ++i) sw.Undo(b, order[i]);
  if (cost < 0 && Interrupted()) return -2;
  return cost;
}

}  // namespace

void ParseManipulationGoal(const std::string& text, ManipulationOptions* o) {
  if (text == "top") {
    o->goal = ManipulationGoal::kTop;
    return;
  }
  const std::string prefix = "positions=";
  if (text.rfind(prefix, 0) == 0) {
    const std::string digits = text.substr(prefix.size());
    int p = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p);
    if (!digits.empty() && ec == std::errc() && end == digits.data() + digits.size() && p >= 1) {
      o->goal = ManipulationGoal::kPositions;
      o->positions = p;
      return;
    }
  }
  for (const auto& [name, goal] : {std::pair{std::string("class="), ManipulationGoal::kClass},
                                   std::pair{std::string("escape="), ManipulationGoal::kEscape}}) {
    if (text.rfind(name, 0) == 0 && text.size() > name.size()) {
      o->goal = goal;
      o->label = text.substr(name.size());
      return;
    }
  }
  throw InputError(
      fmt::format("--goal {}: expected top, positions=P with P a positive integer (e.g. "
                  "positions=2), class=LABEL or escape=LABEL",
                  text));
}

std::string ManipulationGoalName(const ManipulationOptions& o) {
  switch (o.goal) {
    case ManipulationGoal::kTop:
      return "top";
    case ManipulationGoal::kPositions:
      return fmt::format("positions={}", o.positions);
    case ManipulationGoal::kClass:
      return "class=" + o.label;
    case ManipulationGoal::kEscape:
      return "escape=" + o.label;
  }
  return "";
}

RatingBallots ExtractMeeting(const RatingBallots& all, const Meeting& m) {
  RatingBallots b;
  b.levels = all.levels;
  b.grade_labels = all.grade_labels;
  b.group_names = all.group_names;
  b.group_weights = all.group_weights;
  const int G = all.NumGroups();
  const auto first_e = static_cast<size_t>(m.first_evaluee);
  b.ratee_names.assign(all.ratee_names.begin() + first_e,
                       all.ratee_names.begin() + first_e + m.num_evaluees);
  if (!all.rater_names.empty())
    b.rater_names.assign(all.rater_names.begin() + m.first_rater,
                         all.rater_names.begin() + m.first_rater + m.num_raters);
  b.rater_group.assign(all.rater_group.begin() + m.first_rater,
                       all.rater_group.begin() + m.first_rater + m.num_raters);
  b.num_raters = m.num_raters;
  const size_t s0 = first_e * G, slots = static_cast<size_t>(m.num_evaluees) * G;
  const uint64_t base = all.slot_begin[s0], stop = all.slot_begin[s0 + slots];
  b.slot_begin.resize(slots + 1);
  for (size_t i = 0; i <= slots; ++i) b.slot_begin[i] = all.slot_begin[s0 + i] - base;
  b.ballot.resize(stop - base);
  for (uint64_t i = base; i < stop; ++i) {
    const uint32_t w = all.ballot[i];
    b.ballot[i - base] = PackBallot(BallotRater(w) - m.first_rater, BallotGrade(w));
  }
  if (all.Weighted()) b.weight.assign(all.weight.begin() + base, all.weight.begin() + stop);
  b.CheckInvariants();
  return b;
}

ManipulationCost FindManipulationCost(const Model& model, RatingBallots& ballots, int target,
                                      const ManipulationOptions& o,
                                      const IndicatorTable* indicators) {
  ManipulationCost c;
  const int n = ballots.NumRatees();
  c.raters = static_cast<int>(ballots.num_raters);
  int64_t fits = 0;
  {
    Search probe(model, ballots, target, 1, &fits, nullptr, indicators);
    ScoreResult honest = probe.Fit();
    c.notes = honest.notes;
    c.rank_before = CompetitionRanks(honest.score, honest.tiebreak)[target];
    c.goal_rank = o.goal == ManipulationGoal::kTop ? QuotaCount(o.quota, n)
                                                   : std::max(1, c.rank_before - o.positions);
    if (c.rank_before <= c.goal_rank) {
      c.already = c.buyable = true;
      c.fits = fits;
      return c;
    }
    const Switches sw = BuildSwitches(ballots, target, o, 0, ballots.num_raters);
    c.eligible = sw.Size();
    Search search(model, ballots, target, c.goal_rank, &fits, nullptr, indicators);
    int cost;
    if (c.eligible == 0) {
      cost = -1;
      c.exact = true;
    } else if (c.eligible <= std::min(o.exact_max, kMaxExactRaters)) {
      c.exact = true;
      cost = ExactSearch(search, ballots, sw);
    } else {
      cost = GreedySearch(search, ballots, sw, honest);
    }
    c.buyable = cost > 0;
    c.cost = c.buyable ? cost : 0;
  }
  c.fits = fits;
  return c;
}

ManipulationCost FindClassManipulationCost(const Model& model, RatingBallots& ballots, int target,
                                           const ManipulationOptions& o,
                                           const ClassGoalContext& ctx) {
  ManipulationCost c;
  c.raters = static_cast<int>(ctx.num_raters);
  const ClassGoal goal{&ctx, o.label, o.goal == ManipulationGoal::kEscape};
  Search search(model, ballots, target, 0, &c.fits, &goal, ctx.indicators);
  const ScoreResult honest = search.Fit();
  c.notes = honest.notes;
  c.rank_before = CompetitionRanks(honest.score, honest.tiebreak)[target];
  const ClassOutcome before = ClassesOf(ctx, ballots, honest);
  c.class_before = before.labels[before.cls[target]];
  if (search.Reached(honest)) {
    c.already = c.buyable = true;
    return c;
  }
  const Switches sw = BuildSwitches(ballots, target, o, ctx.first_rater, ctx.num_raters);
  c.eligible = sw.Size();
  c.exact = true;
  if (const int v = before.veto[target]; v >= 0) {
    const Veto& veto = ctx.vetoes[v];
    c.vetoed = true;
    c.note = veto.IsEvent()
                 ? fmt::format("event veto {}: an event cannot be bought", veto.name)
                 : fmt::format("indicator veto {}: indicators are held fixed", veto.name);
    return c;
  }
  int cost = -1;
  if (c.eligible > std::min(o.exact_max, kMaxExactRaters)) {
    c.exact = false;
    cost = GreedySearch(search, ballots, sw, honest);
  } else if (c.eligible > 0) {
    cost = ExactSearch(search, ballots, sw);
  }
  c.buyable = cost > 0;
  c.cost = c.buyable ? cost : 0;
  if (!c.buyable)
    for (const Gate& g : ctx.rules->gates)
      if (!g.indicator.empty() && g.label == c.class_before) {
        c.note = fmt::format("indicator gate {}: indicators are held fixed", g.label);
        break;
      }
  return c;
}

std::vector<int> ManipulationTargets(int n, int sample, uint64_t seed) {
  std::vector<int> all(std::max(0, n));
  std::iota(all.begin(), all.end(), 0);
  if (sample >= n) return all;
  // Partial Fisher-Yates: the first `sample` positions are a uniform sample.
  Rng rng(seed);
  for (int i = 0; i < sample; ++i)
    std::swap(all[i], all[i + static_cast<int>(rng.Below(static_cast<uint64_t>(n - i)))]);
  all.resize(sample);
  std::sort(all.begin(), all.end());
  return all;
}

void CheckManipulationConfig(const ManipulationConfig& config) {
  const ManipulationOptions& o = config.options;
  if (o.exact_max < 0 || o.exact_max > kMaxExactRaters)
    throw InputError(
        fmt::format("--exact-max {}: expected an integer 0..{}", o.exact_max, kMaxExactRaters));
  if (config.sample < 1)
    throw InputError(fmt::format("--sample {}: expected a positive integer", config.sample));
  if (!(o.quota > 0.0 && o.quota <= 1.0))
    throw InputError(fmt::format("--quota {}: expected a share in (0, 1]", o.quota));
  if (o.goal == ManipulationGoal::kPositions && o.positions < 1)
    throw InputError(fmt::format("--goal positions={}: expected P >= 1", o.positions));
}

namespace {

// An indicator model that reads the rating ballots too: ruian_points (its
// leader ranking and vote parts), or a composite with a `vote` component.
bool ReadsVotes(const ModelEntry& e) {
  return e.model == "ruian_points" || e.options.contains("vote");
}

// The chosen [[models]] entries in scenario order, into result->models; the
// models that read rating ballots, one per entry (null when skipped).
std::vector<std::unique_ptr<Model>> CreateManipulationModels(const Scenario& s,
                                                             const ManipulationConfig& config,
                                                             ManipulationResult* result) {
  const std::vector<std::string> kept = SelectedModels(s, config.models);  // InputError if unknown
  const ModelContext ctx = ModelContextOf(s);
  std::vector<std::unique_ptr<Model>> fitted;
  for (const ModelEntry& e : s.models) {
    if (std::find(kept.begin(), kept.end(), e.name) == kept.end()) continue;
    ManipulationModel mm;
    mm.name = e.name;
    mm.model = e.model;
    const ModelSpec* spec = Models().Find(e.model);
    std::unique_ptr<Model> model = Models().Create(e.model, e.options, ctx, s.file, e.path);
    const bool composite = spec && spec->input == InputKind::kIndicators && ReadsVotes(e) &&
                           (config.options.composites || config.options.ClassGoal());
    if (!spec || (spec->input != InputKind::kRatings && !composite)) {
      mm.skipped = true;
      mm.notes.push_back(
          fmt::format("skipped: {} reads {}, and a bloc's switch is defined on rating ballots",
                      e.model, spec ? InputKindName(spec->input) : "another kind"));
      model.reset();
    }
    fitted.push_back(std::move(model));
    result->models.push_back(std::move(mm));
  }
  return fitted;
}

// The meeting of each evaluee.
std::vector<int> MeetingOf(const Organisation& org) {
  std::vector<int> meeting_of(org.NumEvaluees(), -1);
  for (size_t mi = 0; mi < org.meetings.size(); ++mi) {
    const Meeting& m = org.meetings[mi];
    for (int e = m.first_evaluee; e < m.first_evaluee + m.num_evaluees; ++e)
      meeting_of[e] = static_cast<int>(mi);
  }
  return meeting_of;
}

// One target's rows (every searched model's) as bytes, and back.
std::string PackTargetRows(const ManipulationResult& result, int t) {
  ByteWriter w;
  for (const ManipulationModel& mm : result.models) {
    if (mm.rows.empty()) continue;
    const ManipulationRow& row = mm.rows[t];
    const ManipulationCost& c = row.cost;
    for (int x :
         {row.meeting, row.evaluee, c.rank_before, c.goal_rank, c.raters, c.eligible, c.cost})
      w.Put(x);
    for (bool b : {c.already, c.buyable, c.exact, c.vetoed}) w.Put(static_cast<uint8_t>(b));
    w.Put(c.fits);
    w.Put(c.notes);
    w.Put(c.class_before);
    w.Put(c.note);
  }
  return w.Take();
}

void UnpackTargetRows(std::string_view bytes, int t, ManipulationResult& result) {
  ByteReader in(bytes);
  for (ManipulationModel& mm : result.models) {
    if (mm.rows.empty()) continue;
    ManipulationRow& row = mm.rows[t];
    ManipulationCost& c = row.cost;
    for (int* x : {&row.meeting, &row.evaluee, &c.rank_before, &c.goal_rank, &c.raters, &c.eligible,
                   &c.cost})
      in.Get(*x);
    for (bool* b : {&c.already, &c.buyable, &c.exact, &c.vetoed}) {
      uint8_t v = 0;
      in.Get(v);
      *b = v != 0;
    }
    in.Get(c.fits);
    in.Get(c.notes);
    in.Get(c.class_before);
    in.Get(c.note);
  }
  EVALSIM_CHECK(in.Done(), "target {}: bytes left over", t + 1);
}

// Runs search(t), which fills row t of every searched model, for every
// target: in parallel here, or spread over the processes of
// config.distribution, whose process 0 gets every row (the others throw
// ShareDone).
void ForEveryTarget(const ManipulationConfig& config, ManipulationResult* result,
                    const std::function<void(int t)>& search) {
  const int T = static_cast<int>(result->targets.size());
  Progress progress("targets", T, config.progress);
  Distribution& d = OrSingle(config.distribution);
  if (d.Size() > 1) {
    const std::vector<std::string> bytes = DistributeItems(
        d, T,
        [&](int t) {
          search(t);
          progress.Advance();
          return PackTargetRows(*result, t);
        },
        "target");
    if (!d.IsRoot()) throw ShareDone();
    for (int t = 0; t < T; ++t) UnpackTargetRows(bytes[t], t, *result);
    return;
  }
  ParallelFor(tbb::blocked_range<int>(0, T, 1), [&](const tbb::blocked_range<int>& range) {
    for (int t = range.begin(); t != range.end(); ++t) {
      if (Interrupted()) return;
      search(t);
      progress.Advance();
    }
  });
  ThrowIfInterrupted();
}

// The honest ballots of the meetings that hold a target (empty for the
// others).
std::vector<RatingBallots> TargetMeetingBallots(const RatingBallots& all, const Organisation& org,
                                                const std::vector<int>& targets,
                                                const std::vector<int>& meeting_of) {
  std::vector<RatingBallots> meeting_ballots(org.meetings.size());
  std::vector<bool> needed(org.meetings.size(), false);
  for (int e : targets) needed[meeting_of[e]] = true;
  for (size_t mi = 0; mi < org.meetings.size(); ++mi)
    if (needed[mi]) meeting_ballots[mi] = ExtractMeeting(all, org.meetings[mi]);
  return meeting_ballots;
}

// Every target's cost under every model that is not skipped, in parallel
// over the targets.
void SearchTargets(const Organisation& org, const ManipulationConfig& config,
                   const std::vector<std::unique_ptr<Model>>& fitted,
                   const std::vector<int>& meeting_of,
                   const std::vector<RatingBallots>& meeting_ballots,
                   const std::vector<IndicatorTable>& meeting_indicators,
                   ManipulationResult* result) {
  const ManipulationOptions& o = config.options;
  const int T = static_cast<int>(result->targets.size());
  const int M = static_cast<int>(result->models.size());
  for (ManipulationModel& mm : result->models)
    if (!mm.skipped) mm.rows.resize(T);
  ForEveryTarget(config, result, [&](int t) {
    const int e = result->targets[t], mi = meeting_of[e];
    RatingBallots work = meeting_ballots[mi];  // one copy per target, restored after each trial
    const int local = e - org.meetings[mi].first_evaluee;
    for (int k = 0; k < M; ++k) {
      if (!fitted[k]) continue;
      ManipulationRow& row = result->models[k].rows[t];
      row.meeting = mi;
      row.evaluee = e;
      row.cost =
          FindManipulationCost(*fitted[k], work, local, o,
                               meeting_indicators.empty() ? nullptr : &meeting_indicators[mi]);
    }
  });
}

const ModelEntry& EntryOf(const Scenario& s, const std::string& name) {
  for (const ModelEntry& e : s.models)
    if (e.name == name) return e;
  EVALSIM_CHECK(false, "manipulate: no entry {}", name);
  return s.models.front();
}

// Class goals: the entries that cannot be searched for the goal's label
// (no classes, or rules that never give it) are skipped with a note; an
// InputError when no chosen entry gives it.
void SkipClassless(const Scenario& s, const ManipulationOptions& o,
                   std::vector<std::unique_ptr<Model>>& fitted, ManipulationResult* result) {
  bool any = false;
  std::set<std::string> seen;
  for (size_t k = 0; k < fitted.size(); ++k) {
    ManipulationModel& mm = result->models[k];
    const ClassRules& rules = EntryOf(s, mm.name).classes;
    const std::vector<std::string> labels = ClassLabels(rules, s.vetoes);
    seen.insert(labels.begin(), labels.end());
    const bool gives = !rules.Empty() && std::count(labels.begin(), labels.end(), o.label) > 0;
    any = any || gives;
    if (!fitted[k] || gives) continue;
    mm.skipped = true;
    mm.notes.push_back(rules.Empty() ? "skipped: the entry has no classes"
                                     : fmt::format("skipped: its classes never give {} ({})",
                                                   o.label, fmt::join(labels, ", ")));
    fitted[k].reset();
  }
  if (!any)
    throw InputError(fmt::format(
        "--goal {}: no chosen [[models]] entry's classes give {} ({})", ManipulationGoalName(o),
        o.label, seen.empty() ? "none has classes" : fmt::format("{}", fmt::join(seen, ", "))));
}

// The rows of evaluees [first, first + n).
IndicatorTable CutIndicators(const IndicatorTable& t, int first, int n) {
  IndicatorTable out;
  out.names = t.names;
  out.cost = t.cost;
  out.ratee_names.assign(t.ratee_names.begin() + first, t.ratee_names.begin() + first + n);
  out.values = t.values.middleRows(first, n);
  return out;
}

// A class goal's universe: the run of whole meetings [first, last] and what
// the class rules read, cut to its evaluees (see Class goals in the header).
struct Universe {
  int first_evaluee = 0;
  uint32_t first_rater = 0;
  RatingBallots ballots;
  UnitColumns units;
  IndicatorTable indicators;
  bool has_indicators = false;
  VetoDraws draws;
};

// What every universe is cut from.
struct ClassSources {
  const RatingBallots* ballots = nullptr;
  UnitColumns units;
  IndicatorTable indicators;
  bool has_indicators = false;
  VetoDraws draws;
};

// The meetings [first, last] of target e's universe under `rules`.
std::pair<int, int> UniverseOf(const Organisation& org, const ClassRules& rules,
                               const UnitColumns& units, const std::vector<int>& meeting_of,
                               int e) {
  const int last = static_cast<int>(org.meetings.size()) - 1;
  if (!rules.Scoped() || rules.quota_shift) return {0, last};
  const std::vector<int>& unit = *units.Find(rules.within);
  int lo = meeting_of[e], hi = meeting_of[e];
  for (int x = 0; x < static_cast<int>(unit.size()); ++x) {
    if (unit[x] != unit[e]) continue;
    lo = std::min(lo, meeting_of[x]);
    hi = std::max(hi, meeting_of[x]);
  }
  return {lo, hi};
}

// Column values of evaluees [first, first + n), renumbered densely in order
// of first appearance.
std::vector<int> CutColumn(const std::vector<int>& col, int first, int n) {
  std::map<int, int> dense;
  std::vector<int> out(n);
  for (int i = 0; i < n; ++i)
    out[i] = dense.emplace(col[first + i], static_cast<int>(dense.size())).first->second;
  return out;
}

Universe CutUniverse(const Organisation& org, const ClassSources& src, std::pair<int, int> range) {
  const Meeting& a = org.meetings[range.first];
  const Meeting& z = org.meetings[range.second];
  Meeting span;
  span.first_evaluee = a.first_evaluee;
  span.num_evaluees = z.first_evaluee + z.num_evaluees - a.first_evaluee;
  span.first_rater = a.first_rater;
  span.num_raters = z.first_rater + z.num_raters - a.first_rater;
  for (int m = range.first; m < range.second; ++m) {
    const Meeting& x = org.meetings[m];
    const Meeting& y = org.meetings[m + 1];
    EVALSIM_CHECK(y.first_evaluee == x.first_evaluee + x.num_evaluees &&
                      y.first_rater == x.first_rater + x.num_raters,
                  "manipulate: meetings {} and {} are not contiguous", m + 1, m + 2);
  }
  Universe u;
  u.first_evaluee = span.first_evaluee;
  u.first_rater = span.first_rater;
  u.ballots = ExtractMeeting(*src.ballots, span);
  const int first = span.first_evaluee, n = span.num_evaluees;
  u.units.names = src.units.names;
  for (const std::vector<int>& col : src.units.unit)
    u.units.unit.push_back(CutColumn(col, first, n));
  if (src.has_indicators) {
    u.has_indicators = true;
    u.indicators = CutIndicators(src.indicators, first, n);
  }
  for (const std::vector<uint8_t>& d : src.draws)
    u.draws.push_back(d.empty() ? d
                                : std::vector<uint8_t>(d.begin() + first, d.begin() + first + n));
  return u;
}

// Every target's class-goal cost under every model that is not skipped, in
// parallel over the targets.
void SearchClassTargets(const Scenario& s, const Organisation& org,
                        const ManipulationConfig& config,
                        const std::vector<std::unique_ptr<Model>>& fitted,
                        const std::vector<int>& meeting_of, const ClassSources& src,
                        ManipulationResult* result) {
  const int T = static_cast<int>(result->targets.size());
  const int M = static_cast<int>(result->models.size());
  // Universes, cut once each before the parallel loop.
  std::map<std::pair<int, int>, Universe> universes;
  std::vector<std::vector<const Universe*>> of(M, std::vector<const Universe*>(T, nullptr));
  for (int k = 0; k < M; ++k) {
    if (!fitted[k]) continue;
    result->models[k].rows.resize(T);
    const ClassRules& rules = EntryOf(s, result->models[k].name).classes;
    for (int t = 0; t < T; ++t) {
      const auto range = UniverseOf(org, rules, src.units, meeting_of, result->targets[t]);
      auto it = universes.find(range);
      if (it == universes.end()) it = universes.emplace(range, CutUniverse(org, src, range)).first;
      of[k][t] = &it->second;
    }
  }
  ForEveryTarget(config, result, [&](int t) {
    const int e = result->targets[t], mi = meeting_of[e];
    for (int k = 0; k < M; ++k) {
      if (!fitted[k]) continue;
      const Universe& u = *of[k][t];
      RatingBallots work = u.ballots;
      ClassGoalContext ctx;
      ctx.rules = &EntryOf(s, result->models[k].name).classes;
      ctx.vetoes = s.vetoes;
      ctx.units = &u.units;
      ctx.indicators = u.has_indicators ? &u.indicators : nullptr;
      ctx.draws = &u.draws;
      ctx.first_rater = org.meetings[mi].first_rater - u.first_rater;
      ctx.num_raters = org.meetings[mi].num_raters;
      ManipulationRow& row = result->models[k].rows[t];
      row.meeting = mi;
      row.evaluee = e;
      row.cost =
          FindClassManipulationCost(*fitted[k], work, e - u.first_evaluee, config.options, ctx);
    }
  });
}

// The total number of fits, and each model's first five distinct notes.
void CollectFitsAndNotes(ManipulationResult* result) {
  for (ManipulationModel& mm : result->models) {
    std::set<std::string> seen;
    for (const ManipulationRow& row : mm.rows) {
      result->fits += row.cost.fits;
      for (const std::string& note : row.cost.notes)
        if (seen.insert(note).second && seen.size() <= 5)
          mm.notes.push_back(fmt::format("{} (meeting {})", note, row.meeting + 1));
    }
  }
}

}  // namespace

ManipulationResult RunManipulation(const Scenario& s, const Organisation& org,
                                   const ManipulationConfig& config) {
  CheckManipulationConfig(config);
  ManipulationResult result;
  result.threads = ThreadCount(config.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, result.threads);
  result.evaluees = org.NumEvaluees();
  result.meetings = static_cast<int>(org.meetings.size());
  std::vector<std::unique_ptr<Model>> fitted = CreateManipulationModels(s, config, &result);
  result.goal = ManipulationGoalName(config.options);
  result.class_goal = config.options.ClassGoal();

  // The honest ballots, meetings, targets.
  const GeneratorSetup setup = MakeGeneratorSetup(s, org);
  RatingBallots all;
  GenerateBallots(setup, 0, /*with_blocs=*/false, &all);
  const std::vector<int> meeting_of = MeetingOf(org);
  result.sample_seed = DeriveSeed(s.seed, {kStreamManipulation});
  result.targets = ManipulationTargets(org.NumEvaluees(), config.sample, result.sample_seed);
  if (config.options.ClassGoal()) {
    SkipClassless(s, config.options, fitted, &result);
    ClassSources src;
    src.ballots = &all;
    src.units = ScopeColumns(org);
    if (!s.indicators.empty()) {
      src.indicators = GenerateIndicators(s, org, 0);
      src.has_indicators = true;
    }
    if (!s.vetoes.empty()) {
      std::vector<double> z;
      for (double q : org.quality) z.push_back(s.quality_sd > 0 ? q / s.quality_sd : 0.0);
      src.draws = DrawVetoEvents(s.vetoes, z, s.seed, 0);
    }
    SearchClassTargets(s, org, config, fitted, meeting_of, src, &result);
    CollectFitsAndNotes(&result);
    return result;
  }
  const std::vector<RatingBallots> meeting_ballots =
      TargetMeetingBallots(all, org, result.targets, meeting_of);
  std::vector<uint32_t>().swap(all.ballot);  // the meetings hold what is needed

  // Replicate 1's indicators per meeting, when a composite is searched.
  std::vector<IndicatorTable> meeting_indicators;
  bool composite = false;
  for (size_t k = 0; k < fitted.size(); ++k)
    composite = composite || (fitted[k] && Models().Find(result.models[k].model)->input ==
                                               InputKind::kIndicators);
  if (composite && !s.indicators.empty()) {
    const IndicatorTable ind = GenerateIndicators(s, org, 0);
    for (const Meeting& m : org.meetings)
      meeting_indicators.push_back(CutIndicators(ind, m.first_evaluee, m.num_evaluees));
  }
  SearchTargets(org, config, fitted, meeting_of, meeting_ballots, meeting_indicators, &result);
  CollectFitsAndNotes(&result);
  return result;
}

namespace {

struct Summary {
  int targets = 0, already = 0, searched = 0, buyable = 0, greedy = 0, vetoed = 0;
  std::vector<double> cost, share;
};

Summary Summarise(const ManipulationModel& mm) {
  Summary s;
  s.targets = static_cast<int>(mm.rows.size());
  for (const ManipulationRow& row : mm.rows) {
    const ManipulationCost& c = row.cost;
    if (c.already) {
      ++s.already;
      continue;
    }
    ++s.searched;
    if (!c.exact) ++s.greedy;
    if (c.vetoed) ++s.vetoed;
    if (!c.buyable) continue;
    ++s.buyable;
    s.cost.push_back(c.cost);
    s.share.push_back(c.raters > 0 ? static_cast<double>(c.cost) / c.raters : 0.0);
  }
  return s;
}

std::string Cell(bool has, double v) { return has ? Num(v) : ""; }

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

}  // namespace

std::string ManipulationCsv(const Organisation& org, const ManipulationResult& r) {
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  fmt::format_to(it,
                 "model,meeting,ratee,true_quality,rank_before,goal_rank,raters,eligible,cost,"
                 "share,method,buyable{}\n",
                 r.class_goal ? ",goal,class_before,note" : "");
  for (const ManipulationModel& mm : r.models) {
    if (mm.skipped) continue;
    for (const ManipulationRow& row : mm.rows) {
      const ManipulationCost& c = row.cost;
      const bool has = c.buyable;
      const char* method = c.already  ? "already"
                           : c.vetoed ? "vetoed"
                           : c.exact  ? "exact"
                                      : "greedy";
      fmt::format_to(it, "{},{},{},{},{},{},{},{},{},{},{},{}", CsvField(mm.name), row.meeting + 1,
                     CsvField(org.evaluee_names[row.evaluee]), Num(org.quality[row.evaluee]),
                     c.rank_before, r.class_goal ? std::string() : fmt::format("{}", c.goal_rank),
                     c.raters, c.eligible, has ? fmt::format("{}", c.cost) : "",
                     Cell(has && c.raters > 0, c.raters > 0 ? double(c.cost) / c.raters : 0.0),
                     method, has ? 1 : 0);
      if (r.class_goal)
        fmt::format_to(it, ",{},{},{}", CsvField(r.goal), CsvField(c.class_before),
                       CsvField(c.note));
      fmt::format_to(it, "\n");
    }
  }
  return fmt::to_string(out);
}

std::string ManipulationSummaryCsv(const ManipulationResult& r) {
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  fmt::format_to(it,
                 "model,targets,already,searched,buyable_share,cost_p10,cost_median,cost_mean,"
                 "cost_p90,share_median,greedy_share{}\n",
                 r.class_goal ? ",goal,vetoed" : "");
  for (const ManipulationModel& mm : r.models) {
    if (mm.skipped) continue;
    const Summary s = Summarise(mm);
    const bool any = !s.cost.empty(), searched = s.searched > 0;
    fmt::format_to(
        it, "{},{},{},{},{},{},{},{},{},{},{}", CsvField(mm.name), s.targets, s.already, s.searched,
        Cell(searched, searched ? double(s.buyable) / s.searched : 0.0),
        Cell(any, any ? Quantile(s.cost, 0.1) : 0.0), Cell(any, any ? Quantile(s.cost, 0.5) : 0.0),
        Cell(any, any ? Mean(s.cost) : 0.0), Cell(any, any ? Quantile(s.cost, 0.9) : 0.0),
        Cell(any, any ? Quantile(s.share, 0.5) : 0.0),
        Cell(searched, searched ? double(s.greedy) / s.searched : 0.0));
    if (r.class_goal) fmt::format_to(it, ",{},{}", CsvField(r.goal), s.vetoed);
    fmt::format_to(it, "\n");
  }
  return fmt::to_string(out);
}

std::string ManipulationSummaryTable(const ManipulationResult& r) {
  size_t width = 5;
  for (const ManipulationModel& mm : r.models) width = std::max(width, mm.name.size());
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{:<{}}  {:>7} {:>7} {:>8} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7}\n", "model",
                 width, "targets", "already", "buyable", "p10", "median", "mean", "p90", "share_md",
                 "greedy");
  const auto f = [](bool has, double v, int digits) {
    return has ? fmt::format("{:.{}f}", v, digits) : std::string("-");
  };
  for (const ManipulationModel& mm : r.models) {
    if (mm.skipped) {
      fmt::format_to(it, "{:<{}}  skipped ({})\n", mm.name, width, mm.model);
      continue;
    }
    const Summary s = Summarise(mm);
    const bool any = !s.cost.empty(), searched = s.searched > 0;
    fmt::format_to(
        it, "{:<{}}  {:>7} {:>7} {:>8} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7}\n", mm.name, width,
        s.targets, s.already,
        f(searched, searched ? 100.0 * s.buyable / s.searched : 0.0, 1) + (searched ? "%" : ""),
        f(any, any ? Quantile(s.cost, 0.1) : 0, 1), f(any, any ? Quantile(s.cost, 0.5) : 0, 1),
        f(any, any ? Mean(s.cost) : 0, 1), f(any, any ? Quantile(s.cost, 0.9) : 0, 1),
        f(any, any ? Quantile(s.share, 0.5) : 0, 3),
        f(searched, searched ? 100.0 * s.greedy / s.searched : 0.0, 0) + (searched ? "%" : ""));
  }
  return fmt::to_string(out);
}

}  // namespace evalsim
