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
    # torch.arange(0, frames, rate) in float32 computes i * rate in float64 and rounds: the
    # same positions, whatever the dtype
    steps = torch.arange(
        0, complex_specgrams.shape[-1], rate, device=complex_specgrams.device, dtype=torch.float64
    ).to(real_dtype)
    alphas = steps % 1.0
    # padded with two zero frames, through real pairs (ONNX pads no complex tensor)
    padded = torch.view_as_complex(F.pad(torch.view_as_real(complex_specgrams), [0, 0, 0, 2]))
    left = padded.index_select(-1, steps.long())
    right = padded.index_select(-1, (steps + 1).long())
    # phases in float64: in float32 an advance of up to pi * hop_length rad (628 at hop 200)
    # carries 3e-5 rad of rounding into every step, 1e-4 of the output after a few hundred
    # frames (torchaudio's float32 error); in float64 only the angles' own rounding is left
    advance = phase_advance.to(torch.float64)
    increment = right.angle().double() - left.angle().double() - advance
    increment = increment - 2 * math.pi * torch.round(increment / (2 * math.pi)) + advance
    first_phase = complex_specgrams[..., :1].angle().double()
    steps_phase = torch.cat([first_phase, increment[..., :-1]], dim=-1)
    phase = torch.remainder(torch.cumsum(steps_phase, dim=-1), 2 * math.pi).to(real_dtype)
    magnitude = alphas * right.abs() + (1 - alphas) * left.abs()
    return torch.polar(magnitude, phase)
