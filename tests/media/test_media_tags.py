"""Descriptive tags from hand-made metadata, and the sun's elevation."""

from __future__ import annotations

from datetime import datetime

import pytest

from recognize.media import Metadata, Place, camera_name, descriptive_tags, lens_class
from recognize.media.sun import solar_elevation
from recognize.media.tags import exposure_value


@pytest.mark.parametrize(
    ("make", "model", "expected"),
    [
        ("Canon", "Canon EOS 6D", "Canon EOS 6D"),
        ("NIKON CORPORATION", "NIKON D70", "NIKON D70"),
        ("Apple", "iPhone 7", "Apple iPhone 7"),
        ("OLYMPUS IMAGING CORP.", "E-M5", "OLYMPUS E-M5"),
        (None, "EOS R5", "EOS R5"),
        ("Canon", None, "Canon"),
        (None, None, None),
    ],
)
def test_camera_name(make, model, expected):
    assert camera_name(make, model) == expected


def test_lens_classes():
    assert [lens_class(f) for f in (14, 24, 28, 35, 50, 70, 85, 300, 400)] == [
        "ultra-wide",
        "wide",
        "wide",
        "normal",
        "normal",
        "normal",
        "tele",
        "tele",
        "super-tele",
    ]
    assert lens_class(None) is None


def test_exposure_value_and_light():
    sunny = Metadata(f_number=16, exposure_time=1 / 100, iso=100)  # "sunny 16"
    assert exposure_value(sunny) == pytest.approx(14.6, abs=0.1)
    assert "light:bright" in descriptive_tags(sunny)
    dim = Metadata(f_number=1.8, exposure_time=1 / 15, iso=3200)
    assert exposure_value(dim) < 5 and "light:dark" in descriptive_tags(dim)
    assert not any(t.startswith("light:") for t in descriptive_tags(Metadata(f_number=4)))


def test_night_from_the_sun_and_from_the_clock():
    base = dict(gps_lat=52.52, gps_lon=13.40, tz_offset_min=60)
    winter_evening = Metadata(taken_at=datetime(2023, 12, 21, 18, 30), **base)
    assert "time:night" in descriptive_tags(winter_evening)
    summer_evening = Metadata(taken_at=datetime(2023, 6, 21, 20, 30), **base)
    assert "time:night" not in descriptive_tags(summer_evening)  # sun still up in Berlin
    # no offset: UTC approximated from longitude
    no_tz = Metadata(taken_at=datetime(2023, 6, 21, 23, 30), gps_lat=52.52, gps_lon=13.40)
    assert "time:night" in descriptive_tags(no_tz)
    assert "time:night" in descriptive_tags(Metadata(taken_at=datetime(2020, 1, 1, 23, 15)))
    assert "time:night" not in descriptive_tags(Metadata(taken_at=datetime(2020, 1, 1, 12)))
    assert "time:night" not in descriptive_tags(Metadata())


def test_camera_lens_and_place_tags():
    meta = Metadata(make="Canon", model="Canon EOS 6D", focal_length_35mm=65.0)
    place = Place(country_code="IT", country="Italy", city="Arezzo")
    assert descriptive_tags(meta, place) == [
        "camera:Canon EOS 6D",
        "lens:normal",
        "country:Italy",
        "city:Arezzo",
    ]


def test_solar_elevation():
    assert solar_elevation(52.52, 13.40, datetime(2024, 6, 21, 11, 8)) == pytest.approx(61, abs=1)
    assert solar_elevation(52.52, 13.40, datetime(2024, 12, 21, 23, 0)) < -50
    assert solar_elevation(0, 0, datetime(2024, 3, 20, 12, 7)) > 85
