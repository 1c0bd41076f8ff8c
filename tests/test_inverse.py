"""Back to audio: GriffinLim, InverseMelScale, InverseMFCC, InverseCQT.

References: librosa.griffinlim, librosa.feature.inverse.mel_to_stft / mfcc_to_mel, librosa.icqt,
all in float64. Spectral convergence ``||S - |STFT(y)||| / ||S||`` uses librosa.stft with the
same padding convention as the reconstruction.
"""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import torch
from helpers import SAMPLE_RATE, make_signal, rel_err
from test_cqt import _speech_like, _tones

from torchspec import (
    CQT,
    MFCC,
    GriffinLim,
    InverseCQT,
    InverseMelScale,
    InverseMFCC,
    MelSpectrogram,
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


def _power_and_mel(mel: dict, seconds: float) -> tuple[np.ndarray, MelSpectrogram, torch.Tensor]:
    y = make_signal(int(seconds * SAMPLE_RATE))
    power = np.abs(librosa.stft(y, n_fft=2048, hop_length=512, pad_mode="reflect")) ** 2
    forward = MelSpectrogram(SAMPLE_RATE, n_fft=2048, hop_length=512, n_mels=128, **mel).double()
    return power, forward, forward.mel_scale(torch.from_numpy(power))


@pytest.mark.parametrize(
    "mel",
    [{}, {"norm": "slaney"}, {"norm": "slaney", "mel_scale": "slaney"}],
    ids=["htk-none", "htk-slaney", "slaney-slaney"],
)
def test_inverse_mel_scale_reproduces_the_mel_spectrogram(mel):
    """mel -> linear -> mel within 1e-3 relative (the HTK filterbank without norm, torchaudio's
    default, converges slowest)."""
    _, forward, melspec = _power_and_mel(mel, 3.0)
    linear = InverseMelScale(1025, 128, SAMPLE_RATE, **mel).double()(melspec)
    assert (linear >= 0).all()
    assert rel_err(forward.mel_scale(linear), melspec) <= 1e-3


@pytest.mark.parametrize("htk", [True, False])
def test_inverse_mel_scale_against_librosa(htk):
    """``librosa.feature.inverse.mel_to_stft(M, sr, n_fft=2048, power=2.0, htk=, norm="slaney")``
    (librosa's L-BFGS-B takes minutes without the Slaney norm, so that case is not compared)."""
    mel = {"norm": "slaney", "mel_scale": "htk" if htk else "slaney"}
    power, _, melspec = _power_and_mel(mel, 1.0)
    linear = InverseMelScale(1025, 128, SAMPLE_RATE, **mel).double()(melspec)
    theirs = librosa.feature.inverse.mel_to_stft(
        melspec.numpy(), sr=SAMPLE_RATE, n_fft=2048, power=2.0, htk=htk, norm="slaney"
    )
    ours_error = np.linalg.norm(np.sqrt(linear.numpy()) - np.sqrt(power))
    theirs_error = np.linalg.norm(theirs - np.sqrt(power))
    assert ours_error <= 1.1 * theirs_error


def test_inverse_mel_scale_gradcheck_and_errors():
    inverse = InverseMelScale(9, 4, 8000, n_iter=5).double()
    mel = (torch.rand(4, 3, dtype=torch.float64) + 0.1).requires_grad_(True)
    assert torch.autograd.gradcheck(inverse, (mel,))
    with pytest.raises(ValueError, match="non-negative"):
        inverse(-mel.detach())
    with pytest.raises(ValueError, match="4"):
        inverse(torch.rand(5, 3))


@pytest.mark.parametrize("dct_type", [2, 3])
@pytest.mark.parametrize("norm", ["ortho", None])
@pytest.mark.parametrize("lifter", [0, 22])
def test_inverse_mfcc_matches_librosa(dct_type, norm, lifter):
    """``librosa.feature.inverse.mfcc_to_mel(mfcc, n_mels=64, dct_type=, norm=, lifter=)``."""
    y = torch.from_numpy(make_signal(2 * SAMPLE_RATE))
    melkwargs = {"n_fft": 1024, "hop_length": 256, "n_mels": 64}
    layer = MFCC(SAMPLE_RATE, 20, dct_type, norm, melkwargs=melkwargs, lifter=lifter)
    mfcc = layer.double()(y)
    expected = librosa.feature.inverse.mfcc_to_mel(
        mfcc.numpy(), n_mels=64, dct_type=dct_type, norm=norm, lifter=lifter
    )
    actual = InverseMFCC(20, 64, dct_type, norm, lifter=lifter).double()(mfcc)
    assert rel_err(actual, expected) <= 1e-4


def test_mfcc_to_waveform_in_three_layers():
    y = torch.from_numpy(make_signal(SAMPLE_RATE)).float()
    melkwargs = {"n_fft": 1024, "hop_length": 256, "n_mels": 128}
    mfcc = MFCC(SAMPLE_RATE, 128, melkwargs=melkwargs)(y)  # all coefficients: invertible
    mel = InverseMFCC(128, 128)(mfcc)
    linear = InverseMelScale(513, 128, SAMPLE_RATE)(mel)
    audio = GriffinLim(1024, 32, hop_length=256, length=SAMPLE_RATE)(linear)
    assert audio.shape == y.shape and torch.isfinite(audio).all()
    target = Spectrogram(1024, hop_length=256, power=1.0)(y)
    rebuilt = Spectrogram(1024, hop_length=256, power=1.0)(audio)
    assert rel_err(rebuilt, target) < 0.5  # dB floor at 80 dB and phase retrieval limit this


def test_inverse_mfcc_gradcheck():
    layer = InverseMFCC(5, 8, lifter=3).double()
    mfcc = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(layer, (mfcc,))


def _band_limited(n: int) -> np.ndarray:
    t = np.arange(n) / SAMPLE_RATE
    y = sum(np.sin(2 * np.pi * f * t + f) for f in (110.0, 261.6, 440.0, 1000.0, 1975.5))
    return y * np.hanning(n)


def test_inverse_cqt_round_trip():
    """Tones inside the CQT's range, 24 bins per octave, hop 64: SNR >= 30 dB."""
    y = _band_limited(2 * SAMPLE_RATE)
    forward = CQT(hop_length=64, n_bins=168, bins_per_octave=24)
    inverse = InverseCQT(hop_length=64, n_bins=168, bins_per_octave=24)
    back = inverse(forward(torch.from_numpy(y).float()), len(y)).double().numpy()
    snr = 10 * np.log10(np.sum(y**2) / np.sum((y - back) ** 2))
    assert snr >= 30


@pytest.mark.parametrize(("hop", "bins_per_octave"), [(512, 12), (441, 12), (64, 24), (256, 36)])
def test_inverse_cqt_matches_librosa(hop, bins_per_octave):
    """``librosa.icqt(C, sr=22050, hop_length=, bins_per_octave=, length=)`` on librosa's C."""
    y = _band_limited(2 * SAMPLE_RATE)
    n_bins = 7 * bins_per_octave
    spec = librosa.cqt(
        y, sr=SAMPLE_RATE, hop_length=hop, n_bins=n_bins, bins_per_octave=bins_per_octave
    )
    expected = librosa.icqt(
        spec, sr=SAMPLE_RATE, hop_length=hop, bins_per_octave=bins_per_octave, length=len(y)
    )
    layer = InverseCQT(SAMPLE_RATE, hop, n_bins=n_bins, bins_per_octave=bins_per_octave)
    actual = layer(torch.from_numpy(spec).to(torch.complex64), len(y))
    assert rel_err(actual, expected) <= 1e-3


def test_inverse_cqt_gradcheck_and_errors():
    layer = InverseCQT(8000, 16, 500.0, 12, 6, dtype=torch.float64)
    spec = torch.randn(12, 10, dtype=torch.complex128, requires_grad=True)
    assert torch.autograd.gradcheck(lambda s: layer(s, 150), (spec,))
    with pytest.raises(ValueError, match="12"):
        layer(torch.zeros(11, 10, dtype=torch.complex64))
    with pytest.raises(TypeError, match="complex"):
        layer(torch.zeros(12, 10))
