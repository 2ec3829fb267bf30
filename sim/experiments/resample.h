// Resampling stability of one ratings model on fixed ballots: how much of a
// ranking is the luck of who attended?
//
// Strata. The raters who cast at least one ballot (an abstention counts)
// are split by group (rater_group) and, within a group, by connected part:
// two raters of a group are in one part when a chain of the group's ballots
// joins them (rater - evaluee - rater ...). The parts are the meetings of a
// generated appraisal (a meeting's members rate its evaluees, nobody
// else's), and a `per_evaluee` group's raters of one evaluee form a part of
// their own; in a single meeting each group is one part. Strata are
// ordered by group, then by their smallest rater id.
//
// Bootstrap over raters (scheme "raters"). Resample b (b = 0..B-1) draws
// multinomial counts from the stream Rng(DeriveSeed(seed, {kStreamBootstrap,
// b})): within each stratum of R raters, R draws with replacement among
// them, strata in order and then draw order. Ballot i then weighs
//   count[rater(i)] * original weight(i),
// so a rater drawn twice counts twice and a rater not drawn drops out. The
// ballots are never copied per resample: each worker thread copies the
// RatingBallots once and rewrites only its `weight` vector before each fit
// (every ratings model honours per-ballot weights). A rater drawn twice is
// one rater weighing twice, not two raters: for models with a parameter per
// rater (zscore_mean, rater_adjusted, mixed_effects, rating_scale) that
// rater's effect is estimated once, from ballots that count double. Every
// resample has exactly the raters of each stratum: a rubric's group weights
// keep their meaning, a small group cannot vanish from a resample, and a
// meeting never borrows another meeting's raters (nor an evaluee another
// evaluee's own raters). The variation of the group sizes themselves is not
// part of the intervals, which describe "the same kind of meeting with other
// attendees".
//
// Smoothed bootstrap (scheme "smoothed", the default). The draws of
// "raters", except that each of a stratum's R draws is, with probability
// kPriorRaters / (R + kPriorRaters), the stratum's prior rater: a new rater
// whose grade on each evaluee of the stratum is drawn from the pooled grade
// shares of its group (all valid ballots of the group, original weights).
// This is resampling from the posterior predictive of a Dirichlet-process
// prior with mass kPriorRaters centred on the pooled shares (the "proper
// Bayesian bootstrap" of Muliere & Secchi 1996, "Bayesian nonparametric
// predictive inference and bootstrap techniques", Ann. Inst. Statist. Math.
// 48(4)). It gives a grade that none of R raters gave a chance of about
// 1 / (R + 1) per resample, where the plain bootstrap gives it none: an
// evaluee with only top grades gets an interval below the top, and a rare
// low grade in a small meeting is no longer either always or never there.
// The point estimate (`score`) is the fit on the ballots as given.
//
// Rater bootstrap by group (scheme "raters-by-group"): the draws of
// "raters" with one stratum per group, across its parts: a meeting's
// evaluees get a random number of their raters back, possibly none. Until
// the parts were strata this was the only scheme; it is kept so that
// coverage before and after can be compared (README "Can you trust the
// intervals?").
//
// Bayesian bootstrap (scheme "bayesian"; Rubin 1981, "The Bayesian
// bootstrap", Ann. Statist. 9(1)): every rater of a stratum of R weighs R
// times a Dirichlet(1, ..., 1) share (DirichletWeights) instead of a count.
//
// Parametric bootstrap (scheme "parametric"): for a model that states the
// distribution of every grade, rating_scale, each valid ballot's grade is
// redrawn from the fitted model (ability of its evaluee, severity of its
// rater, thresholds); raters and weights stay as given.
//
// Per resample: fit; CompetitionRanks(score, tiebreak); OrderKey;
// TopKMembership(key, k_top) and BottomKMembership(key, k_bottom), with
// k_top = QuotaCount(top, n), k_bottom = QuotaCount(bottom, n). Per evaluee:
//   lo, hi           score interval at `level` (interval "percentile":
//                    Quantile (type 7) of the B resampled scores at
//                    (1 - level) / 2 and (1 + level) / 2; "bca": see below)
//   rank_lo, rank_hi the same of the resampled ranks
//   p_top, p_bottom  mean top-k / bottom-k membership (ties at the boundary
//                    count fractionally, so sum_e p_top = k_top)
// Per model: topk_jaccard, the mean WeightedJaccard of the top-k
// memberships of the disjoint pairs of resamples (0,1), (2,3), ... (needs
// B >= 2), with a 95 % MeanInterval over the pairs.
//
// BCa intervals (interval "bca"; Efron 1987, "Better bootstrap confidence
// intervals", JASA 82(397)): the quantiles are taken at Phi(z0 + (z0 + z_p) /
// (1 - a (z0 + z_p))) instead of p, with z0 = Phi^-1(share of resampled
// values below the full fit's, equal ones counting half) and the
// acceleration a from a grouped jackknife: the strata's raters, each
// stratum shuffled from DeriveSeed(seed, {kStreamBootstrap, 2^62}), are
// dealt in turn to min(20, raters) blocks, and the model is refitted
// without each block (a = sum d^3 / (6 (sum d^2)^1.5), d the deviations of
// the block fits from their mean).
//
// Leave-one-group-out jackknife: for each rater group that has ballots, one
// refit with that group's ballots (by slot) at weight 0. Per evaluee
// jk_rank_lo / jk_rank_hi = min / max of its rank over those fits and the
// full fit; per group the WeightedJaccard of the top-k without that group
// against the full-data top-k (which group's absence changes the top most);
// their mean is jackknife.topk_jaccard. Needs two groups with ballots.
//
// Determinism: every resample's draws come from its own stream; fits run in
// parallel (oneTBB) over resamples, each writes its results at its own
// index, and sums over resamples are taken in resample order, chunk by chunk
// (the chunk size depends on n and B only). The result is therefore
// identical for any number of threads.
//
// Memory: the resampled scores (double) and ranks (int32) are kept, 12 bytes
// per evaluee and resample (n = 10^4, B = 1000: 120 MB); Resample refuses
// with InputError when n * B * 12 bytes exceeds 2 GiB. Add one copy of the
// ballots (words and weights) per worker thread (the smoothed scheme adds K
// pseudo-ballots per slot to its copies), and the membership buffers of one
// chunk (about 2^21 doubles).
//
// Cost: B + (groups with ballots) + 1 fits (+ the BCa blocks), plus per
// resample one pass over the ballots to rewrite the weights and O(n log n)
// for the ranks.
#ifndef EVALSIM_SIM_EXPERIMENTS_RESAMPLE_H_
#define EVALSIM_SIM_EXPERIMENTS_RESAMPLE_H_

#include <Eigen/Core>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/model.h"
#include "sim/core/ballots.h"
#include "sim/core/distribute.h"
#include "sim/core/metrics.h"

namespace evalsim {

// How a resample weighs the raters (`--scheme`).
enum class ResampleScheme {
  kRaters,         // "raters": multinomial counts within each stratum (above)
  kRatersByGroup,  // "raters-by-group": the same with one stratum per group (below)
  kBayesian,       // "bayesian": Dirichlet(1, ..., 1) weights within each group (below)
  kSmoothed,       // "smoothed": the rater draws of "raters" with a prior pseudo-rater (below)
  kParametric,     // "parametric": grades redrawn from the fitted rating-scale model (below)
};

// The prior's weight in the smoothed scheme, in raters: each draw is a new
// rater from the prior with probability kPriorRaters / (R_g + kPriorRaters).
inline constexpr double kPriorRaters = 1.0;

// How the intervals are read off the resamples (`--interval`).
enum class IntervalMethod {
  kPercentile,  // "percentile": quantiles of the resampled values
  kBca,         // "bca": bias-corrected and accelerated quantiles (below)
};

struct ResampleOptions {
  int bootstrap = 0;       // B resamples; 0 = no bootstrap
  bool jackknife = false;  // leave-one-group-out refits
  uint64_t seed = 1;       // master seed of the resample streams
  double top = 0.15;       // k_top = QuotaCount(top, n)
  double bottom = 0.05;    // k_bottom = QuotaCount(bottom, n)
  double level = 0.95;     // coverage of the intervals, in (0, 1)
  // The defaults of `score --bootstrap`, chosen by measured coverage
  // (`evalsim calibrate`, README "Can you trust the intervals?").
  ResampleScheme scheme = ResampleScheme::kSmoothed;
  IntervalMethod interval = IntervalMethod::kPercentile;
  int threads = 0;        // worker threads; 0 = the calling arena's
  bool progress = false;  // progress line on stderr (see sim/core/progress.h)
  // The processes the bootstrap's resamples are spread over (nullptr: this
  // one). On the others than 0, Resample throws ShareDone once their
  // resamples are sent.
  Distribution* distribution = nullptr;
};

// The names of the flags' values, and back (nullopt for an unknown name).
const char* ResampleSchemeName(ResampleScheme scheme);
const char* IntervalMethodName(IntervalMethod method);
std::optional<ResampleScheme> ParseResampleScheme(std::string_view name);
std::optional<IntervalMethod> ParseIntervalMethod(std::string_view name);

// Throws InputError naming the flag (--bootstrap, --top, --bottom, --level,
// --threads) when a value is out of range.
void CheckResampleOptions(const ResampleOptions& options);

// Largest n * B * 12 bytes of resample storage Resample accepts.
inline constexpr uint64_t kMaxResampleBytes = uint64_t{2} << 30;

// InputError (naming --bootstrap) when keeping every resampled score and
// rank of n evaluees and B resamples would pass kMaxResampleBytes.
void CheckResampleMemory(int n, int B);

// The multinomial rater counts of the bootstrap, and the weights they give.
class RaterResampler {
 public:
  // by_part = false: one stratum per group, whatever the parts (the
  // scheme "raters-by-group").
  explicit RaterResampler(const RatingBallots& ballots, bool by_part = true);

  // counts[r] for every rater r (size num_raters) of resample `resample`:
  // 0 for raters without ballots; within each group the counts of its active
  // raters sum to their number.
  void Counts(uint64_t seed, int64_t resample, std::vector<uint32_t>* counts) const;
  // weight[i] = counts[rater(i)] * original weight(i) for every ballot
  // (`weight` is resized to NumBallots()).
  void ApplyCounts(const std::vector<uint32_t>& counts, std::vector<float>* weight) const;

  // The Bayesian bootstrap's rater weights of resample `resample` (size
  // num_raters): within each group with R_g active raters, R_g * D where D
  // is Dirichlet(1, ..., 1), drawn as independent Exp(1) variates over their
  // sum, in group order and rater order from the stream of Counts; 0 for
  // raters without ballots.
  void DirichletWeights(uint64_t seed, int64_t resample, std::vector<float>* rater_weight) const;
  // weight[i] = rater_weight[rater(i)] * original weight(i).
  void ApplyRaterWeights(const std::vector<float>& rater_weight, std::vector<float>* weight) const;

  // The strata: the raters with at least one ballot, per group and
  // connected part (above), ascending ids; groups in order, the parts of a
  // group in the order of their smallest rater id.
  const std::vector<std::vector<uint32_t>>& Strata() const { return strata_; }
  // The stratum whose raters cast the ballots of each slot (-1 for a slot
  // without ballots).
  const std::vector<int>& SlotStratum() const { return slot_stratum_; }

 private:
  const RatingBallots* ballots_;
  std::vector<std::vector<uint32_t>> strata_;
  std::vector<int> slot_stratum_;
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
  ResampleScheme scheme = ResampleScheme::kRaters;
  IntervalMethod interval = IntervalMethod::kPercentile;
  // BCa only: the acceleration of every evaluee's score and rank from the
  // grouped jackknife (below), and its number of blocks.
  std::vector<double> accel_score, accel_rank;
  int accel_blocks = 0;

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

// The intervals of every evaluee at `level` by `method`, from the resamples
// kept in `r` (which must hold the BCa accelerations when `method` is kBca).
struct BootstrapIntervalSet {
  std::vector<double> lo, hi, rank_lo, rank_hi;
};
BootstrapIntervalSet BootstrapIntervals(const ResampleResult& r, double level,
                                        IntervalMethod method);

// The scores table: ratee,score,rank[,se] exactly as ScoresCsv writes it
// (sorted by rank, ties in input order), then lo,hi,rank_lo,rank_hi,p_top,
// p_bottom when there was a bootstrap, jk_rank_lo,jk_rank_hi when there
// was a jackknife, and class when `classes` (one label per ratee, from the
// full fit's scores) is not empty.
std::string ResampleScoresCsv(const std::vector<std::string>& ratee_names, const ResampleResult& r,
                              const std::vector<std::string>& classes = {});

// The per-model figures as "name = value" lines (without a prefix):
// resample.k_top, resample.k_bottom, bootstrap.resamples, bootstrap.scheme,
// bootstrap.interval,
// bootstrap.topk_jaccard = x [lo, hi] (with B >= 2), jackknife.topk_jaccard
// and jackknife.topk_jaccard.without.GROUP (one line per group).
std::vector<std::string> ResampleSummaryLines(const RatingBallots& ballots,
                                              const ResampleResult& result);

}  // namespace evalsim

#endif  // EVALSIM_SIM_EXPERIMENTS_RESAMPLE_H_
