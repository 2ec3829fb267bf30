// Multi-item ballots for every ratings model, in one place: unless a model
// scores items itself (ModelSpec::models_items), the registry wraps it so
// that on ballots with items it scores each item alone (ItemSlice) and
// combines the item scores with its `item_weights` option,
//   score = sum_i w_i * score_i / sum_i w_i,
// by default the scenario's [[items]] weights (ModelContext::item_weights),
// else equal weights over the items; the key "overall" weighs the
// ballot's overall grade (0 by default), so `item_weights = { overall = 1 }`
// scores the overall grade alone. On ballots without items the wrapped model
// runs unchanged. Standard errors combine as if the items were independent,
// sqrt(sum_i (w_i / W)^2 se_i^2); tiebreaks and per-rater estimates combine
// like the scores.
#ifndef EVALSIM_MODELS_ITEMS_H_
#define EVALSIM_MODELS_ITEMS_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/model.h"
#include "models/spec.h"
#include "sim/core/options.h"

namespace evalsim {

// The declaration of `item_weights` that every ratings model gets.
ParamDoc ItemWeightsParam();

// Weights by item name ("overall" for the overall grade); empty = default.
using ItemWeights = std::vector<std::pair<std::string, double>>;

// Reads `item_weights` (a table of item = weight >= 0, not all 0), checking
// the names against ctx.item_names when the data's items are known.
ItemWeights ReadItemWeights(OptionReader& opts, const ModelContext& ctx);

// Wraps a ratings model as described above.
std::unique_ptr<Model> CombineItems(std::unique_ptr<Model> model, ItemWeights weights);

// The weight of every item of `b` and, last, of the overall grade (for a
// model that reads items itself and weighs them). InputError-free: names
// the data lacks weigh nothing.
std::vector<double> ResolveItemWeights(const ItemWeights& weights,
                                       const std::vector<std::string>& item_names);

}  // namespace evalsim

#endif  // EVALSIM_MODELS_ITEMS_H_
