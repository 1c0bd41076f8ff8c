"""Dtypes, devices and module state."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import torch
from helpers import SAMPLE_RATE, direct_dft, make_signal, rel_err

from torchspec import InverseSpectrogram, Spectrogram

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    ("dtype", "tol"),
    [(torch.float64, 1e-10), (torch.float32, 1e-5), (torch.float16, 2e-3), (torch.bfloat16, 1e-2)],
)
@pytest.mark.parametrize("trainable", [False, True])
def test_every_dtype_runs_and_is_as_accurate_as_its_input(device, dtype, tol, trainable):
    """Error against ``np.abs(librosa.stft(y, n_fft=512, hop_length=128, pad_mode="reflect"))**2``
    of the input
    as rounded to ``dtype``: half-precision inputs are computed in float32."""
    y = make_signal(8000)
    rounded = torch.from_numpy(y).to(dtype)
    expected = librosa.stft(rounded.double().numpy(), n_fft=512, hop_length=128, pad_mode="reflect")
    expected = np.abs(expected) ** 2
    layer = Spectrogram(512, hop_length=128, trainable=trainable, device=device, dtype=dtype)
    out = layer(rounded.to(device))
    assert out.dtype == dtype and out.device.type == device
    assert rel_err(out.cpu(), expected) <= tol


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_complex_output_of_half_input_is_complex64(dtype):
    x = torch.randn(2, 3000).to(dtype)
    spec = Spectrogram(256, power=None)(x)
    assert spec.dtype == torch.complex64
    back = InverseSpectrogram(256)(spec, 3000)
    assert back.dtype == torch.float32


@pytest.mark.parametrize("freq_scale", ["linear", "log"])
def test_layer_moved_to_float64_is_float64_exact(freq_scale):
    """Built in float32, moved with .double() / .to(torch.float64): still 1e-10 from the float64
    reference (librosa.stft with pad_mode='reflect'; the direct DFT for log bins)."""
    kw = {"sample_rate": SAMPLE_RATE, "freq_scale": freq_scale}
    y = make_signal(9000)
    layer = Spectrogram(1024, hop_length=256, power=None, **kw)
    if freq_scale == "linear":
        expected = librosa.stft(
            y, n_fft=1024, hop_length=256, pad_mode="reflect", dtype=np.complex128
        )
    else:
        expected = direct_dft(y, layer.frequencies.numpy(), 1024, 256)
    again = Spectrogram(1024, hop_length=256, power=None, **kw)
    for moved in (layer.double(), again.to(torch.float64)):
        assert moved.window.dtype == torch.float64
        assert rel_err(moved(torch.from_numpy(y)), expected) <= 1e-10
    assert torch.equal(layer.float().double().window, torch.hann_window(1024, dtype=torch.float64))


def test_state_dict_holds_window_and_trainable_kernels():
    fixed = Spectrogram(64)
    assert list(fixed.state_dict()) == ["window"]  # as torchaudio's Spectrogram
    trainable = Spectrogram(64, trainable=True)
    assert set(trainable.state_dict()) == {"window", "kernels"}
    other = Spectrogram(64, trainable=True)
    with torch.no_grad():
        trainable.kernels.mul_(0.5)
    other.load_state_dict(trainable.state_dict())
    x = torch.randn(500)
    assert torch.equal(other(x), trainable(x))


def test_input_on_another_device_is_refused():
    layer = Spectrogram(64)
    with pytest.raises(ValueError, match=r"layer\.to"):
        layer(torch.randn(500, device="meta"))
