"""Write torchaudio_state_dicts.json: key, shape and dtype of every entry of the state dicts of
torchaudio.transforms' layers that torchspec mirrors, made with real torchaudio.

torchaudio's PyPI wheel needs a CUDA torch; these layers are pure Python, so a throwaway venv
with a CPU torch, torchaudio installed with --no-deps and its compiled lib/*.so moved aside is
enough. Run there: python tests/data/make_torchaudio_state_dicts.py
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torchaudio
from torchaudio import transforms as T

LAYERS = {
    "Spectrogram": lambda: T.Spectrogram(),
    "InverseSpectrogram": lambda: T.InverseSpectrogram(),
    "GriffinLim": lambda: T.GriffinLim(),
    "MelScale": lambda: T.MelScale(n_stft=201),
    "InverseMelScale": lambda: T.InverseMelScale(n_stft=201),
    "MelSpectrogram": lambda: T.MelSpectrogram(),
    "MFCC": lambda: T.MFCC(),
    "LFCC": lambda: T.LFCC(),
    "AmplitudeToDB": lambda: T.AmplitudeToDB(),
    "FrequencyMasking": lambda: T.FrequencyMasking(10),
    "TimeMasking": lambda: T.TimeMasking(10),
    "SpecAugment": lambda: T.SpecAugment(1, 10, 1, 5),
    "TimeStretch": lambda: T.TimeStretch(),
    "PitchShift": lambda: T.PitchShift(16000, 12),  # a small kernel (1 phase)
    "ComputeDeltas": lambda: T.ComputeDeltas(),
    "SlidingWindowCmn": lambda: T.SlidingWindowCmn(),
    "SpectralCentroid": lambda: T.SpectralCentroid(16000),
    "Resample": lambda: T.Resample(44100, 16000),
    "Preemphasis": lambda: T.Preemphasis(),
    "Deemphasis": lambda: T.Deemphasis(),
}


def main() -> None:
    out = {"torchaudio": torchaudio.__version__, "layers": {}}
    for name, make in LAYERS.items():
        layer = make()
        if name == "PitchShift":  # a lazy module: its kernel exists after the first call
            layer(torch.zeros(1, 2000))
        state = layer.state_dict()
        out["layers"][name] = {
            key: {"shape": list(value.shape), "dtype": str(value.dtype)}
            for key, value in state.items()
        }
    path = Path(__file__).with_name("torchaudio_state_dicts.json")
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
