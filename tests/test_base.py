"""Exact buffers and checkpoints (torchspec/base.py): trainable parameters in the layer's dtype,
fixed buffers float64-exact after ``.double()``, loaded or edited values kept across moves, and
state dicts with torchaudio's keys (recorded from torchaudio 2.11 by
tests/data/make_torchaudio_state_dicts.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import torchspec

TORCHAUDIO = json.loads(
    (Path(__file__).parent / "data" / "torchaudio_state_dicts.json").read_text()
)["layers"]
SAME_ARGS = {  # the torchaudio constructors the keys were recorded with
    "Spectrogram": lambda: torchspec.Spectrogram(),
    "InverseSpectrogram": lambda: torchspec.InverseSpectrogram(),
    "GriffinLim": lambda: torchspec.GriffinLim(),
    "MelScale": lambda: torchspec.MelScale(n_stft=201),
    "InverseMelScale": lambda: torchspec.InverseMelScale(201),
    "MelSpectrogram": lambda: torchspec.MelSpectrogram(),
    "MFCC": lambda: torchspec.MFCC(),
    "LFCC": lambda: torchspec.LFCC(),
    "AmplitudeToDB": lambda: torchspec.AmplitudeToDB(),
    "FrequencyMasking": lambda: torchspec.FrequencyMasking(10),
    "TimeMasking": lambda: torchspec.TimeMasking(10),
    "SpecAugment": lambda: torchspec.SpecAugment(1, 10, 1, 5),
    "TimeStretch": lambda: torchspec.TimeStretch(),
    "PitchShift": lambda: torchspec.PitchShift(16000, 12),
    "ComputeDeltas": lambda: torchspec.ComputeDeltas(),
    "SlidingWindowCmn": lambda: torchspec.SlidingWindowCmn(),
    "SpectralCentroid": lambda: torchspec.SpectralCentroid(16000),
    "Resample": lambda: torchspec.Resample(44100, 16000),
    "Preemphasis": lambda: torchspec.Preemphasis(),
    "Deemphasis": lambda: torchspec.Deemphasis(),
}


def test_trainable_parameters_are_in_the_layer_dtype():
    layer = torchspec.Spectrogram(256, trainable=True)
    assert layer.kernels.dtype == torch.float32
    assert torchspec.MelScale(trainable=True).fb.dtype == torch.float32
    assert torchspec.CQT(trainable=True).kernels_0.dtype == torch.float32
    assert torchspec.InverseSpectrogram(256, trainable=True).kernels.dtype == torch.float32
    layer.double()
    assert layer.kernels.dtype == torch.float64
    exact = torch.hann_window(256, dtype=torch.float64)
    assert float((layer.window - exact).abs().max()) <= 1e-12
    assert torchspec.Spectrogram(256, trainable=True, dtype=torch.float64).kernels.dtype == (
        torch.float64
    )


def test_loaded_buffer_and_parameter_survive_a_dtype_change():
    source = torchspec.MelSpectrogram(16000, n_fft=256, n_mels=20, trainable_mel=True)
    with torch.no_grad():
        source.spectrogram.window.mul_(0.5)
        source.mel_scale.fb.mul_(2.0)
    target = torchspec.MelSpectrogram(16000, n_fft=256, n_mels=20, trainable_mel=True)
    target.load_state_dict(source.state_dict())
    target.double()
    torch.testing.assert_close(
        target.spectrogram.window, source.spectrogram.window.double(), rtol=0, atol=0
    )
    torch.testing.assert_close(target.mel_scale.fb, source.mel_scale.fb.double(), rtol=0, atol=0)
    x = torch.randn(2, 4000, dtype=torch.float64)
    torch.testing.assert_close(target(x), source.double()(x), rtol=1e-12, atol=0)


def test_an_edited_buffer_is_kept_and_derived_kernels_follow():
    layer = torchspec.Spectrogram(64, route="conv", power=None)
    with torch.no_grad():
        layer.window.fill_(1.0)  # a rectangular window, edited in place
    layer.double()
    assert bool((layer.window == 1).all())
    x = torch.randn(3, 640, dtype=torch.float64)
    expected = torchspec.Spectrogram(64, window_fn=torch.ones, power=None, dtype=torch.float64)
    torch.testing.assert_close(layer(x), expected(x), rtol=1e-10, atol=1e-10)


def test_inverse_mel_pseudo_inverse_follows_a_loaded_filterbank():
    source = torchspec.InverseMelScale(65, 10, 8000, n_iter=50)
    with torch.no_grad():
        source.fb.mul_(3.0)
    target = torchspec.InverseMelScale(65, 10, 8000, n_iter=50)
    target.load_state_dict(source.state_dict())
    mel = torch.rand(10, 7) + 0.1
    torch.testing.assert_close(target(mel), source.double().float()(mel))


@pytest.mark.parametrize("name", sorted(TORCHAUDIO))
def test_state_dict_keys_are_torchaudios(name):
    ours = SAME_ARGS[name]().state_dict()
    theirs = TORCHAUDIO[name]
    assert sorted(ours) == sorted(theirs)
    for key, value in ours.items():
        assert list(value.shape) == theirs[key]["shape"], key


@pytest.mark.parametrize("name", sorted(TORCHAUDIO))
def test_a_torchaudio_state_dict_loads(name):
    layer = SAME_ARGS[name]()
    state = {
        key: torch.rand(entry["shape"], dtype=getattr(torch, entry["dtype"].split(".")[-1]))
        for key, entry in TORCHAUDIO[name].items()
    }
    layer.load_state_dict(state, strict=True)
    for key, value in layer.state_dict().items():
        torch.testing.assert_close(value, state[key], rtol=0, atol=0)
