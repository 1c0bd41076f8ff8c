"""Spectrogram (linear and log-frequency STFT) and InverseSpectrogram."""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch
from torch import Tensor, nn

from . import conv, filters
from .base import ExactBuffersModule
from .checks import check_choice, check_int, check_waveform, compute_dtype

C1_HZ = 32.703195662574764  # lowest bin of the log-frequency STFT by default (as librosa's CQT)


def _framing(
    n_fft: int,
    win_length: int | None,
    hop_length: int | None,
    pad: int,
    center: bool,
    pad_mode: str,
) -> tuple[conv.Framing, int]:
    """Validate the torchaudio-style framing arguments; return the framing and win_length."""
    check_int("n_fft", n_fft, minimum=1)
    win_length = n_fft if win_length is None else win_length
    check_int("win_length", win_length, minimum=1)
    if win_length > n_fft:
        raise ValueError(f"win_length must be in [1, n_fft={n_fft}], got {win_length}")
    hop_length = max(win_length // 2, 1) if hop_length is None else hop_length
    check_int("hop_length", hop_length, minimum=1)
    check_int("pad", pad, minimum=0)
    check_choice("pad_mode", pad_mode, conv.PAD_MODES)
    return conv.Framing(n_fft, hop_length, pad, bool(center), pad_mode), win_length


def _norm_divisor(normalized: bool | str, window: Tensor, n_fft: int) -> float:
    """What ``normalized`` divides the STFT by: the window's L2 norm, sqrt(n_fft), or 1."""
    check_choice("normalized", normalized, (False, True, "window", "frame_length"))
    if normalized is True or normalized == "window":
        return math.sqrt(float(window.square().sum()))
    if normalized == "frame_length":
        return math.sqrt(n_fft)
    return 1.0


def _check_device(x: Tensor, reference: Tensor, layer: str) -> None:
    if x.device != reference.device:
        raise ValueError(
            f"{layer}: input is on {x.device} but the layer is on {reference.device}; "
            "move one of them, e.g. layer.to(x.device)"
        )


def _squared_magnitude(real: Tensor, imag: Tensor) -> Tensor:
    """``real**2 + imag**2``: five times faster than ``abs()**2`` on CPU, and its gradient is
    finite (zero) at zero, unlike the square root inside ``abs``."""
    return torch.addcmul(real.square(), imag, imag)


def _power(spec: Tensor, power: float | None, dtype: torch.dtype) -> Tensor:
    """``|spec| ** power`` in ``dtype``; ``spec`` itself when ``power`` is None."""
    if power is None:
        return spec
    if power == 2.0:
        out = _squared_magnitude(spec.real, spec.imag)
    elif power == 1.0:
        out = spec.abs()
    else:
        out = spec.abs().pow(power)
    return out.to(dtype)


class Spectrogram(ExactBuffersModule):
    r"""Short-time Fourier transform as a strided convolution with Fourier kernels.

    Drop-in for ``torchaudio.transforms.Spectrogram``: the positional parameters, their defaults
    and the output are torchaudio's. Keyword-only extras make the kernels trainable or space the
    bins geometrically (a log-frequency STFT).

    Frame ``t`` of bin ``f`` is ``X[f, t] = sum_n w[n] x[t*hop_length + n] exp(-2j*pi*k_f*n/n_fft)``
    over the padded input, where ``k_f = f`` (linear) or ``k_f = freq_f * n_fft / sample_rate``
    (log). The output is ``|X| ** power``, or ``X`` when ``power`` is None.

    Args:
        n_fft: frame length in samples, >= 1. Default 400.
        win_length: window length in samples, in ``[1, n_fft]``; the window is zero-padded to
            ``n_fft``, centred. Default ``n_fft``.
        hop_length: samples between frames, >= 1. Default ``win_length // 2``.
        pad: zeros added on both sides of the input before centring, >= 0. Default 0.
        window_fn: builds the window as ``window_fn(win_length, **wkwargs)``. torch's window
            functions are evaluated in float64. Default ``torch.hann_window`` (periodic).
        power: exponent of the magnitude, > 0, or None for the complex STFT. Default 2.
        normalized: False; True or ``"window"`` divides by the window's L2 norm;
            ``"frame_length"`` divides by ``sqrt(n_fft)``.
        wkwargs: keyword arguments for ``window_fn``.
        center: pad ``n_fft // 2`` samples on both sides so frame ``t`` is centred at sample
            ``t * hop_length``. Default True.
        pad_mode: how the centring pad is filled: ``"reflect"`` (default), ``"constant"``
            (zeros), ``"replicate"`` or ``"circular"``.
        onesided: return bins ``0 .. n_fft // 2`` only (True, default) or all ``n_fft``.
        return_complex: deprecated in torchaudio and ignored; ``power=None`` gives complex output.

    Keyword-only args:
        trainable: make the kernels (window folded in) an ``nn.Parameter``, initialised to the
            Fourier kernels. Default False.
        freq_scale: ``"linear"`` (DFT bins) or ``"log"``: ``n_bins`` bins geometrically spaced
            from ``f_min`` to ``f_max`` inclusive, each the windowed DTFT at its centre frequency.
        f_min: lowest log bin in Hz, > 0. Default 32.70 Hz (C1). Log scale only.
        f_max: highest log bin in Hz, in ``(f_min, sample_rate / 2]``. Default
            ``sample_rate / 2``. Log scale only.
        n_bins: number of log bins, >= 2. Default ``n_fft // 2 + 1``. Log scale only.
        sample_rate: sampling rate of the input in Hz; needed for ``freq_scale="log"`` and for
            :attr:`frequencies`.
        device, dtype: where and in which dtype the window and kernels are held.

    Shapes:
        input ``(..., time)`` real floating point (any number of leading dims, or 1-D);
        output ``(..., n_freq, n_frames)`` with ``n_freq = n_fft // 2 + 1`` (onesided),
        ``n_fft`` (two-sided) or ``n_bins`` (log), and
        ``n_frames = 1 + (time + 2*pad + 2*(n_fft//2 if center else 0) - n_fft) // hop_length``.

    Dtypes: float64 input is computed in float64; float32, float16 and bfloat16 in float32. The
    real output has the input's dtype; complex output is complex128 for float64 input and
    complex64 otherwise (PyTorch has no complex bfloat16). Kernels are rebuilt from float64
    whenever the layer changes dtype, so ``Spectrogram().double()`` is float64-exact.

    Routes: with untouched Fourier kernels (``trainable=False``, linear scale) the layer calls
    ``torch.stft``; otherwise it convolves with :meth:`filterbank`. Both compute the same function.

    Example:
        >>> spec = Spectrogram(n_fft=1024, hop_length=256, freq_scale="log",
        ...                    f_min=50.0, f_max=8000.0, n_bins=96, sample_rate=22050)
        >>> S, hz = spec(torch.randn(22050)), spec.frequencies   # (96, 87), (96,)
    """

    def __init__(
        self,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        pad: int = 0,
        window_fn: filters.WindowFn = torch.hann_window,
        power: float | None = 2.0,
        normalized: bool | str = False,
        wkwargs: dict[str, Any] | None = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool = True,
        return_complex: bool | None = None,
        *,
        trainable: bool = False,
        freq_scale: str = "linear",
        f_min: float | None = None,
        f_max: float | None = None,
        n_bins: int | None = None,
        sample_rate: float | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.framing, self.win_length = _framing(
            n_fft, win_length, hop_length, pad, center, pad_mode
        )
        if power is not None and not (isinstance(power, (int, float)) and power > 0):
            raise ValueError(f"power must be a number > 0 or None, got {power!r}")
        if return_complex is not None:
            warnings.warn(
                "return_complex is ignored (as in torchaudio, where it is deprecated); "
                "use power=None for a complex spectrogram",
                DeprecationWarning,
                stacklevel=2,
            )
        check_choice("freq_scale", freq_scale, ("linear", "log"))
        if sample_rate is not None and not sample_rate > 0:
            raise ValueError(f"sample_rate must be > 0, got {sample_rate!r}")
        self.n_fft, self.hop_length, self.pad = n_fft, self.framing.hop_length, pad
        self.center, self.pad_mode = self.framing.center, pad_mode
        self.power = None if power is None else float(power)
        self.normalized, self.onesided = normalized, bool(onesided)
        self.trainable, self.freq_scale, self.sample_rate = bool(trainable), freq_scale, sample_rate

        window = filters.make_window(window_fn, self.win_length, wkwargs)
        self._divisor = _norm_divisor(normalized, window, n_fft)
        self.register_exact_buffer("window", window, dtype=dtype, device=device)
        self._bins = self._bin_positions(f_min, f_max, n_bins)
        self.f_min, self.f_max = f_min, f_max
        if self.freq_scale == "log":
            self.f_min, self.f_max = float(self._log_hz[0]), float(self._log_hz[-1])

        if self.trainable:
            kernels = self._fourier_kernels().to(device=device, dtype=dtype)
            self.kernels = nn.Parameter(kernels)
        elif self.freq_scale == "log":
            self.register_exact_buffer(
                "kernels", self._fourier_kernels(), dtype=dtype, device=device, persistent=False
            )

    def _bin_positions(
        self, f_min: float | None, f_max: float | None, n_bins: int | None
    ) -> Tensor:
        """Bin positions in units of ``sample_rate / n_fft`` (int64 for linear, float64 for log)."""
        if self.freq_scale == "linear":
            for name, value in (("f_min", f_min), ("f_max", f_max), ("n_bins", n_bins)):
                if value is not None:
                    raise ValueError(f"{name} applies only to freq_scale='log'")
            return filters.linear_bins(self.n_fft, onesided=self.onesided)
        if self.sample_rate is None:
            raise ValueError("freq_scale='log' needs sample_rate (Hz) to place its bins")
        if not self.onesided:
            raise ValueError("onesided=False applies only to freq_scale='linear'")
        nyquist = self.sample_rate / 2
        f_min = C1_HZ if f_min is None else f_min
        f_max = nyquist if f_max is None else f_max
        n_bins = self.n_fft // 2 + 1 if n_bins is None else n_bins
        if not 0 < f_min < nyquist:
            raise ValueError(f"f_min must be in (0, sample_rate/2 = {nyquist}) Hz, got {f_min}")
        if not f_min < f_max <= nyquist:
            raise ValueError(
                f"f_max must be in (f_min = {f_min}, sample_rate/2 = {nyquist}] Hz, got {f_max}"
            )
        check_int("n_bins", n_bins, minimum=2)
        self._log_hz = filters.log_frequencies(f_min, f_max, n_bins)
        return self._log_hz * (self.n_fft / self.sample_rate)

    def _fourier_kernels(self) -> Tensor:
        window = filters.pad_window(self._masters["window"], self.n_fft)
        return filters.fourier_kernels(window, self._bins)

    @property
    def frequencies(self) -> Tensor:
        """Centre frequency of every output bin in Hz, ``(n_freq,)`` float64.

        For a two-sided linear STFT the upper half holds the negative frequencies, as
        ``torch.fft.fftfreq``.
        """
        if self.sample_rate is None:
            raise ValueError("frequencies needs sample_rate: build the layer with sample_rate=...")
        if self.freq_scale == "log":
            return self._log_hz.clone()
        if self.onesided:
            return self._bins.to(torch.float64) * (self.sample_rate / self.n_fft)
        return torch.fft.fftfreq(self.n_fft, 1.0 / self.sample_rate, dtype=torch.float64)

    def filterbank(self) -> Tensor:
        """The analysis kernels, window folded in: ``(n_freq, 2, n_fft)`` (real, imaginary).

        For the fixed linear STFT they are built on request (its forward uses the FFT);
        otherwise they are the layer's ``kernels`` buffer or parameter.
        """
        if hasattr(self, "kernels"):
            return self.kernels
        return self._fourier_kernels().to(device=self.window.device, dtype=self.window.dtype)

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns ``(..., n_freq, n_frames)``."""
        check_waveform(waveform, "Spectrogram")
        _check_device(waveform, self.window, "Spectrogram")
        dtype = compute_dtype(waveform.dtype)
        x = waveform.to(dtype)
        if not hasattr(self, "kernels"):
            spec = conv.analyse_fft(
                x, self.window.to(dtype), self.framing, onesided=self.onesided, layer="Spectrogram"
            )
            if self._divisor != 1.0:
                spec = spec / self._divisor
            return _power(spec, self.power, waveform.dtype)
        pairs = conv.analyse(x, self.kernels.to(dtype), self.framing, "Spectrogram")
        if self._divisor != 1.0:
            pairs = pairs / self._divisor
        if self.power == 2.0:
            return _squared_magnitude(pairs[..., 0, :], pairs[..., 1, :]).to(waveform.dtype)
        return _power(conv.to_complex(pairs), self.power, waveform.dtype)

    def extra_repr(self) -> str:
        extra = (
            f", freq_scale='log', n_bins={self._bins.numel()}" if self.freq_scale == "log" else ""
        )
        return (
            f"n_fft={self.n_fft}, win_length={self.win_length}, hop_length={self.hop_length}, "
            f"power={self.power}, center={self.center}, pad_mode='{self.pad_mode}', "
            f"trainable={self.trainable}{extra}"
        )


class InverseSpectrogram(ExactBuffersModule):
    r"""Inverse STFT: transposed convolution with synthesis kernels and overlap-add.

    Drop-in for ``torchaudio.transforms.InverseSpectrogram`` (same parameters, defaults and
    output). The overlap-added frames are divided by the overlap-added squared window, as
    ``torch.istft``, so ``InverseSpectrogram(...)(Spectrogram(..., power=None)(x), x.shape[-1])``
    gives back ``x``.

    Args:
        n_fft, win_length, hop_length, pad, window_fn, normalized, wkwargs, center, onesided:
            as in :class:`Spectrogram`, and must match the forward transform.
        pad_mode: accepted for torchaudio compatibility; the inverse does not use it.

    Keyword-only args:
        trainable: make the synthesis kernels an ``nn.Parameter`` (initialised to the windowed
            inverse DFT). The overlap-add normalisation keeps using the fixed window.
        device, dtype: where and in which dtype the window and kernels are held.

    Raises:
        ValueError: at construction, if the window and hop violate the nonzero overlap-add
            condition (for instance a Hann window with ``center=False``).

    Shapes:
        input ``(..., n_freq, n_frames)`` complex, ``n_freq = n_fft // 2 + 1`` (onesided) or
        ``n_fft``; output ``(..., time)`` real with ``time = length`` when given, else
        ``n_fft + hop_length * (n_frames - 1)`` minus ``2 * (n_fft // 2)`` when centred.
        As torchaudio, ``pad`` is removed from the output only when ``length`` is given.
    """

    def __init__(
        self,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        pad: int = 0,
        window_fn: filters.WindowFn = torch.hann_window,
        normalized: bool | str = False,
        wkwargs: dict[str, Any] | None = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool = True,
        *,
        trainable: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.framing, self.win_length = _framing(
            n_fft, win_length, hop_length, pad, center, pad_mode
        )
        self.n_fft, self.hop_length, self.pad = n_fft, self.framing.hop_length, pad
        self.center, self.pad_mode, self.onesided = self.framing.center, pad_mode, bool(onesided)
        self.normalized, self.trainable = normalized, bool(trainable)
        self.n_freq = n_fft // 2 + 1 if self.onesided else n_fft

        window = filters.make_window(window_fn, self.win_length, wkwargs)
        self._multiplier = _norm_divisor(normalized, window, n_fft)
        conv.check_nola(filters.pad_window(window, n_fft), self.framing)
        self.register_exact_buffer("window", window, dtype=dtype, device=device)
        if self.trainable:
            kernels = filters.inverse_fourier_kernels(
                filters.pad_window(window, n_fft), self.n_freq, onesided=self.onesided
            )
            self.kernels = nn.Parameter(kernels.to(device=device, dtype=dtype))

    @classmethod
    def from_spectrogram(cls, spectrogram: Spectrogram, **kwargs: Any) -> InverseSpectrogram:
        """The inverse of a complex :class:`Spectrogram` layer, with its framing and window.

        Args:
            spectrogram: the forward layer; it must use ``freq_scale="linear"``.
            **kwargs: keyword-only options of :class:`InverseSpectrogram` (``trainable``, ...).

        Raises:
            ValueError: for a log-frequency spectrogram, which samples the spectrum at
                non-uniform frequencies and cannot be inverted by overlap-add.
        """
        if spectrogram.freq_scale != "linear":
            raise ValueError(
                "a log-frequency spectrogram cannot be inverted by InverseSpectrogram: its bins "
                "are not the DFT bins overlap-add needs. Invert a linear STFT instead, or "
                "reconstruct from magnitudes with an iterative method."
            )
        window = spectrogram._masters["window"]
        layer = cls(
            spectrogram.n_fft,
            spectrogram.win_length,
            spectrogram.hop_length,
            spectrogram.pad,
            lambda n, **_: window,
            spectrogram.normalized,
            None,
            spectrogram.center,
            spectrogram.pad_mode,
            spectrogram.onesided,
            device=spectrogram.window.device,
            dtype=spectrogram.window.dtype,
            **kwargs,
        )
        return layer

    def forward(self, spectrogram: Tensor, length: int | None = None) -> Tensor:
        """Args: spectrogram ``(..., n_freq, n_frames)`` complex; length: output samples.

        Returns ``(..., time)``.
        """
        if not isinstance(spectrogram, Tensor) or not spectrogram.is_complex():
            got = spectrogram.dtype if isinstance(spectrogram, Tensor) else type(spectrogram)
            raise TypeError(
                f"InverseSpectrogram expects a complex spectrogram (Spectrogram(power=None)), "
                f"got {got}"
            )
        if spectrogram.dim() < 2 or spectrogram.shape[-2] != self.n_freq:
            raise ValueError(
                f"InverseSpectrogram expects shape (..., {self.n_freq}, n_frames) for "
                f"n_fft={self.n_fft}, onesided={self.onesided}; got {tuple(spectrogram.shape)}"
            )
        if spectrogram.shape[-1] < 1:
            raise ValueError("InverseSpectrogram needs at least one frame")
        if length is not None:
            check_int("length", length, minimum=0)
            length = length + 2 * self.pad
        _check_device(spectrogram, self.window, "InverseSpectrogram")
        if spectrogram.dtype == torch.complex128:
            dtype, spec = torch.float64, spectrogram
        else:
            dtype, spec = torch.float32, spectrogram.to(torch.complex64)
        if self._multiplier != 1.0:
            spec = spec * self._multiplier
        window = self.window.to(dtype)
        if hasattr(self, "kernels"):
            padded = filters.pad_window(window, self.n_fft)
            y = conv.synthesise(spec, self.kernels.to(dtype), padded, self.framing, length)
        else:
            y = conv.synthesise_fft(
                spec, window, self.framing, onesided=self.onesided, length=length
            )
        if length is not None and self.pad > 0:
            y = y[..., self.pad : -self.pad]
        return y

    def extra_repr(self) -> str:
        return (
            f"n_fft={self.n_fft}, win_length={self.win_length}, hop_length={self.hop_length}, "
            f"center={self.center}, trainable={self.trainable}"
        )
