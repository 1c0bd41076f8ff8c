"""GriffinLim against librosa.griffinlim (float64), its options, gradients and errors.

Spectral convergence ``||S - |STFT(y)||| / ||S||`` uses librosa.stft with the same padding
convention as the reconstruction."""

from __future__ import annotations

import warnings

import librosa
import numpy as np
import pytest
import torch
from helpers import SAMPLE_RATE, make_signal, rel_err
from test_cqt import _speech_like, _tones

import torchspec
from torchspec import (
    GriffinLim,
    Spectrogram,
)

N_FFT, HOP = 1024, 256
SIGNALS = {"speech-like": _speech_like, "tonal": _tones}


def _convergence(magnitude: np.ndarray, y: np.ndarray) -> float:
    rebuilt = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP, pad_mode="constant"))
    n = min(rebuilt.shape[1], magnitude.shape[1])
    return float(np.linalg.norm(magnitude[:, :n] - rebuilt[:, :n]) / np.linalg.norm(magnitude))


@pytest.mark.parametrize("signal", list(SIGNALS))
def test_griffinlim_zero_phase_start_matches_librosa(signal):
    """``librosa.griffinlim(S, n_iter=32, momentum=0.99, init=None, pad_mode="constant")``."""
    y = SIGNALS[signal](2 * SAMPLE_RATE)
    magnitude = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP, pad_mode="constant"))
    theirs = librosa.griffinlim(
        magnitude,
        n_iter=32,
        hop_length=HOP,
        n_fft=N_FFT,
        init=None,
        pad_mode="constant",
        momentum=0.99,
    )
    layer = GriffinLim(N_FFT, 32, hop_length=HOP, power=1.0, rand_init=False, pad_mode="constant")
    ours = layer.double()(torch.from_numpy(magnitude)).numpy()
    assert ours.shape == theirs.shape
    assert _convergence(magnitude, ours) <= 1.05 * _convergence(magnitude, theirs)


@pytest.mark.parametrize("signal", list(SIGNALS))
def test_griffinlim_random_start_is_as_good_as_librosa(signal):
    """Median spectral convergence over 5 seeded random starts, each library its own RNG."""
    y = SIGNALS[signal](2 * SAMPLE_RATE)
    magnitude = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP, pad_mode="constant"))
    layer = GriffinLim(N_FFT, 32, hop_length=HOP, power=1.0, pad_mode="constant")
    x = torch.from_numpy(magnitude).float()
    ours = [
        _convergence(magnitude, layer(x, generator=torch.Generator().manual_seed(s)).numpy())
        for s in range(5)
    ]
    theirs = [
        _convergence(
            magnitude,
            librosa.griffinlim(
                magnitude,
                n_iter=32,
                hop_length=HOP,
                n_fft=N_FFT,
                pad_mode="constant",
                random_state=s,
            ),
        )
        for s in range(5)
    ]
    assert np.median(ours) <= 1.05 * np.median(theirs)


def test_griffinlim_start_phase_and_generator():
    y = torch.from_numpy(make_signal(SAMPLE_RATE)).float()
    spec = Spectrogram(N_FFT, hop_length=HOP, power=None)(y)
    layer = GriffinLim(N_FFT, 4, hop_length=HOP, length=y.shape[-1])
    power = spec.abs() ** 2
    from_truth = layer(power, init_phase=spec)
    assert rel_err(from_truth, y) < 1e-3  # the true phase is a fixed point
    assert torch.allclose(layer(power, init_phase=spec.angle()), from_truth, atol=1e-5)
    first = layer(power, generator=torch.Generator().manual_seed(3))
    again = layer(power, generator=torch.Generator().manual_seed(3))
    assert torch.equal(first, again)


def test_griffinlim_gradient_reaches_the_magnitude():
    """A waveform loss backpropagated through 8 iterations into the magnitude: finite, nonzero."""
    y = torch.from_numpy(make_signal(8000)).float()
    magnitude = Spectrogram(256, hop_length=64, power=1.0)(y).requires_grad_(True)
    layer = GriffinLim(256, 8, hop_length=64, power=1.0, length=8000, rand_init=False)
    loss = (layer(magnitude) - y).square().mean()
    loss.backward()
    assert torch.isfinite(magnitude.grad).all() and magnitude.grad.abs().sum() > 0


def test_gradcheck_griffinlim():
    layer = GriffinLim(16, 3, hop_length=4, power=2.0, rand_init=False).double()
    magnitude = (torch.rand(9, 12, dtype=torch.float64) + 0.1).requires_grad_(True)
    assert torch.autograd.gradcheck(layer, (magnitude,))


@pytest.mark.parametrize(
    ("kw", "match"),
    [({"n_iter": 0}, "n_iter"), ({"momentum": 1.0}, "momentum"), ({"momentum": -0.1}, "momentum")],
)
def test_griffinlim_bad_parameters(kw, match):
    with pytest.raises(ValueError, match=match):
        GriffinLim(**kw)


def test_griffinlim_bad_input():
    layer = GriffinLim(400)
    with pytest.raises(ValueError, match="201"):
        layer(torch.rand(100, 10))
    with pytest.raises(ValueError, match="non-negative"):
        layer(-torch.rand(201, 10))
    with pytest.raises(ValueError, match="init_phase"):
        layer(torch.rand(201, 10), init_phase=torch.zeros(201, 11))


@pytest.mark.parametrize("signal", list(SIGNALS))
def test_griffinlim_center_false_matches_librosa(signal):
    """``librosa.griffinlim(S, center=False, window="hamming", init=None)``: a window that is
    nonzero at its edges, so the uncentred overlap-add covers every sample (to 1e-9: the same
    algorithm in float64)."""
    y = SIGNALS[signal](SAMPLE_RATE)
    stft = {"n_fft": N_FFT, "hop_length": HOP, "window": "hamming", "center": False}
    magnitude = np.abs(librosa.stft(y, **stft))
    theirs = librosa.griffinlim(magnitude, n_iter=16, init=None, **stft)
    layer = GriffinLim(
        N_FFT,
        16,
        hop_length=HOP,
        window_fn=torch.hamming_window,
        power=1.0,
        rand_init=False,
        center=False,
    ).double()
    ours = layer(torch.from_numpy(magnitude)).numpy()
    assert ours.shape == theirs.shape
    assert rel_err(ours, theirs) <= 1e-9


@pytest.mark.parametrize("signal", list(SIGNALS))
def test_griffinlim_center_false_with_a_vanishing_window_matches_librosa(signal):
    """``librosa.griffinlim(S, center=False, init=None)`` with the Hann window, which is 0 at
    its first sample: both divide by the overlap-added window only where it is not tiny (the
    first sample stays 0), so the same iterations agree to 1e-9 in float64, and the spectral
    convergence is librosa's."""
    y = SIGNALS[signal](SAMPLE_RATE)
    stft = {"n_fft": N_FFT, "hop_length": HOP, "center": False}
    magnitude = np.abs(librosa.stft(y, **stft))
    theirs = librosa.griffinlim(magnitude, n_iter=16, init=None, **stft)
    layer = GriffinLim(N_FFT, 16, hop_length=HOP, power=1.0, rand_init=False, center=False)
    ours = layer.double()(torch.from_numpy(magnitude)).numpy()
    assert ours.shape == theirs.shape and ours[0] == 0.0
    assert rel_err(ours, theirs) <= 1e-9

    def convergence(x: np.ndarray) -> float:
        again = np.abs(librosa.stft(x, **stft))
        return float(np.linalg.norm(again - magnitude) / np.linalg.norm(magnitude))

    assert convergence(ours) <= convergence(theirs) * (1 + 1e-6)


def test_griffinlim_random_start_is_librosas_distribution():
    """librosa's random start is ``exp(2j * pi * U[0, 1))`` drawn by ``RandomState(seed)``: given
    the same phases our iterations give librosa's waveform (1e-9, float64)."""
    y = _tones(SAMPLE_RATE)
    magnitude = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP, pad_mode="constant"))
    theirs = librosa.griffinlim(
        magnitude, n_iter=8, hop_length=HOP, n_fft=N_FFT, pad_mode="constant", random_state=7
    )
    phases = 2 * np.pi * np.random.RandomState(seed=7).random(size=magnitude.shape)
    layer = GriffinLim(N_FFT, 8, hop_length=HOP, power=1.0, pad_mode="constant").double()
    ours = layer(torch.from_numpy(magnitude), init_phase=torch.from_numpy(phases)).numpy()
    assert rel_err(ours, theirs) <= 1e-9


def test_griffinlim_length_beyond_the_frames_is_zero_extended():
    """A length the frames do not cover: the natural-length result, then zeros (librosa and
    torchaudio would fail to broadcast inside the loop)."""
    magnitude = torch.rand(513, 20, dtype=torch.float64)
    natural = GriffinLim(N_FFT, 4, hop_length=HOP, power=1.0, rand_init=False).double()
    longer = GriffinLim(N_FFT, 4, hop_length=HOP, power=1.0, rand_init=False, length=9000)
    expected = natural(magnitude)
    out = longer.double()(magnitude)
    assert out.shape == (9000,) and torch.isfinite(out).all()
    torch.testing.assert_close(out[: expected.shape[-1]], expected, rtol=0, atol=0)
    assert (out[expected.shape[-1] :] == 0).all()
    shorter = GriffinLim(N_FFT, 4, hop_length=HOP, power=1.0, rand_init=False, length=1000)
    assert shorter.double()(magnitude).shape == (1000,)


def test_griffinlim_refuses_windows_without_overlap_add():
    """A hop longer than the window leaves gaps between frames: refused, centred or not."""
    with pytest.raises(ValueError, match="overlap-add"):
        GriffinLim(N_FFT, hop_length=N_FFT + 1, win_length=N_FFT, center=False)
    with pytest.raises(ValueError, match="overlap-add"):
        GriffinLim(N_FFT, hop_length=N_FFT + 1, win_length=N_FFT)


@pytest.mark.compile
def test_random_start_exports_to_onnx_and_compiles_with_dynamic_shapes(tmp_path):
    """The default random start draws with ``rand_like`` (ONNX: RandomUniformLike), so the
    layer exports as it is; the ONNX result has the eager layer's shape and reaches the same
    spectral convergence (the phases differ: each draw is its own)."""
    ort = pytest.importorskip("onnxruntime")
    layer = torchspec.GriffinLim(64, 8, hop_length=16)
    spec = torchspec.Spectrogram(64, hop_length=16)(torch.randn(2, 800))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(layer, (spec,), dynamo=True, verbose=False)
    program.save(str(tmp_path / "gl.onnx"))
    session = ort.InferenceSession(str(tmp_path / "gl.onnx"), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: spec.numpy()})
    eager = layer(spec)
    assert got.shape == tuple(eager.shape)

    def convergence(y):
        rebuilt = torchspec.Spectrogram(64, hop_length=16, power=1.0)(y)
        return float((rebuilt - spec.sqrt()).norm() / spec.sqrt().norm())

    assert convergence(torch.from_numpy(got)) < 1.5 * convergence(eager)
    compiled = torch.compile(layer, dynamic=True)
    assert compiled(spec).shape == eager.shape
