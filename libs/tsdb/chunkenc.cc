#include "libs/tsdb/chunkenc.h"

#include <bit>
#include <cstring>

namespace omni::tsdb {
namespace {

uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// True when `v` fits in an `nbits`-bit two's complement field.
bool FitsSigned(int64_t v, int nbits) {
  int64_t lim = int64_t{1} << (nbits - 1);
  return v >= -lim && v < lim;
}

int64_t SignExtend(uint64_t v, int nbits) {
  int shift = 64 - nbits;
  return static_cast<int64_t>(v << shift) >> shift;
}

}  // namespace

void XorAppender::Reset() {
  data_.assign(2, '\0');
  num_samples_ = 0;
  pending_ = 0;
  pending_bits_ = 0;
  padded_ = false;
  leading_ = 0xff;
  trailing_ = 0;
  t_ = 0;
  t_delta_ = 0;
  v_ = 0;
  prev_v_ = 0;
}

void XorAppender::ResetWithCapacity(size_t expected_bytes) {
  size_t want = expected_bytes + expected_bytes / 8 + 8;
  if (data_.capacity() > want + want / 4) {
    std::string fresh;
    fresh.reserve(want);
    data_.swap(fresh);
  }
  Reset();
}

std::string XorAppender::TakeBytes() {
  bytes();  // completes the header and the last partial byte
  std::string out = std::move(data_);
  data_ = std::string();
  Reset();
  return out;
}

std::string_view XorAppender::bytes() const {
  FlushWholeBytes();
  if (pending_bits_ > 0) {
    data_.push_back(static_cast<char>(pending_ << (8 - pending_bits_)));
    padded_ = true;
  }
  data_[0] = static_cast<char>(num_samples_ >> 8);
  data_[1] = static_cast<char>(num_samples_ & 0xff);
  return data_;
}

void XorAppender::FlushWholeBytes() const {
  if (padded_) {
    data_.pop_back();
    padded_ = false;
  }
  const int nbytes = pending_bits_ / 8;
  if (nbytes == 0) return;
  const int rest = pending_bits_ % 8;
  // The whole bytes, left-aligned, stored most significant byte first.
  uint64_t word = (pending_ >> rest) << (64 - 8 * nbytes);
  char buf[8];
  for (int i = 0; i < nbytes; ++i) buf[i] = static_cast<char>(word >> (56 - 8 * i));
  data_.append(buf, nbytes);
  pending_ &= (uint64_t{1} << rest) - 1;
  pending_bits_ = static_cast<uint8_t>(rest);
}

void XorAppender::Append(model::Timestamp t, double v) {
  uint16_t n = num_samples_;
  if (n == 0) {
    uint64_t zz = ZigZag(t);
    while (zz >= 0x80) {
      Put((zz & 0x7f) | 0x80, 8);
      zz >>= 7;
    }
    Put(zz, 8);
    Put(std::bit_cast<uint64_t>(v), 64);
  } else {
    if (n == 1) {
      uint64_t delta = static_cast<uint64_t>(t - t_);
      while (delta >= 0x80) {
        Put((delta & 0x7f) | 0x80, 8);
        delta >>= 7;
      }
      Put(delta, 8);
      t_delta_ = t - t_;
    } else {
      int64_t delta = t - t_;
      int64_t dod = delta - t_delta_;
      // Scrape timestamps jitter by a few milliseconds, so the smallest
      // non-zero bucket is 7 bits (Prometheus's XOR starts at 14).
      if (dod == 0) {
        PutBit(false);
      } else if (FitsSigned(dod, 7)) {
        Put(0b10, 2);
        Put(static_cast<uint64_t>(dod), 7);
      } else if (FitsSigned(dod, 14)) {
        Put(0b110, 3);
        Put(static_cast<uint64_t>(dod), 14);
      } else if (FitsSigned(dod, 20)) {
        Put(0b1110, 4);
        Put(static_cast<uint64_t>(dod), 20);
      } else {
        Put(0b1111, 4);
        Put(static_cast<uint64_t>(dod), 64);
      }
      t_delta_ = delta;
    }
    uint64_t x = std::bit_cast<uint64_t>(v) ^ std::bit_cast<uint64_t>(v_);
    if (x == 0) {
      PutBit(false);
    } else {
      PutBit(true);
      int lead = std::countl_zero(x);
      int trail = std::countr_zero(x);
      if (lead > 31) lead = 31;  // 5-bit field
      if (leading_ != 0xff && lead >= leading_ && trail >= trailing_) {
        PutBit(false);
        int sig = 64 - leading_ - trailing_;
        Put(x >> trailing_, sig);
      } else {
        PutBit(true);
        int sig = 64 - lead - trail;
        Put(static_cast<uint64_t>(lead), 5);
        Put(static_cast<uint64_t>(sig & 63), 6);  // 64 is written as 0
        Put(x >> trail, sig);
        leading_ = static_cast<uint8_t>(lead);
        trailing_ = static_cast<uint8_t>(trail);
      }
    }
  }
  t_ = t;
  prev_v_ = v_;
  v_ = v;
  num_samples_ = static_cast<uint16_t>(n + 1);
}

XorIterator::XorIterator(std::string_view chunk) : data_(chunk) {
  if (data_.size() < 2) {
    Fail();
    return;
  }
  total_ = static_cast<uint16_t>((static_cast<uint8_t>(data_[0]) << 8) | static_cast<uint8_t>(data_[1]));
}

bool XorIterator::Fail() {
  if (status_.ok()) status_ = absl::DataLossError("corrupt XOR chunk");
  read_ = total_;
  at_ = false;
  return false;
}

bool XorIterator::Refill(int need) {
  const size_t size = data_.size();
  if (pos_ + 8 <= size) {
    // Load 8 bytes big-endian; the whole bytes that fit below the unread bits
    // are consumed. Bits of a partly fitting byte are loaded again (same
    // values at the same positions) by the next refill.
    uint64_t word;
    std::memcpy(&word, data_.data() + pos_, 8);
    if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
    buf_ |= word >> count_;
    int bytes = (63 - count_) >> 3;
    pos_ += static_cast<size_t>(bytes);
    count_ += bytes * 8;
  } else {
    while (count_ <= 56 && pos_ < size) {
      buf_ |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_])) << (56 - count_);
      ++pos_;
      count_ += 8;
    }
  }
  return count_ >= need;
}

bool XorIterator::ReadWide(int nbits, uint64_t* out) {
  uint64_t hi, lo;
  if (!ReadBits(nbits - 32, &hi) || !ReadBits(32, &lo)) return false;
  *out = (hi << 32) | lo;
  return true;
}

bool XorIterator::ReadUvarint(uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    uint64_t byte;
    if (!ReadBits(8, &byte)) return false;
    v |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}

bool XorIterator::ReadVarint(int64_t* out) {
  uint64_t u;
  if (!ReadUvarint(&u)) return false;
  *out = UnZigZag(u);
  return true;
}

bool XorIterator::Next() {
  if (!status_.ok() || read_ >= total_) {
    at_ = false;
    return false;
  }
  if (read_ == 0) {
    uint64_t bits;
    if (!ReadVarint(&t_) || !ReadWide(64, &bits)) return Fail();
    v_ = std::bit_cast<double>(bits);
    ++read_;
    at_ = true;
    return true;
  }
  if (read_ == 1) {
    uint64_t delta;
    if (!ReadUvarint(&delta)) return Fail();
    t_delta_ = static_cast<int64_t>(delta);
  } else {
    static constexpr int kWidths[4] = {0, 7, 14, 20};
    // Fast path: with 24 bits buffered, a delta of delta other than the
    // 64-bit form (a prefix of at most 3 ones, a zero and at most 20 bits)
    // is read straight from the buffer.
    if (count_ < 24) Refill(24);
    const int prefix_ones = std::countl_one(buf_);
    if (count_ >= 24 && prefix_ones < 4) {
      const int width = kWidths[prefix_ones];
      const uint64_t rest = buf_ << (prefix_ones + 1);
      if (width > 0) t_delta_ += SignExtend(rest >> (64 - width), width);
      buf_ = rest << width;
      count_ -= prefix_ones + 1 + width;
    } else {
      // Count the leading one bits of the delta-of-delta prefix (at most 4).
      int ones = 0;
      for (; ones < 4; ++ones) {
        bool bit;
        if (!ReadBit(&bit)) return Fail();
        if (!bit) break;
      }
      int64_t dod = 0;
      if (ones == 4) {
        uint64_t raw;
        if (!ReadWide(64, &raw)) return Fail();
        dod = static_cast<int64_t>(raw);
      } else if (ones > 0) {
        uint64_t raw;
        if (!ReadBits(kWidths[ones], &raw)) return Fail();
        dod = SignExtend(raw, kWidths[ones]);
      }
      t_delta_ += dod;
    }
  }
  t_ += t_delta_;
  bool changed;
  if (!ReadBit(&changed)) return Fail();
  if (changed) {
    bool new_window;
    if (!ReadBit(&new_window)) return Fail();
    if (new_window) {
      uint64_t lead, sig;
      if (!ReadBits(5, &lead) || !ReadBits(6, &sig)) return Fail();
      if (sig == 0) sig = 64;
      if (lead + sig > 64) return Fail();
      leading_ = static_cast<uint8_t>(lead);
      trailing_ = static_cast<uint8_t>(64 - lead - sig);
    }
    int sig = 64 - leading_ - trailing_;
    uint64_t x;
    if (!(sig > 56 ? ReadWide(sig, &x) : ReadBits(sig, &x))) return Fail();
    v_ = std::bit_cast<double>(std::bit_cast<uint64_t>(v_) ^ (x << trailing_));
  }
  ++read_;
  at_ = true;
  return true;
}

bool XorIterator::Seek(model::Timestamp t) {
  if (at_ && t_ >= t) return true;
  while (Next()) {
    if (t_ >= t) return true;
  }
  return false;
}

absl::Status DecodeXorChunk(std::string_view chunk, std::vector<model::Sample>* out) {
  XorIterator it(chunk);
  out->reserve(out->size() + it.num_samples());
  while (it.Next()) out->push_back(it.At());
  return it.status();
}

std::string EncodeXorChunk(const std::vector<model::Sample>& samples) {
  XorAppender app;
  for (const auto& s : samples) app.Append(s.t, s.v);
  return std::string(app.bytes());
}

}  // namespace omni::tsdb
