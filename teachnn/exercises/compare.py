"""Comparing a learner's value with the expected one.

``compare(got, expected)`` returns ``None`` when they match and otherwise one Korean sentence
saying *what* differs (type, shape, dtype, which position) without showing the expected value.
Both sides are snapshots (see ``transport.py``).
"""
from __future__ import annotations

import math
import re

import numpy as np

from .transport import ErrorSnap, Opaque, TensorSnap

def _shape_text(shape):
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def _kind_name(v):
    if isinstance(v, TensorSnap):
        return f"텐서(Tensor, 모양 {_shape_text(v.array.shape)})"
    if isinstance(v, np.ndarray):
        return f"넘파이 배열(ndarray, 모양 {_shape_text(v.shape)})"
    if isinstance(v, bool):
        return "참/거짓 값(bool)"
    if isinstance(v, int):
        return "정수(int)"
    if isinstance(v, float):
        return "실수(float)"
    if isinstance(v, str):
        return "문자열(str)"
    if isinstance(v, tuple):
        return f"튜플(tuple, 길이 {len(v)})"
    if isinstance(v, list):
        return f"리스트(list, 길이 {len(v)})"
    if isinstance(v, dict):
        return "딕셔너리(dict)"
    if v is None:
        return "None"
    if isinstance(v, Opaque):
        return f"{v.type_name} 객체"
    return type(v).__name__


def _object(word):
    """``word`` + the object particle that fits it: 정수(int)를, 문자열(str)을.

    The particle depends on whether the last Hangul syllable (ignoring a trailing
    parenthesis) ends in a consonant; for anything else both forms are written: 을(를)."""
    core_text = re.sub(r"\([^()]*\)$", "", str(word).strip())
    last = core_text[-1:] or ""
    if "가" <= last <= "힣":
        has_final_consonant = (ord(last) - 0xAC00) % 28 != 0
        return f"{word}{'을' if has_final_consonant else '를'}"
    return f"{word}을(를)"


def _short(v, limit=120):
    """A short text of a learner's own value (safe to show: it is what they wrote)."""
    if isinstance(v, TensorSnap):
        text = f"tensor({np.array2string(v.array, precision=4, threshold=12)})"
    elif isinstance(v, np.ndarray):
        text = np.array2string(v, precision=4, threshold=12)
    elif isinstance(v, Opaque):
        text = v.text
    else:
        text = repr(v)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _as_number(v):
    """A number from an int/float or a one-element tensor/array, else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    arr = v.array if isinstance(v, TensorSnap) else v
    if isinstance(arr, np.ndarray) and arr.size == 1 and arr.dtype.kind in "biuf":
        return arr.reshape(()).item()
    return None


def _position_text(index):
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def compare(got, exp, atol=1e-5, rtol=1e-4, check_dtype=True, reveal_shape=True, what="값"):
    """Return None if ``got`` matches ``exp`` (both snapshots), else a Korean message.

    ``reveal_shape=False`` (hand calculations) keeps back everything derived from the
    expected value: its shape and the size of the largest difference."""
    if isinstance(got, ErrorSnap):
        return f"실행 중 오류가 났습니다 — {got.text()}"
    if isinstance(exp, TensorSnap) or isinstance(exp, np.ndarray):
        want_tensor = isinstance(exp, TensorSnap)
        exp_arr = exp.array if want_tensor else exp
        if want_tensor and not isinstance(got, TensorSnap):
            if isinstance(got, (np.ndarray, list, tuple, int, float)):
                return (f"텐서(Tensor)가 필요한데 {_object(_kind_name(got))} 받았습니다. "
                        "torch.tensor(...)로 감싸거나 텐서 연산의 결과를 그대로 넘겨 보세요.")
            return f"텐서(Tensor)가 필요한데 {_object(_kind_name(got))} 받았습니다."
        if isinstance(got, TensorSnap):
            got_arr = got.array
        elif isinstance(got, np.ndarray):
            got_arr = got
        elif isinstance(got, (list, tuple, int, float)) and not want_tensor:
            try:
                got_arr = np.asarray(got, dtype=float)
            except (ValueError, TypeError):
                return f"배열이 필요한데 {_object(_kind_name(got))} 받았습니다."
        else:
            return f"배열이 필요한데 {_object(_kind_name(got))} 받았습니다."
        if got_arr.shape != exp_arr.shape:
            msg = f"모양(shape)이 다릅니다: 제출한 {what}의 모양은 {_shape_text(got_arr.shape)}"
            if reveal_shape:
                msg += f"인데, 기대한 모양은 {_shape_text(exp_arr.shape)}입니다."
            else:
                msg += "입니다. 각 차원의 크기를 다시 계산해 보세요."
            return msg
        if check_dtype and want_tensor and got_arr.dtype != exp_arr.dtype:
            return (f"자료형(dtype)이 다릅니다: 제출한 {what}는 {got_arr.dtype}, "
                    f"기대한 자료형은 {exp_arr.dtype}입니다.")
        if got_arr.dtype.kind not in "biuf":
            return f"숫자 배열이 필요한데 자료형이 {got_arr.dtype}입니다."
        g = got_arr.astype(np.float64)
        e = exp_arr.astype(np.float64)
        close = np.isclose(g, e, atol=atol, rtol=rtol, equal_nan=True)
        if not close.all():
            bad = np.argwhere(~close)
            first = tuple(bad[0]) if g.ndim else ()
            diff = np.abs(g - e)
            diff = np.where(np.isnan(diff), np.inf, diff)
            where = f" 처음 다른 위치는 {_position_text(first)}입니다." if g.ndim else ""
            if not reveal_shape:      # a hand calculation: your value + the gap = the answer
                return f"모양은 맞지만 값이 다릅니다: {int(bad.shape[0])}개 원소가 다릅니다.{where}"
            return (f"모양과 자료형은 맞지만 값이 다릅니다: {int(bad.shape[0])}개 원소가 다르고"
                    f" 가장 큰 차이는 {float(diff.max()):.4g}입니다.{where}")
        return None
    if isinstance(exp, bool):
        if not isinstance(got, bool):
            return f"True 또는 False가 필요한데 {_object(_kind_name(got))} 받았습니다."
        return None if got == exp else f"{got}이(가) 아닙니다. 다시 생각해 보세요."
    if isinstance(exp, (int, float)):
        num = _as_number(got)
        if num is None:
            return f"숫자가 필요한데 {_object(_kind_name(got))} 받았습니다."
        if isinstance(exp, int) and isinstance(num, int):
            ok = num == exp
        else:
            ok = math.isclose(num, exp, rel_tol=rtol, abs_tol=atol) or (
                math.isnan(num) and math.isnan(exp))
        return None if ok else f"제출한 {what} {_short(num)}은(는) 기대한 값과 다릅니다."
    if isinstance(exp, str):
        if not isinstance(got, str):
            return f"문자열이 필요한데 {_object(_kind_name(got))} 받았습니다."
        norm = lambda s: " ".join(s.strip().casefold().split())
        return None if norm(got) == norm(exp) else f"제출한 답 '{_short(got, 60)}'은(는) 기대한 답과 다릅니다."
    if isinstance(exp, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            need = "튜플(tuple)이" if isinstance(exp, tuple) else "리스트(list)가"
            return f"{need} 필요한데 {_object(_kind_name(got))} 받았습니다."
        if len(got) != len(exp):
            return (f"원소의 개수가 다릅니다: 제출한 {what}에는 {len(got)}개가 있습니다. "
                    "몇 개의 값이 필요한지(예: 몇 차원인지) 다시 세어 보세요.")
        for i, (g, e) in enumerate(zip(got, exp)):
            msg = compare(g, e, atol, rtol, check_dtype, reveal_shape, what="원소")
            if msg is not None and isinstance(e, (int, float)) and _as_number(g) is not None:
                return f"{i + 1}번째 값({_short(g, 40)})이 기대한 값과 다릅니다."
            if msg is not None:
                return f"{i + 1}번째 원소가 다릅니다 (제출: {_short(g, 60)}). {msg}"
        return None
    if isinstance(exp, dict):
        if not isinstance(got, dict):
            return f"딕셔너리가 필요한데 {_object(_kind_name(got))} 받았습니다."
        missing = [k for k in exp if k not in got]
        extra = [k for k in got if k not in exp]
        if missing:
            return f"키 {missing[0]!r}이(가) 없습니다."
        if extra:
            return f"필요 없는 키 {extra[0]!r}이(가) 있습니다."
        for k in exp:
            msg = compare(got[k], exp[k], atol, rtol, check_dtype, reveal_shape, what="값")
            if msg is not None:
                return f"키 {k!r}의 값이 다릅니다. {msg}"
        return None
    if exp is None:
        return None if got is None else f"None이 필요한데 {_object(_kind_name(got))} 받았습니다."
    return "이 값은 비교할 수 없습니다."

