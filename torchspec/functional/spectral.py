"""The STFT pair as functions: spectrogram (forward) and inverse_spectrogram, both routes.

Signatures follow ``torchaudio.functional.spectrogram`` / ``inverse_spectrogram``; the keyword
``kernels`` selects the convolution route (any kernels, trainable ones included), otherwise the
FFT route computes the same function for the untouched Fourier basis.
"""

import math
import warnings

import torch
from torch import Tensor

from .. import conv
from ..checks import compute_dtype
from ..tracing import compiling, scripting
from .filterbanks import pad_window


def squared_magnitude(real: Tensor, imag: Tensor) -> Tensor:
    """``real**2 + imag**2``: five times faster than ``abs()**2`` on CPU, and its gradient is
    finite (zero) at zero, unlike the square root inside ``abs``."""
    return torch.addcmul(real.square(), imag, imag)


def magnitude_power(spec: Tensor, power: float | None) -> Tensor:
    """``|spec| ** power`` for a complex ``spec``; ``spec`` itself when ``power`` is None."""
    if power is None:
        return spec
    if power == 2.0:
        return squared_magnitude(spec.real, spec.imag)
    if power == 1.0:
        return spec.abs()
    return spec.abs().pow(power)


def normalize(
    spec: Tensor, normalized: bool | str, window: Tensor, n_fft: int, inverse: bool
) -> Tensor:
    """``spec`` divided (``inverse``: multiplied) by what ``normalized`` asks: the window's L2
    norm (True or ``"window"``), ``sqrt(n_fft)`` (``"frame_length"``), nothing (False)."""
    mode = ("window" if normalized else "none") if isinstance(normalized, bool) else normalized
    if mode == "window":
        norm = window.square().sum().sqrt()
        return spec * norm if inverse else spec / norm
    if mode == "frame_length":
        root = math.sqrt(n_fft)
        return spec * root if inverse else spec / root
    return spec


def spectrogram(
    waveform: Tensor,
    pad: int,
    window: Tensor,
    n_fft: int,
    hop_length: int,
    win_length: int,
    power: float | None,
    normalized: bool | str,
    center: bool = True,
    pad_mode: str = "reflect",
    onesided: bool = True,
    kernels: Tensor | None = None,  # not keyword-only: TorchScript refuses those with defaults
) -> Tensor:
    """Spectrogram of ``(..., time)`` audio: ``|STFT| ** power``, or the complex STFT.

    ``X[f, t] = sum_n w[n] x[t*hop_length + n] exp(-2j*pi*f*n/n_fft)`` over the padded input
    (FFT route), or ``sum_n kernels[f, 0, n] x[...] + 1j * kernels[f, 1, n] x[...]`` with the
    given ``(n_freq, 2, n_fft)`` kernels (convolution route).

    Args:
        waveform: ``(..., time)`` real. float64 is computed in float64, every other float dtype
            in float32; a real result has the input's dtype, a complex one complex128 for
            float64 input and complex64 otherwise.
        pad: zeros added on both sides first (samples).
        window: ``(win_length,)`` window (FFT route; zero-padded to ``n_fft``, centred).
        n_fft, hop_length, win_length: frame, hop and window length in samples.
        power: exponent of the magnitude, or None for the complex STFT.
        normalized: False; True / ``"window"``: divide by the window's L2 norm;
            ``"frame_length"``: divide by ``sqrt(n_fft)``.
        center: pad ``n_fft // 2`` on both sides with ``pad_mode`` so frame ``t`` is centred
            at sample ``t * hop_length``.
        pad_mode: ``"reflect"``, ``"constant"``, ``"replicate"`` or ``"circular"``.
        onesided: bins ``0 .. n_fft // 2`` (True) or all ``n_fft`` (FFT route).
        kernels: ``(n_freq, 2, n_fft)`` analysis kernels, window folded in: convolution route.

    Returns:
        ``(..., n_freq, n_frames)``.
    """
    framing = conv.Framing(n_fft, hop_length, pad, center, pad_mode)
    dtype = compute_dtype(waveform.dtype)
    x = waveform.to(dtype)
    if kernels is None:
        spec = conv.analyse_fft(
            x, window.to(dtype), framing, onesided=onesided, layer="Spectrogram"
        )
        spec = normalize(spec, normalized, window.to(dtype), n_fft, False)
        return as_input_dtype(magnitude_power(spec, power), waveform.dtype)
    pairs = conv.analyse(x, kernels.to(dtype), framing, "Spectrogram")
    pairs = normalize(pairs, normalized, window.to(dtype), n_fft, False)
    return as_input_dtype(pairs_power(pairs, power), waveform.dtype)


def pairs_power(pairs: Tensor, power: float | None) -> Tensor:
    """``|X| ** power`` (or ``X`` for None) of :func:`torchspec.conv.analyse`'s
    ``(..., n_freq, 2, frames)`` real pairs; power 2 without building a complex tensor."""
    if power is not None and power == 2.0:
        return squared_magnitude(pairs[..., 0, :], pairs[..., 1, :])
    return magnitude_power(conv.to_complex(pairs), power)


def as_input_dtype(out: Tensor, dtype: torch.dtype) -> Tensor:
    """A real result in the input's ``dtype``; a complex one as computed (there is no complex
    bfloat16, and complex64 already holds half-precision results exactly).

    Half-precision inputs are computed in float32. Cast back to float16, a value beyond
    float16's range (65504) becomes inf: then a ``UserWarning`` says so (checked outside
    ``torch.compile`` only). bfloat16 has float32's range and never overflows.
    """
    if out.is_complex() or out.dtype == dtype:
        return out
    if dtype == torch.float16 and not scripting():
        warn_float16_overflow(out)
    return out.to(dtype)


def warn_float16_overflow(out: Tensor) -> None:
    """The ``UserWarning`` of :func:`as_input_dtype` (eager only: not under torch.compile or
    TorchScript, where reading a value would break the graph)."""
    if compiling() or not bool((out.abs() > torch.finfo(torch.float16).max).any()):
        return
    warnings.warn(
        "values above float16's largest number (65504) became inf in the float16 "
        "output: pass float32 input (the output follows it), use bfloat16, or a "
        "smaller power (e.g. power=1) or a dB/log head",
        UserWarning,
        stacklevel=4,
    )


def inverse_spectrogram(
    spectrogram: Tensor,
    length: int | None,
    pad: int,
    window: Tensor,
    n_fft: int,
    hop_length: int,
    win_length: int,
    normalized: bool | str,
    center: bool = True,
    pad_mode: str = "reflect",
    onesided: bool = True,
    kernels: Tensor | None = None,  # not keyword-only: TorchScript refuses those with defaults
) -> Tensor:
    """Inverse STFT: synthesised frames overlap-added and divided by the window sum-square.

    The frames are the inverse FFT of each column times the window (FFT route, as
    ``torch.istft``) or ``sum_f Re(X[f]) kernels[f, 0] + Im(X[f]) kernels[f, 1]`` with the given
    ``(n_freq, 2, n_fft)`` synthesis kernels (convolution route); then
    :func:`torchspec.conv.synthesise`. As torchaudio, ``pad`` is removed only when ``length``
    is given. Windows that violate the nonzero overlap-add condition leave zeros where nothing
    covers (the layer refuses them at construction).

    Args:
        spectrogram: ``(..., n_freq, n_frames)`` complex; complex128 is computed in float64,
            anything else in float32.
        length: output samples (without ``pad``), or None for the frames' natural length.
        pad, window, n_fft, hop_length, win_length, normalized, center, onesided: as
            :func:`spectrogram`. ``pad_mode`` is accepted for torchaudio's signature.
        kernels: ``(n_freq, 2, n_fft)`` synthesis kernels: convolution route.

    Returns:
        ``(..., time)`` real.
    """
    framing = conv.Framing(n_fft, hop_length, pad, center, pad_mode)
    if spectrogram.dtype == torch.complex128:
        dtype, spec = torch.float64, spectrogram
    else:
        dtype, spec = torch.float32, spectrogram.to(torch.complex64)
    padded_window = pad_window(window.to(dtype), n_fft)
    spec = normalize(spec, normalized, window.to(dtype), n_fft, True)
    lead, n_freq, n_frames = list(spec.shape[:-2]), spec.shape[-2], spec.shape[-1]
    spec = spec.reshape(-1, n_freq, n_frames)
    if kernels is None:
        columns = spec.transpose(1, 2)  # (batch, frames, freq)
        if onesided:
            frames = torch.fft.irfft(columns, n=n_fft, dim=-1)
        else:
            frames = torch.fft.ifft(columns, n=n_fft, dim=-1).real.contiguous()
        frames = frames.mul_(padded_window)  # in place: the frames are new, and 56 MB saved
    else:
        pairs = torch.view_as_real(spec).permute(0, 2, 1, 3).reshape(-1, n_frames, 2 * n_freq)
        frames = torch.matmul(pairs, kernels.to(dtype).reshape(2 * n_freq, n_fft))
    if length is not None:
        length = length + 2 * pad
    y = conv.synthesise(frames, padded_window, framing, length)
    if length is not None and pad > 0:
        y = y[..., pad:-pad]
    return y.reshape(lead + [y.shape[-1]])
