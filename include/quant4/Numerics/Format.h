//===- Format.h - quant4 number formats -------------------------*- C++ -*-===//
//
// Plain C++17, no MLIR/LLVM dependency. The single source of truth for the
// code <-> value mapping of every quant4 storage format. See docs/Formats.md
// (constraint labels C1, C2, ... are referenced from the code and the tests).
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_NUMERICS_FORMAT_H
#define QUANT4_NUMERICS_FORMAT_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace quant4::num {

enum class FormatKind : uint8_t {
  Log,     // sign + ebits exponent bits, no mantissa (radix 2/4/8/16)
  Int,     // symmetric signed integer, two's complement in `bits` bits
  UInt,    // unsigned integer
  FP4E2M1, // OCP E2M1 (no Inf/NaN, max 6)
  FP8E4M3, // OCP E4M3FN (no Inf, NaN = 0x7F/0xFF, max 448)
  FP8E5M2, // OCP E5M2 (IEEE-like: Inf and NaN, max 57344)
  E8M0,    // OCP E8M0 scale: 2^(e-127), 0xFF = NaN, unsigned, no zero
  FP16,    // IEEE binary16
  BF16,    // bfloat16
  FP32     // IEEE binary32 (code = bit pattern)
};

struct Format {
  FormatKind kind = FormatKind::FP32;
  int radix = 0, ebits = 0, phase = 0, bias = 0; // Log only
  int bits = 0;                                   // Int/UInt only

  /// bias defaults to defaultLogBias(ebits). No validation: call validateLog.
  static Format log(int radix, int ebits, int phase,
                    std::optional<int> bias = std::nullopt);
  static Format sint(int bits);
  static Format uint(int bits);
  static Format fp4e2m1();
  static Format fp8e4m3();
  static Format fp8e5m2();
  static Format e8m0();
  static Format fp16();
  static Format bf16();
  static Format fp32();

  /// Log: 1+ebits; Int/UInt: bits; FP4: 4; FP8/E8M0: 8; FP16/BF16: 16; FP32: 32.
  int bitWidth() const;
  /// 1u << bitWidth() for widths <= 16; 0 for FP32 (not enumerable).
  uint32_t numCodes() const;
  /// Largest finite magnitude (Log 4,3,0: 64; Int4: 7; UInt4: 15; E2M1: 6;
  /// E4M3: 448; E5M2: 57344; E8M0: 2^127; FP16: 65504; ...).
  double maxValue() const;
  /// Smallest positive non-zero magnitude (subnormal where the format has them).
  double minPositive() const;
  /// True if the format represents negative values (everything but UInt, E8M0).
  bool isSigned() const;
  /// "log<4,3,0,4>", "int4", "uint4", "e2m1", "e4m3", "e5m2", "e8m0", "f16",
  /// "bf16", "f32". parseFormat() is the inverse.
  std::string str() const;
  /// Compares only the parameters that are meaningful for `kind`.
  bool operator==(const Format &o) const;
  bool operator!=(const Format &o) const { return !(*this == o); }
};

/// 2^(ebits-1): radix 4, ebits 3 -> 4, so exponent codes 1..7 give 4^-3..4^3.
int defaultLogBias(int ebits);

/// "" if valid, else one sentence naming the bad parameter and its legal range.
/// radix in {2,4,8,16}; ebits in [1,7]; phase in {0,1}, phase 1 only for radix
/// 4 and 16; every level radix^(e-bias) (times sqrt(radix) for phase 1), e in
/// [1, 2^ebits-1], must be a normal finite float32 (constraint C4).
std::string validateLog(int radix, int ebits, int phase, int bias);
/// "" if 2 <= bits <= 8, else a sentence (constraint C5).
std::string validateInt(int bits);
/// Validates any Format value (dispatches to validateLog / validateInt).
std::string validateFormat(const Format &f);
/// validateFormat(f).empty(). encode() of an invalid format returns 0 and
/// decode() returns NaN (never undefined behaviour).
bool isValidFormat(const Format &f);

/// Inverse of Format::str(). Also accepts "log<r,e,p>" (default bias).
std::optional<Format> parseFormat(std::string_view s);

/// Number of non-negative magnitude levels of a format with <= 16 bits
/// (including zero where the format has it); level index i is also the code
/// of +level(i) (C3). For FP16/BF16 the last index is the +Inf code: it acts
/// as the level 2^(emax+1) for rounding (IEEE overflow), decode gives +Inf.
/// FP32: 0 (not enumerated).
uint32_t numMagnitudeLevels(const Format &f);
/// Value of magnitude level index i (0 <= i < numMagnitudeLevels(f)).
double magnitudeLevel(const Format &f, uint32_t i);
/// Index of the largest level <= m (m >= 0, finite; 0 for m below the first
/// level, the last index for m beyond the last level).
uint32_t floorMagnitudeLevel(const Format &f, double m);

} // namespace quant4::num

#endif // QUANT4_NUMERICS_FORMAT_H
