#include "libs/template/prometheus.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/template/internal/fmt.h"
#include "libs/template/internal/go_regexp.h"
#include "libs/template/internal/strings.h"

namespace omni::tmpl::prometheus {
namespace {

using Value = TemplateValue;
using Kind = TemplateValue::Kind;
using P = ParamType;

std::string G4(double v) { return internal::GoSprintf("%.4g", {Value(v)}); }

absl::StatusOr<double> ConvertToFloat(const Value& v) {
  switch (v.kind()) {
    case Kind::kFloat: return v.AsFloat();
    case Kind::kInt: return static_cast<double>(v.AsInt());
    case Kind::kString: {
      const std::string& s = v.AsString();
      double d;
      std::string lower;
      for (char c : s) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      if (lower == "inf" || lower == "+inf" || lower == "infinity" || lower == "+infinity") {
        return std::numeric_limits<double>::infinity();
      }
      if (lower == "-inf" || lower == "-infinity") return -std::numeric_limits<double>::infinity();
      if (lower == "nan") return std::nan("");
      if (!s.empty() && absl::SimpleAtod(s, &d) && s.find_first_of(" \t") == std::string::npos) return d;
      return absl::InvalidArgumentError("strconv.ParseFloat: parsing " + internal::QuoteGo(s) + ": invalid syntax");
    }
    default: {
      std::string type = v.IsValid() && !v.IsNil() ? v.TypeName() : "<nil>";
      return absl::InvalidArgumentError("can't convert " + type + " to float");
    }
  }
}

TypeInfoPtr SampleType() {
  static const TypeInfoPtr type = [] {
    auto t = std::make_shared<TypeInfo>();
    t->name = "*template.sample";
    return TypeInfoPtr(t);
  }();
  return type;
}

TypeInfoPtr QueryResultType() {
  static const TypeInfoPtr type = [] {
    auto t = std::make_shared<TypeInfo>();
    t->name = "template.queryResult";
    return TypeInfoPtr(t);
  }();
  return type;
}

Value SampleValue(const QuerySample& s) {
  return Value::Object({{"Labels", Value::StringMap(s.labels)}, {"Value", Value(s.value)}}).WithType(SampleType());
}

absl::Status CheckSample(const Value& v) {
  if (v.kind() == Kind::kObject && v.type() == SampleType()) return absl::OkStatus();
  return absl::InvalidArgumentError("wrong type for value; expected *template.sample; got " + v.TypeName());
}

absl::StatusOr<Value> FloatToTime(double v) {
  if (std::isnan(v) || std::isinf(v)) {
    return absl::InvalidArgumentError(G4(v) + " cannot be represented as a nanoseconds timestamp since it overflows int64");
  }
  const double ts = v * 1e9;
  if (ts > 9.2233720368547758e18 || ts < -9.2233720368547758e18) {
    return absl::InvalidArgumentError(internal::FormatV(Value(v)) +
                                      " cannot be represented as a nanoseconds timestamp since it overflows int64");
  }
  // model.TimeFromUnixNano keeps millisecond precision.
  int64_t nanos = static_cast<int64_t>(ts);
  int64_t millis = nanos / 1000000;
  return Value(TimeValue::FromUnixNanos(millis * 1000000));
}

// Prometheus model.ParseDuration ("1h30m", "5m", "1y2w", "250ms").
absl::StatusOr<double> ParseDurationSeconds(std::string_view s) {
  auto bad = [&]() { return absl::InvalidArgumentError("not a valid duration string: " + internal::QuoteGo(s)); };
  if (s.empty()) return bad();
  if (s == "0") return 0.0;
  struct Unit { const char* name; double seconds; };
  static const Unit kUnits[] = {{"y", 365 * 86400.0}, {"w", 7 * 86400.0}, {"d", 86400.0}, {"h", 3600.0},
                                {"ms", 0.001},         {"m", 60.0},         {"s", 1.0}};
  double total = 0;
  size_t i = 0;
  int last_unit = -1;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (start == i) return bad();
    double n = std::stod(std::string(s.substr(start, i - start)));
    int unit = -1;
    for (int u = 0; u < 7; ++u) {
      std::string_view name = kUnits[u].name;
      if (s.substr(i, name.size()) == name) {
        unit = u;
        break;
      }
    }
    if (unit < 0) return bad();
    // Units must appear from largest to smallest, each at most once.
    const int order = unit == 4 ? 6 : unit == 5 ? 4 : unit == 6 ? 5 : unit;
    if (order <= last_unit) return bad();
    last_unit = order;
    i += std::string_view(kUnits[unit].name).size();
    total += n * kUnits[unit].seconds;
  }
  return total;
}

std::string QueryEscapeLink(std::string_view expr, int tab) {
  return absl::StrCat("/graph?g0.expr=", UrlQueryEscape(std::string(expr)), "&g0.tab=", tab);
}

std::string UrlPath(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : url.find('/', scheme + 3);
  if (start == std::string::npos) return "";
  size_t end = url.find_first_of("?#", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

TypeInfoPtr ExpanderDataType() {
  static const TypeInfoPtr type = [] {
    auto t = std::make_shared<TypeInfo>();
    t->name =
        "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }";
    return TypeInfoPtr(t);
  }();
  return type;
}

}  // namespace

std::string TableLinkForExpression(std::string_view expr) { return QueryEscapeLink(expr, 1); }

TemplateValue SamplesValue(const std::vector<QuerySample>& samples) {
  std::vector<Value> out;
  for (const auto& s : samples) out.push_back(SampleValue(s));
  return Value::List(std::move(out)).WithType(QueryResultType());
}

absl::StatusOr<std::string> Humanize(const TemplateValue& in) {
  auto f = ConvertToFloat(in);
  if (!f.ok()) return f.status();
  double v = *f;
  if (v == 0 || std::isnan(v) || std::isinf(v)) return G4(v);
  static const char* kBig[] = {"k", "M", "G", "T", "P", "E", "Z", "Y"};
  static const char* kSmall[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  std::string prefix;
  if (std::fabs(v) >= 1) {
    for (const char* p : kBig) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return G4(v) + prefix;
  }
  for (const char* p : kSmall) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return G4(v) + prefix;
}

absl::StatusOr<std::string> HumanizeDuration(const TemplateValue& in) {
  auto f = ConvertToFloat(in);
  if (!f.ok()) return f.status();
  double v = *f;
  if (std::isnan(v) || std::isinf(v)) return G4(v);
  if (v == 0) return G4(v) + "s";
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    const int64_t d = static_cast<int64_t>(v);
    const int64_t seconds = d % 60, minutes = d / 60 % 60, hours = d / 3600 % 24, days = d / 86400;
    if (days != 0) return absl::StrCat(sign, days, "d ", hours, "h ", minutes, "m ", seconds, "s");
    if (hours != 0) return absl::StrCat(sign, hours, "h ", minutes, "m ", seconds, "s");
    if (minutes != 0) return absl::StrCat(sign, minutes, "m ", seconds, "s");
    return sign + G4(v) + "s";
  }
  static const char* kSmall[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  std::string prefix;
  for (const char* p : kSmall) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return G4(v) + prefix + "s";
}

FuncMap PrometheusFuncs(const FuncOptions& options) {
  FuncMap m;
  auto wrap = [](absl::StatusOr<std::string> s) -> absl::StatusOr<Value> {
    if (!s.ok()) return s.status();
    return Value(*s);
  };
  m["humanize"] = {{P::kAny}, false, [wrap](const std::vector<Value>& a) { return wrap(Humanize(a[0])); }};
  m["humanize1024"] = {{P::kAny}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                         auto f = ConvertToFloat(a[0]);
                         if (!f.ok()) return f.status();
                         double v = *f;
                         if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return Value(G4(v));
                         static const char* kPrefixes[] = {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"};
                         std::string prefix;
                         for (const char* p : kPrefixes) {
                           if (std::fabs(v) < 1024) break;
                           prefix = p;
                           v /= 1024;
                         }
                         return Value(G4(v) + prefix);
                       }};
  m["humanizeDuration"] = {{P::kAny}, false,
                           [wrap](const std::vector<Value>& a) { return wrap(HumanizeDuration(a[0])); }};
  m["humanizePercentage"] = {{P::kAny}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                               auto f = ConvertToFloat(a[0]);
                               if (!f.ok()) return f.status();
                               return Value(G4(*f * 100) + "%");
                             }};
  m["humanizeTimestamp"] = {{P::kAny}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                              auto f = ConvertToFloat(a[0]);
                              if (!f.ok()) return f.status();
                              if (std::isnan(*f) || std::isinf(*f)) return Value(G4(*f));
                              auto t = FloatToTime(*f);
                              if (!t.ok()) return t.status();
                              return Value(t->AsTime().String());
                            }};
  m["toTime"] = {{P::kAny}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                   auto f = ConvertToFloat(a[0]);
                   if (!f.ok()) return f.status();
                   return FloatToTime(*f);
                 }};
  m["parseDuration"] = {{P::kString}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                          auto d = ParseDurationSeconds(a[0].AsString());
                          if (!d.ok()) return d.status();
                          return Value(*d);
                        }};
  m["first"] = {{P::kValue}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                  if (a[0].kind() != Kind::kList) {
                    return absl::InvalidArgumentError("wrong type for value; expected template.queryResult; got " +
                                                      a[0].TypeName());
                  }
                  if (a[0].AsList().empty()) {
                    return absl::InvalidArgumentError("first() called on vector with no elements");
                  }
                  return a[0].AsList()[0];
                }};
  m["label"] = {{P::kString, P::kValue}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                  absl::Status s = CheckSample(a[1]);
                  if (!s.ok()) return s;
                  const Value* v = a[1].Field("Labels")->MapGet(a[0].AsString());
                  return v ? *v : Value(std::string());
                }};
  m["value"] = {{P::kValue}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                  absl::Status s = CheckSample(a[0]);
                  if (!s.ok()) return s;
                  return *a[0].Field("Value");
                }};
  m["strvalue"] = {{P::kValue}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                     absl::Status s = CheckSample(a[0]);
                     if (!s.ok()) return s;
                     const Value* v = a[0].Field("Labels")->MapGet("__value__");
                     return v ? *v : Value(std::string());
                   }};
  m["args"] = {{P::kAny}, true, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                 Value::MapType out;
                 for (size_t i = 0; i < a.size(); ++i) out["arg" + std::to_string(i)] = a[i];
                 return Value::Map(std::move(out));
               }};
  m["sortByLabel"] = {{P::kString, P::kValue}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                        if (a[1].kind() != Kind::kList) {
                          return absl::InvalidArgumentError(
                              "wrong type for value; expected template.queryResult; got " + a[1].TypeName());
                        }
                        std::vector<Value> items = a[1].AsList();
                        const std::string label = a[0].AsString();
                        auto get = [&](const Value& s) {
                          const Value* labels = s.Field("Labels");
                          const Value* v = labels ? labels->MapGet(label) : nullptr;
                          return v && v->kind() == Kind::kString ? v->AsString() : std::string();
                        };
                        std::stable_sort(items.begin(), items.end(),
                                         [&](const Value& x, const Value& y) { return get(x) < get(y); });
                        return Value::List(std::move(items)).WithType(QueryResultType());
                      }};
  m["reReplaceAll"] = {{P::kString, P::kString, P::kString}, false,
                       [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                         auto r = internal::GoReplaceAllString(a[0].AsString(), a[1].AsString(), a[2].AsString());
                         if (!r.ok()) return r.status();
                         return Value(*r);
                       }};
  m["match"] = {{P::kString, P::kString}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                  auto r = internal::GoMatchString(a[0].AsString(), a[1].AsString());
                  if (!r.ok()) return r.status();
                  return Value(*r);
                }};
  m["title"] = {{P::kString}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                  return Value(internal::GoStringsTitle(a[0].AsString()));
                }};
  m["toUpper"] = {{P::kString}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                    return Value(internal::GoToUpper(a[0].AsString()));
                  }};
  m["toLower"] = {{P::kString}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                    return Value(internal::GoToLower(a[0].AsString()));
                  }};
  m["safeHtml"] = {{P::kString}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                     return Value::SafeHTML(a[0].AsString());
                   }};
  m["graphLink"] = {{P::kString}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                      return Value(QueryEscapeLink(a[0].AsString(), 0));
                    }};
  m["tableLink"] = {{P::kString}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                      return Value(TableLinkForExpression(a[0].AsString()));
                    }};
  const std::string external_url = options.external_url;
  m["externalURL"] = {{}, false, [external_url](const std::vector<Value>&) -> absl::StatusOr<Value> {
                        return Value(external_url);
                      }};
  m["pathPrefix"] = {{}, false, [external_url](const std::vector<Value>&) -> absl::StatusOr<Value> {
                       return Value(UrlPath(external_url));
                     }};
  QueryFunc query = options.query;
  m["query"] = {{P::kString}, false, [query](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                  if (!query) return absl::UnavailableError("no query function configured");
                  auto r = query(a[0].AsString());
                  if (!r.ok()) return r.status();
                  return SamplesValue(*r);
                }};
  return m;
}

absl::Status Expander::Parse(TemplateSet& set, std::string_view text) const {
  static constexpr std::string_view kDefs =
      "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}"
      "{{$value := .Value}}";
  set.SetMissingKey(MissingKey::kZero);
  set.AddFuncs(funcs_);
  return set.Parse(name_, std::string(kDefs) + std::string(text));
}

absl::Status Expander::ParseTest(std::string_view text) const {
  TemplateSet set;
  return Parse(set, text);
}

absl::StatusOr<std::string> Expander::Expand(std::string_view text, const ExpanderData& data) const {
  TemplateSet set;
  absl::Status s = Parse(set, text);
  if (!s.ok()) return absl::InvalidArgumentError("error parsing template " + name_ + ": " + std::string(s.message()));
  Value v = Value::Object({{"Labels", Value::StringMap(data.labels)},
                           {"ExternalLabels", Value::StringMap(data.external_labels)},
                           {"ExternalURL", Value(data.external_url)},
                           {"Value", Value(data.value)}})
                .WithType(ExpanderDataType());
  auto out = set.Execute(name_, v);
  if (!out.ok()) {
    return absl::InvalidArgumentError("error executing template " + name_ + ": " + std::string(out.status().message()));
  }
  return out;
}

}  // namespace omni::tmpl::prometheus
