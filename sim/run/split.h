// One replicate split over the processes of a job (`evalsim run
// --split-replicates`): for an organisation too large for one machine's
// memory, or a run of fewer replicates than processes.
//
// The organisation is cut into contiguous runs of its top-level units (the
// districts of a city, the provinces of a country), one part per process,
// balanced by evaluees. Each process draws only the meetings of its part,
// from the same streams as a full draw, so its ballots are exactly the full
// draw's ballots of those meetings. It then counts them: the grade counts of
// every (evaluee, rater group) slot of its part, and the run's tallies
// (ballots per group and grade). Process 0 receives the parts' counts, in
// part order, and scores the replicate from them as one process would from
// every ballot. That is exact for the models that read only the slot counts
// (ModelSpec::reads_slot_counts: weighted_mean, approval, median,
// trimmed_mean, bayes_shrink, whose prior is fitted over every evaluee's
// counts) and for class rules, gates and vetoes; counts are integers, so
// their sums do not depend on the order they are added in, and the output
// files are byte-identical to a run in one process.
//
// Process 0 holds the counts, K x 4 bytes per slot (16 bytes per evaluee and
// group on a 4-grade scale) instead of about 4 bytes per ballot; the
// ballots are only ever held by the process that drew them.
//
// With [[blocs]] each process also draws its part of the bloc-free rerun,
// whose counts travel too; with [meetings] rules its meetings' outcomes
// travel (the rules act within a meeting).
//
// Models fitted by parts (ModelSpec::fits_parts: rater_adjusted) run on
// every process at once, each on its part (ModelInput::part), taking their
// sums over ratees through Distribution::ChainSum; process 0 gathers the
// parts' scores and rater estimates. The other models that need the
// ballots themselves (mixed_effects, rating_scale, zscore_mean, the
// comparison models), a model fitted by parts in a scenario with [[blocs]],
// and scenarios with items, comparisons, [uncertainty] or periods are
// refused by CheckSplittable with the reason.
#ifndef EVALSIM_SIM_RUN_SPLIT_H_
#define EVALSIM_SIM_RUN_SPLIT_H_

#include <cstdint>
#include <vector>

#include "sim/core/ballots.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

namespace evalsim {

// One process's part: meetings [first_meeting, end_meeting), whose
// evaluees are [first_evaluee, end_evaluee). A part may be empty.
struct ReplicatePart {
  int first_meeting = 0, end_meeting = 0;
  int first_evaluee = 0, end_evaluee = 0;
  uint32_t first_rater = 0, end_rater = 0;  // the meetings' raters
};

// `parts` parts of `org` in evaluee order, cut only where the top-level unit
// changes: a part is closed at the first change past its share of the
// evaluees, or earlier when every part left needs one of the units left,
// so min(parts, units) parts are non-empty; the others (at the end) are
// empty. Without a level above the evaluees, part 0 holds everything.
std::vector<ReplicatePart> SplitByTopLevel(const Organisation& org, int parts);

// The grade counts of the slots of `part`'s evaluees in `b`, `b.levels` per
// slot, slots in order.
std::vector<uint32_t> PartSlotCounts(const RatingBallots& b, const ReplicatePart& part);

// Throws InputError (naming the scenario file, the entry and the reason)
// when `s` asks for something a split replicate cannot give exactly.
void CheckSplittable(const Scenario& s);

}  // namespace evalsim

#endif  // EVALSIM_SIM_RUN_SPLIT_H_
