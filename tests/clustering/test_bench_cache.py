"""The benchmarks' face cache: a new faces pipeline (or decode size) is a new cache entry."""

from __future__ import annotations

from pathlib import Path

from bench.clustering_eval.photos import cache_path


def test_the_face_cache_is_keyed_on_the_faces_stage_version(tmp_path: Path) -> None:
    (tmp_path / "labels.csv").write_text("file,kind,identity\na.jpg,identity,ann\n")
    path = cache_path(tmp_path, "faces@aaaa", "photo", "1024/50000000")
    assert cache_path(tmp_path, "faces@aaaa", "photo", "1024/50000000") == path
    assert cache_path(tmp_path, "faces@bbbb", "photo", "1024/50000000") != path  # detector
    assert cache_path(tmp_path, "faces@aaaa+det@12345678", "photo", "1024/50000000") != path
    assert cache_path(tmp_path, "faces@aaaa", "photo", "2048/50000000") != path
    assert cache_path(tmp_path, "faces@aaaa", "gray", "1024/50000000") != path
    (tmp_path / "labels.csv").write_text("file,kind,identity\na.jpg,identity,bob\n")
    assert cache_path(tmp_path, "faces@aaaa", "photo", "1024/50000000") != path  # labels
