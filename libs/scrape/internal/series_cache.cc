#include "libs/scrape/internal/series_cache.h"

#include <algorithm>
#include <cstring>

#include "absl/hash/hash.h"

namespace omni::scrape::internal {
namespace {

constexpr size_t kMinBlock = 4 << 10;
constexpr size_t kMaxBlock = 1 << 20;

}  // namespace

size_t SeriesCache::KeyHash::operator()(std::string_view key) const {
  return absl::Hash<absl::string_view>()(absl::string_view(key.data(), key.size()));
}

SeriesCache::SeriesCache() : index_(0, KeyHash{this}, KeyEq{this}) {}

void SeriesCache::StartPass() { last_found_ = kNone; }

void SeriesCache::Found(Id id) {
  if (last_found_ == kNone) {
    first_ = id;
  } else {
    entries_[last_found_].next_seen = id;
  }
  last_found_ = id;
}

SeriesCache::Id SeriesCache::Predict() const {
  Id predicted = last_found_ == kNone ? first_ : entries_[last_found_].next_seen;
  // kNone and ids dropped by EvictNotSeen fail this.
  if (predicted >= entries_.size() || entries_[predicted].free) return kNone;
  return predicted;
}

SeriesCache::Id SeriesCache::Find(std::string_view series) {
  Id predicted = Predict();
  if (predicted != kNone) {
    const Entry& e = entries_[predicted];
    if (e.key_len == series.size() && std::memcmp(e.key, series.data(), series.size()) == 0) {
      Found(predicted);
      return predicted;
    }
  }
  auto it = index_.find(series);
  if (it == index_.end()) return kNone;
  Found(*it);
  return *it;
}

const char* SeriesCache::CopyKey(std::string_view key) {
  if (blocks_.empty() || blocks_.back().size - blocks_.back().used < key.size()) {
    Block b;
    b.size = std::max(key.size(), std::clamp(live_bytes_ / 4, kMinBlock, kMaxBlock));
    b.data.reset(new char[b.size]);
    arena_bytes_ += b.size;
    blocks_.push_back(std::move(b));
  }
  Block& b = blocks_.back();
  char* p = b.data.get() + b.used;
  if (!key.empty()) std::memcpy(p, key.data(), key.size());
  b.used += key.size();
  live_bytes_ += key.size();
  return p;
}

SeriesCache::Id SeriesCache::Insert(std::string_view series) {
  Id id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
    entries_[id] = Entry();
  } else {
    id = static_cast<Id>(entries_.size());
    entries_.emplace_back();
  }
  Entry& e = entries_[id];
  e.key = CopyKey(series);
  e.key_len = static_cast<uint32_t>(series.size());
  index_.insert(id);
  Found(id);
  return id;
}

void SeriesCache::EvictNotSeen(uint32_t iter) {
  for (Id id = 0; id < entries_.size(); ++id) {
    Entry& e = entries_[id];
    if (e.free || e.last_iter == iter) continue;
    index_.erase(id);
    live_bytes_ -= e.key_len;
    e = Entry();
    e.free = true;
    free_.push_back(id);
  }
  if (index_.empty()) {
    entries_.clear();
    free_.clear();
    first_ = last_found_ = kNone;
  }
  // Trailing free entries can go (their ids are on the free list).
  while (!entries_.empty() && entries_.back().free) entries_.pop_back();
  if (free_.size() > 0) {
    free_.erase(std::remove_if(free_.begin(), free_.end(), [&](Id id) { return id >= entries_.size(); }),
                free_.end());
  }
  if (entries_.capacity() > entries_.size() + entries_.size() / 4 + 16) entries_.shrink_to_fit();
  if (free_.capacity() > free_.size() * 2 + 16) free_.shrink_to_fit();
  if (arena_bytes_ - live_bytes_ > live_bytes_ / 4 + kMinBlock) CompactArena();
}

void SeriesCache::CompactArena() {
  std::vector<Block> old;
  old.swap(blocks_);
  arena_bytes_ = 0;
  if (live_bytes_ > 0) {
    Block b;
    b.size = live_bytes_;
    b.data.reset(new char[b.size]);
    arena_bytes_ = b.size;
    blocks_.push_back(std::move(b));
    Block& nb = blocks_.back();
    for (Entry& e : entries_) {
      if (e.free || e.key_len == 0) continue;
      char* p = nb.data.get() + nb.used;
      std::memcpy(p, e.key, e.key_len);
      nb.used += e.key_len;
      e.key = p;
    }
  }
  blocks_.shrink_to_fit();
}

size_t SeriesCache::MemoryBytes() const {
  return entries_.capacity() * sizeof(Entry) + free_.capacity() * sizeof(Id) +
         index_.capacity() * (sizeof(Id) + 1) + arena_bytes_ + blocks_.capacity() * sizeof(Block);
}

}  // namespace omni::scrape::internal
