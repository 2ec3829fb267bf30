#include "sim/core/progress.h"

#include <unistd.h>

#include <cstdio>

namespace evalsim {

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, long total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled) {
  start_ = last_ = std::chrono::steady_clock::now();
}

Progress::~Progress() {
  if (drawn_) Draw(done_.load(), true);
}

void Progress::Advance(long n) {
  const long done = done_.fetch_add(n) + n;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - start_ < std::chrono::seconds(1)) return;
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock() || now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  Draw(done, false);
}

void Progress::Draw(long done, bool final) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double eta = done > 0 ? elapsed * (total_ - done) / done : 0.0;
  std::fprintf(stderr, "\r%s %ld/%ld  %.1fs elapsed, ~%.1fs left   %s", label_.c_str(), done,
               total_, elapsed, final ? 0.0 : eta, final ? "\n" : "");
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace evalsim
