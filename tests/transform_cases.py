"""torchaudio's other time-frequency transforms, as plain-data cases shared by the script that
records torchaudio's outputs (tests/data/make_torchaudio_transforms_reference.py) and the test
that compares torchspec with them on every run (tests/test_transforms_reference.py).

Each entry: class name -> list of constructor kwargs (and, for ``TimeStretch``, the rate given
to ``forward``). Inputs are made by :func:`inputs` from fixed seeds, so both sides see the
same values without storing them twice.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

DETERMINISTIC: dict[str, list[dict[str, Any]]] = {
    "ComputeDeltas": [{}, {"win_length": 7, "mode": "reflect"}, {"win_length": 4}],
    "SlidingWindowCmn": [
        {},
        {"cmn_window": 50, "min_cmn_window": 10},
        {"cmn_window": 40, "center": True},
        {"cmn_window": 30, "min_cmn_window": 5, "norm_vars": True},
        {"cmn_window": 25, "center": True, "norm_vars": True},
        {"cmn_window": 400, "min_cmn_window": 50, "center": True},  # longer than the input
    ],
    "SpectralCentroid": [
        {"sample_rate": 16000},
        {"sample_rate": 22050, "n_fft": 1024, "hop_length": 256, "pad": 10},
    ],
    "Preemphasis": [{}, {"coeff": 0.5}],
    "Deemphasis": [{}, {"coeff": 0.9}],
    "Resample": [
        {"orig_freq": 16000, "new_freq": 8000},
        {"orig_freq": 44100, "new_freq": 16000},
        {"orig_freq": 8000, "new_freq": 22050},
        {
            "orig_freq": 48000,
            "new_freq": 44100,
            "resampling_method": "sinc_interp_kaiser",
            "lowpass_filter_width": 16,
            "rolloff": 0.95,
            "beta": 8.6,
        },
        {"orig_freq": 16000, "new_freq": 16000},
    ],
    "TimeStretch": [
        {"n_freq": 201, "fixed_rate": 1.3},
        {"hop_length": 128, "n_freq": 257, "fixed_rate": 0.8},
        {"n_freq": 201, "rate": 2.0},
    ],
    # small resampling kernels: 1000 Hz to 1189 Hz (coprime: 1000 phases), 8000 Hz to 16 kHz
    # (torchaudio's default 16 kHz and 2 steps builds 16000 phases of 17973 taps)
    "PitchShift": [
        {"sample_rate": 1000, "n_steps": 3},
        {"sample_rate": 16000, "n_steps": -12, "n_fft": 256},
    ],
}

# Random masks: the output under torch.manual_seed(SEED) of the global generator.
SEED = 7
RANDOM: dict[str, list[dict[str, Any]]] = {
    "FrequencyMasking": [{"freq_mask_param": 10}, {"freq_mask_param": 10, "iid_masks": True}],
    "TimeMasking": [
        {"time_mask_param": 30},
        {"time_mask_param": 30, "iid_masks": True, "p": 0.2},
    ],
    "SpecAugment": [
        {"n_time_masks": 2, "time_mask_param": 15, "n_freq_masks": 2, "freq_mask_param": 6},
        {
            "n_time_masks": 1,
            "time_mask_param": 15,
            "n_freq_masks": 3,
            "freq_mask_param": 6,
            "iid_masks": False,
            "zero_masking": True,
        },
    ],
}

WAVEFORM = {"SpectralCentroid", "Preemphasis", "Deemphasis", "Resample", "PitchShift"}


def signal(n: int, channels: int, seed: int, sample_rate: int = 16000) -> np.ndarray:
    """Tones, a chirp and a little noise, peak under 1 (no clipping anywhere)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sample_rate
    rows = []
    for c in range(channels):
        tones = sum(0.2 / k * np.sin(2 * np.pi * (220 + 90 * c) * k * t) for k in range(1, 5))
        chirp = 0.15 * np.sin(2 * np.pi * (100 * t + 1500 * t**2))
        rows.append(tones + chirp + 0.01 * rng.standard_normal(n))
    return np.stack(rows)


def inputs(name: str, dtype: torch.dtype) -> torch.Tensor:
    """The fixed input of every case of ``name``."""
    if name in WAVEFORM:
        x = signal(6000, 4, seed=1).reshape(2, 2, 6000)
        if name == "Deemphasis":  # a pre-emphasised signal: the inverse stays in [-1, 1]
            x = np.concatenate([x[..., :1], x[..., 1:] - 0.97 * x[..., :-1]], axis=-1)
        return torch.from_numpy(x).to(dtype)
    rng = np.random.default_rng(2)
    if name == "TimeStretch":
        x = signal(6000, 2, seed=3)
        frames = np.lib.stride_tricks.sliding_window_view(x, 512, axis=-1)[..., ::100, :]
        spec = np.fft.rfft(frames * np.hanning(512), n=512)[..., :257]
        spec = np.swapaxes(spec, -1, -2)  # (2, 257, frames)
        complex_dtype = torch.complex128 if dtype == torch.float64 else torch.complex64
        return torch.from_numpy(spec).to(complex_dtype)
    if name == "SlidingWindowCmn":  # (..., time, freq), an offset and a slow drift
        drift = np.linspace(0, 3, 300)[:, None]
        x = 5.0 + drift + rng.standard_normal((2, 300, 13))
        return torch.from_numpy(x).to(dtype)
    x = np.abs(rng.standard_normal((2, 3, 40, 120))) + np.linspace(0, 1, 120)
    return torch.from_numpy(x).to(dtype)


def constructor_kwargs(name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The kwargs without ``forward``'s (``rate``)."""
    return {k: v for k, v in kwargs.items() if k != "rate"}


def call(name: str, layer: Any, x: torch.Tensor, kwargs: dict[str, Any]) -> torch.Tensor:
    """``layer(x)``; for ``TimeStretch`` the case's rows of ``x`` and its ``rate``, if any."""
    if name != "TimeStretch":
        return layer(x)
    x = x[..., : kwargs["n_freq"], :]
    return layer(x, kwargs["rate"]) if "rate" in kwargs else layer(x)
