"""Griffin-Lim phase reconstruction as a function, on the shared framing and synthesis."""

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from .. import conv
from ..checks import check_init_phase, compute_dtype
from ..tracing import scripting
from .filterbanks import pad_window


def griffinlim(
    specgram: Tensor,
    window: Tensor,
    n_fft: int,
    hop_length: int,
    win_length: int,
    power: float,
    n_iter: int,
    momentum: float,
    length: int | None,
    rand_init: bool,
    center: bool = True,  # not keyword-only: TorchScript refuses those with defaults
    pad_mode: str = "reflect",
    init_phase: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Fast Griffin-Lim (Perraudin et al. 2013; librosa.griffinlim's algorithm).

    Each iteration inverts ``magnitude * phase`` (:func:`torchspec.conv.synthesise`),
    re-analyses it with the centred STFT (:func:`torchspec.conv.frames`, ``pad_mode``) and keeps
    the new phase, extrapolated by ``momentum``. Signature as
    ``torchaudio.functional.griffinlim``; the keyword-only options are torchspec's.

    Args:
        specgram: ``(..., n_fft // 2 + 1, frames)`` non-negative magnitude ** ``power``.
        window: ``(win_length,)`` window.
        n_fft, hop_length, win_length: STFT sizes in samples.
        power: exponent of ``specgram`` (2 for power, 1 for magnitude).
        n_iter: iterations.
        momentum: in ``[0, 1)``.
        length: output samples, or None for the frames' natural length. When the STFT of
            ``length`` samples has as many frames as ``specgram`` the iterations run at that
            length (as librosa and torchaudio); otherwise at the natural length, and the
            result is cut or zero-extended at the end.
        rand_init: start from uniform random phases (True) or zero phase.
        center: frames centred on ``t * hop_length`` (True, default) or starting there.
        pad_mode: padding of the re-analysis (``"reflect"``: torchaudio's; ``"constant"``:
            librosa's).
        init_phase: start here instead: a complex spectrogram (its phase) or real phases in
            radians, shaped like ``specgram``.
        generator: random generator for ``rand_init``.

    Returns:
        ``(..., time)``, float64 for float64 input, else float32.
    """
    dtype = compute_dtype(specgram.dtype)
    # clamp: a finite gradient where the magnitude is 0 (d/dx x**(1/p) is infinite there)
    # torch.finfo(dtype).tiny, written out: TorchScript has no finfo
    tiny = 2.2250738585072014e-308 if dtype == torch.float64 else 1.1754943508222875e-38
    magnitude = specgram.to(dtype).clamp_min(tiny).pow(1.0 / power)
    start = _start(magnitude, init_phase, rand_init, generator)  # (..., freq, frames, 2)
    lead, n_freq, n_frames = list(magnitude.shape[:-2]), magnitude.shape[-2], magnitude.shape[-1]
    framing = conv.Framing(n_fft, hop_length, 0, center, pad_mode)
    inner = length if length is not None and framing.n_frames(length) == n_frames else None
    padded = pad_window(window.to(dtype), n_fft)
    # (batch, frames, freq) layout with real (re, im) views: complex element-wise kernels cost
    # more than the FFTs on CPU.
    scale = magnitude.reshape(-1, n_freq, n_frames).transpose(1, 2)
    phase = start.reshape(-1, n_freq, n_frames, 2).transpose(1, 2)

    spec = phase * scale.unsqueeze(-1)
    previous: Tensor | None = None
    for _ in range(n_iter):
        signal = _synthesise(spec, padded, framing, inner)
        frames, _ = conv.frames(signal, padded, framing, "GriffinLim")
        # the same n_frames every iteration, said so: torch.compile(dynamic=True) otherwise
        # nests each iteration's length arithmetic in the next (minutes of symbolic algebra)
        frames = frames.narrow(1, 0, n_frames)
        rebuilt = torch.view_as_real(torch.fft.rfft(frames, dim=-1))  # (batch, frames, freq, 2)
        target = rebuilt
        if previous is not None and momentum > 0:
            target = torch.add(rebuilt, previous, alpha=-momentum / (1 + momentum))
        norm = torch.view_as_complex(target).abs() + 1e-16
        spec = target * (scale / norm).unsqueeze(-1)  # magnitude times the unit phase
        previous = rebuilt
    y = _synthesise(spec, padded, framing, inner)
    if length is not None and inner is None:
        y = y[:, :length] if y.shape[-1] >= length else F.pad(y, (0, length - y.shape[-1]))
    return y.reshape(lead + [y.shape[-1]])


def _synthesise(
    coefficients: Tensor, window: Tensor, framing: conv.Framing, length: int | None
) -> Tensor:
    """The signal of ``(batch, frames, freq, 2)`` one-sided spectra (real, imaginary)."""
    spectrum = torch.view_as_complex(coefficients)
    frames = torch.fft.irfft(spectrum, n=window.shape[-1], dim=-1).mul_(window)
    return conv.synthesise(frames, window, framing, length)


def _start(
    magnitude: Tensor,
    init_phase: Tensor | None,
    rand_init: bool,
    generator: torch.Generator | None,
) -> Tensor:
    """The starting unit phases as real ``(..., freq, frames, 2)`` (cos, sin) pairs: no complex
    tensor is created, so the layer exports to ONNX."""
    if init_phase is not None:
        if not scripting():
            check_init_phase(init_phase, magnitude)
        if init_phase.is_complex():
            complex_dtype = (
                torch.complex128 if magnitude.dtype == torch.float64 else torch.complex64
            )
            pairs = torch.view_as_real(init_phase.to(complex_dtype))
            norm = pairs.square().sum(-1, keepdim=True).sqrt()
            return pairs / (norm + 1e-16)
        return _unit_pairs(init_phase.to(magnitude.dtype))
    if not rand_init:
        return torch.stack((torch.ones_like(magnitude), torch.zeros_like(magnitude)), dim=-1)
    if generator is None:
        # rand_like, not rand(shape, generator=None): ONNX has no translation of the latter
        # and torch.compile(dynamic=True) cannot build it from a symbolic shape
        phase = torch.rand_like(magnitude)
    else:
        phase = torch.rand(
            magnitude.shape, generator=generator, device=magnitude.device, dtype=magnitude.dtype
        )
    return _unit_pairs(2 * math.pi * phase)


def _unit_pairs(angle: Tensor) -> Tensor:
    """``exp(1j * angle)`` as real ``(..., 2)`` (cos, sin) pairs."""
    return torch.stack((torch.cos(angle), torch.sin(angle)), dim=-1)
