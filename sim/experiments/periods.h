// Periods: what a rule does to an organisation over years. The appraisal of
// a scenario is repeated for `[periods] count` periods; after each one the
// [[actions]] fire on the evaluees whose history of class labels meets
// their rule, and the true quality of the evaluees they act on changes.
//
// One history per replicate and [[models]] entry. In period t of replicate
// r (1-based t):
//   1. the evaluees' true quality q is that of the history (period 1: the
//      scenario's organisation, the same in every history);
//   2. ballots (and indicators, vetoes) are drawn as for replicate
//      r + (t - 1) * 2^20 of a one-period run, with q and the raters'
//      leniency of the history; the entry's model scores them and its
//      classes label every evaluee;
//   3. the actions are tried in scenario order on every evaluee: an action
//      fires when its `when` label came in at least `times` of the last
//      `window` periods, counting only the periods since it last fired on
//      the evaluee and since the evaluee was last replaced. "replace" gives
//      the evaluee a fresh draw quality_sd * N(0, 1) and a new history;
//      "improve" adds `shift` to q; "label" adds the escalation `label` to
//      the evaluee's labels of period t, which the later actions of the same
//      period (and of later periods) count;
//   4. between periods, each evaluee is replaced by its fresh draw with
//      probability `turnover`, then q <- persistence * q + innovation * z;
//      each rater keeps its leniency or, with probability `rater_redraw`,
//      draws a new one from its group's leniency distribution.
// The innovations z, the fresh draws, the turnover and redraw coins and the
// new leniencies come from the stream (seed, periods, r, t), and the ballot
// noise from the ballot streams of replicate r + (t - 1) * 2^20: every
// model's history sees the same draws (common random numbers), so two
// policies differ only by what they did. Histories run in parallel and are
// reduced in (period, model, replicate) order: the output does not depend
// on the thread count.
#ifndef EVALSIM_SIM_EXPERIMENTS_PERIODS_H_
#define EVALSIM_SIM_EXPERIMENTS_PERIODS_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"

namespace evalsim {

// Period t (1-based) of replicate r draws its ballots as this replicate.
inline constexpr int kPeriodStride = 1 << 20;
inline int PeriodReplicate(int replicate, int period) {
  return replicate + (period - 1) * kPeriodStride;
}

// Whether an action fires in period t (1-based) on an evaluee whose label
// bits of periods 1..t are history[0..t-1]: the bit `when` is set in at
// least `times` of the periods max(t - window + 1, since) .. t.
bool ActionFires(std::span<const uint64_t> history, int t, int since, uint64_t when, int times,
                 int window);

// One row of periods.csv: the mean over replicates of one metric of one
// model's histories in one period, with its 95 % interval.
struct PeriodRow {
  int period = 0;
  std::string model;
  std::string metric;
  double value = 0, lo = 0, hi = 0;
};

struct PeriodsResult {
  std::vector<PeriodRow> rows;  // by period, then model (scenario order), then metric
  double seconds = 0;
};

// Every history of `s` (which must have [periods]) on the organisation
// `org`; `threads` <= 0 means every core. Throws InputError on bad input and
// InterruptedError when interrupted.
PeriodsResult RunPeriods(const Scenario& s, const Organisation& org, int threads);

// periods.csv: period,model,metric,value,lo,hi.
std::string PeriodsCsv(const PeriodsResult& r);

}  // namespace evalsim

#endif  // EVALSIM_SIM_EXPERIMENTS_PERIODS_H_
