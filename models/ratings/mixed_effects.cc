#include "models/ratings/mixed_effects.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

#include "models/common/tally.h"
#include "models/common/union_find.h"

namespace evalsim {
namespace internal {
namespace {

// Weight of ballot k: 0 for an abstention (or a grade outside the scale) and
// for a non-positive weight, so that such ballots drop out of every sum.
inline double BallotWeight(const RatingBallots& b, uint64_t k, uint32_t word) {
  if (BallotGrade(word) >= b.levels) return 0.0;
  if (!b.Weighted()) return 1.0;
  const double w = b.weight[k];
  return w > 0.0 ? w : 0.0;
}

// Ballots of ratee i over all its groups: slots i*G .. i*G+G-1 are adjacent.
inline uint64_t RateeBegin(const RatingBallots& b, int i) {
  return b.slot_begin[static_cast<size_t>(i) * b.NumGroups()];
}
inline uint64_t RateeEnd(const RatingBallots& b, int i) {
  return b.slot_begin[static_cast<size_t>(i + 1) * b.NumGroups()];
}

// Weighted mean of the values of valid ballots, and whether they all agree.
struct ValueSummary {
  double total_weight = 0.0;
  double mean = 0.0;
  bool constant = true;
};

ValueSummary SummariseValues(const RatingBallots& b, std::span<const double> values) {
  ValueSummary s;
  double sum = 0.0, first = 0.0;
  bool seen = false;
  for (uint64_t k = 0; k < b.NumBallots(); ++k) {
    const uint32_t word = b.ballot[k];
    const double w = BallotWeight(b, k, word);
    if (w == 0.0) continue;
    const double y = values[BallotGrade(word)];
    if (!seen) {
      first = y;
      seen = true;
    } else if (y != first) {
      s.constant = false;
    }
    s.total_weight += w;
    sum += w * y;
  }
  s.mean = s.total_weight > 0.0 ? sum / s.total_weight : 0.0;
  if (s.constant && seen) s.mean = first;  // exact, whatever the weights
  return s;
}

// Per rater: weight, squared weights, number of ballots, and the first two
// weighted moments of the centred values; `stamp`/`cell` find repeated
// (rater, ratee) pairs, which share the rater effect and the ratee effect.
// One record per rater, so that a ballot touches one or two cache lines.
struct RaterSums {
  double w = 0.0, q = 0.0, s1 = 0.0, s2 = 0.0, cell = 0.0;
  uint32_t n = 0;
  int32_t stamp = -1;
};

// One ratee's valid ballots: weight, squared weights, count and weighted sum of the centred
// values.
struct RateeSums {
  double w = 0.0, q = 0.0, n = 0.0, s = 0.0;
};

RateeSums SumRatee(const RatingBallots& b, std::span<const double> values, double c, uint64_t begin,
                   uint64_t end) {
  RateeSums r;
  for (uint64_t k = begin; k < end; ++k) {
    const uint32_t word = b.ballot[k];
    const double w = BallotWeight(b, k, word);
    if (w == 0.0) continue;
    r.w += w;
    r.q += w * w;
    r.n += 1.0;
    r.s += w * (values[BallotGrade(word)] - c);
  }
  return r;
}

// Adds ratee i's ballots to its raters' sums, to the ordered pairs within a (rater, ratee)
// cell and to the sum of squares; returns the ratee's weighted sum of squares about its mean.
double AddRateeBallots(const RatingBallots& b, std::span<const double> values, double c, int i,
                       uint64_t begin, uint64_t end, double mean_i, std::vector<RaterSums>& rater,
                       double& same_cell, double& s2_all) {
  double ssi = 0.0;
  for (uint64_t k = begin; k < end; ++k) {
    const uint32_t word = b.ballot[k];
    const double w = BallotWeight(b, k, word);
    if (w == 0.0) continue;
    const double y = values[BallotGrade(word)] - c;
    ssi += w * (y - mean_i) * (y - mean_i);
    RaterSums& rj = rater[BallotRater(word)];
    rj.w += w;
    rj.q += w * w;
    rj.n += 1;
    rj.s1 += w * y;
    rj.s2 += w * y * y;
    if (rj.stamp != i) {
      rj.stamp = i;
      rj.cell = 0.0;
    }
    same_cell += 2.0 * w * rj.cell;  // ordered pairs with the cell's earlier ballots
    rj.cell += w;
    s2_all += w * y * y;
  }
  return ssi;
}

// Sums over the ratees: totals, and the pairs and U-statistic within a ratee.
struct RateeTotals {
  double w_all = 0.0, q_all = 0.0, n_all = 0.0, s1_all = 0.0, s2_all = 0.0;
  double a_pairs = 0.0, ca = 0.0, u_a = 0.0, same_cell = 0.0;
};

RateeTotals SumOverRatees(const RatingBallots& b, std::span<const double> values, double c,
                          std::vector<RaterSums>& rater) {
  RateeTotals t;
  for (int i = 0; i < b.NumRatees(); ++i) {
    const uint64_t begin = RateeBegin(b, i), end = RateeEnd(b, i);
    const RateeSums r = SumRatee(b, values, c, begin, end);
    const double wi = r.w, qi = r.q, ni = r.n, si = r.s;
    if (wi == 0.0) continue;
    const double mean_i = si / wi;
    const double ssi =
        AddRateeBallots(b, values, c, i, begin, end, mean_i, rater, t.same_cell, t.s2_all);
    // sum over ordered pairs of ratee i of w w' (y - y')^2 = 2 W_i SS_i.
    t.u_a += 2.0 * wi * ssi;
    t.a_pairs += wi * wi - qi;
    t.ca += 2.0 * wi * (ni - 1.0);
    t.w_all += wi;
    t.q_all += qi;
    t.n_all += ni;
    t.s1_all += si;
  }
  return t;
}

// Sums over the raters: the pairs and U-statistic within a rater.
struct RaterTotals {
  double b_pairs = 0.0, cb = 0.0, u_b = 0.0;
};

RaterTotals SumOverRaters(const std::vector<RaterSums>& rater) {
  RaterTotals t;
  for (const RaterSums& rj : rater) {
    if (rj.w == 0.0) continue;
    t.b_pairs += rj.w * rj.w - rj.q;
    t.cb += 2.0 * rj.w * (rj.n - 1.0);
    t.u_b += 2.0 * std::max(0.0, rj.w * rj.s2 - rj.s1 * rj.s1);
  }
  return t;
}

}  // namespace

MomentEquations ComputeMomentEquations(const RatingBallots& b, std::span<const double> values) {
  MomentEquations eq;
  const ValueSummary summary = SummariseValues(b, values);
  eq.center = summary.mean;
  if (summary.total_weight == 0.0) return eq;
  const double c = eq.center;
  const uint32_t R = b.num_raters;

  std::vector<RaterSums> rater(R);
  const RateeTotals a = SumOverRatees(b, values, c, rater);
  const RaterTotals r = SumOverRaters(rater);
  const double t_pairs = a.w_all * a.w_all - a.q_all;

  // E[w w' (y - y')^2] = w w' (2 s_a^2 [i != i'] + 2 s_b^2 [j != j']) + s_e^2 (w + w'),
  // summed over the ordered pairs of each U-statistic.
  eq.m << 0.0, 2.0 * (a.a_pairs - a.same_cell), a.ca,  //
      2.0 * (r.b_pairs - a.same_cell), 0.0, r.cb,      //
      2.0 * (t_pairs - a.a_pairs), 2.0 * (t_pairs - r.b_pairs), 2.0 * a.w_all * (a.n_all - 1.0);
  eq.u << a.u_a, r.u_b, std::max(0.0, 2.0 * (a.w_all * a.s2_all - a.s1_all * a.s1_all));
  if (summary.constant) eq.u.setZero();
  eq.total_weight = a.w_all;
  // Rounding can leave a tiny positive difference where the exact one is 0
  // (repeated pairs with fractional weights).
  const double tiny = 1e-9 * std::max(t_pairs, 1.0);
  eq.within_ratee = a.a_pairs - a.same_cell > tiny;
  eq.within_rater = r.b_pairs - a.same_cell > tiny;
  return eq;
}

VarianceComponents SolveMomentEquations(const MomentEquations& eq,
                                        std::vector<std::string>* notes) {
  VarianceComponents v;
  if (eq.total_weight == 0.0) return v;
  if (eq.u.isZero(0.0)) {
    notes->push_back("every valid ballot has the same value: all variance components are 0");
    return v;
  }
  const Eigen::Matrix3d& m = eq.m;
  const Eigen::Vector3d& u = eq.u;

  if (!eq.within_ratee) {
    // Row 2 with s_b^2 = s_e^2 = 0.
    v.ratee = m(2, 0) > 0.0 ? u(2) / m(2, 0) : 0.0;
    notes->push_back(
        "no evaluee was rated by two raters: ratee, rater and error variance cannot be told "
        "apart; all of it is attributed to the evaluees (sigma_rater = sigma_error = 0)");
    return v;
  }

  Eigen::Vector3d x;
  bool solved = false;
  if (eq.within_rater) {
    // Scale the rows so that the determinant test does not depend on the
    // size of the design.
    Eigen::Matrix3d scaled = m;
    Eigen::Vector3d rhs = u;
    for (int r = 0; r < 3; ++r) {
      const double s = scaled.row(r).cwiseAbs().maxCoeff();
      if (s > 0.0) {
        scaled.row(r) /= s;
        rhs(r) /= s;
      }
    }
    if (std::abs(scaled.determinant()) > 1e-12) {
      x = scaled.partialPivLu().solve(rhs);
      solved = true;
    }
  }
  if (!solved) {
    // Rows 0 and 2 with s_b^2 = 0. Row 0 has a positive s_e^2 coefficient
    // because some ratee has two ballots.
    notes->push_back(eq.within_rater
                         ? "the moment equations are singular for this design: rater effects "
                           "are pooled into the error (sigma_rater = 0)"
                         : "no rater rated two evaluees: rater effects cannot be told apart from "
                           "error and are pooled into it (sigma_rater = 0)");
    x(1) = 0.0;
    x(2) = u(0) / m(0, 2);
    x(0) = m(2, 0) > 0.0 ? (u(2) - m(2, 2) * x(2)) / m(2, 0) : 0.0;
  }

  static constexpr const char* kNames[3] = {"ratee", "rater", "error"};
  for (int r = 0; r < 3; ++r) {
    if (x(r) < 0.0) {
      notes->push_back(fmt::format(
          "the moment estimate of the {} variance was negative ({:.6g}) and was set to 0",
          kNames[r], x(r)));
      x(r) = 0.0;
    }
  }
  v.ratee = x(0);
  v.rater = x(1);
  v.error = x(2);
  // Rounding can leave a hair of error variance where the exact estimate is
  // 0: that is as undetermined as 0.
  if (v.error <= 1e-9 * (v.ratee + v.rater) && v.ratee > 0.0 && v.rater > 0.0) {
    v.error = 0.01 * (v.ratee + v.rater);
    notes->push_back(fmt::format(
        "an error variance of 0 would leave the predictions undetermined: it was raised to 1% of "
        "the ratee and rater variances ({:.6g})",
        v.error));
  }
  return v;
}

namespace {

// Weighted counts N_i, N_j and sums of the centred values Y_i, Y_j.
struct Margins {
  Eigen::VectorXd wi, yi, wj, yj;
};

Margins SumMargins(const RatingBallots& b, std::span<const double> values, double c) {
  const int n = b.NumRatees();
  const uint32_t R = b.num_raters;
  Margins m{Eigen::VectorXd::Zero(n), Eigen::VectorXd::Zero(n), Eigen::VectorXd::Zero(R),
            Eigen::VectorXd::Zero(R)};
  for (int i = 0; i < n; ++i) {
    for (uint64_t k = RateeBegin(b, i), end = RateeEnd(b, i); k < end; ++k) {
      const uint32_t word = b.ballot[k];
      const double w = BallotWeight(b, k, word);
      const double wy = w * (values[BallotGrade(word) < b.levels ? BallotGrade(word) : 0] - c);
      m.wi[i] += w;
      m.yi[i] += wy;
      m.wj[BallotRater(word)] += w;
      m.yj[BallotRater(word)] += wy;
    }
  }
  return m;
}

// d_i = 1 / (s_e^2 + N_i s_a^2): then the (mu, a) block given b is
//   mu = sum_i d_i r_i / sum_i d_i N_i,  a_i = s_a^2 d_i (r_i - N_i mu),
// with r_i = sum_{j in i} w (y - b_j); the same for the (mu, b) block.
// Without a ratee effect (s_a^2 = 0) mu is the plain weighted mean.
Eigen::VectorXd BlockWeights(const Eigen::VectorXd& w, double s2, bool use, double error) {
  Eigen::VectorXd d = Eigen::VectorXd::Zero(w.size());
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    if (w[i] > 0.0) d[i] = use ? 1.0 / (error + w[i] * s2) : 1.0;
  }
  return d;
}

// Connected components of the ratee-rater graph, for the line search along
// "every a in a component up by t, every b in it down by t", which leaves
// the fit unchanged and only moves the penalty. Numbered by their lowest
// ratee; -1 for a ratee or rater without weight.
struct EffectComponents {
  std::vector<int32_t> a, b;
  int count = 0;
};

EffectComponents LineSearchComponents(const RatingBallots& b, const Margins& m) {
  const int n = b.NumRatees();
  const uint32_t R = b.num_raters;
  EffectComponents comp;
  // Over ratees [0, n) and raters [n, n + R).
  DisjointSets forest(static_cast<size_t>(n) + R);
  for (int i = 0; i < n; ++i) {
    for (uint64_t k = RateeBegin(b, i), end = RateeEnd(b, i); k < end; ++k) {
      const uint32_t word = b.ballot[k];
      if (BallotWeight(b, k, word) > 0.0) forest.Union(i, n + BallotRater(word));
    }
  }
  std::vector<int32_t> id(static_cast<size_t>(n) + R, -1);
  comp.a.assign(n, -1);
  comp.b.assign(R, -1);
  for (int i = 0; i < n; ++i) {
    if (m.wi[i] == 0.0) continue;
    const uint32_t root = forest.Find(i);
    if (id[root] < 0) id[root] = comp.count++;
    comp.a[i] = id[root];
  }
  for (uint32_t j = 0; j < R; ++j) {
    if (m.wj[j] == 0.0) continue;
    comp.b[j] = id[forest.Find(n + j)];
  }
  return comp;
}

// The backfitting sweeps with both effects. A rater's effect and its
// running sum of w * a_i sit side by side, so that the pass over the
// ballots touches one cache line per ballot.
class BothEffects {
 public:
  BothEffects(const RatingBallots& b, const VarianceComponents& v, const Margins& m,
              const Eigen::VectorXd& da, const Eigen::VectorXd& db)
      : b_(b),
        v_(v),
        m_(m),
        da_(da),
        db_(db),
        rs_(b.num_raters),
        comp_(LineSearchComponents(b, m)) {
    den_a_ = da.dot(m.wi);
    den_b_ = db.dot(m.wj);
    ComputeShift();
  }

  // Sweeps until the largest change over `scale` is below `tolerance`.
  void Run(double scale, double tolerance, int max_iterations, BackfitResult& fit);

 private:
  struct RaterState {
    double effect = 0.0;
    double sum_wa = 0.0;
  };

  void ComputeShift();
  double RateeBlock(Eigen::VectorXd& a);
  void RaterBlock(double delta);
  void CentreComponents(Eigen::VectorXd& a);

  const RatingBallots& b_;
  const VarianceComponents& v_;
  const Margins& m_;
  const Eigen::VectorXd &da_, &db_;
  double den_a_ = 0.0, den_b_ = 0.0;
  double mu_ = 0.0;  // relative to the mean value
  std::vector<RaterState> rs_;
  std::vector<double> shift_;
  EffectComponents comp_;
};

// The (mu, a) block computes each a_i at the previous mu and scatters it at
// once; when mu then moves by delta, a_i moves by -s_a^2 d_i N_i delta and
// the rater sums by -delta * shift_j, with shift_j = sum_{i in j} w s_a^2
// d_i N_i.
void BothEffects::ComputeShift() {
  shift_.assign(b_.num_raters, 0.0);
  for (int i = 0; i < b_.NumRatees(); ++i) {
    const double per_weight = v_.ratee * da_[i] * m_.wi[i];
    for (uint64_t k = RateeBegin(b_, i), end = RateeEnd(b_, i); k < end; ++k) {
      const uint32_t word = b_.ballot[k];
      shift_[BallotRater(word)] += BallotWeight(b_, k, word) * per_weight;
    }
  }
}

// (mu, a) given b, fused with the scatter of the new a into the raters;
// returns the change of mu.
double BothEffects::RateeBlock(Eigen::VectorXd& a) {
  double num = 0.0;
  for (int i = 0; i < b_.NumRatees(); ++i) {
    const uint64_t begin = RateeBegin(b_, i), end = RateeEnd(b_, i);
    double s = 0.0;
    for (uint64_t k = begin; k < end; ++k) {
      const uint32_t word = b_.ballot[k];
      s += BallotWeight(b_, k, word) * rs_[BallotRater(word)].effect;
    }
    const double r = m_.yi[i] - s;
    num += da_[i] * r;
    const double ai = v_.ratee * da_[i] * (r - m_.wi[i] * mu_);
    a[i] = ai;
    for (uint64_t k = begin; k < end; ++k) {
      const uint32_t word = b_.ballot[k];
      rs_[BallotRater(word)].sum_wa += BallotWeight(b_, k, word) * ai;
    }
  }
  const double delta = num / den_a_ - mu_;
  mu_ += delta;
  a -= (v_.ratee * delta) * da_.cwiseProduct(m_.wi);
  return delta;
}

// (mu, b) given a.
void BothEffects::RaterBlock(double delta) {
  const uint32_t R = b_.num_raters;
  double num = 0.0;
  for (uint32_t j = 0; j < R; ++j) {
    rs_[j].sum_wa -= delta * shift_[j];
    num += db_[j] * (m_.yj[j] - rs_[j].sum_wa);
  }
  mu_ = num / den_b_;
  for (uint32_t j = 0; j < R; ++j) {
    rs_[j].effect = v_.rater * db_[j] * (m_.yj[j] - rs_[j].sum_wa - m_.wj[j] * mu_);
    rs_[j].sum_wa = 0.0;
  }
}

// Shift t per component minimising sum (a_i + t)^2 / s_a^2 + sum (b_j - t)^2 / s_b^2.
void BothEffects::CentreComponents(Eigen::VectorXd& a) {
  const int n = b_.NumRatees();
  const uint32_t R = b_.num_raters;
  const int num_comp = comp_.count;
  std::vector<double> sum_a(num_comp, 0.0), sum_b(num_comp, 0.0), cnt_a(num_comp, 0.0),
      cnt_b(num_comp, 0.0);
  for (int i = 0; i < n; ++i) {
    if (comp_.a[i] < 0) continue;
    sum_a[comp_.a[i]] += a[i];
    cnt_a[comp_.a[i]] += 1.0;
  }
  for (uint32_t j = 0; j < R; ++j) {
    if (comp_.b[j] < 0) continue;
    sum_b[comp_.b[j]] += rs_[j].effect;
    cnt_b[comp_.b[j]] += 1.0;
  }
  for (int m = 0; m < num_comp; ++m) {
    sum_a[m] = (sum_b[m] / v_.rater - sum_a[m] / v_.ratee) /
               (cnt_a[m] / v_.ratee + cnt_b[m] / v_.rater);  // now the shift t
  }
  for (int i = 0; i < n; ++i)
    if (comp_.a[i] >= 0) a[i] += sum_a[comp_.a[i]];
  for (uint32_t j = 0; j < R; ++j)
    if (comp_.b[j] >= 0) rs_[j].effect -= sum_a[comp_.b[j]];
}

void BothEffects::Run(double scale, double tolerance, int max_iterations, BackfitResult& fit) {
  const int n = b_.NumRatees();
  const uint32_t R = b_.num_raters;
  Eigen::VectorXd& a = fit.ratee;
  Eigen::VectorXd prev_a(n), prev_b(R);
  fit.converged = false;
  for (int it = 1; it <= max_iterations; ++it) {
    prev_a = a;
    for (uint32_t j = 0; j < R; ++j) prev_b[j] = rs_[j].effect;
    const double prev_mu = mu_;
    RaterBlock(RateeBlock(a));
    CentreComponents(a);

    fit.iterations = it;
    double change = std::abs(mu_ - prev_mu);
    for (int i = 0; i < n; ++i) change = std::max(change, std::abs(a[i] - prev_a[i]));
    for (uint32_t j = 0; j < R; ++j) change = std::max(change, std::abs(rs_[j].effect - prev_b[j]));
    fit.last_change = change / scale;
    if (fit.last_change < tolerance) {
      fit.converged = true;
      break;
    }
  }
  for (uint32_t j = 0; j < R; ++j) fit.rater[j] = rs_[j].effect;
  fit.mu += mu_;
}

}  // namespace

BackfitResult Backfit(const RatingBallots& b, std::span<const double> values,
                      const VarianceComponents& v, double tolerance, int max_iterations) {
  BackfitResult fit;
  fit.ratee = Eigen::VectorXd::Zero(b.NumRatees());
  fit.rater = Eigen::VectorXd::Zero(b.num_raters);
  const ValueSummary summary = SummariseValues(b, values);
  const double c = summary.mean;
  fit.mu = c;
  if (summary.total_weight == 0.0) {
    fit.converged = true;
    return fit;
  }
  const Margins m = SumMargins(b, values, c);
  const bool use_a = v.ratee > 0.0, use_b = v.rater > 0.0;
  const Eigen::VectorXd da = BlockWeights(m.wi, v.ratee, use_a, v.error);
  const Eigen::VectorXd db = BlockWeights(m.wj, v.rater, use_b, v.error);
  fit.iterations = 1;
  fit.converged = true;
  if (!use_b) {
    // One exact (mu, a) block with b = 0 (a = 0 too when s_a^2 = 0).
    const double mu = da.dot(m.yi) / da.dot(m.wi);
    if (use_a) fit.ratee = v.ratee * da.cwiseProduct(m.yi - m.wi * mu);
    fit.mu = c + mu;
    return fit;
  }
  if (!use_a) {
    const double mu = db.dot(m.yj) / db.dot(m.wj);
    fit.rater = v.rater * db.cwiseProduct(m.yj - m.wj * mu);
    fit.mu = c + mu;
    return fit;
  }
  BothEffects both(b, v, m, da, db);
  both.Run(std::sqrt(v.ratee + v.rater + v.error), tolerance, max_iterations, fit);
  return fit;
}

}  // namespace internal

namespace {

// Set from the parameter declarations of MixedEffectsSpec().
struct MixedEffectsOptions {
  std::vector<double> values;  // y of each grade; empty: the grade itself
  double tolerance{};
  int max_iterations{};
  bool item_effects = true;  // `items = "fixed_effects"`
};

class MixedEffects : public Model {
 public:
  explicit MixedEffects(MixedEffectsOptions o) : o_(std::move(o)) {}

  ScoreResult Score(const ModelInput& input) const override {
    const RatingBallots& b = *input.ratings;
    ScoreResult r;
    r.notes.push_back(
        "variance components by the method of moments (Gao & Owen 2017); BLUPs by backfitting");
    std::vector<double> values = o_.values;
    if (static_cast<int>(values.size()) != b.levels) {
      if (!values.empty()) {
        r.notes.push_back(
            fmt::format("points has {} values but the ballots have {} grades: the "
                        "grades themselves were used",
                        values.size(), b.levels));
      }
      values.resize(b.levels);
      std::iota(values.begin(), values.end(), 0.0);
    }
    if (b.HasItems() && o_.item_effects && b.NumItems() * b.levels < kAbstain)
      return FitItems(b, values, std::move(r));
    return Fit(b, values, std::move(r));
  }

 private:
  ScoreResult Fit(const RatingBallots& b, const std::vector<double>& values, ScoreResult r) const {
    const int n = b.NumRatees();
    const internal::MomentEquations eq = internal::ComputeMomentEquations(b, values);
    if (eq.total_weight == 0.0) {
      r.score = Eigen::VectorXd::Constant(n, values[0]);
      r.rater_values.push_back({"effect", Eigen::VectorXd::Zero(b.num_raters)});
      r.notes.push_back("no valid ballot: every evaluee scored the lowest grade's value");
      r.parameters = {{"sigma_ratee", 0.0},
                      {"sigma_rater", 0.0},
                      {"sigma_error", 0.0},
                      {"mu", values[0]},
                      {"iterations", 0.0}};
      return r;
    }
    const internal::VarianceComponents v = internal::SolveMomentEquations(eq, &r.notes);
    const internal::BackfitResult fit =
        internal::Backfit(b, values, v, o_.tolerance, o_.max_iterations);
    if (!fit.converged) {
      r.notes.push_back(
          fmt::format("backfitting stopped after {} sweeps with a relative change of {:.3g} "
                      "(tolerance {:.3g})",
                      fit.iterations, fit.last_change, o_.tolerance));
    }

    r.score = Eigen::VectorXd::Constant(n, fit.mu) + fit.ratee;
    r.se.resize(n);
    int unrated = 0;
    for (int i = 0; i < n; ++i) {
      double wi = 0.0;
      for (uint64_t k = b.slot_begin[static_cast<size_t>(i) * b.NumGroups()],
                    end = b.slot_begin[static_cast<size_t>(i + 1) * b.NumGroups()];
           k < end; ++k) {
        const uint32_t word = b.ballot[k];
        if (BallotGrade(word) < b.levels) wi += b.Weighted() ? std::max(0.0f, b.weight[k]) : 1.0;
      }
      if (wi == 0.0) ++unrated;
      r.se[i] = ConditionalSd(wi, v);
    }
    if (unrated > 0) {
      r.notes.push_back(fmt::format("{} evaluee(s) had no valid ballot and scored mu", unrated));
    }
    r.rater_values.push_back({"effect", fit.rater});
    r.parameters = {{"sigma_ratee", std::sqrt(v.ratee)},
                    {"sigma_rater", std::sqrt(v.rater)},
                    {"sigma_error", std::sqrt(v.error)},
                    {"mu", fit.mu},
                    {"iterations", static_cast<double>(fit.iterations)}};
    return r;
  }

  // Multi-item ballots with item fixed effects: every item grade is one
  // ballot of its (rater, ratee) cell, coded grade + item * K, whose value is
  // the grade's value minus the item's effect (the item's mean value minus
  // the mean over every item grade: the least-squares effect when each
  // ballot grades every item, as on a form). Then the crossed model above.
  ScoreResult FitItems(const RatingBallots& b, const std::vector<double>& values,
                       ScoreResult r) const {
    const int I = b.NumItems(), K = b.levels;
    std::vector<double> sum(I, 0.0), weight(I, 0.0);
    const uint64_t slots = static_cast<uint64_t>(b.NumRatees()) * b.NumGroups();
    for (int m = 0; m < I; ++m) {
      for (uint64_t k = b.item_slot_begin[m * slots]; k < b.item_slot_begin[(m + 1) * slots]; ++k) {
        const uint8_t g = BallotGrade(b.item_ballot[k]);
        const double w = b.item_weight.empty() ? 1.0 : std::max(0.0f, b.item_weight[k]);
        if (g >= K || w == 0.0) continue;
        sum[m] += w * values[g];
        weight[m] += w;
      }
    }
    const double all_w = std::accumulate(weight.begin(), weight.end(), 0.0);
    const double grand = all_w > 0 ? std::accumulate(sum.begin(), sum.end(), 0.0) / all_w : 0.0;
    RatingBallots pooled;
    pooled.levels = I * K;
    pooled.group_names = b.group_names;
    pooled.group_weights = b.group_weights;
    pooled.ratee_names = b.ratee_names;
    pooled.rater_group = b.rater_group;
    pooled.num_raters = b.num_raters;
    pooled.slot_begin.assign(1, 0);
    for (uint64_t s = 0; s < slots; ++s) {
      for (int m = 0; m < I; ++m) {
        for (uint64_t k = b.item_slot_begin[m * slots + s];
             k < b.item_slot_begin[m * slots + s + 1]; ++k) {
          const uint32_t w = b.item_ballot[k];
          const uint8_t g = BallotGrade(w);
          pooled.ballot.push_back(
              PackBallot(BallotRater(w), g >= K ? kAbstain : static_cast<uint8_t>(m * K + g)));
          if (!b.item_weight.empty()) pooled.weight.push_back(b.item_weight[k]);
        }
      }
      pooled.slot_begin.push_back(pooled.ballot.size());
    }
    std::vector<double> coded(static_cast<size_t>(I) * K);
    std::vector<double> effect(I, 0.0);
    for (int m = 0; m < I; ++m) {
      effect[m] = weight[m] > 0 ? sum[m] / weight[m] - grand : 0.0;
      for (int g = 0; g < K; ++g) coded[m * K + g] = values[g] - effect[m];
    }
    r = Fit(pooled, coded, std::move(r));
    for (int m = 0; m < I; ++m)
      r.parameters.emplace_back("item_effect." + b.item_names[m], effect[m]);
    r.notes.push_back(
        fmt::format("{} items pooled with item fixed effects (item mean minus overall mean)", I));
    return r;
  }

  // Posterior sd of a_i given mu and the rater effects.
  static double ConditionalSd(double wi, const internal::VarianceComponents& v) {
    if (v.ratee == 0.0) return 0.0;
    if (wi == 0.0) return std::sqrt(v.ratee);
    if (v.error == 0.0) return 0.0;
    return std::sqrt(1.0 / (wi / v.error + 1.0 / v.ratee));
  }

  MixedEffectsOptions o_;
};

}  // namespace

ModelSpec MixedEffectsSpec() {
  ModelSpec spec;
  spec.name = "mixed_effects";
  spec.summary =
      "crossed random effects grade = mu + ratee + rater + e; variance components by moments, "
      "scores are the ratees' BLUPs";
  spec.params = {
      PointsParam("none (y = the grade 0..K-1)",
                  "value of each grade, lowest grade first, used as y instead of the grade"),
      StringParam("estimator", "moments", {"moments"},
                  "how the variance components are estimated: \"moments\" (Gao & Owen 2017)"),
      NumberParam(
          "tolerance", 1e-10, Above(0.0),
          "backfitting stops when the largest change in a sweep, over the fitted sd, is below it"),
      IntegerParam("max_iterations", 1000, Between(1, 1e9), "most backfitting sweeps"),
      StringParam("items", "fixed_effects", {"fixed_effects", "overall"},
                  "on ballots with items: \"fixed_effects\" pools every item grade with a fixed "
                  "effect per item (reports item_effect.<item>); \"overall\" fits the overall "
                  "grades only"),
  };
  spec.models_items = true;
  // Per-rater sums and states, per-evaluee and per-rater weights, totals,
  // components, previous iterates; no per-ballot copy; one per-rater output
  // (effect).
  spec.memory = [](int, int) { return FitMemory{0, 8 * 8 + 4, 48 + 16 + 8 * 6 + 4, 1}; };
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    MixedEffectsOptions o;
    const bool has_points = in.Has("points");
    std::vector<double> points = ReadPoints(in);
    if (has_points) o.values = std::move(points);
    in.String("estimator");
    o.tolerance = in.Double("tolerance");
    o.max_iterations = static_cast<int>(in.Int("max_iterations"));
    o.item_effects = in.String("items") == "fixed_effects";
    return std::make_unique<MixedEffects>(std::move(o));
  };
  return spec;
}

}  // namespace evalsim
