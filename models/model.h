// The model interface. A model is a pure function of (ballots, options):
// it never sees the scenario or the truth. Options are parsed and validated
// once, when the model is created through the registry; Score() then cannot
// fail on user input.
#ifndef EVALSIM_MODELS_MODEL_H_
#define EVALSIM_MODELS_MODEL_H_

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/ballots.h"
#include "sim/core/comparisons.h"
#include "sim/core/indicators.h"

namespace evalsim {

// What a model reads. The caller converts where it can (ratings ->
// pairwise or rankings, rankings -> pairwise; see sim/core/comparisons.h), so a
// model's Score() always finds its own kind set.
enum class InputKind { kRatings, kPairwise, kRankings, kIndicators };

// "ratings", "pairwise", "rankings", "indicators".
const char* InputKindName(InputKind kind);

// The grade counts of every slot of one set of unweighted rating ballots,
// made once (TallyEverySlot, models/common/tally.h) by a caller that fits
// several models on the same ballots, so that each need not read them
// again. Counts of unweighted ballots are whole numbers, so a model adds
// them up to the same doubles as its own pass would.
struct SlotCounts {
  const RatingBallots* ballots = nullptr;  // the ballots counted
  std::vector<uint32_t> counts;            // [slot * levels + grade]
};

class Distribution;  // sim/core/distribute.h

// One process's part of a split replicate (sim/run/split.h), for a model
// that fits parts (ModelSpec::fits_parts). `ratings` holds every ballot on
// the ratees [first_ratee, end_ratee); they come from the raters
// [first_rater, end_rater) alone, who rate no other ratee. The model fits
// its part and takes every sum over ratees through job->ChainSum, in ratee
// order, so that its scores of those ratees and its estimates of those
// raters are the one-process fit's, bit for bit; the other entries of its
// result are unspecified. Every process of `job` fits at the same time.
struct ModelPart {
  Distribution* job = nullptr;
  int first_ratee = 0, end_ratee = 0;
  uint32_t first_rater = 0, end_rater = 0;
};

// Everything a model may look at. One struct, so that new ballot kinds do
// not change every model's signature. Pointers the caller does not have are
// null; the model's own kind is never null.
struct ModelInput {
  const RatingBallots* ratings = nullptr;
  const PairwiseBallots* pairwise = nullptr;
  const RankingBallots* rankings = nullptr;
  const IndicatorTable* indicators = nullptr;
  // Optional: `ratings`' slot counts, when the caller shares them (models
  // read them through AddSlotCounts, which checks they count `ratings`).
  const SlotCounts* slot_counts = nullptr;
  // Optional: this process's part of a split replicate (ModelPart).
  const ModelPart* part = nullptr;
};

struct ScoreResult {
  Eigen::VectorXd score;           // one per ratee; higher is better
  Eigen::VectorXd tiebreak;        // optional secondary key (empty = none)
  Eigen::VectorXd se;              // optional standard errors (empty = none)
  std::vector<std::string> notes;  // what the fit did (fallbacks, iterations)
  // Optional side estimates: one value per rater (e.g. "severity"), and
  // named scalars (e.g. "sigma_ratee", "threshold_1", "iterations").
  std::vector<std::pair<std::string, Eigen::VectorXd>> rater_values;
  std::vector<std::pair<std::string, double>> parameters;
};

// Facts about the data that option parsing may check against (the number of
// grades, the rater group names).
struct ModelContext {
  ModelContext() = default;
  ModelContext(int l, std::vector<std::string> groups, std::vector<std::string> indicators = {})
      : levels(l), group_names(std::move(groups)), indicator_names(std::move(indicators)) {}
  int levels = 0;                            // 0 when there are no ratings
  std::vector<std::string> group_names;      // rater groups (may be empty)
  std::vector<std::string> indicator_names;  // indicator columns (may be empty)
  std::vector<std::string> item_names;       // ballot items (empty = one grade per ballot)
  std::vector<double> item_weights;          // the items' default weights (empty = equal)
  // Named scales of some rater groups (RatingBallots::scales): their names
  // and numbers of grades, and each group's (-1 = the main scale of
  // `levels`). Empty when every group grades on the main scale.
  std::vector<std::string> scale_names;
  std::vector<int> scale_levels;
  std::vector<int> group_scale;

  bool HasGroupScales() const { return !scale_names.empty(); }
  // Copies the named scales of `b`.
  void SetScales(const RatingBallots& b) {
    scale_names.clear();
    scale_levels.clear();
    for (const BallotScale& sc : b.scales) {
      scale_names.push_back(sc.name);
      scale_levels.push_back(sc.levels);
    }
    group_scale = b.group_scale;
  }
};

class Model {
 public:
  virtual ~Model() = default;
  virtual ScoreResult Score(const ModelInput& input) const = 0;
};

}  // namespace evalsim

#endif  // EVALSIM_MODELS_MODEL_H_
