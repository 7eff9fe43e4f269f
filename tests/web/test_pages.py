"""The review page's HTML, rendered from the store as the API sees it: each user's own
persons and faces, names escaped, strict headers, nothing loaded from elsewhere.

On the larger real library (``more_template``): more than one unassigned face (lone.jpg's, the
stranger's in couple.jpg and whatever else the cascade found) to fill pages of one face."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.dav.real_library import Real, faces
from tests.web.conftest import Site

WEB = Path(__file__).resolve().parents[2] / "recognize" / "web"


@pytest.fixture(scope="module")
def template(more_template: Real) -> Real:
    return more_template


def _faces_of(real: Real, identity: str) -> list[int]:
    return [f.id for f in faces(real, "s.id = ?", (real.person(identity),))]


def _unassigned(real: Real) -> list[int]:
    return [f.id for f in faces(real, "s.id IS NULL AND m.name = 'photos'")]


def _cover(real: Real, identity: str) -> int:
    """The face the grid shows for a person: the one clustering chose, else its best."""
    with real.db() as db:
        (chosen,), = db.execute("SELECT cover_face_id FROM persons WHERE id = ?",
                                (real.person(identity),))
        best = db.execute("SELECT f.id FROM faces f JOIN face_persons fp ON fp.face_id = f.id "
                          "WHERE fp.person_id = ? ORDER BY f.score DESC, f.id",
                          (real.person(identity),)).fetchone()[0]
    return int(chosen) if chosen in _faces_of(real, identity) else int(best)


def _html(client: Any, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.get_data(as_text=True)


def _change(alice: Any, method: str, path: str, **body: Any) -> Any:
    answer = alice.open(path, method=method, json=body or None,
                        headers={"X-CSRF-Token": alice.token})
    assert answer.status_code in (200, 201, 204), answer.get_data(as_text=True)
    return answer


def test_persons_grid_shows_own_persons_with_cover_and_count(alice: Any, site: Site) -> None:
    html = _html(alice, "/")
    real = site.real
    ann = real.person("ann")
    assert f'href="/people/{ann}"' in html and "Ann" in html
    assert f"{len(_faces_of(real, 'ann'))} faces" in html
    assert f"/api/v1/faces/{_cover(real, 'ann')}/crop?size=128" in html  # its cover
    assert "Zed" not in html  # bob's
    assert '<meta name="viewport"' in html and 'id="progress"' in html
    free = len(_unassigned(real))
    assert re.search(rf'Unassigned <span class="count" data-count="unassigned">{free}</span>', html)


def test_person_page_lists_faces_with_their_corrections(alice: Any, site: Site) -> None:
    real = site.real
    ann = real.person("ann")
    html = _html(alice, f"/people/{ann}")
    for face in _faces_of(real, "ann"):
        assert f'data-action="reject-face" data-face="{face}" data-person="{ann}"' in html
        assert f'data-action="ignore" data-face="{face}"' in html
    shown = {int(f) for f in re.findall(r'data-face="(\d+)"', html)}
    assert not shown & set(_faces_of(real, "ben"))
    assert '<label for="rename">Name</label>' in html and 'value="Ann"' in html
    assert 'data-action="hide"' in html
    missing = alice.get(f"/people/{real.person('zed')}")  # not hers
    assert missing.status_code == 404 and "Zed" not in missing.get_data(as_text=True)
    assert alice.get("/people/999999").status_code == 404


def test_unassigned_faces_can_be_picked_and_named(alice: Any, site: Site) -> None:
    real = site.real
    html = _html(alice, "/unassigned")
    free = _unassigned(real)
    assert len(free) >= 2, free
    for face in free:
        assert f'type="checkbox" name="face" value="{face}"' in html
    assert '<datalist id="person-names">' in html and '<option value="Ann">' in html
    assert '<label for="assign-name">Name</label>' in html
    bens = len(_faces_of(real, "ben"))
    assert f'<option value="{real.person("ben")}">Ben ({bens})</option>' in html
    assert '"name": "Ann"' in html or '"name":"Ann"' in html  # the names the script knows


def test_long_lists_come_in_pages(alice: Any, site: Site, monkeypatch: Any) -> None:
    from recognize.web import data

    monkeypatch.setattr(data, "PAGE_SIZE", 1)  # 120 faces a page: a real second page is costly
    free = len(_unassigned(site.real))
    assert free >= 2
    first = _html(alice, "/unassigned")
    assert len(re.findall(r'name="face" value="(\d+)"', first)) == 1
    assert f"Faces 1–1 of {free}" in first and 'href="/unassigned?offset=1">Next</a>' in first
    second = _html(alice, "/unassigned?offset=1")
    assert 'href="/unassigned?offset=0">Previous</a>' in second
    last = _html(alice, f"/unassigned?offset={free - 1}")
    assert f'href="/unassigned?offset={free - 2}">Previous</a>' in last and ">Next<" not in last
    ann = site.real.person("ann")
    assert len(_faces_of(site.real, "ann")) >= 4
    person = _html(alice, f"/people/{ann}?offset=2")
    assert f'href="/people/{ann}?offset=3">Next</a>' in person
    assert _html(alice, "/unassigned?offset=-5") and _html(alice, "/unassigned?offset=x")


def test_hidden_and_not_faces_pages_offer_the_undo(fresh_alice: Any, fresh_site: Site) -> None:
    alice, real = fresh_alice, fresh_site.real
    ben, face = real.person("ben"), _unassigned(real)[-1]
    _change(alice, "PATCH", f"/api/v1/persons/{ben}", hidden=True)
    _change(alice, "POST", f"/api/v1/faces/{face}/ignore")
    assert f'href="/people/{ben}"' not in _html(alice, "/")
    hidden = _html(alice, "/hidden")
    assert f'data-action="show" data-person="{ben}"' in hidden
    ignored = _html(alice, "/not-faces")
    assert f'data-action="unignore" data-face="{face}"' in ignored
    assert f'value="{face}"' not in _html(alice, "/unassigned")


def test_names_are_escaped(fresh_alice: Any, fresh_site: Site) -> None:
    alice, ben = fresh_alice, fresh_site.real.person("ben")
    evil = '<img src=x onerror="alert(1)">'
    _change(alice, "PATCH", f"/api/v1/persons/{ben}", name=evil)
    for path in ("/", f"/people/{ben}", "/unassigned"):
        html = _html(alice, path)
        assert "<img src=x" not in html and "&lt;img src=x" in html, path


def test_pages_send_strict_headers(alice: Any) -> None:
    answer = alice.get("/")
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    script = alice.get("/review-static/review.js")
    assert script.status_code == 200 and "javascript" in script.mimetype


def test_nothing_is_loaded_from_elsewhere() -> None:
    """Works offline: no CDN, no font or script from another host, no inline script."""
    files = [p for p in WEB.rglob("*") if p.suffix in (".html", ".js", ".css", ".svg")]
    assert len(files) >= 8
    for path in files:
        text = path.read_text()
        text = text.replace('xmlns="http://www.w3.org/2000/svg"', "")  # a name, not a load
        assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/|@import", text), path
        if path.suffix == ".html":
            assert not re.search(r"<script(?![^>]*(src=|application/json))", text), path
            assert not re.search(r"\son[a-z]+=", text), path  # no inline handlers


def test_templates_and_static_files_ship_in_the_wheel() -> None:
    import tomllib
    from pathlib import PurePosixPath

    project = tomllib.loads((WEB.parents[1] / "pyproject.toml").read_text())
    globs = project["tool"]["setuptools"]["package-data"]["recognize"]
    for path in WEB.rglob("*"):
        if path.is_file() and path.suffix not in (".py", ".pyc"):
            rel = PurePosixPath(path.relative_to(WEB.parent).as_posix())
            assert any(len(rel.parts) == len(PurePosixPath(g).parts) and rel.match(g)
                       for g in globs), f"{rel} is not in [tool.setuptools.package-data]"
