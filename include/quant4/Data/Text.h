//===- Text.h - byte-level text datasets for language models ----*- C++ -*-===//
//
// Plain C++ (no MLIR/LLVM). A text dataset is a file's bytes, each byte a
// token (vocabulary 256), split once: the first floor(0.9 * n) bytes are the
// training split, the remaining bytes the test split. A model of sequence
// length T sees non-overlapping windows of each split with stride T: window
// i holds the tokens byte[i*T .. i*T+T-1] and the next-byte targets
// byte[i*T+1 .. i*T+T], so a split of n bytes has floor((n - 1) / T) windows
// and its last few bytes (fewer than T + 1) are seen by no window.
//
//  * `text:FILE`: the bytes of FILE (at most kMaxTextBytes, at least
//    kMinTextBytes; not decompressed).
//  * `text` or `text:` (the default corpus): the plain-text fortune files of
//    the Debian packages fortunes and fortunes-min (public-domain and
//    freely redistributable quotations, installed by scripts/setup.sh), read
//    from /usr/share/games/fortunes (or $QUANT4_FORTUNES_DIR) and
//    concatenated in this fixed order (the sorted list of the packages'
//    files; the .dat indexes and the .u8 symlinks are not text):
//      art ascii-art computers cookie debian definitions disclaimer drugs
//      education ethnic food fortunes goedel humorists kids knghtbrd law
//      linux linuxcookie literature love magic medicine men-women
//      miscellaneous news paradoxum people perl pets platitudes politics
//      pratchett riddles science songs-poems sports startrek tao
//      translate-me wisdom work zippy
//    43 files, 2,576,674 bytes with bookworm's fortunes 1:1.99.1-7.3 (mostly
//    ASCII, some UTF-8; fortunes separated by "%" lines): 2,319,006
//    training and 257,668 test bytes. Other files in the directory (e.g.
//    from fortunes-off or a translated fortunes package) are not read, so
//    the corpus does not depend on what else is installed.
//
// Every loader returns "" on success or a sentence naming the file and the
// problem. Nothing throws, nothing aborts.
//
//===----------------------------------------------------------------------===//
#ifndef QUANT4_DATA_TEXT_H
#define QUANT4_DATA_TEXT_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace quant4::data {

struct TextSplit {
  std::vector<uint8_t> train, test;
  // "text:/tmp/a.txt (9000 train / 1000 test bytes)", or for the default
  // corpus "text:/usr/share/games/fortunes (43 fortunes files: 2319006
  // train / 257668 test bytes)"
  std::string description;
};

/// The largest text dataset loadText reads (256 MiB).
constexpr size_t kMaxTextBytes = size_t(256) << 20;
/// The smallest: 20 bytes leave the test split 2 bytes, one window of
/// sequence length 1 (the runner checks that its own T fits).
constexpr size_t kMinTextBytes = 20;
/// Training fraction, as the integer ratio floor(n * 9 / 10).
constexpr size_t kTextTrainNumerator = 9, kTextTrainDenominator = 10;

/// Where the Debian packages fortunes and fortunes-min install the files.
constexpr const char *kDebianFortunesDir = "/usr/share/games/fortunes";

/// True for the specs loadText handles: "text" or "text:..." (a
/// quant4-run --dataset value that is not an image dataset).
bool isTextDatasetSpec(const std::string &spec);

/// The directory of the default corpus: $QUANT4_FORTUNES_DIR if set, else
/// kDebianFortunesDir.
std::string defaultTextCorpusDir();

/// The default corpus's file names, in concatenation order (the 43 above).
const std::vector<std::string> &defaultTextCorpusFiles();

/// Loads "text" / "text:" (the default corpus from defaultTextCorpusDir())
/// or "text:FILE" and splits it 90 / 10.
std::string loadText(const std::string &spec, TextSplit &out);

/// The bytes of one file, split 90 / 10.
std::string loadTextFile(const std::string &path, TextSplit &out);

/// The default corpus: defaultTextCorpusFiles() of `dir` concatenated, split
/// 90 / 10. A missing file names the Debian package that holds it.
std::string loadTextCorpus(const std::string &dir, TextSplit &out);

/// Splits `bytes` (moved from) 90 / 10; `description` is "<name> (N train /
/// M test bytes)". Fewer than kMinTextBytes bytes is an error naming `name`.
std::string splitText(std::vector<uint8_t> bytes, const std::string &name,
                      TextSplit &out);

/// The number of windows of sequence length `seqLen` in a split of `bytes`
/// bytes: floor((bytes - 1) / seqLen), 0 for an empty split or seqLen < 1.
int64_t textWindowCount(size_t bytes, int64_t seqLen);

/// Window `index` of `split`: tokens[t] = split[index*seqLen + t] (int64, the
/// token ids 0..255) and targets[t] = split[index*seqLen + t + 1] (int32),
/// t in [0, seqLen). `tokens` and `targets` hold seqLen elements each. An
/// index outside [0, textWindowCount) or seqLen < 1 is an error (and writes
/// nothing).
std::string fillTextWindow(const std::vector<uint8_t> &split, int64_t seqLen,
                           int64_t index, int64_t *tokens, int32_t *targets);

/// Why `split` cannot train or evaluate a model of sequence length `seqLen`
/// ("" when both splits have at least one window), e.g. "the test split of
/// text:/tmp/a.txt (...) has 40 bytes, fewer than the 129 that one window of
/// sequence length 128 needs".
std::string checkTextWindows(const TextSplit &split, int64_t seqLen);

/// Bits per byte (bpc) of a mean cross-entropy in nats per byte: nats / ln 2.
double bitsPerByte(double meanNats);

/// A baseline for bitsPerByte: the cross-entropy, in bits per byte, of the
/// targets of `test` (every byte but the first) under the byte frequencies
/// of `train` with add-one smoothing (an order-0 model; 8 for an empty
/// `train`, 0 for a `test` of fewer than 2 bytes). A language model that
/// learns anything beats it.
double unigramBitsPerByte(const std::vector<uint8_t> &train,
                          const std::vector<uint8_t> &test);

} // namespace quant4::data

#endif // QUANT4_DATA_TEXT_H
