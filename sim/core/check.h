// Broken invariants: what can only happen through a bug in evalsim, never
// through a user's input (that is an InputError, sim/core/errors.h).
//
//   EVALSIM_CHECK(rank.size() == n, "{} ranks for {} evaluees", rank.size(), n);
//
// throws InternalError with "file:line: message"; `main` prints it as an
// internal error and exits with 1. Throwing (rather than aborting) unwinds
// a parallel loop and removes a staged output directory on the way out.
#ifndef EVALSIM_SIM_CORE_CHECK_H_
#define EVALSIM_SIM_CORE_CHECK_H_

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace evalsim {

class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] void CheckFailed(const char* file, int line, const std::string& message);

}  // namespace evalsim

#define EVALSIM_CHECK(condition, ...)                                                       \
  do {                                                                                      \
    if (!(condition)) ::evalsim::CheckFailed(__FILE__, __LINE__, fmt::format(__VA_ARGS__)); \
  } while (false)

#endif  // EVALSIM_SIM_CORE_CHECK_H_
