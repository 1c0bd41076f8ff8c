"""Complex STFT against librosa.stft in float64 (the value reference).

Mirrors ``librosa.stft(y, n_fft=, hop_length=, win_length=, window=, center=, pad_mode=)`` with
the window functions that both libraries define the same way (periodic, ``fftbins=True``).

Tolerances: float64 <= 1e-10 relative (both sides are exact up to FFT/summation rounding, which
is ~1e-15 times sqrt(n_fft)); float32 <= 1e-5 relative (float32 epsilon 6e-8 times the growth of
rounding error over sums of up to 4096 terms).
"""

from __future__ import annotations

import functools

import librosa
import numpy as np
import pytest
import torch
from helpers import make_signal, rel_err

from torchspec import Spectrogram
from torchspec.conv import analyse, to_complex

WINDOWS = {
    "hann": (torch.hann_window, None, "hann"),
    "hamming": (torch.hamming_window, None, "hamming"),
    "blackman": (torch.blackman_window, None, "blackman"),
    "kaiser": (torch.kaiser_window, {"periodic": True, "beta": 8.0}, ("kaiser", 8.0)),
    "boxcar": (lambda n, **kw: torch.ones(n, **kw), None, "boxcar"),
}

# (n_fft, win_length, hop_length, window, center, pad_mode)
CASES = [
    (16, None, 4, "hann", True, "reflect"),
    (17, None, 5, "hamming", True, "constant"),
    (64, 40, 13, "blackman", False, "constant"),
    (255, None, 100, "hann", True, "constant"),
    (256, 200, 100, "kaiser", True, "reflect"),
    (400, None, 200, "hann", True, "reflect"),
    (1023, 1000, 333, "boxcar", False, "reflect"),
    (2048, None, 512, "hann", True, "reflect"),
    (4096, 3000, 1000, "hamming", True, "constant"),
]


@functools.cache
def _reference(case: tuple) -> np.ndarray:
    n_fft, win_length, hop, window, center, pad_mode = case
    y = make_signal(3 * n_fft + 1234)
    return librosa.stft(
        y,
        n_fft=n_fft,
        hop_length=hop,
        win_length=win_length,
        window=WINDOWS[window][2],
        center=center,
        pad_mode=pad_mode,
        dtype=np.complex128,
    )


def _layer(case: tuple, **kwargs: object) -> Spectrogram:
    n_fft, win_length, hop, window, center, pad_mode = case
    window_fn, wkwargs, _ = WINDOWS[window]
    return Spectrogram(
        n_fft,
        win_length,
        hop,
        window_fn=window_fn,
        wkwargs=wkwargs,
        power=None,
        center=center,
        pad_mode=pad_mode,
        **kwargs,
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c)))
@pytest.mark.parametrize(
    ("dtype", "tol"), [(torch.float64, 1e-10), (torch.float32, 1e-5)], ids=["f64", "f32"]
)
@pytest.mark.parametrize("trainable", [False, True], ids=["fft-route", "conv-route"])
def test_complex_stft_matches_librosa(case: tuple, dtype: torch.dtype, tol: float, trainable: bool):
    expected = _reference(case)
    layer = _layer(case, trainable=trainable, dtype=dtype)
    y = torch.from_numpy(make_signal(3 * case[0] + 1234)).to(dtype)
    with torch.no_grad():
        actual = layer(y)
    assert actual.dtype == dtype.to_complex()
    assert rel_err(actual, expected) <= tol


@pytest.mark.parametrize("case", CASES[:6], ids=lambda c: "-".join(map(str, c)))
def test_filterbank_convolution_is_the_definition(case: tuple):
    """The convolution with the layer's filterbank equals librosa for the FFT-route layer too."""
    layer = _layer(case, dtype=torch.float64)
    y = torch.from_numpy(make_signal(3 * case[0] + 1234))
    actual = to_complex(analyse(y, layer.filterbank(), layer.framing, "test"))
    assert rel_err(actual, _reference(case)) <= 1e-10


@pytest.mark.parametrize("power", [1.0, 2.0, 0.5])
def test_power_spectrogram_matches_librosa(power: float):
    """Mirrors ``np.abs(librosa.stft(y, n_fft=512, hop_length=128, pad_mode='reflect'))**power``."""
    y = make_signal(20000)
    expected = np.abs(librosa.stft(y, n_fft=512, hop_length=128, pad_mode="reflect")) ** power
    layer = Spectrogram(512, hop_length=128, power=power)
    actual = layer(torch.from_numpy(y).float())
    assert actual.dtype == torch.float32
    assert rel_err(actual, expected) <= 1e-5
