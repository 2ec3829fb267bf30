#include "sim/simulate/meeting_rules.h"

#include <algorithm>
#include <cmath>

#include "sim/core/rng.h"

namespace evalsim {
namespace {

// Enforces max_top on the present raters' ballots: per rater, its top grades
// beyond the first max_top by latent value (then ballot order) are demoted,
// or the rater is marked in `dropped` (max_top_void).
void CapTopGrades(const MeetingRules& rules, const Meeting& m, int levels,
                  std::vector<uint32_t>& words, const std::vector<double>& latent,
                  std::vector<uint8_t>& dropped, MeetingOutcome& outcome) {
  const uint8_t top = static_cast<uint8_t>(levels - 1);
  struct TopBallot {
    uint32_t rater;  // local
    double y;
    size_t word;
  };
  std::vector<TopBallot> tops;
  for (size_t i = 0; i < words.size(); ++i) {
    if (BallotGrade(words[i]) != top) continue;
    const uint32_t local = BallotRater(words[i]) - m.first_rater;
    if (!dropped[local]) tops.push_back({local, latent[i], i});
  }
  std::sort(tops.begin(), tops.end(), [](const TopBallot& a, const TopBallot& b) {
    if (a.rater != b.rater) return a.rater < b.rater;
    if (a.y != b.y) return a.y > b.y;
    return a.word < b.word;
  });
  const size_t cap = static_cast<size_t>(rules.max_top);
  for (size_t a = 0; a < tops.size();) {
    size_t z = a;
    while (z < tops.size() && tops[z].rater == tops[a].rater) ++z;
    if (z - a > cap) {
      if (rules.max_top_void) {
        dropped[tops[a].rater] = 1;
        ++outcome.void_ballots;
      } else {
        for (size_t i = a + cap; i < z; ++i) {
          words[tops[i].word] =
              PackBallot(BallotRater(words[tops[i].word]), static_cast<uint8_t>(top - 1));
          ++outcome.demoted;
        }
      }
    }
    a = z;
  }
}

// Removes the ballots of dropped raters, slot by slot.
void DropRaters(const Meeting& m, const std::vector<uint8_t>& dropped, std::vector<uint32_t>& words,
                std::vector<uint64_t>& slot_count) {
  size_t read = 0, write = 0;
  for (uint64_t& count : slot_count) {
    uint64_t kept = 0;
    for (uint64_t i = 0; i < count; ++i, ++read) {
      const uint32_t w = words[read];
      if (dropped[BallotRater(w) - m.first_rater]) continue;
      words[write++] = w;
      ++kept;
    }
    count = kept;
  }
  words.resize(write);
}

}  // namespace

const char* VoidReasonName(VoidReason reason) {
  switch (reason) {
    case VoidReason::kNone:
      return "";
    case VoidReason::kQuorum:
      return "quorum";
    case VoidReason::kMinPanel:
      return "min_panel";
    case VoidReason::kOvercount:
      return "overcount";
  }
  return "?";
}

bool QuorumMet(double quorum, uint32_t present, uint32_t expected) {
  if (!(quorum > 0.0)) return true;
  double need = quorum * static_cast<double>(expected);
  const double nearest = std::round(need);
  if (std::abs(need - nearest) <= 1e-9 * std::max(1.0, need)) need = nearest;
  return static_cast<double>(present) > need;
}

MeetingOutcome DrawAttendance(const MeetingRules& rules, uint64_t seed, const Meeting& m,
                              int replicate, int meeting, std::vector<uint8_t>* absent) {
  MeetingOutcome out;
  out.expected = out.present = m.num_raters;
  absent->clear();
  const uint64_t r = static_cast<uint64_t>(replicate), mi = static_cast<uint64_t>(meeting);
  if (rules.absence_hi > 0.0) {
    Rng rng(DeriveSeed(seed, {kStreamMeetings, r, mi, 0}));
    const double p = rules.absence_lo == rules.absence_hi
                         ? rules.absence_lo
                         : rules.absence_lo + (rules.absence_hi - rules.absence_lo) * rng.Uniform();
    const uint64_t threshold = ProbabilityThreshold(p);
    absent->assign(m.num_raters, 0);
    for (uint32_t i = 0; i < m.num_raters; ++i) {
      if (rng.BernoulliThreshold(threshold)) {
        (*absent)[i] = 1;
        --out.present;
      }
    }
  }
  bool overcount = false;
  if (rules.overcount > 0.0) {
    Rng rng(DeriveSeed(seed, {kStreamMeetings, r, mi, 1}));
    overcount = rng.BernoulliThreshold(ProbabilityThreshold(rules.overcount));
  }
  if (!QuorumMet(rules.quorum, out.present, out.expected)) {
    out.void_reason = VoidReason::kQuorum;
  } else if (rules.min_panel > 0 && out.present < rules.min_panel) {
    out.void_reason = VoidReason::kMinPanel;
  } else if (overcount) {
    out.void_reason = VoidReason::kOvercount;
  }
  return out;
}

std::vector<uint8_t> ApplyMeetingRules(const MeetingRules& rules, const Meeting& m, int levels,
                                       const std::vector<uint8_t>& absent,
                                       std::vector<uint32_t>& words,
                                       std::vector<uint64_t>& slot_count,
                                       const std::vector<double>& latent, MeetingOutcome& outcome) {
  if (outcome.Void()) {
    words.clear();
    std::fill(slot_count.begin(), slot_count.end(), 0);
    return std::vector<uint8_t>(m.num_raters, 1);
  }
  std::vector<uint8_t> dropped = absent.empty() ? std::vector<uint8_t>(m.num_raters, 0) : absent;
  if (rules.max_top > 0) CapTopGrades(rules, m, levels, words, latent, dropped, outcome);
  if (std::find(dropped.begin(), dropped.end(), 1) != dropped.end())
    DropRaters(m, dropped, words, slot_count);
  return dropped;
}

}  // namespace evalsim
