"""What torchaudio's other transforms compute, checked against the physics of simple signals
(the values against torchaudio itself are in tests/test_transforms_reference.py): a tone's
centroid is its frequency, the delta of a ramp is its slope, a pitch shift by an octave doubles
a tone's frequency, de-emphasis undoes pre-emphasis at any level, a resampled tone keeps its
frequency, and the sliding-window CMN of a long recording matches the window means computed
directly, with no drift."""

from __future__ import annotations

import math

import pytest
import torch

import torchspec

SR = 16000


def tone(frequency: float, n: int, sample_rate: int = SR) -> torch.Tensor:
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    return torch.sin(2 * math.pi * frequency * t)


def dominant_frequency(x: torch.Tensor, sample_rate: int) -> float:
    """The frequency of the largest bin of a Hann-windowed FFT, refined by a parabola through
    the log magnitudes around it (accurate to a small fraction of a bin)."""
    window = torch.hann_window(x.shape[-1], dtype=x.dtype)
    magnitude = torch.fft.rfft(x * window).abs().log()
    k = int(magnitude.argmax())
    a, b, c = magnitude[k - 1], magnitude[k], magnitude[k + 1]
    offset = float(0.5 * (a - c) / (a - 2 * b + c))
    return (k + offset) * sample_rate / x.shape[-1]


@pytest.mark.parametrize("frequency", [440.0, 1000.0, 3125.0])
def test_the_centroid_of_a_tone_is_its_frequency(frequency):
    centroid = torchspec.SpectralCentroid(SR, n_fft=1024, hop_length=256).double()(
        tone(frequency, SR)
    )
    # a Hann window's main lobe is symmetric about the tone: the centroid sits on it, to the
    # leakage of the far side lobes (under 1 Hz at 15.6 Hz bins)
    assert (centroid[4:-4] - frequency).abs().max() < 1.0


def test_the_centroid_of_silence_is_zero():
    centroid = torchspec.SpectralCentroid(SR)(torch.zeros(2, 4000))
    assert torch.equal(centroid, torch.zeros_like(centroid))


@pytest.mark.parametrize("win_length", [3, 5, 9])
def test_the_delta_of_a_ramp_is_its_slope(win_length):
    slope = torch.tensor([0.5, -2.0, 3.25], dtype=torch.float64)[:, None]
    ramp = slope * torch.arange(50, dtype=torch.float64) + 7.0  # (3 features, 50 frames)
    delta = torchspec.ComputeDeltas(win_length=win_length)(ramp)
    edge = win_length // 2  # the replicated edges flatten the ramp there
    torch.testing.assert_close(
        delta[:, edge:-edge], slope.expand(3, 50 - 2 * edge), rtol=1e-12, atol=1e-12
    )


def test_an_octave_up_doubles_a_tones_frequency():
    shifted = torchspec.PitchShift(SR, 12, n_fft=1024).double()(tone(440.0, SR)[None])[0]
    assert shifted.shape == (SR,)
    middle = shifted[2000:-2000]  # away from the edges the vocoder and resampler shorten
    assert abs(dominant_frequency(middle, SR) - 880.0) < 2.0


def test_a_resampled_tone_keeps_its_frequency():
    out = torchspec.Resample(44100, 16000).double()(tone(1234.5, 44100, 44100))
    assert out.shape == (16000,)
    assert abs(dominant_frequency(out[500:-500], 16000) - 1234.5) < 0.1


def test_resampling_to_the_same_rate_is_the_identity():
    x = torch.randn(2, 1000)
    assert torch.equal(torchspec.Resample(16000, 16000)(x), x)


@pytest.mark.parametrize("coeff", [0.97, 0.5])
def test_deemphasis_undoes_preemphasis_beyond_full_scale(coeff):
    x = 40.0 * torch.randn(2, 3000, dtype=torch.float64)  # far outside [-1, 1]
    emphasised = torchspec.Preemphasis(coeff)(x)
    torch.testing.assert_close(torchspec.Deemphasis(coeff)(emphasised), x, rtol=1e-12, atol=1e-10)


def test_sliding_window_cmn_of_a_long_recording_has_no_drift():
    """200,000 frames with an offset of 1e4: the running window sums stay exact, so the last
    frames equal a mean over their own window computed from scratch."""
    torch.manual_seed(0)
    frames = 1e4 + torch.randn(200_000, 3)
    out = torchspec.SlidingWindowCmn(cmn_window=600)(frames)
    window = frames[-600:].double()  # the last frame's window (not centred): the 600 before it
    expected = (frames[-1].double() - window.mean(dim=0)).float()
    torch.testing.assert_close(out[-1], expected, rtol=0, atol=2e-3)  # 1e4 in float32: 1e-3 ulp
    assert out.abs().max() < 10  # zero-mean unit noise, every frame


def test_time_stretch_sets_the_frame_count():
    spec = torch.randn(2, 201, 100, dtype=torch.complex64)
    assert torchspec.TimeStretch(n_freq=201)(spec, 2.0).shape == (2, 201, 50)
    assert torchspec.TimeStretch(n_freq=201)(spec, 0.5).shape == (2, 201, 200)


@pytest.mark.parametrize(
    ("old", "new"),
    [("sinc_interpolation", "sinc_interp_hann"), ("kaiser_window", "sinc_interp_kaiser")],
)
def test_resample_takes_torchaudios_older_method_names(old: str, new: str) -> None:
    """torchaudio 2.11 still accepts its older names, with a deprecation warning: so do we,
    and they build the same kernel as the new names."""
    with pytest.warns(DeprecationWarning, match=new):
        layer = torchspec.Resample(16000, 44100, old)
    assert layer.resampling_method == new
    torch.testing.assert_close(layer.kernel, torchspec.Resample(16000, 44100, new).kernel)
    with pytest.raises(ValueError, match="resampling_method must be one of"):
        torchspec.functional.resample(torch.zeros(100), 16000, 8000, resampling_method="sinc")


def test_pitch_shift_has_torchaudios_gcd() -> None:
    layer = torchspec.PitchShift(8000, 4)
    assert layer.gcd == math.gcd(layer.orig_freq, 8000)
