// What the registry knows about a model: its name, input kind, summary,
// parameter declarations, memory cost and factory.
//
// A parameter is declared once (ParamDoc): name, type, default, accepted
// range or values, and documentation. The factory reads each option through
// its declaration (ParamReader), `evalsim models` prints the declaration, and
// the conformance suite tests the model against it, so the default and the
// range are written in one place.
#ifndef EVALSIM_MODELS_SPEC_H_
#define EVALSIM_MODELS_SPEC_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/model.h"
#include "sim/core/options.h"

namespace evalsim {

// How a parameter is read: kNumber, kInteger and kString through ParamReader
// with the declared default and range (or allowed values); kOther (lists,
// tables, matrices) by the model's own code under the declared name.
enum class ParamKind { kNumber, kInteger, kString, kOther };

struct ParamDoc {
  std::string name;
  std::string type;           // "number", "integer", "[number]", "{group = number}", ...
  std::string default_value;  // as the user would write it
  std::string doc;

  ParamKind kind = ParamKind::kOther;
  // The default when it is a constant (kNumber, kInteger: number_default;
  // kString: string_default). A default the model computes from the data
  // (e.g. from the number of grades) is only described by default_value.
  std::optional<double> number_default;
  std::optional<std::string> string_default;
  Range range;                                       // kNumber, kInteger
  Range (*range_of)(const ModelContext&) = nullptr;  // a range that depends on the data
  std::vector<std::string> allowed;                  // kString
  // Options that make this parameter meaningful (TOML text), for a
  // parameter that is only used together with others, e.g.
  // `weighting = "combined"` for `alpha`.
  std::string needs;

  // Printed texts where the ones derived from the declaration do not fit,
  // and `needs`: NumberParam(...).WithType("number in [0, 0.5)").
  ParamDoc WithType(std::string text) && {
    type = std::move(text);
    return std::move(*this);
  }
  ParamDoc WithDefault(std::string text) && {
    default_value = std::move(text);
    return std::move(*this);
  }
  // A string default printed bare (fixed rather than "fixed").
  ParamDoc BareDefault() && {
    default_value = string_default.value_or(default_value);
    return std::move(*this);
  }
  ParamDoc WithNeeds(std::string toml) && {
    needs = std::move(toml);
    return std::move(*this);
  }

  bool HasConstantDefault() const { return number_default || string_default; }
  Range RangeFor(const ModelContext& ctx) const { return range_of ? range_of(ctx) : range; }
};

// Declarations. The printed type is derived from the kind and the range
// ("number > 0", "integer in [0,20]"; integer caps of a million or more are
// limits of the implementation and are not printed), the printed default
// from the default ("1e-10", "\"mm\"").
ParamDoc NumberParam(std::string name, std::optional<double> def, Range range, std::string doc);
ParamDoc IntegerParam(std::string name, std::optional<int64_t> def, Range range, std::string doc);
ParamDoc StringParam(std::string name, std::string def, std::vector<std::string> allowed,
                     std::string doc);
ParamDoc OtherParam(std::string name, std::string type, std::string default_value, std::string doc);

// Reads a model's options through its declarations: every read takes the
// default and the range from the declaration of `name`, which must exist.
class ParamReader {
 public:
  ParamReader(OptionReader& opts, const std::vector<ParamDoc>& params, const ModelContext& ctx)
      : opts_(opts), params_(params), ctx_(ctx) {}

  // A parameter with a constant default.
  double Double(std::string_view name);
  int64_t Int(std::string_view name);
  std::string String(std::string_view name);
  // A parameter whose default the model computes (`def`).
  double Double(std::string_view name, double def);

  // The declaration of `name` (kOther parameters read by the model itself).
  const ParamDoc& Param(std::string_view name) const;
  bool Has(std::string_view name) const { return opts_.Has(Param(name).name); }

  OptionReader& opts() { return opts_; }
  const ModelContext& ctx() const { return ctx_; }

 private:
  const ParamDoc& Declared(std::string_view name, ParamKind kind, bool constant) const;

  OptionReader& opts_;
  const std::vector<ParamDoc>& params_;
  const ModelContext& ctx_;
};

// A model's working set in one fit beyond the score vectors every fit
// returns: bytes per valid ballot, per evaluee and per rater, and the number
// of per-rater estimates it returns (ScoreResult::rater_values). Read by the
// run's memory pre-flight.
struct FitMemory {
  double per_ballot = 0, per_evaluee = 0, per_rater = 0;
  int rater_values = 0;
};

// Comparison, social-choice and indicator models: their inputs are
// converted from ratings (pairs within raters) and are not sized here.
inline FitMemory ConvertedInputMemory(int /*levels*/, int /*groups*/) { return {8, 64, 0, 0}; }

struct ModelSpec {
  std::string name;
  InputKind input = InputKind::kRatings;
  std::string summary;
  std::vector<ParamDoc> params;
  // The scores depend on the order of the input, not only on its content
  // (Elo's sequential updates): relabelling evaluees may change them.
  bool order_dependent = false;
  // A ratings model that reads multi-item ballots itself (items as a facet
  // or a fixed effect). Every other ratings model gets `item_weights` and is
  // wrapped so that it scores each item alone (models/items.h).
  bool models_items = false;
  // Rater groups on scales of their own (ModelContext::scale_names): a model
  // that reads each group on its own scale sets `group_scales`; a model that
  // reads every group's grades on one K-grade scale (`pools_grades`, set for
  // every other ratings model) refuses such ballots. Comparison models read
  // pairs within a rater, whose grades share one scale, and take them.
  bool group_scales = false;
  bool pools_grades = false;
  // Score() reads every slot's grade counts (AddSlotCounts, TallyRatees):
  // a caller fitting two or more such models on the same unweighted
  // ballots counts them once and shares them (ModelInput::slot_counts).
  bool reads_slot_counts = false;
  // Score() fits one process's part of a split replicate when given one
  // (ModelInput::part), exchanging only sums with the other processes.
  bool fits_parts = false;
  // The working set of one fit on ballots with `levels` grades and
  // `groups` rater groups.
  FitMemory (*memory)(int levels, int groups) = ConvertedInputMemory;
  // Reads the options (through `in`, whose OptionReader records every
  // problem) and returns the model. Must read every declared parameter.
  std::function<std::unique_ptr<Model>(ParamReader& in)> make;
};

}  // namespace evalsim

#endif  // EVALSIM_MODELS_SPEC_H_
