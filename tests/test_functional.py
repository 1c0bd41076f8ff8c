"""torchspec.functional: the builders against librosa/scipy in float64, and the layers as thin
wrappers of their function twins (same numbers, bit for bit)."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import scipy.fft
import torch

import torchspec
from torchspec import functional as TF


@pytest.mark.parametrize(("htk", "norm"), [(True, None), (False, "slaney")])
def test_melscale_fbanks_is_librosas_mel_transposed(htk, norm):
    ours = TF.melscale_fbanks(1025, 30.0, 8000.0, 64, 22050, norm, "htk" if htk else "slaney")
    theirs = librosa.filters.mel(
        sr=22050,
        n_fft=2048,
        n_mels=64,
        fmin=30.0,
        fmax=8000.0,
        htk=htk,
        norm=norm,
        dtype=np.float64,
    )
    np.testing.assert_allclose(ours.numpy(), theirs.T, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dct_type", [2, 3])
@pytest.mark.parametrize("norm", ["ortho", None])
def test_create_dct_is_scipys_dct(dct_type, norm):
    x = np.random.default_rng(0).standard_normal((5, 40))
    expected = scipy.fft.dct(x, type=dct_type, norm=norm, axis=-1)[:, :13]
    actual = torch.from_numpy(x) @ TF.create_dct(13, 40, norm, dct_type=dct_type)
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-10, atol=1e-10)


def test_amplitude_to_db_pair():
    x = torch.rand(2, 3, 10, 20, dtype=torch.float64) + 1e-3
    db = TF.amplitude_to_DB(x, 10.0, 1e-10, 0.0)
    torch.testing.assert_close(db, 10 * torch.log10(x))
    torch.testing.assert_close(TF.DB_to_amplitude(db, 1.0, 1.0), x)
    floored = TF.amplitude_to_DB(x, 20.0, 1e-10, 0.0, top_db=10.0)
    peak = floored.amax(dim=(-2, -1), keepdim=True)
    assert bool((floored >= peak - 10.0 - 1e-9).all())


def test_layers_are_their_function_twins():
    x = torch.randn(2, 4000)
    spec_layer = torchspec.Spectrogram(256, hop_length=64, power=None)
    spec = spec_layer(x)
    twin = TF.spectrogram(x, 0, spec_layer.window, 256, 64, 256, None, False)
    assert torch.equal(spec, twin)
    inverse = torchspec.InverseSpectrogram(256, hop_length=64)
    assert torch.equal(
        inverse(spec, 4000),
        TF.inverse_spectrogram(spec, 4000, 0, inverse.window, 256, 64, 256, False),
    )
    mel = torchspec.MelScale(20, 16000, n_stft=129)
    power = spec.abs() ** 2
    assert torch.equal(mel(power), TF.apply_filterbank(power, mel.fb))
    griffinlim = torchspec.GriffinLim(256, 3, hop_length=64, rand_init=False)
    assert torch.equal(
        griffinlim(power),
        TF.griffinlim(power, griffinlim.window, 256, 64, 256, 2.0, 3, 0.99, None, False),
    )


def test_synthesise_leaves_uncovered_samples_at_zero():
    """Gaps between frames (a rectangular window with hop > n_fft) stay zero, never NaN."""
    from torchspec import conv

    frames = torch.ones(1, 4, 8)
    y = conv.synthesise(frames, torch.ones(8), conv.Framing(8, 12, center=False), None)
    assert torch.isfinite(y).all()
    assert float(y[0, 8:12].abs().max()) == 0.0 and float(y[0, :8].min()) == 1.0
