"""Test helpers: signals and error measures."""

from __future__ import annotations

import numpy as np
import torch

SAMPLE_RATE = 22050


def make_signal(n_samples: int, *, seed: int = 0, channels: int | None = None) -> np.ndarray:
    """A float64 chirp (40 Hz to 8 kHz) plus two tones and white noise; ``(channels, n)``."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) / SAMPLE_RATE
    duration = max(t[-1], 1e-3)
    f0, f1 = 40.0, 8000.0
    rate = np.log(f1 / f0) / duration  # exponential sweep: f(t) = f0 * exp(rate * t)
    phase = 2 * np.pi * f0 / rate * np.expm1(rate * t)
    shape = (n_samples,) if channels is None else (channels, n_samples)
    tones = 0.3 * np.sin(2 * np.pi * 440.0 * t) + 0.2 * np.cos(2 * np.pi * 3111.0 * t)
    y = 0.5 * np.sin(phase) + tones
    return y + 0.05 * rng.standard_normal(shape)


def rel_err(actual: torch.Tensor | np.ndarray, expected: torch.Tensor | np.ndarray) -> float:
    """Relative error in the Frobenius norm: ``||actual - expected|| / ||expected||``."""
    a = torch.as_tensor(actual).detach().to(torch.complex128)
    e = torch.as_tensor(expected).detach().to(torch.complex128)
    assert a.shape == e.shape, f"shape {tuple(a.shape)} != expected {tuple(e.shape)}"
    return float(torch.linalg.vector_norm(a - e) / torch.linalg.vector_norm(e))


def direct_dft(y: np.ndarray, freqs: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Hann-windowed DFT of reflect-padded, centred frames at ``freqs`` (Hz), float64 numpy."""
    n = np.arange(n_fft)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / n_fft)  # periodic Hann
    padded = np.pad(y, n_fft // 2, mode="reflect")
    n_frames = 1 + (len(padded) - n_fft) // hop
    frames = np.stack([padded[t * hop : t * hop + n_fft] for t in range(n_frames)])
    basis = np.exp(-2j * np.pi * np.outer(freqs, n) / SAMPLE_RATE) * window
    return basis @ frames.T


def public_layers() -> dict[str, type]:
    """Every ``nn.Module`` class in ``torchspec.__all__`` and ``torchspec.presets.__all__``."""
    import inspect

    import torchspec
    from torchspec import presets

    found = {}
    for module in (torchspec, presets):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, torch.nn.Module):
                found[name] = obj
    return found


# Constructor arguments without a default, and a value each layer can be built with.
REQUIRED_ARGUMENTS = {
    "InverseMelScale": {"n_stft": 201},
    "InverseMFCC": {"n_mfcc": 13},
    "FrequencyMasking": {"freq_mask_param": 10},
    "TimeMasking": {"time_mask_param": 10},
    "SpecAugment": {
        "n_time_masks": 1,
        "time_mask_param": 10,
        "n_freq_masks": 1,
        "freq_mask_param": 5,
    },
    "SpectralCentroid": {"sample_rate": 16000},
    "PitchShift": {"sample_rate": 1000, "n_steps": 3},  # a small resampling kernel
    "ChromaVQT": {"intervals": "equal"},
}
