#include "sim/preflight.h"

#include <fmt/format.h>
#include <tbb/info.h>

#include <algorithm>
#include <cmath>
#include <string_view>

#include "sim/per_replicate.h"

namespace evalsim {
namespace {

// The process before any scenario data: text and data of the binary and its
// libraries, TBB's workers and the allocator's arenas. Calibrated as the
// peak_memory_bytes of `evalsim run scenarios/district_review.toml
// --replicates 1` (6 evaluees, 678 ballots; everything else is a few KiB):
// 10.99 MiB with --threads 1, 11.10 MiB with --threads 2 (g++ 12, Release).
constexpr double kBaselineBytes = 11.0 * (1 << 20);
constexpr double kPerThreadBytes = 0.125 * (1 << 20);

// Heap bytes of one std::string of `len` characters beyond sizeof(string):
// none within the small-string buffer (15 chars in libstdc++), else the
// malloc chunk (size + 1 + 8 bytes of header, rounded up to 16).
double StringHeap(size_t len) {
  if (len <= 15) return 0.0;
  return static_cast<double>((len + 1 + 8 + 15) / 16 * 16);
}

int Digits(uint64_t v) {
  int d = 1;
  while (v >= 10) {
    v /= 10;
    ++d;
  }
  return d;
}

// A model's working set in one fit, per valid ballot, per evaluee and per
// rater, read off its allocations (see the header of each model).
struct ModelCost {
  double per_ballot = 0, per_evaluee = 0, per_rater = 0;
  int rater_values = 0;  // per-rater estimates returned (ScoreResult::rater_values)
};

ModelCost CostOf(std::string_view model, int levels, int groups) {
  const double K = levels, G = groups;
  // Every fit returns score (+ tiebreak or se) per evaluee.
  ModelCost c{0, 16, 0, 0};
  if (model == "bayes_shrink") {
    // Tallies per slot and per evaluee (K doubles each) and the compressed
    // per-category value counts of the Polya likelihood.
    c.per_evaluee += 8 * K * (G + 1) + 16 * K;
  } else if (model == "weighted_mean" || model == "approval" || model == "trimmed_mean" ||
             model == "median") {
    c.per_evaluee += 8;  // K-sized scratch only; tiebreak
  } else if (model == "zscore_mean") {
    // Per-rater moments and standardisers, three per-rater output vectors.
    c.per_rater += 40 + 24 + 24;
    c.rater_values = 3;  // mean, sd, fallback
  } else if (model == "rater_adjusted") {
    // Rater-major copy of the valid ballots (ratee id), rater offsets,
    // diagonal and conjugate-gradient vectors, per-rater outputs.
    c.per_ballot += 4;
    c.per_evaluee += 8 * 9;
    c.per_rater += 8 * 8;
    c.rater_values = 1;  // effect
  } else if (model == "mixed_effects") {
    // Per-rater sums and states, per-evaluee and per-rater weights, totals,
    // components, previous iterates; no per-ballot copy.
    c.per_evaluee += 8 * 8 + 4;
    c.per_rater += 48 + 16 + 8 * 6 + 4;
    c.rater_values = 1;  // effect
  } else if (model == "rating_scale") {
    // Per-evaluee and per-rater equations (weight, target), roles,
    // components, trims, estimates, expectations and standard errors.
    c.per_evaluee += 8 * 10 + 4 + 1 + 1;
    c.per_rater += 8 * 8 + 4 + 1 + 1;
    c.rater_values = 2;  // severity, severity_se
  } else {
    // Comparison, social-choice and indicator models: their inputs are
    // converted from ratings (pairs within raters) and are not sized here.
    c.per_ballot += 8;
    c.per_evaluee += 64;
  }
  return c;
}

// A text file built whole in a fmt::memory_buffer and copied into a
// std::string: the buffer's written pages plus the copy (pages of the
// buffer's unused capacity are never touched, so they are not resident).
double TextPeak(double size) { return 2 * size; }

// evaluees.csv and raters.csv are formatted in windows of 32 chunks of 16,384 rows
// (outputs.cc WriteRows); each chunk's buffer keeps its capacity.
double WindowPeak(double rows, double row_bytes) {
  return 1.5 * std::min(rows, 32.0 * 16384.0) * row_bytes;
}

}  // namespace

std::string FormatBytes(double bytes) {
  if (bytes >= static_cast<double>(1ull << 30))
    return fmt::format("{:.2f} GiB", bytes / static_cast<double>(1ull << 30));
  if (bytes >= static_cast<double>(1 << 20)) return fmt::format("{:.1f} MiB", bytes / (1 << 20));
  return fmt::format("{:.1f} KiB", bytes / 1024);
}

std::string PreflightEstimate::Describe(size_t max_parts) const {
  std::vector<std::string> shown;
  for (size_t i = 0; i < parts.size() && i < max_parts; ++i)
    shown.push_back(
        fmt::format("{} {}", parts[i].first, FormatBytes(static_cast<double>(parts[i].second))));
  return fmt::format("{} ({} phase, {} replicate{} in flight: {})",
                     FormatBytes(static_cast<double>(bytes)), phase, concurrency,
                     concurrency == 1 ? "" : "s", fmt::join(shown, ", "));
}

PreflightEstimate EstimateRun(const Scenario& s, const Organisation& org, int threads,
                              bool per_replicate) {
  const int hw = static_cast<int>(tbb::info::default_concurrency());
  const int T = threads > 0 ? threads : hw;
  const double n = org.NumEvaluees();
  const double raters = org.NumRaters();
  const double B = static_cast<double>(org.expected_ballots);
  const double G = static_cast<double>(s.raters.size());
  const double meetings = static_cast<double>(org.meetings.size());
  const double R = s.replicates;
  const double M = static_cast<double>(s.models.size());
  double with_classes = 0;
  for (const auto& m : s.models) with_classes += m.classes.Empty() ? 0 : 1;
  const int C = std::max(1, std::min(T, s.replicates));
  const bool keep = KeepScores(s, org, per_replicate);
  const bool blocs = org.NumBlocEvaluees() > 0;

  // Evaluee names: "<level>-<index>".
  const std::string& level = s.levels[s.evaluee_level].name;
  const double name_bytes = 32 + StringHeap(level.size() + 1 + Digits(org.NumEvaluees()));

  // Organisation and the runner's fixed per-evaluee state.
  double per_evaluee_groups = 0;
  for (const auto& g : s.raters) per_evaluee_groups += g.kind == RaterKind::kPerEvaluee ? 1 : 0;
  const double organisation = n * (8 + name_bytes + 4 + (org.type.empty() ? 0 : 4)) + raters +
                              meetings * (sizeof(Meeting) + 2 * 32 + 8) +
                              per_evaluee_groups * 8 * n;
  // truth, truth ranks, true top/bottom, fairness truth; valid ballots per slot.
  const double runner_fixed = n * (4 * 8 + 3 * 8) + 8 * n * G;

  // One replicate's ballots: packed words, slot index, names and rater groups.
  const double ballots_steady = 4 * B + 8 * (n * G + 1) + n * name_bytes + raters;
  // Generation: the per-meeting word buffers and their slot counts are still
  // alive when the final array is filled.
  const double ballots_generate = ballots_steady + 4 * B + 8 * n * G + 96 * meetings;
  const double bloc_factor = blocs ? 2.0 : 1.0;

  // The largest model fit, plus the per-model metric scratch (ranks, order
  // key, Kendall's merge buffers, memberships, classes).
  // The fits of a replicate run one after the other and their results
  // (score and tiebreak or se) wait for the metrics, which then run for
  // min(threads, models) models at once (sort order, ranks, memberships,
  // classes).
  double model_ws = 0, rater_values = 0;
  for (const auto& m : s.models) {
    const ModelCost c =
        CostOf(m.model, static_cast<int>(s.labels.size()), static_cast<int>(s.raters.size()));
    model_ws = std::max(model_ws, c.per_ballot * B + c.per_evaluee * n + c.per_rater * raters);
    rater_values += c.rater_values;
  }
  const double parallel_models = std::min<double>(T, std::max(M, 1.0));
  model_ws += M * 16 * n + parallel_models * n * (4 + 4 + 4 + 8);

  // Retained per replicate and model: score, rank, top and bottom
  // memberships, classes.
  const double per_rm = n * (8 + 4 + 16) + (M > 0 ? with_classes / M : 0) * 4 * n;
  const double retained_scoring = R * M * per_rm;
  // Per-evaluee summaries of every model (seven vectors).
  const double summaries = M * 7 * 8 * n;

  // Text built in memory by the writer: evaluees.csv always; scores.csv in
  // its full form when small (outputs.cc). A row holds the model label, the
  // name, two full-precision doubles (~19 chars), three ranks, three shares.
  double label = 0;
  for (const auto& m : s.models) label += static_cast<double>(m.name.size());
  label = M > 0 ? label / M : 0;
  const double name_len = static_cast<double>(level.size() + 1 + Digits(org.NumEvaluees()));
  const double rank_len = Digits(org.NumEvaluees()) + (R > 1 ? 4 : 0);
  const double share_len = R > 1 ? 4 : 1;
  const double evaluees_row = label + name_len + 2 * 19 + 3 * rank_len + 3 * share_len + 10;
  double text = WindowPeak(n * M, evaluees_row);
  // raters.csv: every per-rater estimate of replicate 1, streamed in the
  // same windows.
  const double raters_row = label + 4 + Digits(org.NumRaters()) + 8 + 19;
  text = std::max(text, WindowPeak(rater_values * raters, raters_row));
  const bool full_form = keep && R * n * M <= static_cast<double>(kFullScoresMaxRows);
  if (full_form) {
    const double scores_row = 3 + label + name_len + 2 * 19 + rank_len + 6 + 7;
    text = std::max(text, TextPeak(R * n * M * scores_row));
  }
  // scores.csv.gz: a 1 MiB text chunk, zlib's buffers and deflate state,
  // one sort order of the evaluees.
  const double gz = per_replicate ? 2.5 * (1 << 20) + 4 * n : 0.0;

  const double base = kBaselineBytes + kPerThreadBytes * T;
  PreflightEstimate est;
  est.concurrency = C;
  struct Phase {
    const char* name;
    std::vector<std::pair<std::string, double>> parts;
  };
  const double in_flight = C * bloc_factor * std::max(ballots_generate - ballots_steady, 0.0);
  std::vector<Phase> phases = {
      {"scoring",
       {{"baseline", base},
        {"organisation", organisation + runner_fixed},
        {"ballots", C * bloc_factor * ballots_steady +
                        std::max(in_flight - C * model_ws, 0.0)},  // generation or fit
        {"models", C * model_ws},
        {"retained", retained_scoring + rater_values * 8 * raters}}},
      {"reduction",
       {{"baseline", base},
        {"organisation", organisation + runner_fixed},
        {"retained", R * M * (per_rm - (keep ? 0 : 8 * n)) + rater_values * 8 * raters},
        // Models reduce in parallel: a rank matrix and error sums each.
        {"summaries", summaries + parallel_models * (8 * n * R + 5 * 8 * n)}}},
      {"writing",
       {{"baseline", base},
        {"organisation", organisation},
        {"retained",
         R * M * n * (4 + (keep ? 8 : 0)) + R * with_classes * 4 * n + rater_values * 8 * raters},
        {"summaries", summaries},
        {"outputs", text + gz}}},
  };
  double best = -1;
  for (const Phase& p : phases) {
    double total = 0;
    for (const auto& part : p.parts) total += part.second;
    if (total <= best) continue;
    best = total;
    est.phase = p.name;
    est.parts.clear();
    for (const auto& part : p.parts)
      est.parts.emplace_back(part.first, static_cast<uint64_t>(std::llround(part.second)));
  }
  std::stable_sort(est.parts.begin(), est.parts.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& part : est.parts) est.bytes += part.second;
  return est;
}

}  // namespace evalsim
