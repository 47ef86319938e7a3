"""``import teachnn``: what a fresh interpreter can reach after the one import.

Run in a new process (pytest has imported teachnn already): the public entry points of
``import teachnn as torch`` must work without further imports, as torch's do.
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
