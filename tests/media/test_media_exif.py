"""ExifReader against ExifTool's own -n output in ../shared/data/exif/labels.json."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from recognize.errors import MediaError
from recognize.media import ExifReader, Metadata
from recognize.media.metadata import parse_datetime
from tests.conftest import shared


@pytest.fixture(scope="module")
def labelled() -> list[tuple[dict, Metadata | MediaError]]:
    root = shared("exif")
    labels = json.loads((root / "labels.json").read_text())
    with ExifReader() as reader:
        results = reader.read_many([root / entry["file"] for entry in labels])
    return list(zip(labels, results, strict=True))


def _expected_date(tags: dict) -> datetime | None:
    for key in ("DateTimeOriginal", "CreateDate"):
        when, _ = parse_datetime(tags.get(key))
        if when is not None and when.year >= 1826 and when <= datetime.now():
            return when
    return None


def _expected_gps(tags: dict) -> tuple[float, float] | None:
    lat, lon = tags.get("GPSLatitude"), tags.get("GPSLongitude")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    if abs(lat) > 90 or abs(lon) > 180:
        return None
    return float(lat), float(lon)


def test_every_labelled_file_is_read(labelled):
    assert len(labelled) == 137
    for entry, meta in labelled:
        assert isinstance(meta, Metadata), (entry["file"], meta)


def test_dates_match_exiftool(labelled):
    for entry, meta in labelled:
        assert meta.taken_at == _expected_date(entry["exiftool"]), entry["file"]


def test_make_model_orientation_match_exiftool(labelled):
    for entry, meta in labelled:
        tags = entry["exiftool"]
        assert meta.make == (str(tags["Make"]).strip() if "Make" in tags else None), entry["file"]
        assert meta.model == (str(tags["Model"]).strip() if "Model" in tags else None)
        orientation = tags.get("Orientation")
        assert meta.orientation == (orientation if orientation in range(1, 9) else None)


def test_gps_matches_exiftool(labelled):
    with_gps = 0
    for entry, meta in labelled:
        expected = _expected_gps(entry["exiftool"])
        if expected is None:
            assert meta.gps_lat is None and meta.gps_lon is None, entry["file"]
            continue
        with_gps += 1
        assert meta.gps_lat == pytest.approx(expected[0], abs=1e-4), entry["file"]
        assert meta.gps_lon == pytest.approx(expected[1], abs=1e-4), entry["file"]
    assert with_gps >= 20  # DSCN track, HEIC, Iceland, panorama, ...


def test_heic_metadata_and_displayed_size(labelled):
    by_name = {entry["file"]: meta for entry, meta in labelled}
    meta = by_name["formats/heic/iphone_15_pro.heic"]
    assert (meta.make, meta.model) == ("Apple", "iPhone 15 Pro")
    assert meta.tz_offset_min == 60  # OffsetTimeOriginal +01:00
    assert (meta.width, meta.height) == (3024, 4032)  # orientation 6: shown as portrait
    assert meta.focal_length_35mm is not None


def test_nonsense_values_are_dropped(labelled):
    by_name = {entry["file"]: meta for entry, meta in labelled}
    assert by_name["gps/exif_gps.jpg"].gps_lat is None  # latitude 4294967295
    assert by_name["gps/exif_gps.jpg"].taken_at is None  # year 2099
    assert by_name["gps/altitude.jpg"].gps_alt is None  # 4294967284 m
    assert by_name["gps/empty_gps.jpg"].gps_lat is None  # empty GPS IFD


def test_timezone_from_gps_clock(labelled):
    by_name = {entry["file"]: meta for entry, meta in labelled}
    # huawei: local 18:52:46, GPS 16:52:44 UTC -> +02:00
    assert by_name["gps/huawei-gps-error.jpg"].tz_offset_min == 120
    # an offset written in the date itself wins
    assert by_name["gps/thompson-springs.jpg"].tz_offset_min == -240


def test_truncated_exif_segment_is_salvaged():
    path = shared("bad") / "DSCN0010_trunc_header_only.jpg"
    with ExifReader() as reader:
        meta = reader.read(path)
    assert meta.make == "NIKON"
    assert meta.taken_at == datetime(2008, 10, 22, 16, 28, 39)
    assert meta.gps_lat == pytest.approx(43.4674483, abs=1e-4)


def test_missing_file_and_restart_after_exiftool_dies(tmp_path):
    good = shared("exif") / "gps" / "DSCN0010.jpg"
    with ExifReader() as reader:
        results = reader.read_many([tmp_path / "nope.jpg", good])
        assert isinstance(results[0], MediaError) and results[0].reason == "file not found"
        assert isinstance(results[1], Metadata) and results[1].make == "NIKON"
        reader._process.kill()  # exiftool dies between two calls
        assert reader.read(good).model == "COOLPIX P6000"
        with pytest.raises(MediaError, match="file not found"):
            reader.read(tmp_path / "nope.jpg")


def test_read_ahead_keeps_order():
    root = shared("exif") / "gps"
    paths = sorted(root.glob("*.jpg"))
    with ExifReader() as reader:
        seen = list(reader.read_ahead(paths, batch=4))
    assert [p for p, _ in seen] == paths
    assert all(isinstance(m, Metadata) for _, m in seen)
