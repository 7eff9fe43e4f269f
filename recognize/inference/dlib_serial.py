"""Reader for dlib's binary serialization of a ``dnn`` network (``*.dat``), in plain Python.

dlib writes a network innermost layer first: every layer's parameters appear as a record
that starts with the layer's version string (``con_4``, ``affine_``, ``relu_``, …). Tags and
skips leave no record of their own, so the graph is rebuilt by the caller from the known
network definition. Formats (from dlib's ``serialize.h``, ``dnn/layers.h``, ``cuda/tensor.h``):

- integer: one header byte, low nibble = number of little-endian bytes that follow,
  high bit = sign;
- float/double: mantissa (int64) and exponent (int16), value = mantissa * 2**exponent;
- string: length (integer) then the bytes;
- tensor: version 2, four dimensions, then float32 little-endian data;
- alias tensor (a view into a layer's parameter tensor): version 1 and four dimensions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# layer records this reader understands, with the fields that follow the name
_RECORDS = (
    "input_rgb_image_sized",
    "con_4",
    "affine_",
    "relu_",
    "max_pool_2",
    "avg_pool_2",
    "fc_2",
    "add_prev_",
)


@dataclass
class Record:
    """One layer record: its kind, integer/float fields and named arrays."""

    kind: str
    offset: int
    fields: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


class _Reader:
    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def integer(self) -> int:
        head = self.data[self.pos]
        size = head & 0x0F
        if size > 8:
            raise ValueError(f"bad integer header {head:#x} at byte {self.pos}")
        raw = self.data[self.pos + 1 : self.pos + 1 + size]
        self.pos += 1 + size
        value = int.from_bytes(raw, "little")
        return -value if head & 0x80 else value

    def number(self) -> float:
        mantissa = self.integer()
        exponent = self.integer()
        return float(mantissa) * 2.0**exponent

    def string(self) -> str:
        size = self.integer()
        text = self.data[self.pos : self.pos + size].decode("ascii")
        self.pos += size
        return text

    def dims(self, version: int) -> tuple[int, int, int, int]:
        got = self.integer()
        if got != version:
            raise ValueError(f"tensor version {got} at byte {self.pos}, expected {version}")
        n, k, nr, nc = (self.integer() for _ in range(4))
        return n, k, nr, nc

    def tensor(self) -> np.ndarray:
        shape = self.dims(2)
        count = int(np.prod(shape))
        end = self.pos + 4 * count
        if end > len(self.data):
            raise ValueError("tensor runs past the end of the file")
        arr = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.pos)
        self.pos = end
        return arr.reshape(shape).astype(np.float32)

    def alias(self) -> tuple[int, int, int, int]:
        return self.dims(1)


def _parse_record(kind: str, r: _Reader, rec: Record) -> None:
    f, a = rec.fields, rec.arrays
    if kind == "input_rgb_image_sized":
        f["mean"] = (r.number(), r.number(), r.number())
        f["rows"], f["cols"] = r.integer(), r.integer()
    elif kind == "con_4":
        params = r.tensor().ravel()
        f["num_filters"] = r.integer()
        f["kernel"] = (r.integer(), r.integer())
        f["stride"] = (r.integer(), r.integer())
        f["padding"] = (r.integer(), r.integer())
        wshape, bshape = r.alias(), r.alias()
        nw = int(np.prod(wshape))
        a["weights"] = params[:nw].reshape(wshape)
        a["biases"] = params[nw : nw + int(np.prod(bshape))].copy()
    elif kind == "affine_":
        params = r.tensor().ravel()
        gshape, _ = r.alias(), r.alias()
        k = int(np.prod(gshape))
        a["gamma"], a["beta"] = params[:k].copy(), params[k : 2 * k].copy()
    elif kind in ("max_pool_2", "avg_pool_2"):
        f["window"] = (r.integer(), r.integer())
        f["stride"] = (r.integer(), r.integer())
        f["padding"] = (r.integer(), r.integer())
    elif kind == "fc_2":
        f["outputs"], f["inputs"] = r.integer(), r.integer()
        params = r.tensor().ravel()
        wshape = r.alias()
        a["weights"] = params[: int(np.prod(wshape))].reshape(f["inputs"], f["outputs"])


def read_records(data: bytes) -> list[Record]:
    """Return the layer records of a serialized dlib network, input side first."""
    names = "|".join(re.escape(n) for n in _RECORDS)
    # a string is serialized as a one-byte-length integer (header 0x01) then its characters
    pattern = re.compile(rb"\x01(.)(" + names.encode() + rb")", re.DOTALL)
    records: list[Record] = []
    end = 0
    for match in pattern.finditer(data):
        kind = match.group(2).decode()
        if match.group(1)[0] != len(kind) or match.start() < end:
            continue  # bytes inside a record already read, or a longer name's prefix
        reader = _Reader(data, match.end())
        rec = Record(kind=kind, offset=match.start())
        _parse_record(kind, reader, rec)
        records.append(rec)
        end = reader.pos
    return records
