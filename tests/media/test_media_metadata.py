"""Parsing exiftool records: dates, offsets, GPS sanity, 35 mm focal length."""

from __future__ import annotations

from datetime import datetime

from recognize.media.metadata import offset_from_gps, parse_datetime, parse_offset, parse_record

NOW = datetime(2026, 1, 1)


def test_dates_and_offsets():
    assert parse_datetime("2008:10:22 16:28:39") == (datetime(2008, 10, 22, 16, 28, 39), None)
    assert parse_datetime("2022:01:10 15:15:44-04:00")[1] == -240
    assert parse_datetime("2022:01:10 15:15:44.31Z")[1] == 0
    assert parse_datetime("0000:00:00 00:00:00") == (None, None)
    assert parse_datetime("1999:99:99 99:99:99") == (None, None)
    assert parse_offset("+05:30") == 330 and parse_offset("-0800") == -480
    assert parse_offset("+25:00") is None


def test_offset_from_gps_rounds_to_quarter_hours():
    assert offset_from_gps(datetime(2020, 1, 1, 18, 52, 46), datetime(2020, 1, 1, 16, 52, 44)) == 120
    assert offset_from_gps(datetime(2020, 1, 1, 12, 0), datetime(2020, 1, 1, 6, 14)) == 345
    assert offset_from_gps(datetime(2008, 10, 22, 16, 28), datetime(2008, 10, 23, 14, 27)) is None


def test_record_priorities_and_sanity():
    meta = parse_record(
        {
            "DateTimeOriginal": "2099:01:01 00:00:00",  # future: ignored
            "CreateDate": "2015:05:05 10:00:00",
            "OffsetTime": "+02:00",
            "GPSLatitude": 0,
            "GPSLongitude": 0,  # null island = no fix
            "ImageWidth": 4000,
            "ImageHeight": 3000,
            "Orientation": 8,
            "FocalLength": 4.25,
            "FocalLengthIn35mmFormat": 0,
            "ScaleFactor35efl": 6.1176,
            "LensID": 65535,
            "Lens": "EF 50mm",
        },
        now=NOW,
    )
    assert meta.taken_at == datetime(2015, 5, 5, 10) and meta.tz_offset_min == 120
    assert meta.gps_lat is None
    assert (meta.width, meta.height) == (3000, 4000)
    assert meta.focal_length_35mm == 26.0
    assert meta.lens == "EF 50mm"


def test_no_35mm_value_without_a_real_crop_factor():
    meta = parse_record({"FocalLength": 5.53, "FocalLengthIn35mmFormat": 0}, now=NOW)
    assert meta.focal_length_35mm is None
