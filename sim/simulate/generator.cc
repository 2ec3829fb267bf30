#include "sim/simulate/generator.h"

#include <tbb/blocked_range.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "sim/core/parallel.h"
#include "sim/core/rng.h"
#include "sim/simulate/influence.h"
#include "sim/simulate/meeting_rules.h"

namespace evalsim {
namespace {

// The perception recorded for a blank ballot (item_gen.h).
constexpr double kNoPerception = std::numeric_limits<double>::quiet_NaN();

// Draws one meeting's ballots, in slot order (evaluee, group, rater).
struct MeetingBallots {
  std::vector<uint32_t> words;
  std::vector<uint64_t> slot_count;  // per local slot (evaluee * G + group)
  std::vector<double> latent;        // per word, with max_top only (NaN = blank)
  MeetingOutcome outcome;            // what the meeting rules did
  std::vector<ItemDraw> item_seen;   // per word, when the scenario has items
};

// The latent value behind one valid rating ballot of a meeting.
struct Perception {
  uint32_t rater;    // local to the meeting
  uint32_t evaluee;  // local to the meeting
  double y;
};

// Per-rater leniency for this replicate (raters are a fresh draw each time),
// drawn from the meeting's stream `rng` group by group.
std::vector<double> DrawLeniency(const Scenario& s, const Meeting& m, Rng& rng) {
  const int G = static_cast<int>(s.raters.size());
  std::vector<double> leniency(m.num_raters);
  for (int g = 0; g < G; ++g) {
    const RaterGroupSpec& spec = s.raters[g];
    const uint32_t a = m.group_first[g] - m.first_rater;
    for (uint32_t r = a; r < a + m.group_count[g]; ++r)
      leniency[r] = spec.leniency_mean + spec.leniency_sd * rng.Normal();
  }
  return leniency;
}

// Blocs: each rater of the meeting joins at most one bloc of the meeting's
// bloc evaluees; its votes for that evaluee rise by `boost` and its votes
// for every other evaluee of the meeting fall by `penalty`. Per local rater:
// the evaluee whose bloc it joined, or -1; empty when no rater can join.
std::vector<int> DrawBlocMembers(const Scenario& s, const Organisation& org, int replicate,
                                 bool with_blocs, int mi) {
  const Meeting& m = org.meetings[mi];
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
  return member_of;
}

// The meeting rules on meeting `mi`'s freshly drawn ballots: attendance,
// void meetings and max_top (sim/simulate/meeting_rules.h). The perceptions
// of raters whose ballots were dropped are dropped with them.
void ApplyRules(const Scenario& s, const Meeting& m, int replicate, int mi, MeetingBallots& out,
                std::vector<Perception>* seen) {
  std::vector<uint8_t> absent;
  out.outcome = DrawAttendance(s.meeting_rules, s.seed, m, replicate, mi, &absent);
  const std::vector<uint8_t> dropped =
      ApplyMeetingRules(s.meeting_rules, m, static_cast<int>(s.shares.size()), absent, out.words,
                        out.slot_count, out.latent, out.outcome);
  if (seen) std::erase_if(*seen, [&](const Perception& p) { return dropped[p.rater] != 0; });
  std::vector<double>().swap(out.latent);  // needed no more: free it before the next meeting
}

// One meeting's draws: its streams, its raters' leniencies and bloc
// memberships, the stated views they may anchor on, and where the ballots
// (and what goes beside them) are written.
struct MeetingDraw {
  const GeneratorSetup& setup;
  const Scenario& s;
  const Organisation& org;
  const Meeting& m;
  Rng rng, dk_rng;
  std::vector<double> leniency;
  std::vector<int> member_of;
  AnchorViews views;
  bool keep_latent;
  MeetingBallots& out;
  std::vector<ItemDraw>* items;   // with items only
  std::vector<Perception>* seen;  // when the caller captures perceptions

  // A ballot with no perception behind it (blank, or "don't know").
  void PushUnperceived(uint32_t r, uint8_t code, int le, int g) {
    out.words.push_back(PackBallot(r, code));
    if (keep_latent) out.latent.push_back(std::numeric_limits<double>::quiet_NaN());
    if (items)
      items->push_back({static_cast<uint32_t>(le), static_cast<uint32_t>(g), kNoPerception, 0});
  }
};

// Draws the ballots of the meeting's local evaluee `le` from group g's
// raters, rater by rater, into d.out (the streams move on in that order).
// Inlined into the meeting's loop: as a call, generation measured 5 % slower
// (Generate/municipal, CPU time).
[[gnu::always_inline]] inline void DrawSlot(MeetingDraw& d, int le, int g) {
  const Scenario& s = d.s;
  const Organisation& org = d.org;
  const Meeting& m = d.m;
  const RaterGroupSpec& spec = s.raters[g];
  const int e = m.first_evaluee + le;
  uint32_t a, b;
  if (spec.kind == RaterKind::kPerEvaluee) {
    a = org.per_evaluee_first[g][e];
    b = a + org.per_evaluee_count[g][e];
  } else {
    a = m.group_first[g];
    b = a + m.group_count[g];
  }
  const bool sample = spec.coverage < 1.0;
  const bool blank = spec.abstain > 0.0;
  const uint64_t keep = ProbabilityThreshold(spec.coverage);
  const uint64_t abstain = ProbabilityThreshold(spec.abstain);
  const uint32_t own = spec.kind == RaterKind::kFromEvaluees ? a + le : ~0u;  // as a rater
  const uint32_t self = spec.self_vote ? ~0u : own;  // skipped unless self-votes
  const double noise = spec.noise;
  // The evaluee's type shift (0 without types, and then base == quality).
  const double type_shift = org.TypeShift(s, e, g);
  const double base = org.quality[e] + type_shift;
  const bool capture = d.seen && spec.kind != RaterKind::kPerEvaluee;
  // The group's scale: its cut points and "don't know" share.
  const std::vector<double>& cuts = spec.scale < 0 ? d.setup.cuts : d.setup.scale_cuts[spec.scale];
  const uint64_t dont_know =
      spec.scale < 0 ? 0 : ProbabilityThreshold(s.scales[spec.scale].dont_know);
  const double anchor = spec.anchor;
  const int G = static_cast<int>(s.raters.size());
  const double view =
      anchor > 0.0 ? d.views.Of(le, spec.anchor_group < 0 ? G : spec.anchor_group) : 0.0;
  // Locals, so that the loop keeps them in registers across the appends.
  const double* leniency = d.leniency.data();
  const int* member_of = d.member_of.empty() ? nullptr : d.member_of.data();
  std::vector<ItemDraw>* items = d.items;
  std::vector<Perception>* seen = capture ? d.seen : nullptr;
  const bool keep_latent = d.keep_latent;
  std::vector<uint32_t>& words = d.out.words;
  for (uint32_t r = a; r < b; ++r) {
    if (r == self) continue;
    if (sample && !d.rng.BernoulliThreshold(keep)) continue;
    if (blank && d.rng.BernoulliThreshold(abstain)) {
      d.PushUnperceived(r, kAbstain, le, g);
      continue;
    }
    const uint32_t local = r - m.first_rater;
    double y = base + leniency[local] + noise * d.rng.Normal();
    if (spec.self_vote && r == own) y += spec.self_boost;
    double bloc_shift = 0.0;
    if (member_of && member_of[local] >= 0) {
      const int target = member_of[local];
      bloc_shift =
          target == e ? s.blocs[org.bloc[target]].boost : -s.blocs[org.bloc[target]].penalty;
      y += bloc_shift;
    }
    if (anchor > 0.0) y = (1.0 - anchor) * y + anchor * view;
    if (dont_know > 0 && d.dk_rng.BernoulliThreshold(dont_know)) {
      // Drawn like a graded ballot (the stream moves on alike), then recorded as 不了解.
      d.PushUnperceived(r, kDontKnow, le, g);
      continue;
    }
    if (items)
      items->push_back({static_cast<uint32_t>(le), static_cast<uint32_t>(g), y,
                        type_shift + leniency[local] + bloc_shift});
    // Cut points are increasing, so the grade is the count of cuts <= y.
    int grade = 0;
    for (const double c : cuts) grade += y >= c;
    words.push_back(PackBallot(r, static_cast<uint8_t>(grade)));
    if (keep_latent) d.out.latent.push_back(y);
    if (seen) seen->push_back({local, static_cast<uint32_t>(le), y});
  }
}

// When `seen` is not null, the latent value of every valid ballot of a rater
// who can compare (not of a per-evaluee group) is appended to it, in draw
// order. Capturing draws nothing, so the ballots are the same either way.
void GenerateMeeting(const GeneratorSetup& setup, int replicate, bool with_blocs, int mi,
                     MeetingBallots& out, std::vector<Perception>* seen = nullptr) {
  const Scenario& s = *setup.scenario;
  const Organisation& org = *setup.organisation;
  const Meeting& m = org.meetings[mi];
  const int G = static_cast<int>(s.raters.size());
  const auto stream = [&](uint64_t kind) {
    return Rng(
        DeriveSeed(s.seed, {kind, static_cast<uint64_t>(replicate), static_cast<uint64_t>(mi)}));
  };
  MeetingDraw d{setup,
                s,
                org,
                m,
                stream(kStreamBallots),
                stream(kStreamDontKnow),
                {},
                {},
                {},
                s.meeting_rules.max_top > 0,
                out,
                setup.items.Active() ? &out.item_seen : nullptr,
                seen};
  d.leniency = DrawLeniency(s, m, d.rng);
  if (setup.leniency)
    std::copy_n(setup.leniency->begin() + m.first_rater, m.num_raters, d.leniency.begin());
  d.member_of = DrawBlocMembers(s, org, replicate, with_blocs, mi);
  d.views = DrawAnchorViews(s, org, replicate, mi);
  if (d.items) d.items->clear();
  out.words.clear();
  out.words.reserve(static_cast<size_t>(1.05 * setup.expected_per_meeting[mi]) + 64);
  out.latent.clear();
  out.outcome = MeetingOutcome{m.num_raters, m.num_raters};
  if (seen) seen->clear();
  out.slot_count.assign(static_cast<size_t>(m.num_evaluees) * G, 0);
  for (int le = 0; le < m.num_evaluees; ++le) {
    for (int g = 0; g < G; ++g) {
      const size_t before = out.words.size();
      DrawSlot(d, le, g);
      out.slot_count[static_cast<size_t>(le) * G + g] = out.words.size() - before;
    }
  }
  if (AnyConformity(s))
    ApplyConformity(s, replicate, mi, m.num_evaluees, out.slot_count, out.words);
  if (s.meeting_rules.Any()) ApplyRules(s, m, replicate, mi, out, seen);
}

// Reusable buffers of DrawComparisons.
struct ComparisonScratch {
  std::vector<uint32_t> start;  // per local rater: first of its perceptions in `by_rater`
  std::vector<Perception> by_rater;
  std::vector<Perception> pick;
  std::vector<std::pair<uint32_t, uint32_t>> pairs;
  std::vector<uint64_t> chosen_small;
  std::unordered_set<uint64_t> chosen;
};

// Appends "a vs b" by perception: the higher y wins, an exact tie is half a
// win each way.
void EmitComparison(const Perception& a, const Perception& b, uint32_t first_evaluee,
                    uint32_t rater, MeetingComparisons* out) {
  const uint32_t ea = first_evaluee + a.evaluee, eb = first_evaluee + b.evaluee;
  const auto push = [&](uint32_t w, uint32_t l, float weight) {
    out->winner.push_back(w);
    out->loser.push_back(l);
    out->weight.push_back(weight);
    out->pair_rater.push_back(rater);
  };
  if (a.y > b.y) {
    push(ea, eb, 1.0f);
  } else if (b.y > a.y) {
    push(eb, ea, 1.0f);
  } else {
    push(ea, eb, 0.5f);
    push(eb, ea, 0.5f);
  }
}

// Draws `k` distinct unordered pairs of {0, ..., n - 1} (all of them, when
// there are at most k), in random order, into scratch.pairs.
void DrawPairs(uint32_t n, uint64_t k, Rng& rng, ComparisonScratch& scratch) {
  auto& pairs = scratch.pairs;
  pairs.clear();
  const uint64_t total = static_cast<uint64_t>(n) * (n - 1) / 2;
  if (2 * k > total) {
    // Dense: list every pair and shuffle the first min(k, total) into place.
    for (uint32_t i = 0; i < n; ++i)
      for (uint32_t j = i + 1; j < n; ++j) pairs.emplace_back(i, j);
    const uint64_t take = std::min(k, total);
    for (uint64_t i = 0; i < take; ++i) std::swap(pairs[i], pairs[i + rng.Below(total - i)]);
    pairs.resize(take);
    return;
  }
  // Sparse: draw ordered pairs of distinct members and reject repeats of
  // an unordered pair (at most half the pairs are taken, so on average
  // fewer than two draws per pair).
  const bool small = k <= 64;
  scratch.chosen_small.clear();
  scratch.chosen.clear();
  while (pairs.size() < k) {
    const uint32_t i = static_cast<uint32_t>(rng.Below(n));
    uint32_t j = static_cast<uint32_t>(rng.Below(n - 1));
    if (j >= i) ++j;
    const uint64_t key = static_cast<uint64_t>(std::min(i, j)) * n + std::max(i, j);
    if (small) {
      auto& c = scratch.chosen_small;
      if (std::find(c.begin(), c.end(), key) != c.end()) continue;
      c.push_back(key);
    } else if (!scratch.chosen.insert(key).second) {
      continue;
    }
    pairs.emplace_back(i, j);
  }
}

// Turns a meeting's perceptions into its comparison ballots (see
// GenerateBallots in generator.h for the rules).
void DrawComparisons(const GeneratorSetup& setup, int replicate, int mi,
                     const std::vector<Perception>& seen, ComparisonScratch& scratch,
                     MeetingComparisons* out) {
  out->Clear();
  const Scenario& s = *setup.scenario;
  const Meeting& m = setup.organisation->meetings[mi];
  const ComparisonSpec& c = s.comparisons;
  if (c.mode == ComparisonMode::kNone) return;

  // Group by rater; a stable counting sort keeps each rater's perceptions
  // in evaluee order.
  auto& start = scratch.start;
  start.assign(static_cast<size_t>(m.num_raters) + 1, 0);
  for (const Perception& p : seen) ++start[p.rater + 1];
  for (uint32_t r = 0; r < m.num_raters; ++r) start[r + 1] += start[r];
  scratch.by_rater.resize(seen.size());
  {
    std::vector<uint32_t> at(start.begin(), start.end() - 1);
    for (const Perception& p : seen) scratch.by_rater[at[p.rater]++] = p;
  }

  Rng rng(DeriveSeed(
      s.seed, {kStreamComparisons, static_cast<uint64_t>(replicate), static_cast<uint64_t>(mi)}));
  const uint32_t first_evaluee = static_cast<uint32_t>(m.first_evaluee);
  for (uint32_t r = 0; r < m.num_raters; ++r) {
    const uint32_t n = start[r + 1] - start[r];
    if (n < 2) continue;
    const Perception* mine = scratch.by_rater.data() + start[r];
    const uint32_t rater = m.first_rater + r;
    if (c.mode == ComparisonMode::kRanking) {
      auto& pick = scratch.pick;
      pick.assign(mine, mine + n);
      if (c.rank_size > 0 && static_cast<uint32_t>(c.rank_size) < n) {
        // Partial Fisher-Yates: a uniform random subset of rank_size.
        const uint32_t k = static_cast<uint32_t>(c.rank_size);
        for (uint32_t i = 0; i < k; ++i)
          std::swap(pick[i], pick[i + static_cast<uint32_t>(rng.Below(n - i))]);
        pick.resize(k);
      }
      std::sort(pick.begin(), pick.end(), [](const Perception& a, const Perception& b) {
        return a.y != b.y ? a.y > b.y : a.evaluee < b.evaluee;
      });
      uint32_t tier = 0;
      for (size_t i = 0; i < pick.size(); ++i) {
        if (i > 0 && pick[i].y != pick[i - 1].y) ++tier;
        out->candidate.push_back(first_evaluee + pick[i].evaluee);
        out->tier.push_back(tier);
      }
      out->order_begin.push_back(out->candidate.size());
      out->order_rater.push_back(rater);
    } else {
      DrawPairs(n, static_cast<uint64_t>(c.pairs_per_rater), rng, scratch);
      for (const auto& [i, j] : scratch.pairs)
        EmitComparison(mine[i], mine[j], first_evaluee, rater, out);
    }
  }
}

// The item grades of meeting `mi` beside its overall ballots `b`.
void DrawItems(const GeneratorSetup& setup, int replicate, int mi, MeetingBallots& b,
               std::vector<uint32_t>* item_words) {
  const int first = setup.organisation->meetings[mi].first_evaluee;
  DrawMeetingItems(*setup.scenario, setup.items, setup.cuts, replicate, mi, first, b.words,
                   b.item_seen, item_words);
  std::vector<ItemDraw>().swap(b.item_seen);
}

// The named scales of `s` when some group grades on one (else none).
void FillScales(const Scenario& s, RatingBallots* out) {
  out->scales.clear();
  out->group_scale.clear();
  const bool any = std::any_of(s.raters.begin(), s.raters.end(),
                               [](const RaterGroupSpec& g) { return g.scale >= 0; });
  if (!any) return;
  out->main_levels = out->levels;
  for (const ScaleSpec& sc : s.scales) {
    out->scales.push_back(
        {sc.name, static_cast<int>(sc.labels.size()), sc.labels, sc.dont_know_label});
    out->levels = std::max(out->levels, static_cast<int>(sc.labels.size()));
  }
  for (const RaterGroupSpec& g : s.raters) out->group_scale.push_back(g.scale);
}

void FillMetadata(const Scenario& s, const Organisation& org, RatingBallots* out) {
  out->levels = static_cast<int>(s.labels.size());
  out->grade_labels = s.labels;
  FillScales(s, out);
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

void MeetingComparisons::Clear() {
  order_begin.assign(1, 0);
  candidate.clear();
  tier.clear();
  order_rater.clear();
  winner.clear();
  loser.clear();
  pair_rater.clear();
  weight.clear();
}

void GenerateMeetingComparisons(const GeneratorSetup& setup, int replicate, bool with_blocs,
                                int meeting, MeetingComparisons* out) {
  out->Clear();
  if (setup.scenario->comparisons.mode == ComparisonMode::kNone) return;
  MeetingBallots ballots;
  std::vector<Perception> seen;
  ComparisonScratch scratch;
  GenerateMeeting(setup, replicate, with_blocs, meeting, ballots, &seen);
  DrawComparisons(setup, replicate, meeting, seen, scratch, out);
}

GeneratorSetup MakeGeneratorSetup(const Scenario& s, const Organisation& org) {
  GeneratorSetup setup;
  setup.scenario = &s;
  setup.organisation = &org;
  setup.cuts = CalibrateCuts(s, org);
  for (int sc = 0; sc < static_cast<int>(s.scales.size()); ++sc)
    setup.scale_cuts.push_back(CalibrateCuts(s, org, sc));
  if (!s.items.empty()) setup.items = MakeItemSetup(s, org);
  // Expected ballots per meeting, to size each meeting's buffer once.
  const int G = static_cast<int>(s.raters.size());
  for (const Meeting& m : org.meetings) {
    double expected = 0;
    for (int g = 0; g < G; ++g) {
      const RaterGroupSpec& spec = s.raters[g];
      const double pairs =
          spec.kind == RaterKind::kPerMeeting
              ? static_cast<double>(m.group_count[g]) * m.num_evaluees
          : spec.kind == RaterKind::kPerEvaluee
              ? static_cast<double>(m.group_count[g])
              : static_cast<double>(m.num_evaluees) * (m.num_evaluees - (spec.self_vote ? 0 : 1));
      expected += pairs * spec.coverage;
    }
    setup.expected_per_meeting.push_back(expected);
  }
  return setup;
}

namespace {

// Pass 2 of GenerateBallots: offsets, then every meeting copies into its
// contiguous range (a meeting's evaluees, and so its slots, are contiguous).
// Frees the meetings' buffers.
void CopyRatings(const Organisation& org, int G, std::vector<MeetingBallots>& buffers,
                 RatingBallots* out) {
  const int M = static_cast<int>(org.meetings.size());
  const size_t slots = static_cast<size_t>(org.NumEvaluees()) * G;
  out->slot_begin.assign(slots + 1, 0);
  std::vector<uint64_t> meeting_begin(M + 1, 0);
  for (int mi = 0; mi < M; ++mi) {
    const Meeting& m = org.meetings[mi];
    uint64_t at = meeting_begin[mi];
    const size_t base = static_cast<size_t>(m.first_evaluee) * G;
    const std::vector<uint64_t>& count = buffers[mi].slot_count;  // empty: not drawn
    for (size_t ls = 0; ls < static_cast<size_t>(m.num_evaluees) * G; ++ls) {
      out->slot_begin[base + ls] = at;
      if (ls < count.size()) at += count[ls];
    }
    meeting_begin[mi + 1] = at;
  }
  out->slot_begin[slots] = meeting_begin[M];
  out->ballot.resize(meeting_begin[M]);
  out->weight.clear();
  tbb::this_task_arena::isolate([&] {
    ParallelFor(tbb::blocked_range<int>(0, M, 64), [&](const tbb::blocked_range<int>& r) {
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

// The ranking ballots of the meetings, in meeting order (an empty set of
// the organisation's evaluees when the scenario draws none).
void AssembleRankings(const Organisation& org, bool want_rankings,
                      std::vector<MeetingComparisons>& compared, RankingBallots* rankings) {
  if (want_rankings) {
    RankingBuilder builder(org.evaluee_names);
    for (MeetingComparisons& c : compared) {
      for (size_t o = 0; o < c.NumOrders(); ++o) {
        const size_t a = c.order_begin[o], len = c.order_begin[o + 1] - a;
        builder.Add({c.candidate.data() + a, len}, {c.tier.data() + a, len}, 1.0);
      }
      c = MeetingComparisons();
    }
    *rankings = builder.Finish();
    rankings->unranked_below = false;  // raters rank only the evaluees they saw
  } else {
    *rankings = RankingBallots();
    rankings->ratee_names = org.evaluee_names;
  }
}

// The pairwise ballots of the meetings, in meeting order (an empty set of
// the organisation's evaluees when the scenario draws none).
void AssemblePairs(const Organisation& org, bool want_pairs,
                   std::vector<MeetingComparisons>& compared, PairwiseBallots* pairs) {
  std::vector<std::string> names = std::move(pairs->ratee_names);
  if (names != org.evaluee_names) names = org.evaluee_names;
  *pairs = PairwiseBallots();
  pairs->ratee_names = std::move(names);
  if (want_pairs) {
    size_t total = 0;
    for (const MeetingComparisons& c : compared) total += c.winner.size();
    pairs->seq_winner.reserve(total);
    pairs->seq_loser.reserve(total);
    pairs->seq_weight.reserve(total);
    for (MeetingComparisons& c : compared) {
      pairs->seq_winner.insert(pairs->seq_winner.end(), c.winner.begin(), c.winner.end());
      pairs->seq_loser.insert(pairs->seq_loser.end(), c.loser.begin(), c.loser.end());
      pairs->seq_weight.insert(pairs->seq_weight.end(), c.weight.begin(), c.weight.end());
      c = MeetingComparisons();
    }
    AggregatePairwise(pairs);
  }
}

}  // namespace

void GenerateBallots(const GeneratorSetup& setup, int replicate, bool with_blocs,
                     RatingBallots* out, RankingBallots* rankings, PairwiseBallots* pairs,
                     std::vector<MeetingOutcome>* outcomes) {
  const Scenario& s = *setup.scenario;
  const Organisation& org = *setup.organisation;
  if (out->ratee_names.size() != org.evaluee_names.size() || out->levels == 0)
    FillMetadata(s, org, out);
  const int M = static_cast<int>(org.meetings.size());
  const int G = static_cast<int>(s.raters.size());

  const ComparisonMode mode = s.comparisons.mode;
  const bool want_rankings = rankings && mode == ComparisonMode::kRanking;
  const bool want_pairs = pairs && mode == ComparisonMode::kPairs;
  const bool compare = want_rankings || want_pairs;

  // Pass 1: each meeting draws into its own buffer (meetings in chunks so
  // that buffers are reused within a chunk's worker). With comparisons, the
  // meeting's perceptions go into a per-worker buffer and are turned into
  // the meeting's comparison ballots at once.
  std::vector<MeetingBallots> buffers(M);
  std::vector<MeetingComparisons> compared(compare ? M : 0);
  std::vector<std::vector<uint32_t>> item_words(setup.items.Active() ? M : 0);
  // Isolation keeps a worker waiting here from picking up another replicate.
  const int first = setup.first_meeting, end = setup.end_meeting < 0 ? M : setup.end_meeting;
  tbb::this_task_arena::isolate([&] {
    ParallelFor(tbb::blocked_range<int>(first, end, 16), [&](const tbb::blocked_range<int>& r) {
      std::vector<Perception> seen;
      ComparisonScratch scratch;
      for (int mi = r.begin(); mi != r.end(); ++mi) {
        GenerateMeeting(setup, replicate, with_blocs, mi, buffers[mi], compare ? &seen : nullptr);
        if (setup.items.Active()) DrawItems(setup, replicate, mi, buffers[mi], &item_words[mi]);
        if (compare) DrawComparisons(setup, replicate, mi, seen, scratch, &compared[mi]);
      }
    });
  });

  if (outcomes) {
    outcomes->resize(M);
    for (int mi = 0; mi < M; ++mi) (*outcomes)[mi] = buffers[mi].outcome;
  }
  // Pass 2: offsets, then every meeting copies into its contiguous range.
  CopyRatings(org, G, buffers, out);
  if (setup.items.Active()) AssembleItems(s, org, item_words, out);
  // Pass 3: comparison ballots, assembled in meeting order.
  if (rankings) AssembleRankings(org, want_rankings, compared, rankings);
  if (pairs) AssemblePairs(org, want_pairs, compared, pairs);
}

}  // namespace evalsim
