"""Filterbank builders: windows, Fourier kernels, mel/linear triangles, DCT, CQT wavelets.

Every builder returns float64 tensors on the CPU. Layers cast the result to their own dtype and
device, so a kernel is never computed in low precision.

Kernel layout used throughout torchspec: a real tensor of shape ``(n_freq, 2, n_fft)`` where
``[:, 0]`` holds the real part and ``[:, 1]`` the imaginary part of each complex kernel. Analysis
with such a bank computes ``X[f, t] = sum_n kernel[f, n] * frame_t[n]``.
"""

import math
from collections.abc import Callable, Sequence
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

    Raises:
        TypeError: ``window_fn`` is not callable, ``wkwargs`` is not a dict, or the call
            rejects the arguments.
        ValueError: the window is not a finite real 1-D tensor of ``win_length`` samples, or
            it is zero everywhere.

    Returns:
        Tensor of shape ``(win_length,)``, float64, CPU.
    """
    if not callable(window_fn):
        raise TypeError(
            f"window_fn must be a function (win_length, **wkwargs) -> window, got {window_fn!r}"
        )
    if wkwargs is not None and not isinstance(wkwargs, dict):
        raise TypeError(f"wkwargs must be a dict of keyword arguments or None, got {wkwargs!r}")
    kwargs = dict(wkwargs or {})
    try:
        try:
            window = window_fn(win_length, dtype=torch.float64, **kwargs)
        except TypeError:
            window = window_fn(win_length, **kwargs)
        window = torch.as_tensor(window).detach()
    except (TypeError, RuntimeError, ValueError) as error:
        raise TypeError(
            f"window_fn({win_length}, **wkwargs) failed with wkwargs={kwargs!r}: {error}"
        ) from error
    if window.is_complex() or not (window.dtype.is_floating_point or window.dtype == torch.int64):
        raise ValueError(f"window_fn must return a real window, got dtype {window.dtype}")
    window = window.to(device="cpu", dtype=torch.float64)
    if window.shape != (win_length,):
        raise ValueError(
            f"window_fn must return a 1-D window of win_length={win_length} samples, "
            f"got shape {tuple(window.shape)}"
        )
    if not bool(torch.isfinite(window).all()):
        raise ValueError("window_fn returned a window with NaN or infinite values")
    if not bool(window.abs().sum() > 0):
        raise ValueError("window_fn returned a window that is zero everywhere")
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


# librosa's window names (scipy.signal.get_window) that torch builds, periodic by default
LIBROSA_WINDOWS: dict[str, Callable[..., Tensor]] = {
    "hann": torch.hann_window,
    "hamming": torch.hamming_window,
    "blackman": torch.blackman_window,
}
MEL_SCALES = ("htk", "slaney")

# Slaney's mel scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above (27 mels per
# factor 6.4 in frequency), as in librosa and torchaudio.
_SLANEY_HZ_PER_MEL = 200.0 / 3
_SLANEY_BREAK_HZ = 1000.0
_SLANEY_BREAK_MEL = _SLANEY_BREAK_HZ / _SLANEY_HZ_PER_MEL
_SLANEY_LOG_STEP = math.log(6.4) / 27.0


def hz_to_mel(hz: Tensor, mel_scale: str = "htk") -> Tensor:
    """Frequency in Hz to mels on the ``"htk"`` or ``"slaney"`` scale (float64 tensors)."""
    hz = torch.as_tensor(hz, dtype=torch.float64)
    if mel_scale == "htk":
        return 2595.0 * torch.log10(1.0 + hz / 700.0)
    linear = hz / _SLANEY_HZ_PER_MEL
    log = _SLANEY_BREAK_MEL + torch.log(hz.clamp(min=_SLANEY_BREAK_HZ) / _SLANEY_BREAK_HZ) / (
        _SLANEY_LOG_STEP
    )
    return torch.where(hz >= _SLANEY_BREAK_HZ, log, linear)


def mel_to_hz(mel: Tensor, mel_scale: str = "htk") -> Tensor:
    """Mels on the ``"htk"`` or ``"slaney"`` scale to Hz: the inverse of :func:`hz_to_mel`."""
    mel = torch.as_tensor(mel, dtype=torch.float64)
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
    linear = mel * _SLANEY_HZ_PER_MEL
    log = _SLANEY_BREAK_HZ * torch.exp(_SLANEY_LOG_STEP * (mel - _SLANEY_BREAK_MEL))
    return torch.where(mel >= _SLANEY_BREAK_MEL, log, linear)


def triangular_filterbank(bin_hz: Tensor, edges_hz: Tensor) -> Tensor:
    """Triangles over frequency: filter ``m`` rises from ``edges[m]`` to 1 at ``edges[m+1]``
    and falls back to 0 at ``edges[m+2]``.

    Args:
        bin_hz: ``(n_freq,)`` frequency of every input bin in Hz.
        edges_hz: ``(n_filters + 2,)`` increasing edge frequencies in Hz.

    Returns:
        ``(n_freq, n_filters)`` float64, non-negative.
    """
    bin_hz = bin_hz.to(torch.float64)
    edges_hz = edges_hz.to(torch.float64)
    # A band of zero width (edges that coincide) is an empty filter, not 0 / 0.
    width = (edges_hz[1:] - edges_hz[:-1]).clamp_min(torch.finfo(torch.float64).tiny)
    offset = edges_hz[None, :] - bin_hz[:, None]  # (n_freq, n_filters + 2)
    rising = -offset[:, :-2] / width[:-1]
    falling = offset[:, 2:] / width[1:]
    return torch.clamp(torch.minimum(rising, falling), min=0.0)


def parametric_triangles(
    bin_hz: Tensor, centre: Tensor, lower: Tensor, upper: Tensor, *, slaney: bool
) -> Tensor:
    """Triangles given by their centres and half-widths (differentiable in all three): filter
    ``m`` rises from ``centre - lower`` to 1 at ``centre`` and falls to 0 at ``centre +
    upper``; ``slaney`` divides it by ``(lower + upper) / 2`` (constant energy).

    Args:
        bin_hz: ``(n_freq,)`` bin frequencies in Hz.
        centre, lower, upper: ``(n_filters,)`` in Hz; ``lower`` and ``upper`` > 0.

    Returns:
        ``(n_freq, n_filters)`` non-negative, in the dtype of ``centre``.
    """
    offset = bin_hz.to(centre.dtype)[:, None] - centre[None, :]
    rising = 1 + offset / lower
    falling = 1 - offset / upper
    bank = torch.clamp(torch.minimum(rising, falling), min=0.0)
    return bank * (2.0 / (lower + upper)) if slaney else bank


def mel_frequencies(n_mels: int, *, f_min: float, f_max: float, mel_scale: str = "htk") -> Tensor:
    """``n_mels`` frequencies equally spaced in mels from ``f_min`` to ``f_max`` inclusive
    (librosa.mel_frequencies). The edges of ``n`` mel bands are ``mel_frequencies(n + 2, ...)``.

    Returns:
        ``(n_mels,)`` float64, Hz.
    """
    mel_edges = torch.linspace(
        float(hz_to_mel(torch.tensor(f_min), mel_scale)),
        float(hz_to_mel(torch.tensor(f_max), mel_scale)),
        n_mels,
        dtype=torch.float64,
    )
    return mel_to_hz(mel_edges, mel_scale)


def melscale_fbanks(
    n_freqs: int,
    f_min: float,
    f_max: float,
    n_mels: int,
    sample_rate: float,
    norm: str | None = None,
    mel_scale: str = "htk",
) -> Tensor:
    """Triangular mel filters over the bins ``0 .. sample_rate / 2`` of a onesided STFT
    (torchaudio.functional.melscale_fbanks; librosa.filters.mel transposed).

    The ``n_mels + 2`` edges are :func:`mel_frequencies` from ``f_min`` to ``f_max``; band ``m``
    rises from edge ``m`` to 1 at edge ``m + 1`` and falls to 0 at edge ``m + 2``.
    ``norm="slaney"`` divides each triangle by half its width in Hz (constant energy per band).

    Args:
        n_freqs: number of STFT bins, ``n_fft // 2 + 1``.
        f_min, f_max: lowest and highest edge in Hz.
        n_mels: number of bands.
        sample_rate: sampling rate in Hz.
        norm: None or ``"slaney"``.
        mel_scale: ``"htk"`` or ``"slaney"``.

    Returns:
        ``(n_freqs, n_mels)`` float64.
    """
    bin_hz = torch.linspace(0.0, sample_rate / 2, n_freqs, dtype=torch.float64)
    edges = mel_frequencies(n_mels + 2, f_min=f_min, f_max=f_max, mel_scale=mel_scale)
    bank = triangular_filterbank(bin_hz, edges)
    if norm == "slaney":
        bank = torch.where(bank > 0, bank * (2.0 / (edges[2:] - edges[:-2])), 0.0)
    return bank


def linear_fbanks(
    n_freqs: int, f_min: float, f_max: float, n_filter: int, sample_rate: float
) -> Tensor:
    """Triangular filters with edges equally spaced in Hz (torchaudio.functional.linear_fbanks).

    Returns:
        ``(n_freqs, n_filter)`` float64.
    """
    bin_hz = torch.linspace(0.0, sample_rate / 2, n_freqs, dtype=torch.float64)
    return triangular_filterbank(bin_hz, linear_edges(n_filter, f_min=f_min, f_max=f_max))


def linear_edges(n_filter: int, *, f_min: float, f_max: float) -> Tensor:
    """The ``n_filter + 2`` edges of :func:`linear_fbanks` in Hz, ``(n_filter + 2,)`` float64."""
    return torch.linspace(f_min, f_max, n_filter + 2, dtype=torch.float64)


def create_dct(
    n_mfcc: int, n_mels: int, norm: str | None = "ortho", *, dct_type: int = 2
) -> Tensor:
    """Matrix ``D`` with ``x @ D`` equal to the first ``n_mfcc`` coefficients of
    ``scipy.fft.dct(x, type=dct_type, norm=norm)`` over a last axis of length ``n_mels``
    (torchaudio.functional.create_dct for type 2).

    Types 2 and 3, ``norm`` None or ``"ortho"`` (scipy's definitions).

    Returns:
        ``(n_mels, n_mfcc)`` float64.
    """
    n = torch.arange(n_mels, dtype=torch.float64)[:, None]
    k = torch.arange(n_mfcc, dtype=torch.float64)[None, :]
    if dct_type == 2:
        # y[k] = 2 sum_n x[n] cos(pi k (2n + 1) / (2N))
        matrix = 2.0 * torch.cos(math.pi * k * (2.0 * n + 1.0) / (2.0 * n_mels))
        if norm == "ortho":
            matrix = matrix * math.sqrt(1.0 / (2.0 * n_mels))
            matrix[:, 0] = matrix[:, 0] / math.sqrt(2.0)
        return matrix
    # type 3: y[k] = x[0] + 2 sum_{n>=1} x[n] cos(pi n (2k + 1) / (2N))
    matrix = 2.0 * torch.cos(math.pi * n * (2.0 * k + 1.0) / (2.0 * n_mels))
    matrix[0, :] = 1.0
    if norm == "ortho":
        matrix = matrix * math.sqrt(1.0 / (2.0 * n_mels))
        matrix[0, :] = 1.0 / math.sqrt(n_mels)
    return matrix


def lifter_weights(n_coefficients: int, lifter: float) -> Tensor:
    """Cepstral lifter ``1 + (lifter / 2) * sin(pi * (k + 1) / lifter)`` for coefficient ``k``
    (librosa.feature.mfcc's); all ones when ``lifter`` is 0.

    Returns:
        ``(n_coefficients,)`` float64.
    """
    k = torch.arange(1, n_coefficients + 1, dtype=torch.float64)
    if lifter == 0:
        return torch.ones_like(k)
    weights = 1.0 + (lifter / 2) * torch.sin(math.pi * k / lifter)
    if not bool(torch.isfinite(weights).all()):
        raise ValueError(
            f"lifter={lifter!r} is too small: sin(pi * k / lifter) overflows; use 0 for no "
            "lifter (or a lifter >= 1)"
        )
    return weights


# Equivalent noise bandwidth of the CQT windows in bins: n * sum(w**2) / sum(w)**2 (librosa's
# table values, so that the Nyquist check of a filter bank agrees with librosa's).
CQT_WINDOWS: dict[str, tuple[WindowFn, float]] = {
    "hann": (torch.hann_window, 1.50018310546875),
    "hamming": (torch.hamming_window, 1.3629455320350348),
    "blackman": (torch.blackman_window, 1.7269681554262326),
    "boxcar": (lambda n, **kw: torch.ones(n, **kw), 1.0),
}


def cqt_frequencies(
    n_bins: int,
    *,
    f_min: float,
    bins_per_octave: int = 12,
    intervals: str | Sequence[float] = "equal",
) -> Tensor:
    """Bin centres: ``f_min * 2 ** (k / bins_per_octave)`` for ``k < n_bins`` (``"equal"``,
    librosa.cqt_frequencies), or ``f_min`` times the given ``intervals`` (ratios in ``[1, 2)``)
    repeated an octave higher each time, first ``n_bins`` of them, sorted
    (librosa.interval_frequencies).

    Returns:
        ``(n_bins,)`` float64, Hz.
    """
    if isinstance(intervals, str):
        k = torch.arange(n_bins, dtype=torch.float64)
        return f_min * 2.0 ** (k / bins_per_octave)
    ratios = torch.as_tensor(list(intervals), dtype=torch.float64)
    octaves = -(-n_bins // ratios.numel())
    tiled = torch.outer(2.0 ** torch.arange(octaves, dtype=torch.float64), ratios).flatten()
    return f_min * torch.sort(tiled[:n_bins]).values


def relative_bandwidth(freqs: Tensor, bins_per_octave: int) -> Tensor:
    """Relative bandwidth ``alpha`` of each bin from the local spacing of ``freqs``.

    ``alpha = (2**(2/b) - 1) / (2**(2/b) + 1)`` with ``b`` the local bins per octave: centred
    differences of ``log2(freqs)`` inside, one-sided at both ends (librosa's
    ``_relative_bandwidth``); a single bin uses ``bins_per_octave``.

    Returns:
        ``(n_bins,)`` float64.
    """
    if freqs.numel() == 1:
        b = torch.full_like(freqs, float(bins_per_octave))
    else:
        logf = torch.log2(freqs)
        b = torch.empty_like(freqs)
        b[0] = 1 / (logf[1] - logf[0])
        b[-1] = 1 / (logf[-1] - logf[-2])
        b[1:-1] = 2 / (logf[2:] - logf[:-2])
    ratio = 2.0 ** (2 / b)
    return (ratio - 1) / (ratio + 1)


def wavelet_lengths(
    freqs: Tensor, alpha: Tensor, *, sample_rate: float, filter_scale: float, gamma: Tensor | float
) -> Tensor:
    """Filter lengths in samples (fractional): ``Q * sample_rate / (freqs + gamma / alpha)``
    with ``Q = filter_scale / alpha`` (librosa.filters.wavelet_lengths)."""
    return filter_scale / alpha * sample_rate / (freqs + gamma / alpha)


def erb_gamma(alpha: Tensor) -> Tensor:
    """librosa's default VQT ``gamma``: the equivalent rectangular bandwidth offset
    ``24.7 * alpha / 0.108`` Hz."""
    return alpha * 24.7 / 0.108


def _wavelet(
    freq: float, length: float, *, sample_rate: float, window: str, norm: float | None
) -> tuple[int, Tensor]:
    """One wavelet of librosa.filters.wavelet: ``(first time, (2, n) real/imag samples)``.

    Samples at the integer times ``j`` in ``[floor(-L/2), floor(L/2))``: a periodic window over
    them times ``exp(2j*pi*freq*j / sample_rate)``, divided by its ``L_p`` norm.
    """
    window_fn = CQT_WINDOWS[window][0]
    first = math.floor(-length / 2)
    t = torch.arange(first, math.floor(length / 2), dtype=torch.float64)
    phase = 2 * math.pi * freq / sample_rate * t
    w = window_fn(t.numel(), dtype=torch.float64)
    wave = torch.stack((torch.cos(phase) * w, torch.sin(phase) * w))
    if norm is not None:
        wave = wave / torch.linalg.vector_norm(w, ord=norm)  # |w exp(.)| = |w|
    return first, wave


def cqt_kernels(
    freqs: Tensor,
    lengths: Tensor,
    *,
    sample_rate: float,
    window: str,
    norm: float | None,
    half: int,
) -> Tensor:
    """Correlation kernels of the wavelet transform ``C(t) = sum_j psi(j) x(t - j)``.

    ``psi_k`` is the wavelet of librosa.filters.wavelet for ``freqs[k]`` and ``lengths[k]``
    (see :func:`_wavelet`). The convolution is returned as correlation kernels
    ``K_k[half + m] = psi_k(-m)`` for ``m`` in ``[-half, half)``, so that index ``half`` of a
    frame of ``2 * half`` samples is the time ``t``.

    Args:
        freqs: ``(n_bins,)`` centre frequencies in Hz.
        lengths: ``(n_bins,)`` fractional filter lengths in samples at ``sample_rate``.
        norm: ``p`` of the ``L_p`` normalisation (1, 2, ``inf``) or None for none.
        half: at least ``ceil(max(lengths) / 2) + 1``.

    Returns:
        ``(n_bins, 2, 2 * half)`` float64, real and imaginary parts.
    """
    out = torch.zeros(freqs.numel(), 2, 2 * half, dtype=torch.float64)
    for k, (freq, length) in enumerate(zip(freqs.tolist(), lengths.tolist(), strict=True)):
        first, wave = _wavelet(freq, length, sample_rate=sample_rate, window=window, norm=norm)
        last = first + wave.shape[-1] - 1
        out[k, :, half - last : half - first + 1] = wave.flip(-1)  # time j at index half - j
    return out


def wavelet_basis(
    freqs: Tensor, lengths: Tensor, *, sample_rate: float, window: str, norm: float | None
) -> Tensor:
    """librosa.filters.wavelet(..., pad_fft=True): each wavelet centred (``pad_center``) in
    ``2 ** ceil(log2(max(lengths)))`` samples.

    Returns:
        ``(n_bins, size)`` complex128.
    """
    size = int(2.0 ** math.ceil(math.log2(float(lengths.max()))))
    out = torch.zeros(freqs.numel(), size, dtype=torch.complex128)
    for k, (freq, length) in enumerate(zip(freqs.tolist(), lengths.tolist(), strict=True)):
        _, wave = _wavelet(freq, length, sample_rate=sample_rate, window=window, norm=norm)
        left = (size - wave.shape[-1]) // 2
        out[k, left : left + wave.shape[-1]] = torch.complex(wave[0], wave[1])
    return out


def sparsify_kernels(kernels: Tensor, sparsity: float) -> Tensor:
    """librosa's sparsified FFT basis (``__vqt_filter_fft``) as time-domain kernels.

    librosa computes a CQT frame as ``B @ D``: ``D`` the onesided DFT of an ``n_fft``-sample
    frame, ``B`` each wavelet's DFT with the smallest coefficients holding ``sparsity`` of its
    L1 mass dropped (and its negative frequencies unused). That equals correlating the frame
    with the kernel ``r[n] = sum_{f <= n_fft/2} B[f] exp(-2j pi f n / n_fft)``, built here from
    ``(bins, 2, K)`` kernels centred in ``n_fft`` samples, sized as librosa.vqt sizes it: the
    power of two holding the longest wavelet.

    Returns:
        ``(bins, 2, n_fft)`` real and imaginary parts (the input when ``sparsity`` is 0).
    """
    if sparsity <= 0:
        return kernels
    taps = torch.nonzero(kernels.abs().sum(dim=(0, 1)) > 0).flatten()
    support = int(taps[-1] - taps[0]) + 1 if taps.numel() else 1
    size = int(2 ** math.ceil(math.log2(support)))
    rows = torch.complex(kernels[:, 0], kernels[:, 1]).to(torch.complex128)
    extent = kernels.shape[-1]
    if extent > size:  # only zero margins fall outside: the wavelet itself fits
        rows = rows[:, (extent - size) // 2 : (extent - size) // 2 + size]
    else:
        rows = torch.nn.functional.pad(rows, ((size - extent) // 2, (size - extent + 1) // 2))
    spectrum = torch.fft.ifft(rows) * size  # r[n] = sum_f R[f] exp(-2j pi f n / N) / N
    kept = sparsify_rows(spectrum[:, : size // 2 + 1], sparsity)
    spectrum = torch.nn.functional.pad(kept, (0, size - kept.shape[-1]))
    out = torch.fft.fft(spectrum) / size
    return torch.stack((out.real, out.imag), dim=1)


def sparsify_rows(rows: Tensor, quantile: float) -> Tensor:
    """Zero the smallest entries of each row whose magnitudes sum to less than ``quantile`` of
    the row's L1 norm (librosa.util.sparsify_rows); dense result."""
    if quantile <= 0:
        return rows
    mags = rows.abs()
    ordered = torch.sort(mags, dim=-1).values
    cumulative = torch.cumsum(ordered / mags.sum(-1, keepdim=True), dim=-1)
    index = torch.argmin((cumulative < quantile).to(torch.uint8), dim=-1, keepdim=True)
    threshold = torch.gather(ordered, -1, index)
    return torch.where(mags >= threshold, rows, torch.zeros_like(rows))
