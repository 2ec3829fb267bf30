// Reader for the ratings CSV (README "Command line"): one ballot per row,
//
//   rater,ratee,grade[,group][,weight][,item]
//
// Rules (RFC 4180 quoting through libcsv, in strict mode):
//   - The header is required; columns are found by name, in any order.
//     `rater`, `ratee` and `grade` are required, `group` and `weight` are
//     optional, and any other column is an error.
//   - A UTF-8 byte-order mark, CRLF (or lone CR) line ends and a missing final
//     newline are accepted. Blank lines are skipped. Spaces and tabs around an
//     unquoted field are ignored; inside quotes they are kept.
//   - Ids (rater, ratee, group) are non-empty UTF-8 strings compared byte for
//     byte; quote them to hold commas, quotes ("" inside quotes) or newlines.
//   - `grade` is an integer 0..K-1, higher is better (0 is the lowest grade),
//     or with `grade_labels` one of the scale's labels. An EMPTY grade cell is
//     an abstention (a blank ballot or "don't know") and is stored as
//     kAbstain. K is the largest grade + 1 unless `levels` is given, in which
//     case grades >= levels are errors.
//   - `weight` is a finite number >= 0; an empty cell or a missing column
//     means 1. RatingBallots::weight is filled only when the header has a
//     `weight` column.
//   - `group` names the rater's group; without the column every rater is in
//     one group named "all". Every group weighs 1 in `group_weights`. A rater
//     belongs to one group: the same rater under two groups is an error.
//   - A rater rates a ratee at most once: a repeated (rater, ratee) pair is an
//     error naming both lines.
//   - `item` (optional) names the ballot item a row grades (multi-item
//     ballots); an empty cell is the ballot's overall grade. Rows of items
//     fill RatingBallots' item_* arrays, rows of overall grades the others;
//     a rater grades each (ratee, item) at most once. "overall" is not an
//     item name.
// Ratees, raters and groups are numbered in order of first appearance.
// Ballots are stored slot by slot (slot = ratee * G + group), in file order
// within a slot.
//
// Every problem throws InputError with one line of the shape
//   file:line: column 'grade': found "x"; expected an integer 0..3
// where `line` is the physical line (counting every line of the file from
// 1, blank ones included) on which the offending row starts.
#ifndef EVALSIM_SIM_IO_CSV_H_
#define EVALSIM_SIM_IO_CSV_H_

#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/ballots.h"
#include "sim/core/comparisons.h"
#include "sim/core/indicators.h"

namespace evalsim {

// The records of any CSV text, by the rules above (BOM, CRLF, RFC 4180
// quoting, NUL bytes refused): `on_record(line, fields)` is called for each
// record, header included, `line` being the physical line it began on; the
// fields are views valid during the call only (of the text itself, or of the
// reader's buffers). Throws InputError (file:line:col) on malformed text, and passes on what
// `on_record` throws. Every reader here is built on it.
using CsvRecordCallback = std::function<void(long line, std::span<const std::string_view> fields)>;
void ParseCsvRecords(std::string_view text, const std::string& file_name,
                     const CsvRecordCallback& on_record);

// A CSV file with a header, read through a MappedFile (sim/io/files.h):
// `on_header(line, fields)` gets the header record and `on_row(line, fields)`
// each record after it, which must have as many fields as the header. Throws
// InputError "PATH: empty file (expected a header)" when the file holds no
// record and "PATH:LINE: N field(s); expected M as in the header" for a record
// of another width. The pages read are let go behind the reader (a table is
// read once, front to back).
void ReadCsvTable(const std::filesystem::path& path, const CsvRecordCallback& on_header,
                  const CsvRecordCallback& on_row);

// A CSV table read by column name, as ReadCsvTable reads it: every one of
// `columns` must be in the header (else InputError "PATH:LINE: missing column
// 'NAME' in the header"); other columns are ignored. `on_row(line, fields)`
// gets each data record's fields in the order of `columns`. The records are
// tokenised in windows on every core (sim/io/csv_chunks.h,
// ReadColumnsInWindows) as far as that gives the same rows, lines and
// messages, and by the exact reader from there on.
using CsvColumnsCallback =
    std::function<void(long line, const std::vector<std::string_view>& fields)>;
void ReadCsvColumns(const std::filesystem::path& path, const std::vector<std::string>& columns,
                    const CsvColumnsCallback& on_row);

struct RatingsReadOptions {
  // Number of grades K (`--set levels=K`); by default the largest grade + 1.
  std::optional<int> levels;
  // The known items, in order: when given, an `item` cell naming another
  // item is an error (file:line); by default items are numbered in order of
  // first appearance.
  std::optional<std::vector<std::string>> items;
  // The scale's labels, lowest first (K of them, with `levels` = K): a grade
  // cell may then hold a label instead of its number, e.g. 好 for 3 on
  // 差/一般/较好/好.
  std::vector<std::string> grade_labels;
};

// How the ratings, pairwise and indicators readers read. A file is first
// read the fast way: mapped, cut into chunks at line ends, the chunks parsed
// on every core of the current task arena and merged in file order (names
// keep their order of first appearance). Anything doubtful (an error, or
// what might be one) makes the reader read the whole text again the exact
// way, record by record, which is what reports errors; so the result, or the
// message, is always the exact reader's. A file read from a path shows a
// progress line on stderr when stderr is a terminal and the file is large.
struct CsvReading {
  size_t chunk_bytes = 0;  // bytes per chunk; 0 = automatic (tests cut small texts)
  bool fast = true;        // false: the exact way only (tests compare the two)
};

// Reads the ratings CSV at `path` (see the rules above).
RatingBallots ReadRatingsCsv(const std::string& path, const RatingsReadOptions& options = {});

// Parses ratings CSV text; `file_name` is used only in error messages.
RatingBallots ParseRatingsCsv(std::string_view text, const std::string& file_name,
                              const RatingsReadOptions& options = {},
                              const CsvReading& reading = {});

// Reader for the pairwise CSV (README "Command line"): one comparison per row,
//
//   winner,loser[,weight]
//
// The CSV rules are the ratings reader's (header required, columns found by
// name in any order, unknown or duplicate columns are errors; BOM, CRLF,
// quoting, blank lines, UTF-8 names). `weight` is a finite number >= 0; an
// empty cell or a missing column means 1. A tie is written as two rows, one
// each way, of weight 0.5 (nothing checks that they come in pairs). A row
// whose winner and loser are the same ratee is an error. Ratees share one
// name space and are numbered in order of first appearance, reading each row
// left to right. The rows, in file order, become the sequence (seq_*), and
// the aggregate is built from it by AggregatePairwise.
PairwiseBallots ReadPairwiseCsv(const std::string& path);
PairwiseBallots ParsePairwiseCsv(std::string_view text, const std::string& file_name,
                                 const CsvReading& reading = {});

// Reader for the indicators CSV (README "Command line"): one row per unit,
//
//   unit,<indicator 1>,<indicator 2>,...
//
// The first header cell must be `unit`; every other header cell names an
// indicator (non-empty, UTF-8, all distinct and none named `unit`); at least
// one indicator is required. Each row names a unit (non-empty, at most one
// row per unit; units are numbered in file order) and gives a decimal number
// per indicator ("12", "-0.5", "3.1e2"; finite), or an empty cell for a
// missing value, stored as NaN. Anything else is an error naming the line,
// the indicator and the unit. Every indicator is a benefit (`cost` false);
// models take directions from their options. CSV rules as above.
IndicatorTable ReadIndicatorsCsv(const std::string& path);
IndicatorTable ParseIndicatorsCsv(std::string_view text, const std::string& file_name,
                                  const CsvReading& reading = {});

}  // namespace evalsim

#endif  // EVALSIM_SIM_IO_CSV_H_
