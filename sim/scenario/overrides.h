// `--set key.path=value` overrides of a scenario's TOML, applied before the
// scenario is read.
#ifndef EVALSIM_SIM_SCENARIO_OVERRIDES_H_
#define EVALSIM_SIM_SCENARIO_OVERRIDES_H_

#include <toml++/toml.h>

#include <string>
#include <vector>

namespace evalsim {

// Applies `key.path=value` overrides to a parsed TOML table. Arrays of tables
// are addressed by index or by their `group` / `name` value.
void ApplyOverrides(toml::table& root, const std::vector<std::string>& overrides);

// `--set key=value` flags (TOML values) as a table; InputError on a flag
// without `=` or a value that is not TOML.
toml::table ParseSets(const std::vector<std::string>& sets);

}  // namespace evalsim

#endif  // EVALSIM_SIM_SCENARIO_OVERRIDES_H_
