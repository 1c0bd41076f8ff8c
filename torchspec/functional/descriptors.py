"""Descriptors of a spectrogram's shape, frame by frame."""

import itertools
import math

import torch
from torch import Tensor

from .scaling import db_scale


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
    if norm == math.inf:  # not math.isinf: torch.compile may hold norm as a symbolic float
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


def contrast_bands(
    freq: Tensor, sr: float, fmin: float = 200.0, n_bands: int = 6, quantile: float = 0.02
) -> list[tuple[int, int, int]]:
    """The octave bands of librosa's ``spectral_contrast``: for band ``k`` (``[0, fmin]``,
    then ``[fmin 2**(k-1), fmin 2**k]``, the last one up to the top row) the rows it reads,
    ``start`` to ``end``, and how many of the lowest and highest it averages (``quantile`` of
    its rows, at least 1), as ``(start, end, count)``.

    Raises:
        ValueError: when a band starts at or above ``sr / 2``, or holds no row of ``freq``
            (the FFT is too coarse for ``fmin``: raise ``n_fft`` or ``fmin``).
    """
    edges = [0.0] + [fmin * 2.0**k for k in range(n_bands + 1)]
    if any(edge >= 0.5 * sr for edge in edges[:-1]):
        raise ValueError(
            f"spectral_contrast's bands reach fmin * 2**{n_bands - 1} = "
            f"{fmin * 2.0 ** (n_bands - 1):g} Hz, at or above the Nyquist frequency {sr / 2:g} "
            "Hz: lower fmin or n_bands"
        )
    values = freq.tolist()
    bands: list[tuple[int, int, int]] = []
    for k, (low, high) in enumerate(itertools.pairwise(edges)):
        inside = [i for i, f in enumerate(values) if low <= f <= high]
        if not inside or (k == 0 and len(inside) < 2):
            raise ValueError(
                f"spectral_contrast's band {k} ({low:g}-{high:g} Hz) holds "
                f"{len(inside)} frequency rows, too few at this resolution: raise n_fft or fmin"
            )
        if k > 0:
            inside.insert(0, inside[0] - 1)
        if k == n_bands:
            inside.extend(range(inside[-1] + 1, len(values)))
        count = max(round(quantile * len(inside)), 1)  # numpy's rint: half to even
        rows = inside if k == n_bands else inside[:-1]
        bands.append((rows[0], rows[-1] + 1, min(count, len(rows))))
    return bands


def spectral_contrast(
    S: Tensor,
    freq: Tensor,
    sr: float = 22050,
    fmin: float = 200.0,
    n_bands: int = 6,
    quantile: float = 0.02,
    linear: bool = False,
) -> Tensor:
    """librosa's ``spectral_contrast``: per octave band (:func:`contrast_bands`) and frame,
    the mean of the ``quantile`` highest magnitudes (peak) against the mean of the lowest
    (valley), as ``power_to_db(peak) - power_to_db(valley)`` in dB (``top_db`` 80 below each
    item's own maximum, where librosa takes the whole array's) or ``peak - valley`` when
    ``linear``.

    Args:
        S: ``(..., freq, frames)`` non-negative magnitudes.
        freq: ``(freq,)`` the rows' frequencies in Hz, increasing.
        sr: the sample rate (bands must start below ``sr / 2``).
        fmin: top of the first band in Hz, > 0. n_bands: octave bands above it, >= 1.
        quantile: in (0, 1).

    Returns:
        ``(..., n_bands + 1, frames)``. Differentiable (a sort picks the values).
    """
    return band_contrast(S, contrast_bands(freq, sr, fmin, n_bands, quantile), linear)


def band_contrast(S: Tensor, bands: list[tuple[int, int, int]], linear: bool = False) -> Tensor:
    """:func:`spectral_contrast` over bands given as ``(start row, end row, count)``
    (:func:`contrast_bands`). Returns ``(..., len(bands), frames)``."""
    peaks: list[Tensor] = []
    valleys: list[Tensor] = []
    for start, end, count in bands:
        band = S[..., start:end, :]
        valleys.append(band.topk(count, dim=-2, largest=False).values.mean(dim=-2))
        peaks.append(band.topk(count, dim=-2).values.mean(dim=-2))
    peak, valley = torch.stack(peaks, dim=-2), torch.stack(valleys, dim=-2)
    if linear:
        return peak - valley
    # librosa's power_to_db (ref 1, amin 1e-10, top_db 80), the floor below each item's peak
    return db_scale(peak, 10.0, 1.0, False, 1e-10, 80.0) - db_scale(
        valley, 10.0, 1.0, False, 1e-10, 80.0
    )


def poly_fit_matrix(freq: Tensor, order: int = 1) -> Tensor:
    """The least-squares fit of a polynomial of ``order`` in ``freq`` as a matrix: row ``d``
    gives the coefficient of ``freq ** (order - d)`` (numpy's ``polyfit``: highest power first,
    columns of the Vandermonde matrix scaled to unit norm, singular values below ``len(freq)``
    machine epsilons of the largest dropped), float64.

    Returns:
        ``(order + 1, len(freq))``.
    """
    x = freq.to(torch.float64)
    powers = torch.arange(order, -1, -1, dtype=torch.float64)
    vander = x[:, None] ** powers
    scale = vander.square().sum(dim=0).sqrt()
    scale = torch.where(scale > 0, scale, 1.0)
    eps = torch.finfo(torch.float64).eps
    fit: Tensor = torch.linalg.pinv(vander / scale, rtol=len(x) * eps)
    return fit / scale[:, None]


def poly_features(S: Tensor, freq: Tensor, order: int = 1) -> Tensor:
    """librosa's ``poly_features``: per frame, the coefficients of the polynomial of ``order``
    in frequency fitted to the magnitudes by least squares (highest power first).

    Args:
        S: ``(..., freq, frames)``. freq: ``(freq,)`` in Hz. order: >= 0.

    Returns:
        ``(..., order + 1, frames)``; linear in ``S``, so differentiable.
    """
    return torch.matmul(poly_fit_matrix(freq, order).to(device=S.device, dtype=S.dtype), S)
