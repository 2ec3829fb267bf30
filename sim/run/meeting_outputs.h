// What a run writes about its meetings when the scenario sets meeting rules
// ([meetings] absence, quorum, min_panel, overcount, max_top): meetings.csv
// (one row per replicate and meeting), the manifest's "meetings" object and
// one summary line on stdout.
#ifndef EVALSIM_SIM_RUN_MEETING_OUTPUTS_H_
#define EVALSIM_SIM_RUN_MEETING_OUTPUTS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/scenario/scenario.h"
#include "sim/simulate/meeting_rules.h"
#include "sim/simulate/organisation.h"

namespace evalsim {

// Sums over every replicate and meeting.
struct MeetingTotals {
  uint64_t held = 0;  // meetings x replicates
  uint64_t void_meetings = 0;
  uint64_t void_by_reason[4] = {0, 0, 0, 0};  // indexed by VoidReason
  uint64_t expected = 0, present = 0;         // raters
  uint64_t demoted = 0, void_ballots = 0;
};
MeetingTotals SumMeetingOutcomes(const std::vector<std::vector<MeetingOutcome>>& outcomes);

// meetings.csv: replicate,meeting,evaluees,expected,present,void,reason,demoted,void_ballots
// (replicates numbered from first_replicate; meeting = the meeting's unit).
std::string MeetingsCsv(const Organisation& org,
                        const std::vector<std::vector<MeetingOutcome>>& outcomes,
                        int first_replicate = 1);

// The manifest's "meetings" object: the rules and the totals; `file` names
// meetings.csv, or is empty when it was not written.
nlohmann::ordered_json MeetingsJson(const MeetingRules& rules, const MeetingTotals& totals,
                                    const std::string& file);

// "meetings: 12 of 400 void (quorum 10, min_panel 2, overcount 0); attendance
// 93.8 %; ..." for stdout.
std::string MeetingsLine(const MeetingTotals& totals, const MeetingRules& rules);

}  // namespace evalsim

#endif  // EVALSIM_SIM_RUN_MEETING_OUTPUTS_H_
