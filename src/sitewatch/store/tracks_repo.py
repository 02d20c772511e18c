"""Tracks in the workspace: import files (idempotent by sha256), read points back as frames.

Points go in with SQLAlchemy Core ``insert()`` and a list of parameter sets (one
``executemany`` per chunk): the ORM's per-object bookkeeping would cost more than the decoding.
AIS NMEA logs are streamed chunk by chunk, so memory stays bounded whatever the log's size;
their voyages are cut on the fly from the last time seen per vessel (the same result as
:func:`sitewatch.tracks.segment.segment` when a log is in time order per vessel, as receiver
logs are).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, delete, insert, select

from sitewatch.errors import InputError, SitewatchError
from sitewatch.store.tables.tracks import (
    AdsbPointRow,
    AisPointRow,
    TrackFileRow,
    TrackRow,
    VesselStaticRow,
)
from sitewatch.store.workspace import Workspace
from sitewatch.tracks.nmea import NmeaDecoder, iter_nmea, iter_nmea_parallel
from sitewatch.tracks.readers import is_nmea, read_track_file
from sitewatch.tracks.schema import (
    ADSB_COLUMNS,
    AIS_COLUMNS,
    STATIC_COLUMNS,
    ReadResult,
    join_static,
)
from sitewatch.tracks.segment import VOYAGE_GAP, segment, track_summary

__all__ = [
    "ImportSummary",
    "file_sha256",
    "import_track_file",
    "list_track_files",
    "load_adsb",
    "load_ais",
    "remove_track_file",
]

Progress = Callable[[int], None]

# the mapped classes' tables, typed as Core tables for insert()/delete()
_FILES = cast(Table, TrackFileRow.__table__)
_TRACKS = cast(Table, TrackRow.__table__)
_ADSB_T = cast(Table, AdsbPointRow.__table__)
_AIS_T = cast(Table, AisPointRow.__table__)
_STATIC_T = cast(Table, VesselStaticRow.__table__)

#: NMEA logs larger than this are decoded in a second process (a fork costs ~50 ms; worth it
#: from a few hundred thousand sentences on)
PARALLEL_BYTES = 8_000_000


@dataclass(frozen=True)
class ImportSummary:
    """What one import did: counts, or ``skipped`` when the same bytes were imported before."""

    path: str
    sha256: str
    file_id: int
    domain: str
    format: str
    messages: int
    points: int
    tracks: int
    malformed: int
    skipped: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in blocks.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "a"
    >>> _ = p.write_bytes(b"")
    >>> file_sha256(p)[:12]
    'e3b0c44298fc'
    """
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _ms(s: pd.Series) -> list[Any]:
    """UTC times to epoch ms (None for NaT)."""
    v = (
        s.astype("datetime64[ns, UTC]").to_numpy(dtype="datetime64[ns]").astype("int64")
        // 1_000_000
    )
    out: list[Any] = np.where(s.isna().to_numpy(), cast(Any, None), v).tolist()
    return out


def _col(s: pd.Series) -> list[Any]:
    """A column as Python values with missing values as None (NaN would be stored as NaN)."""
    if s.dtype == "float64":
        a = s.to_numpy()
        vals: list[Any] = np.where(np.isnan(a), cast(Any, None), a).tolist()
        return vals
    objs: list[Any] = s.astype(object).where(s.notna(), None).tolist()
    return objs


def _rows(
    df: pd.DataFrame, cols: list[str], file_id: int
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and row tuples (no per-row dicts: a chunk of them would double the RSS)."""
    data = [(_ms(df[c]) if c == "time" else _col(df[c])) for c in cols]
    names = ["file_id", *("time_ms" if c == "time" else c for c in cols)]
    return names, list(zip([file_id] * len(df), *data, strict=True))


_ADSB = [*ADSB_COLUMNS, "track_seq"]
_AIS = [*AIS_COLUMNS, "track_seq"]


def _bulk(conn: Connection, table: Any, keys: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Core ``insert()`` executemany.

    On SQLite the compiled statement goes straight to the driver with tuples, skipping
    SQLAlchemy's per-row parameter processing: these columns are plain numbers and text that
    need none, and that processing cost more than the decoding.
    """
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), [dict(zip(keys, r, strict=True)) for r in rows])
        return
    stmt = insert(table).compile(dialect=conn.dialect, column_keys=keys)
    pos = {k: i for i, k in enumerate(keys)}
    order = [pos[k] for k in (stmt.positiontup or keys)]
    if order != list(range(len(keys))):
        rows = [tuple(r[i] for i in order) for r in rows]
    conn.exec_driver_sql(str(stmt), rows)


def _insert_points(conn: Connection, df: pd.DataFrame, domain: str, file_id: int) -> None:
    if df.empty:
        return
    table = _ADSB_T if domain == "air" else _AIS_T
    _bulk(conn, table, *_rows(df, _ADSB if domain == "air" else _AIS, file_id))


def _insert_static(conn: Connection, static: pd.DataFrame, file_id: int) -> None:
    if static.empty:
        return
    static = static.drop_duplicates()
    _bulk(conn, _STATIC_T, *_rows(static, list(STATIC_COLUMNS), file_id))


def _pytimes(s: pd.Series) -> list[datetime | None]:
    """UTC-aware datetimes (None for NaT), converted once for the whole column."""
    t = pd.to_datetime(s, utc=True).dt.floor("us")
    return [None if pd.isna(x) else x for x in t.dt.to_pydatetime()]


def _insert_tracks(conn: Connection, summary: pd.DataFrame, domain: str, file_id: int) -> None:
    if summary.empty:
        return
    labels = summary["label"].astype("string").str.slice(0, 120)
    rows = [
        {
            "file_id": file_id,
            "domain": domain,
            "ident": ident,
            "seq": seq,
            "label": None if pd.isna(label) else label,
            "start_time": t0,
            "end_time": t1,
            "n_points": n,
        }
        for ident, seq, label, t0, t1, n in zip(
            summary["ident"].astype(str).tolist(),
            summary["track_seq"].astype("int64").tolist(),
            labels.tolist(),
            _pytimes(summary["start"]),
            _pytimes(summary["end"]),
            summary["n_points"].astype("int64").tolist(),
            strict=True,
        )
    ]
    # times pass through UTCDateTime, so this (much smaller) table keeps Core's parameter handling
    conn.execute(insert(_TRACKS), rows)


def _new_file(conn: Connection, path: Path, sha: str) -> int:
    res = conn.execute(
        insert(_FILES).values(
            path=str(path),
            sha256=sha,
            domain="?",
            format="?",
            n_messages=0,
            n_points=0,
            n_tracks=0,
            n_malformed=0,
            notes=[],
            imported_at=datetime.now(UTC),
        )
    )
    pk = res.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def _finish_file(conn: Connection, file_id: int, **values: Any) -> None:
    conn.execute(_FILES.update().where(_FILES.c.id == file_id).values(**values))


class _OnlineVoyages:
    """Cut voyages while streaming: remembers the last time and voyage number per vessel."""

    def __init__(self, gap: pd.Timedelta = VOYAGE_GAP) -> None:
        self.gap_ms = int(gap / pd.Timedelta(milliseconds=1))
        self.last: dict[int, int] = {}
        self.seq: dict[int, int] = {}
        self.parts: list[pd.DataFrame] = []

    def assign(self, pos: pd.DataFrame) -> pd.DataFrame:
        if pos.empty:
            pos["track_seq"] = pd.Series([], dtype="int64")
            return pos
        pos = pos.sort_values(["mmsi", "time"], kind="stable", na_position="first")
        mm = pos["mmsi"].to_numpy()
        t = pos["time"].to_numpy(dtype="datetime64[ns]").astype("int64") // 1_000_000
        nat = pos["time"].isna().to_numpy()
        seq = np.empty(len(pos), dtype=np.int64)
        # the loop is over vessels in the chunk, not over points
        starts = np.flatnonzero(np.r_[True, mm[1:] != mm[:-1]])
        ends = np.r_[starts[1:], len(mm)]
        for a, b in zip(starts, ends, strict=True):
            m = int(mm[a])
            tt = t[a:b]
            dated = ~nat[a:b]
            prev = np.r_[self.last.get(m, 0), tt[:-1]]
            prevdated = np.r_[m in self.last, dated[:-1]]
            brk = dated & prevdated & (tt - prev > self.gap_ms)
            s = self.seq.get(m, 0) + np.cumsum(brk)
            seq[a:b] = s
            self.seq[m] = int(s[-1])
            if dated.any():
                self.last[m] = int(tt[dated][-1])
        pos = pos.assign(track_seq=seq)
        self.parts.append(
            pos.assign(ident=pos["mmsi"].astype(str))
            .groupby(["ident", "track_seq"])
            .agg(start=("time", "min"), end=("time", "max"), n_points=("time", "size"))
            .reset_index()
        )
        return pos

    def summary(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=["ident", "track_seq", "start", "end", "n_points", "label"])
        g = (
            pd.concat(self.parts)
            .groupby(["ident", "track_seq"])
            .agg(start=("start", "min"), end=("end", "max"), n_points=("n_points", "sum"))
            .reset_index()
        )
        g["label"] = pd.NA
        return g


def _stream_nmea(
    ws: Workspace, path: Path, file_id: int, progress: Progress | None, chunk_lines: int
) -> ReadResult:
    dec = NmeaDecoder(path.name)
    voy = _OnlineVoyages()
    n_points = 0
    statics = []
    done = 0
    with ws.engine.begin() as conn:
        # large logs: decode in a second process while this one stores (two cores)
        big = path.stat().st_size > PARALLEL_BYTES
        chunks = (iter_nmea_parallel if big else iter_nmea)(path, chunk_lines, dec)
        for pos, static in chunks:
            pos = voy.assign(pos)
            _insert_points(conn, pos, "sea", file_id)
            n_points += len(pos)
            if not static.empty:
                statics.append(static.drop_duplicates())
            if progress is not None:
                seen = dec.sentences + dec.other + dec.malformed
                progress(seen - done)
                done = seen
        static_all = pd.concat(statics).drop_duplicates() if statics else pd.DataFrame()
        if len(static_all):
            _insert_static(conn, static_all, file_id)
        summary = voy.summary()
        names = (
            static_all.dropna(subset=["name"]).drop_duplicates("mmsi", keep="last")
            if len(static_all)
            else None
        )
        if names is not None and len(names):
            label = dict(zip(names["mmsi"].astype(str), names["name"], strict=True))
            summary["label"] = summary["ident"].map(label)
        _insert_tracks(conn, summary, "sea", file_id)
        notes = [f"{n} {why}" for why, n in sorted(dec.reasons.items())]
        if dec.other:
            notes.append(f"{dec.other} other NMEA sentences ignored")
        _finish_file(
            conn,
            file_id,
            domain="sea",
            format="nmea",
            n_messages=dec.messages,
            n_points=n_points,
            n_tracks=len(summary),
            n_malformed=dec.malformed,
            notes=notes,
        )
    r = ReadResult(
        "sea", "nmea", pd.DataFrame(), messages=dec.messages, malformed=dec.malformed, notes=notes
    )
    r.skipped = n_points  # carries the point count back without holding the points
    r.static = pd.DataFrame({"n_tracks": [len(summary)]})
    return r


def import_track_file(
    ws: Workspace,
    path: Path,
    *,
    progress: Progress | None = None,
    chunk_lines: int = 200_000,
) -> ImportSummary:
    """Import one ADS-B or AIS file; the same bytes imported again are skipped.

    Raises
    ------
    sitewatch.errors.InputError
        When the file is not a track file sitewatch reads (nothing is stored).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> ws = Workspace.open(d / "ws.db", seed=False)
    >>> p = d / "log.nmea"
    >>> _ = p.write_text("!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23\\nfoo\\n")
    >>> s = import_track_file(ws, p)
    >>> s.points, s.tracks, s.malformed, import_track_file(ws, p).skipped
    (1, 1, 1, True)
    >>> ws.close()
    """
    sha = file_sha256(path)
    with ws.session() as s:
        old = s.scalars(select(TrackFileRow).where(TrackFileRow.sha256 == sha)).first()
        if old is not None:
            return ImportSummary(
                str(path),
                sha,
                old.id,
                old.domain,
                old.format,
                old.n_messages,
                old.n_points,
                old.n_tracks,
                old.n_malformed,
                skipped=True,
                notes=tuple(old.notes or ()),
            )
    with path.open("rb") as fh:
        head = fh.read(8192)
    if is_nmea(head):
        with ws.engine.begin() as conn:
            file_id = _new_file(conn, path, sha)
        try:
            r = _stream_nmea(ws, path, file_id, progress, chunk_lines)
        except Exception as exc:
            remove_track_file(ws, file_id)  # no half-imported file is left behind
            if isinstance(exc, SitewatchError):
                raise
            raise InputError(
                f"import failed ({type(exc).__name__}: {exc})", path=path.name
            ) from exc
        return ImportSummary(
            str(path),
            sha,
            file_id,
            "sea",
            "nmea",
            r.messages,
            r.skipped,
            int(r.static["n_tracks"].iloc[0]),
            r.malformed,
            notes=tuple(r.notes),
        )
    r = read_track_file(path)  # raises InputError with the reason for files it cannot read
    seg = segment(r.points)
    summary = track_summary(seg)
    if r.domain == "sea" and len(r.static):
        names = r.static.dropna(subset=["name"]).drop_duplicates("mmsi", keep="last")
        summary["label"] = summary["ident"].map(
            dict(zip(names["mmsi"].astype(str), names["name"], strict=True))
        )
    with ws.engine.begin() as conn:
        file_id = _new_file(conn, path, sha)
        step = 100_000
        for i in range(0, len(seg), step):
            _insert_points(conn, seg.iloc[i : i + step], r.domain, file_id)
            if progress is not None:
                progress(min(step, len(seg) - i))
        _insert_static(conn, r.static, file_id)
        _insert_tracks(conn, summary, r.domain, file_id)
        _finish_file(
            conn,
            file_id,
            domain=r.domain,
            format=r.format,
            n_messages=r.messages,
            n_points=len(seg),
            n_tracks=len(summary),
            n_malformed=r.malformed,
            notes=r.notes,
        )
    return ImportSummary(
        str(path),
        sha,
        file_id,
        r.domain,
        r.format,
        r.messages,
        len(seg),
        len(summary),
        r.malformed,
        notes=tuple(r.notes),
    )


def remove_track_file(ws: Workspace, file_id: int) -> None:
    """Delete a file and everything imported from it."""
    with ws.engine.begin() as conn:
        for t in (_ADSB_T, _AIS_T, _STATIC_T, _TRACKS):
            conn.execute(delete(t).where(t.c.file_id == file_id))
        conn.execute(delete(_FILES).where(_FILES.c.id == file_id))


def list_track_files(ws: Workspace) -> list[ImportSummary]:
    """Every imported file, oldest first."""
    with ws.session() as s:
        return [
            ImportSummary(
                r.path,
                r.sha256,
                r.id,
                r.domain,
                r.format,
                r.n_messages,
                r.n_points,
                r.n_tracks,
                r.n_malformed,
                notes=tuple(r.notes or ()),
            )
            for r in s.scalars(select(TrackFileRow).order_by(TrackFileRow.id))
        ]


def _window(q: Any, table: Any, start: datetime | None, end: datetime | None, bbox: Any) -> Any:
    c = table.c
    if start is not None:
        q = q.where(c.time_ms >= int(start.timestamp() * 1000))
    if end is not None:
        q = q.where(c.time_ms < int(end.timestamp() * 1000))
    if bbox is not None:
        w, s, e, n = bbox
        q = q.where(c.lon >= w, c.lon <= e, c.lat >= s, c.lat <= n)
    return q


def _frame(ws: Workspace, q: Any) -> pd.DataFrame:
    with ws.engine.connect() as conn:
        res = conn.execute(q)
        return pd.DataFrame(res.fetchall(), columns=list(res.keys()))


def load_adsb(
    ws: Workspace,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> pd.DataFrame:
    """ADS-B points (normalised columns plus ``file_id``, ``ident``, ``track_seq``).

    ``bbox`` is (west, south, east, north) in degrees; times are UTC-aware.
    """
    t = _ADSB_T
    df = _frame(ws, _window(select(t), t, start, end, bbox))
    if df.empty:
        from sitewatch.tracks.schema import empty_adsb

        out = empty_adsb()
        for c in ("file_id", "track_seq"):
            out[c] = pd.Series([], dtype="int64")
        out["ident"] = pd.Series([], dtype="string")
        return out
    df["time"] = pd.to_datetime(df.pop("time_ms"), unit="ms", utc=True)
    for c, dt in ADSB_COLUMNS.items():
        if c != "time":
            df[c] = df[c].astype(dt)
    df["ident"] = df["icao24"].fillna(df["callsign"]).fillna("unknown")
    return df.drop(columns=["id"]).sort_values(["ident", "time"]).reset_index(drop=True)


def load_ais(
    ws: Workspace,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    include_undated: bool = True,
) -> pd.DataFrame:
    """AIS points with the vessel's static data joined (latest report per MMSI).

    Undated points (logs without times) are kept unless a time window is given or
    ``include_undated`` is false.
    """
    t = _AIS_T
    df = _frame(ws, _window(select(t), t, start, end, bbox))
    if not include_undated and len(df):
        df = df[df["time_ms"].notna()]
    st = _frame(ws, select(_STATIC_T).order_by(_STATIC_T.c.id))
    if df.empty:
        from sitewatch.tracks.schema import empty_ais

        out = empty_ais()
        for c in ("name", "ship_type", "length_m", "width_m"):
            out[c] = pd.Series([], dtype="object")
        out["file_id"] = pd.Series([], dtype="int64")
        out["track_seq"] = pd.Series([], dtype="int64")
        return out
    df["time"] = pd.to_datetime(df.pop("time_ms"), unit="ms", utc=True)
    for c, dt in AIS_COLUMNS.items():
        if c != "time":
            df[c] = (
                df[c].astype(dt) if dt not in ("Int64",) else pd.to_numeric(df[c]).astype("Int64")
            )
    if len(st):
        st = st.drop(columns=["id", "file_id", "extra"])
    df = join_static(df, st)
    df["ident"] = df["mmsi"].astype(str)
    return df.drop(columns=["id"]).sort_values(["mmsi", "time"]).reset_index(drop=True)
