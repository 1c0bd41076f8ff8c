"""Time stretching and pitch shifting with the phase vocoder. Drop-ins for torchaudio's
``TimeStretch`` and ``PitchShift``."""

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import torch
from torch import Tensor

from .base import ExactBuffersModule
from .checks import (
    check_complex_spectrogram,
    check_device,
    check_device_arg,
    check_dtype,
    check_int,
    check_number,
    check_optional_int,
    check_waveform,
    compute_dtype,
    empty_batch,
)
from .functional.filterbanks import make_window
from .functional.resample import apply_resample_kernel, sinc_resample_kernel
from .functional.spectral import inverse_spectrogram, spectrogram
from .functional.vocoder import phase_advance, phase_vocoder
from .tracing import capturing, scripting


class TimeStretch(ExactBuffersModule):
    """Stretch a complex STFT in time by ``1 / rate`` without changing its pitch (phase
    vocoder: magnitudes interpolated between frames, phases advanced coherently).

    Args:
        hop_length: the STFT's hop in samples. Default ``n_fft // 2`` with
            ``n_fft = 2 * (n_freq - 1)``.
        n_freq: rows of the one-sided STFT, >= 2. Default 201 (``n_fft=400``).
        fixed_rate: the rate used when ``forward`` gets none, > 0. Default None (``forward``
            must get one).

    Keyword-only args:
        device, dtype: where and in which dtype the phase advance is held.

    Shapes:
        input ``(..., n_freq, frames)`` complex; output ``(..., n_freq, ceil(frames /
        rate))`` complex. State-dict key ``phase_advance``, as torchaudio's.
    """

    phase_advance: Tensor

    def __init__(
        self,
        hop_length: int | None = None,
        n_freq: int = 201,
        fixed_rate: float | None = None,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.n_freq = check_int("n_freq", n_freq, minimum=2)
        hop = check_optional_int("hop_length", hop_length, minimum=1)
        self.hop_length = (self.n_freq - 1) if hop is None else hop
        self.fixed_rate = (
            None if fixed_rate is None else check_number("fixed_rate", fixed_rate, above=0.0)
        )
        dtype, device = check_dtype(dtype), check_device_arg(device)
        advance = phase_advance(self.n_freq, self.hop_length)
        self.register_exact_buffer("phase_advance", advance, dtype=dtype, device=device)

    def forward(self, complex_specgrams: Tensor, overriding_rate: float | None = None) -> Tensor:
        """Args:
            complex_specgrams: ``(..., n_freq, frames)`` complex STFT.
            overriding_rate: the rate for this call, > 0 (None: ``fixed_rate``).

        Returns:
            ``(..., n_freq, ceil(frames / rate))`` complex.
        """
        rate = self.fixed_rate if overriding_rate is None else overriding_rate
        if not scripting():
            check_complex_spectrogram(
                complex_specgrams, self.n_freq, "TimeStretch", "Spectrogram(power=None)"
            )
            check_device(complex_specgrams, self.phase_advance, "TimeStretch")
            if rate is None:
                raise ValueError(
                    "TimeStretch has no fixed_rate: pass a rate, e.g. layer(spec, 1.2), or "
                    "build it with fixed_rate="
                )
            if not capturing():  # a number torch.compile makes symbolic
                check_number("rate", rate, above=0.0)
            empty = empty_batch(complex_specgrams, 2, partial(self.forward, overriding_rate=rate))
            if empty is not None:
                return empty
        if rate is None:
            raise ValueError("TimeStretch needs a rate")
        return phase_vocoder(complex_specgrams, rate, self.phase_advance)

    def extra_repr(self) -> str:
        return f"n_freq={self.n_freq}, hop_length={self.hop_length}, fixed_rate={self.fixed_rate}"


class PitchShift(ExactBuffersModule):
    """Shift the pitch of ``(..., time)`` audio by ``n_steps`` steps of ``1 /
    bins_per_octave`` octave, keeping its duration: stretched in time by the phase vocoder
    (STFT ``n_fft``, Hann window), then resampled from ``int(sample_rate / rate)`` to
    ``sample_rate`` Hz (``rate = 2 ** (-n_steps / bins_per_octave)``), cut or zero-padded to
    the input's length. torchaudio's algorithm, without its lazy initialisation: the
    resampling kernel is built here.

    Args:
        sample_rate: sample rate in Hz, an integer >= 1.
        n_steps: steps to shift (negative: down).
        bins_per_octave: steps per octave, >= 1. Default 12 (semitones).
        n_fft: FFT size, >= 2. Default 512.
        win_length: window length, <= n_fft. Default ``n_fft``.
        hop_length: hop. Default ``win_length // 4``.
        window_fn, wkwargs: the window. Default ``torch.hann_window``.

    Keyword-only args:
        device, dtype: where and in which dtype the window and kernel are held.

    Shapes:
        input ``(..., time)`` real, more than ``n_fft // 2`` samples; output the same shape.
        State-dict keys ``window`` and ``kernel`` (when a resampling is needed), as
        torchaudio's.
    """

    window: Tensor
    kernel: Tensor
    phase_advance: Tensor

    def __init__(
        self,
        sample_rate: int,
        n_steps: int,
        bins_per_octave: int = 12,
        n_fft: int = 512,
        win_length: int | None = None,
        hop_length: int | None = None,
        window_fn: Callable[..., Tensor] = torch.hann_window,
        wkwargs: dict[str, Any] | None = None,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.sample_rate = check_int("sample_rate", sample_rate, minimum=1)
        self.n_steps = check_int("n_steps", n_steps, minimum=-(2**31))
        self.bins_per_octave = check_int("bins_per_octave", bins_per_octave, minimum=1)
        self.n_fft = check_int("n_fft", n_fft, minimum=2)
        win = check_optional_int("win_length", win_length, minimum=1, maximum=self.n_fft)
        self.win_length = self.n_fft if win is None else win
        hop = check_optional_int("hop_length", hop_length, minimum=1)
        self.hop_length = max(self.win_length // 4, 1) if hop is None else hop
        self.rate = 2.0 ** (-float(self.n_steps) / self.bins_per_octave)
        self.orig_freq = int(self.sample_rate / self.rate)
        self.gcd = math.gcd(self.orig_freq, self.sample_rate)  # torchaudio's attribute
        if self.orig_freq < 1:
            raise ValueError(
                f"n_steps={n_steps} shifts {sample_rate} Hz audio below 1 Hz before resampling"
            )
        dtype, device = check_dtype(dtype), check_device_arg(device)
        window = make_window(window_fn, self.win_length, wkwargs)
        self.register_exact_buffer("window", window, dtype=dtype, device=device)
        advance = phase_advance(self.n_fft // 2 + 1, self.hop_length)
        self.register_exact_buffer(
            "phase_advance", advance, dtype=dtype, device=device, persistent=False
        )
        self.width = 0
        if self.orig_freq != self.sample_rate:
            kernel, self.width = sinc_resample_kernel(self.orig_freq, self.sample_rate)
            self.register_exact_buffer("kernel", kernel, dtype=dtype, device=device)
        else:
            self.register_buffer("kernel", torch.zeros(0, device=device), persistent=False)

    def forward(self, waveform: Tensor) -> Tensor:
        """Args: waveform ``(..., time)``. Returns the shifted waveform, same shape."""
        if not scripting():
            check_waveform(waveform, "PitchShift")
            check_device(waveform, self.window, "PitchShift")
            if waveform.shape[-1] <= self.n_fft // 2:
                raise ValueError(
                    f"PitchShift(n_fft={self.n_fft}) needs at least {self.n_fft // 2 + 1} "
                    f"samples (reflect padding), got {waveform.shape[-1]}"
                )
            empty = empty_batch(waveform, 1, self.forward)
            if empty is not None:
                return empty
        length = waveform.shape[-1]
        x = waveform.to(compute_dtype(waveform.dtype))
        window = self.window.to(x.dtype)
        spec = spectrogram(x, 0, window, self.n_fft, self.hop_length, self.win_length, None, False)
        stretched = phase_vocoder(spec, self.rate, self.phase_advance)
        stretched_length = int(round(length / self.rate))  # noqa: RUF046 - TorchScript's round is a float
        y = inverse_spectrogram(
            stretched,
            stretched_length,
            0,
            window,
            self.n_fft,
            self.hop_length,
            self.win_length,
            False,
        )
        if self.orig_freq != self.sample_rate:
            kernel = self.kernel.to(y.dtype)
            y = apply_resample_kernel(y, self.orig_freq, self.sample_rate, kernel, self.width)
        y = torch.nn.functional.pad(y, [0, length])  # cut or zero-padded to the length,
        return y[..., :length].to(waveform.dtype)  # without a branch on sizes

    def extra_repr(self) -> str:
        return (
            f"sample_rate={self.sample_rate}, n_steps={self.n_steps}, "
            f"bins_per_octave={self.bins_per_octave}, n_fft={self.n_fft}, "
            f"win_length={self.win_length}, hop_length={self.hop_length}"
        )


__all__ = ["PitchShift", "TimeStretch"]
