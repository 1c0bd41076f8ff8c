"""Spectrogram (linear and log-frequency STFT) and InverseSpectrogram."""

import functools
import warnings
from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from . import conv
from . import functional as TF
from .base import ExactBuffersModule, layer_dtype
from .blocks import CACHED_BATCH_ELEMENTS, in_item_groups
from .checks import (
    EmptyFilterWarning,
    check_band_limits,
    check_bool,
    check_choice,
    check_complex_spectrogram,
    check_device,
    check_device_arg,
    check_dtype,
    check_int,
    check_kernel_size,
    check_linear_frequency,
    check_number,
    check_optional_int,
    check_power,
    check_route,
    check_waveform_input,
    empty_batch,
    mark_frequency_scale,
    mark_power,
)
from .functional.cqt import C1_HZ  # the log-frequency STFT's lowest bin, as the CQT's
from .functional.filterbanks import WindowFn
from .tracing import scripting

STFT_ROUTES = ("fft", "conv")
NORMALIZED = (False, True, "window", "frame_length")


def stft_framing(
    n_fft: int,
    win_length: int | None,
    hop_length: int | None,
    pad: int,
    center: bool,
    pad_mode: str,
) -> tuple[conv.Framing, int]:
    """Validate the torchaudio-style framing arguments; return the framing and win_length."""
    n_fft = check_int("n_fft", n_fft, minimum=1)
    win_length = n_fft if win_length is None else win_length
    win_length = check_int("win_length", win_length, minimum=1, maximum=n_fft)
    hop_length = max(win_length // 2, 1) if hop_length is None else hop_length
    hop_length = check_int("hop_length", hop_length, minimum=1)
    pad = check_int("pad", pad, minimum=0)
    pad_mode = check_choice("pad_mode", pad_mode, conv.PAD_MODES)
    center = check_bool("center", center)
    return conv.Framing(n_fft, hop_length, pad, center, pad_mode), win_length


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
        trainable: True makes the kernels (window folded in) an ``nn.Parameter``, initialised
            to the Fourier kernels, in the layer's dtype (``n_freq * 2 * n_fft`` numbers).
            ``"window"`` learns only the window (``win_length`` numbers, the parameter
            ``window``) and keeps the FFT route: several times faster to train, and the
            kernels stay Fourier kernels. Default False.
        route: ``"fft"`` or ``"conv"``; None (default) picks ``"fft"`` for the untouched
            Fourier kernels (fixed, linear) and ``"conv"`` otherwise. Read back as
            :attr:`route`.
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
    ``torch.stft`` (``route == "fft"``); otherwise it convolves with :meth:`filterbank`
    (``route == "conv"``). Both compute the same function (:func:`torchspec.functional.
    spectrogram`).

    Example:
        >>> spec = Spectrogram(n_fft=1024, hop_length=256, freq_scale="log",
        ...                    f_min=50.0, f_max=8000.0, n_bins=96, sample_rate=22050)
        >>> S, hz = spec(torch.randn(22050)), spec.frequencies   # (96, 87), (96,)
    """

    window: Tensor
    kernels: Tensor | None
    __jit_unused_properties__: ClassVar[list[str]] = ["frequencies", "route"]

    def __init__(
        self,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        pad: int = 0,
        window_fn: WindowFn = torch.hann_window,
        power: float | None = 2.0,
        normalized: bool | str = False,
        wkwargs: dict[str, Any] | None = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool = True,
        return_complex: bool | None = None,
        *,
        trainable: bool | str = False,
        route: str | None = None,
        freq_scale: str = "linear",
        f_min: float | None = None,
        f_max: float | None = None,
        n_bins: int | None = None,
        sample_rate: float | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.framing, self.win_length = stft_framing(
            n_fft, win_length, hop_length, pad, center, pad_mode
        )
        power = check_power(power, optional=True)
        normalized = check_choice("normalized", normalized, NORMALIZED)
        if return_complex is not None:
            check_bool("return_complex", return_complex)
            warnings.warn(
                "return_complex is ignored (as in torchaudio, where it is deprecated); "
                "use power=None for a complex spectrogram",
                DeprecationWarning,
                stacklevel=2,
            )
        freq_scale = check_choice("freq_scale", freq_scale, ("linear", "log"))
        if sample_rate is not None:
            sample_rate = check_number("sample_rate", sample_rate, above=0)
        dtype, device = check_dtype(dtype), check_device_arg(device)
        self.n_fft, self.hop_length, self.pad = (
            self.framing.n_fft,
            self.framing.hop_length,
            self.framing.pad,
        )
        self.center, self.pad_mode = self.framing.center, self.framing.pad_mode
        self.power, self.normalized = power, normalized
        self.onesided = check_bool("onesided", onesided)
        trainable = check_choice("trainable", trainable, (False, True, "window"))
        self.trainable: bool | str = trainable
        self.freq_scale = freq_scale
        self.sample_rate = sample_rate
        fourier = trainable in (False, "window") and freq_scale == "linear"
        self._route = check_route(route, STFT_ROUTES, "fft" if fourier else "conv")
        if trainable == "window" and not (fourier and self._route == "fft"):
            raise ValueError(
                "trainable='window' learns the window of the FFT route: it needs "
                "freq_scale='linear' and route 'fft'"
            )
        if self._route == "fft" and not fourier:
            raise ValueError(
                "route='fft' needs the untouched Fourier kernels: trainable=False and "
                "freq_scale='linear'"
            )

        window = TF.make_window(window_fn, self.win_length, wkwargs)
        if trainable == "window":
            self.window = nn.Parameter(window.to(device=device, dtype=layer_dtype(dtype)))
        else:
            self.register_exact_buffer("window", window, dtype=dtype, device=device)
        self._bins = self._bin_positions(f_min, f_max, n_bins)
        self.f_min, self.f_max = f_min, f_max
        if self.freq_scale == "log":
            self.f_min, self.f_max = float(self._log_hz[0]), float(self._log_hz[-1])

        if self.trainable is True or self._route == "conv":
            check_kernel_size(len(self._bins), self.n_fft, "Spectrogram")
        if self.trainable is True:
            kernels = self._fourier_kernels().to(device=device, dtype=layer_dtype(dtype))
            self.kernels = nn.Parameter(kernels)
        elif self._route == "conv":
            self.register_exact_buffer(
                "kernels", self._fourier_kernels(), dtype=dtype, device=device, persistent=False
            )
        else:
            self.register_buffer("kernels", None)  # the FFT route (TorchScript needs the name)

    def window64(self) -> Tensor:
        """The window now, float64 on the CPU (the exact master, or the learnt window)."""
        if self.trainable == "window":
            return self.window.detach().to(device="cpu", dtype=torch.float64)
        return self.master("window")

    @property
    def route(self) -> str:
        """How forward computes: ``"fft"`` (``torch.stft``, untouched Fourier kernels) or
        ``"conv"`` (strided convolution with :meth:`filterbank`). Chosen in ``__init__``."""
        return self._route

    def rebuild_derived(self) -> None:
        """Fixed conv-route kernels follow a window loaded from a checkpoint."""
        if self._route == "conv" and not self.trainable:
            window = self.window
            self.register_exact_buffer(
                "kernels",
                self._fourier_kernels(),
                dtype=window.dtype,
                device=window.device,
                persistent=False,
            )

    def _bin_positions(
        self, f_min: float | None, f_max: float | None, n_bins: int | None
    ) -> Tensor:
        """Bin positions in units of ``sample_rate / n_fft`` (int64 for linear, float64 for log)."""
        if f_min is not None:
            check_number("f_min", f_min)
        if f_max is not None:
            check_number("f_max", f_max)
        check_optional_int("n_bins", n_bins, minimum=2)
        if self.freq_scale == "linear":
            for name, value in (("f_min", f_min), ("f_max", f_max), ("n_bins", n_bins)):
                if value is not None:
                    raise ValueError(f"{name} applies only to freq_scale='log'")
            return TF.linear_bins(self.n_fft, onesided=self.onesided)
        if self.sample_rate is None:
            raise ValueError("freq_scale='log' needs sample_rate (Hz) to place its bins")
        if not self.onesided:
            raise ValueError("onesided=False applies only to freq_scale='linear'")
        f_min = C1_HZ if f_min is None else f_min
        n_bins = self.n_fft // 2 + 1 if n_bins is None else n_bins
        _, f_min, f_max = check_band_limits(self.sample_rate, f_min, f_max, positive_f_min=True)
        n_bins = check_int("n_bins", n_bins, minimum=2)
        self._log_hz = TF.log_frequencies(f_min, f_max, n_bins)
        resolution = self.sample_rate / self.n_fft
        crowded = int((self._log_hz.diff() < resolution).sum())
        if crowded:
            warnings.warn(
                f"{crowded} of {n_bins} log-frequency bins lie closer than one STFT bin "
                f"(n_fft={self.n_fft} at {self.sample_rate:g} Hz resolves {resolution:.1f} Hz) "
                "to the next: they repeat their neighbours. Raise n_fft or f_min, or lower "
                "n_bins",
                EmptyFilterWarning,
                stacklevel=3,
            )
        return self._log_hz * (self.n_fft / self.sample_rate)

    def _fourier_kernels(self) -> Tensor:
        window = TF.pad_window(self.window64(), self.n_fft)
        return TF.fourier_kernels(window, self._bins)

    @property
    def frequencies(self) -> Tensor | None:
        """Centre frequency of every output bin in Hz, ``(n_freq,)`` float64; None for a layer
        built without ``sample_rate`` (a property never raises: tracing and scripting read it).

        For a two-sided linear STFT the upper half holds the negative frequencies, as
        ``torch.fft.fftfreq``.
        """
        if self.sample_rate is None:
            return None
        if self.freq_scale == "log":
            return self._log_hz.clone()
        if self.onesided:
            return self._bins.to(torch.float64) * (self.sample_rate / self.n_fft)
        hz: Tensor = torch.fft.fftfreq(self.n_fft, 1.0 / self.sample_rate, dtype=torch.float64)
        return hz

    def filterbank(self) -> Tensor:
        """The analysis kernels, window folded in: ``(n_freq, 2, n_fft)`` (real, imaginary).

        For the fixed linear STFT they are built on request (its forward uses the FFT);
        otherwise they are the layer's ``kernels`` buffer or parameter.
        """
        if self.kernels is not None:
            return self.kernels
        return self._fourier_kernels().to(device=self.window.device, dtype=self.window.dtype)

    def in_item_groups(self, fn: Callable[[Tensor], Tensor], waveform: Tensor) -> Tensor | None:
        """``fn`` (this layer, or a head over it) over groups of a large CPU batch's items
        (:func:`torchspec.blocks.in_item_groups`, frames over 32 MiB), or None: the whole batch
        runs. Only on the FFT route to a power spectrogram: a complex output is as large as
        the work, and joining the groups costs more than the cache saves (1.17x
        ``torch.stft``'s time, against 1.0x whole). Eager only (behind ``not scripting()``)."""
        if self.kernels is not None or self.power is None:
            return None
        frames = waveform.shape[-1] // self.hop_length + 1
        return in_item_groups(fn, waveform, frames * self.n_fft, whole_below=CACHED_BATCH_ELEMENTS)

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns ``(..., n_freq, n_frames)``."""
        if not scripting():
            empty = check_waveform_input(waveform, self.window, "Spectrogram", self.forward)
            if empty is not None:
                return empty
            out = self.in_item_groups(self.forward, waveform)
            if out is not None:
                mark_frequency_scale(out, self.freq_scale)
                mark_power(out, self.power)
                return out
        out = TF.spectrogram(
            waveform,
            self.pad,
            self.window,
            self.n_fft,
            self.hop_length,
            self.win_length,
            self.power,
            self.normalized,
            self.center,
            self.pad_mode,
            self.onesided,
            kernels=self.kernels,
        )
        if not scripting():
            mark_frequency_scale(out, self.freq_scale)
            mark_power(out, self.power)
        return out

    def extra_repr(self) -> str:
        extra = (
            f", freq_scale='log', n_bins={self._bins.numel()}" if self.freq_scale == "log" else ""
        )
        return (
            f"n_fft={self.n_fft}, win_length={self.win_length}, hop_length={self.hop_length}, "
            f"power={self.power}, center={self.center}, pad_mode='{self.pad_mode}', "
            f"trainable={self.trainable}, route='{self._route}'{extra}"
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
        route: ``"fft"`` or ``"conv"``; None picks ``"conv"`` when trainable, else ``"fft"``.
        device, dtype: where and in which dtype the window and kernels are held.

    Raises:
        ValueError: at construction, if the window and hop leave gaps between frames (the
            nonzero overlap-add condition; for instance ``hop_length > win_length``). With
            ``center=False`` the edges, covered by fewer frames, may vanish (a Hann window):
            as ``librosa.istft``, samples where the overlap-added squared window is below
            1e-11 are not divided (the first sample of a Hann window stays 0).

    Shapes:
        input ``(..., n_freq, n_frames)`` complex, ``n_freq = n_fft // 2 + 1`` (onesided) or
        ``n_fft``; output ``(..., time)`` real with ``time = length`` when given, else
        ``n_fft + hop_length * (n_frames - 1)`` minus ``2 * (n_fft // 2)`` when centred.
        As torchaudio, ``pad`` is removed from the output only when ``length`` is given.
    """

    window: Tensor
    kernels: Tensor | None
    __jit_unused_properties__: ClassVar[list[str]] = ["route"]

    def __init__(
        self,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        pad: int = 0,
        window_fn: WindowFn = torch.hann_window,
        normalized: bool | str = False,
        wkwargs: dict[str, Any] | None = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool = True,
        *,
        trainable: bool = False,
        route: str | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.framing, self.win_length = stft_framing(
            n_fft, win_length, hop_length, pad, center, pad_mode
        )
        self.n_fft, self.hop_length, self.pad = (
            self.framing.n_fft,
            self.framing.hop_length,
            self.framing.pad,
        )
        self.center, self.pad_mode = self.framing.center, self.framing.pad_mode
        self.onesided = check_bool("onesided", onesided)
        self.normalized = check_choice("normalized", normalized, NORMALIZED)
        self.trainable = check_bool("trainable", trainable)
        dtype, device = check_dtype(dtype), check_device_arg(device)
        self.n_freq = n_fft // 2 + 1 if self.onesided else n_fft
        self._route = check_route(route, STFT_ROUTES, "conv" if self.trainable else "fft")
        if self._route == "fft" and self.trainable:
            raise ValueError("route='fft' needs the fixed inverse DFT: use trainable=False")

        window = TF.make_window(window_fn, self.win_length, wkwargs)
        conv.check_nola(TF.pad_window(window, n_fft), self.framing)
        self.register_exact_buffer("window", window, dtype=dtype, device=device)
        if self._route == "fft":
            self.register_buffer("kernels", None)  # the FFT route (TorchScript needs the name)
            return
        check_kernel_size(self.n_freq, n_fft, "InverseSpectrogram")
        kernels = TF.inverse_fourier_kernels(
            TF.pad_window(window, n_fft), self.n_freq, onesided=self.onesided
        )
        if self.trainable:
            self.kernels = nn.Parameter(kernels.to(device=device, dtype=layer_dtype(dtype)))
        else:
            self.register_exact_buffer(
                "kernels", kernels, dtype=dtype, device=device, persistent=False
            )

    @property
    def route(self) -> str:
        """``"fft"`` (inverse FFT of each frame) or ``"conv"`` (synthesis kernels); both then
        overlap-add through :func:`torchspec.conv.synthesise`. Chosen in ``__init__``."""
        return self._route

    def rebuild_derived(self) -> None:
        """Fixed conv-route kernels follow a window loaded from a checkpoint."""
        if self._route == "conv" and not self.trainable:
            window = self.master("window")
            kernels = TF.inverse_fourier_kernels(
                TF.pad_window(window, self.n_fft), self.n_freq, onesided=self.onesided
            )
            self.register_exact_buffer(
                "kernels",
                kernels,
                dtype=self.window.dtype,
                device=self.window.device,
                persistent=False,
            )

    @classmethod
    def from_spectrogram(cls, spectrogram: Spectrogram, **kwargs: Any) -> "InverseSpectrogram":
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
        window = spectrogram.window64()
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
        if not scripting():
            check_complex_spectrogram(
                spectrogram, self.n_freq, "InverseSpectrogram", "Spectrogram(power=None)"
            )
            check_linear_frequency(spectrogram, "InverseSpectrogram")
            if length is not None:
                check_int("length", length, minimum=0)
            check_device(spectrogram, self.window, "InverseSpectrogram")
            empty = empty_batch(spectrogram, 2, functools.partial(self.forward, length=length))
            if empty is not None:
                return empty
        return TF.inverse_spectrogram(
            spectrogram,
            length,
            self.pad,
            self.window,
            self.n_fft,
            self.hop_length,
            self.win_length,
            self.normalized,
            self.center,
            self.pad_mode,
            self.onesided,
            kernels=self.kernels,
        )

    def extra_repr(self) -> str:
        return (
            f"n_fft={self.n_fft}, win_length={self.win_length}, hop_length={self.hop_length}, "
            f"center={self.center}, trainable={self.trainable}, route='{self._route}'"
        )
