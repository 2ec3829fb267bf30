// placeholder
#ifndef EVALSIM_SIM_SWEEP_H_
#define EVALSIM_SIM_SWEEP_H_
namespace evalsim {}
#endif  // EVALSIM_SIM_SWEEP_H_
