// What a run costs the machine, for manifests.
#ifndef EVALSIM_SIM_CORE_RESOURCES_H_
#define EVALSIM_SIM_CORE_RESOURCES_H_

#include <cstdint>

namespace evalsim {

// Peak resident set size of this process so far, in bytes (getrusage).
uint64_t PeakMemoryBytes();

}  // namespace evalsim

#endif  // EVALSIM_SIM_CORE_RESOURCES_H_
