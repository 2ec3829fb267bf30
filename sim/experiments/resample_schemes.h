// The resampling schemes of sim/experiments/resample.h that rewrite more
// than rater counts: the smoothed scheme's prior raters and the parametric
// scheme's grades. Internal to resample.cc (and its tests); see resample.h
// for the definitions.
#ifndef EVALSIM_SIM_EXPERIMENTS_RESAMPLE_SCHEMES_H_
#define EVALSIM_SIM_EXPERIMENTS_RESAMPLE_SCHEMES_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "models/model.h"
#include "sim/core/ballots.h"
#include "sim/experiments/resample.h"

namespace evalsim::resample_detail {

// The smoothed scheme's ballots: the original ones, then in every (evaluee,
// group) slot that holds a valid ballot, K pseudo-ballots of its stratum's
// prior rater (rater id first_prior + stratum), one per grade, all of
// weight 0 until a resample draws that prior rater.
struct Smoothing {
  RatingBallots ballots;
  std::vector<uint64_t> prior;  // per slot: index of its grade-0 pseudo-ballot, or kNone
  std::vector<std::vector<double>> cumulative;  // per group: cumulative pooled grade shares
  uint32_t first_prior = 0;
  static constexpr uint64_t kNone = ~uint64_t{0};
};

// The smoothed ballots of `b`, whose strata `resampler` holds.
Smoothing MakeSmoothing(const RatingBallots& b, const RaterResampler& resampler);

// The smoothed scheme's counts (size of the smoothed ballots' raters) and
// weights of resample `s` (below in resample_schemes.cc).
void SmoothedWeights(const RaterResampler& resampler, const Smoothing& sm, uint64_t seed, int64_t s,
                     std::vector<uint32_t>* counts, std::vector<float>* weight);

// The parametric scheme's model, read from the full fit of a rating-scale
// model: every evaluee's ability theta, every rater's severity, the grades
// observed (the only ones the model gives a probability) and the thresholds
// tau_1..tau_{K-1}.
struct RatingScaleDraws {
  std::vector<double> theta, severity, tau;  // tau[k - 1] = tau_k
  std::vector<int> grades;                   // observed grades, ascending
};

// The rating-scale model of a full fit, or nullopt when the fit reports no
// severities or thresholds (or a threshold between observed grades is not
// finite).
std::optional<RatingScaleDraws> RatingScaleOf(const ScoreResult& fit, const RatingBallots& b);

// Rewrites `words` (a copy of original.ballot) with the grades of resample
// `s` (below in resample_schemes.cc).
void ParametricGrades(const RatingScaleDraws& m, const RatingBallots& original, uint64_t seed,
                      int64_t s, std::vector<uint32_t>* words);

}  // namespace evalsim::resample_detail

#endif  // EVALSIM_SIM_EXPERIMENTS_RESAMPLE_SCHEMES_H_
