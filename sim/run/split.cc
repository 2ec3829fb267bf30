#include "sim/run/split.h"

#include <fmt/format.h>

#include <string>

#include "models/common/tally.h"
#include "models/registry.h"
#include "sim/core/check.h"
#include "sim/core/errors.h"

namespace evalsim {
namespace {

// The top-level unit of meeting `mi` (0 without a level above the evaluees).
int TopUnit(const Organisation& org, int mi) {
  return org.unit.empty() ? 0 : org.unit[0][org.meetings[mi].first_evaluee];
}

[[noreturn]] void Refuse(const Scenario& s, const std::string& what) {
  throw InputError(fmt::format("{}--split-replicates: {}", Location(s.file), what));
}

}  // namespace

std::vector<ReplicatePart> SplitByTopLevel(const Organisation& org, int parts) {
  const int M = static_cast<int>(org.meetings.size());
  const int64_t n = org.NumEvaluees();
  int units = M > 0 ? 1 : 0;  // runs of meetings of one top-level unit
  for (int mi = 1; mi < M; ++mi) units += TopUnit(org, mi) != TopUnit(org, mi - 1);
  std::vector<ReplicatePart> out(parts);
  int part = 0, unit = 0;
  for (int mi = 0; mi < M; ++mi) {
    const Meeting& m = org.meetings[mi];
    EVALSIM_CHECK(m.first_evaluee == (mi == 0 ? 0 : out[part].end_evaluee),
                  "meeting {} does not follow the one before", mi + 1);
    // At a change of top-level unit, close the part once it holds its share
    // of the evaluees, or when each part left needs one of the units left.
    if (mi > 0 && TopUnit(org, mi) != TopUnit(org, mi - 1)) {
      ++unit;
      if (part + 1 < parts && (static_cast<int64_t>(m.first_evaluee) * parts >= n * (part + 1) ||
                               units - unit <= parts - part - 1)) {
        out[++part].first_meeting = mi;
        out[part].first_evaluee = m.first_evaluee;
        out[part].first_rater = out[part].end_rater = m.first_rater;
      }
    }
    EVALSIM_CHECK(m.first_rater == (mi == 0 ? 0 : out[part].end_rater),
                  "the raters of meeting {} do not follow those before", mi + 1);
    out[part].end_meeting = mi + 1;
    out[part].end_evaluee = m.first_evaluee + m.num_evaluees;
    out[part].end_rater = m.first_rater + m.num_raters;
  }
  const uint32_t raters = org.NumRaters();
  for (int k = part + 1; k < parts; ++k)  // the parts left empty start at the end
    out[k] = {M, M, static_cast<int>(n), static_cast<int>(n), raters, raters};
  return out;
}

std::vector<uint32_t> PartSlotCounts(const RatingBallots& b, const ReplicatePart& part) {
  const int G = b.NumGroups();
  return CountSlots(b, part.first_evaluee * G, (part.end_evaluee - part.first_evaluee) * G);
}

void CheckSplittable(const Scenario& s) {
  for (const ModelEntry& e : s.models) {
    const ModelSpec* spec = Models().Find(e.model);
    if (spec == nullptr || !(spec->reads_slot_counts || spec->fits_parts))
      Refuse(s, fmt::format("{} (model {}) needs every ballot, not only the grade counts of "
                            "each evaluee; run it without --split-replicates, or leave it out "
                            "with --models (split runs take weighted_mean, approval, median, "
                            "trimmed_mean, bayes_shrink and rater_adjusted)",
                            e.path, e.model));
    if (spec->fits_parts && !s.blocs.empty())
      Refuse(s, fmt::format("{} (model {}) is fitted by parts, which a scenario with [[blocs]] "
                            "cannot be yet (its bloc-free rerun is counted, not fitted); leave "
                            "it out with --models",
                            e.path, e.model));
  }
  const auto refuse_if = [&](bool set, const char* what) {
    if (set) Refuse(s, fmt::format("{} cannot be split yet; run without --split-replicates", what));
  };
  refuse_if(!s.items.empty(), "a scenario with [[items]]");
  refuse_if(s.comparisons.mode != ComparisonMode::kNone, "a scenario with [comparisons]");
  refuse_if(!s.uncertainty.model.empty(), "a scenario with [uncertainty]");
  refuse_if(s.periods.Active(), "a scenario with [periods]");
}

}  // namespace evalsim
