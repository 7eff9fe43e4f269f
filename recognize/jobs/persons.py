"""Clustering a user's faces into persons: the job behind `recognize cluster` and the cascade.

Incremental by default: persons the user named or put a face into keep every face they have;
every other face (new, unassigned, or in an automatic person nobody confirmed) is decided
again together with the nearby faces of those persons (``clustering.update``), so automatic
persons converge to what clustering all faces at once gives. A full re-clustering runs when
the clustering settings changed since the last run (names and corrections are kept either way).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import cast

from recognize.clustering.constraints import Constraint, ConstraintKind
from recognize.clustering.cover import FaceBox, choose_cover
from recognize.clustering.params import ClusterParams
from recognize.clustering.update import update_persons
from recognize.config import Settings
from recognize.errors import Conflict, NotFound
from recognize.log import get_logger
from recognize.store import Store, accounts, leases, state
from recognize.store import clusters as cluster_store

log = get_logger(__name__)


def params_digest(params: ClusterParams) -> str:
    """The settings' fingerprint kept per owner: a full re-clustering runs when it changes."""
    return hashlib.sha256(json.dumps(params.digest_fields(), sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ClusterSummary:
    user: str
    faces: int
    persons: int
    named: int
    created: int
    changed: int
    unassigned: int
    full: bool
    seconds: float


def constraints_of(faces: cluster_store.UserFaces) -> list[Constraint]:
    out = []
    for face, person, kind in faces.corrections:
        if kind == "must":
            out.append(Constraint(face, person, ConstraintKind.MUST_LINK))
        elif person in faces.deleted:
            out.append(Constraint(face, person, ConstraintKind.DELETED))
        else:
            out.append(Constraint(face, person, ConstraintKind.CANNOT_LINK))
    return out


def cluster_user(settings: Settings, store: Store, user: str, *, full: bool | None = None,
                 holder: str = "cli") -> ClusterSummary:
    """Update the persons of one person owner: a user (over their mounts that do not share
    persons) or a shared mount's group ``@<mount>``; ``full=None`` re-clusters fully only
    when settings changed."""
    started = time.monotonic()
    params = ClusterParams.from_settings(settings.persons)
    digest = params_digest(params)
    state_key = f"cluster-params:{user}"
    with store.session() as session:
        uid = accounts.user_id(session, user)
        if uid is None:
            raise NotFound(f"no user named {user!r}")
        if not leases.acquire(session, f"cluster:{user}", holder, 3600):
            raise Conflict(f"clustering of {user!r} is running on another node")
        mount_ids = accounts.owner_mounts(session, uid)
        if full is None:
            full = state.get_state(session, state_key) != digest
    try:
        with store.reading() as session:
            faces = cluster_store.user_faces(session, uid, mount_ids)
        current = cast("dict[Hashable, Hashable]", faces.current)
        result = update_persons(
            faces.embeddings, faces.face_ids, current, photo_ids=faces.photo_ids,
            named_persons=faces.named, constraints=constraints_of(faces), params=params,
            full=full)
        with store.session() as session:
            created, changed = cluster_store.apply_persons(session, uid, faces.face_ids, result)
            covers = {}
            for person, boxes in cluster_store.face_boxes(session, uid).items():
                pick = choose_cover([FaceBox(x * w_, y * h_, w * w_, h * h_, w_, h_, score)
                                     for _, x, y, w, h, score, w_, h_ in boxes])
                if pick is not None:
                    covers[person] = boxes[pick][0]
            cluster_store.set_covers(session, covers)
            state.set_state(session, state_key, digest)
    finally:
        with store.session() as session:
            leases.release(session, f"cluster:{user}", holder)
    summary = ClusterSummary(
        user=user, faces=len(faces.face_ids), persons=len(set(map(str, result.values()))),
        named=len(faces.named), created=created, changed=changed,
        unassigned=len(faces.face_ids) - len(result), full=full,
        seconds=round(time.monotonic() - started, 3))
    log.info("clustered %s: %s", user, summary)
    return summary


def person_owners_of(store: Store, users: list[str]) -> list[str]:
    """Whom to cluster for these users: each of them, and the group of every mount of theirs
    that shares persons."""
    with store.reading() as session:
        mounts = sorted({m.id for u in users for m in accounts.mounts_of(session, u)})
        groups = [n for n in accounts.person_owner_names(session, mounts)
                  if n.startswith(accounts.GROUP_PREFIX)]
    return [*users, *groups]
