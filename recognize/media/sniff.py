"""Recognise a file's format from its first bytes (never from its name)."""

from __future__ import annotations

from pathlib import Path

RAW_EXTENSIONS = frozenset(
    {
        "cr2",
        "cr3",
        "crw",
        "nef",
        "nrw",
        "raf",
        "rw2",
        "dng",
        "arw",
        "srf",
        "sr2",
        "orf",
        "pef",
        "srw",
        "x3f",
        "3fr",
        "iiq",
        "rwl",
        "erf",
        "kdc",
        "mrw",
    }
)
SUPPORTED_EXTENSIONS = (
    frozenset(
        {
            "jpg",
            "jpeg",
            "jpe",
            "jfif",
            "png",
            "webp",
            "tif",
            "tiff",
            "heic",
            "heif",
            "hif",
            "avif",
            "gif",
            "bmp",
            "ico",
            "jxl",
        }
    )
    | RAW_EXTENSIONS
)

# Formats whose pixels are decoded by libvips; the others go through Pillow.
VIPS_FORMATS = frozenset({"jpeg", "png", "gif", "webp", "tiff", "heif", "avif"})
RAW_FORMATS = frozenset({"cr2", "cr3", "crw", "orf", "rw2", "raf"})  # TIFF-based RAWs sniff as tiff

_HEIF_BRANDS = {
    b"heic",
    b"heix",
    b"hevc",
    b"hevx",
    b"heim",
    b"heis",
    b"hevm",
    b"hevs",
    b"mif1",
    b"msf1",
    b"mif2",
}
_AVIF_BRANDS = {b"avif", b"avis"}
HEAD_BYTES = 64


def sniff_bytes(head: bytes) -> str | None:
    """Name the image format of ``head`` (the first bytes of a file), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"FUJIFILMCCD-RAW"):
        return "raf"
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return "orf"
    if head[:4] == b"IIU\x00":
        return "rw2"
    if head[:2] == b"II" and head[6:14] == b"HEAPCCDR":
        return "crw"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "cr2" if head[8:10] == b"CR" else "tiff"
    if head[:2] == b"BM" and len(head) >= 26:
        return "bmp"
    if head[:4] == b"\x00\x00\x01\x00" and len(head) >= 22:
        return "ico"
    if head.startswith(b"\xff\x0a") or head[4:12] == b"JXL \r\n\x87\n":
        return "jxl"
    if head[4:8] == b"ftyp":
        return _ftyp_kind(head)
    if head[4:12] == b"jP  \r\n\x87\n":
        return "jp2"
    return None


def _ftyp_kind(head: bytes) -> str | None:
    size = int.from_bytes(head[:4], "big")
    brands = [head[8:12]] + [head[i : i + 4] for i in range(16, min(size, len(head)), 4)]
    if b"crx " in brands:
        return "cr3"
    if any(b in _AVIF_BRANDS for b in brands):
        return "avif"
    if any(b in _HEIF_BRANDS for b in brands):
        return "heif"
    return None


def sniff(path: str | Path) -> str | None:
    """Return the image format of the file at ``path`` from its magic bytes, or None."""
    with open(path, "rb") as f:
        return sniff_bytes(f.read(HEAD_BYTES))


def describe_non_image(head: bytes) -> str:
    """A readable reason for content that is not an image (``head`` = first bytes)."""
    if not head:
        return "empty file"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "not an image (looks like HTML)"
    if text.startswith(b"<?xml") or text.startswith(b"<svg"):
        return "not an image (looks like XML/SVG)"
    if head.startswith(b"%PDF"):
        return "not an image (looks like a PDF document)"
    if head.startswith(b"PK\x03\x04"):
        return "not an image (looks like a ZIP archive or Office document)"
    if head[4:8] == b"ftyp":
        return "not an image (looks like a video or unsupported ISO media file)"
    if _looks_like_text(head):
        return "not an image (looks like text)"
    return "not an image (unrecognised content)"


def _looks_like_text(head: bytes) -> bool:
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError:
        # a cut multi-byte character at the end is still text
        try:
            decoded = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(c.isprintable() or c in "\t\r\n" for c in decoded)
