// What multi-item ballots say about the raters (RatingBallots with items):
//
//   within_rater_correlation: halo. For each pair of items (a, b), the
//     correlation of the two items' grades over the (rater, ratee) cells
//     that graded both, after taking off each rater's own mean grade on
//     each item (so a rater's leniency does not count); averaged over the
//     pairs of items. It holds the true correlation of the items (their
//     `loading`s) plus the halo.
//   cronbach_alpha: the internal consistency of the item set,
//     alpha = I / (I - 1) * (1 - sum_m var(x_m) / var(sum_m x_m)),
//     over the cells that graded every item (x_m = the grade of item m).
//
// NaN where there is too little to compute (fewer than two items or cells).
#ifndef EVALSIM_SIM_CORE_ITEM_METRICS_H_
#define EVALSIM_SIM_CORE_ITEM_METRICS_H_

#include "sim/core/ballots.h"

namespace evalsim {

struct ItemMetrics {
  double within_rater_correlation;
  double cronbach_alpha;
};

ItemMetrics ComputeItemMetrics(const RatingBallots& b);

}  // namespace evalsim

#endif  // EVALSIM_SIM_CORE_ITEM_METRICS_H_
