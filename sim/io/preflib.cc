// Reader for PrefLib ordinal files. The rules, beyond PrefLib's own format
// description (https://www.preflib.org/format, "Ordinal Preferences"):
//
//   - The format is told by the first non-blank line: "#" starts the current
//     one ("# KEY: value" header lines, then "count: order" lines), anything
//     else the older numeric one (m; m lines "id,name"; one line
//     "voters,sum of counts,unique orders"; then "count,order" lines).
//   - An order is a comma-separated list of alternative ids (1-based in the
//     file, 0-based candidates in the result), best first; "{a,b}" is one
//     tier of tied alternatives. Spaces and tabs around tokens are ignored.
//     Alternatives an order leaves out are unranked (below every listed one).
//   - Counts are integers >= 1. Identical orders are merged (RankingBuilder).
//   - The file's type (soc, soi, toc or toi) is the "# DATA TYPE" header's,
//     or else the file name's extension; when neither gives one no check is
//     made (as for toi). Strict types (soc, soi) may not hold ties, and
//     complete types (soc, toc) must list every alternative in every order.
//   - Header totals are checked, and a mismatch is an error, because it means
//     a damaged or truncated file: NUMBER VOTERS (old format: the second
//     number, the sum of counts) must equal the sum of the counts, and
//     NUMBER UNIQUE ORDERS (old: the third number) the number of order lines.
//     The old format's first number (voters) is not checked.
//   - Every alternative needs a name ("# ALTERNATIVE NAME i: name", or the
//     old "i,name" line); names are trimmed of surrounding blanks. Other
//     header keys are ignored, as are "#" lines without a colon (comments).
//     Header lines after the first order line are an error.
//   - Blank lines are skipped; LF, CRLF or lone CR line ends and a UTF-8
//     byte-order mark are accepted.
// Errors are InputError "file:line:col: what was found; what was expected".
#include "sim/io/preflib.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "sim/core/errors.h"
#include "sim/core/text.h"
#include "sim/io/files.h"

namespace evalsim {
namespace {

constexpr uint64_t kMaxAlternatives = 10'000'000;
constexpr uint64_t kMaxCountSum = uint64_t{1} << 53;  // counts are summed in double

enum class DataType { kUnknown, kSoc, kSoi, kToc, kToi };

std::optional<DataType> TypeFromName(std::string_view s) {
  if (s == "soc") return DataType::kSoc;
  if (s == "soi") return DataType::kSoi;
  if (s == "toc") return DataType::kToc;
  if (s == "toi") return DataType::kToi;
  return std::nullopt;
}

const char* TypeName(DataType t) {
  switch (t) {
    case DataType::kSoc:
      return "soc";
    case DataType::kSoi:
      return "soi";
    case DataType::kToc:
      return "toc";
    case DataType::kToi:
      return "toi";
    case DataType::kUnknown:
      break;
  }
  return "unknown";
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string Shown(std::string_view s) { return ShownInMessage(s); }

struct Line {
  std::string_view text;  // without the terminator
  long number = 0;        // 1-based physical line
};

class PreflibParser {
 public:
  PreflibParser(std::string_view text, const std::string& file) : file_(file) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    long number = 1;
    for (size_t pos = 0; pos < text.size(); ++number) {
      size_t end = text.find_first_of("\r\n", pos);
      const size_t stop = end == std::string_view::npos ? text.size() : end;
      lines_.push_back({text.substr(pos, stop - pos), number});
      if (end == std::string_view::npos) break;
      pos = end + ((text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1);
    }
    const size_t dot = file.rfind('.');
    const size_t slash = file.find_last_of("/\\");
    if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) {
      if (auto t = TypeFromName(ToLower(std::string_view(file).substr(dot + 1)))) type_ = *t;
    }
  }

  RankingBallots Parse();

 private:
  [[noreturn]] void Fail(const Line& line, size_t offset, const std::string& message) const;
  [[noreturn]] void FailLine(long line, const std::string& message) const {
    throw InputError(Location(file_, line) + message);
  }

  // The next non-blank line, or nullptr at the end.
  const Line* Next() {
    while (next_ < lines_.size()) {
      const Line& l = lines_[next_++];
      if (!Trim(l.text).empty()) return &l;
    }
    return nullptr;
  }

  void ParseCurrentHeader();
  void ParseOldHeader(const Line& first);
  void ParseOrders(bool old_format);
  // Reads an unsigned integer starting at `pos` (blanks first skipped);
  // nullopt when there are no digits. Overflow is an error naming `what`.
  std::optional<uint64_t> Integer(const Line& l, size_t* pos, const char* what);
  uint64_t HeaderInteger(const Line& l, std::string_view value, size_t value_offset,
                         std::string_view key, uint64_t min);
  // One order line from `pos`: its alternatives into cand_ and tier_.
  void ParseOrder(const Line& l, size_t pos);
  // One alternative id of an order at `*pos`, in tier `tier`; blanks around
  // it skipped.
  void ParseAlternative(const Line& l, size_t* pos, uint32_t tier, bool in_tie);
  // A tie '{a,b,...}' at `*pos`, all in tier `tier`; blanks after it skipped.
  void ParseTie(const Line& l, size_t* pos, uint32_t tier);
  static void SkipBlanks(const Line& l, size_t* pos);
  void SetAlternatives(const Line& l, size_t offset, uint64_t m);
  void SetName(const Line& l, size_t offset, uint64_t id, std::string_view name);
  RankingBallots Finish();

  const std::string& file_;
  std::vector<Line> lines_;
  size_t next_ = 0;
  DataType type_ = DataType::kUnknown;

  uint64_t m_ = 0;
  long m_line_ = 0;
  std::vector<std::string> names_;
  std::vector<long> name_line_;  // 0 = no name yet
  std::optional<uint64_t> header_voters_, header_orders_;
  long voters_line_ = 0, orders_line_ = 0;

  std::optional<RankingBuilder> builder_;
  uint64_t num_order_lines_ = 0, count_sum_ = 0;
  std::vector<uint32_t> cand_, tier_;
  std::vector<size_t> listed_at_;  // offset of each alternative in this order, or SIZE_MAX
};

void PreflibParser::Fail(const Line& line, size_t offset, const std::string& message) const {
  long column = 1;
  for (size_t i = 0; i < offset && i < line.text.size(); ++i)
    if ((static_cast<unsigned char>(line.text[i]) & 0xC0) != 0x80) ++column;
  throw InputError(Location(file_, line.number, column) + message);
}

std::optional<uint64_t> PreflibParser::Integer(const Line& l, size_t* pos, const char* what) {
  std::string_view t = l.text;
  while (*pos < t.size() && IsBlank(t[*pos])) ++*pos;
  const size_t start = *pos;
  uint64_t value = 0;
  while (*pos < t.size() && t[*pos] >= '0' && t[*pos] <= '9') {
    const uint64_t digit = static_cast<uint64_t>(t[*pos] - '0');
    if (value > (UINT64_MAX - digit) / 10) {
      Fail(l, start, fmt::format("{} is too large; found {}", what, Shown(t.substr(start))));
    }
    value = value * 10 + digit;
    ++*pos;
  }
  if (*pos == start) return std::nullopt;
  return value;
}

uint64_t PreflibParser::HeaderInteger(const Line& l, std::string_view value, size_t value_offset,
                                      std::string_view key, uint64_t min) {
  size_t pos = value_offset;
  const auto v = Integer(l, &pos, "the value");
  if (!v || !Trim(l.text.substr(pos)).empty() || *v < min) {
    Fail(l, value_offset,
         fmt::format("{}: found {}; expected an integer >= {}", key, Shown(value), min));
  }
  return *v;
}

void PreflibParser::SetAlternatives(const Line& l, size_t offset, uint64_t m) {
  if (m > kMaxAlternatives) {
    Fail(l, offset,
         fmt::format("{} alternatives is more than this reader takes ({})", m, kMaxAlternatives));
  }
  // Every alternative is named on a line of its own, so a file of fewer
  // lines is damaged; saying so here also keeps a short file from
  // allocating names for millions of alternatives.
  if (m > lines_.size()) {
    Fail(l, offset,
         fmt::format("{} alternatives, but the file has only {} line{}; every alternative needs "
                     "a name line",
                     m, lines_.size(), lines_.size() == 1 ? "" : "s"));
  }
  m_ = m;
  m_line_ = l.number;
}

void PreflibParser::SetName(const Line& l, size_t offset, uint64_t id, std::string_view name) {
  if (id < 1 || id > m_) {
    Fail(l, offset,
         fmt::format("unknown alternative {}; expected an id in 1..{} (NUMBER ALTERNATIVES on "
                     "line {})",
                     id, m_, m_line_));
  }
  if (name_line_[id - 1] != 0) {
    Fail(l, offset,
         fmt::format("alternative {} is named twice (first on line {})", id, name_line_[id - 1]));
  }
  const std::string_view trimmed = Trim(name);
  const size_t name_offset =
      trimmed.empty() ? offset : static_cast<size_t>(trimmed.data() - l.text.data());
  if (trimmed.empty()) {
    Fail(l, name_offset,
         fmt::format("alternative {} has an empty name; expected a name after the ':'", id));
  }
  if (const size_t bad = InvalidUtf8At(trimmed); bad != std::string_view::npos) {
    Fail(l, name_offset + bad,
         fmt::format("the name of alternative {} is {}; expected UTF-8 text", id, Shown(trimmed)));
  }
  names_[id - 1] = std::string(trimmed);
  name_line_[id - 1] = l.number;
}

void PreflibParser::ParseCurrentHeader() {
  // Names may come before NUMBER ALTERNATIVES; they are kept until it is known.
  struct PendingName {
    const Line* line;
    size_t offset;
    uint64_t id;
    std::string_view name;
  };
  std::vector<PendingName> pending;
  while (next_ < lines_.size()) {
    const Line& l = lines_[next_];
    const std::string_view trimmed = Trim(l.text);
    if (trimmed.empty()) {
      ++next_;
      continue;
    }
    if (trimmed.front() != '#') break;
    ++next_;
    const size_t hash = l.text.find('#');
    const size_t colon = l.text.find(':', hash);
    if (colon == std::string_view::npos) continue;  // a comment
    const std::string_view key = Trim(l.text.substr(hash + 1, colon - hash - 1));
    size_t value_offset = colon + 1;
    while (value_offset < l.text.size() && IsBlank(l.text[value_offset])) ++value_offset;
    const std::string_view value = Trim(l.text.substr(colon + 1));
    constexpr std::string_view kNamePrefix = "ALTERNATIVE NAME";
    if (key == "NUMBER ALTERNATIVES") {
      if (m_line_ != 0)
        Fail(l, hash, fmt::format("NUMBER ALTERNATIVES given again (first on line {})", m_line_));
      SetAlternatives(l, value_offset, HeaderInteger(l, value, value_offset, key, 1));
    } else if (key == "NUMBER VOTERS") {
      header_voters_ = HeaderInteger(l, value, value_offset, key, 0);
      voters_line_ = l.number;
    } else if (key == "NUMBER UNIQUE ORDERS") {
      header_orders_ = HeaderInteger(l, value, value_offset, key, 0);
      orders_line_ = l.number;
    } else if (key == "DATA TYPE") {
      const auto t = TypeFromName(ToLower(value));
      if (!t) {
        Fail(l, value_offset,
             fmt::format("DATA TYPE: found {}; expected soc, soi, toc or toi (ordinal "
                         "preferences; other PrefLib data types are not read)",
                         Shown(value)));
      }
      type_ = *t;
    } else if (key.substr(0, kNamePrefix.size()) == kNamePrefix) {
      const size_t id_offset = static_cast<size_t>(key.data() - l.text.data()) + kNamePrefix.size();
      size_t pos = id_offset;
      const auto id = Integer(l, &pos, "the alternative id");
      if (!id || pos != static_cast<size_t>(key.data() + key.size() - l.text.data())) {
        Fail(l, id_offset,
             fmt::format("found {}; expected '# ALTERNATIVE NAME <id>: <name>'", Shown(l.text)));
      }
      pending.push_back({&l, id_offset, *id, value});
    }
  }
  if (m_line_ == 0) {
    const Line* at = next_ < lines_.size() ? &lines_[next_] : nullptr;
    const std::string message =
        "missing '# NUMBER ALTERNATIVES: m' header line; expected it before the orders";
    if (at) Fail(*at, 0, message);
    throw InputError(Location(file_) + message);
  }
  names_.assign(m_, std::string());
  name_line_.assign(m_, 0);
  for (const PendingName& p : pending) SetName(*p.line, p.offset, p.id, p.name);
  for (uint64_t a = 0; a < m_; ++a) {
    if (name_line_[a] == 0) {
      FailLine(m_line_, fmt::format("NUMBER ALTERNATIVES is {}, but alternative {} has no "
                                    "'# ALTERNATIVE NAME {}: ...' line",
                                    m_, a + 1, a + 1));
    }
  }
}

void PreflibParser::ParseOldHeader(const Line& first) {
  size_t pos = 0;
  const auto m = Integer(first, &pos, "the number of alternatives");
  if (!m || *m < 1 || !Trim(first.text.substr(pos)).empty()) {
    Fail(first, 0,
         fmt::format("found {}; expected a '# KEY: value' header line (current PrefLib format) "
                     "or the number of alternatives, an integer >= 1 (older format)",
                     Shown(first.text)));
  }
  SetAlternatives(first, 0, *m);
  names_.assign(m_, std::string());
  name_line_.assign(m_, 0);
  for (uint64_t k = 0; k < m_; ++k) {
    const Line* l = Next();
    if (!l) {
      throw InputError(Location(file_) + fmt::format("the file ends after {} of the {} "
                                                     "alternative lines 'id,name'",
                                                     k, m_));
    }
    pos = 0;
    const auto id = Integer(*l, &pos, "the alternative id");
    while (pos < l->text.size() && IsBlank(l->text[pos])) ++pos;
    if (!id || pos >= l->text.size() || l->text[pos] != ',') {
      Fail(*l, 0,
           fmt::format("found {}; expected 'id,name' for alternative {} of {}", Shown(l->text),
                       k + 1, m_));
    }
    SetName(*l, 0, *id, l->text.substr(pos + 1));
  }
  const Line* l = Next();
  if (!l) {
    throw InputError(Location(file_) +
                     "the file ends after the alternatives; expected a line "
                     "'voters,sum of counts,unique orders'");
  }
  uint64_t v[3];
  pos = 0;
  for (int k = 0; k < 3; ++k) {
    const auto x = Integer(*l, &pos, "the number");
    while (pos < l->text.size() && IsBlank(l->text[pos])) ++pos;
    const bool sep_ok =
        k < 2 ? (pos < l->text.size() && l->text[pos] == ',') : Trim(l->text.substr(pos)).empty();
    if (!x || !sep_ok) {
      Fail(*l, 0,
           fmt::format("found {}; expected 'voters,sum of counts,unique orders' (three "
                       "integers) after the {} alternative lines",
                       Shown(l->text), m_));
    }
    v[k] = *x;
    ++pos;
  }
  header_voters_ = v[1];
  header_orders_ = v[2];
  voters_line_ = orders_line_ = l->number;
}

void PreflibParser::SkipBlanks(const Line& l, size_t* pos) {
  while (*pos < l.text.size() && IsBlank(l.text[*pos])) ++*pos;
}

void PreflibParser::ParseAlternative(const Line& l, size_t* pos, uint32_t tier, bool in_tie) {
  const std::string_view t = l.text;
  SkipBlanks(l, pos);
  const size_t at = *pos;
  const auto id = Integer(l, pos, "the alternative id");
  if (!id) {
    const bool strict = type_ == DataType::kSoc || type_ == DataType::kSoi;
    if (at < t.size() && t[at] == '{') Fail(l, at, "found '{' inside a tie; ties do not nest");
    Fail(l, at,
         fmt::format("found {}; expected an alternative id 1..{}{}",
                     at < t.size() ? Shown(t.substr(at, 1)) : std::string("the end of the line"),
                     m_, in_tie || strict ? "" : " or '{'"));
  }
  if (*id < 1 || *id > m_) {
    Fail(l, at, fmt::format("unknown alternative {}; expected an id in 1..{}", *id, m_));
  }
  if (listed_at_[*id - 1] != SIZE_MAX) {
    long first_column = 1;
    for (size_t i = 0; i < listed_at_[*id - 1]; ++i)
      if ((static_cast<unsigned char>(t[i]) & 0xC0) != 0x80) ++first_column;
    Fail(l, at,
         fmt::format("alternative {} is listed twice in this order (first at column {}); an "
                     "order lists each alternative at most once",
                     *id, first_column));
  }
  listed_at_[*id - 1] = at;
  cand_.push_back(static_cast<uint32_t>(*id - 1));
  tier_.push_back(tier);
  SkipBlanks(l, pos);
}

void PreflibParser::ParseTie(const Line& l, size_t* pos, uint32_t tier) {
  const std::string_view t = l.text;
  const size_t open = *pos;
  if (type_ == DataType::kSoc || type_ == DataType::kSoi) {
    Fail(l, *pos,
         fmt::format("found a tie '{{'; a .{} file holds strict orders without ties",
                     TypeName(type_)));
  }
  ++*pos;
  SkipBlanks(l, pos);
  if (*pos < t.size() && t[*pos] == '}') Fail(l, *pos, "empty tie '{}'; expected an id");
  for (;;) {
    ParseAlternative(l, pos, tier, true);
    if (*pos < t.size() && t[*pos] == ',') {
      ++*pos;
      continue;
    }
    if (*pos < t.size() && t[*pos] == '}') {
      ++*pos;
      break;
    }
    if (*pos >= t.size()) {
      Fail(l, open, "unbalanced '{': no '}' closes this tie before the end of the line");
    }
    Fail(l, *pos,
         fmt::format("found {}; expected ',' or '}}' inside the tie opened at column {}",
                     Shown(t.substr(*pos, 1)), open + 1));
  }
  SkipBlanks(l, pos);
}

void PreflibParser::ParseOrder(const Line& l, size_t pos) {
  const std::string_view t = l.text;
  for (uint32_t c : cand_) listed_at_[c] = SIZE_MAX;  // the previous order's marks
  cand_.clear();
  tier_.clear();
  const bool complete = type_ == DataType::kSoc || type_ == DataType::kToc;
  SkipBlanks(l, &pos);
  uint32_t tier = 0;
  if (pos < t.size()) {
    for (;;) {
      SkipBlanks(l, &pos);
      if (pos < t.size() && t[pos] == '{') {
        ParseTie(l, &pos, tier);
      } else {
        ParseAlternative(l, &pos, tier, false);
      }
      ++tier;
      if (pos >= t.size()) break;
      if (t[pos] == ',') {
        ++pos;
        continue;
      }
      if (t[pos] == '}') Fail(l, pos, "unbalanced '}': no '{' opened a tie");
      Fail(l, pos,
           fmt::format("found {}; expected ',' or the end of the line", Shown(t.substr(pos, 1))));
    }
  }
  if (complete && cand_.size() != m_) {
    Fail(l, 0,
         fmt::format("the order lists {} of the {} alternatives; a .{} file lists every "
                     "alternative in every order",
                     cand_.size(), m_, TypeName(type_)));
  }
}

void PreflibParser::ParseOrders(bool old_format) {
  listed_at_.assign(m_, SIZE_MAX);
  builder_.emplace(names_);
  while (const Line* l = Next()) {
    const std::string_view t = l->text;
    size_t pos = 0;
    while (pos < t.size() && IsBlank(t[pos])) ++pos;
    if (!old_format && t[pos] == '#') {
      Fail(*l, pos,
           "found a '#' header line after the orders; the '# KEY: value' lines come first");
    }
    const size_t count_at = pos;
    const auto count = Integer(*l, &pos, "the count");
    const char sep = old_format ? ',' : ':';
    while (pos < t.size() && IsBlank(t[pos])) ++pos;
    if (!count || *count < 1 || pos >= t.size() || t[pos] != sep) {
      Fail(*l, count_at,
           fmt::format("malformed count: found {}; expected a line 'count{}order' with an "
                       "integer count >= 1",
                       Shown(t.substr(count_at)), old_format ? "," : ": "));
    }
    ++pos;
    ParseOrder(*l, pos);
    if (*count > kMaxCountSum - count_sum_) {
      Fail(*l, count_at, fmt::format("the counts sum to more than {}", kMaxCountSum));
    }
    count_sum_ += *count;
    ++num_order_lines_;
    builder_->Add(cand_, tier_, static_cast<double>(*count));
  }
}

RankingBallots PreflibParser::Parse() {
  const Line* first = Next();
  if (!first) {
    throw InputError(Location(file_) +
                     "empty file; expected a PrefLib ordinal file (.soc, .soi, .toc or .toi)");
  }
  const bool old_format = Trim(first->text).front() != '#';
  if (old_format) {
    ParseOldHeader(*first);
  } else {
    --next_;
    ParseCurrentHeader();
  }
  ParseOrders(old_format);
  if (header_voters_ && *header_voters_ != count_sum_) {
    FailLine(voters_line_, fmt::format("{} is {}, but the counts of the {} order lines sum to {}",
                                       old_format ? "the sum of counts" : "NUMBER VOTERS",
                                       *header_voters_, num_order_lines_, count_sum_));
  }
  if (header_orders_ && *header_orders_ != num_order_lines_) {
    FailLine(orders_line_,
             fmt::format("{} is {}, but the file has {} order lines",
                         old_format ? "the number of unique orders" : "NUMBER UNIQUE ORDERS",
                         *header_orders_, num_order_lines_));
  }
  RankingBallots r = builder_->Finish();
#ifndef NDEBUG
  r.CheckInvariants();
#endif
  return r;
}

}  // namespace

RankingBallots ParsePreflib(std::string_view text, const std::string& file) {
  if (text.find('\0') != std::string_view::npos) {
    // The line as the parser counts it (LF, CRLF or lone CR ends a line).
    const size_t nul = text.find('\0');
    long line = 1;
    for (size_t i = 0; i < nul; ++i)
      if (text[i] == '\n' || (text[i] == '\r' && text[i + 1] != '\n')) ++line;
    throw InputError(Location(file, line) + "found a NUL byte; expected a text file");
  }
  PreflibParser parser(text, file);
  return parser.Parse();
}

RankingBallots ReadPreflib(const std::string& path) { return ParsePreflib(ReadFile(path), path); }

}  // namespace evalsim
