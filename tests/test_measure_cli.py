"""``sitewatch catalogue`` and ``sitewatch identify``."""

from __future__ import annotations

import pytest

from tests.clirun import run


def test_catalogue_list_json_by_class(capsys: pytest.CaptureFixture[str]) -> None:
    r = run(capsys, "catalogue", "list", "--class", "ship", "--json")
    assert r.code == 0
    rows = r.json()
    assert rows and all(x["class"] == "ship" for x in rows)
    assert any(x["name"].startswith("Admiral Grigorovich") for x in rows)


def test_catalogue_show_and_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    r = run(capsys, "catalogue", "show", "An-124", "--json")
    assert r.code == 0 and r.json()["sources"]["length"].startswith("http")
    r = run(capsys, "catalogue", "show", "Zeppelin NT")
    assert r.code == 1 and "no catalogue type" in r.err


def test_identify_json(capsys: pytest.CaptureFixture[str]) -> None:
    r = run(
        capsys, "identify", "--class", "aircraft", "--length", "69", "--length-sd", "2", "--json"
    )
    assert r.code == 0
    out = r.json()
    assert out["candidates"][0]["name"].startswith("Antonov An-124")
    assert any(c["name"].startswith("unknown") for c in out["candidates"])


def test_identify_table_and_bad_class(capsys: pytest.CaptureFixture[str]) -> None:
    r = run(capsys, "identify", "--class", "ship", "--length", "125", "--span", "15")
    assert r.code == 0 and "Grigorovich" in r.out
    r = run(capsys, "identify", "--class", "tank", "--length", "7")
    assert r.code == 1
