"""Learnable frontends, forward + backward, side by side in one process.

Workload (the issue's): 16 clips x 10 s at 16 kHz, float32; every row is forward + backward of
``output.sum()`` into the frontend's parameters (PCEN: forward only, as a fixed head).

Rows:
  stft        n_fft 2048, hop 512: nnAudio STFT(trainable=True) (baseline, |X|),
              torchspec.Spectrogram(trainable=True) (free kernels),
              torchspec.Spectrogram(trainable="window") (the window only, FFT route).
  stft-400    the same three at n_fft 400, hop 160 (25 ms / 10 ms speech frames).
  filterbank  the free-kernel STFT again as baseline, then SincFilterbank (80 filters, 251 taps)
              and GaborFilterbank (40 filters, 401 taps) at hop 160, LEAF (Gabor at hop 1,
              Gaussian pooling, sPCEN) and MelSpectrogram(trainable_mel="parametric").
  pcen        MelSpectrogram (128 mels, hop 160) alone, then followed by PCEN.

Each time is the median of ``--repeats`` runs after ``--warmup`` runs; rows run interleaved.
Writes ``benchmarks/results/learnable-<device>.md`` and prints it.

Usage: python benchmarks/bench_learnable.py [--device cpu|cuda|all] [--threads 2]
"""

from __future__ import annotations

import torch
from harness import Plan, main, no_grad, optional_import

import torchspec

N_CLIPS, SECONDS, SAMPLE_RATE, N_FFT, HOP = 16, 10.0, 16000, 400, 160
WORKLOAD = f"{N_CLIPS} clips x {SECONDS:.0f} s at {SAMPLE_RATE} Hz, float32."


def step(layer: torch.nn.Module, audio: torch.Tensor):  # type: ignore[no-untyped-def]
    def run() -> None:
        layer(audio).sum().backward()

    return run


def plan(device: str) -> Plan:
    audio = torch.randn(N_CLIPS, int(SECONDS * SAMPLE_RATE), device=device)
    nnaudio = optional_import("nnAudio.features")
    rows: Plan = []
    for group, n_fft, hop in (("stft", 2048, 512), ("stft-400", N_FFT, HOP)):
        free = torchspec.Spectrogram(n_fft, hop_length=hop, trainable=True, device=device)
        window = torchspec.Spectrogram(n_fft, hop_length=hop, trainable="window", device=device)
        if isinstance(nnaudio, str):
            rows.append((group, "nnAudio STFT(trainable=True)", None, nnaudio))
        else:
            theirs = nnaudio.STFT(
                n_fft=n_fft,
                hop_length=hop,
                output_format="Magnitude",
                trainable=True,
                verbose=False,
            ).to(device)
            rows.append((group, "nnAudio STFT(trainable=True)", step(theirs, audio), "|X|"))
        rows += [
            (group, "Spectrogram(trainable=True)", step(free, audio), "free kernels"),
            (group, 'Spectrogram(trainable="window")', step(window, audio), f"{n_fft} numbers"),
        ]
    rows.append(("filterbank", "Spectrogram(trainable=True)", step(free, audio), "n_fft 400"))
    sinc = torchspec.SincFilterbank(hop_length=HOP, device=device)
    gabor = torchspec.GaborFilterbank(hop_length=HOP, device=device)
    leaf = torchspec.LEAF(device=device)
    mel = torchspec.MelSpectrogram(
        SAMPLE_RATE, N_FFT, hop_length=HOP, n_mels=80, trainable_mel="parametric", device=device
    )
    rows += [
        ("filterbank", "SincFilterbank (80 x 251 taps)", step(sinc, audio), "hop 160"),
        ("filterbank", "GaborFilterbank (40 x 401 taps)", step(gabor, audio), "hop 160"),
        ("filterbank", "LEAF", step(leaf, audio), "Gabor at hop 1"),
        ("filterbank", 'MelSpectrogram(trainable_mel="parametric")', step(mel, audio), ""),
    ]
    fixed = torchspec.MelSpectrogram(SAMPLE_RATE, N_FFT, hop_length=HOP, device=device)
    pcen = torchspec.PCEN(sample_rate=SAMPLE_RATE, hop_length=HOP)
    rows += [
        ("pcen", "MelSpectrogram", no_grad(lambda: fixed(audio)), "forward"),
        ("pcen", "MelSpectrogram + PCEN", no_grad(lambda: pcen(fixed(audio))), "forward"),
    ]
    return rows


if __name__ == "__main__":
    main("learnable", "Learnable frontends", WORKLOAD, plan, __doc__)
