"""Chroma: energy per pitch class (``librosa.feature.chroma_stft``)."""

import math

import torch
from torch import Tensor

from ..checks import check_choice, check_int, check_norm, check_number
from ..functional.chroma import chroma_stft
from ..presets import LIBROSA_WINDOWS
from .shape import _LibrosaSpectralShape


class ChromaSTFT(_LibrosaSpectralShape):
    """``librosa.feature.chroma_stft(y=...)``: the power spectrogram folded onto ``n_chroma``
    pitch classes (librosa's ``filters.chroma``: C first, a Gaussian weighting over octaves
    around C5), each frame divided by its maximum (``norm=inf``).

    With ``tuning=None`` (librosa's default) the tuning is estimated for each item of the
    batch on its own, as librosa does for one clip (``estimate_tuning``: a histogram of the
    interpolated spectral peaks); the estimate is not differentiable, the chroma given the
    tuning is.

    Args (keyword-only, librosa's defaults): ``sr`` 22050, ``norm`` inf (or a p-norm > 0,
    or None), ``n_fft`` 2048, ``hop_length`` 512, ``win_length``, ``window`` ``"hann"``,
    ``center`` True, ``pad_mode`` ``"constant"``, ``tuning`` None (estimate) or a deviation
    from A440 in fractions of a bin in [-0.5, 0.5), ``n_chroma`` 12; device, dtype.

    Shapes: input ``(..., time)``; output ``(..., n_chroma, frames)``.
    """

    def __init__(
        self,
        *,
        sr: float = 22050,
        norm: float | None = math.inf,
        n_fft: int = 2048,
        hop_length: int = 512,
        win_length: int | None = None,
        window: str = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        tuning: float | None = None,
        n_chroma: int = 12,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_choice("window", window, tuple(LIBROSA_WINDOWS))
        super().__init__(
            sr, n_fft, hop_length, win_length, window, center, pad_mode, device, dtype, 2.0
        )
        self.n_fft = n_fft
        self.norm = check_norm(norm)
        self.tuning = (
            None if tuning is None else check_number("tuning", tuning, at_least=-0.5, below=0.5)
        )
        self.n_chroma = check_int("n_chroma", n_chroma, minimum=1)

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., n_chroma, frames)``."""
        power = self.magnitude(y, "ChromaSTFT")
        out = chroma_stft(power, self.sr, self.n_fft, self.tuning, self.n_chroma, self.norm)
        return out.to(y.dtype)
