#include "sim/experiments/resample.h"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numeric>
#include <tuple>
#include <utility>

#include "models/common/union_find.h"
#include "sim/core/check.h"
#include "sim/core/errors.h"
#include "sim/core/interrupt.h"
#include "sim/core/parallel.h"
#include "sim/core/progress.h"
#include "sim/core/rng.h"
#include "sim/experiments/resample_schemes.h"
#include "sim/io/csv_write.h"

namespace evalsim {
namespace {

// Evaluee-resample cells per chunk: the top and bottom membership buffers
// of one chunk hold 2 * kChunkCells doubles (16 MiB).
constexpr int64_t kChunkCells = int64_t{1} << 20;
constexpr uint64_t kBytesPerCell = sizeof(double) + sizeof(int32_t);
// Blocks of raters of the BCa jackknife (fewer when there are fewer raters).
constexpr uint64_t kBcaBlocks = 20;

// One worker thread's private copy of the ballots (only `weight` is ever
// rewritten) and its count buffer.
struct Worker {
  RatingBallots ballots;
  std::vector<uint32_t> counts;
  std::vector<float> rater_weight;
};

// The tag of the stream that deals the raters into the BCa jackknife's
// blocks: DeriveSeed(seed, {kStreamBootstrap, kBlockTag}); resample
// indices stay far below it.
constexpr uint64_t kBlockTag = uint64_t{1} << 62;

template <class F>
void InArena(int threads, F&& f) {
  if (threads > 0) {
    tbb::task_arena arena(threads);
    arena.execute(f);
  } else {
    f();
  }
}

std::string JoinNotes(const std::vector<std::string>& notes) {
  std::string out;
  for (const auto& s : notes) {
    if (!out.empty()) out += "; ";
    out += s;
  }
  return out;
}

void CheckFit(const ScoreResult& r, int n) {
  EVALSIM_CHECK(r.score.size() == n && (r.tiebreak.size() == 0 || r.tiebreak.size() == n),
                "resample: model returned {} scores for {} evaluees", r.score.size(), n);
}

// Top-k and bottom-k memberships and ranks of one fit.
struct Ranked {
  std::vector<int> rank;
  Eigen::VectorXd top, bottom;
};

Ranked RankFit(const ScoreResult& r, int k_top, int k_bottom) {
  Ranked out;
  out.rank = CompetitionRanks(r.score, r.tiebreak);
  const Eigen::VectorXd key = OrderKey(r.score, r.tiebreak, out.rank);
  out.top = TopKMembership(key, k_top);
  out.bottom = BottomKMembership(key, k_bottom);
  return out;
}

}  // namespace

const char* ResampleSchemeName(ResampleScheme scheme) {
  switch (scheme) {
    case ResampleScheme::kRatersByGroup:
      return "raters-by-group";
    case ResampleScheme::kBayesian:
      return "bayesian";
    case ResampleScheme::kSmoothed:
      return "smoothed";
    case ResampleScheme::kParametric:
      return "parametric";
    default:
      return "raters";
  }
}

const char* IntervalMethodName(IntervalMethod method) {
  return method == IntervalMethod::kBca ? "bca" : "percentile";
}

std::optional<ResampleScheme> ParseResampleScheme(std::string_view name) {
  if (name == "raters") return ResampleScheme::kRaters;
  if (name == "raters-by-group") return ResampleScheme::kRatersByGroup;
  if (name == "bayesian") return ResampleScheme::kBayesian;
  if (name == "smoothed") return ResampleScheme::kSmoothed;
  if (name == "parametric") return ResampleScheme::kParametric;
  return std::nullopt;
}

std::optional<IntervalMethod> ParseIntervalMethod(std::string_view name) {
  if (name == "percentile") return IntervalMethod::kPercentile;
  if (name == "bca") return IntervalMethod::kBca;
  return std::nullopt;
}

void CheckResampleOptions(const ResampleOptions& o) {
  if (o.bootstrap < 0)
    throw InputError(
        fmt::format("--bootstrap {}: expected a positive number of resamples", o.bootstrap));
  if (!(o.top > 0.0 && o.top <= 1.0))
    throw InputError(fmt::format("--top {}: expected a share in (0, 1]", o.top));
  if (!(o.bottom > 0.0 && o.bottom <= 1.0))
    throw InputError(fmt::format("--bottom {}: expected a share in (0, 1]", o.bottom));
  if (!(o.level > 0.0 && o.level < 1.0))
    throw InputError(fmt::format("--level {}: expected a coverage in (0, 1), e.g. 0.95", o.level));
  if (o.threads < 0)
    throw InputError(fmt::format("--threads {}: expected 0 (every core) or more", o.threads));
}

RaterResampler::RaterResampler(const RatingBallots& ballots, bool by_part) : ballots_(&ballots) {
  const int n = ballots.NumRatees(), G = ballots.NumGroups();
  const uint32_t R = ballots.num_raters;
  std::vector<bool> seen(R, false);
  for (uint32_t w : ballots.ballot) seen[BallotRater(w)] = true;
  for (uint32_t r = 0; r < R; ++r)
    EVALSIM_CHECK(!seen[r] || ballots.rater_group[r] < G, "resample: rater {} has group {} of {}",
                  r, ballots.rater_group[r], G);
  slot_stratum_.assign(static_cast<size_t>(n) * G, -1);
  // Per group: the parts of the graph of ratees (0..n-1) and raters (n + r)
  // joined by the group's ballots.
  for (int g = 0; g < G; ++g) {
    DisjointSets parts(static_cast<size_t>(n) + R);
    for (int e = 0; e < n; ++e) {
      const int slot = ballots.Slot(e, g);
      // One part per group unless by_part: every ratee joins ratee 0.
      const uint32_t node = by_part ? static_cast<uint32_t>(e) : 0u;
      if (!by_part) parts.Union(static_cast<uint32_t>(e), 0u);
      for (uint64_t i = ballots.slot_begin[slot]; i < ballots.slot_begin[slot + 1]; ++i)
        parts.Union(node, static_cast<uint32_t>(n) + BallotRater(ballots.ballot[i]));
    }
    std::vector<int> stratum_of_root(static_cast<size_t>(n) + R, -1);
    for (uint32_t r = 0; r < R; ++r) {
      if (!seen[r] || ballots.rater_group[r] != g) continue;
      int& st = stratum_of_root[parts.Find(static_cast<uint32_t>(n) + r)];
      if (st < 0) {
        st = static_cast<int>(strata_.size());
        strata_.emplace_back();
      }
      strata_[st].push_back(r);
    }
    for (int e = 0; e < n; ++e) {
      const int slot = ballots.Slot(e, g);
      if (ballots.slot_begin[slot + 1] > ballots.slot_begin[slot])
        slot_stratum_[slot] = stratum_of_root[parts.Find(static_cast<uint32_t>(e))];
    }
  }
}

void RaterResampler::Counts(uint64_t seed, int64_t resample, std::vector<uint32_t>* counts) const {
  counts->assign(ballots_->num_raters, 0);
  Rng rng(DeriveSeed(seed, {kStreamBootstrap, static_cast<uint64_t>(resample)}));
  uint32_t* c = counts->data();
  for (const auto& raters : strata_) {
    const uint64_t R = raters.size();
    for (uint64_t d = 0; d < R; ++d) ++c[raters[rng.Below(R)]];
  }
}

void RaterResampler::ApplyCounts(const std::vector<uint32_t>& counts,
                                 std::vector<float>* weight) const {
  const RatingBallots& b = *ballots_;
  const uint64_t N = b.NumBallots();
  weight->resize(N);
  const uint32_t* words = b.ballot.data();
  const uint32_t* c = counts.data();
  float* w = weight->data();
  if (b.Weighted()) {
    const float* orig = b.weight.data();
    for (uint64_t i = 0; i < N; ++i) w[i] = static_cast<float>(c[BallotRater(words[i])]) * orig[i];
  } else {
    for (uint64_t i = 0; i < N; ++i) w[i] = static_cast<float>(c[BallotRater(words[i])]);
  }
}

void CheckResampleMemory(int n, int B) {
  const uint64_t cells = static_cast<uint64_t>(n) * static_cast<uint64_t>(B);
  if (cells * kBytesPerCell > kMaxResampleBytes) {
    throw InputError(fmt::format(
        "--bootstrap {}: {} evaluees x {} resamples need {:.1f} GiB to keep every resampled "
        "score and rank ({} bytes each); the limit is {} GiB: use fewer resamples",
        B, n, B, static_cast<double>(cells * kBytesPerCell) / (1u << 30), kBytesPerCell,
        kMaxResampleBytes >> 30));
  }
}

void RaterResampler::DirichletWeights(uint64_t seed, int64_t resample,
                                      std::vector<float>* rater_weight) const {
  rater_weight->assign(ballots_->num_raters, 0.0f);
  Rng rng(DeriveSeed(seed, {kStreamBootstrap, static_cast<uint64_t>(resample)}));
  std::vector<double> g;
  for (const auto& raters : strata_) {
    g.resize(raters.size());
    double sum = 0.0;
    for (double& x : g) sum += x = -std::log(rng.UniformOpen());
    const double scale = static_cast<double>(raters.size()) / sum;
    for (size_t i = 0; i < raters.size(); ++i)
      (*rater_weight)[raters[i]] = static_cast<float>(g[i] * scale);
  }
}

void RaterResampler::ApplyRaterWeights(const std::vector<float>& rater_weight,
                                       std::vector<float>* weight) const {
  const RatingBallots& b = *ballots_;
  const uint64_t N = b.NumBallots();
  weight->resize(N);
  const uint32_t* words = b.ballot.data();
  const float* rw = rater_weight.data();
  float* w = weight->data();
  for (uint64_t i = 0; i < N; ++i) w[i] = rw[BallotRater(words[i])] * b.Weight(i);
}

namespace {

using Workers = tbb::enumerable_thread_specific<Worker>;
using resample_detail::MakeSmoothing;
using resample_detail::ParametricGrades;
using resample_detail::RatingScaleDraws;
using resample_detail::RatingScaleOf;
using resample_detail::SmoothedWeights;
using resample_detail::Smoothing;

// What a resample needs beyond the options: the original ballots and, for
// the schemes that use them, the smoothed ballots or the parametric model
// (the workers then hold copies of the smoothed or of the original
// ballots).
struct SchemeData {
  const RatingBallots* original = nullptr;
  const Smoothing* smoothing = nullptr;
  const RatingScaleDraws* parametric = nullptr;
};

// Rewrites the worker's ballot weights (or, for the parametric scheme, its
// grades) for resample `s`.
void ReweighForResample(const RaterResampler& resampler, const SchemeData& data,
                        const ResampleOptions& o, int64_t s, Worker& w) {
  if (data.parametric) {
    ParametricGrades(*data.parametric, *data.original, o.seed, s, &w.ballots.ballot);
  } else if (data.smoothing) {
    SmoothedWeights(resampler, *data.smoothing, o.seed, s, &w.counts, &w.ballots.weight);
  } else if (o.scheme == ResampleScheme::kBayesian) {
    resampler.DirichletWeights(o.seed, s, &w.rater_weight);
    resampler.ApplyRaterWeights(w.rater_weight, &w.ballots.weight);
  } else {
    resampler.Counts(o.seed, s, &w.counts);
    resampler.ApplyCounts(w.counts, &w.ballots.weight);
  }
}

// The groups that hold at least one ballot, ascending.
std::vector<int> GroupsWithBallots(const RatingBallots& ballots) {
  const int n = ballots.NumRatees(), G = ballots.NumGroups();
  std::vector<int> groups_with;
  for (int g = 0; g < G; ++g) {
    for (int e = 0; e < n; ++e) {
      const int s = ballots.Slot(e, g);
      if (ballots.slot_begin[s + 1] > ballots.slot_begin[s]) {
        groups_with.push_back(g);
        break;
      }
    }
  }
  return groups_with;
}

// The fit runs isolated, so that a model that itself runs parallel loops
// cannot make this thread pick up another resample (and reuse its Worker)
// while it waits.
ScoreResult FitIsolated(const Model& model, Worker& w) {
  ScoreResult out;
  tbb::this_task_arena::isolate([&] {
    ModelInput in;
    in.ratings = &w.ballots;
    out = model.Score(in);
  });
  return out;
}

// The bootstrap's buffers: one chunk's top/bottom memberships, their sums
// over the resamples, the pairwise Jaccards and each fit's notes.
struct BootstrapState {
  std::vector<double> top_buf, bottom_buf, top_sum, bottom_sum, jaccard;
  std::vector<std::string> fit_notes;
};

// Fits resamples [b0, b1) in parallel: their scores and ranks into `r`,
// their memberships into the chunk buffers.
void FitChunk(const Model& model, const RaterResampler& resampler, const SchemeData& data,
              Workers& workers, const ResampleOptions& o, int64_t b0, int64_t b1, ResampleResult& r,
              BootstrapState& st, Progress& progress) {
  const int n = r.n;
  ParallelFor(tbb::blocked_range<int64_t>(b0, b1, 1),
              [&](const tbb::blocked_range<int64_t>& range) {
                Worker& w = workers.local();
                for (int64_t s = range.begin(); s < range.end(); ++s) {
                  if (Interrupted()) return;
                  ReweighForResample(resampler, data, o, s, w);
                  const ScoreResult fr = FitIsolated(model, w);
                  CheckFit(fr, n);
                  const Ranked rk = RankFit(fr, r.k_top, r.k_bottom);
                  const size_t at = static_cast<size_t>(s) * n;
                  const size_t local = static_cast<size_t>(s - b0) * n;
                  for (int e = 0; e < n; ++e) {
                    r.scores[at + e] = fr.score[e];
                    r.ranks[at + e] = rk.rank[e];
                    st.top_buf[local + e] = rk.top[e];
                    st.bottom_buf[local + e] = rk.bottom[e];
                  }
                  if (!fr.notes.empty()) st.fit_notes[s] = JoinNotes(fr.notes);
                  progress.Advance();
                }
              });
}

// Adds the chunk [b0, b1) to the membership sums and the Jaccards of its
// pairs (2j, 2j+1), in resample order.
void AddChunk(int n, int64_t b0, int64_t b1, BootstrapState& st) {
  for (int64_t s = b0; s < b1; ++s) {
    const size_t local = static_cast<size_t>(s - b0) * n;
    for (int e = 0; e < n; ++e) {
      st.top_sum[e] += st.top_buf[local + e];
      st.bottom_sum[e] += st.bottom_buf[local + e];
    }
  }
  for (int64_t s = b0; s + 1 < b1; s += 2) {
    const size_t a = static_cast<size_t>(s - b0) * n;
    st.jaccard.push_back(
        WeightedJaccard(Eigen::Map<const Eigen::VectorXd>(st.top_buf.data() + a, n),
                        Eigen::Map<const Eigen::VectorXd>(st.top_buf.data() + a + n, n)));
  }
}

// The bootstrap's results from its sums, and its notes.
void FinishBootstrap(int B, uint64_t num_ballots, const BootstrapState& st, ResampleResult& r) {
  const int n = r.n;
  r.p_top.resize(n);
  r.p_bottom.resize(n);
  for (int e = 0; e < n; ++e) {
    r.p_top[e] = st.top_sum[e] / B;
    r.p_bottom[e] = st.bottom_sum[e] / B;
  }
  r.jaccard_pairs = static_cast<int>(st.jaccard.size());
  r.topk_jaccard = MeanInterval(st.jaccard);
  if (B < 2) r.notes.push_back("bootstrap: topk_jaccard needs at least two resamples");
  if (num_ballots == 0) r.notes.push_back("bootstrap: no ballots; every resample is the full fit");
  int with_notes = 0, first = -1;
  for (int s = 0; s < B; ++s) {
    if (st.fit_notes[s].empty()) continue;
    if (first < 0) first = s;
    ++with_notes;
  }
  if (with_notes > 0) {
    r.notes.push_back(
        fmt::format("bootstrap: {} of {} resample fits reported notes (first, "
                    "resample {}: {})",
                    with_notes, B, first, st.fit_notes[first]));
  }
}

// The bootstrap's resamples spread over the processes of `d`: each fits
// its own (as FitChunk does) and sends the fit's scores, ranks,
// memberships and notes; process 0 puts them in place and adds them up in
// resample order, as Bootstrap does; the others throw ShareDone.
void BootstrapDistributed(Distribution& d, const Model& model, const RaterResampler& resampler,
                          const SchemeData& data, Workers& workers, const ResampleOptions& o,
                          ResampleResult& r, BootstrapState& st, Progress& progress) {
  const int n = r.n, B = o.bootstrap;
  std::vector<std::string> bytes;
  InArena(o.threads, [&] {
    bytes = DistributeItems(
        d, B,
        [&](int s) {
          Worker& w = workers.local();
          ReweighForResample(resampler, data, o, s, w);
          const ScoreResult fr = FitIsolated(model, w);
          CheckFit(fr, n);
          const Ranked rk = RankFit(fr, r.k_top, r.k_bottom);
          ByteWriter out;
          out.Put(fr.score);
          out.Put(rk.rank);
          out.Put(rk.top);
          out.Put(rk.bottom);
          out.Put(fr.notes.empty() ? std::string() : JoinNotes(fr.notes));
          progress.Advance();
          return out.Take();
        },
        "resample");
  });
  if (!d.IsRoot()) throw ShareDone();
  const int64_t chunk = static_cast<int64_t>(st.top_buf.size()) / std::max(1, n);
  for (int64_t b0 = 0; b0 < B; b0 += chunk) {
    const int64_t b1 = std::min<int64_t>(B, b0 + chunk);
    for (int64_t s = b0; s < b1; ++s) {
      ByteReader in(bytes[s]);
      Eigen::VectorXd score;
      Ranked rk;
      in.Get(score);
      in.Get(rk.rank);
      in.Get(rk.top);
      in.Get(rk.bottom);
      in.Get(st.fit_notes[s]);
      const size_t at = static_cast<size_t>(s) * n;
      const size_t local = static_cast<size_t>(s - b0) * n;
      for (int e = 0; e < n; ++e) {
        r.scores[at + e] = score[e];
        r.ranks[at + e] = rk.rank[e];
        st.top_buf[local + e] = rk.top[e];
        st.bottom_buf[local + e] = rk.bottom[e];
      }
      std::string().swap(bytes[s]);
    }
    AddChunk(n, b0, b1, st);
  }
}

// The rater bootstrap: B resamples, fitted chunk by chunk.
void Bootstrap(const Model& model, const RatingBallots& ballots, const ResampleOptions& o,
               Workers& workers, ResampleResult& r) {
  const int n = r.n, B = o.bootstrap;
  const uint64_t cells = static_cast<uint64_t>(n) * static_cast<uint64_t>(B);
  const RaterResampler resampler(ballots, o.scheme != ResampleScheme::kRatersByGroup);
  r.scores.assign(cells, 0.0);
  r.ranks.assign(cells, 0);
  BootstrapState st;
  st.fit_notes.resize(B);
  // An even chunk size, so that the pairs (2j, 2j+1) never straddle chunks.
  int64_t chunk = std::clamp<int64_t>(kChunkCells / std::max(1, n), 2, std::max(2, B));
  chunk -= chunk % 2;
  st.top_buf.resize(static_cast<size_t>(chunk) * n);
  st.bottom_buf.resize(static_cast<size_t>(chunk) * n);
  st.top_sum.assign(n, 0.0);
  st.bottom_sum.assign(n, 0.0);
  st.jaccard.reserve(B / 2);
  // The smoothed scheme fits copies of the ballots with the prior raters',
  // the parametric one copies of the ballots whose grades it rewrites.
  std::optional<Smoothing> smoothing;
  std::optional<RatingScaleDraws> parametric;
  SchemeData data;
  data.original = &ballots;
  if (o.scheme == ResampleScheme::kSmoothed) {
    smoothing.emplace(MakeSmoothing(ballots, resampler));
    data.smoothing = &*smoothing;
  }
  if (o.scheme == ResampleScheme::kParametric) {
    parametric = RatingScaleOf(r.full, ballots);
    if (!parametric)
      throw InputError(
          "--scheme parametric draws grades from the fitted rating-scale model and needs a model "
          "that reports one (rating_scale: thresholds tau_k and rater severities)");
    data.parametric = &*parametric;
  }
  std::optional<Workers> own_workers;
  if (data.smoothing || data.parametric) {
    const RatingBallots& copy = data.smoothing ? data.smoothing->ballots : ballots;
    own_workers.emplace([&copy] {
      Worker w;
      w.ballots = copy;
      return w;
    });
  }
  Workers& fit_workers = own_workers ? *own_workers : workers;
  Progress progress("bootstrap", B, o.progress);
  Distribution& d = OrSingle(o.distribution);
  if (d.Size() > 1) {
    BootstrapDistributed(d, model, resampler, data, fit_workers, o, r, st, progress);
    FinishBootstrap(B, ballots.NumBallots(), st, r);
    return;
  }
  InArena(o.threads, [&] {
    for (int64_t b0 = 0; b0 < B; b0 += chunk) {
      const int64_t b1 = std::min<int64_t>(B, b0 + chunk);
      FitChunk(model, resampler, data, fit_workers, o, b0, b1, r, st, progress);
      ThrowIfInterrupted();
      AddChunk(n, b0, b1, st);
    }
  });
  FinishBootstrap(B, ballots.NumBallots(), st, r);
}

// The group jackknife: one fit without each group that has ballots.
void Jackknife(const Model& model, const RatingBallots& ballots, const ResampleOptions& o,
               const std::vector<int>& groups_with, const Ranked& full, Workers& workers,
               ResampleResult& r) {
  const int n = r.n, G = ballots.NumGroups();
  const int J = static_cast<int>(groups_with.size());
  std::vector<ScoreResult> fits(J);
  InArena(o.threads, [&] {
    ParallelFor(0, J, [&](int j) {
      if (Interrupted()) return;
      Worker& w = workers.local();
      float* wt = w.ballots.weight.data();
      for (int e = 0; e < n; ++e) {
        for (int g = 0; g < G; ++g) {
          const int s = ballots.Slot(e, g);
          for (uint64_t i = ballots.slot_begin[s]; i < ballots.slot_begin[s + 1]; ++i)
            wt[i] = g == groups_with[j] ? 0.0f : ballots.Weight(i);
        }
      }
      fits[j] = FitIsolated(model, w);
    });
  });
  ThrowIfInterrupted();
  r.jk_groups = groups_with;
  r.jk_rank_lo = r.rank;
  r.jk_rank_hi = r.rank;
  double sum = 0.0;
  for (int j = 0; j < J; ++j) {
    CheckFit(fits[j], n);
    const Ranked rk = RankFit(fits[j], r.k_top, r.k_bottom);
    for (int e = 0; e < n; ++e) {
      r.jk_rank_lo[e] = std::min(r.jk_rank_lo[e], rk.rank[e]);
      r.jk_rank_hi[e] = std::max(r.jk_rank_hi[e], rk.rank[e]);
    }
    const double jac = WeightedJaccard(rk.top, full.top);
    r.jk_group_jaccard.push_back(jac);
    r.jk_group_rank.push_back(rk.rank);
    sum += jac;
    if (!fits[j].notes.empty()) {
      r.notes.push_back(fmt::format("jackknife without {}: {}", ballots.group_names[groups_with[j]],
                                    JoinNotes(fits[j].notes)));
    }
  }
  r.jk_topk_jaccard = sum / J;
}

// The raters of each BCa jackknife block: the active raters of every group,
// in an order shuffled from the block stream, dealt in turn to blocks 0, 1,
// ..., J - 1 (group after group, the deal continuing where the last group
// ended), so that every block leaves out about 1/J of every group.
std::vector<std::vector<uint32_t>> JackknifeBlocks(const RaterResampler& resampler, uint64_t seed,
                                                   int J) {
  std::vector<std::vector<uint32_t>> blocks(J);
  Rng rng(DeriveSeed(seed, {kStreamBootstrap, kBlockTag}));
  int next = 0;
  for (std::vector<uint32_t> raters : resampler.Strata()) {
    for (size_t i = raters.size(); i > 1; --i) std::swap(raters[i - 1], raters[rng.Below(i)]);
    for (uint32_t r : raters) {
      blocks[next].push_back(r);
      next = (next + 1) % J;
    }
  }
  return blocks;
}

// Efron's acceleration sum d^3 / (6 (sum d^2)^1.5), d_j = mean - value_j,
// of one evaluee's values over the jackknife fits; 0 when they all agree.
double Acceleration(const std::vector<double>& values) {
  double mean = 0.0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  double s2 = 0.0, s3 = 0.0;
  for (double v : values) {
    const double d = mean - v;
    s2 += d * d;
    s3 += d * d * d;
  }
  return s2 > 0.0 ? s3 / (6.0 * std::pow(s2, 1.5)) : 0.0;
}

// The BCa accelerations: one fit without each block of raters (weight 0),
// then Acceleration per evaluee of the scores and of the ranks.
void BcaAcceleration(const Model& model, const RatingBallots& ballots, const ResampleOptions& o,
                     Workers& workers, ResampleResult& r) {
  const RaterResampler resampler(ballots, o.scheme != ResampleScheme::kRatersByGroup);
  uint64_t active = 0;
  for (const auto& st : resampler.Strata()) active += st.size();
  const int J = static_cast<int>(std::min<uint64_t>(kBcaBlocks, active));
  const int n = r.n;
  r.accel_blocks = J;
  r.accel_score.assign(n, 0.0);
  r.accel_rank.assign(n, 0.0);
  if (J < 2) return;
  const std::vector<std::vector<uint32_t>> blocks = JackknifeBlocks(resampler, o.seed, J);
  std::vector<ScoreResult> fits(J);
  InArena(o.threads, [&] {
    ParallelFor(0, J, [&](int j) {
      if (Interrupted()) return;
      Worker& w = workers.local();
      w.rater_weight.assign(ballots.num_raters, 1.0f);
      for (uint32_t rater : blocks[j]) w.rater_weight[rater] = 0.0f;
      resampler.ApplyRaterWeights(w.rater_weight, &w.ballots.weight);
      fits[j] = FitIsolated(model, w);
    });
  });
  ThrowIfInterrupted();
  std::vector<std::vector<int>> ranks(J);
  for (int j = 0; j < J; ++j) {
    CheckFit(fits[j], n);
    ranks[j] = CompetitionRanks(fits[j].score, fits[j].tiebreak);
  }
  std::vector<double> v(J);
  for (int e = 0; e < n; ++e) {
    for (int j = 0; j < J; ++j) v[j] = fits[j].score[e];
    r.accel_score[e] = Acceleration(v);
    for (int j = 0; j < J; ++j) v[j] = ranks[j][e];
    r.accel_rank[e] = Acceleration(v);
  }
}

// The interval of one evaluee's B resampled values `v` (sorted in place):
// their quantiles at p_lo and p_hi, moved by BCa when `bca`: z0 =
// Phi^-1(share of values below `full`, values equal to it counting half,
// kept within [1 / 2B, 1 - 1 / 2B]) and p -> Phi(z0 + (z0 + z_p) / (1 -
// a (z0 + z_p))) (Efron 1987; Efron & Tibshirani 1993, ch. 14).
std::pair<double, double> IntervalOf(std::vector<double>& v, double p_lo, double p_hi, bool bca,
                                     double full, double a) {
  // NaN first, as Quantile orders them.
  std::sort(v.begin(), v.end(),
            [](double x, double y) { return std::isnan(x) ? !std::isnan(y) : x < y; });
  if (bca) {
    const double B = static_cast<double>(v.size());
    const auto below = std::lower_bound(v.begin(), v.end(), full) - v.begin();
    const auto equal = std::upper_bound(v.begin(), v.end(), full) - v.begin() - below;
    const double share =
        std::clamp((static_cast<double>(below) + 0.5 * static_cast<double>(equal)) / B, 0.5 / B,
                   1.0 - 0.5 / B);
    const double z0 = NormalQuantile(share);
    const auto adjust = [&](double p) {
      const double zz = z0 + NormalQuantile(p);
      const double den = 1.0 - a * zz;
      if (den <= 0.0) return p < 0.5 ? 0.0 : 1.0;
      return NormalCdf(z0 + zz / den);
    };
    p_lo = adjust(p_lo);
    p_hi = adjust(p_hi);
  }
  return {SortedQuantile(v, p_lo), SortedQuantile(v, p_hi)};
}

}  // namespace

BootstrapIntervalSet BootstrapIntervals(const ResampleResult& r, double level,
                                        IntervalMethod method) {
  const int n = r.n, B = r.resamples;
  const bool bca = method == IntervalMethod::kBca;
  EVALSIM_CHECK(!bca || (static_cast<int>(r.accel_score.size()) == n &&
                         static_cast<int>(r.accel_rank.size()) == n),
                "BootstrapIntervals: BCa needs the accelerations");
  BootstrapIntervalSet out;
  out.lo.assign(n, 0.0);
  out.hi.assign(n, 0.0);
  out.rank_lo.assign(n, 0.0);
  out.rank_hi.assign(n, 0.0);
  if (B == 0) return out;
  const double p_lo = (1.0 - level) / 2.0, p_hi = (1.0 + level) / 2.0;
  ParallelFor(tbb::blocked_range<int>(0, n, 64), [&](const tbb::blocked_range<int>& er) {
    std::vector<double> v(B);
    for (int e = er.begin(); e < er.end(); ++e) {
      for (int s = 0; s < B; ++s) v[s] = r.scores[static_cast<size_t>(s) * n + e];
      std::tie(out.lo[e], out.hi[e]) =
          IntervalOf(v, p_lo, p_hi, bca, r.full.score[e], bca ? r.accel_score[e] : 0.0);
      for (int s = 0; s < B; ++s) v[s] = r.ranks[static_cast<size_t>(s) * n + e];
      std::tie(out.rank_lo[e], out.rank_hi[e]) =
          IntervalOf(v, p_lo, p_hi, bca, r.rank[e], bca ? r.accel_rank[e] : 0.0);
    }
  });
  return out;
}

ResampleResult Resample(const Model& model, const RatingBallots& ballots,
                        const ResampleOptions& o) {
  CheckResampleOptions(o);
  ResampleResult r;
  const int n = ballots.NumRatees();
  const int B = o.bootstrap;
  r.n = n;
  r.level = o.level;
  r.k_top = QuotaCount(o.top, n);
  r.k_bottom = QuotaCount(o.bottom, n);
  CheckResampleMemory(n, B);
  const std::vector<int> groups_with = GroupsWithBallots(ballots);
  if (o.jackknife && groups_with.size() < 2) {
    throw InputError(fmt::format(
        "--jackknife needs at least two rater groups; the ballots have {} group(s) with ballots",
        groups_with.size()));
  }

  ModelInput input;
  input.ratings = &ballots;
  r.full = model.Score(input);
  CheckFit(r.full, n);
  const Ranked full = RankFit(r.full, r.k_top, r.k_bottom);
  r.rank = full.rank;
  r.resamples = B;
  r.jackknife = o.jackknife;
  if (B == 0 && !o.jackknife) return r;

  const uint64_t N = ballots.NumBallots();
  // One copy of the ballots per worker thread, made on its first resample.
  Workers workers([&ballots, N] {
    Worker w;
    w.ballots = ballots;
    w.ballots.weight.resize(N);
    return w;
  });
  r.scheme = o.scheme;
  r.interval = o.interval;
  if (B > 0) {
    Bootstrap(model, ballots, o, workers, r);
    if (o.interval == IntervalMethod::kBca) BcaAcceleration(model, ballots, o, workers, r);
    BootstrapIntervalSet iv;
    InArena(o.threads, [&] { iv = BootstrapIntervals(r, o.level, o.interval); });
    r.lo = std::move(iv.lo);
    r.hi = std::move(iv.hi);
    r.rank_lo = std::move(iv.rank_lo);
    r.rank_hi = std::move(iv.rank_hi);
  }
  if (o.jackknife) Jackknife(model, ballots, o, groups_with, full, workers, r);
  return r;
}

std::string ResampleScoresCsv(const std::vector<std::string>& ratee_names, const ResampleResult& r,
                              const std::vector<std::string>& classes) {
  const int n = static_cast<int>(ratee_names.size());
  EVALSIM_CHECK(static_cast<int>(r.rank.size()) == n,
                "ResampleScoresCsv: names and result differ in size");
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return r.rank[x] < r.rank[y]; });
  const bool se = r.full.se.size() == n;
  const bool boot = r.resamples > 0;
  const bool jk = r.jackknife;
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  const bool cls = !classes.empty();
  fmt::format_to(it, "ratee,score,rank{}{}{}{}\n", se ? ",se" : "",
                 boot ? ",lo,hi,rank_lo,rank_hi,p_top,p_bottom" : "",
                 jk ? ",jk_rank_lo,jk_rank_hi" : "", cls ? ",class" : "");
  for (int e : order) {
    fmt::format_to(it, "{},{},{}", CsvField(ratee_names[e]), Num(r.full.score[e]), r.rank[e]);
    if (se) fmt::format_to(it, ",{}", Num(r.full.se[e]));
    if (boot) {
      fmt::format_to(it, ",{},{},{},{},{},{}", Num(r.lo[e]), Num(r.hi[e]), Num(r.rank_lo[e]),
                     Num(r.rank_hi[e]), Num(r.p_top[e]), Num(r.p_bottom[e]));
    }
    if (jk) fmt::format_to(it, ",{},{}", r.jk_rank_lo[e], r.jk_rank_hi[e]);
    if (cls) fmt::format_to(it, ",{}", CsvField(classes[e]));
    fmt::format_to(it, "\n");
  }
  return fmt::to_string(out);
}

std::vector<std::string> ResampleSummaryLines(const RatingBallots& ballots,
                                              const ResampleResult& r) {
  std::vector<std::string> lines;
  if (r.resamples > 0 || r.jackknife) {
    lines.push_back(fmt::format("resample.k_top = {}", r.k_top));
    lines.push_back(fmt::format("resample.k_bottom = {}", r.k_bottom));
  }
  if (r.resamples > 0) {
    lines.push_back(fmt::format("bootstrap.resamples = {}", r.resamples));
    lines.push_back(fmt::format("bootstrap.scheme = {}", ResampleSchemeName(r.scheme)));
    lines.push_back(fmt::format("bootstrap.interval = {}", IntervalMethodName(r.interval)));
    if (r.jaccard_pairs > 0) {
      lines.push_back(fmt::format("bootstrap.topk_jaccard = {} [{}, {}]", r.topk_jaccard.value,
                                  r.topk_jaccard.lo, r.topk_jaccard.hi));
    }
  }
  if (r.jackknife) {
    lines.push_back(fmt::format("jackknife.topk_jaccard = {}", r.jk_topk_jaccard));
    for (size_t j = 0; j < r.jk_groups.size(); ++j) {
      lines.push_back(fmt::format("jackknife.topk_jaccard.without.{} = {}",
                                  ballots.group_names[r.jk_groups[j]], r.jk_group_jaccard[j]));
    }
  }
  return lines;
}

}  // namespace evalsim
