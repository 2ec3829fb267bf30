// Writing CSV cells: RFC 4180 quoting and the one number format every
// output file uses (the shortest decimal that reads back as the same double).
#ifndef EVALSIM_SIM_IO_CSV_WRITE_H_
#define EVALSIM_SIM_IO_CSV_WRITE_H_

#include <fmt/format.h>

#include <string>

namespace evalsim {

// A CSV field, quoted per RFC 4180 when needed.
std::string CsvField(const std::string& s);
// Shortest decimal that reads back as the same double ("nan" never occurs).
std::string Num(double v);

// CsvField(s) and Num(v) appended to a buffer without a temporary string.
void AppendCsvField(fmt::memory_buffer& out, const std::string& s);
void AppendNum(fmt::memory_buffer& out, double v);

}  // namespace evalsim

#endif  // EVALSIM_SIM_IO_CSV_WRITE_H_
