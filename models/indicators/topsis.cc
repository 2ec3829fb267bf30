#include "models/indicators/topsis.h"

#include "models/indicators/composite.h"

namespace evalsim {

ModelSpec TopsisSpec() {
  ModelSpec spec;
  spec.name = "topsis";
  spec.input = InputKind::kIndicators;
  spec.summary =
      "TOPSIS (Hwang & Yoon 1981): relative closeness to the ideal unit after normalisation "
      "(vector by default) and weighting";
  spec.params = IndicatorParamDocs(IndicatorMethod::kTopsis);
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    return MakeIndicatorModel(ReadIndicatorOptions(IndicatorMethod::kTopsis, in));
  };
  return spec;
}

}  // namespace evalsim
