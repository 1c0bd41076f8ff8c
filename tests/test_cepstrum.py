"""InverseMFCC against librosa.feature.inverse.mfcc_to_mel (float64); MFCC to audio."""

from __future__ import annotations

import librosa
import pytest
import torch
from helpers import SAMPLE_RATE, make_signal, rel_err

from torchspec import (
    MFCC,
    GriffinLim,
    InverseMelScale,
    InverseMFCC,
    Spectrogram,
)


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


def test_mfcc_from_a_precomputed_mel_spectrogram():
    """``librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=20, lifter=22)`` in float64."""
    y = make_signal(SAMPLE_RATE)
    mel = librosa.feature.melspectrogram(y=y, sr=SAMPLE_RATE, n_mels=64)
    expected = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=20, lifter=22)
    layer = MFCC(SAMPLE_RATE, 20, melkwargs={"n_mels": 64}, lifter=22, dtype=torch.float64)
    assert rel_err(layer.from_mel(torch.from_numpy(mel)), expected) <= 1e-10


def test_lfcc_from_a_precomputed_spectrogram():
    from torchspec import LFCC, Spectrogram

    x = torch.from_numpy(make_signal(8000, channels=2))
    layer = LFCC(16000, 40, n_lfcc=13, speckwargs={"n_fft": 512}, dtype=torch.float64)
    power = Spectrogram(512, dtype=torch.float64)(x)
    torch.testing.assert_close(layer.from_spectrogram(power), layer(x), rtol=1e-12, atol=1e-12)
