// libFuzzer target: the ratings CSV reader (ParseRatingsCsv), with K taken
// from the data and, for every other input, a fixed `levels`.
#include <fmt/format.h>

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
  // The fast path, cut into small chunks, against the exact reader.
  const RatingsReadOptions options;
  fuzz::SameAsExact(
      [&] { return ParseRatingsCsv(fuzz::AsText(data, size), file, options, {1 + size % 13}); },
      [&] { return ParseRatingsCsv(fuzz::AsText(data, size), file, options, {.fast = false}); },
      [](const RatingBallots& b) {
        return fmt::format("{} {} {} {} {} {} {} {}", b.levels, fmt::join(b.group_names, "|"),
                           fmt::join(b.ratee_names, "|"), fmt::join(b.rater_names, "|"),
                           fmt::join(b.rater_group, ","), fmt::join(b.slot_begin, ","),
                           fmt::join(b.ballot, ","), fmt::join(b.weight, ","));
      });
  return 0;
}
