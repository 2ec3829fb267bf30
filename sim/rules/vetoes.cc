#include "sim/rules/vetoes.h"

#include <cmath>
#include <string_view>

#include "sim/core/check.h"
#include "sim/core/rng.h"
#include "sim/rules/reading.h"

namespace evalsim {
namespace {

using rules_internal::OptionalDouble;
using rules_internal::ReadLabel;
using rules_internal::ReadName;

// A stream key from a veto's name (64-bit FNV-1a), so that a veto's draws
// follow its name, not its position in the list.
uint64_t NameKey(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// The keys that tell an event veto from an indicator veto, checked together.
void CheckVetoKind(OptionReader& r) {
  const bool event = r.Has("rate"), indicator = r.Has("indicator");
  if (event == indicator) {
    r.Error("", "expected exactly one of `rate` (an event veto) or `indicator`");
    return;
  }
  const bool has_above = r.Has("above"), has_below = r.Has("below");
  if (event && (has_above || has_below))
    r.Error(has_above ? "above" : "below", "applies to an indicator veto, not to one with `rate`");
  if (indicator && has_above == has_below)
    r.Error("indicator", "expected exactly one of `above` or `below` with `indicator`");
  if (!event && r.Has("quality_slope"))
    r.Error("quality_slope", "applies to an event veto (one with `rate`)");
}

}  // namespace

double Veto::Probability(double z) const {
  const double p = rate.value_or(0.0);
  if (p <= 0.0 || p >= 1.0 || quality_slope == 0.0) return p;
  const double logit = std::log(p / (1.0 - p)) - quality_slope * z;
  return 1.0 / (1.0 + std::exp(-logit));
}

Veto ReadVeto(OptionReader& r, const std::vector<std::string>& indicators) {
  Veto v;
  v.name = ReadLabel(r, "name", "", true);
  v.label = ReadLabel(r, "label", "", true);
  v.rate = OptionalDouble(r, "rate", Probability());
  v.quality_slope = r.Double("quality_slope", 0.0, Between(-20, 20));
  v.indicator = ReadName(r, "indicator", indicators, "indicator");
  v.above = OptionalDouble(r, "above", Any());
  v.below = OptionalDouble(r, "below", Any());
  CheckVetoKind(r);
  return v;
}

VetoDraws DrawVetoEvents(std::span<const Veto> vetoes, std::span<const double> z, uint64_t seed,
                         int replicate) {
  VetoDraws draws(vetoes.size());
  for (size_t i = 0; i < vetoes.size(); ++i) {
    const Veto& v = vetoes[i];
    if (!v.IsEvent()) continue;
    Rng rng(DeriveSeed(seed, {kStreamVetoes, NameKey(v.name), static_cast<uint64_t>(replicate)}));
    std::vector<uint8_t>& d = draws[i];
    d.resize(z.size());
    for (size_t e = 0; e < z.size(); ++e) d[e] = rng.Uniform() < v.Probability(z[e]);
  }
  return draws;
}

int IndicatorColumn(const IndicatorTable& t, const std::string& name) {
  for (int j = 0; j < t.NumIndicators(); ++j)
    if (t.names[j] == name) return j;
  return -1;
}

std::vector<uint8_t> VetoStrikes(const Veto& v, size_t index, int n, const VetoDraws* draws,
                                 const IndicatorTable* indicators) {
  if (v.IsEvent()) {
    EVALSIM_CHECK(
        draws && index < draws->size() && (*draws)[index].size() == static_cast<size_t>(n),
        "veto {}: no event draws for {} evaluees", v.name, n);
    return (*draws)[index];
  }
  const int col = indicators ? IndicatorColumn(*indicators, v.indicator) : -1;
  EVALSIM_CHECK(col >= 0 && indicators->NumRatees() == n, "veto {}: no indicator {}", v.name,
                v.indicator);
  std::vector<uint8_t> struck(n, 0);
  for (int e = 0; e < n; ++e) {
    const double x = indicators->values(e, col);
    struck[e] = (v.above && x > *v.above) || (v.below && x < *v.below);  // NaN: false
  }
  return struck;
}

}  // namespace evalsim
