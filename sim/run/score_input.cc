#include "sim/run/score_input.h"

#include <fmt/format.h>

#include "sim/core/errors.h"
#include "sim/core/options.h"
#include "sim/io/preflib.h"

namespace evalsim {

void ReadScoreInput(const std::string& path, const std::string& format,
                    const RatingsReadOptions& read, ScoreInput& in) {
  if (format == "ratings") {
    in.ratings = ReadRatingsCsv(path, read);
    UseRatings(in);
  } else if (format == "pairwise") {
    in.pairwise = ReadPairwiseCsv(path);
    in.names = in.pairwise.ratee_names;
    in.sources.pairwise = &in.pairwise;
  } else if (format == "preflib") {
    in.rankings = ReadPreflib(path);
    in.names = in.rankings.ratee_names;
    in.sources.rankings = &in.rankings;
  } else if (format == "indicators") {
    in.indicators = ReadIndicatorsCsv(path);
    in.names = in.indicators.ratee_names;
    in.sources.indicators = &in.indicators;
  } else {
    throw InputError(fmt::format(
        "--format {}: unknown format; expected ratings, pairwise, preflib or indicators", format));
  }
}

void UseRatings(ScoreInput& in) {
  in.names = in.ratings.ratee_names;
  in.sources.ratings = &in.ratings;
}

void ReadLevelsOption(const toml::table& options, const std::string& format,
                      const std::string& source, RatingsReadOptions& read) {
  const toml::node* k = options.get("levels");
  if (!k) return;
  const std::string where = fmt::format("{}{}", NodeLocation(*k, source), "levels");
  if (format != "ratings")
    throw InputError(fmt::format("{}: levels applies to --format ratings only", where));
  auto v = k->value_exact<int64_t>();
  if (!v || *v < 2 || *v > kMaxLevels)
    throw InputError(fmt::format(
        "{}: expected an integer 2..{}, the number of grades (grades 0..levels-1, 0 the lowest)",
        where, kMaxLevels));
  read.levels = static_cast<int>(*v);
}

}  // namespace evalsim
