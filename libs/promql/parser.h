// PromQL parser (Prometheus 2.42 grammar).
//
// Example:
//   absl::StatusOr<ExprPtr> e = ParseExpr("rate(http_requests_total{job=~\"api.*\"}[5m])");
//   if (!e.ok()) { /* e.status().message() == "1:5: parse error: ..." */ }
//   absl::StatusOr<std::vector<model::Matcher>> m = ParseMetricSelector("up{job=\"x\"}");
//
// Errors are InvalidArgument with Prometheus's text: "<line>:<col>: parse error: <what>",
// where line and col are 1-based and col counts bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/model/matcher.h"
#include "libs/promql/ast.h"

namespace omni::promql {

absl::StatusOr<ExprPtr> ParseExpr(std::string_view input);

// Parses a series selector (`foo{a="b"}` or `{a=~"b"}`) as used by the
// /api/v1/series match[] parameter; the metric name becomes a __name__ matcher.
// Like Prometheus's, it accepts selectors whose matchers all match the empty
// string (`{}`): the caller checks that, with its own error text.
absl::StatusOr<std::vector<model::Matcher>> ParseMetricSelector(std::string_view input);

// Unquotes a PromQL string literal ("..", '..' or `..`) with Go escapes.
absl::StatusOr<std::string> UnquoteString(std::string_view quoted);

}  // namespace omni::promql
