#include "models/ratings/rater_adjusted.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "models/common/connectivity.h"
#include "models/common/tally.h"
#include "sim/core/distribute.h"

namespace evalsim {
namespace {

// Set from the parameter declarations of RaterAdjustedSpec().
struct RaterAdjustedOptions {
  std::vector<double> points;  // empty: the model works on grades
  double tolerance{};
  int64_t max_iterations{};
};

// Per-grade lookup: y of the grade, and 1 for a valid grade (0 for blanks),
// so that the hot loops need no branch on the grade.
struct GradeTable {
  std::array<double, 256> y{};
  std::array<double, 256> valid{};
};

// The ratees and raters a fit covers: all of them, or one process's part of
// a split replicate (ModelPart), whose sums over ratees continue the parts'
// before it in ratee order (Distribution::ChainSum), so that every sum is the
// one-process sum.
struct Span {
  int e0 = 0, e1 = 0;
  size_t j0 = 0, j1 = 0;
  Distribution* job = nullptr;

  // The sum over every ratee, in ratee order, of term(e), which is run on
  // this span's ratees.
  template <class F>
  double Sum(F&& term) const {
    return job->ChainSum({0.0}, [&](std::vector<double>& v) {
      double t = v[0];
      for (int e = e0; e < e1; ++e) t += term(e);
      v[0] = t;
    })[0];
  }
  // A count summed over the parts.
  int64_t Count(int64_t local) const { return job->SumAll(local); }
};

Span SpanOf(const ModelInput& input) {
  const RatingBallots& b = *input.ratings;
  if (input.part == nullptr) return {0, b.NumRatees(), 0, b.num_raters, &SingleProcess()};
  const ModelPart& p = *input.part;
  return {p.first_ratee, p.end_ratee, p.first_rater, p.end_rater, p.job};
}

// Everything the passes over the ballots share: the ballots in their own
// ratee-major order, and a rater-major copy of the valid ones (ratee id and
// weight), so that both halves of the matrix-vector product are gathers.
struct Design {
  const RatingBallots* b = nullptr;
  Span span;
  GradeTable table;
  std::vector<double> d_ratee;        // summed weight of each ratee's valid ballots
  std::vector<double> d_rater;        // summed weight of each rater's valid ballots
  std::vector<uint64_t> rater_begin;  // rater j's valid ballots: [rater_begin[j], rater_begin[j+1])
  std::vector<uint32_t> rater_ratee;  // their ratees
  std::vector<float> rater_weight;    // their weights (weighted ballots only)
};

// Weight of ballot i in the fit: 0 when blank or not positive (NaN too).
template <bool kWeighted>
inline double WeightOf(const Design& d, uint64_t i, uint32_t word) {
  const double valid = d.table.valid[word & 0xFFu];
  if constexpr (kWeighted) {
    const float w = d.b->weight[i];
    return w > 0.0f ? valid * static_cast<double>(w) : 0.0;
  } else {
    return valid;
  }
}

inline uint64_t RateeBegin(const RatingBallots& b, int e) {
  return b.slot_begin[static_cast<size_t>(e) * b.NumGroups()];
}

// Fills d_ratee, d_rater and the rater-major copy; sets ratee_mean to each
// ratee's weighted mean ybar_i of y (its level when every b is 0) and
// lenient[j] to the sum of w (y - ybar_i) over rater j's ballots (so
// lenient[j] / d_rater[j] is j's effect after one backfitting sweep from
// b = 0).
template <bool kWeighted>
void Setup(const RaterRateeComponents& comp, Design& d, std::vector<double>& ratee_mean,
           std::vector<double>& lenient) {
  const RatingBallots& b = *d.b;
  const size_t R = b.num_raters;
  const uint32_t* words = b.ballot.data();
  d.rater_begin.assign(R + 1, 0);
  for (size_t j = 0; j < R; ++j) d.rater_begin[j + 1] = d.rater_begin[j] + comp.rater_degree[j];
  d.rater_ratee.resize(d.rater_begin[R]);
  if constexpr (kWeighted) d.rater_weight.resize(d.rater_begin[R]);
  std::vector<uint64_t> cursor(d.rater_begin.begin(), d.rater_begin.end() - 1);
  for (int e = d.span.e0; e < d.span.e1; ++e) {
    const uint64_t begin = RateeBegin(b, e), end = RateeBegin(b, e + 1);
    double sw = 0.0, swy = 0.0;
    for (uint64_t i = begin; i < end; ++i) {
      const double w = WeightOf<kWeighted>(d, i, words[i]);
      sw += w;
      swy += w * d.table.y[words[i] & 0xFFu];
    }
    d.d_ratee[e] = sw;
    if (sw <= 0.0) continue;
    const double mean = swy / sw;
    ratee_mean[e] = mean;
    for (uint64_t i = begin; i < end; ++i) {
      const uint32_t word = words[i];
      const double w = WeightOf<kWeighted>(d, i, word);
      if (!(w > 0.0)) continue;
      const uint32_t j = BallotRater(word);
      d.d_rater[j] += w;
      lenient[j] += w * (d.table.y[word & 0xFFu] - mean);
      const uint64_t at = cursor[j]++;
      d.rater_ratee[at] = static_cast<uint32_t>(e);
      if constexpr (kWeighted) d.rater_weight[at] = static_cast<float>(w);
    }
  }
}

// out_i = sum over ratee i's valid ballots of w * per_rater[j]: a gather
// from an O(raters) vector in the ballots' own order.
template <bool kWeighted>
void GatherRaters(const Design& d, const double* per_rater, double* out) {
  const RatingBallots& b = *d.b;
  const uint32_t* words = b.ballot.data();
  for (int e = d.span.e0; e < d.span.e1; ++e) {
    const uint64_t begin = RateeBegin(b, e), end = RateeBegin(b, e + 1);
    double t = 0.0;
    for (uint64_t i = begin; i < end; ++i)
      t += WeightOf<kWeighted>(d, i, words[i]) * per_rater[BallotRater(words[i])];
    out[e] = t;
  }
}

// out_j = sum over rater j's valid ballots of w * per_ratee[i] / d_rater[j]
// (0 for raters without one): a gather over the rater-major copy.
template <bool kWeighted>
void RaterMeans(const Design& d, const double* per_ratee, double* out) {
  const uint32_t* ratee = d.rater_ratee.data();
  for (size_t j = d.span.j0; j < d.span.j1; ++j) {
    double t = 0.0;
    const uint64_t begin = d.rater_begin[j], end = d.rater_begin[j + 1];
    if constexpr (kWeighted) {
      const float* w = d.rater_weight.data();
      for (uint64_t k = begin; k < end; ++k) t += static_cast<double>(w[k]) * per_ratee[ratee[k]];
    } else {
      for (uint64_t k = begin; k < end; ++k) t += per_ratee[ratee[k]];
    }
    out[j] = begin < end ? t / d.d_rater[j] : 0.0;
  }
}

// out = T v = D_a v - N D_b^-1 N' v: a rater-major pass (rater means of v)
// then a ratee-major pass. `scratch` has one entry per rater. Returns v . out.
template <bool kWeighted>
double ApplyRateeSystem(const Design& d, const double* v, double* scratch, double* out) {
  RaterMeans<kWeighted>(d, v, scratch);
  GatherRaters<kWeighted>(d, scratch, out);
  return d.span.Sum([&](int e) {
    out[e] = d.d_ratee[e] * v[e] - out[e];
    return v[e] * out[e];
  });
}

// Given rater effects `effect`, sets each rated ratee's mu_c + a_i (its
// weighted mean of y - b) and returns the weighted residual sum of squares.
template <bool kWeighted>
double FitRatees(const Design& d, const std::vector<double>& effect,
                 const std::vector<double>& ratee_mean, Eigen::VectorXd& level) {
  const RatingBallots& b = *d.b;
  const uint32_t* words = b.ballot.data();
  return d.span.job->ChainSum({0.0}, [&](std::vector<double>& sum) {
    double rss = sum[0];
    for (int e = d.span.e0; e < d.span.e1; ++e) {
      if (d.d_ratee[e] <= 0.0) continue;
      const uint64_t begin = RateeBegin(b, e), end = RateeBegin(b, e + 1);
      double t = 0.0;
      for (uint64_t i = begin; i < end; ++i)
        t += WeightOf<kWeighted>(d, i, words[i]) * effect[BallotRater(words[i])];
      const double a = ratee_mean[e] - t / d.d_ratee[e];
      level[e] = a;
      for (uint64_t i = begin; i < end; ++i) {
        const uint32_t word = words[i];
        const double r = d.table.y[word & 0xFFu] - a - effect[BallotRater(word)];
        rss += WeightOf<kWeighted>(d, i, word) * r * r;
      }
    }
    sum[0] = rss;
  })[0];
}

// Subtracts, within every component, the unweighted mean of x over the
// component's members (`of` gives each entry's component, -1 for none,
// `size` each component's member count). Returns the subtracted means.
std::vector<double> CentrePerComponent(const std::vector<int32_t>& of,
                                       const std::vector<int32_t>& size, std::vector<double>& x) {
  std::vector<double> mean(size.size(), 0.0);
  for (size_t k = 0; k < x.size(); ++k)
    if (of[k] >= 0) mean[of[k]] += x[k];
  for (size_t c = 0; c < mean.size(); ++c) mean[c] /= size[c];
  for (size_t k = 0; k < x.size(); ++k)
    if (of[k] >= 0) x[k] -= mean[of[k]];
  return mean;
}

struct SolveReport {
  int iterations = 0;
  bool converged = false;
  double relative_change = 0.0;
};

// Preconditioned conjugate gradients on T x = r (r: the starting
// residual) with preconditioner D_a, from x = 0. `rounding_floor` is the
// squared D_a-norm of an update at the rounding level of the data.
template <bool kWeighted>
SolveReport SolveRatees(const Design& d, const RaterRateeComponents& comp,
                        const RaterAdjustedOptions& o, double rounding_floor, std::vector<double> r,
                        std::vector<double>& x) {
  const size_t n = r.size();
  const int e0 = d.span.e0, e1 = d.span.e1;
  const int C = comp.count;
  std::vector<double> inv_d(n), p(n), q(n), scratch(d.d_rater.size()), sums(C), means(C);
  for (int e = e0; e < e1; ++e) inv_d[e] = d.d_ratee[e] > 0.0 ? 1.0 / d.d_ratee[e] : 0.0;
  // Projects r onto the range of T (zero sum within every component) from
  // the per-component sums in `sums`, and returns r' D_a^-1 r. (A component
  // lies within one part, so its sums need no other part's.)
  auto project = [&] {
    for (int c = 0; c < C; ++c) means[c] = sums[c] / comp.ratees_in[c];
    return d.span.Sum([&](int e) {
      const int32_t c = comp.ratee[e];
      if (c >= 0) r[e] -= means[c];
      return r[e] * r[e] * inv_d[e];
    });
  };
  std::fill(sums.begin(), sums.end(), 0.0);
  for (int e = e0; e < e1; ++e)
    if (comp.ratee[e] >= 0) sums[comp.ratee[e]] += r[e];
  double rz = project();
  const double rz0 = rz;
  const double target = std::max(o.tolerance * o.tolerance * rz0, rounding_floor);
  SolveReport rep;
  rep.converged = rz <= target;
  for (int e = e0; e < e1; ++e) p[e] = r[e] * inv_d[e];
  while (!rep.converged && rep.iterations < o.max_iterations) {
    const double pq = ApplyRateeSystem<kWeighted>(d, p.data(), scratch.data(), q.data());
    ++rep.iterations;
    // p' T p > 0 whenever r is not yet negligible; a non-positive value
    // means rounding has taken over, and more steps cannot help.
    if (!(pq > 0.0)) break;
    const double alpha = rz / pq;
    std::fill(sums.begin(), sums.end(), 0.0);
    for (int e = e0; e < e1; ++e) {
      x[e] += alpha * p[e];
      r[e] -= alpha * q[e];
      const int32_t c = comp.ratee[e];
      if (c >= 0) sums[c] += r[e];
    }
    const double rz_next = project();
    rep.converged = rz_next <= target;
    const double beta = rz_next / rz;
    rz = rz_next;
    for (int e = e0; e < e1; ++e) p[e] = r[e] * inv_d[e] + beta * p[e];
  }
  rep.relative_change = rz0 > 0.0 ? std::sqrt(rz / rz0) : 0.0;
  return rep;
}

struct GradeRange {
  double lo = 0.0, hi = 0.0, sum = 0.0;
};

// The value of each grade in the fit: `points` when it has one per grade, else the grade.
GradeRange SetGradeValues(const RaterAdjustedOptions& o, int K, Design& d,
                          std::vector<std::string>& notes) {
  const bool use_points = !o.points.empty() && static_cast<int>(o.points.size()) == K;
  if (!o.points.empty() && !use_points) {
    notes.push_back(
        fmt::format("points has {} values but the ballots have {} grades: the fit used the grades",
                    o.points.size(), K));
  }
  double y_lo = std::numeric_limits<double>::infinity(), y_hi = -y_lo, y_sum = 0.0;
  for (int g = 0; g < K; ++g) {
    d.table.y[g] = use_points ? o.points[g] : g;
    d.table.valid[g] = 1.0;
    y_lo = std::min(y_lo, d.table.y[g]);
    y_hi = std::max(y_hi, d.table.y[g]);
    y_sum += d.table.y[g];
  }
  return {y_lo, y_hi, y_sum};
}

// The rater effects: `effect` holds the raters' summed residuals from Setup on entry and the
// centred effects on return.
template <bool kWeighted>
SolveReport SolveRaterEffects(const Design& d, const RaterRateeComponents& comp,
                              const RaterAdjustedOptions& o, const GradeRange& y, double total_w,
                              std::vector<double>& effect) {
  const size_t n = d.d_ratee.size(), R = d.d_rater.size();
  // One backfitting sweep from b = 0: b1 = rater means of y - ybar_i, and
  // the ratee levels would move by -(weighted mean of b1 over the ratee's
  // ballots). That move, D_a^-1 times the starting residual, is what the
  // solver drives to 0.
  for (size_t j = 0; j < R; ++j) effect[j] = d.d_rater[j] > 0.0 ? effect[j] / d.d_rater[j] : 0.0;
  std::vector<double> residual(n), shift(n, 0.0);
  GatherRaters<kWeighted>(d, effect.data(), residual.data());
  for (double& v : residual) v = -v;
  // An update of 16 ulps of the scale's spread on every unit of weight is
  // as small as the data can resolve.
  const double spread = std::max(y.hi - y.lo, std::max(std::abs(y.lo), std::abs(y.hi)));
  const double ulp = 16.0 * std::numeric_limits<double>::epsilon() * spread;
  const SolveReport rep =
      SolveRatees<kWeighted>(d, comp, o, total_w * ulp * ulp, std::move(residual), shift);
  // Levels ybar + shift; the rater effects that go with them,
  // b = D_b^-1 N' (y - levels) = b1 - D_b^-1 N' shift, centred per
  // component. The levels are then refitted given b (below), which
  // absorbs the centring.
  std::vector<double> correction(R);
  RaterMeans<kWeighted>(d, shift.data(), correction.data());
  for (size_t j = 0; j < R; ++j) effect[j] -= correction[j];
  CentrePerComponent(comp.rater, comp.raters_in, effect);
  return rep;
}

// Evaluees without a valid ballot score `overall`; returns how many there
// are (in every part).
int ScoreUnrated(const Span& span, const RaterRateeComponents& comp, double overall,
                 Eigen::VectorXd& score) {
  int64_t unrated = 0;
  for (int e = span.e0; e < span.e1; ++e) {
    if (comp.ratee[e] >= 0) continue;
    score[e] = overall;
    ++unrated;
  }
  return static_cast<int>(span.Count(unrated));
}

struct ResidualScale {
  double df = 0.0, sigma = 0.0;
};

// The residual degrees of freedom and standard deviation, and the standard
// errors they give. `components`, `valid`: in every part.
ResidualScale StandardErrors(const Design& d, const RaterRateeComponents& comp, int components,
                             int64_t valid, double rss, int n, Eigen::VectorXd& se) {
  const Span& span = d.span;
  int64_t rated = 0, rating = 0;
  for (int e = span.e0; e < span.e1; ++e) rated += comp.ratee[e] >= 0;
  for (size_t j = span.j0; j < span.j1; ++j) rating += comp.rater[j] >= 0;
  rated = span.Count(rated);
  rating = span.Count(rating);
  const double df = static_cast<double>(valid) - static_cast<double>(rated) -
                    static_cast<double>(rating) + components;
  const double sigma = df > 0.0 ? std::sqrt(rss / df) : 0.0;
  se = Eigen::VectorXd::Zero(n);
  for (int e = span.e0; e < span.e1; ++e)
    if (comp.ratee[e] >= 0) se[e] = sigma / std::sqrt(d.d_ratee[e]);
  return {df, sigma};
}

void AddFitNotes(int components, int unrated, double overall, const SolveReport& rep,
                 double tolerance, double df, std::vector<std::string>& notes) {
  if (components > 1) {
    notes.push_back(fmt::format(
        "{} components; scores compare only within a component except through their means "
        "(the evaluees share no chain of raters, so each component's average rater is taken "
        "as neutral)",
        components));
  }
  if (unrated > 0) {
    notes.push_back(fmt::format(
        "{} evaluee(s) had no valid vote and scored the overall mean {:.6g}", unrated, overall));
  }
  if (!rep.converged) {
    notes.push_back(fmt::format(
        "did not converge: relative change {:.3g} > tolerance {:.3g} after {} iteration(s)",
        rep.relative_change, tolerance, rep.iterations));
  }
  if (components > 0 && df <= 0.0)
    notes.push_back("no residual degrees of freedom: standard errors set to 0");
}

class RaterAdjusted : public Model {
 public:
  explicit RaterAdjusted(RaterAdjustedOptions o) : o_(std::move(o)) {}

  ScoreResult Score(const ModelInput& input) const override {
    const RatingBallots& b = *input.ratings;
    return b.Weighted() ? Fit<true>(b, SpanOf(input)) : Fit<false>(b, SpanOf(input));
  }

 private:
  template <bool kWeighted>
  ScoreResult Fit(const RatingBallots& b, const Span& span) const {
    const int n = b.NumRatees(), K = b.levels;
    const size_t R = b.num_raters;
    ScoreResult res;

    Design d;
    d.b = &b;
    d.span = span;
    const GradeRange y = SetGradeValues(o_, K, d, res.notes);
    d.d_ratee.assign(n, 0.0);
    d.d_rater.assign(R, 0.0);

    // Every component lies within one part (a part's raters rate no one
    // else): the parts' counts add up.
    const RaterRateeComponents comp = ConnectedComponents(b);
    const int components = static_cast<int>(span.Count(comp.count));
    std::vector<double> ratee_mean(n, 0.0), effect(R, 0.0);
    Setup<kWeighted>(comp, d, ratee_mean, effect);
    const int64_t valid = span.Count(static_cast<int64_t>(d.rater_ratee.size()));

    const std::vector<double> totals = span.job->ChainSum({0.0, 0.0}, [&](std::vector<double>& v) {
      double total_w = v[0], total_wy = v[1];
      for (int e = span.e0; e < span.e1; ++e) {
        total_w += d.d_ratee[e];
        total_wy += d.d_ratee[e] * ratee_mean[e];
      }
      v = {total_w, total_wy};
    });
    const double total_w = totals[0], total_wy = totals[1];
    const SolveReport rep = SolveRaterEffects<kWeighted>(d, comp, o_, y, total_w, effect);

    res.score = Eigen::VectorXd::Zero(n);
    const double rss = FitRatees<kWeighted>(d, effect, ratee_mean, res.score);

    // Evaluees without a valid ballot: the overall mean.
    const double overall = total_w > 0.0 ? total_wy / total_w : (K > 0 ? y.sum / K : 0.0);
    const int unrated = ScoreUnrated(span, comp, overall, res.score);

    const ResidualScale scale = StandardErrors(d, comp, components, valid, rss, n, res.se);
    AddFitNotes(components, unrated, overall, rep, o_.tolerance, scale.df, res.notes);

    res.rater_values.emplace_back(
        "effect", Eigen::Map<const Eigen::VectorXd>(effect.data(), static_cast<Eigen::Index>(R)));
    res.parameters = {
        {"iterations", rep.iterations},
        {"converged", rep.converged ? 1.0 : 0.0},
        {"relative_change", rep.relative_change},
        {"components", components},
        {"unrated_ratees", unrated},
        {"sigma_e", scale.sigma},
        {"df", scale.df},
    };
    return res;
  }

  RaterAdjustedOptions o_;
};

}  // namespace

ModelSpec RaterAdjustedSpec() {
  ModelSpec spec;
  spec.name = "rater_adjusted";
  spec.summary =
      "additive two-way least squares y = mu + ratee + rater + e; score = mu + ratee effect, "
      "adjusted for each rater's leniency";
  spec.params = {
      PointsParam("absent (fit the grades 0..K-1)",
                  "when given, the fit uses these points of each grade, lowest grade first"),
      NumberParam("tolerance", 1e-10, Above(0.0),
                  "stop when the change one more backfitting sweep would make, relative to the "
                  "first, is below this"),
      IntegerParam("max_iterations", 1000, AtLeast(1),
                   "most conjugate-gradient iterations (each reads the ballots twice)"),
  };
  // Rater-major copy of the valid ballots (ratee id), rater offsets,
  // diagonal and conjugate-gradient vectors, per-rater outputs (effect).
  spec.memory = [](int, int) { return FitMemory{4, 8 * 9, 8 * 8, 1}; };
  spec.fits_parts = true;
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    RaterAdjustedOptions o;
    const bool has_points = in.Has("points");
    std::vector<double> points = ReadPoints(in);
    if (has_points) o.points = std::move(points);
    o.tolerance = in.Double("tolerance");
    o.max_iterations = in.Int("max_iterations");
    return std::make_unique<RaterAdjusted>(std::move(o));
  };
  return spec;
}

}  // namespace evalsim
