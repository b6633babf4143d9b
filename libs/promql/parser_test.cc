#include "libs/promql/parser.h"

#include <catch2/catch.hpp>

#include "libs/promql/format.h"

namespace omni::promql {
namespace {

std::string RoundTrip(const std::string& q) {
  auto e = ParseExpr(q);
  if (!e.ok()) return "ERROR: " + std::string(e.status().message());
  return ExprToString(**e);
}

std::string ErrorOf(const std::string& q) {
  auto e = ParseExpr(q);
  if (e.ok()) return "OK";
  return std::string(e.status().message());
}

TEST_CASE("parser round-trips canonical expressions", "[promql][parser]") {
  CHECK(RoundTrip("foo") == "foo");
  CHECK(RoundTrip("foo{a=\"b\", c!~'d'}") == "foo{a=\"b\",c!~\"d\"}");
  CHECK(RoundTrip("{__name__=~\"a|b\"}") == "{__name__=~\"a|b\"}");
  CHECK(RoundTrip("rate(x[5m] offset 1h30m)") == "rate(x[5m] offset 1h30m)");
  CHECK(RoundTrip("x offset -5m") == "x offset -5m");
  CHECK(RoundTrip("x @ 100") == "x @ 100.000");
  CHECK(RoundTrip("x @ start()") == "x @ start()");
  CHECK(RoundTrip("sum(x) by (job)") == "sum by (job) (x)");
  CHECK(RoundTrip("sum without(a,b)(x)") == "sum without (a, b) (x)");
  CHECK(RoundTrip("topk(3, x)") == "topk(3, x)");
  CHECK(RoundTrip("count_values(\"v\", x)") == "count_values(\"v\", x)");
  CHECK(RoundTrip("a + on(x) group_left(y) b") == "a + on (x) group_left (y) b");
  CHECK(RoundTrip("a > bool 1") == "a > bool 1");
  CHECK(RoundTrip("rate(x[5m])[30m:1m]") == "rate(x[5m])[30m:1m]");
  CHECK(RoundTrip("x[30m:]") == "x[30m:]");
  CHECK(RoundTrip("0x10") == "16");
  CHECK(RoundTrip("1e6") == "1e+06");
  CHECK(RoundTrip("123456789012 + 0.00001 + 100000") == "1.23456789012e+11 + 1e-05 + 100000");
  CHECK(RoundTrip("-Inf") == "-Inf");
  CHECK(RoundTrip("nan") == "NaN");
  CHECK(RoundTrip("# comment\nfoo # trailing") == "foo");
  CHECK(RoundTrip("a:b:c") == "a:b:c");
}

TEST_CASE("parser precedence and associativity", "[promql][parser]") {
  auto e = ParseExpr("2 ^ 3 ^ 2");
  REQUIRE(e.ok());
  CHECK((*e)->kind == ExprKind::kBinary);
  CHECK((*e)->rhs->kind == ExprKind::kBinary);  // right-assoc
  e = ParseExpr("1 - 2 - 3");
  REQUIRE(e.ok());
  CHECK((*e)->lhs->kind == ExprKind::kBinary);  // left-assoc
  e = ParseExpr("a or b and c");
  REQUIRE(e.ok());
  CHECK((*e)->op == BinOp::kOr);
  e = ParseExpr("-2 ^ 2");
  REQUIRE(e.ok());
  CHECK((*e)->kind == ExprKind::kUnary);
  e = ParseExpr("a + b * c == bool d");
  REQUIRE(e.ok());
  CHECK((*e)->op == BinOp::kEql);
  CHECK((*e)->lhs->op == BinOp::kAdd);
}

TEST_CASE("parser errors carry Prometheus positions and wording", "[promql][parser]") {
  CHECK(ErrorOf("foo +") == "1:6: parse error: unexpected end of input");
  CHECK(ErrorOf("1 + + ") == "1:7: parse error: unexpected end of input");
  CHECK(ErrorOf("foo{") == "1:5: parse error: unexpected end of input inside braces");
  CHECK(ErrorOf("sum(foo") == "1:8: parse error: unclosed left parenthesis");
  CHECK(ErrorOf("foo)") == "1:5: parse error: unexpected right parenthesis ')'");
  CHECK(ErrorOf("1 == 1") == "1:3: parse error: comparisons between scalars must use BOOL modifier");
  CHECK(ErrorOf("foo + bool bar") == "1:5: parse error: bool modifier can only be used on comparison operators");
  CHECK(ErrorOf("{}") == "1:1: parse error: vector selector must contain at least one non-empty matcher");
  CHECK(ErrorOf("{a=\"\"}") == "1:1: parse error: vector selector must contain at least one non-empty matcher");
  CHECK(ErrorOf("rate(foo)") ==
        "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector");
  CHECK(ErrorOf("nosuch(foo)") == "1:1: parse error: unknown function with name \"nosuch\"");
  CHECK(ErrorOf("foo[5m] offset 1m offset 2m") == "1:1: parse error: offset may not be set multiple times");
  CHECK(ErrorOf("(foo + bar)[5m]") == "1:12: parse error: ranges only allowed for vector selectors");
  CHECK(ErrorOf("1 and 2") == "1:1: parse error: set operator \"and\" not allowed in binary scalar expression");
  CHECK(ErrorOf("foo and on(a) group_left bar") == "1:1: parse error: no grouping allowed for \"and\" operation");
  CHECK(ErrorOf("foo{a=\"b\"} offset") == "1:18: parse error: unexpected end of input in offset, expected duration");
  CHECK(ErrorOf("foo\n  + * bar") == "2:5: parse error: unexpected <op:*>");
  // Expected texts below were taken from Prometheus 2.42's /api/v1/query.
  CHECK(ErrorOf("sum(x) by (a) by (b)") == "1:15: parse error: unexpected <by>");
  CHECK(ErrorOf("x @") == "1:4: parse error: unexpected end of input in @, expected timestamp");
  CHECK(ErrorOf("foo * group_left bar") == "1:7: parse error: unexpected <group_left>");
  CHECK(ErrorOf("a + on(x) group_left(x) b") == "1:3: parse error: label \"x\" must not occur in ON and GROUP clause at once");
  CHECK(ErrorOf("foo bar") == "1:5: parse error: unexpected identifier \"bar\"");
  CHECK(ErrorOf("sum(x,)") == "1:6: parse error: trailing commas not allowed in function call args");
  CHECK(ErrorOf("rate(x[5m],)") == "1:11: parse error: trailing commas not allowed in function call args");
  CHECK(ErrorOf("1 + \"a\"") == "1:5: parse error: binary expression must contain only scalar and instant vector types");
  CHECK(ErrorOf("x[5m] + 1") == "1:1: parse error: binary expression must contain only scalar and instant vector types");
  CHECK(ErrorOf("foo{a=\"b\" c=\"d\"}") == "1:11: parse error: unexpected identifier \"c\" in label matching, expected \",\" or \"}\"");
  CHECK(ErrorOf("foo[5]") == "1:5: parse error: missing unit character in duration");
  CHECK(ErrorOf("foo{a}") == "1:6: parse error: unexpected \"}\" in label matching, expected label matching operator");
  CHECK(ErrorOf("foo{a=b}") == "1:7: parse error: unexpected identifier \"b\" in label matching, expected string");
  CHECK(ErrorOf("x offset 5") == "1:10: parse error: unexpected number \"5\" in offset, expected duration");
  CHECK(ErrorOf("-foo[5m]") == "1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got \"range vector\"");
  CHECK(ErrorOf("foo{__name__=\"bar\"}") == "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\"");
  CHECK(ErrorOf("foo $") == "1:5: parse error: unexpected character: '$'");
  // Go's %q of the rune, and " inside braces" there (texts from promtool 2.42).
  CHECK(ErrorOf("up \\") == "1:4: parse error: unexpected character: '\\\\'");
  CHECK(ErrorOf("up é") == "1:4: parse error: unexpected character: 'é'");
  CHECK(ErrorOf("up{a=\"b\", $}") == "1:11: parse error: unexpected character inside braces: '$'");
  CHECK(ErrorOf("up{é=\"x\"}") == "1:4: parse error: unexpected character inside braces: 'é'");
  CHECK(ErrorOf("topk(foo)") ==
        "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1");
  CHECK(ErrorOf("foo{bar=\"baz\"}[5m] @ 1 @ 2") == "1:1: parse error: @ <timestamp> may not be set multiple times");
  CHECK(ErrorOf("\"unterminated") == "1:1: parse error: unterminated quoted string");
  CHECK(ErrorOf("5mx") == "1:1: parse error: bad number or duration syntax: \"5mx\"");
  CHECK(ErrorOf("label_join(x, \"a\")") ==
        "1:1: parse error: expected at least 3 argument(s) in call to \"label_join\", got 2");
}

TEST_CASE("parser survives deep nesting", "[promql][parser]") {
  std::string deep(100000, '(');
  deep += "1";
  deep += std::string(100000, ')');
  CHECK(ErrorOf(deep).find("expression nesting too deep") != std::string::npos);
  std::string chain = "1";
  for (int i = 0; i < 100000; i++) chain += "+1";
  CHECK(ErrorOf(chain).find("expression nesting too deep") != std::string::npos);
  std::string ok(200, '(');
  ok += "1" + std::string(200, ')');
  CHECK(ErrorOf(ok) == "OK");
}

TEST_CASE("ParseMetricSelector and durations", "[promql][parser]") {
  auto m = ParseMetricSelector("up{job=\"x\"}");
  REQUIRE(m.ok());
  CHECK(m->size() == 2);
  CHECK(!ParseMetricSelector("up + 1").ok());
  CHECK(*ParseDuration("1h30m") == 5400000);
  CHECK(*ParseDuration("5ms") == 5);
  CHECK(!ParseDuration("5m1h").ok());
  CHECK(FormatDuration(5400000) == "1h30m");
  CHECK(FormatDuration(7 * 86400000LL) == "1w");
}

TEST_CASE("FormatQuery splits long expressions", "[promql][format]") {
  CHECK(*FormatQuery("sum(rate(x[5m]))by(job)") == "sum by (job) (rate(x[5m]))");
  std::string longq =
      "sum by (job) (rate(http_requests_total{job=\"api-server\",instance=\"0\",group=\"production\"}[5m])) / "
      "sum by (job) (rate(http_requests_total[5m]))";
  auto f = FormatQuery(longq);
  REQUIRE(f.ok());
  CHECK(f->find('\n') != std::string::npos);
  // Golden outputs from Prometheus 2.42's /api/v1/format_query.
  CHECK(*FormatQuery("max_over_time(rate(http_requests_total{job=\"api-server\",instance=\"0\",group=\"production\","
                     "handler=\"/api/v1/query\"}[5m])[1h:5m])") ==
        "max_over_time(\n  rate(\n    http_requests_total{group=\"production\",handler=\"/api/v1/query\",instance=\"0\","
        "job=\"api-server\"}[5m]\n  )[1h:5m]\n)");
  CHECK(*FormatQuery("sum by (job) (a_very_long_metric_name_number_one_for_testing_purposes) > bool on (job) "
                     "group_left (foo) sum by (job) (b_very_long_metric_name)") ==
        "  sum by (job) (a_very_long_metric_name_number_one_for_testing_purposes)\n> bool on (job) group_left (foo)\n"
        "  sum by (job) (b_very_long_metric_name)");
  auto again = ParseExpr(*f);
  REQUIRE(again.ok());
  CHECK(ExprToString(**again) == ExprToString(**ParseExpr(longq)));
}

}  // namespace
}  // namespace omni::promql
