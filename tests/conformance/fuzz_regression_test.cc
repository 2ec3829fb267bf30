// Every file under tests/data/fuzz/<target>/ goes through the reader that the
// libFuzzer target <target> (fuzz/) exercises: inputs that once crashed, hung
// or exhausted memory there, and a few valid seeds. Each must either parse
// or throw InputError whose message names the file; any other exception
// fails the test, a crash fails the binary, and a hang runs into the test's
// time limit (TIMEOUT in tests/CMakeLists.txt). Files named valid_* must
// parse and files named bad_* must be refused, so that the test is not
// vacuous; the others (inputs that once failed in the fuzzer) may do either.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/core/errors.h"
#include "sim/io/ahp_matrix.h"
#include "sim/io/csv.h"
#include "sim/io/preflib.h"
#include "sim/scenario/scenario.h"

namespace evalsim {
namespace {

namespace fs = std::filesystem;

struct Input {
  std::string name;  // file name (for messages and the valid_ prefix)
  std::string text;
};

std::vector<Input> Inputs(const std::string& target) {
  const fs::path dir = fs::path(EVALSIM_SOURCE_DIR) / "tests/data/fuzz" / target;
  std::vector<Input> inputs;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    inputs.push_back({entry.path().filename().string(), text.str()});
  }
  std::sort(inputs.begin(), inputs.end(),
            [](const Input& a, const Input& b) { return a.name < b.name; });
  return inputs;
}

enum class Outcome { kParsed, kInputError };

// Runs `parse`, expecting it to parse or to throw an InputError that names
// `file`; records a failure otherwise.
Outcome Check(const std::string& file, const std::function<void()>& parse) {
  try {
    parse();
    return Outcome::kParsed;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos)
        << "the message does not name " << file << ": " << e.what();
    return Outcome::kInputError;
  } catch (const std::exception& e) {
    ADD_FAILURE() << file << ": exception other than InputError: " << e.what();
  } catch (...) {
    ADD_FAILURE() << file << ": exception other than InputError";
  }
  return Outcome::kInputError;
}

bool IsValidSeed(const Input& input) { return input.name.starts_with("valid_"); }

// Runs every file of `target` through `run(input)`, which returns whether all
// the variants it tried parsed, and checks the valid seeds.
void RunAll(const std::string& target, const std::function<bool(const Input&)>& run) {
  const std::vector<Input> inputs = Inputs(target);
  int valid = 0, other = 0;
  for (const Input& input : inputs) {
    SCOPED_TRACE(target + "/" + input.name);
    const bool parsed = run(input);
    if (IsValidSeed(input)) {
      ++valid;
      EXPECT_TRUE(parsed) << "a valid seed did not parse";
    } else {
      ++other;
      if (input.name.starts_with("bad_")) {
        EXPECT_FALSE(parsed) << "a bad_* input parsed";
      }
    }
  }
  EXPECT_GE(valid, 1) << "no valid_* seed for " << target;
  std::cout << target << ": " << valid << " valid seeds, " << other << " other inputs\n";
}

TEST(FuzzRegression, Scenario) {
  RunAll("fuzz_scenario", [](const Input& in) {
    return Check(in.name, [&] { ParseScenario(in.text, in.name); }) == Outcome::kParsed;
  });
}

TEST(FuzzRegression, Ratings) {
  RunAll("fuzz_ratings", [](const Input& in) {
    // K from the data; then every fixed `levels` the fuzz target uses (a
    // valid seed need only parse with K from the data).
    const bool parsed = Check(in.name, [&] {
                          ParseRatingsCsv(in.text, in.name).CheckInvariants();
                        }) == Outcome::kParsed;
    for (int levels = 1; levels <= 7; ++levels) {
      RatingsReadOptions options;
      options.levels = levels;
      Check(in.name, [&] { ParseRatingsCsv(in.text, in.name, options).CheckInvariants(); });
    }
    return parsed;
  });
}

TEST(FuzzRegression, Pairwise) {
  RunAll("fuzz_pairwise", [](const Input& in) {
    return Check(in.name, [&] { ParsePairwiseCsv(in.text, in.name).CheckInvariants(); }) ==
           Outcome::kParsed;
  });
}

TEST(FuzzRegression, Preflib) {
  RunAll("fuzz_preflib", [](const Input& in) {
    // The file under its own name (a valid seed must parse so), then under
    // every name the fuzz target uses: the extension sets the data type
    // when the header gives none.
    const bool parsed = Check(in.name, [&] { ParsePreflib(in.text, in.name).CheckInvariants(); }) ==
                        Outcome::kParsed;
    for (const char* name : {"fuzz.soc", "fuzz.soi", "fuzz.toc", "fuzz.toi", "fuzz"}) {
      Check(name, [&] { ParsePreflib(in.text, name).CheckInvariants(); });
    }
    return parsed;
  });
}

TEST(FuzzRegression, Indicators) {
  RunAll("fuzz_indicators", [](const Input& in) {
    return Check(in.name, [&] {
             const IndicatorTable t = ParseIndicatorsCsv(in.text, in.name);
             EXPECT_EQ(t.values.rows(), static_cast<Eigen::Index>(t.ratee_names.size()));
             EXPECT_EQ(t.values.cols(), static_cast<Eigen::Index>(t.names.size()));
           }) == Outcome::kParsed;
  });
}

TEST(FuzzRegression, Ahp) {
  RunAll("fuzz_ahp", [](const Input& in) {
    return Check(in.name, [&] {
             const AhpMatrix m = ParseAhpMatrix(in.text, in.name);
             const auto n = static_cast<Eigen::Index>(m.names.size());
             EXPECT_EQ(m.values.rows(), n);
             EXPECT_EQ(m.values.cols(), n);
             EXPECT_TRUE((m.values.array() > 0).all() && m.values.allFinite());
           }) == Outcome::kParsed;
  });
}

}  // namespace
}  // namespace evalsim
