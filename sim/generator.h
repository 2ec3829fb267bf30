// Ballot generation: one replicate of votes on a fixed organisation.
//
// Every meeting draws from its own stream DeriveSeed(seed, ballots,
// replicate, meeting), so the ballots do not depend on the thread count or
// on the order in which meetings run. A ballot's latent value is
//   quality(evaluee) + leniency(rater) + noise * N(0,1) + bloc shift
// and its grade is the number of calibrated cut points at or below it.
// Bloc affiliations come from a separate stream, so a run without blocs
// (`with_blocs = false`) sees exactly the same draws otherwise: the
// difference between the two is the blocs' effect alone.
#ifndef EVALSIM_SIM_GENERATOR_H_
#define EVALSIM_SIM_GENERATOR_H_

#include <vector>

#include "sim/ballots.h"
#include "sim/comparisons.h"
#include "sim/organisation.h"
#include "sim/scenario.h"

namespace evalsim {

struct GeneratorSetup {
  const Scenario* scenario = nullptr;
  const Organisation* organisation = nullptr;
  std::vector<double> cuts;                  // from CalibrateCuts
  std::vector<double> expected_per_meeting;  // expected ballots, to size buffers
};

GeneratorSetup MakeGeneratorSetup(const Scenario& s, const Organisation& org);

// Fills `out` with the ballots of `replicate`. The metadata (names, groups)
// is filled on first use and kept when `out` is reused. Runs in parallel over
// meetings on the calling thread's task arena.
//
// When the scenario asks for comparison ballots ([comparisons]), the same
// raters also rank (`rankings`, mode "ranking") or compare random pairs
// (`pairs`, mode "pairs") from the perceptions behind their rating ballots;
// pass null for a kind the caller does not need.
void GenerateBallots(const GeneratorSetup& setup, int replicate, bool with_blocs,
                     RatingBallots* out, RankingBallots* rankings = nullptr,
                     PairwiseBallots* pairs = nullptr);

}  // namespace evalsim

#endif  // EVALSIM_SIM_GENERATOR_H_
