"""Weight averaging: ``AveragedModel`` (SWA and EMA), ``update_bn`` and the ``SWALR`` scheduler.

Stochastic Weight Averaging keeps, beside the model being trained, a running *average* of its
weights over the last epochs; the average usually generalises better than the last weights::

    swa_model = AveragedModel(model)                  # a copy that holds the average
    swa_scheduler = SWALR(optimizer, swa_lr=0.05)     # anneal to a constant lr, then hold it
    for epoch in range(100):
        train_one_epoch(model, optimizer)
        if epoch >= 75:
            swa_model.update_parameters(model)        # avg <- avg + (w - avg) / (n + 1)
            swa_scheduler.step()
    update_bn(train_loader, swa_model)                # BatchNorm statistics for the average

``AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999))`` keeps an exponential
moving average instead: ``avg <- decay * avg + (1 - decay) * w``.
"""
from __future__ import annotations

import itertools
import math
import warnings
from copy import deepcopy

import numpy as np

from teachnn.nn.modules.module import Module
from teachnn.nn.modules.normalization import _BatchNorm
from teachnn.tensor import Tensor
from .adam import _lerp_
from .lr_scheduler import LRScheduler, _check_optimizer, _format_param
from .optimizer import _changed_in_place

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]


def _is_float(t):
    return np.issubdtype(t._data.dtype, np.floating)


def _overwrite(target, value):
    """``target.copy_(value)`` on the arrays (cast to target's dtype, as copy_ does)."""
    target._data[...] = value._data if isinstance(value, Tensor) else value
    _changed_in_place(target)


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA update of lists of tensors: avg <- decay * avg + (1 - decay) * w."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] "
                         "range (e.g. 0.999: the average forgets 0.1% per update).")

    def ema_update(ema_param_list, current_param_list, _):
        if _is_float(ema_param_list[0]):
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                _lerp_(p_ema._data, p_model._data, 1 - decay)
                _changed_in_place(p_ema)
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                _overwrite(p_ema, p_ema._data * decay + p_model._data * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """An in-place running mean of lists of tensors: avg <- avg + (w - avg) / (n + 1)."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n = int(num_averaged._data) if isinstance(num_averaged, Tensor) else num_averaged
        if _is_float(averaged_param_list[0]):
            for p_avg, p_model in zip(averaged_param_list, current_param_list):
                _lerp_(p_avg._data, p_model._data, 1 / (n + 1))
                _changed_in_place(p_avg)
        else:
            if isinstance(num_averaged, Tensor):
                raise RuntimeError(
                    "Integer division with addcdiv is no longer supported: the running mean of "
                    "integer tensors (e.g. BatchNorm's num_batches_tracked with use_buffers=True) "
                    "cannot be taken in place; leave use_buffers=False or give avg_fn")
            for p_avg, p_model in zip(averaged_param_list, current_param_list):
                _overwrite(p_avg, p_avg._data + (p_model._data - p_avg._data) * (1.0 / (n + 1)))
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """An EMA update of one tensor, returned: decay * avg + (1 - decay) * w."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] "
                         "range (e.g. 0.999: the average forgets 0.1% per update).")

    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """A running-mean update of one tensor, returned: avg + (w - avg) / (n + 1)."""

    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters hold an average of ``model``'s over the updates.

    ``update_parameters(model)`` adds the current weights to the average (the first call just
    copies them); ``n_averaged`` (a buffer) counts the calls. Buffers (BatchNorm's running
    statistics) are copied, not averaged, unless ``use_buffers=True``. Calling it runs the
    averaged copy: ``swa_model(x)``.
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", Tensor(np.array(0, dtype=np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Fold ``model``'s current parameters (and buffers, if ``use_buffers``) into the average."""
        import teachnn
        if self.use_buffers:
            self_params = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            model_params = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            self_params = list(self.parameters())
            model_params = list(model.parameters())
        self_params, model_params = self_params[:len(model_params)], model_params[:len(self_params)]
        n_averaged = int(self.n_averaged._data)
        with teachnn.no_grad():
            if n_averaged == 0:                        # the first model: copy it
                for p_avg, p_model in zip(self_params, model_params):
                    _overwrite(p_avg, p_model.detach())
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn(self_params, model_params, self.n_averaged)
            else:
                avg_fn = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
                for p_avg, p_model in zip(self_params, model_params):
                    _overwrite(p_avg, avg_fn(p_avg.detach(), p_model.detach(), self.n_averaged))
            if not self.use_buffers:                   # running statistics follow the model
                for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                    _overwrite(b_swa, b_model.detach())
        self.n_averaged._data[...] += 1


def update_bn(loader, model, device=None):
    """Recompute every BatchNorm's running mean and variance with one pass over ``loader``.

    The averaged weights never produced the running statistics the BatchNorm layers hold, so
    they are reset and re-estimated as a plain average over the data (``momentum=None``).
    """
    import teachnn
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with teachnn.no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr to ``swa_lr`` over ``anneal_epochs`` epochs, then keep it.

    With ``alpha`` going 0 -> 1 along a cosine (``anneal_strategy='cos'``) or a line::

        lr = swa_lr * alpha + lr_at_start * (1 - alpha)
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        _check_optimizer(optimizer, "SWALR", AttributeError)
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', "
                             f"instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, "
                          "please use `get_last_lr()`.", UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        # undo the previous annealing step to recover the lr it started from
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
