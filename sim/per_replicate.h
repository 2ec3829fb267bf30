// placeholder
#ifndef EVALSIM_SIM_PER_REPLICATE_H_
#define EVALSIM_SIM_PER_REPLICATE_H_
namespace evalsim {}
#endif  // EVALSIM_SIM_PER_REPLICATE_H_
