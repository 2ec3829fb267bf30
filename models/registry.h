// The one model registry: name -> spec (models/spec.h: summary, declared
// parameters, input kind, memory cost) -> factory. Every model is registered by one line in
// registry.cc; listing order is registration order.
#ifndef EVALSIM_MODELS_REGISTRY_H_
#define EVALSIM_MODELS_REGISTRY_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/model.h"
#include "models/spec.h"
#include "sim/core/options.h"

namespace evalsim {

class Registry {
 public:
  void Add(ModelSpec spec);
  const ModelSpec* Find(const std::string& name) const;
  const std::vector<ModelSpec>& Specs() const { return specs_; }
  std::vector<std::string> Names() const;

  // Creates `name` from `options`. Keys in `ignored` (e.g. `name`, `model`
  // of a [[models]] entry) are accepted without being passed to the model;
  // `fallback` supplies keys `options` lacks (a rubric preset's).
  // Throws InputError naming file, line and key on any problem.
  std::unique_ptr<Model> Create(const std::string& name, const toml::table& options,
                                const ModelContext& ctx, const std::string& file,
                                const std::string& path, const std::set<std::string>& ignored = {},
                                const toml::table* fallback = nullptr) const;

 private:
  std::vector<ModelSpec> specs_;
};

// The registry with every built-in model.
const Registry& Models();

}  // namespace evalsim

#endif  // EVALSIM_MODELS_REGISTRY_H_
