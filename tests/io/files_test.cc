#include "sim/io/files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "sim/core/interrupt.h"

namespace evalsim {
namespace {

namespace fs = std::filesystem;

// A stop signal that arrives while the outputs are written still stops the
// command: Commit moves nothing into place and the staging directory goes.
TEST(StagedDirectory, AStopSignalBeforeTheCommitLeavesNothing) {
  const fs::path base = fs::temp_directory_path() / ("evalsim_files_" + std::to_string(::getpid()));
  fs::remove_all(base);
  fs::create_directories(base);
  const fs::path dest = base / "out";
  {
    StagedDirectory dir(dest);
    WriteTextFile(dir.File("metrics.csv"), "model,metric,value,lo,hi\n");
    RequestInterrupt(true);
    EXPECT_THROW(dir.Commit(), InterruptedError);
    RequestInterrupt(false);
  }
  EXPECT_FALSE(fs::exists(dest));
  int left = 0;
  for (const auto& e : fs::directory_iterator(base)) left += e.exists() ? 1 : 0;
  EXPECT_EQ(left, 0);
  // Without the signal the same steps commit.
  {
    StagedDirectory dir(dest);
    WriteTextFile(dir.File("metrics.csv"), "x\n");
    dir.Commit();
  }
  EXPECT_TRUE(fs::exists(dest / "metrics.csv"));
  // A single file written atomically keeps the old one on a stop signal.
  const fs::path file = base / "scores.csv";
  WriteFileAtomically(file, "old\n");
  RequestInterrupt(true);
  EXPECT_THROW(WriteFileAtomically(file, "new\n"), InterruptedError);
  RequestInterrupt(false);
  EXPECT_EQ(ReadFile(file), "old\n");
  fs::remove_all(base);
}

}  // namespace
}  // namespace evalsim
