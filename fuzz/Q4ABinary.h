//===- Q4ABinary.h - Q4A binaries that get past the checksum ----*- C++ -*-===//
#ifndef QUANT4_FUZZ_Q4ABINARY_H
#define QUANT4_FUZZ_Q4ABINARY_H

#include "quant4/Target/Q4A/ISA.h"

#include <cstdint>
#include <vector>

namespace quant4::fuzz {

/// A Q4A binary container (docs/ISA.md §8) ends in a CRC-32 of all its other
/// bytes and states its own size at offset 12: a mutated file almost never
/// gets past these two checks. Returns a copy of the first `size` bytes of
/// `data` with both made consistent (the magic and the rest untouched), so
/// that the fuzzer reaches the section, tensor and instruction decoding.
/// Inputs shorter than a header plus CRC are returned unchanged.
inline std::vector<uint8_t> fixUpQ4ABinary(const uint8_t *data, size_t size) {
  std::vector<uint8_t> b(data, data + size);
  if (size < q4a::kHeaderBytes + 4 || size > UINT32_MAX)
    return b;
  for (unsigned i = 0; i < 4; ++i)
    b[12 + i] = uint8_t(uint32_t(size) >> (8 * i));
  uint32_t crc = q4a::crc32(b.data(), size - 4);
  for (unsigned i = 0; i < 4; ++i)
    b[size - 4 + i] = uint8_t(crc >> (8 * i));
  return b;
}

} // namespace quant4::fuzz

#endif // QUANT4_FUZZ_Q4ABINARY_H
