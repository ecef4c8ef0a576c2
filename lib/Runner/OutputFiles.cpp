//===- OutputFiles.cpp - output files written all or nothing --------------===//
#include "quant4/Runner/OutputFiles.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

namespace quant4::runner {

namespace {
std::string tempPathOf(const std::string &path) {
  return path + ".tmp." + std::to_string(llvm::sys::Process::getProcessId());
}

/// Writes `bytes` to `file`; "" or the problem.
std::string writeBytes(const std::string &file, llvm::StringRef bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream os(file, ec, llvm::sys::fs::OF_None);
  if (ec)
    return "cannot create '" + file + "': " + ec.message();
  os << bytes;
  os.close();
  if (os.has_error()) {
    std::string msg = os.error().message();
    os.clear_error(); // else raw_fd_ostream's destructor aborts
    return "cannot write '" + file + "': " + msg;
  }
  return "";
}
} // namespace

std::string probeWritable(const std::string &path) {
  if (llvm::sys::fs::is_directory(path))
    return "'" + path + "' is a directory";
  llvm::SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  if (!llvm::sys::fs::exists(dir))
    return "directory '" + std::string(dir) + "' does not exist";
  if (!llvm::sys::fs::is_directory(dir))
    return "'" + std::string(dir) + "' is not a directory";
  std::string probe = tempPathOf(path);
  int fd = -1;
  if (std::error_code ec = llvm::sys::fs::openFileForWrite(
          probe, fd, llvm::sys::fs::CD_CreateAlways, llvm::sys::fs::OF_None))
    return "cannot create a file in directory '" + std::string(dir) +
           "': " + ec.message();
  llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  (void)llvm::sys::fs::remove(probe);
  return "";
}

std::string OutputFiles::add(const std::string &path, llvm::StringRef bytes) {
  return add(path,
             [&](const std::string &temp) { return writeBytes(temp, bytes); });
}

std::string
OutputFiles::add(const std::string &path,
                 llvm::function_ref<std::string(const std::string &)> write) {
  File f{path, tempPathOf(path)};
  // Registered before it exists: a signal never leaves it behind.
  llvm::sys::RemoveFileOnSignal(f.temp);
  files.push_back(f);
  if (std::string e = write(f.temp); !e.empty()) {
    discard();
    return e;
  }
  return "";
}

std::string OutputFiles::commit() {
  std::string error;
  size_t renamed = 0;
  for (; renamed < files.size(); ++renamed) {
    const File &f = files[renamed];
    if (std::error_code ec = llvm::sys::fs::rename(f.temp, f.path)) {
      error =
          "cannot rename '" + f.temp + "' to '" + f.path + "': " + ec.message();
      break;
    }
  }
  if (!error.empty())
    for (size_t i = 0; i < renamed; ++i)
      (void)llvm::sys::fs::remove(files[i].path);
  discard();
  return error;
}

void OutputFiles::discard() {
  for (const File &f : files) {
    (void)llvm::sys::fs::remove(f.temp);
    llvm::sys::DontRemoveFileOnSignal(f.temp);
  }
  files.clear();
}

} // namespace quant4::runner
