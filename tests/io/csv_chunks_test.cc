// The fast path of the CSV readers (sim/io/csv_chunks.h, sim/io/csv_fast.h)
// against the exact record-by-record reader: the same records, the same
// ballots and the same errors, however the text is cut into chunks and on
// however many threads.
#include "sim/io/csv_chunks.h"

#include <csv.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <string>
#include <vector>

#include "sim/core/errors.h"
#include "sim/core/rng.h"
#include "sim/io/csv.h"
#include "sim/io/csv_fast.h"

namespace evalsim {
namespace {

// The records of `text` as the exact reader sees them, one per line, fields
// separated by '|'; or "error" when it refuses the text.
std::string ExactRecords(std::string_view text) {
  std::string out;
  try {
    ParseCsvRecords(text, "t.csv", [&](long, std::span<const std::string_view> fields) {
      out += fmt::format("{}\n", fmt::join(fields, "|"));
    });
  } catch (const InputError&) {
    return "error";
  }
  return out;
}

// The same by libcsv alone, fed the whole text at once with the exact
// reader's options: the reference for the exact reader, which reads whole
// lines by RecordCursor and only the others by libcsv.
std::string LibcsvRecords(std::string_view text) {
  text = WithoutBom(text);
  if (text.find('\0') != std::string_view::npos) return "error";
  struct Sink {
    std::vector<std::string> fields;
    std::string out;
  } sink;
  csv_parser parser;
  EXPECT_EQ(csv_init(&parser, 0), 0);
  csv_set_opts(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
  const auto on_field = [](void* data, size_t len, void* self) {
    static_cast<Sink*>(self)->fields.emplace_back(data ? static_cast<const char*>(data) : "", len);
  };
  const auto on_record = [](int, void* self) {
    Sink& s = *static_cast<Sink*>(self);
    s.out += fmt::format("{}\n", fmt::join(s.fields, "|"));
    s.fields.clear();
  };
  const bool ok =
      csv_parse(&parser, text.data(), text.size(), on_field, on_record, &sink) == text.size() &&
      csv_fini(&parser, on_field, on_record, &sink) == 0;
  csv_free(&parser);
  return ok ? sink.out : "error";
}

// The same by RecordCursor, or "doubt".
std::string CursorRecords(std::string_view text) {
  text = WithoutBom(text);
  RecordCursor cursor(text.data(), text.data() + text.size());
  std::string out;
  for (;;) {
    switch (cursor.Next()) {
      case RecordCursor::kRecord:
        out += fmt::format("{}\n", fmt::join(cursor.Fields(), "|"));
        break;
      case RecordCursor::kBlank:
        break;
      case RecordCursor::kEnd:
        return out;
      case RecordCursor::kDoubt:
        return "doubt";
    }
  }
}

TEST(RecordCursor, ReadsWhatTheExactReaderReads) {
  for (const std::string_view text : {
           "a,b\n1,2\n",
           "a,b\r\n1,2\r\n",
           "a,b\r1,2\r",
           "a,b\n1,2",
           "\xEF\xBB\xBF"
           "a,b\n",
           "  a , b \t\n",
           "\"a,b\",\"c\"\"d\"\n",
           "\"x\ny\",2\n",
           "\n\n a\n \r\n",
           "a,\n,b\n,\n",
           "\"a\"  ,b\n",
           "a,\"\"\n",
           "a, \"q\" \n",
           "\"\"\"\"\n",
           "a,b,",
           "\"a\"",
           "张三,李四\n",
       }) {
    EXPECT_EQ(CursorRecords(text), ExactRecords(text)) << text;
    EXPECT_EQ(ExactRecords(text), LibcsvRecords(text)) << text;
  }
}

TEST(RecordCursor, DoubtsWhatTheExactReaderRefuses) {
  for (const std::string& text : {
           std::string("a\"b\n"),
           std::string("\"a\"b\n"),
           std::string("\"a\" \"\n"),
           std::string("\"abc\n"),
           std::string("a,b\0\n", 5),
           std::string("\"a\0\"\n", 5),
       }) {
    EXPECT_EQ(ExactRecords(text), "error") << text;
    EXPECT_EQ(LibcsvRecords(text), "error") << text;
    EXPECT_EQ(CursorRecords(text), "doubt") << text;
  }
}

// Random texts over the characters that matter: whenever the cursor reads
// a text without doubt, the exact reader reads the same records.
TEST(RecordCursor, NeverDisagreesWithTheExactReaderOnRandomText) {
  const std::string alphabet[] = {"a", "b", ",", "\"", " ", "\t", "\r", "\n", "\"\"", "é"};
  int read = 0;
  for (uint64_t trial = 0; trial < 20000; ++trial) {
    Rng rng(DeriveSeed(77, {trial}));
    std::string text;
    const uint64_t length = rng.Below(14);
    for (uint64_t i = 0; i < length; ++i) text += alphabet[rng.Below(std::size(alphabet))];
    ASSERT_EQ(ExactRecords(text), LibcsvRecords(text)) << "trial " << trial;
    const std::string cursor = CursorRecords(text);
    if (cursor == "doubt") continue;
    ++read;
    ASSERT_EQ(cursor, ExactRecords(text)) << "trial " << trial << ": \"" << text << "\"";
  }
  EXPECT_GT(read, 5000);  // most texts are read by the cursor, not sent back
}

// The exact reader reads whole lines by RecordCursor and the rest by
// libcsv: each record still comes with the line it began on, across both.
TEST(ExactReader, RecordLinesAcrossCursorAndLibcsvLines) {
  const std::string text =
      "a,b\n"           // 1: cursor
      "\"x\ny\",2\n"    // 2-3: a quoted field over two lines (libcsv)
      "\n"              // 4: blank
      " c , d \r\n"     // 5: trimmed
      "e,\"f\"\"g\"\n"  // 6: an escaped quote
      "h,i";            // 7: no line end
  std::vector<std::string> got;
  ParseCsvRecords(text, "t.csv", [&](long line, std::span<const std::string_view> fields) {
    got.push_back(fmt::format("{}:{}", line, fmt::join(fields, "|")));
  });
  const std::vector<std::string> want = {"1:a|b", "2:x\ny|2", "5:c|d", "6:e|f\"g", "7:h|i"};
  EXPECT_EQ(got, want);
}

// ---------------------------------------------------------------------------
// Ratings: the fast path gives the exact reader's ballots for every cut.

std::string Describe(const RatingBallots& b) {
  std::vector<std::string> words;
  for (size_t i = 0; i < b.ballot.size(); ++i)
    words.push_back(fmt::format("{}{}", b.ballot[i],
                                b.Weighted() ? fmt::format("*{}", b.weight[i]) : std::string()));
  return fmt::format("K={} G=[{}] E=[{}] R=[{}] rg=[{}] slots=[{}] ballots=[{}]", b.levels,
                     fmt::join(b.group_names, ","), fmt::join(b.ratee_names, ","),
                     fmt::join(b.rater_names, ","), fmt::join(b.rater_group, ","),
                     fmt::join(b.slot_begin, ","), fmt::join(words, ","));
}

// A random ratings file with the spellings the fast path must handle:
// quoted ids (holding commas, quotes and line ends), spaces around cells,
// blank lines, CRLF, a BOM, a weight column, and ids that repeat.
std::string RandomRatings(uint64_t trial) {
  Rng rng(DeriveSeed(20240601, {trial}));
  const bool weighted = rng.Bernoulli(0.5), grouped = rng.Bernoulli(0.5);
  const std::string eol = rng.Bernoulli(0.5) ? "\r\n" : "\n";
  std::string text = rng.Bernoulli(0.3) ? "\xEF\xBB\xBF" : "";
  text += std::string("grade,ratee,rater") + (grouped ? ",group" : "") +
          (weighted ? ",weight" : "") + eol;
  const std::string ratee_names[] = {"e1", "\"e,2\"", "\"e\"\"3\"", "\"e\n4\"", " e5 ", "张"};
  const int num_raters = 2 + static_cast<int>(rng.Below(20));
  for (int r = 0; r < num_raters; ++r) {
    for (size_t e = 0; e < std::size(ratee_names); ++e) {
      if (rng.Bernoulli(0.4)) continue;
      if (rng.Bernoulli(0.1)) text += eol;  // a blank line
      text += fmt::format("{},{},{}", rng.Bernoulli(0.1) ? "" : std::to_string(rng.Below(4)),
                          ratee_names[e],
                          rng.Bernoulli(0.5) ? fmt::format("r{}", r) : fmt::format("\"r{}\"", r));
      if (grouped) text += fmt::format(",g{}", r % 3);
      if (weighted) text += fmt::format(",{}", 0.5 * static_cast<double>(rng.Below(5)));
      text += eol;
    }
  }
  return text + "0,e1,last" + (grouped ? ",g9" : "") + (weighted ? ",1" : "");
}

TEST(FastRatings, MatchesTheExactReaderForEveryChunkSize) {
  for (uint64_t trial = 0; trial < 60; ++trial) {
    const std::string text = RandomRatings(trial);
    const std::string exact = Describe(ParseRatingsCsv(text, "t.csv", {}, {.fast = false}));
    for (size_t chunk : {1, 2, 3, 5, 8, 13, 64, 1000, 0}) {
      ChunkOptions o;
      o.chunk_bytes = chunk;
      const std::optional<RatingBallots> fast = FastRatings(text, {}, o);
      ASSERT_TRUE(fast.has_value()) << "trial " << trial << " chunk " << chunk << "\n" << text;
      ASSERT_EQ(Describe(*fast), exact) << "trial " << trial << " chunk " << chunk;
    }
  }
}

// A record whose quoted id holds line ends is split across chunks: every
// line start is a chunk start with chunk_bytes = 1.
TEST(FastRatings, RecordSplitAcrossChunks) {
  const std::string text = "rater,ratee,grade\nr1,\"a\nb\nc\",1\nr2,\"a\nb\nc\",2\nr1,x,3\n";
  ChunkOptions o;
  o.chunk_bytes = 1;
  const std::optional<RatingBallots> b = FastRatings(text, {}, o);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->ratee_names, (std::vector<std::string>{"a\nb\nc", "x"}));
  EXPECT_EQ(Describe(*b), Describe(ParseRatingsCsv(text, "t.csv", {}, {.fast = false})));
}

// Names keep their order of first appearance on 1 and on 2 threads.
TEST(FastRatings, FirstAppearanceOrderOnOneAndTwoThreads) {
  std::string text = "rater,ratee,grade\n";
  for (int i = 0; i < 3000; ++i)
    text += fmt::format("r{},e{},{}\n", (i * 7) % 501, (i * 13) % 97, i % 4);
  const std::string exact = Describe(ParseRatingsCsv(text, "t.csv", {}, {.fast = false}));
  for (int threads : {1, 2}) {
    tbb::task_arena arena(threads);
    arena.execute([&] {
      EXPECT_EQ(Describe(ParseRatingsCsv(text, "t.csv", {}, {.chunk_bytes = 997})), exact);
      EXPECT_EQ(Describe(ParseRatingsCsv(text, "t.csv")), exact);
    });
  }
  const RatingBallots b = ParseRatingsCsv(text, "t.csv", {}, {.chunk_bytes = 100});
  EXPECT_EQ(b.rater_names[0], "r0");
  EXPECT_EQ(b.rater_names[1], "r7");
  EXPECT_EQ(b.ratee_names[1], "e13");
}

// Grades written as the scale's labels, and item ballots, read as the exact
// reader reads them; with number-like labels a number is a label (grade
// "1" of a 1-5 scale is grade 0), which the fast parse must never take as a
// grade.
TEST(FastRatings, LabelsAndItemsReadAsTheExactReaderReads) {
  const std::string numeric = "rater,ratee,grade\nr1,a,1\nr2,a,5\nr1,b,3\n";
  RatingsReadOptions five;
  five.levels = 5;
  five.grade_labels = {"1", "2", "3", "4", "5"};
  EXPECT_FALSE(FastRatings(numeric, five, {}).has_value());
  const RatingBallots b = ParseRatingsCsv(numeric, "t.csv", five);
  EXPECT_EQ(Describe(b), Describe(ParseRatingsCsv(numeric, "t.csv", five, {.fast = false})));
  EXPECT_EQ(BallotGrade(b.SlotBallots(b.Slot(0, 0))[0]), 0);  // "1" is the lowest grade
  RatingsReadOptions words;
  words.levels = 4;
  words.grade_labels = {"差", "一般", "较好", "好"};
  const std::string mixed = "rater,ratee,grade\nr1,a,好\nr2,a,2\nr1,b,差\n";
  EXPECT_EQ(Describe(ParseRatingsCsv(mixed, "t.csv", words)),
            Describe(ParseRatingsCsv(mixed, "t.csv", words, {.fast = false})));
  const std::string items = "rater,ratee,grade,item\nr1,a,2,\nr1,a,3,德\nr2,a,1,\n";
  EXPECT_FALSE(FastRatings(items, {}, {}).has_value());
  const RatingBallots with_items = ParseRatingsCsv(items, "t.csv");
  EXPECT_EQ(with_items.item_names, (std::vector<std::string>{"德"}));
}

// An error in a later chunk is reported as the exact reader reports it:
// the same line, and column where it has one.
TEST(FastRatings, BadRowInTheSecondChunkNamesItsLineAndColumn) {
  std::string text = "rater,ratee,grade\r\n";
  for (int i = 0; i < 200; ++i) text += fmt::format("r{},e{},{}\r\n", i, i % 5, i % 4);
  const std::string good = text;
  auto error = [](const std::string& t) {
    try {
      ParseRatingsCsv(t, "t.csv", {}, {.chunk_bytes = 512});
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error(good + "r9,e1,x\r\n").rfind("t.csv:202: column 'grade': found \"x\"", 0), 0u);
  EXPECT_EQ(error(good + "r9,e\"1,3\r\n").rfind("t.csv:202:5: malformed quoting", 0), 0u);
  EXPECT_EQ(error(good + "\"r9,e1,3\r\n").rfind("t.csv:202: unterminated quoted field", 0), 0u);
  EXPECT_EQ(
      error(good + "r3,e3,1\r\n").rfind("t.csv:202: rater \"r3\" rates ratee \"e3\" again", 0), 0u);
  // The same rows, bad and good, cut in one chunk give the same messages.
  for (const char* bad : {"r9,e1,x", "r9,e\"1,3", "r3,e3,1"}) {
    std::string one_chunk;
    try {
      ParseRatingsCsv(good + bad + "\r\n", "t.csv");
    } catch (const InputError& e) {
      one_chunk = e.what();
    }
    EXPECT_EQ(error(good + bad + "\r\n"), one_chunk);
  }
}

// ---------------------------------------------------------------------------
// Pairwise and indicators.

std::string DescribePairs(const PairwiseBallots& b) {
  return fmt::format(
      "[{}] {} {} {} | {} {} {} {}", fmt::join(b.ratee_names, ","), fmt::join(b.seq_winner, ","),
      fmt::join(b.seq_loser, ","), fmt::join(b.seq_weight, ","), fmt::join(b.first, ","),
      fmt::join(b.second, ","), fmt::join(b.first_wins, ","), fmt::join(b.second_wins, ","));
}

TEST(FastPairwise, MatchesTheExactReaderForEveryChunkSize) {
  for (uint64_t trial = 0; trial < 30; ++trial) {
    Rng rng(DeriveSeed(5, {trial}));
    const std::string names[] = {"a", "\"b,1\"", " c ", "\"d\"\"\"", "\"e\r\nf\""};
    std::string text = trial % 2 ? "loser,weight,winner\n" : "winner,loser\r\n";
    for (int i = 0; i < 40; ++i) {
      const uint64_t w = rng.Below(5), l = (w + 1 + rng.Below(4)) % 5;
      text += trial % 2 ? fmt::format("{},{},{}\n", names[l], rng.Below(3), names[w])
                        : fmt::format("{},{}\r\n", names[w], names[l]);
    }
    const std::string exact = DescribePairs(ParsePairwiseCsv(text, "t.csv", {.fast = false}));
    for (size_t chunk : {1, 4, 9, 100, 0}) {
      ChunkOptions o;
      o.chunk_bytes = chunk;
      const std::optional<PairwiseBallots> fast = FastPairwise(text, o);
      ASSERT_TRUE(fast.has_value()) << trial << " " << chunk;
      EXPECT_EQ(DescribePairs(*fast), exact) << trial << " " << chunk;
    }
  }
}

TEST(FastIndicators, MatchesTheExactReaderForEveryChunkSize) {
  std::string text = "\xEF\xBB\xBFunit,gdp,\"crime, per 1000\"\r\n";
  for (int i = 0; i < 50; ++i)
    text += fmt::format("\"u\n{}\",{},{}\r\n", i, i % 7 ? fmt::format("{}.5", i) : "", -i);
  auto describe = [](const IndicatorTable& t) {
    std::vector<double> v(t.values.data(), t.values.data() + t.values.size());
    return fmt::format("[{}] [{}] {}", fmt::join(t.ratee_names, ","), fmt::join(t.names, ","),
                       fmt::join(v, ","));
  };
  const std::string exact = describe(ParseIndicatorsCsv(text, "t.csv", {.fast = false}));
  for (size_t chunk : {1, 7, 64, 0}) {
    ChunkOptions o;
    o.chunk_bytes = chunk;
    const std::optional<IndicatorTable> fast = FastIndicators(text, o);
    ASSERT_TRUE(fast.has_value()) << chunk;
    EXPECT_EQ(describe(*fast), exact) << chunk;
  }
  // A unit repeated in another chunk is left to the exact reader's message.
  try {
    ParseIndicatorsCsv(text + "\"u\n3\",1,2\n", "t.csv", {.chunk_bytes = 16});
    FAIL() << "repeated unit accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind("t.csv:102: unit \"u\\n3\" appears again (first on line 8)", 0),
        0u)
        << e.what();
  }
}

}  // namespace
}  // namespace evalsim
