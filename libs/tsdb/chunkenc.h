// XOR chunk encoding (Gorilla: delta-of-delta timestamps, XOR floats) for the
// samples of one series. This is a small library of its own (omni::tsdb_chunkenc,
// no RocksDB) so that remote readers (the rpc layer in the alerter/viewer) can
// decode chunks streamed by the collector's gRPC Select. The byte format is
// specified in docs/format/chunks.md and never changes for encoding XOR=1.
//
// Example:
//   XorAppender app;
//   app.Append(1000, 1.5);
//   app.Append(2000, 2.5);
//   std::string_view bytes = app.bytes();      // a complete, decodable chunk
//   XorIterator it(bytes);
//   while (it.Next()) { model::Sample s = it.At(); }
//   if (!it.status().ok()) { ... corrupt chunk ... }
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "libs/model/sample.h"

namespace omni::tsdb {

// Chunk encodings; the values match omniscope.v1.Chunk.Encoding.
enum class ChunkEncoding : uint8_t { kUnknown = 0, kXor = 1 };

// An encoded chunk with its time bounds, as handed to remote readers.
struct EncodedChunk {
  model::Timestamp min_time = 0;  // timestamp of the first sample
  model::Timestamp max_time = 0;  // timestamp of the last sample
  ChunkEncoding encoding = ChunkEncoding::kXor;
  std::string data;  // the chunk bytes (docs/format/chunks.md)
};

// Builds an XOR chunk sample by sample. The bytes are a valid chunk after every
// Append, so a head chunk can be copied out for readers at any time.
// Not thread-safe. Samples must be appended in strictly increasing time order
// (the caller enforces it); at most 65535 samples per chunk.
class XorAppender {
 public:
  XorAppender() { Reset(); }
  // Starts an empty chunk (keeps the buffer's capacity).
  void Reset();
  // Starts an empty chunk with a buffer sized for about `expected_bytes`
  // (e.g. the size of the chunk just cut), releasing excess capacity.
  void ResetWithCapacity(size_t expected_bytes);
  void Append(model::Timestamp t, double v);

  uint16_t num_samples() const { return num_samples_; }
  // The chunk bytes (writes the sample count header lazily, so appends do
  // not touch the buffer's first cache line).
  std::string_view bytes() const;
  // Capacity in bytes of the internal buffer (for memory accounting).
  size_t capacity() const { return data_.capacity(); }
  // Releases unused buffer capacity.
  void Shrink() { data_.shrink_to_fit(); }
  // Moves the chunk bytes out (no copy) and starts an empty chunk with a new,
  // empty buffer.
  std::string TakeBytes();
  model::Timestamp last_time() const { return t_; }
  double last_value() const { return v_; }
  // The sample before the newest one (REQUIRES num_samples() >= 2): an
  // instant query a scrape interval behind the newest sample is answered
  // without decoding the chunk.
  model::Timestamp previous_time() const { return t_ - t_delta_; }
  double previous_value() const { return prev_v_; }

 private:
  // Buffers bits in a register: most samples need 2 bits, so the heap
  // buffer (a cache miss per append otherwise) is touched every ~32 samples,
  // and then only written: whole bytes are appended and the odd bits stay in
  // the register, so the buffer's last byte is never read back.
  void Put(uint64_t value, int nbits) {
    if (nbits > 32) {  // keeps pending_bits_ + nbits <= 64 below
      Put(value >> 32, nbits - 32);
      value &= 0xffffffffu;
      nbits = 32;
    }
    if (pending_bits_ + nbits > 64) FlushWholeBytes();
    pending_ = (pending_ << nbits) | (value & ((uint64_t{1} << nbits) - 1));
    pending_bits_ = static_cast<uint8_t>(pending_bits_ + nbits);
  }
  void PutBit(bool bit) { Put(bit ? 1 : 0, 1); }
  // Appends the whole bytes of pending_ to data_ (first dropping the padded
  // byte bytes() may have added); fewer than 8 bits stay pending.
  void FlushWholeBytes() const;

  mutable std::string data_;  // 2-byte sample count header + bit stream
  mutable uint64_t pending_ = 0;     // bits not yet in data_ (low pending_bits_ bits)
  mutable uint8_t pending_bits_ = 0;
  uint16_t num_samples_ = 0;
  mutable bool padded_ = false;  // data_ ends with a zero-padded copy of the pending bits
  uint8_t leading_ = 0xff; // leading zeros of the previous XOR window (0xff: none yet)
  uint8_t trailing_ = 0;
  int64_t t_ = 0;
  int64_t t_delta_ = 0;
  double v_ = 0;
  double prev_v_ = 0;  // the value before v_
};

// Decodes an XOR chunk. The chunk bytes must outlive the iterator.
class XorIterator {
 public:
  explicit XorIterator(std::string_view chunk);
  // Advances to the next sample. Returns false at the end or on corruption
  // (then status() is DataLoss).
  bool Next();
  // Advances to the first sample with t >= `t` (stays if already there).
  bool Seek(model::Timestamp t);
  // REQUIRES: the last Next/Seek returned true.
  model::Sample At() const { return {t_, v_}; }
  uint16_t num_samples() const { return total_; }
  const absl::Status& status() const { return status_; }

 private:
  // Bits are read through a 64-bit buffer refilled a word at a time: the
  // unread bits sit at the top of `buf_` (`count_` of them), `pos_` is the
  // next byte of data_ to load.
  bool Refill(int need);
  // 1 <= nbits <= 56.
  bool ReadBits(int nbits, uint64_t* out) {
    if (count_ < nbits && !Refill(nbits)) return false;
    *out = buf_ >> (64 - nbits);
    buf_ <<= nbits;
    count_ -= nbits;
    return true;
  }
  bool ReadBit(bool* out) {
    if (count_ < 1 && !Refill(1)) return false;
    *out = (buf_ >> 63) != 0;
    buf_ <<= 1;
    count_ -= 1;
    return true;
  }
  // 33 <= nbits <= 64.
  bool ReadWide(int nbits, uint64_t* out);
  bool ReadVarint(int64_t* out);
  bool ReadUvarint(uint64_t* out);
  bool Fail();

  std::string_view data_;
  size_t pos_ = 2;
  uint64_t buf_ = 0;
  int count_ = 0;
  uint16_t total_ = 0;
  uint16_t read_ = 0;
  uint8_t leading_ = 0;
  uint8_t trailing_ = 0;
  int64_t t_ = 0;
  int64_t t_delta_ = 0;
  double v_ = 0;
  bool at_ = false;
  absl::Status status_;
};

// Decodes every sample of `chunk` into `out` (appending). DataLoss on corruption.
absl::Status DecodeXorChunk(std::string_view chunk, std::vector<model::Sample>* out);
// Encodes `samples` (strictly increasing times) as one chunk.
std::string EncodeXorChunk(const std::vector<model::Sample>& samples);

}  // namespace omni::tsdb
