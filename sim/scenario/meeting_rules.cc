// The meeting rules of a scenario: the [meetings] keys beside `by`
// (absence, quorum, min_panel, overcount, max_top, max_top_excess).
#include "sim/scenario/parts.h"

namespace evalsim {
namespace {

// `absence`: a probability in [0, 1), or a [lo, hi] pair of them.
void ReadAbsence(OptionReader& r, MeetingRules& rules) {
  const toml::node* node = r.Raw("absence");
  if (!node) return;
  const Range range{0.0, 1.0, false, true};
  if (node->is_array()) {
    auto pair = r.DoubleList("absence", range);
    if (!pair) return;
    if (pair->size() != 2 || (*pair)[0] > (*pair)[1]) {
      r.Error("absence", "expected a probability in [0, 1) or a pair [lo, hi] with lo <= hi");
      return;
    }
    rules.absence_lo = (*pair)[0];
    rules.absence_hi = (*pair)[1];
    return;
  }
  rules.absence_lo = rules.absence_hi = r.Double("absence", 0.0, range);
}

}  // namespace

void ReadMeetingRules(OptionReader& r, MeetingRules& rules) {
  ReadAbsence(r, rules);
  rules.quorum = r.Double("quorum", 0.0, Range{0.0, 1.0, true, true});
  rules.min_panel = r.Int("min_panel", 0, Between(1, 1e7));
  rules.overcount = r.Double("overcount", 0.0, Probability());
  rules.max_top = r.Int("max_top", 0, Between(1, 1e6));
  const std::string excess = r.String("max_top_excess", "demote", {"demote", "void"});
  rules.max_top_void = excess == "void";
  if (r.Has("max_top_excess") && !r.Has("max_top"))
    r.Error("max_top_excess", "is only used with `max_top` (the cap it enforces)");
}

}  // namespace evalsim
