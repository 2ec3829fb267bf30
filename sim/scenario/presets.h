// Rubric presets (docs/sources.md §9): complete scoring rules a [[models]] entry
// can name with `preset = "..."`. The preset supplies the model and its
// parameters and classes; keys given in the entry override the preset's.
#ifndef EVALSIM_SIM_SCENARIO_PRESETS_H_
#define EVALSIM_SIM_SCENARIO_PRESETS_H_

#include <toml++/toml.h>

#include <string>
#include <vector>

namespace evalsim {

struct RubricPreset {
  std::string name;
  std::string description;  // what it is and which facts it rests on
  toml::table table;        // model, parameters, classes
};

const std::vector<RubricPreset>& RubricPresets();
const RubricPreset* FindRubricPreset(const std::string& name);

}  // namespace evalsim

#endif  // EVALSIM_SIM_SCENARIO_PRESETS_H_
