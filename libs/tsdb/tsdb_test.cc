#include "libs/tsdb/tsdb.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>
#include <tuple>

#include <catch2/catch.hpp>

namespace omni::tsdb {
namespace {

using model::Labels;
using model::Matcher;
using model::MatchType;
using model::Sample;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tsdb_test_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TsdbOptions TestOptions(const std::string& path) {
  TsdbOptions o;
  o.path = path;
  o.maintenance_interval = absl::ZeroDuration();
  o.write_buffer_bytes = 4 << 20;
  o.block_cache_bytes = 4 << 20;
  return o;
}

std::unique_ptr<Tsdb> MustOpen(const TsdbOptions& o) {
  auto db = Tsdb::Open(o);
  REQUIRE(db.ok());
  return std::move(*db);
}

Matcher M(MatchType type, const std::string& name, const std::string& value) {
  auto m = Matcher::Create(type, name, value);
  REQUIRE(m.ok());
  return *m;
}

struct Result {
  Labels labels;
  std::vector<Sample> samples;
};

std::vector<Result> Query(Tsdb& db, const std::vector<Matcher>& matchers, int64_t mint = model::kMinTime,
                          int64_t maxt = model::kMaxTime) {
  auto q = db.NewQuerier(mint, maxt);
  REQUIRE(q.ok());
  auto set = (*q)->Select(true, {}, matchers);
  std::vector<Result> out;
  while (set->Next()) {
    Result r{set->At().labels(), {}};
    auto it = set->At().Iterator();
    while (it->Next()) r.samples.push_back(it->At());
    out.push_back(std::move(r));
  }
  REQUIRE(set->status().ok());
  return out;
}

// Samples of every series matching `matchers` read with SelectHints over [mint, maxt].
std::unique_ptr<storage::SeriesSet> SelectHinted(storage::Querier& q, int64_t mint, int64_t maxt, bool last_only,
                                                 const std::vector<Matcher>& matchers) {
  storage::SelectHints hints;
  hints.start = mint;
  hints.end = maxt;
  hints.last_sample_only = last_only;
  return q.Select(true, hints, matchers);
}

void AppendOne(Tsdb& db, const Labels& l, int64_t t, double v) {
  auto app = db.NewAppender();
  REQUIRE(app->Append(0, l, t, v).ok());
  REQUIRE(app->Commit().ok());
}

TEST_CASE("Tsdb appends, commits and selects sorted series", "[unit][tsdb]") {
  TempDir dir;
  auto db = MustOpen(TestOptions(dir.path()));
  auto app = db->NewAppender();
  Labels b = Labels::FromPairs({{"__name__", "up"}, {"job", "b"}});
  Labels a = Labels::FromPairs({{"__name__", "up"}, {"job", "a"}});
  auto ref_b = app->Append(0, b, 1000, 1);
  REQUIRE(ref_b.ok());
  REQUIRE(app->Append(0, a, 1000, 2).ok());
  REQUIRE(app->Append(*ref_b, b, 2000, 3).ok());
  // Nothing is visible before Commit.
  CHECK(Query(*db, {Matcher::Equal("__name__", "up")}).empty());
  REQUIRE(app->Commit().ok());
  auto res = Query(*db, {Matcher::Equal("__name__", "up")});
  REQUIRE(res.size() == 2);
  CHECK(res[0].labels == a);
  CHECK(res[1].labels == b);
  REQUIRE(res[1].samples.size() == 2);
  CHECK(res[1].samples[1].t == 2000);
  CHECK(res[1].samples[1].v == 3);
  // Time range restricts samples and drops series without samples in range.
  auto ranged = Query(*db, {Matcher::Equal("__name__", "up")}, 1500, 5000);
  REQUIRE(ranged.size() == 1);
  CHECK(ranged[0].labels == b);
  // Rollback discards.
  auto app2 = db->NewAppender();
  REQUIRE(app2->Append(0, a, 5000, 9).ok());
  app2->Rollback();
  CHECK(Query(*db, {Matcher::Equal("job", "a")})[0].samples.size() == 1);
  CHECK(db->Counters().samples_appended == 3);
  CHECK(db->Head().num_series == 2);
  CHECK(db->Head().min_time == 1000);
  CHECK(db->Head().max_time == 2000);
  REQUIRE(db->Close().ok());
}

TEST_CASE("Tsdb sorted Select orders series as Labels::Compare", "[unit][tsdb]") {
  TempDir dir;
  auto db = MustOpen(TestOptions(dir.path()));
  // Names and values that are prefixes of each other, label sets that are
  // prefixes of others, and strings interned in non-sorted order.
  const char* names[] = {"z", "a", "job", "ab", "aa", "__name__", "b"};
  const char* values[] = {"x", "", "xy", "10", "9", "x0", "A", "xx"};
  std::mt19937_64 rng(11);
  std::vector<Labels> all;
  auto app = db->NewAppender();
  for (int i = 0; i < 600; ++i) {
    std::vector<model::Label> ls = {{"k", "v"}};
    int n = static_cast<int>(rng() % 5);
    for (int j = 0; j < n; ++j) ls.push_back({names[rng() % 7], values[rng() % 8]});
    Labels l = Labels::FromUnsorted(ls);
    if (std::find(all.begin(), all.end(), l) != all.end()) continue;
    all.push_back(l);
    REQUIRE(app->Append(0, l, 1000, i).ok());
  }
  REQUIRE(app->Commit().ok());
  std::sort(all.begin(), all.end());
  auto res = Query(*db, {Matcher::Equal("k", "v")});
  REQUIRE(res.size() == all.size());
  for (size_t i = 0; i < all.size(); ++i) CHECK(res[i].labels == all[i]);
  REQUIRE(db->Close().ok());
}

TEST_CASE("Tsdb Select with last_sample_only returns the newest sample in range", "[unit][tsdb]") {
  TempDir dir;
  TsdbOptions opts = TestOptions(dir.path());
  opts.max_samples_per_chunk = 10;  // several persisted chunks per series
  auto db = MustOpen(opts);
  Labels a = Labels::FromPairs({{"__name__", "m"}, {"s", "a"}});
  Labels b = Labels::FromPairs({{"__name__", "m"}, {"s", "b"}});
  Labels c = Labels::FromPairs({{"__name__", "m"}, {"s", "c"}});
  for (int i = 0; i < 35; ++i) {
    auto app = db->NewAppender();
    REQUIRE(app->Append(0, a, 1000 * i, i).ok());
    if (i % 3 == 0) REQUIRE(app->Append(0, b, 1000 * i + 500, 100 + i).ok());
    if (i < 12) REQUIRE(app->Append(0, c, 1000 * i, 200 + i).ok());
    REQUIRE(app->Commit().ok());
  }
  REQUIRE(db->DeleteSeries({Matcher::Equal("s", "b")}, 30000, 40000).ok());
  auto check = [&](int64_t mint, int64_t maxt) {
    INFO("range [" << mint << ", " << maxt << "]");
    auto full = Query(*db, {Matcher::Equal("__name__", "m")}, mint, maxt);
    auto q = db->NewQuerier(mint, maxt);
    REQUIRE(q.ok());
    auto set = SelectHinted(**q, mint, maxt, /*last_only=*/true, {Matcher::Equal("__name__", "m")});
    size_t n = 0;
    while (set->Next()) {
      REQUIRE(n < full.size());
      CHECK(set->At().labels() == full[n].labels);
      std::vector<Sample> got;
      auto it = set->At().Iterator();
      while (it->Next()) got.push_back(it->At());
      REQUIRE_FALSE(got.empty());
      // The newest sample in range is the last one returned.
      CHECK(got.back().t == full[n].samples.back().t);
      CHECK(got.back().v == full[n].samples.back().v);
      ++n;
    }
    REQUIRE(set->status().ok());
    CHECK(n == full.size());
  };
  for (int64_t maxt : {0, 500, 9000, 11999, 20500, 29999, 33000, 33500, 34000, 50000}) {
    check(maxt - 5000, maxt);
    check(maxt - 500, maxt);
  }
  // Between the two newest samples of `a` (33000 and 34000) with the older
  // one out of range: `a` has nothing in [33200, 33900].
  check(33200, 33900);
  {
    // The hinted range is narrower than the querier's (`x offset 5m and x`):
    // the newest sample before the hinted end.
    auto q = db->NewQuerier(0, 50000);
    REQUIRE(q.ok());
    auto set = SelectHinted(**q, 15000, 20500, /*last_only=*/true, {Matcher::Equal("s", "a")});
    REQUIRE(set->Next());
    auto it = set->At().Iterator();
    Sample newest{0, 0};
    while (it->Next()) newest = it->At();
    CHECK(newest.t == 20000);
    CHECK_FALSE(set->Next());
  }
  // Cleaning a tombstone over the newest sample of c (its head is cut, then
  // the sample dropped): the sample remembered from the cut must not come back.
  REQUIRE(db->DeleteSeries({Matcher::Equal("s", "c")}, 11000, 11000).ok());
  REQUIRE(db->CleanTombstones().ok());
  for (int64_t maxt : {11999, 20500}) check(maxt - 5000, maxt);
  // After a reopen every sample lives in persisted chunks.
  REQUIRE(db->Close().ok());
  db = MustOpen(opts);
  for (int64_t maxt : {500, 20500, 34000}) check(maxt - 5000, maxt);
  REQUIRE(db->Close().ok());
}

// Selects every sample of the series named `name` in [mint, maxt]; each
// series must hold exactly the timestamps `want`. Returns how many came back.
int CheckSampleTimes(Tsdb& db, const std::string& name, int64_t mint, int64_t maxt,
                     const std::vector<int64_t>& want) {
  auto q = db.NewQuerier(mint, maxt);
  REQUIRE(q.ok());
  auto set = SelectHinted(**q, mint, maxt, /*last_only=*/false, {Matcher::Equal("__name__", name)});
  int n = 0;
  while (set->Next()) {
    std::vector<int64_t> got;
    auto it = set->At().Iterator();
    while (it->Next()) got.push_back(it->At().t);
    CHECK(got == want);
    ++n;
  }
  REQUIRE(set->status().ok());
  return n;
}

TEST_CASE("Tsdb last_sample_only inside the newest persisted chunk, one series and many", "[unit][tsdb]") {
  // Samples at 0..9 s, a gap, 30..39 s (both chunks persisted), then 40 s in
  // the head: an instant query a little behind the last cut reads the newest
  // persisted chunk by its key; older answers come from the general path.
  // 1 series: LoadSeries; 20 of 20: read ahead in key order; 20 of 420: read
  // ahead with a point Get per series (a sparse selection).
  // Live, the newest persisted chunk is also the series' recent chunk in
  // memory; `idle` persists the heads for age first (as for a series that
  // stopped), which drops it, so that RocksDB answers.
  for (auto [num_series, others, idle] : {std::tuple<int, int, bool>{1, 0, false}, {20, 0, false}, {20, 400, false},
                                          {1, 0, true}, {20, 0, true}, {20, 400, true}}) {
    TempDir dir;
    TsdbOptions opts = TestOptions(dir.path());
    opts.max_samples_per_chunk = 10;
    auto db = MustOpen(opts);
    {
      auto app = db->NewAppender();
      for (int k = 0; k < others; ++k) {
        REQUIRE(app->Append(0, Labels::FromPairs({{"__name__", "other"}, {"k", std::to_string(k)}}), 0, 1).ok());
      }
      REQUIRE(app->Commit().ok());
    }
    std::vector<int64_t> times;
    for (int i = 0; i < 10; ++i) times.push_back(1000 * i);
    for (int i = 30; i <= 40; ++i) times.push_back(1000 * i);
    for (int64_t t : times) {
      auto app = db->NewAppender();
      for (int k = 0; k < num_series; ++k) {
        REQUIRE(app->Append(0, Labels::FromPairs({{"__name__", "g"}, {"k", std::to_string(100 + k)}}), t,
                            static_cast<double>(t + k)).ok());
      }
      REQUIRE(app->Commit().ok());
    }
    if (idle) {
      // Another series moves the newest time past the head age limit.
      AppendOne(*db, Labels::FromPairs({{"__name__", "z"}}), 40000 + opts.max_head_chunk_age_ms + 1000, 1);
      REQUIRE(db->RunMaintenance().ok());
    }
    struct Want {
      int64_t mint, maxt, t;  // t < 0: no sample in range
    };
    for (Want w : {Want{34500, 35000, 35000}, Want{30200, 30500, -1}, Want{25000, 30500, 30000},
                   Want{39000, 39999, 39000}, Want{15000, 20000, -1}, Want{5000, 20000, 9000},
                   Want{0, 40000, 40000}}) {
      INFO(num_series << " of " << num_series + others << " series, idle " << idle << ", range [" << w.mint << ", "
                      << w.maxt << "]");
      auto q = db->NewQuerier(w.mint, w.maxt);
      REQUIRE(q.ok());
      auto set = SelectHinted(**q, w.mint, w.maxt, /*last_only=*/true, {Matcher::Equal("__name__", "g")});
      int n = 0;
      while (set->Next()) {
        std::vector<Sample> got;
        auto it = set->At().Iterator();
        while (it->Next()) got.push_back(it->At());
        REQUIRE_FALSE(got.empty());
        CHECK(got.back().t == w.t);
        CHECK(got.back().v == static_cast<double>(w.t + std::stoi(std::string(set->At().labels().Get("k"))) - 100));
        ++n;
      }
      REQUIRE(set->status().ok());
      CHECK(n == (w.t < 0 ? 0 : num_series));
    }
    // Every sample in range, whether the newest chunk alone holds them (it
    // starts by mint) or older chunks are needed too.
    for (auto [mint, maxt] : {std::pair<int64_t, int64_t>{31000, 40000}, {30000, 35000}, {35500, 39999},
                              {5000, 35000}, {-5000, 3000}, {15000, 20000}, {41000, 50000}, {0, 40000}}) {
      INFO(num_series << " of " << num_series + others << " series, idle " << idle << ", all samples in [" << mint
                      << ", " << maxt << "]");
      std::vector<int64_t> want;
      for (int64_t t : times) {
        if (t >= mint && t <= maxt) want.push_back(t);
      }
      CHECK(CheckSampleTimes(*db, "g", mint, maxt, want) == (want.empty() ? 0 : num_series));
    }
    REQUIRE(db->Close().ok());
  }
}

TEST_CASE("Tsdb recent chunk in memory answers as the persisted one through deletes and clean up",
          "[unit][tsdb][delete]") {
  TempDir dir;
  TsdbOptions opts = TestOptions(dir.path());
  opts.max_samples_per_chunk = 10;
  auto db = MustOpen(opts);
  Labels a = Labels::FromPairs({{"__name__", "r"}, {"x", "a"}});
  auto times = [](int from, int to, std::vector<int> skip = {}) {
    std::vector<int64_t> out;
    for (int i = from; i <= to; ++i) {
      if (std::find(skip.begin(), skip.end(), i) == skip.end()) out.push_back(1000 * i);
    }
    return out;
  };
  // Chunks 0..9 s and 10..19 s (the recent one), 20..24 s in the head. A
  // range starting at 12 s needs only the recent chunk and the head.
  for (int i = 0; i <= 24; ++i) AppendOne(*db, a, 1000 * i, i);
  CHECK(CheckSampleTimes(*db, "r", 12000, 30000, times(12, 24)) == 1);
  REQUIRE(db->DeleteSeries({Matcher::Equal("x", "a")}, 14000, 16000).ok());
  CHECK(CheckSampleTimes(*db, "r", 12000, 30000, times(12, 24, {14, 15, 16})) == 1);
  // Cleaning rewrites the chunk and drops the tombstone: a stale copy in
  // memory would bring 14..16 s back.
  REQUIRE(db->CleanTombstones().ok());
  CHECK(CheckSampleTimes(*db, "r", 12000, 30000, times(12, 24, {14, 15, 16})) == 1);
  // New samples cut 20..29 s, which becomes the recent chunk.
  for (int i = 25; i <= 30; ++i) AppendOne(*db, a, 1000 * i, i);
  CHECK(CheckSampleTimes(*db, "r", 21000, 40000, times(21, 30)) == 1);
  // The newest sample in [20 s, 29.5 s]: inside the recent chunk.
  auto last_sample = [&] {
    auto q = db->NewQuerier(20000, 29500);
    REQUIRE(q.ok());
    auto set = SelectHinted(**q, 20000, 29500, /*last_only=*/true, {Matcher::Equal("x", "a")});
    REQUIRE(set->Next());
    auto it = set->At().Iterator();
    REQUIRE(it->Next());
    return it->At();
  };
  Sample last = last_sample();
  CHECK(last.t == 29000);
  CHECK(last.v == 29);
  // After a delete in the recent chunk, the newest sample before it is read.
  REQUIRE(db->DeleteSeries({Matcher::Equal("x", "a")}, 27000, 29000).ok());
  CHECK(last_sample().t == 26000);
  CHECK(CheckSampleTimes(*db, "r", 21000, 40000, times(21, 30, {27, 28, 29})) == 1);
  REQUIRE(db->Close().ok());
  db = MustOpen(opts);
  CHECK(CheckSampleTimes(*db, "r", 21000, 40000, times(21, 30, {27, 28, 29})) == 1);
  CHECK(CheckSampleTimes(*db, "r", 0, 40000, times(0, 30, {14, 15, 16, 27, 28, 29})) == 1);
}

TEST_CASE("Tsdb Select of a series whose only persisted chunk is its first", "[unit][tsdb]") {
  // 0..9 s persisted as one chunk, 10..12 s in the head; among many other
  // series, so that the selection is sparse and read by the chunk's key.
  TempDir dir;
  TsdbOptions opts = TestOptions(dir.path());
  opts.max_samples_per_chunk = 10;
  auto db = MustOpen(opts);
  {
    auto app = db->NewAppender();
    for (int k = 0; k < 200; ++k) {
      REQUIRE(app->Append(0, Labels::FromPairs({{"__name__", "other"}, {"k", std::to_string(k)}}), 0, 1).ok());
    }
    REQUIRE(app->Commit().ok());
  }
  for (int i = 0; i <= 12; ++i) {
    auto app = db->NewAppender();
    for (int k = 0; k < 16; ++k) {
      REQUIRE(app->Append(0, Labels::FromPairs({{"__name__", "h"}, {"k", std::to_string(k)}}), 1000 * i, i).ok());
    }
    REQUIRE(app->Commit().ok());
  }
  for (auto [mint, maxt] : {std::pair<int64_t, int64_t>{-5000, 20000}, {-5000, 4000}, {3000, 11000}}) {
    INFO("[" << mint << ", " << maxt << "]");
    std::vector<int64_t> want;
    for (int64_t t = std::max<int64_t>(0, (mint + 999) / 1000 * 1000); t <= std::min<int64_t>(12000, maxt); t += 1000) {
      want.push_back(t);
    }
    CHECK(CheckSampleTimes(*db, "h", mint, maxt, want) == 16);
  }
}

TEST_CASE("Tsdb Select of many series with persisted chunks returns exactly the samples in range",
          "[unit][tsdb]") {
  // Enough series for Select to read persisted chunks ahead in key order;
  // series differ in length, chunking and tombstones.
  TempDir dir;
  TsdbOptions opts = TestOptions(dir.path());
  opts.max_samples_per_chunk = 7;
  opts.bucket_duration_ms = 20000;  // chunks also split at bucket boundaries
  auto db = MustOpen(opts);
  const int kSeries = 40;
  std::map<std::string, std::vector<Sample>> expected;  // by series name
  for (int i = 0; i < 60; ++i) {
    auto app = db->NewAppender();
    for (int k = 0; k < kSeries; ++k) {
      if (i >= 20 + k) continue;  // series k stops after 20 + k samples
      if (k % 3 == 1 && i % 2 == 1) continue;
      std::string name = "s" + std::to_string(100 + k);
      Sample smp{1000 * i + k, static_cast<double>(i * k)};
      REQUIRE(app->Append(0, Labels::FromPairs({{"__name__", "m"}, {"s", name}}), smp.t, smp.v).ok());
      expected[name].push_back(smp);
    }
    REQUIRE(app->Commit().ok());
  }
  REQUIRE(db->DeleteSeries({Matcher::Equal("s", "s105")}, 10000, 15000).ok());
  auto& s105 = expected["s105"];
  s105.erase(std::remove_if(s105.begin(), s105.end(), [](const Sample& x) { return x.t >= 10000 && x.t <= 15000; }),
             s105.end());
  auto check = [&](int64_t query_mint, int64_t maxt) {
    // The same querier serves every Select: a later one re-reads series and
    // keys that the earlier ones passed, from a later start.
    auto q = db->NewQuerier(query_mint - 3000, maxt);
    REQUIRE(q.ok());
    for (auto [mint, last_only] : {std::pair<int64_t, bool>{query_mint - 3000, false}, {query_mint, false},
                                   {query_mint, true}, {query_mint + 1000, false}}) {
      INFO("range [" << mint << ", " << maxt << "] last_sample_only " << last_only);
      auto set = SelectHinted(**q, mint, maxt, last_only, {Matcher::Equal("__name__", "m")});
      auto want = expected.begin();
      auto in_range = [&](const std::vector<Sample>& v) {
        std::vector<Sample> r;
        for (const auto& x : v) {
          if (x.t >= mint && x.t <= maxt) r.push_back(x);
        }
        return r;
      };
      while (set->Next()) {
        while (want != expected.end() && in_range(want->second).empty()) ++want;
        REQUIRE(want != expected.end());
        CHECK(set->At().labels().Get("s") == want->first);
        std::vector<Sample> got;
        auto it = set->At().Iterator();
        while (it->Next()) got.push_back(it->At());
        auto w = in_range(want->second);
        if (last_only) {
          REQUIRE_FALSE(got.empty());
          CHECK(got.back().t == w.back().t);
          CHECK(got.back().v == w.back().v);
        } else {
          REQUIRE(got.size() == w.size());
          for (size_t i = 0; i < w.size(); ++i) CHECK((got[i].t == w[i].t && got[i].v == w[i].v));
        }
        ++want;
      }
      REQUIRE(set->status().ok());
      while (want != expected.end() && in_range(want->second).empty()) ++want;
      CHECK(want == expected.end());
    }
  };
  for (int pass = 0; pass < 2; ++pass) {
    for (int64_t maxt : {5000, 14000, 19999, 26000, 41000, 59000, 70000}) {
      check(maxt - 12000, maxt);
      check(maxt - 2000, maxt);
    }
    // Reopen: every sample is in persisted chunks.
    REQUIRE(db->Close().ok());
    db = MustOpen(opts);
  }
  REQUIRE(db->Close().ok());
}

TEST_CASE("Tsdb sample iterator Fill copies what Next and At give", "[unit][tsdb]") {
  TempDir dir;
  auto db = MustOpen(TestOptions(dir.path()));
  Labels l = Labels::FromPairs({{"__name__", "m"}});
  for (int i = 0; i < 10; ++i) AppendOne(*db, l, 1000 * i, i);
  auto q = db->NewQuerier(model::kMinTime, model::kMaxTime);
  REQUIRE(q.ok());
  for (size_t batch : {1, 3, 4, 20}) {
    INFO("batch " << batch);
    auto set = (*q)->Select(true, {}, {Matcher::Equal("__name__", "m")});
    REQUIRE(set->Next());
    auto it = set->At().Iterator();
    REQUIRE(it->Seek(2500));  // at t=3000
    std::vector<Sample> got(batch);
    std::vector<int64_t> times;
    bool first = true;
    while (true) {
      size_t n = it->Fill(first, got.data(), batch);
      first = false;
      for (size_t i = 0; i < n; ++i) times.push_back(got[i].t);
      if (n > 0) CHECK(it->At().t == got[n - 1].t);
      if (n < batch) break;
    }
    CHECK(times == std::vector<int64_t>{3000, 4000, 5000, 6000, 7000, 8000, 9000});
    CHECK_FALSE(it->Next());
  }
  q->reset();
  REQUIRE(db->Close().ok());
}

TEST_CASE("Tsdb matcher selection uses =, !=, =~, !~", "[unit][tsdb][index]") {
  TempDir dir;
  auto db = MustOpen(TestOptions(dir.path()));
  auto app = db->NewAppender();
  const char* jobs[] = {"api", "web", "db"};
  for (int i = 0; i < 30; ++i) {
    model::LabelsBuilder lb;
    lb.Set("__name__", "m").Set("job", jobs[i % 3]).Set("i", std::to_string(i));
    if (i % 2 == 0) lb.Set("even", "yes");
    REQUIRE(app->Append(0, lb.Build(), 1000, i).ok());
  }
  REQUIRE(app->Commit().ok());
  auto count = [&](std::vector<Matcher> ms) { return Query(*db, ms).size(); };
  CHECK(count({Matcher::Equal("job", "api")}) == 10);
  CHECK(count({Matcher::Equal("job", "nope")}) == 0);
  CHECK(count({Matcher::Equal("nolabel", "x")}) == 0);
  CHECK(count({Matcher::NotEqual("job", "api")}) == 20);
  CHECK(count({M(MatchType::kRegexMatch, "job", "api|web")}) == 20);
  CHECK(count({M(MatchType::kRegexMatch, "job", "a.*")}) == 10);
  CHECK(count({M(MatchType::kRegexNoMatch, "job", "a.*|w.*")}) == 10);
  CHECK(count({Matcher::Equal("__name__", "m"), Matcher::Equal("even", "")}) == 15);
  CHECK(count({Matcher::Equal("__name__", "m"), Matcher::NotEqual("even", "")}) == 15);
  CHECK(count({Matcher::Equal("__name__", "m"), M(MatchType::kRegexMatch, "even", ".*")}) == 30);
  CHECK(count({Matcher::Equal("__name__", "m"), M(MatchType::kRegexMatch, "even", ".+")}) == 15);
  CHECK(count({Matcher::Equal("job", "api"), Matcher::Equal("even", "yes")}) == 5);
  CHECK(count({Matcher::Equal("job", "api"), M(MatchType::kRegexNoMatch, "i", "1.*|2.*")}) == 4);
  CHECK(count({Matcher::NotEqual("job", "")}) == 30);

  auto q = db->NewQuerier(model::kMinTime, model::kMaxTime);
  REQUIRE(q.ok());
  auto names = (*q)->LabelNames({});
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"__name__", "even", "i", "job"});
  auto values = (*q)->LabelValues("job", {});
  REQUIRE(values.ok());
  CHECK(*values == std::vector<std::string>{"api", "db", "web"});
  auto filtered = (*q)->LabelValues("job", {Matcher::Equal("i", "4")});
  REQUIRE(filtered.ok());
  CHECK(*filtered == std::vector<std::string>{"web"});
  auto fnames = (*q)->LabelNames({Matcher::Equal("i", "3")});
  REQUIRE(fnames.ok());
  CHECK(*fnames == std::vector<std::string>{"__name__", "i", "job"});
}

TEST_CASE("Tsdb rejects out-of-order, duplicate and out-of-bounds samples like Prometheus 2.42",
          "[unit][tsdb][append]") {
  TempDir dir;
  auto db = MustOpen(TestOptions(dir.path()));
  Labels l = Labels::FromPairs({{"__name__", "x"}});
  AppendOne(*db, l, 10'000'000, 1);
  auto app = db->NewAppender();
  // Same timestamp, same value: silently ignored.
  CHECK(app->Append(0, l, 10'000'000, 1).ok());
  // Same timestamp, other value.
  auto dup = app->Append(0, l, 10'000'000, 2);
  CHECK(storage::GetAppendError(dup.status()) == storage::AppendError::kDuplicate);
  // Older than the newest sample.
  auto ooo = app->Append(0, l, 9'999'000, 2);
  CHECK(storage::GetAppendError(ooo.status()) == storage::AppendError::kOutOfOrder);
  // Older than head max time - 1h.
  auto oob = app->Append(0, l, 10'000'000 - 3600'000 - 1, 2);
  CHECK(storage::GetAppendError(oob.status()) == storage::AppendError::kOutOfBounds);
  CHECK(app->Append(0, l, 10'001'000, 3).ok());
  REQUIRE(app->Commit().ok());
  // A stale NaN and a duplicate stale NaN (bit-identical) are fine.
  AppendOne(*db, l, 10'002'000, model::StaleNaN());
  AppendOne(*db, l, 10'002'000, model::StaleNaN());
  auto app2 = db->NewAppender();
  auto dup_nan = app2->Append(0, l, 10'002'000, std::bit_cast<double>(model::kNormalNaNBits));
  CHECK(storage::GetAppendError(dup_nan.status()) == storage::AppendError::kDuplicate);

  auto c = db->Counters();
  CHECK(c.samples_appended == 3);
  CHECK(c.duplicate_samples == 2);
  CHECK(c.out_of_order_samples == 1);
  CHECK(c.out_of_bounds_samples == 1);
  auto res = Query(*db, {Matcher::Equal("__name__", "x")});
  REQUIRE(res.size() == 1);
  REQUIRE(res[0].samples.size() == 3);
  CHECK(model::IsStaleNaN(res[0].samples[2].v));

  SECTION("two appenders racing on one series: the later commit drops the older sample") {
    auto a1 = db->NewAppender();
    auto a2 = db->NewAppender();
    REQUIRE(a1->Append(0, l, 10'003'000, 5).ok());
    REQUIRE(a2->Append(0, l, 10'004'000, 6).ok());
    REQUIRE(a2->Commit().ok());
    REQUIRE(a1->Commit().ok());
    CHECK(db->Counters().out_of_order_samples == 2);
    CHECK(Query(*db, {Matcher::Equal("__name__", "x")})[0].samples.back().t == 10'004'000);
  }
}

TEST_CASE("Tsdb persists chunks and keeps every sample across reopen", "[unit][tsdb][persist]") {
  TempDir dir;
  Labels l = Labels::FromPairs({{"__name__", "c"}, {"k", "v"}});
  std::vector<Sample> want;
  {
    auto db = MustOpen(TestOptions(dir.path()));
    for (int i = 0; i < 1000; ++i) {
      double v = i % 100 == 99 ? model::StaleNaN() : i * 1.5;
      AppendOne(*db, l, 1'000'000 + i * 15'000, v);
      want.push_back({1'000'000 + i * 15'000, v});
    }
    CHECK(db->Counters().chunks_persisted >= 8);
    REQUIRE(db->Close().ok());
  }
  auto db = MustOpen(TestOptions(dir.path()));
  auto res = Query(*db, {Matcher::Equal("k", "v")});
  REQUIRE(res.size() == 1);
  REQUIRE(res[0].samples.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(res[0].samples[i].t == want[i].t);
    CHECK(std::bit_cast<uint64_t>(res[0].samples[i].v) == std::bit_cast<uint64_t>(want[i].v));
  }
  CHECK(db->Counters().wal_pending_records == 0);  // Close persisted everything
  auto scan = db->ScanStorage();
  REQUIRE(scan.ok());
  CHECK(scan->chunk_samples == 1000);
  CHECK(scan->wal_records == 0);
  CHECK(scan->series_records == 2);  // S and H
  // Appends continue after the persisted data; older ones are out of order.
  auto app = db->NewAppender();
  CHECK(storage::GetAppendError(app->Append(0, l, want.back().t - 1, 0).status()) ==
        storage::AppendError::kOutOfOrder);
  CHECK(app->Append(0, l, want.back().t + 1, 0).ok());
  REQUIRE(app->Commit().ok());
  CHECK(db->Counters().wal_pending_records == 1);
}

TEST_CASE("Tsdb deletes WAL records once their chunks are persisted", "[unit][tsdb][wal]") {
  TempDir dir;
  auto db = MustOpen(TestOptions(dir.path()));
  Labels a = Labels::FromPairs({{"__name__", "w"}, {"s", "a"}});
  Labels idle = Labels::FromPairs({{"__name__", "w"}, {"s", "idle"}});
  AppendOne(*db, idle, 0, 1);  // never appended again: cut by age
  for (int i = 0; i < 300; ++i) AppendOne(*db, a, i * 10'000, i);  // 50 min at 10s
  REQUIRE(db->RunMaintenance().ok());
  auto c = db->Counters();
  // 300 samples = 2 full chunks + 60 in the head; the idle series' chunk is
  // older than 10 min and was persisted, so only the head's records remain.
  CHECK(c.wal_pending_records == 60);
  CHECK(c.wal_records_deleted == 241);
  CHECK(c.head_chunks == 1);
  db->AbandonForTesting();
  db = MustOpen(TestOptions(dir.path()));
  auto res = Query(*db, {Matcher::Equal("__name__", "w")});
  REQUIRE(res.size() == 2);
  CHECK(res[0].samples.size() == 300);
  CHECK(res[1].samples.size() == 1);
}

TEST_CASE("Tsdb keeps acknowledged samples after a crash (kill -9)", "[unit][tsdb][crash]") {
  TempDir dir;
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    auto db = Tsdb::Open(TestOptions(dir.path()));
    if (!db.ok()) _exit(1);
    for (int i = 0; i < 400; ++i) {
      auto app = (*db)->NewAppender();
      for (int s = 0; s < 50; ++s) {
        Labels l = Labels::FromPairs({{"__name__", "crash"}, {"s", std::to_string(s)}});
        if (!app->Append(0, l, 1000 + i * 1000, i + s).ok()) _exit(2);
      }
      if (!app->Commit().ok()) _exit(3);
      if (i == 200) {
        if (!(*db)->RunMaintenance().ok()) _exit(4);  // truncates part of the WAL
      }
      int32_t acked = i;
      if (write(fds[1], &acked, sizeof(acked)) != sizeof(acked)) _exit(5);
    }
    // Wait to be killed: never closes the database.
    for (;;) pause();
  }
  close(fds[1]);
  int32_t last = -1, v;
  while (last < 399 && read(fds[0], &v, sizeof(v)) == sizeof(v)) last = v;
  kill(pid, SIGKILL);
  int wstatus;
  waitpid(pid, &wstatus, 0);
  close(fds[0]);
  REQUIRE(last == 399);

  auto db = MustOpen(TestOptions(dir.path()));
  auto res = Query(*db, {Matcher::Equal("__name__", "crash")});
  REQUIRE(res.size() == 50);
  for (const auto& r : res) {
    int s = std::stoi(std::string(r.labels.Get("s")));
    REQUIRE(r.samples.size() == 400);
    for (int i = 0; i < 400; ++i) {
      CHECK(r.samples[i].t == 1000 + i * 1000);
      CHECK(r.samples[i].v == i + s);
    }
  }
  // And once more after a clean close.
  REQUIRE(db->Close().ok());
  db = MustOpen(TestOptions(dir.path()));
  CHECK(Query(*db, {Matcher::Equal("s", "7")})[0].samples.size() == 400);
}

TEST_CASE("Tsdb abandoned without Close replays its WAL", "[unit][tsdb][crash]") {
  TempDir dir;
  Labels l = Labels::FromPairs({{"__name__", "a"}});
  {
    auto db = MustOpen(TestOptions(dir.path()));
    for (int i = 0; i < 250; ++i) AppendOne(*db, l, i * 1000, i);
    db->AbandonForTesting();
  }
  auto db = MustOpen(TestOptions(dir.path()));
  auto res = Query(*db, {Matcher::Equal("__name__", "a")});
  REQUIRE(res.size() == 1);
  CHECK(res[0].samples.size() == 250);
}

TEST_CASE("Tsdb time retention deletes whole old buckets and empty series", "[unit][tsdb][retention]") {
  TempDir dir;
  TsdbOptions o = TestOptions(dir.path());
  o.retention_time = absl::Hours(6);
  o.allow_out_of_bounds = true;
  auto db = MustOpen(o);
  Labels old_series = Labels::FromPairs({{"__name__", "old"}});
  Labels live = Labels::FromPairs({{"__name__", "live"}});
  const int64_t hour = 3600'000;
  for (int64_t t = 0; t < 2 * hour; t += 60'000) AppendOne(*db, old_series, t, 1);
  for (int64_t t = 0; t <= 12 * hour; t += 60'000) AppendOne(*db, live, t, 2);
  REQUIRE(db->RunMaintenance().ok());
  CHECK(Query(*db, {Matcher::Equal("__name__", "old")}).empty());
  auto res = Query(*db, {Matcher::Equal("__name__", "live")});
  REQUIRE(res.size() == 1);
  // Buckets are 2h wide: everything before 6h (12h - 6h) is gone.
  CHECK(res[0].samples.front().t == 6 * hour);
  CHECK(db->Head().num_series == 1);
  CHECK(db->Counters().series_removed == 1);
  CHECK(db->Head().min_time == 6 * hour);
  REQUIRE(db->Close().ok());
  db = MustOpen(o);
  auto again = Query(*db, {Matcher::Equal("__name__", "live")});
  REQUIRE(again.size() == 1);
  CHECK(again[0].samples.front().t == 6 * hour);
  CHECK(again[0].samples.size() == res[0].samples.size());
  CHECK(db->Head().num_series == 1);
}

TEST_CASE("Tsdb size retention deletes the oldest buckets", "[unit][tsdb][retention]") {
  TempDir dir;
  TsdbOptions o = TestOptions(dir.path());
  o.retention_time = absl::ZeroDuration();
  o.retention_size_bytes = 1;  // everything but the newest bucket must go
  o.allow_out_of_bounds = true;
  auto db = MustOpen(o);
  const int64_t hour = 3600'000;
  for (int s = 0; s < 20; ++s) {
    auto app = db->NewAppender();
    Labels l = Labels::FromPairs({{"__name__", "m"}, {"s", std::to_string(s)}});
    for (int64_t t = 0; t <= 10 * hour; t += 60'000) REQUIRE(app->Append(0, l, t, t).ok());
    REQUIRE(app->Commit().ok());
  }
  REQUIRE(db->RunMaintenance().ok());
  auto res = Query(*db, {Matcher::Equal("__name__", "m")});
  REQUIRE(res.size() == 20);
  CHECK(res[0].samples.front().t == 10 * hour);
  CHECK(db->Counters().retention_buckets_deleted == 5);
}

TEST_CASE("Tsdb delete series hides samples, clean tombstones rewrites chunks", "[unit][tsdb][delete]") {
  TempDir dir;
  auto db = MustOpen(TestOptions(dir.path()));
  Labels a = Labels::FromPairs({{"__name__", "d"}, {"x", "a"}});
  Labels b = Labels::FromPairs({{"__name__", "d"}, {"x", "b"}});
  for (int i = 0; i < 300; ++i) {
    auto app = db->NewAppender();
    REQUIRE(app->Append(0, a, i * 1000, i).ok());
    REQUIRE(app->Append(0, b, i * 1000, i).ok());
    REQUIRE(app->Commit().ok());
  }
  REQUIRE(db->DeleteSeries({Matcher::Equal("x", "a")}, 100'000, 199'000).ok());
  auto check = [&](bool b_present) {
    auto res = Query(*db, {Matcher::Equal("__name__", "d")});
    REQUIRE(res.size() == (b_present ? 2 : 1));
    CHECK(res[0].samples.size() == 200);
    if (b_present) CHECK(res[1].samples.size() == 300);
    for (const auto& s : res[0].samples) CHECK((s.t < 100'000 || s.t > 199'000));
    auto chunks = db->SelectChunks(model::kMinTime, model::kMaxTime, {Matcher::Equal("x", "a")});
    REQUIRE(chunks.ok());
    REQUIRE(chunks->size() == 1);
    size_t n = 0;
    for (const auto& c : (*chunks)[0].chunks) {
      XorIterator it(c.data);
      while (it.Next()) {
        ++n;
        CHECK(it.At().t >= c.min_time);
        CHECK(it.At().t <= c.max_time);
      }
    }
    CHECK(n == 200);
  };
  check(true);
  REQUIRE(db->CleanTombstones().ok());
  check(true);
  // Deleting everything of b removes the series on clean up.
  REQUIRE(db->DeleteSeries({Matcher::Equal("x", "b")}, model::kMinTime, model::kMaxTime).ok());
  CHECK(Query(*db, {Matcher::Equal("x", "b")}).empty());
  REQUIRE(db->CleanTombstones().ok());
  CHECK(db->Head().num_series == 1);
  REQUIRE(db->Close().ok());
  db = MustOpen(TestOptions(dir.path()));
  check(false);
  CHECK(Query(*db, {Matcher::Equal("x", "b")}).empty());
}

TEST_CASE("Tsdb SelectChunks returns decodable chunks", "[unit][tsdb][chunks]") {
  TempDir dir;
  auto db = MustOpen(TestOptions(dir.path()));
  Labels l = Labels::FromPairs({{"__name__", "ch"}});
  for (int i = 0; i < 500; ++i) AppendOne(*db, l, i * 2000, i);
  auto res = db->SelectChunks(100'000, 300'000, {Matcher::Equal("__name__", "ch")});
  REQUIRE(res.ok());
  REQUIRE(res->size() == 1);
  const auto& chunks = (*res)[0].chunks;
  REQUIRE(!chunks.empty());
  CHECK(chunks.front().min_time <= 100'000);
  CHECK(chunks.back().max_time >= 300'000);
  int64_t prev = -1;
  for (const auto& c : chunks) {
    CHECK(c.encoding == ChunkEncoding::kXor);
    CHECK(c.min_time > prev);
    prev = c.max_time;
  }
}

TEST_CASE("Tsdb cardinality stats", "[unit][tsdb][stats]") {
  TempDir dir;
  auto db = MustOpen(TestOptions(dir.path()));
  auto app = db->NewAppender();
  for (int i = 0; i < 10; ++i) {
    REQUIRE(app->Append(0, Labels::FromPairs({{"__name__", "big"}, {"i", std::to_string(i)}}), 1, 1).ok());
  }
  REQUIRE(app->Append(0, Labels::FromPairs({{"__name__", "small"}, {"i", "0"}}), 1, 1).ok());
  REQUIRE(app->Commit().ok());
  auto st = db->Stats(2, {});
  CHECK(st.head.num_series == 11);
  REQUIRE(st.series_count_by_metric_name.size() == 2);
  CHECK(st.series_count_by_metric_name[0].name == "big");
  CHECK(st.series_count_by_metric_name[0].count == 10);
  CHECK(st.label_value_count_by_label_name[0].name == "i");
  CHECK(st.label_value_count_by_label_name[0].count == 10);
  CHECK(st.series_count_by_label_value_pair[0].name == "__name__=big");
  CHECK(st.num_label_pairs == 12);
  CHECK(st.memory_in_bytes_by_label_name[0].name == "__name__");
  CHECK(st.memory_in_bytes_by_label_name[0].count == 35);  // 10 x len("big") + len("small")
  auto filtered = db->Stats(10, {{Matcher::Equal("__name__", "small")}});
  CHECK(filtered.head.num_series == 1);
  REQUIRE(filtered.series_count_by_metric_name.size() == 1);
  CHECK(filtered.series_count_by_metric_name[0].name == "small");
}

TEST_CASE("Tsdb snapshot is a usable database", "[unit][tsdb][snapshot]") {
  TempDir dir;
  auto db = MustOpen(TestOptions(dir.path()));
  Labels l = Labels::FromPairs({{"__name__", "snap"}});
  for (int i = 0; i < 150; ++i) AppendOne(*db, l, i * 1000, i);
  std::string snap = dir.path() + "/../" + std::filesystem::path(dir.path()).filename().string() + "_snap";
  auto before = db->ScanStorage();
  REQUIRE(before.ok());
  REQUIRE(db->Snapshot(snap, /*skip_head=*/false).ok());
  CHECK(db->Snapshot(snap, false).code() == absl::StatusCode::kAlreadyExists);
  // The live database is unchanged: one full chunk of 120 persisted, the
  // other 30 samples still in the open head, every WAL record kept (no
  // maintenance ran to truncate them).
  auto live = db->ScanStorage();
  REQUIRE(live.ok());
  CHECK(live->chunks == 1);
  CHECK(live->wal_samples == before->wal_samples);
  CHECK(live->chunk_bytes == before->chunk_bytes);
  // The copy is in its steady state: the head was written as a second
  // chunk, no WAL record is left, and meta.json counts what is there.
  std::ifstream meta_file(snap + "/meta.json");
  std::string meta((std::istreambuf_iterator<char>(meta_file)), std::istreambuf_iterator<char>());
  {
    auto copy = MustOpen(TestOptions(snap));
    auto stored = copy->ScanStorage();
    REQUIRE(stored.ok());
    CHECK(stored->chunks == 2);
    CHECK(stored->wal_samples == 0);
    CHECK(meta == "{\"version\":1,\"stats\":{\"numSamples\":150,\"numSeries\":1,\"numChunks\":2},"
                  "\"walSamples\":0,\"chunkBytes\":" +
                      std::to_string(stored->chunk_bytes) + "}\n");
    auto res = Query(*copy, {Matcher::Equal("__name__", "snap")});
    REQUIRE(res.size() == 1);
    CHECK(res[0].samples.size() == 150);
  }
  // The source keeps appending into its head chunk.
  AppendOne(*db, l, 150 * 1000, 150);
  auto res = Query(*db, {Matcher::Equal("__name__", "snap")});
  REQUIRE(res.size() == 1);
  CHECK(res[0].samples.size() == 151);
  live = db->ScanStorage();
  REQUIRE(live.ok());
  CHECK(live->chunks == 1);
  std::filesystem::remove_all(snap);

  // skip_head: only what was already persisted.
  REQUIRE(db->Snapshot(snap, /*skip_head=*/true).ok());
  {
    auto copy = MustOpen(TestOptions(snap));
    auto res2 = Query(*copy, {Matcher::Equal("__name__", "snap")});
    REQUIRE(res2.size() == 1);
    CHECK(res2[0].samples.size() == 120);
  }
  std::filesystem::remove_all(snap);
}

TEST_CASE("Tsdb snapshot during commits holds every committed sample once", "[unit][tsdb][snapshot]") {
  TempDir dir;
  auto db = MustOpen(TestOptions(dir.path()));
  std::atomic<bool> stop{false};
  std::atomic<int64_t> committed{0};
  std::atomic<bool> failed{false};
  std::thread writer([&] {
    std::vector<storage::SeriesRef> refs(50, 0);
    for (int i = 0; !stop && !failed; ++i) {
      auto app = db->NewAppender();
      for (int s = 0; s < 50; ++s) {
        auto r = app->Append(refs[s], Labels::FromPairs({{"__name__", "busy"}, {"s", std::to_string(s)}}),
                             i * 1000, i);
        if (!r.ok()) failed = true; else refs[s] = *r;
      }
      if (!app->Commit().ok()) failed = true;
      committed = i + 1;
    }
  });
  while (committed < 300 && !failed) std::this_thread::yield();
  std::string snap = dir.path() + "/../" + std::filesystem::path(dir.path()).filename().string() + "_busy";
  REQUIRE(db->Snapshot(snap, false).ok());
  stop = true;
  writer.join();
  REQUIRE_FALSE(failed);
  auto copy = MustOpen(TestOptions(snap));
  auto res = Query(*copy, {Matcher::Equal("__name__", "busy")});
  REQUIRE(res.size() == 50);
  // Each series holds a prefix of the commits, without gaps or repeats.
  for (const auto& series : res) {
    REQUIRE(series.samples.size() >= 300);
    for (size_t i = 0; i < series.samples.size(); ++i) {
      CHECK(series.samples[i].t == static_cast<int64_t>(i) * 1000);
    }
  }
  // Every series stops at the same commit: the copy is one moment.
  for (const auto& series : res) CHECK(series.samples.size() == res[0].samples.size());
  copy.reset();
  std::filesystem::remove_all(snap);
}

TEST_CASE("Tsdb serves queries while many appenders commit", "[unit][tsdb][concurrency]") {
  TempDir dir;
  auto db = MustOpen(TestOptions(dir.path()));
  constexpr int kThreads = 4, kSeries = 200, kScrapes = 150;
  std::vector<std::thread> threads;
  std::atomic<bool> failed{false};
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      std::vector<storage::SeriesRef> refs(kSeries, 0);
      for (int i = 0; i < kScrapes; ++i) {
        auto app = db->NewAppender();
        for (int s = 0; s < kSeries; ++s) {
          Labels l = Labels::FromPairs({{"__name__", "conc"}, {"t", std::to_string(th)}, {"s", std::to_string(s)}});
          auto r = app->Append(refs[s], l, i * 1000, i);
          if (!r.ok()) failed = true; else refs[s] = *r;
        }
        if (!app->Commit().ok()) failed = true;
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 20; ++i) {
      auto q = db->NewQuerier(model::kMinTime, model::kMaxTime);
      auto set = (*q)->Select(false, {}, {Matcher::Equal("t", "1")});
      while (set->Next()) {
        auto it = set->At().Iterator();
        int64_t prev = -1;
        while (it->Next()) {
          if (it->At().t <= prev) failed = true;
          prev = it->At().t;
        }
      }
      if (!db->RunMaintenance().ok()) failed = true;
    }
  });
  for (auto& t : threads) t.join();
  CHECK_FALSE(failed);
  auto res = Query(*db, {Matcher::Equal("__name__", "conc")});
  REQUIRE(res.size() == kThreads * kSeries);
  for (const auto& r : res) CHECK(r.samples.size() == kScrapes);
  CHECK(db->Counters().samples_appended == kThreads * kSeries * kScrapes);
}

}  // namespace
}  // namespace omni::tsdb
