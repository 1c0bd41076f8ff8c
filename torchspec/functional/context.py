"""Context stacking: each frame with copies of its neighbours in time (librosa's
``feature.stack_memory``), the usual way to give a frame-wise model a window of context."""

import torch
from torch import Tensor

from .padding import pad_last

STACK_PAD_MODES = ("constant", "edge", "reflect", "wrap")


def stack_memory(data: Tensor, n_steps: int = 2, delay: int = 1, mode: str = "constant") -> Tensor:
    """librosa's ``feature.stack_memory``: ``n_steps`` copies of ``data`` stacked along the
    feature axis, copy ``k`` delayed by ``k * delay`` frames (a negative ``delay`` reads
    ahead), the missing frames filled by ``mode``.

    Args:
        data: ``(..., features, time)``, ``time >= 1``.
        n_steps: copies, >= 1.
        delay: frames between copies, non-zero.
        mode: numpy's pad mode for the missing frames: ``"constant"`` (zeros), ``"edge"``,
            ``"reflect"`` (needs ``time > (n_steps - 1) * |delay|``) or ``"wrap"``.

    Returns:
        ``(..., n_steps * features, time)``: rows ``k * features`` to ``(k + 1) * features``
        hold ``data[..., t - k * delay]``.
    """
    frames = data.shape[-1]
    reach = (n_steps - 1) * abs(delay)
    torch_mode = {
        "constant": "constant",
        "edge": "replicate",
        "reflect": "reflect",
        "wrap": "circular",
    }
    left, right = (reach, 0) if delay > 0 else (0, reach)
    padded = pad_last(data, left, right, torch_mode[mode])
    copies = []
    for step in range(n_steps):
        offset = (n_steps - 1 - step) * delay if delay > 0 else step * -delay
        copies.append(padded[..., offset : offset + frames])
    return torch.cat(copies, dim=-2)
