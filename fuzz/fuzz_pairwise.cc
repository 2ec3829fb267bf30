// libFuzzer target: the pairwise CSV reader (ParsePairwiseCsv).
#include <fmt/format.h>

#include "fuzz/fuzz_common.h"
#include "sim/io/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evalsim;
  const std::string file = "fuzz.csv";
  fuzz::Run(file, [&] {
    PairwiseBallots b = ParsePairwiseCsv(fuzz::AsText(data, size), file);
    b.CheckInvariants();
  });
  // The fast path, cut into small chunks, against the exact reader.
  fuzz::SameAsExact(
      [&] { return ParsePairwiseCsv(fuzz::AsText(data, size), file, {1 + size % 13}); },
      [&] { return ParsePairwiseCsv(fuzz::AsText(data, size), file, {.fast = false}); },
      [](const PairwiseBallots& b) {
        return fmt::format("{} {} {} {}", fmt::join(b.ratee_names, "|"),
                           fmt::join(b.seq_winner, ","), fmt::join(b.seq_loser, ","),
                           fmt::join(b.seq_weight, ","));
      });
  return 0;
}
