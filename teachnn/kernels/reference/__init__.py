"""The reference kernels: plain ``@njit`` loops that read like the formulas.

``conv.py``: convolution forward, input and weight gradients, transposed convolution as
their adjoint. ``pool.py``: max / average / adaptive pooling and max-unpooling, forward and
backward. Each module has exactly the public functions, arguments and return values of its
fast counterpart (``teachnn.kernels.fast_conv``, ``teachnn.kernels.pool``), so
``teachnn.kernels.use("reference")`` can swap one for the other. They are the text a
learner reads and the oracle the tests compare the fast kernels with.
"""
from . import conv, pool

__all__ = ["conv", "pool"]
