// Multi-item ballots: the item grades drawn beside every overall grade.
//
// Each item i of the scenario ([[items]]) is a latent dimension of its own,
// drawn once per evaluee from the stream (seed, items, evaluee):
//   q_i(e) = loading_i * q(e) + sqrt(1 - loading_i^2) * quality_sd * z,  z ~ N(0, 1).
// A rater of group g who grades evaluee e with the overall perception y (the
// latent value of its overall ballot, see generator.h) perceives item i as
//   y_i = h * y + (1 - h) * (q_i(e) + shift + noise_g * N(0, 1) + noise_i * N(0, 1))
// where shift is the same rater leniency, type shift and bloc shift that y
// holds, and h is the group's `halo`: h = 0 judges the items apart, h = 1
// grades every item as the overall impression. An item grade is the number
// of the calibrated cut points at or below y_i; a blank overall ballot is
// blank on every item. The item draws come from the stream (seed, items,
// replicate, meeting), so the overall grades are exactly those of the same
// scenario without items.
#ifndef EVALSIM_SIM_SIMULATE_ITEM_GEN_H_
#define EVALSIM_SIM_SIMULATE_ITEM_GEN_H_

#include <cstdint>
#include <span>
#include <vector>

#include "sim/core/ballots.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

namespace evalsim {

// Item qualities: quality[i][e] (empty without items).
struct ItemSetup {
  std::vector<std::vector<double>> quality;
  bool Active() const { return !quality.empty(); }
};

ItemSetup MakeItemSetup(const Scenario& s, const Organisation& org);

// What the overall ballot generator records about each ballot of a meeting,
// in the meeting's ballot order: its evaluee (local), rater group, overall
// perception y (NaN for a blank ballot) and the shift in y beyond quality
// and noise.
struct ItemDraw {
  uint32_t evaluee;
  uint32_t group;
  double y;
  double shift;
};

// The item grades of one meeting, item-major: item i's words at
// [i * seen.size(), (i + 1) * seen.size()), each with the rater of the
// overall ballot `words[j]`.
void DrawMeetingItems(const Scenario& s, const ItemSetup& items, const std::vector<double>& cuts,
                      int replicate, int meeting, int first_evaluee,
                      std::span<const uint32_t> words, std::span<const ItemDraw> seen,
                      std::vector<uint32_t>* item_words);

// Assembles the meetings' item words into `out` (whose overall slot_begin
// and ballots are already in place): every item has the overall layout.
// `meeting_words[mi]` is meeting mi's item-major buffer; it is freed.
void AssembleItems(const Scenario& s, const Organisation& org,
                   std::vector<std::vector<uint32_t>>& meeting_words, RatingBallots* out);

}  // namespace evalsim

#endif  // EVALSIM_SIM_SIMULATE_ITEM_GEN_H_
