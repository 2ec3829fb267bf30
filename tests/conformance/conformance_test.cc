// Checks every registered model must pass, whatever it computes: its
// declared parameters are exactly the keys it reads, writing a declared
// default gives the same scores as omitting it, a value outside a declared
// range or set is refused naming the key, default options work
// for any scale, scores are finite, deterministic and independent of how
// evaluees and raters are numbered, and degenerate ballots do not break it.
// The suite runs over Models().Names(), so a newly registered model is
// covered without editing this file.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "models/registry.h"
#include "sim/core/ballots.h"
#include "sim/core/errors.h"
#include "sim/core/rng.h"
#include "sim/run/inputs.h"
#include "tests/support/ballot_builder.h"

namespace evalsim {
namespace {

struct Vote {
  int ratee;
  int group;
  int rater;
  int grade;  // 0..K-1, or kAbstain
  double weight = 1.0;
};

struct Ballots {
  int ratees = 1;
  int levels = 4;
  std::vector<std::string> groups = {"superior", "member"};
  std::vector<double> group_weights = {0.3, 0.7};
  bool weighted = false;
  std::vector<Vote> votes;
};

// CSR layout: votes sorted (stably) by slot = ratee * G + group.
RatingBallots Build(const Ballots& in) {
  testing_util::BallotOptions options;
  options.group_weights = in.group_weights;
  return testing_util::BuildBallots(in.ratees, in.groups, in.levels,
                                    testing_util::ToBallotRows(in.votes), in.weighted, options);
}

// Ballots shaped like the generator's: each evaluee has a latent quality,
// each rater a leniency, each ballot noise; the latent value is cut into K
// grades skewed toward the top (lenient appraisals), with some blanks and
// some evaluees not rated by every rater.
Ballots Generated(Rng& rng, int ratees, int levels, bool weighted) {
  Ballots in;
  in.ratees = ratees;
  in.levels = levels;
  in.weighted = weighted;
  std::vector<double> quality(ratees);
  for (double& q : quality) q = rng.Normal();
  const int counts[2] = {3, 12};
  int rater = 0;
  for (int g = 0; g < 2; ++g) {
    for (int i = 0; i < counts[g]; ++i, ++rater) {
      const double leniency = 0.3 * rng.Normal();
      for (int e = 0; e < ratees; ++e) {
        if (!rng.Bernoulli(0.9)) continue;
        int grade = kAbstain;
        if (!rng.Bernoulli(0.05)) {
          const double latent = quality[e] + leniency + 0.5 * rng.Normal() + 1.0;
          grade = std::clamp(static_cast<int>(std::floor(latent * levels / 3.0)), 0, levels - 1);
        }
        in.votes.push_back({e, g, rater, grade, weighted ? 0.5 + 1.5 * rng.Uniform() : 1.0});
      }
    }
  }
  return in;
}

// Indicator models read a table: for these checks it holds each group's
// mean grade per evaluee (NaN where the group cast no valid vote).
const std::vector<std::string> kIndicatorNames = {"superior_mean", "member_mean"};

IndicatorTable IndicatorsOf(const RatingBallots& b) {
  IndicatorTable t;
  t.ratee_names = b.ratee_names;
  t.names = kIndicatorNames;
  t.cost = {false, false};
  t.values.setConstant(b.NumRatees(), 2, std::numeric_limits<double>::quiet_NaN());
  for (int e = 0; e < b.NumRatees(); ++e) {
    for (int g = 0; g < std::min(2, b.NumGroups()); ++g) {
      double sum = 0, n = 0;
      for (uint32_t w : b.SlotBallots(b.Slot(e, g))) {
        if (BallotGrade(w) == kAbstain) continue;
        sum += BallotGrade(w);
        n += 1;
      }
      if (n > 0) t.values(e, g) = sum / n;
    }
  }
  return t;
}

ModelContext ContextOf(const RatingBallots& b) {
  return {b.levels, b.group_names, kIndicatorNames};
}

// The input of the model under test, converted from rating ballots the way
// a run converts them (ratings -> pairwise or rankings, ties split).
struct Prepared {
  explicit Prepared(const RatingBallots& b) : indicators(IndicatorsOf(b)) {
    InputSources src;
    src.ratings = &b;
    src.indicators = &indicators;
    set.emplace(src);
  }
  ModelInput For(const std::string& model) {
    return set->For(Models().Find(model)->input, false, model);
  }
  IndicatorTable indicators;
  std::optional<InputSet> set;
};

std::unique_ptr<Model> Create(const std::string& name, const std::string& options,
                              const ModelContext& ctx) {
  const toml::table table = toml::parse(std::string_view(options), std::string_view("test.toml"));
  return Models().Create(name, table, ctx, "test.toml", "models.x");
}

bool BitwiseEqual(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return a.size() == b.size() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// Checks the shape and finiteness of a result for n evaluees.
void ExpectWellFormed(const ScoreResult& r, int n, const std::string& what) {
  ASSERT_EQ(r.score.size(), n) << what;
  EXPECT_TRUE(r.score.allFinite()) << what << ": " << r.score.transpose();
  EXPECT_TRUE(r.tiebreak.size() == 0 || r.tiebreak.size() == n) << what;
  EXPECT_TRUE(r.tiebreak.allFinite()) << what;
  EXPECT_TRUE(r.se.size() == 0 || r.se.size() == n) << what;
  EXPECT_TRUE(r.se.allFinite() && (r.se.array() >= 0.0).all()) << what;
}

class ModelConformanceTest : public testing::TestWithParam<std::string> {
 protected:
  const ModelSpec& Spec() const { return *Models().Find(GetParam()); }
  ScoreResult Score(const RatingBallots& b) const {
    Prepared in(b);
    return Create(GetParam(), "", ContextOf(b))->Score(in.For(GetParam()));
  }
};

TEST_P(ModelConformanceTest, SpecIsDocumented) {
  const ModelSpec& spec = Spec();
  EXPECT_EQ(spec.name, GetParam());
  EXPECT_FALSE(spec.summary.empty());
  EXPECT_TRUE(static_cast<bool>(spec.make));
  std::set<std::string> names;
  for (const ParamDoc& p : spec.params) {
    EXPECT_FALSE(p.name.empty());
    EXPECT_FALSE(p.type.empty()) << p.name;
    EXPECT_FALSE(p.default_value.empty()) << p.name;
    EXPECT_FALSE(p.doc.empty()) << p.name;
    EXPECT_TRUE(names.insert(p.name).second) << "documented twice: " << p.name;
  }
}

TEST_P(ModelConformanceTest, DefaultOptionsAreValidForEveryScale) {
  for (int levels : {2, 3, 4, 5, 7}) {
    const ModelContext ctx = {levels, {"superior", "member"}, kIndicatorNames};
    std::unique_ptr<Model> model;
    EXPECT_NO_THROW(model = Create(GetParam(), "", ctx)) << levels << " grades";
    EXPECT_NE(model, nullptr) << levels << " grades";
  }
}

// The reader lists every key that the factory read as a valid key. So the
// unknown-key message lists exactly the keys the model reads, and those must
// be exactly the documented parameters.
TEST_P(ModelConformanceTest, UnknownKeyIsRejectedAndDocumentedParamsAreTheKeysRead) {
  const ModelContext ctx = {4, {"superior", "member"}, kIndicatorNames};
  std::string message;
  try {
    Create(GetParam(), "no_such_param = 1", ctx);
  } catch (const InputError& e) {
    message = e.what();
  }
  ASSERT_NE(message.find("models.x.no_such_param: unknown key"), std::string::npos) << message;
  const std::string marker = "valid keys here: ";
  const size_t at = message.find(marker);
  ASSERT_NE(at, std::string::npos) << message;
  std::set<std::string> listed;
  std::stringstream list(message.substr(at + marker.size()));
  for (std::string key; std::getline(list, key, ',');) {
    key.erase(0, key.find_first_not_of(' '));
    key.erase(key.find_last_not_of(" \n") + 1);
    if (!key.empty()) listed.insert(key);
  }
  std::set<std::string> documented;
  for (const ParamDoc& p : Spec().params) documented.insert(p.name);
  EXPECT_EQ(listed, documented) << message;
}

// `key = value` for a declared constant default.
std::string DefaultToml(const ParamDoc& p) {
  switch (p.kind) {
    case ParamKind::kNumber:
      return fmt::format("{} = {}", p.name, *p.number_default);
    case ParamKind::kInteger:
      return fmt::format("{} = {}", p.name, static_cast<int64_t>(*p.number_default));
    case ParamKind::kString:
      return fmt::format("{} = \"{}\"", p.name, *p.string_default);
    case ParamKind::kOther:
      break;
  }
  return "";
}

// `key = value` with a value the declaration refuses (nullopt when it
// declares no range and no set of values).
std::optional<std::string> OutsideToml(const ParamDoc& p, const ModelContext& ctx) {
  if (p.kind == ParamKind::kString && !p.allowed.empty())
    return fmt::format("{} = \"no_such_value\"", p.name);
  if (p.kind != ParamKind::kNumber && p.kind != ParamKind::kInteger) return std::nullopt;
  const Range r = p.RangeFor(ctx);
  double v;
  if (std::isfinite(r.lo)) {
    v = r.lo - 1;
  } else if (std::isfinite(r.hi)) {
    v = r.hi + 1;
  } else {
    return std::nullopt;
  }
  if (p.kind == ParamKind::kInteger) return fmt::format("{} = {}", p.name, static_cast<int64_t>(v));
  return fmt::format("{} = {}", p.name, v);
}

TEST_P(ModelConformanceTest, DeclaredDefaultsAreAccepted) {
  const ModelContext ctx = {4, {"superior", "member"}, kIndicatorNames};
  for (const ParamDoc& p : Spec().params) {
    if (p.number_default) {
      EXPECT_TRUE(p.RangeFor(ctx).Contains(*p.number_default)) << p.name;
    }
    if (p.string_default && !p.allowed.empty()) {
      EXPECT_EQ(std::ranges::count(p.allowed, *p.string_default), 1) << p.name;
    }
    if (p.kind == ParamKind::kString) {
      EXPECT_TRUE(p.string_default.has_value()) << p.name;
    }
  }
}

// Writing a declared default gives what omitting it gives: the factory
// reads the option with the declared default, not one of its own.
TEST_P(ModelConformanceTest, ExplicitDefaultScoresLikeOmittedOne) {
  Rng rng(DeriveSeed(9, {1}));
  const RatingBallots b = Build(Generated(rng, 12, 4, true));
  Prepared in(b);
  for (const ParamDoc& p : Spec().params) {
    if (!p.HasConstantDefault()) continue;
    const std::string given_toml = p.needs + "\n" + DefaultToml(p);
    std::unique_ptr<Model> omitted_model, given_model;
    ASSERT_NO_THROW(omitted_model = Create(GetParam(), p.needs, ContextOf(b))) << p.name;
    ASSERT_NO_THROW(given_model = Create(GetParam(), given_toml, ContextOf(b))) << given_toml;
    const ScoreResult omitted = omitted_model->Score(in.For(GetParam()));
    const ScoreResult given = given_model->Score(in.For(GetParam()));
    EXPECT_TRUE(BitwiseEqual(omitted.score, given.score)) << given_toml;
    EXPECT_TRUE(BitwiseEqual(omitted.tiebreak, given.tiebreak)) << given_toml;
    EXPECT_TRUE(BitwiseEqual(omitted.se, given.se)) << given_toml;
    EXPECT_EQ(omitted.notes, given.notes) << given_toml;
  }
}

// A value outside the declared range (or set of values) is refused with an
// InputError naming the key.
TEST_P(ModelConformanceTest, ValueOutsideDeclaredRangeIsRefusedNamingTheKey) {
  const ModelContext ctx = {4, {"superior", "member"}, kIndicatorNames};
  for (const ParamDoc& p : Spec().params) {
    const std::optional<std::string> outside = OutsideToml(p, ctx);
    if (!outside) continue;
    std::string message;
    try {
      Create(GetParam(), p.needs + "\n" + *outside, ctx);
    } catch (const InputError& e) {
      message = e.what();
    }
    EXPECT_NE(message.find(fmt::format("models.x.{}: ", p.name)), std::string::npos)
        << *outside << " gave: " << message;
  }
}

TEST_P(ModelConformanceTest, FiniteAndDeterministicOnGeneratedBallots) {
  Rng rng(DeriveSeed(7, {1}));
  for (int levels : {2, 4, 5}) {
    for (bool weighted : {false, true}) {
      const RatingBallots b = Build(Generated(rng, 15, levels, weighted));
      const std::string what = fmt::format("K={} weighted={}", levels, weighted);
      const std::unique_ptr<Model> model = Create(GetParam(), "", ContextOf(b));
      Prepared in(b);
      const ScoreResult first = model->Score(in.For(GetParam()));
      ExpectWellFormed(first, b.NumRatees(), what);
      // Twice through the same instance and once through a fresh one.
      const ScoreResult second = model->Score(in.For(GetParam()));
      const ScoreResult fresh = Score(b);
      for (const ScoreResult* other : {&second, &fresh}) {
        EXPECT_TRUE(BitwiseEqual(first.score, other->score)) << what;
        EXPECT_TRUE(BitwiseEqual(first.tiebreak, other->tiebreak)) << what;
        EXPECT_TRUE(BitwiseEqual(first.se, other->se)) << what;
        EXPECT_EQ(first.notes, other->notes) << what;
      }
    }
  }
}

TEST_P(ModelConformanceTest, RelabellingEvalueesAndRatersPermutesScores) {
  if (Spec().order_dependent) {
    GTEST_SKIP() << GetParam() << " depends on the order of its input by design";
  }
  Rng rng(DeriveSeed(8, {1}));
  for (int trial = 0; trial < 5; ++trial) {
    const Ballots in = Generated(rng, 12, 4, trial % 2 == 1);
    int raters = 0;
    for (const Vote& v : in.votes) raters = std::max(raters, v.rater + 1);
    std::vector<int> p(in.ratees), q(raters);
    std::iota(p.begin(), p.end(), 0);
    std::iota(q.begin(), q.end(), 0);
    for (int i = in.ratees - 1; i > 0; --i) std::swap(p[i], p[rng.Below(i + 1)]);
    for (int i = raters - 1; i > 0; --i) std::swap(q[i], q[rng.Below(i + 1)]);
    Ballots relabelled = in;
    for (Vote& v : relabelled.votes) {
      v.ratee = p[v.ratee];
      v.rater = q[v.rater];
    }
    const RatingBallots a = Build(in), b = Build(relabelled);
    const ScoreResult ra = Score(a), rb = Score(b);
    ExpectWellFormed(ra, in.ratees, "original");
    ExpectWellFormed(rb, in.ratees, "relabelled");
    ASSERT_EQ(ra.tiebreak.size(), rb.tiebreak.size());
    // Fitted models may sum in a different order after relabelling: compare
    // to a tolerance relative to the spread of the scores.
    const double scale = 1.0 + ra.score.cwiseAbs().maxCoeff();
    for (int e = 0; e < in.ratees; ++e) {
      EXPECT_NEAR(ra.score[e], rb.score[p[e]], 1e-9 * scale) << "trial " << trial << " e" << e;
      if (ra.tiebreak.size() > 0) {
        EXPECT_NEAR(ra.tiebreak[e], rb.tiebreak[p[e]], 1e-9 * scale) << "trial " << trial;
      }
    }
  }
}

TEST_P(ModelConformanceTest, DegenerateBallotsGiveFiniteScores) {
  // A single rater who rates three evaluees.
  Ballots single_rater;
  single_rater.ratees = 3;
  single_rater.votes = {{0, 1, 0, 3}, {1, 1, 0, 1}, {2, 1, 0, 0}};
  ExpectWellFormed(Score(Build(single_rater)), 3, "single rater");

  // Everybody gives the same grade (the top one, as in a lenient appraisal).
  Ballots same;
  same.ratees = 4;
  for (int r = 0; r < 6; ++r)
    for (int e = 0; e < 4; ++e) same.votes.push_back({e, r < 2 ? 0 : 1, r, 3});
  const ScoreResult same_result = Score(Build(same));
  ExpectWellFormed(same_result, 4, "same grade");
  if (same_result.score.size() == 4 && !Spec().order_dependent) {
    // Nothing tells the evaluees apart, so no model may (up to rounding).
    const double scale = 1.0 + same_result.score.cwiseAbs().maxCoeff();
    EXPECT_NEAR(same_result.score.maxCoeff(), same_result.score.minCoeff(), 1e-9 * scale)
        << same_result.score.transpose();
  }

  // One evaluee with only abstentions, next to normal ones; and one with no
  // ballot at all.
  Ballots blanks;
  blanks.ratees = 4;
  for (int r = 0; r < 6; ++r) {
    blanks.votes.push_back({0, r < 2 ? 0 : 1, r, (r * 7) % 4});
    blanks.votes.push_back({1, r < 2 ? 0 : 1, r, kAbstain});
    blanks.votes.push_back({2, r < 2 ? 0 : 1, r, (r * 5 + 1) % 4});
  }
  ExpectWellFormed(Score(Build(blanks)), 4, "only abstentions");

  // A single evaluee.
  Ballots one;
  for (int r = 0; r < 5; ++r) one.votes.push_back({0, r < 2 ? 0 : 1, r, r % 4});
  ExpectWellFormed(Score(Build(one)), 1, "single evaluee");

  // A rater group that cast no ballot, and zero-weight ballots.
  Ballots empty_group;
  empty_group.ratees = 2;
  empty_group.weighted = true;
  empty_group.votes = {{0, 1, 0, 2, 1.0}, {0, 1, 1, 3, 0.0}, {1, 1, 0, 0, 2.0}, {1, 1, 1, 1, 0.0}};
  ExpectWellFormed(Score(Build(empty_group)), 2, "empty group, zero weights");

  // No ballot at all.
  Ballots nothing;
  nothing.ratees = 2;
  ExpectWellFormed(Score(Build(nothing)), 2, "no ballots");
}

// `overall` with the grades of `items` as its items "i0", "i1", ... (every
// set built by Generated over the same raters and evaluees).
RatingBallots WithItems(const RatingBallots& overall, const std::vector<RatingBallots>& items) {
  RatingBallots b = overall;
  b.item_slot_begin.assign(1, 0);
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i].num_raters, b.num_raters);
    b.item_names.push_back(fmt::format("i{}", i));
    const uint64_t base = b.item_ballot.size();
    for (size_t s = 1; s < items[i].slot_begin.size(); ++s)
      b.item_slot_begin.push_back(base + items[i].slot_begin[s]);
    b.item_ballot.insert(b.item_ballot.end(), items[i].ballot.begin(), items[i].ballot.end());
    b.item_weight.insert(b.item_weight.end(), items[i].weight.begin(), items[i].weight.end());
  }
  b.CheckInvariants();
  return b;
}

// Every model scores ballots with items: a ratings model that scores items
// one by one gives, with item_weights naming one item (or the overall
// grade), exactly the scores of that item's grades alone; every other model
// gives well-formed, deterministic scores.
TEST_P(ModelConformanceTest, ScoresBallotsWithItems) {
  Rng rng(DeriveSeed(10, {1}));
  for (bool weighted : {false, true}) {
    const RatingBallots overall = Build(Generated(rng, 12, 4, weighted));
    const RatingBallots i0 = Build(Generated(rng, 12, 4, weighted));
    const RatingBallots i1 = Build(Generated(rng, 12, 4, weighted));
    const RatingBallots b = WithItems(overall, {i0, i1});
    ModelContext ctx = ContextOf(b);
    ctx.item_names = b.item_names;
    Prepared in(b);
    const ScoreResult first = Create(GetParam(), "", ctx)->Score(in.For(GetParam()));
    ExpectWellFormed(first, b.NumRatees(), "items");
    const ScoreResult again = Create(GetParam(), "", ctx)->Score(in.For(GetParam()));
    EXPECT_TRUE(BitwiseEqual(first.score, again.score));
    if (Spec().input != InputKind::kRatings || Spec().models_items) continue;
    const std::vector<std::pair<std::string, const RatingBallots*>> alone = {{"overall", &overall},
                                                                             {"i1", &i1}};
    for (const auto& [name, ballots] : alone) {
      const std::string options = fmt::format("item_weights = {{ {} = 2 }}", name);
      const ScoreResult one = Create(GetParam(), options, ctx)->Score(in.For(GetParam()));
      const ScoreResult plain = Score(*ballots);
      EXPECT_TRUE(BitwiseEqual(one.score, plain.score)) << options;
      EXPECT_TRUE(BitwiseEqual(one.tiebreak, plain.tiebreak)) << options;
      EXPECT_TRUE(BitwiseEqual(one.se, plain.se)) << options;
    }
  }
}

std::string ParamName(const testing::TestParamInfo<std::string>& info) { return info.param; }

INSTANTIATE_TEST_SUITE_P(AllModels, ModelConformanceTest, testing::ValuesIn(Models().Names()),
                         ParamName);

}  // namespace
}  // namespace evalsim
