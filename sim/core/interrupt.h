// Clean stops on Ctrl-C (SIGINT) and SIGTERM. The handler only sets a flag;
// long loops poll Interrupted() between units of work (a replicate, a sweep
// point) and unwind with InterruptedError, so staged output directories are
// removed by their destructors and finished sweep points stay on disk.
#ifndef EVALSIM_SIM_CORE_INTERRUPT_H_
#define EVALSIM_SIM_CORE_INTERRUPT_H_

#include <stdexcept>

namespace evalsim {

class InterruptedError : public std::runtime_error {
 public:
  InterruptedError() : std::runtime_error("interrupted") {}
};

// Installs the SIGINT/SIGTERM handlers and ignores SIGXFSZ, so that a write
// past a file-size limit fails as an error (idempotent).
void InstallInterruptHandlers();
// True once a signal arrived (or RequestInterrupt() was called).
bool Interrupted();
// Throws InterruptedError when Interrupted().
void ThrowIfInterrupted();
// Sets the flag as a signal would (tests), or clears it.
void RequestInterrupt(bool on = true);

}  // namespace evalsim

#endif  // EVALSIM_SIM_CORE_INTERRUPT_H_
