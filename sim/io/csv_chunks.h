// The fast path of the CSV readers (sim/io/csv.h): records read straight
// from the file's bytes, in chunks on every core.
//
// RecordCursor reads the records of CSV text by the same rules as the exact
// reader (ParseCsvRecords: RFC 4180 quoting, spaces and tabs around an
// unquoted field dropped, CR, LF or CRLF line ends, blank lines skipped), as
// long as the text is valid. It never explains an error: at anything the
// exact reader would refuse (bad quoting, a NUL byte, an unterminated quoted
// field) it answers kDoubt, and the reader then reads the whole file again
// the exact way, which produces the error message with its file:line:col.
// So the fast path needs no line numbers and every message stays the exact
// reader's.
//
// ParseInChunks cuts the text after the header into chunks at line ends and
// parses them in parallel. A chunk parses every record that starts before
// the next chunk's start; the last one may run past it (a quoted field that
// holds a line end). When a chunk ends elsewhere than where the next one
// began, the next one began inside a record, so it is parsed again from the
// right place. The records each chunk saw are then exactly those of a
// sequential read, in order, whatever the number of chunks.
#ifndef EVALSIM_SIM_IO_CSV_CHUNKS_H_
#define EVALSIM_SIM_IO_CSV_CHUNKS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace evalsim {

class RecordCursor {
 public:
  enum Unit {
    kRecord,  // a record: Fields() holds it
    kBlank,   // a blank line (no record)
    kEnd,     // the end of the text
    kDoubt,   // something the exact reader must look at
  };

  RecordCursor(const char* pos, const char* end) : p_(pos), end_(end) {}
  // Reads [pos, end) from now on, keeping the buffers of the text before.
  void Restart(const char* pos, const char* end) {
    p_ = pos;
    end_ = end;
  }

  Unit Next();
  const char* Pos() const { return p_; }
  // The fields of the last record; valid until the next call of Next().
  std::span<const std::string_view> Fields() const { return fields_; }
  // True when some of them are not views of the text itself (a quoted
  // field with "" inside, unescaped into the cursor's own buffer), and so
  // cannot be kept after the next call of Next().
  bool Escaped() const { return escaped_; }

 private:
  bool Unquoted();
  bool Quoted();

  const char* p_;
  const char* end_;
  bool escaped_ = false;  // a field of this record had "" inside quotes
  std::vector<std::string_view> fields_;
  std::vector<std::pair<size_t, size_t>> escaped_at_;  // (field, scratch offset)
  std::string scratch_;                                // unescaped fields
};

// The text less a leading UTF-8 byte-order mark.
std::string_view WithoutBom(std::string_view text);

// The first record of `text` (blank lines skipped), by RecordCursor, or
// false (doubt, or no record). `*after` is where the records after it begin.
bool ReadHeader(std::string_view text, std::vector<std::string>* fields, size_t* after);

// How ParseInChunks runs.
struct ChunkOptions {
  size_t chunk_bytes = 0;  // 0: about a quarter of the data per core, at least 1 MiB
  // Called now and then from the parsing threads with the number of bytes
  // parsed since the last call (for a progress line).
  std::function<void(size_t)> on_bytes;
  // Called with byte ranges of the text that have been parsed and are not
  // read again (a mapped file can let their pages go).
  std::function<void(size_t offset, size_t size)> release;
};

// A chunk's parser: Parse(cursor, stop) reads units until the cursor is at
// or past `stop` or at the end of the text and returns false on doubt;
// Reset() forgets everything it read (the chunk is parsed again).
class ChunkParser {
 public:
  virtual ~ChunkParser() = default;
  virtual bool Parse(RecordCursor& cursor, const char* stop) = 0;
  virtual void Reset() = 0;
  // Told before the first Parse() the range of text the chunk will parse.
  virtual void Expect(const char* /*from*/, const char* /*to*/) {}
};

// Number of chunks ParseInChunks makes of `bytes` bytes of data.
size_t ChunkCount(size_t bytes, const ChunkOptions& options);

// Parses text[data_begin, size) in chunks.size() chunks, chunk k by
// chunks[k], in parallel; false on doubt.
bool ParseInChunks(std::string_view text, size_t data_begin, std::span<ChunkParser* const> chunks,
                   const ChunkOptions& options);

// Where ReadColumnsInWindows stopped: at the end of the text (done), or at
// a window it left to the exact reader, which goes on from byte `offset`,
// the start of line `line`.
struct WindowsStop {
  bool done = false;
  size_t offset = 0;
  long line = 0;
};

// The data records of a table of `width` fields, text[from, size) with its
// first line numbered `line`, read a window (about 64 MiB) at a time: the
// window's records are tokenised in chunks on every core, then handed in
// order to `on_row(line, fields)`, fields `index` of each record. Lines are
// counted by records and blank lines, so a window with a CR anywhere (the
// exact reader counts CR, LF and CRLF as one line end each), or a record
// that RecordCursor doubts, that has another width, a line end or an escaped
// quote inside a field, stops the read before any of its records is handed
// on. `consumed(offset)` is called after each window with the end of the
// text read so far.
WindowsStop ReadColumnsInWindows(
    std::string_view text, size_t from, long line, size_t width, std::span<const size_t> index,
    const std::function<void(long line, const std::vector<std::string_view>& fields)>& on_row,
    const std::function<void(size_t offset)>& consumed);

}  // namespace evalsim

#endif  // EVALSIM_SIM_IO_CSV_CHUNKS_H_
