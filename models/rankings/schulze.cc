#include "models/rankings/schulze.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "models/common/ranking_tally.h"

namespace evalsim {
namespace {

// Widest paths in place on the n x n row-major matrix p (0 = no link).
// The diagonal may become non-zero; it is never read by the caller and
// cannot change any off-diagonal value (see the header of schulze.h:
// min(p[i][k], p[k][k]) <= p[i][k] and k == i is skipped).
template <typename T>
void WidestPaths(std::vector<T>& p, int n) {
  const size_t un = static_cast<size_t>(n);
  for (int k = 0; k < n; ++k) {
    const T* __restrict pk = p.data() + k * un;
    for (int i = 0; i < n; ++i) {
      if (i == k) continue;
      T* __restrict pi = p.data() + i * un;
      const T pik = pi[k];
      if (pik == T(0)) continue;
      for (size_t j = 0; j < un; ++j) {
        const T via = pk[j] < pik ? pk[j] : pik;
        pi[j] = pi[j] < via ? via : pi[j];
      }
    }
  }
}

// Replaces the positive values by their rank among the distinct positive
// values (1, 2, ...), keeping 0. Returns the number of distinct values.
size_t RankStrengths(const std::vector<double>& s, std::vector<uint32_t>* rank) {
  std::vector<double> v;
  for (double x : s)
    if (x > 0.0) v.push_back(x);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  rank->resize(s.size());
  for (size_t a = 0; a < s.size(); ++a)
    (*rank)[a] =
        s[a] > 0.0
            ? static_cast<uint32_t>(std::lower_bound(v.begin(), v.end(), s[a]) - v.begin() + 1)
            : 0;
  return v.size();
}

class Schulze : public Model {
 public:
  explicit Schulze(bool margin) : margin_(margin) {}

  ScoreResult Score(const ModelInput& input) const override {
    const RankingBallots& b = *input.rankings;
    const int n = b.NumRatees();
    ScoreResult r;
    r.score = Eigen::VectorXd::Zero(n);
    if (n == 0) {
      r.notes.push_back("no candidates");
      r.parameters.emplace_back("winners", 0.0);
      return r;
    }
    const RankingTally t = TallyRankings(b, /*with_ties=*/false);
    const size_t un = static_cast<size_t>(n);
    std::vector<double> strength(un * un, 0.0);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const double ij = t.Beats(i, j), ji = t.Beats(j, i);
        if (i != j && ij > ji) strength[i * un + j] = margin_ ? ij - ji : ij;
      }
    std::vector<uint32_t> rank;
    const size_t distinct = RankStrengths(strength, &rank);
    // beats(i, j): p[i][j] > p[j][i] on the finished matrix.
    std::vector<uint8_t> beat(un * un, 0);
    if (distinct < (size_t{1} << 24)) {
      std::vector<float> p(rank.begin(), rank.end());
      WidestPaths(p, n);
      for (size_t i = 0; i < un; ++i)
        for (size_t j = 0; j < un; ++j) beat[i * un + j] = i != j && p[i * un + j] > p[j * un + i];
    } else {
      std::vector<double> p(rank.begin(), rank.end());
      WidestPaths(p, n);
      for (size_t i = 0; i < un; ++i)
        for (size_t j = 0; j < un; ++j) beat[i * un + j] = i != j && p[i * un + j] > p[j * un + i];
      r.notes.push_back("more than 2^24 distinct link strengths: widest paths in double precision");
    }
    std::vector<int> beaten_by(n, 0);
    for (size_t i = 0; i < un; ++i)
      for (size_t j = 0; j < un; ++j)
        if (beat[i * un + j]) {
          r.score[i] += 1.0;
          ++beaten_by[j];
        }
    const auto winners = std::count(beaten_by.begin(), beaten_by.end(), 0);
    r.parameters.emplace_back("winners", static_cast<double>(winners));
    r.parameters.emplace_back(
        "links", static_cast<double>(
                     std::count_if(rank.begin(), rank.end(), [](uint32_t x) { return x > 0; })));
    if (n == 1) r.notes.push_back("one candidate");
    if (b.NumOrders() == 0) r.notes.push_back("no orders: every candidate ties");
    if (winners > 1 && n > 1)
      r.notes.push_back(fmt::format(
          "{} Schulze winners (no candidate beats them); left tied or ordered by score", winners));
    if (const int never = t.NeverListed(); never > 0 && b.NumOrders() > 0)
      r.notes.push_back(fmt::format("{} candidate(s) listed by no order", never));
    return r;
  }

 private:
  bool margin_;
};

}  // namespace

ModelSpec SchulzeSpec() {
  ModelSpec spec;
  spec.name = "schulze";
  spec.input = InputKind::kRankings;
  spec.summary =
      "Schulze beatpath method (widest paths); score = candidates beaten in the path relation";
  spec.params = {
      StringParam("strength", "winning_votes", {"winning_votes", "margin"},
                  "strength of a pairwise defeat link: the winner's votes, or the margin")
          .WithType("\"winning_votes\" | \"margin\""),
  };
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    return std::make_unique<Schulze>(in.String("strength") == "margin");
  };
  return spec;
}

}  // namespace evalsim
