// Fairness breakdowns: how a model's errors fall on different kinds of
// evaluee. Is a truly average small unit more likely to land in the bottom
// tranche than a truly average large one? Does a rubric treat streets and
// towns alike when their raters grade differently?
//
// The evaluees are split into strata along a few dimensions, each stratum a
// fixed set of evaluees for the whole run:
//   all            one stratum, the whole organisation;
//   size           valid (non-blank) ballots the evaluee received, averaged
//                  over replicates, in at most 5 quantile bins labelled by
//                  their range ("5-8", "9-12");
//   type           the evaluee's type (scenarios with [[organisation.types]]);
//   share.<group>  for every rater group whose share of an evaluee's valid
//                  ballots (summed over replicates) varies across evaluees:
//                  tercile bins "low (0.00-0.20)", "mid (...)", "high (...)".
// Quantile bins never split evaluees with equal values: a bin boundary that
// falls inside a run of equal values moves to the nearer end of the run
// (the lower end on a tie), so bins merge when values tie and there may be
// fewer bins than asked for. The bins are cut on the values as their labels
// show them (size in whole ballots, shares to two decimals), so evaluees
// whose values print the same share a stratum and no two strata share an
// edge; a size or share dimension that this leaves with one stratum is left
// out (the manifest's fairness.notes says so): it would chart rounding as an
// effect.
//
// Per model, dimension and stratum, four metrics, each a mean over the
// stratum's (evaluee, replicate) pairs, so that the stratum-size-weighted
// mean of a dimension's strata is the `all` value exactly:
//   rank_error           |model rank - true rank| / n. The true rank is the
//                        mid-rank of true quality (1 = best). A model's tie
//                        group of t evaluees at competition rank p occupies
//                        positions p .. p + t - 1, and its members get the
//                        mean of |position - true rank| over them: the
//                        expected error under a random tie-break (the rule
//                        TopKMembership uses for a tie group straddling the
//                        boundary). Without ties it is |rank - true rank|.
//   class_error          0.5 (|top - true top| + |bottom - true bottom| +
//                        |middle - true middle|), with the fractional top-k
//                        and bottom-k memberships of sim/core/metrics.h (k_top =
//                        ceil(quota n), k_bottom = ceil(bottom n)) and
//                        middle = 1 - top - bottom: the share of the evaluee
//                        that sits in the wrong one of top / middle / bottom.
//                        (When k_top + k_bottom > n the top and bottom sets
//                        overlap, the three are no partition, and the value
//                        can exceed 1.)
//   p_bottom_if_average  mean bottom-k membership of the stratum's truly
//   p_top_if_average     average evaluees (true quality between the 40th and
//                        60th percentiles, type-7 quantiles, both ends
//                        included); mean top-k membership of the same.
//   rank_bias            (model rank - true rank) / n, signed, with the tie
//                        group's mean position as the model rank: > 0 when
//                        the stratum is ranked below what its quality
//                        deserves (punished), < 0 when above. Positions and
//                        true ranks have the same sum, so the `all` value is
//                        0 (up to rounding) and the strata of a dimension
//                        balance each other.
// A row's `base` is the denominator: evaluees x replicates, or truly average
// evaluees x replicates; a stratum without any truly average evaluee has
// base 0 and no value (NaN, an empty field in fairness.csv). So for every
// model, dimension and metric,
//   sum over strata of value * base / sum over strata of base = the `all` value.
//
// These are pure functions of per-replicate ranks and memberships, the
// truth and per-evaluee strata: they never see ballots (the runner counts
// the valid ballots and passes the counts in). The work is O(n) per model
// and replicate plus O(n log n) for the strata.
#ifndef EVALSIM_SIM_RUN_FAIRNESS_H_
#define EVALSIM_SIM_RUN_FAIRNESS_H_

#include <Eigen/Core>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace evalsim {

// What the metrics need from the truth, computed once per run.
struct FairnessTruth {
  int k_top = 0, k_bottom = 0;
  Eigen::VectorXd rank;         // mid-rank of true quality, 1 = best
  Eigen::VectorXd top, bottom;  // true top-k / bottom-k memberships
  std::vector<char> average;    // 1 = true quality between the 40th and 60th percentiles
};
FairnessTruth MakeFairnessTruth(const Eigen::VectorXd& quality, int k_top, int k_bottom);

// Per-evaluee sums over replicates of one model's errors and memberships.
struct ErrorSums {
  explicit ErrorSums(int n = 0);
  // Adds one replicate: the model's competition ranks (1 = best, ties share
  // the smaller rank) and its top-k / bottom-k memberships.
  void Add(const FairnessTruth& truth, const std::vector<int>& rank, const Eigen::VectorXd& top,
           const Eigen::VectorXd& bottom);

  int replicates = 0;
  Eigen::VectorXd rank_error, rank_bias, class_error, top, bottom;
};

// Mean of |position - t| over the positions p, p + 1, ..., q (p <= q).
double MeanAbsoluteDistance(int64_t p, int64_t q, double t);

// One dimension's strata: a label per stratum and a stratum per evaluee.
struct Strata {
  std::string dimension;            // "all", "size", "type", "share.<group>"
  std::vector<std::string> labels;  // in output order
  std::vector<int> of;              // per evaluee: index into labels
};

// Quantile bins of `values` (NaN not allowed): at most `max_bins` bins of
// about equal count, in increasing order of value; bin[e] is the bin of
// element e, lo/hi the smallest and largest value in each bin. Equal values
// always share a bin (see the top of this file).
struct Bins {
  std::vector<int> bin;
  std::vector<double> lo, hi;
};
Bins QuantileBins(std::span<const double> values, int max_bins);

Strata AllStratum(int n);
// Up to 5 bins of the mean valid ballots per evaluee rounded to whole
// ballots, labelled "lo-hi" (or "v" when a bin holds one value).
Strata SizeStrata(std::span<const double> valid_ballots);
// Evaluees by type, types in `names` order; types without evaluees left out.
Strata TypeStrata(std::span<const int> type, const std::vector<std::string>& names);
// Terciles of a group's share of the valid ballots rounded to two decimals:
// "low (0.00-0.20)",
// "mid (...)", "high (...)" ("low" and "high" when ties leave two bins). A
// NaN share (an evaluee without valid ballots) goes to a last stratum
// "none (no valid ballot)".
Strata ShareStrata(const std::string& group, std::span<const double> share);

// Every dimension in output order (all, size, type, share.<group>) from the
// valid-ballot counts summed over `replicates` replicates: valid[e * G + g]
// for evaluee e and rater group g (G = groups.size()). `type` is empty when
// the scenario has no types. A group's share dimension appears only when its
// share varies across evaluees (by more than 1e-12).
// A size or share dimension whose values all round to one label is left
// out, and `notes` (when given) says why.
std::vector<Strata> FairnessStrata(std::span<const uint64_t> valid, int replicates,
                                   const std::vector<std::string>& groups,
                                   std::span<const int> type,
                                   const std::vector<std::string>& type_names,
                                   std::vector<std::string>* notes = nullptr);

// One row of fairness.csv.
struct FairnessRow {
  std::string model, dimension, stratum;
  int evaluees = 0;  // evaluees in the stratum
  int64_t base = 0;  // denominator: (average) evaluees x replicates
  std::string metric;
  double value = 0.0;  // NaN when base is 0
};

// The metric names, in output order.
const std::vector<std::string>& FairnessMetrics();

// The rows of one model: strata in the order given, metrics in
// FairnessMetrics() order within each stratum.
std::vector<FairnessRow> FairnessTable(const std::string& model, const ErrorSums& sums,
                                       const FairnessTruth& truth,
                                       const std::vector<Strata>& strata);

// fairness.csv: model,dimension,stratum,evaluees,base,metric,value.
std::string FairnessCsv(const std::vector<FairnessRow>& rows);

}  // namespace evalsim

#endif  // EVALSIM_SIM_RUN_FAIRNESS_H_
