#include "models/indicators/grey_relational.h"

#include "models/indicators/composite.h"

namespace evalsim {

ModelSpec GreyRelationalSpec() {
  ModelSpec spec;
  spec.name = "grey_relational";
  spec.input = InputKind::kIndicators;
  spec.summary =
      "grey relational analysis (Deng 1989): weighted mean grey relational coefficient against "
      "the best value of each indicator";
  spec.params = IndicatorParamDocs(IndicatorMethod::kGreyRelational);
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    return MakeIndicatorModel(ReadIndicatorOptions(IndicatorMethod::kGreyRelational, in));
  };
  return spec;
}

}  // namespace evalsim
