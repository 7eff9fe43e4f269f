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

A one-term search over every mount reads only the term's most confident rows and counts its
photos only up to ``TOTAL_MARGIN`` past the page's end: beyond that ``total`` is a lower bound
(``total_is_lower_bound``); counting every photo of a broad term ("animal": a few hundred tags,
most of the library) costs more than finding the page.
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
TOTAL_MARGIN = 1000  # a one-term total is exact up to this many photos past the page's end
# confidence floors tried in turn for a term's best rows (1 - 0.1 * 2**k), then none
RANK_FLOORS = (0.9, 0.8, 0.6, 0.2)
LIST_RATIO = 3  # a checked term of at most this many times the driver's rows is read as a list
DRIVER_ROWS = 65536  # a one-term driver's rows are counted up to this many (see _listed)


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
    total_is_lower_bound: bool = False  # more photos match than counted (see TOTAL_MARGIN)
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


Lookup = Callable[[str], Term]  # phrase → its term (``resolve`` for one session and owners)


def resolve_all(session: Session, owner_ids: Sequence[int], query: str,
                expand: Expand | None = None, lookup: Lookup | None = None
                ) -> tuple[list[Term], list[str]]:
    """Terms of the query (two-word phrases first) and the words that found nothing;
    ``-word`` terms are left to ``excluded_terms``. ``lookup``: what ``resolve`` gives for a
    phrase in this session for these owners (e.g. remembered; else ``resolve`` is called)."""
    words = [w for w in words_of(query) if not w.startswith("-")]
    return _resolve_words(lookup or _lookup(session, owner_ids, expand), words)


def excluded_terms(session: Session, owner_ids: Sequence[int], query: str,
                   expand: Expand | None = None, lookup: Lookup | None = None) -> list[Term]:
    """The ``-word`` terms of the query (a word that finds nothing excludes nothing)."""
    words = [w.lstrip("-") for w in words_of(query) if w.startswith("-") and w.strip("-")]
    find = lookup or _lookup(session, owner_ids, expand)
    return [t for t in (find(w) for w in words) if t.tag_ids]


def _lookup(session: Session, owner_ids: Sequence[int], expand: Expand | None) -> Lookup:
    return lambda phrase: resolve(session, owner_ids, phrase, expand)


def _resolve_words(resolve: Lookup, words: list[str]) -> tuple[list[Term], list[str]]:
    terms: list[Term] = []
    unknown: list[str] = []
    i = 0
    while i < len(words):
        if i + 1 < len(words):
            pair = resolve(f"{words[i]} {words[i + 1]}")
            if pair.tag_ids:
                terms.append(pair)
                i += 2
                continue
        term = resolve(words[i])
        if term.tag_ids:
            terms.append(term)
        else:
            unknown.append(words[i])
        i += 1
    return terms, unknown


Resolved = tuple[list[Term], list[str], list[Term]]  # terms, unknown words, excluded terms


def resolve_query(session: Session, owner_ids: Sequence[int], query: str,
                  expand: Expand | None = None, lookup: Lookup | None = None) -> Resolved:
    terms, unknown = resolve_all(session, owner_ids, query, expand, lookup)
    return terms, unknown, excluded_terms(session, owner_ids, query, expand, lookup)


def search(
    session: Session, owner_ids: Sequence[int], mount_ids: Sequence[int], query: str,
    expand: Expand | None = None, *, user_id: int, offset: int = 0, limit: int | None = None,
    total_margin: int = TOTAL_MARGIN, resolved: Resolved | None = None,
    list_ratio: int = LIST_RATIO,
) -> SearchResult:
    """Photo ids of the mounts matching every term, ranked by summed confidence; terms see
    shared tags and those of ``owner_ids`` (the user and their shared mounts' groups), on
    the photos as ``user_id`` sees them (``tag_removals.seen_by``). A one-term ``total`` is
    exact up to ``total_margin`` photos past the page's end. ``resolved``: what
    :func:`resolve_query` gave for this query and these owners (else it is called).
    ``list_ratio``: how much larger than the driver a checked term may be and still be read
    as a list (see ``_listed``; the matches are the same either way)."""
    terms, unknown, excluded = resolved or resolve_query(session, owner_ids, query, expand)
    result = SearchResult(query=query, terms=list(terms), unknown=list(unknown),
                          excluded=list(excluded))
    if unknown or not terms or not mount_ids:
        return result
    seen = seen_by(session, user_id)
    every = set(session.scalars(select(Mount.id)))
    mounts = None if every <= set(mount_ids) else list(mount_ids)  # None: no filter needed
    if len(terms) == 1 and mounts is None and limit is not None and not excluded:
        rows = _top_single(session, seen, terms[0], offset + limit)
        if rows is not None:
            cap = offset + limit + total_margin
            counted = _photos_up_to(session, seen, terms[0], cap + 1)
            result.total, result.total_is_lower_bound = min(counted, cap), counted > cap
            _fill(result, rows[offset:])
            return result
    # one pass: every match (id, score), ranked here; the driver term bounds their number
    rows = sorted(((int(i), float(c)) for i, c in
                   session.execute(_ranked(session, seen, terms, mounts, excluded, list_ratio))),
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
    """The best ``n`` photos of one term from its strongest rows, or None when those rows
    hold fewer than ``n`` distinct photos. The rows read are a prefix of all the term's rows
    in (confidence desc, photo) order, so the first ``n`` photos seen are the best ``n``; a
    floor on the confidence (tried high first) keeps the sort to the rows above it."""
    fetch = n * 4 + 16
    for floor in (*RANK_FLOORS, None):
        query = select(PhotoTag.photo_id, PhotoTag.confidence).where(
            PhotoTag.tag_id.in_(term.tag_ids), seen)
        if floor is not None:
            query = query.where(PhotoTag.confidence >= floor)
        rows = session.execute(
            query.order_by(PhotoTag.confidence.desc(), PhotoTag.photo_id).limit(fetch)).all()
        best: dict[int, float] = {}
        for photo_id, confidence in rows:
            best.setdefault(photo_id, confidence)
        if len(best) >= n or floor is None:
            break
        if len(rows) == fetch:
            return None  # the prefix is too short (many rows per photo): rank them all
    if len(best) < n and len(rows) == fetch:
        return None
    ordered = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
    return ordered[:n]


def _photos_up_to(session: Session, seen: ColumnElement[bool], term: Term, cap: int) -> int:
    """The term's distinct photos, counted up to ``cap``."""
    found = (select(PhotoTag.photo_id).where(PhotoTag.tag_id.in_(term.tag_ids), seen).distinct()
             .limit(cap).subquery())
    return session.scalar(select(func.count()).select_from(found)) or 0


def _rows_up_to(session: Session, term: Term, cap: int) -> int:
    """The term's photo_tags rows, counted up to ``cap``."""
    rows = select(PhotoTag.photo_id).where(PhotoTag.tag_id.in_(term.tag_ids)).limit(cap)
    return session.scalar(select(func.count()).select_from(rows.subquery())) or 0


def _by_size(session: Session, terms: Sequence[Term]) -> tuple[list[Term], list[int], int]:
    """Terms smallest first (by rows), each counted up to a cap that grows 16-fold until one
    term is under it: the smallest (the driver) is exact, the rest only known to be larger.
    Also their counts in that order (``cap + 1``: more than ``cap``) and the cap."""
    cap = 1024
    while True:
        sizes = [_rows_up_to(session, term, cap + 1) for term in terms]
        if min(sizes) <= cap:
            break
        cap *= 16
    ranked = sorted(zip(sizes, range(len(terms)), terms, strict=True))
    return [t for _, _, t in ranked], [s for s, _, _ in ranked], cap


def _listed(session: Session, term: Term, known: int | None, cap: int, driver_rows: int,
            ratio: int) -> bool:
    """Whether the term is checked from a list of its photos read once (``IN``), rather than
    per candidate from the candidate's own rows: when it holds at most ``ratio`` times the
    driver's rows (reading a row into the list costs a fraction of a candidate's look-up).
    ``known``: its rows as counted up to ``cap + 1`` (None: not counted)."""
    most = ratio * driver_rows
    if known is None or (known > cap and cap < most):
        known = _rows_up_to(session, term, most + 1)
    return known <= most


def _photos_of(term: Sequence[int], seen: ColumnElement[bool]) -> Select[Any]:
    return select(PhotoTag.photo_id).where(PhotoTag.tag_id.in_(term), seen)


def _ranked(session: Session, seen: ColumnElement[bool], terms: Sequence[Term],
            mounts: list[int] | None, excluded: Sequence[Term] = (),
            list_ratio: int = LIST_RATIO) -> Select[Any]:
    """Driven by the smallest term; the others are checked per candidate photo: small terms
    against a list of their photos read once, broad ones (and exclusions) from the
    candidate's own rows, those first that cost least per candidate; the confidences of the
    other terms are read only for the candidates that pass."""
    ordered, sizes, cap = _by_size(session, terms) if len(terms) > 1 else (list(terms), [0], 0)
    first = ordered[0]
    driver = (select(PhotoTag.photo_id.label("pid"), func.max(PhotoTag.confidence).label("c"))
              .where(PhotoTag.tag_id.in_(first.tag_ids), seen).group_by(PhotoTag.photo_id)
              .subquery("t0"))

    def own_rows(column: Any, tag_ids: Sequence[int]) -> Select[Any]:
        # "+ 0": look the candidate's few rows up by photo, not every tag by id
        return select(column).where(
            PhotoTag.photo_id == driver.c.pid, (PhotoTag.tag_id + 0).in_(tag_ids), seen)

    # in the select list: read only for the candidates that pass the checks
    others = [own_rows(func.max(PhotoTag.confidence), t.tag_ids).scalar_subquery()
              for t in ordered[1:]]
    score = sum(others, driver.c.c)
    query = select(driver.c.pid.label("id"), score.label("score")).select_from(driver)
    left_out = sorted({i for t in excluded for i in t.tag_ids})
    driver_rows = sizes[0]
    if len(terms) == 1 and left_out:  # not counted yet (beyond DRIVER_ROWS it matters not)
        driver_rows = _rows_up_to(session, first, DRIVER_ROWS)
    lists: list[ColumnElement[bool]] = []
    looked_up: list[ColumnElement[bool]] = []
    for term, size in zip(ordered[1:], sizes[1:], strict=True):
        if _listed(session, term, size, cap, driver_rows, list_ratio):
            lists.append(driver.c.pid.in_(_photos_of(term.tag_ids, seen)))
        else:
            looked_up.append(own_rows(PhotoTag.photo_id, term.tag_ids).exists())
    # exclusions last: after the other terms few candidates are usually left to look up (an
    # exclusion rarely leaves out many), so a list only when the driver is all there is
    if left_out and len(terms) == 1 and _listed(
            session, Term("", tuple(left_out), ()), None, 0, driver_rows, list_ratio):
        lists.append(driver.c.pid.not_in(_photos_of(left_out, seen)))
    elif left_out:
        looked_up.append(~own_rows(PhotoTag.photo_id, left_out).exists())
    for check in lists + looked_up:  # SQLite tests them in this order
        query = query.where(check)
    if mounts is not None:
        query = query.join(Photo, Photo.id == driver.c.pid).where(Photo.mount_id.in_(mounts))
    return query
