// Interned label strings and the in-memory inverted index (label pair ->
// postings) with Prometheus's matcher selection. Internal to libs/tsdb.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "libs/model/labels.h"
#include "libs/model/matcher.h"
#include "libs/tsdb/internal/postings.h"

namespace omni::tsdb::internal {

// Interns strings; ids are dense and never reused. Thread-safe.
class SymbolTable {
 public:
  uint32_t Intern(std::string_view s);
  // False when `s` was never interned.
  bool Find(std::string_view s, uint32_t* id) const;
  // Resolves pairs of ids (name, value, name, value, ...) into labels.
  model::Labels Resolve(const uint32_t* ids, size_t n) const;
  // True when the interned pairs equal `labels`.
  bool Equal(const uint32_t* ids, size_t n, const model::Labels& labels) const;
  std::string Get(uint32_t id) const;
  // Views of the strings of `ids` (one lock for all). Interned strings never
  // move or go away, so the views stay valid for the table's lifetime.
  void Views(const std::vector<uint32_t>& ids, std::vector<std::string_view>* out) const;
  size_t size() const;
  int64_t MemoryBytes() const;

 private:
  mutable std::shared_mutex mu_;
  absl::flat_hash_map<std::string_view, uint32_t> ids_;
  std::deque<std::string> strings_;
  int64_t bytes_ = 0;
};

// Label pair -> sorted refs. Thread-safe (readers share a lock).
class PostingsIndex {
 public:
  explicit PostingsIndex(const SymbolTable* symbols) : symbols_(symbols) {}
  // `ids` are (name, value) pairs.
  void Add(uint64_t ref, const uint32_t* ids, size_t n);
  void Remove(uint64_t ref, const uint32_t* ids, size_t n);
  // Refs of series matching all matchers (all series for an empty list),
  // using Prometheus's PostingsForMatchers algorithm: positive matchers are
  // intersected, matchers that accept "" are subtracted, regexes only scan
  // the values of their own label name.
  Postings Select(const std::vector<model::Matcher>& matchers) const;
  // Sorted label names / values of one name over all series.
  std::vector<std::string> LabelNames() const;
  std::vector<std::string> LabelValues(std::string_view name) const;
  // Calls fn(name, value, postings size) for every label pair (under a read lock).
  void ForEachPair(const std::function<void(const std::string&, const std::string&, size_t)>& fn) const;
  size_t NumSeries() const;
  int64_t MemoryBytes() const;

 private:
  using ValueMap = absl::flat_hash_map<uint32_t, Postings>;
  using SortedViews = std::shared_ptr<const std::vector<std::string_view>>;
  // The sorted_ key of the label-name list (symbol ids are dense from 0).
  static constexpr uint32_t kNamesKey = UINT32_MAX;
  // REQUIRES: mu_ held. Postings of `name` values accepted by `accept`.
  void CollectMatching(const model::Matcher& m, bool inverse, std::vector<const Postings*>* out) const;
  // REQUIRES: mu_ held (shared is enough). The sorted strings of `ids`,
  // cached under `key` until Add or Remove changes that list.
  SortedViews SortedCached(uint32_t key, const std::function<std::vector<uint32_t>()>& ids) const;
  // REQUIRES: mu_ held exclusively.
  void Invalidate(uint32_t key);

  const SymbolTable* symbols_;
  mutable std::shared_mutex mu_;
  absl::flat_hash_map<uint32_t, ValueMap> postings_;
  Postings all_;
  // Sorted views of each name's values, and of the names: Grafana's label
  // browser and variable queries ask for the same lists again and again, and
  // sorting them was most of the cost. Lock order: mu_, then sorted_mu_.
  mutable std::mutex sorted_mu_;
  mutable absl::flat_hash_map<uint32_t, SortedViews> sorted_;
};

}  // namespace omni::tsdb::internal
