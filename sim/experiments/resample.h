// Resampling stability of one ratings model on fixed ballots: how much of a
// ranking is the luck of who attended?
//
// Bootstrap over raters. Resample b (b = 0..B-1) draws, for the raters who
// cast at least one ballot (an abstention counts), multinomial counts from
// the stream Rng(DeriveSeed(seed, {kStreamBootstrap, b})): within each rater
// group g with R_g such raters, R_g draws with replacement among them, in
// group order and then draw order. Ballot i then weighs
//   count[rater(i)] * original weight(i),
// so a rater drawn twice counts twice and a rater not drawn drops out. The
// ballots are never copied per resample: each worker thread copies the
// RatingBallots once and rewrites only its `weight` vector before each fit
// (every ratings model honours per-ballot weights). A rater drawn twice is
// one rater weighing twice, not two raters: for models with a parameter per
// rater (zscore_mean, rater_adjusted, mixed_effects, rating_scale) that
// rater's effect is estimated once, from ballots that count double.
//
// Stratification: raters are resampled within their group (rater_group), so
// every resample has exactly R_g raters of group g. A rubric's group weights
// then keep their meaning (the superiors' share is the superiors' share in
// every resample, not a share that grows or shrinks with how many superiors
// happened to be drawn), and a small group cannot vanish from a resample.
// The price: the variation of the group sizes themselves is not part of the
// intervals, which describe "the same kind of meeting with other attendees".
//
// Per resample: fit; CompetitionRanks(score, tiebreak); OrderKey;
// TopKMembership(key, k_top) and BottomKMembership(key, k_bottom), with
// k_top = QuotaCount(top, n), k_bottom = QuotaCount(bottom, n). Per evaluee:
//   lo, hi           score percentile interval: Quantile (type 7) of the B
//                    resampled scores at (1 - level) / 2 and (1 + level) / 2
//   rank_lo, rank_hi the same percentiles of the resampled ranks
//   p_top, p_bottom  mean top-k / bottom-k membership (ties at the boundary
//                    count fractionally, so sum_e p_top = k_top)
// Per model: topk_jaccard, the mean WeightedJaccard of the top-k
// memberships of the disjoint pairs of resamples (0,1), (2,3), ... (needs
// B >= 2), with a 95 % MeanInterval over the pairs.
//
// Leave-one-group-out jackknife: for each rater group that has ballots, one
// refit with that group's ballots (by slot) at weight 0. Per evaluee
// jk_rank_lo / jk_rank_hi = min / max of its rank over those fits and the
// full fit; per group the WeightedJaccard of the top-k without that group
// against the full-data top-k (which group's absence changes the top most);
// their mean is jackknife.topk_jaccard. Needs two groups with ballots.
//
// Determinism: every resample's counts come from its own stream; fits run in
// parallel (oneTBB) over resamples, each writes its results at its own
// index, and sums over resamples are taken in resample order, chunk by chunk
// (the chunk size depends on n and B only). The result is therefore
// identical for any number of threads.
//
// Memory: the resampled scores (double) and ranks (int32) are kept, 12 bytes
// per evaluee and resample (n = 10^4, B = 1000: 120 MB); Resample refuses
// with InputError when n * B * 12 bytes exceeds 2 GiB. Add one copy of the
// ballots (words and weights) per worker thread, and the membership buffers
// of one chunk (about 2^21 doubles).
//
// Cost: B + (groups with ballots) + 1 fits, plus per resample one pass over
// the ballots to rewrite the weights and O(n log n) for the ranks.
#ifndef EVALSIM_SIM_EXPERIMENTS_RESAMPLE_H_
#define EVALSIM_SIM_EXPERIMENTS_RESAMPLE_H_

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "models/model.h"
#include "sim/core/ballots.h"
#include "sim/core/metrics.h"

namespace evalsim {

struct ResampleOptions {
  int bootstrap = 0;       // B resamples; 0 = no bootstrap
  bool jackknife = false;  // leave-one-group-out refits
  uint64_t seed = 1;       // master seed of the resample streams
  double top = 0.15;       // k_top = QuotaCount(top, n)
  double bottom = 0.05;    // k_bottom = QuotaCount(bottom, n)
  double level = 0.95;     // coverage of the percentile intervals, in (0, 1)
  int threads = 0;         // worker threads; 0 = the calling arena's
  bool progress = false;   // progress line on stderr (see sim/core/progress.h)
};

// Throws InputError naming the flag (--bootstrap, --top, --bottom, --level,
// --threads) when a value is out of range.
void CheckResampleOptions(const ResampleOptions& options);

// Largest n * B * 12 bytes of resample storage Resample accepts.
inline constexpr uint64_t kMaxResampleBytes = uint64_t{2} << 30;

// The multinomial rater counts of the bootstrap, and the weights they give.
class RaterResampler {
 public:
  explicit RaterResampler(const RatingBallots& ballots);

  // counts[r] for every rater r (size num_raters) of resample `resample`:
  // 0 for raters without ballots; within each group the counts of its active
  // raters sum to their number.
  void Counts(uint64_t seed, int64_t resample, std::vector<uint32_t>* counts) const;
  // weight[i] = counts[rater(i)] * original weight(i) for every ballot
  // (`weight` is resized to NumBallots()).
  void ApplyCounts(const std::vector<uint32_t>& counts, std::vector<float>* weight) const;

  // The raters with at least one ballot, per group, ascending ids.
  const std::vector<std::vector<uint32_t>>& ActiveRaters() const { return active_; }

 private:
  const RatingBallots* ballots_;
  std::vector<std::vector<uint32_t>> active_;
};

struct ResampleResult {
  int n = 0;
  int k_top = 0, k_bottom = 0;
  ScoreResult full;       // the fit on the ballots as given
  std::vector<int> rank;  // its competition ranks

  // Bootstrap (empty when options.bootstrap == 0).
  int resamples = 0;
  double level = 0.95;
  std::vector<double> lo, hi, rank_lo, rank_hi, p_top, p_bottom;
  Interval topk_jaccard;  // NaN when B < 2
  int jaccard_pairs = 0;
  // Every resample's scores and ranks, resample-major: [b * n + e].
  std::vector<double> scores;
  std::vector<int32_t> ranks;

  // Jackknife (empty unless options.jackknife).
  bool jackknife = false;
  std::vector<int> jk_groups;                   // groups with ballots, in group order
  std::vector<std::vector<int>> jk_group_rank;  // ranks without each of jk_groups
  std::vector<double> jk_group_jaccard;         // top-k Jaccard with the full fit
  double jk_topk_jaccard = 0.0;                 // their mean
  std::vector<int> jk_rank_lo, jk_rank_hi;

  // What happened (fits that reported notes, degenerate input).
  std::vector<std::string> notes;
};

// Fits `model` (a ratings model) on `ballots`, then the bootstrap and the
// jackknife that `options` asks for. Throws InputError for bad options, for
// storage above kMaxResampleBytes, and for --jackknife with fewer than two
// groups with ballots; InterruptedError when interrupted.
ResampleResult Resample(const Model& model, const RatingBallots& ballots,
                        const ResampleOptions& options);

// The scores table: ratee,score,rank[,se] exactly as ScoresCsv writes it
// (sorted by rank, ties in input order), then lo,hi,rank_lo,rank_hi,p_top,
// p_bottom when there was a bootstrap, jk_rank_lo,jk_rank_hi when there
// was a jackknife, and class when `classes` (one label per ratee, from the
// full fit's scores) is not empty.
std::string ResampleScoresCsv(const std::vector<std::string>& ratee_names, const ResampleResult& r,
                              const std::vector<std::string>& classes = {});

// The per-model figures as "name = value" lines (without a prefix):
// resample.k_top, resample.k_bottom, bootstrap.resamples,
// bootstrap.topk_jaccard = x [lo, hi] (with B >= 2), jackknife.topk_jaccard
// and jackknife.topk_jaccard.without.GROUP (one line per group).
std::vector<std::string> ResampleSummaryLines(const RatingBallots& ballots,
                                              const ResampleResult& result);

}  // namespace evalsim

#endif  // EVALSIM_SIM_EXPERIMENTS_RESAMPLE_H_
