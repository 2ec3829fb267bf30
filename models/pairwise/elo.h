// elo: sequential Elo ratings. Every rating starts at `initial`; for each
// comparison "winner beat loser with weight w", in input order,
//   E = 1 / (1 + 10^((r_loser - r_winner) / scale)),
//   r_winner += k * w * (1 - E),   r_loser -= k * w * (1 - E).
// A tie arrives as two comparisons of weight 0.5, one each way, applied one
// after the other (so it is close to, not exactly, a drawn game). The score
// is the final rating. The result depends on the order of the comparisons:
// with `shuffle` = s > 0 the score is the mean of the final ratings over s
// random permutations of the sequence (permutation r drawn from
// DeriveSeed(seed, {model stream, r}), so it is reproducible), instead of
// the input order.
//
// When the ballots carry only the aggregate (no sequence), each pair is one
// game in pair order (sorted by (first, second)): first's result is the
// fractional share s = first_wins / (first_wins + second_wins), and the
// update r_first += k * W * (s - E), r_second -= the same, with W the pair's
// total weight (as if its W unit games were played at once against the
// ratings before the pair). This is noted in the output.
//
// Parameters
//   k        number > 0        default 32; the K-factor
//   initial  number            default 1500; every starting rating
//   scale    number > 0        default 400; logistic scale (rating points
//                              for 10:1 odds)
//   shuffle  integer >= 0      default 0; permutations averaged (0 = input
//                              order only)
//   seed     integer >= 0      default 0; seed of the permutations
//
// Candidates in no comparison keep `initial` (noted).
#ifndef EVALSIM_MODELS_PAIRWISE_ELO_H_
#define EVALSIM_MODELS_PAIRWISE_ELO_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec EloSpec();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_PAIRWISE_ELO_H_
