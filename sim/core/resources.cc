#include "sim/core/resources.h"

#include <sys/resource.h>

namespace evalsim {

uint64_t PeakMemoryBytes() {
  struct rusage u {};
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return static_cast<uint64_t>(u.ru_maxrss) * 1024;  // Linux reports KiB
}

}  // namespace evalsim
