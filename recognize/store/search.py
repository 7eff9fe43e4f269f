"""Search: a query string → the user's photos that match every term, best first.

Each term (a word, or two words read as one phrase such as "golden retriever" or
"new york") resolves to a set of tags the user can see: tags named so (any kind: classifier,
user, place, camera, date, person), classifier tags whose WordNet synset is at or below the
word's synsets (``expand``, supplied by the caller: the store knows no WordNet), camera tags
containing the word, person tags whose first name it is, and dates ("2019", "2019-06",
"june 2019", "june", seasons: "summer", "summer 2019" — meteorological, northern
hemisphere: summer = June to August). A photo matches a term when it carries one of the
term's tags; the score is the sum over terms of the photo's best confidence for that term.
Terms that resolve to nothing are reported as unknown and the result is empty (AND across
terms, so several person names find the photos with all of them). A term written
``-word`` excludes the photos that match it ("dog beach 2019 -bob").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from recognize.store.models import Mount, Photo, PhotoTag, Tag
from recognize.store.tag_removals import seen_by

Expand = Callable[[str], Collection[str]]  # word or phrase → WordNet ids (n0…) at or below it
MONTHS = {name: i + 1 for i, name in enumerate((
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december"))}
MONTHS.update({name[:3]: n for name, n in list(MONTHS.items())})
MONTHS["sept"] = 9
SEASONS = {"spring": (3, 4, 5), "summer": (6, 7, 8), "autumn": (9, 10, 11), "fall": (9, 10, 11),
           "winter": (12, 1, 2)}
_SPLIT = re.compile(r"[\s,;+]+")


@dataclass(frozen=True)
class Term:
    text: str
    tag_ids: tuple[int, ...]
    matches: tuple[str, ...]  # "kind:name" of the tags found (at most a few)


@dataclass
class SearchResult:
    query: str
    terms: list[Term] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)  # "-word": photos matching it are left out
    total: int = 0
    photo_ids: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)


def words_of(query: str) -> list[str]:
    return [w for w in _SPLIT.split(query.strip().lower()) if w.strip("'\"")]


def _visible(owner_ids: Sequence[int]) -> ColumnElement[bool]:
    return or_(Tag.user_id.is_(None), Tag.user_id.in_(list(owner_ids)))


def _date_condition(phrase: str) -> ColumnElement[bool] | None:
    if re.fullmatch(r"\d{4}(-\d{2})?", phrase):
        return Tag.name == phrase
    parts = phrase.split()
    if parts and parts[0] in SEASONS and (len(parts) == 1 or (
            len(parts) == 2 and re.fullmatch(r"\d{4}", parts[1]))):
        months = SEASONS[parts[0]]
        if len(parts) == 1:
            return or_(*(Tag.name.like(f"%-{m:02d}") for m in months))
        return Tag.name.in_([f"{parts[1]}-{m:02d}" for m in months])
    if parts and parts[0] in MONTHS:
        month = f"{MONTHS[parts[0]]:02d}"
        if len(parts) == 1:
            return Tag.name.like(f"%-{month}")
        if len(parts) == 2 and re.fullmatch(r"\d{4}", parts[1]):
            return Tag.name == f"{parts[1]}-{month}"
    if len(parts) == 2 and re.fullmatch(r"\d{4}", parts[0]) and parts[1] in MONTHS:
        return Tag.name == f"{parts[0]}-{MONTHS[parts[1]]:02d}"
    return None


def _condition(phrase: str, expand: Expand | None) -> ColumnElement[bool]:
    date = _date_condition(phrase)
    if date is not None:
        return and_(Tag.kind == "date", date)
    name = func.lower(Tag.name)
    like = phrase.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    synsets = sorted(expand(phrase)) if expand is not None else []
    return or_(
        name == phrase,
        Tag.synset.in_(synsets) if synsets else false(),
        and_(Tag.kind == "camera", name.like(f"%{like}%", escape="\\")) if len(phrase) > 2
        else false(),
        and_(Tag.kind == "person", name.like(f"{like} %", escape="\\")),
    )


def singulars(word: str) -> list[str]:
    """Plain English plural endings, tried when a word as written finds nothing."""
    out = []
    if word.endswith("ies") and len(word) > 4:
        out.append(word[:-3] + "y")
    if word.endswith(("ches", "shes", "xes", "sses", "ses")):
        out.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        out.append(word[:-1])
    return out


def resolve(session: Session, owner_ids: Sequence[int], phrase: str, expand: Expand | None) -> Term:
    for candidate in [phrase, *singulars(phrase)]:
        rows = session.execute(
            select(Tag.id, Tag.kind, Tag.name).where(_visible(owner_ids),
                                                      _condition(candidate, expand))
            .order_by(Tag.id)
        ).all()
        if rows:
            names = tuple(f"{kind}:{name}" for _, kind, name in rows[:8])
            return Term(phrase, tuple(r[0] for r in rows), names)
    return Term(phrase, (), ())


def resolve_all(session: Session, owner_ids: Sequence[int], query: str,
                expand: Expand | None = None) -> tuple[list[Term], list[str]]:
    """Terms of the query (two-word phrases first) and the words that found nothing;
    ``-word`` terms are left to ``excluded_terms``."""
    words = [w for w in words_of(query) if not w.startswith("-")]
    return _resolve_words(session, owner_ids, words, expand)


def excluded_terms(session: Session, owner_ids: Sequence[int], query: str,
                   expand: Expand | None = None) -> list[Term]:
    """The ``-word`` terms of the query (a word that finds nothing excludes nothing)."""
    words = [w.lstrip("-") for w in words_of(query) if w.startswith("-") and w.strip("-")]
    return [t for t in (resolve(session, owner_ids, w, expand) for w in words) if t.tag_ids]


def _resolve_words(session: Session, owner_ids: Sequence[int], words: list[str],
                   expand: Expand | None) -> tuple[list[Term], list[str]]:
    terms: list[Term] = []
    unknown: list[str] = []
    i = 0
    while i < len(words):
        if i + 1 < len(words):
            pair = resolve(session, owner_ids, f"{words[i]} {words[i + 1]}", expand)
            if pair.tag_ids:
                terms.append(pair)
                i += 2
                continue
        term = resolve(session, owner_ids, words[i], expand)
        if term.tag_ids:
            terms.append(term)
        else:
            unknown.append(words[i])
        i += 1
    return terms, unknown


def search(
    session: Session, owner_ids: Sequence[int], mount_ids: Sequence[int], query: str,
    expand: Expand | None = None, *, user_id: int, offset: int = 0, limit: int | None = None,
) -> SearchResult:
    """Photo ids of the mounts matching every term, ranked by summed confidence; terms see
    shared tags and those of ``owner_ids`` (the user and their shared mounts' groups), on
    the photos as ``user_id`` sees them (``tag_removals.seen_by``)."""
    terms, unknown = resolve_all(session, owner_ids, query, expand)
    excluded = excluded_terms(session, owner_ids, query, expand)
    result = SearchResult(query=query, terms=terms, unknown=unknown, excluded=excluded)
    if unknown or not terms or not mount_ids:
        return result
    seen = seen_by(session, user_id)
    every = set(session.scalars(select(Mount.id)))
    mounts = None if every <= set(mount_ids) else list(mount_ids)  # None: no filter needed
    if len(terms) == 1 and mounts is None and limit is not None and not excluded:
        rows = _top_single(session, seen, terms[0], offset + limit)
        if rows is not None:
            result.total = session.scalar(
                select(func.count(PhotoTag.photo_id.distinct()))
                .where(PhotoTag.tag_id.in_(terms[0].tag_ids), seen)) or 0
            _fill(result, rows[offset:])
            return result
    # one pass: every match (id, score), ranked here; the driver term bounds their number
    rows = sorted(((int(i), float(c)) for i, c in
                   session.execute(_ranked(session, seen, terms, mounts, excluded))),
                  key=lambda r: (-r[1], r[0]))
    result.total = len(rows)
    _fill(result, rows[offset:offset + limit] if limit is not None else rows[offset:])
    return result


def _fill(result: SearchResult, rows: Any) -> None:
    for photo_id, score in rows:
        result.photo_ids.append(int(photo_id))
        result.scores.append(round(float(score), 4))


def _top_single(session: Session, seen: ColumnElement[bool], term: Term, n: int
                ) -> list[tuple[int, float]] | None:
    """The best ``n`` photos of one term from its strongest rows (a bounded sort over the
    covering index), or None when those rows hold fewer than ``n`` distinct photos."""
    fetch = n * 4 + 16
    rows = session.execute(
        select(PhotoTag.photo_id, PhotoTag.confidence)
        .where(PhotoTag.tag_id.in_(term.tag_ids), seen)
        .order_by(PhotoTag.confidence.desc(), PhotoTag.photo_id).limit(fetch)).all()
    best: dict[int, float] = {}
    for photo_id, confidence in rows:
        best.setdefault(photo_id, confidence)
    if len(best) < n and len(rows) == fetch:
        return None
    ordered = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
    return ordered[:n]


def _size(session: Session, term: Term) -> int:
    return session.scalar(select(func.count()).where(PhotoTag.tag_id.in_(term.tag_ids))) or 0


def _ranked(session: Session, seen: ColumnElement[bool], terms: Sequence[Term],
            mounts: list[int] | None, excluded: Sequence[Term] = ()) -> Select[Any]:
    """Driven by the smallest term; the others are checked per candidate photo."""
    ordered = sorted(terms, key=lambda t: _size(session, t)) if len(terms) > 1 else terms
    first = ordered[0]
    driver = (select(PhotoTag.photo_id.label("pid"), func.max(PhotoTag.confidence).label("c"))
              .where(PhotoTag.tag_id.in_(first.tag_ids), seen).group_by(PhotoTag.photo_id)
              .subquery("t0"))
    others = [
        select(func.max(PhotoTag.confidence)).where(
            # "+ 0": look the candidate's few rows up by photo, not every tag by id
            PhotoTag.photo_id == driver.c.pid, (PhotoTag.tag_id + 0).in_(t.tag_ids), seen
        ).scalar_subquery()
        for t in ordered[1:]
    ]
    score = sum(others, driver.c.c)
    query = select(driver.c.pid.label("id"), score.label("score")).select_from(driver)
    for other in others:
        query = query.where(other.is_not(None))
    left_out = sorted({i for t in excluded for i in t.tag_ids})
    if left_out:
        query = query.where(~select(PhotoTag.photo_id).where(
            PhotoTag.photo_id == driver.c.pid, (PhotoTag.tag_id + 0).in_(left_out), seen).exists())
    if mounts is not None:
        query = query.join(Photo, Photo.id == driver.c.pid).where(Photo.mount_id.in_(mounts))
    return query
