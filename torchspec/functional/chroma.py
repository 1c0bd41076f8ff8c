"""Chroma: a spectrogram folded onto the pitch classes of an octave (librosa's
``filters.chroma``, ``feature.chroma_stft``), with librosa's tuning estimate
(``piptrack``, ``estimate_tuning``) computed per item of a batch."""

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from ..tracing import capturing, scripting
from .descriptors import normalize


def hz_to_octs(frequencies: Tensor, tuning: Tensor, bins_per_octave: int = 12) -> Tensor:
    """librosa's ``hz_to_octs``: octaves above C0, ``log2(f / (A440 / 16))`` with
    ``A440 = 440 * 2 ** (tuning / bins_per_octave)`` (``tuning`` broadcast against
    ``frequencies``; ``torch.tensor(0.0)`` for A440)."""
    a440 = 440.0 * torch.pow(2.0, tuning.to(frequencies.dtype) / bins_per_octave)
    return torch.log2(frequencies / (a440 / 16))


def chroma_filterbank(
    sr: float,
    n_fft: int,
    tuning: Tensor,
    n_chroma: int = 12,
    ctroct: float = 5.0,
    octwidth: float | None = 2.0,
    base_c: bool = True,
) -> Tensor:
    """librosa's ``filters.chroma`` (``norm=2``), float64: for each pitch class a Gaussian
    bump (in pitch-class distance, as wide as the FFT bin) over the FFT bins, columns of unit
    L2 norm, weighted by a Gaussian over octaves centred on ``ctroct`` (``octwidth`` wide,
    None: flat), rows starting at C when ``base_c`` (else at A).

    Args:
        sr: sample rate in Hz. n_fft: FFT size.
        tuning: deviation from A440 in fractions of a chroma bin, a ``(...,)`` tensor (one
            filterbank per entry; ``torch.tensor(0.0)`` for one at A440).

    Returns:
        ``(..., n_chroma, 1 + n_fft // 2)`` float64.
    """
    tuning_t = tuning.to(torch.float64)
    frequencies = torch.arange(1, n_fft, dtype=torch.float64) * (sr / n_fft)
    bins = n_chroma * hz_to_octs(frequencies, tuning_t[..., None], n_chroma)  # (..., n_fft-1)
    bins = torch.cat([bins[..., :1] - 1.5 * n_chroma, bins], dim=-1)  # (..., n_fft)
    widths = torch.cat(
        [(bins[..., 1:] - bins[..., :-1]).clamp(min=1.0), torch.ones_like(bins[..., :1])], dim=-1
    )
    half = float(round(n_chroma / 2))  # numpy's round: half to even (6 for 12)
    chroma = torch.arange(n_chroma, dtype=torch.float64)[:, None]
    distance = bins[..., None, :] - chroma  # (..., n_chroma, n_fft)
    distance = torch.remainder(distance + half + 10 * n_chroma, n_chroma) - half
    weights = torch.exp(-0.5 * (2 * distance / widths[..., None, :]) ** 2)
    norms = weights.square().sum(dim=-2, keepdim=True).sqrt()
    weights = weights / torch.where(norms > 0, norms, 1.0)
    if octwidth is not None:
        octave = torch.exp(-0.5 * ((bins / n_chroma - ctroct) / octwidth) ** 2)
        weights = weights * octave[..., None, :]
    if base_c:
        weights = torch.roll(weights, -3 * (n_chroma // 12), dims=-2)
    return weights[..., : 1 + n_fft // 2]


def piptrack(
    S: Tensor,
    sr: float,
    n_fft: int,
    fmin: float = 150.0,
    fmax: float = 4000.0,
    threshold: float = 0.1,
) -> tuple[Tensor, Tensor]:
    """librosa's ``piptrack(S=...)``: at each local maximum of a frame above ``threshold``
    times the frame's maximum, within ``[fmin, fmax)``, the parabolically interpolated
    frequency and magnitude; zeros elsewhere.

    Args:
        S: ``(..., 1 + n_fft // 2, frames)`` non-negative (librosa takes ``|S|``).

    Returns:
        ``pitches`` in Hz and ``magnitudes``, both shaped like ``S``.
    """
    S = S.abs()
    rows = S.shape[-2]
    freqs = torch.linspace(0, sr / 2, rows, dtype=torch.float64).to(S.dtype)
    in_range = (freqs >= max(fmin, 0.0)) & (freqs < min(fmax, sr / 2))
    frame_max = S.amax(dim=-2, keepdim=True)
    if not scripting():  # noqa: SIM102 - TorchScript folds this test alone
        if not capturing():  # eager: only the rows in range and their neighbours
            inside = in_range.nonzero()[:, 0].tolist()
            if inside and inside[0] >= 1 and inside[-1] <= rows - 2:
                first, last = inside[0] - 1, inside[-1] + 2
                pitches, magnitudes = _peaks(
                    S[..., first:last, :],
                    first,
                    frame_max,
                    in_range[first:last],
                    sr,
                    n_fft,
                    threshold,
                )
                pad = (0, 0, first, rows - last)
                return F.pad(pitches, pad), F.pad(magnitudes, pad)
    return _peaks(S, 0, frame_max, in_range, sr, n_fft, threshold)


def _peaks(
    S: Tensor,
    first: int,
    frame_max: Tensor,
    in_range: Tensor,
    sr: float,
    n_fft: int,
    threshold: float,
) -> tuple[Tensor, Tensor]:
    """:func:`piptrack` over rows ``first ..`` of a spectrogram (``S``, those rows), the
    frames' maxima ``frame_max`` taken over all rows; ``in_range`` marks the rows kept."""
    rows = S.shape[-2]
    above, below = S[..., 2:, :], S[..., :-2, :]
    centre = S[..., 1:-1, :]
    a = above + below - 2 * centre
    b = (above - below) / 2
    inner = torch.where(b.abs() >= a.abs(), 0.0, -b / torch.where(a == 0, 1.0, a))
    edge = torch.zeros_like(S[..., :1, :])
    shift = torch.cat([edge, inner, edge], dim=-2)
    slope = torch.cat(
        [S[..., 1:2, :] - S[..., :1, :], b, S[..., -1:, :] - S[..., -2:-1, :]], dim=-2
    )  # numpy.gradient along the rows
    skew = 0.5 * slope * shift
    kept = S * (threshold * frame_max < S)
    peak_inner = (kept[..., 1:-1, :] > kept[..., :-2, :]) & (kept[..., 1:-1, :] >= kept[..., 2:, :])
    peak_last = kept[..., -1:, :] > kept[..., -2:-1, :]
    peaks = torch.cat([torch.zeros_like(peak_last), peak_inner, peak_last], dim=-2)
    peaks = peaks & in_range[:, None]
    index = torch.arange(first, first + rows, dtype=S.dtype, device=S.device)[:, None]
    pitches = torch.where(peaks, (index + shift) * (sr / n_fft), 0.0)
    magnitudes = torch.where(peaks, S + skew, 0.0)
    return pitches, magnitudes


def estimate_tuning(
    S: Tensor,
    sr: float,
    n_fft: int,
    resolution: float = 0.01,
    bins_per_octave: int = 12,
) -> Tensor:
    """librosa's ``estimate_tuning(S=...)`` for each spectrogram of a batch: the peak of the
    histogram (``resolution`` wide bins over [-0.5, 0.5)) of the pitch residuals, in
    fractions of a bin, of :func:`piptrack`'s peaks whose magnitude reaches their median.
    Not differentiable (a histogram's argmax); 0 where no peak is found.

    The peaks are found in ``S``'s dtype (as librosa does for its input's), the residuals
    and the histogram computed in float64. In eager mode each item's peaks are gathered
    first; under capture (trace, export, compile, ONNX, TorchScript) every bin of the batch
    goes through the histogram with the others masked, the same numbers at fixed shapes.

    Args:
        S: ``(..., 1 + n_fft // 2, frames)`` power or magnitude spectrogram.

    Returns:
        ``(...,)`` float64 tunings.
    """
    pitches, magnitudes = piptrack(S, sr, n_fft)
    lead = S.shape[:-2]
    pitches = pitches.reshape(-1, pitches.shape[-2] * pitches.shape[-1])
    magnitudes = magnitudes.reshape(pitches.shape)
    if not scripting():  # noqa: SIM102 - TorchScript folds this test alone, not a conjunction
        if not capturing():
            tunings = []
            for item_pitches, item_magnitudes in zip(pitches, magnitudes, strict=True):
                found = item_pitches > 0
                tunings.append(
                    _histogram_peak(
                        item_pitches[found].double()[None],
                        item_magnitudes[found].double()[None],
                        resolution,
                        bins_per_octave,
                    )
                )
            if not tunings:
                return torch.zeros(lead, dtype=torch.float64, device=S.device)
            return torch.cat(tunings).reshape(lead)
    out = _histogram_peak(pitches.double(), magnitudes.double(), resolution, bins_per_octave)
    return out.reshape(lead)


def _histogram_peak(
    pitches: Tensor, magnitudes: Tensor, resolution: float, bins_per_octave: int
) -> Tensor:
    """The tuning of each row of ``(items, n)`` peaks (pitch 0: no peak): the histogram's
    fullest bin of the residuals of the peaks at or above the median magnitude (numpy's
    median, ``np.histogram``'s bin edges). Returns ``(items,)`` float64."""
    if pitches.shape[-1] == 0:  # no peak at all
        return torch.zeros(pitches.shape[0], dtype=torch.float64, device=pitches.device)
    found = pitches > 0
    count = found.sum(dim=-1)  # (items,)
    ordered = torch.where(found, magnitudes, torch.inf).sort(dim=-1).values
    last = ordered.shape[-1] - 1
    low = ordered.gather(-1, ((count - 1) // 2).clamp(0, last)[:, None])[:, 0]
    high = ordered.gather(-1, (count // 2).clamp(0, last)[:, None])[:, 0]
    median = torch.where(count > 0, 0.5 * (low + high), 0.0)  # numpy's median
    chosen = found & (magnitudes >= median[:, None])
    safe = torch.where(chosen, pitches, 440.0)
    zero = torch.zeros((), dtype=torch.float64, device=pitches.device)
    residual = torch.remainder(bins_per_octave * hz_to_octs(safe, zero), 1.0)
    residual = torch.where(residual >= 0.5, residual - 1.0, residual)
    n_bins = math.ceil(1.0 / resolution)
    edges = torch.arange(n_bins + 1, dtype=torch.float64, device=pitches.device) / n_bins - 0.5
    edges[-1] = 0.5
    index = torch.floor((residual + 0.5) * n_bins).long().clamp(0, n_bins - 1)
    index = torch.where(residual < edges[index], index - 1, index)  # numpy's edge corrections
    index = torch.where((residual >= edges[index + 1]) & (index != n_bins - 1), index + 1, index)
    counts = torch.zeros(pitches.shape[0], n_bins, dtype=torch.float64, device=pitches.device)
    counts.scatter_add_(-1, index, chosen.double())
    tuning = edges[counts.argmax(dim=-1)]
    return torch.where(chosen.any(dim=-1), tuning, 0.0)


def chroma_stft(
    S: Tensor,
    sr: float,
    n_fft: int,
    tuning: float | None = None,
    n_chroma: int = 12,
    norm: float | None = math.inf,
) -> Tensor:
    """librosa's ``feature.chroma_stft(S=...)``: ``filters.chroma`` applied to a power
    spectrogram, each frame normalised by its ``norm`` (max for inf; None: raw).

    Args:
        S: ``(..., 1 + n_fft // 2, frames)`` power spectrogram.
        tuning: a number, or None to estimate it per item (:func:`estimate_tuning`).

    Returns:
        ``(..., n_chroma, frames)`` in ``S``'s dtype.
    """
    if tuning is None:
        tunings = estimate_tuning(S, sr, n_fft, bins_per_octave=n_chroma)
    else:
        tunings = torch.full((), tuning, dtype=torch.float64)
    bank = chroma_filterbank(sr, n_fft, tunings, n_chroma).to(S.dtype)
    raw = torch.matmul(bank, S)
    return normalize(raw, norm)
