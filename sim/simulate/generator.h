// Ballot generation: one replicate of votes on a fixed organisation.
//
// Every meeting draws from its own stream DeriveSeed(seed, ballots,
// replicate, meeting), so the ballots do not depend on the thread count or
// on the order in which meetings run. A ballot's latent value is
//   quality(evaluee) + type shift(evaluee, group) + leniency(rater) + noise * N(0,1) + bloc shift
// and its grade is the number of calibrated cut points at or below it (the
// cut points of the group's own scale, calibrated per scale). Anchoring and
// conformity (sim/simulate/influence.h) and "don't know" ballots (drawn
// from their own stream after the ballot's latent value, so the other
// ballots stay as they are) apply only to groups that set them.
// Bloc affiliations come from a separate stream, so a run without blocs
// (`with_blocs = false`) sees exactly the same draws otherwise: the
// difference between the two is the blocs' effect alone.
#ifndef EVALSIM_SIM_SIMULATE_GENERATOR_H_
#define EVALSIM_SIM_SIMULATE_GENERATOR_H_

#include <vector>

#include "sim/core/ballots.h"
#include "sim/core/comparisons.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/item_gen.h"
#include "sim/simulate/meeting_rules.h"
#include "sim/simulate/organisation.h"

namespace evalsim {

struct GeneratorSetup {
  const Scenario* scenario = nullptr;
  const Organisation* organisation = nullptr;
  std::vector<double> cuts;                     // from CalibrateCuts
  std::vector<std::vector<double>> scale_cuts;  // per [[scales]] entry
  std::vector<double> expected_per_meeting;     // expected ballots, to size buffers
  ItemSetup items;                              // item qualities (inactive without items)
  // Per rater (global id): the leniency to use instead of the one drawn for
  // the replicate (null = drawn). The draw is still made, so that every other
  // draw of the meeting's stream stays where it was. Repeated appraisals
  // (sim/experiments/periods.h) keep their raters' leniency this way.
  const std::vector<double>* leniency = nullptr;
  // The meetings drawn: [first_meeting, end_meeting) (-1 = to the last).
  // The others get no ballots; those drawn get exactly the ballots of a
  // full draw (one process's part of a split replicate: sim/run/split.h).
  int first_meeting = 0;
  int end_meeting = -1;
};

GeneratorSetup MakeGeneratorSetup(const Scenario& s, const Organisation& org);

// One meeting's comparison ballots before they are assembled in meeting
// order. Candidates are global evaluee ids.
struct MeetingComparisons {
  // Ranking mode: order o lists positions [order_begin[o], order_begin[o + 1])
  // of `candidate` (best first) with their `tier`; order_rater[o] is the
  // rater (global id) who cast it.
  std::vector<uint64_t> order_begin{0};
  std::vector<uint32_t> candidate, tier, order_rater;
  // Pairs mode: comparison i has winner[i] beat loser[i] with weight[i], cast
  // by pair_rater[i]; raters in id order, each rater's draws in draw order.
  std::vector<uint32_t> winner, loser, pair_rater;
  std::vector<float> weight;

  size_t NumOrders() const { return order_rater.size(); }
  void Clear();
};

// Draws meeting `meeting` of `replicate` exactly as GenerateBallots does and
// returns its comparison ballots (empty when the scenario has none). For
// tests and tools that look at one meeting.
void GenerateMeetingComparisons(const GeneratorSetup& setup, int replicate, bool with_blocs,
                                int meeting, MeetingComparisons* out);

// Fills `out` with the ballots of `replicate` (and, when the scenario has
// [[items]], their item grades: see item_gen.h). The metadata (names, groups)
// is filled on first use and kept when `out` is reused. Runs in parallel over
// meetings on the calling thread's task arena.
//
// When the scenario asks for comparison ballots ([comparisons]), the same
// raters also rank (`rankings`, mode "ranking") or compare random pairs
// (`pairs`, mode "pairs") from the perceptions behind their rating ballots;
// pass null for a kind the caller does not need. A non-null output of the
// kind the scenario does not ask for is left empty (its ratee names set).
//
// The perception of a rater of evaluee e is the latent value y of its
// rating ballot on e (captured as it is drawn, so the rating ballots are the
// same whether or not comparisons are asked for). Only the evaluees a rater
// graded count: a skipped pair (`coverage`) or a blank ballot (`abstain`)
// is not compared. Then, per rater in id order:
//   ranking: the evaluees it graded, or a random subset of `rank_size` of
//     them when it graded more, ordered by y, highest first (exactly equal y
//     share a tier); one order of weight 1; identical orders are merged.
//   pairs: `pairs_per_rater` distinct random unordered pairs of the evaluees
//     it graded (every pair, in random order, when it graded fewer than that
//     many pairs); the higher y wins with weight 1, an exact tie is half a
//     win each way.
// A rater who graded fewer than two evaluees casts nothing; so raters of
// `per_evaluee` groups, who grade one evaluee, never compare. Subsets and
// pairs come from the stream (seed, comparisons, replicate, meeting), so
// they do not shift any other stream. Orders and comparisons are listed in
// (meeting, rater, draw) order, whatever the thread count. Memory: the
// perceptions are kept one meeting at a time per worker.
//
// With meeting rules (scenario [meetings] absence, quorum, min_panel,
// overcount, max_top; sim/simulate/meeting_rules.h) each meeting's ballots
// are drawn as without them, then the ballots (and comparisons) of absent
// raters, of voided ballots and of void meetings are dropped and max_top is
// enforced; `outcomes` (optional) receives what the rules did to each
// meeting, in meeting order.
void GenerateBallots(const GeneratorSetup& setup, int replicate, bool with_blocs,
                     RatingBallots* out, RankingBallots* rankings = nullptr,
                     PairwiseBallots* pairs = nullptr,
                     std::vector<MeetingOutcome>* outcomes = nullptr);

}  // namespace evalsim

#endif  // EVALSIM_SIM_SIMULATE_GENERATOR_H_
