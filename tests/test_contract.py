"""The contract every public layer keeps, over a registry built from ``torchspec.__all__``.

A layer added to ``__all__`` without a registry entry fails ``test_registry_covers_every_layer``.
Each entry gives a default and a non-default configuration (trainable, log-frequency, complex,
other route where the layer has one), small enough for ``gradcheck``, and an input maker.
Checks: no leading dims and any leading dims, an item alone equals the same item inside a batch,
dtype preserved (float32 / float64), ``.to()`` round trip, state dict round trip (also after a
dtype change: the checkpoint's values survive), ``repr``, deterministic output, gradcheck in
float64 where differentiable. Tolerances: float32 results of the same computation on differently
shaped batches differ by summation order only, 1e-5 relative; float64 checks are 1e-10.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch
from torch import nn

import torchspec

SR = 8000


def wave(*lead: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(*lead, 256, dtype=dtype)


def positive(rows: int) -> Callable[..., torch.Tensor]:
    def make(*lead: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.rand(*lead, rows, 9, dtype=dtype) + 0.1

    return make


def real(rows: int) -> Callable[..., torch.Tensor]:
    def make(*lead: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.randn(*lead, rows, 9, dtype=dtype)

    return make


def complex_spec(rows: int) -> Callable[..., torch.Tensor]:
    def make(*lead: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        complex_dtype = torch.complex128 if dtype == torch.float64 else torch.complex64
        return torch.randn(*lead, rows, 9, dtype=complex_dtype)

    return make


@dataclass(frozen=True)
class Case:
    make: Callable[[], nn.Module]
    input: Callable[..., torch.Tensor]
    differentiable: bool = True


STFT = {"n_fft": 32, "hop_length": 8}
MEL = {"sample_rate": SR, "n_fft": 32, "hop_length": 8, "n_mels": 6}
CHROMA_CQT = {"sr": SR, "hop_length": 16, "fmin": 500.0, "n_octaves": 2, "bins_per_octave": 12}
CQT_SMALL = {"sample_rate": SR, "hop_length": 16, "f_min": 500.0, "n_bins": 12}

REGISTRY: dict[str, list[Case]] = {
    "Spectrogram": [
        Case(lambda: torchspec.Spectrogram(**STFT), wave),
        Case(lambda: torchspec.Spectrogram(**STFT, power=None, route="conv"), wave),
        Case(lambda: torchspec.Spectrogram(**STFT, trainable=True), wave),
        Case(
            lambda: torchspec.Spectrogram(
                **STFT, freq_scale="log", f_min=300.0, n_bins=10, sample_rate=SR
            ),
            wave,
        ),
    ],
    "InverseSpectrogram": [
        Case(lambda: torchspec.InverseSpectrogram(**STFT), complex_spec(17)),
        Case(lambda: torchspec.InverseSpectrogram(**STFT, trainable=True), complex_spec(17)),
        Case(lambda: torchspec.InverseSpectrogram(**STFT, route="conv"), complex_spec(17)),
    ],
    "MelScale": [
        Case(lambda: torchspec.MelScale(6, SR, n_stft=17), positive(17)),
        Case(lambda: torchspec.MelScale(6, SR, n_stft=17, trainable=True), positive(17)),
    ],
    "MelSpectrogram": [
        Case(lambda: torchspec.MelSpectrogram(**MEL), wave),
        Case(lambda: torchspec.MelSpectrogram(**MEL, trainable_mel=True), wave),
    ],
    "InverseMelScale": [
        Case(lambda: torchspec.InverseMelScale(17, 6, SR, n_iter=20), positive(6), False),
        Case(
            lambda: torchspec.InverseMelScale(17, 6, SR, norm="slaney", n_iter=5),
            positive(6),
            False,
        ),
    ],
    "MFCC": [
        Case(lambda: torchspec.MFCC(SR, 4, melkwargs={**STFT, "n_mels": 6}), wave),
        Case(
            lambda: torchspec.MFCC(
                SR, 4, log_mels=True, lifter=3.0, melkwargs={"n_fft": 32, "n_mels": 6}
            ),
            wave,
        ),
    ],
    "LFCC": [
        Case(lambda: torchspec.LFCC(SR, 6, n_lfcc=4, speckwargs=STFT), wave),
        Case(
            lambda: torchspec.LFCC(SR, 6, n_lfcc=4, speckwargs=STFT, trainable_filters=True),
            wave,
        ),
    ],
    "InverseMFCC": [
        Case(lambda: torchspec.InverseMFCC(4, 6), real(4)),
        Case(lambda: torchspec.InverseMFCC(4, 6, lifter=3.0, log_mels=True), real(4)),
    ],
    "AmplitudeToDB": [
        Case(lambda: torchspec.AmplitudeToDB(), positive(5)),
        Case(lambda: torchspec.AmplitudeToDB("magnitude", 40.0, ref="max"), positive(5)),
    ],
    "GriffinLim": [
        Case(lambda: torchspec.GriffinLim(32, 3, hop_length=8, rand_init=False), positive(17)),
        Case(
            lambda: torchspec.GriffinLim(
                32, 2, hop_length=8, power=1.0, momentum=0.5, length=68, rand_init=False
            ),
            positive(17),
        ),
    ],
    "CQT": [
        Case(lambda: torchspec.CQT(**CQT_SMALL), wave),
        Case(lambda: torchspec.CQT(**CQT_SMALL, route="direct", power=2.0), wave),
        Case(lambda: torchspec.CQT(**CQT_SMALL, trainable=True), wave),
    ],
    "VQT": [
        Case(lambda: torchspec.VQT(**CQT_SMALL, gamma=20.0), wave),
        Case(lambda: torchspec.VQT(**CQT_SMALL, route="direct"), wave),
    ],
    "WhisperLogMel": [
        Case(lambda: torchspec.presets.WhisperLogMel(), wave),
        Case(lambda: torchspec.presets.WhisperLogMel(128), wave),
    ],
    "KaldiFbank": [
        Case(lambda: torchspec.presets.KaldiFbank(sample_frequency=SR, frame_length=8.0), wave),
        Case(
            lambda: torchspec.presets.KaldiFbank(
                sample_frequency=SR, frame_length=8.0, snip_edges=False, use_energy=True
            ),
            wave,
        ),
    ],
    "KaldiMFCC": [
        Case(lambda: torchspec.presets.KaldiMFCC(sample_frequency=SR, frame_length=8.0), wave),
        Case(
            lambda: torchspec.presets.KaldiMFCC(
                sample_frequency=SR, frame_length=8.0, htk_compat=True, window_type="hamming"
            ),
            wave,
        ),
    ],
    "ASTFbank": [  # 4000 Hz: 4 frames of 100 samples, padded to 6 or cut to 2
        Case(
            lambda: torchspec.presets.ASTFbank(sampling_rate=4000, num_mel_bins=8, max_length=6),
            wave,
        ),
        Case(
            lambda: torchspec.presets.ASTFbank(
                sampling_rate=4000, num_mel_bins=6, max_length=2, do_normalize=False
            ),
            wave,
        ),
    ],
    "LibrosaMelSpectrogram": [
        Case(lambda: torchspec.presets.LibrosaMelSpectrogram(sr=SR, n_fft=64, n_mels=8), wave),
    ],
    "LibrosaMFCC": [
        Case(lambda: torchspec.presets.LibrosaMFCC(sr=SR, n_fft=64, n_mels=8, n_mfcc=5), wave),
    ],
    "PCEN": [
        Case(lambda: torchspec.PCEN(sample_rate=SR, hop_length=64), positive(5)),
        Case(
            lambda: torchspec.PCEN(n_channels=5, trainable=True, max_size=3, bias=1.0),
            positive(5),
        ),
    ],
    "SincFilterbank": [
        Case(lambda: torchspec.SincFilterbank(n_filters=6, kernel_size=31, sample_rate=SR), wave),
        Case(
            lambda: torchspec.SincFilterbank(
                n_filters=4, kernel_size=33, sample_rate=SR, hop_length=16, trainable=False
            ),
            wave,
        ),
    ],
    "GaborFilterbank": [
        Case(
            lambda: torchspec.GaborFilterbank(
                n_filters=6, kernel_size=31, sample_rate=SR, f_max=3900.0, hop_length=8
            ),
            wave,
        ),
        Case(
            lambda: torchspec.GaborFilterbank(
                n_filters=4, kernel_size=33, sample_rate=SR, f_max=3900.0, power=None
            ),
            wave,
        ),
    ],
    "GaussianLowpass": [
        Case(lambda: torchspec.GaussianLowpass(n_channels=5, kernel_size=9, hop_length=4), real(5)),
    ],
    "LEAF": [
        Case(
            lambda: torchspec.LEAF(
                n_filters=6, sample_rate=SR, window_ms=4.0, stride_ms=2.0, f_max=3900.0
            ),
            wave,
        ),
    ],
    "InverseCQT": [
        Case(lambda: torchspec.InverseCQT(SR, 16, 500.0, 12), complex_spec(12)),
        Case(lambda: torchspec.InverseCQT(SR, 16, 500.0, 24, 24), complex_spec(24)),
    ],
    # torchaudio's other transforms; the masks share one draw across the batch here (an item
    # alone must equal the same item in a batch), per-item draws are tested in test_augment
    "FrequencyMasking": [Case(lambda: torchspec.FrequencyMasking(3), real(6))],
    "TimeMasking": [Case(lambda: torchspec.TimeMasking(4, p=0.5), real(6))],
    "SpecAugment": [
        Case(lambda: torchspec.SpecAugment(1, 3, 2, 2, iid_masks=False, zero_masking=True), real(6))
    ],
    "TimeStretch": [
        Case(lambda: torchspec.TimeStretch(n_freq=17, fixed_rate=1.3), complex_spec(17)),
        Case(lambda: torchspec.TimeStretch(4, n_freq=17, fixed_rate=0.7), complex_spec(17)),
    ],
    "PitchShift": [Case(lambda: torchspec.PitchShift(1000, 3, n_fft=32), wave)],  # 1000 phases
    "ComputeDeltas": [
        Case(lambda: torchspec.ComputeDeltas(), real(6)),
        Case(lambda: torchspec.ComputeDeltas(win_length=7, mode="reflect"), real(6)),
    ],
    "SlidingWindowCmn": [
        Case(lambda: torchspec.SlidingWindowCmn(cmn_window=4, min_cmn_window=2), real(12)),
        Case(
            lambda: torchspec.SlidingWindowCmn(cmn_window=5, center=True, norm_vars=True), real(12)
        ),
    ],
    "SpectralCentroid": [Case(lambda: torchspec.SpectralCentroid(SR, n_fft=32), wave)],
    "Resample": [
        Case(lambda: torchspec.Resample(SR, 6000), wave),
        Case(lambda: torchspec.Resample(SR, 4000, "sinc_interp_kaiser", 8, 0.9, 6.0), wave),
    ],
    "Preemphasis": [Case(lambda: torchspec.Preemphasis(), wave)],
    "Deemphasis": [Case(lambda: torchspec.Deemphasis(0.9), wave)],
    # librosa's spectral features
    "LibrosaSpectralCentroid": [
        Case(lambda: torchspec.LibrosaSpectralCentroid(sr=SR, n_fft=64, hop_length=16), wave)
    ],
    "SpectralBandwidth": [
        Case(lambda: torchspec.SpectralBandwidth(sr=SR, n_fft=64, hop_length=16), wave),
        Case(lambda: torchspec.SpectralBandwidth(n_fft=32, hop_length=8, p=1.0, norm=False), wave),
    ],
    "SpectralRolloff": [
        Case(
            lambda: torchspec.SpectralRolloff(sr=SR, n_fft=64, hop_length=16),
            wave,
            differentiable=False,
        )
    ],
    "SpectralFlatness": [Case(lambda: torchspec.SpectralFlatness(n_fft=64, hop_length=16), wave)],
    "RMS": [
        Case(lambda: torchspec.RMS(frame_length=64, hop_length=16), wave),
        Case(lambda: torchspec.RMS(frame_length=50, hop_length=20, pad_mode="reflect"), wave),
    ],
    "OnsetStrength": [
        Case(lambda: torchspec.OnsetStrength(sr=SR, n_fft=64, hop_length=16, n_mels=8), wave),
        Case(
            lambda: torchspec.OnsetStrength(
                sr=SR, n_fft=64, hop_length=16, n_mels=8, lag=2, max_size=3, detrend=True
            ),
            wave,
        ),
    ],
    "Delta": [
        Case(lambda: torchspec.Delta(width=5), real(6)),
        Case(lambda: torchspec.Delta(width=3, order=2, mode="nearest"), real(6)),
    ],
    "StackMemory": [
        Case(lambda: torchspec.StackMemory(), real(6)),
        Case(lambda: torchspec.StackMemory(n_steps=3, delay=-2, mode="edge"), real(6)),
    ],
    "ChromaSTFT": [
        Case(lambda: torchspec.ChromaSTFT(sr=SR, n_fft=64, hop_length=16, tuning=0.0), wave),
        Case(
            lambda: torchspec.ChromaSTFT(sr=SR, n_fft=64, hop_length=16),
            wave,
            differentiable=False,  # the tuning estimate is a histogram's argmax
        ),
    ],
    "HPSS": [
        Case(lambda: torchspec.HPSS(kernel_size=5), positive(6)),
        Case(lambda: torchspec.HPSS(kernel_size=(3, 4), margin=2.0, power=1.0), positive(6)),
    ],
    "Tempogram": [
        Case(
            lambda: torchspec.Tempogram(sr=SR, hop_length=16, win_length=8, n_fft=64, n_mels=8),
            wave,
        )
    ],
    "FourierTempogram": [
        Case(
            lambda: torchspec.FourierTempogram(
                sr=SR, hop_length=16, win_length=8, n_fft=64, n_mels=8
            ),
            wave,
        )
    ],
    "ZeroCrossingRate": [
        Case(
            lambda: torchspec.ZeroCrossingRate(frame_length=64, hop_length=16),
            wave,
            differentiable=False,
        )
    ],
    "SpectralContrast": [
        Case(
            lambda: torchspec.SpectralContrast(
                sr=SR, n_fft=64, hop_length=16, fmin=500.0, n_bands=2
            ),
            wave,
        ),
        Case(
            lambda: torchspec.SpectralContrast(
                sr=SR, n_fft=64, hop_length=16, fmin=500.0, n_bands=2, linear=True
            ),
            wave,
        ),
    ],
    "PolyFeatures": [
        Case(lambda: torchspec.PolyFeatures(sr=SR, n_fft=64, hop_length=16, order=2), wave)
    ],
    "OnsetStrengthMulti": [
        Case(
            lambda: torchspec.OnsetStrengthMulti(
                sr=SR, n_fft=64, hop_length=16, n_mels=8, channels=[0, 3, 8]
            ),
            wave,
        )
    ],
    "ChromaCQT": [
        Case(lambda: torchspec.ChromaCQT(**CHROMA_CQT, tuning=0.0), wave),
        Case(
            lambda: torchspec.ChromaCQT(**CHROMA_CQT),
            wave,
            differentiable=False,  # the tuning estimate is a histogram's argmax
        ),
    ],
    "ChromaCENS": [
        Case(
            lambda: torchspec.ChromaCENS(**CHROMA_CQT, tuning=0.0, win_len_smooth=3),
            wave,
            differentiable=False,  # a quantisation
        )
    ],
    "ChromaVQT": [
        Case(
            lambda: torchspec.ChromaVQT(
                intervals="equal", sr=SR, hop_length=16, fmin=500.0, n_octaves=2, gamma=20.0
            ),
            wave,
        )
    ],
    "Tonnetz": [Case(lambda: torchspec.Tonnetz(**CHROMA_CQT, tuning=0.0), wave)],
}

CASES = [
    pytest.param(case, id=f"{name}-{i}")
    for name, cases in REGISTRY.items()
    for i, case in enumerate(cases)
]


def run(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    torch.manual_seed(1)  # GriffinLim's random start
    return layer(x)


def close(actual: torch.Tensor, expected: torch.Tensor, rtol: float) -> None:
    scale = float(expected.detach().abs().max()) if expected.numel() else 1.0
    torch.testing.assert_close(actual, expected, rtol=rtol, atol=rtol * max(scale, 1e-30))


def test_registry_covers_every_layer():
    layers = {
        name
        for module in (torchspec, torchspec.presets)
        for name in module.__all__
        if inspect.isclass(getattr(module, name)) and issubclass(getattr(module, name), nn.Module)
    }
    assert layers == set(REGISTRY)


@pytest.mark.parametrize("case", CASES)
def test_leading_dims_and_items_of_a_batch(case):
    layer = case.make()
    batch = case.input(2, 3)
    out = run(layer, batch)
    assert out.shape[:2] == (2, 3)
    for i, j in [(0, 0), (1, 2)]:
        alone = run(layer, batch[i, j])
        assert out.shape[2:] == alone.shape
        close(out[i, j], alone, 1e-5)
        close(run(layer, batch[i, j][None])[0], alone, 1e-5)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_preserved(case, dtype):
    layer = case.make().to(dtype)
    out = run(layer, case.input(2, dtype=dtype))
    expected = {torch.float32: (torch.float32, torch.complex64)}.get(
        dtype, (torch.float64, torch.complex128)
    )
    assert out.dtype in expected
    assert torch.isfinite(torch.view_as_real(out) if out.is_complex() else out).all()


@pytest.mark.parametrize("case", CASES)
def test_to_round_trip_repr_and_determinism(case):
    layer = case.make()
    x = case.input(2)
    before = run(layer, x)
    close(run(layer, x), before, 0.0)
    layer.double().float()
    close(run(layer, x), before, 1e-6)
    text = repr(layer)
    assert text.startswith(type(layer).__name__ + "(")


def _perturb(layer: nn.Module) -> None:
    """Change every float tensor of the state dict, as training or a user edit would."""
    with torch.no_grad():
        for name, tensor in layer.state_dict(keep_vars=True).items():
            if tensor.dtype.is_floating_point:
                tensor.mul_(0.9).add_(0.01 * torch.rand_like(tensor))
            assert name


@pytest.mark.parametrize("case", CASES)
def test_state_dict_round_trip_survives_dtype_moves(case):
    source = case.make()
    _perturb(source)
    x = case.input(2, dtype=torch.float64)
    target = case.make()
    target.load_state_dict(source.state_dict())
    expected = run(source.double(), x)
    close(run(target.double(), x), expected, 1e-10)
    for name, tensor in target.state_dict().items():
        torch.testing.assert_close(tensor, source.state_dict()[name], rtol=0, atol=0)


@pytest.mark.parametrize("case", [c for c in CASES if c.values[0].differentiable])
def test_gradcheck(case):
    layer = case.make().double()
    x = case.input(2, dtype=torch.float64).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda v: run(layer, v), (x,), eps=1e-6, atol=1e-5)
