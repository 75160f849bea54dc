// The addon's own thread pool (not libuv's). Workers sleep on a condition variable between jobs: never spin while
// idle, because other thread pools (another backend, a second process) share the same few cores.
#pragma once
#include <atomic>
#include <cstddef>
#include <functional>

namespace mtgrad {

// Number of threads a parallel region uses: MTGRAD_NUM_THREADS if set, else the core count; setNumThreads changes it.
int num_threads();
void set_num_threads(int n);

// Wakes sleeping workers ahead of a burst of jobs (a compiled step), so the first job does not wait for them.
void wake_workers();
// Idle workers spin for `ns` from now before sleeping (after a compiled step: the next one usually follows).
void linger_workers(long ns);

// Runs fn(tid, nthreads) on `nthreads` threads (the caller is tid 0) and returns when all are done.
// nthreads is clamped to [1, num_threads()]. Not re-entrant: nested calls run serially on the caller.
void parallel_run(int nthreads, const std::function<void(int tid, int nthreads)>& fn);

// Runs a work-claiming fn(tid, nthreads) (it takes work from a shared counter until none is left, so any subset
// of the threads completes the job) on up to `nthreads` threads; returns once fn has returned on the caller and on
// every worker that started it. Workers not yet running when the caller finishes skip the job. Returns false
// (without running fn) when it cannot use the pool: one thread, or nested inside another region.
bool run_dynamic(int nthreads, const std::function<void(int tid, int nthreads)>& fn);

// Splits [0, n) into contiguous chunks of at least `grain` items over the pool; fn(begin, end).
void parallel_for(size_t n, size_t grain, const std::function<void(size_t begin, size_t end)>& fn);

// A barrier for the threads of one parallel_run region. Waits spin briefly (all participants are running) and then
// yield, so a descheduled participant does not burn its partner's core.
class Barrier {
 public:
  explicit Barrier(int n) : n_(n) {}
  void wait();

 private:
  int n_;
  alignas(64) std::atomic<int> count_{0};
  alignas(64) std::atomic<std::size_t> generation_{0};
};

}  // namespace mtgrad
