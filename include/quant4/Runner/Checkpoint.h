//===- Checkpoint.h - training checkpoints, written atomically --*- C++ -*-===//
//
// The file quant4-run train --checkpoint-dir DIR writes and --resume DIR
// reads (docs/Training.md, "Checkpoints and resuming"): named text fields
// (the run's identity and its position) and named arrays (parameters,
// optimizer and recipe state, counters). What the fields and arrays mean is
// the training loop's business (Train.cpp); this file only stores them.
//
// Format version 1, all integers little-endian:
//
//   "QUANT4CK"                      8 bytes
//   u32 version                     1
//   u32 F, then F fields            u32 key length, key, u32 value length,
//                                   value
//   u32 A, then A arrays            u32 name length, name, u8 dtype
//                                   (npy::DType), u8 rank, rank x i64 dims,
//                                   u64 data length, data (C order)
//   u64 FNV-1a 64 of every byte before it
//
// Writing is atomic: the bytes go to DIR/checkpoint.q4ck.tmp.PID, are
// flushed to the disk, and the file is renamed over DIR/checkpoint.q4ck
// (then the directory is flushed). A crash at any point leaves the previous
// checkpoint whole; readCheckpoint refuses a truncated or altered file by
// its checksum.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_RUNNER_CHECKPOINT_H
#define QUANT4_RUNNER_CHECKPOINT_H

#include "quant4/Runtime/Npy.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <utility>
#include <vector>

namespace quant4::runner {

/// The version of the format this build writes and reads.
constexpr uint32_t kCheckpointVersion = 1;

struct Checkpoint {
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::pair<std::string, npy::Array>> arrays;

  /// Sets (or adds) field `key`.
  void setField(const std::string &key, std::string value);
  /// The value of field `key`, or null.
  const std::string *field(llvm::StringRef key) const;
  /// The array `name`, or null.
  const npy::Array *array(llvm::StringRef name) const;
};

/// DIR/checkpoint.q4ck.
std::string checkpointFile(const std::string &dir);

/// The bytes of `c` in format version 1.
std::string encodeCheckpoint(const Checkpoint &c);

/// Parses the bytes of a checkpoint; the error names `what` (the file) and
/// the problem (not a checkpoint, an unsupported version, truncated or
/// corrupt).
llvm::Expected<Checkpoint> decodeCheckpoint(llvm::StringRef bytes,
                                            const std::string &what);

/// Writes `c` as DIR/checkpoint.q4ck atomically (DIR is created if
/// missing); "" or the problem. `midWrite`, if set, runs when half of the
/// bytes are in the temporary file (tests end the process there).
std::string writeCheckpoint(const std::string &dir, const Checkpoint &c,
                            llvm::function_ref<void()> midWrite = {});

/// Reads DIR/checkpoint.q4ck.
llvm::Expected<Checkpoint> readCheckpoint(const std::string &dir);

/// A double as text that reads back to the same bits (hexadecimal
/// floating point), and back.
std::string exactDouble(double v);
bool parseExactDouble(llvm::StringRef s, double &out);

} // namespace quant4::runner

#endif // QUANT4_RUNNER_CHECKPOINT_H
