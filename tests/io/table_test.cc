// The readers and writers of output files that the report builds on:
// MappedFile and OutputFile (sim/io/files.h), ReadCsvTable and
// ReadCsvColumns (sim/io/csv.h).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/errors.h"
#include "sim/io/csv.h"
#include "sim/io/files.h"

namespace evalsim {
namespace {

namespace fs = std::filesystem;

class Table : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("evalsim-table-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

  // The InputError message of `f`, or "" when it does not throw one.
  template <typename F>
  static std::string ErrorOf(F&& f) {
    try {
      f();
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

TEST_F(Table, MappedFileHoldsTheBytes) {
  const fs::path p = Write("a.txt", "one\ntwo\n");
  const MappedFile file(p);
  EXPECT_EQ(file.Text(), "one\ntwo\n");
  EXPECT_EQ(file.Name(), p.string());
  EXPECT_EQ(MappedFile(Write("empty.txt", "")).Text(), "");
}

TEST_F(Table, MappedFileNamesWhatIsWrong) {
  const std::string missing = (dir_ / "missing.csv").string();
  EXPECT_EQ(ErrorOf([&] { MappedFile{missing}; }), missing + ": cannot be opened");
  EXPECT_EQ(ErrorOf([&] { MappedFile{dir_}; }), dir_.string() + ": not a regular file");
}

TEST_F(Table, ColumnsComeInTheOrderAsked) {
  const fs::path p = Write("t.csv", "b,x,a\n1,skip,2\n\"3,\",skip,4\n");
  std::vector<std::string> got;
  ReadCsvColumns(p, {"a", "b"}, [&](long line, const std::vector<std::string_view>& f) {
    got.push_back(std::to_string(line) + ":" + std::string(f[0]) + "|" + std::string(f[1]));
  });
  EXPECT_EQ(got, (std::vector<std::string>{"2:2|1", "3:4|3,"}));
}

TEST_F(Table, TableGivesTheHeaderThenTheRows) {
  const fs::path p = Write("t.csv", "h1,h2\n\n1,2\n");
  std::vector<std::string> got;
  ReadCsvTable(
      p,
      [&](long line, std::span<const std::string_view> f) {
        got.push_back(fmt::format("header@{}:{}{}", line, f[0], f[1]));
      },
      [&](long line, std::span<const std::string_view> f) {
        got.push_back(fmt::format("row@{}:{}{}", line, f[0], f[1]));
      });
  EXPECT_EQ(got, (std::vector<std::string>{"header@1:h1h2", "row@3:12"}));
}

TEST_F(Table, ErrorsNameFileAndLine) {
  const auto none = [](long, const std::vector<std::string_view>&) {};
  const fs::path missing_column = Write("m.csv", "model,value\nx,1\n");
  EXPECT_EQ(ErrorOf([&] {
              ReadCsvColumns(missing_column, {"model", "lo"}, none);
            }),
            missing_column.string() + ":1: missing column 'lo' in the header");
  const fs::path ragged = Write("r.csv", "model,value\nx,1\ny\n");
  EXPECT_EQ(ErrorOf([&] { ReadCsvColumns(ragged, {"model"}, none); }),
            ragged.string() + ":3: 1 field(s); expected 2 as in the header");
  const fs::path empty = Write("e.csv", "");
  EXPECT_EQ(ErrorOf([&] { ReadCsvColumns(empty, {"model"}, none); }),
            empty.string() + ": empty file (expected a header)");
}

// OutputFile writes whole aligned blocks directly and the rest the ordinary
// way: every size around the block and buffer sizes comes back whole.
TEST_F(Table, OutputFileWritesEveryByte) {
  for (const size_t size : {size_t{0}, size_t{1}, size_t{4095}, size_t{4096}, size_t{4097},
                            (size_t{8} << 20) + 4099, (size_t{17} << 20) + 1}) {
    std::string text(size, '\0');
    for (size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + (i * 7919) % 26);
    const fs::path p = dir_ / "out.txt";
    OutputFile file(p);
    for (size_t at = 0, piece = 1; at < size; at += piece, piece = piece * 3 + 1)
      file.Write(std::string_view(text).substr(at, piece));
    file.Close();
    EXPECT_EQ(ReadFile(p), text) << size << " bytes";
  }
}

TEST_F(Table, OutputFileNamesWhatIsWrong) {
  const fs::path nowhere = dir_ / "missing" / "out.txt";
  EXPECT_EQ(ErrorOf([&] { OutputFile{nowhere}; }),
            nowhere.string() + ": cannot open for writing: No such file or directory");
  if (fs::exists("/dev/full")) {
    EXPECT_EQ(ErrorOf([&] { WriteTextFile("/dev/full", std::string(10000, 'x')); }),
              "/dev/full: write failed (disk full or file-size limit): No space left on device");
  }
}

TEST_F(Table, EvictedBytesReadAgainFromTheFile) {
  std::string text(size_t{3} << 20, 'x');
  for (size_t i = 0; i < text.size(); i += 97) text[i] = '\n';
  const MappedFile file(Write("big.txt", text));
  ASSERT_EQ(file.Text(), text);
  file.Evict(0, size_t{2} << 20);
  file.Evict(size_t{1} << 20, size_t{8} << 20);  // past the end: up to the end
  EXPECT_EQ(file.Text(), text);
}

// A table larger than the reader's eviction step is read whole, its pages
// let go behind the reader.
TEST_F(Table, LargeTableIsReadWhole) {
  std::string text = "id,value\n";
  long rows = 0;
  while (text.size() < (size_t{66} << 20)) text += fmt::format("r{},{}\n", rows, rows), ++rows;
  const fs::path p = Write("large.csv", text);
  long seen = 0, bad = 0;
  ReadCsvColumns(p, {"value"}, [&](long line, const std::vector<std::string_view>& f) {
    if (f[0] != std::to_string(seen) || line != seen + 2) ++bad;
    ++seen;
  });
  EXPECT_EQ(seen, rows);
  EXPECT_EQ(bad, 0);
}

// ReadCsvColumns reads windows of records on every core and leaves what it
// cannot count lines of to the exact reader; ReadCsvTable is the exact
// reader alone. Both must give the same rows, lines and errors: here every
// row's line and fields are hashed, and a sample of them kept to show.
struct Rows {
  long count = 0;
  uint64_t hash = 1469598103934665603u;
  std::vector<std::string> shown;  // the first rows, every 100,000th, the error
  std::string last;                // the last row
  bool operator==(const Rows&) const = default;

  void Add(long line, std::string_view c, std::string_view a) {
    last = fmt::format("{}:[{}][{}]", line, c, a);
    for (const char ch : last) hash = (hash ^ static_cast<unsigned char>(ch)) * 1099511628211u;
    if (count++ % 100000 == 0 || line < 20) shown.push_back(last);
  }
};

void PrintTo(const Rows& r, std::ostream* os) {
  *os << r.count << " rows, hash " << r.hash << ", last " << r.last << ": "
      << fmt::format("{}", fmt::join(r.shown, " "));
}

Rows ColumnsRead(const fs::path& p, bool exact) {
  const std::vector<std::string> columns = {"c", "a"};
  Rows got;
  try {
    if (!exact) {
      ReadCsvColumns(p, columns, [&](long line, const std::vector<std::string_view>& f) {
        got.Add(line, f[0], f[1]);
      });
      return got;
    }
    std::vector<size_t> index;
    ReadCsvTable(
        p,
        [&](long line, std::span<const std::string_view> f) {
          for (const std::string& c : columns) {
            const auto it = std::find(f.begin(), f.end(), c);
            if (it == f.end())
              throw InputError(
                  fmt::format("{}:{}: missing column '{}' in the header", p.string(), line, c));
            index.push_back(static_cast<size_t>(it - f.begin()));
          }
        },
        [&](long line, std::span<const std::string_view> f) {
          got.Add(line, f[index[0]], f[index[1]]);
        });
  } catch (const InputError& e) {
    got.shown.push_back(e.what());
  }
  return got;
}

TEST_F(Table, ColumnsReadLikeTheExactReader) {
  const std::vector<std::string> texts = {
      "a,b,c\n1,2,3\n4,5,6\n",
      "a,b,c\n1,2,3\n\n  \n4, 5 ,6",                       // blank lines, spaces, no last LF
      "a,b,c\n\"x,y\",2,\"q\"\n\"say \"\"hi\"\"\",5,6\n",  // quoted, escaped quotes
      "a,b,c\n1,2,\"two\nlines\"\n4,5,6\n",                // a line end inside a field
      "a,b,c\r\n1,2,3\r\n4,5,6\r\n",                       // CRLF
      "a,b,c\n1,2,3\r4,5,6\n7,8,9\n",                      // a lone CR
      "\xEF\xBB\xBF"
      "a,b,c\n1,2,3\n",         // byte-order mark
      "\na,b,c\n1,2,3\n",       // header on line 2
      "a,b,c\n1,2,3\n4,5\n",    // a short row
      "a,b,c\n1,2,3\n4,\"5\n",  // unterminated quote
      "a,b\n1,2\n",             // a missing column
  };
  for (const std::string& text : texts) {
    const fs::path p = Write("t.csv", text);
    EXPECT_EQ(ColumnsRead(p, false), ColumnsRead(p, true)) << text;
  }
}

// Past the first window (64 MiB) a line end inside a field hands the rest
// to the exact reader, which goes on with the right line numbers.
TEST_F(Table, ColumnsReadLikeTheExactReaderAcrossWindows) {
  std::string text = "c,a\n";
  for (long r = 0; text.size() < (size_t{65} << 20); ++r) {
    text += fmt::format("{},{}\n", r, r % 7);
    if (r == 1000) text += "\n";
  }
  text += "\"two\nlines\",x\nlast,\"y\"\"\"\r\nz,1\n";
  const fs::path p = Write("t.csv", text);
  const Rows fast = ColumnsRead(p, false);
  EXPECT_EQ(fast, ColumnsRead(p, true));
  // Lines: the header, the rows but the last three, a blank line, a record
  // of two lines, then one line each for the last two.
  EXPECT_EQ(fast.last, fmt::format("{}:[z][1]", fast.count + 3));
}

}  // namespace
}  // namespace evalsim
