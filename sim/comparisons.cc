#include "sim/comparisons.h"

#include <cstdio>
#include <cstdlib>

namespace evalsim {

// Placeholder bodies; the real conversions replace them.
[[noreturn]] static void Missing(const char* what) {
  std::fprintf(stderr, "evalsim: internal error: %s is not built yet\n", what);
  std::abort();
}
double PairwiseBallots::TotalWeight() const { Missing("TotalWeight"); }
void PairwiseBallots::CheckInvariants() const { Missing("CheckInvariants"); }
void AggregatePairwise(PairwiseBallots*) { Missing("AggregatePairwise"); }
double RankingBallots::NumVoters() const { Missing("NumVoters"); }
void RankingBallots::CheckInvariants() const { Missing("CheckInvariants"); }
RankingBuilder::RankingBuilder(std::vector<std::string> n) : names_(std::move(n)) {}
void RankingBuilder::Add(std::span<const uint32_t>, std::span<const uint32_t>, double) {
  Missing("RankingBuilder");
}
RankingBallots RankingBuilder::Finish() { Missing("RankingBuilder"); }
PairwiseBallots RatingsToPairwise(const RatingBallots&, TiePolicy) { Missing("RatingsToPairwise"); }
RankingBallots RatingsToRankings(const RatingBallots&) { Missing("RatingsToRankings"); }
PairwiseBallots RankingsToPairwise(const RankingBallots&, TiePolicy) {
  Missing("RankingsToPairwise");
}
Eigen::MatrixXd PairwiseMatrix(const PairwiseBallots&) { Missing("PairwiseMatrix"); }

}  // namespace evalsim
