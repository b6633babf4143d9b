#include "libs/alerting/types/types.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace omni::alerting {
namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;
constexpr unsigned char kSeparator = 0xff;

uint64_t FnvAdd(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}
uint64_t FnvAddByte(uint64_t h, unsigned char c) {
  h ^= c;
  h *= kFnvPrime;
  return h;
}

// Go's strconv.Quote for the printable ASCII/UTF-8 common case.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\x%02x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace

Fingerprint LabelsFingerprint(const model::Labels& labels) {
  uint64_t h = kFnvOffset;
  for (const model::Label& l : labels) {  // model::Labels is sorted by name
    h = FnvAdd(h, l.name);
    h = FnvAddByte(h, kSeparator);
    h = FnvAdd(h, l.value);
    h = FnvAddByte(h, kSeparator);
  }
  return h;
}

std::string FingerprintString(Fingerprint fp) { return absl::StrFormat("%016x", fp); }

std::string LabelSetString(const model::Labels& labels) {
  std::string out = "{";
  bool first = true;
  for (const model::Label& l : labels) {
    if (!first) out += ", ";
    first = false;
    out += l.name;
    out += '=';
    out += GoQuote(l.value);
  }
  out += '}';
  return out;
}

bool LabelSetBefore(const model::Labels& a, const model::Labels& b) {
  if (a.size() != b.size()) return a.size() < b.size();
  std::vector<std::string_view> names;
  for (const auto& l : a) names.push_back(l.name);
  for (const auto& l : b) names.push_back(l.name);
  std::sort(names.begin(), names.end());
  for (std::string_view n : names) {
    if (!a.Has(n)) return true;
    if (!b.Has(n)) return false;
    std::string_view av = a.Get(n), bv = b.Get(n);
    if (av < bv) return true;
    if (av > bv) return false;
  }
  return false;
}

Alert Alert::Merge(const Alert& a_in, const Alert& o_in, absl::Time now) {
  // Let `o` always be the younger alert.
  const Alert* a = &a_in;
  const Alert* o = &o_in;
  if (o->updated_at < a->updated_at) std::swap(a, o);
  Alert res = *o;
  if (a->starts_at < o->starts_at) res.starts_at = a->starts_at;
  if (o->ResolvedAt(now)) {
    // The latest explicit resolved timestamp wins if both are resolved.
    if (a->ResolvedAt(now) && a->ends_at > o->ends_at) res.ends_at = a->ends_at;
  } else {
    // A non-timeout timestamp always rules if it is the latest.
    if (a->ends_at > o->ends_at && !a->timeout) res.ends_at = a->ends_at;
  }
  return res;
}

void PrepareReceivedAlert(Alert& alert, absl::Time now, absl::Duration resolve_timeout) {
  if (IsZeroTime(alert.starts_at)) alert.starts_at = IsZeroTime(alert.ends_at) ? now : alert.ends_at;
  if (IsZeroTime(alert.ends_at)) {
    alert.timeout = true;
    alert.ends_at = now + resolve_timeout;
  }
  alert.updated_at = now;
}

namespace {

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
    if (n < 0 || i + n >= s.size()) return false;
    uint32_t cp = n == 0 ? c : (c & (0x3F >> n));
    for (int k = 1; k <= n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// model.LabelSet.Validate, for labels and annotations alike.
template <typename Pairs>
absl::Status ValidateLabelSet(const Pairs& ls) {
  for (const model::Label& l : ls) {
    if (!model::IsValidLabelName(l.name)) return absl::InvalidArgumentError(absl::StrCat("invalid name \"", l.name, "\""));
    if (!ValidUtf8(l.value)) return absl::InvalidArgumentError(absl::StrCat("invalid value \"", l.value, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateAlert(const Alert& a) {
  if (IsZeroTime(a.starts_at)) return absl::InvalidArgumentError("start time missing");
  if (!IsZeroTime(a.ends_at) && a.ends_at < a.starts_at) {
    return absl::InvalidArgumentError("start time must be before end time");
  }
  if (absl::Status st = ValidateLabelSet(a.labels); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid label set: ", st.message()));
  }
  if (a.labels.empty()) return absl::InvalidArgumentError("at least one label pair required");
  if (absl::Status st = ValidateLabelSet(a.annotations); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid annotations: ", st.message()));
  }
  return absl::OkStatus();
}

void SortAlerts(std::vector<Alert>& alerts) {
  std::stable_sort(alerts.begin(), alerts.end(), [](const Alert& x, const Alert& y) {
    for (std::string_view key : {std::string_view("job"), std::string_view("instance")}) {
      bool xo = x.labels.Has(key), yo = y.labels.Has(key);
      if (!xo && !yo) continue;
      if (!xo) return false;
      if (!yo) return true;
      std::string_view xv = x.labels.Get(key), yv = y.labels.Get(key);
      if (xv != yv) return xv < yv;
    }
    return LabelSetBefore(x.labels, y.labels);
  });
}

std::string_view AlertStateString(AlertState s) {
  switch (s) {
    case AlertState::kUnprocessed: return "unprocessed";
    case AlertState::kActive: return "active";
    case AlertState::kSuppressed: return "suppressed";
  }
  return "unprocessed";
}

void Marker::Recompute(AlertStatus& s) {
  s.state = (s.silenced_by.empty() && s.inhibited_by.empty()) ? AlertState::kActive
                                                                : AlertState::kSuppressed;
}

void Marker::SetSilenced(Fingerprint fp, int64_t version, std::vector<std::string> active_ids,
                         std::vector<std::string> pending_ids) {
  std::lock_guard<std::mutex> lock(mu_);
  AlertStatus& s = m_[fp];
  s.silenced_by = std::move(active_ids);
  s.pending_silences = std::move(pending_ids);
  s.silences_version = version;
  Recompute(s);
}

void Marker::SetInhibited(Fingerprint fp, std::vector<std::string> ids) {
  std::lock_guard<std::mutex> lock(mu_);
  AlertStatus& s = m_[fp];
  s.inhibited_by = std::move(ids);
  Recompute(s);
}

void Marker::SetActive(Fingerprint fp) {
  std::lock_guard<std::mutex> lock(mu_);
  AlertStatus& s = m_[fp];
  s.silenced_by.clear();
  s.inhibited_by.clear();
  s.pending_silences.clear();
  s.state = AlertState::kActive;
}

AlertStatus Marker::Status(Fingerprint fp) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = m_.find(fp);
  if (it == m_.end()) return AlertStatus{};
  return it->second;
}

void Marker::Delete(Fingerprint fp) {
  std::lock_guard<std::mutex> lock(mu_);
  m_.erase(fp);
}

size_t Marker::Count(AlertState state) const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [fp, s] : m_) n += (s.state == state);
  return n;
}

}  // namespace omni::alerting
