// What raters hear and see in the meeting, beside their own perception.
//
// Anchoring (a group's `anchor` w): before the vote the superior comments
// on each evaluee (点评). The stated view of evaluee e, drawn once per
// meeting and replicate from the stream (seed, anchor, replicate, meeting),
// is
//   chair:   quality(e) + anchor_noise * N(0, 1)  (one chair per meeting: when several
//            groups anchor on it, the anchor_noise of the last of them)
//   group k: quality(e) + type shift(e, k) + leniency mean of k + noise of k * N(0, 1)
// and a rater of an anchored group grades (1 - w) * y + w * view instead of
// its own perception y (so w = 1 grades the view itself).
//
// Conformity (a group's `conformity` c): after the ballots are drawn, each
// graded ballot of the group takes, with probability c, the modal grade of
// the meeting's graded ballots on the same evaluee and scale (ties to the
// higher grade), from the stream (seed, conformity, replicate, meeting).
// Perceptions (comparisons, items) are left as drawn.
//
// Without any anchor or conformity nothing is drawn and nothing changes.
#ifndef EVALSIM_SIM_SIMULATE_INFLUENCE_H_
#define EVALSIM_SIM_SIMULATE_INFLUENCE_H_

#include <cstdint>
#include <vector>

#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

namespace evalsim {

// The stated views of one meeting: view(le, source) for local evaluee le
// and source = the `anchor_to` group, or G for the chair.
struct AnchorViews {
  std::vector<double> view;  // empty when no group anchors
  int sources = 0;
  bool Active() const { return !view.empty(); }
  double Of(int local_evaluee, int source) const {
    return view[static_cast<size_t>(local_evaluee) * sources + source];
  }
};

AnchorViews DrawAnchorViews(const Scenario& s, const Organisation& org, int replicate, int meeting);

// Whether any rater group conforms.
bool AnyConformity(const Scenario& s);

// Conformity on one meeting's words in slot order (evaluee, group, rater),
// `slot_count[le * G + g]` words per slot.
void ApplyConformity(const Scenario& s, int replicate, int meeting, int num_evaluees,
                     const std::vector<uint64_t>& slot_count, std::vector<uint32_t>& words);

}  // namespace evalsim

#endif  // EVALSIM_SIM_SIMULATE_INFLUENCE_H_
