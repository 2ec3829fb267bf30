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

}  // namespace

MomentEquations ComputeMomentEquations(const RatingBallots& b, std::span<const double> values) {
  MomentEquations eq;
  const ValueSummary summary = SummariseValues(b, values);
  eq.center = summary.mean;
  if (summary.total_weight == 0.0) return eq;
  const double c = eq.center;
  const uint32_t R = b.num_raters;

  // Per rater: weight, squared weights, number of ballots, and the first two
  // weighted moments of the centred values; `stamp`/`cell` find repeated
  // (rater, ratee) pairs, which share the rater effect and the ratee effect.
  // One record per rater, so that a ballot touches one or two cache lines.
  struct RaterSums {
    double w = 0.0, q = 0.0, s1 = 0.0, s2 = 0.0, cell = 0.0;
    uint32_t n = 0;
    int32_t stamp = -1;
  };
  std::vector<RaterSums> rater(R);

  double w_all = 0.0, q_all = 0.0, n_all = 0.0, s1_all = 0.0, s2_all = 0.0;
  double a_pairs = 0.0, ca = 0.0, u_a = 0.0, same_cell = 0.0;
  for (int i = 0; i < b.NumRatees(); ++i) {
    const uint64_t begin = RateeBegin(b, i), end = RateeEnd(b, i);
    double wi = 0.0, qi = 0.0, ni = 0.0, si = 0.0;
    for (uint64_t k = begin; k < end; ++k) {
      const uint32_t word = b.ballot[k];
      const double w = BallotWeight(b, k, word);
      if (w == 0.0) continue;
      wi += w;
      qi += w * w;
      ni += 1.0;
      si += w * (values[BallotGrade(word)] - c);
    }
    if (wi == 0.0) continue;
    const double mean_i = si / wi;
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
    // sum over ordered pairs of ratee i of w w' (y - y')^2 = 2 W_i SS_i.
    u_a += 2.0 * wi * ssi;
    a_pairs += wi * wi - qi;
    ca += 2.0 * wi * (ni - 1.0);
    w_all += wi;
    q_all += qi;
    n_all += ni;
    s1_all += si;
  }

  double b_pairs = 0.0, cb = 0.0, u_b = 0.0;
  for (const RaterSums& rj : rater) {
    if (rj.w == 0.0) continue;
    b_pairs += rj.w * rj.w - rj.q;
    cb += 2.0 * rj.w * (rj.n - 1.0);
    u_b += 2.0 * std::max(0.0, rj.w * rj.s2 - rj.s1 * rj.s1);
  }
  const double t_pairs = w_all * w_all - q_all;

  // E[w w' (y - y')^2] = w w' (2 s_a^2 [i != i'] + 2 s_b^2 [j != j']) + s_e^2 (w + w'),
  // summed over the ordered pairs of each U-statistic.
  eq.m << 0.0, 2.0 * (a_pairs - same_cell), ca,  //
      2.0 * (b_pairs - same_cell), 0.0, cb,      //
      2.0 * (t_pairs - a_pairs), 2.0 * (t_pairs - b_pairs), 2.0 * w_all * (n_all - 1.0);
  eq.u << u_a, u_b, std::max(0.0, 2.0 * (w_all * s2_all - s1_all * s1_all));
  if (summary.constant) eq.u.setZero();
  eq.total_weight = w_all;
  // Rounding can leave a tiny positive difference where the exact one is 0
  // (repeated pairs with fractional weights).
  const double tiny = 1e-9 * std::max(t_pairs, 1.0);
  eq.within_ratee = a_pairs - same_cell > tiny;
  eq.within_rater = b_pairs - same_cell > tiny;
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

BackfitResult Backfit(const RatingBallots& b, std::span<const double> values,
                      const VarianceComponents& v, double tolerance, int max_iterations) {
  const int n = b.NumRatees();
  const uint32_t R = b.num_raters;
  BackfitResult fit;
  fit.ratee = Eigen::VectorXd::Zero(n);
  fit.rater = Eigen::VectorXd::Zero(R);
  const ValueSummary summary = SummariseValues(b, values);
  const double c = summary.mean;
  fit.mu = c;
  if (summary.total_weight == 0.0) {
    fit.converged = true;
    return fit;
  }

  // Weighted counts N_i, N_j and sums of the centred values Y_i, Y_j.
  Eigen::VectorXd wi = Eigen::VectorXd::Zero(n), yi = Eigen::VectorXd::Zero(n);
  Eigen::VectorXd wj = Eigen::VectorXd::Zero(R), yj = Eigen::VectorXd::Zero(R);
  for (int i = 0; i < n; ++i) {
    for (uint64_t k = RateeBegin(b, i), end = RateeEnd(b, i); k < end; ++k) {
      const uint32_t word = b.ballot[k];
      const double w = BallotWeight(b, k, word);
      const double wy = w * (values[BallotGrade(word) < b.levels ? BallotGrade(word) : 0] - c);
      wi[i] += w;
      yi[i] += wy;
      wj[BallotRater(word)] += w;
      yj[BallotRater(word)] += wy;
    }
  }

  const bool use_a = v.ratee > 0.0, use_b = v.rater > 0.0;
  // d_i = 1 / (s_e^2 + N_i s_a^2): then the (mu, a) block given b is
  //   mu = sum_i d_i r_i / sum_i d_i N_i,  a_i = s_a^2 d_i (r_i - N_i mu),
  // with r_i = sum_{j in i} w (y - b_j); the same for the (mu, b) block.
  // Without a ratee effect (s_a^2 = 0) mu is the plain weighted mean.
  auto block_weights = [&v](const Eigen::VectorXd& w, double s2, bool use) {
    Eigen::VectorXd d = Eigen::VectorXd::Zero(w.size());
    for (Eigen::Index i = 0; i < w.size(); ++i) {
      if (w[i] > 0.0) d[i] = use ? 1.0 / (v.error + w[i] * s2) : 1.0;
    }
    return d;
  };
  const Eigen::VectorXd da = block_weights(wi, v.ratee, use_a);
  const Eigen::VectorXd db = block_weights(wj, v.rater, use_b);

  // Connected components of the ratee-rater graph, for the line search
  // along "every a in a component up by t, every b in it down by t", which
  // leaves the fit unchanged and only moves the penalty.
  std::vector<int32_t> comp_a, comp_b;
  int num_comp = 0;
  if (use_a && use_b) {
    // Over ratees [0, n) and raters [n, n + R).
    DisjointSets forest(static_cast<size_t>(n) + R);
    for (int i = 0; i < n; ++i) {
      for (uint64_t k = RateeBegin(b, i), end = RateeEnd(b, i); k < end; ++k) {
        const uint32_t word = b.ballot[k];
        if (BallotWeight(b, k, word) > 0.0) forest.Union(i, n + BallotRater(word));
      }
    }
    std::vector<int32_t> id(static_cast<size_t>(n) + R, -1);
    comp_a.assign(n, -1);
    comp_b.assign(R, -1);
    for (int i = 0; i < n; ++i) {
      if (wi[i] == 0.0) continue;
      const uint32_t root = forest.Find(i);
      if (id[root] < 0) id[root] = num_comp++;
      comp_a[i] = id[root];
    }
    for (uint32_t j = 0; j < R; ++j) {
      if (wj[j] == 0.0) continue;
      comp_b[j] = id[forest.Find(n + j)];
    }
  }
  std::vector<double> sum_a(num_comp), sum_b(num_comp), cnt_a(num_comp), cnt_b(num_comp);

  const double scale = std::sqrt(v.ratee + v.rater + v.error);
  Eigen::VectorXd& a = fit.ratee;
  Eigen::VectorXd& bj = fit.rater;
  const double den_a = da.dot(wi), den_b = db.dot(wj);
  double mu = 0.0;  // relative to c
  fit.iterations = 1;
  fit.converged = true;
  if (!use_b) {
    // One exact (mu, a) block with b = 0 (a = 0 too when s_a^2 = 0).
    mu = da.dot(yi) / den_a;
    if (use_a) a = v.ratee * da.cwiseProduct(yi - wi * mu);
    fit.mu = c + mu;
    return fit;
  }
  if (!use_a) {
    mu = db.dot(yj) / den_b;
    bj = v.rater * db.cwiseProduct(yj - wj * mu);
    fit.mu = c + mu;
    return fit;
  }

  // Both effects. A rater's effect and its running sum of w * a_i sit side
  // by side, so that the pass below touches one cache line per ballot.
  struct RaterState {
    double effect = 0.0;
    double sum_wa = 0.0;
  };
  std::vector<RaterState> rs(R);
  // The (mu, a) block computes each a_i at the previous mu and scatters it
  // at once; when mu then moves by delta, a_i moves by -s_a^2 d_i N_i delta
  // and the rater sums by -delta * shift_j, with
  // shift_j = sum_{i in j} w s_a^2 d_i N_i.
  std::vector<double> shift(R, 0.0);
  for (int i = 0; i < n; ++i) {
    const double per_weight = v.ratee * da[i] * wi[i];
    for (uint64_t k = RateeBegin(b, i), end = RateeEnd(b, i); k < end; ++k) {
      const uint32_t word = b.ballot[k];
      shift[BallotRater(word)] += BallotWeight(b, k, word) * per_weight;
    }
  }

  Eigen::VectorXd prev_a(n), prev_b(R);
  fit.converged = false;
  for (int it = 1; it <= max_iterations; ++it) {
    prev_a = a;
    for (uint32_t j = 0; j < R; ++j) prev_b[j] = rs[j].effect;
    const double prev_mu = mu;

    // (mu, a) given b, fused with the scatter of the new a into the raters.
    double num = 0.0;
    for (int i = 0; i < n; ++i) {
      const uint64_t begin = RateeBegin(b, i), end = RateeEnd(b, i);
      double s = 0.0;
      for (uint64_t k = begin; k < end; ++k) {
        const uint32_t word = b.ballot[k];
        s += BallotWeight(b, k, word) * rs[BallotRater(word)].effect;
      }
      const double r = yi[i] - s;
      num += da[i] * r;
      const double ai = v.ratee * da[i] * (r - wi[i] * mu);
      a[i] = ai;
      for (uint64_t k = begin; k < end; ++k) {
        const uint32_t word = b.ballot[k];
        rs[BallotRater(word)].sum_wa += BallotWeight(b, k, word) * ai;
      }
    }
    const double delta = num / den_a - mu;
    mu += delta;
    a -= (v.ratee * delta) * da.cwiseProduct(wi);

    // (mu, b) given a.
    num = 0.0;
    for (uint32_t j = 0; j < R; ++j) {
      rs[j].sum_wa -= delta * shift[j];
      num += db[j] * (yj[j] - rs[j].sum_wa);
    }
    mu = num / den_b;
    for (uint32_t j = 0; j < R; ++j) {
      rs[j].effect = v.rater * db[j] * (yj[j] - rs[j].sum_wa - wj[j] * mu);
      rs[j].sum_wa = 0.0;
    }

    // Shift t per component minimising sum (a_i + t)^2 / s_a^2 + sum (b_j - t)^2 / s_b^2.
    std::fill(sum_a.begin(), sum_a.end(), 0.0);
    std::fill(sum_b.begin(), sum_b.end(), 0.0);
    std::fill(cnt_a.begin(), cnt_a.end(), 0.0);
    std::fill(cnt_b.begin(), cnt_b.end(), 0.0);
    for (int i = 0; i < n; ++i) {
      if (comp_a[i] < 0) continue;
      sum_a[comp_a[i]] += a[i];
      cnt_a[comp_a[i]] += 1.0;
    }
    for (uint32_t j = 0; j < R; ++j) {
      if (comp_b[j] < 0) continue;
      sum_b[comp_b[j]] += rs[j].effect;
      cnt_b[comp_b[j]] += 1.0;
    }
    for (int m = 0; m < num_comp; ++m) {
      sum_a[m] = (sum_b[m] / v.rater - sum_a[m] / v.ratee) /
                 (cnt_a[m] / v.ratee + cnt_b[m] / v.rater);  // now the shift t
    }
    for (int i = 0; i < n; ++i)
      if (comp_a[i] >= 0) a[i] += sum_a[comp_a[i]];
    for (uint32_t j = 0; j < R; ++j)
      if (comp_b[j] >= 0) rs[j].effect -= sum_a[comp_b[j]];

    fit.iterations = it;
    double change = std::abs(mu - prev_mu);
    for (int i = 0; i < n; ++i) change = std::max(change, std::abs(a[i] - prev_a[i]));
    for (uint32_t j = 0; j < R; ++j) change = std::max(change, std::abs(rs[j].effect - prev_b[j]));
    fit.last_change = change / scale;
    if (fit.last_change < tolerance) {
      fit.converged = true;
      break;
    }
  }
  for (uint32_t j = 0; j < R; ++j) bj[j] = rs[j].effect;
  fit.mu = c + mu;
  return fit;
}

}  // namespace internal

namespace {

struct MixedEffectsOptions {
  std::vector<double> values;  // y of each grade; empty: the grade itself
  double tolerance = 1e-10;
  int max_iterations = 1000;
};

class MixedEffects : public Model {
 public:
  explicit MixedEffects(MixedEffectsOptions o) : o_(std::move(o)) {}

  ScoreResult Score(const ModelInput& input) const override {
    const RatingBallots& b = *input.ratings;
    const int n = b.NumRatees();
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

 private:
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
  };
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
    return std::make_unique<MixedEffects>(std::move(o));
  };
  return spec;
}

}  // namespace evalsim
