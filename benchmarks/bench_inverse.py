"""Synthesis speed: InverseSpectrogram (both routes), GriffinLim and InverseCQT beside torch.istft.

Workload: 16 clips x 10 s at 22.05 kHz, n_fft 2048, hop 512 (STFT pair); 4 clips x 5 s, n_fft
1024, hop 256, 32 iterations (Griffin-Lim); 4 clips x 5 s, 84 bins, hop 512 (InverseCQT).
Inverse mel: one 5 s clip, 128 Slaney mels from n_fft 2048, against librosa's mel_to_stft and
torchaudio's InverseMelScale (where it imports). Ratios are to ``torch.istft`` for the inverse
STFT, to librosa for the others.
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
    rows.extend(_inverse_mel(device, short[:1]))
    return rows


def _inverse_mel(device: str, audio: torch.Tensor) -> Plan:
    """mel -> linear power, 128 Slaney mels of n_fft 2048; the note gives the recovered
    magnitude's relative error ||sqrt(P_hat) - |X| || / || |X| || of each method."""
    stft = torchspec.Spectrogram(2048, hop_length=512, device=device)
    power = stft(audio)[0]
    mel_layer = torchspec.MelScale(
        128, SAMPLE_RATE, n_stft=1025, norm="slaney", mel_scale="slaney", device=device
    )
    mel = mel_layer(power)
    magnitude = power.sqrt()

    def error(estimate: torch.Tensor) -> str:
        value = (estimate.clamp_min(0).sqrt() - magnitude).norm() / magnitude.norm()
        return f"magnitude error {float(value):.4f}"

    ours = torchspec.InverseMelScale(
        1025, 128, SAMPLE_RATE, norm="slaney", mel_scale="slaney", device=device
    )
    rows: Plan = []
    librosa = optional_import("librosa")
    if isinstance(librosa, str) or device != "cpu":
        rows.append(("inverse mel", "librosa mel_to_stft", None, "CPU only"))
    else:
        array = mel.cpu().numpy()

        def theirs() -> object:
            return librosa.feature.inverse.mel_to_stft(
                array, sr=SAMPLE_RATE, n_fft=2048, power=2.0, norm="slaney"
            )

        estimate = torch.from_numpy(theirs()).to(device) ** 2
        rows.append(("inverse mel", "librosa mel_to_stft", theirs, error(estimate)))
    torchaudio = optional_import("torchaudio")
    if isinstance(torchaudio, str):
        rows.append(("inverse mel", "torchaudio InverseMelScale", None, torchaudio))
    else:
        peer = torchaudio.transforms.InverseMelScale(
            1025, 128, SAMPLE_RATE, norm="slaney", mel_scale="slaney"
        ).to(device)
        rows.append(
            (
                "inverse mel",
                "torchaudio InverseMelScale",
                no_grad(lambda: peer(mel)),
                error(peer(mel)),
            )
        )
    with torch.no_grad():
        rows.append(
            (
                "inverse mel",
                "torchspec InverseMelScale",
                no_grad(lambda: ours(mel)),
                error(ours(mel)),
            )
        )
    return rows


if __name__ == "__main__":
    main("inverse", "Synthesis", WORKLOAD, plan, __doc__)
