// mixed_effects: crossed random effects for ratees and raters,
//
//   y = mu + a(ratee) + b(rater) + e,   a ~ N(0, s_a^2), b ~ N(0, s_b^2), e ~ N(0, s_e^2),
//
// where y is the grade 0..K-1, or the grade's points when `points` is given.
// The score of a ratee is its best linear unbiased predictor (BLUP) mu + a_i:
// a lenient or severe rater's ballots are corrected by the rater's predicted
// effect b_j, and an evaluee with few ballots is shrunk toward mu.
//
// Variance components: method of moments for unbalanced crossed designs in
// O(N), after
//   K. Gao and A. B. Owen (2017), "Efficient moment calculations for variance
//   components in large unbalanced crossed random effects models",
//   Electronic Journal of Statistics 11(1).
// Three U-statistics (squared differences of pairs of ballots: within a
// ratee, within a rater, over all pairs) have expectations linear in
// (s_a^2, s_b^2, s_e^2), with coefficients that need only the per-ratee and
// per-rater counts; the 3 x 3 system is solved and a negative estimate is
// truncated at 0 (noted in the output).
//
// BLUPs: given the variance components, the mixed-model equations are solved
// by backfitting (block Gauss-Seidel) in O(N) per sweep, after
//   S. Ghosh, T. Hastie and A. B. Owen (2022), "Backfitting for large scale
//   crossed random effects regressions", Annals of Statistics 50(1).
// One sweep solves exactly for (mu, a) given b, then for (mu, b) given a:
//   a_i = sum_{j in i} (y - mu - b_j) / (N_i + s_e^2 / s_a^2),
//   b_j = sum_{i in j} (y - mu - a_i) / (N_j + s_e^2 / s_b^2),
// with mu the generalised-least-squares mean of the block. Keeping mu in
// both blocks removes in one step the slow mode in which every a rises and
// every b falls by the same amount; when the ballots fall into several
// disconnected meetings, the same mode within each meeting is removed by an
// exact line search per connected component. The fit stops when the largest
// change of mu, any a_i or any b_j in a sweep is below `tolerance` times the
// fitted standard deviation sqrt(s_a^2 + s_b^2 + s_e^2), or after
// `max_iterations` sweeps (noted).
//
// Standard errors: se_i = sqrt(1 / (N_i / s_e^2 + 1 / s_a^2)), the posterior
// sd of a_i when mu and the rater effects are known. It ignores the
// uncertainty of mu, of the rater effects and of the variance components, so
// it is a lower bound of the sd of a_i - a_i_hat for ratees whose raters were
// few or rated few others.
//
// Weights: a ballot of weight w counts as w ballots of its grade. In the
// model its error variance is s_e^2 / w (the mean of w ballots), so N_i and
// N_j above are sums of weights; in the moment equations a pair of ballots
// counts with the product of their weights, and the expectations are
// derived for that heteroscedastic model, so the estimates stay unbiased.
// Zero-weight ballots and abstentions carry no information and are ignored.
//
// Designs in which a component cannot be estimated (noted in the output):
//   - no rater rated two ratees (e.g. raters attached to one evaluee): rater
//     effects cannot be told apart from error; s_b^2 = 0 and the two are
//     pooled into s_e^2 (the ratees' BLUPs are the same either way);
//   - no ratee was rated by two raters (e.g. a single rater): ratee effects
//     cannot be told apart from error, nor rater effects from ratee
//     effects; all of the variance is attributed to the ratees
//     (s_e^2 = s_b^2 = 0), so the scores are the ratees' mean values;
//   - moments that give s_e^2 = 0 next to positive s_a^2 and s_b^2 would
//     leave the BLUP undetermined: s_e^2 is raised to 1 % of s_a^2 + s_b^2.
// When every valid ballot has the same value, all components are 0 and
// every ratee scores mu with se 0. A ratee without a valid ballot scores mu
// (se = s_a); with no valid ballot at all every ratee scores the lowest
// grade's value.
//
// Parameters
//   points          [number]  default: none, y = the grade 0..K-1; else the
//                             points of each grade, lowest grade first
//   estimator       string    "moments" (the only one so far)
//   tolerance       number    default 1e-10; > 0
//   max_iterations  integer   default 1000; >= 1
//
// Output: parameters sigma_ratee, sigma_rater, sigma_error, mu, iterations;
// rater_values {"effect", b_j}.
//
// Multi-item ballots (`items = "fixed_effects"`, the default): every item
// grade is a ballot of its (rater, ratee) cell and y gets a fixed effect per
// item, y = mu + item + ratee + rater + e. The item effects are the items'
// mean values minus the mean of all item grades (least squares when every
// ballot grades every item, as on a form); the crossed model is then fitted
// on y - item. Parameters "item_effect.<item>". The overall grades are not
// used; `items = "overall"` fits only them.
#ifndef EVALSIM_MODELS_RATINGS_MIXED_EFFECTS_H_
#define EVALSIM_MODELS_RATINGS_MIXED_EFFECTS_H_

#include <Eigen/Core>
#include <span>
#include <string>
#include <vector>

#include "models/spec.h"
#include "sim/core/ballots.h"

namespace evalsim {

ModelSpec MixedEffectsSpec();

namespace internal {

// Variances (not standard deviations) of the three components.
struct VarianceComponents {
  double ratee = 0.0;
  double rater = 0.0;
  double error = 0.0;
};

// The moment equations M * (s_a^2, s_b^2, s_e^2)' = E[U] of Gao & Owen,
// weighted as described above. U sums over ordered pairs of distinct
// ballots w_k w_l (y_k - y_l)^2: U(0) over pairs of the same ratee, U(1) of
// the same rater, U(2) over all pairs. Values are taken relative to `center`
// (the weighted mean), which the sums do not depend on.
struct MomentEquations {
  Eigen::Matrix3d m = Eigen::Matrix3d::Zero();
  Eigen::Vector3d u = Eigen::Vector3d::Zero();
  double center = 0.0;        // weighted mean of the values
  double total_weight = 0.0;  // sum of the weights of valid ballots
  bool within_ratee = false;  // some ratee was rated by two distinct raters
  bool within_rater = false;  // some rater rated two distinct ratees
};

// values[g] is y for grade g. One pass over the ballots.
MomentEquations ComputeMomentEquations(const RatingBallots& ballots,
                                       std::span<const double> values);

// Solves the moment equations, handling the designs listed above; notes say
// what was truncated or pooled.
VarianceComponents SolveMomentEquations(const MomentEquations& eq, std::vector<std::string>* notes);

struct BackfitResult {
  double mu = 0.0;
  Eigen::VectorXd ratee;  // a_i (0 for ratees without a valid ballot)
  Eigen::VectorXd rater;  // b_j
  int iterations = 0;
  bool converged = false;
  double last_change = 0.0;  // relative change of the last sweep
};

// The BLUPs (and the GLS estimate of mu) for given variance components.
BackfitResult Backfit(const RatingBallots& ballots, std::span<const double> values,
                      const VarianceComponents& v, double tolerance, int max_iterations);

}  // namespace internal
}  // namespace evalsim

#endif  // EVALSIM_MODELS_RATINGS_MIXED_EFFECTS_H_
