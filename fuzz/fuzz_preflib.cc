// libFuzzer target: the PrefLib reader (ParsePreflib). The file name's
// extension, which sets the data type when the header gives none, cycles
// through soc, soi, toc, toi and none with the input's size.
#include "fuzz/fuzz_common.h"
#include "sim/io/preflib.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evalsim;
  static const char* const kNames[] = {"fuzz.soc", "fuzz.soi", "fuzz.toc", "fuzz.toi", "fuzz"};
  const std::string file = kNames[size % 5];
  fuzz::Run(file, [&] {
    RankingBallots b = ParsePreflib(fuzz::AsText(data, size), file);
    b.CheckInvariants();
  });
  return 0;
}
