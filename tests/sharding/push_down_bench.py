#!/usr/bin/env python3
"""Viewer query push-down: range-query latency of a viewer over one collector
with push-down (default) and without (--query.push-down=false, PromQL in the
viewer over the collector's streamed series), next to the collector itself and
Prometheus 2.42 on the same data, in the same run.

usage: push_down_bench.py BUILD_DIR [--reps N]

1500 series (1000 counters, 500 gauges), 2 h at 15 s, written as OpenMetrics,
loaded with promtool and omniscopectl; each query runs over the 2 h at a 15 s
step (481 points per series), REPS times after one warm-up; medians are
printed. Every daemon listens on 127.0.0.1 ports picked by the OS.
"""
import argparse, os, random, shutil, signal, socket, statistics, subprocess, sys, tempfile, time
import urllib.parse, urllib.request

QUERIES = ['sum by (job) (rate(reqs_total[5m]))', 'topk(5, max_over_time(temp[10m]))',
           'reqs_total{job="j1"}', 'count(temp > 20)']


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def write_data(path, t0):
    rnd = random.Random(1)
    steps = 2 * 3600 // 15
    with open(path, 'w') as f:
        f.write('# TYPE reqs counter\n')
        for job in range(10):
            for inst in range(50):
                for code in ('200', '500'):
                    v = 0
                    for i in range(steps + 1):
                        v += rnd.randint(0, 20)
                        f.write(f'reqs_total{{job="j{job}",instance="i{inst}",code="{code}"}} {v} {t0 + i * 15}\n')
        f.write('# TYPE temp gauge\n')
        for job in range(10):
            for inst in range(50):
                for i in range(steps + 1):
                    f.write(f'temp{{job="j{job}",instance="i{inst}"}} {rnd.randint(0, 40000) / 1000} {t0 + i * 15}\n')
        f.write('# EOF\n')


def wait_ready(url, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f'{proc.args[0]} exited early')
        try:
            if urllib.request.urlopen(url + '/-/ready', timeout=2).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)  # polling for readiness, bounded by the deadline
    sys.exit(f'{url} not ready')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('build_dir')
    ap.add_argument('--reps', type=int, default=15)
    args = ap.parse_args()
    bin_dir = os.path.join(os.path.abspath(args.build_dir), 'bin')
    work = tempfile.mkdtemp(prefix='omni_push_down_bench_')
    t0 = (int(time.time()) // 3600 - 4) * 3600
    data = os.path.join(work, 'data.om')
    write_data(data, t0)
    subprocess.run(['promtool', 'tsdb', 'create-blocks-from', 'openmetrics', data, os.path.join(work, 'prom')],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([os.path.join(bin_dir, 'omniscopectl'), 'tsdb', 'import', 'openmetrics', data,
                    '--storage.tsdb.path', os.path.join(work, 'omni')], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    config = os.path.join(work, 'prometheus.yml')
    with open(config, 'w') as f:
        f.write('global:\n  scrape_interval: 1m\nscrape_configs: []\n')
    ports = {name: free_port() for name in ('prometheus', 'collector', 'grpc', 'pushed', 'fanout')}
    log = open(os.path.join(work, 'daemons.log'), 'w')
    procs = []

    def start(argv):
        procs.append(subprocess.Popen(argv, stdout=log, stderr=log))
        return procs[-1]

    try:
        targets = {}
        p = start(['prometheus', f'--config.file={config}', f'--storage.tsdb.path={work}/prom',
                   f'--web.listen-address=127.0.0.1:{ports["prometheus"]}'])
        targets['Prometheus 2.42'] = (f'http://127.0.0.1:{ports["prometheus"]}', p)
        p = start([os.path.join(bin_dir, 'omniscope-collector'), f'--config.file={config}',
                   f'--storage.tsdb.path={work}/omni', f'--web.listen-address=127.0.0.1:{ports["collector"]}',
                   f'--grpc.listen-address=127.0.0.1:{ports["grpc"]}'])
        targets['collector'] = (f'http://127.0.0.1:{ports["collector"]}', p)
        for name, extra in (('pushed', []), ('fanout', ['--query.push-down=false'])):
            p = start([os.path.join(bin_dir, 'omniscope-viewer'), f'--collector=127.0.0.1:{ports["grpc"]}',
                       f'--web.listen-address=127.0.0.1:{ports[name]}'] + extra)
            label = 'viewer, push-down' if name == 'pushed' else 'viewer, push-down=false'
            targets[label] = (f'http://127.0.0.1:{ports[name]}', p)
        for url, proc in targets.values():
            wait_ready(url, proc)
        print('| query | ' + ' | '.join(f'{n} ms' for n in targets) + ' | response bytes |')
        print('| --- |' + ' ---: |' * (len(targets) + 1))
        for q in QUERIES:
            path = '/api/v1/query_range?' + urllib.parse.urlencode(
                {'query': q, 'start': t0, 'end': t0 + 7200, 'step': 15})
            medians, bodies = [], {}
            for name, (url, _) in targets.items():
                urllib.request.urlopen(url + path).read()  # warm-up
                times = []
                for _ in range(args.reps):
                    t = time.perf_counter()
                    bodies[name] = urllib.request.urlopen(url + path).read()
                    times.append(time.perf_counter() - t)
                medians.append(statistics.median(times) * 1000)
            omni = [b for n, b in bodies.items() if not n.startswith('Prometheus')]
            if any(b != omni[0] for b in omni):
                sys.exit(f'{q}: the OmniScope answers differ')
            print(f'| `{q}` | ' + ' | '.join(f'{m:.1f}' for m in medians) + f' | {len(omni[0])} |')
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
