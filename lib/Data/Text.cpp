//===- Text.cpp - byte-level text datasets for language models ------------===//
#include "quant4/Data/Text.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <utility>

namespace quant4::data {
namespace {

bool isDirectory(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/// Appends the bytes of `path` to `out`; more than `limit` bytes in `out`
/// altogether is an error, "<what> is larger than ..." (a regular file's size
/// is checked before reading; reading in chunks bounds a pipe or a growing
/// file too).
std::string appendFile(const std::string &path, std::vector<uint8_t> &out,
                       size_t limit, const std::string &what) {
  if (isDirectory(path))
    return "'" + path + "' is a directory, not a file";
  auto tooLarge = [&] {
    return what + " is larger than " + std::to_string(limit) +
           " bytes, the limit for a text dataset";
  };
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return "cannot open '" + path + "': " + std::strerror(errno);
  struct stat st;
  if (::fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
      uint64_t(st.st_size) > limit - out.size()) {
    std::fclose(f);
    return tooLarge();
  }
  std::vector<uint8_t> chunk(1 << 20);
  while (true) {
    size_t n = std::fread(chunk.data(), 1, chunk.size(), f);
    if (n > limit - out.size()) {
      std::fclose(f);
      return tooLarge();
    }
    out.insert(out.end(), chunk.data(), chunk.data() + n);
    if (n < chunk.size()) {
      bool failed = std::ferror(f) != 0;
      int err = errno;
      std::fclose(f);
      if (failed)
        return "cannot read '" + path + "': " + std::strerror(err);
      return "";
    }
  }
}

std::string describe(const std::string &source, const TextSplit &split,
                     const std::string &note = "") {
  return source + " (" + note + std::to_string(split.train.size()) +
         " train / " + std::to_string(split.test.size()) + " test bytes)";
}

} // namespace

bool isTextDatasetSpec(const std::string &spec) {
  return spec == "text" || spec.rfind("text:", 0) == 0;
}

std::string defaultTextCorpusDir() {
  if (const char *env = std::getenv("QUANT4_FORTUNES_DIR"); env && *env)
    return env;
  return kDebianFortunesDir;
}

const std::vector<std::string> &defaultTextCorpusFiles() {
  // The plain-text files of fortunes and fortunes-min, sorted (C locale).
  static const std::vector<std::string> files = {
      "art", "ascii-art", "computers", "cookie", "debian", "definitions",
      "disclaimer", "drugs", "education", "ethnic", "food", "fortunes",
      "goedel", "humorists", "kids", "knghtbrd", "law", "linux", "linuxcookie",
      "literature", "love", "magic", "medicine", "men-women", "miscellaneous",
      "news", "paradoxum", "people", "perl", "pets", "platitudes", "politics",
      "pratchett", "riddles", "science", "songs-poems", "sports", "startrek",
      "tao", "translate-me", "wisdom", "work", "zippy"};
  return files;
}

std::string splitText(std::vector<uint8_t> bytes, const std::string &name,
                      TextSplit &out) {
  if (bytes.empty())
    return name + " is empty";
  if (bytes.size() < kMinTextBytes)
    return name + " has " + std::to_string(bytes.size()) +
           " bytes, fewer than the " + std::to_string(kMinTextBytes) +
           " a text dataset needs";
  size_t nTrain = bytes.size() / kTextTrainDenominator * kTextTrainNumerator +
                  bytes.size() % kTextTrainDenominator * kTextTrainNumerator /
                      kTextTrainDenominator; // floor(n * 9 / 10), no overflow
  TextSplit split;
  split.test.assign(bytes.begin() + nTrain, bytes.end());
  bytes.resize(nTrain);
  split.train = std::move(bytes);
  split.description = describe(name, split);
  out = std::move(split);
  return "";
}

std::string loadTextFile(const std::string &path, TextSplit &out) {
  if (path.empty())
    return "text dataset: no file name (expected text:FILE, or text for the "
           "default corpus)";
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return "text file '" + path + "' does not exist";
  std::string name = "text file '" + path + "'";
  std::vector<uint8_t> bytes;
  if (std::string e = appendFile(path, bytes, kMaxTextBytes, name); !e.empty())
    return e;
  TextSplit split;
  if (std::string e = splitText(std::move(bytes), name, split); !e.empty())
    return e;
  split.description = describe("text:" + path, split);
  out = std::move(split);
  return "";
}

std::string loadTextCorpus(const std::string &dir, TextSplit &out) {
  bool debian = dir == kDebianFortunesDir;
  if (!isDirectory(dir))
    return "default text corpus: directory '" + dir + "' does not exist" +
           (debian ? " (install the Debian package fortunes: scripts/setup.sh "
                     "installs it; or set QUANT4_FORTUNES_DIR)"
                   : "");
  std::vector<uint8_t> bytes;
  for (const std::string &file : defaultTextCorpusFiles()) {
    std::string path = dir + "/" + file;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
      return "default text corpus: missing file '" + path + "'" +
             (debian ? std::string(" (install the Debian package ") +
                           (file == "fortunes" ? "fortunes-min" : "fortunes") +
                           ": scripts/setup.sh installs it)"
                     : "");
    if (std::string e = appendFile(path, bytes, kMaxTextBytes,
                                   "the default text corpus in '" + dir + "'");
        !e.empty())
      return e;
  }
  TextSplit split;
  if (std::string e = splitText(std::move(bytes),
                                "the default text corpus in '" + dir + "'",
                                split);
      !e.empty())
    return e;
  split.description =
      describe("text:" + dir, split,
               std::to_string(defaultTextCorpusFiles().size()) +
                   " fortunes files: ");
  out = std::move(split);
  return "";
}

std::string loadText(const std::string &spec, TextSplit &out) {
  if (spec == "text" || spec == "text:")
    return loadTextCorpus(defaultTextCorpusDir(), out);
  if (spec.rfind("text:", 0) == 0)
    return loadTextFile(spec.substr(5), out);
  return "unknown text dataset '" + spec + "' (expected text or text:FILE)";
}

int64_t textWindowCount(size_t bytes, int64_t seqLen) {
  if (seqLen < 1 || bytes < 2)
    return 0;
  return int64_t((bytes - 1) / uint64_t(seqLen));
}

std::string fillTextWindow(const std::vector<uint8_t> &split, int64_t seqLen,
                           int64_t index, int64_t *tokens, int32_t *targets) {
  if (seqLen < 1)
    return "text window: sequence length " + std::to_string(seqLen) +
           " is not positive";
  int64_t count = textWindowCount(split.size(), seqLen);
  if (index < 0 || index >= count)
    return "text window " + std::to_string(index) + " is out of range: a " +
           "split of " + std::to_string(split.size()) + " bytes has " +
           std::to_string(count) + " windows of sequence length " +
           std::to_string(seqLen);
  const uint8_t *p = split.data() + size_t(index) * size_t(seqLen);
  for (int64_t t = 0; t < seqLen; ++t) {
    tokens[t] = p[t];
    targets[t] = p[t + 1];
  }
  return "";
}

std::string checkTextWindows(const TextSplit &split, int64_t seqLen) {
  if (seqLen < 1)
    return "sequence length " + std::to_string(seqLen) + " is not positive";
  for (bool train : {true, false}) {
    const std::vector<uint8_t> &bytes = train ? split.train : split.test;
    if (textWindowCount(bytes.size(), seqLen) < 1)
      return std::string("the ") + (train ? "training" : "test") +
             " split of " + split.description + " has " +
             std::to_string(bytes.size()) + " bytes, fewer than the " +
             std::to_string(uint64_t(seqLen) + 1) +
             " that one window of sequence length " + std::to_string(seqLen) +
             " needs";
  }
  return "";
}

double bitsPerByte(double meanNats) { return meanNats / std::log(2.0); }

double unigramBitsPerByte(const std::vector<uint8_t> &train,
                          const std::vector<uint8_t> &test) {
  if (test.size() < 2)
    return 0.0;
  double counts[256];
  for (double &c : counts)
    c = 1.0;
  for (uint8_t b : train)
    counts[b] += 1.0;
  double total = double(train.size()) + 256.0;
  double bits = 0.0;
  for (size_t i = 1; i < test.size(); ++i)
    bits -= std::log2(counts[test[i]] / total);
  return bits / double(test.size() - 1);
}

} // namespace quant4::data
