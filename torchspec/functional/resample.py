"""Band-limited resampling by integer factors."""

from __future__ import annotations

import torch
from torch import Tensor


def upsample(signal: Tensor, factor: int) -> Tensor:
    """Band-limited interpolation of ``(..., time)`` by an integer ``factor``: the spectrum
    zero-extended. Returns ``(..., time * factor)``."""
    if factor == 1:
        return signal
    size = signal.shape[-1]
    spectrum = torch.fft.rfft(signal)
    out: Tensor = torch.fft.irfft(spectrum, n=size * factor) * factor
    return out
