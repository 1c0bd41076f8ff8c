"""The shared analysis and synthesis primitives. All shape rules live here.

Analysis: pad a real signal ``(..., time)``, cut it into frames of ``n_fft`` samples every
``hop_length`` samples, and take the inner product of every frame with every complex kernel of a
bank: a strided 1-D convolution. Output ``(..., n_freq, n_frames)``, complex.

Synthesis: frames (from synthesis kernels or an inverse FFT) overlap-added, divided by the
overlap-added squared window, then trimmed as ``torch.istft`` trims: :func:`synthesise`, the only
overlap-add in the package (inverse STFT on both routes, Griffin-Lim, inverse CQT).

Analysis has a convolution route (:func:`analyse`, the definition, any kernels) and an FFT route
(:func:`analyse_fft`) for the untouched Fourier basis; both share :class:`Framing`, so they agree
on padding, frame count and trimming.
"""

import contextlib
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor

from .checks import layout_hint
from .tracing import compiling, scripting

PAD_MODES = ("constant", "reflect", "replicate", "circular")
NOLA_TOLERANCE = 1e-11  # the smallest window sum-square torch.istft divides by


class Framing:
    """How a signal is padded and cut into frames (a plain class: TorchScript compiles it).

    Attributes:
        n_fft: frame length in samples.
        hop_length: samples between the starts of consecutive frames.
        pad: zeros added on both sides before anything else (torchaudio's ``pad``).
        center: if True, pad ``n_fft // 2`` samples on both sides so that frame ``t`` is centred
            at sample ``t * hop_length`` of the (``pad``-ed) input.
        pad_mode: how the centring pad is filled: one of :data:`PAD_MODES`.
    """

    def __init__(
        self,
        n_fft: int,
        hop_length: int,
        pad: int = 0,
        center: bool = True,
        pad_mode: str = "reflect",
    ) -> None:
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.pad = pad
        self.center = center
        self.pad_mode = pad_mode

    def n_frames(self, length: int) -> int:
        """Number of frames for an input of ``length`` samples."""
        padded = length + 2 * self.pad + (2 * (self.n_fft // 2) if self.center else 0)
        return 1 + (padded - self.n_fft) // self.hop_length

    def min_length(self) -> int:
        """The fewest input samples that give one frame (reflect and circular padding also
        need more samples than they mirror)."""
        half = self.n_fft // 2 if self.center else 0
        need = self.n_fft - 2 * self.pad - 2 * half
        if self.center and self.pad_mode in ("reflect", "circular"):
            need = max(need, half - 2 * self.pad + 1)
        return max(1, need)

    def frame(self, x: Tensor, layer: str) -> tuple[Tensor, list[int]]:
        """Flatten leading dims and pad.

        Args:
            x: ``(..., time)`` real signal.
            layer: name used in error messages.

        Returns:
            ``(batch, padded_time)`` signal ready for framing, and the leading shape ``...``.

        Raises:
            ValueError: for fewer than :meth:`min_length` samples, naming the minimum.
        """
        lead = list(x.shape[:-1])
        length = x.shape[-1]
        if length < self.min_length():
            how = f"center={self.center}" + (f", pad_mode='{self.pad_mode}'" if self.center else "")
            hint = ""
            if not scripting():
                hint = layout_hint(list(x.shape))
            raise ValueError(
                f"{layer}: input of {length} samples is too short; n_fft={self.n_fft}, "
                f"pad={self.pad}, {how} need at least {self.min_length()} samples. Use a longer "
                "input, a smaller n_fft, or center=True with pad_mode='constant'." + hint
            )
        x = x.reshape(-1, 1, length)  # -1, not the product: export keeps the batch dynamic
        if self.pad > 0:
            x = F.pad(x, (self.pad, self.pad))
        if self.center:
            half = self.n_fft // 2
            if half > 0:
                if self.pad_mode == "constant":
                    x = F.pad(x, (half, half))
                else:
                    x = F.pad(x, (half, half), mode=self.pad_mode)
        return x.reshape(-1, x.shape[-1]), lead


_TF32 = {"allowed": False}


@contextlib.contextmanager
def allow_tf32(enabled: bool = True) -> Iterator[None]:
    """Let the convolution routes use TF32 on CUDA inside this context (off by default).

    cuDNN runs float32 convolutions in TF32 on Ampere and newer GPUs unless told not to, which
    costs about three digits (1e-3 relative) on the trainable STFT, the direct CQT route and the
    learnable filterbanks (:func:`conv1d`).
    torchspec's convolutions therefore run in full float32 unless asked otherwise::

        with torchspec.allow_tf32():
            spec = layer(x)   # faster, ~1e-3 relative error on the conv routes
    """
    previous = _TF32["allowed"]
    _TF32["allowed"] = bool(enabled)
    try:
        yield
    finally:
        _TF32["allowed"] = previous


def conv_flags(device: torch.device) -> dict[str, bool] | None:
    """The cuDNN flags the convolution routes run under on ``device`` (None off CUDA)."""
    if device.type != "cuda":
        return None
    return {"enabled": torch.backends.cudnn.enabled, "allow_tf32": _TF32["allowed"]}


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
    out = conv1d(signal.unsqueeze(1), weight, stride=framing.hop_length)
    return out.reshape(lead + [n_freq, 2, out.shape[-1]])


def conv1d(signal: Tensor, weight: Tensor, stride: int, groups: int = 1) -> Tensor:
    """``F.conv1d`` under the package's cuDNN flags (:func:`conv_flags`: no TF32 unless
    :func:`allow_tf32`). Every convolution of torchspec goes through here."""
    if not scripting() and signal.device.type == "cuda":  # TorchScript: torch's TF32 setting
        return _cudnn_conv1d(signal, weight, stride, groups)
    return F.conv1d(signal, weight, stride=stride, groups=groups)


def _cudnn_conv1d(signal: Tensor, weight: Tensor, stride: int, groups: int) -> Tensor:
    flags = conv_flags(signal.device)
    assert flags is not None
    with torch.backends.cudnn.flags(**flags):
        return F.conv1d(signal, weight, stride=stride, groups=groups)


def to_complex(pairs: Tensor) -> Tensor:
    """``(..., n_freq, 2, n_frames)`` real pairs to ``(..., n_freq, n_frames)`` complex
    (complex64 for half-precision pairs, as under autocast: there is no complex bfloat16)."""
    if pairs.dtype != torch.float32 and pairs.dtype != torch.float64:
        pairs = pairs.float()
    return torch.complex(pairs[..., 0, :], pairs[..., 1, :])


def analyse_fft(
    x: Tensor, window: Tensor, framing: Framing, *, onesided: bool, layer: str
) -> Tensor:
    """FFT route of :func:`analyse` for the Fourier kernels ``window * exp(-2j*pi*k*n/n_fft)``.

    Args:
        x: ``(..., time)`` real signal.
        window: ``(win_length,)`` window, ``win_length <= n_fft``; zero-padded to ``n_fft``,
            centred, as :func:`torchspec.functional.pad_window`.

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
    return spec.reshape(lead + [spec.shape[-2], spec.shape[-1]])


def frames(x: Tensor, window: Tensor, framing: Framing, layer: str) -> tuple[Tensor, list[int]]:
    """Padded, windowed frames in frame-major layout, for FFT-based analysis.

    Args:
        x: ``(..., time)`` real signal.
        window: ``(n_fft,)`` analysis window (padded to ``n_fft``).

    Returns:
        ``(batch, n_frames, n_fft)`` and the leading shape ``...``.
    """
    signal, lead = framing.frame(x, layer)
    return signal.unfold(-1, framing.n_fft, framing.hop_length) * window, lead


def overlap_add(frames: Tensor, hop_length: int) -> Tensor:
    """Sum ``(batch, n_frames, n_fft)`` frames placed every ``hop_length`` samples.

    Returns ``(batch, n_fft + hop_length * (n_frames - 1))``. When ``hop_length`` divides
    ``n_fft`` the frames are added as ``n_fft / hop_length`` shifted blocks (contiguous adds, no
    scatter; ten times faster than ``fold`` on CPU); otherwise by ``fold``.
    """
    batch, n_frames, n_fft = frames.shape
    if n_fft % hop_length:
        total = n_fft + hop_length * (n_frames - 1)
        columns = frames.transpose(1, 2)
        return F.fold(columns, (1, total), kernel_size=(1, n_fft), stride=(1, hop_length))[:, 0, 0]
    ratio = n_fft // hop_length
    blocks = frames.reshape(batch, n_frames, ratio, hop_length)
    if compiling():
        # Out of place: in-place slice adds compile to wrong values under torch.compile when
        # the input requires grad (torch 2.13, inductor); eager keeps the faster in-place adds.
        out = F.pad(blocks[:, :, 0], (0, 0, 0, ratio - 1))
        for j in range(1, ratio):
            out = out + F.pad(blocks[:, :, j], (0, 0, j, ratio - 1 - j))
        return out.reshape(batch, -1)
    out = frames.new_zeros([batch, n_frames + ratio - 1, hop_length])
    for j in range(ratio):
        out[:, j : j + n_frames] += blocks[:, :, j]
    return out.reshape(batch, -1)


def window_envelope(window: Tensor, n_frames: int, hop_length: int) -> Tensor:
    """Overlap-added squared window: ``sum_t window[n - t * hop_length] ** 2``.

    Returns:
        ``(n_fft + hop_length * (n_frames - 1),)``.
    """
    squares = window.square().expand(1, n_frames, window.shape[-1])
    return overlap_add(squares, hop_length)[0]


def kept_samples(total: int, framing: Framing, length: int | None) -> tuple[int, int]:
    """Samples ``[start, end)`` of an overlap-added signal that the inverse returns.

    As ``torch.istft``: drop the centring pad, then cut to ``length`` when it is given (a longer
    ``length`` is zero-extended by :func:`synthesise`).
    """
    start = framing.n_fft // 2 if framing.center else 0
    end = total - start if length is None else min(start + length, total)
    return start, max(start, end)


def synthesise(frames: Tensor, window: Tensor, framing: Framing, length: int | None) -> Tensor:
    """THE synthesis primitive: overlap-add, window-envelope normalisation, trim.

    ``y[n] = sum_t frame_t[n - t*hop] / sum_t window[n - t*hop] ** 2`` (as ``torch.istft``),
    centring pad removed, cut or zero-extended to ``length``. Samples that no frame covers (the
    envelope below :data:`NOLA_TOLERANCE`) are left as the overlap-added value, zero; layers
    refuse windows that leave such gaps (:func:`check_nola`) unless gaps are expected (the
    rectangular frames of the inverse CQT).

    Args:
        frames: ``(batch, n_frames, n_fft)`` synthesised frames, synthesis window applied.
        window: ``(n_fft,)`` window whose overlap-added square normalises the sum.
        framing: hop and centring (``framing.pad`` is not removed here).
        length: output length in samples after removing the centring pad, or None.

    Returns:
        ``(batch, time)`` real.
    """
    n_frames = frames.shape[1]
    y = overlap_add(frames, framing.hop_length)
    start, end = kept_samples(y.shape[-1], framing, length)
    envelope = window_envelope(window, n_frames, framing.hop_length)[start:end]
    covered = envelope > 1e-11  # NOLA_TOLERANCE (TorchScript reads no float globals)
    envelope = torch.where(covered, envelope, torch.ones_like(envelope))
    y = y[:, start:end] / envelope
    if length is not None and y.shape[-1] < length:
        y = F.pad(y, (0, length - y.shape[-1]))
    return y


def check_nola(window: Tensor, framing: Framing) -> None:
    """Raise ``ValueError`` if overlap-add cannot divide by the window sum-square somewhere.

    Checks the kept region of a signal long enough to contain the steady state and both edges.
    Uncentred (``center=False``), the first and last ``n_fft - hop_length`` samples are covered
    by fewer frames and may vanish (a Hann window is 0 at its first sample): as
    ``librosa.istft``, those edge samples are divided only where the envelope is above
    :data:`NOLA_TOLERANCE` and are otherwise left as overlap-added (0 for a window that is 0
    there); only gaps in the steady state are refused.
    """
    n_frames = 2 * (-(-framing.n_fft // framing.hop_length)) + 2
    envelope = window_envelope(window.to(torch.float64), n_frames, framing.hop_length)
    start, end = kept_samples(envelope.shape[-1], framing, None)
    kept = envelope[start:end]
    if not framing.center:
        edge = max(0, framing.n_fft - framing.hop_length)
        kept = kept[edge : kept.numel() - edge]
    if kept.numel() == 0 or bool(kept.min() < NOLA_TOLERANCE):
        raise ValueError(
            "window and hop_length fail the nonzero overlap-add condition: the overlap-added "
            f"squared window falls below {NOLA_TOLERANCE} (with center={framing.center}), so "
            "the inverse would divide by zero between frames. Use a smaller hop_length or a "
            "window that overlaps itself at this hop."
        )
