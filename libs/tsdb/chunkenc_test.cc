#include "libs/tsdb/chunkenc.h"

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include <catch2/catch.hpp>

namespace omni::tsdb {
namespace {

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

void RoundTrip(const std::vector<model::Sample>& in) {
  XorAppender app;
  for (const auto& s : in) app.Append(s.t, s.v);
  REQUIRE(app.num_samples() == in.size());
  std::vector<model::Sample> out;
  REQUIRE(DecodeXorChunk(app.bytes(), &out).ok());
  REQUIRE(out.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    CHECK(out[i].t == in[i].t);
    CHECK(Bits(out[i].v) == Bits(in[i].v));
  }
}

TEST_CASE("XOR chunk round-trips regular scrapes", "[unit][tsdb][chunk]") {
  std::vector<model::Sample> in;
  for (int i = 0; i < 120; ++i) in.push_back({1700000000000 + i * 2000, 100.0 + i * 3});
  RoundTrip(in);
  XorAppender app;
  for (const auto& s : in) app.Append(s.t, s.v);
  // Regular timestamps and slowly changing integers compress well.
  CHECK(app.bytes().size() < 120 * 3);
}

TEST_CASE("XOR chunk keeps special floats bit-exact", "[unit][tsdb][chunk]") {
  std::vector<model::Sample> in = {
      {1, 0.0},
      {2, -0.0},
      {3, std::numeric_limits<double>::infinity()},
      {4, -std::numeric_limits<double>::infinity()},
      {5, std::bit_cast<double>(model::kNormalNaNBits)},
      {6, model::StaleNaN()},
      {7, 1.5},
      {8, model::StaleNaN()},
      {9, std::numeric_limits<double>::denorm_min()},
      {10, std::numeric_limits<double>::max()},
  };
  RoundTrip(in);
  XorAppender app;
  for (const auto& s : in) app.Append(s.t, s.v);
  XorIterator it(app.bytes());
  int stale = 0;
  while (it.Next()) stale += model::IsStaleNaN(it.At().v) ? 1 : 0;
  CHECK(stale == 2);
}

TEST_CASE("XOR chunk handles irregular timestamps and random values", "[unit][tsdb][chunk]") {
  std::mt19937_64 rng(42);
  std::vector<model::Sample> in;
  int64_t t = -5000;
  for (int i = 0; i < 2000; ++i) {
    switch (rng() % 5) {
      case 0: t += 1; break;
      case 1: t += 15000; break;
      case 2: t += static_cast<int64_t>(rng() % 100000); break;
      case 3: t += static_cast<int64_t>(rng() % 10000000000LL) + 1; break;
      default: t += 1000; break;
    }
    double v = (rng() % 3 == 0) ? std::bit_cast<double>(rng()) : static_cast<double>(rng() % 1000);
    in.push_back({t, v});
  }
  RoundTrip(in);
  RoundTrip({});
  RoundTrip({{42, 1.0}});
  RoundTrip({{42, 1.0}, {43, 1.0}});
}

TEST_CASE("XOR iterator seeks and reports corruption", "[unit][tsdb][chunk]") {
  std::vector<model::Sample> in;
  for (int i = 0; i < 50; ++i) in.push_back({i * 10, static_cast<double>(i)});
  std::string bytes = EncodeXorChunk(in);
  XorIterator it(bytes);
  REQUIRE(it.Seek(95));
  CHECK(it.At().t == 100);
  REQUIRE(it.Seek(50));  // never moves backwards
  CHECK(it.At().t == 100);
  CHECK_FALSE(it.Seek(10000));

  std::string truncated = bytes.substr(0, bytes.size() / 2);
  std::vector<model::Sample> out;
  CHECK(DecodeXorChunk(truncated, &out).code() == absl::StatusCode::kDataLoss);
  CHECK(DecodeXorChunk("x", &out).code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("XOR iterator on every truncation decodes a correct prefix or reports corruption",
          "[unit][tsdb][chunk]") {
  std::mt19937_64 rng(7);
  std::vector<model::Sample> in;
  int64_t t = 1700000000000;
  for (int i = 0; i < 300; ++i) {
    t += (i % 7 == 0) ? static_cast<int64_t>(rng() % 100000000) : 2000 + static_cast<int64_t>(rng() % 9);
    in.push_back({t, (i % 5 == 0) ? std::bit_cast<double>(rng()) : static_cast<double>(i / 3)});
  }
  std::string bytes = EncodeXorChunk(in);
  for (size_t len = 0; len <= bytes.size(); ++len) {
    XorIterator it(std::string_view(bytes.data(), len));
    size_t n = 0;
    while (it.Next()) {
      REQUIRE(n < in.size());
      REQUIRE(it.At().t == in[n].t);
      REQUIRE(Bits(it.At().v) == Bits(in[n].v));
      ++n;
    }
    if (len == bytes.size()) {
      CHECK(it.status().ok());
      CHECK(n == in.size());
    } else {
      CHECK(it.status().code() == absl::StatusCode::kDataLoss);
    }
  }
}

}  // namespace
}  // namespace omni::tsdb

namespace omni::tsdb {
namespace {

// Every branch of the format: varint t0 and first delta, dod 0 / 7 / 14 /
// 20 / 64 bits, unchanged value, reused and new XOR windows, 64 significant bits.
std::vector<model::Sample> AllBranches() {
  return {{1000, 1.5},         {3000, 2.5},       {5000, 2.5},         {7003, -3.25},
          {9000, -3.5},        {20000, 1e300},    {300000, 1e-300},    {900000000, model::StaleNaN()},
          {900002000, 0.0},    {900004000, 7.0}};
}

// Bytes of AllBranches() from the original (byte-at-a-time) bit writer.
constexpr const char* kGolden =
    "000ad00f3ff8000000000000d00fc26fffc81e03e003dea0007c0465783ebe3be43c8800759f906b230fffe4a2"
    "88d2be21b17c00000000d6703d82fcaadc3f85f1e6b7fffffffff94bf65617ff000000000000250070000000000000";

std::string Hex(std::string_view s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

TEST_CASE("XOR chunk bytes are the documented format (golden)", "[unit][tsdb][chunk]") {
  XorAppender app;
  for (const auto& s : AllBranches()) app.Append(s.t, s.v);
  CHECK(Hex(app.bytes()) == kGolden);
}

TEST_CASE("XOR chunk bytes() between appends is a valid prefix and changes nothing", "[unit][tsdb][chunk]") {
  std::mt19937_64 rng(9);
  std::vector<model::Sample> in = AllBranches();
  for (int i = 0; i < 300; ++i) {
    in.push_back({in.back().t + 1 + static_cast<int64_t>(rng() % 5000),
                  rng() % 2 ? std::bit_cast<double>(rng()) : static_cast<double>(rng() % 7)});
  }
  XorAppender peeked, plain;
  for (size_t i = 0; i < in.size(); ++i) {
    peeked.Append(in[i].t, in[i].v);
    plain.Append(in[i].t, in[i].v);
    std::vector<model::Sample> out;
    REQUIRE(DecodeXorChunk(peeked.bytes(), &out).ok());
    REQUIRE(out.size() == i + 1);
    CHECK(out.back().t == in[i].t);
    CHECK(Bits(out.back().v) == Bits(in[i].v));
    if (i % 3 == 0) (void)peeked.bytes();  // twice in a row
  }
  CHECK(peeked.bytes() == plain.bytes());
}

TEST_CASE("XorAppender keeps the sample before the newest", "[unit][tsdb][chunk]") {
  XorAppender app;
  app.Append(1000, 1.5);
  app.Append(3000, 2.5);
  CHECK(app.previous_time() == 1000);
  CHECK(app.previous_value() == 1.5);
  app.Append(3999, -7);
  CHECK(app.previous_time() == 3000);
  CHECK(app.previous_value() == 2.5);
  CHECK(app.last_time() == 3999);
  app.Reset();
  app.Append(10, 1);
  app.Append(20, 2);
  CHECK(app.previous_time() == 10);
  CHECK(app.previous_value() == 1);
}

}  // namespace
}  // namespace omni::tsdb
