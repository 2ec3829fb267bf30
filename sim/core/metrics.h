// Accuracy and stability metrics (README "Metrics"). Pure functions of score
// vectors and the truth; metrics never see ballots.
//
// Conventions: a "key" vector is higher-is-better (scores, or true quality).
// Ties in keys are real ties: rank correlations use tie-corrected forms, and
// top-k sets give a tie group straddling the boundary fractional membership
// (the expected membership under a random tie-break), so every top-k set has
// total weight exactly k.
#ifndef EVALSIM_SIM_CORE_METRICS_H_
#define EVALSIM_SIM_CORE_METRICS_H_

#include <Eigen/Core>
#include <cstdint>
#include <span>
#include <vector>

namespace evalsim {

// Competition ranks ("1224"): 1 = best; ties (equal key and equal tiebreak)
// share the smaller rank. `tiebreak` may be empty.
std::vector<int> CompetitionRanks(const Eigen::VectorXd& key, const Eigen::VectorXd& tiebreak);

// A single higher-is-better key that orders like (key, tiebreak):
// -competition rank. Equal to `key` itself when tiebreak is empty.
Eigen::VectorXd OrderKey(const Eigen::VectorXd& key, const Eigen::VectorXd& tiebreak);
// The same from competition ranks already computed on (key, tiebreak).
Eigen::VectorXd OrderKey(const Eigen::VectorXd& key, const Eigen::VectorXd& tiebreak,
                         const std::vector<int>& rank);

// One argsort of a (key, tiebreak) pair, reused by every per-model metric
// (ranks, average ranks, top-k, bottom-k, Kendall's tau) so that each model
// costs one sort. `order` lists elements best first: higher key, then higher
// tiebreak, NaN below every number, equal pairs in index order. Tie groups
// (equal key and equal tiebreak) are order[group_start[g] ..
// group_start[g + 1]); group_start ends with n. `last_group_nan` is true when
// there is no tiebreak and the last group's key is NaN.
struct KeyOrder {
  std::vector<int> order;
  std::vector<int> group_start;
  bool last_group_nan = false;
  int size() const { return static_cast<int>(order.size()); }
  int groups() const { return static_cast<int>(group_start.size()) - 1; }
};
KeyOrder SortKey(const Eigen::VectorXd& key, const Eigen::VectorXd& tiebreak);

// The same values as the vector forms below, applied to OrderKey(key,
// tiebreak) of the sorted pair; bit for bit equal to them.
std::vector<int> CompetitionRanks(const KeyOrder& o);
Eigen::VectorXd AverageRanks(const KeyOrder& o);
Eigen::VectorXd TopKMembership(const KeyOrder& o, int k);
Eigen::VectorXd BottomKMembership(const KeyOrder& o, int k);
// SpearmanAgainstRanks(OrderKey(key, tiebreak), y_ranks).
double SpearmanAgainstRanks(const KeyOrder& x, const Eigen::VectorXd& y_ranks);

// What Kendall's tau-b needs from the fixed side (the truth), computed once:
// the elements in ascending order of y (then index), each element's dense
// rank of y (0 = lowest, NaN lowest) and the number of pairs tied in y.
struct TauReference {
  std::vector<int> order;
  std::vector<int> dense;
  int64_t tied_pairs = 0;
};
TauReference MakeTauReference(const Eigen::VectorXd& y);
// KendallTauB(OrderKey(key, tiebreak), y) from the sorted pair: a counting
// sort and a merge of the tie groups instead of two full sorts.
double KendallTauB(const KeyOrder& x, const TauReference& y);

// TopKPrecision of two vectors that already are top-k memberships with the
// same k (TopKMembership maps those to themselves): the same value without
// recomputing them.
double MembershipOverlap(const Eigen::VectorXd& model_top, const Eigen::VectorXd& true_top, int k);

// Type 7 quantile of values already sorted ascending (NaN first); Quantile(v, p) equals
// SortedQuantile(sorted v, p).
double SortedQuantile(const std::vector<double>& sorted, double p);

// Average ranks (ascending, 1-based; ties get the mean of their positions).
Eigen::VectorXd AverageRanks(const Eigen::VectorXd& x);

// Spearman's rho: Pearson correlation of average ranks. 0 when either side
// is constant.
double Spearman(const Eigen::VectorXd& x, const Eigen::VectorXd& y);
// The same with y already given as AverageRanks(y), for many x against one y.
double SpearmanAgainstRanks(const Eigen::VectorXd& x, const Eigen::VectorXd& y_ranks);

// Kendall's tau-b in O(n log n) (Knight 1966), ties in either vector handled.
// 0 when either side is constant.
double KendallTauB(const Eigen::VectorXd& x, const Eigen::VectorXd& y);

// Top-k membership in [0,1] per element (sum exactly k, k clamped to [0,n]).
Eigen::VectorXd TopKMembership(const Eigen::VectorXd& key, int k);
// Bottom-k membership (the k lowest keys), same tie rule.
Eigen::VectorXd BottomKMembership(const Eigen::VectorXd& key, int k);

// sum_i min(a_i, b_i) / k: the overlap of two top-k memberships over k.
double TopKPrecision(const Eigen::VectorXd& model, const Eigen::VectorXd& truth, int k);

// Weighted Jaccard: sum min / sum max (1 when both are all zero).
double WeightedJaccard(const Eigen::VectorXd& a, const Eigen::VectorXd& b);

// k = ceil(share * n), at least 1 when n > 0 and share > 0, at most n.
int QuotaCount(double share, int n);

// Mean with a 95 % normal interval (mean +- 1.96 sd / sqrt(m)); lo = hi =
// mean when fewer than two values.
struct Interval {
  double value = 0.0, lo = 0.0, hi = 0.0;
};
Interval MeanInterval(std::span<const double> values);

// Which of several models' values of one higher-is-better metric are best,
// and which are within noise of the best: the best are those with the
// highest value (NaN never is); another model is within noise when its
// interval reaches the best one's lower end (hi >= lo of the first best). A
// model without a value or an interval (NaN hi) is neither.
enum class NoiseTier { kNone, kClose, kBest };
std::vector<NoiseTier> NoiseTiers(std::span<const double> value, std::span<const double> lo,
                                  std::span<const double> hi);

// Quantile with linear interpolation (type 7, as R's default) of unsorted
// values.
double Quantile(std::vector<double> values, double p);

// Rank-interval width: for each evaluee (a row of `ranks`, one column per
// replicate), the 5 %-95 % quantile range of its rank, divided by n; returns
// the median over evaluees.
double RankIntervalWidth(const Eigen::MatrixXd& ranks);

}  // namespace evalsim

#endif  // EVALSIM_SIM_CORE_METRICS_H_
