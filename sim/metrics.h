// Accuracy and stability metrics (DESIGN.md §7). Pure functions of score
// vectors and the truth; metrics never see ballots.
//
// Conventions: a "key" vector is higher-is-better (scores, or true quality).
// Ties in keys are real ties: rank correlations use tie-corrected forms, and
// top-k sets give a tie group straddling the boundary fractional membership
// (the expected membership under a random tie-break), so every top-k set has
// total weight exactly k.
#ifndef EVALSIM_SIM_METRICS_H_
#define EVALSIM_SIM_METRICS_H_

#include <Eigen/Core>
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

// Quantile with linear interpolation (type 7, as R's default) of unsorted
// values.
double Quantile(std::vector<double> values, double p);

// Rank-interval width: for each evaluee (a row of `ranks`, one column per
// replicate), the 5 %-95 % quantile range of its rank, divided by n; returns
// the median over evaluees.
double RankIntervalWidth(const Eigen::MatrixXd& ranks);

}  // namespace evalsim

#endif  // EVALSIM_SIM_METRICS_H_
