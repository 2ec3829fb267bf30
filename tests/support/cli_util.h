// Running the real evalsim binary from a test, and reading files back.
#ifndef EVALSIM_TESTS_SUPPORT_CLI_UTIL_H_
#define EVALSIM_TESTS_SUPPORT_CLI_UTIL_H_

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace testing_util {

struct CliResult {
  int code = -1;
  std::string out;  // stdout and stderr together
};

// Runs `evalsim ARGS` through the shell and returns its exit code and output.
inline CliResult Evalsim(const std::string& args) {
  const std::string cmd = std::string(EVALSIM_BINARY) + " " + args + " 2>&1";
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A file's bytes ("" when it cannot be read).
inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fixture with a fresh directory per test (named after the suite, the test
// and the process), removed afterwards, and the path of a shipped scenario.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("evalsim_" + std::string(info->test_suite_name()) + "_" + std::to_string(::getpid()) +
            "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static std::string ScenarioPath(const std::string& name) {
    return std::string(EVALSIM_SOURCE_DIR) + "/scenarios/" + name;
  }
  std::filesystem::path dir_;
};

}  // namespace testing_util

#endif  // EVALSIM_TESTS_SUPPORT_CLI_UTIL_H_
