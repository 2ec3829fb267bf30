#include "sim/core/interrupt.h"

#include <atomic>
#include <csignal>

namespace evalsim {
namespace {

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void OnSignal(int) { g_interrupted.store(true, std::memory_order_relaxed); }

}  // namespace

void InstallInterruptHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A write beyond the file-size limit (RLIMIT_FSIZE) then fails with EFBIG
  // and is reported like a full disk, instead of killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
}

bool Interrupted() { return g_interrupted.load(std::memory_order_relaxed); }

void ThrowIfInterrupted() {
  if (Interrupted()) throw InterruptedError();
}

void RequestInterrupt(bool on) { g_interrupted.store(on, std::memory_order_relaxed); }

}  // namespace evalsim
