#include "sim/core/errors.h"

#include <fmt/format.h>

namespace evalsim {

std::string Location(const std::string& file, long line, long column) {
  if (file.empty()) return "";
  if (line <= 0) return fmt::format("{}: ", file);
  if (column <= 0) return fmt::format("{}:{}: ", file, line);
  return fmt::format("{}:{}:{}: ", file, line, column);
}

}  // namespace evalsim
