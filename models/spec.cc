#include "models/spec.h"

#include <fmt/format.h>

#include <cmath>

#include "sim/core/check.h"

namespace evalsim {
namespace {

// "1e-10", "0.5", "1500"; exponents without leading zeros ("1e-6", not
// fmt's "1e-06").
std::string NumberText(double v) {
  std::string s = fmt::format("{}", v);
  const size_t e = s.find('e');
  if (e == std::string::npos) return s;
  size_t digits = e + 1;
  if (digits < s.size() && (s[digits] == '-' || s[digits] == '+')) ++digits;
  while (digits + 1 < s.size() && s[digits] == '0') s.erase(digits, 1);
  return s;
}

// "> 0", ">= 1", "in [0,1]", "in (0,1]"; "" for any number.
std::string RangeText(const Range& r, bool integer) {
  const bool has_lo = std::isfinite(r.lo), has_hi = std::isfinite(r.hi);
  if (has_lo && has_hi && !(integer && r.hi >= 1e6))
    return fmt::format("in {}{},{}{}", r.lo_open ? "(" : "[", NumberText(r.lo), NumberText(r.hi),
                       r.hi_open ? ")" : "]");
  if (has_lo) return fmt::format("{} {}", r.lo_open ? ">" : ">=", NumberText(r.lo));
  if (has_hi) return fmt::format("{} {}", r.hi_open ? "<" : "<=", NumberText(r.hi));
  return "";
}

std::string TypeText(const char* kind, const Range& r, bool integer) {
  const std::string range = RangeText(r, integer);
  return range.empty() ? std::string(kind) : fmt::format("{} {}", kind, range);
}

ParamDoc Declare(std::string name, ParamKind kind, std::string type, std::string def,
                 std::string doc) {
  ParamDoc p;
  p.name = std::move(name);
  p.kind = kind;
  p.type = std::move(type);
  p.default_value = std::move(def);
  p.doc = std::move(doc);
  return p;
}

}  // namespace

ParamDoc NumberParam(std::string name, std::optional<double> def, Range range, std::string doc) {
  ParamDoc p = Declare(std::move(name), ParamKind::kNumber, TypeText("number", range, false),
                       def ? NumberText(*def) : std::string(), std::move(doc));
  p.number_default = def;
  p.range = range;
  return p;
}

ParamDoc IntegerParam(std::string name, std::optional<int64_t> def, Range range, std::string doc) {
  ParamDoc p = Declare(std::move(name), ParamKind::kInteger, TypeText("integer", range, true),
                       def ? fmt::format("{}", *def) : std::string(), std::move(doc));
  if (def) p.number_default = static_cast<double>(*def);
  p.range = range;
  return p;
}

ParamDoc StringParam(std::string name, std::string def, std::vector<std::string> allowed,
                     std::string doc) {
  ParamDoc p = Declare(std::move(name), ParamKind::kString, "string", fmt::format("\"{}\"", def),
                       std::move(doc));
  p.string_default = std::move(def);
  p.allowed = std::move(allowed);
  return p;
}

ParamDoc OtherParam(std::string name, std::string type, std::string default_value,
                    std::string doc) {
  return Declare(std::move(name), ParamKind::kOther, std::move(type), std::move(default_value),
                 std::move(doc));
}

const ParamDoc& ParamReader::Param(std::string_view name) const {
  for (const ParamDoc& p : params_)
    if (p.name == name) return p;
  EVALSIM_CHECK(false, "option \"{}\" is read but not declared", name);
  return params_.front();
}

const ParamDoc& ParamReader::Declared(std::string_view name, ParamKind kind, bool constant) const {
  const ParamDoc& p = Param(name);
  EVALSIM_CHECK(p.kind == kind, "option \"{}\" is read as another kind than declared", name);
  EVALSIM_CHECK(p.HasConstantDefault() == constant,
                "option \"{}\": a constant default is declared {}", name,
                constant ? "nowhere" : "and another one given");
  return p;
}

double ParamReader::Double(std::string_view name) {
  const ParamDoc& p = Declared(name, ParamKind::kNumber, true);
  return opts_.Double(p.name, *p.number_default, p.RangeFor(ctx_));
}

double ParamReader::Double(std::string_view name, double def) {
  const ParamDoc& p = Declared(name, ParamKind::kNumber, false);
  return opts_.Double(p.name, def, p.RangeFor(ctx_));
}

int64_t ParamReader::Int(std::string_view name) {
  const ParamDoc& p = Declared(name, ParamKind::kInteger, true);
  return opts_.Int(p.name, static_cast<int64_t>(*p.number_default), p.RangeFor(ctx_));
}

std::string ParamReader::String(std::string_view name) {
  const ParamDoc& p = Declared(name, ParamKind::kString, true);
  return opts_.String(p.name, *p.string_default, p.allowed);
}

}  // namespace evalsim
