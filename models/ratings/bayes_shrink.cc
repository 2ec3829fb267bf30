#include "models/ratings/bayes_shrink.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "models/common/tally.h"

namespace evalsim {

using bayes_shrink_internal::Digamma;
using bayes_shrink_internal::LogGamma;

namespace {

constexpr double kAlphaMin = 1e-6;
constexpr double kAlphaMax = 1e6;

// Set from the parameter declarations of BayesShrinkSpec().
struct BayesShrinkOptions {
  std::vector<double> points;
  bool mle{};
  int64_t max_iterations{};
  double tolerance{};
};

// Distinct values of a column of counts with their multiplicities, in
// increasing order of value. Sorting makes the sums of the iteration
// independent of the order of the evaluees.
using ValueCounts = std::vector<std::pair<double, double>>;

ValueCounts Compress(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  ValueCounts out;
  for (double v : values) {
    if (!out.empty() && out.back().first == v)
      out.back().second += 1.0;
    else
      out.push_back({v, 1.0});
  }
  return out;
}

// Keeps alpha in [kAlphaMin, kAlphaMax]. An alpha above the cap scales the
// whole vector down (keeping the prior mean), since what runs away is the
// prior strength, not the shares; then alpha below the floor is raised.
// Returns false when alpha is not finite.
bool Clamp(std::vector<double>& alpha) {
  double top = 0.0;
  for (double a : alpha) {
    if (!std::isfinite(a)) return false;
    top = std::max(top, a);
  }
  if (top > kAlphaMax)
    for (double& a : alpha) a *= kAlphaMax / top;
  for (double& a : alpha) a = std::max(a, kAlphaMin);
  return true;
}

struct PriorFit {
  std::vector<double> alpha;
  bool mle = false;
  bool flat = false;
  bool mle_failed = false;  // the iteration ran and did not converge
  int64_t iterations = 0;
  int64_t used = 0;  // evaluees with at least one valid vote
};

// Method of moments (see the header): prior mean from the pooled shares,
// strength from the spread of the evaluees' shares about them.
std::vector<double> MomentsEstimate(const Eigen::MatrixXd& counts, const Eigen::VectorXd& total,
                                    int64_t used) {
  const int K = static_cast<int>(counts.cols());
  const double N = total.sum();
  std::vector<double> m(K);
  for (int k = 0; k < K; ++k) m[k] = counts.col(k).sum() / N;
  double S = 0.0, sum_sq_total = 0.0;
  for (Eigen::Index i = 0; i < counts.rows(); ++i) {
    if (!(total[i] > 0.0)) continue;
    sum_sq_total += total[i] * total[i];
    for (int k = 0; k < K; ++k) {
      const double d = counts(i, k) - total[i] * m[k];
      S += d * d / total[i];
    }
  }
  double B = 1.0;
  for (double mk : m) B -= mk * mk;
  const double Q = sum_sq_total / N;
  double A;
  if (B <= 1e-12) {
    A = std::numeric_limits<double>::infinity();  // one grade only: no spread at all
  } else {
    const double R = S / B;
    const double num = N - Q - R, den = R - static_cast<double>(used - 1);
    if (den <= 0.0)
      A = std::numeric_limits<double>::infinity();  // no more spread than a multinomial
    else
      A = std::max(0.0, num / den);
  }
  std::vector<double> alpha(K);
  // An infinite strength is expressed as the cap times the shares.
  const double strength = std::isfinite(A) ? A : 2.0 * kAlphaMax;
  for (int k = 0; k < K; ++k) alpha[k] = strength * m[k];
  Clamp(alpha);
  return alpha;
}

// The Dirichlet–multinomial likelihood of the evaluees' counts, held as
// distinct values with multiplicities. Only evaluees with votes and only
// nonzero counts are kept: a zero count adds psi(alpha) - psi(alpha) = 0 to
// the fixed point and lnGamma(alpha) - lnGamma(alpha) = 0 to the likelihood.
class Polya {
 public:
  Polya(const Eigen::MatrixXd& counts, const Eigen::VectorXd& total) {
    const int K = static_cast<int>(counts.cols());
    column_.resize(K);
    std::vector<double> buffer;
    for (int k = 0; k < K; ++k) {
      buffer.clear();
      for (Eigen::Index i = 0; i < counts.rows(); ++i)
        if (total[i] > 0.0 && counts(i, k) > 0.0) buffer.push_back(counts(i, k));
      column_[k] = Compress(buffer);
    }
    buffer.clear();
    for (Eigen::Index i = 0; i < total.size(); ++i)
      if (total[i] > 0.0) buffer.push_back(total[i]);
    totals_ = Compress(buffer);
  }

  // One step of Minka's fixed point, clamped. False when it breaks down.
  bool Step(const std::vector<double>& alpha, std::vector<double>& next) const {
    const int K = static_cast<int>(alpha.size());
    double A = 0.0;
    for (double a : alpha) A += a;
    const double psi_A = Digamma(A);
    double den = 0.0;
    for (const auto& [v, mult] : totals_) den += mult * (Digamma(v + A) - psi_A);
    if (!(den > 0.0) || !std::isfinite(den)) return false;
    next.resize(K);
    for (int k = 0; k < K; ++k) {
      const double psi_a = Digamma(alpha[k]);
      double num = 0.0;
      for (const auto& [v, mult] : column_[k]) num += mult * (Digamma(v + alpha[k]) - psi_a);
      next[k] = alpha[k] * num / den;
    }
    return Clamp(next);
  }

  // Log-likelihood up to a constant that does not depend on alpha.
  double LogLikelihood(const std::vector<double>& alpha) const {
    double A = 0.0;
    for (double a : alpha) A += a;
    const double lg_A = LogGamma(A);
    double sum = 0.0;
    for (const auto& [v, mult] : totals_) sum += mult * (lg_A - LogGamma(v + A));
    for (size_t k = 0; k < alpha.size(); ++k) {
      const double lg_a = LogGamma(alpha[k]);
      for (const auto& [v, mult] : column_[k]) sum += mult * (LogGamma(v + alpha[k]) - lg_a);
    }
    return sum;
  }

 private:
  std::vector<ValueCounts> column_;
  ValueCounts totals_;
};

double LargestRelativeChange(const std::vector<double>& from, const std::vector<double>& to) {
  double change = 0.0;
  for (size_t k = 0; k < from.size(); ++k)
    change = std::max(change, std::abs(to[k] - from[k]) / from[k]);
  return change;
}

// Minka's fixed point, accelerated by SQUAREM (Varadhan & Roland 2008,
// "Simple and globally convergent methods for accelerating the convergence
// of any EM algorithm", scheme S3 with their adaptive step bound). The plain
// iteration converges linearly and very slowly when the prior is strong
// (A in the hundreds: thousands of steps); SQUAREM extrapolates along the
// last two steps, in log alpha so that alpha stays positive, and keeps the
// extrapolated point only when the likelihood did not fall, otherwise it
// takes the two plain steps. Its fixed points are those of the plain
// iteration, and convergence is judged on a plain step's relative change.
// Returns the number of steps taken (negative when it did not converge).
int64_t FitMle(const Polya& polya, std::vector<double>& alpha, const BayesShrinkOptions& o) {
  const size_t K = alpha.size();
  std::vector<double> a1, a2, trial(K), a3;
  std::vector<double> r(K), v(K);
  double step_max = 1.0;
  double L0 = polya.LogLikelihood(alpha);
  int64_t steps = 0;
  while (steps < o.max_iterations) {
    if (!polya.Step(alpha, a1)) return -steps;
    ++steps;
    if (LargestRelativeChange(alpha, a1) < o.tolerance) {
      alpha = a1;
      return steps;
    }
    if (steps >= o.max_iterations) break;
    if (!polya.Step(a1, a2)) return -steps;
    ++steps;
    if (LargestRelativeChange(a1, a2) < o.tolerance) {
      alpha = a2;
      return steps;
    }
    double nr = 0.0, nv = 0.0;
    for (size_t k = 0; k < K; ++k) {
      const double l0 = std::log(alpha[k]), l1 = std::log(a1[k]), l2 = std::log(a2[k]);
      r[k] = l1 - l0;
      v[k] = l2 - 2.0 * l1 + l0;
      nr += r[k] * r[k];
      nv += v[k] * v[k];
    }
    double s = nv > 0.0 ? -std::sqrt(nr / nv) : -1.0;
    s = std::clamp(s, -step_max, -1.0);
    const bool at_bound = s == -step_max;
    bool accepted = false;
    if (s < -1.0 && steps < o.max_iterations) {
      for (size_t k = 0; k < K; ++k) {
        const double l = std::log(alpha[k]) - 2.0 * s * r[k] + s * s * v[k];
        trial[k] = std::exp(std::clamp(l, -50.0, 50.0));
      }
      Clamp(trial);
      // One plain step from the extrapolated point, as SQUAREM prescribes:
      // it stabilises the extrapolation.
      if (polya.Step(trial, a3)) {
        ++steps;
        const double L3 = polya.LogLikelihood(a3);
        if (std::isfinite(L3) && L3 >= L0 - 1e-12 * (std::abs(L0) + 1.0)) {
          alpha.swap(a3);
          L0 = L3;
          accepted = true;
        }
      }
      if (!accepted) {
        // Too long a step: shrink the bound and take the plain steps.
        if (at_bound) step_max = std::max(1.0, step_max / 4.0);
        alpha.swap(a2);
        L0 = polya.LogLikelihood(alpha);
        continue;
      }
    } else {
      alpha.swap(a2);
      L0 = polya.LogLikelihood(alpha);
    }
    // The step was as long as allowed and it worked: allow longer ones.
    if (at_bound) step_max *= 4.0;
  }
  return -steps;
}

PriorFit FitPrior(const Eigen::MatrixXd& counts, const BayesShrinkOptions& o) {
  const int K = static_cast<int>(counts.cols());
  const Eigen::VectorXd total = counts.rowwise().sum();
  PriorFit fit;
  for (Eigen::Index i = 0; i < total.size(); ++i) fit.used += total[i] > 0.0;
  if (fit.used < 2) {
    fit.alpha.assign(K, 1.0);
    fit.flat = true;
    return fit;
  }
  fit.alpha = MomentsEstimate(counts, total, fit.used);
  if (!o.mle) return fit;
  const Polya polya(counts, total);
  std::vector<double> alpha = fit.alpha;
  const int64_t steps = FitMle(polya, alpha, o);
  if (steps > 0) {
    fit.alpha = alpha;
    fit.mle = true;
    fit.iterations = steps;
  } else {
    fit.mle_failed = true;
    fit.iterations = -steps;
  }
  return fit;
}

class BayesShrink : public Model {
 public:
  explicit BayesShrink(BayesShrinkOptions o) : o_(std::move(o)) {}

  ScoreResult Score(const ModelInput& input) const override {
    const RatingBallots& b = *input.ratings;
    const int n = b.NumRatees(), K = b.levels;
    // Points are read against the context's number of grades; should the
    // ballots have another, the default points for their scale apply.
    const std::vector<double> points =
        static_cast<int>(o_.points.size()) == K ? o_.points : DefaultPoints(K);

    const Eigen::MatrixXd counts = TallyRatees(b, input.slot_counts);
    const PriorFit fit = FitPrior(counts, o_);
    const std::vector<double>& alpha = fit.alpha;
    double A = 0.0;
    for (double a : alpha) A += a;

    ScoreResult r;
    r.score.resize(n);
    r.se.resize(n);
    int empty = 0;
    for (int e = 0; e < n; ++e) {
      double N = 0.0;
      for (int k = 0; k < K; ++k) N += counts(e, k);
      if (!(N > 0.0)) ++empty;
      const double post = A + N;
      double mean = 0.0, second = 0.0;
      for (int k = 0; k < K; ++k) {
        const double m = (alpha[k] + counts(e, k)) / post;
        mean += points[k] * m;
        second += points[k] * points[k] * m;
      }
      r.score[e] = mean;
      r.se[e] = std::sqrt(std::max(0.0, second - mean * mean) / (post + 1.0));
    }

    for (int k = 0; k < K; ++k) r.parameters.push_back({fmt::format("alpha_{}", k), alpha[k]});
    r.parameters.push_back({"prior_strength", A});
    r.parameters.push_back({"estimator_mle", fit.mle ? 1.0 : 0.0});
    r.parameters.push_back({"iterations", static_cast<double>(fit.iterations)});
    r.parameters.push_back({"evaluees_used", static_cast<double>(fit.used)});

    if (fit.flat) {
      r.notes.push_back(fmt::format(
          "{} evaluee(s) with a valid vote: too few to estimate a prior; flat prior alpha = 1",
          fit.used));
    } else if (fit.mle) {
      r.notes.push_back(fmt::format(
          "prior by marginal maximum likelihood (Minka fixed point with SQUAREM, {} steps); "
          "A = {:.6g}",
          fit.iterations, A));
    } else if (fit.mle_failed) {
      r.notes.push_back(fmt::format(
          "maximum likelihood did not converge in {} steps: method-of-moments prior used; "
          "A = {:.6g}",
          fit.iterations, A));
    } else {
      r.notes.push_back(fmt::format("prior by the method of moments; A = {:.6g}", A));
    }
    if (!fit.flat) {
      int unused = 0;
      for (int k = 0; k < K; ++k) unused += counts.col(k).sum() <= 0.0;
      if (unused > 0)
        r.notes.push_back(
            fmt::format("{} grade(s) never used: their alpha is held at the lower bound {:g}",
                        unused, kAlphaMin));
      if (*std::max_element(alpha.begin(), alpha.end()) >= kAlphaMax * (1.0 - 1e-12))
        r.notes.push_back(fmt::format(
            "prior strength at the upper bound (alpha <= {:g}): the evaluees' grade shares "
            "differ no more than sampling noise, so every score is close to the grand mean",
            kAlphaMax));
    }
    if (empty > 0)
      r.notes.push_back(
          fmt::format("{} evaluee(s) had no valid vote and scored the prior mean", empty));
    return r;
  }

 private:
  BayesShrinkOptions o_;
};

}  // namespace

namespace bayes_shrink_internal {

double Digamma(double x) {
  if (!(x > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  double result = 0.0;
  while (x < 10.0) {
    result -= 1.0 / x;
    x += 1.0;
  }
  // ln x - 1/(2x) - sum_k B_2k / (2k x^2k): B_2..B_14 = 1/6, -1/30, 1/42,
  // -1/30, 5/66, -691/2730, 7/6, divided by 2k.
  const double inv = 1.0 / x, u = inv * inv;
  const double series =
      u *
      (1.0 / 12 -
       u * (1.0 / 120 -
            u * (1.0 / 252 - u * (1.0 / 240 - u * (1.0 / 132 - u * (691.0 / 32760 - u / 12.0))))));
  return result + std::log(x) - 0.5 * inv - series;
}

double LogGamma(double x) {
  if (!(x > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  // The product of the shifted arguments stays within range: x > 0 is
  // multiplied by at most ten factors below 10.
  double product = 1.0;
  while (x < 10.0) {
    product *= x;
    x += 1.0;
  }
  // Stirling: B_2k / (2k (2k - 1) x^(2k-1)), k = 1..7.
  const double inv = 1.0 / x, u = inv * inv;
  const double series =
      inv * (1.0 / 12 -
             u * (1.0 / 360 -
                  u * (1.0 / 1260 -
                       u * (1.0 / 1680 - u * (1.0 / 1188 - u * (691.0 / 360360 - u / 156.0))))));
  return (x - 0.5) * std::log(x) - x + 0.5 * std::log(2.0 * M_PI) + series - std::log(product);
}

}  // namespace bayes_shrink_internal

ModelSpec BayesShrinkSpec() {
  ModelSpec spec;
  spec.name = "bayes_shrink";
  spec.reads_slot_counts = true;
  spec.summary =
      "Dirichlet-multinomial empirical Bayes: prior on grade shares estimated from all evaluees "
      "(marginal maximum likelihood), score = posterior mean of the points";
  spec.params = {
      PointsParam(),
      StringParam(
          "estimator", "mle", {"mle", "moments"},
          "how the Dirichlet prior is estimated; mle falls back to moments if it does not converge")
          .WithType("\"mle\" or \"moments\""),
      IntegerParam("max_iterations", 1000, AtLeast(1),
                   "fixed-point iterations allowed for the mle"),
      NumberParam("tolerance", 1e-9, Above(0.0),
                  "the mle has converged when no alpha_k changes by more than this, relatively"),
  };
  // Tallies per slot and per evaluee (K doubles each) and the compressed
  // per-category value counts of the Polya likelihood.
  spec.memory = [](int levels, int groups) {
    const double K = levels, G = groups;
    return FitMemory{0, 8 * K * (G + 1) + 16 * K, 0, 0};
  };
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    BayesShrinkOptions o;
    o.points = ReadPoints(in);
    o.mle = in.String("estimator") == "mle";
    o.max_iterations = in.Int("max_iterations");
    o.tolerance = in.Double("tolerance");
    return std::make_unique<BayesShrink>(std::move(o));
  };
  return spec;
}

}  // namespace evalsim
