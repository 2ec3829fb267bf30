#include "models/registry.h"

#include <fmt/format.h>

#include "models/indicators/composite.h"
#include "models/indicators/grey_relational.h"
#include "models/indicators/ruian_points.h"
#include "models/indicators/topsis.h"
#include "models/items.h"
#include "models/pairwise/bradley_terry.h"
#include "models/pairwise/elo.h"
#include "models/pairwise/hodgerank.h"
#include "models/pairwise/rank_centrality.h"
#include "models/rankings/borda.h"
#include "models/rankings/copeland.h"
#include "models/rankings/kemeny.h"
#include "models/rankings/schulze.h"
#include "models/ratings/approval.h"
#include "models/ratings/bayes_shrink.h"
#include "models/ratings/median.h"
#include "models/ratings/mixed_effects.h"
#include "models/ratings/rater_adjusted.h"
#include "models/ratings/rating_scale.h"
#include "models/ratings/trimmed_mean.h"
#include "models/ratings/weighted_mean.h"
#include "models/ratings/zscore_mean.h"
#include "sim/core/errors.h"

namespace evalsim {

const char* InputKindName(InputKind kind) {
  switch (kind) {
    case InputKind::kRatings:
      return "ratings";
    case InputKind::kPairwise:
      return "pairwise";
    case InputKind::kRankings:
      return "rankings";
    case InputKind::kIndicators:
      return "indicators";
  }
  return "?";
}

namespace {

// InputError when `spec` reads every group's grades on one scale and `ctx`
// has groups on scales of their own.
void CheckScales(const ModelSpec& spec, const ModelContext& ctx, const toml::table& options,
                 const std::string& file, const std::string& path) {
  if (!ctx.HasGroupScales() || !spec.pools_grades) return;
  std::vector<std::string> own;
  for (size_t g = 0; g < ctx.group_scale.size() && g < ctx.group_names.size(); ++g)
    if (ctx.group_scale[g] >= 0)
      own.push_back(fmt::format("{} on \"{}\"", ctx.group_names[g],
                                ctx.scale_names[static_cast<size_t>(ctx.group_scale[g])]));
  if (own.empty()) return;
  // Without an entry path (score --model) the flag is the place to name.
  const std::string where = path.empty() ? fmt::format("--model {}", spec.name)
                                         : fmt::format("{}{}", NodeLocation(options, file), path);
  throw InputError(fmt::format(
      "{}: model {} reads every ballot on one {}-grade scale, but some rater groups grade on "
      "scales of their own ({}); use weighted_mean (points per scale: scale_points) or a "
      "comparison model, or give those groups the main scale",
      where, spec.name, ctx.levels, fmt::join(own, ", ")));
}

}  // namespace

void Registry::Add(ModelSpec spec) {
  if (spec.input == InputKind::kRatings && !spec.group_scales) spec.pools_grades = true;
  if (spec.input == InputKind::kRatings && !spec.models_items)
    spec.params.push_back(ItemWeightsParam());
  specs_.push_back(std::move(spec));
}

const ModelSpec* Registry::Find(const std::string& name) const {
  for (const auto& s : specs_)
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<std::string> Registry::Names() const {
  std::vector<std::string> out;
  for (const auto& s : specs_) out.push_back(s.name);
  return out;
}

std::unique_ptr<Model> Registry::Create(const std::string& name, const toml::table& options,
                                        const ModelContext& ctx, const std::string& file,
                                        const std::string& path,
                                        const std::set<std::string>& ignored,
                                        const toml::table* fallback) const {
  const ModelSpec* spec = Find(name);
  if (!spec) {
    throw InputError(fmt::format("{}{}: unknown model \"{}\"; available models: {}",
                                 NodeLocation(options, file), path, name,
                                 fmt::join(Names(), ", ")));
  }
  CheckScales(*spec, ctx, options, file, path);
  OptionReader reader(options, file, path, ignored, fallback);
  ParamReader in(reader, spec->params, ctx);
  std::unique_ptr<Model> model = spec->make(in);
  if (spec->input == InputKind::kRatings && !spec->models_items)
    model = CombineItems(std::move(model), ReadItemWeights(reader, ctx));
  reader.FinishOrThrow();
  return model;
}

const Registry& Models() {
  static const Registry registry = [] {
    Registry r;
    r.Add(WeightedMeanSpec());
    r.Add(ApprovalSpec());
    r.Add(TrimmedMeanSpec());
    r.Add(MedianSpec());
    r.Add(ZscoreMeanSpec());
    r.Add(BayesShrinkSpec());
    r.Add(RaterAdjustedSpec());
    r.Add(MixedEffectsSpec());
    r.Add(RatingScaleSpec());
    r.Add(BradleyTerrySpec());
    r.Add(RankCentralitySpec());
    r.Add(HodgeRankSpec());
    r.Add(EloSpec());
    r.Add(BordaSpec());
    r.Add(CopelandSpec());
    r.Add(SchulzeSpec());
    r.Add(KemenySpec());
    r.Add(CompositeSpec());
    r.Add(TopsisSpec());
    r.Add(GreyRelationalSpec());
    r.Add(RuianPointsSpec());
    return r;
  }();
  return registry;
}

}  // namespace evalsim
