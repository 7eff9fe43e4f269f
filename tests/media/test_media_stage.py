"""The whole media stage on real photos: result fields, thumbnails, hashes, failures."""

from __future__ import annotations

import imagehash
import pytest
import pyvips

from recognize.errors import MediaError
from recognize.media import ExifReader, Geocoder, MediaOptions, hashes, process, write_thumbnails
from tests.conftest import shared

OPTS = MediaOptions(analysis_size=1024, thumbnail_sizes=(256, 1024, 4096))


@pytest.fixture(scope="module")
def exif():
    with ExifReader() as reader:
        yield reader


@pytest.fixture(scope="module")
def geocoder() -> Geocoder:
    return Geocoder()


def test_process_a_gps_photo(exif, geocoder, tmp_path):
    dest = {s: tmp_path / f"t{s}.jpg" for s in OPTS.thumbnail_sizes}
    result = process(shared("exif") / "gps" / "DSCN0010.jpg", OPTS, exif, geocoder, dest)
    assert result.decode_error is None and result.pixels is not None
    assert result.pixels.shape == (480, 640, 3)
    assert len(result.phash) == 16 and len(result.dhash) == 16
    assert result.place is not None and result.place.country == "Italy"
    assert "camera:NIKON COOLPIX P6000" in result.descriptive_tags
    for size, written in result.thumbnails.items():
        image = pyvips.Image.new_from_file(written)
        assert max(image.width, image.height) == min(size, 640)  # never upscaled
    assert not list(tmp_path.glob(".*tmp"))  # no temporary files left behind


def test_hashes_survive_orientation(exif, geocoder):
    root = shared("exif") / "orientation"
    upright = process(root / "Landscape_1.jpg", OPTS, exif, geocoder)
    for n in (3, 6, 8):
        turned = process(root / f"Landscape_{n}.jpg", OPTS, exif, geocoder)
        distance = imagehash.hex_to_hash(upright.phash) - imagehash.hex_to_hash(turned.phash)
        assert distance <= 6, n


def test_hashes_are_stable_across_analysis_sizes(exif, geocoder):
    path = shared("exif") / "cameras" / "jolla.jpg"
    big = process(path, MediaOptions(analysis_size=1920), exif, geocoder)
    small = process(path, MediaOptions(analysis_size=512), exif, geocoder)
    assert imagehash.hex_to_hash(big.phash) - imagehash.hex_to_hash(small.phash) <= 4
    assert hashes(big.pixels) == (big.phash, big.dhash)


def test_broken_pixels_with_metadata(exif, geocoder):
    result = process(shared("bad") / "DSCN0010_trunc50pct.jpg", OPTS, exif, geocoder)
    assert result.pixels is None and result.decode_error.startswith("truncated image data")
    assert result.metadata.make == "NIKON" and result.place is not None


def test_nothing_readable_raises(exif, geocoder, tmp_path):
    with pytest.raises(MediaError, match="not an image"):
        process(shared("bad") / "text_named_as.jpg", OPTS, exif, geocoder)
    with pytest.raises(MediaError, match="file not found"):
        process(tmp_path / "gone.jpg", OPTS, exif, geocoder)


def test_write_thumbnails_directly(tmp_path):
    import numpy as np

    pixels = np.zeros((300, 200, 3), dtype=np.uint8)
    written = write_thumbnails(pixels, OPTS, {100: tmp_path / "a" / "x.jpg"})
    assert pyvips.Image.new_from_file(written[100]).height == 100
