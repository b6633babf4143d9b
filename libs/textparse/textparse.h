// Pull parsers for the Prometheus text exposition format 0.0.4 and
// OpenMetrics 1.0, modelled on Prometheus's model/textparse. They do not
// allocate per sample: the scrape loop can look the raw series bytes up in a
// cache and only parse labels for series it has not seen.
//
// Example:
//   auto parser = NewParser(body, FormatFromContentType(content_type));
//   while (true) {
//     OMNI_ASSIGN_OR_RETURN(Entry e, parser->Next());
//     if (e == Entry::kEof) break;
//     if (e != Entry::kSeries) continue;
//     std::string_view key = parser->Series();   // e.g. http_requests_total{code="200"}
//     model::Labels labels; parser->ParseLabels(&labels);
//     double v = parser->Value();
//   }
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "libs/model/labels.h"

namespace omni::textparse {

enum class Format { kPrometheusText, kOpenMetrics };

// Picks the format from a Content-Type header ("application/openmetrics-text"
// => OpenMetrics; anything else => Prometheus text).
Format FormatFromContentType(std::string_view content_type);
// The Accept header a scraper sends to prefer OpenMetrics, as Prometheus 2.42 does.
std::string_view ScrapeAcceptHeader();

enum class Entry {
  kEof,
  kSeries,   // a sample line
  kType,     // # TYPE name type
  kHelp,     // # HELP name text
  kUnit,     // # UNIT name unit (OpenMetrics)
  kComment,  // any other comment line
};

enum class MetricType { kUnknown, kCounter, kGauge, kHistogram, kGaugeHistogram, kSummary, kInfo, kStateset };
std::string_view MetricTypeName(MetricType type);  // "counter", ...

class Parser {
 public:
  virtual ~Parser() = default;
  // Advances to the next entry. An error names the line and what was expected;
  // after an error the parser must not be used further.
  virtual absl::StatusOr<Entry> Next() = 0;

  // For kSeries: the raw bytes of the metric name and label set as they appear
  // in the input (stable for the lifetime of the input buffer).
  virtual std::string_view Series() const = 0;
  // For kSeries: the parsed, unescaped labels including __name__.
  virtual void ParseLabels(model::Labels* out) const = 0;
  virtual double Value() const = 0;

  // Optional fast path for callers that cache series by their raw bytes:
  // `series` must be bytes Series() returned for an earlier line that parsed
  // without error in the same format, and must stay valid until the next
  // sample line is parsed. If that line starts with exactly these bytes
  // (followed by the value), Next() does not scan and validate them again and
  // SeriesMatched() is true; otherwise the line is parsed as usual. Applies to
  // the next sample line only (comment lines do not consume it); empty clears it.
  virtual void ExpectSeries(std::string_view series) = 0;
  // For kSeries: whether the line matched the ExpectSeries bytes.
  virtual bool SeriesMatched() const = 0;
  // For kSeries: the timestamp in milliseconds if the line had one.
  virtual std::optional<int64_t> Timestamp() const = 0;

  // For kType / kHelp / kUnit: the metric family name.
  virtual std::string_view MetricFamily() const = 0;
  // For kType.
  virtual MetricType Type() const = 0;
  // For kHelp (unescaped) / kUnit / kComment.
  virtual std::string_view Text() const = 0;

  // 1-based line number of the current entry, for error messages.
  virtual int Line() const = 0;
};

// `body` must outlive the parser.
std::unique_ptr<Parser> NewParser(std::string_view body, Format format);

// Parses the labels (with __name__) of `series`, the raw bytes a parser of
// `format` returned from Series(), e.g. for a cache keyed by those bytes that
// does not keep the labels. InvalidArgument when `series` is not one series.
absl::Status ParseSeriesLabels(std::string_view series, Format format, model::Labels* out);

}  // namespace omni::textparse
