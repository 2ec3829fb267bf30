// Reader for an AHP pairwise comparison matrix (the input of `evalsim ahp`
// and of AHP weights): a square CSV of positive judgements a_ij ("how much
// more important row i is than column j").
//
//   ,price,quality,service        <- optional header row (first cell may be
//   price,1,3,5                      empty or any label)
//   quality,1/3,1,2               <- optional first column of names
//   service,0.2,1/2,1
//
// Rules
//   - A UTF-8 byte-order mark, CRLF (or lone CR) line ends, a missing final
//     newline and blank lines are accepted; spaces and tabs around a cell are
//     ignored. Fields are split on commas (no quoting): a name that holds
//     '"' is an error.
//   - A cell is a decimal (`0.2`, `3`, `1e-1`) or a fraction `p/q` of two
//     decimals (`1/3`), as ParseAhpJudgement (sim/core/text.h) reads it. It
//     must be finite and > 0.
//   - The first row is a header when any of its cells (after the first) is
//     neither a number nor starts like one (a digit, '+', '-' or '.'; such a
//     cell is reported as a bad cell); the first column holds names when any
//     of its cells (after the header) is not a number and the first row of
//     comparisons does not have exactly n cells (n = the number of rows of
//     comparisons). Without names the criteria are called C1..Cn; with both a
//     header and a name column the names must agree.
//   - The matrix must be square (n rows of n numbers), with a diagonal of 1
//     and reciprocal pairs: |a_ij * a_ji - 1| <= tolerance (default 1e-3, so
//     that 0.333 is accepted as 1/3; 1/3 written as a fraction is exact).
// Every problem throws InputError "file:line:col: ..." naming the cell (row
// and column 1-based within the matrix), its text and what was expected; a
// non-reciprocal pair names both cells, their values and lines.
#ifndef EVALSIM_SIM_IO_AHP_MATRIX_H_
#define EVALSIM_SIM_IO_AHP_MATRIX_H_

#include <Eigen/Core>
#include <string>
#include <string_view>
#include <vector>

namespace evalsim {

struct AhpMatrix {
  std::vector<std::string> names;  // size n
  Eigen::MatrixXd values;          // n x n
};

struct AhpMatrixReadOptions {
  double reciprocal_tolerance = 1e-3;
};

// Reads the matrix CSV at `path`.
AhpMatrix ReadAhpMatrix(const std::string& path, const AhpMatrixReadOptions& options = {});

// Parses matrix CSV text; `file_name` is used only in error messages.
AhpMatrix ParseAhpMatrix(std::string_view text, const std::string& file_name,
                         const AhpMatrixReadOptions& options = {});

}  // namespace evalsim

#endif  // EVALSIM_SIM_IO_AHP_MATRIX_H_
