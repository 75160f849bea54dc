#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace mtgrad {
namespace {

int default_threads() {
  if (const char* env = std::getenv("MTGRAD_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1) return std::min(n, 256);
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc ? static_cast<int>(std::min(hc, 256u)) : 1;
}

// How long an idle worker spins for the next job before sleeping (MTGRAD_SPIN_US, default 100 µs; 0 = never).
long spin_ns() {
  if (const char* env = std::getenv("MTGRAD_SPIN_US")) return std::max(0L, std::atol(env)) * 1000;
  return 100000;
}

int64_t to_ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
int64_t now_ns() { return to_ns(std::chrono::steady_clock::now()); }

class Pool {
 public:
  Pool() : wanted_(default_threads()) {}
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      published_.store(~std::size_t(0), std::memory_order_release);
    }
    cv_start_.notify_all();
    for (auto& t : workers_) t.join();
  }

  int threads() const { return wanted_.load(); }

  // Gets sleeping workers out of their futex wait now, so that they are spinning when the next job is published:
  // a worker woken by the job itself arrives late (measured here: ~50 µs with the caller busy, ~300 µs inside
  // Node), and a work-claiming job shorter than that runs on the caller alone. Publishes an empty generation.
  void wake() {
    if (workers_.empty() || threads() <= 1) return;
    bool expected = false;
    if (!busy_.compare_exchange_strong(expected, true)) return;  // a job is running: the workers are awake
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = nullptr;
      ++generation_;
      published_.store(generation_, std::memory_order_release);
    }
    cv_start_.notify_all();
    busy_.store(false);
  }

  // Idle workers keep spinning for `ns` from now (instead of spin_ns_), as after a compiled step that is likely
  // to be called again at once: a training loop, a stream of predict calls.
  void linger(long ns) {
    if (ns <= 0) return;
    const int64_t until = now_ns() + ns;
    int64_t cur = linger_until_.load(std::memory_order_relaxed);
    while (cur < until && !linger_until_.compare_exchange_weak(cur, until, std::memory_order_relaxed)) {
    }
  }
  void set_threads(int n) { wanted_.store(std::max(1, std::min(n, 256))); }

  void run(int n, const std::function<void(int, int)>& fn) {
    n = std::max(1, std::min(n, threads()));
    bool expected = false;
    if (n == 1 || !busy_.compare_exchange_strong(expected, true)) {
      // Single thread, or a nested call from inside a region: run serially on the caller.
      for (int t = 0; t < n; ++t) fn(t, n);
      return;
    }
    ensure_workers(n - 1);
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &fn;
      job_threads_ = n;
      job_dynamic_ = false;
      pending_.store(n - 1, std::memory_order_relaxed);
      ++generation_;
      published_.store(generation_, std::memory_order_release);
    }
    cv_start_.notify_all();
    fn(0, n);
    spin_while([&] { return pending_.load(std::memory_order_acquire) != 0; });
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_done_.wait(lk, [&] { return pending_.load(std::memory_order_acquire) == 0; });
      job_ = nullptr;
    }
    busy_.store(false);
  }

  // Like run, for work-claiming jobs (fn takes work until none is left, so any subset of the threads finishes
  // it): the caller does not wait for workers that have not started by the time it is done. On a loaded machine
  // a sleeping worker can take milliseconds to be scheduled; the caller then simply does all the work.
  bool run_dynamic(int n, const std::function<void(int, int)>& fn) {
    n = std::max(1, std::min(n, threads()));
    bool expected = false;
    if (n == 1 || !busy_.compare_exchange_strong(expected, true)) return false;
    ensure_workers(n - 1);
    uint64_t gen;
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &fn;
      job_threads_ = n;
      job_dynamic_ = true;
      gen = ++generation_;
      published_.store(generation_, std::memory_order_release);
      state_.store(static_cast<uint64_t>(gen) << 32, std::memory_order_release);  // open, nobody inside
    }
    cv_start_.notify_all();
    fn(0, n);
    uint64_t s = state_.fetch_or(kClosed, std::memory_order_acq_rel);
    if (s & kCountMask) spin_while([&] { return (state_.load(std::memory_order_acquire) & kCountMask) != 0; });
    if (state_.load(std::memory_order_acquire) & kCountMask) {
      std::unique_lock<std::mutex> lk(mu_);
      cv_done_.wait(lk, [&] { return (state_.load(std::memory_order_acquire) & kCountMask) == 0; });
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = nullptr;
    }
    busy_.store(false);
    return true;
  }

 private:
  // The caller's side of the spin: a worker that finishes after the caller would otherwise have to wake it from a
  // futex sleep, which on a VM costs tens of µs (a halted vCPU is woken by an IPI): 10-20% of a 300 µs GEMM.
  template <typename Pred>
  void spin_while(Pred busy) const {
    if (spin_ns_ <= 0) return;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; busy(); ++i) {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
      if ((i & 63) == 63 && std::chrono::steady_clock::now() - t0 > std::chrono::nanoseconds(spin_ns_)) return;
    }
  }

  void ensure_workers(int n) {
    while (static_cast<int>(workers_.size()) < n) {
      int id = static_cast<int>(workers_.size()) + 1;
      // The worker starts from the current generation, so the job published right after this cannot be missed.
      std::size_t gen = generation_;
      workers_.emplace_back([this, id, gen] { loop(id, gen); });
    }
  }

  void loop(int id, std::size_t seen) {
    for (;;) {
      // Spin a little before sleeping: kernels of one training step come back to back, and waking a sleeping
      // worker costs far more than the kernel on a VM (the vCPU has to be woken too), so skinny GEMMs and
      // elementwise ops would otherwise run on the caller alone.
      // After a compiled step (linger) the spin lasts at least until the step's linger deadline.
      if (spin_ns_ > 0) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; published_.load(std::memory_order_acquire) == seen; ++i) {
#if defined(__x86_64__)
          __builtin_ia32_pause();
#endif
          if ((i & 63) == 63) {
            const auto now = std::chrono::steady_clock::now();
            if (now - t0 > std::chrono::nanoseconds(spin_ns_) &&
                to_ns(now) > linger_until_.load(std::memory_order_relaxed))
              break;
          }
        }
      }
      const std::function<void(int, int)>* job;
      int n;
      bool dynamic;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_start_.wait(lk, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = job_;
        n = job_threads_;
        dynamic = job_dynamic_;
      }
      // Workers beyond this job's thread count sit it out but still wait for the next generation.
      if (id >= n || !job) continue;
      if (dynamic) {
        // Join only while this generation's job is still open (its caller is then waiting for us).
        uint64_t s = state_.load(std::memory_order_acquire);
        bool joined = false;
        while ((s >> 32) == static_cast<uint64_t>(seen & 0xffffffffu) && !(s & kClosed)) {
          if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) {
            joined = true;
            break;
          }
        }
        if (!joined) continue;
        (*job)(id, n);
        s = state_.fetch_sub(1, std::memory_order_acq_rel) - 1;
        if ((s & kClosed) && (s & kCountMask) == 0) {
          std::lock_guard<std::mutex> lk(mu_);
          cv_done_.notify_one();
        }
      } else {
        (*job)(id, n);
        std::lock_guard<std::mutex> lk(mu_);
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) cv_done_.notify_one();
      }
    }
  }

  static constexpr uint64_t kClosed = uint64_t(1) << 31;
  static constexpr uint64_t kCountMask = kClosed - 1;

  std::atomic<int> wanted_;
  std::atomic<bool> busy_{false};
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_start_, cv_done_;
  const std::function<void(int, int)>* job_ = nullptr;
  int job_threads_ = 0;
  std::atomic<int> pending_{0};  // workers still inside a static job (changed under mu_, read spinning)
  bool job_dynamic_ = false;
  std::size_t generation_ = 0;
  std::atomic<std::size_t> published_{0};  // generation_, readable without the lock (spinning workers)
  const long spin_ns_ = spin_ns();
  std::atomic<int64_t> linger_until_{0};  // now_ns(): idle workers spin at least until then
  // Dynamic jobs: (generation & 0xffffffff) << 32 | closed bit | number of workers inside the job.
  std::atomic<uint64_t> state_{0};
  bool stop_ = false;
};

Pool& pool() {
  // Leaked on purpose: joining threads from a static destructor at process exit can deadlock inside Node.
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

int num_threads() { return pool().threads(); }
void wake_workers() { pool().wake(); }
void linger_workers(long ns) { pool().linger(ns); }
void set_num_threads(int n) { pool().set_threads(n); }

void parallel_run(int nthreads, const std::function<void(int, int)>& fn) { pool().run(nthreads, fn); }

bool run_dynamic(int nthreads, const std::function<void(int, int)>& fn) { return pool().run_dynamic(nthreads, fn); }

void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  grain = std::max<size_t>(grain, 1);
  const size_t nt = static_cast<size_t>(num_threads());
  const size_t max_chunks = (n + grain - 1) / grain;
  if (nt <= 1 || max_chunks <= 1) {
    fn(0, n);
    return;
  }
  // Work-claiming chunks (a few per thread, each at least `grain` items): whoever is running takes the next one,
  // so a worker the OS has not scheduled yet leaves its share to the others instead of stalling them.
  const size_t chunks = std::min(max_chunks, nt * 4);
  std::atomic<size_t> next{0};
  auto work = [&](int, int) {
    for (size_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < chunks;) {
      size_t begin = n * c / chunks, end = n * (c + 1) / chunks;
      if (begin < end) fn(begin, end);
    }
  };
  if (!run_dynamic(static_cast<int>(std::min(nt, chunks)), work)) work(0, 1);
}

void Barrier::wait() {
  if (n_ <= 1) return;
  std::size_t gen = generation_.load(std::memory_order_acquire);
  if (count_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_) {
    count_.store(0, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    return;
  }
  for (int spins = 0; generation_.load(std::memory_order_acquire) == gen; ++spins) {
    if (spins > 4000) std::this_thread::yield();
  }
}

}  // namespace mtgrad
