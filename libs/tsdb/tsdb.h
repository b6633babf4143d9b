// The collector's durable time-series database on RocksDB. Implements
// storage::Storage (appenders and queriers) and adds what the collector's HTTP
// and gRPC APIs need: snapshots, series deletion, cardinality statistics,
// chunk-level reads for the remote Select, and counters for self metrics.
//
// Model (see docs/format/keys.md and docs/format/chunks.md):
//  * A series is identified by its sorted label set and gets a SeriesRef.
//    Label strings are interned; an in-memory inverted index maps each
//    label pair to the sorted refs of the series carrying it.
//  * Each series has one in-memory head chunk (XOR encoded). Every
//    Appender::Commit writes one compact WAL record into RocksDB (its WAL,
//    sync=false: survives kill -9 of the process); a full head chunk (120
//    samples, or a time-bucket boundary, or older than max_head_chunk_age) is
//    written to RocksDB as an immutable chunk, and WAL records whose samples
//    all live in persisted chunks are deleted by RunMaintenance().
//  * Append semantics are Prometheus 2.42's (without out-of-order ingestion):
//    same timestamp and bit-identical value is silently ignored, same
//    timestamp with another value is kDuplicate, older than the series' newest
//    sample is kOutOfOrder, older than (head max time - 1h) is kOutOfBounds.
//
// Example:
//   TsdbOptions opts;
//   opts.path = "/data";
//   opts.retention_time = absl::Hours(24 * 15);
//   OMNI_ASSIGN_OR_RETURN(std::unique_ptr<Tsdb> db, Tsdb::Open(opts));
//   auto app = db->NewAppender();
//   OMNI_ASSIGN_OR_RETURN(storage::SeriesRef ref, app->Append(0, labels, t, v));
//   OMNI_RETURN_IF_ERROR(app->Commit());
//   OMNI_ASSIGN_OR_RETURN(auto q, db->NewQuerier(mint, maxt));
//   auto set = q->Select(true, {}, matchers);
//   ...
//   OMNI_RETURN_IF_ERROR(db->Close());
//
// Thread-safety: Tsdb is thread-safe. Each Appender and Querier must be used
// by one thread at a time; any number of them may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/model/labels.h"
#include "libs/model/matcher.h"
#include "libs/storage/storage.h"
#include "libs/tsdb/chunkenc.h"

namespace omni::tsdb {

struct TsdbOptions {
  // Directory of the RocksDB database; created when missing.
  std::string path;
  // Chunks whose time bucket ends before (newest sample - retention_time) are
  // deleted by RunMaintenance. Zero disables time retention.
  absl::Duration retention_time = absl::Hours(24 * 15);
  // When the database is larger than this, the oldest time buckets are deleted
  // until it fits (the newest bucket is never deleted). Zero disables.
  int64_t retention_size_bytes = 0;
  // Width of the time buckets chunks are grouped by (the unit of retention,
  // and a head chunk never spans two buckets). Like Prometheus's 2h blocks.
  int64_t bucket_duration_ms = 2 * 3600 * 1000;
  // A head chunk is persisted when it holds this many samples.
  int max_samples_per_chunk = 120;
  // A head chunk whose first sample is older than (newest sample - this) is
  // persisted by RunMaintenance even if not full, so that WAL records can be
  // deleted and idle series do not pin memory.
  int64_t max_head_chunk_age_ms = 10 * 60 * 1000;
  // Run RunMaintenance in a background thread this often; zero: never (tests
  // and tools call RunMaintenance themselves).
  absl::Duration maintenance_interval = absl::Minutes(1);
  // Niceness (0..19) added to the maintenance thread (head persistence,
  // retention), so that queries preempt it on busy cores.
  int background_nice = 0;
  // Offline backfill: accept samples older than the head's lower bound.
  bool allow_out_of_bounds = false;
  // RocksDB tuning.
  int64_t write_buffer_bytes = 16 << 20;
  int64_t block_cache_bytes = 32 << 20;
};

// Counters and gauges for self metrics (a consistent-enough snapshot of
// monotonic counters; read with Tsdb::Counters()).
struct TsdbCounters {
  int64_t samples_appended = 0;        // committed samples (after dedup)
  int64_t out_of_order_samples = 0;    // rejected: older than the series' newest sample
  int64_t duplicate_samples = 0;       // rejected: same timestamp, different value
  int64_t out_of_bounds_samples = 0;   // rejected: before the head's lower bound
  int64_t series_created = 0;
  int64_t series_removed = 0;
  int64_t chunks_persisted = 0;
  int64_t wal_records_written = 0;
  int64_t wal_records_deleted = 0;
  int64_t commits = 0;
  int64_t commit_failures = 0;
  int64_t compactions = 0;             // RocksDB compactions completed
  int64_t retention_buckets_deleted = 0;
  int64_t maintenance_runs = 0;
  // Gauges.
  int64_t head_series = 0;             // series currently known
  int64_t head_chunks = 0;             // non-empty head chunks
  int64_t rocksdb_size_bytes = 0;      // live SST files + memtables
  int64_t wal_pending_records = 0;     // WAL records not yet deleted
};

struct HeadStats {
  int64_t num_series = 0;
  model::Timestamp min_time = 0;  // oldest sample still stored (0 when empty)
  model::Timestamp max_time = 0;  // newest sample (0 when empty)
};

struct NameCount {
  std::string name;
  int64_t count = 0;
};

// What /api/v1/status/tsdb returns (Prometheus's TSDBStatus).
struct CardinalityStats {
  HeadStats head;
  int64_t num_label_pairs = 0;
  std::vector<NameCount> series_count_by_metric_name;
  std::vector<NameCount> label_value_count_by_label_name;
  std::vector<NameCount> memory_in_bytes_by_label_name;  // sum of len(value) x series, as Prometheus
  std::vector<NameCount> series_count_by_label_value_pair;  // "name=value"
};

// A series with its encoded chunks overlapping a time range, for remote readers.
struct ChunkSeries {
  model::Labels labels;
  std::vector<EncodedChunk> chunks;  // sorted by time, non-overlapping
};

// What the database holds, by record kind (a full scan; for tools).
struct StorageBreakdown {
  int64_t series_records = 0, series_bytes = 0;  // S and H records
  int64_t series = 0;                            // S records
  int64_t chunks = 0, chunk_bytes = 0, chunk_samples = 0;  // bytes: keys + values
  int64_t wal_records = 0, wal_bytes = 0, wal_samples = 0;
  int64_t other_records = 0, other_bytes = 0;
};

class Tsdb : public storage::Storage {
 public:
  // Opens (or creates) the database at options.path and replays the WAL
  // records of samples not yet in persisted chunks. Errors: InvalidArgument
  // for bad options, Internal/IOError-derived statuses from RocksDB.
  static absl::StatusOr<std::unique_ptr<Tsdb>> Open(const TsdbOptions& options);

  ~Tsdb() override;

  // storage::Appendable. The appender's Commit is durable against process
  // crashes once it returns OK.
  std::unique_ptr<storage::Appender> NewAppender() override = 0;
  // storage::Queryable. Queriers see committed samples; they may run while
  // appends happen.
  absl::StatusOr<std::unique_ptr<storage::Querier>> NewQuerier(model::Timestamp mint,
                                                              model::Timestamp maxt) override = 0;

  // Series matching all `matchers` with their chunks overlapping [mint, maxt],
  // sorted by labels. Tombstoned samples are removed (affected chunks are
  // re-encoded). Chunks decode with XorIterator.
  virtual absl::StatusOr<std::vector<ChunkSeries>> SelectChunks(
      model::Timestamp mint, model::Timestamp maxt, const std::vector<model::Matcher>& matchers) = 0;

  // Writes a consistent copy of the database into `dir` (which must not
  // exist) with rocksdb::Checkpoint (hard links) and brings the copy to its
  // steady state: the head chunks as of the copy are written into it as
  // chunks (unless `skip_head`), its WAL records deleted and it is compacted.
  // The live database is not changed (its heads stay open); commits wait
  // while the heads are copied. Then writes `dir`/meta.json with what the
  // copy holds (docs/format/keys.md). Takes seconds on a large database.
  // Errors: AlreadyExists, FailedPrecondition when closed, Internal.
  virtual absl::Status Snapshot(const std::string& dir, bool skip_head) = 0;

  // Marks samples in [mint, maxt] of every series matching `matchers` as
  // deleted (durable tombstones, hidden from reads at once).
  virtual absl::Status DeleteSeries(const std::vector<model::Matcher>& matchers,
                                    model::Timestamp mint, model::Timestamp maxt) = 0;
  // Rewrites the chunks covered by tombstones without the deleted samples,
  // drops the tombstones and removes series left without samples.
  virtual absl::Status CleanTombstones() = 0;

  // Retention, WAL truncation, persisting of old head chunks and garbage
  // collection of empty series. Runs on the background thread when
  // maintenance_interval > 0; callers may also run it (serialised inside).
  virtual absl::Status RunMaintenance() = 0;

  // Cardinality statistics over all series, or over the series matching any
  // of `match_sets` when non-empty. `limit` entries per top-N list.
  virtual CardinalityStats Stats(int limit,
                                 const std::vector<std::vector<model::Matcher>>& match_sets) = 0;
  // Scans the whole database (slow: for omniscopectl tsdb analyze).
  virtual absl::StatusOr<StorageBreakdown> ScanStorage() = 0;
  virtual HeadStats Head() const = 0;
  // Cost O(series) for the head_chunks gauge (a few ms at 200k series).
  virtual TsdbCounters Counters() const = 0;
  // Approximate heap bytes used by the head (series, symbols, index, chunks).
  virtual int64_t HeadMemoryBytes() const = 0;

  // Persists every head chunk, deletes the WAL records and closes RocksDB.
  // Appenders and queriers must be gone. Idempotent; the destructor calls it.
  virtual absl::Status Close() = 0;

  // For crash tests: stops using the database without persisting anything,
  // as if the process died (leaves RocksDB's files as they are).
  virtual void AbandonForTesting() = 0;
};

}  // namespace omni::tsdb
