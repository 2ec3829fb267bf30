// Multi-item ballots: scoring 10^7 item-grades (2 * 10^6 ballots of five
// items) with weighted_mean through the per-item combination, against one
// pass over 10^7 single-grade ballots; bytes and nanoseconds per item-grade.
#include <benchmark/benchmark.h>
#include <toml++/toml.h>

#include <memory>
#include <string>

#include "bench/bench_inputs.h"
#include "models/registry.h"

namespace evalsim::bench {
namespace {

// 400 meetings of 20 evaluees and 250 raters: 2e6 ballots; with five items
// 1e7 item-grades. Without items and 1250 raters: 1e7 ballots.
std::string ItemsScenario(int raters, bool items) {
  std::string s = R"(name = "bench_items"
seed = 1
replicates = 1
[scale]
labels = ["a", "b", "c", "d"]
shares = [0.05, 0.15, 0.3, 0.5]
[organisation]
levels = [ { name = "district", count = 400 }, { name = "town", count = 20 } ]
evaluees = "town"
[meetings]
by = "district"
[[raters]]
group = "members"
)";
  s += "count = " + std::to_string(raters) + "\nhalo = 0.4\n";
  if (items)
    for (const char* name : {"de", "neng", "qin", "ji", "lian"})
      s += std::string("[[items]]\nname = \"") + name + "\"\n";
  return s + "[[models]]\nname = \"m\"\nmodel = \"weighted_mean\"\n";
}

struct ItemInputs {
  Scenario scenario;
  Organisation organisation;
  RatingBallots ballots;
};

const ItemInputs& Build(bool items) {
  static std::unique_ptr<ItemInputs> built[2];
  std::unique_ptr<ItemInputs>& in = built[items];
  if (!in) {
    in = std::make_unique<ItemInputs>();
    in->scenario = ParseScenario(ItemsScenario(items ? 250 : 1250, items), "bench_items.toml");
    in->organisation = BuildOrganisation(in->scenario);
    const GeneratorSetup setup = MakeGeneratorSetup(in->scenario, in->organisation);
    GenerateBallots(setup, 0, false, &in->ballots);
  }
  return *in;
}

void BM_ScoreItems(benchmark::State& state, bool items) {
  const RatingBallots& b = Build(items).ballots;
  ModelContext ctx(b.levels, b.group_names);
  ctx.item_names = b.item_names;
  const auto model = Models().Create("weighted_mean", toml::table{}, ctx, "", "bench");
  ModelInput input;
  input.ratings = &b;
  for (auto _ : state) {
    ScoreResult r = model->Score(input);
    benchmark::DoNotOptimize(r.score.data());
  }
  const uint64_t grades = items ? b.item_ballot.size() : b.NumBallots();
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(grades));
  state.counters["ns_per_item_grade"] = benchmark::Counter(
      static_cast<double>(grades) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  // Item-grades only: the overall grades beside them are not counted.
  const double item_bytes = items ? static_cast<double>(b.item_ballot.size() * sizeof(uint32_t) +
                                                        b.item_slot_begin.size() * sizeof(uint64_t))
                                  : static_cast<double>(b.StorageBytes());
  state.counters["bytes_per_item_grade"] = item_bytes / static_cast<double>(grades);
  state.counters["item_grades"] = static_cast<double>(grades);
}

}  // namespace

void RegisterItemBenchmarks() {
  benchmark::RegisterBenchmark("Items/weighted_mean/five_items_1e7", BM_ScoreItems, true)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("Items/weighted_mean/single_grade_1e7", BM_ScoreItems, false)
      ->Unit(benchmark::kMillisecond);
}

}  // namespace evalsim::bench
