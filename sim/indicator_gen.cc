#include "sim/indicator_gen.h"

namespace evalsim {

IndicatorTable GenerateIndicators(const Scenario& /*s*/, const Organisation& org,
                                  int /*replicate*/) {
  IndicatorTable t;
  t.ratee_names = org.evaluee_names;
  t.values.resize(org.NumEvaluees(), 0);
  return t;
}

}  // namespace evalsim
