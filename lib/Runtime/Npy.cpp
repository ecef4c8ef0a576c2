//===- Npy.cpp - NumPy .npy reading and writing ---------------------------===//
#include "quant4/Runtime/Npy.h"

#include "quant4/Support/Sizes.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

using namespace quant4::npy;

namespace {
struct DTypeInfo {
  DType type;
  char kind;
  size_t size;
  const char *name;
  const char *descr;
};
const DTypeInfo kTypes[] = {
    {DType::Bool, 'b', 1, "bool", "|b1"},
    {DType::I8, 'i', 1, "int8", "|i1"},
    {DType::U8, 'u', 1, "uint8", "|u1"},
    {DType::I16, 'i', 2, "int16", "<i2"},
    {DType::U16, 'u', 2, "uint16", "<u2"},
    {DType::I32, 'i', 4, "int32", "<i4"},
    {DType::U32, 'u', 4, "uint32", "<u4"},
    {DType::I64, 'i', 8, "int64", "<i8"},
    {DType::U64, 'u', 8, "uint64", "<u8"},
    {DType::F16, 'f', 2, "float16", "<f2"},
    {DType::F32, 'f', 4, "float32", "<f4"},
    {DType::F64, 'f', 8, "float64", "<f8"},
};

const DTypeInfo &info(DType t) {
  for (const DTypeInfo &i : kTypes)
    if (i.type == t)
      return i;
  return kTypes[0];
}

void skipSpace(const std::string &s, size_t &i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
    ++i;
}

/// Value text of `key` in the header dict (up to the next top-level comma
/// or closing brace); false if absent.
bool findValue(const std::string &h, const char *key, size_t &pos) {
  for (const char q : {'\'', '"'}) {
    std::string k = std::string(1, q) + key + q;
    size_t p = h.find(k);
    if (p == std::string::npos)
      continue;
    p += k.size();
    skipSpace(h, p);
    if (p >= h.size() || h[p] != ':')
      return false;
    ++p;
    skipSpace(h, p);
    pos = p;
    return true;
  }
  return false;
}
} // namespace

const char *quant4::npy::dtypeName(DType t) { return info(t).name; }
const char *quant4::npy::dtypeDescr(DType t) { return info(t).descr; }
size_t quant4::npy::dtypeSize(DType t) { return info(t).size; }

int64_t Array::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string Array::shapeString() const {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    s += ",";
  return s + ")";
}

std::string quant4::npy::parseNpy(const char *bytes, size_t size, Array &out) {
  static const char magic[] = "\x93NUMPY";
  if (size < 10 || std::memcmp(bytes, magic, 6) != 0)
    return "not a .npy file (bad magic string)";
  unsigned major = (unsigned char)bytes[6];
  size_t headerLen, start;
  if (major == 1) {
    headerLen = (unsigned char)bytes[8] | ((unsigned char)bytes[9] << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12)
      return "truncated .npy header";
    headerLen = size_t((unsigned char)bytes[8]) |
                (size_t((unsigned char)bytes[9]) << 8) |
                (size_t((unsigned char)bytes[10]) << 16) |
                (size_t((unsigned char)bytes[11]) << 24);
    start = 12;
  } else {
    return "unsupported .npy format version " + std::to_string(major) + "." +
           std::to_string((unsigned char)bytes[7]);
  }
  if (start + headerLen > size)
    return "truncated .npy header";
  std::string h(bytes + start, headerLen);
  size_t p;
  // descr
  if (!findValue(h, "descr", p) || (h[p] != '\'' && h[p] != '"'))
    return "malformed .npy header: no 'descr' string";
  size_t e = h.find(h[p], p + 1);
  if (e == std::string::npos)
    return "malformed .npy header: unterminated 'descr'";
  std::string descr = h.substr(p + 1, e - p - 1);
  if (descr.size() < 2)
    return "unsupported dtype '" + descr + "'";
  char order = descr[0];
  std::string body = descr.substr(1);
  if (order != '<' && order != '|' && order != '=' && order != '>') {
    order = '|';
    body = descr;
  }
  bool found = false;
  for (const DTypeInfo &i : kTypes) {
    if (body == std::string(1, i.kind) + std::to_string(i.size)) {
      if (order == '>' && i.size > 1)
        return "big-endian dtype '" + descr + "' is not supported";
      out.dtype = i.type;
      found = true;
      break;
    }
  }
  if (!found)
    return "unsupported dtype '" + descr +
           "' (supported: bool, int8/16/32/64, uint8/16/32/64, float16/32/64)";
  // fortran_order
  if (!findValue(h, "fortran_order", p))
    return "malformed .npy header: no 'fortran_order'";
  if (h.compare(p, 4, "True") == 0)
    return "Fortran-order arrays are not supported (save with C order)";
  if (h.compare(p, 5, "False") != 0)
    return "malformed .npy header: bad 'fortran_order' value";
  // shape
  if (!findValue(h, "shape", p) || h[p] != '(')
    return "malformed .npy header: no 'shape' tuple";
  ++p;
  out.shape.clear();
  while (true) {
    skipSpace(h, p);
    if (p >= h.size())
      return "malformed .npy header: unterminated 'shape'";
    if (h[p] == ')')
      break;
    if (h[p] < '0' || h[p] > '9')
      return "malformed .npy header: bad 'shape' entry";
    int64_t v = 0;
    while (p < h.size() && h[p] >= '0' && h[p] <= '9') {
      v = v * 10 + (h[p] - '0');
      if (uint64_t(v) > kMaxTensorBytes)
        return "malformed .npy header: dimension too large";
      ++p;
    }
    out.shape.push_back(v);
    skipSpace(h, p);
    if (p < h.size() && h[p] == ',')
      ++p;
  }
  // The shape alone must describe a tensor quant4 could hold: its product
  // wraps around 64 bits long before the data size check below could see it.
  std::optional<uint64_t> bytesNeeded =
      checkedTensorBytes(out.shape, dtypeSize(out.dtype));
  if (!bytesNeeded)
    return "shape " + out.shapeString() + " of " + dtypeName(out.dtype) +
           " exceeds the tensor size limit of " +
           std::to_string(kMaxTensorBytes) + " bytes";
  size_t need = size_t(*bytesNeeded);
  size_t have = size - start - headerLen;
  if (have != need)
    return "data size mismatch: shape " + out.shapeString() + " of " +
           dtypeName(out.dtype) + " needs " + std::to_string(need) +
           " bytes, the file has " + std::to_string(have);
  out.data.assign(bytes + start + headerLen, bytes + size);
  return "";
}

std::string quant4::npy::readNpy(const std::string &path, Array &out) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return std::string("cannot open: ") + std::strerror(errno);
  std::vector<char> bytes;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
    bytes.insert(bytes.end(), buf, buf + n);
  bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad)
    return "read error";
  return parseNpy(bytes.data(), bytes.size(), out);
}

std::string quant4::npy::writeNpy(const std::string &path, const Array &a) {
  std::string h = std::string("{'descr': '") + dtypeDescr(a.dtype) +
                  "', 'fortran_order': False, 'shape': " + a.shapeString() +
                  ", }";
  size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return std::string("cannot create: ") + std::strerror(errno);
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                           (unsigned char)(h.size() & 0xff),
                           (unsigned char)(h.size() >> 8)};
  bool ok = std::fwrite(pre, 1, 10, f) == 10 &&
            std::fwrite(h.data(), 1, h.size(), f) == h.size() &&
            std::fwrite(a.data.data(), 1, a.data.size(), f) == a.data.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok)
    return std::string("write error: ") + std::strerror(errno);
  return "";
}
