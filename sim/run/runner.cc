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
#include <optional>

#include "models/registry.h"
#include "sim/core/interrupt.h"
#include "sim/core/metrics.h"
#include "sim/core/parallel.h"
#include "sim/core/progress.h"
#include "sim/rules/classes.h"
#include "sim/run/inputs.h"
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
};

// One replicate's ballots of every kind the scenario asks for, and the
// conversions the models need.
struct ReplicateBallots {
  RatingBallots ratings;
  RankingBallots rankings;
  PairwiseBallots pairs;
  IndicatorTable indicators;
  std::optional<InputSet> inputs;

  void Generate(const Scenario& s, const Organisation& org, const GeneratorSetup& setup, int r,
                bool with_blocs) {
    const ComparisonMode mode = s.comparisons.mode;
    GenerateBallots(setup, r, with_blocs, &ratings,
                    mode == ComparisonMode::kRanking ? &rankings : nullptr,
                    mode == ComparisonMode::kPairs ? &pairs : nullptr);
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

}  // namespace

RunResult RunScenario(const Scenario& s, int threads, const RunConfig& config) {
  RunResult result;
  const int hw = static_cast<int>(tbb::info::default_concurrency());
  result.threads = threads > 0 ? threads : hw;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, result.threads);

  const auto t0 = Clock::now();
  result.organisation = BuildOrganisation(s);
  const Organisation& org = result.organisation;
  const GeneratorSetup setup = MakeGeneratorSetup(s, org);
  result.cuts = setup.cuts;
  const auto t1 = Clock::now();
  result.seconds_organisation = Seconds(t0, t1);

  const ModelContext ctx = ModelContextOf(s);
  std::vector<PreparedModel> models;
  for (const ModelEntry& e : s.models)
    models.push_back({Models().Create(e.model, e.options, ctx, s.file, e.path), &e,
                      Models().Find(e.model)->input});

  const int R = s.replicates, M = static_cast<int>(models.size());
  const int n = org.NumEvaluees();
  const int k_top = QuotaCount(s.quota, n), k_bottom = QuotaCount(s.bottom, n);
  Eigen::VectorXd truth = Eigen::Map<const Eigen::VectorXd>(org.quality.data(), n);
  const Eigen::VectorXd truth_ranks = AverageRanks(truth);  // once, not per model
  const TauReference truth_tau = MakeTauReference(truth);   // likewise
  const Eigen::VectorXd true_top = TopKMembership(truth, k_top);
  const Eigen::VectorXd true_bottom = BottomKMembership(truth, k_bottom);
  std::vector<int> bloc_evaluees;
  for (int e = 0; e < n; ++e)
    if (org.bloc[e] >= 0) bloc_evaluees.push_back(e);
  // Valid ballots per (evaluee, group) slot summed over replicates, for the
  // fairness strata. Integer sums: the order replicates add them in does
  // not matter.
  const size_t G = s.raters.size();
  std::vector<std::atomic<uint64_t>> valid_per_slot(static_cast<size_t>(n) * G);

  std::vector<std::vector<ReplicateModel>> reps(R, std::vector<ReplicateModel>(M));
  // Ballots per (rater group, grade or abstention), per replicate.
  const size_t K1 = s.labels.size() + 1;
  std::vector<std::vector<double>> grade_counts(R, std::vector<double>(G * K1, 0));
  std::vector<uint64_t> ballots(R, 0);
  std::vector<double> gen_seconds(R, 0), score_seconds(R, 0);
  Progress progress("replicates", R, config.progress);

  ParallelFor(0, R, [&](int r) {
    if (Interrupted()) return;  // unwinds below, after the workers stop
    ReplicateBallots rb;
    const RatingBallots& b = rb.ratings;
    const auto g0 = Clock::now();
    rb.Generate(s, org, setup, r, /*with_blocs=*/true);
    const auto g1 = Clock::now();
    gen_seconds[r] = Seconds(g0, g1);
    ballots[r] = b.NumBallots();
    for (size_t slot = 0; slot < valid_per_slot.size(); ++slot) {
      uint64_t valid = 0;
      for (uint32_t w : b.SlotBallots(static_cast<int>(slot))) {
        const uint8_t g = BallotGrade(w);
        grade_counts[r][(slot % G) * K1 + (g == kAbstain ? K1 - 1 : g)] += 1;
        valid += g != kAbstain;
      }
      if (valid > 0) valid_per_slot[slot].fetch_add(valid, std::memory_order_relaxed);
    }
    ReplicateBallots nobloc;
    if (!bloc_evaluees.empty()) nobloc.Generate(s, org, setup, r, /*with_blocs=*/false);
    // Fits one model at a time, so that each fit's time is its own; the
    // bloc-free rerun here too (the input set converts lazily and is not
    // shared across threads).
    std::vector<ScoreResult> results(M);
    std::vector<std::vector<int>> base_ranks(M);
    for (int mi = 0; mi < M; ++mi) {
      const ModelInput input = rb.For(models[mi]);
      const auto s0 = Clock::now();
      results[mi] = models[mi].model->Score(input);
      reps[r][mi].fit_seconds = Seconds(s0, Clock::now());
      // Only replicate 1's per-rater estimates are kept: free the others now
      // rather than after every model's metrics.
      if (r != 0) results[mi].rater_values = {};
      if (!bloc_evaluees.empty()) {
        ScoreResult base = models[mi].model->Score(nobloc.For(models[mi]));
        base_ranks[mi] = CompetitionRanks(base.score, base.tiebreak);
      }
    }
    // The metrics of the models are independent: they run in parallel (this
    // matters when there are fewer replicates than threads), each into its
    // own slot. One sort of each model's key serves ranks, Spearman,
    // Kendall, top-k and bottom-k.
    ParallelFor(0, M, [&](int mi) {
      ReplicateModel& out = reps[r][mi];
      ScoreResult& sr = results[mi];
      const KeyOrder order = SortKey(sr.score, sr.tiebreak);
      out.rank = CompetitionRanks(order);
      out.spearman = SpearmanAgainstRanks(order, truth_ranks);
      out.kendall = KendallTauB(order, truth_tau);
      out.top = TopKMembership(order, k_top);
      out.bottom = BottomKMembership(order, k_bottom);
      out.topk = MembershipOverlap(out.top, true_top, k_top);
      const ClassRules& rules = models[mi].entry->classes;
      if (!rules.Empty()) {
        std::vector<std::string>& labels = out.class_labels;
        out.classes = AssignClasses(rules, b, sr.score, out.rank, &labels);
        const std::string top_label = rules.TopLabel();
        double top_hit = 0, top_n = 0, bottom_hit = 0, bottom_n = 0;
        for (int e = 0; e < n; ++e) {
          const std::string& l = labels[out.classes[e]];
          if (l == top_label) {
            top_n += 1;
            top_hit += true_top[e];
          }
          if (rules.IsBottomLabel(l)) {
            bottom_n += 1;
            bottom_hit += true_bottom[e];
          }
        }
        if (top_n > 0) out.class_top = top_hit / top_n;
        if (bottom_n > 0) out.class_bottom = bottom_hit / bottom_n;
      }
      if (!bloc_evaluees.empty()) {
        double gain = 0;
        for (int e : bloc_evaluees) gain += base_ranks[mi][e] - out.rank[e];
        out.bloc_gain = gain / static_cast<double>(bloc_evaluees.size());
      }
      out.parameters = std::move(sr.parameters);
      if (r == 0) {
        out.notes = sr.notes;
        out.rater_values = std::move(sr.rater_values);
      }
      out.score = std::move(sr.score);
    });
    score_seconds[r] = Seconds(g1, Clock::now());
    progress.Advance();
  });
  ThrowIfInterrupted();
  const auto t2 = Clock::now();

  // Reduce in replicate order.
  for (int r = 0; r < R; ++r) {
    result.ballots_total += ballots[r];
    result.seconds_generate += gen_seconds[r];
    result.seconds_score += score_seconds[r];
  }
  {
    // Shares of valid ballots per grade, and the abstaining share of all,
    // overall and per rater group.
    const auto shares = [&](const std::vector<double>& counts, std::vector<double>* grade,
                            double* abstain) {
      double valid = 0;
      for (size_t k = 0; k + 1 < K1; ++k) valid += counts[k];
      grade->clear();
      for (size_t k = 0; k + 1 < K1; ++k) grade->push_back(valid > 0 ? counts[k] / valid : 0.0);
      const double all = valid + counts[K1 - 1];
      *abstain = all > 0 ? counts[K1 - 1] / all : 0.0;
    };
    std::vector<double> total(K1, 0);
    result.grade_share_by_group.resize(G);
    result.abstain_share_by_group.resize(G);
    for (size_t grp = 0; grp < G; ++grp) {
      std::vector<double> counts(K1, 0);
      for (int r = 0; r < R; ++r)
        for (size_t k = 0; k < K1; ++k) counts[k] += grade_counts[r][grp * K1 + k];
      for (size_t k = 0; k < K1; ++k) total[k] += counts[k];
      shares(counts, &result.grade_share_by_group[grp], &result.abstain_share_by_group[grp]);
    }
    shares(total, &result.grade_share, &result.abstain_share);
  }

  const FairnessTruth fairness_truth = MakeFairnessTruth(truth, k_top, k_bottom);
  std::vector<Strata> strata;
  {
    std::vector<uint64_t> valid(valid_per_slot.size());
    for (size_t i = 0; i < valid.size(); ++i) valid[i] = valid_per_slot[i].load();
    std::vector<std::string> groups;
    for (const auto& g : s.raters) groups.push_back(g.group);
    strata = FairnessStrata(valid, R, groups, org.type, org.type_names);
    for (const Strata& st : strata) result.fairness_dimensions.push_back(st.dimension);
  }

  // Models reduce independently, in parallel, each into its own slot; the
  // slots are appended in scenario order.
  std::vector<ModelOutcome> outcomes(M);
  std::vector<std::vector<FairnessRow>> fairness_rows(M);
  ParallelFor(0, M, [&](int mi) {
    ModelOutcome& mo = outcomes[mi];
    ErrorSums errors(n);
    mo.name = models[mi].entry->name;
    mo.model = models[mi].entry->model;
    mo.notes = reps[0][mi].notes;
    mo.rater_values = std::move(reps[0][mi].rater_values);
    mo.class_labels = reps[0][mi].class_labels;
    std::vector<double> spearman, kendall, topk, ctop, cbottom, gain;
    Eigen::MatrixXd rank_matrix(n, R);
    mo.mean_score = Eigen::VectorXd::Zero(n);
    mo.p_top = Eigen::VectorXd::Zero(n);
    mo.p_bottom = Eigen::VectorXd::Zero(n);
    mo.p_top_class = Eigen::VectorXd::Zero(n);
    for (int r = 0; r < R; ++r) {
      ReplicateModel& rm = reps[r][mi];
      spearman.push_back(rm.spearman);
      kendall.push_back(rm.kendall);
      topk.push_back(rm.topk);
      ctop.push_back(rm.class_top);
      cbottom.push_back(rm.class_bottom);
      gain.push_back(rm.bloc_gain);
      mo.fit_seconds.push_back(rm.fit_seconds);
      mo.parameters.push_back(std::move(rm.parameters));
      for (int e = 0; e < n; ++e) rank_matrix(e, r) = rm.rank[e];
      mo.mean_score += rm.score;
      mo.p_top += rm.top;
      mo.p_bottom += rm.bottom;
      errors.Add(fairness_truth, rm.rank, rm.top, rm.bottom);
    }
    fairness_rows[mi] = FairnessTable(mo.name, errors, fairness_truth, strata);
    mo.mean_score /= R;
    mo.p_top /= R;
    mo.p_bottom /= R;
    mo.mean_rank = rank_matrix.rowwise().mean();
    mo.rank_lo.resize(n);
    mo.rank_hi.resize(n);
    std::vector<double> row(R);
    for (int e = 0; e < n; ++e) {
      // Ranks are integers (never NaN): one sort serves both quantiles.
      for (int r = 0; r < R; ++r) row[r] = rank_matrix(e, r);
      std::sort(row.begin(), row.end());
      mo.rank_lo[e] = SortedQuantile(row, 0.05);
      mo.rank_hi[e] = SortedQuantile(row, 0.95);
    }
    AddMean(mo.metrics, "accuracy.spearman", spearman);
    AddMean(mo.metrics, "accuracy.kendall", kendall);
    AddMean(mo.metrics, "topk.precision", topk);
    if (R >= 2) {
      // Disjoint pairs of replicates (0,1), (2,3), ... are independent.
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
      AddMean(mo.metrics, "stability.kendall", stab);
      AddMean(mo.metrics, "stability.topk_jaccard", jac);
      mo.metrics.push_back({"stability.rank_interval", RankIntervalWidth(rank_matrix)});
    }
    AddMean(mo.metrics, "class.top_precision", ctop);
    AddMean(mo.metrics, "class.bottom_precision", cbottom);
    AddMean(mo.metrics, "robustness.bloc_gain", gain);
    if (!models[mi].entry->classes.Empty()) {
      const std::string top_label = models[mi].entry->classes.TopLabel();
      for (int r = 0; r < R; ++r) {
        const auto& cls = reps[r][mi].classes;
        for (int e = 0; e < n; ++e)
          if (mo.class_labels[cls[e]] == top_label) mo.p_top_class[e] += 1.0;
      }
      mo.p_top_class /= R;
      for (int r = 0; r < R; ++r) mo.classes.push_back(std::move(reps[r][mi].classes));
    }
    for (int r = 0; r < R; ++r) {
      mo.ranks.push_back(std::move(reps[r][mi].rank));
      if (config.keep_scores) mo.scores.push_back(std::move(reps[r][mi].score));
      reps[r][mi].score = Eigen::VectorXd();
    }
  });
  for (int mi = 0; mi < M; ++mi) {
    result.fairness.insert(result.fairness.end(), fairness_rows[mi].begin(),
                           fairness_rows[mi].end());
    result.models.push_back(std::move(outcomes[mi]));
  }
  result.seconds_metrics = Seconds(t2, Clock::now());

  if (!s.uncertainty.model.empty()) {
    const auto u0 = Clock::now();
    for (const PreparedModel& m : models) {
      if (m.entry->name != s.uncertainty.model) continue;
      ReplicateBallots rb;
      rb.Generate(s, org, setup, 0, /*with_blocs=*/true);
      result.uncertainty =
          RunUncertainty(s.uncertainty, *m.entry, rb.For(m), ctx, s.seed, 0, s.file);
    }
    result.seconds_uncertainty = Seconds(u0, Clock::now());
  }
  return result;
}

}  // namespace evalsim
