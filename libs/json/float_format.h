// Number formatting shared by JSON output and the Prometheus HTTP API.
//
//   FormatPromFloat(0.1)        -> "0.1"    (sample values in API responses)
//   FormatPromFloat(1e21)       -> "1e+21"   (vector/matrix samples; verified against
//                                             Prometheus 2.42's /api/v1/query)
//   FormatPromFloat(NaN)        -> "NaN"    ("+Inf", "-Inf")
//   AppendPromTimestamp(&s, 1700000000123) appends 1700000000.123
//   AppendJsonNumber(&s, 0.5)   appends 0.5 (Go encoding/json style; NaN/Inf -> null)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace omni::json {

// Prometheus's sample-value format (util/jsonutil.MarshalFloat without the
// quotes): shortest round-trip digits, fixed notation, switching to Go's 'e'
// notation (two-digit minimum exponent, e.g. "1e-07") when |v| < 1e-6 or
// |v| >= 1e21. NaN -> "NaN", infinities -> "+Inf"/"-Inf".
std::string FormatPromFloat(double v);
void AppendPromFloat(std::string* out, double v);

// The same two formats written into a caller's buffer, for loops that emit one
// point per append. The buffer must have room for the maximum: the longest
// sample value ("-0.0000012345678901234567", "-1.2345678901234567e-308") and
// the longest timestamp ("-9223372036854775.808").
inline constexpr size_t kMaxPromFloatChars = 32;
inline constexpr size_t kMaxPromTimestampChars = 24;
char* WritePromFloat(char* p, double v);
char* WritePromTimestamp(char* p, int64_t ms);

// Prometheus's format for scalar and string query results (promql.Scalar's
// MarshalJSON): strconv.FormatFloat(v, 'f', -1, 64), i.e. never an exponent:
// 1e21 -> "1000000000000000000000", 1e-7 -> "0.0000001". The matching
// timestamp is a plain JSON float of ms/1000 (1700000000.1, not ".100"):
// use AppendJsonNumber(out, ms / 1000.0).
void AppendPromScalarFloat(std::string* out, double v);

// Prometheus text-exposition value format (Go strconv 'g' -1 plus the special
// names): "1", "0.1", "1e+06", "1.5e-07", "NaN", "+Inf", "-Inf".
void AppendExpositionFloat(std::string* out, double v);

// A millisecond timestamp written as float seconds the way Prometheus does:
// integer seconds, then ".mmm" (three digits, kept even with trailing zeros)
// when the millisecond part is non-zero. 1700000000000 -> "1700000000".
void AppendPromTimestamp(std::string* out, int64_t ms);

// A JSON number the way Go's encoding/json writes float64: shortest digits,
// 'f' notation unless |v| < 1e-6 or |v| >= 1e21 (then 'e' with a 1-digit
// minimum exponent, "1e-7"). NaN and infinities are not valid JSON and are
// written as null.
void AppendJsonNumber(std::string* out, double v);

}  // namespace omni::json
