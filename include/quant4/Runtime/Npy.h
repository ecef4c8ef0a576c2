//===- Npy.h - NumPy .npy reading and writing -------------------*- C++ -*-===//
//
// Plain C++ (no MLIR/LLVM): used by quant4-run and quant4-ref. Reads format
// versions 1.0, 2.0 and 3.0 (C order, little-endian or byte-sized dtypes,
// any rank including 0-d); writes version 1.0.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_RUNTIME_NPY_H
#define QUANT4_RUNTIME_NPY_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace quant4::npy {

enum class DType { Bool, I8, U8, I16, U16, I32, U32, I64, U64, F16, F32, F64 };

/// NumPy's name ("float32", "int8", "bool", ...).
const char *dtypeName(DType t);
/// NumPy's descr ("<f4", "|i1", "|b1", ...).
const char *dtypeDescr(DType t);
size_t dtypeSize(DType t);

struct Array {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<char> data; // C order, little-endian

  int64_t numel() const;
  /// "(4, 8)", "(5,)", "()".
  std::string shapeString() const;
  template <typename T> T *as() { return reinterpret_cast<T *>(data.data()); }
  template <typename T> const T *as() const {
    return reinterpret_cast<const T *>(data.data());
  }
};

/// Parses a .npy file; returns "" on success, else a sentence saying what is
/// wrong (unreadable file, bad magic, unsupported dtype, Fortran order, size
/// mismatch, ...).
std::string readNpy(const std::string &path, Array &out);
/// Parses .npy bytes already in memory.
std::string parseNpy(const char *bytes, size_t size, Array &out);
/// Writes `a` as a version 1.0 .npy file; "" on success.
std::string writeNpy(const std::string &path, const Array &a);

} // namespace quant4::npy

#endif // QUANT4_RUNTIME_NPY_H
