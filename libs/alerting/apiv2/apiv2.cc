#include "libs/alerting/apiv2/apiv2.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/json/json_value.h"
#include "libs/json/json_writer.h"
#include "re2/re2.h"

namespace omni::alerting::apiv2 {
namespace {

using httpapi::Request;
using httpapi::Response;
using json::JsonValue;
using json::JsonWriter;

void SendJson(Response& resp, int code, const std::string& body) { resp.Send(code, "application/json", body); }

// A JSON string body, as go-swagger writes string payloads.
void SendJsonString(Response& resp, int code, std::string_view msg) {
  std::string out;
  JsonWriter w(&out);
  w.String(msg);
  out.push_back('\n');
  SendJson(resp, code, out);
}

void SendSwaggerError(Response& resp, int code, std::string_view msg) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.KeyInt("code", code);
  w.KeyString("message", msg);
  w.EndObject();
  SendJson(resp, code, out);
}

// The API v1 error envelope (Alertmanager's api/v1 apiError).
void SendV1BadData(Response& resp, std::string_view msg) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.KeyString("status", "error");
  w.KeyString("errorType", "bad_data");
  w.KeyString("error", msg);
  w.EndObject();
  SendJson(resp, 400, out);
}

absl::StatusOr<absl::Time> ParseApiTime(const JsonValue* v) {
  if (v == nullptr || v->IsNull()) return kZeroTime;
  if (!v->IsString()) return absl::InvalidArgumentError("time must be a string");
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, v->AsString(), &t, &err))
    return absl::InvalidArgumentError(absl::StrCat("parsing time \"", v->AsString(), "\": ", err));
  if (t <= absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone())) return kZeroTime;
  return t;
}

// The pairs of a models.LabelSet object, empty values included; the caller
// decides (labels drop them, annotations keep them).
absl::StatusOr<std::vector<model::Label>> ParseLabelSet(const JsonValue* v) {
  std::vector<model::Label> ls;
  if (v == nullptr || v->IsNull()) return ls;
  if (!v->IsObject()) return absl::InvalidArgumentError("label set must be an object");
  for (const auto& [k, val] : v->AsObject()) {
    if (!val.IsString()) return absl::InvalidArgumentError(absl::StrCat("label ", k, " must be a string"));
    ls.push_back({k, val.AsString()});
  }
  return ls;
}

// Writes a label set or annotations as a JSON object (models.LabelSet).
template <typename Pairs>
void WriteLabels(JsonWriter& w, const Pairs& ls) {
  w.BeginObject();
  for (const auto& l : ls) w.KeyString(l.name, l.value);
  w.EndObject();
}

void WriteStrings(JsonWriter& w, const std::vector<std::string>& v) {
  w.BeginArray();
  for (const auto& s : v) w.String(s);
  w.EndArray();
}

struct AlertFilter {
  Matchers matchers;
  bool silenced = true, inhibited = true, active = true, unprocessed = true;
  std::unique_ptr<RE2> receiver;
};

absl::StatusOr<bool> BoolParam(const Request& req, std::string_view name) {
  if (!req.HasFormValue(name)) return true;
  std::string v = req.FormValue(name);
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return absl::InvalidArgumentError(absl::StrCat(std::string(name), " in query must be of type boolean: \"", v, "\""));
}

absl::StatusOr<Matchers> FilterMatchers(const Request& req) {
  Matchers ms;
  for (const std::string& f : req.FormValues("filter")) {
    auto m = ParseMatchers(f);
    if (!m.ok()) return m.status();
    for (const Matcher& x : *m) ms.Add(x);
  }
  return ms;
}

absl::StatusOr<AlertFilter> ParseAlertFilter(const Request& req) {
  AlertFilter f;
  auto ms = FilterMatchers(req);
  if (!ms.ok()) return ms.status();
  f.matchers = std::move(*ms);
  for (auto [name, dst] : {std::pair<const char*, bool*>{"silenced", &f.silenced}, {"inhibited", &f.inhibited},
                           {"active", &f.active}, {"unprocessed", &f.unprocessed}}) {
    auto b = BoolParam(req, name);
    if (!b.ok()) return b.status();
    *dst = *b;
  }
  if (req.HasFormValue("receiver") && !req.FormValue("receiver").empty()) {
    f.receiver = std::make_unique<RE2>("^(?:" + req.FormValue("receiver") + ")$");
    if (!f.receiver->ok()) return absl::InvalidArgumentError(f.receiver->error());
  }
  return f;
}

// AM's alertFilter + receiver check. Sets `receivers`.
bool AlertPasses(const AlertFilter& f, const Alert& a, const AlertStatus& st, const Route* route, absl::Time now,
                 std::vector<std::string>* receivers) {
  receivers->clear();
  if (route != nullptr)
    for (const Route* r : route->Match(a.labels)) receivers->push_back(r->opts().receiver);
  if (f.receiver != nullptr) {
    bool any = false;
    for (const auto& r : *receivers) any |= RE2::FullMatch(r, *f.receiver);
    if (!any) return false;
  }
  if (!IsZeroTime(a.ends_at) && a.ends_at < now) return false;
  if (!f.matchers.Matches(a.labels)) return false;
  if (!f.unprocessed && st.state == AlertState::kUnprocessed) return false;
  if (!f.active && st.state == AlertState::kActive) return false;
  if (!f.silenced && !st.silenced_by.empty()) return false;
  if (!f.inhibited && !st.inhibited_by.empty()) return false;
  return true;
}

void WriteGettableAlert(JsonWriter& w, const Alert& a, const AlertStatus& st,
                        const std::vector<std::string>& receivers) {
  w.BeginObject();
  w.Key("annotations");
  WriteLabels(w, a.annotations);
  w.KeyString("endsAt", ApiTime(a.ends_at));
  w.KeyString("fingerprint", FingerprintString(a.GetFingerprint()));
  w.Key("receivers");
  w.BeginArray();
  for (const auto& r : receivers) {
    w.BeginObject();
    w.KeyString("name", r);
    w.EndObject();
  }
  w.EndArray();
  w.KeyString("startsAt", ApiTime(a.starts_at));
  w.Key("status");
  w.BeginObject();
  w.Key("inhibitedBy");
  WriteStrings(w, st.inhibited_by);
  w.Key("silencedBy");
  WriteStrings(w, st.silenced_by);
  w.KeyString("state", AlertStateString(st.state));
  w.EndObject();
  w.KeyString("updatedAt", ApiTime(a.updated_at));
  if (!a.generator_url.empty()) w.KeyString("generatorURL", a.generator_url);
  w.Key("labels");
  WriteLabels(w, a.labels);
  w.EndObject();
}

void WriteSilence(JsonWriter& w, const Silence& s, absl::Time now) {
  w.BeginObject();
  w.KeyString("id", s.id);
  w.Key("status");
  w.BeginObject();
  w.KeyString("state", SilenceStateString(GetSilenceState(s, now)));
  w.EndObject();
  w.KeyString("updatedAt", ApiTime(s.updated_at));
  w.KeyString("comment", s.comment);
  w.KeyString("createdBy", s.created_by);
  w.KeyString("endsAt", ApiTime(s.ends_at));
  w.Key("matchers");
  w.BeginArray();
  for (const Matcher& m : s.matchers) {
    w.BeginObject();
    w.KeyBool("isEqual", m.type() == MatchType::kEqual || m.type() == MatchType::kRegexp);
    w.KeyBool("isRegex", m.type() == MatchType::kRegexp || m.type() == MatchType::kNotRegexp);
    w.KeyString("name", m.name());
    w.KeyString("value", m.value());
    w.EndObject();
  }
  w.EndArray();
  w.KeyString("startsAt", ApiTime(s.starts_at));
  w.EndObject();
}

}  // namespace

std::string ApiTime(absl::Time t) {
  if (IsZeroTime(t)) return "0001-01-01T00:00:00.000Z";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

void SortSilencesForApi(std::vector<Silence>& ss, absl::Time now) {
  auto rank = [&](const Silence& s) {
    switch (GetSilenceState(s, now)) {
      case SilenceState::kActive: return 0;
      case SilenceState::kPending: return 1;
      default: return 2;
    }
  };
  std::stable_sort(ss.begin(), ss.end(), [&](const Silence& a, const Silence& b) {
    int ra = rank(a), rb = rank(b);
    if (ra != rb) return ra < rb;
    if (ra == 0) return a.ends_at < b.ends_at;
    if (ra == 1) return a.starts_at < b.starts_at;
    return a.ends_at > b.ends_at;
  });
}

Api::Api(Deps deps) : d_(std::move(deps)) {
  if (d_.registry != nullptr) {
    received_ = d_.registry->AddCounterVec("alertmanager_alerts_received_total", "The total number of received alerts.",
                                           {"status", "version"});
    invalid_ = d_.registry->AddCounterVec("alertmanager_alerts_invalid_total",
                                          "The total number of received alerts that were invalid.", {"version"});
    for (const char* v : {"v1", "v2"}) {
      received_->WithLabelValues({"firing", v});
      received_->WithLabelValues({"resolved", v});
      invalid_->WithLabelValues({v});
    }
  }
}

void Api::Register(httpapi::Router& r) {
  r.Post("/api/v2/alerts", [this](Request& q, Response& p) { PostAlerts(q, p, false); });
  r.Post("/api/v1/alerts", [this](Request& q, Response& p) { PostAlerts(q, p, true); });
  r.Get("/api/v2/alerts", [this](Request& q, Response& p) { GetAlerts(q, p); });
  r.Get("/api/v2/alerts/groups", [this](Request& q, Response& p) { GetAlertGroups(q, p); });
  r.Get("/api/v2/silences", [this](Request& q, Response& p) { GetSilences(q, p); });
  r.Post("/api/v2/silences", [this](Request& q, Response& p) { PostSilences(q, p); });
  r.Get("/api/v2/silence/<id>", [this](Request& q, Response& p) { GetSilence(q, p); });
  r.Delete("/api/v2/silence/<id>", [this](Request& q, Response& p) { DeleteSilence(q, p); });
  r.Get("/api/v2/status", [this](Request& q, Response& p) { GetStatus(q, p); });
  r.Get("/api/v2/receivers", [this](Request& q, Response& p) { GetReceivers(q, p); });
}

void Api::PostAlerts(Request& req, Response& resp, bool v1) {
  const char* version = v1 ? "v1" : "v2";
  auto doc = json::Parse(req.body());
  if (!doc.ok() || !doc->IsArray()) {
    std::string why = doc.ok() ? "json: cannot unmarshal into Go value of type models.PostableAlerts"
                               : std::string(std::string(doc.status().message()));
    if (v1) return SendV1BadData(resp, why);
    return SendSwaggerError(resp, 400, absl::StrCat("parsing alerts body from \"\" failed, because ", why));
  }
  ConfigSnapshot cs = d_.config();
  absl::Time now = d_.clock->Now();
  std::vector<Alert> valid;
  std::vector<std::string> errs;
  for (const JsonValue& item : doc->AsArray()) {
    Alert a;
    absl::Status st;
    auto labels = ParseLabelSet(item.Find("labels"));
    auto annotations = ParseLabelSet(item.Find("annotations"));
    auto starts = ParseApiTime(item.Find("startsAt"));
    auto ends = ParseApiTime(item.Find("endsAt"));
    for (const absl::Status& s : {labels.status(), annotations.status(), starts.status(), ends.status()})
      if (st.ok() && !s.ok()) st = s;
    if (st.ok()) {
      // AM drops labels with empty values (removeEmptyLabels) but keeps such annotations.
      a.labels = model::Labels::FromUnsorted(std::move(*labels));
      a.annotations = Annotations::FromUnsorted(std::move(*annotations));
      a.starts_at = *starts;
      a.ends_at = *ends;
      a.generator_url = item.GetString("generatorURL");
      PrepareReceivedAlert(a, now, cs.resolve_timeout);
      if (received_ != nullptr)
        received_->WithLabelValues({a.ends_at > now ? "firing" : "resolved", version})->Inc();
      st = ValidateAlert(a);
    }
    if (!st.ok()) {
      errs.push_back(std::string(st.message()));
      if (invalid_ != nullptr) invalid_->WithLabelValues({version})->Inc();
      continue;
    }
    valid.push_back(std::move(a));
  }
  if (!valid.empty()) d_.put_alerts(std::move(valid));
  if (!errs.empty()) {
    std::string msg = absl::StrJoin(errs, "; ");
    if (v1) return SendV1BadData(resp, msg);
    return SendJsonString(resp, 400, msg);
  }
  if (v1) return SendJson(resp, 200, "{\"status\":\"success\"}");
  SendJson(resp, 200, "");
}

void Api::GetAlerts(Request& req, Response& resp) {
  auto f = ParseAlertFilter(req);
  if (!f.ok()) return SendJsonString(resp, 400, std::string(f.status().message()));
  ConfigSnapshot cs = d_.config();
  absl::Time now = d_.clock->Now();
  std::vector<Alert> alerts = d_.alerts();
  std::sort(alerts.begin(), alerts.end(), [](const Alert& a, const Alert& b) {
    return FingerprintString(a.GetFingerprint()) < FingerprintString(b.GetFingerprint());
  });
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  std::vector<std::string> receivers;
  for (const Alert& a : alerts) {
    AlertStatus st = d_.marker->Status(a.GetFingerprint());
    if (!AlertPasses(*f, a, st, cs.route.get(), now, &receivers)) continue;
    WriteGettableAlert(w, a, st, receivers);
  }
  w.EndArray();
  out.push_back('\n');
  SendJson(resp, 200, out);
}

void Api::GetAlertGroups(Request& req, Response& resp) {
  auto f = ParseAlertFilter(req);
  if (!f.ok()) return SendJsonString(resp, 400, std::string(f.status().message()));
  ConfigSnapshot cs = d_.config();
  absl::Time now = d_.clock->Now();
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  std::vector<std::string> receivers;
  for (const AlertGroupSnapshot& g : d_.groups()) {
    if (f->receiver != nullptr && !RE2::FullMatch(g.receiver, *f->receiver)) continue;
    std::string alerts_json;
    JsonWriter aw(&alerts_json);
    aw.BeginArray();
    int n = 0;
    for (const Alert& a : g.alerts) {
      AlertStatus st = d_.marker->Status(a.GetFingerprint());
      if (!AlertPasses(*f, a, st, cs.route.get(), now, &receivers)) continue;
      WriteGettableAlert(aw, a, st, receivers);
      ++n;
    }
    aw.EndArray();
    if (n == 0) continue;
    w.BeginObject();
    w.Key("alerts");
    w.Raw(alerts_json);
    w.Key("labels");
    WriteLabels(w, g.labels);
    w.Key("receiver");
    w.BeginObject();
    w.KeyString("name", g.receiver);
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  out.push_back('\n');
  SendJson(resp, 200, out);
}

void Api::GetSilences(Request& req, Response& resp) {
  auto ms = FilterMatchers(req);
  if (!ms.ok()) return SendJsonString(resp, 400, std::string(ms.status().message()));
  absl::Time now = d_.clock->Now();
  std::vector<Silence> all = d_.silences->Query({});
  std::vector<Silence> keep;
  for (Silence& s : all) {
    bool ok = true;
    for (const Matcher& fm : *ms) {
      const Matcher* sm = nullptr;
      for (const Matcher& m : s.matchers)
        if (m.name() == fm.name()) sm = &m;
      if (sm == nullptr || !fm.Matches(sm->value())) ok = false;
    }
    if (ok) keep.push_back(std::move(s));
  }
  SortSilencesForApi(keep, now);
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  for (const Silence& s : keep) WriteSilence(w, s, now);
  w.EndArray();
  out.push_back('\n');
  SendJson(resp, 200, out);
}

void Api::PostSilences(Request& req, Response& resp) {
  auto doc = json::Parse(req.body());
  if (!doc.ok() || !doc->IsObject())
    return SendSwaggerError(resp, 400, absl::StrCat("parsing silence body from \"\" failed, because ",
                                                    doc.ok() ? "not an object" : std::string(doc.status().message())));
  Silence s;
  s.id = doc->GetString("id");
  s.created_by = doc->GetString("createdBy");
  s.comment = doc->GetString("comment");
  auto starts = ParseApiTime(doc->Find("startsAt"));
  auto ends = ParseApiTime(doc->Find("endsAt"));
  if (!starts.ok()) return SendSwaggerError(resp, 400, std::string(starts.status().message()));
  if (!ends.ok()) return SendSwaggerError(resp, 400, std::string(ends.status().message()));
  s.starts_at = *starts;
  s.ends_at = *ends;
  const JsonValue* ms = doc->Find("matchers");
  if (ms != nullptr && ms->IsArray()) {
    for (const JsonValue& m : ms->AsArray()) {
      bool is_regex = m.Find("isRegex") != nullptr && m.Find("isRegex")->AsBool();
      bool is_equal = m.Find("isEqual") == nullptr || m.Find("isEqual")->AsBool();
      MatchType t = is_regex ? (is_equal ? MatchType::kRegexp : MatchType::kNotRegexp)
                             : (is_equal ? MatchType::kEqual : MatchType::kNotEqual);
      auto mm = Matcher::Create(t, m.GetString("name"), m.GetString("value"));
      if (!mm.ok()) return SendJsonString(resp, 400, std::string(mm.status().message()));
      s.matchers.Add(std::move(*mm));
    }
  }
  absl::Time now = d_.clock->Now();
  if (!(s.starts_at < s.ends_at))
    return SendJsonString(resp, 400, "failed to create silence: start time must be before end time");
  if (s.ends_at < now) return SendJsonString(resp, 400, "failed to create silence: end time can't be in the past");
  auto id = d_.silences->Set(s);
  if (!id.ok()) {
    if (absl::IsNotFound(id.status())) return SendJsonString(resp, 404, std::string(id.status().message()));
    return SendJsonString(resp, 400, std::string(id.status().message()));
  }
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.KeyString("silenceID", *id);
  w.EndObject();
  out.push_back('\n');
  SendJson(resp, 200, out);
}

void Api::GetSilence(Request& req, Response& resp) {
  auto s = d_.silences->Get(std::string(req.PathParam("id")));
  if (!s.ok()) return SendJson(resp, 404, "");
  std::string out;
  JsonWriter w(&out);
  WriteSilence(w, *s, d_.clock->Now());
  out.push_back('\n');
  SendJson(resp, 200, out);
}

void Api::DeleteSilence(Request& req, Response& resp) {
  absl::Status st = d_.silences->Expire(std::string(req.PathParam("id")));
  if (absl::IsNotFound(st)) return SendJson(resp, 404, "");
  if (!st.ok()) return SendJsonString(resp, 500, std::string(st.message()));
  SendJson(resp, 200, "");
}

void Api::GetStatus(Request&, Response& resp) {
  ConfigSnapshot cs = d_.config();
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("cluster");
  w.BeginObject();
  w.Key("peers");
  w.BeginArray();
  w.EndArray();
  w.KeyString("status", "disabled");
  w.EndObject();
  w.Key("config");
  w.BeginObject();
  w.KeyString("original", cs.config != nullptr ? cs.config->RedactedYaml() : "");
  w.EndObject();
  w.KeyString("uptime", ApiTime(d_.start_time));
  w.Key("versionInfo");
  w.BeginObject();
  w.KeyString("branch", "main");
  w.KeyString("buildDate", "");
  w.KeyString("buildUser", "omniscope");
  w.KeyString("goVersion", "n/a (C++)");
  w.KeyString("revision", "");
  w.KeyString("version", "0.25.0");
  w.EndObject();
  w.EndObject();
  out.push_back('\n');
  SendJson(resp, 200, out);
}

void Api::GetReceivers(Request&, Response& resp) {
  ConfigSnapshot cs = d_.config();
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  if (cs.config != nullptr)
    for (const auto& r : cs.config->receivers) {
      w.BeginObject();
      w.KeyString("name", r.name);
      w.EndObject();
    }
  w.EndArray();
  out.push_back('\n');
  SendJson(resp, 200, out);
}

}  // namespace omni::alerting::apiv2
