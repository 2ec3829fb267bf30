// `evalsim models`: every model, its parameters and the rubric presets.
#include <fmt/format.h>

#include <iostream>

#include "models/registry.h"
#include "sim/cli/cli.h"
#include "sim/scenario/presets.h"

namespace evalsim {
namespace {

// How the ratings models number the grades, and where `score` takes their
// count from (one place for the `levels` option every ratings model shares).
constexpr const char* kGradesNote =
    "Grades (every ratings model): integers 0..K-1, 0 the lowest grade; points, shares and\n"
    "labels are listed lowest first. `evalsim score` takes K from `--set levels=K`, else from\n"
    "the [scale] of --scenario, else from the file (its highest grade + 1, refused when a\n"
    "grade between its lowest and highest never occurs: then give levels=K).\n"
    "    levels         integer in [2,250] default the highest grade in the file + 1\n"
    "                   number of grades K of a ratings file (`evalsim score --set levels=K`)\n\n";

int CmdModels() {
  for (const auto& spec : Models().Specs()) {
    std::cout << fmt::format("{}  (input: {})\n  {}\n", spec.name, InputKindName(spec.input),
                             spec.summary);
    if (spec.input == InputKind::kRatings)
      std::cout << (spec.models_items
                        ? "  items: modelled by the model itself (one fit over every item)\n"
                        : "  items: each item scored alone, combined with item_weights\n");
    if (spec.group_scales)
      std::cout << "  scales: each rater group on its own scale ([[scales]], scale_points)\n";
    else if (spec.pools_grades)
      std::cout << "  scales: one K-grade scale for every group (refuses groups on scales of "
                   "their own)\n";
    for (const auto& p : spec.params)
      std::cout << fmt::format("    {:<14} {:<18} default {}\n    {:<14} {}\n", p.name, p.type,
                               p.default_value, "", p.doc);
    std::cout << "\n";
  }
  std::cout << kGradesNote;
  std::cout << "Rubric presets (use `preset = \"NAME\"` in a [[models]] entry, or `evalsim "
               "score --preset NAME`):\n";
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
