"""Base module: constant tensors stay exact across dtype moves, checkpoints stay the truth."""

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn


def layer_dtype(dtype: torch.dtype | None) -> torch.dtype:
    """The dtype a layer holds its tensors in: ``dtype``, else torch's default (float32)."""
    return torch.get_default_dtype() if dtype is None else dtype


def register_learnable(
    module: nn.Module,
    name: str,
    value: Tensor,
    *,
    trainable: bool,
    device: torch.device | str | None,
    dtype: torch.dtype | None,
) -> None:
    """``value`` as parameter ``name`` (trainable) or persistent buffer, in the layer's dtype."""
    tensor = value.detach().to(device=device, dtype=layer_dtype(dtype))
    if trainable:
        module.register_parameter(name, nn.Parameter(tensor))
    else:
        module.register_buffer(name, tensor)


def bounded(logit: Tensor, low: float | Tensor, high: float | Tensor) -> Tensor:
    """``low + (high - low) * sigmoid(logit)``: a learnable value that no optimiser step can
    move out of ``(low, high)`` (the reparametrisation of every learnable frontend).

    One expression per combination of float and tensor bounds: TorchScript types each."""
    fraction = torch.sigmoid(logit)
    if isinstance(low, Tensor):
        if isinstance(high, Tensor):
            return low + (high - low) * fraction
        return low + (high - low) * fraction
    if isinstance(high, Tensor):
        return low + (high - low) * fraction
    return low + (high - low) * fraction


def bounded_logit(
    value: Tensor, low: float | Tensor, high: float | Tensor, *, margin: float = 1e-6
) -> Tensor:
    """The logit that :func:`bounded` maps to ``value`` (kept ``margin`` inside the interval,
    so a value on an edge starts finite)."""
    return torch.logit(((value - low) / (high - low)).clamp(margin, 1 - margin))


class ExactBuffersModule(nn.Module):
    """An ``nn.Module`` that keeps a float64 master copy of each constant buffer.

    ``nn.Module.to`` casts buffers in place: a window built in float32 and moved with
    ``.double()`` would keep its float32 rounding (1e-7 relative). Buffers registered with
    :meth:`register_exact_buffer` are instead re-cast from their float64 master whenever the
    module is moved or cast, so a layer reaches the accuracy of whatever dtype it is in now.

    What the buffer holds is the truth: a buffer that no longer equals its master rounded to
    its dtype (loaded with ``load_state_dict`` or edited in place) becomes the new master before
    the move, so a checkpoint's values survive ``.to()`` and ``.double()``. Layers whose other
    constants derive from such a buffer override :meth:`rebuild_derived`, called after every
    ``load_state_dict`` and on a move after an in-place edit. Parameters (trainable kernels)
    are ordinary parameters, created in the layer's dtype and cast as usual.
    """

    def __init__(self) -> None:
        super().__init__()
        self._masters: dict[str, Tensor] = {}
        self.register_load_state_dict_post_hook(_after_load)  # type: ignore[no-untyped-call]

    def register_exact_buffer(
        self,
        name: str,
        master: Tensor,
        *,
        dtype: torch.dtype | None,
        device: torch.device | str | None,
        persistent: bool = True,
    ) -> None:
        """Register ``master`` (float64) as buffer ``name``, cast to ``dtype`` on ``device``."""
        master = master.detach().to(device="cpu", dtype=torch.float64)
        self._masters[name] = master
        self.register_buffer(
            name, master.to(device=device, dtype=layer_dtype(dtype)), persistent=persistent
        )

    def master(self, name: str) -> Tensor:
        """The float64 CPU master of buffer ``name``, refreshed from the buffer if it changed."""
        self._refresh_master(name)
        return self._masters[name]

    def rebuild_derived(self) -> None:
        """Rebuild constants derived from exact buffers (after ``load_state_dict``)."""

    def _refresh_master(self, name: str) -> bool:
        """Take the buffer as the new master if it no longer matches; True if it changed."""
        current: Tensor = getattr(self, name)
        master = self._masters[name]
        if current.shape == master.shape and torch.equal(
            current, master.to(device=current.device, dtype=current.dtype)
        ):
            return False
        self._masters[name] = current.detach().to(device="cpu", dtype=torch.float64)
        return True

    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> "ExactBuffersModule":
        changed = [self._refresh_master(name) for name in list(self._masters)]
        if any(changed):
            self.rebuild_derived()
        super()._apply(fn, recurse)  # type: ignore[no-untyped-call]
        for name, master in self._masters.items():
            moved: Tensor = getattr(self, name)
            setattr(self, name, master.to(device=moved.device, dtype=moved.dtype))
        return self


def _after_load(module: nn.Module, _: Any) -> None:
    if isinstance(module, ExactBuffersModule):
        for name in module._masters:
            module._refresh_master(name)
        module.rebuild_derived()
