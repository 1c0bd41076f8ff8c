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
