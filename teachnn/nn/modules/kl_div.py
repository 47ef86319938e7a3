"""``nn.KLDivLoss``: the layer form of ``F.kl_div``."""
from __future__ import annotations

from ...tensor import Tensor
from .._functional.kl_div import kl_div
from .._functional.loss import _legacy_reduction
from .module import Module

__all__ = ["KLDivLoss"]


class KLDivLoss(Module):
    """KL divergence loss. ``input``: log-probabilities; ``target``: probabilities (or
    log-probabilities with ``log_target=True``).

    Args: reduction='mean' ('batchmean' gives the true KL divergence per sample, 'sum',
    'none'), log_target=False. The reduction is checked when the loss is computed, as in
    PyTorch.

    Example::

        >>> loss = nn.KLDivLoss(reduction="batchmean")
        >>> loss(F.log_softmax(scores, dim=1), target_probabilities)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False):
        super().__init__()
        self.reduction = _legacy_reduction(size_average, reduce, reduction, "KLDivLoss")
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
