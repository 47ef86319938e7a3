"""``torchvision.datasets.MNIST`` / ``FashionMNIST`` / ``CIFAR10`` as teachnn: read files
already on disk.

teachnn never downloads. Put the four files of MNIST or FashionMNIST (as published, ``.gz`` or
not) in ``<root>/<ClassName>/raw/`` — e.g. ``data/FashionMNIST/raw/train-images-idx3-ubyte.gz``
— or the unpacked ``cifar-10-batches-py/`` folder in ``<root>``, and they are read as
torchvision reads them. Without them, a RuntimeError says where to put them.
"""
from __future__ import annotations

import gzip
import os
import pickle

import numpy as np

import teachnn
from teachnn.utils.data import Dataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "read_idx"]

# IDX type byte -> NumPy dtype (big-endian, as the format stores it)
_IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path: str) -> np.ndarray:
    """The array stored in an IDX file (``.gz`` allowed), in native byte order."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise RuntimeError(f"{path} is not an IDX file (its first bytes should be 0, 0, a type "
                           f"code and the number of dimensions)")
    dtype, ndim = _IDX_TYPES[raw[2]], raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, ">i4", count=ndim, offset=4))
    data = np.frombuffer(raw, dtype, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise RuntimeError(f"{path} is truncated: its header says {shape} but it holds "
                           f"{data.size} values")
    return data.reshape(shape).astype(dtype.newbyteorder("="))


class MNIST(Dataset):
    """Hand-written digits, 28x28 grey-scale, from the IDX files under ``root/MNIST/raw``.

    ``dataset[i]`` is ``(image, label)``: a PIL image (mode "L") passed through ``transform``,
    and an int passed through ``target_transform``. ``data`` (uint8 [N, 28, 28]) and
    ``targets`` (int64 [N]) hold everything, as in torchvision.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]
    source = "https://yann.lecun.com/exdb/mnist/ (or a mirror such as ossci-datasets.s3.amazonaws.com/mnist/)"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        self.root = os.path.expanduser(os.fspath(root))
        self.train, self.transform, self.target_transform = train, transform, target_transform
        prefix = "train" if train else "t10k"
        images = self._find(f"{prefix}-images-idx3-ubyte")
        labels = self._find(f"{prefix}-labels-idx1-ubyte")
        self.data = teachnn.from_numpy(read_idx(images).astype(np.uint8))
        self.targets = teachnn.from_numpy(read_idx(labels).astype(np.int64))

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    def _find(self, stem: str) -> str:
        for name in (stem, stem + ".gz"):
            path = os.path.join(self.raw_folder, name)
            if os.path.isfile(path):
                return path
        raise RuntimeError(
            f"Dataset not found: {os.path.join(self.raw_folder, stem)}[.gz] is missing. teachnn "
            f"never downloads (download=True is ignored). Fetch the four IDX files of "
            f"{type(self).__name__} from {self.source} into {self.raw_folder}/, or learn with "
            f"data that needs no download: teachnn.datasets.load_shapes() or random tensors "
            f"wrapped in torch.utils.data.TensorDataset.")

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        from PIL import Image
        img = Image.fromarray(self.data[index].numpy(), mode="L")
        target = int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self):
        split = "Train" if self.train else "Test"
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    Split: {split}"]
        if self.transform is not None:
            lines.append(f"    StandardTransform\nTransform: {self.transform}")
        return "\n".join(lines)


class FashionMNIST(MNIST):
    """Zalando's clothing pictures, 28x28 grey-scale, from ``root/FashionMNIST/raw``."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
    source = "https://github.com/zalandoresearch/fashion-mnist (data/fashion/)"


class CIFAR10(Dataset):
    """32x32 colour pictures of 10 classes, from the unpacked ``<root>/cifar-10-batches-py``.

    ``dataset[i]`` is ``(image, label)``: a PIL RGB image through ``transform`` and an int
    through ``target_transform``; ``data`` is a uint8 array [N, 32, 32, 3] and ``targets`` a
    list of ints, as in torchvision.
    """

    base_folder = "cifar-10-batches-py"
    train_list = [f"data_batch_{i}" for i in range(1, 6)]
    test_list = ["test_batch"]
    source = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz (unpack it there)"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        self.root = os.path.expanduser(os.fspath(root))
        self.train, self.transform, self.target_transform = train, transform, target_transform
        folder = os.path.join(self.root, self.base_folder)
        data, targets = [], []
        for name in self.train_list if train else self.test_list:
            path = os.path.join(folder, name)
            if not os.path.isfile(path):
                raise RuntimeError(
                    f"Dataset not found or corrupted: {path} is missing. teachnn never downloads "
                    f"(download=True is ignored). Unpack {self.source} into {self.root}/, or "
                    f"learn with data that needs no download: teachnn.datasets.load_shapes() or "
                    f"random tensors wrapped in torch.utils.data.TensorDataset.")
            with open(path, "rb") as fh:   # the published batches are pickles, as torchvision reads them
                entry = pickle.load(fh, encoding="latin1")
            data.append(np.asarray(entry["data"], dtype=np.uint8))
            targets.extend(int(t) for t in entry.get("labels", entry.get("fine_labels", [])))
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # -> [N, H, W, C]
        self.targets = targets
        meta = os.path.join(folder, "batches.meta")
        if os.path.isfile(meta):
            with open(meta, "rb") as fh:
                self.classes = pickle.load(fh, encoding="latin1")["label_names"]
        else:
            self.classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                            "horse", "ship", "truck"]
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        from PIL import Image
        img, target = Image.fromarray(self.data[index]), self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target
