"""Every constructor argument of every public layer: a wrong type is a TypeError naming the
argument, a non-finite or out-of-range value a ValueError naming it.

The arguments and their types come from the constructors' signatures (annotations), so a new
argument is covered as soon as it is added. ``**kwargs`` that forward to another signature
(KaldiMFCC's Kaldi options, the librosa presets' librosa options) are read from it.
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import pytest
import torch
from helpers import REQUIRED_ARGUMENTS, public_layers

import torchspec
from torchspec import presets
from torchspec.features import FeatureSpec
from torchspec.presets.librosa import librosa_mel_kwargs

# Signatures that a layer's **kwargs forward to.
FORWARDED = {
    "KaldiMFCC": presets.KaldiFbank.__init__,
    "LibrosaMelSpectrogram": librosa_mel_kwargs,
    "LibrosaMFCC": librosa_mel_kwargs,
}
# float arguments for which infinity is a valid choice (the L-infinity norm, hard masks).
INF_ALLOWED = {"norm", "HPSS.power"}


layers = public_layers


def arguments(name: str, cls: type) -> list[tuple[str, str]]:
    """(argument, annotation) of every typed constructor argument."""
    out = []
    signatures = [inspect.signature(cls.__init__)]
    if name in FORWARDED:
        signatures.append(inspect.signature(FORWARDED[name]))
    for signature in signatures:
        for parameter in signature.parameters.values():
            if parameter.name == "self" or parameter.kind is parameter.VAR_KEYWORD:
                continue
            out.append((parameter.name, annotation_text(parameter.annotation)))
    return out


def annotation_text(annotation: object) -> str:
    """An annotation as source text (``"int"``, ``"float | None"``, ``"torch.dtype"``), whether
    the module postponed its annotations (strings) or not (classes and unions)."""
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type):
        module = annotation.__module__
        return (
            annotation.__qualname__
            if module == "builtins"
            else f"{module}.{annotation.__qualname__}"
        )
    return str(annotation)


def bad_values(annotation: str, argument: str, layer: str) -> list[tuple[object, type[Exception]]]:
    """Values of the wrong type (TypeError) or out of any range (ValueError) for a type."""
    kinds = {part.strip() for part in annotation.split("|")}
    out: list[tuple[object, type[Exception]]] = []
    if kinds & {"bool"} and not kinds & {"str", "float", "int"}:
        out += [("False", TypeError), (0, TypeError), (1.0, TypeError)]
        if "None" not in kinds:
            out.append((None, TypeError))
    if kinds & {"int"} and not kinds & {"float", "bool"}:
        out += [(2.5, TypeError), ("8", TypeError), (True, TypeError)]
    if kinds & {"float"}:
        if "str" not in kinds:  # ref: a number or "max"
            out.append(("1", TypeError))
        out += [(torch.tensor([1.0, 2.0]), TypeError), (math.nan, ValueError)]
        if not {argument, f"{layer}.{argument}"} & INF_ALLOWED:
            out.append((math.inf, ValueError))
    if kinds & {"torch.dtype"}:
        out += [("float32", TypeError), (torch.int64, ValueError), (torch.complex64, ValueError)]
    if kinds & {"torch.device"}:
        out += [(1.5, TypeError)]
    return out


CASES = [
    pytest.param(name, argument, value, error, id=f"{name}-{argument}-{value!r}")
    for name, cls in layers().items()
    for argument, annotation in arguments(name, cls)
    if argument not in REQUIRED_ARGUMENTS.get(name, {})
    for value, error in bad_values(annotation, argument, name)
]


def test_every_layer_has_typed_arguments():
    assert len(layers()) == 55
    assert len(CASES) > 850  # 901 when written; fewer means annotations are no longer read


@pytest.mark.parametrize(("name", "argument", "value", "error"), CASES)
def test_bad_argument_is_named(name, argument, value, error):
    cls = layers()[name]
    kwargs = {**REQUIRED_ARGUMENTS.get(name, {}), argument: value}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=argument):
            cls(**kwargs)


@pytest.mark.parametrize(
    "make",
    [
        lambda: torchspec.Spectrogram(np.int64(256), hop_length=np.int32(64), center=np.bool_(1)),
        lambda: torchspec.MelScale(np.int64(40), np.float32(16000.0), f_max=np.float64(7000.0)),
        lambda: torchspec.CQT(np.float64(22050), np.int64(256), n_bins=np.int16(36)),
        lambda: torchspec.MFCC(dct_type=np.int64(2), lifter=np.float32(22.0)),
    ],
)
def test_numpy_scalars_are_accepted(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = make()
    assert isinstance(layer, torch.nn.Module)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: torchspec.Spectrogram(window_fn=None), TypeError, "window_fn"),
        (lambda: torchspec.Spectrogram(wkwargs="periodic"), TypeError, "wkwargs"),
        (lambda: torchspec.MelSpectrogram(stft_route="fast"), ValueError, "stft_route"),
        (lambda: torchspec.MelSpectrogram(stft_route=True), TypeError, "stft_route"),
        (lambda: torchspec.Spectrogram(wkwargs={"bogus": 1}), TypeError, "bogus"),
        (
            lambda: torchspec.Spectrogram(window_fn=lambda n, **_: torch.zeros(n)),
            ValueError,
            "zero",
        ),
        (
            lambda: torchspec.Spectrogram(window_fn=lambda n, **_: torch.ones(n + 1)),
            ValueError,
            "1-D",
        ),
        (
            lambda: torchspec.GriffinLim(window_fn=lambda n, **_: torch.full((n,), math.nan)),
            ValueError,
            "NaN",
        ),
        (lambda: torchspec.Spectrogram(normalized=1), TypeError, "normalized"),
        (lambda: torchspec.Spectrogram(pad_mode="mirror"), ValueError, "pad_mode"),
        (lambda: torchspec.Spectrogram(device="gpu0"), ValueError, "device"),
        (lambda: torchspec.CQT(n_bins=10**12), ValueError, "top bin"),
        (lambda: torchspec.CQT(f_min=math.inf), ValueError, "f_min"),
        (lambda: torchspec.VQT(intervals=[1.0, 1.0]), ValueError, "distinct"),
        (lambda: torchspec.VQT(intervals=[1.0, 2.5]), ValueError, "intervals"),
        (lambda: torchspec.VQT(intervals="pythagorean"), ValueError, "intervals"),
        (lambda: torchspec.AmplitudeToDB(ref="min"), ValueError, "ref"),
        (lambda: torchspec.MFCC(melkwargs="n_fft=512"), TypeError, "melkwargs"),
        (lambda: torchspec.InverseMFCC(13, 40, lifter=2.0), ValueError, "lifter"),
        (lambda: torchspec.presets.KaldiFbank(frame_length=0.01), ValueError, "frame_length"),
        (lambda: FeatureSpec(center="False"), TypeError, "center"),
        (lambda: FeatureSpec(top_db=math.nan), ValueError, "top_db"),
        (lambda: FeatureSpec(log_offset="1e-6"), TypeError, "log_offset"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_other_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()
