"""Write kaldi_reference.npz: torchaudio.compliance.kaldi fbank / mfcc in float64 on the first
2 s of speech_16k.wav and speech_8k.wav (scaled to 16-bit range, as Kaldi reads audio), for
several option sets. Made with real torchaudio (2.11); torchaudio's compiled libraries are not
needed for compliance.kaldi, so a CPU torch with torchaudio installed --no-deps and its lib/*.so
moved aside is enough.

Run there: python tests/data/make_kaldi_reference.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile
import torch
import torchaudio
from torchaudio.compliance import kaldi

HERE = Path(__file__).parent
OPTIONS = {
    "default": {},
    "energy-htk": {"use_energy": True, "htk_compat": True, "energy_floor": 0.0},
    "hamming-nosnip": {
        "window_type": "hamming",
        "snip_edges": False,
        "preemphasis_coefficient": 0.0,
        "num_mel_bins": 40,
        "low_freq": 60.0,
        "high_freq": -400.0,
    },
    "magnitude-linear": {"use_power": False, "use_log_fbank": False, "remove_dc_offset": False},
    "rectangular-raw": {
        "window_type": "rectangular",
        "raw_energy": False,
        "use_energy": True,
        "round_to_power_of_two": False,
        "frame_length": 20.0,
    },
}
MFCC_OPTIONS = {
    "default": {},
    "energy-htk": {"use_energy": True, "htk_compat": True, "num_ceps": 20, "num_mel_bins": 30},
    "nolifter-nosnip": {"cepstral_lifter": 0.0, "snip_edges": False, "window_type": "blackman"},
}


def main() -> None:
    arrays = {}
    for rate in (16000, 8000):
        audio, _ = soundfile.read(HERE / f"speech_{rate // 1000}k.wav", dtype="float64")
        x = torch.from_numpy(audio[: 2 * rate] * 32768)[None]
        for name, options in OPTIONS.items():
            out = kaldi.fbank(x, sample_frequency=rate, dither=0.0, **options)
            arrays[f"fbank-{rate}-{name}"] = out.numpy()
        for name, options in MFCC_OPTIONS.items():
            out = kaldi.mfcc(x, sample_frequency=rate, dither=0.0, **options)
            arrays[f"mfcc-{rate}-{name}"] = out.numpy()
    options = json.dumps({"fbank": OPTIONS, "mfcc": MFCC_OPTIONS})
    np.savez_compressed(
        HERE / "kaldi_reference.npz", torchaudio=torchaudio.__version__, options=options, **arrays
    )
    print(f"wrote {len(arrays)} arrays")


if __name__ == "__main__":
    main()
