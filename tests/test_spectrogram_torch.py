"""Spectrogram and InverseSpectrogram against torch.stft / torch.istft, and round trips.

Reference calls: ``torch.stft(x, n_fft, hop_length, win_length, window, center, pad_mode,
normalized, onesided, return_complex=True)`` and ``torch.istft`` with the same arguments, in
float64 (tolerance 1e-10: only rounding differs) or float32 (1e-5).
"""

from __future__ import annotations

import warnings

import pytest
import torch
from helpers import make_signal, rel_err

from torchspec import InverseSpectrogram, Spectrogram

F64 = torch.float64


def _signal(*lead: int, n: int = 4000, dtype: torch.dtype = F64) -> torch.Tensor:
    count = 1
    for size in lead:
        count *= size
    y = torch.from_numpy(make_signal(n, channels=count)).reshape(*lead, n)
    return y.to(dtype)


def _stft(x: torch.Tensor, **kw: object) -> torch.Tensor:
    lead = x.shape[:-1]
    spec = torch.stft(x.reshape(-1, x.shape[-1]), return_complex=True, **kw)
    return spec.reshape(*lead, *spec.shape[-2:])


@pytest.mark.parametrize("lead", [(), (3,), (2, 3), (2, 1, 2)])
@pytest.mark.parametrize("trainable", [False, True])
def test_any_leading_dims_match_torch_stft(lead: tuple, trainable: bool):
    x = _signal(*lead)
    layer = Spectrogram(256, hop_length=64, power=None, trainable=trainable, dtype=F64)
    expected = _stft(x, n_fft=256, hop_length=64, window=torch.hann_window(256, dtype=F64))
    actual = layer(x)
    assert actual.shape == (*lead, 129, 1 + 4000 // 64)
    assert rel_err(actual, expected) <= 1e-10


@pytest.mark.parametrize(
    "kw",
    [
        {"normalized": True},
        {"normalized": "frame_length"},
        {"onesided": False},
        {"onesided": False, "win_length": 100},
        {"center": False},
        {"pad_mode": "constant"},
        {"pad_mode": "replicate"},
        {"pad_mode": "circular"},
        {"window_fn": torch.hamming_window, "wkwargs": {"periodic": False}},
    ],
    ids=str,
)
@pytest.mark.parametrize("trainable", [False, True])
def test_options_match_torch_stft(kw: dict, trainable: bool):
    x = _signal(2)
    layer = Spectrogram(200, hop_length=50, power=None, trainable=trainable, dtype=F64, **kw)
    window_fn = kw.get("window_fn", torch.hann_window)
    win_length = kw.get("win_length", 200)
    window = window_fn(win_length, dtype=F64, **kw.get("wkwargs", {}))
    normalized = kw.get("normalized", False)
    expected = _stft(
        x,
        n_fft=200,
        hop_length=50,
        win_length=win_length,
        window=window,
        center=kw.get("center", True),
        pad_mode=kw.get("pad_mode", "reflect"),
        onesided=kw.get("onesided", True),
        normalized=normalized == "frame_length",
    )
    if normalized is True:
        expected = expected / window.square().sum().sqrt()
    assert rel_err(layer(x), expected) <= 1e-10


def test_pad_adds_zeros_before_centring():
    x = _signal(2)
    layer = Spectrogram(128, hop_length=32, pad=37, power=None, dtype=F64)
    padded = torch.nn.functional.pad(x, (37, 37))
    expected = _stft(padded, n_fft=128, hop_length=32, window=torch.hann_window(128, dtype=F64))
    assert rel_err(layer(x), expected) <= 1e-10


def test_default_arguments_are_torchaudios():
    layer = Spectrogram()
    assert (layer.n_fft, layer.win_length, layer.hop_length, layer.pad) == (400, 400, 200, 0)
    assert (layer.power, layer.center, layer.pad_mode) == (2.0, True, "reflect")
    assert layer.onesided and not layer.normalized
    x = _signal(n=16000, dtype=torch.float32)
    expected = _stft(x, n_fft=400, hop_length=200, window=torch.hann_window(400)).abs() ** 2
    assert layer(x).shape == (201, 81)
    assert rel_err(layer(x), expected) <= 1e-6


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"win_length": 300, "hop_length": 75},
        {"hop_length": 100, "normalized": True},
        {"hop_length": 128, "normalized": "frame_length", "window_fn": torch.hamming_window},
        {"onesided": False, "hop_length": 100},
        {"center": False, "window_fn": torch.hamming_window, "hop_length": 100},
        {"pad": 20, "hop_length": 100},
    ],
    ids=str,
)
@pytest.mark.parametrize("trainable", [False, True], ids=["fft-route", "conv-route"])
@pytest.mark.parametrize("dtype", [torch.float32, F64], ids=["f32", "f64"])
def test_round_trip_and_istft(kw: dict, trainable: bool, dtype: torch.dtype):
    x = _signal(2, 2, n=5000, dtype=dtype)  # frames cover every sample when center=False
    forward = Spectrogram(400, power=None, dtype=dtype, **kw)
    inverse = InverseSpectrogram(400, trainable=trainable, dtype=dtype, **kw)
    spec = forward(x)
    y = inverse(spec, length=x.shape[-1])
    assert y.shape == x.shape and y.dtype == dtype
    assert rel_err(y, x) <= (1e-5 if dtype == torch.float32 else 1e-12)

    window_fn = kw.get("window_fn", torch.hann_window)
    window = window_fn(kw.get("win_length", 400), dtype=dtype)
    istft_kw = {
        "n_fft": 400,
        "hop_length": kw.get("hop_length", 200),
        "win_length": kw.get("win_length", 400),
        "window": window,
        "center": kw.get("center", True),
        "onesided": kw.get("onesided", True),
        "normalized": kw.get("normalized") == "frame_length",
    }
    unscaled = spec * window.square().sum().sqrt() if kw.get("normalized") is True else spec
    flat = unscaled.reshape(-1, *spec.shape[-2:])
    expected = torch.istft(flat, **istft_kw).reshape(2, 2, -1)
    assert rel_err(inverse(spec), expected) <= (1e-5 if dtype == torch.float32 else 1e-12)


@pytest.mark.parametrize("trainable", [False, True])
@pytest.mark.parametrize("length", [3000, 4000, 4100, 4500])
def test_inverse_length_trims_or_extends_like_istft(trainable: bool, length: int):
    """Same samples as torch.istft(length=...), zero-extended past the signal without a warning."""
    x = _signal(n=4000)
    spec = Spectrogram(256, hop_length=64, power=None, dtype=F64)(x)
    inverse = InverseSpectrogram(256, hop_length=64, trainable=trainable, dtype=F64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        actual = inverse(spec, length=length)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.istft warns when it zero-extends
        expected = torch.istft(
            spec, 256, 64, window=torch.hann_window(256, dtype=F64), length=length
        )
    assert actual.shape == (length,)
    assert torch.allclose(actual, expected, rtol=0, atol=1e-10)


def test_from_spectrogram_inverts_the_layer():
    forward = Spectrogram(
        512,
        400,
        100,
        window_fn=torch.kaiser_window,
        wkwargs={"periodic": True, "beta": 6.0},
        power=None,
        normalized=True,
    )
    inverse = InverseSpectrogram.from_spectrogram(forward)
    x = _signal(3, n=6000, dtype=torch.float32)
    assert rel_err(inverse(forward(x), 6000), x) <= 1e-5


@pytest.mark.parametrize("lead", [(5,), (2, 3)])
def test_item_groups_match_torch_stft(monkeypatch, lead: tuple):
    """A large CPU batch of power spectrograms runs a few items at a time
    (torchspec.blocks.in_item_groups; the thresholds lowered here so that a small batch takes
    that route). Every item must still equal ``|torch.stft|**2``, leading dims kept."""
    import torchspec.blocks
    import torchspec.spectrogram

    monkeypatch.setattr(torchspec.spectrogram, "CACHED_BATCH_ELEMENTS", 0)
    monkeypatch.setattr(torchspec.blocks, "BLOCK_ELEMENTS", 2 * 63 * 256)  # two items a group
    calls = []
    original = torchspec.functional.spectrogram
    monkeypatch.setattr(
        torchspec.functional,
        "spectrogram",
        lambda x, *a, **k: calls.append(x.shape) or original(x, *a, **k),
    )
    x = _signal(*lead)
    layer = Spectrogram(256, hop_length=64, dtype=F64)  # power: complex output runs whole
    window = torch.hann_window(256, dtype=F64)
    expected = _stft(x, n_fft=256, hop_length=64, window=window).abs() ** 2
    actual = layer(x)
    assert actual.shape == expected.shape
    assert rel_err(actual, expected) <= 1e-10
    items = x.shape[:-1].numel()
    assert [shape[0] for shape in calls] == [2] * (items // 2) + [1] * (items % 2)
