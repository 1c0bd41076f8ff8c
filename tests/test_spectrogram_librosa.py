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

from torchspec import InverseSpectrogram, Spectrogram
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


@pytest.mark.parametrize("n_fft", [512, 2048])
def test_inverse_center_false_matches_librosa_istft(n_fft: int):
    """``librosa.istft(D, center=False)`` with the Hann window, which vanishes at the edges of
    an uncentred signal: librosa divides by the overlap-added squared window wherever it is
    above float64's tiny, torchspec wherever it is above 1e-11 (``conv.NOLA_TOLERANCE``).
    Equal to 1e-9 of the peak (float64) on the samples above 1e-11; the few edge samples below
    it (1 at n_fft 512: the first; 4 at 2048) hold the overlap-added value, at most 1e-11 of
    the signal, where librosa divides a near-0 by a near-0."""
    hop = n_fft // 4
    y = np.random.default_rng(0).standard_normal(8 * n_fft)
    stft = {"n_fft": n_fft, "hop_length": hop, "center": False}
    spectrum = librosa.stft(y, **stft)
    theirs = librosa.istft(spectrum, **stft)
    layer = InverseSpectrogram(n_fft, hop_length=hop, center=False).double()
    ours = layer(torch.from_numpy(spectrum)).numpy()
    assert ours.shape == theirs.shape
    window = np.square(librosa.filters.get_window("hann", n_fft))
    envelope = librosa.filters.window_sumsquare(
        window="hann", n_frames=spectrum.shape[-1], hop_length=hop, n_fft=n_fft, dtype=np.float64
    )
    assert window[0] == 0.0
    covered = envelope > 1e-11
    assert 1 <= (~covered).sum() <= 4
    np.testing.assert_allclose(ours[covered], theirs[covered], rtol=0, atol=1e-9 * np.abs(y).max())
    assert np.abs(ours[~covered]).max() <= 1e-11 * np.abs(y).max()
