// Runtime hardening: the memory pre-flight (sizes, limits, refusals before
// anything is drawn), write failures (a full disk simulated with a
// file-size limit or /dev/full, an --out under a regular file) that leave
// nothing half-written, and clean stops on SIGINT / SIGTERM. The CLI tests
// run the real binary in a child process.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sim/core/errors.h"
#include "sim/run/preflight.h"
#include "sim/scenario/scenario.h"
#include "sim/simulate/organisation.h"
#include "tests/support/cli_util.h"

namespace evalsim {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using testing_util::Slurp;

const std::string kScenarios = std::string(EVALSIM_SOURCE_DIR) + "/scenarios/";
const std::string kQuickstart = kScenarios + "quickstart.toml";
const std::string kMembers = kScenarios + "municipal_member_appraisal.toml";

// The directories TempDir made, removed once every test has run.
std::vector<fs::path>& TempDirs() {
  static std::vector<fs::path> dirs;
  return dirs;
}
class RemoveTempDirs : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    for (const fs::path& d : TempDirs()) fs::remove_all(d, ec);
  }
};
[[maybe_unused]] ::testing::Environment* const kRemoveTempDirs =
    ::testing::AddGlobalTestEnvironment(new RemoveTempDirs);

// A fresh empty directory for one test (per process, so that two test runs
// on one machine do not share it).
fs::path TempDir(const std::string& name) {
  const fs::path d =
      fs::temp_directory_path() / ("evalsim-hardening-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  TempDirs().push_back(d);
  return d;
}

// The names in `dir`, sorted, space-separated ("" when empty or missing).
std::string Entries(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : " ") + n;
  return s;
}

bool Contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// A child evalsim process with stdout and stderr in `log`, and optionally a
// file-size limit. SIGXFSZ keeps its default action (terminate) in the
// child, so a binary that did not ignore it would die of the signal
// instead of reporting an error.
class Child {
 public:
  Child(const std::vector<std::string>& args, const fs::path& log,
        std::optional<rlim_t> fsize = std::nullopt)
      : log_(log) {
    std::vector<std::string> argv_s = {EVALSIM_BINARY};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    pid_ = fork();
    if (pid_ == 0) {
      if (!std::freopen(log.c_str(), "w", stdout)) _exit(120);
      dup2(fileno(stdout), 2);
      signal(SIGXFSZ, SIG_DFL);
      if (fsize) {
        struct rlimit rl {};
        rl.rlim_cur = rl.rlim_max = *fsize;
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(121);
      }
      std::vector<char*> argv;
      for (auto& a : argv_s) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(122);
    }
  }
  ~Child() {
    if (status_ < 0 && pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool Running() {
    if (status_ >= 0) return false;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) status_ = st;
    return status_ < 0;
  }
  void Signal(int sig) const { kill(pid_, sig); }
  // The exit code, or 1000 + the signal number when a signal killed it.
  int Wait() {
    if (status_ < 0) {
      int st = 0;
      if (waitpid(pid_, &st, 0) != pid_) return -1;
      status_ = st;
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : 1000 + WTERMSIG(status_);
  }
  std::string Output() const { return Slurp(log_); }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  fs::path log_;
};

struct Outcome {
  int code;
  std::string out;
  double seconds;
};

Outcome Evalsim(const std::vector<std::string>& args, const fs::path& log,
                std::optional<rlim_t> fsize = std::nullopt) {
  const auto t0 = Clock::now();
  Child c(args, log, fsize);
  const int code = c.Wait();
  return {code, c.Output(), std::chrono::duration<double>(Clock::now() - t0).count()};
}

// ---------------------------------------------------------------------------
// Sizes and limits.

TEST(ByteSize, UnitsArePowersOf1024OrOf1000) {
  EXPECT_EQ(ParseByteSize("1000000", "--max-memory"), 1000000u);
  EXPECT_EQ(ParseByteSize("512M", "--max-memory"), 512u * 1024 * 1024);
  EXPECT_EQ(ParseByteSize("8G", "--max-memory"), 8ull * 1024 * 1024 * 1024);
  EXPECT_EQ(ParseByteSize("1.5GiB", "--max-memory"), 1610612736u);  // 1.5 * 2^30
  EXPECT_EQ(ParseByteSize("2gb", "--max-memory"), 2000000000u);
  EXPECT_EQ(ParseByteSize("64k", "--max-memory"), 65536u);
  EXPECT_EQ(ParseByteSize("3 MiB", "--max-memory"), 3u * 1024 * 1024);
  EXPECT_EQ(ParseByteSize("1T", "--max-memory"), 1ull << 40);
  EXPECT_EQ(ParseByteSize("2e9", "--max-memory"), 2000000000u);
  EXPECT_EQ(ParseByteSize("100B", "--max-memory"), 100u);
}

TEST(ByteSize, BadSizesNameTheFlag) {
  for (const char* bad :
       {"", "abc", "12X", "-5", "0", "0.1", "1e30G", "8 G B", "G", ".", "1..5M"}) {
    try {
      ParseByteSize(bad, "--max-memory");
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const InputError& e) {
      EXPECT_TRUE(Contains(e.what(), "--max-memory")) << e.what();
      EXPECT_TRUE(Contains(e.what(), "512M")) << e.what();  // says what is expected
    }
  }
}

// MemTotal from /proc/meminfo, read here independently of the code under test.
uint64_t MemTotal() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit)
    if (key == "MemTotal:") return kib * 1024;
  return 0;
}

TEST(MemoryLimitTest, SmallestOfFlagMachineAndCgroup) {
  const MemoryLimit machine = AvailableMemory(std::nullopt);
  ASSERT_GT(machine.bytes, 0u);
  ASSERT_GT(MemTotal(), 0u);
  EXPECT_LE(machine.bytes, MemTotal());  // MemAvailable, or a cgroup limit, below the total
  EXPECT_FALSE(Contains(machine.source, "--max-memory"));
  // A flag below the machine's memory wins, and is named.
  const MemoryLimit flagged = AvailableMemory(uint64_t{1} << 20);
  EXPECT_EQ(flagged.bytes, uint64_t{1} << 20);
  EXPECT_EQ(flagged.source, "--max-memory 1.0 MiB");
  // A flag above it does not raise the limit.
  const MemoryLimit huge = AvailableMemory(uint64_t{1} << 62);
  EXPECT_LT(huge.bytes, uint64_t{1} << 62);
  EXPECT_FALSE(Contains(huge.source, "--max-memory"));
}

// Quickstart with fixed counts: 6 districts of 20 towns, 5 superiors and 50
// members per meeting, peers from the evaluees.
Scenario FixedQuickstart(int replicates) {
  return LoadScenario(kQuickstart, {"organisation.levels.town.count=20", "raters.member.count=50",
                                    "replicates=" + std::to_string(replicates)});
}

TEST(Estimate, FromCountsMatchesTheDrawnOrganisationWhenCountsAreFixed) {
  const Scenario s = FixedQuickstart(50);
  EXPECT_DOUBLE_EQ(ExpectedEvaluees(s), 120.0);
  const Organisation org = BuildOrganisation(s);
  ASSERT_EQ(org.NumEvaluees(), 120);
  // Ballots per replicate by hand: superiors 6 * 5 * 20, peers 6 * 20 * 19,
  // members 6 * 50 * 20 * coverage 0.5.
  ASSERT_EQ(org.expected_ballots, 600u + 2280u + 3000u);
  for (int threads : {1, 2, 8}) {
    for (bool per_replicate : {false, true}) {
      const PreflightEstimate drawn = EstimateRun(s, org, threads, per_replicate);
      const PreflightEstimate counted = EstimateRunFromCounts(s, threads, per_replicate);
      EXPECT_EQ(drawn.bytes, counted.bytes) << threads << " " << per_replicate;
      EXPECT_EQ(drawn.Describe(), counted.Describe());
    }
  }
  EXPECT_EQ(EstimateGenerate(s, &org).bytes, EstimateGenerate(s, nullptr).bytes);
}

TEST(Estimate, ExpectedCountsOfRangesAndMonotoneInReplicates) {
  // [15, 25] towns per district: 20 on average.
  const Scenario q = LoadScenario(kQuickstart);
  EXPECT_DOUBLE_EQ(ExpectedEvaluees(q), 6 * 20.0);
  uint64_t last = 0;
  for (int r : {1, 10, 100, 1000}) {
    const uint64_t b = EstimateRunFromCounts(FixedQuickstart(r), 2, false).bytes;
    EXPECT_GE(b, last) << r;
    last = b;
  }
}

// The suggested --replicates R is the largest that fits: R fits, R + 1 not.
TEST(Refusal, SuggestsTheLargestReplicateCountThatFits) {
  const Scenario s = FixedQuickstart(1000);
  const Organisation org = BuildOrganisation(s);
  const PreflightEstimate est = EstimateRun(s, org, 1, false);
  MemoryLimit limit{est.bytes, "test limit"};
  EXPECT_NO_THROW(RefuseIfTooBig("run", est, limit, s, &org, 1, false));
  // Halfway between the baseline-only cost and the full estimate.
  limit.bytes = (EstimateRun(FixedQuickstart(1), org, 1, false).bytes + est.bytes) / 2;
  std::string msg;
  try {
    RefuseIfTooBig("run", est, limit, s, &org, 1, false);
  } catch (const InputError& e) {
    msg = e.what();
  }
  ASSERT_FALSE(msg.empty());
  // It starts with the scenario file, then the command.
  EXPECT_EQ(
      msg.rfind(kQuickstart + ": run: not enough memory: estimated peak " + est.Describe(), 0), 0u)
      << msg;
  EXPECT_TRUE(Contains(msg, "test limit")) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);  // one line
  std::smatch m;
  ASSERT_TRUE(std::regex_search(msg, m, std::regex("--replicates (\\d+)"))) << msg;
  const int r = std::stoi(m[1]);
  EXPECT_LE(EstimateRun(FixedQuickstart(r), org, 1, false).bytes, limit.bytes);
  EXPECT_GT(EstimateRun(FixedQuickstart(r + 1), org, 1, false).bytes, limit.bytes);
}

// ---------------------------------------------------------------------------
// Refusals from the command line: exit 2, one line, within a second, and
// nothing on disk.

void ExpectQuickRefusal(const std::vector<std::string>& args, const fs::path& dir) {
  const Outcome o = Evalsim(args, dir / "log.txt");
  EXPECT_EQ(o.code, 2) << o.out;
  // The refusal names the scenario file (args[1]) first.
  EXPECT_EQ(o.out.rfind("evalsim: " + args.at(1) + ": " + args.at(0), 0), 0u) << o.out;
  EXPECT_TRUE(Contains(o.out, "not enough memory: estimated peak")) << o.out;
  EXPECT_TRUE(Contains(o.out, "from the scenario's expected counts")) << o.out;
  EXPECT_TRUE(Contains(o.out, "but the limit is 8.00 GiB (--max-memory 8.00 GiB)")) << o.out;
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << o.out;
  EXPECT_LT(o.seconds, 1.0) << o.out;
  EXPECT_EQ(Entries(dir), "log.txt");  // no output directory, no staging sibling
}

TEST(Refusal, AbsurdScenariosAreRefusedBeforeAnythingIsDrawn) {
  const fs::path dir = TempDir("absurd");
  const std::string out = (dir / "out").string();
  // 300 members per branch, each rating the other 299: about 2e7 members
  // and 6e9 ballots per replicate.
  ExpectQuickRefusal({"run", kMembers, "--set", "organisation.levels.member.count=300",
                      "--max-memory", "8G", "--out", out},
                     dir);
  // About 1.3e8 members: 5000..6000 branches per town.
  ExpectQuickRefusal({"run", kMembers, "--set", "organisation.levels.branch.count=[5000, 6000]",
                      "--max-memory", "8G", "--out", out},
                     dir);
  ExpectQuickRefusal({"generate", kMembers, "--set", "organisation.levels.member.count=300",
                      "--max-memory", "8G", "--out", out},
                     dir);
  ExpectQuickRefusal({"manipulate", kMembers, "--set", "organisation.levels.member.count=300",
                      "--max-memory", "8G", "--out", out},
                     dir);
  ExpectQuickRefusal({"sweep", kMembers, "--vary", "organisation.levels.member.count=20,300",
                      "--max-memory", "8G", "--out", out},
                     dir);
}

TEST(Refusal, SweepIsCheckedAtItsLargestPoint) {
  const fs::path dir = TempDir("sweep-largest");
  const Outcome o = Evalsim({"sweep", kQuickstart, "--vary", "replicates=2,4000,10", "--models",
                             "standard", "--max-memory", "14M", "--out", (dir / "out").string()},
                            dir / "log.txt");
  EXPECT_EQ(o.code, 2) << o.out;
  EXPECT_TRUE(Contains(
      o.out, kQuickstart + ": sweep: the largest point, sweep point 2 of 3 (replicates=4000)"))
      << o.out;
  EXPECT_EQ(Entries(dir), "log.txt");  // not even DIR.partial
}

TEST(Refusal, ValidateSaysWhetherTheEstimateFits) {
  const fs::path dir = TempDir("validate");
  Outcome o = Evalsim({"validate", kQuickstart, "--max-memory", "1G"}, dir / "log.txt");
  EXPECT_EQ(o.code, 0) << o.out;
  EXPECT_TRUE(Contains(o.out, "fits in the 1.00 GiB available (--max-memory 1.00 GiB)")) << o.out;
  o = Evalsim({"validate", kQuickstart, "--max-memory", "12M"}, dir / "log.txt");
  EXPECT_EQ(o.code, 0) << o.out;
  EXPECT_TRUE(Contains(o.out, "does NOT fit in the 12.0 MiB available")) << o.out;
  // Too large to draw: the estimate from the counts, at once.
  o = Evalsim(
      {"validate", kMembers, "--set", "organisation.levels.member.count=300", "--max-memory", "8G"},
      dir / "log.txt");
  EXPECT_EQ(o.code, 0) << o.out;
  EXPECT_TRUE(Contains(o.out, "not drawn")) << o.out;
  EXPECT_TRUE(Contains(o.out, "does NOT fit in the 8.00 GiB available")) << o.out;
  EXPECT_LT(o.seconds, 1.0);
  o = Evalsim({"run", kQuickstart, "--max-memory", "lots"}, dir / "log.txt");
  EXPECT_EQ(o.code, 2) << o.out;
  EXPECT_TRUE(Contains(o.out, "--max-memory lots")) << o.out;
}

// ---------------------------------------------------------------------------
// Write failures: exit 2 naming the path and the system's reason; no output
// directory and no temporary sibling.

TEST(WriteFailure, OutUnderARegularFile) {
  const fs::path dir = TempDir("under-file");
  std::ofstream(dir / "afile") << "x";
  const std::string out = (dir / "afile" / "sub" / "out").string();
  const std::vector<std::vector<std::string>> commands = {
      {"run", kQuickstart, "--replicates", "2", "--out", out},
      {"generate", kQuickstart, "--out", out},
      {"manipulate", kQuickstart, "--sample", "2", "--out", out},
      {"sweep", kQuickstart, "--replicates", "2", "--vary", "organisation.quality.sd=1,2", "--out",
       out},
  };
  for (const auto& args : commands) {
    const Outcome o = Evalsim(args, dir / "log.txt");
    EXPECT_EQ(o.code, 2) << args[0] << ": " << o.out;
    EXPECT_TRUE(Contains(o.out, (dir / "afile").string())) << o.out;
    EXPECT_TRUE(Contains(o.out, "Not a directory")) << o.out;
    EXPECT_EQ(Entries(dir), "afile log.txt") << args[0];
    EXPECT_EQ(Slurp(dir / "afile"), "x");
  }
}

TEST(WriteFailure, MissingParentsAreRemovedAgain) {
  const fs::path dir = TempDir("parents");
  // The staging directory and the missing parents a/b are made, then the
  // first file write fails (file-size limit): the parents go with it.
  const Outcome o = Evalsim(
      {"run", kQuickstart, "--replicates", "2", "--out", (dir / "a" / "b" / "out").string()},
      dir / "log.txt", 1024);
  ASSERT_EQ(o.code, 2) << o.out;
  EXPECT_TRUE(Contains(o.out, (dir / "a" / "b" / ".out.tmp-").string())) << o.out;
  EXPECT_EQ(Entries(dir), "log.txt");
}

// A file-size limit makes every write past it fail with EFBIG, as a full
// disk fails with ENOSPC.
void ExpectCleanFsizeFailure(const std::vector<std::string>& args, const fs::path& dir,
                             rlim_t limit, const std::string& file, const std::string& left) {
  const Outcome o = Evalsim(args, dir / "log.txt", limit);
  EXPECT_EQ(o.code, 2) << args[0] << ": " << o.out;  // not 1000 + SIGXFSZ
  EXPECT_TRUE(Contains(o.out, "File too large")) << o.out;
  EXPECT_TRUE(Contains(o.out, file)) << o.out;
  EXPECT_EQ(Entries(dir), left) << args[0] << ": " << o.out;
}

TEST(WriteFailure, FileSizeLimitLeavesNothingHalfWritten) {
  const fs::path dir = TempDir("fsize");
  const std::string out = (dir / "out").string();
  ExpectCleanFsizeFailure({"run", kQuickstart, "--replicates", "3", "--out", out}, dir, 2048,
                          "/.out.tmp-", "log.txt");
  ExpectCleanFsizeFailure({"generate", kQuickstart, "--out", out}, dir, 2048, "ballots.csv",
                          "log.txt");
  ExpectCleanFsizeFailure({"manipulate", kQuickstart, "--sample", "2", "--out", out}, dir, 2048,
                          "/.out.tmp-", "log.txt");
  // A sweep fails writing its first point: DIR.partial keeps only what a
  // resume needs (sweep.json), no half-written point.
  ExpectCleanFsizeFailure({"sweep", kQuickstart, "--replicates", "2", "--vary",
                           "organisation.quality.sd=1,2", "--out", out},
                          dir, 2048, "metrics.csv", "log.txt out.partial");
  EXPECT_EQ(Entries(dir / "out.partial"), "points sweep.json");
  EXPECT_EQ(Entries(dir / "out.partial" / "points"), "");
  fs::remove_all(dir / "out.partial");
  // score --out: neither the file nor its temporary sibling.
  ASSERT_EQ(
      Evalsim({"generate", kQuickstart, "--out", (dir / "gen").string()}, dir / "log.txt").code, 0);
  const std::string ballots = (dir / "gen" / "ballots.csv").string();
  ExpectCleanFsizeFailure({"score", "--model", "weighted_mean", "--ballots", ballots, "--bootstrap",
                           "20", "--out", (dir / "scores.csv").string()},
                          dir, 1024, "scores.csv", "gen log.txt");
}

TEST(WriteFailure, PerReplicateGzipFailsCleanly) {
  const fs::path dir = TempDir("gzip");
  // 2500 replicates x 118 evaluees x 7 models: more rows than scores.csv
  // holds in full (it takes its summary form), so scores.csv.gz is the
  // largest file.
  const std::vector<std::string> args = {
      "run", kQuickstart, "--replicates", "2500", "--per-replicate", "--threads", "2", "--out"};
  std::vector<std::string> ok = args;
  ok.push_back((dir / "full").string());
  ASSERT_EQ(Evalsim(ok, dir / "log.txt").code, 0);
  // The largest file apart from scores.csv.gz; the limit sits between it and
  // the gzip file, so the gzip writer is the one that fails.
  uintmax_t others = 0;
  for (const auto& e : fs::directory_iterator(dir / "full"))
    if (e.path().filename() != "scores.csv.gz") others = std::max(others, e.file_size());
  const uintmax_t gz = fs::file_size(dir / "full" / "scores.csv.gz");
  ASSERT_GT(gz, others + 1024);
  fs::remove_all(dir / "full");
  std::vector<std::string> failing = args;
  failing.push_back((dir / "out").string());
  ExpectCleanFsizeFailure(failing, dir, static_cast<rlim_t>(others + 512), "scores.csv.gz",
                          "log.txt");
}

TEST(WriteFailure, ScoreToDevFull) {
  const fs::path dir = TempDir("devfull");
  struct stat before {};
  if (stat("/dev/full", &before) != 0 || !S_ISCHR(before.st_mode)) GTEST_SKIP() << "no /dev/full";
  ASSERT_EQ(
      Evalsim({"generate", kQuickstart, "--out", (dir / "gen").string()}, dir / "log.txt").code, 0);
  const Outcome o = Evalsim({"score", "--model", "weighted_mean", "--ballots",
                             (dir / "gen" / "ballots.csv").string(), "--out", "/dev/full"},
                            dir / "log.txt");
  EXPECT_EQ(o.code, 2) << o.out;
  EXPECT_TRUE(Contains(o.out, "/dev/full: write failed")) << o.out;
  EXPECT_TRUE(Contains(o.out, "No space left on device")) << o.out;
  struct stat after {};
  ASSERT_EQ(stat("/dev/full", &after), 0);
  EXPECT_TRUE(S_ISCHR(after.st_mode));  // still the device, not a renamed file
  EXPECT_EQ(after.st_rdev, before.st_rdev);
}

// ---------------------------------------------------------------------------
// Interruption.

// Waits (up to `seconds`) until `ready()`; false on timeout or when the
// child ended.
template <class F>
bool WaitUntil(Child& c, double seconds, F ready) {
  const auto t0 = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - t0).count() < seconds) {
    if (ready()) return true;
    if (!c.Running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// A run long enough to be interrupted: 600 evaluees, one model, 3000
// replicates (tens of seconds).
std::vector<std::string> LongRun(const fs::path& out) {
  return {"run",       kQuickstart, "--set",        "organisation.levels.town.count=100",
          "--models",  "standard",  "--replicates", "3000",
          "--threads", "2",         "--out",        out.string()};
}

// A calibration long enough to be interrupted: 2000 ballot sets of 400
// resamples (minutes).
std::vector<std::string> LongCalibration(const fs::path& out) {
  return {"calibrate",    kQuickstart, "--models",    "standard",  "--sets", "2000",
          "--population", "2000",      "--bootstrap", "400",       "--runs", "0",
          "--threads",    "2",         "--out",       out.string()};
}

void ExpectCleanInterrupt(int sig, std::vector<std::string> (*command)(const fs::path&) = LongRun) {
  const fs::path dir = TempDir(sig == SIGINT ? "sigint" : "sigterm");
  Child c(command(dir / "out"), dir / "log.txt");
  // The staging directory exists once the run has started.
  ASSERT_TRUE(WaitUntil(c, 30, [&] { return Contains(Entries(dir), ".out.tmp-"); })) << c.Output();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // mid-run
  ASSERT_TRUE(c.Running()) << "finished before the signal: " << c.Output();
  const auto t0 = Clock::now();
  c.Signal(sig);
  EXPECT_EQ(c.Wait(), 130) << c.Output();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 10.0);
  EXPECT_TRUE(Contains(c.Output(), "interrupted; no partial output was kept")) << c.Output();
  EXPECT_EQ(Entries(dir), "log.txt");
}

TEST(Interrupt, SigintStopsARunWithNothingLeft) { ExpectCleanInterrupt(SIGINT); }
TEST(Interrupt, SigtermStopsARunWithNothingLeft) { ExpectCleanInterrupt(SIGTERM); }
TEST(Interrupt, SigintStopsACalibrationWithNothingLeft) {
  ExpectCleanInterrupt(SIGINT, LongCalibration);
}

TEST(Interrupt, SweepKeepsFinishedPointsAndResumes) {
  const fs::path dir = TempDir("sweep-signal");
  const std::string out = (dir / "out").string();
  const std::vector<std::string> args = {"sweep",        kQuickstart,
                                         "--set",        "organisation.levels.town.count=100",
                                         "--models",     "standard",
                                         "--replicates", "150",
                                         "--vary",       "organisation.quality.sd=0.8,1,1.2,1.4",
                                         "--threads",    "2",
                                         "--out",        out};
  const fs::path points = dir / "out.partial" / "points";
  auto finished = [&] {
    int n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(points, ec))
      n += e.path().filename().string()[0] != '.' ? 1 : 0;
    return n;
  };
  {
    Child c(args, dir / "log.txt");
    ASSERT_TRUE(WaitUntil(c, 60, [&] { return finished() >= 1; })) << c.Output();
    c.Signal(SIGTERM);
    EXPECT_EQ(c.Wait(), 130) << c.Output();
    EXPECT_TRUE(Contains(c.Output(), "rerun the same command with --resume")) << c.Output();
  }
  EXPECT_EQ(Entries(dir), "log.txt out.partial");  // no DIR, no staging sibling
  const int kept = finished();
  EXPECT_GE(kept, 1);
  EXPECT_LT(kept, 4);
  for (const auto& e : fs::directory_iterator(points)) {
    EXPECT_NE(e.path().filename().string()[0], '.') << e.path();  // no half-written point
    EXPECT_TRUE(fs::exists(e.path() / "metrics.csv"));
    EXPECT_TRUE(fs::exists(e.path() / "manifest.json"));
  }
  std::vector<std::string> resume = args;
  resume.push_back("--resume");
  const Outcome o = Evalsim(resume, dir / "log2.txt");
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_TRUE(Contains(o.out, std::to_string(kept) + " resumed from")) << o.out;
  EXPECT_EQ(Entries(dir), "log.txt log2.txt out");
  EXPECT_EQ(Entries(dir / "out" / "points"), "001 002 003 004");
}

}  // namespace
}  // namespace evalsim
