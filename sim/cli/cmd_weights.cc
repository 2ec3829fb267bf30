// `evalsim weights`: objective indicator weights (entropy or CRITIC,
// models/indicators/mcda.h) of an indicators CSV, as JSON.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "models/indicators/mcda.h"
#include "sim/cli/cli.h"
#include "sim/core/options.h"
#include "sim/io/csv.h"

namespace evalsim {
namespace {

struct WeightsFlags {
  std::string method, ballots;
  std::vector<std::string> sets;
};

// The indicators' directions: the CSV's, or --set directions=[...].
std::vector<bool> Directions(const IndicatorTable& t, OptionReader& opts) {
  std::vector<bool> cost = t.cost;
  if (auto d = opts.StringList("directions")) {
    if (static_cast<int>(d->size()) != t.NumIndicators()) {
      opts.Error("directions", fmt::format("found {} entries; expected one per indicator ({})",
                                           d->size(), t.NumIndicators()));
    } else {
      for (size_t i = 0; i < d->size(); ++i) {
        if ((*d)[i] != "benefit" && (*d)[i] != "cost")
          opts.Error("directions",
                     fmt::format("found \"{}\"; expected \"benefit\" or \"cost\"", (*d)[i]));
        else
          cost[i] = (*d)[i] == "cost";
      }
    }
  }
  return cost;
}

int CmdWeights(const WeightsFlags& f) {
  const IndicatorTable t = ReadIndicatorsCsv(f.ballots);
  const toml::table options = ParseSets(f.sets);
  OptionReader opts(options, "--set", "weights");
  const std::vector<bool> cost = Directions(t, opts);
  mcda::WeightsResult r;
  std::string detail;
  if (f.method == "entropy") {
    mcda::EntropyOptions eo;
    eo.input = *mcda::FindEntropyInput(opts.String("input", "raw", {"raw", "minmax"}));
    eo.shift = opts.Double("shift", 0.0, AtLeast(0.0));
    opts.FinishOrThrow();
    r = mcda::EntropyWeights(t.values, cost, eo);
    detail = "entropy";
  } else {
    opts.FinishOrThrow();
    r = mcda::CriticWeights(t.values, cost);
    detail = "information";
  }
  nlohmann::ordered_json j;
  j["names"] = t.names;
  j["weights"] = JsonVector(r.weights);
  j["method"] = f.method;
  j[detail] = JsonVector(r.detail);
  j["units"] = t.NumRatees();
  if (!r.notes.empty()) j["notes"] = r.notes;
  std::cout << j.dump(2) << "\n";
  return 0;
}

}  // namespace

Command AddWeightsCommand(CLI::App& parent) {
  auto f = std::make_shared<WeightsFlags>();
  Command c;
  c.app = parent.add_subcommand("weights", "objective indicator weights (JSON)");
  c.app->add_option("--method", f->method, "entropy or critic")
      ->required()
      ->check(CLI::IsMember({"entropy", "critic"}));
  c.app->add_option("--ballots", f->ballots, "indicators CSV (unit, then one column each)")
      ->required();
  c.app->add_option("--set", f->sets,
                    "directions=[\"benefit\",\"cost\",...]; entropy: input=\"raw\"|\"minmax\", "
                    "shift=number");
  c.run = [f] { return CmdWeights(*f); };
  return c;
}

}  // namespace evalsim
