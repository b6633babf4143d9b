#include "libs/scrape/internal/series_cache.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace omni::scrape::internal {
namespace {

std::vector<std::string> Keys(int n, const std::string& prefix = "m") {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(absl::StrCat(prefix, "{i=\"", i, "\"}"));
  return out;
}

// One pass in the given order: finds or inserts every key, marks it seen.
std::vector<SeriesCache::Id> Pass(SeriesCache& c, const std::vector<std::string>& keys, uint32_t iter) {
  std::vector<SeriesCache::Id> ids;
  c.StartPass();
  for (const auto& k : keys) {
    SeriesCache::Id id = c.Find(k);
    if (id == SeriesCache::kNone) id = c.Insert(k);
    c.entry(id).last_iter = iter;
    ids.push_back(id);
  }
  return ids;
}

TEST_CASE("SeriesCache finds what it inserted, in any order", "[unit][scrape]") {
  SeriesCache c;
  auto keys = Keys(1000);
  auto first = Pass(c, keys, 1);
  REQUIRE(c.size() == 1000);
  for (size_t i = 0; i < keys.size(); ++i) CHECK(c.entry(first[i]).key_view() == keys[i]);

  // Same order (the predicted path), reversed, and shuffled by a stride.
  CHECK(Pass(c, keys, 2) == first);
  std::vector<std::string> rev(keys.rbegin(), keys.rend());
  std::vector<SeriesCache::Id> rev_ids(first.rbegin(), first.rend());
  CHECK(Pass(c, rev, 3) == rev_ids);
  std::vector<std::string> strided;
  std::vector<SeriesCache::Id> strided_ids;
  for (int i = 0; i < 1000; ++i) {
    strided.push_back(keys[(i * 7) % 1000]);
    strided_ids.push_back(first[(i * 7) % 1000]);
  }
  CHECK(Pass(c, strided, 4) == strided_ids);
  CHECK(c.size() == 1000);
  CHECK(c.Find("m{i=\"1000\"}") == SeriesCache::kNone);
  // A prefix of a key is another key.
  CHECK(c.Find("m{i=\"1") == SeriesCache::kNone);
}

TEST_CASE("SeriesCache evicts unseen entries and keeps the others' ids and keys", "[unit][scrape]") {
  SeriesCache c;
  auto keys = Keys(2000);
  auto ids = Pass(c, keys, 1);
  for (size_t i = 0; i < ids.size(); ++i) c.entry(ids[i]).ref = i + 1;
  // Only the odd keys are seen in pass 2; the even ones are evicted.
  std::vector<std::string> odd;
  for (size_t i = 1; i < keys.size(); i += 2) odd.push_back(keys[i]);
  Pass(c, odd, 2);
  c.EvictNotSeen(2);
  REQUIRE(c.size() == 1000);
  for (size_t i = 0; i < keys.size(); ++i) {
    SeriesCache::Id id = c.Find(keys[i]);
    if (i % 2 == 0) {
      CHECK(id == SeriesCache::kNone);
    } else {
      REQUIRE(id == ids[i]);
      CHECK(c.entry(id).ref == i + 1);
      CHECK(c.entry(id).key_view() == keys[i]);  // still right after the arena was compacted
    }
  }
  // New keys reuse freed ids; everything stays findable.
  auto more = Keys(500, "n");
  auto more_ids = Pass(c, more, 3);
  CHECK(c.size() == 1500);
  for (size_t i = 0; i < more.size(); ++i) CHECK(c.Find(more[i]) == more_ids[i]);
  for (size_t i = 1; i < keys.size(); i += 2) CHECK(c.Find(keys[i]) == ids[i]);
  // Evicting everything leaves an empty cache that works.
  c.EvictNotSeen(99);
  CHECK(c.size() == 0);
  c.StartPass();
  CHECK(c.Find(keys[1]) == SeriesCache::kNone);
  auto again = Pass(c, keys, 100);
  CHECK(c.size() == 2000);
  CHECK(c.Find(keys[5]) == again[5]);
}

TEST_CASE("SeriesCache is small per series", "[unit][scrape]") {
  SeriesCache c;
  auto keys = Keys(10000, "http_requests_total_with_a_long_name");
  size_t key_bytes = 0;
  for (const auto& k : keys) key_bytes += k.size();
  Pass(c, keys, 1);
  c.EvictNotSeen(1);
  // Entries + index + arena: well under 100 bytes per series beyond the keys.
  CHECK(c.MemoryBytes() < key_bytes + keys.size() * 100);
}

}  // namespace
}  // namespace omni::scrape::internal
