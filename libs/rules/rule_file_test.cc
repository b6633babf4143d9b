// Rule file parsing against the outputs of Prometheus 2.42's `promtool check
// rules` recorded in testdata/*.yml.golden (testdata/update_golden.sh).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/common/absl_compat.h"
#include "libs/config/prometheus_config.h"
#include "libs/promql/ast.h"
#include "libs/rules/rule_file.h"

namespace omni::rules {
namespace {

namespace fs = std::filesystem;

fs::path TestdataDir() { return fs::path(OMNI_SOURCE_DIR) / "libs/rules/testdata"; }

std::string LabelValue(const RuleSpec& r, std::string_view name) {
  for (const model::Label& l : r.labels) {
    if (l.name == name) return l.value;
  }
  return "<absent>";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Files whose promtool output we do not reproduce byte for byte: yaml-cpp's
// syntax error texts and positions are not Go yaml.v3's.
const std::set<std::string> kSyntaxErrorFiles = {"not_yaml.yml"};

// What promtool prints for one file, from our parse (without the lint pass,
// which omniscopectl adds; files with lint findings are skipped here).
std::string PromtoolShape(const std::string& name, const absl::StatusOr<RuleFile>& f) {
  std::string out = absl::StrCat("Checking ", name, "\n");
  if (f.ok()) {
    absl::StrAppend(&out, "  SUCCESS: ", f->RuleCount(), " rules found\n\nexit 0\n");
  } else {
    absl::StrAppend(&out, "  FAILED:\n", f.status().message(), "\n\nexit 1\n");
  }
  return out;
}

TEST_CASE("rule files parse as promtool check rules reports them", "[rules][rule_file][golden]") {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(TestdataDir())) {
    if (entry.path().extension() != ".yml") continue;
    const std::string name = entry.path().filename().string();
    const std::string golden = ReadFile(entry.path().string() + ".golden");
    if (golden.find("lint error") != std::string::npos) continue;
    INFO(name);
    absl::StatusOr<RuleFile> f = ParseRuleFile(name, ReadFile(entry.path()));
    if (kSyntaxErrorFiles.count(name)) {
      REQUIRE_FALSE(f.ok());
      CHECK(std::string(f.status().message()).rfind(name + ": yaml: line ", 0) == 0);
      CHECK(golden.find("exit 1") != std::string::npos);
    } else {
      CHECK(PromtoolShape(name, f) == golden);
    }
    ++n;
  }
  CHECK(n >= 40);
}

TEST_CASE("a valid rule file fills groups, rules and their lines", "[rules][rule_file]") {
  absl::StatusOr<RuleFile> f = LoadRuleFile((TestdataDir() / "good_full.yml").string());
  REQUIRE(f.ok());
  CHECK(f->path == (TestdataDir() / "good_full.yml").string());
  REQUIRE(f->groups.size() == 2);
  CHECK(f->RuleCount() == 3);

  const RuleGroupSpec& node = f->groups[0];
  CHECK(node.name == "node");
  CHECK(node.line == 3);
  CHECK(node.interval == absl::Seconds(90));
  CHECK(node.limit == 10);
  REQUIRE(node.rules.size() == 2);

  const RuleSpec& rec = node.rules[0];
  CHECK(rec.line == 7);
  CHECK(rec.record == "instance:node_cpu:rate5m");
  CHECK_FALSE(rec.is_alert());
  CHECK(rec.name() == "instance:node_cpu:rate5m");
  CHECK(rec.expr_text == "sum without (cpu, mode) (\n  rate(node_cpu_seconds_total{mode!=\"idle\"}[5m])\n)\n");
  REQUIRE(rec.expr != nullptr);
  CHECK(promql::ExprToString(*rec.expr) ==
        "sum without (cpu, mode) (rate(node_cpu_seconds_total{mode!=\"idle\"}[5m]))");
  CHECK(LabelValue(rec, "team") == "infra");

  const RuleSpec& alert = node.rules[1];
  CHECK(alert.line == 14);
  CHECK(alert.is_alert());
  CHECK(alert.name() == "HighCPU");
  CHECK(alert.for_duration == absl::Minutes(10));
  CHECK(alert.keep_firing_for == absl::Minutes(5));
  CHECK(LabelValue(alert, "severity") == "warning");
  REQUIRE(alert.annotations.size() == 3);
  CHECK(alert.annotations[0].first == "description");
  CHECK(alert.annotations[1] == std::make_pair(std::string("empty"), std::string()));
  CHECK(alert.annotations[2].first == "summary");

  const RuleGroupSpec& other = f->groups[1];
  CHECK(other.name == "other group");
  CHECK(other.line == 27);
  CHECK(other.interval == absl::ZeroDuration());
  REQUIRE(other.rules.size() == 1);
  // The merge key brings the anchored labels; the explicit key wins.
  CHECK(LabelValue(other.rules[0], "severity") == "critical");
  CHECK(LabelValue(other.rules[0], "summary_label") == "{{ $labels.instance }} {{ $value | humanizePercentage }}");
}

TEST_CASE("limit takes the integer and float forms yaml.v3 decodes into an int", "[rules][rule_file]") {
  absl::StatusOr<RuleFile> f = LoadRuleFile((TestdataDir() / "limit_forms.yml").string());
  REQUIRE(f.ok());
  std::vector<int64_t> limits;
  for (const RuleGroupSpec& g : f->groups) limits.push_back(g.limit);
  CHECK(limits == std::vector<int64_t>{1, 16, 1000, -3, 1000, 1});
}

TEST_CASE("every error of a file is reported, one per line", "[rules][rule_file]") {
  absl::StatusOr<RuleFile> f = ParseRuleFile("r.yml",
                                             "groups:\n"
                                             "  - name: g\n"
                                             "    rules:\n"
                                             "      - alert: A\n"
                                             "        expr: up\n"
                                             "        labels: {b-c: x, a: '{{ if }}'}\n");
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(f.status().message() ==
        "r.yml: group \"g\", rule 1, \"A\": invalid label name: b-c\n"
        "r.yml: group \"g\", rule 1, \"A\": label \"a\": template: __alert_A:1: missing value for if");
}

TEST_CASE("empty label values are kept, sorted with the others", "[rules][rule_file]") {
  absl::StatusOr<RuleFile> f =
      ParseRuleFile("r.yml", "groups: [{name: g, rules: [{record: a, expr: up, labels: {z: '1', a: ''}}]}]\n");
  REQUIRE(f.ok());
  const RuleSpec& r = f->groups[0].rules[0];
  REQUIRE(r.labels.size() == 2);
  CHECK(r.labels[0].name == "a");
  CHECK(r.labels[0].value.empty());
  CHECK(r.labels[1].name == "z");
}

TEST_CASE("a recording rule's label values are not templates", "[rules][rule_file]") {
  absl::StatusOr<RuleFile> f =
      ParseRuleFile("r.yml", "groups: [{name: g, rules: [{record: a, expr: up, labels: {x: '{{ if }}'}}]}]\n");
  INFO(f.status().ToString());
  CHECK(f.ok());
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/rule_file_test.XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  void Write(const std::string& name, const std::string& content) const {
    std::ofstream(path / name, std::ios::binary) << content;
  }
};

TEST_CASE("LoadRuleFiles expands globs, sorts and loads each file once", "[rules][rule_file]") {
  TempDir dir;
  dir.Write("b.rules.yml", "groups: [{name: g, rules: [{record: b, expr: up}]}]\n");
  dir.Write("a.rules.yml", "groups: [{name: g, rules: [{record: a, expr: up}, {alert: A, expr: up}]}]\n");
  dir.Write("other.yaml", "groups: []\n");
  const std::string d = dir.path.string();

  absl::StatusOr<std::vector<RuleFile>> files =
      LoadRuleFiles({d + "/*.rules.yml", d + "/nothing-*.yml", d + "/a.rules.yml"});
  REQUIRE(files.ok());
  REQUIRE(files->size() == 2);
  CHECK((*files)[0].path == d + "/a.rules.yml");
  CHECK((*files)[0].RuleCount() == 2);
  CHECK((*files)[1].path == d + "/b.rules.yml");

  // Same group name in two files is fine; in one file it is not.
  dir.Write("c.rules.yml", "groups: [{name: g}, {name: g}]\n");
  files = LoadRuleFiles({d + "/*.rules.yml"});
  REQUIRE_FALSE(files.ok());
  CHECK(files.status().message() == d + "/c.rules.yml: 1:21: groupname: \"g\" is repeated in the same file");

  CHECK(LoadRuleFiles({}).value().empty());
  CHECK(LoadRuleFiles({d + "/none-*.yml"}).value().empty());

  files = LoadRuleFiles({d + "/[a-"});
  REQUIRE_FALSE(files.ok());
  CHECK(files.status().message() == "error retrieving rule files for " + d + "/[a-: syntax error in pattern");
}

TEST_CASE("LoadRuleFile names a missing file or a directory as Go's os.ReadFile does", "[rules][rule_file]") {
  absl::StatusOr<RuleFile> f = LoadRuleFile("/nonexistent/rules.yml");
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().message() == "/nonexistent/rules.yml: open /nonexistent/rules.yml: no such file or directory");
  f = LoadRuleFile(TestdataDir().string());
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().message() == TestdataDir().string() + ": read " + TestdataDir().string() + ": is a directory");
}

}  // namespace
}  // namespace omni::rules
