// placeholder
#ifndef EVALSIM_SIM_PREFLIGHT_H_
#define EVALSIM_SIM_PREFLIGHT_H_
namespace evalsim {}
#endif  // EVALSIM_SIM_PREFLIGHT_H_
