"""One long-lived exiftool process, shared by threads, restarted when it dies."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

from recognize.errors import MediaError
from recognize.log import get_logger
from recognize.media.exiftool_process import ExifToolProcess
from recognize.media.metadata import TAGS, parse_record
from recognize.media.types import Metadata

log = get_logger(__name__)

EXIFTOOL = shutil.which("exiftool") or "/usr/bin/exiftool"
_COMMON_ARGS = ["-n", "-charset", "filename=utf8", "-api", "LargeFileSupport=1"]
_TAG_ARGS = [f"-{t}" for t in TAGS]


class ExifReader:
    """Read metadata with a persistent ``exiftool -stay_open`` process.

    Thread-safe (one lock around the pipe). A call that takes longer than ``timeout_s``
    kills the process; a process that died is restarted and the call retried once.
    """

    def __init__(self, executable: str = EXIFTOOL, timeout_s: float = 60.0) -> None:
        self._executable = executable
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._process: ExifToolProcess | None = None

    def __enter__(self) -> ExifReader:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._stop()

    def read(self, path: str | Path) -> Metadata:
        """Metadata of one file; MediaError when exiftool cannot read it at all."""
        result = self.read_many([path])[0]
        if isinstance(result, MediaError):
            raise result
        return result

    def read_many(self, paths: Sequence[str | Path]) -> list[Metadata | MediaError]:
        """Metadata of many files in one exiftool call, in the order given."""
        if not paths:
            return []
        names = [os.fsdecode(p) for p in paths]
        try:
            records = self._records(names)
        except MediaError:
            if len(names) == 1:
                raise
            # one file poisoned the batch: read them one by one so the others still count
            return [self._one(n) for n in names]
        results = [_to_metadata(records.get(n), n) for n in names]
        for i, (name, meta) in enumerate(zip(names, results, strict=True)):
            if isinstance(meta, Metadata) and meta.file_type == "JPEG" and meta.width is None:
                results[i] = self._salvage(name, meta)
        return results

    def read_ahead(
        self, paths: Sequence[str | Path], batch: int = 32
    ) -> Iterator[tuple[str | Path, Metadata | MediaError]]:
        """Yield (path, metadata) in order, reading the next batch in a background thread
        while the caller works on the current one (exiftool runs on another core)."""
        chunks = [paths[i : i + batch] for i in range(0, len(paths), batch)]
        if not chunks:
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="exif-read-ahead") as pool:
            pending: Future[list[Metadata | MediaError]] = pool.submit(self.read_many, chunks[0])
            for index, chunk in enumerate(chunks):
                results = pending.result()
                if index + 1 < len(chunks):
                    pending = pool.submit(self.read_many, chunks[index + 1])
                yield from zip(chunk, results, strict=True)

    def extract_binary(self, path: str | Path, tag: str) -> bytes:
        """The raw bytes of one binary tag (e.g. an embedded RAW preview)."""
        return self._execute(["-b", f"-{tag}", _safe_name(os.fsdecode(path))])

    def _salvage(self, name: str, meta: Metadata) -> Metadata:
        """A JPEG cut inside its EXIF segment: read what the segment still holds."""
        data = truncated_exif_jpeg(name)
        if data is None:
            return meta
        with tempfile.NamedTemporaryFile(suffix=".jpg") as tmp:
            tmp.write(data)
            tmp.flush()
            try:
                record = self._records([tmp.name]).get(tmp.name)
            except MediaError:
                return meta
        salvaged = parse_record(record) if record else meta
        salvaged.width = salvaged.height = None  # the frame header is lost with the scan data
        return salvaged

    def _one(self, name: str) -> Metadata | MediaError:
        try:
            return _to_metadata(self._records([name]).get(name), name)
        except MediaError as err:
            return err

    def _records(self, names: list[str]) -> dict[str, dict[str, Any]]:
        out = self._execute(["-j", *_TAG_ARGS, *(_safe_name(n) for n in names)])
        text = out.decode("utf-8", "replace")
        if not text.strip():
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise MediaError(f"exiftool output unreadable: {err}") from err
        records = {str(rec.get("SourceFile")): rec for rec in data if isinstance(rec, dict)}
        for name in names:  # names given as ./-x come back as such
            if name not in records and _safe_name(name) in records:
                records[name] = records[_safe_name(name)]
        return records

    def _execute(self, args: list[str]) -> bytes:
        with self._lock:
            for attempt in (1, 2):
                process = self._start()
                try:
                    return process.execute(args, self._timeout_s)[0]
                except MediaError as err:
                    log.warning("exiftool failed (%s); restarting it", err)
                    self._stop()
                    if attempt == 2 or "timed out" in err.reason or "newline" in err.reason:
                        raise
        raise AssertionError("unreachable")

    def _start(self) -> ExifToolProcess:
        if self._process is None or not self._process.running:
            if self._process is not None:
                self._process.kill()
            try:
                self._process = ExifToolProcess(self._executable, _COMMON_ARGS)
            except OSError as err:
                raise MediaError(f"cannot start exiftool: {err}") from err
        return self._process

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.close()


def _safe_name(name: str) -> str:
    return f"./{name}" if name.startswith("-") else name


def truncated_exif_jpeg(path: str) -> bytes | None:
    """If ``path`` is a JPEG cut inside its APP1 Exif segment, that segment zero-padded to its
    declared length inside a minimal JPEG (so exiftool reads the tags it still holds)."""
    with open(path, "rb") as f:
        head = f.read(65536 + 4)
    if head[:4] != b"\xff\xd8\xff\xe1" or head[6:10] != b"Exif":
        return None
    length = int.from_bytes(head[4:6], "big")
    segment = head[4 : 4 + length]
    if len(segment) >= length:
        return None  # the segment is complete: nothing to salvage
    return b"\xff\xd8\xff\xe1" + segment.ljust(length, b"\0") + b"\xff\xd9"


def _to_metadata(rec: dict[str, Any] | None, name: str) -> Metadata | MediaError:
    if rec is None:
        if not os.path.exists(name):
            return MediaError("file not found")
        return MediaError("metadata unreadable (exiftool returned nothing)")
    return parse_record(rec)
