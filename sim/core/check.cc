#include "sim/core/check.h"

#include <cstring>

namespace evalsim {

void CheckFailed(const char* file, int line, const std::string& message) {
  // The path below the source tree: "sim/core/ballots.cc", not the build's.
  const char* rel = std::strstr(file, "sim/");
  if (!rel) rel = std::strstr(file, "models/");
  throw InternalError(fmt::format("{}:{}: {}", rel ? rel : file, line, message));
}

}  // namespace evalsim
