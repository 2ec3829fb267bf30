#include "sim/io/csv.h"

#include <csv.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cfloat>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sim/core/errors.h"
#include "sim/core/progress.h"
#include "sim/core/text.h"
#include "sim/io/csv_chunks.h"
#include "sim/io/csv_fast.h"
#include "sim/io/files.h"

namespace evalsim {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr size_t kMaxGroups = 256;  // rater_group holds one byte
constexpr size_t kQuoteLimit = 60;  // bytes of a bad value shown in a message

enum class Column { kRater, kRatee, kGrade, kGroup, kWeight, kItem, kScale };
constexpr std::string_view kColumnNames[] = {"rater",  "ratee", "grade", "group",
                                             "weight", "item",  "scale"};

std::string_view ColumnName(Column c) { return kColumnNames[static_cast<int>(c)]; }

// A value as it appears in a message: quotes, backslashes, control
// characters and invalid UTF-8 bytes escaped (so that the message stays on
// one line), and cut after kQuoteLimit bytes.
std::string Escape(std::string_view s) {
  std::string out;
  size_t i = 0;
  for (; i < s.size() && i < kQuoteLimit;) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t len = Utf8SequenceLength(s, i);
    if (len > 1) {
      out.append(s.substr(i, len));
      i += len;
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7F) {
      out += fmt::format("\\x{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  if (i < s.size()) out += "...";
  return out;
}

std::string Quote(std::string_view s) { return fmt::format("\"{}\"", Escape(s)); }

std::string QuoteName(std::string_view s) { return fmt::format("'{}'", Escape(s)); }

// Column (1-based, in characters) of byte `offset` of a line.
long CharColumn(std::string_view line, size_t offset) {
  long column = 1;
  for (size_t i = 0; i < offset && i < line.size(); ++i)
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++column;
  return column;
}

// Hashing that lets a std::string_view look up a std::string key without
// building a temporary string.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Names -> dense ids in order of first appearance. Ballot files are usually
// sorted by rater or by ratee, so the last hit is checked before hashing.
class IdTable {
 public:
  // The id of `name`, or -1 when it is new.
  int64_t Find(std::string_view name) {
    if (last_ >= 0 && names_[last_] == name) return last_;
    auto it = ids_.find(name);
    if (it == ids_.end()) return -1;
    last_ = it->second;
    return last_;
  }
  uint32_t Add(std::string_view name) {
    const uint32_t id = static_cast<uint32_t>(names_.size());
    names_.emplace_back(name);
    ids_.emplace(names_.back(), id);
    last_ = id;
    return id;
  }
  size_t size() const { return names_.size(); }
  const std::string& Name(uint32_t id) const { return names_[id]; }
  std::vector<std::string> TakeNames() { return std::move(names_); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> ids_;
  int64_t last_ = -1;
};

// Owns a libcsv parser for the duration of a parse.
class CsvParser {
 public:
  CsvParser() {
    if (csv_init(&parser_, 0) != 0) throw std::bad_alloc();
    csv_set_opts(&parser_, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
  }
  ~CsvParser() { csv_free(&parser_); }
  CsvParser(const CsvParser&) = delete;
  CsvParser& operator=(const CsvParser&) = delete;
  csv_parser* get() { return &parser_; }

 private:
  csv_parser parser_;
};

// Calls `on_record(line, fields)` for every record of `text`, `line` being
// the physical line on which the record began. Text is fed to libcsv one
// physical line at a time, which is how the line is known. libcsv is C, so
// nothing may be thrown through it: the callbacks store the first exception
// and ignore everything after it, and Parse() rethrows it once csv_parse
// returns. A NUL byte, bad quoting and an unterminated quoted field throw
// InputError; so does anything the callback throws. Every reader here
// (ratings, pairwise, indicators) reads through it.
class CsvRecordReader {
 public:
  using Callback = std::function<void(long line, std::span<const std::string_view> fields)>;

  CsvRecordReader(const std::string& file, Callback on_record)
      : file_(file), on_record_(std::move(on_record)) {}

  // Called now and then with the position before which the text is no
  // longer read (a mapped file can let those pages go).
  void OnConsumed(std::function<void(const char*)> consumed) { consumed_ = std::move(consumed); }

  // Reads `text`, whose first line is line `first_line` of the file (a
  // byte-order mark is skipped on line 1).
  void Parse(std::string_view text, long first_line = 1) {
    if (first_line == 1 && text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
    CsvParser parser;
    bool in_record = false;  // a record began on an earlier line and has not ended
    long line = first_line;
    for (size_t pos = 0; pos < text.size(); ++line) {
      size_t end = LineEnd(text, pos);
      if (end == std::string_view::npos) {
        end = text.size();
      } else {
        end += (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1;
      }
      const std::string_view chunk = text.substr(pos, end - pos);
      pos = end;
      if (consumed_ && chunk.data() - consumed_at_ >= kConsumedStep) {
        consumed_at_ = chunk.data();  // libcsv keeps no view of the lines before
        consumed_(consumed_at_);
      }
      if (!in_record && ReadWholeLine(chunk, line)) continue;
      if (const size_t nul = chunk.find('\0'); nul != std::string_view::npos) {
        throw InputError(Location(file_, line, CharColumn(chunk, nul)) +
                         "found a NUL byte; expected text (is this a CSV file?)");
      }
      if (!in_record) record_line_ = line;
      ended_record_ = false;
      const size_t parsed =
          csv_parse(parser.get(), chunk.data(), chunk.size(), OnField, OnRecord, this);
      if (failure_) std::rethrow_exception(failure_);
      if (parsed < chunk.size()) {
        if (csv_error(parser.get()) == CSV_ENOMEM) throw std::bad_alloc();
        throw InputError(Location(file_, line, CharColumn(chunk, parsed)) +
                         "malformed quoting; a field that holds '\"' must be enclosed in '\"' "
                         "with every inner '\"' doubled");
      }
      if (ended_record_) {
        in_record = false;
      } else if (!in_record) {
        in_record = chunk.find_first_not_of(" \t\r\n") != std::string_view::npos;
      }
    }
    const int fini = csv_fini(parser.get(), OnField, OnRecord, this);
    if (failure_) std::rethrow_exception(failure_);
    if (fini != 0) {
      throw InputError(Location(file_, record_line_) +
                       "unterminated quoted field: a '\"' opens a field that is never closed");
    }
  }

 private:
  // A line that RecordCursor (sim/io/csv_chunks.h, checked against libcsv
  // field for field) reads as one whole record is emitted from its fields;
  // libcsv reads a byte at a time, and files written by evalsim are all
  // such lines. Returns false, having emitted nothing, for any other line
  // (a doubt, a blank line, a quoted field that goes on to the next line).
  bool ReadWholeLine(std::string_view chunk, long line) {
    RecordCursor& cursor = cursor_;
    cursor.Restart(chunk.data(), chunk.data() + chunk.size());
    if (cursor.Next() != RecordCursor::kRecord) return false;
    const std::string_view rest(cursor.Pos(),
                                static_cast<size_t>(chunk.data() + chunk.size() - cursor.Pos()));
    if (rest.find_first_not_of("\r\n") != std::string_view::npos) return false;
    record_line_ = line;
    on_record_(record_line_, cursor.Fields());
    return true;
  }

  // The first CR or LF at or after `pos` (npos if none); find_first_of
  // would test each byte against the set with a call.
  static size_t LineEnd(std::string_view text, size_t pos) {
    const char* begin = text.data() + pos;
    const size_t size = text.size() - pos;
    const void* lf = std::memchr(begin, '\n', size);
    const size_t to_lf = lf ? static_cast<size_t>(static_cast<const char*>(lf) - begin) : size;
    const void* cr = std::memchr(begin, '\r', to_lf);
    const size_t found = cr ? static_cast<size_t>(static_cast<const char*>(cr) - begin) : to_lf;
    return found == size ? std::string_view::npos : pos + found;
  }

  static void OnField(void* data, size_t len, void* self) {
    auto* r = static_cast<CsvRecordReader*>(self);
    if (r->failure_) return;
    try {
      if (r->num_fields_ == r->fields_.size()) r->fields_.emplace_back();
      if (data) {
        r->fields_[r->num_fields_].assign(static_cast<const char*>(data), len);
      } else {
        r->fields_[r->num_fields_].clear();
      }
      ++r->num_fields_;
    } catch (...) {
      r->failure_ = std::current_exception();
    }
  }
  static void OnRecord(int /*terminator*/, void* self) {
    auto* r = static_cast<CsvRecordReader*>(self);
    r->ended_record_ = true;
    if (r->failure_) return;
    try {
      r->views_.assign(r->fields_.begin(), r->fields_.begin() + r->num_fields_);
      r->on_record_(r->record_line_, r->views_);
    } catch (...) {
      r->failure_ = std::current_exception();
    }
    r->num_fields_ = 0;
  }

  static constexpr ptrdiff_t kConsumedStep = ptrdiff_t{64} << 20;

  const std::string& file_;
  Callback on_record_;
  std::function<void(const char*)> consumed_;
  const char* consumed_at_ = nullptr;
  std::exception_ptr failure_;
  bool ended_record_ = false;
  long record_line_ = 0;
  std::vector<std::string> fields_;  // libcsv's fields, kept between records
  size_t num_fields_ = 0;
  std::vector<std::string_view> views_;  // views of fields_
  RecordCursor cursor_{nullptr, nullptr};
};

// Of the ballots laid out in slots (`slot_begin`, `ballot`, and the file row
// of each place, `row_at`), the rater who appears twice in one slot whose
// second row comes first: {first row, second row}, or {0, SIZE_MAX} when no
// rater repeats.
std::pair<size_t, size_t> FirstRepeat(const std::vector<uint64_t>& slot_begin,
                                      const std::vector<uint32_t>& ballot, size_t num_raters,
                                      const std::vector<size_t>& row_at) {
  std::vector<uint64_t> seen_in_slot(num_raters, UINT64_MAX);
  std::vector<size_t> first_row(num_raters);
  size_t best_first = 0, best_second = SIZE_MAX;
  for (uint64_t s = 0; s + 1 < slot_begin.size(); ++s) {
    for (uint64_t at = slot_begin[s]; at < slot_begin[s + 1]; ++at) {
      const uint32_t rater = BallotRater(ballot[at]);
      if (seen_in_slot[rater] != s) {
        seen_in_slot[rater] = s;
        first_row[rater] = row_at[at];
      } else if (row_at[at] < best_second) {
        best_first = first_row[rater];
        best_second = row_at[at];
      }
    }
  }
  return {best_first, best_second};
}

// Turns the records of CsvRecordReader into RatingBallots.
class RatingsBuilder {
 public:
  RatingsBuilder(const std::string& file, const RatingsReadOptions& options)
      : file_(file), options_(options) {
    if (options_.levels && (*options_.levels < 1 || *options_.levels > kMaxLevels)) {
      throw InputError(fmt::format("levels: found {}; expected an integer in [1, {}]",
                                   *options_.levels, kMaxLevels));
    }
    max_grade_allowed_ = options_.levels ? *options_.levels - 1 : kMaxLevels - 1;
  }

  RatingBallots Parse(std::string_view text);

 private:
  [[noreturn]] void Fail(long line, const std::string& message) const {
    throw InputError(Location(file_, line) + message);
  }
  [[noreturn]] void FailColumn(Column c, const std::string& message) const {
    Fail(record_line_, fmt::format("column '{}': {}", ColumnName(c), message));
  }

  void Record(long line, std::span<const std::string_view> fields);
  void Header();
  void Row();
  uint32_t IdOf(IdTable& table, Column c, std::string_view name);
  uint8_t Grade(std::string_view s);
  float Weight(std::string_view s);
  RatingBallots Build();
  // Multi-item ballots (the optional `item` column), kept apart from the
  // rows of overall grades: see the "Items" section below.
  int32_t ItemOf(std::string_view name);
  void SplitItemRows();
  void BuildItems(RatingBallots& b);
  // Rater groups on scales of their own (the optional `scale` column).
  int ScaleOf(uint32_t group, std::string_view name);
  void BuildScales(RatingBallots& b);

  const std::string& file_;
  const RatingsReadOptions& options_;
  int max_grade_allowed_;
  long record_line_ = 0;                      // physical line on which the current record began
  std::span<const std::string_view> fields_;  // fields of the current record
  size_t num_fields_ = 0;

  bool have_header_ = false;
  std::vector<Column> columns_;  // role of each header column
  std::string header_text_;      // the header as read, for messages
  bool has_group_ = false, has_weight_ = false, has_item_ = false, has_scale_ = false;

  IdTable raters_, ratees_, groups_;
  std::vector<uint8_t> rater_group_;
  std::vector<long> rater_first_line_;
  int max_grade_ = -1;  // on the main scale

  // Scales: per group its scale (-1 = main, -2 = not seen yet), the line
  // that set it, and per named scale its largest grade.
  IdTable scales_;
  std::vector<int> group_scale_;
  std::vector<long> group_scale_line_;
  std::vector<int> scale_max_;

  // One entry per row, in file order.
  std::vector<uint32_t> row_rater_, row_ratee_;
  std::vector<uint8_t> row_grade_;
  std::vector<float> row_weight_;
  std::vector<long> row_line_;

  // Items: per row its item id (-1 = the overall grade) while reading, then
  // the item rows moved out of the row_* vectors by SplitItemRows.
  IdTable items_;
  std::vector<int32_t> row_item_;
  struct ItemRows {
    std::vector<uint32_t> rater, ratee, item;
    std::vector<uint8_t> grade;
    std::vector<float> weight;
    std::vector<long> line;
  } item_rows_;
};

void RatingsBuilder::Record(long line, std::span<const std::string_view> fields) {
  record_line_ = line;
  fields_ = fields;
  num_fields_ = fields.size();
  if (have_header_) {
    Row();
  } else {
    Header();
  }
}

void RatingsBuilder::Header() {
  std::vector<std::string> names(fields_.begin(), fields_.begin() + num_fields_);
  std::vector<std::string> shown;
  for (const std::string& name : names) shown.push_back(Escape(name));
  header_text_ = fmt::format("{}", fmt::join(shown, ","));
  bool seen[std::size(kColumnNames)] = {};
  for (const std::string& name : names) {
    int found = -1;
    for (size_t c = 0; c < std::size(kColumnNames); ++c)
      if (name == kColumnNames[c]) found = static_cast<int>(c);
    if (found < 0) {
      Fail(record_line_,
           fmt::format("unknown column {}; expected a header with rater, ratee, grade and "
                       "optionally group, weight, item, scale (the header found: {})",
                       QuoteName(name), header_text_));
    }
    if (seen[found]) {
      Fail(record_line_, fmt::format("duplicate column {} (the header found: {})", QuoteName(name),
                                     header_text_));
    }
    seen[found] = true;
    columns_.push_back(static_cast<Column>(found));
  }
  for (Column c : {Column::kRater, Column::kRatee, Column::kGrade}) {
    if (!seen[static_cast<int>(c)]) {
      Fail(record_line_,
           fmt::format("missing column '{}'; the header found: {}", ColumnName(c), header_text_));
    }
  }
  has_group_ = seen[static_cast<int>(Column::kGroup)];
  has_weight_ = seen[static_cast<int>(Column::kWeight)];
  has_item_ = seen[static_cast<int>(Column::kItem)];
  has_scale_ = seen[static_cast<int>(Column::kScale)];
  if (!has_group_) groups_.Add("all");
  have_header_ = true;
}

uint32_t RatingsBuilder::IdOf(IdTable& table, Column c, std::string_view name) {
  const int64_t id = table.Find(name);
  if (id >= 0) return static_cast<uint32_t>(id);
  if (name.empty()) FailColumn(c, "found an empty cell; expected a name");
  if (!IsValidUtf8(name)) FailColumn(c, fmt::format("found {}; expected UTF-8 text", Quote(name)));
  if (&table == &raters_ && table.size() >= kMaxRaters) {
    FailColumn(c, fmt::format("found more than {} distinct raters; the limit is {}", kMaxRaters,
                              kMaxRaters));
  }
  if (&table == &groups_ && table.size() >= kMaxGroups) {
    FailColumn(c, fmt::format("found more than {} distinct groups; the limit is {}", kMaxGroups,
                              kMaxGroups));
  }
  return table.Add(name);
}

uint8_t RatingsBuilder::Grade(std::string_view s) {
  if (s.empty()) return kAbstain;
  if (has_scale_ && s == kDontKnowCell) return kDontKnow;
  const std::vector<std::string>& labels = options_.grade_labels;
  if (!labels.empty()) {
    for (size_t g = 0; g < labels.size(); ++g)
      if (labels[g] == s) return static_cast<uint8_t>(g);
    // Numbers are grades unless the labels themselves are numbers (a 1-5
    // scale), when a number could mean either.
    const auto digit = [](std::string_view t) { return !t.empty() && t[0] >= '0' && t[0] <= '9'; };
    const bool numeric_labels = std::any_of(labels.begin(), labels.end(), digit);
    if (numeric_labels || !digit(s)) {
      FailColumn(Column::kGrade,
                 fmt::format("found {}; expected a label of the scale, lowest first ({}), {}or "
                             "an empty cell (abstention)",
                             Quote(s), fmt::join(labels, ", "),
                             numeric_labels ? std::string()
                                            : fmt::format("an integer 0..{} (0 = {}) ",
                                                          labels.size() - 1, labels[0])));
    }
  }
  int value = 0;
  bool ok = true;
  for (char ch : s) {
    if (ch < '0' || ch > '9' || value > max_grade_allowed_) {
      ok = false;
      break;
    }
    value = value * 10 + (ch - '0');
  }
  if (!ok || value > max_grade_allowed_) {
    FailColumn(Column::kGrade,
               fmt::format("found {}; expected an integer 0..{} (0 = the lowest grade{}) or "
                           "an empty cell (abstention)",
                           Quote(s), max_grade_allowed_,
                           options_.levels ? fmt::format(", levels = {}", *options_.levels)
                                           : std::string()));
  }
  return static_cast<uint8_t>(value);
}

float RatingsBuilder::Weight(std::string_view s) {
  if (s.empty()) return 1.0f;
  double value = 0.0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value) || value < 0.0 ||
      value > FLT_MAX) {
    FailColumn(Column::kWeight, fmt::format("found {}; expected a finite number >= 0", Quote(s)));
  }
  return value == 0.0 ? 0.0f : static_cast<float>(value);  // no -0
}

void RatingsBuilder::Row() {
  if (num_fields_ != columns_.size()) {
    Fail(record_line_,
         fmt::format("found {} field{}; expected {} as in the header ({})", num_fields_,
                     num_fields_ == 1 ? "" : "s", columns_.size(), header_text_));
  }
  std::string_view field[std::size(kColumnNames)] = {};
  for (size_t i = 0; i < columns_.size(); ++i) field[static_cast<int>(columns_[i])] = fields_[i];

  const uint32_t rater = IdOf(raters_, Column::kRater, field[static_cast<int>(Column::kRater)]);
  const uint32_t ratee = IdOf(ratees_, Column::kRatee, field[static_cast<int>(Column::kRatee)]);
  const uint32_t group =
      has_group_ ? IdOf(groups_, Column::kGroup, field[static_cast<int>(Column::kGroup)]) : 0;
  if (rater == rater_group_.size()) {
    rater_group_.push_back(static_cast<uint8_t>(group));
    rater_first_line_.push_back(record_line_);
  } else if (rater_group_[rater] != group) {
    FailColumn(Column::kGroup,
               fmt::format("rater {} is in group {} here but in group {} on line {}; a rater "
                           "belongs to one group",
                           Quote(raters_.Name(rater)), Quote(groups_.Name(group)),
                           Quote(groups_.Name(rater_group_[rater])), rater_first_line_[rater]));
  }
  const uint8_t grade = Grade(field[static_cast<int>(Column::kGrade)]);
  const int scale = has_scale_ ? ScaleOf(group, field[static_cast<int>(Column::kScale)]) : -1;
  if (scale >= 0 && IsGrade(grade)) scale_max_[scale] = std::max<int>(scale_max_[scale], grade);
  if (scale < 0 && IsGrade(grade) && grade > max_grade_) max_grade_ = grade;
  if (has_weight_) row_weight_.push_back(Weight(field[static_cast<int>(Column::kWeight)]));
  row_rater_.push_back(rater);
  row_ratee_.push_back(ratee);
  row_grade_.push_back(grade);
  row_line_.push_back(record_line_);
  if (has_item_) row_item_.push_back(ItemOf(field[static_cast<int>(Column::kItem)]));
}

RatingBallots RatingsBuilder::Parse(std::string_view text) {
  CsvRecordReader reader(
      file_, [this](long line, std::span<const std::string_view> fields) { Record(line, fields); });
  reader.Parse(text);
  if (!have_header_) {
    throw InputError(Location(file_) +
                     "empty file; expected a header line rater,ratee,grade[,group][,weight]");
  }
  return Build();
}

RatingBallots RatingsBuilder::Build() {
  if (row_rater_.empty()) {
    throw InputError(Location(file_) + "no ballot rows after the header; expected at least one");
  }
  if (has_item_) SplitItemRows();
  RatingBallots b;
  if (options_.levels) {
    b.levels = *options_.levels;
  } else if (max_grade_ < 0 && scales_.size() > 0) {
    b.levels = 2;  // no ballot on the main scale: BuildScales sets the levels
  } else if (max_grade_ < 0) {
    throw InputError(Location(file_) +
                     "every grade is empty (abstention), so the number of levels is unknown; "
                     "give it with --set levels=K");
  } else {
    b.levels = max_grade_ + 1;
  }
  const uint64_t num_groups = groups_.size();
  const uint64_t num_slots = ratees_.size() * num_groups;
  if (num_slots > static_cast<uint64_t>(INT_MAX)) {
    throw InputError(Location(file_) + fmt::format("{} ratees x {} groups is too many slots; the "
                                                   "limit is {}",
                                                   ratees_.size(), num_groups, INT_MAX));
  }
  b.num_raters = static_cast<uint32_t>(raters_.size());
  b.rater_group = std::move(rater_group_);
  b.group_weights.assign(num_groups, 1.0);

  // Counting sort by slot, stable so that a slot keeps file order.
  const size_t num_rows = row_rater_.size();
  std::vector<uint32_t> slot_of(num_rows);
  b.slot_begin.assign(num_slots + 1, 0);
  for (size_t i = 0; i < num_rows; ++i) {
    slot_of[i] = static_cast<uint32_t>(row_ratee_[i] * num_groups + b.rater_group[row_rater_[i]]);
    ++b.slot_begin[slot_of[i] + 1];
  }
  for (size_t s = 0; s < num_slots; ++s) b.slot_begin[s + 1] += b.slot_begin[s];
  std::vector<uint64_t> next(b.slot_begin.begin(), b.slot_begin.end() - 1);
  std::vector<size_t> row_at(num_rows);
  b.ballot.resize(num_rows);
  if (has_weight_) b.weight.resize(num_rows);
  for (size_t i = 0; i < num_rows; ++i) {
    const uint64_t at = next[slot_of[i]]++;
    row_at[at] = i;
    b.ballot[at] = PackBallot(row_rater_[i], row_grade_[i]);
    if (has_weight_) b.weight[at] = row_weight_[i];
  }

  // A rater has one group, so a repeated (rater, ratee) pair lies within one
  // slot.
  const auto [best_first, best_second] = FirstRepeat(b.slot_begin, b.ballot, b.num_raters, row_at);
  if (best_second != SIZE_MAX) {
    Fail(row_line_[best_second],
         fmt::format("rater {} rates ratee {} again (first on line {}); a rater rates each "
                     "ratee at most once",
                     Quote(raters_.Name(row_rater_[best_second])),
                     Quote(ratees_.Name(row_ratee_[best_second])), row_line_[best_first]));
  }

  if (has_item_) BuildItems(b);
  if (scales_.size() > 0) BuildScales(b);
  b.group_names = groups_.TakeNames();
  b.ratee_names = ratees_.TakeNames();
  b.rater_names = raters_.TakeNames();
#ifndef NDEBUG
  b.CheckInvariants();
#endif
  return b;
}

// --- Items ------------------------------------------------------------------
// The optional `item` column: an empty cell is the ballot's overall grade, a
// name an item grade. Items are numbered in order of first appearance (or as
// RatingsReadOptions::items lists them, and then an unlisted item is an
// error). Item rows go to RatingBallots' item_* arrays by item slot, in file
// order within a slot; a rater grades each (ratee, item) at most once.

int32_t RatingsBuilder::ItemOf(std::string_view name) {
  if (name.empty()) return -1;
  if (items_.size() == 0 && options_.items)
    for (const std::string& known : *options_.items) items_.Add(known);
  const int64_t id = items_.Find(name);
  if (id >= 0) return static_cast<int32_t>(id);
  if (options_.items) {
    FailColumn(Column::kItem, fmt::format("found {}; expected one of the items {} or an empty "
                                          "cell (the overall grade)",
                                          Quote(name), fmt::join(*options_.items, ", ")));
  }
  if (!IsValidUtf8(name))
    FailColumn(Column::kItem, fmt::format("found {}; expected UTF-8 text", Quote(name)));
  if (name == kOverallItem) {
    FailColumn(Column::kItem,
               "found \"overall\", which names the overall grade; leave the cell empty for it");
  }
  if (items_.size() >= 64) FailColumn(Column::kItem, "found more than 64 items; the limit is 64");
  return static_cast<int32_t>(items_.Add(name));
}

void RatingsBuilder::SplitItemRows() {
  size_t kept = 0;
  for (size_t i = 0; i < row_rater_.size(); ++i) {
    if (row_item_[i] < 0) {
      row_rater_[kept] = row_rater_[i];
      row_ratee_[kept] = row_ratee_[i];
      row_grade_[kept] = row_grade_[i];
      row_line_[kept] = row_line_[i];
      if (has_weight_) row_weight_[kept] = row_weight_[i];
      ++kept;
      continue;
    }
    item_rows_.rater.push_back(row_rater_[i]);
    item_rows_.ratee.push_back(row_ratee_[i]);
    item_rows_.item.push_back(static_cast<uint32_t>(row_item_[i]));
    item_rows_.grade.push_back(row_grade_[i]);
    item_rows_.line.push_back(row_line_[i]);
    if (has_weight_) item_rows_.weight.push_back(row_weight_[i]);
  }
  for (auto* v : {&row_rater_, &row_ratee_}) v->resize(kept);
  row_grade_.resize(kept);
  row_line_.resize(kept);
  if (has_weight_) row_weight_.resize(kept);
}

void RatingsBuilder::BuildItems(RatingBallots& b) {
  const ItemRows& r = item_rows_;
  const uint64_t G = groups_.size(), n = ratees_.size(), I = items_.size();
  if (I == 0) return;  // an `item` column with only overall grades
  const size_t num_slots = I * n * G, rows = r.rater.size();
  std::vector<uint64_t> slot_of(rows);
  b.item_slot_begin.assign(num_slots + 1, 0);
  for (size_t i = 0; i < rows; ++i) {
    slot_of[i] = (r.item[i] * n + r.ratee[i]) * G + b.rater_group[r.rater[i]];
    ++b.item_slot_begin[slot_of[i] + 1];
  }
  for (size_t s = 0; s < num_slots; ++s) b.item_slot_begin[s + 1] += b.item_slot_begin[s];
  std::vector<uint64_t> next(b.item_slot_begin.begin(), b.item_slot_begin.end() - 1);
  b.item_ballot.resize(rows);
  if (has_weight_) b.item_weight.resize(rows);
  std::vector<size_t> row_at(rows);
  for (size_t i = 0; i < rows; ++i) {
    const uint64_t at = next[slot_of[i]]++;
    row_at[at] = i;
    b.item_ballot[at] = PackBallot(r.rater[i], r.grade[i]);
    if (has_weight_) b.item_weight[at] = r.weight[i];
  }
  // A repeated (rater, ratee, item) lies within one slot.
  const auto [best_first, best_second] =
      FirstRepeat(b.item_slot_begin, b.item_ballot, b.num_raters, row_at);
  if (best_second != SIZE_MAX) {
    Fail(r.line[best_second],
         fmt::format("rater {} grades item {} of ratee {} again (first on line {}); a rater "
                     "grades each item of a ratee at most once",
                     Quote(raters_.Name(r.rater[best_second])),
                     Quote(items_.Name(r.item[best_second])),
                     Quote(ratees_.Name(r.ratee[best_second])), r.line[best_first]));
  }
  b.item_names = items_.TakeNames();
}

// --- Scales -----------------------------------------------------------------
// The optional `scale` column: an empty cell is the main scale, a name a
// scale of the row's group's own; a group grades on one scale. The number of
// grades of a named scale is its largest grade + 1; `levels` becomes the
// largest of all scales'.

int RatingsBuilder::ScaleOf(uint32_t group, std::string_view name) {
  int scale = -1;
  if (!name.empty()) {
    const bool known = scales_.Find(name) >= 0;
    scale = static_cast<int>(IdOf(scales_, Column::kScale, name));
    if (!known) scale_max_.push_back(-1);
  }
  if (group >= group_scale_.size()) {
    group_scale_.resize(group + 1, -2);
    group_scale_line_.resize(group + 1, 0);
  }
  if (group_scale_[group] == -2) {
    group_scale_[group] = scale;
    group_scale_line_[group] = record_line_;
  } else if (group_scale_[group] != scale) {
    const auto shown = [&](int sc) {
      return sc < 0 ? std::string("the main scale (empty cell)")
                    : Quote(scales_.Name(static_cast<uint32_t>(sc)));
    };
    FailColumn(Column::kScale,
               fmt::format("group {} grades on {} here but on {} on line {}; a group grades on "
                           "one scale",
                           Quote(groups_.Name(group)), shown(scale), shown(group_scale_[group]),
                           group_scale_line_[group]));
  }
  return scale;
}

void RatingsBuilder::BuildScales(RatingBallots& b) {
  b.main_levels = b.levels;
  for (size_t sc = 0; sc < scales_.size(); ++sc) {
    if (scale_max_[sc] < 0)
      throw InputError(Location(file_) +
                       fmt::format("scale {} has no graded ballot, so its number of grades is "
                                   "unknown; expected at least one grade on it",
                                   Quote(scales_.Name(static_cast<uint32_t>(sc)))));
    BallotScale scale;
    scale.name = std::string(scales_.Name(static_cast<uint32_t>(sc)));
    scale.levels = scale_max_[sc] + 1;
    b.levels = std::max(b.levels, scale.levels);
    b.scales.push_back(std::move(scale));
  }
  b.group_scale.assign(group_scale_.begin(), group_scale_.end());
  b.group_scale.resize(groups_.size(), -1);
}

// ---------------------------------------------------------------------------
}  // namespace

void ParseCsvRecords(std::string_view text, const std::string& file_name,
                     const CsvRecordCallback& on_record) {
  CsvRecordReader(file_name, on_record).Parse(text);
}

namespace {

// The records of a table from byte `from` of `file` on, where line `line`
// begins, the exact way: the header first (when `width` is 0), then rows of
// `width` fields. A table is read once, front to back: the pages behind
// leave memory and the page cache (a run's evaluees.csv is gigabytes).
void ReadTableExactly(const MappedFile& file, size_t from, long line, size_t width,
                      const CsvRecordCallback& on_header, const CsvRecordCallback& on_row) {
  bool header = width == 0;
  CsvRecordReader reader(file.Name(), [&](long at, std::span<const std::string_view> fields) {
    if (header) {
      header = false;
      width = fields.size();
      on_header(at, fields);
      return;
    }
    if (fields.size() != width)
      throw InputError(fmt::format("{}{} field(s); expected {} as in the header",
                                   Location(file.Name(), at), fields.size(), width));
    on_row(at, fields);
  });
  size_t evicted = from;
  reader.OnConsumed([&](const char* at) {
    const size_t upto = static_cast<size_t>(at - file.Text().data());
    file.Evict(evicted, upto - evicted);
    evicted = upto;
  });
  reader.Parse(file.Text().substr(from), line);
  if (header) throw InputError(fmt::format("{}: empty file (expected a header)", file.Name()));
}

// The header's fields when it is the first line, ended by LF, of a text
// without CR (else false: the exact reader reads the table), and where the
// data begin.
bool HeaderOnLine1(std::string_view text, std::vector<std::string>* fields, size_t* data) {
  const size_t bom = text.size() - WithoutBom(text).size();
  if (!ReadHeader(text.substr(bom), fields, data)) return false;
  *data += bom;
  const std::string_view line = text.substr(bom, *data - bom);
  return !line.empty() && line.back() == '\n' && line.find_first_of("\r\n") == line.size() - 1;
}

}  // namespace

void ReadCsvTable(const std::filesystem::path& path, const CsvRecordCallback& on_header,
                  const CsvRecordCallback& on_row) {
  ReadTableExactly(MappedFile(path), 0, 1, 0, on_header, on_row);
}

void ReadCsvColumns(const std::filesystem::path& path, const std::vector<std::string>& columns,
                    const CsvColumnsCallback& on_row) {
  const MappedFile file(path);
  std::vector<size_t> index;
  std::vector<std::string_view> row(columns.size());
  const auto on_header = [&](long line, std::span<const std::string_view> fields) {
    for (const std::string& c : columns) {
      const auto it = std::find(fields.begin(), fields.end(), c);
      if (it == fields.end())
        throw InputError(
            fmt::format("{}missing column '{}' in the header", Location(file.Name(), line), c));
      index.push_back(static_cast<size_t>(it - fields.begin()));
    }
  };
  const auto on_fields = [&](long line, std::span<const std::string_view> fields) {
    for (size_t i = 0; i < columns.size(); ++i) row[i] = fields[index[i]];
    on_row(line, row);
  };
  // The fast way first: windows of records tokenised on every core, up to
  // anything it leaves to the exact reader.
  std::vector<std::string> header;
  size_t data = 0;
  if (!HeaderOnLine1(file.Text(), &header, &data))
    return ReadTableExactly(file, 0, 1, 0, on_header, on_fields);
  on_header(1, std::vector<std::string_view>(header.begin(), header.end()));
  size_t evicted = 0;
  const WindowsStop stop =
      ReadColumnsInWindows(file.Text(), data, 2, header.size(), index, on_row, [&](size_t upto) {
        file.Evict(evicted, upto - evicted);
        evicted = upto;
      });
  if (!stop.done) ReadTableExactly(file, stop.offset, stop.line, header.size(), {}, on_fields);
}

namespace {

// Readers for the pairwise and indicators CSV files, on CsvRecordReader like
// the ratings reader.

std::string HeaderText(std::span<const std::string_view> fields) {
  std::vector<std::string> shown;
  for (const std::string_view name : fields) shown.push_back(Escape(name));
  return fmt::format("{}", fmt::join(shown, ","));
}

// A name cell (ratee, unit): non-empty UTF-8. `what` names the column.
void CheckName(const std::string& file, long line, std::string_view what, std::string_view name) {
  if (name.empty()) {
    throw InputError(Location(file, line) +
                     fmt::format("column {}: found an empty cell; expected a name", what));
  }
  if (!IsValidUtf8(name)) {
    throw InputError(Location(file, line) +
                     fmt::format("column {}: found {}; expected UTF-8 text", what, Quote(name)));
  }
}

// Turns the records of CsvRecordReader into PairwiseBallots.
class PairwiseBuilder {
 public:
  explicit PairwiseBuilder(const std::string& file) : file_(file) {}
  PairwiseBallots Parse(std::string_view text);

 private:
  enum { kWinner, kLoser, kWeight, kNumColumns };
  static constexpr std::string_view kNames[] = {"winner", "loser", "weight"};

  [[noreturn]] void Fail(long line, const std::string& message) const {
    throw InputError(Location(file_, line) + message);
  }
  void Header(long line, std::span<const std::string_view> fields);
  void Row(long line, std::span<const std::string_view> fields);
  float Weight(long line, std::string_view f) const;

  const std::string& file_;
  bool have_header_ = false;
  std::string header_text_;
  std::vector<int> role_;  // of each column
  IdTable ratees_;
  PairwiseBallots b_;
};

void PairwiseBuilder::Header(long line, std::span<const std::string_view> fields) {
  header_text_ = HeaderText(fields);
  bool seen[kNumColumns] = {};
  for (const std::string_view name : fields) {
    int found = -1;
    for (int c = 0; c < kNumColumns; ++c)
      if (name == kNames[c]) found = c;
    if (found < 0) {
      Fail(line, fmt::format("unknown column {}; expected a header with winner, loser and "
                             "optionally weight (the header found: {})",
                             QuoteName(name), header_text_));
    }
    if (seen[found]) {
      Fail(line, fmt::format("duplicate column {} (the header found: {})", QuoteName(name),
                             header_text_));
    }
    seen[found] = true;
    role_.push_back(found);
  }
  for (int c : {kWinner, kLoser}) {
    if (!seen[c]) {
      Fail(line, fmt::format("missing column '{}'; the header found: {}", kNames[c], header_text_));
    }
  }
  have_header_ = true;
}

float PairwiseBuilder::Weight(long line, std::string_view f) const {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
  if (ec != std::errc() || end != f.data() + f.size() || !std::isfinite(value) || value < 0.0 ||
      value > FLT_MAX) {
    Fail(line, fmt::format("column 'weight': found {}; expected a finite number >= 0", Quote(f)));
  }
  return value == 0.0 ? 0.0f : static_cast<float>(value);
}

void PairwiseBuilder::Row(long line, std::span<const std::string_view> fields) {
  if (fields.size() != role_.size()) {
    Fail(line, fmt::format("found {} field{}; expected {} as in the header ({})", fields.size(),
                           fields.size() == 1 ? "" : "s", role_.size(), header_text_));
  }
  uint32_t id[2] = {0, 0};
  float weight = 1.0f;
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string_view f = fields[i];
    if (role_[i] == kWeight) {
      if (f.empty()) continue;
      weight = Weight(line, f);
      continue;
    }
    int64_t found = ratees_.Find(f);
    if (found < 0) {
      CheckName(file_, line, fmt::format("'{}'", kNames[role_[i]]), f);
      found = ratees_.Add(f);
    }
    id[role_[i]] = static_cast<uint32_t>(found);
  }
  if (id[kWinner] == id[kLoser]) {
    Fail(line, fmt::format("winner and loser are both {}; a ratee is not compared with itself",
                           Quote(ratees_.Name(id[kWinner]))));
  }
  b_.seq_winner.push_back(id[kWinner]);
  b_.seq_loser.push_back(id[kLoser]);
  b_.seq_weight.push_back(weight);
}

PairwiseBallots PairwiseBuilder::Parse(std::string_view text) {
  CsvRecordReader(file_, [&](long line, std::span<const std::string_view> fields) {
    if (have_header_) {
      Row(line, fields);
    } else {
      Header(line, fields);
    }
  }).Parse(text);
  if (!have_header_) {
    throw InputError(Location(file_) + "empty file; expected a header line winner,loser[,weight]");
  }
  if (b_.seq_winner.empty()) {
    throw InputError(Location(file_) +
                     "no comparison rows after the header; expected at least one");
  }
  b_.ratee_names = ratees_.TakeNames();
  AggregatePairwise(&b_);
#ifndef NDEBUG
  b_.CheckInvariants();
#endif
  return std::move(b_);
}

PairwiseBallots ParsePairwise(std::string_view text, const std::string& file) {
  return PairwiseBuilder(file).Parse(text);
}

// Turns the records of CsvRecordReader into an IndicatorTable.
class IndicatorsBuilder {
 public:
  explicit IndicatorsBuilder(const std::string& file) : file_(file) {}
  IndicatorTable Parse(std::string_view text);

 private:
  [[noreturn]] void Fail(long line, const std::string& message) const {
    throw InputError(Location(file_, line) + message);
  }
  void Header(long line, std::span<const std::string_view> fields);
  void CheckIndicatorName(long line, std::span<const std::string_view> fields, size_t i) const;
  void Row(long line, std::span<const std::string_view> fields);
  IndicatorTable Build();

  const std::string& file_;
  bool have_header_ = false;
  std::string header_text_;
  std::vector<std::string> indicators_;
  IdTable units_;
  std::vector<long> unit_line_;
  std::vector<double> values_;  // row by row
};

void IndicatorsBuilder::Header(long line, std::span<const std::string_view> fields) {
  header_text_ = HeaderText(fields);
  if (fields[0] != "unit") {
    Fail(line, fmt::format("the first column is {}; expected 'unit' and then one column per "
                           "indicator (the header found: {})",
                           QuoteName(fields[0]), header_text_));
  }
  if (fields.size() < 2) {
    Fail(line, "no indicator columns; expected 'unit' and then one column per indicator");
  }
  for (size_t i = 1; i < fields.size(); ++i) CheckIndicatorName(line, fields, i);
  indicators_.assign(fields.begin() + 1, fields.end());
  have_header_ = true;
}

// Header column `i` (0-based, >= 1): a new, non-empty UTF-8 name.
void IndicatorsBuilder::CheckIndicatorName(long line, std::span<const std::string_view> fields,
                                           size_t i) const {
  const std::string_view name = fields[i];
  if (name.empty()) {
    Fail(line, fmt::format("column {} has an empty name; expected an indicator name (the "
                           "header found: {})",
                           i + 1, header_text_));
  }
  if (!IsValidUtf8(name)) {
    Fail(line, fmt::format("column {}: found {}; expected an indicator name in UTF-8", i + 1,
                           Quote(name)));
  }
  for (size_t k = 0; k < i; ++k) {
    if (fields[k] == name) {
      Fail(line, fmt::format("duplicate column {} (columns {} and {}; the header found: {})",
                             QuoteName(name), k + 1, i + 1, header_text_));
    }
  }
}

void IndicatorsBuilder::Row(long line, std::span<const std::string_view> fields) {
  if (fields.size() != indicators_.size() + 1) {
    Fail(line, fmt::format("found {} field{}; expected {} as in the header ({})", fields.size(),
                           fields.size() == 1 ? "" : "s", indicators_.size() + 1, header_text_));
  }
  const std::string_view unit = fields[0];
  if (const int64_t seen = units_.Find(unit); seen >= 0) {
    Fail(line, fmt::format("unit {} appears again (first on line {}); expected one row per unit",
                           Quote(unit), unit_line_[seen]));
  }
  CheckName(file_, line, "'unit'", unit);
  units_.Add(unit);
  unit_line_.push_back(line);
  for (size_t i = 1; i < fields.size(); ++i) {
    const std::string_view f = fields[i];
    if (f.empty()) {
      values_.push_back(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    double value = 0.0;
    const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
    if (ec != std::errc() || end != f.data() + f.size() || !std::isfinite(value)) {
      Fail(line, fmt::format("column {} (indicator {}), unit {}: found {}; expected a decimal "
                             "number, or an empty cell for a missing value",
                             i + 1, QuoteName(indicators_[i - 1]), Quote(unit), Quote(f)));
    }
    values_.push_back(value == 0.0 ? 0.0 : value);  // no -0
  }
}

IndicatorTable IndicatorsBuilder::Build() {
  IndicatorTable t;
  const Eigen::Index n = static_cast<Eigen::Index>(units_.size());
  const Eigen::Index m = static_cast<Eigen::Index>(indicators_.size());
  t.values =
      Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          values_.data(), n, m);
  t.ratee_names = units_.TakeNames();
  t.names = std::move(indicators_);
  t.cost.assign(t.names.size(), false);
  return t;
}

IndicatorTable IndicatorsBuilder::Parse(std::string_view text) {
  CsvRecordReader(file_, [&](long line, std::span<const std::string_view> fields) {
    if (have_header_) {
      Row(line, fields);
    } else {
      Header(line, fields);
    }
  }).Parse(text);
  if (!have_header_) {
    throw InputError(Location(file_) +
                     "empty file; expected a header line unit,<indicator>,<indicator>...");
  }
  if (units_.size() == 0) {
    throw InputError(Location(file_) + "no unit rows after the header; expected at least one");
  }
  return Build();
}

IndicatorTable ParseIndicators(std::string_view text, const std::string& file) {
  return IndicatorsBuilder(file).Parse(text);
}

// A file to read: mapped when it is a regular file (ReadFile otherwise, a
// pipe for instance, and for its messages when it cannot be opened), with
// the progress line and the release of the pages already parsed.
class InputFile {
 public:
  explicit InputFile(const std::string& path) {
    if (IsRegularFile(path)) {
      mapped_.emplace(path);
      text_ = mapped_->Text();
    } else {
      copy_ = ReadFile(path);
      text_ = copy_;
    }
    if (text_.size() >= kProgressBytes && StderrIsTerminal())
      progress_.emplace(fmt::format("reading {} (MiB)", path),
                        static_cast<long>(text_.size() >> 20), true);
  }
  std::string_view Text() const { return text_; }
  ChunkOptions Chunking() {
    ChunkOptions o;
    if (progress_) {
      o.on_bytes = [this](size_t bytes) {
        const size_t before = bytes_.fetch_add(bytes);
        progress_->Advance(static_cast<long>(((before + bytes) >> 20) - (before >> 20)));
      };
    }
    if (mapped_) o.release = [this](size_t offset, size_t size) { mapped_->Release(offset, size); };
    return o;
  }

 private:
  static constexpr size_t kProgressBytes = size_t{64} << 20;
  std::optional<MappedFile> mapped_;
  std::string copy_;
  std::string_view text_;
  std::optional<Progress> progress_;
  std::atomic<size_t> bytes_{0};
};

ChunkOptions ChunkingOf(const CsvReading& reading) {
  ChunkOptions o;
  o.chunk_bytes = reading.chunk_bytes;
  return o;
}

}  // namespace

RatingBallots ParseRatingsCsv(std::string_view text, const std::string& file_name,
                              const RatingsReadOptions& options, const CsvReading& reading) {
  if (reading.fast) {
    if (std::optional<RatingBallots> b = FastRatings(text, options, ChunkingOf(reading))) return *b;
  }
  RatingsBuilder builder(file_name, options);
  return builder.Parse(text);
}

RatingBallots ReadRatingsCsv(const std::string& path, const RatingsReadOptions& options) {
  InputFile file(path);
  if (std::optional<RatingBallots> b = FastRatings(file.Text(), options, file.Chunking()))
    return *b;
  return ParseRatingsCsv(file.Text(), path, options, {.fast = false});
}

PairwiseBallots ParsePairwiseCsv(std::string_view text, const std::string& file_name,
                                 const CsvReading& reading) {
  if (reading.fast) {
    if (std::optional<PairwiseBallots> b = FastPairwise(text, ChunkingOf(reading))) return *b;
  }
  return ParsePairwise(text, file_name);
}

PairwiseBallots ReadPairwiseCsv(const std::string& path) {
  InputFile file(path);
  if (std::optional<PairwiseBallots> b = FastPairwise(file.Text(), file.Chunking())) return *b;
  return ParsePairwise(file.Text(), path);
}

IndicatorTable ParseIndicatorsCsv(std::string_view text, const std::string& file_name,
                                  const CsvReading& reading) {
  if (reading.fast) {
    if (std::optional<IndicatorTable> t = FastIndicators(text, ChunkingOf(reading))) return *t;
  }
  return ParseIndicators(text, file_name);
}

IndicatorTable ReadIndicatorsCsv(const std::string& path) {
  InputFile file(path);
  if (std::optional<IndicatorTable> t = FastIndicators(file.Text(), file.Chunking())) return *t;
  return ParseIndicators(file.Text(), path);
}

}  // namespace evalsim
