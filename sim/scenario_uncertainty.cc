#include "sim/scenario_parts.h"

namespace evalsim {

// Not read yet: an [uncertainty] table is reported as an unknown key.
void ReadUncertainty(OptionReader&, Scenario&, std::vector<std::string>&) {}

}  // namespace evalsim
