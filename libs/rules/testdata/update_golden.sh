#!/bin/sh
# Records what Prometheus 2.42's `promtool check rules` prints for each rule
# file here (stdout and stderr interleaved, then the exit code) into
# FILE.golden. rule_file_test and omniscopectl_rules_test compare against
# these files; they never need promtool themselves.
set -eu
cd "$(dirname "$0")"
for f in *.yml; do
  rc=0
  promtool check rules "$f" >"$f.golden" 2>&1 || rc=$?
  echo "exit $rc" >>"$f.golden"
done
