// Annotations: the informational name/value pairs of an alert (summary,
// description, runbook URL, ...), sorted by name with unique names.
//
// Unlike model::Labels, an annotation whose value is the empty string is kept:
// Alertmanager 0.25 stores annotations as a plain model.LabelSet map and shows
// `"runbook": ""` in its API, webhook payloads and template data. Labels keep
// Prometheus's rule that an empty value means "absent".
//
// Example:
//   Annotations a = Annotations::FromPairs({{"summary", "down"}, {"runbook", ""}});
//   a.size();            // 2
//   a.Has("runbook");    // true
//   a.Get("runbook");    // ""
//   a.Has("missing");    // false
#pragma once

#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

#include "libs/model/labels.h"

namespace omni::alerting {

class Annotations {
 public:
  Annotations() = default;
  // Builds from pairs in any order; a later duplicate name replaces an
  // earlier one. Empty values are kept.
  static Annotations FromPairs(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);
  static Annotations FromUnsorted(std::vector<model::Label> pairs);

  using const_iterator = std::vector<model::Label>::const_iterator;
  const_iterator begin() const { return pairs_.begin(); }
  const_iterator end() const { return pairs_.end(); }
  size_t size() const { return pairs_.size(); }
  bool empty() const { return pairs_.empty(); }

  // True when `name` is present, whatever its value (also "").
  bool Has(std::string_view name) const { return Find(name) != nullptr; }
  // The value of `name`, or "" when absent (as a Go map lookup).
  std::string_view Get(std::string_view name) const;

  // Alertmanager's commonAnnotations step: keeps the pairs of `a` whose value
  // equals b[name], where a missing name in `b` reads as "" (Go map semantics),
  // so {"x": ""} stays common with an alert that has no "x".
  static Annotations CommonWith(const Annotations& a, const Annotations& b);

  friend bool operator==(const Annotations& a, const Annotations& b) { return a.pairs_ == b.pairs_; }

 private:
  const model::Label* Find(std::string_view name) const;
  std::vector<model::Label> pairs_;  // sorted by name, names unique
};

}  // namespace omni::alerting
