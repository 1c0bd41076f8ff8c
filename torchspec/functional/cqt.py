"""Constant-/variable-Q transforms as functions: the direct and multirate routes, and the
inverse (librosa.icqt's transpose synthesis).

Kernels come per octave group, lowest first, as ``(bins, 2, 2 * half)`` correlation kernels
(:func:`torchspec.functional.cqt_kernels`): index ``half`` of a frame is the frame's time.
"""

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from .. import conv
from ..tracing import onnx_exporting
from .resample import upsample

C1_HZ = 32.70319566257483  # librosa.note_to_hz("C1"): the lowest bin by default
PASSBAND = 0.4  # fraction of a decimated copy's sampling rate that it keeps exactly
EDGE = 64  # samples at the lowest rate between the padded signal's ends and any frame
FIR_HALF = 128  # decimated samples each side of the exported decimation filter's centre


def decimated_copies(signal: Tensor, factors: list[int]) -> dict[int, Tensor]:
    """Copies of ``(batch, time)`` ``signal`` at ``1/d`` of its rate for each power of two ``d``.

    One FFT: copy ``d`` keeps the spectrum below ``PASSBAND`` of its own rate exactly, a raised
    cosine takes it to zero at its Nyquist frequency, and an inverse FFT of ``1/d`` of the
    length gives samples ``0, d, 2d, ...`` of that band-limited signal.

    Under ONNX export the same filter runs as a strided convolution
    (:func:`decimation_kernel`): the exporter shapes ``irfft`` of a dynamic length wrongly
    (pytorch/pytorch#119360), and ONNX Runtime's DFT is exact to float32 only at powers of two
    (measured 2e-3 of the peak at 22,272 points).
    """
    top = max(factors)
    length = -(-signal.shape[-1] // (2 * top)) * (2 * top)
    if onnx_exporting():
        return {factor: fir_decimate(signal, factor, length) for factor in factors}
    spectrum = torch.fft.rfft(signal, n=length)
    copies = {}
    for factor in factors:
        if factor == 1:
            copies[1] = signal
            continue
        size = length // factor
        nu = torch.arange(size // 2 + 1, device=signal.device, dtype=signal.dtype) / size
        copies[factor] = torch.fft.irfft(spectrum[:, : size // 2 + 1] * taper(nu), n=size) / factor
    return copies


def taper(nu: Tensor) -> Tensor:
    """The decimation filter's response at ``nu`` cycles per decimated sample: 1 up to
    ``PASSBAND``, a raised cosine down to 0 at 0.5 (and 0 beyond)."""
    ramp = ((nu - PASSBAND) / (0.5 - PASSBAND)).clamp(0, 1)
    return 0.5 + 0.5 * torch.cos(math.pi * ramp)


def decimation_kernel(factor: int, half: int) -> Tensor:
    """The impulse response of :func:`taper` for decimation by ``factor``, at the full rate:
    float64 taps ``-half .. half`` (symmetric, summing to 1), from an inverse FFT of the
    response at 64 times the taps' resolution (aliasing below 1e-12)."""
    size = 1 << max(12, (64 * half).bit_length())
    nu = torch.arange(size // 2 + 1, dtype=torch.float64) * factor / size
    response = torch.where(nu < 0.5, taper(nu), torch.zeros_like(nu))
    taps = torch.fft.irfft(response.to(torch.complex128), n=size)
    return torch.cat([taps[size - half :], taps[: half + 1]])


def fir_decimate(signal: Tensor, factor: int, length: int) -> Tensor:
    """:func:`decimated_copies`'s copy at ``1 / factor`` as a strided convolution over the
    signal zero-padded to ``length``: taps to :data:`FIR_HALF` decimated samples each side.

    The FFT form is a circular convolution with the untruncated response; the difference is
    the response beyond :data:`FIR_HALF` (and the wrap, at the zero margins): measured 7e-6
    of the peak on CQTs of noise and a chirp (84 and 252 bins, and a VQT).
    """
    if factor == 1:
        return signal
    half = FIR_HALF * factor
    taps = decimation_kernel(factor, half).to(device=signal.device, dtype=signal.dtype)
    padded = F.pad(signal.unsqueeze(1), (half, half + length - signal.shape[-1]))
    return F.conv1d(padded, taps.view(1, 1, -1), stride=factor)[:, 0]


def decimate_kernels(kernels: Tensor, factor: int) -> Tensor:
    """Kernels for a signal decimated by ``factor``: every ``factor``-th tap around the centre
    (index ``half``), times ``factor``.

    ``sum_j k(j) x(t + j) = factor * sum_m k(m * factor) x(t + m * factor)`` when kernel and
    signal are band-limited below the decimated Nyquist frequency: the decimated sum evaluates
    the same wavelets at the same instants.

    Returns:
        ``(bins, 2, 2 * ceil(half / factor))``.
    """
    if factor == 1:
        return kernels
    half = kernels.shape[-1] // 2
    low_half = -(-half // factor)
    taps = torch.arange(-low_half, low_half) * factor + half
    inside = (taps >= 0) & (taps < kernels.shape[-1])
    out = torch.zeros(*kernels.shape[:-1], 2 * low_half, dtype=kernels.dtype)
    out[..., inside] = kernels[..., taps[inside]] * factor
    return out


def reach(kernels: list[Tensor]) -> int:
    """Samples on either side of a frame's centre that the longest kernel reads."""
    return max(k.shape[-1] // 2 for k in kernels)


def n_frames(length: int, *, hop_length: int, center: bool, reach: int) -> int:
    """Frames for ``length`` samples: ``1 + length // hop`` centred (librosa's count), else the
    frames whose longest kernel lies inside the signal."""
    if center:
        return 1 + length // hop_length
    return 1 + (length - 2 * reach) // hop_length


def _check_length(length: int, reach_: int, center: bool, pad_mode: str, layer: str) -> None:
    if not center and length < 2 * reach_:
        raise ValueError(
            f"{layer}: with center=False the input needs at least {2 * reach_} samples "
            f"(the longest wavelet), got {length}; use center=True"
        )
    if center and pad_mode in ("reflect", "circular") and length <= reach_:
        raise ValueError(
            f"{layer}: input of {length} samples is too short for {pad_mode} padding of "
            f"{reach_} samples (half the longest wavelet); it needs at least {reach_ + 1} "
            "samples. Use a longer input, fewer low bins, or pad_mode='constant'."
        )


def vqt_direct(
    x: Tensor,
    kernels: list[Tensor],
    *,
    hop_length: int,
    center: bool,
    pad_mode: str,
    layer: str = "VQT",
) -> Tensor:
    """Wavelet transform by the definition: one strided correlation per octave group at the
    full rate (:func:`torchspec.conv.analyse`).

    Args:
        x: ``(batch, time)`` real, in the kernels' compute dtype.
        kernels: per group ``(bins, 2, 2 * half)``, lowest group first.
        hop_length: samples between frames.
        center: frame ``t`` centred at sample ``t * hop_length`` (padded with ``pad_mode``);
            else frames start where every kernel lies inside the signal.

    Returns:
        ``(batch, n_bins, 2, frames)`` real and imaginary parts.
    """
    longest = reach(kernels)
    _check_length(x.shape[-1], longest, center, pad_mode, layer)
    out = []
    for bank in kernels:
        half = bank.shape[-1] // 2
        signal = x
        if not center:
            skip = longest - half
            signal = x[:, skip : x.shape[-1] - skip]
        framing = conv.Framing(2 * half, hop_length, 0, center, pad_mode)
        out.append(conv.analyse(signal, bank.to(x.dtype), framing, layer))
    return torch.cat(out, dim=1)


def vqt_multirate(
    x: Tensor,
    kernels: list[Tensor],
    factors: list[int],
    *,
    hop_length: int,
    center: bool,
    pad_mode: str,
    reach: int,
    layer: str = "VQT",
) -> Tensor:
    """The same transform on decimated copies: group ``g`` is analysed at ``1 / factors[g]``
    of the rate with :func:`decimate_kernels` of its wavelets.

    The signal is padded with ``pad_mode`` as far as the direct route reads (``reach``), then
    with zeros as far as the decimation filter needs, so the two routes see the same samples.

    Args:
        x: ``(batch, time)`` real.
        kernels: per group, the decimated kernels ``(bins, 2, 2 * half_g)``.
        factors: per group, a power of two dividing ``hop_length``.
        reach: the direct route's :func:`reach` (full-rate samples).

    Returns:
        ``(batch, n_bins, 2, frames)``.
    """
    length = x.shape[-1]
    _check_length(length, reach, center, pad_mode, layer)
    top = max(factors)
    multirate_reach = max(k.shape[-1] // 2 * f for k, f in zip(kernels, factors, strict=True))
    need = multirate_reach + EDGE * top
    offset = 0 if center else reach  # centre of frame 0 in the input
    left = -(-(need + offset) // top) * top - offset
    right = need + top
    signal = x.unsqueeze(1)
    moded = reach if center and pad_mode != "constant" else 0
    if moded:
        signal = F.pad(signal, (moded, moded), mode=pad_mode)
    signal = F.pad(signal, (left - moded, right - moded))
    centre = left + offset  # frame 0, full rate, padded
    count = n_frames(length, hop_length=hop_length, center=center, reach=reach)
    levels = decimated_copies(signal[:, 0], sorted(set(factors)))
    out = []
    for bank, factor in zip(kernels, factors, strict=True):
        half = bank.shape[-1] // 2
        first = centre // factor - half  # start of frame 0 at this level
        hop = hop_length // factor
        span = (count - 1) * hop + 2 * half
        level = levels[factor][:, first : first + span]
        framing = conv.Framing(2 * half, hop, 0, False, "constant")
        out.append(conv.analyse(level, bank.to(x.dtype), framing, layer))
    return torch.cat(out, dim=1)


def icqt(
    cqt: Tensor,
    synthesis: list[Tensor],
    octaves: list[tuple[int, int, int, int]],
    length: int | None = None,
) -> Tensor:
    """Inverse CQT as librosa.icqt: per octave, CQT frames mapped to Fourier frames by the
    octave's synthesis basis, a rectangular-window inverse STFT (:func:`torchspec.conv.
    synthesise`), upsampled to the full rate and summed.

    Args:
        cqt: ``(batch, n_bins, frames)`` complex64 or complex128.
        synthesis: per octave, ``(n_fft // 2 + 1, bins)`` complex basis.
        octaves: per octave ``(first bin, end bin, hop at its rate, upsampling factor)``.
        length: output samples, or None for the frames' length.

    Returns:
        ``(batch, time)`` real.
    """
    y: Tensor | None = None
    for basis, (start, end, hop, up) in zip(synthesis, octaves, strict=True):
        spectra = torch.matmul(basis, cqt[:, start:end]).transpose(1, 2)  # (batch, frames, freq)
        n_fft = 2 * (spectra.shape[-1] - 1)
        frames = torch.fft.irfft(spectra, n=n_fft, dim=-1)
        ones = torch.ones(n_fft, dtype=frames.dtype, device=frames.device)
        part = conv.synthesise(frames, ones, conv.Framing(n_fft, hop), None)
        part = upsample(part, up)
        if y is None:
            y = part
        else:
            y = torch.cat([y[:, : part.shape[-1]] + part, y[:, part.shape[-1] :]], dim=-1)
    assert y is not None
    if length is not None:
        y = y[:, :length] if y.shape[-1] >= length else F.pad(y, (0, length - y.shape[-1]))
    return y
