// The bad-input catalogue: one case per class of malformed input, for every
// reader the command line exposes (ratings, pairwise, PrefLib and indicators
// ballots through `evalsim score`, indicators through `evalsim weights`, AHP
// matrices through `evalsim ahp`, scenarios through `evalsim validate`), run
// through the real binary. Every bad case must end with exit code 2, nothing
// on stdout, exactly one line on stderr ("evalsim: FILE:LINE[:COL]: ...")
// that names the file, the line (and the column where the reader knows it)
// and says what was expected, and no file at --out. Unusual but valid
// inputs (CRLF, BOM, RFC 4180 quoting, Chinese ids, no final newline,
// columns in another order) must give the same scores as the plain file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <span>
#include <string>
#include <vector>

#include "sim/io/csv.h"
#include "tests/support/cli_util.h"

namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using testing_util::Slurp;

// The line/column a message must name. kFileOnly: the problem is the whole
// file (empty, no rows) and the message names the file alone.
constexpr long kFileOnly = -1;
constexpr long kAnyColumn = -2;  // a column may or may not be given

struct Outcome {
  int code = -1;
  std::string out, err;
};

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("evalsim_bad_input_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& bytes) {
    const fs::path p = dir_ / name;
    std::ofstream f(p, std::ios::binary);
    f << bytes;
    return p.string();
  }

  // The --out path of a case, with no file there yet.
  std::string FreshOut() {
    const fs::path p = dir_ / "scores.csv";
    fs::remove(p);
    return p.string();
  }

  // Runs `evalsim ARGS`, stdout and stderr kept apart.
  Outcome Run(const std::string& args) {
    const std::string out = (dir_ / "stdout.txt").string();
    const std::string err = (dir_ / "stderr.txt").string();
    const std::string cmd =
        std::string(EVALSIM_BINARY) + " " + args + " >" + out + " 2>" + err + " </dev/null";
    const int status = std::system(cmd.c_str());
    Outcome o;
    o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = Slurp(out);
    o.err = Slurp(err);
    return o;
  }

  // Checks the contract for a refused input. `line` is the expected line
  // (kFileOnly: none), `column` the expected column (0: none, kAnyColumn:
  // either). `out` is the --out file that must not exist afterwards ("" if
  // none was given).
  void ExpectRefused(const std::string& what, const Outcome& o, const std::string& file, long line,
                     long column, const std::string& expected, const std::string& out = "") {
    SCOPED_TRACE(what);
    EXPECT_EQ(o.code, 2) << o.err;
    EXPECT_EQ(o.out, "") << "stdout must stay empty";
    if (!out.empty()) {
      EXPECT_FALSE(fs::exists(out)) << "partial output left at " << out;
    }
    const std::string prefix = "evalsim: ";
    ASSERT_TRUE(o.err.rfind(prefix, 0) == 0) << o.err;
    ASSERT_FALSE(o.err.empty());
    EXPECT_EQ(o.err.back(), '\n');
    const std::string msg = o.err.substr(prefix.size(), o.err.size() - prefix.size() - 1);
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "more than one line:\n" << o.err;
    EXPECT_EQ(msg.find('\0'), std::string::npos) << "a NUL byte in the message";
    std::string loc = file + ":";
    if (line != kFileOnly) loc += std::to_string(line) + ":";
    ASSERT_TRUE(msg.rfind(loc, 0) == 0) << "expected the message to start with " << loc << "\n"
                                        << msg;
    std::string rest = msg.substr(loc.size());
    if (line != kFileOnly && column > 0) {
      const std::string col = std::to_string(column) + ":";
      EXPECT_TRUE(rest.rfind(col, 0) == 0) << "expected column " << column << "\n" << msg;
    } else if (line != kFileOnly && column == 0) {
      EXPECT_FALSE(std::regex_search(rest, std::regex("^[0-9]+:"))) << msg;
    }
    EXPECT_NE(msg.find(expected), std::string::npos)
        << "expected the message to hold \"" << expected << "\"\n"
        << msg;
  }

  fs::path dir_;
};

// One malformed file: its bytes, the line and column the message must name,
// and a substring of what it must say.
struct FileCase {
  const char* name;
  std::string text;
  long line;
  long column;
  const char* expected;
  std::string extra_flags = "";
};

// --------------------------------------------------------------------------
// Ratings CSV (evalsim score --format ratings)

const std::vector<FileCase>& RatingsCases() {
  static const std::vector<FileCase> cases = {
      {"empty file", "", kFileOnly, 0, "empty file; expected a header line rater,ratee,grade"},
      {"blank lines only", "\n  \n\r\n", kFileOnly, 0, "empty file"},
      {"header only", "rater,ratee,grade\n", kFileOnly, 0, "no ballot rows after the header"},
      {"no header", "r1,A,3\nr2,A,2\n", 1, 0, "unknown column 'r1'; expected a header"},
      {"misnamed header", "rater,ratee,grde\nr1,A,3\n", 1, 0, "unknown column 'grde'"},
      {"missing column", "rater,ratee\nr1,A\n", 1, 0, "missing column 'grade'"},
      {"duplicate column", "rater,ratee,grade,rater\nr1,A,3,r1\n", 1, 0,
       "duplicate column 'rater'"},
      {"row too short", "rater,ratee,grade\nr1,A,3\nr2,A\n", 3, 0,
       "found 2 fields; expected 3 as in the header"},
      {"row too long", "rater,ratee,grade\nr1,A,3\nr2,A,2,9\n", 3, 0, "found 4 fields; expected 3"},
      {"non-numeric grade", "rater,ratee,grade\nr1,A,good\n", 2, 0,
       "column 'grade': found \"good\"; expected an integer 0..249"},
      {"negative grade", "rater,ratee,grade\nr1,A,-1\n", 2, 0,
       "column 'grade': found \"-1\"; expected an integer"},
      {"fractional grade", "rater,ratee,grade\nr1,A,2.5\n", 2, 0,
       "column 'grade': found \"2.5\"; expected an integer"},
      {"grade beyond levels", "rater,ratee,grade\nr1,A,3\nr2,A,4\n", 3, 0,
       "found \"4\"; expected an integer 0..3 (0 = the lowest grade, levels = 4) or an empty "
       "cell (abstention)",
       "--set levels=4"},
      {"grade overflow", "rater,ratee,grade\nr1,A,99999999999999999999\n", 2, 0,
       "found \"99999999999999999999\"; expected an integer"},
      {"grade beyond the largest scale", "rater,ratee,grade\nr1,A,250\n", 2, 0,
       "found \"250\"; expected an integer 0..249"},
      {"negative weight", "rater,ratee,grade,weight\nr1,A,3,-1\n", 2, 0,
       "column 'weight': found \"-1\"; expected a finite number >= 0"},
      {"NaN weight", "rater,ratee,grade,weight\nr1,A,3,1\nr2,A,2,nan\n", 3, 0,
       "column 'weight': found \"nan\"; expected a finite number >= 0"},
      {"inf weight", "rater,ratee,grade,weight\nr1,A,3,inf\n", 2, 0,
       "found \"inf\"; expected a finite number >= 0"},
      {"weight beyond float", "rater,ratee,grade,weight\nr1,A,3,1e39\n", 2, 0,
       "found \"1e39\"; expected a finite number >= 0"},
      {"text weight", "rater,ratee,grade,weight\nr1,A,3,heavy\n", 2, 0, "found \"heavy\""},
      {"empty rater", "rater,ratee,grade\n,A,3\n", 2, 0,
       "column 'rater': found an empty cell; expected a name"},
      {"empty ratee", "rater,ratee,grade\nr1,,3\n", 2, 0,
       "column 'ratee': found an empty cell; expected a name"},
      {"empty group", "rater,ratee,grade,group\nr1,A,3,\n", 2, 0,
       "column 'group': found an empty cell"},
      {"unterminated quote", "rater,ratee,grade\nr1,A,3\n\"r2,A,2\nr3,A,1\n", 3, 0,
       "unterminated quoted field"},
      {"quote inside a field", "rater,ratee,grade\nr1,A\"x,3\n", 2, kAnyColumn,
       "malformed quoting"},
      {"invalid UTF-8 in an id", "rater,ratee,grade\nr1,A\xff\xfe,3\n", 2, 0,
       "column 'ratee': found \"A\\xFF\\xFE\"; expected UTF-8 text"},
      {"NUL byte", "rater,ratee,grade\nr1,A,3\nr2,B\0x,2\n"s, 3, 5, "found a NUL byte"},
      {"rater in two groups", "rater,ratee,grade,group\nr1,A,3,g1\nr1,B,2,g2\n", 3, 0,
       "a rater belongs to one group"},
      {"repeated pair", "rater,ratee,grade\nr1,A,3\nr2,A,1\nr1,A,2\n", 4, 0,
       "rater \"r1\" rates ratee \"A\" again (first on line 2)"},
      {"every grade abstains", "rater,ratee,grade\nr1,A,\n", kFileOnly, 0, "every grade is empty"},
  };
  return cases;
}

TEST_F(BadInputTest, RatingsCsvRefusals) {
  for (const FileCase& c : RatingsCases()) {
    const std::string f = Write("ratings.csv", c.text);
    const std::string out = FreshOut();
    const Outcome o =
        Run("score --model weighted_mean --ballots " + f + " --out " + out + " " + c.extra_flags);
    ExpectRefused(std::string("ratings: ") + c.name, o, f, c.line, c.column, c.expected, out);
  }
}

// --------------------------------------------------------------------------
// Pairwise CSV (evalsim score --format pairwise)

TEST_F(BadInputTest, PairwiseCsvRefusals) {
  const std::vector<FileCase> cases = {
      {"empty file", "", kFileOnly, 0, "empty file; expected a header line winner,loser"},
      {"header only", "winner,loser\n", kFileOnly, 0, "no comparison rows after the header"},
      {"no header", "A,B\n", 1, 0, "unknown column 'A'; expected a header with winner, loser"},
      {"misnamed header", "winner,looser\nA,B\n", 1, 0, "unknown column 'looser'"},
      {"missing column", "winner,weight\nA,1\n", 1, 0, "missing column 'loser'"},
      {"duplicate column", "winner,loser,loser\nA,B,C\n", 1, 0, "duplicate column 'loser'"},
      {"row too short", "winner,loser\nA,B\nC\n", 3, 0, "found 1 field; expected 2"},
      {"row too long", "winner,loser\nA,B,C\n", 2, 0, "found 3 fields; expected 2"},
      {"negative weight", "winner,loser,weight\nA,B,-0.5\n", 2, 0,
       "column 'weight': found \"-0.5\"; expected a finite number >= 0"},
      {"NaN weight", "winner,loser,weight\nA,B,NaN\n", 2, 0, "found \"NaN\""},
      {"inf weight", "winner,loser,weight\nA,B,-inf\n", 2, 0, "found \"-inf\""},
      {"overflowing weight", "winner,loser,weight\nA,B,1e400\n", 2, 0, "found \"1e400\""},
      {"empty winner", "winner,loser\n,B\n", 2, 0, "column 'winner': found an empty cell"},
      {"empty loser", "winner,loser\nA,\n", 2, 0, "column 'loser': found an empty cell"},
      {"self comparison", "winner,loser\nA,A\n", 2, 0, "a ratee is not compared with itself"},
      {"unterminated quote", "winner,loser\n\"A,B\n", 2, 0, "unterminated quoted field"},
      {"invalid UTF-8", "winner,loser\n\xc3\x28,B\n", 2, 0, "expected UTF-8 text"},
      {"NUL byte", "winner,loser\nA,B\0\n"s, 2, 4, "found a NUL byte"},
  };
  for (const FileCase& c : cases) {
    const std::string f = Write("pairs.csv", c.text);
    const std::string out = FreshOut();
    const Outcome o =
        Run("score --model bradley_terry --format pairwise --ballots " + f + " --out " + out);
    ExpectRefused(std::string("pairwise: ") + c.name, o, f, c.line, c.column, c.expected, out);
  }
}

// --------------------------------------------------------------------------
// Indicators CSV (evalsim score --format indicators, evalsim weights)

TEST_F(BadInputTest, IndicatorsCsvRefusals) {
  const std::vector<FileCase> cases = {
      {"empty file", "", kFileOnly, 0, "empty file; expected a header line unit,"},
      {"header only", "unit,x,y\n", kFileOnly, 0, "no unit rows after the header"},
      {"misnamed first column", "units,x\nA,1\n", 1, 0,
       "the first column is 'units'; expected 'unit'"},
      {"no header", "A,1,2\nB,2,3\n", 1, 0, "the first column is 'A'; expected 'unit'"},
      {"no indicator column", "unit\nA\n", 1, 0, "no indicator columns"},
      {"empty indicator name", "unit,x,\nA,1,2\n", 1, 0, "column 3 has an empty name"},
      {"duplicate indicator", "unit,x,x\nA,1,2\n", 1, 0, "duplicate column 'x'"},
      {"invalid UTF-8 indicator", "unit,x\xe2\x82\nA,1\n", 1, 0,
       "expected an indicator name in UTF-8"},
      {"row too short", "unit,x,y\nA,1,2\nB,1\n", 3, 0, "found 2 fields; expected 3"},
      {"row too long", "unit,x,y\nA,1,2,3\n", 2, 0, "found 4 fields; expected 3"},
      {"non-numeric value", "unit,x,y\nA,1,2\nB,high,3\n", 3, 0,
       "column 2 (indicator 'x'), unit \"B\": found \"high\"; expected a decimal number"},
      {"NaN value", "unit,x,y\nA,1,nan\n", 2, 0, "found \"nan\"; expected a decimal number"},
      {"inf value", "unit,x,y\nA,inf,1\n", 2, 0, "found \"inf\"; expected a decimal number"},
      {"overflowing value", "unit,x\nA,1e999\n", 2, 0, "found \"1e999\""},
      {"empty unit", "unit,x\n,1\n", 2, 0, "column 'unit': found an empty cell"},
      {"repeated unit", "unit,x\nA,1\nA,2\n", 3, 0, "unit \"A\" appears again (first on line 2)"},
      {"unterminated quote", "unit,x\nA,\"1\n", 2, 0, "unterminated quoted field"},
      {"invalid UTF-8 unit", "unit,x\n\xed\xa0\x80,1\n", 2, 0, "expected UTF-8 text"},
      {"NUL byte", "unit,x\n\0A,1\n"s, 2, 1, "found a NUL byte"},
  };
  for (const FileCase& c : cases) {
    const std::string f = Write("ind.csv", c.text);
    const std::string out = FreshOut();
    Outcome o = Run("score --model topsis --format indicators --ballots " + f + " --out " + out);
    ExpectRefused(std::string("indicators (score): ") + c.name, o, f, c.line, c.column, c.expected,
                  out);
    o = Run("weights --method entropy --ballots " + f);
    ExpectRefused(std::string("indicators (weights): ") + c.name, o, f, c.line, c.column,
                  c.expected);
  }
}

// --------------------------------------------------------------------------
// PrefLib (evalsim score --format preflib)

const std::string kPreflibHead =
    "# FILE NAME: t.toi\n"
    "# DATA TYPE: toi\n"
    "# NUMBER ALTERNATIVES: 3\n"
    "# ALTERNATIVE NAME 1: A\n"
    "# ALTERNATIVE NAME 2: B\n"
    "# ALTERNATIVE NAME 3: C\n";

TEST_F(BadInputTest, PreflibRefusals) {
  const std::string& h = kPreflibHead;                                           // 6 lines
  const std::string totals = "# NUMBER VOTERS: 3\n# NUMBER UNIQUE ORDERS: 2\n";  // lines 7-8
  struct PrefCase {
    FileCase c;
    const char* ext;
  };
  const std::vector<PrefCase> cases = {
      {{"empty file", "", kFileOnly, 0, "empty file; expected a PrefLib ordinal file"}, "toi"},
      {{"not a header", "hello\n", 1, 1, "expected a '# KEY: value' header line"}, "toi"},
      {{"missing NUMBER ALTERNATIVES", "# DATA TYPE: toi\n1: 1\n", 2, 1,
        "missing '# NUMBER ALTERNATIVES: m' header line"},
       "toi"},
      {{"non-integer count", h + "1.5: 1,2,3\n", 7, 1,
        "malformed count: found \"1.5: 1,2,3\"; expected a line 'count: order' with an integer "
        "count >= 1"},
       "toi"},
      {{"text count", h + "x: 1,2,3\n", 7, 1, "malformed count"}, "toi"},
      {{"zero count", h + "0: 1,2,3\n", 7, 1, "integer count >= 1"}, "toi"},
      {{"negative count", h + "-2: 1,2,3\n", 7, 1, "malformed count"}, "toi"},
      {{"overflowing count", h + "99999999999999999999: 1,2,3\n", 7, 1, "the count is too large"},
       "toi"},
      {{"alternative out of range", h + "1: 1,4\n", 7, 6,
        "unknown alternative 4; expected an id in 1..3"},
       "toi"},
      {{"alternative zero", h + "1: 0,1\n", 7, 4, "unknown alternative 0"}, "toi"},
      {{"repeated alternative", h + "1: 1,2,1\n", 7, 8,
        "alternative 1 is listed twice in this order (first at column 4)"},
       "toi"},
      {{"unclosed tie", h + "1: {1,2\n", 7, 4, "unbalanced '{': no '}' closes this tie"}, "toi"},
      {{"stray closing brace", h + "1: 1,2}\n", 7, 7, "unbalanced '}'"}, "toi"},
      {{"nested tie", h + "1: {1,{2}}\n", 7, 7, "ties do not nest"}, "toi"},
      {{"empty tie", h + "1: {},1\n", 7, 5, "empty tie"}, "toi"},
      {{"tie in a strict file",
        "# DATA TYPE: soi\n# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: A\n"
        "# ALTERNATIVE NAME 2: B\n1: {1,2}\n",
        5, 4, "a .soi file holds strict orders without ties"},
       "soi"},
      {{"incomplete order in a complete file",
        "# DATA TYPE: soc\n# NUMBER ALTERNATIVES: 3\n# ALTERNATIVE NAME 1: A\n"
        "# ALTERNATIVE NAME 2: B\n# ALTERNATIVE NAME 3: C\n2: 1,2,3\n1: 3,1\n",
        7, 1, "the order lists 2 of the 3 alternatives; a .soc file lists every alternative"},
       "soc"},
      {{"NUMBER VOTERS disagrees", h + totals + "2: 1,2,3\n2: 3\n", 7, 0,
        "NUMBER VOTERS is 3, but the counts of the 2 order lines sum to 4"},
       "toi"},
      {{"NUMBER UNIQUE ORDERS disagrees", h + totals + "3: 1,2,3\n", 8, 0,
        "NUMBER UNIQUE ORDERS is 2, but the file has 1 order lines"},
       "toi"},
      {{"NUMBER ALTERNATIVES disagrees with the names",
        "# NUMBER ALTERNATIVES: 4\n# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n"
        "# ALTERNATIVE NAME 3: C\n1: 1,2\n",
        1, 0, "NUMBER ALTERNATIVES is 4, but alternative 4 has no '# ALTERNATIVE NAME 4"},
       "toi"},
      {{"name of an unknown alternative", h + "# ALTERNATIVE NAME 5: E\n1: 1\n", 7, 19,
        "unknown alternative 5; expected an id in 1..3"},
       "toi"},
      {{"NUMBER VOTERS not an integer", h + "# NUMBER VOTERS: many\n1: 1\n", 7, 18,
        "NUMBER VOTERS: found \"many\"; expected an integer >= 0"},
       "toi"},
      {{"unknown DATA TYPE", "# DATA TYPE: soc2\n", 1, 14, "expected soc, soi, toc or toi"}, "toi"},
      {{"header after the orders", h + "1: 1,2\n# NUMBER VOTERS: 1\n", 8, 1,
        "found a '#' header line after the orders"},
       "toi"},
      {{"empty alternative name",
        "# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2:   \n1: 1,2\n", 3,
        19, "alternative 2 has an empty name"},
       "toi"},
      {{"invalid UTF-8 in a name",
        "# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\xff\n"
        "1: 1,2\n",
        3, 24, "expected UTF-8 text"},
       "toi"},
      {{"NUL byte",
        h + "1: 1,\0"
            "2\n"s,
        7, 0, "found a NUL byte"},
       "toi"},
      {{"old format: bad voters line", "2\n1,A\n2,B\n3,3\n3,1,2\n", 4, 1,
        "expected 'voters,sum of counts,unique orders'"},
       "soc"},
      {{"old format: sum of counts disagrees", "2\n1,A\n2,B\n3,4,1\n3,1,2\n", 4, 0,
        "the sum of counts is 4, but the counts of the 1 order lines sum to 3"},
       "soc"},
      {{"old format: truncated", "3\n1,A\n2,B\n", kFileOnly, 0,
        "the file ends after 2 of the 3 alternative lines"},
       "soc"},
  };
  for (const PrefCase& pc : cases) {
    const FileCase& c = pc.c;
    const std::string f = Write(std::string("prefs.") + pc.ext, c.text);
    const std::string out = FreshOut();
    const Outcome o = Run("score --model borda --format preflib --ballots " + f + " --out " + out);
    ExpectRefused(std::string("preflib: ") + c.name, o, f, c.line, c.column, c.expected, out);
  }
}

// --------------------------------------------------------------------------
// AHP matrix CSV (evalsim ahp)

TEST_F(BadInputTest, AhpMatrixRefusals) {
  const std::vector<FileCase> cases = {
      {"empty file", "", kFileOnly, 0, "the AHP matrix file is empty"},
      {"header only", ",a,b\n", 1, 0, "has a header but no rows"},
      {"row too short", "1,2,3\n1/2,1,2\n1/3,1/2\n", 3, 0, "row 3 has 2 comparison(s); expected 3"},
      {"row too long", "1,2\n1/2,1,7\n", 2, 0, "row 2 has 3 comparison(s); expected 2"},
      {"non-numeric cell", "1,2\nhalf,1\n", 2, 1,
       "cell (2, 1): found \"half\"; expected a number or a fraction such as 1/3"},
      {"negative cell", "1,-2\n-0.5,1\n", 1, 3, "cell (1, 2): found \"-2\"; expected a number > 0"},
      {"zero cell", "1,0\n1,1\n", 1, 3, "expected a number > 0"},
      {"NaN cell", "1,nan\n1,1\n", 1, 3, "found \"nan\"; expected a number > 0"},
      {"inf cell", "1,inf\n0,1\n", 1, 3, "found \"inf\"; expected a number > 0"},
      {"division by zero", "1,1/0\n1,1\n", 1, 3, "found \"1/0\"; expected a number or a fraction"},
      {"overflowing cell", "1,1e400\n1,1\n", 1, 3, "found \"1e400\""},
      {"diagonal not 1", "2,3\n1/3,1\n", 1, 1, "a diagonal cell must be 1"},
      {"not reciprocal", "1,3\n1/2,1\n", 2, 1, "they must be reciprocal"},
      {"huge integer", "1,99999999999999999999\n1,1\n", 2, 1, "they must be reciprocal"},
      {"empty row name", ",a,b\na,1,2\n,1/2,1\n", 3, 1, "row 2 has an empty name"},
      {"empty header name", ",a,\na,1,2\nb,1/2,1\n", 1, 4, "header: column 2 has an empty name"},
      {"header disagrees with rows", ",a,b\na,1,2\nc,1/2,1\n", 1, 4,
       "header: column 2 is \"b\" but row 2 is \"c\""},
      {"header too long", "a,b,c,d\n1,2\n1/2,1\n", 1, 0, "the header has 4 cell(s); expected 2"},
      {"invalid UTF-8 name", ",a,b\xff\na,1,2\nb\xff,1/2,1\n", 3, 2,
       "the name of row 2 is \"b\\xFF\"; expected UTF-8 text"},
      {"invalid UTF-8 header name", ",a,b\xff\n1,2\n1/2,1\n", 1, 5,
       "header: the name of column 2 is \"b\\xFF\"; expected UTF-8 text"},
      {"quoted name", ",a,\"b\"\na,1,2\n\"b\",1/2,1\n", 3, 1,
       "expected a name without '\"' (an AHP matrix is split on commas with no quoting"},
      {"NUL byte",
       "1,2\n1/2,\0"
       "1\n"s,
       2, 5, "found a NUL byte"},
  };
  for (const FileCase& c : cases) {
    const std::string f = Write("matrix.csv", c.text);
    const Outcome o = Run("ahp " + f);
    ExpectRefused(std::string("ahp: ") + c.name, o, f, c.line, c.column, c.expected);
  }
}

// --------------------------------------------------------------------------
// Scenario TOML (evalsim validate): one case per validation rule of
// sim/scenario/*.cc and sim/core/options.cc.

const std::string kScenario = R"(name = "t"
seed = 1
replicates = 2

[scale]
labels = ["a", "b", "c", "d"]
shares = [0.1, 0.2, 0.3, 0.4]

[organisation]
levels = [{ name = "district", count = 2 }, { name = "town", count = 3 }]
evaluees = "town"

[meetings]
by = "district"

[[raters]]
group = "superior"
count = 4

[[raters]]
group = "member"
count = 5

[[models]]
name = "standard"
model = "weighted_mean"
)";

// With indicators and a composite entry, for the [uncertainty] rules.
const std::string kIndicatorTail = R"(
[[indicators]]
name = "x"

[[indicators]]
name = "y"

[[models]]
name = "index"
model = "composite"

[[models]]
name = "ts"
model = "topsis"
)";

struct ScenarioCase {
  const char* name;
  std::string from;  // replaced in the base text (must occur once); "" = append `to`
  std::string to;
  const char* expected;
  long line = 0;  // 0: the line of the edit; kFileOnly: none; kAnyColumn: any line
  bool indicators = false;
  std::string flags = "";
  std::vector<std::pair<std::string, std::string>> more = {};  // further edits
};

// Line (1-based) of the first non-newline byte of `to` once placed at `at`.
long LineOf(const std::string& text, size_t at, const std::string& to) {
  size_t i = at;
  while (i < text.size() && i < at + to.size() && text[i] == '\n') ++i;
  long line = 1;
  for (size_t k = 0; k < i; ++k)
    if (text[k] == '\n') ++line;
  return line;
}

std::vector<ScenarioCase> ScenarioCases() {
  const long any = kAnyColumn;
  std::string many_groups;
  for (int i = 0; i < 201; ++i)
    many_groups += "[[raters]]\ngroup = \"g" + std::to_string(i) + "\"\ncount = 1\n";
  std::vector<ScenarioCase> v = {
      // TOML syntax, unknown keys, wrong types.
      {"syntax: missing value", "seed = 1", "seed = ", "expected", 0},
      {"syntax: unterminated string", "name = \"t\"", "name = \"t", "string", 0},
      {"syntax: duplicate key", "replicates = 2", "replicates = 2\nreplicates = 3", "redefin", 4},
      {"unknown top-level key", "name = \"t\"", "colour = \"red\"\nname = \"t\"",
       "colour: unknown key; valid keys here"},
      {"unknown key in a table", "by = \"district\"", "by = \"district\"\nbye = 1",
       "meetings.bye: unknown key", 15},
      {"unknown key in [[raters]]", "count = 4", "count = 4\nnoisy = 1",
       "raters.superior.noisy: unknown key", 19},
      {"unknown model option", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\npointz = [0, 1, 2, 3]", "pointz", 27},
      {"wrong type: string for integer", "seed = 1", "seed = \"1\"",
       "seed: found a string; expected an integer"},
      {"wrong type: float for integer", "replicates = 2", "replicates = 2.5",
       "replicates: found a float; expected an integer"},
      {"wrong type: number for string", "name = \"t\"", "name = 5",
       "name: found an integer; expected a string"},
      {"wrong type: string for number", "count = 5", "count = 5\nnoise = \"low\"",
       "raters.member.noise: found a string; expected a number >= 0", 23},
      {"wrong type: boolean", "count = 5", "count = 5\nfrom_evaluees = 1",
       "from_evaluees: found an integer; expected true or false", 23},
      {"wrong type: list element", "labels = [\"a\", \"b\", \"c\", \"d\"]",
       "labels = [\"a\", \"b\", 3, \"d\"]", "scale.labels[2]: found an integer; expected a string"},
      {"wrong type: list", "shares = [0.1, 0.2, 0.3, 0.4]", "shares = 0.5",
       "scale.shares: found a float; expected an array of numbers"},
      {"wrong type: table of numbers", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\ngroup_weights = 1", "group_weights", 27},
      // --set overrides
      {"--set without =", "", "", "--set seed: expected key.path=value", kFileOnly, false,
       "--set seed"},
      {"--set with a bad value", "", "", "is not a TOML value", kFileOnly, false,
       "--set name=quick"},
      {"--set on an array of tables", "", "", "raters is an array of tables", kFileOnly, false,
       "--set raters.noise=1"},
      {"--set on a missing element", "", "", "raters has no element \"nobody\"", kFileOnly, false,
       "--set raters.nobody.noise=1"},
      {"--set through a value", "", "", "name is a string, not a table", kFileOnly, false,
       "--set name.x=1"},
      // Top level
      {"missing name", "name = \"t\"\n", "", "missing required key `name`", any},
      {"missing seed", "seed = 1\n", "", "missing required key `seed`", any},
      {"negative seed", "seed = 1", "seed = -1", "seed: -1 is out of range"},
      {"zero replicates", "replicates = 2", "replicates = 0", "replicates: 0 is out of range"},
      // [scale]
      {"missing [scale]",
       "[scale]\nlabels = [\"a\", \"b\", \"c\", \"d\"]\n"
       "shares = [0.1, 0.2, 0.3, 0.4]\n",
       "", "missing required table [scale]", any},
      {"scale not a table",
       "replicates = 2\n\n[scale]\nlabels = [\"a\", \"b\", \"c\", \"d\"]\n"
       "shares = [0.1, 0.2, 0.3, 0.4]\n",
       "replicates = 2\nscale = 4\n", "scale: found an integer; expected a table", 4},
      {"missing labels", "labels = [\"a\", \"b\", \"c\", \"d\"]\n", "",
       "missing required key `labels`", any},
      {"one label", "labels = [\"a\", \"b\", \"c\", \"d\"]\nshares = [0.1, 0.2, 0.3, 0.4]",
       "labels = [\"a\"]\nshares = [1.0]", "scale.labels: has 1 grades; expected 2 to"},
      {"shares count", "shares = [0.1, 0.2, 0.3, 0.4]", "shares = [0.5, 0.5]",
       "scale.shares: has 2 values; expected one per label (4)"},
      {"shares sum", "shares = [0.1, 0.2, 0.3, 0.4]", "shares = [0.1, 0.2, 0.3, 0.3]",
       "shares that sum to 1"},
      {"negative share", "shares = [0.1, 0.2, 0.3, 0.4]", "shares = [-0.1, 0.4, 0.3, 0.4]",
       "scale.shares[0]: -0.1 is out of range; expected a number in [0, 1]"},
      {"missing shares", "shares = [0.1, 0.2, 0.3, 0.4]\n", "", "missing required key `shares`",
       any},
      // [organisation]
      {"missing [organisation]",
       "[organisation]\nlevels = [{ name = \"district\", count = 2 }, { name = \"town\", count = "
       "3 }]\nevaluees = \"town\"\n",
       "", "missing required table [organisation]", any},
      {"missing levels",
       "levels = [{ name = \"district\", count = 2 }, { name = \"town\", count = 3 }]\n", "",
       "missing required key `levels`", any},
      {"empty levels",
       "levels = [{ name = \"district\", count = 2 }, { name = \"town\", count = 3 }]",
       "levels = []", "organisation.levels: expected a non-empty array"},
      {"level not a table", "{ name = \"town\", count = 3 }", "{ name = \"town\", count = 3 }, 7",
       "levels[2]: expected a table { name = ..., count = ... }"},
      {"level without name", "{ name = \"town\", count = 3 }",
       "{ name = \"town\", count = 3 }, { count = 2 }", "missing required key `name`"},
      {"level without count", "{ name = \"town\", count = 3 }",
       "{ name = \"town\", count = 3 }, { name = \"village\" }", "missing required key `count`"},
      {"level named twice", "{ name = \"town\", count = 3 }",
       "{ name = \"town\", count = 3 }, { name = \"town\", count = 1 }",
       "level \"town\" is named twice"},
      {"count of the wrong type", "name = \"town\", count = 3", "name = \"town\", count = \"3\"",
       "count: found a string; expected an integer, a [min, max] pair"},
      {"negative count", "name = \"town\", count = 3", "name = \"town\", count = -3",
       "count: found -3; expected an integer or a [min, max] pair"},
      {"count range min > max", "name = \"town\", count = 3", "name = \"town\", count = [5, 2]",
       "[5, 2] has min > max"},
      {"count range of three", "name = \"town\", count = 3", "name = \"town\", count = [1, 2, 3]",
       "count: found an array; expected an integer or a [min, max] pair"},
      {"count table missing keys", "name = \"town\", count = 3",
       "name = \"town\", count = { dist = \"lognormal\", mean = 3, sd = 1, min = 1 }",
       "missing required key `max`"},
      {"count table unknown dist", "name = \"town\", count = 3",
       "name = \"town\", count = { dist = \"normal\", mean = 3, sd = 1, min = 1, max = 9 }",
       "dist: \"normal\" is not allowed; expected one of: lognormal"},
      {"count table mean <= 0", "name = \"town\", count = 3",
       "name = \"town\", count = { dist = \"lognormal\", mean = 0, sd = 1, min = 0, max = 9 }",
       "mean: 0 is out of range; expected a number > 0"},
      {"count table negative sd", "name = \"town\", count = 3",
       "name = \"town\", count = { dist = \"lognormal\", mean = 3, sd = -1, min = 1, max = 9 }",
       "sd: -1 is out of range; expected a number >= 0"},
      {"count table min > max", "name = \"town\", count = 3",
       "name = \"town\", count = { dist = \"lognormal\", mean = 3, sd = 1, min = 5, max = 4 }",
       "max = 4 is below min = 5"},
      {"count table mean outside", "name = \"town\", count = 3",
       "name = \"town\", count = { dist = \"lognormal\", mean = 30, sd = 1, min = 1, max = 9 }",
       "mean = 30 lies outside [min, max] = [1, 9]"},
      {"missing evaluees", "evaluees = \"town\"\n", "", "missing required key `evaluees`", any},
      {"unknown evaluee level", "evaluees = \"town\"", "evaluees = \"village\"",
       "level \"village\" does not exist; levels: district, town"},
      {"empty organisation", "name = \"town\", count = 3", "name = \"town\", count = 0",
       "empty organisation: level \"town\" has count 0", any},
      {"quality sd negative", "evaluees = \"town\"", "evaluees = \"town\"\nquality = { sd = -1.0 }",
       "quality.sd: -1 is out of range", 12},
      {"quality inherited above 1", "evaluees = \"town\"",
       "evaluees = \"town\"\nquality = { inherited = 1.5 }",
       "quality.inherited: 1.5 is out of range; expected a number in [0, 1]", 12},
      // [[organisation.types]]
      {"types empty", "evaluees = \"town\"", "evaluees = \"town\"\ntypes = []",
       "found an empty array; expected a non-empty array of tables", 12},
      {"type without name", "[meetings]", "[[organisation.types]]\nshare = 1.0\n\n[meetings]",
       "missing required key `name`", any},
      {"type named twice", "[meetings]",
       "[[organisation.types]]\nname = \"a\"\nshare = 0.5\n[[organisation.types]]\nname = "
       "\"a\"\nshare = 0.5\n\n[meetings]",
       "type \"a\" is named twice", 17},
      {"type without share", "[meetings]", "[[organisation.types]]\nname = \"a\"\n\n[meetings]",
       "missing required key `share`", any},
      {"type share above 1", "[meetings]",
       "[[organisation.types]]\nname = \"a\"\nshare = 1.5\n\n[meetings]",
       "share: 1.5 is out of range", 15},
      {"type leniency out of range", "[meetings]",
       "[[organisation.types]]\nname = \"a\"\nshare = 1.0\nleniency = 1000\n\n[meetings]",
       "leniency: 1000 is out of range", 16},
      {"type groups empty", "[meetings]",
       "[[organisation.types]]\nname = \"a\"\nshare = 1.0\ngroups = []\n\n[meetings]",
       "groups: is empty; list at least one rater group", 16},
      {"types shares sum", "[meetings]",
       "[[organisation.types]]\nname = \"a\"\nshare = 0.5\n\n[meetings]",
       "the types' `share` values sum to 0.5; expected a sum of 1", any},
      {"type group listed twice", "[meetings]",
       "[[organisation.types]]\nname = \"a\"\nshare = 1.0\ngroups = [\"member\", "
       "\"member\"]\n\n[meetings]",
       "group \"member\" is listed twice", 16},
      {"type group unknown", "[meetings]",
       "[[organisation.types]]\nname = \"a\"\nshare = 1.0\ngroups = [\"boss\"]\n\n[meetings]",
       "\"boss\" is not a rater group; groups: superior, member", 16},
      // [meetings]
      {"unknown meeting level", "by = \"district\"", "by = \"city\"",
       "meetings.by: level \"city\" does not exist; expected one of: all, district, town"},
      {"meetings below the evaluees", "evaluees = \"town\"\n\n[meetings]\nby = \"district\"",
       "evaluees = \"district\"\n\n[meetings]\nby = \"town\"",
       "meetings by \"town\" lie below the evaluee level \"district\"", 14},
      // [[raters]]
      {"raters not an array of tables",
       "[[raters]]\ngroup = \"superior\"\ncount = 4\n\n[[raters]]\ngroup = \"member\"\ncount = "
       "5\n",
       "[raters]\ngroup = \"x\"\n", "raters: found a table; expected an array of tables", any},
      {"group missing", "group = \"superior\"\n", "", "missing required key `group`", any},
      {"group defined twice", "group = \"member\"", "group = \"superior\"",
       "group \"superior\" is defined twice"},
      {"count and per_evaluee", "count = 4", "count = 4\nper_evaluee = 2",
       "expected exactly one of `count`", any},
      {"no rater kind", "count = 4\n", "", "expected exactly one of `count`", any},
      {"negative rater count", "count = 4", "count = -3", "raters.superior.count: found -3"},
      {"per_evaluee out of range", "count = 4", "per_evaluee = 2000000",
       "per_evaluee: found 2000000"},
      {"coverage 0", "count = 4", "count = 4\ncoverage = 0",
       "coverage: 0 is out of range; expected a number in (0, 1]", 19},
      {"negative weight", "count = 4", "count = 4\nweight = -0.3",
       "weight: -0.3 is out of range; expected a number >= 0", 19},
      {"negative noise", "count = 4", "count = 4\nnoise = -1", "noise: -1 is out of range", 19},
      {"NaN noise", "count = 4", "count = 4\nnoise = nan", "noise: nan is out of range", 19},
      {"inf noise", "count = 4", "count = 4\nnoise = inf", "noise: inf is out of range", 19},
      {"leniency sd negative", "count = 4", "count = 4\nleniency = { sd = -1 }",
       "leniency.sd: -1 is out of range", 19},
      {"leniency not a table", "count = 4", "count = 4\nleniency = 0.5",
       "leniency: found a float; expected a table", 19},
      {"abstain 1", "count = 4", "count = 4\nabstain = 1",
       "abstain: 1 is out of range; expected a number in [0, 1)", 19},
      {"missing raters",
       "[[raters]]\ngroup = \"superior\"\ncount = 4\n\n[[raters]]\ngroup = \"member\"\ncount = "
       "5\n",
       "", "missing required [[raters]]", any},
      {"more than 200 groups", "", many_groups, "more than 200 rater groups", any},
      // [[blocs]]
      {"bloc missing share", "", "\n[[blocs]]\nsize = 0.3\n", "missing required key `share`", any},
      {"bloc size above 1", "", "\n[[blocs]]\nshare = 0.1\nsize = 3\n",
       "blocs[0].size: 3 is out of range", 30},
      {"bloc boost out of range", "", "\n[[blocs]]\nshare = 0.1\nsize = 0.3\nboost = 1e3\n",
       "boost: 1000 is out of range", 31},
      {"bloc penalty out of range", "", "\n[[blocs]]\nshare = 0.1\nsize = 0.3\npenalty = -1e3\n",
       "penalty: -1000 is out of range", 31},
      // [metrics]
      {"quota 0", "", "\n[metrics]\nquota = 0\n", "metrics.quota: 0 is out of range", 29},
      {"bottom above 1", "", "\n[metrics]\nbottom = 1.5\n", "metrics.bottom: 1.5 is out of range",
       29},
      // [[models]]
      {"missing models", "[[models]]\nname = \"standard\"\nmodel = \"weighted_mean\"\n", "",
       "missing required [[models]]", any},
      {"models empty",
       "[[models]]\nname = \"standard\"\nmodel = \"weighted_mean\"\n",
       "",
       "models: expected a non-empty array of tables",
       3,
       false,
       "",
       {{"seed = 1\n", "seed = 1\nmodels = []\n"}}},
      {"model without name", "name = \"standard\"\n", "", "missing required key `name`", any},
      {"model name twice", "", "\n[[models]]\nname = \"standard\"\nmodel = \"median\"\n",
       "model name \"standard\" is used twice", 29},
      {"unknown preset", "model = \"weighted_mean\"", "preset = \"nope\"",
       "unknown rubric preset \"nope\""},
      {"missing model", "model = \"weighted_mean\"\n", "",
       "missing required key `model` (or `preset`)", any},
      {"unknown model", "model = \"weighted_mean\"", "model = \"weighted_meen\"", "weighted_meen",
       any},
      {"classes not a table", "model = \"weighted_mean\"", "model = \"weighted_mean\"\nclasses = 3",
       "classes: found an integer; expected a table", 27},
      {"from not allowed", "model = \"weighted_mean\"", "model = \"borda\"\nfrom = \"votes\"",
       "from: \"votes\" is not allowed; expected one of: ratings, comparisons", 27},
      {"from on a ratings model", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nfrom = \"ratings\"",
       "`from` applies only to comparison and social-choice models", any},
      {"from comparisons without [comparisons]", "model = \"weighted_mean\"",
       "model = \"borda\"\nfrom = \"comparisons\"", "needs a [comparisons] table", any},
      {"ranking model on pairs", "",
       "\n[comparisons]\nballots = \"pairs\"\npairs_per_rater = 2\n\n[[models]]\nname = "
       "\"b\"\nmodel = \"borda\"\n",
       "set from = \"ratings\" on this entry", any},
      {"indicator model without indicators", "model = \"weighted_mean\"", "model = \"topsis\"",
       "model topsis reads indicators; the scenario has no [[indicators]]", any},
      {"model option out of range", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\npoints = [0, 1, 2]", "points", any},
      // classes: scopes, ties, caps, slots, quota shifts, gates
      {"classes within unknown", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { top_quota = 0.2, within = \"county\" }",
       "models.standard.classes.within: \"county\" is not allowed; expected one of: all, "
       "district, meeting",
       27},
      {"classes within the evaluee level", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { top_quota = 0.2, within = \"town\" }",
       "within: \"town\" is not allowed; expected one of: all, district, meeting", 27},
      {"classes ties unknown", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { top_quota = 0.2, ties = \"coin\" }",
       "models.standard.classes.ties: \"coin\" is not allowed; expected one of: include, break",
       27},
      {"classes cap below the quota", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { top_quota = 0.2, top_cap = 0.1 }",
       "models.standard.classes.top_cap: 0.1 is below top_quota 0.2", 27},
      {"classes cap 0", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { top_cap = 0 }",
       "models.standard.classes.top_cap: 0 is out of range; expected a number in (0, 1]", 27},
      {"classes quota_shift without within", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { top_quota = 0.2, quota_shift = 0.01 }",
       "quota_shift: moves the quota of units; it needs `within` (a level)", 27},
      {"classes quota_shift without top_quota", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { top_cap = 0.2, within = \"district\", "
       "quota_shift = 0.01 }",
       "quota_shift: moves `top_quota`, which is not set", 27},
      {"classes shift_units alone", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { top_quota = 0.2, shift_units = 2 }",
       "shift_units: applies with `quota_shift`, which is not set", 27},
      {"classes slot count 0", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { slots = [{ label = \"A\", count = 0 }] }",
       "models.standard.classes.slots[0].count: 0 is out of range", 27},
      {"classes slot without label", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { slots = [{ count = 1 }] }",
       "models.standard.classes.slots[0].label: is missing; expected a non-empty string", 27},
      {"classes gate group unknown", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { gates = [{ grades = [0], group = \"boss\", above = "
       "0.3, label = \"X\" }] }",
       "models.standard.classes.gates[0].group: \"boss\" names no rater group; expected one of: "
       "superior, member",
       27},
      {"classes gate on an indicator without indicators", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { gates = [{ indicator = \"x\", below = 1, label = "
       "\"X\" }] }",
       "gates[0].indicator: \"x\" names no indicator; the scenario has none", 27},
      {"classes gate on an indicator with grades", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { gates = [{ indicator = \"x\", grades = [0], below "
       "= 1, label = \"X\" }] }",
       "gates[0].grades: applies to a vote gate, not to a gate on an indicator", 27, true},
      // classes: linked levels (parent and cap)
      {"classes parent level unknown", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { top_quota = 0.2, parent = { level = \"county\", "
       "top_quota = 0.5 } }",
       "models.standard.classes.parent.level: \"county\" names no level above the evaluees; "
       "expected one of: district",
       27},
      {"classes cap label not among the labels", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { top_quota = 0.2, parent = { level = \"district\", "
       "top_quota = 0.5, top_label = \"A\", default_label = \"B\" }, cap = { \"C\" = \"-\" } }",
       "models.standard.classes.cap.C: \"C\" is no class of the parent; expected one of: B, A", 27},
      {"classes cap best label not among the labels", "model = \"weighted_mean\"",
       "model = \"weighted_mean\"\nclasses = { top_quota = 0.2, parent = { level = \"district\", "
       "top_quota = 0.5, top_label = \"A\", default_label = \"B\" }, cap = { \"B\" = \"X\" } }",
       "models.standard.classes.cap.B: \"X\" names no class of the evaluees; expected one of: "
       "top, -",
       27},
      {"level named like a scope keyword",
       "name = \"district\", count = 2",
       "name = \"meeting\", count = 2",
       "level \"meeting\" above the evaluees names a unit column and a scope",
       any,
       false,
       "",
       {{"by = \"district\"", "by = \"meeting\""}}},
      // [[vetoes]]
      {"veto without name", "", "\n[[vetoes]]\nlabel = \"X\"\nrate = 0.1\n",
       "vetoes[0].name: is missing; expected a non-empty string", any},
      {"veto rate above 1", "", "\n[[vetoes]]\nname = \"v\"\nlabel = \"X\"\nrate = 2\n",
       "vetoes.v.rate: 2 is out of range; expected a number in [0, 1]", 31},
      {"veto with rate and indicator", "",
       "\n[[vetoes]]\nname = \"v\"\nlabel = \"X\"\nrate = 0.1\nindicator = \"x\"\n",
       "expected exactly one of `rate` (an event veto) or `indicator`", any, true},
      {"veto with neither rate nor indicator", "", "\n[[vetoes]]\nname = \"v\"\nlabel = \"X\"\n",
       "expected exactly one of `rate` (an event veto) or `indicator`", any},
      {"veto indicator unknown", "",
       "\n[[vetoes]]\nname = \"v\"\nlabel = \"X\"\nindicator = \"z\"\nbelow = 1\n",
       "vetoes.v.indicator: \"z\" names no indicator; expected one of: x, y", 45, true},
      {"veto indicator without a threshold", "",
       "\n[[vetoes]]\nname = \"v\"\nlabel = \"X\"\nindicator = \"x\"\n",
       "indicator: expected exactly one of `above` or `below` with `indicator`", 45, true},
      {"veto threshold with a rate", "",
       "\n[[vetoes]]\nname = \"v\"\nlabel = \"X\"\nrate = 0.1\nabove = 1\n",
       "vetoes.v.above: applies to an indicator veto, not to one with `rate`", 32},
      {"veto slope on an indicator veto", "",
       "\n[[vetoes]]\nname = \"v\"\nlabel = \"X\"\nindicator = \"x\"\nbelow = 1\nquality_slope = "
       "1\n",
       "quality_slope: applies to an event veto (one with `rate`)", 47, true},
      {"veto slope out of range", "",
       "\n[[vetoes]]\nname = \"v\"\nlabel = \"X\"\nrate = 0.1\nquality_slope = 50\n",
       "vetoes.v.quality_slope: 50 is out of range", 32},
      {"veto defined twice", "",
       "\n[[vetoes]]\nname = \"v\"\nlabel = \"X\"\nrate = 0.1\n[[vetoes]]\nname = \"v\"\nlabel = "
       "\"Y\"\nrate = 0.2\n",
       "vetoes.v.name: veto \"v\" is defined twice", 33},
      {"vetoes not tables", "replicates = 2", "replicates = 2\nvetoes = 3",
       "vetoes: found an integer; expected an array of tables ([[vetoes]])", any},
      // [periods] and [[actions]]
      {"periods count zero", "", "\n[periods]\ncount = 0\n",
       "periods.count: 0 is out of range; expected an integer in [1, 1000]", 29},
      {"periods without count", "", "\n[periods]\ninnovation = 0.1\n",
       "missing required key `count`", any},
      {"periods unknown key", "", "\n[periods]\ncount = 2\npersistance = 0.9\n",
       "periods.persistance", 30},
      {"periods turnover above 1", "", "\n[periods]\ncount = 2\nturnover = 1.5\n",
       "periods.turnover: 1.5 is out of range", 30},
      {"periods innovation negative", "", "\n[periods]\ncount = 2\ninnovation = -1\n",
       "periods.innovation: -1 is out of range", 30},
      {"actions without periods",
       "",
       "\n[[actions]]\nname = \"a\"\nwhen = \"X\"\neffect = \"replace\"\n",
       "needs a [periods] table",
       any,
       false,
       "",
       {{"count = 5\n\n[[models]]\n",
         "count = 5\n[[models]]\nclasses = { bottom_share = 0.2, bottom_label = \"X\" }\n"}}},
      {"action when unknown",
       "",
       "\n[periods]\ncount = 2\n[[actions]]\nname = \"a\"\nwhen = \"Y\"\neffect = \"replace\"\n",
       "actions.a.when: \"Y\" is a label no model's classes and no action give",
       32,
       false,
       "",
       {{"count = 5\n\n[[models]]\n",
         "count = 5\n[[models]]\nclasses = { bottom_share = 0.2, bottom_label = \"X\" }\n"}}},
      {"action effect unknown",
       "",
       "\n[periods]\ncount = 2\n[[actions]]\nname = \"a\"\nwhen = \"X\"\neffect = \"fire\"\n",
       "actions.a.effect: \"fire\" is not allowed",
       33,
       false,
       "",
       {{"count = 5\n\n[[models]]\n",
         "count = 5\n[[models]]\nclasses = { bottom_share = 0.2, bottom_label = \"X\" }\n"}}},
      {"action improve without shift",
       "",
       "\n[periods]\ncount = 2\n[[actions]]\nname = \"a\"\nwhen = \"X\"\neffect = \"improve\"\n",
       "missing required key `shift`",
       any,
       false,
       "",
       {{"count = 5\n\n[[models]]\n",
         "count = 5\n[[models]]\nclasses = { bottom_share = 0.2, bottom_label = \"X\" }\n"}}},
      {"action times above window",
       "",
       "\n[periods]\ncount = 2\n[[actions]]\nname = \"a\"\nwhen = \"X\"\neffect = "
       "\"replace\"\ntimes = 3\nwindow = 2\n",
       "actions.a.times: is 3, more than window = 2",
       34,
       false,
       "",
       {{"count = 5\n\n[[models]]\n",
         "count = 5\n[[models]]\nclasses = { bottom_share = 0.2, bottom_label = \"X\" }\n"}}},
      {"action unknown key",
       "",
       "\n[periods]\ncount = 2\n[[actions]]\nname = \"a\"\nwhen = \"X\"\neffect = "
       "\"replace\"\nwnidow = 2\n",
       "actions.a.wnidow",
       34,
       false,
       "",
       {{"count = 5\n\n[[models]]\n",
         "count = 5\n[[models]]\nclasses = { bottom_share = 0.2, bottom_label = \"X\" }\n"}}},
      {"action label effect without label",
       "",
       "\n[periods]\ncount = 2\n[[actions]]\nname = \"a\"\nwhen = \"X\"\neffect = \"label\"\n",
       "missing required key `label`",
       any,
       false,
       "",
       {{"count = 5\n\n[[models]]\n",
         "count = 5\n[[models]]\nclasses = { bottom_share = 0.2, bottom_label = \"X\" }\n"}}},
      // [comparisons]
      {"comparisons without ballots", "", "\n[comparisons]\nties = \"drop\"\n",
       "missing required key `ballots`", any},
      {"comparisons ballots unknown", "", "\n[comparisons]\nballots = \"duel\"\n",
       "ballots: \"duel\" is not allowed; expected one of: ranking, pairs", 29},
      {"rank_size with pairs", "",
       "\n[comparisons]\nballots = \"pairs\"\npairs_per_rater = 2\nrank_size = 3\n",
       "rank_size: applies only to ballots = \"ranking\"", 31},
      {"pairs_per_rater with ranking", "",
       "\n[comparisons]\nballots = \"ranking\"\npairs_per_rater = 2\n",
       "pairs_per_rater: applies only to ballots = \"pairs\"", 30},
      {"rank_size 1", "", "\n[comparisons]\nballots = \"ranking\"\nrank_size = 1\n",
       "rank_size: 1 is not allowed", 30},
      {"pairs_per_rater missing", "", "\n[comparisons]\nballots = \"pairs\"\n",
       "missing required key `pairs_per_rater`", any},
      {"pairs_per_rater 0", "", "\n[comparisons]\nballots = \"pairs\"\npairs_per_rater = 0\n",
       "pairs_per_rater: 0 is out of range", 30},
      {"comparisons ties unknown", "", "\n[comparisons]\nballots = \"ranking\"\nties = \"coin\"\n",
       "ties: \"coin\" is not allowed; expected one of: split, drop", 30},
      {"comparisons from per_evaluee raters only",
       "count = 4",
       "per_evaluee = 4",
       "every rater group is `per_evaluee`",
       any,
       false,
       "",
       {{"count = 5", "per_evaluee = 5"}, {"", "\n[comparisons]\nballots = \"ranking\"\n"}}},
      // [[indicators]]
      {"indicator without name", "", "\n[[indicators]]\nloading = 0.5\n",
       "missing required key `name`", any},
      {"indicator empty name", "", "\n[[indicators]]\nname = \"\"\n",
       "name: is empty; expected a non-empty string", 29},
      {"indicator name with a comma", "", "\n[[indicators]]\nname = \"a,b\"\n",
       "holds a comma, quote or line break", 29},
      {"indicator defined twice", "",
       "\n[[indicators]]\nname = \"a\"\n[[indicators]]\nname = \"a\"\n",
       "indicator \"a\" is defined twice", 31},
      {"indicator loading out of range", "", "\n[[indicators]]\nname = \"a\"\nloading = 2\n",
       "loading: 2 is out of range; expected a number in [-1, 1]", 30},
      {"indicator direction unknown", "", "\n[[indicators]]\nname = \"a\"\ndirection = \"up\"\n",
       "direction: \"up\" is not allowed", 30},
      {"indicator transform unknown", "", "\n[[indicators]]\nname = \"a\"\ntransform = \"log\"\n",
       "transform: \"log\" is not allowed", 30},
      {"indicator key of another transform", "", "\n[[indicators]]\nname = \"a\"\nmedian = 0.5\n",
       "median: applies only to transform rate; this indicator's transform is \"linear\"", 30},
      {"indicator range size", "", "\n[[indicators]]\nname = \"a\"\nrange = [1, 2, 3]\n",
       "range: has 3 values; expected [lo, hi]", 30},
      {"indicator range order", "", "\n[[indicators]]\nname = \"a\"\nrange = [2, 1]\n",
       "range: [2, 1]: expected lo < hi", 30},
      {"indicator count range", "",
       "\n[[indicators]]\nname = \"a\"\ntransform = \"count\"\nmean = 3\nrange = [0.5, 9]\n",
       "a count's range must be whole numbers >= 0", 32},
      {"indicator score mean outside", "",
       "\n[[indicators]]\nname = \"a\"\ntransform = \"score\"\nmean = 150\n",
       "mean: 150 lies outside the range; expected a value in [0, 100]", 31},
      {"indicator rate median outside", "",
       "\n[[indicators]]\nname = \"a\"\ntransform = \"rate\"\nmedian = 1\n",
       "median: 1 lies outside the range; expected a value strictly between 0 and 1", 31},
      {"indicator count without mean", "",
       "\n[[indicators]]\nname = \"a\"\ntransform = \"count\"\n",
       "missing required key `mean` (the mean count, > 0) for transform \"count\"", any},
      {"indicator dispersion out of range", "",
       "\n[[indicators]]\nname = \"a\"\ntransform = \"count\"\nmean = 2\ndispersion = 3\n",
       "dispersion: 3 is out of range; expected a number in [0, 2]", 32},
      {"indicator missing share 1", "", "\n[[indicators]]\nname = \"a\"\nmissing = 1\n",
       "missing: 1 is out of range; expected a number in [0, 1)", 30},
      {"indicator ceiling unbounded", "", "\n[[indicators]]\nname = \"a\"\nceiling = 0.1\n",
       "ceiling: needs a bounded best end", 30},
      // [uncertainty]
      {"uncertainty without model", "", "\n[uncertainty]\ndraws = 10\n",
       "missing required key `model`", any, true},
      {"uncertainty unknown model", "", "\n[uncertainty]\nmodel = \"nope\"\n",
       "no [[models]] entry is named \"nope\"", 43, true},
      {"uncertainty on a ratings model", "", "\n[uncertainty]\nmodel = \"standard\"\n",
       "expected a composite, topsis or grey_relational entry", 43, true},
      {"uncertainty draws 0", "", "\n[uncertainty]\nmodel = \"index\"\ndraws = 0\n",
       "draws: 0 is out of range", 44, true},
      {"uncertainty concentration negative", "",
       "\n[uncertainty]\nmodel = \"index\"\nweight_concentration = -1\n",
       "weight_concentration: -1 is out of range", 44, true},
      {"uncertainty normalisations empty", "",
       "\n[uncertainty]\nmodel = \"index\"\nnormalisations = []\n",
       "normalisations: is empty; expected one or more of", 44, true},
      {"uncertainty normalisation unknown", "",
       "\n[uncertainty]\nmodel = \"index\"\nnormalisations = [\"log\"]\n",
       "normalisations: \"log\" is not allowed", 44, true},
      {"uncertainty normalisation twice", "",
       "\n[uncertainty]\nmodel = \"index\"\nnormalisations = [\"minmax\", \"minmax\"]\n",
       "\"minmax\" is listed twice", 44, true},
      {"uncertainty aggregations on topsis", "",
       "\n[uncertainty]\nmodel = \"ts\"\naggregations = [\"geometric\"]\n",
       "aggregations: apply to composite entries only", 44, true},
      {"uncertainty vote_weight size", "",
       "\n[uncertainty]\nmodel = \"index\"\nvote_weight = [0.1]\n",
       "vote_weight: has 1 entries; expected [lo, hi]", 44, true},
      {"uncertainty vote_weight order", "",
       "\n[uncertainty]\nmodel = \"index\"\nvote_weight = [0.3, 0.1]\n",
       "lo = 0.3 is above hi = 0.1", 44, true},
      {"uncertainty vote_weight without vote", "",
       "\n[uncertainty]\nmodel = \"index\"\nvote_weight = [0.1, 0.3]\n",
       "entry \"index\" has no `vote` to weight", 44, true},
      {"uncertainty random_index unknown", "",
       "\n[uncertainty]\nmodel = \"index\"\nrandom_index = [\"mine\"]\n",
       "random_index: \"mine\" is not allowed", 44, true},
      // [sweep]
      {"sweep without vary", "", "\n[sweep]\ngrid = true\n", "missing required key `vary`", any},
      {"sweep vary not a table", "", "\n[sweep]\nvary = 3\n",
       "vary: found an integer; expected a table", 29},
      {"sweep vary empty", "", "\n[sweep]\nvary = {}\n", "vary: is empty", 29},
      {"sweep vary value not an array", "", "\n[sweep]\nvary = { seed = 3 }\n",
       "found an integer; expected an array of values", 29},
      {"sweep vary dotted key unquoted", "", "\n[sweep]\nvary = { raters.member.noise = [1] }\n",
       "quote a key path that holds dots", 29},
      {"sweep vary value empty", "", "\n[sweep]\nvary = { seed = [] }\n",
       "is empty; expected one or more values", 29},
      {"sweep unpaired lengths", "",
       "\n[sweep]\ngrid = false\nvary = { seed = [1, 2], replicates = [3] }\n",
       "every key needs the same number of values", 30},
      {"rater scale unknown", "count = 5\n", "count = 5\nscale = \"public\"\n",
       "raters.member.scale: found \"public\"; expected the name of a [[scales]] table", 23},
      {"scales shares sum", "",
       "\n[[scales]]\nname = \"p\"\nlabels = [\"x\", \"y\"]\nshares = [0.5, 0.6]\n",
       "scales.p.shares: sum to 1.1; expected shares of the graded ballots that sum to 1", 31},
      {"scales dont_know 1", "",
       "\n[[scales]]\nname = \"p\"\nlabels = [\"x\", \"y\"]\nshares = [0.5, 0.5]\n"
       "dont_know = 1\n",
       "scales.p.dont_know", 32},
      {"scales dont_know label a grade", "",
       "\n[[scales]]\nname = \"p\"\nlabels = [\"x\", \"y\"]\nshares = [0.5, 0.5]\n"
       "dont_know_label = \"x\"\n",
       "\"don't know\" is not a grade", 32},
      {"anchor_to unknown group", "count = 5\n",
       "count = 5\nanchor = 0.5\nanchor_to = \"leaders\"\n",
       "raters.member.anchor_to: found \"leaders\"; expected \"chair\" or a rater group", 24},
      {"anchor above 1", "count = 5\n", "count = 5\nanchor = 1.5\n", "raters.member.anchor", 23},
      {"conformity below 0", "count = 5\n", "count = 5\nconformity = -0.1\n",
       "raters.member.conformity", 23},
      {"pooling model on a group scale",
       "count = 5\n",
       "count = 5\nscale = \"p\"\n",
       "model median reads every ballot on one 4-grade scale",
       kAnyColumn,
       false,
       "",
       {{"",
         "\n[[scales]]\nname = \"p\"\nlabels = [\"x\", \"y\"]\nshares = [0.5, 0.5]\n"
         "\n[[models]]\nname = \"med\"\nmodel = \"median\"\n"}}},
  };
  return v;
}

TEST_F(BadInputTest, ScenarioRefusals) {
  int n = 0;
  for (const ScenarioCase& c : ScenarioCases()) {
    std::string text = kScenario + (c.indicators ? kIndicatorTail : "");
    long line = c.line;
    if (c.from.empty()) {
      if (line == 0) line = LineOf(text + c.to, text.size(), c.to);
      text += c.to;
    } else {
      const size_t at = text.find(c.from);
      ASSERT_NE(at, std::string::npos) << c.name;
      ASSERT_EQ(text.find(c.from, at + 1), std::string::npos) << c.name << ": not unique";
      text.replace(at, c.from.size(), c.to);
      if (line == 0) line = LineOf(text, at, c.to);
    }
    for (const auto& [from, to] : c.more) {
      if (from.empty()) {
        text += to;
        continue;
      }
      const size_t at = text.find(from);
      ASSERT_NE(at, std::string::npos) << c.name;
      text.replace(at, from.size(), to);
    }
    const std::string f = Write("scenario.toml", text);
    const Outcome o = Run("validate " + f + " " + c.flags);
    const std::string what = std::string("scenario: ") + c.name;
    if (line == kFileOnly) {
      // --set errors name the flag, not the file.
      SCOPED_TRACE(what);
      EXPECT_EQ(o.code, 2) << o.err;
      EXPECT_EQ(o.out, "");
      EXPECT_TRUE(std::regex_match(o.err, std::regex("evalsim: --set [^\\n]*\\n"))) << o.err;
      EXPECT_NE(o.err.find(c.expected), std::string::npos) << o.err;
    } else if (line == kAnyColumn) {
      SCOPED_TRACE(what);
      EXPECT_EQ(o.code, 2) << o.err;
      EXPECT_EQ(o.out, "");
      const std::string loc = "evalsim: " + f + ":";
      EXPECT_TRUE(
          o.err.rfind(loc, 0) == 0 &&
          std::regex_match(o.err.substr(loc.size()), std::regex("[0-9]+:[0-9]+: [^\\n]*\\n")))
          << o.err;
      EXPECT_NE(o.err.find(c.expected), std::string::npos) << o.err;
    } else {
      ExpectRefused(what, o, f, line, kAnyColumn, c.expected);
      EXPECT_TRUE(std::regex_search(o.err, std::regex(":[0-9]+:[0-9]+: "))) << o.err;
    }
    ++n;
  }
  EXPECT_GE(n, 100);
}

std::string CrLf(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// Whole-file problems of a scenario: empty, not UTF-8, NUL bytes.
TEST_F(BadInputTest, ScenarioFileRefusals) {
  const std::vector<FileCase> cases = {
      {"empty file", "", kFileOnly, 0, "empty scenario; expected at least name, seed"},
      {"comments only", "# nothing here\n\n", kFileOnly, 0, "empty scenario"},
      // toml++ points at the string that holds the bad byte.
      {"invalid UTF-8", kScenario.substr(0, 8) + "\xff" + kScenario.substr(8), 1, 8,
       "invalid utf-8"},
      {"NUL byte", "name = \"t\"\0\n"s + kScenario.substr(11), 1, 11, "u0000"},
  };
  for (const FileCase& c : cases) {
    const std::string f = Write("scenario.toml", c.text);
    const Outcome o = Run("validate " + f);
    ExpectRefused(std::string("scenario file: ") + c.name, o, f, c.line, c.column, c.expected);
  }
}

// A scenario too large for --max-memory is refused by every command that
// runs it, before anything is drawn or written, naming the scenario file.
TEST_F(BadInputTest, MemoryRefusalNamesTheScenario) {
  const std::string f = Write("s.toml", kScenario);
  const std::string out = (dir_ / "out").string();
  for (const std::string& cmd :
       {"run " + f + " --max-memory 1M --out " + out,
        "generate " + f + " --max-memory 1M --out " + out,
        "manipulate " + f + " --max-memory 1M --out " + out,
        "sweep " + f + " --vary replicates=1,2 --max-memory 1M --out " + out}) {
    const Outcome o = Run(cmd);
    ExpectRefused(cmd, o, f, kFileOnly, 0, "not enough memory: estimated peak", out);
    EXPECT_FALSE(fs::exists(out + ".partial")) << cmd;
  }
}

// Line ends, a byte-order mark, a missing final newline and Chinese names
// are all valid TOML: the same validation summary as the plain file.
TEST_F(BadInputTest, ScenarioAcceptedVariants) {
  const Outcome base = Run("validate " + Write("s.toml", kScenario));
  ASSERT_EQ(base.code, 0) << base.err;
  // The first line (the memory estimate after it depends on the free memory).
  auto summary = [](const std::string& out) {
    const size_t at = out.find(": ok");
    return out.substr(at, out.find('\n', at) - at);
  };
  std::string zh = kScenario;
  zh.replace(zh.find("\"superior\""), 10, "\"上级\"");
  const std::vector<std::pair<const char*, std::string>> variants = {
      {"CRLF", CrLf(kScenario)},
      {"BOM", "\xEF\xBB\xBF" + kScenario},
      {"no final newline", kScenario.substr(0, kScenario.size() - 1)},
      {"Chinese group name", zh},
  };
  for (const auto& [name, text] : variants) {
    SCOPED_TRACE(name);
    const Outcome o = Run("validate " + Write("v.toml", text));
    ASSERT_EQ(o.code, 0) << o.err;
    EXPECT_EQ(summary(o.out), summary(base.out));
  }
}

// The base scenario itself is valid: every refusal above comes from its edit.
TEST_F(BadInputTest, BaseScenariosAreValid) {
  Outcome o = Run("validate " + Write("base.toml", kScenario));
  EXPECT_EQ(o.code, 0) << o.err;
  o = Run("validate " + Write("ind.toml", kScenario + kIndicatorTail));
  EXPECT_EQ(o.code, 0) << o.err;
}

// --------------------------------------------------------------------------
// Accepted inputs: the same scores as the plain file.

// The records of a scores CSV, each as its fields.
std::vector<std::vector<std::string>> Records(const std::string& csv) {
  std::vector<std::vector<std::string>> rows;
  evalsim::ParseCsvRecords(csv, "scores", [&](long, std::span<const std::string_view> f) {
    rows.emplace_back(f.begin(), f.end());
  });
  return rows;
}

// Replaces every whole field equal to a key of `names` (outside quotes).
std::string Rename(std::string s, const std::map<std::string, std::string>& names) {
  for (const auto& [from, to] : names) {
    for (size_t at = 0; (at = s.find(from, at)) != std::string::npos;) {
      const bool start = at == 0 || s[at - 1] == ',' || s[at - 1] == '\n';
      const size_t end = at + from.size();
      const bool stop = end == s.size() || s[end] == ',' || s[end] == '\n';
      if (start && stop) {
        s.replace(at, from.size(), to);
        at += to.size();
      } else {
        at = end;
      }
    }
  }
  return s;
}

// Scores CSV with names mapped back through `names` (value -> key).
std::vector<std::vector<std::string>> Unrename(std::vector<std::vector<std::string>> rows,
                                               const std::map<std::string, std::string>& names) {
  for (auto& r : rows)
    for (auto& f : r)
      for (const auto& [from, to] : names)
        if (f == to) f = from;
  return rows;
}

void ExpectSameScores(const std::string& plain, const std::string& other,
                      const std::map<std::string, std::string>& names) {
  const auto a = Records(plain);
  const auto b = Unrename(Records(other), names);
  ASSERT_GE(a.size(), 3u) << plain;
  EXPECT_EQ(a, b) << plain << "\n---\n" << other;
}

struct Accepted {
  const char* name;
  std::function<std::string(const std::string&)> transform;
  std::map<std::string, std::string> names;  // plain id -> id in the transformed file
};

std::vector<Accepted> AcceptedVariants() {
  std::vector<Accepted> v = {
      {"CRLF line ends", CrLf, {}},
      {"UTF-8 BOM", [](const std::string& s) { return "\xEF\xBB\xBF" + s; }, {}},
      {"no final newline", [](const std::string& s) { return s.substr(0, s.size() - 1); }, {}},
      {"BOM, CRLF and no final newline",
       [](const std::string& s) {
         const std::string c = CrLf(s);
         return "\xEF\xBB\xBF" + c.substr(0, c.size() - 2);
       },
       {}},
      {"RFC 4180 quoting",
       [](const std::string& s) {
         return Rename(s, {{"A", "\"Smith, J.\""}, {"B", "\"the \"\"B\"\" team\""}});
       },
       {{"A", "Smith, J."}, {"B", "the \"B\" team"}}},
      {"Chinese ids",
       [](const std::string& s) {
         return Rename(s, {{"A", "王书记"}, {"B", "李主任"}});
       },
       {{"A", "王书记"}, {"B", "李主任"}}},
      {"quoted plain fields",
       [](const std::string& s) {
         return Rename(s, {{"A", "\"A\""}, {"C", "\"C\""}});
       },
       {}},
  };
  return v;
}

TEST_F(BadInputTest, RatingsAcceptedVariants) {
  const std::string plain =
      "rater,ratee,grade,group,weight\n"
      "r1,A,3,up,2\nr1,B,1,up,2\nr1,C,2,up,2\n"
      "r2,A,2,down,1\nr2,B,2,down,1\nr2,C,0,down,1\n"
      "r3,A,3,down,0.5\nr3,B,0,down,0.5\nr3,C,1,down,\n";
  const std::string args = "score --model weighted_mean --set 'group_weights={up=2,down=1}' ";
  const Outcome base = Run(args + "--ballots " + Write("plain.csv", plain));
  ASSERT_EQ(base.code, 0) << base.err;
  for (const Accepted& a : AcceptedVariants()) {
    SCOPED_TRACE(a.name);
    const Outcome o = Run(args + "--ballots " + Write("v.csv", a.transform(plain)));
    ASSERT_EQ(o.code, 0) << o.err;
    ExpectSameScores(base.out, o.out, a.names);
  }
  // Columns in another order.
  const std::string reordered =
      "weight,grade,group,ratee,rater\n"
      "2,3,up,A,r1\n2,1,up,B,r1\n2,2,up,C,r1\n"
      "1,2,down,A,r2\n1,2,down,B,r2\n1,0,down,C,r2\n"
      "0.5,3,down,A,r3\n0.5,0,down,B,r3\n,1,down,C,r3\n";
  const Outcome o = Run(args + "--ballots " + Write("r.csv", reordered));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, base.out);
}

TEST_F(BadInputTest, PairwiseAcceptedVariants) {
  const std::string plain = "winner,loser,weight\nA,B,2\nB,C,1\nC,A,0.5\nA,C,1\nB,A,1\n";
  const std::string args = "score --model bradley_terry --format pairwise ";
  const Outcome base = Run(args + "--ballots " + Write("plain.csv", plain));
  ASSERT_EQ(base.code, 0) << base.err;
  for (const Accepted& a : AcceptedVariants()) {
    SCOPED_TRACE(a.name);
    const Outcome o = Run(args + "--ballots " + Write("v.csv", a.transform(plain)));
    ASSERT_EQ(o.code, 0) << o.err;
    ExpectSameScores(base.out, o.out, a.names);
  }
  const Outcome o =
      Run(args + "--ballots " +
          Write("r.csv", "weight,loser,winner\n2,B,A\n1,C,B\n0.5,A,C\n1,C,A\n1,A,B\n"));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, base.out);
}

TEST_F(BadInputTest, IndicatorsAcceptedVariants) {
  const std::string plain = "unit,x,y\nA,1,5\nB,3,2\nC,2,4\n";
  for (const std::string& cmd :
       std::vector<std::string>{"score --model topsis --format indicators --ballots ",
                                "weights --method entropy --ballots "}) {
    const Outcome base = Run(cmd + Write("plain.csv", plain));
    ASSERT_EQ(base.code, 0) << base.err;
    for (const Accepted& a : AcceptedVariants()) {
      SCOPED_TRACE(std::string(a.name) + " / " + cmd);
      const Outcome o = Run(cmd + Write("v.csv", a.transform(plain)));
      ASSERT_EQ(o.code, 0) << o.err;
      if (cmd[0] == 's') {
        ExpectSameScores(base.out, o.out, a.names);
      } else {
        EXPECT_EQ(o.out, base.out);  // JSON: names of indicators are not renamed
      }
    }
  }
}

TEST_F(BadInputTest, PreflibAcceptedVariants) {
  const std::string plain = kPreflibHead +
                            "# NUMBER VOTERS: 6\n# NUMBER UNIQUE ORDERS: 3\n"
                            "3: 1,2,3\n2: {2,3},1\n1: 3\n";
  const std::string args = "score --model borda --format preflib ";
  const Outcome base = Run(args + "--ballots " + Write("p.toi", plain));
  ASSERT_EQ(base.code, 0) << base.err;
  const std::vector<std::pair<const char*, std::string>> variants = {
      {"CRLF", CrLf(plain)},
      {"BOM", "\xEF\xBB\xBF" + plain},
      {"no final newline", plain.substr(0, plain.size() - 1)},
      {"blanks around tokens", Rename(plain, {{"3: 1,2,3", "3 :  1 , 2,3 "}})},
  };
  for (const auto& [name, text] : variants) {
    SCOPED_TRACE(name);
    const Outcome o = Run(args + "--ballots " + Write("v.toi", text));
    ASSERT_EQ(o.code, 0) << o.err;
    EXPECT_EQ(o.out, base.out);
  }
  // Chinese names.
  std::string zh = plain;
  zh.replace(zh.find("NAME 1: A"), 9, "NAME 1: 王书记");
  const Outcome o = Run(args + "--ballots " + Write("zh.toi", zh));
  ASSERT_EQ(o.code, 0) << o.err;
  ExpectSameScores(base.out, o.out, {{"A", "王书记"}});
}

TEST_F(BadInputTest, AhpAcceptedVariants) {
  const std::string plain = ",a,b,c\na,1,3,5\nb,1/3,1,2\nc,0.2,1/2,1\n";
  const Outcome base = Run("ahp " + Write("m.csv", plain));
  ASSERT_EQ(base.code, 0) << base.err;
  const std::vector<std::pair<const char*, std::string>> variants = {
      {"CRLF", CrLf(plain)},
      {"BOM", "\xEF\xBB\xBF" + plain},
      {"no final newline", plain.substr(0, plain.size() - 1)},
      {"blanks around cells", ", a , b,c\na , 1,3 , 5\nb,1 / 3,1,2\nc,0.2,1/2,1\n"},
  };
  for (const auto& [name, text] : variants) {
    SCOPED_TRACE(name);
    const Outcome o = Run("ahp " + Write("v.csv", text));
    ASSERT_EQ(o.code, 0) << o.err;
    EXPECT_EQ(o.out, base.out);
  }
  const Outcome o = Run("ahp " + Write("zh.csv", ",甲,b,c\n甲,1,3,5\nb,1/3,1,2\nc,0.2,1/2,1\n"));
  ASSERT_EQ(o.code, 0) << o.err;
  std::string expected = base.out;
  expected.replace(expected.find("\"a\""), 3, "\"甲\"");
  EXPECT_EQ(o.out, expected);
}

// A missing file is bad input too, for every reader.
TEST_F(BadInputTest, MissingFiles) {
  const std::string f = (dir_ / "nope.csv").string();
  const std::string out = (dir_ / "o.csv").string();
  for (const std::string& cmd :
       {"score --model weighted_mean --ballots " + f + " --out " + out,
        "score --model bradley_terry --format pairwise --ballots " + f + " --out " + out,
        "score --model borda --format preflib --ballots " + f + " --out " + out,
        "score --model topsis --format indicators --ballots " + f + " --out " + out,
        "weights --method critic --ballots " + f, "ahp " + f, "validate " + f}) {
    const Outcome o = Run(cmd);
    ExpectRefused(cmd, o, f, kFileOnly, 0, "cannot open", out);
  }
}

}  // namespace
