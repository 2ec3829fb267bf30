// Meeting rules applied to one meeting's ballots in one replicate: who is
// absent, whether the meeting is void (attendance not above the quorum, a
// panel below the minimum, more ballots returned than issued), and the cap
// on top grades per ballot (a rater who gave more than max_top top grades in
// the meeting keeps its best max_top and gives the rest the next grade, or
// its ballot is void). The scenario keys are documented in
// scenarios/README.md ([meetings]).
//
// Draws come from streams of their own, DeriveSeed(seed, {kStreamMeetings,
// replicate, meeting, 0}) for absence and {..., 1} for the overcount, so the
// rules never shift a ballot draw: the ballots of the raters who are present
// are those a run without rules draws, and the outcome does not depend on
// the thread count.
#ifndef EVALSIM_SIM_SIMULATE_MEETING_RULES_H_
#define EVALSIM_SIM_SIMULATE_MEETING_RULES_H_

#include <cstdint>
#include <vector>

#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

namespace evalsim {

enum class VoidReason : uint8_t { kNone = 0, kQuorum, kMinPanel, kOvercount };

// "" (not void), "quorum", "min_panel", "overcount".
const char* VoidReasonName(VoidReason reason);

// What the rules did to one meeting in one replicate.
struct MeetingOutcome {
  uint32_t expected = 0;  // the meeting's raters, every group (应到)
  uint32_t present = 0;   // raters not absent (实到)
  VoidReason void_reason = VoidReason::kNone;
  uint32_t demoted = 0;       // top grades moved one grade down by max_top
  uint32_t void_ballots = 0;  // raters whose ballot max_top voided

  bool Void() const { return void_reason != VoidReason::kNone; }
};

// True when `present` exceeds quorum x expected. A product within 1e-9 of an
// integer counts as that integer (20 of 30 does not exceed 2/3 written as
// 0.6666666666666666). A quorum of 0 is always met.
bool QuorumMet(double quorum, uint32_t present, uint32_t expected);

// Draws meeting `meeting`'s attendance in `replicate` and decides whether it
// is void. `absent` (per local rater, 1 = absent) is left empty when no rater
// can be absent.
MeetingOutcome DrawAttendance(const MeetingRules& rules, uint64_t seed, const Meeting& m,
                              int replicate, int meeting, std::vector<uint8_t>* absent);

// Applies the outcome to the meeting's ballots in place: `words` in slot
// order (local slot = local evaluee x G + group) with `slot_count` per local
// slot, and `latent`, one value per word (NaN for a blank), read only when
// rules.max_top > 0. Drops every ballot of a void meeting and those of absent
// raters, then enforces max_top. Returns per local rater whether its ballots
// were dropped (all raters for a void meeting). `levels` is the number of
// grades.
std::vector<uint8_t> ApplyMeetingRules(const MeetingRules& rules, const Meeting& m, int levels,
                                       const std::vector<uint8_t>& absent,
                                       std::vector<uint32_t>& words,
                                       std::vector<uint64_t>& slot_count,
                                       const std::vector<double>& latent, MeetingOutcome& outcome);

}  // namespace evalsim

#endif  // EVALSIM_SIM_SIMULATE_MEETING_RULES_H_
