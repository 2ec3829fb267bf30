// Distributing independent work items (replicates, sweep points, bootstrap
// resamples) over the processes of a job, and bringing their results back.
//
// A command with a loop over independent items asks its Distribution which
// items this process owns (SplitItems: item i goes to process i mod size, so
// that items of growing cost spread evenly), runs those with its own threads,
// serialises each item's result into bytes (ByteWriter) and calls
// GatherItems: process 0 receives every item's bytes in item order and
// reduces them exactly as a single process would, so the output does not
// depend on the number of processes. Only process 0 writes files and prints.
//
// Two implementations: LocalDistribution (one process, always built, the
// default everywhere) and the MPI one in sim/mpi/ (built only when CMake
// finds MPI; main() installs it when the program was started by mpirun).
// The interface is all the rest of the program sees of MPI.
//
// Failures. An item that throws does not stop the job on the spot: its
// process stops taking items and sends the error in place of its results;
// GatherItems on process 0 then throws the first failed item's error (in
// item order), prefixed with the process and item, and with the error's
// kind kept (bad input, interruption, internal), so every process ends
// with the same outcome and none waits for a result that never comes.
#ifndef EVALSIM_SIM_CORE_DISTRIBUTE_H_
#define EVALSIM_SIM_CORE_DISTRIBUTE_H_

#include <Eigen/Core>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace evalsim {

// One item's outcome on the process that ran it: its bytes, or the error
// it ended with.
struct ItemResult {
  // kSkipped: not run because another item of the process failed first.
  enum class Status : uint8_t { kOk, kInputError, kInterrupted, kError, kSkipped };
  Status status = Status::kOk;
  std::string bytes;         // the serialised result, or the error's message
  std::exception_ptr error;  // the error itself (this process only)
};

class Distribution {
 public:
  virtual ~Distribution() = default;
  virtual int Rank() const = 0;
  virtual int Size() const = 0;
  bool IsRoot() const { return Rank() == 0; }

  // Sends this process's items (those Owns() says, in increasing order,
  // `local` one per owned item) to process 0. On process 0 returns every
  // item's bytes, in item order; elsewhere an empty vector. Throws on
  // process 0 the first failed item's error (see above), and on every
  // process InterruptedError when a stop signal arrived while it waited.
  virtual std::vector<std::string> GatherItems(int items, std::vector<ItemResult> local,
                                               std::string_view what) = 0;
  // Adds `values` element-wise over the processes into process 0's copy.
  virtual void SumToRoot(std::vector<uint64_t>& values) = 0;
  // Process 0's `bytes` on every process.
  virtual void Broadcast(std::string& bytes) = 0;
  // Runs `add` on every process in rank order, each on the values the one
  // before it left (process 0 on `values`), and returns the last one's on
  // every process. A sum over parts held in rank order is then the
  // one-process sum over the whole, term for term, rounding included.
  virtual std::vector<double> ChainSum(std::vector<double> values,
                                       const std::function<void(std::vector<double>&)>& add) = 0;
  // `v` summed over the processes, on every process.
  virtual int64_t SumAll(int64_t v) = 0;
  virtual void Barrier() = 0;
  // True once GatherItems found a failed item: every process knows of it
  // and ends with the same exit code.
  virtual bool FailureShared() const { return true; }
  // Records that every process now knows of a failure (OnRoot).
  virtual void NoteSharedFailure() {}

  bool Owns(int item) const { return item % Size() == Rank(); }
  // The items this process owns, in increasing order.
  std::vector<int> OwnedItems(int items) const;
};

// The single process: owns every item; GatherItems hands `local` back.
class LocalDistribution final : public Distribution {
 public:
  int Rank() const override { return 0; }
  int Size() const override { return 1; }
  std::vector<std::string> GatherItems(int items, std::vector<ItemResult> local,
                                       std::string_view what) override;
  void SumToRoot(std::vector<uint64_t>&) override {}
  void Broadcast(std::string&) override {}
  std::vector<double> ChainSum(std::vector<double> values,
                               const std::function<void(std::vector<double>&)>& add) override {
    add(values);
    return values;
  }
  int64_t SumAll(int64_t v) override { return v; }
  void Barrier() override {}
};

// The process-wide LocalDistribution (what a null pointer in an options
// struct stands for).
Distribution& SingleProcess();
inline Distribution& OrSingle(Distribution* d) { return d != nullptr ? *d : SingleProcess(); }

// Runs `work(item)` for every item this process owns, in parallel (the
// caller's thread limit holds), each result in its own slot, then gathers
// them as GatherItems does: on process 0 every item's bytes in item order,
// elsewhere nothing. An item that throws, or that finds Interrupted() set
// before it starts, ends as an error result, and the items not yet started
// are skipped. `what` names an item in messages ("replicate").
std::vector<std::string> DistributeItems(Distribution& d, int items,
                                         const std::function<std::string(int item)>& work,
                                         std::string_view what);

// The first failed result of `all` (every item's, in item order, from a
// job of `size` processes), rethrown: with one process the error itself;
// otherwise an error of the same kind whose message names "<what> <item+1>
// on process <rank>". Returns when none failed.
void ThrowFirstError(const std::vector<ItemResult>& all, int size, std::string_view what);

// Runs `f` on process 0 only (a step that reads or writes files, which
// only process 0 does) and returns its result on every process. When `f`
// throws, process 0 rethrows the error and the others throw
// FailedOnAnotherProcess (InterruptedError for an interruption), so every
// process ends the same way.
std::string OnRoot(Distribution& d, const std::function<std::string()>& f);

// Thrown on a process other than 0 once it has sent its share of the work
// and the command has nothing left for it: it ends with exit code 0.
class ShareDone : public std::runtime_error {
 public:
  ShareDone() : std::runtime_error("this process's share is done") {}
};

// Thrown on the processes other than 0 when process 0 found that an item
// failed: the job ends with `exit_code`, and process 0 says why.
class FailedOnAnotherProcess : public std::runtime_error {
 public:
  explicit FailedOnAnotherProcess(int exit_code)
      : std::runtime_error("failed on another process"), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Compact native-endian bytes of plain values, vectors of them, strings and
// Eigen vectors: what a work item's result travels in. Readers read in the
// order writers wrote.
class ByteWriter {
 public:
  template <class T>
  requires std::is_trivially_copyable_v<T>
  void Put(const T& v) { out_.append(reinterpret_cast<const char*>(&v), sizeof(T)); }
  void Put(const std::string& s) {
    Put<uint64_t>(s.size());
    out_.append(s);
  }
  template <class T>
  void Put(const std::vector<T>& v) {
    Put<uint64_t>(v.size());
    if constexpr (std::is_trivially_copyable_v<T>) {
      out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
    } else {
      for (const T& x : v) Put(x);
    }
  }
  template <class A, class B>
  void Put(const std::pair<A, B>& p) {
    Put(p.first);
    Put(p.second);
  }
  void Put(const Eigen::VectorXd& v) {
    Put<uint64_t>(v.size());
    out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  template <class T>
  requires std::is_trivially_copyable_v<T>
  void Get(T& v) { std::memcpy(&v, Take(sizeof(T)), sizeof(T)); }
  void Get(std::string& s) {
    const uint64_t n = Count(1);
    s.assign(Take(n), n);
  }
  template <class T>
  void Get(std::vector<T>& v) {
    if constexpr (std::is_trivially_copyable_v<T>) {
      const uint64_t n = Count(sizeof(T));
      v.resize(n);
      if (n > 0) std::memcpy(v.data(), Take(n * sizeof(T)), n * sizeof(T));
    } else {
      v.resize(Count(1));
      for (T& x : v) Get(x);
    }
  }
  template <class A, class B>
  void Get(std::pair<A, B>& p) {
    Get(p.first);
    Get(p.second);
  }
  void Get(Eigen::VectorXd& v) {
    const uint64_t n = Count(sizeof(double));
    v.resize(static_cast<Eigen::Index>(n));
    if (n > 0) std::memcpy(v.data(), Take(n * sizeof(double)), n * sizeof(double));
  }
  bool Done() const { return pos_ == in_.size(); }

 private:
  // Reads a count of elements of `size` bytes and checks that they fit.
  uint64_t Count(size_t size);
  const char* Take(size_t n);

  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace evalsim

#endif  // EVALSIM_SIM_CORE_DISTRIBUTE_H_
