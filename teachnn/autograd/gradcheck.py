"""``gradcheck``: compare backward's gradients with finite differences.

For every input entry x_i, the numerical derivative of every output entry is

    (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)        (central difference)

which fills a Jacobian column by column. backward fills the same Jacobian row by row
(one backward per output entry, with a one-hot ``grad_output``). The two must agree
within ``atol + rtol * |numerical|``. Use float64 inputs: float32 is too coarse.
"""
import numpy as np

from . import grad_mode
from .engine import grad as autograd_grad
from .function import _tensor_class

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytical and numerical gradients disagree."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _outputs(func, inputs):
    Tensor = _tensor_class()
    out = _as_tuple(func(*inputs))
    return [o for o in out if isinstance(o, Tensor)]


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False, check_forward_ad=False,
              check_backward_ad=True, fast_mode=False, masked=None):
    """Check the gradients of ``func(*inputs)`` against finite differences.

    ``inputs``: a Tensor or a tuple of Tensors (and other values); the Tensors with
    ``requires_grad=True`` are checked. Returns True, or raises ``GradcheckError``
    (``raise_exception=True``) naming the input, the entries and both values.
    """
    Tensor = _tensor_class()
    inputs = _as_tuple(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none "
                         "of the inputs have requires_grad=True")
    for i in checked:
        if inputs[i]._data.dtype != np.float64:
            import warnings
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point "
                          "(float64). gradcheck's finite differences need float64 to be accurate; "
                          "create the input with dtype=teachnn.float64.", UserWarning, stacklevel=2)

    outputs = _outputs(func, inputs)          # one forward with the graph kept for all backwards
    failure = None
    for out_index, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        n_out = out._data.size
        for i in checked:
            x = inputs[i]
            n_in = x._data.size
            # --- analytical Jacobian: one backward per output entry (one-hot grad_output) ---
            analytical = np.zeros((n_in, n_out))
            for j in range(n_out):
                one_hot = np.zeros(out._data.shape, dtype=out._data.dtype)
                one_hot.reshape(-1)[j] = 1
                (g,) = autograd_grad([out], [x], grad_outputs=[Tensor(one_hot)], retain_graph=True,
                                     allow_unused=True)
                if g is not None:
                    analytical[:, j] = g._data.reshape(-1)
            # --- numerical Jacobian: perturb one input entry at a time ----------------------
            numerical = np.zeros((n_in, n_out))
            with grad_mode.no_grad():
                for k in range(n_in):
                    entry = np.unravel_index(k, x._data.shape)   # works for any memory layout
                    original = x._data[entry]
                    x._data[entry] = original + eps
                    plus = _outputs(func, inputs)[out_index]._data.astype(np.float64).reshape(-1)
                    x._data[entry] = original - eps
                    minus = _outputs(func, inputs)[out_index]._data.astype(np.float64).reshape(-1)
                    x._data[entry] = original
                    numerical[k] = (plus - minus) / (2 * eps)
            bad = np.abs(analytical - numerical) > atol + rtol * np.abs(numerical)
            if np.any(bad):
                rows, cols = np.nonzero(bad)
                lines = [f"  input entry {np.unravel_index(r, x._data.shape)}, output entry "
                         f"{np.unravel_index(c, out._data.shape)}: numerical {numerical[r, c]:.8g}, "
                         f"analytical {analytical[r, c]:.8g}" for r, c in list(zip(rows, cols))[:10]]
                more = f"\n  ... and {len(rows) - 10} more" if len(rows) > 10 else ""
                failure = (f"Jacobian mismatch for output {out_index} with respect to input {i}: "
                           f"{len(rows)} of {bad.size} entries differ (atol={atol}, rtol={rtol}).\n"
                           + "\n".join(lines) + more +
                           f"\nnumerical:\n{numerical.T}\nanalytical:\n{analytical.T}\n"
                           "The analytical gradient comes from backward; the numerical one from "
                           "finite differences. Check the backward formula for this input.")
                break
        if failure:
            break
    if failure:
        if raise_exception:
            raise GradcheckError(failure)
        return False
    return True
