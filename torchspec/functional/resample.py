"""Band-limited resampling by integer factors."""

import torch
import torch.nn.functional as F
from torch import Tensor

# Zeros added on both sides before the FFT, so that the interpolation sees silence beyond the
# ends (as a streaming resampler such as soxr does) instead of the other end of the signal.
# The band-limited kernel decays as 1 / (pi * t): past 256 samples it weighs < 1.3e-3.
EDGE_PAD = 256


def upsample(signal: Tensor, factor: int) -> Tensor:
    """Band-limited interpolation of ``(..., time)`` by an integer ``factor``: the spectrum of
    the zero-extended signal (:data:`EDGE_PAD` zeros each side) zero-extended, then trimmed.
    Returns ``(..., time * factor)``."""
    if factor == 1:
        return signal
    padded = F.pad(signal, (EDGE_PAD, EDGE_PAD))
    size = padded.shape[-1]
    spectrum = torch.fft.rfft(padded)
    # the zero bins added as real pairs: irfft's own zero-extension pads a complex tensor,
    # which the ONNX exporter cannot translate
    bins = size * factor // 2 + 1
    pairs = F.pad(torch.view_as_real(spectrum), (0, 0, 0, bins - spectrum.shape[-1]))
    out: Tensor = torch.fft.irfft(torch.view_as_complex(pairs), n=size * factor) * factor
    return out[..., EDGE_PAD * factor : out.shape[-1] - EDGE_PAD * factor]
