"""Drop-in parity with torchaudio on every CI run: torchspec against outputs that real
torchaudio 2.11 recorded (tests/data/make_torchaudio_reference.py, cases in
tests/torchaudio_cases.py), for all nine class names the two libraries share, defaults
included. (tests/test_torchaudio.py runs the same cases live where torchaudio imports;
torchaudio's state-dict keys are checked by tests/test_base.py.)

Tolerances: 1e-6 relative (Frobenius) for the STFT pair (float32 rounding of the same sums),
1e-5 for MelScale (torchaudio computes its filterbank in float32, torchspec rounds the float64
one: measured 1.2e-6 here, 5.6e-6 on white noise), 1e-5 for the heads, 1e-4 dB for
AmplitudeToDB. Griffin-Lim: the same iterations agree to 5e-13 in float64 (measured with
both functional forms), but in float32 torchaudio's window (``torch.hann_window`` computed in
float32, up to an ulp from the correctly rounded values torchspec holds) starts a difference
that 32 momentum iterations grow to 2e-3 of the waveform; so the test asks for the same
spectral convergence (1e-3 relative) and the waveform within 1e-2. InverseMelScale differs by
design (torchaudio: unconstrained least squares, then clipped; torchspec: non-negative least
squares): its mel residual must be no larger than torchaudio's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import rel_err
from torchaudio_cases import build

import torchspec

DATA = Path(__file__).parent / "data"
META = json.loads((DATA / "torchaudio_reference.json").read_text())
ARRAYS = np.load(DATA / "torchaudio_reference.npz")
TOLERANCE = {
    "Spectrogram": 1e-6,
    "InverseSpectrogram": 1e-6,
    "MelScale": 1e-5,
    "MelSpectrogram": 1e-5,
    "MFCC": 1e-5,
    "LFCC": 1e-5,
}


def test_every_shared_name_is_covered_with_its_defaults():
    names = {case["class"] for case in META["cases"]}
    assert names == {*TOLERANCE, "AmplitudeToDB", "GriffinLim", "InverseMelScale"}
    defaults = {
        case["class"]
        for case in META["cases"]
        if not {k: v for k, v in case["kwargs"].items() if v is not None and k != "rand_init"}
    }
    assert defaults >= {"Spectrogram", "InverseSpectrogram", "MelScale", "MelSpectrogram"}
    assert defaults >= {"MFCC", "LFCC", "GriffinLim"} and META["torchaudio"].startswith("2.11")


@pytest.mark.parametrize(
    "case",
    [c for c in META["cases"] if c["class"] in {*TOLERANCE, "AmplitudeToDB"}],
    ids=lambda c: f"{c['class']}-{json.dumps(c['kwargs'], sort_keys=True)}",
)
def test_equals_torchaudio(case):
    x = torch.from_numpy(ARRAYS[case["input"]])
    expected = torch.from_numpy(ARRAYS[f"{case['key']}_out"])
    kwargs = dict(case["kwargs"])
    if case["class"] == "InverseSpectrogram":
        length = kwargs.pop("length")
        actual = build(torchspec, "InverseSpectrogram", kwargs)(x, length)
    else:
        actual = build(torchspec, case["class"], kwargs)(x)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    if case["class"] == "AmplitudeToDB":
        assert float((actual - expected).abs().max()) <= 1e-4
    else:
        assert rel_err(actual, expected) <= TOLERANCE[case["class"]]


@pytest.mark.parametrize(
    "case", [c for c in META["cases"] if c["class"] == "GriffinLim"], ids=lambda c: c["key"]
)
def test_griffinlim_converges_as_torchaudio(case):
    specgram = torch.from_numpy(ARRAYS[case["input"]])
    theirs = torch.from_numpy(ARRAYS[f"{case['key']}_out"])
    kwargs = case["kwargs"]
    ours = torchspec.GriffinLim(**kwargs)(specgram)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    power = kwargs.get("power", 2.0)
    analysis = torchspec.Spectrogram(
        kwargs.get("n_fft", 400), hop_length=kwargs.get("hop_length"), power=1.0
    )
    target = specgram.double() ** (1 / power)

    def convergence(y: torch.Tensor) -> float:
        return float((analysis(y).double() - target).norm() / target.norm())

    assert convergence(ours) <= convergence(theirs) * (1 + 1e-3)
    assert rel_err(ours, theirs) <= 1e-2


@pytest.mark.parametrize(
    "case", [c for c in META["cases"] if c["class"] == "InverseMelScale"], ids=lambda c: c["key"]
)
def test_inverse_mel_scale_fits_no_worse_than_torchaudio(case):
    melspec = torch.from_numpy(ARRAYS[case["input"]])
    theirs = torch.from_numpy(ARRAYS[f"{case['key']}_out"])
    layer = torchspec.InverseMelScale(**case["kwargs"])
    ours = layer(melspec)
    assert ours.shape == theirs.shape and torch.isfinite(ours).all() and (ours >= 0).all()

    def residual(linear: torch.Tensor) -> float:
        return float((layer.fb.t() @ linear - melspec).norm() / melspec.norm())

    assert residual(ours) <= residual(theirs) + 1e-6
