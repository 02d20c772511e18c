"""Store round-trips on SQLite and on PostgreSQL: sites, passes, evidence, history."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely

from sitewatch.errors import NotFoundError, SitewatchError
from sitewatch.evidence import EvidenceItem, EvidenceKind, Grade
from sitewatch.imagery import Frame, Pass
from sitewatch.sites import Site, SiteKind
from sitewatch.store import HEAD_REVISION, Workspace, evidence_repo, passes_repo, sites_repo


def test_new_workspace_is_migrated_and_seeded(any_ws: Workspace) -> None:
    assert any_ws.schema_revision() == HEAD_REVISION
    slugs = [s.slug for s in sites_repo.list_sites(any_ws)]
    assert len(slugs) == 16
    assert slugs[:2] == ["hmeimim", "tartus"]
    tartus = sites_repo.get_site(any_ws, "Tartous")  # an alias
    assert tartus.slug == "tartus"
    assert tartus.radius_m == 800
    assert tartus.geometry is not None and tartus.geometry.equals(shapely.Point(35.874, 34.915))
    kobani = sites_repo.get_site(any_ws, "kobani")
    assert kobani.geometry is None and kobani.approximate


def test_site_pass_evidence_round_trip(any_ws: Workspace) -> None:
    poly = shapely.from_wkt("POLYGON((10 10, 10.01 10, 10.01 10.01, 10 10.01, 10 10))")
    site = sites_repo.add_site(
        any_ws,
        Site(
            slug="test-field",
            name="Test Field",
            kind=SiteKind.AIRPORT,
            geometry=poly,
            aliases=("TF",),
            properties={"note": "ü"},
        ),
    )
    assert site.id is not None
    when = datetime(2024, 12, 13, 8, 41, tzinfo=UTC)
    p = Pass(
        site_slug="test-field",
        path="/x/a.tif",
        sha256="a" * 64,
        file_size=10,
        width=100,
        height=50,
        band_count=3,
        frame=Frame.MAP,
        gsd_m=0.5,
        acquired_at=when,
        sensor="WV3",
        crs="EPSG:32636",
        transform=(0.5, 0, 1, 0, -0.5, 2),
        footprint=poly,
    )
    stored = passes_repo.add_pass(any_ws, p)
    assert stored.created
    again = passes_repo.add_pass(any_ws, p)
    assert not again.created and again.pass_.id == stored.pass_.id
    back = passes_repo.get_pass(any_ws, stored.pass_.id or 0)
    assert back.acquired_at == when and back.transform == p.transform
    assert back.footprint is not None and back.footprint.equals(poly)
    sites_repo.set_baseline(any_ws, "TF", back.id or 0)
    assert sites_repo.get_site(any_ws, "test-field").baseline_pass_id == back.id

    item = EvidenceItem(
        kind=EvidenceKind.NEWS_REPORT,
        claim="Two An-124 seen.",
        grade=Grade("B", 3),
        time_start=when,
        site_slug="test-field",
        tags=("a", "b"),
        origin_key="k1",
        meta={"x": 1},
    )
    res = evidence_repo.add_evidence(any_ws, [item, item])
    assert len(res.added) == 1 and len(res.skipped) == 1
    eid = res.added[0]
    evidence_repo.grade_evidence(any_ws, eid, Grade("A", 2), rationale="own check", user="ana")
    evidence_repo.update_evidence(any_ws, eid, user="bob", claim="Two An-124s seen.")
    got = evidence_repo.get_evidence(any_ws, eid)
    assert str(got.grade) == "A2" and got.claim == "Two An-124s seen."
    assert got.site_slug == "test-field" and got.tags == ("a", "b") and got.meta == {"x": 1}
    hist = evidence_repo.history(any_ws, eid)
    assert [(h.field, h.old_value, h.new_value, h.changed_by) for h in hist] == [
        ("reliability", "B", "A", "ana"),
        ("credibility", 3, 2, "ana"),
        ("grade_rationale", None, "own check", "ana"),
        ("claim", "Two An-124 seen.", "Two An-124s seen.", "bob"),
    ]


def test_history_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    with Workspace.open(path) as ws:
        res = evidence_repo.add_evidence(
            ws, [EvidenceItem(kind=EvidenceKind.NOTE, claim="x", grade=Grade("F", 6))]
        )
        evidence_repo.grade_evidence(ws, res.added[0], Grade("C", 3), rationale="r", user="u")
    with Workspace.open(path) as ws:
        assert len(evidence_repo.history(ws, res.added[0])) == 3
        assert len(sites_repo.list_sites(ws)) == 16  # not seeded twice


def test_duplicate_site_name_is_refused(any_ws: Workspace) -> None:
    with pytest.raises(SitewatchError, match="already used by site 'hmeimim'"):
        sites_repo.add_site(
            any_ws, Site(slug="other", name="X", kind=SiteKind.OTHER, aliases=("Khmeimim",))
        )


def test_unknown_things_are_clear_errors(any_ws: Workspace) -> None:
    with pytest.raises(NotFoundError, match="unknown site 'atlantis'; known sites: hmeimim"):
        sites_repo.get_site(any_ws, "atlantis")
    with pytest.raises(NotFoundError, match="no pass 99"):
        passes_repo.get_pass(any_ws, 99)
    with pytest.raises(NotFoundError, match="no evidence item 5"):
        evidence_repo.get_evidence(any_ws, 5)


def test_naive_datetimes_are_refused(ws: Workspace) -> None:
    item = EvidenceItem(
        kind=EvidenceKind.NOTE, claim="x", grade=Grade("F", 6), time_start=datetime(2024, 1, 1)
    )
    with pytest.raises(Exception, match="naive datetime"):
        evidence_repo.add_evidence(ws, [item])
    assert evidence_repo.list_evidence(ws) == []


def test_bad_workspace_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SitewatchError, match="does not exist"):
        Workspace.open(tmp_path / "missing" / "w.db")
    bad = tmp_path / "not-a-db.db"
    bad.write_text("hello, I am not SQLite")
    with pytest.raises(SitewatchError, match="cannot"):
        Workspace.open(bad)
