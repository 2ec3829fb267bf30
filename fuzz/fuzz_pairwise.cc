// libFuzzer target: the pairwise CSV reader (ParsePairwiseCsv).
#include "fuzz/fuzz_common.h"
#include "sim/io/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evalsim;
  const std::string file = "fuzz.csv";
  fuzz::Run(file, [&] {
    PairwiseBallots b = ParsePairwiseCsv(fuzz::AsText(data, size), file);
    b.CheckInvariants();
  });
  return 0;
}
