"""``torchvision.transforms`` as teachnn: the image transforms introductory code uses.

Images are PIL images or teachnn tensors of shape [..., C, H, W], as in torchvision.
"""
from __future__ import annotations

import numbers

import numpy as np

import teachnn
from teachnn.nn import functional as F

__all__ = ["Compose", "ToTensor", "PILToTensor", "ToPILImage", "Lambda", "Normalize", "Resize",
           "CenterCrop", "RandomCrop", "RandomHorizontalFlip", "InterpolationMode"]


def _is_pil_image(img) -> bool:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        return False
    return isinstance(img, Image.Image)


class InterpolationMode:
    """The interpolation names torchvision accepts (strings, as in its enum's values)."""
    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


class Compose:
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({lines}\n)"


class Lambda:
    """Apply a user function ``lambd`` as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{type(self).__name__}()"


def _pil_to_array(pic) -> np.ndarray:
    """A PIL image as an [H, W, C] array in the dtype torchvision uses for its mode."""
    nptype = {"I": np.int32, "I;16": np.int16, "F": np.float32}.get(pic.mode, np.uint8)
    array = np.array(pic, nptype, copy=True)
    if pic.mode == "1":
        array = 255 * array
    return array.reshape(pic.size[1], pic.size[0], len(pic.getbands()))


def _check_image_input(pic, name):
    if not (_is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"{name} expects a PIL Image or a numpy.ndarray of shape [H, W] or "
                        f"[H, W, C], but got {type(pic).__name__}")
    if isinstance(pic, np.ndarray) and pic.ndim not in (2, 3):
        raise ValueError(f"{name} expects an ndarray of 2 or 3 dimensions ([H, W] or [H, W, C]), "
                         f"but got {pic.ndim} dimensions")


class ToTensor:
    """PIL image or [H, W, C] ndarray -> [C, H, W] tensor; uint8 values are scaled to [0, 1]."""

    def __call__(self, pic):
        _check_image_input(pic, "ToTensor")
        array = _pil_to_array(pic) if _is_pil_image(pic) else pic
        if array.ndim == 2:
            array = array[:, :, None]
        array = np.ascontiguousarray(array.transpose(2, 0, 1))  # [H, W, C] -> [C, H, W]
        if array.dtype == np.uint8:
            return teachnn.from_numpy(array).to(teachnn.get_default_dtype()).div(255)
        return teachnn.from_numpy(array)

    def __repr__(self):
        return f"{type(self).__name__}()"


class PILToTensor:
    """PIL image -> [C, H, W] tensor of the image's own dtype (no scaling)."""

    def __call__(self, pic):
        if not _is_pil_image(pic):
            raise TypeError(f"PILToTensor expects a PIL Image, but got {type(pic).__name__}")
        return teachnn.from_numpy(np.ascontiguousarray(_pil_to_array(pic).transpose(2, 0, 1)))

    def __repr__(self):
        return f"{type(self).__name__}()"


class ToPILImage:
    """[C, H, W] tensor (floats in [0, 1] are scaled to 0..255) or [H, W, C] ndarray -> PIL image
    ("L" for one channel, "RGB" for three, "RGBA" for four)."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        from PIL import Image
        if isinstance(pic, teachnn.Tensor):
            if pic.dim() not in (2, 3):
                raise ValueError(f"pic should be 2/3 dimensional. Got {pic.dim()} dimensions.")
            if pic.dim() == 2:
                pic = pic.unsqueeze(0)
            if pic.is_floating_point() and self.mode != "F":
                pic = pic.mul(255).byte()       # truncates, as torchvision does
            array = np.transpose(pic.numpy(), (1, 2, 0))
        elif isinstance(pic, np.ndarray):
            array = pic[:, :, None] if pic.ndim == 2 else pic
        else:
            raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic).__name__}.")
        channels = array.shape[2]
        if channels == 1:
            return Image.fromarray(array[:, :, 0], mode=self.mode)
        if channels not in (3, 4):
            raise ValueError(f"pic should have 1, 3 or 4 channels, got {channels}")
        return Image.fromarray(array, mode=self.mode)

    def __repr__(self):
        return f"{type(self).__name__}()" if self.mode is None else f"{type(self).__name__}(mode={self.mode})"


def _check_tensor_image(tensor, name):
    if not isinstance(tensor, teachnn.Tensor):
        raise TypeError(f"{name} expects a tensor image, but got {type(tensor).__name__}; "
                        f"put ToTensor() before it in Compose")
    if tensor.dim() < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tuple(tensor.shape)}")


class Normalize:
    """``(x - mean[c]) / std[c]`` for every channel c of a float [..., C, H, W] tensor."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        _check_tensor_image(tensor, "Normalize")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        mean = teachnn.as_tensor(self.mean, dtype=tensor.dtype)
        std = teachnn.as_tensor(self.std, dtype=tensor.dtype)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading "
                             f"to division by zero.")
        if mean.dim() == 1:
            mean = mean.view(-1, 1, 1)
        if std.dim() == 1:
            std = std.view(-1, 1, 1)
        out = tensor if self.inplace else tensor.clone()
        return out.sub_(mean).div_(std)

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


def _resized_size(height: int, width: int, size, max_size=None) -> tuple[int, int]:
    """torchvision's rule: an int (or 1-element list) sets the shorter edge, keeping the aspect."""
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return int(size[0]), int(size[1])
    requested = size if isinstance(size, numbers.Integral) else size[0]
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = requested, int(requested * long / short)
    if max_size is not None:
        if max_size <= requested:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                             f"size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if width <= height else (new_short, new_long)


class Resize:
    """Resize to ``size`` ([h, w], or an int for the shorter edge) with ``interpolation``.

    PIL images go through PIL's own resize (as torchvision does); tensors through
    ``F.interpolate`` (antialias=True by default, PIL's filter).
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        if not (isinstance(size, numbers.Integral) or
                (isinstance(size, (list, tuple)) and len(size) in (1, 2))):
            raise TypeError(f"Size should be int or sequence of one or two ints. Got {size!r}")
        self.size, self.interpolation = size, getattr(interpolation, "value", interpolation)
        self.max_size, self.antialias = max_size, antialias
        if self.interpolation not in ("nearest", "bilinear", "bicubic"):
            raise ValueError(f"interpolation should be 'nearest', 'bilinear' or 'bicubic', got "
                             f"{interpolation!r}")

    def __call__(self, img):
        if _is_pil_image(img):
            from PIL import Image
            height, width = img.size[1], img.size[0]
            h, w = _resized_size(height, width, self.size, self.max_size)
            if (h, w) == (height, width):
                return img
            resample = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR,
                        "bicubic": Image.BICUBIC}[self.interpolation]
            return img.resize((w, h), resample)
        _check_tensor_image(img, "Resize")
        h, w = _resized_size(img.shape[-2], img.shape[-1], self.size, self.max_size)
        if (h, w) == tuple(img.shape[-2:]):
            return img
        lead = img.shape[:-2]
        batch = img.reshape(-1, 1, img.shape[-2], img.shape[-1])
        dtype = img.dtype
        if not batch.is_floating_point():
            batch = batch.float()
        mode = self.interpolation
        align = False if mode != "nearest" else None
        antialias = bool(self.antialias) and mode != "nearest"
        out = F.interpolate(batch, size=(h, w), mode=mode, align_corners=align,
                            antialias=antialias)
        if dtype == teachnn.uint8:  # torchvision rounds integer images back to their dtype
            out = out.round().clamp(0, 255).to(dtype)
        return out.reshape(*lead, h, w)

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class CenterCrop:
    """Cut the central ``size`` ([h, w] or an int for a square) out of an image."""

    def __init__(self, size):
        self.size = (int(size), int(size)) if isinstance(size, numbers.Integral) else (
            (int(size[0]),) * 2 if len(size) == 1 else (int(size[0]), int(size[1])))

    def __call__(self, img):
        h, w = self.size
        if _is_pil_image(img):
            width, height = img.size
            top, left = int(round((height - h) / 2.0)), int(round((width - w) / 2.0))
            return img.crop((left, top, left + w, top + h))
        _check_tensor_image(img, "CenterCrop")
        height, width = img.shape[-2], img.shape[-1]
        if h > height or w > width:
            raise ValueError(f"CenterCrop of size {self.size} does not fit an image of "
                             f"{height}x{width}; teachnn does not pad, Resize first")
        top, left = int(round((height - h) / 2.0)), int(round((width - w) / 2.0))
        return img[..., top:top + h, left:left + w]

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class RandomCrop:
    """Cut a ``size`` window at a random place (after ``padding`` with ``fill`` on every side)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = (int(size), int(size)) if isinstance(size, numbers.Integral) else (
            (int(size[0]),) * 2 if len(size) == 1 else (int(size[0]), int(size[1])))
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def _pads(padding):
        """torchvision's padding forms -> (left, top, right, bottom)."""
        if isinstance(padding, numbers.Integral):
            return (padding,) * 4
        if len(padding) == 1:
            return (padding[0],) * 4
        if len(padding) == 2:
            return (padding[0], padding[1], padding[0], padding[1])
        return tuple(padding)

    def __call__(self, img):
        pil = _is_pil_image(img)
        if pil:
            mode, array = img.mode, np.asarray(img)
            tensor = teachnn.from_numpy(np.ascontiguousarray(
                array[None] if array.ndim == 2 else array.transpose(2, 0, 1)))
        else:
            _check_tensor_image(img, "RandomCrop")
            tensor = img
        left, top, right, bottom = self._pads(self.padding) if self.padding is not None else (0,) * 4
        h, w = self.size
        height, width = tensor.shape[-2] + top + bottom, tensor.shape[-1] + left + right
        if self.pad_if_needed:
            extra_w, extra_h = max(w - width, 0), max(h - height, 0)
            left, right, top, bottom = left + extra_w, right + extra_w, top + extra_h, bottom + extra_h
            height, width = height + 2 * extra_h, width + 2 * extra_w
        if (left, top, right, bottom) != (0, 0, 0, 0):
            padded = tensor.float() if not tensor.is_floating_point() else tensor
            padded = F.pad(padded.unsqueeze(0), (left, right, top, bottom), mode=self.padding_mode,
                           value=float(self.fill) if self.padding_mode == "constant" else None)[0]
            tensor = padded.to(tensor.dtype)
        if h > height or w > width:
            raise ValueError(f"Required crop size {(h, w)} is larger than input image size "
                             f"{(height, width)}")
        i = int(teachnn.randint(0, height - h + 1, size=(1,)).item())
        j = int(teachnn.randint(0, width - w + 1, size=(1,)).item())
        out = tensor[..., i:i + h, j:j + w]
        if pil:
            from PIL import Image
            array = out.numpy()
            return Image.fromarray(array[0] if array.shape[0] == 1 else array.transpose(1, 2, 0), mode=mode)
        return out

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror the image left-right with probability ``p`` (drawn from teachnn's generator)."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if teachnn.rand(1).item() < self.p:
            if _is_pil_image(img):
                from PIL import Image
                return img.transpose(Image.FLIP_LEFT_RIGHT)
            _check_tensor_image(img, "RandomHorizontalFlip")
            return img.flip(-1)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"
