#!/usr/bin/env python3
"""A/B latency of one instant query on two servers, through the bench harness's client.

Sends `query` to both servers alternately (order swapped every round) for
`--seconds`, each at time = now - `--behind` seconds, with the harness's own
HTTP client (../shared/bench, one keep-alive connection each), and prints the
p10 / p50 / p90 of each. Used to compare two collector builds scraping the
same exporter farm (start both at the same moment so their heads are alike).

Usage:
  python3 tools/query_ab/query_ab.py --a old=http://127.0.0.1:19290 --b new=http://127.0.0.1:19291 \\
      --query 'count by (job) (up == 1)' --behind 1 --seconds 10
"""
import argparse
import os
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "shared", "bench"))
from run_prometheus_baseline import Client  # noqa: E402  the harness's client, unchanged


def target(spec):
    name, _, url = spec.partition("=")
    u = urllib.parse.urlparse(url)
    return name, Client(u.hostname, u.port)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", required=True, help="name=http://host:port")
    ap.add_argument("--b", required=True, help="name=http://host:port")
    ap.add_argument("--query", required=True)
    ap.add_argument("--behind", type=float, default=1.0, help="seconds between now and the query time")
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    servers = [target(args.a), target(args.b)]
    lat = {name: [] for name, _ in servers}
    start = time.time()
    rounds = 0
    while time.time() - start < args.seconds:
        ts = time.time() - args.behind
        for name, client in (servers if rounds % 2 == 0 else servers[::-1]):
            t0 = time.perf_counter()
            status, _ = client.get("/api/v1/query", {"query": args.query, "time": f"{ts:.3f}"})
            lat[name].append(time.perf_counter() - t0)
            if status != 200:
                sys.exit(f"{name} answered {status}")
        rounds += 1
    for name, _ in servers:
        v = sorted(lat[name])
        print(f"{name}: n={len(v)} p10={v[len(v) // 10] * 1000:.3f} ms p50={v[len(v) // 2] * 1000:.3f} ms "
              f"p90={v[len(v) * 9 // 10] * 1000:.3f} ms")


if __name__ == "__main__":
    main()
