//===- Parallel.cpp - parallel loops on the OpenMP runtime's pool ---------===//
//
// The pool is libomp's: its worker threads are created by the first
// parallel region and kept for the process (they spin for a while after a
// region, then sleep), and the compiled training step's parallel loops
// (quant4-cpu-parallel-loops, lowered through upstream's OpenMP dialect) run
// on the same threads. One pool for both matters: two pools that spin after
// their regions would take turns stealing each other's cores.
//
// Tasks are handed out dynamically, one at a time: which thread runs a task
// is left to the runtime, and results do not depend on it (Parallel.h).
//
//===----------------------------------------------------------------------===//
#include "quant4/Kernels/Parallel.h"

#include <omp.h>

namespace quant4::kernels {

void parallelFor(int tasks, int threads, TaskRef fn) {
  if (tasks <= 0)
    return;
  // Inside a parallel region (a task of ours, or a compiled parallel
  // loop) the tasks run here, in order: no nested teams.
  if (threads <= 1 || tasks == 1 || omp_in_parallel()) {
    for (int t = 0; t < tasks; ++t)
      fn(t);
    return;
  }
  int team = threads < tasks ? threads : tasks;
#pragma omp parallel for num_threads(team) schedule(dynamic, 1)
  for (int t = 0; t < tasks; ++t)
    fn(t);
}

void setPoolThreads(int threads) { omp_set_num_threads(threads < 1 ? 1 : threads); }

} // namespace quant4::kernels
