"""Explicit routes: every layer with two ways to compute one function shows which in
``layer.route``, chosen in ``__init__``; both values are tested and agree.

STFT pair: the FFT route (``torch.stft`` / inverse FFT) against the convolution route with the
same Fourier kernels, in float64 to 1e-10 (two exact evaluations of the same sums). CQT/VQT
routes are compared with their definition in test_cqt.py (``_routes``).
"""

from __future__ import annotations

import pytest
import torch
from helpers import make_signal, rel_err

from torchspec import CQT, VQT, InverseSpectrogram, Spectrogram

F64 = torch.float64
STFT_CASES = [
    {"n_fft": 512, "hop_length": 128},
    {"n_fft": 400, "win_length": 300, "hop_length": 100, "pad": 7, "normalized": True},
    {"n_fft": 255, "hop_length": 64, "center": False, "window_fn": torch.hamming_window},
    {"n_fft": 256, "hop_length": 100, "onesided": False, "pad_mode": "constant"},
]


@pytest.mark.parametrize("kw", STFT_CASES, ids=str)
@pytest.mark.parametrize("power", [None, 2.0, 1.0])
def test_spectrogram_routes_agree(kw, power):
    fft = Spectrogram(**kw, power=power, dtype=F64)
    direct = Spectrogram(**kw, power=power, route="conv", dtype=F64)
    assert (fft.route, direct.route) == ("fft", "conv")
    x = torch.from_numpy(make_signal(4000, channels=2))
    assert rel_err(direct(x), fft(x)) <= 1e-10


@pytest.mark.parametrize("kw", [k for k in STFT_CASES if k.get("center") is not False], ids=str)
@pytest.mark.parametrize("length", [None, 3900, 4100])
def test_inverse_routes_agree(kw, length):
    forward = {k: v for k, v in kw.items() if k != "pad_mode"}
    spec = Spectrogram(**kw, power=None, dtype=F64)(torch.from_numpy(make_signal(4000)))
    fft = InverseSpectrogram(**forward, dtype=F64)
    direct = InverseSpectrogram(**forward, route="conv", dtype=F64)
    assert (fft.route, direct.route) == ("fft", "conv")
    assert rel_err(direct(spec, length), fft(spec, length)) <= 1e-10


def test_default_routes_follow_the_kernels():
    assert Spectrogram().route == "fft"
    assert Spectrogram(trainable=True).route == "conv"
    assert Spectrogram(freq_scale="log", sample_rate=16000).route == "conv"
    assert InverseSpectrogram().route == "fft"
    assert InverseSpectrogram(trainable=True).route == "conv"
    assert CQT().route == "multirate" and VQT().route == "multirate"
    assert CQT(trainable=True).route == "direct"


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Spectrogram(trainable=True, route="fft"), "route='fft'"),
        (lambda: Spectrogram(freq_scale="log", sample_rate=16000, route="fft"), "route='fft'"),
        (lambda: Spectrogram(route="fast"), "route must be one of"),
        (lambda: InverseSpectrogram(trainable=True, route="fft"), "route='fft'"),
        (lambda: CQT(trainable=True, route="multirate"), "route='multirate'"),
        (lambda: VQT(route="fft"), "route must be one of"),
    ],
)
def test_impossible_routes_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_route_is_read_only():
    layer = Spectrogram()
    with pytest.raises(AttributeError):
        layer.route = "conv"


@pytest.mark.parametrize("pad_mode", ["reflect", "constant", "replicate", "circular"])
def test_cqt_routes_agree_on_short_input_in_every_pad_mode(pad_mode):
    """The multirate route pads with ``pad_mode`` as far as the direct route reads, so it takes
    every input the direct route takes (no silent fall-back to the other route)."""
    kw = {"sample_rate": 22050, "hop_length": 256, "f_min": 65.4, "n_bins": 48}
    direct = CQT(**kw, pad_mode=pad_mode, route="direct")
    reach = direct.filterbank()[0].shape[-1] // 2
    x = torch.from_numpy(make_signal(reach + 500)).float()
    multirate = CQT(**kw, pad_mode=pad_mode)
    expected = direct(x)
    assert multirate(x).shape == expected.shape
    assert rel_err(multirate(x).abs(), expected.abs()) <= 2e-3
