// promtool's rule verbs in omniscopectl, with Prometheus 2.42's arguments,
// output and exit codes:
//   omniscopectl check rules [--lint=duplicate-rules|all|none] [--lint-fatal] FILE...
#pragma once

namespace omni::ctl {

// argv[0] is "check". Exit 0 when every file is valid (lint findings
// alone do not fail unless --lint-fatal, which exits 3), 1 otherwise.
int RunCheckCommand(int argc, char** argv);

}  // namespace omni::ctl
