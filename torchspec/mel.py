"""Mel filterbank heads: MelScale, MelSpectrogram and InverseMelScale (the way back)."""

import warnings
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from . import functional as TF
from .base import ExactBuffersModule, bounded, bounded_logit, layer_dtype, register_learnable
from .checks import (
    check_band_limits,
    check_bool,
    check_choice,
    check_device_arg,
    check_dtype,
    check_int,
    check_linear_frequency,
    check_non_negative,
    check_spectrogram,
    check_waveform,
    compute_dtype,
    mark_power,
    warn_empty_filters,
)
from .functional.filterbanks import WindowFn
from .functional.spectral import as_input_dtype
from .spectrogram import STFT_ROUTES, Spectrogram
from .tracing import refuse_script, scripting


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
    n_mels = check_int("n_mels", n_mels, minimum=1)
    n_stft = check_int("n_stft", n_stft, minimum=2)
    norm = check_choice("norm", norm, (None, "slaney"))
    mel_scale = check_choice("mel_scale", mel_scale, TF.MEL_SCALES)
    sample_rate, f_min, f_max = check_band_limits(sample_rate, f_min, f_max)
    bank = TF.melscale_fbanks(n_stft, f_min, f_max, n_mels, sample_rate, norm, mel_scale)
    edges = TF.mel_frequencies(n_mels + 2, f_min=f_min, f_max=f_max, mel_scale=mel_scale)
    warn_empty_filters(bank, kind="mel", n_fft=2 * (n_stft - 1), sample_rate=sample_rate)
    return bank, edges, f_max


def _deprecated_onesided(onesided: bool | None) -> None:
    if onesided is not None:
        warnings.warn(
            "onesided is ignored (as in torchaudio, where it is deprecated): mel layers always "
            "use the onesided STFT",
            DeprecationWarning,
            stacklevel=3,
        )


MIN_WIDTH_HZ = 1.0  # narrowest half-width of a parametric mel band


class FilterbankScale(ExactBuffersModule):
    """Apply a non-negative ``(n_freq, n_filters)`` filterbank along the frequency axis.

    The shared body of :class:`MelScale` and LFCC's linear filterbank: a fixed buffer or a
    trainable parameter ``fb``. A trainable filterbank is used as ``fb.clamp(min=0)``, so every
    band stays a non-negative weighting of the spectrum (a log or dB of it stays defined);
    entries pushed below zero contribute nothing.
    """

    fb: Tensor
    __jit_unused_properties__: ClassVar[list[str]] = ["frequencies"]

    def __init__(
        self,
        bank: Tensor,
        centres: Tensor,
        *,
        trainable: bool | str,
        layer: str,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        super().__init__()
        self.trainable, self._layer, self._centres = trainable, layer, centres
        dtype, device = check_dtype(dtype), check_device_arg(device)
        self.n_freq, self.n_filters = bank.shape
        if self.trainable == "parametric":
            return  # the subclass holds the parameters and builds the bank in filters()
        if self.trainable:
            self.fb = nn.Parameter(bank.to(device=device, dtype=layer_dtype(dtype)))
        else:
            self.register_exact_buffer("fb", bank, dtype=dtype, device=device)

    @property
    def frequencies(self) -> Tensor:
        """Centre frequency of every band in Hz, ``(n_filters,)`` float64."""
        return self._centres.clone()

    def filters(self) -> Tensor:
        """The filterbank in use now, ``(n_freq, n_filters)``."""
        return self.matrix_filters()

    def matrix_filters(self) -> Tensor:
        """The fixed or free-matrix filterbank ``fb`` (clamped at 0 when trainable)."""
        return self.fb.clamp(min=0) if self.trainable else self.fb

    def forward(self, specgram: Tensor) -> Tensor:
        """Args: specgram ``(..., n_freq, time)``. Returns ``(..., n_filters, time)``."""
        if not scripting():
            check_spectrogram(specgram, self.n_freq, self._layer)
            check_linear_frequency(specgram, self._layer)
        return TF.apply_filterbank(specgram, self.filters())


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

    The filterbank is :func:`torchspec.functional.melscale_fbanks`; forward is
    :func:`torchspec.functional.apply_filterbank`.

    Keyword-only args:
        trainable: True makes the filterbank ``fb`` (``(n_stft, n_mels)``) an
            ``nn.Parameter``, used as ``fb.clamp(min=0)`` so bands stay non-negative.
            ``"parametric"`` learns only each band's centre and its lower and upper half-width
            (3 numbers a band; the triangles stay triangles), initialised to this filterbank:
            ``centre = mel_to_hz(mel_max * sigmoid(centre_logit))`` lies in ``(0,
            sample_rate / 2)`` and the half-widths ``1 + (sample_rate / 2 - 1) *
            sigmoid(lower_logit)`` (and ``upper_logit``) lie in ``[1, sample_rate / 2]`` Hz,
            whatever the optimiser does (bands may cross each other). The state dict holds
            these three ``(n_mels,)`` parameters only.
        device, dtype: where and in which dtype the filterbank is held.

    Shapes: input ``(..., n_stft, time)``; output ``(..., n_mels, time)``.
    """

    centre_logit: Tensor
    lower_logit: Tensor
    upper_logit: Tensor

    def __init__(
        self,
        n_mels: int = 128,
        sample_rate: float = 16000,
        f_min: float = 0.0,
        f_max: float | None = None,
        n_stft: int = 201,
        norm: str | None = None,
        mel_scale: str = "htk",
        *,
        trainable: bool | str = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        trainable = check_choice("trainable", trainable, (False, True, "parametric"))
        bank, edges, f_max = mel_filterbank_checked(
            n_mels, sample_rate, f_min, f_max, n_stft, norm, mel_scale
        )
        super().__init__(
            bank, edges[1:-1], trainable=trainable, layer="MelScale", device=device, dtype=dtype
        )
        if trainable == "parametric":
            self._init_parametric(edges, float(sample_rate), mel_scale, device, dtype)
        self.n_mels, self.sample_rate, self.f_min, self.f_max = (
            self.n_filters,
            sample_rate,
            f_min,
            f_max,
        )
        self.n_stft, self.norm, self.mel_scale = n_stft, norm, mel_scale

    def _init_parametric(
        self,
        edges: Tensor,
        sample_rate: float,
        mel_scale: str,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        self._mel_max = float(TF.hz_to_mel(torch.tensor(sample_rate / 2), mel_scale))
        self._bin_hz = torch.linspace(0.0, sample_rate / 2, self.n_freq, dtype=torch.float64)
        self._width_max = sample_rate / 2
        centre_mel = TF.hz_to_mel(edges[1:-1], mel_scale)
        widths = (edges[1:-1] - edges[:-2], edges[2:] - edges[1:-1])
        values = {
            "centre_logit": bounded_logit(centre_mel, 0.0, self._mel_max, margin=1e-9),
            "lower_logit": bounded_logit(widths[0], MIN_WIDTH_HZ, self._width_max),
            "upper_logit": bounded_logit(widths[1], MIN_WIDTH_HZ, self._width_max),
        }
        for name, value in values.items():
            register_learnable(self, name, value, trainable=True, device=device, dtype=dtype)

    def centres(self) -> Tensor:
        """Band centres in Hz now, ``(n_mels,)``, differentiable (parametric mode)."""
        mel = bounded(self.centre_logit, 0.0, self._mel_max)
        return TF.mel_to_hz(mel, self.mel_scale).to(self.centre_logit.dtype)

    @property
    def frequencies(self) -> Tensor:
        """Centre frequency of every band in Hz, ``(n_mels,)`` float64 (the learnt ones in
        parametric mode)."""
        if self.trainable == "parametric":
            return self.centres().detach().to(device="cpu", dtype=torch.float64)
        return self._centres.clone()

    def __prepare_scriptable__(self) -> "MelScale":
        if self.trainable == "parametric":
            raise refuse_script(
                "MelScale(trainable='parametric')", "its filters are rebuilt in Python"
            )
        return self

    def filters(self) -> Tensor:
        """The filterbank in use now, ``(n_stft, n_mels)``."""
        if scripting():  # never parametric there: __prepare_scriptable__ refuses it
            return self.matrix_filters()
        else:
            return self.matrix_filters() if self.trainable != "parametric" else self.triangles()

    def triangles(self) -> Tensor:
        """The parametric filterbank from the current centres and half-widths."""
        centre = self.centres()
        bins = self._bin_hz.to(device=centre.device, dtype=centre.dtype)
        lower, upper = self.half_widths()
        return TF.parametric_triangles(bins, centre, lower, upper, slaney=self.norm == "slaney")

    def half_widths(self) -> tuple[Tensor, Tensor]:
        """Lower and upper half-widths in Hz now, in ``[1, sample_rate / 2]`` (parametric)."""
        lower = bounded(self.lower_logit, MIN_WIDTH_HZ, self._width_max)
        return lower, bounded(self.upper_logit, MIN_WIDTH_HZ, self._width_max)


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
        stft_route: the STFT's ``route`` (see :class:`~torchspec.Spectrogram`): None picks
            ``"fft"`` for fixed kernels. ``"conv"`` computes the same STFT as a convolution:
            as fast in torch, and 16x faster in ONNX Runtime, whose DFT is slow for sizes
            that are not powers of two (n_fft 400: ``benchmarks/bench_onnx.py``).
        device, dtype: where and in which dtype kernels and filters are held.

    Shapes: input ``(..., time)``; output ``(..., n_mels, frames)``.
    """

    __jit_unused_properties__: ClassVar[list[str]] = ["frequencies"]

    def __init__(
        self,
        sample_rate: float = 16000,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        f_min: float = 0.0,
        f_max: float | None = None,
        pad: int = 0,
        n_mels: int = 128,
        window_fn: WindowFn = torch.hann_window,
        power: float = 2.0,
        normalized: bool | str = False,
        wkwargs: dict[str, Any] | None = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool | None = None,
        norm: str | None = None,
        mel_scale: str = "htk",
        *,
        trainable_mel: bool | str = False,
        trainable_stft: bool | str = False,
        stft_route: str | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if power is None:
            raise TypeError("power must be a number > 0 for a mel spectrogram, got None")
        if onesided is not None:
            check_bool("onesided", onesided)
        trainable_mel = check_choice("trainable_mel", trainable_mel, (False, True, "parametric"))
        trainable_stft = check_choice("trainable_stft", trainable_stft, (False, True, "window"))
        stft_route = check_choice("stft_route", stft_route, (None, *STFT_ROUTES))
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
            route=stft_route,
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
        self.f_min, self.f_max = self.mel_scale.f_min, self.mel_scale.f_max
        self.power = self.spectrogram.power

    @property
    def frequencies(self) -> Tensor:
        """Centre frequency of every mel band in Hz, ``(n_mels,)`` float64."""
        return self.mel_scale.frequencies

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns ``(..., n_mels, frames)``.

        Half-precision input is computed in float32 throughout and cast back at the end."""
        if not scripting():
            check_waveform(waveform, "MelSpectrogram")
            out = self.spectrogram.in_item_groups(self.forward, waveform)
            if out is not None:  # a large CPU batch, spectrogram and bands in item groups
                mark_power(out, self.spectrogram.power)
                return out
        power = self.spectrogram(waveform.to(compute_dtype(waveform.dtype)))
        out = as_input_dtype(self.mel_scale(power), waveform.dtype)
        if not scripting():
            mark_power(out, self.spectrogram.power)
        return out


DRIVERS = ("gels", "gelsy", "gelsd", "gelss")  # torchaudio's InverseMelScale(driver=...)


class InverseMelScale(ExactBuffersModule):
    """Linear-frequency spectrogram from a mel spectrogram, by non-negative least squares.

    Solves ``min ||fb.T @ X - mel||`` over ``X >= 0`` for every frame at once on the device (as
    librosa.feature.inverse.mel_to_stft, without its power root), with ``fb`` the filterbank of
    :class:`~torchspec.MelScale` built from the same arguments. The input and output are in the
    same power (a power mel spectrogram gives a power linear spectrogram).

    Args:
        n_stft: number of STFT bins, ``n_fft // 2 + 1``, >= 2.
        n_mels, sample_rate, f_min, f_max, norm, mel_scale: as :class:`~torchspec.MelScale`.
        driver: torchaudio's argument, accepted so that its code runs unchanged: the LAPACK
            routine of its unconstrained least squares (``"gels"``, ``"gelsy"``, ``"gelsd"``
            or ``"gelss"``). The non-negative solver here has no such choice; it is checked
            and kept, nothing else.

    Keyword-only args:
        n_iter: accelerated projected-gradient iterations, >= 0. Default 200: mel residual
            below 1e-3 relative for 128 mels from 1025 bins on both mel scales, with and
            without Slaney norm (measured 5.7e-4 at worst, HTK without norm), and the lowest
            recovered-magnitude error on real recordings, below librosa's mel_to_stft and the
            one-step solution (``benchmarks/bench_inverse.py``). ``n_iter=0`` is torchaudio's
            algorithm: the minimum-norm least squares solution with negatives clipped, one
            product, piecewise linear with a single clip. Its gradient passes finite-difference
            checks (torchaudio's gradcheck and gradgradcheck); the iterations clip at every
            step, so a finite difference of the default straddles clips and ``gradcheck``
            fails on it, though autograd's gradient is exact almost everywhere.
        device, dtype: where and in which dtype the filterbank is held.

    Shapes: input ``(..., n_mels, time)`` non-negative; output ``(..., n_stft, time)``.

    Forward is :func:`torchspec.functional.inverse_filterbank`.

    Differs from torchaudio's, which solves unconstrained least squares and clips negatives to
    zero afterwards: that leaves a mel residual of several percent. Bins that no filter covers
    (below 1e-10 of the largest filter weight) are unconstrained and come out 0.
    """

    fb: Tensor
    pinv: Tensor
    step: Tensor

    def __init__(
        self,
        n_stft: int,
        n_mels: int = 128,
        sample_rate: float = 16000,
        f_min: float = 0.0,
        f_max: float | None = None,
        norm: str | None = None,
        mel_scale: str = "htk",
        driver: str = "gels",
        *,
        n_iter: int = 200,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if driver not in DRIVERS:
            raise ValueError(f"driver must be one of {', '.join(DRIVERS)}; got {driver!r}")
        self.driver = driver
        n_iter = check_int("n_iter", n_iter, minimum=0)
        dtype, device = check_dtype(dtype), check_device_arg(device)
        bank, _, f_max = mel_filterbank_checked(
            n_mels, sample_rate, f_min, f_max, n_stft, norm, mel_scale
        )
        self.register_exact_buffer("fb", bank, dtype=dtype, device=device)
        self._build_pinv()
        self.n_stft, self.n_mels, self.n_iter = n_stft, n_mels, n_iter
        self.sample_rate, self.f_min, self.f_max = sample_rate, f_min, f_max

    def forward(self, melspec: Tensor) -> Tensor:
        """Args: melspec ``(..., n_mels, time)``. Returns ``(..., n_stft, time)``."""
        if not scripting():
            check_spectrogram(melspec, self.n_mels, "InverseMelScale")
            # negatives within 1e-6 of the peak are rounding (or a finite-difference probe):
            # non-negative least squares is defined for them
            check_non_negative(melspec, "InverseMelScale", "mel spectrogram", rounding=1e-6)
        return TF.inverse_filterbank(
            melspec, self.fb, pinv=self.pinv, step=self.step, n_iter=self.n_iter
        )

    def _build_pinv(self) -> None:
        pinv, step = TF.filterbank_pinv(self.master("fb"))
        for name, value in (("pinv", pinv), ("step", step)):
            self.register_exact_buffer(
                name, value, dtype=self.fb.dtype, device=self.fb.device, persistent=False
            )

    def rebuild_derived(self) -> None:
        """The pseudo-inverse follows a filterbank loaded from a checkpoint."""
        self._build_pinv()
