// The MPI implementation of Distribution (sim/core/distribute.h), built
// only when CMake finds MPI. One object per process, made by main() when
// the program was started by an MPI launcher: it initialises MPI on
// construction and finalises it on destruction.
//
// Transfers. Every process other than 0 sends its items' results to
// process 0 as one message (a byte count, then the bytes in pieces of at
// most 1 GiB); process 0 receives them process by process, places them
// by item, and broadcasts the outcome (0, or the exit code of the first
// failed item) so that every process ends the same way. Waits poll
// (MPI_Test, then a short sleep) rather than block: a process waiting
// for the others gives its core to them, and notices a stop signal. A
// wait cut short by a stop signal leaves its buffer allocated: the other
// process may still match the message and read or write it.
#ifndef EVALSIM_SIM_MPI_MPI_DISTRIBUTION_H_
#define EVALSIM_SIM_MPI_MPI_DISTRIBUTION_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/distribute.h"

namespace evalsim {

class MpiDistribution final : public Distribution {
 public:
  MpiDistribution(int* argc, char*** argv);
  ~MpiDistribution() override;
  MpiDistribution(const MpiDistribution&) = delete;
  MpiDistribution& operator=(const MpiDistribution&) = delete;

  int Rank() const override { return rank_; }
  int Size() const override { return size_; }
  std::vector<std::string> GatherItems(int items, std::vector<ItemResult> local,
                                       std::string_view what) override;
  void SumToRoot(std::vector<uint64_t>& values) override;
  void Broadcast(std::string& bytes) override;
  std::vector<double> ChainSum(std::vector<double> values,
                               const std::function<void(std::vector<double>&)>& add) override;
  int64_t SumAll(int64_t v) override;
  void Barrier() override;
  bool FailureShared() const override { return failure_shared_; }
  void NoteSharedFailure() override { failure_shared_ = true; }

  // Ends every process of the job at once with `code` (MPI_Abort).
  [[noreturn]] void Abort(int code);
  // Ends MPI now (the destructor then does nothing).
  void Finalize();

 private:
  int rank_ = 0, size_ = 1;
  bool finalized_ = false;
  bool failure_shared_ = false;
};

// True when an MPI launcher (mpirun, mpiexec, srun) started this process.
bool StartedByMpiLauncher();

}  // namespace evalsim

#endif  // EVALSIM_SIM_MPI_MPI_DISTRIBUTION_H_
