"""One base class for every model: identity, lazy thread-safe load, predict.

The device, threads and precision are chosen in one place (:func:`make_core` /
:class:`Runtime`) and the choice is logged. Concrete models live in their own modules and
build an ``openvino.Model`` in :meth:`Model.build`; the base class compiles it with the
runtime's settings, caches the IR keyed by the source file's sha256 and warms it up.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import threading
import tomllib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recognize.errors import ModelError
from recognize.log import get_logger

log = get_logger(__name__)

# models/manifest.toml, shipped inside the package through the recognize/data symlink
MANIFEST = Path(__file__).parents[1] / "data" / "manifest.toml"


@dataclass(frozen=True)
class ModelSpec:
    """One entry of ``models/manifest.toml``."""

    name: str
    package: str  # PyPI distribution name
    version: str  # distribution version the sha256 belongs to
    module: str  # importable top-level name holding the file (located without importing)
    file: str  # path inside that module's folder
    sha256: str
    licence: str
    converter: str  # which builder turns it into OpenVINO
    input: dict[str, Any] = field(default_factory=dict)
    no_deps: bool = False  # installed with pip --no-deps
    registry: str = "pypi"  # or "npm": installed by recognize.inference.npm (make)
    tarball_sha256: str = ""  # npm: sha256 of the package tarball
    shards: dict[str, str] = field(default_factory=dict)  # more files: path -> sha256

    def path(self) -> Path:
        if self.registry == "npm":
            from recognize.inference.npm import package_dir

            path = package_dir(self.package, self.version) / self.file
            if not path.is_file():
                raise ModelError(
                    f"model {self.name!r}: {path} is missing; install it with "
                    f"`python -m recognize.inference.npm` (make does)"
                )
            return path
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(
                f"model {self.name!r}: package {self.package}=={self.version} is not installed "
                f"(pip install {'--no-deps ' if self.no_deps else ''}"
                f"{self.package}=={self.version})"
            )
        path = Path(next(iter(spec.submodule_search_locations))) / self.file
        if not path.is_file():
            raise ModelError(
                f"model {self.name!r}: {path} is missing; reinstall {self.package}=={self.version}"
            )
        return path

    def verified_path(self) -> Path:
        path = self.path()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != self.sha256:
            raise ModelError(
                f"model {self.name!r}: {path} is corrupt (sha256 {digest[:12]}…, expected "
                f"{self.sha256[:12]}…); reinstall {self.package}=={self.version}"
            )
        for name, sha in self.shards.items():
            shard = path.parents[len(Path(self.file).parts) - 1] / name  # beside ``file``'s root
            if not shard.is_file() or hashlib.sha256(shard.read_bytes()).hexdigest() != sha:
                raise ModelError(f"model {self.name!r}: {shard} is missing or corrupt; reinstall")
        return path


def load_manifest(path: Path = MANIFEST) -> dict[str, ModelSpec]:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    return {name: ModelSpec(name=name, **entry) for name, entry in raw.get("models", {}).items()}


@dataclass(frozen=True)
class Runtime:
    """Where and how models run: the one place that picks the device."""

    device: str = "CPU"  # CPU, GPU or AUTO; a missing device falls back to CPU with a warning
    threads: int = 0  # inference threads per model, 0 = OpenVINO's default
    precision: str = "auto"  # auto (OpenVINO's default), f32, bf16, f16
    cache_dir: Path | None = None  # where converted IR is kept, keyed by sha256

    def core(self) -> Any:
        return _core()

    def resolved_device(self) -> str:
        available = _core().available_devices
        wanted = self.device.upper()
        if wanted == "AUTO" or any(d.split(".")[0] == wanted for d in available):
            return wanted
        log.warning("OpenVINO device %s is not available (have %s); using CPU", wanted, available)
        return "CPU"

    def compile_config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = {}
        if self.threads > 0:
            cfg["INFERENCE_NUM_THREADS"] = self.threads
        if self.precision != "auto":
            cfg["INFERENCE_PRECISION_HINT"] = self.precision
        return cfg


_core_lock = threading.Lock()
_core_instance: Any = None


def _core() -> Any:
    global _core_instance
    with _core_lock:
        if _core_instance is None:
            import openvino as ov

            _core_instance = ov.Core()
            log.info("OpenVINO %s, devices: %s", ov.__version__, _core_instance.available_devices)
        return _core_instance


class Model(ABC):
    """A recognition model: identity (name + version), lazy thread-safe load, predict."""

    def __init__(self, spec: ModelSpec, runtime: Runtime) -> None:
        self.spec = spec
        self.runtime = runtime
        self._compiled: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def version(self) -> str:
        """Changes whenever the weights change: stages record it per photo."""
        return f"{self.spec.name}@{self.spec.sha256[:12]}"

    @abstractmethod
    def build(self, source: Path) -> Any:
        """Return an ``openvino.Model`` made from the package file ``source``."""

    def warm_up(self, compiled: Any) -> None:  # noqa: B027 - optional hook
        """Run one dummy inference so the first real call is not slow."""

    def load(self) -> Any:
        """Convert (or read the cached IR), compile and warm up once; thread-safe."""
        if self._compiled is not None:
            return self._compiled
        with self._lock:
            if self._compiled is None:
                self._compiled = self._load()
        return self._compiled

    def _load(self) -> Any:

        core = self.runtime.core()
        source = self.spec.verified_path()
        ir = self._cached_ir()
        if ir is not None and ir.is_file():
            model = core.read_model(str(ir))
        else:
            try:
                model = self.build(source)
            except ModelError:
                raise
            except Exception as exc:
                raise ModelError(f"model {self.name!r}: cannot convert {source}: {exc}") from exc
            if ir is not None:
                from recognize.inference import cache_files

                ir.parent.mkdir(parents=True, exist_ok=True)
                cache_files.save_model(model, ir)
        device = self.runtime.resolved_device()
        compiled = core.compile_model(model, device, self.runtime.compile_config())
        log.info("model %s compiled for %s %s", self.version, device, self.runtime.compile_config())
        self.warm_up(compiled)
        return compiled

    def _cached_ir(self) -> Path | None:
        """Keyed by the weights and by the manifest's input spec and converter, which the
        built graph bakes in (mean, scale, colour order …): changing them rebuilds it."""
        if self.runtime.cache_dir is None:
            return None
        recipe = json.dumps([self.spec.converter, self.spec.input], sort_keys=True)
        key = hashlib.sha256(f"{self.spec.sha256}:{recipe}".encode()).hexdigest()[:16]
        return Path(self.runtime.cache_dir) / f"{self.spec.name}-{key}.xml"

    @abstractmethod
    def predict(self, *args: Any, **kwargs: Any) -> Any:
        """Run the model on pre-processed input; concrete classes define the signature."""
