// topsis: Technique for Order Preference by Similarity to Ideal Solution
// (Hwang, C.-L. & Yoon, K. 1981, Multiple Attribute Decision Making:
// Methods and Applications, Springer, LNEMS 186). Each indicator is
// normalised (by default the vector normalisation r_ij = x_ij / ||x_j||_2 of
// Hwang & Yoon), weighted (v_ij = w_j r_ij, weights scaled to sum 1), and
// every unit's Euclidean distances to the ideal (the best value of each
// indicator: the largest for a benefit, the smallest for a cost indicator)
// d+ and to the anti-ideal d- give the relative closeness
// C = d- / (d+ + d-) in [0, 1], the score (higher is better). The formulas
// are in models/indicators/mcda.h (mcda::Topsis).
//
// Parameters: as `composite` (models/indicators/composite.h) — directions, weighting,
// weights, ahp, ahp_method, random_index, entropy, entropy_shift, objective,
// blend, alpha — except
//   normalise     string    default "vector" (Hwang & Yoon); "minmax",
//                           "zscore", "rank", "distance_to_best" also allowed
// and there is no `aggregation` and no `vote`.
//
// Missing values: distances use a unit's present indicators, with their
// weights rescaled to sum 1; a unit with no present indicator gets the
// lowest score and ranks last (noted). When every unit is equal, every unit
// scores 0.5 (noted). Output parameters: "weight.<indicator>" (and the AHP
// consistency figures with AHP weights).
#ifndef EVALSIM_MODELS_INDICATORS_TOPSIS_H_
#define EVALSIM_MODELS_INDICATORS_TOPSIS_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec TopsisSpec();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_INDICATORS_TOPSIS_H_
