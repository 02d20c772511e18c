"""Raw AIS NMEA (``!AIVDM``/``!AIVDO``) to the normalised AIS tables, streaming.

Decoding is split in two on purpose. Single-sentence position reports (types 1, 2, 3 and 18)
are most of any real log and have a fixed bit layout, so a chunk of them is decoded at once
with numpy — the tests check every field against pyais. Everything else (multi-sentence
messages, static and voyage data, type 19/27 positions…) goes through **pyais**, with a cache
keyed on the payload because static reports repeat unchanged every few minutes.

Times come from wherever the log carries them: an NMEA 4.0 tag block (``\\c:<epoch>\\``), a
Gatehouse ``$PGHP`` sentence before the message, or epoch fields after the checksum (the
AISdb/receiver layout ``…*7F,d-108,…,r003669946,1325394065,1325394006`` — the first epoch,
which agrees with the receiver's ``t`` hhmmss field). Without any, ``time`` is NaT.

Nothing in a log crashes the import: each unusable line is counted as malformed with a reason.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sitewatch.tracks.schema import (
    AIS_COLUMNS,
    STATIC_COLUMNS,
    ReadResult,
    empty_ais,
    empty_static,
)

__all__ = ["NmeaDecoder", "decode_payload", "iter_nmea", "iter_nmea_parallel", "read_nmea"]

_FAST_TYPES = frozenset("123B")  # first payload character of types 1, 2, 3 and 18
_NAN = float("nan")


@functools.lru_cache(maxsize=65536)
def decode_payload(payload: str, fill: int) -> dict[str, Any] | None:
    """Decode one complete AIS payload with pyais; ``None`` when pyais cannot.

    Parameters
    ----------
    payload : str
        The armoured payload (all fragments joined).
    fill : int
        Fill bits of the last fragment.

    Examples
    --------
    >>> d = decode_payload("13HOI:0P0000VOHLCnHQKwvL05Ip", 0)
    >>> d["msg_type"], d["mmsi"], round(d["lat"], 4)
    (1, 227006760, 49.4756)
    >>> decode_payload("", 0) is None
    True
    """
    import pyais

    if not payload:
        return None
    try:
        # a one-fragment sentence around the joined payload lets pyais do the bit work
        msg = pyais.decode(f"!AIVDM,1,1,,A,{payload},{fill}*00")
        return dict(msg.asdict())
    except Exception:  # pyais raises several exception types for bad payloads
        return None


def _epoch(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v / 1000.0 if v > 1e11 else v


def _gatehouse_time(line: str) -> float | None:
    # $PGHP,1,<year>,<month>,<day>,<hour>,<minute>,<second>,<ms>,…
    f = line.split(",")
    try:
        t = datetime(int(f[2]), int(f[3]), int(f[4]), int(f[5]), int(f[6]), int(f[7]), tzinfo=UTC)
        return t.timestamp() + int(f[8]) / 1000.0
    except (IndexError, ValueError):
        return None


def _signed(v: np.ndarray, bits: int) -> np.ndarray:
    return np.where(v >= 1 << (bits - 1), v - (1 << bits), v)


def _fast_positions(payloads: list[str]) -> dict[str, np.ndarray]:
    """Vectorised decode of 1/2/3/18 payloads (padded to 168 bits)."""
    n = len(payloads)
    raw = np.frombuffer("".join(p.ljust(28, "0")[:28] for p in payloads).encode("ascii"), np.uint8)
    six = raw.reshape(n, 28).astype(np.int16) - 48
    six = np.where(six > 40, six - 8, six).astype(np.uint8)
    six8 = np.asarray(six, dtype=np.uint8)
    bits = np.unpackbits(six8[:, :, None], axis=2)[:, :, 2:].reshape(n, 168)

    def field_(start: np.ndarray | int, length: int) -> np.ndarray:
        w = (1 << np.arange(length - 1, -1, -1)).astype(np.int64)
        if isinstance(start, int):
            return bits[:, start : start + length].astype(np.int64) @ w
        idx = start[:, None] + np.arange(length)[None, :]
        return np.take_along_axis(bits, idx, axis=1).astype(np.int64) @ w

    mtype = field_(0, 6)
    b = mtype == 18
    # type 18 fields sit 4 bits earlier than types 1-3 (no status/rot, 8 reserved bits)
    off = np.where(b, -4, 0)
    sog = field_(50 + off, 10).astype(np.float64)
    lon = _signed(field_(61 + off, 28), 28) / 600000.0
    lat = _signed(field_(89 + off, 27), 27) / 600000.0
    cog = field_(116 + off, 12).astype(np.float64)
    hdg = field_(128 + off, 9).astype(np.float64)
    status = field_(38, 4)
    return {
        "msg_type": mtype,
        "mmsi": field_(8, 30),
        "lat": lat,
        "lon": lon,
        "sog_kn": np.where(sog == 1023, _NAN, sog / 10.0),
        "cog_deg": np.where(cog >= 3600, _NAN, cog / 10.0),
        "heading_deg": np.where(hdg == 511, _NAN, hdg),
        "nav_status": np.where(b, -1, status),
    }


@dataclass
class _Pending:
    parts: dict[int, str] = field(default_factory=dict)
    count: int = 0
    time: float | None = None
    fill: int = 0


class NmeaDecoder:
    """Stateful AIS decoder: feed it lines chunk by chunk, it keeps multi-part state between.

    Counters: ``sentences`` (AIS sentences seen), ``messages`` (complete messages decoded),
    ``malformed`` (with ``reasons``), ``other`` (valid non-AIS NMEA, e.g. ``$GPGGA``).

    Examples
    --------
    >>> d = NmeaDecoder()
    >>> pos, static = d.feed([
    ...     "\\\\c:1635731889*00\\\\!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23",
    ...     "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
    ...     "!AIVDM,2,2,1,A,88888888880,2*25",
    ...     "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*24",
    ...     "not nmea"])
    >>> len(pos), str(pos.time.iloc[0]), static.name.iloc[0], d.malformed
    (1, '2021-11-01 01:58:09+00:00', 'EVER DIADEM', 2)
    >>> sorted(d.reasons.items())
    [('bad checksum', 1), ('not an NMEA sentence', 1)]
    """

    def __init__(self, source: str = "") -> None:
        self.source = source
        self.sentences = 0
        self.messages = 0
        self.malformed = 0
        self.other = 0
        self.reasons: Counter[str] = Counter()
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._gh_time: float | None = None

    def _bad(self, why: str, n: int = 1) -> None:
        self.malformed += n
        self.reasons[why] += n

    def feed(self, lines: Iterable[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Decode a chunk of lines; returns (positions, static) of the complete messages."""
        bodies: list[str] = []
        sums: list[str] = []
        times: list[float | None] = []
        fields_: list[list[str]] = []
        # bound methods as locals: this loop runs once per sentence of the log
        add_body, add_sum, add_time, add_fields = (
            bodies.append,
            sums.append,
            times.append,
            fields_.append,
        )
        bad = self._bad
        n_other = n_sent = 0
        for raw in lines:
            line = raw.rstrip()
            if not line or line[0] == "#":
                continue
            t: float | None = None
            if line[0] == "\\":
                j = line.find("\\", 1)
                if j < 0:
                    bad("unterminated tag block")
                    continue
                k = line.find("c:", 1, j)
                if k > 0:
                    e = k + 2
                    while e < j and line[e] not in ",*":
                        e += 1
                    t = _epoch(line[k + 2 : e])
                line = line[j + 1 :]
            c0 = line[:1]
            if c0 == "$":
                if line.startswith("$PGHP"):
                    self._gh_time = _gatehouse_time(line)
                n_other += 1
                continue
            if c0 != "!" or line[3:6] not in ("VDM", "VDO"):
                bad("not an NMEA sentence")
                continue
            n_sent += 1
            star = line.find("*")
            if star < 0:
                bad("no checksum")
                continue
            body = line[1:star]
            f = body.split(",")
            if len(f) != 7:
                bad("wrong number of fields")
                continue
            if t is None:
                if len(line) > star + 3:
                    for extra in line[star + 4 :].split(","):
                        if extra.isdigit() and 9 <= len(extra) <= 13:
                            t = _epoch(extra)
                            break
                if t is None and self._gh_time is not None:
                    t = self._gh_time
            self._gh_time = None  # a $PGHP dates the one sentence after it
            add_body(body)
            add_sum(line[star + 1 : star + 3])
            add_time(t)
            add_fields(f)
        self.other += n_other
        self.sentences += n_sent
        if not bodies:
            return empty_ais(), empty_static()
        # checksum of every sentence at once: XOR-reduce the bytes between '!' and '*'
        buf = np.frombuffer("".join(bodies).encode("ascii", "replace"), np.uint8)
        starts = np.cumsum([0] + [len(b) for b in bodies[:-1]])
        xor = np.bitwise_xor.reduceat(buf, starts).tolist()
        fast_payloads: list[str] = []
        fast_times: list[float | None] = []
        slow: list[tuple[dict[str, Any], float | None]] = []
        add_fast, add_ftime = fast_payloads.append, fast_times.append
        n_slow = 0
        for f, cs, x, t in zip(fields_, sums, xor, times, strict=True):
            try:
                ok = int(cs, 16) == x
            except ValueError:
                ok = False
            if not ok:
                bad("bad checksum")
                continue
            payload = f[5]
            if not payload:
                bad("empty payload")
                continue
            if f[1] == "1":
                if payload[0] in _FAST_TYPES and 23 <= len(payload) <= 28:
                    add_fast(payload)
                    add_ftime(t)
                    continue
                d = decode_payload(payload, int(f[6] or 0))
                if d is None:
                    bad("undecodable payload")
                    continue
                n_slow += 1
                slow.append((d, t))
                continue
            self._fragment(f, t, slow)
        self.messages += len(fast_payloads) + n_slow
        pos = self._positions(fast_payloads, fast_times, slow)
        return pos, self._static(slow)

    def _fragment(
        self, f: list[str], t: float | None, out: list[tuple[dict[str, Any], float | None]]
    ) -> None:
        try:
            count, num = int(f[1]), int(f[2])
        except ValueError:
            count = num = 0
        if not 1 <= num <= count <= 9:
            self._bad("bad fragment numbers")
            return
        key = (f[3], f[4])
        p = self._pending.get(key)
        if num == 1:
            if p is not None:  # a new message reused the sequence id: the old one lost parts
                self._bad("incomplete multi-part message", len(p.parts))
            p = _Pending(count=count, time=t)
            self._pending[key] = p
        elif p is None or p.count != count or num in p.parts:
            self._bad("fragment without its first part")
            return
        p.parts[num] = f[5]
        if p.time is None:
            p.time = t
        if len(p.parts) == count:
            del self._pending[key]
            payload = "".join(p.parts[k] for k in range(1, count + 1))
            d = decode_payload(payload, int(f[6] or 0))
            if d is None:
                self._bad("undecodable payload", count)
                return
            self.messages += 1
            out.append((d, p.time))

    def finish(self) -> None:
        """Count fragments still waiting for their siblings at the end of the log as malformed."""
        for p in self._pending.values():
            self._bad("incomplete multi-part message", len(p.parts))
        self._pending.clear()

    def _positions(
        self,
        payloads: list[str],
        times: list[float | None],
        slow: list[tuple[dict[str, Any], float | None]],
    ) -> pd.DataFrame:
        frames = []
        if payloads:
            cols: dict[str, Any] = _fast_positions(payloads)
            cols["time"] = pd.to_datetime(
                np.array([_NAN if t is None else t for t in times]), unit="s", utc=True
            )
            df = pd.DataFrame(cols)
            df["nav_status"] = df["nav_status"].where(df["nav_status"] >= 0)
            frames.append(df)
        rows = [
            {
                "time": _NAN if t is None else t,
                "msg_type": d["msg_type"],
                "mmsi": d["mmsi"],
                "lat": d.get("lat"),
                "lon": d.get("lon"),
                "sog_kn": d.get("speed"),
                "cog_deg": d.get("course"),
                "heading_deg": d.get("heading"),
                "nav_status": d.get("status"),
            }
            for d, t in slow
            if d.get("msg_type") in (1, 2, 3, 18, 19, 27) and d.get("lat") is not None
        ]
        if rows:
            df = pd.DataFrame(rows)
            df["time"] = pd.to_datetime(df["time"], unit="s", utc=True)
            df["nav_status"] = pd.to_numeric(df["nav_status"], errors="coerce")
            # pyais keeps "not available" sentinels; blank them as the fast path does
            df.loc[df["sog_kn"] >= 102.3, "sog_kn"] = _NAN
            df.loc[df["cog_deg"] >= 360, "cog_deg"] = _NAN
            df.loc[df["heading_deg"] == 511, "heading_deg"] = _NAN
            frames.append(df)
        if not frames:
            return empty_ais()
        out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        out["source"] = self.source
        ok = out["lat"].between(-90, 90) & out["lon"].between(-180, 180)
        out = out[ok]
        return pd.DataFrame(
            {
                c: out[c].astype(t) if c != "nav_status" else out[c].astype("Int64")
                for c, t in AIS_COLUMNS.items()
            }
        ).reset_index(drop=True)

    @staticmethod
    def _static(slow: list[tuple[dict[str, Any], float | None]]) -> pd.DataFrame:
        rows = []
        for d, _t in slow:
            mt = d.get("msg_type")
            if mt not in (5, 19, 24):
                continue

            def dim(a: str, b: str, d: dict[str, Any] = d) -> float:
                x, y = d.get(a), d.get(b)
                return float(x + y) if x is not None and y is not None and x + y > 0 else _NAN

            rows.append(
                {
                    "mmsi": d["mmsi"],
                    "name": (d.get("shipname") or "").strip("@ ") or None,
                    "callsign": (d.get("callsign") or "").strip("@ ") or None,
                    "imo": d.get("imo") or None,
                    "ship_type": int(d["ship_type"]) if d.get("ship_type") is not None else None,
                    "length_m": dim("to_bow", "to_stern"),
                    "width_m": dim("to_port", "to_starboard"),
                    "draught_m": d.get("draught") or _NAN,
                    "destination": (d.get("destination") or "").strip("@ ") or None,
                }
            )
        if not rows:
            return empty_static()
        df = pd.DataFrame(rows)
        out = pd.DataFrame(index=df.index)
        for c, t in STATIC_COLUMNS.items():
            s = df[c]
            out[c] = (
                s.astype("string") if t == "string" else pd.to_numeric(s, errors="coerce").astype(t)
            )
        return out


def iter_nmea(
    path: Path, chunk_lines: int = 200_000, decoder: NmeaDecoder | None = None
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Stream a log as (positions, static) chunks; memory stays bounded by ``chunk_lines``.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "log.nmea"
    >>> _ = p.write_text("!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23\\n")
    >>> [len(pos) for pos, _ in iter_nmea(p)]
    [1]
    """
    dec = decoder or NmeaDecoder(path.name)
    with path.open("r", encoding="ascii", errors="replace") as fh:
        while True:
            lines = fh.readlines(chunk_lines * 60)  # ~60 bytes a sentence
            if not lines:
                break
            yield dec.feed(lines)
    dec.finish()


def read_nmea(path: Path) -> ReadResult:
    """Read a whole AIS NMEA log into a :class:`ReadResult` (static data deduplicated).

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "log.nmea"
    >>> _ = p.write_text("!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23\\nfoobar\\n")
    >>> r = read_nmea(p)
    >>> len(r.points), r.messages, r.malformed
    (1, 1, 1)
    """
    dec = NmeaDecoder(path.name)
    pos_parts, static_parts = [], []
    for pos, static in iter_nmea(path, decoder=dec):
        pos_parts.append(pos)
        static_parts.append(static)
    pos = pd.concat(pos_parts, ignore_index=True) if pos_parts else empty_ais()
    static = pd.concat(static_parts, ignore_index=True) if static_parts else empty_static()
    if len(pos_parts) == 0:
        pos = empty_ais()
    notes = [f"{n} {why}" for why, n in sorted(dec.reasons.items())]
    if dec.other:
        notes.append(f"{dec.other} other NMEA sentences ignored")
    if len(pos) and pos["time"].isna().all():
        notes.append("no timestamps in this log: positions are undated")
    return ReadResult(
        "sea",
        "nmea",
        pos,
        static=static.drop_duplicates().reset_index(drop=True),
        messages=dec.messages,
        malformed=dec.malformed,
        skipped=dec.other + dec.messages - len(pos),
        notes=notes,
    )


def _worker(path: str, chunk_lines: int, queue: Any) -> None:
    """Child process of :func:`iter_nmea_parallel`: decode and hand chunks over."""
    dec = NmeaDecoder(Path(path).name)
    try:
        for pos, static in iter_nmea(Path(path), chunk_lines=chunk_lines, decoder=dec):
            queue.put(("chunk", pos, static, dec.sentences + dec.other + dec.malformed))
        queue.put(
            ("done", dec.messages, dec.malformed, dec.other, dict(dec.reasons), dec.sentences)
        )
    except BaseException as exc:  # the parent re-raises; a silent child would hang it
        queue.put(("error", repr(exc)))


def iter_nmea_parallel(
    path: Path, chunk_lines: int = 200_000, decoder: NmeaDecoder | None = None
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Like :func:`iter_nmea`, but decoding runs in a second process.

    The caller (storing chunks) and the decoder then use two cores. The queue holds at most
    two chunks, so memory stays bounded. ``decoder`` receives the final counters.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "log.nmea"
    >>> _ = p.write_text("!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23\\nfoo\\n")
    >>> d = NmeaDecoder()
    >>> [len(pos) for pos, _ in iter_nmea_parallel(p, decoder=d)], d.malformed
    ([1], 1)
    """
    import multiprocessing as mp

    methods = mp.get_all_start_methods()
    # fork starts in milliseconds; spawn re-imports pandas and sitewatch first
    ctx = mp.get_context("fork" if "fork" in methods else "spawn")
    queue = ctx.Queue(maxsize=2)
    proc = ctx.Process(  # type: ignore[attr-defined]
        target=_worker, args=(str(path), chunk_lines, queue), daemon=True
    )
    proc.start()
    dec = decoder if decoder is not None else NmeaDecoder(path.name)
    try:
        while True:
            item = queue.get()
            if item[0] == "chunk":
                dec.sentences = int(item[3])  # lines seen so far, for progress bars
                yield item[1], item[2]
            elif item[0] == "done":
                dec.messages, dec.malformed, dec.other = item[1], item[2], item[3]
                dec.reasons = Counter(item[4])
                dec.sentences = item[5]
                break
            else:
                raise RuntimeError(f"AIS decoder process failed: {item[1]}")
    finally:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
