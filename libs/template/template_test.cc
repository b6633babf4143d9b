// Unit tests of the engine API: options, value model, template sets, files,
// HTML mode and the Alertmanager helpers. Go-behaviour parity is covered by
// template_golden_test.cc (outputs recorded from the real Go implementation).
#include "libs/template/template.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "libs/template/alertmanager.h"

namespace omni::tmpl {
namespace {

using V = TemplateValue;

std::string Render(const std::string& text, const V& data = V(), MissingKey mk = MissingKey::kDefault) {
  TemplateSet set;
  set.SetMissingKey(mk);
  absl::Status s = set.Parse("t", text);
  if (!s.ok()) return "PARSE: " + std::string(s.message());
  auto r = set.Execute("t", data);
  return r.ok() ? *r : "EXEC: " + std::string(r.status().message());
}

V SampleMap() {
  return V::Map({{"name", V("api")}, {"count", V(3)}, {"ratio", V(0.25)}, {"tags", V::StringList({"a", "b"})}});
}

TEST_CASE("missingkey modes", "[template]") {
  const V data = SampleMap();
  CHECK(Render("{{ .nope }}", data) == "<no value>");
  CHECK(Render("{{ .nope }}", data, MissingKey::kZero) == "<no value>");  // interface{} elements: still invalid
  CHECK(Render("{{ .nope }}", V::StringMap({{"a", "b"}}), MissingKey::kZero) == "");
  CHECK(Render("{{ .nope }}", data, MissingKey::kError) ==
        "EXEC: template: t:1:3: executing \"t\" at <.nope>: map has no entry for key \"nope\"");
  CHECK(Render("{{ .nope.deeper }}", data) == "<no value>");
  CHECK(Render("{{ if .nope }}y{{ else }}n{{ end }}", data) == "n");
  CHECK(Render("{{ printf \"%v\" .nope }}", data) == "<nil>");
  CHECK(Render("{{ index . \"nope\" }}", data) == "<no value>");

  TemplateSet set;
  CHECK(set.SetOption("missingkey=error").ok());
  CHECK(set.SetOption("missingkey=zero").ok());
  CHECK_FALSE(set.SetOption("missingkey=bogus").ok());
}

TEST_CASE("value model: maps, lists, objects, methods", "[template]") {
  const V data = SampleMap();
  CHECK(Render("{{ .name }} {{ .count }} {{ .ratio }} {{ .tags }} {{ len .tags }}", data) == "api 3 0.25 [a b] 2");
  CHECK(Render("{{ . }}", data) == "map[count:3 name:api ratio:0.25 tags:[a b]]");

  auto type = std::make_shared<TypeInfo>();
  type->name = "main.Host";
  type->methods["Greet"] = [](const V& self, const std::vector<V>& args) -> absl::StatusOr<V> {
    std::string who = args.empty() ? "world" : args[0].AsString();
    return V("hello " + who + " from " + self.Field("Name")->AsString());
  };
  type->methods["Fail"] = [](const V&, const std::vector<V>&) -> absl::StatusOr<V> {
    return absl::InternalError("boom");
  };
  const V host = V::Object({{"Name", V("h1")}, {"Port", V(80)}}).WithType(type);
  CHECK(Render("{{ .Name }}:{{ .Port }} {{ .Greet }} / {{ .Greet \"bob\" }} / {{ \"eve\" | .Greet }}", host) ==
        "h1:80 hello world from h1 / hello bob from h1 / hello eve from h1");
  CHECK(Render("{{ . }}", host) == "{h1 80}");
  CHECK(Render("{{ printf \"%+v\" . }}", host) == "{Name:h1 Port:80}");
  CHECK(Render("{{ .Fail }}", host) == "EXEC: template: t:1:3: executing \"t\" at <.Fail>: error calling Fail: boom");
  CHECK(Render("{{ .Nope }}", host) ==
        "EXEC: template: t:1:3: executing \"t\" at <.Nope>: can't evaluate field Nope in type main.Host");
  CHECK(Render("{{ .Port 1 }}", host) ==
        "EXEC: template: t:1:3: executing \"t\" at <.Port>: Port has arguments but cannot be invoked as function");

  // A stringer replaces the structural form when printed.
  auto stringer = std::make_shared<TypeInfo>();
  stringer->stringer = [](const V& v) { return "<" + v.Field("Name")->AsString() + ">"; };
  CHECK(Render("{{ . }} {{ printf \"%s|%v|%q\" . . . }}", V::Object({{"Name", V("x")}}).WithType(stringer)) ==
        "<x> <x>|<x>|\"<x>\"");

  // nil values.
  CHECK(Render("{{ . }}", V::Nil()) == "<nil>");
  CHECK(Render("{{ .Foo }}", V::Nil()) ==
        "EXEC: template: t:1:3: executing \"t\" at <.Foo>: nil pointer evaluating interface {}.Foo");
  CHECK(Render("{{ .Foo }}") == "<no value>");  // invalid dot, missingkey=default
}

TEST_CASE("call and custom functions", "[template]") {
  TemplateSet set;
  FuncMap funcs;
  funcs["add"] = {{ParamType::kInt, ParamType::kInt}, false,
                  [](const std::vector<V>& a) -> absl::StatusOr<V> { return V(a[0].AsInt() + a[1].AsInt()); }};
  funcs["half"] = {{ParamType::kFloat}, false,
                   [](const std::vector<V>& a) -> absl::StatusOr<V> { return V(a[0].AsFloat() / 2); }};
  funcs["cat"] = {{ParamType::kString, ParamType::kString}, true, [](const std::vector<V>& a) -> absl::StatusOr<V> {
                    std::string out;
                    for (const auto& v : a) out += v.AsString();
                    return V(out);
                  }};
  set.AddFuncs(funcs);
  REQUIRE(set.Parse("t", "{{ add 1 2 }} {{ half 3 }} {{ cat \"a\" }} {{ cat \"a\" \"b\" \"c\" }} {{ 5 | add 1 }} "
                         "{{ call .F 2 }}")
              .ok());
  V data = V::Map({{"F", V::Func([](const std::vector<V>& a) -> absl::StatusOr<V> { return V(a[0].AsInt() * 10); })}});
  auto r = set.Execute("t", data);
  REQUIRE(r.ok());
  CHECK(*r == "3 1.5 a abc 6 20");

  REQUIRE(set.Parse("bad", "{{ add 1.5 2 }}").ok());
  CHECK(set.Execute("bad", V()).status().message() ==
        "template: bad:1:7: executing \"bad\" at <1.5>: expected integer; found 1.5");
  REQUIRE(set.Parse("bad2", "{{ cat }}").ok());
  CHECK(set.Execute("bad2", V()).status().message() ==
        "template: bad2:1:3: executing \"bad2\" at <cat>: wrong number of args for cat: want at least 1 got 0");
  // Unknown functions are parse errors.
  CHECK(set.Parse("bad3", "{{ nope }}").message() == "template: bad3:1: function \"nope\" not defined");
}

TEST_CASE("template sets: redefinition, empty bodies, multiple definitions", "[template]") {
  TemplateSet set;
  REQUIRE(set.Parse("a", "{{ define \"x\" }}one{{ end }}").ok());
  REQUIRE(set.Parse("b", "{{ define \"x\" }}two{{ end }}").ok());
  CHECK(*set.Execute("x", V()) == "two");
  // An empty redefinition does not replace.
  REQUIRE(set.Parse("c", "{{ define \"x\" }} {{ end }}").ok());
  CHECK(*set.Execute("x", V()) == "two");
  // Two non-empty definitions in one text are an error.
  CHECK(set.Parse("d", "{{ define \"y\" }}1{{ end }}{{ define \"y\" }}2{{ end }}").message() ==
        "template: d:1: template: multiple definition of template \"y\"");
  CHECK(set.Has("a"));
  CHECK_FALSE(set.Has("y"));
  CHECK(set.Execute("missing", V()).status().message() ==
        "template: no template \"missing\" associated with template \"missing\"");
  // A failed parse leaves the set unchanged.
  CHECK_FALSE(set.Parse("e", "{{ define \"z\" }}ok{{ end }}{{ if }}").ok());
  CHECK_FALSE(set.Has("z"));
}

TEST_CASE("delimiters, ExecuteText, recursion", "[template]") {
  TemplateSet set;
  set.SetDelims("[[", "]]");
  REQUIRE(set.Parse("t", "[[ .a ]] {{ .a }} [[- \" x \" -]] !").ok());
  CHECK(*set.Execute("t", V::StringMap({{"a", "A"}})) == "A {{ .a }} x !");

  TemplateSet plain;
  REQUIRE(plain.Parse("defs", "{{ define \"greet\" }}hi {{ . }}{{ end }}").ok());
  CHECK(*plain.ExecuteText("{{ template \"greet\" \"bob\" }}!", V()) == "hi bob!");
  CHECK(*plain.ExecuteText("", V()) == "");
  CHECK_FALSE(plain.Has(""));  // ExecuteText works on a copy

  TemplateSet rec;
  REQUIRE(rec.Parse("r", "{{ define \"loop\" }}{{ template \"loop\" . }}{{ end }}{{ template \"loop\" . }}").ok());
  auto r = rec.Execute("r", V());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("exceeded maximum template depth") != std::string::npos);

  // Hostile nesting is a parse error, not a stack overflow.
  TemplateSet deep;
  CHECK(deep.Parse("p", "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}").message() ==
        "template: p:1: max expression depth exceeded");
  std::string ifs;
  for (int i = 0; i < 5000; ++i) ifs += "{{ if true }}";
  CHECK(deep.Parse("i", ifs).message() == "template: i:1: max expression depth exceeded");
}

TEST_CASE("ParseFiles and ParseGlob", "[template]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("omni_tmpl_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "a.tmpl") << "{{ define \"a\" }}A{{ template \"b\" }}{{ end }}";
  std::ofstream(dir / "b.tmpl") << "{{ define \"b\" }}B{{ end }}top-b";
  TemplateSet set;
  REQUIRE(set.ParseGlob((dir / "*.tmpl").string()).ok());
  CHECK(*set.Execute("a", V()) == "AB");
  CHECK(*set.Execute("b.tmpl", V()) == "top-b");
  CHECK(set.ParseGlob((dir / "*.none").string()).message().find("pattern matches no files") != std::string::npos);
  CHECK(absl::IsNotFound(set.ParseFiles({(dir / "missing.tmpl").string()})));

  std::ofstream(dir / "bad.tmpl") << "{{ if }}";
  TemplateSet bad;
  CHECK(bad.ParseFiles({(dir / "bad.tmpl").string()}).message() == "template: bad.tmpl:1: missing value for if");
  fs::remove_all(dir);
}

TEST_CASE("HTML mode escapes by context", "[template][html]") {
  TemplateSet set;
  set.SetHtmlEscaping(true);
  FuncMap funcs = alertmanager::DefaultFuncs();
  set.AddFuncs(funcs);
  REQUIRE(set.Parse("t", "<p class=\"{{ .v }}\">{{ .v }}</p><a href=\"{{ .u }}\">l</a><a href='{{ .bad }}'>b</a>"
                         "<script>var x = {{ .v }};</script><b>{{ safeHtml .h }}</b>")
              .ok());
  auto r = set.Execute("t", V::StringMap({{"v", "<a&b>"}, {"u", "http://x/a b?q=1"}, {"bad", "javascript:x()"},
                                          {"h", "<i>ok</i>"}}));
  REQUIRE(r.ok());
  CHECK(*r ==
        "<p class=\"&lt;a&amp;b&gt;\">&lt;a&amp;b&gt;</p><a href=\"http://x/a%20b?q=1\">l</a>"
        "<a href='#ZgotmplZ'>b</a><script>var x = \"\\u003Ca\\u0026b\\u003E\";</script><b><i>ok</i></b>");
}

TEST_CASE("TimeValue formatting and parsing", "[template]") {
  auto t = TimeValue::ParseRFC3339("2023-03-01T09:30:00.120+02:00");
  REQUIRE(t.ok());
  CHECK(t->String() == "2023-03-01 09:30:00.12 +0200 +0200");
  CHECK(t->Format("Mon Jan _2 15:04:05.000 2006") == "Wed Mar  1 09:30:00.120 2023");
  CHECK(t->Format("2006-01-02T15:04:05Z07:00") == "2023-03-01T09:30:00+02:00");
  CHECK(TimeValue::Zero().String() == "0001-01-01 00:00:00 +0000 UTC");
  CHECK(TimeValue::Zero().IsZero());
  CHECK(TimeValue::FromUnixNanos(-1).String() == "1969-12-31 23:59:59.999999999 +0000 UTC");
  CHECK_FALSE(TimeValue::ParseRFC3339("2023-13-01T00:00:00Z").ok());
  CHECK_FALSE(TimeValue::ParseRFC3339("yesterday").ok());
}

TEST_CASE("alertmanager: Template, defaults and user overrides", "[template][alertmanager]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("omni_am_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "custom.tmpl") << "{{ define \"slack.default.title\" }}custom {{ .Status }}{{ end }}"
                                        "{{ define \"my.body\" }}{{ range .Alerts }}{{ .Labels.alertname }} {{ end }}"
                                        "{{ end }}";
  auto tmpl = alertmanager::Template::FromGlobs({(dir / "*.tmpl").string(), (dir / "nothing-*.tmpl").string()});
  REQUIRE(tmpl.ok());
  alertmanager::Data data;
  data.receiver = "team";
  data.status = "firing";
  data.group_labels = {{"alertname", "Disk"}};
  data.common_labels = {{"alertname", "Disk"}, {"env", "prod"}};
  alertmanager::Alert a;
  a.status = "firing";
  a.labels = {{"alertname", "Disk"}, {"env", "prod"}, {"host", "h1"}};
  data.alerts = {a, a};
  data.alerts[1].status = "resolved";
  data.external_url = "http://am";
  const V dot = data.ToValue();
  CHECK(*(*tmpl)->ExecuteTextString("{{ template \"slack.default.title\" . }}", dot) == "custom firing");
  CHECK(*(*tmpl)->ExecuteTextString("{{ template \"__subject\" . }}", dot) == "[FIRING:1] Disk (prod)");
  CHECK(*(*tmpl)->ExecuteTextString("{{ template \"my.body\" . }}", dot) == "Disk Disk ");
  CHECK(*(*tmpl)->ExecuteTextString("{{ template \"email.default.subject\" . }}", dot) == "[FIRING:1] Disk (prod)");
  auto html = (*tmpl)->ExecuteHTMLString("{{ template \"email.default.html\" . }}", dot);
  REQUIRE(html.ok());
  CHECK(html->find("<title>[FIRING:1] Disk (prod)</title>") != std::string::npos);
  CHECK(html->find("[1] Firing") != std::string::npos);
  CHECK(html->find("[1] Resolved") != std::string::npos);
  CHECK(html->find("href=\"http://am/#/alerts?receiver=team\"") != std::string::npos);
  // The footer links to Alertmanager, as in Alertmanager's template.
  CHECK(html->find("<a href=\"http://am\" style=\"color: #999;\">Sent by Alertmanager</a>") != std::string::npos);
  // The HTML set escapes label values.
  data.alerts[0].labels["host"] = "<script>";
  auto escaped = (*tmpl)->ExecuteHTMLString("{{ template \"email.default.html\" . }}", data.ToValue());
  REQUIRE(escaped.ok());
  CHECK(escaped->find("host = &lt;script&gt;<br />") != std::string::npos);

  std::ofstream(dir / "broken.tmpl") << "{{ end }}";
  auto broken = alertmanager::Template::FromGlobs({(dir / "broken.tmpl").string()});
  CHECK(broken.status().message() == "template: broken.tmpl:1: unexpected {{end}}");
  fs::remove_all(dir);
}

TEST_CASE("alertmanager: KV helpers and JSON data", "[template][alertmanager]") {
  auto pairs = alertmanager::SortedPairs({{"b", "2"}, {"alertname", "X"}, {"a", "1"}});
  REQUIRE(pairs.size() == 3);
  CHECK(pairs[0].first == "alertname");
  CHECK(pairs[1].first == "a");
  auto data = alertmanager::DataFromJson(
      R"({"receiver":"r","status":"resolved","alerts":[{"status":"resolved","labels":{"x":"\u00e9"},)"
      R"("startsAt":"2023-01-02T03:04:05Z","endsAt":"2023-01-02T04:04:05.5-01:00"}],"externalURL":"u"})");
  REQUIRE(data.ok());
  CHECK(data->alerts[0].labels.at("x") == "\xC3\xA9");
  CHECK(data->alerts[0].ends_at.String() == "2023-01-02 04:04:05.5 -0100 -0100");
  CHECK_FALSE(alertmanager::DataFromJson("{").ok());
  CHECK_FALSE(alertmanager::DataFromJson(R"({"alerts":[{"startsAt":"bad"}]})").ok());
}

}  // namespace
}  // namespace omni::tmpl
