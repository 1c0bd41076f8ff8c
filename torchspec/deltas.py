"""Deltas: the slope of each feature over a few frames. ``ComputeDeltas`` is torchaudio's
drop-in (Kaldi's ``add-deltas``, HTK's regression formula); ``Delta`` is librosa's
``feature.delta`` (a Savitzky-Golay derivative of any order)."""

from torch import Tensor, nn

from .base import ExactBuffersModule
from .checks import check_choice, check_int, check_spectrogram, empty_batch
from .functional.deltas import compute_deltas, delta, savgol_matrices
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


DELTA_MODES = ("interp", "nearest", "mirror", "constant", "wrap")


class Delta(ExactBuffersModule):
    """``librosa.feature.delta``: the ``order``-th derivative of each row over time, from a
    least-squares polynomial of degree ``order`` fitted to ``width`` frames around each frame
    (``scipy.signal.savgol_filter(data, width, deriv=order, polyorder=order)``).

    Args (keyword-only, librosa's defaults):
        width: frames in the fit, odd and >= 3. Default 9.
        order: the derivative, >= 1 (2: delta-deltas in one step). Default 1.
        axis: the time axis. Default -1.
        mode: ``"interp"`` (default: the edge frames from a polynomial fitted to the first or
            last ``width`` frames; needs ``width`` frames), or how the ends are extended:
            ``"nearest"``, ``"mirror"``, ``"constant"`` (zeros), ``"wrap"``.

    Shapes:
        input ``(..., time)`` along ``axis``, real; output the same shape and dtype.
        Buffers (float64-exact, not in the state dict): ``weights``, ``start``, ``end``.
    """

    weights: Tensor
    start: Tensor
    end: Tensor

    def __init__(
        self, *, width: int = 9, order: int = 1, axis: int = -1, mode: str = "interp"
    ) -> None:
        super().__init__()
        self.width = check_int("width", width, minimum=3)
        if self.width % 2 != 1:
            raise ValueError(f"width must be an odd integer >= 3, got {width}")
        self.order = check_int("order", order, minimum=1)
        if self.order >= self.width:
            raise ValueError(
                f"order={order} needs a wider fit: width must exceed it, got width={width}"
            )
        self.axis = check_int("axis", axis, minimum=-64, maximum=63)
        self.mode = check_choice("mode", mode, DELTA_MODES)
        weights, start, end = savgol_matrices(self.width, self.order)
        for name, value in (("weights", weights), ("start", start), ("end", end)):
            self.register_exact_buffer(name, value, dtype=None, device=None, persistent=False)

    def forward(self, data: Tensor) -> Tensor:
        """Args: data ``(..., time)`` (time along ``axis``). Returns the same shape."""
        if not scripting():
            check_delta_input(data, self.axis, self.width, self.mode)
        moved = data.movedim(self.axis, -1)
        out = delta(moved, self.weights, self.start, self.end, self.mode)
        return out.movedim(-1, self.axis)

    def extra_repr(self) -> str:
        return f"width={self.width}, order={self.order}, axis={self.axis}, mode='{self.mode}'"


def check_delta_input(data: Tensor, axis: int, width: int, mode: str) -> None:
    """A real tensor with the axis, long enough for the mode (librosa's rule for
    ``"interp"``; torch's padding rules for ``"mirror"`` and ``"wrap"``)."""
    if not isinstance(data, Tensor) or not data.dtype.is_floating_point:
        got = data.dtype if isinstance(data, Tensor) else type(data).__name__
        raise TypeError(f"Delta expects a real floating-point tensor, got {got}")
    if not -data.dim() <= axis < data.dim():
        raise ValueError(f"Delta(axis={axis}) needs that axis, got shape {tuple(data.shape)}")
    frames = data.shape[axis]
    needed = {"interp": width, "mirror": width // 2 + 1, "wrap": width // 2}.get(mode, 1)
    if frames < needed:
        raise ValueError(
            f"Delta(width={width}, mode='{mode}') needs at least {needed} frames along axis "
            f"{axis}, got {frames} (shape {tuple(data.shape)})"
        )
