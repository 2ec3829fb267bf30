// placeholder
#ifndef EVALSIM_SIM_FAIRNESS_H_
#define EVALSIM_SIM_FAIRNESS_H_
namespace evalsim {}
#endif  // EVALSIM_SIM_FAIRNESS_H_
