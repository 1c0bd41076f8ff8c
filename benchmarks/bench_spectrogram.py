"""Spectrogram speed, side by side with its peers in one process.

Workload (the issue's): 16 clips x 10 s at 22.05 kHz, n_fft 2048, hop 512, Hann window,
power spectrogram |X|^2 (nnAudio computes |X|; the extra square root is in its time).

Rows (forward only, no autograd, unless trainable):
  complex     torch.stft and torchspec.Spectrogram(power=None).
  power       torch.stft + abs()**2 (what torchaudio computes), torchspec.Spectrogram,
              torchaudio (where it imports), nnAudio 0.3.4 STFT.
  trainable   torchspec.Spectrogram(trainable=True) and nnAudio STFT(trainable=True):
              forward + backward of output.sum() into the kernels; torchspec also under
              torch.autocast(bfloat16), which runs its convolution in bfloat16 (relative error
              ~1e-2: a user's choice, not the default).

Each time is the median of ``--repeats`` runs after ``--warmup`` runs (CUDA: synchronised).
All rows run in interleaved rounds. Ratios are to the group's baseline (its first row;
the trainable group's is nnAudio).
Writes a Markdown table to ``benchmarks/results/spectrogram-<device>.md`` and prints it.

Usage: python benchmarks/bench_spectrogram.py [--device cpu|cuda|all] [--threads 2]
"""

from __future__ import annotations

import torch
from harness import Plan, main, no_grad, optional_import

import torchspec

N_CLIPS, SECONDS, SAMPLE_RATE, N_FFT, HOP = 16, 10.0, 22050, 2048, 512
WORKLOAD = f"{N_CLIPS} clips x {SECONDS:.0f} s at {SAMPLE_RATE} Hz, n_fft {N_FFT}, hop {HOP}."


def plan(device: str) -> Plan:
    audio = torch.randn(N_CLIPS, int(SECONDS * SAMPLE_RATE), device=device)
    window = torch.hann_window(N_FFT, device=device)
    torchaudio = optional_import("torchaudio")
    nnaudio = optional_import("nnAudio.features")

    def stft() -> torch.Tensor:
        return torch.stft(audio, N_FFT, HOP, window=window, return_complex=True)

    complex_layer = torchspec.Spectrogram(N_FFT, hop_length=HOP, power=None, device=device)
    power_layer = torchspec.Spectrogram(N_FFT, hop_length=HOP, device=device)
    rows: Plan = [
        ("complex", "torch.stft", no_grad(stft), ""),
        ("complex", "torchspec.Spectrogram(power=None)", no_grad(lambda: complex_layer(audio)), ""),
        ("power", "torch.stft + abs()**2", no_grad(lambda: stft().abs() ** 2), ""),
        ("power", "torchspec.Spectrogram", no_grad(lambda: power_layer(audio)), ""),
    ]
    if isinstance(torchaudio, str):
        rows.append(("power", "torchaudio.transforms.Spectrogram", None, torchaudio))
    else:
        theirs = torchaudio.transforms.Spectrogram(N_FFT, hop_length=HOP).to(device)
        rows.append(
            ("power", "torchaudio.transforms.Spectrogram", no_grad(lambda: theirs(audio)), "")
        )

    trainable = torchspec.Spectrogram(N_FFT, hop_length=HOP, trainable=True, device=device)

    def autocast_step() -> None:
        with torch.autocast(device, dtype=torch.bfloat16):
            out = trainable(audio)
        out.float().sum().backward()

    if isinstance(nnaudio, str):
        rows.append(("power", "nnAudio STFT", None, nnaudio))
        rows.append(("trainable", "nnAudio STFT", None, nnaudio))
    else:
        options = {
            "n_fft": N_FFT,
            "hop_length": HOP,
            "output_format": "Magnitude",
            "verbose": False,
        }
        nn_fixed = nnaudio.STFT(**options).to(device)
        nn_train = nnaudio.STFT(**options, trainable=True).to(device)
        rows.append(("power", "nnAudio STFT", no_grad(lambda: nn_fixed(audio)), "|X|"))
        rows.append(("trainable", "nnAudio STFT", lambda: nn_train(audio).sum().backward(), "|X|"))
    rows += [
        ("trainable", "torchspec.Spectrogram", lambda: trainable(audio).sum().backward(), ""),
        ("trainable", "torchspec.Spectrogram, bf16 autocast", autocast_step, "bf16 GEMMs"),
    ]
    return rows


if __name__ == "__main__":
    main("spectrogram", "Spectrogram", WORKLOAD, plan, __doc__)
