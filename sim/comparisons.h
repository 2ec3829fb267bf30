// Comparison ballots: pairwise outcomes and ranked (weak-order) ballots, and
// the documented conversions between ballot kinds.
//
// PairwiseBallots keeps both the aggregate (one entry per unordered pair that
// met, with each side's weighted wins) and, for order-dependent models such as
// Elo, the comparisons in input order. A tie is half a win for each side.
//
// RankingBallots stores unique orders with their counts (a PrefLib file's
// "count: order" lines, or the merged identical orders of many voters), in
// compressed sparse rows: order o lists positions [order_begin[o],
// order_begin[o + 1]) of `candidate`, best first, and `tier` gives each
// position's indifference class (non-decreasing from 0; equal tiers are tied).
// Candidates an order does not list are unranked: below every listed
// candidate and tied among themselves.
#ifndef EVALSIM_SIM_COMPARISONS_H_
#define EVALSIM_SIM_COMPARISONS_H_

#include <Eigen/Core>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/ballots.h"

namespace evalsim {

struct PairwiseBallots {
  std::vector<std::string> ratee_names;  // size n

  // Aggregate: pair p compares first[p] < second[p]; first_wins[p] is the
  // weighted number of times first beat second (ties count half to each).
  // Pairs are sorted by (first, second) and unique.
  std::vector<uint32_t> first, second;
  std::vector<double> first_wins, second_wins;

  // The comparisons in input order: winner beat loser with weight w (a tie
  // is two entries, one each way, weight 0.5 each). May be empty when only
  // aggregates are known; then order-dependent models use pair order.
  std::vector<uint32_t> seq_winner, seq_loser;
  std::vector<float> seq_weight;

  int NumRatees() const { return static_cast<int>(ratee_names.size()); }
  size_t NumPairs() const { return first.size(); }
  size_t NumComparisons() const { return seq_winner.size(); }
  // Total weight of all comparisons (sum of both sides' wins).
  double TotalWeight() const;
  // Aborts with a message when an invariant above is broken (programmer error).
  void CheckInvariants() const;
};

// Builds the aggregate from `seq_*` (which it keeps): sums each unordered
// pair's wins and sorts the pairs. Self-comparisons must not be present.
void AggregatePairwise(PairwiseBallots* b);

struct RankingBallots {
  std::vector<std::string> ratee_names;  // candidates, size n
  std::vector<uint64_t> order_begin{0};  // size NumOrders() + 1
  std::vector<uint32_t> candidate;       // candidate ids, best first
  std::vector<uint32_t> tier;            // indifference class of each position
  std::vector<double> count;             // voters (or weight) casting each order

  int NumRatees() const { return static_cast<int>(ratee_names.size()); }
  size_t NumOrders() const { return count.size(); }
  double NumVoters() const;
  std::span<const uint32_t> Candidates(size_t o) const {
    return {candidate.data() + order_begin[o], candidate.data() + order_begin[o + 1]};
  }
  std::span<const uint32_t> Tiers(size_t o) const {
    return {tier.data() + order_begin[o], tier.data() + order_begin[o + 1]};
  }
  void CheckInvariants() const;
};

// Collects orders and merges identical ones (same candidates, same tiers),
// keeping the order of first appearance so the result is deterministic.
class RankingBuilder {
 public:
  explicit RankingBuilder(std::vector<std::string> ratee_names);
  // `tiers` gives each listed candidate's tier (same size as `candidates`,
  // non-decreasing from 0). Empty `tiers` means a strict order.
  void Add(std::span<const uint32_t> candidates, std::span<const uint32_t> tiers, double count);
  RankingBallots Finish();

 private:
  std::vector<std::string> names_;
  std::vector<uint64_t> begin_{0};
  std::vector<uint32_t> cand_, tier_;
  std::vector<double> count_;
  // (private members are the implementation's choice)
};

// How a conversion treats two candidates one voter placed equally.
enum class TiePolicy {
  kSplit,  // half a win each way
  kDrop,   // no comparison
};

// Ratings -> within-rater comparisons: for every rater and every two ratees
// the rater graded (abstentions skipped), the higher grade wins; equal grades
// follow `ties`. Comparisons are listed rater by rater (raters in id order,
// pairs in ratee order), each of weight 1 (ballot weights are ignored).
PairwiseBallots RatingsToPairwise(const RatingBallots& r, TiePolicy ties);

// Ratings -> one weak order per rater over the ratees it graded (higher
// grade first, equal grades tied; abstentions unranked), identical orders
// merged. Raters with no valid grade cast no order.
RankingBallots RatingsToRankings(const RatingBallots& r);

// Rankings -> pairwise: within each order, a listed candidate beats every
// lower-tier listed candidate and every unranked one; equal tiers follow
// `ties`; two unranked candidates are not compared. Weights are the orders'
// counts. The sequence lists orders in storage order.
PairwiseBallots RankingsToPairwise(const RankingBallots& r, TiePolicy ties);

// Dense n x n matrix N with N(i, j) = weighted wins of i over j.
Eigen::MatrixXd PairwiseMatrix(const PairwiseBallots& b);

}  // namespace evalsim

#endif  // EVALSIM_SIM_COMPARISONS_H_
