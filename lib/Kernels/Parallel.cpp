//===- Parallel.cpp - the runtime's persistent worker pool ----------------===//
//
// One job at a time: the caller publishes (fn, task count), wakes the
// workers it wants, takes tasks itself from a shared counter, and waits
// until every task has finished. Workers sleep on a condition variable
// between jobs (this machine's cores are often shared; spinning would take
// them from the calling thread).
//
//===----------------------------------------------------------------------===//
#include "quant4/Kernels/Parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace quant4::kernels {
namespace {

thread_local bool tInsideTask = false;

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
      std::unique_lock<std::mutex> lock(mutex_);
      while (int(workers_.size()) < helpers) {
        workers_.emplace_back([this, id = int(workers_.size())] { loop(id); });
        created_.fetch_add(1);
      }
      job_ = &fn;
      tasks_ = tasks;
      helpers_ = helpers;
      next_.store(0);
      pending_ = tasks;
      ++generation_;
    }
    wake_.notify_all();
    work();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0 && busy_ == 0; });
    job_ = nullptr;
  }

  int workers() {
    std::lock_guard<std::mutex> lock(mutex_);
    return int(workers_.size());
  }
  int64_t created() const { return created_.load(); }

private:
  /// Takes tasks of the current job until none is left.
  void work() {
    int finished = 0;
    for (int t; (t = next_.fetch_add(1)) < tasks_;) {
      tInsideTask = true;
      (*job_)(t);
      tInsideTask = false;
      ++finished;
    }
    if (finished) {
      std::lock_guard<std::mutex> lock(mutex_);
      pending_ -= finished;
      if (pending_ == 0)
        done_.notify_all();
    }
  }

  void loop(int id) {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] {
        return stop_ || (generation_ != seen && job_ && id < helpers_);
      });
      if (stop_)
        return;
      seen = generation_;
      ++busy_;
      lock.unlock();
      work();
      lock.lock();
      if (--busy_ == 0)
        done_.notify_all();
    }
  }

  std::mutex callMutex_; // one job at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const TaskRef *job_ = nullptr;
  int tasks_ = 0, helpers_ = 0, pending_ = 0, busy_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::atomic<int> next_{0};
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
