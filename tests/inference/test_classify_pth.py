"""The torch-free .pth reader: real EfficientNet-Lite checkpoints (legacy layout) and a
hand-made zip checkpoint (the torch >= 1.6 layout) with a strided, offset tensor."""

from __future__ import annotations

import pickle
import sys
import types
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

from recognize.errors import ModelError
from recognize.inference.base import load_manifest
from recognize.inference.efficientnet import read_blocks
from recognize.inference.pth import load_state_dict


@pytest.fixture(scope="module")
def lite0() -> dict[str, np.ndarray]:
    return load_state_dict(load_manifest()["efficientnet-lite0"].verified_path())


def test_lite0_shapes(lite0: dict[str, np.ndarray]) -> None:
    assert lite0["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert lite0["_blocks.0._depthwise_conv.weight"].shape == (32, 1, 3, 3)
    assert lite0["_blocks.3._depthwise_conv.weight"].shape == (144, 1, 5, 5)
    assert lite0["_conv_head.weight"].shape == (1280, 320, 1, 1)
    assert lite0["_fc.weight"].shape == (1000, 1280)
    assert lite0["_fc.weight"].dtype == np.float32
    assert lite0["_bn0.num_batches_tracked"].shape == ()
    assert np.isfinite(lite0["_fc.weight"]).all()
    assert 0.5 < float(np.abs(lite0["_bn0.running_var"]).mean()) < 100


def test_lite_architectures_read_from_shapes(lite0: dict[str, np.ndarray]) -> None:
    blocks = read_blocks(lite0)
    assert len(blocks) == 16
    assert [b.stride for b in blocks if b.stride == 2] == [2, 2, 2, 2]
    assert sum(b.residual for b in blocks) == 9
    lite2 = load_state_dict(load_manifest()["efficientnet-lite2"].verified_path())
    blocks2 = read_blocks(lite2)
    assert len(blocks2) == 21
    assert blocks2[-1].out_ch == 352 and lite2["_conv_head.weight"].shape == (1280, 352, 1, 1)


def _fake_torch(monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """Importable stand-ins so that pickle can name torch's globals without torch."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    def _rebuild_tensor_v2(*args: object) -> None:
        raise AssertionError("never called while writing")

    FloatStorage.__module__ = "torch"
    FloatStorage.__qualname__ = "FloatStorage"
    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    torch.FloatStorage = FloatStorage  # type: ignore[attr-defined]
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return FloatStorage, _rebuild_tensor_v2


def test_zip_layout_with_stride_and_offset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storage_cls, rebuild = _fake_torch(monkeypatch)
    data = np.arange(20, dtype="<f4")

    class Storage:
        pass

    storage = Storage()

    class Tensor:
        def __init__(self, offset: int, size: tuple, stride: tuple) -> None:
            self.args = (storage, offset, size, stride, False, OrderedDict())

        def __reduce__(self) -> tuple:
            return (rebuild, self.args)

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj: object) -> object:
            return ("storage", storage_cls, "0", "cpu", 20) if obj is storage else None

    # a 3x4 block starting at element 2 and its transpose (a non-contiguous view)
    sd = OrderedDict(a=Tensor(2, (3, 4), (4, 1)), at=Tensor(2, (4, 3), (1, 4)))
    path = tmp_path / "model.pth"
    with zipfile.ZipFile(path, "w") as zf:
        with zf.open("archive/data.pkl", "w") as fh:
            Pickler(fh, protocol=2).dump(sd)
        zf.writestr("archive/data/0", data.tobytes())
    out = load_state_dict(path)
    expected = data[2:14].reshape(3, 4)
    np.testing.assert_array_equal(out["a"], expected)
    np.testing.assert_array_equal(out["at"], expected.T)


def test_refuses_arbitrary_globals(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"x": print}, protocol=2))
    with pytest.raises(ModelError, match=r"refusing to load global .*print"):
        load_state_dict(path)


def test_not_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "junk.pth"
    path.write_bytes(b"not a pickle at all")
    with pytest.raises(ModelError, match=r"cannot read PyTorch checkpoint|bad magic"):
        load_state_dict(path)
