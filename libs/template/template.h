// Go text/template engine (Go 1.19/1.20 semantics) for Alertmanager
// notification templates and Prometheus alert annotations.
//
// A TemplateSet is Go's *template.Template: a namespace of named templates
// sharing functions and options. Parse adds the templates a text defines
// ({{define}}/{{block}} plus the top-level text under the given name);
// Execute renders one of them over a TemplateValue.
//
// Example:
//   TemplateSet set;
//   set.AddFuncs(alertmanager::DefaultFuncs());        // before Parse
//   OMNI_RETURN_IF_ERROR(set.Parse("x", "{{ define \"t\" }}{{ .A | toUpper }}{{ end }}"));
//   absl::StatusOr<std::string> s = set.Execute("t", TemplateValue::Object({{"A", TemplateValue("hi")}}));
//   // *s == "HI"
//
// Errors read like Go's: parse errors "template: NAME:LINE: MSG", execution
// errors "template: NAME:LINE:COL: executing \"NAME\" at <NODE>: MSG".
//
// HTML mode (SetHtmlEscaping(true)) emulates html/template for the contexts
// notification e-mails use: values printed in element text and quoted or
// unquoted attribute values are HTML-escaped, values in URL attributes (href,
// src, ...) are URL-normalised and unsafe schemes replaced by "#ZgotmplZ",
// values inside <script>/<style> are JS/CSS-string escaped. safeHtml values
// are emitted verbatim in text context. See docs/templates.md for limits.
//
// Thread-safety: a TemplateSet is immutable once parsed; Execute is const and
// may run concurrently. Parse/AddFuncs require exclusive access.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/template/value.h"

namespace omni::tmpl {

namespace internal {
struct Tree;
}

// How a function parameter is checked and converted, mirroring the Go
// parameter types text/template sees.
enum class ParamType {
  kAny,         // interface{}: anything; a missing value arrives as Nil
  kValue,       // reflect.Value: anything, missing values arrive as Invalid
  kString,      // string (template.HTML is NOT assignable, as in Go)
  kInt,         // int
  kFloat,       // float64 (integer literals convert)
  kBool,        // bool
  kStringList,  // []string: a list whose elements are all strings
};

// A template function. `params` are checked before `fn` runs; when
// `variadic` the last param type repeats (zero or more times). An error from
// `fn` surfaces as "error calling NAME: MESSAGE".
struct Function {
  std::vector<ParamType> params;
  bool variadic = false;
  std::function<absl::StatusOr<TemplateValue>(const std::vector<TemplateValue>& args)> fn;
};
using FuncMap = std::map<std::string, Function>;

// Go's missingkey option.
enum class MissingKey {
  kDefault,  // "default"/"invalid": missing map keys print "<no value>"
  kZero,     // "zero": the map element type's zero value
  kError,    // "error": execution fails
};

class TemplateSet {
 public:
  TemplateSet();
  ~TemplateSet();
  TemplateSet(const TemplateSet&);
  TemplateSet& operator=(const TemplateSet&);
  TemplateSet(TemplateSet&&) noexcept;
  TemplateSet& operator=(TemplateSet&&) noexcept;

  // Adds or replaces functions. Call before Parse: unknown function names
  // are parse errors, as in Go.
  void AddFuncs(const FuncMap& funcs);
  void SetMissingKey(MissingKey mode) { missing_key_ = mode; }
  // Parses Go option strings: "missingkey=default|invalid|zero|error".
  absl::Status SetOption(std::string_view option);
  void SetDelims(std::string left, std::string right);
  void SetHtmlEscaping(bool enabled) { html_ = enabled; }

  // Parses `text` as template `name` and adds every template it defines.
  // A later definition of a name replaces the earlier one unless the new
  // body is empty (Go's AddParseTree rules). On error the set is unchanged.
  absl::Status Parse(std::string_view name, std::string_view text);
  // Reads and parses each file under its base name (template.ParseFiles).
  absl::Status ParseFiles(const std::vector<std::string>& paths);
  // Expands the glob (filepath.Glob semantics) and parses the files in
  // sorted order. A pattern matching no file is an error, as in Go.
  absl::Status ParseGlob(std::string_view pattern);

  bool Has(std::string_view name) const;
  std::vector<std::string> Names() const;  // sorted

  // Executes template `name` with `data` as dot.
  absl::StatusOr<std::string> Execute(std::string_view name, const TemplateValue& data) const;
  // Parses `text` as an unnamed ("") template in a copy of this set and
  // executes it: Alertmanager's ExecuteTextString/ExecuteHTMLString shape.
  absl::StatusOr<std::string> ExecuteText(std::string_view text, const TemplateValue& data) const;

  // Names of the builtin functions (and, or, not, len, index, ...).
  static const std::vector<std::string>& BuiltinNames();

 private:
  std::map<std::string, std::shared_ptr<const internal::Tree>> trees_;
  std::shared_ptr<FuncMap> funcs_;
  MissingKey missing_key_ = MissingKey::kDefault;
  std::string left_delim_ = "{{";
  std::string right_delim_ = "}}";
  bool html_ = false;
};

// Escaping helpers shared with callers (Go's template.HTMLEscapeString,
// JSEscapeString, url.QueryEscape and strconv.Quote, i.e. fmt's %q).
std::string HtmlEscapeString(std::string_view s);
std::string JsEscapeString(std::string_view s);
std::string UrlQueryEscape(std::string_view s);
std::string QuoteGo(std::string_view s);

}  // namespace omni::tmpl
