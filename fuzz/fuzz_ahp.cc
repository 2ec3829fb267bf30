// libFuzzer target: the AHP comparison matrix reader (ParseAhpMatrix).
#include <cmath>

#include "fuzz/fuzz_common.h"
#include "sim/io/ahp_matrix.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evalsim;
  const std::string file = "fuzz.csv";
  fuzz::Run(file, [&] {
    AhpMatrix m = ParseAhpMatrix(fuzz::AsText(data, size), file);
    const auto n = static_cast<Eigen::Index>(m.names.size());
    if (n == 0 || m.values.rows() != n || m.values.cols() != n) {
      fuzz::Finding("AHP matrix of inconsistent shape", "");
    }
    for (Eigen::Index i = 0; i < m.values.size(); ++i) {
      const double v = m.values.data()[i];
      if (!std::isfinite(v) || v <= 0) fuzz::Finding("AHP judgement not finite and > 0", "");
    }
  });
  return 0;
}
