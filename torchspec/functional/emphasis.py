"""Pre-emphasis and its inverse: the first-order filters that tilt a waveform's spectrum."""

import torch
from torch import Tensor

from ..checks import compute_dtype
from .pcen import smooth


def preemphasis(waveform: Tensor, coeff: float = 0.97) -> Tensor:
    """``y[n] = x[n] - coeff * x[n - 1]`` along the last axis, ``y[0] = x[0]``.

    Args:
        waveform: ``(..., time)``.
        coeff: the filter coefficient.

    Returns:
        ``(..., time)``, the input's dtype.
    """
    rest = waveform[..., 1:] - coeff * waveform[..., :-1]
    return torch.cat([waveform[..., :1], rest], dim=-1)


def deemphasis(waveform: Tensor, coeff: float = 0.97) -> Tensor:
    """The inverse of :func:`preemphasis`: ``y[n] = x[n] + coeff * y[n - 1]``, ``y[-1] = 0``.

    The recursion runs as the chunked first-order scan of :func:`~torchspec.functional.smooth`
    (``M[n] = coeff M[n - 1] + (1 - coeff) x[n]``, ``y = M / (1 - coeff)``): matrix products,
    no loop over samples. Unlike torchaudio's (``lfilter`` with its default ``clamp=True``),
    the output is not clipped to [-1, 1].

    Args:
        waveform: ``(..., time)``.
        coeff: the filter coefficient, in [0, 1).

    Returns:
        ``(..., time)``, the input's dtype (half precision computed in float32).
    """
    if coeff == 0.0:
        return waveform
    dtype = compute_dtype(waveform.dtype)
    x = waveform.to(dtype).reshape(-1, 1, waveform.shape[-1])
    b = torch.tensor(1.0 - coeff, dtype=dtype, device=waveform.device)
    smoothed, _ = smooth(x, b, torch.zeros(1, dtype=dtype, device=waveform.device))
    return (smoothed / (1.0 - coeff)).reshape(waveform.shape).to(waveform.dtype)
