#include "sim/io/csv_write.h"

#include <fmt/compile.h>
#include <fmt/format.h>

namespace evalsim {

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string Num(double v) { return fmt::format("{}", v); }

// CsvField(s) appended to `out` without a temporary string.
void AppendCsvField(fmt::memory_buffer& out, const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    out.append(s.data(), s.data() + s.size());
    return;
  }
  const std::string q = CsvField(s);
  out.append(q.data(), q.data() + q.size());
}

// Num(v) appended to `out`: the same "{}" conversion (shortest round trip).
void AppendNum(fmt::memory_buffer& out, double v) {
  fmt::format_to(std::back_inserter(out), FMT_COMPILE("{}"), v);
}

}  // namespace evalsim
