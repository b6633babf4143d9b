#include "libs/template/alertmanager.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "absl/strings/str_join.h"
#include "libs/template/internal/go_regexp.h"
#include "libs/template/internal/strings.h"

namespace omni::tmpl::alertmanager {
namespace {

using Value = TemplateValue;

std::vector<std::string> StringsOf(const Value& list) {
  std::vector<std::string> out;
  if (list.kind() != Value::Kind::kList) return out;
  for (const auto& e : list.AsList()) {
    if (e.kind() == Value::Kind::kString) out.push_back(e.AsString());
  }
  return out;
}

KV KVFromValue(const Value& v) {
  KV kv;
  if (v.kind() != Value::Kind::kMap) return kv;
  for (const auto& [k, e] : v.AsMap()) {
    if (e.kind() == Value::Kind::kString) kv[k] = e.AsString();
  }
  return kv;
}

// A Go named type without methods (it only shows in printed type names and errors).
TypeInfoPtr NamedType(std::string name) {
  auto t = std::make_shared<TypeInfo>();
  t->name = std::move(name);
  return t;
}

TypeInfoPtr PairType() {
  static const TypeInfoPtr type = NamedType("template.Pair");
  return type;
}

std::vector<std::string> PairColumn(const Value& pairs, size_t column) {
  std::vector<std::string> out;
  for (const auto& p : pairs.AsList()) out.push_back(p.AsFields()[column].second.AsString());
  return out;
}

TypeInfoPtr PairsType() {
  static const TypeInfoPtr type = [] {
    auto t = std::make_shared<TypeInfo>();
    t->name = "template.Pairs";
    t->methods["Names"] = [](const Value& self, const std::vector<Value>& args) -> absl::StatusOr<Value> {
      if (!args.empty()) return absl::InvalidArgumentError("wrong number of args for Names: want 0");
      return Value::StringList(PairColumn(self, 0));
    };
    t->methods["Values"] = [](const Value& self, const std::vector<Value>& args) -> absl::StatusOr<Value> {
      if (!args.empty()) return absl::InvalidArgumentError("wrong number of args for Values: want 0");
      return Value::StringList(PairColumn(self, 1));
    };
    return TypeInfoPtr(t);
  }();
  return type;
}

TypeInfoPtr KVType() {
  static const TypeInfoPtr type = [] {
    auto t = std::make_shared<TypeInfo>();
    t->name = "template.KV";
    t->methods["SortedPairs"] = [](const Value& self, const std::vector<Value>&) -> absl::StatusOr<Value> {
      return PairsValue(KVFromValue(self));
    };
    t->methods["Names"] = [](const Value& self, const std::vector<Value>&) -> absl::StatusOr<Value> {
      std::vector<std::string> names;
      for (const auto& [k, v] : SortedPairs(KVFromValue(self))) names.push_back(k);
      return Value::StringList(names);
    };
    t->methods["Values"] = [](const Value& self, const std::vector<Value>&) -> absl::StatusOr<Value> {
      std::vector<std::string> values;
      for (const auto& [k, v] : SortedPairs(KVFromValue(self))) values.push_back(v);
      return Value::StringList(values);
    };
    t->methods["Remove"] = [](const Value& self, const std::vector<Value>& args) -> absl::StatusOr<Value> {
      if (args.size() != 1) {
        return absl::InvalidArgumentError("wrong number of args for Remove: want 1 got " +
                                          std::to_string(args.size()));
      }
      if (args[0].IsValid() && !args[0].IsNil() && args[0].kind() != Value::Kind::kList) {
        return absl::InvalidArgumentError("wrong type for value; expected []string; got " + args[0].TypeName());
      }
      KV kv = KVFromValue(self);
      for (const auto& k : StringsOf(args[0])) kv.erase(k);
      return KVValue(kv);
    };
    return TypeInfoPtr(t);
  }();
  return type;
}

TypeInfoPtr AlertSliceType() {
  static const TypeInfoPtr type = NamedType("[]template.Alert");
  return type;
}

TypeInfoPtr AlertsType() {
  static const TypeInfoPtr type = [] {
    auto t = std::make_shared<TypeInfo>();
    t->name = "template.Alerts";
    auto filter = [](const char* status) {
      return [status](const Value& self, const std::vector<Value>&) -> absl::StatusOr<Value> {
        std::vector<Value> out;
        for (const auto& a : self.AsList()) {
          const Value* s = a.Field("Status");
          if (s && s->kind() == Value::Kind::kString && s->AsString() == status) out.push_back(a);
        }
        // Go: func (as Alerts) Firing() []Alert, a plain slice without methods.
        return Value::List(std::move(out)).WithType(AlertSliceType());
      };
    };
    t->methods["Firing"] = filter("firing");
    t->methods["Resolved"] = filter("resolved");
    return TypeInfoPtr(t);
  }();
  return type;
}

TypeInfoPtr AlertType() {
  static const TypeInfoPtr type = NamedType("template.Alert");
  return type;
}

TypeInfoPtr DataType() {
  static const TypeInfoPtr type = NamedType("template.Data");
  return type;
}

// ---------------------------------------------------------------------------
// Minimal JSON reader for template.Data.

class JsonReader {
 public:
  explicit JsonReader(std::string_view s) : s_(s) {}

  absl::StatusOr<Value> ReadDocument() {
    auto v = ReadValue();
    if (!v.ok()) return v;
    SkipSpace();
    if (pos_ != s_.size()) return Err("trailing data");
    return v;
  }

 private:
  absl::Status Err(const std::string& what) {
    return absl::InvalidArgumentError("invalid JSON at offset " + std::to_string(pos_) + ": " + what);
  }
  void SkipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  absl::StatusOr<Value> ReadValue() {
    SkipSpace();
    if (pos_ >= s_.size()) return Err("unexpected end");
    char c = s_[pos_];
    if (c == '{') {
      ++pos_;
      Value::MapType m;
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return Value::Map(std::move(m));
      }
      while (true) {
        SkipSpace();
        auto key = ReadString();
        if (!key.ok()) return key.status();
        SkipSpace();
        if (pos_ >= s_.size() || s_[pos_] != ':') return Err("expected ':'");
        ++pos_;
        auto v = ReadValue();
        if (!v.ok()) return v;
        m[*key] = *v;
        SkipSpace();
        if (pos_ < s_.size() && s_[pos_] == ',') { ++pos_; continue; }
        if (pos_ < s_.size() && s_[pos_] == '}') { ++pos_; break; }
        return Err("expected ',' or '}'");
      }
      return Value::Map(std::move(m));
    }
    if (c == '[') {
      ++pos_;
      std::vector<Value> items;
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return Value::List(std::move(items));
      }
      while (true) {
        auto v = ReadValue();
        if (!v.ok()) return v;
        items.push_back(*v);
        SkipSpace();
        if (pos_ < s_.size() && s_[pos_] == ',') { ++pos_; continue; }
        if (pos_ < s_.size() && s_[pos_] == ']') { ++pos_; break; }
        return Err("expected ',' or ']'");
      }
      return Value::List(std::move(items));
    }
    if (c == '"') {
      auto s = ReadString();
      if (!s.ok()) return s.status();
      return Value(*s);
    }
    if (s_.substr(pos_, 4) == "true") { pos_ += 4; return Value(true); }
    if (s_.substr(pos_, 5) == "false") { pos_ += 5; return Value(false); }
    if (s_.substr(pos_, 4) == "null") { pos_ += 4; return Value::Nil(); }
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '-' ||
                                s_[pos_] == '+' || s_[pos_] == '.' || s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
    }
    if (start == pos_) return Err("unexpected character");
    return Value(std::stod(std::string(s_.substr(start, pos_ - start))));
  }
  absl::StatusOr<std::string> ReadString() {
    if (pos_ >= s_.size() || s_[pos_] != '"') return Err("expected string");
    ++pos_;
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) return Err("bad escape");
      char e = s_[pos_++];
      switch (e) {
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case 'r': out.push_back('\r'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'u': {
          if (pos_ + 4 > s_.size()) return Err("bad \\u escape");
          uint32_t r = std::stoul(std::string(s_.substr(pos_, 4)), nullptr, 16);
          pos_ += 4;
          if (r >= 0xD800 && r < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
            uint32_t lo = std::stoul(std::string(s_.substr(pos_ + 2, 4)), nullptr, 16);
            pos_ += 6;
            r = 0x10000 + ((r - 0xD800) << 10) + (lo - 0xDC00);
          }
          if (r < 0x80) {
            out.push_back(static_cast<char>(r));
          } else if (r < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (r >> 6)));
            out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
          } else if (r < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (r >> 12)));
            out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
          } else {
            out.push_back(static_cast<char>(0xF0 | (r >> 18)));
            out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
          }
          break;
        }
        default: out.push_back(e);
      }
    }
    if (pos_ >= s_.size()) return Err("unterminated string");
    ++pos_;
    return out;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

std::string GetString(const Value& obj, const char* key) {
  const Value* v = obj.MapGet(key);
  return v && v->kind() == Value::Kind::kString ? v->AsString() : std::string();
}

KV GetKV(const Value& obj, const char* key) {
  const Value* v = obj.MapGet(key);
  return v ? KVFromValue(*v) : KV();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> SortedPairs(const KV& kv) {
  std::vector<std::pair<std::string, std::string>> out;
  auto it = kv.find("alertname");
  if (it != kv.end()) out.emplace_back(*it);
  for (const auto& [k, v] : kv) {
    if (k != "alertname") out.emplace_back(k, v);
  }
  return out;
}

TemplateValue KVValue(const KV& kv) { return Value::StringMap(kv).WithType(KVType()); }

TemplateValue PairsValue(const KV& kv) {
  std::vector<Value> pairs;
  for (const auto& [k, v] : SortedPairs(kv)) {
    pairs.push_back(Value::Object({{"Name", Value(k)}, {"Value", Value(v)}}).WithType(PairType()));
  }
  return Value::List(std::move(pairs)).WithType(PairsType());
}

TemplateValue AlertsValue(const std::vector<Alert>& alerts) {
  std::vector<Value> out;
  out.reserve(alerts.size());
  for (const auto& a : alerts) out.push_back(a.ToValue());
  return Value::List(std::move(out)).WithType(AlertsType());
}

TemplateValue Alert::ToValue() const {
  return Value::Object({{"Status", Value(status)},
                        {"Labels", KVValue(labels)},
                        {"Annotations", KVValue(annotations)},
                        {"StartsAt", Value(starts_at)},
                        {"EndsAt", Value(ends_at)},
                        {"GeneratorURL", Value(generator_url)},
                        {"Fingerprint", Value(fingerprint)}})
      .WithType(AlertType());
}

TemplateValue Data::ToValue() const {
  return Value::Object({{"Receiver", Value(receiver)},
                        {"Status", Value(status)},
                        {"Alerts", AlertsValue(alerts)},
                        {"GroupLabels", KVValue(group_labels)},
                        {"CommonLabels", KVValue(common_labels)},
                        {"CommonAnnotations", KVValue(common_annotations)},
                        {"ExternalURL", Value(external_url)}})
      .WithType(DataType());
}

absl::StatusOr<TemplateValue> JsonToValue(std::string_view json) {
  JsonReader reader(json);
  return reader.ReadDocument();
}

absl::StatusOr<Data> DataFromJson(std::string_view json) {
  auto doc = JsonToValue(json);
  if (!doc.ok()) return doc.status();
  if (doc->kind() != Value::Kind::kMap) return absl::InvalidArgumentError("template data must be a JSON object");
  Data d;
  d.receiver = GetString(*doc, "receiver");
  d.status = GetString(*doc, "status");
  d.group_labels = GetKV(*doc, "groupLabels");
  d.common_labels = GetKV(*doc, "commonLabels");
  d.common_annotations = GetKV(*doc, "commonAnnotations");
  d.external_url = GetString(*doc, "externalURL");
  const Value* alerts = doc->MapGet("alerts");
  if (alerts && alerts->kind() == Value::Kind::kList) {
    for (const auto& a : alerts->AsList()) {
      Alert alert;
      alert.status = GetString(a, "status");
      alert.labels = GetKV(a, "labels");
      alert.annotations = GetKV(a, "annotations");
      alert.generator_url = GetString(a, "generatorURL");
      alert.fingerprint = GetString(a, "fingerprint");
      for (auto [key, field] : {std::pair{"startsAt", &alert.starts_at}, std::pair{"endsAt", &alert.ends_at}}) {
        std::string text = GetString(a, key);
        if (text.empty()) continue;
        auto t = TimeValue::ParseRFC3339(text);
        if (!t.ok()) return t.status();
        *field = *t;
      }
      d.alerts.push_back(std::move(alert));
    }
  }
  return d;
}

FuncMap DefaultFuncs() {
  using P = ParamType;
  FuncMap m;
  m["toUpper"] = {{P::kString}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                    return Value(internal::GoToUpper(a[0].AsString()));
                  }};
  m["toLower"] = {{P::kString}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                    return Value(internal::GoToLower(a[0].AsString()));
                  }};
  m["title"] = {{P::kString}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                  return Value(internal::GoTitle(a[0].AsString()));
                }};
  m["join"] = {{P::kString, P::kStringList}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                 return Value(absl::StrJoin(StringsOf(a[1]), a[0].AsString()));
               }};
  m["match"] = {{P::kString, P::kString}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                  auto r = internal::GoMatchString(a[0].AsString(), a[1].AsString());
                  if (!r.ok()) return r.status();
                  return Value(*r);
                }};
  m["safeHtml"] = {{P::kString}, false, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                     return Value::SafeHTML(a[0].AsString());
                   }};
  m["reReplaceAll"] = {{P::kString, P::kString, P::kString}, false,
                       [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                         auto r = internal::GoReplaceAllString(a[0].AsString(), a[1].AsString(), a[2].AsString());
                         if (!r.ok()) return r.status();
                         return Value(*r);
                       }};
  m["stringSlice"] = {{P::kString}, true, [](const std::vector<Value>& a) -> absl::StatusOr<Value> {
                        std::vector<std::string> out;
                        for (const auto& v : a) out.push_back(v.AsString());
                        return Value::StringList(out);
                      }};
  return m;
}

// Written for OmniScope; renders the same text as Alertmanager 0.25's
// default.tmpl for every template it defines (checked against amtool in
// alertmanager_test.cc). The firing/resolved sections come in two layouts
// that the notifier templates share.
std::string_view DefaultTemplatesText() {
  static constexpr std::string_view kText = R"TMPL(
{{- define "__alertmanager" }}Alertmanager{{ end }}
{{- define "__alertmanagerURL" }}{{ .ExternalURL }}/#/alerts?receiver={{ urlquery .Receiver }}{{ end }}

{{- define "__subject" -}}
  [{{ toUpper .Status }}{{ if eq .Status "firing" }}:{{ len .Alerts.Firing }}{{ end }}]
  {{- " " }}{{ join " " .GroupLabels.SortedPairs.Values }}{{ " " }}
  {{- if lt (len .GroupLabels) (len .CommonLabels) -}}
    ({{ join " " (.CommonLabels.Remove .GroupLabels.Names).Values }})
  {{- end }}
{{- end }}
{{- define "__description" }}{{ end }}

{{- define "__text_alert_list" }}
  {{- range . }}Labels:{{ "\n" }}
    {{- range .Labels.SortedPairs }} - {{ .Name }} = {{ .Value }}{{ "\n" }}{{ end -}}
    Annotations:{{ "\n" }}
    {{- range .Annotations.SortedPairs }} - {{ .Name }} = {{ .Value }}{{ "\n" }}{{ end -}}
    Source: {{ .GeneratorURL }}{{ "\n" }}
  {{- end }}
{{- end }}

{{- /* Sections joined tightly: "Alerts Firing:\n<list>" with no blank lines. */ -}}
{{- define "__omni_sections_tight" -}}
  {{ with .Alerts.Firing }}Alerts Firing:{{ "\n" }}{{ template "__text_alert_list" . }}{{ end }}{{ "\n" }}
  {{- with .Alerts.Resolved }}Alerts Resolved:{{ "\n" }}{{ template "__text_alert_list" . }}{{ end }}
{{- end }}
{{- /* Sections padded by blank lines, as the pushover/sns/telegram layouts. */ -}}
{{- define "__omni_sections_spaced" -}}
  {{ with .Alerts.Firing }}{{ "\n" }}Alerts Firing:{{ "\n" }}{{ template "__text_alert_list" . }}{{ "\n" }}{{ end }}{{ "\n" }}
  {{- with .Alerts.Resolved }}{{ "\n" }}Alerts Resolved:{{ "\n" }}{{ template "__text_alert_list" . }}{{ "\n" }}{{ end }}{{ "\n" }}
{{- end }}
{{- define "__omni_common_annotations" }}{{ join " " .CommonAnnotations.SortedPairs.Values }}{{ end }}

{{- define "slack.default.title" }}{{ template "__subject" . }}{{ end }}
{{- define "slack.default.username" }}{{ template "__alertmanager" . }}{{ end }}
{{- define "slack.default.fallback" }}{{ template "slack.default.title" . }} | {{ template "slack.default.titlelink" . }}{{ end }}
{{- define "slack.default.callbackid" }}{{ end }}
{{- define "slack.default.pretext" }}{{ end }}
{{- define "slack.default.titlelink" }}{{ template "__alertmanagerURL" . }}{{ end }}
{{- define "slack.default.iconemoji" }}{{ end }}
{{- define "slack.default.iconurl" }}{{ end }}
{{- define "slack.default.text" }}{{ end }}
{{- define "slack.default.footer" }}{{ end }}

{{- define "pagerduty.default.description" }}{{ template "__subject" . }}{{ end }}
{{- define "pagerduty.default.client" }}{{ template "__alertmanager" . }}{{ end }}
{{- define "pagerduty.default.clientURL" }}{{ template "__alertmanagerURL" . }}{{ end }}
{{- define "pagerduty.default.instances" }}{{ template "__text_alert_list" . }}{{ end }}

{{- define "opsgenie.default.message" }}{{ template "__subject" . }}{{ end }}
{{- define "opsgenie.default.description" }}{{ template "__omni_common_annotations" . }}{{ "\n" }}{{ template "__omni_sections_tight" . }}{{ end }}
{{- define "opsgenie.default.source" }}{{ template "__alertmanagerURL" . }}{{ end }}

{{- define "wechat.default.message" -}}
  {{ template "__subject" . }}{{ "\n" }}
  {{- template "__omni_common_annotations" . }}{{ "\n" }}
  {{- template "__omni_sections_tight" . }}{{ "\n" }}AlertmanagerUrl:{{ "\n" }}
  {{- template "__alertmanagerURL" . }}
{{- end }}
{{- define "wechat.default.to_user" }}{{ end }}
{{- define "wechat.default.to_party" }}{{ end }}
{{- define "wechat.default.to_tag" }}{{ end }}
{{- define "wechat.default.agent_id" }}{{ end }}

{{- define "victorops.default.state_message" }}{{ template "__omni_common_annotations" . }}{{ "\n" }}{{ template "__omni_sections_tight" . }}{{ end }}
{{- define "victorops.default.entity_display_name" }}{{ template "__subject" . }}{{ end }}
{{- define "victorops.default.monitoring_tool" }}{{ template "__alertmanager" . }}{{ end }}

{{- define "pushover.default.title" }}{{ template "__subject" . }}{{ end }}
{{- define "pushover.default.message" }}{{ template "__omni_common_annotations" . }}{{ "\n" }}{{ template "__omni_sections_spaced" . }}{{ end }}
{{- define "pushover.default.url" }}{{ template "__alertmanagerURL" . }}{{ end }}

{{- define "sns.default.subject" }}{{ template "__subject" . }}{{ end }}
{{- define "sns.default.message" }}{{ template "__omni_common_annotations" . }}{{ "\n" }}{{ template "__omni_sections_spaced" . }}{{ end }}

{{- define "telegram.default.message" }}{{ "\n" }}{{ template "__omni_sections_spaced" . }}{{ end }}

{{- define "discord.default.title" }}{{ template "__subject" . }}{{ end }}
{{- define "discord.default.message" }}{{ "\n" }}{{ template "__omni_sections_spaced" . }}{{ end }}

{{- define "webex.default.message" }}{{ template "__omni_common_annotations" . }}{{ "\n" }}{{ template "__omni_sections_spaced" . }}{{ end }}

{{- define "email.default.subject" }}{{ template "__subject" . }}{{ end }}
{{- define "email.default.html" -}}
<!DOCTYPE html>
<html>
<head>
<meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<title>{{ template "__subject" . }}</title>
</head>
<body style="font-family: Helvetica, Arial, sans-serif; font-size: 14px; background-color: #f6f6f6; margin: 0;">
<table width="100%" cellpadding="0" cellspacing="0" style="max-width: 600px; margin: 0 auto; background-color: #fff; border: 1px solid #e9e9e9;">
<tr>
<td style="padding: 20px; color: #fff; text-align: center; background-color: {{ if eq .Status "firing" }}#E6522C{{ else }}#68B90F{{ end }};">
{{ len .Alerts }} alert{{ if gt (len .Alerts) 1 }}s{{ end }} for {{ range .GroupLabels.SortedPairs }}
{{ .Name }}={{ .Value }}
{{ end }}
</td>
</tr>
<tr>
<td style="padding: 10px 20px;">
<a href="{{ template "__alertmanagerURL" . }}" style="display: inline-block; padding: 8px 16px; color: #fff; background-color: #348eda; border-radius: 5px; text-decoration: none;">View in {{ template "__alertmanager" . }}</a>
</td>
</tr>
{{ if gt (len .Alerts.Firing) 0 -}}
<tr><td style="padding: 10px 20px;"><strong>[{{ .Alerts.Firing | len }}] Firing</strong></td></tr>
{{ range .Alerts.Firing -}}
<tr><td style="padding: 10px 20px; border-top: 1px solid #eee;">
<strong>Labels</strong><br />
{{ range .Labels.SortedPairs }}{{ .Name }} = {{ .Value }}<br />
{{ end }}{{ if gt (len .Annotations) 0 }}<strong>Annotations</strong><br />
{{ end }}{{ range .Annotations.SortedPairs }}{{ .Name }} = {{ .Value }}<br />
{{ end }}<a href="{{ .GeneratorURL }}">Source</a><br />
</td></tr>
{{ end }}
{{- end }}
{{- if gt (len .Alerts.Resolved) 0 -}}
<tr><td style="padding: 10px 20px;"><strong>[{{ .Alerts.Resolved | len }}] Resolved</strong></td></tr>
{{ range .Alerts.Resolved -}}
<tr><td style="padding: 10px 20px; border-top: 1px solid #eee;">
<strong>Labels</strong><br />
{{ range .Labels.SortedPairs }}{{ .Name }} = {{ .Value }}<br />
{{ end }}{{ if gt (len .Annotations) 0 }}<strong>Annotations</strong><br />
{{ end }}{{ range .Annotations.SortedPairs }}{{ .Name }} = {{ .Value }}<br />
{{ end }}<a href="{{ .GeneratorURL }}">Source</a><br />
</td></tr>
{{ end }}
{{- end -}}
</table>
<p style="text-align: center; font-size: 12px;"><a href="{{ .ExternalURL }}" style="color: #999;">Sent by {{ template "__alertmanager" . }}</a></p>
</body>
</html>
{{ end -}}
)TMPL";
  return kText;
}

absl::StatusOr<std::unique_ptr<Template>> Template::FromGlobs(const std::vector<std::string>& globs) {
  auto t = std::make_unique<Template>();
  for (TemplateSet* set : {&t->text_, &t->html_}) {
    set->SetMissingKey(MissingKey::kZero);
    set->AddFuncs(DefaultFuncs());
    absl::Status s = set->Parse("", DefaultTemplatesText());
    if (!s.ok()) return s;
  }
  t->html_.SetHtmlEscaping(true);
  for (const auto& g : globs) {
    absl::Status s = t->text_.ParseGlob(g);
    if (!s.ok() && absl::IsNotFound(s) && s.message().find("pattern matches no files") != std::string::npos) {
      continue;  // Alertmanager tolerates globs that match nothing (yet).
    }
    if (!s.ok()) return s;
    s = t->html_.ParseGlob(g);
    if (!s.ok()) return s;
  }
  return t;
}

absl::StatusOr<std::string> Template::ExecuteTextString(std::string_view text, const TemplateValue& data) const {
  return text_.ExecuteText(text, data);
}

absl::StatusOr<std::string> Template::ExecuteHTMLString(std::string_view text, const TemplateValue& data) const {
  return html_.ExecuteText(text, data);
}

}  // namespace omni::tmpl::alertmanager
