//===- Replicas.cpp - the replicas of data-parallel training --------------===//
//
// See Replicas.h. Built with QUANT4_HAVE_MPI when CMake found MPI; without
// it every process is one replica.
//
//===----------------------------------------------------------------------===//
#include "quant4/Runner/Replicas.h"

#include "llvm/Support/ErrorHandling.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>

#ifdef QUANT4_HAVE_MPI
#include <mpi.h>
#endif

using namespace quant4;
using namespace quant4::runner;

namespace {

using Clock = std::chrono::steady_clock;

/// Adds the time of a collective to the replica's total.
struct CommTimer {
  double &total;
  Clock::time_point t0 = Clock::now();
  explicit CommTimer(double &t) : total(t) {}
  ~CommTimer() {
    total += std::chrono::duration<double>(Clock::now() - t0).count();
  }
};

/// The element range [begin, end) replica r combines: whole blocks of
/// kAllReduceBlock elements, split as evenly as the blocks allow.
std::pair<size_t, size_t> rangeOf(size_t n, int replicas, int r) {
  size_t blocks = (n + num::kAllReduceBlock - 1) / num::kAllReduceBlock;
  size_t b0 = blocks * size_t(r) / size_t(replicas),
         b1 = blocks * size_t(r + 1) / size_t(replicas);
  return {std::min(n, b0 * num::kAllReduceBlock),
          std::min(n, b1 * num::kAllReduceBlock)};
}

#ifdef QUANT4_HAVE_MPI
llvm::Error mpiError(const char *what, size_t bytes) {
  return llvm::createStringError(std::string(what) + ": " +
                                 std::to_string(bytes) +
                                 " bytes is more than one MPI message holds");
}
#endif

#ifndef QUANT4_HAVE_MPI
/// The collectives' tail in a build without MPI, where world() is one
/// replica and every collective has returned before it: never reached.
llvm::Error withoutMpi() {
  llvm_unreachable("a collective with several replicas in a build without MPI");
}
#endif

} // namespace

bool Replicas::available() {
#ifdef QUANT4_HAVE_MPI
  return true;
#else
  return false;
#endif
}

bool Replicas::launchedByMpi() {
  for (const char *v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
    if (std::getenv(v))
      return true;
  return false;
}

int Replicas::launcherSize() {
  for (const char *v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char *n = std::getenv(v))
      return std::max(1, std::atoi(n));
  return 1;
}

Replicas &Replicas::world() {
  static Replicas *w = [] {
    auto *r = new Replicas();
#ifdef QUANT4_HAVE_MPI
    if (launchedByMpi()) {
      int init = 0;
      MPI_Initialized(&init);
      if (!init)
        MPI_Init(nullptr, nullptr);
      MPI_Comm_rank(MPI_COMM_WORLD, &r->rank_);
      MPI_Comm_size(MPI_COMM_WORLD, &r->size_);
    }
#endif
    return r;
  }();
  return *w;
}

void Replicas::finalize() {
#ifdef QUANT4_HAVE_MPI
  int init = 0, done = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&done);
  if (init && !done)
    MPI_Finalize();
#endif
}

llvm::Error Replicas::allReduceMean(num::AllReduceKind kind, float *data,
                                    size_t n, float *residual) {
  if (!num::allReduceNeeded(size_) || n == 0)
    return llvm::Error::success();
#ifdef QUANT4_HAVE_MPI
  CommTimer timer(commSeconds_);
  const int N = size_;
  // This replica's payload of the whole gradient, sent range by range.
  sendBuf_.resize(num::allReducePayloadBytes(kind, n));
  num::allReduceEncode(kind, data, residual, n, sendBuf_.data());
  std::vector<int> sendCounts(N), sendOffsets(N), recvCounts(N), recvOffsets(N),
      gatherCounts(N), gatherOffsets(N);
  auto [myBegin, myEnd] = rangeOf(n, N, rank_);
  size_t myBytes = num::allReducePayloadBytes(kind, myEnd - myBegin);
  for (int r = 0; r < N; ++r) {
    auto [b, e] = rangeOf(n, N, r);
    size_t off = num::allReducePayloadOffset(kind, b),
           bytes = num::allReducePayloadBytes(kind, e - b);
    if (off + bytes > size_t(INT_MAX) || myBytes * size_t(N) > size_t(INT_MAX))
      return mpiError("the gradient all-reduce", off + bytes);
    sendCounts[r] = int(bytes);
    sendOffsets[r] = int(off);
    recvCounts[r] = int(myBytes);
    recvOffsets[r] = int(myBytes * size_t(r));
    gatherCounts[r] = int(e - b);
    gatherOffsets[r] = int(b);
  }
  recvBuf_.resize(myBytes * size_t(N));
  MPI_Alltoallv(sendBuf_.data(), sendCounts.data(), sendOffsets.data(),
                MPI_BYTE, recvBuf_.data(), recvCounts.data(),
                recvOffsets.data(), MPI_BYTE, MPI_COMM_WORLD);
  // This replica's range: every replica's payload, combined in order.
  std::vector<const uint8_t *> payloads(N);
  for (int r = 0; r < N; ++r)
    payloads[r] = recvBuf_.data() + myBytes * size_t(r);
  partial_.resize(myEnd - myBegin);
  num::allReduceCombine(kind, payloads.data(), N, myEnd - myBegin,
                        partial_.data());
  MPI_Allgatherv(partial_.data(), int(partial_.size()), MPI_FLOAT, data,
                 gatherCounts.data(), gatherOffsets.data(), MPI_FLOAT,
                 MPI_COMM_WORLD);
  return llvm::Error::success();
#else
  return withoutMpi();
#endif
}

llvm::Error Replicas::sumInOrder(double *values, size_t count) {
  if (size_ == 1 || count == 0)
    return llvm::Error::success();
#ifdef QUANT4_HAVE_MPI
  CommTimer timer(commSeconds_);
  std::vector<double> all(count * size_t(size_));
  MPI_Allgather(values, int(count), MPI_DOUBLE, all.data(), int(count),
                MPI_DOUBLE, MPI_COMM_WORLD);
  for (size_t i = 0; i < count; ++i) {
    double s = all[i];
    for (int r = 1; r < size_; ++r)
      s += all[size_t(r) * count + i];
    values[i] = s;
  }
  return llvm::Error::success();
#else
  return withoutMpi();
#endif
}

llvm::Error Replicas::broadcast(void *bytes, size_t n) {
  if (size_ == 1 || n == 0)
    return llvm::Error::success();
#ifdef QUANT4_HAVE_MPI
  CommTimer timer(commSeconds_);
  if (n > size_t(INT_MAX))
    return mpiError("a broadcast", n);
  MPI_Bcast(bytes, int(n), MPI_BYTE, 0, MPI_COMM_WORLD);
  return llvm::Error::success();
#else
  return withoutMpi();
#endif
}

llvm::Error Replicas::gatherToFirst(const void *bytes, size_t n,
                                    std::vector<char> &all) {
  if (size_ == 1) {
    all.assign(static_cast<const char *>(bytes),
               static_cast<const char *>(bytes) + n);
    return llvm::Error::success();
  }
#ifdef QUANT4_HAVE_MPI
  CommTimer timer(commSeconds_);
  if (n * size_t(size_) > size_t(INT_MAX))
    return mpiError("a gather", n * size_t(size_));
  if (rank_ == 0)
    all.resize(n * size_t(size_));
  MPI_Gather(bytes, int(n), MPI_BYTE, rank_ == 0 ? all.data() : nullptr, int(n),
             MPI_BYTE, 0, MPI_COMM_WORLD);
  return llvm::Error::success();
#else
  return withoutMpi();
#endif
}
