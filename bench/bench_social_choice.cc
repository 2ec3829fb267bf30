// Social-choice models on synthetic profiles: Schulze's O(n^3) widest paths
// at 1,000 candidates, Borda and Copeland (O(n^2) from the pairwise tally),
// exact Kemeny at 12 candidates (O(2^n n^2)), Kemeny's local search beyond,
// and sequential Elo over a long comparison sequence. Each loop body is one
// Score() call, tally included. Profiles are drawn once with a fixed seed:
// every voter ranks all candidates by a common quality plus noise, so that
// the pairwise counts are neither unanimous nor uniform.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "models/common/ranking_tally.h"
#include "models/pairwise/elo.h"
#include "models/rankings/borda.h"
#include "models/rankings/copeland.h"
#include "models/rankings/kemeny.h"
#include "models/rankings/schulze.h"
#include "models/registry.h"
#include "sim/core/rng.h"

namespace evalsim::bench {
namespace {

constexpr int kVoters = 50;

// `voters` complete strict orders over n candidates.
RankingBallots RandomRankings(int n, int voters, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> quality(n), u(n);
  for (double& q : quality) q = rng.Normal();
  RankingBallots b;
  for (int c = 0; c < n; ++c) b.ratee_names.push_back("c" + std::to_string(c));
  std::vector<uint32_t> idx(n);
  for (int v = 0; v < voters; ++v) {
    for (int c = 0; c < n; ++c) u[c] = quality[c] + 2.0 * rng.Normal();
    std::iota(idx.begin(), idx.end(), 0u);
    std::sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t z) { return u[a] > u[z]; });
    for (int p = 0; p < n; ++p) {
      b.candidate.push_back(idx[p]);
      b.tier.push_back(static_cast<uint32_t>(p));
    }
    b.order_begin.push_back(b.candidate.size());
    b.count.push_back(1.0);
  }
  return b;
}

const RankingBallots& Profile(int n) {
  static std::map<int, RankingBallots> cache;
  auto it = cache.find(n);
  if (it == cache.end()) it = cache.emplace(n, RandomRankings(n, kVoters, 20260101 + n)).first;
  return it->second;
}

std::unique_ptr<Model> Make(ModelSpec spec, const std::string& options = "") {
  Registry r;
  const std::string name = spec.name;
  r.Add(std::move(spec));
  const toml::table table = toml::parse(std::string_view(options), std::string_view("bench"));
  return r.Create(name, table, ModelContext{}, "bench", "bench");
}

void RunRankings(benchmark::State& state, ModelSpec spec, const std::string& options) {
  const int n = static_cast<int>(state.range(0));
  const RankingBallots& b = Profile(n);
  const std::unique_ptr<Model> model = Make(std::move(spec), options);
  ModelInput in;
  in.rankings = &b;
  for (auto _ : state) {
    ScoreResult r = model->Score(in);
    benchmark::DoNotOptimize(r.score.data());
  }
  state.counters["candidates"] = n;
  state.counters["voters"] = kVoters;
}

void BM_Schulze(benchmark::State& state) { RunRankings(state, SchulzeSpec(), ""); }
void BM_Borda(benchmark::State& state) { RunRankings(state, BordaSpec(), ""); }
void BM_Copeland(benchmark::State& state) { RunRankings(state, CopelandSpec(), ""); }
void BM_KemenyExact(benchmark::State& state) { RunRankings(state, KemenySpec(), ""); }
void BM_KemenyLocal(benchmark::State& state) { RunRankings(state, KemenySpec(), "exact_max = 0"); }

// The pairwise tally alone (the shared first step of copeland, schulze and
// kemeny), to separate it from the rule's own cost.
void BM_RankingTally(benchmark::State& state) {
  const RankingBallots& b = Profile(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    RankingTally t = TallyRankings(b, false);
    benchmark::DoNotOptimize(t.beats.data());
  }
}

void BM_Elo(benchmark::State& state) {
  const int n = 1000;
  const int64_t m = state.range(0);
  Rng rng(7);
  PairwiseBallots b;
  for (int c = 0; c < n; ++c) b.ratee_names.push_back("c" + std::to_string(c));
  for (int64_t g = 0; g < m; ++g) {
    const uint32_t i = static_cast<uint32_t>(rng.Below(n));
    const uint32_t j = static_cast<uint32_t>((i + 1 + rng.Below(n - 1)) % n);
    b.seq_winner.push_back(std::min(i, j));  // lower id wins: a fixed truth
    b.seq_loser.push_back(std::max(i, j));
    b.seq_weight.push_back(1.0f);
  }
  const std::unique_ptr<Model> model = Make(EloSpec());
  ModelInput in;
  in.pairwise = &b;
  for (auto _ : state) {
    ScoreResult r = model->Score(in);
    benchmark::DoNotOptimize(r.score.data());
  }
  state.SetItemsProcessed(state.iterations() * m);
}

BENCHMARK(BM_Schulze)->Arg(100)->Arg(300)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RankingTally)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Borda)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Copeland)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KemenyExact)->Arg(10)->Arg(12)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KemenyLocal)->Arg(12)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Elo)->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace evalsim::bench
