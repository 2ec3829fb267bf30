// The optional [[items]] tables: the items of a multi-item ballot.
#include <fmt/format.h>

#include <set>

#include "sim/core/ballots.h"
#include "sim/scenario/parts.h"

namespace evalsim {

void ReadItems(OptionReader& top, Scenario& s, std::vector<std::string>& errors) {
  std::set<std::string> names;
  ForEachTable(top, "items", s.file, errors, [&](OptionReader& r, size_t) {
    ItemSpec item;
    item.name = r.String("name", "");
    if (item.name.empty()) r.Error("", "missing required key `name` (a non-empty string)");
    if (item.name == kOverallItem)
      r.Error("name", "\"overall\" names the ballot's overall grade; expected another item name");
    if (!item.name.empty() && !names.insert(item.name).second)
      r.Error("name", fmt::format("item \"{}\" is defined twice", item.name));
    item.weight = r.Double("weight", 1.0, AtLeast(0.0));
    item.loading = r.Double("loading", 0.8, Probability());
    item.noise = r.Double("noise", 0.0, AtLeast(0.0));
    s.items.push_back(item);
  });
  double total = 0;
  for (const ItemSpec& item : s.items) total += item.weight;
  if (!s.items.empty() && total <= 0)
    top.Error("items", "every item has weight 0; expected at least one positive weight");
  if (s.items.size() > 64) top.Error("items", "more than 64 items; expected at most 64");
  // The meeting rules drop and demote ballots after they are drawn; the item
  // grades beside them are not filtered yet, so the two are refused together.
  if (!s.items.empty() && s.meeting_rules.Any())
    top.Error("items",
              "multi-item ballots cannot be combined with meeting rules ([meetings] absence, "
              "quorum, min_panel, overcount, max_top) yet; expected one or the other");
  for (const RaterGroupSpec& g : s.raters)
    if (!s.items.empty() && g.scale >= 0)
      top.Error("items", fmt::format("multi-item ballots cannot be combined with a rater group on "
                                     "a scale of its own (raters.{}.scale) yet; expected one or "
                                     "the other",
                                     g.group));
}

}  // namespace evalsim
