"""Griffin-Lim speed, side by side with librosa.griffinlim and torchaudio.

Workload (the issue's): 4 clips x 5 s at 22.05 kHz, n_fft 1024, hop 256, 32 iterations,
momentum 0.99, magnitude input. librosa runs on the batch (CPU only). Ratios are to librosa on
CPU, to torchaudio (where it imports) on CUDA. Writes ``benchmarks/results/griffinlim-<device>.md``.

Usage: python benchmarks/bench_griffinlim.py [--device cpu|cuda|all] [--threads 2]
"""

from __future__ import annotations

import torch
from harness import Plan, main, no_grad, optional_import

import torchspec

N_CLIPS, SECONDS, SAMPLE_RATE, N_FFT, HOP, N_ITER = 4, 5.0, 22050, 1024, 256, 32
WORKLOAD = (
    f"{N_CLIPS} clips x {SECONDS:.0f} s at {SAMPLE_RATE} Hz, n_fft {N_FFT}, hop {HOP}, "
    f"{N_ITER} iterations."
)


def plan(device: str) -> Plan:
    audio = torch.randn(N_CLIPS, int(SECONDS * SAMPLE_RATE), device=device)
    magnitude = torchspec.Spectrogram(N_FFT, hop_length=HOP, power=1.0, device=device)(audio)
    librosa = optional_import("librosa")
    torchaudio = optional_import("torchaudio")
    rows: Plan = []
    if isinstance(torchaudio, str):
        rows.append(("griffinlim", "torchaudio GriffinLim", None, torchaudio))
    else:
        theirs = torchaudio.transforms.GriffinLim(N_FFT, N_ITER, hop_length=HOP, power=1.0)
        theirs = theirs.to(device)
        rows.append(("griffinlim", "torchaudio GriffinLim", no_grad(lambda: theirs(magnitude)), ""))
    if isinstance(librosa, str) or device != "cpu":
        note = librosa if isinstance(librosa, str) else "CPU only"
        rows.insert(0, ("griffinlim", "librosa.griffinlim", None, note))
    else:
        array = magnitude.cpu().numpy()
        rows.insert(
            0,
            (
                "griffinlim",
                "librosa.griffinlim",
                lambda: librosa.griffinlim(array, n_iter=N_ITER, hop_length=HOP, n_fft=N_FFT),
                "float32",
            ),
        )
    ours = torchspec.GriffinLim(N_FFT, N_ITER, hop_length=HOP, power=1.0, device=device)
    rows.append(("griffinlim", "torchspec GriffinLim", no_grad(lambda: ours(magnitude)), ""))
    return rows


if __name__ == "__main__":
    main("griffinlim", "GriffinLim", WORKLOAD, plan, __doc__)
