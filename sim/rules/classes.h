// Classes (grades of the result, e.g. 优秀 / 称职 / 不称职) on top of scores:
// score bands, a top quota, a bottom tranche and gates on vote shares.
//
// Order of application:
//   1. band by score (first band whose `min` the score reaches; the last band
//      may omit `min`), or `default_label` when there are no bands;
//   2. top quota: the top class (first band's label, or `top_label` when
//      there are no bands) is kept only by evaluees ranked within
//      ceil(top_quota * n) (ties included); the others fall to the next band
//      (or `default_label`);
//   3. bottom tranche: evaluees ranked in the last ceil(bottom_share * n)
//      positions get `bottom_label`;
//   4. gates override everything: an evaluee whose share of votes in
//      `grades` is above `above` (or below `below`) gets the gate's label;
//      the first gate that matches decides, so list the most severe first.
#ifndef EVALSIM_SIM_RULES_CLASSES_H_
#define EVALSIM_SIM_RULES_CLASSES_H_

#include <Eigen/Core>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/ballots.h"
#include "sim/core/options.h"

namespace evalsim {

struct Band {
  std::optional<double> min;  // score >= min; absent for the last band
  std::string label;
};

struct Gate {
  std::vector<int64_t> grades;
  std::optional<double> above;  // share > above
  std::optional<double> below;  // share < below
  std::string label;
};

struct ClassRules {
  std::vector<Band> bands;
  std::vector<Gate> gates;
  std::optional<double> top_quota;
  std::optional<double> bottom_share;
  std::string top_label = "top";
  std::string bottom_label = "bottom";
  std::string default_label = "-";

  bool Empty() const { return bands.empty() && gates.empty() && !top_quota && !bottom_share; }
  // The label of the top class, and the labels that count as "bottom" for
  // metrics (bottom_label and every gate label).
  std::string TopLabel() const;
  bool IsBottomLabel(const std::string& label) const;
};

// Reads a `classes` table; `levels` bounds the gate grades.
ClassRules ReadClassRules(OptionReader& opts, int levels);

// One label index per ratee into `labels` (filled with the distinct labels in
// rule order). `rank` is the competition rank (1 = best).
std::vector<int> AssignClasses(const ClassRules& rules, const RatingBallots& ballots,
                               const Eigen::VectorXd& score, const std::vector<int>& rank,
                               std::vector<std::string>* labels);

}  // namespace evalsim

#endif  // EVALSIM_SIM_RULES_CLASSES_H_
