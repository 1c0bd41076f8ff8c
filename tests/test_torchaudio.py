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


HEAD_CASES = [
    ("MelSpectrogram", {}),
    ("MelSpectrogram", {"sample_rate": 22050, "n_fft": 1024, "n_mels": 64, "f_min": 30.0}),
    ("MelSpectrogram", {"n_mels": 40, "norm": "slaney", "mel_scale": "slaney", "power": 1.0}),
    ("MFCC", {}),
    ("MFCC", {"n_mfcc": 13, "log_mels": True, "melkwargs": {"n_fft": 512, "n_mels": 40}}),
    ("MFCC", {"n_mfcc": 20, "norm": None, "melkwargs": {"mel_scale": "slaney"}}),
    ("LFCC", {}),
    ("LFCC", {"n_filter": 64, "n_lfcc": 20, "log_lf": True, "speckwargs": {"n_fft": 512}}),
]


@pytest.mark.parametrize(("name", "kw"), HEAD_CASES, ids=str)
def test_heads_equal_torchaudio(name, kw):
    """(batch, 1, time) input: torchaudio's top_db (MFCC, LFCC) is then per item, as ours."""
    import torchspec

    x = torch.from_numpy(make_signal(16000, channels=3)).float().reshape(3, 1, 16000)
    expected = getattr(torchaudio.transforms, name)(**kw)(x)
    actual = getattr(torchspec, name)(**kw)(x)
    assert actual.shape == expected.shape
    assert rel_err(actual, expected) <= 1e-5


@pytest.mark.parametrize("kw", [{}, {"n_mels": 40, "f_max": 6000.0, "norm": "slaney"}], ids=str)
def test_melscale_equals_torchaudio(kw):
    from torchspec import MelScale

    spec = torchaudio.transforms.Spectrogram()(torch.randn(2, 8000))
    expected = torchaudio.transforms.MelScale(**kw)(spec)
    assert rel_err(MelScale(**kw)(spec), expected) <= 1e-6


@pytest.mark.parametrize("stype", ["power", "magnitude"])
@pytest.mark.parametrize("top_db", [None, 80.0, 30.0])
def test_amplitude_to_db_equals_torchaudio_on_4d_input(stype, top_db):
    """On (batch, 1, freq, time) torchaudio floors per item, as torchspec always does."""
    from torchspec import AmplitudeToDB

    gains = torch.tensor([1e-4, 1.0, 1e4])[:, None, None, None]
    spec = torch.rand(3, 1, 64, 50) * gains
    expected = torchaudio.transforms.AmplitudeToDB(stype, top_db)(spec)
    actual = AmplitudeToDB(stype, top_db)(spec)
    assert (actual - expected).abs().max() <= 1e-4


@pytest.mark.parametrize("kw", [{}, {"n_fft": 512, "hop_length": 128, "power": 1.0}], ids=str)
def test_griffinlim_equals_torchaudio_from_zero_phase(kw):
    """rand_init=False is deterministic in both (torchaudio's random start differs by design)."""
    from torchspec import GriffinLim

    x = torch.from_numpy(make_signal(8000, channels=2)).float()
    power = kw.get("power", 2.0)
    n_fft, hop = kw.get("n_fft", 400), kw.get("hop_length", None)
    spec = torchaudio.transforms.Spectrogram(n_fft, hop_length=hop, power=power)(x)
    expected = torchaudio.transforms.GriffinLim(rand_init=False, **kw)(spec)
    actual = GriffinLim(rand_init=False, **kw)(spec)
    assert actual.shape == expected.shape
    assert rel_err(actual, expected) <= 1e-4
