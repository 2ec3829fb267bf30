#include "sim/experiments/calibration.h"

#include <fmt/format.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <utility>

#include "models/registry.h"
#include "sim/core/check.h"
#include "sim/core/distribute.h"
#include "sim/core/errors.h"
#include "sim/core/interrupt.h"
#include "sim/core/metrics.h"
#include "sim/core/parallel.h"
#include "sim/core/progress.h"
#include "sim/core/rng.h"
#include "sim/io/csv_write.h"
#include "sim/run/runner.h"
#include "sim/simulate/generator.h"

namespace evalsim {
namespace {

constexpr int kStrata = 4;
constexpr const char* kStratumNames[kStrata] = {"all", "best_third", "middle_third", "worst_third"};
constexpr int kTargets = 3;
constexpr const char* kTargetNames[kTargets] = {"rerun", "population", "truth"};
constexpr const char* kQuantityNames[2] = {"score", "rank"};
// Reliability bins: p = 0, ten bins of width 0.1 over (0, 1) (the last one
// open at 1), p = 1.
constexpr int kBins = 12;
// Population sets fitted per parallel chunk (then summed in set order).
constexpr int kPopulationChunk = 32;
// The level of the intervals of metrics.csv.
constexpr double kMetricLevel = 0.95;

double Nan() { return std::numeric_limits<double>::quiet_NaN(); }

// Coverage against the expectation from coverage `c` against an estimate of
// it whose error variance is `ratio` times the estimator's (see the header).
double CorrectCoverage(double c, double ratio) {
  if (!(c > 0.0 && c < 1.0)) return c;
  const double z = NormalQuantile(0.5 * (1.0 + c));
  return 2.0 * NormalCdf(z * std::sqrt(1.0 + ratio)) - 1.0;
}

// The 95 % Wilson interval of x successes in m trials.
Interval WilsonInterval(int x, int m) {
  Interval out;
  if (m == 0) {
    out.value = out.lo = out.hi = Nan();
    return out;
  }
  const double z = 1.959963984540054, p = static_cast<double>(x) / m, mm = m;
  const double centre = (p + z * z / (2 * mm)) / (1 + z * z / mm);
  const double half = z * std::sqrt(p * (1 - p) / mm + z * z / (4 * mm * mm)) / (1 + z * z / mm);
  out.value = p;
  out.lo = std::max(0.0, centre - half);
  out.hi = std::min(1.0, centre + half);
  return out;
}

int Bin(double p) {
  if (p <= 0.0) return 0;
  if (p >= 1.0) return kBins - 1;
  return std::clamp(static_cast<int>(std::ceil(p * 10.0 - 1e-9)), 1, 10);
}

std::pair<double, double> BinBounds(int bin) {
  if (bin == 0) return {0.0, 0.0};
  if (bin == kBins - 1) return {1.0, 1.0};
  return {(bin - 1) / 10.0, bin / 10.0};
}

// A [[models]] entry and its model; `model` is null when the entry is not
// bootstrapped (it does not read rating ballots).
struct CalibratedModel {
  const ModelEntry* entry = nullptr;
  std::unique_ptr<Model> model;
};

std::vector<CalibratedModel> PrepareModels(const Scenario& s, const CalibrationOptions& o,
                                           CalibrationResult& r) {
  const ModelContext ctx = ModelContextOf(s);
  std::vector<CalibratedModel> out;
  for (const ModelEntry& e : s.models) {
    CalibratedModel cm;
    cm.entry = &e;
    CalibrationModel info;
    info.name = e.name;
    info.model = e.model;
    const ModelSpec* spec = Models().Find(e.model);
    std::unique_ptr<Model> model = Models().Create(e.model, e.options, ctx, s.file, e.path);
    if (!spec || spec->input != InputKind::kRatings) {
      info.skipped = true;
      info.notes.push_back(fmt::format(
          "skipped: {} reads {}, and the bootstrap resamples the raters of rating ballots", e.model,
          spec ? InputKindName(spec->input) : "another kind"));
    } else if (o.scheme == ResampleScheme::kParametric && e.model != "rating_scale") {
      info.skipped = true;
      info.notes.push_back(fmt::format(
          "skipped: the parametric scheme draws grades from a fitted rating_scale model, and {} "
          "states no distribution of the grades",
          e.model));
    } else {
      cm.model = std::move(model);
    }
    out.push_back(std::move(cm));
    r.models.push_back(std::move(info));
  }
  return out;
}

void AddNotes(const std::vector<std::string>& notes, const std::string& where,
              CalibrationModel& m) {
  for (const std::string& note : notes) {
    const std::string line = fmt::format("{}: {}", where, note);
    if (m.notes.size() < 5 && std::find(m.notes.begin(), m.notes.end(), line) == m.notes.end())
      m.notes.push_back(line);
  }
}

// One fit's score, competition ranks and top-k membership (ranked as
// Resample ranks its fits).
struct Fit {
  Eigen::VectorXd score, rank, top;
  std::vector<std::string> notes;
};

Fit FitOnce(const Model& model, const RatingBallots& b, int k_top) {
  ModelInput in;
  in.ratings = &b;
  ScoreResult sr = model.Score(in);
  Fit f;
  const std::vector<int> rank = CompetitionRanks(sr.score, sr.tiebreak);
  f.rank = Eigen::Map<const Eigen::VectorXi>(rank.data(), static_cast<Eigen::Index>(rank.size()))
               .cast<double>();
  f.top = TopKMembership(OrderKey(sr.score, sr.tiebreak, rank), k_top);
  f.score = std::move(sr.score);
  f.notes = std::move(sr.notes);
  return f;
}

// The population: per model the mean score and mean rank over M sets, and
// the top-k memberships of the first N sets (the `rerun` outcomes).
struct Population {
  std::vector<Eigen::VectorXd> score, rank;
  std::vector<std::vector<Eigen::VectorXd>> rerun_top;  // [model][set]
};

// Population set j fitted by every bootstrapped model, as bytes: per model
// the score, the ranks, the top-k membership (sets below N only) and the
// notes (set 0 only).
std::string PopulationSet(const GeneratorSetup& setup, const std::vector<CalibratedModel>& models,
                          int j, int N, int k_top) {
  RatingBallots b;
  GenerateBallots(setup, kPopulationReplicate + j, /*with_blocs=*/true, &b);
  ByteWriter w;
  for (const CalibratedModel& cm : models) {
    if (!cm.model) continue;
    const Fit f = FitOnce(*cm.model, b, k_top);
    w.Put(f.score);
    w.Put(f.rank);
    if (j < N) w.Put(f.top);
    if (j == 0) w.Put(f.notes);
  }
  return w.Take();
}

// Population sets [j0, j1), spread over the processes of `d` and fitted in
// parallel, then added to `pop` in set order on process 0.
void PopulationChunk(Distribution& d, const GeneratorSetup& setup,
                     const std::vector<CalibratedModel>& models, int j0, int j1, int N, int k_top,
                     Population& pop, std::vector<CalibrationModel>& info, Progress& progress) {
  const std::vector<std::string> bytes = DistributeItems(
      d, j1 - j0,
      [&](int i) {
        std::string b = PopulationSet(setup, models, j0 + i, N, k_top);
        progress.Advance();
        return b;
      },
      fmt::format("population sets {}-{}: set", j0 + 1, j1));
  if (!d.IsRoot()) return;
  for (int j = j0; j < j1; ++j) {
    ByteReader in(bytes[j - j0]);
    for (size_t m = 0; m < models.size(); ++m) {
      if (!models[m].model) continue;
      Eigen::VectorXd score, rank;
      in.Get(score);
      in.Get(rank);
      pop.score[m] += score;
      pop.rank[m] += rank;
      if (j < N) in.Get(pop.rerun_top[m][j]);
      if (j == 0) {
        std::vector<std::string> notes;
        in.Get(notes);
        AddNotes(notes, "population set 1", info[m]);
      }
    }
    EVALSIM_CHECK(in.Done(), "population set {}: bytes left over", j + 1);
  }
}

// Process 0's population scores and ranks on every process (the
// calibration sets compare their intervals with them).
void ShareScoresAndRanks(Distribution& d, Population& pop) {
  if (d.Size() == 1) return;
  ByteWriter w;
  for (size_t m = 0; m < pop.score.size(); ++m) {
    w.Put(pop.score[m]);
    w.Put(pop.rank[m]);
  }
  std::string bytes = w.Take();
  d.Broadcast(bytes);
  ByteReader in(bytes);
  for (size_t m = 0; m < pop.score.size(); ++m) {
    in.Get(pop.score[m]);
    in.Get(pop.rank[m]);
  }
  EVALSIM_CHECK(in.Done(), "population: bytes left over");
}

Population DrawPopulation(Distribution& d, const GeneratorSetup& setup,
                          const std::vector<CalibratedModel>& models, const CalibrationOptions& o,
                          int n, int k_top, std::vector<CalibrationModel>& info) {
  const int M = static_cast<int>(models.size()), P = o.population;
  Population pop;
  pop.score.assign(M, Eigen::VectorXd::Zero(n));
  pop.rank.assign(M, Eigen::VectorXd::Zero(n));
  pop.rerun_top.assign(M, std::vector<Eigen::VectorXd>(o.sets));
  Progress progress("population sets", P, o.progress);
  for (int j0 = 0; j0 < P; j0 += kPopulationChunk)
    PopulationChunk(d, setup, models, j0, std::min(P, j0 + kPopulationChunk), o.sets, k_top, pop,
                    info, progress);
  for (int m = 0; m < M; ++m) {
    pop.score[m] /= P;
    pop.rank[m] /= P;
  }
  ShareScoresAndRanks(d, pop);
  return pop;
}

// Per model, what the calibration sets add up: each set's share of
// covering intervals and their summed widths per (quantity, level,
// stratum), and every forecast p_top ([set * n + e]).
struct ModelTally {
  std::vector<int> stratum;                // 1..3 per evaluee
  std::vector<int> stratum_size;           // per stratum (0 = all)
  std::vector<std::vector<double>> share;  // [key][set]
  std::vector<double> width;               // [key], summed over sets and evaluees
  std::vector<double> p_top;               // [set * n + e]
};

int Key(int quantity, int level, int stratum, int L) {
  return (quantity * L + level) * kStrata + stratum;
}

ModelTally MakeTally(const Eigen::VectorXd& pop_score, int L, int N) {
  const int n = static_cast<int>(pop_score.size());
  ModelTally t;
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return pop_score[a] > pop_score[b]; });
  t.stratum.assign(n, 0);
  t.stratum_size.assign(kStrata, 0);
  t.stratum_size[0] = n;
  for (int p = 0; p < n; ++p) {
    const int st = 1 + std::min(2, static_cast<int>(3LL * p / std::max(1, n)));
    t.stratum[order[p]] = st;
    ++t.stratum_size[st];
  }
  t.share.assign(2 * L * kStrata, std::vector<double>(N, Nan()));
  t.width.assign(2 * L * kStrata, 0.0);
  return t;
}

// Set i's intervals of one model at every level, as bytes: per (quantity,
// level, stratum) key the share of covering intervals (NaN for an empty
// stratum) and the summed widths, then the set's p_top forecasts.
void PutSetTally(const ResampleResult& rr, const CalibrationOptions& o,
                 const Eigen::VectorXd& score, const Eigen::VectorXd& rank, const ModelTally& t,
                 ByteWriter& w) {
  const int n = rr.n, L = static_cast<int>(o.levels.size());
  std::vector<double> share(2 * L * kStrata, Nan()), width(2 * L * kStrata, 0.0);
  for (int l = 0; l < L; ++l) {
    const BootstrapIntervalSet iv = BootstrapIntervals(rr, o.levels[l], o.interval);
    for (int q = 0; q < 2; ++q) {
      const std::vector<double>& lo = q == 0 ? iv.lo : iv.rank_lo;
      const std::vector<double>& hi = q == 0 ? iv.hi : iv.rank_hi;
      const Eigen::VectorXd& target = q == 0 ? score : rank;
      std::vector<int> covered(kStrata, 0);
      for (int e = 0; e < n; ++e) {
        const bool c = lo[e] <= target[e] && target[e] <= hi[e];
        covered[0] += c;
        covered[t.stratum[e]] += c;
        width[Key(q, l, 0, L)] += hi[e] - lo[e];
        width[Key(q, l, t.stratum[e], L)] += hi[e] - lo[e];
      }
      for (int st = 0; st < kStrata; ++st)
        if (t.stratum_size[st] > 0)
          share[Key(q, l, st, L)] = static_cast<double>(covered[st]) / t.stratum_size[st];
    }
  }
  w.Put(share);
  w.Put(width);
  w.Put(rr.p_top);
}

// Adds what PutSetTally wrote for set i to the tally.
void TakeSetTally(ByteReader& in, int i, ModelTally& t) {
  std::vector<double> share, width, p_top;
  in.Get(share);
  in.Get(width);
  in.Get(p_top);
  EVALSIM_CHECK(share.size() == t.share.size() && width.size() == t.width.size(),
                "set {}: {} coverage keys, expected {}", i + 1, share.size(), t.share.size());
  for (size_t key = 0; key < share.size(); ++key) {
    t.share[key][i] = share[key];
    t.width[key] += width[key];
  }
  t.p_top.insert(t.p_top.end(), p_top.begin(), p_top.end());
}

// Calibration set i bootstrapped by every bootstrapped model, as bytes: per
// model its fit count, its notes (set 0 only) and PutSetTally's bytes.
std::string CalibrationSet(const Scenario& s, const GeneratorSetup& setup,
                           const std::vector<CalibratedModel>& models, const Population& pop,
                           const std::vector<ModelTally>& tallies, const CalibrationOptions& o,
                           int i) {
  RatingBallots b;
  GenerateBallots(setup, i, /*with_blocs=*/true, &b);
  ByteWriter w;
  for (size_t m = 0; m < models.size(); ++m) {
    if (!models[m].model) continue;
    ResampleOptions ro;
    ro.bootstrap = o.bootstrap;
    ro.seed = s.seed + static_cast<uint64_t>(i);
    ro.top = s.quota;
    ro.bottom = s.bottom;
    ro.level = o.levels.front();
    ro.scheme = o.scheme;
    ro.interval = o.interval;
    const ResampleResult rr = Resample(*models[m].model, b, ro);
    w.Put<int64_t>(1 + rr.resamples + rr.accel_blocks);
    if (i == 0) w.Put(rr.notes);
    PutSetTally(rr, o, pop.score[m], pop.rank[m], tallies[m], w);
  }
  return w.Take();
}

// The bootstrap of every model on every calibration set, the sets spread
// over the processes of `d`; the tallies are complete on process 0 only.
std::vector<ModelTally> CalibrationSets(Distribution& d, const Scenario& s,
                                        const GeneratorSetup& setup,
                                        const std::vector<CalibratedModel>& models,
                                        const Population& pop, const CalibrationOptions& o,
                                        CalibrationResult& r) {
  const int M = static_cast<int>(models.size()), L = static_cast<int>(o.levels.size());
  std::vector<ModelTally> tallies(M);
  for (int m = 0; m < M; ++m)
    if (models[m].model) tallies[m] = MakeTally(pop.score[m], L, o.sets);
  Progress progress("calibration sets", o.sets, o.progress);
  const std::vector<std::string> bytes = DistributeItems(
      d, o.sets,
      [&](int i) {
        std::string b = CalibrationSet(s, setup, models, pop, tallies, o, i);
        progress.Advance();
        return b;
      },
      "calibration set");
  if (!d.IsRoot()) return tallies;
  for (int i = 0; i < o.sets; ++i) {
    ByteReader in(bytes[i]);
    for (int m = 0; m < M; ++m) {
      if (!models[m].model) continue;
      int64_t fits = 0;
      in.Get(fits);
      r.fits += fits;
      if (i == 0) {
        std::vector<std::string> notes;
        in.Get(notes);
        AddNotes(notes, "calibration set 1", r.models[m]);
      }
      TakeSetTally(in, i, tallies[m]);
    }
    EVALSIM_CHECK(in.Done(), "calibration set {}: bytes left over", i + 1);
  }
  return tallies;
}

void AddCoverageRows(const std::string& name, const ModelTally& t, const CalibrationOptions& o,
                     CalibrationResult& r) {
  const int L = static_cast<int>(o.levels.size());
  const double ratio = 1.0 / o.population;
  for (int q = 0; q < 2; ++q) {
    for (int l = 0; l < L; ++l) {
      for (int st = 0; st < kStrata; ++st) {
        if (t.stratum_size[st] == 0) continue;
        const int key = Key(q, l, st, L);
        const Interval iv = MeanInterval(t.share[key]);
        CoverageRow row;
        row.model = name;
        row.quantity = kQuantityNames[q];
        row.stratum = kStratumNames[st];
        row.nominal = o.levels[l];
        row.evaluees = t.stratum_size[st];
        row.intervals = static_cast<int64_t>(t.stratum_size[st]) * o.sets;
        row.observed = iv.value;
        row.coverage = CorrectCoverage(iv.value, ratio);
        row.lo = std::clamp(CorrectCoverage(iv.lo, ratio), 0.0, 1.0);
        row.hi = std::clamp(CorrectCoverage(iv.hi, ratio), 0.0, 1.0);
        row.mean_width = t.width[key] / static_cast<double>(row.intervals);
        r.max_correction = std::max(r.max_correction, row.coverage - row.observed);
        r.coverage.push_back(row);
      }
    }
  }
}

// The reliability bins and Brier scores of one model's forecasts against
// the three outcomes.
void AddReliability(const std::string& name, const ModelTally& t, const Population& pop, int m,
                    const Eigen::VectorXd& truth_top, int k_top, int N, CalibrationResult& r) {
  const int n = static_cast<int>(t.stratum.size());
  const Eigen::VectorXd pop_top = TopKMembership(pop.score[m], k_top);
  const double constant = n > 0 ? static_cast<double>(k_top) / n : 0.0;
  for (int target = 0; target < kTargets; ++target) {
    std::vector<int64_t> count(kBins, 0);
    std::vector<double> sum_p(kBins, 0.0), sum_o(kBins, 0.0);
    double brier = 0.0, brier_constant = 0.0;
    for (int i = 0; i < N; ++i) {
      for (int e = 0; e < n; ++e) {
        const double p = t.p_top[static_cast<size_t>(i) * n + e];
        const double outcome = target == 0   ? pop.rerun_top[m][i][e]
                               : target == 1 ? pop_top[e]
                                             : truth_top[e];
        const int bin = Bin(p);
        ++count[bin];
        sum_p[bin] += p;
        sum_o[bin] += outcome;
        brier += (p - outcome) * (p - outcome);
        brier_constant += (constant - outcome) * (constant - outcome);
      }
    }
    for (int bin = 0; bin < kBins; ++bin) {
      ReliabilityBin rb{name,
                        kTargetNames[target],
                        bin,
                        BinBounds(bin).first,
                        BinBounds(bin).second,
                        count[bin],
                        Nan(),
                        Nan()};
      if (count[bin] > 0) {
        rb.mean_p = sum_p[bin] / count[bin];
        rb.frequency = sum_o[bin] / count[bin];
      }
      r.reliability.push_back(rb);
    }
    const double cells = static_cast<double>(N) * n;
    r.brier.push_back({name, kTargetNames[target], static_cast<int64_t>(N) * n,
                       cells > 0 ? brier / cells : Nan(),
                       cells > 0 ? brier_constant / cells : Nan()});
  }
}

// One run's interval of each (model, metric): value, lo, hi.
using RunMetrics = std::map<std::pair<int, std::string>, MetricRow>;

RunMetrics MetricsOfRun(const Scenario& s, const CalibrationOptions& o, int offset) {
  RunConfig config;
  config.keep_scores = false;
  config.replicate_offset = offset;
  config.distribution = o.distribution;
  const RunResult run = RunScenario(s, o.threads, config);
  RunMetrics out;
  for (size_t m = 0; m < run.models.size(); ++m)
    for (const MetricRow& row : run.models[m].metrics)
      if (row.has_interval && std::isfinite(row.value))
        out[{static_cast<int>(m), row.metric}] = row;
  return out;
}

// The coverage of the metric intervals of J runs of one target.
void AddMetricRows(const Scenario& s, const std::vector<RunMetrics>& runs,
                   const std::string& target, CalibrationResult& r) {
  const int J = static_cast<int>(runs.size());
  // (model, metric) in model order, then the order of the first run that has it.
  std::vector<std::pair<int, std::string>> keys;
  std::set<std::pair<int, std::string>> seen;
  for (int m = 0; m < static_cast<int>(s.models.size()); ++m)
    for (const RunMetrics& run : runs)
      for (const auto& [key, row] : run)
        if (key.first == m && seen.insert(key).second) keys.push_back(key);
  for (const auto& key : keys) {
    int used = 0, covered = 0;
    for (int j = 0; j < J; ++j) {
      const auto it = runs[j].find(key);
      if (it == runs[j].end()) continue;
      double sum = 0.0;
      int others = 0;
      for (int k = 0; k < J; ++k) {
        if (k == j) continue;
        const auto other = runs[k].find(key);
        if (other == runs[k].end()) continue;
        sum += other->second.value;
        ++others;
      }
      if (others == 0) continue;
      ++used;
      const double target_value = sum / others;
      covered += it->second.lo <= target_value && target_value <= it->second.hi;
    }
    if (used < 2) continue;
    const Interval w = WilsonInterval(covered, used);
    const double ratio = 1.0 / (used - 1);
    r.metric_coverage.push_back({s.models[key.first].name, key.second, target, used, covered,
                                 CorrectCoverage(w.value, ratio),
                                 std::clamp(CorrectCoverage(w.lo, ratio), 0.0, 1.0),
                                 std::clamp(CorrectCoverage(w.hi, ratio), 0.0, 1.0)});
  }
}

void CalibrateMetrics(const Scenario& use, const CalibrationOptions& o, CalibrationResult& r) {
  Scenario s = use;
  s.uncertainty.model.clear();  // the [uncertainty] analysis has no interval to check
  r.replicates_per_run = s.replicates;
  Progress progress("runs", 2L * o.runs, o.progress);
  for (int target = 0; target < 2; ++target) {
    std::vector<RunMetrics> runs;
    for (int j = 0; j < o.runs; ++j) {
      ThrowIfInterrupted();
      Scenario sj = s;
      if (target == 1) sj.seed = s.seed + 1 + static_cast<uint64_t>(j);
      runs.push_back(MetricsOfRun(sj, o, target == 0 ? j * s.replicates : 0));
      progress.Advance();
    }
    AddMetricRows(s, runs, target == 0 ? "same_organisation" : "new_seed", r);
  }
}

}  // namespace

void CheckCalibrationOptions(const CalibrationOptions& o) {
  if (o.levels.empty()) throw InputError("--level: expected at least one level");
  for (double l : o.levels)
    if (!(l > 0.0 && l < 1.0))
      throw InputError(fmt::format("--level {}: expected a coverage in (0, 1), e.g. 0.9", l));
  if (o.sets < 2)
    throw InputError(fmt::format("--sets {}: expected at least 2 ballot sets", o.sets));
  if (o.bootstrap < 2)
    throw InputError(fmt::format("--bootstrap {}: expected at least 2 resamples", o.bootstrap));
  if (o.population < o.sets)
    throw InputError(
        fmt::format("--population {}: expected at least as many population sets as --sets ({})",
                    o.population, o.sets));
  if (o.population > kPopulationReplicate)
    throw InputError(
        fmt::format("--population {}: expected at most {}", o.population, kPopulationReplicate));
  if (o.runs < 0 || o.runs == 1)
    throw InputError(
        fmt::format("--runs {}: expected 0 (no check of metrics.csv) or at least 2", o.runs));
  if (o.threads < 0)
    throw InputError(fmt::format("--threads {}: expected 0 (every core) or more", o.threads));
}

Scenario WithEveryRatingsModel(const Scenario& s) {
  Scenario out = s;
  out.models.clear();
  out.uncertainty.model.clear();
  for (const std::string& name : Models().Names()) {
    const ModelSpec* spec = Models().Find(name);
    if (!spec || spec->input != InputKind::kRatings) continue;
    ModelEntry e;
    e.name = name;
    e.model = name;
    e.path = "models." + name;
    out.models.push_back(std::move(e));
  }
  return out;
}

CalibrationResult RunCalibration(const Scenario& scenario, const Organisation& org,
                                 const CalibrationOptions& o) {
  CheckCalibrationOptions(o);
  CalibrationResult r;
  r.threads = ThreadCount(o.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, r.threads);
  Scenario s = o.every_ratings_model ? WithEveryRatingsModel(scenario) : scenario;
  KeepModels(s, SelectedModels(s, o.models));
  const int n = r.evaluees = org.NumEvaluees();
  r.k_top = QuotaCount(s.quota, n);
  CheckResampleMemory(n, o.bootstrap);
  // The runs draw replicates 0 .. runs * replicates - 1: below the population's.
  if (static_cast<int64_t>(o.runs) * s.replicates >= kPopulationReplicate)
    throw InputError(fmt::format(
        "--runs {}: {} runs of {} replicates draw more than {} replicates; use fewer runs", o.runs,
        o.runs, s.replicates, kPopulationReplicate));
  const std::vector<CalibratedModel> models = PrepareModels(s, o, r);
  const GeneratorSetup setup = MakeGeneratorSetup(s, org);
  Distribution& d = OrSingle(o.distribution);
  const Population pop = DrawPopulation(d, setup, models, o, n, r.k_top, r.models);
  for (const CalibratedModel& cm : models) r.fits += cm.model ? o.population : 0;
  const std::vector<ModelTally> tallies = CalibrationSets(d, s, setup, models, pop, o, r);
  if (!d.IsRoot()) {
    // The other processes take their share of the runs' replicates.
    if (o.runs > 0) CalibrateMetrics(s, o, r);
    return r;
  }
  const Eigen::VectorXd truth_top =
      TopKMembership(Eigen::Map<const Eigen::VectorXd>(org.quality.data(), n), r.k_top);
  for (size_t m = 0; m < models.size(); ++m) {
    if (!models[m].model) continue;
    AddCoverageRows(r.models[m].name, tallies[m], o, r);
    AddReliability(r.models[m].name, tallies[m], pop, static_cast<int>(m), truth_top, r.k_top,
                   o.sets, r);
  }
  if (o.runs > 0) CalibrateMetrics(s, o, r);
  return r;
}

std::string CalibrationCsv(const CalibrationResult& r) {
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "model,quantity,nominal,coverage,lo,hi\n");
  for (const CoverageRow& c : r.coverage) {
    if (c.stratum != "all") continue;
    fmt::format_to(it, "{},{},{},{},{},{}\n", CsvField(c.model), c.quantity, Num(c.nominal),
                   Num(c.coverage), Num(c.lo), Num(c.hi));
  }
  return fmt::to_string(out);
}

std::string CalibrationStrataCsv(const CalibrationResult& r) {
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  fmt::format_to(it,
                 "model,quantity,nominal,stratum,evaluees,intervals,observed,coverage,lo,hi,"
                 "mean_width\n");
  for (const CoverageRow& c : r.coverage) {
    fmt::format_to(it, "{},{},{},{},{},{},{},{},{},{},{}\n", CsvField(c.model), c.quantity,
                   Num(c.nominal), c.stratum, c.evaluees, c.intervals, Num(c.observed),
                   Num(c.coverage), Num(c.lo), Num(c.hi), Num(c.mean_width));
  }
  return fmt::to_string(out);
}

std::string ReliabilityCsv(const CalibrationResult& r) {
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "model,target,bin,p_lo,p_hi,count,mean_p_top,frequency\n");
  for (const ReliabilityBin& b : r.reliability) {
    fmt::format_to(it, "{},{},{},{},{},{},{},{}\n", CsvField(b.model), b.target, b.bin, Num(b.p_lo),
                   Num(b.p_hi), b.count, b.count > 0 ? Num(b.mean_p) : "",
                   b.count > 0 ? Num(b.frequency) : "");
  }
  return fmt::to_string(out);
}

std::string BrierCsv(const CalibrationResult& r) {
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "model,target,forecasts,brier,brier_constant,skill\n");
  for (const BrierRow& b : r.brier) {
    const double skill = b.brier_constant > 0 ? 1.0 - b.brier / b.brier_constant : Nan();
    fmt::format_to(it, "{},{},{},{},{},{}\n", CsvField(b.model), b.target, b.forecasts,
                   Num(b.brier), Num(b.brier_constant), std::isfinite(skill) ? Num(skill) : "");
  }
  return fmt::to_string(out);
}

std::string MetricsCalibrationCsv(const CalibrationResult& r) {
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "model,metric,target,nominal,runs,covered,coverage,lo,hi\n");
  for (const MetricCoverageRow& m : r.metric_coverage) {
    fmt::format_to(it, "{},{},{},{},{},{},{},{},{}\n", CsvField(m.model), m.metric, m.target,
                   Num(kMetricLevel), m.runs, m.covered, Num(m.coverage), Num(m.lo), Num(m.hi));
  }
  return fmt::to_string(out);
}

std::string CalibrationSummaryTable(const CalibrationResult& r, const CalibrationOptions& o) {
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  size_t width = 5;
  for (const CalibrationModel& m : r.models) width = std::max(width, m.name.size());
  fmt::format_to(it, "{:<{}}", "model", width + 2);
  for (const char* q : kQuantityNames)
    for (double l : o.levels) fmt::format_to(it, " {:>10}", fmt::format("{} {}", q, Num(l)));
  fmt::format_to(it, " {:>12} {:>12} {:>12}\n", "brier.rerun", "brier.pop", "brier.truth");
  for (const CalibrationModel& m : r.models) {
    fmt::format_to(it, "{:<{}}", m.name, width + 2);
    if (m.skipped) {
      fmt::format_to(it, " skipped (see the note)\n");
      continue;
    }
    for (const char* q : kQuantityNames)
      for (const CoverageRow& c : r.coverage)
        if (c.model == m.name && c.quantity == q && c.stratum == "all")
          fmt::format_to(it, " {:>10.3f}", c.coverage);
    for (const BrierRow& b : r.brier)
      if (b.model == m.name) fmt::format_to(it, " {:>12.4f}", b.brier);
    fmt::format_to(it, "\n");
  }
  return fmt::to_string(out);
}

}  // namespace evalsim
