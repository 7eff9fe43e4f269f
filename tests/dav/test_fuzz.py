"""Property: no request, however odd, gets a 5xx from the WebDAV tree (in-process).

Random verbs, paths (unicode, ``.``/``..``, percent-encoded, very long), headers (Depth,
Destination, Overwrite, Content-Length, If, Transfer-Encoding) and bodies are thrown at the
whole WSGI application. The only 5xx allowed is 502 for a Destination on another host
(or scheme; RFC 4918 9.8.5). A 403/409 must say why. Fixed example count, derandomised: the same
requests every run, a few seconds long (``RECOGNIZE_DAV_FUZZ_EXAMPLES=5000`` hunts longer).
On a copy of the real library (see ``real_library``): the names the paths are made of are
the ones its store holds (persons, tags, places, dates, files) and odd ones.
"""

from __future__ import annotations

import os
from urllib.parse import quote, urlsplit

import pytest

from tests.dav.inprocess import HOST, InProcess, make_wsgi_app
from tests.dav.real_library import Real

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")

pytestmark = pytest.mark.heavy  # a copy of the real library (the cascade runs once per session)

VERBS = ["GET", "HEAD", "PUT", "DELETE", "MKCOL", "COPY", "MOVE", "PROPFIND", "PROPPATCH",
         "LOCK", "UNLOCK", "OPTIONS", "POST", "REPORT", "SEARCH", "PATCH", "TRACE", "FOO"]
ODD = ["people", "unassigned", "faces", "tags", "files", "inbox", "photos", "bobs", "places",
       "dates", "duplicates", "systemtags", "systemtags-relations", "recognize", "search",
       "folder.jpg", "IMG_1 (2).jpg", "new.jpg", "x", "..", ".", "%2E%2E", "%2e", "%00", "%2F",
       "a%2Fb", "~alice", "", "ü", "😀", "\u202e", "CON", "a" * 300, "b" * 5000]
BODIES = [b"", b"<", b"not xml", b"\xff\xfe\x00",
          b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop>'
          b"</d:propfind>",
          b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:allprop/></d:propfind>',
          b'<?xml version="1.0"?><d:propertyupdate xmlns:d="DAV:"><d:set><d:prop>'
          b'<x:a xmlns:x="urn:x">1</x:a></d:prop></d:set></d:propertyupdate>',
          b'<?xml version="1.0"?><d:lockinfo xmlns:d="DAV:"><d:lockscope><d:exclusive/>'
          b"</d:lockscope><d:locktype><d:write/></d:locktype></d:lockinfo>",
          b'<?xml version="1.0"?><oc:filter-files xmlns:oc="http://owncloud.org/ns">'
          b"<oc:filter-rules><oc:systemtag>1</oc:systemtag></oc:filter-rules></oc:filter-files>",
          b'{"name": "x"}']
lengths = st.sampled_from(["auto", "auto", "auto", None, "-5", "x", "99999999999999999999",
                           " 3", "0", "1000"])
RANDOM = os.environ.get("RECOGNIZE_DAV_FUZZ_RANDOM", "")  # non-empty: new examples each run
EXAMPLES = int(os.environ.get("RECOGNIZE_DAV_FUZZ_EXAMPLES", "400"))  # more: a longer hunt


def _names(real: Real) -> list[str]:
    """What the library's folders are called: persons, tags (places and dates too), files."""
    with real.db() as db:
        found = {n for (n,) in db.execute("SELECT name FROM persons WHERE name IS NOT NULL")}
        found |= {n for (n,) in db.execute("SELECT name FROM tags")}
        found |= {part for (path,) in db.execute("SELECT path FROM photos")
                  for part in path.split("/")}
    return sorted(found)


def _requests(names: list[str]) -> tuple[object, object]:
    """Strategies for a path and for headers, over ``names`` and the odd ones (as they are:
    spaces, percent signs) and random text (quoted)."""
    segment = st.one_of(st.sampled_from(names + ODD),
                        st.text(min_size=1, max_size=20).map(lambda t: quote(t, safe="")))
    paths = st.lists(segment, max_size=5).map(lambda parts: "/dav/" + "/".join(parts)) | \
        st.sampled_from(["/dav", "/dav/", "/dav//people", "/dav/people/Ann/",
                         "/dav/files/inbox/"])
    hosts = st.sampled_from([f"http://{HOST}", f"http://alice:pw@{HOST}", "", f"https://{HOST}",
                             "http://elsewhere.example", "http://[bad", "//x"])
    headers = st.fixed_dictionaries({}, optional={
        "Depth": st.sampled_from(["0", "1", "infinity", "Infinity", "2", "-1", "", "x"]),
        "Destination": st.tuples(hosts, paths).map("".join),
        "Overwrite": st.sampled_from(["T", "F", "t", "x", ""]),
        "If": st.sampled_from(["(<opaquelocktoken:x>)", "<http://x/dav/>(<a>)", "(((",
                               "(Not <a>)", '(["etag"])', "<>", "(<urn:uuid:1> [W/\"e\"])",
                               "garbage"]),
        "If-Match": st.sampled_from(['"x"', "*", "garbage"]),
        "Content-Type": st.sampled_from(["application/xml", "text/plain", "application/json"]),
        "Timeout": st.sampled_from(["Second-10", "Infinite", "x"]),
        "Lock-Token": st.sampled_from(["<opaquelocktoken:x>", "x", "<>"]),
        "Range": st.sampled_from(["bytes=0-10", "bytes=-5", "bytes=x", "bytes=10-0"]),
    })
    return paths, headers


def _elsewhere(destination: str) -> bool:
    """Another server (host, port or scheme): wsgidav answers 502, as RFC 4918 says."""
    try:
        parts = urlsplit(destination)
    except ValueError:  # not a URL at all: a 400
        return False
    return parts.netloc.rpartition("@")[2] not in ("", HOST) or parts.scheme not in ("", "http")


@pytest.fixture(scope="module")
def call(real_template: Real,
         tmp_path_factory: pytest.TempPathFactory) -> tuple[InProcess, list[str]]:
    """A copy of its own: the random requests rename, move and delete what they hit."""
    library = real_template.copy(tmp_path_factory.mktemp("dav-fuzz"))
    return InProcess(make_wsgi_app(library)), _names(library)


def test_no_request_gets_a_server_error(call: tuple[InProcess, list[str]]) -> None:
    from hypothesis import HealthCheck, given, settings

    app, names = call
    assert {"Ann", "Ben", "holiday", "Italy", "ann_1.jpg"} <= set(names), names
    paths, headers = _requests(names)

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=RANDOM == "", database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(VERBS), paths, headers, st.sampled_from(BODIES), lengths,
           st.booleans())
    def request(verb: str, path: str, hdrs: dict[str, str], body: bytes, length: str | None,
                chunked: bool) -> None:
        if chunked:
            hdrs = {**hdrs, "Transfer-Encoding": "chunked"}
            length = None
        reply = app(verb, path, body, hdrs, content_length=length)
        other_host = "Destination" in hdrs and _elsewhere(hdrs["Destination"])
        assert reply.status < 500 or (reply.status == 502 and other_host), \
            (verb, path, hdrs, body[:40], length, reply.status, reply.text[:500])
        assert b"Traceback" not in reply.body and b"Source exception" not in reply.body
        if reply.status in (403, 409):
            assert reply.why, (verb, path, reply.text)

    request()
