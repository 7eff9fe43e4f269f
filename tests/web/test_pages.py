"""The review page's HTML, rendered from the store as the API sees it: each user's own
persons and faces, names escaped, strict headers, nothing loaded from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.dav.library import Library

WEB = Path(__file__).resolve().parents[2] / "recognize" / "web"


def _html(client: Any, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.get_data(as_text=True)


def _change(alice: Any, method: str, path: str, **body: Any) -> Any:
    answer = alice.open(path, method=method, json=body or None,
                        headers={"X-CSRF-Token": alice.token})
    assert answer.status_code in (200, 201, 204), answer.get_data(as_text=True)
    return answer


def test_persons_grid_shows_own_persons_with_cover_and_count(alice: Any,
                                                             library: Library) -> None:
    html = _html(alice, "/")
    ann = library.persons["Ann"]
    assert f'href="/people/{ann}"' in html and "Ann" in html and "4 faces" in html
    assert f'/api/v1/faces/{library.faces["ann_sunrise"]}/crop?size=128' in html  # its cover
    assert "Zed" not in html  # bob's
    assert '<meta name="viewport"' in html and 'id="progress"' in html
    assert re.search(r'Unassigned <span class="count" data-count="unassigned">2</span>', html)


def test_person_page_lists_faces_with_their_corrections(alice: Any, library: Library) -> None:
    ann = library.persons["Ann"]
    html = _html(alice, f"/people/{ann}")
    for key in ("ann_sunrise", "ann_lake", "ann_a", "ann_b"):
        face = library.faces[key]
        assert f'data-action="reject-face" data-face="{face}" data-person="{ann}"' in html
        assert f'data-action="ignore" data-face="{face}"' in html
    assert library.faces["ben_sunrise"] not in {int(f) for f in re.findall(r'data-face="(\d+)"',
                                                                           html)}
    assert '<label for="rename">Name</label>' in html and 'value="Ann"' in html
    assert 'data-action="hide"' in html
    missing = alice.get(f"/people/{library.persons['bob:Zed']}")  # not hers
    assert missing.status_code == 404 and "Zed" not in missing.get_data(as_text=True)
    assert alice.get("/people/999999").status_code == 404


def test_unassigned_faces_can_be_picked_and_named(alice: Any, library: Library) -> None:
    html = _html(alice, "/unassigned")
    for key in ("free_night_1", "free_night_2"):
        assert f'type="checkbox" name="face" value="{library.faces[key]}"' in html
    assert '<datalist id="person-names">' in html and '<option value="Ann">' in html
    assert '<label for="assign-name">Name</label>' in html
    assert f'<option value="{library.persons["Ben"]}">Ben (1)</option>' in html
    assert '"name": "Ann"' in html or '"name":"Ann"' in html  # the names the script knows


def test_long_lists_come_in_pages(alice: Any, library: Library, monkeypatch: Any) -> None:
    from recognize.web import data

    monkeypatch.setattr(data, "PAGE_SIZE", 1)
    first = _html(alice, "/unassigned")
    assert len(re.findall(r'name="face" value="(\d+)"', first)) == 1
    assert "Faces 1–1 of 2" in first and 'href="/unassigned?offset=1">Next</a>' in first
    second = _html(alice, "/unassigned?offset=1")
    assert 'href="/unassigned?offset=0">Previous</a>' in second and ">Next<" not in second
    ann = library.persons["Ann"]
    person = _html(alice, f"/people/{ann}?offset=2")
    assert f'href="/people/{ann}?offset=3">Next</a>' in person
    assert _html(alice, "/unassigned?offset=-5") and _html(alice, "/unassigned?offset=x")


def test_hidden_and_not_faces_pages_offer_the_undo(alice: Any, library: Library) -> None:
    ben, face = library.persons["Ben"], library.faces["free_night_2"]
    _change(alice, "PATCH", f"/api/v1/persons/{ben}", hidden=True)
    _change(alice, "POST", f"/api/v1/faces/{face}/ignore")
    try:
        assert f'href="/people/{ben}"' not in _html(alice, "/")
        hidden = _html(alice, "/hidden")
        assert f'data-action="show" data-person="{ben}"' in hidden
        ignored = _html(alice, "/not-faces")
        assert f'data-action="unignore" data-face="{face}"' in ignored
        assert f'value="{face}"' not in _html(alice, "/unassigned")
    finally:
        _change(alice, "PATCH", f"/api/v1/persons/{ben}", hidden=False)
        _change(alice, "DELETE", f"/api/v1/faces/{face}/ignore")


def test_names_are_escaped(alice: Any, library: Library) -> None:
    ben = library.persons["Ben"]
    evil = '<img src=x onerror="alert(1)">'
    _change(alice, "PATCH", f"/api/v1/persons/{ben}", name=evil)
    try:
        for path in ("/", f"/people/{ben}", "/unassigned"):
            html = _html(alice, path)
            assert "<img src=x" not in html and "&lt;img src=x" in html, path
    finally:
        _change(alice, "PATCH", f"/api/v1/persons/{ben}", name="Ben")


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
