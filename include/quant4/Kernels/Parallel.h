//===- Parallel.h - the process's persistent worker pool --------*- C++ -*-===//
//
// Every parallel loop of the kernels and the runtime (GEMM row panels,
// convolution im2col, quantization pieces, BLAS row blocks) and of the
// compiled training step runs on one pool of worker threads that live for
// the whole process, the OpenMP runtime's (libomp): a call hands out task
// indices, it does not create threads or allocate.
//
// Determinism is the caller's contract, as before the pool: a task is a
// fixed piece of work (a fixed range of rows, a fixed block) whose result
// does not depend on which thread runs it or when, and tasks write disjoint
// outputs. The pool only decides who runs a task; the pieces are fixed by
// the caller from the problem and the requested thread count.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_KERNELS_PARALLEL_H
#define QUANT4_KERNELS_PARALLEL_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace quant4::kernels {

/// A non-owning reference to a callable taking a task index.
class TaskRef {
public:
  /// `fn` must outlive the TaskRef (a lambda passed to parallelFor does).
  template <typename Fn, typename = std::enable_if_t<
                             !std::is_same_v<std::decay_t<Fn>, TaskRef>>>
  TaskRef(Fn &&fn) // NOLINT: implicit, like llvm::function_ref
      : obj_(const_cast<void *>(static_cast<const void *>(&fn))),
        call_([](void *o, int t) {
          (*static_cast<std::remove_reference_t<Fn> *>(o))(t);
        }) {}
  void operator()(int task) const { call_(obj_, task); }

private:
  void *obj_;
  void (*call_)(void *, int);
};

/// Runs fn(t) for every t in [0, tasks) and returns when all have finished:
/// on the calling thread and up to `threads` - 1 pool workers. A call from
/// inside a parallel region (a task, or a compiled parallel loop), or with
/// threads <= 1 or tasks <= 1, runs the tasks on the calling thread in
/// order.
void parallelFor(int tasks, int threads, TaskRef fn);

/// The team size of the compiled step's parallel loops started from the
/// calling thread (omp_set_num_threads; quant4_rt_set_num_threads calls it).
void setPoolThreads(int threads);

/// Splits [0, n) into min(pieces, n) contiguous ranges, range t being
/// [n·t/pieces, n·(t+1)/pieces), and runs fn(begin, end) on each, on the
/// pool: the ranges depend only on n and pieces, never on which thread runs
/// them.
template <typename Fn> void parallelRanges(size_t n, int pieces, Fn fn) {
  if (n == 0)
    return;
  size_t p = std::min<size_t>(size_t(std::max(pieces, 1)), n);
  parallelFor(int(p), int(p),
              [&](int t) { fn(n * size_t(t) / p, n * size_t(t + 1) / p); });
}

} // namespace quant4::kernels

#endif // QUANT4_KERNELS_PARALLEL_H
