// Names -> dense ids in order of first appearance, for the file readers.
//
// An abseil flat_hash_map (Swiss table: one probe reads a group of control
// bytes, then the slot). Its key holds a name of up to kInline bytes in the
// slot itself, so that finding an id, which the readers do twice per row,
// touches the control bytes and the slot and not also a name stored
// elsewhere; longer names point into the table's own storage. Lookups take a
// HashedName, whose hash is computed once by the caller: the readers hash a
// batch of rows, prefetch their slots and only then look them up, so that
// the cache misses of a batch overlap instead of following one another.
#ifndef EVALSIM_SIM_IO_ID_TABLE_H_
#define EVALSIM_SIM_IO_ID_TABLE_H_

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace evalsim {

// A name with its hash (absl::HashOf of the bytes).
struct HashedName {
  std::string_view name;
  size_t hash;
};

inline HashedName Hashed(std::string_view name) { return {name, absl::HashOf(name)}; }

class IdTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // The id of `name`, or kNone when it is new.
  uint32_t Find(const HashedName& name) const {
    const auto it = ids_.find(name, name.hash);
    return it == ids_.end() ? kNone : it->second;
  }
  uint32_t Find(std::string_view name) const { return Find(Hashed(name)); }
  void Prefetch(const HashedName& name) const { ids_.prefetch(name); }

  // Adds a name that Find() did not find; returns its id (the next one).
  uint32_t Add(const HashedName& name);
  uint32_t Add(std::string_view name) { return Add(Hashed(name)); }
  // The id of `name`, added when new.
  uint32_t Intern(const HashedName& name) {
    const uint32_t id = Find(name);
    return id != kNone ? id : Add(name);
  }

  size_t size() const { return names_.size(); }
  std::string_view Name(uint32_t id) const { return names_[id]; }
  // Every name, by id; the table is left empty.
  std::vector<std::string> TakeNames();
  void Reserve(size_t n) { ids_.reserve(n); }

 private:
  static constexpr size_t kInline = 15;
  // A name in the slot (size <= kInline) or in `storage_`.
  struct Key {
    union {
      char bytes[kInline];
      const char* ptr;
    };
    uint8_t size;  // kInline + 1: the name is at ptr, its length in long_size
    uint32_t long_size;
    std::string_view View() const {
      return size <= kInline ? std::string_view(bytes, size) : std::string_view(ptr, long_size);
    }
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(const Key& k) const { return absl::HashOf(k.View()); }
    size_t operator()(const HashedName& h) const { return h.hash; }
  };
  struct Eq {
    using is_transparent = void;
    bool operator()(const Key& a, const Key& b) const { return a.View() == b.View(); }
    bool operator()(const Key& a, const HashedName& b) const {
      if (b.name.size() <= kInline)
        return a.size == b.name.size() && std::memcmp(a.bytes, b.name.data(), a.size) == 0;
      return a.size > kInline && a.View() == b.name;
    }
    bool operator()(const HashedName& a, const Key& b) const { return (*this)(b, a); }
  };

  absl::flat_hash_map<Key, uint32_t, Hash, Eq> ids_;
  std::deque<std::string> names_;  // by id; a deque keeps the long names in place
};

}  // namespace evalsim

#endif  // EVALSIM_SIM_IO_ID_TABLE_H_
