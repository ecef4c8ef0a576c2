//===- Replicas.h - the replicas of data-parallel training ------*- C++ -*-===//
//
// quant4-run train under `mpirun -np N` runs N replicas of the training
// step, one per MPI process (docs/Training.md, "Data-parallel training").
// This is the only place that talks to MPI: the training loop asks for the
// replica count and rank and for three collectives. Without MPI (quant4
// built without it, or a process not started by mpirun) there is one
// replica and the collectives are identities.
//
// Determinism: no collective relies on MPI's reduction operations, whose
// order may depend on the message sizes and the placement of the
// processes. Gradients are reduced by C50 (Numerics/AllReduce.h): each
// replica encodes its gradient, a reduce-scatter exchanges fixed ranges of
// the payloads (MPI_Alltoallv), every replica combines its range in replica
// order, and an all-gather (MPI_Allgatherv) gives every replica the whole
// mean. Sums of metrics gather every replica's value and add them in
// replica order.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_RUNNER_REPLICAS_H
#define QUANT4_RUNNER_REPLICAS_H

#include "quant4/Numerics/AllReduce.h"
#include "llvm/Support/Error.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace quant4::runner {

class Replicas {
public:
  /// The replicas of this process: MPI_COMM_WORLD when the process was
  /// started by an MPI launcher (its environment says so) and quant4 was
  /// built with MPI, initialising MPI on first use; else one replica.
  static Replicas &world();

  int rank() const { return rank_; }
  int size() const { return size_; }
  /// Whether this build can run replicas (it found MPI).
  static bool available();
  /// The environment names an MPI launch (mpirun's variables).
  static bool launchedByMpi();
  /// The process count the launcher's environment gives (1 if none).
  static int launcherSize();

  /// data[0..n) <- the mean over the replicas of every replica's data, by
  /// C50 in precision `kind`; `residual` (n floats) is this replica's
  /// error-feedback state (int8, int4). One replica: nothing changes.
  llvm::Error allReduceMean(num::AllReduceKind kind, float *data, size_t n,
                            float *residual);
  /// values[i] <- the sum over replicas, added in replica order.
  llvm::Error sumInOrder(double *values, size_t count);
  /// bytes[0..n) <- replica 0's.
  llvm::Error broadcast(void *bytes, size_t n);
  /// Every replica's `bytes` (n each), in replica order, on replica 0
  /// (`all` holds size() · n bytes there; elsewhere it is untouched).
  llvm::Error gatherToFirst(const void *bytes, size_t n,
                            std::vector<char> &all);
  /// Seconds spent in collectives so far.
  double commSeconds() const { return commSeconds_; }

  /// Ends MPI (at exit; idempotent).
  static void finalize();

private:
  Replicas() = default;
  int rank_ = 0, size_ = 1;
  double commSeconds_ = 0;
  std::vector<uint8_t> sendBuf_, recvBuf_;
  std::vector<float> partial_;
};

} // namespace quant4::runner

#endif // QUANT4_RUNNER_REPLICAS_H
