"""Drop-in behaviour: equal to torchaudio.transforms.Spectrogram / InverseSpectrogram.

Runs where torchaudio imports. Its PyPI wheel is built against CUDA torch; on a CPU-only torch
its import fails with OSError, and then this module is skipped with that reason.
"""

from __future__ import annotations

import math

import pytest
import torch
from helpers import make_signal, rel_err

try:
    import torchaudio
except (ImportError, OSError) as exc:  # OSError: the wheel's native library does not load
    pytest.skip(
        f"torchaudio cannot be imported here ({type(exc).__name__}: {str(exc)[:120]}); "
        "drop-in parity with torchaudio needs a torch build that torchaudio's wheel supports",
        allow_module_level=True,
    )

from torchspec import InverseSpectrogram, Spectrogram

CASES = [
    {},
    {"n_fft": 512, "hop_length": 128},
    {"n_fft": 1024, "win_length": 800, "hop_length": 300, "power": 1.0},
    {"n_fft": 256, "power": None},
    {"n_fft": 400, "normalized": True},
    {"n_fft": 400, "normalized": "frame_length", "power": None},
    {"n_fft": 300, "center": False, "window_fn": torch.hamming_window},
    {"n_fft": 400, "pad": 50, "pad_mode": "constant"},
    {"n_fft": 400, "onesided": False, "power": None},
    {"n_fft": 400, "window_fn": torch.kaiser_window, "wkwargs": {"periodic": True, "beta": 6.0}},
]


@pytest.mark.parametrize("kw", CASES, ids=str)
@pytest.mark.parametrize("lead", [(), (3,), (2, 2)])
def test_spectrogram_equals_torchaudio(kw, lead):
    x = torch.from_numpy(make_signal(8000, channels=math.prod(lead))).float()
    x = x.reshape(*lead, 8000)
    expected = torchaudio.transforms.Spectrogram(**kw)(x)
    actual = Spectrogram(**kw)(x)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    assert rel_err(actual, expected) <= 1e-6


@pytest.mark.parametrize(
    "kw",
    [{}, {"n_fft": 512, "hop_length": 128}, {"n_fft": 400, "normalized": True}, {"pad": 30}],
    ids=str,
)
@pytest.mark.parametrize("length", [None, 7000])
def test_inverse_equals_torchaudio(kw, length):
    x = torch.from_numpy(make_signal(7000, channels=2)).float()
    spec = torchaudio.transforms.Spectrogram(power=None, **kw)(x)
    expected = torchaudio.transforms.InverseSpectrogram(**kw)(spec, length)
    actual = InverseSpectrogram(**kw)(spec, length)
    assert actual.shape == expected.shape
    assert rel_err(actual, expected) <= 1e-6
