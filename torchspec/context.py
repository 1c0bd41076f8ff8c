"""Context stacking: ``librosa.feature.stack_memory`` as a layer."""

from torch import Tensor, nn

from .checks import check_choice, check_int, check_spectrogram
from .functional.context import STACK_PAD_MODES, stack_memory
from .tracing import scripting


class StackMemory(nn.Module):
    """``librosa.feature.stack_memory``: each frame with its ``n_steps - 1`` predecessors
    (``delay`` frames apart; a negative ``delay`` takes successors), stacked along the feature
    axis; frames before the start (after the end) filled by ``mode``.

    Args (keyword-only, librosa's defaults):
        n_steps: copies, >= 1. Default 2.
        delay: frames between copies, non-zero. Default 1.
        mode: numpy's pad mode: ``"constant"`` (zeros, default), ``"edge"``, ``"reflect"``
            (needs more than ``(n_steps - 1) * |delay|`` frames) or ``"wrap"`` (at least
            that many).

    Shapes:
        input ``(..., features, time)``; output ``(..., n_steps * features, time)``.
    """

    def __init__(self, *, n_steps: int = 2, delay: int = 1, mode: str = "constant") -> None:
        super().__init__()
        self.n_steps = check_int("n_steps", n_steps, minimum=1)
        self.delay = check_int("delay", delay, minimum=-(2**31))
        if self.delay == 0:
            raise ValueError("delay must be a non-zero integer (frames between copies)")
        self.mode = check_choice("mode", mode, STACK_PAD_MODES)

    def forward(self, data: Tensor) -> Tensor:
        """Args: data ``(..., features, time)``. Returns ``(..., n_steps * features, time)``."""
        if not scripting():
            check_stack_input(data, self.n_steps, self.delay, self.mode)
        return stack_memory(data, self.n_steps, self.delay, self.mode)

    def extra_repr(self) -> str:
        return f"n_steps={self.n_steps}, delay={self.delay}, mode='{self.mode}'"


def check_stack_input(data: Tensor, n_steps: int, delay: int, mode: str) -> None:
    check_spectrogram(data, None, "StackMemory")
    frames, reach = data.shape[-1], (n_steps - 1) * abs(delay)
    needed = {"reflect": reach + 1, "wrap": reach}.get(mode, 1)
    if frames < needed:
        raise ValueError(
            f"StackMemory(n_steps={n_steps}, delay={delay}, mode='{mode}') needs at least "
            f"{needed} frames, got {frames} (shape {tuple(data.shape)})"
        )
