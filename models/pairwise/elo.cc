#include "models/pairwise/elo.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "sim/core/rng.h"

namespace evalsim {
namespace {

// Set from the parameter declarations of EloSpec().
struct EloOptions {
  double k{};
  double initial{};
  double scale{};
  int64_t shuffle{};
  uint64_t seed{};
};

class Elo : public Model {
 public:
  explicit Elo(EloOptions o) : o_(o) {}

  ScoreResult Score(const ModelInput& input) const override {
    const PairwiseBallots& b = *input.pairwise;
    const int n = b.NumRatees();
    ScoreResult r;
    r.score = Eigen::VectorXd::Constant(n, o_.initial);
    if (n == 0) {
      r.notes.push_back("no candidates");
      return r;
    }
    std::vector<bool> seen(n, false);
    const size_t m = b.NumComparisons();
    if (m > 0) {
      for (size_t c = 0; c < m; ++c) seen[b.seq_winner[c]] = seen[b.seq_loser[c]] = true;
      std::vector<uint32_t> order(m);
      std::iota(order.begin(), order.end(), 0u);
      if (o_.shuffle == 0) {
        Run(b, order, r.score);
      } else {
        Eigen::VectorXd sum = Eigen::VectorXd::Zero(n), rating(n);
        for (int64_t s = 0; s < o_.shuffle; ++s) {
          Rng rng(DeriveSeed(o_.seed, {kStreamModel, static_cast<uint64_t>(s)}));
          std::iota(order.begin(), order.end(), 0u);
          for (size_t a = m - 1; a > 0; --a) std::swap(order[a], order[rng.Below(a + 1)]);
          rating.setConstant(o_.initial);
          Run(b, order, rating);
          sum += rating;
        }
        r.score = sum / static_cast<double>(o_.shuffle);
        r.notes.push_back(
            fmt::format("mean final rating over {} random orders of the comparisons", o_.shuffle));
      }
    } else if (b.NumPairs() > 0) {
      // Aggregate only: one fractional game per pair, in pair order.
      for (size_t p = 0; p < b.NumPairs(); ++p) {
        const double total = b.first_wins[p] + b.second_wins[p];
        if (!(total > 0.0)) continue;
        const uint32_t i = b.first[p], j = b.second[p];
        seen[i] = seen[j] = true;
        const double e = Expected(r.score[i], r.score[j]);
        const double delta = o_.k * total * (b.first_wins[p] / total - e);
        r.score[i] += delta;
        r.score[j] -= delta;
      }
      r.notes.push_back(
          "no comparison sequence: one game per pair in pair order, result = the pair's share of "
          "wins, update weighted by the pair's total weight");
      if (o_.shuffle > 0) r.notes.push_back("shuffle ignored: there is no sequence to permute");
    }
    const auto unseen = std::count(seen.begin(), seen.end(), false);
    if (unseen > 0)
      r.notes.push_back(fmt::format("{} ratee(s) in no comparison keep the initial rating {}",
                                    unseen, o_.initial));
    return r;
  }

 private:
  double Expected(double winner, double loser) const {
    return 1.0 / (1.0 + std::pow(10.0, (loser - winner) / o_.scale));
  }

  void Run(const PairwiseBallots& b, const std::vector<uint32_t>& order,
           Eigen::VectorXd& rating) const {
    for (uint32_t c : order) {
      const uint32_t w = b.seq_winner[c], l = b.seq_loser[c];
      const double delta =
          o_.k * static_cast<double>(b.seq_weight[c]) * (1.0 - Expected(rating[w], rating[l]));
      rating[w] += delta;
      rating[l] -= delta;
    }
  }

  EloOptions o_;
};

}  // namespace

ModelSpec EloSpec() {
  ModelSpec spec;
  spec.name = "elo";
  spec.input = InputKind::kPairwise;
  spec.order_dependent = true;
  spec.summary =
      "sequential Elo ratings over the comparisons in input order (or averaged over "
      "seeded random orders)";
  spec.params = {
      NumberParam("k", 32.0, Above(0.0), "K-factor: the largest change of one unit-weight game"),
      NumberParam("initial", 1500.0, Any(), "every ratee's starting rating"),
      NumberParam("scale", 400.0, Above(0.0), "logistic scale: rating difference for 10:1 odds"),
      IntegerParam(
          "shuffle", 0, Between(0, 1e6),
          "number of seeded random orders of the comparisons to average over (0 = input order)"),
      IntegerParam("seed", 0, Between(0, 9.0e18), "seed of the random orders"),
  };
  spec.make = [](ParamReader& in) -> std::unique_ptr<Model> {
    EloOptions o;
    o.k = in.Double("k");
    o.initial = in.Double("initial");
    o.scale = in.Double("scale");
    o.shuffle = in.Int("shuffle");
    o.seed = static_cast<uint64_t>(in.Int("seed"));
    return std::make_unique<Elo>(o);
  };
  return spec;
}

}  // namespace evalsim
