// The optional [comparisons] table: comparison ballots ("horse race",
// 赛马比拼) drawn from the raters' own perceptions. Keys (all documented in
// scenarios/README.md):
//   ballots         "ranking" | "pairs" (required)
//   rank_size       ranking only: 0 = every evaluee the rater graded, k >= 2 =
//                   a random subset of k of them (default 0)
//   pairs_per_rater pairs only: random distinct pairs per rater (required, >= 1)
//   ties            "split" | "drop": equal grades in the ratings -> pairwise
//                   conversion (default "split")
// A key that does not apply to the chosen `ballots` is an error.
#include "sim/scenario/parts.h"

namespace evalsim {

void ReadComparisons(OptionReader& top, Scenario& s, std::vector<std::string>& errors) {
  WithTable(top, "comparisons", s.file, errors, false, [&](OptionReader& r) {
    ComparisonSpec c;
    const std::string ballots = r.String("ballots", "", {"ranking", "pairs"});
    if (!r.Has("ballots")) r.Error("", "missing required key `ballots` (\"ranking\" or \"pairs\")");
    if (ballots == "ranking") c.mode = ComparisonMode::kRanking;
    if (ballots == "pairs") c.mode = ComparisonMode::kPairs;

    // A key of the other mode is an error; with an unknown mode the keys are
    // only type-checked.
    const auto only_for = [&](const char* key, ComparisonMode mode, const char* mode_name) {
      if (r.Has(key) && c.mode != ComparisonMode::kNone && c.mode != mode) {
        r.Error(key, fmt::format("applies only to ballots = \"{}\"; this table has ballots = "
                                 "\"{}\" (remove the key)",
                                 mode_name, ballots));
      }
    };
    only_for("rank_size", ComparisonMode::kRanking, "ranking");
    only_for("pairs_per_rater", ComparisonMode::kPairs, "pairs");

    c.rank_size = static_cast<int>(r.Int("rank_size", 0, Between(0, 1e6)));
    if (c.rank_size == 1) {
      r.Error("rank_size",
              "1 is not allowed (a one-evaluee ranking compares nothing); expected 0 (every "
              "evaluee the rater graded) or at least 2");
      c.rank_size = 0;
    }
    c.pairs_per_rater = static_cast<int>(r.Int("pairs_per_rater", 0, Between(1, 1e6)));
    if (c.mode == ComparisonMode::kPairs && !r.Has("pairs_per_rater"))
      r.Error("",
              "missing required key `pairs_per_rater` (an integer >= 1) for ballots = \"pairs\"");
    c.ties_split = r.String("ties", "split", {"split", "drop"}) == "split";

    // Raters attached to one evaluee grade only that evaluee: they compare
    // nothing, and a scenario made of them alone has no comparison ballots.
    bool any = s.raters.empty();  // no groups: reported elsewhere
    for (const auto& g : s.raters) any = any || g.kind != RaterKind::kPerEvaluee;
    if (c.mode != ComparisonMode::kNone && !any) {
      r.Error("ballots",
              "every rater group is `per_evaluee` (each rater grades one evaluee), so no rater "
              "can rank or compare; add a group with `count` or `from_evaluees = true`");
    }
    s.comparisons = c;
  });
}

}  // namespace evalsim
