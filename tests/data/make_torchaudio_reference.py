"""Write torchaudio_reference.npz: the outputs of torchaudio.transforms for every class name
torchspec shares with it (tests/torchaudio_cases.py), float32, on fixed inputs stored beside
them. Made with real torchaudio 2.11.1; its transforms are pure Python, so a CPU torch with
torchaudio installed --no-deps and its lib/*.so moved aside runs them.

Run there, from the repository root: python tests/data/make_torchaudio_reference.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch
import torchaudio
import torchaudio.transforms as T

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
from torchaudio_cases import (  # noqa: E402
    AMPLITUDE_TO_DB,
    GRIFFINLIM,
    HEADS,
    INVERSE,
    INVERSE_MELSCALE,
    MELSCALE,
    SPECTROGRAM,
    build,
)


def signal(n: int, channels: int, seed: int) -> torch.Tensor:
    """Tones, a chirp and noise: every frequency region has energy."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    rows = []
    for c in range(channels):
        tones = sum(0.3 / k * np.sin(2 * np.pi * (220 + 110 * c) * k * t) for k in range(1, 6))
        chirp = 0.2 * np.sin(2 * np.pi * (100 * t + 2000 * t**2))
        rows.append(tones + chirp + 0.01 * rng.standard_normal(n))
    return torch.from_numpy(np.stack(rows)).float()


def main() -> None:
    torch.manual_seed(0)
    arrays: dict[str, np.ndarray] = {}
    cases: list[dict[str, object]] = []

    stored: dict[int, str] = {}  # an input shared by several cases is stored once
    alive: list[torch.Tensor] = []  # ... and kept alive, so that no other tensor gets its id

    def record(name: str, kwargs: dict, x: torch.Tensor, out: torch.Tensor) -> None:
        key = f"case{len(cases)}"
        if id(x) not in stored:
            stored[id(x)] = f"{key}_in"
            arrays[stored[id(x)]] = x.numpy()
            alive.append(x)
        arrays[f"{key}_out"] = out.numpy()
        cases.append({"key": key, "class": name, "kwargs": kwargs, "input": stored[id(x)]})

    x = signal(4000, 4, seed=1).reshape(2, 2, 4000)
    for kwargs in SPECTROGRAM:
        record("Spectrogram", kwargs, x, build(T, "Spectrogram", kwargs)(x))
    for kwargs in INVERSE:
        spec = T.Spectrogram(power=None, **kwargs)(x[0, :, :3500])
        for length in (None, 3500):
            out = build(T, "InverseSpectrogram", kwargs)(spec, length)
            record("InverseSpectrogram", {**kwargs, "length": length}, spec, out)
    heads = signal(8000, 2, seed=2).reshape(2, 1, 8000)
    for name, kwargs in HEADS:
        record(name, kwargs, heads, build(T, name, kwargs)(heads))
    power = T.Spectrogram()(signal(4000, 2, seed=3))
    for kwargs in MELSCALE:
        record("MelScale", kwargs, power, build(T, "MelScale", kwargs)(power))
    gains = torch.tensor([1e-4, 1.0, 1e4])[:, None, None, None]
    magnitudes = torch.rand(3, 1, 32, 20) * gains
    for kwargs in AMPLITUDE_TO_DB:
        out = T.AmplitudeToDB(**kwargs)(magnitudes)
        record("AmplitudeToDB", kwargs, magnitudes, out)
    for kwargs in GRIFFINLIM:
        n_fft, hop = kwargs.get("n_fft", 400), kwargs.get("hop_length")
        spec = T.Spectrogram(n_fft, hop_length=hop, power=kwargs.get("power", 2.0))(x[0])
        out = build(T, "GriffinLim", {**kwargs, "rand_init": False})(spec)
        record("GriffinLim", {**kwargs, "rand_init": False}, spec, out)
    for kwargs in INVERSE_MELSCALE:
        n_stft, n_mels = kwargs["n_stft"], kwargs.get("n_mels", 128)
        if n_stft == 5:  # torchaudio's own test: more mel bands than STFT bins
            melspec = torch.rand(2, n_mels, 10)
        else:
            melspec = T.MelScale(n_stft=n_stft)(power)[..., :8]
        out = T.InverseMelScale(**kwargs)(melspec)
        record("InverseMelScale", kwargs, melspec, out)
    np.savez_compressed(HERE / "torchaudio_reference.npz", **arrays)
    meta = {"torchaudio": torchaudio.__version__, "torch": torch.__version__, "cases": cases}
    (HERE / "torchaudio_reference.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"{len(cases)} cases from torchaudio {torchaudio.__version__}")


if __name__ == "__main__":
    main()
