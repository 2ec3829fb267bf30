#include "sim/core/options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/core/errors.h"
#include "sim/core/text.h"

namespace evalsim {

bool Range::Contains(double v) const {
  if (std::isnan(v)) return false;
  if (lo_open ? !(v > lo) : !(v >= lo)) return false;
  if (hi_open ? !(v < hi) : !(v <= hi)) return false;
  return true;
}

std::string Range::Constraint() const {
  const bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
  if (has_lo && has_hi)
    return fmt::format("in {}{}, {}{}", lo_open ? "(" : "[", lo, hi, hi_open ? ")" : "]");
  if (has_lo) return fmt::format("{} {}", lo_open ? ">" : ">=", lo);
  if (has_hi) return fmt::format("{} {}", hi_open ? "<" : "<=", hi);
  return "";
}

std::string Range::Describe() const {
  const std::string c = Constraint();
  return c.empty() ? "a finite number" : "a number " + c;
}

namespace {

// Edit distance (insertions, deletions, substitutions, transpositions of
// neighbours) between two keys, byte by byte.
size_t KeyDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The valid key an unknown one most likely misspells: the only one within
// two edits (one for short keys), else "".
std::string NearestKey(const std::string& key, const std::vector<std::string>& valid) {
  const size_t limit = key.size() <= 4 ? 1 : 2;
  std::string best;
  size_t best_distance = limit + 1;
  bool tie = false;
  for (const auto& v : valid) {
    const size_t d = KeyDistance(key, v);
    if (d < best_distance) {
      best = v;
      best_distance = d;
      tie = false;
    } else if (d == best_distance) {
      tie = true;
    }
  }
  return best_distance <= limit && !tie ? best : std::string();
}

}  // namespace

std::string NodeLocation(const toml::node& node, const std::string& fallback_file) {
  const auto& src = node.source();
  const std::string file = src.path ? *src.path : fallback_file;
  // A value given on the command line is named by its flag and argument
  // ("--set key=value"); the line and column of its one-line parse mean
  // nothing to the user.
  if (file.starts_with(kSetSourcePrefix)) return Location(file);
  return Location(file, static_cast<long>(src.begin.line), static_cast<long>(src.begin.column));
}

std::optional<double> Fraction(const toml::node& node) {
  const auto* s = node.as_string();
  if (!s || s->get().find('/') == std::string::npos) return std::nullopt;
  return ParseAhpJudgement(s->get());
}

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    default:
      return "nothing";
  }
}

std::string ATypeName(const toml::node& node) {
  const std::string_view t = TypeName(node);
  const bool vowel = !t.empty() && std::string_view("aeiou").find(t[0]) != std::string_view::npos;
  return fmt::format("{} {}", vowel ? "an" : "a", t);
}

OptionReader::OptionReader(const toml::table& table, std::string file, std::string path,
                           std::set<std::string> ignored, const toml::table* fallback)
    : table_(table),
      fallback_(fallback),
      file_(std::move(file)),
      path_(std::move(path)),
      ignored_(std::move(ignored)) {}

const toml::node* OptionReader::Lookup(std::string_view key) const {
  if (const toml::node* n = table_.get(key)) return n;
  return fallback_ ? fallback_->get(key) : nullptr;
}

std::string OptionReader::KeyPath(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  if (key.empty()) return path_;
  return fmt::format("{}.{}", path_, key);
}

const toml::node* OptionReader::Raw(std::string_view key) {
  read_.emplace(key);
  return Lookup(key);
}

void OptionReader::Error(std::string_view key, const std::string& message) {
  const toml::node* node = key.empty() ? nullptr : Lookup(key);
  if (node) return ErrorAt(*node, key, message);
  // A problem of the table as a whole or of a missing key: an unknown key
  // of the table is a likely cause, and Finish() reports it before this.
  if (first_table_error_ == kNoTableError) first_table_error_ = errors_.size();
  const std::string path = KeyPath(key);
  errors_.push_back(path.empty()
                        ? fmt::format("{}{}", NodeLocation(table_, file_), message)
                        : fmt::format("{}{}: {}", NodeLocation(table_, file_), path, message));
}

void OptionReader::ErrorAt(const toml::node& node, std::string_view key,
                           const std::string& message) {
  errors_.push_back(fmt::format("{}{}: {}", NodeLocation(node, file_), KeyPath(key), message));
}

void OptionReader::AddErrors(std::vector<std::string> messages) {
  for (auto& m : messages) errors_.push_back(std::move(m));
}

std::optional<double> OptionReader::NumberOf(const toml::node& node, std::string_view key,
                                             Range range) {
  double v;
  if (auto i = node.as_integer()) {
    v = static_cast<double>(i->get());
  } else if (auto f = node.as_floating_point()) {
    v = f->get();
  } else if (std::optional<double> q = Fraction(node)) {
    v = *q;
  } else {
    const bool slash = node.is_string() && node.as_string()->get().find('/') != std::string::npos;
    ErrorAt(node, key,
            slash ? fmt::format("found {}; expected {} or a fraction such as \"1/3\"",
                                ShownInMessage(node.as_string()->get()), range.Describe())
                  : fmt::format("found {}; expected {}", ATypeName(node), range.Describe()));
    return std::nullopt;
  }
  if (!std::isfinite(v) || !range.Contains(v)) {
    ErrorAt(node, key, fmt::format("{} is out of range; expected {}", v, range.Describe()));
    return std::nullopt;
  }
  return v;
}

double OptionReader::Double(std::string_view key, double def, Range range) {
  const toml::node* node = Raw(key);
  if (!node) return def;
  return NumberOf(*node, key, range).value_or(def);
}

int64_t OptionReader::Int(std::string_view key, int64_t def, Range range) {
  const toml::node* node = Raw(key);
  if (!node) return def;
  auto i = node->as_integer();
  if (!i) {
    ErrorAt(*node, key, fmt::format("found {}; expected an integer", ATypeName(*node)));
    return def;
  }
  if (!range.Contains(static_cast<double>(i->get()))) {
    ErrorAt(
        *node, key,
        fmt::format("{} is out of range; expected an integer {}", i->get(), range.Constraint()));
    return def;
  }
  return i->get();
}

bool OptionReader::Bool(std::string_view key, bool def) {
  const toml::node* node = Raw(key);
  if (!node) return def;
  auto b = node->as_boolean();
  if (!b) {
    ErrorAt(*node, key, fmt::format("found {}; expected true or false", ATypeName(*node)));
    return def;
  }
  return b->get();
}

std::string OptionReader::String(std::string_view key, std::string def,
                                 const std::vector<std::string>& allowed) {
  const toml::node* node = Raw(key);
  if (!node) return def;
  auto s = node->as_string();
  if (!s) {
    ErrorAt(*node, key, fmt::format("found {}; expected a string", ATypeName(*node)));
    return def;
  }
  if (!allowed.empty()) {
    bool ok = false;
    for (const auto& a : allowed) ok = ok || a == s->get();
    if (!ok) {
      ErrorAt(*node, key,
              fmt::format("\"{}\" is not allowed; expected one of: {}", s->get(),
                          fmt::join(allowed, ", ")));
      return def;
    }
  }
  return s->get();
}

std::optional<std::vector<double>> OptionReader::DoubleList(std::string_view key, Range range) {
  const toml::node* node = Raw(key);
  if (!node) return std::nullopt;
  auto arr = node->as_array();
  if (!arr) {
    ErrorAt(*node, key, fmt::format("found {}; expected an array of numbers", ATypeName(*node)));
    return std::nullopt;
  }
  std::vector<double> out;
  bool ok = true;
  for (size_t i = 0; i < arr->size(); ++i) {
    auto v = NumberOf(*arr->get(i), fmt::format("{}[{}]", key, i), range);
    ok = ok && v.has_value();
    out.push_back(v.value_or(0.0));
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<int64_t>> OptionReader::IntList(std::string_view key, Range range) {
  const toml::node* node = Raw(key);
  if (!node) return std::nullopt;
  auto arr = node->as_array();
  if (!arr) {
    ErrorAt(*node, key, fmt::format("found {}; expected an array of integers", ATypeName(*node)));
    return std::nullopt;
  }
  std::vector<int64_t> out;
  bool ok = true;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& el = *arr->get(i);
    auto v = el.as_integer();
    const std::string k = fmt::format("{}[{}]", key, i);
    if (!v) {
      ErrorAt(el, k, fmt::format("found {}; expected an integer", ATypeName(el)));
      ok = false;
    } else if (!range.Contains(static_cast<double>(v->get()))) {
      ErrorAt(el, k, fmt::format("{} is out of range; expected {}", v->get(), range.Describe()));
      ok = false;
    } else {
      out.push_back(v->get());
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<std::string>> OptionReader::StringList(std::string_view key) {
  const toml::node* node = Raw(key);
  if (!node) return std::nullopt;
  auto arr = node->as_array();
  if (!arr) {
    ErrorAt(*node, key, fmt::format("found {}; expected an array of strings", ATypeName(*node)));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& el = *arr->get(i);
    if (auto s = el.as_string()) {
      out.push_back(s->get());
    } else {
      ErrorAt(el, fmt::format("{}[{}]", key, i),
              fmt::format("found {}; expected a string", ATypeName(el)));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<std::pair<std::string, double>>> OptionReader::DoubleTable(
    std::string_view key, Range range) {
  const toml::node* node = Raw(key);
  if (!node) return std::nullopt;
  auto tab = node->as_table();
  if (!tab) {
    ErrorAt(*node, key,
            fmt::format("found {}; expected a table of name = number", ATypeName(*node)));
    return std::nullopt;
  }
  std::vector<std::pair<std::string, double>> out;
  bool ok = true;
  for (const auto& [k, v] : *tab) {
    auto d = NumberOf(v, fmt::format("{}.{}", key, k.str()), range);
    ok = ok && d.has_value();
    out.emplace_back(std::string(k.str()), d.value_or(0.0));
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::pair<int64_t, int64_t>> OptionReader::IntOrRange(std::string_view key,
                                                                    Range range) {
  const toml::node* node = Raw(key);
  if (!node) return std::nullopt;
  const std::string expected =
      fmt::format("an integer or a [min, max] pair of integers, each {}", range.Constraint());
  auto check = [&](const toml::node& n) -> std::optional<int64_t> {
    auto i = n.as_integer();
    if (!i || !range.Contains(static_cast<double>(i->get()))) {
      ErrorAt(
          n, key,
          fmt::format("found {}; expected {}",
                      i ? std::to_string(i->get()) : "a " + std::string(TypeName(n)), expected));
      return std::nullopt;
    }
    return i->get();
  };
  if (node->is_integer()) {
    auto v = check(*node);
    if (!v) return std::nullopt;
    return std::make_pair(*v, *v);
  }
  auto arr = node->as_array();
  if (!arr || arr->size() != 2) {
    ErrorAt(*node, key, fmt::format("found {}; expected {}", ATypeName(*node), expected));
    return std::nullopt;
  }
  auto lo = check(*arr->get(0));
  auto hi = check(*arr->get(1));
  if (!lo || !hi) return std::nullopt;
  if (*lo > *hi) {
    ErrorAt(*node, key, fmt::format("[{}, {}] has min > max", *lo, *hi));
    return std::nullopt;
  }
  return std::make_pair(*lo, *hi);
}

std::vector<std::string> OptionReader::Finish() {
  std::vector<std::string> valid(read_.begin(), read_.end());
  for (const auto& k : ignored_)
    if (!read_.count(k)) valid.push_back(k);
  std::sort(valid.begin(), valid.end());
  std::vector<std::string> unknown;
  auto check = [&](const toml::table& t) {
    for (const auto& [k, v] : t) {
      const std::string key(k.str());
      if (read_.count(key) || ignored_.count(key)) continue;
      const std::string near = NearestKey(key, valid);
      unknown.push_back(fmt::format(
          "{}{}: unknown key{}; valid keys here: {}", NodeLocation(v, file_), KeyPath(key),
          near.empty() ? "" : fmt::format(" (did you mean `{}`?)", near), fmt::join(valid, ", ")));
    }
  };
  check(table_);
  if (fallback_) check(*fallback_);
  // An unknown key is usually the cause of the table-level problems (a
  // misspelt `per_evaluee` leaves a rater group of no kind, a misspelt key
  // is then missing): it comes before the first of them, else last.
  const size_t at = std::min(first_table_error_, errors_.size());
  errors_.insert(errors_.begin() + static_cast<std::ptrdiff_t>(at),
                 std::make_move_iterator(unknown.begin()), std::make_move_iterator(unknown.end()));
  return std::move(errors_);
}

void OptionReader::FinishOrThrow() { ThrowIfErrors(Finish()); }

void ThrowIfErrors(const std::vector<std::string>& errors) {
  if (errors.empty()) return;
  throw InputError(fmt::format("{}", fmt::join(errors, "\n")));
}

}  // namespace evalsim
