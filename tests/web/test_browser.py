"""The review page in a real browser: Debian's chromium, driven by Playwright, against a
real ``recognize serve`` on 127.0.0.1 over a copy of the real library (tests/dav/real_library:
real photos indexed by the real cascade once per session, ``MORE`` included).

Each step is done as a user does it (labels, buttons, the keyboard) and then checked in
the store, through the API (Basic auth) and SQLite. Screenshots are kept in
``test-artifacts/web/`` (git-ignored); their paths are printed.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, TEST_PASSWORD
from tests.dav.library import Server
from tests.dav.real_library import Real

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts" / "web"
WAIT_MS = 20_000  # the first crop of a face is cut from its photo: allow a loaded machine


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium (never a downloaded browser), or a skip that says why not."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (Debian package chromium; `make test` installs it)")
    playwright = sync_api.sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS,
                                              timeout=60_000)
    except Exception as exc:  # any reason chromium cannot start here
        playwright.stop()
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        tail = [line for line in lines[1:][-3:] if not line.startswith("<launching>")]
        pytest.skip(f"chromium cannot start: {' | '.join(lines[:1] + tail)[:400]}")
    sync_api.expect.set_options(timeout=WAIT_MS)
    debian = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True).stdout
    assert chromium.version in debian, (chromium.version, debian)  # the system's browser
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture(scope="module")
def library(browser: Any, more_template: Real, tmp_path_factory: pytest.TempPathFactory) -> Real:
    """A copy of its own: the test names, merges, hides and moves faces."""
    return more_template.copy(tmp_path_factory.mktemp("web-browser"))


@pytest.fixture(scope="module")
def server(library: Real) -> Iterator[Server]:
    srv = Server(library.config)
    yield srv
    srv.stop()


class Api:
    """The store as the API tells it (alice, Basic auth over loopback)."""

    def __init__(self, server: Server) -> None:
        self.base = server.url + "/api/v1"
        token = base64.b64encode(f"alice:{TEST_PASSWORD}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            return {"status": exc.code}
        return json.loads(raw) if raw else {}

    def persons(self) -> list[dict[str, Any]]:
        return list(self("GET", "/persons")["items"])

    def faces(self, person: int) -> list[int]:
        return [f["id"] for f in self("GET", f"/persons/{person}/faces")["items"]]

    def unassigned(self) -> list[int]:
        return [f["id"] for f in self("GET", "/faces/unassigned?limit=1000")["items"]]


class Shots:
    def __init__(self, page: Any) -> None:
        self.page, self.n = page, 0
        self.paths: list[Path] = []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str, page: Any = None) -> None:
        self.n += 1
        path = ARTIFACTS / f"{self.n:02d}-{name}.png"
        (page or self.page).screenshot(path=str(path), full_page=True)
        self.paths.append(path)
        print(f"screenshot: {path}")


def _sql(library: Real, query: str, **args: Any) -> list[tuple[Any, ...]]:
    with library.db() as db:
        return [tuple(r) for r in db.execute(query, args)]


def test_review_page_in_chromium(browser: Any, server: Server, library: Real) -> None:
    from playwright.sync_api import expect

    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    api = Api(server)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: problems.append(f"request elsewhere: {r.url}")
            if not r.url.startswith(server.url + "/") else None)
    shot = Shots(page)
    status = page.locator("#status")

    # --- log in -------------------------------------------------------------------------
    page.goto(server.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    shot("login")
    page.get_by_label("Name").fill("alice")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Persons", level=1)).to_be_visible()
    cookie = next(c for c in context.cookies() if c["name"] == "recognize_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    persons = api.persons()
    expect(page.locator("ul.persons > li")).to_have_count(len(persons))
    rows = page.locator("#progress tbody tr")
    expect(rows.first).to_be_visible()
    stages = api("GET", "/jobs")["stages"]
    expect(rows).to_have_count(len(stages))
    expect(page.locator("#progress")).to_contain_text("faces")
    _all_images_loaded(page)
    shot("persons")

    # --- name an unassigned face (a new name makes a person), then one more by that name ---
    page.get_by_role("link", name=re.compile(r"^Unassigned")).click()
    free = api.unassigned()
    assert len(free) >= 3, free
    first, second = free[0], free[1]
    page.get_by_role("checkbox", name=re.compile(rf"^Face {first}\b")).check()
    page.get_by_label("Name", exact=True).fill("Mystery Guest")
    expect(page.locator("#selected-count")).to_have_text("1")
    _all_images_loaded(page)
    shot("unassigned-selected")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(status).to_contain_text("1 face assigned to Mystery Guest (a new person)")
    face = api("GET", f"/faces/{first}")
    guest = api("GET", f"/persons/{face['person_id']}")
    assert guest["name"] == "Mystery Guest" and guest["faces"] == 1
    assert face["assigned_by"] == "user" and first not in api.unassigned()
    expect(page.locator('[data-count="unassigned"]')).to_have_text(str(len(api.unassigned())))
    shot("assigned-new-person")
    page.get_by_role("checkbox", name=re.compile(rf"^Face {second}\b")).check()
    page.get_by_label("Name", exact=True).fill("mystery guest")  # the same person, any case
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(status).to_contain_text("1 face assigned to Mystery Guest.")
    assert api("GET", f"/faces/{second}")["person_id"] == guest["id"]
    assert api("GET", f"/persons/{guest['id']}")["faces"] == 2

    # --- merge suggestions: reject one, accept another -----------------------------------------
    ann = library.person("ann")  # the cascade's person of ann's five faces
    faces = api.faces(ann)
    half = api("POST", "/persons/split", {"faces": faces[:2]})["id"]
    page.goto(f"{server.url}/people/{ann}")
    card = page.locator(f'.suggestion[data-other="{half}"]')
    expect(card).to_be_visible()
    _all_images_loaded(page)
    shot("suggestion")
    card.get_by_role("button", name=re.compile(r"^Not the same")).click()
    expect(status).to_contain_text("Kept apart")
    expect(card).to_have_count(0)
    suggested = {s["person_id"] for s in api("GET", f"/persons/{ann}/suggestions")["items"]}
    assert half not in suggested
    assert _sql(library, "SELECT 1 FROM persons_apart WHERE person_id = :a AND other_id = :b",
                a=ann, b=half) == [(1,)]
    shot("suggestion-rejected")
    third = api("POST", "/persons/split", {"faces": faces[2:3]})["id"]
    page.reload()
    card = page.locator(f'.suggestion[data-other="{third}"]')
    card.get_by_role("button", name=re.compile(r"^Same person")).click()
    expect(status).to_contain_text("Merged")
    assert faces[2] in api.faces(ann)
    assert api("GET", f"/persons/{third}") == {"status": 404}  # merged away
    expect(page.locator(f'.card.face[data-face="{faces[2]}"]')).to_be_visible()
    _all_images_loaded(page)
    shot("suggestion-accepted")

    # --- "not a face" with the keyboard, and its undo ------------------------------------------
    page.goto(server.url + "/unassigned")
    wrong = api.unassigned()[0]
    page.get_by_role("button", name=f"Face {wrong} is not a face").focus()
    page.keyboard.press("Enter")
    expect(status).to_contain_text(f"Face {wrong} is marked as not a face")
    assert api("GET", f"/faces/{wrong}")["assigned_by"] == "ignored"
    assert wrong in {f["id"] for f in api("GET", "/faces/ignored")["items"]}
    assert wrong not in api.unassigned()
    assert _sql(library, "SELECT person_id, assigned_by FROM face_persons WHERE face_id = :f",
                f=wrong) == [(None, "ignored")]
    expect(page.locator(f'.card[data-face="{wrong}"]')).to_have_count(0)
    expect(page.locator('[data-count="ignored"]')).to_have_text("1")
    shot("not-a-face")
    status.get_by_role("button", name="Undo").click()
    expect(status).to_contain_text(f"Face {wrong} is a face again")
    assert api("GET", f"/faces/{wrong}")["assigned_by"] is None
    assert wrong in api.unassigned() and not api("GET", "/faces/ignored")["items"]
    assert _sql(library, "SELECT 1 FROM face_persons WHERE face_id = :f", f=wrong) == []
    expect(page.locator(f'.card[data-face="{wrong}"]')).to_be_visible()
    shot("not-a-face-undone")

    # --- name the person nobody named, "not this person", hide and show again ------------------
    cal = library.person("cal")
    page.goto(f"{server.url}/people/{cal}")
    page.get_by_label("Name", exact=True).fill("Alma")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_role("heading", name="Alma", level=1)).to_be_visible()
    assert api("GET", f"/persons/{cal}")["name"] == "Alma"
    out = api.faces(cal)[-1]
    page.get_by_role("button", name=f"Face {out} is not Alma").click()
    expect(status).to_contain_text(f"Face {out} is no longer in this person")
    assert api("GET", f"/faces/{out}")["person_id"] is None and out not in api.faces(cal)
    page.get_by_role("button", name="Hide this person").click()
    expect(page.get_by_role("heading", name="Persons", level=1)).to_be_visible()
    expect(status).to_contain_text("Alma is hidden")
    assert api("GET", f"/persons/{cal}")["hidden"] is True
    assert cal not in {p["id"] for p in api.persons()}
    page.get_by_role("link", name=re.compile(r"^Hidden")).click()
    _all_images_loaded(page)
    shot("hidden")
    page.get_by_role("button", name="Show Alma again").click()
    expect(status).to_contain_text("Alma is listed again")
    assert api("GET", f"/persons/{cal}")["hidden"] is False

    # --- the same pages on a phone -------------------------------------------------------------
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                color_scheme="dark",
                                is_mobile=True, has_touch=True)
    phone.add_cookies([cookie])
    small = phone.new_page()
    small.on("pageerror", lambda e: problems.append(f"page error (phone): {e}"))
    for path, name in (("/", "phone-persons"), ("/unassigned", "phone-unassigned"),
                       (f"/people/{ann}", "phone-person")):
        small.goto(server.url + path)
        _all_images_loaded(small)
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width} px)"
        shot(name, small)
    phone.close()
    context.close()
    assert not problems, problems
    print("screenshots in", ARTIFACTS)


def _all_images_loaded(page: Any) -> None:
    """Every face crop on the page arrived and decoded (none broken)."""
    page.wait_for_load_state("networkidle")
    for img in page.locator("img.crop").all():
        img.scroll_into_view_if_needed()
    page.wait_for_function(
        "[...document.images].every(i => i.complete)", timeout=WAIT_MS)
    broken = page.evaluate(
        "[...document.images].filter(i => !i.naturalWidth).map(i => i.src)")
    assert not broken, broken
