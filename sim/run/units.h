// Per-unit class outcomes (units.csv): for every model with classes, every
// unit at every level above the evaluees, how many of its evaluees got each
// class, and how its share of the top class compares with the truth's.
//
// The truth's allocation: in each replicate the model gives the top class
// to K evaluees; the truth gives it to the K truly best evaluees of the whole
// organisation (by true quality, ties in evaluee order). A unit's distance
// is |its top-class count - the truth's count|; summed over the units of a
// level and halved, it is the number of top places the model put in the
// wrong units.
#ifndef EVALSIM_SIM_RUN_UNITS_H_
#define EVALSIM_SIM_RUN_UNITS_H_

#include <fmt/format.h>

#include <Eigen/Core>
#include <string>
#include <vector>

#include "sim/simulate/organisation.h"

namespace evalsim {

struct ModelOutcome;

// One level's units for one model; means over replicates.
struct UnitClasses {
  int level = 0;                    // index into Organisation::unit_levels
  std::vector<int> evaluees;        // per unit
  Eigen::MatrixXd count;            // [unit, label]: evaluees given the label
  Eigen::VectorXd truth, distance;  // per unit: the truth's top-class count, |count - truth|
};

// Evaluees by true quality, best first, ties in evaluee order.
std::vector<int> TruthOrder(const std::vector<double>& quality);

// The outcomes of one model's classes ([replicate][evaluee] indices into
// `labels`) at every level above the evaluees.
std::vector<UnitClasses> UnitOutcomes(const Organisation& org, const std::vector<int>& truth_order,
                                      const std::vector<std::vector<int>>& classes,
                                      const std::vector<std::string>& labels,
                                      const std::string& top_label);

// units.csv: model,level,unit,evaluees,class,count,share,truth_count,distance
// with a row per model, level, unit and class, for the top class and every
// class given at least once in the run; truth_count and distance on the top
// class's rows only. Rows are formatted one at a time (the file is written
// in windows, like evaluees.csv): one block per model with units and level,
// of units x classes rows.
class UnitsTable {
 public:
  static constexpr const char* kHeader =
      "model,level,unit,evaluees,class,count,share,truth_count,distance\n";

  UnitsTable(const Organisation& org, const std::vector<ModelOutcome>& models);
  size_t Rows() const { return starts_.back(); }
  void AppendRow(fmt::memory_buffer& out, size_t row) const;

 private:
  struct Block {
    const ModelOutcome* model;
    const UnitClasses* level;
    std::string prefix;        // "model,level,"
    std::vector<int> classes;  // the classes with rows
  };
  const Organisation& org_;
  std::vector<Block> blocks_;
  std::vector<size_t> starts_{0};  // first row of each block, then the row count
};

}  // namespace evalsim

#endif  // EVALSIM_SIM_RUN_UNITS_H_
