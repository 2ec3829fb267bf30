#include "sim/mpi/mpi_distribution.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>
#include <utility>

#include "sim/core/check.h"
#include "sim/core/interrupt.h"

namespace evalsim {
namespace {

constexpr int kTagSize = 1, kTagBytes = 2, kTagChain = 3;
constexpr size_t kPiece = size_t{1} << 30;  // MPI counts are int

// The buffers of requests left pending at a stop signal. The MPI library
// may still read or write them (a peer that matches the message later, a
// single-copy transfer from the other process), so they are never freed:
// the process is ending anyway.
std::vector<std::shared_ptr<void>>& Abandoned() {
  static auto* kept = new std::vector<std::shared_ptr<void>>;
  return *kept;
}

// Waits for `request` without holding the core; throws InterruptedError
// when a stop signal arrives meanwhile, after handing `buffer` (what the
// request reads or writes) to Abandoned().
void Wait(MPI_Request& request, std::shared_ptr<void> buffer) {
  for (;;) {
    int done = 0;
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    if (Interrupted()) {
      Abandoned().push_back(std::move(buffer));
      throw InterruptedError();
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

void Send(std::shared_ptr<const std::string> bytes, int to) {
  auto size = std::make_shared<uint64_t>(bytes->size());
  MPI_Request r;
  MPI_Isend(size.get(), 1, MPI_UINT64_T, to, kTagSize, MPI_COMM_WORLD, &r);
  Wait(r, size);
  for (size_t at = 0; at < bytes->size(); at += kPiece) {
    const int n = static_cast<int>(std::min(kPiece, bytes->size() - at));
    MPI_Isend(bytes->data() + at, n, MPI_BYTE, to, kTagBytes, MPI_COMM_WORLD, &r);
    Wait(r, std::const_pointer_cast<std::string>(bytes));
  }
}

std::string Receive(int from) {
  auto size = std::make_shared<uint64_t>(0);
  MPI_Request r;
  MPI_Irecv(size.get(), 1, MPI_UINT64_T, from, kTagSize, MPI_COMM_WORLD, &r);
  Wait(r, size);
  auto bytes = std::make_shared<std::string>(*size, '\0');
  for (size_t at = 0; at < bytes->size(); at += kPiece) {
    const int n = static_cast<int>(std::min(kPiece, bytes->size() - at));
    MPI_Irecv(bytes->data() + at, n, MPI_BYTE, from, kTagBytes, MPI_COMM_WORLD, &r);
    Wait(r, bytes);
  }
  return std::move(*bytes);
}

// The exit code a failed item ends the job with (0 when none failed).
int OutcomeCode(const std::vector<ItemResult>& all) {
  for (const ItemResult& r : all) switch (r.status) {
      case ItemResult::Status::kOk:
      case ItemResult::Status::kSkipped:
        continue;
      case ItemResult::Status::kInputError:
        return 2;
      case ItemResult::Status::kInterrupted:
        return 130;
      case ItemResult::Status::kError:
        return 1;
    }
  return 0;
}

}  // namespace

bool StartedByMpiLauncher() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(v) != nullptr) return true;
  return false;
}

MpiDistribution::MpiDistribution(int* argc, char*** argv) {
  int provided = 0;
  // Only the main thread calls MPI; worker threads compute.
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiDistribution::~MpiDistribution() { Finalize(); }

void MpiDistribution::Finalize() {
  if (finalized_) return;
  finalized_ = true;
  MPI_Finalize();
}

void MpiDistribution::Abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::abort();
}

std::vector<std::string> MpiDistribution::GatherItems(int items, std::vector<ItemResult> local,
                                                      std::string_view what) {
  const std::vector<int> owned = OwnedItems(items);
  EVALSIM_CHECK(local.size() == owned.size(), "{} results for {} items", local.size(),
                owned.size());
  auto code = std::make_shared<int>(0);
  std::vector<ItemResult> all;
  if (rank_ != 0) {
    ByteWriter w;
    for (const ItemResult& r : local) {
      w.Put(static_cast<uint8_t>(r.status));
      w.Put(r.bytes);
    }
    Send(std::make_shared<const std::string>(w.Take()), 0);
  } else {
    all.resize(items);
    for (size_t i = 0; i < owned.size(); ++i) all[owned[i]] = std::move(local[i]);
    for (int from = 1; from < size_; ++from) {
      const std::string bytes = Receive(from);
      ByteReader in(bytes);
      for (int item = from; item < items; item += size_) {
        uint8_t status = 0;
        in.Get(status);
        all[item].status = static_cast<ItemResult::Status>(status);
        in.Get(all[item].bytes);
      }
      EVALSIM_CHECK(in.Done(), "process {} sent more than its items", from);
    }
    *code = OutcomeCode(all);
  }
  MPI_Request r;
  MPI_Ibcast(code.get(), 1, MPI_INT, 0, MPI_COMM_WORLD, &r);
  Wait(r, code);
  failure_shared_ = *code != 0;
  if (rank_ != 0) {
    if (*code == 130) throw InterruptedError();
    if (*code != 0) throw FailedOnAnotherProcess(*code);
    return {};
  }
  ThrowFirstError(all, size_, what);
  std::vector<std::string> bytes;
  bytes.reserve(all.size());
  for (ItemResult& x : all) bytes.push_back(std::move(x.bytes));
  return bytes;
}

void MpiDistribution::SumToRoot(std::vector<uint64_t>& values) {
  auto in = std::make_shared<std::vector<uint64_t>>(values);
  auto sum = std::make_shared<std::vector<uint64_t>>(rank_ == 0 ? values.size() : 0);
  MPI_Request r;
  MPI_Ireduce(in->data(), sum->data(), static_cast<int>(in->size()), MPI_UINT64_T, MPI_SUM, 0,
              MPI_COMM_WORLD, &r);
  Wait(r, std::make_shared<std::pair<decltype(in), decltype(sum)>>(in, sum));
  if (rank_ == 0) values = std::move(*sum);
}

void MpiDistribution::Broadcast(std::string& bytes) {
  auto size = std::make_shared<uint64_t>(bytes.size());
  MPI_Request r;
  MPI_Ibcast(size.get(), 1, MPI_UINT64_T, 0, MPI_COMM_WORLD, &r);
  Wait(r, size);
  auto shared = std::make_shared<std::string>(std::move(bytes));
  shared->resize(*size);
  for (size_t at = 0; at < shared->size(); at += kPiece) {
    const int n = static_cast<int>(std::min(kPiece, shared->size() - at));
    MPI_Ibcast(shared->data() + at, n, MPI_BYTE, 0, MPI_COMM_WORLD, &r);
    Wait(r, shared);
  }
  bytes = std::move(*shared);
}

std::vector<double> MpiDistribution::ChainSum(
    std::vector<double> values, const std::function<void(std::vector<double>&)>& add) {
  auto carry = std::make_shared<std::vector<double>>(std::move(values));
  const int n = static_cast<int>(carry->size());
  MPI_Request r;
  if (rank_ > 0) {
    MPI_Irecv(carry->data(), n, MPI_DOUBLE, rank_ - 1, kTagChain, MPI_COMM_WORLD, &r);
    Wait(r, carry);
  }
  add(*carry);
  if (rank_ + 1 < size_) {
    MPI_Isend(carry->data(), n, MPI_DOUBLE, rank_ + 1, kTagChain, MPI_COMM_WORLD, &r);
    Wait(r, carry);
  }
  MPI_Ibcast(carry->data(), n, MPI_DOUBLE, size_ - 1, MPI_COMM_WORLD, &r);
  Wait(r, carry);
  return *carry;
}

int64_t MpiDistribution::SumAll(int64_t v) {
  auto in = std::make_shared<std::pair<int64_t, int64_t>>(v, 0);
  MPI_Request r;
  MPI_Iallreduce(&in->first, &in->second, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD, &r);
  Wait(r, in);
  return in->second;
}

void MpiDistribution::Barrier() {
  MPI_Request r;
  MPI_Ibarrier(MPI_COMM_WORLD, &r);
  Wait(r, nullptr);
}

}  // namespace evalsim
