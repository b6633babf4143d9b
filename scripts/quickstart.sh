#!/usr/bin/env bash
# The README's quick start: installs what is missing, builds, and runs the
# suite on localhost with the bundled configuration until Ctrl-C:
#   demo exporter  :9101  (OmniScope application metrics)
#   collector      :9090  (Prometheus HTTP API; gRPC :9095)
#   alerter        :9093  (Alertmanager API, rule evaluation; gRPC :9096)
#   viewer         :3000  (Prometheus query API over the collector, rules from the alerter)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
BIN="$BUILD_DIR/bin"
DATA=${OMNISCOPE_DATA:-"$BUILD_DIR/quickstart-data"}
mkdir -p "$DATA/collector" "$DATA/alerter"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$BIN/omniscope-demo-exporter" --web.listen-address=127.0.0.1:9101 2>"$DATA/demo-exporter.log" &
pids+=($!)
"$BIN/omniscope-collector" --config.file=config/quickstart/prometheus.yml \
  --storage.tsdb.path="$DATA/collector" --web.listen-address=127.0.0.1:9090 \
  --grpc.listen-address=127.0.0.1:9095 --web.enable-lifecycle 2>"$DATA/collector.log" &
pids+=($!)
"$BIN/omniscope-alerter" --config.file=config/quickstart/alertmanager.yml --storage.path="$DATA/alerter" \
  --web.listen-address=127.0.0.1:9093 --grpc.listen-address=127.0.0.1:9096 \
  --rules.file=config/quickstart/rules.yml --collector=127.0.0.1:9095 \
  --rules.evaluation-interval=15s --rules.external-label=cluster=quickstart \
  --rules.external-url=http://127.0.0.1:3000 2>"$DATA/alerter.log" &
pids+=($!)
"$BIN/omniscope-viewer" --collector=127.0.0.1:9095 --alerter=127.0.0.1:9096 --web.listen-address=127.0.0.1:3000 \
  2>"$DATA/viewer.log" &
pids+=($!)

# Wait until every daemon answers its readiness endpoint (or one of them died).
for url in http://127.0.0.1:9101/-/healthy http://127.0.0.1:9090/-/ready http://127.0.0.1:9093/-/ready \
  http://127.0.0.1:3000/-/ready; do
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then break; fi
    for p in "${pids[@]}"; do
      if ! kill -0 "$p" 2>/dev/null; then
        echo "a daemon exited during start-up; logs are in $DATA/*.log" >&2
        tail -n 5 "$DATA"/*.log >&2
        exit 1
      fi
    done
    sleep 0.1
  done
done

cat <<MSG

OmniScope is running (logs in $DATA/*.log; Ctrl-C stops everything):
  collector      http://127.0.0.1:9090   targets: http://127.0.0.1:9090/api/v1/targets
  viewer         http://127.0.0.1:3000   try: curl -g 'http://127.0.0.1:3000/api/v1/query?query=sum(rate(http_requests_total[1m]))'
  alerter        http://127.0.0.1:9093   rules: http://127.0.0.1:9093/api/v1/rules  alerts: amtool --alertmanager.url=http://127.0.0.1:9093 alert
  demo exporter  http://127.0.0.1:9101/metrics
  collector gRPC 127.0.0.1:9095, alerter gRPC 127.0.0.1:9096

MSG
wait -n "${pids[@]}"
