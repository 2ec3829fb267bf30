// libFuzzer target: the scenario reader (ParseScenario: TOML, presets and
// validation; nothing is generated).
#include "fuzz/fuzz_common.h"
#include "sim/scenario/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evalsim;
  const std::string file = "fuzz.toml";
  fuzz::Run(file, [&] { ParseScenario(fuzz::AsText(data, size), file); });
  return 0;
}
