// Reads the [[indicators]] tables of a scenario (scenarios/README.md,
// "[[indicators]]"): every key type- and range-checked, keys that do not
// apply to the indicator's transform rejected by name, unknown keys reported
// with the valid ones.
#include <cmath>
#include <limits>
#include <set>

#include "sim/scenario/parts.h"

namespace evalsim {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Keys that belong to one transform or a few; using one with another
// transform is an error rather than silently ignored.
struct TransformKey {
  const char* key;
  std::vector<std::string> transforms;
};

const std::vector<TransformKey>& TransformKeys() {
  static const std::vector<TransformKey> keys = {
      {"mean", {"linear", "score", "count"}},
      {"sd", {"linear", "score"}},
      {"median", {"rate"}},
      {"dispersion", {"count"}},
  };
  return keys;
}

bool Applies(const std::string& transform, const char* key) {
  for (const auto& k : TransformKeys())
    if (std::string_view(k.key) == key)
      for (const auto& t : k.transforms)
        if (t == transform) return true;
  return false;
}

// `range`: defaults per transform, then the given one.
void ReadRange(OptionReader& r, IndicatorSpec& ind) {
  const std::string& tr = ind.transform;
  if (tr == "rate") {
    ind.lo = 0.0, ind.hi = 1.0;
  } else if (tr == "score") {
    ind.lo = 0.0, ind.hi = 100.0;
  } else if (tr == "count") {
    ind.lo = 0.0, ind.hi = kInf;
  } else {
    ind.lo = -kInf, ind.hi = kInf;
  }
  if (auto range = r.DoubleList("range", Between(-1e12, 1e12))) {
    if (range->size() != 2) {
      r.Error("range", fmt::format("has {} values; expected [lo, hi]", range->size()));
    } else if (!((*range)[0] < (*range)[1])) {
      r.Error("range", fmt::format("[{}, {}]: expected lo < hi", (*range)[0], (*range)[1]));
    } else if (tr == "count" && ((*range)[0] < 0 || std::floor((*range)[0]) != (*range)[0] ||
                                 std::floor((*range)[1]) != (*range)[1])) {
      r.Error("range", fmt::format("[{}, {}]: a count's range must be whole numbers >= 0",
                                   (*range)[0], (*range)[1]));
    } else {
      ind.lo = (*range)[0];
      ind.hi = (*range)[1];
    }
  }
}

void ReadOne(OptionReader& r, IndicatorSpec& ind, std::set<std::string>& names) {
  if (!r.Has("name")) r.Error("", "missing required key `name` (a non-empty string)");
  ind.name = r.String("name", "");
  if (r.Has("name")) {
    if (ind.name.empty()) {
      r.Error("name", "is empty; expected a non-empty string");
    } else if (ind.name.find_first_of(",\"\r\n") != std::string::npos) {
      r.Error("name", fmt::format("\"{}\" holds a comma, quote or line break; expected a name "
                                  "that can be a CSV column header",
                                  ind.name));
    } else if (!names.insert(ind.name).second) {
      r.Error("name", fmt::format("indicator \"{}\" is defined twice", ind.name));
    }
  }
  ind.loading = r.Double("loading", 0.7, Between(-1.0, 1.0));
  ind.cost = r.String("direction", "benefit", {"benefit", "cost"}) == "cost";
  ind.transform = r.String("transform", "linear", {"linear", "rate", "score", "count"});
  const std::string& tr = ind.transform;

  for (const auto& k : TransformKeys()) {
    if (!Applies(tr, k.key) && r.Has(k.key)) {
      r.Error(k.key, fmt::format("applies only to transform {}; this indicator's transform is "
                                 "\"{}\"",
                                 fmt::join(k.transforms, " or "), tr));
      r.Raw(k.key);
    }
  }

  ReadRange(r, ind);
  const bool bounded = std::isfinite(ind.lo) && std::isfinite(ind.hi);
  const double mid = bounded ? 0.5 * (ind.lo + ind.hi) : 0.0;

  if (tr == "linear") {
    ind.mean = r.Double("mean", 0.0, Any());
    ind.sd = r.Double("sd", 1.0, AtLeast(0.0));
  } else if (tr == "score") {
    ind.mean = r.Double("mean", mid, Any());
    ind.sd = r.Double("sd", (ind.hi - ind.lo) / 6.0, AtLeast(0.0));
    if (r.Has("mean") && !(ind.mean >= ind.lo && ind.mean <= ind.hi))
      r.Error("mean", fmt::format("{} lies outside the range; expected a value in [{}, {}]",
                                  ind.mean, ind.lo, ind.hi));
  } else if (tr == "rate") {
    ind.median = r.Double("median", mid, Any());
    if (r.Has("median") && !(ind.median > ind.lo && ind.median < ind.hi))
      r.Error("median", fmt::format("{} lies outside the range; expected a value strictly "
                                    "between {} and {}",
                                    ind.median, ind.lo, ind.hi));
  } else if (tr == "count") {
    if (!r.Has("mean"))
      r.Error("", "missing required key `mean` (the mean count, > 0) for transform \"count\"");
    ind.mean = r.Double("mean", 1.0, Range{0.0, 1e6, true, false});
    ind.dispersion = r.Double("dispersion", 0.5, Between(0.0, 2.0));
  }

  ind.missing = r.Double("missing", 0.0, Range{0.0, 1.0, false, true});
  ind.ceiling = r.Double("ceiling", 0.0, Probability());
  if (ind.ceiling > 0) {
    const double best = ind.cost ? ind.lo : ind.hi;
    if (!std::isfinite(best))
      r.Error(
          "ceiling",
          fmt::format("needs a bounded best end, but {} indicator \"{}\" (transform \"{}\") "
                      "has no {} bound; give `range = [lo, hi]`",
                      ind.cost ? "cost" : "benefit", ind.name, tr, ind.cost ? "lower" : "upper"));
  }
}

}  // namespace

void ReadIndicators(OptionReader& top, Scenario& s, std::vector<std::string>& errors) {
  std::set<std::string> names;
  ForEachTable(top, "indicators", top.file(), errors, [&](OptionReader& r, size_t) {
    IndicatorSpec ind;
    ReadOne(r, ind, names);
    s.indicators.push_back(std::move(ind));
  });
  if (s.indicators.size() > 10000) top.Error("indicators", "more than 10,000 indicators");
}

}  // namespace evalsim
