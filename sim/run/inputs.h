// Gives every model the ballots of its own input kind. What a run or a
// ballot file provides (ratings, rankings, pairwise comparisons, indicators)
// is converted on first request and kept, so each conversion happens at most
// once per set of ballots (see sim/core/comparisons.h for the conversions).
#ifndef EVALSIM_SIM_RUN_INPUTS_H_
#define EVALSIM_SIM_RUN_INPUTS_H_

#include <optional>
#include <string>

#include "models/model.h"

namespace evalsim {

struct InputSources {
  const RatingBallots* ratings = nullptr;
  const RankingBallots* rankings = nullptr;
  const PairwiseBallots* pairwise = nullptr;
  const IndicatorTable* indicators = nullptr;
  TiePolicy ties = TiePolicy::kSplit;  // for ratings -> pairwise
};

class InputSet {
 public:
  explicit InputSet(InputSources sources) : src_(sources) {}

  // The input for a model reading `kind`. With `from_ratings`, comparison
  // kinds are converted from the rating ballots even when comparison ballots
  // exist. Every pointer the set can fill is filled (a composite model reads
  // indicators and ratings). Throws InputError when `kind` cannot be made
  // from the sources; `who` names the model in the message.
  ModelInput For(InputKind kind, bool from_ratings, const std::string& who);

 private:
  const PairwiseBallots* Pairwise(bool from_ratings);
  const RankingBallots* Rankings(bool from_ratings);

  InputSources src_;
  std::optional<PairwiseBallots> pairs_from_ratings_, pairs_from_rankings_;
  std::optional<RankingBallots> rankings_from_ratings_;
};

}  // namespace evalsim

#endif  // EVALSIM_SIM_RUN_INPUTS_H_
