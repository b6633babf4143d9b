// omniscopectl: command-line tool for OmniScope Monitor.
//
// Dispatch is a table of command name -> function. To add a command group,
// write `int RunFooCommand(int argc, char** argv)` in foo_commands.cc and add
// one row to kCommands (and the source to CMakeLists.txt).
#include <cstdio>
#include <cstring>

#include "services/omniscopectl/alert_commands.h"
#include "services/omniscopectl/rule_commands.h"
#include "services/omniscopectl/tsdb_commands.h"

namespace {

struct Command {
  const char* name;
  const char* help;
  int (*run)(int argc, char** argv);  // argv[0] is the command name
};

constexpr Command kCommands[] = {
    {"tsdb", "TSDB tools: import openmetrics, analyze", omni::ctl::RunTsdbCommand},
    {"check", "Check Prometheus rule files: rules (promtool check rules)", omni::ctl::RunCheckCommand},
    {"check-config", "Validate alertmanager.yml files (amtool check-config)", omni::ctl::RunCheckConfigCommand},
    {"config", "Alertmanager config: routes [show|test] (amtool config)", omni::ctl::RunConfigCommand},
    {"template", "Render a notification template (amtool template render)", omni::ctl::RunTemplateCommand},
    {"silence", "Silences via API v2: add, query, expire (amtool silence)", omni::ctl::RunSilenceCommand},
    {"alert", "Alerts via API v2: query (amtool alert)", omni::ctl::RunAlertCommand},
};

void Usage() {
  std::fprintf(stderr, "usage: omniscopectl <command> [args...]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(stderr, "  %-12s %s\n", c.name, c.help);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    Usage();
    return argc < 2 ? 2 : 0;
  }
  for (const auto& c : kCommands) {
    if (std::strcmp(argv[1], c.name) == 0) return c.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "omniscopectl: unknown command \"%s\"\n", argv[1]);
  Usage();
  return 2;
}
