#include "models/ratings/zscore_mean.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "models/common/tally.h"

namespace evalsim {
namespace {

// Set from the parameter declarations of ZscoreMeanSpec().
struct ZscoreMeanOptions {
  std::vector<double> points;         // empty: standardise the grades themselves
  std::vector<double> group_weights;  // empty: the ballots' group weights
  int64_t min_ballots{};
};

// Running moments of one rater, shifted by the value of the rater's first
// ballot: a rater who always gives the same grade then has sums of exactly
// zero (so zero variance is detected exactly), and there is no cancellation
// between large raw sums. 32 bytes, so that one rater is one cache access.
struct RaterMoments {
  double weight = 0.0;  // sum of w
  double sum = 0.0;     // sum of w * (x - shift)
  double sum_sq = 0.0;  // sum of w * (x - shift)^2
  uint32_t count = 0;   // valid ballots
  int32_t first = -1;   // grade whose value is the shift; -1 before any ballot
};

// What a rater's grades are standardised by.
struct Standardiser {
  double mean = 0.0;
  double inv_sd = 0.0;  // 0 when even the pooled sd is 0: every z is then 0
};

// Pass 1: one linear scan of every ballot (slots do not matter here).
template <bool kWeighted>
void AccumulateRaters(const RatingBallots& b, const double* value,
                      std::vector<RaterMoments>& moments) {
  const uint32_t levels = static_cast<uint32_t>(b.levels);
  const uint32_t* words = b.ballot.data();
  const uint64_t n = b.NumBallots();
  for (uint64_t i = 0; i < n; ++i) {
    const uint32_t word = words[i];
    const uint32_t grade = word & 0xFFu;
    if (grade >= levels) continue;
    double w = 1.0;
    if constexpr (kWeighted) {
      w = b.weight[i];
      if (!(w > 0.0)) continue;
    }
    RaterMoments& m = moments[word >> 8];
    if (m.first < 0) m.first = static_cast<int32_t>(grade);
    const double d = value[grade] - value[m.first];
    m.weight += w;
    m.sum += w * d;
    m.sum_sq += w * d * d;
    ++m.count;
  }
}

// Per-evaluee accumulators of pass 2.
struct EvalueeSums {
  double weight = 0.0, sum = 0.0, sum_sq = 0.0, weight_sq = 0.0;
  double shift = 0.0;
  uint32_t count = 0;
};

// The value of each grade: the points when they fit the ballots' scale,
// else the grades themselves.
std::vector<double> GradeValues(const std::vector<double>& points, int K, bool use_points) {
  std::vector<double> value(K);
  for (int k = 0; k < K; ++k) value[k] = use_points ? points[k] : static_cast<double>(k);
  return value;
}

// sd at or below this counts as "no variation": a relative threshold, so
// that rounding in the sums never passes for a real spread.
double TinySd(const std::vector<double>& value) {
  if (value.empty()) return 0.0;
  const auto [lo, hi] = std::minmax_element(value.begin(), value.end());
  return 1e-9 * (*hi - *lo);
}

struct Pooled {
  double mean = 0.0, sd = 0.0;
  bool any_valid = false;
};

// Pooled moments from the raters' own (Chan, Golub & LeVeque's combination
// of partial sums): O(raters), no second ballot pass.
Pooled PoolMoments(const std::vector<RaterMoments>& moments, const std::vector<double>& value) {
  Pooled p;
  double total = 0.0, total_sum = 0.0;
  for (const RaterMoments& m : moments) {
    if (m.count == 0) continue;
    total += m.weight;
    total_sum += m.weight * value[m.first] + m.sum;
  }
  p.any_valid = total > 0.0;
  if (p.any_valid) {
    p.mean = total_sum / total;
    double m2 = 0.0;
    for (const RaterMoments& m : moments) {
      if (m.count == 0) continue;
      const double own_mean = value[m.first] + m.sum / m.weight;
      const double own_m2 = std::max(0.0, m.sum_sq - m.sum * m.sum / m.weight);
      m2 += own_m2 + m.weight * (own_mean - p.mean) * (own_mean - p.mean);
    }
    p.sd = std::sqrt(m2 / total);
  }
  return p;
}

// Raters that fell back to the pooled moments, by reason.
struct Fallbacks {
  int64_t few = 0, flat = 0, silent = 0;
};

// Pass 1: each rater's standardiser (its own moments, or the pooled ones),
// reported as the rater values mean, sd and fallback of `r`.
std::vector<Standardiser> StandardiseRaters(const RatingBallots& b,
                                            const std::vector<double>& value, double tiny_sd,
                                            int64_t min_ballots, Pooled& pooled, Fallbacks& fb,
                                            ScoreResult& r) {
  const uint32_t raters = b.num_raters;
  std::vector<Standardiser> stand(raters);
  r.rater_values.push_back({"mean", Eigen::VectorXd(raters)});
  r.rater_values.push_back({"sd", Eigen::VectorXd(raters)});
  r.rater_values.push_back({"fallback", Eigen::VectorXd(raters)});
  Eigen::VectorXd& out_mean = r.rater_values[0].second;
  Eigen::VectorXd& out_sd = r.rater_values[1].second;
  Eigen::VectorXd& out_fallback = r.rater_values[2].second;
  std::vector<RaterMoments> moments(raters);
  if (b.Weighted())
    AccumulateRaters<true>(b, value.data(), moments);
  else
    AccumulateRaters<false>(b, value.data(), moments);
  pooled = PoolMoments(moments, value);
  const double pooled_inv = pooled.sd > tiny_sd ? 1.0 / pooled.sd : 0.0;

  for (uint32_t i = 0; i < raters; ++i) {
    const RaterMoments& m = moments[i];
    bool fallback = true;
    if (m.count == 0) {
      ++fb.silent;
    } else if (m.count < static_cast<uint64_t>(min_ballots)) {
      ++fb.few;
    } else {
      const double var = std::max(0.0, m.sum_sq - m.sum * m.sum / m.weight) / m.weight;
      const double sd = std::sqrt(var);
      if (sd > tiny_sd) {
        stand[i] = {value[m.first] + m.sum / m.weight, 1.0 / sd};
        out_mean[i] = stand[i].mean;
        out_sd[i] = sd;
        fallback = false;
      } else {
        ++fb.flat;
      }
    }
    if (fallback) {
      stand[i] = {pooled.mean, pooled_inv};
      out_mean[i] = pooled.mean;
      out_sd[i] = pooled.sd;
    }
    out_fallback[i] = fallback ? 1.0 : 0.0;
  }
  return stand;
}

// Standard error of an evaluee's mean z from its accumulators.
double EvalueeSe(const EvalueeSums& all) {
  double se = 0.0;
  if (all.count >= 2) {
    const double var = std::max(0.0, all.sum_sq - all.sum * all.sum / all.weight) / all.weight;
    const double n_eff = all.weight * all.weight / all.weight_sq;
    if (n_eff - 1.0 > 1e-9) se = std::sqrt(var / (n_eff - 1.0));
  }
  return se;
}

// Evaluees without a valid vote, and with valid votes only from groups of
// weight 0.
struct EvalueeCounts {
  int empty = 0, unweighted_only = 0;
};

// Pass 2: per-evaluee means of z, within group, then across groups.
EvalueeCounts ScoreEvaluees(const RatingBallots& b, const std::vector<double>& value,
                            const std::vector<Standardiser>& stand,
                            const std::vector<double>& weights, ScoreResult& r) {
  const int n = b.NumRatees(), G = b.NumGroups(), K = b.levels;
  r.score.resize(n);
  r.se.resize(n);
  std::vector<double> group_mean(G);
  std::unique_ptr<bool[]> present(new bool[G]);
  EvalueeCounts counts;
  for (int e = 0; e < n; ++e) {
    EvalueeSums all;
    for (int g = 0; g < G; ++g) {
      const int slot = b.Slot(e, g);
      double gw = 0.0, gz = 0.0;
      for (uint64_t i = b.slot_begin[slot]; i < b.slot_begin[slot + 1]; ++i) {
        const uint32_t word = b.ballot[i];
        const uint32_t grade = word & 0xFFu;
        if (grade >= static_cast<uint32_t>(K)) continue;
        const double w = b.Weight(i);
        if (!(w > 0.0)) continue;
        const Standardiser& s = stand[word >> 8];
        const double z = (value[grade] - s.mean) * s.inv_sd;
        gw += w;
        gz += w * z;
        // Shifted by the evaluee's first z-score, for the same reasons as
        // the rater moments.
        if (all.count == 0) all.shift = z;
        const double d = z - all.shift;
        all.weight += w;
        all.sum += w * d;
        all.sum_sq += w * d * d;
        all.weight_sq += w * w;
        ++all.count;
      }
      present[g] = gw > 0.0;
      group_mean[g] = gw > 0.0 ? gz / gw : 0.0;
    }
    if (all.count == 0) ++counts.empty;
    bool any_weight = false;
    for (int g = 0; g < G; ++g) any_weight = any_weight || (present[g] && weights[g] > 0.0);
    if (all.count > 0 && !any_weight) ++counts.unweighted_only;
    r.score[e] = CombineGroups(group_mean, {present.get(), static_cast<size_t>(G)}, weights, 0.0);
    r.se[e] = EvalueeSe(all);
  }
  return counts;
}

class ZscoreMean : public Model {
 public:
  explicit ZscoreMean(ZscoreMeanOptions o) : o_(std::move(o)) {}

  ScoreResult Score(const ModelInput& input) const override {
    const RatingBallots& b = *input.ratings;
    const int K = b.levels;
    // Points are read against the context's number of grades; should the
    // ballots have another, the grades themselves are standardised (noted).
    const bool use_points = !o_.points.empty() && static_cast<int>(o_.points.size()) == K;
    const std::vector<double> value = GradeValues(o_.points, K, use_points);
    const double tiny_sd = TinySd(value);

    ScoreResult r;
    Pooled pooled;
    Fallbacks fb;
    const std::vector<Standardiser> stand =
        StandardiseRaters(b, value, tiny_sd, o_.min_ballots, pooled, fb, r);
    const EvalueeCounts counts =
        ScoreEvaluees(b, value, stand, EffectiveGroupWeights(o_.group_weights, b), r);

    if (!o_.points.empty() && !use_points)
      r.notes.push_back(
          fmt::format("points has {} values but the ballots have {} grades: the "
                      "grades were standardised instead",
                      o_.points.size(), K));
    r.parameters = {{"pooled_mean", pooled.mean},
                    {"pooled_sd", pooled.sd},
                    {"fallback_raters", static_cast<double>(fb.few + fb.flat + fb.silent)}};
    AddNotes(fb, pooled, tiny_sd, counts, r);
    return r;
  }

 private:
  void AddNotes(const Fallbacks& fb, const Pooled& pooled, double tiny_sd,
                const EvalueeCounts& counts, ScoreResult& r) const {
    if (fb.few + fb.flat > 0)
      r.notes.push_back(fmt::format(
          "{} rater(s) with fewer than {} valid ballots and {} with no variation in their grades "
          "were standardised by the pooled mean {:.6g} and sd {:.6g}",
          fb.few, o_.min_ballots, fb.flat, pooled.mean, pooled.sd));
    if (fb.silent > 0)
      r.notes.push_back(fmt::format("{} rater(s) cast no valid ballot", fb.silent));
    if (pooled.any_valid && pooled.sd <= tiny_sd)
      r.notes.push_back("the valid ballots do not vary at all: every z-score is 0");
    if (counts.empty > 0)
      r.notes.push_back(fmt::format(
          "{} evaluee(s) had no valid vote and scored 0 (the pooled mean of z)", counts.empty));
    if (counts.unweighted_only > 0)
      r.notes.push_back(
          fmt::format("{} evaluee(s) had valid votes only from groups of weight 0 and scored 0",
                      counts.unweighted_only));
  }

  ZscoreMeanOptions o_;
};

}  // namespace

ModelSpec ZscoreMeanSpec() {
  ModelSpec spec;
  spec.name = "zscore_mean";
  spec.summary =
      "each rater's grades standardised by the rater's own mean and sd (pooled ones for raters "
      "with few ballots or no variation), then averaged per evaluee within each rater group and "
      "combined by group weight";
  spec.params = {
      PointsParam("none (the grades 0..K-1)",
                  "values of each grade, lowest grade first, standardised instead of the grades"),
      GroupWeightsParam("weight of each rater group's mean z-score"),
      IntegerParam("min_ballots", 3, AtLeast(1),
                   "raters with fewer valid ballots use the pooled mean and sd"),
  };
  // Per-rater moments and standardisers, three per-rater output vectors
  // (mean, sd, fallback).
  spec.memory = [](int, int) { return FitMemory{0, 0, 40 + 24 + 24, 3}; };
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    ZscoreMeanOptions o;
    const bool has_points = in.Has("points");
    std::vector<double> points = ReadPoints(in);
    if (has_points) o.points = std::move(points);
    o.group_weights = ReadGroupWeights(in);
    o.min_ballots = in.Int("min_ballots");
    return std::make_unique<ZscoreMean>(std::move(o));
  };
  return spec;
}

}  // namespace evalsim
