#include "sim/experiments/resample_schemes.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "sim/core/check.h"
#include "sim/core/rng.h"

namespace evalsim::resample_detail {

namespace {

// The pooled share of each grade among a group's valid ballots (original
// weights), cumulated; empty for a group without a valid ballot.
std::vector<std::vector<double>> PooledShares(const RatingBallots& b) {
  const int n = b.NumRatees(), G = b.NumGroups(), K = b.levels;
  std::vector<std::vector<double>> cumulative(G);
  for (int g = 0; g < G; ++g) {
    std::vector<double> sum(K, 0.0);
    double total = 0.0;
    for (int e = 0; e < n; ++e) {
      const int slot = b.Slot(e, g);
      for (uint64_t i = b.slot_begin[slot]; i < b.slot_begin[slot + 1]; ++i) {
        const uint8_t grade = BallotGrade(b.ballot[i]);
        if (grade == kAbstain || grade >= K) continue;
        sum[grade] += b.Weight(i);
        total += b.Weight(i);
      }
    }
    if (total <= 0.0) continue;
    double acc = 0.0;
    for (int k = 0; k < K; ++k) cumulative[g].push_back(acc += sum[k] / total);
    cumulative[g].back() = 1.0;
  }
  return cumulative;
}

}  // namespace

Smoothing MakeSmoothing(const RatingBallots& b, const RaterResampler& resampler) {
  const int n = b.NumRatees(), G = b.NumGroups(), K = b.levels;
  const std::vector<std::vector<uint32_t>>& strata = resampler.Strata();
  const std::vector<int>& slot_stratum = resampler.SlotStratum();
  EVALSIM_CHECK(b.num_raters + strata.size() < kMaxRaters,
                "resample: too many raters for the prior raters");
  Smoothing sm;
  sm.cumulative = PooledShares(b);
  sm.first_prior = b.num_raters;
  RatingBallots& a = sm.ballots;
  a = b;
  a.ballot.clear();
  a.weight.clear();
  a.slot_begin.assign(1, 0);
  a.num_raters = b.num_raters + static_cast<uint32_t>(strata.size());
  for (const std::vector<uint32_t>& st : strata) {
    const uint8_t g = b.rater_group[st.front()];
    a.rater_group.push_back(g);
    if (!a.rater_names.empty()) a.rater_names.push_back("(prior " + b.group_names[g] + ")");
  }
  sm.prior.assign(static_cast<size_t>(n) * G, Smoothing::kNone);
  for (int slot = 0; slot < n * G; ++slot) {
    bool valid = false;
    for (uint64_t i = b.slot_begin[slot]; i < b.slot_begin[slot + 1]; ++i) {
      a.ballot.push_back(b.ballot[i]);
      a.weight.push_back(b.Weight(i));
      valid = valid || IsGrade(BallotGrade(b.ballot[i]));
    }
    if (valid && !sm.cumulative[slot % G].empty()) {
      sm.prior[slot] = a.ballot.size();
      const uint32_t rater = sm.first_prior + static_cast<uint32_t>(slot_stratum[slot]);
      for (int k = 0; k < K; ++k) {
        a.ballot.push_back(PackBallot(rater, static_cast<uint8_t>(k)));
        a.weight.push_back(0.0f);
      }
    }
    a.slot_begin.push_back(a.ballot.size());
  }
  return sm;
}

// The smoothed scheme's weights of resample `s`: each stratum's R draws are
// made as in Counts, except that before each draw a uniform u decides
// whether it is the stratum's prior rater (u < kPriorRaters / (R +
// kPriorRaters)); a prior rater drawn c times gives every slot of its
// stratum c grades drawn from the group's pooled shares (slots in order),
// which weigh its pseudo-ballots. The original ballots weigh count *
// original weight.
void SmoothedWeights(const RaterResampler& resampler, const Smoothing& sm, uint64_t seed, int64_t s,
                     std::vector<uint32_t>* counts, std::vector<float>* weight) {
  const RatingBallots& a = sm.ballots;
  const int G = a.NumGroups(), K = a.levels;
  const std::vector<std::vector<uint32_t>>& strata = resampler.Strata();
  counts->assign(a.num_raters, 0);
  Rng rng(DeriveSeed(seed, {kStreamBootstrap, static_cast<uint64_t>(s)}));
  for (size_t st = 0; st < strata.size(); ++st) {
    const uint64_t R = strata[st].size();
    const double p_prior = kPriorRaters / (static_cast<double>(R) + kPriorRaters);
    for (uint64_t d = 0; d < R; ++d) {
      if (rng.Uniform() < p_prior)
        ++(*counts)[sm.first_prior + st];
      else
        ++(*counts)[strata[st][rng.Below(R)]];
    }
  }
  const uint32_t* words = a.ballot.data();
  weight->resize(a.NumBallots());
  float* wt = weight->data();
  for (uint64_t i = 0; i < a.NumBallots(); ++i) {
    const uint32_t r = BallotRater(words[i]);
    wt[i] = r < sm.first_prior ? static_cast<float>((*counts)[r]) * a.weight[i] : 0.0f;
  }
  const std::vector<int>& slot_stratum = resampler.SlotStratum();
  for (size_t slot = 0; slot < sm.prior.size(); ++slot) {
    if (sm.prior[slot] == Smoothing::kNone) continue;
    const std::vector<double>& cum = sm.cumulative[slot % G];
    const uint32_t draws = (*counts)[sm.first_prior + slot_stratum[slot]];
    for (uint32_t d = 0; d < draws; ++d) {
      const double u = rng.Uniform();
      const auto k = std::upper_bound(cum.begin(), cum.end() - 1, u) - cum.begin();
      wt[sm.prior[slot] + std::min<int64_t>(k, K - 1)] += 1.0f;
    }
  }
}

std::optional<RatingScaleDraws> RatingScaleOf(const ScoreResult& fit, const RatingBallots& b) {
  RatingScaleDraws m;
  const int K = b.levels;
  for (const auto& [name, v] : fit.rater_values)
    if (name == "severity") m.severity.assign(v.data(), v.data() + v.size());
  m.tau.assign(std::max(K - 1, 0), std::numeric_limits<double>::quiet_NaN());
  int found = 0;
  for (const auto& [name, value] : fit.parameters) {
    for (int k = 1; k < K; ++k) {
      if (name == fmt::format("tau_{}", k)) {
        m.tau[k - 1] = value;
        ++found;
      }
    }
  }
  if (m.severity.size() != b.num_raters || found != K - 1) return std::nullopt;
  m.theta.assign(fit.score.data(), fit.score.data() + fit.score.size());
  std::vector<bool> seen(K, false);
  for (uint32_t w : b.ballot)
    if (BallotGrade(w) != kAbstain && BallotGrade(w) < K) seen[BallotGrade(w)] = true;
  for (int k = 0; k < K; ++k)
    if (seen[k]) m.grades.push_back(k);
  for (size_t j = 1; j < m.grades.size(); ++j)
    for (int k = m.grades[j - 1] + 1; k <= m.grades[j]; ++k)
      if (!std::isfinite(m.tau[k - 1])) return std::nullopt;
  return m;
}

// The parametric scheme's ballots of resample `s`: every valid ballot of
// rater r on evaluee e gets a grade drawn from the rating-scale model,
// P(x) proportional to exp(sum_{k = lo+1..x} (theta_e - severity_r - tau_k))
// over the observed grades x (lo the lowest), by inversion of one uniform
// per ballot in ballot order; blanks, raters and weights stay.
void ParametricGrades(const RatingScaleDraws& m, const RatingBallots& original, uint64_t seed,
                      int64_t s, std::vector<uint32_t>* words) {
  Rng rng(DeriveSeed(seed, {kStreamBootstrap, static_cast<uint64_t>(s)}));
  const int n = original.NumRatees(), G = original.NumGroups();
  const size_t X = m.grades.size();
  std::vector<double> p(X);
  for (int e = 0; e < n; ++e) {
    for (uint64_t i = original.slot_begin[e * G]; i < original.slot_begin[(e + 1) * G]; ++i) {
      const uint32_t word = original.ballot[i];
      if (!IsGrade(BallotGrade(word)) || X == 0) continue;
      const double eta = m.theta[e] - m.severity[BallotRater(word)];
      double logit = 0.0, top = 0.0;
      for (size_t j = 0; j < X; ++j) {
        if (j > 0)
          for (int k = m.grades[j - 1] + 1; k <= m.grades[j]; ++k) logit += eta - m.tau[k - 1];
        p[j] = logit;
        top = j == 0 ? logit : std::max(top, logit);
      }
      double sum = 0.0;
      for (double& x : p) sum += x = std::exp(x - top);
      double u = rng.Uniform() * sum;
      size_t j = 0;
      while (j + 1 < X && u >= p[j]) u -= p[j++];
      (*words)[i] = PackBallot(BallotRater(word), static_cast<uint8_t>(m.grades[j]));
    }
  }
}

}  // namespace evalsim::resample_detail
