"""The fast convolution moved to the package :mod:`teachnn.kernels.fast_conv`; this name
stays so that older imports keep working."""
from .fast_conv import (col2im, conv_backward, conv_forward, conv_transpose_backward,  # noqa: F401
                        conv_transpose_forward, im2col)
