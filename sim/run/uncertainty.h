// Monte Carlo uncertainty and sensitivity analysis of an indicator model's
// modelling choices, after the OECD/JRC Handbook on Constructing Composite
// Indicators: Methodology and User Guide (2008), steps 7 (uncertainty
// analysis) and 7/8 (variance-based sensitivity analysis).
//
// The [[models]] entry named by UncertaintySpec::model (a `composite`,
// `topsis` or `grey_relational` entry) is resolved once on the data (its
// directions, its weights — fixed, AHP or objective — and its vote scores);
// then `draws` configurations are drawn, each one changing only the choices
// the spec varies:
//   weights        ~ Dirichlet(weight_concentration * base weights), when
//                    weight_concentration > 0 (the mean is the base weights;
//                    larger concentration = tighter). An indicator whose base
//                    weight is 0 keeps weight 0.
//   normalisation  uniform over `normalisations`
//   aggregation    uniform over `aggregations` (composite only)
//   vote weight    uniform in [lo, hi] (`vote_weight`, composite with a vote)
//   random index   uniform over `random_index`. The RI table changes only
//                  the AHP consistency ratio (and so the warnings), never the
//                  weights, hence never a rank: it is reported as a choice
//                  with index 0, and the notes give the CR under each table.
// Every draw ranks the units (1 = best; ties share the smaller rank; a unit
// with no present indicator ranks below every unit with data).
//
// Outputs per evaluee: the base rank (the entry's own choices), the median
// rank and the 5 % and 95 % rank quantiles over the draws. Quantiles are
// the inverse empirical distribution function: the k-th smallest rank with
// k = ceil(p * draws) (the median is the lower median).
//
// Outputs per choice: the first-order sensitivity index
//   S_c = Var(E[rank | c]) / Var(rank),
// computed per evaluee and averaged over the evaluees whose rank varies
// (Var(rank) > 0), and its share S_c / sum_c S_c. For a discrete choice the
// conditional mean is taken per option; a continuous choice (each
// indicator's weight — choice "weight.<indicator>" — and the vote weight) is
// cut into 20 bins holding equal numbers of draws (equal-probability bins:
// for the vote weight equal-width bins of [lo, hi]; for the weights bin
// edges at the empirical 5 %, 10 %, ... quantiles of the first
// min(draws, 65536) draws). The estimate is biased upward by about
// (bins - 1) / draws, so use draws >> 20. Dirichlet weights are not
// independent of each other (they sum to 1), so their indices need not
// add up as for independent inputs. With no varied choice every draw gives
// the base ranking: every interval has width 0 and every index is 0.
//
// Determinism: draw d uses the stream DeriveSeed(seed, {kStreamUncertainty,
// d}); draws run in parallel (oneTBB) and their results are accumulated per
// evaluee in draw order with integer sums, so the output is identical for
// any number of threads.
//
// Cost: one draw is one aggregation over the n x m matrix (normalisations
// are computed once per method for `composite`; TOPSIS and grey relational
// normalise inside each draw) plus a sort of n scores. Memory: the rank
// histograms take 4 n^2 bytes when n <= 4096; above that every draw's
// ranks are kept (4 n draws bytes).
#ifndef EVALSIM_SIM_RUN_UNCERTAINTY_H_
#define EVALSIM_SIM_RUN_UNCERTAINTY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "models/model.h"
#include "sim/scenario/scenario.h"

namespace evalsim {

struct UncertaintyResult {
  std::string model;  // the [[models]] entry's name
  int draws = 0;
  std::vector<std::string> evaluees;
  std::vector<int> base_rank;        // rank under the entry's own choices
  std::vector<double> median_rank;   // per evaluee
  std::vector<double> rank_lo;       // 5 % quantile
  std::vector<double> rank_hi;       // 95 % quantile
  std::vector<std::string> choices;  // "normalisation", "aggregation", ...
  std::vector<double> first_order;   // S_c, averaged over evaluees
  std::vector<double> share;         // S_c / sum S
  std::vector<std::string> notes;
};

// Runs the analysis for `entry` on `input` (input.indicators must be set;
// input.ratings is used by a composite's vote). `ctx` is the context the
// entry's options were validated with. `threads` > 0 runs in an arena of
// that many threads (0 = the current arena). Throws InputError when the
// entry is not an indicator model or its options are invalid.
UncertaintyResult RunUncertainty(const UncertaintySpec& spec, const ModelEntry& entry,
                                 const ModelInput& input, const ModelContext& ctx, uint64_t seed,
                                 int threads = 0, const std::string& file = "");

// Tidy CSV: header `evaluee,median_rank,rank_lo,rank_hi,base_rank`, one row
// per evaluee in input order.
std::string UncertaintyCsv(const UncertaintyResult& result);

// Tidy CSV: header `choice,first_order,share`, one row per varied choice.
std::string SensitivityCsv(const UncertaintyResult& result);

}  // namespace evalsim

#endif  // EVALSIM_SIM_RUN_UNCERTAINTY_H_
