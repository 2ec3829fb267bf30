#include "sim/scenario_parts.h"

namespace evalsim {

// Not read yet: a [indicators] table is reported as an unknown key.
void ReadIndicators(OptionReader&, Scenario&, std::vector<std::string>&) {}

}  // namespace evalsim
