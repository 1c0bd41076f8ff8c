"""Messages a new user meets: each names the real cause and the fix (one test per message)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import torchspec
from torchspec import presets


def test_a_mel_spectrogram_of_the_wrong_size_names_the_rows_the_layer_expects() -> None:
    layer = torchspec.InverseMelScale(513, 80, 16000)
    with pytest.raises(ValueError, match=re.escape("expects 80 rows")) as caught:
        layer(torch.rand(1, 128, 10))
    assert "n_stft" not in str(caught.value)  # n_stft is 513 here: naming it would mislead


def test_a_time_by_channels_array_is_told_to_transpose() -> None:
    layer = torchspec.MelSpectrogram(16000)
    with pytest.raises(ValueError, match=re.escape("looks like (time, channels)")) as caught:
        layer(torch.randn(16000, 2))  # soundfile.read's layout
    assert "x.T" in str(caught.value)


def test_a_genuinely_short_clip_gets_no_layout_hint() -> None:
    with pytest.raises(ValueError, match="too short") as caught:
        torchspec.MelSpectrogram(16000)(torch.randn(2, 100))
    assert "channels" not in str(caught.value)


def test_integer_audio_into_kaldi_features_is_not_told_to_scale() -> None:
    with pytest.raises(TypeError, match="not scaled") as caught:
        presets.KaldiFbank()(torch.zeros(1, 16000, dtype=torch.int16))
    assert "32768" not in str(caught.value)
    with pytest.raises(TypeError, match="32768"):  # the other layers take [-1, 1]
        torchspec.MelSpectrogram(16000)(torch.zeros(1, 16000, dtype=torch.int16))


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_cuda_is_one_line_naming_the_check() -> None:
    with pytest.raises(ValueError, match=re.escape("torch.cuda.is_available() is False")):
        torchspec.MelSpectrogram(16000, device="cuda")


@pytest.mark.parametrize(
    "layer", [torchspec.MelSpectrogram(16000), presets.KaldiFbank(), torchspec.CQT(16000)]
)
def test_a_numpy_array_is_told_about_torch_from_numpy(layer: torch.nn.Module) -> None:
    with pytest.raises(TypeError, match=re.escape("torch.from_numpy")):
        layer(np.zeros((1, 16000), dtype=np.float32))
