"""Writes the example recordings shipped in ``torchspec/data/examples`` (run once; committed).

Three short synthetic clips in three formats, sample rates and channel counts, so that
``torchspec extract`` has something real to decode on a fresh machine.
"""

from pathlib import Path

import numpy as np
import soundfile

HERE = Path(__file__).parent / "examples"


def main() -> None:
    HERE.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    sr = 16000
    t = np.arange(int(1.5 * sr)) / sr
    tones = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1000 * t)
    soundfile.write(HERE / "tones_16k_mono.wav", tones.astype(np.float32), sr, subtype="PCM_16")
    sr = 22050
    t = np.arange(sr) / sr
    chirp = 0.4 * np.sin(2 * np.pi * (100 * t + 2000 * t**2))
    stereo = np.stack([chirp, 0.5 * chirp + 0.02 * rng.standard_normal(len(t))], axis=1)
    soundfile.write(HERE / "chirp_22k_stereo.flac", stereo.astype(np.float32), sr)
    sr = 8000
    t = np.arange(2 * sr) / sr
    pulses = (np.sin(2 * np.pi * 150 * t) > 0.97).astype(float)
    vowel = np.convolve(pulses, np.exp(-np.arange(200) / 30) * np.sin(0.5 * np.arange(200)))[
        : len(t)
    ]
    soundfile.write(
        HERE / "pulses_8k_mono.ogg", (0.3 * vowel / np.abs(vowel).max()).astype(np.float32), sr
    )


if __name__ == "__main__":
    main()
