//===- TextTest.cpp - byte-level text datasets: split, windows, corpus ----===//
#include "quant4/Data/Text.h"

#include <gtest/gtest.h>

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

class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/quant4-text-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string path;
};

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

std::vector<uint8_t> bytesOf(const std::string &s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// ---- split --------------------------------------------------------------------------

TEST(Text, SplitSizesAreExact) {
  TempDir t;
  std::string p = t.path + "/a.txt";
  // floor(0.9 n) training bytes, for sizes around the multiples of 10.
  for (size_t n : {20u, 21u, 29u, 30u, 99u, 100u, 101u, 1009u}) {
    std::string text;
    for (size_t i = 0; i < n; ++i)
      text += char('a' + i % 26);
    writeFile(p, text);
    TextSplit s;
    ASSERT_EQ(loadText("text:" + p, s), "") << n;
    size_t nTrain = n * 9 / 10;
    EXPECT_EQ(s.train.size(), nTrain) << n;
    EXPECT_EQ(s.test.size(), n - nTrain) << n;
    EXPECT_EQ(s.train, bytesOf(text.substr(0, nTrain))) << n;
    EXPECT_EQ(s.test, bytesOf(text.substr(nTrain))) << n;
    EXPECT_EQ(s.description, "text:" + p + " (" + std::to_string(nTrain) +
                                 " train / " + std::to_string(n - nTrain) +
                                 " test bytes)");
  }
  // Every byte value is a token, NUL and 0xff included.
  std::string all;
  for (int b = 0; b < 256; ++b)
    all += char(b);
  writeFile(p, all);
  TextSplit s;
  ASSERT_EQ(loadTextFile(p, s), "");
  ASSERT_EQ(s.train.size(), 230u); // floor(0.9 * 256)
  ASSERT_EQ(s.test.size(), 26u);
  EXPECT_EQ(s.train[0], 0);
  EXPECT_EQ(s.test[0], 230);
  EXPECT_EQ(s.test[25], 255);
}

TEST(Text, SplitTextInMemory) {
  TextSplit s;
  ASSERT_EQ(splitText(bytesOf("0123456789abcdefghij"), "twenty", s), "");
  EXPECT_EQ(s.train, bytesOf("0123456789abcdefgh"));
  EXPECT_EQ(s.test, bytesOf("ij"));
  EXPECT_EQ(s.description, "twenty (18 train / 2 test bytes)");
}

TEST(Text, Errors) {
  TempDir t;
  TextSplit s;
  std::string p = t.path + "/a.txt";
  EXPECT_EQ(loadText("text:" + t.path + "/none.txt", s),
            "text file '" + t.path + "/none.txt' does not exist");
  writeFile(p, "");
  EXPECT_EQ(loadText("text:" + p, s), "text file '" + p + "' is empty");
  writeFile(p, "too small");
  EXPECT_EQ(loadText("text:" + p, s),
            "text file '" + p +
                "' has 9 bytes, fewer than the 20 a text dataset needs");
  EXPECT_EQ(loadText("text:" + t.path, s),
            "'" + t.path + "' is a directory, not a file");
  EXPECT_EQ(loadText("words", s),
            "unknown text dataset 'words' (expected text or text:FILE)");
  EXPECT_EQ(splitText({}, "nothing", s), "nothing is empty");
  if (::geteuid() != 0) { // root reads anything
    writeFile(p, std::string(100, 'x'));
    ::chmod(p.c_str(), 0);
    EXPECT_NE(loadText("text:" + p, s).find("cannot open '" + p + "': "),
              std::string::npos);
  }
  // Larger than the limit: refused from the file's size, before reading (a
  // sparse file, no disk space used).
  {
    std::FILE *f = std::fopen(p.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(::ftruncate(fileno(f), off_t(kMaxTextBytes) + 1), 0);
    std::fclose(f);
  }
  EXPECT_EQ(loadText("text:" + p, s),
            "text file '" + p + "' is larger than 268435456 bytes, the limit "
            "for a text dataset");
  std::remove(p.c_str());

  // A failed load leaves `out` as it was.
  TextSplit keep;
  keep.description = "unchanged";
  EXPECT_NE(loadText("text:" + t.path + "/none.txt", keep), "");
  EXPECT_EQ(keep.description, "unchanged");
}

TEST(Text, SpecNames) {
  EXPECT_TRUE(isTextDatasetSpec("text"));
  EXPECT_TRUE(isTextDatasetSpec("text:"));
  EXPECT_TRUE(isTextDatasetSpec("text:/tmp/a.txt"));
  EXPECT_FALSE(isTextDatasetSpec("texts"));
  EXPECT_FALSE(isTextDatasetSpec("mnist"));
  EXPECT_FALSE(isTextDatasetSpec(""));
  EXPECT_FALSE(isTextDatasetSpec("fashion-mnist"));
}

// ---- windows ------------------------------------------------------------------------

TEST(Text, WindowCount) {
  EXPECT_EQ(textWindowCount(0, 4), 0);
  EXPECT_EQ(textWindowCount(1, 1), 0);
  EXPECT_EQ(textWindowCount(2, 1), 1);
  EXPECT_EQ(textWindowCount(4, 4), 0); // a window of 4 needs 5 bytes
  EXPECT_EQ(textWindowCount(5, 4), 1);
  EXPECT_EQ(textWindowCount(8, 4), 1);
  EXPECT_EQ(textWindowCount(9, 4), 2);
  EXPECT_EQ(textWindowCount(100, 0), 0);
  EXPECT_EQ(textWindowCount(100, -3), 0);
  EXPECT_EQ(textWindowCount(257668, 128), 2013); // 2013 * 128 + 1 <= 257668
}

TEST(Text, WindowTokensAndTargets) {
  std::vector<uint8_t> split = bytesOf("abcdefghijk"); // 11 bytes
  const int64_t T = 4;
  ASSERT_EQ(textWindowCount(split.size(), T), 2);
  int64_t tokens[T];
  int32_t targets[T];
  ASSERT_EQ(fillTextWindow(split, T, 0, tokens, targets), "");
  EXPECT_EQ(std::vector<int64_t>(tokens, tokens + T),
            (std::vector<int64_t>{'a', 'b', 'c', 'd'}));
  EXPECT_EQ(std::vector<int32_t>(targets, targets + T),
            (std::vector<int32_t>{'b', 'c', 'd', 'e'}));
  ASSERT_EQ(fillTextWindow(split, T, 1, tokens, targets), "");
  EXPECT_EQ(std::vector<int64_t>(tokens, tokens + T),
            (std::vector<int64_t>{'e', 'f', 'g', 'h'}));
  EXPECT_EQ(std::vector<int32_t>(targets, targets + T),
            (std::vector<int32_t>{'f', 'g', 'h', 'i'}));
  // Window 2 would need byte 12: out of range, nothing written.
  tokens[0] = -1;
  EXPECT_EQ(fillTextWindow(split, T, 2, tokens, targets),
            "text window 2 is out of range: a split of 11 bytes has 2 windows "
            "of sequence length 4");
  EXPECT_EQ(tokens[0], -1);
  EXPECT_NE(fillTextWindow(split, T, -1, tokens, targets), "");
  EXPECT_EQ(fillTextWindow(split, 0, 0, tokens, targets),
            "text window: sequence length 0 is not positive");

  // Exactly T + 1 bytes: one window, whose last target is the last byte.
  std::vector<uint8_t> five = {200, 0, 255, 7, 9};
  ASSERT_EQ(fillTextWindow(five, 4, 0, tokens, targets), "");
  EXPECT_EQ(std::vector<int64_t>(tokens, tokens + 4),
            (std::vector<int64_t>{200, 0, 255, 7}));
  EXPECT_EQ(std::vector<int32_t>(targets, targets + 4),
            (std::vector<int32_t>{0, 255, 7, 9}));
}

TEST(Text, CheckWindows) {
  TextSplit s;
  ASSERT_EQ(splitText(std::vector<uint8_t>(200, 'x'), "text:f", s), "");
  // 180 train / 20 test bytes.
  EXPECT_EQ(checkTextWindows(s, 19), "");
  EXPECT_EQ(checkTextWindows(s, 20),
            "the test split of text:f (180 train / 20 test bytes) has 20 "
            "bytes, fewer than the 21 that one window of sequence length 20 "
            "needs");
  EXPECT_EQ(checkTextWindows(s, 180),
            "the training split of text:f (180 train / 20 test bytes) has 180 "
            "bytes, fewer than the 181 that one window of sequence length 180 "
            "needs");
  EXPECT_EQ(checkTextWindows(s, 0), "sequence length 0 is not positive");
}

TEST(Text, BitsPerByte) {
  EXPECT_DOUBLE_EQ(bitsPerByte(std::log(2.0)), 1.0);
  EXPECT_DOUBLE_EQ(bitsPerByte(std::log(256.0)), 8.0);
  EXPECT_DOUBLE_EQ(bitsPerByte(0.0), 0.0);
  // Order-0 baseline: uniform without training data, and exact on a small
  // case: train "aab" gives a count 3 of 259 to 'a' and 2 to 'b'.
  EXPECT_DOUBLE_EQ(unigramBitsPerByte({}, bytesOf("xyz")), 8.0);
  EXPECT_DOUBLE_EQ(unigramBitsPerByte(bytesOf("aab"), bytesOf("zab")),
                   -(std::log2(3.0 / 259.0) + std::log2(2.0 / 259.0)) / 2.0);
  EXPECT_EQ(unigramBitsPerByte(bytesOf("aab"), bytesOf("z")), 0.0);
}

// ---- the default corpus -------------------------------------------------------------

// 64-bit FNV-1a, to compare the corpus with a value computed independently
// (Python, over the same 43 files of bookworm's fortunes 1:1.99.1-7.3).
uint64_t fnv1a(const std::vector<uint8_t> &a, const std::vector<uint8_t> &b) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const std::vector<uint8_t> *v : {&a, &b})
    for (uint8_t c : *v)
      h = (h ^ c) * 0x100000001b3ull;
  return h;
}

bool haveFortunes() {
  struct stat st;
  return ::stat((defaultTextCorpusDir() + "/zippy").c_str(), &st) == 0 &&
         ::stat((defaultTextCorpusDir() + "/fortunes").c_str(), &st) == 0;
}

TEST(Text, DefaultCorpusFileList) {
  const std::vector<std::string> &files = defaultTextCorpusFiles();
  ASSERT_EQ(files.size(), 43u);
  for (size_t i = 1; i < files.size(); ++i)
    EXPECT_LT(files[i - 1], files[i]); // sorted, no duplicates
}

TEST(Text, DefaultCorpusIsDeterministic) {
  if (!haveFortunes())
    GTEST_SKIP() << "the Debian package fortunes is not installed "
                    "(scripts/setup.sh installs it)";
  TextSplit a, b;
  ASSERT_EQ(loadText("text", a), "");
  ASSERT_EQ(loadText("text:", b), "");
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.test, b.test);
  EXPECT_EQ(a.description, b.description);
  size_t total = a.train.size() + a.test.size();
  EXPECT_GT(total, 100000u);
  EXPECT_EQ(a.train.size(), total * 9 / 10);
  EXPECT_GT(textWindowCount(a.test.size(), 256), 100);
  if (defaultTextCorpusDir() == kDebianFortunesDir) {
    // bookworm's fortunes 1:1.99.1-7.3: another version of the package
    // changes these, not the properties above.
    EXPECT_EQ(total, 2576674u);
    EXPECT_EQ(a.description, "text:/usr/share/games/fortunes (43 fortunes "
                             "files: 2319006 train / 257668 test bytes)");
    EXPECT_EQ(fnv1a(a.train, a.test), 0x2015a6f2b7de2d3dull);
    EXPECT_EQ(std::string(a.test.begin(), a.test.begin() + 10),
              ".\n\t\t-- Dr.");
  }
  // The order-0 baseline of English text is around 4.5-5 bits per byte.
  double bpc = unigramBitsPerByte(a.train, a.test);
  EXPECT_GT(bpc, 3.5);
  EXPECT_LT(bpc, 6.0);
}

TEST(Text, CorpusFromAnotherDirectory) {
  TempDir t;
  TextSplit s;
  EXPECT_EQ(loadTextCorpus(t.path + "/none", s),
            "default text corpus: directory '" + t.path +
                "/none' does not exist");
  // Every file present (one byte each but "art"): concatenated in list order.
  std::string expected;
  for (const std::string &f : defaultTextCorpusFiles()) {
    std::string content = f == "art" ? std::string(20, '#') : f.substr(0, 1);
    writeFile(t.path + "/" + f, content);
    expected += content;
  }
  writeFile(t.path + "/art.dat", "index"); // not part of the corpus
  writeFile(t.path + "/zzz-extra", "not listed, not read");
  ASSERT_EQ(loadTextCorpus(t.path, s), "");
  std::string got(s.train.begin(), s.train.end());
  got.append(s.test.begin(), s.test.end());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(s.train.size(), expected.size() * 9 / 10);
  std::remove((t.path + "/perl").c_str());
  EXPECT_EQ(loadTextCorpus(t.path, s),
            "default text corpus: missing file '" + t.path + "/perl'");
}

} // namespace
