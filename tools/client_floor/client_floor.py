#!/usr/bin/env python3
"""How fast can the bench harness's client see a metadata query answered?

Times one API path with the harness's own HTTP client (../shared/bench,
Client: http.client on one keep-alive connection, as the harness uses) against
several servers, alternating request by request as the harness does:

  * each --url given (e.g. Prometheus and the OmniScope collector, both
    holding the same data, from a harness run with --keep);
  * a server that does no work (static_http_server.cc), answering with the
    exact bytes the first --url returned for that path.

The zero-work server's median is the floor: no server can be timed faster
through this client on this machine, so a ratio target below
floor / Prometheus's median cannot be met by server work alone.

Usage:
  python3 tools/client_floor/client_floor.py --path '/api/v1/labels?start=..&end=..' \
      --url prometheus=http://127.0.0.1:9090 --url omniscope=http://127.0.0.1:9091 [--reps 2000]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "shared", "bench"))
from run_prometheus_baseline import Client  # noqa: E402  the harness's client, unchanged


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--path", required=True, help="path and query string to request")
    ap.add_argument("--url", action="append", required=True, help="name=http://host:port (repeatable)")
    ap.add_argument("--reps", type=int, default=2000)
    args = ap.parse_args()

    targets = []
    for spec in args.url:
        name, _, url = spec.partition("=")
        u = urllib.parse.urlparse(url)
        targets.append((name, Client(u.hostname, u.port)))

    status, body = targets[0][1].get(args.path)
    if status != 200:
        sys.exit(f"{targets[0][0]} answered {status} for {args.path}")
    workdir = tempfile.mkdtemp(prefix="client-floor-")
    body_file = os.path.join(workdir, "body.json")
    with open(body_file, "wb") as f:
        f.write(body)
    binary = os.path.join(workdir, "static_http_server")
    subprocess.run(["c++", "-O2", "-std=c++20", "-o", binary, os.path.join(HERE, "static_http_server.cc")],
                   check=True)
    server = subprocess.Popen([binary, body_file], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        targets.append(("zero-work server", Client("127.0.0.1", port)))
        times = {name: [] for name, _ in targets}
        for i in range(args.reps + 50):
            order = targets if i % 2 == 0 else list(reversed(targets))
            for name, client in order:
                t0 = time.perf_counter()
                st, _ = client.get(args.path)
                dt = time.perf_counter() - t0
                if st != 200:
                    sys.exit(f"{name} answered {st}")
                if i >= 50:  # warm-up
                    times[name].append(dt)
        base = statistics.median(times[targets[0][0]])
        print(f"{len(body)} B body, {args.reps} requests each; load: {os.getloadavg()[0]:.2f}")
        for name, _ in targets:
            med = statistics.median(times[name])
            print(f"{name:>18}: median {med * 1000:.3f} ms  ({med / base:.2f} x {targets[0][0]})")
    finally:
        server.kill()


if __name__ == "__main__":
    main()
