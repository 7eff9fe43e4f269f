"""dlib's face-recognition ResNet (``dlib_face_recognition_resnet_model_v1.dat``) in OpenVINO.

The network definition is dlib's ``examples/dnn_face_recognition_ex.cpp``: a 7x7/2 stem,
max-pool 3x3/2, fourteen residual blocks ``con-affine-relu-con-affine (+ skip) relu`` and
``fc_no_bias<128>`` after a global average. In a down-sampling block the skip branch is the
block input average-pooled 2x2/2. ``add_prev`` adds tensors of different sizes by treating the
missing elements as zero (dlib ``tt::add``), so both operands are zero-padded at the end of
the channel, row and column axes. The graph takes uint8 RGB chips ``N x 150 x 150 x 3`` and
does dlib's input scaling ``(px - mean) / 256`` itself; the output is dlib's 128-D descriptor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from recognize.errors import ModelError
from recognize.inference.base import Model
from recognize.inference.dlib_serial import Record, read_records

CHIP_SIZE = 150

Node = Any
Shape = tuple[int, int, int]  # channels, rows, cols (the batch stays dynamic)


def _pad_to(ops: Any, x: Node, shape: Shape, target: Shape) -> Node:
    extra = [t - s for s, t in zip(shape, target, strict=True)]
    if not any(extra):
        return x
    return ops.pad(x, [0, 0, 0, 0], [0, *extra], "constant", np.float32(0))


class _Builder:
    """Turns the ordered layer records into an OpenVINO graph."""

    def __init__(self, ops: Any, records: list[Record]) -> None:
        self.ops = ops
        self.records = records

    def build(self) -> Any:
        import openvino as ov

        ops = self.ops
        head = self.records[0]
        if head.kind != "input_rgb_image_sized":
            raise ValueError(f"first record is {head.kind}, not the input layer")
        rows, cols = head.fields["rows"], head.fields["cols"]
        chips = ops.parameter([-1, rows, cols, 3], np.uint8, name="chips")
        mean = np.array(head.fields["mean"], dtype=np.float32)
        x = ops.divide(ops.subtract(ops.convert(chips, np.float32), mean), np.float32(256))
        x = ops.transpose(x, [0, 3, 1, 2])
        shape: Shape = (3, rows, cols)
        block: tuple[Node, Shape] = (x, shape)
        previous = ["", ""]
        for rec in self.records[1:]:
            if rec.kind == "con_4" and (
                previous[-1] == "max_pool_2" or previous[-2:] == ["add_prev_", "relu_"]
            ):
                block = (x, shape)
            x, shape, block = self._layer(rec, x, shape, block)
            previous.append(rec.kind)
        out = ops.result(x, name="descriptor")
        return ov.Model([out], [chips], "dlib_face_recognition_resnet_model_v1")

    def _layer(self, rec: Record, x: Node, shape: Shape, block: tuple[Node, Shape]) -> Any:
        ops, f, a = self.ops, rec.fields, rec.arrays
        if rec.kind == "con_4":
            pad = list(f["padding"])
            x = ops.convolution(x, a["weights"], list(f["stride"]), pad, pad, [1, 1])
            x = ops.add(x, a["biases"].reshape(1, -1, 1, 1))
            shape = (f["num_filters"], *_out_hw(shape, f["kernel"], f["stride"], pad))
        elif rec.kind == "affine_":
            x = ops.add(ops.multiply(x, a["gamma"].reshape(1, -1, 1, 1)), a["beta"].reshape(1, -1, 1, 1))
        elif rec.kind == "relu_":
            x = ops.relu(x)
        elif rec.kind == "max_pool_2":
            pad = list(f["padding"])
            x = ops.max_pool(x, list(f["stride"]), [1, 1], pad, pad, list(f["window"]), "floor")
            x = x.output(0)
            shape = (shape[0], *_out_hw(shape, f["window"], f["stride"], pad))
        elif rec.kind == "avg_pool_2" and f["window"] == (0, 0):
            x = ops.reduce_mean(x, [2, 3], keep_dims=False)
            shape = (shape[0], 1, 1)
        elif rec.kind == "avg_pool_2":  # the skip branch of a down-sampling block
            node, bshape = block
            pad = list(f["padding"])
            node = ops.avg_pool(node, list(f["stride"]), pad, pad, list(f["window"]), True, "floor")
            block = (node, (bshape[0], *_out_hw(bshape, f["window"], f["stride"], pad)))
        elif rec.kind == "add_prev_":
            node, bshape = block
            target: Shape = tuple(max(p, q) for p, q in zip(shape, bshape, strict=True))  # type: ignore[assignment]
            x = ops.add(_pad_to(ops, x, shape, target), _pad_to(ops, node, bshape, target))
            shape = target
        elif rec.kind == "fc_2":
            x = ops.matmul(x, a["weights"], False, False)
            shape = (f["outputs"], 1, 1)
        return x, shape, block


def _out_hw(
    shape: Shape, window: tuple[int, int], stride: tuple[int, int], pad: list[int]
) -> tuple[int, int]:
    return tuple(  # type: ignore[return-value]
        (shape[i + 1] + 2 * pad[i] - window[i]) // stride[i] + 1 for i in range(2)
    )


def build_resnet(source: Path) -> Any:
    """Convert dlib's serialized ResNet at ``source`` into an ``openvino.Model``."""
    import openvino.opset13 as ops

    records = read_records(source.read_bytes())
    kinds = [r.kind for r in records]
    if kinds.count("con_4") != 29 or kinds.count("fc_2") != 1:
        raise ModelError(f"{source.name} is not dlib's face-recognition ResNet ({len(kinds)} layers)")
    return _Builder(ops, records).build()


class FaceEmbedder(Model):
    """128-D face descriptors from 150x150 RGB chips aligned the way dlib aligns them."""

    batch_size = 16

    def __init__(self, spec: Any, runtime: Any, *, mirror: bool = False) -> None:
        super().__init__(spec, runtime)
        self.mirror = mirror  # also embed the mirrored chip and average (like num_jitters)

    @property
    def version(self) -> str:
        return super().version + ("+mirror" if self.mirror else "")

    def build(self, source: Path) -> Any:
        return build_resnet(source)

    def warm_up(self, compiled: Any) -> None:
        compiled(np.zeros((1, CHIP_SIZE, CHIP_SIZE, 3), np.uint8))

    def predict(self, chips: np.ndarray) -> np.ndarray:
        """``chips``: N x 150 x 150 x 3 uint8 RGB → N x 128 float32 descriptors."""
        chips = np.ascontiguousarray(chips, dtype=np.uint8)
        if chips.ndim != 4 or chips.shape[1:] != (CHIP_SIZE, CHIP_SIZE, 3):
            raise ValueError(f"chips must be N x {CHIP_SIZE} x {CHIP_SIZE} x 3, got {chips.shape}")
        if len(chips) == 0:
            return np.zeros((0, 128), np.float32)
        out = self._run(chips)
        if self.mirror:
            out = (out + self._run(np.ascontiguousarray(chips[:, :, ::-1]))) / 2
        return out.astype(np.float32)

    def _run(self, chips: np.ndarray) -> np.ndarray:
        compiled = self.load()
        parts = [
            np.asarray(compiled(chips[i : i + self.batch_size])[0])
            for i in range(0, len(chips), self.batch_size)
        ]
        return np.concatenate(parts).reshape(len(chips), -1)
