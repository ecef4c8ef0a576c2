//===- ParallelTest.cpp - the persistent worker pool ----------------------===//
#include "quant4/Kernels/Parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <dirent.h>
#include <thread>
#include <vector>

using namespace quant4;

namespace {

TEST(Pool, RunsEveryTaskOnce) {
  for (int threads : {1, 2, 3, 8})
    for (int tasks : {0, 1, 2, 5, 64}) {
      std::vector<std::atomic<int>> runs(static_cast<size_t>(tasks));
      kernels::parallelFor(tasks, threads, [&](int t) { runs[size_t(t)]++; });
      for (int t = 0; t < tasks; ++t)
        EXPECT_EQ(runs[size_t(t)].load(), 1)
            << "task " << t << " of " << tasks << ", " << threads << " threads";
    }
}

// The threads of this process (Linux: the entries of /proc/self/task).
int processThreads() {
  int n = 0;
  if (DIR *d = opendir("/proc/self/task")) {
    while (dirent *e = readdir(d))
      n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

// Threads are created once, not per call: after the first call at 3
// threads, 1,000 more create none.
TEST(Pool, WorkersPersistAcrossCalls) {
  std::atomic<int64_t> sum{0};
  kernels::parallelFor(3, 3, [&](int t) { sum += t + 1; });
  int threads = processThreads();
  ASSERT_GT(threads, 0);
  for (int i = 0; i < 1000; ++i)
    kernels::parallelFor(3, 3, [&](int t) { sum += t + 1; });
  EXPECT_EQ(sum.load(), 6006);
  EXPECT_EQ(processThreads(), threads);
}

// Work really runs on more than one thread (a task waits for another one
// to start: with a single thread this would deadlock, so it is bounded).
TEST(Pool, TasksRunConcurrently) {
  std::atomic<int> started{0};
  std::atomic<bool> sawOther{false};
  kernels::parallelFor(2, 2, [&](int) {
    started++;
    for (int spin = 0; spin < 2000000 && started.load() < 2; ++spin)
      std::this_thread::yield();
    if (started.load() == 2)
      sawOther = true;
  });
  EXPECT_TRUE(sawOther.load());
}

// A parallelFor inside a task runs its tasks on the calling thread, in
// order (no deadlock on the single job slot).
TEST(Pool, NestedCallsRunInline) {
  std::vector<int> order[2];
  kernels::parallelFor(2, 2, [&](int outer) {
    kernels::parallelFor(4, 2,
                         [&](int inner) { order[outer].push_back(inner); });
  });
  for (auto &o : order)
    EXPECT_EQ(o, (std::vector<int>{0, 1, 2, 3}));
}

// Calls from several application threads each complete.
TEST(Pool, CallsFromSeveralThreads) {
  std::atomic<int64_t> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 3; ++c)
    callers.emplace_back([&] {
      for (int i = 0; i < 200; ++i)
        kernels::parallelFor(4, 2, [&](int t) { total += t; });
    });
  for (auto &t : callers)
    t.join();
  EXPECT_EQ(total.load(), 3 * 200 * 6);
}

} // namespace
