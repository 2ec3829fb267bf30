// grey_relational: grey relational analysis (Deng, J. L. 1989, Introduction
// to grey system theory, The Journal of Grey System 1(1):1-24). Each
// indicator is normalised and oriented (min-max by default, so 1 is the best
// unit of each indicator); the reference series is the best normalised value
// of each indicator; with delta_ij = |z0_j - z_ij| and the global minimum and
// maximum delta over all present cells, the grey relational coefficient is
// xi_ij = (delta_min + rho delta_max) / (delta_ij + rho delta_max), and the
// score (grey relational grade) is the weighted mean of a unit's
// coefficients, in (0, 1], higher is better. The formulas are in
// models/indicators/mcda.h (mcda::GreyRelational).
//
// Parameters: as `composite` (models/indicators/composite.h) — directions, normalise
// (default "minmax"), weighting, weights, ahp, ahp_method, random_index,
// entropy, entropy_shift, objective, blend, alpha — plus
//   rho           number in (0, 1]  default 0.5; the distinguishing
//                                   coefficient (smaller spreads the
//                                   coefficients more)
// and there is no `aggregation` and no `vote`.
//
// Missing values: a unit's grade averages its present coefficients with
// renormalised weights; a unit with no present indicator gets the lowest
// score and ranks last (noted). When every unit equals the reference, every
// coefficient is 1 (noted). Output parameters: "weight.<indicator>" (and the
// AHP consistency figures with AHP weights).
#ifndef EVALSIM_MODELS_INDICATORS_GREY_RELATIONAL_H_
#define EVALSIM_MODELS_INDICATORS_GREY_RELATIONAL_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec GreyRelationalSpec();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_INDICATORS_GREY_RELATIONAL_H_
