// schulze: the Schulze method (beatpath / widest paths), after
//   M. Schulze (2011), "A new monotonic, clone-independent, reversal
//   symmetric, and Condorcet-consistent single-winner election method",
//   Social Choice and Welfare 36(2), 267-303.
//
// d[i][j] is the weight of orders that put i above j (an order puts a listed
// candidate above every candidate it leaves unranked; ties count for
// neither). The link i -> j exists when d[i][j] > d[j][i]; its strength is
// d[i][j] ("winning votes", Schulze's default) or d[i][j] - d[j][i]
// ("margin"). p[i][j] is the strength of the strongest path from i to j (a
// path is as strong as its weakest link), computed by a Floyd-Warshall-style
// widest-path pass, O(n^3) over rows of the matrix so that the inner loop is
// a vectorised max/min of two contiguous rows. Only the order of strengths
// matters, so they are replaced by their ranks and the pass runs in single
// precision (exact while there are fewer than 2^24 distinct strengths;
// otherwise it runs in double precision).
//
// i beats j in the Schulze relation when p[i][j] > p[j][i]; the relation is
// a strict partial order (transitive: proved in Schulze 2011). score(i) = number of
// candidates i beats. If j beats i then j beats everything i beats, so
// score(j) > score(i): sorting by score is a linear extension of the
// relation and the best score is always a Schulze winner (a candidate no
// one beats). Candidates the relation leaves unordered may still get
// different scores, and equal scores are left tied (no random tie-break).
// The number of Schulze winners is the parameter `winners` (> 1 noted).
// A candidate that no order lists is noted; when the orders do not put
// unranked candidates below listed ones it has no link, beats no one and
// scores 0. With no order at all every candidate scores 0 (noted).
//
// Parameters
//   strength  "winning_votes" | "margin"  default "winning_votes"; the
//             strength of a link
#ifndef EVALSIM_MODELS_RANKINGS_SCHULZE_H_
#define EVALSIM_MODELS_RANKINGS_SCHULZE_H_

#include "models/spec.h"

namespace evalsim {

ModelSpec SchulzeSpec();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_RANKINGS_SCHULZE_H_
