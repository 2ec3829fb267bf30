#include "sim/io/ahp_matrix.h"

#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <utility>

#include "sim/core/errors.h"
#include "sim/core/text.h"
#include "sim/io/files.h"

namespace evalsim {
namespace {

struct Field {
  std::string_view text;  // trimmed
  long column = 0;        // 1-based byte column of the trimmed text
};

struct Row {
  long line = 0;
  std::vector<Field> fields;
};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

Field Trim(std::string_view s, long column) {
  size_t b = 0, e = s.size();
  while (b < e && IsBlank(s[b])) ++b;
  while (e > b && IsBlank(s[e - 1])) --e;
  return Field{s.substr(b, e - b), column + static_cast<long>(b)};
}

// Splits text into non-blank rows of comma-separated, trimmed fields.
std::vector<Row> SplitRows(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<Row> rows;
  long line = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = pos;
    while (end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
    ++line;
    const std::string_view content = text.substr(pos, end - pos);
    bool blank = true;
    for (const char c : content) blank = blank && IsBlank(c);
    if (!blank) {
      Row row;
      row.line = line;
      size_t start = 0;
      while (true) {
        const size_t comma = content.find(',', start);
        const size_t stop = comma == std::string_view::npos ? content.size() : comma;
        row.fields.push_back(
            Trim(content.substr(start, stop - start), static_cast<long>(start) + 1));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      rows.push_back(std::move(row));
    }
    if (end >= text.size()) break;
    pos = end + 1;
    if (text[end] == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
  }
  return rows;
}

bool IsNumber(std::string_view s) { return ParseAhpJudgement(s).has_value(); }

// Whether a cell that is not a number was meant as one ("1/0", "1e400",
// "-2"): then it is a bad cell, not a name.
bool LooksNumeric(std::string_view s) {
  return !s.empty() && std::string_view("0123456789+-.").find(s.front()) != std::string_view::npos;
}

std::string Shown(std::string_view s) { return ShownInMessage(s); }

// Throws unless the name in `f` (on line `line`) is valid UTF-8 without
// quotes (fields are split on commas with no quoting, so a quote would
// silently become part of the name).
void CheckName(const std::string& file, long line, const Field& f, const std::string& what) {
  if (const size_t quote = f.text.find('"'); quote != std::string_view::npos) {
    throw InputError(Location(file, line, f.column + static_cast<long>(quote)) +
                     fmt::format("{} is {}; expected a name without '\"' (an AHP matrix is split "
                                 "on commas with no quoting, so a name cannot hold a comma)",
                                 what, Shown(f.text)));
  }
  if (const size_t bad = InvalidUtf8At(f.text); bad != std::string_view::npos) {
    throw InputError(Location(file, line, f.column + static_cast<long>(bad)) +
                     fmt::format("{} is {}; expected UTF-8 text", what, Shown(f.text)));
  }
}

// Throws when `text` holds a NUL byte, naming its line and column as
// SplitRows counts them (after a byte-order mark).
void RefuseNul(std::string_view text, const std::string& file_name) {
  const size_t nul = text.find('\0');
  if (nul == std::string_view::npos) return;
  const size_t start = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  long line = 1, column = 1;
  for (size_t i = start; i < nul; ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && text[i + 1] != '\n')) {
      ++line;
      column = 1;
    } else if (text[i] != '\r') {
      ++column;
    }
  }
  throw InputError(Location(file_name, line, column) +
                   "found a NUL byte; expected a text file (a CSV matrix)");
}

// Where the comparisons are among the rows: after an optional header row and
// an optional first column of names.
struct Layout {
  bool header = false;
  size_t first_data = 0;  // index of the first row of comparisons
  size_t n = 0;           // rows of comparisons (and criteria)
  bool name_column = false;
  size_t offset = 0;  // index of the first comparison in a row
};

Layout FindLayout(const std::vector<Row>& rows, const std::string& file_name) {
  if (rows.empty()) {
    throw InputError(Location(file_name) +
                     "the AHP matrix file is empty; expected a square "
                     "matrix of pairwise comparisons");
  }
  Layout l;
  // Header: the first row, when a cell after its first is neither a number
  // nor a bad one ("1/0", "-2"), reported as such below.
  for (size_t k = 1; k < rows[0].fields.size(); ++k) {
    const std::string_view cell = rows[0].fields[k].text;
    if (!IsNumber(cell) && !LooksNumeric(cell)) l.header = true;
  }
  l.first_data = l.header ? 1 : 0;
  l.n = rows.size() - l.first_data;
  if (l.n == 0) {
    throw InputError(Location(file_name, rows[0].line) +
                     "the AHP matrix has a header but no rows of comparisons");
  }
  // Name column: when the first cell of some row of comparisons is not a
  // number, unless the first such row has exactly n cells (then it is a bad
  // cell of a square matrix without names).
  if (rows[l.first_data].fields.size() != l.n) {
    for (size_t r = l.first_data; r < rows.size(); ++r) {
      if (!IsNumber(rows[r].fields[0].text)) l.name_column = true;
    }
  }
  l.offset = l.name_column ? 1 : 0;
  return l;
}

// The shape is checked before the n x n arrays are allocated, so that a long
// file that is not a matrix (n rows of one cell) fails fast instead of
// allocating n^2 cells.
void CheckSquare(const std::vector<Row>& rows, const Layout& l, const std::string& file_name) {
  for (size_t r = 0; r < l.n; ++r) {
    const Row& row = rows[l.first_data + r];
    const size_t cells = row.fields.size() - l.offset;
    if (cells != l.n) {
      throw InputError(Location(file_name, row.line) +
                       fmt::format("row {} has {} comparison(s); expected {} (the matrix must be "
                                   "square: {} rows{})",
                                   r + 1, cells, l.n, l.n,
                                   l.name_column ? " after the names" : ""));
    }
  }
}

// (line, column) of each cell of the matrix, for the messages of the checks
// that compare cells.
using CellPlaces = std::vector<std::vector<std::pair<long, long>>>;

// One judgement: finite and > 0.
double Judgement(const std::string& file_name, long line, const Field& f, size_t r, size_t c) {
  const std::optional<double> v = ParseAhpJudgement(f.text);
  if (!v) {
    throw InputError(Location(file_name, line, f.column) +
                     fmt::format("cell ({}, {}): found {}; expected a number or a "
                                 "fraction such as 1/3",
                                 r + 1, c + 1, Shown(f.text)));
  }
  if (!std::isfinite(*v) || !(*v > 0.0)) {
    throw InputError(
        Location(file_name, line, f.column) +
        fmt::format("cell ({}, {}): found {}; expected a number > 0", r + 1, c + 1, Shown(f.text)));
  }
  return *v;
}

// The rows of comparisons, with their names when the layout has a name
// column, into `out`; the place of every cell into `where`.
void ReadComparisons(const std::vector<Row>& rows, const Layout& l, const std::string& file_name,
                     AhpMatrix& out, CellPlaces& where) {
  const size_t n = l.n;
  out.values.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  where.assign(n, std::vector<std::pair<long, long>>(n));
  for (size_t r = 0; r < n; ++r) {
    const Row& row = rows[l.first_data + r];
    if (l.name_column) {
      const Field& f = row.fields[0];
      if (f.text.empty()) {
        throw InputError(Location(file_name, row.line, f.column) +
                         fmt::format("row {} has an empty name", r + 1));
      }
      CheckName(file_name, row.line, f, fmt::format("the name of row {}", r + 1));
      out.names.emplace_back(f.text);
    }
    for (size_t c = 0; c < n; ++c) {
      const Field& f = row.fields[l.offset + c];
      out.values(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) =
          Judgement(file_name, row.line, f, r, c);
      where[r][c] = {row.line, f.column};
    }
  }
}

// The header's names: the criteria's names, or, with a name column, the same
// names in the same order.
void ReadHeader(const Row& h, const Layout& l, const std::string& file_name, AhpMatrix& out) {
  const size_t n = l.n;
  const size_t cells = h.fields.size();
  const size_t skip = cells == n + 1 ? 1 : 0;
  if (cells != n && cells != n + 1) {
    throw InputError(Location(file_name, h.line) +
                     fmt::format("the header has {} cell(s); expected {} names (optionally "
                                 "after a corner cell)",
                                 cells, n));
  }
  for (size_t c = 0; c < n; ++c) {
    const Field& f = h.fields[skip + c];
    if (f.text.empty()) {
      throw InputError(Location(file_name, h.line, f.column) +
                       fmt::format("header: column {} has an empty name", c + 1));
    }
    CheckName(file_name, h.line, f, fmt::format("header: the name of column {}", c + 1));
    if (l.name_column) {
      if (f.text != out.names[c]) {
        throw InputError(Location(file_name, h.line, f.column) +
                         fmt::format("header: column {} is {} but row {} is {}; the "
                                     "names must be in the same order",
                                     c + 1, Shown(f.text), c + 1, Shown(out.names[c])));
      }
    } else {
      out.names.emplace_back(f.text);
    }
  }
}

// A diagonal of 1 and reciprocal pairs, within `tol`.
void CheckReciprocal(const AhpMatrix& out, const CellPlaces& where, double tol,
                     const std::string& file_name) {
  const size_t n = out.names.size();
  for (size_t i = 0; i < n; ++i) {
    const double d = out.values(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(i));
    if (std::abs(d - 1.0) > tol) {
      throw InputError(Location(file_name, where[i][i].first, where[i][i].second) +
                       fmt::format("cell ({}, {}) [{}] is {}; a diagonal cell must be 1", i + 1,
                                   i + 1, out.names[i], d));
    }
  }
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      const double a = out.values(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
      const double b = out.values(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(i));
      if (std::abs(a * b - 1.0) > tol) {
        throw InputError(
            Location(file_name, where[j][i].first, where[j][i].second) +
            fmt::format("cell ({}, {}) [{} vs {}] is {} but cell ({}, {}) (line {}, column {}) "
                        "is {}; they must be reciprocal (product {}, expected 1 within {})",
                        j + 1, i + 1, out.names[j], out.names[i], b, i + 1, j + 1,
                        where[i][j].first, where[i][j].second, a, a * b, tol));
      }
    }
  }
}

}  // namespace

AhpMatrix ParseAhpMatrix(std::string_view text, const std::string& file_name,
                         const AhpMatrixReadOptions& options) {
  RefuseNul(text, file_name);
  const std::vector<Row> rows = SplitRows(text);
  const Layout layout = FindLayout(rows, file_name);
  CheckSquare(rows, layout, file_name);
  AhpMatrix out;
  CellPlaces where;
  ReadComparisons(rows, layout, file_name, out, where);
  if (layout.header) ReadHeader(rows[0], layout, file_name, out);
  if (out.names.empty()) {
    for (size_t c = 0; c < layout.n; ++c) out.names.push_back(fmt::format("C{}", c + 1));
  }
  CheckReciprocal(out, where, options.reciprocal_tolerance, file_name);
  return out;
}

AhpMatrix ReadAhpMatrix(const std::string& path, const AhpMatrixReadOptions& options) {
  return ParseAhpMatrix(ReadFile(path), path, options);
}

}  // namespace evalsim
