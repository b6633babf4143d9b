// Prometheus rule files (the rulefmt format of Prometheus 2.42): parsing and
// the checks `promtool check rules` makes, with every error naming the file,
// line and rule.
//
// Example:
//   OMNI_ASSIGN_OR_RETURN(RuleFile f, LoadRuleFile("rules/node.yml"));
//   for (const RuleGroupSpec& g : f.groups) ... g.rules[0].expr->...
//
// A file is
//   groups:
//     - name: node            # required, unique within the file
//       interval: 30s         # optional; 0 = the evaluation interval
//       limit: 0              # optional; series a rule may produce (0 = no limit)
//       rules:
//         - record: job:up:sum          # or alert: Name
//           expr: sum by (job) (up)
//           for: 5m                     # alerts only
//           keep_firing_for: 10m        # alerts only
//           labels: {team: infra}
//           annotations: {summary: "{{ $labels.job }}"}   # alerts only
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/model/labels.h"
#include "libs/promql/ast.h"

namespace omni::rules {

// One entry of a group's `rules:` list. Exactly one of record/alert is set.
struct RuleSpec {
  std::string record;
  std::string alert;
  std::string expr_text;                        // as written in the file
  std::shared_ptr<const promql::Expr> expr;     // parsed expr_text
  absl::Duration for_duration = absl::ZeroDuration();
  absl::Duration keep_firing_for = absl::ZeroDuration();
  // Sorted by name. Kept as written: an empty value removes that label from
  // the result (model::Labels cannot hold one).
  std::vector<model::Label> labels;
  // Sorted by name; values may be empty (unlike labels).
  std::vector<std::pair<std::string, std::string>> annotations;
  int line = 0;  // 1-based line of the rule's mapping in its file

  bool is_alert() const { return !alert.empty(); }
  const std::string& name() const { return is_alert() ? alert : record; }
};

struct RuleGroupSpec {
  std::string name;
  absl::Duration interval = absl::ZeroDuration();  // 0: use the evaluation interval
  int64_t limit = 0;
  std::vector<RuleSpec> rules;
  int line = 0;
};

struct RuleFile {
  std::string path;
  std::vector<RuleGroupSpec> groups;
  size_t RuleCount() const;
};

// Parses and validates `content` as the rule file `path` (used in messages
// only). On failure the InvalidArgument message holds every error, one per
// line, each formatted as promtool prints it ("path: 5:11: group \"g\", rule
// 1, \"name\": could not parse expression: ...").
absl::StatusOr<RuleFile> ParseRuleFile(std::string_view path, std::string_view content);

// Reads and parses one file. A file that cannot be read is NotFound
// ("path: open path: no such file or directory").
absl::StatusOr<RuleFile> LoadRuleFile(const std::string& path);

// Expands each glob pattern (sorted matches, as filepath.Glob; a pattern
// matching nothing is not an error) and loads every file once. Group names
// must be unique per file only, as in Prometheus.
absl::StatusOr<std::vector<RuleFile>> LoadRuleFiles(const std::vector<std::string>& patterns);

// A rule name (record or alert) with a label set that occurs more than once
// in a file: promtool's "duplicate-rules" lint.
struct DuplicateRule {
  std::string name;
  std::vector<model::Label> labels;  // as RuleSpec::labels
};
// Each duplicate once, sorted by name, then labels (labels.Compare).
std::vector<DuplicateRule> FindDuplicateRules(const RuleFile& file);

}  // namespace omni::rules
