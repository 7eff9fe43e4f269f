"""Benchmark reading text in photos: words drawn with libvips' text() over shared photos.

    python bench/ocr.py [--data DIR] [--photos N] [--side PX ...] [--json]

For N photos of DIR (default ``../shared/data/imagenet``; JPEGs found recursively, sorted,
2N taken at even steps, every other one), a line of 2-4 words from a fixed list is drawn
with libvips ``text()`` (sans bold, 5-9 % of the photo's height, white with a black
outline, at a position fixed by the photo's sha256); the other photos are kept without
text. Reported per detector side length: recall of the drawn words (case-insensitive),
the share of read words that were not drawn, the share of untouched photos where no text
region was found (recognition skipped), ms per photo with and without text, and the ratio
to EfficientNet-Lite0's time per photo in the same run; the process's peak RSS, and its RSS
before any model was read (the photos held in memory). With --json the last line is one
JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.report import emit
from recognize.inference import ocr
from recognize.inference.base import Runtime

WORDS = ("summer", "holiday", "beach", "birthday", "party", "garden", "mountain", "coffee",
         "market", "street", "harbour", "school", "wedding", "family", "station", "museum",
         "bakery", "river", "winter", "festival", "library", "kitchen", "concert", "picnic",
         "london", "paris", "berlin", "rome", "2019", "2021", "sale", "open", "welcome",
         "exit", "hotel", "pizza", "taxi", "police", "theatre", "airport")
ROOT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "imagenet"


def draw(path: Path, index: int) -> tuple[np.ndarray, list[str]]:
    import pyvips

    base = pyvips.Image.thumbnail(str(path), 1024, size="down").copy_memory()
    if base.bands == 1:
        base = base.colourspace("srgb")
    base = base[:3] if base.bands > 3 else base
    seed = hashlib.sha256(path.name.encode()).digest()
    n = 2 + seed[0] % 3
    chosen = [WORDS[(seed[1 + i] + index) % len(WORDS)] for i in range(n)]
    line = " ".join(w.capitalize() if seed[5] % 2 else w.upper() for w in chosen)
    height = max(12, int(base.height * (0.05 + 0.04 * (seed[6] / 255))))
    mask = pyvips.Image.text(line, font=f"sans bold {height}px", width=int(base.width * 0.9))
    outline = mask.dilate(pyvips.Image.new_from_array(np.ones((5, 5), np.uint8) * 255))
    x = int((base.width - mask.width) * seed[7] / 255)
    y = int((base.height - mask.height) * seed[8] / 255)
    black = base.new_from_image([0, 0, 0]).crop(0, 0, outline.width, outline.height)
    white = base.new_from_image([255, 255, 255]).crop(0, 0, mask.width, mask.height)
    out = base.composite2(black.bandjoin(outline), "over", x=x - 2, y=y - 2)
    out = out.composite2(white.bandjoin(mask), "over", x=x, y=y).flatten()
    return out.cast("uchar").numpy(), chosen


def _rss_mb() -> float:
    """This process's resident set now (the photos in memory, before any model is read)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main(argv: list[str] | None = None) -> int:
    import pyvips

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT, help="a folder of JPEGs (recursive)")
    ap.add_argument("--photos", type=int, default=40)
    ap.add_argument("--side", type=int, action="append")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    files = sorted(p for p in args.data.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg"))
    files = files[:: max(1, len(files) // (2 * args.photos))][: 2 * args.photos]
    with_text = [draw(p, i) for i, p in enumerate(files[0::2])]
    plain = [pyvips.Image.thumbnail(str(p), 1024, size="down").numpy() for p in files[1::2]]
    rss_before = _rss_mb()
    reader = ocr.load_text_reader(Runtime())
    from recognize.inference.classify import load_classifier

    classifier = load_classifier("efficientnet-lite0", Runtime())
    classifier.predict([plain[0]])
    t0 = time.perf_counter()
    for image in plain[:10]:
        classifier.predict([image])
    base_ms = (time.perf_counter() - t0) * 100
    rows: list[dict[str, Any]] = []
    for side in args.side or [ocr.DET_SIDE]:
        ocr.DET_SIDE = side
        reader.read(plain[0])  # compile
        hits = drawn = extra = read_total = 0
        t0 = time.perf_counter()
        for image, truth in with_text:
            found = ocr.words(reader.read(image))
            drawn += len(set(truth))
            hits += len(set(truth) & set(found))
            read_total += len(found)
            extra += len(set(found) - set(truth))
        text_ms = (time.perf_counter() - t0) * 1000 / len(with_text)
        t0 = time.perf_counter()
        skipped = sum(not reader.detect(image) for image in plain)
        plain_ms = (time.perf_counter() - t0) * 1000 / len(plain)
        rows.append({"side": side, "photos_with_text": len(with_text),
                     "word_recall": round(hits / max(drawn, 1), 3),
                     "words_not_drawn": round(extra / max(read_total, 1), 3),
                     "plain_photos": len(plain), "plain_skipped": round(skipped / len(plain), 3),
                     "ms_with_text": round(text_ms, 1), "ms_plain": round(plain_ms, 1),
                     "x_classifier": round(plain_ms / base_ms, 2)})
    cols = list(rows[0])
    print("\t".join(cols))
    for r in rows:
        print("\t".join(str(r[c]) for c in cols))
    return emit({"classifier_ms_per_photo": round(base_ms, 1), "results": rows,
                 "rss_before_models_mb": rss_before,
                 "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)},
                args.json)


if __name__ == "__main__":
    sys.exit(main())
