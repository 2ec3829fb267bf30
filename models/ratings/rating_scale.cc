#include "models/ratings/rating_scale.h"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "models/common/union_find.h"
#include "sim/core/parallel.h"

namespace evalsim {
namespace {

// Largest move of one estimate (logits) in one Newton step: far from the
// solution the model variance is tiny and a full Newton step overshoots.
constexpr double kMaxStep = 1.0;
// Parts of at most this many core evaluees and raters take joint Newton steps.
constexpr int kSmallPart = 32;
// WarmStart stops when nothing moves by this much, or after so many steps.
constexpr double kWarmTolerance = 1e-3;
constexpr int kWarmIterations = 100;

// Set from the parameter declarations of RatingScaleSpec().
struct RatingScaleOptions {
  double tolerance{};
  int max_iterations{};
  double extreme_adjust{};
  bool item_facet = true;  // `items = "facet"`: fit the items as a facet
};

// How an evaluee or a rater takes part in the fit.
enum Role : uint8_t {
  kNoEstimate = 0,  // no ballot in its estimating equation: estimate 0, se 0
  kCore = 1,        // estimated jointly from the core (non-extreme) ballots
  kAnchored = 2,    // set aside; estimated against fixed core estimates
};

// Adds one equation's coupling d with the thresholds (inner values), given
// its information and gradient g, to a part's sums for ThresholdStep (laid
// out as RatingScaleFit::SumsStride() tells): d d' / info to the upper
// triangle of the Schur terms, d g / info to their gradient.
void AddSchurTerm(const double* d, double info, double g, int inner, double* sums) {
  double* schur = sums + inner + inner * inner;
  double* hg = schur + inner * inner;
  for (int a = 0; a < inner; ++a) {
    const double da = d[a] / info;
    hg[a] += da * g;
    for (int c = a; c < inner; ++c) schur[a * inner + c] += da * d[c];
  }
}

// Clamps a Newton step to [-kMaxStep, kMaxStep]; a zero-variance equation
// (only possible through underflow far from the solution) moves by the
// largest step in the direction of its gradient.
double LimitedStep(double gradient, double information) {
  if (!(information > 0.0)) {
    return gradient > 0.0 ? kMaxStep : (gradient < 0.0 ? -kMaxStep : 0.0);
  }
  return std::clamp(gradient / information, -kMaxStep, kMaxStep);
}

// The observed grades (the model's categories) with their integer scores
// and coefficients c_u: log P(u | eta) = score_u * eta - c_u - log Z(eta).
// With every grade observed c_u = tau_1 + ... + tau_u, so c is zero at the
// lowest grade and, because the thresholds sum to zero, at the highest.
struct Categories {
  int count = 0;
  std::array<int16_t, 256> of_grade;  // grade byte -> category, -1 if blank/unused
  std::vector<double> score;
  std::vector<double> coef;
};

// The category probabilities at the current coefficients, ready for many
// ballots: the scores and coefficients, and for the fast path below the
// factors g_u = exp(-(c_u - c_{u-1})).
struct Kernel {
  int m = 0;
  const double* score = nullptr;
  const double* coef = nullptr;
  std::vector<double> g;
  bool contiguous = false;  // the observed grades are consecutive integers
  double eta_limit = -1.0;  // the fast path is safe for |eta| <= eta_limit

  // exp(x) when |x| <= eta_limit / 2, else 0 (then the ballot takes the
  // log-sum-exp path). exp(theta - delta) = ExpHalf(theta) ExpHalf(-delta)
  // turns the one exponential per ballot into one per evaluee and rater.
  double ExpHalf(double x) const {
    return eta_limit > 0.0 && std::abs(x) <= 0.5 * eta_limit ? std::exp(x) : 0.0;
  }

  Kernel(const std::vector<double>& s, const std::vector<double>& c)
      : m(static_cast<int>(s.size())), score(s.data()), coef(c.data()), g(s.size(), 1.0) {
    contiguous = true;
    double largest = 0.0;
    for (int u = 1; u < m; ++u) {
      contiguous = contiguous && s[u] - s[u - 1] == 1.0;
      g[u] = std::exp(-(c[u] - c[u - 1]));
      largest = std::max(largest, std::abs(c[u] - c[u - 1]));
    }
    // Every term of the forward product lies within exp(+-600) of the first
    // when each log ratio eta - (c_u - c_{u-1}) is within 600 / (m - 1).
    if (contiguous && m > 1) eta_limit = 600.0 / (m - 1) - largest;
  }
};

// Category probabilities at eta = theta - delta (into p[0..m)), and the
// mean and variance of the score. M > 0 fixes the number of categories at
// compile time (M = 0: k.m at run time).
//
// Fast path, when exp_eta = ExpHalf(theta) ExpHalf(-delta) > 0 (consecutive
// grades, moderate theta and delta): the terms exp(psi_u - psi_0) are
// running products of the ratios exp(eta) g_u, no exponential at all.
// Otherwise log-sum-exp, one exponential per category, with the largest
// term 1 so that nothing overflows whatever eta is.
template <int M>
[[gnu::always_inline]] inline void Moments(const Kernel& k, double eta, double exp_eta, double* p,
                                           double* mean, double* var) {
  const int m = M > 0 ? M : k.m;
  const double* score = k.score;
  double z = 0.0;
  if (exp_eta > 0.0) {
    const double e = exp_eta;
    double q = 1.0;
    p[0] = 1.0;
    z = 1.0;
    for (int u = 1; u < m; ++u) {
      q *= e * k.g[u];
      p[u] = q;
      z += q;
    }
  } else {
    double top = -std::numeric_limits<double>::infinity();
    for (int u = 0; u < m; ++u) {
      p[u] = score[u] * eta - k.coef[u];
      top = std::max(top, p[u]);
    }
    for (int u = 0; u < m; ++u) {
      p[u] = std::exp(p[u] - top);
      z += p[u];
    }
  }
  const double inv = 1.0 / z;
  double mu = 0.0;
  for (int u = 0; u < m; ++u) {
    p[u] *= inv;
    mu += p[u] * score[u];
  }
  double s2 = 0.0;
  for (int u = 0; u < m; ++u) {
    const double d = score[u] - mu;
    s2 += p[u] * d * d;
  }
  *mean = mu;
  *var = s2;
}

// Calls f(std::integral_constant<int, M>) with M = m for the usual scales
// (2..8 observed grades), M = 0 otherwise.
template <class F>
void WithCategoryCount(int m, F&& f) {
  switch (m) {
    case 2:
      return f(std::integral_constant<int, 2>{});
    case 3:
      return f(std::integral_constant<int, 3>{});
    case 4:
      return f(std::integral_constant<int, 4>{});
    case 5:
      return f(std::integral_constant<int, 5>{});
    case 6:
      return f(std::integral_constant<int, 6>{});
    case 7:
      return f(std::integral_constant<int, 7>{});
    case 8:
      return f(std::integral_constant<int, 8>{});
    default:
      return f(std::integral_constant<int, 0>{});
  }
}

// Per-element sums over the ballots of one estimating equation.
struct EquationData {
  std::vector<double> weight;  // total ballot weight
  std::vector<double> target;  // raw score (weighted sum of grades), adjusted if extreme
};

class RatingScaleFit {
 public:
  RatingScaleFit(const RatingBallots& b, const RatingScaleOptions& o)
      : b_(b),
        o_(o),
        n_(b.NumRatees()),
        num_raters_(static_cast<int>(b.num_raters)),
        groups_(b.NumGroups()) {}

  ScoreResult Run();

 private:
  uint64_t Begin(int i) const { return b_.slot_begin[static_cast<size_t>(i) * groups_]; }
  uint64_t End(int i) const { return b_.slot_begin[static_cast<size_t>(i + 1) * groups_]; }
  // Calls f(rater, category, weight) for every valid ballot on evaluee i.
  template <class F>
  void ForEachBallot(int i, F&& f) const {
    const uint64_t end = End(i);
    const uint32_t* words = b_.ballot.data();
    if (b_.Weighted()) {
      const float* w = b_.weight.data();
      for (uint64_t k = Begin(i); k < end; ++k) {
        const int u = cat_.of_grade[BallotGrade(words[k])];
        if (u >= 0 && w[k] > 0.0f) f(static_cast<int>(BallotRater(words[k])), u, double{w[k]});
      }
    } else {
      for (uint64_t k = Begin(i); k < end; ++k) {
        const int u = cat_.of_grade[BallotGrade(words[k])];
        if (u >= 0) f(static_cast<int>(BallotRater(words[k])), u, 1.0);
      }
    }
  }

  void FindCategories();
  void SetAsideExtremes();
  void SetAsideWeakLinks();
  // Steps of SetAsideWeakLinks: the raters' out-edges, the strongly
  // connected components of the core graph (Tarjan), and its connected parts.
  struct RaterEdges {
    std::vector<uint64_t> begin;  // per rater, into `to`
    std::vector<int32_t> to;      // evaluees rated above the bottom grade
  };
  RaterEdges RaterOutEdges() const;
  std::vector<int32_t> StrongComponents(int32_t* count) const;
  DisjointSets CoreParts() const;
  void BuildEquations();
  void FindComponents();
  // Kernel::ExpHalf(-delta) of every rater, for the fast path of Moments.
  std::vector<double> ExpNegDelta(const Kernel& kernel) const {
    std::vector<double> out(num_raters_);
    for (int j = 0; j < num_raters_; ++j) out[j] = kernel.ExpHalf(-delta_[j]);
    return out;
  }
  // Sums of expected scores and variances of every evaluee's equation.
  void SumRatees(std::vector<double>& mean, std::vector<double>& var) const;
  template <int M>
  void SumRateesFor(std::vector<double>& mean, std::vector<double>& var) const;
  // The same for every rater's equation (over core evaluees).
  void SumRaters(std::vector<double>& mean, std::vector<double>& var) const;
  template <int M>
  void SumRatersFor(std::vector<double>& mean, std::vector<double>& var) const;
  void ThresholdStep();
  void Centre();
  void WarmStart();
  // The iteration, part by part (see Iterate()).
  void BuildParts();
  int Iterate(bool* converged, double* change);
  // Which parts an iteration sweeps (see Iterate()).
  struct PartSchedule {
    static constexpr double kSettle = 0.1;
    static constexpr double kInfinity = std::numeric_limits<double>::infinity();
    PartSchedule(int parts, int categories);
    void WakeAll();
    void Update(const std::vector<double>& coef, double tolerance);
    std::vector<int32_t> active;      // swept in the next iteration, ascending
    std::vector<double> change;       // largest move of each part in its last sweep
    std::vector<double> last_change;  // the move of the sweep before
    std::vector<double> frozen_at;    // the thresholds when each part settled
    int categories_;
  };
  void IterateOnce(std::span<const int32_t> active, std::vector<double>& sums,
                   std::vector<double>& part_change, double* anchored_change);
  std::span<const int32_t> PartRatees(int p) const {
    return {part_ratees_.data() + part_ratee_begin_[p],
            part_ratees_.data() + part_ratee_begin_[p + 1]};
  }
  std::span<const int32_t> PartRaters(int p) const {
    return {part_raters_.data() + part_rater_begin_[p],
            part_raters_.data() + part_rater_begin_[p + 1]};
  }
  // Calls f(rater, weight, E, Var) for every graded ballot of positive
  // weight of evaluee i (from a core rater only when kCoreRaters), at the
  // current estimates, exp_neg_delta[j] standing for exp(-delta_j / 2).
  template <int M, bool kCoreRaters, class F>
  void ForEachMoment(int i, const Kernel& kernel, const double* exp_neg_delta, F&& f) const {
    const uint32_t* words = b_.ballot.data();
    const float* weights = b_.Weighted() ? b_.weight.data() : nullptr;
    double p[M > 0 ? M : kMaxLevels];
    const double t = theta_[i], exp_t = kernel.ExpHalf(t);
    for (uint64_t k = Begin(i), end = End(i); k < end; ++k) {
      const uint32_t word = words[k];
      const double w = weights ? weights[k] : 1.0;
      const uint32_t j = BallotRater(word);
      if (cat_.of_grade[BallotGrade(word)] < 0 || !(w > 0.0)) continue;
      if (kCoreRaters && rater_role_[j] != kCore) continue;
      double e, v;
      Moments<M>(kernel, t - delta_[j], exp_t * exp_neg_delta[j], p, &e, &v);
      f(j, w, e, v);
    }
  }
  // The same for a core evaluee's ballots from core raters, with
  // exp_neg_delta_ as the iteration holds it.
  template <int M, class F>
  void ForEachCoreMoment(int i, const Kernel& kernel, F&& f) const {
    ForEachMoment<M, true>(i, kernel, exp_neg_delta_.data(), std::forward<F>(f));
  }
  template <int M>
  double StepPart(int part, const Kernel& kernel, double* sums);
  // The joint Newton step of a small part's abilities and severities;
  // false (nothing changed) when its matrix is not positive definite.
  template <int M>
  bool StepSmallPart(int part, const Kernel& kernel);
  double CentrePart(int part);
  template <int M>
  double StepAnchoredRatees(const Kernel& kernel, std::span<const int32_t> ratees);
  template <int M>
  double StepAnchoredRaters(const Kernel& kernel, std::span<const int32_t> raters);
  // The anchored evaluees and raters (indices into anchored_raters_) swept
  // with part p; p = components_: those swept on their own.
  std::span<const int32_t> AnchoredRatees(int p) const {
    return {anchored_ratee_by_part_.data() + anchored_ratee_part_begin_[p],
            anchored_ratee_by_part_.data() + anchored_ratee_part_begin_[p + 1]};
  }
  std::span<const int32_t> AnchoredRaters(int p) const {
    return {anchored_rater_by_part_.data() + anchored_rater_part_begin_[p],
            anchored_rater_by_part_.data() + anchored_rater_part_begin_[p + 1]};
  }
  void AttachAnchored();
  void AddThresholdSums(const std::vector<double>& sums);
  void AddSeverityTerms(int part, double* sums) const;
  // The threshold sums of one evaluee's ballots (ThresholdStep's s, q, and
  // the Schur terms of its own equation), added into `sums`.
  template <int M>
  void AddThresholdTerms(int i, const Kernel& kernel, bool core, double* s_sum, double* q_sum,
                         double* sums);
  template <int M>
  void AddThresholdTermsOf(std::span<const int32_t> ratees, const Kernel& kernel, bool core,
                           double* sums);
  size_t SumsStride() const {
    const size_t inner = cat_.count > 2 ? static_cast<size_t>(cat_.count - 2) : 0;
    return 2 * inner + 2 * inner * inner;
  }
  ScoreResult Result(int iterations, bool converged, double change);
  // Parts of Result: standard errors, severities, thresholds and notes.
  int AddScores(const std::vector<double>& ratee_var, ScoreResult& r) const;
  int AddSeverities(const std::vector<double>& rater_var, ScoreResult& r) const;
  void AddThresholds(ScoreResult& r) const;
  void AddFitNotes(int iterations, bool converged, double change, ScoreResult& r) const;
  void AddDataNotes(int no_ballot, int no_severity, ScoreResult& r) const;
  ScoreResult Degenerate();

  const RatingBallots& b_;
  const RatingScaleOptions& o_;
  const int n_, num_raters_, groups_;

  Categories cat_;
  std::vector<double> total_weight_;              // per evaluee, every valid ballot
  std::vector<uint8_t> ratee_trim_, rater_trim_;  // 0 kept, 1 all top, 2 all bottom
  std::vector<uint8_t> ratee_role_, rater_role_;
  EquationData ratee_eq_, rater_eq_;
  int ratee_adjusted_ = 0, rater_adjusted_ = 0, ratee_detached_ = 0;
  // Set aside by SetAsideWeakLinks (1), with the counts for the note.
  std::vector<uint8_t> ratee_weak_, rater_weak_;
  int weak_ratees_ = 0, weak_raters_ = 0, weak_parts_ = 0;

  // Thresholds: estimated from the core ballots, or from all valid ballots
  // when the core lacks an observed grade.
  bool thresholds_from_all_ = false;
  std::vector<double> observed_;   // weight of each category in the threshold ballots
  std::vector<int> core_missing_;  // grades observed but absent from the core

  // Connected parts of the core: severities are centred within each.
  int components_ = 0;
  std::vector<int32_t> ratee_comp_, rater_comp_;
  // The members of each part (core evaluees and raters), by part.
  std::vector<size_t> part_ratee_begin_, part_rater_begin_;
  std::vector<int32_t> part_ratees_, part_raters_;
  // The evaluees and raters estimated against the core, and the ballots of
  // those raters on core evaluees (by rater).
  std::vector<int32_t> anchored_ratees_, anchored_raters_;
  std::vector<size_t> anchored_begin_;
  std::vector<int32_t> anchored_ratee_;
  std::vector<double> anchored_weight_;
  // The part each anchored evaluee and rater is swept with (see
  // AttachAnchored()), grouped by part.
  std::vector<size_t> anchored_ratee_part_begin_, anchored_rater_part_begin_;
  std::vector<int32_t> anchored_ratee_by_part_, anchored_rater_by_part_;
  // Per rater: Kernel::ExpHalf(-delta), and the sums of its equation.
  std::vector<double> exp_neg_delta_, rater_mean_, rater_var_;
  // The estimates before the current iteration (of the parts it sweeps).
  std::vector<double> old_theta_, old_delta_;

  std::vector<double> theta_, delta_;
  // Threshold sums of one pass: s_u = sum w p_u and q = sum w p p' over the
  // interior categories, and the Schur-complement terms of the evaluees'
  // couplings (sum h h' / V and sum h g / V).
  std::vector<double> thr_s_, thr_q_, thr_schur_, thr_hg_;
  // Per core rater, the sums over its ballots of AddSeverityTerms's d_j
  // (inner values each), of v_ij g_i / V_i and of v_ij^2 / V_i.
  std::vector<double> rater_hd_, rater_gd_, rater_sv_;
  std::vector<int32_t> rater_local_;  // each core rater's place in PartRaters
};

void RatingScaleFit::FindCategories() {
  const int K = b_.levels;
  std::vector<double> weight(std::max(K, 1), 0.0);
  total_weight_.assign(n_, 0.0);
  const uint32_t* words = b_.ballot.data();
  for (int i = 0; i < n_; ++i) {
    for (uint64_t k = Begin(i); k < End(i); ++k) {
      const uint8_t g = BallotGrade(words[k]);
      const double w = b_.Weight(k);
      if (g < K && w > 0.0) {
        weight[g] += w;
        total_weight_[i] += w;
      }
    }
  }
  cat_.of_grade.fill(-1);
  for (int g = 0; g < K; ++g) {
    if (weight[g] > 0.0) {
      cat_.of_grade[g] = static_cast<int16_t>(cat_.count++);
      cat_.score.push_back(g);
    }
  }
  cat_.coef.assign(cat_.count, 0.0);
}

// Repeatedly sets aside evaluees and raters whose ballots among the kept
// ones are all in the top (or all in the bottom) observed grade. Each round
// decides from the previous round's state, so the result does not depend on
// the order of evaluees or raters. Only which kinds of kept ballot each one
// has matters (ForEachBallot passes positive weights alone), so a round
// sets flags, on every core: an OR, whatever the order.
void RatingScaleFit::SetAsideExtremes() {
  enum : uint8_t { kAny = 1, kNotTop = 2, kNotBottom = 4 };
  const int top = cat_.count - 1;
  ratee_trim_.assign(n_, 0);
  rater_trim_.assign(num_raters_, 0);
  std::vector<uint8_t> ratee_kinds(n_), rater_kinds(num_raters_);
  for (bool changed = true; changed;) {
    std::fill(rater_kinds.begin(), rater_kinds.end(), 0);
    ParallelFor(tbb::blocked_range<int>(0, n_, 1024), [&](const tbb::blocked_range<int>& r) {
      for (int i = r.begin(); i < r.end(); ++i) {
        uint8_t kinds = 0;
        if (ratee_trim_[i] == 0) {
          ForEachBallot(i, [&](int j, int u, double) {
            if (rater_trim_[j] != 0) return;
            const uint8_t kind = kAny | (u != top ? kNotTop : 0) | (u != 0 ? kNotBottom : 0);
            kinds |= kind;
            std::atomic_ref<uint8_t> rater(rater_kinds[j]);
            if ((rater.load(std::memory_order_relaxed) & kind) != kind)
              rater.fetch_or(kind, std::memory_order_relaxed);
          });
        }
        ratee_kinds[i] = kinds;
      }
    });
    changed = false;
    auto mark = [&](std::vector<uint8_t>& trim, const std::vector<uint8_t>& kinds) {
      for (size_t x = 0; x < trim.size(); ++x) {
        if (trim[x] != 0 || !(kinds[x] & kAny)) continue;
        if (!(kinds[x] & kNotTop)) {
          trim[x] = 1;
          changed = true;
        } else if (!(kinds[x] & kNotBottom)) {
          trim[x] = 2;
          changed = true;
        }
      }
    };
    mark(ratee_trim_, ratee_kinds);
    mark(rater_trim_, rater_kinds);
    if (!changed) {
      // Final state: kept elements with a core ballot form the core.
      ratee_role_.assign(n_, kNoEstimate);
      rater_role_.assign(num_raters_, kNoEstimate);
      for (int i = 0; i < n_; ++i) {
        if (ratee_trim_[i] == 0 && (ratee_kinds[i] & kAny)) {
          ratee_role_[i] = kCore;
        } else if (total_weight_[i] > 0.0) {
          ratee_role_[i] = kAnchored;
          if (ratee_trim_[i] == 0) ++ratee_detached_;
        }
      }
      for (int j = 0; j < num_raters_; ++j)
        if (rater_trim_[j] == 0 && (rater_kinds[j] & kAny)) rater_role_[j] = kCore;
    }
  }
}

// The raters' out-edges (ballots above the bottom grade, on core evaluees),
// by rater.
RatingScaleFit::RaterEdges RatingScaleFit::RaterOutEdges() const {
  RaterEdges edges;
  std::vector<uint64_t>& rater_begin = edges.begin;
  rater_begin.assign(static_cast<size_t>(num_raters_) + 1, 0);
  for (int i = 0; i < n_; ++i) {
    if (ratee_role_[i] != kCore) continue;
    ForEachBallot(i, [&](int j, int u, double) {
      if (rater_role_[j] == kCore && u != 0) ++rater_begin[j + 1];
    });
  }
  for (int j = 0; j < num_raters_; ++j) rater_begin[j + 1] += rater_begin[j];
  edges.to.resize(rater_begin.back());
  std::vector<uint64_t> fill(rater_begin.begin(), rater_begin.end() - 1);
  for (int i = 0; i < n_; ++i) {
    if (ratee_role_[i] != kCore) continue;
    ForEachBallot(i, [&](int j, int u, double) {
      if (rater_role_[j] == kCore && u != 0) edges.to[fill[j]++] = i;
    });
  }
  return edges;
}

// The strongly connected component of every node (evaluees, then raters;
// -1 for a node outside the core), numbered 0..*count-1. Tarjan's
// algorithm, without recursion.
std::vector<int32_t> RatingScaleFit::StrongComponents(int32_t* count) const {
  const int top = cat_.count - 1;
  const int32_t nodes = n_ + num_raters_;
  const RaterEdges edges = RaterOutEdges();
  const std::vector<uint64_t>& rater_begin = edges.begin;
  const std::vector<int32_t>& rater_to = edges.to;
  // The next out-edge of node v at or after position *pos, or -1. An
  // evaluee's edges are read from its ballots (below the top grade, core
  // rater), a rater's from rater_to.
  const uint32_t* words = b_.ballot.data();
  auto next = [&](int32_t v, uint64_t* pos) -> int32_t {
    if (v >= n_) {
      const int j = v - n_;
      return *pos < rater_begin[j + 1] ? rater_to[(*pos)++] : -1;
    }
    for (const uint64_t end = End(v); *pos < end;) {
      const uint64_t k = (*pos)++;
      const int u = cat_.of_grade[BallotGrade(words[k])];
      const uint32_t j = BallotRater(words[k]);
      if (u >= 0 && u != top && b_.Weight(k) > 0.0f && rater_role_[j] == kCore)
        return n_ + static_cast<int32_t>(j);
    }
    return -1;
  };
  auto first = [&](int32_t v) { return v >= n_ ? rater_begin[v - n_] : Begin(v); };
  auto active = [&](int32_t v) {
    return v >= n_ ? rater_role_[v - n_] == kCore : ratee_role_[v] == kCore;
  };

  std::vector<int32_t> index(nodes, -1), low(nodes, 0), scc(nodes, -1), stack;
  std::vector<std::pair<int32_t, uint64_t>> call;
  int32_t counter = 0, scc_count = 0;
  for (int32_t s = 0; s < nodes; ++s) {
    if (index[s] >= 0 || !active(s)) continue;
    index[s] = low[s] = counter++;
    stack.push_back(s);
    call.emplace_back(s, first(s));
    while (!call.empty()) {
      const int32_t v = call.back().first;
      const int32_t w = next(v, &call.back().second);
      if (w >= 0) {
        if (index[w] < 0) {
          index[w] = low[w] = counter++;
          stack.push_back(w);
          call.emplace_back(w, first(w));
        } else if (scc[w] < 0) {
          low[v] = std::min(low[v], index[w]);  // w is on the stack
        }
        continue;
      }
      call.pop_back();
      if (!call.empty()) low[call.back().first] = std::min(low[call.back().first], low[v]);
      if (low[v] == index[v]) {
        int32_t x;
        do {
          x = stack.back();
          stack.pop_back();
          scc[x] = scc_count;
        } while (x != v);
        ++scc_count;
      }
    }
  }
  *count = scc_count;
  return scc;
}

// Connected parts of the core graph (the same edges, either direction).
DisjointSets RatingScaleFit::CoreParts() const {
  DisjointSets sets(static_cast<size_t>(n_) + num_raters_);
  for (int i = 0; i < n_; ++i) {
    if (ratee_role_[i] != kCore) continue;
    ForEachBallot(i, [&](int j, int, double) {
      if (rater_role_[j] != kCore) return;
      sets.Union(static_cast<uint32_t>(i), static_cast<uint32_t>(n_ + j));
    });
  }
  return sets;
}

// Sets aside the core outside the largest strongly connected component of
// each connected part, when the part has more than one. The directed graph
// has an edge evaluee -> rater for every core ballot below the top grade
// (it bounds theta - delta from above) and rater -> evaluee for every one
// above the bottom grade (from below); finite JML estimates exist only when
// every connected part is strongly connected (Fischer 1981, "On the
// existence and uniqueness of maximum-likelihood estimates in the Rasch
// model", Psychometrika 46(1), for two grades; the same argument holds for
// ordered grades).
void RatingScaleFit::SetAsideWeakLinks() {
  const int32_t nodes = n_ + num_raters_;
  ratee_weak_.assign(n_, 0);
  rater_weak_.assign(num_raters_, 0);
  int32_t scc_count = 0;
  const std::vector<int32_t> scc = StrongComponents(&scc_count);
  DisjointSets sets = CoreParts();
  auto find = [&](int32_t x) { return static_cast<int32_t>(sets.Find(static_cast<uint32_t>(x))); };
  // Per component: size, smallest node and part; per part: the number of
  // components and the one kept (largest, ties to the smallest node).
  std::vector<int32_t> scc_size(scc_count, 0), scc_min(scc_count, nodes), scc_part(scc_count, -1);
  for (int32_t v = 0; v < nodes; ++v) {
    if (scc[v] < 0) continue;
    ++scc_size[scc[v]];
    scc_min[scc[v]] = std::min(scc_min[scc[v]], v);
    scc_part[scc[v]] = find(v);
  }
  std::vector<int32_t> part_count(nodes, 0), part_keep(nodes, -1);
  for (int32_t c = 0; c < scc_count; ++c) {
    const int32_t p = scc_part[c];
    ++part_count[p];
    const int32_t k = part_keep[p];
    if (k < 0 || scc_size[c] > scc_size[k] ||
        (scc_size[c] == scc_size[k] && scc_min[c] < scc_min[k]))
      part_keep[p] = c;
  }
  for (int32_t p = 0; p < nodes; ++p)
    if (part_count[p] > 1) ++weak_parts_;
  if (weak_parts_ == 0) return;
  for (int32_t v = 0; v < nodes; ++v) {
    if (scc[v] < 0) continue;
    const int32_t p = scc_part[scc[v]];
    if (part_count[p] < 2 || part_keep[p] == scc[v]) continue;
    if (v < n_) {
      ratee_role_[v] = kAnchored;
      ratee_weak_[v] = 1;
      ++weak_ratees_;
    } else {
      rater_role_[v - n_] = kNoEstimate;  // kAnchored in BuildEquations if it rated the core
      rater_weak_[v - n_] = 1;
      ++weak_raters_;
    }
  }
}

// Fixes which ballots enter each equation and the targets: a core evaluee
// uses its ballots from core raters, a set-aside evaluee all its ballots;
// every rater uses its ballots on core evaluees. Extreme targets are moved
// inward by extreme_adjust score points (at most half the score range).
void RatingScaleFit::BuildEquations() {
  const int m = cat_.count, top = m - 1;
  ratee_eq_.weight.assign(n_, 0.0);
  ratee_eq_.target.assign(n_, 0.0);
  rater_eq_.weight.assign(num_raters_, 0.0);
  rater_eq_.target.assign(num_raters_, 0.0);
  std::vector<double> e_not_top(n_, 0.0), e_not_bottom(n_, 0.0);
  std::vector<double> j_not_top(num_raters_, 0.0), j_not_bottom(num_raters_, 0.0);
  std::vector<double> core_count(m, 0.0), all_count(m, 0.0);
  for (int i = 0; i < n_; ++i) {
    if (ratee_role_[i] == kNoEstimate) continue;
    const bool core_ratee = ratee_role_[i] == kCore;
    ForEachBallot(i, [&](int j, int u, double w) {
      const double x = cat_.score[u];
      const bool core_rater = rater_role_[j] == kCore;
      all_count[u] += w;
      if (!core_ratee || core_rater) {
        ratee_eq_.weight[i] += w;
        ratee_eq_.target[i] += w * x;
        if (u != top) e_not_top[i] += w;
        if (u != 0) e_not_bottom[i] += w;
      }
      if (core_ratee) {
        rater_eq_.weight[j] += w;
        rater_eq_.target[j] += w * x;
        if (u != top) j_not_top[j] += w;
        if (u != 0) j_not_bottom[j] += w;
        if (core_rater) core_count[u] += w;
      }
    });
  }
  const double range = cat_.score[top] - cat_.score[0];
  // Those set aside by SetAsideWeakLinks have their own note.
  auto adjust = [&](EquationData& eq, const std::vector<double>& not_top,
                    const std::vector<double>& not_bottom, const std::vector<uint8_t>& weak,
                    int* adjusted) {
    for (size_t x = 0; x < eq.weight.size(); ++x) {
      if (!(eq.weight[x] > 0.0)) continue;
      const double a = std::min(o_.extreme_adjust, 0.5 * eq.weight[x] * range);
      if (not_top[x] == 0.0) {
        eq.target[x] -= a;
        if (!weak[x]) ++*adjusted;
      } else if (not_bottom[x] == 0.0) {
        eq.target[x] += a;
        if (!weak[x]) ++*adjusted;
      }
    }
  };
  adjust(ratee_eq_, e_not_top, e_not_bottom, ratee_weak_, &ratee_adjusted_);
  adjust(rater_eq_, j_not_top, j_not_bottom, rater_weak_, &rater_adjusted_);
  for (int j = 0; j < num_raters_; ++j)
    if (rater_role_[j] != kCore && rater_eq_.weight[j] > 0.0) rater_role_[j] = kAnchored;

  for (int u = 0; u < m; ++u)
    if (core_count[u] == 0.0) core_missing_.push_back(static_cast<int>(cat_.score[u]));
  thresholds_from_all_ = !core_missing_.empty();
  observed_ = thresholds_from_all_ ? all_count : core_count;
}

// Components of the core ballots (union-find; numbered by their lowest
// evaluee).
void RatingScaleFit::FindComponents() {
  const size_t nodes = static_cast<size_t>(n_) + num_raters_;
  DisjointSets sets(nodes);
  auto find = [&](int32_t x) { return static_cast<int32_t>(sets.Find(static_cast<uint32_t>(x))); };
  for (int i = 0; i < n_; ++i) {
    if (ratee_role_[i] != kCore) continue;
    ForEachBallot(i, [&](int j, int, double) {
      if (rater_role_[j] != kCore) return;
      sets.Union(static_cast<uint32_t>(i), static_cast<uint32_t>(n_ + j));
    });
  }
  std::vector<int32_t> id(nodes, -1);
  ratee_comp_.assign(n_, -1);
  rater_comp_.assign(num_raters_, -1);
  for (int i = 0; i < n_; ++i) {
    if (ratee_role_[i] != kCore) continue;
    const int32_t r = find(i);
    if (id[r] < 0) id[r] = components_++;
    ratee_comp_[i] = id[r];
  }
  for (int j = 0; j < num_raters_; ++j)
    if (rater_role_[j] == kCore) rater_comp_[j] = id[find(n_ + j)];
}

void RatingScaleFit::SumRatees(std::vector<double>& mean, std::vector<double>& var) const {
  WithCategoryCount(cat_.count, [&](auto M) { SumRateesFor<M()>(mean, var); });
}

template <int M>
void RatingScaleFit::SumRateesFor(std::vector<double>& mean, std::vector<double>& var) const {
  const Kernel kernel(cat_.score, cat_.coef);
  const std::vector<double> exp_neg_delta = ExpNegDelta(kernel);
  // Each evaluee's sums on their own, so on every core.
  ParallelFor(tbb::blocked_range<int>(0, n_, 1024), [&](const tbb::blocked_range<int>& range) {
    for (int i = range.begin(); i < range.end(); ++i) {
      double se = 0.0, sv = 0.0;
      const auto add = [&](uint32_t, double w, double e, double v) {
        se += w * e;
        sv += w * v;
      };
      if (ratee_role_[i] == kCore) ForEachMoment<M, true>(i, kernel, exp_neg_delta.data(), add);
      if (ratee_role_[i] == kAnchored)
        ForEachMoment<M, false>(i, kernel, exp_neg_delta.data(), add);
      mean[i] = se;
      var[i] = sv;
    }
  });
}

void RatingScaleFit::SumRaters(std::vector<double>& mean, std::vector<double>& var) const {
  WithCategoryCount(cat_.count, [&](auto M) { SumRatersFor<M()>(mean, var); });
}

template <int M>
void RatingScaleFit::SumRatersFor(std::vector<double>& mean, std::vector<double>& var) const {
  const Kernel kernel(cat_.score, cat_.coef);
  const std::vector<double> exp_neg_delta = ExpNegDelta(kernel);
  std::fill(mean.begin(), mean.end(), 0.0);
  std::fill(var.begin(), var.end(), 0.0);
  for (int i = 0; i < n_; ++i) {
    if (ratee_role_[i] != kCore) continue;
    ForEachMoment<M, false>(i, kernel, exp_neg_delta.data(),
                            [&](uint32_t j, double w, double e, double v) {
                              mean[j] += w * e;
                              var[j] += w * v;
                            });
  }
}

// One Newton step on the interior category coefficients c (the two end
// ones stay 0). Log-likelihood gradient: g = s - N; minus the Hessian:
// M = diag(s) - sum w p p' (a multinomial covariance, positive definite
// when the interior categories have positive probability).
//
// The abilities and severities respond to a change of c (wider thresholds
// spread them out), and alternating plain steps crawl along that direction.
// So the step is the joint Newton step for (theta, delta, c) with theta and
// delta eliminated: the abilities first (their block of the Hessian is
// diagonal), then the severities, whose block after that elimination,
// S = diag(W) - B' diag(V)^-1 B, is taken by its diagonal:
// (M - sum_i h_i h_i' / V_i - sum_j d_j d_j' / S_jj) dc
//     = g + sum_i h_i g_i / V_i - sum_j d_j f_j / S_jj.
// For evaluee i, h_i = sum w p_u (x_u - E) is the coupling, V_i the variance
// and g_i the gradient of its equation; for rater j, with v_ij the variance
// of the ballot of j on i, d_j = sum_i (coupling of the ballot - v_ij h_i /
// V_i), S_jj = W_j - sum_i v_ij^2 / V_i and f_j = (gradient of its equation)
// + sum_i v_ij g_i / V_i (AddThresholdTerms and AddSeverityTerms sum them).
// Taking only the abilities' elimination, the thresholds settle about 0.6
// times their last move per iteration in the municipal member appraisal;
// with the severities too, about 0.25. Should that matrix not be positive
// definite, the plain step M dc = g is taken instead, and failing that a
// diagonal one.
void RatingScaleFit::ThresholdStep() {
  const int inner = cat_.count - 2;
  if (inner <= 0) return;
  Eigen::MatrixXd plain(inner, inner), schur(inner, inner);
  Eigen::VectorXd grad(inner), schur_grad(inner);
  for (int a = 0; a < inner; ++a) {
    grad[a] = thr_s_[a] - observed_[a + 1];
    schur_grad[a] = grad[a] + thr_hg_[a];
    for (int c = a; c < inner; ++c) {
      const size_t ac = static_cast<size_t>(a) * inner + c;
      plain(a, c) = plain(c, a) = (a == c ? thr_s_[a] : 0.0) - thr_q_[ac];
      schur(a, c) = schur(c, a) = plain(a, c) - thr_schur_[ac];
    }
  }
  auto solve = [](const Eigen::MatrixXd& info, const Eigen::VectorXd& g) -> Eigen::VectorXd {
    Eigen::LDLT<Eigen::MatrixXd> ldlt(info);
    if (ldlt.info() != Eigen::Success || !(ldlt.vectorD().array() > 0.0).all()) return {};
    Eigen::VectorXd x = ldlt.solve(g);
    return x.allFinite() ? x : Eigen::VectorXd();
  };
  Eigen::VectorXd step = solve(schur, schur_grad);
  if (step.size() != inner) step = solve(plain, grad);
  if (step.size() != inner) {
    step.resize(inner);
    for (int a = 0; a < inner; ++a) step[a] = LimitedStep(grad[a], plain(a, a));
  }
  const double largest = step.cwiseAbs().maxCoeff();
  if (largest > kMaxStep) step *= kMaxStep / largest;
  for (int a = 0; a < inner; ++a) cat_.coef[a + 1] += step[a];
}

// Starting abilities and thresholds: the fit with every severity 0. Then
// every ballot of a core evaluee has the same category probabilities, so
// the fit depends on each evaluee's ballot weight and raw score only, and
// runs on the distinct (weight, score) pairs with their counts, until
// nothing moves by kWarmTolerance (a start needs no more). In the municipal
// member appraisal it saves 3 of 20 iterations.
void RatingScaleFit::WarmStart() {
  const int inner = cat_.count - 2;
  if (inner <= 0 || thresholds_from_all_) return;
  std::vector<std::pair<double, double>> keys;
  for (int i = 0; i < n_; ++i)
    if (ratee_role_[i] == kCore && ratee_eq_.weight[i] > 0.0)
      keys.emplace_back(ratee_eq_.weight[i], ratee_eq_.target[i]);
  std::sort(keys.begin(), keys.end());
  std::vector<std::pair<double, double>> pairs;  // (weight, score)
  std::vector<double> count, t;
  const double lo = cat_.score.front(), range = cat_.score.back() - lo;
  for (size_t x = 0; x < keys.size(); ++x) {
    if (x > 0 && keys[x] == keys[x - 1]) {
      count.back() += 1.0;
      continue;
    }
    pairs.push_back(keys[x]);
    count.push_back(1.0);
    const double q = (keys[x].second / keys[x].first - lo) / range;
    t.push_back(std::log(q / (1.0 - q)));
  }
  const size_t square = static_cast<size_t>(inner) * inner;
  const double* score = cat_.score.data();
  double p[kMaxLevels];
  for (int iteration = 0; iteration < kWarmIterations; ++iteration) {
    const std::vector<double> old_coef = cat_.coef;
    const Kernel kernel(cat_.score, cat_.coef);
    thr_s_.assign(inner, 0.0);
    thr_q_.assign(square, 0.0);
    thr_schur_.assign(square, 0.0);
    thr_hg_.assign(inner, 0.0);
    double change = 0.0;
    for (size_t x = 0; x < pairs.size(); ++x) {
      const auto [w, target] = pairs[x];
      double e, v;
      Moments<0>(kernel, t[x], kernel.ExpHalf(t[x]), p, &e, &v);
      const double step = LimitedStep(target - w * e, w * v);
      t[x] += step;
      change = std::max(change, std::abs(step));
      Moments<0>(kernel, t[x], kernel.ExpHalf(t[x]), p, &e, &v);
      const double c = count[x], g = target - w * e;
      double h[kMaxLevels];
      for (int a = 0; a < inner; ++a) h[a] = w * p[a + 1] * (score[a + 1] - e);
      for (int a = 0; a < inner; ++a) {
        thr_s_[a] += c * w * p[a + 1];
        thr_hg_[a] += c * h[a] * g / (w * v);
        for (int b = a; b < inner; ++b) {
          thr_q_[a * inner + b] += c * w * p[a + 1] * p[b + 1];
          thr_schur_[a * inner + b] += c * h[a] * h[b] / (w * v);
        }
      }
    }
    ThresholdStep();
    for (int u = 0; u < cat_.count; ++u)
      change = std::max(change, std::abs(cat_.coef[u] - old_coef[u]));
    if (change < kWarmTolerance) break;
  }
  for (int i = 0; i < n_; ++i) {
    if (ratee_role_[i] != kCore || !(ratee_eq_.weight[i] > 0.0)) continue;
    const auto x = std::lower_bound(pairs.begin(), pairs.end(),
                                    std::make_pair(ratee_eq_.weight[i], ratee_eq_.target[i]));
    theta_[i] = t[static_cast<size_t>(x - pairs.begin())];
  }
}

// Shifts each core part so that its raters' severities average zero; the
// likelihood depends on theta - delta only, so nothing else changes.
void RatingScaleFit::Centre() {
  if (components_ == 0) return;
  std::vector<double> sum(components_, 0.0);
  std::vector<int> count(components_, 0);
  for (int j = 0; j < num_raters_; ++j) {
    if (rater_comp_[j] < 0) continue;
    sum[rater_comp_[j]] += delta_[j];
    ++count[rater_comp_[j]];
  }
  for (int c = 0; c < components_; ++c) sum[c] /= count[c];
  for (int j = 0; j < num_raters_; ++j)
    if (rater_comp_[j] >= 0) delta_[j] -= sum[rater_comp_[j]];
  for (int i = 0; i < n_; ++i)
    if (ratee_comp_[i] >= 0) theta_[i] -= sum[ratee_comp_[i]];
}

ScoreResult RatingScaleFit::Degenerate() {
  ScoreResult r;
  r.score = Eigen::VectorXd::Zero(n_);
  r.se = Eigen::VectorXd::Zero(n_);
  r.rater_values.emplace_back("severity", Eigen::VectorXd::Zero(num_raters_));
  r.rater_values.emplace_back("severity_se", Eigen::VectorXd::Zero(num_raters_));
  for (int k = 1; k < b_.levels; ++k)
    r.parameters.emplace_back(fmt::format("tau_{}", k), std::numeric_limits<double>::quiet_NaN());
  r.parameters.emplace_back("iterations", 0.0);
  r.parameters.emplace_back("converged", 1.0);
  r.notes.push_back(cat_.count == 0
                        ? "no valid ballot: every evaluee scores 0 (se 0)"
                        : fmt::format("every valid ballot is grade {}: nothing to estimate, every "
                                      "evaluee scores 0 (se 0)",
                                      static_cast<int>(cat_.score[0])));
  return r;
}

ScoreResult RatingScaleFit::Run() {
  FindCategories();
  if (cat_.count < 2) return Degenerate();
  SetAsideExtremes();
  SetAsideWeakLinks();
  BuildEquations();
  FindComponents();

  // Start from the logit of each evaluee's mean grade on the observed
  // range; severities and thresholds from 0.
  const double lo = cat_.score.front(), range = cat_.score.back() - lo;
  theta_.assign(n_, 0.0);
  delta_.assign(num_raters_, 0.0);
  for (int i = 0; i < n_; ++i) {
    if (!(ratee_eq_.weight[i] > 0.0)) continue;
    const double p = (ratee_eq_.target[i] / ratee_eq_.weight[i] - lo) / range;
    theta_[i] = std::log(p / (1.0 - p));
  }
  Centre();
  WarmStart();

  BuildParts();
  bool converged = false;
  double change = 0.0;
  const int iterations = Iterate(&converged, &change);
  return Result(iterations, converged, change);
}

// The members of every part, and the anchored evaluees and raters with the
// ballots of those raters on core evaluees.
void RatingScaleFit::BuildParts() {
  auto group = [&](const std::vector<int32_t>& comp, std::vector<size_t>& begin,
                   std::vector<int32_t>& members) {
    begin.assign(static_cast<size_t>(components_) + 1, 0);
    for (int32_t c : comp)
      if (c >= 0) ++begin[c + 1];
    for (int c = 0; c < components_; ++c) begin[c + 1] += begin[c];
    members.resize(begin.back());
    std::vector<size_t> fill(begin.begin(), begin.end() - 1);
    for (size_t x = 0; x < comp.size(); ++x)
      if (comp[x] >= 0) members[fill[comp[x]]++] = static_cast<int32_t>(x);
  };
  group(ratee_comp_, part_ratee_begin_, part_ratees_);
  group(rater_comp_, part_rater_begin_, part_raters_);
  rater_local_.assign(num_raters_, -1);
  for (int c = 0; c < components_; ++c)
    for (size_t x = part_rater_begin_[c]; x < part_rater_begin_[c + 1]; ++x)
      rater_local_[part_raters_[x]] = static_cast<int32_t>(x - part_rater_begin_[c]);
  for (int i = 0; i < n_; ++i)
    if (ratee_role_[i] == kAnchored) anchored_ratees_.push_back(i);
  std::vector<int32_t> slot(num_raters_, -1);
  for (int j = 0; j < num_raters_; ++j) {
    if (rater_role_[j] != kAnchored) continue;
    slot[j] = static_cast<int32_t>(anchored_raters_.size());
    anchored_raters_.push_back(j);
  }
  std::vector<std::vector<std::pair<int32_t, double>>> ballots(anchored_raters_.size());
  for (int i = 0; i < n_; ++i) {
    if (ratee_role_[i] != kCore) continue;
    ForEachBallot(i, [&](int j, int, double w) {
      if (slot[j] >= 0) ballots[slot[j]].emplace_back(i, w);
    });
  }
  anchored_begin_.assign(1, 0);
  for (const auto& list : ballots) {
    for (const auto& [i, w] : list) {
      anchored_ratee_.push_back(i);
      anchored_weight_.push_back(w);
    }
    anchored_begin_.push_back(anchored_ratee_.size());
  }
  exp_neg_delta_.assign(num_raters_, 0.0);
  rater_mean_.assign(num_raters_, 0.0);
  rater_var_.assign(num_raters_, 0.0);
  old_theta_.assign(n_, 0.0);
  old_delta_.assign(num_raters_, 0.0);
  if (cat_.count > 2) {
    rater_hd_.assign(static_cast<size_t>(num_raters_) * (cat_.count - 2), 0.0);
    rater_gd_.assign(num_raters_, 0.0);
    rater_sv_.assign(num_raters_, 0.0);
  }
  AttachAnchored();
}

// An anchored rater is swept with the part of the core evaluees it rated,
// an anchored evaluee with the part whose severities it reads (those of its
// core raters and of anchored raters swept with that part), when there is
// one such part; the others are swept on their own, before the parts (the
// evaluees, against the old severities) and after them (the raters, against
// the new abilities), as in the plain sweep. Parts then never read what
// another part writes.
void RatingScaleFit::AttachAnchored() {
  const int global = components_;
  auto owner_of = [&](int32_t current, int32_t part) {
    return current == -1 || current == part ? part : global;
  };
  std::vector<int32_t> rater_owner(anchored_raters_.size());
  std::vector<int32_t> owner_of_rater(num_raters_, -1);  // anchored raters only
  for (size_t a = 0; a < anchored_raters_.size(); ++a) {
    int32_t owner = -1;
    for (size_t k = anchored_begin_[a]; k < anchored_begin_[a + 1]; ++k)
      owner = owner_of(owner, ratee_comp_[anchored_ratee_[k]]);
    rater_owner[a] = owner < 0 ? global : owner;
    owner_of_rater[anchored_raters_[a]] = rater_owner[a];
  }
  std::vector<int32_t> ratee_owner;
  for (int32_t i : anchored_ratees_) {
    int32_t owner = -1;
    ForEachBallot(i, [&](int j, int, double) {
      if (rater_role_[j] == kCore) owner = owner_of(owner, rater_comp_[j]);
      if (rater_role_[j] == kAnchored) owner = owner_of(owner, owner_of_rater[j]);
    });
    ratee_owner.push_back(owner < 0 ? global : owner);
  }
  auto group = [&](const std::vector<int32_t>& owner, const auto& member,
                   std::vector<size_t>& begin, std::vector<int32_t>& members) {
    begin.assign(static_cast<size_t>(global) + 2, 0);
    for (int32_t o : owner) ++begin[o + 1];
    for (int p = 0; p <= global; ++p) begin[p + 1] += begin[p];
    members.resize(owner.size());
    std::vector<size_t> fill(begin.begin(), begin.end() - 1);
    for (size_t x = 0; x < owner.size(); ++x) members[fill[owner[x]]++] = member(x);
  };
  group(
      ratee_owner, [&](size_t x) { return anchored_ratees_[x]; }, anchored_ratee_part_begin_,
      anchored_ratee_by_part_);
  group(
      rater_owner, [](size_t x) { return static_cast<int32_t>(x); }, anchored_rater_part_begin_,
      anchored_rater_by_part_);
}

// Iterates until no estimate moves by tolerance or more. Each iteration is
// the joint Newton sweep of the whole design (evaluees, then raters and the
// thresholds, then the centring of every part), but it sweeps only the
// parts not yet converged, in parallel: the parts are disjoint, and every
// part keeps its threshold sums, so that a part left out still counts with
// its last ones. The anchored evaluees and raters are swept with the part
// they depend on (AttachAnchored). A part is left out once it has settled
// (PartSchedule::Update); a move of the thresholds or of the anchored
// evaluees and raters of no part by tolerance or more wakes every part. The
// fit stops, as the plain sweep does, when an iteration moved nothing by
// tolerance or more.
// Sums are added in part order, so the result does not depend on threads;
// with one part and nothing anchored the iterates are the plain sweep's.
int RatingScaleFit::Iterate(bool* converged, double* change) {
  std::vector<double> sums((static_cast<size_t>(components_) + 1) * SumsStride(), 0.0);
  PartSchedule schedule(components_, cat_.count);
  int iterations = 0;
  *converged = false;
  while (iterations < o_.max_iterations && !*converged) {
    ++iterations;
    const std::vector<double> old_coef = cat_.coef;
    double anchored_change = 0.0;
    IterateOnce(schedule.active, sums, schedule.change, &anchored_change);
    double threshold_change = 0.0;
    for (int u = 0; u < cat_.count; ++u)
      threshold_change = std::max(threshold_change, std::abs(cat_.coef[u] - old_coef[u]));
    *change = std::max(anchored_change, threshold_change);
    for (int32_t p : schedule.active) *change = std::max(*change, schedule.change[p]);
    *converged = *change < o_.tolerance;
    if (threshold_change >= o_.tolerance || anchored_change >= o_.tolerance) {
      schedule.WakeAll();
    } else {
      schedule.Update(cat_.coef, o_.tolerance);
    }
  }
  return iterations;
}

RatingScaleFit::PartSchedule::PartSchedule(int parts, int categories)
    : change(parts, 0.0),
      last_change(parts, kInfinity),
      frozen_at(static_cast<size_t>(parts) * categories, 0.0),
      categories_(categories) {
  WakeAll();
}

void RatingScaleFit::PartSchedule::WakeAll() {
  active.resize(change.size());
  std::iota(active.begin(), active.end(), 0);
  std::fill(last_change.begin(), last_change.end(), kInfinity);
}

// A part settles when its last move was under the tolerance and the moves
// still to come, estimated from the ratio of its last two moves as a
// geometric series, are under a tenth of it: a part left out then is as
// near its solution as the iteration would take it. A settled part wakes
// when the thresholds have moved by more than that since it settled.
void RatingScaleFit::PartSchedule::Update(const std::vector<double>& coef, double tolerance) {
  const double bound = kSettle * tolerance;
  std::vector<int32_t> next;
  std::vector<char> was_active(change.size(), 0);
  for (int32_t p : active) {
    was_active[p] = 1;
    const double ratio = change[p] / last_change[p];
    const double to_come = ratio < 1.0 ? change[p] * ratio / (1.0 - ratio) : kInfinity;
    last_change[p] = change[p];
    if (change[p] < tolerance && to_come < bound) {
      std::copy(coef.begin(), coef.end(), frozen_at.begin() + static_cast<size_t>(p) * categories_);
    } else {
      next.push_back(p);
    }
  }
  for (size_t p = 0; p < change.size(); ++p) {
    if (was_active[p]) continue;
    const double* at = frozen_at.data() + p * categories_;
    double drift = 0.0;
    for (int u = 0; u < categories_; ++u) drift = std::max(drift, std::abs(coef[u] - at[u]));
    if (drift > bound) {
      last_change[p] = kInfinity;
      next.push_back(static_cast<int32_t>(p));
    }
  }
  std::sort(next.begin(), next.end());
  active = std::move(next);
}

// One iteration over the `active` parts and the anchored evaluees and
// raters, in the order of the plain sweep: evaluees (against the old
// severities), raters and threshold sums (against the new abilities), the
// thresholds, the centring.
void RatingScaleFit::IterateOnce(std::span<const int32_t> active, std::vector<double>& sums,
                                 std::vector<double>& part_change, double* anchored_change) {
  const size_t stride = SumsStride();
  const Kernel kernel(cat_.score, cat_.coef);
  for (int j = 0; j < num_raters_; ++j)
    if (rater_role_[j] != kCore) exp_neg_delta_[j] = kernel.ExpHalf(-delta_[j]);
  // The anchored evaluees on their own read the old severities of core raters too.
  for (int32_t i : AnchoredRatees(components_))
    ForEachBallot(i, [&](int j, int, double) { exp_neg_delta_[j] = kernel.ExpHalf(-delta_[j]); });
  WithCategoryCount(cat_.count, [&](auto M) {
    double* global_sums = sums.data() + components_ * stride;
    *anchored_change = StepAnchoredRatees<M()>(kernel, AnchoredRatees(components_));
    std::fill(global_sums, global_sums + stride, 0.0);
    if (thresholds_from_all_)
      AddThresholdTermsOf<M()>(AnchoredRatees(components_), kernel, false, global_sums);
    ParallelFor(tbb::blocked_range<size_t>(0, active.size(), 8),
                [&](const tbb::blocked_range<size_t>& r) {
                  for (size_t a = r.begin(); a < r.end(); ++a) {
                    const int p = active[a];
                    part_change[p] = StepPart<M()>(p, kernel, sums.data() + p * stride);
                  }
                });
    *anchored_change =
        std::max(*anchored_change, StepAnchoredRaters<M()>(kernel, AnchoredRaters(components_)));
  });
  AddThresholdSums(sums);
  ThresholdStep();
  ParallelFor(tbb::blocked_range<size_t>(0, active.size(), 64),
              [&](const tbb::blocked_range<size_t>& r) {
                for (size_t a = r.begin(); a < r.end(); ++a)
                  part_change[active[a]] = std::max(part_change[active[a]], CentrePart(active[a]));
              });
}

// thr_s_, thr_q_, thr_schur_, thr_hg_: the sums of every part and of the
// anchored evaluees, in that order.
void RatingScaleFit::AddThresholdSums(const std::vector<double>& sums) {
  const int inner = cat_.count - 2;
  if (inner <= 0) return;
  const size_t stride = SumsStride(), square = static_cast<size_t>(inner) * inner;
  thr_s_.assign(inner, 0.0);
  thr_q_.assign(square, 0.0);
  thr_schur_.assign(square, 0.0);
  thr_hg_.assign(inner, 0.0);
  for (size_t p = 0; p <= static_cast<size_t>(components_); ++p) {
    const double* from = sums.data() + p * stride;
    for (int a = 0; a < inner; ++a) thr_s_[a] += from[a];
    for (size_t a = 0; a < square; ++a) thr_q_[a] += from[inner + a];
    for (size_t a = 0; a < square; ++a) thr_schur_[a] += from[inner + square + a];
    for (int a = 0; a < inner; ++a) thr_hg_[a] += from[inner + 2 * square + a];
  }
}

// Newton steps of part p's evaluees, then of its raters, with the anchored
// evaluees and raters swept with it; leaves the part's threshold sums in
// `sums` and returns the largest move of the anchored ones.
template <int M>
double RatingScaleFit::StepPart(int part, const Kernel& kernel, double* sums) {
  for (int32_t j : PartRaters(part)) {
    old_delta_[j] = delta_[j];
    exp_neg_delta_[j] = kernel.ExpHalf(-delta_[j]);
    rater_mean_[j] = rater_var_[j] = 0.0;
    if (!rater_gd_.empty()) {
      rater_gd_[j] = rater_sv_[j] = 0.0;
      const int inner = cat_.count - 2;
      std::fill_n(rater_hd_.data() + static_cast<size_t>(j) * inner, inner, 0.0);
    }
  }
  double anchored_change = StepAnchoredRatees<M>(kernel, AnchoredRatees(part));
  for (int32_t i : PartRatees(part)) old_theta_[i] = theta_[i];
  const bool dense = PartRatees(part).size() + PartRaters(part).size() <= kSmallPart &&
                     StepSmallPart<M>(part, kernel);
  for (int32_t i : PartRatees(part)) {
    if (dense) break;
    if (!(ratee_eq_.weight[i] > 0.0)) continue;
    double se = 0.0, sv = 0.0;
    ForEachCoreMoment<M>(i, kernel, [&](uint32_t, double w, double e, double v) {
      se += w * e;
      sv += w * v;
    });
    theta_[i] += LimitedStep(ratee_eq_.target[i] - se, sv);
  }
  std::fill(sums, sums + SumsStride(), 0.0);
  AddThresholdTermsOf<M>(PartRatees(part), kernel, true, sums);
  if (thresholds_from_all_) AddThresholdTermsOf<M>(AnchoredRatees(part), kernel, false, sums);
  AddSeverityTerms(part, sums);

  for (int32_t j : PartRaters(part)) {
    if (rater_eq_.weight[j] > 0.0 && !dense)
      delta_[j] += LimitedStep(rater_mean_[j] - rater_eq_.target[j], rater_var_[j]);
  }
  return std::max(anchored_change, StepAnchoredRaters<M>(kernel, AnchoredRaters(part)));
}

// A small part's likelihood depends on theta_i - delta_j only, so its
// Hessian H (abilities, then severities) is singular along (1, 1); H + l 11'
// with l > 0 has the same Newton step for a gradient orthogonal to (1, 1),
// which the gradient of core ballots is. The step is shortened to kMaxStep
// in its largest component.
template <int M>
bool RatingScaleFit::StepSmallPart(int part, const Kernel& kernel) {
  const auto ratees = PartRatees(part);
  const auto raters = PartRaters(part);
  const int ne = static_cast<int>(ratees.size()), size = ne + static_cast<int>(raters.size());
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0, kSmallPart, kSmallPart> h(size, size);
  Eigen::Matrix<double, Eigen::Dynamic, 1, 0, kSmallPart, 1> g(size);
  h.setZero();
  g.setZero();
  for (int r = 0; r < static_cast<int>(raters.size()); ++r)
    g[ne + r] = -rater_eq_.target[raters[r]];
  for (int a = 0; a < ne; ++a) {
    const int32_t i = ratees[a];
    g[a] = ratee_eq_.target[i];
    ForEachCoreMoment<M>(i, kernel, [&](uint32_t j, double w, double e, double v) {
      const int b = ne + rater_local_[j];
      g[a] -= w * e;
      g[b] += w * e;
      h(a, a) += w * v;
      h(b, b) += w * v;
      h(a, b) -= w * v;
      h(b, a) -= w * v;
    });
  }
  const double lambda = h.diagonal().sum() / (static_cast<double>(size) * size);
  for (int a = 0; a < size; ++a) {
    if (!(h(a, a) > 0.0)) h(a, a) = 1.0;  // no ballot: no step
    for (int b = 0; b < size; ++b) h(a, b) += lambda;
  }
  Eigen::LLT<decltype(h)> llt(h);
  if (llt.info() != Eigen::Success) return false;
  auto step = llt.solve(g).eval();
  if (!step.allFinite()) return false;
  const double largest = step.cwiseAbs().maxCoeff();
  if (largest > kMaxStep) step *= kMaxStep / largest;
  for (int a = 0; a < ne; ++a) theta_[ratees[a]] += step[a];
  for (int r = 0; r < static_cast<int>(raters.size()); ++r) {
    const int32_t j = raters[r];
    delta_[j] += step[ne + r];
    exp_neg_delta_[j] = kernel.ExpHalf(-delta_[j]);
  }
  return true;
}

// The severities' terms of the threshold step (see ThresholdStep) for part
// p's raters, into `sums`, once AddThresholdTerms has summed their ballots.
void RatingScaleFit::AddSeverityTerms(int part, double* sums) const {
  const int inner = cat_.count - 2;
  if (inner <= 0) return;
  for (int32_t j : PartRaters(part)) {
    const double info = rater_var_[j] - rater_sv_[j];
    if (!(rater_var_[j] > 0.0) || !(info > 1e-9 * rater_var_[j])) continue;
    const double f = rater_mean_[j] - rater_eq_.target[j] + rater_gd_[j];
    AddSchurTerm(rater_hd_.data() + static_cast<size_t>(j) * inner, info, -f, inner, sums);
  }
}

// Centres part p's severities (as Centre() does every part); returns the
// largest move of its estimates in this iteration.
double RatingScaleFit::CentrePart(int part) {
  double shift = 0.0;
  for (int32_t j : PartRaters(part)) shift += delta_[j];
  shift /= static_cast<double>(PartRaters(part).size());
  double change = 0.0;
  for (int32_t j : PartRaters(part)) {
    delta_[j] -= shift;
    change = std::max(change, std::abs(delta_[j] - old_delta_[j]));
  }
  for (int32_t i : PartRatees(part)) {
    theta_[i] -= shift;
    change = std::max(change, std::abs(theta_[i] - old_theta_[i]));
  }
  return change;
}

// AddThresholdTerms for each of `ratees`, with the sums s and q running
// over all their ballots in order (in registers when M is fixed).
template <int M>
void RatingScaleFit::AddThresholdTermsOf(std::span<const int32_t> ratees, const Kernel& kernel,
                                         bool core, double* sums) {
  const int inner = (M > 0 ? M : cat_.count) - 2;
  constexpr int kLocal = M > 2 ? M - 2 : 1;
  double s_local[kLocal] = {}, q_local[kLocal * kLocal] = {};
  double* s_sum = M > 0 ? s_local : sums;
  double* q_sum = M > 0 ? q_local : sums + inner;
  for (int32_t i : ratees) AddThresholdTerms<M>(i, kernel, core, s_sum, q_sum, sums);
  if (M > 0 && inner > 0) {
    for (int a = 0; a < inner; ++a) sums[a] += s_local[a];
    for (int a = 0; a < inner * inner; ++a) sums[inner + a] += q_local[a];
  }
}

// Evaluee i's ballots at the current estimates: the sums of its raters'
// equations (core evaluee, core raters; into rater_mean_ and rater_var_) and
// its threshold terms: s and q into s_sum and q_sum, the Schur terms of its
// own equation into `sums`.
template <int M>
void RatingScaleFit::AddThresholdTerms(int i, const Kernel& kernel, bool core, double* s_sum,
                                       double* q_sum, double* sums) {
  const int m = M > 0 ? M : cat_.count, inner = m - 2;
  const double* score = cat_.score.data();
  const uint32_t* words = b_.ballot.data();
  const float* weights = b_.Weighted() ? b_.weight.data() : nullptr;
  double p[M > 0 ? M : kMaxLevels], h[M > 0 ? M : kMaxLevels] = {};
  const bool thresholds = inner > 0 && (core || thresholds_from_all_);
  const double t = theta_[i], exp_t = kernel.ExpHalf(t);
  double ratee_e = 0.0, ratee_v = 0.0;
  thread_local std::vector<std::pair<uint32_t, double>> scratch;
  scratch.clear();
  for (uint64_t k = Begin(i), end = End(i); k < end; ++k) {
    const uint32_t word = words[k];
    const double w = weights ? weights[k] : 1.0;
    const uint32_t j = BallotRater(word);
    if (cat_.of_grade[BallotGrade(word)] < 0 || !(w > 0.0)) continue;
    const bool core_rater = rater_role_[j] == kCore;
    const bool for_thresholds = thresholds && (thresholds_from_all_ || core_rater);
    if (!(core && core_rater) && !for_thresholds) continue;
    double e, v;
    Moments<M>(kernel, t - delta_[j], exp_t * exp_neg_delta_[j], p, &e, &v);
    if (core && core_rater) {
      rater_mean_[j] += w * e;
      rater_var_[j] += w * v;
    }
    if (!for_thresholds) continue;
    if (core && core_rater && !rater_gd_.empty()) {
      scratch.emplace_back(j, w * v);
      double* hd = rater_hd_.data() + static_cast<size_t>(j) * inner;
      for (int a = 0; a < inner; ++a) hd[a] += w * p[a + 1] * (score[a + 1] - e);
    }
    for (int a = 0; a < inner; ++a) {
      const double wa = w * p[a + 1];
      s_sum[a] += wa;
      for (int c = a; c < inner; ++c) q_sum[a * inner + c] += wa * p[c + 1];
    }
    if (!core || core_rater) {
      ratee_e += w * e;
      ratee_v += w * v;
      for (int a = 0; a < inner; ++a) h[a] += w * p[a + 1] * (score[a + 1] - e);
    }
  }
  if (thresholds && ratee_v > 0.0) {
    const double g = ratee_eq_.target[i] - ratee_e;
    AddSchurTerm(h, ratee_v, g, inner, sums);
    for (const auto& [j, wv] : scratch) {
      const double f = wv / ratee_v;
      double* hd = rater_hd_.data() + static_cast<size_t>(j) * inner;
      for (int a = 0; a < inner; ++a) hd[a] -= f * h[a];
      rater_gd_[j] += f * g;
      rater_sv_[j] += f * wv;
    }
  }
}

// Newton steps of anchored evaluees, against the severities of all their
// raters (old, as exp_neg_delta_ holds them). Returns the largest move.
template <int M>
double RatingScaleFit::StepAnchoredRatees(const Kernel& kernel, std::span<const int32_t> ratees) {
  const uint32_t* words = b_.ballot.data();
  const float* weights = b_.Weighted() ? b_.weight.data() : nullptr;
  double p[M > 0 ? M : kMaxLevels];
  double change = 0.0;
  for (int32_t i : ratees) {
    if (!(ratee_eq_.weight[i] > 0.0)) continue;
    const double t = theta_[i], exp_t = kernel.ExpHalf(t);
    double se = 0.0, sv = 0.0;
    for (uint64_t k = Begin(i), end = End(i); k < end; ++k) {
      const uint32_t word = words[k];
      const double w = weights ? weights[k] : 1.0;
      const uint32_t j = BallotRater(word);
      if (cat_.of_grade[BallotGrade(word)] < 0 || !(w > 0.0)) continue;
      double e, v;
      Moments<M>(kernel, t - delta_[j], exp_t * exp_neg_delta_[j], p, &e, &v);
      se += w * e;
      sv += w * v;
    }
    theta_[i] = t + LimitedStep(ratee_eq_.target[i] - se, sv);
    change = std::max(change, std::abs(theta_[i] - t));
  }
  return change;
}

// Newton steps of anchored raters (indices into anchored_raters_), against
// the new abilities of the core evaluees they rated. Returns the largest move.
template <int M>
double RatingScaleFit::StepAnchoredRaters(const Kernel& kernel, std::span<const int32_t> raters) {
  double p[M > 0 ? M : kMaxLevels];
  double change = 0.0;
  for (int32_t a : raters) {
    const int32_t j = anchored_raters_[a];
    const double d = delta_[j], exp_d = kernel.ExpHalf(-d);
    double se = 0.0, sv = 0.0;
    for (size_t k = anchored_begin_[a]; k < anchored_begin_[a + 1]; ++k) {
      const int32_t i = anchored_ratee_[k];
      const double w = anchored_weight_[k];
      double e, v;
      Moments<M>(kernel, theta_[i] - d, kernel.ExpHalf(theta_[i]) * exp_d, p, &e, &v);
      se += w * e;
      sv += w * v;
    }
    if (rater_eq_.weight[j] > 0.0) delta_[j] = d + LimitedStep(se - rater_eq_.target[j], sv);
    change = std::max(change, std::abs(delta_[j] - d));
  }
  return change;
}

// Scores and their standard errors; returns the number of evaluees without a valid ballot.
int RatingScaleFit::AddScores(const std::vector<double>& ratee_var, ScoreResult& r) const {
  r.score = Eigen::Map<const Eigen::VectorXd>(theta_.data(), n_);
  r.se.resize(n_);
  int no_ballot = 0;
  for (int i = 0; i < n_; ++i) {
    r.se[i] = ratee_var[i] > 0.0 ? 1.0 / std::sqrt(ratee_var[i]) : 0.0;
    if (ratee_role_[i] == kNoEstimate) ++no_ballot;
  }
  return no_ballot;
}

// Severities and their standard errors; returns the number of raters without an estimate.
int RatingScaleFit::AddSeverities(const std::vector<double>& rater_var, ScoreResult& r) const {
  Eigen::VectorXd severity_se(num_raters_);
  int no_severity = 0;
  for (int j = 0; j < num_raters_; ++j) {
    severity_se[j] = rater_var[j] > 0.0 ? 1.0 / std::sqrt(rater_var[j]) : 0.0;
    if (rater_role_[j] == kNoEstimate) ++no_severity;
  }
  r.rater_values.emplace_back("severity",
                              Eigen::Map<const Eigen::VectorXd>(delta_.data(), num_raters_));
  r.rater_values.emplace_back("severity_se", std::move(severity_se));
  return no_severity;
}

// Thresholds: tau_k = c_k - c_{k-1} between observed neighbours, the
// average over a gap of unused grades, NaN outside the observed range.
void RatingScaleFit::AddThresholds(ScoreResult& r) const {
  const int K = b_.levels, m = cat_.count;
  std::vector<double> tau(std::max(K - 1, 0), std::numeric_limits<double>::quiet_NaN());
  for (int u = 1; u < m; ++u) {
    const int lo = static_cast<int>(cat_.score[u - 1]), hi = static_cast<int>(cat_.score[u]);
    const double each = (cat_.coef[u] - cat_.coef[u - 1]) / (hi - lo);
    for (int k = lo + 1; k <= hi; ++k) tau[k - 1] = each;
  }
  for (int k = 1; k < K; ++k) r.parameters.emplace_back(fmt::format("tau_{}", k), tau[k - 1]);
}

// Convergence, and the evaluees and raters estimated apart from the joint fit.
void RatingScaleFit::AddFitNotes(int iterations, bool converged, double change,
                                 ScoreResult& r) const {
  if (converged) {
    r.notes.push_back(fmt::format("converged in {} iteration(s)", iterations));
  } else {
    r.notes.push_back(fmt::format(
        "did not converge in {} iteration(s): the last iteration still moved an estimate by {:.3g}",
        iterations, change));
  }
  if (ratee_adjusted_ > 0)
    r.notes.push_back(fmt::format(
        "{} evaluee(s) with an extreme score (every ballot in the top or bottom grade) estimated "
        "from a raw score moved {} point(s) inward",
        ratee_adjusted_, o_.extreme_adjust));
  if (rater_adjusted_ > 0)
    r.notes.push_back(fmt::format(
        "{} rater(s) with an extreme score (every ballot in the top or bottom grade) estimated "
        "from a raw score moved {} point(s) inward",
        rater_adjusted_, o_.extreme_adjust));
  if (ratee_detached_ > 0)
    r.notes.push_back(fmt::format(
        "{} evaluee(s) rated only by raters with extreme scores, estimated against their "
        "severities",
        ratee_detached_));
  if (weak_parts_ > 0)
    r.notes.push_back(fmt::format(
        "{} evaluee(s) and {} rater(s) in {} part(s) without a finite joint estimate (not "
        "strongly connected) were estimated after the fit, like extreme scores",
        weak_ratees_, weak_raters_, weak_parts_));
}

// Estimates missing for want of ballots, unused grades and disconnected parts.
void RatingScaleFit::AddDataNotes(int no_ballot, int no_severity, ScoreResult& r) const {
  const int K = b_.levels;
  if (no_ballot > 0)
    r.notes.push_back(fmt::format("{} evaluee(s) with no valid ballot scored 0 (se 0)", no_ballot));
  if (no_severity > 0)
    r.notes.push_back(
        fmt::format("{} rater(s) without a ballot on a non-extreme evaluee have severity 0 (se 0)",
                    no_severity));
  std::vector<int> unused;
  for (int g = 0; g < K; ++g)
    if (cat_.of_grade[g] < 0) unused.push_back(g);
  if (!unused.empty())
    r.notes.push_back(fmt::format(
        "grade(s) {} never used: the model uses the observed grades only; thresholds outside "
        "the observed range are NaN, across a gap each is the gap's average",
        fmt::join(unused, ", ")));
  if (thresholds_from_all_)
    r.notes.push_back(fmt::format(
        "the non-extreme ballots lack grade(s) {}: thresholds estimated from all valid ballots",
        fmt::join(core_missing_, ", ")));
  if (components_ > 1)
    r.notes.push_back(fmt::format(
        "the non-extreme ballots form {} disconnected parts: severities are centred within each, "
        "so scores compare across parts only if their raters are equally severe on average",
        components_));
}

ScoreResult RatingScaleFit::Result(int iterations, bool converged, double change) {
  std::vector<double> ratee_mean(n_), ratee_var(n_), rater_mean(num_raters_),
      rater_var(num_raters_);
  SumRatees(ratee_mean, ratee_var);
  SumRaters(rater_mean, rater_var);

  ScoreResult r;
  const int no_ballot = AddScores(ratee_var, r);
  const int no_severity = AddSeverities(rater_var, r);
  AddThresholds(r);
  r.parameters.emplace_back("iterations", iterations);
  r.parameters.emplace_back("converged", converged ? 1.0 : 0.0);
  AddFitNotes(iterations, converged, change, r);
  AddDataNotes(no_ballot, no_severity, r);
  return r;
}

// Multi-item ballots as a third facet. Every (rater j, item m) pair is one
// element of the rater facet, with severity delta_jm, so that
//   P(x) ∝ exp( sum_{k=1..x} (theta_i - delta_jm - tau_k) )
// is fitted on every item grade at once (the rater-by-item elements of
// Linacre's Facets). Reported: an item's difficulty is the mean severity of
// its elements, centred over the items; a rater's severity (and se) the mean
// over its elements that have ballots.
RatingBallots ItemElements(const RatingBallots& b) {
  const int I = b.NumItems(), n = b.NumRatees(), G = b.NumGroups();
  const uint32_t R = b.num_raters;
  RatingBallots e;
  e.levels = b.levels;
  e.grade_labels = b.grade_labels;
  e.group_names = b.group_names;
  e.group_weights = b.group_weights;
  e.ratee_names = b.ratee_names;
  e.num_raters = R * static_cast<uint32_t>(I);
  for (int m = 0; m < I; ++m)
    e.rater_group.insert(e.rater_group.end(), b.rater_group.begin(), b.rater_group.end());
  e.slot_begin.assign(1, 0);
  e.ballot.reserve(b.item_ballot.size());
  for (int i = 0; i < n; ++i) {
    for (int g = 0; g < G; ++g) {
      for (int m = 0; m < I; ++m) {
        const int slot = b.ItemSlot(m, i, g);
        for (uint64_t k = b.item_slot_begin[slot]; k < b.item_slot_begin[slot + 1]; ++k) {
          const uint32_t w = b.item_ballot[k];
          e.ballot.push_back(PackBallot(m * R + BallotRater(w), BallotGrade(w)));
          if (!b.item_weight.empty()) e.weight.push_back(b.item_weight[k]);
        }
      }
      e.slot_begin.push_back(e.ballot.size());
    }
  }
  return e;
}

// Turns the element estimates of a fit on ItemElements(b) into per-rater
// severities and item difficulties (see ItemElements).
void SummariseElements(const RatingBallots& b, const RatingBallots& e, ScoreResult& r) {
  const int I = b.NumItems();
  const uint32_t R = b.num_raters;
  std::vector<uint8_t> has(e.num_raters, 0);
  for (uint32_t w : e.ballot)
    if (BallotGrade(w) != kAbstain) has[BallotRater(w)] = 1;
  std::vector<double> difficulty(I, 0.0);
  for (auto& [name, values] : r.rater_values) {
    Eigen::VectorXd per_rater = Eigen::VectorXd::Zero(R);
    std::vector<double> item_sum(I, 0.0), item_count(I, 0.0);
    for (uint32_t j = 0; j < R; ++j) {
      double sum = 0, count = 0;
      for (int m = 0; m < I; ++m) {
        if (!has[m * R + j]) continue;
        sum += values[m * R + j];
        count += 1;
        item_sum[m] += values[m * R + j];
        item_count[m] += 1;
      }
      per_rater[j] = count > 0 ? sum / count : 0.0;
    }
    values = std::move(per_rater);
    if (name == "severity")
      for (int m = 0; m < I; ++m)
        difficulty[m] = item_count[m] > 0 ? item_sum[m] / item_count[m] : 0.0;
  }
  const double mean = std::accumulate(difficulty.begin(), difficulty.end(), 0.0) / I;
  for (int m = 0; m < I; ++m)
    r.parameters.emplace_back("difficulty." + b.item_names[m], difficulty[m] - mean);
  r.notes.push_back(fmt::format(
      "{} items fitted as a facet: one severity per (rater, item) pair; an item's difficulty is "
      "the mean severity of its pairs",
      I));
}

class RatingScale : public Model {
 public:
  explicit RatingScale(RatingScaleOptions o) : o_(o) {}
  ScoreResult Score(const ModelInput& input) const override {
    const RatingBallots& b = *input.ratings;
    if (!b.HasItems()) return RatingScaleFit(b, o_).Run();
    const uint64_t elements = static_cast<uint64_t>(b.num_raters) * b.NumItems();
    if (!o_.item_facet || elements > kMaxRaters) {
      ScoreResult r = RatingScaleFit(b, o_).Run();
      if (o_.item_facet)
        r.notes.push_back(fmt::format(
            "{} (rater, item) pairs exceed the limit of {}: only the overall grades were fitted",
            elements, kMaxRaters));
      return r;
    }
    const RatingBallots e = ItemElements(b);
    ScoreResult r = RatingScaleFit(e, o_).Run();
    SummariseElements(b, e, r);
    return r;
  }

 private:
  RatingScaleOptions o_;
};

}  // namespace

ModelSpec RatingScaleSpec() {
  ModelSpec spec;
  spec.name = "rating_scale";
  spec.summary =
      "many-facet Rasch rating-scale model (Andrich 1978, Linacre 1989): evaluee ability in "
      "logits, rater severity and shared grade thresholds, fitted by joint maximum likelihood";
  spec.params = {
      NumberParam("tolerance", 1e-6, Above(0.0),
                  "stop when no estimate moves by more than this (logits) in one iteration"),
      IntegerParam("max_iterations", 200, Between(1, 1e9), "at most this many iterations"),
      NumberParam("extreme_adjust", 0.3, Above(0.0),
                  "score points taken off an all-top raw score (added to an all-bottom one) "
                  "before estimating it"),
      StringParam("items", "facet", {"facet", "overall"},
                  "on ballots with items: \"facet\" fits every item grade at once with the "
                  "items as a facet (reports difficulty.<item>); \"overall\" fits the overall "
                  "grades only"),
  };
  spec.models_items = true;
  // Per-evaluee and per-rater equations (weight, target), roles,
  // components, trims, estimates, expectations and standard errors;
  // per-rater outputs severity and severity_se.
  spec.memory = [](int, int) { return FitMemory{0, 8 * 10 + 4 + 1 + 1, 8 * 8 + 4 + 1 + 1, 2}; };
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    RatingScaleOptions o;
    o.tolerance = in.Double("tolerance");
    o.max_iterations = static_cast<int>(in.Int("max_iterations"));
    o.extreme_adjust = in.Double("extreme_adjust");
    o.item_facet = in.String("items") == "facet";
    return std::make_unique<RatingScale>(o);
  };
  return spec;
}

}  // namespace evalsim
