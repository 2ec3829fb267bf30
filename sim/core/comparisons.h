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
#ifndef EVALSIM_SIM_CORE_COMPARISONS_H_
#define EVALSIM_SIM_CORE_COMPARISONS_H_

#include <Eigen/Core>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/core/ballots.h"

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
// A pair whose comparisons all weigh 0 is left out of the aggregate.
void AggregatePairwise(PairwiseBallots* b);

struct RankingBallots {
  std::vector<std::string> ratee_names;  // candidates, size n
  std::vector<uint64_t> order_begin{0};  // size NumOrders() + 1
  std::vector<uint32_t> candidate;       // candidate ids, best first
  std::vector<uint32_t> tier;            // indifference class of each position
  std::vector<double> count;             // voters (or weight) casting each order
  // What an order says of the candidates it does not list. True (PrefLib's
  // truncated ballots): the voter put them below every listed candidate.
  // False (orders a rater formed over the evaluees it saw, e.g. converted
  // from ratings or generated per meeting): nothing; they are not compared.
  bool unranked_below = true;

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
// Orders are stored in canonical form: tiers renumbered 0, 1, 2, ... without
// gaps, and the candidates of one tier sorted by id, so {b,a} and {a,b} are
// the same order. Counts of merged orders add up. Out-of-range or repeated
// candidates, decreasing tiers and negative counts are programmer errors
// (abort). Call Finish() once.
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
  // Identical orders are found by hashing their canonical form: the first
  // order with each hash, and for every order the next one with the same
  // hash (kNone ends a chain).
  static constexpr uint32_t kNone = ~uint32_t{0};
  std::unordered_map<uint64_t, uint32_t> first_with_hash_;
  std::vector<uint32_t> next_with_hash_;
  // The order being added, in canonical form (scratch).
  std::vector<uint32_t> key_cand_, key_tier_;
  // seen_[c] == stamp_ when candidate c is already in the order being added.
  std::vector<uint32_t> seen_;
  uint32_t stamp_ = 0;
};

// The conversions below refuse (InputError) to build a sequence of more
// comparisons than this (12 bytes each: about 13 GB).
inline constexpr uint64_t kMaxComparisons = uint64_t{1} << 30;

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

#endif  // EVALSIM_SIM_CORE_COMPARISONS_H_
