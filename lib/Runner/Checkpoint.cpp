//===- Checkpoint.cpp - training checkpoints, written atomically ----------===//
//
// The format and the atomic write are described in Checkpoint.h.
//
//===----------------------------------------------------------------------===//
#include "quant4/Runner/Checkpoint.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"

#include <cerrno>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using namespace quant4::runner;

namespace {

constexpr char kMagic[8] = {'Q', 'U', 'A', 'N', 'T', '4', 'C', 'K'};
constexpr unsigned kMaxRank = 16;
constexpr unsigned kNumDTypes = unsigned(quant4::npy::DType::F64) + 1;

/// FNV-1a, 64 bits.
struct Fnv64 {
  uint64_t h = 0xcbf29ce484222325ull;
  void add(const char *p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      h ^= uint8_t(p[i]);
      h *= 0x100000001b3ull;
    }
  }
};

template <typename T> void putLE(std::string &out, T v) {
  for (unsigned i = 0; i < sizeof(T); ++i)
    out.push_back(char(uint8_t(uint64_t(v) >> (8 * i))));
}

void putString(std::string &out, llvm::StringRef s) {
  putLE<uint32_t>(out, uint32_t(s.size()));
  out.append(s.data(), s.size());
}

/// Reads the encoded bytes front to back; every read is bounds-checked.
class Reader {
public:
  explicit Reader(llvm::StringRef bytes) : rest(bytes) {}
  template <typename T> bool get(T &v) {
    if (rest.size() < sizeof(T))
      return false;
    uint64_t x = 0;
    for (unsigned i = 0; i < sizeof(T); ++i)
      x |= uint64_t(uint8_t(rest[i])) << (8 * i);
    v = T(x);
    rest = rest.drop_front(sizeof(T));
    return true;
  }
  bool take(uint64_t n, llvm::StringRef &out) {
    if (rest.size() < n)
      return false;
    out = rest.take_front(n);
    rest = rest.drop_front(n);
    return true;
  }
  bool getString(std::string &out) {
    uint32_t n = 0;
    llvm::StringRef s;
    if (!get(n) || !take(n, s))
      return false;
    out = s.str();
    return true;
  }
  bool empty() const { return rest.empty(); }

private:
  llvm::StringRef rest;
};

} // namespace

void Checkpoint::setField(const std::string &key, std::string value) {
  for (auto &[k, v] : fields)
    if (k == key) {
      v = std::move(value);
      return;
    }
  fields.emplace_back(key, std::move(value));
}

const std::string *Checkpoint::field(llvm::StringRef key) const {
  for (const auto &[k, v] : fields)
    if (k == key)
      return &v;
  return nullptr;
}

const quant4::npy::Array *Checkpoint::array(llvm::StringRef name) const {
  for (const auto &[n, a] : arrays)
    if (n == name)
      return &a;
  return nullptr;
}

std::string quant4::runner::checkpointFile(const std::string &dir) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "checkpoint.q4ck");
  return std::string(path);
}

std::string quant4::runner::encodeCheckpoint(const Checkpoint &c) {
  std::string out(kMagic, sizeof(kMagic));
  putLE<uint32_t>(out, kCheckpointVersion);
  putLE<uint32_t>(out, uint32_t(c.fields.size()));
  for (const auto &[k, v] : c.fields) {
    putString(out, k);
    putString(out, v);
  }
  putLE<uint32_t>(out, uint32_t(c.arrays.size()));
  for (const auto &[name, a] : c.arrays) {
    putString(out, name);
    out.push_back(char(uint8_t(a.dtype)));
    out.push_back(char(uint8_t(a.shape.size())));
    for (int64_t d : a.shape)
      putLE<int64_t>(out, d);
    putLE<uint64_t>(out, uint64_t(a.data.size()));
    out.append(a.data.data(), a.data.size());
  }
  Fnv64 sum;
  sum.add(out.data(), out.size());
  putLE<uint64_t>(out, sum.h);
  return out;
}

llvm::Expected<Checkpoint>
quant4::runner::decodeCheckpoint(llvm::StringRef bytes,
                                 const std::string &what) {
  auto fail = [&](const std::string &why) {
    return llvm::createStringError("'" + what + "' " + why);
  };
  if (bytes.size() < sizeof(kMagic) ||
      std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    return fail("is not a quant4 checkpoint (no QUANT4CK header)");
  Reader r(bytes.drop_front(sizeof(kMagic)));
  uint32_t version = 0;
  if (!r.get(version))
    return fail("is truncated (in its header)");
  if (version != kCheckpointVersion)
    return fail("has checkpoint format version " + std::to_string(version) +
                ", which is not supported (this build reads version " +
                std::to_string(kCheckpointVersion) + ")");
  // The checksum first: a damaged file gets one clear message rather than
  // whichever field happens to read wrong.
  if (bytes.size() < sizeof(kMagic) + 4 + 8)
    return fail("is truncated");
  llvm::StringRef body = bytes.drop_back(8);
  Reader tail(bytes.take_back(8));
  uint64_t stored = 0;
  (void)tail.get(stored);
  Fnv64 sum;
  sum.add(body.data(), body.size());
  if (sum.h != stored)
    return fail("is truncated or corrupt (its checksum does not match)");

  Reader b(body.drop_front(sizeof(kMagic) + 4));
  Checkpoint c;
  uint32_t numFields = 0;
  if (!b.get(numFields))
    return fail("is corrupt (no field count)");
  for (uint32_t i = 0; i < numFields; ++i) {
    std::string k, v;
    if (!b.getString(k) || !b.getString(v))
      return fail("is corrupt (field " + std::to_string(i) + ")");
    c.fields.emplace_back(std::move(k), std::move(v));
  }
  uint32_t numArrays = 0;
  if (!b.get(numArrays))
    return fail("is corrupt (no array count)");
  for (uint32_t i = 0; i < numArrays; ++i) {
    std::string name;
    uint8_t dtype = 0, rank = 0;
    if (!b.getString(name) || !b.get(dtype) || !b.get(rank))
      return fail("is corrupt (array " + std::to_string(i) + ")");
    if (dtype >= kNumDTypes || rank > kMaxRank)
      return fail("is corrupt (array '" + name + "' has dtype " +
                  std::to_string(dtype) + ", rank " + std::to_string(rank) +
                  ")");
    npy::Array a;
    a.dtype = npy::DType(dtype);
    uint64_t elements = 1;
    bool overflow = false;
    for (unsigned d = 0; d < rank; ++d) {
      int64_t dim = 0;
      if (!b.get(dim) || dim < 0)
        return fail("is corrupt (array '" + name + "' has a bad shape)");
      a.shape.push_back(dim);
      elements = llvm::SaturatingMultiply(elements, uint64_t(dim), &overflow);
    }
    uint64_t size = 0;
    llvm::StringRef data;
    if (!b.get(size) || !b.take(size, data))
      return fail("is corrupt (array '" + name + "' is cut short)");
    uint64_t expected = llvm::SaturatingMultiply(
        elements, uint64_t(npy::dtypeSize(a.dtype)), &overflow);
    if (overflow || size != expected)
      return fail("is corrupt (array '" + name + "' has " +
                  std::to_string(size) + " bytes for shape " + a.shapeString() +
                  ")");
    a.data.assign(data.begin(), data.end());
    c.arrays.emplace_back(std::move(name), std::move(a));
  }
  if (!b.empty())
    return fail("is corrupt (bytes after the last array)");
  return c;
}

/// Removes the temporary files of writers that died mid-write
/// (DIR/checkpoint.q4ck.tmp.PID of a process that no longer exists).
static void removeStaleTemporaries(const std::string &dir) {
  std::error_code ec;
  std::string prefix = "checkpoint.q4ck.tmp.";
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    int pid = 0;
    if (!name.consume_front(prefix) || name.getAsInteger(10, pid) || pid <= 0)
      continue;
    if (::kill(pid, 0) != 0 && errno == ESRCH)
      (void)llvm::sys::fs::remove(it->path());
  }
}

std::string
quant4::runner::writeCheckpoint(const std::string &dir, const Checkpoint &c,
                                llvm::function_ref<void()> midWrite) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return "cannot create the checkpoint directory '" + dir +
           "': " + ec.message();
  removeStaleTemporaries(dir);
  std::string path = checkpointFile(dir);
  std::string temp =
      path + ".tmp." + std::to_string(llvm::sys::Process::getProcessId());
  std::string bytes = encodeCheckpoint(c);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return "cannot create '" + temp + "': " + std::strerror(errno);
  llvm::sys::RemoveFileOnSignal(temp);
  auto cleanup = [&](const std::string &why) {
    int err = errno;
    ::close(fd);
    (void)llvm::sys::fs::remove(temp);
    llvm::sys::DontRemoveFileOnSignal(temp);
    return "cannot write the checkpoint '" + path + "': " + why +
           (err ? std::string(": ") + std::strerror(err) : "");
  };
  size_t half = bytes.size() / 2, done = 0;
  while (done < bytes.size()) {
    size_t chunk = std::min<size_t>(bytes.size() - done, 1 << 24);
    if (midWrite && done < half && done + chunk > half)
      chunk = half - done;
    ssize_t n = ::write(fd, bytes.data() + done, chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return cleanup("write failed");
    done += size_t(n);
    if (midWrite && done == half)
      midWrite();
  }
  if (::fsync(fd) != 0)
    return cleanup("fsync failed");
  if (::close(fd) != 0) {
    (void)llvm::sys::fs::remove(temp);
    llvm::sys::DontRemoveFileOnSignal(temp);
    return "cannot write the checkpoint '" + path +
           "': close failed: " + std::strerror(errno);
  }
  if (std::error_code ec = llvm::sys::fs::rename(temp, path)) {
    (void)llvm::sys::fs::remove(temp);
    llvm::sys::DontRemoveFileOnSignal(temp);
    return "cannot rename '" + temp + "' to '" + path + "': " + ec.message();
  }
  llvm::sys::DontRemoveFileOnSignal(temp);
  // The rename itself reaches the disk with the directory.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return "";
}

llvm::Expected<Checkpoint>
quant4::runner::readCheckpoint(const std::string &dir) {
  std::string path = checkpointFile(dir);
  if (!llvm::sys::fs::exists(path))
    return llvm::createStringError("no checkpoint to resume from: '" + path +
                                   "' does not exist");
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError("cannot read the checkpoint '" + path +
                                   "': " + buffer.getError().message());
  return decodeCheckpoint((*buffer)->getBuffer(), path);
}

std::string quant4::runner::exactDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%a", v);
  return buf;
}

bool quant4::runner::parseExactDouble(llvm::StringRef s, double &out) {
  std::string t = s.str();
  char *end = nullptr;
  out = std::strtod(t.c_str(), &end);
  return !t.empty() && end && *end == 0;
}
