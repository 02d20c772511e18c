"""Benchmark: decode and store one million real AIS sentences.

The corpus is every AIS sentence in ``../shared/data/tracks`` (pyais and AISdb logs),
repeated with each copy shifted by an hour and every sentence given an NMEA tag-block time
(``\\c:<epoch>*hh\\``), until it holds ``--n`` sentences. It is written to a temporary file and
imported into a fresh SQLite workspace with :func:`sitewatch.store.tracks_repo.import_track_file`
(streaming, chunked). A baseline in the same process decodes a slice message by message with
``pyais.decode`` and stores each row through the ORM, to show what the design buys.

Run: ``.venv/bin/python bench/ais_import.py [--n 1000000] [--baseline 20000]``
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from functools import reduce
from pathlib import Path

from sitewatch.config import data_dir


def _tag(epoch: int) -> str:
    body = f"c:{epoch}"
    cs = reduce(lambda a, b: a ^ b, body.encode(), 0)
    return f"\\{body}*{cs:02X}\\"


def corpus(root: Path) -> list[tuple[int | None, str]]:
    """(epoch or None, sentence) for every AIS sentence in the shared logs."""
    out: list[tuple[int | None, str]] = []
    files = sorted((root / "pyais-nmea").glob("*")) + sorted((root / "aisdb-testdata").glob("*.n*"))
    for f in files:
        if "LICENSE" in f.name:
            continue
        for line in f.read_text(errors="replace").splitlines():
            line = line.strip()
            if "VDM," not in line and "VDO," not in line:
                continue
            epoch = None
            if line.startswith("\\"):
                j = line.find("\\", 1)
                for tag in line[1:j].split("*")[0].split(","):
                    if tag.startswith("c:") and tag[2:].isdigit():
                        epoch = int(tag[2:])
                line = line[j + 1 :]
            star = line.find("*")
            if star > 0:
                line = line[: star + 3]  # drop trailing receiver fields: the tag block dates it
            out.append((epoch, line))
    return out


def build(path: Path, n: int, root: Path) -> int:
    base = corpus(root)
    t0 = 1733011200  # 2024-12-01T00:00Z; undated sentences get 1 s steps from here
    written = 0
    with path.open("w") as fh:
        rep = 0
        while written < n:
            # each copy an hour later: vessels keep reporting, as in a longer real log
            shift = rep * 3600
            for i, (epoch, line) in enumerate(base):
                e = (epoch if epoch is not None else t0 + i) + shift
                fh.write(f"{_tag(e)}{line}\n")
                written += 1
                if written >= n:
                    break
            rep += 1
    return written


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def baseline(path: Path, n: int, workdir: Path) -> float:
    """Naive: pyais.decode per sentence, one ORM object per position, one commit."""
    from datetime import UTC, datetime

    import pyais

    from sitewatch.store import Workspace
    from sitewatch.store.tables.tracks import AisPointRow, TrackFileRow

    ws = Workspace.open(workdir / "baseline.db", seed=False)
    lines = []
    with path.open() as fh:
        for _ in range(n):
            lines.append(fh.readline())
    t = time.perf_counter()
    with ws.session() as s:
        f = TrackFileRow(
            path="baseline",
            sha256="0" * 64,
            domain="sea",
            format="nmea",
            n_messages=0,
            n_points=0,
            n_tracks=0,
            n_malformed=0,
            notes=[],
            imported_at=datetime.now(UTC),
        )
        s.add(f)
        s.flush()
        for line in lines:
            try:
                msg = pyais.decode(line.split("\\")[-1].strip())
                d = msg.asdict()
            except Exception:
                continue
            if d.get("lat") is None:
                continue
            s.add(
                AisPointRow(
                    file_id=f.id,
                    track_seq=0,
                    time_ms=None,
                    mmsi=d["mmsi"],
                    lat=d["lat"],
                    lon=d["lon"],
                    sog_kn=d.get("speed"),
                    cog_deg=d.get("course"),
                    heading_deg=d.get("heading"),
                    nav_status=None,
                    msg_type=d["msg_type"],
                    source="baseline",
                )
            )
    dt = time.perf_counter() - t
    ws.close()
    return n / dt


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--baseline", type=int, default=20_000)
    ap.add_argument("--chunk", type=int, default=100_000)
    args = ap.parse_args()
    root = data_dir() / "tracks"
    if not root.is_dir():
        print(f"no AIS data at {root}", file=sys.stderr)
        return 1
    from sitewatch.store import Workspace
    from sitewatch.store.tracks_repo import import_track_file

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        log = work / "ais_1m.nmea"
        n = build(log, args.n, root)
        print(f"built {n:,} sentences ({log.stat().st_size / 1e6:.0f} MB) from the shared logs")
        ws = Workspace.open(work / "bench.db", seed=False)
        rss0 = peak_rss_mb()
        load0 = os.getloadavg()[0]
        c0 = resource.getrusage(resource.RUSAGE_SELF)
        k0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        s = import_track_file(ws, log, chunk_lines=args.chunk)
        dt = time.perf_counter() - t
        c1 = resource.getrusage(resource.RUSAGE_SELF)
        k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        ws.close()
        rate = n / dt
        cpu_main = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
        cpu_dec = (k1.ru_utime + k1.ru_stime) - (k0.ru_utime + k0.ru_stime)
        print(
            f"import: {n:,} sentences in {dt:.1f} s = {rate:,.0f} sentences/s decoded and stored; "
            f"{s.points:,} positions, {s.tracks:,} voyages, {s.malformed:,} malformed"
        )
        child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
        print(
            f"peak RSS: storing process {peak_rss_mb():.0f} MB (before import {rss0:.0f} MB), "
            f"decoding process {child_mb:.0f} MB"
        )
        # wall time depends on what else runs; CPU time per process does not
        print(
            f"CPU: storing process {cpu_main:.1f} s, decoding process {cpu_dec:.1f} s; "
            f"load average at start {load0:.1f} on {os.cpu_count()} cores; "
            "CPU-bound rate with two free cores: "
            f"{n / max(cpu_main, cpu_dec, 1e-9):,.0f} sentences/s"
        )
        base = baseline(log, args.baseline, work)
        print(
            f"baseline (pyais.decode per sentence + ORM row per position, {args.baseline:,}"
            f" sentences): {base:,.0f} sentences/s"
        )
        print(f"speed-up: {rate / base:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
