// Prometheus 2.42 alert/console template functions and the expander used for
// alerting-rule annotations and labels.
//
// Example (what the rule manager does for each annotation):
//   prometheus::ExpanderData data;
//   data.labels = {{"instance", "a:9100"}};
//   data.value = 0.97;
//   prometheus::Expander ex(PrometheusFuncs(options), "__alert_HighLoad");
//   absl::StatusOr<std::string> s = ex.Expand(
//       "{{ $labels.instance }} at {{ $value | humanizePercentage }}", data);
//   // "a:9100 at 97%"
//
// Pure functions: humanize humanize1024 humanizeDuration humanizePercentage
// humanizeTimestamp toTime parseDuration first label value strvalue args
// sortByLabel reReplaceAll match title toUpper toLower safeHtml graphLink
// tableLink pathPrefix externalURL. `query` calls the QueryFunc hook.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/template/template.h"
#include "libs/template/value.h"

namespace omni::tmpl::prometheus {

// One element of a query result as templates see it (.Labels, .Value).
struct QuerySample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Runs an instant query at the rule's evaluation time. Errors surface as
// "error calling query: ...".
using QueryFunc = std::function<absl::StatusOr<std::vector<QuerySample>>(std::string_view query)>;

struct FuncOptions {
  QueryFunc query;           // unset: `query` returns an error
  std::string external_url;  // for externalURL / pathPrefix
};

// The function map Prometheus registers for rule templates.
FuncMap PrometheusFuncs(const FuncOptions& options);

// Converts query samples to the template value ([]*sample).
TemplateValue SamplesValue(const std::vector<QuerySample>& samples);

// strutil.TableLinkForExpression: "/graph?g0.expr=<url.QueryEscape(expr)>&g0.tab=1",
// the path of an alert's generator URL (and of the `tableLink` function).
std::string TableLinkForExpression(std::string_view expr);

// Go's fmt %.4g-based formatting used by the humanize* functions; exposed
// for callers (e.g. the rules UI) that format values the same way.
absl::StatusOr<std::string> Humanize(const TemplateValue& v);
absl::StatusOr<std::string> HumanizeDuration(const TemplateValue& v);

struct ExpanderData {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> external_labels;
  std::string external_url;
  double value = 0;
};

// template.Expander for alert rules: prefixes the text with the variable
// definitions ($labels, $externalLabels, $externalURL, $value), uses
// missingkey=zero (a missing label prints ""), and returns errors as Prometheus formats them
// ("error parsing template NAME: ..." / "error executing template NAME: ...").
class Expander {
 public:
  Expander(FuncMap funcs, std::string name) : funcs_(std::move(funcs)), name_(std::move(name)) {}
  absl::StatusOr<std::string> Expand(std::string_view text, const ExpanderData& data) const;
  // Parses `text` as Expand would, without running it (Prometheus's
  // Expander.ParseTest, which rule-file validation uses); the error is the
  // parser's own text.
  absl::Status ParseTest(std::string_view text) const;

 private:
  absl::Status Parse(TemplateSet& set, std::string_view text) const;
  FuncMap funcs_;
  std::string name_;
};

}  // namespace omni::tmpl::prometheus
