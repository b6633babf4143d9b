#!/usr/bin/env python3
"""Side-by-side benchmark: omniscope-alerter vs Alertmanager 0.25.

For each system in turn, with the same alertmanager.yml (one route grouping by
[group], a webhook receiver pointing at a sink served by this script):

  1. start the daemon on free 127.0.0.1 ports and wait for /-/ready;
  2. push N distinct firing alerts in G groups via POST /api/v2/alerts, in
     batches, from several client threads (phase "initial"); then re-push the
     same alerts R more times (phase "sustained": accepted alerts/s with N
     alerts already active, as Prometheus re-sends them every evaluation);
  3. notification latency per group: arrival of the group's first webhook
     notification minus the moment the request carrying the group's alerts
     was answered (each group's alerts travel in one request), raw and minus
     group_wait; every group must get exactly one notification carrying all
     its alerts;
  4. CPU seconds (utime+stime from /proc/<pid>/stat) and peak RSS (VmHWM);
  5. SIGTERM.

Python 3 standard library only. Everything binds 127.0.0.1; every wait is
bounded; daemons and temp dirs are cleaned up on exit. See README.md.
"""

import argparse
import http.client
import http.server
import json
import multiprocessing
import os
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

# The repository's own build, wherever the script is run from.
DEFAULT_OMNI = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                            "build", "bin", "omniscope-alerter")
DEFAULT_AM = "/usr/bin/prometheus-alertmanager"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, q):
    """Nearest-rank percentile, q in [0, 100]; None for an empty list."""
    if not values:
        return None
    v = sorted(values)
    rank = max(1, min(len(v), int(-(-q * len(v) // 100))))
    return v[rank - 1]


def dist(values):
    if not values:
        return {"n": 0, "p50": None, "p90": None, "p99": None, "max": None, "mean": None}
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values),
        "mean": sum(values) / len(values),
    }


# ---------------------------------------------------------------- webhook sink

class WebhookSink:
    """Webhook receiver on 127.0.0.1 that timestamps every POST.

    It runs in its own process (own GIL) as one selector loop, so it keeps up
    with a burst of hundreds of notifications on new or kept-alive
    connections. The arrival time is the kernel's receive timestamp of the
    request's first bytes (SO_TIMESTAMPNS, converted to CLOCK_MONOTONIC so it
    compares across processes), so it does not depend on when this Python
    loop gets the CPU: in a burst of hundreds of requests on a loaded 2-core
    machine the loop itself lags by tens of ms. Bodies are parsed in this
    process, after the fact."""

    def __init__(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        # A real receiver listens with the kernel's somaxconn; a small backlog
        # would drop SYNs in a burst and measure TCP retransmits instead.
        listener.listen(4096)
        self.port = listener.getsockname()[1]
        self.conn, child = multiprocessing.Pipe()
        self.proc = multiprocessing.Process(target=_sink_loop, args=(listener, child), daemon=True)
        self.proc.start()
        listener.close()
        child.close()
        self.lock = threading.Lock()

    def _call(self, cmd):
        with self.lock:
            self.conn.send(cmd)
            if not self.conn.poll(30):
                raise RuntimeError("webhook sink does not answer")
            return self.conn.recv()

    def reset(self):
        self._call("reset")

    def post_count(self):
        return self._call("count")

    def snapshot(self):
        """[(arrival, parsed payload or None)] of every POST so far."""
        out = []
        for arrived, body in self._call("dump"):
            try:
                out.append((arrived, json.loads(body)))
            except ValueError:
                out.append((arrived, None))
        return out

    def close(self):
        try:
            self._call("stop")
        except (OSError, EOFError, RuntimeError):
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)


# Linux's SO_TIMESTAMPNS (and SCM_TIMESTAMPNS, the same number); the socket
# module does not export it.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)

_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def _sink_loop(listener, ctl):
    """The sink process: accept, read HTTP/1.1 requests, answer 200."""
    listener.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, "listen")
    sel.register(ctl, selectors.EVENT_READ, "ctl")
    received = []
    # per connection: [buffer, arrival of the pending request or None,
    #                  body length or None, header length, sent 100-continue]
    state = {}
    while True:
        for key, _ in sel.select(timeout=1.0):
            now = time.monotonic()
            if key.data == "ctl":
                try:
                    cmd = ctl.recv()
                except EOFError:
                    return
                if cmd == "stop":
                    ctl.send(None)
                    return
                if cmd == "reset":
                    received = []
                    ctl.send(None)
                elif cmd == "count":
                    ctl.send(len(received))
                elif cmd == "dump":
                    ctl.send(received)
                continue
            if key.data == "listen":
                for _ in range(256):
                    try:
                        c, _ = listener.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    c.setblocking(False)
                    c.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
                    state[c] = [b"", None, None, 0, False]
                    sel.register(c, selectors.EVENT_READ, "conn")
                continue
            c = key.fileobj
            st = state[c]
            try:
                data, ancillary, _, _ = c.recvmsg(262144, 64)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data, ancillary = b"", []
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= 16:
                    sec, nsec = struct.unpack("qq", payload[:16])
                    now = sec + nsec / 1e9 - (time.time() - time.monotonic())
            if not data:
                sel.unregister(c)
                c.close()
                del state[c]
                continue
            if st[1] is None:
                st[1] = now
            st[0] += data
            closed = False
            while True:
                buf = st[0]
                if st[2] is None:
                    end = buf.find(b"\r\n\r\n")
                    if end < 0:
                        break
                    head = buf[:end].decode("latin-1").lower()
                    length = 0
                    expect = False
                    for line in head.split("\r\n")[1:]:
                        name, _, value = line.partition(":")
                        if name.strip() == "content-length":
                            length = int(value.strip() or 0)
                        elif name.strip() == "expect" and "100-continue" in value:
                            expect = True
                    st[2], st[3] = length, end + 4
                    if expect and len(buf) < end + 4 + length:
                        c.sendall(_CONTINUE)
                if len(buf) < st[3] + st[2]:
                    break
                body = buf[st[3]:st[3] + st[2]]
                received.append((st[1], body))
                st[0] = buf[st[3] + st[2]:]
                st[1] = now if st[0] else None
                st[2], st[3] = None, 0
                try:
                    c.sendall(_OK)
                except OSError:
                    closed = True
                    break
            if closed:
                sel.unregister(c)
                c.close()
                del state[c]


# ---------------------------------------------------------------- daemon

CONFIG_TEMPLATE = """\
global:
  resolve_timeout: 5m
route:
  receiver: sink
  group_by: [group]
  group_wait: {group_wait}
  group_interval: {group_interval}
  repeat_interval: 4h
receivers:
  - name: sink
    webhook_configs:
      - url: http://127.0.0.1:{sink_port}/hook
        send_resolved: false
        max_alerts: 0
"""


def duration(seconds):
    """Prometheus duration string (integer milliseconds)."""
    return "%dms" % round(seconds * 1000)


class Daemon:
    def __init__(self, name, binary, workdir, sink_port, args):
        self.name = name
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        os.makedirs(os.path.join(workdir, "data"), exist_ok=True)
        self.config = os.path.join(workdir, "alertmanager.yml")
        with open(self.config, "w") as f:
            f.write(CONFIG_TEMPLATE.format(group_wait=duration(args.group_wait),
                                           group_interval=duration(args.group_interval),
                                           sink_port=sink_port))
        argv = [binary,
                "--config.file=" + self.config,
                "--storage.path=" + os.path.join(workdir, "data"),
                "--web.listen-address=127.0.0.1:%d" % self.port]
        if name == "omniscope":
            argv.append("--grpc.listen-address=127.0.0.1:0")
            argv.extend(args.omniscope_flag)
        else:
            argv.append("--cluster.listen-address=")
            argv.extend(args.alertmanager_flag)
        self.argv = argv
        self.logpath = os.path.join(workdir, "daemon.log")
        self.logfile = open(self.logpath, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.logfile, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=workdir)

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s:\n%s" % (self.name, self.proc.returncode,
                                                               self.log_tail()))
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/-/ready")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("%s not ready after %ss:\n%s" % (self.name, timeout, self.log_tail()))

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # fields[0] is state (field 3); utime is field 14, stime field 15.
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def status_kb(self, key):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return None

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log("%s ignored SIGTERM for %ss, killing" % (self.name, timeout))
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.logfile.close()
        return self.proc.returncode

    def log_tail(self, n=20):
        try:
            self.logfile.flush()
            with open(self.logpath, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""


# ---------------------------------------------------------------- load

def iso8601(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


def make_batches(n_alerts, n_groups, batch_size, starts_at, ends_at):
    """Alerts laid out group by group so every group travels in one request.

    Returns a list of (body bytes, [group names], alert count)."""
    if n_alerts % n_groups:
        raise ValueError("--alerts must be a multiple of --groups")
    per_group = n_alerts // n_groups
    if batch_size % per_group:
        raise ValueError("--batch-size must be a multiple of alerts per group (%d)" % per_group)
    alerts = []
    for g in range(n_groups):
        for i in range(per_group):
            alerts.append({
                "labels": {"alertname": "BenchAlert", "group": "g%d" % g,
                           "instance": "host-%d:9100" % (g * per_group + i),
                           "severity": "warning" if i % 2 else "critical",
                           "job": "bench"},
                "annotations": {"summary": "bench alert %d of group g%d" % (i, g),
                                "description": "synthetic alert for the alerter benchmark"},
                "startsAt": starts_at,
                "endsAt": ends_at,
                "generatorURL": "http://127.0.0.1/graph?g0.expr=up",
            })
    batches = []
    for off in range(0, len(alerts), batch_size):
        chunk = alerts[off:off + batch_size]
        groups = sorted({a["labels"]["group"] for a in chunk})
        batches.append((json.dumps(chunk).encode(), groups, len(chunk)))
    return batches, per_group


STARTS_AT_PLACEHOLDER = "@@STARTS_AT@@"


def push(port, batches, threads, timeout, spread_s=0.0, starts_at_age=0.0):
    """POSTs every batch once, spread over `threads` keep-alive clients.

    With spread_s > 0, batch i is not sent before start + i * spread_s / len:
    the push is paced to last about spread_s seconds. STARTS_AT_PLACEHOLDER
    in a body becomes the send time minus starts_at_age; the bodies as sent
    are stored back into `batches`.

    Returns (wall seconds, per-request latencies in s, {group: answered-at},
    errors)."""
    lock = threading.Lock()
    next_index = [0]
    latencies = []
    answered = {}
    errors = []
    start_barrier = threading.Barrier(threads + 1)
    start_at = [0.0]
    interval = spread_s / len(batches) if batches and spread_s > 0 else 0.0

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        start_barrier.wait()
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(batches):
                break
            if interval:
                delay = start_at[0] + i * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            body, groups, n = batches[i]
            marker = STARTS_AT_PLACEHOLDER.encode()
            if marker in body:
                body = body.replace(marker, iso8601(time.time() - starts_at_age).encode())
                batches[i] = (body, groups, n)
            status = None
            for attempt in range(2):  # one retry on a dropped keep-alive connection
                t0 = time.monotonic()
                try:
                    conn.request("POST", "/api/v2/alerts", body=body,
                                 headers={"Content-Type": "application/json"})
                    r = conn.getresponse()
                    r.read()
                    status = r.status
                    break
                except (http.client.HTTPException, OSError) as e:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                    status = "%s: %s" % (type(e).__name__, e)
            t1 = time.monotonic()
            with lock:
                latencies.append(t1 - t0)
                if status == 200:
                    for g in groups:
                        answered[g] = t1
                else:
                    errors.append(status)
        conn.close()

    ts = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in ts:
        t.start()
    start_at[0] = time.monotonic()
    start_barrier.wait()
    t_start = start_at[0]
    for t in ts:
        t.join(timeout + 60)
    wall = time.monotonic() - t_start
    return t_start, wall, latencies, answered, errors


# ---------------------------------------------------------------- one system

def run_system(name, binary, args, sink, spread_s, sustained_rounds):
    # startsAt is set when each request is sent: Alertmanager flushes a group
    # at once (no group_wait) when an alert's startsAt is already more than
    # group_wait in the past, so stale startsAt would change what is
    # measured. --starts-at-age exercises exactly that path. Re-pushes send
    # the initial bodies again, same startsAt, as Prometheus does.
    now = time.time()
    batches, per_group = make_batches(args.alerts, args.groups, args.batch_size,
                                      STARTS_AT_PLACEHOLDER, iso8601(now + 4 * 3600))
    workdir = tempfile.mkdtemp(prefix="alerter-bench-%s-" % name)
    daemon = None
    try:
        sink.reset()
        daemon = Daemon(name, binary, workdir, sink.port, args)
        log("%s: started pid %d on 127.0.0.1:%d" % (name, daemon.proc.pid, daemon.port))
        daemon.wait_ready(args.ready_timeout)
        cpu0 = daemon.cpu_seconds()
        rss_start_kb = daemon.status_kb("VmRSS")

        # Phase 1: the initial push of n distinct alerts.
        t_start, wall, lat, answered, errors = push(daemon.port, batches, args.threads,
                                                    args.request_timeout, spread_s,
                                                    args.starts_at_age)
        cpu1 = daemon.cpu_seconds()
        log("%s: initial push of %d alerts in %.3fs (%d errors)" % (
            name, args.alerts, wall, len(errors)))

        # Wait for every group's notification (bounded), then a little more so
        # that duplicates sent by a later group_interval flush are seen too.
        groups = ["g%d" % g for g in range(args.groups)]
        deadline = time.monotonic() + args.notify_timeout
        while time.monotonic() < deadline:
            if sink.post_count() >= len(groups):
                seen = {(p or {}).get("groupLabels", {}).get("group") for _, p in sink.snapshot()}
                if all(g in seen for g in groups):
                    break
            time.sleep(0.05)

        # Phase 2: re-push the same alerts (N already active) for throughput.
        sus_walls, sus_lat, sus_errors = [], [], []
        cpu2a = daemon.cpu_seconds()
        for _ in range(sustained_rounds):
            _, w, l, _, e = push(daemon.port, batches, args.threads, args.request_timeout)
            sus_walls.append(w)
            sus_lat.extend(l)
            sus_errors.extend(e)
        cpu2b = daemon.cpu_seconds()
        if sustained_rounds:
            log("%s: sustained %d rounds in %.3fs" % (name, sustained_rounds, sum(sus_walls)))
        # Let one more group_interval pass: a spurious re-notification would show.
        time.sleep(args.group_interval + 0.5)

        cpu_end = daemon.cpu_seconds()
        hwm_kb = daemon.status_kb("VmHWM")
        rss_end_kb = daemon.status_kb("VmRSS")
        alive = daemon.proc.poll() is None
        rc = daemon.stop()
        received = sink.snapshot()
    finally:
        if daemon is not None:
            daemon.stop()
        if args.keep_workdir:
            log("%s: kept %s" % (name, workdir))
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    # Notification analysis.
    first = {}
    count = {}
    wrong = []
    for arrived, payload in received:
        if not isinstance(payload, dict):
            wrong.append("unparsable payload")
            continue
        g = payload.get("groupLabels", {}).get("group")
        count[g] = count.get(g, 0) + 1
        if g not in first or arrived < first[g][0]:
            first[g] = (arrived, payload)
    raw, net = [], []
    per_group_ms = {}
    missing = []
    for g in groups:
        if g not in first:
            missing.append(g)
            continue
        arrived, payload = first[g]
        n = len(payload.get("alerts", []))
        if n != per_group or payload.get("status") != "firing":
            wrong.append("%s: %d alerts, status %s" % (g, n, payload.get("status")))
        if g in answered:
            d = arrived - answered[g]
            raw.append(d * 1000.0)
            per_group_ms[g] = round(d * 1000.0, 1)
            net.append((d - args.group_wait) * 1000.0)
    dup = {g: c for g, c in count.items() if c != 1}
    arrivals = sorted(a for a, _ in first.values())
    accepts = sorted(answered.values())
    sus_total = args.alerts * sustained_rounds
    res = {
        "system": name,
        "initial_push_spread_s": spread_s,
        "binary": binary,
        "argv": daemon.argv,
        "alive_until_stop": alive,
        "exit_code": rc,
        "initial": {
            "alerts": args.alerts,
            "requests": len(lat),
            "wall_s": wall,
            "alerts_per_s": args.alerts / wall if wall > 0 else None,
            "request_ms": dist([x * 1000.0 for x in lat]),
            "errors": [str(e) for e in errors[:10]],
            "error_count": len(errors),
            "cpu_s": cpu1 - cpu0,
        },
        "sustained": {
            "rounds": sustained_rounds,
            "alerts": sus_total,
            "wall_s": sum(sus_walls),
            "alerts_per_s": sus_total / sum(sus_walls) if sus_walls and sum(sus_walls) > 0 else None,
            "request_ms": dist([x * 1000.0 for x in sus_lat]),
            "error_count": len(sus_errors),
            "errors": [str(e) for e in sus_errors[:10]],
            "cpu_s": cpu2b - cpu2a,
        },
        "notification": {
            "groups": args.groups,
            "groups_notified": len(first) - (1 if None in first else 0),
            "notifications": len(received),
            "missing_groups": missing[:20],
            "missing_count": len(missing),
            "groups_not_exactly_once": dict(list(dup.items())[:20]),
            "groups_not_exactly_once_count": len(dup),
            "wrong_payloads": wrong[:20],
            "wrong_payload_count": len(wrong),
            "latency_ms": dist(raw),
            "latency_minus_group_wait_ms": dist(net),
            "latency_ms_by_group": per_group_ms,
            # Span of the groups' accept times and of their first
            # notifications' arrivals: a much shorter accept span than
            # arrival span means notifications queued (in the daemon or sink).
            "accept_span_ms": (accepts[-1] - accepts[0]) * 1000.0 if accepts else None,
            "arrival_span_ms": (arrivals[-1] - arrivals[0]) * 1000.0 if arrivals else None,
        },
        "cpu_s_total": cpu_end - cpu0,
        "rss_start_mib": rss_start_kb / 1024.0 if rss_start_kb else None,
        "rss_end_mib": rss_end_kb / 1024.0 if rss_end_kb else None,
        "rss_peak_mib": hwm_kb / 1024.0 if hwm_kb else None,
    }
    res["ok"] = (alive and not missing and not dup and not wrong and not errors
                 and not sus_errors)
    return res


# ---------------------------------------------------------------- report

# (label, run, path, format); run "burst" is the unpaced push, "paced" the
# push spread over --paced-seconds.
ROWS = [
    ("initial push of N new alerts: accepted alerts/s", "burst", ("initial", "alerts_per_s"), "{:,.0f}"),
    ("initial push: request p50 ms", "burst", ("initial", "request_ms", "p50"), "{:.1f}"),
    ("initial push: request p99 ms", "burst", ("initial", "request_ms", "p99"), "{:.1f}"),
    ("re-push with N active: accepted alerts/s", "burst", ("sustained", "alerts_per_s"), "{:,.0f}"),
    ("re-push: request p50 ms", "burst", ("sustained", "request_ms", "p50"), "{:.1f}"),
    ("re-push: request p99 ms", "burst", ("sustained", "request_ms", "p99"), "{:.1f}"),
    ("burst: notification latency − group_wait, p50 ms", "burst",
     ("notification", "latency_minus_group_wait_ms", "p50"), "{:.0f}"),
    ("burst: … p99 ms", "burst", ("notification", "latency_minus_group_wait_ms", "p99"), "{:.0f}"),
    ("burst: … max ms", "burst", ("notification", "latency_minus_group_wait_ms", "max"), "{:.0f}"),
    ("burst: groups' accept span → notification arrival span ms", "burst", "SPAN", None),
    ("paced: notification latency (raw) p50 ms", "paced", ("notification", "latency_ms", "p50"), "{:.0f}"),
    ("paced: notification latency − group_wait, p50 ms", "paced",
     ("notification", "latency_minus_group_wait_ms", "p50"), "{:.0f}"),
    ("paced: … p99 ms", "paced", ("notification", "latency_minus_group_wait_ms", "p99"), "{:.0f}"),
    ("paced: … max ms", "paced", ("notification", "latency_minus_group_wait_ms", "max"), "{:.0f}"),
    ("groups notified exactly once with all alerts (burst, paced)", None, "OK", None),
    ("CPU s, initial push (burst)", "burst", ("initial", "cpu_s"), "{:.2f}"),
    ("CPU s, re-push", "burst", ("sustained", "cpu_s"), "{:.2f}"),
    ("CPU s, whole burst run", "burst", ("cpu_s_total",), "{:.2f}"),
    ("RSS peak (VmHWM) MiB, burst run", "burst", ("rss_peak_mib",), "{:.1f}"),
]


def get(d, path):
    for k in path:
        if d is None:
            return None
        d = d.get(k)
    return d


def markdown_table(results):
    """results: {run: {system: result}}."""
    def cell(run, system, path, fmt):
        r = results.get(run, {}).get(system)
        if r is None:
            return "n/a", None
        if path == "SPAN":
            n = r["notification"]
            if n["accept_span_ms"] is None or n["arrival_span_ms"] is None:
                return "n/a", None
            return "%.0f → %.0f" % (n["accept_span_ms"], n["arrival_span_ms"]), None
        v = get(r, path)
        return (fmt.format(v) if isinstance(v, (int, float)) else "n/a"), v

    def ok(system):
        parts = []
        for run in ("burst", "paced"):
            r = results.get(run, {}).get(system)
            if r is None:
                continue
            n = r["notification"]
            good = n["groups"] - n["missing_count"] - n["groups_not_exactly_once_count"] - \
                n["wrong_payload_count"]
            parts.append("%d/%d" % (max(good, 0), n["groups"]) + ("" if r["ok"] else " FAIL"))
        return ", ".join(parts) or "n/a"

    lines = ["| metric | Alertmanager 0.25 | OmniScope | ratio (omniscope / alertmanager) |",
             "| --- | ---: | ---: | ---: |"]
    for label, run, path, fmt in ROWS:
        if path == "OK":
            lines.append("| %s | %s | %s | |" % (label, ok("alertmanager"), ok("omniscope")))
            continue
        a_txt, a = cell(run, "alertmanager", path, fmt)
        o_txt, o = cell(run, "omniscope", path, fmt)
        ratio = ""
        if isinstance(a, (int, float)) and isinstance(o, (int, float)) and a > 0 and o >= 0:
            ratio = "%.3f" % (o / a)
        lines.append("| %s | %s | %s | %s |" % (label, a_txt, o_txt, ratio))
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--omniscope", default=DEFAULT_OMNI, help="omniscope-alerter binary (default: %(default)s)")
    p.add_argument("--alertmanager", default=DEFAULT_AM, help="Alertmanager 0.25 binary")
    p.add_argument("--systems", default="alertmanager,omniscope",
                   help="comma-separated, run in this order")
    p.add_argument("--alerts", type=int, default=10000)
    p.add_argument("--groups", type=int, default=500)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--threads", type=int, default=4, help="client threads")
    p.add_argument("--sustained-rounds", type=int, default=5,
                   help="re-pushes of all alerts after the initial push")
    p.add_argument("--paced-seconds", type=float, default=2.0,
                   help="second run per system whose initial push is spread over this many "
                        "seconds, so notification latency does not depend on how fast the "
                        "push itself went (0: skip)")
    p.add_argument("--group-wait", type=float, default=1.0)
    p.add_argument("--group-interval", type=float, default=2.0)
    p.add_argument("--starts-at-age", type=float, default=0.0,
                   help="seconds before the push to set startsAt to (0: now; > group_wait "
                        "exercises Alertmanager's immediate flush of stale alerts)")
    p.add_argument("--ready-timeout", type=float, default=30.0)
    p.add_argument("--request-timeout", type=float, default=60.0)
    p.add_argument("--notify-timeout", type=float, default=60.0,
                   help="max seconds to wait for all groups' notifications")
    p.add_argument("--omniscope-flag", action="append", default=[],
                   help="extra flag for omniscope-alerter (repeatable)")
    p.add_argument("--alertmanager-flag", action="append", default=[],
                   help="extra flag for Alertmanager (repeatable)")
    p.add_argument("--keep-workdir", action="store_true",
                   help="keep each daemon's temp dir (config, data, daemon.log)")
    p.add_argument("--out", help="write JSON results here")
    args = p.parse_args()

    binaries = {"omniscope": args.omniscope, "alertmanager": args.alertmanager}
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    for s in systems:
        if s not in binaries:
            p.error("unknown system %r" % s)
        if not os.access(binaries[s], os.X_OK):
            p.error("%s binary not executable: %s" % (s, binaries[s]))

    now = time.time()
    sink = WebhookSink()
    results = {}
    load_before = os.getloadavg()
    runs = [("burst", 0.0, args.sustained_rounds)]
    if args.paced_seconds > 0:
        runs.append(("paced", args.paced_seconds, 0))
    try:
        for run, spread_s, rounds in runs:
            results[run] = {}
            for s in systems:
                log("run %s: %s" % (run, s))
                results[run][s] = run_system(s, binaries[s], args, sink, spread_s, rounds)
                time.sleep(1)
    finally:
        sink.close()

    table = markdown_table(results)
    print(table)
    out = {
        "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now)),
        "command": " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:]),
        "params": vars(args),
        "alerts_per_group": args.alerts // args.groups,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "nproc": os.cpu_count(),
        "results": results,
        "markdown": table,
    }
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f, indent=2, sort_keys=True)
        log("wrote %s" % args.out)
    failed = [(run, s) for run in results for s in systems if not results[run][s]["ok"]]
    if failed:
        for run, s in failed:
            r = results[run][s]
            log("%s %s: FAILED checks: %s" % (run, s, json.dumps({
                "alive": r["alive_until_stop"],
                "initial_errors": r["initial"]["errors"],
                "sustained_errors": r["sustained"]["errors"],
                "missing": r["notification"]["missing_groups"],
                "not_exactly_once": r["notification"]["groups_not_exactly_once"],
                "wrong": r["notification"]["wrong_payloads"]})))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
