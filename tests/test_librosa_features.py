"""librosa's spectral features (``librosa.feature.spectral_bandwidth``, ``spectral_rolloff``,
``spectral_flatness``, ``spectral_centroid``, ``spectral_contrast``, ``poly_features``,
``rms``, ``zero_crossing_rate``; onset strength, deltas, chroma, HPSS, tempograms) against
librosa 0.11 in float64, batched: each item of a batch equals librosa on that item alone.

Tolerance: 1e-6 relative to the output's peak in float64. Both sides compute the same float64
sums over an STFT whose rounding differs (torch's FFT vs numpy's pocketfft, 1e-16 of the peak);
measured at most 1e-12 except where a frame's result is a threshold crossing (rolloff: exactly
equal or one bin apart when the cumulative sum lands within rounding of the threshold, which
these signals never do). Silent and near-silent frames are included: the padded start and
end of every centred signal, and a stretch of digital silence.
"""

from __future__ import annotations

import math

import librosa
import numpy as np
import pytest
import torch

import torchspec
import torchspec.functional as TF

SR = 22050


def signals() -> np.ndarray:
    """Three clips of 1.2 s: tones, a chirp with noise, and noise with 0.3 s of silence."""
    rng = np.random.default_rng(5)
    t = np.arange(int(1.2 * SR)) / SR
    tones = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 2500 * t)
    chirp = 0.4 * np.sin(2 * np.pi * (200 * t + 3000 * t**2)) + 0.01 * rng.standard_normal(t.size)
    noise = 0.3 * rng.standard_normal(t.size)
    noise[5000:11615] = 0.0
    return np.stack([tones, chirp, noise])


def peak_error(actual: torch.Tensor, expected: np.ndarray) -> float:
    assert tuple(actual.shape) == expected.shape, (actual.shape, expected.shape)
    scale = max(float(np.abs(expected).max()), 1e-300)
    return float(np.abs(actual.numpy() - expected).max() / scale)


CASES = [
    (torchspec.SpectralBandwidth, librosa.feature.spectral_bandwidth, {}),
    (torchspec.SpectralBandwidth, librosa.feature.spectral_bandwidth, {"p": 1.0, "norm": False}),
    (
        torchspec.SpectralBandwidth,
        librosa.feature.spectral_bandwidth,
        {"sr": 16000, "n_fft": 1024, "hop_length": 256, "window": "hamming"},
    ),
    (torchspec.SpectralRolloff, librosa.feature.spectral_rolloff, {}),
    (torchspec.SpectralRolloff, librosa.feature.spectral_rolloff, {"roll_percent": 0.5}),
    (torchspec.SpectralFlatness, librosa.feature.spectral_flatness, {}),
    (torchspec.SpectralFlatness, librosa.feature.spectral_flatness, {"power": 1.0, "amin": 1e-6}),
    (torchspec.SpectralFlatness, librosa.feature.spectral_flatness, {"center": False}),
    (torchspec.RMS, librosa.feature.rms, {}),
    (torchspec.RMS, librosa.feature.rms, {"frame_length": 1000, "hop_length": 300}),
    (torchspec.RMS, librosa.feature.rms, {"center": False}),
    (torchspec.RMS, librosa.feature.rms, {"pad_mode": "reflect"}),
    (torchspec.ZeroCrossingRate, librosa.feature.zero_crossing_rate, {}),
    (
        torchspec.ZeroCrossingRate,
        librosa.feature.zero_crossing_rate,
        {"frame_length": 512, "hop_length": 128, "center": False},
    ),
    (torchspec.ZeroCrossingRate, librosa.feature.zero_crossing_rate, {"threshold": 1e-3}),
    (torchspec.SpectralContrast, librosa.feature.spectral_contrast, {}),
    (
        torchspec.SpectralContrast,
        librosa.feature.spectral_contrast,
        {"fmin": 100.0, "n_bands": 5, "quantile": 0.1, "linear": True, "n_fft": 1024},
    ),
    (torchspec.PolyFeatures, librosa.feature.poly_features, {}),
    (torchspec.LibrosaSpectralCentroid, librosa.feature.spectral_centroid, {}),
    (
        torchspec.LibrosaSpectralCentroid,
        librosa.feature.spectral_centroid,
        {"sr": 16000, "n_fft": 1024, "hop_length": 256, "center": False},
    ),
]


@pytest.mark.parametrize(("layer", "reference", "kwargs"), CASES, ids=str)
def test_layer_equals_librosa_per_item(layer, reference, kwargs):
    y = signals()
    out = layer(**kwargs).double()(torch.from_numpy(y))
    for item in range(y.shape[0]):
        ours = out[item]
        if layer is torchspec.RMS:  # librosa rounds rms to float32 unless told otherwise
            kwargs_ref = {**kwargs, "dtype": np.float64}
        elif layer in (torchspec.SpectralFlatness, torchspec.ZeroCrossingRate):
            kwargs_ref = dict(kwargs)
        else:
            kwargs_ref = {"sr": SR, **kwargs}
        expected = reference(y=y[item], **kwargs_ref)
        assert peak_error(ours, expected) < 1e-6, item


def stft_magnitude(y: np.ndarray, n_fft: int = 2048) -> np.ndarray:
    return np.abs(librosa.stft(y, n_fft=n_fft, hop_length=512))


def test_functions_on_a_given_magnitude_equal_librosa():
    """librosa's ``S=`` forms: the same spectrogram in, the same feature out."""
    magnitude = stft_magnitude(signals())  # (3, 1025, frames)
    freq = torch.from_numpy(librosa.fft_frequencies(sr=SR, n_fft=2048))
    tensor = torch.from_numpy(magnitude)
    checks = [
        (TF.spectral_centroid(tensor, freq), librosa.feature.spectral_centroid(S=magnitude, sr=SR)),
        (
            TF.spectral_bandwidth(tensor, freq),
            librosa.feature.spectral_bandwidth(S=magnitude, sr=SR),
        ),
        (
            TF.spectral_rolloff(tensor, freq, 0.3),
            librosa.feature.spectral_rolloff(S=magnitude, sr=SR, roll_percent=0.3),
        ),
        (TF.spectral_flatness(tensor), librosa.feature.spectral_flatness(S=magnitude)),
        (
            TF.rms_from_magnitude(tensor, 2048),
            librosa.feature.rms(S=magnitude, frame_length=2048, dtype=np.float64),
        ),
    ]
    for ours, expected in checks:
        assert peak_error(ours, expected) < 1e-6


def test_silent_frames_give_librosas_values():
    """Digital silence: centroid and bandwidth 0, rolloff the lowest bin, flatness 1 (every
    bin at ``amin``), RMS and zero crossings 0; nothing non-finite."""
    y = torch.zeros(2, 8000, dtype=torch.float64)
    for layer in (
        torchspec.SpectralBandwidth(),
        torchspec.SpectralRolloff(),
        torchspec.RMS(),
        torchspec.ZeroCrossingRate(),
    ):
        assert torch.equal(layer.double()(y), torch.zeros(2, 1, 16, dtype=torch.float64))
    flat = torchspec.SpectralFlatness().double()(y)
    torch.testing.assert_close(flat, torch.ones_like(flat), rtol=1e-12, atol=0)
    assert np.allclose(librosa.feature.spectral_flatness(y=y[0].numpy()), 1.0)


def test_shape_features_are_differentiable():
    y = torch.randn(2, 3000, dtype=torch.float64, requires_grad=True)
    for layer in (
        torchspec.SpectralBandwidth(n_fft=256, hop_length=128),
        torchspec.SpectralFlatness(n_fft=256, hop_length=128),
        torchspec.RMS(frame_length=256, hop_length=128),
    ):
        layer = layer.double()
        assert torch.autograd.gradcheck(lambda x, layer=layer: layer(x[..., :700]), (y,))


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (lambda: torchspec.SpectralRolloff(roll_percent=1.0), "roll_percent"),
        (lambda: torchspec.SpectralBandwidth(p=0), "p"),
        (lambda: torchspec.SpectralFlatness(amin=0), "amin"),
        (lambda: torchspec.SpectralBandwidth(window="kaiser"), "window"),
        (lambda: torchspec.RMS(pad_mode="mirror"), "pad_mode"),
        (lambda: torchspec.ZeroCrossingRate(frame_length=1), "frame_length"),
    ],
)
def test_bad_arguments_are_named(layer, message):
    with pytest.raises((ValueError, TypeError), match=message):
        layer()


def test_too_short_for_a_frame_is_an_error():
    with pytest.raises(ValueError, match=r"RMS\(frame_length=2048\) needs at least 2048"):
        torchspec.RMS(center=False)(torch.zeros(1000))


ONSET_CASES = [
    {},
    {"lag": 2, "max_size": 3},
    {"detrend": True},
    {"center": False},
    {"aggregate": "median"},
    {"aggregate": "max", "n_fft": 1024, "hop_length": 256, "n_mels": 64, "fmin": 50.0},
]


@pytest.mark.parametrize("kwargs", ONSET_CASES, ids=str)
def test_onset_strength_equals_librosa_per_item(kwargs):
    """1e-6 of the envelope's peak: librosa builds its mel filterbank in float32 (measured
    1.2e-9 to 1.5e-8 of the peak, float64 input)."""
    y = signals()
    out = torchspec.OnsetStrength(**kwargs).double()(torch.from_numpy(y))
    reference = dict(kwargs)
    if "aggregate" in reference:
        reference["aggregate"] = getattr(np, reference["aggregate"])
    for item in range(y.shape[0]):
        expected = librosa.onset.onset_strength(y=y[item], sr=SR, **reference)
        assert peak_error(out[item], expected) < 1e-6, item


def test_onset_strength_function_on_a_given_spectrogram():
    """``S=`` a dB spectrogram of any kind (here a log-CQT-like random one, an odd row count
    for the median)."""
    db = np.random.default_rng(3).standard_normal((2, 33, 40)) * 10
    ours = TF.onset_strength(torch.from_numpy(db), lag=3, max_size=5, aggregate="median")
    for item in range(2):
        expected = librosa.onset.onset_strength(S=db[item], lag=3, max_size=5, aggregate=np.median)
        assert peak_error(ours[item], expected) < 1e-12


DELTA_CASES = [
    {"width": w, "order": o, "mode": m}
    for w, o in [(9, 1), (3, 1), (5, 2), (11, 3)]
    for m in ("interp", "nearest", "mirror", "constant", "wrap")
]


@pytest.mark.parametrize("kwargs", DELTA_CASES, ids=str)
def test_delta_equals_librosa(kwargs):
    """Savitzky-Golay weights and edge fits from float64 pseudo-inverses, against scipy's
    least squares: measured 4e-15 of the peak, compared at 1e-10."""
    x = np.random.default_rng(4).standard_normal((2, 5, 30)).cumsum(axis=-1)
    ours = torchspec.Delta(**kwargs).double()(torch.from_numpy(x))
    expected = librosa.feature.delta(x, **kwargs)
    assert peak_error(ours, expected) < 1e-10


def test_delta_along_another_axis_and_too_short_input():
    x = np.random.default_rng(6).standard_normal((4, 12, 3))
    ours = torchspec.Delta(width=5, axis=-2).double()(torch.from_numpy(x))
    assert peak_error(ours, librosa.feature.delta(x, width=5, axis=-2)) < 1e-10
    with pytest.raises(ValueError, match=r"Delta\(width=9, mode='interp'\) needs at least 9"):
        torchspec.Delta()(torch.zeros(3, 8))
    with pytest.raises(ValueError, match="odd"):
        torchspec.Delta(width=4)


def test_delta_is_differentiable():
    x = torch.randn(2, 3, 12, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(torchspec.Delta(width=5, order=2).double(), (x,))


STACK_CASES = [
    {"n_steps": n, "delay": d, "mode": m}
    for n, d in [(1, 1), (2, 1), (3, 2), (4, -1), (3, -3)]
    for m in ("constant", "edge", "reflect", "wrap")
]


@pytest.mark.parametrize("kwargs", STACK_CASES, ids=str)
def test_stack_memory_equals_librosa_exactly(kwargs):
    x = np.random.default_rng(7).standard_normal((2, 4, 15))
    ours = torchspec.StackMemory(**kwargs)(torch.from_numpy(x))
    expected = librosa.feature.stack_memory(x, **kwargs)
    assert ours.shape == expected.shape
    assert np.array_equal(ours.numpy(), expected)


def test_stack_memory_refuses_what_it_cannot_pad():
    with pytest.raises(ValueError, match="delay"):
        torchspec.StackMemory(delay=0)
    with pytest.raises(ValueError, match=r"needs at least 7 frames"):
        torchspec.StackMemory(n_steps=4, delay=2, mode="reflect")(torch.zeros(3, 6))


def detuned(cents: float, seconds: float = 1.4) -> np.ndarray:
    """A-major chord (A4, C#5, E5) with harmonics, detuned by ``cents``, and a little noise."""
    t = np.arange(int(seconds * SR)) / SR
    ratio = 2 ** (cents / 1200)
    chord = sum(
        0.2 / k * np.sin(2 * np.pi * f * k * ratio * t)
        for f in (440.0, 554.37, 659.26)
        for k in (1, 2, 3)
    )
    return chord + 0.005 * np.random.default_rng(int(cents) + 50).standard_normal(t.size)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"tuning": 0.0}, {"n_fft": 4096, "hop_length": 1024}, {"norm": 2.0}, {"norm": None}],
    ids=str,
)
def test_chroma_stft_equals_librosa_per_item(kwargs):
    """A batch of clips tuned differently (-30, 0, +20 cents): each item's tuning is
    estimated from that item alone, as librosa does. 1e-6 of the peak: librosa's chroma
    filterbank is float32 (measured up to 3.6e-8); the tuning estimates are equal."""
    y = np.stack([detuned(-30), detuned(0), detuned(20)])
    out = torchspec.ChromaSTFT(**kwargs).double()(torch.from_numpy(y))
    for item in range(3):
        expected = librosa.feature.chroma_stft(y=y[item], sr=SR, **kwargs)
        assert peak_error(out[item], expected) < 1e-6, item


def test_tuning_estimates_equal_librosas():
    y = np.stack([detuned(-30), detuned(0), detuned(20), detuned(45)])
    power = torch.from_numpy(np.abs(librosa.stft(y)) ** 2)
    ours = TF.estimate_tuning(power, SR, 2048)
    for item in range(4):
        expected = librosa.estimate_tuning(S=power[item].numpy(), sr=SR)
        assert float(ours[item]) == pytest.approx(expected, abs=1e-12)
    assert -0.35 < float(ours[0]) < -0.25 and 0.15 < float(ours[2]) < 0.25  # the detuning


def test_chroma_filterbank_equals_librosa():
    for sr, n_fft, tuning, n_chroma in [(22050, 2048, 0.0, 12), (16000, 1024, -0.3, 24)]:
        ours = TF.chroma_filterbank(sr, n_fft, torch.tensor(tuning, dtype=torch.float64), n_chroma)
        expected = librosa.filters.chroma(
            sr=sr, n_fft=n_fft, tuning=tuning, n_chroma=n_chroma, dtype=np.float64
        )
        assert peak_error(ours, expected) < 1e-12


def test_chroma_of_silence_is_zero():
    out = torchspec.ChromaSTFT().double()(torch.zeros(2, 8000, dtype=torch.float64))
    assert torch.equal(out, torch.zeros(2, 12, 16, dtype=torch.float64))


HPSS_CASES = [
    {},
    {"margin": 3.0},
    {"margin": (1.0, 5.0), "kernel_size": (17, 30)},
    {"power": math.inf},
    {"mask": True, "kernel_size": 8, "power": 1.0},
]


@pytest.mark.parametrize("kwargs", HPSS_CASES, ids=str)
@pytest.mark.parametrize("kind", ["complex", "magnitude"])
def test_hpss_equals_librosa_per_item(kwargs, kind):
    """Median filters select input values and the masks are the same arithmetic: measured
    5e-16 of the peak, compared at 1e-12."""
    stft = librosa.stft(signals(), n_fft=1024, hop_length=256)
    S = stft if kind == "complex" else np.abs(stft)  # noqa: N806 - librosa's name
    out = torchspec.HPSS(**kwargs)(torch.from_numpy(S))
    assert out.shape == (3, 2, *S.shape[-2:])
    for item in range(3):
        harmonic, percussive = librosa.decompose.hpss(S[item], **kwargs)
        assert peak_error(out[item, 0], harmonic) < 1e-12
        assert peak_error(out[item, 1], percussive) < 1e-12


def test_hpss_separates_a_tone_from_clicks():
    """Hard masks on a 440 Hz tone plus a click every 0.1 s: the tone's bin is harmonic in
    nearly every frame, the clicks' broadband energy (above 4 kHz, where the tone has none)
    percussive in the click frames."""
    t = np.arange(SR) / SR
    clicks = np.zeros(SR)
    clicks[1000::2205] = 1.0
    y = torch.from_numpy(0.5 * np.sin(2 * np.pi * 440 * t) + clicks)
    spec = torchspec.Spectrogram(1024, hop_length=256, power=1.0).double()
    masks = torchspec.HPSS(power=math.inf, mask=True)(spec(y))  # (2, 513, frames)
    tone_bin = round(440 * 1024 / SR)
    assert masks[0, tone_bin].mean() > 0.95
    click_frames = [round((1000 + 2205 * k) / 256) for k in range(10)]
    high = masks[1, round(4000 * 1024 / SR) :, click_frames]
    assert high.mean() > 0.9


def test_hpss_refuses_negative_magnitudes_and_small_margins():
    with pytest.raises(ValueError, match="non-negative"):
        torchspec.HPSS()(-torch.rand(10, 12))
    with pytest.raises(ValueError, match="margin"):
        torchspec.HPSS(margin=0.5)


TEMPO_CASES = [
    {},
    {"win_length": 100, "hop_length": 256},
    {"center": False, "win_length": 50},
]


def rhythm() -> np.ndarray:
    """Two clips of 3 s: clicks at 120 and at 95 BPM over quiet noise."""
    rng = np.random.default_rng(8)
    clips = 0.01 * rng.standard_normal((2, 3 * SR))
    for item, bpm in enumerate((120, 95)):
        for start in np.arange(0, 3 * SR - 200, int(SR * 60 / bpm)):
            clips[item, start : start + 200] += np.hanning(200)
    return clips


@pytest.mark.parametrize("kwargs", [*TEMPO_CASES, {"norm": None, "win_length": 64}], ids=str)
def test_tempogram_equals_librosa_per_item(kwargs):
    """1e-6 of the peak: the onset envelope carries librosa's float32 mel filterbank
    (measured 3.4e-8)."""
    y = rhythm()
    out = torchspec.Tempogram(**kwargs).double()(torch.from_numpy(y))
    for item in range(2):
        expected = librosa.feature.tempogram(y=y[item], **kwargs)
        assert peak_error(out[item], expected) < 1e-6


@pytest.mark.parametrize("kwargs", TEMPO_CASES, ids=str)
def test_fourier_tempogram_equals_librosa_per_item(kwargs):
    y = rhythm()
    out = torchspec.FourierTempogram(**kwargs).double()(torch.from_numpy(y))
    for item in range(2):
        expected = librosa.feature.fourier_tempogram(y=y[item], **kwargs)
        assert peak_error(out[item], expected) < 1e-6


def test_tempogram_peaks_at_the_beat_period():
    """The autocorrelation of a 120 BPM click train peaks at a lag of 0.5 s (21.5 frames at
    hop 512), the 95 BPM one at 0.63 s (27.2 frames), away from lag 0."""
    out = torchspec.Tempogram().double()(torch.from_numpy(rhythm()))
    mean = out[..., 20:-20].mean(dim=-1)  # (2, 384) lags, away from the edges
    for item, period in enumerate((0.5, 60 / 95)):
        lag = int(mean[item, 10:40].argmax()) + 10
        assert abs(lag - period * SR / 512) <= 1.0


@pytest.mark.parametrize("order", [0, 2, 3])
def test_poly_features_equal_librosa_per_coefficient(order):
    """``librosa.feature.poly_features(y=..., order=)``: each coefficient row against its own
    peak (the rows' scales differ by ``sr ** order``), 1e-6 in float64 (measured 4e-13:
    a least-squares fit of up to 1025 points, numpy's column scaling on both sides)."""
    y = signals()
    out = torchspec.PolyFeatures(order=order, n_fft=1024, dtype=torch.float64)(torch.from_numpy(y))
    for item in range(y.shape[0]):
        expected = librosa.feature.poly_features(y=y[item], sr=SR, order=order, n_fft=1024)
        for row in range(order + 1):
            assert peak_error(out[item, row], expected[row]) < 1e-6, (item, row)


def test_contrast_poly_and_multi_onset_functions_on_a_given_spectrogram():
    """The ``S=`` forms of ``spectral_contrast``, ``poly_features`` and
    ``onset_strength_multi`` (channels unsorted, repeated and past the last row, as librosa
    accepts them) on one batch."""
    magnitude = stft_magnitude(signals(), n_fft=1024)
    tensor = torch.from_numpy(magnitude)
    freq = torch.from_numpy(librosa.fft_frequencies(sr=SR, n_fft=1024))
    contrast = TF.spectral_contrast(tensor, freq, SR, fmin=150.0, n_bands=5, quantile=0.05)
    poly = TF.poly_features(tensor, freq, order=1)
    db = librosa.power_to_db(magnitude**2)
    channels = [40, 0, 10, 10, 600]
    onset = TF.onset_strength_multi(torch.from_numpy(db), lag=2, max_size=3, channels=channels)
    for item in range(magnitude.shape[0]):
        expected = librosa.feature.spectral_contrast(
            S=magnitude[item], sr=SR, n_fft=1024, fmin=150.0, n_bands=5, quantile=0.05
        )
        assert peak_error(contrast[item], expected) < 1e-6
        expected = librosa.feature.poly_features(S=magnitude[item], sr=SR, n_fft=1024)
        for row in range(2):
            assert peak_error(poly[item, row], expected[row]) < 1e-6
        expected = librosa.onset.onset_strength_multi(
            S=db[item], lag=2, max_size=3, channels=channels
        )
        assert peak_error(onset[item], expected) < 1e-6


@pytest.mark.parametrize("aggregate", ["mean", "median", "max"])
def test_onset_strength_multi_equals_librosa_per_item(aggregate):
    """``librosa.onset.onset_strength_multi(y=..., channels=[0, 16, 64, 128])``: bound and
    reason as ``onset_strength``'s."""
    y = signals()
    channels = [0, 16, 64, 128]
    layer = torchspec.OnsetStrengthMulti(channels=channels, aggregate=aggregate).double()
    out = layer(torch.from_numpy(y))
    assert out.shape[-2] == 3
    numpy_aggregate = {"mean": np.mean, "median": np.median, "max": np.max}[aggregate]
    for item in range(y.shape[0]):
        expected = librosa.onset.onset_strength_multi(
            y=y[item], sr=SR, channels=channels, aggregate=numpy_aggregate
        )
        assert peak_error(out[item], expected) < 1e-6


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: torchspec.SpectralContrast(fmin=2000.0, n_bands=6), "Nyquist"),
        (lambda: torchspec.SpectralContrast(n_fft=64), "raise n_fft"),
        (lambda: torchspec.SpectralContrast(quantile=1.0), "quantile"),
        (lambda: torchspec.PolyFeatures(order=-1), "order"),
        (lambda: torchspec.OnsetStrengthMulti(channels=[5]), "two distinct"),
        (lambda: torchspec.OnsetStrengthMulti(channels=[-1, 4]), "channels"),
    ],
)
def test_contrast_poly_and_channel_arguments_are_checked(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_contrast_and_poly_features_are_differentiable():
    """gradcheck on noise (away from the kinks of the sort's ties and the 80 dB floor)."""
    torch.manual_seed(0)
    y = torch.randn(2, 1200, dtype=torch.float64, requires_grad=True)
    for layer in (
        torchspec.SpectralContrast(n_fft=512, hop_length=256, fmin=300.0, n_bands=3),
        torchspec.SpectralContrast(n_fft=512, hop_length=256, fmin=300.0, n_bands=3, linear=True),
        torchspec.PolyFeatures(n_fft=256, hop_length=256, order=2),
    ):
        assert torch.autograd.gradcheck(layer.double(), (y,), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize(("fmin", "fmax"), [(150.0, 4000.0), (0.0, 11025.0), (500.0, 20000.0)])
def test_piptrack_equals_librosa(fmin, fmax):
    """``librosa.piptrack(S=...)`` in float64: peaks, interpolated pitches and magnitudes
    (eager mode reads only the rows in ``[fmin, fmax)`` and their neighbours; a band that
    reaches the first or last row takes every row)."""
    magnitude = stft_magnitude(signals())
    pitches, magnitudes = TF.piptrack(torch.from_numpy(magnitude), SR, 2048, fmin, fmax)
    for item in range(magnitude.shape[0]):
        expected = librosa.piptrack(S=magnitude[item], sr=SR, fmin=fmin, fmax=fmax)
        np.testing.assert_array_equal(pitches[item].numpy() > 0, expected[0] > 0)
        assert peak_error(pitches[item], expected[0]) < 1e-12
        assert peak_error(magnitudes[item], expected[1]) < 1e-12
