"""``import teachnn.as_torch``: PyTorch programs (and d2l.ai-style code) run on teachnn unchanged.

The alias edits ``sys.modules``, so every test that turns it on runs a fresh interpreter.
PyTorch is the oracle for the programs' numbers; torchvision is not installed, so the
teachnn-made ``torchvision`` is checked against NumPy formulas and PIL (which torchvision
itself calls for PIL images).
"""
import gzip
import io
import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import teachnn
from teachnn.compat import install_torch_alias
from teachnn.compat.torchvision import datasets, transforms, utils
from tests.parity import assert_parity, requires_torch, torch

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "tests" / "torch_alias_programs" / "d2l_patterns.py"


def _python(args, tmp_path, *, teachnn_path=True, timeout=600):
    """Run a fresh interpreter; teachnn importable from this checkout if ``teachnn_path``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) if teachnn_path else ""
    return subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=timeout)


@requires_torch
def test_a_pytorch_program_gives_pytorchs_numbers_under_the_alias(tmp_path):
    real = _python([str(PROGRAM), "torch.json"], tmp_path, teachnn_path=False)
    assert real.returncode == 0, real.stderr
    alias = _python(["-m", "teachnn.as_torch", str(PROGRAM), "teachnn.json"], tmp_path)
    assert alias.returncode == 0, alias.stderr
    expected = json.loads((tmp_path / "torch.json").read_text())
    got = json.loads((tmp_path / "teachnn.json").read_text())
    assert list(got) == list(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-4, atol=1e-5, err_msg=key)


def test_torch_names_are_teachnns_own_modules(tmp_path):
    code = """if True:
        import json, sys
        import teachnn.as_torch
        import teachnn
        import torch, torchvision
        import torch.nn.functional as F
        from torch import nn, optim
        from torch.utils import data
        from torchvision import transforms, datasets
        import torch.optim.lr_scheduler, torch.nn.init, torch.nn.utils, torch.autograd
        import torch.linalg, torch.cuda, torch.serialization
        checks = {
            "torch": torch is teachnn,
            "nn": nn is teachnn.nn and sys.modules["torch.nn"] is teachnn.nn,
            "F": F is teachnn.nn.functional,
            "optim": optim is teachnn.optim,
            "lr_scheduler": torch.optim.lr_scheduler is teachnn.optim.lr_scheduler,
            "data": data is teachnn.utils.data,
            "init": torch.nn.init is teachnn.nn.init,
            "linalg": torch.linalg is teachnn.linalg,
            "transforms": transforms.ToTensor.__module__ == "teachnn.compat.torchvision.transforms",
            "tensor": isinstance(torch.ones(2), teachnn.Tensor),
            "cuda": torch.cuda.is_available() is False,
        }
        try:
            import torch.fx
        except ModuleNotFoundError as err:
            checks["missing"] = ("teachnn stands in for torch" in str(err)
                                 and err.name == "torch.fx")
        print(json.dumps(checks))
    """
    proc = _python(["-c", code], tmp_path)
    assert proc.returncode == 0, proc.stderr
    checks = json.loads(proc.stdout.strip().splitlines()[-1])
    assert checks == {name: True for name in checks} and len(checks) == 12


@requires_torch
def test_the_alias_is_refused_once_real_torch_is_imported(tmp_path):
    # in this process PyTorch is already imported (the parity oracle): nothing may change
    before = list(sys.meta_path)
    with pytest.raises(ImportError, match="real torch is already imported"):
        install_torch_alias()
    assert sys.meta_path == before and sys.modules["torch"] is torch
    # a fresh interpreter, where the module imported as torch is not teachnn (a stand-in file,
    # which loads faster than PyTorch itself)
    (tmp_path / "torch.py").write_text("x = 1\n")
    proc = _python(["-c", "import torch\nimport teachnn.as_torch"], tmp_path)
    assert proc.returncode == 1
    assert "ImportError: real torch is already imported" in proc.stderr
    assert "python -m teachnn.as_torch script.py" in proc.stderr


def test_as_torch_without_a_script_prints_its_usage(tmp_path):
    proc = _python(["-m", "teachnn.as_torch"], tmp_path)
    assert proc.returncode == 2 and "usage: python -m teachnn.as_torch script.py" in proc.stdout


def test_as_torch_runs_the_script_as_main_with_its_arguments(tmp_path):
    (tmp_path / "helper.py").write_text("VALUE = 3\n")
    (tmp_path / "script.py").write_text(
        "import sys, torch\nfrom helper import VALUE\n"
        "if __name__ == '__main__':\n"
        "    print(sys.argv[1:], torch.__name__, torch.ones(VALUE).sum().item())\n")
    sub = tmp_path / "elsewhere"
    sub.mkdir()
    proc = _python(["-m", "teachnn.as_torch", str(tmp_path / "script.py"), "a", "b"], sub)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['a', 'b'] teachnn 3.0"
    proc = _python(["-m", "teachnn.as_torch", "-m", "script", "c"], tmp_path)   # like python -m
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['c'] teachnn 3.0"


# --- torchvision.transforms --------------------------------------------------------------

def test_to_tensor_scales_uint8_and_moves_channels_first():
    rng = np.random.default_rng(0)
    hwc = rng.integers(0, 256, (5, 4, 3)).astype(np.uint8)
    out = transforms.ToTensor()(hwc)
    assert out.dtype is teachnn.float32 and tuple(out.shape) == (3, 5, 4)
    np.testing.assert_allclose(out.numpy(), hwc.transpose(2, 0, 1) / np.float32(255), rtol=1e-7)
    grey = Image.fromarray(hwc[:, :, 0], mode="L")
    np.testing.assert_allclose(transforms.ToTensor()(grey).numpy(), hwc[None, :, :, 0] / 255.0,
                               rtol=1e-6)
    rgb = Image.fromarray(hwc, mode="RGB")
    np.testing.assert_allclose(transforms.ToTensor()(rgb).numpy(), hwc.transpose(2, 0, 1) / 255.0,
                               rtol=1e-6)
    floats = rng.standard_normal((2, 3)).astype(np.float64)        # not uint8: no scaling
    np.testing.assert_array_equal(transforms.ToTensor()(floats).numpy(), floats[None])
    assert transforms.PILToTensor()(grey).dtype is teachnn.uint8
    with pytest.raises(TypeError, match="PIL Image or a numpy.ndarray"):
        transforms.ToTensor()(teachnn.ones(3, 4, 4))


def test_normalize_is_the_per_channel_formula():
    x = teachnn.tensor(np.random.default_rng(1).random((2, 3, 4, 4)).astype(np.float32))
    mean, std = (0.5, 0.25, 0.1), (0.2, 0.5, 2.0)
    got = transforms.Normalize(mean, std)(x)
    expected = (x.numpy() - np.array(mean, np.float32)[:, None, None]) / \
        np.array(std, np.float32)[:, None, None]
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)
    assert not np.shares_memory(got.numpy(), x.numpy())
    with pytest.raises(TypeError, match="float tensor"):
        transforms.Normalize(mean, std)(teachnn.zeros(3, 2, 2, dtype=teachnn.uint8))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        transforms.Normalize(mean, (1.0, 0.0, 1.0))(x)
    with pytest.raises(ValueError, match=r"\(\.\.\., C, H, W\)"):
        transforms.Normalize(mean, std)(teachnn.zeros(4, 4))


def test_resize_follows_torchvisions_size_rule_and_pils_filter():
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 256, (20, 30)).astype(np.uint8)
    image = Image.fromarray(pixels, mode="L")
    out = transforms.Resize(10)(image)                     # shorter edge 20 -> 10, aspect kept
    assert out.size == (15, 10)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(image.resize((15, 10), Image.BILINEAR)))
    assert transforms.Resize((7, 9))(image).size == (9, 7)
    values = rng.random((2, 20, 30)).astype(np.float32)
    for size in [(8, 11), (32, 45)]:                       # shrinking (antialias) and growing
        got = transforms.Resize(size)(teachnn.tensor(values))
        for c in range(2):
            ref = np.asarray(Image.fromarray(values[c], mode="F").resize(size[::-1], Image.BILINEAR))
            np.testing.assert_allclose(got.numpy()[c], ref, rtol=1e-4, atol=1e-5)
    with pytest.raises(TypeError, match="Size should be int"):
        transforms.Resize("big")


def test_compose_lambda_crop_and_flip():
    x = teachnn.arange(2 * 5 * 6, dtype=teachnn.float32).reshape(2, 5, 6)
    pipeline = transforms.Compose([transforms.CenterCrop((3, 4)), transforms.Lambda(lambda t: t * 2),
                                   transforms.RandomHorizontalFlip(p=1.0)])
    np.testing.assert_array_equal(pipeline(x).numpy(), x.numpy()[:, 1:4, 1:5][:, :, ::-1] * 2)
    assert transforms.RandomHorizontalFlip(p=0.0)(x) is x
    with pytest.raises(TypeError, match="callable"):
        transforms.Lambda(3)


def test_to_pil_image_and_random_crop():
    x = teachnn.tensor(np.random.default_rng(5).random((3, 5, 6)).astype(np.float32))
    image = transforms.ToPILImage()(x)
    assert image.mode == "RGB" and image.size == (6, 5)
    np.testing.assert_array_equal(np.asarray(image), (x.numpy() * 255).astype(np.uint8).transpose(1, 2, 0))
    assert transforms.ToPILImage()(x[:1]).mode == "L"
    padded = np.pad(x.numpy(), ((0, 0), (2, 2), (2, 2)))         # padding=2 with zeros
    windows = {padded[:, i:i + 4, j:j + 4].tobytes() for i in range(6) for j in range(7)}
    teachnn.manual_seed(0)
    seen = set()
    for _ in range(30):
        crop = transforms.RandomCrop(4, padding=2)(x)
        assert tuple(crop.shape) == (3, 4, 4) and crop.numpy().tobytes() in windows
        seen.add(crop.numpy().tobytes())
    assert len(seen) > 5                                          # the place is random
    assert transforms.RandomCrop((3, 2))(image).size == (2, 3)
    with pytest.raises(ValueError, match="larger than input image size"):
        transforms.RandomCrop(7)(x)


def test_make_grid_places_each_image_in_its_cell():
    images = teachnn.tensor(np.arange(5 * 3 * 2 * 2, dtype=np.float32).reshape(5, 3, 2, 2))
    grid = utils.make_grid(images, nrow=2, padding=1, pad_value=-1.0)
    assert tuple(grid.shape) == (3, 3 * 3 + 1, 2 * 3 + 1)
    g = grid.numpy()
    for k in range(5):
        top, left = (k // 2) * 3 + 1, (k % 2) * 3 + 1
        np.testing.assert_array_equal(g[:, top:top + 2, left:left + 2], images.numpy()[k])
    assert (g[:, 7:9, 4:6] == -1).all() and (g[:, 0, :] == -1).all()   # the empty sixth cell
    grey = utils.make_grid(images[:, :1], nrow=5, padding=0, normalize=True)
    ref = images.numpy()[:, 0]
    ref = (ref - ref.min()) / (ref.max() - ref.min())
    np.testing.assert_allclose(grey.numpy()[0], np.concatenate(list(ref), axis=1), rtol=1e-6)


# --- torchvision.datasets ----------------------------------------------------------------

def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">i4").tobytes()
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_reads_local_idx_files(tmp_path):
    rng = np.random.default_rng(3)
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    images = rng.integers(0, 256, (5, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, 5).astype(np.uint8)
    _write_idx(raw / "t10k-images-idx3-ubyte.gz", images)
    _write_idx(raw / "t10k-labels-idx1-ubyte.gz", labels)
    ds = datasets.FashionMNIST(root=str(tmp_path), train=False, download=True,
                               transform=transforms.ToTensor())
    assert len(ds) == 5 and ds.data.dtype is teachnn.uint8 and ds.targets.dtype is teachnn.int64
    np.testing.assert_array_equal(ds.data.numpy(), images)
    np.testing.assert_array_equal(ds.targets.numpy(), labels)
    x, y = ds[3]
    assert y == int(labels[3]) and isinstance(y, int)
    np.testing.assert_allclose(x.numpy(), images[3][None] / 255.0, rtol=1e-6)
    batch = next(iter(teachnn.utils.data.DataLoader(ds, batch_size=4)))
    assert tuple(batch[0].shape) == (4, 1, 28, 28)
    np.testing.assert_array_equal(batch[1].numpy(), labels[:4])
    with pytest.raises(RuntimeError, match="never downloads"):
        datasets.FashionMNIST(root=str(tmp_path), train=True, download=True)
    with pytest.raises(RuntimeError, match="MNIST/raw"):
        datasets.MNIST(root=str(tmp_path))
    (raw / "train-images-idx3-ubyte").write_bytes(b"not an idx file")
    with pytest.raises(RuntimeError, match="not an IDX file"):
        datasets.read_idx(str(raw / "train-images-idx3-ubyte"))


def test_cifar10_reads_the_unpacked_python_batches(tmp_path):
    rng = np.random.default_rng(6)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    pixels = rng.integers(0, 256, (3, 3072)).astype(np.uint8)   # rows: R plane, G plane, B plane
    labels = [4, 0, 9]
    with open(folder / "test_batch", "wb") as fh:
        pickle.dump({"data": pixels, "labels": labels}, fh)
    ds = datasets.CIFAR10(root=str(tmp_path), train=False, transform=transforms.ToTensor())
    assert len(ds) == 3 and ds.targets == labels and ds.data.shape == (3, 32, 32, 3)
    x, y = ds[1]
    assert y == 0 and tuple(x.shape) == (3, 32, 32)
    np.testing.assert_allclose(x.numpy(), pixels[1].reshape(3, 32, 32) / 255.0, rtol=1e-6)
    assert ds.classes[9] == "truck"
    with pytest.raises(RuntimeError, match="never downloads"):
        datasets.CIFAR10(root=str(tmp_path), train=True)


# --- save / load: weights_only -----------------------------------------------------------

class Custom:
    """Not plain data: a weights-only load must refuse it."""

    def __init__(self, value):
        self.value = value


@requires_torch
def test_weights_only_load_refuses_other_objects_like_pytorch(tmp_path):
    teachnn.save({"w": teachnn.ones(2), "obj": Custom(3)}, tmp_path / "t.pt")
    torch.save({"w": torch.ones(2), "obj": Custom(3)}, tmp_path / "p.pt")
    with pytest.raises(pickle.UnpicklingError) as expected:
        torch.load(tmp_path / "p.pt")
    with pytest.raises(type(expected.value), match="Weights only load failed.*Custom"):
        teachnn.load(tmp_path / "t.pt")
    assert teachnn.load(tmp_path / "t.pt", weights_only=False)["obj"].value == 3
    teachnn.serialization.add_safe_globals([Custom])
    try:
        assert teachnn.load(tmp_path / "t.pt")["obj"].value == 3
    finally:
        teachnn._serialization._SAFE_GLOBALS.discard((Custom.__module__, Custom.__qualname__))
    model = teachnn.nn.Sequential(teachnn.nn.Linear(2, 3), teachnn.nn.BatchNorm1d(3))
    buffer = io.BytesIO()
    teachnn.save(model.state_dict(), buffer)
    buffer.seek(0)
    loaded = teachnn.load(buffer, map_location="cpu")
    assert list(loaded) == list(model.state_dict())
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded[key].numpy(), value.numpy())
    with pytest.raises(RuntimeError, match="CPU only"):
        teachnn.load(io.BytesIO(b""), map_location="cuda:0")
    assert zipfile.is_zipfile(tmp_path / "p.pt")
    with pytest.raises(RuntimeError, match="written by PyTorch's torch.save"):
        teachnn.load(tmp_path / "p.pt")


# --- gaps met running d2l.ai (attention's masked_softmax) --------------------------------

@requires_torch
@pytest.mark.parametrize("repeats, dim", [(2, None), (3, 1), (np.array([1, 0, 2]), 0), (np.array([2]), -1)])
def test_repeat_interleave_matches_pytorch(repeats, dim):
    def fn(lib, x):
        r = lib.tensor(repeats) if isinstance(repeats, np.ndarray) else repeats
        return lib.repeat_interleave(x, r, dim=dim) * 1.5 + x.repeat_interleave(r, dim)
    assert_parity(fn, [np.random.default_rng(4).standard_normal((3, 4))])


@requires_torch
def test_repeat_interleave_counts_and_errors_match_pytorch():
    counts = [1, 2, 0, 3]
    assert teachnn.repeat_interleave(teachnn.tensor(counts)).tolist() == \
        torch.repeat_interleave(torch.tensor(counts)).tolist()
    bad = [lambda lib, x: x.repeat_interleave(lib.tensor([1, 2, 3]), dim=0),
           lambda lib, x: x.repeat_interleave(-1),
           lambda lib, x: x.repeat_interleave(2.0),
           lambda lib, x: x.repeat_interleave(lib.tensor([1.0, 2.0]), dim=0),
           lambda lib, x: x.repeat_interleave(2, dim=0, output_size=5)]
    for make in bad:
        with pytest.raises(Exception) as expected:
            make(torch, torch.zeros(2, 3))
        with pytest.raises(type(expected.value)):
            make(teachnn, teachnn.zeros(2, 3))


@requires_torch
def test_gather_and_scatter_read_a_0d_index_as_one_element_like_pytorch():
    # the PyTorch tutorial's one-hot target: torch.zeros(10).scatter_(0, torch.tensor(y), value=1)
    for lib in (torch, teachnn):
        assert lib.zeros(10).scatter_(0, lib.tensor(3), value=1).tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert_parity(lambda lib, x, s: x.scatter(0, lib.tensor(2), s) * 2 + x.gather(0, lib.tensor(1)),
                  [np.random.default_rng(7).standard_normal(4), np.array(5.0)])
    assert_parity(lambda lib, x, s: x.scatter_add(0, lib.tensor(0), s), [np.ones(3), np.array(2.0)])
    assert tuple(teachnn.arange(5.0).gather(0, teachnn.tensor(3)).shape) == ()
