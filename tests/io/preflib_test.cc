#include "sim/io/preflib.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/errors.h"

namespace evalsim {
namespace {

const std::string kDir = std::string(EVALSIM_SOURCE_DIR) + "/tests/data/";

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string OrderKey(std::span<const uint32_t> cand, std::span<const uint32_t> tier) {
  std::string s = "[";
  for (size_t i = 0; i < cand.size(); ++i) {
    if (i > 0) s += tier[i] == tier[i - 1] ? " " : "|";
    s += std::to_string(cand[i]);
  }
  return s + "]";
}

// "count*[a|b c]" per order in storage order (0-based candidates, '|'
// between tiers).
std::string Orders(const RankingBallots& r) {
  std::vector<std::string> items;
  for (size_t o = 0; o < r.NumOrders(); ++o)
    items.push_back(fmt::format("{}*{}", r.count[o], OrderKey(r.Candidates(o), r.Tiers(o))));
  return fmt::format("{}", fmt::join(items, " "));
}

std::map<std::string, double> OrderMap(const RankingBallots& r) {
  std::map<std::string, double> m;
  for (size_t o = 0; o < r.NumOrders(); ++o) m[OrderKey(r.Candidates(o), r.Tiers(o))] += r.count[o];
  return m;
}

// ---------------------------------------------------------------------------
// Hand-written fixtures, checked by hand.

TEST(ReadPreflib, OldFormatWithTies) {
  const RankingBallots r = ReadPreflib(kDir + "preflib/old_format.toc");
  r.CheckInvariants();
  EXPECT_EQ(r.ratee_names, (std::vector<std::string>{"Alpha", "Beta, Jr.", "Gamma"}));
  EXPECT_EQ(Orders(r), "3*[0|1|2] 2*[1 2|0] 1*[2|0 1]");
  EXPECT_DOUBLE_EQ(r.NumVoters(), 6.0);
  // 3 x A>B>C, 2 x {B,C}>A, 1 x C>{A,B}:
  //   A-B: 3 + 0.5 / 2 + 0.5; A-C: 3 / 2 + 1; B-C: 3 + 1 / 1 + 1 (split).
  Eigen::MatrixXd split(3, 3);
  split << 0, 3.5, 3, 2.5, 0, 4, 3, 2, 0;
  EXPECT_EQ(PairwiseMatrix(RankingsToPairwise(r, TiePolicy::kSplit)), split);
  Eigen::MatrixXd drop(3, 3);
  drop << 0, 3, 3, 2, 0, 3, 3, 1, 0;
  EXPECT_EQ(PairwiseMatrix(RankingsToPairwise(r, TiePolicy::kDrop)), drop);
}

TEST(ReadPreflib, ToiWithTiesUnrankedAndARepeatedOrder) {
  const RankingBallots r = ReadPreflib(kDir + "preflib/small.toi");
  r.CheckInvariants();
  EXPECT_EQ(r.ratee_names, (std::vector<std::string>{"Ann", "Bob", "Cy", "Dee"}));
  // "1: {4,3},1" is "2: {3,4},1" written the other way round: merged.
  EXPECT_EQ(Orders(r), "3*[0|1 2] 3*[2 3|0] 1*[1]");
  EXPECT_DOUBLE_EQ(r.NumVoters(), 7.0);
  // Listed beats unranked; two unranked are not compared.
  //   3 x A > {B,C} (D unranked); 3 x {C,D} > A (B unranked); 1 x B (rest unranked).
  Eigen::MatrixXd drop(4, 4);
  drop << 0, 6, 3, 3,  //
      1, 0, 1, 4,      //
      3, 3, 0, 3,      //
      3, 3, 0, 0;
  EXPECT_EQ(PairwiseMatrix(RankingsToPairwise(r, TiePolicy::kDrop)), drop);
  Eigen::MatrixXd split = drop;
  split(1, 2) += 1.5;  // B~C three times
  split(2, 1) += 1.5;
  split(2, 3) += 1.5;  // C~D three times
  split(3, 2) += 1.5;
  EXPECT_EQ(PairwiseMatrix(RankingsToPairwise(r, TiePolicy::kSplit)), split);
}

TEST(ReadPreflib, SocCondorcetCycle) {
  const RankingBallots r = ReadPreflib(kDir + "preflib/small.soc");
  EXPECT_EQ(r.ratee_names, (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_EQ(Orders(r), "2*[0|1|2] 2*[1|2|0] 1*[2|0|1]");
  Eigen::MatrixXd n(3, 3);
  n << 0, 3, 2, 2, 0, 4, 3, 1, 0;  // x>y 3:2, y>z 4:1, z>x 3:2
  EXPECT_EQ(PairwiseMatrix(RankingsToPairwise(r, TiePolicy::kSplit)), n);
}

// ---------------------------------------------------------------------------
// The Debian files of PrefLib dataset 00002 (see tests/data/preflib/README.md).

struct Election {
  int number;         // 00002-0000000N
  const char* tally;  // tally sheet under debian-tally/, or nullptr
  int alternatives;   // NUMBER ALTERNATIVES (both files)
  int voters;         // NUMBER VOTERS (both files)
  size_t soi_orders;  // NUMBER UNIQUE ORDERS of the .soi
  size_t toc_orders;  // ... of the .toc
};

// The numbers are the files' own headers (also listed in PrefLib's
// metadata); the reader also checks them against the order lines.
const Election kElections[] = {
    {1, "2002/tally.txt", 4, 475, 41, 31},
    {2, "2003/leader2003_tally.txt", 5, 488, 109, 83},
    {3, "2005/leader2005_tally.txt", 7, 504, 358, 336},
    {4, "2006/vote_002_tally.txt", 8, 421, 340, 332},
    {5, "2007/vote_001_tally.txt", 9, 482, 430, 428},
    {6, "2010/vote_001_tally.txt", 5, 436, 101, 82},
    {7, "2012/vote_001_tally.txt", 4, 403, 40, 29},
    {8, nullptr, 8, 143, 125, 125},
};

std::string PreflibPath(int number, const char* ext) {
  return fmt::format("{}preflib/00002-{:08d}.{}", kDir, number, ext);
}

TEST(ReadPreflib, DebianFilesMatchTheirHeaders) {
  for (const Election& e : kElections) {
    SCOPED_TRACE(e.number);
    const RankingBallots soi = ReadPreflib(PreflibPath(e.number, "soi"));
    const RankingBallots toc = ReadPreflib(PreflibPath(e.number, "toc"));
    soi.CheckInvariants();
    toc.CheckInvariants();
    EXPECT_EQ(soi.NumRatees(), e.alternatives);
    EXPECT_EQ(toc.NumRatees(), e.alternatives);
    EXPECT_DOUBLE_EQ(soi.NumVoters(), e.voters);
    EXPECT_DOUBLE_EQ(toc.NumVoters(), e.voters);
    // PrefLib's lines are unique orders, so nothing merges.
    EXPECT_EQ(soi.NumOrders(), e.soi_orders);
    EXPECT_EQ(toc.NumOrders(), e.toc_orders);
    EXPECT_EQ(soi.ratee_names, toc.ratee_names);
    for (size_t o = 0; o < toc.NumOrders(); ++o)
      EXPECT_EQ(toc.Candidates(o).size(), static_cast<size_t>(e.alternatives));  // complete
  }
  const RankingBallots first = ReadPreflib(PreflibPath(1, "soi"));
  EXPECT_EQ(first.ratee_names, (std::vector<std::string>{"Branden Robinson", "Raphael Hertzog",
                                                         "Bdale Garbee", "None Of The Above"}));
  // The first order line is "60: 3,1,2,4".
  EXPECT_EQ(first.count[0], 60.0);
  EXPECT_EQ(OrderKey(first.Candidates(0), first.Tiers(0)), "[2|0|1|3]");
}

// The .toc is the .soi with the unranked alternatives added as one tied
// group at the bottom (PrefLib's "imbued" file): built from the .soi here,
// the orders and counts must be the .toc's.
TEST(ReadPreflib, DebianTocIsTheSoiWithUnrankedTiedAtTheBottom) {
  for (const Election& e : kElections) {
    SCOPED_TRACE(e.number);
    const RankingBallots soi = ReadPreflib(PreflibPath(e.number, "soi"));
    std::map<std::string, double> expected;
    for (size_t o = 0; o < soi.NumOrders(); ++o) {
      std::vector<uint32_t> cand(soi.Candidates(o).begin(), soi.Candidates(o).end());
      std::vector<uint32_t> tier(soi.Tiers(o).begin(), soi.Tiers(o).end());
      const uint32_t bottom = static_cast<uint32_t>(cand.size());
      for (uint32_t c = 0; c < static_cast<uint32_t>(soi.NumRatees()); ++c) {
        if (std::find(cand.begin(), cand.end(), c) == cand.end()) {
          cand.push_back(c);
          tier.push_back(bottom);
        }
      }
      expected[OrderKey(cand, tier)] += soi.count[o];
    }
    EXPECT_EQ(OrderMap(ReadPreflib(PreflibPath(e.number, "toc"))), expected);
  }
}

// Pairwise counts of the two files: with ties dropped they are equal (the
// .toc's bottom tie is exactly the .soi's "unranked are not compared"); with
// ties split the .toc adds half a win each way for every voter who left
// both alternatives unranked.
TEST(ReadPreflib, DebianSoiAndTocGiveConsistentPairwiseCounts) {
  for (const Election& e : kElections) {
    SCOPED_TRACE(e.number);
    const RankingBallots soi = ReadPreflib(PreflibPath(e.number, "soi"));
    const RankingBallots toc = ReadPreflib(PreflibPath(e.number, "toc"));
    EXPECT_EQ(PairwiseMatrix(RankingsToPairwise(soi, TiePolicy::kDrop)),
              PairwiseMatrix(RankingsToPairwise(toc, TiePolicy::kDrop)));
    const int n = soi.NumRatees();
    Eigen::MatrixXd both_unranked = Eigen::MatrixXd::Zero(n, n);
    for (size_t o = 0; o < soi.NumOrders(); ++o) {
      std::vector<bool> listed(n, false);
      for (uint32_t c : soi.Candidates(o)) listed[c] = true;
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
          if (i != j && !listed[i] && !listed[j]) both_unranked(i, j) += soi.count[o];
    }
    EXPECT_EQ(PairwiseMatrix(RankingsToPairwise(toc, TiePolicy::kSplit)),
              Eigen::MatrixXd(PairwiseMatrix(RankingsToPairwise(soi, TiePolicy::kSplit)) +
                              0.5 * both_unranked));
    // Every voter compares every pair once in the .toc.
    const Eigen::MatrixXd split = PairwiseMatrix(RankingsToPairwise(toc, TiePolicy::kSplit));
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) EXPECT_DOUBLE_EQ(split(i, j) + split(j, i), e.voters);
  }
}

// An independent check of the .soi files on the original ballots: Debian's
// tally sheets ("V: 2314" = option 1 ranked 2nd, ..., "-" = unranked),
// turned into strict orders by breaking ties by option number (the rule
// PrefLib used, see the README), must give the .soi's orders and counts.
TEST(ReadPreflib, DebianSoiMatchesTheTallySheets) {
  const std::regex vote(R"(^V:\s+([0-9-]+)\s)");
  for (const Election& e : kElections) {
    if (!e.tally) continue;
    SCOPED_TRACE(e.tally);
    std::istringstream in(Slurp(kDir + "debian-tally/" + e.tally));
    std::map<std::string, double> expected;
    double ballots = 0;
    for (std::string line; std::getline(in, line);) {
      std::smatch m;
      if (!std::regex_search(line, m, vote)) continue;
      const std::string token = m[1];
      ASSERT_EQ(token.size(), static_cast<size_t>(e.alternatives)) << line;
      std::vector<std::pair<int, uint32_t>> ranked;  // (rank, option)
      for (size_t k = 0; k < token.size(); ++k)
        if (token[k] != '-') ranked.emplace_back(token[k] - '0', static_cast<uint32_t>(k));
      std::sort(ranked.begin(), ranked.end());
      std::vector<uint32_t> cand, tier;
      for (const auto& [rank, option] : ranked) {
        cand.push_back(option);
        tier.push_back(static_cast<uint32_t>(tier.size()));
      }
      expected[OrderKey(cand, tier)] += 1;
      ++ballots;
    }
    EXPECT_EQ(ballots, e.voters);
    EXPECT_EQ(OrderMap(ReadPreflib(PreflibPath(e.number, "soi"))), expected);
  }
}

// The current header turned into the older numeric one, line by line.
std::string ToOldFormat(const std::string& text) {
  std::istringstream in(text);
  std::map<int, std::string> names;
  std::string voters, orders, body;
  int m = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# ", 0) == 0) {
      const size_t colon = line.find(':');
      const std::string key = line.substr(2, colon - 2), value = line.substr(colon + 2);
      if (key == "NUMBER ALTERNATIVES") m = std::stoi(value);
      if (key == "NUMBER VOTERS") voters = value;
      if (key == "NUMBER UNIQUE ORDERS") orders = value;
      if (key.rfind("ALTERNATIVE NAME ", 0) == 0) names[std::stoi(key.substr(17))] = value;
    } else if (!line.empty()) {
      body += std::regex_replace(line, std::regex(": "), ",") + "\n";
    }
  }
  std::string out = fmt::format("{}\n", m);
  for (const auto& [id, name] : names) out += fmt::format("{},{}\n", id, name);
  return out + fmt::format("{},{},{}\n", voters, voters, orders) + body;
}

TEST(ParsePreflib, OldAndCurrentFormatsOfTheSameFileAgree) {
  for (const Election& e : kElections) {
    for (const char* ext : {"soi", "toc"}) {
      SCOPED_TRACE(fmt::format("{} {}", e.number, ext));
      const std::string path = PreflibPath(e.number, ext);
      const std::string text = Slurp(path);
      const RankingBallots current = ParsePreflib(text, path);
      const RankingBallots old = ParsePreflib(ToOldFormat(text), path);
      EXPECT_EQ(old.ratee_names, current.ratee_names);
      EXPECT_EQ(Orders(old), Orders(current));
    }
  }
}

// ---------------------------------------------------------------------------
// Spellings that must be accepted.

constexpr char kHeader3[] =
    "# DATA TYPE: toi\n"
    "# NUMBER ALTERNATIVES: 3\n"
    "# NUMBER VOTERS: {}\n"
    "# NUMBER UNIQUE ORDERS: {}\n"
    "# ALTERNATIVE NAME 1: a\n"
    "# ALTERNATIVE NAME 2: b\n"
    "# ALTERNATIVE NAME 3: c\n";

std::string Toi(int voters, int orders, const std::string& body) {
  return fmt::format(kHeader3, voters, orders) + body;
}

TEST(ParsePreflib, AcceptsCrlfBomBlanksAndSpaces) {
  const std::string plain = Toi(4, 2, "3: 1,{2,3}\n1: 3\n");
  const std::string expected = "3*[0|1 2] 1*[2]";
  EXPECT_EQ(Orders(ParsePreflib(plain, "t.toi")), expected);
  std::string crlf;
  for (char c : plain) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  EXPECT_EQ(Orders(ParsePreflib(crlf, "t.toi")), expected);
  EXPECT_EQ(Orders(ParsePreflib("\xEF\xBB\xBF" + plain, "t.toi")), expected);
  EXPECT_EQ(Orders(ParsePreflib(Toi(4, 2, "\n 3 :1 , { 2 ,3 } \n\n1:\t3"), "t.toi")), expected);
  // A header line without a colon is a comment; unknown keys are ignored.
  EXPECT_EQ(Orders(ParsePreflib("# a comment\n# SOURCE: somewhere\n" + plain, "t.toi")), expected);
}

TEST(ParsePreflib, EmptyOrderMeansEveryAlternativeUnranked) {
  const RankingBallots r = ParsePreflib(Toi(5, 2, "2:\n3: 2\n"), "t.toi");
  EXPECT_EQ(Orders(r), "2*[] 3*[1]");
  const PairwiseBallots p = RankingsToPairwise(r, TiePolicy::kSplit);
  EXPECT_DOUBLE_EQ(p.TotalWeight(), 6.0);  // only b over a and over c, 3 times each
}

TEST(ParsePreflib, TypeComesFromTheHeaderOrElseTheExtension) {
  const std::string no_type =
      "# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: a\n# ALTERNATIVE NAME 2: b\n1: {1,2}\n";
  EXPECT_EQ(Orders(ParsePreflib(no_type, "t.toc")), "1*[0 1]");
  EXPECT_EQ(Orders(ParsePreflib(no_type, "no_extension")), "1*[0 1]");
  EXPECT_THROW(ParsePreflib(no_type, "dir.soi/t.SOI"), InputError);
  // The header wins over the extension.
  EXPECT_EQ(Orders(ParsePreflib("# DATA TYPE: toc\n" + no_type, "t.soi")), "1*[0 1]");
}

TEST(ParsePreflib, OldFormatSoiWithoutTies) {
  const RankingBallots r = ParsePreflib("2\n2,second\n1,first\n3,3,2\n2,1,2\n1,2\n", "t.soi");
  EXPECT_EQ(r.ratee_names, (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(Orders(r), "2*[0|1] 1*[1]");
}

// ---------------------------------------------------------------------------
// Malformed files: InputError with file:line[:col] and what was expected.

struct BadCase {
  const char* name;
  std::string file;
  std::string text;
  std::string where;  // expected prefix of the message
  std::vector<std::string> words;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class MalformedPreflibTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedPreflibTest, ThrowsOneLineNamingFileLineAndProblem) {
  const BadCase& c = GetParam();
  try {
    ParsePreflib(c.text, c.file);
    FAIL() << "no error for " << c.name;
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(c.where, 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const std::string& word : c.words)
      EXPECT_NE(message.find(word), std::string::npos)
          << "missing '" << word << "' in: " << message;
  }
}

// Orders start on line 8 after kHeader3.
INSTANTIATE_TEST_SUITE_P(
    Errors, MalformedPreflibTest,
    ::testing::Values(
        BadCase{"Empty", "t.toi", "\n\n", "t.toi: ", {"empty file"}},
        BadCase{"UnknownAlternative",
                "t.toi",
                Toi(1, 1, "1: 1,4\n"),
                "t.toi:8:6: ",
                {"unknown alternative 4", "1..3"}},
        BadCase{"AlternativeZero", "t.toi", Toi(1, 1, "1: 0\n"), "t.toi:8:4: ", {"unknown"}},
        BadCase{"ListedTwice",
                "t.toi",
                Toi(1, 1, "1: 2,{1,2}\n"),
                "t.toi:8:9: ",
                {"alternative 2 is listed twice", "column 4"}},
        BadCase{
            "CountNotANumber", "t.toi", Toi(1, 1, "x: 1\n"), "t.toi:8:1: ", {"malformed count"}},
        BadCase{"CountNegative", "t.toi", Toi(1, 1, "-1: 1\n"), "t.toi:8:1: ", {"malformed count"}},
        BadCase{"CountZero", "t.toi", Toi(0, 1, "0: 1\n"), "t.toi:8:1: ", {">= 1"}},
        BadCase{
            "CountWithoutColon", "t.toi", Toi(1, 1, "1 1,2\n"), "t.toi:8:1: ", {"count: order"}},
        BadCase{"CountOverflow",
                "t.toi",
                Toi(1, 1, "99999999999999999999999: 1\n"),
                "t.toi:8:1: ",
                {"too large"}},
        BadCase{
            "UnclosedBrace", "t.toi", Toi(1, 1, "1: 1,{2,3\n"), "t.toi:8:6: ", {"unbalanced '{'"}},
        BadCase{"StrayClosingBrace",
                "t.toi",
                Toi(1, 1, "1: 1,2}\n"),
                "t.toi:8:7: ",
                {"unbalanced '}'"}},
        BadCase{"NestedBraces", "t.toi", Toi(1, 1, "1: {1,{2}}\n"), "t.toi:8:7: ", {"nest"}},
        BadCase{"EmptyBraces", "t.toi", Toi(1, 1, "1: {}\n"), "t.toi:8:5: ", {"empty tie"}},
        BadCase{"TrailingComma",
                "t.toi",
                Toi(1, 1, "1: 1,\n"),
                "t.toi:8:6: ",
                {"expected an alternative id 1..3"}},
        BadCase{"Junk", "t.toi", Toi(1, 1, "1: 1;2\n"), "t.toi:8:5: ", {"expected ','"}},
        BadCase{"VotersMismatch",
                "t.toi",
                Toi(5, 2, "3: 1\n1: 2\n"),
                "t.toi:3: ",
                {"NUMBER VOTERS is 5", "sum to 4"}},
        BadCase{"OrdersMismatch",
                "t.toi",
                Toi(4, 3, "3: 1\n1: 2\n"),
                "t.toi:4: ",
                {"NUMBER UNIQUE ORDERS is 3", "2 order lines"}},
        BadCase{"MissingName",
                "t.toi",
                "# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: a\n1: 1\n",
                "t.toi:1: ",
                {"alternative 2 has no"}},
        BadCase{"NameOutOfRange",
                "t.toi",
                "# NUMBER ALTERNATIVES: 1\n# ALTERNATIVE NAME 1: a\n# ALTERNATIVE NAME 2: b\n",
                "t.toi:3:",
                {"unknown alternative 2"}},
        BadCase{"NameTwice",
                "t.toi",
                "# NUMBER ALTERNATIVES: 1\n# ALTERNATIVE NAME 1: a\n# ALTERNATIVE NAME 1: b\n",
                "t.toi:3:",
                {"named twice", "line 2"}},
        BadCase{"MissingNumberAlternatives",
                "t.toi",
                "# ALTERNATIVE NAME 1: a\n1: 1\n",
                "t.toi:2:1: ",
                {"NUMBER ALTERNATIVES"}},
        BadCase{"BadNumberAlternatives",
                "t.toi",
                "# NUMBER ALTERNATIVES: three\n",
                "t.toi:1:24: ",
                {"expected an integer >= 1"}},
        BadCase{"UnsupportedType",
                "t.cat",
                "# DATA TYPE: cat\n",
                "t.cat:1:14: ",
                {"soc, soi, toc or toi"}},
        BadCase{"TieInSoi",
                "t.soi",
                "# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: a\n# ALTERNATIVE NAME 2: "
                "b\n1: {1,2}\n",
                "t.soi:4:4: ",
                {"strict"}},
        BadCase{"IncompleteSoc",
                "t.soc",
                "# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: a\n# ALTERNATIVE NAME 2: "
                "b\n1: 1\n",
                "t.soc:4:1: ",
                {"lists 1 of the 2", ".soc"}},
        BadCase{"IncompleteToc",
                "t.toi",
                "# DATA TYPE: toc\n# NUMBER ALTERNATIVES: 2\n# ALTERNATIVE NAME 1: a\n# "
                "ALTERNATIVE NAME 2: b\n1: 2\n",
                "t.toi:5:1: ",
                {"lists 1 of the 2", ".toc"}},
        BadCase{"HeaderAfterOrders",
                "t.toi",
                Toi(1, 1, "1: 1\n# NUMBER VOTERS: 1\n"),
                "t.toi:9:1: ",
                {"after the orders"}},
        BadCase{"NulByte", "t.toi", std::string("# x\n1\0", 6), "t.toi:2: ", {"NUL"}},
        // Older numeric header.
        BadCase{"OldFirstLineNotANumber",
                "t.soi",
                "alternatives: 2\n",
                "t.soi:1:1: ",
                {"number of alternatives"}},
        BadCase{"OldMissingNameLine",
                "t.soi",
                "2\n1,a\n2\n",
                "t.soi:3:1: ",
                {"'id,name' for alternative 2 of 2"}},
        BadCase{"OldFileEndsInNames",
                "t.soi",
                "3\n1,a\n",
                "t.soi:1:1: ",
                {"3 alternatives", "only 2 lines"}},
        BadCase{"OldBadTotalsLine",
                "t.soi",
                "1\n1,a\n1,1\n1,1\n",
                "t.soi:3:1: ",
                {"voters,sum of counts,unique orders"}},
        BadCase{"OldSumMismatch",
                "t.soi",
                "2\n1,a\n2,b\n3,4,1\n3,1,2\n",
                "t.soi:4: ",
                {"sum of counts is 4", "sum to 3"}},
        BadCase{"OldOrdersMismatch",
                "t.soi",
                "2\n1,a\n2,b\n3,3,2\n3,1,2\n",
                "t.soi:4: ",
                {"unique orders is 2", "1 order lines"}},
        BadCase{"OldCountWithColon",
                "t.soi",
                "2\n1,a\n2,b\n3,3,1\n3: 1,2\n",
                "t.soi:5:1: ",
                {"malformed count", "count,order"}},
        BadCase{"OldUnknownAlternative",
                "t.soi",
                "2\n1,a\n2,b\n3,3,1\n3,1,3\n",
                "t.soi:5:5: ",
                {"unknown alternative 3"}}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(ReadPreflib, MissingFileIsAnInputError) {
  EXPECT_THROW(ReadPreflib(kDir + "preflib/no_such_file.soi"), InputError);
}

}  // namespace
}  // namespace evalsim
