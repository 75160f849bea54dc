#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
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

class Pool {
 public:
  Pool() : wanted_(default_threads()) {}
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_start_.notify_all();
    for (auto& t : workers_) t.join();
  }

  int threads() const { return wanted_.load(); }
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
      pending_ = n - 1;
      ++generation_;
    }
    cv_start_.notify_all();
    fn(0, n);
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_done_.wait(lk, [&] { return pending_ == 0; });
      job_ = nullptr;
    }
    busy_.store(false);
  }

 private:
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
      const std::function<void(int, int)>* job;
      int n;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_start_.wait(lk, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = job_;
        n = job_threads_;
      }
      // Workers beyond this job's thread count sit it out but still wait for the next generation.
      if (id < n) {
        (*job)(id, n);
        std::lock_guard<std::mutex> lk(mu_);
        if (--pending_ == 0) cv_done_.notify_one();
      }
    }
  }

  std::atomic<int> wanted_;
  std::atomic<bool> busy_{false};
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_start_, cv_done_;
  const std::function<void(int, int)>* job_ = nullptr;
  int job_threads_ = 0;
  int pending_ = 0;
  std::size_t generation_ = 0;
  bool stop_ = false;
};

Pool& pool() {
  // Leaked on purpose: joining threads from a static destructor at process exit can deadlock inside Node.
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

int num_threads() { return pool().threads(); }
void set_num_threads(int n) { pool().set_threads(n); }

void parallel_run(int nthreads, const std::function<void(int, int)>& fn) { pool().run(nthreads, fn); }

void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  grain = std::max<size_t>(grain, 1);
  size_t chunks = std::min<size_t>(static_cast<size_t>(num_threads()), (n + grain - 1) / grain);
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  parallel_run(static_cast<int>(chunks), [&](int tid, int nt) {
    size_t begin = n * static_cast<size_t>(tid) / static_cast<size_t>(nt);
    size_t end = n * static_cast<size_t>(tid + 1) / static_cast<size_t>(nt);
    if (begin < end) fn(begin, end);
  });
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
