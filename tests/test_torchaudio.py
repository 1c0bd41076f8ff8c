"""Drop-in behaviour: equal to torchaudio.transforms, live (every shared class name).

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

from torchaudio_cases import (
    AMPLITUDE_TO_DB,
    GRIFFINLIM,
    HEADS,
    INVERSE,
    MELSCALE,
    SPECTROGRAM,
    build,
)
from transform_cases import DETERMINISTIC, RANDOM, SEED, call, constructor_kwargs, inputs

import torchspec
from torchspec import InverseSpectrogram


@pytest.mark.parametrize("kw", SPECTROGRAM, ids=str)
@pytest.mark.parametrize("lead", [(), (3,), (2, 2)])
def test_spectrogram_equals_torchaudio(kw, lead):
    x = torch.from_numpy(make_signal(8000, channels=math.prod(lead))).float()
    x = x.reshape(*lead, 8000)
    expected = build(torchaudio.transforms, "Spectrogram", kw)(x)
    actual = build(torchspec, "Spectrogram", kw)(x)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    assert rel_err(actual, expected) <= 1e-6


@pytest.mark.parametrize("kw", INVERSE, ids=str)
@pytest.mark.parametrize("length", [None, 7000])
def test_inverse_equals_torchaudio(kw, length):
    x = torch.from_numpy(make_signal(7000, channels=2)).float()
    spec = torchaudio.transforms.Spectrogram(power=None, **kw)(x)
    expected = torchaudio.transforms.InverseSpectrogram(**kw)(spec, length)
    actual = InverseSpectrogram(**kw)(spec, length)
    assert actual.shape == expected.shape
    assert rel_err(actual, expected) <= 1e-6


@pytest.mark.parametrize(("name", "kw"), HEADS, ids=str)
def test_heads_equal_torchaudio(name, kw):
    """(batch, 1, time) input: torchaudio's top_db (MFCC, LFCC) is then per item, as ours."""
    x = torch.from_numpy(make_signal(16000, channels=3)).float().reshape(3, 1, 16000)
    expected = getattr(torchaudio.transforms, name)(**kw)(x)
    actual = getattr(torchspec, name)(**kw)(x)
    assert actual.shape == expected.shape
    assert rel_err(actual, expected) <= 1e-5


@pytest.mark.parametrize("kw", MELSCALE, ids=str)
def test_melscale_equals_torchaudio(kw):
    from torchspec import MelScale

    spec = torchaudio.transforms.Spectrogram()(torch.randn(2, 8000))
    expected = torchaudio.transforms.MelScale(**kw)(spec)
    assert rel_err(MelScale(**kw)(spec), expected) <= 1e-5  # torchaudio builds it in float32


@pytest.mark.parametrize("kw", AMPLITUDE_TO_DB, ids=str)
def test_amplitude_to_db_equals_torchaudio_on_4d_input(kw):
    """On (batch, 1, freq, time) torchaudio floors per item, as torchspec always does."""
    gains = torch.tensor([1e-4, 1.0, 1e4])[:, None, None, None]
    spec = torch.rand(3, 1, 64, 50) * gains
    expected = torchaudio.transforms.AmplitudeToDB(**kw)(spec)
    actual = torchspec.AmplitudeToDB(**kw)(spec)
    assert (actual - expected).abs().max() <= 1e-4


@pytest.mark.parametrize("kw", GRIFFINLIM, ids=str)
def test_griffinlim_equals_torchaudio_from_zero_phase(kw):
    """rand_init=False is deterministic in both (torchaudio's random start differs by design).
    In float64 the iterations agree to 5e-13; in float32 torchaudio's window, computed in
    float32, differs from the correctly rounded one by an ulp and 32 momentum iterations grow
    that to 2e-3 of the waveform (tests/test_torchaudio_reference.py)."""
    from torchspec import GriffinLim

    x = torch.from_numpy(make_signal(8000, channels=2)).float()
    power = kw.get("power", 2.0)
    n_fft, hop = kw.get("n_fft", 400), kw.get("hop_length", None)
    spec = torchaudio.transforms.Spectrogram(n_fft, hop_length=hop, power=power)(x)
    expected = torchaudio.transforms.GriffinLim(rand_init=False, **kw)(spec)
    actual = GriffinLim(rand_init=False, **kw)(spec)
    assert actual.shape == expected.shape
    assert rel_err(actual, expected) <= 1e-2


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [(name, kwargs) for name, cases in DETERMINISTIC.items() for kwargs in cases],
    ids=str,
)
def test_transforms_equal_torchaudio_in_float64(name, kwargs):
    """The recorded cases of tests/test_transforms_reference.py, live, in float64 on both sides
    (torchaudio's float32 phase and running-sum arithmetic is looser than the layers compared),
    1e-10 of the peak. torchaudio builds windows, kernels and phase advances in the default
    dtype (``Resample`` in its ``dtype``), so its side runs with float64 as the default."""
    plain = constructor_kwargs(name, kwargs)
    x = inputs(name, torch.float64)
    torch.set_default_dtype(torch.float64)
    try:
        extra = {"dtype": torch.float64} if name == "Resample" else {}
        theirs = getattr(torchaudio.transforms, name)(**plain, **extra)
        with torch.no_grad():
            expected = call(name, theirs, x, kwargs)
    finally:
        torch.set_default_dtype(torch.float32)
    with torch.no_grad():
        actual = call(name, getattr(torchspec, name)(**plain).double(), x, kwargs)
    assert actual.shape == expected.shape
    assert float((actual - expected).abs().max() / expected.abs().max()) < 1e-10


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [(name, kwargs) for name, cases in RANDOM.items() for kwargs in cases],
    ids=str,
)
def test_masks_equal_torchaudio_under_one_seed(name, kwargs):
    x = inputs(name, torch.float32)
    torch.manual_seed(SEED)
    expected = getattr(torchaudio.transforms, name)(**kwargs)(x)
    torch.manual_seed(SEED)
    torch.testing.assert_close(getattr(torchspec, name)(**kwargs)(x), expected, rtol=0, atol=0)
