"""The package's layering (docs/architecture.md), checked by reading the source with ``ast``.

* No import cycle inside ``teachnn``: the graph of module-level imports is acyclic.
* ``teachnn/autograd/`` (Function, Context, engine, grad mode, gradcheck) never imports the
  Tensor layer, not even inside a function: the Tensor class registers itself instead.
* Nothing rewrites ``globals()`` at import time: the function a file defines is the one that runs.
"""
import ast
import functools
import pathlib

import numpy as np

import teachnn
import teachnn.nn.functional as F

PACKAGE = pathlib.Path(teachnn.__file__).parent


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name):
    return MODULES[name].name == "__init__.py"


def _top_level_statements(tree):
    """Statements that run when the module is imported: the body, including ``if``/``try``
    blocks and class bodies, but not function bodies (those run later, when called)."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _all_statements(tree):
    return ast.walk(tree)


def _imported_modules(name, tree, statements):
    """teachnn modules a module imports. ``from X import Y`` imports X (its ``__init__``) and,
    when Y is a submodule, X.Y; the importer's own parent packages are already being imported
    when it runs, so they are not edges."""
    package = name if _is_package(name) else name.rpartition(".")[0]
    ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    found = set()
    for node in statements(tree):
        targets = []
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                targets += [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            parts = source.split(".")
            targets += [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
            targets += [f"{source}.{alias.name}" for alias in node.names]
        for target in targets:
            if target in MODULES and target not in ancestors and target != name:
                found.add(target)
    return found


@functools.lru_cache(maxsize=None)
def _tree(name):
    path = MODULES[name]
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _graph(statements=_top_level_statements):
    return {name: _imported_modules(name, _tree(name), statements) for name in MODULES}


def _find_cycle(graph):
    """One cycle as a list of module names (first == last), or None (iterative DFS)."""
    state = dict.fromkeys(graph, 0)          # 0 new, 1 on the current path, 2 done
    for root in sorted(graph):
        if state[root]:
            continue
        path, stack = [root], [iter(sorted(graph[root]))]
        state[root] = 1
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
            elif state[child] == 1:
                return path[path.index(child):] + [child]
            elif state[child] == 0:
                state[child] = 1
                path.append(child)
                stack.append(iter(sorted(graph[child])))
    return None


def test_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _find_cycle(graph) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_edges_follow_relative_imports():
    graph = _graph()
    # teachnn/_tensor_indexing.py: ``from .autograd import grad_mode`` imports the package and the module
    assert {"teachnn.autograd", "teachnn.autograd.grad_mode", "teachnn._shapes"} <= graph["teachnn._tensor_indexing"]
    # teachnn/nn/modules/linear.py: ``from ..functional import linear`` (a function, not a module)
    assert "teachnn.nn.functional" in graph["teachnn.nn.modules.linear"]
    assert "teachnn.nn.functional.linear" not in graph["teachnn.nn.modules.linear"]
    # a module's own parent packages are not edges (they are being imported already)
    assert "teachnn" not in graph["teachnn.nn.modules.linear"]
    assert "teachnn.nn" not in graph["teachnn.nn.modules.linear"]


def test_no_import_cycle_inside_teachnn():
    cycle = _find_cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_autograd_never_imports_the_tensor_layer():
    graph = _graph(_all_statements)       # function-local imports count too
    autograd = [m for m in MODULES if m == "teachnn.autograd" or m.startswith("teachnn.autograd.")]
    tensor_layer = {"teachnn.tensor", "teachnn._ops", "teachnn._factories", "teachnn._torch_functions",
                    "teachnn.random", "teachnn._legacy_types"}
    bad = {m: sorted(graph[m] & tensor_layer) for m in autograd if graph[m] & tensor_layer}
    assert bad == {}


def test_no_globals_rewriting():
    offenders = []
    for name in MODULES:
        for node in ast.walk(_tree(name)):
            if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Call)
                    and getattr(node.value.func, "id", None) == "globals"
                    and isinstance(node.ctx, ast.Store)):
                offenders.append(f"{name}:{node.lineno}")
    assert offenders == []


def test_each_activation_is_one_function():
    x = teachnn.tensor(np.linspace(-2, 2, 6).reshape(2, 3), requires_grad=True)
    pairs = [(x.relu(), F.relu(x)), (x.sigmoid(), F.sigmoid(x)), (x.tanh(), F.tanh(x)),
             (teachnn.sigmoid(x), F.sigmoid(x)), (x.softmax(1), F.softmax(x, 1)),
             (x.log_softmax(1), F.log_softmax(x, 1)), (teachnn.softmax(x, 1), F.softmax(x, dim=1))]
    for a, b in pairs:
        assert a.grad_fn._function is b.grad_fn._function, (a.grad_fn._function, b.grad_fn._function)
        np.testing.assert_array_equal(a._data, b._data)


def test_tensor_py_stays_readable():
    lines = (PACKAGE / "tensor.py").read_text(encoding="utf-8").count("\n")
    assert lines <= 1200, f"teachnn/tensor.py has {lines} lines"
