"""Stateless step forms of streams, for export: ``step(chunk, *state) -> (frames, *state)``.

A :func:`torchspec.stream` keeps Python state and takes chunks of any size. Deployed on a
runtime without Python (ONNX Runtime, ExecuTorch, a C++ server), the same computation is a
module with a fixed chunk size whose state is explicit inputs and outputs: it scripts, exports
with ``torch.export`` and to ONNX (dynamo exporter), and looping it over a signal gives the
stream's frames.

    step = torchspec.steps.step(torchspec.MelSpectrogram(16000, hop_length=160), chunk=320)
    state = step.initial_state(batch=4)
    for chunk in chunks:                       # (4, 320) each
        frames, *state = step(chunk, *state)   # (4, n_mels, 2) each

What differs from the eager stream, all of it fixed by the fixed shapes:
- The first :attr:`FrameStep.warmup` frames of the first step precede the signal (they read
  the zero history); drop them. After them, frame for frame, the steps give the stream's frames.
- The frames that read past the end (the end's padding) are not produced: a step never knows
  that the signal ended. Take them from the eager stream's ``flush``, or, where the layer pads
  with zeros, push chunks of zeros.
- Centred layers pad the start from the first chunk itself: reflect padding needs a first
  chunk of more than ``n_fft // 2`` samples (``chunk`` is checked).

For ONNX Runtime, build the STFT layers with ``route="conv"`` (``stft_route="conv"`` under a
MelSpectrogram or MFCC's ``melkwargs``): ONNX Runtime's DFT operator is exact to float32 only at
powers of two (measured at n_fft 400: 3.3e-5 of the peak; at 512: 5.6e-7), while the
convolution route is a product with float64-built kernels (within 1e-6 of the peak, and about
10 times faster there). The inverse step always synthesises by such a product.
"""

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import cepstrum, leaf, mel, pcen, presets, spectrogram
from .conv import Framing, overlap_add, window_envelope
from .streaming import Reach, check_db_floor, checked_framing_reach, kaldi_reach, leaf_reach


def stft_framing(layer: nn.Module) -> Framing | None:
    """The framing of the STFT under a Spectrogram, MelSpectrogram, MFCC or LFCC (else None)."""
    if isinstance(layer, spectrogram.Spectrogram):
        return layer.framing
    if isinstance(layer, mel.MelSpectrogram):
        return layer.spectrogram.framing
    if isinstance(layer, cepstrum.MFCC):
        return layer.MelSpectrogram.spectrogram.framing
    if isinstance(layer, cepstrum.LFCC):
        return layer.Spectrogram.framing
    return None


def _start_padding(layer: nn.Module) -> tuple[str, int]:
    """How the layer pads the signal's start: ("zeros" | "reflect" | "replicate" |
    "symmetric", samples)."""
    if isinstance(layer, presets.KaldiFbank):
        if layer.snip_edges:
            return "zeros", 0
        return "symmetric", layer.size // 2 - layer.shift // 2
    framing = stft_framing(layer)
    if framing is not None:
        if not framing.center or framing.pad_mode == "constant":
            return "zeros", 0
        if framing.pad > 0:
            raise ValueError(
                f"{type(layer).__name__}: the step form pads the start from the first chunk; "
                f"pad={framing.pad} with pad_mode='{framing.pad_mode}' mirrors the zeros too. "
                "Use pad=0 or pad_mode='constant'"
            )
        return framing.pad_mode, framing.n_fft // 2
    return "zeros", 0  # LEAF and the filterbanks pad with zeros


class FrameStep(nn.Module):
    """``forward(chunk, history, started) -> (frames, history, started)`` for a frame-local
    layer (the fixed-shape form of :class:`~torchspec.streaming.FrameStream`).

    Args:
        layer: the layer (a module; it is called on ``history + chunk``).
        reach: which samples each frame reads (:class:`~torchspec.streaming.Reach`).
        chunk: samples per step, a multiple of ``reach.hop``.
        start: how the layer pads the signal's start, and how many samples: "zeros",
            "reflect", "replicate" or "symmetric" (the first step's history is that padding).

    Attributes:
        history: samples carried between steps (a multiple of the hop).
        frames_per_step: ``chunk // hop``.
        warmup: frames of the first step that precede the signal; drop them.
    """

    def __init__(self, layer: nn.Module, reach: Reach, chunk: int, start: tuple[str, int]) -> None:
        super().__init__()
        hop = reach.hop
        if chunk <= 0 or chunk % hop:
            raise ValueError(f"chunk must be a positive multiple of the hop ({hop}), got {chunk}")
        mode, mirrored = start
        if mirrored + (mode == "reflect") > chunk:
            raise ValueError(
                f"chunk={chunk} is too short to pad the start ({mode}, {mirrored} samples); "
                f"use a chunk of at least {mirrored + 1} samples"
            )
        self.layer, self.hop, self.chunk, self.frame_dim = layer, hop, chunk, reach.frame_dim
        history = -(-(max(reach.left, 0) + reach.right) // hop) * hop
        history = max(history, -(-mirrored // hop) * hop)
        first = (history - reach.right) // hop + 1  # first new frame, in the buffer's frames
        while first * hop - reach.left < 0:
            history, first = history + hop, first + 1
        self.history, self.first = history, first
        self.frames_per_step = chunk // hop
        self.warmup = max(0, -((-reach.right) // hop + 1))
        self.mode, self.mirrored = mode, mirrored

    def initial_state(self, batch: int, *, dtype: torch.dtype = torch.float32) -> list[Tensor]:
        """The state before the first step: ``[history (batch, history), started ()]``."""
        return [torch.zeros(batch, self.history, dtype=dtype), torch.zeros((), dtype=dtype)]

    def _first_history(self, chunk: Tensor) -> Tensor:
        n = self.mirrored
        if self.mode == "reflect":
            padding = chunk[:, 1 : n + 1].flip(-1)
        elif self.mode == "replicate":
            padding = chunk[:, :1].expand(chunk.shape[0], n)
        elif self.mode == "symmetric":
            padding = chunk[:, :n].flip(-1)
        else:
            padding = chunk[:, :0]
        return F.pad(padding, [self.history - padding.shape[-1], 0])

    def _new_frames(self, buffer: Tensor) -> Tensor:
        out: Tensor = self.layer(buffer)
        return out.narrow(self.frame_dim, self.first, self.frames_per_step)

    def forward(
        self, chunk: Tensor, history: Tensor, started: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Args: chunk ``(batch, chunk)``; the state from :meth:`initial_state` or the last
        step. Returns frames ``(batch, features, frames_per_step)`` (Kaldi layers:
        ``(batch, frames_per_step, bins)``) and the new state."""
        past = torch.where(started > 0, history, self._first_history(chunk))
        buffer = torch.cat([past, chunk], dim=-1)
        frames = self._new_frames(buffer)
        return frames, buffer[:, -self.history :], torch.ones_like(started)


class PCENStep(nn.Module):
    """``forward(frames, state) -> (frames, state)``: PCEN with its smoother state explicit.

    Attributes:
        layer: the :class:`~torchspec.PCEN`.
    """

    def __init__(self, layer: pcen.PCEN) -> None:
        super().__init__()
        self.layer = layer

    def initial_state(
        self, batch: int, channels: int, *, dtype: torch.dtype = torch.float32
    ) -> list[Tensor]:
        """The offline layer's start: as if every channel had been 1 forever (librosa's)."""
        b = torch.as_tensor(self.layer.parameters_now()["b"], dtype=dtype).detach()
        return [(1 - b.reshape(-1, 1)).expand(batch, channels, 1).clone()]

    def forward(self, frames: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        """Args: frames ``(batch, channels, k)``; state ``(batch, channels, 1)``."""
        out, zf = self.layer(frames, state, return_zf=True)
        return out, zf


class LEAFStep(nn.Module):
    """LEAF's filters and pooling as a :class:`FrameStep`, then :class:`PCENStep`.

    The pooling pads the filters' output with zeros, not the signal: the step zeroes the
    filter outputs before the signal's start (a ``seen`` sample count is part of the state).
    The warm-up frames enter PCEN as ones, which leaves its smoother where the offline layer
    starts.
    """

    def __init__(self, layer: leaf.LEAF, chunk: int) -> None:
        super().__init__()
        self.filterbank, self.pooling = layer.filterbank, layer.pooling
        self.front = FrameStep(
            nn.Sequential(layer.filterbank, layer.pooling),
            leaf_reach(layer.filterbank, layer.pooling),
            chunk,
            ("zeros", 0),
        )
        self.compression = PCENStep(layer.compression)
        self.warmup, self.n_filters = self.front.warmup, layer.filterbank.n_filters

    def initial_state(self, batch: int, *, dtype: torch.dtype = torch.float32) -> list[Tensor]:
        """``[history, seen, smoother]``: zero history, no samples seen, PCEN's start."""
        history = torch.zeros(batch, self.front.history, dtype=dtype)
        smoother = self.compression.initial_state(batch, self.n_filters, dtype=dtype)
        return [history, torch.zeros((), dtype=dtype), *smoother]

    def forward(
        self, chunk: Tensor, history: Tensor, seen: Tensor, smoother: Tensor
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Args: chunk ``(batch, chunk)`` and the state. Returns frames
        ``(batch, n_filters, frames_per_step)`` and the new state."""
        buffer = torch.cat([history, chunk], dim=-1)
        filtered = self.filterbank(buffer)  # one output per sample (hop 1)
        step = self.filterbank.hop_length
        index = torch.arange(filtered.shape[-1], device=buffer.device, dtype=seen.dtype)
        inside = index * step + (seen - history.shape[-1]) >= 0  # signal index >= 0
        pooled = self.pooling(filtered * inside.to(filtered.dtype))
        frames = pooled.narrow(-1, self.front.first, self.front.frames_per_step)
        count = torch.arange(frames.shape[-1], device=frames.device, dtype=seen.dtype)
        warm = count * self.front.hop + seen < self.warmup * self.front.hop
        frames = torch.where(warm, torch.ones_like(frames), frames)
        out, smoother_out = self.compression(frames, smoother)
        return out, buffer[:, -history.shape[-1] :], seen + chunk.shape[-1], smoother_out


class InverseStep(nn.Module):
    """``forward(pairs, overlap, envelope) -> (samples, overlap, envelope)``: the inverse STFT
    as a streaming synthesiser with its overlap-add state explicit.

    ``pairs`` are ``(batch, n_freq, frames_per_step, 2)`` real (real, imaginary) pairs, so
    that ONNX can carry them. Each step returns ``frames_per_step * hop`` samples of the
    overlap-added signal, finished; the first :attr:`warmup` samples are the centring pad
    (drop them). Each frame is synthesised as a product with an ``(2 * n_freq, n_fft)`` basis
    of cosines and sines built in float64 (:func:`irfft_basis`), which is the inverse real FFT
    (ONNX Runtime's inverse DFT rounds to 6e-5 of the peak at n_fft 400).
    """

    basis: Tensor

    def __init__(self, layer: spectrogram.InverseSpectrogram, frames_per_step: int) -> None:
        super().__init__()
        if layer.kernels is not None or layer.normalized or layer.pad or not layer.onesided:
            raise ValueError(
                "the inverse step form takes the FFT route with normalized=False, pad=0 and "
                "onesided=True"
            )
        self.layer, self.frames_per_step = layer, frames_per_step
        self.n_fft, self.hop = layer.n_fft, layer.hop_length
        self.overlap = self.n_fft - self.hop
        self.warmup = self.n_fft // 2 if layer.center else 0
        self.register_buffer("basis", irfft_basis(self.n_fft).to(layer.window.dtype))

    def initial_state(self, batch: int, *, dtype: torch.dtype = torch.float32) -> list[Tensor]:
        """``[overlap (batch, n_fft - hop), envelope (n_fft - hop,)]``, zeros."""
        return [
            torch.zeros(batch, self.overlap, dtype=dtype),
            torch.zeros(self.overlap, dtype=dtype),
        ]

    def forward(
        self, pairs: Tensor, overlap: Tensor, envelope: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Args: pairs ``(batch, n_freq, k, 2)``, state. Returns samples ``(batch, k * hop)``
        and the new state."""
        window = F.pad(self.layer.window, [0, self.n_fft - self.layer.window.shape[-1]])
        window = window.to(pairs.dtype)
        k, hop = self.frames_per_step, self.hop
        # (batch, k, n_freq * 2) against the basis's interleaved cosine and sine rows
        columns = pairs.transpose(1, 2).reshape(pairs.shape[0], k, -1)
        frames = torch.matmul(columns, self.basis.to(pairs.dtype)) * window
        summed = overlap_add(frames, hop)
        weight = window_envelope(window, k, hop)
        summed = summed + F.pad(overlap, [0, k * hop])
        weight = weight + F.pad(envelope, [0, k * hop])
        done, ready = summed[:, : k * hop], weight[: k * hop]
        # NOLA_TOLERANCE (TorchScript reads no float globals)
        ready = torch.where(ready > 1e-11, ready, torch.ones_like(ready))
        return done / ready, summed[:, k * hop :], weight[k * hop :]


def irfft_basis(n_fft: int) -> Tensor:
    """The inverse real DFT as a matrix: ``(2 * (n_fft // 2 + 1), n_fft)`` float64 rows
    alternating the cosine and sine of each bin, so that ``pairs.reshape(..., -1) @ basis``
    equals ``torch.fft.irfft(complex(pairs), n=n_fft)`` (the imaginary parts of the DC and
    Nyquist bins ignored, as irfft does)."""
    bins = torch.arange(n_fft // 2 + 1, dtype=torch.float64)
    weight = torch.full_like(bins, 2.0)
    weight[0] = 1.0
    if n_fft % 2 == 0:
        weight[-1] = 1.0
    # k * n reduced mod n_fft before the angle: exact phases for any n_fft
    turns = torch.remainder(bins[:, None] * torch.arange(n_fft, dtype=torch.float64), n_fft)
    angle = (2 * torch.pi / n_fft) * turns
    scale = (weight / n_fft)[:, None]
    return torch.stack([scale * angle.cos(), -scale * angle.sin()], dim=1).reshape(-1, n_fft)


def step(layer: nn.Module, *, chunk: int) -> Any:
    """The step form of ``torchspec.stream(layer)`` with ``chunk`` samples per step (frames per
    step for :class:`~torchspec.PCEN` and :class:`~torchspec.InverseSpectrogram`).

    Covered: Spectrogram, MelSpectrogram, MFCC, LFCC, the Kaldi presets, the filterbanks
    (:class:`FrameStep`), PCEN (:class:`PCENStep`), LEAF (:class:`LEAFStep`) and
    InverseSpectrogram (:class:`InverseStep`). Raises as :func:`torchspec.stream` does.
    """
    name = type(layer).__name__
    if isinstance(layer, spectrogram.InverseSpectrogram):
        return InverseStep(layer, chunk)
    if isinstance(layer, pcen.PCEN):
        return PCENStep(layer)
    if isinstance(layer, leaf.LEAF):
        return LEAFStep(layer, chunk)
    if isinstance(layer, presets.KaldiFbank):
        if layer.dither != 0.0:
            raise ValueError(
                f"{name}: the step form has no dither (its noise would need the frame count "
                "as state); export with dither=0.0, or stream with torchspec.stream(layer, "
                "generator=...)"
            )
        return FrameStep(layer, kaldi_reach(layer), chunk, _start_padding(layer))
    if isinstance(layer, (cepstrum.MFCC, cepstrum.LFCC)):
        check_db_floor(layer, "log_mels" if isinstance(layer, cepstrum.MFCC) else "log_lf")
    framing = stft_framing(layer)
    if framing is not None:
        reach = checked_framing_reach(framing, name)
        return FrameStep(layer, reach, chunk, _start_padding(layer))
    raise TypeError(f"{name} has no step form (see torchspec.steps.step)")
