//===- npy-fuzzer.cpp - fuzz quant4::npy::parseNpy -----------------------===//
//
// Input: a NumPy .npy file (what quant4-run, quant4-ref and quant4-sim read
// with --input).
//
// Property: a file that parses holds exactly numel() elements of its dtype.
//
//===----------------------------------------------------------------------===//
#include "FuzzCheck.h"

#include "quant4/Runtime/Npy.h"

using namespace quant4;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  npy::Array a;
  std::string err =
      npy::parseNpy(reinterpret_cast<const char *>(data), size, a);
  if (!err.empty())
    return 0;
  for (int64_t d : a.shape)
    QUANT4_FUZZ_CHECK(d >= 0, "parsed shape has a negative extent");
  QUANT4_FUZZ_CHECK(uint64_t(a.numel()) * npy::dtypeSize(a.dtype) ==
                        a.data.size(),
                    "parsed data size differs from shape x dtype size");
  (void)a.shapeString();
  return 0;
}
