"""Marks that layers put on their outputs (eager): the power of a magnitude, and decibels."""

from __future__ import annotations

import warnings

import pytest
import torch

import torchspec


def test_a_magnitude_into_power_decibels_warns_with_the_fix() -> None:
    cqt = torchspec.CQT(22050, power=1.0)(torch.randn(1, 22050))
    assert cqt.power == 1.0
    with pytest.warns(UserWarning, match=r"stype='magnitude'"):
        halved = torchspec.AmplitudeToDB()(cqt)
    right = torchspec.AmplitudeToDB("magnitude")(cqt)
    torch.testing.assert_close(right, 2 * halved)  # what the warning is about


@pytest.mark.parametrize(
    "layer",
    [
        torchspec.Spectrogram(256),
        torchspec.MelSpectrogram(16000, n_fft=512, n_mels=40),
        torchspec.CQT(16000, power=2.0, n_bins=48),
    ],
)
def test_power_outputs_into_power_decibels_are_quiet(layer: torch.nn.Module) -> None:
    out = layer(torch.randn(2, 16000))
    assert out.power == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        db = torchspec.AmplitudeToDB()(out)
    assert db.scale == "db"
