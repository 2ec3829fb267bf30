#include "sim/io/csv_fast.h"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cfloat>
#include <charconv>
#include <climits>
#include <cmath>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/core/parallel.h"
#include "sim/core/text.h"
#include "sim/io/id_table.h"

namespace evalsim {
namespace {

constexpr size_t kMaxGroups = 256;  // as the exact reader: rater_group holds one byte
constexpr uint32_t kNone = IdTable::kNone;

bool ValidName(std::string_view s) { return !s.empty() && IsValidUtf8(s); }

// The id of `name` in `table`, added when new and valid; kNone when it is
// new and not a valid name or the table already holds `limit` names.
uint32_t InternName(IdTable& table, std::string_view name, size_t limit) {
  const HashedName h = Hashed(name);
  const uint32_t id = table.Find(h);
  if (id != kNone) return id;
  if (!ValidName(name) || table.size() >= limit) return kNone;
  return table.Add(h);
}

// A weight cell as the exact reader takes it: empty = 1, else a finite
// number in [0, FLT_MAX], -0 read as 0.
bool ParseWeight(std::string_view s, float* weight) {
  if (s.empty()) {
    *weight = 1.0f;
    return true;
  }
  double value = 0.0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value) || value < 0.0 ||
      value > FLT_MAX)
    return false;
  *weight = value == 0.0 ? 0.0f : static_cast<float>(value);
  return true;
}

// Maps every chunk's local ids of one table to global ones, in chunk order
// (so global ids follow first appearance in the file): `global` starts as
// chunk 0's table. False when the global table would exceed `limit` names.
template <class Chunk>
bool MergeNames(std::vector<std::unique_ptr<Chunk>>& chunks, IdTable Chunk::*table, IdTable& global,
                std::vector<std::vector<uint32_t>>& maps, size_t limit) {
  maps.assign(chunks.size(), {});
  global = std::move((*chunks[0]).*table);
  maps[0].resize(global.size());
  for (uint32_t i = 0; i < maps[0].size(); ++i) maps[0][i] = i;
  for (size_t k = 1; k < chunks.size(); ++k) {
    const IdTable& local = (*chunks[k]).*table;
    maps[k].resize(local.size());
    for (uint32_t i = 0; i < local.size(); ++i) {
      maps[k][i] = global.Intern(Hashed(local.Name(i)));
      if (global.size() > limit) return false;
    }
    ((*chunks[k]).*table) = IdTable();
  }
  return true;
}

// Reserves the per-row arrays of a chunk once its first rows tell how long a
// row is, so that they do not grow by doubling (which would hold twice the
// memory for a moment).
class RowEstimate {
 public:
  void Expect(const char* from, const char* to) {
    from_ = from;
    bytes_ = static_cast<size_t>(to - from);
  }
  // After `rows` rows, parsed up to `pos`: the number of rows expected, or 0
  // when it is not yet time to reserve.
  size_t Rows(size_t rows, const char* pos) {
    if (done_ || rows < kSample || pos <= from_) return 0;
    done_ = true;
    const double per_row = static_cast<double>(pos - from_) / static_cast<double>(rows);
    return static_cast<size_t>(static_cast<double>(bytes_) / per_row * 1.02) + kSample;
  }

 private:
  static constexpr size_t kSample = 4096;
  const char* from_ = nullptr;
  size_t bytes_ = 0;
  bool done_ = false;
};

// Runs the chunk parsers on the text after the header.
template <class Chunk>
bool ParseChunks(std::string_view text, size_t data_begin,
                 std::vector<std::unique_ptr<Chunk>>& chunks, const ChunkOptions& options) {
  std::vector<ChunkParser*> parsers;
  for (auto& c : chunks) parsers.push_back(c.get());
  return ParseInChunks(text, data_begin, parsers, options);
}

// ---------------------------------------------------------------------------
// Ratings.

enum RatingsRole { kRater, kRatee, kGrade, kGroup, kWeight, kRatingsRoles };
constexpr std::string_view kRatingsColumns[] = {"rater", "ratee", "grade", "group", "weight"};

struct RatingsLayout {
  std::vector<int> role;  // of each column
  bool has_group = false, has_weight = false;
  int max_grade_allowed = kMaxLevels - 1;
};

// The roles of the header's columns; false where the exact reader refuses
// the header (unknown, repeated or missing columns).
bool RatingsHeader(const std::vector<std::string>& header, RatingsLayout* layout) {
  bool seen[kRatingsRoles] = {};
  for (const std::string& name : header) {
    const auto it = std::find(std::begin(kRatingsColumns), std::end(kRatingsColumns), name);
    if (it == std::end(kRatingsColumns)) return false;
    const int role = static_cast<int>(it - std::begin(kRatingsColumns));
    if (seen[role]) return false;
    seen[role] = true;
    layout->role.push_back(role);
  }
  layout->has_group = seen[kGroup];
  layout->has_weight = seen[kWeight];
  return seen[kRater] && seen[kRatee] && seen[kGrade];
}

// A grade cell as the exact reader takes it: empty = kAbstain, else digits
// up to `max_allowed`.
bool ParseGrade(std::string_view s, int max_allowed, uint8_t* grade) {
  if (s.empty()) {
    *grade = kAbstain;
    return true;
  }
  int value = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9' || value > max_allowed) return false;
    value = value * 10 + (ch - '0');
  }
  if (value > max_allowed) return false;
  *grade = static_cast<uint8_t>(value);
  return true;
}

// Rows are looked up in batches of this many: the names of a batch are
// hashed and their table slots prefetched before any is looked up, so that
// the cache misses of a batch overlap instead of following one another.
constexpr size_t kBatch = 32;

// Reads records into batches of cells, by role (`Stage`), and hands each
// full batch to `flush`; a record whose fields live in the cursor's buffer
// is flushed at once.
template <class Stage, class Flush>
bool ParseBatched(RecordCursor& cursor, const char* stop, size_t* pending, Stage&& stage,
                  Flush&& flush) {
  while (cursor.Pos() < stop) {
    const RecordCursor::Unit unit = cursor.Next();
    if (unit == RecordCursor::kEnd) break;
    if (unit == RecordCursor::kBlank) continue;
    if (unit == RecordCursor::kDoubt || !stage(cursor.Fields())) return false;
    if ((*pending == kBatch || cursor.Escaped()) && !flush()) return false;
  }
  return flush();
}

// The rows of one chunk, with chunk-local ids.
class RatingsChunk : public ChunkParser {
 public:
  explicit RatingsChunk(const RatingsLayout& layout) : layout_(&layout) {}

  bool Parse(RecordCursor& cursor, const char* stop) override {
    return ParseBatched(
        cursor, stop, &pending_, [this](auto fields) { return Stage(fields); },
        [&] { return Flush(cursor.Pos()); });
  }
  void Reset() override { *this = RatingsChunk(*layout_); }
  void Expect(const char* from, const char* to) override { estimate_.Expect(from, to); }

  IdTable raters, ratees, groups;
  std::vector<uint8_t> rater_group;  // local group of each local rater
  std::vector<uint32_t> word;        // PackBallot(local rater, grade), per row
  std::vector<uint32_t> ratee;       // local ratee, per row
  std::vector<float> weight;         // per row, with a weight column
  int max_grade = -1;

 private:
  using Cells = std::array<std::string_view, kRatingsRoles>;
  RatingsChunk& operator=(RatingsChunk&&) = default;
  bool Stage(std::span<const std::string_view> fields) {
    if (fields.size() != layout_->role.size()) return false;
    Cells& cell = batch_[pending_++];
    for (size_t i = 0; i < fields.size(); ++i) cell[layout_->role[i]] = fields[i];
    return true;
  }
  bool Flush(const char* pos);
  bool Row(const Cells& cell, const HashedName& rater_name, const HashedName& ratee_name);

  const RatingsLayout* layout_;
  RowEstimate estimate_;
  std::array<Cells, kBatch> batch_;
  size_t pending_ = 0;
};

bool RatingsChunk::Flush(const char* pos) {
  std::array<HashedName, kBatch> rater_name, ratee_name;
  for (size_t i = 0; i < pending_; ++i) {
    rater_name[i] = Hashed(batch_[i][kRater]);
    ratee_name[i] = Hashed(batch_[i][kRatee]);
    raters.Prefetch(rater_name[i]);
    ratees.Prefetch(ratee_name[i]);
  }
  for (size_t i = 0; i < pending_; ++i)
    if (!Row(batch_[i], rater_name[i], ratee_name[i])) return false;
  pending_ = 0;
  if (const size_t expected = estimate_.Rows(word.size(), pos)) {
    word.reserve(expected);
    ratee.reserve(expected);
    if (layout_->has_weight) weight.reserve(expected);
  }
  return true;
}

bool RatingsChunk::Row(const Cells& cell, const HashedName& rater_name,
                       const HashedName& ratee_name) {
  uint32_t group = 0;
  if (layout_->has_group && (group = InternName(groups, cell[kGroup], kMaxGroups)) == kNone)
    return false;
  uint32_t rater = raters.Find(rater_name);
  if (rater == kNone) {
    if (!ValidName(cell[kRater]) || raters.size() >= kMaxRaters) return false;
    rater = raters.Add(rater_name);
    rater_group.push_back(static_cast<uint8_t>(group));
  } else if (rater_group[rater] != group) {
    return false;
  }
  uint32_t e = ratees.Find(ratee_name);
  if (e == kNone) {
    if (!ValidName(cell[kRatee])) return false;
    e = ratees.Add(ratee_name);
  }
  uint8_t grade = 0;
  float w = 1.0f;
  if (!ParseGrade(cell[kGrade], layout_->max_grade_allowed, &grade) ||
      (layout_->has_weight && !ParseWeight(cell[kWeight], &w)))
    return false;
  if (grade != kAbstain) max_grade = std::max(max_grade, static_cast<int>(grade));
  word.push_back(PackBallot(rater, grade));
  ratee.push_back(e);
  if (layout_->has_weight) weight.push_back(w);
  return true;
}

using RatingsChunks = std::vector<std::unique_ptr<RatingsChunk>>;

// The global ids and the rater groups of the chunks, merged in file order.
struct RatingsNames {
  IdTable raters, ratees, groups;
  std::vector<std::vector<uint32_t>> rater_map, ratee_map, group_map;
  std::vector<uint8_t> rater_group;  // global
};

bool MergeRatingsNames(RatingsChunks& chunks, const RatingsLayout& layout, RatingsNames& n) {
  if (!MergeNames(chunks, &RatingsChunk::raters, n.raters, n.rater_map, kMaxRaters) ||
      !MergeNames(chunks, &RatingsChunk::ratees, n.ratees, n.ratee_map, UINT32_MAX - 1))
    return false;
  if (layout.has_group) {
    if (!MergeNames(chunks, &RatingsChunk::groups, n.groups, n.group_map, kMaxGroups)) return false;
  } else {
    n.groups.Add("all");
    n.group_map.assign(chunks.size(), std::vector<uint32_t>{0});
  }
  // A new global rater takes the next id, so walking each chunk's raters in
  // local order meets new ones in global order.
  for (size_t k = 0; k < chunks.size(); ++k) {
    const std::vector<uint8_t>& local = chunks[k]->rater_group;
    for (size_t r = 0; r < local.size(); ++r) {
      const uint32_t global = n.rater_map[k][r];
      const uint8_t group = static_cast<uint8_t>(n.group_map[k][local[r]]);
      if (global == n.rater_group.size()) {
        n.rater_group.push_back(group);
      } else if (n.rater_group[global] != group) {
        return false;
      }
    }
    chunks[k]->rater_group = {};
  }
  return true;
}

// Places every chunk's rows slot by slot (file order within a slot), with
// global ids: per chunk, where its rows of each slot begin, then the rows.
void PlaceBallots(RatingsChunks& chunks, const RatingsNames& n, RatingBallots& b) {
  const size_t num_slots = b.slot_begin.size() - 1, groups = b.group_names.size();
  const size_t count = chunks.size();
  std::vector<std::vector<uint64_t>> next(count, std::vector<uint64_t>(num_slots, 0));
  auto slot_of = [&](size_t k, size_t i) {
    const RatingsChunk& c = *chunks[k];
    const uint32_t rater = n.rater_map[k][BallotRater(c.word[i])];
    return n.ratee_map[k][c.ratee[i]] * groups + n.rater_group[rater];
  };
  ParallelFor(size_t{0}, count, [&](size_t k) {
    for (size_t i = 0; i < chunks[k]->word.size(); ++i) ++next[k][slot_of(k, i)];
  });
  uint64_t at = 0;
  for (size_t s = 0; s < num_slots; ++s) {
    b.slot_begin[s] = at;
    for (size_t k = 0; k < count; ++k) {
      const uint64_t rows = next[k][s];
      next[k][s] = at;
      at += rows;
    }
  }
  b.slot_begin[num_slots] = at;
  b.ballot.resize(at);
  const bool weighted = !b.weight.empty();
  ParallelFor(size_t{0}, count, [&](size_t k) {
    RatingsChunk& c = *chunks[k];
    for (size_t i = 0; i < c.word.size(); ++i) {
      const uint64_t to = next[k][slot_of(k, i)]++;
      b.ballot[to] = PackBallot(n.rater_map[k][BallotRater(c.word[i])], BallotGrade(c.word[i]));
      if (weighted) b.weight[to] = c.weight[i];
    }
    c.word = {};
    c.ratee = {};
    c.weight = {};
  });
}

// True when some rater rates some ratee twice (a rater has one group, so
// both ballots lie in one slot).
bool HasRepeatedPair(const RatingBallots& b) {
  const size_t num_slots = b.slot_begin.size() - 1;
  // Per thread, the last slot in which each rater was seen.
  tbb::enumerable_thread_specific<std::vector<uint32_t>> last_slot(
      [&] { return std::vector<uint32_t>(b.num_raters, UINT32_MAX); });
  std::atomic<bool> repeated{false};
  ParallelFor(tbb::blocked_range<size_t>(0, num_slots, 4096),
              [&](const tbb::blocked_range<size_t>& range) {
                std::vector<uint32_t>& seen = last_slot.local();
                for (size_t s = range.begin(); s < range.end(); ++s) {
                  const uint32_t slot = static_cast<uint32_t>(s);
                  for (uint64_t k = b.slot_begin[s]; k < b.slot_begin[s + 1]; ++k) {
                    uint32_t& mark = seen[BallotRater(b.ballot[k])];
                    if (mark == slot) repeated = true;
                    mark = slot;
                  }
                }
              });
  return repeated;
}

std::optional<RatingBallots> MergeRatings(RatingsChunks& chunks, const RatingsLayout& layout,
                                          const RatingsReadOptions& options) {
  RatingsNames n;
  if (!MergeRatingsNames(chunks, layout, n)) return std::nullopt;
  int max_grade = -1;
  size_t rows = 0;
  for (const auto& c : chunks) {
    max_grade = std::max(max_grade, c->max_grade);
    rows += c->word.size();
  }
  if (rows == 0 || (!options.levels && max_grade < 0)) return std::nullopt;
  const uint64_t num_slots = uint64_t{n.ratees.size()} * n.groups.size();
  if (num_slots > static_cast<uint64_t>(INT_MAX)) return std::nullopt;
  RatingBallots b;
  b.levels = options.levels ? *options.levels : max_grade + 1;
  b.num_raters = static_cast<uint32_t>(n.raters.size());
  b.rater_group = n.rater_group;
  b.group_weights.assign(n.groups.size(), 1.0);
  b.group_names = n.groups.TakeNames();
  b.slot_begin.assign(num_slots + 1, 0);
  if (layout.has_weight) b.weight.resize(rows);
  PlaceBallots(chunks, n, b);
  if (HasRepeatedPair(b)) return std::nullopt;
  b.ratee_names = n.ratees.TakeNames();
  b.rater_names = n.raters.TakeNames();
  return b;
}

// ---------------------------------------------------------------------------
// Pairwise.

enum PairwiseRole { kWinner, kLoser, kPairWeight, kPairwiseRoles };
constexpr std::string_view kPairwiseColumns[] = {"winner", "loser", "weight"};

struct PairwiseLayout {
  std::vector<int> role;
};

bool PairwiseHeader(const std::vector<std::string>& header, PairwiseLayout* layout) {
  bool seen[kPairwiseRoles] = {};
  for (const std::string& name : header) {
    const auto it = std::find(std::begin(kPairwiseColumns), std::end(kPairwiseColumns), name);
    if (it == std::end(kPairwiseColumns)) return false;
    const int role = static_cast<int>(it - std::begin(kPairwiseColumns));
    if (seen[role]) return false;
    seen[role] = true;
    layout->role.push_back(role);
  }
  return seen[kWinner] && seen[kLoser];
}

class PairwiseChunk : public ChunkParser {
 public:
  explicit PairwiseChunk(const PairwiseLayout& layout) : layout_(&layout) {
    for (int role : layout.role)
      if (role != kPairWeight) name_roles_.push_back(role);
  }

  bool Parse(RecordCursor& cursor, const char* stop) override {
    return ParseBatched(
        cursor, stop, &pending_, [this](auto fields) { return Stage(fields); },
        [&] { return Flush(cursor.Pos()); });
  }
  void Reset() override { *this = PairwiseChunk(*layout_); }
  void Expect(const char* from, const char* to) override { estimate_.Expect(from, to); }

  IdTable ratees;
  std::vector<uint32_t> winner, loser;
  std::vector<float> weight;

 private:
  using Cells = std::array<std::string_view, kPairwiseRoles>;
  PairwiseChunk& operator=(PairwiseChunk&&) = default;
  bool Stage(std::span<const std::string_view> fields) {
    if (fields.size() != layout_->role.size()) return false;
    Cells& cell = batch_[pending_++];
    for (size_t i = 0; i < fields.size(); ++i) cell[layout_->role[i]] = fields[i];
    return true;
  }
  bool Flush(const char* pos);

  const PairwiseLayout* layout_;
  std::vector<int> name_roles_;  // winner and loser, in column order
  RowEstimate estimate_;
  std::array<Cells, kBatch> batch_;
  size_t pending_ = 0;
};

bool PairwiseChunk::Flush(const char* pos) {
  std::array<std::array<HashedName, 2>, kBatch> name;
  for (size_t i = 0; i < pending_; ++i) {
    for (int role : {kWinner, kLoser}) {
      name[i][role] = Hashed(batch_[i][role]);
      ratees.Prefetch(name[i][role]);
    }
  }
  for (size_t i = 0; i < pending_; ++i) {
    uint32_t id[2] = {kNone, kNone};
    // Names are numbered left to right, as the exact reader does.
    for (int role : name_roles_) {
      id[role] = ratees.Find(name[i][role]);
      if (id[role] != kNone) continue;
      if (!ValidName(batch_[i][role]) || ratees.size() >= UINT32_MAX - 1) return false;
      id[role] = ratees.Add(name[i][role]);
    }
    float w = 1.0f;
    if (id[kWinner] == id[kLoser] || !ParseWeight(batch_[i][kPairWeight], &w)) return false;
    winner.push_back(id[kWinner]);
    loser.push_back(id[kLoser]);
    weight.push_back(w);
  }
  pending_ = 0;
  if (const size_t expected = estimate_.Rows(winner.size(), pos)) {
    winner.reserve(expected);
    loser.reserve(expected);
    weight.reserve(expected);
  }
  return true;
}

std::optional<PairwiseBallots> MergePairwise(std::vector<std::unique_ptr<PairwiseChunk>>& chunks) {
  IdTable global;
  std::vector<std::vector<uint32_t>> maps;
  if (!MergeNames(chunks, &PairwiseChunk::ratees, global, maps, UINT32_MAX - 1))
    return std::nullopt;
  std::vector<size_t> offset(chunks.size() + 1, 0);
  for (size_t k = 0; k < chunks.size(); ++k) offset[k + 1] = offset[k] + chunks[k]->winner.size();
  if (offset.back() == 0) return std::nullopt;
  PairwiseBallots b;
  b.seq_winner.resize(offset.back());
  b.seq_loser.resize(offset.back());
  b.seq_weight.resize(offset.back());
  ParallelFor(size_t{0}, chunks.size(), [&](size_t k) {
    PairwiseChunk& c = *chunks[k];
    for (size_t i = 0; i < c.winner.size(); ++i) {
      b.seq_winner[offset[k] + i] = maps[k][c.winner[i]];
      b.seq_loser[offset[k] + i] = maps[k][c.loser[i]];
    }
    std::copy(c.weight.begin(), c.weight.end(), b.seq_weight.begin() + offset[k]);
    c.winner = {};
    c.loser = {};
    c.weight = {};
  });
  b.ratee_names = global.TakeNames();
  AggregatePairwise(&b);
  return b;
}

// ---------------------------------------------------------------------------
// Indicators.

// The header holds `unit` and then distinct, non-empty UTF-8 indicator names.
bool IndicatorsHeader(const std::vector<std::string>& header) {
  if (header.size() < 2 || header[0] != "unit") return false;
  for (size_t i = 1; i < header.size(); ++i) {
    if (!ValidName(header[i])) return false;
    for (size_t k = 0; k < i; ++k)
      if (header[k] == header[i]) return false;
  }
  return true;
}

class IndicatorsChunk : public ChunkParser {
 public:
  explicit IndicatorsChunk(size_t width) : width_(width) {}

  bool Parse(RecordCursor& cursor, const char* stop) override {
    while (cursor.Pos() < stop) {
      const RecordCursor::Unit unit = cursor.Next();
      if (unit == RecordCursor::kEnd) return true;
      if (unit == RecordCursor::kDoubt || (unit == RecordCursor::kRecord && !Row(cursor.Fields())))
        return false;
    }
    return true;
  }
  void Reset() override { *this = IndicatorsChunk(width_); }

  IdTable units;
  std::vector<double> values;  // row by row

 private:
  IndicatorsChunk& operator=(IndicatorsChunk&&) = default;
  bool Row(std::span<const std::string_view> fields) {
    if (fields.size() != width_ || !ValidName(fields[0])) return false;
    const HashedName unit = Hashed(fields[0]);
    if (units.Find(unit) != kNone) return false;  // a unit appears again
    units.Add(unit);
    for (size_t i = 1; i < fields.size(); ++i) {
      const std::string_view f = fields[i];
      if (f.empty()) {
        values.push_back(std::numeric_limits<double>::quiet_NaN());
        continue;
      }
      double value = 0.0;
      const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
      if (ec != std::errc() || end != f.data() + f.size() || !std::isfinite(value)) return false;
      values.push_back(value == 0.0 ? 0.0 : value);  // no -0
    }
    return true;
  }

  size_t width_;
};

std::optional<IndicatorTable> MergeIndicators(std::vector<std::unique_ptr<IndicatorsChunk>>& chunks,
                                              std::vector<std::string> header) {
  IdTable global;
  std::vector<std::vector<uint32_t>> maps;
  size_t total = 0;
  for (const auto& c : chunks) total += c->units.size();
  if (!MergeNames(chunks, &IndicatorsChunk::units, global, maps, UINT32_MAX - 1) ||
      global.size() != total || total == 0)  // a unit in two chunks, or none
    return std::nullopt;
  const Eigen::Index n = static_cast<Eigen::Index>(total);
  const Eigen::Index m = static_cast<Eigen::Index>(header.size() - 1);
  IndicatorTable t;
  t.values.resize(n, m);
  Eigen::Index row = 0;
  for (const auto& c : chunks) {
    for (size_t r = 0; r < c->values.size() / m; ++r, ++row)
      for (Eigen::Index j = 0; j < m; ++j) t.values(row, j) = c->values[r * m + j];
  }
  t.ratee_names = global.TakeNames();
  t.names.assign(std::make_move_iterator(header.begin() + 1),
                 std::make_move_iterator(header.end()));
  t.cost.assign(t.names.size(), false);
  return t;
}

template <class Chunk, class... Args>
std::vector<std::unique_ptr<Chunk>> MakeChunks(size_t bytes, const ChunkOptions& options,
                                               const Args&... args) {
  std::vector<std::unique_ptr<Chunk>> chunks;
  const size_t count = ChunkCount(bytes, options);
  for (size_t k = 0; k < count; ++k) chunks.push_back(std::make_unique<Chunk>(args...));
  return chunks;
}

}  // namespace

std::optional<RatingBallots> FastRatings(std::string_view text, const RatingsReadOptions& options,
                                         const ChunkOptions& chunking) {
  text = WithoutBom(text);
  if (options.levels && (*options.levels < 1 || *options.levels > kMaxLevels)) return std::nullopt;
  // Grades written as the scale's labels are the exact reader's: a label
  // cell fails the fast parse, and with number-like labels ("1".."5") a
  // number is a label there, never a grade.
  for (const std::string& label : options.grade_labels)
    if (!label.empty() && label[0] >= '0' && label[0] <= '9') return std::nullopt;
  std::vector<std::string> header;
  size_t data = 0;
  RatingsLayout layout;
  if (!ReadHeader(text, &header, &data) || !RatingsHeader(header, &layout)) return std::nullopt;
  if (options.levels) layout.max_grade_allowed = *options.levels - 1;
  auto chunks = MakeChunks<RatingsChunk>(text.size() - data, chunking, layout);
  if (!ParseChunks(text, data, chunks, chunking)) return std::nullopt;
  return MergeRatings(chunks, layout, options);
}

std::optional<PairwiseBallots> FastPairwise(std::string_view text, const ChunkOptions& chunking) {
  text = WithoutBom(text);
  std::vector<std::string> header;
  size_t data = 0;
  PairwiseLayout layout;
  if (!ReadHeader(text, &header, &data) || !PairwiseHeader(header, &layout)) return std::nullopt;
  auto chunks = MakeChunks<PairwiseChunk>(text.size() - data, chunking, layout);
  if (!ParseChunks(text, data, chunks, chunking)) return std::nullopt;
  return MergePairwise(chunks);
}

std::optional<IndicatorTable> FastIndicators(std::string_view text, const ChunkOptions& chunking) {
  text = WithoutBom(text);
  std::vector<std::string> header;
  size_t data = 0;
  if (!ReadHeader(text, &header, &data) || !IndicatorsHeader(header)) return std::nullopt;
  auto chunks = MakeChunks<IndicatorsChunk>(text.size() - data, chunking, header.size());
  if (!ParseChunks(text, data, chunks, chunking)) return std::nullopt;
  return MergeIndicators(chunks, std::move(header));
}

}  // namespace evalsim
