"""The text stage: words read in the photo (PP-OCRv4, ``inference.ocr``) on the media
stage's decode, saved as tags of kind ``text`` (source ``ocr``): found by search, never
listed under ``tags/``. A photo where the detector finds no text region costs the
detector only (recognition is skipped).

Words: lower case, runs of letters and digits (punctuation splits), at least
``[text] min_length`` characters; tokens of digits only are kept only with 4 digits
(years, e.g. "2019"), other pure-digit or single-repeated-character tokens are noise."""

from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap
from typing import Any

from sqlalchemy.orm import Session

from recognize.config import Settings
from recognize.jobs.stages import Stage, Work, runtime
from recognize.jobs.stages.media import pixels_of
from recognize.store import photos as photo_store

SOURCE = "ocr"


def text_words(lines: list[Any], min_score: float, min_length: int) -> list[tuple[str, float]]:
    """``(word, score)`` of the lines scoring at least ``min_score``, by the rule above."""
    best: dict[str, float] = {}
    from recognize.inference.ocr import words

    for line in lines:
        if line.score < min_score:
            continue
        for w in words([line], min_length):
            if w.isdigit() and len(w) != 4:
                continue
            if len(set(w)) == 1:
                continue
            best[w] = max(best.get(w, 0.0), float(line.score))
    return list(best.items())


def code_digest(functions: tuple[Any, ...], *extra: str) -> str:
    """Digest of the functions' code (not their names, docstrings, comments or layout) and of
    ``extra``."""
    parts = list(extra)
    for fn in functions:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
        tree.body[0].name = ""  # type: ignore[attr-defined]  # a renamed function is the same
        body = tree.body[0].body  # type: ignore[attr-defined]
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body.pop(0)  # the docstring
        parts.append(ast.dump(tree))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:8]


def rule_digest() -> str:
    """The word rule's digest (``text_words``, ``ocr.words`` and the word pattern): part of
    the stage version, so changing the rule re-runs the stage."""
    from recognize.inference import ocr

    return code_digest((text_words, ocr.words), ocr._WORD.pattern)


class TextStage(Stage):
    name = "text"
    needs = ("media",)

    def __init__(self, settings: Settings) -> None:
        from recognize.inference.ocr import load_text_reader

        self.min_score = settings.text.min_score
        self.min_length = settings.text.min_length
        self.reader = load_text_reader(runtime(settings))
        self.version = (f"{self.reader.version}+words@{rule_digest()}"
                        f"+min{self.min_score:g}+len{self.min_length}")

    def compute(self, work: Work) -> Any:
        pixels = pixels_of(work)
        if pixels is None:
            return []
        return text_words(self.reader.read(pixels), self.min_score, self.min_length)

    def save(self, session: Session, work: Work, output: Any) -> None:
        photo_store.set_tags(session, work.claim.photo_id,
                             [(w, "text", s) for w, s in output], source=SOURCE)


def build(settings: Settings) -> TextStage:
    return TextStage(settings)
