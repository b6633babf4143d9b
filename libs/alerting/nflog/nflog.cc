#include "libs/alerting/nflog/nflog.h"

#include <rocksdb/db.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "libs/alerting/internal/codec.h"
#include "libs/alerting/internal/state_store.h"
#include "libs/common/logging.h"

namespace omni::alerting {

using internal::FromRocks;
namespace {

constexpr char kKeyPrefix[] = "nflog/";

std::string Encode(const NflogEntry& e) {
  std::string out;
  internal::PutString(out, e.group_key);
  internal::PutString(out, e.receiver.group_name);
  internal::PutString(out, e.receiver.integration);
  internal::PutU64(out, e.receiver.idx);
  internal::PutTime(out, e.timestamp);
  internal::PutTime(out, e.expires_at);
  internal::PutU64(out, e.firing_alerts.size());
  for (uint64_t h : e.firing_alerts) internal::PutU64(out, h);
  internal::PutU64(out, e.resolved_alerts.size());
  for (uint64_t h : e.resolved_alerts) internal::PutU64(out, h);
  return out;
}

bool Decode(std::string_view data, NflogEntry& e) {
  internal::Reader r(data);
  uint64_t idx, n;
  if (!r.String(e.group_key) || !r.String(e.receiver.group_name) || !r.String(e.receiver.integration) ||
      !r.U64(idx) || !r.Time(e.timestamp) || !r.Time(e.expires_at) || !r.U64(n)) {
    return false;
  }
  e.receiver.idx = static_cast<uint32_t>(idx);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t h;
    if (!r.U64(h)) return false;
    e.firing_alerts.push_back(h);
  }
  if (!r.U64(n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t h;
    if (!r.U64(h)) return false;
    e.resolved_alerts.push_back(h);
  }
  return r.done();
}

bool Subset(const std::vector<uint64_t>& have, const absl::flat_hash_set<uint64_t>& subset) {
  absl::flat_hash_set<uint64_t> set(have.begin(), have.end());
  for (uint64_t h : subset) {
    if (!set.contains(h)) return false;
  }
  return true;
}

}  // namespace

std::string NflogReceiver::Key() const { return absl::StrCat(group_name, "/", integration, "/", idx); }

bool NflogEntry::IsFiringSubset(const absl::flat_hash_set<uint64_t>& subset) const {
  return Subset(firing_alerts, subset);
}
bool NflogEntry::IsResolvedSubset(const absl::flat_hash_set<uint64_t>& subset) const {
  return Subset(resolved_alerts, subset);
}

std::string NotificationLog::StateKey(std::string_view group_key, const NflogReceiver& r) {
  return absl::StrCat(std::string(group_key), ":", r.Key());
}

absl::StatusOr<std::unique_ptr<NotificationLog>> NotificationLog::Open(const Options& opts) {
  if (opts.clock == nullptr) return absl::InvalidArgumentError("nflog: clock is required");
  std::unique_ptr<NotificationLog> log(new NotificationLog());
  log->opts_ = opts;
  if (opts.path.empty()) return log;
  std::error_code ec;
  std::filesystem::create_directories(opts.path, ec);  // RocksDB creates only the last level
  if (ec) return absl::InternalError(absl::StrCat("create ", opts.path, ": ", ec.message()));
  rocksdb::Options ro = internal::StateStoreOptions();
  rocksdb::DB* db = nullptr;
  absl::Status st = FromRocks(rocksdb::DB::Open(ro, opts.path, &db), "open nflog");
  if (!st.ok()) return st;
  log->db_.reset(db);
  absl::Time now = opts.clock->Now();
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  int dropped = 0;
  for (it->Seek(kKeyPrefix); it->Valid() && it->key().starts_with(kKeyPrefix); it->Next()) {
    NflogEntry e;
    if (!Decode(std::string_view(it->value().data(), it->value().size()), e)) {
      OMNI_LOG(kWarn, "nflog").Msg("Skipping corrupt entry").Kv("key", it->key().ToString());
      continue;
    }
    if (e.expires_at < now) {
      db->Delete(rocksdb::WriteOptions(), it->key());
      ++dropped;
      continue;
    }
    log->st_[StateKey(e.group_key, e.receiver)] = std::move(e);
  }
  OMNI_LOG(kInfo, "nflog").Msg("Loaded notification log").Kv("entries", log->st_.size()).Kv("expired", dropped);
  return log;
}

NotificationLog::~NotificationLog() = default;

absl::Status NotificationLog::Log(const NflogReceiver& r, std::string_view group_key, std::vector<uint64_t> firing,
                                  std::vector<uint64_t> resolved) {
  absl::Time now = opts_.clock->Now();
  std::string key = StateKey(group_key, r);
  // Keep a newer entry (clock drift); Alertmanager does the same.
  auto newer_exists = [&] {
    auto it = st_.find(key);
    return it != st_.end() && it->second.timestamp > now;
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (newer_exists()) return absl::OkStatus();
  }
  NflogEntry e;
  e.group_key = std::string(group_key);
  e.receiver = r;
  e.timestamp = now;
  e.firing_alerts = std::move(firing);
  e.resolved_alerts = std::move(resolved);
  e.expires_at = now + opts_.retention;
  if (db_) {
    // Written to RocksDB's log (the OS has it: it survives a kill -9 of the
    // daemon) but not fsynced, as the TSDB's WAL: an fsync per notification
    // would bound a burst of flushes by the disk. The write happens outside
    // mu_, so dedup reads of other groups go on; write_mu_ keeps RocksDB to
    // one writer at a time, cheaper than its write-group handshake between
    // many flush threads. A group has one flush in flight at a time, so
    // writes to one key do not race.
    std::lock_guard<std::mutex> wlock(write_mu_);
    absl::Status st = FromRocks(db_->Put(rocksdb::WriteOptions(), kKeyPrefix + key, Encode(e)), "write nflog");
    if (!st.ok()) return st;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!newer_exists()) st_[key] = std::move(e);
  return absl::OkStatus();
}

std::optional<NflogEntry> NotificationLog::Query(std::string_view group_key, const NflogReceiver& r) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = st_.find(StateKey(group_key, r));
  if (it == st_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<int> NotificationLog::GC() {
  absl::Time now = opts_.clock->Now();
  std::lock_guard<std::mutex> lock(mu_);
  int n = 0;
  for (auto it = st_.begin(); it != st_.end();) {
    if (it->second.expires_at < now) {
      if (db_) {
        rocksdb::WriteOptions wo;
        wo.sync = true;
        absl::Status st = FromRocks(db_->Delete(wo, kKeyPrefix + it->first), "delete nflog entry");
        if (!st.ok()) return st;
      }
      it = st_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

size_t NotificationLog::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return st_.size();
}

}  // namespace omni::alerting
