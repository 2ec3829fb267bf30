// Typed, strict reading of a TOML table: every key read is recorded, every
// value is type- and range-checked, every problem is collected (not just the
// first), and keys nobody read are reported as unknown with the list of valid
// ones. Messages have the shape
//   file:line:col: path.key: what was found; what was expected
#ifndef EVALSIM_SIM_CORE_OPTIONS_H_
#define EVALSIM_SIM_CORE_OPTIONS_H_

#include <toml++/toml.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace evalsim {

// A closed or open interval for numeric checks.
struct Range {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool hi_open = false;
  bool Contains(double v) const;
  std::string Constraint() const;  // "in [0, 1]", ">= 1", ...
  std::string Describe() const;    // "a number in [0, 1]"
};
inline Range Any() { return {}; }
inline Range AtLeast(double lo) { return {lo}; }
inline Range Above(double lo) { return {lo, std::numeric_limits<double>::infinity(), true}; }
inline Range Between(double lo, double hi) { return {lo, hi}; }
inline Range Probability() { return {0.0, 1.0}; }

// The source name of a value parsed from a `--set key=value` argument is
// "--set key=value": messages about it name the flag and its argument.
inline constexpr std::string_view kSetSourcePrefix = "--set ";

// "file:line:col: " for a node (empty parts left out); "--set key=value: "
// for a value that came from the command line.
std::string NodeLocation(const toml::node& node, const std::string& fallback_file);

// A number written as a fraction in a string ("1/3", "2 / 3"): TOML has no
// fractions, and thresholds such as 1/3 and 2/3 are written that way in the
// rules they come from. nullopt for anything else (a number included).
std::optional<double> Fraction(const toml::node& node);

// Human name of a TOML value's type ("string", "integer", ...).
std::string_view TypeName(const toml::node& node);
// The same with its article: "a string", "an integer", "an array".
std::string ATypeName(const toml::node& node);

class OptionReader {
 public:
  // `file` names the source for messages; `path` is the key path of `table`
  // ("models.standard"); keys in `ignored` are accepted without being read.
  // `fallback` (optional) supplies keys the table lacks, e.g. a preset's.
  OptionReader(const toml::table& table, std::string file, std::string path,
               std::set<std::string> ignored = {}, const toml::table* fallback = nullptr);

  bool Has(std::string_view key) const { return Lookup(key) != nullptr; }
  const toml::node* Raw(std::string_view key);  // marks the key as read

  double Double(std::string_view key, double def, Range range = Any());
  int64_t Int(std::string_view key, int64_t def, Range range = Any());
  bool Bool(std::string_view key, bool def);
  std::string String(std::string_view key, std::string def,
                     const std::vector<std::string>& allowed = {});
  std::optional<std::vector<double>> DoubleList(std::string_view key, Range range = Any());
  std::optional<std::vector<int64_t>> IntList(std::string_view key, Range range = Any());
  std::optional<std::vector<std::string>> StringList(std::string_view key);
  // A table of name -> number, in the table's (sorted) key order.
  std::optional<std::vector<std::pair<std::string, double>>> DoubleTable(std::string_view key,
                                                                         Range range = Any());
  // A number or a [min, max] pair of integers.
  std::optional<std::pair<int64_t, int64_t>> IntOrRange(std::string_view key, Range range);

  // Records a problem with `key` (or the table itself when key is empty).
  void Error(std::string_view key, const std::string& message);
  void ErrorAt(const toml::node& node, std::string_view key, const std::string& message);
  // Adopts finished messages of a nested reader (already located).
  void AddErrors(std::vector<std::string> messages);

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  std::string KeyPath(std::string_view key) const;
  const toml::table& table() const { return table_; }

  // Adds unknown-key errors (before the first problem of the table as a
  // whole or of a missing key, which they are a likely cause of; else
  // last) and returns every message collected so far.
  std::vector<std::string> Finish();
  // Finish() and throw InputError when there is any message.
  void FinishOrThrow();

 private:
  const toml::node* Lookup(std::string_view key) const;
  std::optional<double> NumberOf(const toml::node& node, std::string_view key, Range range);

  const toml::table& table_;
  const toml::table* fallback_;
  std::string file_;
  std::string path_;
  std::set<std::string> ignored_;
  std::set<std::string, std::less<>> read_;
  std::vector<std::string> errors_;
  // Index in errors_ of the first problem of the table as a whole or of a
  // missing key (Finish() puts the unknown keys before it).
  static constexpr size_t kNoTableError = static_cast<size_t>(-1);
  size_t first_table_error_ = kNoTableError;
};

// Throws InputError with the messages joined by newlines (no-op when empty).
void ThrowIfErrors(const std::vector<std::string>& errors);

}  // namespace evalsim

#endif  // EVALSIM_SIM_CORE_OPTIONS_H_
