"""Bad parameters fail at construction, bad input in forward, each with a message that names it."""

from __future__ import annotations

import pytest
import torch

from torchspec import InverseSpectrogram, Spectrogram


@pytest.mark.parametrize(
    ("kw", "names"),
    [
        ({"n_fft": 0}, "n_fft"),
        ({"win_length": 500}, "win_length"),
        ({"win_length": 0}, "win_length"),
        ({"hop_length": 0}, "hop_length"),
        ({"pad": -1}, "pad"),
        ({"pad_mode": "mirror"}, "pad_mode"),
        ({"normalized": "l2"}, "normalized"),
        ({"power": 0}, "power"),
        ({"power": -2.0}, "power"),
        ({"freq_scale": "mel"}, "freq_scale"),
        ({"f_min": 20.0}, "f_min"),
        ({"sample_rate": 0}, "sample_rate"),
        ({"freq_scale": "log"}, "sample_rate"),
        ({"freq_scale": "log", "sample_rate": 16000, "f_min": 0.0}, "f_min"),
        ({"freq_scale": "log", "sample_rate": 16000, "f_min": 9000.0}, "f_min"),
        ({"freq_scale": "log", "sample_rate": 16000, "f_max": 8001.0}, "f_max"),
        ({"freq_scale": "log", "sample_rate": 16000, "f_min": 500.0, "f_max": 400.0}, "f_max"),
        ({"freq_scale": "log", "sample_rate": 16000, "n_bins": 1}, "n_bins"),
        ({"freq_scale": "log", "sample_rate": 16000, "onesided": False}, "onesided"),
    ],
    ids=str,
)
def test_bad_spectrogram_parameters(kw, names):
    with pytest.raises(ValueError, match=names):
        Spectrogram(**{"n_fft": 400, **kw})


@pytest.mark.parametrize(
    ("kw", "names"),
    [
        ({"hop_length": -5}, "hop_length"),
        ({"win_length": 401}, "win_length"),
        ({"center": False, "hop_length": 401, "win_length": 400}, "overlap-add"),  # gaps
        ({"hop_length": 400, "window_fn": torch.hann_window}, "hop_length"),
    ],
    ids=str,
)
def test_bad_inverse_parameters(kw, names):
    with pytest.raises(ValueError, match=names):
        InverseSpectrogram(**{"n_fft": 400, **kw})


@pytest.mark.parametrize("trainable", [False, True])
@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (torch.zeros(1000, dtype=torch.int16), TypeError, "floating-point"),
        (torch.zeros(1000, dtype=torch.complex64), TypeError, "real waveform"),
        (torch.tensor(1.0), ValueError, "0-d"),
        (torch.zeros(2, 100), ValueError, "too short.*at least"),
        ([0.0] * 1000, TypeError, "torch.Tensor"),
    ],
    ids=["int16", "complex", "0-d", "short", "list"],
)
def test_bad_spectrogram_input(trainable, x, error, match):
    with pytest.raises(error, match=match):
        Spectrogram(400, trainable=trainable)(x)


def test_short_input_without_centring():
    with pytest.raises(ValueError, match=r"too short.*at least"):
        Spectrogram(400, center=False)(torch.zeros(300))
    # constant padding has no minimum length: one frame of a 10-sample input
    assert Spectrogram(400, pad_mode="constant")(torch.ones(10)).shape == (201, 1)


@pytest.mark.parametrize(
    ("spec", "error", "match"),
    [
        (torch.zeros(201, 10), TypeError, "complex"),
        (torch.zeros(84, 10, dtype=torch.complex64), ValueError, "201"),
        (torch.zeros(10, dtype=torch.complex64), ValueError, "201, frames"),
        (torch.zeros(201, 0, dtype=torch.complex64), ValueError, "at least one frame"),
    ],
    ids=["real", "bins", "1-d", "no-frames"],
)
def test_bad_inverse_input(spec, error, match):
    with pytest.raises(error, match=match):
        InverseSpectrogram(400)(spec)


def test_bad_inverse_length():
    with pytest.raises(ValueError, match="length"):
        InverseSpectrogram(400)(torch.zeros(201, 10, dtype=torch.complex64), length=-1)


def test_frequencies_without_sample_rate_are_none():
    # A property must not raise: torch.jit.trace and torch.jit.script read every property.
    assert Spectrogram(400).frequencies is None
    assert Spectrogram(400, sample_rate=16000).frequencies[1] == 40.0


def test_window_of_wrong_length():
    with pytest.raises(ValueError, match="win_length"):
        Spectrogram(400, window_fn=lambda n, **kw: torch.ones(n + 1, **kw))
