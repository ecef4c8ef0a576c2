//===- Parallel.cpp - the runtime's persistent worker pool ----------------===//
//
// One job at a time. The caller publishes (fn, task count) under a new job
// id, takes tasks itself, and waits until every task has finished. Tasks
// are claimed from one 64-bit counter holding (job id << 32 | next task)
// with compare-and-swap, so a worker that is late for a job can never take
// a task of the next one.
//
// Waiting spins for a while before it sleeps: a training step alternates
// parallel kernels with serial compiled code every few hundred
// microseconds, and on a virtual machine waking a sleeping thread (an
// inter-processor interrupt to a halted virtual CPU) costs tens of
// microseconds; sleeping workers made two threads slower than one.
//
//===----------------------------------------------------------------------===//
#include "quant4/Kernels/Parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace quant4::kernels {
namespace {

thread_local bool tInsideTask = false;

/// How long a waiting thread spins before it sleeps.
constexpr std::chrono::microseconds kSpin{300};

inline void cpuRelax() {
#if defined(__x86_64__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

/// Spins until done() or kSpin has passed; returns done().
template <typename Done> bool spinUntil(Done done) {
  auto start = std::chrono::steady_clock::now();
  for (unsigned i = 1;; ++i) {
    if (done())
      return true;
    cpuRelax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() - start > kSpin)
      return done();
  }
}

class Pool {
public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread &t : workers_)
      t.join();
  }

  void run(int tasks, int threads, TaskRef fn) {
    std::lock_guard<std::mutex> serial(callMutex_);
    int helpers = std::min(threads, tasks) - 1;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (int(workers_.size()) < helpers) {
        workers_.emplace_back([this, id = int(workers_.size())] { loop(id); });
        created_.fetch_add(1);
      }
    }
    uint64_t id = published_.load(std::memory_order_relaxed) + 1;
    job_.store(&fn, std::memory_order_relaxed);
    tasks_.store(tasks, std::memory_order_relaxed);
    helpers_.store(helpers, std::memory_order_relaxed);
    pending_.store(tasks, std::memory_order_relaxed);
    counter_.store(id << 32, std::memory_order_relaxed);
    published_.store(id, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (sleepers_ > 0)
        wake_.notify_all();
    }
    take(id, &fn, tasks);
    auto finished = [&] {
      return pending_.load(std::memory_order_acquire) == 0;
    };
    if (!spinUntil(finished)) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, finished);
    }
  }

  int workers() {
    std::lock_guard<std::mutex> lock(mutex_);
    return int(workers_.size());
  }
  int64_t created() const { return created_.load(); }

private:
  /// Claims and runs tasks of job `id` until none is left.
  void take(uint64_t id, const TaskRef *job, int tasks) {
    int finished = 0;
    for (;;) {
      uint64_t v = counter_.load(std::memory_order_acquire);
      bool claimed = false;
      while ((v >> 32) == id && int64_t(v & 0xffffffffu) < tasks) {
        if (counter_.compare_exchange_weak(v, v + 1,
                                           std::memory_order_acq_rel)) {
          claimed = true;
          break;
        }
      }
      if (!claimed)
        break;
      tInsideTask = true;
      (*job)(int(v & 0xffffffffu));
      tInsideTask = false;
      ++finished;
    }
    if (finished &&
        pending_.fetch_sub(finished, std::memory_order_acq_rel) == finished) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_all();
    }
  }

  void loop(int index) {
    uint64_t seen = 0;
    for (;;) {
      auto published = [&] {
        return published_.load(std::memory_order_acquire) != seen;
      };
      if (!spinUntil(published)) {
        std::unique_lock<std::mutex> lock(mutex_);
        ++sleepers_;
        wake_.wait(lock, [&] { return stop_ || published(); });
        --sleepers_;
        if (stop_)
          return;
      }
      seen = published_.load(std::memory_order_acquire);
      if (index < helpers_.load(std::memory_order_relaxed))
        take(seen, job_.load(std::memory_order_relaxed),
             tasks_.load(std::memory_order_relaxed));
    }
  }

  std::mutex callMutex_; // one job at a time
  std::mutex mutex_;     // workers_, sleepers_, stop_; the condition variables
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  int sleepers_ = 0;
  bool stop_ = false;
  // The current job: written by the caller before `published_` (release),
  // read by workers after it (acquire).
  std::atomic<const TaskRef *> job_{nullptr};
  std::atomic<int> tasks_{0}, helpers_{0};
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> counter_{0}; // job id << 32 | next task
  std::atomic<int> pending_{0};      // tasks of the job not yet finished
  std::atomic<int64_t> created_{0};
};

Pool &pool() {
  static Pool p;
  return p;
}

} // namespace

void parallelFor(int tasks, int threads, TaskRef fn) {
  if (tasks <= 0)
    return;
  if (threads <= 1 || tasks == 1 || tInsideTask) {
    for (int t = 0; t < tasks; ++t)
      fn(t);
    return;
  }
  pool().run(tasks, threads, fn);
}

int poolWorkers() { return pool().workers(); }

int64_t poolThreadsCreated() { return pool().created(); }

} // namespace quant4::kernels
