"""Pre-emphasis and de-emphasis of waveforms. Drop-ins for torchaudio's ``Preemphasis`` and
``Deemphasis``."""

from torch import Tensor, nn

from .checks import check_number, check_waveform
from .functional.emphasis import deemphasis, preemphasis
from .tracing import scripting


class Preemphasis(nn.Module):
    """``y[n] = x[n] - coeff * x[n - 1]`` (``y[0] = x[0]``): lifts high frequencies by up to
    ``20 log10((1 + coeff) / (1 - coeff))`` dB (35 dB at 0.97) against DC.

    Args:
        coeff: filter coefficient, in [-1, 1]. Default 0.97.

    Shapes:
        input ``(..., time)`` real; output the same shape and dtype.
    """

    def __init__(self, coeff: float = 0.97) -> None:
        super().__init__()
        self.coeff = check_number("coeff", coeff, at_least=-1.0, at_most=1.0)

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns the filtered waveform, same shape."""
        if not scripting():
            check_waveform(waveform, "Preemphasis")
        return preemphasis(waveform, self.coeff)

    def extra_repr(self) -> str:
        return f"coeff={self.coeff}"


class Deemphasis(nn.Module):
    """The inverse of :class:`Preemphasis`: ``y[n] = x[n] + coeff * y[n - 1]``, ``y[-1] = 0``.

    Unlike torchaudio's (``lfilter``, which clips its output to [-1, 1] by default), values
    are returned as computed, so ``Deemphasis()(Preemphasis()(x))`` is ``x`` for any ``x``.

    Args:
        coeff: filter coefficient, in [0, 1) (a stable filter). Default 0.97.

    Shapes:
        input ``(..., time)`` real; output the same shape and dtype.
    """

    def __init__(self, coeff: float = 0.97) -> None:
        super().__init__()
        self.coeff = check_number("coeff", coeff, at_least=0.0, below=1.0)

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns the filtered waveform, same shape."""
        if not scripting():
            check_waveform(waveform, "Deemphasis")
        return deemphasis(waveform, self.coeff)

    def extra_repr(self) -> str:
        return f"coeff={self.coeff}"
