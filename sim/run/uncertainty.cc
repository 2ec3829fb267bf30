#include "sim/run/uncertainty.h"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <utility>

#include "models/indicators/composite.h"
#include "sim/core/errors.h"
#include "sim/core/options.h"
#include "sim/core/parallel.h"
#include "sim/core/rng.h"
#include "sim/io/csv_write.h"

namespace evalsim {
namespace {

constexpr int kBins = 20;                 // bins of a continuous choice
constexpr int kPilotDraws = 65536;        // draws that fix the weight bins
constexpr int kHistogramMaxUnits = 4096;  // rank histograms up to this n
constexpr int64_t kChunkCells = 1 << 22;  // ranks held per chunk of draws
constexpr int kEvalueeBlock = 64;         // evaluees per accumulation task

// Gamma(shape, 1) (Marsaglia & Tsang 2000, "A simple method for generating
// gamma variables", ACM TOMS 26(3)); shape < 1 through the boost
// G(a) = G(a + 1) U^(1/a).
double GammaDraw(Rng& rng, double shape) {
  if (shape < 1.0) {
    const double u = rng.UniformOpen();
    return GammaDraw(rng, shape + 1.0) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0.0, v = 0.0;
    do {
      x = rng.Normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.UniformOpen();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

// One draw's choices.
struct Draw {
  int normalise = 0;
  int aggregation = 0;
  int random_index = 0;
  double vote_weight = 0.0;
  Eigen::VectorXd weights;  // empty = the base weights
};

// Everything fixed across draws.
struct Plan {
  PreparedIndicators base;
  std::vector<mcda::Normalization> normalisations;
  std::vector<Aggregation> aggregations;
  std::vector<std::string> random_index;
  bool vary_weights = false;
  double concentration = 0.0;
  bool vary_vote = false;
  double vote_lo = 0.0, vote_hi = 0.0;
  uint64_t seed = 0;

  // Composite: the normalised matrix and vote per normalisation.
  std::vector<Eigen::MatrixXd> Z;
  std::vector<Eigen::VectorXd> vote_index;

  Draw Generate(int64_t d) const {
    Rng rng(DeriveSeed(seed, {kStreamUncertainty, static_cast<uint64_t>(d)}));
    Draw draw;
    draw.normalise = static_cast<int>(rng.Below(normalisations.size()));
    draw.aggregation = static_cast<int>(rng.Below(aggregations.size()));
    draw.random_index = static_cast<int>(rng.Below(std::max<size_t>(1, random_index.size())));
    draw.vote_weight = base.config.vote_weight;
    if (vary_vote) draw.vote_weight = vote_lo + (vote_hi - vote_lo) * rng.Uniform();
    if (vary_weights) {
      const Eigen::VectorXd& w = base.config.weights;
      draw.weights = Eigen::VectorXd::Zero(w.size());
      double sum = 0.0;
      for (Eigen::Index j = 0; j < w.size(); ++j) {
        if (w[j] > 0.0) {
          draw.weights[j] = GammaDraw(rng, concentration * w[j]);
          sum += draw.weights[j];
        }
      }
      if (sum > 0.0 && std::isfinite(sum))
        draw.weights /= sum;
      else
        draw.weights = w;
    }
    return draw;
  }

  // The ranking key of every unit under `draw` (-inf: no indicator value).
  Eigen::VectorXd Key(const Draw& draw) const {
    CompositeConfig c = base.config;
    c.normalise = normalisations[draw.normalise];
    c.aggregation = aggregations[draw.aggregation];
    c.vote_weight = draw.vote_weight;
    if (draw.weights.size() > 0) c.weights = draw.weights;
    Eigen::VectorXd key;
    if (c.method == IndicatorMethod::kComposite) {
      const Eigen::VectorXd* vote =
          vote_index.empty() ? nullptr : &vote_index[static_cast<size_t>(draw.normalise)];
      key = CompositeFromNormalized(c, Z[static_cast<size_t>(draw.normalise)], vote);
    } else {
      key = CompositeIndex(c, base.X, base.cost, nullptr);
    }
    for (Eigen::Index i = 0; i < key.size(); ++i)
      if (std::isnan(key[i])) key[i] = -std::numeric_limits<double>::infinity();
    return key;
  }
};

// Competition ranks (1 = largest key; equal keys share the smaller rank).
// Sorting (key, index) pairs keeps the comparisons in cache.
void RanksOf(const Eigen::VectorXd& key, std::vector<std::pair<double, int>>& order,
             int32_t* rank) {
  const int n = static_cast<int>(key.size());
  order.resize(n);
  for (int i = 0; i < n; ++i) order[i] = {-key[i], i};
  std::sort(order.begin(), order.end());
  for (int k = 0; k < n; ++k) {
    const int i = order[k].second;
    rank[i] = (k > 0 && order[k].first == order[k - 1].first) ? rank[order[k - 1].second] : k + 1;
  }
}

// A varied choice: its name, its number of levels and the level of a draw.
struct Choice {
  std::string name;
  int levels = 1;
  int offset = 0;  // into the per-evaluee level sums
};

// The varied choices, in the order they are reported.
struct Choices {
  std::vector<Choice> list;
  std::vector<int> weight_choice;  // choice index of each indicator's weight (-1: fixed)
  int total_levels = 0;
  int norm = -1, agg = -1, vote = -1, ri = -1;  // choice index of each (-1: not varied)

  int Add(std::string name, int levels) {
    list.push_back({std::move(name), levels, total_levels});
    total_levels += levels;
    return static_cast<int>(list.size()) - 1;
  }
  int size() const { return static_cast<int>(list.size()); }
};

// Per-evaluee sums over the draws, in draw order.
struct Accumulators {
  Accumulators(int n, int64_t D, int total_levels)
      : histogram(n <= kHistogramMaxUnits),
        hist(histogram ? static_cast<size_t>(n) * n : 0, 0),
        all_ranks(histogram ? 0 : static_cast<size_t>(n) * D, 0),
        sum(n, 0),
        sumsq(n, 0),
        level_sum(static_cast<size_t>(n) * total_levels, 0),
        rmin(n, std::numeric_limits<int32_t>::max()),
        rmax(n, 0),
        level_count(total_levels, 0) {}

  bool histogram;                  // rank histograms (else every draw's ranks)
  std::vector<uint32_t> hist;      // hist[e * n + rank - 1]
  std::vector<int32_t> all_ranks;  // all_ranks[e * D + d]
  std::vector<int64_t> sum, sumsq, level_sum;
  std::vector<int32_t> rmin, rmax;
  std::vector<int64_t> level_count;
};

// The entry's indicator method; InputError unless the entry can be
// analysed.
IndicatorMethod CheckEntry(const UncertaintySpec& spec, const ModelEntry& entry,
                           const ModelInput& input, const std::string& where) {
  const std::optional<IndicatorMethod> method = FindIndicatorMethod(entry.model);
  if (!method)
    throw InputError(fmt::format(
        "{}: model \"{}\" is a \"{}\" entry; expected a composite, topsis or grey_relational "
        "entry",
        where, entry.name, entry.model));
  if (!input.indicators)
    throw InputError(fmt::format("{}: model \"{}\" needs an indicator table", where, entry.name));
  if (spec.draws < 1)
    throw InputError(fmt::format("{}: draws is {}; expected at least 1", where, spec.draws));
  return *method;
}

// The choices the spec varies, into `plan` (whose base is prepared);
// notes into `notes`.
void SetVariedChoices(const UncertaintySpec& spec, const ModelEntry& entry, bool composite,
                      const std::string& where, Plan& plan, std::vector<std::string>& notes) {
  for (const auto& name : spec.normalisations) {
    auto k = mcda::FindNormalization(name);
    if (!k)
      throw InputError(fmt::format("{}: unknown normalisation \"{}\"; expected one of {}", where,
                                   name, mcda::NormalizationNames()));
    plan.normalisations.push_back(*k);
  }
  if (plan.normalisations.empty()) plan.normalisations.push_back(plan.base.config.normalise);
  for (const auto& name : spec.aggregations) {
    auto a = FindAggregation(name);
    if (!a)
      throw InputError(fmt::format(
          "{}: unknown aggregation \"{}\"; expected one of arithmetic, geometric", where, name));
    if (!composite)
      throw InputError(fmt::format("{}: aggregations apply to composite entries only; \"{}\" is {}",
                                   where, entry.name, entry.model));
    plan.aggregations.push_back(*a);
  }
  if (plan.aggregations.empty()) plan.aggregations.push_back(plan.base.config.aggregation);
  plan.random_index = spec.random_index;
  plan.vary_weights = spec.weight_concentration > 0.0 && plan.base.X.cols() > 0;
  plan.concentration = spec.weight_concentration;
  if (spec.vote_weight.size() == 2) {
    if (plan.base.vote.size() == 0) {
      notes.push_back(
          "vote_weight is not varied: the entry has no vote scores (no `vote`, or no rating "
          "ballots)");
    } else {
      plan.vary_vote = true;
      plan.vote_lo = spec.vote_weight[0];
      plan.vote_hi = spec.vote_weight[1];
    }
  }
  if (composite) {
    for (auto k : plan.normalisations) {
      plan.Z.push_back(mcda::Normalize(plan.base.X, plan.base.cost, k));
      if (plan.base.vote.size() > 0)
        plan.vote_index.push_back(
            mcda::Normalize(Eigen::MatrixXd(plan.base.vote), {false}, k).col(0));
    }
  }
}

// The varied choices and their levels.
Choices MakeChoices(const UncertaintySpec& spec, const Plan& plan, const IndicatorTable& table,
                    int m) {
  Choices ch;
  ch.weight_choice.assign(m, -1);
  if (plan.vary_weights) {
    for (int j = 0; j < m; ++j)
      if (plan.base.config.weights[j] > 0.0)
        ch.weight_choice[j] = ch.Add(
            "weight." + (j < table.NumIndicators() ? table.names[j] : fmt::format("{}", j)), kBins);
  }
  if (!spec.normalisations.empty())
    ch.norm = ch.Add("normalisation", static_cast<int>(plan.normalisations.size()));
  if (!spec.aggregations.empty())
    ch.agg = ch.Add("aggregation", static_cast<int>(plan.aggregations.size()));
  if (plan.vary_vote) ch.vote = ch.Add("vote_weight", kBins);
  if (!spec.random_index.empty())
    ch.ri = ch.Add("random_index", static_cast<int>(spec.random_index.size()));
  return ch;
}

// What a varied random index does (it never changes a rank).
void NoteRandomIndex(const UncertaintySpec& spec, const IndicatorOptions& options,
                     std::vector<std::string>& notes) {
  if (spec.random_index.empty()) return;
  if (options.ahp && options.ahp->weights.size() > 0) {
    std::vector<std::string> crs;
    const int k = static_cast<int>(options.ahp->weights.size());
    for (const auto& name : spec.random_index) {
      auto t = mcda::FindRandomIndexTable(name);
      auto ri = t ? mcda::RandomIndex(k, *t) : std::nullopt;
      crs.push_back(ri && *ri > 0.0 ? fmt::format("{} {:.4g}", name, options.ahp->ci / *ri)
                                    : fmt::format("{} n/a", name));
    }
    notes.push_back(
        fmt::format("random_index changes only the AHP consistency ratio, not the weights: CR = {}",
                    fmt::join(crs, ", ")));
  } else {
    notes.push_back("random_index has no effect: the entry's weights are not AHP weights");
  }
}

// Weight bins: edges at the quantiles of a pilot of draws.
std::vector<std::vector<double>> WeightBinEdges(const Plan& plan, const Choices& ch, int64_t D,
                                                int m) {
  std::vector<std::vector<double>> edges(m);
  if (!plan.vary_weights) return edges;
  const int64_t P = std::min<int64_t>(D, kPilotDraws);
  Eigen::MatrixXd pilot(P, m);
  ParallelFor(tbb::blocked_range<int64_t>(0, P, 256), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t d = r.begin(); d < r.end(); ++d)
      pilot.row(d) = plan.Generate(d).weights.transpose();
  });
  for (int j = 0; j < m; ++j) {
    if (ch.weight_choice[j] < 0) continue;
    std::vector<double> v(pilot.col(j).data(), pilot.col(j).data() + P);
    std::sort(v.begin(), v.end());
    for (int q = 1; q < kBins; ++q) edges[j].push_back(v[static_cast<size_t>(q * P / kBins)]);
  }
  return edges;
}

// The level of choice `c` in `draw`.
int LevelOf(const Plan& plan, const Choices& ch, const std::vector<std::vector<double>>& edges,
            const Draw& draw, int c) {
  if (c == ch.norm) return draw.normalise;
  if (c == ch.agg) return draw.aggregation;
  if (c == ch.ri) return draw.random_index;
  if (c == ch.vote) {
    if (!(plan.vote_hi > plan.vote_lo)) return 0;
    const double t = (draw.vote_weight - plan.vote_lo) / (plan.vote_hi - plan.vote_lo);
    return std::clamp(static_cast<int>(t * kBins), 0, kBins - 1);
  }
  const int m = static_cast<int>(ch.weight_choice.size());
  for (int j = 0; j < m; ++j) {
    if (ch.weight_choice[j] != c) continue;
    const auto& e = edges[j];
    return static_cast<int>(std::upper_bound(e.begin(), e.end(), draw.weights[j]) - e.begin());
  }
  return 0;
}

// Adds the chunk of draws [d0, d1) (their ranks and levels) to the sums,
// per evaluee in draw order.
void AccumulateChunk(const Choices& ch, const std::vector<int32_t>& ranks,
                     const std::vector<int32_t>& levels, int64_t d0, int64_t d1, int64_t D, int n,
                     Accumulators& acc) {
  const int C = ch.size();
  for (int64_t d = d0; d < d1; ++d)
    for (int c = 0; c < C; ++c) ++acc.level_count[ch.list[c].offset + levels[(d - d0) * C + c]];
  ParallelFor(tbb::blocked_range<int>(0, n, kEvalueeBlock), [&](const tbb::blocked_range<int>& r) {
    for (int64_t d = d0; d < d1; ++d) {
      const int32_t* row = &ranks[(d - d0) * n];
      const int32_t* lev = &levels[(d - d0) * C];
      for (int e = r.begin(); e < r.end(); ++e) {
        const int32_t k = row[e];
        acc.sum[e] += k;
        acc.sumsq[e] += static_cast<int64_t>(k) * k;
        acc.rmin[e] = std::min(acc.rmin[e], k);
        acc.rmax[e] = std::max(acc.rmax[e], k);
        if (acc.histogram)
          ++acc.hist[static_cast<size_t>(e) * n + (k - 1)];
        else
          acc.all_ranks[static_cast<size_t>(e) * D + d] = k;
        int64_t* ls = &acc.level_sum[static_cast<size_t>(e) * ch.total_levels];
        for (int c = 0; c < C; ++c) ls[ch.list[c].offset + lev[c]] += k;
      }
    }
  });
}

// Every draw, chunk by chunk: ranked and levelled in parallel, then added
// to the sums.
void RunDraws(const Plan& plan, const Choices& ch, int64_t D, int n, int m, Accumulators& acc) {
  const std::vector<std::vector<double>> edges = WeightBinEdges(plan, ch, D, m);
  const int C = ch.size();
  const int64_t chunk = std::clamp<int64_t>(kChunkCells / std::max(1, n), 64, D);
  std::vector<int32_t> ranks(static_cast<size_t>(chunk) * n);
  std::vector<int32_t> levels(static_cast<size_t>(chunk) * C);
  for (int64_t d0 = 0; d0 < D; d0 += chunk) {
    const int64_t d1 = std::min(D, d0 + chunk);
    ParallelFor(tbb::blocked_range<int64_t>(d0, d1, 8), [&](const tbb::blocked_range<int64_t>& r) {
      std::vector<std::pair<double, int>> order;
      for (int64_t d = r.begin(); d < r.end(); ++d) {
        const Draw draw = plan.Generate(d);
        RanksOf(plan.Key(draw), order, &ranks[(d - d0) * n]);
        for (int c = 0; c < C; ++c) levels[(d - d0) * C + c] = LevelOf(plan, ch, edges, draw, c);
      }
    });
    AccumulateChunk(ch, ranks, levels, d0, d1, D, n, acc);
  }
}

// The ranks under the entry's own choices.
std::vector<int> BaseRanks(const Plan& plan, bool composite, int n) {
  Draw base;
  base.vote_weight = plan.base.config.vote_weight;
  Plan fixed = plan;
  fixed.normalisations = {plan.base.config.normalise};
  fixed.aggregations = {plan.base.config.aggregation};
  if (composite) {
    fixed.Z = {mcda::Normalize(plan.base.X, plan.base.cost, plan.base.config.normalise)};
    fixed.vote_index.clear();
    if (plan.base.vote.size() > 0)
      fixed.vote_index.push_back(
          mcda::Normalize(Eigen::MatrixXd(plan.base.vote), {false}, plan.base.config.normalise)
              .col(0));
  }
  std::vector<std::pair<double, int>> order;
  std::vector<int32_t> rank(n);
  if (n > 0) RanksOf(fixed.Key(base), order, rank.data());
  return std::vector<int>(rank.begin(), rank.end());
}

// Rank quantiles: the k-th smallest rank, k = ceil(p D).
void RankQuantiles(Accumulators& acc, int64_t D, int n, UncertaintyResult& result) {
  auto kth = [&](double p) {
    return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(p * D - 1e-9)));
  };
  const int64_t k_lo = kth(0.05), k_med = kth(0.5), k_hi = kth(0.95);
  result.median_rank.resize(n);
  result.rank_lo.resize(n);
  result.rank_hi.resize(n);
  for (int e = 0; e < n; ++e) {
    if (acc.histogram) {
      const uint32_t* h = &acc.hist[static_cast<size_t>(e) * n];
      int64_t cum = 0;
      int r = 0;
      auto advance = [&](int64_t k) {
        while (cum < k) cum += h[r++];
        return static_cast<double>(r);
      };
      result.rank_lo[e] = advance(k_lo);
      result.median_rank[e] = advance(k_med);
      result.rank_hi[e] = advance(k_hi);
    } else {
      int32_t* v = &acc.all_ranks[static_cast<size_t>(e) * D];
      auto at = [&](int64_t k) {
        std::nth_element(v, v + (k - 1), v + D);
        return static_cast<double>(v[k - 1]);
      };
      result.rank_lo[e] = at(k_lo);
      result.median_rank[e] = at(k_med);
      result.rank_hi[e] = at(k_hi);
    }
  }
}

// First-order indices, averaged over the evaluees whose rank varies, and
// their shares. Returns how many evaluees vary.
int FirstOrderIndices(const Accumulators& acc, const Choices& ch, int64_t D, int n,
                      UncertaintyResult& result) {
  const int C = ch.size();
  std::vector<long double> s_sum(C, 0.0L);
  int varying = 0;
  for (int e = 0; e < n; ++e) {
    if (acc.rmin[e] == acc.rmax[e]) continue;
    const long double mean = static_cast<long double>(acc.sum[e]) / D;
    const long double var = static_cast<long double>(acc.sumsq[e]) / D - mean * mean;
    if (!(var > 0.0L)) continue;
    ++varying;
    const int64_t* ls = &acc.level_sum[static_cast<size_t>(e) * ch.total_levels];
    for (int c = 0; c < C; ++c) {
      long double vc = 0.0L;
      for (int l = 0; l < ch.list[c].levels; ++l) {
        const int64_t cnt = acc.level_count[ch.list[c].offset + l];
        if (cnt == 0) continue;
        const long double dev = static_cast<long double>(ls[ch.list[c].offset + l]) / cnt - mean;
        vc += static_cast<long double>(cnt) * dev * dev;
      }
      s_sum[c] += vc / D / var;
    }
  }
  double total = 0.0;
  for (int c = 0; c < C; ++c) {
    result.choices.push_back(ch.list[c].name);
    result.first_order.push_back(varying > 0 ? static_cast<double>(s_sum[c] / varying) : 0.0);
    total += result.first_order.back();
  }
  for (int c = 0; c < C; ++c)
    result.share.push_back(total > 0.0 ? result.first_order[c] / total : 0.0);
  return varying;
}

}  // namespace

UncertaintyResult RunUncertainty(const UncertaintySpec& spec, const ModelEntry& entry,
                                 const ModelInput& input, const ModelContext& ctx, uint64_t seed,
                                 int threads, const std::string& file) {
  const std::string where = fmt::format("{}[uncertainty]", file.empty() ? "" : file + ": ");
  const IndicatorMethod method = CheckEntry(spec, entry, input, where);

  OptionReader reader(entry.options, file, entry.path,
                      {"name", "model", "preset", "classes", "from"});
  const IndicatorOptions options = ReadIndicatorOptions(method, reader, ctx);
  reader.FinishOrThrow();

  UncertaintyResult result;
  result.model = entry.name;
  result.draws = spec.draws;
  const IndicatorTable& table = *input.indicators;
  result.evaluees = table.ratee_names;

  Plan plan;
  plan.seed = seed;
  plan.base = PrepareIndicators(options, input);
  result.notes = plan.base.notes;
  const int n = static_cast<int>(plan.base.X.rows());
  const int m = static_cast<int>(plan.base.X.cols());
  const bool composite = method == IndicatorMethod::kComposite;
  SetVariedChoices(spec, entry, composite, where, plan, result.notes);
  const Choices choices = MakeChoices(spec, plan, table, m);
  NoteRandomIndex(spec, options, result.notes);

  const int64_t D = spec.draws;
  Accumulators acc(n, D, choices.total_levels);
  if (threads > 0) {
    tbb::task_arena arena(threads);
    arena.execute([&] { RunDraws(plan, choices, D, n, m, acc); });
  } else {
    RunDraws(plan, choices, D, n, m, acc);
  }
  result.base_rank = BaseRanks(plan, composite, n);
  RankQuantiles(acc, D, n, result);
  const int varying = FirstOrderIndices(acc, choices, D, n, result);
  result.notes.insert(
      result.notes.begin(),
      fmt::format("{} draws over {} unit(s); {} of them change rank", D, n, varying));
  return result;
}

std::string UncertaintyCsv(const UncertaintyResult& r) {
  std::string out = "evaluee,median_rank,rank_lo,rank_hi,base_rank\n";
  for (size_t e = 0; e < r.evaluees.size(); ++e)
    out += fmt::format("{},{},{},{},{}\n", CsvField(r.evaluees[e]), r.median_rank[e], r.rank_lo[e],
                       r.rank_hi[e], r.base_rank[e]);
  return out;
}

std::string SensitivityCsv(const UncertaintyResult& r) {
  std::string out = "choice,first_order,share\n";
  for (size_t c = 0; c < r.choices.size(); ++c)
    out += fmt::format("{},{:.6g},{:.6g}\n", CsvField(r.choices[c]), r.first_order[c], r.share[c]);
  return out;
}

}  // namespace evalsim
