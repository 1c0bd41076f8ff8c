"""Log-frequency STFT: every bin is the windowed DFT evaluated exactly at its centre frequency.

Reference: a direct float64 sum ``X[b, t] = sum_n w[n] x[t*hop + n] exp(-2j*pi*f_b*n/sr)`` over
the reflect-padded signal, written here with numpy, at the frequencies the layer reports.
"""

from __future__ import annotations

import pytest
import torch
from helpers import SAMPLE_RATE, direct_dft, make_signal, rel_err

from torchspec import InverseSpectrogram, Spectrogram


@pytest.mark.parametrize(
    ("n_fft", "hop", "f_min", "f_max", "n_bins"),
    [(1024, 256, 50.0, 8000.0, 96), (2048, 512, 32.70, 11025.0, 200), (511, 100, 100.0, 5000.0, 7)],
)
@pytest.mark.parametrize(("dtype", "tol"), [(torch.float32, 1e-5), (torch.float64, 1e-10)])
def test_log_bins_matchdirect_dft(n_fft, hop, f_min, f_max, n_bins, dtype, tol):
    layer = Spectrogram(
        n_fft,
        hop_length=hop,
        power=None,
        freq_scale="log",
        f_min=f_min,
        f_max=f_max,
        n_bins=n_bins,
        sample_rate=SAMPLE_RATE,
        dtype=dtype,
    )
    freqs = layer.frequencies
    assert freqs.shape == (n_bins,)
    assert freqs[0].item() == pytest.approx(f_min, rel=1e-12)
    assert freqs[-1].item() == pytest.approx(f_max, rel=1e-12)
    ratios = freqs[1:] / freqs[:-1]
    assert torch.allclose(ratios, ratios[0].expand_as(ratios), rtol=1e-12)

    y = make_signal(3 * n_fft + 777)
    expected = direct_dft(y, freqs.numpy(), n_fft, hop)
    actual = layer(torch.from_numpy(y).to(dtype))
    assert rel_err(actual, expected) <= tol


def test_tone_peaks_at_its_log_bin():
    layer = Spectrogram(
        4096,
        hop_length=1024,
        freq_scale="log",
        f_min=55.0,
        f_max=7040.0,
        n_bins=85,
        sample_rate=SAMPLE_RATE,
    )  # 12 bins per octave: A1 .. A8
    freqs = layer.frequencies
    t = torch.arange(SAMPLE_RATE) / SAMPLE_RATE
    for k in (12, 30, 61):
        tone = torch.sin(2 * torch.pi * freqs[k].float() * t)
        assert int(layer(tone)[:, 5].argmax()) == k


def test_two_lines_give_array_and_frequencies():
    spec = Spectrogram(
        1024,
        hop_length=256,
        freq_scale="log",
        f_min=50.0,
        f_max=8000.0,
        n_bins=96,
        sample_rate=SAMPLE_RATE,
    )
    array, hz = spec(torch.randn(2, SAMPLE_RATE)).numpy(), spec.frequencies.numpy()
    assert array.shape == (2, 96, 87) and hz.shape == (96,)


def test_linear_frequencies():
    assert torch.equal(
        Spectrogram(8, sample_rate=16000).frequencies,
        torch.tensor([0.0, 2000.0, 4000.0, 6000.0, 8000.0], dtype=torch.float64),
    )
    two_sided = Spectrogram(8, onesided=False, sample_rate=16000).frequencies
    assert torch.equal(two_sided, torch.fft.fftfreq(8, 1 / 16000, dtype=torch.float64))


def test_log_spectrogram_is_not_invertible():
    layer = Spectrogram(512, power=None, freq_scale="log", sample_rate=SAMPLE_RATE)
    with pytest.raises(ValueError, match="log-frequency"):
        InverseSpectrogram.from_spectrogram(layer)
