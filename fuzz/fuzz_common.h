// Shared by the libFuzzer targets: run one reader on the fuzzer's bytes and
// turn every outcome other than "parsed" or "InputError naming the file"
// into a crash that libFuzzer records.
#ifndef EVALSIM_FUZZ_FUZZ_COMMON_H_
#define EVALSIM_FUZZ_FUZZ_COMMON_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "sim/core/errors.h"

namespace evalsim::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

[[noreturn]] inline void Finding(const char* what, const char* message) {
  std::fprintf(stderr, "fuzz finding: %s: %s\n", what, message);
  std::abort();
}

// Calls `parse()`; an InputError must name `file` (the reader's messages
// start with "file:line:"), and any other exception is a finding.
template <typename Parse>
void Run(const std::string& file, Parse&& parse) {
  try {
    parse();
  } catch (const InputError& e) {
    if (std::string_view(e.what()).find(file) == std::string_view::npos) {
      Finding("InputError that does not name the file", e.what());
    }
  } catch (const std::exception& e) {
    Finding("exception other than InputError", e.what());
  } catch (...) {
    Finding("exception other than InputError", "(not a std::exception)");
  }
}

// The outcome of `read()`: its result, compared by `key`, or the message of
// the InputError it threw.
template <typename Read, typename Key>
std::string Outcome(Read&& read, Key&& key) {
  try {
    return "ok " + key(read());
  } catch (const InputError& e) {
    return std::string("error ") + e.what();
  }
}

// The fast path of a reader (chunks of `chunk_bytes`) and its exact path
// must agree: the same result or the same message.
template <typename Fast, typename Exact, typename Key>
void SameAsExact(Fast&& fast, Exact&& exact, Key&& key) {
  const std::string a = Outcome(fast, key), b = Outcome(exact, key);
  if (a != b) Finding("fast and exact readers disagree", (a + " / " + b).c_str());
}

}  // namespace evalsim::fuzz

#endif  // EVALSIM_FUZZ_FUZZ_COMMON_H_
