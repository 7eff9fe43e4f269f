"""The stages a photo goes through, listed once in :data:`STAGES`; names, order and
enablement all come from that list.

Every stage has the same small interface (:class:`Stage`): a ``name``, a ``version``
recorded per photo (a new version re-runs only that stage), ``compute`` (pixels or
metadata in, an output out; no store access) and ``save`` (the output into the store,
inside the batch's transaction). A stage that reads another's output names it in
``needs``: the worker computes it first (the media stage decodes each photo once, at the
analysis size, and every later stage runs on that decode) but saves only what was claimed.

Adding a stage is one :class:`Entry` in :data:`STAGES` and a module with ``build(settings)``.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from recognize.config import Settings
from recognize.inference.base import Runtime
from recognize.store.models import STAGE_VERSION_LENGTH
from recognize.store.queue import Claimed


@dataclass
class Work:
    """One claimed photo flowing through the stages of a batch: the queue's claim and what
    the stages computed for it."""

    claim: Claimed
    outputs: dict[str, Any] = field(default_factory=dict)  # stage name -> compute's result
    decoded: bool = False  # the photo's pixels were decoded in this batch
    error: str | None = None  # set when the photo failed (nothing of it is saved)
    permanent: bool = False  # the failure will not go away by retrying (bad file)


class Stage(ABC):
    """One step of the cascade; built once per worker from the config."""

    name: ClassVar[str]
    needs: ClassVar[tuple[str, ...]] = ()  # stages whose output ``compute`` reads
    changes_faces: ClassVar[bool] = False  # saving it changes the faces persons are made of
    changes_hashes: ClassVar[bool] = False  # ... the perceptual hashes duplicates come from
    version: str

    @abstractmethod
    def compute(self, work: Work) -> Any:
        """The stage's output for one photo; no store access (runs under the photo timeout)."""

    @abstractmethod
    def save(self, session: Session, work: Work, output: Any) -> None:
        """Write ``output`` inside the batch's transaction (the photo's pixels are gone by
        then: whatever needs them, such as a face's crop, is made in ``compute``)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release long-lived resources (a helper process) when the worker stops."""


@dataclass(frozen=True)
class Entry:
    """A stage in :data:`STAGES`: its name, the module whose ``build(settings)`` makes it,
    and the config section whose ``enabled`` key switches it (None: always on)."""

    name: str
    module: str
    section: str | None

    def enabled(self, settings: Settings) -> bool:
        return self.section is None or bool(getattr(settings, self.section).enabled)

    def build(self, settings: Settings) -> Stage:
        stage: Stage = importlib.import_module(self.module).build(settings)
        assert stage.name == self.name, (stage.name, self.name)
        if len(stage.version) > STAGE_VERSION_LENGTH:
            raise ValueError(f"stage {self.name}: version {stage.version!r} is longer than the "
                             f"{STAGE_VERSION_LENGTH} characters the store holds")
        return stage


STAGES: tuple[Entry, ...] = (
    Entry("media", "recognize.jobs.stages.media", None),
    Entry("faces", "recognize.jobs.stages.faces", "faces"),
    Entry("tags", "recognize.jobs.stages.tags", "tags"),
    Entry("objects", "recognize.jobs.stages.objects", "objects"),
    Entry("text", "recognize.jobs.stages.text", "text"),
)
"""Every stage, in the order a photo goes through them (a stage comes after its needs)."""


def enabled(settings: Settings) -> list[Entry]:
    return [e for e in STAGES if e.enabled(settings)]


def stage_names(settings: Settings) -> list[str]:
    """The enabled stages' names, in order, without building any stage (no model is read)."""
    return [e.name for e in enabled(settings)]


def build_stages(settings: Settings) -> list[Stage]:
    """The enabled stages, built from the config (models load lazily, on first use)."""
    return [e.build(settings) for e in enabled(settings)]


def plan(stages: Sequence[Stage], claimed: Iterable[str]) -> list[Stage]:
    """What to compute for a photo: the claimed stages and what they need, in pipeline order
    (claimed names of stages that are not enabled are ignored)."""
    by_name = {s.name: s for s in stages}
    wanted: set[str] = set()
    todo = [n for n in claimed if n in by_name]
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo.extend(n for n in by_name[name].needs if n in by_name)
    return [s for s in stages if s.name in wanted]


def runtime(settings: Settings) -> Runtime:
    """The one place the models' device, threads and precision come from."""
    return Runtime(
        device=settings.inference.device,
        threads=settings.jobs.threads,
        precision=settings.inference.precision,
        cache_dir=settings.models_dir(),
    )
