// Errors a user can cause (bad scenario, bad ballot file, bad flag). They
// carry a one-line message that names the file, the line (and column where
// known), the key and what was expected; `main` prints it and exits with 2.
#ifndef EVALSIM_SIM_CORE_ERRORS_H_
#define EVALSIM_SIM_CORE_ERRORS_H_

#include <stdexcept>
#include <string>

namespace evalsim {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "file:line:col: " (parts that are unknown are left out).
std::string Location(const std::string& file, long line = 0, long column = 0);

}  // namespace evalsim

#endif  // EVALSIM_SIM_CORE_ERRORS_H_
