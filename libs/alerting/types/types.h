// Core Alertmanager data types: Alert, Fingerprint and the alert status Marker
// (unprocessed / active / suppressed, silencedBy, inhibitedBy), as in
// Alertmanager 0.25 types/types.go and Prometheus's model.LabelSet.
//
// Example:
//   Alert a;
//   a.labels = model::Labels::FromPairs({{"alertname", "Down"}, {"job", "api"}});
//   a.starts_at = clock.Now();
//   Fingerprint fp = a.GetFingerprint();      // FNV-1a 64, as model.LabelSet.Fingerprint()
//   FingerprintString(fp);                    // "%016x"
//   a.ResolvedAt(clock.Now());                // false: ends_at is zero
//
//   Marker marker;
//   marker.SetInhibited(fp, {"0123456789abcdef"});
//   marker.Status(fp).state;                  // AlertState::kSuppressed
//
// "Zero" times (Go's time.Time{}) are represented by kZeroTime
// (absl::InfinitePast()), which sorts before every real time.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/alerting/types/annotations.h"
#include "libs/model/labels.h"

namespace omni::alerting {

inline constexpr absl::Time kZeroTime = absl::InfinitePast();
inline bool IsZeroTime(absl::Time t) { return t == kZeroTime; }

using Fingerprint = uint64_t;

// Prometheus's model.LabelSet.Fingerprint: FNV-1a 64 over the label names in
// sorted order, each name and value followed by the 0xff separator byte.
// The empty set hashes to the FNV offset basis.
Fingerprint LabelsFingerprint(const model::Labels& labels);
// Fingerprint.String(): 16 lower-case hex digits, zero-padded.
std::string FingerprintString(Fingerprint fp);

// Prometheus's model.LabelSet.String(): {a="b", c="d"} (Go %q quoting of values).
std::string LabelSetString(const model::Labels& labels);

// Prometheus's LabelSet.Before ordering: smaller sets first, then by the
// first differing (name, value) in the merged sorted name list.
bool LabelSetBefore(const model::Labels& a, const model::Labels& b);

// An alert as Alertmanager holds it (types.Alert = model.Alert + UpdatedAt/Timeout).
struct Alert {
  model::Labels labels;
  Annotations annotations;  // keeps empty values, unlike labels
  absl::Time starts_at = kZeroTime;
  absl::Time ends_at = kZeroTime;
  std::string generator_url;
  // When the alert was last received or changed; used for merging and for
  // "delete only if not modified" after a flush.
  absl::Time updated_at = kZeroTime;
  // True when ends_at was set by Alertmanager (resolve_timeout), not by the sender.
  bool timeout = false;

  Fingerprint GetFingerprint() const { return LabelsFingerprint(labels); }
  std::string Name() const { return std::string(labels.Get("alertname")); }
  // model.Alert.ResolvedAt: ends_at is set and not after `t`.
  bool ResolvedAt(absl::Time t) const { return !IsZeroTime(ends_at) && !(ends_at > t); }
  // "firing" or "resolved" at `now`.
  std::string_view StatusAt(absl::Time now) const { return ResolvedAt(now) ? "resolved" : "firing"; }

  // Alertmanager's Alert.Merge: combines an existing alert with a newer update
  // of the same fingerprint. The younger (by updated_at) wins, starts_at is the
  // earliest, ends_at follows AM's rules about timeouts and resolution.
  // `now` decides "resolved". Pure function.
  static Alert Merge(const Alert& a, const Alert& b, absl::Time now);
};

// What Alertmanager's API does to a received alert before storing it, at `now`:
// a missing starts_at becomes ends_at (or now), a missing ends_at becomes
// now + resolve_timeout with timeout=true, updated_at = now.
void PrepareReceivedAlert(Alert& alert, absl::Time now, absl::Duration resolve_timeout);

// model.Alert.Validate: InvalidArgument "start time missing",
// "start time must be before end time", "invalid label set: invalid name \"x-y\"",
// "at least one label pair required", "invalid annotations: invalid name \"x-y\"".
// Annotation names must be valid label names as in AM 0.25; empty annotation
// values are valid.
absl::Status ValidateAlert(const Alert& alert);

// Sorts like Alertmanager's AlertSlice: by labels job, then instance (present
// before absent), then LabelSetBefore.
void SortAlerts(std::vector<Alert>& alerts);

enum class AlertState { kUnprocessed, kActive, kSuppressed };
std::string_view AlertStateString(AlertState s);  // "unprocessed", "active", "suppressed"

struct AlertStatus {
  AlertState state = AlertState::kUnprocessed;
  std::vector<std::string> silenced_by;   // active silence IDs, sorted
  std::vector<std::string> inhibited_by;  // fingerprints (%016x) of inhibiting alerts
  std::vector<std::string> pending_silences;  // internal: pending silences that match
  int64_t silences_version = 0;               // internal: silences version when computed
};

// Marker tracks the status of every alert by fingerprint (types.MemMarker).
// Thread-safe.
class Marker {
 public:
  // Records the silences that currently mute `fp`. The alert becomes
  // suppressed when `active_ids` or its inhibitors are non-empty, else active.
  void SetSilenced(Fingerprint fp, int64_t version, std::vector<std::string> active_ids,
                   std::vector<std::string> pending_ids);
  // Records the alerts that inhibit `fp` (empty clears).
  void SetInhibited(Fingerprint fp, std::vector<std::string> ids);
  // Marks `fp` active without silences/inhibitions.
  void SetActive(Fingerprint fp);
  // Status of `fp`; kUnprocessed when never marked.
  AlertStatus Status(Fingerprint fp) const;
  void Delete(Fingerprint fp);
  // Number of alerts in `state` (all when called with no filter).
  size_t Count(AlertState state) const;
  bool Unprocessed(Fingerprint fp) const { return Status(fp).state == AlertState::kUnprocessed; }
  bool Active(Fingerprint fp) const { return Status(fp).state == AlertState::kActive; }

 private:
  static void Recompute(AlertStatus& s);
  mutable std::mutex mu_;
  absl::flat_hash_map<Fingerprint, AlertStatus> m_;
};

// A Muter decides whether notifications for a label set are suppressed
// (inhibition, silences). Implementations update a Marker as a side effect.
class Muter {
 public:
  virtual ~Muter() = default;
  virtual bool Mutes(const model::Labels& labels) = 0;
};

}  // namespace omni::alerting
