"""Decoding: every format, orientation, content sniffing, colour/alpha handling."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import pyvips

from recognize.errors import MediaError
from recognize.media import MediaOptions, decode, decode_only, sniff, vips_convert
from recognize.media.orientation import orient_array
from recognize.media.sniff import describe_non_image
from tests.conftest import shared

OPTS = MediaOptions(analysis_size=512)


def _small(pixels: np.ndarray, size: int = 32) -> np.ndarray:
    image = pyvips.Image.new_from_array(np.ascontiguousarray(pixels))
    return image.thumbnail_image(size, height=size, size="force").numpy().astype(np.float32)


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and float(np.abs(_small(a) - _small(b)).mean()) < 12


def test_every_format_decodes():
    root = shared("exif") / "formats"
    jxl_ok = importlib.util.find_spec("pillow_jxl") is not None
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix == ".jxl" and not jxl_ok:
            with pytest.raises(MediaError, match="jxl"):
                decode_only(path, OPTS)
            continue
        pixels = decode_only(path, OPTS)
        assert pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3, path
        assert max(pixels.shape[:2]) <= 512, path
        assert pixels.std() > 1, path  # not a flat grey failure


@pytest.mark.parametrize(("pattern", "reference", "others"), [
    ("Landscape_{}.jpg", 1, range(0, 9)), ("Portrait_{}.jpg", 1, range(0, 9)),
    ("hopper_orientation_{}.jpg", 2, range(3, 9)), ("hopper_orientation_{}.webp", 2, range(3, 9)),
])
def test_orientations_look_like_the_reference_file(pattern: str, reference: int,
                                                  others: range) -> None:
    root = shared("exif") / "orientation"
    first = decode_only(root / pattern.format(reference), OPTS)
    for n in others:
        assert _close(decode_only(root / pattern.format(n), OPTS), first), n


def test_orient_array_matches_libvips_autorotate():
    root = shared("exif") / "orientation"
    for n in range(2, 9):
        path = str(root / f"hopper_orientation_{n}.jpg")
        stored = pyvips.Image.new_from_file(path, autorotate=False).numpy()
        rotated = pyvips.Image.new_from_file(path, autorotate=True).numpy()
        assert np.array_equal(orient_array(stored, n), rotated), n
        unturned = pyvips.Image.new_from_file(path, autorotate=False)
        assert np.array_equal(vips_convert.orient(unturned, n).numpy(), rotated), n


def test_heic_orientation_from_exif_when_no_irot():
    root = shared("exif") / "formats" / "heic"
    from recognize.media import ExifReader

    with ExifReader() as reader:
        for name in ("iphone_7.heic", "iphone_15_pro.heic"):
            meta = reader.read(root / name)
            pixels = decode(root / name, OPTS, meta)
            assert pixels.shape[0] > pixels.shape[1], name  # orientation 6: portrait


def test_content_not_name_decides(tmp_path):
    bad = shared("bad")
    assert sniff(bad / "jpeg_named_as.heic") == "jpeg"
    assert decode_only(bad / "jpeg_named_as.png", OPTS).shape[2] == 3
    with pytest.raises(MediaError, match=r"not an image \(looks like HTML\)"):
        decode_only(bad / "html_named_as.jpg", OPTS)
    with pytest.raises(MediaError, match="ZIP archive or Office"):
        decode_only(bad / "docx_named_as.jpg", OPTS)
    with pytest.raises(MediaError, match="empty file"):
        decode_only(bad / "zero_bytes.jpg", OPTS)
    assert describe_non_image(b"%PDF-1.7\n") == "not an image (looks like a PDF document)"


def test_alpha_grey_and_sixteen_bit_become_rgb(tmp_path):
    gradient = np.linspace(0, 65535, 64 * 48, dtype=np.uint16).reshape(48, 64)
    pyvips.Image.new_from_array(gradient, interpretation="grey16").pngsave(str(tmp_path / "g16.png"))
    rgba = np.zeros((40, 30, 4), dtype=np.uint8)
    rgba[..., 0] = 200
    rgba[:20, ..., 3] = 255  # top half opaque red, bottom half transparent
    pyvips.Image.new_from_array(rgba, interpretation="srgb").pngsave(str(tmp_path / "a.png"))
    grey = decode_only(tmp_path / "g16.png", OPTS)
    assert grey.shape == (48, 64, 3) and grey[0, 0, 0] < 5 and grey[-1, -1, 0] > 250
    alpha = decode_only(tmp_path / "a.png", OPTS)
    assert tuple(alpha[5, 5]) == (200, 0, 0) and tuple(alpha[-5, 5]) == (255, 255, 255)


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    red = pyvips.Image.new_from_array(
        np.full((32, 32, 3), (220, 30, 30), dtype=np.uint8), interpretation="srgb"
    )
    red.colourspace("cmyk").jpegsave(str(tmp_path / "cmyk.jpg"))
    pixels = decode_only(tmp_path / "cmyk.jpg", OPTS)
    assert pixels.shape == (32, 32, 3)
    r, g, b = pixels[16, 16].astype(int)
    assert r > 150 and g < 100 and b < 100


def test_raw_preview_and_stub(tmp_path):
    raw = shared("exif") / "raw"
    preview = decode_only(raw / "canon_eos_6d.dng", OPTS)
    assert max(preview.shape[:2]) == 512  # the 1024 px PreviewImage, not the 256 px IFD0
    with pytest.raises(MediaError, match="RAW file without an embedded preview"):
        decode_only(raw / "exiftool_Nikon.nef", OPTS)


def test_decode_respects_deadline():
    bomb = shared("bad") / "png_bomb_16000x16000.png"
    opts = MediaOptions(analysis_size=512, max_pixels=10**9, decode_timeout_s=0.05)
    with pytest.raises(MediaError, match="timed out"):
        decode_only(bomb, opts)


def test_pillow_fallback_orients_like_libvips():
    from recognize.media.decode import check_pixels
    from recognize.media.pillow_decode import decode_with_pillow

    root = shared("exif") / "orientation"
    opts = MediaOptions(analysis_size=100)
    for n in range(2, 9):
        path = root / f"hopper_orientation_{n}.jpg"
        by_pillow = decode_with_pillow(str(path), opts, "jpeg", check_pixels).astype(int)
        assert np.abs(by_pillow - decode_only(path, opts).astype(int)).mean() < 2, n
