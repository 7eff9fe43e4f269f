"""Property: no request, however odd, gets a 5xx from the WebDAV tree (in-process).

Random verbs, paths (unicode, ``.``/``..``, percent-encoded, very long), headers (Depth,
Destination, Overwrite, Content-Length, If, Transfer-Encoding) and bodies are thrown at the
whole WSGI application. The only 5xx allowed is 502 for a Destination on another host
(or scheme; RFC 4918 9.8.5). A 403/409 must say why. Fixed example count, derandomised: the same
requests every run, a few seconds long (``RECOGNIZE_DAV_FUZZ_EXAMPLES=5000`` hunts longer).
"""

from __future__ import annotations

import os
from urllib.parse import quote, urlsplit

import pytest

from tests.dav.inprocess import HOST, InProcess, make_wsgi_app
from tests.dav.library import Library, build

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")

VERBS = ["GET", "HEAD", "PUT", "DELETE", "MKCOL", "COPY", "MOVE", "PROPFIND", "PROPPATCH",
         "LOCK", "UNLOCK", "OPTIONS", "POST", "REPORT", "SEARCH", "PATCH", "TRACE", "FOO"]
NAMES = ["people", "Ann", "Ben", "Person 3", "unassigned", "tags", "holiday", "lake", "files",
         "inbox", "photos", "bobs", "places", "Italy", "dates", "2020", "duplicates",
         "systemtags", "systemtags-relations", "recognize", "search", "lake.jpg",
         "night (face 1).jpg", "IMG_1 (2).jpg", "new.jpg", "x", "..", ".", "%2E%2E", "%2e",
         "%00", "%2F", "a%2Fb", "~alice", "", "ü", "😀", "\u202e", "CON", "a" * 300, "b" * 5000]
segment = st.one_of(st.sampled_from(NAMES),
                    st.text(min_size=1, max_size=20).map(lambda t: quote(t, safe="")))
paths = st.lists(segment, max_size=5).map(lambda parts: "/dav/" + "/".join(parts)) | \
    st.sampled_from(["/dav", "/dav/", "/dav//people", "/dav/people/Ann/", "/dav/files/inbox/"])
hosts = st.sampled_from([f"http://{HOST}", f"http://alice:pw@{HOST}", "", f"https://{HOST}",
                         "http://elsewhere.example", "http://[bad", "//x"])
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
headers = st.fixed_dictionaries({}, optional={
    "Depth": st.sampled_from(["0", "1", "infinity", "Infinity", "2", "-1", "", "x"]),
    "Destination": st.tuples(hosts, paths).map("".join),
    "Overwrite": st.sampled_from(["T", "F", "t", "x", ""]),
    "If": st.sampled_from(["(<opaquelocktoken:x>)", "<http://x/dav/>(<a>)", "(((", "(Not <a>)",
                           '(["etag"])', "<>", "(<urn:uuid:1> [W/\"e\"])", "garbage"]),
    "If-Match": st.sampled_from(['"x"', "*", "garbage"]),
    "Content-Type": st.sampled_from(["application/xml", "text/plain", "application/json"]),
    "Timeout": st.sampled_from(["Second-10", "Infinite", "x"]),
    "Lock-Token": st.sampled_from(["<opaquelocktoken:x>", "x", "<>"]),
    "Range": st.sampled_from(["bytes=0-10", "bytes=-5", "bytes=x", "bytes=10-0"]),
})
lengths = st.sampled_from(["auto", "auto", "auto", None, "-5", "x", "99999999999999999999",
                           " 3", "0", "1000"])
RANDOM = os.environ.get("RECOGNIZE_DAV_FUZZ_RANDOM", "")  # non-empty: new examples each run
EXAMPLES = int(os.environ.get("RECOGNIZE_DAV_FUZZ_EXAMPLES", "400"))  # more: a longer hunt


def _elsewhere(destination: str) -> bool:
    """Another server (host, port or scheme): wsgidav answers 502, as RFC 4918 says."""
    try:
        parts = urlsplit(destination)
    except ValueError:  # not a URL at all: a 400
        return False
    return parts.netloc.rpartition("@")[2] not in ("", HOST) or parts.scheme not in ("", "http")


@pytest.fixture(scope="module")
def call(tmp_path_factory: pytest.TempPathFactory, password_hash: str) -> InProcess:
    """A library of its own: the random requests rename, move and delete what they hit."""
    library: Library = build(tmp_path_factory.mktemp("dav-fuzz"), password_hash)
    return InProcess(make_wsgi_app(library))


def test_no_request_gets_a_server_error(call: InProcess) -> None:
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=RANDOM == "", database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(VERBS), paths, headers, st.sampled_from(BODIES), lengths,
           st.booleans())
    def request(verb: str, path: str, hdrs: dict[str, str], body: bytes, length: str | None,
                chunked: bool) -> None:
        if chunked:
            hdrs = {**hdrs, "Transfer-Encoding": "chunked"}
            length = None
        reply = call(verb, path, body, hdrs, content_length=length)
        other_host = "Destination" in hdrs and _elsewhere(hdrs["Destination"])
        assert reply.status < 500 or (reply.status == 502 and other_host), \
            (verb, path, hdrs, body[:40], length, reply.status, reply.text[:500])
        assert b"Traceback" not in reply.body and b"Source exception" not in reply.body
        if reply.status in (403, 409):
            assert reply.why, (verb, path, reply.text)

    request()
