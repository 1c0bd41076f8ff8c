"""Band-limited resampling: by any rational ratio (windowed-sinc polyphase filter, torchaudio's
``resample``) and by integer factors (FFT zero-extension, for the CQT's octaves)."""

import math
import warnings

import torch
import torch.nn.functional as F
from torch import Tensor

from ..checks import compute_dtype
from ..tracing import compiling

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


RESAMPLING_METHODS = ("sinc_interp_hann", "sinc_interp_kaiser")
# torchaudio's older names, which torchaudio 2.11 still accepts with a deprecation warning
OLD_METHOD_NAMES = {"sinc_interpolation": "sinc_interp_hann", "kaiser_window": "sinc_interp_kaiser"}


def resampling_method_name(method: str) -> str:
    """``method`` under its current name: torchaudio's older ``"sinc_interpolation"`` and
    ``"kaiser_window"`` map to ``"sinc_interp_hann"`` and ``"sinc_interp_kaiser"`` with a
    ``DeprecationWarning``, as torchaudio does; anything else is returned as given."""
    if method in OLD_METHOD_NAMES:
        warnings.warn(
            f"resampling_method='{method}' is torchaudio's older name for "
            f"'{OLD_METHOD_NAMES[method]}'; use the new name",
            DeprecationWarning,
            stacklevel=3,
        )
        return OLD_METHOD_NAMES[method]
    return method


KAISER_BETA = 14.769656459379492  # torchaudio's default: ~ -100 dB stop band for width 6


def sinc_resample_kernel(
    orig_freq: int,
    new_freq: int,
    *,
    lowpass_filter_width: int = 6,
    rolloff: float = 0.99,
    resampling_method: str = "sinc_interp_hann",
    beta: float | None = None,
) -> tuple[Tensor, int]:
    """The polyphase filters of a windowed-sinc resampler from ``orig_freq`` to ``new_freq``
    (both divided by their gcd first).

    Output sample ``j`` of every block of ``new_freq`` is ``sum_i x[i] h(i / orig_freq -
    j / new_freq)`` with ``h(t) = c sinc(c t) w(c t)``, ``c = rolloff * min(orig_freq,
    new_freq)`` (the cut-off in units of the reduced rates, ``sinc(u) = sin(pi u) / (pi u)``),
    ``w`` a Hann (``cos**2(pi u / (2 L))``) or Kaiser window over ``|u| <= L``,
    ``L = lowpass_filter_width`` zero crossings, and the result divided by ``orig_freq``.

    Returns:
        ``(new_freq, 1, 2 * width + orig_freq)`` float64 CPU kernels (one per output phase,
        for a convolution with stride ``orig_freq``), and ``width``, the samples of context
        on each side.
    """
    resampling_method = resampling_method_name(resampling_method)
    if resampling_method not in RESAMPLING_METHODS:
        raise ValueError(
            f"resampling_method must be one of {', '.join(RESAMPLING_METHODS)}; got "
            f"{resampling_method!r}"
        )
    gcd = math.gcd(orig_freq, new_freq)
    orig, new = orig_freq // gcd, new_freq // gcd
    base = min(orig, new) * rolloff
    width = math.ceil(lowpass_filter_width * orig / base)
    taps = torch.arange(-width, width + orig, dtype=torch.float64) / orig
    kernel = torch.empty(new, 1, taps.numel(), dtype=torch.float64)
    rows = max(1, 2**21 // taps.numel())  # phases per block: 16 MiB of float64 at a time
    for start in range(0, new, rows):
        phases = torch.arange(start, min(start + rows, new), dtype=torch.float64)
        t = (taps - (phases / new)[:, None]) * base
        t = t.clamp(-lowpass_filter_width, lowpass_filter_width)
        if resampling_method == "sinc_interp_hann":
            window = torch.cos(t * math.pi / lowpass_filter_width / 2) ** 2
        else:
            b = torch.tensor(KAISER_BETA if beta is None else beta, dtype=torch.float64)
            window = torch.i0(b * torch.sqrt(1 - (t / lowpass_filter_width) ** 2)) / torch.i0(b)
        t = t * math.pi
        sinc = torch.where(t == 0, torch.ones_like(t), torch.sin(t) / t)
        kernel[start : start + phases.numel(), 0] = sinc * window * (base / orig)
    return kernel, width


def apply_resample_kernel(
    waveform: Tensor, orig_freq: int, new_freq: int, kernel: Tensor, width: int
) -> Tensor:
    """Resample ``(..., time)`` with :func:`sinc_resample_kernel`'s kernels: zeros beyond both
    ends, one strided convolution, the phases interleaved, cut to
    ``ceil(time * new_freq / orig_freq)`` samples.

    ``orig_freq`` and ``new_freq`` are the rates the kernels were built for (any common factor
    is divided out here too). Half precision is computed in float32.
    """
    gcd = math.gcd(orig_freq, new_freq)
    orig, new = orig_freq // gcd, new_freq // gcd
    dtype = kernel.dtype if waveform.dtype in (torch.float16, torch.bfloat16) else waveform.dtype
    length = waveform.shape[-1]
    x = waveform.reshape(-1, 1, length).to(dtype)
    x = F.pad(x, (width, width + orig))
    out = F.conv1d(x, kernel.to(dtype), stride=orig)  # (items, new, blocks)
    out = out.transpose(1, 2).reshape(waveform.shape[:-1] + (-1,))
    target = (new * length + orig - 1) // orig  # the ceiling, in non-negative integers
    if compiling():  # lets torch.compile keep the length symbolic
        torch._check(target <= out.shape[-1])  # type: ignore[no-untyped-call]
    return out.narrow(-1, 0, target).to(waveform.dtype)


def resample(
    waveform: Tensor,
    orig_freq: int,
    new_freq: int,
    lowpass_filter_width: int = 6,
    rolloff: float = 0.99,
    resampling_method: str = "sinc_interp_hann",
    beta: float | None = None,
) -> Tensor:
    """``(..., time)`` sampled at ``orig_freq`` resampled to ``new_freq`` (integer rates in
    Hz): torchaudio's ``functional.resample``, the kernels built in float64 and cast to the
    input's dtype. Returns ``(..., ceil(time * new_freq / orig_freq))``; the input itself
    when the rates are equal."""
    if orig_freq == new_freq:
        return waveform
    kernel, width = sinc_resample_kernel(
        orig_freq,
        new_freq,
        lowpass_filter_width=lowpass_filter_width,
        rolloff=rolloff,
        resampling_method=resampling_method,
        beta=beta,
    )
    kernel = kernel.to(device=waveform.device, dtype=compute_dtype(waveform.dtype))
    return apply_resample_kernel(waveform, orig_freq, new_freq, kernel, width)
