"""Write speech_16k.wav and speech_8k.wav: about 3 s of synthetic English speech (espeak-ng,
a formant synthesiser with voiced, unvoiced and silent stretches), resampled with soxr and
stored as 16-bit PCM. The preset parity tests run the references on these files.

Run: python tests/data/make_speech.py   (needs the espeak-ng program)
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile
import soxr

TEXT = "The quick brown fox jumps over the lazy dog, and then it sleeps in the shade."


def main() -> None:
    here = Path(__file__).parent
    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "speech.wav"
        subprocess.run(["espeak-ng", "-s", "165", "-w", str(raw), TEXT], check=True)
        audio, rate = soundfile.read(raw, dtype="float64")
    for target in (16000, 8000):
        resampled = soxr.resample(audio, rate, target, quality="VHQ")
        peak = np.abs(resampled).max()
        soundfile.write(
            here / f"speech_{target // 1000}k.wav", 0.8 * resampled / peak, target, subtype="PCM_16"
        )
        print(f"wrote speech_{target // 1000}k.wav: {len(resampled) / target:.2f} s")


if __name__ == "__main__":
    main()
