"""Streams chunk by chunk: torchspec's streams and step forms against kaldi-native-fbank's
OnlineFbank (C++, one object per stream, its Python API), one stream and 64 streams.

Workload: 10 s of audio per stream at 16 kHz fed in 10 ms chunks (160 samples; 1000 chunks),
every frame read back as it becomes ready. Rows time the whole 10 s; the per-chunk cost is the
time / 1000 and the real-time factor (RTF) the time / 10 s per stream (shown in the note).
Kaldi rows use KaldiFbank's defaults (23 bins, dither 0); MelSpectrogram is n_fft 400, hop 160,
80 mels; PCEN takes those 80-band frames. The ONNX rows loop the exported step form
(torchspec.steps) in ONNX Runtime (its own threads: 2), with the same chunks.

Measured (2-thread AMD EPYC, torch 2.13.0+cpu, idle machine; ``results/streaming-cpu.md``):
- KaldiFbank, one stream: a push costs about 190 microseconds (Python and operator dispatch,
  whatever the chunk), a real-time factor of 0.019 (goal 0.05), but 17x the C++ OnlineFbank's
  time; the exported step in ONNX Runtime 56 microseconds per chunk (RTF 0.006, 5x OnlineFbank).
- KaldiFbank, 64 streams batched in one push: 0.32 s for 64 x 10 s against 0.72 s for 64
  OnlineFbank objects: 2.3x their throughput (goal 1x). The step form eager is as fast (0.36 s);
  in ONNX Runtime it is slower (1.6 s: its DFT on a batch of 64).
- MelSpectrogram (80 mels): RTF 0.016 for one stream, 1.37 s for 64 streams (RTF 0.002 each).
- PCEN over 80 mel bands, one frame per push: RTF 0.021 for one stream, 0.38 s for 64.

Usage: python benchmarks/bench_streaming.py [--threads 2] [--repeats 5]
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from harness import Plan, main, optional_import

import torchspec
from torchspec import presets, steps

RATE, SECONDS, CHUNK = 16000, 10.0, 160
WORKLOAD = (
    f"{SECONDS:.0f} s per stream at {RATE} Hz in chunks of {CHUNK} samples (10 ms), 1 and 64 "
    "streams; KaldiFbank defaults (23 bins, dither 0), MelSpectrogram n_fft 400 hop 160 80 mels."
)


def audio(streams: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return 3000 * torch.randn(streams, int(RATE * SECONDS), generator=g)


def chunks_of(x: torch.Tensor, size: int = CHUNK) -> list[torch.Tensor]:
    return list(x.split(size, dim=-1))


def knf_rows(x: torch.Tensor) -> Callable[[], object] | None:
    knf = optional_import("kaldi_native_fbank")
    if isinstance(knf, str):
        return None
    options = knf.FbankOptions()  # type: ignore[attr-defined]
    options.frame_opts.dither = 0.0
    options.mel_opts.num_bins = 23
    pieces = [[c.tolist() for c in chunks_of(stream)] for stream in x]

    def run() -> object:
        online = [knf.OnlineFbank(options) for _ in pieces]  # type: ignore[attr-defined]
        read = [0] * len(online)
        for i in range(len(pieces[0])):
            for s, fbank in enumerate(online):
                fbank.accept_waveform(RATE, pieces[s][i])
                while read[s] < fbank.num_frames_ready:
                    fbank.get_frame(read[s])
                    read[s] += 1
        return read

    return run


def stream_row(layer: torch.nn.Module, x: torch.Tensor) -> Callable[[], object]:
    chunks = chunks_of(x if x.shape[0] > 1 else x[0])
    stream = torchspec.stream(layer)

    @torch.no_grad()
    def run() -> object:
        stream.reset()
        return [stream.push(c) for c in chunks]

    return run


def pcen_row(x: torch.Tensor) -> Callable[[], object]:
    mel = torchspec.MelSpectrogram(RATE, n_fft=400, hop_length=160, n_mels=80)
    frames = mel(x).split(1, dim=-1)  # one frame per 10 ms chunk
    stream = torchspec.stream(torchspec.PCEN(sample_rate=RATE, hop_length=160))

    @torch.no_grad()
    def run() -> object:
        stream.reset()
        return [stream.push(f) for f in frames]

    return run


def step_row(layer: torch.nn.Module, x: torch.Tensor) -> Callable[[], object]:
    step = steps.step(layer, chunk=CHUNK)
    chunks = chunks_of(x)

    @torch.no_grad()
    def run() -> object:
        state = step.initial_state(x.shape[0])
        out = []
        for chunk in chunks:
            frames, *state = step(chunk, *state)
            out.append(frames)
        return out

    return run


def onnx_row(layer: torch.nn.Module, x: torch.Tensor, folder: Path) -> Callable[[], object] | None:
    ort = optional_import("onnxruntime")
    if isinstance(ort, str):
        return None
    step = steps.step(layer, chunk=CHUNK)
    state = step.initial_state(x.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(step, (x[:, :CHUNK], *state), dynamo=True, verbose=False)
    path = folder / f"step-{x.shape[0]}.onnx"
    program.save(str(path))
    options = ort.SessionOptions()  # type: ignore[attr-defined]
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(  # type: ignore[attr-defined]
        str(path), options, providers=["CPUExecutionProvider"]
    )
    names = [i.name for i in session.get_inputs()]
    chunks = [c.numpy() for c in chunks_of(x)]
    start = [s.numpy() for s in state]

    def run() -> object:
        current: list[np.ndarray] = list(start)
        out = []
        for chunk in chunks:
            frames, *current = session.run(None, dict(zip(names, [chunk, *current], strict=True)))
            out.append(frames)
        return out

    return run


def plan(device: str) -> Plan:
    if device != "cpu":
        return []
    folder = Path(tempfile.mkdtemp(prefix="bench-streaming-"))
    rows: Plan = []
    for streams in (1, 64):
        x = audio(streams)
        group = f"KaldiFbank, {streams} stream{'s' * (streams > 1)}"
        fbank = presets.KaldiFbank()
        rows += [
            (group, "kaldi-native-fbank OnlineFbank (C++, one per stream)", knf_rows(x), ""),
            (group, "torchspec stream (push)", stream_row(fbank, x), ""),
            (group, "torchspec step form (eager)", step_row(fbank, x), ""),
            (group, "torchspec step form in ONNX Runtime", onnx_row(fbank, x, folder), ""),
        ]
        mel = torchspec.MelSpectrogram(RATE, n_fft=400, hop_length=160, n_mels=80)
        group = f"MelSpectrogram, {streams} stream{'s' * (streams > 1)}"
        rows += [(group, "torchspec stream (push)", stream_row(mel, x / 3000), "")]
        group = f"PCEN over 80 mels, {streams} stream{'s' * (streams > 1)}"
        rows += [(group, "torchspec stream (one frame per push)", pcen_row(x / 3000), "")]
    return rows


if __name__ == "__main__":
    main("streaming", "Streaming features", WORKLOAD, plan, __doc__)
