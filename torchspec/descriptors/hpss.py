"""Harmonic/percussive separation of a spectrogram (``librosa.decompose.hpss``)."""

import math

import torch
from torch import Tensor

from ..checks import check_bool, check_int, check_non_negative, check_number
from ..functional.hpss import harmonic_percussive
from ..tracing import scripting


def _pair(value: object) -> tuple[object, object]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"expected one value or (harmonic, percussive), got {value!r}")
        return value[0], value[1]
    return value, value


class HPSS(torch.nn.Module):
    """``librosa.decompose.hpss``: a spectrogram split into its harmonic part (what a median
    over ``kernel_size`` frames keeps: sustained partials) and its percussive part (what a
    median over ``kernel_size`` bins keeps: broadband transients), by soft masks (hard with
    ``power=inf``); a ``margin`` above 1 leaves out what is clearly neither.

    Args (keyword-only, librosa's defaults):
        kernel_size: median length, one int or ``(harmonic frames, percussive bins)``.
            Default 31.
        power: mask exponent, > 0 or ``math.inf`` (hard masks). Default 2.0.
        mask: return the two masks instead of the separated spectrograms. Default False.
        margin: >= 1, one number or ``(harmonic, percussive)``. Default 1.0.

    Shapes:
        input ``(..., freq, frames)`` magnitude, power or complex STFT (its phase is kept);
        output ``(..., 2, freq, frames)``: index 0 harmonic, 1 percussive (librosa returns the
        pair), complex for complex input, real masks with ``mask=True``. Differentiable
        almost everywhere (the medians pass the gradient to the selected value).
    """

    def __init__(
        self,
        *,
        kernel_size: int | tuple[int, int] = 31,
        power: float = 2.0,
        mask: bool = False,
        margin: float | tuple[float, float] = 1.0,
    ) -> None:
        super().__init__()
        harm, perc = _pair(kernel_size)
        self.win_harm = check_int("kernel_size", harm, minimum=1)
        self.win_perc = check_int("kernel_size", perc, minimum=1)
        if not (isinstance(power, float) and math.isinf(power) and power > 0):
            power = check_number("power", power, above=0.0)
        self.power = float(power)
        self.mask = check_bool("mask", mask)
        harm, perc = _pair(margin)
        self.margin_harm = check_number("margin", harm, at_least=1.0)
        self.margin_perc = check_number("margin", perc, at_least=1.0)

    def forward(self, S: Tensor) -> Tensor:  # noqa: N803 - librosa's name
        """Args: S ``(..., freq, frames)``. Returns ``(..., 2, freq, frames)``."""
        if not scripting():
            check_hpss_input(S)
        harmonic, percussive = harmonic_percussive(
            S,
            self.win_harm,
            self.win_perc,
            self.power,
            self.mask,
            self.margin_harm,
            self.margin_perc,
        )
        return torch.stack([harmonic, percussive], dim=-3)

    def extra_repr(self) -> str:
        return (
            f"kernel_size=({self.win_harm}, {self.win_perc}), power={self.power}, "
            f"mask={self.mask}, margin=({self.margin_harm}, {self.margin_perc})"
        )


def check_hpss_input(S: Tensor) -> None:  # noqa: N803
    if not isinstance(S, Tensor) or not (S.dtype.is_floating_point or S.is_complex()):
        got = S.dtype if isinstance(S, Tensor) else type(S).__name__
        raise TypeError(f"HPSS expects a floating-point or complex spectrogram, got {got}")
    if S.dim() < 2 or S.shape[-1] == 0 or S.shape[-2] == 0:
        raise ValueError(
            f"HPSS expects (..., freq, frames) with at least one of each, got {tuple(S.shape)}"
        )
    if not S.is_complex():
        check_non_negative(S, "HPSS", "spectrogram (or a complex STFT)")
