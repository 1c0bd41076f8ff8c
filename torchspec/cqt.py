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

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import conv, filters
from .base import ExactBuffersModule
from .checks import check_choice, check_int, check_waveform, compute_dtype
from .spectrogram import _check_device, _power

C1_HZ = 32.70319566257483
PASSBAND = 0.4  # fraction of a decimated copy's sampling rate that it keeps exactly
EDGE = 64  # samples at the lowest rate between the padded signal's ends and any frame


def _is_power_of_two_factor(hop: int) -> int:
    """Largest power of two dividing ``hop``."""
    return hop & -hop


def _decimated_copies(signal: Tensor, factors: list[int]) -> dict[int, Tensor]:
    """Copies of ``(batch, time)`` ``signal`` at ``1/d`` of its rate for each power of two ``d``.

    One FFT: copy ``d`` keeps the spectrum below ``PASSBAND`` of its own rate exactly, a raised
    cosine takes it to zero at its Nyquist frequency, and an inverse FFT of ``1/d`` of the
    length gives samples ``0, d, 2d, ...`` of that band-limited signal.
    """
    top = max(factors)
    length = -(-signal.shape[-1] // (2 * top)) * (2 * top)
    spectrum = torch.fft.rfft(signal, n=length)
    copies = {}
    for factor in factors:
        if factor == 1:
            copies[1] = signal
            continue
        size = length // factor
        nu = torch.arange(size // 2 + 1, device=signal.device, dtype=signal.dtype) / size
        ramp = ((nu - PASSBAND) / (0.5 - PASSBAND)).clamp(0, 1)
        taper = 0.5 + 0.5 * torch.cos(math.pi * ramp)
        copies[factor] = torch.fft.irfft(spectrum[:, : size // 2 + 1] * taper, n=size) / factor
    return copies


def _decimate_kernels(kernels: Tensor, half: int, factor: int) -> Tensor:
    """Kernels for a signal decimated by ``factor``: every ``factor``-th tap around the centre
    (index ``half``), times ``factor``.

    ``sum_j k(j) x(t + j) = factor * sum_m k(m * factor) x(t + m * factor)`` when kernel and
    signal are band-limited below the decimated Nyquist frequency: the decimated sum evaluates
    the same wavelets at the same instants.
    """
    if factor == 1:
        return kernels
    low_half = -(-half // factor)
    taps = torch.arange(-low_half, low_half) * factor + half
    inside = (taps >= 0) & (taps < kernels.shape[-1])
    out = torch.zeros(*kernels.shape[:-1], 2 * low_half, dtype=kernels.dtype)
    out[..., inside] = kernels[..., taps[inside]] * factor
    return out


def wavelet_plan(
    sample_rate: float,
    f_min: float,
    n_bins: int,
    bins_per_octave: int,
    *,
    gamma: float | None,
    filter_scale: float,
    window: str,
) -> tuple[Tensor, Tensor, Tensor]:
    """Validate the bank's parameters (ValueError naming the parameter and its limit) and
    return each bin's centre frequency (Hz), relative bandwidth ``alpha`` and fractional
    length (samples), as librosa.vqt computes them.

    Raises:
        ValueError: also when the top bin's band (librosa's cut-off) reaches above
            ``sample_rate / 2``.
    """
    if not (isinstance(sample_rate, (int, float)) and sample_rate > 0):
        raise ValueError(f"sample_rate must be > 0 Hz, got {sample_rate!r}")
    if not (isinstance(f_min, (int, float)) and f_min > 0):
        raise ValueError(f"f_min must be > 0 Hz, got {f_min!r}")
    check_int("n_bins", n_bins, minimum=1)
    check_int("bins_per_octave", bins_per_octave, minimum=1)
    if gamma is not None and not gamma >= 0:
        raise ValueError(f"gamma must be >= 0 Hz or None, got {gamma!r}")
    if not filter_scale > 0:
        raise ValueError(f"filter_scale must be > 0, got {filter_scale!r}")
    check_choice("window", window, tuple(filters.CQT_WINDOWS))
    freqs = filters.geometric_frequencies(f_min, n_bins, bins_per_octave)
    alpha = filters.relative_bandwidth(freqs, bins_per_octave)
    gammas = filters.erb_gamma(alpha) if gamma is None else torch.full_like(freqs, gamma)
    lengths = filters.wavelet_lengths(
        freqs, alpha, sample_rate=sample_rate, filter_scale=filter_scale, gamma=gammas
    )
    bandwidth = filters.CQT_WINDOWS[window][1]
    cutoffs = freqs * (1 + 0.5 * bandwidth * alpha / filter_scale) + 0.5 * gammas
    nyquist = sample_rate / 2
    if float(cutoffs.max()) > nyquist:
        raise ValueError(
            f"the top bin's band reaches {float(cutoffs.max()):.1f} Hz, above "
            f"sample_rate/2 = {nyquist} Hz: lower f_min, n_bins or bins_per_octave "
            f"(top bin now at {float(freqs[-1]):.1f} Hz)"
        )
    return freqs, alpha, lengths


class VQT(ExactBuffersModule):
    r"""Variable-Q transform with librosa's wavelets; ``gamma=0`` is the constant-Q transform.

    Bin ``k`` at ``f_k = f_min * 2**(k / bins_per_octave)`` is the convolution of the signal with
    the wavelet ``psi_k`` of librosa.filters.wavelet (a window of fractional length
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
        filter_scale: > 0, scales every filter length. Default 1.
        norm: ``L_p`` norm of each wavelet: 1 (default), 2, ``math.inf`` or None.
        window: ``"hann"`` (default), ``"hamming"``, ``"blackman"`` or ``"boxcar"``.
        scale: multiply bin ``k`` by ``sqrt(L_k)`` (librosa's ``scale=True``). Default True.
        center: frame ``t`` centred at sample ``t * hop_length`` (padding with ``pad_mode``); if
            False, frames start at the first sample that gives every bin a full wavelet.
        pad_mode: ``"constant"`` (zeros, default, as librosa.cqt), ``"reflect"``, ...
        power: None (default) for complex output, else ``|C| ** power``.
        trainable: make the wavelets ``nn.Parameter`` s (one per octave); always direct route.
        device, dtype: where and in which dtype the kernels are held.

    Shapes:
        input ``(..., time)``; output ``(..., n_bins, frames)`` with ``1 + time // hop_length``
        frames when centred (librosa's count).

    Raises:
        ValueError: at construction, for a top bin whose band reaches above ``sample_rate / 2``
            and for parameters out of range; in forward, for bad input.
    """

    def __init__(
        self,
        sample_rate: float = 22050,
        hop_length: int = 512,
        f_min: float = C1_HZ,
        n_bins: int = 84,
        bins_per_octave: int = 12,
        *,
        gamma: float | None = None,
        filter_scale: float = 1.0,
        norm: float | None = 1,
        window: str = "hann",
        scale: bool = True,
        center: bool = True,
        pad_mode: str = "constant",
        power: float | None = None,
        trainable: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_int("hop_length", hop_length, minimum=1)
        check_choice("norm", norm, (1, 2, math.inf, None))
        check_choice("pad_mode", pad_mode, conv.PAD_MODES)
        if power is not None and not (isinstance(power, (int, float)) and power > 0):
            raise ValueError(f"power must be a number > 0 or None, got {power!r}")

        self.sample_rate, self.hop_length, self.f_min = float(sample_rate), hop_length, f_min
        self.n_bins, self.bins_per_octave, self.filter_scale = n_bins, bins_per_octave, filter_scale
        self.norm, self.window, self.scale, self.center = norm, window, bool(scale), bool(center)
        self.pad_mode, self.power, self.trainable = pad_mode, power, bool(trainable)

        freqs, _, lengths = wavelet_plan(
            sample_rate,
            f_min,
            n_bins,
            bins_per_octave,
            gamma=gamma,
            filter_scale=filter_scale,
            window=window,
        )
        self.gamma = gamma
        bandwidth = filters.CQT_WINDOWS[window][1]
        self._freqs, self._lengths = freqs, lengths
        # Where a wavelet's spectrum has fallen to its far sidelobes: the centre plus twice the
        # window's noise bandwidth in bins of sample_rate / L (3 bins for Hann). A decimated copy
        # must keep this exactly, or the wavelet sampled every d taps aliases (measured: 5e-4
        # of |C| at most, against 5e-3 when keeping only librosa's cut-off).
        spread = freqs + 2 * bandwidth * sample_rate / lengths
        gain = lengths.sqrt() if scale else torch.ones_like(lengths)

        # Octave groups from the top, as librosa: the lowest group may be partial.
        self._groups: list[tuple[int, int, int]] = []  # (first bin, end bin, decimation)
        end, factor = n_bins, 1
        hop_factor = _is_power_of_two_factor(hop_length)
        while end > 0:
            start = max(0, end - bins_per_octave)
            band = float(spread[start:end].max())
            while factor < hop_factor and band <= PASSBAND * sample_rate / (2 * factor):
                factor *= 2
            self._groups.insert(0, (start, end, factor))
            end = start

        for g, (start, end, factor) in enumerate(self._groups):
            half = math.ceil(float(lengths[start:end].max()) / 2) + 1
            direct = (
                filters.cqt_kernels(
                    freqs[start:end],
                    lengths[start:end],
                    sample_rate=sample_rate,
                    window=window,
                    norm=norm,
                    half=half,
                )
                * gain[start:end, None, None]
            )
            if self.trainable:
                self.register_parameter(
                    f"kernels_{g}", nn.Parameter(direct.to(device=device, dtype=dtype))
                )
                continue
            self.register_exact_buffer(
                f"kernels_{g}", direct, dtype=dtype, device=device, persistent=False
            )
            low = _decimate_kernels(direct, half, factor)
            self.register_exact_buffer(
                f"multirate_kernels_{g}", low, dtype=dtype, device=device, persistent=False
            )
        self._reach = max(self._half(g, direct=True) for g in range(len(self._groups)))

    def _half(self, group: int, *, direct: bool) -> int:
        name = f"kernels_{group}" if direct else f"multirate_kernels_{group}"
        return getattr(self, name).shape[-1] // 2

    @property
    def frequencies(self) -> Tensor:
        """Centre frequency of every bin in Hz, ``(n_bins,)`` float64."""
        return self._freqs.clone()

    @property
    def lengths(self) -> Tensor:
        """Fractional wavelet length of every bin in samples, ``(n_bins,)`` float64."""
        return self._lengths.clone()

    def filterbank(self) -> list[Tensor]:
        """Direct-route kernels per octave group, lowest first: ``(bins, 2, 2 * half)`` each."""
        return [getattr(self, f"kernels_{g}") for g in range(len(self._groups))]

    def n_frames(self, length: int) -> int:
        """Number of output frames for an input of ``length`` samples."""
        if self.center:
            return 1 + length // self.hop_length
        return 1 + (length - 2 * self._reach) // self.hop_length

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns ``(..., n_bins, frames)``."""
        name = type(self).__name__
        check_waveform(waveform, name)
        _check_device(waveform, self.kernels_0, name)
        length = waveform.shape[-1]
        if not self.center and length < 2 * self._reach:
            raise ValueError(
                f"{name}: with center=False the input needs at least {2 * self._reach} samples "
                f"(the longest wavelet), got {length}; use center=True"
            )
        dtype = compute_dtype(waveform.dtype)
        x = waveform.to(dtype).reshape(-1, length)
        if self.trainable or not self._multirate_fits(length):
            pairs = self._direct(x)
        else:
            pairs = self._multirate(x)
        spec = conv.to_complex(pairs).reshape(*waveform.shape[:-1], self.n_bins, -1)
        return _power(spec, self.power, waveform.dtype)

    def _direct(self, x: Tensor) -> Tensor:
        """``(batch, time)`` -> ``(batch, n_bins, 2, frames)`` by the definition."""
        out = []
        for g, kernels in enumerate(self.filterbank()):
            half = self._half(g, direct=True)
            if self.center:
                signal, framing = x, conv.Framing(2 * half, self.hop_length, 0, True, self.pad_mode)
            else:
                skip = self._reach - half
                signal = x[:, skip : x.shape[-1] - skip]
                framing = conv.Framing(2 * half, self.hop_length, 0, False, self.pad_mode)
            out.append(conv.analyse(signal, kernels.to(x.dtype), framing, type(self).__name__))
        return torch.cat(out, dim=1)

    def _padding(self) -> tuple[int, int]:
        """Full-rate samples padded (left, right) before decimation: the longest multirate
        wavelet's reach plus the filter cascade's edge, with frame 0's centre on a sample of
        every decimated copy."""
        top = max(factor for _, _, factor in self._groups)
        reach = max(
            self._half(g, direct=False) * factor for g, (_, _, factor) in enumerate(self._groups)
        )
        need = reach + EDGE * top
        offset = 0 if self.center else self._reach  # centre of frame 0 in the input
        left = -(-(need + offset) // top) * top - offset
        return left, need + top

    def _multirate_fits(self, length: int) -> bool:
        if self.pad_mode in ("reflect", "circular"):
            return length > max(self._padding())
        return True

    def _multirate(self, x: Tensor) -> Tensor:
        """``(batch, time)`` -> ``(batch, n_bins, 2, frames)`` on decimated copies."""
        left, right = self._padding()
        centre = left + (0 if self.center else self._reach)  # frame 0, full rate, padded
        n_frames = self.n_frames(x.shape[-1])
        signal = x.unsqueeze(1)
        if self.pad_mode == "constant":
            signal = F.pad(signal, (left, right))
        else:
            signal = F.pad(signal, (left, right), mode=self.pad_mode)
        levels = _decimated_copies(signal[:, 0], sorted({f for _, _, f in self._groups}))
        out = []
        for g, (_, _, factor) in enumerate(self._groups):
            half = self._half(g, direct=False)
            kernels = getattr(self, f"multirate_kernels_{g}").to(x.dtype)
            first = centre // factor - half  # start of frame 0 at this level
            hop = self.hop_length // factor
            span = (n_frames - 1) * hop + 2 * half
            level = levels[factor][:, first : first + span]
            framing = conv.Framing(2 * half, hop, 0, False, "constant")
            out.append(conv.analyse(level, kernels, framing, type(self).__name__))
        return torch.cat(out, dim=1)

    def extra_repr(self) -> str:
        return (
            f"sample_rate={self.sample_rate:g}, hop_length={self.hop_length}, "
            f"f_min={self.f_min:.2f}, n_bins={self.n_bins}, "
            f"bins_per_octave={self.bins_per_octave}, gamma={self.gamma}, "
            f"trainable={self.trainable}"
        )


class CQT(VQT):
    """Constant-Q transform: :class:`VQT` with ``gamma=0`` (librosa.cqt's meaning and defaults).

    Args and shapes as :class:`VQT`, without ``gamma``.
    """

    def __init__(
        self,
        sample_rate: float = 22050,
        hop_length: int = 512,
        f_min: float = C1_HZ,
        n_bins: int = 84,
        bins_per_octave: int = 12,
        *,
        filter_scale: float = 1.0,
        norm: float | None = 1,
        window: str = "hann",
        scale: bool = True,
        center: bool = True,
        pad_mode: str = "constant",
        power: float | None = None,
        trainable: bool = False,
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
            filter_scale=filter_scale,
            norm=norm,
            window=window,
            scale=scale,
            center=center,
            pad_mode=pad_mode,
            power=power,
            trainable=trainable,
            device=device,
            dtype=dtype,
        )
