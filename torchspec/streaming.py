"""Streams: an analysis layer fed chunk by chunk, its frames equal to the offline layer's.

``stream = torchspec.stream(layer)`` (one helper for every layer, so the layers stay thin):
``stream.push(chunk)`` takes ``(..., n)`` samples and returns the frames that no later sample
can change; ``stream.flush()`` returns the rest (the end padded as the offline layer pads it)
and leaves the stream ready for a new signal; ``stream.reset()`` forgets everything. All the
frames returned, concatenated along the frame axis, equal ``layer(whole_signal)``.

How: every frame-local layer reads, for frame ``t``, only the samples
``[t * hop - left, t * hop + right)`` (:class:`Reach`). A stream keeps the samples that frames
still to come will read, starting at a multiple of ``hop`` so that frame numbers line up, runs
the layer itself on them and keeps the frames whose samples have all arrived and that do not
read the layer's padding at the kept samples' start. The first frames of the signal are
computed on the signal's own start, so ``center=True`` pads them exactly as offline (they wait
for the samples the padding mirrors); flush runs the layer on the kept end, so the end is padded
as offline. The same code serves the FFT and convolution routes and trainable kernels: the
stream calls the layer. The cost is the frames recomputed at the kept samples' start (about
``(left + right) / hop`` frames per push).

Layers whose output depends on the whole utterance cannot stream exactly and are refused with a
message that says why: dB with ``ref="max"`` or ``top_db`` (MFCC/LFCC take torchaudio's 80 dB
floor below the utterance's maximum unless ``log_mels``/``log_lf`` or ``top_db=None``), Kaldi
features with ``subtract_mean``, the multirate CQT route (its decimation is an FFT
over the whole signal: stream ``route="direct"``), ``pad_mode="circular"`` (the first frame
reads the last samples). :class:`~torchspec.presets.WhisperLogMel` normalises by the utterance's
maximum: its stream gives the un-normalised ``log_mel`` (before the last frame is dropped and
the 8-below-maximum floor).
"""

import math
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from . import cepstrum, cqt, leaf, mel, pcen, presets, scaling, sinc, spectrogram
from .conv import Framing
from .functional.noise import draw_key


@dataclass(frozen=True)
class Reach:
    """Which samples a frame reads: frame ``t`` reads ``[t * hop - left, t * hop + right)``.

    Attributes:
        hop: samples between frames.
        left, right: the frame's extent around ``t * hop`` (samples; ``left`` may be negative
            for frames that start after their index's sample, e.g. ``center=False`` with pad).
        min_length: the fewest samples the layer accepts (reflect padding needs more samples
            than it mirrors); no frame is emitted before that many have arrived.
        frame_dim: the output's frame axis (-1, or -2 for Kaldi's ``(frames, bins)``).
    """

    hop: int
    left: int
    right: int
    min_length: int = 1
    frame_dim: int = -1

    def ready(self, total: int) -> int:
        """Frames whose samples have all arrived after ``total`` samples."""
        if total < max(self.min_length, self.right):
            return 0
        return (total - self.right) // self.hop + 1


def framing_reach(framing: Framing) -> Reach:
    """The :class:`Reach` of an STFT-style :class:`~torchspec.conv.Framing`."""
    left = framing.pad + (framing.n_fft // 2 if framing.center else 0)
    return Reach(framing.hop_length, left, framing.n_fft - left, framing.min_length())


class Stream(Protocol):
    """What every stream offers."""

    latency: int

    def push(self, chunk: Tensor) -> Tensor: ...

    def flush(self) -> Tensor: ...

    def reset(self) -> None: ...


class FrameStream:
    """Samples in, frames out, for a frame-local ``fn`` (normally the layer itself).

    Args:
        fn: ``(..., time) -> (..., features, frames)`` (frames at ``reach.frame_dim``).
        reach: which samples each frame reads.
        name: the layer's name, for messages.

    Attributes:
        latency: samples of look-ahead: frame ``t`` is returned once sample
            ``t * hop + latency - 1`` has been pushed (``reach.right``; the first frame also
            waits for ``reach.min_length`` samples).
    """

    def __init__(self, fn: Any, reach: Reach, name: str) -> None:
        self.fn, self.reach, self.name = fn, reach, name
        self.latency = reach.right
        self.reset()

    def reset(self) -> None:
        """Forget every sample: the next push starts a new signal."""
        self._kept: Tensor | None = None  # samples from `_start` on
        self._start = 0  # signal index of the first kept sample (a multiple of hop)
        self._total = 0  # samples pushed
        self._done = 0  # frames returned
        self._empty: Tensor | None = None  # a zero-frame output of the right shape

    def _run(self, samples: Tensor) -> Tensor:
        """The layer on the kept samples (whose first sample is signal index ``_start``)."""
        out: Tensor = self.fn(samples)
        return out

    def _frame_slice(self, out: Tensor, first: int, stop: int) -> Tensor:
        offset = self._start // self.reach.hop
        return out.narrow(self.reach.frame_dim, first - offset, stop - first)

    def _nothing(self, chunk: Tensor) -> Tensor:
        if self._empty is None:
            probe = chunk.new_zeros((*chunk.shape[:-1], self._probe_length()))
            out = self.fn(probe)
            self._empty = out.narrow(self.reach.frame_dim, 0, 0)
        return self._empty

    def _probe_length(self) -> int:
        reach = self.reach
        return max(reach.min_length, reach.right + max(reach.left, 0) + reach.hop)

    def push(self, chunk: Tensor) -> Tensor:
        """Args: chunk ``(..., n)`` (``n`` may be 0); the leading dims (independent streams)
        stay the same for the whole signal. Returns the frames now complete,
        ``(..., features, k)`` (``k`` may be 0)."""
        if not isinstance(chunk, Tensor):
            raise TypeError(
                f"{self.name} stream: push takes a tensor of samples (..., n), got "
                f"{type(chunk).__name__}"
                + ("; use torch.from_numpy(array)" if type(chunk).__module__ == "numpy" else "")
            )
        if chunk.dim() == 0 or chunk.is_complex() or not chunk.is_floating_point():
            raise ValueError(
                f"{self.name} stream: push takes real floating-point samples (..., n), got "
                f"dtype {chunk.dtype} with shape {tuple(chunk.shape)}"
            )
        if self._kept is None:
            self._kept = chunk
        else:
            if chunk.shape[:-1] != self._kept.shape[:-1]:
                raise ValueError(
                    f"{self.name} stream: chunk of shape {tuple(chunk.shape)} after chunks of "
                    f"leading shape {tuple(self._kept.shape[:-1])}; every chunk of a stream "
                    "has the same leading dims (one per independent stream)"
                )
            self._kept = torch.cat([self._kept, chunk.to(self._kept.dtype)], dim=-1)
        self._total += chunk.shape[-1]
        ready = self.reach.ready(self._total)
        if ready <= self._done:
            return self._nothing(self._kept)
        frames = self._frame_slice(self._run(self._kept), self._done, ready)
        self._done = ready
        self._trim()
        return frames

    def _trim(self) -> None:
        """Drop the samples no frame still to come reads (keeping at least the layer's
        ``min_length``, which covers the end's padding at flush)."""
        assert self._kept is not None
        hop, reach = self.reach.hop, self.reach
        first_needed = self._done * hop - reach.left
        keep_from = min(first_needed, self._total - reach.min_length)
        start = max(0, keep_from) // hop * hop
        if start > self._start:
            self._kept = self._kept[..., start - self._start :]
            self._start = start

    def flush(self) -> Tensor:
        """The frames still to come, the end padded as the offline layer pads it; then the
        stream starts over. Raises the offline layer's error if the whole signal was too
        short for it."""
        if self._kept is None:
            raise ValueError(f"{self.name} stream: flush before any push; push samples first")
        out = self._run(self._kept)
        count = out.shape[self.reach.frame_dim] + self._start // self.reach.hop
        frames = self._frame_slice(out, self._done, max(count, self._done))
        self.reset()
        return frames


class KaldiStream(FrameStream):
    """A :class:`FrameStream` of a Kaldi layer whose dither follows the offline call's: the
    noise key is one draw from ``generator`` at the signal's first push (as the offline call
    draws one), and each run numbers its frames from the kept samples' first frame
    (:meth:`~torchspec.presets.KaldiFbank.analyse`)."""

    def __init__(
        self, layer: presets.KaldiFbank, generator: torch.Generator | None, name: str
    ) -> None:
        self.layer, self.generator = layer, generator
        self._key: int | None = None
        super().__init__(layer, kaldi_reach(layer), name)

    def reset(self) -> None:
        """Forget every sample and the noise key: the next push starts a new signal."""
        super().reset()
        self._key = None

    def _run(self, samples: Tensor) -> Tensor:
        if self.layer.dither == 0.0:
            return super()._run(samples)
        if self._key is None:
            self._key = draw_key(self.generator)
        out: Tensor = self.layer(samples, None, self._key, self._start // self.reach.hop)
        return out


class FramewiseStream:
    """Frames in, frames out, for an elementwise or frame-local map (dB with a fixed ref)."""

    latency = 0

    def __init__(self, fn: Any, name: str) -> None:
        self.fn, self.name = fn, name

    def push(self, frames: Tensor) -> Tensor:
        """Args: frames ``(..., features, k)``. Returns the same shape."""
        out: Tensor = self.fn(frames)
        return out

    def flush(self) -> Tensor:
        """Nothing is held back: an empty result is not known in shape, so this raises."""
        raise ValueError(f"{self.name} stream holds no frames back: there is nothing to flush")

    def reset(self) -> None:
        """Nothing to forget."""


class PCENStream:
    """Frames in, frames out: PCEN with its smoother state carried between pushes."""

    latency = 0

    def __init__(self, layer: pcen.PCEN) -> None:
        self.layer = layer
        self.reset()

    def reset(self) -> None:
        """Forget the smoother: the next push starts as the offline layer starts."""
        self._state: Tensor | None = None

    def push(self, frames: Tensor) -> Tensor:
        """Args: frames ``(..., channels, k)`` non-negative. Returns the same shape."""
        if frames.shape[-1] == 0:
            return frames
        out, self._state = self.layer(frames, self._state, return_zf=True)
        result: Tensor = out
        return result

    def flush(self) -> Tensor:
        """PCEN holds nothing back; raises (use the frames already returned)."""
        raise ValueError("PCEN stream holds no frames back: there is nothing to flush")


class Chain:
    """A sample stream followed by a frame stream (LEAF: filters and pooling, then PCEN)."""

    def __init__(self, first: FrameStream, then: PCENStream) -> None:
        self.first, self.then = first, then
        self.latency = first.latency

    def push(self, chunk: Tensor) -> Tensor:
        """Args: chunk ``(..., n)``. Returns ``(..., features, k)``."""
        return self.then.push(self.first.push(chunk))

    def flush(self) -> Tensor:
        """The frames still to come; then the stream starts over."""
        out = self.then.push(self.first.flush())
        self.then.reset()
        return out

    def reset(self) -> None:
        """Forget everything."""
        self.first.reset()
        self.then.reset()


def _refuse(name: str, why: str) -> ValueError:
    return ValueError(f"{name} cannot stream exactly: {why}")


def checked_framing_reach(framing: Framing, name: str) -> Reach:
    """:func:`framing_reach`, refusing ``pad_mode="circular"`` (the first frame reads the end)."""
    if framing.center and framing.pad_mode == "circular":
        raise _refuse(
            name,
            "pad_mode='circular' wraps the signal's end onto its start, so the first frame "
            "reads the last samples; use pad_mode='reflect', 'replicate' or 'constant'",
        )
    return framing_reach(framing)


def check_db_floor(layer: nn.Module, log_flag: str) -> None:
    """Refuse an MFCC/LFCC whose dB step floors relative to the utterance's maximum."""
    name = type(layer).__name__
    if not getattr(layer, log_flag) and layer.top_db is not None:
        raise _refuse(
            name,
            f"its dB step floors at top_db={layer.top_db:g} below the utterance's maximum "
            f"(torchaudio's behaviour), unknown until the end; build it with {log_flag}=True, "
            "or set layer.top_db = None (offline and streamed alike)",
        )


def kaldi_reach(layer: presets.KaldiFbank) -> Reach:
    """Kaldi's framing as a :class:`Reach`; refuses ``subtract_mean``."""
    name = type(layer).__name__
    if layer.subtract_mean or getattr(layer, "mfcc_subtract_mean", False):
        raise _refuse(name, "subtract_mean subtracts the utterance's mean; use False")
    if layer.snip_edges:
        return Reach(layer.shift, 0, layer.size, layer.size, frame_dim=-2)
    pad = layer.size // 2 - layer.shift // 2
    return Reach(layer.shift, pad, layer.size - pad, 1, frame_dim=-2)


def vqt_reach(layer: cqt.VQT) -> Reach:
    """A CQT/VQT frame's reach: its longest wavelet, plus the multirate route's margin."""
    # frame t is centred at t*hop (center=True) or t*hop + reach; it reads `context` samples
    # on either side (the longest wavelet, plus the decimation margin on the multirate route)
    name = type(layer).__name__
    hop, reach, context = layer.hop_length, layer.reach, layer.context
    if not layer.center:
        return Reach(hop, context - reach, reach + context + 1, 2 * reach)
    if layer.pad_mode == "circular":
        raise _refuse(name, "pad_mode='circular' (the first frame reads the last samples)")
    mirrors = layer.pad_mode in ("reflect", "circular")
    return Reach(hop, context, context + 1, reach + 1 if mirrors else 1)


def leaf_reach(filterbank: leaf.GaborFilterbank, pooling: leaf.GaussianLowpass) -> Reach:
    """The reach of Gabor filters followed by Gaussian pooling (LEAF's front)."""
    # Gabor output u reads samples [u*h - k1//2, u*h - k1//2 + k1); pooled frame t reads
    # Gabor outputs [t*s - k2//2, t*s - k2//2 + k2).
    h, k1 = filterbank.hop_length, filterbank.kernel_size
    s, k2 = pooling.hop_length, pooling.kernel_size
    left = (k2 // 2) * h + k1 // 2
    right = (k2 - 1 - k2 // 2) * h - k1 // 2 + k1
    return Reach(s * h, left, right, 1)


def stream(layer: nn.Module, *, generator: torch.Generator | None = None) -> Any:
    """A stream of ``layer``: push chunks of samples, get the frames ``layer`` would give.

    Covered: :class:`~torchspec.Spectrogram` (every power, linear and log frequency, both
    routes, trainable), :class:`~torchspec.MelSpectrogram`, :class:`~torchspec.MFCC`,
    :class:`~torchspec.LFCC` (without the utterance-relative dB floor), the librosa and Kaldi
    presets (no mean subtraction; Kaldi's dither follows ``generator``),
    :class:`~torchspec.presets.WhisperLogMel` (its
    un-normalised ``log_mel``), :class:`~torchspec.CQT`/:class:`~torchspec.VQT` with
    ``route="direct"``, :class:`~torchspec.SincFilterbank`, :class:`~torchspec.GaborFilterbank`,
    :class:`~torchspec.LEAF`; frames in, frames out: :class:`~torchspec.PCEN` (state carried)
    and :class:`~torchspec.AmplitudeToDB` with a fixed ``ref`` and no ``top_db``; and
    :class:`~torchspec.InverseSpectrogram` as a synthesiser (frames in, finished samples out).

    Args:
        layer: the layer to stream.
        generator: the dither's generator, for KaldiFbank/KaldiMFCC with ``dither``: the
            stream draws its noise key from it at each signal's first push, as
            ``layer(signal, generator)`` draws one, so that equal generators give the
            offline frames, noise included (torch's default generator when None).

    Raises:
        ValueError: the layer's output depends on the whole utterance (the message says which
            setting and what to use instead).
        TypeError: a layer that has no stream.
    """
    name = type(layer).__name__
    if generator is not None and not isinstance(layer, presets.KaldiFbank):
        raise TypeError(
            f"{name} stream: generator is for the dither of KaldiFbank/KaldiMFCC; {name} "
            "draws no random numbers"
        )
    if isinstance(layer, spectrogram.InverseSpectrogram):
        return SynthesisStream(layer)
    if isinstance(layer, spectrogram.Spectrogram):
        return FrameStream(layer, checked_framing_reach(layer.framing, name), name)
    if isinstance(layer, mel.MelSpectrogram):
        return FrameStream(layer, checked_framing_reach(layer.spectrogram.framing, name), name)
    if isinstance(layer, cepstrum.MFCC):
        check_db_floor(layer, "log_mels")
        inner = layer.MelSpectrogram.spectrogram.framing
        return FrameStream(layer, checked_framing_reach(inner, name), name)
    if isinstance(layer, cepstrum.LFCC):
        check_db_floor(layer, "log_lf")
        return FrameStream(layer, checked_framing_reach(layer.Spectrogram.framing, name), name)
    if isinstance(layer, presets.KaldiFbank):
        return KaldiStream(layer, generator, name)
    if isinstance(layer, presets.WhisperLogMel):
        return FrameStream(
            layer.frame_log_mel,
            checked_framing_reach(layer.spectrogram.framing, name),
            name,
        )
    if isinstance(layer, cqt.VQT):
        return FrameStream(layer, vqt_reach(layer), name)
    if isinstance(layer, sinc.SincFilterbank):
        framing = Framing(layer.kernel_size, layer.hop_length, 0, layer.center, "constant")
        return FrameStream(layer, framing_reach(framing), name)
    if isinstance(layer, leaf.GaborFilterbank):
        framing = Framing(layer.kernel_size, layer.hop_length, 0, True, "constant")
        return FrameStream(layer, framing_reach(framing), name)
    if isinstance(layer, leaf.LEAF):
        front = FrameStream(
            lambda x: layer.pooling(layer.filterbank(x)),
            leaf_reach(layer.filterbank, layer.pooling),
            name,
        )
        return Chain(front, PCENStream(layer.compression))
    if isinstance(layer, pcen.PCEN):
        return PCENStream(layer)
    if isinstance(layer, scaling.AmplitudeToDB):
        if layer.ref == "max" or layer.top_db is not None:
            raise _refuse(
                name,
                "ref='max' and top_db are relative to the utterance's maximum, unknown until "
                "its end; use a fixed ref (a number) and top_db=None",
            )
        return FramewiseStream(layer, name)
    raise TypeError(f"{name} has no stream (see torchspec.stream for the layers covered)")


class SynthesisStream:
    """Complex frames in, finished samples out: :class:`~torchspec.InverseSpectrogram` run
    on the frames that overlap the samples still open.

    A sample is finished once every frame that overlaps it has arrived; the stream keeps those
    frames, runs the layer on them and returns the samples that all their frames cover.

    Attributes:
        latency: frames of look-ahead: ``ceil(n_fft / hop) - 1`` later frames overlap a
            frame's first sample.
    """

    def __init__(self, layer: spectrogram.InverseSpectrogram) -> None:
        framing = layer.framing
        if framing.center and framing.pad_mode == "circular":
            raise _refuse("InverseSpectrogram", "pad_mode='circular'")
        self.layer, self.framing = layer, framing
        self.latency = math.ceil(framing.n_fft / framing.hop_length) - 1
        self.reset()

    def reset(self) -> None:
        """Forget every frame."""
        self._kept: Tensor | None = None  # frames from `_first` on
        self._first = 0
        self._frames = 0  # frames pushed
        self._emitted = 0  # samples returned

    @property
    def _trim(self) -> int:
        """Padded-domain samples the offline inverse drops at each end."""
        f = self.framing
        return f.pad + (f.n_fft // 2 if f.center else 0)

    def push(self, frames: Tensor) -> Tensor:
        """Args: frames ``(..., n_freq, k)`` complex (``k`` may be 0). Returns ``(..., n)``
        finished samples (``n`` may be 0)."""
        if self._kept is None:
            self._kept = frames
        else:
            self._kept = torch.cat([self._kept, frames], dim=-1)
        self._frames += frames.shape[-1]
        hop, n_fft, trim = self.framing.hop_length, self.framing.n_fft, self._trim
        # samples before the next frame's start are finished (and inside the offline output)
        finished = min(self._frames * hop, (self._frames - 1) * hop + n_fft - trim) - trim
        if self._frames == 0 or finished <= self._emitted:
            return self._kept.real.new_zeros((*self._kept.shape[:-2], 0))
        samples = self._samples(self._emitted, finished)
        self._emitted = finished
        # keep the frames that overlap the samples still open, and no fewer than the layer
        # trims at the start of what it is given
        first_open = max(0, (finished + trim - n_fft) // hop + 1)
        first = min(first_open, finished // hop)
        if first > self._first:
            self._kept = self._kept[..., first - self._first :]
            self._first = first
        return samples

    def _samples(self, begin: int, end: int | None) -> Tensor:
        """Signal samples ``[begin, end)`` (``end`` None: to the offline inverse's end)."""
        assert self._kept is not None
        out: Tensor = self.layer(self._kept)
        offset = self._first * self.framing.hop_length  # signal index of out[..., 0]
        stop = out.shape[-1] if end is None else end - offset
        return out[..., begin - offset : stop]

    def flush(self) -> Tensor:
        """The remaining samples, to the offline inverse's end; then the stream starts over."""
        if self._kept is None:
            raise ValueError("InverseSpectrogram stream: flush before any push")
        samples = self._samples(self._emitted, None)
        self.reset()
        return samples


def batch_clips(
    layer: nn.Module, waveforms: Tensor, lengths: Tensor | list[int]
) -> tuple[Tensor, Tensor]:
    """``layer`` over a zero-padded batch of clips of different lengths, each clip's frames
    equal to the clip computed alone.

    Zero-padding a batch changes the last frames of every shorter clip: they read the zeros
    instead of the clip's own end padding (reflect, by default). This runs the batch once,
    then recomputes, for each shorter clip, only the frames that read past its end, from the
    clip's last samples (:class:`Reach` says which), as a stream's flush does.

    Args:
        layer: a frame-local layer that :func:`stream` covers with a sample stream
            (Spectrogram, MelSpectrogram, MFCC, the presets, CQT, ...).
        waveforms: ``(batch, ..., time)``, each clip zero-padded at its end.
        lengths: ``(batch,)`` samples of each clip.

    Returns:
        ``(features, frames)``: the layer's output for the batch with each clip's frames as
        computed alone and zeros past them, and ``(batch,)`` the number of frames of each clip.
    """
    runner = stream(layer)
    if not isinstance(runner, FrameStream):
        raise TypeError(
            f"{type(layer).__name__}: batch_clips takes a frame-local layer with a sample "
            "stream (PCEN and LEAF carry state through time: run each clip alone)"
        )
    lengths = torch.as_tensor(lengths).tolist()
    if len(lengths) != waveforms.shape[0] or max(lengths) > waveforms.shape[-1]:
        raise ValueError(
            f"lengths must give the samples of each of the {waveforms.shape[0]} clips, each at "
            f"most {waveforms.shape[-1]}; got {lengths}"
        )
    reach, dim = runner.reach, runner.reach.frame_dim
    out = layer(waveforms).clone()
    counts = []
    for i, length in enumerate(lengths):
        ready = reach.ready(length)
        start = max(0, min(ready * reach.hop - reach.left, length - reach.min_length))
        start = start // reach.hop * reach.hop
        tail = layer(waveforms[i : i + 1, ..., start:length])[0]
        first, count = start // reach.hop, tail.shape[dim] + start // reach.hop
        item = out[i]
        item.narrow(dim, ready, count - ready).copy_(tail.narrow(dim, ready - first, count - ready))
        item.narrow(dim, count, item.shape[dim] - count).zero_()
        counts.append(count)
    return out, torch.tensor(counts)
