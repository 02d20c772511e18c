"""Bounded loopback load test of the web workbench: N concurrent clients for T seconds.

Starts ``sitewatch serve`` on 127.0.0.1 in a child process over a workspace (the demo one by
default; built into a temporary folder when missing), then runs ``--clients`` asyncio clients
with httpx that each loop over a mix of read routes — site list, site detail, evidence
filters, detections, ACH matrix and pass tiles at several zooms — until ``--duration``
seconds have passed. Prints request count, throughput, p50/p95/p99 latency overall and per
route kind, and the errors; exits 1 if there was any error. Everything stops by itself: the
clients at the deadline, the server when the test ends.

    .venv/bin/python bench/web_load.py                      # 50 clients, 30 s, demo workspace
    .venv/bin/python bench/web_load.py --clients 10 --duration 5 --workspace work.db
    .venv/bin/python bench/web_load.py --url http://127.0.0.1:8765   # a server already running
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

__all__ = ["main", "percentile", "run_load"]


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by nearest rank; NaN for no values.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([5.0], 99)
    (2.0, 5.0)
    """
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _routes(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    """(kind, path) pairs to request, discovered from the server itself."""
    sites = (await client.get("/api/sites")).json()
    passes = (await client.get("/api/passes")).json()
    out = [("sites", "/api/sites"), ("ach", "/api/ach?as_of=2024-12-15")]
    out += [("evidence", "/api/evidence?min_grade=B2"), ("evidence", "/api/evidence?site=tartus")]
    for s in sites[:6]:
        out.append(("site", f"/api/sites/{s['slug']}"))
    for p in passes:
        pid = p["id"]
        out += [
            ("detections", f"/api/passes/{pid}/detections"),
            ("counts", f"/api/passes/{pid}/counts"),
        ]
        info = (await client.get(f"/api/passes/{pid}/tileinfo")).json()
        if info.get("frame") != "pixel":
            continue
        top = info["max_native_zoom"]
        for z in range(max(0, top - 2), top + 1):
            n = -(-max(info["width"], info["height"]) // (info["tile_size"] * 2 ** (top - z)))
            for x in range(n):
                for y in range(n):
                    out.append(("tile", f"/api/passes/{pid}/tiles/{z}/{x}/{y}.png"))
    return out


async def run_load(
    base_url: str, clients: int, duration: float, seed: int = 0
) -> tuple[dict[str, list[float]], list[str], float]:
    """Run the load; returns latencies (s) per route kind, error messages, elapsed seconds."""
    # idle connections expire on the client before the server's keep-alive (10 s) closes
    # them, so a request never goes out on a socket the server is closing
    limits = httpx.Limits(
        max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0
    )
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0, limits=limits) as client:
        routes = await _routes(client)
        tiles = [r for r in routes if r[0] == "tile"] or routes
        api = [r for r in routes if r[0] != "tile"]
        latencies: dict[str, list[float]] = defaultdict(list)
        errors: list[str] = []
        start = time.perf_counter()
        deadline = start + duration

        async def one(i: int) -> None:
            rng = random.Random(seed + i)
            while time.perf_counter() < deadline:
                # half the requests are tiles (a map view asks for many), half the API
                pool = tiles if rng.random() < 0.5 or not api else api
                kind, path = rng.choice(pool)
                t0 = time.perf_counter()
                try:
                    r = await client.get(path)
                    ok = r.status_code == 200
                    await r.aread()
                except httpx.HTTPError as exc:
                    ok, r = False, None
                    errors.append(f"{path}: {type(exc).__name__}")
                latencies[kind].append(time.perf_counter() - t0)
                if not ok and r is not None:
                    errors.append(f"{path}: HTTP {r.status_code}")

        await asyncio.gather(*(one(i) for i in range(clients)))
        return dict(latencies), errors, time.perf_counter() - start


def _start_server(workspace: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SITEWATCH_USER": "bench"}
    cmd = [sys.executable, "-m", "sitewatch.cli.main", "serve", "--port", str(port)]
    cmd += ["--workspace", str(workspace)]
    with log.open("wb") as fh:  # a file, not a pipe: a full pipe would stall the server
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text(errors='replace').strip()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start within 60 s")


def _report(latencies: dict[str, list[float]], errors: list[str], elapsed: float) -> None:
    every = [v for vs in latencies.values() for v in vs]
    ms = 1000.0
    print(f"{len(every)} requests in {elapsed:.1f} s = {len(every) / elapsed:.0f} req/s")
    print(f"{'route':<12}{'n':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for kind in [*sorted(latencies), "ALL"]:
        vs = every if kind == "ALL" else latencies[kind]
        p50, p95, p99 = (percentile(vs, q) * ms for q in (50, 95, 99))
        print(f"{kind:<12}{len(vs):>8}{p50:>10.1f}{p95:>10.1f}{p99:>10.1f}{max(vs) * ms:>10.1f}")
    print(f"errors: {len(errors)}")
    for e in sorted(set(errors))[:20]:
        print(f"  {e}")
    if every:
        print(f"mean {statistics.fmean(every) * ms:.1f} ms")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code (1 when any request failed)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds (default 30, max 600)")
    ap.add_argument("--workspace", type=Path, default=Path("demo-out/demo.db"))
    ap.add_argument("--url", help="test this running server instead of starting one")
    args = ap.parse_args(argv)
    if not 1 <= args.clients <= 500:
        ap.error("--clients must be 1..500")
    if not 0 < args.duration <= 600:
        ap.error("--duration must be in (0, 600]")
    proc = None
    tmp = None
    log = Path(tempfile.mkstemp(prefix="sitewatch-bench-server-", suffix=".log")[1])
    try:
        url = args.url
        if url is None:
            ws = args.workspace
            if not ws.is_file():
                from sitewatch.demo import run_demo

                tmp = tempfile.TemporaryDirectory(prefix="sitewatch-bench-")
                print(f"{ws} not found: building the demo workspace in {tmp.name}")
                ws = run_demo(tmp.name, log=lambda _: None).workspace
            port = _free_port()
            proc = _start_server(ws, port, log)
            url = f"http://127.0.0.1:{port}"
        print(f"{args.clients} clients × {args.duration:.0f} s against {url}")
        latencies, errors, elapsed = asyncio.run(
            asyncio.wait_for(run_load(url, args.clients, args.duration), args.duration + 120)
        )
        _report(latencies, errors, elapsed)
        if errors and proc is not None:
            print("server log (tail):")
            print(log.read_text(errors="replace")[-3000:])
        return 1 if errors else 0
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if tmp is not None:
            tmp.cleanup()
        log.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
