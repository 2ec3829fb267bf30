#include "sim/run/meeting_outputs.h"

#include <fmt/format.h>

#include "sim/io/csv_write.h"

namespace evalsim {

MeetingTotals SumMeetingOutcomes(const std::vector<std::vector<MeetingOutcome>>& outcomes) {
  MeetingTotals t;
  for (const auto& replicate : outcomes) {
    for (const MeetingOutcome& m : replicate) {
      ++t.held;
      t.void_meetings += m.Void() ? 1 : 0;
      ++t.void_by_reason[static_cast<int>(m.void_reason)];
      t.expected += m.expected;
      t.present += m.present;
      t.demoted += m.demoted;
      t.void_ballots += m.void_ballots;
    }
  }
  return t;
}

std::string MeetingsCsv(const Organisation& org,
                        const std::vector<std::vector<MeetingOutcome>>& outcomes,
                        int first_replicate) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out),
                 "replicate,meeting,evaluees,expected,present,void,reason,demoted,void_ballots\n");
  for (size_t r = 0; r < outcomes.size(); ++r) {
    for (size_t mi = 0; mi < outcomes[r].size(); ++mi) {
      const MeetingOutcome& m = outcomes[r][mi];
      fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{},{},{}\n",
                     first_replicate + static_cast<int>(r),
                     CsvField(org.MeetingName(static_cast<int>(mi))), org.meetings[mi].num_evaluees,
                     m.expected, m.present, m.Void() ? 1 : 0, VoidReasonName(m.void_reason),
                     m.demoted, m.void_ballots);
    }
  }
  return fmt::to_string(out);
}

nlohmann::ordered_json MeetingsJson(const MeetingRules& rules, const MeetingTotals& totals,
                                    const std::string& file) {
  nlohmann::ordered_json j;
  nlohmann::ordered_json r;
  r["absence"] = {rules.absence_lo, rules.absence_hi};
  r["quorum"] = rules.quorum;
  r["min_panel"] = rules.min_panel;
  r["overcount"] = rules.overcount;
  r["max_top"] = rules.max_top;
  r["max_top_excess"] = rules.max_top_void ? "void" : "demote";
  j["rules"] = r;
  j["held"] = totals.held;
  j["void"] = totals.void_meetings;
  j["void_share"] = totals.held > 0 ? static_cast<double>(totals.void_meetings) / totals.held : 0.0;
  nlohmann::ordered_json by = nlohmann::ordered_json::object();
  for (VoidReason reason : {VoidReason::kQuorum, VoidReason::kMinPanel, VoidReason::kOvercount})
    by[VoidReasonName(reason)] = totals.void_by_reason[static_cast<int>(reason)];
  j["void_by_reason"] = by;
  j["attendance_share"] =
      totals.expected > 0 ? static_cast<double>(totals.present) / totals.expected : 1.0;
  j["top_grades_demoted"] = totals.demoted;
  j["ballots_voided_by_max_top"] = totals.void_ballots;
  j["file"] = file.empty() ? nlohmann::ordered_json("not written (too many rows)")
                           : nlohmann::ordered_json(file);
  return j;
}

std::string MeetingsLine(const MeetingTotals& t, const MeetingRules& rules) {
  std::string line = fmt::format(
      "meetings: {} of {} void (quorum {}, min_panel {}, overcount {}); attendance {:.1f} %",
      t.void_meetings, t.held, t.void_by_reason[static_cast<int>(VoidReason::kQuorum)],
      t.void_by_reason[static_cast<int>(VoidReason::kMinPanel)],
      t.void_by_reason[static_cast<int>(VoidReason::kOvercount)],
      t.expected > 0 ? 100.0 * static_cast<double>(t.present) / t.expected : 100.0);
  if (rules.max_top > 0)
    line += rules.max_top_void ? fmt::format("; {} ballots void for more than {} top grades",
                                             t.void_ballots, rules.max_top)
                               : fmt::format("; {} top grades moved down by max_top = {}",
                                             t.demoted, rules.max_top);
  return line + "\n";
}

}  // namespace evalsim
