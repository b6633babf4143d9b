#include "libs/alerting/types/annotations.h"

#include <algorithm>
#include <string>

namespace omni::alerting {

Annotations Annotations::FromPairs(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::vector<model::Label> v;
  v.reserve(pairs.size());
  for (const auto& [name, value] : pairs) v.push_back(model::Label{std::string(name), std::string(value)});
  return FromUnsorted(std::move(v));
}

Annotations Annotations::FromUnsorted(std::vector<model::Label> pairs) {
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const model::Label& a, const model::Label& b) { return a.name < b.name; });
  Annotations out;
  out.pairs_.reserve(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    // Of equal names the last one given wins.
    if (i + 1 < pairs.size() && pairs[i + 1].name == pairs[i].name) continue;
    out.pairs_.push_back(std::move(pairs[i]));
  }
  return out;
}

const model::Label* Annotations::Find(std::string_view name) const {
  auto it = std::lower_bound(pairs_.begin(), pairs_.end(), name,
                             [](const model::Label& l, std::string_view n) { return l.name < n; });
  return it != pairs_.end() && it->name == name ? &*it : nullptr;
}

std::string_view Annotations::Get(std::string_view name) const {
  const model::Label* l = Find(name);
  return l != nullptr ? std::string_view(l->value) : std::string_view();
}

Annotations Annotations::CommonWith(const Annotations& a, const Annotations& b) {
  Annotations out;
  for (const model::Label& l : a) {
    if (b.Get(l.name) == l.value) out.pairs_.push_back(l);
  }
  return out;
}

}  // namespace omni::alerting
