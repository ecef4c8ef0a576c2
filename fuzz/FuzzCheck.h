//===- FuzzCheck.h - property checks of the quant4 fuzz targets -*- C++ -*-===//
//
// The fuzz targets of this directory (fuzz/README.md) feed untrusted bytes to
// the parsers and the simulator. Beyond "no crash, no sanitizer report" some
// of them check a property the library documents (e.g. a program that parses
// prints back to text that parses to the same program); a violated property
// ends the run through QUANT4_FUZZ_CHECK, so that libFuzzer keeps the input.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_FUZZ_FUZZCHECK_H
#define QUANT4_FUZZ_FUZZCHECK_H

#include <cstdio>
#include <cstdlib>

/// Aborts (a crash for libFuzzer) with `msg` when `cond` is false.
#define QUANT4_FUZZ_CHECK(cond, msg)                                           \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__,         \
                   __LINE__, msg);                                             \
      std::abort();                                                            \
    }                                                                          \
  } while (false)

#endif // QUANT4_FUZZ_FUZZCHECK_H
