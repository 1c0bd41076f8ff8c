"""Constant-Q and variable-Q transforms: CQT, VQT.

One layer, two routes that compute the same function:

- direct (the definition; the trainable path): every bin's wavelet correlated with centred
  frames of the full-rate signal by the shared analysis primitive, one call per octave so that
  short kernels are not padded to the longest one;
- multirate (fixed kernels): each octave is analysed on a copy of the signal decimated by the
  largest power of two ``d`` that its bandwidth and ``hop_length`` allow. The copies come from
  one FFT of the padded signal: the spectrum below ``0.4 * rate / d`` is kept exactly, tapered
  to zero at the decimated Nyquist frequency (raised cosine), and inverted at ``1/d`` of the
  length. Nothing aliases, the passband has no ripple, and the kernels are the full-rate
  wavelets sampled every ``d`` taps, so frames land on the same instants; any hop works (a
  hop with few factors of two simply decimates less).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from . import conv
from . import functional as TF
from .base import ExactBuffersModule, layer_dtype
from .checks import (
    EmptyFilterWarning,
    check_bool,
    check_choice,
    check_complex_spectrogram,
    check_device,
    check_device_arg,
    check_dtype,
    check_int,
    check_number,
    check_power,
    check_route,
    check_waveform,
    compute_dtype,
    empty_batch,
    mark_power,
)
from .functional.cqt import C1_HZ, EDGE, PASSBAND
from .functional.cqt import n_frames as cqt_n_frames
from .functional.spectral import as_input_dtype
from .tracing import NotScriptable

CQT_ROUTES = ("multirate", "direct")
NORMS = (1, 2, math.inf, None)
MAX_WAVELET = 2**22  # samples: longer wavelets (f_min far below 1 Hz) are refused


def wavelet_plan(
    sample_rate: object,
    f_min: object,
    n_bins: object,
    bins_per_octave: object,
    *,
    gamma: object,
    filter_scale: object,
    window: object,
    tuning: object = 0.0,
    intervals: object = "equal",
) -> tuple[Tensor, Tensor, Tensor]:
    """Validate the bank's parameters (TypeError/ValueError naming the parameter and its limit)
    and return each bin's centre frequency (Hz), relative bandwidth ``alpha`` and fractional
    length (samples), as librosa.vqt computes them.

    Raises:
        ValueError: also when the top bin's band (librosa's cut-off) reaches above
            ``sample_rate / 2``.
    """
    rate = check_number("sample_rate", sample_rate, above=0)
    low = check_number("f_min", f_min, above=0)
    n_bins = check_int("n_bins", n_bins, minimum=1)
    bins_per_octave = check_int("bins_per_octave", bins_per_octave, minimum=1)
    tuning = check_number("tuning", tuning, at_least=-0.5, at_most=0.5)
    if gamma is not None:
        gamma = check_number("gamma", gamma, at_least=0)
    scale = check_number("filter_scale", filter_scale, above=0)
    window_name: str = check_choice("window", window, tuple(TF.CQT_WINDOWS))
    ratios = _check_intervals(intervals)
    low = low * 2.0 ** (tuning / bins_per_octave)
    nyquist = rate / 2
    per_octave = bins_per_octave if ratios is None else len(ratios)
    fraction = (n_bins - 1) % per_octave / per_octave if ratios is None else 0.0
    top = math.log2(low) + (n_bins - 1) // per_octave + fraction  # log2 of (a bound on) f_top
    if top >= math.log2(nyquist):  # before building anything: n_bins may be huge
        raise ValueError(
            f"the top bin lies at or above sample_rate/2 = {nyquist:g} Hz (n_bins={n_bins}, "
            f"f_min={low:g} Hz): lower f_min, n_bins or bins_per_octave"
        )
    freqs = TF.cqt_frequencies(
        n_bins, f_min=low, bins_per_octave=bins_per_octave, intervals=ratios or "equal"
    )
    alpha = TF.relative_bandwidth(freqs, bins_per_octave)
    gammas = TF.erb_gamma(alpha) if gamma is None else torch.full_like(freqs, gamma)
    lengths = TF.wavelet_lengths(freqs, alpha, sample_rate=rate, filter_scale=scale, gamma=gammas)
    longest = float(lengths.max())
    if not longest <= MAX_WAVELET:
        raise ValueError(
            f"f_min={low:g} Hz gives a wavelet of {longest:.3g} samples at {rate:g} Hz, longer "
            f"than {MAX_WAVELET} ({MAX_WAVELET / rate:.0f} s): raise f_min"
        )
    short = int((lengths < 2).sum())
    if short:
        warnings.warn(
            f"{short} of {n_bins} bins have wavelets shorter than 2 samples (the shortest "
            f"{float(lengths.min()):.2f}): a wavelet of one sample does not resolve its "
            "frequency. Raise filter_scale, lower gamma or lower the top bin",
            EmptyFilterWarning,
            stacklevel=4,
        )
    bandwidth = TF.CQT_WINDOWS[window_name][1]
    cutoffs = freqs * (1 + 0.5 * bandwidth * alpha / scale) + 0.5 * gammas
    if float(cutoffs.max()) > nyquist:
        raise ValueError(
            f"the top bin's band reaches {float(cutoffs.max()):.1f} Hz, above "
            f"sample_rate/2 = {nyquist:g} Hz: lower f_min, n_bins or bins_per_octave "
            f"(top bin now at {float(freqs[-1]):.1f} Hz)"
        )
    return freqs, alpha, lengths


def _check_intervals(intervals: object) -> list[float] | None:
    """``"equal"`` (None) or a sequence of distinct frequency ratios in ``[1, 2)``."""
    if isinstance(intervals, str):
        check_choice("intervals", intervals, ("equal",))
        return None
    if not isinstance(intervals, (list, tuple, np.ndarray, Tensor)):
        raise TypeError(f"intervals must be 'equal' or a sequence of ratios, got {intervals!r}")
    ratios = [check_number("intervals[i]", r, at_least=1, below=2) for r in list(intervals)]
    if not ratios or len(set(ratios)) != len(ratios):
        raise ValueError(f"intervals must be distinct ratios in [1, 2), got {intervals!r}")
    return ratios


class VQT(NotScriptable, ExactBuffersModule):
    r"""Variable-Q transform with librosa's wavelets; ``gamma=0`` is the constant-Q transform.

    Bin ``k`` at ``f_k = f_min * 2**(k / bins_per_octave)`` is the convolution of the signal with
    the wavelet ``psi_k`` of librosa.TF.wavelet (a window of fractional length
    ``L_k = filter_scale / alpha_k * sample_rate / (f_k + gamma_k / alpha_k)`` times a complex
    exponential, ``L_p``-normalised), evaluated at the frame centres ``t * hop_length``, times
    ``sqrt(L_k)`` when ``scale`` is True: the quantity librosa.vqt / librosa.cqt compute (librosa
    approximates it by multirate resampling, within about 1% for CQT).

    Args:
        sample_rate: sampling rate in Hz. Default 22050.
        hop_length: samples between frames, any integer >= 1. Default 512.
        f_min: centre of the lowest bin in Hz, > 0. Default 32.70 (C1).
        n_bins: number of bins, >= 1. Default 84.
        bins_per_octave: >= 1. Default 12.

    Keyword-only args:
        gamma: bandwidth offset in Hz, >= 0; None (default) for librosa's ERB-based
            ``24.7 * alpha / 0.108``. :class:`CQT` fixes it to 0.
        tuning: offset of ``f_min`` in fractions of a bin, in ``[-0.5, 0.5]`` (librosa's
            ``tuning``): the bins sit at ``f_min * 2 ** ((k + tuning) / bins_per_octave)``.
            Default 0.
        intervals: ``"equal"`` (default) or a sequence of distinct frequency ratios in
            ``[1, 2)``: bin centres are ``f_min`` times those ratios, repeated an octave higher
            each time (librosa.vqt's ``intervals``, e.g. just intonation). VQT only.
        sparsity: fraction of each wavelet's spectral L1 mass dropped, in ``[0, 1)``, as
            librosa's FFT-domain basis does (its default is 0.01); the kernels then also lose
            their negative-frequency part, as librosa's. Default 0: the exact wavelet
            transform. With 0.01 an octave computed at the full rate (a single-octave CQT, the
            top octave) equals librosa.cqt to 1e-5; lower octaves are sparsified at the rate
            torchspec computes them, so they stay 0.2-1% from librosa's resampled ones.
        filter_scale: > 0, scales every filter length. Default 1.
        norm: ``L_p`` norm of each wavelet: 1 (default), 2, ``math.inf`` or None.
        window: ``"hann"`` (default), ``"hamming"``, ``"blackman"`` or ``"boxcar"``.
        scale: multiply bin ``k`` by ``sqrt(L_k)`` (True, default); False multiplies by
            ``L_k``, librosa's ``scale=False`` (its response without length normalisation).
        center: frame ``t`` centred at sample ``t * hop_length`` (padding with ``pad_mode``); if
            False, frames start at the first sample that gives every bin a full wavelet.
        pad_mode: ``"constant"`` (zeros, default, as librosa.cqt), ``"reflect"``, ...
        power: None (default) for complex output, else ``|C| ** power``.
        trainable: make the wavelets ``nn.Parameter`` s (one per octave); always direct route.
        route: ``"multirate"`` or ``"direct"``; None (default) picks ``"multirate"`` for fixed
            kernels and ``"direct"`` for trainable ones. Read back as :attr:`route`. Exported
            to ONNX, the multirate route decimates by strided convolutions instead of its FFT
            (:func:`torchspec.functional.cqt.fir_decimate`; within 7e-6 of the eager result).
        device, dtype: where and in which dtype the kernels are held.

    Shapes:
        input ``(..., time)``; output ``(..., n_bins, frames)`` with ``1 + time // hop_length``
        frames when centred (librosa's count).

    Raises:
        ValueError: at construction, for a top bin whose band reaches above ``sample_rate / 2``
            and for parameters out of range; in forward, for bad input.
    """

    multirate_kernels_0: Tensor
    script_refusal: ClassVar[str] = (
        "its multirate plan (a kernel bank and a resampling step per octave) is not ported to "
        "TorchScript"
    )

    def __init__(
        self,
        sample_rate: float = 22050,
        hop_length: int = 512,
        f_min: float = C1_HZ,
        n_bins: int = 84,
        bins_per_octave: int = 12,
        *,
        gamma: float | None = None,
        tuning: float = 0.0,
        intervals: str | Sequence[float] = "equal",
        sparsity: float = 0.0,
        filter_scale: float = 1.0,
        norm: float | None = 1,
        window: str = "hann",
        scale: bool = True,
        center: bool = True,
        pad_mode: str = "constant",
        power: float | None = None,
        trainable: bool = False,
        route: str | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        hop_length = check_int("hop_length", hop_length, minimum=1)
        norm = check_choice("norm", norm, NORMS)
        pad_mode = check_choice("pad_mode", pad_mode, conv.PAD_MODES)
        power = check_power(power, optional=True)
        trainable = check_bool("trainable", trainable)
        self._route = check_route(route, CQT_ROUTES, "direct" if trainable else "multirate")
        if self._route == "multirate" and trainable:
            raise ValueError("route='multirate' needs fixed kernels: use trainable=False")
        dtype, device = check_dtype(dtype), check_device_arg(device)

        freqs, _, lengths = wavelet_plan(
            sample_rate,
            f_min,
            n_bins,
            bins_per_octave,
            gamma=gamma,
            filter_scale=filter_scale,
            window=window,
            tuning=tuning,
            intervals=intervals,
        )
        self.sample_rate, self.hop_length, self.f_min = float(sample_rate), hop_length, f_min
        self.n_bins, self.bins_per_octave, self.filter_scale = n_bins, bins_per_octave, filter_scale
        self.norm, self.window, self.scale = norm, window, check_bool("scale", scale)
        self.center, self.pad_mode = check_bool("center", center), pad_mode
        self.power, self.trainable, self.tuning = power, trainable, float(tuning)
        self.sparsity = check_number("sparsity", sparsity, at_least=0, below=1)
        self.gamma = gamma
        bandwidth = TF.CQT_WINDOWS[window][1]
        self._freqs, self._lengths = freqs, lengths
        # Where a wavelet's spectrum has fallen to its far sidelobes: the centre plus twice the
        # window's noise bandwidth in bins of sample_rate / L (3 bins for Hann). A decimated copy
        # must keep this exactly, or the wavelet sampled every d taps aliases (measured: 5e-4
        # of |C| at most, against 5e-3 when keeping only librosa's cut-off).
        spread = freqs + 2 * bandwidth * sample_rate / lengths

        # Octave groups from the top, as librosa: the lowest group may be partial.
        self._groups: list[tuple[int, int, int]] = []  # (first bin, end bin, decimation)
        end, factor = n_bins, 1
        hop_factor = hop_length & -hop_length  # largest power of two dividing the hop
        while end > 0:
            start = max(0, end - bins_per_octave)
            band = float(spread[start:end].max())
            while factor < hop_factor and band <= PASSBAND * sample_rate / (2 * factor):
                factor *= 2
            self._groups.insert(0, (start, end, factor))
            end = start

        wavelets = self._wavelet_kernels()
        self._reach = max(bank.shape[-1] // 2 for bank in wavelets)
        reaches = []
        for g, (direct, (_, _, factor)) in enumerate(zip(wavelets, self._groups, strict=True)):
            if self._route == "direct":
                kernels = TF.sparsify_kernels(direct, self.sparsity)
                reaches.append(kernels.shape[-1] // 2)
            else:
                kernels = TF.sparsify_kernels(TF.decimate_kernels(direct, factor), self.sparsity)
                reaches.append(kernels.shape[-1] // 2 * factor)
            if self.trainable:
                param = kernels.to(device=device, dtype=layer_dtype(dtype))
                self.register_parameter(f"kernels_{g}", nn.Parameter(param))
            else:
                name = "kernels" if self._route == "direct" else "multirate_kernels"
                self.register_exact_buffer(
                    f"{name}_{g}", kernels, dtype=dtype, device=device, persistent=False
                )
        if self.sparsity > 0:  # the sparsified kernels span librosa's FFT frames
            self._reach = max(reaches)

    @property
    def reach(self) -> int:
        """Samples on either side of a frame's centre that the longest wavelet reads."""
        return self._reach

    @property
    def context(self) -> int:
        """Samples on either side of a frame's centre that can change it: :attr:`reach`, plus
        the decimation filter's margin on the multirate route. Computing a long signal in
        pieces that overlap by this much gives the same frames (to float rounding)."""
        if self._route == "direct":
            return self._reach
        return self._reach + EDGE * max(factor for _, _, factor in self._groups)

    @property
    def route(self) -> str:
        """``"multirate"`` (fixed kernels, octaves on decimated copies) or ``"direct"`` (the
        definition at the full rate; trainable layers). Chosen in ``__init__``."""
        return self._route

    @property
    def frequencies(self) -> Tensor:
        """Centre frequency of every bin in Hz, ``(n_bins,)`` float64."""
        return self._freqs.clone()

    @property
    def lengths(self) -> Tensor:
        """Fractional wavelet length of every bin in samples, ``(n_bins,)`` float64."""
        return self._lengths.clone()

    def filterbank(self) -> list[Tensor]:
        """Direct-route kernels per octave group, lowest first: ``(bins, 2, 2 * half)`` each.

        Built on request for the multirate route (its forward uses decimated kernels)."""
        if self._route == "direct":
            return [getattr(self, f"kernels_{g}") for g in range(len(self._groups))]
        reference = self.multirate_kernels_0
        return [
            TF.sparsify_kernels(bank, self.sparsity).to(
                device=reference.device, dtype=reference.dtype
            )
            for bank in self._wavelet_kernels()
        ]

    def _wavelet_kernels(self) -> list[Tensor]:
        # librosa.vqt's output is the L_p-normalised wavelet response times L (scale=False),
        # divided by sqrt(L) when scale=True.
        gain = self._lengths.sqrt() if self.scale else self._lengths
        out = []
        for start, end, _ in self._groups:
            half = math.ceil(float(self._lengths[start:end].max()) / 2) + 1
            bank = TF.cqt_kernels(
                self._freqs[start:end],
                self._lengths[start:end],
                sample_rate=self.sample_rate,
                window=self.window,
                norm=self.norm,
                half=half,
            )
            out.append(bank * gain[start:end, None, None])
        return out

    def n_frames(self, length: int) -> int:
        """Number of output frames for an input of ``length`` samples."""
        return cqt_n_frames(
            length, hop_length=self.hop_length, center=self.center, reach=self._reach
        )

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns ``(..., n_bins, frames)``."""
        name = type(self).__name__
        check_waveform(waveform, name)
        if (empty := empty_batch(waveform, 1, self.forward)) is not None:
            return empty
        length = waveform.shape[-1]
        dtype = compute_dtype(waveform.dtype)
        x = waveform.to(dtype).reshape(-1, length)  # -1: export keeps the batch dynamic
        hop, center, pad_mode = self.hop_length, self.center, self.pad_mode
        if self._route == "direct":
            kernels = [getattr(self, f"kernels_{g}") for g in range(len(self._groups))]
            check_device(waveform, kernels[0], name)
            pairs = TF.vqt_direct(
                x, kernels, hop_length=hop, center=center, pad_mode=pad_mode, layer=name
            )
        else:
            kernels = [getattr(self, f"multirate_kernels_{g}") for g in range(len(self._groups))]
            check_device(waveform, kernels[0], name)
            pairs = TF.vqt_multirate(
                x,
                kernels,
                [factor for _, _, factor in self._groups],
                hop_length=hop,
                center=center,
                pad_mode=pad_mode,
                reach=self._reach,
                layer=name,
            )
        spec = conv.to_complex(pairs).reshape(*waveform.shape[:-1], self.n_bins, -1)
        out = as_input_dtype(TF.magnitude_power(spec, self.power), waveform.dtype)
        mark_power(out, self.power)
        return out

    def extra_repr(self) -> str:
        return (
            f"sample_rate={self.sample_rate:g}, hop_length={self.hop_length}, "
            f"f_min={self.f_min:.2f}, n_bins={self.n_bins}, "
            f"bins_per_octave={self.bins_per_octave}, gamma={self.gamma}, "
            f"trainable={self.trainable}, route='{self._route}'"
        )


class CQT(VQT):
    """Constant-Q transform: :class:`VQT` with ``gamma=0`` (librosa.cqt's meaning and defaults).

    Args and shapes as :class:`VQT`, without ``gamma`` and ``intervals``.
    """

    def __init__(
        self,
        sample_rate: float = 22050,
        hop_length: int = 512,
        f_min: float = C1_HZ,
        n_bins: int = 84,
        bins_per_octave: int = 12,
        *,
        tuning: float = 0.0,
        sparsity: float = 0.0,
        filter_scale: float = 1.0,
        norm: float | None = 1,
        window: str = "hann",
        scale: bool = True,
        center: bool = True,
        pad_mode: str = "constant",
        power: float | None = None,
        trainable: bool = False,
        route: str | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(
            sample_rate,
            hop_length,
            f_min,
            n_bins,
            bins_per_octave,
            gamma=0.0,
            tuning=tuning,
            sparsity=sparsity,
            filter_scale=filter_scale,
            norm=norm,
            window=window,
            scale=scale,
            center=center,
            pad_mode=pad_mode,
            power=power,
            trainable=trainable,
            route=route,
            device=device,
            dtype=dtype,
        )


class InverseCQT(NotScriptable, ExactBuffersModule):
    """Approximate inverse of :class:`~torchspec.CQT`, as librosa.icqt.

    Octave by octave from the bottom (at the octave's rate: halved per octave while the hop is
    even), the CQT frames are mapped back to Fourier frames through the conjugate transpose of
    librosa's FFT wavelet basis (sparsified as librosa's ``sparsity``), weighted by each bin's
    inverse energy, ``sqrt(L)`` scale and ``n_fft / L``; an inverse STFT with a rectangular
    window turns them into a signal, which is upsampled to ``sample_rate`` (exact band-limited
    interpolation by FFT) and summed. Differentiable; runs batched on any device.

    It is the transpose of the analysis, not a least-squares inverse: like librosa's it is close
    to exact only where frames overlap densely (a hop well below the shortest filter) and bins
    overlap (e.g. 24 per octave, hop 64: about 40 dB on tones).

    Args:
        sample_rate, hop_length, f_min, n_bins, bins_per_octave: as :class:`~torchspec.CQT`.

    Keyword-only args:
        tuning, filter_scale, norm, window, scale: as :class:`~torchspec.CQT`.
        sparsity: fraction of each basis row's L1 mass dropped, in ``[0, 1)``. Default 0.01
            (librosa's).
        device, dtype: where and in which dtype the bases are held.

    Shapes: input ``(..., n_bins, frames)`` complex; output ``(..., time)``.
    """

    script_refusal: ClassVar[str] = "its per-octave synthesis plan is not ported to TorchScript"

    def __init__(
        self,
        sample_rate: float = 22050,
        hop_length: int = 512,
        f_min: float = C1_HZ,
        n_bins: int = 84,
        bins_per_octave: int = 12,
        *,
        tuning: float = 0.0,
        filter_scale: float = 1.0,
        norm: float | None = 1,
        window: str = "hann",
        scale: bool = True,
        sparsity: float = 0.01,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        hop_length = check_int("hop_length", hop_length, minimum=1)
        norm = check_choice("norm", norm, NORMS)
        sparsity = check_number("sparsity", sparsity, at_least=0, below=1)
        scale = check_bool("scale", scale)
        dtype, device = check_dtype(dtype), check_device_arg(device)
        freqs, alpha, lengths = wavelet_plan(
            sample_rate,
            f_min,
            n_bins,
            bins_per_octave,
            gamma=0.0,
            tuning=tuning,
            filter_scale=filter_scale,
            window=window,
        )
        n_bins, bins_per_octave = freqs.numel(), int(bins_per_octave)
        sample_rate, filter_scale = float(sample_rate), float(filter_scale)
        n_octaves = -(-n_bins // bins_per_octave)
        rates, hops = [float(sample_rate)], [hop_length]
        for _ in range(n_octaves - 1):  # librosa: halve the rate per octave while the hop is even
            halve = hops[0] % 2 == 0
            rates.insert(0, rates[0] / 2 if halve else rates[0])
            hops.insert(0, hops[0] // 2 if halve else hops[0])
        self._octaves: list[tuple[int, int, int, int]] = []  # (start, end, hop, upsampling)
        for i, (rate, hop) in enumerate(zip(rates, hops, strict=True)):
            start, end = i * bins_per_octave, min(n_bins, (i + 1) * bins_per_octave)
            at_rate = TF.wavelet_lengths(
                freqs[start:end],
                alpha[start:end],
                sample_rate=rate,
                filter_scale=filter_scale,
                gamma=0.0,
            )
            basis = TF.wavelet_basis(
                freqs[start:end], at_rate, sample_rate=rate, window=window, norm=norm
            )
            n_fft = basis.shape[-1]
            basis = basis * (at_rate[:, None] / n_fft)
            spectrum = TF.sparsify_rows(torch.fft.fft(basis)[:, : n_fft // 2 + 1], sparsity)
            inverse = spectrum.conj().t()  # (freq, bins)
            weight = n_fft / lengths[start:end] / inverse.abs().square().sum(0)
            if scale:
                weight = weight * lengths[start:end].sqrt()
            self.register_exact_buffer(
                f"synthesis_{i}",
                torch.view_as_real(inverse * weight),
                dtype=dtype,
                device=device,
                persistent=False,
            )
            self._octaves.append((start, end, hop, round(sample_rate / rate)))
        self.sample_rate, self.hop_length, self.n_bins = float(sample_rate), hop_length, n_bins
        self.bins_per_octave, self._longest = bins_per_octave, float(lengths.max())

    def forward(self, cqt: Tensor, length: int | None = None) -> Tensor:
        """Args: cqt ``(..., n_bins, frames)`` complex; length: output samples.

        Returns ``(..., time)``.
        """
        check_complex_spectrogram(cqt, self.n_bins, "InverseCQT", "CQT(power=None)")
        if length is not None:
            check_int("length", length, minimum=1)
        if (empty := empty_batch(cqt, 2, lambda c: self.forward(c, length))) is not None:
            return empty
            cqt = cqt[..., : math.ceil((length + self._longest) / self.hop_length)]
        if cqt.dtype == torch.complex128:
            dtype = torch.float64
        else:
            dtype, cqt = torch.float32, cqt.to(torch.complex64)
        lead = cqt.shape[:-2]
        synthesis = [
            torch.view_as_complex(getattr(self, f"synthesis_{i}").to(dtype))
            for i in range(len(self._octaves))
        ]
        y = TF.icqt(cqt.reshape(-1, *cqt.shape[-2:]), synthesis, self._octaves, length)
        return y.reshape(*lead, y.shape[-1])
