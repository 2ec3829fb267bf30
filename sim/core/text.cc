#include "sim/core/text.h"

#include <fmt/format.h>

#include <charconv>

namespace evalsim {

size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size() || b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return len;
}

size_t InvalidUtf8At(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t len = Utf8SequenceLength(s, i);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::string ShownInMessage(std::string_view s, size_t limit) {
  std::string out = "\"";
  size_t i = 0;
  for (; i < s.size() && i < limit; ++i) {
    const unsigned char u = static_cast<unsigned char>(s[i]);
    if (u >= 0x80) {
      const size_t len = Utf8SequenceLength(s, i);
      if (len == 0) {
        out += fmt::format("\\x{:02X}", u);
      } else {
        out.append(s.substr(i, len));
        i += len - 1;
      }
    } else if (u == '"' || u == '\\') {
      out += '\\';
      out += static_cast<char>(u);
    } else if (u < 0x20 || u == 0x7F) {
      out += fmt::format("\\x{:02X}", u);
    } else {
      out += static_cast<char>(u);
    }
  }
  if (i < s.size()) out += "...";
  return out + "\"";
}

namespace {

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<double> ParseDecimal(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double v = 0.0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<double> ParseAhpJudgement(std::string_view text) {
  text = TrimBlanks(text);
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return ParseDecimal(text);
  const std::optional<double> p = ParseDecimal(TrimBlanks(text.substr(0, slash)));
  const std::optional<double> q = ParseDecimal(TrimBlanks(text.substr(slash + 1)));
  if (!p || !q || *q == 0.0) return std::nullopt;
  return *p / *q;
}

}  // namespace evalsim
