// Files a command reads and writes. Everything a command produces goes into a
// StagedDirectory, renamed into place at the end, so that a failed run
// leaves no partial output; single files are replaced atomically.
#ifndef EVALSIM_SIM_IO_FILES_H_
#define EVALSIM_SIM_IO_FILES_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace evalsim {

// The whole of a file, for every reader: InputError "PATH: cannot open:
// REASON" or "PATH: cannot read: REASON" (the system's reason).
std::string ReadFile(const std::filesystem::path& path);

// True when `path` names a regular file (after symbolic links).
bool IsRegularFile(const std::filesystem::path& path);

// A regular file's bytes, read-only, mapped rather than copied so that a large
// output file (evaluees.csv) is paged through instead of held on the heap.
// Throws InputError "PATH: cannot be opened", "PATH: not a regular file" or
// "PATH: cannot be read".
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view Text() const { return {data_ ? data_ : "", size_}; }
  const std::string& Name() const { return name_; }
  // Lets the resident pages of bytes [offset, offset + size) go (the whole
  // pages inside the range); reading them again reads the file again.
  void Release(size_t offset, size_t size) const;
  // Release(), and the page cache drops those bytes too: for a large file
  // read once, whose pages would otherwise fill memory. Filling fresh pages
  // can cost more than reading the disk (on a virtual machine, the host
  // backs each new page), while dropped ones are reused.
  void Evict(size_t offset, size_t size) const;

 private:
  std::string name_;
  int fd_ = -1;
  const char* data_ = nullptr;
  size_t size_ = 0;
};

// A directory that appears at `dest` only when Commit() is called; until
// then files go to a hidden temporary sibling, removed on destruction.
class StagedDirectory {
 public:
  explicit StagedDirectory(const std::filesystem::path& dest);
  ~StagedDirectory();
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;

  std::filesystem::path File(const std::string& name) const { return tmp_ / name; }
  const std::filesystem::path& Path() const { return tmp_; }  // the staging directory
  // Replaces `dest` (an existing directory there is removed); throws
  // InterruptedError, moving nothing, when a stop signal has arrived.
  void Commit();

 private:
  void RemoveCreatedParents();

  std::filesystem::path dest_, tmp_;
  std::vector<std::filesystem::path> created_;  // missing ancestors of dest, innermost first
  bool committed_ = false;
};

// A file written front to back. A regular file is written in large aligned
// blocks straight to the disk (O_DIRECT) where the file system allows it:
// copying gigabytes into the page cache costs more processor time than the
// disk takes to store them (bench/README.md, "Writing and reading a run's
// outputs"). Elsewhere,
// and for the last partial block, it is written the ordinary way. Throws
// InputError naming the path and the system's reason on failure (a full
// disk, a file-size limit, ...).
class OutputFile {
 public:
  explicit OutputFile(const std::filesystem::path& path);
  ~OutputFile();  // closes, without a word, a file not Close()d (after an error)
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void Write(std::string_view bytes);
  // Writes what is buffered and closes the file.
  void Close();

 private:
  void WriteBlocks(const char* data, size_t size);
  void WriteTail();
  void EndDirect();
  [[noreturn]] void Fail(int error) const;

  std::string name_;
  std::unique_ptr<char, void (*)(void*)> buffer_;  // aligned for O_DIRECT
  int fd_ = -1;
  bool direct_ = false;
  size_t used_ = 0;
};

// Writes `text` to `path` (an OutputFile).
void WriteTextFile(const std::filesystem::path& path, const std::string& text);
// Writes `text` to `path` through a temporary sibling renamed at the end (the
// sibling is removed on failure, and on a stop signal, which throws
// InterruptedError); a device or pipe is written in place.
void WriteFileAtomically(const std::filesystem::path& path, const std::string& text);

// Hex SHA-256 of a file's bytes.
std::string Sha256File(const std::string& path);

}  // namespace evalsim

#endif  // EVALSIM_SIM_IO_FILES_H_
