// Grade histograms: the summary every classic rubric starts from. One pass
// over a slot's packed words; abstentions are excluded.
#ifndef EVALSIM_MODELS_COMMON_TALLY_H_
#define EVALSIM_MODELS_COMMON_TALLY_H_

#include <Eigen/Core>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "models/model.h"
#include "models/spec.h"
#include "sim/core/ballots.h"
#include "sim/core/options.h"

namespace evalsim {

// Adds the (weighted) count of each grade 0..K-1 in `slot` to counts[0..K-1].
void TallySlot(const RatingBallots& ballots, int slot, double* counts);

// Histogram of every slot: row s = ratee * G + group, K columns (from
// `shared` when it counts these ballots).
Eigen::MatrixXd TallySlots(const RatingBallots& ballots, const SlotCounts* shared = nullptr);

// Histogram of every ratee over all groups: n x K (from `shared` when it
// counts these ballots).
Eigen::MatrixXd TallyRatees(const RatingBallots& ballots, const SlotCounts* shared = nullptr);

// The grade counts of the `slots` slots from `first` of unweighted
// `ballots`, `levels` per slot, slots in order (in parallel).
std::vector<uint32_t> CountSlots(const RatingBallots& ballots, int first, int slots);

// The counts of every slot of unweighted `ballots`, one pass (slots in
// parallel), for ModelInput::slot_counts.
SlotCounts TallyEverySlot(const RatingBallots& ballots);

// Adds the count of each grade of `slot` to counts[0..K-1]: from `shared`
// when it counts these very ballots, else by a pass over the slot
// (TallySlot). The two give the same doubles.
void AddSlotCounts(const SlotCounts* shared, const RatingBallots& ballots, int slot,
                   double* counts);

// Shared option: `points` (one number per grade, lowest grade first). The
// default for K = 4 is [0, 60, 80, 100]; otherwise evenly spaced 0..100.
std::vector<double> DefaultPoints(int levels);
// The declaration of `points` (the printed default and doc vary by model)
// and its reading: DefaultPoints(K) when absent.
ParamDoc PointsParam(std::string default_value = "[0,60,80,100] for K=4, else 0..100 evenly",
                     std::string doc = "points of each grade, lowest grade first");
std::vector<double> ReadPoints(ParamReader& in);

// Shared option: `group_weights` ({group = weight}). Returns one weight per
// group of ctx (groups not named get 0), or an empty vector when the option
// is absent (then the ballots' own group weights apply).
ParamDoc GroupWeightsParam(std::string doc);
std::vector<double> ReadGroupWeights(ParamReader& in);

// The weights to use: `option` when given, else the ballots' group weights.
std::vector<double> EffectiveGroupWeights(const std::vector<double>& option,
                                          const RatingBallots& ballots);

// sum_g w_g * value_g / sum_g w_g over groups with present[g]; `fallback`
// when no group is present or the weights of the present groups sum to 0.
double CombineGroups(std::span<const double> value, std::span<const bool> present,
                     std::span<const double> weights, double fallback);

// The summed weight of the groups with present[g]. When an evaluee has valid
// votes but this is 0 (every group that voted weighs 0), CombineGroups falls
// back and the model should say so.
double PresentWeight(std::span<const bool> present, std::span<const double> weights);

}  // namespace evalsim

#endif  // EVALSIM_MODELS_COMMON_TALLY_H_
