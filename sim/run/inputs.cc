#include "sim/run/inputs.h"

#include <fmt/format.h>

#include "sim/core/errors.h"

namespace evalsim {

const PairwiseBallots* InputSet::Pairwise(bool from_ratings) {
  if (!from_ratings) {
    if (src_.pairwise) return src_.pairwise;
    if (src_.rankings) {
      if (!pairs_from_rankings_)
        pairs_from_rankings_ = RankingsToPairwise(*src_.rankings, src_.ties);
      return &*pairs_from_rankings_;
    }
  }
  if (src_.ratings) {
    if (!pairs_from_ratings_) pairs_from_ratings_ = RatingsToPairwise(*src_.ratings, src_.ties);
    return &*pairs_from_ratings_;
  }
  return nullptr;
}

const RankingBallots* InputSet::Rankings(bool from_ratings) {
  if (!from_ratings && src_.rankings) return src_.rankings;
  if (src_.ratings) {
    if (!rankings_from_ratings_) rankings_from_ratings_ = RatingsToRankings(*src_.ratings);
    return &*rankings_from_ratings_;
  }
  return nullptr;
}

ModelInput InputSet::For(InputKind kind, bool from_ratings, const std::string& who) {
  ModelInput in;
  in.ratings = src_.ratings;
  in.indicators = src_.indicators;
  switch (kind) {
    case InputKind::kRatings:
      break;
    case InputKind::kPairwise:
      in.pairwise = Pairwise(from_ratings);
      break;
    case InputKind::kRankings:
      in.rankings = Rankings(from_ratings);
      break;
    case InputKind::kIndicators:
      break;
  }
  const bool missing = (kind == InputKind::kRatings && !in.ratings) ||
                       (kind == InputKind::kPairwise && !in.pairwise) ||
                       (kind == InputKind::kRankings && !in.rankings) ||
                       (kind == InputKind::kIndicators && !in.indicators);
  if (missing) {
    const char* have = src_.ratings      ? "ratings"
                       : src_.rankings   ? "rankings"
                       : src_.pairwise   ? "pairwise comparisons"
                       : src_.indicators ? "indicators"
                                         : "nothing";
    throw InputError(fmt::format("{} reads {} and cannot be run on {}{}", who, InputKindName(kind),
                                 have,
                                 kind == InputKind::kRankings && src_.pairwise
                                     ? " (pairwise comparisons do not give rankings)"
                                     : ""));
  }
  return in;
}

}  // namespace evalsim
