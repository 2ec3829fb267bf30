// Indicator generation: every evaluee's objective indicators for one
// replicate, from the scenario's [[indicators]] and the true quality.
// Each indicator draws from its own stream DeriveSeed(seed, indicators,
// replicate, indicator), so the values do not depend on the thread count
// and adding an indicator does not change the others.
#ifndef EVALSIM_SIM_INDICATOR_GEN_H_
#define EVALSIM_SIM_INDICATOR_GEN_H_

#include "sim/indicators.h"
#include "sim/organisation.h"
#include "sim/scenario.h"

namespace evalsim {

// An empty table (no columns) when the scenario has no indicators.
IndicatorTable GenerateIndicators(const Scenario& s, const Organisation& org, int replicate);

}  // namespace evalsim

#endif  // EVALSIM_SIM_INDICATOR_GEN_H_
