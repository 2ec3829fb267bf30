// ruian_points: the 瑞安 1,000-point assessment of town leaders (瑞委〔2012〕6号,
// published at http://wzdkw.gov.cn/system/2012/05/28/011038209_05.shtml), in
// points, with its three parts as the document writes them:
//
//   key projects   project_points x own / best: the unit's key-project score
//                  divided by the best unit's (600 for the main leaders; the
//                  same document gives 500 for other leaders);
//   leader ranking every leader of the leader groups ranks the units it
//                  graded; rank 1 earns leader_points and each rank lower
//                  loses leader_step of it ("第一名得基本分200分,名次每降低1位减
//                  基本分2%": 200, 196, 192, ...; never below 0); a unit gets
//                  the mean over the leaders who graded it;
//   democratic vote points by bands of the share of the top grade (优秀得票率)
//                  among the valid votes of the vote groups: >= 90 % -> 200,
//                  >= 80 % -> 190, >= 70 % -> 180, >= 60 % -> 170, else 160,
//                  or 130 when the lowest two grades (基本称职 + 不称职) reach
//                  1/3 of the votes.
//
// score = key projects + leader ranking + vote (at most 1,000 with the
// defaults).
//
// Parameters
//   projects        [string]  default: every indicator; the indicator columns
//                             of the key-project score. Each is scored own /
//                             best (models/indicators/mcda.h distance_to_best:
//                             benefit x / max, cost min / x) and a unit's
//                             score is the mean over its present ones
//   project_points  number    default 600
//   leader_groups   [string]  default: the first rater group; whose grades
//                             are read as the leaders' rankings
//   leader_points   number    default 200: the points of rank 1
//   leader_step     number    default 0.02: the share of leader_points lost
//                             per rank
//   leader_ties     string    default "average": a leader who gave several
//                             units the same grade ranks them at the mean of
//                             the places they share (the expected points of a
//                             random order among them); "best": all at the
//                             best of those places (名次并列)
//   vote_groups     [string]  default: every rater group (pooled, unweighted)
//   vote_by         string    default "share": the bands apply to the top-
//                             grade share itself (the document's rule);
//                             "rank" (not in the document, an assumption):
//                             the bands apply to the unit's standing among the
//                             units with votes, so that band i holds the best
//                             ceil((1 - vote_shares[i]) x n) units (with the
//                             defaults the best 10 % get 200, the next 10 %
//                             190, ...); the 130 rule still reads the share
//                             of the lowest grades
//   vote_shares     [number]  default [0.9, 0.8, 0.7, 0.6]: the band edges,
//                             strictly decreasing in [0, 1]; a share at an edge
//                             (within 1e-12) is in the band above it
//   vote_points     [number]  default [200, 190, 180, 170, 160, 130]: one per
//                             band, then the points below the last edge, then
//                             the points when the lowest grades reach
//                             vote_low_share (so two more than vote_shares)
//   vote_low_share  number    default 1/3 (0.3333333333333333)
//   vote_low_grades integer   default 2: how many of the lowest grades the
//                             130 rule counts (at most K - 1)
//
// Abstentions never count. Ballot weights weigh the vote counts and the
// leaders' points (a weight-0 ballot is ignored). A unit with no present
// key-project value gets 0 project points, one that no leader graded 0
// leader points, and one with no valid vote 0 vote points (each noted).
// Without rating ballots (a plain indicators file) the score is the
// key-project part alone (noted).
#ifndef EVALSIM_MODELS_INDICATORS_RUIAN_POINTS_H_
#define EVALSIM_MODELS_INDICATORS_RUIAN_POINTS_H_

#include <Eigen/Core>
#include <string>
#include <vector>

#include "models/spec.h"

namespace evalsim {

ModelSpec RuianPointsSpec();

// The leader-ranking points a unit earns for rank `rank` (1 = best) among
// the units one leader graded: points x (1 - step x (rank - 1)), at least 0.
double LeaderRankPoints(double points, double step, double rank);

// The vote bands: `edges` strictly decreasing, `points` of size edges + 2.
struct VoteBands {
  std::vector<double> edges{0.9, 0.8, 0.7, 0.6};
  std::vector<double> points{200, 190, 180, 170, 160, 130};
  double low_share = 1.0 / 3.0;

  // The band of a top-grade share: the first edge it reaches (within
  // 1e-12), or edges.size() below the last edge.
  int ShareBand(double top_share) const;
  // The band of the unit ranked `rank` (1 = best) of n: the first band i
  // whose cumulative count ceil((1 - edges[i]) x n) reaches the rank.
  int RankBand(int rank, int n) const;
  // The points of a band; below the last edge, points[last] when the share
  // of the lowest grades reaches low_share (within 1e-12), else
  // points[last - 1].
  double Points(int band, double low_grades_share) const;
};

}  // namespace evalsim

#endif  // EVALSIM_MODELS_INDICATORS_RUIAN_POINTS_H_
