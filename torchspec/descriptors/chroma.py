"""Pitch-class features: chroma from the STFT or a constant-Q transform
(``librosa.feature.chroma_stft``, ``chroma_cqt``, ``chroma_cens``, ``chroma_vqt``) and the
tonal centroid (``tonnetz``)."""

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import Tensor

from ..checks import (
    check_choice,
    check_int,
    check_norm,
    check_number,
    check_waveform,
    empty_batch,
)
from ..cqt import VQT
from ..functional.chroma import chroma_stft, estimate_tuning
from ..functional.cqt import C1_HZ
from ..functional.filterbanks import LIBROSA_WINDOWS
from ..functional.tonal import chroma_cens, chroma_cqt, chroma_vqt, smoothing_kernel, tonnetz
from ..spectrogram import Spectrogram
from ..tracing import NotScriptable
from .shape import _LibrosaSpectralShape

CQT_REFUSAL = "its constant-Q transform (torchspec.CQT) is not ported to TorchScript"
TUNING_N_FFT = 2048  # librosa.estimate_tuning(y=...)'s STFT
MAX_TUNINGS = 16  # transforms kept for estimated tunings


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


class _ConstantQMagnitude(NotScriptable, torch.nn.Module):
    """``|VQT(y)|`` at librosa's tuning: a given one, or with ``tuning=None`` the one
    ``librosa.estimate_tuning(y=...)`` finds (:func:`~torchspec.functional.estimate_tuning` of
    the magnitude STFT, ``n_fft`` 2048, hop 512, in fractions of a constant-Q bin), estimated
    for each item on its own. Items are grouped by tuning; the transform for each tuning is
    built on first use and kept (a few milliseconds each; the estimate takes at most 100
    values)."""

    script_refusal: ClassVar[str] = CQT_REFUSAL

    def __init__(
        self,
        sr: float,
        hop_length: int,
        fmin: float | None,
        n_bins: int,
        bins_per_octave: int,
        tuning: float | None,
        gamma: float,
        intervals: str | Sequence[float],
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        super().__init__()
        self.sr = check_number("sr", sr, above=0.0)
        self.bins_per_octave = bins_per_octave
        self.plan: dict[str, Any] = {
            "sample_rate": self.sr,
            "hop_length": hop_length,
            "f_min": C1_HZ if fmin is None else check_number("fmin", fmin, above=0.0),
            "n_bins": n_bins,
            "bins_per_octave": bins_per_octave,
            "gamma": gamma,
            "intervals": intervals,
        }
        self.tuning = tuning
        self.vqt = VQT(
            **self.plan, tuning=0.0 if tuning is None else tuning, device=device, dtype=dtype
        )
        if tuning is None:
            self.stft = Spectrogram(
                TUNING_N_FFT,
                hop_length=512,
                power=1.0,
                pad_mode="constant",
                device=device,
                dtype=dtype,
            )
        self._tuned: dict[tuple[float, torch.device, torch.dtype], VQT] = {}

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)`` with at least one item. Returns ``(..., n_bins, frames)``."""
        if self.tuning is not None:
            magnitude: Tensor = self.vqt(y).abs()
            return magnitude
        tunings = estimate_tuning(
            self.stft(y), self.sr, TUNING_N_FFT, bins_per_octave=self.bins_per_octave
        ).reshape(-1)
        flat = y.reshape(-1, y.shape[-1])
        out: Tensor | None = None
        for value in sorted(set(tunings.tolist())):
            index = torch.nonzero(tunings == value)[:, 0].to(y.device)
            part = self._at(value)(flat[index]).abs()
            if out is None:
                out = part.new_empty((flat.shape[0], *part.shape[1:]))
            out[index] = part
        assert out is not None
        return out.reshape((*y.shape[:-1], *out.shape[1:]))

    def _at(self, tuning: float) -> VQT:
        """The transform tuned by ``tuning``, on this layer's device and dtype."""
        reference = next(self.vqt.buffers())
        key = (tuning, reference.device, reference.dtype)
        if key not in self._tuned:
            if len(self._tuned) >= MAX_TUNINGS:
                self._tuned.pop(next(iter(self._tuned)))
            self._tuned[key] = VQT(
                **self.plan, tuning=tuning, device=reference.device, dtype=reference.dtype
            )
        return self._tuned[key]


class ChromaCQT(NotScriptable, torch.nn.Module):
    """``librosa.feature.chroma_cqt(y=...)``: the constant-Q magnitude (``n_octaves`` octaves
    of ``bins_per_octave`` bins from ``fmin``) summed per pitch class, values below
    ``threshold`` zeroed, each frame normalised by ``norm``.

    The constant-Q transform is torchspec's :class:`~torchspec.CQT`, the wavelet transform
    librosa defines; librosa computes it by resampling octave by octave, 0.4-6% from that
    definition (see ``tests/test_cqt.py``), so chroma from audio differs from librosa's by
    that much, while chroma of a given CQT (:func:`torchspec.functional.chroma_cqt`) equals
    librosa's. With ``tuning=None`` (librosa's default) the tuning is estimated for each item
    on its own (not differentiable); the chroma given the tuning is differentiable.

    Args (keyword-only, librosa's defaults): ``sr`` 22050, ``hop_length`` 512, ``fmin``
    None (C1, 32.70 Hz), ``norm`` inf (or a p-norm > 0, or None), ``threshold`` 0.0,
    ``tuning`` None (estimate) or a deviation in fractions of a bin in [-0.5, 0.5],
    ``n_chroma`` 12, ``n_octaves`` 7, ``bins_per_octave`` 36 (a multiple of ``n_chroma``;
    None: ``n_chroma``); device, dtype. librosa's ``window`` and ``cqt_mode="hybrid"`` are
    not offered.

    Shapes: input ``(..., time)``; output ``(..., n_chroma, frames)``, ``1 + time //
    hop_length`` frames.
    """

    script_refusal: ClassVar[str] = CQT_REFUSAL

    def __init__(
        self,
        *,
        sr: float = 22050,
        hop_length: int = 512,
        fmin: float | None = None,
        norm: float | None = math.inf,
        threshold: float = 0.0,
        tuning: float | None = None,
        n_chroma: int = 12,
        n_octaves: int = 7,
        bins_per_octave: int | None = 36,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.n_chroma = check_int("n_chroma", n_chroma, minimum=1)
        bins = self.n_chroma if bins_per_octave is None else bins_per_octave
        self.bins_per_octave = _check_merge(bins, self.n_chroma)
        self.n_octaves = check_int("n_octaves", n_octaves, minimum=1)
        self.fmin = fmin
        self.norm = check_norm(norm)
        self.threshold = check_number("threshold", threshold)
        self.cqt = _ConstantQMagnitude(
            sr,
            hop_length,
            fmin,
            self.n_octaves * self.bins_per_octave,
            self.bins_per_octave,
            tuning,
            0.0,
            "equal",
            device,
            dtype,
        )

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., n_chroma, frames)``."""
        check_waveform(y, type(self).__name__)
        empty = empty_batch(y, 1, self.forward)
        if empty is not None:
            return empty
        C = self.cqt(y)  # noqa: N806 - librosa's name
        out = chroma_cqt(
            C, self.bins_per_octave, self.n_chroma, self.fmin, self.norm, self.threshold
        )
        return out.to(y.dtype)


class ChromaCENS(ChromaCQT):
    """``librosa.feature.chroma_cens(y=...)``: Chroma Energy Normalized Statistics, the
    :class:`ChromaCQT` of each frame normalised to sum 1, quantised (a quarter for each of
    0.4, 0.2, 0.1 and 0.05 it exceeds), smoothed over ``win_len_smooth + 2`` frames by a
    symmetric window and normalised by ``norm``. Not differentiable (a quantisation).

    Args (keyword-only, librosa's defaults): as :class:`ChromaCQT` (no ``threshold``), with
    ``norm`` 2, ``win_len_smooth`` 41 (frames, >= 1; None: no smoothing),
    ``smoothing_window`` ``"hann"`` (or ``"hamming"``, ``"blackman"``).

    Shapes: input ``(..., time)``; output ``(..., n_chroma, frames)``.
    """

    def __init__(
        self,
        *,
        sr: float = 22050,
        hop_length: int = 512,
        fmin: float | None = None,
        tuning: float | None = None,
        n_chroma: int = 12,
        n_octaves: int = 7,
        bins_per_octave: int = 36,
        norm: float | None = 2.0,
        win_len_smooth: int | None = 41,
        smoothing_window: str = "hann",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(
            sr=sr,
            hop_length=hop_length,
            fmin=fmin,
            norm=norm,
            tuning=tuning,
            n_chroma=n_chroma,
            n_octaves=n_octaves,
            bins_per_octave=bins_per_octave,
            device=device,
            dtype=dtype,
        )
        self.win_len_smooth = (
            None
            if win_len_smooth is None
            else check_int("win_len_smooth", win_len_smooth, minimum=1)
        )
        smoothing_kernel(smoothing_window, 3)  # the name is checked here
        self.smoothing_window = smoothing_window

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., n_chroma, frames)``."""
        check_waveform(y, "ChromaCENS")
        empty = empty_batch(y, 1, self.forward)
        if empty is not None:
            return empty
        out = chroma_cens(
            self.cqt(y),
            self.bins_per_octave,
            self.n_chroma,
            self.fmin,
            self.norm,
            self.win_len_smooth,
            self.smoothing_window,
        )
        return out.to(y.dtype)


class ChromaVQT(NotScriptable, torch.nn.Module):
    """``librosa.feature.chroma_vqt(y=...)``: the variable-Q magnitude (``n_octaves``
    octaves of ``bins_per_octave`` bins from ``fmin``, at A440) summed over octaves, one row
    per bin of the octave, values below ``threshold`` zeroed, each frame normalised by
    ``norm``. Differentiable.

    Args (keyword-only, librosa's defaults): ``intervals`` (required, as in librosa):
    ``"equal"`` or the frequency ratios of one octave in [1, 2) (e.g.
    ``librosa.interval_frequencies(12, fmin=1, intervals="ji5")``), whose count sets
    ``bins_per_octave``; ``sr`` 22050, ``hop_length`` 512, ``fmin`` None (C1), ``norm`` inf,
    ``threshold`` 0.0, ``n_octaves`` 7, ``bins_per_octave`` 12, ``gamma`` 0 (Hz of
    bandwidth offset: 0 is constant-Q); device, dtype. The transform differs from librosa's
    resampled one as :class:`ChromaCQT`'s does.

    Shapes: input ``(..., time)``; output ``(..., bins_per_octave, frames)``.
    """

    script_refusal: ClassVar[str] = CQT_REFUSAL

    def __init__(
        self,
        *,
        intervals: str | Sequence[float],
        sr: float = 22050,
        hop_length: int = 512,
        fmin: float | None = None,
        norm: float | None = math.inf,
        threshold: float = 0.0,
        n_octaves: int = 7,
        bins_per_octave: int = 12,
        gamma: float = 0.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if isinstance(intervals, str):
            self.bins_per_octave = check_int("bins_per_octave", bins_per_octave, minimum=1)
        else:
            self.bins_per_octave = len(intervals)
        self.n_octaves = check_int("n_octaves", n_octaves, minimum=1)
        self.fmin = fmin
        self.norm = check_norm(norm)
        self.threshold = check_number("threshold", threshold)
        self.vqt = _ConstantQMagnitude(
            sr,
            hop_length,
            fmin,
            self.n_octaves * self.bins_per_octave,
            self.bins_per_octave,
            0.0,
            check_number("gamma", gamma, at_least=0.0),
            intervals,
            device,
            dtype,
        )

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., bins_per_octave, frames)``."""
        check_waveform(y, "ChromaVQT")
        V = self.vqt(y)  # noqa: N806 - librosa's name
        out = chroma_vqt(V, self.bins_per_octave, self.fmin, self.norm, self.threshold)
        return out.to(y.dtype)


class Tonnetz(NotScriptable, torch.nn.Module):
    """``librosa.feature.tonnetz(y=...)``: the tonal centroid of each frame (Harte et al.
    2006), the :class:`ChromaCQT` normalised to sum 1 and projected on the circles of
    fifths, minor thirds and major thirds.

    Args (keyword-only): ``sr`` 22050, device, dtype; every other keyword goes to
    :class:`ChromaCQT` (librosa passes them to ``chroma_cqt``).

    Shapes: input ``(..., time)``; output ``(..., 6, frames)``: fifth (x, y), minor third
    (x, y), major third (x, y).
    """

    script_refusal: ClassVar[str] = CQT_REFUSAL

    def __init__(
        self,
        *,
        sr: float = 22050,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        **chroma: Any,
    ) -> None:
        super().__init__()
        self.chroma = ChromaCQT(sr=sr, device=device, dtype=dtype, **chroma)

    def forward(self, y: Tensor) -> Tensor:
        """Args: y ``(..., time)``. Returns ``(..., 6, frames)``."""
        check_waveform(y, "Tonnetz")
        return tonnetz(self.chroma(y))


def _check_merge(bins_per_octave: object, n_chroma: int) -> int:
    bins = check_int("bins_per_octave", bins_per_octave, minimum=1)
    if bins % n_chroma:
        raise ValueError(
            f"bins_per_octave={bins} must be a multiple of n_chroma={n_chroma} (each pitch "
            "class gathers the same number of constant-Q bins)"
        )
    return bins
