// Multi-criteria decision analysis (MCDA) core: normalisation of an indicator
// matrix, subjective (AHP) and objective (entropy, CRITIC) weights, and
// aggregation (weighted arithmetic and geometric means, TOPSIS, grey
// relational analysis). The `composite`, `topsis` and `grey_relational` models
// and the `evalsim ahp` / `evalsim weights` commands are thin layers over it.
//
// Conventions shared by every function here
//   X        n x m matrix (n units in rows, m indicators in columns), stored
//            column-major as Eigen does; NaN marks a missing value.
//   cost     one flag per column (size m): true = cost indicator (lower is
//            better), false = benefit (higher is better). An empty vector
//            means "all benefit". It is the same convention as
//            IndicatorTable::cost.
//   weights  one non-negative weight per column (size m); they need not sum
//            to 1 (aggregators divide by the sum of the weights they use).
//            An empty vector means equal weights.
//
// Missing values (policy). Normalisation uses the present values of each
// column only (min, max, norm, mean, ranks are over present values) and
// leaves a missing cell NaN. Aggregators skip a unit's missing cells and
// renormalise that unit's weights over its present indicators (TOPSIS and grey
// relational analysis do the same inside their distances). A unit with no
// present indicator scores NaN and is reported in the notes.
//
// Every normalisation returns an "oriented" matrix: larger is better in every
// column, cost columns included. Each cost form below is documented.
//
// Size and argument errors (wrong sizes, negative weights, bad names) throw
// InputError with a message naming the argument; numerical degeneracies
// (constant columns, one unit, all-zero columns) never throw: they are handled
// as documented and described in `notes`.
#ifndef EVALSIM_MODELS_INDICATORS_MCDA_H_
#define EVALSIM_MODELS_INDICATORS_MCDA_H_

#include <Eigen/Core>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evalsim::mcda {

// Free-text remarks on degenerate input, in the order they arose.
using Notes = std::vector<std::string>;

// ---------------------------------------------------------------------------
// Directions and weights
// ---------------------------------------------------------------------------

// Checks that `cost` is empty or has `m` entries; returns it expanded to m.
std::vector<bool> ExpandDirections(const std::vector<bool>& cost, int m);

// Checks that `weights` is empty (-> equal weights 1/m) or has m finite,
// non-negative entries with a positive sum; returns them scaled to sum 1.
// Throws InputError naming `context` otherwise.
Eigen::VectorXd NormalizeWeights(const Eigen::VectorXd& weights, int m,
                                 std::string_view context = "weights");

// ---------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------

enum class Normalization {
  // minmax: benefit (x - min) / (max - min); cost (max - x) / (max - min).
  //   A constant column (max == min) becomes 1 for every unit.
  kMinMax,
  // vector (Hwang & Yoon 1981, TOPSIS): r = x / ||x||_2 over the column;
  //   cost: 1 - x / ||x||_2 (a reflection with slope -1, so TOPSIS and grey
  //   relational distances equal those of the un-reflected r with the ideal
  //   taken at the column minimum, as in Hwang & Yoon). A column whose norm is
  //   0 becomes 0 (benefit) / 1 (cost).
  kVector,
  // zscore: benefit (x - mean) / sd; cost (mean - x) / sd; sd is the sample
  //   standard deviation (divisor n - 1). A column with sd == 0 (or one present
  //   value) becomes 0.
  kZScore,
  // rank: average ranks (ties share the mean of their ranks, 1 = smallest),
  //   scaled to [0, 1] by (rank - 1) / (n_present - 1); cost uses
  //   1 - that value. One present value gives 1 (an all-tied column
  //   gets the mean rank, 0.5).
  //   Invariant to any strictly increasing transform of a column.
  kRank,
  // distance_to_best ("own / best"): benefit x / max; cost min / x. Meant for
  //   positive indicators. Non-positive values: benefit x / max is computed
  //   as is when max > 0; a cost cell x <= 0 or a column with max <= 0 is
  //   not defined and yields NaN (treated as missing) with a note.
  kDistanceToBest,
};

// Stable option value of each method: "minmax", "vector", "zscore", "rank",
// "distance_to_best".
std::string_view NormalizationName(Normalization method);

// "minmax, vector, zscore, rank, distance_to_best" (for messages).
std::string NormalizationNames();

// The method named `name`; nullopt when unknown.
std::optional<Normalization> FindNormalization(std::string_view name);

// Normalises every column of X (see the conventions above). `notes` (optional)
// receives remarks on constant or undefined columns.
Eigen::MatrixXd Normalize(const Eigen::MatrixXd& X, const std::vector<bool>& cost,
                          Normalization method, Notes* notes = nullptr);

// ---------------------------------------------------------------------------
// AHP (Saaty) weights
// ---------------------------------------------------------------------------

// Random-index tables RI(n) for the consistency ratio CR = CI / RI(n).
enum class RandomIndexTable {
  // Saaty, T. L. (1980) The Analytic Hierarchy Process, McGraw-Hill
  // (n = 1..10):
  //   0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49. Default.
  kSaaty,
  // Alonso, J. A. & Lamata, M. T. (2006) Consistency in the analytic
  // hierarchy process: a new approach. Int. J. Uncertainty, Fuzziness and
  // Knowledge-Based Systems 14(4):445-459 (n = 3..15, 100,000 random
  // matrices per n): 0.5245, 0.8815, ... 1.5838; 0 for n = 1, 2.
  kAlonsoLamata,
  // Donegan, H. A. & Dodd, F. J. (1991) A note on Saaty's random indexes.
  // Mathematical and Computer Modelling 15(10):135-137 (n = 3..20):
  //   0.4914, 0.8286, 1.0591, ... 1.5371; 0 for n = 1, 2.
  kDoneganDodd,
};

// "saaty", "alonso_lamata", "donegan_dodd".
std::string_view RandomIndexName(RandomIndexTable table);
std::string RandomIndexNames();
std::optional<RandomIndexTable> FindRandomIndexTable(std::string_view name);
// Throws InputError naming `context` and the valid names when unknown.
RandomIndexTable ParseRandomIndexTable(std::string_view name,
                                       std::string_view context = "--random-index");

// RI(n) of `table`; nullopt when the table has no entry for n.
std::optional<double> RandomIndex(int n, RandomIndexTable table = RandomIndexTable::kSaaty);

enum class AhpMethod {
  // Principal right eigenvector of A (power iteration from the row geometric
  // means, to 1e-14 relative change; Perron-Frobenius guarantees a positive
  // vector), scaled to sum 1.
  kEigenvector,
  // Row geometric means (logarithmic least squares), scaled to sum 1.
  kGeometricMean,
};
std::string_view AhpMethodName(AhpMethod method);  // "eigenvector", "geometric_mean"
std::optional<AhpMethod> FindAhpMethod(std::string_view name);

struct AhpOptions {
  AhpMethod method = AhpMethod::kEigenvector;
  RandomIndexTable random_index = RandomIndexTable::kSaaty;
  // Reciprocity tolerance of ValidatePairwiseMatrix: |a_ij * a_ji - 1| <= tol.
  double reciprocal_tolerance = 1e-3;
  // CR above this gives `warning`.
  double cr_threshold = 0.1;
};

struct AhpResult {
  Eigen::VectorXd weights;  // sum 1
  // lambda_max = mean over i of (A w)_i / w_i. For the eigenvector method
  // this is the principal eigenvalue; for the geometric-mean method it is
  // the usual estimate from that w.
  double lambda_max = 0.0;
  double ci = 0.0;            // (lambda_max - n) / (n - 1); 0 for n <= 2
  double random_index = 0.0;  // RI(n); NaN when the table has no entry for n
  double cr = 0.0;            // ci / RI(n); 0 when RI(n) == 0; NaN when no RI
  // Non-empty when CR > cr_threshold (or RI is unknown for n): a one-line
  // message quoting CR and the threshold.
  std::string warning;
  Notes notes;
};

// First problem of a pairwise comparison matrix, or nullopt when it is valid:
// not square / empty; a cell that is not finite or not > 0; a diagonal cell
// that is not 1 (within tol); a pair with |a_ij * a_ji - 1| > tol. Cells are
// named 1-based, e.g. "cell (2, 3) = 4 and cell (3, 2) = 0.5 are not
// reciprocal (product 2; tolerance 0.001)". `names` (optional, size n) adds
// the criteria names.
std::optional<std::string> CheckPairwiseMatrix(const Eigen::MatrixXd& A, double tolerance = 1e-3,
                                               const std::vector<std::string>& names = {});

// Throws InputError "<context>: <problem>" when CheckPairwiseMatrix finds one.
void ValidatePairwiseMatrix(const Eigen::MatrixXd& A, double tolerance = 1e-3,
                            std::string_view context = "AHP matrix",
                            const std::vector<std::string>& names = {});

// AHP weights and consistency of the pairwise matrix A (validated first; a
// bad matrix throws InputError). n = 1 gives weight 1, CR 0.
AhpResult Ahp(const Eigen::MatrixXd& A, const AhpOptions& options = {});

// ---------------------------------------------------------------------------
// Objective weights
// ---------------------------------------------------------------------------

enum class EntropyInput {
  // Classic form: p_ij = x_ij / sum_i x_ij on the raw values (which must be
  // >= 0; a negative value throws InputError naming row and column, 1-based).
  // Direction does not enter. Default.
  kRaw,
  // Direction-aware min-max normalisation first (benefit (x-min)/(max-min),
  // cost (max-x)/(max-min)), then p on those values plus `shift`.
  kMinMax,
  // "Own / best" first (benefit x / max, cost min / x; see
  // Normalization::kDistanceToBest), then p on those values: for benefit
  // columns this equals kRaw, for cost columns p is proportional to 1 / x
  // (the transformation of Zavadskas & Podvezko 2016, IJITDM 15(2):267-283).
  kDistanceToBest,
};
// "raw", "minmax", "distance_to_best"
std::string_view EntropyInputName(EntropyInput input);
std::optional<EntropyInput> FindEntropyInput(std::string_view name);

struct EntropyOptions {
  EntropyInput input = EntropyInput::kRaw;
  // Added to every min-max normalised value before p is formed (kMinMax only).
  // Published 熵权法 examples use 0 (with 0 ln 0 = 0) or a small shift such as
  // 1e-4 or 0.01 so that ln p is defined; the shift changes the weights
  // slightly. Default 0: zero cells contribute 0 ln 0 = 0 (the limit).
  double shift = 0.0;
};

struct WeightsResult {
  Eigen::VectorXd weights;  // size m, sum 1
  // Per-column detail: entropy e_j (entropy) or information C_j (critic).
  Eigen::VectorXd detail;
  Notes notes;
};

// Entropy weights: e_j = -(1 / ln n_j) sum_i p_ij ln p_ij over the n_j
// present values of column j, d_j = 1 - e_j, w = d / sum d.
// Degenerate cases: a column with sum 0 or a constant column has e_j = 1
// (weight 0); n_j <= 1 gives e_j = 1; when every d_j is 0 the weights are
// equal (noted).
WeightsResult EntropyWeights(const Eigen::MatrixXd& X, const std::vector<bool>& cost,
                             const EntropyOptions& options = {});

// CRITIC weights (Diakoulaki, Mavrotas & Papayannakis 1995, Computers &
// Operations Research 22(7):763-770): direction-aware min-max normalisation,
// sigma_j = sample standard deviation of column j, r_jk = Pearson correlation
// of columns j and k (over units where both are present), C_j = sigma_j *
// sum_k (1 - r_jk), w = C / sum C. A correlation involving a constant column
// is taken as 0; when every C_j is 0 the weights are equal (noted).
WeightsResult CriticWeights(const Eigen::MatrixXd& X, const std::vector<bool>& cost);

// Combined weights. Additive: alpha * subjective + (1 - alpha) * objective
// (alpha in [0, 1]); multiplicative: s_j * o_j / sum_k s_k o_k (equal weights
// with a note-free fallback when that sum is 0). Inputs are scaled to sum 1
// first. Throws InputError on size mismatch or alpha outside [0, 1].
Eigen::VectorXd CombineAdditive(const Eigen::VectorXd& subjective, const Eigen::VectorXd& objective,
                                double alpha);
Eigen::VectorXd CombineMultiplicative(const Eigen::VectorXd& subjective,
                                      const Eigen::VectorXd& objective);

// ---------------------------------------------------------------------------
// Aggregation
// ---------------------------------------------------------------------------

// Aggregators on an already normalised (oriented) matrix Z. Missing cells are
// skipped with per-unit renormalised weights (see the policy above).

// Weighted arithmetic mean: s_i = sum_j w_j z_ij / sum_j w_j.
Eigen::VectorXd WeightedArithmetic(const Eigen::MatrixXd& Z, const Eigen::VectorXd& weights,
                                   Notes* notes = nullptr);

// Weighted geometric mean: s_i = exp(sum_j w_j ln max(z_ij, epsilon) /
// sum_j w_j). Values <= epsilon (zeros from min-max normalisation, negative
// z-scores) are raised to epsilon (default 1e-6), noted once per call.
Eigen::VectorXd WeightedGeometric(const Eigen::MatrixXd& Z, const Eigen::VectorXd& weights,
                                  double epsilon = 1e-6, Notes* notes = nullptr);

// TOPSIS (Hwang & Yoon 1981, Multiple Attribute Decision Making, Springer,
// LNEMS 186): v_ij = w_j r_ij with r the chosen normalisation (vector by
// default), ideal A+_j = max_i v_ij and anti-ideal A-_j = min_i v_ij of the
// oriented values, d+_i = ||v_i - A+||_2, d-_i = ||v_i - A-||_2, closeness
// C_i = d-_i / (d+_i + d-_i). Weights are scaled to sum 1. With a missing
// cell the unit's distances use its present indicators with those weights
// rescaled to sum 1. A unit with d+ + d- = 0 (all units equal) scores 0.5
// (noted).
struct TopsisResult {
  Eigen::VectorXd closeness;  // size n, in [0, 1]
  Eigen::VectorXd d_plus;     // distance to the ideal
  Eigen::VectorXd d_minus;    // distance to the anti-ideal
  Notes notes;
};
TopsisResult Topsis(const Eigen::MatrixXd& X, const std::vector<bool>& cost,
                    const Eigen::VectorXd& weights,
                    Normalization normalization = Normalization::kVector);

// Grey relational analysis (Deng, J. L. 1989, Introduction to grey system
// theory, J. Grey System 1(1):1-24): z = normalisation of X (min-max by
// default), reference series z0_j = max_i z_ij (the best of each oriented
// column), delta_ij = |z0_j - z_ij|, global delta_min and delta_max over all
// present cells, coefficient xi_ij = (delta_min + rho delta_max) /
// (delta_ij + rho delta_max), grade g_i = sum_j w_j xi_ij / sum_j w_j over
// present cells. rho in (0, 1], default 0.5. If delta_max = 0 (every unit
// equals the reference) every xi is 1 (noted).
struct GreyRelationalResult {
  Eigen::VectorXd grade;  // size n, in (0, 1]
  Notes notes;
};
GreyRelationalResult GreyRelational(const Eigen::MatrixXd& X, const std::vector<bool>& cost,
                                    const Eigen::VectorXd& weights, double rho = 0.5,
                                    Normalization normalization = Normalization::kMinMax);

// Composite index in one pass: normalise (any method) and aggregate with the
// weighted arithmetic mean, without forming the normalised matrix for the
// column-statistics methods (minmax, vector, zscore, distance_to_best).
// Equals WeightedArithmetic(Normalize(X, cost, method), weights).
Eigen::VectorXd CompositeArithmetic(const Eigen::MatrixXd& X, const std::vector<bool>& cost,
                                    const Eigen::VectorXd& weights, Normalization method,
                                    Notes* notes = nullptr);

}  // namespace evalsim::mcda

#endif  // EVALSIM_MODELS_INDICATORS_MCDA_H_
