"""The torchaudio drop-in cases, shared by the live comparison (tests/test_torchaudio.py, where
torchaudio imports), the script that records torchaudio's outputs
(tests/data/make_torchaudio_reference.py) and the comparison with those recordings that runs
everywhere (tests/test_torchaudio_reference.py).

Each case is ``(name, class name, kwargs)`` with windows named (``"window": "hamming"``) so that
cases are plain data; :func:`build` turns the names into torch window functions.
"""

from __future__ import annotations

from typing import Any

import torch

WINDOWS = {
    "hann": torch.hann_window,
    "hamming": torch.hamming_window,
    "kaiser": torch.kaiser_window,
}

SPECTROGRAM = [
    {},
    {"n_fft": 512, "hop_length": 128},
    {"n_fft": 1024, "win_length": 800, "hop_length": 300, "power": 1.0},
    {"n_fft": 256, "power": None},
    {"n_fft": 400, "normalized": True},
    {"n_fft": 400, "normalized": "frame_length", "power": None},
    {"n_fft": 300, "center": False, "window": "hamming"},
    {"n_fft": 400, "pad": 50, "pad_mode": "constant"},
    {"n_fft": 400, "onesided": False, "power": None},
    {"n_fft": 400, "window": "kaiser", "wkwargs": {"periodic": True, "beta": 6.0}},
]
INVERSE = [{}, {"n_fft": 512, "hop_length": 128}, {"n_fft": 400, "normalized": True}, {"pad": 30}]
HEADS = [
    ("MelSpectrogram", {}),
    ("MelSpectrogram", {"sample_rate": 22050, "n_fft": 1024, "n_mels": 64, "f_min": 30.0}),
    ("MelSpectrogram", {"n_mels": 40, "norm": "slaney", "mel_scale": "slaney", "power": 1.0}),
    ("MFCC", {}),
    ("MFCC", {"n_mfcc": 13, "log_mels": True, "melkwargs": {"n_fft": 512, "n_mels": 40}}),
    ("MFCC", {"n_mfcc": 20, "norm": None, "melkwargs": {"mel_scale": "slaney"}}),
    ("LFCC", {}),
    ("LFCC", {"n_filter": 64, "n_lfcc": 20, "log_lf": True, "speckwargs": {"n_fft": 512}}),
]
MELSCALE = [{}, {"n_mels": 40, "f_max": 6000.0, "norm": "slaney"}]
AMPLITUDE_TO_DB = [
    {"stype": stype, "top_db": top_db}
    for stype in ("power", "magnitude")
    for top_db in (None, 80.0, 30.0)
]
GRIFFINLIM = [{}, {"n_fft": 512, "hop_length": 128, "power": 1.0}]
# torchaudio's default driver "gels" fails on both (rank-deficient filterbanks): "gelsd"
INVERSE_MELSCALE = [
    {"n_stft": 201, "driver": "gelsd"},
    {"n_stft": 5, "n_mels": 32, "driver": "gelsd"},
]


def build(module: Any, name: str, kwargs: dict[str, Any]) -> Any:
    """``module.<name>(**kwargs)`` with named windows as torch window functions (nested in
    ``melkwargs``/``speckwargs`` too)."""
    return getattr(module, name)(**_windows(kwargs))


def _windows(kwargs: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in kwargs.items():
        if key == "window":
            out["window_fn"] = WINDOWS[value]
        elif isinstance(value, dict):
            out[key] = _windows(value)
        else:
            out[key] = value
    return out
