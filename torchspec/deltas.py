"""Deltas: the slope of each feature over a few frames (Kaldi's ``add-deltas``, HTK's
regression formula). Drop-in for torchaudio's ``ComputeDeltas``."""

from torch import Tensor, nn

from .checks import check_choice, check_int, check_spectrogram, empty_batch
from .functional.deltas import compute_deltas
from .tracing import scripting

PAD_MODES = ("replicate", "reflect", "constant", "circular")


class ComputeDeltas(nn.Module):
    """Delta coefficients along time:
    ``d[t] = sum_{n=1..N} n (c[t+n] - c[t-n]) / (2 sum_{n=1..N} n**2)``,
    ``N = (win_length - 1) // 2``. Apply twice for delta-deltas.

    Args:
        win_length: regression window in frames, >= 3. Default 5 (Kaldi's and torchaudio's).
        mode: how frames beyond the ends are made: ``"replicate"`` (default: the edge frame
            repeated, as Kaldi), ``"reflect"`` (needs more than ``N`` frames), ``"constant"``
            (zeros) or ``"circular"``.

    Shapes:
        input ``(..., freq, time)`` real; output the same shape and dtype.
    """

    def __init__(self, win_length: int = 5, mode: str = "replicate") -> None:
        super().__init__()
        self.win_length = check_int("win_length", win_length, minimum=3)
        self.mode = check_choice("mode", mode, PAD_MODES)

    def forward(self, specgram: Tensor) -> Tensor:
        """Args: specgram ``(..., freq, time)``. Returns the deltas, same shape."""
        if not scripting():
            check_spectrogram(specgram, None, "ComputeDeltas")
            reach = (self.win_length - 1) // 2
            frames = specgram.shape[-1]
            needed = reach + 1 if self.mode == "reflect" else 1
            if frames < needed:
                raise ValueError(
                    f"ComputeDeltas(mode='{self.mode}') needs at least {needed} frame(s), got "
                    f"{frames} (shape {tuple(specgram.shape)})"
                )
            empty = empty_batch(specgram, 2, self.forward)
            if empty is not None:
                return empty
        return compute_deltas(specgram, self.win_length, self.mode)

    def extra_repr(self) -> str:
        return f"win_length={self.win_length}, mode='{self.mode}'"
