"""Write torchaudio_transforms_reference.npz: what torchaudio's other time-frequency transforms
(tests/transform_cases.py) give on the cases' inputs, in float32 and float64; the random masks
under a fixed seed of the global generator. Made with real torchaudio 2.11.1; these transforms
are pure Python, so a CPU torch with torchaudio installed --no-deps and its lib/*.so moved
aside runs them.

Run there, from the repository root: python tests/data/make_torchaudio_transforms_reference.py

float64: torchaudio's modules make their constants (windows, the phase vocoder's phase advance,
the Kaiser window's beta) in torch's default dtype, and ``.double()`` would only cast float32
roundings; so the float64 references are made with float64 as the default dtype (and
Resample's ``dtype=torch.float64``, without which it rounds its kernel to float32).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch
import torchaudio
import torchaudio.transforms as T

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
from transform_cases import (  # noqa: E402
    DETERMINISTIC,
    RANDOM,
    SEED,
    call,
    constructor_kwargs,
    inputs,
)


def float64_layer(name: str, kwargs: dict) -> torch.nn.Module:
    """torchaudio's layer with float64 constants (see the module docstring)."""
    if name == "Resample":
        return T.Resample(**kwargs, dtype=torch.float64)
    torch.set_default_dtype(torch.float64)
    try:
        return getattr(T, name)(**kwargs).double()
    finally:
        torch.set_default_dtype(torch.float32)


def main() -> None:
    arrays: dict[str, np.ndarray] = {}
    for name, cases in DETERMINISTIC.items():
        for i, kwargs in enumerate(cases):
            plain = constructor_kwargs(name, kwargs)
            x32, x64 = inputs(name, torch.float32), inputs(name, torch.float64)
            arrays[f"{name}-{i}-float32"] = call(
                name, getattr(T, name)(**plain), x32, kwargs
            ).numpy()
            torch.set_default_dtype(torch.float64)  # PitchShift's phase advance, made in forward
            out64 = call(name, float64_layer(name, plain), x64, kwargs)
            torch.set_default_dtype(torch.float32)
            arrays[f"{name}-{i}-float64"] = out64.numpy()
    for name, cases in RANDOM.items():
        for i, kwargs in enumerate(cases):
            torch.manual_seed(SEED)
            out = getattr(T, name)(**kwargs)(inputs(name, torch.float32))
            arrays[f"{name}-{i}-float32"] = out.numpy()
    np.savez_compressed(HERE / "torchaudio_transforms_reference.npz", **arrays)
    meta = {"torchaudio": torchaudio.__version__, "torch": torch.__version__}
    (HERE / "torchaudio_transforms_reference.json").write_text(json.dumps(meta) + "\n")
    print(f"{len(arrays)} outputs from torchaudio {torchaudio.__version__}")


if __name__ == "__main__":
    with torch.no_grad():  # PitchShift holds its kernel as a parameter
        main()
