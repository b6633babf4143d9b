#include "libs/alerting/silence/silence.h"

#include <rocksdb/db.h>

#include <filesystem>

#include <algorithm>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/alerting/internal/codec.h"
#include "libs/alerting/internal/state_store.h"
#include "libs/common/logging.h"
#include "libs/common/status_macros.h"

namespace omni::alerting {

using internal::FromRocks;
namespace {

constexpr char kKeyPrefix[] = "silence/";

std::string NewUuid() {
  static absl::BitGen gen;  // only used under Silences::mu_
  uint64_t hi = absl::Uniform<uint64_t>(gen), lo = absl::Uniform<uint64_t>(gen);
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                         lo & 0xffffffffffffULL);
}

bool IsValidLabelName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string Encode(const Silence& s, absl::Time expires_at) {
  std::string out;
  internal::PutString(out, s.id);
  internal::PutTime(out, s.starts_at);
  internal::PutTime(out, s.ends_at);
  internal::PutTime(out, s.updated_at);
  internal::PutTime(out, expires_at);
  internal::PutString(out, s.created_by);
  internal::PutString(out, s.comment);
  internal::PutU64(out, s.matchers.size());
  for (const Matcher& m : s.matchers) {
    internal::PutU64(out, static_cast<uint64_t>(m.type()));
    internal::PutString(out, m.name());
    internal::PutString(out, m.value());
  }
  return out;
}

bool Decode(std::string_view data, Silence& s, absl::Time& expires_at) {
  internal::Reader r(data);
  uint64_t n;
  if (!r.String(s.id) || !r.Time(s.starts_at) || !r.Time(s.ends_at) || !r.Time(s.updated_at) ||
      !r.Time(expires_at) || !r.String(s.created_by) || !r.String(s.comment) || !r.U64(n)) {
    return false;
  }
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t type;
    std::string name, value;
    if (!r.U64(type) || !r.String(name) || !r.String(value) || type > 3) return false;
    auto m = Matcher::Create(static_cast<MatchType>(type), name, value);
    if (!m.ok()) return false;
    s.matchers.Add(*std::move(m));
  }
  return r.done();
}

// Alertmanager's canUpdate: may `b` replace `a` in place at `now`?
bool CanUpdate(const Silence& a, const Silence& b, absl::Time now) {
  if (!(a.matchers == b.matchers)) return false;
  switch (GetSilenceState(a, now)) {
    case SilenceState::kActive:
      if (b.starts_at != a.starts_at) return false;
      if (b.ends_at < now) return false;
      break;
    case SilenceState::kPending:
      if (b.starts_at < now) return false;
      break;
    case SilenceState::kExpired: return false;
  }
  return true;
}

}  // namespace

std::string_view SilenceStateString(SilenceState s) {
  switch (s) {
    case SilenceState::kExpired: return "expired";
    case SilenceState::kActive: return "active";
    case SilenceState::kPending: return "pending";
  }
  return "expired";
}

SilenceState GetSilenceState(const Silence& s, absl::Time now) {
  if (now < s.starts_at) return SilenceState::kPending;
  if (now < s.ends_at) return SilenceState::kActive;
  return SilenceState::kExpired;
}

absl::Status ValidateSilence(const Silence& s) {
  if (s.id.empty()) return absl::InvalidArgumentError("ID missing");
  if (s.matchers.empty()) return absl::InvalidArgumentError("at least one matcher required");
  bool all_match_empty = true;
  for (size_t i = 0; i < s.matchers.size(); ++i) {
    const Matcher& m = s.matchers.items()[i];
    if (!IsValidLabelName(m.name())) {
      return absl::InvalidArgumentError(absl::StrCat("invalid label matcher ", i, ": invalid label name \"", m.name(), "\""));
    }
    all_match_empty = all_match_empty && m.Matches("");
  }
  if (all_match_empty) return absl::InvalidArgumentError("at least one matcher must not match the empty string");
  if (s.starts_at == kZeroTime) return absl::InvalidArgumentError("invalid zero start timestamp");
  if (s.ends_at == kZeroTime) return absl::InvalidArgumentError("invalid zero end timestamp");
  if (s.ends_at < s.starts_at) return absl::InvalidArgumentError("end time must not be before start time");
  if (s.updated_at == kZeroTime) return absl::InvalidArgumentError("invalid zero update timestamp");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Silences>> Silences::Open(const Options& opts) {
  if (opts.clock == nullptr) return absl::InvalidArgumentError("silences: clock is required");
  std::unique_ptr<Silences> s(new Silences());
  s->opts_ = opts;
  if (opts.path.empty()) return s;
  std::error_code ec;
  std::filesystem::create_directories(opts.path, ec);  // RocksDB creates only the last level
  if (ec) return absl::InternalError(absl::StrCat("create ", opts.path, ": ", ec.message()));
  rocksdb::Options ro = internal::StateStoreOptions();
  rocksdb::DB* db = nullptr;
  OMNI_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(ro, opts.path, &db), "open silences"));
  s->db_.reset(db);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(kKeyPrefix); it->Valid() && it->key().starts_with(kKeyPrefix); it->Next()) {
    Stored st;
    if (!Decode(std::string_view(it->value().data(), it->value().size()), st.silence, st.expires_at)) {
      OMNI_LOG(kWarn, "silences").Msg("Skipping corrupt silence").Kv("key", it->key().ToString());
      continue;
    }
    s->st_[st.silence.id] = std::move(st);
  }
  s->version_ = static_cast<int64_t>(s->st_.size());
  OMNI_LOG(kInfo, "silences").Msg("Loaded silences").Kv("count", s->st_.size());
  return s;
}

Silences::~Silences() = default;

absl::Status Silences::SetLocked(Silence s, absl::Time now) {
  s.updated_at = now;
  if (absl::Status st = ValidateSilence(s); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("silence invalid: ", st.message()));
  }
  absl::Time expires_at = s.ends_at + opts_.retention;
  if (db_) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    OMNI_RETURN_IF_ERROR(FromRocks(db_->Put(wo, kKeyPrefix + s.id, Encode(s, expires_at)), "write silence"));
  }
  ++version_;  // every stored change, as AM's state merge
  std::string id = s.id;
  st_[id] = Stored{std::move(s), expires_at};
  return absl::OkStatus();
}

absl::StatusOr<std::string> Silences::Set(Silence s) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Time now = opts_.clock->Now();
  auto prev = st_.find(s.id);
  if (!s.id.empty() && prev == st_.end()) return absl::NotFoundError("silence not found");
  if (prev != st_.end()) {
    if (CanUpdate(prev->second.silence, s, now)) {
      std::string id = s.id;
      OMNI_RETURN_IF_ERROR(SetLocked(std::move(s), now));
      return id;
    }
    // Validate the replacement before touching the old silence.
    Silence probe = s;
    probe.id = "probe";
    probe.updated_at = now;
    if (probe.starts_at < now) probe.starts_at = now;
    if (absl::Status st = ValidateSilence(probe); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("silence invalid: ", st.message()));
    }
    if (GetSilenceState(prev->second.silence, now) != SilenceState::kExpired) {
      absl::Status st = ExpireLocked(prev->first, now);
      if (!st.ok()) return absl::Status(st.code(), absl::StrCat("expire previous silence: ", st.message()));
    }
  }
  s.id = NewUuid();
  if (s.starts_at < now) s.starts_at = now;
  std::string id = s.id;
  OMNI_RETURN_IF_ERROR(SetLocked(std::move(s), now));
  return id;
}

absl::Status Silences::ExpireLocked(const std::string& id, absl::Time now) {
  auto it = st_.find(id);
  if (it == st_.end()) return absl::NotFoundError("silence not found");
  Silence s = it->second.silence;
  switch (GetSilenceState(s, now)) {
    case SilenceState::kExpired:
      return absl::FailedPreconditionError(absl::StrCat("silence ", id, " already expired"));
    case SilenceState::kActive: s.ends_at = now; break;
    case SilenceState::kPending:
      s.starts_at = now;
      s.ends_at = now;
      break;
  }
  return SetLocked(std::move(s), now);
}

absl::Status Silences::Expire(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return ExpireLocked(id, opts_.clock->Now());
}

absl::StatusOr<Silence> Silences::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = st_.find(id);
  if (it == st_.end()) return absl::NotFoundError("silence not found");
  return it->second.silence;
}

std::vector<Silence> Silences::Query(const SilenceQuery& q, int64_t* version) const {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Time now = opts_.clock->Now();
  std::vector<Silence> out;
  auto consider = [&](const Silence& s) {
    if (!q.states.empty() &&
        std::find(q.states.begin(), q.states.end(), GetSilenceState(s, now)) == q.states.end()) {
      return;
    }
    if (q.matches && !s.matchers.Matches(*q.matches)) return;
    out.push_back(s);
  };
  if (!q.ids.empty()) {
    for (const std::string& id : q.ids) {
      auto it = st_.find(id);
      if (it != st_.end()) consider(it->second.silence);
    }
    std::sort(out.begin(), out.end(), [](const Silence& a, const Silence& b) { return a.id < b.id; });
  } else {
    for (const auto& [id, st] : st_) consider(st.silence);
  }
  if (version) *version = version_;
  return out;
}

int64_t Silences::Version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

absl::StatusOr<int> Silences::GC() {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Time now = opts_.clock->Now();
  int n = 0;
  for (auto it = st_.begin(); it != st_.end();) {
    if (!(it->second.expires_at > now)) {
      if (db_) {
        rocksdb::WriteOptions wo;
        wo.sync = true;
        OMNI_RETURN_IF_ERROR(FromRocks(db_->Delete(wo, kKeyPrefix + it->first), "delete silence"));
      }
      it = st_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

size_t Silences::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return st_.size();
}

bool Silencer::Mutes(const model::Labels& labels) {
  Fingerprint fp = LabelsFingerprint(labels);
  AlertStatus prev = marker_.Status(fp);
  SilenceQuery q;
  q.states = {SilenceState::kActive, SilenceState::kPending};
  int64_t version = silences_.Version();
  std::vector<Silence> sils;
  if (prev.silences_version == version) {
    // No silence was added since the last check: only the silences that
    // matched then can matter now (one may have expired or become active).
    q.ids = prev.silenced_by;
    q.ids.insert(q.ids.end(), prev.pending_silences.begin(), prev.pending_silences.end());
    if (q.ids.empty()) return false;
    sils = silences_.Query(q);
  } else {
    q.matches = labels;
    sils = silences_.Query(q, &version);
  }
  absl::Time now = silences_.Now();
  std::vector<std::string> active, pending;
  for (const Silence& s : sils) {
    switch (GetSilenceState(s, now)) {
      case SilenceState::kActive: active.push_back(s.id); break;
      case SilenceState::kPending: pending.push_back(s.id); break;
      case SilenceState::kExpired: break;  // expired in the meantime
    }
  }
  std::sort(active.begin(), active.end());
  std::sort(pending.begin(), pending.end());
  bool muted = !active.empty();
  marker_.SetSilenced(fp, version, std::move(active), std::move(pending));
  return muted;
}

}  // namespace omni::alerting
