// Files a command reads and writes: whole-file and mapped reads, staged output
// directories, whole-file writes that fail loudly, atomic replacement and
// SHA-256 digests.
#include "sim/io/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "sim/core/errors.h"
#include "sim/core/interrupt.h"

namespace evalsim {
namespace fs = std::filesystem;

namespace {

std::string UniqueSuffix() {
  // Only names a temporary directory; never feeds any result.
  static std::atomic<unsigned> counter{0};
  return fmt::format("{}-{}", ::getpid(), counter.fetch_add(1));
}

}  // namespace

std::string ReadFile(const fs::path& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file)
    throw InputError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  std::string text;
  std::vector<char> buffer(1 << 20);
  for (;;) {
    const size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
    text.append(buffer.data(), got);
    if (got < buffer.size()) break;
  }
  if (std::ferror(file.get()))
    throw InputError(fmt::format("{}: cannot read: {}", path.string(), std::strerror(errno)));
  return text;
}

MappedFile::MappedFile(const fs::path& path) : name_(path.string()) {
  fd_ = ::open(name_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw InputError(fmt::format("{}: cannot be opened", name_));
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw InputError(fmt::format("{}: not a regular file", name_));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (p == MAP_FAILED) {
      ::close(fd_);
      throw InputError(fmt::format("{}: cannot be read", name_));
    }
    ::madvise(p, size_, MADV_SEQUENTIAL);
    data_ = static_cast<const char*>(p);
  }
}

bool IsRegularFile(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void MappedFile::Release(size_t offset, size_t size) const {
  if (!data_ || offset >= size_) return;
  size = std::min(size, size_ - offset);
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t from = (reinterpret_cast<uintptr_t>(data_) + offset + page - 1) / page * page;
  const uintptr_t to = (reinterpret_cast<uintptr_t>(data_) + offset + size) / page * page;
  if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
}

void MappedFile::Evict(size_t offset, size_t size) const {
  if (!data_ || offset >= size_) return;
  size = std::min(size, size_ - offset);
  Release(offset, size);
  ::posix_fadvise(fd_, static_cast<off_t>(offset), static_cast<off_t>(size), POSIX_FADV_DONTNEED);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<char*>(data_), size_);
  if (fd_ >= 0) ::close(fd_);
}

StagedDirectory::StagedDirectory(const fs::path& dest) : dest_(dest) {
  fs::path parent = dest_.parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) {
    // The missing ancestors, outermost last, so that they can be removed
    // again if nothing is committed.
    for (fs::path p = parent; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
      created_.push_back(p);
      if (p == p.parent_path()) break;
    }
    fs::create_directories(parent, ec);
    if (ec) {
      RemoveCreatedParents();
      throw InputError(fmt::format("--out {}: cannot create {}: {}", dest_.string(),
                                   parent.string(), ec.message()));
    }
  }
  if (fs::exists(dest_, ec) && !fs::is_directory(dest_, ec))
    throw InputError(fmt::format("--out {}: exists and is not a directory", dest_.string()));
  tmp_ = parent / fmt::format(".{}.tmp-{}", dest_.filename().string(), UniqueSuffix());
  fs::create_directory(tmp_, ec);
  if (ec) {
    RemoveCreatedParents();
    throw InputError(
        fmt::format("--out {}: cannot create {}: {}", dest_.string(), tmp_.string(), ec.message()));
  }
}

StagedDirectory::~StagedDirectory() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
    RemoveCreatedParents();
  }
}

void StagedDirectory::RemoveCreatedParents() {
  // Innermost first; fs::remove leaves a directory that is not empty (one
  // another process wrote into meanwhile).
  std::error_code ec;
  for (const fs::path& p : created_) fs::remove(p, ec);
  created_.clear();
}

void StagedDirectory::Commit() {
  // A stop signal that came while the files were written still stops the
  // command: nothing is moved into place, and the destructor removes the
  // staging directory.
  ThrowIfInterrupted();
  std::error_code ec;
  fs::path old;
  if (fs::exists(dest_, ec)) {
    old =
        dest_.parent_path() / fmt::format(".{}.old-{}", dest_.filename().string(), UniqueSuffix());
    if (old.parent_path().empty()) old = fs::path(".") / old.filename();
    fs::rename(dest_, old, ec);
    if (ec)
      throw InputError(fmt::format("--out {}: cannot replace the existing directory: {}",
                                   dest_.string(), ec.message()));
  }
  fs::rename(tmp_, dest_, ec);
  if (ec) {
    if (!old.empty()) fs::rename(old, dest_, ec);
    throw InputError(
        fmt::format("--out {}: cannot move results into place: {}", dest_.string(), ec.message()));
  }
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, ec);
}

namespace {

// O_DIRECT wants buffers, sizes and offsets aligned to the device's logical
// block (512 or 4096 bytes); 4096 suits both.
constexpr size_t kDirectAlign = 4096;
constexpr size_t kOutputBuffer = size_t{8} << 20;

}  // namespace

OutputFile::OutputFile(const fs::path& path)
    : name_(path.string()),
      buffer_(static_cast<char*>(std::aligned_alloc(kDirectAlign, kOutputBuffer)), &std::free) {
  if (!buffer_) throw std::bad_alloc();
  constexpr int kFlags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  fd_ = ::open(name_.c_str(), kFlags | O_DIRECT, 0666);
  direct_ = fd_ >= 0;
  if (fd_ < 0 && errno == EINVAL) fd_ = ::open(name_.c_str(), kFlags, 0666);
  if (fd_ < 0)
    throw InputError(fmt::format("{}: cannot open for writing: {}", name_, std::strerror(errno)));
  struct stat st {};
  if (direct_ && (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode))) {
    try {
      EndDirect();  // a device or a pipe: written the ordinary way
    } catch (...) {
      ::close(fd_);
      throw;
    }
  }
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void OutputFile::Fail(int error) const {
  throw InputError(fmt::format(
      "{}: write failed{}: {}", name_,
      error == ENOSPC || error == EFBIG || error == EDQUOT ? " (disk full or file-size limit)" : "",
      std::strerror(error ? error : EIO)));
}

void OutputFile::EndDirect() {
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_DIRECT) != 0) Fail(errno);
  direct_ = false;
}

// Writes all of [data, data + size); a file system that refuses a direct
// write (EINVAL) gets it, and the rest of the file, the ordinary way.
void OutputFile::WriteBlocks(const char* data, size_t size) {
  while (size > 0) {
    const ssize_t wrote = ::write(fd_, data, size);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0 && errno == EINVAL && direct_) {
      EndDirect();
      continue;
    }
    if (wrote <= 0) Fail(wrote < 0 ? errno : ENOSPC);
    data += wrote;
    size -= static_cast<size_t>(wrote);
  }
}

void OutputFile::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    const size_t take = std::min(bytes.size(), kOutputBuffer - used_);
    std::memcpy(buffer_.get() + used_, bytes.data(), take);
    used_ += take;
    bytes.remove_prefix(take);
    if (used_ == kOutputBuffer) {
      WriteBlocks(buffer_.get(), used_);
      used_ = 0;
    }
  }
}

// The buffered rest: its whole blocks directly, the last partial block the
// ordinary way (O_DIRECT cannot write it).
void OutputFile::WriteTail() {
  const size_t whole = used_ / kDirectAlign * kDirectAlign;
  WriteBlocks(buffer_.get(), whole);
  if (whole < used_) {
    if (direct_) EndDirect();
    WriteBlocks(buffer_.get() + whole, used_ - whole);
  }
  used_ = 0;
}

void OutputFile::Close() {
  WriteTail();
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) Fail(errno);
}

void WriteTextFile(const fs::path& path, const std::string& text) {
  OutputFile file(path);
  file.Write(text);
  file.Close();
}

void WriteFileAtomically(const fs::path& path, const std::string& text) {
  // A device or a pipe (/dev/stdout, /dev/null, a FIFO) is written in
  // place: it cannot be replaced by a renamed file.
  std::error_code sec;
  const fs::file_status st = fs::status(path, sec);
  if (!sec && fs::exists(st) && !fs::is_regular_file(st) && !fs::is_directory(st)) {
    WriteTextFile(path, text);
    return;
  }
  fs::path tmp = path;
  tmp += fmt::format(".tmp-{}", UniqueSuffix());
  try {
    WriteTextFile(tmp, text);
    ThrowIfInterrupted();  // a stop signal while writing: the old file stays
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw InputError(fmt::format("{}: cannot write: {}", path.string(), ec.message()));
  }
}

std::string Sha256File(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    EVP_DigestUpdate(ctx, buf, static_cast<size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  for (unsigned i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

}  // namespace evalsim
