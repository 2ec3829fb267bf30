#include "sim/scenario_parts.h"

namespace evalsim {

// Not read yet: a [comparisons] table is reported as an unknown key.
void ReadComparisons(OptionReader&, Scenario&, std::vector<std::string>&) {}

}  // namespace evalsim
