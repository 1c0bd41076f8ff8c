"""librosa's features, resampling and time stretching, side by side with their peers in one run.

Workload (the issue's): a batch of 16 clips of 10 s at 22.05 kHz. librosa runs per clip, as it
is used (each of its features from the audio, its own defaults); torchspec runs the batch at
once in float32. Resampling to 16 kHz: soxr per clip at librosa's default quality
(``soxr_hq``) and torchaudio's ``Resample`` (its default Hann-windowed sinc, width 6, the same
kernel as torchspec's) where it imports. ``TimeStretch`` (rate 1.25 on an STFT with hop 512):
torchaudio where it imports. Ratios are to the group's first row. Writes
``benchmarks/results/features-<device>.md``.

Usage: python benchmarks/bench_features.py [--device cpu|cuda|all] [--threads 2]
    [--repeats 3]

torchaudio's PyPI wheel needs a CUDA torch. On a CPU-only torch, run this script from a venv
where its compiled ``lib/*.so`` files are moved aside: its ``transforms`` are pure Python and
import there.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from harness import Plan, main, no_grad, optional_import

import torchspec

N, SECONDS, RATE = 16, 10.0, 22050
WORKLOAD = f"{N} clips x {SECONDS:.0f} s at {RATE} Hz (tones, a chirp and clicks in noise)."


def clips() -> torch.Tensor:
    """16 clips: a few harmonic tones, a chirp and a click train over noise, each different."""
    rng = np.random.default_rng(0)
    t = np.arange(int(SECONDS * RATE)) / RATE
    out = []
    for i in range(N):
        f0 = 110.0 * 2 ** (i / 7)
        tone = sum(np.sin(2 * np.pi * f0 * h * t) / h for h in (1, 2, 3))
        chirp = np.sin(2 * np.pi * (200 * t + 20 * (i + 1) * t**2))
        clicks = (np.arange(t.size) % int(RATE * (0.4 + 0.02 * i)) < 40).astype(float)
        out.append(0.2 * tone + 0.2 * chirp + 0.3 * clicks + 0.01 * rng.standard_normal(t.size))
    return torch.from_numpy(np.stack(out)).float()


# (group, librosa call per clip, torchspec layer over the batch)
Features = list[tuple[str, Callable[..., object], Callable[[], torch.nn.Module]]]


def plan(device: str) -> Plan:
    librosa = optional_import("librosa")
    audio = clips().to(device)
    per_clip = [clip.numpy() for clip in audio.cpu()]
    rows: Plan = []
    features = [] if isinstance(librosa, str) else _librosa_features(librosa)
    for name, reference, layer in features:
        rows.append(
            (
                name,
                f"librosa {name} (per clip)",
                lambda reference=reference: [reference(y) for y in per_clip],
                "",
            )
        )
        module = layer().to(device)
        rows.append((name, "torchspec (batch)", no_grad(lambda m=module: m(audio)), ""))
    if isinstance(librosa, str):
        rows.append(("librosa features", "librosa", None, librosa))
    _resample(rows, audio, per_clip, device)
    _stretch(rows, audio, device)
    return rows


def _librosa_features(librosa: object) -> Features:
    out: Features = []

    def feature(
        name: str, reference: Callable[..., object], layer: Callable[[], torch.nn.Module]
    ) -> None:
        out.append((name, reference, layer))

    lf = librosa.feature  # type: ignore[attr-defined]
    onset = librosa.onset  # type: ignore[attr-defined]
    sr = RATE
    feature("chroma_stft", lambda y: lf.chroma_stft(y=y, sr=sr), lambda: torchspec.ChromaSTFT())
    feature("chroma_cqt", lambda y: lf.chroma_cqt(y=y, sr=sr), lambda: torchspec.ChromaCQT())
    feature("chroma_cens", lambda y: lf.chroma_cens(y=y, sr=sr), lambda: torchspec.ChromaCENS())
    feature("tonnetz", lambda y: lf.tonnetz(y=y, sr=sr), lambda: torchspec.Tonnetz())
    feature(
        "spectral_bandwidth",
        lambda y: lf.spectral_bandwidth(y=y, sr=sr),
        lambda: torchspec.SpectralBandwidth(),
    )
    feature(
        "spectral_rolloff",
        lambda y: lf.spectral_rolloff(y=y, sr=sr),
        lambda: torchspec.SpectralRolloff(),
    )
    feature(
        "spectral_flatness",
        lambda y: lf.spectral_flatness(y=y),
        lambda: torchspec.SpectralFlatness(),
    )
    feature(
        "spectral_contrast",
        lambda y: lf.spectral_contrast(y=y, sr=sr),
        lambda: torchspec.SpectralContrast(),
    )
    feature(
        "poly_features", lambda y: lf.poly_features(y=y, sr=sr), lambda: torchspec.PolyFeatures()
    )
    feature("rms", lambda y: lf.rms(y=y), lambda: torchspec.RMS())
    feature(
        "zero_crossing_rate",
        lambda y: lf.zero_crossing_rate(y),
        lambda: torchspec.ZeroCrossingRate(),
    )
    feature(
        "onset_strength",
        lambda y: onset.onset_strength(y=y, sr=sr),
        lambda: torchspec.OnsetStrength(),
    )
    feature("tempogram", lambda y: lf.tempogram(y=y, sr=sr), lambda: torchspec.Tempogram())
    feature(
        "fourier_tempogram",
        lambda y: lf.fourier_tempogram(y=y, sr=sr),
        lambda: torchspec.FourierTempogram(),
    )
    feature(
        "mfcc + delta",
        lambda y: lf.delta(lf.mfcc(y=y, sr=sr)),
        lambda: torch.nn.Sequential(torchspec.presets.LibrosaMFCC(), torchspec.Delta()),
    )
    return out


def _resample(rows: Plan, audio: torch.Tensor, per_clip: list[np.ndarray], device: str) -> None:
    group = "resample 22050 -> 16000"
    soxr = optional_import("soxr")
    if isinstance(soxr, str) or device != "cpu":
        rows.append((group, "soxr HQ (per clip)", None, soxr if device == "cpu" else "CPU only"))
    else:
        rows.append(
            (
                group,
                "soxr HQ (per clip)",
                lambda: [soxr.resample(y, RATE, 16000, quality="HQ") for y in per_clip],
                "librosa's default (soxr_hq)",
            )
        )
    transforms = optional_import("torchaudio.transforms")
    if isinstance(transforms, str):
        rows.append((group, "torchaudio Resample (batch)", None, transforms))
    else:
        theirs = transforms.Resample(RATE, 16000).to(device)
        rows.append((group, "torchaudio Resample (batch)", no_grad(lambda: theirs(audio)), ""))
    ours = torchspec.Resample(RATE, 16000).to(device)
    rows.append((group, "torchspec Resample (batch)", no_grad(lambda: ours(audio)), ""))


def _stretch(rows: Plan, audio: torch.Tensor, device: str) -> None:
    group = "time stretch x1.25"
    window = torch.hann_window(2048, device=device)
    spec = torch.stft(audio, 2048, 512, window=window, return_complex=True)
    transforms = optional_import("torchaudio.transforms")
    if isinstance(transforms, str):
        rows.append((group, "torchaudio TimeStretch (batch)", None, transforms))
    else:
        theirs = transforms.TimeStretch(hop_length=512, n_freq=1025).to(device)
        rows.append(
            (group, "torchaudio TimeStretch (batch)", no_grad(lambda: theirs(spec, 1.25)), "")
        )
    ours = torchspec.TimeStretch(hop_length=512, n_freq=1025).to(device)
    rows.append((group, "torchspec TimeStretch (batch)", no_grad(lambda: ours(spec, 1.25)), ""))


if __name__ == "__main__":
    main("features", "librosa features, resampling and time stretching", WORKLOAD, plan, __doc__)
