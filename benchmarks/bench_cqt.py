"""CQT speed, side by side with librosa.cqt and nnAudio's CQT1992v2 / CQT2010v2.

Workload (the issue's): 16 clips x 10 s at 22.05 kHz, 84 bins from C1 (32.70 Hz), 12 per
octave, hop 512, complex output. librosa runs on the whole batch (CPU only); nnAudio with
``output_format="Complex"``. A second group uses hop 441 (not a power of two), where librosa
cannot resample and nnAudio's CQT2010v2 does not apply.

Ratios are to librosa (CPU) or to torchspec (CUDA). Writes ``benchmarks/results/cqt-<device>.md``.

Usage: python benchmarks/bench_cqt.py [--device cpu|cuda|all] [--threads 2]
"""

from __future__ import annotations

import torch
from harness import Plan, main, no_grad, optional_import

import torchspec

N_CLIPS, SECONDS, SAMPLE_RATE, F_MIN, N_BINS = 16, 10.0, 22050, 32.70319566257483, 84
WORKLOAD = f"{N_CLIPS} clips x {SECONDS:.0f} s at {SAMPLE_RATE} Hz, {N_BINS} bins from C1."


def plan(device: str) -> Plan:
    audio = torch.randn(N_CLIPS, int(SECONDS * SAMPLE_RATE), device=device)
    clips = audio.cpu().numpy()
    librosa = optional_import("librosa")
    nnaudio = optional_import("nnAudio.features")
    rows: Plan = []
    for hop in (512, 441):
        group = f"hop {hop}"
        if isinstance(librosa, str) or device != "cpu":
            rows.append(
                (group, "librosa.cqt", None, librosa if isinstance(librosa, str) else "CPU only")
            )
        else:
            rows.append(
                (
                    group,
                    "librosa.cqt",
                    lambda hop=hop: librosa.cqt(clips, sr=SAMPLE_RATE, hop_length=hop),
                    "float32",
                )
            )
        ours = torchspec.CQT(SAMPLE_RATE, hop, F_MIN, N_BINS, device=device)
        rows.append((group, "torchspec.CQT", no_grad(lambda ours=ours: ours(audio)), ""))
        if isinstance(nnaudio, str):
            rows.append((group, "nnAudio CQT1992v2", None, nnaudio))
            continue
        options = {
            "sr": SAMPLE_RATE,
            "hop_length": hop,
            "fmin": F_MIN,
            "n_bins": N_BINS,
            "verbose": False,
        }
        v1992 = nnaudio.CQT1992v2(**options, output_format="Complex").to(device)
        rows.append((group, "nnAudio CQT1992v2", no_grad(lambda m=v1992: m(audio)), ""))
        if hop == 512:
            v2010 = nnaudio.CQT2010v2(**options, output_format="Complex").to(device)
            rows.append((group, "nnAudio CQT2010v2", no_grad(lambda m=v2010: m(audio)), ""))
    trainable = torchspec.CQT(
        SAMPLE_RATE, 512, F_MIN, N_BINS, power=2.0, trainable=True, device=device
    )
    rows.append(
        (
            "trainable, fwd+bwd",
            "torchspec.CQT",
            lambda: trainable(audio).sum().backward(),
            "direct route",
        )
    )
    return rows


if __name__ == "__main__":
    main("cqt", "CQT", WORKLOAD, plan, __doc__)
