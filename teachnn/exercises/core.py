"""The exercise engine: ``q1.check()``, ``q1.hint()``, ``q1.solution()``.

Guide for lesson authors
========================

A lesson's exercises live in ``teachnn/exercises/lessonNN.py``::

    from teachnn.exercises.core import ValueProblem, FunctionProblem, ModuleProblem, \\
        WordsProblem, finalize, tensor_case, ____

    q1 = ValueProblem(
        "out_shape",                          # the notebook variable the learner fills in
        expected=lambda: (32, 16, 98),        # a value, or a zero-argument callable (lazy)
        hints=["출력 길이 공식을 떠올려 보세요.", "L_out = (L + 2p - k) // s + 1"],
        solution="out_shape = (32, 16, 98)",
        mistakes=[((32, 16, 100), "패딩이 없으면 길이가 줄어듭니다.")],   # optional
    )
    q2 = FunctionProblem("my_relu", reference=lambda x: x.clamp(min=0),
                         cases=[tensor_case(((2, 3), 0))],          # one [2, 3] tensor, seed 0
                         hidden_cases=[tensor_case(((5,), 1))])
    q3 = ModuleProblem("model", reference=lambda: nn.Linear(5, 3),
                       inputs=[tensor_case(((4, 5), 2))])
    q4 = WordsProblem("why", model_answer="...", keywords=[["순서", "order"]])
    finalize(globals())                       # names q1, q2, ... and builds PROBLEMS

``tensor_case(...)`` makes a zero-argument callable returning fresh seeded Tensors, so every
run (and the grader) sees the same inputs and no case is mutated by a learner's function.
Expected values are computed lazily: pass a callable (or a reference function) rather than
computing with teachnn at import time.  Tests for your module: every problem passes with
its ``solution`` and fails with your intended message on a typical wrong answer (see
``tests/test_exercises.py``).

In the notebook the learner writes::

    from teachnn.exercises.lesson03 import q1, q2, q3, ____
    out_shape = ____      # the learner replaces ____
    q1.check()

Rules the engine keeps for you
------------------------------
* ``____`` (the placeholder) anywhere in the answer -- or any use of it while the learner's
  function or module runs -- reads as **아직 풀지 않았습니다** (not attempted), never as wrong.
  So write exercise cells where ``____`` is only *assigned* (``x = ____``,
  ``return ____``, ``model = ____``): the notebook must run top to bottom untouched.
* A wrong answer says *what* differs (type, shape, dtype, which position, how far off) but
  never shows the expected value.  Add ``mistakes=[(wrong_value, "message"), ...]`` to
  explain a typical wrong answer in your own words.
* An exception raised by the learner's code is reported as a hint (its type and message),
  never as a crash of ``check()``.
* ``hidden_cases`` are run by ``check()`` and by the grader, but their inputs and outputs are
  never shown: feedback only says that a hidden test failed.

Problem kinds
-------------
``ValueProblem(var, expected, atol=1e-5, rtol=1e-4, check_dtype=True, reveal_shape=True)``
    A number, string, bool, tuple (e.g. a shape), numpy array or Tensor.  Tensors are
    checked for type first, then shape, then dtype, then values (``allclose``).
``FunctionProblem(var, reference, cases, hidden_cases=(), check_grad=False)``
    The learner's function is called on each case (a tuple of arguments, or a zero-argument
    callable returning that tuple; arguments are deep-copied first) and compared with
    ``reference`` on the same arguments.  ``check_grad=True`` also compares the gradient of
    ``out.sum()`` with respect to every Tensor argument that requires grad.
``ModuleProblem(var, reference, inputs, check_structure=True, structure_types=None,
check_behaviour=True)``
    ``var`` holds an ``nn.Module`` instance or a Module class (instantiated with no arguments).
    Checked in order: is a Module, leaf-layer types (all, or only ``structure_types`` such as
    ``{"Linear"}``, so that ``nn.ReLU()`` and ``F.relu`` are both accepted), parameter count,
    output shape
    for each input, and behaviour (the learner's parameters are copied, in registration
    order, into a fresh ``reference()`` module and the outputs are compared).
``WordsProblem(var, model_answer, keywords=None, min_length=10)``
    A sentence in words.  Once answered (and, if ``keywords`` is given, mentioning at least
    one word from each keyword group) it is accepted and the model answer is shown.

How grading stays honest
------------------------
Checking is split in two steps: ``collect(namespace)`` turns the learner's variables into
plain data (numbers, strings, numpy arrays; a function's *outputs* on the cases), and
``grade(payload)`` compares that data with expected values computed from the reference.
The teacher's grader (``teachnn.exercises.grade``) runs ``collect`` in the learner's kernel
after re-importing this package fresh from disk, ships the data out as JSON (never pickle)
and runs ``grade`` in its own process: redefining ``check`` in a notebook changes nothing.
"""
from __future__ import annotations

import base64
import copy
import html
import json
import math
import re
import sys

import numpy as np

__all__ = ["____", "NotAttemptedError", "Problem", "ValueProblem", "FunctionProblem",
           "ModuleProblem", "WordsProblem", "Result", "finalize",
           "CORRECT", "INCORRECT", "UNATTEMPTED", "HEADERS"]

CORRECT, INCORRECT, UNATTEMPTED = "correct", "incorrect", "unattempted"
HEADERS = {CORRECT: "정답입니다", INCORRECT: "다시 확인해 보세요", UNATTEMPTED: "아직 풀지 않았습니다"}
_COLORS = {CORRECT: "#1a7f37", INCORRECT: "#cf222e", UNATTEMPTED: "#6e7781"}


# ----------------------------------------------------------------------------------------
# The placeholder
# ----------------------------------------------------------------------------------------
class NotAttemptedError(Exception):
    """Raised when the placeholder ``____`` is used as if it were a real value."""

    _TEACHNN_NOT_ATTEMPTED = True


def _is_not_attempted(exc) -> bool:
    # Checked by marker, not by class: the grader re-imports this module fresh, and the
    # learner's ``____`` (and the error it raises) come from the import made in the notebook.
    return getattr(type(exc), "_TEACHNN_NOT_ATTEMPTED", False) is True


class _Placeholder:
    """``____``: an answer not written yet.  Using it in any computation raises
    :class:`NotAttemptedError`, which the engine reads as "not attempted"."""

    _instance = None
    _TEACHNN_PLACEHOLDER = True

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "____"

    def __reduce__(self):
        return (_Placeholder, ())

    def _refuse(self, *args, **kwargs):
        raise NotAttemptedError("____ 자리를 아직 채우지 않았습니다.")

    def __getattr__(self, name):
        if name.startswith("_"):          # IPython/numpy probe private names: stay quiet
            raise AttributeError(name)
        self._refuse()

    __call__ = __getitem__ = __iter__ = __len__ = __bool__ = _refuse
    __int__ = __float__ = __index__ = __array__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = _refuse
    __matmul__ = __rmatmul__ = __pow__ = __rpow__ = __mod__ = __rmod__ = _refuse
    __neg__ = __pos__ = __abs__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = _refuse


____ = _Placeholder()


def _is_placeholder(obj) -> bool:
    # by marker, not isinstance: see _is_not_attempted
    return getattr(type(obj), "_TEACHNN_PLACEHOLDER", False) is True


# ----------------------------------------------------------------------------------------
# Snapshots: the learner's values as plain data
# ----------------------------------------------------------------------------------------
class TensorSnap:
    """A Tensor reduced to data: its numpy array (dtype included) and requires_grad."""

    def __init__(self, array, requires_grad=False):
        self.array = np.asarray(array)
        self.requires_grad = bool(requires_grad)

    def __repr__(self):
        return f"TensorSnap(shape={list(self.array.shape)}, dtype={self.array.dtype})"


class Opaque:
    """A value the engine cannot turn into data (kept as its type name and repr)."""

    def __init__(self, type_name, text):
        self.type_name, self.text = type_name, text


class NotAttempted:
    """Marker payload: the learner has not filled this answer in yet."""

    def __init__(self, reason=""):
        self.reason = reason


class ErrorSnap:
    """Marker payload: the learner's code raised an exception."""

    def __init__(self, type_name, message):
        self.type_name, self.message = type_name, message

    def text(self):
        return f"{self.type_name}: {self.message}" if self.message else self.type_name


def _tensor_class():
    try:
        from teachnn.tensor import Tensor
        return Tensor
    except Exception:             # the framework may be partly built; the engine still works
        return None


def _is_tensor(obj) -> bool:
    T = _tensor_class()
    return T is not None and isinstance(obj, T)


def _contains_placeholder(obj, depth=0) -> bool:
    if _is_placeholder(obj):
        return True
    if depth > 6:
        return False
    if isinstance(obj, (list, tuple, set, frozenset)):
        return any(_contains_placeholder(o, depth + 1) for o in obj)
    if isinstance(obj, dict):
        return any(_contains_placeholder(o, depth + 1) for o in list(obj.keys()) + list(obj.values()))
    if isinstance(obj, np.ndarray) and obj.dtype == object:
        return any(_contains_placeholder(o, depth + 1) for o in obj.flat)
    return False


def snapshot(obj, depth=0):
    """Turn a learner's value into plain data.  Raises NotAttemptedError on ``____``."""
    if _is_placeholder(obj):
        raise NotAttemptedError("____")
    if depth > 20:
        return Opaque(type(obj).__name__, "(너무 깊게 중첩된 값)")
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj)
    if _is_tensor(obj):
        return TensorSnap(np.array(obj.data, copy=True), getattr(obj, "requires_grad", False))
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            if _contains_placeholder(obj):
                raise NotAttemptedError("____")
            return Opaque("ndarray", "object 배열")
        return np.array(obj, copy=True)
    if isinstance(obj, tuple):        # includes torch.Size-like tuple subclasses
        return tuple(snapshot(o, depth + 1) for o in obj)
    if isinstance(obj, list):
        return [snapshot(o, depth + 1) for o in obj]
    if isinstance(obj, dict):
        return {snapshot(k, depth + 1): snapshot(v, depth + 1) for k, v in obj.items()}
    try:
        text = repr(obj)
    except Exception:
        text = "?"
    return Opaque(type(obj).__name__, text[:200])


# ----------------------------------------------------------------------------------------
# JSON transport (safe: no pickle; arrays as base64 bytes with an allow-listed dtype)
# ----------------------------------------------------------------------------------------
_SAFE_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                "uint64", "float16", "float32", "float64"}


def encode(obj):
    """Plain data (as made by :func:`snapshot`) -> JSON-compatible structure."""
    if obj is None or isinstance(obj, (bool, str, int)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"$f": repr(obj)}
    if isinstance(obj, np.ndarray):
        arr = np.array(obj, order="C", copy=True)   # (ascontiguousarray would make 0-d into 1-d)
        if arr.dtype.name not in _SAFE_DTYPES:
            return {"$o": ["ndarray", f"dtype {arr.dtype}"]}
        return {"$a": base64.b64encode(arr.tobytes()).decode("ascii"),
                "dtype": arr.dtype.name, "shape": list(arr.shape)}
    if isinstance(obj, TensorSnap):
        return {"$T": encode(obj.array), "rg": obj.requires_grad}
    if isinstance(obj, tuple):
        return {"$t": [encode(o) for o in obj]}
    if isinstance(obj, list):
        return {"$l": [encode(o) for o in obj]}
    if isinstance(obj, dict):
        return {"$d": [[encode(k), encode(v)] for k, v in obj.items()]}
    if isinstance(obj, Opaque):
        return {"$o": [obj.type_name, obj.text]}
    if isinstance(obj, NotAttempted):
        return {"$na": obj.reason}
    if isinstance(obj, ErrorSnap):
        return {"$err": [obj.type_name, obj.message]}
    return {"$o": [type(obj).__name__, "?"]}


def decode(obj):
    """Inverse of :func:`encode`.  Never executes anything from the data."""
    if obj is None or isinstance(obj, (bool, str, int, float)):
        return obj
    if isinstance(obj, list):            # plain JSON lists should not occur; be lenient
        return [decode(o) for o in obj]
    if not isinstance(obj, dict) or len(obj) == 0:
        return Opaque("?", "?")
    if "$f" in obj:
        return float(obj["$f"])
    if "$a" in obj:
        dtype = str(obj.get("dtype"))
        if dtype not in _SAFE_DTYPES:
            return Opaque("ndarray", dtype)
        shape = tuple(int(s) for s in obj.get("shape", []))
        raw = base64.b64decode(obj["$a"])
        itemsize = np.dtype(dtype).itemsize
        if len(raw) != itemsize * int(np.prod(shape, dtype=np.int64)):
            return Opaque("ndarray", "손상된 데이터")
        arr = np.frombuffer(raw, dtype=np.dtype(dtype))
        return arr.reshape(shape).copy()
    if "$T" in obj:
        arr = decode(obj["$T"])
        if not isinstance(arr, np.ndarray):
            return Opaque("Tensor", "?")
        return TensorSnap(arr, bool(obj.get("rg", False)))
    if "$t" in obj:
        return tuple(decode(o) for o in obj["$t"])
    if "$l" in obj:
        return [decode(o) for o in obj["$l"]]
    if "$d" in obj:
        out = {}
        for k, v in obj["$d"]:
            k = decode(k)
            try:
                out[k] = decode(v)
            except TypeError:            # unhashable key
                pass
        return out
    if "$o" in obj:
        t, text = obj["$o"]
        return Opaque(str(t), str(text))
    if "$na" in obj:
        return NotAttempted(str(obj["$na"]))
    if "$err" in obj:
        t, m = obj["$err"]
        return ErrorSnap(str(t), str(m))
    return Opaque("?", "?")


def roundtrip(payload):
    """encode -> JSON text -> decode: check() grades exactly what the grader would see."""
    return decode(json.loads(json.dumps(encode(payload))))


# ----------------------------------------------------------------------------------------
# Comparing a learner's value with the expected one (messages never show the expected value)
# ----------------------------------------------------------------------------------------
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
    """Return None if ``got`` matches ``exp`` (both snapshots), else a Korean message."""
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
            where = f" 처음 다른 위치는 {_position_text(first)}" if g.ndim else ""
            return (f"모양과 자료형은 맞지만 값이 다릅니다: {int(bad.shape[0])}개 원소가 다르고"
                    f" 가장 큰 차이는 {float(diff.max()):.4g}입니다.{where}"
                    + ("입니다." if where else ""))
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


# ----------------------------------------------------------------------------------------
# Results and their display
# ----------------------------------------------------------------------------------------
class Result:
    """What ``check()`` shows: a status header, message lines and an optional code block."""

    def __init__(self, status, title="", lines=(), code=None, code_label=None):
        self.status = status
        self.title = title
        self.lines = [str(l) for l in lines]
        self.code = code
        self.code_label = code_label

    @property
    def header(self):
        return HEADERS.get(self.status, self.status)

    @property
    def correct(self):
        return self.status == CORRECT

    def text(self):
        mark = {CORRECT: "[O]", INCORRECT: "[X]", UNATTEMPTED: "[ ]"}.get(self.status, "[-]")
        head = f"{mark} {self.header}" + (f" — {self.title}" if self.title else "")
        out = [head] + [f"  {l}" for l in self.lines]
        if self.code:
            if self.code_label:
                out.append(f"  {self.code_label}:")
            out += ["    " + l for l in self.code.splitlines()]
        return "\n".join(out)

    __str__ = text

    def __repr__(self):
        return self.text()

    def _repr_html_(self):
        color = _COLORS.get(self.status, "#444")
        parts = [f'<div style="border-left:4px solid {color};padding:4px 10px;margin:4px 0">',
                 f'<b style="color:{color}">{html.escape(self.header)}</b>']
        if self.title:
            parts.append(f' <span style="color:#6e7781">— {html.escape(self.title)}</span>')
        for l in self.lines:
            parts.append(f"<div>{html.escape(l)}</div>")
        if self.code:
            if self.code_label:
                parts.append(f"<div><i>{html.escape(self.code_label)}</i></div>")
            parts.append(f"<pre style='margin:4px 0'>{html.escape(self.code)}</pre>")
        parts.append("</div>")
        return "".join(parts)


class _Note(Result):
    """A hint or a solution: same display, a neutral header."""

    def __init__(self, header, title, lines=(), code=None):
        super().__init__("note", title, lines, code)
        self._header = header

    @property
    def header(self):
        return self._header

    def _repr_html_(self):
        text = super()._repr_html_()
        return text.replace('border-left:4px solid #444', 'border-left:4px solid #0969da')


def _in_kernel() -> bool:
    ip = sys.modules.get("IPython")
    if ip is None:
        return False
    try:
        shell = ip.get_ipython()
    except Exception:
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def show(obj):
    """HTML (with a text fallback) inside Jupyter, plain text elsewhere."""
    if _in_kernel():
        from IPython.display import display
        display(obj)
    else:
        print(obj.text())


def _error_text(exc) -> str:
    msg = str(exc).strip().splitlines()
    msg = msg[0] if msg else ""
    return msg[:300]


def _call_safely(fn, *args):
    """Call learner code: returns (value, None), (None, NotAttempted) or (None, ErrorSnap)."""
    try:
        return fn(*args), None
    except RecursionError:
        return None, ErrorSnap("RecursionError", "재귀 호출이 너무 깊습니다")
    except Exception as exc:      # the learner's bug is shown as a hint, never a crash
        if _is_not_attempted(exc):
            return None, NotAttempted("____")
        return None, ErrorSnap(type(exc).__name__, _error_text(exc))


def _materialize(case):
    """A case is a tuple of arguments or a zero-argument callable returning one."""
    args = case() if callable(case) else case
    if not isinstance(args, tuple):
        args = (args,)
    return copy.deepcopy(args)


def _describe_args(args):
    parts = []
    for a in args:
        if _is_tensor(a):
            parts.append(f"텐서 모양 {_shape_text(a.shape)}")
        elif isinstance(a, np.ndarray):
            parts.append(f"배열 모양 {_shape_text(a.shape)}")
        else:
            parts.append(_short(a, 40))
    return ", ".join(parts)


# ----------------------------------------------------------------------------------------
# Problems
# ----------------------------------------------------------------------------------------
class Problem:
    """Base class: variable lookup, check/hint/solution, collect/grade split."""

    kind = "problem"

    def __init__(self, var, *, title="", hints=(), solution="", points=1):
        self.var = var
        self.title = title
        self.hints = list(hints)
        self.solution_text = solution
        self.points = points
        self.name = None          # set by finalize(): "q1"
        self.lesson = None        # set by finalize(): "lesson06"
        self.last_result = None

    # -- identity --
    @property
    def qualname(self):
        return f"{self.lesson}.{self.name}" if self.lesson else (self.name or self.var)

    def _label(self):
        label = f"{self.name}" if self.name else ""
        if self.title:
            label = f"{label} {self.title}".strip()
        return label

    # -- the two steps --
    def _lookup(self, namespace):
        if self.var not in namespace:
            return NotAttempted(f"변수 `{self.var}`이(가) 아직 없습니다. 답을 적은 셀을 먼저 실행하세요.")
        value = namespace[self.var]
        if _contains_placeholder(value):
            return NotAttempted("____")
        return value

    def collect(self, namespace, include_hidden=True):
        """Learner's variables -> plain data (runs where the learner's code lives)."""
        value = self._lookup(namespace)
        if isinstance(value, NotAttempted):
            return value
        try:
            return self._collect(value, include_hidden)
        except RecursionError:
            return ErrorSnap("RecursionError", "재귀 호출이 너무 깊습니다")
        except Exception as exc:
            if _is_not_attempted(exc):
                return NotAttempted("____")
            return ErrorSnap(type(exc).__name__, _error_text(exc))

    def _collect(self, value, include_hidden):
        return snapshot(value)

    def grade(self, payload):
        """Plain data -> Result (runs in the grader's process; the only place truth lives)."""
        if isinstance(payload, NotAttempted):
            lines = [f"`{self.var}`의 ____ 자리를 채운 뒤 다시 실행해 보세요."]
            if payload.reason and payload.reason != "____":
                lines = [payload.reason]
            return Result(UNATTEMPTED, self._label(), lines)
        if isinstance(payload, ErrorSnap):
            return Result(INCORRECT, self._label(), [
                f"코드를 실행하다가 오류가 났습니다: {payload.text()}",
                "힌트: 오류 메시지가 알려 주는 곳을 고쳐 보세요. 막히면 q.hint()를 실행해 보세요."])
        try:
            return self._grade(payload)
        except Exception as exc:      # a bug in a problem definition must not hide the rest
            return Result(INCORRECT, self._label(),
                          [f"채점 중 문제가 생겼습니다({type(exc).__name__}: {_error_text(exc)}). "
                           "선생님께 알려 주세요."])

    def _grade(self, payload):
        raise NotImplementedError

    def evaluate(self, namespace, include_hidden=True):
        """collect + JSON round trip + grade, without display (used by check and tests)."""
        payload = roundtrip(self.collect(namespace, include_hidden))
        result = self.grade(payload)
        self.last_result = result
        return result

    # -- what the learner calls --
    def check(self, namespace=None):
        """Check the answer written in the notebook (reads the caller's globals)."""
        if namespace is None:
            namespace = sys._getframe(1).f_globals
        show(self.evaluate(namespace))

    def hint(self, n=1):
        """Show hint number ``n`` (1 = the gentlest)."""
        if not self.hints:
            show(_Note("힌트", self._label(), ["이 문제에는 힌트가 없습니다."]))
            return
        try:
            n = int(n)
        except (TypeError, ValueError):
            n = 1
        n = min(max(n, 1), len(self.hints))
        lines = [self.hints[n - 1]]
        if n < len(self.hints):
            lines.append(f"(더 자세한 힌트: {self.name or 'q'}.hint({n + 1}))")
        show(_Note(f"힌트 {n}/{len(self.hints)}", self._label(), lines))

    def solution(self):
        """Show the model solution (정답 예시)."""
        show(_Note("정답 예시", self._label(), [], code=self.solution_text or "(정답 예시가 없습니다)"))

    def __repr__(self):
        return (f"<연습 문제 {self.qualname}: {self.title or self.var} — "
                f"{self.name or 'q'}.check(), .hint(), .solution()>")


def _lazy(value):
    return value() if callable(value) else value


class ValueProblem(Problem):
    """A value or tensor, compared with a tolerance (type, then shape, then dtype, then values)."""

    kind = "value"

    def __init__(self, var, expected, *, atol=1e-5, rtol=1e-4, check_dtype=True,
                 reveal_shape=True, mistakes=(), **kw):
        super().__init__(var, **kw)
        self._expected = expected
        self._expected_cache = None
        self.atol, self.rtol = atol, rtol
        self.check_dtype, self.reveal_shape = check_dtype, reveal_shape
        self.mistakes = list(mistakes)

    def expected(self):
        if self._expected_cache is None:
            self._expected_cache = (snapshot(_lazy(self._expected)),)
        return self._expected_cache[0]

    def _grade(self, payload):
        msg = compare(payload, self.expected(), self.atol, self.rtol, self.check_dtype,
                      self.reveal_shape)
        if msg is None:
            return Result(CORRECT, self._label(), ["잘했습니다!"])
        lines = [msg]
        for wrong, explanation in self.mistakes:
            if compare(payload, snapshot(_lazy(wrong)), self.atol, self.rtol, False, True) is None:
                lines = [explanation] + lines
                break
        return Result(INCORRECT, self._label(), lines)


class FunctionProblem(Problem):
    """A function, tested against ``reference`` on visible and hidden cases."""

    kind = "function"

    def __init__(self, var, reference, cases, *, hidden_cases=(), atol=1e-5, rtol=1e-4,
                 check_dtype=True, check_grad=False, **kw):
        super().__init__(var, **kw)
        self.reference = reference
        self.cases = list(cases)
        self.hidden_cases = list(hidden_cases)
        self.atol, self.rtol = atol, rtol
        self.check_dtype = check_dtype
        self.check_grad = check_grad

    def _all_cases(self, include_hidden=True):
        return self.cases + (self.hidden_cases if include_hidden else [])

    def _run(self, fn, case):
        """Run ``fn`` on a fresh copy of ``case``: snapshot of output (+ input gradients)."""
        args = _materialize(case)
        out, problem = _call_safely(fn, *args)
        if problem is not None:
            return problem
        try:
            snap = snapshot(out)
        except NotAttemptedError:
            return NotAttempted("____")
        if not self.check_grad:
            return snap
        if not _is_tensor(out):
            return snap
        if not getattr(out, "requires_grad", False):
            return {"out": snap, "grads": [], "detached": True}
        def backward():
            out.sum().backward()
        _, problem = _call_safely(backward)
        if problem is not None:
            if isinstance(problem, ErrorSnap):
                problem = ErrorSnap(problem.type_name, "역전파(backward) 중 오류: " + problem.message)
            return problem
        grads = []
        for a in args:
            if _is_tensor(a) and getattr(a, "requires_grad", False):
                g = a.grad
                grads.append(None if g is None else snapshot(g))
        return {"out": snap, "grads": grads}

    def _collect(self, fn, include_hidden):
        if not callable(fn):
            return {"not_callable": _kind_name(snapshot(fn))}
        results = []
        for case in self._all_cases(include_hidden):
            r = self._run(fn, case)
            if isinstance(r, NotAttempted):
                return r
            results.append(r)
        return {"results": results}

    def _grade(self, payload):
        if not isinstance(payload, dict) or "results" not in payload:
            kind = payload.get("not_callable", "?") if isinstance(payload, dict) else "?"
            return Result(INCORRECT, self._label(),
                          [f"`{self.var}`은(는) 함수여야 하는데 {kind}입니다. def {self.var}(...): 로 정의하세요."])
        results = payload["results"]
        cases = self._all_cases(True)
        n_visible = len(self.cases)
        if len(results) < n_visible:
            return Result(INCORRECT, self._label(), ["결과 수가 맞지 않습니다."])
        hidden_failures = 0
        for i, (got, case) in enumerate(zip(results, cases)):
            expected = self._run(self.reference, case)
            if isinstance(expected, (ErrorSnap, NotAttempted)):
                raise RuntimeError(f"reference failed on case {i}: {getattr(expected, 'message', '')}")
            msg = self._compare_case(got, expected)
            if msg is None:
                continue
            if i < n_visible:
                args = _materialize(case)
                lines = [f"테스트 {i + 1}번(입력: {_describe_args(args)})에서 결과가 다릅니다.", msg]
                if isinstance(got, ErrorSnap):
                    lines.append("힌트: 오류 메시지가 가리키는 줄을 고쳐 보세요. 막히면 "
                                 f"{self.name or 'q'}.hint()를 실행해 보세요.")
                return Result(INCORRECT, self._label(), lines)
            hidden_failures += 1
        if hidden_failures:
            return Result(INCORRECT, self._label(), [
                "보이는 테스트는 통과했지만, 공개되지 않은 추가 테스트"
                f" {hidden_failures}개에서 결과가 다릅니다.",
                "다른 크기·다른 값(음수, 0, 큰 값 등)의 입력에서도 맞는지 생각해 보세요."])
        n = len(results)
        return Result(CORRECT, self._label(), [f"테스트 {n}개를 모두 통과했습니다."])

    def _compare_case(self, got, expected):
        if isinstance(got, ErrorSnap):
            return f"함수를 실행하다가 오류가 났습니다 — {got.text()}"
        if not self.check_grad or not isinstance(expected, dict):
            return compare(got, expected, self.atol, self.rtol, self.check_dtype, True, what="결과")
        got_out = got["out"] if isinstance(got, dict) else got
        msg = compare(got_out, expected["out"], self.atol, self.rtol, self.check_dtype, True,
                      what="결과")
        if msg is not None:
            return "순전파(forward) 결과: " + msg
        if not isinstance(got, dict) or got.get("detached"):
            return ("결과 텐서가 기울기(gradient)를 추적하지 않습니다: .data나 넘파이로 계산하면 "
                    "자동 미분(autograd)의 계산 그래프가 끊어집니다. 텐서 연산만 써 보세요.")
        for j, (g, e) in enumerate(zip(got["grads"], expected["grads"])):
            if g is None and e is not None:
                return f"{j + 1}번째 입력의 기울기(grad)가 계산되지 않았습니다."
            if e is None:
                continue
            msg = compare(g, e, self.atol, self.rtol, False, True, what="기울기")
            if msg is not None:
                return f"역전파(backward): {j + 1}번째 입력의 기울기가 다릅니다. {msg}"
        return None


class ModuleProblem(Problem):
    """An ``nn.Module`` (instance or class): structure, parameter count, shapes, behaviour."""

    kind = "module"

    def __init__(self, var, reference, inputs, *, check_structure=True, structure_types=None,
                 check_params=True, check_behaviour=True, atol=1e-5, rtol=1e-4, **kw):
        super().__init__(var, **kw)
        self.reference = reference
        self.inputs = list(inputs)
        self.check_structure = check_structure
        # compare only these leaf types (e.g. {"Linear"} when nn.ReLU and F.relu are both fine)
        self.structure_types = set(structure_types) if structure_types else None
        self.check_params = check_params
        self.check_behaviour = check_behaviour
        self.atol, self.rtol = atol, rtol

    @staticmethod
    def _is_module(obj):
        try:
            from teachnn.nn import Module
        except Exception:
            return False
        return isinstance(obj, Module)

    def _describe(self, model, include_outputs=True):
        """A module -> data: leaf layer types, parameters (in order), outputs on the inputs."""
        leaves = [type(m).__name__ for m in model.modules() if not list(m.children())]
        params = [(name, snapshot(p)) for name, p in model.named_parameters()]
        outputs = []
        if include_outputs:
            if hasattr(model, "eval"):
                model.eval()
            for case in self.inputs:
                args = _materialize(case)
                out, problem = _call_safely(model, *args)
                if isinstance(problem, NotAttempted):
                    raise NotAttemptedError("____")
                if problem is not None:
                    outputs.append(problem)
                    continue
                outputs.append(snapshot(out))
        return {"is_module": True, "type": type(model).__name__, "leaves": leaves,
                "params": params, "outputs": outputs}

    def _collect(self, value, include_hidden):
        if isinstance(value, type):
            if not _issubclass_module(value):
                return {"is_module": False, "what": f"{value.__name__} 클래스"}
            model, problem = _call_safely(value)
            if problem is not None:
                return problem
            value = model
        if not self._is_module(value):
            return {"is_module": False, "what": _kind_name(snapshot(value))}
        return self._describe(value)

    def _grade(self, payload):
        label = self._label()
        if not payload.get("is_module"):
            return Result(INCORRECT, label, [
                f"nn.Module이 필요한데 {_object(payload.get('what', '?'))} 받았습니다. "
                "class 이름(nn.Module): 으로 상속하고 super().__init__()을 불러 주세요."])
        ref = _lazy(self.reference)
        ref_desc = self._describe(ref, include_outputs=False)
        if self.check_structure:
            from collections import Counter
            keep = (lambda t: t in self.structure_types) if self.structure_types else (lambda t: True)
            got_c = Counter(t for t in payload["leaves"] if keep(t))
            exp_c = Counter(t for t in ref_desc["leaves"] if keep(t))
            for t in sorted(set(got_c) | set(exp_c)):
                if got_c[t] != exp_c[t]:
                    return Result(INCORRECT, label, [
                        f"레이어 구성이 다릅니다: 제출한 모델에는 {t} 레이어가 {got_c[t]}개 있습니다. "
                        "필요한 레이어를 빠짐없이, 필요한 만큼만 __init__에 정의했는지 확인하세요."])
        got_n = sum(int(np.asarray(getattr(p, "array", p)).size) for _, p in payload["params"])
        exp_n = sum(int(p.array.size) for _, p in ref_desc["params"])
        if self.check_params and got_n != exp_n:
            more = "많습니다" if got_n > exp_n else "적습니다"
            return Result(INCORRECT, label, [
                f"파라미터 수가 다릅니다: 제출한 모델의 파라미터는 {got_n}개로, 기대보다 {more}. "
                "각 레이어의 입력·출력 크기(in_features, out_features 등)를 확인하세요."])
        # Behaviour: copy the learner's parameters into a fresh reference, run both.
        ref_params = list(ref.parameters()) if self.check_behaviour else []
        got_params = [p for _, p in payload["params"]]
        can_copy = self.check_behaviour and len(ref_params) == len(got_params) and all(
            isinstance(g, TensorSnap) and tuple(g.array.shape) == tuple(r.data.shape)
            for g, r in zip(got_params, ref_params))
        if self.check_behaviour and not can_copy:
            return Result(INCORRECT, label, [
                "파라미터의 모양이나 순서가 기대와 다릅니다. 레이어를 __init__에 정의한 순서와"
                " 각 레이어의 크기를 확인하세요."])
        if can_copy:
            for g, r in zip(got_params, ref_params):
                r.data = g.array.astype(r.data.dtype).copy()
        if hasattr(ref, "eval"):
            ref.eval()
        outputs = payload["outputs"]
        for i, case in enumerate(self.inputs):
            args = _materialize(case)
            got = outputs[i] if i < len(outputs) else None
            if isinstance(got, ErrorSnap):
                return Result(INCORRECT, label, [
                    f"입력({_describe_args(args)})으로 모델을 실행하다가 오류가 났습니다 — {got.text()}",
                    "힌트: forward에서 각 레이어에 들어가는 텐서의 모양을 print로 찍어 보세요."])
            exp = snapshot(ref(*args))
            if isinstance(exp, TensorSnap) and isinstance(got, TensorSnap) \
                    and got.array.shape != exp.array.shape:
                return Result(INCORRECT, label, [
                    f"입력({_describe_args(args)})에 대한 출력 모양이 {_shape_text(got.array.shape)}인데, "
                    f"기대한 모양은 {_shape_text(exp.array.shape)}입니다."])
            if self.check_behaviour:
                msg = compare(got, exp, self.atol, self.rtol, True, True, what="출력")
                if msg is not None:
                    return Result(INCORRECT, label, [
                        "구조와 모양은 맞지만 같은 가중치로 계산한 출력이 다릅니다 "
                        "(forward의 계산 순서나 활성화 함수를 확인하세요).", msg])
        return Result(CORRECT, label, ["구조, 파라미터 수, 출력 모양과 동작이 모두 맞습니다."])


def _issubclass_module(cls):
    try:
        from teachnn.nn import Module
    except Exception:
        return False
    return isinstance(cls, type) and issubclass(cls, Module)


class WordsProblem(Problem):
    """A question answered in words; shows a model answer once answered."""

    kind = "words"

    def __init__(self, var, model_answer, *, keywords=None, min_length=10, **kw):
        super().__init__(var, **kw)
        self.model_answer = model_answer
        self.keywords = [list(g) for g in (keywords or [])]
        self.min_length = min_length

    def _grade(self, payload):
        if not isinstance(payload, str):
            return Result(INCORRECT, self._label(),
                          [f'답은 따옴표로 감싼 문장(문자열)으로 적어 주세요: {self.var} = "..."'])
        text = " ".join(payload.split())
        if len(text) < self.min_length:
            return Result(INCORRECT, self._label(),
                          [f"답이 너무 짧습니다({len(text)}자). 이유까지 한두 문장으로 설명해 보세요."])
        folded = text.casefold()
        missing = [g for g in self.keywords if not any(w.casefold() in folded for w in g)]
        if missing:
            return Result(INCORRECT, self._label(), [
                "핵심 개념이 하나 빠진 것 같습니다. 다시 읽어 보고 설명을 보완해 보세요.",
                f"({len(self.keywords) - len(missing)}/{len(self.keywords)}개 개념을 언급했습니다.)"])
        return Result(CORRECT, self._label(), ["답을 적었습니다. 모범 답안과 비교해 보세요."],
                      code=self.model_answer, code_label="모범 답안")

    def solution(self):
        """Show the model answer (and the example code, if the author gave one)."""
        code = self.solution_text or None
        show(_Note("정답 예시", self._label(), [f"모범 답안: {self.model_answer}"], code=code))


# ----------------------------------------------------------------------------------------
# Lesson modules and the grader's entry points
# ----------------------------------------------------------------------------------------
def finalize(namespace):
    """Call at the end of ``lessonNN.py``: names ``q1, q2, ...`` and builds ``PROBLEMS``."""
    lesson = namespace["__name__"].rsplit(".", 1)[-1]
    problems = []
    for key, value in list(namespace.items()):
        if isinstance(value, Problem) and key.startswith("q") and key[1:].isdigit():
            value.name, value.lesson = key, lesson
            problems.append(value)
    problems.sort(key=lambda p: int(p.name[1:]))
    namespace["PROBLEMS"] = problems
    namespace["____"] = ____
    return problems


def lesson_problems(lesson):
    """``"lesson06"`` -> the list of Problems of that lesson module."""
    import importlib
    module = importlib.import_module(f"teachnn.exercises.{lesson}")
    return list(module.PROBLEMS)


def collect_lessons(lessons, namespace, include_hidden=True) -> str:
    """In the learner's kernel: every problem's payload, as JSON text (see grade.py)."""
    out = {}
    for lesson in lessons:
        try:
            problems = lesson_problems(lesson)
        except Exception as exc:
            out[lesson] = {"$error": f"{type(exc).__name__}: {_error_text(exc)}"}
            continue
        out[lesson] = {p.name: encode(p.collect(namespace, include_hidden)) for p in problems}
    return json.dumps(out)


def grade_payloads(data, lessons=None) -> dict:
    """In the grader: ``{lesson: {q: payload}}`` (decoded JSON) -> ``{"lesson.q": Result}``.

    Only ``lessons`` (the grader's own list) are graded: names inside the data are not trusted."""
    results = {}
    if not isinstance(data, dict):
        data = {}
    for lesson in (lessons if lessons is not None else list(data)):
        items = data.get(lesson, {"$error": "missing"})
        problems = lesson_problems(lesson)
        if not isinstance(items, dict) or "$error" in items:
            for p in problems:
                results[p.qualname] = Result(INCORRECT, p._label(), ["채점용 데이터를 모으지 못했습니다."])
            continue
        for p in problems:
            if p.name in items:
                try:
                    payload = decode(items[p.name])
                except Exception:
                    payload = ErrorSnap("DataError", "제출 데이터를 읽을 수 없습니다")
                results[p.qualname] = p.grade(payload)
            else:
                results[p.qualname] = Result(UNATTEMPTED, p._label(), ["답을 찾지 못했습니다."])
    return results



def random_tensor(shape, seed, dtype="float32", requires_grad=False, avoid_zero=False, low=None,
                  high=None):
    """A reproducible teachnn Tensor for test cases (numpy RNG seeded with ``seed``).

    ``avoid_zero`` keeps every entry at least 0.1 away from 0 (for ReLU-like kinks);
    ``low``/``high`` draw uniformly instead of from a normal distribution."""
    import teachnn
    rng = np.random.default_rng(seed)
    if low is not None:
        arr = rng.uniform(low, high, size=shape)
    else:
        arr = rng.standard_normal(size=shape)
    if avoid_zero:
        arr = np.where(np.abs(arr) < 0.1, np.sign(arr + 1e-12) * (0.1 + np.abs(arr)), arr)
    t = teachnn.tensor(arr.astype(dtype))
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor_case(*specs):
    """A FunctionProblem/ModuleProblem case: ``tensor_case((2, 3), 0)`` or
    ``tensor_case(dict(shape=(2, 3), seed=0, requires_grad=True), ...)`` -> a zero-argument
    callable returning a tuple of fresh Tensors (fresh every call: no state leaks)."""
    def make():
        out = []
        for spec in specs:
            if isinstance(spec, dict):
                out.append(random_tensor(**spec))
            elif callable(spec):
                out.append(spec())
            else:
                shape, seed = spec
                out.append(random_tensor(shape, seed))
        return tuple(out)
    return make
