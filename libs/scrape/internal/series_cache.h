// SeriesCache: the scrape loop's map from the raw series bytes of an
// exposition line (`name{labels}` as textparse's Series() returns them) to what
// the loop keeps per series: the storage ref and the hash of the final labels.
// Internal to libs/scrape.
//
// It is built for memory (one scrape loop per target, hundreds of thousands of
// series per collector) and for the steady state, where a target returns the
// same series in the same order every scrape:
//  * keys live in a per-cache arena, entries in one vector addressed by a
//    32-bit id, and the index is a hash set of ids (about 50 bytes per series
//    plus the key bytes, against ~700 for a node map of strings to label sets);
//  * labels are not kept: the loop re-parses the key in the rare case it needs
//    them again (the storage forgot the ref);
//  * Find first tries the entry that followed the previous hit in the last
//    pass (one memcmp on neighbouring arena bytes), and only hashes the key
//    when the order changed.
//
// Example:
//   SeriesCache cache;
//   cache.StartPass();
//   SeriesCache::Id id = cache.Find(series);
//   if (id == SeriesCache::kNone) id = cache.Insert(series);
//   cache.entry(id).last_iter = iter;
//   ...
//   cache.EvictNotSeen(iter);
//
// Not thread-safe; not movable (the index's hasher points at the cache).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "libs/storage/storage.h"

namespace omni::scrape::internal {

class SeriesCache {
 public:
  using Id = uint32_t;
  static constexpr Id kNone = ~Id{0};

  struct Entry {
    storage::SeriesRef ref = 0;  // 0 until the storage returned one
    uint64_t labels_hash = 0;    // hash of the final labels (staleness identity)
    const char* key = nullptr;   // in the arena
    uint32_t key_len = 0;
    uint32_t last_iter = 0;      // the loop's pass counter when last seen
    Id next_seen = kNone;        // the entry found right after this one in its last pass
    bool dropped = false;        // dropped by relabeling
    bool openmetrics = false;    // the key's syntax (for re-parsing it)
    bool free = false;           // evicted; the id is on the free list

    std::string_view key_view() const { return std::string_view(key, key_len); }
  };

  SeriesCache();
  SeriesCache(const SeriesCache&) = delete;
  SeriesCache& operator=(const SeriesCache&) = delete;

  // Starts a pass over a payload: the next Find predicts the first entry of
  // the previous pass.
  void StartPass();
  // Returns the id of `series`, or kNone.
  Id Find(std::string_view series);
  // The entry expected next: the one found after the previous hit in the
  // last pass (kNone when there is no guess). For parsers that can confirm
  // it cheaply (textparse's ExpectSeries); report a confirmed guess with Hit.
  Id Predict() const;
  // Records that `id` was found (as Find does).
  void Hit(Id id) { Found(id); }
  // Adds `series` (REQUIRES: not present) and returns its id; the entry is
  // value-initialised except for the key. Counts as found for the order
  // prediction.
  Id Insert(std::string_view series);

  Entry& entry(Id id) { return entries_[id]; }
  const Entry& entry(Id id) const { return entries_[id]; }
  size_t size() const { return index_.size(); }

  // Removes every entry whose last_iter != `iter`; frees key bytes and shrinks
  // oversized buffers. Ids of the remaining entries do not change.
  void EvictNotSeen(uint32_t iter);

  // Heap bytes held (entries, index, arena), for tests and accounting.
  size_t MemoryBytes() const;

 private:
  struct KeyHash {
    using is_transparent = void;
    const SeriesCache* cache;
    size_t operator()(Id id) const { return (*this)(cache->entries_[id].key_view()); }
    size_t operator()(std::string_view key) const;
  };
  struct KeyEq {
    using is_transparent = void;
    const SeriesCache* cache;
    bool operator()(Id a, Id b) const { return a == b; }
    bool operator()(Id a, std::string_view b) const { return cache->entries_[a].key_view() == b; }
    bool operator()(std::string_view a, Id b) const { return a == cache->entries_[b].key_view(); }
  };
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size = 0;
    size_t used = 0;
  };

  const char* CopyKey(std::string_view key);
  void Found(Id id);
  // Rewrites the live keys into one exactly sized block.
  void CompactArena();

  std::vector<Entry> entries_;
  std::vector<Id> free_;
  absl::flat_hash_set<Id, KeyHash, KeyEq> index_;
  std::vector<Block> blocks_;
  size_t arena_bytes_ = 0;  // sum of block sizes
  size_t live_bytes_ = 0;   // key bytes of live entries
  Id first_ = kNone;        // first entry found in the last pass
  Id last_found_ = kNone;   // previous hit of this pass
};

}  // namespace omni::scrape::internal
