#include "sim/io/id_table.h"

#include <iterator>

namespace evalsim {

uint32_t IdTable::Add(const HashedName& name) {
  const uint32_t id = static_cast<uint32_t>(names_.size());
  names_.emplace_back(name.name);
  Key key;
  if (name.name.size() <= kInline) {
    std::memcpy(key.bytes, name.name.data(), name.name.size());
    key.size = static_cast<uint8_t>(name.name.size());
    key.long_size = 0;
  } else {
    key.ptr = names_.back().data();
    key.size = kInline + 1;
    key.long_size = static_cast<uint32_t>(name.name.size());
  }
  ids_.lazy_emplace(name, [&](const auto& construct) { construct(key, id); });
  return id;
}

std::vector<std::string> IdTable::TakeNames() {
  ids_.clear();
  std::vector<std::string> out(std::make_move_iterator(names_.begin()),
                               std::make_move_iterator(names_.end()));
  names_.clear();
  return out;
}

}  // namespace evalsim
