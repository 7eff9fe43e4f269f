"""Where a mount's files come from: a local folder, or a remote WebDAV folder (read-only).

A source lists its photos (relative path, size, mtime), fingerprints a file for move
detection, and hands the worker a local path to decode (a remote file is fetched with GET
into a temporary file and removed afterwards). Nothing is ever written back.
"""

from __future__ import annotations

import base64
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Protocol

from defusedxml import ElementTree

from recognize.config import MountSettings
from recognize.errors import MediaError, RecognizeError
from recognize.jobs import crawl
from recognize.jobs.crawl import Stat, fingerprint, walk
from recognize.log import get_logger

log = get_logger(__name__)
DAV = "{DAV:}"
PROPFIND_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop>'
    b"<d:resourcetype/><d:getcontentlength/><d:getlastmodified/><d:getetag/>"
    b"</d:prop></d:propfind>"
)


class Source(crawl.Source, Protocol):
    """What the crawl needs, and a local path to decode for the worker."""

    def local(self, path: str) -> AbstractContextManager[Path]: ...


def source_for(mount: MountSettings) -> Source:
    """The source of a configured mount."""
    from recognize.media import SUPPORTED_EXTENSIONS

    extensions = frozenset(SUPPORTED_EXTENSIONS)
    if is_remote(mount.path):
        return WebDAVSource(mount.path, extensions, mount.username,
                            mount.password.get_secret_value())
    return LocalSource(Path(mount.path), extensions, mount.follow_symlinks)


def is_remote(location: str) -> bool:
    return location.startswith(("http://", "https://"))


@dataclass
class LocalSource:
    root: Path
    extensions: frozenset[str]
    follow_symlinks: bool = False

    def list(self) -> Iterator[Stat]:
        return walk(self.root, self.extensions, self.follow_symlinks)

    def fingerprint(self, stat: Stat) -> str:
        return fingerprint(self.root / stat.path, stat.size)

    @contextmanager
    def local(self, path: str) -> Iterator[Path]:
        yield self.root / path


class RemoteError(RecognizeError):
    """The remote WebDAV server refused or failed a request."""


@dataclass
class WebDAVSource:
    """A folder on a WebDAV server (e.g. a Nextcloud or ownCloud folder), crawled with
    PROPFIND Depth 1 folder by folder; photos fetched with GET."""

    url: str
    extensions: frozenset[str]
    username: str = ""
    password: str = ""
    timeout: float = 60.0

    def __post_init__(self) -> None:
        if not self.url.endswith("/"):
            self.url += "/"
        self._etags: dict[str, str] = {}
        self._base_path = urllib.parse.urlsplit(self.url).path

    def _request(self, url: str, method: str = "GET", body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> urllib.request.Request:
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        if self.username:
            token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        return request

    def _propfind(self, folder: str) -> bytes:
        url = urllib.parse.urljoin(self.url, urllib.parse.quote(folder))
        request = self._request(url, "PROPFIND", PROPFIND_BODY,
                                {"Depth": "1", "Content-Type": "application/xml"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return bytes(response.read())
        except (urllib.error.URLError, OSError) as exc:
            raise RemoteError(f"PROPFIND {url}: {exc}") from exc

    def list(self) -> Iterator[Stat]:
        pending = [""]
        while pending:
            folder = pending.pop()
            for rel, is_dir, size, mtime_ns, etag in self._entries(folder):
                if rel == folder.rstrip("/"):
                    continue
                name = rel.rsplit("/", 1)[-1]
                if name.startswith("."):
                    continue
                if is_dir:
                    pending.append(rel + "/")
                elif Path(name).suffix.lower().lstrip(".") in self.extensions:
                    self._etags[rel] = etag
                    yield Stat(rel, size, mtime_ns)

    def _entries(self, folder: str) -> Iterator[tuple[str, bool, int, int, str]]:
        root = ElementTree.fromstring(self._propfind(folder))
        for response in root.iter(f"{DAV}response"):
            href = urllib.parse.unquote(response.findtext(f"{DAV}href", "")).strip()
            path = urllib.parse.urlsplit(href).path
            if not path.startswith(self._base_path):
                continue
            rel = path[len(self._base_path):].strip("/")
            is_dir = response.find(f".//{DAV}resourcetype/{DAV}collection") is not None
            size = int(response.findtext(f".//{DAV}getcontentlength") or 0)
            modified = response.findtext(f".//{DAV}getlastmodified")
            mtime_ns = int(parsedate_to_datetime(modified).timestamp() * 1e9) if modified else 0
            etag = (response.findtext(f".//{DAV}getetag") or "").strip('"')
            yield rel, is_dir, size, mtime_ns, etag

    def fingerprint(self, stat: Stat) -> str:
        """The server's etag (content-derived on common servers), else size + mtime."""
        etag = self._etags.get(stat.path)
        return f"etag:{etag}"[:40] if etag else f"stat:{stat.size}:{stat.mtime_ns}"[:40]

    @contextmanager
    def local(self, path: str) -> Iterator[Path]:
        url = urllib.parse.urljoin(self.url, urllib.parse.quote(path))
        suffix = Path(path).suffix
        with tempfile.NamedTemporaryFile(suffix=suffix, prefix="recognize-") as tmp:
            try:
                with urllib.request.urlopen(self._request(url), timeout=self.timeout) as response:
                    while chunk := response.read(1 << 20):
                        tmp.write(chunk)
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    raise MediaError(f"gone from the remote folder (HTTP 404): {path}") from exc
                raise RemoteError(f"GET {url}: HTTP {exc.code}") from exc
            except (urllib.error.URLError, OSError) as exc:
                raise RemoteError(f"GET {url}: {exc}") from exc
            tmp.flush()
            yield Path(tmp.name)
