// `evalsim models`: every model, its parameters and the rubric presets.
#include <fmt/format.h>

#include <iostream>

#include "models/registry.h"
#include "sim/cli/cli.h"
#include "sim/scenario/presets.h"

namespace evalsim {
namespace {

int CmdModels() {
  for (const auto& spec : Models().Specs()) {
    std::cout << fmt::format("{}  (input: {})\n  {}\n", spec.name, InputKindName(spec.input),
                             spec.summary);
    if (spec.input == InputKind::kRatings)
      std::cout << (spec.models_items
                        ? "  items: modelled by the model itself (one fit over every item)\n"
                        : "  items: each item scored alone, combined with item_weights\n");
    for (const auto& p : spec.params)
      std::cout << fmt::format("    {:<14} {:<18} default {}\n    {:<14} {}\n", p.name, p.type,
                               p.default_value, "", p.doc);
    std::cout << "\n";
  }
  std::cout << "Rubric presets (use `preset = \"NAME\"` in a [[models]] entry):\n";
  for (const auto& p : RubricPresets())
    std::cout << fmt::format("  {:<24} {}\n", p.name, p.description);
  return 0;
}

}  // namespace

Command AddModelsCommand(CLI::App& parent) {
  Command c;
  c.app =
      parent.add_subcommand("models", "list every model, its parameters and the rubric presets");
  c.run = [] { return CmdModels(); };
  return c;
}

}  // namespace evalsim
