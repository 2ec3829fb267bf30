// Vetoes (一票否决): events or indicator values that strike an evaluee
// whatever its score and quota. A struck evaluee gets the veto's label in
// every model's classes and leaves its quota place to the next in line
// (sim/rules/classes.h).
//
// An event veto strikes each evaluee in each period (replicate) with
// probability p = logistic(logit(rate) - quality_slope * z), z the
// evaluee's true quality in standard deviations: `rate` is the probability
// of an evaluee of average quality, and a positive slope strikes weak units
// more. rate = 0 never strikes, whatever the slope. Each veto draws one
// uniform per evaluee from its own stream, keyed by the veto's name and the
// replicate, so adding, removing or reordering vetoes leaves every other
// draw unchanged. An indicator veto strikes an evaluee whose indicator value
// is above `above` (or below `below`); a missing value never strikes.
#ifndef EVALSIM_SIM_RULES_VETOES_H_
#define EVALSIM_SIM_RULES_VETOES_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/core/indicators.h"
#include "sim/core/options.h"

namespace evalsim {

struct Veto {
  std::string name;
  std::string label;
  std::optional<double> rate;  // an event veto's probability at average quality
  double quality_slope = 0.0;  // change of the log-odds per sd of true quality, negated
  std::string indicator;       // an indicator veto's indicator
  std::optional<double> above, below;

  bool IsEvent() const { return rate.has_value(); }
  // The probability that the event strikes an evaluee whose true quality is
  // z standard deviations from the mean.
  double Probability(double z) const;
};

// Per veto of a list: each evaluee's event draw, 1 = struck (an empty vector
// for an indicator veto).
using VetoDraws = std::vector<std::vector<uint8_t>>;

// Reads one [[vetoes]] table; `indicators` are the names an indicator veto
// may use.
Veto ReadVeto(OptionReader& r, const std::vector<std::string>& indicators);

// The event draws of every veto in replicate `replicate` (0-based), for
// evaluees of true quality `z` (in standard deviations).
VetoDraws DrawVetoEvents(std::span<const Veto> vetoes, std::span<const double> z, uint64_t seed,
                         int replicate);

// Whether veto v (index `index` in its list) strikes each of n evaluees.
// `draws` holds the event draws of the list (events), `indicators` the
// indicator values (indicator vetoes); each must have what v needs.
std::vector<uint8_t> VetoStrikes(const Veto& v, size_t index, int n, const VetoDraws* draws,
                                 const IndicatorTable* indicators);

// Column of `name` in `t`, or -1.
int IndicatorColumn(const IndicatorTable& t, const std::string& name);

}  // namespace evalsim

#endif  // EVALSIM_SIM_RULES_VETOES_H_
