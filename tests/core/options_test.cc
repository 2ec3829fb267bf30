#include "sim/core/options.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/errors.h"

namespace evalsim {
namespace {

// Parses `text` as the file "s.toml", so that every node knows its source.
toml::table Parse(std::string_view text) { return toml::parse(text, std::string("s.toml")); }

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Reads the table with `read` and returns every message of Finish().
template <class F>
std::vector<std::string> Messages(const toml::table& table, F read) {
  OptionReader reader(table, "s.toml", "m");
  read(reader);
  return reader.Finish();
}

// ---------------------------------------------------------------------------
// Range.

TEST(Range, ContainsAndDescribes) {
  EXPECT_TRUE(Between(0, 1).Contains(0));
  EXPECT_TRUE(Between(0, 1).Contains(1));
  EXPECT_FALSE(Between(0, 1).Contains(1.0000001));
  EXPECT_FALSE(Above(0).Contains(0));
  EXPECT_TRUE(Above(0).Contains(1e-300));
  EXPECT_FALSE(Any().Contains(std::nan("")));
  EXPECT_EQ(Between(0, 1).Constraint(), "in [0, 1]");
  EXPECT_EQ(Probability().Describe(), "a number in [0, 1]");
  EXPECT_EQ(AtLeast(1).Constraint(), ">= 1");
  EXPECT_EQ(Above(0).Constraint(), "> 0");
  Range below5{-std::numeric_limits<double>::infinity(), 5, false, true};
  EXPECT_EQ(below5.Constraint(), "< 5");
  EXPECT_FALSE(below5.Contains(5));
  EXPECT_EQ(Any().Describe(), "a finite number");
  Range half_open{0, 1, true, false};
  EXPECT_EQ(half_open.Constraint(), "in (0, 1]");
}

// ---------------------------------------------------------------------------
// Scalars.

TEST(OptionReader, DoubleAcceptsIntegersAndFloats) {
  const toml::table t = Parse("a = 3\nb = 0.25\nc = -1e3\n");
  OptionReader r(t, "s.toml", "m");
  EXPECT_EQ(r.Double("a", 0), 3.0);
  EXPECT_EQ(r.Double("b", 0), 0.25);
  EXPECT_EQ(r.Double("c", 0), -1000.0);
  EXPECT_EQ(r.Double("missing", 7.5), 7.5);  // absent: the default, no error
  EXPECT_TRUE(r.Finish().empty());
}

TEST(OptionReader, DoubleRejectsStringsAndOutOfRange) {
  const toml::table t = Parse("a = \"high\"\nb = 2\nc = inf\nd = nan\n");
  OptionReader r(t, "s.toml", "m");
  EXPECT_EQ(r.Double("a", 0.5, Probability()), 0.5);  // a bad value falls back to the default
  EXPECT_EQ(r.Double("b", 0.5, Probability()), 0.5);
  r.Double("c", 0);
  r.Double("d", 0);
  const std::vector<std::string> m = r.Finish();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0], "s.toml:1:5: m.a: found a string; expected a number in [0, 1]");
  EXPECT_EQ(m[1], "s.toml:2:5: m.b: 2 is out of range; expected a number in [0, 1]");
  EXPECT_EQ(m[2], "s.toml:3:5: m.c: inf is out of range; expected a finite number");
  EXPECT_TRUE(Contains(m[3], "m.d: nan is out of range")) << m[3];
}

TEST(OptionReader, IntRejectsFloatsAndChecksRange) {
  const toml::table t = Parse("a = 4\nb = 2.0\nc = 0\nd = true\n");
  OptionReader r(t, "s.toml", "m");
  EXPECT_EQ(r.Int("a", 0, AtLeast(1)), 4);
  EXPECT_EQ(r.Int("b", 9), 9);
  EXPECT_EQ(r.Int("c", 9, AtLeast(1)), 9);
  r.Int("d", 0);  // a boolean is not an integer (no permissive conversion)
  const std::vector<std::string> m = r.Finish();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0], "s.toml:2:5: m.b: found a float; expected an integer");
  EXPECT_EQ(m[1], "s.toml:3:5: m.c: 0 is out of range; expected an integer >= 1");
  EXPECT_TRUE(Contains(m[2], "s.toml:4:5: m.d: found a boolean")) << m[2];
}

TEST(OptionReader, BoolIsStrict) {
  const toml::table t = Parse("a = true\nb = false\nc = 1\nd = \"true\"\n");
  OptionReader r(t, "s.toml", "m");
  EXPECT_TRUE(r.Bool("a", false));
  EXPECT_FALSE(r.Bool("b", true));
  EXPECT_FALSE(r.Bool("c", false));
  EXPECT_TRUE(r.Bool("d", true));
  EXPECT_TRUE(r.Bool("missing", true));
  const std::vector<std::string> m = r.Finish();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_TRUE(Contains(m[0], "s.toml:3:5: m.c: found a")) << m[0];
  EXPECT_TRUE(Contains(m[0], "integer; expected true or false")) << m[0];
  EXPECT_EQ(m[1], "s.toml:4:5: m.d: found a string; expected true or false");
}

TEST(OptionReader, StringWithAllowedList) {
  const toml::table t = Parse("a = \"kendall\"\nb = \"pearson\"\nc = 3\nd = \"anything\"\n");
  OptionReader r(t, "s.toml", "m");
  const std::vector<std::string> allowed = {"kendall", "spearman"};
  EXPECT_EQ(r.String("a", "spearman", allowed), "kendall");
  EXPECT_EQ(r.String("b", "spearman", allowed), "spearman");
  EXPECT_EQ(r.String("c", "x"), "x");
  EXPECT_EQ(r.String("d", "x"), "anything");  // no list: any string
  const std::vector<std::string> m = r.Finish();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0],
            "s.toml:2:5: m.b: \"pearson\" is not allowed; expected one of: kendall, spearman");
  EXPECT_TRUE(Contains(m[1], "s.toml:3:5: m.c: found a")) << m[1];
  EXPECT_TRUE(Contains(m[1], "integer; expected a string")) << m[1];
}

// ---------------------------------------------------------------------------
// Lists, tables and ranges.

TEST(OptionReader, DoubleListReportsTheElementIndex) {
  const toml::table t = Parse(
      "ok = [0, 60, 80.5, 100]\n"
      "points = [0, 60, \"80\", -1]\n"
      "scalar = 5\n");
  OptionReader r(t, "s.toml", "m");
  EXPECT_EQ(r.DoubleList("ok", AtLeast(0)), (std::vector<double>{0, 60, 80.5, 100}));
  EXPECT_FALSE(r.DoubleList("points", AtLeast(0)).has_value());
  EXPECT_FALSE(r.DoubleList("scalar").has_value());
  EXPECT_FALSE(r.DoubleList("missing").has_value());
  const std::vector<std::string> m = r.Finish();
  // Both bad elements are reported, each at its own column:
  //   points = [0, 60, "80", -1]
  //   1234567890123456789012
  // "80" starts at column 18 and -1 at column 24.
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0], "s.toml:2:18: m.points[2]: found a string; expected a number >= 0");
  EXPECT_EQ(m[1], "s.toml:2:24: m.points[3]: -1 is out of range; expected a number >= 0");
  EXPECT_TRUE(Contains(m[2], "s.toml:3:10: m.scalar: found a")) << m[2];
  EXPECT_TRUE(Contains(m[2], "expected an array of numbers")) << m[2];
}

TEST(OptionReader, IntListAndStringList) {
  const toml::table t =
      Parse("g = [0, 3]\nbad = [1, 2.5]\nnames = [\"a\", \"b\"]\nmixed = [\"a\", 1]\n");
  OptionReader r(t, "s.toml", "m");
  EXPECT_EQ(r.IntList("g", Between(0, 3)), (std::vector<int64_t>{0, 3}));
  EXPECT_FALSE(r.IntList("bad").has_value());
  EXPECT_EQ(r.StringList("names"), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(r.StringList("mixed").has_value());
  const std::vector<std::string> m = r.Finish();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], "s.toml:2:11: m.bad[1]: found a float; expected an integer");
  EXPECT_TRUE(Contains(m[1], "s.toml:4:15: m.mixed[1]: found a")) << m[1];
}

TEST(OptionReader, IntOrRangeAcceptsNumberOrPair) {
  const toml::table t = Parse(
      "one = 38\n"
      "pair = [20, 35]\n"
      "same = [4, 4]\n"
      "reversed = [35, 20]\n"
      "small = 0\n"
      "three = [1, 2, 3]\n"
      "float = [1.5, 2]\n");
  OptionReader r(t, "s.toml", "m");
  EXPECT_EQ(r.IntOrRange("one", AtLeast(1)), std::make_pair(int64_t{38}, int64_t{38}));
  EXPECT_EQ(r.IntOrRange("pair", AtLeast(1)), std::make_pair(int64_t{20}, int64_t{35}));
  EXPECT_EQ(r.IntOrRange("same", AtLeast(1)), std::make_pair(int64_t{4}, int64_t{4}));
  EXPECT_FALSE(r.IntOrRange("reversed", AtLeast(1)).has_value());
  EXPECT_FALSE(r.IntOrRange("small", AtLeast(1)).has_value());
  EXPECT_FALSE(r.IntOrRange("three", AtLeast(1)).has_value());
  EXPECT_FALSE(r.IntOrRange("float", AtLeast(1)).has_value());
  EXPECT_FALSE(r.IntOrRange("missing", AtLeast(1)).has_value());
  const std::vector<std::string> m = r.Finish();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0], "s.toml:4:12: m.reversed: [35, 20] has min > max");
  EXPECT_EQ(m[1],
            "s.toml:5:9: m.small: found 0; expected an integer or a [min, max] pair of "
            "integers, each >= 1");
  EXPECT_TRUE(Contains(m[2], "s.toml:6:9: m.three: found a")) << m[2];
  EXPECT_TRUE(Contains(m[2], "[min, max] pair")) << m[2];
  EXPECT_TRUE(Contains(m[3], "s.toml:7:10: m.float: found a float")) << m[3];
}

TEST(OptionReader, DoubleTableReadsNamesInKeyOrder) {
  const toml::table t = Parse(
      "gw = { superior = 0.3, member = 7 }\n"
      "bad = { a = 1, b = \"x\", c = -2 }\n"
      "notatable = [1]\n");
  OptionReader r(t, "s.toml", "m");
  using Table = std::vector<std::pair<std::string, double>>;
  EXPECT_EQ(r.DoubleTable("gw", AtLeast(0)), (Table{{"member", 7.0}, {"superior", 0.3}}));
  EXPECT_FALSE(r.DoubleTable("bad", AtLeast(0)).has_value());
  EXPECT_FALSE(r.DoubleTable("notatable").has_value());
  const std::vector<std::string> m = r.Finish();
  // bad = { a = 1, b = "x", c = -2 }
  // 123456789012345678901234567890
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0], "s.toml:2:20: m.bad.b: found a string; expected a number >= 0");
  EXPECT_EQ(m[1], "s.toml:2:29: m.bad.c: -2 is out of range; expected a number >= 0");
  EXPECT_TRUE(Contains(m[2], "m.notatable: found a")) << m[2];
  EXPECT_TRUE(Contains(m[2], "expected a table of name = number")) << m[2];
}

// ---------------------------------------------------------------------------
// Unknown keys, collection, locations.

TEST(OptionReader, UnknownKeysListTheValidOnes) {
  const toml::table t = Parse("points = [0, 1]\ntolerence = 1e-9\nname = \"x\"\nweight = 2\n");
  OptionReader r(t, "s.toml", "models.std", {"name"});
  r.DoubleList("points");
  r.Double("tolerance", 1e-10);
  r.Double("weight", 1);
  const std::vector<std::string> m = r.Finish();
  // "name" is ignored (accepted unread) and still listed as valid; the
  // misspelt key is reported where its value is, with the key it misspells.
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0],
            "s.toml:2:13: models.std.tolerence: unknown key (did you mean `tolerance`?); valid "
            "keys here: name, points, tolerance, weight");
}

TEST(OptionReader, RawAndErrorMarkKeysAsRead) {
  const toml::table t = Parse("custom = { x = 1 }\nother = 1\n");
  OptionReader r(t, "s.toml", "m");
  EXPECT_TRUE(r.Has("custom"));
  EXPECT_FALSE(r.Has("missing"));
  ASSERT_NE(r.Raw("custom"), nullptr);
  EXPECT_EQ(r.Raw("missing"), nullptr);
  r.Error("missing", "is required");  // no such node: the table's location
  const std::vector<std::string> m = r.Finish();
  // The unknown key before the missing one: it is the likely cause.
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], "s.toml:2:9: m.other: unknown key; valid keys here: custom, missing");
  EXPECT_EQ(m[1], "s.toml:1:1: m.missing: is required");
}

TEST(OptionReader, CollectsEveryErrorThenThrowsOneLineEach) {
  const toml::table t = Parse("a = \"x\"\nb = -1\nc = 1\n");
  OptionReader r(t, "s.toml", "m");
  r.Double("a", 0);
  r.Int("b", 0, AtLeast(0));
  try {
    r.FinishOrThrow();
    FAIL() << "no error";
  } catch (const InputError& e) {
    // Two bad keys and one unknown key: three lines, in the order found.
    EXPECT_EQ(std::string(e.what()),
              "s.toml:1:5: m.a: found a string; expected a finite number\n"
              "s.toml:2:5: m.b: -1 is out of range; expected an integer >= 0\n"
              "s.toml:3:5: m.c: unknown key; valid keys here: a, b");
  }
}

TEST(OptionReader, TwoBadKeysGiveTwoLines) {
  const std::vector<std::string> m = Messages(Parse("x = true\ny = \"no\"\n"), [](OptionReader& r) {
    r.Double("x", 0);
    r.Double("y", 0);
  });
  ASSERT_EQ(m.size(), 2u);
  EXPECT_TRUE(Contains(m[0], "s.toml:1:5: m.x:")) << m[0];
  EXPECT_TRUE(Contains(m[1], "s.toml:2:5: m.y:")) << m[1];
  EXPECT_NO_THROW(ThrowIfErrors({}));
  EXPECT_THROW(ThrowIfErrors(m), InputError);
}

TEST(OptionReader, LocationsInANestedMultiLineDocument) {
  const toml::table doc = Parse(
      "name = \"quickstart\"\n"       // line 1
      "\n"                            // line 2
      "[[models]]\n"                  // line 3
      "name = \"standard\"\n"         // line 4
      "points = [0, 60,\n"            // line 5
      "          \"eighty\", 100]\n"  // line 6: "eighty" at column 11
      "  veto_share = 1.5\n"          // line 7: the value at column 16
      "\n"                            // line 8
      "[models.group_weights]\n"      // line 9
      "superior = 0.3\n"              // line 10
      "member = true\n"               // line 11: true at column 10
  );
  const toml::table& model = *doc["models"][0].as_table();
  OptionReader r(model, "ignored.toml", "models.standard", {"name"});
  r.DoubleList("points", AtLeast(0));
  r.Double("veto_share", 1, Probability());
  r.DoubleTable("group_weights", AtLeast(0));
  const std::vector<std::string> m = r.Finish();
  ASSERT_EQ(m.size(), 3u);
  // The node's own source path wins over the reader's file name.
  EXPECT_EQ(m[0], "s.toml:6:11: models.standard.points[2]: found a string; expected a number >= 0");
  EXPECT_EQ(m[1],
            "s.toml:7:16: models.standard.veto_share: 1.5 is out of range; expected a number in "
            "[0, 1]");
  EXPECT_TRUE(Contains(m[2],
                       "s.toml:11:10: models.standard.group_weights.member: found a "
                       "boolean"))
      << m[2];
}

TEST(OptionReader, FallbackFileWhenTheDocumentHasNoPath) {
  const toml::table t = toml::parse("\n\nx = \"a\"\n");
  OptionReader r(t, "from-flag", "");
  r.Double("x", 0);
  const std::vector<std::string> m = r.Finish();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], "from-flag:3:5: x: found a string; expected a finite number");
}

TEST(OptionReader, KeyPathJoinsPathAndKey) {
  const toml::table t;
  EXPECT_EQ(OptionReader(t, "f", "models.a").KeyPath("points"), "models.a.points");
  EXPECT_EQ(OptionReader(t, "f", "").KeyPath("points"), "points");
  EXPECT_EQ(OptionReader(t, "f", "models.a").KeyPath(""), "models.a");
}

TEST(TypeName, NamesEveryValueType) {
  const toml::table t = Parse(
      "t = {}\na = []\ns = \"x\"\ni = 1\nf = 1.5\nb = true\n"
      "d = 2024-01-02\ntm = 10:00:00\ndt = 2024-01-02T10:00:00\n");
  EXPECT_EQ(TypeName(*t.get("t")), "table");
  EXPECT_EQ(TypeName(*t.get("a")), "array");
  EXPECT_EQ(TypeName(*t.get("s")), "string");
  EXPECT_EQ(TypeName(*t.get("i")), "integer");
  EXPECT_EQ(TypeName(*t.get("f")), "float");
  EXPECT_EQ(TypeName(*t.get("b")), "boolean");
  EXPECT_EQ(TypeName(*t.get("d")), "date");
  EXPECT_EQ(TypeName(*t.get("tm")), "time");
  EXPECT_EQ(TypeName(*t.get("dt")), "date-time");
}

// ---------------------------------------------------------------------------
// Fractions and misspelt keys.

TEST(OptionReader, NumbersMayBeWrittenAsFractionsInQuotes) {
  const toml::table t =
      Parse("a = \"1/3\"\nb = \" 2 / 3 \"\nc = \"4/3\"\nd = \"1/0\"\ne = \"x\"\n");
  std::vector<double> got;
  const auto msgs = Messages(t, [&](OptionReader& r) {
    for (const char* k : {"a", "b", "c", "d", "e"}) got.push_back(r.Double(k, -1, Probability()));
  });
  EXPECT_EQ(got[0], 1.0 / 3.0);  // the same double as 0.3333333333333333
  EXPECT_EQ(got[1], 2.0 / 3.0);
  EXPECT_EQ(got[2], -1);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0],
            "s.toml:3:5: m.c: 1.3333333333333333 is out of range; expected a number in [0, 1]");
  EXPECT_EQ(
      msgs[1],
      "s.toml:4:5: m.d: found \"1/0\"; expected a number in [0, 1] or a fraction such as \"1/3\"");
  EXPECT_EQ(msgs[2], "s.toml:5:5: m.e: found a string; expected a number in [0, 1]");
  EXPECT_FALSE(Fraction(*t.get("e")).has_value());
}

TEST(OptionReader, AnUnknownKeyComesFirstAndNamesTheKeyItMisspells) {
  const toml::table t = Parse("per_evalue = 3\nnoise = -1\n");
  const auto msgs = Messages(t, [](OptionReader& r) {
    r.Double("noise", 0, AtLeast(0));
    r.Error("", "expected exactly one of `count` or `per_evaluee`");
    r.Int("per_evaluee", 0);
    r.Int("count", 0);
  });
  // The range error stays first (it is no consequence); the unknown key
  // comes before the table-level problem it causes.
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_TRUE(Contains(msgs[0], "m.noise: -1 is out of range")) << msgs[0];
  EXPECT_EQ(msgs[1],
            "s.toml:1:14: m.per_evalue: unknown key (did you mean `per_evaluee`?); valid keys "
            "here: count, noise, per_evaluee");
  EXPECT_TRUE(Contains(msgs[2], "expected exactly one of")) << msgs[2];
  // No suggestion when nothing is close, or when two keys are equally close.
  const toml::table far = Parse("zzz = 1\n");
  EXPECT_FALSE(
      Contains(Messages(far, [](OptionReader& r) { r.Int("count", 0); })[0], "did you mean"));
  const toml::table tie = Parse("ab = 1\n");
  EXPECT_FALSE(Contains(Messages(tie,
                                 [](OptionReader& r) {
                                   r.Int("ac", 0);
                                   r.Int("ad", 0);
                                 })[0],
                        "did you mean"));
}

TEST(OptionReader, AValueFromTheCommandLineIsNamedByItsFlag) {
  toml::table parsed = toml::parse("v = -2", std::string("--set noise=-2"));
  toml::table t;
  t.insert_or_assign("noise", std::move(*parsed.get("v")));
  const auto msgs = Messages(t, [](OptionReader& r) { r.Double("noise", 0, AtLeast(0)); });
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], "--set noise=-2: m.noise: -2 is out of range; expected a number >= 0");
}

}  // namespace
}  // namespace evalsim
