#include "libs/tsdb/internal/index.h"

#include <algorithm>
#include <mutex>

namespace omni::tsdb::internal {

uint32_t SymbolTable::Intern(std::string_view s) {
  {
    std::shared_lock lock(mu_);
    auto it = ids_.find(s);
    if (it != ids_.end()) return it->second;
  }
  std::unique_lock lock(mu_);
  auto it = ids_.find(s);
  if (it != ids_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(s);
  ids_.emplace(std::string_view(strings_.back()), id);
  bytes_ += static_cast<int64_t>(s.size() + sizeof(std::string) + 16);
  return id;
}

bool SymbolTable::Find(std::string_view s, uint32_t* id) const {
  std::shared_lock lock(mu_);
  auto it = ids_.find(s);
  if (it == ids_.end()) return false;
  *id = it->second;
  return true;
}

model::Labels SymbolTable::Resolve(const uint32_t* ids, size_t n) const {
  std::vector<model::Label> labels(n / 2);
  std::shared_lock lock(mu_);
  for (size_t i = 0; i + 1 < n; i += 2) {
    labels[i / 2].name = strings_[ids[i]];
    labels[i / 2].value = strings_[ids[i + 1]];
  }
  return model::Labels::FromSortedUnchecked(std::move(labels));
}

bool SymbolTable::Equal(const uint32_t* ids, size_t n, const model::Labels& labels) const {
  if (labels.size() * 2 != n) return false;
  std::shared_lock lock(mu_);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (strings_[ids[2 * i]] != labels[i].name || strings_[ids[2 * i + 1]] != labels[i].value) return false;
  }
  return true;
}

std::string SymbolTable::Get(uint32_t id) const {
  std::shared_lock lock(mu_);
  return strings_[id];
}

void SymbolTable::Views(const std::vector<uint32_t>& ids, std::vector<std::string_view>* out) const {
  out->resize(ids.size());
  std::shared_lock lock(mu_);
  for (size_t i = 0; i < ids.size(); ++i) (*out)[i] = strings_[ids[i]];
}

size_t SymbolTable::size() const {
  std::shared_lock lock(mu_);
  return strings_.size();
}

int64_t SymbolTable::MemoryBytes() const {
  std::shared_lock lock(mu_);
  return bytes_ + static_cast<int64_t>(ids_.capacity() * (sizeof(std::string_view) + 8));
}

void PostingsIndex::Add(uint64_t ref, const uint32_t* ids, size_t n) {
  std::unique_lock lock(mu_);
  for (size_t i = 0; i + 1 < n; i += 2) {
    auto [name_it, new_name] = postings_.try_emplace(ids[i]);
    auto [value_it, new_value] = name_it->second.try_emplace(ids[i + 1]);
    if (new_name) Invalidate(kNamesKey);
    if (new_value) Invalidate(ids[i]);
    AddSorted(&value_it->second, ref);
  }
  AddSorted(&all_, ref);
}

void PostingsIndex::Invalidate(uint32_t key) {
  std::lock_guard<std::mutex> lock(sorted_mu_);
  sorted_.erase(key);
}

void PostingsIndex::Remove(uint64_t ref, const uint32_t* ids, size_t n) {
  std::unique_lock lock(mu_);
  for (size_t i = 0; i + 1 < n; i += 2) {
    auto name_it = postings_.find(ids[i]);
    if (name_it == postings_.end()) continue;
    auto value_it = name_it->second.find(ids[i + 1]);
    if (value_it == name_it->second.end()) continue;
    RemoveSorted(&value_it->second, ref);
    if (value_it->second.empty()) {
      name_it->second.erase(value_it);
      Invalidate(ids[i]);
    }
    if (name_it->second.empty()) {
      postings_.erase(name_it);
      Invalidate(kNamesKey);
    }
  }
  RemoveSorted(&all_, ref);
}

void PostingsIndex::CollectMatching(const model::Matcher& m, bool inverse,
                                    std::vector<const Postings*>* out) const {
  uint32_t name_id;
  if (!symbols_->Find(m.name(), &name_id)) return;
  auto name_it = postings_.find(name_id);
  if (name_it == postings_.end()) return;
  const ValueMap& values = name_it->second;
  // Fast paths: look literal values up instead of scanning the value list.
  if (!inverse && m.type() == model::MatchType::kEqual) {
    uint32_t vid;
    if (symbols_->Find(m.value(), &vid)) {
      auto it = values.find(vid);
      if (it != values.end()) out->push_back(&it->second);
    }
    return;
  }
  if (!inverse && m.type() == model::MatchType::kRegexMatch && !m.SetMatches().empty()) {
    for (const auto& lit : m.SetMatches()) {
      uint32_t vid;
      if (!symbols_->Find(lit, &vid)) continue;
      auto it = values.find(vid);
      if (it != values.end()) out->push_back(&it->second);
    }
    return;
  }
  // One symbol-table lock and no string copies for the whole scan.
  std::vector<uint32_t> ids;
  ids.reserve(values.size());
  for (const auto& [vid, list] : values) ids.push_back(vid);
  std::vector<std::string_view> strings;
  symbols_->Views(ids, &strings);
  size_t i = 0;
  for (const auto& [vid, list] : values) {
    if (m.Matches(strings[i++]) != inverse) out->push_back(&list);
  }
}

Postings PostingsIndex::Select(const std::vector<model::Matcher>& matchers) const {
  std::shared_lock lock(mu_);
  if (matchers.empty()) return all_;
  std::vector<const Postings*> intersect;
  std::vector<Postings> owned;  // merged lists that `intersect` points into
  owned.reserve(matchers.size());
  std::vector<const Postings*> subtract;
  for (const auto& m : matchers) {
    bool negative = m.type() == model::MatchType::kNotEqual || m.type() == model::MatchType::kRegexNoMatch;
    std::vector<const Postings*> lists;
    if (m.MatchesEmpty()) {
      // l="" / l=~".*" / l!="foo": all series except those whose value fails m.
      if (negative) {
        // The values a negative matcher rejects are those its positive form
        // accepts, which can use the literal fast paths.
        auto positive = model::Matcher::Create(
            m.type() == model::MatchType::kNotEqual ? model::MatchType::kEqual : model::MatchType::kRegexMatch,
            m.name(), m.value());
        if (positive.ok()) CollectMatching(*positive, /*inverse=*/false, &lists);
      } else {
        CollectMatching(m, /*inverse=*/true, &lists);
      }
      owned.push_back(Merge(lists));
      subtract.push_back(&owned.back());
    } else {
      // l="x" / l=~"a|b" / l!="" : series having a value that m accepts.
      CollectMatching(m, /*inverse=*/false, &lists);
      if (lists.empty()) return {};
      if (lists.size() == 1) {
        intersect.push_back(lists[0]);
      } else {
        owned.push_back(Merge(lists));
        intersect.push_back(&owned.back());
      }
    }
  }
  Postings result = intersect.empty() ? all_ : Intersect(intersect);
  for (const Postings* s : subtract) {
    if (result.empty()) break;
    if (!s->empty()) result = Without(result, *s);
  }
  return result;
}

PostingsIndex::SortedViews PostingsIndex::SortedCached(
    uint32_t key, const std::function<std::vector<uint32_t>()>& ids) const {
  {
    std::lock_guard<std::mutex> lock(sorted_mu_);
    auto it = sorted_.find(key);
    if (it != sorted_.end()) return it->second;
  }
  // Interned strings never move, so the views stay valid; the caller's hold
  // on mu_ keeps writers (and their invalidations) out until it is stored.
  auto views = std::make_shared<std::vector<std::string_view>>();
  symbols_->Views(ids(), views.get());
  std::sort(views->begin(), views->end());
  std::lock_guard<std::mutex> lock(sorted_mu_);
  sorted_[key] = views;
  return views;
}

std::vector<std::string> PostingsIndex::LabelNames() const {
  SortedViews names;
  {
    std::shared_lock lock(mu_);
    names = SortedCached(kNamesKey, [&] {
      std::vector<uint32_t> ids;
      ids.reserve(postings_.size());
      for (const auto& [id, values] : postings_) ids.push_back(id);
      return ids;
    });
  }
  return std::vector<std::string>(names->begin(), names->end());
}

std::vector<std::string> PostingsIndex::LabelValues(std::string_view name) const {
  uint32_t id;
  if (!symbols_->Find(name, &id)) return {};
  SortedViews values;
  {
    std::shared_lock lock(mu_);
    auto it = postings_.find(id);
    if (it == postings_.end()) return {};
    values = SortedCached(id, [&] {
      std::vector<uint32_t> ids;
      ids.reserve(it->second.size());
      for (const auto& [vid, list] : it->second) ids.push_back(vid);
      return ids;
    });
  }
  return std::vector<std::string>(values->begin(), values->end());
}

void PostingsIndex::ForEachPair(
    const std::function<void(const std::string&, const std::string&, size_t)>& fn) const {
  std::shared_lock lock(mu_);
  for (const auto& [nid, values] : postings_) {
    std::string name = symbols_->Get(nid);
    for (const auto& [vid, list] : values) fn(name, symbols_->Get(vid), list.size());
  }
}

size_t PostingsIndex::NumSeries() const {
  std::shared_lock lock(mu_);
  return all_.size();
}

int64_t PostingsIndex::MemoryBytes() const {
  std::shared_lock lock(mu_);
  int64_t bytes = static_cast<int64_t>(all_.capacity() * 8);
  for (const auto& [nid, values] : postings_) {
    bytes += static_cast<int64_t>(values.capacity() * (4 + sizeof(Postings)));
    for (const auto& [vid, list] : values) bytes += static_cast<int64_t>(list.capacity() * 8);
  }
  return bytes;
}

}  // namespace omni::tsdb::internal
