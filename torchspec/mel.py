"""Mel and linear-filterbank heads on the STFT: MelScale, MelSpectrogram, MFCC, LFCC."""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch
from torch import Tensor, nn

from . import filters
from .base import ExactBuffersModule
from .checks import check_choice, check_int, compute_dtype
from .scaling import AmplitudeToDB
from .spectrogram import Spectrogram

LOG_OFFSET = 1e-6  # added before the natural log when log_mels / log_lf is True (torchaudio's)


def _band_limits(sample_rate: float, f_min: float, f_max: float | None) -> float:
    """Validate ``0 <= f_min < f_max <= sample_rate / 2``; return ``f_max`` (default Nyquist)."""
    if not sample_rate > 0:
        raise ValueError(f"sample_rate must be > 0, got {sample_rate!r}")
    nyquist = sample_rate / 2
    f_max = nyquist if f_max is None else f_max
    if not 0 <= f_min < nyquist:
        raise ValueError(f"f_min must be in [0, sample_rate/2 = {nyquist}) Hz, got {f_min}")
    if not f_min < f_max <= nyquist:
        raise ValueError(
            f"f_max must be in (f_min = {f_min}, sample_rate/2 = {nyquist}] Hz, got {f_max}"
        )
    return float(f_max)


def mel_filterbank_checked(
    n_mels: int,
    sample_rate: float,
    f_min: float,
    f_max: float | None,
    n_stft: int,
    norm: str | None,
    mel_scale: str,
) -> tuple[Tensor, Tensor, float]:
    """Validate MelScale's arguments (ValueError naming the parameter) and build its filterbank.

    Returns:
        ``(n_stft, n_mels)`` float64 filterbank, ``(n_mels + 2,)`` edges in Hz, and ``f_max``.
    """
    check_int("n_mels", n_mels, minimum=1)
    check_int("n_stft", n_stft, minimum=2)
    check_choice("norm", norm, (None, "slaney"))
    check_choice("mel_scale", mel_scale, filters.MEL_SCALES)
    f_max = _band_limits(sample_rate, f_min, f_max)
    bank, edges = filters.mel_filterbank(
        n_freq=n_stft,
        sample_rate=sample_rate,
        f_min=f_min,
        f_max=f_max,
        n_mels=n_mels,
        mel_scale=mel_scale,
        norm=norm,
    )
    return bank, edges, f_max


def _check_spectrogram(x: Tensor, n_freq: int, layer: str) -> None:
    if not isinstance(x, Tensor) or not x.dtype.is_floating_point:
        got = x.dtype if isinstance(x, Tensor) else type(x).__name__
        raise TypeError(
            f"{layer} expects a real (power or magnitude) spectrogram; got {got}. For a complex "
            "STFT take its magnitude first, e.g. spec.abs() ** 2"
        )
    if x.dim() < 2 or x.shape[-2] != n_freq:
        raise ValueError(
            f"{layer} expects shape (..., {n_freq}, time) (n_stft={n_freq}); got {tuple(x.shape)}"
        )


def _deprecated_onesided(onesided: bool | None) -> None:
    if onesided is not None:
        warnings.warn(
            "onesided is ignored (as in torchaudio, where it is deprecated): mel layers always "
            "use the onesided STFT",
            DeprecationWarning,
            stacklevel=3,
        )


class FilterbankScale(ExactBuffersModule):
    """Apply a non-negative ``(n_freq, n_filters)`` filterbank along the frequency axis.

    The shared body of :class:`MelScale` and LFCC's linear filterbank: a fixed buffer or a
    trainable parameter ``fb``. A trainable filterbank is used as ``fb.clamp(min=0)``, so every
    band stays a non-negative weighting of the spectrum (a log or dB of it stays defined);
    entries pushed below zero contribute nothing.
    """

    def __init__(
        self,
        bank: Tensor,
        centres: Tensor,
        *,
        trainable: bool,
        layer: str,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        super().__init__()
        self.trainable, self._layer, self._centres = bool(trainable), layer, centres
        self.n_freq, self.n_filters = bank.shape
        if self.trainable:
            self.fb = nn.Parameter(bank.to(device=device, dtype=dtype))
        else:
            self.register_exact_buffer("fb", bank, dtype=dtype, device=device)

    @property
    def frequencies(self) -> Tensor:
        """Centre frequency of every band in Hz, ``(n_filters,)`` float64."""
        return self._centres.clone()

    def forward(self, specgram: Tensor) -> Tensor:
        """Args: specgram ``(..., n_freq, time)``. Returns ``(..., n_filters, time)``."""
        _check_spectrogram(specgram, self.n_freq, self._layer)
        bank = self.fb.clamp(min=0) if self.trainable else self.fb
        dtype = compute_dtype(specgram.dtype)
        out = torch.matmul(bank.to(dtype).t(), specgram.to(dtype))
        return out.to(specgram.dtype)


class MelScale(FilterbankScale):
    """Turn a linear-frequency STFT into a mel-frequency one. Drop-in for torchaudio's.

    Band ``m`` is a triangle rising from edge ``m`` to 1 at edge ``m + 1`` and falling to 0 at
    edge ``m + 2``, the ``n_mels + 2`` edges equally spaced in mels from ``f_min`` to ``f_max``
    (librosa.filters.mel; torchaudio.functional.melscale_fbanks).

    Args:
        n_mels: number of mel bands, >= 1. Default 128.
        sample_rate: sampling rate of the audio in Hz. Default 16000.
        f_min: lowest edge in Hz, in ``[0, sample_rate / 2)``. Default 0.
        f_max: highest edge in Hz, in ``(f_min, sample_rate / 2]``. Default ``sample_rate / 2``.
        n_stft: number of STFT bins, ``n_fft // 2 + 1``. Default 201.
        norm: None (peak 1) or ``"slaney"`` (each band divided by half its width in Hz).
        mel_scale: ``"htk"`` (default) or ``"slaney"``.

    Keyword-only args:
        trainable: make the filterbank ``fb`` (``(n_stft, n_mels)``) an ``nn.Parameter``, used
            as ``fb.clamp(min=0)`` so bands stay non-negative.
        device, dtype: where and in which dtype the filterbank is held.

    Shapes: input ``(..., n_stft, time)``; output ``(..., n_mels, time)``.
    """

    def __init__(
        self,
        n_mels: int = 128,
        sample_rate: int = 16000,
        f_min: float = 0.0,
        f_max: float | None = None,
        n_stft: int = 201,
        norm: str | None = None,
        mel_scale: str = "htk",
        *,
        trainable: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        bank, edges, f_max = mel_filterbank_checked(
            n_mels, sample_rate, f_min, f_max, n_stft, norm, mel_scale
        )
        super().__init__(
            bank, edges[1:-1], trainable=trainable, layer="MelScale", device=device, dtype=dtype
        )
        self.n_mels, self.sample_rate, self.f_min, self.f_max = n_mels, sample_rate, f_min, f_max
        self.n_stft, self.norm, self.mel_scale = n_stft, norm, mel_scale


class MelSpectrogram(nn.Module):
    """Mel spectrogram: :class:`~torchspec.Spectrogram` followed by :class:`MelScale`.

    Drop-in for ``torchaudio.transforms.MelSpectrogram`` (same parameters, defaults, output, and
    submodules ``spectrogram`` and ``mel_scale``).

    Args:
        sample_rate, n_fft, win_length, hop_length, pad, window_fn, power, normalized, wkwargs,
        center, pad_mode: as :class:`~torchspec.Spectrogram` (``power`` must not be None).
        f_min, f_max, n_mels, norm, mel_scale: as :class:`MelScale`.
        onesided: deprecated in torchaudio and ignored.

    Keyword-only args:
        trainable_mel: trainable mel filterbank (see :class:`MelScale`).
        trainable_stft: trainable STFT kernels (see :class:`~torchspec.Spectrogram`).
        device, dtype: where and in which dtype kernels and filters are held.

    Shapes: input ``(..., time)``; output ``(..., n_mels, frames)``.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        f_min: float = 0.0,
        f_max: float | None = None,
        pad: int = 0,
        n_mels: int = 128,
        window_fn: filters.WindowFn = torch.hann_window,
        power: float = 2.0,
        normalized: bool | str = False,
        wkwargs: dict[str, Any] | None = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool | None = None,
        norm: str | None = None,
        mel_scale: str = "htk",
        *,
        trainable_mel: bool = False,
        trainable_stft: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if power is None:
            raise ValueError("power must be a number > 0 for a mel spectrogram, got None")
        _deprecated_onesided(onesided)
        self.sample_rate, self.n_fft, self.n_mels = sample_rate, n_fft, n_mels
        self.spectrogram = Spectrogram(
            n_fft,
            win_length,
            hop_length,
            pad,
            window_fn,
            power,
            normalized,
            wkwargs,
            center,
            pad_mode,
            trainable=trainable_stft,
            device=device,
            dtype=dtype,
        )
        self.mel_scale = MelScale(
            n_mels,
            sample_rate,
            f_min,
            f_max,
            n_fft // 2 + 1,
            norm,
            mel_scale,
            trainable=trainable_mel,
            device=device,
            dtype=dtype,
        )
        self.win_length, self.hop_length = self.spectrogram.win_length, self.spectrogram.hop_length
        self.f_min, self.f_max, self.power = f_min, self.mel_scale.f_max, float(power)

    @property
    def frequencies(self) -> Tensor:
        """Centre frequency of every mel band in Hz, ``(n_mels,)`` float64."""
        return self.mel_scale.frequencies

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns ``(..., n_mels, frames)``."""
        return self.mel_scale(self.spectrogram(waveform))


class _Cepstrum(ExactBuffersModule):
    """Log (or dB) of filterbank energies followed by a DCT along the band axis, with lifter."""

    def __init__(
        self,
        *,
        n_bands: int,
        n_coefficients: int,
        coefficients_name: str,
        dct_type: int,
        norm: str | None,
        lifter: float,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        super().__init__()
        check_int(coefficients_name, n_coefficients, minimum=1)
        if n_coefficients > n_bands:
            raise ValueError(
                f"{coefficients_name} must be <= the number of bands ({n_bands}), "
                f"got {n_coefficients}"
            )
        check_choice("dct_type", dct_type, (2, 3))
        check_choice("norm", norm, (None, "ortho"))
        if not lifter >= 0:
            raise ValueError(f"lifter must be >= 0, got {lifter!r}")
        self.dct_type, self.norm, self.lifter = dct_type, norm, float(lifter)
        matrix = filters.dct_matrix(n_bands, n_coefficients, dct_type=dct_type, norm=norm)
        if lifter > 0:
            k = torch.arange(1, n_coefficients + 1, dtype=torch.float64)
            matrix = matrix * (1.0 + (lifter / 2) * torch.sin(math.pi * k / lifter))
        self.amplitude_to_DB = AmplitudeToDB("power", 80.0)
        self.register_exact_buffer("dct_mat", matrix, dtype=dtype, device=device)

    def cepstrum(self, energies: Tensor, *, log: bool) -> Tensor:
        """``(..., n_bands, frames)`` energies to ``(..., n_coefficients, frames)``.

        Half-precision energies are taken through the log and the DCT in float32.
        """
        x = energies.to(compute_dtype(energies.dtype))
        x = torch.log(x + LOG_OFFSET) if log else self.amplitude_to_DB(x)
        return torch.matmul(self.dct_mat.to(x.dtype).t(), x).to(energies.dtype)


class MFCC(_Cepstrum):
    """Mel-frequency cepstral coefficients. Drop-in for ``torchaudio.transforms.MFCC``.

    ``dct(dB(MelSpectrogram(x)))[:n_mfcc]``, with the dB floored 80 dB below each item's peak
    (as librosa.feature.mfcc with ``power_to_db``; torchaudio floors 3-D input over the whole
    batch, see :class:`~torchspec.AmplitudeToDB`), or the natural log of ``mel + 1e-6`` when
    ``log_mels`` is True.

    Args:
        sample_rate: sampling rate in Hz. Default 16000.
        n_mfcc: number of coefficients, in ``[1, n_mels]``. Default 40.
        dct_type: 2 (default) or 3, scipy's definitions.
        norm: ``"ortho"`` (default) or None.
        log_mels: natural log instead of dB. Default False.
        melkwargs: arguments for :class:`MelSpectrogram`.

    Keyword-only args:
        lifter: cepstral liftering ``1 + (lifter / 2) * sin(pi * (k + 1) / lifter)`` on
            coefficient ``k`` (librosa's), or 0 (default) for none.
        trainable_mel, trainable_stft: as :class:`MelSpectrogram`.
        device, dtype: where and in which dtype kernels, filters and the DCT are held.

    Shapes: input ``(..., time)``; output ``(..., n_mfcc, frames)``.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        n_mfcc: int = 40,
        dct_type: int = 2,
        norm: str | None = "ortho",
        log_mels: bool = False,
        melkwargs: dict[str, Any] | None = None,
        *,
        lifter: float = 0.0,
        trainable_mel: bool = False,
        trainable_stft: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        mel = MelSpectrogram(
            sample_rate,
            **(melkwargs or {}),
            trainable_mel=trainable_mel,
            trainable_stft=trainable_stft,
            device=device,
            dtype=dtype,
        )
        super().__init__(
            n_bands=mel.n_mels,
            n_coefficients=n_mfcc,
            coefficients_name="n_mfcc",
            dct_type=dct_type,
            norm=norm,
            lifter=lifter,
            device=device,
            dtype=dtype,
        )
        self.MelSpectrogram = mel
        self.sample_rate, self.n_mfcc, self.log_mels = sample_rate, n_mfcc, bool(log_mels)

    @property
    def frequencies(self) -> Tensor:
        """Centre frequency of every mel band in Hz, ``(n_mels,)`` float64."""
        return self.MelSpectrogram.frequencies

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns ``(..., n_mfcc, frames)``."""
        return self.cepstrum(self.MelSpectrogram(waveform), log=self.log_mels)


class LFCC(_Cepstrum):
    """Linear-frequency cepstral coefficients. Drop-in for ``torchaudio.transforms.LFCC``.

    As :class:`MFCC`, with ``n_filter`` triangular filters equally spaced in Hz from ``f_min``
    to ``f_max`` (torchaudio.functional.linear_fbanks) instead of mel bands.

    Args:
        sample_rate: sampling rate in Hz. Default 16000.
        n_filter: number of linear filters, >= 1. Default 128.
        f_min, f_max: filter edges in Hz, ``0 <= f_min < f_max <= sample_rate / 2``.
        n_lfcc: number of coefficients, in ``[1, n_filter]``. Default 40.
        dct_type, norm: as :class:`MFCC`.
        log_lf: natural log of ``energy + 1e-6`` instead of dB. Default False.
        speckwargs: arguments for :class:`~torchspec.Spectrogram` (``power`` must stay set).

    Keyword-only args:
        lifter, trainable_stft, device, dtype: as :class:`MFCC`.
        trainable_filters: trainable linear filterbank (non-negative, as :class:`MelScale`).

    Shapes: input ``(..., time)``; output ``(..., n_lfcc, frames)``.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        n_filter: int = 128,
        f_min: float = 0.0,
        f_max: float | None = None,
        n_lfcc: int = 40,
        dct_type: int = 2,
        norm: str | None = "ortho",
        log_lf: bool = False,
        speckwargs: dict[str, Any] | None = None,
        *,
        lifter: float = 0.0,
        trainable_filters: bool = False,
        trainable_stft: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_int("n_filter", n_filter, minimum=1)
        super().__init__(
            n_bands=n_filter,
            n_coefficients=n_lfcc,
            coefficients_name="n_lfcc",
            dct_type=dct_type,
            norm=norm,
            lifter=lifter,
            device=device,
            dtype=dtype,
        )
        self.Spectrogram = Spectrogram(
            **(speckwargs or {}), trainable=trainable_stft, device=device, dtype=dtype
        )
        if self.Spectrogram.power is None:
            raise ValueError("speckwargs['power'] must be a number > 0 for LFCC, got None")
        f_max = _band_limits(sample_rate, f_min, f_max)
        n_freq = self.Spectrogram.n_fft // 2 + 1
        bin_hz = torch.linspace(0.0, sample_rate / 2, n_freq, dtype=torch.float64)
        edges = torch.linspace(f_min, f_max, n_filter + 2, dtype=torch.float64)
        self.linear_fb = FilterbankScale(
            filters.triangular_filterbank(bin_hz, edges),
            edges[1:-1],
            trainable=trainable_filters,
            layer="LFCC",
            device=device,
            dtype=dtype,
        )
        self.sample_rate, self.n_filter, self.n_lfcc = sample_rate, n_filter, n_lfcc
        self.f_min, self.f_max, self.log_lf = f_min, f_max, bool(log_lf)

    @property
    def frequencies(self) -> Tensor:
        """Centre frequency of every linear filter in Hz, ``(n_filter,)`` float64."""
        return self.linear_fb.frequencies

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns ``(..., n_lfcc, frames)``."""
        return self.cepstrum(self.linear_fb(self.Spectrogram(waveform)), log=self.log_lf)
