#include "sim/simulate/influence.h"

#include <algorithm>

#include "sim/core/ballots.h"
#include "sim/core/rng.h"

namespace evalsim {

AnchorViews DrawAnchorViews(const Scenario& s, const Organisation& org, int replicate,
                            int meeting) {
  AnchorViews v;
  const bool any = std::any_of(s.raters.begin(), s.raters.end(),
                               [](const RaterGroupSpec& g) { return g.anchor > 0.0; });
  if (!any) return v;
  const Meeting& m = org.meetings[meeting];
  const int G = static_cast<int>(s.raters.size());
  v.sources = G + 1;
  v.view.resize(static_cast<size_t>(m.num_evaluees) * v.sources);
  Rng rng(DeriveSeed(
      s.seed, {kStreamAnchor, static_cast<uint64_t>(replicate), static_cast<uint64_t>(meeting)}));
  for (int le = 0; le < m.num_evaluees; ++le) {
    const int e = m.first_evaluee + le;
    const double q = org.quality[e];
    for (int k = 0; k < G; ++k) {
      const RaterGroupSpec& g = s.raters[k];
      v.view[static_cast<size_t>(le) * v.sources + k] =
          q + org.TypeShift(s, e, k) + g.leniency_mean + g.noise * rng.Normal();
    }
    // The chair: one view per evaluee, with the anchoring groups' noise.
    double noise = 0.0;
    for (const RaterGroupSpec& g : s.raters)
      if (g.anchor > 0.0 && g.anchor_group < 0) noise = g.anchor_noise;
    v.view[static_cast<size_t>(le) * v.sources + G] = q + noise * rng.Normal();
  }
  return v;
}

bool AnyConformity(const Scenario& s) {
  return std::any_of(s.raters.begin(), s.raters.end(),
                     [](const RaterGroupSpec& g) { return g.conformity > 0.0; });
}

namespace {

// The modal grade of the graded words of evaluee `le`'s slots whose group
// grades on `scale` (ties to the higher grade); -1 when there is none.
int ModalGrade(const Scenario& s, int le, int scale, const std::vector<uint64_t>& begin,
               const std::vector<uint32_t>& words) {
  const int G = static_cast<int>(s.raters.size());
  std::vector<uint64_t> count(kMaxLevels, 0);
  for (int g = 0; g < G; ++g) {
    if (s.raters[g].scale != scale) continue;
    const size_t slot = static_cast<size_t>(le) * G + g;
    for (uint64_t at = begin[slot]; at < begin[slot + 1]; ++at)
      if (IsGrade(BallotGrade(words[at]))) ++count[BallotGrade(words[at])];
  }
  int mode = -1;
  for (int k = 0; k < kMaxLevels; ++k)
    if (count[k] > 0 && (mode < 0 || count[k] >= count[mode])) mode = k;
  return mode;
}

}  // namespace

void ApplyConformity(const Scenario& s, int replicate, int meeting, int num_evaluees,
                     const std::vector<uint64_t>& slot_count, std::vector<uint32_t>& words) {
  const int G = static_cast<int>(s.raters.size());
  std::vector<uint64_t> begin(slot_count.size() + 1, 0);
  for (size_t i = 0; i < slot_count.size(); ++i) begin[i + 1] = begin[i] + slot_count[i];
  Rng rng(DeriveSeed(s.seed, {kStreamConformity, static_cast<uint64_t>(replicate),
                              static_cast<uint64_t>(meeting)}));
  std::vector<int> mode(s.scales.size() + 1);
  for (int le = 0; le < num_evaluees; ++le) {
    // The majority every rater sees, before anyone follows it.
    for (int sc = -1; sc < static_cast<int>(s.scales.size()); ++sc)
      mode[sc + 1] = ModalGrade(s, le, sc, begin, words);
    for (int g = 0; g < G; ++g) {
      const RaterGroupSpec& spec = s.raters[g];
      if (spec.conformity <= 0.0) continue;
      const uint64_t threshold = ProbabilityThreshold(spec.conformity);
      const int target = mode[spec.scale + 1];
      const size_t slot = static_cast<size_t>(le) * G + g;
      for (uint64_t at = begin[slot]; at < begin[slot + 1]; ++at) {
        if (!IsGrade(BallotGrade(words[at]))) continue;
        if (rng.BernoulliThreshold(threshold) && target >= 0)
          words[at] = PackBallot(BallotRater(words[at]), static_cast<uint8_t>(target));
      }
    }
  }
}

}  // namespace evalsim
