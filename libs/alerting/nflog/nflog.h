// Notification log: what was last sent to each receiver integration for each
// aggregation group (Alertmanager's nflog), so that the dedup stage can decide
// whether to notify again and a restart never pages twice. Entries expire
// after `retention` (default 120h) and are persisted in RocksDB on every change.
//
// Example:
//   NotificationLog::Options opts;
//   opts.path = "/data/nflog";            // "" keeps the log in memory
//   opts.clock = &clock;
//   OMNI_ASSIGN_OR_RETURN(auto nflog, NotificationLog::Open(opts));
//   NflogReceiver recv{"team-a", "webhook", 0};
//   OMNI_RETURN_IF_ERROR(nflog->Log(recv, group_key, firing_hashes, resolved_hashes));
//   std::optional<NflogEntry> e = nflog->Query(group_key, recv);
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"

namespace rocksdb {
class DB;
}

namespace omni::alerting {

// Identifies one integration of one receiver (nflogpb.Receiver).
struct NflogReceiver {
  std::string group_name;   // receiver name
  std::string integration;  // "webhook", "email", ...
  uint32_t idx = 0;         // index among the receiver's integrations of that type
  // "group_name/integration/idx", as Alertmanager's receiverKey.
  std::string Key() const;
};

struct NflogEntry {
  std::string group_key;
  NflogReceiver receiver;
  absl::Time timestamp;  // when the notification was sent
  std::vector<uint64_t> firing_alerts;
  std::vector<uint64_t> resolved_alerts;
  absl::Time expires_at;

  // True when every hash in `subset` was firing in this entry.
  bool IsFiringSubset(const absl::flat_hash_set<uint64_t>& subset) const;
  // True when every hash in `subset` was resolved in this entry.
  bool IsResolvedSubset(const absl::flat_hash_set<uint64_t>& subset) const;
};

class NotificationLog {
 public:
  struct Options {
    std::string path;  // RocksDB directory; empty = in-memory only
    absl::Duration retention = absl::Hours(120);
    const common::Clock* clock = nullptr;  // required
  };
  // Opens (and loads) the log; expired entries are dropped on load.
  static absl::StatusOr<std::unique_ptr<NotificationLog>> Open(const Options& opts);
  ~NotificationLog();

  // Records a notification at clock->Now() with expiry now+retention. Keeps an
  // existing entry whose timestamp is newer. In RocksDB's log before
  // returning (survives a crash of the process; not fsynced).
  absl::Status Log(const NflogReceiver& r, std::string_view group_key, std::vector<uint64_t> firing,
                   std::vector<uint64_t> resolved);
  // The entry for (group_key, receiver), if any. Thread-safe.
  std::optional<NflogEntry> Query(std::string_view group_key, const NflogReceiver& r) const;
  // Removes entries whose expires_at is before now; returns how many.
  absl::StatusOr<int> GC();
  size_t Size() const;

 private:
  NotificationLog() = default;
  static std::string StateKey(std::string_view group_key, const NflogReceiver& r);
  Options opts_;
  std::unique_ptr<rocksdb::DB> db_;
  mutable std::mutex mu_;
  std::mutex write_mu_;  // one RocksDB writer at a time (Log)
  std::map<std::string, NflogEntry> st_;  // GUARDED_BY(mu_)
};

}  // namespace omni::alerting
