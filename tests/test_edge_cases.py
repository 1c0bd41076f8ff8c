"""Odd inputs over the whole layer registry: a defined output or a clear error, never a crash
inside torch or a silent NaN.

- an empty batch ``(0, ...)`` gives an empty output of the shape a batch would have;
- integer, bool and (for real layers) complex tensors are TypeErrors saying what to do;
- a waveform of 0 samples, or shorter than the framing needs, is a ValueError naming the
  minimum; the minimum itself is accepted;
- a NaN in one item stays in that item;
- finite input in float16, bfloat16, float32 and float64 gives finite output (float16 may
  overflow only with a warning);
- a log-frequency spectrogram is refused where a linear one is needed.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from test_contract import CASES, REGISTRY, run

import torchspec
from torchspec import (
    CQT,
    LFCC,
    EmptyFilterWarning,
    GriffinLim,
    InverseSpectrogram,
    MelScale,
    MelSpectrogram,
    Spectrogram,
)

WAVEFORM_LAYERS = [
    pytest.param(case, id=param.id)
    for param in CASES
    for case in param.values
    if case.input.__name__ == "wave"
]


@pytest.fixture(autouse=True)
def _quiet_filters():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyFilterWarning)
        yield


@pytest.mark.parametrize("case", CASES)
def test_empty_batch_gives_empty_output_of_the_batch_shape(case):
    layer = case.make()
    full = run(layer, case.input(2))
    for lead in ((0,), (3, 0)):
        empty = run(layer, case.input(*lead))
        assert empty.shape == (*lead, *full.shape[1:])
        assert empty.dtype == full.dtype


@pytest.mark.parametrize("case", CASES)
def test_integer_and_bool_tensors_are_type_errors(case):
    layer = case.make()
    x = case.input(2)
    for dtype in (torch.int16, torch.int64, torch.bool):
        bad = x.real.to(dtype) if x.is_complex() else x.to(dtype)
        with pytest.raises(TypeError, match=r"float|complex"):
            layer(bad)


@pytest.mark.parametrize("case", CASES)
def test_complex_where_real_is_expected_is_a_type_error(case):
    layer = case.make()
    x = case.input(2)
    if isinstance(layer, torchspec.HPSS):  # takes either: a complex STFT keeps its phase
        out = layer(x.to(torch.complex64))
        assert out.is_complex()
        torch.testing.assert_close(out.abs(), layer(x))
        return
    if x.is_complex():
        with pytest.raises(TypeError, match="complex"):
            layer(x.real.contiguous())
    else:
        with pytest.raises(TypeError):
            layer(x.to(torch.complex64))


@pytest.mark.parametrize("case", WAVEFORM_LAYERS)
def test_zero_samples_is_a_value_error(case):
    with pytest.raises(ValueError, match="0 samples"):
        case.make()(torch.zeros(2, 0))


@pytest.mark.parametrize(
    ("make", "minimum"),
    [
        (lambda: Spectrogram(400), 201),  # reflect: more than n_fft // 2
        (lambda: Spectrogram(400, pad=50), 101),
        (lambda: Spectrogram(400, center=False), 400),
        (lambda: Spectrogram(400, center=False, pad=100), 200),
        (lambda: Spectrogram(400, pad_mode="constant"), 1),
        (lambda: MelSpectrogram(n_fft=512, pad_mode="circular"), 257),
        (lambda: torchspec.presets.KaldiFbank(), 400),  # snip_edges: one whole frame
        (lambda: CQT(8000, 16, 500.0, 12, pad_mode="reflect"), None),  # more than reach
    ],
)
def test_too_short_names_the_minimum_and_the_minimum_works(make, minimum):
    layer = make()
    if minimum is None:
        minimum = layer.reach + 1
    with pytest.raises(ValueError, match=f"at least {minimum} sample|shorter than one frame"):
        layer(torch.randn(2, minimum - 1)) if minimum > 1 else layer(torch.randn(2, 0))
    out = layer(torch.randn(2, minimum))
    assert torch.isfinite(out).all()


def test_cqt_reach_covers_the_longest_wavelet():
    """Reflect padding mirrors ``reach`` samples: half the longest wavelet (librosa's length
    of the 500 Hz bin at 8 kHz, 12 bins per octave) or more."""
    import librosa

    lengths, _ = librosa.filters.wavelet_lengths(
        freqs=librosa.cqt_frequencies(12, fmin=500.0), sr=8000
    )
    assert CQT(8000, 16, 500.0, 12).reach >= math.ceil(lengths.max() / 2)


def test_kaldi_without_snip_edges_defines_short_inputs():
    """``snip_edges=False``: ``(time + shift // 2) // shift`` frames, none for under 80
    samples at 16 kHz (kaldi-native-fbank's count, compared in test_presets)."""
    layer = torchspec.presets.KaldiFbank(snip_edges=False)
    assert layer(torch.randn(2, 79)).shape == (2, 0, 23)
    assert layer(torch.randn(2, 80)).shape == (2, 1, 23)


@pytest.mark.parametrize("case", CASES)
def test_nan_stays_in_its_item(case):
    layer = case.make()
    x = case.input(2, dtype=torch.float64)
    layer = layer.double()
    clean = run(layer, x[1:])
    x = x.clone()
    x[0] = math.nan
    out = run(layer, x)
    assert not torch.isfinite(out[0]).all()
    torch.testing.assert_close(out[1:], clean, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
@pytest.mark.parametrize("case", CASES)
def test_finite_input_gives_finite_output(case, dtype):
    layer = case.make()
    x = case.input(2, dtype=torch.float64)
    x = x.to(torch.complex64 if x.is_complex() else dtype)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = run(layer, x)
    overflow = [w for w in caught if "float16" in str(w.message)]
    assert torch.isfinite(out).all() or overflow


def test_float16_overflow_warns_and_is_inf_only_where_float32_exceeds_the_range():
    x = torch.sin(torch.arange(16000) * 0.3)  # full scale: |X|^2 reaches 2.6e5 at n_fft=2048
    layer = Spectrogram(2048)
    reference = layer(x.half().float())  # the same float16-rounded samples, in float32
    with pytest.warns(UserWarning, match="float16"):
        half = layer(x.half())
    assert torch.equal(torch.isinf(half), reference > torch.finfo(torch.float16).max)
    finite = torch.isfinite(half)
    large = finite & (reference > 1e-2)  # float16 keeps 3 digits above its subnormals
    torch.testing.assert_close(half[large].float(), reference[large], rtol=1e-3, atol=0)


def test_float16_heads_accumulate_in_float32():
    """A full-scale sine through heads whose power spectrum overflows float16 (2.6e5 at
    n_fft=2048): float16 in, finite float16 out, equal to the float32 result within float16's
    resolution at the coefficients' size (about 0.1 for MFCCs near 100; 2e-3 for log-mels)."""
    x = torch.sin(torch.arange(16000) * 0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning: nothing overflows inside
        for layer, tol in (
            (torchspec.MFCC(melkwargs={"n_fft": 2048, "n_mels": 64}), 0.1),
            (torchspec.presets.LibrosaMFCC(sr=16000), 0.1),
            (torchspec.presets.WhisperLogMel(), 2e-3),
        ):
            half = layer(x.half())
            assert half.dtype == torch.float16 and torch.isfinite(half).all()
            # against float32 on the same (float16-rounded) samples: the computation's error
            torch.testing.assert_close(half.float(), layer(x.half().float()), rtol=0, atol=tol)


def test_inverse_mfcc_refuses_a_lifter_it_cannot_undo():
    # 1 + (2 / 2) sin(pi * 3 / 2) = 0: coefficient 2 is weighted by zero
    with pytest.raises(ValueError, match="coefficient 2"):
        torchspec.InverseMFCC(13, 40, lifter=2.0)
    torchspec.InverseMFCC(2, 40, lifter=2.0)  # the zero lies beyond n_mfcc


def _log_spectrogram(**kwargs: object) -> torch.Tensor:
    layer = Spectrogram(400, freq_scale="log", sample_rate=16000, **kwargs)  # 201 bins
    return layer(torch.randn(2, 4000))


@pytest.mark.parametrize(
    ("consumer", "power"),
    [
        (lambda: GriffinLim(400, n_iter=2), 2.0),
        (lambda: InverseSpectrogram(400), None),
        (lambda: MelScale(40, 16000, n_stft=201), 2.0),
        (lambda: LFCC(16000, 40, speckwargs={"n_fft": 400}).from_spectrogram, 2.0),
    ],
)
def test_log_frequency_output_is_refused_where_linear_is_needed(consumer, power):
    spec = _log_spectrogram(power=power)
    assert spec.shape[-2] == 201  # the linear STFT's shape: only the mark tells them apart
    with pytest.raises(ValueError, match="freq_scale='log'"):
        consumer()(spec)
    consumer()(spec.clone() if power is None else spec.clone().abs())  # a new tensor: no mark


def test_mel_empty_filter_warning_counts_as_librosa():
    """``librosa.filters.mel(sr=16000, n_fft=400, n_mels=128, htk=True, norm=None)`` has the
    same empty rows as MelScale's defaults (4 of 128)."""
    import librosa

    reference = librosa.filters.mel(sr=16000, n_fft=400, n_mels=128, htk=True, norm=None)
    empty = int((reference.max(axis=1) == 0).sum())
    with pytest.warns(EmptyFilterWarning, match=f"{empty} of 128 mel filters are empty"):
        MelScale()
    with warnings.catch_warnings():
        warnings.simplefilter("error", EmptyFilterWarning)
        MelScale(n_stft=1025)  # n_fft=2048: none empty


def test_linear_filter_warning():
    """Triangles with edges 8000 / 41 Hz apart on 500 Hz bins: count the empty ones in numpy."""
    bins = np.linspace(0, 8000, 17)
    edges = np.linspace(0, 8000, 42)
    lower = (bins[:, None] - edges[None, :-2]) / np.diff(edges)[None, :-1]
    upper = (edges[None, 2:] - bins[:, None]) / np.diff(edges)[None, 1:]
    empty = int((np.maximum(0, np.minimum(lower, upper)).max(axis=0) == 0).sum())
    assert empty > 0
    with pytest.warns(EmptyFilterWarning, match=f"{empty} of 40 linear filters are empty"):
        LFCC(16000, 40, n_lfcc=13, speckwargs={"n_fft": 32})


def test_log_frequency_resolution_warning():
    """Geometric bins from 32.7 Hz to 8 kHz, 201 of them, ratio r: the spacing ``f (r - 1)`` is
    below one STFT bin (40 Hz at n_fft=400) for f < 40 / (r - 1)."""
    hz = np.geomspace(32.70319566257483, 8000, 201)
    crowded = int((np.diff(hz) < 40.0).sum())
    with pytest.warns(EmptyFilterWarning, match=f"{crowded} of 201 log-frequency bins"):
        Spectrogram(400, freq_scale="log", sample_rate=16000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EmptyFilterWarning)
        Spectrogram(4096, freq_scale="log", sample_rate=16000, f_min=200.0, n_bins=64)


def test_registry_is_the_contract_registry():
    assert len(REGISTRY) == 55


def test_cqt_wavelets_too_short_to_resolve_warn():
    """VQT with ``gamma=20000`` Hz: ``L = sr / (f / alpha + gamma)``-short wavelets
    (librosa.filters.wavelet_lengths) of under 2 samples, which resolve nothing."""
    import librosa

    freqs = librosa.cqt_frequencies(48, fmin=32.70)
    lengths, _ = librosa.filters.wavelet_lengths(freqs=freqs, sr=22050, gamma=20000.0)
    short = int((lengths < 2).sum())
    assert short > 0
    with pytest.warns(EmptyFilterWarning, match=f"{short} of 48 bins have wavelets shorter"):
        torchspec.VQT(f_min=32.70, n_bins=48, gamma=20000.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EmptyFilterWarning)
        CQT()


def test_last_fuzz_findings_are_clear_errors():
    """What the fuzz over every layer still found: the conv route's n_fft x n_fft kernels at
    n_fft 65536 (34 GB, the allocator's error), a 0-frame spectrogram into GriffinLim (a
    reshape error), LFCC's dtype given as a string and LFCC over a two-sided or log-frequency
    STFT (accepted, then failing or computing nonsense)."""
    import torchspec

    with pytest.raises(ValueError, match=r"n_fft=65536 and 32769 bins would take 32\.0 GiB"):
        torchspec.Spectrogram(n_fft=65536, freq_scale="log", sample_rate=16000)
    assert torchspec.InverseSpectrogram(n_fft=65536).kernels is None  # the FFT route: none
    with pytest.raises(ValueError, match=r"would take 32\.0 GiB"):
        torchspec.InverseSpectrogram(n_fft=65536, route="conv")
    with pytest.raises(ValueError, match="at least one frame; got shape"):
        torchspec.GriffinLim(400)(torch.rand(2, 201, 0))
    with pytest.raises(TypeError, match=r"dtype must be a torch\.dtype"):
        torchspec.LFCC(dtype="float32")
    for speckwargs in ({"onesided": False}, {"freq_scale": "log", "sample_rate": 16000}):
        with pytest.raises(ValueError, match="onesided linear-frequency spectrogram"):
            torchspec.LFCC(speckwargs=speckwargs)


def test_inverse_mel_scale_float16_overflow_warns():
    """A float16 mel spectrogram whose linear solution passes 65504: inf with the UserWarning
    every layer gives (it was silent)."""
    layer = torchspec.InverseMelScale(201, 40, 16000)
    mel = (torch.rand(40, 10) * 60000).half()
    with pytest.warns(UserWarning, match="largest number \\(65504\\) became inf"):
        out = layer(mel)
    assert out.dtype == torch.float16
