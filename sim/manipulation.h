// placeholder
#ifndef EVALSIM_SIM_MANIPULATION_H_
#define EVALSIM_SIM_MANIPULATION_H_
namespace evalsim {}
#endif  // EVALSIM_SIM_MANIPULATION_H_
