"""Kernel builders: windows and Fourier kernels, as pure float64 functions.

Every builder returns float64 tensors on the CPU. Layers cast the result to their own dtype and
device, so a kernel is never computed in low precision.

Kernel layout used throughout torchspec: a real tensor of shape ``(n_freq, 2, n_fft)`` where
``[:, 0]`` holds the real part and ``[:, 1]`` the imaginary part of each complex kernel. Analysis
with such a bank computes ``X[f, t] = sum_n kernel[f, n] * frame_t[n]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

WindowFn = Callable[..., Tensor]


def make_window(
    window_fn: WindowFn, win_length: int, wkwargs: dict[str, Any] | None = None
) -> Tensor:
    """Evaluate ``window_fn(win_length, **wkwargs)`` in float64.

    torch's window functions take a ``dtype`` argument and are then exact in float64. A custom
    ``window_fn`` without one is called as is and its result cast to float64.

    Returns:
        Tensor of shape ``(win_length,)``, float64, CPU.
    """
    kwargs = dict(wkwargs or {})
    try:
        window = window_fn(win_length, dtype=torch.float64, **kwargs)
    except TypeError:
        window = window_fn(win_length, **kwargs)
    window = torch.as_tensor(window).detach().to(device="cpu", dtype=torch.float64)
    if window.shape != (win_length,):
        raise ValueError(
            f"window_fn must return a 1-D window of win_length={win_length} samples, "
            f"got shape {tuple(window.shape)}"
        )
    return window


def pad_window(window: Tensor, n_fft: int) -> Tensor:
    """Zero-pad a window of length ``win_length <= n_fft`` to ``n_fft``, centred.

    The left pad is ``(n_fft - win_length) // 2``, as in ``torch.stft`` and librosa's
    ``pad_center``.

    Returns:
        Tensor of shape ``(n_fft,)``.
    """
    left = (n_fft - window.shape[-1]) // 2
    return torch.nn.functional.pad(window, (left, n_fft - window.shape[-1] - left))


def fourier_kernels(window: Tensor, bins: Tensor) -> Tensor:
    """Windowed complex exponentials ``w[n] * exp(-2j*pi*k*n/n_fft)`` for each bin ``k``.

    Args:
        window: ``(n_fft,)`` float64 analysis window (already padded to ``n_fft``).
        bins: ``(n_freq,)`` bin positions ``k`` in units of ``sample_rate / n_fft``. Integer
            bins give the DFT; fractional bins evaluate the DTFT between them.

    The phase is reduced as ``(k * n) mod n_fft`` before scaling by ``2*pi/n_fft``: exact for
    integer bins, and keeps the argument of cos/sin small for large ``k * n``.

    Returns:
        ``(n_freq, 2, n_fft)`` float64: real part, imaginary part.
    """
    n_fft = window.shape[-1]
    n = torch.arange(n_fft, dtype=torch.float64)
    if bins.dtype.is_floating_point:
        cycles = torch.remainder(bins.to(torch.float64)[:, None] * n, n_fft)
    else:
        cycles = torch.remainder(bins.to(torch.int64)[:, None] * n.to(torch.int64), n_fft)
        cycles = cycles.to(torch.float64)
    phase = cycles * (2.0 * math.pi / n_fft)
    return torch.stack((torch.cos(phase) * window, -torch.sin(phase) * window), dim=1)


def inverse_fourier_kernels(window: Tensor, n_freq: int, *, onesided: bool) -> Tensor:
    """Synthesis kernels: windowed inverse real DFT, one kernel per bin.

    A frame is rebuilt from its bins ``X[k] = a[k] + 1j*b[k]`` as
    ``frame[n] = sum_k a[k]*kernel[k, 0, n] + b[k]*kernel[k, 1, n]`` with
    ``kernel[k] = w[n] * c[k] / n_fft * (cos(2*pi*k*n/n_fft), -sin(2*pi*k*n/n_fft))``, where
    ``c[k] = 2`` for the bins whose mirror image a onesided spectrum omits and ``1`` otherwise.
    This is the real part of the inverse DFT, times the synthesis window (as ``torch.istft``).

    Returns:
        ``(n_freq, 2, n_fft)`` float64.
    """
    n_fft = window.shape[-1]
    kernels = fourier_kernels(torch.ones(n_fft, dtype=torch.float64), torch.arange(n_freq))
    weight = torch.full((n_freq,), 1.0 / n_fft, dtype=torch.float64)
    if onesided:
        weight[1 : (n_fft + 1) // 2] *= 2.0
    # Re(X exp(+j theta)) = a cos(theta) - b sin(theta): the analysis kernels' (cos, -sin) pair.
    return kernels * weight[:, None, None] * window


def linear_bins(n_fft: int, *, onesided: bool) -> Tensor:
    """DFT bin indices: ``0 .. n_fft//2`` when onesided, else ``0 .. n_fft-1``. int64."""
    return torch.arange(n_fft // 2 + 1 if onesided else n_fft)


def log_frequencies(f_min: float, f_max: float, n_bins: int) -> Tensor:
    """``n_bins`` geometrically spaced frequencies from ``f_min`` to ``f_max`` inclusive (Hz).

    Returns:
        ``(n_bins,)`` float64.
    """
    if n_bins == 1:
        return torch.tensor([float(f_min)], dtype=torch.float64)
    step = torch.arange(n_bins, dtype=torch.float64) / (n_bins - 1)
    return f_min * (f_max / f_min) ** step
