// The readers and writers of output files that the report builds on:
// MappedFile and OutputFile (sim/io/files.h), ReadCsvTable and
// ReadCsvColumns (sim/io/csv.h).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
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

}  // namespace
}  // namespace evalsim
