"""The review page's login: a signed, HttpOnly, SameSite=Lax session cookie made by a login
form under the API's own failure limits; the API accepts the cookie, and a change through
it needs the session's CSRF token."""

from __future__ import annotations

import base64
import stat
from pathlib import Path
from typing import Any

from recognize import config as config_mod
from recognize.passwords import hash_password
from tests.conftest import TEST_PASSWORD
from tests.dav.real_library import faces
from tests.web.conftest import Site, form_token, log_in, page_token, secret_file


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_pages_ask_for_a_login_and_the_api_still_answers_401(client: Any) -> None:
    root = client.get("/")
    assert root.status_code == 302 and root.headers["Location"] == "/login?next=/"
    deep = client.get("/unassigned?offset=0")
    assert deep.headers["Location"] == "/login?next=/unassigned?offset%3D0"
    api = client.get("/api/v1/persons")
    assert api.status_code == 401 and api.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get("/review-static/review.js").status_code == 200  # no login for static
    assert client.get("/no-such-page").status_code == 401  # unknown paths: as before


def test_login_sets_a_signed_httponly_samesite_cookie(client: Any) -> None:
    form = client.get("/login")
    assert form.status_code == 200 and 'type="password"' in form.get_data(as_text=True)
    answer = log_in(client, next_path="/unassigned")
    assert answer.status_code == 302 and answer.headers["Location"] == "/unassigned"
    cookie = next(c for c in answer.headers.getlist("Set-Cookie")
                  if c.startswith("recognize_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Expires=" in cookie and "Secure" not in cookie  # plain HTTP on loopback
    page = client.get("/")
    assert page.status_code == 200 and "<h1>Persons</h1>" in page.get_data(as_text=True)
    assert client.get("/login").status_code == 302  # logged in already: on to the page
    tampered = client.get_cookie("recognize_session").value[:-2] + "xx"
    client.set_cookie("recognize_session", tampered)
    assert client.get("/").status_code == 302  # a changed cookie is not a session


def test_login_form_needs_its_token(client: Any) -> None:
    client.get("/login")
    answer = client.post("/login", data={"user": "alice", "password": TEST_PASSWORD})
    assert answer.status_code == 400 and "expired" in answer.get_data(as_text=True)
    wrong = client.post("/login", data={"user": "alice", "password": TEST_PASSWORD,
                                        "csrf": "forged"})
    assert wrong.status_code == 400
    assert client.get("/").status_code == 302


def test_failed_logins_count_with_basic_and_lock_out(site: Site) -> None:
    settings = site.settings
    client = site.client(remote="127.0.0.9")
    token = form_token(client.get("/login").get_data(as_text=True))
    bad = {"user": "bob", "password": "wrong", "csrf": token}
    first = client.post("/login", data=bad)
    assert first.status_code == 401 and "Wrong name or password" in first.get_data(as_text=True)
    for _ in range(settings.login.max_failures - 1):
        assert client.post("/login", data=bad).status_code == 401
    locked = client.post("/login", data={**bad, "password": TEST_PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "Too many failed logins" in locked.get_data(as_text=True)
    # the same guard as the API's Basic: bob is locked out there too
    api = client.get("/api/v1/persons", headers=_basic("bob", TEST_PASSWORD))
    assert api.status_code == 429


def test_no_password_over_plain_http_from_elsewhere(site: Site) -> None:
    client = site.client(remote="192.0.2.7")
    page = client.get("/login")
    assert page.status_code == 403 and "HTTPS" in page.get_data(as_text=True)
    assert client.post("/login", data={"user": "alice", "password": TEST_PASSWORD}
                       ).status_code == 403


def test_next_stays_on_this_site(client: Any) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"):
        client.get("/login")
        answer = log_in(client, next_path=target)
        assert answer.status_code == 302 and answer.headers["Location"] == "/", target
        client.post("/logout", data={"csrf": page_token(client.get("/").get_data(as_text=True))})


def test_the_api_takes_the_cookie_and_wants_the_token_for_changes(fresh_alice: Any,
                                                                  fresh_site: Site) -> None:
    alice, real = fresh_alice, fresh_site.real
    ben = real.person("ben")
    listed = alice.get("/api/v1/persons")
    assert listed.status_code == 200 and "Set-Cookie" not in listed.headers  # set once, at login
    refused = alice.patch(f"/api/v1/persons/{ben}", json={"name": "Benjamin"})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json["error"]["message"]
    forged = alice.patch(f"/api/v1/persons/{ben}", json={"name": "Benjamin"},
                         headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    face = faces(real, "f.photo_id = ?", (real.photos["photos/lone.jpg"],))[0].id  # unassigned
    assert alice.post(f"/api/v1/faces/{face}/ignore").status_code == 403
    assert alice.get(f"/api/v1/persons/{ben}").json["name"] == "Ben"  # nothing changed
    done = alice.patch(f"/api/v1/persons/{ben}", json={"name": "Benjamin"},
                       headers={"X-CSRF-Token": alice.token})
    assert done.status_code == 200 and done.json["name"] == "Benjamin"
    assert alice.patch(f"/api/v1/persons/{ben}", json={"name": "Ben"},
                       headers={"X-CSRF-Token": alice.token}).status_code == 200
    # bob's person stays bob's: the cookie is alice's
    zed = real.person("zed")
    assert alice.get(f"/api/v1/persons/{zed}").status_code == 404


def test_logout_ends_the_session_even_for_a_kept_cookie(alice: Any) -> None:
    kept = alice.get_cookie("recognize_session").value
    out = alice.post("/logout", data={"csrf": alice.token})
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert alice.get("/").status_code == 302
    alice.set_cookie("recognize_session", kept)  # replayed after the logout
    assert alice.get("/").status_code == 302
    # the page's own requests (they carry the token header) get a 401 without a Basic prompt
    api = alice.get("/api/v1/persons", headers={"X-CSRF-Token": alice.token})
    assert api.status_code == 401 and "WWW-Authenticate" not in api.headers
    assert "log in again" in api.json["error"]["message"]


def test_the_secret_is_kept_and_survives_a_restart(alice: Any, site: Site) -> None:
    path = secret_file(site)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(path.read_bytes()) >= 32
    again = site.client()  # a new app: as after a restart
    again.set_cookie("recognize_session", alice.get_cookie("recognize_session").value)
    assert again.get("/").status_code == 200


def test_a_new_password_ends_the_sessions(alice: Any, site: Site, tmp_path: Path) -> None:
    text = site.real.config.read_text()
    old = site.settings.users[0].password_hash.get_secret_value()
    changed = tmp_path / "changed.toml"
    changed.write_text(text.replace(old, hash_password("another one"), 1))
    client = site.client(settings=config_mod.load(changed))
    client.set_cookie("recognize_session", alice.get_cookie("recognize_session").value)
    assert client.get("/").status_code == 302
