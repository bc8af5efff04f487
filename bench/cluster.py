"""`python -m bench.cluster`: the load driver (bench/load.py) through nginx in front of N app
processes on PostgreSQL, the local cluster of scripts/cluster.sh, for N = 1 and N = 2: what a
second process buys on this machine.

For each N: a cluster started by `scripts/cluster.sh start` in a temporary folder on free ports
(PostgreSQL, init-db with the sample data, N processes, nginx), each process warmed directly (each
page opened once, not recorded: its imports, its replica of the store, its caches), then
`run_load` against nginx's address with `sessions` viewers for `seconds` (the `bench` load's
people: LOAD_THINK_S ±50 % before every click, first pages opened over the first think time; the
default mix of overview, locality, indicator and presenter), then `scripts/cluster.sh stop` and
the folder removed. Keys (N = 2 unsuffixed, as the issue names them; N = 1 with `_n1`):

- cluster_load_p95_s, cluster_load_errors, cluster_load_runs_per_s: every script run's wait
  (p95), the errors (timeouts, disconnects, exceptions on a page …), runs per second;
- cluster_load_server_cpu_s: the CPU seconds of all app processes together during the load;
- cluster_load_n1_p95_s, cluster_load_n1_errors, cluster_load_n1_runs_per_s,
  cluster_load_n1_server_cpu_s.

With --detail (detail=True), each N's whole load report under cluster_load_report_n<N>, with
cluster_ws_per_process: how many websockets (tabs) nginx gave each process (its access log).

Viewers only for the keys (as the issue asks); `officers` (--officers) makes that many of the
sessions signed-in officers committing uploads, in the cluster's PostgreSQL. The load driver keeps
every cookie a response sets, per simulated person, as a browser does: nginx's route cookie keeps
a person's pages, websocket and uploads on one process (tests/store/test_cluster_load.py kills
one process in the middle of such a load).

Needs Debian's nginx and PostgreSQL (`available()` says what is missing). About 2 × (15 s to
start + seconds + 10 s warm-up) on the development machine. The client loop runs in this
process and takes CPU from the servers it measures (load_client_cpu_s in the detail).
`python -m bench.cluster [--sessions 100] [--seconds 60] [--n 1,2] [--detail]` prints the keys
as JSON (with --detail, each N's whole load report too).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


from bench.run import LOAD_THINK_S   # as the load_* keys
from indicators.paths import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "cluster.sh"
START_TIMEOUT_S = 300
WARM_PAGES = ("overview", "locality", "indicator", "presenter")


def available() -> str | None:
    """None when a cluster can start here, else what is missing (one sentence, Vietnamese)."""
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        return "Chưa cài nginx của Debian (apt-get install nginx-light)."
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        return "Chưa cài PostgreSQL của Debian (apt-get install postgresql)."
    return None


def _block_free(first: int, count: int) -> bool:
    for port in range(first, first + count):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_block(count: int) -> int:
    """The first of `count` consecutive free ports on 127.0.0.1 (nginx, the processes, PostgreSQL)."""
    rng = random.Random()
    for _ in range(100):
        first = rng.randrange(20000, 60000)
        if _block_free(first, count):
            return first
    raise RuntimeError("no block of free ports on 127.0.0.1")


@dataclass
class Running:
    url: str          # nginx
    folder: Path
    port: int
    n: int
    db_url: str

    def app_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.port + i}" for i in range(1, self.n + 1)]

    def pids(self) -> list[int]:
        return [int((self.folder / f"app-{i}.pid").read_text()) for i in range(1, self.n + 1)]


def websockets_per_process(log_text: str) -> dict[str, int]:
    """Websockets (101 answers to /_stcore/stream) per process, from nginx's access log."""
    counts: Counter = Counter()
    for line in log_text.splitlines():
        if '"GET /_stcore/stream ' in line and '" 101 ' in line:
            found = re.search(r" upstream=(.*?) route=", line)
            if found:   # "A, B": nginx tried A, B answered
                counts[found.group(1).split(",")[-1].strip()] += 1
    return dict(sorted(counts.items()))


def _script(*args: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "CLUSTER_PYTHON": sys.executable})


@contextlib.contextmanager
def running(n: int) -> Iterator[Running]:
    """A cluster of `n` app processes (scripts/cluster.sh) in a temporary folder on free ports;
    stopped and removed afterwards. RuntimeError, with the script's output, when it does not start
    or does not stop cleanly."""
    missing = available()
    if missing:
        raise RuntimeError(missing)
    # Not a 0700 folder under another: as root, PostgreSQL runs as `postgres`, which must reach it.
    folder = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    folder.chmod(0o755)
    port = free_block(n + 2)
    try:
        started = _script("start", str(folder), str(n), str(port), timeout=START_TIMEOUT_S)
        if started.returncode != 0:
            raise RuntimeError(f"scripts/cluster.sh start failed ({started.returncode}): "
                               f"{started.stdout[-2000:]}\n{started.stderr[-2000:]}")
        url = started.stdout.strip().splitlines()[-1]
        if url != f"http://127.0.0.1:{port}":
            raise RuntimeError(f"scripts/cluster.sh start printed no address of nginx on {port}: {started.stdout[-2000:]}")
        yield Running(url, folder, port, n, (folder / "database_url").read_text().strip())
    finally:
        stopped = _script("stop", str(folder), timeout=120)
        shutil.rmtree(folder, ignore_errors=True)
    if stopped.returncode != 0:   # only when the body ended normally: never hides its own error
        raise RuntimeError(f"scripts/cluster.sh stop failed:\n{stopped.stdout}\n{stopped.stderr}")


def _cpu(pids: list[int]) -> float | None:
    from bench.load import cpu_seconds
    values = [cpu_seconds(pid) for pid in pids]
    return None if None in values else sum(values)


def measure(n: int, *, sessions: int = 100, seconds: float = 60.0, think_s: float = LOAD_THINK_S,
            ramp_s: float | None = None, timeout: float | None = None, officers: int = 0,
            rows_per_upload: int | None = None) -> dict:
    """The load report (bench/load.py's run_load) through nginx in front of `n` processes, with
    cluster_* extras: server_cpu_s (all processes), ws_per_process, processes. `officers` of the
    sessions commit uploads (rows_per_upload each) into the cluster's database."""
    from bench import load
    with running(n) as cluster:
        for app in cluster.app_urls():   # each process warm, as one process is in bench load
            asyncio.run(load._warm_up(app, list(WARM_PAGES), None, load.STEP_TIMEOUT_S))
        before_log = (cluster.folder / "nginx" / "access.log").stat().st_size
        pids = cluster.pids()
        cpu_before = _cpu(pids)
        extra = {"timeout": timeout} if timeout else {}
        if officers:
            extra.update(officers=officers, db=cluster.db_url)
            if rows_per_upload:
                extra["rows_per_upload"] = rows_per_upload
        report = load.run_load(cluster.url, sessions=sessions, seconds=seconds, think_s=think_s, ramp_s=ramp_s,
                               warmup=False, **extra)
        cpu_after = _cpu(pids)
        log = cluster.folder / "nginx" / "access.log"
        with open(log, "rb") as f:   # only the load's lines, not the warm-up's
            f.seek(before_log)
            tail = f.read().decode("utf-8", "replace")
        report.update(cluster_processes=n, cluster_server_cpu_s=None if None in (cpu_before, cpu_after)
                      else round(cpu_after - cpu_before, 2), cluster_ws_per_process=websockets_per_process(tail),
                      cluster_server_peak_mib=[load.peak_mib(pid) for pid in pids])
    return report


def bench_cluster(*, ns=(1, 2), sessions: int = 100, seconds: float = 60.0, think_s: float = LOAD_THINK_S,
                  ramp_s: float | None = None, detail: bool = False, officers: int = 0) -> dict:
    """The cluster_load_* keys for each N in `ns` (N = 2 unsuffixed, others `_n<N>`); with
    `detail`, each N's whole report under cluster_load_report_n<N>."""
    keys: dict = {}
    for n in ns:
        report = measure(n, sessions=sessions, seconds=seconds, think_s=think_s, ramp_s=ramp_s, officers=officers)
        prefix = "cluster_load_" if n == 2 else f"cluster_load_n{n}_"
        keys[prefix + "p95_s"] = report["load_p95_s"]
        keys[prefix + "errors"] = report["load_errors"]
        keys[prefix + "runs_per_s"] = report["load_runs_per_s"]
        if report["cluster_server_cpu_s"] is not None:
            keys[prefix + "server_cpu_s"] = report["cluster_server_cpu_s"]
        if detail:
            keys[f"cluster_load_report_n{n}"] = report
    return keys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__.split("\n")[0])
    p.add_argument("--sessions", type=int, default=100, help="số phiên đồng thời (mặc định 100)")
    p.add_argument("--seconds", type=float, default=60.0, help="thời gian đo, giây (mặc định 60)")
    p.add_argument("--think", type=float, default=LOAD_THINK_S, help="thời gian nghỉ trước mỗi thao tác, giây")
    p.add_argument("--ramp", type=float, default=None, help="các phiên lần lượt mở trang đầu trong bấy nhiêu giây")
    p.add_argument("--n", default="1,2", help="số tiến trình ứng dụng của mỗi lần đo, vd. 1,2 (mặc định)")
    p.add_argument("--officers", type=int, default=0, help="trong số phiên, số cán bộ tải tệp lên và nhập")
    p.add_argument("--detail", action="store_true", help="kèm toàn bộ báo cáo tải của mỗi lần đo")
    args = p.parse_args(argv)
    missing = available()
    if missing:
        print(missing, file=sys.stderr)
        return 1
    keys = bench_cluster(ns=[int(x) for x in args.n.split(",") if x.strip()], sessions=args.sessions,
                         seconds=args.seconds, think_s=args.think, ramp_s=args.ramp, detail=args.detail,
                         officers=args.officers)
    print(json.dumps(keys, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
