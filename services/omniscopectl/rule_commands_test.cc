// Runs the built omniscopectl on libs/rules/testdata and compares with the
// outputs of Prometheus 2.42's promtool recorded there (*.yml.golden); when
// promtool is installed, also compares with it directly.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

const fs::path kTestdata = fs::path(OMNI_SOURCE_DIR) / "libs/rules/testdata";
const std::string kCtl = std::string(OMNI_BINARY_DIR) + "/bin/omniscopectl";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Run {
  std::string out, err;
  int code = -1;
};

// Runs `binary args` in testdata with stdout and stderr to files; with
// `combined`, stderr goes to stdout in write order.
Run RunIn(const std::string& binary, const std::string& args, bool combined = false) {
  char tmpl[] = "/tmp/rule_commands_test.XXXXXX";
  const fs::path dir = mkdtemp(tmpl);
  const std::string out = (dir / "out").string(), err = (dir / "err").string();
  const std::string cmd = "cd '" + kTestdata.string() + "' && '" + binary + "' " + args + " >'" + out + "' " +
                          (combined ? "2>&1" : "2>'" + err + "'");
  int status = std::system(cmd.c_str());
  Run r;
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  fs::remove_all(dir);
  return r;
}

bool HavePromtool() { return access("/usr/bin/promtool", X_OK) == 0; }

TEST_CASE("check rules prints what promtool printed for every testdata file", "[omniscopectl][rules]") {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(kTestdata)) {
    if (entry.path().extension() != ".yml") continue;
    const std::string name = entry.path().filename().string();
    if (name == "not_yaml.yml") continue;  // yaml-cpp's syntax error texts are not Go's
    INFO(name);
    Run r = RunIn(kCtl, "check rules " + name, /*combined=*/true);
    CHECK(r.out + "exit " + std::to_string(r.code) + "\n" == ReadFile(entry.path().string() + ".golden"));
    ++n;
  }
  CHECK(n >= 40);
}

TEST_CASE("check rules with a good and a bad file", "[omniscopectl][rules]") {
  Run r = RunIn(kCtl, "check rules good_basic.yml bad_expr.yml");
  CHECK(r.code == 1);
  CHECK(r.out == "Checking good_basic.yml\n  SUCCESS: 2 rules found\n\nChecking bad_expr.yml\n\n");
  CHECK(r.err ==
        "  FAILED:\n"
        "bad_expr.yml: 5:15: group \"g\", rule 1, \"a\": could not parse expression: 1:7: parse error: unclosed left "
        "parenthesis\n");

  r = RunIn(kCtl, "check rules good_basic.yml good_full.yml");
  CHECK(r.code == 0);
  CHECK(r.out == "Checking good_basic.yml\n  SUCCESS: 2 rules found\n\nChecking good_full.yml\n  SUCCESS: 3 rules found\n\n");
  CHECK(r.err.empty());
}

TEST_CASE("check rules lint flags and argument errors", "[omniscopectl][rules]") {
  Run r = RunIn(kCtl, "check rules lint_duplicates.yml");
  CHECK(r.code == 0);
  CHECK(r.err.find("lint error 2 duplicate rule(s) found.\nMetric: X\n") != std::string::npos);

  CHECK(RunIn(kCtl, "check rules --lint-fatal lint_duplicates.yml good_basic.yml").code == 3);
  CHECK(RunIn(kCtl, "check rules --lint-fatal lint_duplicates.yml bad_expr.yml").code == 1);
  r = RunIn(kCtl, "check rules --lint=none lint_duplicates.yml");
  CHECK(r.code == 0);
  CHECK(r.out == "Checking lint_duplicates.yml\n  SUCCESS: 5 rules found\n\n");

  r = RunIn(kCtl, "check rules good_basic.yml missing.yml");
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "omniscopectl: error: path 'missing.yml' does not exist, try --help\n");

  r = RunIn(kCtl, "check rules good_basic.yml .");
  CHECK(r.code == 1);
  CHECK(r.err == "omniscopectl: error: '.' is a directory, try --help\n");

  r = RunIn(kCtl, "check rules");
  CHECK(r.code == 1);
  CHECK(r.err.find("required argument 'rule-files' not provided") != std::string::npos);

  r = RunIn(kCtl, "check rules --help");
  CHECK(r.code == 0);
  CHECK(r.out.rfind("usage: omniscopectl check rules [<flags>] <rule-files>...\n", 0) == 0);

  CHECK(RunIn(kCtl, "check nothing").code == 2);
}

TEST_CASE("check rules agrees with an installed promtool", "[omniscopectl][rules][promtool]") {
  if (!HavePromtool()) {
    WARN("promtool not installed; the recorded goldens are the reference");
    return;
  }
  for (const std::string args : {"good_basic.yml bad_expr.yml multi.yml", "lint_duplicates.yml good_full.yml",
                                 "--lint-fatal lint_duplicates.yml good_basic.yml", "--lint=none lint_duplicates.yml",
                                 "groups_not_list.yml top_dup.yml null_tilde.yml"}) {
    INFO(args);
    Run ours = RunIn(kCtl, "check rules " + args);
    Run theirs = RunIn("/usr/bin/promtool", "check rules " + args);
    CHECK(ours.out == theirs.out);
    CHECK(ours.err == theirs.err);
    CHECK(ours.code == theirs.code);
  }
}

}  // namespace
