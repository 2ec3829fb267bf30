// approval (好评率): the share of an evaluee's valid votes that fall in the top
// `top` grades, computed within each rater group and then combined across
// groups by group weight exactly as weighted_mean combines group means
// (groups with no valid vote for an evaluee drop out and the remaining
// weights are renormalised).
//
// Parameters
//   top            integer in [1, K]  default 1; how many grades from the top
//                                     count as approval (1 = share of 好,
//                                     2 = share of 好 + 较好)
//   group_weights  {group = number}   default: the rater groups' `weight`
//                                     (equal for ballot files without groups)
//
// Tie-break: the share of the grade just below the top `top` grades, combined
// across groups in the same way (the classic 好-share rule breaks ties by the
// number of 较好 votes). It is left empty when top = K, as there is no grade
// below.
//
// Abstentions are excluded from every denominator. An evaluee with no valid
// vote scores 0, tie-break 0 (noted in the output); so does one whose valid
// votes all come from rater groups of weight 0 (noted separately), e.g. when
// every rater is in a group the weights leave out.
#ifndef EVALSIM_MODELS_RATINGS_APPROVAL_H_
#define EVALSIM_MODELS_RATINGS_APPROVAL_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec ApprovalSpec();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_RATINGS_APPROVAL_H_
