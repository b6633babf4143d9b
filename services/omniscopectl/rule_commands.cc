#include "services/omniscopectl/rule_commands.h"

#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/rules/rule_file.h"

namespace omni::ctl {
namespace {

constexpr int kLintErrorExit = 3;  // promtool's lintErrExitCode

void CheckUsage(FILE* out) {
  std::fprintf(out,
               "usage: omniscopectl check rules [<flags>] <rule-files>...\n"
               "\n"
               "Check if the rule files are valid or not (promtool check rules).\n"
               "\n"
               "For each file prints \"Checking FILE\" and \"  SUCCESS: N rules found\" on\n"
               "stdout, or \"  FAILED:\" and one line per error on stderr. Exit status: 0\n"
               "when every file is valid, 1 when one is not, 3 when only lint checks\n"
               "failed and --lint-fatal is set.\n"
               "\n"
               "flags:\n"
               "  -h, --help                 Show this help.\n"
               "  --lint=duplicate-rules     Linting checks to apply: all, duplicate-rules,\n"
               "                             none. Lint findings are reported but do not\n"
               "                             fail the check unless --lint-fatal.\n"
               "  --lint-fatal               Make lint errors exit with exit code 3.\n");
}

// promtool's duplicate-rules lint message.
std::string DuplicatesMessage(const std::vector<rules::DuplicateRule>& dups) {
  std::string msg = absl::StrCat("lint error ", dups.size(), " duplicate rule(s) found.\n");
  for (const rules::DuplicateRule& d : dups) {
    absl::StrAppend(&msg, "Metric: ", d.name, "\nLabel(s):\n");
    for (const model::Label& l : d.labels) absl::StrAppend(&msg, "\t", l.name, ": ", l.value, "\n");
  }
  absl::StrAppend(&msg, "Might cause inconsistency while recording expressions");
  return msg;
}

int CheckRules(int argc, char** argv) {
  bool lint_duplicates = true, lint_fatal = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      CheckUsage(stdout);
      return 0;
    } else if (arg == "--lint-fatal") {
      lint_fatal = true;
    } else if (absl::StartsWith(arg, "--lint=") || arg == "--lint") {
      std::string v = arg == "--lint" ? (i + 1 < argc ? argv[++i] : "") : arg.substr(7);
      lint_duplicates = false;
      for (absl::string_view opt : absl::StrSplit(v, ',')) {
        if (opt == "all" || opt == "duplicate-rules") {
          lint_duplicates = true;
        } else if (opt != "none") {
          std::printf("WARNING: unknown lint option %s\n", std::string(opt).c_str());
        }
      }
    } else if (absl::StartsWith(arg, "-") && arg != "-") {
      std::fprintf(stderr, "omniscopectl: error: unknown flag %s, try --help\n", arg.c_str());
      return 1;
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "omniscopectl: error: required argument 'rule-files' not provided, try --help\n");
    return 1;
  }
  for (const std::string& f : files) {  // kingpin's ExistingFiles check, before any output
    struct stat st;
    if (::stat(f.c_str(), &st) != 0) {
      std::fprintf(stderr, "omniscopectl: error: path '%s' does not exist, try --help\n", f.c_str());
      return 1;
    }
    if (S_ISDIR(st.st_mode)) {
      std::fprintf(stderr, "omniscopectl: error: '%s' is a directory, try --help\n", f.c_str());
      return 1;
    }
  }

  bool failed = false, has_errors = false;
  for (const std::string& f : files) {
    std::printf("Checking %s\n", f.c_str());
    absl::StatusOr<rules::RuleFile> rf = rules::LoadRuleFile(f);
    std::string errors;
    if (!rf.ok()) {
      errors = std::string(rf.status().message());
      has_errors = true;
    } else if (std::vector<rules::DuplicateRule> dups = rules::FindDuplicateRules(*rf);
               lint_duplicates && !dups.empty()) {
      errors = DuplicatesMessage(dups);
    }
    if (!errors.empty()) {
      failed = true;
      std::fflush(stdout);
      std::fprintf(stderr, "  FAILED:\n%s\n", errors.c_str());
      std::fflush(stderr);
    } else {
      std::printf("  SUCCESS: %zu rules found\n", rf->RuleCount());
    }
    std::printf("\n");
  }
  std::fflush(stdout);
  if (failed && has_errors) return 1;
  if (failed && lint_fatal) return kLintErrorExit;
  return 0;
}

}  // namespace

int RunCheckCommand(int argc, char** argv) {
  std::string sub = argc > 1 ? argv[1] : "";
  if (sub == "rules") return CheckRules(argc - 1, argv + 1);
  if (sub == "-h" || sub == "--help") {
    CheckUsage(stdout);
    return 0;
  }
  std::fprintf(stderr, "usage: omniscopectl check rules [<flags>] <rule-files>...\n");
  if (!sub.empty()) std::fprintf(stderr, "omniscopectl: error: unknown check \"%s\"\n", sub.c_str());
  return 2;
}

}  // namespace omni::ctl
