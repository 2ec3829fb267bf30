// The ballots `score` reads, of whichever kind its format names, and the
// `levels` option of a ratings file (the command line's and the Python
// package's shared path from a file to a model's input).
#ifndef EVALSIM_SIM_RUN_SCORE_INPUT_H_
#define EVALSIM_SIM_RUN_SCORE_INPUT_H_

#include <toml++/toml.h>

#include <string>
#include <vector>

#include "sim/core/ballots.h"
#include "sim/core/comparisons.h"
#include "sim/core/indicators.h"
#include "sim/io/csv.h"
#include "sim/run/inputs.h"

namespace evalsim {

struct ScoreInput {
  RatingBallots ratings;
  PairwiseBallots pairwise;
  RankingBallots rankings;
  IndicatorTable indicators;
  std::vector<std::string> names;
  InputSources sources;
};

// Reads `path` as `format` (ratings, pairwise, preflib or indicators) into
// `in` and points in.sources at what it read; InputError on an unknown
// format or a bad file.
void ReadScoreInput(const std::string& path, const std::string& format,
                    const RatingsReadOptions& read, ScoreInput& in);

// Points `in.sources` and `in.names` at in.ratings (ballots made elsewhere).
void UseRatings(ScoreInput& in);

// `levels = K` of a score's option table (the ratings reader's option, which
// stays in the table so that the model's unknown-key message lists it):
// checked and put into read.levels. InputError when it is not 2..kMaxLevels
// or the format is not ratings. `source` names where the table came from
// ("--set").
void ReadLevelsOption(const toml::table& options, const std::string& format,
                      const std::string& source, RatingsReadOptions& read);

}  // namespace evalsim

#endif  // EVALSIM_SIM_RUN_SCORE_INPUT_H_
