"""MelSpectrogram and MFCC speed, side by side with torchaudio, nnAudio and librosa.

Workload (the issue's): 16 clips x 10 s at 22.05 kHz, n_fft 2048, hop 512, 128 mels (HTK
scale, no norm: torchaudio's defaults), power 2; MFCC with 20 coefficients.

Rows (forward only, no autograd):
  mel    torchaudio.transforms.MelSpectrogram (where it imports); the same computation written
         out (torch.stft, abs()**2, matmul with the filterbank) as a stand-in where it does
         not; torchspec.MelSpectrogram; nnAudio 0.3.4 MelSpectrogram; librosa (CPU, per clip).
  mfcc   torchaudio.transforms.MFCC; torchspec.MFCC; nnAudio MFCC; librosa.feature.mfcc.
  trainable  torchspec.MelSpectrogram(trainable_mel=True) and nnAudio's trainable mel:
         forward + backward into the filterbank.

Ratios are to the group's first row that ran. Writes ``benchmarks/results/mel-<device>.md``.

Usage: python benchmarks/bench_mel.py [--device cpu|cuda|all] [--threads 2]
"""

from __future__ import annotations

import torch
from harness import Plan, main, no_grad, optional_import

import torchspec

N_CLIPS, SECONDS, SAMPLE_RATE, N_FFT, HOP, N_MELS, N_MFCC = 16, 10.0, 22050, 2048, 512, 128, 20
WORKLOAD = (
    f"{N_CLIPS} clips x {SECONDS:.0f} s at {SAMPLE_RATE} Hz, n_fft {N_FFT}, hop {HOP}, "
    f"{N_MELS} mels, {N_MFCC} MFCCs."
)
MEL = {"n_fft": N_FFT, "hop_length": HOP, "n_mels": N_MELS}
MEL_L = {"n_mels": N_MELS, "htk": True, "norm": None}  # librosa's names for torchaudio's defaults


def plan(device: str) -> Plan:
    audio = torch.randn(N_CLIPS, int(SECONDS * SAMPLE_RATE), device=device)
    clips = audio.cpu().numpy()
    torchaudio = optional_import("torchaudio")
    nnaudio = optional_import("nnAudio.features")
    librosa = optional_import("librosa")
    rows: Plan = []

    if isinstance(torchaudio, str):
        rows += [("mel", "torchaudio MelSpectrogram", None, torchaudio)]
        window = torch.hann_window(N_FFT, device=device)
        bank = torchspec.MelScale(N_MELS, SAMPLE_RATE, n_stft=N_FFT // 2 + 1, device=device).fb

        def written_out() -> torch.Tensor:
            spec = torch.stft(audio, N_FFT, HOP, window=window, return_complex=True).abs() ** 2
            return torch.matmul(spec.transpose(-1, -2), bank).transpose(-1, -2)

        rows += [("mel", "torch.stft + abs()**2 + matmul", no_grad(written_out), "torchaudio's")]
        rows += [("mfcc", "torchaudio MFCC", None, torchaudio)]
    else:
        ta_mel = torchaudio.transforms.MelSpectrogram(SAMPLE_RATE, **MEL).to(device)
        ta_mfcc = torchaudio.transforms.MFCC(SAMPLE_RATE, N_MFCC, melkwargs=MEL).to(device)
        rows += [
            ("mel", "torchaudio MelSpectrogram", no_grad(lambda: ta_mel(audio)), ""),
            ("mfcc", "torchaudio MFCC", no_grad(lambda: ta_mfcc(audio)), ""),
        ]

    mel = torchspec.MelSpectrogram(SAMPLE_RATE, **MEL, device=device)
    mfcc = torchspec.MFCC(SAMPLE_RATE, N_MFCC, melkwargs=MEL, device=device)
    rows += [
        ("mel", "torchspec MelSpectrogram", no_grad(lambda: mel(audio)), ""),
        ("mfcc", "torchspec MFCC", no_grad(lambda: mfcc(audio)), ""),
    ]

    trainable = torchspec.MelSpectrogram(SAMPLE_RATE, **MEL, trainable_mel=True, device=device)
    rows += [
        ("trainable", "torchspec MelSpectrogram", lambda: trainable(audio).sum().backward(), "")
    ]

    if isinstance(nnaudio, str):
        rows += [(group, f"nnAudio {group}", None, nnaudio) for group in ("mel", "mfcc")]
    else:
        options = {"sr": SAMPLE_RATE, "n_fft": N_FFT, "hop_length": HOP, "verbose": False}
        nn_mel = nnaudio.MelSpectrogram(**options, n_mels=N_MELS, htk=True, norm=None).to(device)
        nn_train = nnaudio.MelSpectrogram(
            **options, n_mels=N_MELS, htk=True, norm=None, trainable_mel=True
        ).to(device)
        nn_mfcc = nnaudio.MFCC(**options, n_mfcc=N_MFCC, n_mels=N_MELS).to(device)
        rows += [
            ("mel", "nnAudio MelSpectrogram", no_grad(lambda: nn_mel(audio)), ""),
            ("mfcc", "nnAudio MFCC", no_grad(lambda: nn_mfcc(audio)), ""),
            ("trainable", "nnAudio MelSpectrogram", lambda: nn_train(audio).sum().backward(), ""),
        ]

    if isinstance(librosa, str) or device != "cpu":
        note = librosa if isinstance(librosa, str) else "CPU only"
        rows += [(group, f"librosa {group}", None, note) for group in ("mel", "mfcc")]
    else:
        options = {"sr": SAMPLE_RATE, "n_fft": N_FFT, "hop_length": HOP, "pad_mode": "reflect"}
        rows += [
            (
                "mel",
                "librosa melspectrogram",
                lambda: [librosa.feature.melspectrogram(y=c, **options, **MEL_L) for c in clips],
                "per clip, float32",
            ),
            (
                "mfcc",
                "librosa mfcc",
                lambda: [librosa.feature.mfcc(y=c, **options, n_mfcc=N_MFCC) for c in clips],
                "per clip, float32",
            ),
        ]
    return rows


if __name__ == "__main__":
    main("mel", "MelSpectrogram and MFCC", WORKLOAD, plan, __doc__)
