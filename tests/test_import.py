"""``import teachnn``: what the import leaves behind in a fresh interpreter.

teachnn/__init__.py pauses Python's cyclic garbage collector during the import and freezes
the long-lived import-time objects at the end (see the comment there). These tests check, each
in a new process (pytest has imported teachnn already), that the collector's state is restored,
that garbage created afterwards is still collected, and that the public entry points of
``import teachnn as torch`` are reachable without further imports.
"""
import json
import subprocess
import sys
import textwrap


def _run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object as its last line."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_restores_enabled_collector_and_freezes_import_objects():
    r = _run("""
        import gc, json
        before = gc.get_freeze_count()
        import teachnn
        print(json.dumps({"enabled": gc.isenabled(), "before": before,
                          "frozen": gc.get_freeze_count()}))
    """)
    assert r["enabled"] is True
    assert r["before"] == 0
    assert r["frozen"] > 10_000          # NumPy + Numba + teachnn: about 100,000 objects


def test_import_keeps_a_disabled_collector_disabled():
    r = _run("""
        import gc, json
        gc.disable()
        import teachnn
        print(json.dumps({"enabled": gc.isenabled()}))
    """)
    assert r["enabled"] is False


def test_cyclic_garbage_created_after_import_is_collected():
    # a reference cycle through a Tensor and a Module, dropped after the import: the
    # collector must still find it (the freeze covers only objects alive at import time)
    r = _run("""
        import gc, json, weakref
        import teachnn as torch
        import teachnn.nn as nn

        class Holder:
            pass

        h = Holder()
        h.me = h                                  # the cycle
        h.t = torch.ones(3, requires_grad=True)
        h.layer = nn.Linear(2, 2)
        h.layer.owner = h
        ref_h, ref_layer = weakref.ref(h), weakref.ref(h.layer)
        del h
        alive_before = ref_h() is not None        # reference counting alone cannot free a cycle
        gc.collect()
        print(json.dumps({"alive_before": alive_before, "h": ref_h() is None,
                          "layer": ref_layer() is None}))
    """)
    assert r == {"alive_before": True, "h": True, "layer": True}


def test_public_entry_points_after_plain_import():
    r = _run("""
        import json
        import teachnn as torch
        x = torch.randn(2, 1, 5, 5, requires_grad=True)
        conv = torch.nn.Conv2d(1, 2, 3)
        opt = torch.optim.SGD(conv.parameters(), lr=0.1)
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x.detach()), batch_size=2)
        y = torch.nn.functional.relu(conv(x)).sum()
        y.backward()
        opt.step()
        print(json.dumps({"grad_shape": list(x.grad.shape), "batches": len(list(loader)),
                          "function": torch.autograd.Function.__name__}))
    """)
    assert r == {"grad_shape": [2, 1, 5, 5], "batches": 1, "function": "Function"}
