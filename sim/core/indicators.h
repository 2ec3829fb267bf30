// Objective indicators per evaluee (a matrix of units x indicators), as read
// from an indicators CSV or generated from a scenario's [[indicators]].
#ifndef EVALSIM_SIM_CORE_INDICATORS_H_
#define EVALSIM_SIM_CORE_INDICATORS_H_

#include <Eigen/Core>
#include <string>
#include <vector>

namespace evalsim {

struct IndicatorTable {
  std::vector<std::string> ratee_names;  // units, size n
  std::vector<std::string> names;        // indicators, size m
  Eigen::MatrixXd values;                // n x m; NaN = missing
  // Default direction of each indicator (true = cost: lower is better);
  // models use it unless their `directions` option says otherwise.
  std::vector<bool> cost;

  int NumRatees() const { return static_cast<int>(ratee_names.size()); }
  int NumIndicators() const { return static_cast<int>(names.size()); }
};

}  // namespace evalsim

#endif  // EVALSIM_SIM_CORE_INDICATORS_H_
