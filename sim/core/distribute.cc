#include "sim/core/distribute.h"

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "sim/core/check.h"
#include "sim/core/errors.h"
#include "sim/core/interrupt.h"
#include "sim/core/parallel.h"

namespace evalsim {

std::vector<int> Distribution::OwnedItems(int items) const {
  std::vector<int> owned;
  for (int i = Rank(); i < items; i += Size()) owned.push_back(i);
  return owned;
}

std::vector<std::string> LocalDistribution::GatherItems(int items, std::vector<ItemResult> local,
                                                        std::string_view what) {
  EVALSIM_CHECK(static_cast<int>(local.size()) == items, "{} results for {} items", local.size(),
                items);
  ThrowFirstError(local, 1, what);
  std::vector<std::string> bytes;
  bytes.reserve(local.size());
  for (ItemResult& r : local) bytes.push_back(std::move(r.bytes));
  return bytes;
}

Distribution& SingleProcess() {
  static LocalDistribution single;
  return single;
}

namespace {

// The result of an item that threw `e`.
ItemResult ErrorResult(std::exception_ptr e) {
  ItemResult r;
  r.error = e;
  try {
    std::rethrow_exception(e);
  } catch (const InterruptedError& x) {
    r.status = ItemResult::Status::kInterrupted;
    r.bytes = x.what();
  } catch (const InputError& x) {
    r.status = ItemResult::Status::kInputError;
    r.bytes = x.what();
  } catch (const std::exception& x) {
    r.status = ItemResult::Status::kError;
    r.bytes = x.what();
  } catch (...) {
    r.status = ItemResult::Status::kError;
    r.bytes = "unknown error";
  }
  return r;
}

// The test hook EVALSIM_FAIL_PROCESS=K (or K:abort): in a job of several
// processes, process K fails its first item with an error (or dies by
// abort()), so that the tests can see how a job ends when one process does.
void FailIfAsked(const Distribution& d, int item, std::string_view what) {
  const char* v = std::getenv("EVALSIM_FAIL_PROCESS");
  if (v == nullptr || d.Size() == 1) return;
  const std::string_view spec(v);
  const std::string_view rank = spec.substr(0, spec.find(':'));
  if (rank != std::to_string(d.Rank())) return;
  if (spec.ends_with(":abort")) {
    std::cerr << fmt::format("evalsim: process {}: dying in {} {} (EVALSIM_FAIL_PROCESS)\n",
                             d.Rank(), what, item + 1);
    std::abort();
  }
  throw std::runtime_error("failure asked for by EVALSIM_FAIL_PROCESS");
}

}  // namespace

std::vector<std::string> DistributeItems(Distribution& d, int items,
                                         const std::function<std::string(int item)>& work,
                                         std::string_view what) {
  const std::vector<int> owned = d.OwnedItems(items);
  std::vector<ItemResult> local(owned.size());
  std::atomic<bool> failed{false};
  ParallelFor(0, static_cast<int>(owned.size()), [&](int i) {
    if (failed.load(std::memory_order_relaxed)) {
      local[i].status = ItemResult::Status::kSkipped;
      return;
    }
    try {
      ThrowIfInterrupted();
      if (i == 0) FailIfAsked(d, owned[i], what);
      local[i].bytes = work(owned[i]);
      // Work that saw the stop signal may return early with partial
      // results: such an item is interrupted, never sent as done.
      ThrowIfInterrupted();
    } catch (...) {
      local[i] = ErrorResult(std::current_exception());
      failed.store(true, std::memory_order_relaxed);
    }
  });
  return d.GatherItems(items, std::move(local), what);
}

std::string OnRoot(Distribution& d, const std::function<std::string()>& f) {
  if (d.Size() == 1) return f();
  std::string message;
  std::exception_ptr error;
  if (d.IsRoot()) {
    try {
      message = std::string(1, '\0') + f();
    } catch (...) {
      error = std::current_exception();
      message = std::string(1, static_cast<char>(ErrorResult(error).status));
    }
  }
  d.Broadcast(message);
  const auto status = static_cast<ItemResult::Status>(message.at(0));
  if (status == ItemResult::Status::kOk) return message.substr(1);
  d.NoteSharedFailure();
  if (error) std::rethrow_exception(error);
  switch (status) {
    case ItemResult::Status::kInterrupted:
      throw InterruptedError();
    case ItemResult::Status::kInputError:
      throw FailedOnAnotherProcess(2);
    default:
      throw FailedOnAnotherProcess(1);
  }
}

void ThrowFirstError(const std::vector<ItemResult>& all, int size, std::string_view what) {
  using Status = ItemResult::Status;
  for (size_t i = 0; i < all.size(); ++i) {
    const ItemResult& r = all[i];
    if (r.status == Status::kOk || r.status == Status::kSkipped) continue;
    if (size == 1 && r.error) std::rethrow_exception(r.error);
    const std::string message =
        fmt::format("{} {} on process {}: {}", what, i + 1, i % size, r.bytes);
    switch (r.status) {
      case Status::kInterrupted:
        throw InterruptedError();
      case Status::kInputError:
        throw InputError(message);
      default:
        throw std::runtime_error(message);
    }
  }
  for (const ItemResult& r : all)
    EVALSIM_CHECK(r.status == ItemResult::Status::kOk, "{} skipped, none failed", what);
}

uint64_t ByteReader::Count(size_t size) {
  uint64_t n = 0;
  Get(n);
  EVALSIM_CHECK(size == 0 || n <= (in_.size() - pos_) / size, "truncated item result");
  return n;
}

const char* ByteReader::Take(size_t n) {
  EVALSIM_CHECK(n <= in_.size() - pos_, "truncated item result");
  const char* p = in_.data() + pos_;
  pos_ += n;
  return p;
}

}  // namespace evalsim
