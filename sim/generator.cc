#include "sim/generator.h"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cstring>

#include "sim/rng.h"

namespace evalsim {
namespace {

// Draws one meeting's ballots, in slot order (evaluee, group, rater).
struct MeetingBallots {
  std::vector<uint32_t> words;
  std::vector<uint64_t> slot_count;  // per local slot (evaluee * G + group)
};

void GenerateMeeting(const GeneratorSetup& setup, int replicate, bool with_blocs, int mi,
                     MeetingBallots& out) {
  const Scenario& s = *setup.scenario;
  const Organisation& org = *setup.organisation;
  const Meeting& m = org.meetings[mi];
  const int G = static_cast<int>(s.raters.size());
  const int K = static_cast<int>(s.shares.size());
  const double* cuts = setup.cuts.data();

  Rng rng(DeriveSeed(
      s.seed, {kStreamBallots, static_cast<uint64_t>(replicate), static_cast<uint64_t>(mi)}));
  // Per-rater leniency for this replicate (raters are a fresh draw each time).
  std::vector<double> leniency(m.num_raters);
  for (int g = 0; g < G; ++g) {
    const RaterGroupSpec& spec = s.raters[g];
    const uint32_t a = m.group_first[g] - m.first_rater;
    for (uint32_t r = a; r < a + m.group_count[g]; ++r)
      leniency[r] = spec.leniency_mean + spec.leniency_sd * rng.Normal();
  }

  // Blocs: each rater of the meeting joins at most one bloc of the meeting's
  // bloc evaluees; its votes for that evaluee rise by `boost` and its votes
  // for every other evaluee of the meeting fall by `penalty`.
  std::vector<int> bloc_evaluees;
  for (int e = m.first_evaluee; e < m.first_evaluee + m.num_evaluees; ++e)
    if (org.bloc[e] >= 0) bloc_evaluees.push_back(e);
  std::vector<int> member_of;  // per local rater: evaluee whose bloc it joined, or -1
  if (with_blocs && !bloc_evaluees.empty()) {
    Rng brng(DeriveSeed(
        s.seed, {kStreamBlocs, static_cast<uint64_t>(replicate), static_cast<uint64_t>(mi)}));
    member_of.assign(m.num_raters, -1);
    for (uint32_t r = 0; r < m.num_raters; ++r) {
      double u = brng.Uniform();
      for (int e : bloc_evaluees) {
        const double size = s.blocs[org.bloc[e]].size;
        // Consecutive intervals of length `size` on [0, 1): a rater joins the
        // bloc whose interval holds u (blocs beyond 1 / size get nobody).
        if (u < size) {
          member_of[r] = e;
          break;
        }
        u -= size;  // the next bloc's interval
      }
    }
  }

  out.words.clear();
  out.words.reserve(static_cast<size_t>(1.05 * setup.expected_per_meeting[mi]) + 64);
  out.slot_count.assign(static_cast<size_t>(m.num_evaluees) * G, 0);
  for (int le = 0; le < m.num_evaluees; ++le) {
    const int e = m.first_evaluee + le;
    const double q = org.quality[e];
    for (int g = 0; g < G; ++g) {
      const RaterGroupSpec& spec = s.raters[g];
      uint32_t a, b;
      if (spec.kind == RaterKind::kPerEvaluee) {
        a = org.per_evaluee_first[g][e];
        b = a + org.per_evaluee_count[g][e];
      } else {
        a = m.group_first[g];
        b = a + m.group_count[g];
      }
      const size_t before = out.words.size();
      const bool sample = spec.coverage < 1.0;
      const bool blank = spec.abstain > 0.0;
      const uint64_t keep = ProbabilityThreshold(spec.coverage);
      const uint64_t abstain = ProbabilityThreshold(spec.abstain);
      const uint32_t self = spec.kind == RaterKind::kFromEvaluees ? a + le : ~0u;
      const double noise = spec.noise;
      for (uint32_t r = a; r < b; ++r) {
        if (r == self) continue;
        if (sample && !rng.BernoulliThreshold(keep)) continue;
        if (blank && rng.BernoulliThreshold(abstain)) {
          out.words.push_back(PackBallot(r, kAbstain));
          continue;
        }
        const uint32_t local = r - m.first_rater;
        double y = q + leniency[local] + noise * rng.Normal();
        if (!member_of.empty() && member_of[local] >= 0) {
          const int target = member_of[local];
          y += target == e ? s.blocs[org.bloc[target]].boost : -s.blocs[org.bloc[target]].penalty;
        }
        // Cut points are increasing, so the grade is the count of cuts <= y.
        int grade = 0;
        for (int k = 0; k < K - 1; ++k) grade += y >= cuts[k];
        out.words.push_back(PackBallot(r, static_cast<uint8_t>(grade)));
      }
      out.slot_count[static_cast<size_t>(le) * G + g] = out.words.size() - before;
    }
  }
}

void FillMetadata(const Scenario& s, const Organisation& org, RatingBallots* out) {
  out->levels = static_cast<int>(s.labels.size());
  out->grade_labels = s.labels;
  out->group_names.clear();
  out->group_weights.clear();
  for (const auto& g : s.raters) {
    out->group_names.push_back(g.group);
    out->group_weights.push_back(g.weight);
  }
  out->ratee_names = org.evaluee_names;
  out->rater_names.clear();
  out->rater_group = org.rater_group;
  out->num_raters = org.NumRaters();
}

}  // namespace

GeneratorSetup MakeGeneratorSetup(const Scenario& s, const Organisation& org) {
  GeneratorSetup setup;
  setup.scenario = &s;
  setup.organisation = &org;
  setup.cuts = CalibrateCuts(s, org);
  // Expected ballots per meeting, to size each meeting's buffer once.
  const int G = static_cast<int>(s.raters.size());
  for (const Meeting& m : org.meetings) {
    double expected = 0;
    for (int g = 0; g < G; ++g) {
      const RaterGroupSpec& spec = s.raters[g];
      const double pairs = spec.kind == RaterKind::kPerMeeting
                               ? static_cast<double>(m.group_count[g]) * m.num_evaluees
                           : spec.kind == RaterKind::kPerEvaluee
                               ? static_cast<double>(m.group_count[g])
                               : static_cast<double>(m.num_evaluees) * (m.num_evaluees - 1);
      expected += pairs * spec.coverage;
    }
    setup.expected_per_meeting.push_back(expected);
  }
  return setup;
}

void GenerateBallots(const GeneratorSetup& setup, int replicate, bool with_blocs,
                     RatingBallots* out, RankingBallots* /*rankings*/, PairwiseBallots* /*pairs*/) {
  const Scenario& s = *setup.scenario;
  const Organisation& org = *setup.organisation;
  if (out->ratee_names.size() != org.evaluee_names.size() || out->levels == 0)
    FillMetadata(s, org, out);
  const int M = static_cast<int>(org.meetings.size());
  const int G = static_cast<int>(s.raters.size());
  const size_t slots = static_cast<size_t>(org.NumEvaluees()) * G;

  // Pass 1: each meeting draws into its own buffer (meetings in chunks so
  // that buffers are reused within a chunk's worker).
  std::vector<MeetingBallots> buffers(M);
  // Isolation keeps a worker waiting here from picking up another replicate.
  tbb::this_task_arena::isolate([&] {
    tbb::parallel_for(tbb::blocked_range<int>(0, M, 16), [&](const tbb::blocked_range<int>& r) {
      for (int mi = r.begin(); mi != r.end(); ++mi)
        GenerateMeeting(setup, replicate, with_blocs, mi, buffers[mi]);
    });
  });

  // Pass 2: offsets, then every meeting copies into its contiguous range
  // (a meeting's evaluees, and so its slots, are contiguous).
  out->slot_begin.assign(slots + 1, 0);
  std::vector<uint64_t> meeting_begin(M + 1, 0);
  for (int mi = 0; mi < M; ++mi) {
    const Meeting& m = org.meetings[mi];
    uint64_t at = meeting_begin[mi];
    const size_t base = static_cast<size_t>(m.first_evaluee) * G;
    for (size_t ls = 0; ls < buffers[mi].slot_count.size(); ++ls) {
      out->slot_begin[base + ls] = at;
      at += buffers[mi].slot_count[ls];
    }
    meeting_begin[mi + 1] = at;
  }
  out->slot_begin[slots] = meeting_begin[M];
  out->ballot.resize(meeting_begin[M]);
  out->weight.clear();
  tbb::this_task_arena::isolate([&] {
    tbb::parallel_for(tbb::blocked_range<int>(0, M, 64), [&](const tbb::blocked_range<int>& r) {
      for (int mi = r.begin(); mi != r.end(); ++mi) {
        const auto& w = buffers[mi].words;
        if (!w.empty())
          std::memcpy(out->ballot.data() + meeting_begin[mi], w.data(),
                      w.size() * sizeof(uint32_t));
        std::vector<uint32_t>().swap(buffers[mi].words);
      }
    });
  });
}

}  // namespace evalsim
