// libFuzzer target: the indicators CSV reader (ParseIndicatorsCsv).
#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "fuzz/fuzz_common.h"
#include "sim/io/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evalsim;
  const std::string file = "fuzz.csv";
  fuzz::Run(file, [&] {
    IndicatorTable t = ParseIndicatorsCsv(fuzz::AsText(data, size), file);
    if (t.values.rows() != static_cast<Eigen::Index>(t.ratee_names.size()) ||
        t.values.cols() != static_cast<Eigen::Index>(t.names.size()) || t.names.empty()) {
      fuzz::Finding("indicator table of inconsistent shape", "");
    }
    for (Eigen::Index i = 0; i < t.values.size(); ++i) {
      if (std::isinf(t.values.data()[i])) fuzz::Finding("infinite indicator value", "");
    }
  });
  // The fast path, cut into small chunks, against the exact reader.
  fuzz::SameAsExact(
      [&] { return ParseIndicatorsCsv(fuzz::AsText(data, size), file, {1 + size % 13}); },
      [&] { return ParseIndicatorsCsv(fuzz::AsText(data, size), file, {.fast = false}); },
      [](const IndicatorTable& t) {
        std::vector<double> v(t.values.data(), t.values.data() + t.values.size());
        return fmt::format("{} {} {}", fmt::join(t.ratee_names, "|"), fmt::join(t.names, "|"),
                           fmt::join(v, ","));
      });
  return 0;
}
