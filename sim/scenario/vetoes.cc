// The [[vetoes]] tables of a scenario (sim/rules/vetoes.h).
#include <set>

#include "sim/scenario/parts.h"

namespace evalsim {

void ReadVetoes(OptionReader& top, Scenario& s, std::vector<std::string>& errors) {
  std::vector<std::string> indicators;
  for (const IndicatorSpec& i : s.indicators) indicators.push_back(i.name);
  std::set<std::string> names;
  ForEachTable(top, "vetoes", s.file, errors, [&](OptionReader& r, size_t) {
    Veto v = ReadVeto(r, indicators);
    if (!v.name.empty() && !names.insert(v.name).second)
      r.Error("name", fmt::format("veto \"{}\" is defined twice", v.name));
    s.vetoes.push_back(std::move(v));
  });
}

}  // namespace evalsim
