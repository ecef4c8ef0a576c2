//===- Cpu.cpp - instruction-set detection and kernel selection -----------===//
//
// Which instruction set this CPU has (detectIsa: AVX-512 F/BW/VL/VNNI,
// AVX2+FMA+F16C, or portable), and which micro-kernel runs for an ISA: the
// map from an Isa to the kernels of Portable.cpp and of the
// per-architecture files (x86/), which the drivers then call through
// function pointers. (Packing and the row kernel's compaction pick their
// x86 helpers in place, in Pack.cpp and GemmF16Rows.cpp.) Kept apart so
// that the drivers name no instruction set's kernels.
//
//===----------------------------------------------------------------------===//
#include "KernelsImpl.h"
#include "x86/X86.h"

namespace quant4::kernels {

Isa detectIsa() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512vnni"))
    return Isa::AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("f16c"))
    return Isa::AVX2;
#endif
  return Isa::Portable;
}

const char *isaName(Isa isa) {
  switch (isa) {
  case Isa::Portable: return "portable";
  case Isa::AVX2: return "avx2";
  case Isa::AVX512: return "avx512-vnni";
  }
  return "?";
}

namespace detail {

Isa cpuIsa() {
  static const Isa isa = detectIsa();
  return isa;
}

Isa usableIsa(Isa requested) {
  Isa best = cpuIsa();
  return static_cast<int>(requested) <= static_cast<int>(best) ? requested
                                                               : best;
}

FloatMicro floatMicro(Isa isa, int mode, int rows) {
#if defined(__x86_64__)
  if (isa == Isa::AVX512)
    return floatMicroAvx512(mode, rows);
  if (isa == Isa::AVX2)
    return floatMicroAvx2(mode);
#endif
  (void)isa, (void)rows;
  return floatMicroPortable(mode);
}

Int16Micro int16Micro(Isa isa) {
#if defined(__x86_64__)
  if (isa == Isa::AVX512)
    return microInt16Avx512;
  if (isa == Isa::AVX2)
    return microInt16Avx2;
#endif
  (void)isa;
  return microInt16Portable;
}

static void noByteKernel(int, const int32_t *, const int8_t *, int32_t *,
                         int64_t, bool, int32_t *) {
  std::abort(); // the byte variant is only chosen with AVX-512 VNNI
}

Int8Micro int8Micro(Isa isa, bool track) {
#if defined(__x86_64__)
  if (isa == Isa::AVX512)
    return int8MicroAvx512(track);
#endif
  (void)isa, (void)track;
  return noByteKernel;
}

RowKernel rowKernel(Isa isa, int mode) {
#if defined(__x86_64__)
  if (isa == Isa::AVX512)
    return rowKernelAvx512(mode);
  if (isa == Isa::AVX2)
    return rowKernelAvx2(mode);
#endif
  (void)isa;
  return rowKernelPortable(mode);
}

HalfPartials halfPartials(Isa isa) {
#if defined(__x86_64__)
  if (isa == Isa::AVX512)
    return addHalfPartialsAvx512;
  if (isa == Isa::AVX2)
    return addHalfPartialsAvx2;
#endif
  (void)isa;
  return addHalfPartialsPortable;
}

} // namespace detail
} // namespace quant4::kernels
