// libFuzzer target: the ratings CSV reader (ParseRatingsCsv), with K taken
// from the data and, for every other input, a fixed `levels`.
#include "fuzz/fuzz_common.h"
#include "sim/io/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evalsim;
  const std::string file = "fuzz.csv";
  fuzz::Run(file, [&] {
    RatingsReadOptions options;
    if (size % 2 == 1) options.levels = 1 + static_cast<int>(size % 7);
    RatingBallots b = ParseRatingsCsv(fuzz::AsText(data, size), file, options);
    b.CheckInvariants();
  });
  return 0;
}
