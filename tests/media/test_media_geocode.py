"""Offline reverse geocoding: works with the network blocked; Italy for the DSCN track."""

from __future__ import annotations

import socket

import pytest

from recognize.media import ExifReader, Geocoder
from recognize.media.geocode import haversine_km
from tests.conftest import shared


@pytest.fixture(scope="module")
def geocoder() -> Geocoder:
    return Geocoder()


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the geocoder tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_dscn_track_is_in_italy(geocoder, no_network):
    paths = sorted((shared("exif") / "gps").glob("DSCN*.jpg"))
    with ExifReader() as reader:
        metas = reader.read_many(paths)
    points = [(m.gps_lat, m.gps_lon) for m in metas]
    places = geocoder.lookup_many(points, max_km=50)
    assert len(places) == 9
    for place in places:
        assert place is not None and place.country_code == "IT" and place.country == "Italy"
        assert place.city


def test_known_cities(geocoder, no_network):
    berlin = geocoder.lookup(52.5200, 13.4050, 50)
    assert berlin is not None and berlin.country_code == "DE"
    sydney = geocoder.lookup(-33.8688, 151.2093, 50)
    assert sydney is not None and sydney.country == "Australia"


def test_far_from_towns(geocoder):
    assert geocoder.lookup(0.0, -30.0, 50) is None  # mid-Atlantic
    # nearest town farther than max_km but within country_max_km: country only
    place = geocoder.lookup(43.4674, 11.885, max_km=0.01)
    assert place is not None and place.city is None and place.country_code == "IT"
    assert geocoder.lookup_many([], 50) == []


def test_haversine():
    assert haversine_km(0, 0, 0, 1) == pytest.approx(111.19, abs=0.05)
    assert haversine_km(52.52, 13.405, 48.8566, 2.3522) == pytest.approx(878, abs=3)


def test_scipy_is_loaded_by_the_first_lookup_not_at_start():
    """A worker starts without scipy (its import costs ~0.3-2 s); the first GPS photo loads it."""
    import subprocess
    import sys

    code = ("import sys; import recognize.jobs.cascade, recognize.jobs.stages.media; "
            "from recognize.media import Geocoder; Geocoder(); "
            "assert 'scipy' not in sys.modules, 'scipy imported at start'")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
