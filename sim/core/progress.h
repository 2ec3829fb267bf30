// A progress line on stderr for long runs: shown only when stderr is a
// terminal and the work has taken more than a second; safe to update from
// several threads.
#ifndef EVALSIM_SIM_CORE_PROGRESS_H_
#define EVALSIM_SIM_CORE_PROGRESS_H_

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

namespace evalsim {

class Progress {
 public:
  Progress(std::string label, long total, bool enabled);
  ~Progress();
  void Advance(long n = 1);

 private:
  void Draw(long done, bool final);
  std::string label_;
  long total_;
  bool enabled_;
  bool drawn_ = false;
  std::atomic<long> done_{0};
  std::chrono::steady_clock::time_point start_, last_;
  std::mutex mu_;
};

// True when stderr is a terminal.
bool StderrIsTerminal();

}  // namespace evalsim

#endif  // EVALSIM_SIM_CORE_PROGRESS_H_
