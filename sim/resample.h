// placeholder
#ifndef EVALSIM_SIM_RESAMPLE_H_
#define EVALSIM_SIM_RESAMPLE_H_
namespace evalsim {}
#endif  // EVALSIM_SIM_RESAMPLE_H_
