// ParallelFor: tbb::parallel_for with its fork/join edges made visible to
// ThreadSanitizer.
//
// Why it exists. The TBB scheduler (task spawning, work stealing and the
// wait for a loop to finish) lives in libtbb.so, which distributions ship
// without ThreadSanitizer instrumentation. TSan therefore never sees that
// everything the calling thread wrote before a parallel_for happens before
// every invocation of the loop body, nor that every body invocation happens
// before parallel_for returns. It then reports false races on the data a
// loop hands to its bodies and on the results read (or freed) after the
// join.
//
// Under TSan (GCC's __SANITIZE_THREAD__, clang's thread_sanitizer feature)
// the wrapper states those two edges with the annotations documented in
// <sanitizer/tsan_interface.h>, on two addresses private to each call:
//   fork: __tsan_release before the loop, __tsan_acquire at the start of
//         every body invocation;
//   join: __tsan_release at the end of every body invocation (also when it
//         throws), __tsan_acquire after the loop returns.
// The bodies only acquire `fork` and only release `join`, so no edge is
// created between two body invocations: a real race between concurrent
// bodies is still reported.
//
// The wrapper's own two pointers (to the body and to the edges) are read
// before the acquire, from the copy TBB made and handed over to the running
// thread; that hand-over is again invisible, so these two loads alone are
// left unchecked (an uninstrumented function). The user's body object
// itself is the caller's and is only touched after the acquire.
//
// Without TSan every overload is exactly the tbb::parallel_for call it
// wraps (same range, grain size and partitioner), so results and speed are
// those of TBB itself.
//
// Overloads, as tbb::parallel_for:
//   ParallelFor(range, body)               body(range_part) per sub-range
//   ParallelFor(range, body, partitioner)
//   ParallelFor(first, last, f)            f(i) for i in [first, last)
//   ParallelFor(first, last, f, partitioner)
#ifndef EVALSIM_SIM_CORE_PARALLEL_H_
#define EVALSIM_SIM_CORE_PARALLEL_H_

#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include <concepts>
#include <utility>

#if defined(__SANITIZE_THREAD__)
#define EVALSIM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define EVALSIM_TSAN 1
#endif
#endif

#ifdef EVALSIM_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace evalsim {

// The threads a command uses for `--threads requested`: that many, or
// every core when it is 0 or less.
inline int ThreadCount(int requested) {
  return requested > 0 ? requested : static_cast<int>(tbb::info::default_concurrency());
}

#ifdef EVALSIM_TSAN

namespace parallel_detail {

// The two synchronisation addresses of one loop.
struct ForkJoin {
  char fork = 0;
  char join = 0;
};

// Releases `join` when a body invocation ends, normally or by an exception.
class JoinRelease {
 public:
  explicit JoinRelease(ForkJoin* edges) : edges_(edges) {}
  JoinRelease(const JoinRelease&) = delete;
  JoinRelease& operator=(const JoinRelease&) = delete;
  ~JoinRelease() { __tsan_release(&edges_->join); }

 private:
  ForkJoin* edges_;
};

// Loads a pointer without a ThreadSanitizer check. The function must stay
// a real call: inlined, or with the load moved into the caller by GCC's
// interprocedural optimisations (noipa), the load would be instrumented.
#if defined(__clang__)
#define EVALSIM_UNCHECKED_LOAD __attribute__((no_sanitize("thread"), noinline))
#else
#define EVALSIM_UNCHECKED_LOAD __attribute__((no_sanitize("thread"), noipa))
#endif
template <class T>
EVALSIM_UNCHECKED_LOAD T* LoadUnchecked(T* const* slot) {
  return *slot;
}
#undef EVALSIM_UNCHECKED_LOAD

// The body as TBB copies and calls it: acquire `fork`, run, release `join`.
// Trivially copyable: TBB's copies are made by its own (header) code.
template <class Body>
class Annotated {
 public:
  Annotated(const Body& body, ForkJoin* edges) : body_(&body), edges_(edges) {}
  template <class... Args>
  void operator()(Args&&... args) const {
    ForkJoin* edges = LoadUnchecked(&edges_);
    const Body* body = LoadUnchecked(&body_);
    __tsan_acquire(&edges->fork);
    JoinRelease release(edges);
    (*body)(std::forward<Args>(args)...);
  }

 private:
  const Body* body_;
  ForkJoin* edges_;
};

// Runs `loop(annotated_body)` between the fork release and the join acquire.
template <class Body, class Loop>
void Run(const Body& body, Loop&& loop) {
  ForkJoin edges;
  const Annotated<Body> annotated(body, &edges);
  __tsan_release(&edges.fork);
  loop(annotated);
  __tsan_acquire(&edges.join);
}

}  // namespace parallel_detail

template <class Range, class Body>
requires(!std::integral<Range>) void ParallelFor(const Range& range, const Body& body) {
  parallel_detail::Run(body, [&](const auto& b) { tbb::parallel_for(range, b); });
}

template <class Range, class Body, class Partitioner>
requires(!std::integral<Range>) void ParallelFor(const Range& range, const Body& body,
                                                 Partitioner&& partitioner) {
  parallel_detail::Run(body, [&](const auto& b) { tbb::parallel_for(range, b, partitioner); });
}

template <std::integral Index, class Function>
void ParallelFor(Index first, Index last, const Function& f) {
  parallel_detail::Run(f, [&](const auto& b) { tbb::parallel_for(first, last, b); });
}

template <std::integral Index, class Function, class Partitioner>
void ParallelFor(Index first, Index last, const Function& f, Partitioner&& partitioner) {
  parallel_detail::Run(f, [&](const auto& b) { tbb::parallel_for(first, last, b, partitioner); });
}

#else  // !EVALSIM_TSAN

template <class Range, class Body>
requires(!std::integral<Range>) inline void ParallelFor(const Range& range, const Body& body) {
  tbb::parallel_for(range, body);
}

template <class Range, class Body, class Partitioner>
requires(!std::integral<Range>) inline void ParallelFor(const Range& range, const Body& body,
                                                        Partitioner&& partitioner) {
  tbb::parallel_for(range, body, partitioner);
}

template <std::integral Index, class Function>
inline void ParallelFor(Index first, Index last, const Function& f) {
  tbb::parallel_for(first, last, f);
}

template <std::integral Index, class Function, class Partitioner>
inline void ParallelFor(Index first, Index last, const Function& f, Partitioner&& partitioner) {
  tbb::parallel_for(first, last, f, partitioner);
}

#endif  // EVALSIM_TSAN

}  // namespace evalsim

#endif  // EVALSIM_SIM_CORE_PARALLEL_H_
