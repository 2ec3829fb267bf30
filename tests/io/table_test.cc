// The readers of output files that the report builds on: MappedFile
// (sim/io/files.h), ReadCsvTable and ReadCsvColumns (sim/io/csv.h).
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
      [&](long line, std::span<const std::string> f) {
        got.push_back("header@" + std::to_string(line) + ":" + f[0] + f[1]);
      },
      [&](long line, std::span<const std::string> f) {
        got.push_back("row@" + std::to_string(line) + ":" + f[0] + f[1]);
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

}  // namespace
}  // namespace evalsim
