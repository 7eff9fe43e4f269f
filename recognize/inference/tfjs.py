"""Read a TensorFlow.js graph model (``model.json`` + weight shards) into OpenVINO.

A TF.js graph model is a TensorFlow ``GraphDef`` written as protobuf JSON
(``modelTopology``) whose constants were moved into binary shards (``weightsManifest``:
name, shape, dtype and an optional quantisation per tensor, stored back to back). OpenVINO
has no TF.js reader but reads a frozen ``GraphDef``, so this module writes one: it encodes
the JSON nodes as protobuf (the few message types a GraphDef uses are encoded by hand —
no TensorFlow, no protobuf package), puts every weight back into its ``Const`` node as
``tensor_content``, and hands the bytes to OpenVINO's TensorFlow frontend.

TF.js renames a few fused ops (``FusedDepthwiseConv2dNative``); they get TensorFlow's
names back. Quantised weights (float16, or uint8/uint16 with ``scale`` and ``min``) are
expanded to their original dtype. int64 constants, stored as int32 by TF.js, are widened
again where the graph asks for int64.
"""

from __future__ import annotations

import base64
import json
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from recognize.errors import ModelError

DTYPES = {"DT_FLOAT": 1, "DT_DOUBLE": 2, "DT_INT32": 3, "DT_UINT8": 4, "DT_INT16": 5,
          "DT_INT8": 6, "DT_STRING": 7, "DT_INT64": 9, "DT_BOOL": 10, "DT_HALF": 19}
NUMPY = {"DT_FLOAT": np.float32, "DT_INT32": np.int32, "DT_INT64": np.int64,
         "DT_BOOL": np.bool_, "DT_UINT8": np.uint8, "DT_INT8": np.int8, "DT_HALF": np.float16}
RENAMED_OPS = {"FusedDepthwiseConv2dNative": "_FusedDepthwiseConv2dNative"}


# -- protobuf wire format --------------------------------------------------------------------
def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64 as two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _bytes(field: int, data: bytes) -> bytes:
    return _key(field, 2) + _varint(len(data)) + data


def _int(field: int, n: int) -> bytes:
    return _key(field, 0) + _varint(n)


def _float(field: int, x: float) -> bytes:
    return _key(field, 5) + struct.pack("<f", x)


def _shape(js: dict[str, Any]) -> bytes:
    """TensorShapeProto {repeated Dim dim = 2 {int64 size = 1}; bool unknown_rank = 3}."""
    out = b""
    for d in js.get("dim", []):
        out += _bytes(2, _int(1, int(d.get("size", -1))) if "size" in d else _int(1, -1))
    if js.get("unknownRank"):
        out += _int(3, 1)
    return out


def _tensor(dtype: str, shape: list[int], content: bytes) -> bytes:
    """TensorProto {dtype = 1; tensor_shape = 2; tensor_content = 4}."""
    dims = {"dim": [{"size": str(s)} for s in shape]}
    return _int(1, DTYPES[dtype]) + _bytes(2, _shape(dims)) + _bytes(4, content)


def _dtype(name: str) -> int:
    if name not in DTYPES:
        raise ModelError(f"TF.js graph: unsupported dtype {name}")
    return DTYPES[name]


def _attr(js: dict[str, Any]) -> bytes:
    """AttrValue {list = 1; s = 2; i = 3; f = 4; b = 5; type = 6; shape = 7; tensor = 8}."""
    if "list" in js:
        lst, out = js["list"], b""
        for s in lst.get("s", []):
            out += _bytes(2, base64.b64decode(s))
        if lst.get("i"):
            out += _bytes(3, b"".join(_varint(int(i)) for i in lst["i"]))
        if lst.get("f"):
            out += _bytes(4, b"".join(struct.pack("<f", float(f)) for f in lst["f"]))
        if lst.get("b"):
            out += _bytes(5, b"".join(_varint(int(bool(b))) for b in lst["b"]))
        if lst.get("type"):
            out += _bytes(6, b"".join(_varint(_dtype(t)) for t in lst["type"]))
        for sh in lst.get("shape", []):
            out += _bytes(7, _shape(sh))
        return _bytes(1, out)
    if "s" in js:
        return _bytes(2, base64.b64decode(js["s"]))
    if "i" in js:
        return _int(3, int(js["i"]))
    if "f" in js:
        return _float(4, float(js["f"]))
    if "b" in js:
        return _int(5, int(bool(js["b"])))
    if "type" in js:
        return _int(6, _dtype(js["type"]))
    if "shape" in js:
        return _bytes(7, _shape(js["shape"]))
    if "tensor" in js:
        raise ModelError("TF.js graph: a tensor attribute outside a Const node")
    return b""  # an empty AttrValue (e.g. an empty list written as {})


def _node(js: dict[str, Any], attrs: dict[str, bytes]) -> bytes:
    """NodeDef {name = 1; op = 2; repeated input = 3; device = 4; map<string, AttrValue> attr = 5}."""
    out = _bytes(1, js["name"].encode()) + _bytes(2, RENAMED_OPS.get(js["op"], js["op"]).encode())
    for i in js.get("input", []):
        out += _bytes(3, i.encode())
    for k, v in attrs.items():
        out += _bytes(5, _bytes(1, k.encode()) + _bytes(2, v))
    return out


# -- weights ---------------------------------------------------------------------------------
def read_weights(model_json: dict[str, Any], folder: Path) -> dict[str, np.ndarray]:
    """Every weight of the manifest as a numpy array of its original dtype."""
    out: dict[str, np.ndarray] = {}
    for group in model_json["weightsManifest"]:
        data = b"".join((folder / p).read_bytes() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            shape = [int(s) for s in w["shape"]]
            count = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            stored = np.dtype(q["dtype"] if q else w["dtype"])
            size = count * stored.itemsize
            if offset + size > len(data):
                raise ModelError(f"TF.js graph: weight {w['name']} runs past the end of its shard")
            raw = np.frombuffer(data, stored, count, offset)
            offset += size
            if q and q["dtype"] in ("uint8", "uint16"):
                arr = raw.astype(np.float32) * float(q["scale"]) + float(q["min"])
            else:
                arr = raw
            out[w["name"]] = arr.astype(np.dtype(w["dtype"])).reshape(shape)
        if offset != len(data):
            raise ModelError(f"TF.js graph: {len(data) - offset} bytes left over in {group['paths']}")
    return out


def graph_def(model_json_path: Path) -> bytes:
    """The frozen TensorFlow ``GraphDef`` (serialised protobuf) of a TF.js graph model."""
    path = Path(model_json_path)
    js = json.loads(path.read_text())
    if js.get("format") != "graph-model":
        raise ModelError(f"{path}: not a TF.js graph model (format {js.get('format')!r})")
    weights = read_weights(js, path.parent)
    topology = js["modelTopology"]
    out = b""
    for node in topology["node"]:
        attrs: dict[str, bytes] = {}
        for k, v in node.get("attr", {}).items():
            if node["op"] == "Const" and k == "value":
                continue
            attrs[k] = _attr(v)
        if node["op"] == "Const":
            if node["name"] not in weights:
                raise ModelError(f"{path}: constant {node['name']} has no weight")
            dtype = node["attr"]["value"]["tensor"]["dtype"]
            arr: np.ndarray = weights[node["name"]].astype(NUMPY[dtype])
            attrs["value"] = _bytes(8, _tensor(dtype, list(arr.shape), arr.tobytes()))
            attrs["dtype"] = _int(6, DTYPES[dtype])
        out += _bytes(1, _node(node, attrs))
    producer = int(topology.get("versions", {}).get("producer", 0) or 0)
    return out + _bytes(4, _int(1, producer))


def read_tfjs(model_json_path: Path) -> Any:
    """An ``openvino.Model`` of the TF.js graph model at ``model_json_path``."""
    import openvino as ov

    with tempfile.TemporaryDirectory(prefix="tfjs-") as tmp:
        pb = Path(tmp) / "graph.pb"
        pb.write_bytes(graph_def(model_json_path))
        return ov.Core().read_model(str(pb))
