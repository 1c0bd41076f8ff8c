"""Synthesis speed: InverseSpectrogram (both routes), GriffinLim and InverseCQT beside torch.istft.

Workload: 16 clips x 10 s at 22.05 kHz, n_fft 2048, hop 512 (STFT pair); 4 clips x 5 s, n_fft
1024, hop 256, 32 iterations (Griffin-Lim); 4 clips x 5 s, 84 bins, hop 512 (InverseCQT).
Ratios are to ``torch.istft`` for the inverse STFT, to librosa for the others.
Writes ``benchmarks/results/inverse-<device>.md``.

Usage: python benchmarks/bench_inverse.py [--device cpu|cuda|all] [--threads 2]
"""

from __future__ import annotations

import torch
from harness import Plan, main, no_grad, optional_import

import torchspec

SAMPLE_RATE, N_FFT, HOP = 22050, 2048, 512
WORKLOAD = (
    f"16 clips x 10 s at {SAMPLE_RATE} Hz, n_fft {N_FFT}, hop {HOP} (inverse STFT); 4 x 5 s, "
    "n_fft 1024, hop 256, 32 iterations (Griffin-Lim); 4 x 5 s, 84 bins, hop 512 (InverseCQT)."
)


def plan(device: str) -> Plan:
    audio = torch.randn(16, 10 * SAMPLE_RATE, device=device)
    window = torch.hann_window(N_FFT, device=device)
    spec = torch.stft(audio, N_FFT, HOP, window=window, return_complex=True)
    length = audio.shape[-1]
    fft = torchspec.InverseSpectrogram(N_FFT, hop_length=HOP, device=device)
    trainable = torchspec.InverseSpectrogram(N_FFT, hop_length=HOP, trainable=True, device=device)
    rows: Plan = [
        (
            "inverse STFT",
            "torch.istft",
            no_grad(lambda: torch.istft(spec, N_FFT, HOP, window=window, length=length)),
            "",
        ),
        (
            "inverse STFT",
            "torchspec InverseSpectrogram",
            no_grad(lambda: fft(spec, length)),
            "FFT route",
        ),
        (
            "inverse STFT",
            "torchspec InverseSpectrogram(trainable=True)",
            no_grad(lambda: trainable(spec, length)),
            "conv route",
        ),
    ]
    short = audio[:4, : 5 * SAMPLE_RATE]
    magnitude = torchspec.Spectrogram(1024, hop_length=256, power=1.0, device=device)(short)
    griffinlim = torchspec.GriffinLim(1024, 32, hop_length=256, power=1.0, device=device)
    librosa = optional_import("librosa")
    if isinstance(librosa, str) or device != "cpu":
        rows.append(("griffinlim", "librosa.griffinlim", None, "CPU only"))
    else:
        mags = magnitude.cpu().numpy()
        rows.append(
            (
                "griffinlim",
                "librosa.griffinlim",
                lambda: librosa.griffinlim(mags, n_iter=32, hop_length=256, n_fft=1024),
                "float32",
            )
        )
    rows.append(("griffinlim", "torchspec GriffinLim", no_grad(lambda: griffinlim(magnitude)), ""))
    cqt = torchspec.CQT(SAMPLE_RATE, hop_length=HOP, device=device)(short)
    icqt = torchspec.InverseCQT(SAMPLE_RATE, hop_length=HOP, device=device)
    if isinstance(librosa, str) or device != "cpu":
        rows.append(("icqt", "librosa.icqt", None, "CPU only"))
    else:
        coefficients = cqt.cpu().numpy()
        rows.append(
            (
                "icqt",
                "librosa.icqt",
                lambda: librosa.icqt(coefficients, sr=SAMPLE_RATE, hop_length=HOP),
                "complex64",
            )
        )
    rows.append(("icqt", "torchspec InverseCQT", no_grad(lambda: icqt(cqt, short.shape[-1])), ""))
    return rows


if __name__ == "__main__":
    main("inverse", "Synthesis", WORKLOAD, plan, __doc__)
