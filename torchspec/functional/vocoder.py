"""The phase vocoder: a complex STFT resampled in time, phases advanced so that partials stay
coherent (torchaudio's ``phase_vocoder``, librosa's ``phase_vocoder``)."""

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def phase_advance(n_freq: int, hop_length: int) -> Tensor:
    """``(n_freq, 1)`` float64: the phase each bin's centre frequency advances over one hop,
    ``pi * hop_length * k / (n_freq - 1)`` for bin ``k`` of a one-sided STFT."""
    return torch.linspace(0, math.pi * hop_length, n_freq, dtype=torch.float64)[..., None]


def phase_vocoder(complex_specgrams: Tensor, rate: float, phase_advance: Tensor) -> Tensor:
    """Stretch ``(..., freq, frames)`` in time by ``1 / rate``: output frame ``j`` reads the
    input at ``t = j * rate``, its magnitude interpolated linearly between frames ``floor(t)``
    and ``floor(t) + 1`` and its phase accumulated from the first frame's phase plus each
    step's measured phase increment (the increment minus ``phase_advance`` wrapped to
    ``[-pi, pi]``, plus ``phase_advance``), all phase arithmetic in float64 whatever the
    input's dtype. Frames past the end read zeros.

    Args:
        complex_specgrams: ``(..., freq, frames)`` complex.
        rate: speed-up factor, > 0 (2.0 halves the duration).
        phase_advance: ``(freq, 1)`` expected phase advance per hop (:func:`phase_advance`).

    Returns:
        ``(..., freq, ceil(frames / rate))`` complex; the input itself for ``rate == 1``.
    """
    if rate == 1.0:
        return complex_specgrams
    real_dtype = complex_specgrams.real.dtype
    # positions i * rate from an integer range, in float64 as torch.arange(0, frames, rate)
    # computes them (ONNX Runtime's Range with a fractional step accumulates rounding, and a
    # position such as 7.0 computed as 6.9999995 reads the wrong frame)
    device = complex_specgrams.device
    count = torch.arange(0, complex_specgrams.shape[-1], rate, device=device).shape[-1]
    index = torch.arange(count, device=device, dtype=torch.float64)
    steps = (index * rate).to(real_dtype)
    alphas = steps % 1.0
    # magnitudes and angles as real tensors, padded with two zero frames (ONNX has no complex
    # pad, index_select or polar): atan2 is what angle() computes
    # (real and imaginary parts made contiguous first: atan2 on the strided halves of the
    # pairs runs 19x slower, and the norm of each pair 3x)
    pairs = torch.view_as_real(complex_specgrams)
    real, imag = pairs[..., 0].contiguous(), pairs[..., 1].contiguous()
    magnitude = F.pad(torch.sqrt(real * real + imag * imag), [0, 2])
    angle = F.pad(torch.atan2(imag, real), [0, 2])
    left, right = steps.long(), (steps + 1).long()
    # The phase of output frame j is angle_0 + sum_{i<j} dev_i + j * advance, dev_i the
    # measured increment's deviation from the advance, wrapped to [-pi, pi]: a small number,
    # found in float64 against the advance reduced modulo 2 pi, and summed in float64 with
    # j * advance (up to pi * hop_length * frames rad). In float32 an advance of up to
    # pi * hop_length rad carries 3e-5 rad of rounding into every step (torchaudio's 1e-4
    # after a few hundred frames); here only the angles' own rounding is left.
    advance = phase_advance.to(torch.float64)
    reduced = torch.remainder(advance, 2 * math.pi)
    # the angles' difference rounds once in the input's dtype (as the angles themselves do)
    deviation = (angle.index_select(-1, right) - angle.index_select(-1, left)).double()
    deviation = deviation - reduced
    deviation = deviation - 2 * math.pi * torch.round(deviation / (2 * math.pi))
    drift = F.pad(torch.cumsum(deviation[..., :-1], dim=-1), [1, 0])  # frame 0: its own phase
    turns = torch.remainder(advance * index, 2 * math.pi)  # (freq, count): j * advance
    phase = torch.remainder(angle[..., :1].double() + drift + turns, 2 * math.pi).to(real_dtype)
    interpolated = alphas * magnitude.index_select(-1, right) + (
        1 - alphas
    ) * magnitude.index_select(-1, left)
    out = torch.stack([interpolated * torch.cos(phase), interpolated * torch.sin(phase)], -1)
    return torch.view_as_complex(out)
