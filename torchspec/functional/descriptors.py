"""Descriptors of a spectrogram's shape, frame by frame."""

import math

import torch
from torch import Tensor


def spectral_centroid_of(specgram: Tensor, freqs: Tensor) -> Tensor:
    """The magnitude-weighted mean frequency of each frame: ``sum_f freqs[f] S[f, t] /
    sum_f S[f, t]``, 0 for a frame whose magnitudes sum to 0 (where torchaudio gives NaN).

    Args:
        specgram: ``(..., freq, time)`` non-negative magnitudes.
        freqs: ``(freq,)`` the rows' frequencies (Hz).

    Returns:
        ``(..., time)`` in Hz.
    """
    weighted = torch.matmul(freqs.to(specgram.dtype), specgram)
    total = specgram.sum(dim=-2)
    silent = total == 0  # NaN is not silent: it propagates
    return torch.where(silent, 0.0, weighted / torch.where(silent, 1.0, total))


def normalize(x: Tensor, norm: float | None) -> Tensor:
    """librosa's ``util.normalize(x, norm=norm, axis=-2)``: each column of ``(..., rows,
    columns)`` divided by its ``norm``-norm (the largest magnitude for inf; None: as is); a
    zero column stays zero."""
    if norm is None:
        return x
    if math.isinf(norm):
        length = x.abs().amax(dim=-2, keepdim=True)
    else:
        length = x.abs().pow(norm).sum(dim=-2, keepdim=True).pow(1.0 / norm)
    return x / torch.where(length > 0, length, 1.0)


def _frame_weights(S: Tensor) -> Tensor:
    """``S`` divided by each frame's sum, as librosa's ``normalize(S, norm=1, axis=-2)``: a
    frame that sums to 0 is left as it is (all zeros)."""
    total = S.sum(dim=-2, keepdim=True)
    return S / torch.where(total == 0, 1.0, total)


def spectral_centroid(S: Tensor, freq: Tensor) -> Tensor:
    """librosa's ``spectral_centroid`` of a magnitude spectrogram: ``sum_f freq[f] S[f, t] /
    sum_f S[f, t]``, 0 for a silent frame.

    Args:
        S: ``(..., freq, frames)`` non-negative magnitudes.
        freq: ``(freq,)`` the rows' frequencies in Hz.

    Returns:
        ``(..., 1, frames)`` in Hz.
    """
    return spectral_centroid_of(S, freq).unsqueeze(-2)


def spectral_bandwidth(
    S: Tensor,
    freq: Tensor,
    centroid: Tensor | None = None,
    norm: bool = True,
    p: float = 2.0,
) -> Tensor:
    """librosa's ``spectral_bandwidth``: ``(sum_f S[f, t] |freq[f] - centroid[t]|**p) **
    (1 / p)``, ``S`` normalised to sum 1 per frame when ``norm``.

    Args:
        S: ``(..., freq, frames)`` non-negative magnitudes.
        freq: ``(freq,)`` in Hz.
        centroid: ``(..., 1, frames)`` in Hz; None: :func:`spectral_centroid` of ``S``.
        norm: normalise each frame to sum 1 first.
        p: the order, > 0.

    Returns:
        ``(..., 1, frames)`` in Hz.
    """
    if centroid is None:
        centroid = spectral_centroid(S, freq)
    deviation = (freq.to(S.dtype)[:, None] - centroid).abs()
    weights = _frame_weights(S) if norm else S
    # scaled by the largest deviation (the Nyquist or the lowest bin's), so that d**p does not
    # overflow for a large p (float32: 1e4 Hz ** 10 already does)
    largest = deviation.amax(dim=-2, keepdim=True)
    largest = torch.where(largest > 0, largest, 1.0)
    spread = (weights * (deviation / largest) ** p).sum(dim=-2, keepdim=True) ** (1.0 / p)
    return spread * largest


def spectral_rolloff(S: Tensor, freq: Tensor, roll_percent: float = 0.85) -> Tensor:
    """librosa's ``spectral_rolloff``: the lowest ``freq[f]`` at which the cumulative
    magnitude ``sum_{g <= f} S[g, t]`` reaches ``roll_percent`` of the frame's total (the
    lowest frequency for a silent frame).

    Args:
        S: ``(..., freq, frames)`` non-negative magnitudes.
        freq: ``(freq,)`` in Hz, increasing.
        roll_percent: the fraction, in (0, 1).

    Returns:
        ``(..., 1, frames)`` in Hz.
    """
    total = torch.cumsum(S, dim=-2)
    threshold = roll_percent * total[..., -1:, :]
    reached = total >= threshold  # (..., freq, frames); the last row always reaches
    candidates = torch.where(reached, freq.to(S.dtype)[:, None], torch.inf)
    return candidates.amin(dim=-2, keepdim=True)


def spectral_flatness(S: Tensor, amin: float = 1e-10, power: float = 2.0) -> Tensor:
    """librosa's ``spectral_flatness``: the geometric over the arithmetic mean of
    ``max(amin, S**power)`` over frequency, in [0, 1] (1: white noise, near 0: a tone).

    Args:
        S: ``(..., freq, frames)`` non-negative magnitudes.
        amin: the floor, > 0.
        power: exponent applied to ``S`` first, > 0.

    Returns:
        ``(..., 1, frames)``, unitless.
    """
    floored = S.pow(power).clamp(min=amin)
    geometric = floored.log().mean(dim=-2, keepdim=True).exp()
    return geometric / floored.mean(dim=-2, keepdim=True)


def rms(frames: Tensor) -> Tensor:
    """librosa's ``rms`` of framed audio: ``sqrt(mean_n x[n, t]**2)``.

    Args:
        frames: ``(..., frame_length, frames)`` samples (librosa's ``util.frame`` layout).

    Returns:
        ``(..., 1, frames)``.
    """
    return frames.square().mean(dim=-2, keepdim=True).sqrt()


def rms_from_magnitude(S: Tensor, frame_length: int) -> Tensor:
    """librosa's ``rms(S=...)``: the RMS of each frame from its one-sided magnitude spectrum
    by Parseval, ``sqrt(2 sum_f w_f S[f, t]**2) / frame_length`` with ``w`` 1/2 for the DC bin
    (and the Nyquist bin for an even ``frame_length``), 1 elsewhere.

    Args:
        S: ``(..., 1 + frame_length // 2, frames)`` magnitudes of a (windowed) STFT.
        frame_length: the FFT size the spectrum was computed with.

    Returns:
        ``(..., 1, frames)``.
    """
    power = S.square()
    weights = torch.ones(S.shape[-2], 1, dtype=S.dtype, device=S.device)
    weights[0] = 0.5
    if frame_length % 2 == 0:
        weights[-1] = 0.5
    total = (power * weights).sum(dim=-2, keepdim=True)
    return (2 * total / frame_length**2).sqrt()


def zero_crossing_rate(frames: Tensor, threshold: float = 1e-10) -> Tensor:
    """librosa's ``zero_crossing_rate`` of framed audio: the fraction of the
    ``frame_length`` positions where the sign differs from the previous sample's (librosa's
    ``zero_crossings(pad=False, zero_pos=True)``: the first position never counts, 0 is
    positive, and ``|x| <= threshold`` is 0).

    Args:
        frames: ``(..., frame_length, frames)`` samples.
        threshold: magnitudes up to this are zeros.

    Returns:
        ``(..., 1, frames)`` in [0, 1]; not differentiable (a count).
    """
    values = torch.where(frames.abs() <= threshold, 0.0, frames) if threshold > 0 else frames
    negative = torch.signbit(values)
    changes = negative[..., 1:, :] != negative[..., :-1, :]
    rate = changes.to(frames.dtype).sum(dim=-2, keepdim=True) / frames.shape[-2]
    return torch.where(frames.isnan().any(dim=-2, keepdim=True), torch.nan, rate)
