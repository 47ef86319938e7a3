"""ModuleProblem: an ``nn.Module`` the learner builds (an instance or a class).

    q4 = ModuleProblem(
        "layer", reference=lambda: nn.Linear(5, 3, bias=False),
        inputs=[tensor_case(((4, 5), 11))],
        also_accept=[...],          # other builders that are right too (same parameters)
        mistakes=[(builder, "이것은 ... 입니다")],   # typical wrong models, explained
        require_subclass=True,      # the answer must be the learner's own nn.Module subclass
    )

Checked in order: it is a Module (and, with ``require_subclass``, a class the learner wrote
with its own ``forward``), no layers hidden in a plain list/dict, leaf-layer types (all, or
only ``structure_types``), parameter count, output shape on each input, and behaviour: the
learner's parameters are copied, in registration order, into a fresh ``reference()`` (or
an ``also_accept`` builder) and the outputs compared.  When the outputs differ, forward hooks
on both models name the first layer whose output differs.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from ..compare import _kind_name, _object, _shape_text, compare
from ..display import CORRECT, INCORRECT, Result, error_lines
from ..placeholder import NotAttemptedError
from ..running import call_safely, describe_args, lazy, materialize
from ..transport import ErrorSnap, NotAttempted, TensorSnap, snapshot
from .base import Problem


def _module_class():
    try:
        from teachnn.nn import Module
        return Module
    except Exception:
        return None


def _is_module(obj):
    Module = _module_class()
    return Module is not None and isinstance(obj, Module)


def _issubclass_module(cls):
    Module = _module_class()
    return Module is not None and isinstance(cls, type) and issubclass(cls, Module)


def _own_forward(model):
    """True when the model's class (or a parent) outside teachnn defines ``forward``."""
    for cls in type(model).__mro__:
        if "forward" in cls.__dict__:
            return not (cls.__module__ or "").startswith("teachnn")
    return False


def _unregistered(model):
    """[(path, "list"/"tuple"/"dict")] of plain containers of layers inside ``model``."""
    found = []
    for prefix, module in model.named_modules():
        for attr, value in vars(module).items():
            if attr.startswith("_"):
                continue
            items = list(value.values()) if isinstance(value, dict) else (
                list(value) if isinstance(value, (list, tuple)) else [])
            if any(_is_module(v) for v in items):
                found.append((f"{prefix}.{attr}" if prefix else attr, type(value).__name__))
    return found


def _trace(model, args):
    """Run ``model(*args)`` with forward hooks on every leaf layer:
    (output, [(layer name, layer type, output snapshot)] in call order, problem)."""
    records, handles = [], []
    for name, m in model.named_modules():
        if list(m.children()):
            continue

        has_params = any(True for _ in m.parameters())

        def hook(module, inputs, output, _name=name, _has_params=has_params):
            try:
                snap = snapshot(output)
            except NotAttemptedError:
                raise
            except Exception:
                snap = None
            records.append((_name or "(모델 자체)", type(module).__name__, snap, _has_params))
        handles.append(m.register_forward_hook(hook))
    try:
        out, problem = call_safely(model, *args)
    finally:
        for h in handles:
            h.remove()
    return out, records, problem


class ModuleProblem(Problem):
    """An ``nn.Module`` (instance or class): structure, parameter count, shapes, behaviour."""

    kind = "module"

    def __init__(self, var, reference, inputs, *, check_structure=True, structure_types=None,
                 check_params=True, check_behaviour=True, also_accept=(), mistakes=(),
                 require_subclass=False, atol=1e-5, rtol=1e-4, **kw):
        super().__init__(var, **kw)
        self.reference = reference
        self.inputs = list(inputs)
        self.check_structure = check_structure
        # compare only these leaf types (e.g. {"Linear"} when nn.ReLU and F.relu are both fine)
        self.structure_types = set(structure_types) if structure_types else None
        self.check_params = check_params
        self.check_behaviour = check_behaviour
        self.also_accept = also_accept      # a list of builders, or a callable returning one
        self.mistakes = list(mistakes)
        self.require_subclass = require_subclass
        self.atol, self.rtol = atol, rtol

    # -- collect --
    def _describe(self, model, include_outputs=True):
        """A module -> data: leaf layer types, parameters (in order), outputs on the inputs,
        the first input's per-layer trace."""
        leaves = [type(m).__name__ for m in model.modules() if not list(m.children())]
        params = [(name, snapshot(p)) for name, p in model.named_parameters()]
        desc = {"is_module": True, "type": type(model).__name__, "leaves": leaves,
                "params": params, "outputs": [], "trace": [],
                "own_class": not (type(model).__module__ or "").startswith("teachnn")
                and _own_forward(model),
                "unregistered": _unregistered(model)}
        if include_outputs:
            if hasattr(model, "eval"):
                model.eval()
            for i, case in enumerate(self.inputs):
                args = materialize(case)
                if i == 0:
                    out, trace, problem = _trace(model, args)
                    desc["trace"] = trace
                else:
                    out, problem = call_safely(model, *args)
                if isinstance(problem, NotAttempted):
                    raise NotAttemptedError("____")
                desc["outputs"].append(problem if problem is not None else snapshot(out))
        return desc

    def _collect(self, value, include_hidden, seed=None):
        if isinstance(value, type):
            if not _issubclass_module(value):
                return {"is_module": False, "what": f"{value.__name__} 클래스"}
            model, problem = call_safely(value)
            if problem is not None:
                return problem
            value = model
        if not _is_module(value):
            return {"is_module": False, "what": _kind_name(snapshot(value))}
        return self._describe(value)

    # -- grade --
    def _fresh(self, builder, got_params):
        """``builder()`` with the learner's parameters copied in, or None if they don't fit."""
        model = lazy(builder)
        ref_params = list(model.parameters())
        if len(ref_params) != len(got_params) or not all(
                isinstance(g, TensorSnap) and tuple(g.array.shape) == tuple(r._data.shape)
                for g, r in zip(got_params, ref_params)):
            return None
        for g, r in zip(got_params, ref_params):
            r._data = g.array.astype(r._data.dtype).copy()
        if hasattr(model, "eval"):
            model.eval()
        return model

    def _matches(self, model, got, args):
        return model is not None and compare(
            got, snapshot(model(*args)), self.atol, self.rtol, True, True) is None

    def _grade(self, payload, seed=None):
        label = self._label()
        if not payload.get("is_module"):
            return Result(INCORRECT, label, [
                f"nn.Module이 필요한데 {_object(payload.get('what', '?'))} 받았습니다. "
                "class 이름(nn.Module): 으로 상속하고 super().__init__()을 불러 주세요."])
        if self.require_subclass and not payload.get("own_class"):
            return Result(INCORRECT, label, [
                f"제출한 것은 teachnn에 이미 있는 `{payload.get('type', '?')}` 객체입니다. 이 문제는 "
                "`nn.Module`을 상속한 클래스를 직접 만드는 연습입니다.",
                "class 이름(nn.Module): 으로 클래스를 정의하고, __init__에서 super().__init__()과 "
                "레이어를, forward에서 계산을 직접 쓴 뒤 그 클래스로 객체를 만들어 주세요."])
        for path, kind in payload.get("unregistered", []):
            fix = "nn.ModuleDict({...})" if kind == "dict" else "nn.ModuleList([...])"
            return Result(INCORRECT, label, [
                f"`self.{path}`에 레이어를 파이썬 {kind}로 담았습니다. 평범한 {kind} 안의 레이어는 "
                "모듈에 등록되지 않아 parameters(), state_dict(), 옵티마이저가 보지 못합니다"
                "(그래서 학습되지 않습니다).",
                f"`{fix}`로 감싸 등록해 주세요: 예) self.{path.rsplit('.', 1)[-1]} = {fix}"])
        ref = lazy(self.reference)
        ref_desc = self._describe(ref, include_outputs=False)
        if self.check_structure:
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
        got_params = [p for _, p in payload["params"]]
        ref = self._fresh(self.reference, got_params) if self.check_behaviour else ref
        if self.check_behaviour and ref is None:
            return Result(INCORRECT, label, [
                "파라미터의 모양이나 순서가 기대와 다릅니다. 레이어를 __init__에 정의한 순서와"
                " 각 레이어의 크기를 확인하세요."])
        if hasattr(ref, "eval"):
            ref.eval()
        outputs = payload["outputs"]
        for i, case in enumerate(self.inputs):
            args = materialize(case)
            got = outputs[i] if i < len(outputs) else None
            if isinstance(got, ErrorSnap):
                return Result(INCORRECT, label, error_lines(
                    f"입력({describe_args(args)})으로 모델을 실행하다가 오류가 났습니다", got) + [
                    "힌트: forward에서 각 레이어에 들어가는 텐서의 모양을 print로 찍어 보세요."])
            exp = snapshot(ref(*args))
            if isinstance(exp, TensorSnap) and isinstance(got, TensorSnap) \
                    and got.array.shape != exp.array.shape:
                return Result(INCORRECT, label, [
                    f"입력({describe_args(args)})에 대한 출력 모양이 {_shape_text(got.array.shape)}인데, "
                    f"기대한 모양은 {_shape_text(exp.array.shape)}입니다."])
            if not self.check_behaviour:
                continue
            msg = compare(got, exp, self.atol, self.rtol, True, True, what="출력")
            if msg is None:
                continue
            alternatives = lazy(self.also_accept) if callable(self.also_accept) else self.also_accept
            if any(self._matches(self._fresh(b, got_params), got, args) for b in alternatives):
                continue
            for builder, explanation in self.mistakes:
                if self._matches(self._fresh(builder, got_params), got, args):
                    return Result(INCORRECT, label, [explanation])
            lines = ["구조와 모양은 맞지만 같은 가중치로 계산한 출력이 다릅니다.", msg]
            if i == 0:
                lines[1:1] = self._first_difference(payload.get("trace") or [], ref, args)
            return Result(INCORRECT, label, lines)
        return Result(CORRECT, label, ["구조, 파라미터 수, 출력 모양과 동작이 모두 맞습니다."])

    def _first_difference(self, got_trace, ref, args):
        """Lines naming the first layer whose output differs from the reference's."""
        _, ref_trace, problem = _trace(ref, args)
        if problem is not None or not got_trace:
            return ["forward의 계산 순서나 활성화 함수를 확인하세요."]
        # layers without parameters (ReLU, pooling, Flatten) may just as well be function
        # calls in forward (F.relu): pair only the layers with parameters, when there are any
        if any(r[3] for r in got_trace) and any(r[3] for r in ref_trace):
            got_trace = [r for r in got_trace if r[3]]
            ref_trace = [r for r in ref_trace if r[3]]
        previous = None
        for (name, kind, got, _), (_, ref_kind, exp, _) in zip(got_trace, ref_trace):
            if kind != ref_kind:
                return [f"실행 순서로 같은 자리의 레이어가 다릅니다: 제출한 모델의 `{name}`은(는) {kind}인데, "
                        f"이 자리에 기대한 레이어는 {ref_kind}입니다."]
            if got is None or exp is None or compare(got, exp, self.atol, self.rtol, False, True) is None:
                previous = name
                continue
            if previous is None:
                return [f"첫 레이어 `{name}`({kind})의 출력부터 다릅니다: 첫 레이어에 들어가기 전의 "
                        "계산(예: 입력에 곱하는 전처리)이나 이 레이어의 설정을 확인하세요."]
            return [f"`{previous}`의 출력까지는 같고, `{name}`({kind})의 출력부터 다릅니다: 그 사이의 "
                    "계산(예: 활성화 함수)이나 이 레이어의 설정을 확인하세요."]
        if len(got_trace) != len(ref_trace):
            return [f"레이어가 실행된 횟수가 다릅니다(제출한 모델 {len(got_trace)}번). "
                    "forward에서 각 레이어를 한 번씩, 순서대로 불렀는지 확인하세요."]
        last = got_trace[-1][0]
        return [f"모든 레이어의 출력은 같지만, 마지막 레이어 `{last}` 뒤의 계산이 다릅니다: "
                "forward의 마지막 부분(예: softmax, 활성화 함수)을 확인하세요."]
