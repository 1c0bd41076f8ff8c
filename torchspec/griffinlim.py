"""GriffinLim: a waveform from a magnitude spectrogram, on the STFT pair of torchspec."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import conv, filters
from .checks import check_int, compute_dtype
from .mel import _check_spectrogram
from .spectrogram import Spectrogram


class GriffinLim(nn.Module):
    """Fast Griffin-Lim phase reconstruction (with momentum). Drop-in for torchaudio's.

    Each iteration inverts ``magnitude * phase`` (inverse STFT: overlap-add divided by the
    window sum-square), re-analyses it with the STFT of :class:`~torchspec.Spectrogram` (its
    framing and padding) and keeps the new phase, extrapolated by ``momentum`` (Perraudin et al.
    2013; librosa.griffinlim's algorithm). Everything is torch, so it runs batched on CPU or
    CUDA and is differentiable with respect to the magnitude.

    Args:
        n_fft, win_length, hop_length, window_fn, wkwargs: as :class:`~torchspec.Spectrogram`.
        n_iter: iterations, >= 1. Default 32.
        power: exponent of the input (2 for a power spectrogram, 1 for magnitudes), > 0.
        momentum: in ``[0, 1)``. Default 0.99.
        length: output length in samples, or None for the STFT's natural length.
        rand_init: start from uniformly random phases (True, default) or from zero phase.

    Keyword-only args:
        pad_mode: padding of the re-analysis STFT: ``"reflect"`` (default, torchaudio's) or
            ``"constant"`` (librosa.griffinlim's default).
        device, dtype: where and in which dtype the window is held.

    Shapes: input ``(..., n_fft // 2 + 1, frames)`` non-negative; output ``(..., time)``.

    Differs from torchaudio in its random start: unit-magnitude phases uniform in
    ``[0, 2*pi)`` (as librosa) rather than complex numbers uniform in the unit square.
    """

    def __init__(
        self,
        n_fft: int = 400,
        n_iter: int = 32,
        win_length: int | None = None,
        hop_length: int | None = None,
        window_fn: filters.WindowFn = torch.hann_window,
        power: float = 2.0,
        wkwargs: dict[str, Any] | None = None,
        momentum: float = 0.99,
        length: int | None = None,
        rand_init: bool = True,
        *,
        pad_mode: str = "reflect",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_int("n_iter", n_iter, minimum=1)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if not (isinstance(power, (int, float)) and power > 0):
            raise ValueError(f"power must be a number > 0, got {power!r}")
        if length is not None:
            check_int("length", length, minimum=1)
        self.stft = Spectrogram(
            n_fft,
            win_length,
            hop_length,
            0,
            window_fn,
            None,
            False,
            wkwargs,
            True,
            pad_mode,
            device=device,
            dtype=dtype,
        )
        conv.check_nola(filters.pad_window(self.stft.window.double(), n_fft), self.stft.framing)
        self.n_fft, self.n_iter, self.power = n_fft, n_iter, float(power)
        self.momentum, self.length, self.rand_init = float(momentum), length, bool(rand_init)
        self.win_length, self.hop_length = self.stft.win_length, self.stft.hop_length

    def forward(
        self,
        specgram: Tensor,
        *,
        init_phase: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Reconstruct a waveform.

        Args:
            specgram: ``(..., n_fft // 2 + 1, frames)`` magnitude raised to ``power``.
            init_phase: where to start instead of ``rand_init``: a complex spectrogram (its
                phase is used) or real phases in radians, shaped like ``specgram``.
            generator: random generator for ``rand_init`` (reproducible starts).

        Returns:
            ``(..., time)``.
        """
        n_freq = self.n_fft // 2 + 1
        _check_spectrogram(specgram, n_freq, "GriffinLim")
        if bool((specgram < 0).any()):
            raise ValueError("GriffinLim expects a non-negative magnitude (or power) spectrogram")
        dtype = compute_dtype(specgram.dtype)
        # clamp: a finite gradient where the magnitude is 0 (d/dx x**(1/p) is infinite there)
        tiny = torch.finfo(dtype).tiny
        magnitude = specgram.to(dtype).clamp_min(tiny).pow(1.0 / self.power)
        angles = self._start(magnitude, init_phase, generator)
        return self._iterate(magnitude, angles)

    def _iterate(self, magnitude: Tensor, angles: Tensor) -> Tensor:
        """The iterations on the FFT route of the STFT pair, in ``(batch, frames, freq)`` layout
        with real ``(re, im)`` views, the overlap-add normalisation computed once per call and
        the magnitude folded into the phase normalisation: complex element-wise kernels and
        ``torch.istft``'s per-call envelope cost more than the FFTs on CPU."""
        lead, (n_freq, n_frames) = magnitude.shape[:-2], magnitude.shape[-2:]
        dtype, n_fft, hop = magnitude.dtype, self.n_fft, self.hop_length
        window = filters.pad_window(self.stft.window.to(dtype), n_fft)
        scale = magnitude.reshape(-1, n_freq, n_frames).transpose(1, 2)  # (batch, frames, freq)
        phase = torch.view_as_real(angles.reshape(-1, n_freq, n_frames).transpose(1, 2))
        total = n_fft + hop * (n_frames - 1)
        start = n_fft // 2
        end = total - start if self.length is None else min(start + self.length, total)
        envelope = conv.window_envelope(window, n_frames, hop)[start:end]
        framing = self.stft.framing

        def synthesise(coefficients: Tensor) -> Tensor:
            frames = torch.fft.irfft(torch.view_as_complex(coefficients), n=n_fft, dim=-1)
            y = _overlap_add(frames * window, hop)[:, start:end] / envelope
            if self.length is not None and y.shape[-1] < self.length:
                y = F.pad(y, (0, self.length - y.shape[-1]))
            return y

        spec = phase * scale.unsqueeze(-1)
        previous: Tensor | None = None
        for _ in range(self.n_iter):
            signal, _ = framing.frame(synthesise(spec), "GriffinLim")
            frames = signal.unfold(-1, n_fft, hop) * window
            rebuilt = torch.view_as_real(torch.fft.rfft(frames, dim=-1))  # (batch, frames, freq, 2)
            target = rebuilt
            if previous is not None and self.momentum > 0:
                target = torch.add(rebuilt, previous, alpha=-self.momentum / (1 + self.momentum))
            norm = torch.view_as_complex(target).abs() + 1e-16
            spec = target * (scale / norm).unsqueeze(-1)  # magnitude times the unit phase
            previous = rebuilt
        y = synthesise(spec)
        return y.reshape(*lead, y.shape[-1])

    def _start(
        self, magnitude: Tensor, init_phase: Tensor | None, generator: torch.Generator | None
    ) -> Tensor:
        complex_dtype = torch.complex128 if magnitude.dtype == torch.float64 else torch.complex64
        if init_phase is not None:
            if init_phase.shape != magnitude.shape:
                raise ValueError(
                    f"init_phase must have the spectrogram's shape {tuple(magnitude.shape)}, "
                    f"got {tuple(init_phase.shape)}"
                )
            if init_phase.is_complex():
                phase = init_phase.to(complex_dtype)
                return phase / (phase.abs() + 1e-16)
            return torch.polar(torch.ones_like(magnitude), init_phase.to(magnitude.dtype))
        if not self.rand_init:
            return torch.ones_like(magnitude, dtype=complex_dtype)
        phase = torch.rand(
            magnitude.shape, generator=generator, device=magnitude.device, dtype=magnitude.dtype
        )
        return torch.polar(torch.ones_like(magnitude), 2 * math.pi * phase)


def _overlap_add(frames: Tensor, hop: int) -> Tensor:
    """Sum ``(batch, n_frames, n_fft)`` frames placed every ``hop`` samples.

    Returns ``(batch, n_fft + hop * (n_frames - 1))``. When ``hop`` divides ``n_fft`` the
    frames are added as ``n_fft / hop`` shifted blocks (contiguous adds, no scatter).
    """
    batch, n_frames, n_fft = frames.shape
    if n_fft % hop:
        columns = frames.transpose(1, 2)
        total = n_fft + hop * (n_frames - 1)
        return F.fold(columns, (1, total), kernel_size=(1, n_fft), stride=(1, hop))[:, 0, 0]
    ratio = n_fft // hop
    blocks = frames.reshape(batch, n_frames, ratio, hop)
    out = frames.new_zeros(batch, n_frames + ratio - 1, hop)
    for j in range(ratio):
        out[:, j : j + n_frames] += blocks[:, :, j]
    return out.reshape(batch, -1)
