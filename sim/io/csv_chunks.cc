#include "sim/io/csv_chunks.h"

#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "sim/core/parallel.h"

namespace evalsim {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr size_t kMinChunk = size_t{1} << 20;
constexpr size_t kStep = size_t{8} << 20;  // bytes between progress and release calls

// Bytes that end an unquoted field or make it doubtful.
constexpr std::array<bool, 256> kUnquotedStop = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : {',', '\r', '\n', '"', '\0'}) t[c] = true;
  return t;
}();

bool IsSpace(char c) { return c == ' ' || c == '\t'; }
bool IsLineEnd(char c) { return c == '\r' || c == '\n'; }

}  // namespace

std::string_view WithoutBom(std::string_view text) {
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  return text;
}

// An unquoted field from p_ (leading spaces skipped), without its trailing
// spaces and tabs; p_ is left on the byte that ended it.
bool RecordCursor::Unquoted() {
  const char* start = p_;
  while (p_ < end_ && !kUnquotedStop[static_cast<unsigned char>(*p_)]) ++p_;
  if (p_ < end_ && (*p_ == '"' || *p_ == '\0')) return false;
  const char* last = p_;
  while (last > start && IsSpace(last[-1])) --last;
  fields_.emplace_back(start, static_cast<size_t>(last - start));
  return true;
}

// A quoted field, p_ on its opening quote; p_ is left on the byte after the
// closing quote and the spaces after it.
bool RecordCursor::Quoted() {
  const char* start = ++p_;
  const char* segment = start;  // the text not yet copied to scratch_
  bool escaped = false;         // a "" was seen: the field is built in scratch_
  size_t from = 0;              // where it begins there
  for (;;) {
    const char* q = p_;
    while (q < end_ && *q != '"' && *q != '\0') ++q;
    if (q == end_ || *q == '\0') return false;  // unterminated, or a NUL byte
    if (q + 1 < end_ && q[1] == '"') {          // "" stands for one quote
      if (!escaped) from = scratch_.size();
      escaped = true;
      scratch_.append(segment, q + 1);
      segment = p_ = q + 2;
      continue;
    }
    if (!escaped) {
      fields_.emplace_back(start, static_cast<size_t>(q - start));
    } else {
      // The text is no shorter than the field, so `start` is a valid
      // placeholder until Next() points the field into scratch_.
      scratch_.append(segment, q);
      escaped_at_.emplace_back(fields_.size(), from);
      fields_.emplace_back(start, scratch_.size() - from);
      escaped_ = true;
    }
    p_ = q + 1;
    while (p_ < end_ && IsSpace(*p_)) ++p_;
    return p_ == end_ || *p_ == ',' || IsLineEnd(*p_);
  }
}

RecordCursor::Unit RecordCursor::Next() {
  fields_.clear();
  if (escaped_) {
    escaped_ = false;
    escaped_at_.clear();
    scratch_.clear();
  }
  while (p_ < end_ && IsSpace(*p_)) ++p_;
  if (p_ == end_) return kEnd;
  if (IsLineEnd(*p_)) {
    ++p_;
    return kBlank;
  }
  for (;;) {
    if (!(p_ < end_ && *p_ == '"' ? Quoted() : Unquoted())) return kDoubt;
    if (p_ == end_) break;
    if (*p_ != ',') {  // a line end closes the record
      ++p_;
      break;
    }
    ++p_;
    while (p_ < end_ && IsSpace(*p_)) ++p_;
  }
  for (const auto& [field, offset] : escaped_at_)
    fields_[field] = std::string_view(scratch_.data() + offset, fields_[field].size());
  return kRecord;
}

bool ReadHeader(std::string_view text, std::vector<std::string>* fields, size_t* after) {
  RecordCursor cursor(text.data(), text.data() + text.size());
  for (;;) {
    const RecordCursor::Unit unit = cursor.Next();
    if (unit == RecordCursor::kBlank) continue;
    if (unit != RecordCursor::kRecord) return false;
    fields->assign(cursor.Fields().begin(), cursor.Fields().end());
    *after = static_cast<size_t>(cursor.Pos() - text.data());
    return true;
  }
}

size_t ChunkCount(size_t bytes, const ChunkOptions& options) {
  size_t size = options.chunk_bytes;
  if (size == 0) {
    const size_t cores = static_cast<size_t>(std::max(1, tbb::this_task_arena::max_concurrency()));
    size = std::max(kMinChunk, bytes / (2 * cores) + 1);
  }
  return std::max<size_t>(1, (bytes + size - 1) / size);
}

namespace {

// Where chunk k (k > 0) begins: the first line start at or after its share.
std::vector<const char*> ChunkStarts(const char* data, const char* end, size_t count) {
  std::vector<const char*> start(count + 1, end);
  start[0] = data;
  const size_t bytes = static_cast<size_t>(end - data);
  for (size_t k = 1; k < count; ++k) {
    const char* s = std::max(data + bytes / count * k, start[k - 1]);
    while (s < end && s > data && !IsLineEnd(s[-1])) ++s;
    start[k] = s;
  }
  return start;
}

// Parses one chunk from `from` up to `stop` in steps, reporting progress and
// releasing what it has read; returns the position it stopped at, or
// nullptr on doubt.
const char* ParseChunk(ChunkParser& parser, const char* text, const char* from, const char* stop,
                       const char* end, const ChunkOptions& options) {
  RecordCursor cursor(from, end);
  parser.Expect(from, stop);
  const char* released = from;
  while (cursor.Pos() < stop) {
    const char* before = cursor.Pos();
    const char* step = stop - before > static_cast<ptrdiff_t>(kStep) ? before + kStep : stop;
    if (!parser.Parse(cursor, step)) return nullptr;
    if (cursor.Pos() == before) break;  // the end of the text
    if (options.on_bytes) options.on_bytes(static_cast<size_t>(cursor.Pos() - before));
    // The record under the cursor may still refer to the bytes just before it.
    if (options.release && cursor.Pos() - released > static_cast<ptrdiff_t>(2 * kStep)) {
      const char* upto = cursor.Pos() - kStep;
      options.release(static_cast<size_t>(released - text), static_cast<size_t>(upto - released));
      released = upto;
    }
  }
  return cursor.Pos();
}

}  // namespace

bool ParseInChunks(std::string_view text, size_t data_begin, std::span<ChunkParser* const> chunks,
                   const ChunkOptions& options) {
  const char* end = text.data() + text.size();
  const size_t count = chunks.size();
  std::vector<const char*> start = ChunkStarts(text.data() + data_begin, end, count);
  std::vector<const char*> stopped(count, nullptr);
  ParallelFor(size_t{0}, count, [&](size_t k) {
    stopped[k] = ParseChunk(*chunks[k], text.data(), start[k], start[k + 1], end, options);
  });
  for (size_t k = 0; k < count; ++k) {
    if (!stopped[k]) return false;
    if (k + 1 == count || stopped[k] == start[k + 1]) continue;
    // Chunk k+1 began inside a record that chunk k finished: parse it again
    // from where chunk k stopped.
    start[k + 1] = stopped[k];
    chunks[k + 1]->Reset();
    stopped[k + 1] = ParseChunk(*chunks[k + 1], text.data(), start[k + 1],
                                std::max(start[k + 1], start[k + 2]), end, options);
  }
  return true;
}

namespace {

constexpr size_t kWindow = size_t{64} << 20;

// The selected fields of a chunk's records, as views of the text, and the
// line of each within the chunk. Only records of exactly one line are taken
// (see ReadColumnsInWindows), so lines are counted by records and blanks.
class ColumnChunk final : public ChunkParser {
 public:
  ColumnChunk(size_t width, std::span<const size_t> index) : width_(width), index_(index) {}

  bool Parse(RecordCursor& cursor, const char* stop) override {
    while (cursor.Pos() < stop) {
      const char* start = cursor.Pos();
      switch (cursor.Next()) {
        case RecordCursor::kEnd:
          return true;
        case RecordCursor::kDoubt:
          return false;
        case RecordCursor::kBlank:
          if (cursor.Pos()[-1] == '\r') return false;
          ++lines_;
          continue;
        case RecordCursor::kRecord:
          break;
      }
      const std::span<const std::string_view> fields = cursor.Fields();
      const char last = cursor.Pos()[-1];
      // The record's bytes but the LF that closes it: no CR or LF.
      const size_t inner = static_cast<size_t>(cursor.Pos() - start) - (last == '\n' ? 1 : 0);
      if (cursor.Escaped() || fields.size() != width_ || last == '\r' ||
          std::memchr(start, '\n', inner) != nullptr || std::memchr(start, '\r', inner) != nullptr)
        return false;
      for (const size_t i : index_) views_.push_back(fields[i]);
      line_of_.push_back(lines_++);
    }
    return true;
  }
  void Reset() override {
    views_.clear();
    line_of_.clear();
    lines_ = 0;
  }

  size_t Records() const { return line_of_.size(); }
  const std::string_view* Fields(size_t r) const { return views_.data() + r * index_.size(); }
  long LineOf(size_t r) const { return line_of_[r]; }
  long Lines() const { return lines_; }

 private:
  size_t width_;
  std::span<const size_t> index_;
  std::vector<std::string_view> views_;
  std::vector<long> line_of_;
  long lines_ = 0;
};

// The end of the window that starts at `from`: the first line start at or
// after from + kWindow, or the end of the text.
size_t WindowEnd(std::string_view text, size_t from) {
  if (text.size() - from <= kWindow) return text.size();
  const void* lf = std::memchr(text.data() + from + kWindow, '\n', text.size() - from - kWindow);
  return lf ? static_cast<size_t>(static_cast<const char*>(lf) - text.data()) + 1 : text.size();
}

}  // namespace

WindowsStop ReadColumnsInWindows(
    std::string_view text, size_t from, long line, size_t width, std::span<const size_t> index,
    const std::function<void(long line, const std::vector<std::string_view>& fields)>& on_row,
    const std::function<void(size_t offset)>& consumed) {
  std::vector<std::string_view> row(index.size());
  // The chunks keep their buffers from window to window: fresh memory for
  // each would cost more than the reading.
  std::vector<ColumnChunk> chunks;
  for (size_t end; from < text.size(); from = end) {
    end = WindowEnd(text, from);
    const std::string_view window = text.substr(from, end - from);
    const size_t count = ChunkCount(window.size(), {});
    if (chunks.size() < count) chunks.resize(count, ColumnChunk(width, index));
    std::vector<ChunkParser*> parsers;
    for (size_t k = 0; k < count; ++k) {
      chunks[k].Reset();
      parsers.push_back(&chunks[k]);
    }
    if (!ParseInChunks(window, 0, parsers, {})) return {false, from, line};
    for (size_t k = 0; k < parsers.size(); ++k) {
      const ColumnChunk& c = chunks[k];
      for (size_t r = 0; r < c.Records(); ++r) {
        row.assign(c.Fields(r), c.Fields(r) + index.size());
        on_row(line + c.LineOf(r), row);
      }
      line += c.Lines();
    }
    consumed(end);
  }
  return {true, from, line};
}

}  // namespace evalsim
