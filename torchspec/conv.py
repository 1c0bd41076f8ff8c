"""The shared analysis and synthesis primitives. All shape rules live here.

Analysis: pad a real signal ``(..., time)``, cut it into frames of ``n_fft`` samples every
``hop_length`` samples, and take the inner product of every frame with every complex kernel of a
bank: a strided 1-D convolution. Output ``(..., n_freq, n_frames)``, complex.

Synthesis: the transposed convolution (each frame's kernels summed, frames overlap-added), divided
by the overlap-added squared window, then trimmed as ``torch.istft`` trims.

Each primitive has a convolution route, which is the definition and works with any kernels
(trainable ones included), and an FFT route used when the kernels are the untouched Fourier basis.
Both routes share :class:`Framing`, so they agree on padding, frame count and trimming.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

PAD_MODES = ("constant", "reflect", "replicate", "circular")
NOLA_TOLERANCE = 1e-11  # the smallest window sum-square torch.istft divides by


@dataclass(frozen=True)
class Framing:
    """How a signal is padded and cut into frames.

    Attributes:
        n_fft: frame length in samples.
        hop_length: samples between the starts of consecutive frames.
        pad: zeros added on both sides before anything else (torchaudio's ``pad``).
        center: if True, pad ``n_fft // 2`` samples on both sides so that frame ``t`` is centred
            at sample ``t * hop_length`` of the (``pad``-ed) input.
        pad_mode: how the centring pad is filled: one of :data:`PAD_MODES`.
    """

    n_fft: int
    hop_length: int
    pad: int = 0
    center: bool = True
    pad_mode: str = "reflect"

    def n_frames(self, length: int) -> int:
        """Number of frames for an input of ``length`` samples."""
        padded = length + 2 * self.pad + (2 * (self.n_fft // 2) if self.center else 0)
        return 1 + (padded - self.n_fft) // self.hop_length

    def frame(self, x: Tensor, layer: str) -> tuple[Tensor, torch.Size]:
        """Flatten leading dims and pad.

        Args:
            x: ``(..., time)`` real signal.
            layer: name used in error messages.

        Returns:
            ``(batch, padded_time)`` signal ready for framing, and the leading shape ``...``.
        """
        lead = x.shape[:-1]
        length = x.shape[-1]
        x = x.reshape(-1, 1, length)
        if self.pad > 0:
            x = F.pad(x, (self.pad, self.pad))
        if self.center:
            half = self.n_fft // 2
            if self.pad_mode in ("reflect", "circular") and x.shape[-1] <= half:
                need = half - 2 * self.pad
                raise ValueError(
                    f"{layer}: input of {length} samples is too short for {self.pad_mode} "
                    f"padding of n_fft // 2 = {half} samples; it needs more than {need} samples."
                    " Use a longer input, a smaller n_fft, or pad_mode='constant'."
                )
            if half > 0:
                if self.pad_mode == "constant":
                    x = F.pad(x, (half, half))
                else:
                    x = F.pad(x, (half, half), mode=self.pad_mode)
        if x.shape[-1] < self.n_fft:
            raise ValueError(
                f"{layer}: input of {length} samples gives {x.shape[-1]} samples after padding, "
                f"fewer than n_fft = {self.n_fft}; use a longer input or center=True"
            )
        return x.reshape(-1, x.shape[-1]), lead


def analyse(x: Tensor, kernels: Tensor, framing: Framing, layer: str) -> Tensor:
    """Convolution route: correlate frames of ``x`` with a bank of complex kernels.

    Args:
        x: ``(..., time)`` real signal, in the dtype of ``kernels``.
        kernels: ``(n_freq, 2, n_fft)`` real and imaginary parts of the kernels.
        framing: padding and hop.
        layer: name used in error messages.

    Returns:
        ``(..., n_freq, 2, n_frames)`` real: the real and imaginary parts of
        ``sum_n kernel[f, n] * frame_t[n]``. Kept as pairs so that a power spectrogram never
        builds a complex tensor (which costs a third of the trainable forward+backward time);
        :func:`to_complex` joins them.
    """
    signal, lead = framing.frame(x, layer)
    n_freq = kernels.shape[0]
    weight = kernels.reshape(2 * n_freq, 1, framing.n_fft)
    out = F.conv1d(signal.unsqueeze(1), weight, stride=framing.hop_length)
    return out.reshape(*lead, n_freq, 2, out.shape[-1])


def to_complex(pairs: Tensor) -> Tensor:
    """``(..., n_freq, 2, n_frames)`` real pairs to ``(..., n_freq, n_frames)`` complex."""
    return torch.complex(pairs[..., 0, :], pairs[..., 1, :])


def analyse_fft(
    x: Tensor, window: Tensor, framing: Framing, *, onesided: bool, layer: str
) -> Tensor:
    """FFT route of :func:`analyse` for the Fourier kernels ``window * exp(-2j*pi*k*n/n_fft)``.

    Args:
        x: ``(..., time)`` real signal.
        window: ``(win_length,)`` window, ``win_length <= n_fft``; zero-padded to ``n_fft``,
            centred, as :func:`torchspec.filters.pad_window`.

    Returns:
        ``(..., n_fft // 2 + 1 or n_fft, n_frames)`` complex.
    """
    signal, lead = framing.frame(x, layer)
    spec = torch.stft(
        signal,
        framing.n_fft,
        hop_length=framing.hop_length,
        win_length=window.shape[-1],
        window=window,
        center=False,
        onesided=onesided,
        return_complex=True,
    )
    return spec.reshape(*lead, *spec.shape[-2:])


def window_envelope(window: Tensor, n_frames: int, hop_length: int) -> Tensor:
    """Overlap-added squared window: ``sum_t window[n - t * hop_length] ** 2``.

    Returns:
        ``(n_fft + hop_length * (n_frames - 1),)``.
    """
    squares = window.square().reshape(1, 1, -1)
    ones = torch.ones(1, 1, n_frames, dtype=window.dtype, device=window.device)
    return F.conv_transpose1d(ones, squares, stride=hop_length).reshape(-1)


def _kept(total: int, framing: Framing, length: int | None) -> tuple[int, int]:
    """Samples ``[start, end)`` of an overlap-added signal that the inverse returns.

    As ``torch.istft``: drop the centring pad, then cut to ``length`` when it is given (a longer
    ``length`` is zero-extended afterwards by the caller).
    """
    start = framing.n_fft // 2 if framing.center else 0
    end = total - start if length is None else min(start + length, total)
    return start, max(start, end)


def synthesise(
    spec: Tensor, kernels: Tensor, window: Tensor, framing: Framing, length: int | None
) -> Tensor:
    """Convolution route of the inverse: transposed convolution plus overlap-add normalisation.

    Args:
        spec: ``(..., n_freq, n_frames)`` complex.
        kernels: ``(n_freq, 2, n_fft)`` synthesis kernels (see
            :func:`torchspec.filters.inverse_fourier_kernels`).
        window: ``(n_fft,)`` window whose overlap-added square normalises the sum.
        framing: hop and centring (``framing.pad`` is not removed here).
        length: output length in samples after trimming the centring pad, or None.

    Returns:
        ``(..., time)`` real.
    """
    lead, (n_freq, n_frames) = spec.shape[:-2], spec.shape[-2:]
    pairs = torch.view_as_real(spec.reshape(-1, n_freq, n_frames))  # (batch, freq, frames, 2)
    pairs = pairs.permute(0, 1, 3, 2).reshape(-1, 2 * n_freq, n_frames)
    weight = kernels.reshape(2 * n_freq, 1, framing.n_fft)
    y = F.conv_transpose1d(pairs, weight, stride=framing.hop_length).squeeze(1)
    start, end = _kept(y.shape[-1], framing, length)
    # Trim before dividing: the dropped edges may hold zeros of the envelope.
    y = y[:, start:end] / window_envelope(window, n_frames, framing.hop_length)[start:end]
    if length is not None and y.shape[-1] < length:
        y = F.pad(y, (0, length - y.shape[-1]))
    return y.reshape(*lead, y.shape[-1])


def synthesise_fft(
    spec: Tensor, window: Tensor, framing: Framing, *, onesided: bool, length: int | None
) -> Tensor:
    """FFT route of :func:`synthesise` for the Fourier kernels (``torch.istft``).

    ``window`` is ``(win_length,)``, zero-padded to ``n_fft`` as in :func:`analyse_fft`.
    """
    lead, (n_freq, n_frames) = spec.shape[:-2], spec.shape[-2:]
    total = framing.n_fft + framing.hop_length * (n_frames - 1)
    start, end = _kept(total, framing, length)
    y = torch.istft(
        spec.reshape(-1, n_freq, n_frames),
        framing.n_fft,
        hop_length=framing.hop_length,
        win_length=window.shape[-1],
        window=window,
        center=framing.center,
        onesided=onesided,
        length=end - start,  # never past the signal: zero-extend below, as the conv route
    )
    if length is not None and y.shape[-1] < length:
        y = F.pad(y, (0, length - y.shape[-1]))
    return y.reshape(*lead, y.shape[-1])


def check_nola(window: Tensor, framing: Framing) -> None:
    """Raise ``ValueError`` if overlap-add cannot divide by the window sum-square somewhere.

    Checks the kept region of a signal long enough to contain the steady state and both edges.
    """
    n_frames = 2 * (-(-framing.n_fft // framing.hop_length)) + 2
    envelope = window_envelope(window.to(torch.float64), n_frames, framing.hop_length)
    start, end = _kept(envelope.shape[-1], framing, None)
    kept = envelope[start:end]
    if kept.numel() == 0 or bool(kept.min() < NOLA_TOLERANCE):
        raise ValueError(
            "window and hop_length fail the nonzero overlap-add condition: the overlap-added "
            f"squared window falls below {NOLA_TOLERANCE} (with center={framing.center}), so "
            "the inverse would divide by zero. Use a smaller hop_length, center=True, or a "
            "window that is nonzero at its edges."
        )
