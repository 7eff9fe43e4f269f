"""A small built-in demo set, made on the fly (no files shipped): a few JPEGs with EXIF."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

# (file name, colour, date, make, model, GPS lat, lon) — made-up but plausible photos
DEMO = [
    ("sunrise.jpg", (250, 170, 60), "2019:06:21 05:12:00", "Canon", "Canon EOS 6D", 43.7696, 11.2558),
    ("lake.jpg", (40, 110, 190), "2020:08:02 14:30:10", "NIKON CORPORATION", "NIKON D750", 46.0207, 7.7491),
    ("forest.jpg", (30, 120, 50), "2021:10:10 11:03:45", "FUJIFILM", "X-T3", 48.1351, 11.5820),
    ("night.jpg", (10, 10, 30), "2022:12:24 23:40:00", "Apple", "iPhone 13", 51.5072, -0.1276),
    ("no_exif.png", (200, 200, 200), None, None, None, None, None),
]


def _gps(value: float) -> tuple[Fraction, Fraction, Fraction]:
    value = abs(value)
    deg = int(value)
    minutes = int((value - deg) * 60)
    seconds = round(((value - deg) * 60 - minutes) * 60 * 100)
    return (Fraction(deg), Fraction(minutes), Fraction(seconds, 100))


def write_demo_photos(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:480, 0:640]
    for i, (name, colour, date, make, model, lat, lon) in enumerate(DEMO):
        # each photo its own layout (waves, a block), so none is a near-duplicate of another
        gradient = np.linspace(0.6, 1.2, 480)[:, None, None]
        waves = 1 + 0.35 * np.sin(2 * np.pi * ((i + 1) * x / 640 + (i % 3) * y / 480))
        noise = rng.normal(0, 6, (480, 640, 3))
        pixels = np.array(colour)[None, None, :] * gradient * waves[:, :, None] + noise
        pixels[100 + 40 * i: 220 + 40 * i, 80 * i: 80 * i + 160] = 255 - np.array(colour)
        pixels = np.clip(pixels, 0, 255)
        image = Image.fromarray(pixels.astype(np.uint8))
        path = folder / name
        if date is None:
            image.save(path)
        else:
            exif = Image.Exif()
            exif[0x010F], exif[0x0110] = make, model
            exif[0x0112] = 1
            ifd = exif.get_ifd(0x8769)
            ifd[0x9003] = date  # DateTimeOriginal
            if lat is not None and lon is not None:
                gps = exif.get_ifd(0x8825)
                gps[1], gps[2] = ("N" if lat >= 0 else "S"), _gps(lat)
                gps[3], gps[4] = ("E" if lon >= 0 else "W"), _gps(lon)
            image.save(path, exif=exif, quality=90)
        written.append(path)
    return written
