"""torchspec.plot: dB of the right kind, axes from the layer, readable ticks."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

import torchspec

SR = 16000


def _tone(seconds: float = 1.0) -> torch.Tensor:
    t = torch.arange(int(seconds * SR)) / SR
    return torch.sin(2 * torch.pi * 440 * t) + 0.01 * torch.randn(t.shape)


def _mesh(figure):
    ax = figure.axes[0]
    return ax, ax.collections[0]


def test_mel_axis_has_ticks_below_2k_and_power_db():
    layer = torchspec.MelSpectrogram(SR, n_fft=512, hop_length=128, n_mels=64)
    out = layer(_tone())
    figure = torchspec.plot(layer, out)
    ax, mesh = _mesh(figure)
    ticks = list(ax.get_yticks())
    assert {100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0} <= set(ticks)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert {"100", "200", "500", "1k", "2k", "5k"} <= set(labels)
    data = np.asarray(mesh.get_array())
    assert data.max() == pytest.approx(0.0) and data.min() >= -80.0 - 1e-9
    expected = 10 * np.log10(np.maximum(out.double().numpy(), 1e-20) / out.double().max().item())
    np.testing.assert_allclose(data.reshape(out.shape), np.maximum(expected, -80.0), atol=1e-6)
    colour_bar = figure.axes[1].get_ylabel()
    assert "dB re max" in colour_bar and "10 log10 of power" in colour_bar
    frames = out.shape[-1]
    assert ax.get_xlim()[1] == pytest.approx((frames - 0.5) * 128 / SR)


@pytest.mark.parametrize(("power", "multiplier"), [(1.0, 20), (None, 20), (2.0, 10)])
def test_magnitude_and_complex_use_20_log10(power, multiplier):
    layer = torchspec.Spectrogram(256, hop_length=64, power=power, sample_rate=SR)
    out = layer(_tone(0.25))
    figure = torchspec.plot(layer, out)
    _, mesh = _mesh(figure)
    magnitude = out.abs().double() if out.is_complex() else out.double()
    expected = multiplier * np.log10(np.maximum(magnitude.numpy(), 1e-300) / magnitude.max().item())
    data = np.asarray(mesh.get_array()).reshape(out.shape)
    np.testing.assert_allclose(data, np.maximum(expected, -80.0), atol=1e-6)
    assert f"{multiplier} log10" in figure.axes[1].get_ylabel()


def test_cqt_axis_with_note_names():
    layer = torchspec.CQT(SR, hop_length=160, f_min=32.70, n_bins=72, power=1.0)
    figure = torchspec.plot(layer, layer(_tone()), note_names=True)
    ax, _ = _mesh(figure)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:3] == ["C1", "C2", "C3"]
    np.testing.assert_allclose(ax.get_yticks()[:2], [32.7032, 65.4064], rtol=1e-4)
    assert ax.get_yscale() == "log"


def test_old_call_style_and_coefficients():
    layer = torchspec.MFCC(SR, 13, melkwargs={"n_fft": 512, "hop_length": 160})
    out = layer(_tone())
    figure = torchspec.plot(out, layer, sample_rate=SR, hop_length=160)
    ax, mesh = _mesh(figure)
    assert ax.get_ylabel() == "coefficient"
    np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(out.shape), out.numpy())
    with pytest.raises(ValueError, match="sample_rate and hop_length"):
        torchspec.plot(out)
