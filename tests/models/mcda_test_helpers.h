// Helpers of the MCDA tests that the models do not use: parsing of
// direction and normalisation names, mean imputation, and hierarchical AHP
// weights and synthesis.
#ifndef EVALSIM_TESTS_MODELS_MCDA_TEST_HELPERS_H_
#define EVALSIM_TESTS_MODELS_MCDA_TEST_HELPERS_H_

#include <fmt/format.h>

#include <Eigen/Core>
#include <cmath>
#include <string_view>
#include <vector>

#include "models/indicators/mcda.h"
#include "sim/core/errors.h"

namespace evalsim::mcda {

// "benefit" -> false, "cost" -> true; anything else throws InputError naming
// `context` (e.g. "option 'directions'") and the valid names.

inline bool ParseDirection(std::string_view name, std::string_view context = "direction") {
  if (name == "benefit") return false;
  if (name == "cost") return true;
  throw InputError(
      fmt::format("{}: unknown direction \"{}\"; expected benefit or cost", context, name));
}

// As FindNormalization, but throws InputError "<context>: unknown
// normalisation "x"; expected one of minmax, vector, ..." when unknown.

inline Normalization ParseNormalization(std::string_view name,
                                        std::string_view context = "option 'normalization'") {
  if (auto m = FindNormalization(name)) return *m;
  throw InputError(fmt::format("{}: unknown normalisation \"{}\"; expected one of {}", context,
                               name, NormalizationNames()));
}

// Replaces each NaN by the mean of the present values of its column (a column
// with no present value becomes 0). Returns the number of cells replaced.

inline long ImputeColumnMean(Eigen::MatrixXd& Z) {
  long replaced = 0;
  for (Eigen::Index j = 0; j < Z.cols(); ++j) {
    double sum = 0.0;
    long count = 0;
    for (Eigen::Index i = 0; i < Z.rows(); ++i) {
      if (std::isnan(Z(i, j))) continue;
      sum += Z(i, j);
      ++count;
    }
    const double mean = count > 0 ? sum / static_cast<double>(count) : 0.0;
    for (Eigen::Index i = 0; i < Z.rows(); ++i) {
      if (std::isnan(Z(i, j))) {
        Z(i, j) = mean;
        ++replaced;
      }
    }
  }
  return replaced;
}

// Hierarchical AHP: global weight of sub-criterion k of criterion c is
// criteria[c] * local[c][k] (each local vector is scaled to sum 1 first).
// Returns the concatenation in criterion order; sums to 1 when `criteria`
// does. Throws InputError when sizes disagree or a weight is negative.
inline Eigen::VectorXd HierarchicalWeights(const Eigen::VectorXd& criteria,
                                           const std::vector<Eigen::VectorXd>& local) {
  if (static_cast<Eigen::Index>(local.size()) != criteria.size()) {
    throw InputError(fmt::format("hierarchical weights: {} criteria but {} local weight vectors",
                                 criteria.size(), local.size()));
  }
  Eigen::Index total = 0;
  for (Eigen::Index c = 0; c < criteria.size(); ++c) {
    if (!(criteria[c] >= 0.0)) {
      throw InputError(fmt::format(
          "hierarchical weights: criterion {} has weight {}; expected >= 0", c + 1, criteria[c]));
    }
    const Eigen::VectorXd& l = local[static_cast<size_t>(c)];
    if (l.size() == 0 || (l.array() < 0.0).any() || !l.allFinite() || !(l.sum() > 0.0)) {
      throw InputError(fmt::format(
          "hierarchical weights: local weights of criterion {} must be non-empty, >= 0 and not "
          "all 0",
          c + 1));
    }
    total += l.size();
  }
  Eigen::VectorXd global(total);
  Eigen::Index at = 0;
  for (Eigen::Index c = 0; c < criteria.size(); ++c) {
    const Eigen::VectorXd& l = local[static_cast<size_t>(c)];
    global.segment(at, l.size()) = criteria[c] * (l / l.sum());
    at += l.size();
  }
  return global;
}

// AHP synthesis of alternatives: column c of `local` holds the local priorities
// of the alternatives under criterion c (scaled to sum 1 first); the result is
// sum_c criteria[c] * local(:, c). Throws InputError when sizes disagree or a
// column is negative or all 0.
inline Eigen::VectorXd SynthesizeAlternatives(const Eigen::VectorXd& criteria,
                                              const Eigen::MatrixXd& local) {
  if (local.cols() != criteria.size()) {
    throw InputError(fmt::format("AHP synthesis: {} criteria but {} columns of local priorities",
                                 criteria.size(), local.cols()));
  }
  Eigen::VectorXd out = Eigen::VectorXd::Zero(local.rows());
  for (Eigen::Index c = 0; c < local.cols(); ++c) {
    const double s = local.col(c).sum();
    if (!(s > 0.0) || (local.col(c).array() < 0.0).any()) {
      throw InputError(fmt::format(
          "AHP synthesis: local priorities under criterion {} must be >= 0 and not all 0", c + 1));
    }
    out += criteria[c] * local.col(c) / s;
  }
  return out;
}

}  // namespace evalsim::mcda

#endif  // EVALSIM_TESTS_MODELS_MCDA_TEST_HELPERS_H_
