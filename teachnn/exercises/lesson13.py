"""Exercises of lesson 13 (how a convolution gets fast).

Expected values are computed here with plain NumPy loops written independently of teachnn's
kernels.  The two "write it yourself" problems refuse the library: a function that *is* a
library convolution, or that calls one while it runs (teachnn's kernels or functional
convolution, PyTorch, SciPy's signal/ndimage), is graded incorrect with a message saying so.
"""
import re
import sys
import types

import numpy as np

from teachnn.exercises.core import (CORRECT, INCORRECT, ErrorSnap, FunctionProblem,
                                    NotAttempted, Result, ValueProblem, WordsProblem,
                                    _describe_args, _is_placeholder, _materialize, _shape_text,
                                    compare, finalize, ____)  # noqa: F401


# ----------------------------------------------------------------------------------------
# Answer keys (NumPy only)
# ----------------------------------------------------------------------------------------
def _out_size(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def _im2col_key(x, kh, kw, stride, padding):
    """x: [C, H, W] -> col: [C*kh*kw, oH*oW]; row (c, u, v), column (i, j), row-major."""
    x = np.asarray(x, dtype=np.float64)
    C, H, W = x.shape
    oH, oW = _out_size(H, kh, stride, padding), _out_size(W, kw, stride, padding)
    col = np.zeros((C * kh * kw, oH * oW))
    for c in range(C):
        for u in range(kh):
            for v in range(kw):
                for i in range(oH):
                    for j in range(oW):
                        r, q = i * stride + u - padding, j * stride + v - padding
                        if 0 <= r < H and 0 <= q < W:
                            col[(c * kh + u) * kw + v, i * oW + j] = x[c, r, q]
    return col


def _conv2d_key(x, w, stride, padding):
    """x: [N, C, H, W], w: [O, C, kh, kw] -> [N, O, oH, oW] (no bias, no kernel flip)."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    N, C, H, W = x.shape
    O, _, kh, kw = w.shape
    xp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    xp[:, :, padding:padding + H, padding:padding + W] = x
    oH, oW = _out_size(H, kh, stride, padding), _out_size(W, kw, stride, padding)
    y = np.zeros((N, O, oH, oW))
    for i in range(oH):
        for j in range(oW):
            window = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            y[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3]))
    return y


# ----------------------------------------------------------------------------------------
# "Write it yourself": refuse the library
# ----------------------------------------------------------------------------------------
_LIBRARY_PATHS = ("/teachnn/kernels/", "/teachnn/nn/_functional/conv", "/teachnn/nn/modules/conv",
                  "/torch/", "/scipy/signal/", "/scipy/ndimage/")
_LIBRARY_MODULES = ("teachnn", "torch", "scipy")
_SHORTCUT = "LibraryShortcut"
# PyTorch is a large library: only its convolution-like functions count as a shortcut
_CONV_NAMES = re.compile(r"conv|unfold|im2col|correlat|mkldnn", re.IGNORECASE)


class LibraryShortcut(Exception):
    """Raised (inside collect) when a learner's function calls a library convolution."""


def _normalise(path):
    return str(path).replace("\\", "/")


def _library_name_of(fn):
    """'teachnn.nn.functional.conv2d'-like name if ``fn`` is itself a library function."""
    target = getattr(fn, "func", fn)              # functools.partial
    module = getattr(target, "__module__", None) or ""
    if module.split(".")[0] in _LIBRARY_MODULES and not module.startswith("teachnn.exercises"):
        return f"{module}.{getattr(target, '__qualname__', getattr(target, '__name__', '?'))}"
    self_obj = getattr(target, "__self__", None)      # builtins such as torch.conv2d
    if self_obj is not None and "torch" in repr(type(self_obj)) + repr(self_obj)[:80]:
        return f"torch.{getattr(target, '__name__', '?')}"
    return None


def _guarded(fn):
    """``fn`` wrapped so that any call into a library convolution while it runs raises."""
    def run(*args):
        seen = []

        def hook(frame, event, arg):
            if seen:
                return
            if event == "call":
                path = _normalise(frame.f_code.co_filename)
                if (any(p in path for p in _LIBRARY_PATHS) and "/teachnn/exercises/" not in path
                        and ("/torch/" not in path or _CONV_NAMES.search(frame.f_code.co_name))):
                    name = frame.f_globals.get("__name__", "?")
                    seen.append(f"{name}.{frame.f_code.co_name}")
            elif event == "c_call":
                name = _library_name_of(arg)
                if name is not None and _CONV_NAMES.search(name.rsplit(".", 1)[-1]):
                    seen.append(name)

        previous = sys.getprofile()
        sys.setprofile(hook)
        try:
            out = fn(*args)
        except Exception:
            if seen:                   # the library was called, then something failed
                raise LibraryShortcut(seen[0]) from None
            raise
        finally:
            sys.setprofile(previous)
        if seen:
            raise LibraryShortcut(seen[0])
        return out
    return run


def _code_uses_placeholder(code, globals_):
    for name in code.co_names:
        if _is_placeholder(globals_.get(name)):
            return True
    return any(isinstance(c, types.CodeType) and _code_uses_placeholder(c, globals_)
               for c in code.co_consts)


def _is_njit(fn):
    try:
        from numba.core.registry import CPUDispatcher
    except Exception:                          # numba is a dependency; be safe anyway
        return False
    return isinstance(fn, CPUDispatcher)


class WriteItYourself(FunctionProblem):
    """A FunctionProblem on NumPy arrays that refuses library convolutions.

    ``cell_text(index, args)`` names the first wrong cell of the output in the learner's
    terms; ``require_njit`` asks for a function compiled with ``@njit``."""

    def __init__(self, var, reference, cases, *, cell_text, require_njit=False, **kw):
        super().__init__(var, reference, cases, check_dtype=False, **kw)
        self.cell_text = cell_text
        self.require_njit = require_njit

    def _collect(self, fn, include_hidden):
        if not callable(fn):
            return super()._collect(fn, include_hidden)
        name = _library_name_of(fn)
        if name is not None:
            return {"shortcut": name}
        py_func = getattr(fn, "py_func", None)   # an @njit function: the placeholder can't run
        if py_func is not None and _code_uses_placeholder(py_func.__code__, py_func.__globals__):
            return NotAttempted("____")
        if py_func is not None and self.cases:
            # Compile outside the guard (Numba's compiler is slow under a profile hook); a
            # jitted function cannot call Python, so nothing escapes the guarded runs below.
            from teachnn.exercises.core import _call_safely
            _call_safely(fn, *_materialize(self.cases[0]))
        payload = super()._collect(_guarded(fn), include_hidden)
        if isinstance(payload, dict):
            payload["njit"] = _is_njit(fn)
        return payload

    def _grade(self, payload):
        label = self._label()
        if isinstance(payload, dict) and "shortcut" in payload:
            return self._refuse(payload["shortcut"])
        if not isinstance(payload, dict) or "results" not in payload:
            return super()._grade(payload)
        results = payload["results"]
        for got in results:
            if isinstance(got, ErrorSnap) and got.type_name == _SHORTCUT:
                return self._refuse(got.message)
        cases = self._all_cases(True)
        if len(results) < len(self.cases):
            return Result(INCORRECT, label, ["결과 수가 맞지 않습니다."])
        hidden_failures, first_hidden = 0, None
        for index, (got, case) in enumerate(zip(results, cases)):
            args = _materialize(case)
            message = self._compare(got, args)
            if message is None:
                continue
            if index < len(self.cases):
                return Result(INCORRECT, label, [
                    f"테스트 {index + 1}번(입력: {_describe_args(args)})에서 결과가 다릅니다.", message])
            hidden_failures += 1
            first_hidden = first_hidden or message
        if hidden_failures:
            return Result(INCORRECT, label, [
                f"보이는 테스트는 통과했지만, 공개되지 않은 추가 테스트 {hidden_failures}개에서 결과가 다릅니다"
                " (다른 크기, 스트라이드, 패딩).", f"처음 틀린 추가 테스트: {first_hidden}"])
        if self.require_njit and not payload.get("njit"):
            return Result(INCORRECT, label, [
                "값은 모두 맞습니다. 이 문제는 Numba로 컴파일한 함수를 묻습니다: "
                f"def {self.var} 바로 위에 @njit를 붙이고 다시 실행하세요."])
        return Result(CORRECT, label, [f"테스트 {len(results)}개를 모두 통과했습니다."])

    def _compare(self, got, args):
        if isinstance(got, ErrorSnap):
            return f"함수를 실행하다가 오류가 났습니다 — {got.text()}"
        expected = np.asarray(self.reference(*args))
        got_arr = got.array if hasattr(got, "array") else got
        if not isinstance(got_arr, np.ndarray):
            return compare(got, expected, what="결과")
        if got_arr.shape != expected.shape:
            return (f"모양(shape)이 다릅니다: 제출한 결과의 모양은 {_shape_text(got_arr.shape)}인데, "
                    f"기대한 모양은 {_shape_text(expected.shape)}입니다. 출력 크기 공식 "
                    "(H + 2*padding - k) // stride + 1 을 확인하세요.")
        if got_arr.dtype.kind not in "biuf":
            return f"숫자 배열이 필요한데 자료형이 {got_arr.dtype}입니다."
        close = np.isclose(got_arr.astype(np.float64), expected, atol=self.atol, rtol=self.rtol)
        if close.all():
            return None
        first = tuple(int(i) for i in np.argwhere(~close)[0])
        return (f"값이 다릅니다: {int((~close).sum())}개 원소가 틀렸고, 처음 틀린 곳은 "
                f"{self.cell_text(first, args)}입니다.")

    def _refuse(self, name):
        return Result(INCORRECT, self._label(), [
            f"라이브러리 함수({name})를 불렀습니다. 이 문제는 직접 쓰는 문제입니다: "
            "teachnn·PyTorch·SciPy의 합성곱 대신 반복문(과 NumPy의 기본 연산)으로 계산하세요."])


def _conv_cell(index, args):
    n, m, i, j = index
    return (f"출력 칸 [n, m, i, j] = [{n}, {m}, {i}, {j}] (샘플 {n}, 출력 채널 {m}, {i}번째 행, "
            f"{j}번째 열)")


def _col_cell(index, args):
    row, column = index
    x, kh, kw, stride, padding = args
    oW = _out_size(np.asarray(x).shape[2], kw, stride, padding)
    c, rest = divmod(row, kh * kw)
    u, v = divmod(rest, kw)
    i, j = divmod(column, oW)
    return (f"col[{row}, {column}] (행 {row} = 채널 c={c}, 커널 칸 (u, v)=({u}, {v}); "
            f"열 {column} = 출력 칸 (i, j)=({i}, {j}))")


def _arrays(*specs):
    """A case: seeded float32 arrays (shape, seed) followed by plain values."""
    def make():
        out = []
        for spec in specs:
            if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], tuple):
                shape, seed = spec
                out.append(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))
            else:
                out.append(spec)
        return tuple(out)
    return make


# ----------------------------------------------------------------------------------------
# The problems
# ----------------------------------------------------------------------------------------
_IM2COL_SOLUTION = '''def im2col(x, kh, kw, stride, padding):
    C, H, W = x.shape
    oH = (H + 2 * padding - kh) // stride + 1
    oW = (W + 2 * padding - kw) // stride + 1
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))   # [C, H+2p, W+2p]
    col = np.empty((C, kh, kw, oH, oW), dtype=x.dtype)
    for u in range(kh):
        for v in range(kw):
            # 커널 칸 (u, v)가 모든 출력 칸 (i, j)에서 읽는 값: xp[c, i*s + u, j*s + v]
            col[:, u, v] = xp[:, u:u + stride * oH:stride, v:v + stride * oW:stride]
    return col.reshape(C * kh * kw, oH * oW)'''

q1 = WriteItYourself(
    "im2col",
    reference=_im2col_key,
    cell_text=_col_cell,
    cases=[_arrays(((1, 4, 4), 1), 3, 3, 1, 0), _arrays(((2, 5, 6), 2), 3, 2, 2, 1)],
    hidden_cases=[_arrays(((3, 7, 7), 3), 3, 3, 1, 1), _arrays(((2, 9, 8), 4), 4, 3, 3, 2),
                  _arrays(((4, 6, 11), 5), 1, 1, 1, 0), _arrays(((1, 10, 10), 6), 5, 5, 2, 2),
                  _arrays(((2, 8, 5), 7), 2, 5, 1, 0)],
    title="한 샘플의 im2col",
    hints=["col의 모양은 [C*kh*kw, oH*oW]입니다. 행 번호는 (c, u, v) 순서, 열 번호는 (i, j) 순서로 셉니다.",
           "먼저 np.pad로 패딩을 두르고, 커널 칸 (u, v)마다 xp[:, u : u + stride*oH : stride, v : v + stride*oW : stride]를 "
           "잘라 [C, kh, kw, oH, oW] 배열에 넣은 뒤 reshape하세요."],
    solution=_IM2COL_SOLUTION,
)

_CONV_SOLUTION = '''@njit
def my_conv2d(x, w, stride, padding):
    N, C, H, W = x.shape
    O, _, kh, kw = w.shape
    oH = (H + 2 * padding - kh) // stride + 1
    oW = (W + 2 * padding - kw) // stride + 1
    y = np.zeros((N, O, oH, oW), dtype=x.dtype)
    for n in range(N):
        for m in range(O):
            for c in range(C):
                for u in range(kh):
                    for v in range(kw):
                        wv = w[m, c, u, v]
                        for i in range(oH):
                            r = i * stride + u - padding
                            if r < 0 or r >= H:
                                continue
                            for j in range(oW):
                                q = j * stride + v - padding
                                if 0 <= q < W:
                                    y[n, m, i, j] += wv * x[n, c, r, q]
    return y'''

q2 = WriteItYourself(
    "my_conv2d",
    reference=_conv2d_key,
    cell_text=_conv_cell,
    require_njit=True,
    atol=1e-4, rtol=1e-4,
    cases=[_arrays(((1, 1, 5, 5), 11), ((1, 1, 3, 3), 12), 1, 0),
           _arrays(((2, 3, 7, 6), 13), ((4, 3, 3, 2), 14), 2, 1)],
    hidden_cases=[_arrays(((1, 2, 9, 9), 21), ((3, 2, 3, 3), 22), 1, 1),
                  _arrays(((2, 4, 10, 7), 23), ((5, 4, 2, 4), 24), 3, 2),
                  _arrays(((3, 1, 6, 12), 25), ((2, 1, 5, 1), 26), 1, 0),
                  _arrays(((1, 5, 8, 8), 27), ((6, 5, 1, 1), 28), 2, 0),
                  _arrays(((2, 3, 11, 9), 29), ((4, 3, 4, 3), 30), 2, 3)],
    title="나만의 @njit 합성곱",
    hints=["03강의 반복문을 떠올리세요: n, m(출력 채널), i, j(출력 칸), c, u, v(창 안의 칸). "
           "입력 칸은 r = i*stride + u - padding, q = j*stride + v - padding 이고, 범위 밖이면 0(패딩)입니다.",
           "w[m, c, u, v]를 x[n, c, r, q]와 곱해 y[n, m, i, j]에 더합니다. 커널은 뒤집지 않습니다. "
           "빠르게 하려면 j(출력 열)를 가장 안쪽 반복문으로 두세요."],
    solution=_CONV_SOLUTION,
)

_Q3_MODEL_ANSWER = (
    "B(i, k, j 순서)가 빠릅니다. 가장 안쪽 반복문이 j이면 B[k, j]와 C[i, j]를 메모리에 붙어 있는 순서대로 "
    "읽고 쓰므로 캐시에 올라온 값을 모두 쓰고, 이웃한 j 여러 개(8개나 16개)를 벡터 명령 하나로 한꺼번에 "
    "곱해 더할 수 있습니다. A(i, j, k 순서)의 가장 안쪽 k는 B[k, j]를 한 행씩 건너뛰며(N개 간격) 읽어 "
    "캐시 줄의 대부분을 버리고, 합 하나에 계속 더하므로 벡터로 나누기도 어렵습니다.")

q3 = WordsProblem(
    "faster_order",
    model_answer=_Q3_MODEL_ANSWER,
    keywords=[["메모리", "캐시", "연속", "붙어", "이웃", "간격", "건너", "벡터", "memory", "cache",
               "contiguous", "stride", "vector", "simd"]],
    title="어느 반복문 순서가 빠를까?",
    hints=["가장 안쪽 반복문이 한 걸음 갈 때마다 B의 어느 칸을 읽는지 따라가 보세요. B[k, j]에서 k가 1 늘면 "
           "메모리에서 몇 칸 건너뛰나요? j가 1 늘면요?"],
    solution=_Q3_MODEL_ANSWER,
)

q4 = ValueProblem(
    "col_numbers",
    expected=(64 * 3 * 3) * (56 * 56),
    title="col 행렬의 크기",
    hints=["col의 모양은 [C*kh*kw, oH*oW]입니다. padding=1, 스트라이드 1이면 출력은 56 x 56입니다.",
           "행: 64 * 3 * 3 = 576, 열: 56 * 56 = 3136."],
    solution="col_numbers = (64 * 3 * 3) * (56 * 56)    # = 1,806,336개 (float32로 약 7.2 MB)",
    mistakes=[((64 * 3 * 3) * (54 * 54), "padding=1을 빠뜨렸습니다: 출력은 (56 + 2 - 3) + 1 = 56입니다."),
              ((3 * 3) * (56 * 56), "행 수에 입력 채널 수 64를 곱해야 합니다: 행 하나가 (채널, 커널 칸) 하나입니다."),
              ((128 * 3 * 3) * (56 * 56), "col의 행은 입력 채널로 셉니다. 출력 채널 128은 가중치 행렬의 행 수입니다."),
              (128 * 64 * 3 * 3 * 56 * 56, "그것은 곱셈-덧셈의 횟수입니다. col에 담기는 숫자의 개수를 구하세요."),
              (64 * 56 * 56, "그것은 입력 한 장의 크기입니다. col은 창마다 값을 복사하므로 훨씬 큽니다.")],
)

finalize(globals())
