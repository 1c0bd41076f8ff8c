"""Write ast_reference.npz: the transformers ``ASTFeatureExtractor``'s ``input_values`` for
the first 2 s of speech_16k.wav and speech_8k.wav, as loaded (float32 in [-1, 1]), for several
option sets.

Made with real transformers (5.24) and torchaudio (2.11): the extractor computes its fbank with
``torchaudio.compliance.kaldi.fbank`` when torchaudio imports, which it does on a CPU torch once
torchaudio's compiled lib/*.so are moved aside (compliance.kaldi is pure Python).

Run there: python tests/data/make_ast_reference.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile
import torchaudio
import transformers
from transformers import ASTFeatureExtractor
from transformers.utils import is_speech_available

HERE = Path(__file__).parent
OPTIONS = {
    "default": {},  # 198 frames padded to 1024
    "cut-64": {"num_mel_bins": 64, "max_length": 100},  # frames cut
    "raw-8k": {"sampling_rate": 8000, "do_normalize": False, "max_length": 300},
    "stats": {"mean": -3.0, "std": 2.5, "max_length": 150},
}


def main() -> None:
    assert is_speech_available(), "the extractor must take its torchaudio path"
    arrays = {}
    for name, options in OPTIONS.items():
        rate = int(options.get("sampling_rate", 16000))
        audio, got = soundfile.read(HERE / f"speech_{rate // 1000}k.wav", dtype="float32")
        assert got == rate
        audio = audio[: 2 * rate]
        extractor = ASTFeatureExtractor(**options)
        out = extractor(audio, sampling_rate=rate, return_tensors="np")["input_values"]
        arrays[name] = out[0].astype(np.float32)
    np.savez_compressed(
        HERE / "ast_reference.npz",
        transformers=transformers.__version__,
        torchaudio=torchaudio.__version__,
        options=json.dumps(OPTIONS),
        **arrays,
    )
    print(f"wrote {len(arrays)} arrays")


if __name__ == "__main__":
    main()
