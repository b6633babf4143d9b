#include "libs/tsdb/tsdb.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "libs/common/logging.h"
#include "libs/common/thread_priority.h"
#include "libs/common/status_macros.h"
#include "libs/tsdb/internal/index.h"
#include "libs/tsdb/internal/keys.h"
#include "libs/tsdb/internal/postings.h"
#include "libs/tsdb/status_util.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/listener.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"

namespace omni::tsdb {
namespace {

using internal::Interval;
using internal::Postings;
using model::Timestamp;

constexpr int kStripes = 256;  // power of two
constexpr int64_t kNoBucket = std::numeric_limits<int64_t>::min();

// A one-byte lock for the per-series state; contention is rare (one scrape
// loop writes a series, queries copy the head chunk briefly).
class SpinLock {
 public:
  void lock() {
    while (flag_.exchange(true, std::memory_order_acquire)) {
      while (flag_.load(std::memory_order_relaxed)) std::this_thread::yield();
    }
  }
  void unlock() { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

// The newest persisted chunk of a series, kept in memory from its cut until
// the next one: queries of the last minutes (rate[5m] just after a cut) then
// read it without RocksDB, as Prometheus reads its head's m-mapped chunks.
struct RecentChunk {
  int64_t min_time = 0;  // max time is the series' persisted_max_time
  std::string data;
};

// One series in memory. Labels are interned ids; the head chunk and the most
// recently cut chunk are the only sample data kept in memory.
struct MemSeries {
  // Hot on every append (kept together in the first cache lines).
  SpinLock mu;
  uint16_t pending = 0;                    // appended, not yet committed samples (guarded by mu)
  uint16_t num_ids = 0;
  // persisted_last_value is the value at persisted_max_time, remembered when
  // the head chunk is cut (not known after a restart until the next cut, nor
  // after tombstones are cleaned). Guarded by mu.
  bool persisted_last_known = false;
  int64_t max_time = model::kMinTime;      // newest committed sample (guarded by mu)
  double last_value = 0;                   // (guarded by mu)
  XorAppender head;                        // current head chunk (guarded by mu)
  int64_t head_bucket = 0;                 // (guarded by mu)
  uint64_t ref = 0;
  // Colder state; all guarded by mu except the immutable identity fields.
  int64_t head_min_time = 0;               // valid when head.num_samples() > 0
  uint64_t head_first_seq = 0;             // oldest WAL record with samples in `head`
  int64_t min_time = model::kMaxTime;      // oldest sample stored (approximate after retention)
  int64_t persisted_max_time = model::kMinTime;
  double persisted_last_value = 0;
  int64_t first_bucket = kNoBucket;        // buckets holding persisted chunks
  int64_t last_bucket = kNoBucket;
  // The chunk cut last, as persisted. Null after a restart, for series whose
  // head was persisted for age or tombstones, and once retention or
  // clean_tombstones changed the persisted chunks.
  std::unique_ptr<RecentChunk> recent;
  uint64_t hash = 0;
  MemSeries* hash_next = nullptr;          // collision chain in the hash stripe
  std::unique_ptr<uint32_t[]> label_ids;   // name, value, name, value, ... (immutable)

  bool HasHead() const { return head.num_samples() > 0; }
  bool HasPersisted() const { return last_bucket != kNoBucket; }
};

// Dense ref -> series lookup for the append hot path (refs are dense
// integers): one cache miss instead of a hash probe. Entries are written under
// the ref stripe's exclusive lock and read under its shared lock, which also
// keeps the series alive while used.
class RefTable {
 public:
  static constexpr int kBlockBits = 16;
  static constexpr uint64_t kMaxRef = uint64_t{1} << 32;
  RefTable() : blocks_(new std::atomic<std::atomic<MemSeries*>*>[kMaxRef >> kBlockBits]) {
    for (uint64_t i = 0; i < (kMaxRef >> kBlockBits); ++i) blocks_[i].store(nullptr, std::memory_order_relaxed);
  }
  ~RefTable() {
    for (uint64_t i = 0; i < (kMaxRef >> kBlockBits); ++i) delete[] blocks_[i].load();
  }
  // False when `ref` is beyond the table (then callers use the stripe map).
  bool Covers(uint64_t ref) const { return ref < kMaxRef; }
  MemSeries* Get(uint64_t ref) const {
    auto* block = blocks_[ref >> kBlockBits].load(std::memory_order_acquire);
    return block == nullptr ? nullptr : block[ref & ((1u << kBlockBits) - 1)].load(std::memory_order_acquire);
  }
  void Set(uint64_t ref, MemSeries* s) {
    auto& slot = blocks_[ref >> kBlockBits];
    auto* block = slot.load(std::memory_order_acquire);
    if (block == nullptr) {
      std::lock_guard lock(mu_);
      block = slot.load(std::memory_order_acquire);
      if (block == nullptr) {
        block = new std::atomic<MemSeries*>[1u << kBlockBits];
        for (uint32_t i = 0; i < (1u << kBlockBits); ++i) block[i].store(nullptr, std::memory_order_relaxed);
        slot.store(block, std::memory_order_release);
      }
    }
    block[ref & ((1u << kBlockBits) - 1)].store(s, std::memory_order_release);
  }

 private:
  std::mutex mu_;
  std::unique_ptr<std::atomic<std::atomic<MemSeries*>*>[]> blocks_;
};

// A head chunk cut from a series and waiting to be written.
struct CutChunk {
  uint64_t ref;
  int64_t bucket;
  int64_t min_time;
  int64_t max_time;
  std::string data;
  internal::SeriesMeta meta;
  bool write_meta;  // the series' bucket range changed: rewrite its H record
};

// Tracks WAL sequence numbers that must not be deleted yet: records of
// commits in flight and of head chunks cut but not yet written.
class WalPins {
 public:
  uint64_t Begin() {
    std::lock_guard lock(mu_);
    uint64_t seq = next_seq_++;
    pins_.insert(seq);
    return seq;
  }
  // Pins the next sequence number without consuming it (for cuts outside
  // a commit: maintenance, tombstone cleaning, replay).
  uint64_t PinNext() {
    std::lock_guard lock(mu_);
    pins_.insert(next_seq_);
    return next_seq_;
  }
  // Moves a pin down to `seq` (never up).
  void Lower(uint64_t* pin, uint64_t seq) {
    if (seq >= *pin) return;
    std::lock_guard lock(mu_);
    pins_.erase(pins_.find(*pin));
    pins_.insert(seq);
    *pin = seq;
  }
  void End(uint64_t pin) {
    std::lock_guard lock(mu_);
    pins_.erase(pins_.find(pin));
  }
  uint64_t Min() const {
    std::lock_guard lock(mu_);
    return pins_.empty() ? next_seq_ : std::min(*pins_.begin(), next_seq_);
  }
  uint64_t next() const {
    std::lock_guard lock(mu_);
    return next_seq_;
  }
  void SetNext(uint64_t seq) {
    std::lock_guard lock(mu_);
    next_seq_ = seq;
  }

 private:
  mutable std::mutex mu_;
  uint64_t next_seq_ = 1;
  std::multiset<uint64_t> pins_;
};

class CompactionCounter : public rocksdb::EventListener {
 public:
  void OnCompactionCompleted(rocksdb::DB*, const rocksdb::CompactionJobInfo&) override {
    count.fetch_add(1, std::memory_order_relaxed);
  }
  std::atomic<int64_t> count{0};
};

struct AtomicCounters {
  std::atomic<int64_t> samples_appended{0}, out_of_order{0}, duplicate{0}, out_of_bounds{0},
      series_created{0}, series_removed{0}, chunks_persisted{0}, wal_records_written{0},
      wal_records_deleted{0}, commits{0}, commit_failures{0}, retention_buckets_deleted{0},
      maintenance_runs{0};
};

void AtomicMax(std::atomic<int64_t>* a, int64_t v) {
  int64_t cur = a->load(std::memory_order_relaxed);
  while (v > cur && !a->compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}
void AtomicMin(std::atomic<int64_t>* a, int64_t v) {
  int64_t cur = a->load(std::memory_order_relaxed);
  while (v < cur && !a->compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

// What a query reads of each series.
enum class LoadMode {
  kSamples,     // every sample in range
  kLabelsOnly,  // labels only (series in range)
  kLastSample,  // only the newest sample in range
};

// The RocksDB options of a TSDB directory: the live database and the copies
// Snapshot brings to their steady state.
rocksdb::Options RocksOptions(int64_t block_cache_bytes) {
  rocksdb::Options ro;
  ro.create_if_missing = true;
  ro.compression = rocksdb::kLZ4Compression;
  ro.bottommost_compression = rocksdb::kZSTD;
  ro.max_background_jobs = 2;
  // RocksDB preallocates each WAL file to ~1.1x the write buffer with
  // fallocate; on a small or idle collector that is tens of MB of disk that
  // holds nothing. Let the files grow with what is written instead.
  ro.allow_fallocate = false;
  ro.level_compaction_dynamic_level_bytes = true;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(static_cast<size_t>(block_cache_bytes));
  table.block_size = 16 * 1024;
  // Point reads (the newest persisted chunk of a series, by its known key)
  // skip files that do not hold the key; ~1.25 bytes per key on disk.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // ... and find the key inside a data block by a small hash table instead
  // of a binary search plus a scan of up to 16 keys.
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  ro.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return ro;
}

// What a database holds, by record kind (a full scan).
absl::StatusOr<StorageBreakdown> ScanDb(rocksdb::DB* db) {
  StorageBreakdown b;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    int64_t bytes = static_cast<int64_t>(it->key().size() + it->value().size());
    switch (it->key()[0]) {
      case internal::kSeriesPrefix:
        ++b.series;
        [[fallthrough]];
      case internal::kSeriesMetaPrefix:
        ++b.series_records;
        b.series_bytes += bytes;
        break;
      case internal::kChunkPrefix: {
        ++b.chunks;
        b.chunk_bytes += bytes;
        uint8_t enc;
        int64_t mint;
        std::string_view chunk;
        if (internal::DecodeChunkValue(std::string_view(it->value().data(), it->value().size()), &enc, &mint,
                                       &chunk) &&
            chunk.size() >= 2) {
          b.chunk_samples += (static_cast<uint8_t>(chunk[0]) << 8) | static_cast<uint8_t>(chunk[1]);
        }
        break;
      }
      case internal::kWalPrefix: {
        ++b.wal_records;
        b.wal_bytes += bytes;
        std::vector<internal::WalSample> samples;
        if (internal::DecodeWalRecord(std::string_view(it->value().data(), it->value().size()), &samples)) {
          b.wal_samples += static_cast<int64_t>(samples.size());
        }
        break;
      }
      default:
        ++b.other_records;
        b.other_bytes += bytes;
    }
  }
  OMNI_RETURN_IF_ERROR(FromRocksStatus(it->status(), "tsdb: scan"));
  return b;
}

// Samples of one series read for a query, already merged and filtered.
struct LoadedSeries {
  model::Labels labels;
  std::vector<model::Sample> samples;
};

// Persisted chunks of a Select's series read ahead in key (ref) order, so
// that a Select of many series reads each RocksDB block once instead of
// seeking series by series in label order.
struct ChunkReadAhead {
  // The selection is sparse: a series' newest persisted chunk is read by its
  // key (a point Get) rather than by walking the keys in order. LoadSeries
  // follows the same choice for the series read-ahead left to it.
  bool point_reads = false;
  // ref -> [begin, end) in `spans` (kSamples) or the index in `last` (kLastSample).
  absl::flat_hash_map<uint64_t, std::pair<uint32_t, uint32_t>> by_ref;
  std::vector<std::pair<size_t, size_t>> spans;  // offset and length of chunk bytes in `arena`
  std::string arena;
  std::vector<model::Sample> last;  // kLastSample: the newest persisted sample in range
};

// A sample accepted by Append, waiting for Commit.
struct PendingSample {
  MemSeries* series;
  uint64_t ref;  // copy of series->ref: encoding the WAL record does not touch the series
  Timestamp t;
  double v;
};

class RocksDbTsdb;

// Shared read state of a querier and the series sets it returned.
struct ReadContext {
  RocksDbTsdb* db;
  // Taken at the first read of persisted chunks: queries that the head
  // answers, and metadata queries, never touch RocksDB's DB mutex.
  const rocksdb::Snapshot* snapshot = nullptr;
  const rocksdb::Snapshot* Snapshot();
  std::unique_ptr<rocksdb::Iterator> it;
  std::string head_bytes;    // scratch copy of a head chunk (reused between series)
  std::string recent_bytes;  // ... and of a recent chunk
  // No key of `it` lies between gap_from and its position (see SeekForward).
  std::string gap_from;
  bool gap_exclusive = false;
  bool gap_valid = false;
  ~ReadContext();
};

class RocksDbTsdb final : public Tsdb {
 public:
  explicit RocksDbTsdb(const TsdbOptions& options) : options_(options), index_(&symbols_) {}
  ~RocksDbTsdb() override {
    absl::Status st = Close();
    if (!st.ok()) {
      OMNI_LOG(kError, "tsdb").Msg("Closing on destruction failed; leaking the database").Kv("err", st);
      (void)db_.release();
    }
  }

  absl::Status Init();

  std::unique_ptr<storage::Appender> NewAppender() override;
  absl::StatusOr<std::unique_ptr<storage::Querier>> NewQuerier(Timestamp mint, Timestamp maxt) override;
  absl::StatusOr<std::vector<ChunkSeries>> SelectChunks(
      Timestamp mint, Timestamp maxt, const std::vector<model::Matcher>& matchers) override;
  absl::Status Snapshot(const std::string& dir, bool skip_head) override;
  absl::Status DeleteSeries(const std::vector<model::Matcher>& matchers, Timestamp mint,
                            Timestamp maxt) override;
  absl::Status CleanTombstones() override;
  absl::Status RunMaintenance() override;
  CardinalityStats Stats(int limit, const std::vector<std::vector<model::Matcher>>& match_sets) override;
  absl::StatusOr<StorageBreakdown> ScanStorage() override;
  HeadStats Head() const override;
  TsdbCounters Counters() const override;
  int64_t HeadMemoryBytes() const override;
  absl::Status Close() override;
  void AbandonForTesting() override;

  // --- used by the appender and querier ---
  // Looks a series up by ref and, under its lock, checks that (t, v) is
  // appendable; on success marks one pending sample (unless the sample is an
  // identical duplicate: *identical). Null when the ref is unknown.
  MemSeries* AcquireByRef(uint64_t ref, Timestamp t, double v, absl::Status* st, bool* identical);
  absl::StatusOr<MemSeries*> AcquireByLabels(const model::Labels& labels, Timestamp t, double v,
                                             absl::Status* st, bool* identical);
  // REQUIRES: s->mu held. The check plus the pending mark.
  void Admit(MemSeries* s, Timestamp t, double v, absl::Status* st, bool* identical);
  // REQUIRES: s.mu held.
  absl::Status CheckAppendable(const MemSeries& s, Timestamp t, double v, bool* identical);
  void CountAppendError(storage::AppendError e);
  Timestamp MinValidTime() const;
  bool allow_out_of_bounds() const { return options_.allow_out_of_bounds; }
  absl::Status CommitSamples(const std::vector<PendingSample>& samples);
  void ReleasePending(MemSeries* s);

  absl::StatusOr<Postings> SelectRefs(const std::vector<model::Matcher>& matchers);
  // The refs of `refs` whose series have samples in [mint, maxt], ordered by
  // their label sets (as model::Labels::Compare orders them).
  std::vector<uint64_t> SortByLabels(const Postings& refs, Timestamp mint, Timestamp maxt);
  // Reads the samples of `ref` in [mint, maxt] (head + persisted, minus
  // tombstones). False when the series is gone or has no samples in range.
  // `ahead` (may be null) holds chunks read ahead for this Select.
  bool LoadSeries(ReadContext* ctx, uint64_t ref, Timestamp mint, Timestamp maxt, LoadMode mode,
                  const ChunkReadAhead* ahead, LoadedSeries* out, absl::Status* status);
  // Reads ahead, in ref order, the persisted chunks LoadSeries will need for
  // `refs` (ascending), up to a memory bound; the rest is read lazily.
  std::unique_ptr<ChunkReadAhead> ReadAhead(ReadContext* ctx, const Postings& refs, Timestamp mint,
                                            Timestamp maxt, LoadMode mode);
  absl::StatusOr<std::vector<std::string>> LabelValuesFor(const std::string& name,
                                                          const std::vector<model::Matcher>& matchers);
  absl::StatusOr<std::vector<std::string>> LabelNamesFor(const std::vector<model::Matcher>& matchers);
  rocksdb::DB* db() { return db_.get(); }
  std::atomic<int64_t> live_readers_{0};  // ReadContexts alive (they pin RocksDB state)

 private:
  struct RefStripe {
    std::shared_mutex mu;
    absl::flat_hash_map<uint64_t, std::unique_ptr<MemSeries>> series;
  };
  struct HashStripe {
    std::shared_mutex mu;
    absl::flat_hash_map<uint64_t, MemSeries*> by_hash;
  };
  RefStripe& ref_stripe(uint64_t ref) { return ref_stripes_[ref & (kStripes - 1)]; }
  // REQUIRES: rs.mu held (shared is enough); rs is ref_stripe(ref). Null when unknown.
  MemSeries* FindSeriesLocked(RefStripe& rs, uint64_t ref) const {
    if (ref_table_.Covers(ref)) return ref_table_.Get(ref);
    auto it = rs.series.find(ref);
    return it == rs.series.end() ? nullptr : it->second.get();
  }
  HashStripe& hash_stripe(uint64_t hash) { return hash_stripes_[hash & (kStripes - 1)]; }

  int64_t BucketOf(Timestamp t) const { return internal::FloorDiv(t, options_.bucket_duration_ms); }
  // REQUIRES: s.mu held. The buckets [*b0, *b1] whose persisted chunks a
  // Select in `mode` must read for `s`; false when the head chunk covers
  // [mint, maxt] (persisted chunks all precede the head) or none overlap.
  static bool LastSampleInMemory(const MemSeries& s, Timestamp maxt, LoadMode mode, bool has_tombstones);
  // *use_recent is set when nothing needs reading because s.recent holds
  // every persisted sample wanted.
  bool PersistedRange(const MemSeries& s, Timestamp mint, Timestamp maxt, LoadMode mode, bool has_tombstones,
                      int64_t* b0, int64_t* b1, bool* use_recent = nullptr) const;
  // REQUIRES: s.mu held. True when s.recent holds every persisted sample a
  // Select in `mode` wants from [mint, maxt]: older chunks end before it, and
  // there are none when it starts at the series' oldest sample (min_time
  // never exceeds the oldest sample stored).
  static bool RecentCovers(const MemSeries& s, Timestamp mint, Timestamp maxt, LoadMode mode, bool has_tombstones) {
    if (s.recent == nullptr) return false;
    if (s.recent->min_time <= std::max(mint, s.min_time)) return true;
    return mode == LoadMode::kLastSample && !has_tombstones && s.recent->min_time <= maxt;
  }
  // The key of a series' newest persisted chunk, when memory knows it.
  struct NewestChunk {
    bool known = false;
    int64_t bucket = 0;
    Timestamp max_time = 0;
    Timestamp series_min_time = 0;  // no sample of the series is older
  };
  // REQUIRES: s.mu held.
  static NewestChunk NewestChunkOf(const MemSeries& s) {
    return {s.HasPersisted() && s.persisted_last_known, s.last_bucket, s.persisted_max_time, s.min_time};
  }
  // The newest persisted chunk by its key, with a point Get (it stops at the
  // memtable or the newest file that holds the key, where a Seek positions
  // an iterator in every level). False when memory does not know the key or
  // the chunk is gone (retention); true with *status set on errors.
  bool GetNewestChunk(ReadContext* ctx, uint64_t ref, const NewestChunk& nc, rocksdb::PinnableSlice* value,
                      int64_t* chunk_min, std::string_view* chunk, absl::Status* status);
  // kSamples, once PersistedRange chose to read (so the newest persisted
  // sample is at or after mint): when the newest persisted chunk holds every
  // persisted sample in [mint, maxt] (it starts by mint, or nothing of the
  // series is older), passes it to fn (unless it starts after maxt) and
  // returns true; false when older chunks may be needed. Saves the Seek of a
  // sparse selection whose range lies within the newest chunk and the head.
  bool SamplesFromNewestChunk(ReadContext* ctx, uint64_t ref, const NewestChunk& nc, Timestamp mint, Timestamp maxt,
                              const std::function<absl::Status(std::string_view)>& fn, absl::Status* status);
  // kLastSample without tombstones, when maxt lies inside the newest
  // persisted chunk (an instant query a little behind the series' last cut):
  // reads that chunk with a point Get, since its key is known, instead of
  // positioning an iterator in every level. True when the chunk answers:
  // *last is the newest sample in [mint, maxt] (t == kMinTime: none), or
  // *status an error. False when an older chunk may hold the answer.
  bool LastSampleFromNewestChunk(ReadContext* ctx, uint64_t ref, const NewestChunk& nc, Timestamp mint,
                                 Timestamp maxt, model::Sample* last, absl::Status* status);
  // Positions ctx->it at the first key >= target (cheaply when targets come
  // in increasing order). ReadPersisted moves ctx->it only through these two.
  void SeekForward(ReadContext* ctx, const std::string& target);
  void StepForward(ReadContext* ctx);
  // Calls fn(chunk bytes) for every persisted chunk of `ref` in buckets
  // [b0, b1] that overlaps [mint, maxt], in time order.
  absl::Status ReadPersisted(ReadContext* ctx, uint64_t ref, int64_t b0, int64_t b1, Timestamp mint,
                             Timestamp maxt, const std::function<absl::Status(std::string_view)>& fn);
  // REQUIRES: s->mu held. Appends a committed sample; cuts the head chunk
  // into `cuts` first when it is full or the sample starts a new bucket.
  void ApplySample(MemSeries* s, Timestamp t, double v, uint64_t seq, uint64_t* pin,
                   std::vector<CutChunk>* cuts);
  // REQUIRES: s.mu held, s.HasHead(). The head chunk as it would be cut now,
  // with the series' bucket range after the cut; the series is not changed.
  static CutChunk HeadAsChunk(const MemSeries& s);
  // REQUIRES: s->mu held, s->HasHead().
  // keep_recent: the chunk stays in memory as s->recent (a cut by a new
  // sample); otherwise s->recent is dropped (a head persisted for age or
  // for tombstones: the series is idle or its chunks are about to change).
  void CutHead(MemSeries* s, uint64_t* pin, std::vector<CutChunk>* cuts, bool keep_recent);
  absl::Status WriteChunks(std::vector<CutChunk>* cuts);
  void InsertSeries(std::unique_ptr<MemSeries> s);
  absl::Status LoadFromDisk();
  absl::Status ReplayWal();
  absl::Status PersistAllHeads(bool only_old, Timestamp cutoff);
  absl::Status TruncateWal();
  absl::Status ApplyRetention();
  absl::Status DeleteBucketsBefore(int64_t bucket);
  absl::Status CollectGarbage();
  void RecomputeHeadMinTime();
  int64_t DbSizeBytes() const;
  std::vector<Interval> TombstonesOf(uint64_t ref) const;
  void ForEachSeries(const std::function<void(MemSeries*)>& fn);
  void MaintenanceLoop();

  TsdbOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::shared_ptr<CompactionCounter> compactions_ = std::make_shared<CompactionCounter>();
  rocksdb::WriteOptions write_options_;
  internal::SymbolTable symbols_;
  internal::PostingsIndex index_;
  mutable RefStripe ref_stripes_[kStripes];
  RefTable ref_table_;
  mutable HashStripe hash_stripes_[kStripes];
  std::atomic<uint64_t> next_ref_{1};
  std::mutex create_mu_;  // serialises writes of the max-ref meta key
  WalPins wal_pins_;
  std::atomic<uint64_t> wal_deleted_below_{1};  // WAL records < this are deleted (written under maintenance_mu_)
  std::atomic<int64_t> head_max_time_{model::kMinTime};
  std::atomic<int64_t> head_min_time_{model::kMaxTime};
  std::atomic<int64_t> num_series_{0};
  AtomicCounters counters_;

  mutable std::mutex tombstones_mu_;
  std::map<uint64_t, std::vector<Interval>> tombstones_;

  std::mutex maintenance_mu_;
  // Commits hold it shared from their WAL write to their chunk writes;
  // Snapshot holds it alone while it copies the heads and checkpoints, so the
  // copied heads and the checkpoint's WAL records and chunks agree. (An
  // absl::Mutex: a waiting writer holds back new readers, so a busy collector
  // cannot starve the snapshot.)
  absl::Mutex commit_gate_;
  std::thread maintenance_thread_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::atomic<bool> closed_{false};
};

const rocksdb::Snapshot* ReadContext::Snapshot() {
  if (snapshot == nullptr) snapshot = db->db()->GetSnapshot();
  return snapshot;
}

ReadContext::~ReadContext() {
  it.reset();
  if (snapshot != nullptr) db->db()->ReleaseSnapshot(snapshot);
  db->live_readers_.fetch_sub(1);
}

// ---------------------------------------------------------------------------
// Appender

// Appenders come and go once per scrape on the same few threads: each thread
// keeps one sample buffer for the next appender instead of growing a new one.
std::vector<PendingSample>& SpareSampleBuffer() {
  thread_local std::vector<PendingSample> spare;
  return spare;
}
constexpr size_t kMaxSpareSamples = 1 << 16;

class TsdbAppender final : public storage::Appender {
 public:
  explicit TsdbAppender(RocksDbTsdb* db) : db_(db), min_valid_time_(db->MinValidTime()) {
    samples_.swap(SpareSampleBuffer());
  }
  ~TsdbAppender() override {
    Rollback();
    std::vector<PendingSample>& spare = SpareSampleBuffer();
    if (samples_.capacity() <= kMaxSpareSamples && samples_.capacity() > spare.capacity()) samples_.swap(spare);
  }

  absl::StatusOr<storage::SeriesRef> Append(storage::SeriesRef ref, const model::Labels& labels,
                                            Timestamp t, double v) override {
    return AppendImpl(ref, &labels, t, v);
  }

  absl::StatusOr<storage::SeriesRef> AppendByRef(storage::SeriesRef ref, Timestamp t, double v) override {
    return AppendImpl(ref, nullptr, t, v);
  }

  absl::Status Commit() override {
    if (samples_.empty()) return absl::OkStatus();
    absl::Status st = db_->CommitSamples(samples_);
    samples_.clear();
    return st;
  }

  void Rollback() override {
    for (auto& p : samples_) db_->ReleasePending(p.series);
    samples_.clear();
  }

 private:
  // `labels` null: only by ref (NotFound when the ref is unknown).
  absl::StatusOr<storage::SeriesRef> AppendImpl(storage::SeriesRef ref, const model::Labels* labels, Timestamp t,
                                                double v) {
    if (!db_->allow_out_of_bounds() && t < min_valid_time_) {
      db_->CountAppendError(storage::AppendError::kOutOfBounds);
      return storage::MakeAppendError(storage::AppendError::kOutOfBounds);
    }
    bool identical = false;
    absl::Status st;
    MemSeries* s = ref != 0 ? db_->AcquireByRef(ref, t, v, &st, &identical) : nullptr;
    if (s == nullptr) {
      if (labels == nullptr) return absl::NotFoundError("unknown series ref");
      if (labels->empty()) return absl::InvalidArgumentError("empty labelset");
      OMNI_ASSIGN_OR_RETURN(s, db_->AcquireByLabels(*labels, t, v, &st, &identical));
      ref = s->ref;
    }
    if (!st.ok()) {
      db_->CountAppendError(storage::GetAppendError(st));
      return st;
    }
    if (!identical) samples_.push_back({s, ref, t, v});
    return ref;
  }

  RocksDbTsdb* db_;
  Timestamp min_valid_time_;
  std::vector<PendingSample> samples_;
};

// ---------------------------------------------------------------------------
// Querier

class LoadedSeriesView final : public storage::Series {
 public:
  const model::Labels& labels() const override { return data.labels; }
  std::unique_ptr<storage::SampleIterator> Iterator() const override {
    return std::make_unique<Iter>(&data.samples);
  }
  LoadedSeries data;

 private:
  class Iter final : public storage::SampleIterator {
   public:
    explicit Iter(const std::vector<model::Sample>* s) : s_(s) {}
    bool Next() override {
      if (pos_ < static_cast<ptrdiff_t>(s_->size())) ++pos_;
      return pos_ < static_cast<ptrdiff_t>(s_->size());
    }
    bool Seek(Timestamp t) override {
      if (pos_ < 0) pos_ = 0;
      if (pos_ >= static_cast<ptrdiff_t>(s_->size())) return false;
      if ((*s_)[pos_].t >= t) return true;
      auto it = std::lower_bound(s_->begin() + pos_, s_->end(), t,
                                 [](const model::Sample& a, Timestamp b) { return a.t < b; });
      pos_ = it - s_->begin();
      return pos_ < static_cast<ptrdiff_t>(s_->size());
    }
    model::Sample At() const override { return (*s_)[pos_]; }
    size_t Fill(bool include_current, model::Sample* out, size_t n) override {
      ptrdiff_t size = static_cast<ptrdiff_t>(s_->size());
      ptrdiff_t from = include_current ? pos_ : pos_ + 1;
      if (from < 0 || from >= size || n == 0) {
        if (!include_current) pos_ = std::min(pos_ + 1, size);
        return 0;
      }
      size_t count = std::min(n, static_cast<size_t>(size - from));
      std::memcpy(out, s_->data() + from, count * sizeof(model::Sample));
      pos_ = from + static_cast<ptrdiff_t>(count) - 1;
      return count;
    }

   private:
    const std::vector<model::Sample>* s_;
    ptrdiff_t pos_ = -1;
  };
};

// Loads one series per Next, so memory stays bounded by the largest series.
class LazySeriesSet final : public storage::SeriesSet {
 public:
  LazySeriesSet(std::shared_ptr<ReadContext> ctx, std::vector<uint64_t> refs, Timestamp mint,
                Timestamp maxt, LoadMode mode, std::unique_ptr<ChunkReadAhead> ahead = nullptr)
      : ctx_(std::move(ctx)), refs_(std::move(refs)), mint_(mint), maxt_(maxt), mode_(mode),
        ahead_(std::move(ahead)) {}

  bool Next() override {
    while (pos_ < refs_.size()) {
      uint64_t ref = refs_[pos_++];
      if (ctx_->db->LoadSeries(ctx_.get(), ref, mint_, maxt_, mode_, ahead_.get(), &cur_.data, &status_)) {
        return true;
      }
      if (!status_.ok()) return false;
    }
    return false;
  }
  const storage::Series& At() const override { return cur_; }
  absl::Status status() const override { return status_; }

 private:
  std::shared_ptr<ReadContext> ctx_;
  std::vector<uint64_t> refs_;
  size_t pos_ = 0;
  Timestamp mint_ = 0, maxt_ = 0;
  LoadMode mode_ = LoadMode::kSamples;
  std::unique_ptr<ChunkReadAhead> ahead_;
  LoadedSeriesView cur_;
  absl::Status status_;
};

class TsdbQuerier final : public storage::Querier {
 public:
  TsdbQuerier(RocksDbTsdb* db, Timestamp mint, Timestamp maxt) : db_(db), mint_(mint), maxt_(maxt) {
    ctx_ = std::make_shared<ReadContext>();
    ctx_->db = db;
    db->live_readers_.fetch_add(1);
  }

  std::unique_ptr<storage::SeriesSet> Select(bool sorted, const storage::SelectHints& hints,
                                             const std::vector<model::Matcher>& matchers) override {
    auto refs = db_->SelectRefs(matchers);
    if (!refs.ok()) return storage::NewErrorSeriesSet(refs.status());
    // Only samples inside both the querier's range and the hinted one are
    // needed (last_sample_only relies on the hinted end).
    Timestamp mint = std::max(mint_, hints.start), maxt = std::min(maxt_, hints.end);
    LoadMode mode = hints.series_only        ? LoadMode::kLabelsOnly
                    : hints.last_sample_only ? LoadMode::kLastSample
                                             : LoadMode::kSamples;
    if (!sorted) return std::make_unique<LazySeriesSet>(ctx_, std::move(*refs), mint, maxt, mode);
    // Refs are in creation order: sort by labels first (metadata only, on
    // interned ids), then load samples lazily one series per Next. Many
    // series: their persisted chunks are read ahead in key order first.
    constexpr size_t kReadAheadMinSeries = 16;
    std::unique_ptr<ChunkReadAhead> ahead;
    if (mode != LoadMode::kLabelsOnly && refs->size() >= kReadAheadMinSeries) {
      ahead = db_->ReadAhead(ctx_.get(), *refs, mint, maxt, mode);
    }
    return std::make_unique<LazySeriesSet>(ctx_, db_->SortByLabels(*refs, mint, maxt), mint, maxt, mode,
                                           std::move(ahead));
  }

  absl::StatusOr<std::vector<std::string>> LabelValues(
      const std::string& name, const std::vector<model::Matcher>& matchers) override {
    return db_->LabelValuesFor(name, matchers);
  }
  absl::StatusOr<std::vector<std::string>> LabelNames(const std::vector<model::Matcher>& matchers) override {
    return db_->LabelNamesFor(matchers);
  }

 private:
  RocksDbTsdb* db_;
  Timestamp mint_, maxt_;
  std::shared_ptr<ReadContext> ctx_;
};

// ---------------------------------------------------------------------------
// RocksDbTsdb: open, series lookup, append.

absl::Status RocksDbTsdb::Init() {
  if (options_.path.empty()) return absl::InvalidArgumentError("tsdb: empty path");
  if (options_.bucket_duration_ms <= 0) return absl::InvalidArgumentError("tsdb: bucket_duration_ms must be > 0");
  if (options_.max_samples_per_chunk <= 0 || options_.max_samples_per_chunk > 65535) {
    return absl::InvalidArgumentError("tsdb: max_samples_per_chunk must be in [1, 65535]");
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.path, ec);
  if (ec) return absl::InternalError(absl::StrCat("tsdb: creating ", options_.path, ": ", ec.message()));

  // Compactions run at a low CPU priority: on a busy machine they wait for
  // queries and scrapes instead of competing with them (flushes, which
  // writes wait for, keep theirs).
  rocksdb::Env::Default()->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW, rocksdb::CpuPriority::kLow)
      .PermitUncheckedError();
  rocksdb::Options ro = RocksOptions(options_.block_cache_bytes);
  ro.write_buffer_size = static_cast<size_t>(options_.write_buffer_bytes);
  ro.listeners.push_back(compactions_);
  rocksdb::DB* raw = nullptr;
  OMNI_RETURN_IF_ERROR(FromRocksStatus(rocksdb::DB::Open(ro, options_.path, &raw), "tsdb: open"));
  db_.reset(raw);
  write_options_.sync = false;

  std::string format;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), std::string(internal::kMetaFormat), &format);
  if (s.IsNotFound()) {
    OMNI_RETURN_IF_ERROR(FromRocksStatus(db_->Put(write_options_, std::string(internal::kMetaFormat), "1"),
                                         "tsdb: write format"));
  } else if (!s.ok()) {
    return FromRocksStatus(s, "tsdb: read format");
  } else if (format != "1") {
    return absl::FailedPreconditionError(absl::StrCat("tsdb: unsupported format version ", format));
  }
  OMNI_RETURN_IF_ERROR(LoadFromDisk());
  OMNI_RETURN_IF_ERROR(ReplayWal());
  if (options_.maintenance_interval > absl::ZeroDuration()) {
    maintenance_thread_ = std::thread([this] { MaintenanceLoop(); });
  }
  return absl::OkStatus();
}

void RocksDbTsdb::InsertSeries(std::unique_ptr<MemSeries> s) {
  MemSeries* raw = s.get();
  {
    HashStripe& hs = hash_stripe(raw->hash);
    std::unique_lock lock(hs.mu);
    auto [it, inserted] = hs.by_hash.emplace(raw->hash, raw);
    if (!inserted) {
      raw->hash_next = it->second;
      it->second = raw;
    }
  }
  {
    RefStripe& rs = ref_stripe(raw->ref);
    std::unique_lock lock(rs.mu);
    if (ref_table_.Covers(raw->ref)) ref_table_.Set(raw->ref, raw);
    rs.series.emplace(raw->ref, std::move(s));
  }
  index_.Add(raw->ref, raw->label_ids.get(), raw->num_ids);
  num_series_.fetch_add(1, std::memory_order_relaxed);
}

absl::Status RocksDbTsdb::LoadFromDisk() {
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  uint64_t max_ref = 0;
  std::string max_ref_value;
  if (db_->Get(ro, std::string(internal::kMetaMaxRef), &max_ref_value).ok() && max_ref_value.size() == 8) {
    max_ref = internal::GetBE64(max_ref_value.data());
  }
  // Series.
  for (it->Seek(std::string(1, internal::kSeriesPrefix));
       it->Valid() && it->key().size() == 9 && it->key()[0] == internal::kSeriesPrefix; it->Next()) {
    uint64_t ref = internal::GetBE64(it->key().data() + 1);
    model::Labels labels;
    if (!internal::DecodeLabels(std::string_view(it->value().data(), it->value().size()), &labels)) {
      return absl::DataLossError(absl::StrCat("tsdb: corrupt series record ", ref));
    }
    auto s = std::make_unique<MemSeries>();
    s->ref = ref;
    s->hash = labels.Hash();
    s->num_ids = static_cast<uint16_t>(labels.size() * 2);
    s->label_ids.reset(new uint32_t[s->num_ids]);
    for (size_t i = 0; i < labels.size(); ++i) {
      s->label_ids[2 * i] = symbols_.Intern(labels[i].name);
      s->label_ids[2 * i + 1] = symbols_.Intern(labels[i].value);
    }
    max_ref = std::max(max_ref, ref);
    InsertSeries(std::move(s));
  }
  OMNI_RETURN_IF_ERROR(FromRocksStatus(it->status(), "tsdb: load series"));
  next_ref_.store(max_ref + 1);
  // The oldest chunk: buckets before it were deleted by retention.
  int64_t oldest_bucket = kNoBucket;
  it->Seek(std::string(1, internal::kChunkPrefix));
  if (it->Valid() && it->key().size() == 25 && it->key()[0] == internal::kChunkPrefix) {
    internal::ChunkKeyParts parts;
    internal::ParseChunkKey(std::string_view(it->key().data(), it->key().size()), &parts);
    oldest_bucket = parts.bucket;
    uint8_t enc;
    int64_t mint;
    std::string_view chunk;
    if (internal::DecodeChunkValue(std::string_view(it->value().data(), it->value().size()), &enc, &mint, &chunk)) {
      AtomicMin(&head_min_time_, mint);
    }
  }
  std::unique_ptr<rocksdb::Iterator> chunk_it(db_->NewIterator(ro));
  // Series metadata (persisted chunk bounds).
  for (it->Seek(std::string(1, internal::kSeriesMetaPrefix));
       it->Valid() && it->key().size() == 9 && it->key()[0] == internal::kSeriesMetaPrefix; it->Next()) {
    uint64_t ref = internal::GetBE64(it->key().data() + 1);
    internal::SeriesMeta meta;
    if (!internal::DecodeSeriesMeta(std::string_view(it->value().data(), it->value().size()), &meta)) {
      return absl::DataLossError(absl::StrCat("tsdb: corrupt series meta ", ref));
    }
    RefStripe& rs = ref_stripe(ref);
    auto found = rs.series.find(ref);
    if (found == rs.series.end()) continue;
    MemSeries* s = found->second.get();
    s->persisted_max_time = meta.persisted_max_time;
    if (meta.has_chunks && oldest_bucket != kNoBucket && meta.last_bucket >= oldest_bucket) {
      // The newest chunk is the last key of the series in its last bucket.
      std::string prefix = internal::ChunkSeriesPrefix(meta.last_bucket, ref);
      chunk_it->SeekForPrev(prefix + std::string(8, '\xff'));
      if (chunk_it->Valid() && chunk_it->key().starts_with(prefix)) {
        internal::ChunkKeyParts parts;
        internal::ParseChunkKey(std::string_view(chunk_it->key().data(), chunk_it->key().size()), &parts);
        s->persisted_max_time = std::max(s->persisted_max_time, parts.max_time);
        s->first_bucket = std::max(meta.first_bucket, oldest_bucket);
        s->last_bucket = meta.last_bucket;
        s->min_time = std::min(s->min_time, s->first_bucket * options_.bucket_duration_ms);
      }
      // Otherwise retention deleted all its chunks: the series holds no data.
    }
    s->max_time = std::max(s->max_time, s->persisted_max_time);
    AtomicMax(&head_max_time_, s->max_time);
  }
  OMNI_RETURN_IF_ERROR(FromRocksStatus(it->status(), "tsdb: load series meta"));
  // Tombstones.
  for (it->Seek(std::string(1, internal::kTombstonePrefix));
       it->Valid() && it->key().size() == 9 && it->key()[0] == internal::kTombstonePrefix; it->Next()) {
    uint64_t ref = internal::GetBE64(it->key().data() + 1);
    std::vector<Interval> ivs;
    if (internal::DecodeIntervals(std::string_view(it->value().data(), it->value().size()), &ivs)) {
      tombstones_[ref] = std::move(ivs);
    }
  }
  return FromRocksStatus(it->status(), "tsdb: load tombstones");
}

absl::Status RocksDbTsdb::ReplayWal() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  std::vector<internal::WalSample> samples;
  std::vector<CutChunk> cuts;
  uint64_t first_seq = 0, last_seq = 0;
  int64_t replayed = 0;
  for (it->Seek(std::string(1, internal::kWalPrefix));
       it->Valid() && it->key().size() == 9 && it->key()[0] == internal::kWalPrefix; it->Next()) {
    uint64_t seq = internal::GetBE64(it->key().data() + 1);
    if (first_seq == 0) first_seq = seq;
    last_seq = seq;
    samples.clear();
    if (!internal::DecodeWalRecord(std::string_view(it->value().data(), it->value().size()), &samples)) {
      OMNI_LOG(kWarn, "tsdb").Msg("Skipping corrupt WAL record").Kv("seq", absl::StrCat(seq));
      continue;
    }
    uint64_t pin = wal_pins_.PinNext();  // keeps the replayed records while chunks are cut
    for (const auto& ws : samples) {
      RefStripe& rs = ref_stripe(ws.ref);
      auto found = rs.series.find(ws.ref);
      if (found == rs.series.end()) continue;
      MemSeries* s = found->second.get();
      std::lock_guard lock(s->mu);
      if (s->max_time != model::kMinTime && ws.t <= s->max_time) continue;  // already persisted
      ApplySample(s, ws.t, ws.v, seq, &pin, &cuts);
      ++replayed;
    }
    if (cuts.size() > 1000) OMNI_RETURN_IF_ERROR(WriteChunks(&cuts));
    wal_pins_.End(pin);
  }
  OMNI_RETURN_IF_ERROR(FromRocksStatus(it->status(), "tsdb: replay WAL"));
  OMNI_RETURN_IF_ERROR(WriteChunks(&cuts));
  if (last_seq >= wal_pins_.next()) wal_pins_.SetNext(last_seq + 1);
  wal_deleted_below_ = first_seq == 0 ? wal_pins_.next() : first_seq;
  counters_.samples_appended.store(0);
  if (replayed > 0) {
    OMNI_LOG(kInfo, "tsdb").Msg("WAL replay complete").Kv("samples", absl::StrCat(replayed))
        .Kv("records", absl::StrCat(last_seq - first_seq + 1));
  }
  return absl::OkStatus();
}

void RocksDbTsdb::Admit(MemSeries* s, Timestamp t, double v, absl::Status* st, bool* identical) {
  *st = CheckAppendable(*s, t, v, identical);
  if (st->ok() && !*identical) ++s->pending;
}

MemSeries* RocksDbTsdb::AcquireByRef(uint64_t ref, Timestamp t, double v, absl::Status* st, bool* identical) {
  RefStripe& rs = ref_stripe(ref);
  std::shared_lock lock(rs.mu);
  MemSeries* s;
  if (ref_table_.Covers(ref)) {
    s = ref_table_.Get(ref);
    if (s == nullptr) return nullptr;
  } else {
    auto it = rs.series.find(ref);
    if (it == rs.series.end()) return nullptr;
    s = it->second.get();
  }
  // Scrapes append a target's series in creation (ref) order: start loading
  // a later series while this one is checked (a prefetch never faults, even
  // if that series goes away meanwhile).
  if (ref_table_.Covers(ref + 2)) __builtin_prefetch(ref_table_.Get(ref + 2), 1);
  std::lock_guard slock(s->mu);
  Admit(s, t, v, st, identical);
  return s;
}

absl::StatusOr<MemSeries*> RocksDbTsdb::AcquireByLabels(const model::Labels& labels, Timestamp t, double v,
                                                        absl::Status* st, bool* identical) {
  uint64_t hash = labels.Hash();
  HashStripe& hs = hash_stripe(hash);
  auto find = [&]() -> MemSeries* {
    auto it = hs.by_hash.find(hash);
    if (it == hs.by_hash.end()) return nullptr;
    for (MemSeries* s = it->second; s != nullptr; s = s->hash_next) {
      if (symbols_.Equal(s->label_ids.get(), s->num_ids, labels)) return s;
    }
    return nullptr;
  };
  {
    std::shared_lock lock(hs.mu);
    if (MemSeries* s = find()) {
      std::lock_guard slock(s->mu);
      Admit(s, t, v, st, identical);
      return s;
    }
  }
  std::unique_lock lock(hs.mu);
  if (MemSeries* s = find()) {
    std::lock_guard slock(s->mu);
    Admit(s, t, v, st, identical);
    return s;
  }
  if (labels.size() > 30000) return absl::InvalidArgumentError("too many labels");
  auto s = std::make_unique<MemSeries>();
  s->ref = next_ref_.fetch_add(1);
  s->hash = hash;
  s->num_ids = static_cast<uint16_t>(labels.size() * 2);
  s->label_ids.reset(new uint32_t[s->num_ids]);
  for (size_t i = 0; i < labels.size(); ++i) {
    s->label_ids[2 * i] = symbols_.Intern(labels[i].name);
    s->label_ids[2 * i + 1] = symbols_.Intern(labels[i].value);
  }
  s->pending = 1;  // a new series accepts any sample
  *st = absl::OkStatus();
  *identical = false;
  // The series record must be durable before any WAL record refers to it.
  {
    rocksdb::WriteBatch batch;
    batch.Put(internal::SeriesKey(s->ref), internal::EncodeLabels(labels));
    std::lock_guard create_lock(create_mu_);
    std::string max_ref;
    internal::PutBE64(&max_ref, next_ref_.load() - 1);
    batch.Put(std::string(internal::kMetaMaxRef), max_ref);
    OMNI_RETURN_IF_ERROR(FromRocksStatus(db_->Write(write_options_, &batch), "tsdb: write series"));
  }
  MemSeries* raw = s.get();
  auto [it, inserted] = hs.by_hash.emplace(hash, raw);
  if (!inserted) {
    raw->hash_next = it->second;
    it->second = raw;
  }
  lock.unlock();
  {
    RefStripe& rs = ref_stripe(raw->ref);
    std::unique_lock rlock(rs.mu);
    if (ref_table_.Covers(raw->ref)) ref_table_.Set(raw->ref, raw);
    rs.series.emplace(raw->ref, std::move(s));
  }
  index_.Add(raw->ref, raw->label_ids.get(), raw->num_ids);
  num_series_.fetch_add(1, std::memory_order_relaxed);
  counters_.series_created.fetch_add(1, std::memory_order_relaxed);
  return raw;
}

void RocksDbTsdb::ReleasePending(MemSeries* s) {
  std::lock_guard lock(s->mu);
  --s->pending;
}

Timestamp RocksDbTsdb::MinValidTime() const {
  int64_t max = head_max_time_.load(std::memory_order_relaxed);
  if (max == model::kMinTime) return model::kMinTime;
  return max - options_.bucket_duration_ms / 2;
}

absl::Status RocksDbTsdb::CheckAppendable(const MemSeries& s, Timestamp t, double v, bool* identical) {
  *identical = false;
  if (s.max_time == model::kMinTime || t > s.max_time) return absl::OkStatus();
  if (t < s.max_time) return storage::MakeAppendError(storage::AppendError::kOutOfOrder);
  if (std::bit_cast<uint64_t>(v) != std::bit_cast<uint64_t>(s.last_value)) {
    return storage::MakeAppendError(storage::AppendError::kDuplicate);
  }
  *identical = true;
  return absl::OkStatus();
}

void RocksDbTsdb::CountAppendError(storage::AppendError e) {
  switch (e) {
    case storage::AppendError::kOutOfOrder: counters_.out_of_order.fetch_add(1, std::memory_order_relaxed); break;
    case storage::AppendError::kDuplicate: counters_.duplicate.fetch_add(1, std::memory_order_relaxed); break;
    case storage::AppendError::kOutOfBounds:
    case storage::AppendError::kTooOldSample:
      counters_.out_of_bounds.fetch_add(1, std::memory_order_relaxed);
      break;
    default: break;
  }
}

CutChunk RocksDbTsdb::HeadAsChunk(const MemSeries& s) {
  CutChunk c;
  c.ref = s.ref;
  c.bucket = s.head_bucket;
  c.min_time = s.head_min_time;
  c.max_time = s.head.last_time();
  c.data.assign(s.head.bytes());
  c.meta.persisted_max_time = std::max(s.persisted_max_time, c.max_time);
  c.meta.first_bucket = s.first_bucket == kNoBucket ? c.bucket : std::min(s.first_bucket, c.bucket);
  c.meta.last_bucket = s.last_bucket == kNoBucket ? c.bucket : std::max(s.last_bucket, c.bucket);
  c.meta.has_chunks = true;
  c.write_meta = c.meta.first_bucket != s.first_bucket || c.meta.last_bucket != s.last_bucket;
  return c;
}

void RocksDbTsdb::CutHead(MemSeries* s, uint64_t* pin, std::vector<CutChunk>* cuts, bool keep_recent) {
  // Pin the chunk's WAL records before the series stops reporting them.
  wal_pins_.Lower(pin, s->head_first_seq);
  CutChunk c = HeadAsChunk(*s);
  s->persisted_max_time = c.meta.persisted_max_time;
  s->persisted_last_known = c.max_time == s->persisted_max_time;
  s->persisted_last_value = s->head.last_value();
  s->first_bucket = c.meta.first_bucket;
  s->last_bucket = c.meta.last_bucket;
  size_t size = c.data.size();
  if (keep_recent) {
    // The head's buffer becomes the recent chunk; the next head grows its
    // own, so memory right after a cut is about what it was before.
    auto recent = std::make_unique<RecentChunk>();
    recent->min_time = c.min_time;
    recent->data = s->head.TakeBytes();
    s->recent = std::move(recent);
  } else {
    s->recent.reset();
    s->head.ResetWithCapacity(size);
  }
  cuts->push_back(std::move(c));
}

void RocksDbTsdb::ApplySample(MemSeries* s, Timestamp t, double v, uint64_t seq, uint64_t* pin,
                              std::vector<CutChunk>* cuts) {
  int64_t bucket = BucketOf(t);
  if (s->HasHead() && (s->head.num_samples() >= options_.max_samples_per_chunk || bucket != s->head_bucket)) {
    CutHead(s, pin, cuts, /*keep_recent=*/true);
  }
  if (!s->HasHead()) {
    s->head_min_time = t;
    s->head_bucket = bucket;
    s->head_first_seq = seq;
  }
  s->head.Append(t, v);
  s->max_time = t;
  s->last_value = v;
  if (t < s->min_time) s->min_time = t;
}

namespace {

// Writes cut chunks, and the H records of series whose bucket range changed.
absl::Status PutChunks(rocksdb::DB* db, const rocksdb::WriteOptions& wo, absl::Span<const CutChunk> cuts) {
  rocksdb::WriteBatch batch;
  for (const auto& c : cuts) {
    batch.Put(internal::ChunkKey(c.bucket, c.ref, c.max_time),
              internal::EncodeChunkValue(static_cast<uint8_t>(ChunkEncoding::kXor), c.min_time, c.data));
    // The H record only changes with the bucket range (every 2h per series):
    // the persisted max time is re-derived from the newest chunk key on open.
    if (c.write_meta) batch.Put(internal::SeriesMetaKey(c.ref), internal::EncodeSeriesMeta(c.meta));
  }
  return FromRocksStatus(db->Write(wo, &batch), "tsdb: write chunks");
}

}  // namespace

absl::Status RocksDbTsdb::WriteChunks(std::vector<CutChunk>* cuts) {
  if (cuts->empty()) return absl::OkStatus();
  absl::Status st = PutChunks(db_.get(), write_options_, *cuts);
  if (st.ok()) counters_.chunks_persisted.fetch_add(static_cast<int64_t>(cuts->size()), std::memory_order_relaxed);
  cuts->clear();
  return st;
}

absl::Status RocksDbTsdb::CommitSamples(const std::vector<PendingSample>& samples) {
  absl::ReaderMutexLock gate(&commit_gate_);
  thread_local internal::WalRecordEncoder encoder;
  encoder.Reset();
  for (const auto& p : samples) encoder.Add(p.ref, p.t, p.v);
  uint64_t seq = wal_pins_.Begin();
  uint64_t pin = seq;
  const std::string& record = encoder.Finish();
  rocksdb::WriteBatch batch(record.size() + 64);  // one allocation
  batch.Put(internal::WalKey(seq), record);
  absl::Status st = FromRocksStatus(db_->Write(write_options_, &batch), "tsdb: write WAL");
  if (!st.ok()) {
    wal_pins_.End(pin);
    for (const auto& p : samples) ReleasePending(p.series);
    counters_.commit_failures.fetch_add(1, std::memory_order_relaxed);
    return st;
  }
  counters_.wal_records_written.fetch_add(1, std::memory_order_relaxed);
  std::vector<CutChunk> cuts;
  int64_t appended = 0, ooo = 0, dup = 0;
  int64_t max_t = model::kMinTime, min_t = model::kMaxTime;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i + 4 < samples.size()) __builtin_prefetch(samples[i + 4].series);
    MemSeries* s = samples[i].series;
    Timestamp t = samples[i].t;
    double v = samples[i].v;
    std::lock_guard lock(s->mu);
    --s->pending;
    if (s->max_time != model::kMinTime && t <= s->max_time) {
      // Another appender committed a newer sample for this series meanwhile.
      if (t < s->max_time) {
        ++ooo;
      } else if (std::bit_cast<uint64_t>(v) != std::bit_cast<uint64_t>(s->last_value)) {
        ++dup;
      }
      continue;
    }
    ApplySample(s, t, v, seq, &pin, &cuts);
    ++appended;
    max_t = std::max(max_t, t);
    min_t = std::min(min_t, t);
  }
  st = WriteChunks(&cuts);
  wal_pins_.End(pin);
  AtomicMax(&head_max_time_, max_t);
  AtomicMin(&head_min_time_, min_t);
  counters_.samples_appended.fetch_add(appended, std::memory_order_relaxed);
  if (ooo) counters_.out_of_order.fetch_add(ooo, std::memory_order_relaxed);
  if (dup) counters_.duplicate.fetch_add(dup, std::memory_order_relaxed);
  counters_.commits.fetch_add(1, std::memory_order_relaxed);
  // The samples are visible and in the WAL, but their chunk is not on disk:
  // report the (disk) error; a crash before the next successful write of the
  // series' chunk may lose them once the WAL record is truncated.
  if (!st.ok()) {
    counters_.commit_failures.fetch_add(1, std::memory_order_relaxed);
    return st;
  }
  return absl::OkStatus();
}

std::unique_ptr<storage::Appender> RocksDbTsdb::NewAppender() { return std::make_unique<TsdbAppender>(this); }

absl::StatusOr<std::unique_ptr<storage::Querier>> RocksDbTsdb::NewQuerier(Timestamp mint, Timestamp maxt) {
  if (closed_) return absl::FailedPreconditionError("tsdb: closed");
  return std::unique_ptr<storage::Querier>(new TsdbQuerier(this, mint, maxt));
}

// ---------------------------------------------------------------------------
// Reading

absl::StatusOr<Postings> RocksDbTsdb::SelectRefs(const std::vector<model::Matcher>& matchers) {
  return index_.Select(matchers);
}

std::vector<Interval> RocksDbTsdb::TombstonesOf(uint64_t ref) const {
  std::lock_guard lock(tombstones_mu_);
  auto it = tombstones_.find(ref);
  if (it == tombstones_.end()) return {};
  return it->second;
}

std::vector<uint64_t> RocksDbTsdb::SortByLabels(const Postings& refs, Timestamp mint, Timestamp maxt) {
  // Label ids of every series in range, copied under the stripe locks.
  struct Entry {
    uint64_t ref;
    size_t begin;
    size_t n;
  };
  std::vector<Entry> entries;
  entries.reserve(refs.size());
  std::vector<uint32_t> ids;
  for (uint64_t ref : refs) {
    RefStripe& rs = ref_stripe(ref);
    std::shared_lock lock(rs.mu);
    MemSeries* s = FindSeriesLocked(rs, ref);
    if (s == nullptr) continue;
    {
      std::lock_guard slock(s->mu);
      if (s->max_time == model::kMinTime || s->max_time < mint || s->min_time > maxt) continue;
    }
    entries.push_back({ref, ids.size(), s->num_ids});
    ids.insert(ids.end(), s->label_ids.get(), s->label_ids.get() + s->num_ids);
  }
  // Interned strings are equal exactly when their ids are, so the ids are
  // replaced by their strings' ranks among the distinct ids used, and series
  // compare as integer sequences (no string compare per comparison).
  // Lexicographic order of the (name, value, ...) sequences is Labels::Compare.
  constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  const size_t num_symbols = symbols_.size();
  const bool dense = num_symbols <= ids.size() * 4;
  std::vector<uint32_t> dense_slot(dense ? num_symbols : 0, kNone);
  absl::flat_hash_map<uint32_t, uint32_t> sparse_slot;
  std::vector<uint32_t> distinct;
  for (uint32_t& id : ids) {
    uint32_t& slot = dense ? dense_slot[id] : sparse_slot.try_emplace(id, kNone).first->second;
    if (slot == kNone) {
      slot = static_cast<uint32_t>(distinct.size());
      distinct.push_back(id);
    }
    id = slot;
  }
  std::vector<std::string_view> views;
  symbols_.Views(distinct, &views);
  std::vector<uint32_t> by_string(distinct.size());
  for (uint32_t i = 0; i < by_string.size(); ++i) by_string[i] = i;
  std::sort(by_string.begin(), by_string.end(), [&](uint32_t a, uint32_t b) { return views[a] < views[b]; });
  std::vector<uint32_t> rank(distinct.size());
  for (uint32_t r = 0; r < by_string.size(); ++r) rank[by_string[r]] = r;
  for (uint32_t& id : ids) id = rank[id];
  std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
    return std::lexicographical_compare(ids.begin() + static_cast<ptrdiff_t>(a.begin),
                                        ids.begin() + static_cast<ptrdiff_t>(a.begin + a.n),
                                        ids.begin() + static_cast<ptrdiff_t>(b.begin),
                                        ids.begin() + static_cast<ptrdiff_t>(b.begin + b.n));
  });
  std::vector<uint64_t> out;
  out.reserve(entries.size());
  for (const auto& e : entries) out.push_back(e.ref);
  return out;
}

// kLastSample without tombstones, when the head chunk is empty or starts
// after maxt: the answer is the newest persisted sample if it is at or before
// maxt (none if it is before mint), and the series remembers that sample from
// when its chunk was cut. Saves a RocksDB read per series for instant queries
// just after the head chunks were cut.
bool RocksDbTsdb::LastSampleInMemory(const MemSeries& s, Timestamp maxt, LoadMode mode, bool has_tombstones) {
  return mode == LoadMode::kLastSample && !has_tombstones && s.HasPersisted() && s.persisted_last_known &&
         s.persisted_max_time <= maxt && (!s.HasHead() || s.head_min_time > maxt);
}

bool RocksDbTsdb::PersistedRange(const MemSeries& s, Timestamp mint, Timestamp maxt, LoadMode mode,
                                 bool has_tombstones, int64_t* b0, int64_t* b1, bool* use_recent) const {
  if (mode == LoadMode::kLabelsOnly || !s.HasPersisted()) return false;
  // The newest sample is known in memory: nothing persisted is needed for it.
  if (LastSampleInMemory(s, maxt, mode, has_tombstones)) return false;
  if (s.HasHead()) {
    // The newest sample <= maxt is in the head when it starts by maxt (unless
    // tombstones may hide it); all samples >= mint are when it starts by mint.
    Timestamp covered_from = mode == LoadMode::kLastSample && !has_tombstones ? maxt : mint;
    if (s.head_min_time <= covered_from) return false;
  }
  if (s.persisted_max_time < mint) return false;
  if (RecentCovers(s, mint, maxt, mode, has_tombstones)) {
    if (use_recent != nullptr) *use_recent = true;
    return false;
  }
  *b0 = std::max(s.first_bucket, BucketOf(mint));
  *b1 = std::min(s.last_bucket, BucketOf(maxt));
  return *b0 <= *b1;
}

namespace {

const std::vector<Interval> kNoTombstones;

// Decodes a chunk's samples in [mint, maxt] newer than `*newest` and not
// tombstoned, calling add(sample) for each (in time order). Chunks come in
// time order, so decoding stops at the first sample past maxt.
template <typename Add>
absl::Status DecodeInRange(std::string_view chunk, Timestamp mint, Timestamp maxt,
                           const std::vector<Interval>& tomb, Timestamp* newest, Add&& add) {
  XorIterator xi(chunk);
  while (xi.Next()) {
    model::Sample smp = xi.At();
    if (smp.t > maxt) return absl::OkStatus();
    if (smp.t <= *newest || smp.t < mint) continue;
    if (!tomb.empty() && internal::IntervalsContain(tomb, smp.t)) continue;
    *newest = smp.t;
    add(smp);
  }
  return xi.status();
}

}  // namespace

bool RocksDbTsdb::GetNewestChunk(ReadContext* ctx, uint64_t ref, const NewestChunk& nc, rocksdb::PinnableSlice* value,
                                 int64_t* chunk_min, std::string_view* chunk, absl::Status* status) {
  if (!nc.known) return false;
  rocksdb::ReadOptions ro;
  ro.snapshot = ctx->Snapshot();
  const std::string key = internal::ChunkKey(nc.bucket, ref, nc.max_time);
  rocksdb::Status rs = db_->Get(ro, db_->DefaultColumnFamily(), key, value);
  if (rs.IsNotFound()) {
    // Cut after the querier's snapshot: memory already knows the chunk, so
    // read it as it is now (the snapshot would miss its samples).
    ro.snapshot = nullptr;
    value->Reset();
    rs = db_->Get(ro, db_->DefaultColumnFamily(), key, value);
    if (rs.IsNotFound()) return false;  // deleted by retention meanwhile
  }
  if (!rs.ok()) {
    *status = FromRocksStatus(rs, "tsdb: read chunk");
    return true;
  }
  uint8_t enc;
  if (!internal::DecodeChunkValue(std::string_view(value->data(), value->size()), &enc, chunk_min, chunk) ||
      enc != static_cast<uint8_t>(ChunkEncoding::kXor)) {
    *status = absl::DataLossError(absl::StrCat("tsdb: corrupt chunk of series ", ref));
  }
  return true;
}

bool RocksDbTsdb::LastSampleFromNewestChunk(ReadContext* ctx, uint64_t ref, const NewestChunk& nc, Timestamp mint,
                                            Timestamp maxt, model::Sample* last, absl::Status* status) {
  if (!nc.known || nc.max_time <= maxt) return false;
  rocksdb::PinnableSlice value;
  int64_t chunk_min;
  std::string_view chunk;
  if (!GetNewestChunk(ctx, ref, nc, &value, &chunk_min, &chunk, status)) return false;
  if (!status->ok()) return true;
  if (chunk_min > maxt) return false;
  // The chunk's newest sample in range is the answer: older chunks hold only
  // older samples (when it has none at or after mint, none is in range).
  *last = {model::kMinTime, 0};
  Timestamp newest = model::kMinTime;
  *status = DecodeInRange(chunk, mint, maxt, kNoTombstones, &newest, [&](const model::Sample& smp) { *last = smp; });
  return true;
}

bool RocksDbTsdb::SamplesFromNewestChunk(ReadContext* ctx, uint64_t ref, const NewestChunk& nc, Timestamp mint,
                                         Timestamp maxt, const std::function<absl::Status(std::string_view)>& fn,
                                         absl::Status* status) {
  if (!nc.known) return false;
  rocksdb::PinnableSlice value;
  int64_t chunk_min;
  std::string_view chunk;
  if (!GetNewestChunk(ctx, ref, nc, &value, &chunk_min, &chunk, status)) return false;
  if (!status->ok()) return true;
  if (chunk_min > mint && chunk_min != nc.series_min_time) return false;
  if (chunk_min <= maxt) *status = fn(chunk);
  return true;
}

void RocksDbTsdb::SeekForward(ReadContext* ctx, const std::string& target) {
  // ctx->gap_from: no key lies in [gap_from, current position) (or in
  // (gap_from, position) when exclusive). Targets at or after it are found
  // with a few Next()s when series are read in key order (read-ahead);
  // otherwise a Seek: a binary search in the memtables and every SST level.
  constexpr int kMaxSteps = 2;  // a failed walk costs its steps and the Seek
  rocksdb::Iterator* it = ctx->it.get();
  for (int steps = 0; ctx->gap_valid && steps < kMaxSteps && it->Valid(); ++steps) {
    int c = target.compare(ctx->gap_from);
    if (c < 0 || (c == 0 && ctx->gap_exclusive)) break;
    if (it->key().compare(rocksdb::Slice(target)) >= 0) return;
    StepForward(ctx);
  }
  it->Seek(target);
  ctx->gap_from = target;
  ctx->gap_exclusive = false;
  ctx->gap_valid = true;
}

void RocksDbTsdb::StepForward(ReadContext* ctx) {
  rocksdb::Slice key = ctx->it->key();
  ctx->gap_from.assign(key.data(), key.size());
  ctx->gap_exclusive = true;
  ctx->it->Next();
}

absl::Status RocksDbTsdb::ReadPersisted(ReadContext* ctx, uint64_t ref, int64_t b0, int64_t b1, Timestamp mint,
                                        Timestamp maxt,
                                        const std::function<absl::Status(std::string_view)>& fn) {
  if (!ctx->it) {
    rocksdb::ReadOptions ro;
    ro.snapshot = ctx->Snapshot();
    ctx->it.reset(db_->NewIterator(ro));
  }
  rocksdb::Iterator* it = ctx->it.get();
  for (int64_t b = b0; b <= b1; ++b) {
    std::string prefix = internal::ChunkSeriesPrefix(b, ref);
    std::string start = prefix;
    internal::PutBE64(&start, internal::OrderedBits(mint));
    for (SeekForward(ctx, start); it->Valid(); StepForward(ctx)) {
      rocksdb::Slice key = it->key();
      if (key.size() != 25 || std::memcmp(key.data(), prefix.data(), prefix.size()) != 0) break;
      uint8_t enc;
      int64_t chunk_min;
      std::string_view chunk;
      if (!internal::DecodeChunkValue(std::string_view(it->value().data(), it->value().size()), &enc, &chunk_min,
                                      &chunk) ||
          enc != static_cast<uint8_t>(ChunkEncoding::kXor)) {
        return absl::DataLossError(absl::StrCat("tsdb: corrupt chunk of series ", ref));
      }
      if (chunk_min > maxt) break;
      OMNI_RETURN_IF_ERROR(fn(chunk));
    }
    OMNI_RETURN_IF_ERROR(FromRocksStatus(it->status(), "tsdb: read chunks"));
  }
  return absl::OkStatus();
}


std::unique_ptr<ChunkReadAhead> RocksDbTsdb::ReadAhead(ReadContext* ctx, const Postings& refs, Timestamp mint,
                                                       Timestamp maxt, LoadMode mode) {
  constexpr size_t kMaxArenaBytes = 64 << 20;
  auto ahead = std::make_unique<ChunkReadAhead>();
  bool any_tombstones;
  {
    std::lock_guard lock(tombstones_mu_);
    any_tombstones = !tombstones_.empty();
  }
  // A point Get per newest chunk pays off for a sparse selection (each chunk
  // would cost a Seek); a dense one walks the chunk keys in order with Next().
  ahead->point_reads = static_cast<int64_t>(refs.size()) * 8 < num_series_.load(std::memory_order_relaxed);
  for (uint64_t ref : refs) {
    // Series with tombstones are left to LoadSeries.
    if (any_tombstones && !TombstonesOf(ref).empty()) continue;
    int64_t b0, b1;
    NewestChunk nc;
    {
      RefStripe& rs = ref_stripe(ref);
      std::shared_lock lock(rs.mu);
      MemSeries* s = FindSeriesLocked(rs, ref);
      if (s == nullptr) continue;
      std::lock_guard slock(s->mu);
      if (!PersistedRange(*s, mint, maxt, mode, /*has_tombstones=*/false, &b0, &b1)) continue;
      nc = NewestChunkOf(*s);
    }
    absl::Status st;
    if (mode == LoadMode::kLastSample) {
      Timestamp newest = model::kMinTime;
      model::Sample last{};
      if (ahead->point_reads && LastSampleFromNewestChunk(ctx, ref, nc, mint, maxt, &last, &st)) {
        newest = last.t;
      } else {
        st = ReadPersisted(ctx, ref, b0, b1, mint, maxt, [&](std::string_view chunk) {
          return DecodeInRange(chunk, mint, maxt, kNoTombstones, &newest,
                               [&](const model::Sample& smp) { last = smp; });
        });
      }
      if (!st.ok()) break;  // LoadSeries reports it
      uint32_t idx = static_cast<uint32_t>(ahead->last.size());
      if (newest == model::kMinTime) {
        ahead->by_ref[ref] = {0, 0};  // no persisted sample in range
      } else {
        ahead->last.push_back(last);
        ahead->by_ref[ref] = {idx, idx + 1};
      }
    } else {
      uint32_t begin = static_cast<uint32_t>(ahead->spans.size());
      auto keep = [&](std::string_view chunk) {
        ahead->spans.emplace_back(ahead->arena.size(), chunk.size());
        ahead->arena.append(chunk);
        return absl::OkStatus();
      };
      if (!(ahead->point_reads && SamplesFromNewestChunk(ctx, ref, nc, mint, maxt, keep, &st))) {
        st = ReadPersisted(ctx, ref, b0, b1, mint, maxt, keep);
      }
      if (!st.ok()) break;
      ahead->by_ref[ref] = {begin, static_cast<uint32_t>(ahead->spans.size())};
      if (ahead->arena.size() > kMaxArenaBytes) break;
    }
  }
  return ahead;
}

bool RocksDbTsdb::LoadSeries(ReadContext* ctx, uint64_t ref, Timestamp mint, Timestamp maxt, LoadMode mode,
                             const ChunkReadAhead* ahead, LoadedSeries* out, absl::Status* status) {
  std::string& head_bytes = ctx->head_bytes;
  head_bytes.clear();
  std::string& recent_bytes = ctx->recent_bytes;
  recent_bytes.clear();
  int64_t min_time, max_time, b0 = 0, b1 = -1;
  bool read_persisted = false;
  out->samples.clear();
  // kLastSample: the head chunk holds the newest samples, so when it starts at
  // or before maxt the answer is in it and persisted chunks are not read.
  bool head_has_last = false;
  NewestChunk nc;
  std::vector<Interval> tomb = TombstonesOf(ref);
  {
    RefStripe& rs = ref_stripe(ref);
    std::shared_lock lock(rs.mu);
    MemSeries* s = FindSeriesLocked(rs, ref);
    if (s == nullptr) return false;
    out->labels = symbols_.Resolve(s->label_ids.get(), s->num_ids);
    std::lock_guard slock(s->mu);
    min_time = s->min_time;
    max_time = s->max_time;
    if (LastSampleInMemory(*s, maxt, mode, !tomb.empty())) {
      if (s->persisted_max_time < mint) return false;
      out->samples.push_back({s->persisted_max_time, s->persisted_last_value});
      return true;
    }
    bool use_recent = false;
    read_persisted = PersistedRange(*s, mint, maxt, mode, !tomb.empty(), &b0, &b1, &use_recent);
    if (read_persisted) nc = NewestChunkOf(*s);
    if (use_recent) recent_bytes.assign(s->recent->data);
    if (mode != LoadMode::kLabelsOnly && s->HasHead() && s->head.last_time() >= mint && s->head_min_time <= maxt) {
      head_has_last = mode == LoadMode::kLastSample && tomb.empty();
      if (head_has_last && s->head.last_time() <= maxt) {
        out->samples.push_back({s->head.last_time(), s->head.last_value()});
      } else if (head_has_last && s->head.num_samples() >= 2 && s->head.previous_time() <= maxt) {
        // maxt falls between the two newest samples (a query a scrape
        // behind ingestion): the one before the newest is the answer, or
        // nothing is in range when it precedes mint.
        if (s->head.previous_time() >= mint) {
          out->samples.push_back({s->head.previous_time(), s->head.previous_value()});
        }
      } else {
        head_bytes.assign(s->head.bytes());
      }
    }
  }
  if (max_time == model::kMinTime || max_time < mint || min_time > maxt) return false;
  if (mode == LoadMode::kLabelsOnly) return true;
  if (head_has_last) {
    if (!out->samples.empty()) return true;
    // The newest head sample is after maxt: decode up to maxt.
    model::Sample last{model::kMinTime, 0};
    Timestamp newest = model::kMinTime;
    (void)DecodeInRange(head_bytes, mint, maxt, kNoTombstones, &newest,  // a head chunk is never corrupt
                        [&](const model::Sample& smp) { last = smp; });
    if (newest == model::kMinTime) return false;
    out->samples.push_back(last);
    return true;
  }
  Timestamp newest = model::kMinTime;
  model::Sample last{model::kMinTime, 0};
  auto add = [&](const model::Sample& smp) {
    if (mode == LoadMode::kLastSample) {
      last = smp;
    } else {
      out->samples.push_back(smp);
    }
  };
  if (read_persisted) {
    auto found = ahead != nullptr ? ahead->by_ref.find(ref) : decltype(ahead->by_ref.end()){};
    if (ahead != nullptr && found != ahead->by_ref.end()) {
      auto [begin, end] = found->second;
      if (mode == LoadMode::kLastSample) {
        if (begin < end) {
          last = ahead->last[begin];
          newest = last.t;
        }
      } else {
        for (uint32_t i = begin; i < end; ++i) {
          auto [off, len] = ahead->spans[i];
          absl::Status st = DecodeInRange(std::string_view(ahead->arena).substr(off, len), mint, maxt, tomb,
                                          &newest, add);
          if (!st.ok()) {
            *status = st;
            return false;
          }
        }
      }
    } else {
      absl::Status st;
      auto decode = [&](std::string_view chunk) { return DecodeInRange(chunk, mint, maxt, tomb, &newest, add); };
      model::Sample from_newest;
      // Without read-ahead the selection is small, so sparse.
      const bool point_reads = ahead == nullptr || ahead->point_reads;
      if (point_reads && mode == LoadMode::kLastSample && tomb.empty() &&
          LastSampleFromNewestChunk(ctx, ref, nc, mint, maxt, &from_newest, &st)) {
        if (st.ok() && from_newest.t != model::kMinTime) {
          newest = from_newest.t;
          last = from_newest;
        }
      } else if (point_reads && mode == LoadMode::kSamples &&
                 SamplesFromNewestChunk(ctx, ref, nc, mint, maxt, decode, &st)) {
        // The newest chunk held every persisted sample in range.
      } else {
        st = ReadPersisted(ctx, ref, b0, b1, mint, maxt, decode);
      }
      if (!st.ok()) {
        *status = st;
        return false;
      }
    }
  }
  // The recent chunk is a copy of what was persisted, and precedes the head.
  if (!recent_bytes.empty()) (void)DecodeInRange(recent_bytes, mint, maxt, tomb, &newest, add);  // never corrupt
  if (!head_bytes.empty()) (void)DecodeInRange(head_bytes, mint, maxt, tomb, &newest, add);  // never corrupt
  if (mode == LoadMode::kLastSample && newest != model::kMinTime) out->samples.push_back(last);
  return !out->samples.empty();
}

absl::StatusOr<std::vector<ChunkSeries>> RocksDbTsdb::SelectChunks(
    Timestamp mint, Timestamp maxt, const std::vector<model::Matcher>& matchers) {
  Postings refs = index_.Select(matchers);
  ReadContext ctx;
  ctx.db = this;
  live_readers_.fetch_add(1);
  std::vector<ChunkSeries> out;
  for (uint64_t ref : refs) {
    ChunkSeries cs;
    std::string head_bytes;
    int64_t head_min = 0;
    int64_t first_bucket, last_bucket, max_time;
    {
      RefStripe& rs = ref_stripe(ref);
      std::shared_lock lock(rs.mu);
      auto it = rs.series.find(ref);
      if (it == rs.series.end()) continue;
      MemSeries* s = it->second.get();
      cs.labels = symbols_.Resolve(s->label_ids.get(), s->num_ids);
      std::lock_guard slock(s->mu);
      first_bucket = s->first_bucket;
      last_bucket = s->last_bucket;
      max_time = s->max_time;
      if (s->HasHead() && s->head.last_time() >= mint && s->head_min_time <= maxt) {
        head_bytes.assign(s->head.bytes());
        head_min = s->head_min_time;
      }
    }
    if (max_time == model::kMinTime || max_time < mint) continue;
    std::vector<Interval> tomb = TombstonesOf(ref);
    int64_t last_max = model::kMinTime;
    // Adds a chunk, re-encoding it when tombstones or an overlap with the
    // previous chunk (a cut racing this read) remove samples.
    auto add = [&](int64_t cmin, int64_t cmax, std::string_view data) -> absl::Status {
      bool rewrite = cmin <= last_max;
      for (const auto& iv : tomb) {
        if (iv.min_time <= cmax && iv.max_time >= cmin) rewrite = true;
      }
      if (!rewrite) {
        cs.chunks.push_back({cmin, cmax, ChunkEncoding::kXor, std::string(data)});
        last_max = cmax;
        return absl::OkStatus();
      }
      std::vector<model::Sample> samples, kept;
      OMNI_RETURN_IF_ERROR(DecodeXorChunk(data, &samples));
      for (const auto& smp : samples) {
        if (smp.t > last_max && !internal::IntervalsContain(tomb, smp.t)) kept.push_back(smp);
      }
      if (kept.empty()) return absl::OkStatus();
      cs.chunks.push_back({kept.front().t, kept.back().t, ChunkEncoding::kXor, EncodeXorChunk(kept)});
      last_max = kept.back().t;
      return absl::OkStatus();
    };
    if (last_bucket != kNoBucket) {
      int64_t b0 = std::max(first_bucket, BucketOf(mint));
      int64_t b1 = std::min(last_bucket, BucketOf(maxt));
      if (b0 <= b1 && !ctx.it) {
        rocksdb::ReadOptions ro;
        ro.snapshot = ctx.Snapshot();
        ctx.it.reset(db_->NewIterator(ro));
      }
      for (int64_t b = b0; b <= b1; ++b) {
        std::string prefix = internal::ChunkSeriesPrefix(b, ref);
        std::string start = prefix;
        internal::PutBE64(&start, internal::OrderedBits(mint));
        for (ctx.it->Seek(start); ctx.it->Valid(); ctx.it->Next()) {
          rocksdb::Slice key = ctx.it->key();
          if (key.size() != 25 || std::memcmp(key.data(), prefix.data(), prefix.size()) != 0) break;
          internal::ChunkKeyParts parts;
          internal::ParseChunkKey(std::string_view(key.data(), key.size()), &parts);
          uint8_t enc;
          int64_t chunk_min;
          std::string_view chunk;
          if (!internal::DecodeChunkValue(std::string_view(ctx.it->value().data(), ctx.it->value().size()), &enc,
                                          &chunk_min, &chunk)) {
            return absl::DataLossError(absl::StrCat("tsdb: corrupt chunk of series ", ref));
          }
          if (chunk_min > maxt) break;
          OMNI_RETURN_IF_ERROR(add(chunk_min, parts.max_time, chunk));
        }
        OMNI_RETURN_IF_ERROR(FromRocksStatus(ctx.it->status(), "tsdb: read chunks"));
      }
    }
    if (!head_bytes.empty()) {
      XorIterator probe(head_bytes);
      int64_t head_max = head_min;
      while (probe.Next()) head_max = probe.At().t;
      OMNI_RETURN_IF_ERROR(add(head_min, head_max, head_bytes));
    }
    if (!cs.chunks.empty()) out.push_back(std::move(cs));
  }
  std::sort(out.begin(), out.end(), [](const ChunkSeries& a, const ChunkSeries& b) { return a.labels < b.labels; });
  return out;
}

absl::StatusOr<std::vector<std::string>> RocksDbTsdb::LabelValuesFor(const std::string& name,
                                                                     const std::vector<model::Matcher>& matchers) {
  if (matchers.empty()) return index_.LabelValues(name);
  Postings refs = index_.Select(matchers);
  std::set<std::string> values;
  for (uint64_t ref : refs) {
    RefStripe& rs = ref_stripe(ref);
    std::shared_lock lock(rs.mu);
    auto it = rs.series.find(ref);
    if (it == rs.series.end()) continue;
    model::Labels l = symbols_.Resolve(it->second->label_ids.get(), it->second->num_ids);
    std::string_view v = l.Get(name);
    if (!v.empty()) values.emplace(v);
  }
  return std::vector<std::string>(values.begin(), values.end());
}

absl::StatusOr<std::vector<std::string>> RocksDbTsdb::LabelNamesFor(const std::vector<model::Matcher>& matchers) {
  if (matchers.empty()) return index_.LabelNames();
  Postings refs = index_.Select(matchers);
  std::set<std::string> names;
  for (uint64_t ref : refs) {
    RefStripe& rs = ref_stripe(ref);
    std::shared_lock lock(rs.mu);
    auto it = rs.series.find(ref);
    if (it == rs.series.end()) continue;
    MemSeries* s = it->second.get();
    for (size_t i = 0; i < s->num_ids; i += 2) names.insert(symbols_.Get(s->label_ids[i]));
  }
  return std::vector<std::string>(names.begin(), names.end());
}

// ---------------------------------------------------------------------------
// Maintenance

void RocksDbTsdb::ForEachSeries(const std::function<void(MemSeries*)>& fn) {
  for (auto& rs : ref_stripes_) {
    std::shared_lock lock(rs.mu);
    for (auto& [ref, s] : rs.series) fn(s.get());
  }
}

absl::Status RocksDbTsdb::PersistAllHeads(bool only_old, Timestamp cutoff) {
  uint64_t pin = wal_pins_.PinNext();
  std::vector<CutChunk> cuts;
  absl::Status st;
  ForEachSeries([&](MemSeries* s) {
    {
      std::lock_guard lock(s->mu);
      if (!s->HasHead() || (only_old && s->head_min_time >= cutoff)) return;
      CutHead(s, &pin, &cuts, /*keep_recent=*/false);
    }
    if (cuts.size() >= 4096 && st.ok()) st = WriteChunks(&cuts);
  });
  if (st.ok()) st = WriteChunks(&cuts);
  wal_pins_.End(pin);
  return st;
}

absl::Status RocksDbTsdb::TruncateWal() {
  // Read the series first, then the pins: a chunk cut in between is pinned
  // before the series stops reporting its first sequence number.
  uint64_t watermark = std::numeric_limits<uint64_t>::max();
  ForEachSeries([&](MemSeries* s) {
    std::lock_guard lock(s->mu);
    if (s->HasHead()) watermark = std::min(watermark, s->head_first_seq);
  });
  watermark = std::min(watermark, wal_pins_.Min());
  uint64_t below = wal_deleted_below_.load();
  if (watermark <= below) return absl::OkStatus();
  OMNI_RETURN_IF_ERROR(FromRocksStatus(
      db_->DeleteRange(write_options_, db_->DefaultColumnFamily(), internal::WalKey(below),
                       internal::WalKey(watermark)),
      "tsdb: truncate WAL"));
  counters_.wal_records_deleted.fetch_add(static_cast<int64_t>(watermark - below), std::memory_order_relaxed);
  wal_deleted_below_ = watermark;
  return absl::OkStatus();
}

int64_t RocksDbTsdb::DbSizeBytes() const {
  uint64_t sst = 0, mem = 0;
  db_->GetIntProperty("rocksdb.total-sst-files-size", &sst);
  db_->GetIntProperty("rocksdb.cur-size-all-mem-tables", &mem);
  return static_cast<int64_t>(sst + mem);
}

absl::Status RocksDbTsdb::DeleteBucketsBefore(int64_t bucket) {
  std::string begin(1, internal::kChunkPrefix);
  std::string end = internal::ChunkBucketPrefix(bucket);
  rocksdb::Slice b(begin), e(end);
  OMNI_RETURN_IF_ERROR(FromRocksStatus(rocksdb::DeleteFilesInRange(db_.get(), db_->DefaultColumnFamily(), &b, &e),
                                       "tsdb: retention delete files"));
  OMNI_RETURN_IF_ERROR(FromRocksStatus(db_->DeleteRange(write_options_, db_->DefaultColumnFamily(), b, e),
                                       "tsdb: retention delete range"));
  rocksdb::CompactRangeOptions cro;
  OMNI_RETURN_IF_ERROR(FromRocksStatus(db_->CompactRange(cro, &b, &e), "tsdb: retention compact"));
  // Forget the deleted buckets in memory; series left without data are
  // collected by CollectGarbage.
  std::vector<CutChunk> metas;
  ForEachSeries([&](MemSeries* s) {
    std::lock_guard lock(s->mu);
    if (s->first_bucket == kNoBucket || s->first_bucket >= bucket) return;
    if (s->last_bucket < bucket) {
      s->first_bucket = s->last_bucket = kNoBucket;
      s->recent.reset();
    } else {
      s->first_bucket = bucket;
    }
    int64_t floor = bucket * options_.bucket_duration_ms;
    if (!s->HasHead() && !s->HasPersisted()) {
      s->min_time = model::kMaxTime;
    } else if (s->min_time < floor) {
      s->min_time = floor;
    }
  });
  return absl::OkStatus();
}

absl::Status RocksDbTsdb::ApplyRetention() {
  // The oldest stored bucket.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->Seek(std::string(1, internal::kChunkPrefix));
  if (!it->Valid() || it->key().size() != 25 || it->key()[0] != internal::kChunkPrefix) {
    return FromRocksStatus(it->status(), "tsdb: retention scan");
  }
  internal::ChunkKeyParts oldest;
  internal::ParseChunkKey(std::string_view(it->key().data(), it->key().size()), &oldest);
  it.reset();
  int64_t head_max = head_max_time_.load();
  int64_t newest_bucket = BucketOf(head_max);
  int64_t delete_below = oldest.bucket;
  if (options_.retention_time > absl::ZeroDuration() && head_max != model::kMinTime) {
    int64_t cutoff = head_max - absl::ToInt64Milliseconds(options_.retention_time);
    // A bucket goes when all of it is older than the cutoff.
    // Bucket b covers [b*D, (b+1)*D); it goes when (b+1)*D <= cutoff.
    int64_t keep_from = internal::FloorDiv(cutoff, options_.bucket_duration_ms);
    delete_below = std::max(delete_below, std::min(keep_from, newest_bucket));
  }
  if (delete_below > oldest.bucket) {
    counters_.retention_buckets_deleted.fetch_add(delete_below - oldest.bucket, std::memory_order_relaxed);
    OMNI_RETURN_IF_ERROR(DeleteBucketsBefore(delete_below));
    OMNI_LOG(kInfo, "tsdb").Msg("Deleting data outside time retention")
        .Kv("before_ms", absl::StrCat(delete_below * options_.bucket_duration_ms));
  }
  if (options_.retention_size_bytes > 0) {
    int64_t b = delete_below;
    while (DbSizeBytes() > options_.retention_size_bytes && b < newest_bucket) {
      ++b;
      OMNI_RETURN_IF_ERROR(DeleteBucketsBefore(b));
      counters_.retention_buckets_deleted.fetch_add(1, std::memory_order_relaxed);
      OMNI_LOG(kInfo, "tsdb").Msg("Deleting data outside size retention")
          .Kv("before_ms", absl::StrCat(b * options_.bucket_duration_ms));
    }
  }
  return absl::OkStatus();
}

absl::Status RocksDbTsdb::CollectGarbage() {
  std::vector<uint64_t> candidates;
  ForEachSeries([&](MemSeries* s) {
    std::lock_guard lock(s->mu);
    if (s->pending == 0 && !s->HasHead() && !s->HasPersisted()) candidates.push_back(s->ref);
  });
  rocksdb::WriteBatch batch;
  for (uint64_t ref : candidates) {
    RefStripe& rs = ref_stripe(ref);
    // Find the hash stripe without holding the ref stripe (lock order: hash, then ref).
    uint64_t hash;
    {
      std::shared_lock lock(rs.mu);
      auto it = rs.series.find(ref);
      if (it == rs.series.end()) continue;
      hash = it->second->hash;
    }
    HashStripe& hs = hash_stripe(hash);
    std::unique_lock hlock(hs.mu);
    std::unique_lock rlock(rs.mu);
    auto it = rs.series.find(ref);
    if (it == rs.series.end()) continue;
    MemSeries* s = it->second.get();
    {
      std::lock_guard slock(s->mu);
      if (s->pending != 0 || s->HasHead() || s->HasPersisted()) continue;
    }
    auto hit = hs.by_hash.find(hash);
    if (hit != hs.by_hash.end()) {
      if (hit->second == s) {
        if (s->hash_next) hit->second = s->hash_next; else hs.by_hash.erase(hit);
      } else {
        for (MemSeries* p = hit->second; p != nullptr; p = p->hash_next) {
          if (p->hash_next == s) {
            p->hash_next = s->hash_next;
            break;
          }
        }
      }
    }
    index_.Remove(ref, s->label_ids.get(), s->num_ids);
    if (ref_table_.Covers(ref)) ref_table_.Set(ref, nullptr);
    rs.series.erase(it);
    num_series_.fetch_sub(1, std::memory_order_relaxed);
    counters_.series_removed.fetch_add(1, std::memory_order_relaxed);
    batch.Delete(internal::SeriesKey(ref));
    batch.Delete(internal::SeriesMetaKey(ref));
    batch.Delete(internal::TombstoneKey(ref));
    std::lock_guard tlock(tombstones_mu_);
    tombstones_.erase(ref);
  }
  if (batch.Count() == 0) return absl::OkStatus();
  return FromRocksStatus(db_->Write(write_options_, &batch), "tsdb: delete series");
}

void RocksDbTsdb::RecomputeHeadMinTime() {
  int64_t min = model::kMaxTime;
  ForEachSeries([&](MemSeries* s) {
    std::lock_guard lock(s->mu);
    if (s->HasHead()) min = std::min(min, s->head_min_time);
  });
  // Persisted data: the oldest chunk's min time.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->Seek(std::string(1, internal::kChunkPrefix));
  if (it->Valid() && it->key().size() == 25 && it->key()[0] == internal::kChunkPrefix) {
    uint8_t enc;
    int64_t mint;
    std::string_view chunk;
    if (internal::DecodeChunkValue(std::string_view(it->value().data(), it->value().size()), &enc, &mint, &chunk)) {
      min = std::min(min, mint);
    }
  }
  head_min_time_.store(min);
}

absl::Status RocksDbTsdb::RunMaintenance() {
  std::lock_guard lock(maintenance_mu_);
  if (closed_) return absl::FailedPreconditionError("tsdb: closed");
  counters_.maintenance_runs.fetch_add(1, std::memory_order_relaxed);
  int64_t head_max = head_max_time_.load();
  if (head_max != model::kMinTime) {
    OMNI_RETURN_IF_ERROR(PersistAllHeads(/*only_old=*/true, head_max - options_.max_head_chunk_age_ms));
  }
  OMNI_RETURN_IF_ERROR(TruncateWal());
  OMNI_RETURN_IF_ERROR(ApplyRetention());
  OMNI_RETURN_IF_ERROR(CollectGarbage());
  RecomputeHeadMinTime();
  return absl::OkStatus();
}

void RocksDbTsdb::MaintenanceLoop() {
  if (absl::Status st = common::LowerCurrentThreadPriority(options_.background_nice); !st.ok()) {
    OMNI_LOG(kWarn, "tsdb").Msg("Cannot lower the maintenance thread's priority").Kv("err", st);
  }
  std::unique_lock lock(stop_mu_);
  while (!stop_) {
    stop_cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.maintenance_interval));
    if (stop_) break;
    lock.unlock();
    absl::Status st = RunMaintenance();
    if (!st.ok()) OMNI_LOG(kError, "tsdb").Msg("Maintenance failed").Kv("err", st);
    lock.lock();
  }
}

// ---------------------------------------------------------------------------
// Snapshot, deletion, stats, close.

absl::Status RocksDbTsdb::Snapshot(const std::string& dir, bool skip_head) {
  if (std::filesystem::exists(dir)) return absl::AlreadyExistsError(absl::StrCat("snapshot dir exists: ", dir));
  // The live database is not changed: its heads stay open and their WAL
  // records stay. The copy gets the head chunks and drops the WAL records.
  std::vector<CutChunk> heads;
  {
    std::lock_guard lock(maintenance_mu_);
    if (closed_) return absl::FailedPreconditionError("tsdb: closed");
    rocksdb::Checkpoint* raw = nullptr;
    OMNI_RETURN_IF_ERROR(FromRocksStatus(rocksdb::Checkpoint::Create(db_.get(), &raw), "tsdb: checkpoint"));
    std::unique_ptr<rocksdb::Checkpoint> cp(raw);
    absl::WriterMutexLock gate(&commit_gate_);
    if (!skip_head) {
      ForEachSeries([&](MemSeries* s) {
        std::lock_guard slock(s->mu);
        if (s->HasHead()) heads.push_back(HeadAsChunk(*s));
      });
    }
    // A large log_size_for_flush: the checkpoint copies RocksDB's log (at
    // most a few write buffers) instead of flushing the live memtable, whose
    // flush and the compactions it starts would compete with queries.
    OMNI_RETURN_IF_ERROR(FromRocksStatus(cp->CreateCheckpoint(dir, std::numeric_limits<uint64_t>::max()),
                                         "tsdb: create checkpoint"));
  }
  // The copy's steady state: every sample in a chunk, no WAL records, compacted.
  rocksdb::DB* raw_copy = nullptr;
  OMNI_RETURN_IF_ERROR(
      FromRocksStatus(rocksdb::DB::Open(RocksOptions(8 << 20), dir, &raw_copy), "tsdb: open snapshot"));
  std::unique_ptr<rocksdb::DB> copy(raw_copy);
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;  // made durable by the flush below
  constexpr size_t kBatch = 4096;
  for (size_t i = 0; i < heads.size(); i += kBatch) {
    OMNI_RETURN_IF_ERROR(PutChunks(copy.get(), wo, absl::MakeConstSpan(heads).subspan(i, kBatch)));
  }
  heads = {};
  OMNI_RETURN_IF_ERROR(FromRocksStatus(
      copy->DeleteRange(wo, copy->DefaultColumnFamily(), internal::WalKey(0),
                        internal::WalKey(std::numeric_limits<uint64_t>::max())),
      "tsdb: snapshot: drop WAL records"));
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  OMNI_RETURN_IF_ERROR(FromRocksStatus(copy->Flush(rocksdb::FlushOptions()), "tsdb: snapshot: flush"));
  OMNI_RETURN_IF_ERROR(FromRocksStatus(copy->CompactRange(compact, nullptr, nullptr), "tsdb: snapshot: compact"));
  // Count what the copy holds, as a Prometheus block's meta.json does.
  OMNI_ASSIGN_OR_RETURN(StorageBreakdown b, ScanDb(copy.get()));
  OMNI_RETURN_IF_ERROR(FromRocksStatus(copy->Close(), "tsdb: snapshot: close"));
  copy.reset();
  std::string meta = absl::StrCat(
      "{\"version\":1,\"stats\":{\"numSamples\":", b.chunk_samples + b.wal_samples, ",\"numSeries\":", b.series,
      ",\"numChunks\":", b.chunks, "},\"walSamples\":", b.wal_samples, ",\"chunkBytes\":", b.chunk_bytes, "}\n");
  std::FILE* f = std::fopen((std::filesystem::path(dir) / "meta.json").c_str(), "w");
  if (f == nullptr) return absl::InternalError(absl::StrCat("tsdb: writing ", dir, "/meta.json"));
  bool ok = std::fwrite(meta.data(), 1, meta.size(), f) == meta.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) return absl::InternalError(absl::StrCat("tsdb: writing ", dir, "/meta.json"));
  return absl::OkStatus();
}

absl::Status RocksDbTsdb::DeleteSeries(const std::vector<model::Matcher>& matchers, Timestamp mint, Timestamp maxt) {
  if (mint > maxt) return absl::InvalidArgumentError("tsdb: delete: mint > maxt");
  Postings refs = index_.Select(matchers);
  rocksdb::WriteBatch batch;
  std::lock_guard lock(tombstones_mu_);
  for (uint64_t ref : refs) {
    auto& list = tombstones_[ref];
    internal::AddInterval(&list, {mint, maxt});
    batch.Put(internal::TombstoneKey(ref), internal::EncodeIntervals(list));
  }
  if (batch.Count() == 0) return absl::OkStatus();
  return FromRocksStatus(db_->Write(write_options_, &batch), "tsdb: write tombstones");
}

absl::Status RocksDbTsdb::CleanTombstones() {
  std::lock_guard mlock(maintenance_mu_);
  std::map<uint64_t, std::vector<Interval>> tombs;
  {
    std::lock_guard lock(tombstones_mu_);
    tombs = tombstones_;
  }
  if (tombs.empty()) return absl::OkStatus();
  // 1. Persist the head chunks of affected series, so that every sample lives
  //    in a chunk and WAL replay cannot bring deleted samples back (replay
  //    skips samples at or before the persisted max time).
  {
    uint64_t pin = wal_pins_.PinNext();
    std::vector<CutChunk> cuts;
    for (const auto& [ref, ivs] : tombs) {
      RefStripe& rs = ref_stripe(ref);
      std::shared_lock lock(rs.mu);
      auto it = rs.series.find(ref);
      if (it == rs.series.end()) continue;
      std::lock_guard slock(it->second->mu);
      if (it->second->HasHead()) CutHead(it->second.get(), &pin, &cuts, /*keep_recent=*/false);
      it->second->recent.reset();
      // The newest sample may be one that is about to be deleted.
      it->second->persisted_last_known = false;
    }
    absl::Status st = WriteChunks(&cuts);
    wal_pins_.End(pin);
    OMNI_RETURN_IF_ERROR(st);
  }
  // 2. Rewrite the chunks overlapping a tombstone.
  for (const auto& [ref, ivs] : tombs) {
    int64_t first_bucket, last_bucket;
    MemSeries* s;
    {
      RefStripe& rs = ref_stripe(ref);
      std::shared_lock lock(rs.mu);
      auto it = rs.series.find(ref);
      if (it == rs.series.end()) continue;
      s = it->second.get();
      std::lock_guard slock(s->mu);
      first_bucket = s->first_bucket;
      last_bucket = s->last_bucket;
    }
    rocksdb::WriteBatch batch;
    int64_t new_first = kNoBucket, new_last = kNoBucket, new_min = model::kMaxTime;
    if (last_bucket != kNoBucket) {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
      for (int64_t b = first_bucket; b <= last_bucket; ++b) {
        std::string prefix = internal::ChunkSeriesPrefix(b, ref);
        for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
          internal::ChunkKeyParts parts;
          internal::ParseChunkKey(std::string_view(it->key().data(), it->key().size()), &parts);
          uint8_t enc;
          int64_t cmin;
          std::string_view chunk;
          if (!internal::DecodeChunkValue(std::string_view(it->value().data(), it->value().size()), &enc, &cmin,
                                          &chunk)) {
            return absl::DataLossError(absl::StrCat("tsdb: corrupt chunk of series ", ref));
          }
          bool overlaps = false;
          for (const auto& iv : ivs) overlaps |= iv.min_time <= parts.max_time && iv.max_time >= cmin;
          if (!overlaps) {
            if (new_first == kNoBucket) new_first = b;
            new_last = b;
            new_min = std::min(new_min, cmin);
            continue;
          }
          std::vector<model::Sample> samples, kept;
          OMNI_RETURN_IF_ERROR(DecodeXorChunk(chunk, &samples));
          for (const auto& smp : samples) {
            if (!internal::IntervalsContain(ivs, smp.t)) kept.push_back(smp);
          }
          batch.Delete(it->key());
          if (!kept.empty()) {
            batch.Put(internal::ChunkKey(b, ref, kept.back().t),
                      internal::EncodeChunkValue(static_cast<uint8_t>(ChunkEncoding::kXor), kept.front().t,
                                                 EncodeXorChunk(kept)));
            if (new_first == kNoBucket) new_first = b;
            new_last = b;
            new_min = std::min(new_min, kept.front().t);
          }
        }
        OMNI_RETURN_IF_ERROR(FromRocksStatus(it->status(), "tsdb: clean tombstones"));
      }
    }
    internal::SeriesMeta meta;
    {
      std::lock_guard slock(s->mu);
      s->first_bucket = new_first;
      s->last_bucket = new_last;
      s->recent.reset();  // a cut since step 1 may hold samples just deleted
      s->min_time = s->HasHead() ? std::min(new_min, s->head_min_time) : new_min;
      meta.persisted_max_time = s->persisted_max_time;
      meta.first_bucket = new_first == kNoBucket ? 0 : new_first;
      meta.last_bucket = new_last == kNoBucket ? 0 : new_last;
      meta.has_chunks = new_last != kNoBucket;
    }
    batch.Put(internal::SeriesMetaKey(ref), internal::EncodeSeriesMeta(meta));
    batch.Delete(internal::TombstoneKey(ref));
    OMNI_RETURN_IF_ERROR(FromRocksStatus(db_->Write(write_options_, &batch), "tsdb: clean tombstones"));
    std::lock_guard lock(tombstones_mu_);
    tombstones_.erase(ref);
  }
  OMNI_RETURN_IF_ERROR(TruncateWal());
  OMNI_RETURN_IF_ERROR(CollectGarbage());
  RecomputeHeadMinTime();
  return absl::OkStatus();
}

CardinalityStats RocksDbTsdb::Stats(int limit, const std::vector<std::vector<model::Matcher>>& match_sets) {
  if (limit <= 0) limit = 10;
  CardinalityStats out;
  out.head = Head();
  // memory_in_bytes_by_label_name is, as in Prometheus, the sum over the
  // label's values of len(value) x the number of series carrying it.
  absl::flat_hash_map<std::string, int64_t> by_metric, by_pair, value_bytes;
  absl::flat_hash_map<std::string, std::set<std::string>> values_by_name;
  if (match_sets.empty()) {
    index_.ForEachPair([&](const std::string& name, const std::string& value, size_t n) {
      if (name == model::kMetricName) by_metric[value] += static_cast<int64_t>(n);
      by_pair[absl::StrCat(name, "=", value)] += static_cast<int64_t>(n);
      values_by_name[name].insert(value);
      value_bytes[name] += static_cast<int64_t>(value.size() * n);
    });
  } else {
    std::vector<const Postings*> lists;
    std::vector<Postings> sets;
    sets.reserve(match_sets.size());
    for (const auto& ms : match_sets) sets.push_back(index_.Select(ms));
    for (const auto& p : sets) lists.push_back(&p);
    Postings refs = internal::Merge(lists);
    out.head.num_series = static_cast<int64_t>(refs.size());
    for (uint64_t ref : refs) {
      RefStripe& rs = ref_stripe(ref);
      std::shared_lock lock(rs.mu);
      auto it = rs.series.find(ref);
      if (it == rs.series.end()) continue;
      model::Labels l = symbols_.Resolve(it->second->label_ids.get(), it->second->num_ids);
      for (const auto& lab : l) {
        if (lab.name == model::kMetricName) by_metric[lab.value]++;
        by_pair[absl::StrCat(lab.name, "=", lab.value)]++;
        values_by_name[lab.name].insert(lab.value);
        value_bytes[lab.name] += static_cast<int64_t>(lab.value.size());
      }
    }
  }
  auto top = [limit](std::vector<NameCount> v) {
    std::sort(v.begin(), v.end(), [](const NameCount& a, const NameCount& b) {
      return a.count != b.count ? a.count > b.count : a.name < b.name;
    });
    if (static_cast<int>(v.size()) > limit) v.resize(limit);
    return v;
  };
  std::vector<NameCount> metric, pair, value_count, memory;
  for (auto& [k, v] : by_metric) metric.push_back({k, v});
  for (auto& [k, v] : by_pair) pair.push_back({k, v});
  for (auto& [name, values] : values_by_name) {
    value_count.push_back({name, static_cast<int64_t>(values.size())});
    memory.push_back({name, value_bytes[name]});
  }
  out.num_label_pairs = static_cast<int64_t>(pair.size());
  out.series_count_by_metric_name = top(std::move(metric));
  out.series_count_by_label_value_pair = top(std::move(pair));
  out.label_value_count_by_label_name = top(std::move(value_count));
  out.memory_in_bytes_by_label_name = top(std::move(memory));
  return out;
}

absl::StatusOr<StorageBreakdown> RocksDbTsdb::ScanStorage() { return ScanDb(db_.get()); }

HeadStats RocksDbTsdb::Head() const {
  HeadStats h;
  h.num_series = num_series_.load(std::memory_order_relaxed);
  int64_t max = head_max_time_.load(std::memory_order_relaxed);
  int64_t min = head_min_time_.load(std::memory_order_relaxed);
  h.max_time = max == model::kMinTime ? 0 : max;
  h.min_time = min == model::kMaxTime ? 0 : min;
  return h;
}

TsdbCounters RocksDbTsdb::Counters() const {
  TsdbCounters c;
  c.samples_appended = counters_.samples_appended.load();
  c.out_of_order_samples = counters_.out_of_order.load();
  c.duplicate_samples = counters_.duplicate.load();
  c.out_of_bounds_samples = counters_.out_of_bounds.load();
  c.series_created = counters_.series_created.load();
  c.series_removed = counters_.series_removed.load();
  c.chunks_persisted = counters_.chunks_persisted.load();
  c.wal_records_written = counters_.wal_records_written.load();
  c.wal_records_deleted = counters_.wal_records_deleted.load();
  c.commits = counters_.commits.load();
  c.commit_failures = counters_.commit_failures.load();
  c.compactions = compactions_->count.load();
  c.retention_buckets_deleted = counters_.retention_buckets_deleted.load();
  c.maintenance_runs = counters_.maintenance_runs.load();
  c.head_series = num_series_.load();
  int64_t chunks = 0;
  for (auto& rs : ref_stripes_) {
    std::shared_lock lock(rs.mu);
    for (auto& [ref, s] : rs.series) {
      std::lock_guard slock(s->mu);
      if (s->HasHead()) ++chunks;
    }
  }
  c.head_chunks = chunks;
  if (db_) c.rocksdb_size_bytes = DbSizeBytes();
  uint64_t next = wal_pins_.next();
  uint64_t below = wal_deleted_below_.load();
  c.wal_pending_records = static_cast<int64_t>(next > below ? next - below : 0);
  return c;
}

int64_t RocksDbTsdb::HeadMemoryBytes() const {
  int64_t bytes = symbols_.MemoryBytes() + index_.MemoryBytes();
  for (auto& rs : ref_stripes_) {
    std::shared_lock lock(rs.mu);
    bytes += static_cast<int64_t>(rs.series.capacity() * (sizeof(uint64_t) + sizeof(void*) + 1));
    for (auto& [ref, s] : rs.series) {
      std::lock_guard slock(s->mu);
      bytes += static_cast<int64_t>(sizeof(MemSeries) + s->num_ids * sizeof(uint32_t) + s->head.capacity());
      if (s->recent) bytes += static_cast<int64_t>(sizeof(RecentChunk) + s->recent->data.capacity());
    }
  }
  for (auto& hs : hash_stripes_) {
    std::shared_lock lock(hs.mu);
    bytes += static_cast<int64_t>(hs.by_hash.capacity() * (sizeof(uint64_t) + sizeof(void*) + 1));
  }
  return bytes;
}

absl::Status RocksDbTsdb::Close() {
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (maintenance_thread_.joinable()) maintenance_thread_.join();
  std::lock_guard lock(maintenance_mu_);
  if (closed_ || !db_) return absl::OkStatus();
  if (live_readers_.load() > 0) {
    // Deleting RocksDB under a live iterator/snapshot would abort the process.
    return absl::FailedPreconditionError("tsdb: Close with queriers or series sets still alive");
  }
  closed_ = true;
  absl::Status st = PersistAllHeads(/*only_old=*/false, 0);
  if (st.ok()) st = TruncateWal();
  // Flushing the memtables leaves compact SST files and an empty RocksDB log.
  if (st.ok()) st = FromRocksStatus(db_->Flush(rocksdb::FlushOptions()), "tsdb: flush");
  absl::Status close = FromRocksStatus(db_->Close(), "tsdb: close");
  db_.reset();
  return st.ok() ? close : st;
}

void RocksDbTsdb::AbandonForTesting() {
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (maintenance_thread_.joinable()) maintenance_thread_.join();
  std::lock_guard lock(maintenance_mu_);
  closed_ = true;
  // Closing RocksDB without persisting head chunks or truncating the WAL
  // leaves the files as a crash would (RocksDB's own WAL is already written).
  if (db_) (void)db_->Close();
  db_.reset();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tsdb>> Tsdb::Open(const TsdbOptions& options) {
  auto db = std::make_unique<RocksDbTsdb>(options);
  OMNI_RETURN_IF_ERROR(db->Init());
  return std::unique_ptr<Tsdb>(std::move(db));
}

Tsdb::~Tsdb() = default;

}  // namespace omni::tsdb
