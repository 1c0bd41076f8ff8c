"""Base module whose constant tensors stay exact when the module changes dtype."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn


class ExactBuffersModule(nn.Module):
    """An ``nn.Module`` that keeps a float64 master copy of each constant buffer.

    ``nn.Module.to`` casts buffers in place: a window built in float32 and moved with
    ``.double()`` would keep its float32 rounding (1e-7 relative). Buffers registered with
    :meth:`register_exact_buffer` are instead re-cast from their float64 master whenever the
    module is moved or cast, so a layer reaches the accuracy of whatever dtype it is in now.
    Parameters (trainable kernels) are ordinary parameters and are cast as usual.
    """

    def __init__(self) -> None:
        super().__init__()
        self._masters: dict[str, Tensor] = {}

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
        dtype = dtype or torch.get_default_dtype()
        self.register_buffer(name, master.to(device=device, dtype=dtype), persistent=persistent)

    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> ExactBuffersModule:
        super()._apply(fn, recurse)
        for name, master in self._masters.items():
            moved: Tensor = getattr(self, name)
            setattr(self, name, master.to(device=moved.device, dtype=moved.dtype))
        return self
